// SPDX-License-Identifier: GPL-2.0

//! Illegal accesses (RAZWI: the access reads as zero, a write is ignored).
//!
//! When an engine reads or writes an address that nothing answers, Gaudi's MMU captures the
//! first read and the first write with the initiator's ID: the x and y of the router it sits
//! behind and its AXI ID. As upstream, the driver looks at the capture with the engine and
//! ECC error events, names the initiator in the log (for the DMA engines, two of which share
//! each router, by which of the two latched a read or write error in its core's
//! `ERR_CAUSE`), clears it, and keeps the first since the open for INFO's RAZWI_EVENT, with
//! the address the MMU's fault capture held at the same time (0 if none).

use crate::capture::Razwi;
use crate::gaudi::Gaudi;
use crate::regs::{self, DMA0_CORE, DMA_STRIDE};
use kernel::{prelude::*, uapi};

/// "No engine" in a RAZWI report (`HL_RAZWI_NA_ENG_ID`, `U16_MAX`; like the flags below, a
/// macro bindgen cannot evaluate).
pub(crate) const NA: u16 = u16::MAX;
/// `HL_RAZWI_READ` and `HL_RAZWI_WRITE`, bits 0 and 1.
const RAZWI_READ: u8 = 1 << 0;
const RAZWI_WRITE: u8 = 1 << 1;

/// AXI IDs of the initiators that share a router (`enum axi_id`).
mod axi {
    pub(super) const TPC: u32 = 1;
    pub(super) const NIC: u32 = 3;
    pub(super) const PCI: u32 = 4;
    pub(super) const CPU: u32 = 5;
    pub(super) const PSOC: u32 = 6;
    pub(super) const NIC_FT: u32 = 8;
}

/// First engine id of each class (`enum gaudi_engine_id`).
const DMA: u16 = uapi::gaudi_engine_id_GAUDI_ENGINE_ID_DMA_0 as u16;
const MME: u16 = uapi::gaudi_engine_id_GAUDI_ENGINE_ID_MME_0 as u16;
const TPC: u16 = uapi::gaudi_engine_id_GAUDI_ENGINE_ID_TPC_0 as u16;
const NIC: u16 = uapi::gaudi_engine_id_GAUDI_ENGINE_ID_NIC_0 as u16;

/// `DMA_CORE_ERR_CAUSE`: a read or a write failed on the high-bandwidth bus.
const HBW_RD_ERR: u32 = 1 << 0;
const HBW_WR_ERR: u32 = 1 << 1;

/// Who made an illegal access.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Initiator {
    /// A name for the log.
    pub(crate) name: &'static str,
    /// Up to two engines it may have been ([`NA`] for none).
    pub(crate) engines: [u16; 2],
}

/// An initiator that is one engine.
const fn one(name: &'static str, engine: u16) -> Initiator {
    Initiator {
        name,
        engines: [engine, NA],
    }
}

/// An initiator that is no engine (PCI, the device CPU, the PSOC, or unknown).
const fn nobody(name: &'static str) -> Initiator {
    Initiator {
        name,
        engines: [NA, NA],
    }
}

/// Names of the DMA engines, and of each pair behind one router.
const DMA_NAMES: [&str; 8] = [
    "DMA0", "DMA1", "DMA2", "DMA3", "DMA4", "DMA5", "DMA6", "DMA7",
];
const DMA_PAIRS: [&str; 4] = [
    "DMA0 or DMA2",
    "DMA1 or DMA3",
    "DMA4 or DMA6",
    "DMA5 or DMA7",
];

/// Decodes initiator ID `id` of an illegal write (`write`) or read; `err_cause(n)` reads DMA
/// core `n`'s `ERR_CAUSE`, asked only for an access from a DMA router.
pub(crate) fn decode(id: u32, write: bool, err_cause: impl Fn(u32) -> u32) -> Initiator {
    let x = (id >> 24) & 0xf;
    let y = (id >> 28) & 0x7;
    let axi_id = (id >> 20) & 0xf;
    match (x, y, axi_id) {
        (1, 1, axi::TPC) => one("TPC0", TPC),
        (1, 1, axi::NIC) => one("NIC0", NIC),
        (2, 1, _) => one("TPC1", TPC + 1),
        (3 | 4, 1, _) => one("MME0", MME),
        (5 | 6, 1, _) => one("MME1", MME + 1),
        (7, 1, _) => one("TPC2", TPC + 2),
        (8, 1, axi::TPC) => one("TPC3", TPC + 3),
        (8, 1, axi::PCI) => nobody("PCI"),
        (8, 1, axi::CPU) => nobody("CPU"),
        (8, 1, axi::PSOC) => nobody("PSOC"),
        (0 | 9, 1..=4, _) => {
            // DMA0/2 west-south, DMA1/3 east-south, DMA4/6 west-north, DMA5/7 east-north.
            let first = u32::from(x == 9) + if y >= 3 { 4 } else { 0 };
            let pair = [first, first + 2];
            let mask = if write { HBW_WR_ERR } else { HBW_RD_ERR };
            let [a, b] = pair.map(|n| err_cause(n) & mask != 0);
            match (a, b) {
                (true, false) => one(DMA_NAMES[pair[0] as usize], DMA + pair[0] as u16),
                (false, true) => one(DMA_NAMES[pair[1] as usize], DMA + pair[1] as u16),
                _ => Initiator {
                    name: DMA_PAIRS[(first % 4 + first / 4 * 2) as usize],
                    engines: [DMA + pair[0] as u16, DMA + pair[1] as u16],
                },
            }
        }
        (1, 6, axi::TPC) => one("TPC4", TPC + 4),
        (1, 6, axi::NIC) => one("NIC1", NIC + 1),
        (1, 6, axi::NIC_FT) => one("NIC2", NIC + 2),
        (2, 6, _) => one("TPC5", TPC + 5),
        (3 | 4, 6, _) => one("MME2", MME + 2),
        (5 | 6, 6, _) => one("MME3", MME + 3),
        (7, 6, _) => one("TPC6", TPC + 6),
        (8, 6, axi::TPC) => one("TPC7", TPC + 7),
        (8, 6, axi::NIC) => one("NIC4", NIC + 4),
        (8, 6, axi::NIC_FT) => one("NIC5", NIC + 5),
        _ => nobody("an unknown initiator"),
    }
}

impl Gaudi<'_> {
    /// Reads and clears the MMU's RAZWI capture, logs who made the illegal accesses, and
    /// returns what the capture says for INFO (without its address and time), if anything.
    pub(crate) fn take_razwi(&self) -> Option<Razwi> {
        let r = self.regs();
        let err_cause = |n: u32| r.rd(DMA0_CORE + n * DMA_STRIDE + regs::CORE_ERR_CAUSE);
        let mut out = Razwi {
            engines: [NA, NA],
            ..Razwi::default()
        };
        for (write, vld, id) in [
            (
                true,
                regs::MMU_UP_RAZWI_WRITE_VLD,
                regs::MMU_UP_RAZWI_WRITE_ID,
            ),
            (
                false,
                regs::MMU_UP_RAZWI_READ_VLD,
                regs::MMU_UP_RAZWI_READ_ID,
            ),
        ] {
            if r.rd(vld) == 0 {
                continue;
            }
            let who = decode(r.rd(id), write, err_cause);
            if self.may_log_error() {
                dev_err!(
                    self.bound(),
                    "illegal {} (RAZWI) by {}\n",
                    if write { "write" } else { "read" },
                    who.name
                );
            }
            r.wr(vld, 0);
            // As upstream, the read's initiator replaces the write's where it names engines.
            for (kept, found) in out.engines.iter_mut().zip(who.engines) {
                if found != NA {
                    *kept = found;
                }
            }
            out.flags |= if write { RAZWI_WRITE } else { RAZWI_READ };
        }
        (out.flags != 0).then_some(out)
    }
}

#[kunit_tests(habanalabs_rs_razwi)]
mod tests {
    use super::*;

    fn id(x: u32, y: u32, axi_id: u32) -> u32 {
        (y << 28) | (x << 24) | (axi_id << 20)
    }

    #[test]
    fn initiators_decode_as_upstream_names_them() {
        let none = |_| 0;
        assert_eq!(decode(id(1, 1, axi::TPC), true, none), one("TPC0", TPC));
        assert_eq!(decode(id(1, 1, axi::NIC), true, none), one("NIC0", NIC));
        assert_eq!(decode(id(4, 1, 0), false, none), one("MME0", MME));
        assert_eq!(decode(id(8, 1, axi::PCI), false, none), nobody("PCI"));
        assert_eq!(
            decode(id(8, 6, axi::NIC_FT), true, none),
            one("NIC5", NIC + 5)
        );
        assert_eq!(decode(id(6, 6, 0), true, none), one("MME3", MME + 3));
        assert_eq!(decode(id(8, 1, 0), true, none).engines, [NA, NA]);
        assert_eq!(decode(id(10, 7, 0), true, none).engines, [NA, NA]);
    }

    #[test]
    fn dma_engines_behind_one_router_are_told_apart_by_their_error_cause() {
        // DMA1 latched a write error, DMA3 nothing: DMA1.
        let cause = |n| if n == 1 { HBW_WR_ERR } else { 0 };
        assert_eq!(decode(id(9, 1, 2), true, cause), one("DMA1", DMA + 1));
        // A read error does not count for a write.
        let cause = |n| if n == 1 { HBW_RD_ERR } else { 0 };
        let both = decode(id(9, 2, 2), true, cause);
        assert_eq!(both.name, "DMA1 or DMA3");
        assert_eq!(both.engines, [DMA + 1, DMA + 3]);
        // DMA6 alone, behind the west-north router.
        let cause = |n| if n == 6 { HBW_RD_ERR } else { 0 };
        assert_eq!(decode(id(0, 4, 2), false, cause), one("DMA6", DMA + 6));
        // Both, or neither: both named.
        let cause = |_| HBW_WR_ERR | HBW_RD_ERR;
        assert_eq!(decode(id(0, 1, 2), true, cause).name, "DMA0 or DMA2");
        assert_eq!(decode(id(9, 3, 2), false, |_| 0).name, "DMA5 or DMA7");
    }
}
