// SPDX-License-Identifier: GPL-2.0

//! Command submission: `DRM_IOCTL_HL_CS` and `DRM_IOCTL_HL_WAIT_CS`.
//!
//! A command submission (CS) is a set of jobs, one per chunk, each a user CB to run on an
//! external queue. The CS ioctl checks every chunk and copies each CB into a kernel CB
//! ("patched" CB, as upstream calls it) where the parser validates it: the device runs the
//! copy, so user space may rewrite or destroy its CB as soon as the ioctl returns. The driver
//! appends to each copy the packets that write the job's completion entry and send the MSI.
//! Only when every chunk passed are the jobs put on the queues, all under the queue lock, so a
//! CS is submitted whole or not at all.
//!
//! Every CS gets the context's next sequence number and a fence, kept in a window of
//! [`MAX_PENDING`] slots indexed by sequence. WAIT_CS waits on that fence. A CS that fails
//! after its number was given keeps the number, and its fence completes with `EBUSY`, which a
//! wait reports as completed, as upstream does.
//!
//! Timeouts: the oldest CS in flight on the device is watched; it gets its timeout (600 s, or
//! the seconds user space gave with `HL_CS_FLAGS_CUSTOM_TIMEOUT`) counted from when it became
//! the oldest. When it runs out the device is reset ([`crate::reset`]).

use crate::cb::{self, MAX_CB_SIZE};
use crate::gaudi::Gaudi;
use crate::info::map;
use crate::node::{GaudiRef, HlDrm, HlFile};
use crate::queues::{self, put_completion, EXT_QUEUES};
use crate::regs::{self, CFG_BASE};
use crate::va::{HOST_VA_END, HOST_VA_START};
use kernel::{
    device::{Bound, Device},
    dma::Coherent,
    drm, new_condvar, new_mutex,
    prelude::*,
    sync::{
        atomic::{ordering::Relaxed, Atomic},
        Arc, CondVar, CondVarTimeoutResult, Mutex,
    },
    time::{msecs_to_jiffies, Delta, Instant, Monotonic},
    uaccess::UserSlice,
    uapi,
};

/// Sequence numbers a context may have in flight (upstream's Gaudi value).
pub(crate) const MAX_PENDING: usize = 16384;
/// Default CS timeout on Gaudi.
pub(crate) const DEFAULT_TIMEOUT: Delta = Delta::from_secs(600);
/// Number of queue ids the ABI defines for Gaudi; 8 is the device CPU's, the rest internal.
const NUM_QUEUES: u32 = 113;
/// Queue id of the device CPU's queue, which is the driver's.
const CPU_QUEUE: u32 = 8;
/// Size of `struct hl_cs_chunk`.
const CHUNK_SIZE: usize = 64;
/// Alignment the completion packets are padded to (upstream's device cache line).
const CACHE_LINE: u32 = 128;
/// Bytes of completion packets appended to a CB.
const COMPLETION_BYTES: u32 = 32;

/// The CS type flags, at most one of which may be given.
const TYPE_FLAGS: u32 = uapi::HL_CS_FLAGS_SIGNAL
    | uapi::HL_CS_FLAGS_WAIT
    | uapi::HL_CS_FLAGS_COLLECTIVE_WAIT
    | uapi::HL_CS_FLAGS_RESERVE_SIGNALS_ONLY
    | uapi::HL_CS_FLAGS_UNRESERVE_SIGNALS_ONLY
    | uapi::HL_CS_FLAGS_ENGINE_CORE_COMMAND
    | uapi::HL_CS_FLAGS_ENGINES_COMMAND
    | uapi::HL_CS_FLAGS_FLUSH_PCI_HBW_WRITES;

/// How a CS ended, as its fence records it.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Outcome {
    /// Every job ran.
    Done,
    /// Never submitted (it failed after getting its sequence number).
    NotSubmitted,
    /// Aborted by a reset.
    Aborted,
    /// It ran out of time, which reset the device.
    TimedOut,
}

struct FenceState {
    outcome: Option<Outcome>,
    /// CLOCK_MONOTONIC of completion, ns.
    timestamp_ns: i64,
}

/// The completion of one CS.
#[pin_data]
pub(crate) struct Fence {
    /// Its sequence number.
    pub(crate) seq: u64,
    /// Whether user space asked for its completion time.
    want_timestamp: bool,
    /// Its timeout.
    timeout: Delta,
    /// Jobs not finished yet.
    remaining: Atomic<u32>,
    /// Set when a job was aborted; the outcome then is [`Outcome::Aborted`].
    aborted: Atomic<bool>,
    /// Set when the CS ran out of time; the outcome then is [`Outcome::TimedOut`].
    timed_out: Atomic<bool>,
    #[pin]
    state: Mutex<FenceState>,
    #[pin]
    done: CondVar,
}

impl Fence {
    fn new(seq: u64, jobs: u32, timeout: Delta, want_timestamp: bool) -> Result<Arc<Self>> {
        Arc::pin_init(
            pin_init!(Fence {
                seq,
                want_timestamp,
                timeout,
                remaining: Atomic::new(jobs),
                aborted: Atomic::new(false),
                timed_out: Atomic::new(false),
                state <- new_mutex!(FenceState { outcome: None, timestamp_ns: 0 }),
                done <- new_condvar!(),
            }),
            GFP_KERNEL,
        )
    }

    /// Records the outcome and wakes the waiters.
    fn complete(&self, outcome: Outcome) {
        let mut st = self.state.lock();
        if st.outcome.is_none() {
            st.outcome = Some(outcome);
            st.timestamp_ns = Instant::<Monotonic>::now().as_nanos();
        }
        drop(st);
        self.done.notify_all();
    }

    /// One job of the CS finished (or was dropped unfinished: `aborted`).
    fn job_done(&self, aborted: bool) {
        if aborted {
            self.aborted.store(true, Relaxed);
        }
        if self.remaining.fetch_sub(1, Relaxed) == 1 {
            let outcome = if self.timed_out.load(Relaxed) {
                Outcome::TimedOut
            } else if self.aborted.load(Relaxed) {
                Outcome::Aborted
            } else {
                Outcome::Done
            };
            self.complete(outcome);
        }
    }

    /// Whether the CS has finished, one way or another.
    pub(crate) fn is_done(&self) -> bool {
        self.state.lock().outcome.is_some()
    }

    /// Marks the CS as the one that ran out of time.
    pub(crate) fn mark_timed_out(&self) {
        self.timed_out.store(true, Relaxed);
    }

    /// Its timeout.
    pub(crate) fn timeout(&self) -> Delta {
        self.timeout
    }

    /// Waits until the CS finished or `grace` passed since `since`, or a signal came (a
    /// process being killed); returns whether it finished.
    pub(crate) fn wait_until(&self, since: Instant<Monotonic>, grace: Delta) -> bool {
        let mut st = self.state.lock();
        while st.outcome.is_none() {
            let left = grace - since.elapsed().min(grace);
            let jiffies = msecs_to_jiffies(left.as_millis_ceil() as u32);
            if jiffies == 0
                || !matches!(
                    self.done.wait_interruptible_timeout(&mut st, jiffies),
                    CondVarTimeoutResult::Woken { .. }
                )
            {
                return st.outcome.is_some();
            }
        }
        true
    }
}

/// A job on a queue: the CB the device runs and the CS it belongs to. Dropping it tells the
/// CS the job is over: finished if [`Job::finish`] was called, aborted otherwise.
pub(crate) struct Job {
    /// The checked copy of the user's CB, with the completion packets.
    _cb: Coherent<[u8]>,
    fence: Arc<Fence>,
    finished: bool,
}

impl Job {
    /// The device reported the job done.
    pub(crate) fn finish(mut self) {
        self.finished = true;
    }
}

impl Drop for Job {
    fn drop(&mut self) {
        self.fence.job_done(!self.finished);
    }
}

/// A context's sequence numbers and the fences of its recent CSs.
pub(crate) struct CtxCs {
    /// The next sequence number (the first is 1, as upstream).
    next_seq: u64,
    /// Fence of sequence `s` at `s % MAX_PENDING`.
    pending: KVVec<Option<Arc<Fence>>>,
    /// Whether the sync manager was cleared for this context (at its first CS).
    sm_cleared: bool,
}

impl CtxCs {
    /// An empty window.
    pub(crate) fn new() -> Result<Self> {
        let mut pending = KVVec::with_capacity(MAX_PENDING, GFP_KERNEL)?;
        for _ in 0..MAX_PENDING {
            pending.push(None, GFP_KERNEL)?;
        }
        Ok(Self {
            next_seq: 1,
            pending,
            sm_cleared: false,
        })
    }

    /// Fences not yet completed, for the wait at context close.
    pub(crate) fn unfinished(&self) -> Result<KVec<Arc<Fence>>> {
        let mut v = KVec::new();
        for f in self.pending.iter().flatten() {
            if !f.is_done() {
                v.push(f.clone(), GFP_KERNEL)?;
            }
        }
        Ok(v)
    }

    /// The fence of `seq`, `Err(EINVAL)` if it was never issued, `Ok(None)` if it is too old
    /// to be tracked.
    fn lookup(&self, seq: u64) -> Result<Option<Arc<Fence>>> {
        if seq >= self.next_seq {
            return Err(EINVAL);
        }
        if seq + (MAX_PENDING as u64) < self.next_seq {
            return Ok(None);
        }
        Ok(self.pending[(seq % MAX_PENDING as u64) as usize]
            .as_ref()
            .filter(|f| f.seq == seq)
            .cloned())
    }
}

/// What the CS path keeps per device: the queues and the CSs in flight, in submission order.
pub(crate) struct DevCs {
    /// The external queues.
    pub(crate) queues: queues::Queues,
    /// CSs submitted and not finished, oldest first.
    pub(crate) inflight: KVec<Arc<Fence>>,
    /// When the oldest in flight became the oldest.
    pub(crate) head_since: Instant<Monotonic>,
}

impl DevCs {
    /// Forgets the CSs that finished; the next oldest starts its timeout now.
    pub(crate) fn retire_finished(&mut self) {
        let head = self.inflight.first().map(|f| f.seq);
        self.inflight.retain(|f| !f.is_done());
        if self.inflight.first().map(|f| f.seq) != head {
            self.head_since = Instant::<Monotonic>::now();
        }
    }

    /// The oldest CS in flight if its time ran out.
    pub(crate) fn expired(&self) -> Option<Arc<Fence>> {
        let head = self.inflight.first()?;
        (self.head_since.elapsed() > head.timeout).then(|| head.clone())
    }
}

/// One chunk, decoded.
struct Chunk {
    cb_handle: u64,
    queue: u32,
    cb_size: u32,
}

fn chunk_at(raw: &[u8], i: usize) -> Chunk {
    let c = &raw[i * CHUNK_SIZE..(i + 1) * CHUNK_SIZE];
    let u32_at = |o: usize| u32::from_le_bytes([c[o], c[o + 1], c[o + 2], c[o + 3]]);
    Chunk {
        cb_handle: u64::from(u32_at(0)) | (u64::from(u32_at(4)) << 32),
        queue: u32_at(8),
        cb_size: u32_at(12),
    }
}

/// Packet opcodes (bits 28:24 of the control word).
mod pkt {
    pub(super) const WREG_32: u32 = 0x1;
    pub(super) const WREG_BULK: u32 = 0x2;
    pub(super) const MSG_LONG: u32 = 0x3;
    pub(super) const MSG_SHORT: u32 = 0x4;
    pub(super) const CP_DMA: u32 = 0x5;
    pub(super) const REPEAT: u32 = 0x6;
    pub(super) const MSG_PROT: u32 = 0x7;
    pub(super) const FENCE: u32 = 0x8;
    pub(super) const LIN_DMA: u32 = 0x9;
    pub(super) const NOP: u32 = 0xA;
    pub(super) const STOP: u32 = 0xB;
    pub(super) const ARB_POINT: u32 = 0xC;
    pub(super) const WAIT: u32 = 0xD;
    pub(super) const LOAD_AND_EXE: u32 = 0xF;

    /// Size of each packet, by opcode; 0 for an invalid opcode.
    pub(super) const fn size(op: u32) -> usize {
        match op {
            MSG_LONG | CP_DMA | MSG_PROT | LOAD_AND_EXE => 16,
            LIN_DMA => 24,
            WREG_32 | WREG_BULK | MSG_SHORT | REPEAT | FENCE | NOP | STOP | ARB_POINT | WAIT => 8,
            _ => 0,
        }
    }

    /// `LIN_DMA`: the source is a value to fill with, not an address.
    pub(super) const LIN_DMA_MEMSET: u32 = 1 << 4;
    /// `LOAD_AND_EXE`: load into the destination (privileged).
    pub(super) const LOAD_AND_EXE_DST: u32 = 1 << 0;
    /// `WREG_32`: the register, as a byte offset in the issuing engine's 64 KiB block
    /// (control bits 23:8).
    pub(super) const fn wreg_offset(ctl: u32) -> u32 {
        (ctl >> 8) & 0xFFFF
    }
    /// `WREG_32`: control bits 7:5, reserved on Gaudi.
    pub(super) const WREG_RESERVED: u32 = 0x7 << 5;
}

/// Why the parser refused a CB.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum ParseError {
    /// Not a packet opcode Gaudi has (`EINVAL`).
    BadOpcode { at: usize, op: u32 },
    /// A packet runs past the CB (`EINVAL`).
    Truncated { at: usize },
    /// A packet only the driver may use (`EPERM`).
    Privileged { at: usize, op: u32 },
    /// An address the context may not reach (`EFAULT`).
    Address { at: usize, addr: u64 },
    /// A `WREG_32` to a register users may not write, or of a value they may not write
    /// there (`EPERM`).
    Register { at: usize, offset: u32 },
    /// A message to a monitor register with a value users may not write there, or arming a
    /// monitor whose payload address the CB did not set (`EFAULT`).
    Message { at: usize, addr: u64, value: u32 },
    /// Reserved bits of a packet set (`EINVAL`).
    Reserved { at: usize, op: u32 },
    /// No memory for the checks (`ENOMEM`).
    NoMemory,
}

impl ParseError {
    fn errno(&self) -> Error {
        match self {
            ParseError::BadOpcode { .. }
            | ParseError::Truncated { .. }
            | ParseError::Reserved { .. } => EINVAL,
            ParseError::Privileged { .. } | ParseError::Register { .. } => EPERM,
            ParseError::Address { .. } | ParseError::Message { .. } => EFAULT,
            ParseError::NoMemory => ENOMEM,
        }
    }
}

/// Whether `[addr, addr + len)` lies where a user job may move data: the context's host range
/// (translated, and so guarded, by the MMU), user HBM or user SRAM.
fn data_reachable(addr: u64, len: u64) -> bool {
    let Some(end) = addr.checked_add(len) else {
        return false;
    };
    let within = |lo: u64, hi: u64| addr >= lo && end <= hi;
    within(HOST_VA_START, HOST_VA_END)
        || within(map::DRAM_USER_BASE, map::DRAM_SIZE)
        || within(
            map::SRAM_USER_BASE,
            map::SRAM_USER_BASE + u64::from(map::SRAM_USER_SIZE),
        )
}

/// The sync managers' register blocks (0x2_0000 apart, west-south first) and, within one,
/// where the sync objects and the monitors' registers are.
mod sm {
    pub(super) const STRIDE: u64 = 0x2_0000;
    pub(super) const SOB: u64 = 0x2000;
    pub(super) const PAY_ADDRL: u64 = 0x4000;
    pub(super) const PAY_ADDRH: u64 = 0x4800;
    pub(super) const PAY_DATA: u64 = 0x5000;
    pub(super) const ARM: u64 = 0x5800;
    pub(super) const END: u64 = 0x6000;
    pub(super) const MONITORS: usize = 512;
}

/// Where `addr` falls in the sync managers: the block and the offset in it.
fn sm_register(addr: u64) -> Option<(usize, u64)> {
    let first = u64::from(regs::SM_W_S_SOB_OBJ_0) - sm::SOB;
    let off = addr.checked_sub(CFG_BASE)?.checked_sub(first)?;
    let (b, rel) = (off / sm::STRIDE, off % sm::STRIDE);
    (b < 4 && (sm::SOB..sm::END).contains(&rel) && rel % 4 == 0).then_some((b as usize, rel))
}

/// Whether `addr` is a sync object of one of the four sync managers.
fn sync_object(addr: u64) -> bool {
    sm_register(addr).is_some_and(|(_, rel)| rel < sm::PAY_ADDRL)
}

/// Whether `addr` is a fence counter's increment register (`CP_FENCEn_RDATA_s`) of a DMA
/// QMAN: what a monitor may write when it fires, to release a stream waiting on a fence.
fn fence_rdata(addr: u64) -> bool {
    let Some(off) = addr.checked_sub(CFG_BASE) else {
        return false;
    };
    (0..2u64).any(|n| {
        let qm = u64::from(regs::DMA0_QM) + n * u64::from(regs::DMA_STRIDE);
        (qm + 0x308..qm + 0x358).contains(&off) && off % 4 == 0
    })
}

/// The high half of the configuration space's addresses: what a write completion's and a
/// monitor's address must have (users cannot make either leave the register space).
const CFG_HI: u64 = CFG_BASE >> 32;

/// The monitors whose payload address a CB set (both halves), so that it may arm them.
struct PayloadsSet {
    low: [u64; 4 * sm::MONITORS / 64],
    high: [u64; 4 * sm::MONITORS / 64],
}

impl PayloadsSet {
    fn new() -> Self {
        Self {
            low: [0; 4 * sm::MONITORS / 64],
            high: [0; 4 * sm::MONITORS / 64],
        }
    }

    fn bit(block: usize, rel: u64, base: u64) -> (usize, u64) {
        let m = block * sm::MONITORS + ((rel - base) / 4) as usize;
        (m / 64, 1 << (m % 64))
    }
}

/// Checks one message write of `value` to `addr` (a `MSG_LONG`, a `MSG_SHORT` after its base)
/// as the range registers and protection bits of a real Gaudi would: data memory as for a
/// `LIN_DMA`, any sync object; a monitor's payload address only to a sync object or a fence
/// counter in the configuration space; its payload data freely; arming it only after this
/// CB set its payload address (so that a payload address left over, or reset to 0, is never
/// used). Anything else is `EFAULT`.
fn check_message(
    at: usize,
    addr: u64,
    value: u32,
    set: &mut PayloadsSet,
) -> core::result::Result<(), ParseError> {
    if data_reachable(addr, 4) {
        return Ok(());
    }
    let Some((block, rel)) = sm_register(addr) else {
        return Err(ParseError::Address { at, addr });
    };
    let ok = match rel {
        r if r < sm::PAY_ADDRL => true,
        r if r < sm::PAY_ADDRH => {
            let target = (CFG_HI << 32) | u64::from(value);
            let ok = sync_object(target) || fence_rdata(target);
            if ok {
                let (w, b) = PayloadsSet::bit(block, r, sm::PAY_ADDRL);
                set.low[w] |= b;
            }
            ok
        }
        r if r < sm::PAY_DATA => {
            let ok = u64::from(value) == CFG_HI;
            if ok {
                let (w, b) = PayloadsSet::bit(block, r, sm::PAY_ADDRH);
                set.high[w] |= b;
            }
            ok
        }
        r if r < sm::ARM => true,
        r => {
            // ARM (monitor status is not a user's to write: `END` stops below it).
            let (w, b) = PayloadsSet::bit(block, r, sm::ARM);
            set.low[w] & set.high[w] & b != 0
        }
    };
    if ok {
        Ok(())
    } else {
        Err(ParseError::Message { at, addr, value })
    }
}

/// The sync-manager registers a stream's `MSG_SHORT` bases point at (`queues::Queues::hw_init`
/// programs them), by base index.
fn msg_short_base(base: u32) -> u64 {
    let b = match base {
        0 => regs::SM_E_N_MON_PAY_ADDRL_0,
        1 => regs::SM_E_N_SOB_OBJ_0,
        2 => regs::SM_W_S_MON_PAY_ADDRL_0,
        _ => regs::SM_W_S_SOB_OBJ_0,
    };
    CFG_BASE + u64::from(b)
}

/// Whether a user `WREG_32` may write `value` to the register at `offset` of its engine's
/// block. On a Gaudi, protection bits decide; the emulated device has none, so the driver
/// allows what upstream's rule for Goya allows and what the protection bits leave open on
/// Gaudi for the DMA engines: the value a write completion writes, and the low half of its
/// address if that stays on a sync object (the high half, which users cannot write, is the
/// configuration space's, set by the driver).
fn wreg_allowed(offset: u32, value: u32) -> bool {
    match offset {
        regs::CORE_WR_COMP_WDATA => true,
        regs::CORE_WR_COMP_ADDR_LO => sync_object((CFG_HI << 32) | u64::from(value)),
        _ => false,
    }
}

/// Checks a user CB, upstream's Gaudi rules plus the address checks that on a real Gaudi the
/// device's range registers and protection bits make (the emulated device has none).
/// Returns whether the CB moves data (its completion then waits for the DMA engine).
pub(crate) fn parse(cb: &[u8]) -> core::result::Result<bool, ParseError> {
    let mut at = 0;
    let mut had_dma = false;
    let mut payloads =
        KBox::new(PayloadsSet::new(), GFP_KERNEL).map_err(|_| ParseError::NoMemory)?;
    let u32_at = |o: usize| u32::from_le_bytes([cb[o], cb[o + 1], cb[o + 2], cb[o + 3]]);
    let u64_at = |o: usize| u64::from(u32_at(o)) | (u64::from(u32_at(o + 4)) << 32);
    while at < cb.len() {
        if at + 8 > cb.len() {
            return Err(ParseError::Truncated { at });
        }
        let word0 = u32_at(at);
        let ctl = u32_at(at + 4);
        let op = (ctl >> 24) & 0x1F;
        let size = pkt::size(op);
        if size == 0 {
            return Err(ParseError::BadOpcode { at, op });
        }
        if at + size > cb.len() {
            return Err(ParseError::Truncated { at });
        }
        match op {
            pkt::MSG_PROT | pkt::CP_DMA | pkt::STOP | pkt::WREG_BULK => {
                return Err(ParseError::Privileged { at, op });
            }
            pkt::LOAD_AND_EXE if word0 & pkt::LOAD_AND_EXE_DST != 0 => {
                return Err(ParseError::Privileged { at, op });
            }
            pkt::WAIT => return Err(ParseError::BadOpcode { at, op }),
            pkt::LIN_DMA => {
                had_dma = true;
                let len = u64::from(word0);
                let src = u64_at(at + 8);
                let dst = u64_at(at + 16) & 0x00FF_FFFF_FFFF_FFFF;
                if len != 0 {
                    if ctl & pkt::LIN_DMA_MEMSET == 0 && !data_reachable(src, len) {
                        return Err(ParseError::Address { at, addr: src });
                    }
                    if !data_reachable(dst, len) {
                        return Err(ParseError::Address { at, addr: dst });
                    }
                }
            }
            pkt::MSG_LONG => check_message(at, u64_at(at + 8), word0, &mut payloads)?,
            pkt::MSG_SHORT => {
                let addr = msg_short_base((ctl >> 22) & 3) + u64::from(ctl & 0xFFFF);
                check_message(at, addr, word0, &mut payloads)?;
            }
            pkt::WREG_32 => {
                if ctl & pkt::WREG_RESERVED != 0 {
                    return Err(ParseError::Reserved { at, op });
                }
                let offset = pkt::wreg_offset(ctl);
                if !wreg_allowed(offset, word0) {
                    return Err(ParseError::Register { at, offset });
                }
            }
            _ => {}
        }
        at += size;
    }
    Ok(had_dma)
}

/// Size of the copy of a `user` bytes CB: NOPs up to the next cache line if the completion
/// packets do not fit in the current one, then the completion packets.
pub(crate) fn patched_size(user: u32) -> u32 {
    let line_end = user.next_multiple_of(CACHE_LINE);
    if user + COMPLETION_BYTES > line_end {
        line_end - user + COMPLETION_BYTES + user
    } else {
        user + COMPLETION_BYTES
    }
}

/// Fills `[from, to)` of a CB with NOPs.
fn put_nops(cb: &mut [u8], from: usize, to: usize) {
    let mut at = from;
    while at + 8 <= to {
        cb[at..at + 4].copy_from_slice(&0u32.to_le_bytes());
        cb[at + 4..at + 8].copy_from_slice(&(pkt::NOP << 24).to_le_bytes());
        at += 8;
    }
}

/// A checked job, ready to queue.
struct Prepared {
    queue: usize,
    cb: Coherent<[u8]>,
    len: u32,
    had_dma: bool,
}

/// Looks a chunk's CB up and checks, copies and pads it.
fn prepare(d: &Device<Bound>, ctx: &HlFile, c: &Chunk, i: usize) -> Result<Prepared> {
    if c.queue >= NUM_QUEUES {
        dev_dbg!(d, "CS: chunk {}: queue {} does not exist\n", i, c.queue);
        return Err(EINVAL);
    }
    if c.queue == CPU_QUEUE {
        dev_dbg!(d, "CS: chunk {}: queue {} is the driver's\n", i, c.queue);
        return Err(EINVAL);
    }
    if c.queue as usize >= EXT_QUEUES {
        dev_dbg!(
            d,
            "CS: chunk {}: internal queue {}: the internal engines are not supported\n",
            i,
            c.queue
        );
        return Err(EOPNOTSUPP);
    }
    let Some(user_cb) = ctx.cbs.lock().get(cb::id_of(c.cb_handle)) else {
        dev_dbg!(d, "CS: chunk {}: no CB with handle {:#x}\n", i, c.cb_handle);
        return Err(EINVAL);
    };
    if c.cb_size < 8 || c.cb_size > user_cb.size() {
        dev_dbg!(
            d,
            "CS: chunk {}: size {} outside [8, {}]\n",
            i,
            c.cb_size,
            user_cb.size()
        );
        return Err(EINVAL);
    }
    let len = patched_size(c.cb_size);
    let cb = Coherent::<u8>::zeroed_slice(d, len as usize, GFP_KERNEL)?;
    // SAFETY: the copy was just allocated and its address has not been given to the device.
    let bytes = unsafe { cb.as_mut() };
    user_cb.jobs.fetch_add(1, Relaxed);
    let copied = user_cb.read(&mut bytes[..c.cb_size as usize]);
    user_cb.jobs.fetch_sub(1, Relaxed);
    copied?;
    // The checks run on the copy, which user space cannot change any more.
    let had_dma = parse(&bytes[..c.cb_size as usize]).map_err(|e| {
        dev_dbg!(d, "CS: chunk {}: CB refused: {:?}\n", i, e);
        e.errno()
    })?;
    put_nops(
        bytes,
        c.cb_size as usize,
        len as usize - COMPLETION_BYTES as usize,
    );
    Ok(Prepared {
        queue: c.queue as usize,
        cb,
        len,
        had_dma,
    })
}

/// Fills in the output of a CS that ended with `res`; upstream leaves the arguments as they
/// were on `EAGAIN`.
fn cs_out(args: &mut uapi::hl_cs_args, res: Result<Option<u64>>) -> Result<u32> {
    match res {
        Err(e) if e == EAGAIN => Err(e),
        res => {
            *args = pin_init::zeroed();
            let (seq, status) = match &res {
                Ok(Some(seq)) => (*seq, 0),
                Ok(None) => (u64::MAX, 0),
                Err(e) => (u64::MAX, e.to_errno() as u32),
            };
            args.out.__bindgen_anon_1.seq = seq;
            args.out.status = status;
            res.map(|_| 0)
        }
    }
}

/// The `DRM_IOCTL_HL_CS` handler.
pub(crate) fn ioctl(
    _dev: &drm::Device<HlDrm, drm::Registered>,
    g: &GaudiRef<'_>,
    args: &mut uapi::hl_cs_args,
    file: &drm::File<HlFile>,
) -> Result<u32> {
    let gaudi = g.0;
    let d = gaudi.bound();
    // SAFETY: every member of the argument union is plain integers; any bits are valid.
    let inp = unsafe { args.in_ };
    if inp.pad != [0; 4] {
        dev_dbg!(d, "CS: padding bytes must be 0\n");
        return cs_out(args, Err(EINVAL));
    }
    if !gaudi.operational() {
        dev_dbg!(d, "CS: device is not operational\n");
        return cs_out(args, Err(EBUSY));
    }
    let flags = inp.cs_flags;
    let kind = flags & TYPE_FLAGS;
    if kind.count_ones() > 1 {
        dev_dbg!(d, "CS: type flags {:#x} are mutually exclusive\n", kind);
        return cs_out(args, Err(EINVAL));
    }
    let res = match kind {
        0 if flags & uapi::HL_CS_FLAGS_STAGED_SUBMISSION != 0 => {
            dev_dbg!(d, "CS: staged submission is not supported\n");
            Err(EOPNOTSUPP)
        }
        0 => submit(gaudi, file.inner().get_ref(), &inp),
        uapi::HL_CS_FLAGS_ENGINE_CORE_COMMAND | uapi::HL_CS_FLAGS_ENGINES_COMMAND => {
            dev_dbg!(d, "CS: engine commands are not for Gaudi\n");
            Err(EPERM)
        }
        uapi::HL_CS_FLAGS_COLLECTIVE_WAIT => {
            dev_dbg!(
                d,
                "CS: collective operations need the NIC ports, which are off\n"
            );
            Err(EINVAL)
        }
        uapi::HL_CS_FLAGS_FLUSH_PCI_HBW_WRITES => {
            // A read from the device makes posted writes to it land first.
            let _ = gaudi.regs().rd(regs::PCIE_WRAP_RR_ELBI_RD_SEC_REG_CTRL);
            Ok(None)
        }
        _ => {
            dev_dbg!(
                d,
                "CS: signal, wait and reserved-signal submissions are not supported\n"
            );
            Err(EOPNOTSUPP)
        }
    };
    cs_out(args, res)
}

/// Submits an ordinary CS; returns its sequence number.
fn submit(gaudi: &Gaudi<'_>, ctx: &HlFile, inp: &uapi::hl_cs_in) -> Result<Option<u64>> {
    let d = gaudi.bound();
    if inp.num_chunks_restore != 0 || inp.cs_flags & uapi::HL_CS_FLAGS_FORCE_RESTORE != 0 {
        // Gaudi has no context switch; upstream runs restore chunks as a CS of their own
        // before the execute chunks. Not supported here.
        dev_dbg!(d, "CS: restore chunks are not supported\n");
        return Err(EOPNOTSUPP);
    }
    let n = inp.num_chunks_execute as usize;
    if n == 0 {
        dev_dbg!(d, "CS: no chunks to execute\n");
        return Err(EINVAL);
    }
    if n > uapi::HL_MAX_JOBS_PER_CS as usize {
        dev_dbg!(
            d,
            "CS: {} chunks, at most {}\n",
            n,
            uapi::HL_MAX_JOBS_PER_CS
        );
        return Err(EINVAL);
    }
    let mut raw = KVec::from_elem(0u8, n * CHUNK_SIZE, GFP_KERNEL)?;
    // SAFETY: plain integers, as above.
    let ptr = unsafe { inp.__bindgen_anon_1.__bindgen_anon_1.chunks_execute };
    UserSlice::new(UserPtr::from_addr(ptr as usize), n * CHUNK_SIZE)
        .reader()
        .read_slice(&mut raw)
        .inspect_err(|_| dev_dbg!(d, "CS: cannot read the chunk array\n"))?;
    let timeout = if inp.cs_flags & uapi::HL_CS_FLAGS_CUSTOM_TIMEOUT != 0 {
        Delta::from_secs(i64::from(inp.timeout))
    } else {
        DEFAULT_TIMEOUT
    };
    let want_ts = inp.cs_flags & uapi::HL_CS_FLAGS_TIMESTAMP != 0;

    // The sequence number; a full window refuses without using one up.
    let fence = {
        let mut cs = ctx.cs.lock();
        if !cs.sm_cleared {
            // Sync objects and monitors start clear for every context, as upstream's (which
            // clears them when the context opens).
            gaudi.clear_sync_manager()?;
            cs.sm_cleared = true;
        }
        let seq = cs.next_seq;
        let slot = (seq % MAX_PENDING as u64) as usize;
        if cs.pending[slot].as_ref().is_some_and(|f| !f.is_done()) {
            dev_dbg!(d, "CS: too many CSs in flight\n");
            return Err(EAGAIN);
        }
        let fence = Fence::new(seq, n as u32, timeout, want_ts)?;
        cs.pending[slot] = Some(fence.clone());
        cs.next_seq += 1;
        fence
    };
    let res = prepare_all(d, ctx, &raw, n).and_then(|jobs| gaudi.schedule(&fence, jobs));
    match res {
        Ok(()) => Ok(Some(fence.seq)),
        Err(e) => {
            fence.complete(Outcome::NotSubmitted);
            Err(e)
        }
    }
}

fn prepare_all(d: &Device<Bound>, ctx: &HlFile, raw: &[u8], n: usize) -> Result<KVec<Prepared>> {
    let mut jobs = KVec::with_capacity(n, GFP_KERNEL)?;
    for i in 0..n {
        jobs.push(prepare(d, ctx, &chunk_at(raw, i), i)?, GFP_KERNEL)?;
    }
    Ok(jobs)
}

impl Gaudi<'_> {
    /// Puts every job of a CS on its queue, or none if one queue lacks room (`EAGAIN`).
    fn schedule(&self, fence: &Arc<Fence>, jobs: KVec<Prepared>) -> Result {
        let d = self.bound();
        let mut cs = self.cs.lock();
        if !self.operational() {
            dev_dbg!(d, "CS: device is not operational; CS refused\n");
            return Err(EPERM);
        }
        let mut want = [0u32; EXT_QUEUES];
        for j in jobs.iter() {
            want[j.queue] += 1;
        }
        for (q, w) in want.iter().enumerate() {
            if *w > cs.queues.free(q) {
                dev_dbg!(d, "CS: queue {} is full\n", q);
                return Err(EAGAIN);
            }
        }
        cs.inflight.reserve(1, GFP_KERNEL)?;
        if cs.inflight.is_empty() {
            cs.head_since = Instant::<Monotonic>::now();
        }
        let r = self.regs();
        for j in jobs.into_iter() {
            let c = cs.queues.next_completion(j.queue);
            // SAFETY: the copy is not on a queue yet; nothing else reads or writes it.
            put_completion(unsafe { j.cb.as_mut() }, c, j.had_dma);
            let ptr = j.cb.dma_address() + crate::cpucp::HOST_PHYS_BASE;
            let job = Job {
                _cb: j.cb,
                fence: fence.clone(),
                finished: false,
            };
            cs.queues.push(r, j.queue, ptr, j.len, Some(job));
        }
        // Room was reserved above.
        let _ = cs.inflight.push_within_capacity(fence.clone());
        drop(cs);
        self.watch_timeouts();
        Ok(())
    }

    /// Collects finished jobs from the completion queues (interrupt thread).
    pub(crate) fn reap_cs(&self) {
        let mut done = KVec::new();
        let mut cs = self.cs.lock();
        if let Err(e) = cs.queues.reap(&mut done) {
            dev_err!(self.bound(), "cannot collect completions: {:?}\n", e);
        }
        for job in done.drain_all() {
            job.finish();
        }
        cs.retire_finished();
    }
}

/// The `DRM_IOCTL_HL_WAIT_CS` handler.
pub(crate) fn wait_ioctl(
    _dev: &drm::Device<HlDrm, drm::Registered>,
    g: &GaudiRef<'_>,
    args: &mut uapi::hl_wait_cs_args,
    file: &drm::File<HlFile>,
) -> Result<u32> {
    let gaudi = g.0;
    let d = gaudi.bound();
    // SAFETY: every member of the argument union is plain integers; any bits are valid.
    let inp = unsafe { args.in_ };
    if !gaudi.operational() {
        dev_dbg!(d, "WAIT_CS: device is not operational\n");
        return Err(EBUSY);
    }
    if inp.flags & uapi::HL_WAIT_CS_FLAGS_INTERRUPT != 0 {
        dev_dbg!(d, "WAIT_CS: Gaudi has no user interrupts\n");
        return Err(EPERM);
    }
    if inp.flags & uapi::HL_WAIT_CS_FLAGS_MULTI_CS != 0 {
        dev_dbg!(d, "WAIT_CS: waiting for several CSs is not supported\n");
        return Err(EOPNOTSUPP);
    }
    // SAFETY: as above.
    let (seq, timeout_us) = unsafe {
        let w = inp.__bindgen_anon_1.__bindgen_anon_1;
        (w.seq, w.timeout_us)
    };
    let ctx = file.inner().get_ref();
    let fence = match ctx.cs.lock().lookup(seq) {
        Err(e) => {
            dev_dbg!(d, "WAIT_CS: CS {} was never submitted\n", seq);
            args.out = pin_init::zeroed();
            return Err(e);
        }
        Ok(f) => f,
    };
    let Some(fence) = fence else {
        dev_dbg!(
            d,
            "WAIT_CS: CS {} is too old to be tracked; it completed\n",
            seq
        );
        args.out = pin_init::zeroed();
        args.out.status = uapi::HL_WAIT_CS_STATUS_COMPLETED;
        args.out.flags = uapi::HL_WAIT_CS_STATUS_FLAG_GONE;
        return Ok(0);
    };
    // Upstream waits without a limit for `MAX_SCHEDULE_TIMEOUT` and converts other timeouts
    // as a 32-bit count of microseconds.
    let forever = timeout_us == i64::MAX as u64;
    let us = timeout_us as u32;
    let mut left = if forever {
        kernel::time::Jiffies::MAX
    } else {
        msecs_to_jiffies(us.div_ceil(1000))
    };
    let mut st = fence.state.lock();
    while st.outcome.is_none() && (us != 0 || forever) {
        match fence.done.wait_interruptible_timeout(&mut st, left) {
            CondVarTimeoutResult::Timeout => break,
            CondVarTimeoutResult::Woken { jiffies } => left = jiffies,
            CondVarTimeoutResult::Signal { .. } => {
                dev_dbg!(d, "WAIT_CS: interrupted while waiting for CS {}\n", seq);
                return Err(EINTR);
            }
        }
    }
    let (outcome, ts) = (st.outcome, st.timestamp_ns);
    drop(st);
    args.out = pin_init::zeroed();
    match outcome {
        None => {
            args.out.status = uapi::HL_WAIT_CS_STATUS_BUSY;
            Ok(0)
        }
        Some(Outcome::Done | Outcome::NotSubmitted) => {
            args.out.status = uapi::HL_WAIT_CS_STATUS_COMPLETED;
            if fence.want_timestamp && outcome == Some(Outcome::Done) {
                args.out.flags = uapi::HL_WAIT_CS_STATUS_FLAG_TIMESTAMP_VLD;
                args.out.timestamp_nsec = ts;
            }
            Ok(0)
        }
        Some(Outcome::TimedOut) => {
            dev_dbg!(d, "WAIT_CS: CS {} timed out\n", seq);
            args.out.status = uapi::HL_WAIT_CS_STATUS_TIMEDOUT;
            Err(ETIMEDOUT)
        }
        Some(Outcome::Aborted) => {
            dev_dbg!(d, "WAIT_CS: CS {} was aborted\n", seq);
            args.out.status = uapi::HL_WAIT_CS_STATUS_ABORTED;
            Err(EIO)
        }
    }
}

#[kunit_tests(habanalabs_rs_cs)]
mod tests {
    use super::*;

    fn packet(op: u32, word0: u32, extra: &[u64]) -> KVec<u8> {
        let mut v = KVec::new();
        v.extend_from_slice(&word0.to_le_bytes(), GFP_KERNEL)
            .unwrap();
        v.extend_from_slice(&(op << 24).to_le_bytes(), GFP_KERNEL)
            .unwrap();
        for e in extra {
            v.extend_from_slice(&e.to_le_bytes(), GFP_KERNEL).unwrap();
        }
        v
    }

    #[test]
    fn patched_size_follows_upstream() {
        // Upstream's examples: 100 -> 160, 64 -> 96, 128 -> 160.
        assert_eq!(patched_size(100), 160);
        assert_eq!(patched_size(64), 96);
        assert_eq!(patched_size(128), 160);
        assert_eq!(patched_size(8), 40);
        assert!(patched_size(MAX_CB_SIZE) <= 2 << 20);
    }

    #[test]
    fn parser_takes_user_packets_and_refuses_privileged_ones() {
        let dma = packet(pkt::LIN_DMA, 4096, &[HOST_VA_START, map::DRAM_USER_BASE]);
        assert_eq!(parse(&dma), Ok(true));
        assert_eq!(parse(&packet(pkt::NOP, 0, &[])), Ok(false));
        for op in [pkt::MSG_PROT, pkt::CP_DMA] {
            let p = packet(op, 0, &[0]);
            assert_eq!(parse(&p), Err(ParseError::Privileged { at: 0, op }));
        }
        for op in [pkt::STOP, pkt::WREG_BULK] {
            let p = packet(op, 0, &[]);
            assert_eq!(parse(&p), Err(ParseError::Privileged { at: 0, op }));
        }
        let lae = packet(pkt::LOAD_AND_EXE, 1, &[0]);
        assert_eq!(parse(&lae).unwrap_err().errno(), EPERM);
        assert_eq!(parse(&packet(pkt::LOAD_AND_EXE, 0, &[0])), Ok(false));
        assert_eq!(
            parse(&packet(pkt::WAIT, 0, &[])).unwrap_err().errno(),
            EINVAL
        );
        assert_eq!(parse(&packet(0xE, 0, &[])).unwrap_err().errno(), EINVAL);
        assert_eq!(parse(&packet(0, 0, &[])).unwrap_err().errno(), EINVAL);
    }

    #[test]
    fn parser_lets_users_write_only_their_write_completion() {
        let wreg = |offset: u32, value: u32, reserved: u32| {
            let mut v = KVec::new();
            v.extend_from_slice(&value.to_le_bytes(), GFP_KERNEL)
                .unwrap();
            let ctl = (pkt::WREG_32 << 24) | (offset << 8) | reserved;
            v.extend_from_slice(&ctl.to_le_bytes(), GFP_KERNEL).unwrap();
            v
        };
        let sob = CFG_BASE + u64::from(regs::SM_W_S_SOB_OBJ_0) + 4 * 100;
        let val = regs::CORE_WR_COMP_WDATA;
        let lo = regs::CORE_WR_COMP_ADDR_LO;
        assert_eq!(parse(&wreg(val, 0x8000_0001, 0)), Ok(false));
        assert_eq!(parse(&wreg(lo, sob as u32, 0)), Ok(false));
        // A completion address off the sync manager: anything in the configuration space.
        let prot = (CFG_BASE + u64::from(regs::DMA0_CORE)) as u32;
        assert_eq!(
            parse(&wreg(lo, prot, 0)),
            Err(ParseError::Register { at: 0, offset: lo })
        );
        // The high half, and any other register of the block (the core's protection, the
        // QMAN's queue registers at 0x8000 and up): refused.
        for offset in [regs::CORE_WR_COMP_ADDR_HI, 0, 0x8000 + 0x4C, 0x7E] {
            assert_eq!(
                parse(&wreg(offset, 0, 0)),
                Err(ParseError::Register { at: 0, offset })
            );
            assert_eq!(parse(&wreg(offset, 0, 0)).unwrap_err().errno(), EPERM);
        }
        // Reserved control bits.
        assert_eq!(parse(&wreg(val, 1, 1 << 5)).unwrap_err().errno(), EINVAL);
        // After an allowed one, a refused one is reported at its own offset.
        let mut two = wreg(val, 1, 0);
        two.extend_from_slice(&wreg(0x84, 0, 0), GFP_KERNEL)
            .unwrap();
        assert_eq!(
            parse(&two),
            Err(ParseError::Register {
                at: 8,
                offset: 0x84
            })
        );
    }

    #[test]
    fn messages_may_not_turn_monitors_into_arbitrary_writes() {
        let long = |value: u32, addr: u64| packet(pkt::MSG_LONG, value, &[addr]);
        let short = |value: u32, base: u32, off: u32| {
            let mut v = KVec::new();
            v.extend_from_slice(&value.to_le_bytes(), GFP_KERNEL)
                .unwrap();
            let ctl = (pkt::MSG_SHORT << 24) | (base << 22) | off;
            v.extend_from_slice(&ctl.to_le_bytes(), GFP_KERNEL).unwrap();
            v
        };
        let cat = |parts: &[&KVec<u8>]| {
            let mut v = KVec::new();
            for p in parts {
                v.extend_from_slice(p, GFP_KERNEL).unwrap();
            }
            v
        };
        let blk = CFG_BASE + u64::from(regs::SM_W_S_SOB_OBJ_0) - 0x2000;
        let mon = 100u64;
        let addrl = blk + 0x4000 + 4 * mon;
        let addrh = blk + 0x4800 + 4 * mon;
        let data = blk + 0x5000 + 4 * mon;
        let arm = blk + 0x5800 + 4 * mon;
        let sob = (blk + 0x2000 + 4 * 150) as u32;
        let fence = (CFG_BASE + u64::from(regs::DMA0_QM) + 0x330) as u32;
        let hi = (CFG_BASE >> 32) as u32;
        // A monitor set up and armed in one CB, firing at a sync object or a fence counter.
        for target in [sob, fence] {
            let cb = cat(&[
                &long(target, addrl),
                &long(hi, addrh),
                &long(1, data),
                &long(0x1234, arm),
            ]);
            assert_eq!(parse(&cb), Ok(false));
        }
        // Payload addresses elsewhere: the DMA core's protection, the MMU, HBM.
        let core_prot = (CFG_BASE + u64::from(regs::DMA0_CORE) + 0xB8) as u32;
        assert_eq!(parse(&long(core_prot, addrl)).unwrap_err().errno(), EFAULT);
        assert_eq!(parse(&long(0, addrh)).unwrap_err().errno(), EFAULT);
        // Arming what this CB did not point somewhere safe, or only half of it.
        assert_eq!(parse(&long(0, arm)).unwrap_err().errno(), EFAULT);
        let half = cat(&[&long(sob, addrl), &long(0, arm)]);
        assert_eq!(
            parse(&half),
            Err(ParseError::Message {
                at: 16,
                addr: arm,
                value: 0
            })
        );
        // Monitor status, and past the monitors: not a user's.
        assert_eq!(parse(&long(0, blk + 0x6000)).unwrap_err().errno(), EFAULT);
        // MSG_SHORT: base 3 is the west-south sync objects; base 1's offsets reach past the
        // east-north manager into DMA0's core, which is refused.
        assert_eq!(parse(&short(1, 3, 4 * 150)), Ok(false));
        assert_eq!(parse(&short(0, 1, 0xE084)).unwrap_err().errno(), EFAULT);
        assert_eq!(parse(&short(1, 0, 0xC084)).unwrap_err().errno(), EFAULT);
        // A write completion may go to a sync object only.
        assert_eq!(
            parse(&packet_wreg(regs::CORE_WR_COMP_ADDR_LO, addrl as u32)),
            Err(ParseError::Register {
                at: 0,
                offset: regs::CORE_WR_COMP_ADDR_LO
            })
        );
    }

    fn packet_wreg(offset: u32, value: u32) -> KVec<u8> {
        let mut v = KVec::new();
        v.extend_from_slice(&value.to_le_bytes(), GFP_KERNEL)
            .unwrap();
        let ctl = (pkt::WREG_32 << 24) | (offset << 8);
        v.extend_from_slice(&ctl.to_le_bytes(), GFP_KERNEL).unwrap();
        v
    }

    #[test]
    fn parser_refuses_truncated_packets_and_unreachable_addresses() {
        let dma = packet(pkt::LIN_DMA, 64, &[HOST_VA_START, map::DRAM_USER_BASE]);
        assert_eq!(parse(&dma[..16]), Err(ParseError::Truncated { at: 0 }));
        assert_eq!(parse(&dma[..4]), Err(ParseError::Truncated { at: 0 }));
        // Into the driver's HBM (page tables, firmware).
        let low = packet(pkt::LIN_DMA, 64, &[HOST_VA_START, 0x1000_0000]);
        assert_eq!(
            parse(&low),
            Err(ParseError::Address {
                at: 0,
                addr: 0x1000_0000
            })
        );
        // Reading past the end of the host range.
        let over = packet(
            pkt::LIN_DMA,
            0x2000,
            &[HOST_VA_END - 0x1000, map::DRAM_USER_BASE],
        );
        assert_eq!(parse(&over).unwrap_err().errno(), EFAULT);
        // A fill's source is its value, not an address.
        let mut fill = packet(pkt::LIN_DMA, 64, &[0xdead_beef, map::DRAM_USER_BASE]);
        fill[7] |= (pkt::LIN_DMA_MEMSET >> 24) as u8;
        fill[4] |= pkt::LIN_DMA_MEMSET as u8;
        assert_eq!(parse(&fill), Ok(true));
        // Messages: a sync object yes, the MMU's registers no.
        let sob = CFG_BASE + u64::from(regs::SM_W_S_SOB_OBJ_0) + 4 * 200;
        assert_eq!(parse(&packet(pkt::MSG_LONG, 1, &[sob])), Ok(false));
        let mmu = CFG_BASE + 0xC1_100C;
        assert_eq!(
            parse(&packet(pkt::MSG_LONG, 0, &[mmu])),
            Err(ParseError::Address { at: 0, addr: mmu })
        );
        // The second packet is the bad one.
        let mut two = packet(pkt::NOP, 0, &[]);
        two.extend_from_slice(&packet(pkt::STOP, 0, &[]), GFP_KERNEL)
            .unwrap();
        assert_eq!(
            parse(&two),
            Err(ParseError::Privileged {
                at: 8,
                op: pkt::STOP
            })
        );
    }

    #[test]
    fn window_lookup_follows_upstream() {
        let mut c = CtxCs::new().unwrap();
        assert_eq!(c.lookup(1).err(), Some(EINVAL));
        let f = Fence::new(1, 1, DEFAULT_TIMEOUT, false).unwrap();
        c.pending[1] = Some(f);
        c.next_seq = 2;
        assert!(c.lookup(1).unwrap().is_some());
        assert_eq!(c.lookup(2).err(), Some(EINVAL));
        // Once the window moved past it, the CS is gone (completed long ago).
        c.next_seq = 1 + MAX_PENDING as u64 + 1;
        assert!(c.lookup(1).unwrap().is_none());
    }

    #[test]
    fn fence_outcome_follows_its_jobs() {
        let f = Fence::new(7, 2, DEFAULT_TIMEOUT, false).unwrap();
        f.job_done(false);
        assert!(!f.is_done());
        f.job_done(true);
        assert_eq!(f.state.lock().outcome, Some(Outcome::Aborted));
        let t = Fence::new(8, 1, DEFAULT_TIMEOUT, false).unwrap();
        t.mark_timed_out();
        t.job_done(true);
        assert_eq!(t.state.lock().outcome, Some(Outcome::TimedOut));
    }
}
