#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Runs the QEMU of $HLRS_CACHE/qemu-root with that root's own loader and libraries,
# so that nothing of the host's is replaced or used. Arguments go to QEMU.
HLRS_CACHE=${HLRS_CACHE:-$HOME/.cache/habanalabs_rs}
R=$HLRS_CACHE/qemu-root
L=$R/usr/lib/x86_64-linux-gnu
export QEMU_MODULE_DIR=$L/qemu
exec "$L/ld-linux-x86-64.so.2" --library-path "$L" "$R/usr/bin/qemu-system-x86_64" \
	-L "$R/usr/share/qemu" -L "$R/usr/share/seabios" "$@"
