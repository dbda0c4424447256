// SPDX-License-Identifier: GPL-2.0

//! The external queues: DMA0 and DMA1, four streams each (queue ids 0 to 7).
//!
//! Each queue has a PQ ring of buffer descriptors in coherent host memory, which the QMAN
//! fetches from, and a completion queue (CQ) the jobs themselves write: the driver appends
//! to every job's CB a `MSG_PROT` that writes the job's CQ entry and one that writes the
//! PCIe core's MSI request register. The interrupt thread walks the CQs in host memory
//! (no register is read on that path) and hands the finished jobs back.
//!
//! Indices follow upstream: the producer index counts BDs modulo twice the ring length, the
//! BD goes to slot `pi % LEN`, and the doorbell carries the new index. The consumer index
//! is tracked by the driver from completions; the device's is never read.

use crate::cpucp::HOST_PHYS_BASE;
use crate::cs::Job;
use crate::regs::{self, Regs, CFG_BASE, DMA0_CORE, DMA0_QM, DMA_STRIDE};
use kernel::{
    device::{Bound, Device},
    dma::Coherent,
    prelude::*,
    sync::barrier::{dma_mb, Read},
    time::{delay::fsleep, Delta},
};

/// Number of external queues.
pub(crate) const EXT_QUEUES: usize = 8;
/// Entries in a PQ and in a CQ (upstream's `HL_QUEUE_LENGTH` and `HL_CQ_LENGTH`).
pub(crate) const LEN: u32 = 4096;

/// CQ entry: written by the device.
const CQ_READY: u32 = 1 << 31;
/// CQ entry: the low bits name the PQ slot of the finished job.
const CQ_SHADOW_VALID: u32 = 1 << 30;
/// CQ entry: the PQ slot.
const CQ_SHADOW_MASK: u32 = 0xFFF;

/// Fence value of the queue test, upstream's.
pub(crate) const TEST_FENCE: u32 = 0x72E9_1AB9;

/// `MSG_PROT` with the message barrier (and the engine barrier with [`EB`]).
pub(crate) const MSG_PROT_MB: u32 = (7 << 24) | (1 << 31);
/// Engine barrier bit of a packet's control word.
pub(crate) const EB: u32 = 1 << 29;

/// Where a job tells the host it finished.
#[derive(Clone, Copy)]
pub(crate) struct Completion {
    /// Device address of the CQ entry.
    pub(crate) addr: u64,
    /// Value to write there.
    pub(crate) value: u32,
}

/// Writes the two completion packets into the last 32 bytes of `cb`: the CQ entry (after the
/// job's DMA, if it had one) and the MSI request.
pub(crate) fn put_completion(cb: &mut [u8], c: Completion, had_dma: bool) {
    let n = cb.len();
    let ctl = MSG_PROT_MB | if had_dma { EB } else { 0 };
    put_msg_prot(&mut cb[n - 32..n - 16], ctl, c.value, c.addr);
    put_msg_prot(
        &mut cb[n - 16..],
        MSG_PROT_MB,
        1,
        CFG_BASE + u64::from(regs::MSI_REQ),
    );
}

/// Encodes one `MSG_PROT` (16 bytes): value, control word, address.
pub(crate) fn put_msg_prot(out: &mut [u8], ctl: u32, value: u32, addr: u64) {
    out[0..4].copy_from_slice(&value.to_le_bytes());
    out[4..8].copy_from_slice(&ctl.to_le_bytes());
    out[8..16].copy_from_slice(&addr.to_le_bytes());
}

/// One external queue.
struct Queue {
    /// The ring of buffer descriptors, two words each.
    pq: Coherent<[u64]>,
    /// The completion queue.
    cq: Coherent<[u32]>,
    /// Producer index, modulo `2 * LEN`.
    pi: u32,
    /// Consumer index as completions report it, modulo `2 * LEN`.
    ci: u32,
    /// Next CQ entry a job will write.
    cq_pi: u32,
    /// Next CQ entry to look at.
    cq_ci: u32,
    /// The job in each PQ slot.
    shadow: KVec<Option<Job>>,
}

impl Queue {
    fn new(dev: &Device<Bound>) -> Result<Self> {
        let mut shadow = KVec::with_capacity(LEN as usize, GFP_KERNEL)?;
        for _ in 0..LEN {
            shadow.push(None, GFP_KERNEL)?;
        }
        Ok(Self {
            pq: Coherent::<u64>::zeroed_slice(dev, 2 * LEN as usize, GFP_KERNEL)?,
            cq: Coherent::<u32>::zeroed_slice(dev, LEN as usize, GFP_KERNEL)?,
            pi: 0,
            ci: 0,
            cq_pi: 0,
            cq_ci: 0,
            shadow,
        })
    }

    /// BDs submitted and not yet completed.
    fn used(&self) -> u32 {
        self.pi.wrapping_sub(self.ci) % (2 * LEN)
    }

    fn cq_entry(&self, i: u32) -> *mut u32 {
        // `i < LEN`, the CQ's length.
        self.cq.as_mut_ptr().cast::<u32>().wrapping_add(i as usize)
    }
}

/// The external queues, under the device's queue lock.
pub(crate) struct Queues {
    q: KVec<Queue>,
}

/// Register offset of queue `q`'s stream register `reg` (a per-stream QMAN register).
fn stream_reg(q: usize, reg: u32) -> u32 {
    DMA0_QM + (q as u32 / 4) * DMA_STRIDE + reg + 4 * (q as u32 % 4)
}

impl Queues {
    /// Allocates the rings of every external queue.
    pub(crate) fn new(dev: &Device<Bound>) -> Result<Self> {
        let mut q = KVec::with_capacity(EXT_QUEUES, GFP_KERNEL)?;
        for _ in 0..EXT_QUEUES {
            q.push(Queue::new(dev)?, GFP_KERNEL)?;
        }
        Ok(Self { q })
    }

    /// Upstream's PCI-DMA QMAN and core initialisation for DMA0 and DMA1, with the rings
    /// emptied; the QMANs are enabled last.
    pub(crate) fn hw_init(&mut self, r: Regs<'_>) {
        for (i, q) in self.q.iter_mut().enumerate() {
            q.pi = 0;
            q.ci = 0;
            q.cq_pi = 0;
            q.cq_ci = 0;
            for j in q.shadow.iter_mut() {
                *j = None;
            }
            for e in 0..LEN {
                // SAFETY: `e < LEN`; the QMAN is not running yet, so nothing else writes.
                unsafe { q.cq_entry(e).write_volatile(0) };
            }
            // Empty BDs: what was on the ring before a reset is not reported after it.
            let words = q.pq.as_mut_ptr().cast::<u64>();
            for w in 0..2 * LEN as usize {
                // SAFETY: `w < 2 * LEN`, the ring's length in words; the QMAN is not running.
                unsafe { words.add(w).write_volatile(0) };
            }
            let pq = q.pq.dma_address() + HOST_PHYS_BASE;
            r.wr(stream_reg(i, regs::QM_PQ_BASE_LO), pq as u32);
            r.wr(stream_reg(i, regs::QM_PQ_BASE_HI), (pq >> 32) as u32);
            r.wr(stream_reg(i, regs::QM_PQ_SIZE), LEN.ilog2());
            r.wr(stream_reg(i, regs::QM_PQ_PI), 0);
            r.wr(stream_reg(i, regs::QM_PQ_CI), 0);
            // LIN_DMA programs the core's DST_TSIZE_0, SRC_BASE_LO and DST_BASE_LO.
            r.wr(stream_reg(i, regs::QM_CP_LDMA_TSIZE_OFFSET), 0x74);
            r.wr(stream_reg(i, regs::QM_CP_LDMA_SRC_BASE_LO_OFFSET), 0x14);
            r.wr(stream_reg(i, regs::QM_CP_LDMA_DST_BASE_LO_OFFSET), 0x1C);
            let bases = [
                regs::SM_E_N_MON_PAY_ADDRL_0,
                regs::SM_E_N_SOB_OBJ_0,
                regs::SM_W_S_MON_PAY_ADDRL_0,
                regs::SM_W_S_SOB_OBJ_0,
            ];
            for (k, b) in bases.into_iter().enumerate() {
                let a = CFG_BASE + u64::from(b);
                r.wr(stream_reg(i, regs::QM_CP_MSG_BASE_LO[k]), a as u32);
                r.wr(
                    stream_reg(i, regs::QM_CP_MSG_BASE_LO[k] + 0x14),
                    (a >> 32) as u32,
                );
            }
            r.wr(stream_reg(i, regs::QM_CP_BARRIER_CFG), 0x100);
        }
        for n in 0..2u32 {
            let qm = DMA0_QM + n * DMA_STRIDE;
            let core = DMA0_CORE + n * DMA_STRIDE;
            let gic = CFG_BASE + u64::from(regs::GIC_SETSPI_NSR);
            // Report every error, and stop on it.
            r.wr(qm + regs::QM_GLBL_ERR_CFG, 0x9EFF_1EFF);
            r.wr(qm + regs::QM_GLBL_ERR_ADDR_LO, gic as u32);
            r.wr(qm + regs::QM_GLBL_ERR_ADDR_HI, (gic >> 32) as u32);
            // The device CPU's interrupt numbers of DMA0_QM.. and DMA0_CORE...
            r.wr(qm + regs::QM_GLBL_ERR_WDATA, 432 + n);
            r.wr(qm + regs::QM_ARB_ERR_MSG_EN, 0x7);
            r.wr(qm + regs::QM_ARB_SLV_CHOISE_WDT, 0xEE6B_27FF);
            // PQ fetchers, CQ fetchers and parsers of the four streams are trusted: they
            // fetch host memory physically.
            r.wr(qm + regs::QM_GLBL_PROT, 0x5EFF);
            r.wr(qm + regs::QM_GLBL_CFG1, 0);

            r.wr(core + regs::CORE_RD_MAX_OUTSTAND, 0);
            r.wr(core + regs::CORE_RD_MAX_SIZE, 0);
            r.wr(core + regs::CORE_LBW_MAX_OUTSTAND, 15);
            r.wr(core + regs::CORE_ERR_CFG, 0x3);
            r.wr(core + regs::CORE_ERRMSG_ADDR_LO, gic as u32);
            r.wr(core + regs::CORE_ERRMSG_ADDR_HI, (gic >> 32) as u32);
            r.wr(core + regs::CORE_ERRMSG_WDATA, 453 + n);
            r.wr(core + regs::CORE_PROT, 0x2);
            r.wr(core + regs::CORE_SECURE_PROPS, 0x400);
            r.wr(core + regs::CORE_CFG_0, 1);

            r.wr(qm + regs::QM_GLBL_CFG0, 0x1EFF);
        }
    }

    /// Upstream's halt of the PCI-DMA engines: parsers stopped, cores halted, QMANs off, a
    /// millisecond between the steps as upstream waits, and a read to flush the writes. After
    /// it, the memory the engines were given may be freed.
    pub(crate) fn halt(r: Regs<'_>) {
        for n in [0u32, 1, 5] {
            r.wr(DMA0_QM + n * DMA_STRIDE + regs::QM_GLBL_CFG1, 0x1E00);
        }
        fsleep(Delta::from_millis(1));
        for n in [0u32, 1, 5] {
            r.wr(DMA0_CORE + n * DMA_STRIDE + regs::CORE_CFG_1, 1);
        }
        fsleep(Delta::from_millis(1));
        for n in [0u32, 1, 5] {
            r.wr(DMA0_QM + n * DMA_STRIDE + regs::QM_GLBL_CFG0, 0);
        }
        let _ = r.rd(DMA0_QM + regs::QM_GLBL_CFG0);
    }

    /// The CB addresses of the BDs of queue `q` before the device's consumer index `ci`,
    /// newest first, into `out`; it stops at an empty BD. Returns how many it wrote.
    pub(crate) fn last_bds(&self, q: usize, ci: u32, out: &mut [u64]) -> usize {
        let words = self.q[q].pq.as_mut_ptr().cast::<u64>();
        let mut slot = ci % LEN;
        for (n, addr) in out.iter_mut().enumerate() {
            slot = (slot + LEN - 1) % LEN;
            // SAFETY: `2 * slot + 1 < 2 * LEN`, the ring's length in words. Only the caller,
            // under the queue lock, writes BDs; the device only reads them.
            let (ptr, len) = unsafe {
                (
                    words.add(2 * slot as usize).read_volatile(),
                    words.add(2 * slot as usize + 1).read_volatile() as u32,
                )
            };
            if len == 0 {
                return n;
            }
            *addr = ptr;
        }
        out.len()
    }

    /// Free PQ slots of queue `q`.
    pub(crate) fn free(&self, q: usize) -> u32 {
        LEN - self.q[q].used()
    }

    /// Where the next job on queue `q` reports completion.
    pub(crate) fn next_completion(&self, q: usize) -> Completion {
        let qu = &self.q[q];
        Completion {
            addr: qu.cq.dma_address() + HOST_PHYS_BASE + 4 * u64::from(qu.cq_pi),
            value: (qu.pi % LEN) | CQ_SHADOW_VALID | CQ_READY,
        }
    }

    /// Puts a BD for `len` bytes at device address `ptr` on queue `q` and rings the doorbell.
    /// `job` (if any) is handed back by [`Queues::reap`] when its CQ entry arrives; a BD
    /// without a job (the queue test) must be retired with [`Queues::retire`].
    ///
    /// The caller checked [`Queues::free`].
    pub(crate) fn push(&mut self, r: Regs<'_>, q: usize, ptr: u64, len: u32, job: Option<Job>) {
        let qu = &mut self.q[q];
        let slot = qu.pi % LEN;
        let ctl = if job.is_some() { slot } else { 0 };
        if job.is_some() {
            qu.cq_pi = (qu.cq_pi + 1) % LEN;
        }
        qu.shadow[slot as usize] = job;
        let words = qu.pq.as_mut_ptr().cast::<u64>();
        // SAFETY: `2 * slot + 1 < 2 * LEN`, the ring's length in words. The device reads only
        // slots between its CI and the PI, which does not include this one until the doorbell
        // below.
        unsafe {
            words.add(2 * slot as usize).write_volatile(ptr);
            words
                .add(2 * slot as usize + 1)
                .write_volatile(u64::from(len) | (u64::from(ctl) << 32));
        }
        qu.pi = (qu.pi + 1) % (2 * LEN);
        // The MMIO write is ordered after the writes to coherent memory above.
        r.wr(stream_reg(q, regs::QM_PQ_PI), qu.pi);
    }

    /// Retires the oldest BD of queue `q`, one that has no CQ entry (a kernel job whose end
    /// the caller observed some other way).
    pub(crate) fn retire(&mut self, q: usize) {
        let qu = &mut self.q[q];
        qu.ci = (qu.ci + 1) % (2 * LEN);
    }

    /// Collects the jobs whose CQ entries arrived, in order, queue by queue. Entries are
    /// consumed (their ready bit cleared) as the device expects.
    pub(crate) fn reap(&mut self, done: &mut KVec<Job>) -> Result {
        for qu in self.q.iter_mut() {
            loop {
                let e = qu.cq_entry(qu.cq_ci);
                // SAFETY: `cq_ci < LEN`; the device writes each entry once per job, and only
                // this (locked) path reads and clears it.
                let v = unsafe { e.read_volatile() };
                if v & CQ_READY == 0 {
                    break;
                }
                // Read what the job wrote only after seeing its entry.
                dma_mb(Read);
                done.reserve(1, GFP_KERNEL)?;
                if v & CQ_SHADOW_VALID != 0 {
                    let slot = (v & CQ_SHADOW_MASK) as usize;
                    if let Some(job) = qu.shadow[slot].take() {
                        // Room was reserved above.
                        let _ = done.push_within_capacity(job);
                    }
                }
                // SAFETY: as above.
                unsafe { e.write_volatile(0) };
                qu.ci = (qu.ci + 1) % (2 * LEN);
                qu.cq_ci = (qu.cq_ci + 1) % LEN;
            }
        }
        Ok(())
    }

    /// Takes every job still on the queues (after the engines were halted), so they can be
    /// aborted.
    pub(crate) fn drain(&mut self, out: &mut KVec<Job>) -> Result {
        for qu in self.q.iter_mut() {
            for j in qu.shadow.iter_mut() {
                if let Some(job) = j.take() {
                    out.push(job, GFP_KERNEL)?;
                }
            }
            qu.ci = qu.pi;
        }
        Ok(())
    }
}
