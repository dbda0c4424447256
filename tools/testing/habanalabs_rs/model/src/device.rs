// SPDX-License-Identifier: GPL-2.0
//! The emulated Gaudi: its BARs, memories, registers and MSI.

use crate::mem::Memory;
use crate::pci_cfg::{ConfigSpace, MemBar};
use crate::regs::{self, RegisterFile};

/// BAR number of the SRAM window.
pub const SRAM_BAR: u32 = 0;
/// BAR number of the configuration window.
pub const CFG_BAR: u32 = 2;
/// BAR number of the HBM window.
pub const HBM_BAR: u32 = 4;
/// Size of the SRAM BAR.
pub const SRAM_BAR_SIZE: u64 = 64 << 20;
/// Size of the configuration BAR.
pub const CFG_BAR_SIZE: u64 = 128 << 20;
/// Bytes of on-chip SRAM (the rest of the SRAM BAR decodes to nothing).
pub const SRAM_SIZE: u64 = 0x140_0000;
/// Offset of the register blocks inside the configuration BAR.
pub const REGS_IN_CFG_BAR: u64 = regs::CFG_BASE - regs::SPI_FLASH_BASE;

/// Where the device's MSI goes: the vfio-user eventfd, or a recorder in tests.
pub trait MsiSink: Send {
    /// Sends one interrupt; false if it could not be delivered.
    fn send(&mut self) -> bool;
}

impl MsiSink for std::fs::File {
    fn send(&mut self) -> bool {
        use std::io::Write;
        self.write_all(&1u64.to_ne_bytes()).is_ok()
    }
}

/// Counters of what the device did, for tests and the exit summary.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Interrupts delivered.
    pub msi_sent: u64,
    /// Interrupts asked for while no MSI was set up, or that could not be delivered.
    pub msi_lost: u64,
    /// Accesses to BAR space that decodes to nothing, or of a width the block cannot take.
    pub bad_accesses: u64,
    /// Hard resets.
    pub resets: u64,
}

/// One emulated Gaudi.
pub struct Gaudi {
    /// PCI configuration space.
    pub cfg: ConfigSpace,
    bars: [MemBar; 3],
    sram: Memory,
    hbm: Memory,
    hbm_bar_base: u64,
    /// Registers without behaviour.
    pub regs: RegisterFile,
    msi: Option<Box<dyn MsiSink>>,
    /// What the device did.
    pub stats: Stats,
}

impl Gaudi {
    /// A Gaudi with `hbm_size` bytes of HBM seen through a BAR of `hbm_bar_size` bytes.
    #[cfg(test)]
    pub fn new(hbm_size: u64, hbm_bar_size: u64) -> std::io::Result<Gaudi> {
        Self::with_sram_bar(hbm_size, hbm_bar_size, SRAM_BAR_SIZE)
    }

    /// Like [`Gaudi::new`] with a BAR0 of `sram_bar_size` bytes: not a real Gaudi unless that is
    /// 64 MiB, for testing that drivers refuse it.
    pub fn with_sram_bar(
        hbm_size: u64,
        hbm_bar_size: u64,
        sram_bar_size: u64,
    ) -> std::io::Result<Gaudi> {
        let bars = [
            MemBar {
                index: 0,
                size: sram_bar_size,
                prefetchable: true,
            },
            MemBar {
                index: 2,
                size: CFG_BAR_SIZE,
                prefetchable: false,
            },
            MemBar {
                index: 4,
                size: hbm_bar_size,
                prefetchable: true,
            },
        ];
        Ok(Gaudi {
            cfg: ConfigSpace::new(&bars),
            bars,
            sram: Memory::new(SRAM_SIZE)?,
            hbm: Memory::new(hbm_size)?,
            hbm_bar_base: 0,
            regs: RegisterFile::default(),
            msi: None,
            stats: Stats::default(),
        })
    }

    /// Size of BAR `index`, 0 for a BAR the device does not have.
    pub fn bar_size(&self, index: u32) -> u64 {
        self.bars
            .iter()
            .find(|b| b.index as u32 == index)
            .map_or(0, |b| b.size)
    }

    /// Connects (or, with `None`, disconnects) the MSI.
    pub fn set_msi(&mut self, sink: Option<Box<dyn MsiSink>>) {
        self.msi = sink;
    }

    fn raise_msi(&mut self) {
        let delivered = self.msi.as_mut().is_some_and(|m| m.send());
        match delivered {
            true => {
                self.stats.msi_sent += 1;
                crate::debug!("MSI sent");
            }
            false => {
                self.stats.msi_lost += 1;
                crate::warn!("MSI requested but the guest has not set one up; dropped");
            }
        }
    }

    fn bad_access(&mut self, what: &str, bar: u32, offset: u64, len: usize) {
        self.stats.bad_accesses += 1;
        crate::warn!("{what} of {len} bytes at BAR{bar} + {offset:#x} decodes to nothing");
    }

    /// Serves a guest read of `data.len()` bytes at `offset` in BAR `bar`.
    pub fn bar_read(&mut self, bar: u32, offset: u64, data: &mut [u8]) {
        let ok = match bar {
            SRAM_BAR => {
                self.sram_window(offset, data.len()) && self.sram.read(offset, data).is_ok()
            }
            HBM_BAR => self
                .hbm_window(offset, data.len())
                .is_some_and(|a| self.hbm.read(a, data).is_ok()),
            CFG_BAR => self.cfg_read(offset, data),
            _ => false,
        };
        if !ok {
            data.fill(0xff);
            self.bad_access("read", bar, offset, data.len());
        }
        crate::trace!("read  BAR{bar} + {offset:#x}: {data:02x?}");
    }

    /// Serves a guest write of `data` at `offset` in BAR `bar`.
    pub fn bar_write(&mut self, bar: u32, offset: u64, data: &[u8]) {
        crate::trace!("write BAR{bar} + {offset:#x}: {data:02x?}");
        let ok = match bar {
            SRAM_BAR => {
                self.sram_window(offset, data.len()) && self.sram.write(offset, data).is_ok()
            }
            HBM_BAR => match self.hbm_window(offset, data.len()) {
                Some(a) => self.hbm.write(a, data).is_ok(),
                None => false,
            },
            CFG_BAR => self.cfg_write(offset, data),
            _ => false,
        };
        if !ok {
            self.bad_access("write", bar, offset, data.len());
        }
    }

    /// Whether an access through the SRAM BAR fits in the BAR.
    fn sram_window(&self, offset: u64, len: usize) -> bool {
        offset
            .checked_add(len as u64)
            .is_some_and(|end| end <= self.bar_size(SRAM_BAR))
    }

    /// HBM address of an access through the HBM BAR, if it fits in the BAR and in HBM.
    fn hbm_window(&self, offset: u64, len: usize) -> Option<u64> {
        let end = offset.checked_add(len as u64)?;
        if end > self.bar_size(HBM_BAR) {
            return None;
        }
        self.hbm_bar_base.checked_add(offset)
    }

    /// Splits a configuration-BAR access into 32-bit registers.
    fn reg_offsets(offset: u64, len: usize) -> Option<impl Iterator<Item = u32>> {
        let start = offset.checked_sub(REGS_IN_CFG_BAR)?;
        if start % 4 != 0 || !(len == 4 || len == 8) || start + len as u64 > regs::REGS_SIZE {
            return None;
        }
        Some((0..len as u32 / 4).map(move |i| start as u32 + 4 * i))
    }

    fn cfg_read(&mut self, offset: u64, data: &mut [u8]) -> bool {
        // The SPI flash half is not modelled.
        let Some(offs) = Self::reg_offsets(offset, data.len()) else {
            return false;
        };
        for (i, off) in offs.enumerate() {
            self.regs.stats.reads += 1;
            let v = match off {
                regs::PCIE_CORE_MSI_REQ => 0,
                _ => self.regs.read_unimplemented(off),
            };
            data[4 * i..4 * i + 4].copy_from_slice(&v.to_le_bytes());
        }
        true
    }

    fn cfg_write(&mut self, offset: u64, data: &[u8]) -> bool {
        let Some(offs) = Self::reg_offsets(offset, data.len()) else {
            return false;
        };
        for (i, off) in offs.enumerate() {
            self.regs.stats.writes += 1;
            let v = u32::from_le_bytes(data[4 * i..4 * i + 4].try_into().unwrap_or_default());
            match off {
                regs::PCIE_CORE_MSI_REQ => {
                    if v != 0 {
                        self.raise_msi();
                    }
                }
                _ => self.regs.write_unimplemented(off, v),
            }
        }
        true
    }

    /// Hard reset: every block back to its post-reset state. Memory keeps its contents, as
    /// DRAM does across a reset; the interrupt set-up belongs to the host and stays.
    pub fn reset(&mut self) {
        self.stats.resets += 1;
        self.regs.reset();
        self.hbm_bar_base = 0;
        self.cfg.reset(&self.bars);
    }

    /// One line describing what happened, for the log when the model exits.
    pub fn summary(&self) -> String {
        let r = self.regs.stats;
        format!(
            "register reads {} (unimplemented {}), writes {} (unimplemented {}); MSI sent {}, lost {}; bad BAR accesses {}; resets {}",
            r.reads, r.unimplemented_reads, r.writes, r.unimplemented_writes,
            self.stats.msi_sent, self.stats.msi_lost, self.stats.bad_accesses, self.stats.resets
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    struct Recorder(Arc<Mutex<u32>>);
    impl MsiSink for Recorder {
        fn send(&mut self) -> bool {
            *self.0.lock().unwrap() += 1;
            true
        }
    }

    fn gaudi() -> Gaudi {
        Gaudi::new(1 << 30, 256 << 20).unwrap()
    }

    const MSI_REQ: u64 = REGS_IN_CFG_BAR + regs::PCIE_CORE_MSI_REQ as u64;

    #[test]
    fn msi_request_register_raises_the_interrupt() {
        let mut g = gaudi();
        let n = Arc::new(Mutex::new(0));
        g.bar_write(CFG_BAR, MSI_REQ, &1u32.to_le_bytes());
        assert_eq!(
            g.stats.msi_lost, 1,
            "no MSI set up yet: counted as lost, not faked"
        );
        g.set_msi(Some(Box::new(Recorder(n.clone()))));
        g.bar_write(CFG_BAR, MSI_REQ, &1u32.to_le_bytes());
        g.bar_write(CFG_BAR, MSI_REQ, &1u32.to_le_bytes());
        assert_eq!(*n.lock().unwrap(), 2);
        assert_eq!(g.stats.msi_sent, 2);
        g.bar_write(CFG_BAR, MSI_REQ, &0u32.to_le_bytes());
        assert_eq!(*n.lock().unwrap(), 2, "writing 0 requests nothing");
    }

    #[test]
    fn sram_and_hbm_windows_keep_data() {
        let mut g = gaudi();
        g.bar_write(SRAM_BAR, 0x1000, &[1, 2, 3, 4, 5, 6, 7, 8]);
        g.bar_write(HBM_BAR, (256 << 20) - 8, &[9; 8]);
        let mut b = [0u8; 8];
        g.bar_read(SRAM_BAR, 0x1000, &mut b);
        assert_eq!(b, [1, 2, 3, 4, 5, 6, 7, 8]);
        g.bar_read(HBM_BAR, (256 << 20) - 8, &mut b);
        assert_eq!(b, [9; 8]);
        assert_eq!(g.stats.bad_accesses, 0);
    }

    #[test]
    fn accesses_that_decode_to_nothing_read_ones_and_are_counted() {
        let mut g = gaudi();
        let mut b = [0u8; 4];
        g.bar_read(SRAM_BAR, SRAM_SIZE, &mut b); // SRAM is 20 MiB of the 64 MiB BAR
        assert_eq!(b, [0xff; 4]);
        g.bar_read(HBM_BAR, 256 << 20, &mut b); // past the window
        g.bar_read(CFG_BAR, 0, &mut b); // SPI flash: not modelled
        g.bar_read(CFG_BAR, MSI_REQ + 1, &mut b); // misaligned register
        g.bar_write(CFG_BAR, MSI_REQ, &[1, 0]); // 16-bit register write
        g.bar_read(3, 0, &mut b); // no such BAR
        assert_eq!(g.stats.bad_accesses, 6);
        assert_eq!(g.stats.msi_lost + g.stats.msi_sent, 0);
    }

    #[test]
    fn unimplemented_registers_are_counted_and_reset_clears_them() {
        let mut g = gaudi();
        let off = REGS_IN_CFG_BAR + 0x4000;
        g.bar_write(CFG_BAR, off, &[0xaa, 0xbb, 0xcc, 0xdd, 1, 2, 3, 4]);
        let mut b = [0u8; 8];
        g.bar_read(CFG_BAR, off, &mut b);
        assert_eq!(b, [0xaa, 0xbb, 0xcc, 0xdd, 1, 2, 3, 4]);
        assert_eq!(g.regs.stats.unimplemented_writes, 2);
        assert_eq!(g.regs.stats.unimplemented_reads, 2);
        g.reset();
        g.bar_read(CFG_BAR, off, &mut b);
        assert_eq!(b, [0; 8]);
        assert_eq!(g.stats.resets, 1);
    }

    #[test]
    fn bar_sizes_follow_the_options() {
        let g = Gaudi::new(1 << 30, 64 << 20).unwrap();
        assert_eq!(g.bar_size(0), 64 << 20);
        assert_eq!(g.bar_size(2), 128 << 20);
        assert_eq!(g.bar_size(4), 64 << 20);
        assert_eq!(g.bar_size(1), 0);
    }
}
