// SPDX-License-Identifier: GPL-2.0
//! The server's own requests: `VFIO_USER_DMA_READ` and `VFIO_USER_DMA_WRITE`, by which the
//! device reaches client memory that was not shared as a file, such as another device's BAR
//! (QEMU carries them out with a DMA in the device's PCI address space, so peer-to-peer
//! transfers go through them).
//!
//! The socket is shared: the session thread writes its replies and any thread may send a
//! request, each message whole under one lock. The session thread, which reads everything
//! the client sends, hands each reply to the request waiting for its message id. A request
//! waits at most [`Link::timeout`]; a reply that comes later is dropped with a note.
//!
//! So a request must never be made from the session thread itself (it would wait for a reply
//! that only it can read): such a request fails at once with [`DmaError::SelfWait`]. And the
//! thread that makes one must hold nothing the session thread needs to serve the client in
//! the meantime (the device's locks): QEMU may have to wait for one of its own requests to be
//! answered before it serves ours. The device's engines make their requests from the engine
//! thread with no lock held (see `engine.rs`).

use super::{cmd, flags, message, u64_at, Errno, Header, Stats};
use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::os::unix::net::UnixStream;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::mpsc::{sync_channel, RecvTimeoutError, SyncSender};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::ThreadId;
use std::time::Duration;

/// How long a DMA request waits for its reply by default (QEMU waits as long for its own).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);

/// Why a DMA request to the client failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DmaError {
    /// The client answered with an error (QEMU: EFAULT, ENODEV or EPERM from its memory
    /// transaction, E2BIG for a transfer it finds too large).
    Refused(Errno),
    /// The reply did not fit the request.
    BadReply(String),
    /// No reply in time.
    Timeout,
    /// The session has ended (or not begun): there is no client to ask.
    Disconnected,
    /// Asked from the session thread, which reads the replies: it would wait for itself.
    SelfWait,
}

impl std::fmt::Display for DmaError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DmaError::Refused(e) => write!(f, "the client refused it with {e}"),
            DmaError::BadReply(why) => write!(f, "bad reply: {why}"),
            DmaError::Timeout => write!(f, "no reply in time"),
            DmaError::Disconnected => write!(f, "no client"),
            DmaError::SelfWait => write!(
                f,
                "asked from the thread that reads the client's replies, which would wait for itself"
            ),
        }
    }
}

/// A reply handed from the session thread to a waiting request.
#[derive(Debug)]
pub struct Reply {
    /// Its header.
    pub header: Header,
    /// Its payload.
    pub payload: Vec<u8>,
    /// It came with descriptors (which no reply to a DMA request may carry).
    pub had_fds: bool,
}

#[derive(Default)]
struct Pending {
    waiting: HashMap<u16, SyncSender<Reply>>,
    /// Ids whose requests gave up waiting: a late reply to one is dropped, not refused.
    abandoned: HashSet<u16>,
    next_id: u16,
    closed: bool,
}

/// What routing a reply from the client found.
#[derive(Debug, PartialEq, Eq)]
pub enum Routed {
    /// A request was waiting for it.
    Delivered,
    /// Its request had timed out; it was dropped.
    Late,
    /// No request of the server has this id.
    Unexpected,
}

/// The session's socket, shared for writing, and the requests waiting for replies.
pub struct Link {
    writer: Mutex<UnixStream>,
    pending: Mutex<Pending>,
    /// Largest `count` of one request (the client's `max_data_xfer_size`, bounded by ours);
    /// 0 until the version is negotiated.
    xfer: AtomicU32,
    /// How long a request waits for its reply.
    pub timeout: Duration,
    stats: Arc<Stats>,
    /// The session thread, which reads the client's messages.
    reader: ThreadId,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Link {
    /// A link writing to `writer`, counting into `stats`. The calling thread is the session
    /// thread: the one that reads the client's messages and routes the replies.
    pub fn new(writer: UnixStream, stats: Arc<Stats>, timeout: Duration) -> Link {
        Link {
            writer: Mutex::new(writer),
            pending: Mutex::new(Pending::default()),
            xfer: AtomicU32::new(0),
            timeout,
            stats,
            reader: std::thread::current().id(),
        }
    }

    /// Writes one whole message.
    pub fn send(&self, bytes: &[u8]) -> std::io::Result<()> {
        lock(&self.writer).write_all(bytes)
    }

    /// Allows DMA requests of up to `xfer` bytes each (after the version is negotiated).
    pub fn open(&self, xfer: u32) {
        self.xfer.store(xfer, Ordering::Relaxed);
    }

    /// Ends the link: waiting requests fail with [`DmaError::Disconnected`], new ones too.
    pub fn close(&self) {
        let mut p = lock(&self.pending);
        p.closed = true;
        p.waiting.clear();
    }

    /// Hands a reply from the client to the request waiting for it.
    pub fn route(&self, reply: Reply) -> Routed {
        let mut p = lock(&self.pending);
        let id = reply.header.id;
        if let Some(tx) = p.waiting.remove(&id) {
            // The channel has room for one reply and the waiter may have just given up;
            // either way the id is free again.
            let _ = tx.try_send(reply);
            Routed::Delivered
        } else if p.abandoned.remove(&id) {
            Routed::Late
        } else {
            Routed::Unexpected
        }
    }

    /// Sends one request and waits for its reply.
    fn call(&self, command: u16, payload: &[u8]) -> Result<Reply, DmaError> {
        if std::thread::current().id() == self.reader {
            return Err(DmaError::SelfWait);
        }
        let (tx, rx) = sync_channel(1);
        let id = {
            let mut p = lock(&self.pending);
            if p.closed {
                return Err(DmaError::Disconnected);
            }
            // Message ids are the sender's own; skip ids still in use.
            let mut id = p.next_id;
            while p.waiting.contains_key(&id) || p.abandoned.contains(&id) {
                id = id.wrapping_add(1);
            }
            p.next_id = id.wrapping_add(1);
            p.waiting.insert(id, tx);
            id
        };
        let header = Header {
            id,
            command,
            flags: flags::REQUEST,
            ..Default::default()
        };
        Stats::bump(&self.stats.dma_requests);
        if self.send(&message(header, payload)).is_err() {
            lock(&self.pending).waiting.remove(&id);
            return Err(DmaError::Disconnected);
        }
        match rx.recv_timeout(self.timeout) {
            Ok(r) => Ok(r),
            Err(RecvTimeoutError::Timeout) => {
                let mut p = lock(&self.pending);
                if p.waiting.remove(&id).is_some() {
                    p.abandoned.insert(id);
                    return Err(DmaError::Timeout);
                }
                drop(p);
                // The reply was routed just as the wait ended.
                rx.try_recv().map_err(|_| DmaError::Timeout)
            }
            Err(RecvTimeoutError::Disconnected) => Err(DmaError::Disconnected),
        }
    }

    /// Checks a reply's header against the request it answers.
    fn check(command: u16, r: &Reply) -> Result<(), DmaError> {
        if r.header.is_error() {
            return Err(DmaError::Refused(Errno(r.header.error as i32)));
        }
        if r.header.command != command {
            return Err(DmaError::BadReply(format!(
                "reply to {} is for command {}",
                cmd::name(command),
                r.header.command
            )));
        }
        if r.had_fds {
            return Err(DmaError::BadReply(
                "reply came with file descriptors".into(),
            ));
        }
        Ok(())
    }

    fn chunk(&self) -> Result<usize, DmaError> {
        match self.xfer.load(Ordering::Relaxed) {
            0 => Err(DmaError::Disconnected),
            n => Ok(n as usize),
        }
    }

    fn failed<T>(&self, e: DmaError, what: &str, addr: u64, len: usize) -> Result<T, DmaError> {
        Stats::bump(&self.stats.dma_failures);
        crate::warn!("DMA {what} of {len} bytes at client address {addr:#x} failed: {e}");
        Err(e)
    }

    fn read_chunk(&self, addr: u64, out: &mut [u8]) -> Result<(), DmaError> {
        let mut req = [0u8; 16];
        req[0..8].copy_from_slice(&addr.to_ne_bytes());
        req[8..16].copy_from_slice(&(out.len() as u64).to_ne_bytes());
        let r = self.call(cmd::DMA_READ, &req)?;
        Self::check(cmd::DMA_READ, &r)?;
        let p = &r.payload;
        if p.len() != 16 + out.len() || u64_at(p, 0) != addr || u64_at(p, 8) != out.len() as u64 {
            return Err(DmaError::BadReply(format!(
                "DMA_READ reply of {} payload bytes for {} bytes at {addr:#x}",
                p.len(),
                out.len()
            )));
        }
        out.copy_from_slice(&p[16..]);
        Ok(())
    }

    fn write_chunk(&self, addr: u64, data: &[u8]) -> Result<(), DmaError> {
        let mut req = Vec::with_capacity(16 + data.len());
        req.extend_from_slice(&addr.to_ne_bytes());
        req.extend_from_slice(&(data.len() as u64).to_ne_bytes());
        req.extend_from_slice(data);
        let r = self.call(cmd::DMA_WRITE, &req)?;
        Self::check(cmd::DMA_WRITE, &r)?;
        // The specification's reply echoes address and count; QEMU 11.1 replies with the
        // header alone. Both are taken; anything echoed must match.
        let p = &r.payload;
        let echoed_ok = match p.len() {
            0 => true,
            12 | 16 => u64_at(p, 0) == addr && (p.len() == 12 || u64_at(p, 8) == data.len() as u64),
            _ => false,
        };
        if !echoed_ok {
            return Err(DmaError::BadReply(format!(
                "DMA_WRITE reply of {} payload bytes for {} bytes at {addr:#x}",
                p.len(),
                data.len()
            )));
        }
        Ok(())
    }
}

/// A handle the device uses to reach client memory by DMA_READ and DMA_WRITE. Cheap to
/// clone; it fails with [`DmaError::Disconnected`] once its session has ended.
///
/// Call it with no device lock held, and not from the session thread: while it waits, the
/// session thread must stay free to route the reply and to serve the client's requests (QEMU
/// may be waiting on one before it answers).
#[derive(Clone)]
pub struct DmaPort {
    link: Arc<Link>,
}

impl DmaPort {
    /// A port sending through `link`.
    pub fn new(link: Arc<Link>) -> DmaPort {
        DmaPort { link }
    }

    /// Reads `out.len()` bytes of client memory at bus address `addr`, in requests of at
    /// most the negotiated transfer size.
    pub fn read(&self, addr: u64, out: &mut [u8]) -> Result<(), DmaError> {
        let n = out.len();
        let chunk = self
            .link
            .chunk()
            .or_else(|e| self.link.failed(e, "read", addr, n))?;
        if addr.checked_add(n as u64).is_none() {
            return self
                .link
                .failed(DmaError::Refused(Errno::EINVAL), "read", addr, n);
        }
        for (i, piece) in out.chunks_mut(chunk).enumerate() {
            let at = addr + (i * chunk) as u64;
            if let Err(e) = self.link.read_chunk(at, piece) {
                return self.link.failed(e, "read", at, piece.len());
            }
        }
        Ok(())
    }

    /// Writes `data` to client memory at bus address `addr`, in requests of at most the
    /// negotiated transfer size; each is answered before the next is sent, so a later MSI
    /// cannot overtake the data.
    pub fn write(&self, addr: u64, data: &[u8]) -> Result<(), DmaError> {
        let n = data.len();
        let chunk = self
            .link
            .chunk()
            .or_else(|e| self.link.failed(e, "write", addr, n))?;
        if addr.checked_add(n as u64).is_none() {
            return self
                .link
                .failed(DmaError::Refused(Errno::EINVAL), "write", addr, n);
        }
        for (i, piece) in data.chunks(chunk).enumerate() {
            let at = addr + (i * chunk) as u64;
            if let Err(e) = self.link.write_chunk(at, piece) {
                return self.link.failed(e, "write", at, piece.len());
            }
        }
        Ok(())
    }
}
