// SPDX-License-Identifier: GPL-2.0

//! Command buffers: `DRM_IOCTL_HL_CB` and their mapping into user space.
//!
//! A command buffer (CB) is coherent DMA memory the driver allocates for a context; user space
//! maps it with `mmap()` at the offset its handle gives, writes packets into it and names it
//! in the chunks of a command submission. The handle carries upstream's mmap type for CBs in
//! its top bits and a per-context id (the lowest free one from 1, as upstream) above the page
//! shift, so the handle is also the `mmap()` offset.
//!
//! A CB lives while any of its holders does: the context's table (until DESTROY or close),
//! a job that runs it, and a user mapping of it. DESTROY only drops the handle, as upstream:
//! memory a job or a mapping still uses is freed when they are done with it.

use crate::node::{GaudiRef, HlDrm, HlFile};
use kernel::{
    device::{Bound, Device},
    dma::Coherent,
    drm,
    mm::virt::VmaNew,
    page::{PAGE_SHIFT, PAGE_SIZE},
    prelude::*,
    sync::{
        atomic::{ordering::Relaxed, Atomic},
        Arc,
    },
    uapi,
};

/// Upstream's mmap type of CBs, in page-offset units (`HL_MMAP_TYPE_CB >> PAGE_SHIFT`).
const MMAP_TYPE_SHIFT: u32 = 59 - PAGE_SHIFT as u32;
/// Type bits of a page offset.
const MMAP_TYPE_MASK: u64 = 0x1f << MMAP_TYPE_SHIFT;
/// The CB type.
const MMAP_TYPE_CB: u64 = 0x2 << MMAP_TYPE_SHIFT;

/// Largest CB upstream lets user space create (`HL_MAX_CB_SIZE`).
pub(crate) const MAX_CB_SIZE: u32 = uapi::HL_MAX_CB_SIZE;

/// Largest id a context may use; upstream's idr hands out positive `int`s.
const MAX_ID: u32 = i32::MAX as u32;

/// The handle (and mmap offset) of CB `id`.
pub(crate) fn handle_of(id: u32) -> u64 {
    (u64::from(id) | MMAP_TYPE_CB) << PAGE_SHIFT
}

/// The id a handle names, as upstream decodes it: the low 32 bits above the page shift.
pub(crate) fn id_of(handle: u64) -> u32 {
    (handle >> PAGE_SHIFT) as u32
}

/// A command buffer.
pub(crate) struct Cb {
    /// Its memory: what user space maps and the parser copies from.
    mem: Coherent<[u8]>,
    /// Bytes asked for, rounded up to a page as upstream.
    size: u32,
    /// Jobs using it (upstream's `cs_cnt`, reported by INFO).
    pub(crate) jobs: Atomic<u32>,
    /// Whether user space has it mapped; upstream allows one mapping at a time.
    mapped: Atomic<bool>,
}

impl Cb {
    /// Size in bytes.
    pub(crate) fn size(&self) -> u32 {
        self.size
    }

    /// Copies `out.len()` bytes from offset 0 of the CB.
    ///
    /// User space may write the CB concurrently (it is mapped); the copy is what gets parsed
    /// and run, so whatever it sees is checked before the device sees it.
    pub(crate) fn read(&self, out: &mut [u8]) -> Result {
        if out.len() > self.mem.size() {
            return Err(EINVAL);
        }
        // SAFETY: `out.len()` bytes from the start are inside the allocation (checked above).
        // The device never touches a user CB (jobs run a copy), and a racing user-space write
        // only changes which bytes are copied, which the caller validates afterwards.
        unsafe {
            core::ptr::copy_nonoverlapping(
                self.mem.as_ptr().cast::<u8>(),
                out.as_mut_ptr(),
                out.len(),
            )
        };
        Ok(())
    }
}

/// Keeps a CB alive while a user mapping of it exists, and allows the next mapping once it
/// is gone.
struct Mapped(Arc<Cb>);

impl Drop for Mapped {
    fn drop(&mut self) {
        self.0.mapped.store(false, Relaxed);
    }
}

/// A context's CBs by id.
#[derive(Default)]
pub(crate) struct CbTable {
    entries: KVec<(u32, Arc<Cb>)>,
}

impl CbTable {
    /// The CB with `id`.
    pub(crate) fn get(&self, id: u32) -> Option<Arc<Cb>> {
        self.entries
            .iter()
            .find(|(i, _)| *i == id)
            .map(|(_, cb)| cb.clone())
    }

    /// The lowest id from 1 no CB uses.
    fn free_id(&self) -> Option<u32> {
        // Ids are kept sorted, so the first gap is the answer.
        let mut want = 1;
        for (id, _) in self.entries.iter() {
            if *id != want {
                break;
            }
            want += 1;
        }
        (want <= MAX_ID).then_some(want)
    }

    /// Adds `cb` under the lowest free id.
    fn insert(&mut self, cb: Arc<Cb>) -> Result<u32> {
        let id = self.free_id().ok_or(ENOSPC)?;
        self.entries.reserve(1, GFP_KERNEL)?;
        let at = self
            .entries
            .iter()
            .position(|(i, _)| *i > id)
            .unwrap_or(self.entries.len());
        self.entries
            .insert_within_capacity(at, (id, cb))
            .map_err(|_| ENOMEM)?;
        Ok(id)
    }

    /// Removes the CB with `id`.
    fn remove(&mut self, id: u32) -> Option<Arc<Cb>> {
        let at = self.entries.iter().position(|(i, _)| *i == id)?;
        self.entries.remove(at).ok().map(|(_, cb)| cb)
    }

    /// Drops every handle (context close).
    pub(crate) fn clear(&mut self) {
        self.entries.clear();
    }
}

/// Allocates a zeroed CB of `size` bytes (rounded up to a page).
pub(crate) fn alloc(dev: &Device<Bound>, size: u32) -> Result<Arc<Cb>> {
    let size = size
        .max(PAGE_SIZE as u32)
        .next_multiple_of(PAGE_SIZE as u32);
    let mem = Coherent::<u8>::zeroed_slice(dev, size as usize, GFP_KERNEL)?;
    Ok(Arc::new(
        Cb {
            mem,
            size,
            jobs: Atomic::new(0),
            mapped: Atomic::new(false),
        },
        GFP_KERNEL,
    )?)
}

/// The `DRM_IOCTL_HL_CB` handler.
pub(crate) fn ioctl(
    _dev: &drm::Device<HlDrm, drm::Registered>,
    g: &GaudiRef<'_>,
    args: &mut uapi::hl_cb_args,
    file: &drm::File<HlFile>,
) -> Result<u32> {
    let gaudi = g.0;
    let d = gaudi.bound();
    // SAFETY: every member of the argument union is plain integers; any bits are valid.
    let inp = unsafe { args.in_ };
    if !gaudi.operational() {
        dev_dbg!(d, "CB: device is not operational\n");
        return Err(EBUSY);
    }
    let ctx = file.inner().get_ref();
    match inp.op {
        uapi::HL_CB_OP_CREATE => {
            let res = create(d, ctx, &inp);
            *args = pin_init::zeroed();
            let id = res?;
            args.out.__bindgen_anon_1.cb_handle = handle_of(id);
            Ok(0)
        }
        uapi::HL_CB_OP_DESTROY => {
            let id = id_of(inp.cb_handle);
            let cb = ctx.cbs.lock().remove(id);
            match cb {
                None => {
                    dev_dbg!(d, "CB DESTROY: no CB with handle {:#x}\n", inp.cb_handle);
                    Err(EINVAL)
                }
                Some(cb) => {
                    if cb.jobs.load(Relaxed) != 0 {
                        dev_dbg!(
                            d,
                            "CB {:#x} destroyed while jobs use it; freed when they finish\n",
                            inp.cb_handle
                        );
                    }
                    Ok(0)
                }
            }
        }
        uapi::HL_CB_OP_INFO => {
            let Some(cb) = ctx.cbs.lock().get(id_of(inp.cb_handle)) else {
                dev_dbg!(d, "CB INFO: no CB with handle {:#x}\n", inp.cb_handle);
                return Err(EINVAL);
            };
            if inp.flags & uapi::HL_CB_FLAGS_GET_DEVICE_VA != 0 {
                dev_dbg!(
                    d,
                    "CB INFO: CB {:#x} is not mapped to the device MMU\n",
                    inp.cb_handle
                );
                return Err(EINVAL);
            }
            let used = cb.jobs.load(Relaxed);
            args.out = pin_init::zeroed();
            args.out
                .__bindgen_anon_1
                .__bindgen_anon_1
                .__bindgen_anon_1
                .usage_cnt = used;
            Ok(0)
        }
        op => {
            dev_dbg!(d, "CB: unknown op {}\n", op);
            Err(EINVAL)
        }
    }
}

/// CREATE: checks the request, allocates, and files the CB under a new id.
fn create(d: &Device<Bound>, ctx: &HlFile, inp: &uapi::hl_cb_in) -> Result<u32> {
    if inp.cb_size > MAX_CB_SIZE {
        dev_dbg!(
            d,
            "CB CREATE: size {} is above the maximum {}\n",
            inp.cb_size,
            MAX_CB_SIZE
        );
        return Err(EINVAL);
    }
    if inp.flags & uapi::HL_CB_FLAGS_MAP != 0 {
        // Gaudi does not map CBs into the device MMU: its external queues fetch them
        // physically.
        dev_dbg!(
            d,
            "CB CREATE: mapping a CB to the device MMU is not supported\n"
        );
        return Err(EINVAL);
    }
    let cb = alloc(d, inp.cb_size)?;
    ctx.cbs.lock().insert(cb)
}

/// `mmap()` of the accel node: maps the CB the page offset names.
pub(crate) fn mmap(d: &Device, ctx: &HlFile, vma: &VmaNew) -> Result {
    let pgoff = vma.pgoff() as u64;
    if pgoff & MMAP_TYPE_MASK != MMAP_TYPE_CB {
        dev_dbg!(
            d,
            "mmap: offset {:#x} names no mappable object\n",
            pgoff << PAGE_SHIFT
        );
        return Err(EINVAL);
    }
    let Some(cb) = ctx.cbs.lock().get(pgoff as u32) else {
        dev_dbg!(d, "mmap: no CB with handle {:#x}\n", pgoff << PAGE_SHIFT);
        return Err(EINVAL);
    };
    let len = vma.end() - vma.start();
    if len != cb.size as usize {
        dev_dbg!(
            d,
            "mmap: {} bytes asked for a CB of {} bytes\n",
            len,
            cb.size
        );
        return Err(EINVAL);
    }
    if cb.mapped.cmpxchg(false, true, Relaxed).is_err() {
        dev_dbg!(d, "mmap: CB {:#x} is already mapped\n", pgoff << PAGE_SHIFT);
        return Err(EINVAL);
    }
    let mapped = Arc::new(Mapped(cb), GFP_KERNEL)?;
    vma.set_dontcopy();
    vma.set_dontexpand();
    vma.set_dontdump();
    vma.set_io();
    mapped.0.mem.mmap(vma)?;
    vma.set_owner(mapped)
}

#[kunit_tests(habanalabs_rs_cb)]
mod tests {
    use super::*;

    #[test]
    fn handles_are_upstream_mmap_offsets() {
        // Upstream: (id | HL_MMAP_TYPE_CB) << PAGE_SHIFT, HL_MMAP_TYPE_CB = 0x2 << (59 - shift).
        assert_eq!(handle_of(1), (1u64 << PAGE_SHIFT) | (2u64 << 59));
        assert_eq!(id_of(handle_of(77)), 77);
        assert_eq!((handle_of(5) >> PAGE_SHIFT) & MMAP_TYPE_MASK, MMAP_TYPE_CB);
    }
}
