// SPDX-License-Identifier: GPL-2.0
//! The emulated Gaudi: its BARs, configuration space, registers, memories and MSI, shared
//! between the vfio-user thread (the host's accesses) and the device's engines.
//!
//! Locks: `st` (register-visible state) may be held while taking a memory lock or the host
//! memory's, never the other way round; the MSI is sent with no other lock held. No lock at
//! all is held while waiting for the vfio-user client (a DMA_READ or DMA_WRITE): the session
//! thread that reads the client's replies must stay free to serve the client's own requests
//! meanwhile, which take these locks (see `engine.rs`).

use crate::fw::{Firmware, Mems};
use crate::host::HostMemory;
use crate::mem::Memory;
use crate::mmu::Mmu;
use crate::pci_cfg::{ConfigSpace, MemBar};
use crate::qman::{Qman, SyncBlock, SM_SOB_BASE};
use crate::regs::{self, RegisterFile};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};

/// BAR number of the SRAM window.
pub const SRAM_BAR: u32 = 0;
/// BAR number of the configuration window.
pub const CFG_BAR: u32 = 2;
/// BAR number of the HBM window.
pub const HBM_BAR: u32 = 4;
/// Size of the SRAM BAR.
pub const SRAM_BAR_SIZE: u64 = 64 << 20;
/// Size of the configuration BAR.
pub const CFG_BAR_SIZE: u64 = 128 << 20;
/// Bytes of on-chip SRAM (the rest of the SRAM BAR decodes to nothing).
pub const SRAM_SIZE: u64 = 0x140_0000;
/// Offset of the register blocks inside the configuration BAR.
pub const REGS_IN_CFG_BAR: u64 = regs::CFG_BASE - regs::SPI_FLASH_BASE;

/// Configuration-space offsets of the ELBI: indirect register access without a BAR.
pub mod elbi {
    /// Device address (low 32 bits).
    pub const ADDR: u64 = 0xFF0;
    /// Data.
    pub const DATA: u64 = 0xFF4;
    /// Control: writing 0 reads, bit 31 writes.
    pub const CTRL: u64 = 0xFF8;
    /// Status: bit 31 done, bit 30 error.
    pub const STS: u64 = 0xFFC;

    /// Index of an ELBI register in the device state, if `off` is one.
    pub fn index(off: u64) -> Option<usize> {
        match off {
            ADDR => Some(0),
            DATA => Some(1),
            CTRL => Some(2),
            STS => Some(3),
            _ => None,
        }
    }
}

/// Where the device's MSI goes: the vfio-user eventfd, or a recorder in tests.
pub trait MsiSink: Send {
    /// Sends one interrupt; false if it could not be delivered.
    fn send(&mut self) -> bool;
}

impl MsiSink for std::fs::File {
    fn send(&mut self) -> bool {
        use std::io::Write;
        self.write_all(&1u64.to_ne_bytes()).is_ok()
    }
}

/// Counters of what the device did, for tests and the exit summary.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Interrupts delivered.
    pub msi_sent: u64,
    /// Interrupts asked for while no MSI was set up, or that could not be delivered.
    pub msi_lost: u64,
    /// Accesses to BAR space that decodes to nothing, or of a width the block cannot take.
    pub bad_accesses: u64,
    /// Hard resets.
    pub resets: u64,
    /// Command buffers fetched.
    pub cbs: u64,
    /// Packets executed.
    pub packets: u64,
    /// Packets the model does not execute (the stream stopped with an error).
    pub unmodelled_packets: u64,
    /// Bytes moved by the DMA engines.
    pub dma_bytes: u64,
    /// Engine errors (bad packets, faults, unreachable addresses).
    pub engine_errors: u64,
    /// MSIs dropped by the drop-msi fault.
    pub msi_dropped_by_fault: u64,
}

/// What a register write asks for once the state is unlocked.
#[derive(Default, Debug)]
pub struct Fx {
    /// MSIs to send.
    pub msi: u32,
    /// A hard reset.
    pub reset: bool,
    /// Wake the engines.
    pub wake: bool,
}

/// Register-visible state, under one lock.
pub struct State {
    /// Registers without behaviour.
    pub regs: RegisterFile,
    /// The device CPU.
    pub fw: Firmware,
    /// The MMU.
    pub mmu: Mmu,
    /// The external queues' QMANs and DMA cores.
    pub qm: [Qman; 2],
    /// The sync manager's blocks.
    pub sm: [SyncBlock; 4],
    /// The engine thread should end.
    pub shutdown: bool,
    /// Work arrived for the engines (a doorbell, a sync-manager write) since the engine
    /// thread last looked; it checks this under the lock before it sleeps, so that a wake-up
    /// sent while it was running is not lost.
    pub kick: bool,
    /// Transfers that reach host memory through the client (DMA_READ/DMA_WRITE), waiting for
    /// the engine thread to carry them out with no lock held (see `engine.rs`).
    pub(crate) jobs: Vec<crate::engine::Job>,
    /// Counts hard resets: a job that finishes in another epoch than it started in belongs to
    /// work the reset dropped.
    pub epoch: u64,
    /// Fault: drop this many of the next MSIs.
    pub msi_drop: u32,
    /// Scratchpad 0.
    hw_state: u32,
    /// PSOC timestamp counter: its value when last loaded or stopped, and since when it
    /// counts (`None` while disabled).
    timestamp: (u64, Option<std::time::Instant>),
    /// HBM address BAR4 starts at (iATU inbound region 2).
    pub hbm_bar_base: u64,
    aux_dbi: u32,
    iatu: [u32; 0x400],
    elbi: [u32; 4],
    /// What the device did.
    pub stats: Stats,
}

impl State {
    /// The PSOC timestamp counter now.
    fn timestamp_now(&self) -> u64 {
        let (base, since) = self.timestamp;
        let ticks = since.map_or(0, |t| {
            (t.elapsed().as_nanos() * u128::from(regs::PSOC_TIMESTAMP_HZ) / 1_000_000_000) as u64
        });
        base.wrapping_add(ticks)
    }
}

/// One emulated Gaudi.
pub struct Device {
    st: Mutex<State>,
    /// Wakes the engine thread.
    pub wake: Condvar,
    cfg: Mutex<ConfigSpace>,
    bars: [MemBar; 3],
    /// On-chip SRAM.
    pub sram: RwLock<Memory>,
    /// HBM.
    pub hbm: RwLock<Memory>,
    /// Host memory reached by DMA.
    pub host: HostMemory,
    /// What the vfio-user side counted.
    pub vfio_user: Arc<crate::vfio_user::Stats>,
    msi: Mutex<Option<Box<dyn MsiSink>>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Reads under `l`; a lock poisoned by a panicking thread still guards plain bytes.
pub(crate) fn read_lock<T>(l: &RwLock<T>) -> RwLockReadGuard<'_, T> {
    l.read().unwrap_or_else(|e| e.into_inner())
}

/// Writes under `l`; see [`read_lock`].
pub(crate) fn write_lock<T>(l: &RwLock<T>) -> RwLockWriteGuard<'_, T> {
    l.write().unwrap_or_else(|e| e.into_inner())
}

impl Device {
    /// A Gaudi with `hbm_size` bytes of HBM seen through a BAR of `hbm_bar_size` bytes.
    #[cfg(test)]
    pub fn new(hbm_size: u64, hbm_bar_size: u64) -> std::io::Result<Device> {
        Self::with_sram_bar(hbm_size, hbm_bar_size, SRAM_BAR_SIZE)
    }

    /// Like [`Device::new`] with a BAR0 of `sram_bar_size` bytes: not a real Gaudi unless that
    /// is 64 MiB, for testing that drivers refuse it.
    pub fn with_sram_bar(
        hbm_size: u64,
        hbm_bar_size: u64,
        sram_bar_size: u64,
    ) -> std::io::Result<Device> {
        let bars = [
            MemBar {
                index: 0,
                size: sram_bar_size,
                prefetchable: true,
            },
            MemBar {
                index: 2,
                size: CFG_BAR_SIZE,
                prefetchable: false,
            },
            MemBar {
                index: 4,
                size: hbm_bar_size,
                prefetchable: true,
            },
        ];
        let sram = RwLock::new(Memory::new(SRAM_SIZE)?);
        let fw = Firmware::new(&sram);
        Ok(Device {
            st: Mutex::new(State {
                regs: RegisterFile::default(),
                fw,
                mmu: Mmu::default(),
                qm: Default::default(),
                sm: Default::default(),
                shutdown: false,
                kick: false,
                jobs: Vec::new(),
                epoch: 0,
                msi_drop: 0,
                hw_state: 0,
                timestamp: (0, None),
                hbm_bar_base: 0,
                aux_dbi: 0,
                iatu: [0; 0x400],
                elbi: [0; 4],
                stats: Stats::default(),
            }),
            wake: Condvar::new(),
            cfg: Mutex::new(ConfigSpace::new(&bars)),
            bars,
            sram,
            hbm: RwLock::new(Memory::new(hbm_size)?),
            host: HostMemory::default(),
            vfio_user: Arc::default(),
            msi: Mutex::new(None),
        })
    }

    /// The register-visible state, locked.
    pub fn state(&self) -> MutexGuard<'_, State> {
        lock(&self.st)
    }

    fn mems(&self) -> Mems<'_> {
        Mems {
            sram: &self.sram,
            hbm: &self.hbm,
            host: &self.host,
        }
    }

    /// Size of BAR `index`, 0 for a BAR the device does not have.
    pub fn bar_size(&self, index: u32) -> u64 {
        self.bars
            .iter()
            .find(|b| b.index as u32 == index)
            .map_or(0, |b| b.size)
    }

    /// Connects (or, with `None`, disconnects) the MSI.
    pub fn set_msi(&self, sink: Option<Box<dyn MsiSink>>) {
        *lock(&self.msi) = sink;
    }

    /// Sends the MSI. Call with no lock held.
    pub fn raise_msi(&self) {
        {
            let mut st = self.state();
            if st.msi_drop > 0 {
                st.msi_drop -= 1;
                st.stats.msi_dropped_by_fault += 1;
                crate::info!("MSI dropped (fault injection)");
                return;
            }
        }
        let delivered = lock(&self.msi).as_mut().is_some_and(|m| m.send());
        let mut st = self.state();
        if delivered {
            st.stats.msi_sent += 1;
            crate::debug!("MSI sent");
        } else {
            st.stats.msi_lost += 1;
            crate::warn!("MSI requested but the guest has not set one up; dropped");
        }
    }

    fn bad_access(&self, what: &str, bar: u32, offset: u64, len: usize) {
        self.state().stats.bad_accesses += 1;
        crate::warn!("{what} of {len} bytes at BAR{bar} + {offset:#x} decodes to nothing");
    }

    /// Serves a guest read of `data.len()` bytes at `offset` in BAR `bar`.
    pub fn bar_read(&self, bar: u32, offset: u64, data: &mut [u8]) {
        let ok = match bar {
            SRAM_BAR => {
                self.window_fits(SRAM_BAR, offset, data.len())
                    && read_lock(&self.sram).read(offset, data).is_ok()
            }
            HBM_BAR => self
                .hbm_window(offset, data.len())
                .is_some_and(|a| read_lock(&self.hbm).read(a, data).is_ok()),
            CFG_BAR => self.cfg_bar_read(offset, data),
            _ => false,
        };
        if !ok {
            data.fill(0xff);
            self.bad_access("read", bar, offset, data.len());
        }
        crate::trace!("read  BAR{bar} + {offset:#x}: {data:02x?}");
    }

    /// Serves a guest write of `data` at `offset` in BAR `bar`.
    pub fn bar_write(&self, bar: u32, offset: u64, data: &[u8]) {
        crate::trace!("write BAR{bar} + {offset:#x}: {data:02x?}");
        let ok = match bar {
            SRAM_BAR => {
                self.window_fits(SRAM_BAR, offset, data.len())
                    && write_lock(&self.sram).write(offset, data).is_ok()
            }
            HBM_BAR => match self.hbm_window(offset, data.len()) {
                Some(a) => write_lock(&self.hbm).write(a, data).is_ok(),
                None => false,
            },
            CFG_BAR => self.cfg_bar_write(offset, data),
            _ => false,
        };
        if !ok {
            self.bad_access("write", bar, offset, data.len());
        }
    }

    fn window_fits(&self, bar: u32, offset: u64, len: usize) -> bool {
        offset
            .checked_add(len as u64)
            .is_some_and(|end| end <= self.bar_size(bar))
    }

    /// HBM address of an access through the HBM BAR, if it fits in the BAR.
    fn hbm_window(&self, offset: u64, len: usize) -> Option<u64> {
        if !self.window_fits(HBM_BAR, offset, len) {
            return None;
        }
        self.state().hbm_bar_base.checked_add(offset)
    }

    /// Splits a configuration-BAR access into 32-bit registers.
    fn reg_offsets(offset: u64, len: usize) -> Option<impl Iterator<Item = u32>> {
        let start = offset.checked_sub(REGS_IN_CFG_BAR)?;
        if start % 4 != 0 || !(len == 4 || len == 8) || start + len as u64 > regs::REGS_SIZE {
            return None;
        }
        Some((0..len as u32 / 4).map(move |i| start as u32 + 4 * i))
    }

    fn cfg_bar_read(&self, offset: u64, data: &mut [u8]) -> bool {
        // The SPI flash half is not modelled.
        let Some(offs) = Self::reg_offsets(offset, data.len()) else {
            return false;
        };
        for (i, off) in offs.enumerate() {
            let v = self.read_reg(off);
            data[4 * i..4 * i + 4].copy_from_slice(&v.to_le_bytes());
        }
        true
    }

    fn cfg_bar_write(&self, offset: u64, data: &[u8]) -> bool {
        let Some(offs) = Self::reg_offsets(offset, data.len()) else {
            return false;
        };
        for (i, off) in offs.enumerate() {
            let v = u32::from_le_bytes(data[4 * i..4 * i + 4].try_into().unwrap_or_default());
            self.write_reg(off, v);
        }
        true
    }

    /// Reads the register at `CFG_BASE + off`.
    pub fn read_reg(&self, off: u32) -> u32 {
        let mut st = self.state();
        self.read_reg_in(&mut st, off)
    }

    /// Reads a register with the state held.
    pub(crate) fn read_reg_in(&self, st: &mut State, off: u32) -> u32 {
        st.regs.stats.reads += 1;
        if let Some(v) = st.fw.read(off).or_else(|| st.mmu.read(off)) {
            return v;
        }
        if let Some((q, is_qm, rel)) = Device::qman_block(off) {
            return if is_qm {
                st.qm[q].read(rel)
            } else if rel == crate::qman::core::STS0 {
                // Busy only while a transfer runs as a job on the engine thread (through the
                // client); the others complete within the register write or packet that
                // starts them.
                if st.qm[q].core_inflight > 0 {
                    1 << 31
                } else {
                    0
                }
            } else {
                st.qm[q].core.get(&rel).copied().unwrap_or(0)
            };
        }
        if let Some((b, rel)) = sm_block(off) {
            return st.sm[b].read(rel);
        }
        if let Some(v) = crate::qman::idle_engines::status(off) {
            return v;
        }
        match off {
            regs::PCIE_CORE_MSI_REQ => 0,
            regs::HW_STATE => st.hw_state,
            regs::BTM_FSM => 0,
            regs::PSOC_TIMESTAMP_CNTCR => u32::from(st.timestamp.1.is_some()),
            regs::PSOC_TIMESTAMP_CNTCVL => st.timestamp_now() as u32,
            regs::PSOC_TIMESTAMP_CNTCVU => (st.timestamp_now() >> 32) as u32,
            o if (regs::PCIE_DBI_BASE..regs::PCIE_DBI_BASE + regs::PCIE_DBI_SIZE).contains(&o) => {
                st.dbi_read(o - regs::PCIE_DBI_BASE)
            }
            regs::PCIE_AUX_DBI => st.aux_dbi,
            _ => st.regs.read_unimplemented(off),
        }
    }

    /// Writes the register at `CFG_BASE + off`, with its side effects.
    pub fn write_reg(&self, off: u32, v: u32) {
        let mut fx = Fx::default();
        {
            let mut st = self.state();
            self.write_reg_in(&mut st, off, v, &mut fx);
        }
        self.apply(fx);
    }

    /// Carries out what register writes asked for, with no lock held.
    pub(crate) fn apply(&self, fx: Fx) {
        if fx.reset {
            self.hard_reset();
        }
        for _ in 0..fx.msi {
            self.raise_msi();
        }
        if fx.wake {
            self.wake.notify_all();
        }
    }

    /// Writes a register with the state held; effects go to `fx`. Engines use this too.
    pub(crate) fn write_reg_in(&self, st: &mut State, off: u32, v: u32, fx: &mut Fx) {
        st.regs.stats.writes += 1;
        if let Some(e) = st.fw.write(off, v, &self.mems()) {
            fx.msi += u32::from(e.msi);
            fx.reset |= e.reset;
            return;
        }
        if st.mmu.write(off, v).is_some() {
            return;
        }
        if let Some((q, is_qm, rel)) = Device::qman_block(off) {
            if is_qm {
                let wake = st.qm[q].write(rel, v);
                st.kick |= wake;
                fx.wake |= wake;
            } else {
                st.qm[q].core.insert(rel, v);
                if rel == crate::qman::core::COMMIT {
                    self.core_commit(st, q, v, fx);
                }
            }
            return;
        }
        if let Some((b, rel)) = sm_block(off) {
            for (addr, data) in st.sm[b].write(rel, v) {
                let who = crate::mmu::Initiator {
                    asid: 0,
                    bypass: true,
                };
                if let Err(e) = self.engine_write(st, who, addr, &data.to_le_bytes(), fx) {
                    crate::warn!("monitor payload to {addr:#x} failed: {e:?}");
                }
            }
            st.kick = true;
            fx.wake = true;
            return;
        }
        match off {
            regs::PCIE_CORE_MSI_REQ => fx.msi += u32::from(v != 0 && st.fw.pci_access()),
            regs::HW_STATE => st.hw_state = v,
            regs::PSOC_TIMESTAMP_CNTCR => {
                let now = st.timestamp_now();
                st.timestamp = (now, (v & 1 != 0).then(std::time::Instant::now));
            }
            regs::PSOC_TIMESTAMP_CNTCVL | regs::PSOC_TIMESTAMP_CNTCVU => {
                let now = st.timestamp_now();
                let v = u64::from(v);
                let loaded = if off == regs::PSOC_TIMESTAMP_CNTCVL {
                    (now & !0xffff_ffff) | v
                } else {
                    (now & 0xffff_ffff) | (v << 32)
                };
                st.timestamp = (loaded, st.timestamp.1.map(|_| std::time::Instant::now()));
            }
            regs::SW_ALL_RST => fx.reset |= v & 1 != 0,
            regs::PCIE_AUX_DBI => st.aux_dbi = v,
            o if (regs::PCIE_DBI_BASE..regs::PCIE_DBI_BASE + regs::PCIE_DBI_SIZE).contains(&o) => {
                st.dbi_write(o - regs::PCIE_DBI_BASE, v)
            }
            // Reset preparation: stored, acted on at SW_ALL_RST.
            regs::PREBOOT_PCIE_EN
            | regs::BOOT_SEQ_RE_START
            | regs::SW_ALL_RST_CFG_L
            | regs::SW_ALL_RST_CFG_H
            | regs::SOFT_RST_CFG_L
            | regs::SOFT_RST_CFG_H
            | regs::PCIE_AUX_FLR_CTRL => st.regs.write_unimplemented_quiet(off, v),
            _ => st.regs.write_unimplemented(off, v),
        }
    }

    /// Serves a read of PCI configuration space, including the ELBI.
    pub fn cfg_read(&self, off: u64, out: &mut [u8]) {
        if let Some(idx) = elbi::index(off).filter(|_| out.len() == 4) {
            let v = self.state().elbi[idx];
            out.copy_from_slice(&v.to_le_bytes());
            return;
        }
        lock(&self.cfg).read(off, out);
    }

    /// Serves a write of PCI configuration space, including the ELBI.
    pub fn cfg_write(&self, off: u64, data: &[u8]) {
        if let Some(idx) = elbi::index(off).filter(|_| data.len() == 4) {
            let v = u32::from_le_bytes(data.try_into().unwrap_or_default());
            let op = {
                let mut st = self.state();
                st.elbi[idx] = v;
                (off == elbi::CTRL).then(|| (st.elbi[0], st.elbi[1]))
            };
            if let Some((addr, wdata)) = op {
                self.elbi_access(addr, wdata, v & (1 << 31) != 0);
            }
            return;
        }
        lock(&self.cfg).write(off, data);
    }

    /// Performs an ELBI access: the address is the low 32 bits of a device address in
    /// register space.
    fn elbi_access(&self, addr: u32, wdata: u32, write: bool) {
        let cfg_lo = regs::CFG_BASE as u32;
        let ok = addr >= cfg_lo && addr % 4 == 0;
        let mut rdata = 0;
        if ok && write {
            self.write_reg(addr - cfg_lo, wdata);
        } else if ok {
            rdata = self.read_reg(addr - cfg_lo);
        } else {
            crate::warn!("ELBI access to {addr:#x}, outside register space");
        }
        let mut st = self.state();
        if !write {
            st.elbi[1] = rdata;
        }
        st.elbi[3] = if ok { 1 << 31 } else { (1 << 31) | (1 << 30) };
    }

    /// Hard reset: every block back to its post-reset state. Memory keeps its contents, as
    /// DRAM does across a reset; the PCI configuration and the host's interrupt set-up stay,
    /// since the driver asks the boot ROM not to retrain the link.
    pub fn hard_reset(&self) {
        let mut st = self.state();
        st.stats.resets += 1;
        st.regs.reset();
        st.hw_state = 0;
        st.timestamp = (0, None);
        st.fw = Firmware::new(&self.sram);
        st.mmu.reset();
        // In-flight work is dropped: queues, fences and sync objects start over, queued jobs
        // are forgotten and a job running now finds its epoch gone when it finishes.
        st.qm = Default::default();
        st.sm = Default::default();
        st.jobs.clear();
        st.epoch = st.epoch.wrapping_add(1);
        crate::info!("hard reset (#{})", st.stats.resets);
    }

    /// Reset requested by QEMU (the guest's function-level reset or a VM reset): like a hard
    /// reset, and the configuration space returns to its post-reset values too.
    pub fn pci_reset(&self) {
        self.hard_reset();
        let mut st = self.state();
        st.hbm_bar_base = 0;
        st.iatu = [0; 0x400];
        lock(&self.cfg).reset(&self.bars);
    }

    /// Posts an event of type `kind` as the firmware would; true if it reached the host.
    /// Reads `len` bytes at `va` of `asid` the way a user engine would reach them, through the
    /// MMU: for tests that check a mapping end to end.
    pub fn mmu_read(&self, asid: u32, va: u64, len: usize) -> Result<Vec<u8>, String> {
        let mut st = self.state();
        let hbm = read_lock(&self.hbm);
        let mut out = vec![0u8; len];
        let mut done = 0;
        while done < len {
            let at = va + done as u64;
            let chunk = (0x1000 - (at & 0xfff) as usize).min(len - done);
            let pa = st
                .mmu
                .probe(asid, at, &hbm)
                .map_err(|f| format!("fault: {f:?}"))?;
            let dst = &mut out[done..done + chunk];
            match crate::host::device_to_bus(pa) {
                Some(bus) => self
                    .host
                    .read(bus, dst)
                    .map_err(|e| format!("host address {bus:#x} not reachable: {e:?}"))?,
                None => hbm
                    .read(pa, dst)
                    .map_err(|_| format!("HBM address {pa:#x} out of range"))?,
            }
            done += chunk;
        }
        Ok(out)
    }

    /// Reads `len` bytes at PCI bus address `bus` as the device's DMA engines reach the host
    /// side: guest RAM through its mapping, anything else (a peer device's BAR) through the
    /// vfio-user client. For tests of peer-to-peer importers: the device does what an
    /// importing NIC's DMA would. Refused until the firmware opened PCI access.
    pub fn dma_read(&self, bus: u64, len: usize) -> Result<Vec<u8>, String> {
        if !self.state().fw.pci_access() {
            return Err("PCI access is not enabled by the firmware".into());
        }
        let mut out = vec![0u8; len];
        if self.host.read(bus, &mut out).is_err() {
            // No state lock is held: the client may call back into this device meanwhile.
            self.host
                .client_read(bus, &mut out)
                .map_err(|e| format!("bus address {bus:#x} not reachable: {e:?}"))?;
        }
        Ok(out)
    }

    /// Fault injection: DMA core `e` makes one 4-byte access (a read, or a zero-filling
    /// write) at `addr`, an address that must decode to nothing, through its registers as a
    /// direct transfer. The access is illegal: the core reports the error and the MMU's RAZWI
    /// registers capture it.
    pub fn stray_access(&self, e: usize, addr: u64, write: bool) -> Result<(), String> {
        use crate::qman::{core, DMA_CORE_BASE};
        if self.route_is_none(addr) {
            let base = DMA_CORE_BASE[e];
            let (src, commit) = if write { (0, 0x18) } else { (addr, 0x08) };
            for (reg, v) in [
                (core::SRC_BASE_LO, src as u32),
                (core::SRC_BASE_HI, (src >> 32) as u32),
                (core::DST_BASE_LO, addr as u32),
                (core::DST_BASE_HI, (addr >> 32) as u32),
                (core::DST_TSIZE_0, 4),
                // Linear (bit 3), a fill for the write (bit 4), no completion.
                (core::COMMIT, commit),
            ] {
                self.write_reg(base + reg, v);
            }
            Ok(())
        } else {
            Err(format!("{addr:#x} decodes to memory or registers; a stray access needs an address that decodes to nothing"))
        }
    }

    pub fn inject_event(&self, kind: u16, payload: &[u8]) -> bool {
        let sent = {
            let mut st = self.state();
            st.fw.raise_event(kind, payload, &self.mems())
        };
        if sent {
            self.raise_msi();
        }
        sent
    }

    /// Every counter, as `name=value` words.
    pub fn counters(&self) -> String {
        let st = self.state();
        let (r, f, d, m) = (st.regs.stats, st.fw.stats, st.stats, st.mmu.stats);
        format!(
            "reg_reads={} reg_writes={} unimplemented_reads={} unimplemented_writes={} cpucp_packets={} cpucp_unsupported={} events={} events_dropped={} cbs={} packets={} unmodelled_packets={} dma_bytes={} engine_errors={} mmu_cache_hits={} mmu_walks={} mmu_faults={} msi_sent={} msi_lost={} msi_dropped_by_fault={} bad_accesses={} resets={} {}",
            r.reads, r.writes, r.unimplemented_reads, r.unimplemented_writes, f.packets, f.unsupported,
            f.events, f.events_dropped, d.cbs, d.packets, d.unmodelled_packets, d.dma_bytes,
            d.engine_errors, m.0, m.1, m.2, d.msi_sent, d.msi_lost, d.msi_dropped_by_fault,
            d.bad_accesses, d.resets, self.vfio_user.words()
        )
    }
}

/// Whether `off` is in a sync manager block, and where from its `SOB_OBJ_0`.
fn sm_block(off: u32) -> Option<(usize, u32)> {
    SM_SOB_BASE
        .iter()
        .position(|&b| (b..b + crate::qman::mon::END).contains(&off))
        .map(|b| (b, off - SM_SOB_BASE[b]))
}

impl State {
    fn dbi_read(&self, reg: u32) -> u32 {
        if self.aux_dbi == regs::AUX_DBI_IATU {
            self.iatu[(reg / 4) as usize]
        } else {
            0
        }
    }

    /// DBI writes with the iATU selected program address translation. Inbound region 2
    /// (registers 0x500..) decides where BAR4 points in HBM: the target address is latched
    /// when the region's control word enables it in BAR-match mode for BAR4.
    fn dbi_write(&mut self, reg: u32, v: u32) {
        if self.aux_dbi != regs::AUX_DBI_IATU {
            crate::debug!("DBI write {reg:#x} = {v:#x} (PCIe controller registers not modelled)");
            return;
        }
        self.iatu[(reg / 4) as usize] = v;
        const REGION2: u32 = 0x100 + 0x200 * 2;
        if reg == REGION2 + 4 {
            let enabled = v & (1 << 31) != 0;
            let bar_match = v & (1 << 30) != 0;
            let bar = (v >> 8) & 0x7;
            if enabled && bar_match && bar == HBM_BAR {
                let lo = u64::from(self.iatu[((REGION2 + 0x14) / 4) as usize]);
                let hi = u64::from(self.iatu[((REGION2 + 0x18) / 4) as usize]);
                self.hbm_bar_base = (hi << 32) | lo;
                crate::debug!("BAR4 now points at HBM {:#x}", self.hbm_bar_base);
            } else {
                crate::warn!(
                    "iATU inbound region 2 programmed with control {v:#x}; BAR4 left as it was"
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    struct Recorder(Arc<Mutex<u32>>);
    impl MsiSink for Recorder {
        fn send(&mut self) -> bool {
            *self.0.lock().unwrap() += 1;
            true
        }
    }

    fn gaudi() -> Device {
        Device::new(1 << 30, 256 << 20).unwrap()
    }

    fn reg(off: u32) -> u64 {
        REGS_IN_CFG_BAR + u64::from(off)
    }

    #[test]
    fn msi_request_register_raises_the_interrupt() {
        let g = gaudi();
        let n = Arc::new(Mutex::new(0));
        g.bar_write(CFG_BAR, reg(regs::PCIE_CORE_MSI_REQ), &1u32.to_le_bytes());
        assert_eq!(
            g.state().stats.msi_lost,
            1,
            "no MSI set up yet: counted as lost, not faked"
        );
        g.set_msi(Some(Box::new(Recorder(n.clone()))));
        g.bar_write(CFG_BAR, reg(regs::PCIE_CORE_MSI_REQ), &1u32.to_le_bytes());
        g.bar_write(CFG_BAR, reg(regs::PCIE_CORE_MSI_REQ), &1u32.to_le_bytes());
        assert_eq!(*n.lock().unwrap(), 2);
        assert_eq!(g.state().stats.msi_sent, 2);
        g.bar_write(CFG_BAR, reg(regs::PCIE_CORE_MSI_REQ), &0u32.to_le_bytes());
        assert_eq!(*n.lock().unwrap(), 2, "writing 0 requests nothing");
    }

    #[test]
    fn sram_and_hbm_windows_keep_data() {
        let g = gaudi();
        g.bar_write(SRAM_BAR, 0x1000, &[1, 2, 3, 4, 5, 6, 7, 8]);
        g.bar_write(HBM_BAR, (256 << 20) - 8, &[9; 8]);
        let mut b = [0u8; 8];
        g.bar_read(SRAM_BAR, 0x1000, &mut b);
        assert_eq!(b, [1, 2, 3, 4, 5, 6, 7, 8]);
        g.bar_read(HBM_BAR, (256 << 20) - 8, &mut b);
        assert_eq!(b, [9; 8]);
        assert_eq!(g.state().stats.bad_accesses, 0);
    }

    #[test]
    fn accesses_that_decode_to_nothing_read_ones_and_are_counted() {
        let g = gaudi();
        let mut b = [0u8; 4];
        g.bar_read(SRAM_BAR, SRAM_SIZE, &mut b); // SRAM is 20 MiB of the 64 MiB BAR
        assert_eq!(b, [0xff; 4]);
        g.bar_read(HBM_BAR, 256 << 20, &mut b); // past the window
        g.bar_read(CFG_BAR, 0, &mut b); // SPI flash: not modelled
        g.bar_read(CFG_BAR, reg(regs::PCIE_CORE_MSI_REQ) + 1, &mut b); // misaligned register
        g.bar_write(CFG_BAR, reg(regs::PCIE_CORE_MSI_REQ), &[1, 0]); // 16-bit register write
        g.bar_read(3, 0, &mut b); // no such BAR
        let st = g.state();
        assert_eq!(st.stats.bad_accesses, 6);
        assert_eq!(st.stats.msi_lost + st.stats.msi_sent, 0);
    }

    #[test]
    fn unimplemented_registers_are_counted_and_reset_clears_them() {
        let g = gaudi();
        let off = reg(0x4000);
        g.bar_write(CFG_BAR, off, &[0xaa, 0xbb, 0xcc, 0xdd, 1, 2, 3, 4]);
        let mut b = [0u8; 8];
        g.bar_read(CFG_BAR, off, &mut b);
        assert_eq!(b, [0xaa, 0xbb, 0xcc, 0xdd, 1, 2, 3, 4]);
        assert_eq!(g.state().regs.stats.unimplemented_writes, 2);
        assert_eq!(g.state().regs.stats.unimplemented_reads, 2);
        g.bar_write(CFG_BAR, reg(regs::SW_ALL_RST), &1u32.to_le_bytes());
        g.bar_read(CFG_BAR, off, &mut b);
        assert_eq!(b, [0; 8]);
        assert_eq!(g.state().stats.resets, 1);
    }

    #[test]
    fn bar_sizes_follow_the_options() {
        let g = Device::new(1 << 30, 64 << 20).unwrap();
        assert_eq!(g.bar_size(0), 64 << 20);
        assert_eq!(g.bar_size(2), 128 << 20);
        assert_eq!(g.bar_size(4), 64 << 20);
        assert_eq!(g.bar_size(1), 0);
    }

    fn cfg32(g: &Device, off: u64, v: u32) {
        g.cfg_write(off, &v.to_le_bytes());
    }

    fn elbi_read(g: &Device, addr: u32) -> (u32, u32) {
        cfg32(g, elbi::STS, 0);
        cfg32(g, elbi::ADDR, addr);
        cfg32(g, elbi::CTRL, 0);
        let mut b = [0u8; 4];
        g.cfg_read(elbi::STS, &mut b);
        let sts = u32::from_le_bytes(b);
        g.cfg_read(elbi::DATA, &mut b);
        (sts, u32::from_le_bytes(b))
    }

    fn elbi_write(g: &Device, addr: u32, v: u32) -> u32 {
        cfg32(g, elbi::STS, 0);
        cfg32(g, elbi::ADDR, addr);
        cfg32(g, elbi::DATA, v);
        cfg32(g, elbi::CTRL, 1 << 31);
        let mut b = [0u8; 4];
        g.cfg_read(elbi::STS, &mut b);
        u32::from_le_bytes(b)
    }

    #[test]
    fn elbi_reaches_registers_before_any_bar_is_mapped() {
        let g = gaudi();
        let (sts, v) = elbi_read(&g, 0xFCC4_B150); // CPU_BOOT_DEV_STS0
        assert_eq!(sts, 1 << 31, "done, no error");
        assert_eq!(v & (1 << 31), 1 << 31);
        let (sts, _) = elbi_read(&g, 0x1000); // not register space
        assert_eq!(sts, (1 << 31) | (1 << 30));
    }

    #[test]
    fn iatu_region_2_moves_the_hbm_window() {
        let g = gaudi();
        g.hbm
            .write()
            .unwrap()
            .write(0x3000_0000, b"moved!")
            .unwrap();
        let dbi = |reg: u32, v: u32| {
            assert_eq!(elbi_write(&g, 0xFCC0_7490, regs::AUX_DBI_IATU), 1 << 31);
            assert_eq!(elbi_write(&g, 0xFCC0_2000 + reg, v), 1 << 31);
            elbi_write(&g, 0xFCC0_7490, 0);
        };
        // The driver's sequence for region 2: target low, target high, 0, then control.
        dbi(0x514, 0x3000_0000);
        dbi(0x518, 0);
        dbi(0x500, 0);
        dbi(0x504, 0xC008_0400);
        let mut b = [0u8; 6];
        g.bar_read(HBM_BAR, 0, &mut b);
        assert_eq!(&b, b"moved!");
        // Control for another BAR leaves the window alone.
        dbi(0x514, 0);
        dbi(0x504, 0xC008_0200);
        g.bar_read(HBM_BAR, 0, &mut b);
        assert_eq!(&b, b"moved!");
        g.pci_reset();
        g.bar_read(HBM_BAR, 0, &mut b);
        assert_eq!(b, [0; 6], "window back at HBM 0 after a PCI reset");
    }

    #[test]
    fn dma_read_reaches_mapped_host_memory_and_refuses_the_rest() {
        let g = gaudi();
        let f = crate::host::test_memfd(1 << 20);
        g.host.map(0, 1 << 20, 0, &f).unwrap();
        g.host.write(0x2000, b"bytes for a peer").unwrap();
        assert_eq!(g.dma_read(0x2000, 16).unwrap(), b"bytes for a peer");
        // Past the mapping, with no client to ask: an error, not zeros.
        assert!(g
            .dma_read(2 << 20, 16)
            .unwrap_err()
            .contains("not reachable"));
        // Once the firmware closed PCI access, nothing.
        g.state().fw.pci_access = false;
        assert!(g.dma_read(0x2000, 16).unwrap_err().contains("PCI access"));
    }

    #[test]
    fn mmu_read_sees_what_the_page_tables_map_and_honours_the_stlb() {
        let g = gaudi();
        let f = crate::host::test_memfd(1 << 20);
        g.host.map(0, 1 << 20, 0, &f).unwrap();
        g.host.write(0x3000, b"through the MMU").unwrap();
        g.write_reg(regs::MMU_ASID, 1);
        g.write_reg(
            regs::MMU_HOP0_PA43_12,
            (crate::mmu::tests::HOP0 >> 12) as u32,
        );
        g.write_reg(regs::MMU_HOP0_PA49_44, 0);
        g.write_reg(regs::MMU_BUSY, 1 << 31);
        g.write_reg(regs::MMU_UP_MMU_ENABLE, 1);
        let va = crate::mmu::VA_HOST_SPACE_START + 0x5000;
        let mut next = crate::mmu::tests::HOP0 + 0x10_0000;
        crate::mmu::tests::map(
            &mut write_lock(&g.hbm),
            &mut next,
            va,
            crate::host::HOST_PHYS_BASE + 0x3000,
            false,
        );
        assert_eq!(g.mmu_read(1, va, 15).unwrap(), b"through the MMU");
        assert!(g.mmu_read(1, va + 0x1000, 4).unwrap_err().contains("fault"));
        assert!(g.mmu_read(0, va, 4).is_err(), "another ASID sees nothing");
        // Clearing the tables alone does not help until the STLB is invalidated.
        write_lock(&g.hbm)
            .write(crate::mmu::tests::HOP0, &[0; 4096])
            .unwrap();
        assert!(
            g.mmu_read(1, va, 4).is_ok(),
            "stale STLB entry still translates"
        );
        g.write_reg(regs::STLB_INV_PS, 3);
        g.write_reg(regs::STLB_INV_PS, 2);
        assert!(g.mmu_read(1, va, 4).is_err());
    }

    #[test]
    fn timestamp_counts_when_enabled_and_loads_what_is_written() {
        let g = gaudi();
        let read = |g: &Device| {
            u64::from(g.read_reg(regs::PSOC_TIMESTAMP_CNTCVL))
                | (u64::from(g.read_reg(regs::PSOC_TIMESTAMP_CNTCVU)) << 32)
        };
        assert_eq!(read(&g), 0, "stopped after reset");
        g.write_reg(regs::PSOC_TIMESTAMP_CNTCVU, 2);
        g.write_reg(regs::PSOC_TIMESTAMP_CNTCVL, 5);
        assert_eq!(read(&g), (2 << 32) | 5);
        g.write_reg(regs::PSOC_TIMESTAMP_CNTCR, 1);
        std::thread::sleep(std::time::Duration::from_millis(20));
        let t = read(&g) - ((2 << 32) | 5);
        // 20 ms at 100 MHz is 2,000,000 ticks; allow for a slow machine.
        assert!((2_000_000..200_000_000).contains(&t), "{t} ticks in 20 ms");
        g.write_reg(regs::PSOC_TIMESTAMP_CNTCR, 0);
        let stopped = read(&g);
        std::thread::sleep(std::time::Duration::from_millis(5));
        assert_eq!(read(&g), stopped);
        g.write_reg(regs::SW_ALL_RST, 1);
        assert_eq!(read(&g), 0);
    }

    #[test]
    fn hard_reset_returns_the_firmware_to_preboot_and_clears_hw_state() {
        let g = gaudi();
        g.write_reg(regs::HW_STATE, 1);
        assert_eq!(g.read_reg(regs::HW_STATE), 1);
        g.write_reg(regs::SW_ALL_RST, 1);
        assert_eq!(g.read_reg(regs::HW_STATE), 0);
        assert_eq!(
            g.read_reg(regs::CPU_BOOT_STATUS),
            crate::fw::status::WAITING_FOR_BOOT_FIT
        );
        assert_eq!(g.read_reg(regs::BTM_FSM) & 0xf, 0);
    }
}

#[cfg(test)]
mod garbage {
    use super::*;
    use crate::qman::{DMA_CORE_BASE, DMA_QM_BASE};

    /// A small deterministic generator (xorshift), so a failure can be replayed.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        fn pick<T: Copy>(&mut self, v: &[T]) -> T {
            v[(self.next() % v.len() as u64) as usize]
        }
    }

    /// Random values to every implemented register block, random BAR and configuration
    /// accesses, and the engines run in between: the model must neither panic nor hang.
    #[test]
    fn garbage_from_the_guest_never_crashes_the_model() {
        let dev = Device::new(256 << 20, 64 << 20).unwrap();
        dev.host
            .map(0, 1 << 20, 0, &crate::host::test_memfd(1 << 20))
            .unwrap();
        let mut r = Rng(0x9e37_79b9_7f4a_7c15);
        let blocks: Vec<(u32, u32)> = vec![
            (0xC4_B000, 0x600),        // PSOC: boot scratchpads, reset
            (0x44_2100, 0x200),        // CPU interface
            (regs::GIC_SETSPI_NSR, 4), // GIC doorbell
            (0xC1_1000, 0x100),        // MMU
            (0xC1_2000, 0x100),        // STLB
            (DMA_QM_BASE[0], 0x1000),  // QMANs and cores
            (DMA_QM_BASE[1], 0x1000),
            (DMA_CORE_BASE[0], 0x200),
            (DMA_CORE_BASE[1], 0x200),
            (crate::qman::SM_SOB_BASE[0], 0x4800), // sync manager
            (crate::qman::SM_SOB_BASE[3], 0x4800),
            (regs::PCIE_DBI_BASE, 0x1000),
            (regs::PCIE_AUX_DBI, 4),
            (regs::PCIE_CORE_MSI_REQ, 4),
        ];
        let interesting = [
            0u32,
            1,
            2,
            3,
            4,
            5,
            15,
            16,
            0x10,
            0x1eff,
            0x5eff,
            0x8000_0000,
            0xffff_ffff,
            484,
            485,
            486,
            229,
            432,
            453,
        ];
        for i in 0..200_000 {
            let (base, len) = r.pick(&blocks);
            let off = (base + (r.next() as u32 % len)) & !3;
            let v = if r.next() % 2 == 0 {
                r.pick(&interesting)
            } else {
                r.next() as u32
            };
            match r.next() % 8 {
                0 => {
                    dev.read_reg(off);
                }
                1 => {
                    let mut b = vec![0u8; r.pick(&[1usize, 2, 4, 8, 16])];
                    dev.bar_read(r.pick(&[0, 2, 4, 1]), r.next() % (256 << 20), &mut b);
                }
                2 => dev.cfg_write(
                    r.pick(&[0x4u64, 0x10, 0x52, 0xFF0, 0xFF4, 0xFF8, 0xFFC, 0xFFF]),
                    &v.to_le_bytes(),
                ),
                _ => dev.write_reg(off, v),
            }
            if i % 1000 == 0 {
                dev.run_engines();
            }
        }
        dev.run_engines();
    }
}
