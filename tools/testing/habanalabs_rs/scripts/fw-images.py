#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Writes stand-in Gaudi firmware images for the emulated device.

The real images are Habana's signed FIT files. The emulated Gaudi only needs what its firmware
model checks: a flattened device tree (FIT) header with the right magic and a total size that
matches the file. Each image is a valid, minimal FDT whose root node carries a "description"
saying what it is, padded to a whole number of 32-bit words as the driver requires.

Usage: fw-images.py OUTDIR   (creates OUTDIR/habanalabs/gaudi/{gaudi-boot-fit,gaudi-fit}.itb)
"""
import os
import struct
import sys

FDT_MAGIC = 0xD00DFEED
FDT_BEGIN_NODE, FDT_END_NODE, FDT_PROP, FDT_END = 1, 2, 3, 9


def pad4(b: bytes) -> bytes:
    return b + b"\0" * (-len(b) % 4)


def fdt(description: str, size: int) -> bytes:
    strings = b"description\0"
    value = description.encode() + b"\0"
    struct_blk = struct.pack(">I", FDT_BEGIN_NODE) + pad4(b"\0")
    struct_blk += struct.pack(">III", FDT_PROP, len(value), 0) + pad4(value)
    struct_blk += struct.pack(">II", FDT_END_NODE, FDT_END)
    header_len = 40
    rsvmap = b"\0" * 16
    off_rsvmap = header_len
    off_struct = off_rsvmap + len(rsvmap)
    off_strings = off_struct + len(struct_blk)
    body_end = off_strings + len(strings)
    total = max(size, body_end + (-body_end % 4))
    header = struct.pack(">10I", FDT_MAGIC, total, off_struct, off_strings, off_rsvmap,
                         17, 16, 0, len(strings), len(struct_blk))
    blob = header + rsvmap + struct_blk + strings
    return blob + b"\0" * (total - len(blob))


def main() -> None:
    out = os.path.join(sys.argv[1], "habanalabs", "gaudi")
    os.makedirs(out, exist_ok=True)
    images = {
        "gaudi-boot-fit.itb": "habanalabs-rs stand-in boot-fit image (not Habana firmware)",
        "gaudi-fit.itb": "habanalabs-rs stand-in CPU-CP application image (not Habana firmware)",
    }
    for name, desc in images.items():
        data = fdt(desc, 4096)
        assert len(data) % 4 == 0
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
