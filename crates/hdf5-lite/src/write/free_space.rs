//! The writer's file-space allocator: free extents are reused, and nothing reachable
//! from the durable superblock is ever handed out.
//!
//! An extent is in one of four states. *Live*: reachable from the superblock on disk
//! (not tracked here). *Fresh*: allocated by the open transaction. *Pending*: live, but
//! no longer reachable from the superblock the open transaction will commit (an old
//! object header, a replaced chunk); it becomes free once that superblock is durable, as
//! LMDB frees pages. *Free*: reachable from no durable superblock; handed out again,
//! lowest address first, before the file grows: what is written lands as low as it
//! can, so free space gathers at the end, where a commit cuts it off, and what stays at
//! the end is what was written longest ago (which a compacting close moves down; see
//! `compact`). Best fit left the newest structures scattered up to the end of file.
//!
//! Releasing a fresh extent frees it at once (no durable superblock points at it); a
//! rollback frees every fresh extent and forgets the pending ones. After a commit, free
//! space at the end of the file is given back (the writer truncates the file).

use std::collections::{BTreeMap, BTreeSet};

use crate::format::Allocate;

/// Free extents shorter than this are left out of the lowest-first search.
const WIDE: u64 = 64;

/// The lowest-first search looks at this many wide free extents at most, then takes
/// the best fit, so that an allocation costs the same on a file with many holes.
const SCAN: usize = 64;

/// Free and allocated file space of one writer.
#[derive(Debug, Default)]
pub(crate) struct FreeSpace {
    /// Free extents, start → end, coalesced.
    free: BTreeMap<u64, u64>,
    /// The same extents by (length, start), for best fit.
    by_len: BTreeSet<(u64, u64)>,
    /// The extents of at least [`WIDE`] bytes, start → end: the ones the lowest-first
    /// search looks through (alignment padding and other slivers are many and hold
    /// next to nothing).
    wide: BTreeMap<u64, u64>,
    /// Everything at or past `end` is unused.
    end: u64,
    /// Extents allocated by the open transaction, start → end; an allocation that
    /// starts where a fresh extent ends joins it (an import appends one chunk after
    /// another: one entry, not one a chunk).
    fresh: BTreeMap<u64, u64>,
    /// Live extents the open transaction no longer points at, start → end.
    pending: BTreeMap<u64, u64>,
    /// Allocations made since [`FreeSpace::start_log`], when logging.
    log: Option<Vec<(u64, u64)>>,
    /// While compacting: allocations go below this address when a free extent there
    /// fits them (best fit among those), else to the lowest free extent that fits.
    below: Option<u64>,
}

/// A copy of the free extents with running totals: the free bytes below an address in
/// O(log n), where [`FreeSpace::free_below`] walks every extent below it.
pub(crate) struct FreeTotals {
    /// (start, end, free bytes below start), by start.
    extents: Vec<(u64, u64, u64)>,
}

impl FreeTotals {
    /// Free bytes below `limit`.
    pub(crate) fn below(&self, limit: u64) -> u64 {
        let i = self.extents.partition_point(|&(s, _, _)| s < limit);
        match i.checked_sub(1).map(|i| self.extents[i]) {
            Some((s, e, before)) => before + e.min(limit) - s,
            None => 0,
        }
    }
}

impl FreeSpace {
    /// An allocator for a file whose used space ends at `end`, with no known holes.
    pub(crate) fn new(end: u64) -> Self {
        FreeSpace {
            end,
            ..Self::default()
        }
    }

    /// Where the used space ends (the end of file address a commit would write).
    pub(crate) fn end(&self) -> u64 {
        self.end
    }

    /// Free bytes below the end.
    #[cfg(test)]
    pub(crate) fn free_bytes(&self) -> u64 {
        self.free.iter().map(|(s, e)| e - s).sum()
    }

    /// Free bytes below `limit`.
    pub(crate) fn free_below(&self, limit: u64) -> u64 {
        self.free
            .range(..limit)
            .map(|(&s, &e)| e.min(limit) - s)
            .sum()
    }

    /// The free extents as they are now, for many [`FreeTotals::below`] questions.
    pub(crate) fn totals(&self) -> FreeTotals {
        let mut before = 0;
        let extents = self
            .free
            .iter()
            .map(|(&s, &e)| {
                let at = (s, e, before);
                before += e - s;
                at
            })
            .collect();
        FreeTotals { extents }
    }

    /// Makes allocations go below `limit` where they fit, best fit (`None`: the
    /// lowest free extent that fits, the default).
    pub(crate) fn set_below(&mut self, limit: Option<u64>) {
        self.below = limit;
    }

    /// Marks `start..end` free (holes found by walking the file on open).
    pub(crate) fn add_free(&mut self, start: u64, end: u64) {
        if start < end && end <= self.end {
            self.insert_free(start, end);
        }
    }

    fn insert_free(&mut self, mut start: u64, mut end: u64) {
        // Coalesce with the neighbours.
        if let Some((&s, &e)) = self.free.range(..=start).next_back() {
            if e >= start {
                self.remove_free(s);
                start = s;
                end = end.max(e);
            }
        }
        while let Some((&s, &e)) = self.free.range(start..=end).next() {
            self.remove_free(s);
            end = end.max(e);
        }
        if end >= self.end {
            // Free space at the end is simply not used.
            self.end = start;
            return;
        }
        self.put_free(start, end);
    }

    /// Records `start..end` as free (not adjacent to another free extent).
    fn put_free(&mut self, start: u64, end: u64) {
        self.free.insert(start, end);
        self.by_len.insert((end - start, start));
        if end - start >= WIDE {
            self.wide.insert(start, end);
        }
    }

    fn remove_free(&mut self, start: u64) {
        if let Some(end) = self.free.remove(&start) {
            self.by_len.remove(&(end - start, start));
            self.wide.remove(&start);
        }
    }

    /// Gives back `size` bytes at `address` that the open transaction no longer uses:
    /// free at once if the transaction allocated them, else once it commits.
    pub(crate) fn release(&mut self, address: u64, size: u64) {
        if size == 0 || address == crate::format::UNDEF {
            return;
        }
        let end = address.saturating_add(size);
        match self.fresh.range(..=address).next_back() {
            Some((&s, &e)) if e >= end => {
                self.fresh.remove(&s);
                if s < address {
                    self.fresh.insert(s, address);
                }
                if end < e {
                    self.fresh.insert(end, e);
                }
                self.insert_free(address, end);
            }
            _ => {
                self.pending.insert(address, end);
            }
        }
    }

    /// Starts recording allocations; returns those recorded since the last call.
    pub(crate) fn start_log(&mut self) -> Vec<(u64, u64)> {
        self.log.replace(Vec::new()).unwrap_or_default()
    }

    /// Stops recording; returns what was recorded.
    pub(crate) fn stop_log(&mut self) -> Vec<(u64, u64)> {
        self.log.take().unwrap_or_default()
    }

    /// The end of file once the pending extents are free too: what the superblock of
    /// the commit records.
    pub(crate) fn end_after_commit(&self) -> u64 {
        let mut end = self.end;
        loop {
            let reaching = |m: &BTreeMap<u64, u64>| {
                m.range(..end)
                    .next_back()
                    .filter(|(_, &e)| e >= end)
                    .map(|(&s, _)| s)
            };
            match reaching(&self.pending)
                .into_iter()
                .chain(reaching(&self.free))
                .min()
            {
                Some(start) => end = start,
                None => return end,
            }
        }
    }

    /// The commit is durable: pending extents become free and fresh ones live.
    pub(crate) fn committed(&mut self) {
        self.fresh.clear();
        for (s, e) in std::mem::take(&mut self.pending) {
            self.insert_free(s, e);
        }
    }

    /// The transaction is dropped: its allocations are free again and what it released
    /// stays live.
    pub(crate) fn rolled_back(&mut self) {
        self.pending.clear();
        self.log = None;
        for (s, e) in std::mem::take(&mut self.fresh) {
            self.insert_free(s, e);
        }
    }
}

impl FreeSpace {
    /// Space for `size` bytes of chunk data, which no reader needs aligned: chunks
    /// written one after another at the end of file leave no padding between them.
    pub(crate) fn allocate_data(&mut self, size: u64) -> u64 {
        self.allocate_aligned(size, 1)
    }

    fn allocate_aligned(&mut self, size: u64, align: u64) -> u64 {
        let size = size.max(1);
        let fits = |len: u64, start: u64| start.div_ceil(align) * align + size <= start + len;
        let best = || {
            self.by_len
                .range((size, 0)..)
                .find(|&&(len, start)| fits(len, start))
                .copied()
        };
        // The lowest free extent that holds `size` bytes at an aligned start,
        // among the lowest SCAN wide ones, else the best fitting one (when compacting:
        // the best fitting one below the limit first).
        let lowest = || {
            // Nothing to look for when no free extent is that long.
            match self.by_len.last() {
                Some(&(longest, _)) if longest >= size => self
                    .wide
                    .iter()
                    .take(SCAN)
                    .map(|(&start, &end)| (end - start, start))
                    .find(|&(len, start)| fits(len, start))
                    .or_else(best),
                _ => None,
            }
        };
        let found = match self.below {
            None => lowest(),
            Some(limit) => self
                .by_len
                .range((size, 0)..)
                .find(|&&(len, start)| start < limit && fits(len.min(limit - start), start))
                .copied()
                .or_else(lowest),
        };
        let address = match found {
            Some((len, start)) => {
                let end = start + len;
                self.remove_free(start);
                let address = start.div_ceil(align) * align;
                if address > start {
                    self.put_free(start, address);
                }
                if address + size < end {
                    self.put_free(address + size, end);
                }
                address
            }
            None => {
                let pad = self.end;
                let address = pad.div_ceil(align) * align;
                self.end = address + size;
                // The alignment padding is free space like any other, so that no byte
                // of the file goes untracked.
                if pad < address {
                    self.insert_free(pad, address);
                }
                address
            }
        };
        match self.fresh.range_mut(..=address).next_back() {
            Some((_, e)) if *e == address => *e = address + size,
            _ => {
                self.fresh.insert(address, address + size);
            }
        }
        if let Some(log) = &mut self.log {
            log.push((address, size));
        }
        address
    }
}

impl Allocate for FreeSpace {
    fn allocate(&mut self, size: u64) -> u64 {
        self.allocate_aligned(size, 8)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reuses_released_space_only_after_the_commit() {
        let mut f = FreeSpace::new(96);
        let a = f.allocate(100);
        let b = f.allocate(50);
        assert_eq!((a, b), (96, 200));
        f.committed();
        // Released live space is pending: not handed out before the commit.
        f.release(a, 100);
        assert_eq!(f.allocate(40), 256);
        assert_eq!(f.end_after_commit(), 296);
        f.committed();
        // Now it is free, lowest first, aligned.
        assert_eq!(f.allocate(40), 96);
        assert_eq!(f.allocate(60), 136);
        assert_eq!(f.free_bytes(), 10);
        // The padding after the 60 bytes joins them when they are freed.
        f.release(136, 60);
        assert_eq!(f.free_bytes(), 70);
    }

    #[test]
    fn a_limit_keeps_allocations_below_it_where_they_fit() {
        let mut f = FreeSpace::new(1000);
        f.add_free(100, 300);
        f.add_free(400, 440);
        f.add_free(600, 900);
        f.add_free(950, 990);
        assert_eq!(f.free_below(500), 240);
        let totals = f.totals();
        for limit in [0, 1, 99, 100, 150, 200, 499, 500, 10_000] {
            assert_eq!(totals.below(limit), f.free_below(limit), "below {limit}");
        }
        assert_eq!(f.free_below(700), 340);
        // Below 500 the best fit for 40 bytes is the hole at 400 (lowest first would
        // take 104), and what fits nowhere below goes to the lowest hole that holds it.
        f.set_below(Some(500));
        assert_eq!(f.allocate(40), 400);
        assert_eq!(f.allocate(32), 104);
        assert_eq!(f.allocate(250), 600);
        f.set_below(None);
        assert_eq!(f.allocate(40), 136);
        assert_eq!(f.allocate(60), 176);
        // Longer than any free extent: at the end, without a scan.
        assert_eq!(f.allocate(500), 1000);
    }

    #[test]
    fn chunks_appended_share_one_fresh_extent() {
        let mut f = FreeSpace::new(3);
        let a: Vec<u64> = (0..1000).map(|i| f.allocate_data(13 + i % 5)).collect();
        assert_eq!(a[0], 3);
        assert_eq!((f.fresh.len(), f.free.len()), (1, 0));
        // One in the middle is freed alone, and its space handed out again.
        f.release(a[500], 13);
        assert_eq!((f.fresh.len(), f.free_bytes()), (2, 13));
        assert_eq!(f.allocate_data(9), a[500]);
        assert_eq!(f.free_bytes(), 4);
        // An aligned allocation after them pads as before.
        let b = f.allocate(8);
        assert_eq!(b % 8, 0);
        f.release(a[999], 13 + 999 % 5);
        f.release(b, 8);
        assert_eq!(f.end(), a[999]);
        f.rolled_back();
        assert_eq!((f.end(), f.fresh.len(), f.free_bytes()), (3, 0, 0));
    }

    #[test]
    fn fresh_space_is_free_at_once_and_the_end_shrinks() {
        let mut f = FreeSpace::new(0);
        let a = f.allocate(16);
        let b = f.allocate(16);
        f.release(b, 16);
        assert_eq!(f.end(), 16);
        f.release(a, 16);
        assert_eq!(f.end(), 0);
        let c = f.allocate(8);
        f.committed();
        let d = f.allocate(8);
        f.release(c, 8);
        // c is pending and d is after it: the end stays until d goes too.
        assert_eq!(f.end_after_commit(), 16);
        f.rolled_back();
        assert_eq!(f.end(), 8);
        f.release(c, 8);
        assert_eq!(f.end_after_commit(), 0);
        let _ = d;
    }
}
