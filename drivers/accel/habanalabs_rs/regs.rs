// SPDX-License-Identifier: GPL-2.0

//! Gaudi registers, as offsets into the configuration BAR.
//!
//! Offsets are the device addresses of `asic_reg/gaudi_regs.h` relative to `CFG_BASE`, moved by
//! [`REGS_OFFSET_IN_CFG_BAR`](crate::bars::REGS_OFFSET_IN_CFG_BAR) (0x400_0000) into the BAR.

use kernel::io::register;

register! {
    /// Writing 1 asks the PCIe core to send the device's MSI (device address CFG_BASE + 0xC04100).
    pub(crate) PCIE_CORE_MSI_REQ(u32) @ 0x4C0_4100 {
        31:0 request;
    }
}
