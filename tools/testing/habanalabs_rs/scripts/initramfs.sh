#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Builds the test VM's initramfs: busybox, the installed kernel modules, stand-in firmware
# images, the guest scripts and the job to run. Usage: initramfs.sh JOB_SCRIPT OUTPUT [EXTRA_FILE...]
# EXTRA_FILEs (programs, data) land in /hlrs/bin of the guest.
. "$(dirname "$0")/lib.sh"

job=$1 out=$2; shift 2
G=$HLRS_TOP/tools/testing/habanalabs_rs/guest
MODROOT=$HLRS_CACHE/modroot
[ -d "$MODROOT/lib/modules" ] || die "no kernel modules in $MODROOT: build the kernel first (make kernel)"
BUSYBOX=$(command -v busybox || true)
[ -n "$BUSYBOX" ] && file -L "$BUSYBOX" 2>/dev/null | grep -q 'statically linked' || BUSYBOX=/bin/busybox
[ -x "$BUSYBOX" ] || die "busybox not found: apt-get install busybox-static"

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{bin,sbin,proc,sys,dev,tmp,lib,hlrs/bin,hlrs/suites,etc}
cp "$BUSYBOX" "$root/bin/busybox"
ln -s busybox "$root/bin/sh"
cp -a "$MODROOT/lib/modules" "$root/lib/"
# Stand-in firmware images under the names the driver requests.
python3 "$HLRS_TOP/tools/testing/habanalabs_rs/scripts/fw-images.py" "$root/lib/firmware"
cp "$G/init" "$root/init"
chmod +x "$root/init"
cp "$G/lib.sh" "$root/hlrs/"
cp "$G"/suites/*.sh "$root/hlrs/suites/"
cp "$job" "$root/hlrs/job.sh"
for f in "$@"; do cp -a "$f" "$root/hlrs/bin/"; done
(cd "$root" && find . | cpio -o -H newc --quiet) | gzip -1 > "$out"
