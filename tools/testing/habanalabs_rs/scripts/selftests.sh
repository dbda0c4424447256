#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Builds the user-space selftests (static binaries for the test VM) against the uapi headers
# the kernel build installed, which carry the project's habanalabs_accel.h.
# Prints the path of the built hl_selftest.
. "$(dirname "$0")/lib.sh"
T=$HLRS_TOP/tools/testing/habanalabs_rs
HDR=$HLRS_CACHE/uapi-headers/include
[ -f "$HDR/drm/habanalabs_accel.h" ] || die "no installed uapi headers in $HDR: run 'make kernel'"
out=$HLRS_CACHE/selftests
mkdir -p "$out"
gcc -static -O2 -Wall -Wextra -Werror -std=gnu11 -isystem "$HDR" \
	-o "$out/hl_selftest" "$T/selftests/hl_selftest.c" "$T/selftests/hl_cs.c" >&2 || die "building hl_selftest failed"
gcc -static -O2 -Wall -Wextra -Werror -std=gnu11 -isystem "$HDR" \
	-pthread -o "$out/hl_bench" "$T/selftests/hl_bench.c" >&2 || die "building hl_bench failed"
echo "$out/hl_selftest"
