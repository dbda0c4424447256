// SPDX-License-Identifier: GPL-2.0

//! `HL_MEM_OP_EXPORT_DMABUF_FD`: HBM shared with other devices as a dma-buf.
//!
//! On Gaudi, user space addresses HBM physically, so an export names a physical range: page
//! aligned, inside user HBM and inside the part of HBM the HBM BAR exposes (the BAR's window
//! starts at HBM address 0). Importers reach it peer to peer through that BAR: mapping the
//! dma-buf for an importing device maps BAR ranges for it (`dma_map_resource`), split to the
//! importer's largest DMA segment. An importer that does not accept peer-to-peer addresses,
//! or that sits where PCI peer-to-peer cannot reach the Gaudi, is refused at attach (`EPERM`).
//!
//! The exported buffer keeps the compute context's file open, and so the accel device and
//! this module, for as long as it exists. If the Gaudi is unbound meanwhile, new mappings
//! fail (`ENODEV`); existing ones point at a BAR whose device was reset.

use crate::bars::HBM_BAR;
use crate::gaudi::Gaudi;
use crate::info::map;
use crate::node::{HlDrm, HlFile};
use kernel::{
    dma::DataDirection,
    dma_buf::{self, Attachment, DmaSgTable, Exporter},
    drm, fs,
    page::PAGE_SIZE,
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

/// An exported range of HBM.
pub(crate) struct HbmExport {
    /// The compute context's open file: the device cannot go away under an importer.
    _file: ARef<fs::File>,
    /// The accel device, to reach the bound Gaudi when mapping.
    drm: ARef<drm::Device<HlDrm, drm::Ioctl>>,
    /// Offset of the range in the HBM BAR.
    bar_offset: u64,
    /// Its size.
    size: u64,
}

impl HbmExport {
    /// Runs `f` with the Gaudi, if it is still bound.
    fn with_gaudi<R>(&self, f: impl FnOnce(&Gaudi<'_>) -> Result<R>) -> Result<R> {
        let guard = self.drm.registration_guard().ok_or(ENODEV)?;
        guard.registration_data_with(|g| f(g.0))
    }
}

#[vtable]
impl Exporter for HbmExport {
    fn attach(&self, a: &Attachment) -> Result {
        self.with_gaudi(|g| {
            if !a.peer2peer() {
                dev_dbg!(
                    g.bound(),
                    "dma-buf: importer does not take peer-to-peer memory\n"
                );
                return Err(EPERM);
            }
            match a.p2p_distance(g.pdev()) {
                Some(d) => {
                    dev_dbg!(g.bound(), "dma-buf: importer at P2P distance {}\n", d);
                    Ok(())
                }
                None => {
                    dev_dbg!(
                        g.bound(),
                        "dma-buf: the importer cannot reach the HBM BAR\n"
                    );
                    Err(EPERM)
                }
            }
        })
    }

    fn map(&self, a: &Attachment, dir: DataDirection) -> Result<DmaSgTable> {
        self.with_gaudi(|g| {
            let segs = dma_buf::segments(self.bar_offset, self.size, a.max_segment_size())
                .inspect_err(|_| {
                    dev_dbg!(g.bound(), "dma-buf: importer's DMA segments below a page\n")
                })?;
            let mut maps = KVec::with_capacity(segs.len(), GFP_KERNEL)?;
            for (off, len) in segs.iter().copied() {
                let m = a
                    .map_bar(g.pci_bound(), HBM_BAR, off, len, dir)
                    .inspect_err(|e| {
                        dev_err!(g.bound(), "dma-buf: cannot map the HBM BAR: {:?}\n", e)
                    })?;
                maps.push(m, GFP_KERNEL)?;
            }
            DmaSgTable::new(maps)
        })
    }
}

/// The export ioctl's work: checks, then exports; returns the new descriptor.
pub(crate) fn export(
    gaudi: &Gaudi<'_>,
    file: &drm::File<HlFile>,
    drm: &drm::Device<HlDrm, drm::Registered>,
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
    let size_usize = usize::try_from(size).map_err(|_| EINVAL)?;
    let data = HbmExport {
        _file: file.file().into(),
        drm: drm.as_ioctl().into(),
        bar_offset,
        size,
    };
    dma_buf::export_fd(data, size_usize, flags)
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
