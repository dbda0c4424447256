#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Runs a program or script of yours inside the test VM, with habanalabs_rs loaded on N
# emulated Gaudis. Usage: guest-run.sh [--devices N] PROGRAM [ARGS...]
# PROGRAM is copied to /hlrs/bin in the guest; it must be a static binary or a busybox sh
# script. Its output is printed here; the exit status is its own.
. "$(dirname "$0")/lib.sh"
S=$HLRS_TOP/tools/testing/habanalabs_rs/scripts
devices=1
if [ "${1:-}" = --devices ]; then devices=$2; shift 2; fi
[ $# -ge 1 ] || die "usage: $0 [--devices N] PROGRAM [ARGS...]"
prog=$1; shift
[ -f "$prog" ] || die "no such file: $prog"
out=$HLRS_CACHE/runs/guest-run-$(date +%Y%m%d-%H%M%S)
mkdir -p "$out"
args=""
for a in "$@"; do args="$args '$(printf '%s' "$a" | sed "s/'/'\\\\''/g")'"; done
cat > "$out/user-job.sh" <<JOB
modprobe habanalabs_rs || echo "USER: modprobe habanalabs_rs failed"
chmod +x /hlrs/bin/$(basename "$prog")
/hlrs/bin/$(basename "$prog") $args > /tmp/user.out 2>&1
rc=\$?
sed 's/^/USER: /' /tmp/user.out
echo "USER-RC \$rc"
JOB
"$S/vm.sh" --devices "$devices" --timeout "${HLRS_TIMEOUT:-600}" --out "$out" "$out/user-job.sh" "$prog" || exit 1
sed -n "s/^USER: //p" "$out/console.log" | tr -d "\r"
python3 "$S/ktap.py" "$out/console.log" | grep '^kernel_log' >&2
rc=$(sed -n 's/^USER-RC //p' "$out/console.log" | tr -d '\r')
echo "(exit status $rc; console: $out/console.log)" >&2
exit "${rc:-1}"
