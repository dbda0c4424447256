// SPDX-License-Identifier: GPL-2.0
//! Bytes and file descriptors over the UNIX socket, and the framing of messages.
//!
//! A message is its 16-byte header and then `size - 16` bytes. File descriptors travel as
//! `SCM_RIGHTS` ancillary data with the message's bytes; they are collected whichever read of
//! the message brings them.

use super::{Header, HEADER_SIZE, MAX_MESSAGE};
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::net::UnixStream;

/// Most file descriptors one message may bring; more are discarded by the kernel (the
/// message is then refused as carrying the wrong number).
pub const MAX_FDS: usize = 8;

/// Bytes received by one `recvmsg`, with the descriptors that came along.
struct Received {
    bytes: usize,
    /// The kernel dropped descriptors that did not fit (`MSG_CTRUNC`).
    truncated: bool,
}

/// Receives up to `buf.len()` bytes, appending any descriptors to `fds`. Retries on EINTR.
fn recv_some(sock: RawFd, buf: &mut [u8], fds: &mut Vec<OwnedFd>) -> io::Result<Received> {
    // Room for MAX_FDS descriptors, as u64s so that the buffer is aligned for `cmsghdr`.
    // SAFETY: CMSG_SPACE only computes a size.
    let space = unsafe { libc::CMSG_SPACE((MAX_FDS * std::mem::size_of::<RawFd>()) as u32) };
    let mut control = vec![0u64; (space as usize).div_ceil(8)];
    let mut iov = libc::iovec {
        iov_base: buf.as_mut_ptr().cast(),
        iov_len: buf.len(),
    };
    loop {
        // SAFETY: an all-zero msghdr is a valid empty one; the pointers set below stay
        // valid for the call (iov and control live until the end of this function).
        let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
        msg.msg_iov = &mut iov;
        msg.msg_iovlen = 1;
        msg.msg_control = control.as_mut_ptr().cast();
        msg.msg_controllen = control.len() * 8;
        // SAFETY: `sock` is an open socket owned by the caller; `msg` describes writable
        // buffers of the lengths given.
        let n = unsafe { libc::recvmsg(sock, &mut msg, libc::MSG_CMSG_CLOEXEC) };
        if n < 0 {
            let e = io::Error::last_os_error();
            if e.kind() == io::ErrorKind::Interrupted {
                continue;
            }
            return Err(e);
        }
        // SAFETY: `msg` was filled by recvmsg; the CMSG macros walk the control buffer it
        // describes and never past `msg_controllen`.
        let mut c = unsafe { libc::CMSG_FIRSTHDR(&msg) };
        while !c.is_null() {
            // SAFETY: `c` is a header inside the control buffer (CMSG_FIRSTHDR/NXTHDR).
            let (level, kind, len) = unsafe { ((*c).cmsg_level, (*c).cmsg_type, (*c).cmsg_len) };
            if level == libc::SOL_SOCKET && kind == libc::SCM_RIGHTS {
                // SAFETY: CMSG_LEN only computes a size.
                let head = unsafe { libc::CMSG_LEN(0) } as usize;
                let count = len.saturating_sub(head) / std::mem::size_of::<RawFd>();
                // SAFETY: the data of an SCM_RIGHTS header holds `count` descriptors.
                let data = unsafe { libc::CMSG_DATA(c) }.cast::<RawFd>();
                for i in 0..count {
                    // SAFETY: in bounds (see above); read unaligned, as the data need not be.
                    let fd = unsafe { data.add(i).read_unaligned() };
                    // SAFETY: the kernel installed `fd` for us just now; nothing else owns it.
                    fds.push(unsafe { OwnedFd::from_raw_fd(fd) });
                }
            }
            // SAFETY: as for CMSG_FIRSTHDR.
            c = unsafe { libc::CMSG_NXTHDR(&msg, c) };
        }
        return Ok(Received {
            bytes: n as usize,
            truncated: msg.msg_flags & libc::MSG_CTRUNC != 0,
        });
    }
}

/// One framed message from the client.
#[derive(Debug)]
pub struct Frame {
    /// Its header.
    pub header: Header,
    /// Everything after the header (`header.size - 16` bytes).
    pub payload: Vec<u8>,
    /// Descriptors that came with it.
    pub fds: Vec<OwnedFd>,
    /// More descriptors came than [`MAX_FDS`]; the kernel dropped the rest.
    pub fds_truncated: bool,
}

/// What reading the next message gave.
#[derive(Debug)]
pub enum Read {
    /// A whole message.
    Message(Frame),
    /// A message larger than [`MAX_MESSAGE`]: its bytes were read and thrown away, so the
    /// stream is still framed; the header is kept to refuse it.
    TooLarge(Header),
    /// The client closed the connection between two messages.
    Closed,
    /// The stream can no longer be framed; the reason, and the header if one was read (to
    /// answer it before ending the session).
    Unframeable(String, Option<Header>),
}

/// Reads messages from the client's socket.
pub struct Reader {
    sock: UnixStream,
}

impl Reader {
    /// Reads from `sock`.
    pub fn new(sock: UnixStream) -> Reader {
        Reader { sock }
    }

    /// Fills `buf` unless the stream ends first; returns the bytes read.
    fn fill(
        &mut self,
        buf: &mut [u8],
        fds: &mut Vec<OwnedFd>,
        trunc: &mut bool,
    ) -> io::Result<usize> {
        let mut got = 0;
        while got < buf.len() {
            let r = recv_some(self.sock.as_raw_fd(), &mut buf[got..], fds)?;
            *trunc |= r.truncated;
            if r.bytes == 0 {
                break;
            }
            got += r.bytes;
        }
        Ok(got)
    }

    /// Reads the next message. I/O errors (a reset connection) are returned as they are.
    pub fn next_message(&mut self) -> io::Result<Read> {
        let mut fds = Vec::new();
        let mut trunc = false;
        let mut hb = [0u8; HEADER_SIZE];
        let got = self.fill(&mut hb, &mut fds, &mut trunc)?;
        if got == 0 {
            return Ok(Read::Closed);
        }
        if got < HEADER_SIZE {
            return Ok(Read::Unframeable(
                format!(
                    "truncated header: the stream ended after {got} of its {HEADER_SIZE} bytes"
                ),
                None,
            ));
        }
        let header = Header::parse(&hb);
        if (header.size as usize) < HEADER_SIZE {
            return Ok(Read::Unframeable(
                format!(
                    "message size {} is smaller than its own header, so where the next message \
                     starts is unknown",
                    header.size
                ),
                Some(header),
            ));
        }
        let body = header.size as usize - HEADER_SIZE;
        if header.size > MAX_MESSAGE {
            // Skip the body in pieces; descriptors that come with it are closed on drop.
            let mut scratch = vec![0u8; 64 << 10];
            let mut left = body;
            while left > 0 {
                let n = left.min(scratch.len());
                let got = self.fill(&mut scratch[..n], &mut fds, &mut trunc)?;
                if got < n {
                    return Ok(Read::Unframeable(
                        format!(
                            "the stream ended inside a {}-byte message being skipped",
                            header.size
                        ),
                        Some(header),
                    ));
                }
                left -= n;
                fds.clear();
            }
            return Ok(Read::TooLarge(header));
        }
        let mut payload = vec![0u8; body];
        let got = self.fill(&mut payload, &mut fds, &mut trunc)?;
        if got < body {
            return Ok(Read::Unframeable(
                format!(
                    "truncated message: the stream ended after {got} of its {body} payload bytes"
                ),
                Some(header),
            ));
        }
        Ok(Read::Message(Frame {
            header,
            payload,
            fds,
            fds_truncated: trunc,
        }))
    }
}

/// Sends `bytes` with the descriptors `fds` as `SCM_RIGHTS` in one `sendmsg`, then the rest of
/// the bytes if the socket took only part of them. Test clients use it to pass memfds and
/// eventfds as QEMU does.
#[cfg(test)]
pub fn send_with_fds(sock: &UnixStream, bytes: &[u8], fds: &[RawFd]) -> io::Result<()> {
    use std::io::Write;
    let fd_bytes = std::mem::size_of_val(fds);
    // SAFETY: CMSG_SPACE only computes a size.
    let space = unsafe { libc::CMSG_SPACE(fd_bytes as u32) } as usize;
    let mut control = vec![0u64; space.div_ceil(8)];
    let mut iov = libc::iovec {
        iov_base: bytes.as_ptr() as *mut libc::c_void,
        iov_len: bytes.len(),
    };
    // SAFETY: an all-zero msghdr is a valid empty one; the pointers set below outlive the call.
    let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
    msg.msg_iov = &mut iov;
    msg.msg_iovlen = 1;
    if !fds.is_empty() {
        msg.msg_control = control.as_mut_ptr().cast();
        msg.msg_controllen = space;
        // SAFETY: the control buffer has room for one header with `fds.len()` descriptors
        // (CMSG_SPACE above); the header and its data are written inside it.
        unsafe {
            let c = libc::CMSG_FIRSTHDR(&msg);
            (*c).cmsg_level = libc::SOL_SOCKET;
            (*c).cmsg_type = libc::SCM_RIGHTS;
            (*c).cmsg_len = libc::CMSG_LEN(fd_bytes as u32) as usize;
            std::ptr::copy_nonoverlapping(fds.as_ptr(), libc::CMSG_DATA(c).cast(), fds.len());
        }
    }
    // SAFETY: `sock` is an open socket; `msg` describes readable buffers.
    let n = unsafe { libc::sendmsg(sock.as_raw_fd(), &msg, libc::MSG_NOSIGNAL) };
    if n < 0 {
        return Err(io::Error::last_os_error());
    }
    (&*sock).write_all(&bytes[n as usize..])
}
