#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# `make run`: builds what is missing, boots the emulated Gaudi and shows, step by step with
# timings, what the driver did with it.
. "$(dirname "$0")/lib.sh"
toolchain_env
S=$HLRS_TOP/tools/testing/habanalabs_rs/scripts
T=$HLRS_TOP/tools/testing/habanalabs_rs
export CARGO_TARGET_DIR=$HLRS_CACHE/cargo-target

step() { # step NAME COMMAND...
	local t0 t1 log=$HLRS_CACHE/run-step.log
	t0=$(now)
	printf '%-44s' "$1"
	if "${@:2}" > "$log" 2>&1; then
		t1=$(now)
		printf 'ok   %6.1fs\n' "$(awk "BEGIN{print $t1 - $t0}")"
	else
		echo "FAILED"
		tail -n 40 "$log"
		exit 1
	fi
}

echo "habanalabs-rs: the Rust Gaudi driver on an emulated Gaudi (cache: $HLRS_CACHE)"
step "host tools (LLVM 19, bindgen, rust-src)" "$S/host-deps.sh"
step "kernel source (linux-source-7.3)" "$S/fetch-kernel.sh"
step "QEMU >= 10.1 with vfio-user" "$S/qemu-root.sh"
step "test kernel + habanalabs_rs.ko" "$S/kernel.sh" build
step "emulated Gaudi (hl-model)" bash -c "cd '$T' && cargo build -q --release"
step "user-space selftests (hl_selftest)" "$S/selftests.sh"
selftest=$HLRS_CACHE/selftests/hl_selftest
echo "kernel: $(cat "$HLRS_CACHE/linux-src/.debian-version" 2>/dev/null) ($(file -b "$HLRS_CACHE/build/arch/x86/boot/bzImage" | grep -o 'version [^ ]*'))"

out=$HLRS_CACHE/runs/run-$(date +%Y%m%d-%H%M%S)
mkdir -p "$out"
t0=$(now)
printf '%-44s' "boot the VM (TCG) and run the job"
if "$S/vm.sh" --devices 2 --timeout 600 --out "$out" "$T/jobs/run.sh" "$selftest" 2> "$out/vm.err"; then
	printf 'ok   %6.1fs\n' "$(awk "BEGIN{print $(now) - $t0}")"
else
	echo FAILED; cat "$out/vm.err"; exit 1
fi
echo
echo "In the guest:"
sed -n 's/^RUN: /  /p' "$out/console.log"
echo
echo "The emulated Gaudi's account of the session:"
sed -n 's/^\[ *[0-9.]*\] hl-model [a-z]*: /  /p' "$out/model0.log" |
	awk '/which the model does not implement/ { n++; if (n <= 3) print; next }
	     { if (n > 3 && !told) { print "  ... and " n - 3 " more accesses to registers the model does not implement"; told = 1 } print }'
echo
res=$(python3 "$S/ktap.py" "$out/console.log" | grep '^kernel_log')
echo "Kernel log: ${res#kernel_log: }"
echo "Console: $out/console.log"
case "$res" in *" 0 failed"*) ;; *) exit 1 ;; esac
grep -q '^HLRS-END rc=0' "$out/console.log"
