// SPDX-License-Identifier: GPL-2.0

//! One Gaudi brought up to operational: its BARs, its firmware, its device CPU channel.
//!
//! [`Gaudi`] is built in probe in upstream's order (preboot check, reset of a dirty device,
//! static firmware load, CPU queues, TEST, INFO_GET, ENABLE_PCI_ACCESS, clocks and power) and
//! is also the interrupt handler's data: the single MSI carries the event queue (and, later,
//! completion queues). Dropping it takes the device down the way upstream's `hw_fini` does:
//! PCI access disabled in the firmware, device CPU halted, device hard-reset.

use crate::boot::{self, Caps, VERSION_LEN};
use crate::cpucp::{self, op, CpuChannel, Packet};
use crate::cs::DevCs;
use crate::events::{self, Action};
use crate::mmu::{self, PageSize, PteSink, Tables};
use crate::queues::{self, Queues, EXT_QUEUES};
use crate::regs::{self, CfgBar, Regs};
use crate::reset::Watchdog;
use core::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use kernel::str::CString;
use kernel::{
    device,
    devres::Devres,
    dma::Coherent,
    dma_buf::BarExports,
    io::Io,
    irq, new_mutex, pci,
    prelude::*,
    sync::{Arc, Mutex},
    time::{Delta, Instant, Monotonic},
    uapi,
};

/// `struct cpucp_info`: its size, and the offsets of the fields the driver reads.
pub(crate) mod info_layout {
    /// Size of the structure.
    pub(crate) const SIZE: usize = 1768;
    /// Sensor descriptors: 128 pairs of `{type, flags}`.
    pub(crate) const SENSORS: usize = 0x000;
    /// Number of sensor descriptors.
    pub(crate) const SENSOR_COUNT: usize = 128;
    /// 0 for a PCIe card, 1 for a mezzanine (PMC) card.
    pub(crate) const CARD_TYPE: usize = 0x484;
    /// Slot of the card in its server.
    pub(crate) const CARD_LOCATION: usize = 0x488;
    /// CPLD version.
    pub(crate) const CPLD_VERSION: usize = 0x48C;
    /// CPU-CP application version string.
    pub(crate) const CPUCP_VERSION: usize = 0x594;
    /// Version of the firmware's Linux kernel.
    pub(crate) const KERNEL_VERSION: usize = 0x400;
    /// Fuse version string.
    pub(crate) const FUSE_VERSION: usize = 0x494;
    /// Thermal firmware version string.
    pub(crate) const THERMAL_VERSION: usize = 0x514;
    /// Infineon (voltage regulator) version.
    pub(crate) const INFINEON_VERSION: usize = 0x490;
    /// CPLD build timestamp.
    pub(crate) const CPLD_TIMESTAMP: usize = 0x64C;
    /// Firmware OS version string.
    pub(crate) const FW_OS_VERSION: usize = 0x668;
    /// Card name, 16 bytes.
    pub(crate) const CARD_NAME: usize = 0x620;
    /// Non-zero if the firmware expects EQ heartbeats (must be 0 on Gaudi).
    pub(crate) const EQ_HEALTH_CHECK: usize = 0x647;
    /// Length of the version strings.
    pub(crate) const VERSION_LEN: usize = 128;
}

/// Card name used when the firmware reports none.
const DEFAULT_CARD_NAME: &[u8] = b"HL205";
/// Default maximum power of a PCIe card and of a mezzanine card, in mW.
pub(crate) const MAX_POWER_PCI: u64 = 200_000;
/// See [`MAX_POWER_PCI`].
pub(crate) const MAX_POWER_PMC: u64 = 350_000;
/// PLL index of the MME clock in the legacy (non-dynamic) numbering.
pub(crate) const MME_PLL: u32 = 7;
/// Frequency the MME PLL is set to after boot, in Hz.
const MME_FREQ_HZ: u64 = 2_200_000_000;

/// `HW_STATE` value of a device the driver has programmed.
const HW_STATE_DIRTY: u32 = 1;

/// How long an MMU configuration step may take.
const MMU_TIMEOUT: Delta = Delta::from_micros(2000);
/// Number of DMA engines whose ASID the driver programs.
const DMA_ENGINES: u32 = 8;
/// Room for the packets of one driver job (and the fence packet after them).
const KJOB_CB_BYTES: usize = 64 << 10;
/// Where a driver job's fence word lives in [`Gaudi::kjob`].
const KJOB_FENCE_OFF: usize = KJOB_CB_BYTES;
/// Size of [`Gaudi::kjob`] in words: the CB, then a cache line for the fence.
const KJOB_WORDS: usize = (KJOB_CB_BYTES + 128) / 4;
/// How long a driver job may take. Upstream gives the queue test 100 ms and other jobs 1 s;
/// under emulation both get 1 s.
const KJOB_TIMEOUT: Delta = Delta::from_secs(1);
/// See [`KJOB_TIMEOUT`].
const QUEUE_TEST_TIMEOUT: Delta = Delta::from_secs(1);
/// `MSG_LONG` with the engine, register and message barriers (the layout is `MSG_PROT`'s).
const MSG_LONG_ALL_BARRIERS: u32 = 0xE300_0000;
/// A sync object write that adds 1 (the increment mode bit and the value), the value the
/// DMA engines' write completions write.
const WR_COMP_ADD_1: u32 = 0x8000_0001;
/// Where DMA engine `n`'s write completions go: its east-north sync object.
fn wr_comp_sob(n: u32) -> u64 {
    regs::CFG_BASE + u64::from(regs::SM_E_N_SOB_OBJ_0) + 4 * u64::from(n)
}

/// The ASID engines run user work under.
pub(crate) const USER_ASID: u32 = 1;

/// Page-table writes go to HBM through the HBM BAR, which points at HBM address 0.
struct HbmSink<'a> {
    hbm: &'a pci::Bar<'a>,
}

impl PteSink for HbmSink<'_> {
    fn write_pte(&self, addr: u64, val: u64) -> Result {
        self.hbm
            .try_write64(val, usize::try_from(addr).map_err(|_| EINVAL)?)
    }
}

/// The MMU's page tables and the STLB invalidation index, under one lock.
pub(crate) struct MmuState {
    tables: Tables,
    inv_pi: u8,
}

/// Clock throttling the firmware reported: which reasons are active and, per reason (power,
/// thermal), when the last throttling started and ended (CLOCK_MONOTONIC, ns).
#[derive(Clone, Copy, Default)]
pub(crate) struct Throttle {
    /// Active reasons, `HL_CLK_THROTTLE_*` bits.
    pub(crate) reasons: u32,
    /// Start and end of the last throttling, per type.
    pub(crate) spans: [(i64, i64); 2],
}

/// Device-level counters and state the ioctls report.
pub(crate) struct Stats {
    /// Hard resets since probe.
    pub(crate) hard_resets: AtomicU64,
    /// Interrupts handled.
    pub(crate) interrupts: AtomicU64,
    /// The device is out of service until a reset brings it back (an event called for a
    /// reset, or a reset failed).
    pub(crate) needs_reset: AtomicBool,
    /// A reset is running.
    pub(crate) in_reset: AtomicBool,
    /// The device is being unbound: no reset may bring it back.
    pub(crate) gone: AtomicBool,
}

/// A Gaudi that completed its bring-up.
#[pin_data(PinnedDrop)]
pub(crate) struct Gaudi<'bound> {
    pdev: &'bound pci::Device,
    bound: &'bound device::Device<device::Bound>,
    sram: pci::Bar<'bound>,
    cfg: CfgBar<'bound>,
    hbm: pci::Bar<'bound>,
    #[pin]
    cpu: CpuChannel,
    #[pin]
    mmu: Mutex<MmuState>,
    caps: Caps,
    info: KBox<[u8; info_layout::SIZE]>,
    preboot_version: [u8; VERSION_LEN],
    uboot_version: [u8; VERSION_LEN],
    /// The power limit given to the firmware (mW) at bring-up and after every reset; set by
    /// the card type, then by `max_power` in sysfs.
    max_power: AtomicU64,
    /// The MME clock given to the firmware (Hz) likewise; set by `clk_max_freq_mhz`.
    mme_freq_hz: AtomicU64,
    /// Whether the CPU-CP queues were set up (so the firmware can be told to stop).
    queues_up: bool,
    /// Counters the ioctls report.
    pub(crate) stats: Stats,
    /// Clock throttling reported by the firmware.
    #[pin]
    pub(crate) throttle: Mutex<Throttle>,
    /// How often errors user work can cause (faults, illegal accesses, queue errors) are
    /// logged.
    #[pin]
    err_log: Mutex<crate::capture::RateLimit>,
    /// The external queues and the CSs in flight.
    #[pin]
    pub(crate) cs: Mutex<DevCs>,
    /// Host memory of the driver's own jobs: their CB and the word they write when done.
    kjob: Coherent<[u32]>,
    /// Watches CS timeouts and runs resets.
    pub(crate) watchdog: Arc<Watchdog>,
    /// Held while a reset runs, so that two do not overlap.
    #[pin]
    pub(crate) resetting: Mutex<()>,
    /// The HBM BAR as offered to dma-buf importers; taken (and so revoked) by the unbind.
    #[pin]
    pub(crate) hbm_exports: Mutex<Option<Devres<BarExports>>>,
}

impl<'bound> Gaudi<'bound> {
    /// Brings the device up; see the module documentation for the order.
    ///
    /// Every failure is reported with `dev_err` and leaves the device reset when the driver
    /// had touched it.
    pub(crate) fn new(
        pdev: &'bound pci::Device<device::Core<'_>>,
        sram: pci::Bar<'bound>,
        cfg: CfgBar<'bound>,
        hbm: pci::Bar<'bound>,
    ) -> Result<impl PinInit<Self, Error> + 'bound> {
        let dev: &device::Device = pdev.as_ref();
        let mut caps = Caps::default();
        let r = Regs::new(&cfg);
        let preboot_version = boot::read_preboot_status(dev, r, &sram, &mut caps)?;
        if r.rd(regs::HW_STATE) == HW_STATE_DIRTY {
            dev_info!(dev, "device was left programmed; hard-resetting it first\n");
            boot::hard_reset(dev, r, &mut caps)?;
        }
        let hbm_len = pdev.resource_len(crate::bars::HBM_BAR).unwrap_or(0);
        if hbm_len < mmu::CACHE_MNG_ADDR {
            dev_err!(
                dev,
                "HBM BAR of {} MiB does not reach the MMU page tables (need {} MiB)\n",
                hbm_len >> 20,
                mmu::CACHE_MNG_ADDR.next_power_of_two() >> 20
            );
            return Err(ENODEV);
        }
        let channel = CpuChannel::new(pdev.as_ref())?;
        let tables = Tables::new(mmu::POOL_HOPS)?;
        let info = KBox::new([0u8; info_layout::SIZE], GFP_KERNEL)?;
        let queues = Queues::new(pdev.as_ref())?;
        let kjob = Coherent::<u32>::zeroed_slice(pdev.as_ref(), KJOB_WORDS, GFP_KERNEL)?;
        let watchdog = Watchdog::new()?;
        let hbm_exports = crate::dmabuf::bar_exports(pdev)
            .inspect_err(|e| dev_err!(dev, "cannot offer the HBM BAR peer to peer: {:?}\n", e))?;
        let bound: &'bound device::Device<device::Bound> = pdev.as_ref();
        let pdev: &'bound pci::Device = pdev;
        Ok(try_pin_init!(Self {
            pdev,
            bound,
            sram,
            cfg,
            hbm,
            cpu <- channel,
            mmu <- new_mutex!(MmuState { tables, inv_pi: 1 }),
            caps,
            info,
            preboot_version,
            uboot_version: [0; VERSION_LEN],
            max_power: AtomicU64::new(MAX_POWER_PCI),
            mme_freq_hz: AtomicU64::new(MME_FREQ_HZ),
            queues_up: false,
            stats: Stats {
                hard_resets: AtomicU64::new(0),
                interrupts: AtomicU64::new(0),
                needs_reset: AtomicBool::new(false),
                in_reset: AtomicBool::new(false),
                gone: AtomicBool::new(false),
            },
            throttle <- new_mutex!(Throttle::default()),
            err_log <- new_mutex!(crate::capture::RateLimit::default()),
            cs <- new_mutex!(DevCs {
                queues,
                inflight: KVec::new(),
                head_since: Instant::<Monotonic>::now(),
            }),
            kjob,
            watchdog,
            resetting <- new_mutex!(()),
            hbm_exports <- new_mutex!(Some(hbm_exports)),
        }? Error)
        .pin_chain(|this| {
            // SAFETY: `pin_chain` runs on the fully initialised, pinned value. Nothing is moved
            // out of it: `hw_init` writes only unpinned fields and uses the pinned ones (`cpu`,
            // `mmu`) through shared references. On failure the value is dropped in place, and
            // its `PinnedDrop` resets the device.
            unsafe { this.get_unchecked_mut() }.hw_init()
        }))
    }

    /// Register access.
    pub(crate) fn regs(&self) -> Regs<'_> {
        Regs::new(&self.cfg)
    }

    /// The PCI device.
    pub(crate) fn pdev(&self) -> &'bound pci::Device {
        self.pdev
    }

    /// The device, bound to this driver for as long as `self` lives.
    pub(crate) fn bound(&self) -> &'bound device::Device<device::Bound> {
        self.bound
    }

    fn dev(&self) -> &device::Device {
        self.pdev.as_ref()
    }

    /// Upstream's `hw_init` and `late_init`, for the parts this driver implements.
    fn hw_init(&mut self) -> Result {
        let mut caps = self.caps;
        let booted = self.boot_device(&mut caps);
        self.caps = caps;
        let booted = booted?;
        self.uboot_version = booted.uboot_version;
        self.queues_up = true;
        self.cpu_test()?;
        self.fetch_info()?;
        self.start_engines()
    }

    /// Boot up to the device CPU's queues: the firmware, the MMU, the device clock. The
    /// first half of bring-up, shared by probe and reset.
    fn boot_device(&self, caps: &mut Caps) -> Result<boot::Booted> {
        let dev = self.dev();
        let r = self.regs();
        // Mark the device programmed; a hard reset clears it.
        let _ = r.rd(regs::HW_STATE);
        r.wr(regs::PCIE_WRAP_LBW_PROT_OVR, 0x7700);
        let _ = r.rd(regs::PCIE_WRAP_LBW_PROT_OVR);
        r.wr(regs::HW_STATE, HW_STATE_DIRTY);

        r.wr(
            regs::CPU_IF_CPU_MSB_ADDR,
            cpucp::msb_of(self.cpu_dma_base()),
        );
        let booted = boot::static_init_cpu(dev, r, &self.sram, &self.hbm, caps)?;
        self.mmu_init()?;
        // Restart the device clock from zero.
        r.wr(regs::PSOC_TIMESTAMP_CNTCR, 0);
        r.wr(regs::PSOC_TIMESTAMP_CNTCVU, 0);
        r.wr(regs::PSOC_TIMESTAMP_CNTCVL, 0);
        r.wr(regs::PSOC_TIMESTAMP_CNTCR, 1);
        self.cpu.init_queues(dev, r, caps)?;
        Ok(booted)
    }

    /// The queue test of upstream's `test_queues`, for the CPU queue.
    fn cpu_test(&self) -> Result {
        let dev = self.dev();
        let echo = self
            .send_fw(Packet::new(op::TEST, 0xFE8C_E7A5), cpucp::MSG_TIMEOUT)
            .inspect_err(|_| dev_err!(dev, "device CPU does not answer TEST\n"))?;
        if echo != 0xFE8C_E7A5 {
            dev_warn!(dev, "device CPU answered TEST with {:#x}\n", echo);
        }
        Ok(())
    }

    /// The second half of bring-up, after INFO_GET: PCI access for the firmware, clocks and
    /// power, the external queues and their test.
    fn start_engines(&self) -> Result {
        let dev = self.dev();
        self.send_fw(Packet::new(op::ENABLE_PCI_ACCESS, 0), cpucp::MSG_TIMEOUT)
            .inspect_err(|_| dev_err!(dev, "firmware refused ENABLE_PCI_ACCESS\n"))?;
        let set_mme = Packet {
            word16: MME_PLL,
            ..Packet::new(op::FREQUENCY_SET, self.mme_freq_hz.load(Ordering::Relaxed))
        };
        if let Err(e) = self.send_fw(set_mme, cpucp::MSG_TIMEOUT) {
            dev_warn!(dev, "cannot set the MME clock: {:?}\n", e);
        }
        if let Err(e) = self.send_fw(
            Packet::new(op::MAX_POWER_SET, self.max_power.load(Ordering::Relaxed)),
            cpucp::MSG_TIMEOUT,
        ) {
            dev_warn!(dev, "cannot set the maximum power: {:?}\n", e);
        }
        self.cs.lock().queues.hw_init(self.regs());
        self.user_engines_init();
        for q in 0..EXT_QUEUES {
            self.test_queue(q)?;
        }
        Ok(())
    }

    /// Brings a reset device back: boot, the MMU with every context's tables written back
    /// from the shadow, the device CPU, the engines, the events.
    pub(crate) fn restart(&self) -> Result {
        let dev = self.dev();
        let r = self.regs();
        if self.queues_up && !self.cpu.is_disabled() {
            let _ = self.send_fw(Packet::new(op::DISABLE_PCI_ACCESS, 0), cpucp::MSG_TIMEOUT);
        }
        r.wr(regs::PSOC_TIMESTAMP_CNTCR, 0);
        let mut caps = self.caps;
        boot::hard_reset(dev, r, &mut caps)?;
        {
            // Hold the MMU lock so that a mapping cannot slip between the clearing of the
            // tables and their restoration.
            let mut st = self.mmu.lock();
            self.boot_device(&mut caps)?;
            let sink = HbmSink { hbm: &self.hbm };
            st.tables.restore(&sink)?;
            self.flush_ptes();
            self.invalidate(&mut st)?;
        }
        self.cpu.set_eq_index_check(self.caps.app_sts0);
        self.cpu_test()?;
        self.start_engines()?;
        self.enable_events();
        Ok(())
    }

    /// Register set-up upstream does when a user context opens: DMA write completions go to
    /// the east-north sync objects, the arbiters are off. Done at bring-up here, since the
    /// values do not depend on the context.
    fn user_engines_init(&self) {
        let r = self.regs();
        for n in 0..DMA_ENGINES {
            let core = regs::DMA0_CORE + n * regs::DMA_STRIDE;
            let sob = wr_comp_sob(n);
            r.wr(core + regs::CORE_WR_COMP_ADDR_LO, sob as u32);
            r.wr(core + regs::CORE_WR_COMP_ADDR_HI, (sob >> 32) as u32);
            r.wr(core + regs::CORE_WR_COMP_WDATA, WR_COMP_ADD_1);
            r.wr(regs::DMA0_QM + n * regs::DMA_STRIDE + regs::QM_ARB_CFG_0, 0);
        }
    }

    /// Runs `packets` (whole packets, at most [`KJOB_CB_BYTES`] - 16 bytes) as a driver job on
    /// external queue `q`, with the secure properties, and waits up to `timeout` for the
    /// fence it writes at the end. Upstream's `send_job_on_qman0` and queue test.
    pub(crate) fn kernel_job(&self, q: usize, packets: &[u8], timeout: Delta) -> Result {
        let dev = self.dev();
        let n = packets.len();
        if n % 8 != 0 || n + 16 > KJOB_CB_BYTES {
            return Err(EINVAL);
        }
        let base = self.kjob.dma_address() + crate::cpucp::HOST_PHYS_BASE;
        let fence_addr = base + KJOB_FENCE_OFF as u64;
        let mut cs = self.cs.lock();
        if cs.queues.free(q) == 0 {
            return Err(EBUSY);
        }
        let words = self.kjob.as_mut_ptr().cast::<u32>();
        let mut tail = [0u8; 16];
        queues::put_msg_prot(
            &mut tail,
            queues::MSG_PROT_MB | queues::EB,
            queues::TEST_FENCE,
            fence_addr,
        );
        for (i, chunk) in Iterator::chain(packets.chunks(4), tail.chunks(4)).enumerate() {
            let w = u32::from_le_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
            // SAFETY: `i < KJOB_CB_BYTES / 4` (checked above); the device does not read the
            // CB area until the BD below, and the driver's jobs are serialised by `cs`.
            unsafe { words.add(i).write_volatile(w) };
        }
        // SAFETY: the fence word is inside the allocation; the device writes it only after
        // the BD below.
        unsafe { words.add(KJOB_FENCE_OFF / 4).write_volatile(0) };
        cs.queues.push(self.regs(), q, base, (n + 16) as u32, None);
        let start = Instant::<Monotonic>::now();
        loop {
            // SAFETY: as above; the device writes the word once.
            let v = unsafe { words.add(KJOB_FENCE_OFF / 4).read_volatile() };
            if v == queues::TEST_FENCE {
                cs.queues.retire(q);
                return Ok(());
            }
            if start.elapsed() > timeout {
                dev_err!(dev, "driver job on queue {} did not finish\n", q);
                return Err(EIO);
            }
            kernel::time::delay::fsleep(Delta::from_micros(100));
        }
    }

    /// Upstream's queue test: a job that only writes its fence.
    fn test_queue(&self, q: usize) -> Result {
        self.kernel_job(q, &[], QUEUE_TEST_TIMEOUT)
            .inspect_err(|_| dev_err!(self.dev(), "external queue {} failed its test\n", q))
    }

    /// Clears the sync objects and monitors a user context may use, as upstream does when a
    /// context opens: with `MSG_LONG` writes from a driver job on queue 0.
    pub(crate) fn clear_sync_manager(&self) -> Result {
        let mut batch = KVec::with_capacity(KJOB_CB_BYTES - 16, GFP_KERNEL)?;
        let flush = |batch: &mut KVec<u8>| -> Result {
            if !batch.is_empty() {
                self.kernel_job(0, batch, KJOB_TIMEOUT)?;
                batch.clear();
            }
            Ok(())
        };
        // Blocks east-north, east-south, west-north whole; west-south from the first user
        // object and monitor.
        let blocks: [(u32, u32, u32); 4] = [
            (0x4F_0000, 0, 0),
            (0x4B_0000, 0, 0),
            (0x4D_0000, 0, 0),
            (
                0x49_0000,
                uapi::GAUDI_FIRST_AVAILABLE_W_S_SYNC_OBJECT,
                uapi::GAUDI_FIRST_AVAILABLE_W_S_MONITOR,
            ),
        ];
        // The write completions of the DMA engines, which user jobs may redirect (to sync
        // objects) and change the value of, start where the driver set them.
        for n in 0..DMA_ENGINES {
            let core = regs::DMA0_CORE + n * regs::DMA_STRIDE;
            let sob = wr_comp_sob(n);
            for (reg, value) in [
                (regs::CORE_WR_COMP_ADDR_LO, sob as u32),
                (regs::CORE_WR_COMP_WDATA, WR_COMP_ADD_1),
            ] {
                let mut p = [0u8; 16];
                queues::put_msg_prot(
                    &mut p,
                    MSG_LONG_ALL_BARRIERS,
                    value,
                    regs::CFG_BASE + u64::from(core + reg),
                );
                batch.extend_from_slice(&p, GFP_KERNEL)?;
            }
        }
        for (blk, first_sob, first_mon) in blocks {
            let sobs = (first_sob..2048).map(|i| blk + 0x2000 + 4 * i);
            let mons = (first_mon..512).map(|i| blk + 0x6000 + 4 * i);
            for reg in Iterator::chain(sobs, mons) {
                if batch.len() + 16 > KJOB_CB_BYTES - 16 {
                    flush(&mut batch)?;
                }
                let mut p = [0u8; 16];
                queues::put_msg_prot(
                    &mut p,
                    MSG_LONG_ALL_BARRIERS,
                    0,
                    regs::CFG_BASE + u64::from(reg),
                );
                batch.extend_from_slice(&p, GFP_KERNEL)?;
            }
        }
        flush(&mut batch)
    }

    /// Upstream's `mmu_init` and `mmu_prepare`: hop 0 of every ASID (cleared first), the STLB,
    /// translation on, and the DMA engines set to run user work under [`USER_ASID`].
    fn mmu_init(&self) -> Result {
        let dev: &device::Device = self.pdev.as_ref();
        let r = Regs::new(&self.cfg);
        let sink = HbmSink { hbm: &self.hbm };
        for asid in 0..mmu::MAX_ASID {
            let hop0 = mmu::hop0_addr(asid);
            for i in 0..512 {
                sink.write_pte(hop0 + i * 8, 0)?;
            }
            r.wr(regs::MMU_ASID, asid as u32);
            r.wr(regs::MMU_HOP0_PA43_12, (hop0 >> 12) as u32);
            r.wr(regs::MMU_HOP0_PA49_44, (hop0 >> 44) as u32);
            r.wr(regs::MMU_BUSY, 1 << 31);
            if !poll_clear(r, regs::MMU_BUSY, 1 << 31) {
                dev_err!(dev, "MMU did not take hop 0 of ASID {}\n", asid);
                return Err(ETIMEDOUT);
            }
        }
        r.wr(
            regs::STLB_CACHE_INV_BASE_39_8,
            (mmu::CACHE_MNG_ADDR >> 8) as u32,
        );
        r.wr(
            regs::STLB_CACHE_INV_BASE_49_40,
            (mmu::CACHE_MNG_ADDR >> 40) as u32,
        );
        r.wr(regs::STLB_MEM_CACHE_INVALIDATION, 1);
        r.wr(regs::MMU_UP_MMU_ENABLE, 1);
        r.wr(regs::MMU_UP_SPI_MASK, 0xF);
        r.wr(regs::STLB_HOP_CONFIGURATION, 0x30440);
        for n in 0..DMA_ENGINES {
            let qm = regs::dma_qm_non_secure_props(n);
            for reg in Iterator::chain(
                (qm..qm + 20).step_by(4),
                [regs::dma_core_non_secure_props(n)],
            ) {
                // ASID in bits 9:0; bit 10 (MMU bypass) cleared.
                r.wr(reg, (r.rd(reg) & !0x7FF) | USER_ASID);
            }
        }
        Ok(())
    }

    /// Invalidates the STLB, as upstream's `mmu_invalidate_cache` (Gaudi has no range
    /// invalidation). Called with the MMU lock held.
    fn invalidate(&self, st: &mut MmuState) -> Result {
        let r = self.regs();
        r.wr(regs::STLB_INV_PS, 3);
        r.wr(regs::STLB_CACHE_INV, u32::from(st.inv_pi));
        st.inv_pi = st.inv_pi.wrapping_add(1);
        r.wr(regs::STLB_INV_PS, 2);
        let done = poll_clear(r, regs::STLB_INV_PS, u32::MAX);
        r.wr(regs::STLB_INV_SET, 0);
        if !done {
            dev_err!(self.dev(), "MMU cache invalidation timed out\n");
            return Err(ETIMEDOUT);
        }
        Ok(())
    }

    /// Makes sure the page-table writes reached HBM before the MMU may walk them.
    fn flush_ptes(&self) {
        let _ = self
            .hbm
            .try_read64(mmu::hop0_addr(USER_ASID as usize) as usize);
    }

    /// Maps `pas` (device addresses) at `va` of `asid`, all or nothing, and invalidates.
    pub(crate) fn mmu_map(&self, asid: usize, va: u64, pas: &[u64], size: PageSize) -> Result {
        let mut st = self.mmu.lock();
        let sink = HbmSink { hbm: &self.hbm };
        st.tables.map_range(&sink, asid, va, pas, size)?;
        self.flush_ptes();
        if let Err(e) = self.invalidate(&mut st) {
            // Do not leave translations the caller will not own: take them out again.
            st.tables.unmap_range(&sink, asid, va, pas.len(), size);
            self.flush_ptes();
            let _ = self.invalidate(&mut st);
            return Err(e);
        }
        Ok(())
    }

    /// Unmaps `count` pages from `va` of `asid` and invalidates. Pages that were not mapped
    /// are reported and skipped.
    pub(crate) fn mmu_unmap(&self, asid: usize, va: u64, count: usize, size: PageSize) -> Result {
        let mut st = self.mmu.lock();
        let sink = HbmSink { hbm: &self.hbm };
        let missing = st.tables.unmap_range(&sink, asid, va, count, size);
        if missing != 0 {
            dev_warn!(
                self.dev(),
                "{} pages at {:#x} were not mapped\n",
                missing,
                va
            );
        }
        self.flush_ptes();
        self.invalidate(&mut st)
    }

    /// Drops every mapping `asid` still has (context teardown) and invalidates.
    pub(crate) fn mmu_clear(&self, asid: usize) -> Result<usize> {
        let mut st = self.mmu.lock();
        let sink = HbmSink { hbm: &self.hbm };
        let freed = st.tables.clear_asid(&sink, asid)?;
        self.flush_ptes();
        self.invalidate(&mut st)?;
        Ok(freed)
    }

    fn cpu_dma_base(&self) -> u64 {
        self.cpu.dma_base()
    }

    /// Asks the firmware for `struct cpucp_info` and keeps it.
    fn fetch_info(&mut self) -> Result {
        let pdev = self.pdev;
        let dev: &device::Device = pdev.as_ref();
        let r = Regs::new(&self.cfg);
        self.cpu
            .send_for_buffer(
                dev,
                r,
                Packet::new(op::INFO_GET, 0),
                &mut self.info[..],
                cpucp::INFO_TIMEOUT,
            )
            .inspect_err(|_| dev_err!(dev, "INFO_GET failed\n"))?;
        let app_sts0 = if self.caps.sts0_valid {
            r.rd(regs::CPU_BOOT_DEV_STS0)
        } else {
            0
        };
        self.caps.app_sts0 = app_sts0;
        self.cpu.set_eq_index_check(app_sts0);
        if self.info[info_layout::EQ_HEALTH_CHECK] != 0 {
            dev_warn!(
                dev,
                "firmware expects event-queue heartbeats, which Gaudi does not send\n"
            );
        }
        for (s, &(t, _)) in self.sensors()?.iter().enumerate() {
            if t >= crate::hwmon::SENSOR_TYPES {
                dev_err!(dev, "firmware reports sensor {} of unknown type {}\n", s, t);
                return Err(EFAULT);
            }
        }
        *self.max_power.get_mut() = if self.info_u32(info_layout::CARD_TYPE) == 1 {
            MAX_POWER_PMC
        } else {
            MAX_POWER_PCI
        };
        dev_info!(
            dev,
            "firmware: preboot {}, boot-fit {}, CPU-CP {}; card {}\n",
            BStrDisplay(boot::fw_version(&self.preboot_version).unwrap_or(b"?")),
            BStrDisplay(boot::fw_version(&self.uboot_version).unwrap_or(b"?")),
            BStrDisplay(self.info_str(info_layout::CPUCP_VERSION, info_layout::VERSION_LEN)),
            BStrDisplay(self.card_name()),
        );
        Ok(())
    }

    /// A little-endian word of `cpucp_info`.
    pub(crate) fn info_u32(&self, off: usize) -> u32 {
        let b = &self.info[off..off + 4];
        u32::from_le_bytes([b[0], b[1], b[2], b[3]])
    }

    /// A NUL-terminated string field of `cpucp_info`, without its terminator.
    pub(crate) fn info_str(&self, off: usize, len: usize) -> &[u8] {
        boot::until_nul(&self.info[off..off + len])
    }

    /// The card name the firmware reports, or upstream's default.
    pub(crate) fn card_name(&self) -> &[u8] {
        let name = self.info_str(info_layout::CARD_NAME, 16);
        if name.is_empty() {
            DEFAULT_CARD_NAME
        } else {
            name
        }
    }

    /// The preboot version string.
    pub(crate) fn preboot_version(&self) -> &[u8] {
        boot::until_nul(&self.preboot_version)
    }

    /// The boot-fit version string.
    pub(crate) fn uboot_version(&self) -> &[u8] {
        boot::until_nul(&self.uboot_version)
    }

    /// The hwmon device's name: the card name, NUL-terminated. Characters hwmon refuses in a
    /// name are replaced by '_' (upstream only warns about them, and the registration fails).
    pub(crate) fn hwmon_name(&self) -> Result<CString> {
        let mut name = KVec::new();
        for &c in self.card_name() {
            let c = if c == b'-' || c == b'*' || c.is_ascii_whitespace() {
                b'_'
            } else {
                c
            };
            name.push(c, GFP_KERNEL)?;
        }
        CString::try_from_fmt(format_args!("{}", BStrDisplay(&name)))
    }

    /// Upstream's status word for sysfs.
    pub(crate) fn status_name(&self) -> &'static str {
        if self.cpu.is_disabled() {
            "Disabled"
        } else if self.stats.needs_reset.load(Ordering::Relaxed) {
            "Needs reset"
        } else {
            "Operational"
        }
    }

    /// The device clock (PSOC timestamp counter).
    pub(crate) fn device_time(&self) -> u64 {
        let r = self.regs();
        let high = u64::from(r.rd(regs::PSOC_TIMESTAMP_CNTCVU));
        (high << 32) | u64::from(r.rd(regs::PSOC_TIMESTAMP_CNTCVL))
    }

    /// Maximum power the driver set, in mW.
    pub(crate) fn max_power(&self) -> u64 {
        self.max_power.load(Ordering::Relaxed)
    }

    /// Sets the power limit (mW): sent to the firmware now and after every reset.
    pub(crate) fn set_max_power(&self, mw: u64) -> Result<u64> {
        self.max_power.store(mw, Ordering::Relaxed);
        self.send(Packet::new(op::MAX_POWER_SET, mw), cpucp::MSG_TIMEOUT)
    }

    /// Sets the MME clock (Hz): sent to the firmware now and after every reset.
    pub(crate) fn set_mme_freq(&self, hz: u64) -> Result<u64> {
        self.mme_freq_hz.store(hz, Ordering::Relaxed);
        self.send(
            Packet {
                word16: MME_PLL,
                ..Packet::new(op::FREQUENCY_SET, hz)
            },
            cpucp::MSG_TIMEOUT,
        )
    }

    /// Sends a packet to the device CPU.
    ///
    /// Refused with `EBUSY` while a reset rebuilds the channel.
    pub(crate) fn send(&self, pkt: Packet, timeout: Delta) -> Result<u64> {
        if self.stats.in_reset.load(Ordering::Relaxed) {
            return Err(EBUSY);
        }
        self.send_fw(pkt, timeout)
    }

    /// Sends a packet whatever the reset state: for bring-up, which a reset runs.
    fn send_fw(&self, pkt: Packet, timeout: Delta) -> Result<u64> {
        self.cpu.send(self.dev(), self.regs(), pkt, timeout)
    }

    /// Sends a packet whose reply fills `out` (see [`CpuChannel::send_for_buffer`]).
    pub(crate) fn send_for_buffer(
        &self,
        pkt: Packet,
        out: &mut [u8],
        timeout: Delta,
    ) -> Result<u64> {
        self.send_with_buffer(pkt, out, false, timeout)
    }

    /// Sends a packet with input and output in the reply buffer (see
    /// [`CpuChannel::send_with_buffer`]).
    pub(crate) fn send_with_buffer(
        &self,
        pkt: Packet,
        buf: &mut [u8],
        preload: bool,
        timeout: Delta,
    ) -> Result<u64> {
        if self.stats.in_reset.load(Ordering::Relaxed) {
            return Err(EBUSY);
        }
        self.cpu
            .send_with_buffer(self.dev(), self.regs(), pkt, buf, preload, timeout)
    }

    /// Whether the device CPU stopped answering.
    pub(crate) fn cpu_disabled(&self) -> bool {
        self.cpu.is_disabled()
    }

    /// Whether the device can take work: its CPU answers, no reset is running or due.
    pub(crate) fn operational(&self) -> bool {
        !self.cpu.is_disabled()
            && !self.stats.needs_reset.load(Ordering::Relaxed)
            && !self.stats.in_reset.load(Ordering::Relaxed)
    }

    /// How many events of type `t` arrived.
    pub(crate) fn event_count(&self, t: usize) -> u32 {
        self.cpu.event_count(t)
    }

    /// Lets the firmware send events; done once the interrupt handler is installed.
    pub(crate) fn enable_events(&self) {
        self.regs()
            .wr(regs::GIC_SETSPI_NSR, cpucp::SPI_INTS_REGISTER);
    }

    /// Asks the PCIe core to send the MSI, for probe's self-test.
    pub(crate) fn request_msi(&self) {
        self.cfg
            .write_reg(regs::PCIE_CORE_MSI_REQ::zeroed().with_request(1u32));
    }
}

/// Polls register `off` until the bits of `mask` read zero, for up to the MMU timeout.
fn poll_clear(r: Regs<'_>, off: u32, mask: u32) -> bool {
    r.poll(off, MMU_TIMEOUT, Delta::from_micros(50), |v| v & mask == 0)
        .1
}

/// Displays bytes as text, replacing what is not printable ASCII.
pub(crate) struct BStrDisplay<'a>(pub(crate) &'a [u8]);

impl core::fmt::Display for BStrDisplay<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        for &c in self.0 {
            let c = if (0x20..0x7f).contains(&c) {
                c as char
            } else {
                '?'
            };
            core::fmt::Write::write_char(f, c)?;
        }
        Ok(())
    }
}

impl kernel::fmt::Display for BStrDisplay<'_> {
    fn fmt(&self, f: &mut kernel::fmt::Formatter<'_>) -> kernel::fmt::Result {
        core::fmt::Display::fmt(self, f)
    }
}

#[pinned_drop]
impl PinnedDrop for Gaudi<'_> {
    fn drop(self: Pin<&mut Self>) {
        // SAFETY: nothing is moved out: only unpinned fields are written, and the pinned ones
        // (`cpu`, `mmu`) are used through shared references.
        let this = unsafe { self.get_unchecked_mut() };
        // After a probe that failed once the watchdog ran, nothing else stops it.
        this.watchdog.stop();
        let dev: &device::Device = this.pdev.as_ref();
        let r = Regs::new(&this.cfg);
        if this.queues_up && !this.cpu.is_disabled() {
            if let Err(e) = this.cpu.send(
                dev,
                r,
                Packet::new(op::DISABLE_PCI_ACCESS, 0),
                cpucp::MSG_TIMEOUT,
            ) {
                dev_warn!(dev, "firmware did not take DISABLE_PCI_ACCESS: {:?}\n", e);
            }
        }
        r.wr(regs::PSOC_TIMESTAMP_CNTCR, 0);
        if let Err(e) = boot::hard_reset(dev, r, &mut this.caps) {
            dev_err!(dev, "reset on the way down failed: {:?}\n", e);
        }
    }
}

impl Gaudi<'_> {
    /// Acts on one event from the device CPU, in the interrupt thread.
    fn handle_event(&self, kind: u16) {
        let dev = self.dev();
        let count = self.cpu.event_count(usize::from(kind));
        let class = events::class_of(kind);
        let mut mask = class.bits;
        match class.action {
            Action::Reset => {
                dev_err!(dev, "event {} calls for a hard reset\n", kind);
                self.stats.needs_reset.store(true, Ordering::Relaxed);
                if class.checks_mmu {
                    mask |= self.check_razwi_and_mmu();
                }
                self.capture(|c| crate::notify::capture_reset_event(c, kind, mask));
                self.notify(mask);
                self.request_reset();
            }
            Action::Unmask if self.stats.in_reset.load(Ordering::Relaxed) => {
                // The channel is being rebuilt; the reset unmasks everything anyway.
            }
            Action::Unmask => {
                // The first few of each type are reported; HW_EVENTS counts them all.
                if count <= 3 {
                    dev_warn!(dev, "event {} from the device\n", kind);
                }
                self.note_throttling(kind);
                if class.checks_mmu {
                    mask |= self.check_razwi_and_mmu();
                }
                if let Some(n) = crate::notify::dma_qm_engine(kind) {
                    mask |= self.qman_errors(n);
                }
                if let Err(e) = self.send(
                    Packet::new(op::UNMASK_RAZWI_IRQ, u64::from(kind)),
                    cpucp::MSG_TIMEOUT,
                ) {
                    dev_err!(dev, "cannot unmask event {}: {:?}\n", kind, e);
                }
                self.notify(mask);
            }
            Action::Count => {
                if count <= 3 {
                    dev_info!(dev, "event {} from the device (no action)\n", kind);
                }
                self.notify(mask);
            }
        }
    }

    /// What upstream looks at with engine and ECC error events: the RAZWI capture, then the
    /// MMU's fault captures. Keeps what it finds (the first since the open of each kind) and
    /// returns the notifier bits for it.
    fn check_razwi_and_mmu(&self) -> u64 {
        let razwi = self.take_razwi();
        let (fault, addr) = self.take_mmu_errors();
        let mut mask = 0;
        if let Some(va) = fault {
            self.record_page_fault(va);
            mask |= crate::notify::bits::PAGE_FAULT;
        }
        if let Some(r) = razwi {
            self.capture(|c| c.razwi(r, addr.unwrap_or(0)));
            mask |= crate::notify::bits::RAZWI;
        }
        mask
    }

    /// Takes the MMU's captures of a translation that faulted and of an access its
    /// permissions refused, as upstream: each is logged and cleared. Returns the faulting
    /// address, and the address of the last capture found (what a RAZWI report carries).
    fn take_mmu_errors(&self) -> (Option<u64>, Option<u64>) {
        let r = self.regs();
        let take = |cap_reg, va_reg| {
            let cap = r.rd(cap_reg);
            if cap & regs::PAGE_ERROR_VALID == 0 {
                return None;
            }
            let va =
                (u64::from(cap & (regs::PAGE_ERROR_VALID - 1)) << 32) | u64::from(r.rd(va_reg));
            r.wr(cap_reg, 0);
            Some(va)
        };
        let fault = take(
            regs::MMU_UP_PAGE_ERROR_CAPTURE,
            regs::MMU_UP_PAGE_ERROR_CAPTURE_VA,
        );
        if let Some(va) = fault.filter(|_| self.may_log_error()) {
            dev_err!(self.bound(), "MMU page fault at {:#x}\n", va);
        }
        let access = take(
            regs::MMU_UP_ACCESS_ERROR_CAPTURE,
            regs::MMU_UP_ACCESS_ERROR_CAPTURE_VA,
        );
        if let Some(va) = access.filter(|_| self.may_log_error()) {
            dev_err!(self.bound(), "MMU access error at {:#x}\n", va);
        }
        (fault, access.or(fault))
    }

    /// Whether an error line user work can cause may be logged now (see [`RateLimit`]); says
    /// how many were held back when logging resumes.
    ///
    /// [`RateLimit`]: crate::capture::RateLimit
    pub(crate) fn may_log_error(&self) -> bool {
        let (ok, missed) = self.err_log.lock().allow();
        if missed > 0 {
            dev_warn!(self.bound(), "{} error lines were not logged\n", missed);
        }
        ok
    }

    /// Keeps track of the power and thermal throttling the firmware reports.
    fn note_throttling(&self, kind: u16) {
        let (bit, idx, start) = match kind {
            events::FIX_POWER_ENV_S => (1, 0, true),
            events::FIX_POWER_ENV_E => (1, 0, false),
            events::FIX_THERMAL_ENV_S => (2, 1, true),
            events::FIX_THERMAL_ENV_E => (2, 1, false),
            _ => return,
        };
        let now = Instant::<Monotonic>::now().as_nanos();
        let mut t = self.throttle.lock();
        if start {
            t.reasons |= bit;
            t.spans[idx] = (now, now);
        } else {
            t.reasons &= !bit;
            t.spans[idx].1 = now;
        }
    }
}

impl irq::ThreadedHandler for Gaudi<'_> {
    fn handle(&self) -> irq::ThreadedIrqReturn {
        self.stats.interrupts.fetch_add(1, Ordering::Relaxed);
        irq::ThreadedIrqReturn::WakeThread
    }

    fn handle_threaded(&self) -> irq::IrqReturn {
        // A reset rebuilds the queues; what is left on them is aborted by it.
        if self.stats.in_reset.load(Ordering::Relaxed) {
            return irq::IrqReturn::Handled;
        }
        self.reap_cs();
        self.cpu
            .drain_events(self.dev(), self.regs(), &mut |kind| self.handle_event(kind));
        irq::IrqReturn::Handled
    }
}
