// SPDX-License-Identifier: GPL-2.0

//! Bringing the device CPU up: the preboot check, hard reset, and the static firmware loader.
//!
//! A Gaudi powers up running its preboot firmware. The driver waits for preboot to report
//! itself ready, reads its capability and error words, resets the device if a previous driver
//! left it programmed, then hands the device CPU two images through the static loader: the
//! boot-fit into SRAM, the CPU-CP application ("Linux" FIT) into HBM. The register protocol
//! and timeouts are those of the upstream driver's Gaudi path; a device whose firmware asks
//! for the dynamic (COMMS) loader is refused, as this driver does not speak it yet.

use crate::regs::{self, Regs};
use kernel::{
    device,
    firmware::Firmware,
    io::Io,
    pci,
    prelude::*,
    time::{
        delay::fsleep,
        Delta, //
    },
};

/// `enum cpu_boot_status` values the driver waits for.
pub(crate) mod status {
    /// The device CPU is parked.
    pub(crate) const IN_WFE: u32 = 1;
    /// The boot loader initialised DRAM.
    pub(crate) const DRAM_RDY: u32 = 2;
    /// The CPU-CP application is running.
    pub(crate) const SRAM_AVAIL: u32 = 3;
    /// The boot-fit image is corrupted.
    pub(crate) const FIT_CORRUPTED: u32 = 9;
    /// Ready (NIC firmware loaded).
    pub(crate) const NIC_FW_RDY: u32 = 11;
    /// Ready for the next image.
    pub(crate) const READY_TO_BOOT: u32 = 15;
    /// Preboot waits for the boot-fit image.
    pub(crate) const WAITING_FOR_BOOT_FIT: u32 = 16;
}

/// `enum kmd_msg` values of the static loader.
mod kmd {
    pub(super) const NA: u32 = 0;
    pub(super) const GOTO_WFE: u32 = 1;
    pub(super) const FIT_RDY: u32 = 2;
}

/// `CPU_CMD_STATUS_TO_HOST` answer meaning the firmware accepted a message.
const CPU_MSG_OK: u32 = 1;

/// Valid bit of the capability and error words.
const STS_ENABLED: u32 = 1 << 31;
/// STS0: firmware runs with security enabled.
pub(crate) const STS0_SECURITY_EN: u32 = 1 << 0;
/// STS0: the firmware, not the driver, performs hard resets.
pub(crate) const STS0_FW_HARD_RST_EN: u32 = 1 << 10;
/// STS0: the CPU-CP fence acknowledges with the producer index.
pub(crate) const STS0_PKT_PI_ACK_EN: u32 = 1 << 15;
/// STS0: the firmware wants the dynamic (COMMS) loader.
pub(crate) const STS0_FW_LD_COM_EN: u32 = 1 << 16;
/// STS0: event queue entries carry a running index.
pub(crate) const STS0_EQ_INDEX_EN: u32 = 1 << 21;

/// ERR0 bits that make the device unusable.
const ERR0_FATAL: u32 = (1 << 0) | (1 << 3) | (1 << 12) | (1 << 19) | (1 << 22) | (1 << 23);
/// ERR0: the EEPROM could not be read (fatal as well).
const ERR0_EEPROM_FAIL: u32 = 1 << 22;
/// ERR0: device unusable; upstream ignores this bit.
const ERR0_DEVICE_UNUSABLE: u32 = 1 << 13;

/// The magic that tells preboot not to re-initialise PCIe after a driver-performed reset.
const PREBOOT_PCIE_EN_MAGIC: u32 = 0xED7B_D694;

/// File names of the two images, as the upstream driver and the firmware packages name them.
pub(crate) const BOOT_FIT_FILE: &CStr = c"habanalabs/gaudi/gaudi-boot-fit.itb";
/// See [`BOOT_FIT_FILE`].
pub(crate) const LINUX_FIT_FILE: &CStr = c"habanalabs/gaudi/gaudi-fit.itb";

/// Where the boot-fit goes, as an offset into the SRAM BAR.
const BOOT_FIT_SRAM_OFFSET: usize = 0x20_0000;
/// Where the CPU-CP application goes, as an offset into HBM (the HBM BAR points at HBM 0).
const LINUX_FW_HBM_OFFSET: usize = 0x80_0000;
/// The largest image either loader accepts (the size of SRAM).
pub(crate) const FW_MAX_SIZE: usize = 0x140_0000;
/// Version strings live in SRAM at an offset below this.
const VERSION_MAX_OFFSET: u32 = 0x13F_FF80;
/// Mask that turns a version-string register into an SRAM offset.
const SRAM_OFFSET_MASK: u32 = 0x0FFF_FFFF;
/// Length of a version string.
pub(crate) const VERSION_LEN: usize = 128;

const POLL_INTERVAL: Delta = Delta::from_millis(10);
const PREBOOT_TIMEOUT: Delta = Delta::from_secs(4);
const BOOT_FIT_TIMEOUT: Delta = Delta::from_secs(4);
const CPU_TIMEOUT: Delta = Delta::from_secs(30);
const RESET_WAIT: Delta = Delta::from_millis(2000);
const CPU_RESET_WAIT: Delta = Delta::from_millis(200);

/// What the boot words tell about the firmware, latched from preboot.
#[derive(Clone, Copy, Default)]
pub(crate) struct Caps {
    /// STS0 as preboot reported it, 0 when its valid bit was clear.
    pub(crate) preboot_sts0: u32,
    /// STS0 of the running CPU-CP application (0 until it runs).
    pub(crate) app_sts0: u32,
    /// Whether STS0 is meaningful on this device.
    pub(crate) sts0_valid: bool,
    /// Whether the firmware performs hard resets itself.
    pub(crate) hard_reset_by_fw: bool,
    /// Whether the CPU-CP application was loaded (and must be halted through the GIC).
    pub(crate) linux_loaded: bool,
    /// Whether the device CPU was parked by a halt request.
    pub(crate) cpu_halted: bool,
}

/// Decides whether the boot error words report an error, as upstream does.
///
/// A word only counts when its valid bit is set. In ERR0, an EEPROM failure or any fatal bit
/// is an error (the "device unusable" bit is ignored); in ERR1 any bit is.
pub(crate) fn boot_errors_fatal(err0: u32, err1: u32) -> bool {
    let e0 = if err0 & STS_ENABLED != 0 {
        err0 & !STS_ENABLED & !ERR0_DEVICE_UNUSABLE
    } else {
        0
    };
    let e1 = if err1 & STS_ENABLED != 0 {
        err1 & !STS_ENABLED
    } else {
        0
    };
    (e0 & (ERR0_FATAL | ERR0_EEPROM_FAIL)) != 0 || e1 != 0
}

/// A NUL-terminated string without its terminator (all of `text` when it has none).
pub(crate) fn until_nul(text: &[u8]) -> &[u8] {
    let end = text.iter().position(|&b| b == 0).unwrap_or(text.len());
    &text[..end]
}

/// Extracts the firmware version from a version string: the text after "fw-" up to the next
/// space or NUL; `None` when there is none.
pub(crate) fn fw_version(text: &[u8]) -> Option<&[u8]> {
    let text = until_nul(text);
    let start = text.windows(3).position(|w| w == b"fw-")? + 3;
    let rest = &text[start..];
    let len = rest.iter().position(|&b| b == b' ').unwrap_or(rest.len());
    (len > 0).then(|| &rest[..len])
}

/// Checks an image's size the way the loaders do: a whole number of 32-bit words, no larger
/// than the SRAM.
pub(crate) fn check_image_size(size: usize) -> Result {
    if size == 0 || size % 4 != 0 || size > FW_MAX_SIZE {
        return Err(EINVAL);
    }
    Ok(())
}

/// Polls register `off` every 10 ms, the firmware loaders' interval.
fn poll(r: Regs<'_>, off: u32, timeout: Delta, done: impl Fn(u32) -> bool) -> (u32, bool) {
    r.poll(off, timeout, POLL_INTERVAL, done)
}

/// Human words for a boot status, for error messages.
fn status_name(s: u32) -> &'static str {
    match s {
        0 => "boot ROM did not run",
        status::IN_WFE => "device CPU halted",
        status::DRAM_RDY => "boot loader running",
        status::SRAM_AVAIL => "CPU-CP application running",
        4 => "in boot-time loader",
        5 => "in preboot",
        7 => "in u-boot",
        status::FIT_CORRUPTED => "firmware image corrupted",
        10 => "u-boot not ready",
        status::NIC_FW_RDY | status::READY_TO_BOOT => "ready for the next image",
        status::WAITING_FOR_BOOT_FIT => "waiting for the boot-fit image",
        17 => "security ready",
        18 => "preparing for shutdown",
        u32::MAX => "device not responding",
        _ => "unknown",
    }
}

/// Reads the error and capability words; fails with `EIO` when the firmware reports a fatal
/// error.
fn read_errors(dev: &device::Device, r: Regs<'_>) -> Result {
    let (err0, err1) = (r.rd(regs::CPU_BOOT_ERR0), r.rd(regs::CPU_BOOT_ERR1));
    if boot_errors_fatal(err0, err1) {
        dev_err!(
            dev,
            "firmware reports boot errors: ERR0 {:#010x}, ERR1 {:#010x}\n",
            err0,
            err1
        );
        return Err(EIO);
    }
    Ok(())
}

/// Reads a version string from SRAM at the offset register `off` holds.
fn read_version(
    dev: &device::Device,
    r: Regs<'_>,
    sram: &pci::Bar<'_>,
    off: u32,
    what: &str,
) -> Result<[u8; VERSION_LEN]> {
    let at = r.rd(off) & SRAM_OFFSET_MASK;
    if at >= VERSION_MAX_OFFSET {
        dev_err!(dev, "{} version offset {:#x} is outside SRAM\n", what, at);
        return Err(EIO);
    }
    let mut text = [0u8; VERSION_LEN];
    for (i, chunk) in text.chunks_exact_mut(4).enumerate() {
        let word = sram.try_read32(at as usize + i * 4)?;
        chunk.copy_from_slice(&word.to_le_bytes());
    }
    Ok(text)
}

/// Waits for preboot and latches what it reports.
///
/// Fails with `EIO` when preboot is not ready within 4 s or reports a fatal error, and with
/// `EOPNOTSUPP` when it asks for the dynamic loader.
pub(crate) fn read_preboot_status(
    dev: &device::Device,
    r: Regs<'_>,
    sram: &pci::Bar<'_>,
    caps: &mut Caps,
) -> Result<[u8; VERSION_LEN]> {
    let (st, ok) = poll(r, regs::CPU_BOOT_STATUS, PREBOOT_TIMEOUT, |s| {
        matches!(
            s,
            status::NIC_FW_RDY | status::READY_TO_BOOT | status::WAITING_FOR_BOOT_FIT
        )
    });
    if !ok {
        dev_err!(
            dev,
            "preboot not ready within {} ms: boot status {} ({})\n",
            PREBOOT_TIMEOUT.as_millis(),
            st,
            status_name(st)
        );
        // An all-ones status means the device is gone; its error words mean nothing.
        if st != u32::MAX {
            let _ = read_errors(dev, r);
        }
        return Err(EIO);
    }
    read_errors(dev, r)?;

    let sts0 = r.rd(regs::CPU_BOOT_DEV_STS0);
    caps.sts0_valid = sts0 & STS_ENABLED != 0;
    caps.preboot_sts0 = if caps.sts0_valid { sts0 } else { 0 };
    caps.hard_reset_by_fw = caps.preboot_sts0 & STS0_FW_HARD_RST_EN != 0;
    if caps.preboot_sts0 & STS0_SECURITY_EN != 0 {
        dev_err!(dev, "firmware runs with security enabled; not supported\n");
        return Err(EOPNOTSUPP);
    }
    if caps.preboot_sts0 & STS0_FW_LD_COM_EN != 0 {
        dev_err!(dev, "firmware asks for the dynamic loader; not supported\n");
        return Err(EOPNOTSUPP);
    }
    read_version(dev, r, sram, regs::PREBOOT_VER_OFFSET, "preboot")
}

/// Parks the device CPU before a reset, the way the running firmware expects.
fn halt_cpu(r: Regs<'_>, caps: &mut Caps) {
    if caps.linux_loaded {
        r.wr(regs::GIC_SETSPI_NSR, crate::cpucp::SPI_HALT_MACHINE);
    } else if !caps.cpu_halted {
        r.wr(regs::KMD_MSG_TO_CPU, kmd::GOTO_WFE);
        fsleep(CPU_RESET_WAIT);
        r.wr(regs::KMD_MSG_TO_CPU, kmd::NA);
    }
    caps.cpu_halted = true;
}

/// Hard-resets the device and waits for it to come back, as upstream's `hw_fini` does.
///
/// Afterwards the device CPU runs preboot again and `HW_STATE` reads clean. Fails with
/// `ETIMEDOUT` when the boot state machine does not settle.
pub(crate) fn hard_reset(dev: &device::Device, r: Regs<'_>, caps: &mut Caps) -> Result {
    let driver_resets = !caps.hard_reset_by_fw;
    if driver_resets {
        r.wr(regs::PCIE_AUX_FLR_CTRL, 0x3);
    }
    halt_cpu(r, caps);
    if driver_resets {
        // DMA, sync managers, MME and TPC soft-reset; everything else hard-reset.
        r.wr(regs::SOFT_RST_CFG_H, 0x000F_C01F);
        r.wr(regs::SOFT_RST_CFG_L, 0xFE00_0000);
        r.wr(regs::SW_ALL_RST_CFG_H, 0x003F_FFFF);
        r.wr(regs::SW_ALL_RST_CFG_L, 0xFFE0_0001);
        fsleep(CPU_RESET_WAIT);
        r.wr(regs::PREBOOT_PCIE_EN, PREBOOT_PCIE_EN_MAGIC);
        r.wr(regs::PSOC_BOOT_SEQ_RE_START, 1);
        r.wr(regs::SW_ALL_RST, 1);
    } else {
        dev_err!(dev, "firmware-performed reset is not supported\n");
        return Err(EOPNOTSUPP);
    }
    fsleep(RESET_WAIT);
    let fsm = r.rd(regs::PSOC_BTM_FSM);
    if fsm & 0xF != 0 {
        dev_err!(dev, "device did not leave reset (boot FSM {:#x})\n", fsm);
        return Err(ETIMEDOUT);
    }
    caps.linux_loaded = false;
    caps.cpu_halted = false;
    caps.app_sts0 = 0;
    Ok(())
}

/// Copies `data` into a BAR at `offset`, one 32-bit word at a time.
fn copy_to_bar(bar: &pci::Bar<'_>, offset: usize, data: &[u8]) -> Result {
    for (i, chunk) in data.chunks_exact(4).enumerate() {
        let word = u32::from_le_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
        bar.try_write32(word, offset + i * 4)?;
    }
    Ok(())
}

/// Requests firmware image `name` and checks its size.
fn request_image(dev: &device::Device, name: &CStr) -> Result<Firmware> {
    let fw = Firmware::request(name, dev).inspect_err(|e| {
        dev_err!(dev, "cannot load firmware {}: {:?}\n", name, e);
    })?;
    check_image_size(fw.size()).inspect_err(|_| {
        dev_err!(
            dev,
            "firmware {} is {} bytes: not a whole number of words or larger than {} bytes\n",
            name,
            fw.size(),
            FW_MAX_SIZE
        );
    })?;
    Ok(fw)
}

/// The images that made it to the device and their versions.
pub(crate) struct Booted {
    /// Boot-fit version string.
    pub(crate) uboot_version: [u8; VERSION_LEN],
}

/// Runs the static loader: boot-fit into SRAM, the CPU-CP application into HBM, and waits for
/// the application to run.
pub(crate) fn static_init_cpu(
    dev: &device::Device,
    r: Regs<'_>,
    sram: &pci::Bar<'_>,
    hbm: &pci::Bar<'_>,
    caps: &mut Caps,
) -> Result<Booted> {
    let (_, waiting) = poll(r, regs::CPU_BOOT_STATUS, BOOT_FIT_TIMEOUT, |s| {
        s == status::WAITING_FOR_BOOT_FIT
    });
    if waiting {
        let fw = request_image(dev, BOOT_FIT_FILE)?;
        copy_to_bar(sram, BOOT_FIT_SRAM_OFFSET, fw.data())?;
        drop(fw);
        r.wr(regs::CPU_CMD_STATUS_TO_HOST, 0);
        r.wr(regs::KMD_MSG_TO_CPU, kmd::FIT_RDY);
        let (st, ok) = poll(r, regs::CPU_CMD_STATUS_TO_HOST, BOOT_FIT_TIMEOUT, |s| {
            s == CPU_MSG_OK
        });
        r.wr(regs::KMD_MSG_TO_CPU, kmd::NA);
        if !ok {
            dev_err!(
                dev,
                "firmware did not accept the boot-fit image (answer {}, boot status {})\n",
                st,
                r.rd(regs::CPU_BOOT_STATUS)
            );
            let _ = read_errors(dev, r);
            return Err(ETIMEDOUT);
        }
    } else {
        dev_dbg!(dev, "preboot did not ask for a boot-fit image\n");
    }

    let (st, ok) = poll(r, regs::CPU_BOOT_STATUS, CPU_TIMEOUT, |s| {
        matches!(
            s,
            status::DRAM_RDY | status::NIC_FW_RDY | status::READY_TO_BOOT | status::SRAM_AVAIL
        )
    });
    let uboot_version =
        read_version(dev, r, sram, regs::UBOOT_VER_OFFSET, "boot-fit").unwrap_or([0; VERSION_LEN]);
    if !ok {
        dev_err!(
            dev,
            "boot loader did not start: boot status {} ({})\n",
            st,
            status_name(st)
        );
        let _ = read_errors(dev, r);
        return Err(EIO);
    }
    if caps.sts0_valid {
        caps.hard_reset_by_fw = r.rd(regs::CPU_BOOT_DEV_STS0) & STS0_FW_HARD_RST_EN != 0;
    }
    if st == status::SRAM_AVAIL {
        // The application already runs; upstream skips loading it in this case.
        return Ok(Booted { uboot_version });
    }

    let fw = request_image(dev, LINUX_FIT_FILE)?;
    copy_to_bar(hbm, LINUX_FW_HBM_OFFSET, fw.data())?;
    drop(fw);
    r.wr(regs::KMD_MSG_TO_CPU, kmd::FIT_RDY);
    let (st, ok) = poll(r, regs::CPU_BOOT_STATUS, CPU_TIMEOUT, |s| {
        s == status::SRAM_AVAIL
    });
    r.wr(regs::KMD_MSG_TO_CPU, kmd::NA);
    if !ok {
        dev_err!(
            dev,
            "CPU-CP application did not start: boot status {} ({})\n",
            st,
            status_name(st)
        );
        let _ = read_errors(dev, r);
        return Err(EIO);
    }
    read_errors(dev, r)?;
    caps.linux_loaded = true;
    if caps.sts0_valid {
        caps.app_sts0 = r.rd(regs::CPU_BOOT_DEV_STS0);
        caps.hard_reset_by_fw = caps.app_sts0 & STS0_FW_HARD_RST_EN != 0;
    }
    Ok(Booted { uboot_version })
}

#[kunit_tests(habanalabs_rs_boot)]
mod tests {
    use super::*;

    #[test]
    fn boot_errors_need_the_valid_bit_and_a_fatal_bit() {
        assert!(!boot_errors_fatal(0, 0));
        // Without the valid bit nothing counts.
        assert!(!boot_errors_fatal(1, 1));
        assert!(boot_errors_fatal(STS_ENABLED | 1, 0));
        assert!(boot_errors_fatal(STS_ENABLED | ERR0_EEPROM_FAIL, 0));
        // A non-fatal ERR0 bit (BMC wait skipped) and the ignored "unusable" bit pass.
        assert!(!boot_errors_fatal(STS_ENABLED | (1 << 4), 0));
        assert!(!boot_errors_fatal(STS_ENABLED | ERR0_DEVICE_UNUSABLE, 0));
        // Any ERR1 bit is an error.
        assert!(boot_errors_fatal(0, STS_ENABLED | (1 << 5)));
        assert!(!boot_errors_fatal(0, STS_ENABLED));
    }

    #[test]
    fn firmware_version_is_the_word_after_fw() {
        let mut text = [0u8; VERSION_LEN];
        let s = b"Preboot version hl-gaudi-0.1.0-fw-1.2.3-sec-4 (Nov 21)";
        text[..s.len()].copy_from_slice(s);
        assert_eq!(fw_version(&text), Some(&b"1.2.3-sec-4"[..]));
        assert_eq!(fw_version(b"no version here\0fw-1.0"), None);
        assert_eq!(fw_version(b"ends in fw-"), None);
    }

    #[test]
    fn images_must_be_whole_words_and_fit_sram() {
        assert!(check_image_size(4).is_ok());
        assert!(check_image_size(FW_MAX_SIZE).is_ok());
        assert_eq!(check_image_size(0), Err(EINVAL));
        assert_eq!(check_image_size(6), Err(EINVAL));
        assert_eq!(check_image_size(FW_MAX_SIZE + 4), Err(EINVAL));
    }
}
