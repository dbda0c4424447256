// SPDX-License-Identifier: GPL-2.0

//! Hard reset of a live device, and the watchdog that calls for it.
//!
//! A reset is due when the oldest CS in flight runs out of time, when the firmware reports an
//! event that upstream answers with a hard reset, or when the device CPU fails its heartbeat
//! (a TEST packet every 10 s, as upstream). The watchdog, two delayed work items (one for the
//! timeouts and events, one for the heartbeat), runs it in process context: ioctls see the
//! device as not operational (`EBUSY`), the DMA engines are halted, every CS in flight is aborted (its waiters get `EIO` and `ABORTED`, the one
//! that timed out `ETIMEDOUT` and `TIMEDOUT`), the device is hard-reset and brought up again
//! as at probe, and the page tables of the open context are written back from the driver's
//! shadow, so its mappings survive. The reset counter of INFO counts every attempt.
//!
//! Unlike upstream, the driver does not kill the processes that have the device open: their
//! CSs are aborted and they can go on submitting. Upstream cannot keep a context across a
//! reset; this driver can, because it keeps the MMU's tables in host memory.

use crate::capture::{self, Captured, FwErr};
use crate::cpucp::{self, op, Packet};
use crate::gaudi::Gaudi;
use crate::node::{HlDrm, Shared};
use crate::notify::bits;
use core::sync::atomic::Ordering;
use kernel::{
    bindings, drm, impl_has_delayed_work, new_delayed_work, new_mutex,
    prelude::*,
    sync::{
        aref::ARef,
        atomic::{ordering::Relaxed, Atomic},
        Arc, Mutex,
    },
    time::{msecs_to_jiffies, Delta},
    workqueue::{self, DelayedWork, WorkItem},
};

/// How often a device with CSs in flight is looked at, at most.
const PERIOD: Delta = Delta::from_millis(500);
/// How often the device CPU is asked whether it is alive (upstream's heartbeat period).
const HEARTBEAT: Delta = Delta::from_secs(10);
/// What the device CPU echoes back to a heartbeat.
const HEARTBEAT_FENCE: u64 = 0xFE8C_E7A5;

/// The second work item of [`Watchdog`]: the heartbeat.
const HB: u64 = 1;

/// The delayed work that watches CS timeouts and runs resets.
#[pin_data]
pub(crate) struct Watchdog {
    #[pin]
    work: DelayedWork<Watchdog>,
    #[pin]
    heartbeat: DelayedWork<Watchdog, HB>,
    /// The accel device, through which the work reaches the bound device.
    #[pin]
    drm: Mutex<Option<ARef<drm::Device<HlDrm, drm::Ioctl>>>>,
    /// Whether the work is queued.
    armed: Atomic<bool>,
    /// Orders queueing against [`Watchdog::stop`]: nothing is queued once it has run.
    #[pin]
    queueing: Mutex<()>,
    /// Set at unbind: the work must not be queued again.
    stopped: Atomic<bool>,
    /// An event asked for a reset.
    pub(crate) reset_requested: Atomic<bool>,
}

impl_has_delayed_work! {
    impl HasDelayedWork<Self> for Watchdog { self.work }
    impl HasDelayedWork<Self, 1> for Watchdog { self.heartbeat }
}

impl Watchdog {
    /// A stopped-until-started watchdog.
    pub(crate) fn new() -> Result<Arc<Self>> {
        Arc::pin_init(
            pin_init!(Watchdog {
                work <- new_delayed_work!("habanalabs_rs::watchdog"),
                heartbeat <- new_delayed_work!("habanalabs_rs::heartbeat"),
                drm <- new_mutex!(None),
                armed: Atomic::new(false),
                queueing <- new_mutex!(()),
                stopped: Atomic::new(false),
                reset_requested: Atomic::new(false),
            }),
            GFP_KERNEL,
        )
    }

    /// Gives the watchdog the accel device once it is registered, and starts the heartbeat.
    pub(crate) fn start(self: &Arc<Self>, drm: ARef<drm::Device<HlDrm, drm::Ioctl>>) {
        *self.drm.lock() = Some(drm);
        self.arm_heartbeat();
    }

    fn arm_heartbeat(self: &Arc<Self>) {
        let _q = self.queueing.lock();
        if self.stopped.load(Relaxed) {
            return;
        }
        let jiffies = msecs_to_jiffies(HEARTBEAT.as_millis() as u32);
        // Only the heartbeat's own run queues it, so it is never queued already.
        let _ = workqueue::system_long().enqueue_delayed::<_, HB>(self.clone(), jiffies);
    }

    /// The registered device, while it is.
    pub(crate) fn device(&self) -> Option<ARef<drm::Device<HlDrm, drm::Ioctl>>> {
        self.drm.lock().clone()
    }

    /// Queues the work to run after `delay`, unless it is queued already or stopped.
    pub(crate) fn arm(self: &Arc<Self>, delay: Delta) {
        let _q = self.queueing.lock();
        if self.stopped.load(Relaxed) || self.armed.xchg(true, Relaxed) {
            return;
        }
        let jiffies = msecs_to_jiffies(delay.as_millis_ceil().clamp(0, u32::MAX.into()) as u32);
        if workqueue::system_long()
            .enqueue_delayed::<_, 0>(self.clone(), jiffies)
            .is_err()
        {
            // Already queued: that run will look again.
        }
    }

    /// Stops the watchdog for good and waits until its work is neither queued nor running.
    pub(crate) fn stop(self: &Arc<Self>) {
        {
            // Whoever queues holds the lock and checks `stopped`: after this, nobody queues.
            let _q = self.queueing.lock();
            self.stopped.store(true, Relaxed);
        }
        let this: *const Self = &**self;
        // SAFETY: `this` points to a live `Watchdog` (`self` holds a reference).
        let works = unsafe {
            [
                <Self as workqueue::HasWork<Self>>::raw_get_work(this.cast_mut()).cast(),
                <Self as workqueue::HasWork<Self, HB>>::raw_get_work(this.cast_mut()).cast(),
            ]
        };
        for work in works {
            // SAFETY: `work` points to the `work_struct` at the start of a `delayed_work`
            // inside `self`, which lives while `self` does. Flushing runs a pending timer's
            // work at once and waits for it; since `stopped` is set, the run does not queue it
            // again, and the reference the queue held is dropped by that run.
            unsafe { bindings::flush_delayed_work(work) };
        }
        self.drm.lock().take();
    }
}

impl WorkItem for Watchdog {
    type Pointer = Arc<Watchdog>;

    fn run(this: Arc<Watchdog>) {
        this.armed.store(false, Relaxed);
        if this.stopped.load(Relaxed) {
            return;
        }
        let Some(drm) = this.device() else {
            return;
        };
        // Once the device is being unbound the guard fails, and the unbind stops the watchdog.
        let Some(guard) = drm.registration_guard() else {
            return;
        };
        guard.registration_data_with(|g| g.0.watch(&this, &drm));
    }
}

impl WorkItem<HB> for Watchdog {
    type Pointer = Arc<Watchdog>;

    fn run(this: Arc<Watchdog>) {
        if this.stopped.load(Relaxed) {
            return;
        }
        if let Some(drm) = this.device() {
            if let Some(guard) = drm.registration_guard() {
                guard.registration_data_with(|g| g.0.heartbeat());
            }
        }
        this.arm_heartbeat();
    }
}

impl Gaudi<'_> {
    /// Runs a reset if one is due, and looks again later while CSs are in flight.
    fn watch(&self, dog: &Arc<Watchdog>, drm: &drm::Device<HlDrm, drm::Ioctl>) {
        if dog.reset_requested.xchg(false, Relaxed) {
            self.reset(None);
        }
        let (expired, busy) = {
            let mut cs = self.cs.lock();
            cs.retire_finished();
            (cs.expired(), !cs.inflight.is_empty())
        };
        if let Some(fence) = expired {
            // The first timeout since the file was opened is kept for INFO, as upstream.
            let shared: &Shared = drm;
            let mut cap = shared.captured.lock();
            let first = cap.cs_timeout.is_none();
            if first {
                cap.cs_timeout = Some((capture::now(), fence.seq));
            }
            drop(cap);
            // As upstream: the first timeout is reported as such, every one as a reset.
            let cs = if first { bits::CS_TIMEOUT } else { 0 };
            shared.notifier.lock().send(cs | bits::DEVICE_RESET);
            dev_err!(
                self.bound(),
                "command submission {} did not finish in {} s; resetting the device\n",
                fence.seq,
                fence.timeout().as_millis() / 1000
            );
            self.reset(Some(&fence));
        } else if busy {
            dog.arm(PERIOD);
        }
    }

    /// Upstream's heartbeat: the device CPU must echo a TEST packet, or the device is reset.
    fn heartbeat(&self) {
        let s = &self.stats;
        if s.in_reset.load(Ordering::Relaxed) || s.gone.load(Ordering::Relaxed) {
            return;
        }
        // A device CPU that stopped answering earlier has disabled the channel: that is a
        // failed heartbeat too, and the reset brings the channel back.
        let res = if self.cpu_disabled() {
            Err(EIO)
        } else {
            self.send(Packet::new(op::TEST, HEARTBEAT_FENCE), cpucp::MSG_TIMEOUT)
        };
        match res {
            Ok(HEARTBEAT_FENCE) => {}
            res => {
                dev_err!(
                    self.bound(),
                    "device heartbeat failed ({:?}); resetting the device\n",
                    res
                );
                self.capture(|c| c.fw_err(FwErr::Heartbeat));
                self.notify(bits::DEVICE_RESET | bits::DEVICE_UNAVAILABLE | bits::CRITICAL_FW_ERR);
                self.reset(None);
            }
        }
    }

    /// Tells the open compute file, if any, of device events (`HL_NOTIFIER_EVENT_*` bits).
    pub(crate) fn notify(&self, mask: u64) {
        self.with_shared(|s| s.notifier.lock().send(mask));
    }

    /// Runs `f` on the accel device's data, while the device is registered.
    fn with_shared(&self, f: impl FnOnce(&Shared)) {
        if let Some(drm) = self.watchdog.device() {
            f(&drm);
        }
    }

    /// Runs `f` on the errors kept for INFO, while the device is registered.
    pub(crate) fn capture(&self, f: impl FnOnce(&mut Captured)) {
        self.with_shared(|s| f(&mut s.captured.lock()));
    }

    /// Keeps the first page fault since the compute file was opened, with the context's host
    /// mappings at that moment, for `HL_INFO_PAGE_FAULT_EVENT` and `HL_INFO_USER_MAPPINGS`.
    pub(crate) fn record_page_fault(&self, va: u64) {
        self.with_shared(|s| {
            if s.captured.lock().page_fault.is_some() {
                return;
            }
            // Listed before the capture is locked: the context's lock is never taken inside it.
            let maps = s.user_mappings();
            s.captured.lock().page_fault(va, maps);
        });
    }

    /// Makes sure the watchdog looks at the CSs in flight.
    pub(crate) fn watch_timeouts(&self) {
        self.watchdog.arm(PERIOD);
    }

    /// Asks the watchdog for a reset (from the interrupt thread).
    pub(crate) fn request_reset(&self) {
        self.watchdog.reset_requested.store(true, Relaxed);
        self.watchdog.arm(Delta::ZERO);
    }

    /// Hard-resets the device and brings it back; see the module documentation.
    pub(crate) fn reset(&self, timed_out: Option<&Arc<crate::cs::Fence>>) {
        let dev = self.bound();
        let _one_at_a_time = self.resetting.lock();
        if self.stats.gone.load(Ordering::Relaxed) {
            // Unbound meanwhile: its unbind aborted the work, and the device is going away.
            return;
        }
        dev_info!(dev, "resetting the device\n");
        self.stats
            .in_reset
            .store(true, core::sync::atomic::Ordering::Relaxed);
        let aborted = self.abort_all(timed_out);
        if aborted > 0 {
            dev_warn!(
                dev,
                "{} command submissions aborted by the reset\n",
                aborted
            );
        }
        let res = self.restart();
        self.stats.hard_resets.fetch_add(1, Ordering::Relaxed);
        match res {
            Ok(()) => {
                self.stats
                    .needs_reset
                    .store(false, core::sync::atomic::Ordering::Relaxed);
                self.stats
                    .in_reset
                    .store(false, core::sync::atomic::Ordering::Relaxed);
                dev_info!(dev, "device reset and running again\n");
            }
            Err(e) => {
                // The device stays out of service (not operational) until it is rebound.
                self.stats
                    .needs_reset
                    .store(true, core::sync::atomic::Ordering::Relaxed);
                self.stats
                    .in_reset
                    .store(false, core::sync::atomic::Ordering::Relaxed);
                dev_err!(dev, "reset failed ({:?}); the device is not usable\n", e);
            }
        }
    }

    /// Halts the DMA engines and aborts every CS in flight; returns how many there were.
    pub(crate) fn abort_all(&self, timed_out: Option<&Arc<crate::cs::Fence>>) -> usize {
        crate::queues::Queues::halt(self.regs());
        let mut jobs = KVec::new();
        let count = {
            let mut cs = self.cs.lock();
            if let Some(f) = timed_out {
                f.mark_timed_out();
            }
            if let Err(e) = cs.queues.drain(&mut jobs) {
                dev_err!(self.bound(), "cannot collect the jobs to abort: {:?}\n", e);
            }
            cs.inflight.len()
        };
        // The engines are halted: the jobs' CBs can go. Dropping an unfinished job aborts
        // its CS and wakes its waiters.
        drop(jobs);
        let mut cs = self.cs.lock();
        cs.retire_finished();
        count
    }
}
