// SPDX-License-Identifier: GPL-2.0

//! Gaudi PCI BAR layout and the checks probe makes on it.
//!
//! Gaudi exposes three memory BARs: a window onto on-chip SRAM, a window onto the
//! configuration space (SPI flash followed by the register blocks), and a movable window onto
//! HBM. The first two have fixed sizes; a device reporting other sizes is not a Gaudi this
//! driver knows how to program, so probe refuses it, as the C driver does.

/// BAR number of the SRAM window.
pub(crate) const SRAM_BAR: u32 = 0;
/// BAR number of the configuration-space window.
pub(crate) const CFG_BAR: u32 = 2;
/// BAR number of the movable HBM window.
pub(crate) const HBM_BAR: u32 = 4;

/// Size the SRAM BAR must have: 64 MiB.
pub(crate) const SRAM_BAR_SIZE: u64 = 0x400_0000;
/// Size the configuration BAR must have: 128 MiB.
pub(crate) const CFG_BAR_SIZE: usize = 0x800_0000;

/// Device address at which the configuration BAR starts (the SPI flash).
pub(crate) const SPI_FLASH_BASE: u64 = 0x7F_F800_0000;
/// Device address of the register blocks.
pub(crate) const CFG_BASE: u64 = 0x7F_FC00_0000;
/// Offset of the register blocks inside the configuration BAR.
pub(crate) const REGS_OFFSET_IN_CFG_BAR: usize = (CFG_BASE - SPI_FLASH_BASE) as usize;

/// Why a device's BARs do not look like a Gaudi's.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum BarError {
    /// A BAR has a size other than the one Gaudi defines for it.
    WrongSize {
        /// The BAR number.
        bar: u32,
        /// The size the device reports.
        found: u64,
        /// The size Gaudi has.
        expected: u64,
    },
    /// The HBM BAR is absent or not a power of two.
    BadHbmWindow {
        /// The size the device reports.
        found: u64,
    },
}

/// Checks the BAR sizes a device reports against Gaudi's layout.
pub(crate) fn check_bar_sizes(sram: u64, cfg: u64, hbm: u64) -> Result<(), BarError> {
    if sram != SRAM_BAR_SIZE {
        return Err(BarError::WrongSize {
            bar: SRAM_BAR,
            found: sram,
            expected: SRAM_BAR_SIZE,
        });
    }
    if cfg != CFG_BAR_SIZE as u64 {
        return Err(BarError::WrongSize {
            bar: CFG_BAR,
            found: cfg,
            expected: CFG_BAR_SIZE as u64,
        });
    }
    if !hbm.is_power_of_two() {
        return Err(BarError::BadHbmWindow { found: hbm });
    }
    Ok(())
}

/// Offset inside the configuration BAR of the register at device address `addr`, or `None` if
/// `addr` is not in the register space the BAR exposes.
pub(crate) fn cfg_bar_offset(addr: u64) -> Option<usize> {
    let off = addr.checked_sub(SPI_FLASH_BASE)?;
    if off < CFG_BAR_SIZE as u64 && off >= REGS_OFFSET_IN_CFG_BAR as u64 {
        usize::try_from(off).ok()
    } else {
        None
    }
}

#[kernel::prelude::kunit_tests(habanalabs_rs_bars)]
mod tests {
    use super::*;

    #[test]
    fn accepts_gaudi_layout() {
        assert_eq!(check_bar_sizes(64 << 20, 128 << 20, 256 << 20), Ok(()));
        assert_eq!(check_bar_sizes(64 << 20, 128 << 20, 32 << 30), Ok(()));
    }

    #[test]
    fn refuses_other_sram_and_cfg_sizes() {
        assert_eq!(
            check_bar_sizes(32 << 20, 128 << 20, 256 << 20),
            Err(BarError::WrongSize {
                bar: SRAM_BAR,
                found: 32 << 20,
                expected: 64 << 20
            })
        );
        assert_eq!(
            check_bar_sizes(64 << 20, 256 << 20, 256 << 20),
            Err(BarError::WrongSize {
                bar: CFG_BAR,
                found: 256 << 20,
                expected: 128 << 20
            })
        );
    }

    #[test]
    fn refuses_missing_or_odd_hbm_window() {
        assert_eq!(
            check_bar_sizes(64 << 20, 128 << 20, 0),
            Err(BarError::BadHbmWindow { found: 0 })
        );
        assert_eq!(
            check_bar_sizes(64 << 20, 128 << 20, 3 << 20),
            Err(BarError::BadHbmWindow { found: 3 << 20 })
        );
    }

    #[test]
    fn register_definitions_sit_at_their_device_addresses() {
        use kernel::io::register::Register;
        assert_eq!(
            Some(crate::regs::PCIE_CORE_MSI_REQ::OFFSET),
            cfg_bar_offset(CFG_BASE + 0xC0_4100)
        );
    }

    #[test]
    fn register_addresses_map_into_cfg_bar() {
        // The register blocks start half-way into the BAR.
        assert_eq!(cfg_bar_offset(CFG_BASE), Some(0x400_0000));
        // PCIE_CORE_MSI_REQ.
        assert_eq!(cfg_bar_offset(CFG_BASE + 0xC0_4100), Some(0x4C0_4100));
        // The last byte of the BAR.
        assert_eq!(
            cfg_bar_offset(SPI_FLASH_BASE + 0x7FF_FFFF),
            Some(0x7FF_FFFF)
        );
        // The SPI flash is not register space; past the BAR is nothing.
        assert_eq!(cfg_bar_offset(SPI_FLASH_BASE), None);
        assert_eq!(cfg_bar_offset(SPI_FLASH_BASE + 0x800_0000), None);
        assert_eq!(cfg_bar_offset(0), None);
    }
}
