//! The chunk records of a chunked dataset being written, kept compactly until its chunk
//! index is built at flush (spec III.A.1 type 1 records, IV.A.2.i).
//!
//! A chunk is named by its linear index on the dataset's chunk grid (C order, so the
//! index order is the B-tree's key order). Records live in pages of 64 slots of 16
//! bytes (address, stored size, filter mask), allocated as chunks are written: a dataset
//! written whole costs about 17 bytes a chunk, a chunk written alone at most one page.
//! Given a scratch directory, a store keeps a bounded number of pages in memory and the
//! rest in a scratch file (see `chunk_pages`).

use crate::error::{Error, Result};
use crate::format::btree_v1::ChunkRef;
use crate::format::chunk_index::ChunkRecord;
use crate::format::{MAX_RANK, UNDEF};
use crate::write::chunk_pages::{Page, Pages, Scratch, Slot, EMPTY, SLOTS};

/// Slots a page holds, as a grid index step.
const PAGE: u64 = SLOTS as u64;

/// The records of one dataset, keyed by chunk position.
#[derive(Debug)]
pub(crate) struct ChunkStore {
    chunk_dims: Vec<u64>,
    /// Chunks along each dimension of the current shape.
    grid: Vec<u64>,
    pages: Pages,
    len: usize,
    /// Bumped by every change to the records (see [`changes`](Self::changes)).
    changes: u64,
}

impl ChunkStore {
    /// No chunks yet, for a dataset of `shape` in chunks of `chunk_dims` (checked: same
    /// rank, no zero chunk dimension); records beyond a bounded cache go to `scratch`.
    pub(crate) fn new(chunk_dims: &[u64], shape: &[u64], scratch: &Scratch) -> Result<Self> {
        Ok(ChunkStore {
            chunk_dims: chunk_dims.to_vec(),
            grid: grid(chunk_dims, shape)?,
            pages: Pages::new(scratch),
            len: 0,
            changes: 0,
        })
    }

    /// The chunk dimensions.
    pub(crate) fn chunk_dims(&self) -> &[u64] {
        &self.chunk_dims
    }

    /// How many chunks are stored.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// The linear grid index of the chunk whose first element is at `offset`, if that
    /// is a chunk of the grid.
    fn index(&self, offset: &[u64]) -> Option<u64> {
        if offset.len() != self.grid.len() {
            return None;
        }
        let mut at = 0u64;
        for ((&o, &c), &n) in offset.iter().zip(&self.chunk_dims).zip(&self.grid) {
            if o % c != 0 || o / c >= n {
                return None;
            }
            // Fits: the grid's chunk count was checked to fit a u64.
            at = at * n + o / c;
        }
        Some(at)
    }

    /// The offset (in elements) of the chunk with linear index `at`, in the first
    /// `rank` values of `offset` (`grid` checked the rank).
    fn offset_into(&self, mut at: u64, offset: &mut [u64; MAX_RANK]) {
        for d in (0..self.grid.len()).rev() {
            offset[d] = at % self.grid[d] * self.chunk_dims[d];
            at /= self.grid[d];
        }
    }

    fn record(&self, at: u64, slot: &Slot) -> ChunkRecord {
        let mut offset = [0; MAX_RANK];
        self.offset_into(at, &mut offset);
        ChunkRecord {
            offset: offset[..self.grid.len()].to_vec(),
            address: slot.address,
            size: u64::from(slot.size),
            filter_mask: slot.filter_mask,
        }
    }

    /// The record of the chunk at `offset`, if it is stored.
    pub(crate) fn get(&self, offset: &[u64]) -> Result<Option<ChunkRecord>> {
        let Some(at) = self.index(offset) else {
            return Ok(None);
        };
        let slot = self.pages.slot(at / PAGE, (at % PAGE) as usize)?;
        Ok((slot.address != UNDEF).then(|| self.record(at, &slot)))
    }

    /// Stores `r`; returns the (address, size) of the record it replaces.
    pub(crate) fn insert(&mut self, r: &ChunkRecord) -> Result<Option<(u64, u64)>> {
        self.insert_ref(ChunkRef {
            offset: &r.offset,
            address: r.address,
            size: r.size,
            filter_mask: r.filter_mask,
        })
    }

    /// [`insert`](Self::insert) of a borrowed record.
    pub(crate) fn insert_ref(&mut self, r: ChunkRef<'_>) -> Result<Option<(u64, u64)>> {
        let at = self.index(r.offset).ok_or_else(|| {
            Error::InvalidInput(format!(
                "chunk offset {:?} is not on the chunk grid {:?} of {:?}",
                r.offset, self.grid, self.chunk_dims
            ))
        })?;
        let new = slot_of(&r)?;
        self.changes += 1;
        let slot = &mut self.pages.page_mut(at / PAGE)?[(at % PAGE) as usize];
        let old = std::mem::replace(slot, new);
        if old.address == UNDEF {
            self.len += 1;
            Ok(None)
        } else {
            Ok(Some((old.address, u64::from(old.size))))
        }
    }

    /// Stores the records that `feed` hands to the function it is given, as
    /// [`insert_ref`](Self::insert_ref) would, except that records off the grid are
    /// skipped; returns what `feed` returns. A chunk index lists its records in grid
    /// order, so they are gathered a page at a time: one page lookup per page, not one
    /// per record.
    pub(crate) fn load<T>(
        &mut self,
        feed: impl FnOnce(&mut dyn FnMut(ChunkRef<'_>) -> Result<()>) -> Result<T>,
    ) -> Result<T> {
        let mut batch = PageBatch::new();
        let fed = feed(&mut |r| match self.index(r.offset) {
            Some(at) => batch.put(self, at, slot_of(&r)?),
            None => Ok(()),
        })?;
        batch.flush(self)?;
        Ok(fed)
    }

    /// Stores the records of `page` (its slots that hold one) in page `p`.
    fn merge(&mut self, p: u64, page: &Page) -> Result<()> {
        let stored = self.pages.page_mut(p)?;
        let mut added = 0;
        for (to, from) in stored.iter_mut().zip(page) {
            if from.address != UNDEF {
                added += usize::from(to.address == UNDEF);
                *to = *from;
            }
        }
        self.len += added;
        self.changes += 1;
        Ok(())
    }

    /// Every stored slot with its grid index, in grid order.
    fn slots(&self) -> impl Iterator<Item = Result<(u64, Slot)>> + '_ {
        let mut page: Page = [EMPTY; SLOTS];
        let mut at = None::<u64>;
        let mut i = SLOTS;
        let mut from = Some(0u64);
        std::iter::from_fn(move || loop {
            if let Some(p) = at {
                while i < SLOTS {
                    i += 1;
                    if page[i - 1].address != UNDEF {
                        return Some(Ok((p * PAGE + (i - 1) as u64, page[i - 1])));
                    }
                }
            }
            let p = self.pages.next_page(from?)?;
            from = p.checked_add(1);
            match self.pages.read(p, &mut page) {
                Ok(_) => (at, i) = (Some(p), 0),
                Err(e) => {
                    from = None;
                    at = None;
                    return Some(Err(e));
                }
            }
        })
    }

    /// Every record, in chunk-offset (C) order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = Result<ChunkRecord>> + '_ {
        self.slots()
            .map(|s| s.map(|(at, slot)| self.record(at, &slot)))
    }

    /// Calls `f` with every record, borrowed, in chunk-offset (C) order: what
    /// [`iter`](Self::iter) gives, without building each record.
    pub(crate) fn for_each_ref(&self, mut f: impl FnMut(ChunkRef<'_>) -> Result<()>) -> Result<()> {
        let rank = self.grid.len();
        let mut offset = [0; MAX_RANK];
        for s in self.slots() {
            let (at, slot) = s?;
            self.offset_into(at, &mut offset);
            f(ChunkRef {
                offset: &offset[..rank],
                address: slot.address,
                size: u64::from(slot.size),
                filter_mask: slot.filter_mask,
            })?;
        }
        Ok(())
    }

    /// The (address, size) of every stored chunk, in chunk order.
    pub(crate) fn extents(&self) -> impl Iterator<Item = Result<(u64, u64)>> + '_ {
        self.slots()
            .map(|s| s.map(|(_, slot)| (slot.address, u64::from(slot.size))))
    }

    /// Calls `f(address, size)` on every stored chunk; `f` may move the chunk.
    pub(crate) fn for_each_address_mut(
        &mut self,
        mut f: impl FnMut(&mut u64, u64) -> Result<()>,
    ) -> Result<()> {
        let mut moved = false;
        let result = self.pages.for_each_page_mut(|page| {
            for s in page.iter_mut().filter(|s| s.address != UNDEF) {
                let was = s.address;
                f(&mut s.address, u64::from(s.size))?;
                moved |= s.address != was;
            }
            Ok(())
        });
        if moved {
            self.changes += 1;
        }
        result
    }

    /// A count of the changes made to the records so far: inserts, records dropped by
    /// a reshape, chunks moved. Equal counts of one store mean equal records (a
    /// reshape that drops nothing keeps every record, so it changes nothing here).
    pub(crate) fn changes(&self) -> u64 {
        self.changes
    }

    /// Moves to the grid of `shape` (same rank); chunks wholly outside it are dropped
    /// and their (address, size) returned. A grid that changes in its first dimension
    /// only keeps every grid index, so its records stay where they are.
    pub(crate) fn reshape(&mut self, shape: &[u64]) -> Result<Vec<(u64, u64)>> {
        let new_grid = grid(&self.chunk_dims, shape)?;
        if new_grid.get(1..) == self.grid.get(1..) && new_grid.first() >= self.grid.first() {
            self.grid = new_grid;
            return Ok(Vec::new());
        }
        let mut next = ChunkStore::new(&self.chunk_dims, shape, self.pages.scratch())?;
        let mut dropped = Vec::new();
        // Records go over page by page, in grid order (which both grids share).
        let mut batch = PageBatch::new();
        let mut coords = vec![0u64; self.grid.len()];
        for s in self.slots() {
            let (mut at, slot) = s?;
            for (c, &n) in coords.iter_mut().zip(&self.grid).rev() {
                *c = at % n;
                at /= n;
            }
            if coords.iter().zip(&new_grid).any(|(c, n)| c >= n) {
                dropped.push((slot.address, u64::from(slot.size)));
                continue;
            }
            // Fits: inside the new grid, whose chunk count fits a u64.
            let to = coords.iter().zip(&new_grid).fold(0, |a, (c, n)| a * n + c);
            batch.put(&mut next, to, slot)?;
        }
        batch.flush(&mut next)?;
        next.changes = self.changes + u64::from(!dropped.is_empty());
        *self = next;
        Ok(dropped)
    }
}

/// Records arriving in grid order, gathered into one page before they go into a store:
/// one page lookup per page, not one per record.
struct PageBatch {
    at: Option<u64>,
    page: Page,
}

impl PageBatch {
    fn new() -> Self {
        PageBatch {
            at: None,
            page: [EMPTY; SLOTS],
        }
    }

    /// Adds `slot` at grid index `at`, storing the page gathered so far in `store` first
    /// if `at` is on another page.
    fn put(&mut self, store: &mut ChunkStore, at: u64, slot: Slot) -> Result<()> {
        if self.at != Some(at / PAGE) {
            self.flush(store)?;
            self.at = Some(at / PAGE);
        }
        self.page[(at % PAGE) as usize] = slot;
        Ok(())
    }

    /// Stores the page gathered so far in `store` (merged into what it holds).
    fn flush(&mut self, store: &mut ChunkStore) -> Result<()> {
        if let Some(p) = self.at.take() {
            store.merge(p, &self.page)?;
            self.page = [EMPTY; SLOTS];
        }
        Ok(())
    }
}

/// The slot of record `r`: an error for a size over 32 bits or no address.
fn slot_of(r: &ChunkRef<'_>) -> Result<Slot> {
    let size = u32::try_from(r.size).map_err(|_| Error::TooLarge {
        what: "stored chunk",
        size: u128::from(r.size),
    })?;
    if r.address == UNDEF {
        return Err(Error::InvalidInput(format!(
            "chunk at {:?} has no address",
            r.offset
        )));
    }
    Ok(Slot {
        address: r.address,
        size,
        filter_mask: r.filter_mask,
    })
}

/// Chunks along each dimension of `shape` (of rank at most [`MAX_RANK`]); their product
/// must fit a u64.
fn grid(chunk_dims: &[u64], shape: &[u64]) -> Result<Vec<u64>> {
    if chunk_dims.len() != shape.len() || chunk_dims.len() > MAX_RANK || chunk_dims.contains(&0) {
        return Err(Error::InvalidInput(format!(
            "chunk shape {chunk_dims:?} does not fit shape {shape:?}"
        )));
    }
    let grid: Vec<u64> = shape
        .iter()
        .zip(chunk_dims)
        .map(|(&n, &c)| n.div_ceil(c))
        .collect();
    grid.iter()
        .try_fold(1u64, |a, &n| a.checked_mul(n))
        .ok_or_else(|| {
            Error::InvalidInput(format!(
                "shape {shape:?} has more chunks of {chunk_dims:?} than fit a 64-bit index"
            ))
        })?;
    Ok(grid)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests;
