// SPDX-License-Identifier: GPL-2.0
//! One client's session: every message framed and checked, every request answered or
//! refused, the device-facing work handed to a [`Backend`].
//!
//! Refusals carry an errno: `EINVAL` for a malformed message (wrong size, bad field, a region
//! or interrupt the device does not have, an access past a region's end, the wrong number of
//! file descriptors, a reply nobody asked for, a request before VERSION), `E2BIG` for a
//! transfer over [`MAX_DATA_XFER`] or a message over [`MAX_MESSAGE`], `ENOSYS` for commands
//! the server does not implement, `ENOTSUP` for supported commands asking for something the
//! server does not do, `EEXIST` for a DMA mapping over another. Each is logged and counted in
//! [`Stats::errors`]. A command sent with *No_reply* gets no reply even when refused (the
//! client asked for none; QEMU treats an unrequested reply as a protocol error), but it is
//! logged and counted all the same.
//!
//! The session ends when the client closes the socket, or when the stream can no longer be
//! framed (a header cut short, a size smaller than the header): a clear reason, no panic.

use super::dma::{DmaPort, Link, Reply, Routed};
use super::wire::{Frame, Read, Reader};
use super::{caps, cmd, flags, message, u32_at, u64_at, Errno, Header, Stats};
use super::{MAX_DATA_XFER, MAX_MESSAGE};
use std::fs::File;
use std::os::unix::net::UnixStream;
use std::sync::Arc;
use std::time::Duration;
use vfio_bindings::bindings::vfio::{
    VFIO_DMA_MAP_FLAG_READ, VFIO_DMA_MAP_FLAG_WRITE, VFIO_DMA_UNMAP_FLAG_ALL,
    VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP, VFIO_IRQ_INFO_MASKABLE, VFIO_IRQ_SET_ACTION_MASK,
    VFIO_IRQ_SET_ACTION_TRIGGER, VFIO_IRQ_SET_ACTION_TYPE_MASK, VFIO_IRQ_SET_ACTION_UNMASK,
    VFIO_IRQ_SET_DATA_BOOL, VFIO_IRQ_SET_DATA_EVENTFD, VFIO_IRQ_SET_DATA_NONE,
    VFIO_IRQ_SET_DATA_TYPE_MASK, VFIO_REGION_INFO_FLAG_READ, VFIO_REGION_INFO_FLAG_WRITE,
};

/// Most DMA mappings at once: the specification's default `max_dma_maps`.
pub const MAX_DMA_MAPS: usize = 65535;

/// A region as `DEVICE_GET_REGION_INFO` describes it (offset 0, no capabilities, no mmap).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RegionInfo {
    /// `VFIO_REGION_INFO_FLAG_*`.
    pub flags: u32,
    /// Bytes; 0 for a region the device does not have.
    pub size: u64,
}

/// An interrupt type as `DEVICE_GET_IRQ_INFO` describes it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct IrqInfo {
    /// `VFIO_IRQ_INFO_*`.
    pub flags: u32,
    /// Vectors of this type.
    pub count: u32,
}

/// What `DEVICE_GET_INFO` and the region and interrupt queries report.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DeviceInfo {
    /// `VFIO_DEVICE_FLAGS_*`.
    pub flags: u32,
    /// Regions, by index.
    pub regions: Vec<RegionInfo>,
    /// Interrupt types, by index.
    pub irqs: Vec<IrqInfo>,
}

/// The device side of a session. The session has checked every argument against the
/// [`DeviceInfo`] before it calls here: regions exist and accesses fit in them, interrupt
/// vectors exist.
pub trait Backend {
    /// The device's regions and interrupts.
    fn info(&self) -> &DeviceInfo;
    /// Reads `data.len()` bytes at `offset` of region `region`.
    fn region_read(&self, region: u32, offset: u64, data: &mut [u8]);
    /// Writes `data` at `offset` of region `region`.
    fn region_write(&self, region: u32, offset: u64, data: &[u8]);
    /// Makes `size` bytes of `file` from `file_offset` on reachable by DMA at bus address
    /// `bus`.
    fn dma_map(&self, bus: u64, size: u64, file_offset: u64, file: File) -> Result<(), Errno>;
    /// Forgets the file mapping at exactly `bus..bus + size`.
    fn dma_unmap(&self, bus: u64, size: u64);
    /// Connects (`Some`) or disconnects vector `vector` of interrupt type `index` to an eventfd.
    fn set_irq(&self, index: u32, vector: u32, eventfd: Option<File>);
    /// The client triggers vector `vector` of `index` itself.
    fn trigger_irq(&self, index: u32, vector: u32);
    /// Disconnects every vector of `index`.
    fn disable_irqs(&self, index: u32);
    /// Device reset.
    fn reset(&self);
    /// The version is negotiated: `port` reaches client memory by DMA_READ/DMA_WRITE.
    fn connected(&self, port: DmaPort);
    /// The session has ended: its mappings and interrupts are gone.
    fn disconnected(&self);
}

/// How a session ended without an error of its own.
#[derive(Debug, PartialEq, Eq)]
pub enum End {
    /// The client closed the connection.
    Closed,
    /// The connection broke (the client was killed or crashed).
    Lost(String),
}

/// A mapping the client announced.
#[derive(Clone, Copy, Debug)]
struct Window {
    bus: u64,
    size: u64,
    /// It came with a file the device maps; without one it is reachable only by DMA_READ and
    /// DMA_WRITE.
    file: bool,
}

/// A refusal: the errno for the reply and the reason for the log.
type Refusal = (Errno, String);

fn refuse<T>(e: Errno, why: impl Into<String>) -> Result<T, Refusal> {
    Err((e, why.into()))
}

fn exact(p: &[u8], n: usize, what: &str) -> Result<(), Refusal> {
    if p.len() != n {
        return refuse(
            Errno::EINVAL,
            format!("{what} payload of {} bytes instead of {n}", p.len()),
        );
    }
    Ok(())
}

struct Session<'a> {
    backend: &'a dyn Backend,
    link: Arc<Link>,
    stats: Arc<Stats>,
    negotiated: bool,
    windows: Vec<Window>,
}

/// Serves the client on `sock` until it goes away. `Err` when the stream could no longer be
/// framed, or the socket failed in another way than the client leaving.
pub fn run(
    sock: UnixStream,
    backend: &dyn Backend,
    stats: Arc<Stats>,
    dma_timeout: Duration,
) -> Result<End, String> {
    let writer = sock
        .try_clone()
        .map_err(|e| format!("cannot share the socket: {e}"))?;
    let link = Arc::new(Link::new(writer, stats.clone(), dma_timeout));
    let mut s = Session {
        backend,
        link: link.clone(),
        stats,
        negotiated: false,
        windows: vec![],
    };
    let mut reader = Reader::new(sock);
    let result = s.serve(&mut reader);
    link.close();
    for w in s.windows.drain(..) {
        if w.file {
            backend.dma_unmap(w.bus, w.size);
        }
    }
    backend.disconnected();
    result
}

fn lost(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        std::io::ErrorKind::ConnectionReset
            | std::io::ErrorKind::BrokenPipe
            | std::io::ErrorKind::ConnectionAborted
    )
}

impl Session<'_> {
    fn serve(&mut self, reader: &mut Reader) -> Result<End, String> {
        loop {
            let next = match reader.next_message() {
                Ok(n) => n,
                Err(e) if lost(&e) => return Ok(End::Lost(e.to_string())),
                Err(e) => return Err(format!("reading from the client failed: {e}")),
            };
            let sent = match next {
                Read::Closed => return Ok(End::Closed),
                Read::Unframeable(why, header) => {
                    Stats::bump(&self.stats.errors);
                    if let Some(h) = header.filter(|h| h.kind() == flags::REQUEST && !h.no_reply())
                    {
                        // Answered, as far as it can be, before the session ends.
                        let _ = self.link.send(&error_reply(&h, Errno::EINVAL));
                    }
                    return Err(format!(
                        "malformed vfio-user message from the client: {why}; the stream can no \
                         longer be framed, session ended"
                    ));
                }
                Read::TooLarge(h) => self.refused(
                    &h,
                    Errno::E2BIG,
                    &format!(
                        "message of {} bytes, over the {MAX_MESSAGE}-byte limit; skipped",
                        h.size
                    ),
                ),
                Read::Message(f) => self.message(f),
            };
            match sent {
                Ok(()) => {}
                Err(e) if lost(&e) => return Ok(End::Lost(e.to_string())),
                Err(e) => return Err(format!("writing to the client failed: {e}")),
            }
        }
    }

    /// Logs and counts a refusal, and answers it unless the client asked for no reply.
    fn refused(&self, h: &Header, e: Errno, why: &str) -> std::io::Result<()> {
        Stats::bump(&self.stats.errors);
        let silent = h.kind() == flags::REQUEST && h.no_reply();
        crate::warn!(
            "vfio-user {} (id {}) refused with {e}{}: {why}",
            cmd::name(h.command),
            h.id,
            if silent { ", no reply as asked" } else { "" }
        );
        if silent {
            return Ok(());
        }
        self.link.send(&error_reply(h, e))
    }

    fn message(&mut self, f: Frame) -> std::io::Result<()> {
        let h = f.header;
        match h.kind() {
            flags::REPLY => {
                let reply = Reply {
                    header: h,
                    payload: f.payload,
                    had_fds: !f.fds.is_empty() || f.fds_truncated,
                };
                match self.link.route(reply) {
                    Routed::Delivered => Ok(()),
                    Routed::Late => {
                        crate::info!("late reply {} to a DMA request that timed out; dropped", h.id);
                        Ok(())
                    }
                    Routed::Unexpected => self.refused(
                        &h,
                        Errno::EINVAL,
                        "a reply where a request was expected: the server sent no request with this id",
                    ),
                }
            }
            flags::REQUEST => match self.request(&h, f.payload, f.fds, f.fds_truncated) {
                Ok(payload) if !h.no_reply() => {
                    let r = Header {
                        flags: flags::REPLY,
                        error: 0,
                        ..h
                    };
                    self.link.send(&message(r, &payload))
                }
                Ok(_) => Ok(()),
                Err((e, why)) => self.refused(&h, e, &why),
            },
            t => self.refused(
                &h,
                Errno::EINVAL,
                &format!("message type {t} is neither command nor reply"),
            ),
        }
    }

    fn request(
        &mut self,
        h: &Header,
        p: Vec<u8>,
        fds: Vec<std::os::fd::OwnedFd>,
        fds_truncated: bool,
    ) -> Result<Vec<u8>, Refusal> {
        let c = h.command;
        if fds_truncated {
            return refuse(
                Errno::EINVAL,
                "more file descriptors than any message may carry",
            );
        }
        let fds_allowed = match c {
            cmd::DMA_MAP => 1,
            cmd::DEVICE_SET_IRQS => super::wire::MAX_FDS,
            _ => 0,
        };
        if fds.len() > fds_allowed {
            return refuse(
                Errno::EINVAL,
                format!("{} file descriptors, {fds_allowed} allowed", fds.len()),
            );
        }
        let answers = matches!(
            c,
            cmd::VERSION
                | cmd::DEVICE_GET_INFO
                | cmd::DEVICE_GET_REGION_INFO
                | cmd::DEVICE_GET_IRQ_INFO
                | cmd::REGION_READ
        );
        if answers && h.no_reply() {
            return refuse(
                Errno::EINVAL,
                "asks for no reply, but its reply is its answer",
            );
        }
        match c {
            cmd::VERSION => return self.version(&p),
            cmd::DMA_READ | cmd::DMA_WRITE => {
                return refuse(
                    Errno::EINVAL,
                    "a server-to-client command sent by the client",
                )
            }
            cmd::DMA_MAP
            | cmd::DMA_UNMAP
            | cmd::DEVICE_GET_INFO
            | cmd::DEVICE_GET_REGION_INFO
            | cmd::DEVICE_GET_IRQ_INFO
            | cmd::DEVICE_SET_IRQS
            | cmd::REGION_READ
            | cmd::REGION_WRITE
            | cmd::DEVICE_RESET => {}
            cmd::DEVICE_GET_REGION_IO_FDS
            | cmd::REGION_WRITE_MULTI
            | cmd::DEVICE_FEATURE
            | cmd::MIG_DATA_READ
            | cmd::MIG_DATA_WRITE => {
                return refuse(Errno::ENOSYS, "not implemented by this server")
            }
            _ => return refuse(Errno::ENOSYS, format!("unknown command {c}")),
        }
        if !self.negotiated {
            return refuse(Errno::EINVAL, "sent before the version was negotiated");
        }
        let mut fds = fds.into_iter().map(File::from);
        match c {
            cmd::DMA_MAP => self.dma_map(&p, fds.next()),
            cmd::DMA_UNMAP => self.dma_unmap(&p),
            cmd::DEVICE_GET_INFO => self.device_info(&p),
            cmd::DEVICE_GET_REGION_INFO => self.region_info(&p),
            cmd::DEVICE_GET_IRQ_INFO => self.irq_info(&p),
            cmd::DEVICE_SET_IRQS => self.set_irqs(&p, fds.collect()),
            cmd::REGION_READ => self.region_read(&p),
            cmd::REGION_WRITE => self.region_write(&p),
            _ => {
                exact(&p, 0, "DEVICE_RESET")?;
                crate::info!("device reset by QEMU");
                self.backend.reset();
                Ok(vec![])
            }
        }
    }

    fn version(&mut self, p: &[u8]) -> Result<Vec<u8>, Refusal> {
        if self.negotiated {
            return refuse(Errno::EINVAL, "the version is already negotiated");
        }
        let proposal = caps::parse(p)?;
        let agreed = caps::agree(&proposal)?;
        crate::info!(
            "client speaks vfio-user {}.{} (capabilities {:?}); DMA requests of up to {} bytes",
            proposal.major,
            proposal.minor,
            proposal.names,
            agreed.dma_xfer
        );
        self.negotiated = true;
        self.link.open(agreed.dma_xfer);
        self.backend.connected(DmaPort::new(self.link.clone()));
        Ok(agreed.reply)
    }

    fn dma_map(&mut self, p: &[u8], file: Option<File>) -> Result<Vec<u8>, Refusal> {
        exact(p, 32, "DMA_MAP")?;
        let (argsz, fl, offset, bus, size) = (
            u32_at(p, 0),
            u32_at(p, 4),
            u64_at(p, 8),
            u64_at(p, 16),
            u64_at(p, 24),
        );
        if argsz != 32 {
            return refuse(Errno::EINVAL, format!("DMA_MAP argsz {argsz}, not 32"));
        }
        if fl & !(VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE) != 0 {
            return refuse(Errno::EINVAL, format!("DMA_MAP flags {fl:#x}"));
        }
        let Some(end) = bus.checked_add(size).filter(|_| size != 0) else {
            return refuse(
                Errno::EINVAL,
                format!("empty or wrapping DMA region {bus:#x}+{size:#x}"),
            );
        };
        if let Some(w) = self
            .windows
            .iter()
            .find(|w| w.bus < end && bus < w.bus + w.size)
        {
            return refuse(
                Errno::EEXIST,
                format!(
                    "{bus:#x}+{size:#x} overlaps the mapping {:#x}+{:#x}",
                    w.bus, w.size
                ),
            );
        }
        if self.windows.len() >= MAX_DMA_MAPS {
            return refuse(
                Errno::ENOSPC,
                format!("already {MAX_DMA_MAPS} DMA mappings"),
            );
        }
        crate::debug!(
            "DMA map {bus:#x}+{size:#x} (fd {}, offset {offset:#x})",
            file.is_some()
        );
        let has_file = file.is_some();
        match file {
            Some(f) => self
                .backend
                .dma_map(bus, size, offset, f)
                .map_err(|e| (e, format!("DMA map of {bus:#x}+{size:#x}")))?,
            // ROMs and other devices' BARs come without a file: the device reaches them only
            // by DMA_READ/DMA_WRITE. Guest RAM must be a shared memfd to come with one.
            None => crate::debug!(
                "DMA map of {bus:#x}+{size:#x} without a file: reachable only through the client"
            ),
        }
        self.windows.push(Window {
            bus,
            size,
            file: has_file,
        });
        Ok(vec![])
    }

    fn dma_unmap(&mut self, p: &[u8]) -> Result<Vec<u8>, Refusal> {
        exact(p, 24, "DMA_UNMAP")?;
        let (fl, bus, size) = (u32_at(p, 4), u64_at(p, 8), u64_at(p, 16));
        if fl & VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP != 0 {
            return refuse(Errno::ENOTSUP, "dirty page tracking is not supported");
        }
        if fl == VFIO_DMA_UNMAP_FLAG_ALL {
            if bus != 0 || size != 0 {
                return refuse(
                    Errno::EINVAL,
                    "DMA_UNMAP of all mappings with an address or size",
                );
            }
            crate::debug!("DMA unmap all ({} mappings)", self.windows.len());
            for w in self.windows.drain(..) {
                if w.file {
                    self.backend.dma_unmap(w.bus, w.size);
                }
            }
        } else if fl != 0 {
            return refuse(Errno::EINVAL, format!("DMA_UNMAP flags {fl:#x}"));
        } else if let Some(i) = self
            .windows
            .iter()
            .position(|w| w.bus == bus && w.size == size)
        {
            crate::debug!("DMA unmap {bus:#x}+{size:#x}");
            let w = self.windows.remove(i);
            if w.file {
                self.backend.dma_unmap(w.bus, w.size);
            }
        } else {
            // As the kernel's type1 IOMMU does, unmapping nothing succeeds.
            crate::debug!("DMA unmap of {bus:#x}+{size:#x}, which was not mapped");
        }
        Ok(p.to_vec())
    }

    fn device_info(&self, p: &[u8]) -> Result<Vec<u8>, Refusal> {
        exact(p, 16, "DEVICE_GET_INFO")?;
        if u32_at(p, 0) < 16 {
            return refuse(
                Errno::EINVAL,
                format!("argsz {} below the 16-byte reply", u32_at(p, 0)),
            );
        }
        if p[4..].iter().any(|&b| b != 0) {
            return refuse(
                Errno::EINVAL,
                "DEVICE_GET_INFO fields other than argsz are not zero",
            );
        }
        let info = self.backend.info();
        let mut r = Vec::with_capacity(16);
        for v in [
            16,
            info.flags,
            info.regions.len() as u32,
            info.irqs.len() as u32,
        ] {
            r.extend_from_slice(&v.to_ne_bytes());
        }
        Ok(r)
    }

    fn region_info(&self, p: &[u8]) -> Result<Vec<u8>, Refusal> {
        exact(p, 32, "DEVICE_GET_REGION_INFO")?;
        let (argsz, index) = (u32_at(p, 0), u32_at(p, 8));
        if argsz < 32 {
            return refuse(
                Errno::EINVAL,
                format!("argsz {argsz} below the 32-byte reply"),
            );
        }
        if p[4..8].iter().chain(&p[12..]).any(|&b| b != 0) {
            return refuse(
                Errno::EINVAL,
                "DEVICE_GET_REGION_INFO fields other than argsz and index are not zero",
            );
        }
        let Some(r) = self.backend.info().regions.get(index as usize) else {
            return refuse(
                Errno::EINVAL,
                format!("region {index}, which the device does not have"),
            );
        };
        let mut out = Vec::with_capacity(32);
        for v in [32, r.flags, index, 0] {
            out.extend_from_slice(&v.to_ne_bytes());
        }
        out.extend_from_slice(&r.size.to_ne_bytes());
        out.extend_from_slice(&0u64.to_ne_bytes());
        Ok(out)
    }

    fn irq_info(&self, p: &[u8]) -> Result<Vec<u8>, Refusal> {
        exact(p, 16, "DEVICE_GET_IRQ_INFO")?;
        let (argsz, index) = (u32_at(p, 0), u32_at(p, 8));
        if argsz < 16 {
            return refuse(
                Errno::EINVAL,
                format!("argsz {argsz} below the 16-byte reply"),
            );
        }
        if u32_at(p, 4) != 0 || u32_at(p, 12) != 0 {
            return refuse(
                Errno::EINVAL,
                "DEVICE_GET_IRQ_INFO flags or count are not zero",
            );
        }
        let Some(i) = self.backend.info().irqs.get(index as usize) else {
            return refuse(
                Errno::EINVAL,
                format!("interrupt type {index}, which the device does not have"),
            );
        };
        let mut out = Vec::with_capacity(16);
        for v in [16, i.flags, index, i.count] {
            out.extend_from_slice(&v.to_ne_bytes());
        }
        Ok(out)
    }

    fn set_irqs(&self, p: &[u8], fds: Vec<File>) -> Result<Vec<u8>, Refusal> {
        if p.len() < 20 {
            return refuse(
                Errno::EINVAL,
                format!("SET_IRQS payload of {} bytes, under 20", p.len()),
            );
        }
        let (argsz, fl, index, start, count) = (
            u32_at(p, 0),
            u32_at(p, 4),
            u32_at(p, 8),
            u32_at(p, 12),
            u32_at(p, 16),
        );
        let (data, action) = (
            fl & VFIO_IRQ_SET_DATA_TYPE_MASK,
            fl & VFIO_IRQ_SET_ACTION_TYPE_MASK,
        );
        let known = VFIO_IRQ_SET_DATA_TYPE_MASK | VFIO_IRQ_SET_ACTION_TYPE_MASK;
        if fl & !known != 0 || data.count_ones() != 1 || action.count_ones() != 1 {
            return refuse(
                Errno::EINVAL,
                format!("SET_IRQS flags {fl:#x}: one data and one action flag"),
            );
        }
        if data == VFIO_IRQ_SET_DATA_BOOL {
            return refuse(
                Errno::ENOTSUP,
                "SET_IRQS with boolean data is not supported",
            );
        }
        exact(p, 20, "SET_IRQS")?;
        if argsz < 20 {
            return refuse(Errno::EINVAL, format!("SET_IRQS argsz {argsz}, under 20"));
        }
        let Some(irq) = self.backend.info().irqs.get(index as usize) else {
            return refuse(
                Errno::EINVAL,
                format!("interrupt type {index}, which the device does not have"),
            );
        };
        if data != VFIO_IRQ_SET_DATA_EVENTFD && !fds.is_empty() {
            return refuse(
                Errno::EINVAL,
                format!("{} file descriptors without eventfd data", fds.len()),
            );
        }
        if action == VFIO_IRQ_SET_ACTION_MASK || action == VFIO_IRQ_SET_ACTION_UNMASK {
            debug_assert_eq!(irq.flags & VFIO_IRQ_INFO_MASKABLE, 0);
            return refuse(
                Errno::EINVAL,
                format!("interrupt type {index} is not maskable"),
            );
        }
        debug_assert_eq!(action, VFIO_IRQ_SET_ACTION_TRIGGER);
        crate::debug!(
            "SET_IRQS index {index} flags {fl:#x} start {start} count {count} fds {}",
            fds.len()
        );
        if count == 0 {
            if start != 0 || !fds.is_empty() {
                return refuse(
                    Errno::EINVAL,
                    "SET_IRQS disabling all vectors with a start or descriptors",
                );
            }
            self.backend.disable_irqs(index);
            return Ok(vec![]);
        }
        if start.checked_add(count).is_none_or(|end| end > irq.count) {
            return refuse(
                Errno::EINVAL,
                format!(
                    "SET_IRQS for index {index} vectors {start}+{count}: the type has {} vectors",
                    irq.count
                ),
            );
        }
        if data == VFIO_IRQ_SET_DATA_NONE {
            for v in start..start + count {
                self.backend.trigger_irq(index, v);
            }
        } else if fds.is_empty() {
            for v in start..start + count {
                self.backend.set_irq(index, v, None);
            }
        } else if fds.len() == count as usize {
            for (v, f) in (start..).zip(fds) {
                self.backend.set_irq(index, v, Some(f));
            }
        } else {
            return refuse(
                Errno::EINVAL,
                format!("{} eventfds for {count} vectors", fds.len()),
            );
        }
        Ok(vec![])
    }

    /// Checks a region access; returns region, offset and count.
    fn access(&self, p: &[u8], write: bool) -> Result<(u32, u64, u32), Refusal> {
        let (what, need) = if write {
            ("write", VFIO_REGION_INFO_FLAG_WRITE)
        } else {
            ("read", VFIO_REGION_INFO_FLAG_READ)
        };
        if p.len() < 16 {
            return refuse(
                Errno::EINVAL,
                format!("region {what} payload of {} bytes, under 16", p.len()),
            );
        }
        let (offset, region, count) = (u64_at(p, 0), u32_at(p, 8), u32_at(p, 12));
        let r = self
            .backend
            .info()
            .regions
            .get(region as usize)
            .filter(|r| r.size != 0);
        let Some(r) = r else {
            return refuse(
                Errno::EINVAL,
                format!("{what} of region {region}, which the device does not have"),
            );
        };
        if r.flags & need == 0 {
            return refuse(
                Errno::EINVAL,
                format!("{what} of region {region}, which does not allow it"),
            );
        }
        if count > MAX_DATA_XFER {
            return refuse(
                Errno::E2BIG,
                format!("{what} of {count} bytes refused: over max_data_xfer_size {MAX_DATA_XFER}"),
            );
        }
        if count == 0 {
            return refuse(Errno::EINVAL, format!("{what} of 0 bytes"));
        }
        if offset
            .checked_add(count as u64)
            .is_none_or(|end| end > r.size)
        {
            return refuse(
                Errno::EINVAL,
                format!("{what} of {count} bytes at {offset:#x} runs past the end of region {region} ({:#x} bytes)", r.size),
            );
        }
        Ok((region, offset, count))
    }

    fn region_read(&self, p: &[u8]) -> Result<Vec<u8>, Refusal> {
        let (region, offset, count) = self.access(p, false)?;
        exact(p, 16, "REGION_READ")?;
        let mut out = vec![0u8; 16 + count as usize];
        out[..16].copy_from_slice(p);
        self.backend.region_read(region, offset, &mut out[16..]);
        Ok(out)
    }

    fn region_write(&self, p: &[u8]) -> Result<Vec<u8>, Refusal> {
        let (region, offset, count) = self.access(p, true)?;
        exact(p, 16 + count as usize, "REGION_WRITE")?;
        self.backend.region_write(region, offset, &p[16..]);
        Ok(p[..16].to_vec())
    }
}

/// The error reply to `h`: its id and command, the Reply and Error flags, `e`.
pub fn error_reply(h: &Header, e: Errno) -> Vec<u8> {
    message(
        Header {
            id: h.id,
            command: h.command,
            size: 0,
            flags: flags::REPLY | flags::ERROR,
            error: e.0 as u32,
        },
        &[],
    )
}
