// SPDX-License-Identifier: GPL-2.0
//! Register state of the external queues: the PCI DMA QMANs (DMA0 and DMA1, four streams each)
//! with their DMA cores, and the sync manager's objects and monitors. Execution lives in
//! `engine.rs`.

use crate::mmu::Initiator;
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// QMAN block of DMA engine n (n = 0, 1): the external queues.
pub const DMA_QM_BASE: [u32; 2] = [0x50_8000, 0x52_8000];
/// DMA core block of DMA engine n.
pub const DMA_CORE_BASE: [u32; 2] = [0x50_0000, 0x52_0000];
/// Bytes of a QMAN or core block.
pub const BLOCK_SIZE: u32 = 0x1000;
/// Bytes of an engine's register block, the one WREG_32 offsets are relative to: 64 KiB (the
/// reach of the packet's 16-bit offset), holding the DMA core at 0 and its QMAN at 0x8000.
pub const ENGINE_BLOCK_SIZE: u32 = 0x1_0000;

/// The register block of DMA engine `q` (relative to `CFG_BASE`): its QMAN's block rounded down
/// to [`ENGINE_BLOCK_SIZE`]. The base of a WREG_32 issued by the QMAN; an inference (see
/// `device-model.rst`).
pub fn engine_block(q: usize) -> u32 {
    DMA_QM_BASE[q] & !(ENGINE_BLOCK_SIZE - 1)
}

/// QMAN register offsets inside its block.
pub mod qm {
    /// Enables: PQF 3:0, CQF 8:4, CP 13:9.
    pub const GLBL_CFG0: u32 = 0x000;
    /// Stops: PQF 3:0, CQF 8:4, CP 13:9.
    pub const GLBL_CFG1: u32 = 0x004;
    /// Trusted: PQF 3:0, CQF 8:4, CP 13:9.
    pub const GLBL_PROT: u32 = 0x008;
    /// Error messages 13:0 and stop-on-error 29:16.
    pub const GLBL_ERR_CFG: u32 = 0x00C;
    /// Secure properties 0..4 (ASID 9:0, MMU bypass 10).
    pub const GLBL_SECURE_PROPS_0: u32 = 0x010;
    /// Non-secure properties 0..4.
    pub const GLBL_NON_SECURE_PROPS_0: u32 = 0x024;
    /// Idle and stop status.
    pub const GLBL_STS0: u32 = 0x038;
    /// Per-stream error causes 0..4.
    pub const GLBL_STS1_0: u32 = 0x040;
    /// PQ base, low, per stream.
    pub const PQ_BASE_LO: u32 = 0x070;
    /// PQ base, high.
    pub const PQ_BASE_HI: u32 = 0x080;
    /// log2 of the PQ entries.
    pub const PQ_SIZE: u32 = 0x090;
    /// Producer index: the doorbell.
    pub const PQ_PI: u32 = 0x0A0;
    /// Consumer index.
    pub const PQ_CI: u32 = 0x0B0;
    /// Current CB address, low (per instance, stride 0x10).
    pub const CQ_PTR_LO: u32 = 0x174;
    /// Message bases 0..3, low (each a row of five, one per instance).
    pub const CP_MSG_BASE_LO: [u32; 4] = [0x228, 0x250, 0x278, 0x2A0];
    /// Message bases 0..3, high.
    pub const CP_MSG_BASE_HI: [u32; 4] = [0x23C, 0x264, 0x28C, 0x2B4];
    /// Fence increments 0..3.
    pub const CP_FENCE_RDATA: [u32; 4] = [0x308, 0x31C, 0x330, 0x344];
    /// Fence counters 0..3.
    pub const CP_FENCE_CNT: [u32; 4] = [0x358, 0x36C, 0x380, 0x394];
    /// CP status per stream.
    pub const CP_STS: u32 = 0x3A8;
    /// Clock gating status: bit 8 agent idle.
    pub const CGM_STS: u32 = 0xC74;
    /// Where error messages go, low.
    pub const GLBL_ERR_ADDR_LO: u32 = 0xCD0;
    /// Where error messages go, high.
    pub const GLBL_ERR_ADDR_HI: u32 = 0xCD4;
    /// The error message.
    pub const GLBL_ERR_WDATA: u32 = 0xCD8;
}

/// DMA core register offsets inside its block.
pub mod core {
    /// Configuration 1: bit 0 halts the core.
    pub const CFG_1: u32 = 0x004;
    /// Source base, low.
    pub const SRC_BASE_LO: u32 = 0x014;
    /// Source base, high.
    pub const SRC_BASE_HI: u32 = 0x018;
    /// Destination base, low.
    pub const DST_BASE_LO: u32 = 0x01C;
    /// Destination base, high.
    pub const DST_BASE_HI: u32 = 0x020;
    /// Transfer size.
    pub const DST_TSIZE_0: u32 = 0x074;
    /// Starts a transfer: bit 0 write completion, bit 3 linear, bit 4 memset.
    pub const COMMIT: u32 = 0x078;
    /// Write-completion data.
    pub const WR_COMP_WDATA: u32 = 0x07C;
    /// Write-completion address, low.
    pub const WR_COMP_ADDR_LO: u32 = 0x080;
    /// Write-completion address, high.
    pub const WR_COMP_ADDR_HI: u32 = 0x084;
    /// Bit 0: transactions use the secure properties.
    pub const PROT: u32 = 0x0B8;
    /// Secure properties (ASID 9:0, MMU bypass 10).
    pub const SECURE_PROPS: u32 = 0x0F0;
    /// Non-secure properties.
    pub const NON_SECURE_PROPS: u32 = 0x0F4;
    /// Error causes: bit 0 read error, bit 1 write error.
    pub const ERR_CAUSE: u32 = 0x164;
    /// Where error messages go, low.
    pub const ERRMSG_ADDR_LO: u32 = 0x170;
    /// Where error messages go, high.
    pub const ERRMSG_ADDR_HI: u32 = 0x174;
    /// The error message.
    pub const ERRMSG_WDATA: u32 = 0x178;
    /// Status: bit 31 busy.
    pub const STS0: u32 = 0x190;
}

/// `GLBL_STS1` error bits.
pub mod sts1 {
    /// The PQ fetcher could not read a BD.
    pub const PQF_RD_ERR: u32 = 1 << 0;
    /// The CQ fetcher could not read a CB.
    pub const CQF_RD_ERR: u32 = 1 << 1;
    /// Undefined opcode.
    pub const CP_UNDEF_CMD_ERR: u32 = 1 << 3;
    /// STOP packet.
    pub const CP_STOP_OP: u32 = 1 << 4;
    /// A message write failed.
    pub const CP_MSG_WR_ERR: u32 = 1 << 5;
    /// A WREG_32 (or WREG_BULK) write failed.
    pub const CP_WREG_ERR: u32 = 1 << 6;
}

/// Sync manager blocks: W_S, E_S, W_N, E_N, each with 2048 objects and 512 monitors. These are
/// the offsets of their `SOB_OBJ_0`.
pub const SM_SOB_BASE: [u32; 4] = [0x49_2000, 0x4B_2000, 0x4D_2000, 0x4F_2000];
/// Objects per sync manager block.
pub const SOBS: u32 = 2048;
/// Monitors per sync manager block.
pub const MONITORS: u32 = 512;
/// Offsets from `SOB_OBJ_0` of the monitor registers.
pub mod mon {
    /// Payload address, low.
    pub const PAY_ADDRL: u32 = 0x2000;
    /// Payload address, high.
    pub const PAY_ADDRH: u32 = 0x2800;
    /// Payload data.
    pub const PAY_DATA: u32 = 0x3000;
    /// Arm: group 7:0, mask 15:8, mode 16, target 31:17.
    pub const ARM: u32 = 0x3800;
    /// Status: bit 0 valid (armed), 8:1 pending.
    pub const STATUS: u32 = 0x4000;
    /// End of the block.
    pub const END: u32 = 0x4800;
}

/// A command buffer being executed.
#[derive(Clone, Debug)]
pub struct Cb {
    /// Its device address.
    pub addr: u64,
    /// Its bytes.
    pub data: Vec<u8>,
    /// Offset of the next packet.
    pub pos: usize,
}

/// One stream of a QMAN.
#[derive(Default, Debug)]
pub struct Stream {
    /// PQ base (device address).
    pub pq_base: u64,
    /// log2 of the PQ entries.
    pub pq_size: u32,
    /// Producer index (host writes it).
    pub pi: u32,
    /// Consumer index.
    pub ci: u32,
    /// The CB being executed.
    pub cb: Option<Cb>,
    /// Message bases.
    pub msg_base: [u64; 4],
    /// Fence counters.
    pub fence: [u32; 4],
    /// Error causes.
    pub sts1: u32,
    /// Stopped by an error (stop-on-error).
    pub halted: bool,
    /// Busy until then (a slow DMA being modelled).
    pub busy_until: Option<Instant>,
    /// Fault: the PQ fetcher does not fetch.
    pub hang: bool,
    /// Fault: every LIN_DMA takes this long.
    pub dma_delay: Duration,
    /// Fault: the next CB fetched arrives corrupted, its first packet's opcode one Gaudi
    /// does not define (once).
    pub corrupt_next: bool,
    /// Its LIN_DMA is a job the engine thread is carrying out through the client (see
    /// `engine.rs`); the stream waits for it before its next packet.
    pub in_flight: bool,
}

/// One PCI DMA QMAN with its core.
#[derive(Default, Debug)]
pub struct Qman {
    /// Enables.
    pub cfg0: u32,
    /// Stops.
    pub cfg1: u32,
    /// Trusted bits.
    pub prot: u32,
    /// Error configuration.
    pub err_cfg: u32,
    /// Secure properties per instance.
    pub secure_props: [u32; 5],
    /// Non-secure properties per instance.
    pub non_secure_props: [u32; 5],
    /// Error message address.
    pub err_addr: u64,
    /// Error message data.
    pub err_wdata: u32,
    /// The four streams.
    pub streams: [Stream; 4],
    /// Core registers.
    pub core: HashMap<u32, u32>,
    /// Transfers of the core queued or running as jobs on the engine thread: the core reads
    /// busy, and later transfers wait behind them so that the core's transfers stay in order.
    pub core_inflight: u32,
}

impl Qman {
    /// Whether stream `s` may run.
    pub fn runnable(&self, s: usize) -> bool {
        let enabled = self.cfg0 & (1 << s) != 0 && self.cfg0 & (1 << (9 + s)) != 0;
        let stopped = self.cfg1 & ((1 << s) | (1 << (9 + s))) != 0;
        let st = &self.streams[s];
        enabled && !stopped && !st.halted && (st.cb.is_some() || (st.pi != st.ci && !st.hang))
    }

    /// The initiator of stream `s`'s fetches and messages.
    pub fn cp_initiator(&self, s: usize) -> Initiator {
        let trusted = self.prot & (1 << (9 + s)) != 0;
        let props = if trusted {
            self.secure_props[s] | (1 << 10)
        } else {
            self.non_secure_props[s]
        };
        Initiator {
            asid: props & 0x3ff,
            bypass: props & (1 << 10) != 0,
        }
    }

    /// The initiator of the DMA core's transfers.
    pub fn core_initiator(&self) -> Initiator {
        let secure = self.core.get(&core::PROT).copied().unwrap_or(0) & 1 != 0;
        let key = if secure {
            core::SECURE_PROPS
        } else {
            core::NON_SECURE_PROPS
        };
        let props = self.core.get(&key).copied().unwrap_or(0);
        Initiator {
            asid: props & 0x3ff,
            bypass: props & (1 << 10) != 0,
        }
    }

    /// `GLBL_STS0`: idle bits for PQF, CQF and CP of every instance whose stream has nothing
    /// to do (or is stopped), and the stop bits. A stream hung by the fault injection, with
    /// work waiting, is a stuck fetcher: busy.
    pub fn sts0(&self) -> u32 {
        let mut v = 0;
        for i in 0..5 {
            let idle = i == 4 || {
                let st = &self.streams[i];
                st.halted || (st.cb.is_none() && st.pi == st.ci)
            };
            if idle {
                v |= (1 << i) | (1 << (4 + i)) | (1 << (9 + i));
            }
        }
        v | ((self.cfg1 & 0x3fff) << 16)
    }

    /// Reads a register of the QMAN block.
    pub fn read(&self, off: u32) -> u32 {
        let s = |base: u32| ((off - base) / 4) as usize;
        if let Some((b, s)) = find(&qm::CP_MSG_BASE_LO, off) {
            return self.streams[s].msg_base[b] as u32;
        }
        if let Some((b, s)) = find(&qm::CP_MSG_BASE_HI, off) {
            return (self.streams[s].msg_base[b] >> 32) as u32;
        }
        if let Some((f, s)) = find(&qm::CP_FENCE_CNT, off) {
            return self.streams[s].fence[f];
        }
        if find(&qm::CP_FENCE_RDATA, off).is_some() {
            return 0;
        }
        match off {
            qm::GLBL_CFG0 => self.cfg0,
            qm::GLBL_CFG1 => self.cfg1,
            qm::GLBL_PROT => self.prot,
            qm::GLBL_ERR_CFG => self.err_cfg,
            o if (qm::GLBL_SECURE_PROPS_0..qm::GLBL_SECURE_PROPS_0 + 20).contains(&o) => {
                self.secure_props[s(qm::GLBL_SECURE_PROPS_0)]
            }
            o if (qm::GLBL_NON_SECURE_PROPS_0..qm::GLBL_NON_SECURE_PROPS_0 + 20).contains(&o) => {
                self.non_secure_props[s(qm::GLBL_NON_SECURE_PROPS_0)]
            }
            qm::GLBL_STS0 => self.sts0(),
            o if (qm::GLBL_STS1_0..qm::GLBL_STS1_0 + 16).contains(&o) => {
                self.streams[s(qm::GLBL_STS1_0)].sts1
            }
            o if (qm::PQ_BASE_LO..qm::PQ_BASE_LO + 16).contains(&o) => {
                self.streams[s(qm::PQ_BASE_LO)].pq_base as u32
            }
            o if (qm::PQ_BASE_HI..qm::PQ_BASE_HI + 16).contains(&o) => {
                (self.streams[s(qm::PQ_BASE_HI)].pq_base >> 32) as u32
            }
            o if (qm::PQ_SIZE..qm::PQ_SIZE + 16).contains(&o) => {
                self.streams[s(qm::PQ_SIZE)].pq_size
            }
            o if (qm::PQ_PI..qm::PQ_PI + 16).contains(&o) => self.streams[s(qm::PQ_PI)].pi,
            o if (qm::PQ_CI..qm::PQ_CI + 16).contains(&o) => self.streams[s(qm::PQ_CI)].ci,
            o if (qm::CQ_PTR_LO..qm::CQ_PTR_LO + 0x40).contains(&o) => {
                let i = ((o - qm::CQ_PTR_LO) / 0x10) as usize;
                let cb = self.streams[i].cb.as_ref();
                match (o - qm::CQ_PTR_LO) % 0x10 {
                    0 => cb.map_or(0, |c| c.addr as u32),
                    4 => cb.map_or(0, |c| (c.addr >> 32) as u32),
                    8 => cb.map_or(0, |c| c.data.len() as u32),
                    _ => 0,
                }
            }
            o if (qm::CP_STS..qm::CP_STS + 16).contains(&o) => 0,
            qm::CGM_STS => {
                if self.sts0() & 0x3fff == 0x3fff {
                    1 << 8
                } else {
                    0
                }
            }
            qm::GLBL_ERR_ADDR_LO => self.err_addr as u32,
            qm::GLBL_ERR_ADDR_HI => (self.err_addr >> 32) as u32,
            qm::GLBL_ERR_WDATA => self.err_wdata,
            _ => self.core.get(&(0x1_0000 | off)).copied().unwrap_or(0),
        }
    }

    /// Writes a register of the QMAN block. Returns whether a stream may have work now.
    pub fn write(&mut self, off: u32, v: u32) -> bool {
        let s = |base: u32| ((off - base) / 4) as usize;
        let lo = |x: u64| (x & !0xffff_ffff) | u64::from(v);
        let hi = |x: u64| (x & 0xffff_ffff) | (u64::from(v) << 32);
        if let Some((b, s)) = find(&qm::CP_MSG_BASE_LO, off) {
            let m = &mut self.streams[s].msg_base[b];
            *m = lo(*m);
            return false;
        }
        if let Some((b, s)) = find(&qm::CP_MSG_BASE_HI, off) {
            let m = &mut self.streams[s].msg_base[b];
            *m = hi(*m);
            return false;
        }
        if let Some((f, s)) = find(&qm::CP_FENCE_RDATA, off) {
            let c = &mut self.streams[s].fence[f];
            *c = (*c + (v & 0xf)).min(0x3fff);
            return true;
        }
        if let Some((f, s)) = find(&qm::CP_FENCE_CNT, off) {
            self.streams[s].fence[f] = v & 0x3fff;
            return true;
        }
        match off {
            qm::GLBL_CFG0 => self.cfg0 = v,
            qm::GLBL_CFG1 => self.cfg1 = v,
            qm::GLBL_PROT => self.prot = v,
            qm::GLBL_ERR_CFG => self.err_cfg = v,
            o if (qm::GLBL_SECURE_PROPS_0..qm::GLBL_SECURE_PROPS_0 + 20).contains(&o) => {
                self.secure_props[s(qm::GLBL_SECURE_PROPS_0)] = v
            }
            o if (qm::GLBL_NON_SECURE_PROPS_0..qm::GLBL_NON_SECURE_PROPS_0 + 20).contains(&o) => {
                self.non_secure_props[s(qm::GLBL_NON_SECURE_PROPS_0)] = v
            }
            // Writing a cause clears it.
            o if (qm::GLBL_STS1_0..qm::GLBL_STS1_0 + 16).contains(&o) => {
                self.streams[s(qm::GLBL_STS1_0)].sts1 &= !v
            }
            o if (qm::PQ_BASE_LO..qm::PQ_BASE_LO + 16).contains(&o) => {
                let st = &mut self.streams[s(qm::PQ_BASE_LO)];
                st.pq_base = lo(st.pq_base);
            }
            o if (qm::PQ_BASE_HI..qm::PQ_BASE_HI + 16).contains(&o) => {
                let st = &mut self.streams[s(qm::PQ_BASE_HI)];
                st.pq_base = hi(st.pq_base);
            }
            o if (qm::PQ_SIZE..qm::PQ_SIZE + 16).contains(&o) => {
                self.streams[s(qm::PQ_SIZE)].pq_size = v.min(16)
            }
            o if (qm::PQ_PI..qm::PQ_PI + 16).contains(&o) => self.streams[s(qm::PQ_PI)].pi = v,
            o if (qm::PQ_CI..qm::PQ_CI + 16).contains(&o) => self.streams[s(qm::PQ_CI)].ci = v,
            qm::GLBL_ERR_ADDR_LO => self.err_addr = lo(self.err_addr),
            qm::GLBL_ERR_ADDR_HI => self.err_addr = hi(self.err_addr),
            qm::GLBL_ERR_WDATA => self.err_wdata = v,
            // Arbitration, credits, barriers, LDMA offsets and the like: configuration without
            // behaviour in a model where each engine runs one stream at a time.
            _ => {
                self.core.insert(0x1_0000 | off, v);
            }
        }
        true
    }
}

/// Finds which of the register rows `rows` holds `off`, for the four streams. Each row has a
/// fifth instance for the lower CP, which the external queues do not use: its registers are
/// plain storage.
fn find(rows: &[u32; 4], off: u32) -> Option<(usize, usize)> {
    rows.iter().enumerate().find_map(|(b, &base)| {
        (base..base + 16)
            .contains(&off)
            .then(|| (b, ((off - base) / 4) as usize))
    })
}

/// One monitor.
#[derive(Clone, Copy, Default, Debug)]
pub struct Monitor {
    /// Payload address.
    pub addr: u64,
    /// Payload data.
    pub data: u32,
    /// Arm word.
    pub arm: u32,
    /// Armed and waiting.
    pub armed: bool,
}

/// One sync manager block.
pub struct SyncBlock {
    /// Object values (15 bits).
    pub sob: Vec<u32>,
    /// Monitors.
    pub mon: Vec<Monitor>,
}

impl Default for SyncBlock {
    fn default() -> Self {
        SyncBlock {
            sob: vec![0; SOBS as usize],
            mon: vec![Monitor::default(); MONITORS as usize],
        }
    }
}

impl SyncBlock {
    /// Whether monitor `m`'s condition holds: every object of its group whose mask bit is
    /// clear has reached the target (mode 0, "greater or equal").
    pub fn satisfied(&self, m: &Monitor) -> bool {
        let group = (m.arm & 0xff) as usize;
        let mask = (m.arm >> 8) & 0xff;
        let target = m.arm >> 17;
        let mode = (m.arm >> 16) & 1;
        (0..8).filter(|i| mask & (1 << i) == 0).all(|i| {
            let v = self.sob.get(group * 8 + i).copied().unwrap_or(0);
            if mode == 0 {
                v >= target
            } else {
                v == target
            }
        })
    }

    /// Monitors that fire now: disarmed, their (address, data) returned.
    pub fn fire(&mut self) -> Vec<(u64, u32)> {
        let mut out = vec![];
        for i in 0..self.mon.len() {
            let m = self.mon[i];
            if m.armed && self.satisfied(&m) {
                self.mon[i].armed = false;
                out.push((m.addr, m.data));
            }
        }
        out
    }

    /// Reads a register at `off` from `SOB_OBJ_0`.
    pub fn read(&self, off: u32) -> u32 {
        let idx = |base: u32| ((off - base) / 4) as usize;
        match off {
            o if o < mon::PAY_ADDRL => self.sob[idx(0)],
            o if o < mon::PAY_ADDRH => self.mon[idx(mon::PAY_ADDRL)].addr as u32,
            o if o < mon::PAY_DATA => (self.mon[idx(mon::PAY_ADDRH)].addr >> 32) as u32,
            o if o < mon::ARM => self.mon[idx(mon::PAY_DATA)].data,
            o if o < mon::STATUS => self.mon[idx(mon::ARM)].arm,
            o if o < mon::END => {
                let m = &self.mon[idx(mon::STATUS)];
                u32::from(m.armed) | if m.armed { 1 << 1 } else { 0 }
            }
            _ => 0,
        }
    }

    /// Writes a register at `off` from `SOB_OBJ_0`; returns the payloads of monitors that fire.
    pub fn write(&mut self, off: u32, v: u32) -> Vec<(u64, u32)> {
        let idx = |base: u32| ((off - base) / 4) as usize;
        match off {
            o if o < mon::PAY_ADDRL => {
                let s = &mut self.sob[idx(0)];
                *s = if v & (1 << 31) != 0 {
                    (*s + (v & 0x7fff)) & 0x7fff
                } else {
                    v & 0x7fff
                };
            }
            o if o < mon::PAY_ADDRH => {
                let m = &mut self.mon[idx(mon::PAY_ADDRL)];
                m.addr = (m.addr & !0xffff_ffff) | u64::from(v);
            }
            o if o < mon::PAY_DATA => {
                let m = &mut self.mon[idx(mon::PAY_ADDRH)];
                m.addr = (m.addr & 0xffff_ffff) | (u64::from(v) << 32);
            }
            o if o < mon::ARM => self.mon[idx(mon::PAY_DATA)].data = v,
            o if o < mon::STATUS => {
                let m = &mut self.mon[idx(mon::ARM)];
                m.arm = v;
                m.armed = true;
            }
            // The driver clears status words at context open: disarm.
            o if o < mon::END && v == 0 => self.mon[idx(mon::STATUS)].armed = false,
            _ => {}
        }
        self.fire()
    }
}

/// Engines the model does not run: DMA2-7 (internal DMA), the eight TPCs and the four MMEs.
/// No queue of theirs can be given work (their QMANs are not modelled), so they are idle
/// engines, and their status registers read as such: what a driver's idle check looks at
/// (upstream's `gaudi_is_device_idle()`) says so. Their other registers stay unimplemented.
pub mod idle_engines {
    /// DMA2-7: the QMAN's `GLBL_STS0` and `CGM_STS` and the core's `STS0`, 0x2_0000 apart.
    pub const DMA_QM_GLBL_STS0: u32 = 0x50_8038;
    /// See [`DMA_QM_GLBL_STS0`].
    pub const DMA_QM_CGM_STS: u32 = 0x50_8C74;
    /// See [`DMA_QM_GLBL_STS0`].
    pub const DMA_CORE_STS0: u32 = 0x50_0190;
    /// Distance between DMA engines.
    pub const DMA_STRIDE: u32 = 0x2_0000;
    /// TPC0: QMAN `GLBL_STS0`, `CGM_STS` and the TPC's `CFG_STATUS`; TPCs are 0x4_0000 apart.
    pub const TPC_QM_GLBL_STS0: u32 = 0xE0_8038;
    /// See [`TPC_QM_GLBL_STS0`].
    pub const TPC_QM_CGM_STS: u32 = 0xE0_8C74;
    /// See [`TPC_QM_GLBL_STS0`].
    pub const TPC_CFG_STATUS: u32 = 0xE0_691C;
    /// Distance between TPCs.
    pub const TPC_STRIDE: u32 = 0x4_0000;
    /// MME0: the control's `ARCH_STATUS` and the QMAN's `GLBL_STS0` and `CGM_STS`; MMEs are
    /// 0x8_0000 apart (MME1 and MME3 have no QMAN of their own).
    pub const MME_ARCH_STATUS: u32 = 0x6_0000;
    /// See [`MME_ARCH_STATUS`].
    pub const MME_QM_GLBL_STS0: u32 = 0x6_8038;
    /// See [`MME_ARCH_STATUS`].
    pub const MME_QM_CGM_STS: u32 = 0x6_8C74;
    /// Distance between MMEs.
    pub const MME_STRIDE: u32 = 0x8_0000;

    /// An idle QMAN after reset: every PQF, CQF and CP instance idle, nothing stopped.
    pub const QM_IDLE: u32 = 0x3FFF;
    /// An idle QMAN's clock gating manager: its agent idle.
    pub const CGM_IDLE: u32 = 1 << 8;
    /// An idle TPC: the idle bits of its status (1-3 and 5-7).
    pub const TPC_IDLE: u32 = 0xEE;
    /// An idle MME: both store buffers empty, the write-back AXI idle.
    pub const MME_IDLE: u32 = 0x1180;

    /// The value of a status register of an engine the model does not run, if `off` is one.
    pub fn status(off: u32) -> Option<u32> {
        let at = |base: u32, stride: u32, n: u32| {
            off >= base && (off - base) % stride == 0 && (off - base) / stride < n
        };
        // DMA2-7: the first two DMA engines are modelled.
        let dma = |base: u32| at(base + 2 * DMA_STRIDE, DMA_STRIDE, 6);
        if dma(DMA_QM_GLBL_STS0) || at(TPC_QM_GLBL_STS0, TPC_STRIDE, 8) {
            return Some(QM_IDLE);
        }
        if dma(DMA_QM_CGM_STS) || at(TPC_QM_CGM_STS, TPC_STRIDE, 8) {
            return Some(CGM_IDLE);
        }
        if dma(DMA_CORE_STS0) {
            return Some(0);
        }
        if at(TPC_CFG_STATUS, TPC_STRIDE, 8) {
            return Some(TPC_IDLE);
        }
        if at(MME_ARCH_STATUS, MME_STRIDE, 4) {
            return Some(MME_IDLE);
        }
        // MME0 and MME2 have QMANs.
        if at(MME_QM_GLBL_STS0, 2 * MME_STRIDE, 2) {
            return Some(QM_IDLE);
        }
        if at(MME_QM_CGM_STS, 2 * MME_STRIDE, 2) {
            return Some(CGM_IDLE);
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn engines_the_model_does_not_run_read_as_idle() {
        use idle_engines::*;
        assert_eq!(status(0x54_8038), Some(QM_IDLE), "DMA2 QM");
        assert_eq!(status(0x5E_8C74), Some(CGM_IDLE), "DMA7 CGM");
        assert_eq!(status(0x5E_0190), Some(0), "DMA7 core");
        assert_eq!(status(0xE0_691C + 7 * TPC_STRIDE), Some(TPC_IDLE));
        assert_eq!(status(0x6_0000 + 3 * MME_STRIDE), Some(MME_IDLE));
        assert_eq!(status(0x16_8038), Some(QM_IDLE), "MME2 QM");
        // Not these: the modelled DMA0/1, MME1's (absent) QMAN, past the last TPC, neighbours.
        for off in [
            0x50_8038,
            0x52_0190,
            0xE_8038,
            0xE0_691C + 8 * TPC_STRIDE,
            0x54_803C,
        ] {
            assert_eq!(status(off), None, "{off:#x}");
        }
    }

    #[test]
    fn sob_add_and_set() {
        let mut b = SyncBlock::default();
        b.write(4 * 10, 0x8000_0001);
        b.write(4 * 10, 0x8000_0001);
        assert_eq!(b.read(4 * 10), 2);
        b.write(4 * 10, 5);
        assert_eq!(b.read(4 * 10), 5);
        b.write(4 * 10, 0x8000_7fff);
        assert_eq!(b.read(4 * 10), 4, "15-bit wrap");
    }

    #[test]
    fn monitor_fires_once_when_watched_objects_reach_the_target() {
        let mut b = SyncBlock::default();
        let m = 3u32;
        b.write(mon::PAY_ADDRL + 4 * m, 0xfcc0_8330);
        b.write(mon::PAY_ADDRH + 4 * m, 0x7f);
        b.write(mon::PAY_DATA + 4 * m, 1);
        // Watch object 18 only (group 2, bit 2 clear), target 2.
        let arm = 2 | ((!(1u32 << 2) & 0xff) << 8) | (2 << 17);
        assert!(b.write(mon::ARM + 4 * m, arm).is_empty());
        assert_eq!(b.read(mon::STATUS + 4 * m) & 1, 1);
        assert!(b.write(4 * 18, 0x8000_0001).is_empty());
        assert!(
            b.write(4 * 17, 0x8000_0005).is_empty(),
            "object 17 is not watched"
        );
        assert_eq!(b.write(4 * 18, 0x8000_0001), vec![(0x7f_fcc0_8330, 1)]);
        assert_eq!(b.read(mon::STATUS + 4 * m) & 1, 0);
        assert!(b.write(4 * 18, 0x8000_0001).is_empty(), "one-shot");
        // Arming when already satisfied fires at once.
        assert_eq!(b.write(mon::ARM + 4 * m, arm), vec![(0x7f_fcc0_8330, 1)]);
    }

    #[test]
    fn fences_add_and_streams_report_idle() {
        let mut q = Qman::default();
        q.write(qm::CP_FENCE_RDATA[2] + 4, 1);
        q.write(qm::CP_FENCE_RDATA[2] + 4, 0x11);
        assert_eq!(q.read(qm::CP_FENCE_CNT[2] + 4), 2, "only bits 3:0 add");
        assert_eq!(q.read(qm::GLBL_STS0) & 0x3fff, 0x3fff);
        assert_eq!(q.read(qm::CGM_STS), 1 << 8);
        q.write(qm::PQ_PI + 8, 3);
        assert_ne!(q.read(qm::GLBL_STS0) & 0x3fff, 0x3fff, "stream 2 has work");
        // A hung stream with work waiting is a stuck fetcher, not an idle one.
        q.streams[2].hang = true;
        assert_ne!(q.read(qm::GLBL_STS0) & 0x3fff, 0x3fff, "stream 2 is stuck");
        q.streams[2].hang = false;
        q.write(qm::GLBL_CFG0, 0x1eff);
        assert!(q.runnable(2) && !q.runnable(1));
        q.write(qm::GLBL_CFG1, 0x1e00);
        assert!(!q.runnable(2), "CP stopped");
    }

    #[test]
    fn an_engine_block_holds_its_core_and_its_qman() {
        for q in 0..2 {
            let b = engine_block(q);
            assert_eq!(b % ENGINE_BLOCK_SIZE, 0);
            assert_eq!(DMA_CORE_BASE[q], b);
            assert!(DMA_QM_BASE[q] > b && DMA_QM_BASE[q] + BLOCK_SIZE <= b + ENGINE_BLOCK_SIZE);
        }
        assert_eq!(engine_block(1) - engine_block(0), 0x2_0000);
    }

    #[test]
    fn initiators_follow_protection_and_properties() {
        let mut q = Qman::default();
        q.write(qm::GLBL_PROT, 0x5eff);
        q.write(qm::GLBL_NON_SECURE_PROPS_0 + 4, 1);
        assert_eq!(
            q.cp_initiator(1),
            Initiator {
                asid: 0,
                bypass: true
            },
            "trusted CP bypasses"
        );
        q.write(qm::GLBL_PROT, 0);
        assert_eq!(
            q.cp_initiator(1),
            Initiator {
                asid: 1,
                bypass: false
            }
        );
        q.core.insert(core::SECURE_PROPS, 1 << 10);
        q.core.insert(core::NON_SECURE_PROPS, 1);
        q.core.insert(core::PROT, 2);
        assert_eq!(
            q.core_initiator(),
            Initiator {
                asid: 1,
                bypass: false
            },
            "user jobs through the MMU"
        );
        q.core.insert(core::PROT, 3);
        assert_eq!(
            q.core_initiator(),
            Initiator {
                asid: 0,
                bypass: true
            },
            "kernel jobs bypass"
        );
    }
}
