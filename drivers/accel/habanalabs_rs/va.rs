// SPDX-License-Identifier: GPL-2.0

//! A context's device virtual address space for host memory.
//!
//! On Gaudi, host memory mapped with `HL_MEM_USERPTR` lands in the host range of the device's
//! virtual address space. Blocks are handed out the way upstream does it: the smallest free
//! block that fits at the requested alignment wins, unless the caller's hint fits in a free
//! block, in which case the block starts at the hint. With `HL_MEM_FORCE_HINT` a hint that
//! cannot be honoured is an error instead of a suggestion.

use kernel::prelude::*;

/// First address of the host range.
pub(crate) const HOST_VA_START: u64 = 0x1_0000_0000_0000;
/// One past the last usable address of the host range (the last 4 KiB page of the range
/// upstream defines is not usable, as upstream rounds the end down).
pub(crate) const HOST_VA_END: u64 = 0x2_7FBF_FFFF_F000;

/// What upstream reserves at the start of every context's host range for the driver's own
/// command buffers (collective waits'): 2 MiB. This driver puts nothing there (it runs no
/// collective waits) but keeps the block reserved, so user mappings land where upstream's do
/// (the first one at `HOST_VA_START` + 2 MiB) and hints into the block are refused as there.
pub(crate) const INTERNAL_CB_VA_SIZE: u64 = 2 << 20;

/// A context's host space: the whole host range but for the internal command buffers' block.
pub(crate) fn context_space() -> Result<VaSpace> {
    let mut v = VaSpace::new(HOST_VA_START, HOST_VA_END)?;
    v.reserve(INTERNAL_CB_VA_SIZE, 4096, HOST_VA_START, true)
        .map_err(|_| EINVAL)?;
    Ok(v)
}

/// Why a block could not be reserved.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum VaError {
    /// No free block is large enough.
    NoSpace,
    /// `FORCE_HINT` was given and the hint is misaligned or not free.
    HintRefused,
}

/// Free blocks of one address space, as sorted, disjoint, half-open ranges.
pub(crate) struct VaSpace {
    free: KVec<(u64, u64)>,
}

impl VaSpace {
    /// A space with `[start, end)` free.
    pub(crate) fn new(start: u64, end: u64) -> Result<Self> {
        let mut free = KVec::new();
        free.push((start, end), GFP_KERNEL)?;
        Ok(Self { free })
    }

    /// Reserves `size` bytes aligned to `align` (a power of two). A non-zero `hint` asks for
    /// the block to start there; with `force` the hint must be honoured.
    pub(crate) fn reserve(
        &mut self,
        size: u64,
        align: u64,
        mut hint: u64,
        force: bool,
    ) -> core::result::Result<u64, VaError> {
        if size == 0 {
            return Err(VaError::NoSpace);
        }
        if hint % align != 0 {
            if force {
                return Err(VaError::HintRefused);
            }
            hint = 0;
        }
        let mut best: Option<(usize, u64, u64)> = None; // (index, start, usable size)
        for (i, &(start, end)) in self.free.iter().enumerate() {
            let Some(valid) = start.checked_next_multiple_of(align) else {
                continue;
            };
            if valid >= end || end - valid < size {
                continue;
            }
            // Upstream compares the hint's end with the block's inclusive last address using
            // `<=`, so a hint ending exactly at the end of a free block is not taken; the same
            // here, for the same answers.
            if hint != 0 && hint >= valid && hint.checked_add(size).is_some_and(|e| e < end) {
                best = Some((i, hint, 0));
                break;
            }
            if best.is_none_or(|(_, _, s)| end - valid < s) {
                best = Some((i, valid, end - valid));
            }
        }
        let Some((i, at, _)) = best else {
            return Err(if force {
                VaError::HintRefused
            } else {
                VaError::NoSpace
            });
        };
        // With FORCE_HINT the block must start at the hint, so a zero hint cannot be honoured
        // either (upstream's rule).
        if force && at != hint {
            return Err(VaError::HintRefused);
        }
        let (start, end) = self.free[i];
        // Split the block: what lies before and after the reservation stays free.
        let mut pieces = [(start, at), (at + size, end)]
            .into_iter()
            .filter(|(s, e)| s < e);
        match (pieces.next(), pieces.next()) {
            (None, _) => {
                self.free.remove(i).map_err(|_| VaError::NoSpace)?;
            }
            (Some(p), None) => self.free[i] = p,
            (Some(a), Some(b)) => {
                self.free[i] = a;
                self.free.insert_within_capacity(i + 1, b).or_else(|_| {
                    // Make room, then insert; on allocation failure undo the split.
                    if self.free.reserve(1, GFP_KERNEL).is_err() {
                        self.free[i] = (start, end);
                        return Err(VaError::NoSpace);
                    }
                    self.free
                        .insert_within_capacity(i + 1, b)
                        .map_err(|_| VaError::NoSpace)
                })?;
            }
        }
        Ok(at)
    }

    /// Gives `[at, at + size)` back, merging it with free neighbours.
    pub(crate) fn release(&mut self, at: u64, size: u64) -> Result {
        let end = at + size;
        let i = self
            .free
            .iter()
            .position(|&(s, _)| s >= end)
            .unwrap_or(self.free.len());
        let merge_prev = i > 0 && self.free[i - 1].1 == at;
        let merge_next = i < self.free.len() && self.free[i].0 == end;
        match (merge_prev, merge_next) {
            (true, true) => {
                self.free[i - 1].1 = self.free[i].1;
                self.free.remove(i)?;
            }
            (true, false) => self.free[i - 1].1 = end,
            (false, true) => self.free[i].0 = at,
            (false, false) => {
                self.free.reserve(1, GFP_KERNEL)?;
                self.free
                    .insert_within_capacity(i, (at, end))
                    .map_err(|_| ENOMEM)?;
            }
        }
        Ok(())
    }

    /// Number of free blocks (for tests and debugging).
    pub(crate) fn free_blocks(&self) -> usize {
        self.free.len()
    }
}

#[kunit_tests(habanalabs_rs_va)]
mod tests {
    use super::*;

    const K4: u64 = 0x1000;
    const M2: u64 = 0x20_0000;

    #[test]
    fn a_context_starts_past_the_internal_block() {
        let mut v = context_space().unwrap();
        assert_eq!(v.reserve(K4, K4, 0, false), Ok(HOST_VA_START + M2));
        // A hint inside the block: ignored, or refused when forced.
        assert_eq!(
            v.reserve(K4, K4, HOST_VA_START + K4, true),
            Err(VaError::HintRefused)
        );
        assert_eq!(
            v.reserve(K4, K4, HOST_VA_START, false),
            Ok(HOST_VA_START + M2 + K4)
        );
    }

    #[test]
    fn blocks_come_in_order_and_go_back_whole() {
        let mut v = VaSpace::new(HOST_VA_START, HOST_VA_END).unwrap();
        let a = v.reserve(3 * K4, K4, 0, false).unwrap();
        let b = v.reserve(K4, K4, 0, false).unwrap();
        assert_eq!(a, HOST_VA_START);
        assert_eq!(b, HOST_VA_START + 3 * K4);
        v.release(a, 3 * K4).unwrap();
        assert_eq!(v.free_blocks(), 2);
        v.release(b, K4).unwrap();
        assert_eq!(v.free_blocks(), 1);
        assert_eq!(v.reserve(M2, M2, 0, false), Ok(HOST_VA_START));
    }

    #[test]
    fn alignment_and_best_fit() {
        let mut v = VaSpace::new(HOST_VA_START, HOST_VA_END).unwrap();
        let a = v.reserve(K4, K4, 0, false).unwrap();
        let m = v.reserve(M2, M2, 0, false).unwrap();
        assert_eq!(m % M2, 0);
        assert_eq!(m, HOST_VA_START + M2);
        // The hole between `a` and `m` is the best fit for a small block.
        let s = v.reserve(K4, K4, 0, false).unwrap();
        assert_eq!(s, a + K4);
    }

    #[test]
    fn hints_are_honoured_where_free() {
        let mut v = VaSpace::new(HOST_VA_START, HOST_VA_END).unwrap();
        let hint = HOST_VA_START + 100 * M2;
        assert_eq!(v.reserve(M2, M2, hint, false), Ok(hint));
        // Taken: a plain hint falls back, a forced one fails.
        let other = v.reserve(M2, M2, hint, false).unwrap();
        assert_ne!(other, hint);
        assert_eq!(v.reserve(M2, M2, hint, true), Err(VaError::HintRefused));
        // Misaligned: dropped, or refused when forced.
        assert!(v.reserve(M2, M2, hint + K4, false).is_ok());
        assert_eq!(
            v.reserve(M2, M2, hint + K4, true),
            Err(VaError::HintRefused)
        );
        // Overlapping the end of a free block is not free either.
        assert_eq!(
            v.reserve(2 * M2, M2, hint - M2, true),
            Err(VaError::HintRefused)
        );
        // A forced zero hint cannot be honoured.
        assert_eq!(v.reserve(M2, M2, 0, true), Err(VaError::HintRefused));
    }

    #[test]
    fn a_hint_ending_at_the_end_of_a_free_block_is_not_taken() {
        let mut v = VaSpace::new(0x10_0000, 0x50_0000).unwrap();
        assert_eq!(
            v.reserve(0x20_0000, K4, 0x30_0000, true),
            Err(VaError::HintRefused)
        );
        assert_eq!(v.reserve(0x20_0000, K4, 0x2F_F000, true), Ok(0x2F_F000));
    }

    #[test]
    fn exhaustion_is_no_space() {
        let mut v = VaSpace::new(0x1000, 0x5000).unwrap();
        assert_eq!(v.reserve(0x4000, K4, 0, false), Ok(0x1000));
        assert_eq!(v.reserve(K4, K4, 0, false), Err(VaError::NoSpace));
        assert_eq!(v.reserve(0, K4, 0, false), Err(VaError::NoSpace));
        v.release(0x1000, 0x4000).unwrap();
        assert_eq!(v.free_blocks(), 1);
    }
}
