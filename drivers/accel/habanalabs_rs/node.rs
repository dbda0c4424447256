// SPDX-License-Identifier: GPL-2.0

//! The accel node: DRM driver description, per-open contexts and the ioctl table.
//!
//! Each open of `/dev/accel/accelN` is a compute context. Like upstream on Gaudi, only one
//! compute context may exist per device at a time (a second open fails with `EBUSY`), and it
//! gets the single user ASID. Closing the file (or the death of its process, which closes it)
//! releases both.

use crate::capture::{Captured, UserMapping};
use crate::cb::CbTable;
use crate::cs::CtxCs;
use crate::gaudi::Gaudi;
use crate::mmu::PageSize;
use crate::va::VaSpace;
use crate::{cb, cs, info, memory};
use kernel::{
    devres::Devres,
    drm::{self, gem},
    mm::{pin::DmaMappedPages, virt::VmaNew},
    new_mutex, pci,
    prelude::*,
    sync::{aref::ARef, Arc, Mutex},
    time::{Instant, Monotonic},
};

/// How long closing a context waits for its CSs in flight before resetting the device.
const CLOSE_GRACE: kernel::time::Delta = kernel::time::Delta::from_secs(1);

/// Number of ASIDs Gaudi's MMU has; ASID 0 belongs to the driver and the device CPU.
pub(crate) const MAX_ASID: u32 = 2;

/// Allocates the lowest free ASID above 0 in `used`; `None` when all are taken.
pub(crate) fn asid_alloc(used: &mut u32, max: u32) -> Option<u32> {
    let asid = (1..max).find(|a| *used & (1 << a) == 0)?;
    *used |= 1 << asid;
    Some(asid)
}

/// Book-keeping of opens, guarded by [`Shared::open`].
pub(crate) struct OpenState {
    /// Whether a compute context exists.
    pub(crate) ctx_active: bool,
    /// ASIDs in use, one bit each; bit 0 (the driver's) is always set.
    pub(crate) asids: u32,
    /// Successful opens since probe.
    pub(crate) open_counter: u64,
    /// When the current (or last) compute context was opened.
    pub(crate) last_open: Option<Instant<Monotonic>>,
    /// Length of the last finished open period, in ms.
    pub(crate) last_open_period_ms: u64,
    /// CLOCK_MONOTONIC time of the last successful open, in ns (0 before the first).
    pub(crate) last_open_ns: i64,
}

/// Device state that lives as long as the DRM device (and so as long as any open file),
/// independent of whether the PCI device is still bound.
#[pin_data]
pub(crate) struct Shared {
    /// Open rules and statistics.
    #[pin]
    pub(crate) open: Mutex<OpenState>,
    /// PCI device ID, for HW_IP_INFO.
    pub(crate) device_id: u16,
    /// PCI revision, for HW_IP_INFO.
    pub(crate) revision: u8,
    /// Mappings of contexts closed while the device was going away: kept until the device's
    /// unbind revokes them (after the reset, when no translation can point at them).
    #[pin]
    pub(crate) orphans: Mutex<KVec<Mapping>>,
    /// The errors kept since the last open, for INFO.
    #[pin]
    pub(crate) captured: Mutex<Captured>,
    /// The open compute file's eventfd and pending events.
    #[pin]
    pub(crate) notifier: Mutex<crate::notify::Notifier>,
    /// The memory state of the open compute context, while there is one.
    #[pin]
    pub(crate) compute_mem: Mutex<Option<Arc<Mutex<CtxMem>>>>,
}

impl Shared {
    /// The host mappings of the open compute context, for a page fault's capture; none if
    /// there is no such context (or no memory to list them in, as upstream).
    pub(crate) fn user_mappings(&self) -> KVec<UserMapping> {
        let Some(mem) = self.compute_mem.lock().clone() else {
            return KVec::new();
        };
        let m = mem.lock();
        let mut out = KVec::new();
        if out.reserve(m.maps.len(), GFP_KERNEL).is_ok() {
            for map in m.maps.iter() {
                let _ = out.push_within_capacity(UserMapping {
                    va: map.va,
                    size: map.len,
                });
            }
        }
        out
    }
}

/// The DRM driver.
pub(crate) struct HlDrm;

/// What ioctls reach while the device is registered: the bound Gaudi.
pub(crate) struct GaudiRef<'a>(pub(crate) &'a Gaudi<'a>);

/// Host memory a context mapped into the device MMU.
pub(crate) struct Mapping {
    /// The address MAP returned (block start plus the buffer's offset in its first page).
    pub(crate) va: u64,
    /// Start of the reserved block of device virtual addresses.
    pub(crate) block: u64,
    /// The size the user asked to map.
    pub(crate) len: u64,
    /// Number of device pages mapped.
    pub(crate) pages: usize,
    /// Their size.
    pub(crate) size: PageSize,
    /// The pinned, DMA-mapped buffer; revoked (unmapped and unpinned) if the device unbinds
    /// first.
    pub(crate) _dma: Devres<DmaMappedPages>,
}

/// A context's memory state, under one lock.
pub(crate) struct CtxMem {
    /// Free device virtual addresses of the host range.
    pub(crate) va: VaSpace,
    /// Live mappings.
    pub(crate) maps: KVec<Mapping>,
    /// HBM accounted through ALLOC and FREE (wrapping, like upstream's counter).
    pub(crate) dram: u64,
}

/// An open file: one compute context.
#[pin_data(PinnedDrop)]
pub(crate) struct HlFile {
    drm: ARef<drm::Device<HlDrm>>,
    /// The context's ASID.
    pub(crate) asid: u32,
    /// Mappings and accounting (shared with the device's error capture while open).
    pub(crate) mem: Arc<Mutex<CtxMem>>,
    /// Command buffers by id.
    #[pin]
    pub(crate) cbs: Mutex<CbTable>,
    /// Sequence numbers and fences of command submissions.
    #[pin]
    pub(crate) cs: Mutex<CtxCs>,
}

impl HlFile {
    /// HBM the context accounted through ALLOC and FREE, in bytes.
    pub(crate) fn dram_used(&self) -> u64 {
        self.mem.lock().dram
    }

    /// Adds (`alloc`) or subtracts `size` bytes of accounted HBM.
    pub(crate) fn account_dram(&self, size: u64, alloc: bool) {
        let mut m = self.mem.lock();
        m.dram = if alloc {
            m.dram.wrapping_add(size)
        } else {
            m.dram.wrapping_sub(size)
        };
    }
}

impl drm::file::DriverFile for HlFile {
    type Driver = HlDrm;

    fn open(device: &drm::Device<HlDrm>) -> Result<Pin<KBox<Self>>> {
        let shared: &Shared = device;
        let asid = {
            let mut open = shared.open.lock();
            if open.ctx_active {
                dev_dbg!(
                    device.as_ref(),
                    "a compute context is already open; only one may exist\n"
                );
                return Err(EBUSY);
            }
            let Some(asid) = asid_alloc(&mut open.asids, MAX_ASID) else {
                dev_dbg!(device.as_ref(), "no free ASID\n");
                return Err(ENOMEM);
            };
            open.ctx_active = true;
            open.open_counter += 1;
            // Error capture and events start afresh with each open, as upstream's.
            *shared.captured.lock() = Captured::default();
            shared.notifier.lock().opened();
            let now = Instant::<Monotonic>::now();
            open.last_open = Some(now);
            open.last_open_ns = now.as_nanos();
            asid
        };
        let init = || -> Result<Pin<KBox<Self>>> {
            let va = crate::va::context_space()?;
            let window = CtxCs::new()?;
            let mem = Arc::pin_init(
                new_mutex!(CtxMem {
                    va,
                    maps: KVec::new(),
                    dram: 0,
                }),
                GFP_KERNEL,
            )?;
            let file_mem = mem.clone();
            let file = KBox::try_pin_init(
                try_pin_init!(HlFile {
                    drm: device.into(),
                    asid,
                    mem: file_mem,
                    cbs <- new_mutex!(CbTable::default()),
                    cs <- new_mutex!(window),
                }),
                GFP_KERNEL,
            )?;
            *shared.compute_mem.lock() = Some(mem);
            Ok(file)
        };
        init().inspect_err(|_| release_ctx(shared, asid))
    }

    fn close(self: Pin<&Self>, device: &drm::Device<HlDrm, drm::Ioctl>) {
        // Jobs still running may use the context's mappings: give them a moment to end. What
        // is still running after it (a hung queue, a process killed mid-work) is aborted by a
        // reset, as upstream resets a device that is not idle once its context is gone.
        let start = Instant::<Monotonic>::now();
        let all_done = match self.cs.lock().unfinished() {
            Ok(pending) => pending.iter().all(|f| f.wait_until(start, CLOSE_GRACE)),
            Err(e) => {
                dev_err!(
                    device.as_ref(),
                    "cannot list the CSs in flight at close: {:?}\n",
                    e
                );
                false
            }
        };
        if !all_done {
            if let Some(guard) = device.registration_guard() {
                guard.registration_data_with(|g| {
                    dev_warn!(
                        g.0.bound(),
                        "context closed with command submissions in flight; resetting\n"
                    );
                    g.0.reset(None);
                });
            }
        }
        self.cbs.lock().clear();
        let mut maps = core::mem::take(&mut self.mem.lock().maps);
        // While the device is bound, take the context's translations out of the MMU, then
        // unmap and unpin the pages behind them.
        if let Some(guard) = device.registration_guard() {
            guard.registration_data_with(|g| {
                if let Err(e) = g.0.mmu_clear(self.asid as usize) {
                    dev_err!(
                        g.0.bound(),
                        "cannot clear the MMU of ASID {}: {:?}\n",
                        self.asid,
                        e
                    );
                }
            });
            drop(maps);
            return;
        }
        // The device is going away (or is gone). Until its unbind has reset it, the MMU may
        // still translate into these pages, so they must stay pinned: hand them to the device,
        // whose unbind revokes them after the reset. If it is gone already, they were revoked.
        let shared: &Shared = device;
        let mut orphans = shared.orphans.lock();
        if orphans.reserve(maps.len(), GFP_KERNEL).is_err() {
            dev_err!(
                device.as_ref(),
                "cannot keep {} mappings until the device is reset\n",
                maps.len()
            );
            return;
        }
        for m in maps.drain_all() {
            let _ = orphans.push_within_capacity(m);
        }
    }

    fn mmap(self: Pin<&Self>, device: &drm::Device<HlDrm>, vma: &VmaNew) -> Result {
        cb::mmap(device.as_ref().as_ref(), self.get_ref(), vma)
    }
}

/// Gives a context's ASID back and marks the compute context closed.
fn release_ctx(shared: &Shared, asid: u32) {
    shared.notifier.lock().closed();
    shared.compute_mem.lock().take();
    let mut open = shared.open.lock();
    open.asids &= !(1 << asid);
    open.ctx_active = false;
    if let Some(t) = open.last_open {
        open.last_open_period_ms = t.elapsed().as_millis() as u64;
    }
}

#[pinned_drop]
impl PinnedDrop for HlFile {
    fn drop(self: Pin<&mut Self>) {
        release_ctx(&self.drm, self.asid);
    }
}

/// GEM is not used: Gaudi memory is managed through the MEMORY ioctl. The DRM abstraction
/// needs an object type all the same; none is ever created.
#[pin_data]
pub(crate) struct NoGem {}

impl gem::DriverObject for NoGem {
    type Driver = HlDrm;
    type Args = ();

    fn new(_dev: &drm::Device<HlDrm>, _size: usize, _args: ()) -> impl PinInit<Self, Error> {
        try_pin_init!(NoGem {})
    }
}

#[vtable]
impl drm::Driver for HlDrm {
    type Data = Shared;
    type RegistrationData<'a> = GaudiRef<'a>;
    type File = HlFile;
    type Object = gem::Object<NoGem>;
    type ParentDevice<Ctx: kernel::device::DeviceContext> = pci::Device<Ctx>;

    const INFO: drm::DriverInfo = drm::DriverInfo {
        major: 1,
        minor: 0,
        patchlevel: 0,
        name: c"habanalabs",
        desc: c"HabanaLabs Driver",
    };

    const FEAT_COMPUTE_ACCEL: bool = true;

    kernel::declare_drm_ioctls! {
        (HL_INFO, hl_info_args, 0, info::ioctl),
        (HL_CB, hl_cb_args, 0, cb::ioctl),
        (HL_CS, hl_cs_args, 0, cs::ioctl),
        (HL_WAIT_CS, hl_wait_cs_args, 0, cs::wait_ioctl),
        (HL_MEMORY, hl_mem_args, 0, memory::ioctl),
    }
}
