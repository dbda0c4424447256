#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# `make bench`: builds what is missing, boots one emulated Gaudi and runs hl_bench (CS
# latency, CS throughput for 1, 2 and 4 submitters, DMA bandwidth next to memcpy). Prints
# the figures with their spread; see Documentation/accel/habanalabs_rs/testing.rst.
. "$(dirname "$0")/lib.sh"
toolchain_env
S=$HLRS_TOP/tools/testing/habanalabs_rs/scripts
T=$HLRS_TOP/tools/testing/habanalabs_rs
export CARGO_TARGET_DIR=$HLRS_CACHE/cargo-target
"$S/host-deps.sh" && "$S/fetch-kernel.sh" > /dev/null && "$S/qemu-root.sh"
"$S/kernel.sh" build
(cd "$T" && cargo build -q --release)
"$S/selftests.sh" > /dev/null
out=$HLRS_CACHE/runs/bench-$(date +%Y%m%d-%H%M%S)
mkdir -p "$out"
"$S/vm.sh" --devices 1 --timeout 1800 --out "$out" "$T/jobs/bench.sh" "$HLRS_CACHE/selftests/hl_bench" \
	|| die "the VM run failed; console: $out/console.log"
grep -a '^BENCH: ' "$out/console.log" | sed 's/^BENCH: //' | tr -d '\r'
grep -aq 'HLRS-END rc=0' "$out/console.log" || die "hl_bench failed; console: $out/console.log"
