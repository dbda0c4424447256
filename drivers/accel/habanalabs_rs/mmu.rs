// SPDX-License-Identifier: GPL-2.0

//! The MMU v1 page-table engine: hop tables in HBM, shadowed in host memory.
//!
//! Gaudi's MMU walks up to five levels ("hops") of 512-entry tables that live in HBM. Hop 0 of
//! each ASID sits at a fixed place; the other hops come from a pool in the page-table area.
//! A 4 KiB page ends in hop 4, a 2 MiB page in hop 3. The driver keeps a host copy (shadow) of
//! every table so it never reads HBM to walk, and writes each change to HBM through a
//! [`PteSink`]. New hops are cleared on the device before they are linked, and linked only
//! once complete, so the device never walks into a table it cannot trust.
//!
//! The engine itself knows nothing of registers: cache invalidation and the hop-0 registers are
//! the caller's, which keeps this file testable without a device.

use kernel::prelude::*;

/// Page-table area in HBM.
pub(crate) const PGT_ADDR: u64 = 0x1000_0000;
/// Size of the page-table area.
pub(crate) const PGT_SIZE: u64 = 0x0BF0_0000;
/// One hop table: 512 entries of 8 bytes.
pub(crate) const HOP_SIZE: u64 = 4096;
const PTES_PER_HOP: usize = 512;
/// Number of ASIDs; each has its own hop 0 at the start of the area.
pub(crate) const MAX_ASID: usize = 2;
/// HBM address of the cache-management page that follows the tables.
pub(crate) const CACHE_MNG_ADDR: u64 = PGT_ADDR + PGT_SIZE;
/// Where the pool of hops 1-4 starts.
const HOPS_BASE: u64 = PGT_ADDR + MAX_ASID as u64 * HOP_SIZE;
/// How many hops the pool holds.
pub(crate) const POOL_HOPS: usize = ((PGT_SIZE - MAX_ASID as u64 * HOP_SIZE) / HOP_SIZE) as usize;

/// Entry is present.
pub(crate) const PTE_PRESENT: u64 = 1 << 0;
/// Entry is a leaf (maps a page rather than pointing to a hop).
pub(crate) const PTE_LAST: u64 = 1 << 11;
const PTE_ADDR_MASK: u64 = !0xFFF;

const HOP_SHIFT: [u32; 5] = [48, 39, 30, 21, 12];
const HOP_MASK: [u64; 5] = [
    0x3_0000_0000_0000,
    0x0_FF80_0000_0000,
    0x0_007F_C000_0000,
    0x0_0000_3FE0_0000,
    0x0_0000_001F_F000,
];

/// Page sizes the MMU maps.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum PageSize {
    /// 4 KiB, leaf in hop 4.
    Small,
    /// 2 MiB, leaf in hop 3.
    Huge,
}

impl PageSize {
    /// Bytes in a page.
    pub(crate) fn bytes(self) -> u64 {
        match self {
            PageSize::Small => 1 << 12,
            PageSize::Huge => 1 << 21,
        }
    }

    /// The hop that holds the leaf.
    fn leaf_hop(self) -> usize {
        match self {
            PageSize::Small => 4,
            PageSize::Huge => 3,
        }
    }
}

/// Index of `va`'s entry in a hop at level `hop`.
pub(crate) fn hop_index(va: u64, hop: usize) -> usize {
    ((va & HOP_MASK[hop]) >> HOP_SHIFT[hop]) as usize
}

/// HBM address of hop 0 of `asid`.
pub(crate) fn hop0_addr(asid: usize) -> u64 {
    PGT_ADDR + asid as u64 * HOP_SIZE
}

/// Where the engine writes page-table entries: HBM on a device, memory in tests.
pub(crate) trait PteSink {
    /// Writes `val` at HBM address `addr`.
    fn write_pte(&self, addr: u64, val: u64) -> Result;
}

/// One hop of the pool.
struct Hop {
    ptes: KBox<[u64; PTES_PER_HOP]>,
    /// Present entries; the hop is freed when it drops to zero.
    used: u32,
}

/// A table in a walk: hop 0 of an ASID, or a pool slot.
#[derive(Clone, Copy)]
enum Table {
    Hop0(usize),
    Pool(usize),
}

/// The page tables of every ASID.
pub(crate) struct Tables {
    hop0: KVec<KBox<[u64; PTES_PER_HOP]>>,
    pool: KVec<Option<Hop>>,
    free: KVec<usize>,
    limit: usize,
}

impl Tables {
    /// Empty tables (every hop 0 clear) with room for `limit` pool hops.
    pub(crate) fn new(limit: usize) -> Result<Self> {
        let mut hop0 = KVec::with_capacity(MAX_ASID, GFP_KERNEL)?;
        for _ in 0..MAX_ASID {
            hop0.push(KBox::new([0u64; PTES_PER_HOP], GFP_KERNEL)?, GFP_KERNEL)?;
        }
        Ok(Self {
            hop0,
            pool: KVec::new(),
            free: KVec::new(),
            limit: limit.min(POOL_HOPS),
        })
    }

    /// Writes every table from the shadow to the device: hop 0 of each ASID and every hop of
    /// the pool in use (after a reset cleared the device's copy).
    pub(crate) fn restore(&self, sink: &dyn PteSink) -> Result {
        for asid in 0..MAX_ASID {
            for (i, &pte) in self.hop0[asid].iter().enumerate() {
                sink.write_pte(hop0_addr(asid) + i as u64 * 8, pte)?;
            }
        }
        for (slot, hop) in self.pool.iter().enumerate() {
            if let Some(h) = hop {
                let base = HOPS_BASE + slot as u64 * HOP_SIZE;
                for (i, &pte) in h.ptes.iter().enumerate() {
                    sink.write_pte(base + i as u64 * 8, pte)?;
                }
            }
        }
        Ok(())
    }

    /// Hops of the pool in use.
    pub(crate) fn hops_in_use(&self) -> usize {
        self.pool.iter().filter(|h| h.is_some()).count()
    }

    fn addr_of(t: Table) -> u64 {
        match t {
            Table::Hop0(asid) => hop0_addr(asid),
            Table::Pool(slot) => HOPS_BASE + slot as u64 * HOP_SIZE,
        }
    }

    fn slot_of(pte: u64) -> Option<usize> {
        let a = pte & PTE_ADDR_MASK;
        if a < HOPS_BASE {
            return None;
        }
        let slot = ((a - HOPS_BASE) / HOP_SIZE) as usize;
        (slot < POOL_HOPS).then_some(slot)
    }

    fn pte(&self, t: Table, i: usize) -> u64 {
        match t {
            Table::Hop0(asid) => self.hop0[asid][i],
            Table::Pool(slot) => self.pool[slot].as_ref().map_or(0, |h| h.ptes[i]),
        }
    }

    /// Writes an entry to the device, then to the shadow.
    fn set_pte(&mut self, sink: &dyn PteSink, t: Table, i: usize, val: u64) -> Result {
        sink.write_pte(Self::addr_of(t) + i as u64 * 8, val)?;
        match t {
            Table::Hop0(asid) => self.hop0[asid][i] = val,
            Table::Pool(slot) => {
                if let Some(h) = self.pool[slot].as_mut() {
                    h.ptes[i] = val;
                }
            }
        }
        Ok(())
    }

    fn adjust_used(&mut self, t: Table, up: bool) -> u32 {
        match t {
            Table::Hop0(_) => u32::MAX,
            Table::Pool(slot) => match self.pool[slot].as_mut() {
                Some(h) => {
                    if up {
                        h.used += 1;
                    } else {
                        h.used = h.used.saturating_sub(1);
                    }
                    h.used
                }
                None => 0,
            },
        }
    }

    /// Takes a hop from the pool and clears it on the device. `ENOMEM` when the pool is
    /// exhausted.
    fn alloc_hop(&mut self, sink: &dyn PteSink) -> Result<usize> {
        let slot = match self.free.pop() {
            Some(s) => s,
            None if self.pool.len() < self.limit => {
                self.pool.push(None, GFP_KERNEL)?;
                self.pool.len() - 1
            }
            None => return Err(ENOMEM),
        };
        let hop = Hop {
            ptes: match KBox::new([0u64; PTES_PER_HOP], GFP_KERNEL) {
                Ok(p) => p,
                Err(e) => {
                    self.free.push(slot, GFP_KERNEL)?;
                    return Err(e.into());
                }
            },
            used: 0,
        };
        let base = HOPS_BASE + slot as u64 * HOP_SIZE;
        for i in 0..PTES_PER_HOP as u64 {
            if let Err(e) = sink.write_pte(base + i * 8, 0) {
                self.free.push(slot, GFP_KERNEL)?;
                return Err(e);
            }
        }
        self.pool[slot] = Some(hop);
        Ok(slot)
    }

    fn free_hop(&mut self, slot: usize) {
        if self.pool[slot].take().is_some() {
            // The free list never holds more slots than the pool, whose capacity it can use.
            let _ = self.free.push(slot, GFP_KERNEL);
        }
    }

    /// Maps the page at `va` of `asid` to `pa`. `EINVAL` if something is already mapped
    /// there (or the addresses are not aligned to the page), `ENOMEM` if the pool is empty.
    /// On failure nothing changed.
    pub(crate) fn map(
        &mut self,
        sink: &dyn PteSink,
        asid: usize,
        va: u64,
        pa: u64,
        size: PageSize,
    ) -> Result {
        if asid >= MAX_ASID || va % size.bytes() != 0 || pa % size.bytes() != 0 {
            return Err(EINVAL);
        }
        let leaf_hop = size.leaf_hop();
        let mut tables = [Table::Hop0(asid); 5];
        // Hops this call allocated, by level; linked only once the leaf is written.
        let mut fresh: [Option<usize>; 5] = [None; 5];
        let mut failed = None;
        for h in 0..leaf_hop {
            let pte = self.pte(tables[h], hop_index(va, h));
            if pte & PTE_PRESENT != 0 {
                if pte & PTE_LAST != 0 {
                    failed = Some(EINVAL);
                    break;
                }
                match Self::slot_of(pte) {
                    Some(s) => tables[h + 1] = Table::Pool(s),
                    None => {
                        failed = Some(EINVAL);
                        break;
                    }
                }
            } else {
                match self.alloc_hop(sink) {
                    Ok(s) => {
                        fresh[h + 1] = Some(s);
                        tables[h + 1] = Table::Pool(s);
                    }
                    Err(e) => {
                        failed = Some(e);
                        break;
                    }
                }
            }
        }
        let leaf = tables[leaf_hop];
        if failed.is_none() && self.pte(leaf, hop_index(va, leaf_hop)) & PTE_PRESENT != 0 {
            failed = Some(EBUSY);
        }
        if failed.is_none() {
            let val = (pa & PTE_ADDR_MASK) | PTE_LAST | PTE_PRESENT;
            if let Err(e) = self.set_pte(sink, leaf, hop_index(va, leaf_hop), val) {
                failed = Some(e);
            } else {
                self.adjust_used(leaf, true);
            }
        }
        if let Some(e) = failed {
            for s in fresh.iter().flatten() {
                self.free_hop(*s);
            }
            return Err(if e == EBUSY { EINVAL } else { e });
        }
        // Link the new hops, deepest first, so the device never sees a half-built path. Until
        // the topmost one is linked (last), none of them is reachable, so a failure can simply
        // give them all back.
        for h in (1..=leaf_hop).rev() {
            if let Some(s) = fresh[h] {
                let parent = tables[h - 1];
                let val = (Self::addr_of(Table::Pool(s)) & PTE_ADDR_MASK) | PTE_PRESENT;
                if let Err(e) = self.set_pte(sink, parent, hop_index(va, h - 1), val) {
                    for s in fresh.iter().flatten() {
                        self.free_hop(*s);
                    }
                    return Err(e);
                }
                self.adjust_used(parent, true);
            }
        }
        Ok(())
    }

    /// Unmaps the page at `va` of `asid`, freeing hops that become empty. Returns the size of
    /// the page that was mapped there; `EINVAL` if nothing was.
    pub(crate) fn unmap(&mut self, sink: &dyn PteSink, asid: usize, va: u64) -> Result<PageSize> {
        if asid >= MAX_ASID {
            return Err(EINVAL);
        }
        let mut tables = [Table::Hop0(asid); 5];
        let mut leaf_hop = None;
        for h in 0..5 {
            let pte = self.pte(tables[h], hop_index(va, h));
            if pte & PTE_PRESENT == 0 {
                return Err(EINVAL);
            }
            if pte & PTE_LAST != 0 {
                leaf_hop = Some(h);
                break;
            }
            if h == 4 {
                return Err(EINVAL);
            }
            tables[h + 1] = Table::Pool(Self::slot_of(pte).ok_or(EINVAL)?);
        }
        let (leaf_hop, size) = match leaf_hop {
            Some(4) => (4, PageSize::Small),
            Some(3) => (3, PageSize::Huge),
            _ => return Err(EINVAL),
        };
        if va % size.bytes() != 0 {
            return Err(EINVAL);
        }
        self.set_pte(sink, tables[leaf_hop], hop_index(va, leaf_hop), 0)?;
        // Free hops that became empty, walking up; hop 0 is never freed. A hop is unlinked
        // from its parent before it goes back to the pool, so it is never reachable and free.
        let mut h = leaf_hop;
        while h > 0 {
            if self.adjust_used(tables[h], false) != 0 {
                break;
            }
            self.set_pte(sink, tables[h - 1], hop_index(va, h - 1), 0)?;
            if let Table::Pool(s) = tables[h] {
                self.free_hop(s);
            }
            h -= 1;
        }
        Ok(size)
    }

    /// Maps `pages` consecutive pages from `va`, page `i` to `pas[i]`. If one fails, the
    /// pages mapped before it are unmapped again, so the range is all or nothing.
    pub(crate) fn map_range(
        &mut self,
        sink: &dyn PteSink,
        asid: usize,
        va: u64,
        pas: &[u64],
        size: PageSize,
    ) -> Result {
        for (i, &pa) in pas.iter().enumerate() {
            let at = va + i as u64 * size.bytes();
            if let Err(e) = self.map(sink, asid, at, pa, size) {
                for j in 0..i {
                    let _ = self.unmap(sink, asid, va + j as u64 * size.bytes());
                }
                return Err(e);
            }
        }
        Ok(())
    }

    /// Unmaps `count` pages of `size` from `va`; returns how many were not mapped.
    pub(crate) fn unmap_range(
        &mut self,
        sink: &dyn PteSink,
        asid: usize,
        va: u64,
        count: usize,
        size: PageSize,
    ) -> usize {
        (0..count)
            .filter(|i| {
                self.unmap(sink, asid, va + *i as u64 * size.bytes())
                    .is_err()
            })
            .count()
    }

    /// The physical address `va` of `asid` translates to, walking the shadow.
    pub(crate) fn translate(&self, asid: usize, va: u64) -> Option<u64> {
        let mut t = Table::Hop0(asid);
        for (h, shift) in HOP_SHIFT.iter().enumerate() {
            let pte = self.pte(t, hop_index(va, h));
            if pte & PTE_PRESENT == 0 {
                return None;
            }
            if pte & PTE_LAST != 0 {
                let low = (1u64 << shift) - 1;
                return Some((pte & PTE_ADDR_MASK & !low) | (va & low));
            }
            t = Table::Pool(Self::slot_of(pte)?);
        }
        None
    }

    /// Drops every mapping of `asid`: its hop-0 entries are cleared on the device and its
    /// pool hops freed. Returns how many pool hops were freed. A subtree whose hop-0 entry
    /// cannot be cleared on the device is kept (still reachable, it must not be reused); the
    /// first such error is returned after the rest was cleared.
    pub(crate) fn clear_asid(&mut self, sink: &dyn PteSink, asid: usize) -> Result<usize> {
        let mut freed = 0;
        let mut first_err = None;
        for i in 0..PTES_PER_HOP {
            let pte = self.hop0[asid][i];
            if pte & PTE_PRESENT == 0 {
                continue;
            }
            if let Err(e) = self.set_pte(sink, Table::Hop0(asid), i, 0) {
                first_err.get_or_insert(e);
                continue;
            }
            // Unreachable now: free the subtree. Should the walk run out of memory, what it
            // did not reach stays allocated but unreachable, never aliased.
            let mut stack = KVec::new();
            if let Some(s) = Self::slot_of(pte) {
                let _ = stack.push(s, GFP_KERNEL);
            }
            while let Some(s) = stack.pop() {
                if let Some(h) = self.pool[s].as_ref() {
                    for &child in h.ptes.iter() {
                        if child & PTE_PRESENT != 0 && child & PTE_LAST == 0 {
                            if let Some(c) = Self::slot_of(child) {
                                let _ = stack.push(c, GFP_KERNEL);
                            }
                        }
                    }
                }
                self.free_hop(s);
                freed += 1;
            }
        }
        match first_err {
            Some(e) => Err(e),
            None => Ok(freed),
        }
    }
}

#[kunit_tests(habanalabs_rs_mmu)]
mod tests {
    use super::*;
    use core::cell::{Cell, RefCell};

    /// Records writes like HBM would hold them; can be told to fail after N writes.
    struct FakeHbm {
        mem: RefCell<KVec<(u64, u64)>>,
        writes: Cell<usize>,
        fail_after: Cell<usize>,
    }

    impl FakeHbm {
        fn new() -> Self {
            Self {
                mem: RefCell::new(KVec::new()),
                writes: Cell::new(0),
                fail_after: Cell::new(usize::MAX),
            }
        }

        fn read(&self, addr: u64) -> u64 {
            let Ok(mem) = self.mem.try_borrow() else {
                return u64::MAX;
            };
            mem.iter()
                .rev()
                .find(|(a, _)| *a == addr)
                .map_or(0, |(_, v)| *v)
        }

        /// Walks the tables as the device would, reading only what was written to "HBM".
        fn walk(&self, asid: usize, va: u64) -> Option<u64> {
            let mut table = hop0_addr(asid);
            for (h, shift) in HOP_SHIFT.iter().enumerate() {
                let pte = self.read(table + hop_index(va, h) as u64 * 8);
                if pte & PTE_PRESENT == 0 {
                    return None;
                }
                if pte & PTE_LAST != 0 {
                    let low = (1u64 << shift) - 1;
                    return Some((pte & PTE_ADDR_MASK & !low) | (va & low));
                }
                table = pte & PTE_ADDR_MASK;
            }
            None
        }
    }

    impl PteSink for FakeHbm {
        fn write_pte(&self, addr: u64, val: u64) -> Result {
            let n = self.writes.get();
            if n >= self.fail_after.get() {
                return Err(EIO);
            }
            self.writes.set(n + 1);
            let mut mem = self.mem.try_borrow_mut().map_err(|_| EBUSY)?;
            mem.push((addr, val), GFP_KERNEL)?;
            Ok(())
        }
    }

    const VA: u64 = 0x1_0000_0020_0000;
    const HOST: u64 = 0x80_1234_0000;

    #[test]
    fn small_page_walks_five_hops_on_the_device() {
        let hbm = FakeHbm::new();
        let mut t = Tables::new(64).unwrap();
        t.map(&hbm, 1, VA + 0x3000, HOST, PageSize::Small).unwrap();
        assert_eq!(hbm.walk(1, VA + 0x3010), Some(HOST + 0x10));
        assert_eq!(t.translate(1, VA + 0x3010), Some(HOST + 0x10));
        // Four new hops (1 to 4); the other ASID sees nothing.
        assert_eq!(t.hops_in_use(), 4);
        assert_eq!(hbm.walk(0, VA + 0x3010), None);
        assert_eq!(hbm.walk(1, VA + 0x4000), None);
    }

    #[test]
    fn huge_page_ends_in_hop3() {
        let hbm = FakeHbm::new();
        let mut t = Tables::new(64).unwrap();
        t.map(&hbm, 1, VA, 0x80_0040_0000, PageSize::Huge).unwrap();
        assert_eq!(t.hops_in_use(), 3);
        assert_eq!(hbm.walk(1, VA + 0x1_2345), Some(0x80_0041_2345));
        // A small page inside the huge one is refused and changes nothing.
        assert_eq!(
            t.map(&hbm, 1, VA + 0x1000, HOST, PageSize::Small),
            Err(EINVAL)
        );
        assert_eq!(t.hops_in_use(), 3);
        assert_eq!(t.unmap(&hbm, 1, VA), Ok(PageSize::Huge));
        assert_eq!(hbm.walk(1, VA), None);
        assert_eq!(t.hops_in_use(), 0);
    }

    #[test]
    fn double_map_and_unmapping_nothing_are_refused() {
        let hbm = FakeHbm::new();
        let mut t = Tables::new(64).unwrap();
        t.map(&hbm, 1, VA, HOST, PageSize::Small).unwrap();
        assert_eq!(
            t.map(&hbm, 1, VA, HOST + 0x1000, PageSize::Small),
            Err(EINVAL)
        );
        assert_eq!(hbm.walk(1, VA), Some(HOST));
        assert_eq!(t.unmap(&hbm, 1, VA + 0x1000), Err(EINVAL));
        assert_eq!(t.unmap(&hbm, 1, VA), Ok(PageSize::Small));
        assert_eq!(t.unmap(&hbm, 1, VA), Err(EINVAL));
        assert_eq!(t.map(&hbm, 1, VA + 1, HOST, PageSize::Small), Err(EINVAL));
        assert_eq!(t.map(&hbm, 2, VA, HOST, PageSize::Small), Err(EINVAL));
    }

    #[test]
    fn unmap_frees_hops_bottom_up_but_keeps_shared_ones() {
        let hbm = FakeHbm::new();
        let mut t = Tables::new(64).unwrap();
        t.map(&hbm, 1, VA, HOST, PageSize::Small).unwrap();
        t.map(&hbm, 1, VA + 0x1000, HOST + 0x1000, PageSize::Small)
            .unwrap();
        assert_eq!(t.hops_in_use(), 4);
        t.unmap(&hbm, 1, VA).unwrap();
        assert_eq!(t.hops_in_use(), 4);
        assert_eq!(hbm.walk(1, VA + 0x1000), Some(HOST + 0x1000));
        t.unmap(&hbm, 1, VA + 0x1000).unwrap();
        assert_eq!(t.hops_in_use(), 0);
        // Hop 0 points nowhere any more, on the device too.
        assert_eq!(hbm.read(hop0_addr(1) + hop_index(VA, 0) as u64 * 8), 0);
    }

    #[test]
    fn failure_in_the_middle_of_a_range_leaves_nothing_mapped() {
        let hbm = FakeHbm::new();
        // Room for the first 512 small pages' hops (1 to 4) but not the next hop 4.
        let mut t = Tables::new(4).unwrap();
        let mut pas = KVec::new();
        for i in 0..600u64 {
            pas.push(HOST + i * 0x1000, GFP_KERNEL).unwrap();
        }
        // VA is 2 MiB aligned: pages 0..511 share one hop 4, page 512 needs another.
        assert_eq!(t.map_range(&hbm, 1, VA, &pas, PageSize::Small), Err(ENOMEM));
        assert_eq!(t.hops_in_use(), 0);
        for i in [0u64, 1, 300, 511, 512] {
            assert_eq!(hbm.walk(1, VA + i * 0x1000), None);
            assert_eq!(t.translate(1, VA + i * 0x1000), None);
        }
        // With room it works, and every page lands where asked.
        let mut t = Tables::new(64).unwrap();
        t.map_range(&hbm, 1, VA, &pas, PageSize::Small).unwrap();
        assert_eq!(
            hbm.walk(1, VA + 599 * 0x1000 + 8),
            Some(HOST + 599 * 0x1000 + 8)
        );
        assert_eq!(t.unmap_range(&hbm, 1, VA, 600, PageSize::Small), 0);
        assert_eq!(t.hops_in_use(), 0);
    }

    #[test]
    fn device_write_failure_unwinds_the_map() {
        let hbm = FakeHbm::new();
        let mut t = Tables::new(64).unwrap();
        // Fail while clearing the third new hop.
        hbm.fail_after.set(2 * 512 + 10);
        assert_eq!(t.map(&hbm, 1, VA, HOST, PageSize::Small), Err(EIO));
        assert_eq!(t.hops_in_use(), 0);
        assert_eq!(hbm.walk(1, VA), None);
        hbm.fail_after.set(usize::MAX);
        t.map(&hbm, 1, VA, HOST, PageSize::Small).unwrap();
        assert_eq!(hbm.walk(1, VA), Some(HOST));
    }

    #[test]
    fn failure_while_linking_gives_every_new_hop_back() {
        let hbm = FakeHbm::new();
        let mut t = Tables::new(64).unwrap();
        // Four hops cleared (4 * 512 writes), the leaf written, then the first link fails.
        hbm.fail_after.set(4 * 512 + 1);
        assert_eq!(t.map(&hbm, 1, VA, HOST, PageSize::Small), Err(EIO));
        assert_eq!(t.hops_in_use(), 0);
        assert_eq!(hbm.walk(1, VA), None);
        hbm.fail_after.set(usize::MAX);
        t.map(&hbm, 1, VA, HOST, PageSize::Small).unwrap();
        assert_eq!(t.hops_in_use(), 4);
    }

    #[test]
    fn clearing_an_asid_frees_all_its_hops() {
        let hbm = FakeHbm::new();
        let mut t = Tables::new(64).unwrap();
        t.map(&hbm, 1, VA, HOST, PageSize::Small).unwrap();
        t.map(&hbm, 1, VA + (1 << 39), HOST, PageSize::Huge)
            .unwrap_err();
        t.map(&hbm, 1, VA + (1 << 39), 0x80_0060_0000, PageSize::Huge)
            .unwrap();
        t.map(&hbm, 0, VA, HOST, PageSize::Small).unwrap();
        let before = t.hops_in_use();
        let freed = t.clear_asid(&hbm, 1).unwrap();
        assert_eq!(t.hops_in_use(), before - freed);
        assert_eq!(t.hops_in_use(), 4);
        assert_eq!(hbm.walk(1, VA), None);
        assert_eq!(hbm.walk(1, VA + (1 << 39)), None);
        assert_eq!(hbm.walk(0, VA), Some(HOST));
    }
}
