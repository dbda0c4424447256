// SPDX-License-Identifier: GPL-2.0
//! Gaudi register offsets the model implements, as device addresses relative to `CFG_BASE`
//! (the values of `asic_reg/*.h` and `gaudi_reg_map.h`), and the register file that stores
//! registers without behaviour.

use std::collections::{HashMap, HashSet};

/// Device address of the register blocks.
pub const CFG_BASE: u64 = 0x7F_FC00_0000;
/// Device address where the configuration BAR starts (the SPI flash).
pub const SPI_FLASH_BASE: u64 = 0x7F_F800_0000;
/// Bytes of register space (from `CFG_BASE` to the end of the configuration BAR).
pub const REGS_SIZE: u64 = 0x400_0000;
/// Device address of SRAM.
pub const SRAM_BASE: u64 = 0x7F_F000_0000;

// PCIe core.
/// Writing asks the PCIe core to send the MSI.
pub const PCIE_CORE_MSI_REQ: u32 = 0xC0_4100;
/// Selects what DBI accesses reach (0x300000: the iATU registers).
pub const PCIE_AUX_DBI: u32 = 0xC0_7490;
/// FLR control, written before a driver-performed reset.
pub const PCIE_AUX_FLR_CTRL: u32 = 0xC0_7394;
/// The PCIe controller's DBI window (iATU registers when `PCIE_AUX_DBI` selects them).
pub const PCIE_DBI_BASE: u32 = 0xC0_2000;
/// Bytes of the DBI window.
pub const PCIE_DBI_SIZE: u32 = 0x1000;
/// `PCIE_AUX_DBI` value that selects the iATU.
pub const AUX_DBI_IATU: u32 = 0x30_0000;

// PSOC global configuration: boot scratchpads, reset.
/// Written before a reset so that the boot ROM does not reinitialise the PCIe link.
pub const PREBOOT_PCIE_EN: u32 = 0xC4_B074;
/// Written to 1 before `SW_ALL_RST`.
pub const BOOT_SEQ_RE_START: u32 = 0xC4_B024;
/// Boot state machine; bits 3:0 read 0 once the device is out of reset.
pub const BTM_FSM: u32 = 0xC4_B028;
/// Scratchpad 0: 0 clean, 1 dirty (a driver ran since the last reset).
pub const HW_STATE: u32 = 0xC4_B100;
/// Scratchpad 20: firmware capability bits.
pub const CPU_BOOT_DEV_STS0: u32 = 0xC4_B150;
/// Scratchpad 21: more capability bits.
pub const CPU_BOOT_DEV_STS1: u32 = 0xC4_B154;
/// Scratchpad 23: the firmware's answer to `KMD_MSG_TO_CPU`.
pub const CPU_CMD_STATUS_TO_HOST: u32 = 0xC4_B15C;
/// Scratchpad 24: boot errors.
pub const CPU_BOOT_ERR0: u32 = 0xC4_B160;
/// Scratchpad 25: more boot errors.
pub const CPU_BOOT_ERR1: u32 = 0xC4_B164;
/// Scratchpad 28: SRAM offset of the preboot version string.
pub const PREBOOT_VER_OFFSET: u32 = 0xC4_B170;
/// Scratchpad 29: SRAM offset of the boot-fit version string.
pub const UBOOT_VER_OFFSET: u32 = 0xC4_B174;
/// Boot progress of the device CPU.
pub const CPU_BOOT_STATUS: u32 = 0xC4_B300;
/// Host-to-firmware message.
pub const KMD_MSG_TO_CPU: u32 = 0xC4_B304;
/// Reset configuration, low.
pub const SW_ALL_RST_CFG_L: u32 = 0xC4_B490;
/// Reset configuration, high.
pub const SW_ALL_RST_CFG_H: u32 = 0xC4_B494;
/// Writing bit 0 hard-resets the device.
pub const SW_ALL_RST: u32 = 0xC4_B498;
/// Soft reset configuration, low.
pub const SOFT_RST_CFG_L: u32 = 0xC4_B4A4;
/// Soft reset configuration, high.
pub const SOFT_RST_CFG_H: u32 = 0xC4_B4A8;

// Device CPU interface (CPU-CP queues).
/// Host-to-CPU producer index of the CPU PQ.
pub const CPU_IF_PF_PQ_PI: u32 = 0x44_2200;
/// CPU PQ base, low 32 bits (CPU view).
pub const CPU_IF_PQ_BASE_ADDR_LOW: u32 = 0x44_2204;
/// CPU PQ base, high 32 bits.
pub const CPU_IF_PQ_BASE_ADDR_HIGH: u32 = 0x44_2208;
/// CPU PQ bytes.
pub const CPU_IF_PQ_LENGTH: u32 = 0x44_220C;
/// CPU-accessible window base, low.
pub const CPU_IF_CQ_BASE_ADDR_LOW: u32 = 0x44_2210;
/// CPU-accessible window base, high.
pub const CPU_IF_CQ_BASE_ADDR_HIGH: u32 = 0x44_2214;
/// CPU-accessible window bytes.
pub const CPU_IF_CQ_LENGTH: u32 = 0x44_2218;
/// Event queue base, low.
pub const CPU_IF_EQ_BASE_ADDR_LOW: u32 = 0x44_2220;
/// Event queue base, high.
pub const CPU_IF_EQ_BASE_ADDR_HIGH: u32 = 0x44_2224;
/// Event queue bytes.
pub const CPU_IF_EQ_LENGTH: u32 = 0x44_2228;
/// Event queue consumer index (entries).
pub const CPU_IF_EQ_RD_OFFS: u32 = 0x44_222C;
/// Queue initialisation handshake.
pub const CPU_IF_QUEUE_INIT: u32 = 0x44_2230;
/// Bits 49:39 of host addresses the CPU uses.
pub const CPU_IF_CPU_MSB_ADDR: u32 = 0x44_212C;
/// GIC "set SPI" register: the host's doorbell to the device CPU.
pub const GIC_SETSPI_NSR: u32 = 0x80_0040;

// MMU.
/// Bit 31: latch `MMU_ASID`/`MMU_HOP0_*` (busy until done).
pub const MMU_BUSY: u32 = 0xC1_2000;
/// ASID whose hop0 is being set.
pub const MMU_ASID: u32 = 0xC1_2004;
/// Hop0 physical address bits 43:12.
pub const MMU_HOP0_PA43_12: u32 = 0xC1_2008;
/// Hop0 physical address bits 49:44.
pub const MMU_HOP0_PA49_44: u32 = 0xC1_200C;
/// STLB cache invalidation producer index.
pub const STLB_CACHE_INV: u32 = 0xC1_2010;
/// Cache-management page of the STLB, address bits 39:8.
pub const STLB_CACHE_INV_BASE_39_8: u32 = 0xC1_2014;
/// Cache-management page of the STLB, address bits 49:40.
pub const STLB_CACHE_INV_BASE_49_40: u32 = 0xC1_2018;
/// STLB hop configuration.
pub const STLB_HOP_CONFIGURATION: u32 = 0xC1_2024;
/// Starts an invalidation of the STLB's memory cache.
pub const STLB_MEM_CACHE_INVALIDATION: u32 = 0xC1_2050;
/// MMU interrupt mask.
pub const MMU_UP_SPI_MASK: u32 = 0xC1_102C;
/// STLB invalidation state: 3 arm, 2 go, reads 0 when done.
pub const STLB_INV_PS: u32 = 0xC1_203C;
/// STLB invalidation set (cleared after an invalidation).
pub const STLB_INV_SET: u32 = 0xC1_2048;
/// MMU enable.
pub const MMU_UP_MMU_ENABLE: u32 = 0xC1_100C;
/// Page fault capture: bit 18 valid, bits 17:0 VA 49:32.
pub const MMU_UP_PAGE_ERROR_CAPTURE: u32 = 0xC1_1034;
/// Page fault capture: VA 31:0.
pub const MMU_UP_PAGE_ERROR_CAPTURE_VA: u32 = 0xC1_1038;
/// Access error capture: bit 18 valid, bits 17:0 VA 49:32.
pub const MMU_UP_ACCESS_ERROR_CAPTURE: u32 = 0xC1_103C;
/// Access error capture: VA 31:0.
pub const MMU_UP_ACCESS_ERROR_CAPTURE_VA: u32 = 0xC1_1040;
/// The MMU's capture of the first illegal write (RAZWI): valid bit, then the initiator ID.
pub const MMU_UP_RAZWI_WRITE_VLD: u32 = 0xC1_105C;
/// See [`MMU_UP_RAZWI_WRITE_VLD`].
pub const MMU_UP_RAZWI_WRITE_ID: u32 = 0xC1_1060;
/// The same for the first illegal read.
pub const MMU_UP_RAZWI_READ_VLD: u32 = 0xC1_1064;
/// See [`MMU_UP_RAZWI_READ_VLD`].
pub const MMU_UP_RAZWI_READ_ID: u32 = 0xC1_1068;

/// PSOC timestamp counter control: bit 0 enables counting.
pub const PSOC_TIMESTAMP_CNTCR: u32 = 0xC4_9000;
/// PSOC timestamp counter, bits 31:0.
pub const PSOC_TIMESTAMP_CNTCVL: u32 = 0xC4_9008;
/// PSOC timestamp counter, bits 63:32.
pub const PSOC_TIMESTAMP_CNTCVU: u32 = 0xC4_900C;
/// The timestamp counter's rate: the PSOC PLL's third output, which the firmware reports as
/// 100 MHz.
pub const PSOC_TIMESTAMP_HZ: u64 = 100_000_000;

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

    /// Stores a write to a register whose only behaviour is to keep the value, without
    /// reporting it (reset preparation registers the model acts on elsewhere).
    pub fn write_unimplemented_quiet(&mut self, off: u32, v: u32) {
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
