// SPDX-License-Identifier: GPL-2.0
//! The engines: the external queues' streams fetching buffer descriptors and command buffers
//! and executing their packets, the DMA cores moving data, and the routing of device addresses
//! to HBM, SRAM, registers and host memory.
//!
//! One engine thread runs every stream, a packet at a time, round robin; a stream blocked on a
//! fence or on a slow DMA (a fault tests switch on) does not hold up the others. Packets of a
//! stream run in order, each finishing before the next starts, so barriers are always met.

use crate::device::{read_lock, write_lock, Device, Fx, State};
use crate::host::device_to_bus;
use crate::mem::Memory;
use crate::mmu::{Fault, Initiator};
use crate::packets::{decode, DecodeError, Packet};
use crate::qman::{core, sts1, Cb, BLOCK_SIZE, DMA_CORE_BASE, DMA_QM_BASE};
use crate::regs::{CFG_BASE, REGS_SIZE, SRAM_BASE};
use std::sync::Arc;
use std::sync::RwLock;
use std::time::{Duration, Instant};

/// Largest CB a stream fetches (the driver's CBs are at most 2 MiB).
pub const MAX_CB: usize = 2 << 20;
/// Bytes moved per step of a bulk transfer.
const CHUNK: usize = 1 << 20;

/// Why an engine access failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AccessError {
    /// The MMU refused the address.
    Mmu(Fault),
    /// The address decodes to nothing (or host memory QEMU has not mapped).
    Unmapped(u64),
}

/// Where a physical device address lands.
enum Target {
    Hbm(u64),
    Sram(u64),
    Reg(u32),
    Host(u64),
}

/// A linear transfer: a copy, or with `memset` a fill with the 64-bit pattern `src`.
#[derive(Clone, Copy, Debug)]
pub struct Transfer {
    /// Source address, or the pattern.
    pub src: u64,
    /// Destination address.
    pub dst: u64,
    /// Bytes.
    pub tsize: u32,
    /// Fill instead of copy.
    pub memset: bool,
}

/// What a stream's step achieved.
enum Step {
    /// It executed something; run it again.
    Progress,
    /// It cannot progress before this instant (`None`: until something changes).
    Blocked(Option<Instant>),
}

impl Device {
    /// The memory a target lands in, and the offset in it; `None` for registers and host.
    fn memory(&self, t: &Target) -> Option<(&RwLock<Memory>, u64)> {
        match t {
            Target::Hbm(a) => Some((&self.hbm, *a)),
            Target::Sram(a) => Some((&self.sram, *a)),
            Target::Reg(_) | Target::Host(_) => None,
        }
    }

    fn route(&self, addr: u64, len: usize) -> Option<Target> {
        let end = addr.checked_add(len as u64)?;
        let hbm = read_lock(&self.hbm).size();
        if end <= hbm {
            Some(Target::Hbm(addr))
        } else if addr >= SRAM_BASE && end <= SRAM_BASE + crate::device::SRAM_SIZE {
            Some(Target::Sram(addr - SRAM_BASE))
        } else if addr >= CFG_BASE && end <= CFG_BASE + REGS_SIZE {
            Some(Target::Reg((addr - CFG_BASE) as u32))
        } else {
            device_to_bus(addr).map(Target::Host)
        }
    }

    /// Translates `va` for `who` and reports how many bytes from it stay in one page.
    fn translate(
        &self,
        st: &mut State,
        who: Initiator,
        va: u64,
        want: usize,
    ) -> Result<(u64, usize), AccessError> {
        let hbm = read_lock(&self.hbm);
        let pa = st.mmu.translate(who, va, &hbm).map_err(AccessError::Mmu)?;
        let translated = pa != va;
        let room = if translated {
            4096 - (va & 0xfff) as usize
        } else {
            CHUNK
        };
        Ok((pa, want.min(room)))
    }

    /// Reads device memory as an engine.
    pub(crate) fn engine_read(
        &self,
        st: &mut State,
        who: Initiator,
        addr: u64,
        out: &mut [u8],
    ) -> Result<(), AccessError> {
        let mut done = 0;
        while done < out.len() {
            let va = addr + done as u64;
            let (pa, n) = self.translate(st, who, va, out.len() - done)?;
            let buf = &mut out[done..done + n];
            let target = self.route(pa, n);
            let ok = match (&target, target.as_ref().and_then(|t| self.memory(t))) {
                (_, Some((m, a))) => read_lock(m).read(a, buf).is_ok(),
                (Some(Target::Host(b)), _) => st.fw.pci_access() && self.host.read(*b, buf).is_ok(),
                _ => false,
            };
            if !ok {
                return Err(AccessError::Unmapped(pa));
            }
            done += n;
        }
        Ok(())
    }

    /// Writes device memory as an engine. A 32-bit write may target a register.
    pub(crate) fn engine_write(
        &self,
        st: &mut State,
        who: Initiator,
        addr: u64,
        data: &[u8],
        fx: &mut Fx,
    ) -> Result<(), AccessError> {
        let mut done = 0;
        while done < data.len() {
            let va = addr + done as u64;
            let (pa, n) = self.translate(st, who, va, data.len() - done)?;
            let buf = &data[done..done + n];
            let target = self.route(pa, n);
            let ok = match (&target, target.as_ref().and_then(|t| self.memory(t))) {
                (_, Some((m, a))) => write_lock(m).write(a, buf).is_ok(),
                (Some(Target::Host(b)), _) => {
                    st.fw.pci_access() && self.host.write(*b, buf).is_ok()
                }
                (Some(Target::Reg(off)), _) if n == 4 && off % 4 == 0 => {
                    let v = u32::from_le_bytes(buf.try_into().unwrap_or_default());
                    self.write_reg_in(st, *off, v, fx);
                    true
                }
                _ => false,
            };
            if !ok {
                return Err(AccessError::Unmapped(pa));
            }
            done += n;
        }
        Ok(())
    }

    /// Copies `n` bytes between physical addresses in one pass when both ends are memory (HBM,
    /// SRAM) or one is host memory: false if neither applies and the caller must go through a
    /// buffer.
    fn copy_direct(&self, st: &State, src: u64, dst: u64, n: usize) -> Result<bool, AccessError> {
        let Some(s) = self.route(src, n) else {
            return Err(AccessError::Unmapped(src));
        };
        let Some(d) = self.route(dst, n) else {
            return Err(AccessError::Unmapped(dst));
        };
        let host_ok = st.fw.pci_access();
        let ok = match (&s, &d, self.memory(&s), self.memory(&d)) {
            (Target::Host(b), _, _, Some((m, a))) => {
                let mut m = write_lock(m);
                host_ok
                    && m.slice_mut(a, n)
                        .is_ok_and(|out| self.host.read(*b, out).is_ok())
            }
            (_, Target::Host(b), Some((m, a)), _) => {
                let m = read_lock(m);
                host_ok
                    && m.slice(a, n)
                        .is_ok_and(|data| self.host.write(*b, data).is_ok())
            }
            (_, _, Some((ms, a)), Some((md, b))) if std::ptr::eq(ms, md) => {
                write_lock(ms).copy_within(a, b, n).is_ok()
            }
            (_, _, Some((ms, a)), Some((md, b))) => {
                let from = read_lock(ms);
                let mut to = write_lock(md);
                match (from.slice(a, n), to.slice_mut(b, n)) {
                    (Ok(f), Ok(t)) => {
                        t.copy_from_slice(f);
                        true
                    }
                    _ => false,
                }
            }
            _ => return Ok(false),
        };
        match (ok, s) {
            (true, _) => Ok(true),
            (false, Target::Host(_)) => Err(AccessError::Unmapped(src)),
            (false, _) => Err(AccessError::Unmapped(dst)),
        }
    }

    /// A linear transfer by DMA core `q`: a copy, or with `memset` a fill with the 64-bit
    /// pattern `src`.
    pub fn dma(
        &self,
        st: &mut State,
        q: usize,
        t: Transfer,
        fx: &mut Fx,
    ) -> Result<(), AccessError> {
        let Transfer {
            src,
            dst,
            tsize,
            memset,
        } = t;
        let what = if memset { "fill" } else { "copy" };
        crate::trace!("DMA{q}: {what} {src:#x} -> {dst:#x}, {tsize} bytes");
        let who = st.qm[q].core_initiator();
        let total = tsize as usize;
        let mut buf = Vec::new();
        let mut done = 0usize;
        while done < total {
            let (dpa, dn) = self.translate(st, who, dst + done as u64, total - done)?;
            if memset {
                buf.resize(dn, 0);
                let pat = src.to_le_bytes();
                for (i, b) in buf.iter_mut().enumerate() {
                    *b = pat[(done + i) % 8];
                }
                self.engine_write(st, who, dst + done as u64, &buf, fx)?;
                done += dn;
                continue;
            }
            let (spa, sn) = self.translate(st, who, src + done as u64, dn)?;
            let n = sn.min(dn);
            if !self.copy_direct(st, spa, dpa, n)? {
                // Registers or host to host: through a buffer, a register at a time.
                buf.resize(n, 0);
                self.engine_read(st, who, src + done as u64, &mut buf)?;
                self.engine_write(st, who, dst + done as u64, &buf, fx)?;
            }
            done += n;
        }
        st.stats.dma_bytes += u64::from(tsize);
        Ok(())
    }

    /// Reports an engine error the way the hardware does: the cause is latched, the stream
    /// stops if stop-on-error is set, and the block's error message (a write to the device
    /// CPU's interrupt controller) makes the firmware post an event.
    fn stream_error(
        &self,
        st: &mut State,
        q: usize,
        s: usize,
        cause: u32,
        what: &str,
        fx: &mut Fx,
    ) {
        crate::warn!("DMA{q} stream {s}: {what}");
        st.stats.engine_errors += 1;
        let qm = &mut st.qm[q];
        qm.streams[s].sts1 |= cause;
        if qm.err_cfg & (1 << (25 + s)) != 0 {
            qm.streams[s].halted = true;
            qm.streams[s].cb = None;
        }
        if qm.err_cfg & (1 << (9 + s)) != 0 {
            let (addr, data) = (qm.err_addr, qm.err_wdata);
            self.error_message(st, addr, data, fx);
        }
    }

    fn core_error(&self, st: &mut State, q: usize, e: AccessError, fx: &mut Fx) {
        if let AccessError::Mmu(_) = e {
            // The MMU's own interrupt: the firmware posts a page-fault event.
            self.write_reg_in(
                st,
                crate::regs::GIC_SETSPI_NSR,
                crate::fw::spi::MMU_PAGE_FAULT,
                fx,
            );
        }
        let c = &mut st.qm[q].core;
        *c.entry(core::ERR_CAUSE).or_default() |= 0x3;
        let addr = (u64::from(c.get(&core::ERRMSG_ADDR_HI).copied().unwrap_or(0)) << 32)
            | u64::from(c.get(&core::ERRMSG_ADDR_LO).copied().unwrap_or(0));
        let data = c.get(&core::ERRMSG_WDATA).copied().unwrap_or(0);
        self.error_message(st, addr, data, fx);
    }

    fn error_message(&self, st: &mut State, addr: u64, data: u32, fx: &mut Fx) {
        if (CFG_BASE..CFG_BASE + REGS_SIZE).contains(&addr) {
            self.write_reg_in(st, (addr - CFG_BASE) as u32, data, fx);
        } else if addr != 0 {
            crate::warn!("error message to {addr:#x}, outside register space, dropped");
        }
    }

    /// A direct transfer through DMA core `q`'s registers (`COMMIT` written).
    pub(crate) fn core_commit(&self, st: &mut State, q: usize, commit: u32, fx: &mut Fx) {
        let c = &st.qm[q].core;
        let get = |k| u64::from(c.get(&k).copied().unwrap_or(0));
        let src = (get(core::SRC_BASE_HI) << 32) | get(core::SRC_BASE_LO);
        let dst = ((get(core::DST_BASE_HI) & 0xff_ffff) << 32) | get(core::DST_BASE_LO);
        let tsize = get(core::DST_TSIZE_0) as u32;
        if commit & (1 << 3) == 0 {
            crate::warn!(
                "DMA{q} core: non-linear transfers are not modelled; commit {commit:#x} ignored"
            );
            return;
        }
        let t = Transfer {
            src,
            dst,
            tsize,
            memset: commit & (1 << 4) != 0,
        };
        match self.dma(st, q, t, fx) {
            Ok(()) => self.write_completion(st, q, commit & 1 != 0, fx),
            Err(e) => self.core_error(st, q, e, fx),
        }
    }

    fn write_completion(&self, st: &mut State, q: usize, enabled: bool, fx: &mut Fx) {
        if !enabled {
            return;
        }
        let c = &st.qm[q].core;
        let addr = (u64::from(c.get(&core::WR_COMP_ADDR_HI).copied().unwrap_or(0)) << 32)
            | u64::from(c.get(&core::WR_COMP_ADDR_LO).copied().unwrap_or(0));
        let data = c.get(&core::WR_COMP_WDATA).copied().unwrap_or(0);
        let who = Initiator {
            asid: 0,
            bypass: true,
        };
        if let Err(e) = self.engine_write(st, who, addr, &data.to_le_bytes(), fx) {
            crate::warn!("DMA{q}: write completion to {addr:#x} failed: {e:?}");
        }
    }

    fn fetch(&self, st: &mut State, q: usize, s: usize, fx: &mut Fx) -> Result<(), ()> {
        let who = st.qm[q].cp_initiator(s);
        let stream = &st.qm[q].streams[s];
        let entries = 1u32 << stream.pq_size;
        let slot = u64::from(stream.ci & (entries - 1));
        let bd_addr = stream.pq_base + slot * 16;
        let mut bd = [0u8; 16];
        if let Err(e) = self.engine_read(st, who, bd_addr, &mut bd) {
            self.stream_error(
                st,
                q,
                s,
                sts1::PQF_RD_ERR,
                &format!("cannot fetch the BD at {bd_addr:#x}: {e:?}"),
                fx,
            );
            return Err(());
        }
        let ptr = u64::from_le_bytes(bd[0..8].try_into().unwrap_or_default());
        let len = u32::from_le_bytes(bd[8..12].try_into().unwrap_or_default()) as usize;
        let stream = &mut st.qm[q].streams[s];
        stream.ci = (stream.ci + 1) % (2 * entries);
        if len > MAX_CB {
            self.stream_error(
                st,
                q,
                s,
                sts1::CQF_RD_ERR,
                &format!("CB of {len} bytes at {ptr:#x} is too large"),
                fx,
            );
            return Err(());
        }
        let mut data = vec![0u8; len];
        if let Err(e) = self.engine_read(st, who, ptr, &mut data) {
            self.stream_error(
                st,
                q,
                s,
                sts1::CQF_RD_ERR,
                &format!("cannot fetch the CB at {ptr:#x}: {e:?}"),
                fx,
            );
            return Err(());
        }
        crate::trace!("DMA{q} stream {s}: CB {ptr:#x}+{len}");
        st.stats.cbs += 1;
        st.qm[q].streams[s].cb = Some(Cb {
            addr: ptr,
            data,
            pos: 0,
        });
        Ok(())
    }

    /// A stream's 32-bit message write; on failure the stream reports the error. Returns
    /// whether the write landed.
    fn message(
        &self,
        st: &mut State,
        (q, s): (usize, usize),
        addr: u64,
        value: u32,
        fx: &mut Fx,
    ) -> bool {
        let who = st.qm[q].cp_initiator(s);
        match self.engine_write(st, who, addr, &value.to_le_bytes(), fx) {
            Ok(()) => true,
            Err(e) => {
                let msg = format!("message to {addr:#x} failed: {e:?}");
                self.stream_error(st, q, s, sts1::CP_MSG_WR_ERR, &msg, fx);
                false
            }
        }
    }

    fn step(&self, st: &mut State, q: usize, s: usize, now: Instant, fx: &mut Fx) -> Step {
        if st.qm[q].streams[s].cb.is_none() && self.fetch(st, q, s, fx).is_err() {
            return Step::Progress;
        }
        let Some(cb) = st.qm[q].streams[s].cb.as_ref() else {
            return Step::Progress;
        };
        if cb.pos >= cb.data.len() {
            st.qm[q].streams[s].cb = None;
            return Step::Progress;
        }
        let (pkt, size) = match decode(&cb.data, cb.pos) {
            Ok(p) => p,
            Err(DecodeError::Undefined { at, opcode }) => {
                let msg = format!("undefined opcode {opcode:#x} at CB offset {at}");
                self.stream_error(st, q, s, sts1::CP_UNDEF_CMD_ERR, &msg, fx);
                return Step::Progress;
            }
            Err(DecodeError::Truncated { at }) => {
                let msg = format!("packet at CB offset {at} runs past the CB");
                self.stream_error(st, q, s, sts1::CP_UNDEF_CMD_ERR, &msg, fx);
                return Step::Progress;
            }
        };
        crate::trace!("DMA{q} stream {s}: {pkt:x?}");
        st.stats.packets += 1;
        match pkt {
            Packet::Nop | Packet::ArbPoint => {}
            Packet::MsgLong { value, addr, .. } => {
                if !self.message(st, (q, s), addr, value, fx) {
                    return Step::Progress;
                }
            }
            Packet::MsgShort {
                value,
                base,
                offset,
            } => {
                let addr = st.qm[q].streams[s].msg_base[base as usize] + u64::from(offset);
                if !self.message(st, (q, s), addr, value, fx) {
                    return Step::Progress;
                }
            }
            Packet::Fence { id, target, dec } => {
                let f = &mut st.qm[q].streams[s].fence[id as usize];
                if *f < u32::from(target) {
                    return Step::Blocked(None);
                }
                *f -= u32::from(dec).min(*f);
            }
            Packet::LinDma {
                tsize,
                src,
                dst,
                memset,
                wr_comp,
            } => {
                if st.qm[q].core.get(&core::CFG_1).copied().unwrap_or(0) & 1 != 0 {
                    // The core is halted (the driver halts engines before a reset).
                    return Step::Blocked(None);
                }
                let stream = &mut st.qm[q].streams[s];
                if !stream.dma_delay.is_zero() {
                    match stream.busy_until {
                        None => {
                            let until = now + stream.dma_delay;
                            stream.busy_until = Some(until);
                            return Step::Blocked(Some(until));
                        }
                        Some(t) if now < t => return Step::Blocked(Some(t)),
                        Some(_) => stream.busy_until = None,
                    }
                }
                match self.dma(
                    st,
                    q,
                    Transfer {
                        src,
                        dst,
                        tsize,
                        memset,
                    },
                    fx,
                ) {
                    Ok(()) => self.write_completion(st, q, wr_comp, fx),
                    Err(e) => {
                        self.core_error(st, q, e, fx);
                        let msg =
                            format!("LIN_DMA {src:#x} -> {dst:#x} ({tsize} bytes) failed: {e:?}");
                        self.stream_error(st, q, s, 0, &msg, fx);
                        return Step::Progress;
                    }
                }
            }
            Packet::Stop => {
                self.stream_error(st, q, s, sts1::CP_STOP_OP, "STOP packet", fx);
                return Step::Progress;
            }
            Packet::NotModelled { opcode } => {
                st.stats.unmodelled_packets += 1;
                let msg =
                    format!("packet with opcode {opcode:#x} is not modelled; the stream stops");
                self.stream_error(st, q, s, sts1::CP_UNDEF_CMD_ERR, &msg, fx);
                return Step::Progress;
            }
        }
        if let Some(cb) = st.qm[q].streams[s].cb.as_mut() {
            cb.pos += size;
            if cb.pos >= cb.data.len() {
                st.qm[q].streams[s].cb = None;
            }
        }
        Step::Progress
    }

    /// Runs the streams until none can progress; returns the next instant one can, if any.
    /// Effects (MSIs, resets) are applied with the state unlocked.
    pub fn run_engines(&self) -> Option<Instant> {
        let mut budget = 256;
        loop {
            let mut fx = Fx::default();
            let mut progressed = false;
            let mut next: Option<Instant> = None;
            {
                let mut st = self.state();
                let now = Instant::now();
                for q in 0..2 {
                    for s in 0..4 {
                        if !st.qm[q].runnable(s) {
                            continue;
                        }
                        match self.step(&mut st, q, s, now, &mut fx) {
                            Step::Progress => progressed = true,
                            Step::Blocked(Some(t)) => next = Some(next.map_or(t, |n| n.min(t))),
                            Step::Blocked(None) => {}
                        }
                    }
                }
            }
            self.apply(fx);
            budget -= 1;
            if !progressed || budget == 0 {
                return if progressed {
                    Some(Instant::now())
                } else {
                    next
                };
            }
        }
    }

    /// Starts the engine thread; it runs until [`Device::stop_engines`].
    pub fn start_engines(self: &Arc<Self>) -> std::thread::JoinHandle<()> {
        let dev = Arc::clone(self);
        std::thread::Builder::new()
            .name("hl-engines".into())
            .spawn(move || loop {
                dev.state().kick = false;
                let next = dev.run_engines();
                let st = dev.state();
                if st.shutdown {
                    return;
                }
                if st.kick {
                    // Work came in while the engines ran: look again before sleeping.
                    continue;
                }
                let wait = next.map_or(Duration::from_millis(100), |t| {
                    t.saturating_duration_since(Instant::now())
                });
                if !wait.is_zero() {
                    let _ = dev.wake.wait_timeout(st, wait);
                }
            })
            .expect("spawn the engine thread")
    }

    /// Asks the engine thread to end.
    pub fn stop_engines(&self) {
        self.state().shutdown = true;
        self.wake.notify_all();
    }

    /// Whether `off` is in DMA QMAN `q`'s block, and where.
    pub(crate) fn qman_block(off: u32) -> Option<(usize, bool, u32)> {
        (0..2).find_map(|q| {
            if (DMA_QM_BASE[q]..DMA_QM_BASE[q] + BLOCK_SIZE).contains(&off) {
                Some((q, true, off - DMA_QM_BASE[q]))
            } else if (DMA_CORE_BASE[q]..DMA_CORE_BASE[q] + BLOCK_SIZE).contains(&off) {
                Some((q, false, off - DMA_CORE_BASE[q]))
            } else {
                None
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::host::{test_memfd, HOST_PHYS_BASE};
    use crate::packets::build;
    use crate::qman::qm;
    use std::sync::Mutex;

    const BUS: u64 = 0x100_0000;
    const PQ: u64 = BUS;
    const CQ: u64 = BUS + 0x1_0000;
    const CB: u64 = BUS + 0x2_0000;
    const DATA: u64 = BUS + 0x10_0000;
    const OUT: u64 = BUS + 0x80_0000;
    const H: u64 = HOST_PHYS_BASE;

    struct Count(Arc<Mutex<u32>>);
    impl crate::device::MsiSink for Count {
        fn send(&mut self) -> bool {
            *self.0.lock().unwrap() += 1;
            true
        }
    }

    struct Rig {
        dev: Device,
        msis: Arc<Mutex<u32>>,
        pi: [u32; 8],
        cq_pi: [u64; 8],
    }

    fn qreg(q: usize, rel: u32) -> u32 {
        DMA_QM_BASE[q / 4] + rel + 4 * (q as u32 % 4)
    }

    impl Rig {
        /// A device with its external queues initialised as the upstream driver does.
        fn new() -> Rig {
            let dev = Device::new(1 << 30, 256 << 20).unwrap();
            dev.host
                .map(BUS, 16 << 20, 0, &test_memfd(16 << 20))
                .unwrap();
            let msis = Arc::new(Mutex::new(0));
            dev.set_msi(Some(Box::new(Count(msis.clone()))));
            for q in 0..8usize {
                let pq = H + PQ + (q as u64) * 0x1000;
                dev.write_reg(qreg(q, qm::PQ_BASE_LO), pq as u32);
                dev.write_reg(qreg(q, qm::PQ_BASE_HI), (pq >> 32) as u32);
                dev.write_reg(qreg(q, qm::PQ_SIZE), 8); // 256 entries of 16 bytes
                dev.write_reg(qreg(q, qm::PQ_PI), 0);
                dev.write_reg(qreg(q, qm::PQ_CI), 0);
            }
            for e in 0..2 {
                let b = DMA_QM_BASE[e];
                dev.write_reg(b + qm::GLBL_ERR_CFG, 0x9eff_1eff);
                dev.write_reg(b + qm::GLBL_ERR_ADDR_LO, (CFG_BASE + 0x80_0040) as u32);
                dev.write_reg(
                    b + qm::GLBL_ERR_ADDR_HI,
                    ((CFG_BASE + 0x80_0040) >> 32) as u32,
                );
                dev.write_reg(b + qm::GLBL_ERR_WDATA, 432 + e as u32);
                dev.write_reg(b + qm::GLBL_PROT, 0x5eff);
                let c = DMA_CORE_BASE[e];
                dev.write_reg(c + core::PROT, 2);
                dev.write_reg(c + core::SECURE_PROPS, 1 << 10);
                dev.write_reg(c + core::NON_SECURE_PROPS, 1);
                dev.write_reg(b + qm::GLBL_CFG0, 0x1eff);
            }
            Rig {
                dev,
                msis,
                pi: [0; 8],
                cq_pi: [0; 8],
            }
        }

        /// Puts `packets` in a CB, appends the completion packets the driver appends, queues
        /// it on `q` and rings the doorbell.
        fn submit(&mut self, q: usize, packets: &[Vec<u8>]) {
            let mut cb = packets.concat();
            let cq_val = (self.pi[q] & 0xfff) | (1 << 30) | (1 << 31);
            let cq_addr = H + CQ + (q as u64) * 0x1000 + self.cq_pi[q] * 4;
            cb.extend(build::msg(cq_val, cq_addr, true));
            cb.extend(build::msg(1, CFG_BASE + 0xC0_4100, true));
            let cb_addr = CB + (q as u64) * 0x1_0000;
            self.dev.host.write(cb_addr, &cb).unwrap();
            let slot = PQ + (q as u64) * 0x1000 + u64::from(self.pi[q] % 256) * 16;
            let bd = [
                (H + cb_addr).to_le_bytes().as_slice(),
                &(cb.len() as u32).to_le_bytes(),
                &(self.pi[q] & 0xfff).to_le_bytes(),
            ]
            .concat();
            self.dev.host.write(slot, &bd).unwrap();
            self.pi[q] = (self.pi[q] + 1) % 512;
            self.cq_pi[q] += 1;
            self.dev.write_reg(qreg(q, qm::PQ_PI), self.pi[q]);
        }

        fn cq(&self, q: usize, i: u64) -> u32 {
            self.dev
                .host
                .read_u32(CQ + (q as u64) * 0x1000 + i * 4)
                .unwrap()
        }
    }

    fn pattern(n: usize, seed: u8) -> Vec<u8> {
        (0..n)
            .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
            .collect()
    }

    #[test]
    fn host_to_hbm_to_host_round_trip_with_completion() {
        let mut r = Rig::new();
        let data = pattern(3 << 20, 7);
        r.dev.host.write(DATA, &data).unwrap();
        // Kernel-style jobs: the core uses the secure (bypassing) properties.
        r.dev.write_reg(DMA_CORE_BASE[0] + core::PROT, 3);
        r.submit(
            0,
            &[build::lin_dma(3 << 20, H + DATA, 0x2000_0000, false, false)],
        );
        r.submit(
            1,
            &[build::lin_dma(3 << 20, 0x2000_0000, H + OUT, false, false)],
        );
        r.dev.run_engines();
        let mut back = vec![0u8; 3 << 20];
        r.dev.host.read(OUT, &mut back).unwrap();
        assert!(back == data, "bytes written are the bytes read");
        assert_eq!(r.cq(0, 0), (1 << 31) | (1 << 30));
        assert_eq!(r.cq(1, 0), (1 << 31) | (1 << 30));
        assert_eq!(*r.msis.lock().unwrap(), 2);
        let st = r.dev.state();
        assert_eq!(st.qm[0].streams[0].ci, 1);
        assert_eq!(st.stats.dma_bytes, 6 << 20);
    }

    #[test]
    fn device_to_device_copies_including_overlap() {
        let mut r = Rig::new();
        r.dev.write_reg(DMA_CORE_BASE[0] + core::PROT, 3);
        r.dev
            .hbm
            .write()
            .unwrap()
            .write(0x2000_0000, b"0123456789")
            .unwrap();
        let sram = crate::regs::SRAM_BASE + 0x1000;
        r.submit(
            0,
            &[
                build::lin_dma(10, 0x2000_0000, sram, false, false),
                build::lin_dma(8, 0x2000_0000, 0x2000_0002, false, false),
            ],
        );
        r.dev.run_engines();
        let mut b = [0u8; 10];
        r.dev.sram.read().unwrap().read(0x1000, &mut b).unwrap();
        assert_eq!(&b, b"0123456789");
        r.dev.hbm.read().unwrap().read(0x2000_0000, &mut b).unwrap();
        assert_eq!(&b, b"0101234567", "overlapping copy as memmove");
        // Host memory QEMU has not mapped: the transfer fails and names the host address.
        r.submit(
            0,
            &[build::lin_dma(
                16,
                H + (64 << 20),
                0x2000_0000,
                false,
                false,
            )],
        );
        r.dev.run_engines();
        assert!(r.dev.state().qm[0].streams[0].halted);
    }

    #[test]
    fn memset_fills_with_the_64_bit_pattern() {
        let mut r = Rig::new();
        r.dev.write_reg(DMA_CORE_BASE[0] + core::PROT, 3);
        r.submit(
            0,
            &[build::lin_dma(
                20,
                0x1122_3344_5566_7788,
                0x3000_0004,
                true,
                false,
            )],
        );
        r.dev.run_engines();
        let mut b = [0u8; 24];
        r.dev.hbm.read().unwrap().read(0x3000_0000, &mut b).unwrap();
        assert_eq!(&b[4..12], &0x1122_3344_5566_7788u64.to_le_bytes());
        assert_eq!(&b[0..4], &[0; 4]);
        assert_eq!(&b[20..24], &0x5566_7788u32.to_le_bytes()[..4]);
    }

    #[test]
    fn user_dma_goes_through_the_mmu_and_faults_are_events() {
        let mut r = Rig::new();
        // Page tables: VA_HOST_SPACE_START -> host page DATA.
        {
            let mut hbm = r.dev.hbm.write().unwrap();
            let mut next = 0x1000_2000;
            crate::mmu::tests::map(
                &mut hbm,
                &mut next,
                crate::mmu::VA_HOST_SPACE_START,
                H + DATA,
                false,
            );
        }
        for (off, v) in [
            (crate::regs::MMU_ASID, 1),
            (crate::regs::MMU_HOP0_PA43_12, 0x1_0001),
            (crate::regs::MMU_HOP0_PA49_44, 0),
            (crate::regs::MMU_BUSY, 1 << 31),
            (crate::regs::MMU_UP_MMU_ENABLE, 1),
        ] {
            r.dev.write_reg(off, v);
        }
        r.dev.host.write(DATA, b"through the MMU").unwrap();
        let va = crate::mmu::VA_HOST_SPACE_START;
        r.submit(0, &[build::lin_dma(15, va, 0x2000_0000, false, false)]);
        r.dev.run_engines();
        let mut b = [0u8; 15];
        r.dev.hbm.read().unwrap().read(0x2000_0000, &mut b).unwrap();
        assert_eq!(&b, b"through the MMU");
        // An unmapped VA faults: the stream stops with the cause latched, no completion.
        let before = *r.msis.lock().unwrap();
        r.submit(
            0,
            &[build::lin_dma(16, va + 0x1000, 0x2000_0000, false, false)],
        );
        r.dev.run_engines();
        let st = r.dev.state();
        assert!(st.qm[0].streams[0].halted);
        assert_eq!(
            st.mmu.read(crate::regs::MMU_UP_PAGE_ERROR_CAPTURE_VA),
            Some((va + 0x1000) as u32)
        );
        assert_eq!(st.stats.engine_errors, 1);
        drop(st);
        assert_eq!(r.cq(0, 1), 0, "no completion for the failed job");
        assert_eq!(
            *r.msis.lock().unwrap(),
            before,
            "events need the host's INTS_REGISTER first"
        );
        // A user job naming host physical memory is refused.
        let mut r = Rig::new();
        r.dev.write_reg(crate::regs::MMU_UP_MMU_ENABLE, 1);
        r.submit(
            0,
            &[build::lin_dma(16, H + DATA, 0x2000_0000, false, false)],
        );
        r.dev.run_engines();
        assert!(r.dev.state().qm[0].streams[0].halted);
    }

    #[test]
    fn malformed_packets_stop_the_stream_with_the_cause() {
        let mut r = Rig::new();
        let mut bad = build::bare(crate::packets::opcode::NOP);
        bad[7] = 0x0E;
        r.submit(2, &[bad]);
        r.dev.run_engines();
        let st = r.dev.state();
        assert_eq!(
            st.qm[0].streams[2].sts1 & sts1::CP_UNDEF_CMD_ERR,
            sts1::CP_UNDEF_CMD_ERR
        );
        assert!(st.qm[0].streams[2].halted);
        assert_eq!(st.qm[0].read(qm::GLBL_STS1_0 + 8), sts1::CP_UNDEF_CMD_ERR);
    }

    #[test]
    fn fence_waits_for_a_monitor_fed_by_sync_objects() {
        let mut r = Rig::new();
        // Stream 4 (DMA1 stream 0): arm monitor 5 on W_S SOB 9 >= 1, payload to our
        // FENCE2_RDATA; then wait on the fence and complete.
        let b = DMA_QM_BASE[1];
        let fence_rdata = CFG_BASE + u64::from(b + qm::CP_FENCE_RDATA[2]);
        let base2 = CFG_BASE + u64::from(crate::qman::SM_SOB_BASE[0] + 0x2000);
        r.dev.write_reg(b + qm::CP_MSG_BASE_LO[2], base2 as u32);
        r.dev
            .write_reg(b + qm::CP_MSG_BASE_HI[2], (base2 >> 32) as u32);
        let arm = 1 | ((!(1u32 << 1) & 0xff) << 8) | (1 << 17);
        r.submit(
            4,
            &[
                build::msg_short(fence_rdata as u32, 2, 4 * 5),
                build::msg_short((fence_rdata >> 32) as u32, 2, 0x800 + 4 * 5),
                build::msg_short(1, 2, 0x1000 + 4 * 5),
                build::msg_short(arm, 2, 0x1800 + 4 * 5),
                build::fence(2, 1, 1),
            ],
        );
        r.dev.run_engines();
        assert_eq!(r.cq(4, 0), 0, "blocked on the fence");
        // Another stream signals the object: MSG_LONG add 1 to W_S SOB 9.
        let sob9 = CFG_BASE + u64::from(crate::qman::SM_SOB_BASE[0]) + 4 * 9;
        r.submit(0, &[build::msg(0x8000_0001, sob9, false)]);
        r.dev.run_engines();
        assert_eq!(r.cq(0, 0) >> 30, 0b11);
        assert_eq!(
            r.cq(4, 0) >> 30,
            0b11,
            "the fence released the waiting stream"
        );
        assert_eq!(
            r.dev.state().qm[1].streams[0].fence[2],
            0,
            "fence decremented"
        );
    }

    #[test]
    fn a_hung_queue_does_not_fetch_and_a_slow_dma_takes_its_time() {
        let mut r = Rig::new();
        r.dev.state().qm[0].streams[1].hang = true;
        r.submit(1, &[build::bare(crate::packets::opcode::NOP)]);
        r.dev.run_engines();
        assert_eq!(r.cq(1, 0), 0);
        r.dev.state().qm[0].streams[1].hang = false;
        r.dev.run_engines();
        assert_ne!(r.cq(1, 0), 0);

        r.dev.write_reg(DMA_CORE_BASE[0] + core::PROT, 3);
        r.dev.state().qm[0].streams[3].dma_delay = Duration::from_millis(30);
        let t = Instant::now();
        r.submit(
            3,
            &[build::lin_dma(64, 0x2000_0000, 0x2000_1000, false, false)],
        );
        while r.cq(3, 0) == 0 {
            if let Some(next) = r.dev.run_engines() {
                std::thread::sleep(next.saturating_duration_since(Instant::now()));
            }
            assert!(t.elapsed() < Duration::from_secs(5));
        }
        assert!(t.elapsed() >= Duration::from_millis(30));
    }

    #[test]
    fn hard_reset_drops_in_flight_work() {
        let mut r = Rig::new();
        r.submit(0, &[build::fence(0, 1, 1)]);
        r.dev.run_engines();
        assert!(r.dev.state().qm[0].streams[0].cb.is_some());
        r.dev.write_reg(crate::regs::SW_ALL_RST, 1);
        let st = r.dev.state();
        assert!(st.qm[0].streams[0].cb.is_none());
        assert_eq!(st.qm[0].cfg0, 0, "queues disabled after reset");
    }
}
