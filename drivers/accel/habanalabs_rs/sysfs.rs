// SPDX-License-Identifier: GPL-2.0

//! The sysfs attributes upstream's driver gives a Gaudi, which runtimes read.
//!
//! They live in the PCI device's directory (`/sys/class/accel/accelN/device/`), with upstream's
//! names and formats: firmware versions from the device CPU's description, the device type,
//! its status, the reset count, the PCI address, the module ID and, asked of the device CPU at
//! each read, the maximum power and the MME clock. The attributes upstream makes writable
//! (`max_power`, `clk_max_freq_mhz`) and its reset triggers are read-only or absent here.

use crate::cpucp::{self, op, Packet};
use crate::gaudi::{info_layout, BStrDisplay, Gaudi, MME_PLL};
use core::fmt::Write;
use core::sync::atomic::Ordering;
use kernel::{device::attr, prelude::*};

impl attr::Show for Gaudi<'_> {
    const NAMES: &'static [&'static CStr] = &[
        c"armcp_kernel_ver",
        c"armcp_ver",
        c"cpld_ver",
        c"cpucp_kernel_ver",
        c"cpucp_ver",
        c"device_type",
        c"fuse_ver",
        c"hard_reset_cnt",
        c"max_power",
        c"pci_addr",
        c"preboot_btl_ver",
        c"status",
        c"thermal_ver",
        c"uboot_ver",
        c"fw_os_ver",
        c"security_enabled",
        c"module_id",
        c"parent_device",
        c"infineon_ver",
        c"clk_max_freq_mhz",
        c"clk_cur_freq_mhz",
    ];

    fn show(&self, index: usize, out: &mut attr::Buffer<'_>) -> Result {
        let ver = |off| BStrDisplay(self.info_str(off, info_layout::VERSION_LEN));
        let name = Self::NAMES.get(index).ok_or(EINVAL)?.to_bytes();
        let fw = |opcode, word16| -> Result<u64> {
            if !self.operational() {
                return Err(ENODEV);
            }
            self.send(
                Packet {
                    word16,
                    ..Packet::new(opcode, 0)
                },
                cpucp::MSG_TIMEOUT,
            )
        };
        let r = match name {
            // Upstream prints the kernel, thermal and OS versions without a newline.
            b"armcp_kernel_ver" | b"cpucp_kernel_ver" => {
                write!(out, "{}", ver(info_layout::KERNEL_VERSION))
            }
            b"armcp_ver" | b"cpucp_ver" => writeln!(out, "{}", ver(info_layout::CPUCP_VERSION)),
            b"cpld_ver" => writeln!(
                out,
                "0x{:08x}{:08x}",
                self.info_u32(info_layout::CPLD_TIMESTAMP),
                self.info_u32(info_layout::CPLD_VERSION)
            ),
            b"device_type" => writeln!(out, "GAUDI"),
            b"fuse_ver" => writeln!(out, "{}", ver(info_layout::FUSE_VERSION)),
            b"hard_reset_cnt" => {
                writeln!(out, "{}", self.stats.hard_resets.load(Ordering::Relaxed))
            }
            b"max_power" => writeln!(out, "{}", fw(op::MAX_POWER_GET, 0)?),
            b"pci_addr" | b"parent_device" => {
                writeln!(
                    out,
                    "{}",
                    self.pdev().as_ref().name().to_str().map_err(|_| EINVAL)?
                )
            }
            b"preboot_btl_ver" => writeln!(out, "{}", BStrDisplay(self.preboot_version())),
            b"status" => writeln!(out, "{}", self.status_name()),
            b"thermal_ver" => write!(out, "{}", ver(info_layout::THERMAL_VERSION)),
            b"uboot_ver" => writeln!(out, "{}", BStrDisplay(self.uboot_version())),
            b"fw_os_ver" => write!(out, "{}", ver(info_layout::FW_OS_VERSION)),
            b"security_enabled" => writeln!(out, "0"),
            b"module_id" => writeln!(out, "{}", self.info_u32(info_layout::CARD_LOCATION)),
            b"infineon_ver" => {
                writeln!(out, "{:#04x}", self.info_u32(info_layout::INFINEON_VERSION))
            }
            b"clk_max_freq_mhz" => {
                writeln!(out, "{}", fw(op::FREQUENCY_GET, MME_PLL)? / 1_000_000)
            }
            b"clk_cur_freq_mhz" => {
                writeln!(out, "{}", fw(op::FREQUENCY_CURR_GET, MME_PLL)? / 1_000_000)
            }
            _ => return Err(EINVAL),
        };
        r.map_err(|_| EINVAL)
    }
}
