// SPDX-License-Identifier: GPL-2.0

//! Register access through PCI configuration space (ELBI), and the PCIe address translation
//! (iATU) set up through it.
//!
//! Before the BARs lead anywhere, the driver reaches device registers through four
//! configuration-space registers: an address, data, a control word starting the transaction and
//! a status word reporting its end. Probe uses them to read the firmware's capability word
//! (which says whether the firmware programmed the iATU) and, when it did not, to program the
//! iATU: inbound, each BAR onto its device region; outbound, device addresses from
//! `0x80_0000_0000` onto host memory. The iATU registers are reached through the PCIe DBI window,
//! switched in with `PCIE_AUX_DBI`.

use kernel::{
    device,
    io::Io,
    pci,
    prelude::*,
    time::{delay::fsleep, Delta, Instant, Monotonic},
};

/// Configuration-space offsets of the ELBI registers.
const ELBI_ADDR: usize = 0xFF0;
const ELBI_DATA: usize = 0xFF4;
const ELBI_CTRL: usize = 0xFF8;
const ELBI_STS: usize = 0xFFC;
/// `ELBI_CTRL` value that starts a write (0 starts a read).
const ELBI_CTRL_WRITE: u32 = 1 << 31;
/// `ELBI_STS`: transaction done, and failed.
const ELBI_STS_DONE: u32 = 1 << 31;
const ELBI_STS_ERR: u32 = 1 << 30;
/// How long one transaction may take.
const ELBI_TIMEOUT: Delta = Delta::from_millis(10);

/// ELBI addresses are the low 32 bits of device addresses.
const CFG_BASE_LO: u32 = 0xFC00_0000;
/// `CPU_BOOT_DEV_STS0`, as an ELBI address.
const ELBI_CPU_BOOT_DEV_STS0: u32 = CFG_BASE_LO + 0xC4_B150;
/// `PCIE_AUX_DBI`, as an ELBI address: switches the DBI window in and out.
const ELBI_PCIE_AUX_DBI: u32 = CFG_BASE_LO + 0xC0_7490;
/// Value of `PCIE_AUX_DBI` that selects the iATU registers.
const AUX_DBI_IATU: u32 = 0x0030_0000;
/// The DBI window, as an ELBI address; a DBI register `reg` is at `+ (reg & 0xFFF)`.
const ELBI_PCIE_DBI: u32 = CFG_BASE_LO + 0xC0_2000;

/// STS0: contents valid.
const STS0_ENABLED: u32 = 1 << 31;
/// STS0: the firmware programmed the iATU.
const STS0_FW_IATU_CONF_EN: u32 = 1 << 17;

/// Device address of SRAM (BAR0), of the register space window (BAR2), and of HBM (BAR4).
const SRAM_BASE: u64 = 0x7F_F000_0000;
const SPI_FLASH_BASE: u64 = 0x7F_F800_0000;
const DRAM_BASE: u64 = 0;
/// Device addresses from here reach host memory.
const HOST_PHYS_BASE: u64 = 0x80_0000_0000;
/// Size of the host address range the outbound region covers.
const HOST_PHYS_SIZE: u64 = 0x1_0000_0000_0000;

fn cfg_err(_: Error) -> Error {
    EIO
}

/// Runs one ELBI transaction: a read when `write` is `None`. Returns the data read.
fn transact(
    cfg: &pci::ConfigSpace<'_, pci::Extended>,
    addr: u32,
    write: Option<u32>,
) -> Result<u32> {
    cfg.try_write32(0, ELBI_STS).map_err(cfg_err)?;
    cfg.try_write32(addr, ELBI_ADDR).map_err(cfg_err)?;
    match write {
        Some(v) => {
            cfg.try_write32(v, ELBI_DATA).map_err(cfg_err)?;
            cfg.try_write32(ELBI_CTRL_WRITE, ELBI_CTRL)
                .map_err(cfg_err)?;
        }
        None => cfg.try_write32(0, ELBI_CTRL).map_err(cfg_err)?,
    }
    let start = Instant::<Monotonic>::now();
    loop {
        let sts = cfg.try_read32(ELBI_STS).map_err(cfg_err)?;
        if sts & (ELBI_STS_DONE | ELBI_STS_ERR) != 0 {
            if sts & (ELBI_STS_DONE | ELBI_STS_ERR) != ELBI_STS_DONE {
                return Err(EIO);
            }
            return match write {
                Some(_) => Ok(0),
                None => cfg.try_read32(ELBI_DATA).map_err(cfg_err),
            };
        }
        if start.elapsed() > ELBI_TIMEOUT {
            return Err(ETIMEDOUT);
        }
        fsleep(Delta::from_micros(300));
    }
}

/// One iATU register write, through the DBI window.
fn dbi_write(cfg: &pci::ConfigSpace<'_, pci::Extended>, reg: u32, val: u32) -> Result {
    // Errors of the window switch are not fatal, as upstream treats them.
    let _ = transact(cfg, ELBI_PCIE_AUX_DBI, Some(AUX_DBI_IATU));
    transact(cfg, ELBI_PCIE_DBI + (reg & 0xFFF), Some(val)).map(|_| ())
}

/// Points inbound region `region` (BAR-match mode) at `target` for BAR `bar`.
fn inbound(
    cfg: &pci::ConfigSpace<'_, pci::Extended>,
    region: u32,
    bar: u32,
    target: u64,
) -> Result {
    let base = 0x100 + 0x200 * region;
    dbi_write(cfg, base + 0x14, target as u32)?;
    dbi_write(cfg, base + 0x18, (target >> 32) as u32)?;
    dbi_write(cfg, base, 0)?;
    // Enabled, BAR-match mode, match-on-BAR bit, and the BAR number.
    dbi_write(
        cfg,
        base + 0x4,
        (1 << 31) | (1 << 30) | (1 << 19) | (bar << 8),
    )?;
    let _ = transact(cfg, ELBI_PCIE_AUX_DBI, Some(0));
    Ok(())
}

/// Maps device addresses `HOST_PHYS_BASE` up onto host addresses from 0.
fn outbound(cfg: &pci::ConfigSpace<'_, pci::Extended>) -> Result {
    let limit = HOST_PHYS_BASE + HOST_PHYS_SIZE - 1;
    dbi_write(cfg, 0x008, HOST_PHYS_BASE as u32)?;
    dbi_write(cfg, 0x00C, (HOST_PHYS_BASE >> 32) as u32)?;
    dbi_write(cfg, 0x010, limit as u32)?;
    dbi_write(cfg, 0x014, 0)?;
    dbi_write(cfg, 0x018, 0)?;
    dbi_write(cfg, 0x020, (limit >> 32) as u32)?;
    dbi_write(cfg, 0x000, 1 << 13)?;
    dbi_write(cfg, 0x004, 1 << 31)?;
    let _ = transact(cfg, ELBI_PCIE_AUX_DBI, Some(0));
    Ok(())
}

/// Reads the firmware's capability word through ELBI and, unless the firmware set up the
/// iATU, sets it up as upstream does. Fails with `EIO` (or `ETIMEDOUT`) when ELBI does not
/// answer.
pub(crate) fn setup_iatu(pdev: &pci::Device<device::Core<'_>>) -> Result {
    let cfg = pdev.config_space_extended().inspect_err(|_| {
        dev_err!(pdev, "no extended configuration space: cannot reach ELBI\n");
    })?;
    let sts0 = transact(&cfg, ELBI_CPU_BOOT_DEV_STS0, None).inspect_err(|e| {
        dev_err!(pdev, "ELBI read of the boot status failed: {:?}\n", e);
    })?;
    if sts0 & STS0_ENABLED != 0 && sts0 & STS0_FW_IATU_CONF_EN != 0 {
        dev_dbg!(pdev, "firmware programmed the iATU\n");
        fsleep(Delta::from_millis(3));
        return Ok(());
    }
    inbound(&cfg, 0, 0, SRAM_BASE)
        .and_then(|()| inbound(&cfg, 1, 2, SPI_FLASH_BASE))
        .and_then(|()| inbound(&cfg, 2, 4, DRAM_BASE))
        .and_then(|()| outbound(&cfg))
        .inspect_err(|e| dev_err!(pdev, "programming the iATU failed: {:?}\n", e))
}
