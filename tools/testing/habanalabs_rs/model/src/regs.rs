// SPDX-License-Identifier: GPL-2.0
//! Gaudi register offsets the model implements, as device addresses relative to `CFG_BASE`
//! (the values of `asic_reg/gaudi_regs.h`), and the register file behind the configuration BAR.

use std::collections::{HashMap, HashSet};

/// Device address of the register blocks.
pub const CFG_BASE: u64 = 0x7F_FC00_0000;
/// Device address where the configuration BAR starts (the SPI flash).
pub const SPI_FLASH_BASE: u64 = 0x7F_F800_0000;
/// Bytes of register space (from `CFG_BASE` to the end of the configuration BAR).
pub const REGS_SIZE: u64 = 0x400_0000;

/// Writing asks the PCIe core to send the MSI.
pub const PCIE_CORE_MSI_REQ: u32 = 0xC0_4100;

/// Counters of register accesses, for tests and the exit summary.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RegStats {
    /// Reads of any register.
    pub reads: u64,
    /// Writes of any register.
    pub writes: u64,
    /// Reads of registers the model does not implement.
    pub unimplemented_reads: u64,
    /// Writes of registers the model does not implement.
    pub unimplemented_writes: u64,
}

/// Plain storage for registers without behaviour, with a count of every access to one.
///
/// A register the model does not implement keeps what was written to it (reads return 0
/// before any write), and each access is counted and reported once, so that a driver relying
/// on behaviour the model lacks is visible instead of silently answered.
#[derive(Default)]
pub struct RegisterFile {
    values: HashMap<u32, u32>,
    reported: HashSet<u32>,
    /// Access counters.
    pub stats: RegStats,
}

impl RegisterFile {
    /// Reads the stored value of an unimplemented register.
    pub fn read_unimplemented(&mut self, off: u32) -> u32 {
        self.stats.unimplemented_reads += 1;
        self.report(off, "read");
        self.values.get(&off).copied().unwrap_or(0)
    }

    /// Stores a write to an unimplemented register.
    pub fn write_unimplemented(&mut self, off: u32, v: u32) {
        self.stats.unimplemented_writes += 1;
        self.report(off, "write");
        self.values.insert(off, v);
    }

    fn report(&mut self, off: u32, what: &str) {
        if self.reported.insert(off) {
            crate::warn!(
                "{what} of register {:#x} (CFG_BASE + {off:#x}), which the model does not implement",
                CFG_BASE + u64::from(off)
            );
        }
    }

    /// Forgets every stored value (hard reset); counters keep counting.
    pub fn reset(&mut self) {
        self.values.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unimplemented_registers_store_and_count() {
        let mut r = RegisterFile::default();
        assert_eq!(r.read_unimplemented(0x1000), 0);
        r.write_unimplemented(0x1000, 0xdead_beef);
        assert_eq!(r.read_unimplemented(0x1000), 0xdead_beef);
        assert_eq!(r.stats.unimplemented_reads, 2);
        assert_eq!(r.stats.unimplemented_writes, 1);
        r.reset();
        assert_eq!(r.read_unimplemented(0x1000), 0);
    }

    #[test]
    fn register_space_is_the_upper_half_of_the_cfg_bar() {
        assert_eq!(CFG_BASE - SPI_FLASH_BASE, REGS_SIZE);
    }
}
