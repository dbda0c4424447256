// SPDX-License-Identifier: GPL-2.0
//! Device memory (HBM, SRAM) backed by a private anonymous mapping reserved without swap:
//! pages cost host memory only once written, so a 32 GiB HBM costs what the guest touches.

use std::ptr::NonNull;

/// A range outside the memory was accessed.
#[derive(Debug, PartialEq, Eq)]
pub struct OutOfRange {
    /// First byte of the access.
    pub offset: u64,
    /// Bytes accessed.
    pub len: usize,
}

/// A block of device memory.
pub struct Memory {
    base: NonNull<u8>,
    size: usize,
}

// SAFETY: `Memory` owns its mapping exclusively; the raw pointer is only dereferenced through
// `&self`/`&mut self` methods that bound-check every access, so moving it to another thread or
// sharing `&Memory` (reads only) is as safe as for a `Vec<u8>`.
unsafe impl Send for Memory {}
// SAFETY: see `Send`; `&Memory` only permits reads.
unsafe impl Sync for Memory {}

impl Memory {
    /// Reserves `size` bytes of zeroed memory.
    pub fn new(size: u64) -> std::io::Result<Memory> {
        let size = usize::try_from(size).map_err(|_| std::io::Error::other("size too large"))?;
        // SAFETY: an anonymous private mapping with no address hint touches no existing memory;
        // the result is checked for MAP_FAILED before use.
        let p = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                size,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
                -1,
                0,
            )
        };
        if p == libc::MAP_FAILED {
            return Err(std::io::Error::last_os_error());
        }
        let base =
            NonNull::new(p.cast::<u8>()).ok_or_else(|| std::io::Error::other("null mapping"))?;
        Ok(Memory { base, size })
    }

    /// Bytes of memory.
    pub fn size(&self) -> u64 {
        self.size as u64
    }

    fn check(&self, offset: u64, len: usize) -> Result<usize, OutOfRange> {
        let err = OutOfRange { offset, len };
        let start = usize::try_from(offset).map_err(|_| OutOfRange { offset, len })?;
        let end = start.checked_add(len).ok_or(OutOfRange { offset, len })?;
        if end > self.size {
            return Err(err);
        }
        Ok(start)
    }

    /// The bytes at `offset..offset + len`, for copying out of directly.
    pub fn slice(&self, offset: u64, len: usize) -> Result<&[u8], OutOfRange> {
        let start = self.check(offset, len)?;
        // SAFETY: `check` proved the range lies inside the mapping, which is initialised (an
        // anonymous mapping reads as zero) and lives as long as `self`; the shared borrow of
        // `self` keeps every writer (`&mut self` methods) away while the slice lives.
        Ok(unsafe { std::slice::from_raw_parts(self.base.as_ptr().add(start), len) })
    }

    /// The bytes at `offset..offset + len`, for copying into directly.
    pub fn slice_mut(&mut self, offset: u64, len: usize) -> Result<&mut [u8], OutOfRange> {
        let start = self.check(offset, len)?;
        // SAFETY: as in `slice`; the exclusive borrow of `self` makes this the only reference.
        Ok(unsafe { std::slice::from_raw_parts_mut(self.base.as_ptr().add(start), len) })
    }

    /// Copies `len` bytes from `src` to `dst` inside this memory (the ranges may overlap).
    pub fn copy_within(&mut self, src: u64, dst: u64, len: usize) -> Result<(), OutOfRange> {
        let s = self.check(src, len)?;
        let d = self.check(dst, len)?;
        // SAFETY: both ranges are inside the mapping (`check`); `ptr::copy` allows overlap.
        unsafe { std::ptr::copy(self.base.as_ptr().add(s), self.base.as_ptr().add(d), len) };
        Ok(())
    }

    /// Copies memory at `offset` into `out`.
    pub fn read(&self, offset: u64, out: &mut [u8]) -> Result<(), OutOfRange> {
        let start = self.check(offset, out.len())?;
        // SAFETY: `check` proved `start..start + out.len()` lies inside the mapping, which lives
        // as long as `self`; `out` is a distinct Rust buffer, so the ranges cannot overlap.
        unsafe {
            std::ptr::copy_nonoverlapping(
                self.base.as_ptr().add(start),
                out.as_mut_ptr(),
                out.len(),
            )
        };
        Ok(())
    }

    /// Copies `data` into memory at `offset`.
    pub fn write(&mut self, offset: u64, data: &[u8]) -> Result<(), OutOfRange> {
        let start = self.check(offset, data.len())?;
        // SAFETY: as in `read`; `&mut self` makes this the only access to the mapping.
        unsafe {
            std::ptr::copy_nonoverlapping(data.as_ptr(), self.base.as_ptr().add(start), data.len())
        };
        Ok(())
    }
}

impl Drop for Memory {
    fn drop(&mut self) {
        // SAFETY: `base` and `size` are exactly the mapping `new` created, unmapped once here.
        unsafe { libc::munmap(self.base.as_ptr().cast(), self.size) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_written_are_bytes_read() {
        let mut m = Memory::new(1 << 20).unwrap();
        let data: Vec<u8> = (0..=255u8).cycle().take(5000).collect();
        m.write(4093, &data).unwrap();
        let mut back = vec![0u8; 5000];
        m.read(4093, &mut back).unwrap();
        assert_eq!(back, data);
    }

    #[test]
    fn untouched_memory_reads_zero_and_big_memory_is_cheap() {
        // 32 GiB, as on the card: must not cost 32 GiB of host memory.
        let m = Memory::new(32 << 30).unwrap();
        let mut b = [0xAAu8; 16];
        m.read((32 << 30) - 16, &mut b).unwrap();
        assert_eq!(b, [0u8; 16]);
    }

    #[test]
    fn slices_and_copy_within_stay_inside() {
        let mut m = Memory::new(8192).unwrap();
        m.slice_mut(100, 4).unwrap().copy_from_slice(b"abcd");
        m.copy_within(100, 102, 4).unwrap();
        assert_eq!(m.slice(100, 6).unwrap(), b"ababcd");
        assert!(m.slice(8190, 4).is_err());
        assert!(m.slice_mut(u64::MAX, 1).is_err());
        assert!(m.copy_within(0, 8190, 4).is_err());
    }

    #[test]
    fn accesses_past_the_end_are_refused() {
        let mut m = Memory::new(8192).unwrap();
        assert_eq!(
            m.write(8190, &[1, 2, 3]),
            Err(OutOfRange {
                offset: 8190,
                len: 3
            })
        );
        let mut b = [0u8; 1];
        assert!(m.read(8192, &mut b).is_err());
        assert!(m.read(u64::MAX, &mut b).is_err());
        assert!(m.read(8191, &mut b).is_ok());
    }
}
