// SPDX-License-Identifier: GPL-2.0
//! The vfio-user protocol, server side, as QEMU's `docs/interop/vfio-user.rst` specifies it.
//!
//! * [`session`] frames the client's messages, checks every field, answers each request (or
//!   refuses it with an error reply carrying an errno) and hands the device-facing part to a
//!   [`session::Backend`]. A malformed message is answered, logged and counted, and the session
//!   goes on; only a stream that can no longer be framed ends it.
//! * [`dma`] sends the server's own requests, `VFIO_USER_DMA_READ` and `VFIO_USER_DMA_WRITE`,
//!   and matches the client's replies to them by message id.
//! * [`caps`] negotiates the version and capabilities; [`wire`] moves bytes and file
//!   descriptors (`SCM_RIGHTS`) over the UNIX socket.
//!
//! All integers are in the host's byte order, as the specification says.

pub mod caps;
pub mod dma;
pub mod session;
pub mod wire;

#[cfg(test)]
pub(crate) mod testing;
#[cfg(test)]
mod tests;

use std::sync::atomic::{AtomicU64, Ordering};

/// Size of the header every message starts with.
pub const HEADER_SIZE: usize = 16;

/// Largest `count` of one data transfer (region access, DMA read or write) the server takes
/// or sends: what it advertises as `max_data_xfer_size`. MMIO and configuration accesses are a
/// few bytes; larger ones are refused before anything is touched.
pub const MAX_DATA_XFER: u32 = 64 << 10;

/// Largest message the server reads: a data transfer of [`MAX_DATA_XFER`] bytes after its
/// header and its 16-byte description. A larger one is refused with `E2BIG` and skipped.
pub const MAX_MESSAGE: u32 = HEADER_SIZE as u32 + 16 + MAX_DATA_XFER;

/// Command numbers (the specification's table of commands).
pub mod cmd {
    /// Version and capability negotiation.
    pub const VERSION: u16 = 1;
    /// The client makes memory available for DMA.
    pub const DMA_MAP: u16 = 2;
    /// The client takes memory back.
    pub const DMA_UNMAP: u16 = 3;
    /// Device flags and numbers of regions and interrupt types.
    pub const DEVICE_GET_INFO: u16 = 4;
    /// One region's flags and size.
    pub const DEVICE_GET_REGION_INFO: u16 = 5;
    /// ioeventfd and ioregionfd set-up (not implemented here).
    pub const DEVICE_GET_REGION_IO_FDS: u16 = 6;
    /// One interrupt type's flags and count.
    pub const DEVICE_GET_IRQ_INFO: u16 = 7;
    /// Interrupt actions (eventfds, triggers).
    pub const DEVICE_SET_IRQS: u16 = 8;
    /// A read of a device region.
    pub const REGION_READ: u16 = 9;
    /// A write to a device region.
    pub const REGION_WRITE: u16 = 10;
    /// Server to client: read client memory.
    pub const DMA_READ: u16 = 11;
    /// Server to client: write client memory.
    pub const DMA_WRITE: u16 = 12;
    /// Device reset.
    pub const DEVICE_RESET: u16 = 13;
    /// Coalesced region writes (only sent to servers that advertise `write_multiple`).
    pub const REGION_WRITE_MULTI: u16 = 15;
    /// Device features (migration and dirty logging only).
    pub const DEVICE_FEATURE: u16 = 16;
    /// Migration data out.
    pub const MIG_DATA_READ: u16 = 17;
    /// Migration data in.
    pub const MIG_DATA_WRITE: u16 = 18;

    /// The command's name, for logs.
    pub fn name(c: u16) -> &'static str {
        match c {
            VERSION => "VERSION",
            DMA_MAP => "DMA_MAP",
            DMA_UNMAP => "DMA_UNMAP",
            DEVICE_GET_INFO => "DEVICE_GET_INFO",
            DEVICE_GET_REGION_INFO => "DEVICE_GET_REGION_INFO",
            DEVICE_GET_REGION_IO_FDS => "DEVICE_GET_REGION_IO_FDS",
            DEVICE_GET_IRQ_INFO => "DEVICE_GET_IRQ_INFO",
            DEVICE_SET_IRQS => "DEVICE_SET_IRQS",
            REGION_READ => "REGION_READ",
            REGION_WRITE => "REGION_WRITE",
            DMA_READ => "DMA_READ",
            DMA_WRITE => "DMA_WRITE",
            DEVICE_RESET => "DEVICE_RESET",
            REGION_WRITE_MULTI => "REGION_WRITE_MULTI",
            DEVICE_FEATURE => "DEVICE_FEATURE",
            MIG_DATA_READ => "MIG_DATA_READ",
            MIG_DATA_WRITE => "MIG_DATA_WRITE",
            _ => "unknown",
        }
    }
}

/// Header flag bits.
pub mod flags {
    /// The message-type field (bits 0-3).
    pub const TYPE_MASK: u32 = 0xf;
    /// Type: a command.
    pub const REQUEST: u32 = 0;
    /// Type: a reply.
    pub const REPLY: u32 = 1;
    /// The sender wants no reply to this command.
    pub const NO_REPLY: u32 = 1 << 4;
    /// The reply reports an error; the header's error field holds an errno.
    pub const ERROR: u32 = 1 << 5;
}

/// The header of every message.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Header {
    /// Message id, chosen by the sender of a command and echoed in its reply.
    pub id: u16,
    /// Command number ([`cmd`]).
    pub command: u16,
    /// Size of the whole message, header included.
    pub size: u32,
    /// [`flags`].
    pub flags: u32,
    /// errno of an error reply.
    pub error: u32,
}

impl Header {
    /// Decodes a header.
    pub fn parse(b: &[u8; HEADER_SIZE]) -> Header {
        Header {
            id: u16::from_ne_bytes([b[0], b[1]]),
            command: u16::from_ne_bytes([b[2], b[3]]),
            size: u32_at(b, 4),
            flags: u32_at(b, 8),
            error: u32_at(b, 12),
        }
    }

    /// Encodes the header.
    pub fn encode(&self) -> [u8; HEADER_SIZE] {
        let mut b = [0u8; HEADER_SIZE];
        b[0..2].copy_from_slice(&self.id.to_ne_bytes());
        b[2..4].copy_from_slice(&self.command.to_ne_bytes());
        b[4..8].copy_from_slice(&self.size.to_ne_bytes());
        b[8..12].copy_from_slice(&self.flags.to_ne_bytes());
        b[12..16].copy_from_slice(&self.error.to_ne_bytes());
        b
    }

    /// The message type ([`flags::REQUEST`], [`flags::REPLY`] or an invalid value).
    pub fn kind(&self) -> u32 {
        self.flags & flags::TYPE_MASK
    }

    /// Whether the sender asked for no reply.
    pub fn no_reply(&self) -> bool {
        self.flags & flags::NO_REPLY != 0
    }

    /// Whether this reply reports an error.
    pub fn is_error(&self) -> bool {
        self.flags & flags::ERROR != 0
    }
}

/// A whole message: `header` followed by `payload`, with `header.size` set to fit.
pub fn message(mut header: Header, payload: &[u8]) -> Vec<u8> {
    header.size = (HEADER_SIZE + payload.len()) as u32;
    let mut m = Vec::with_capacity(header.size as usize);
    m.extend_from_slice(&header.encode());
    m.extend_from_slice(payload);
    m
}

/// The u32 at `off` in `b` (host byte order); the caller has checked the length.
pub(crate) fn u32_at(b: &[u8], off: usize) -> u32 {
    u32::from_ne_bytes([b[off], b[off + 1], b[off + 2], b[off + 3]])
}

/// The u64 at `off` in `b` (host byte order); the caller has checked the length.
pub(crate) fn u64_at(b: &[u8], off: usize) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[off..off + 8]);
    u64::from_ne_bytes(a)
}

/// An errno as carried in an error reply.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Errno(pub i32);

impl Errno {
    /// Invalid argument: a malformed message or a field out of range.
    pub const EINVAL: Errno = Errno(libc::EINVAL);
    /// Command not implemented.
    pub const ENOSYS: Errno = Errno(libc::ENOSYS);
    /// A transfer larger than the peer's `max_data_xfer_size`, or a message too large.
    pub const E2BIG: Errno = Errno(libc::E2BIG);
    /// A DMA mapping over an existing one.
    pub const EEXIST: Errno = Errno(libc::EEXIST);
    /// A valid request for something the server does not support.
    pub const ENOTSUP: Errno = Errno(libc::ENOTSUP);
    /// No room for another DMA mapping.
    pub const ENOSPC: Errno = Errno(libc::ENOSPC);

    /// The errno of an I/O error, EINVAL if it has none.
    pub fn from_io(e: &std::io::Error) -> Errno {
        Errno(e.raw_os_error().unwrap_or(libc::EINVAL))
    }
}

impl std::fmt::Display for Errno {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "errno {} ({})",
            self.0,
            std::io::Error::from_raw_os_error(self.0)
        )
    }
}

/// What the vfio-user side counted; read through the control socket's `stats`.
#[derive(Debug, Default)]
pub struct Stats {
    /// Client messages refused as malformed or unsupported (answered with an error reply
    /// where the message could be answered), and streams that could no longer be framed.
    pub errors: AtomicU64,
    /// DMA_READ and DMA_WRITE requests sent to the client.
    pub dma_requests: AtomicU64,
    /// Of those, the ones that failed: an error reply, a bad reply, a timeout or a lost client.
    pub dma_failures: AtomicU64,
}

impl Stats {
    /// Adds one to `c`.
    pub fn bump(c: &AtomicU64) {
        c.fetch_add(1, Ordering::Relaxed);
    }

    /// The counters, as `name=value` words.
    pub fn words(&self) -> String {
        format!(
            "vfio_user_errors={} client_dma_requests={} client_dma_failures={}",
            self.errors.load(Ordering::Relaxed),
            self.dma_requests.load(Ordering::Relaxed),
            self.dma_failures.load(Ordering::Relaxed)
        )
    }
}
