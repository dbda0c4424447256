// SPDX-License-Identifier: GPL-2.0

//! `HL_MEM_OP_EXPORT_DMABUF_FD`: HBM shared with other devices as a dma-buf.
//!
//! On Gaudi, user space addresses HBM physically, so an export names a physical range: page
//! aligned, inside user HBM and inside the part of HBM the HBM BAR exposes (the BAR's window
//! starts at HBM address 0). Importers reach it peer to peer through that BAR: the kernel
//! crate's [`BarExports`] maps the range for the importing device (PCI bus addresses, or
//! addresses through the host bridge), split to the importer's largest DMA segment. An
//! importer that does not accept peer-to-peer addresses, or that sits where PCI peer-to-peer
//! cannot reach the Gaudi, is refused at attach (`EPERM`).
//!
//! The exported buffer keeps the compute context's file open, and so the accel device and
//! this module, for as long as it exists. When the Gaudi is unbound, its exports are revoked
//! first: importers that can be revoked are told to unmap and are waited for, new
//! attachments and mappings fail (`ENODEV`); importers that pin without a way to be revoked
//! keep their mapping until they let go, which the unbind reports.

use crate::bars::HBM_BAR;
use crate::gaudi::Gaudi;
use crate::info::map;
use crate::node::HlFile;
use kernel::{
    dma_buf::{self, Attachment, BarExports, Exporter},
    drm, fs,
    page::PAGE_SIZE,
    pci,
    prelude::*,
    sync::aref::ARef,
};

/// Why an export was refused (each is `EINVAL`, as upstream).
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum ExportError {
    /// Gaudi's HBM is not virtual: an export is by address, with no offset.
    Offset,
    /// Address or size not page aligned, or size zero.
    Alignment,
    /// Outside user HBM (or wrapping).
    OutsideHbm,
    /// Outside the HBM the BAR exposes.
    OutsideBar,
}

/// Checks an export request as upstream does for Gaudi, in its order; returns the offset of
/// the range in the HBM BAR.
pub(crate) fn check(
    addr: u64,
    size: u64,
    offset: u64,
    bar_size: u64,
) -> core::result::Result<u64, ExportError> {
    let page = PAGE_SIZE as u64;
    if offset != 0 {
        return Err(ExportError::Offset);
    }
    if addr % page != 0 || size == 0 || size % page != 0 {
        return Err(ExportError::Alignment);
    }
    let end = addr.checked_add(size).ok_or(ExportError::OutsideHbm)?;
    if addr < map::DRAM_USER_BASE || end > map::DRAM_SIZE {
        return Err(ExportError::OutsideHbm);
    }
    // The HBM BAR's window starts at HBM address 0 (see `elbi`).
    if end > bar_size {
        return Err(ExportError::OutsideBar);
    }
    Ok(addr)
}

/// The driver's data of an exported range of HBM.
pub(crate) struct HbmExport {
    /// The compute context's open file: the device cannot go away under an importer.
    _file: ARef<fs::File>,
    /// The Gaudi, to check importers' paths to it and to log.
    pdev: ARef<pci::Device>,
}

#[vtable]
impl Exporter for HbmExport {
    fn attach(&self, a: &Attachment) -> Result {
        let pdev: &pci::Device = &self.pdev;
        if !a.peer2peer() {
            dev_dbg!(
                pdev,
                "dma-buf: importer does not take peer-to-peer memory\n"
            );
            return Err(EPERM);
        }
        match a.p2p_distance(pdev) {
            Some(d) => {
                dev_dbg!(
                    pdev,
                    "dma-buf: importer at P2P distance {}{}\n",
                    d,
                    if a.revocable() {
                        ""
                    } else {
                        ", cannot be revoked"
                    }
                );
                Ok(())
            }
            None => {
                dev_dbg!(pdev, "dma-buf: the importer cannot reach the HBM BAR\n");
                Err(EPERM)
            }
        }
    }
}

/// Offers the HBM BAR for export; revoked when the device unbinds (or the result is dropped).
pub(crate) fn bar_exports(
    pdev: &pci::Device<kernel::device::Bound>,
) -> Result<kernel::devres::Devres<BarExports>> {
    BarExports::new(pdev, HBM_BAR)
}

/// The export ioctl's work: checks, then exports; returns the new descriptor.
pub(crate) fn export(
    gaudi: &Gaudi<'_>,
    file: &drm::File<HlFile>,
    (addr, size, offset): (u64, u64, u64),
    flags: u32,
) -> Result<u32> {
    let d = gaudi.bound();
    let bar_size = gaudi.pdev().resource_len(HBM_BAR).unwrap_or(0);
    let bar_offset = check(addr, size, offset, bar_size).map_err(|e| {
        dev_dbg!(
            d,
            "EXPORT_DMABUF_FD: {:?} (address {:#x}, size {:#x}, offset {:#x})\n",
            e,
            addr,
            size,
            offset
        );
        EINVAL
    })?;
    let allowed = kernel::bindings::O_ACCMODE | kernel::bindings::O_CLOEXEC;
    if flags & !allowed != 0 {
        dev_dbg!(
            d,
            "EXPORT_DMABUF_FD: file flags {:#x} not supported\n",
            flags
        );
        return Err(EINVAL);
    }
    let data = HbmExport {
        _file: file.file().into(),
        pdev: gaudi.pdev().into(),
    };
    let exports = gaudi.hbm_exports.lock();
    let exports = exports
        .as_ref()
        .ok_or(ENODEV)?
        .access(gaudi.bound())
        .inspect_err(|_| dev_dbg!(d, "EXPORT_DMABUF_FD: the device is going away\n"))?;
    exports
        .export_fd(data, &[(bar_offset, size)], flags)
        .inspect_err(|e| dev_err!(d, "EXPORT_DMABUF_FD: export failed: {:?}\n", e))
}

#[kunit_tests(habanalabs_rs_dmabuf)]
mod tests {
    use super::*;

    const BAR: u64 = 1 << 30;

    #[test]
    fn export_checks_follow_upstream_order() {
        let u = map::DRAM_USER_BASE;
        assert_eq!(check(u, 4096, 0, BAR), Ok(u));
        assert_eq!(check(u, 4096, 4096, BAR), Err(ExportError::Offset));
        assert_eq!(check(u + 1, 4096, 0, BAR), Err(ExportError::Alignment));
        assert_eq!(check(u, 0, 0, BAR), Err(ExportError::Alignment));
        assert_eq!(check(u, 100, 0, BAR), Err(ExportError::Alignment));
        assert_eq!(
            check(0x1000_0000, 4096, 0, BAR),
            Err(ExportError::OutsideHbm)
        );
        assert_eq!(check(!0xfff, 4096, 0, BAR), Err(ExportError::OutsideHbm));
        assert_eq!(
            check(map::DRAM_SIZE - 4096, 8192, 0, u64::MAX),
            Err(ExportError::OutsideHbm)
        );
        assert_eq!(
            check(BAR - 4096, 8192, 0, BAR),
            Err(ExportError::OutsideBar)
        );
        assert_eq!(check(BAR - 4096, 4096, 0, BAR), Ok(BAR - 4096));
    }

    #[test]
    fn segments_split_to_the_importers_limit() {
        let s = dma_buf::segments(0x2000_0000, 3 << 20, 1 << 20).unwrap();
        assert_eq!(s.len(), 3);
        assert_eq!(s[2], (0x2020_0000, 1 << 20));
        // The limit is rounded down to a page; the tail is what remains.
        let s = dma_buf::segments(0, 10_000 * 4096, 65536 + 100).unwrap();
        assert_eq!(s.len(), 625);
        assert!(s.iter().all(|&(o, l)| o % 4096 == 0 && l == 65536));
        let s = dma_buf::segments(0, 5 * 4096, 8192).unwrap();
        assert_eq!(s.len(), 3);
        assert_eq!(s[2], (4 * 4096, 4096));
        // Below a page, or nothing to split: refused.
        assert!(dma_buf::segments(0, 4096, 4095).is_err());
        assert!(dma_buf::segments(0, 0, 4096).is_err());
        assert!(dma_buf::segments(u64::MAX - 4095, 8192, 4096).is_err());
    }
}
