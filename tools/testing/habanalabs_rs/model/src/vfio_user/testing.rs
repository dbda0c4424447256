// SPDX-License-Identifier: GPL-2.0
//! A fake vfio-user client for tests: it speaks the protocol as QEMU does, over one end of a
//! socket pair whose other end a session serves.

use super::session::{self, End};
use super::wire::send_with_fds;
use super::{cmd, flags, message, Header, HEADER_SIZE};
use crate::device::Device;
use crate::server::DeviceBackend;
use std::io::Read;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::net::UnixStream;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// QEMU 11.1's VERSION proposal.
pub const QEMU_CAPS: &str = r#"{"capabilities":{"migration":{"pgsize":4096,"max_bitmap_size":1048576},"max_msg_fds":16,"max_data_xfer_size":1048576,"pgsizes":4096,"max_dma_maps":65535,"write_multiple":true}}"#;

/// The client end.
pub struct Client {
    /// Its socket.
    pub sock: UnixStream,
    next_id: u16,
}

/// Payload of a VERSION request proposing `major.minor` and the JSON `caps`.
pub fn version_payload(major: u16, minor: u16, caps: &str) -> Vec<u8> {
    let mut p = major.to_ne_bytes().to_vec();
    p.extend_from_slice(&minor.to_ne_bytes());
    p.extend_from_slice(caps.as_bytes());
    p.push(0);
    p
}

/// Concatenates u32, u64 and byte fields in host byte order.
pub enum F<'a> {
    /// A u32.
    W(u32),
    /// A u64.
    Q(u64),
    /// Bytes.
    B(&'a [u8]),
}

/// The bytes of `fields`.
pub fn fields(fields: &[F<'_>]) -> Vec<u8> {
    let mut v = vec![];
    for f in fields {
        match f {
            F::W(x) => v.extend_from_slice(&x.to_ne_bytes()),
            F::Q(x) => v.extend_from_slice(&x.to_ne_bytes()),
            F::B(b) => v.extend_from_slice(b),
        }
    }
    v
}

impl Client {
    /// A client on `sock`; reads give up after ten seconds so a broken test fails, not hangs.
    pub fn new(sock: UnixStream) -> Client {
        sock.set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        Client {
            sock,
            next_id: 0x100,
        }
    }

    /// Sends raw bytes with descriptors.
    pub fn raw(&self, bytes: &[u8], fds: &[RawFd]) {
        send_with_fds(&self.sock, bytes, fds).unwrap();
    }

    /// Sends a command with `extra` flags; returns its id.
    pub fn send(&mut self, command: u16, extra: u32, payload: &[u8], fds: &[RawFd]) -> u16 {
        let id = self.next_id;
        self.next_id = self.next_id.wrapping_add(1);
        let h = Header {
            id,
            command,
            flags: flags::REQUEST | extra,
            ..Default::default()
        };
        self.raw(&message(h, payload), fds);
        id
    }

    /// Receives one message.
    pub fn recv(&mut self) -> (Header, Vec<u8>) {
        let mut hb = [0u8; HEADER_SIZE];
        self.sock.read_exact(&mut hb).unwrap();
        let h = Header::parse(&hb);
        let mut p = vec![0u8; h.size as usize - HEADER_SIZE];
        self.sock.read_exact(&mut p).unwrap();
        (h, p)
    }

    /// Sends a command and returns its reply, checking id, command and the Reply type.
    pub fn call(&mut self, command: u16, payload: &[u8], fds: &[RawFd]) -> (Header, Vec<u8>) {
        let id = self.send(command, 0, payload, fds);
        let (h, p) = self.recv();
        assert_eq!(
            (h.id, h.command, h.kind()),
            (id, command, flags::REPLY),
            "{h:?}"
        );
        (h, p)
    }

    /// Sends a command that must succeed; returns the reply's payload.
    pub fn ok(&mut self, command: u16, payload: &[u8], fds: &[RawFd]) -> Vec<u8> {
        let (h, p) = self.call(command, payload, fds);
        assert!(
            !h.is_error(),
            "{} failed with errno {}",
            cmd::name(command),
            h.error
        );
        p
    }

    /// Sends a command that must fail; returns the errno.
    pub fn err(&mut self, command: u16, payload: &[u8], fds: &[RawFd]) -> i32 {
        let (h, p) = self.call(command, payload, fds);
        assert!(h.is_error(), "{} did not fail", cmd::name(command));
        assert!(
            p.is_empty() && h.size as usize == HEADER_SIZE,
            "an error reply is its header"
        );
        h.error as i32
    }

    /// Negotiates as QEMU does; returns the reply's payload.
    pub fn version(&mut self) -> Vec<u8> {
        self.ok(cmd::VERSION, &version_payload(0, 0, QEMU_CAPS), &[])
    }

    /// DEVICE_GET_INFO: flags, regions, interrupt types.
    pub fn device_info(&mut self) -> (u32, u32, u32) {
        let p = self.ok(
            cmd::DEVICE_GET_INFO,
            &fields(&[F::W(16), F::W(0), F::W(0), F::W(0)]),
            &[],
        );
        assert_eq!(p.len(), 16);
        (
            super::u32_at(&p, 4),
            super::u32_at(&p, 8),
            super::u32_at(&p, 12),
        )
    }

    /// REGION_READ of `count` bytes.
    pub fn read(&mut self, region: u32, offset: u64, count: u32) -> Vec<u8> {
        let p = self.ok(
            cmd::REGION_READ,
            &fields(&[F::Q(offset), F::W(region), F::W(count)]),
            &[],
        );
        assert_eq!(p.len(), 16 + count as usize);
        p[16..].to_vec()
    }

    /// REGION_WRITE, waiting for the reply.
    pub fn write(&mut self, region: u32, offset: u64, data: &[u8]) {
        let p = fields(&[
            F::Q(offset),
            F::W(region),
            F::W(data.len() as u32),
            F::B(data),
        ]);
        let r = self.ok(cmd::REGION_WRITE, &p, &[]);
        assert_eq!(r, p[..16]);
    }
}

/// An eventfd, as QEMU passes for an interrupt.
pub fn eventfd() -> OwnedFd {
    // SAFETY: eventfd with no shared state; the result is checked and then owned.
    let fd = unsafe { libc::eventfd(0, libc::EFD_CLOEXEC | libc::EFD_NONBLOCK) };
    assert!(fd >= 0);
    // SAFETY: `fd` is a fresh descriptor nothing else owns.
    unsafe { OwnedFd::from_raw_fd(fd) }
}

/// The eventfd's count, reset to zero (0 if nothing was signalled).
pub fn eventfd_take(fd: &OwnedFd) -> u64 {
    let mut v = 0u64;
    // SAFETY: reads 8 bytes into `v` from an open eventfd.
    let n = unsafe { libc::read(fd.as_raw_fd(), (&mut v as *mut u64).cast(), 8) };
    if n == 8 {
        v
    } else {
        0
    }
}

/// A session on a small Gaudi, served on a thread, and the client talking to it.
pub struct Harness {
    /// The client.
    pub client: Client,
    /// The device.
    pub dev: Arc<Device>,
    thread: Option<JoinHandle<Result<End, String>>>,
}

impl Harness {
    /// Starts a session whose DMA requests wait `timeout` for replies.
    pub fn with_timeout(timeout: Duration) -> Harness {
        Self::with_device(Arc::new(Device::new(64 << 20, 1 << 20).unwrap()), timeout)
    }

    /// Starts a session serving `dev`, whose DMA requests wait `timeout` for replies.
    pub fn with_device(dev: Arc<Device>, timeout: Duration) -> Harness {
        let (ours, theirs) = UnixStream::pair().unwrap();
        let d = dev.clone();
        let thread = std::thread::spawn(move || {
            let backend = DeviceBackend::new(d.clone());
            session::run(theirs, &backend, d.vfio_user.clone(), timeout)
        });
        Harness {
            client: Client::new(ours),
            dev,
            thread: Some(thread),
        }
    }

    /// Starts a session with the default DMA timeout.
    pub fn start() -> Harness {
        Self::with_timeout(super::dma::DEFAULT_TIMEOUT)
    }

    /// Starts a session and negotiates the version.
    pub fn negotiated() -> Harness {
        let mut h = Self::start();
        h.client.version();
        h
    }

    /// The `vfio_user_errors` counter.
    pub fn errors(&self) -> u64 {
        self.dev
            .vfio_user
            .errors
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Closes the client's writing side and waits for the session to end.
    pub fn finish(mut self) -> Result<End, String> {
        let _ = self.client.sock.shutdown(std::net::Shutdown::Write);
        self.thread.take().unwrap().join().unwrap()
    }
}

/// A caps proposal like QEMU's, with `max_data_xfer_size` set to `xfer`.
pub fn caps_with_xfer(xfer: u32) -> String {
    format!(r#"{{"capabilities":{{"max_msg_fds":16,"max_data_xfer_size":{xfer}}}}}"#)
}

/// One DMA request a [`Peer`] saw: command, bus address, count.
pub type Seen = (u16, u64, u64);

/// Stands in for QEMU serving the device's DMA_READ and DMA_WRITE requests on its own thread:
/// the requests land in `mem`, the BAR of a peer device at bus address `base`, as QEMU's
/// `pci_dma_read()`/`pci_dma_write()` would route them. It answers as QEMU 11.1 does (DMA_READ
/// with the address, count and data; DMA_WRITE with the header alone), or refuses every
/// request with `refuse`'s errno. Before answering each request it calls `before` with the
/// client end of the socket, as QEMU may serve other requests of its own (a vCPU's register
/// read) before it answers ours. It ends when the session closes the socket.
pub struct Peer {
    /// The peer's BAR.
    pub mem: Arc<Mutex<Vec<u8>>>,
    /// Every request, in order.
    pub seen: Arc<Mutex<Vec<Seen>>>,
    thread: Option<JoinHandle<()>>,
}

impl Peer {
    /// Serves DMA requests arriving on `sock` (a clone of the client's end).
    pub fn start(
        sock: UnixStream,
        base: u64,
        mem: Vec<u8>,
        refuse: Option<i32>,
        mut before: impl FnMut(&mut Client) + Send + 'static,
    ) -> Peer {
        let mem = Arc::new(Mutex::new(mem));
        let seen = Arc::new(Mutex::new(Vec::new()));
        let (m, log) = (mem.clone(), seen.clone());
        let thread = std::thread::spawn(move || {
            let mut c = Client::new(sock);
            loop {
                let mut hb = [0u8; HEADER_SIZE];
                if c.sock.read_exact(&mut hb).is_err() {
                    return; // the session ended
                }
                let h = Header::parse(&hb);
                let mut p = vec![0u8; h.size as usize - HEADER_SIZE];
                c.sock.read_exact(&mut p).unwrap();
                assert_eq!(h.kind(), flags::REQUEST, "{h:?}");
                let (addr, count) = (super::u64_at(&p, 0), super::u64_at(&p, 8));
                log.lock().unwrap().push((h.command, addr, count));
                before(&mut c);
                if let Some(e) = refuse {
                    let r = Header {
                        flags: flags::REPLY | flags::ERROR,
                        error: e as u32,
                        ..h
                    };
                    c.raw(&message(r, &[]), &[]);
                    continue;
                }
                let reply = Header {
                    flags: flags::REPLY,
                    ..h
                };
                let at = (addr - base) as usize;
                let range = at..at + count as usize;
                match h.command {
                    cmd::DMA_READ => {
                        let data = m.lock().unwrap()[range].to_vec();
                        c.raw(&message(reply, &[&p[..16], &data].concat()), &[]);
                    }
                    cmd::DMA_WRITE => {
                        assert_eq!(p.len(), 16 + count as usize);
                        m.lock().unwrap()[range].copy_from_slice(&p[16..]);
                        c.raw(&message(reply, &[]), &[]);
                    }
                    other => panic!("unexpected command {other} from the server"),
                }
            }
        });
        Peer {
            mem,
            seen,
            thread: Some(thread),
        }
    }

    /// Waits for the peer's thread to end (after the session has); panics if it failed.
    pub fn join(mut self) {
        self.thread.take().unwrap().join().unwrap();
    }
}
