// SPDX-License-Identifier: GPL-2.0
//! MMU v1: per-ASID hop0 tables, the five-hop walk over page tables in HBM (4 KiB pages end at
//! hop4, 2 MiB pages at hop3), a translation cache that only an invalidation empties (as the
//! STLB does: a driver that forgets to invalidate sees stale translations), the capture
//! registers of the first fault, and the RAZWI registers that capture the first read and the
//! first write that decoded to nothing (the engines report those, see `engine.rs`).
//!
//! Which addresses are translated: with the MMU enabled, an engine transaction that does not
//! bypass the MMU translates addresses from `VA_HOST_SPACE_START` up; below that, addresses are
//! physical (HBM, SRAM, registers), except the host physical window, which only MMU-bypassing
//! (trusted) transactions may use. A user job therefore reaches host memory only through the
//! page tables its driver wrote.

use crate::mem::Memory;
use crate::regs::*;
use std::collections::HashMap;

/// Bit 0 of a PTE: present.
pub const PTE_PRESENT: u64 = 1;
/// Bit 11 of a PTE: last level (a leaf).
pub const PTE_LAST: u64 = 1 << 11;
/// PTE bits holding the physical address.
pub const PTE_ADDR_MASK: u64 = !0xfff;
/// Shift of the VA bits that index each hop.
pub const HOP_SHIFT: [u32; 5] = [48, 39, 30, 21, 12];
/// Mask of the index into each hop (hop0 has four entries).
pub const HOP_INDEX_MASK: [u64; 5] = [0x3, 0x1ff, 0x1ff, 0x1ff, 0x1ff];
/// First translated address.
pub const VA_HOST_SPACE_START: u64 = 0x1_0000_0000_0000;
/// End of the translated range.
pub const VA_HOST_SPACE_END: u64 = 0x3_FF80_0000_0000;
/// The capture registers' valid bit.
const CAPTURE_VALID: u32 = 1 << 18;

/// Why a translation failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// No valid mapping for the address.
    PageFault {
        /// The virtual address.
        va: u64,
    },
    /// The transaction may not reach that address (a user job naming host physical memory).
    AccessError {
        /// The address.
        va: u64,
    },
}

/// How an engine's transaction meets the MMU.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Initiator {
    /// Address space (bits 9:0 of the engine's properties register).
    pub asid: u32,
    /// MMU bypass (bit 10): a trusted, physical transaction.
    pub bypass: bool,
}

/// The MMU block.
#[derive(Default)]
pub struct Mmu {
    asid: u32,
    hop0_lo: u32,
    hop0_hi: u32,
    hop0: HashMap<u32, u64>,
    enabled: bool,
    inv_ps: u32,
    cache_inv: u32,
    tlb: HashMap<(u32, u64), u64>,
    page_error: (u32, u32),
    access_error: (u32, u32),
    /// RAZWI captures: (valid, initiator ID) of the first illegal write and read.
    razwi_write: (u32, u32),
    razwi_read: (u32, u32),
    /// Configuration the driver writes and the model only keeps: the cache-management page
    /// (bits 39:8 and 49:40), the hop configuration and the interrupt mask.
    config: [u32; 4],
    /// Translations served from the cache, walks done, faults: for tests and the summary.
    pub stats: (u64, u64, u64),
}

impl Mmu {
    /// Serves a register read if the register belongs to the MMU.
    pub fn read(&self, off: u32) -> Option<u32> {
        Some(match off {
            MMU_BUSY => 0, // hop0 latching completes at once
            MMU_ASID => self.asid,
            MMU_HOP0_PA43_12 => self.hop0_lo,
            MMU_HOP0_PA49_44 => self.hop0_hi,
            STLB_CACHE_INV => self.cache_inv,
            STLB_INV_PS => 0, // invalidation completes at once
            STLB_INV_SET => 0,
            MMU_UP_MMU_ENABLE => u32::from(self.enabled),
            MMU_UP_PAGE_ERROR_CAPTURE => self.page_error.0,
            MMU_UP_PAGE_ERROR_CAPTURE_VA => self.page_error.1,
            MMU_UP_ACCESS_ERROR_CAPTURE => self.access_error.0,
            MMU_UP_ACCESS_ERROR_CAPTURE_VA => self.access_error.1,
            MMU_UP_RAZWI_WRITE_VLD => self.razwi_write.0,
            MMU_UP_RAZWI_WRITE_ID => self.razwi_write.1,
            MMU_UP_RAZWI_READ_VLD => self.razwi_read.0,
            MMU_UP_RAZWI_READ_ID => self.razwi_read.1,
            STLB_CACHE_INV_BASE_39_8 => self.config[0],
            STLB_CACHE_INV_BASE_49_40 => self.config[1],
            STLB_HOP_CONFIGURATION => self.config[2],
            MMU_UP_SPI_MASK => self.config[3],
            // The memory-cache invalidation completes at once.
            STLB_MEM_CACHE_INVALIDATION => 0,
            _ => return None,
        })
    }

    /// Serves a register write if the register belongs to the MMU.
    pub fn write(&mut self, off: u32, v: u32) -> Option<()> {
        match off {
            MMU_BUSY => {
                if v & (1 << 31) != 0 {
                    let pa =
                        (u64::from(self.hop0_hi & 0x3f) << 44) | (u64::from(self.hop0_lo) << 12);
                    self.hop0.insert(self.asid, pa);
                    crate::debug!("MMU: ASID {} hop0 at HBM {pa:#x}", self.asid);
                }
            }
            MMU_ASID => self.asid = v & 0x3ff,
            MMU_HOP0_PA43_12 => self.hop0_lo = v,
            MMU_HOP0_PA49_44 => self.hop0_hi = v,
            STLB_CACHE_INV => self.cache_inv = v,
            STLB_INV_PS => {
                // The driver writes 3 to arm and 2 to start; the invalidation is immediate.
                if v == 2 && self.inv_ps == 3 {
                    self.tlb.clear();
                    crate::debug!("MMU: translation cache invalidated");
                }
                self.inv_ps = v;
            }
            STLB_INV_SET => {}
            MMU_UP_MMU_ENABLE => self.enabled = v & 1 != 0,
            MMU_UP_PAGE_ERROR_CAPTURE => self.page_error = (v & CAPTURE_VALID, self.page_error.1),
            MMU_UP_PAGE_ERROR_CAPTURE_VA => {}
            MMU_UP_ACCESS_ERROR_CAPTURE => {
                self.access_error = (v & CAPTURE_VALID, self.access_error.1)
            }
            MMU_UP_ACCESS_ERROR_CAPTURE_VA => {}
            // Writing the valid bit clears it (the driver writes 0); the IDs are read-only.
            MMU_UP_RAZWI_WRITE_VLD => self.razwi_write.0 = v & 1,
            MMU_UP_RAZWI_READ_VLD => self.razwi_read.0 = v & 1,
            MMU_UP_RAZWI_WRITE_ID | MMU_UP_RAZWI_READ_ID => {}
            STLB_CACHE_INV_BASE_39_8 => self.config[0] = v,
            STLB_CACHE_INV_BASE_49_40 => self.config[1] = v & 0x3ff,
            STLB_HOP_CONFIGURATION => self.config[2] = v,
            MMU_UP_SPI_MASK => self.config[3] = v,
            // The model keeps no memory cache of page tables: walks read HBM.
            STLB_MEM_CACHE_INVALIDATION => {}
            _ => return None,
        }
        Some(())
    }

    /// Captures an illegal access of initiator `id`, unless one of its direction is captured
    /// already (until the host clears the valid bit).
    pub fn latch_razwi(&mut self, write: bool, id: u32) {
        let cap = if write {
            &mut self.razwi_write
        } else {
            &mut self.razwi_read
        };
        if cap.0 == 0 {
            *cap = (1, id);
        }
    }

    /// Back to the post-reset state.
    pub fn reset(&mut self) {
        *self = Mmu {
            stats: self.stats,
            ..Mmu::default()
        };
    }

    /// Translates `va` for a transaction of `who`. A fault is captured (the first until the host
    /// clears the capture register) and returned.
    pub fn translate(&mut self, who: Initiator, va: u64, hbm: &Memory) -> Result<u64, Fault> {
        let r = self.lookup(who, va, hbm);
        if let Err(f) = r {
            self.stats.2 += 1;
            let (cap, addr) = match f {
                Fault::PageFault { va } => (&mut self.page_error, va),
                Fault::AccessError { va } => (&mut self.access_error, va),
            };
            if cap.0 & CAPTURE_VALID == 0 {
                *cap = (CAPTURE_VALID | ((addr >> 32) as u32 & 0x3ffff), addr as u32);
            }
        }
        r
    }

    /// Translates `va` of `asid` as a user engine's transaction would (through the STLB and
    /// the page tables), without capturing a fault: for tests that check what the driver
    /// mapped.
    pub fn probe(&mut self, asid: u32, va: u64, hbm: &Memory) -> Result<u64, Fault> {
        self.lookup(
            Initiator {
                asid,
                bypass: false,
            },
            va,
            hbm,
        )
    }

    fn lookup(&mut self, who: Initiator, va: u64, hbm: &Memory) -> Result<u64, Fault> {
        if who.bypass || !self.enabled {
            return Ok(va);
        }
        if va < VA_HOST_SPACE_START {
            if crate::host::device_to_bus(va).is_some() {
                return Err(Fault::AccessError { va });
            }
            return Ok(va);
        }
        if va >= VA_HOST_SPACE_END {
            return Err(Fault::PageFault { va });
        }
        let page = va >> 12;
        if let Some(pa_page) = self.tlb.get(&(who.asid, page)) {
            self.stats.0 += 1;
            return Ok(pa_page | (va & 0xfff));
        }
        self.stats.1 += 1;
        let mut hop = *self.hop0.get(&who.asid).ok_or(Fault::PageFault { va })?;
        for (level, (&shift, &mask)) in HOP_SHIFT.iter().zip(HOP_INDEX_MASK.iter()).enumerate() {
            let idx = (va >> shift) & mask;
            let mut b = [0u8; 8];
            hbm.read(hop + idx * 8, &mut b)
                .map_err(|_| Fault::PageFault { va })?;
            let pte = u64::from_le_bytes(b);
            if pte & PTE_PRESENT == 0 {
                return Err(Fault::PageFault { va });
            }
            if pte & PTE_LAST != 0 || level == HOP_SHIFT.len() - 1 {
                // A leaf at hop3 maps 2 MiB, at hop4 4 KiB (hop1/hop2 leaves would be larger
                // pages, which Gaudi does not use; they are refused).
                if level < 3 {
                    return Err(Fault::PageFault { va });
                }
                let size = 1u64 << shift;
                let pa = (pte & PTE_ADDR_MASK & !(size - 1)) | (va & (size - 1));
                self.tlb.insert((who.asid, page), pa & !0xfff);
                return Ok(pa);
            }
            hop = pte & PTE_ADDR_MASK;
        }
        Err(Fault::PageFault { va })
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) const HOP0: u64 = 0x1000_1000;
    const USER: Initiator = Initiator {
        asid: 1,
        bypass: false,
    };

    /// Writes page tables the way the driver does: hops allocated from `next`.
    pub(crate) fn map(hbm: &mut Memory, next: &mut u64, va: u64, pa: u64, huge: bool) {
        let levels = if huge { 4 } else { 5 };
        let mut hop = HOP0;
        for level in 0..levels {
            let at = hop + ((va >> HOP_SHIFT[level]) & HOP_INDEX_MASK[level]) * 8;
            let mut b = [0u8; 8];
            hbm.read(at, &mut b).unwrap();
            let pte = u64::from_le_bytes(b);
            if level == levels - 1 {
                hbm.write(
                    at,
                    &((pa & PTE_ADDR_MASK) | PTE_LAST | PTE_PRESENT).to_le_bytes(),
                )
                .unwrap();
            } else if pte & PTE_PRESENT != 0 {
                hop = pte & PTE_ADDR_MASK;
            } else {
                let new = *next;
                *next += 4096;
                hbm.write(at, &(new | PTE_PRESENT).to_le_bytes()).unwrap();
                hop = new;
            }
        }
    }

    fn setup() -> (Mmu, Memory) {
        let mut m = Mmu::default();
        m.write(MMU_ASID, 1);
        m.write(MMU_HOP0_PA43_12, (HOP0 >> 12) as u32);
        m.write(MMU_HOP0_PA49_44, 0);
        m.write(MMU_BUSY, 1 << 31);
        m.write(MMU_UP_MMU_ENABLE, 1);
        (m, Memory::new(1 << 30).unwrap())
    }

    fn invalidate(m: &mut Mmu) {
        m.write(STLB_INV_PS, 3);
        m.write(STLB_CACHE_INV, 1);
        m.write(STLB_INV_PS, 2);
        assert_eq!(m.read(STLB_INV_PS), Some(0));
    }

    #[test]
    fn walks_4k_and_2m_pages() {
        let (mut m, mut hbm) = setup();
        let mut next = 0x1000_2000;
        let va = VA_HOST_SPACE_START + 0x1234_5000;
        map(&mut hbm, &mut next, va, 0x80_0004_2000, false);
        assert_eq!(m.translate(USER, va + 0x10, &hbm), Ok(0x80_0004_2010));
        let huge = VA_HOST_SPACE_START + 0x4000_0000;
        map(&mut hbm, &mut next, huge, 0x80_1000_0000, true);
        assert_eq!(
            m.translate(USER, huge + 0x1f_fff8, &hbm),
            Ok(0x80_101f_fff8)
        );
        assert_eq!(
            m.translate(USER, va + 0x1000, &hbm),
            Err(Fault::PageFault { va: va + 0x1000 })
        );
    }

    #[test]
    fn cache_holds_until_invalidated() {
        let (mut m, mut hbm) = setup();
        let mut next = 0x1000_2000;
        let va = VA_HOST_SPACE_START;
        map(&mut hbm, &mut next, va, 0x80_0000_1000, false);
        assert_eq!(m.translate(USER, va, &hbm), Ok(0x80_0000_1000));
        // The driver unmaps (clears the leaf) but does not invalidate: still translated.
        let leaf = {
            let mut hop = HOP0;
            for level in 0..4 {
                let mut b = [0u8; 8];
                hbm.read(
                    hop + ((va >> HOP_SHIFT[level]) & HOP_INDEX_MASK[level]) * 8,
                    &mut b,
                )
                .unwrap();
                hop = u64::from_le_bytes(b) & PTE_ADDR_MASK;
            }
            hop + ((va >> 12) & 0x1ff) * 8
        };
        hbm.write(leaf, &0u64.to_le_bytes()).unwrap();
        assert_eq!(m.translate(USER, va, &hbm), Ok(0x80_0000_1000));
        invalidate(&mut m);
        assert_eq!(m.translate(USER, va, &hbm), Err(Fault::PageFault { va }));
    }

    #[test]
    fn faults_are_captured_once_until_cleared() {
        let (mut m, hbm) = setup();
        let va = VA_HOST_SPACE_START + 0xabc_d000_1000;
        assert!(m.translate(USER, va, &hbm).is_err());
        assert!(m.translate(USER, va + 0x1000, &hbm).is_err());
        let cap = m.read(MMU_UP_PAGE_ERROR_CAPTURE).unwrap();
        assert_eq!(cap & CAPTURE_VALID, CAPTURE_VALID);
        let got = (u64::from(cap & 0x3ffff) << 32)
            | u64::from(m.read(MMU_UP_PAGE_ERROR_CAPTURE_VA).unwrap());
        assert_eq!(got, va, "the first fault is kept");
        m.write(MMU_UP_PAGE_ERROR_CAPTURE, 0);
        assert!(m.translate(USER, va + 0x2000, &hbm).is_err());
        assert_eq!(
            m.read(MMU_UP_PAGE_ERROR_CAPTURE_VA),
            Some((va + 0x2000) as u32)
        );
    }

    #[test]
    fn physical_ranges_and_bypass() {
        let (mut m, hbm) = setup();
        // HBM and SRAM are physical for everyone.
        assert_eq!(m.translate(USER, 0x2000_0000, &hbm), Ok(0x2000_0000));
        // Host physical memory: only trusted (bypassing) transactions.
        assert_eq!(
            m.translate(USER, 0x80_0000_0000, &hbm),
            Err(Fault::AccessError { va: 0x80_0000_0000 })
        );
        let kernel = Initiator {
            asid: 0,
            bypass: true,
        };
        assert_eq!(
            m.translate(kernel, 0x80_0000_0000, &hbm),
            Ok(0x80_0000_0000)
        );
        // An ASID with no hop0 faults.
        let other = Initiator {
            asid: 5,
            bypass: false,
        };
        assert!(m.translate(other, VA_HOST_SPACE_START, &hbm).is_err());
        // Reset forgets everything.
        m.reset();
        assert_eq!(
            m.translate(USER, VA_HOST_SPACE_START, &hbm),
            Ok(VA_HOST_SPACE_START),
            "MMU disabled"
        );
    }
}
