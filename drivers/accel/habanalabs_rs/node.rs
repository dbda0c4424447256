// SPDX-License-Identifier: GPL-2.0

//! The accel node: DRM driver description, per-open contexts and the ioctl table.
//!
//! Each open of `/dev/accel/accelN` is a compute context. Like upstream on Gaudi, only one
//! compute context may exist per device at a time (a second open fails with `EBUSY`), and it
//! gets the single user ASID. Closing the file (or the death of its process, which closes it)
//! releases both.

use crate::gaudi::Gaudi;
use crate::info;
use core::sync::atomic::{AtomicU64, Ordering};
use kernel::{
    drm::{self, gem},
    pci,
    prelude::*,
    sync::{aref::ARef, Mutex},
    time::{Instant, Monotonic},
};

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
}

/// The DRM driver.
pub(crate) struct HlDrm;

/// What ioctls reach while the device is registered: the bound Gaudi.
pub(crate) struct GaudiRef<'a>(pub(crate) &'a Gaudi<'a>);

/// An open file: one compute context.
#[pin_data(PinnedDrop)]
pub(crate) struct HlFile {
    drm: ARef<drm::Device<HlDrm>>,
    /// The context's ASID.
    pub(crate) asid: u32,
    /// HBM the context allocated through MEMORY ALLOC, in bytes.
    dram_used: AtomicU64,
}

impl HlFile {
    /// HBM the context allocated, in bytes.
    pub(crate) fn dram_used(&self) -> u64 {
        self.dram_used.load(Ordering::Relaxed)
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
            open.last_open = Some(Instant::now());
            asid
        };
        KBox::try_pin_init(
            try_pin_init!(HlFile {
                drm: device.into(),
                asid,
                dram_used: AtomicU64::new(0),
            }),
            GFP_KERNEL,
        )
        .inspect_err(|_| release_ctx(shared, asid))
    }
}

/// Gives a context's ASID back and marks the compute context closed.
fn release_ctx(shared: &Shared, asid: u32) {
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
    }
}
