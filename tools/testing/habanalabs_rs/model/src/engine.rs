// SPDX-License-Identifier: GPL-2.0
//! The engines: the external queues' streams fetching buffer descriptors and command buffers
//! and executing their packets, the DMA cores moving data, and the routing of device addresses
//! to HBM, SRAM, registers and host memory.
//!
//! One engine thread runs every stream, a packet at a time, round robin; a stream blocked on a
//! fence or on a slow DMA (a fault tests switch on) does not hold up the others. Packets of a
//! stream run in order, each finishing before the next starts, so barriers are always met.
//!
//! # Transfers through the vfio-user client (peer-to-peer)
//!
//! A DMA core's transfer (LIN_DMA, or `COMMIT` written to the core) is first planned with the
//! state locked: translated by the MMU and cut into [`Piece`]s between physical addresses. If
//! every host address in it lies in guest RAM that QEMU shared as a file (DMA_MAP with a
//! memfd), the plan runs at once, still under the lock, as a copy between mappings: the fast
//! path. If a host address is covered by no mapping (another device's BAR, seen at the bus
//! address the guest's `dma_map_resource()` returned), those bytes can only be reached by
//! asking the client, QEMU, with VFIO_USER_DMA_READ/DMA_WRITE ([`HostMemory::client_read`]);
//! QEMU carries them out in the device's PCI address space, where the peer's BAR is.
//!
//! Such a transfer becomes a [`Job`]: queued in the state, and carried out by the engine
//! thread (the thread that calls [`Device::run_engines`]) *with no lock held*, through bounce
//! buffers, taking the memory locks only for each copy. That is what keeps it from
//! deadlocking:
//!
//! * The client's reply arrives on the socket that the vfio-user session thread reads, and
//!   that thread also serves QEMU's own requests (a vCPU's register read, or, while QEMU
//!   serves our DMA_READ of a BAR, a read of that BAR), which take the state lock. Had the
//!   engine waited with the state locked, the session thread would block behind it and never
//!   route the reply; QEMU, holding its big lock while the vCPU waits for us, would not serve
//!   the DMA_READ either. Both sides would wait for a timeout.
//! * A `COMMIT` the host writes is executed on the session thread (inside the register
//!   write): that thread must not wait for a reply only it can read, so it only queues the job
//!   and wakes the engine thread ([`crate::vfio_user::dma::DmaError::SelfWait`] guards this).
//! * While a job runs, the core reads busy (`STS0` bit 31); later transfers of the same core
//!   (LIN_DMA of any of its streams, another `COMMIT`) wait behind it, so the core's transfers
//!   stay in order; the stream that issued a LIN_DMA waits for it before its next packet, and
//!   its completion is written only after the last byte was acknowledged by the client. A
//!   reset while a job runs drops its result (the state's epoch moved on).
//! * A failed client access (an error reply, a bad reply, no reply within the link's timeout,
//!   the client gone) fails the transfer like any unreachable address: the core's error cause
//!   and message, the stream stopped, no completion. A device reading its own BAR through the
//!   client works, since nothing is locked while it waits; should it not, the timeout ends it
//!   with the same error rather than a hang.
//!
//! Only the DMA cores' transfers use the client. Buffer descriptor and CB fetches, messages,
//! completions, monitor payloads and the firmware's queues reach guest RAM through the memfd
//! mappings only.

use crate::device::{read_lock, write_lock, Device, Fx, State};
use crate::host::device_to_bus;
#[cfg(doc)]
use crate::host::HostMemory;
use crate::mem::Memory;
use crate::mmu::{Fault, Initiator};
use crate::packets::{decode, DecodeError, Malformed, Packet};
use crate::qman::{core, engine_block, sts1, Cb, BLOCK_SIZE, DMA_CORE_BASE, DMA_QM_BASE};
use crate::regs::{CFG_BASE, REGS_SIZE, SRAM_BASE};
use std::sync::Arc;
use std::sync::RwLock;
use std::time::{Duration, Instant};

/// Largest CB a stream fetches (the driver's CBs are at most 2 MiB).
pub const MAX_CB: usize = 2 << 20;
/// Bytes moved per step of a bulk transfer.
const CHUNK: usize = 1 << 20;
/// An opcode Gaudi does not define, for the corrupted-fetch fault.
const UNDEFINED_OPCODE: u8 = 0xE;

/// Why an engine access failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AccessError {
    /// The MMU refused the address.
    Mmu(Fault),
    /// Host memory QEMU has not mapped, or that the firmware keeps closed, or memory past
    /// its end.
    Unmapped(u64),
    /// The physical address decodes to nothing: an illegal access (RAZWI), a read or a write.
    NoTarget {
        /// The address.
        addr: u64,
        /// Whether the access was a write.
        write: bool,
    },
    /// The client (QEMU) failed a DMA_READ or DMA_WRITE at this device address of host
    /// memory: an error reply, a bad or late reply, or no client.
    Client(u64),
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

/// A part of a transfer between two physical device addresses: at most a page when the MMU
/// translated it, at most [`CHUNK`] bytes otherwise.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Piece {
    /// Source address; `None` for a fill.
    src: Option<u64>,
    /// Destination address.
    dst: u64,
    /// Bytes.
    len: usize,
    /// Offset in the transfer (the phase of a fill's pattern).
    at: usize,
}

/// Who started a transfer, and what its end brings.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Origin {
    /// A LIN_DMA of stream `s`, `size` bytes of its CB.
    Stream {
        /// The stream.
        s: usize,
        /// Size of the packet, to step over when the transfer is done.
        size: usize,
        /// Completion address and value, latched when the transfer started.
        completion: Option<(u64, u32)>,
    },
    /// The core's own registers (`COMMIT`).
    Core {
        /// Completion address and value, latched at `COMMIT`.
        completion: Option<(u64, u32)>,
    },
}

/// A transfer that the engine thread carries out with no lock held, because it reaches host
/// memory that only the client serves, or because its core is still busy with such a transfer
/// (see the module's documentation).
#[derive(Debug)]
pub struct Job {
    q: usize,
    origin: Origin,
    t: Transfer,
    pieces: Vec<Piece>,
    /// The firmware allowed host access when the transfer started.
    host_ok: bool,
    /// The state's epoch when it started.
    epoch: u64,
}

/// Fills `buf` with `len` bytes of the 64-bit `pattern`, starting at byte `at` of the transfer.
fn fill(buf: &mut Vec<u8>, pattern: u64, at: usize, len: usize) {
    let pat = pattern.to_le_bytes();
    buf.clear();
    buf.extend((0..len).map(|i| pat[(at + i) % 8]));
}

/// Steps stream `s` of QMAN `q` over a packet of `size` bytes.
fn advance(st: &mut State, q: usize, s: usize, size: usize) {
    let stream = &mut st.qm[q].streams[s];
    if let Some(cb) = stream.cb.as_mut() {
        cb.pos += size;
        if cb.pos >= cb.data.len() {
            stream.cb = None;
        }
    }
}

/// The RAZWI initiator ID of DMA engine `q` (0 or 1) as the MMU captures it: the router of
/// the DMA interface the engine sits behind (x in bits 27:24, y in bits 30:28: DMA0 and DMA2 at
/// the west-south one, x 0 y 1, DMA1 and DMA3 at the east-south one, x 9 y 1) and the DMA AXI
/// ID (2, bits 23:20). The lower bits, which the kernel headers do not describe, are 0.
pub fn dma_initiator_id(q: usize) -> u32 {
    const AXI_ID_DMA: u32 = 2;
    let (x, y) = if q % 2 == 0 { (0, 1) } else { (9, 1) };
    (y << 28) | (x << 24) | (AXI_ID_DMA << 20)
}

/// The write-completion address and value of DMA core `q`.
fn completion_target(st: &State, q: usize) -> (u64, u32) {
    let c = &st.qm[q].core;
    let get = |k| c.get(&k).copied().unwrap_or(0);
    let addr =
        (u64::from(get(core::WR_COMP_ADDR_HI)) << 32) | u64::from(get(core::WR_COMP_ADDR_LO));
    (addr, get(core::WR_COMP_WDATA))
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

    /// Whether a 4-byte access at physical `addr` decodes to nothing.
    pub(crate) fn route_is_none(&self, addr: u64) -> bool {
        self.route(addr, 4).is_none()
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
            let va = addr.wrapping_add(done as u64);
            let (pa, n) = self.translate(st, who, va, out.len() - done)?;
            self.phys_read(st, pa, &mut out[done..done + n])?;
            done += n;
        }
        Ok(())
    }

    /// Reads physical device address `pa` with the state held: memory, or host memory that a
    /// mapping covers.
    fn phys_read(&self, st: &State, pa: u64, buf: &mut [u8]) -> Result<(), AccessError> {
        let target = self.route(pa, buf.len());
        if target.is_none() {
            return Err(AccessError::NoTarget {
                addr: pa,
                write: false,
            });
        }
        let ok = match (&target, target.as_ref().and_then(|t| self.memory(t))) {
            (_, Some((m, a))) => read_lock(m).read(a, buf).is_ok(),
            (Some(Target::Host(b)), _) => st.fw.pci_access() && self.host.read(*b, buf).is_ok(),
            _ => false,
        };
        ok.then_some(()).ok_or(AccessError::Unmapped(pa))
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
            let va = addr.wrapping_add(done as u64);
            let (pa, n) = self.translate(st, who, va, data.len() - done)?;
            self.phys_write(st, pa, &data[done..done + n], fx)?;
            done += n;
        }
        Ok(())
    }

    /// Writes physical device address `pa` with the state held: memory, host memory that a
    /// mapping covers, or (32 bits, aligned) a register.
    fn phys_write(
        &self,
        st: &mut State,
        pa: u64,
        buf: &[u8],
        fx: &mut Fx,
    ) -> Result<(), AccessError> {
        let target = self.route(pa, buf.len());
        if target.is_none() {
            return Err(AccessError::NoTarget {
                addr: pa,
                write: true,
            });
        }
        let ok = match (&target, target.as_ref().and_then(|t| self.memory(t))) {
            (_, Some((m, a))) => write_lock(m).write(a, buf).is_ok(),
            (Some(Target::Host(b)), _) => st.fw.pci_access() && self.host.write(*b, buf).is_ok(),
            (Some(Target::Reg(off)), _) if buf.len() == 4 && off % 4 == 0 => {
                let v = u32::from_le_bytes(buf.try_into().unwrap_or_default());
                self.write_reg_in(st, *off, v, fx);
                true
            }
            _ => false,
        };
        ok.then_some(()).ok_or(AccessError::Unmapped(pa))
    }

    /// Copies `n` bytes between physical addresses in one pass when both ends are memory (HBM,
    /// SRAM) or one is host memory: false if neither applies and the caller must go through a
    /// buffer.
    fn copy_direct(&self, st: &State, src: u64, dst: u64, n: usize) -> Result<bool, AccessError> {
        let Some(s) = self.route(src, n) else {
            return Err(AccessError::NoTarget {
                addr: src,
                write: false,
            });
        };
        let Some(d) = self.route(dst, n) else {
            return Err(AccessError::NoTarget {
                addr: dst,
                write: true,
            });
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

    /// Cuts transfer `t` of DMA core `q` into pieces between physical addresses, translating
    /// through the MMU for the core's initiator. A fault is latched as the MMU latches it.
    fn plan(&self, st: &mut State, q: usize, t: &Transfer) -> Result<Vec<Piece>, AccessError> {
        let who = st.qm[q].core_initiator();
        let total = t.tsize as usize;
        let mut pieces = Vec::new();
        let mut done = 0usize;
        while done < total {
            let (dst, dn) =
                self.translate(st, who, t.dst.wrapping_add(done as u64), total - done)?;
            let (src, len) = if t.memset {
                (None, dn)
            } else {
                let (spa, sn) = self.translate(st, who, t.src.wrapping_add(done as u64), dn)?;
                (Some(spa), sn.min(dn))
            };
            pieces.push(Piece {
                src,
                dst,
                len,
                at: done,
            });
            done += len;
        }
        Ok(pieces)
    }

    /// Whether `pa..pa + len` is host memory that no mapping covers: only the client reaches it.
    fn client_only(&self, pa: u64, len: usize) -> bool {
        matches!(self.route(pa, len), Some(Target::Host(b)) if self.host.check(b, len).is_err())
    }

    /// Runs `pieces` of transfer `t` with the state held: memory and mapped host memory only.
    fn execute_locked(
        &self,
        st: &mut State,
        t: &Transfer,
        pieces: &[Piece],
        fx: &mut Fx,
    ) -> Result<(), AccessError> {
        let mut buf = Vec::new();
        for p in pieces {
            match p.src {
                None => {
                    fill(&mut buf, t.src, p.at, p.len);
                    self.phys_write(st, p.dst, &buf, fx)?;
                }
                Some(src) => {
                    if !self.copy_direct(st, src, p.dst, p.len)? {
                        // Registers or host to host: through a buffer.
                        buf.resize(p.len, 0);
                        self.phys_read(st, src, &mut buf)?;
                        self.phys_write(st, p.dst, &buf, fx)?;
                    }
                }
            }
        }
        Ok(())
    }

    /// A linear transfer by DMA core `q` with the state held: a copy, or with `memset` a fill
    /// with the 64-bit pattern `src`. Host memory must be covered by mappings; what only the
    /// client reaches fails as unmapped here (the engines run such transfers as jobs instead).
    pub fn dma(
        &self,
        st: &mut State,
        q: usize,
        t: Transfer,
        fx: &mut Fx,
    ) -> Result<(), AccessError> {
        let pieces = self.plan(st, q, &t)?;
        self.execute_locked(st, &t, &pieces, fx)?;
        st.stats.dma_bytes += u64::from(t.tsize);
        Ok(())
    }

    /// Starts transfer `t` of DMA core `q` for `origin`: at once with the state held (the fast
    /// path, `Ok(true)`), or, when it reaches host memory only the client serves or the core is
    /// still busy with an earlier job, as a job for the engine thread (`Ok(false)`).
    fn start(
        &self,
        st: &mut State,
        q: usize,
        t: Transfer,
        origin: Origin,
        fx: &mut Fx,
    ) -> Result<bool, AccessError> {
        let what = if t.memset { "fill" } else { "copy" };
        crate::trace!(
            "DMA{q}: {what} {:#x} -> {:#x}, {} bytes",
            t.src,
            t.dst,
            t.tsize
        );
        let pieces = self.plan(st, q, &t)?;
        let host_ok = st.fw.pci_access();
        let client = host_ok
            && self.host.has_client()
            && pieces.iter().any(|p| {
                p.src.is_some_and(|a| self.client_only(a, p.len)) || self.client_only(p.dst, p.len)
            });
        if !client && st.qm[q].core_inflight == 0 {
            self.execute_locked(st, &t, &pieces, fx)?;
            st.stats.dma_bytes += u64::from(t.tsize);
            return Ok(true);
        }
        crate::debug!(
            "DMA{q}: {what} {:#x} -> {:#x} ({} bytes) queued for the engine thread{}",
            t.src,
            t.dst,
            t.tsize,
            if client { ", through the client" } else { "" }
        );
        st.qm[q].core_inflight += 1;
        if let Origin::Stream { s, .. } = origin {
            st.qm[q].streams[s].in_flight = true;
        }
        st.jobs.push(Job {
            q,
            origin,
            t,
            pieces,
            host_ok,
            epoch: st.epoch,
        });
        st.kick = true;
        fx.wake = true;
        Ok(false)
    }

    /// Reads physical address `pa` with no lock held: memory, mapped host memory, or host
    /// memory through the client.
    fn read_unlocked(&self, pa: u64, buf: &mut [u8], host_ok: bool) -> Result<(), AccessError> {
        let target = self.route(pa, buf.len()).ok_or(AccessError::NoTarget {
            addr: pa,
            write: false,
        })?;
        if let Some((m, a)) = self.memory(&target) {
            return read_lock(m)
                .read(a, buf)
                .map_err(|_| AccessError::Unmapped(pa));
        }
        match target {
            Target::Host(b) if host_ok => match self.host.read(b, buf) {
                Ok(()) => Ok(()),
                Err(_) => self
                    .host
                    .client_read(b, buf)
                    .map_err(|_| AccessError::Client(pa)),
            },
            _ => Err(AccessError::Unmapped(pa)),
        }
    }

    /// Writes physical address `pa` with no lock held; a register write takes the state for
    /// the write alone.
    fn write_unlocked(
        &self,
        pa: u64,
        buf: &[u8],
        host_ok: bool,
        fx: &mut Fx,
    ) -> Result<(), AccessError> {
        let target = self.route(pa, buf.len()).ok_or(AccessError::NoTarget {
            addr: pa,
            write: true,
        })?;
        if let Some((m, a)) = self.memory(&target) {
            return write_lock(m)
                .write(a, buf)
                .map_err(|_| AccessError::Unmapped(pa));
        }
        match target {
            Target::Host(b) if host_ok => match self.host.write(b, buf) {
                Ok(()) => Ok(()),
                Err(_) => self
                    .host
                    .client_write(b, buf)
                    .map_err(|_| AccessError::Client(pa)),
            },
            Target::Reg(off) if buf.len() == 4 && off % 4 == 0 => {
                let v = u32::from_le_bytes(buf.try_into().unwrap_or_default());
                self.write_reg_in(&mut self.state(), off, v, fx);
                Ok(())
            }
            _ => Err(AccessError::Unmapped(pa)),
        }
    }

    /// Carries out `job` with no lock held, then finishes it with the state locked and applies
    /// its effects. Only the engine thread calls this: it may wait for the client.
    fn run_job(&self, job: Job) {
        let mut fx = Fx::default();
        let mut buf = Vec::new();
        let mut result = Ok(());
        for p in &job.pieces {
            buf.resize(p.len, 0);
            let r = match p.src {
                None => {
                    fill(&mut buf, job.t.src, p.at, p.len);
                    Ok(())
                }
                Some(src) => self.read_unlocked(src, &mut buf, job.host_ok),
            };
            result = r.and_then(|()| self.write_unlocked(p.dst, &buf, job.host_ok, &mut fx));
            if result.is_err() {
                break;
            }
        }
        {
            let mut st = self.state();
            self.finish_job(&mut st, job, result, &mut fx);
        }
        self.apply(fx);
    }

    /// Completes a job with the state held: the completion and the stream's next packet, or
    /// the error; nothing if a reset came in between.
    fn finish_job(&self, st: &mut State, job: Job, result: Result<(), AccessError>, fx: &mut Fx) {
        let Job { q, origin, t, .. } = job;
        if job.epoch != st.epoch {
            crate::info!(
                "DMA{q}: a transfer of {} bytes ended after a reset; its completion is dropped",
                t.tsize
            );
            return;
        }
        st.qm[q].core_inflight = st.qm[q].core_inflight.saturating_sub(1);
        if result.is_ok() {
            st.stats.dma_bytes += u64::from(t.tsize);
        }
        let (stream, completion) = match origin {
            Origin::Core { completion } => (None, completion),
            Origin::Stream {
                s,
                size,
                completion,
            } => {
                st.qm[q].streams[s].in_flight = false;
                (Some((s, size)), completion)
            }
        };
        match (result, stream) {
            (Ok(()), _) => {
                if let Some((addr, data)) = completion {
                    self.write_completion(st, q, addr, data, fx);
                }
                if let Some((s, size)) = stream {
                    advance(st, q, s, size);
                }
            }
            (Err(e), None) => self.core_error(st, q, e, fx),
            (Err(e), Some((s, _))) => self.lin_dma_failed(st, (q, s), &t, e, fx),
        }
    }

    /// A LIN_DMA failed: the core's error, then the stream's.
    fn lin_dma_failed(
        &self,
        st: &mut State,
        (q, s): (usize, usize),
        t: &Transfer,
        e: AccessError,
        fx: &mut Fx,
    ) {
        self.core_error(st, q, e, fx);
        let msg = format!(
            "LIN_DMA {:#x} -> {:#x} ({} bytes) failed: {e:?}",
            t.src, t.dst, t.tsize
        );
        self.stream_error(st, q, s, 0, &msg, fx);
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
            // Stopped where it is: its CQ registers still name the CB it was executing,
            // which is dropped only when the QMAN is reset.
            qm.streams[s].halted = true;
        }
        if qm.err_cfg & (1 << (9 + s)) != 0 {
            let (addr, data) = (qm.err_addr, qm.err_wdata);
            self.error_message(st, addr, data, fx);
        }
    }

    fn core_error(&self, st: &mut State, q: usize, e: AccessError, fx: &mut Fx) {
        self.note_razwi(st, q, &e);
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
        // HBW_RD_ERR and HBW_WR_ERR: the direction when it is known.
        *c.entry(core::ERR_CAUSE).or_default() |= match e {
            AccessError::NoTarget { write: false, .. } => 0x1,
            AccessError::NoTarget { write: true, .. } => 0x2,
            _ => 0x3,
        };
        let addr = (u64::from(c.get(&core::ERRMSG_ADDR_HI).copied().unwrap_or(0)) << 32)
            | u64::from(c.get(&core::ERRMSG_ADDR_LO).copied().unwrap_or(0));
        let data = c.get(&core::ERRMSG_WDATA).copied().unwrap_or(0);
        self.error_message(st, addr, data, fx);
    }

    /// An access of DMA engine `q` (its QMAN or its core) that decoded to nothing is captured
    /// by the MMU's RAZWI registers with the engine's initiator ID.
    fn note_razwi(&self, st: &mut State, q: usize, e: &AccessError) {
        if let AccessError::NoTarget { addr, write } = *e {
            crate::warn!(
                "DMA{q}: illegal {} at {addr:#x} (decodes to nothing): RAZWI",
                if write { "write" } else { "read" }
            );
            st.mmu.latch_razwi(write, dma_initiator_id(q));
        }
    }

    fn error_message(&self, st: &mut State, addr: u64, data: u32, fx: &mut Fx) {
        if (CFG_BASE..CFG_BASE + REGS_SIZE).contains(&addr) {
            self.write_reg_in(st, (addr - CFG_BASE) as u32, data, fx);
        } else if addr != 0 {
            crate::warn!("error message to {addr:#x}, outside register space, dropped");
        }
    }

    /// A direct transfer through DMA core `q`'s registers (`COMMIT` written). Called inside a
    /// register write, on whichever thread wrote it (the session thread for the host's
    /// writes): a transfer that needs the client is only queued here.
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
        let completion = (commit & 1 != 0).then(|| completion_target(st, q));
        match self.start(st, q, t, Origin::Core { completion }, fx) {
            Ok(true) => {
                if let Some((addr, data)) = completion {
                    self.write_completion(st, q, addr, data, fx);
                }
            }
            Ok(false) => {}
            Err(e) => self.core_error(st, q, e, fx),
        }
    }

    /// Writes a transfer's completion `data` at `addr`.
    fn write_completion(&self, st: &mut State, q: usize, addr: u64, data: u32, fx: &mut Fx) {
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
            self.note_razwi(st, q, &e);
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
            self.note_razwi(st, q, &e);
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
        if std::mem::take(&mut st.qm[q].streams[s].corrupt_next) && data.len() >= 8 {
            crate::warn!("DMA{q} stream {s}: fault injected: the CB at {ptr:#x} arrives corrupted");
            data[7] = (data[7] & !0x1f) | UNDEFINED_OPCODE;
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
                self.note_razwi(st, q, &e);
                let msg = format!("message to {addr:#x} failed: {e:?}");
                self.stream_error(st, q, s, sts1::CP_MSG_WR_ERR, &msg, fx);
                false
            }
        }
    }

    fn step(&self, st: &mut State, q: usize, s: usize, now: Instant, fx: &mut Fx) -> Step {
        if st.qm[q].streams[s].in_flight {
            // Its LIN_DMA is a job the engine thread finishes.
            return Step::Blocked(None);
        }
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
            Err(DecodeError::Malformed { at, opcode, why }) => {
                // A register write that cannot be carried out is the CP's WREG error; other
                // bad fields make the packet one Gaudi does not define.
                let cause = match why {
                    Malformed::UnalignedOffset(_) => sts1::CP_WREG_ERR,
                    Malformed::ReservedBits(_) => sts1::CP_UNDEF_CMD_ERR,
                };
                let msg =
                    format!("malformed packet (opcode {opcode:#x}) at CB offset {at}: {why:x?}");
                self.stream_error(st, q, s, cause, &msg, fx);
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
            Packet::Wreg32 { value, reg_offset } => {
                // Through the path a host write takes, with the state held as the packet's
                // other writes are: implemented registers act, the others are counted. A
                // doorbell or a write to this very QMAN takes effect before the next packet.
                let off = engine_block(q) + u32::from(reg_offset);
                crate::trace!("DMA{q} stream {s}: WREG_32 {value:#x} to CFG_BASE + {off:#x}");
                self.write_reg_in(st, off, value, fx);
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
                if st.qm[q].core_inflight > 0 {
                    // The core is busy with a job; its transfers run in order.
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
                let t = Transfer {
                    src,
                    dst,
                    tsize,
                    memset,
                };
                let completion = wr_comp.then(|| completion_target(st, q));
                let origin = Origin::Stream {
                    s,
                    size,
                    completion,
                };
                match self.start(st, q, t, origin, fx) {
                    Ok(true) => {
                        if let Some((addr, data)) = completion {
                            self.write_completion(st, q, addr, data, fx);
                        }
                    }
                    // A job: the stream waits for it, and it steps over the packet.
                    Ok(false) => return Step::Blocked(None),
                    Err(e) => {
                        self.lin_dma_failed(st, (q, s), &t, e, fx);
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
        advance(st, q, s, size);
        Step::Progress
    }

    /// Runs the streams until none can progress; returns the next instant one can, if any.
    /// Effects (MSIs, resets) are applied with the state unlocked, and so are the jobs the
    /// streams and the cores queued (transfers through the client): the caller is the engine
    /// thread, which may wait for the client, and holds no lock.
    pub fn run_engines(&self) -> Option<Instant> {
        let mut budget = 256;
        loop {
            let mut fx = Fx::default();
            let mut progressed = false;
            let mut next: Option<Instant> = None;
            let jobs = {
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
                std::mem::take(&mut st.jobs)
            };
            self.apply(fx);
            for job in jobs {
                self.run_job(job);
                progressed = true;
            }
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
    use crate::device::{CFG_BAR, HBM_BAR, REGS_IN_CFG_BAR};
    use crate::host::{test_memfd, HOST_PHYS_BASE};
    use crate::packets::build;
    use crate::qman::qm;
    use crate::vfio_user::dma::DEFAULT_TIMEOUT;
    use crate::vfio_user::session::End;
    use crate::vfio_user::testing::{caps_with_xfer, version_payload, Client, Harness, Peer};
    use crate::vfio_user::{cmd, flags, MAX_DATA_XFER};
    use std::sync::atomic::Ordering;
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
        dev: Arc<Device>,
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
            let dev = Arc::new(Device::new(1 << 30, 256 << 20).unwrap());
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
            let pi = self.queue(q, packets);
            self.dev.write_reg(qreg(q, qm::PQ_PI), pi);
        }

        /// Like [`Rig::submit`] without ringing the doorbell: returns the producer index to
        /// write.
        fn queue(&mut self, q: usize, packets: &[Vec<u8>]) -> u32 {
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
            self.pi[q]
        }

        fn cq(&self, q: usize, i: u64) -> u32 {
            self.dev
                .host
                .read_u32(CQ + (q as u64) * 0x1000 + i * 4)
                .unwrap()
        }

        /// A rig whose device is served by a vfio-user session, with a [`Peer`] answering its
        /// DMA requests from a peer device's BAR at bus address [`PEER`] (filled with a
        /// pattern), outside every mapping. The client proposed `max_data_xfer_size` `xfer`.
        fn with_peer(
            xfer: u32,
            refuse: Option<i32>,
            before: impl FnMut(&mut Client) + Send + 'static,
        ) -> (Rig, Harness, Peer) {
            let (r, h) = Rig::with_session(xfer);
            let peer = Rig::peer_on(&h, refuse, before);
            (r, h, peer)
        }

        /// A rig whose device is served by a negotiated vfio-user session.
        fn with_session(xfer: u32) -> (Rig, Harness) {
            let r = Rig::new();
            let mut h = Harness::with_device(r.dev.clone(), DEFAULT_TIMEOUT);
            h.client.ok(
                cmd::VERSION,
                &version_payload(0, 0, &caps_with_xfer(xfer)),
                &[],
            );
            (r, h)
        }

        /// The peer, reading the client's end of `h` from now on.
        fn peer_on(
            h: &Harness,
            refuse: Option<i32>,
            before: impl FnMut(&mut Client) + Send + 'static,
        ) -> Peer {
            let sock = h.client.sock.try_clone().unwrap();
            Peer::start(sock, PEER, pattern(PEER_SIZE, 3), refuse, before)
        }

        /// Bytes of the peer's BAR.
        fn peer(p: &Peer, at: u64, n: usize) -> Vec<u8> {
            p.mem.lock().unwrap()[at as usize..at as usize + n].to_vec()
        }

        fn hbm(&self, at: u64, n: usize) -> Vec<u8> {
            let mut b = vec![0u8; n];
            self.dev.hbm.read().unwrap().read(at, &mut b).unwrap();
            b
        }
    }

    /// A peer device's BAR: a bus address no DMA mapping covers.
    const PEER: u64 = 0xe000_0000;
    const PEER_SIZE: usize = 8 << 20;

    fn core_reg(q: usize, rel: u32) -> u32 {
        DMA_CORE_BASE[q] + rel
    }

    fn client_stat(dev: &Device) -> (u64, u64) {
        let s = &dev.vfio_user;
        (
            s.dma_requests.load(Ordering::Relaxed),
            s.dma_failures.load(Ordering::Relaxed),
        )
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
    fn stray_accesses_are_captured_as_razwi_by_direction() {
        let r = Rig::new();
        let read = |reg| r.dev.read_reg(reg);
        // Memory and registers decode: refused as a fault injection.
        assert!(r.dev.stray_access(0, 0x2000_0000, true).is_err());
        assert!(r.dev.stray_access(0, SRAM_BASE, false).is_err());
        // Between HBM and SRAM nothing answers.
        let hole = 0x40_0000_0000;
        r.dev.stray_access(0, hole, true).unwrap();
        assert_eq!(read(crate::regs::MMU_UP_RAZWI_WRITE_VLD), 1);
        assert_eq!(
            read(crate::regs::MMU_UP_RAZWI_WRITE_ID),
            dma_initiator_id(0)
        );
        assert_eq!(read(crate::regs::MMU_UP_RAZWI_READ_VLD), 0);
        assert_eq!(
            r.dev.state().qm[0].core[&core::ERR_CAUSE],
            0x2,
            "a write error"
        );
        // The first is kept until the host clears it.
        r.dev.stray_access(1, hole, true).unwrap();
        assert_eq!(
            read(crate::regs::MMU_UP_RAZWI_WRITE_ID),
            dma_initiator_id(0)
        );
        r.dev.write_reg(crate::regs::MMU_UP_RAZWI_WRITE_VLD, 0);
        assert_eq!(read(crate::regs::MMU_UP_RAZWI_WRITE_VLD), 0);
        r.dev.stray_access(1, hole + 8, false).unwrap();
        assert_eq!(read(crate::regs::MMU_UP_RAZWI_READ_VLD), 1);
        assert_eq!(read(crate::regs::MMU_UP_RAZWI_READ_ID), dma_initiator_id(1));
        assert_eq!(
            r.dev.state().qm[1].core[&core::ERR_CAUSE],
            0x3,
            "then a read error"
        );
        assert_eq!(
            r.dev.state().stats.engine_errors,
            0,
            "no stream was involved"
        );
    }

    #[test]
    fn a_corrupted_fetch_stops_the_stream_on_an_undefined_opcode() {
        let mut r = Rig::new();
        r.dev.state().qm[0].streams[1].corrupt_next = true;
        r.submit(1, &[build::bare(crate::packets::opcode::NOP)]);
        r.dev.run_engines();
        {
            let st = r.dev.state();
            let s1 = &st.qm[0].streams[1];
            assert!(
                s1.halted && !s1.corrupt_next,
                "stopped, and the fault was used up"
            );
            assert_eq!(s1.sts1, sts1::CP_UNDEF_CMD_ERR);
            assert_eq!(
                st.qm[0].read(qm::CQ_PTR_LO + 0x10),
                (H + CB + 0x1_0000) as u32
            );
        }
        assert_eq!(r.cq(1, 0), 0, "nothing of the CB ran");
        // The next CB on another stream is fetched intact.
        r.submit(0, &[build::bare(crate::packets::opcode::NOP)]);
        r.dev.run_engines();
        assert_eq!(r.cq(0, 0), (1 << 31) | (1 << 30));
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

    /// The WREG_32 offset of register `rel` of DMA engine `e`'s core.
    fn core_off(e: usize, rel: u32) -> u16 {
        (DMA_CORE_BASE[e] + rel - engine_block(e)) as u16
    }

    /// The WREG_32 offset of register `rel` of DMA engine `e`'s QMAN.
    fn qm_off(e: usize, rel: u32) -> u16 {
        (DMA_QM_BASE[e] + rel - engine_block(e)) as u16
    }

    /// The CQ entry of the first CB queued on a queue, once the CB ran to its end.
    const DONE: u32 = (1 << 31) | (1 << 30);

    #[test]
    fn wreg32_sets_the_write_completion_of_the_next_lin_dma() {
        let mut r = Rig::new();
        r.dev.write_reg(core_reg(0, core::PROT), 3);
        // Offsets into DMA0's block: its core's registers at 0, its QMAN's at 0x8000.
        assert_eq!(engine_block(0), 0x50_0000);
        assert_eq!(core_off(0, core::WR_COMP_ADDR_LO), 0x80);
        assert_eq!(qm_off(0, qm::PQ_PI), 0x80A0);
        // The host set a completion address first: the packets replace it.
        let old = H + OUT;
        r.dev
            .write_reg(core_reg(0, core::WR_COMP_ADDR_LO), old as u32);
        r.dev
            .write_reg(core_reg(0, core::WR_COMP_ADDR_HI), (old >> 32) as u32);
        let new = H + OUT + 0x100;
        r.dev.host.write(DATA, b"payload").unwrap();
        let unimplemented = r.dev.state().regs.stats.unimplemented_writes;
        r.submit(
            0,
            &[
                build::wreg32(new as u32, 0x80),
                build::wreg32((new >> 32) as u32, 0x84),
                build::wreg32(0x600d_f00d, 0x7C),
                build::lin_dma(7, H + DATA, 0x2000_0000, false, true),
            ],
        );
        r.dev.run_engines();
        assert_eq!(r.hbm(0x2000_0000, 7), b"payload");
        assert_eq!(r.dev.host.read_u32(OUT + 0x100).unwrap(), 0x600d_f00d);
        assert_eq!(r.dev.host.read_u32(OUT).unwrap(), 0, "not the old address");
        assert_eq!(r.cq(0, 0), DONE);
        // The host reads back what the packets wrote, as if it had written it.
        assert_eq!(
            r.dev.read_reg(core_reg(0, core::WR_COMP_ADDR_LO)),
            new as u32
        );
        assert_eq!(
            r.dev.read_reg(core_reg(0, core::WR_COMP_WDATA)),
            0x600d_f00d
        );
        let st = r.dev.state();
        assert_eq!(st.stats.engine_errors, 0);
        assert_eq!(st.stats.unmodelled_packets, 0);
        assert_eq!(st.regs.stats.unimplemented_writes, unimplemented);
    }

    #[test]
    fn wreg32_from_dma1_writes_dma1s_block() {
        let mut r = Rig::new();
        r.dev.write_reg(core_reg(1, core::PROT), 3);
        let comp = H + OUT + 0x200;
        r.dev.host.write(DATA, &[0x3c; 16]).unwrap();
        let msg_base = 0x1234_5678;
        // Queue 4 is DMA1's stream 0; the offsets are the same as DMA0's.
        assert_eq!(
            (core_off(1, core::WR_COMP_ADDR_LO), qm_off(1, qm::PQ_PI)),
            (core_off(0, core::WR_COMP_ADDR_LO), qm_off(0, qm::PQ_PI))
        );
        r.submit(
            4,
            &[
                build::wreg32(comp as u32, 0x80),
                build::wreg32((comp >> 32) as u32, 0x84),
                build::wreg32(0xd1d1_d1d1, 0x7C),
                build::wreg32(msg_base, qm_off(1, qm::CP_MSG_BASE_LO[0] + 4)),
                build::lin_dma(16, H + DATA, 0x2000_1000, false, true),
            ],
        );
        r.dev.run_engines();
        assert_eq!(r.cq(4, 0), DONE);
        assert_eq!(r.dev.host.read_u32(OUT + 0x200).unwrap(), 0xd1d1_d1d1);
        assert_eq!(r.hbm(0x2000_1000, 16), [0x3c; 16]);
        assert_eq!(
            r.dev.read_reg(DMA_QM_BASE[1] + qm::CP_MSG_BASE_LO[0] + 4),
            msg_base
        );
        assert_eq!(
            r.dev.state().qm[1].streams[1].msg_base[0],
            u64::from(msg_base)
        );
        // DMA0's core and QMAN are untouched.
        for rel in [
            core::WR_COMP_ADDR_LO,
            core::WR_COMP_ADDR_HI,
            core::WR_COMP_WDATA,
        ] {
            assert_eq!(r.dev.read_reg(core_reg(0, rel)), 0, "DMA0 core {rel:#x}");
        }
        assert_eq!(
            r.dev.read_reg(DMA_QM_BASE[0] + qm::CP_MSG_BASE_LO[0] + 4),
            0
        );
    }

    #[test]
    fn wreg32_to_a_register_the_model_lacks_is_counted_and_kept() {
        let mut r = Rig::new();
        let before = r.dev.state().regs.stats;
        // Inside DMA0's block but in neither the core's nor the QMAN's registers.
        r.submit(
            1,
            &[
                build::wreg32(0x1234_5678, 0x4000),
                build::wreg32(0x9abc, 0xFFFC),
            ],
        );
        r.dev.run_engines();
        assert_eq!(r.cq(1, 0), DONE, "counted, not an error");
        let st = r.dev.state();
        assert_eq!(
            st.regs.stats.unimplemented_writes - before.unimplemented_writes,
            2
        );
        assert_eq!(st.stats.engine_errors, 0);
        drop(st);
        assert_eq!(r.dev.read_reg(0x50_4000), 0x1234_5678);
        assert_eq!(r.dev.read_reg(0x50_FFFC), 0x9abc);
    }

    #[test]
    fn malformed_wreg32_stops_the_stream_with_an_error_event() {
        let mut r = Rig::new();
        let (writes, unimplemented, dropped) = {
            let st = r.dev.state();
            (
                st.regs.stats.writes,
                st.regs.stats.unimplemented_writes,
                st.fw.stats.events_dropped,
            )
        };
        // An offset that is not a multiple of 4, and the reserved "reg" bit.
        r.submit(0, &[build::wreg32(0x1111, 0x82)]);
        let mut reserved = build::wreg32(0x2222, 0x80);
        reserved[4] |= 1 << 5;
        r.submit(1, &[reserved]);
        r.dev.run_engines();
        let st = r.dev.state();
        for (s, cause) in [(0, sts1::CP_WREG_ERR), (1, sts1::CP_UNDEF_CMD_ERR)] {
            assert!(st.qm[0].streams[s].halted, "stream {s} stopped");
            // Stopped in its CB, which the CQ registers still name.
            let cb = H + CB + s as u64 * 0x1_0000;
            let cq = qm::CQ_PTR_LO + 0x10 * s as u32;
            assert_eq!(st.qm[0].read(cq), cb as u32);
            assert_eq!(st.qm[0].read(cq + 4), (cb >> 32) as u32);
            assert_eq!(
                st.qm[0].read(cq + 8),
                8 + 32,
                "the packet and the two completions"
            );
            assert_eq!(st.qm[0].read(qm::GLBL_STS1_0 + 4 * s as u32), cause);
        }
        assert_ne!(st.qm[0].sts0() & 0b11, 0, "stopped streams are idle");
        assert_eq!(st.stats.engine_errors, 2);
        assert_eq!(st.stats.unmodelled_packets, 0, "an error, not a gap");
        // Each stream's error message (GLBL_ERR_ADDR/WDATA: DMA0's QM interrupt) reached the
        // firmware, which dropped the DMA0_QM event only because no host registered for
        // events in this rig.
        assert_eq!(st.fw.stats.events_dropped - dropped, 2);
        // Nothing was written but the two doorbells and the two error messages.
        assert_eq!(st.regs.stats.writes - writes, 4);
        assert_eq!(st.regs.stats.unimplemented_writes, unimplemented);
        assert_eq!(st.qm[0].core.get(&core::WR_COMP_ADDR_LO), None);
        drop(st);
        assert_eq!((r.cq(0, 0), r.cq(1, 0)), (0, 0), "no completion");
    }

    #[test]
    fn wreg32_rings_doorbells_and_drives_its_own_qman_and_core() {
        let mut r = Rig::new();
        r.dev
            .hbm
            .write()
            .unwrap()
            .write(0x2000_0000, b"by COMMIT")
            .unwrap();
        // Work for stream 0, queued but not rung: stream 2 rings it.
        let pi0 = r.queue(0, &[build::msg(0x5a5a_5a5a, H + OUT, false)]);
        let commit = 1u32 << 3; // linear, no write completion
        r.submit(
            2,
            &[
                // Its own fence counter, then a FENCE on it: it passes at once.
                build::wreg32(1, qm_off(0, qm::CP_FENCE_RDATA[1] + 4 * 2)),
                build::fence(1, 1, 1),
                // Its own core, programmed and started by register.
                build::wreg32(3, core_off(0, core::PROT)),
                build::wreg32(0x2000_0000, core_off(0, core::SRC_BASE_LO)),
                build::wreg32(0, core_off(0, core::SRC_BASE_HI)),
                build::wreg32(0x2000_2000, core_off(0, core::DST_BASE_LO)),
                build::wreg32(0, core_off(0, core::DST_BASE_HI)),
                build::wreg32(9, core_off(0, core::DST_TSIZE_0)),
                build::wreg32(commit, core_off(0, core::COMMIT)),
                // Another stream's doorbell.
                build::wreg32(pi0, qm_off(0, qm::PQ_PI)),
            ],
        );
        r.dev.run_engines();
        assert_eq!(r.cq(2, 0), DONE, "its own fence released it");
        assert_eq!(r.hbm(0x2000_2000, 9), b"by COMMIT");
        assert_eq!(r.cq(0, 0), DONE, "the doorbell it rang ran stream 0's CB");
        assert_eq!(r.dev.host.read_u32(OUT).unwrap(), 0x5a5a_5a5a);
        let st = r.dev.state();
        assert_eq!(st.qm[0].streams[2].fence[1], 0);
        assert_eq!((st.qm[0].streams[0].pi, st.qm[0].streams[0].ci), (pi0, pi0));
        assert_eq!(st.stats.engine_errors, 0);
        assert_eq!(st.stats.dma_bytes, 9);
        drop(st);
        // A stream that stops itself: the write lands, then the stream stops before its next
        // packet, as a host write of the stop bits would stop it.
        let cfg1 = (1 << 3) | (1 << 12);
        r.submit(
            3,
            &[
                build::wreg32(cfg1, qm_off(0, qm::GLBL_CFG1)),
                build::bare(crate::packets::opcode::NOP),
            ],
        );
        r.dev.run_engines();
        assert_eq!(r.cq(3, 0), 0, "stopped before its completion");
        let st = r.dev.state();
        assert_eq!(st.qm[0].cfg1, cfg1);
        assert_eq!(st.qm[0].streams[3].cb.as_ref().map(|c| c.pos), Some(8));
        assert!(!st.qm[0].streams[3].halted, "stopped, not an error");
        drop(st);
        r.dev.write_reg(qreg(0, qm::GLBL_CFG1), 0);
        r.dev.run_engines();
        assert_eq!(r.cq(3, 0), DONE, "released by the host, it finishes");
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

    #[test]
    fn lin_dma_moves_bytes_to_and_from_a_peer_bar_through_the_client() {
        // While the device waits for a reply, QEMU serves requests of its own: a read of this
        // device's HBM BAR (as when it serves a DMA_READ of that BAR) and of a register. They
        // must be answered meanwhile, or both sides would wait for a timeout.
        let busy = Arc::new(Mutex::new(Vec::new()));
        let seen_busy = busy.clone();
        let sts0 = REGS_IN_CFG_BAR + u64::from(core_reg(0, core::STS0));
        let (mut r, h, peer) = Rig::with_peer(1 << 20, None, move |c| {
            assert_eq!(c.read(HBM_BAR, 0x100, 8).len(), 8);
            let v = c.read(CFG_BAR, sts0, 4);
            seen_busy
                .lock()
                .unwrap()
                .push(u32::from_le_bytes(v.try_into().unwrap()));
        });
        r.dev.write_reg(core_reg(0, core::PROT), 3);
        const N: u32 = 300_000;
        r.dev.host.write(DATA, b"from guest RAM").unwrap();
        // Streams 0-3 share core 0: the later transfers wait behind the earlier ones, so the
        // second copies back what the first brought in.
        r.submit(
            0,
            &[build::lin_dma(
                N,
                H + PEER + 0x100,
                0x2000_0000,
                false,
                false,
            )],
        );
        r.submit(
            1,
            &[build::lin_dma(
                N,
                0x2000_0000,
                H + PEER + 0x20_0000,
                false,
                false,
            )],
        );
        r.submit(
            2,
            &[build::lin_dma(
                20,
                0x1122_3344_5566_7788,
                H + PEER + 0x30_0004,
                true,
                false,
            )],
        );
        r.submit(
            3,
            &[build::lin_dma(
                14,
                H + DATA,
                H + PEER + 0x30_1000,
                false,
                false,
            )],
        );
        r.dev.run_engines();
        let want = Rig::peer(&peer, 0x100, N as usize);
        assert!(r.hbm(0x2000_0000, N as usize) == want, "peer BAR -> HBM");
        assert!(
            Rig::peer(&peer, 0x20_0000, N as usize) == want,
            "HBM -> peer BAR"
        );
        let fill = Rig::peer(&peer, 0x30_0000, 28);
        assert_eq!(&fill[4..12], &0x1122_3344_5566_7788u64.to_le_bytes());
        assert_eq!(&fill[20..24], &0x5566_7788u32.to_le_bytes());
        assert_eq!(
            Rig::peer(&peer, 0x30_1000, 14),
            b"from guest RAM",
            "guest RAM -> peer BAR"
        );
        for q in 0..4 {
            assert_eq!(r.cq(q, 0), (1 << 31) | (1 << 30), "completion of queue {q}");
        }
        let st = r.dev.state();
        assert_eq!(st.stats.engine_errors, 0);
        assert_eq!(st.stats.dma_bytes, 2 * u64::from(N) + 20 + 14);
        assert_eq!(st.qm[0].core_inflight, 0);
        drop(st);
        // 300,000 bytes are five requests of at most 64 KiB (ours, below QEMU's 1 MiB).
        let seen = peer.seen.lock().unwrap().clone();
        let reads = seen.iter().filter(|s| s.0 == cmd::DMA_READ).count();
        assert_eq!((reads, seen.len()), (5, 12));
        assert!(seen.iter().all(|s| s.2 <= u64::from(MAX_DATA_XFER)));
        assert_eq!(client_stat(&r.dev), (12, 0));
        let busy = busy.lock().unwrap();
        assert_eq!(busy.len(), 12);
        assert!(
            busy.iter().all(|v| v & (1 << 31) != 0),
            "the core reads busy while it waits for the client: {busy:x?}"
        );
        assert_eq!(h.finish(), Ok(End::Closed));
        peer.join();
    }

    #[test]
    fn a_commit_from_the_host_runs_through_the_client_on_the_engine_thread() {
        // A test importer programs DMA core 1 directly, as the host does: its register writes
        // arrive on the session thread, which only queues the transfer; the engine thread
        // carries it out through the client and writes the completion.
        let (r, mut h) = Rig::with_session(1 << 20);
        let engines = r.dev.start_engines();
        let comp = CQ + 0x8000;
        let program = |c: &mut Client, src: u64, dst: u64, n: u32, tag: u32| {
            for (rel, v) in [
                (core::PROT, 3),
                (core::SRC_BASE_LO, src as u32),
                (core::SRC_BASE_HI, (src >> 32) as u32),
                (core::DST_BASE_LO, dst as u32),
                (core::DST_BASE_HI, (dst >> 32) as u32),
                (core::DST_TSIZE_0, n),
                (core::WR_COMP_ADDR_LO, (H + comp) as u32),
                (core::WR_COMP_ADDR_HI, ((H + comp) >> 32) as u32),
                (core::WR_COMP_WDATA, tag),
            ] {
                let off = REGS_IN_CFG_BAR + u64::from(core_reg(1, rel));
                c.write(CFG_BAR, off, &v.to_le_bytes());
            }
        };
        let commit = |c: &mut Client| {
            // Posted, as QEMU sends MMIO writes: the DMA requests may come at once.
            let off = REGS_IN_CFG_BAR + u64::from(core_reg(1, core::COMMIT));
            let p = [
                off.to_ne_bytes().as_slice(),
                &CFG_BAR.to_ne_bytes(),
                &4u32.to_ne_bytes(),
                &((1u32 << 3) | 1).to_le_bytes(),
            ]
            .concat();
            c.send(cmd::REGION_WRITE, flags::NO_REPLY, &p, &[]);
        };
        let wait = |tag: u32| {
            let t = Instant::now();
            while r.dev.host.read_u32(comp).unwrap() != tag
                || r.dev.read_reg(core_reg(1, core::STS0)) != 0
            {
                assert!(t.elapsed() < Duration::from_secs(10), "no completion {tag}");
                std::thread::sleep(Duration::from_millis(1));
            }
        };
        // The registers are written (and their replies read) before the peer's thread starts
        // reading the socket.
        const N: u32 = 100_000;
        program(&mut h.client, H + PEER + 0x1000, 0x3000_0000, N, 0x11);
        let peer = Rig::peer_on(&h, None, |_| {});
        commit(&mut h.client);
        wait(0x11);
        let want = Rig::peer(&peer, 0x1000, N as usize);
        assert!(r.hbm(0x3000_0000, N as usize) == want, "peer BAR -> HBM");
        // Now with the peer's thread reading the socket, the test writes only posted writes.
        let mut c = Client::new(h.client.sock.try_clone().unwrap());
        for (rel, v) in [
            (core::SRC_BASE_LO, 0x3000_0000u64),
            (core::SRC_BASE_HI, 0),
            (core::DST_BASE_LO, H + PEER + 0x50_0000),
            (core::DST_BASE_HI, (H + PEER + 0x50_0000) >> 32),
            (core::WR_COMP_WDATA, 0x22),
        ] {
            let off = REGS_IN_CFG_BAR + u64::from(core_reg(1, rel));
            let p = [
                off.to_ne_bytes().as_slice(),
                &CFG_BAR.to_ne_bytes(),
                &4u32.to_ne_bytes(),
                &(v as u32).to_le_bytes(),
            ]
            .concat();
            c.send(cmd::REGION_WRITE, flags::NO_REPLY, &p, &[]);
        }
        commit(&mut c);
        wait(0x22);
        assert!(
            Rig::peer(&peer, 0x50_0000, N as usize) == want,
            "HBM -> peer BAR"
        );
        let st = r.dev.state();
        assert_eq!(st.stats.engine_errors, 0);
        assert_eq!(st.qm[1].core.get(&core::ERR_CAUSE).copied().unwrap_or(0), 0);
        drop(st);
        assert_eq!(client_stat(&r.dev), (4, 0), "two reads and two writes");
        r.dev.stop_engines();
        engines.join().unwrap();
        assert_eq!(h.finish(), Ok(End::Closed));
        peer.join();
    }

    #[test]
    fn a_refused_client_access_is_an_engine_error_without_completion() {
        // QEMU answers ENODEV when nothing decodes the address (MEMTX_DECODE_ERROR).
        let (mut r, h, peer) = Rig::with_peer(1 << 20, Some(libc::ENODEV), |_| {});
        r.dev.write_reg(core_reg(0, core::PROT), 3);
        r.dev
            .hbm
            .write()
            .unwrap()
            .write(0x2000_0000, &[0x5a; 64])
            .unwrap();
        r.submit(
            0,
            &[build::lin_dma(4096, H + PEER, 0x2000_0000, false, true)],
        );
        r.dev.run_engines();
        let st = r.dev.state();
        assert!(st.qm[0].streams[0].halted, "stop on error");
        assert!(!st.qm[0].streams[0].in_flight);
        assert_eq!(st.qm[0].core_inflight, 0);
        assert_eq!(st.stats.engine_errors, 1);
        assert_eq!(st.stats.dma_bytes, 0);
        assert_eq!(st.qm[0].core.get(&core::ERR_CAUSE).copied(), Some(3));
        drop(st);
        assert_eq!(r.cq(0, 0), 0, "no completion for the failed job");
        assert_eq!(r.hbm(0x2000_0000, 64), [0x5a; 64], "nothing written");
        assert_eq!(client_stat(&r.dev), (1, 1));

        // The other direction, by COMMIT with a write completion: an error, no completion.
        let comp = CQ + 0x8000;
        for (rel, v) in [
            (core::PROT, 3),
            (core::SRC_BASE_LO, 0x2000_0000),
            (core::SRC_BASE_HI, 0),
            (core::DST_BASE_LO, (H + PEER) as u32),
            (core::DST_BASE_HI, ((H + PEER) >> 32) as u32),
            (core::DST_TSIZE_0, 64),
            (core::WR_COMP_ADDR_LO, (H + comp) as u32),
            (core::WR_COMP_ADDR_HI, ((H + comp) >> 32) as u32),
            (core::WR_COMP_WDATA, 0x77),
        ] {
            r.dev.write_reg(core_reg(1, rel), v);
        }
        r.dev.write_reg(core_reg(1, core::COMMIT), (1 << 3) | 1);
        assert_eq!(
            r.dev.read_reg(core_reg(1, core::STS0)),
            1 << 31,
            "queued: the core is busy until the engine thread runs it"
        );
        r.dev.run_engines();
        assert_eq!(r.dev.read_reg(core_reg(1, core::STS0)), 0);
        assert_eq!(r.dev.host.read_u32(comp).unwrap(), 0, "no completion");
        let st = r.dev.state();
        assert_eq!(st.qm[1].core.get(&core::ERR_CAUSE).copied(), Some(3));
        assert_eq!(st.stats.engine_errors, 1, "a core error is not a stream's");
        drop(st);
        assert_eq!(client_stat(&r.dev), (2, 2));
        assert_eq!(Rig::peer(&peer, 0, 64), pattern(64, 3), "peer untouched");
        assert_eq!(h.finish(), Ok(End::Closed));
        peer.join();
    }

    #[test]
    fn a_huge_transfer_is_cut_to_the_clients_max_transfer_size() {
        let (mut r, h, peer) = Rig::with_peer(4096, None, |_| {});
        r.dev.write_reg(core_reg(0, core::PROT), 3);
        const N: u32 = (3 << 20) + 100;
        r.submit(
            0,
            &[
                build::lin_dma(N, H + PEER + 7, 0x2000_0000, false, false),
                build::lin_dma(N, 0x2000_0000, H + PEER + (4 << 20), false, false),
            ],
        );
        r.dev.run_engines();
        let want = Rig::peer(&peer, 7, N as usize);
        assert!(r.hbm(0x2000_0000, N as usize) == want);
        assert!(Rig::peer(&peer, 4 << 20, N as usize) == want);
        assert_eq!(r.cq(0, 0), (1 << 31) | (1 << 30));
        let seen = peer.seen.lock().unwrap().clone();
        // Pieces of 1 MiB, each cut into requests of 4 KiB: 3 * 256 + 1 per direction.
        for command in [cmd::DMA_READ, cmd::DMA_WRITE] {
            let mine: Vec<_> = seen.iter().filter(|s| s.0 == command).collect();
            assert_eq!(mine.len(), 769);
            assert!(mine.iter().all(|s| s.2 <= 4096 && s.2 > 0));
            assert_eq!(mine.iter().map(|s| s.2).sum::<u64>(), u64::from(N));
        }
        assert_eq!(r.dev.state().stats.engine_errors, 0);
        assert_eq!(h.finish(), Ok(End::Closed));
        peer.join();
    }

    #[test]
    fn a_reset_while_a_transfer_waits_for_the_client_drops_its_completion() {
        // QEMU (the guest) resets the device before it answers the DMA request.
        let rst = REGS_IN_CFG_BAR + u64::from(crate::regs::SW_ALL_RST);
        let (mut r, h, peer) = Rig::with_peer(1 << 20, None, move |c| {
            c.write(CFG_BAR, rst, &1u32.to_le_bytes());
        });
        r.dev.write_reg(core_reg(0, core::PROT), 3);
        r.submit(
            0,
            &[build::lin_dma(4096, H + PEER, 0x2000_0000, false, true)],
        );
        r.dev.run_engines();
        let st = r.dev.state();
        assert_eq!(st.stats.resets, 1);
        assert_eq!(st.stats.engine_errors, 0);
        assert_eq!(st.qm[0].core_inflight, 0);
        assert!(st.qm[0].streams[0].cb.is_none());
        drop(st);
        assert_eq!(
            r.cq(0, 0),
            0,
            "the reset dropped the work and its completion"
        );
        assert_eq!(h.finish(), Ok(End::Closed));
        peer.join();
    }

    #[test]
    fn without_a_client_unmapped_host_memory_fails_at_once() {
        // No session: the transfer is not queued for a client that is not there.
        let mut r = Rig::new();
        r.dev.write_reg(core_reg(0, core::PROT), 3);
        r.submit(
            0,
            &[build::lin_dma(16, H + PEER, 0x2000_0000, false, false)],
        );
        r.dev.run_engines();
        let st = r.dev.state();
        assert!(st.qm[0].streams[0].halted);
        assert!(st.jobs.is_empty() && st.qm[0].core_inflight == 0);
        assert_eq!(client_stat(&r.dev), (0, 0));
    }
}
