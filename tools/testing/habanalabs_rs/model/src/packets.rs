// SPDX-License-Identifier: GPL-2.0
//! Gaudi QMAN packets (`gaudi_packets.h`): decoding of a command buffer into packets.
//!
//! Every packet starts with a 32-bit word and a control word whose bits 28:24 hold the opcode;
//! bits 29, 30 and 31 are the engine, register and message barriers.
//!
//! WREG_32 has no field definitions in the kernel's headers (only its size and opcode); its
//! control word is decoded as Habana's user-space packet header lays it out for Gaudi: the
//! predicate in bits 4:0, bits 7:5 reserved, the register offset in bits 23:8.

/// Packet opcodes.
pub mod opcode {
    /// Register write.
    pub const WREG_32: u8 = 0x1;
    /// Bulk register write.
    pub const WREG_BULK: u8 = 0x2;
    /// 32-bit write to a 64-bit address.
    pub const MSG_LONG: u8 = 0x3;
    /// 32-bit write relative to a message base.
    pub const MSG_SHORT: u8 = 0x4;
    /// Load a CB into the lower CP.
    pub const CP_DMA: u8 = 0x5;
    /// Repeat.
    pub const REPEAT: u8 = 0x6;
    /// Privileged 32-bit write to a 64-bit address.
    pub const MSG_PROT: u8 = 0x7;
    /// Wait on a fence counter.
    pub const FENCE: u8 = 0x8;
    /// Linear DMA.
    pub const LIN_DMA: u8 = 0x9;
    /// Nothing.
    pub const NOP: u8 = 0xA;
    /// Stop the CP.
    pub const STOP: u8 = 0xB;
    /// Arbitration point.
    pub const ARB_POINT: u8 = 0xC;
    /// Wait.
    pub const WAIT: u8 = 0xD;
    /// Load and execute.
    pub const LOAD_AND_EXE: u8 = 0xF;
}

/// Fields of the WREG_32 control word.
pub mod wreg32 {
    /// Shift of the 16-bit register offset.
    pub const OFFSET_SHIFT: u32 = 8;
    /// The register offset's bits.
    pub const OFFSET_MASK: u32 = 0x00ff_ff00;
    /// Bits 7:5, reserved on Gaudi (a later generation gives bit 5 a meaning).
    pub const RESERVED_MASK: u32 = 0x0000_00e0;
}

/// Size in bytes of a packet with opcode `op`, `None` for an undefined opcode.
pub fn size_of(op: u8) -> Option<usize> {
    use opcode::*;
    Some(match op {
        WREG_32 | WREG_BULK | MSG_SHORT | REPEAT | FENCE | NOP | STOP | ARB_POINT | WAIT => 8,
        MSG_LONG | CP_DMA | MSG_PROT | LOAD_AND_EXE => 16,
        LIN_DMA => 24,
        _ => return None,
    })
}

/// A decoded packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Packet {
    /// A 32-bit write of `value` to `addr`; `prot` for MSG_PROT.
    MsgLong {
        /// Value.
        value: u32,
        /// Device address.
        addr: u64,
        /// Whether it was the privileged MSG_PROT.
        prot: bool,
    },
    /// A 32-bit write of `value` at `offset` from message base `base`.
    MsgShort {
        /// Value.
        value: u32,
        /// Message base 0..3.
        base: u8,
        /// Byte offset.
        offset: u16,
    },
    /// Wait until fence counter `id` reaches `target`, then subtract `dec`.
    Fence {
        /// Fence counter 0..3.
        id: u8,
        /// Target value.
        target: u8,
        /// Decrement.
        dec: u8,
    },
    /// Linear DMA of `tsize` bytes from `src` to `dst`; with `memset`, `src` is the pattern.
    LinDma {
        /// Bytes.
        tsize: u32,
        /// Source address, or the fill pattern.
        src: u64,
        /// Destination address (bits 55:0).
        dst: u64,
        /// Fill instead of copy.
        memset: bool,
        /// Write the completion word when done.
        wr_comp: bool,
    },
    /// A 32-bit write of `value` to the register `reg_offset` bytes into the issuing engine's
    /// register block.
    Wreg32 {
        /// Value.
        value: u32,
        /// Byte offset in the engine's block (a multiple of 4).
        reg_offset: u16,
    },
    /// Nothing to do.
    Nop,
    /// An arbitration point (one stream per engine here: nothing to arbitrate).
    ArbPoint,
    /// The CP stops.
    Stop,
    /// A defined packet the model does not execute.
    NotModelled {
        /// Its opcode.
        opcode: u8,
    },
}

/// Why a command buffer could not be decoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DecodeError {
    /// Undefined opcode at this offset.
    Undefined {
        /// Offset in the CB.
        at: usize,
        /// The opcode.
        opcode: u8,
    },
    /// The packet at this offset runs past the end of the CB.
    Truncated {
        /// Offset in the CB.
        at: usize,
    },
    /// The packet at this offset has a defined opcode but fields no Gaudi packet may carry.
    Malformed {
        /// Offset in the CB.
        at: usize,
        /// The opcode.
        opcode: u8,
        /// What is wrong.
        why: Malformed,
    },
}

/// What makes a packet malformed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Malformed {
    /// Reserved control bits are set (these bits of the control word).
    ReservedBits(u32),
    /// A register offset that is not a multiple of 4.
    UnalignedOffset(u16),
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

fn u64_at(b: &[u8], at: usize) -> u64 {
    u64::from(u32_at(b, at)) | (u64::from(u32_at(b, at + 4)) << 32)
}

/// Decodes the packet at `at` in `cb`; returns it and its size.
pub fn decode(cb: &[u8], at: usize) -> Result<(Packet, usize), DecodeError> {
    if at + 8 > cb.len() {
        return Err(DecodeError::Truncated { at });
    }
    let w0 = u32_at(cb, at);
    let ctl = u32_at(cb, at + 4);
    let op = ((ctl >> 24) & 0x1f) as u8;
    let size = size_of(op).ok_or(DecodeError::Undefined { at, opcode: op })?;
    if at + size > cb.len() {
        return Err(DecodeError::Truncated { at });
    }
    use opcode::*;
    let p = match op {
        MSG_LONG | MSG_PROT => Packet::MsgLong {
            value: w0,
            addr: u64_at(cb, at + 8),
            prot: op == MSG_PROT,
        },
        MSG_SHORT => Packet::MsgShort {
            value: w0,
            base: ((ctl >> 22) & 0x3) as u8,
            offset: (ctl & 0xffff) as u16,
        },
        FENCE => Packet::Fence {
            id: (w0 >> 30) as u8,
            target: ((w0 >> 16) & 0xff) as u8,
            dec: (w0 & 0xf) as u8,
        },
        LIN_DMA => Packet::LinDma {
            tsize: w0,
            src: u64_at(cb, at + 8),
            dst: u64_at(cb, at + 16) & 0x00ff_ffff_ffff_ffff,
            memset: ctl & (1 << 4) != 0,
            wr_comp: ctl & 1 != 0,
        },
        WREG_32 => {
            let bad = |why| DecodeError::Malformed {
                at,
                opcode: op,
                why,
            };
            let reserved = ctl & wreg32::RESERVED_MASK;
            if reserved != 0 {
                return Err(bad(Malformed::ReservedBits(reserved)));
            }
            let reg_offset = ((ctl & wreg32::OFFSET_MASK) >> wreg32::OFFSET_SHIFT) as u16;
            if reg_offset % 4 != 0 {
                return Err(bad(Malformed::UnalignedOffset(reg_offset)));
            }
            Packet::Wreg32 {
                value: w0,
                reg_offset,
            }
        }
        NOP => Packet::Nop,
        ARB_POINT => Packet::ArbPoint,
        STOP => Packet::Stop,
        other => Packet::NotModelled { opcode: other },
    };
    Ok((p, size))
}

/// Encoders, for tests.
#[cfg(test)]
pub mod build {
    /// A control word for `op` with the message barrier.
    pub fn ctl(op: u8) -> u32 {
        (u32::from(op) << 24) | (1 << 31)
    }

    /// LIN_DMA.
    pub fn lin_dma(tsize: u32, src: u64, dst: u64, memset: bool, wr_comp: bool) -> Vec<u8> {
        let c =
            ctl(super::opcode::LIN_DMA) | (1 << 3) | (u32::from(memset) << 4) | u32::from(wr_comp);
        [
            tsize.to_le_bytes().as_slice(),
            &c.to_le_bytes(),
            &src.to_le_bytes(),
            &dst.to_le_bytes(),
        ]
        .concat()
    }

    /// MSG_LONG or MSG_PROT.
    pub fn msg(value: u32, addr: u64, prot: bool) -> Vec<u8> {
        let op = if prot {
            super::opcode::MSG_PROT
        } else {
            super::opcode::MSG_LONG
        };
        [
            value.to_le_bytes().as_slice(),
            &ctl(op).to_le_bytes(),
            &addr.to_le_bytes(),
        ]
        .concat()
    }

    /// MSG_SHORT.
    pub fn msg_short(value: u32, base: u8, offset: u16) -> Vec<u8> {
        let c = ctl(super::opcode::MSG_SHORT) | (u32::from(base) << 22) | u32::from(offset);
        [value.to_le_bytes(), c.to_le_bytes()].concat()
    }

    /// FENCE.
    pub fn fence(id: u8, target: u8, dec: u8) -> Vec<u8> {
        let cfg = (u32::from(id) << 30) | (u32::from(target) << 16) | u32::from(dec);
        [cfg.to_le_bytes(), ctl(super::opcode::FENCE).to_le_bytes()].concat()
    }

    /// WREG_32 (any 16-bit offset, for tests of malformed ones too).
    pub fn wreg32(value: u32, reg_offset: u16) -> Vec<u8> {
        let c = ctl(super::opcode::WREG_32) | (u32::from(reg_offset) << 8);
        [value.to_le_bytes(), c.to_le_bytes()].concat()
    }

    /// A packet with only a header.
    pub fn bare(op: u8) -> Vec<u8> {
        [0u32.to_le_bytes(), ctl(op).to_le_bytes()].concat()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_every_modelled_packet() {
        let cb = [
            build::lin_dma(4096, 0x80_0000_1000, 0xff00_0000_2000_0000, false, true),
            build::msg(7, 0x7f_fcc0_4100, true),
            build::msg_short(0x8000_0001, 1, 0x20),
            build::fence(2, 1, 1),
            build::bare(opcode::NOP),
            build::wreg32(0xdead_beef, 0x8084),
            build::bare(opcode::WREG_BULK),
        ]
        .concat();
        let mut at = 0;
        let mut got = vec![];
        while at < cb.len() {
            let (p, n) = decode(&cb, at).unwrap();
            got.push(p);
            at += n;
        }
        assert_eq!(
            got,
            vec![
                Packet::LinDma {
                    tsize: 4096,
                    src: 0x80_0000_1000,
                    dst: 0x2000_0000,
                    memset: false,
                    wr_comp: true
                },
                Packet::MsgLong {
                    value: 7,
                    addr: 0x7f_fcc0_4100,
                    prot: true
                },
                Packet::MsgShort {
                    value: 0x8000_0001,
                    base: 1,
                    offset: 0x20
                },
                Packet::Fence {
                    id: 2,
                    target: 1,
                    dec: 1
                },
                Packet::Nop,
                Packet::Wreg32 {
                    value: 0xdead_beef,
                    reg_offset: 0x8084
                },
                Packet::NotModelled {
                    opcode: opcode::WREG_BULK
                },
            ]
        );
    }

    #[test]
    fn driver_encodings_decode_as_the_driver_means_them() {
        // The wait CB's fence: cfg 0x8001_0001, ctl 0xC800_0000.
        let mut p = vec![];
        p.extend_from_slice(&0x8001_0001u32.to_le_bytes());
        p.extend_from_slice(&0xC800_0000u32.to_le_bytes());
        assert_eq!(
            decode(&p, 0).unwrap().0,
            Packet::Fence {
                id: 2,
                target: 1,
                dec: 1
            }
        );
        // The kernel memset: ctl 0xC900_0018.
        let mut p = vec![0u8; 24];
        p[0..4].copy_from_slice(&64u32.to_le_bytes());
        p[4..8].copy_from_slice(&0xC900_0018u32.to_le_bytes());
        let Packet::LinDma {
            memset,
            wr_comp,
            tsize,
            ..
        } = decode(&p, 0).unwrap().0
        else {
            panic!()
        };
        assert!(memset && !wr_comp && tsize == 64);
    }

    #[test]
    fn malformed_buffers_are_errors() {
        let mut p = build::bare(opcode::NOP);
        p[7] = 0x0E; // opcode 0xE is undefined
        assert_eq!(
            decode(&p, 0),
            Err(DecodeError::Undefined { at: 0, opcode: 0xE })
        );
        let lin = build::lin_dma(1, 2, 3, false, false);
        assert_eq!(decode(&lin[..16], 0), Err(DecodeError::Truncated { at: 0 }));
        assert_eq!(decode(&lin, 20), Err(DecodeError::Truncated { at: 20 }));
    }

    #[test]
    fn wreg32_fields_follow_the_user_space_layout() {
        // Predicate and barriers are not the offset; the offset is bits 23:8.
        let mut p = build::wreg32(5, 0xfffc);
        p[4] |= 0x1f;
        p[7] |= 0x60;
        assert_eq!(
            decode(&p, 0),
            Ok((
                Packet::Wreg32 {
                    value: 5,
                    reg_offset: 0xfffc
                },
                8
            ))
        );
        // Offset 0x80 with the register and message barriers set, as a generator sets them.
        let mut p = vec![];
        p.extend_from_slice(&7u32.to_le_bytes());
        p.extend_from_slice(&0xC100_8000u32.to_le_bytes());
        assert_eq!(
            decode(&p, 0).unwrap().0,
            Packet::Wreg32 {
                value: 7,
                reg_offset: 0x80
            }
        );
    }

    #[test]
    fn malformed_wreg32_is_an_error_not_a_write() {
        let mut p = build::wreg32(1, 0x80);
        p[4] |= 1 << 5; // the later generations' "reg" bit
        let err = |why| {
            Err(DecodeError::Malformed {
                at: 0,
                opcode: opcode::WREG_32,
                why,
            })
        };
        assert_eq!(decode(&p, 0), err(Malformed::ReservedBits(0x20)));
        let mut p = build::wreg32(1, 0x80);
        p[4] |= 0xc0;
        assert_eq!(decode(&p, 0), err(Malformed::ReservedBits(0xc0)));
        for off in [0x82, 0x81, 0xffff] {
            assert_eq!(
                decode(&build::wreg32(1, off), 0),
                err(Malformed::UnalignedOffset(off))
            );
        }
    }
}
