// SPDX-License-Identifier: GPL-2.0

//! The sysfs attributes upstream's driver gives a Gaudi, which runtimes read.
//!
//! They live in the PCI device's directory (`/sys/class/accel/accelN/device/`), with upstream's
//! names and formats: firmware versions from the device CPU's description, the device type,
//! its status, the reset count, the PCI address, the module ID and, asked of the device CPU at
//! each read, the maximum power and the MME clock.
//!
//! Writable, as upstream's on Gaudi: `max_power` (mW) and `clk_max_freq_mhz` (the MME clock)
//! are sent to the firmware and kept, to be sent again after every reset (`ENODEV` while the
//! device is not operational; a firmware error is logged, the write still succeeds, as
//! upstream); `hard_reset` (write-only) takes any number and resets the device in the
//! background. A written number is read as `kstrtoull()` with base 0 reads it; anything else
//! is `EINVAL`. (`soft_reset` does not exist on Gaudi.)
//!
//! The binary `eeprom` (a page, 0444) is the board's EEPROM as the device CPU reads it for
//! each `read(2)`, zero past what the firmware returned; the file is `ENODEV` while the device
//! is not operational. As upstream, a firmware failure is logged and the read succeeds;
//! unlike upstream, which then returns the page without writing it, it reads as zeros. Unlike upstream, a read at an offset gets
//! the bytes at that offset (upstream's handler returns the start of the EEPROM at any
//! offset, which only the usual single read of the whole page gets right).

use crate::cpucp::{self, op, Packet};
use crate::gaudi::{info_layout, BStrDisplay, Gaudi, MME_PLL};
use core::fmt::Write;
use core::sync::atomic::Ordering;
use kernel::{device::attr, page::PAGE_SIZE, prelude::*};

/// Size of the `eeprom` file: a page, as upstream's.
const EEPROM_SIZE: usize = PAGE_SIZE;

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
        c"hard_reset",
    ];

    const BIN: &'static [(&'static CStr, usize)] = &[(c"eeprom", EEPROM_SIZE)];

    fn read_bin(&self, index: usize, offset: usize, out: &mut [u8]) -> Result<usize> {
        if index != 0 {
            return Err(EINVAL);
        }
        if !self.operational() {
            return Err(ENODEV);
        }
        let end = offset.checked_add(out.len()).ok_or(EINVAL)?;
        if out.is_empty() || end > EEPROM_SIZE {
            return Err(EINVAL);
        }
        let mut page = KVec::from_elem(0u8, EEPROM_SIZE, GFP_KERNEL)?;
        let pkt = Packet::new(op::EEPROM_DATA_GET, 0);
        match self.send_for_buffer(pkt, &mut page, cpucp::EEPROM_TIMEOUT) {
            // The firmware tells how much it wrote; the rest stays zero.
            Ok(n) => {
                let n = usize::try_from(n).unwrap_or(EEPROM_SIZE).min(EEPROM_SIZE);
                page[n..].fill(0);
            }
            Err(e) => {
                dev_err!(self.bound(), "cannot read the EEPROM: {:?}\n", e);
                page.fill(0);
            }
        }
        out.copy_from_slice(&page[offset..end]);
        Ok(out.len())
    }

    fn mode(index: usize) -> u16 {
        match Self::NAMES.get(index).map(|n| n.to_bytes()) {
            Some(b"hard_reset") => 0o200,
            Some(b"max_power" | b"clk_max_freq_mhz") => 0o644,
            _ => 0o444,
        }
    }

    fn store(&self, index: usize, input: &[u8]) -> Result {
        let name = Self::NAMES.get(index).ok_or(EINVAL)?.to_bytes();
        let dev = self.bound();
        if name != b"hard_reset" && !self.operational() {
            return Err(ENODEV);
        }
        let v = attr::parse_u64(input).map_err(|_| EINVAL)?;
        match name {
            b"hard_reset" => {
                dev_info!(dev, "hard reset requested through sysfs\n");
                self.request_reset();
            }
            b"max_power" => {
                if let Err(e) = self.set_max_power(v) {
                    dev_err!(
                        dev,
                        "firmware refused a maximum power of {} mW: {:?}\n",
                        v,
                        e
                    );
                }
            }
            b"clk_max_freq_mhz" => {
                let hz = v.saturating_mul(1_000_000);
                if let Err(e) = self.set_mme_freq(hz) {
                    dev_err!(dev, "firmware refused an MME clock of {} MHz: {:?}\n", v, e);
                }
            }
            _ => return Err(EACCES),
        }
        Ok(())
    }

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

#[kunit_tests(habanalabs_rs_sysfs)]
mod tests {
    use super::*;

    #[test]
    fn written_numbers_read_as_kstrtoull_base_0() {
        assert_eq!(attr::parse_u64(b"150000\n"), Ok(150000));
        assert_eq!(attr::parse_u64(b"0x10"), Ok(16));
        assert_eq!(attr::parse_u64(b"010"), Ok(8));
        assert_eq!(attr::parse_u64(b"0"), Ok(0));
        assert_eq!(attr::parse_u64(b"+7\n"), Ok(7));
        assert_eq!(attr::parse_u64(b"18446744073709551615"), Ok(u64::MAX));
        assert_eq!(attr::parse_u64(b"18446744073709551616"), Err(ERANGE));
        for bad in [
            &b""[..],
            b"\n",
            b"-1",
            b"12a",
            b"0x",
            b"08",
            b"1\n\n",
            b" 1",
            b"++1",
            b"+",
        ] {
            assert_eq!(attr::parse_u64(bad), Err(EINVAL));
        }
    }

    #[test]
    fn only_upstreams_writable_attributes_take_writes() {
        let mode = |n: &CStr| {
            let i = <Gaudi<'_> as attr::Show>::NAMES
                .iter()
                .position(|x| *x == n)
                .unwrap();
            <Gaudi<'_> as attr::Show>::mode(i)
        };
        assert_eq!(mode(c"hard_reset"), 0o200);
        assert_eq!(mode(c"max_power"), 0o644);
        assert_eq!(mode(c"clk_max_freq_mhz"), 0o644);
        assert_eq!(mode(c"status"), 0o444);
        assert_eq!(mode(c"clk_cur_freq_mhz"), 0o444);
    }
}
