// SPDX-License-Identifier: GPL-2.0

//! `DRM_IOCTL_HL_MEMORY` with upstream's Gaudi semantics.
//!
//! Gaudi's HBM is not virtual: user space addresses it physically, from the user DRAM base.
//! ALLOC and FREE therefore only account sizes (visible in `HL_INFO_DRAM_USAGE`) and return
//! handle 0; the driver does not own or hand out HBM, and nothing stops two processes (one
//! after the other) from using the same HBM. MAP with `HL_MEM_USERPTR` pins a process's
//! buffer, maps it for DMA and maps it into the context's host range of the device MMU; UNMAP
//! undoes that. Device handles cannot be mapped (there are none).

use crate::cpucp::HOST_PHYS_BASE;
use crate::gaudi::Gaudi;
use crate::mmu::PageSize;
use crate::node::{GaudiRef, HlDrm, HlFile, Mapping};
use crate::va::VaError;
use kernel::{
    dma::DataDirection,
    drm,
    mm::pin::{DmaMappedPages, PinnedPages},
    page::PAGE_SIZE,
    prelude::*,
    uapi,
};

const M2: u64 = 2 << 20;

/// Splits DMA segments into device pages, with upstream's rule: 2 MiB pages when every segment
/// starts on a 2 MiB boundary and covers a whole number of 2 MiB pages once rounded up to 4 KiB
/// pages, 4 KiB pages otherwise. Returns the page size and the device address of each page
/// (with the host offset added).
pub(crate) fn device_pages(segments: &[(u64, u64)]) -> Result<(PageSize, KVec<u64>)> {
    let small = PageSize::Small.bytes();
    let per_huge = M2 / small;
    let huge = segments.iter().all(|&(addr, len)| {
        let pages4k = (addr % small + len).div_ceil(small);
        addr % M2 == 0 && pages4k % per_huge == 0
    });
    let size = if huge {
        PageSize::Huge
    } else {
        PageSize::Small
    };
    let ps = size.bytes();
    let mut pages = KVec::new();
    for &(addr, len) in segments {
        let mut p = addr & !(ps - 1);
        while p < addr + len {
            pages.push(p + HOST_PHYS_BASE, GFP_KERNEL)?;
            p += ps;
        }
    }
    Ok((size, pages))
}

/// The `DRM_IOCTL_HL_MEMORY` handler.
pub(crate) fn ioctl(
    _dev: &drm::Device<HlDrm, drm::Registered>,
    g: &GaudiRef<'_>,
    args: &mut uapi::hl_mem_args,
    file: &drm::File<HlFile>,
) -> Result<u32> {
    let gaudi = g.0;
    let d: &kernel::device::Device = gaudi.pdev().as_ref();
    // SAFETY: every member of the argument union is plain integers; any bits are valid.
    let inp = unsafe { args.in_ };
    if !gaudi.operational() {
        dev_dbg!(d, "MEMORY: device is not operational\n");
        return Err(EBUSY);
    }
    let ctx = file.inner().get_ref();
    match inp.op {
        uapi::HL_MEM_OP_ALLOC => {
            // SAFETY: as above.
            let size = unsafe { inp.__bindgen_anon_1.alloc.mem_size };
            if size == 0 {
                dev_dbg!(d, "MEMORY ALLOC: zero size\n");
                return Err(EINVAL);
            }
            ctx.account_dram(size, true);
            *args = pin_init::zeroed();
            Ok(0)
        }
        uapi::HL_MEM_OP_FREE => {
            // FREE takes the size from the same word as ALLOC, unchecked, as upstream does.
            // SAFETY: as above.
            let size = unsafe { inp.__bindgen_anon_1.alloc.mem_size };
            ctx.account_dram(size, false);
            Ok(0)
        }
        uapi::HL_MEM_OP_MAP => {
            let result = if inp.flags & uapi::HL_MEM_USERPTR != 0 {
                // SAFETY: as above.
                let h = unsafe { inp.__bindgen_anon_1.map_host };
                map_host(
                    gaudi,
                    ctx,
                    h.host_virt_addr,
                    h.mem_size,
                    h.hint_addr,
                    inp.flags,
                )
            } else {
                dev_dbg!(d, "MEMORY MAP: no such device memory handle\n");
                Err(EINVAL)
            };
            // Like upstream, the arguments come back zeroed with the address (0 on failure).
            *args = pin_init::zeroed();
            args.out.__bindgen_anon_1.device_virt_addr = *result.as_ref().unwrap_or(&0);
            result.map(|_| 0)
        }
        uapi::HL_MEM_OP_UNMAP => {
            // SAFETY: as above.
            let va = unsafe { inp.__bindgen_anon_1.unmap.device_virt_addr };
            unmap(gaudi, ctx, va).map(|()| 0)
        }
        uapi::HL_MEM_OP_MAP_BLOCK => {
            // Gaudi exposes no hardware blocks to user space.
            args.out.__bindgen_anon_1.__bindgen_anon_1.block_handle = 0;
            args.out.__bindgen_anon_1.__bindgen_anon_1.block_size = 0;
            dev_dbg!(d, "MEMORY MAP_BLOCK: Gaudi has no mappable blocks\n");
            Err(EPERM)
        }
        uapi::HL_MEM_OP_EXPORT_DMABUF_FD => {
            // SAFETY: as above.
            let e = unsafe { inp.__bindgen_anon_1.export_dmabuf_fd };
            let res = crate::dmabuf::export(gaudi, file, (e.addr, e.mem_size, e.offset), inp.flags);
            // As upstream: the arguments come back zeroed with the descriptor, -EBADF on
            // failure.
            *args = pin_init::zeroed();
            args.out.__bindgen_anon_1.fd = match &res {
                Ok(fd) => *fd as i32,
                Err(_) => -(EBADF.to_errno().abs()),
            };
            res.map(|_| 0)
        }
        uapi::HL_MEM_OP_TS_ALLOC => {
            dev_dbg!(
                d,
                "MEMORY op {}: not implemented by this driver yet\n",
                inp.op
            );
            Err(EOPNOTSUPP)
        }
        other => {
            dev_dbg!(d, "MEMORY: unknown op {}\n", other);
            Err(EINVAL)
        }
    }
}

/// Pins, DMA-maps and MMU-maps `size` bytes at user address `addr`; returns the device VA.
fn map_host(
    gaudi: &Gaudi<'_>,
    ctx: &HlFile,
    addr: u64,
    size: u64,
    hint: u64,
    flags: u32,
) -> Result<u64> {
    let d = gaudi.bound();
    let page = PAGE_SIZE as u64;
    if size == 0 {
        dev_dbg!(d, "MEMORY MAP: zero size\n");
        return Err(EINVAL);
    }
    let end = addr
        .checked_add(size)
        .and_then(|e| e.checked_next_multiple_of(page))
        .ok_or_else(|| {
            dev_dbg!(d, "MEMORY MAP: {:#x} + {:#x} overflows\n", addr, size);
            EINVAL
        })?;
    let start = addr & !(page - 1);
    let npages = usize::try_from((end - start) / page).map_err(|_| EINVAL)?;
    let user_start = usize::try_from(start).map_err(|_| EFAULT)?;
    let pinned = PinnedPages::pin(user_start, npages, true).inspect_err(|e| {
        dev_dbg!(
            d,
            "MEMORY MAP: cannot pin {} pages at {:#x}: {:?}\n",
            npages,
            start,
            e
        );
    })?;
    let offset_in_page = (addr - start) as usize;
    let len = usize::try_from(size).map_err(|_| EINVAL)?;
    let dma = DmaMappedPages::new(d, pinned, offset_in_page, len, DataDirection::Bidirectional)
        .inspect_err(|e| dev_dbg!(d, "MEMORY MAP: DMA mapping failed: {:?}\n", e))?;
    let mut segs = KVec::new();
    for s in dma.access(d)?.segments() {
        segs.push((s.addr, s.len as u64), GFP_KERNEL)?;
    }
    let first = segs.first().map_or(0, |&(a, _)| a);
    let (psize, pas) = device_pages(&segs)?;
    let ps = psize.bytes();
    let offset = first & (ps - 1);
    let align = if psize == PageSize::Huge || addr % M2 == 0 {
        M2
    } else {
        ps
    };
    let force = flags & uapi::HL_MEM_FORCE_HINT != 0;
    if hint != 0 && offset != 0 && force {
        dev_dbg!(
            d,
            "MEMORY MAP: forced hint for a buffer not on a page boundary\n"
        );
        return Err(EINVAL);
    }
    let total = pas.len() as u64 * ps;

    let mut mem = ctx.mem.lock();
    // Room for the record first: once the pages are in the MMU, nothing may fail before the
    // mapping is recorded.
    mem.maps.reserve(1, GFP_KERNEL)?;
    let block = mem.va.reserve(total, align, hint, force).map_err(|e| {
        match e {
            VaError::HintRefused => {
                dev_dbg!(d, "MEMORY MAP: hint {:#x} cannot be honoured\n", hint)
            }
            VaError::NoSpace => dev_dbg!(d, "MEMORY MAP: no room for {:#x} bytes\n", total),
        }
        ENOMEM
    })?;
    if let Err(e) = gaudi.mmu_map(ctx.asid as usize, block, &pas, psize) {
        dev_dbg!(d, "MEMORY MAP: MMU mapping failed: {:?}\n", e);
        let _ = mem.va.release(block, total);
        return Err(e);
    }
    let mapping = Mapping {
        va: block + offset,
        block,
        len: size,
        pages: pas.len(),
        size: psize,
        _dma: dma,
    };
    if mem.maps.push_within_capacity(mapping).is_err() {
        // Cannot happen: room was reserved above with the lock held.
        dev_err!(d, "MEMORY MAP: lost the room reserved for the mapping\n");
        return Err(ENOMEM);
    }
    Ok(block + offset)
}

/// Undoes a MAP: `va` must be exactly what MAP returned.
fn unmap(gaudi: &Gaudi<'_>, ctx: &HlFile, va: u64) -> Result {
    let d = gaudi.bound();
    let mut mem = ctx.mem.lock();
    let Some(i) = mem.maps.iter().position(|m| m.va == va) else {
        dev_dbg!(d, "MEMORY UNMAP: nothing mapped at {:#x}\n", va);
        return Err(EINVAL);
    };
    let m = mem.maps.remove(i)?;
    let result = gaudi.mmu_unmap(ctx.asid as usize, m.block, m.pages, m.size);
    mem.va.release(m.block, m.pages as u64 * m.size.bytes())?;
    // Dropping the mapping unmaps the DMA and unpins the pages.
    drop(m);
    result
}

#[kunit_tests(habanalabs_rs_memory)]
mod tests {
    use super::*;

    #[test]
    fn aligned_2m_segments_give_huge_pages() {
        // The last segment ends 100 bytes short of 2 MiB: rounded up to 4 KiB pages, it is
        // still whole 2 MiB pages, as upstream counts.
        let segs = [(0x40_0000u64, 0x40_0000u64), (0x100_0000, 0x20_0000 - 100)];
        let (size, pages) = device_pages(&segs).unwrap();
        assert_eq!(size, PageSize::Huge);
        assert_eq!(pages.len(), 3);
        assert_eq!(pages[0], 0x40_0000 + HOST_PHYS_BASE);
        assert_eq!(pages[2], 0x100_0000 + HOST_PHYS_BASE);
    }

    #[test]
    fn any_unaligned_segment_gives_small_pages() {
        let segs = [(0x40_0000u64, 0x20_0000u64), (0x100_1000, 0x2000)];
        let (size, pages) = device_pages(&segs).unwrap();
        assert_eq!(size, PageSize::Small);
        assert_eq!(pages.len(), 512 + 2);
        assert_eq!(pages[512], 0x100_1000 + HOST_PHYS_BASE);
    }

    #[test]
    fn a_segment_not_starting_on_a_page_covers_its_pages() {
        let segs = [(0x1234_5800u64, 0x1000u64)];
        let (size, pages) = device_pages(&segs).unwrap();
        assert_eq!(size, PageSize::Small);
        assert_eq!(pages.len(), 2);
        assert_eq!(pages[0], 0x1234_5000 + HOST_PHYS_BASE);
    }
}
