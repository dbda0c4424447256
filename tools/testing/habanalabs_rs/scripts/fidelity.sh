#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Generates Rust bindings of the upstream Gaudi headers in the kernel source (bindgen) for the
# model's fidelity test, and prints the environment that test needs:
#   eval "$(scripts/fidelity.sh)"; cargo test --features fidelity
. "$(dirname "$0")/lib.sh"
toolchain_env
src=$("$HLRS_TOP/tools/testing/habanalabs_rs/scripts/fetch-kernel.sh")
F=$HLRS_TOP/tools/testing/habanalabs_rs/model/fidelity
out=$HLRS_CACHE/fidelity
mkdir -p "$out"
bindgen "$F/upstream.h" --no-layout-tests --no-doc-comments --use-core -o "$out/upstream.rs" -- \
	-I "$F/shim" -I "$src/drivers/accel/habanalabs/include" -I "$src/include/linux/habanalabs" \
	> "$out/bindgen.log" 2>&1 || { cat "$out/bindgen.log" >&2; die "bindgen failed on the upstream headers"; }
echo "export HLRS_UPSTREAM_RS='$out/upstream.rs' HLRS_KERNEL_SRC='$src'"
