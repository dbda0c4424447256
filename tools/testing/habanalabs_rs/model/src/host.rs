// SPDX-License-Identifier: GPL-2.0
//! Host (guest) memory the device reaches by DMA: the regions QEMU announces with DMA_MAP,
//! each a file (QEMU's memfd) that the model maps shared.
//!
//! Device addresses of host memory follow Gaudi's PCI outbound convention: bus address plus
//! [`HOST_PHYS_BASE`] (bit 39). [`HostMemory`] works on bus addresses; the engines translate.
//!
//! Bus addresses that no file covers (another device's BAR, a ROM) are reached through the
//! client instead, by vfio-user DMA_READ and DMA_WRITE: [`HostMemory::client_read`] and
//! [`HostMemory::client_write`]. The DMA cores use them for such addresses, from the engine
//! thread with no lock held (see `engine.rs`); the mapped files stay the fast path for RAM.

use std::fs::File;
use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::RwLock;

use crate::vfio_user::dma::{DmaError, DmaPort};

/// Device address of bus address 0: host memory is seen above bit 39.
pub const HOST_PHYS_BASE: u64 = 0x80_0000_0000;
/// Bytes of host address space the outbound window covers (48 bits).
pub const HOST_PHYS_SIZE: u64 = 1 << 48;

/// Translates a device address to a host bus address, if it is in the outbound window.
pub fn device_to_bus(addr: u64) -> Option<u64> {
    addr.checked_sub(HOST_PHYS_BASE)
        .filter(|a| *a < HOST_PHYS_SIZE)
}

/// A DMA access that touched bus addresses no mapped region covers.
#[derive(Debug, PartialEq, Eq)]
pub struct Unmapped {
    /// First bus address not covered.
    pub addr: u64,
}

struct Region {
    bus: u64,
    size: u64,
    base: *mut u8,
}

// SAFETY: `base` points into a MAP_SHARED mapping owned by the region and unmapped only on
// drop; the bytes are shared with another process (QEMU) anyway, so the model treats them as
// external memory and only ever copies to and from them.
unsafe impl Send for Region {}
// SAFETY: see `Send`.
unsafe impl Sync for Region {}

impl Drop for Region {
    fn drop(&mut self) {
        // SAFETY: `base`/`size` are the mapping made in `HostMemory::map`.
        unsafe { libc::munmap(self.base.cast(), self.size as usize) };
    }
}

/// The DMA-mapped host memory.
#[derive(Default)]
pub struct HostMemory {
    regions: RwLock<Vec<Region>>,
    read_bytes: AtomicU64,
    written_bytes: AtomicU64,
    client: RwLock<Option<DmaPort>>,
}

impl HostMemory {
    /// Maps `size` bytes of `fd` at `offset` as bus addresses `bus..bus + size`.
    pub fn map(&self, bus: u64, size: u64, offset: u64, fd: &File) -> std::io::Result<()> {
        let len = usize::try_from(size).map_err(|_| std::io::Error::other("size too large"))?;
        if size == 0 || bus.checked_add(size).is_none() {
            return Err(std::io::Error::other("empty or wrapping DMA region"));
        }
        // SAFETY: maps a file QEMU gave us, shared, at an address the kernel picks; the result
        // is checked before use and owned by the new `Region`.
        let p = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED,
                fd.as_raw_fd(),
                offset as libc::off_t,
            )
        };
        if p == libc::MAP_FAILED {
            return Err(std::io::Error::last_os_error());
        }
        let mut regions = self.regions.write().unwrap_or_else(|e| e.into_inner());
        regions.retain(|r| r.bus + r.size <= bus || bus + size <= r.bus);
        regions.push(Region {
            bus,
            size,
            base: p.cast(),
        });
        Ok(())
    }

    /// Forgets the region at exactly `bus..bus + size`; false if there is none.
    pub fn unmap(&self, bus: u64, size: u64) -> bool {
        let mut regions = self.regions.write().unwrap_or_else(|e| e.into_inner());
        let before = regions.len();
        regions.retain(|r| !(r.bus == bus && r.size == size));
        regions.len() != before
    }

    /// Forgets every region.
    pub fn unmap_all(&self) {
        self.regions
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
    }

    /// Connects (or, with `None`, disconnects) the client that serves DMA_READ and DMA_WRITE.
    pub fn set_client(&self, port: Option<DmaPort>) {
        *self.client.write().unwrap_or_else(|e| e.into_inner()) = port;
    }

    /// Whether a client is connected to serve DMA_READ and DMA_WRITE.
    pub fn has_client(&self) -> bool {
        self.client
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .is_some()
    }

    fn client(&self) -> Result<DmaPort, DmaError> {
        self.client
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
            .ok_or(DmaError::Disconnected)
    }

    /// Reads `out.len()` bytes at bus address `bus` through the client (a vfio-user
    /// DMA_READ), for addresses no mapped file covers, such as a peer device's BAR. Blocks
    /// until the client answers: call it with no device lock held.
    pub fn client_read(&self, bus: u64, out: &mut [u8]) -> Result<(), DmaError> {
        self.client()?.read(bus, out)?;
        self.read_bytes
            .fetch_add(out.len() as u64, Ordering::Relaxed);
        Ok(())
    }

    /// Writes `data` at bus address `bus` through the client (a vfio-user DMA_WRITE); see
    /// [`HostMemory::client_read`]. Returns once the client has carried the write out.
    pub fn client_write(&self, bus: u64, data: &[u8]) -> Result<(), DmaError> {
        self.client()?.write(bus, data)?;
        self.written_bytes
            .fetch_add(data.len() as u64, Ordering::Relaxed);
        Ok(())
    }

    /// Calls `f(host pointer, bytes)` for each piece of `bus..bus + len`, in order.
    fn walk(
        &self,
        bus: u64,
        len: usize,
        mut f: impl FnMut(*mut u8, usize, usize),
    ) -> Result<(), Unmapped> {
        let regions = self.regions.read().unwrap_or_else(|e| e.into_inner());
        let mut done = 0usize;
        while done < len {
            let a = bus.checked_add(done as u64).ok_or(Unmapped { addr: bus })?;
            let r = regions
                .iter()
                .find(|r| a >= r.bus && a - r.bus < r.size)
                .ok_or(Unmapped { addr: a })?;
            let off = (a - r.bus) as usize;
            let n = (len - done).min(r.size as usize - off);
            // SAFETY: `off + n <= r.size`, inside the region's mapping.
            f(unsafe { r.base.add(off) }, done, n);
            done += n;
        }
        Ok(())
    }

    /// Checks that all of `bus..bus + len` is mapped.
    pub fn check(&self, bus: u64, len: usize) -> Result<(), Unmapped> {
        self.walk(bus, len, |_, _, _| {})
    }

    /// Reads `out.len()` bytes at bus address `bus`.
    pub fn read(&self, bus: u64, out: &mut [u8]) -> Result<(), Unmapped> {
        self.check(bus, out.len())?;
        self.read_bytes
            .fetch_add(out.len() as u64, Ordering::Relaxed);
        let dst = out.as_mut_ptr();
        self.walk(bus, out.len(), |p, done, n| {
            // SAFETY: `p..p + n` is mapped (walk); `dst + done..+ n` is inside `out`.
            unsafe { std::ptr::copy(p, dst.add(done), n) }
        })
    }

    /// Writes `data` at bus address `bus`. Nothing is written unless all of it is mapped.
    pub fn write(&self, bus: u64, data: &[u8]) -> Result<(), Unmapped> {
        self.check(bus, data.len())?;
        self.written_bytes
            .fetch_add(data.len() as u64, Ordering::Relaxed);
        let src = data.as_ptr();
        self.walk(bus, data.len(), |p, done, n| {
            // SAFETY: as in `read`, the other way round.
            unsafe { std::ptr::copy(src.add(done), p, n) }
        })
    }

    /// Bytes the device has read from and written to host memory: its PCIe traffic.
    pub fn traffic(&self) -> (u64, u64) {
        (
            self.read_bytes.load(Ordering::Relaxed),
            self.written_bytes.load(Ordering::Relaxed),
        )
    }

    /// Reads a little-endian u32.
    pub fn read_u32(&self, bus: u64) -> Result<u32, Unmapped> {
        let mut b = [0u8; 4];
        self.read(bus, &mut b)?;
        Ok(u32::from_le_bytes(b))
    }

    /// Reads a little-endian u64.
    pub fn read_u64(&self, bus: u64) -> Result<u64, Unmapped> {
        let mut b = [0u8; 8];
        self.read(bus, &mut b)?;
        Ok(u64::from_le_bytes(b))
    }
}

/// A memory file for tests, standing in for QEMU's memfd.
#[cfg(test)]
pub fn test_memfd(size: u64) -> File {
    use std::os::fd::FromRawFd;
    // SAFETY: memfd_create with a static name; the fd is checked and owned by the File.
    let fd = unsafe { libc::memfd_create(c"hl-model-test".as_ptr(), 0) };
    assert!(fd >= 0);
    // SAFETY: `fd` is a fresh descriptor we own.
    let f = unsafe { File::from_raw_fd(fd) };
    f.set_len(size).unwrap();
    f
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accesses_span_regions_and_stop_at_holes() {
        let h = HostMemory::default();
        let f = test_memfd(3 * 4096);
        h.map(0x1000, 4096, 0, &f).unwrap();
        h.map(0x2000, 4096, 4096, &f).unwrap();
        let data: Vec<u8> = (0..6000u32).map(|i| i as u8).collect();
        h.write(0x1100, &data).unwrap();
        let mut back = vec![0u8; 6000];
        h.read(0x1100, &mut back).unwrap();
        assert_eq!(back, data);
        // Past the second region is a hole: nothing is written, the hole is named.
        assert_eq!(h.write(0x2f00, &[1u8; 512]), Err(Unmapped { addr: 0x3000 }));
        assert_eq!(h.read_u32(0x2f00).unwrap(), 0);
        assert!(h.unmap(0x2000, 4096));
        assert!(!h.unmap(0x2000, 4096));
        assert_eq!(h.read_u32(0x2000), Err(Unmapped { addr: 0x2000 }));
    }

    #[test]
    fn outbound_window_is_bit_39() {
        assert_eq!(device_to_bus(0x80_0000_1000), Some(0x1000));
        assert_eq!(device_to_bus(0x7f_ffff_ffff), None);
        assert_eq!(device_to_bus(HOST_PHYS_BASE + HOST_PHYS_SIZE), None);
    }
}
