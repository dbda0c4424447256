// SPDX-License-Identifier: GPL-2.0

//! `DRM_IOCTL_HL_INFO`: what the device and the driver know, with upstream's Gaudi values and
//! error rules.
//!
//! Rules common to all opcodes, as upstream applies them: a non-zero `pad` is `EINVAL`; a few
//! opcodes answer even when the device is not operational, every other one then gets `EBUSY`;
//! an unknown opcode is `EINVAL` (after the operational check); a NULL `return_pointer` or a
//! zero `return_size` is `EINVAL`; a short buffer gets the start of the answer (no error), a
//! long one gets exactly the answer; a fault writing it is `EFAULT`. The error captures
//! HW_ERR_EVENT, FW_ERR_EVENT, USER_ENGINE_ERR_EVENT and USER_MAPPINGS differ as upstream's
//! do: only a NULL buffer is `EINVAL`, and what they return is written whole or not at all
//! (`ENOMEM`).

use crate::capture::FwErr;
use crate::cpucp::{self, op, Packet, NUM_EVENTS};
use crate::gaudi::{info_layout, MME_PLL};
use crate::node::{GaudiRef, HlDrm, HlFile};
use core::mem::{offset_of, size_of};
use kernel::{
    drm,
    prelude::*,
    time::{Instant, Monotonic, MonotonicRaw},
    transmute::AsBytes,
    uaccess::{UserPtr, UserSlice},
    uapi,
};

/// Gaudi's memory map as user space sees it (`hl_info_hw_ip_info`).
pub(crate) mod map {
    /// Start of user SRAM: SRAM base plus the 128 bytes the driver reserves.
    pub(crate) const SRAM_USER_BASE: u64 = 0x7F_F000_0080;
    /// User SRAM size.
    pub(crate) const SRAM_USER_SIZE: u32 = 0x140_0000 - 0x80;
    /// HBM below this is the driver's (MMU page tables, firmware).
    pub(crate) const DRAM_USER_BASE: u64 = 0x2000_0000;
    /// HBM size of a Gaudi.
    pub(crate) const DRAM_SIZE: u64 = 0x8_0000_0000;
    /// User HBM: from the user base to the end, rounded down to 2 MiB.
    pub(super) const DRAM_USER_SIZE: u64 = (DRAM_SIZE - DRAM_USER_BASE) & !(0x20_0000 - 1);
    /// HBM page size.
    pub(super) const DRAM_PAGE_SIZE: u64 = 0x20_0000;
}

/// Sync-manager resources the first dcore leaves to users.
const FIRST_AVAILABLE_SOB: u32 = 144;
const FIRST_AVAILABLE_MONITOR: u32 = 72;
/// "No completion queue available to users".
const NO_CQ: u32 = 65535;
/// Number of dcores the ABI describes.
const MAX_DCORES: u32 = 8;
/// Idle power of a PCIe card, in mW, for the utilization formula.
const DC_POWER_PCI: u64 = 60_000;
/// Size of `struct cpucp_hbm_row_info`, what DRAM_REPLACED_ROWS returns.
const HBM_ROW_INFO_SIZE: usize = 8;
/// The buffer sizes ENGINE_STATUS takes (`SZ_1K` to `HL_ENGINES_DATA_MAX_SIZE`).
const ENGINE_STATUS_MIN: u32 = 1024;
const ENGINE_STATUS_MAX: u32 = 1 << 20;
/// `CPUCP_POWER_INPUT`, the power sensor attribute INFO reads.
const POWER_INPUT_ATTR: u32 = 8;

/// Whether `op` is answered when the device is not operational.
pub(crate) fn answers_when_not_operational(op: u32) -> bool {
    matches!(
        op,
        uapi::HL_INFO_HW_IP_INFO
            | uapi::HL_INFO_HW_EVENTS
            | uapi::HL_INFO_DRAM_USAGE
            | uapi::HL_INFO_DEVICE_STATUS
            | uapi::HL_INFO_HW_EVENTS_AGGREGATE
            | uapi::HL_INFO_RESET_COUNT
            | uapi::HL_INFO_CS_COUNTERS
            | uapi::HL_INFO_CLK_THROTTLE_REASON
            | uapi::HL_INFO_SYNC_MANAGER
            | uapi::HL_INFO_OPEN_STATS
            | uapi::HL_INFO_LAST_ERR_OPEN_DEV_TIME
            | uapi::HL_INFO_CS_TIMEOUT_EVENT
            | uapi::HL_INFO_RAZWI_EVENT
            | uapi::HL_INFO_DEV_MEM_ALLOC_PAGE_SIZES
            | uapi::HL_INFO_UNREGISTER_EVENTFD
            | uapi::HL_INFO_GET_EVENTS
            | uapi::HL_INFO_UNDEFINED_OPCODE_EVENT
            | uapi::HL_INFO_PAGE_FAULT_EVENT
            | uapi::HL_INFO_USER_MAPPINGS
            | uapi::HL_INFO_HW_ERR_EVENT
            | uapi::HL_INFO_FW_ERR_EVENT
            | uapi::HL_INFO_USER_ENGINE_ERR_EVENT
    )
}

/// Device utilization in percent from the power draw, as upstream computes it: the share of
/// the range between idle power and maximum power.
pub(crate) fn utilization(power_mw: u64, max_mw: u64) -> u32 {
    if max_mw <= DC_POWER_PCI {
        return 0;
    }
    let p = power_mw.clamp(DC_POWER_PCI, max_mw);
    ((p - DC_POWER_PCI) * 100 / (max_mw - DC_POWER_PCI)) as u32
}

/// An answer being built: the bytes of one uapi structure, zeroed, filled field by field.
struct Answer(KVec<u8>);

impl Answer {
    fn of_size(n: usize) -> Result<Self> {
        let mut v = KVec::with_capacity(n, GFP_KERNEL)?;
        v.resize(n, 0, GFP_KERNEL)?;
        Ok(Self(v))
    }

    fn new<T>() -> Result<Self> {
        Self::of_size(size_of::<T>())
    }

    fn put<V: AsBytes>(&mut self, off: usize, v: &V) {
        let b = v.as_bytes();
        self.0[off..off + b.len()].copy_from_slice(b);
    }
}

/// Writes fields of uapi structure `$t` into an [`Answer`]; each value must have the field's
/// type, so the bytes written are exactly the field's.
macro_rules! put {
    ($a:expr, $t:ty, $($f:ident = $v:expr),+ $(,)?) => {{
        $({
            let v = $v;
            #[allow(unused)]
            let same_type_as_field = |s: &mut $t| s.$f = v;
            $a.put(offset_of!($t, $f), &v);
        })+
    }};
}

/// Copies an answer to user space under the common buffer rules.
fn copy_out(dev: &kernel::device::Device, args: &uapi::hl_info_args, a: &Answer) -> Result<u32> {
    no_buffer(dev, args)?;
    let n = a.0.len().min(args.return_size as usize);
    let ptr = usize::try_from(args.return_pointer).map_err(|_| EFAULT)?;
    UserSlice::new(UserPtr::from_addr(ptr), n)
        .writer()
        .write_slice(&a.0[..n])
        .map_err(|_| EFAULT)?;
    Ok(0)
}

/// `EINVAL` for a NULL `return_pointer` or a zero `return_size`.
fn no_buffer(dev: &kernel::device::Device, args: &uapi::hl_info_args) -> Result {
    if args.return_size == 0 {
        dev_dbg!(dev, "INFO {}: no return buffer\n", args.op);
        return Err(EINVAL);
    }
    null_buffer(dev, args)
}

/// `EINVAL` for a NULL `return_pointer` (the error captures accept a zero size).
fn null_buffer(dev: &kernel::device::Device, args: &uapi::hl_info_args) -> Result {
    if args.return_pointer == 0 {
        dev_dbg!(dev, "INFO {}: no return buffer\n", args.op);
        return Err(EINVAL);
    }
    Ok(())
}

/// Copies the whole answer, as upstream copies the error structures and arrays: `ENOMEM`
/// if the buffer is smaller.
fn copy_whole(dev: &kernel::device::Device, args: &uapi::hl_info_args, a: &Answer) -> Result<u32> {
    if (args.return_size as usize) < a.0.len() {
        dev_dbg!(
            dev,
            "INFO {}: {} bytes do not hold the {} of the answer\n",
            args.op,
            args.return_size,
            a.0.len()
        );
        return Err(ENOMEM);
    }
    let ptr = usize::try_from(args.return_pointer).map_err(|_| EFAULT)?;
    UserSlice::new(UserPtr::from_addr(ptr), a.0.len())
        .writer()
        .write_slice(&a.0)
        .map_err(|_| EFAULT)?;
    Ok(0)
}

/// For the error opcodes answered with [`copy_whole`]: `EINVAL` for a NULL buffer, then what
/// `field` takes of the errors kept (`None`: nothing is written).
fn captured_or_nothing<V>(
    dev: &kernel::device::Device,
    shared: &crate::node::Shared,
    args: &uapi::hl_info_args,
    field: impl FnOnce(&crate::capture::Captured) -> Option<V>,
) -> Result<Option<V>> {
    null_buffer(dev, args)?;
    Ok(field(&shared.captured.lock()))
}

/// The packet that reads the board's input power (sensor 0).
fn power_input() -> Packet {
    Packet {
        word16: POWER_INPUT_ATTR << 16,
        ..Packet::new(op::POWER_GET, 0)
    }
}

/// Sends a packet for an INFO opcode; the device CPU's errors become the caller's.
fn fw(g: &GaudiRef<'_>, pkt: Packet) -> Result<u64> {
    g.0.send(pkt, cpucp::INFO_TIMEOUT)
}

/// The `DRM_IOCTL_HL_INFO` handler.
pub(crate) fn ioctl(
    dev: &drm::Device<HlDrm, drm::Registered>,
    g: &GaudiRef<'_>,
    args: &mut uapi::hl_info_args,
    file: &drm::File<HlFile>,
) -> Result<u32> {
    let pdev = g.0.pdev();
    let d: &kernel::device::Device = pdev.as_ref();
    if args.pad != 0 {
        dev_dbg!(d, "INFO: pad must be zero\n");
        return Err(EINVAL);
    }
    // SAFETY: every member of the union is a `__u32`, so any of them may be read.
    let arg = unsafe { args.__bindgen_anon_1.dcore_id };
    let operational = g.0.operational();
    if !operational && !answers_when_not_operational(args.op) {
        dev_dbg!(d, "INFO {}: device is not operational\n", args.op);
        return Err(EBUSY);
    }
    let shared: &crate::node::Shared = dev;
    match args.op {
        uapi::HL_INFO_HW_IP_INFO => {
            type T = uapi::hl_info_hw_ip_info;
            let mut a = Answer::new::<T>()?;
            let mut cpucp_version = [0u8; 128];
            let v =
                g.0.info_str(info_layout::CPUCP_VERSION, info_layout::VERSION_LEN);
            cpucp_version[..v.len()].copy_from_slice(v);
            let mut card_name = [0u8; 16];
            let n = g.0.card_name();
            let n = &n[..n.len().min(15)];
            card_name[..n.len()].copy_from_slice(n);
            put!(
                a,
                T,
                sram_base_address = map::SRAM_USER_BASE,
                dram_base_address = map::DRAM_USER_BASE,
                dram_size = map::DRAM_USER_SIZE,
                sram_size = map::SRAM_USER_SIZE,
                num_of_events = NUM_EVENTS as u32,
                device_id = u32::from(shared.device_id),
                module_id = g.0.info_u32(info_layout::CARD_LOCATION),
                first_available_interrupt_id = 0xFFFFu16,
                cpld_version = g.0.info_u32(info_layout::CPLD_VERSION),
                tpc_enabled_mask = 0xFFu8,
                dram_enabled = 1u8,
                security_enabled = 0u8,
                cpucp_version = cpucp_version,
                card_name = card_name,
                tpc_enabled_mask_ext = 0xFFu64,
                dram_page_size = map::DRAM_PAGE_SIZE,
                device_mem_alloc_default_page_size = map::DRAM_PAGE_SIZE,
                revision_id = shared.revision,
                tpc_interrupt_id = 0xFFFFu16,
                reserved_dram_size = map::DRAM_USER_BASE,
            );
            copy_out(d, args, &a)
        }
        uapi::HL_INFO_HW_EVENTS | uapi::HL_INFO_HW_EVENTS_AGGREGATE => {
            let mut a = Answer::of_size(NUM_EVENTS * 4)?;
            for t in 0..NUM_EVENTS {
                a.put(t * 4, &g.0.event_count(t));
            }
            copy_out(d, args, &a)
        }
        uapi::HL_INFO_DRAM_USAGE => {
            type T = uapi::hl_info_dram_usage;
            let mut a = Answer::new::<T>()?;
            let used = file.inner().dram_used();
            put!(
                a,
                T,
                dram_free_mem = map::DRAM_USER_SIZE.wrapping_sub(used),
                ctx_dram_mem = used,
            );
            copy_out(d, args, &a)
        }
        uapi::HL_INFO_DEVICE_STATUS => {
            type T = uapi::hl_info_device_status;
            let mut a = Answer::new::<T>()?;
            let status = if g.0.cpu_disabled() {
                uapi::hl_device_status_HL_DEVICE_STATUS_MALFUNCTION
            } else if !operational {
                uapi::hl_device_status_HL_DEVICE_STATUS_NEEDS_RESET
            } else {
                uapi::hl_device_status_HL_DEVICE_STATUS_OPERATIONAL
            };
            put!(a, T, status = status);
            copy_out(d, args, &a)
        }
        uapi::HL_INFO_DEVICE_UTILIZATION => {
            type T = uapi::hl_info_device_utilization;
            // Upstream turns any failure here into EINVAL.
            let power = fw(g, power_input()).map_err(|_| EINVAL)?;
            let mut a = Answer::new::<T>()?;
            put!(a, T, utilization = utilization(power, g.0.max_power()));
            copy_out(d, args, &a)
        }
        uapi::HL_INFO_CLK_RATE => {
            type T = uapi::hl_info_clk_rate;
            let mhz = |opcode| -> Result<u32> {
                let pkt = Packet {
                    word16: MME_PLL,
                    ..Packet::new(opcode, 0)
                };
                Ok((fw(g, pkt)? / 1_000_000) as u32)
            };
            let (cur, max) = (mhz(op::FREQUENCY_CURR_GET)?, mhz(op::FREQUENCY_GET)?);
            let mut a = Answer::new::<T>()?;
            put!(a, T, cur_clk_rate_mhz = cur, max_clk_rate_mhz = max);
            copy_out(d, args, &a)
        }
        uapi::HL_INFO_RESET_COUNT => {
            type T = uapi::hl_info_reset_count;
            let mut a = Answer::new::<T>()?;
            let hard =
                g.0.stats
                    .hard_resets
                    .load(core::sync::atomic::Ordering::Relaxed);
            put!(a, T, hard_reset_cnt = hard as u32, soft_reset_cnt = 0u32);
            copy_out(d, args, &a)
        }
        uapi::HL_INFO_CS_COUNTERS => {
            // No command submission path exists yet, so nothing was ever dropped.
            let a = Answer::new::<uapi::hl_info_cs_counters>()?;
            copy_out(d, args, &a)
        }
        uapi::HL_INFO_PCI_COUNTERS => {
            type T = uapi::hl_info_pci_counters;
            let thr = |dir: u32| {
                fw(
                    g,
                    Packet {
                        word16: dir,
                        ..Packet::new(op::PCIE_THROUGHPUT_GET, 0)
                    },
                )
            };
            let rx = thr(1)?;
            let tx = thr(0)?;
            let replay = fw(g, Packet::new(op::PCIE_REPLAY_CNT_GET, 0))? as u32;
            let mut a = Answer::new::<T>()?;
            put!(
                a,
                T,
                rx_throughput = rx,
                tx_throughput = tx,
                replay_cnt = u64::from(replay),
            );
            copy_out(d, args, &a)
        }
        uapi::HL_INFO_SYNC_MANAGER => {
            type T = uapi::hl_info_sync_manager;
            if arg >= MAX_DCORES {
                dev_dbg!(d, "INFO SYNC_MANAGER: dcore {} out of range\n", arg);
                return Err(EINVAL);
            }
            let (sob, mon) = if arg == 0 {
                (FIRST_AVAILABLE_SOB, FIRST_AVAILABLE_MONITOR)
            } else {
                (0, 0)
            };
            let mut a = Answer::new::<T>()?;
            put!(
                a,
                T,
                first_available_sync_object = sob,
                first_available_monitor = mon,
                first_available_cq = NO_CQ,
            );
            copy_out(d, args, &a)
        }
        uapi::HL_INFO_TOTAL_ENERGY => {
            type T = uapi::hl_info_energy;
            let e = fw(g, Packet::new(op::TOTAL_ENERGY_GET, 0))?;
            let mut a = Answer::new::<T>()?;
            put!(a, T, total_energy_consumption = e);
            copy_out(d, args, &a)
        }
        uapi::HL_INFO_PLL_FREQUENCY => {
            type T = uapi::hl_pll_frequency_info;
            let v = fw(
                g,
                Packet {
                    word16: arg,
                    ..Packet::new(op::PLL_INFO_GET, 0)
                },
            )?;
            let out = [
                v as u16,
                (v >> 16) as u16,
                (v >> 32) as u16,
                (v >> 48) as u16,
            ];
            let mut a = Answer::new::<T>()?;
            put!(a, T, output = out);
            copy_out(d, args, &a)
        }
        uapi::HL_INFO_POWER => {
            type T = uapi::hl_power_info;
            let p = fw(g, power_input())?;
            let mut a = Answer::new::<T>()?;
            put!(a, T, power = p);
            copy_out(d, args, &a)
        }
        uapi::HL_INFO_OPEN_STATS => {
            type T = uapi::hl_open_stats_info;
            let (count, period, active) = {
                let o = shared.open.lock();
                let period = match (o.ctx_active, o.last_open) {
                    (true, Some(t)) => t.elapsed().as_millis() as u64,
                    _ => o.last_open_period_ms,
                };
                (o.open_counter, period, o.ctx_active)
            };
            let mut a = Answer::new::<T>()?;
            put!(
                a,
                T,
                open_counter = count,
                last_open_period_ms = period,
                is_compute_ctx_active = u8::from(active),
                compute_ctx_in_release = 0u8,
            );
            copy_out(d, args, &a)
        }
        uapi::HL_INFO_DEV_MEM_ALLOC_PAGE_SIZES => {
            // Gaudi's device memory is not virtual: no page sizes to choose from.
            let a = Answer::new::<uapi::hl_info_dev_memalloc_page_sizes>()?;
            copy_out(d, args, &a)
        }
        uapi::HL_INFO_CS_TIMEOUT_EVENT => {
            // The first timeout since the open; zeros when none.
            type T = uapi::hl_info_cs_timeout_event;
            let mut a = Answer::new::<T>()?;
            if let Some((timestamp, seq)) = shared.captured.lock().cs_timeout {
                put!(a, T, timestamp = timestamp, seq = seq);
            }
            copy_out(d, args, &a)
        }
        uapi::HL_INFO_UNDEFINED_OPCODE_EVENT => {
            // The first undefined opcode since the open; zeros when none.
            type T = uapi::hl_info_undefined_opcode_event;
            let mut a = Answer::new::<T>()?;
            if let Some(u) = shared.captured.lock().undefined_opcode {
                put!(
                    a,
                    T,
                    timestamp = u.timestamp,
                    cb_addr_streams = u.cb_addrs,
                    cq_addr = u.cq_addr,
                    cq_size = u.cq_size,
                    cb_addr_streams_len = u.streams,
                    engine_id = u.engine_id,
                    stream_id = u.stream_id,
                );
            }
            copy_out(d, args, &a)
        }
        uapi::HL_INFO_PAGE_FAULT_EVENT => {
            // The first page fault since the open; nothing is written while there is none.
            type T = uapi::hl_page_fault_info;
            no_buffer(d, args)?;
            let Some((timestamp, addr)) = shared.captured.lock().page_fault else {
                return Ok(0);
            };
            let mut a = Answer::new::<T>()?;
            put!(a, T, timestamp = timestamp, addr = addr);
            copy_out(d, args, &a)
        }
        uapi::HL_INFO_RAZWI_EVENT => {
            // The first illegal access since the open; nothing is written while there is none.
            type T = uapi::hl_info_razwi_event;
            no_buffer(d, args)?;
            let Some(r) = shared.captured.lock().razwi else {
                return Ok(0);
            };
            let mut engines = [0u16; uapi::HL_RAZWI_MAX_NUM_OF_ENGINES_PER_RTR as usize];
            let n = r.engine_count();
            engines[..usize::from(n)].copy_from_slice(&r.engines[..usize::from(n)]);
            let mut a = Answer::new::<T>()?;
            put!(
                a,
                T,
                timestamp = r.timestamp,
                addr = r.addr,
                engine_id = engines,
                num_of_possible_engines = n,
                flags = r.flags,
            );
            copy_out(d, args, &a)
        }
        uapi::HL_INFO_USER_ENGINE_ERR_EVENT => {
            // Upstream refuses a NULL buffer, then returns nothing while no error was
            // captured; engine errors of this kind are Gaudi 2's: none is captured on Gaudi.
            captured_or_nothing(d, shared, args, |_| None::<()>)?;
            Ok(0)
        }
        uapi::HL_INFO_HW_ERR_EVENT => {
            type T = uapi::hl_info_hw_err_event;
            let Some((timestamp, event_id)) = captured_or_nothing(d, shared, args, |c| c.hw_err)?
            else {
                return Ok(0);
            };
            let mut a = Answer::new::<T>()?;
            put!(a, T, timestamp = timestamp, event_id = event_id);
            copy_whole(d, args, &a)
        }
        uapi::HL_INFO_FW_ERR_EVENT => {
            type T = uapi::hl_info_fw_err_event;
            let Some((timestamp, e)) = captured_or_nothing(d, shared, args, |c| c.fw_err)? else {
                return Ok(0);
            };
            let (err_type, event_id) = match e {
                FwErr::Heartbeat => (uapi::hl_info_fw_err_type_HL_INFO_FW_HEARTBEAT_ERR, 0),
                FwErr::Reported(id) => (uapi::hl_info_fw_err_type_HL_INFO_FW_REPORTED_ERR, id),
            };
            let mut a = Answer::new::<T>()?;
            put!(
                a,
                T,
                timestamp = timestamp,
                err_type = err_type as u16,
                event_id = event_id,
            );
            copy_whole(d, args, &a)
        }
        uapi::HL_INFO_USER_MAPPINGS => {
            // The context's mappings when the page fault was captured: the count goes to
            // `array_size`, and the entries only into a buffer that holds them all.
            null_buffer(d, args)?;
            let cap = shared.captured.lock();
            if cap.page_fault.is_none() {
                return Ok(0);
            }
            args.__bindgen_anon_1.array_size = cap.user_mappings.len() as u32;
            let a = Answer(cap.user_mappings_bytes()?);
            drop(cap);
            copy_whole(d, args, &a)
        }
        uapi::HL_INFO_TIME_SYNC => {
            type T = uapi::hl_info_time_sync;
            let device_time = g.0.device_time();
            let host_time = Instant::<MonotonicRaw>::now().as_nanos() as u64;
            // SAFETY: `rdtsc` reads the time-stamp counter; it has no memory effects and every
            // x86-64 processor has it (the driver builds for x86-64 only).
            let tsc_time = unsafe { core::arch::x86_64::_rdtsc() };
            let mut a = Answer::new::<T>()?;
            put!(
                a,
                T,
                device_time = device_time,
                host_time = host_time,
                tsc_time = tsc_time,
            );
            copy_out(d, args, &a)
        }
        uapi::HL_INFO_LAST_ERR_OPEN_DEV_TIME => {
            type T = uapi::hl_info_last_err_open_dev_time;
            let ns = shared.open.lock().last_open_ns;
            let mut a = Answer::new::<T>()?;
            put!(a, T, timestamp = ns);
            copy_out(d, args, &a)
        }
        uapi::HL_INFO_CLK_THROTTLE_REASON => {
            type T = uapi::hl_info_clk_throttle;
            let t = *g.0.throttle.lock();
            let now = Instant::<Monotonic>::now().as_nanos();
            let mut stamps = [0u64; 2];
            let mut spans = [0u64; 2];
            for (i, &(start, end)) in t.spans.iter().enumerate() {
                stamps[i] = (start / 1000) as u64;
                // An active throttling lasts until now, an ended one from start to end.
                let active = t.reasons & (1 << i) != 0;
                spans[i] = ((if active { now } else { end }) - start) as u64;
            }
            let mut a = Answer::new::<T>()?;
            put!(
                a,
                T,
                clk_throttling_reason = t.reasons,
                clk_throttling_timestamp_us = stamps,
                clk_throttling_duration_ns = spans,
            );
            copy_out(d, args, &a)
        }
        uapi::HL_INFO_DRAM_REPLACED_ROWS => {
            // Upstream asks for one `struct cpucp_hbm_row_info` (8 bytes) and copies it.
            let mut a = Answer::of_size(HBM_ROW_INFO_SIZE)?;
            g.0.send_for_buffer(
                Packet::new(op::HBM_REPLACED_ROWS_INFO_GET, 0),
                &mut a.0,
                cpucp::INFO_TIMEOUT,
            )?;
            copy_out(d, args, &a)
        }
        uapi::HL_INFO_DRAM_PENDING_ROWS => {
            let n = fw(g, Packet::new(op::HBM_PENDING_ROWS_STATUS, 0))? as u32;
            let mut a = Answer::of_size(4)?;
            a.put(0, &n);
            copy_out(d, args, &a)
        }
        uapi::HL_INFO_HW_IDLE => {
            let (idle, mask) = crate::idle::check(g.0.regs(), None)?;
            let mut a = Answer::new::<uapi::hl_info_hw_idle>()?;
            let mut ext = [0u64; 4];
            ext[0] = mask;
            put!(
                a,
                uapi::hl_info_hw_idle,
                is_idle = u32::from(idle),
                busy_engines_mask = mask as u32,
                busy_engines_mask_ext = ext,
            );
            copy_out(d, args, &a)
        }
        uapi::HL_INFO_ENGINE_STATUS => {
            let size = args.return_size;
            if args.return_pointer == 0 || !(ENGINE_STATUS_MIN..=ENGINE_STATUS_MAX).contains(&size)
            {
                dev_dbg!(d, "INFO ENGINE_STATUS: buffer of {} bytes\n", size);
                return Err(EINVAL);
            }
            let mut text = crate::idle::StatusText::new(size as usize)?;
            crate::idle::check(g.0.regs(), Some(&mut text))?;
            if text.actual > size as usize {
                dev_dbg!(
                    d,
                    "INFO ENGINE_STATUS: {} bytes needed, {} given\n",
                    text.actual,
                    size
                );
                return Err(ENOMEM);
            }
            args.__bindgen_anon_1.user_buffer_actual_size = text.actual as u32;
            let mut v = KVec::new();
            v.extend_from_slice(&text.bytes()[..text.actual], GFP_KERNEL)?;
            let a = Answer(v);
            copy_out(d, args, &a)
        }
        uapi::HL_INFO_SECURED_ATTESTATION | uapi::HL_INFO_DEV_SIGNED => {
            no_buffer(d, args)?;
            let signed = args.op == uapi::HL_INFO_DEV_SIGNED;
            let v = crate::attest::query(g, signed, arg).inspect_err(|e| {
                dev_dbg!(d, "INFO {}: the firmware refused: {:?}\n", args.op, e)
            })?;
            copy_out(d, args, &Answer(v))
        }
        uapi::HL_INFO_FW_GENERIC_REQ => {
            let size = args.return_size;
            let input = crate::attest::check_generic(arg, size).map_err(|e| {
                dev_dbg!(
                    d,
                    "INFO FW_GENERIC_REQ: {:?} (request {}, {} bytes)\n",
                    e,
                    arg,
                    size
                );
                e.errno()
            })?;
            // Up to 1 MiB: virtually contiguous if need be.
            let mut buf = KVVec::new();
            buf.resize(size as usize, 0u8, GFP_KERNEL)?;
            let ptr = usize::try_from(args.return_pointer).map_err(|_| EFAULT)?;
            if input {
                UserSlice::new(UserPtr::from_addr(ptr), buf.len())
                    .reader()
                    .read_slice(&mut buf)
                    .map_err(|_| EFAULT)?;
            }
            let n = crate::attest::generic(g, arg, &mut buf, input)?;
            UserSlice::new(UserPtr::from_addr(ptr), n)
                .writer()
                .write_slice(&buf[..n])
                .map_err(|_| EFAULT)?;
            Ok(0)
        }
        uapi::HL_INFO_REGISTER_EVENTFD => {
            // SAFETY: as for `arg` above.
            let fd = unsafe { args.__bindgen_anon_1.eventfd } as i32;
            shared.notifier.lock().register(fd).inspect_err(|e| {
                dev_dbg!(d, "INFO REGISTER_EVENTFD: descriptor {}: {:?}\n", fd, e)
            })?;
            Ok(0)
        }
        uapi::HL_INFO_UNREGISTER_EVENTFD => {
            shared
                .notifier
                .lock()
                .unregister()
                .inspect_err(|_| dev_dbg!(d, "INFO UNREGISTER_EVENTFD: none registered\n"))?;
            Ok(0)
        }
        uapi::HL_INFO_GET_EVENTS => {
            if args.return_pointer == 0 || args.return_size < 8 {
                dev_dbg!(d, "INFO GET_EVENTS: buffer of {} bytes\n", args.return_size);
                return Err(EINVAL);
            }
            // Cleared here, even if the copy below faults, as upstream.
            let events = shared.notifier.lock().take();
            let mut a = Answer::of_size(8)?;
            a.put(0, &events);
            copy_out(d, args, &a)
        }
        other => {
            dev_dbg!(d, "INFO: invalid opcode {}\n", other);
            Err(EINVAL)
        }
    }
}

#[kunit_tests(habanalabs_rs_info)]
mod tests {
    use super::*;

    #[test]
    fn utilization_spans_idle_to_maximum_power() {
        assert_eq!(utilization(0, 200_000), 0);
        assert_eq!(utilization(60_000, 200_000), 0);
        assert_eq!(utilization(130_000, 200_000), 50);
        assert_eq!(utilization(200_000, 200_000), 100);
        assert_eq!(utilization(500_000, 200_000), 100);
        assert_eq!(utilization(100_000, 50_000), 0);
    }

    #[test]
    fn only_upstreams_list_answers_on_a_sick_device() {
        assert!(answers_when_not_operational(uapi::HL_INFO_DEVICE_STATUS));
        assert!(answers_when_not_operational(uapi::HL_INFO_HW_IP_INFO));
        assert!(!answers_when_not_operational(uapi::HL_INFO_HW_IDLE));
        assert!(!answers_when_not_operational(uapi::HL_INFO_POWER));
        assert!(!answers_when_not_operational(5));
        assert!(!answers_when_not_operational(41));
    }

    #[test]
    fn user_dram_is_what_lies_above_the_driver_reservation() {
        assert_eq!(map::DRAM_USER_SIZE, 0x7_E000_0000);
        assert_eq!(map::DRAM_USER_SIZE % map::DRAM_PAGE_SIZE, 0);
    }

    #[test]
    fn answers_hold_fields_at_the_header_offsets() {
        type T = uapi::hl_info_sync_manager;
        let mut a = Answer::new::<T>().unwrap();
        put!(a, T, first_available_monitor = 0x0102_0304u32);
        assert_eq!(a.0.len(), 16);
        assert_eq!(&a.0[4..8], &[4, 3, 2, 1]);
        assert_eq!(&a.0[..4], &[0, 0, 0, 0]);
    }
}
