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
use crate::format::UNDEF;
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

    /// The offset (in elements) of the chunk with linear index `at`.
    fn offset(&self, mut at: u64) -> Vec<u64> {
        let mut offset = vec![0; self.grid.len()];
        for d in (0..self.grid.len()).rev() {
            offset[d] = at % self.grid[d] * self.chunk_dims[d];
            at /= self.grid[d];
        }
        offset
    }

    fn record(&self, at: u64, slot: &Slot) -> ChunkRecord {
        ChunkRecord {
            offset: self.offset(at),
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

    /// Whether `offset` is the first element of a chunk of the grid (so a record there
    /// can be stored).
    pub(crate) fn holds(&self, offset: &[u64]) -> bool {
        self.index(offset).is_some()
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
        self.changes += 1;
        let slot = &mut self.pages.page_mut(at / PAGE)?[(at % PAGE) as usize];
        let old = *slot;
        *slot = Slot {
            address: r.address,
            size,
            filter_mask: r.filter_mask,
        };
        if old.address == UNDEF {
            self.len += 1;
            Ok(None)
        } else {
            Ok(Some((old.address, u64::from(old.size))))
        }
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
        let mut page: Page = [EMPTY; SLOTS];
        let mut page_at = None::<u64>;
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
            if page_at != Some(to / PAGE) {
                if let Some(p) = page_at {
                    *next.pages.page_mut(p)? = page;
                }
                page = [EMPTY; SLOTS];
                page_at = Some(to / PAGE);
            }
            page[(to % PAGE) as usize] = slot;
            next.len += 1;
        }
        if let Some(p) = page_at {
            *next.pages.page_mut(p)? = page;
        }
        next.changes = self.changes + u64::from(!dropped.is_empty());
        *self = next;
        Ok(dropped)
    }
}

/// Chunks along each dimension of `shape`; their product must fit a u64.
fn grid(chunk_dims: &[u64], shape: &[u64]) -> Result<Vec<u64>> {
    if chunk_dims.len() != shape.len() || chunk_dims.contains(&0) {
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
mod tests {
    use super::*;

    fn rec(offset: &[u64], address: u64, size: u64) -> ChunkRecord {
        ChunkRecord {
            offset: offset.to_vec(),
            address,
            size,
            filter_mask: 0,
        }
    }

    #[test]
    fn keeps_records_in_offset_order() {
        let mut s = ChunkStore::new(&[10, 4], &[95, 30], &Scratch::Memory).unwrap();
        let offsets = [[90, 28], [0, 4], [40, 0], [0, 0], [10, 20]];
        for (i, o) in offsets.iter().enumerate() {
            assert_eq!(s.insert(&rec(o, 1000 + i as u64, 7)).unwrap(), None);
        }
        let mut want: Vec<Vec<u64>> = offsets.iter().map(|o| o.to_vec()).collect();
        want.sort();
        let got: Vec<Vec<u64>> = s.iter().map(|r| r.unwrap().offset).collect();
        assert_eq!(got, want);
        assert_eq!(s.len(), 5);
        assert_eq!(s.get(&[40, 0]).unwrap().unwrap(), rec(&[40, 0], 1002, 7));
        assert_eq!(s.get(&[40, 4]).unwrap(), None);
        assert_eq!(s.get(&[41, 0]).unwrap(), None);
        assert_eq!(s.insert(&rec(&[40, 0], 5, 9)).unwrap(), Some((1002, 7)));
        assert_eq!(s.len(), 5);
    }

    #[test]
    fn refuses_what_it_cannot_hold() {
        let mut s = ChunkStore::new(&[10, 4], &[95, 30], &Scratch::Memory).unwrap();
        assert!(s.insert(&rec(&[100, 0], 1, 1)).is_err());
        assert!(s.insert(&rec(&[5, 0], 1, 1)).is_err());
        assert!(s.insert(&rec(&[0], 1, 1)).is_err());
        assert!(s.insert(&rec(&[0, 0], 1, 1 << 32)).is_err());
        assert!(s.insert(&rec(&[0, 0], UNDEF, 1)).is_err());
        assert!(ChunkStore::new(&[1, 1, 1], &[u64::MAX, u64::MAX, 2], &Scratch::Memory).is_err());
        assert!(ChunkStore::new(&[0, 1], &[1, 1], &Scratch::Memory).is_err());
    }

    #[test]
    fn reshape_rekeys_and_drops_chunks_outside() {
        let mut s = ChunkStore::new(&[2, 2], &[6, 6], &Scratch::Memory).unwrap();
        for (i, o) in [[0, 0], [0, 4], [4, 2], [2, 2]].iter().enumerate() {
            s.insert(&rec(o, 100 + i as u64, 3)).unwrap();
        }
        let before = s.changes();
        assert_eq!(s.reshape(&[5, 3]).unwrap(), vec![(101, 3)]);
        assert_ne!(s.changes(), before);
        let got: Vec<(Vec<u64>, u64)> = s
            .iter()
            .map(|r| r.unwrap())
            .map(|r| (r.offset, r.address))
            .collect();
        assert_eq!(
            got,
            vec![(vec![0, 0], 100), (vec![2, 2], 103), (vec![4, 2], 102)]
        );
        s.reshape(&[9, 40]).unwrap();
        assert_eq!(s.get(&[4, 2]).unwrap().unwrap().address, 102);
        s.insert(&rec(&[8, 38], 7, 1)).unwrap();
        assert_eq!(s.iter().last().unwrap().unwrap().offset, vec![8, 38]);
        assert_eq!(s.extents().count(), 4);
    }

    /// What the store should hold: grid index → (address, size, mask).
    type Model = std::collections::BTreeMap<u64, (u64, u64, u32)>;

    fn check(s: &ChunkStore, model: &Model, grid: &[u64; 2], chunk: &[u64; 2]) {
        let got: Vec<ChunkRecord> = s.iter().map(|r| r.unwrap()).collect();
        let want: Vec<ChunkRecord> = model
            .iter()
            .map(|(&at, &(address, size, filter_mask))| ChunkRecord {
                offset: vec![at / grid[1] * chunk[0], at % grid[1] * chunk[1]],
                address,
                size,
                filter_mask,
            })
            .collect();
        assert_eq!(got, want);
        assert_eq!(s.len(), model.len());
        let extents: Vec<(u64, u64)> = s.extents().map(|e| e.unwrap()).collect();
        let want_extents: Vec<(u64, u64)> = want.iter().map(|r| (r.address, r.size)).collect();
        assert_eq!(extents, want_extents);
        for r in &want {
            assert_eq!(s.get(&r.offset).unwrap().as_ref(), Some(r));
        }
    }

    /// Writes `writes` (grid index, address) into a store spilling past `cap` pages and
    /// into one that keeps everything in memory; both must equal the model.
    fn run_writes(cap: usize, writes: &[(u64, u64)]) {
        let (chunk, shape) = ([3, 5], [250, 700]);
        let grid = [84, 140];
        let mut spilled = ChunkStore::new(&chunk, &shape, &Scratch::Test(cap)).unwrap();
        let mut memory = ChunkStore::new(&chunk, &shape, &Scratch::Memory).unwrap();
        let mut model = Model::new();
        for (i, &(at, address)) in writes.iter().enumerate() {
            let at = at % (grid[0] * grid[1]);
            let r = ChunkRecord {
                offset: vec![at / grid[1] * chunk[0], at % grid[1] * chunk[1]],
                address: address + 1,
                size: i as u64 + 1,
                filter_mask: (i % 3) as u32,
            };
            let old = model
                .insert(at, (r.address, r.size, r.filter_mask))
                .map(|(a, s, _)| (a, s));
            assert_eq!(spilled.insert(&r).unwrap(), old);
            assert_eq!(memory.insert(&r).unwrap(), old);
        }
        check(&spilled, &model, &grid, &chunk);
        check(&memory, &model, &grid, &chunk);
        assert_eq!(spilled.changes(), memory.changes());
        // Moving every chunk (as compaction does) reaches every record once.
        let mut seen = 0;
        spilled
            .for_each_address_mut(|a, _| {
                *a += 1 << 40;
                seen += 1;
                Ok(())
            })
            .unwrap();
        assert_eq!(seen, model.len());
        for v in model.values_mut() {
            v.0 += 1 << 40;
        }
        check(&spilled, &model, &grid, &chunk);
    }

    #[test]
    fn column_bands_spill_and_read_back() {
        // An import's order: bands of columns, every chunk row of each band in turn.
        let mut writes = Vec::new();
        for band in 0..140 / 7 {
            for row in 0..84 {
                for col in band * 7..band * 7 + 7 {
                    writes.push((row * 140 + col, writes.len() as u64 * 100));
                }
            }
        }
        run_writes(8, &writes);
        run_writes(2, &writes);
    }

    proptest::proptest! {
        #[test]
        fn any_write_order_reads_back_as_written(
            cap in 2usize..40,
            writes in proptest::collection::vec((0u64..11_760, 0u64..1 << 50), 0..3000),
            rewrites in proptest::collection::vec(0usize..3000, 0..300),
        ) {
            // Rewrites of chunks written before, with new addresses.
            let mut all = writes.clone();
            all.extend(
                rewrites
                    .iter()
                    .filter_map(|&i| writes.get(i))
                    .map(|&(at, a)| (at, a ^ 0x5555)),
            );
            run_writes(cap, &all);
        }
    }

    proptest::proptest! {
        #[test]
        fn reshape_keeps_the_records_inside_and_drops_the_rest(
            cap in 2usize..12,
            writes in proptest::collection::vec((0u64..84, 0u64..140), 0..2000),
            rows in 1u64..400,
            cols in 1u64..900,
        ) {
            let (chunk, shape) = ([3u64, 5], [250u64, 700]);
            let mut s = ChunkStore::new(&chunk, &shape, &Scratch::Test(cap)).unwrap();
            let mut model = std::collections::BTreeMap::new();
            for (i, &(r, c)) in writes.iter().enumerate() {
                let offset = [r * chunk[0], c * chunk[1]];
                s.insert(&rec(&offset, 1 + i as u64, 10 + i as u64)).unwrap();
                model.insert(offset.to_vec(), (1 + i as u64, 10 + i as u64));
            }
            let before = s.changes();
            let mut dropped = s.reshape(&[rows, cols]).unwrap();
            let inside = |o: &[u64]| o[0] < rows.div_ceil(3) * 3 && o[1] < cols.div_ceil(5) * 5;
            let mut want_dropped: Vec<(u64, u64)> = model
                .iter()
                .filter(|(o, _)| !inside(o))
                .map(|(_, &e)| e)
                .collect();
            dropped.sort_unstable();
            want_dropped.sort_unstable();
            proptest::prop_assert_eq!(&dropped, &want_dropped);
            proptest::prop_assert_eq!(s.changes() != before, !dropped.is_empty());
            let got: Vec<(Vec<u64>, u64, u64)> = s
                .iter()
                .map(|r| r.unwrap())
                .map(|r| (r.offset, r.address, r.size))
                .collect();
            let want: Vec<(Vec<u64>, u64, u64)> = model
                .into_iter()
                .filter(|(o, _)| inside(o))
                .map(|(o, (a, n))| (o, a, n))
                .collect();
            proptest::prop_assert_eq!(s.len(), want.len());
            proptest::prop_assert_eq!(got, want);
        }
    }

    #[test]
    fn a_failed_spill_is_an_error_and_loses_no_record() {
        let mut s = ChunkStore::new(&[1, 1], &[4, 64], &Scratch::Failing(2)).unwrap();
        s.insert(&rec(&[0, 5], 10, 1)).unwrap();
        s.insert(&rec(&[1, 6], 11, 1)).unwrap();
        assert!(matches!(s.insert(&rec(&[2, 7], 12, 1)), Err(Error::Io(_))));
        assert_eq!(s.get(&[0, 5]).unwrap().unwrap().address, 10);
        assert_eq!(s.get(&[1, 6]).unwrap().unwrap().address, 11);
        let got: Vec<u64> = s.iter().map(|r| r.unwrap().address).collect();
        assert_eq!(got, vec![10, 11]);
    }

    #[test]
    fn spilled_store_reshapes() {
        let mut s = ChunkStore::new(&[1, 1], &[300, 300], &Scratch::Test(3)).unwrap();
        for i in 0..300 {
            for j in (0..300).step_by(7) {
                s.insert(&rec(&[i, j], 1 + i * 1000 + j, 2)).unwrap();
            }
        }
        let dropped = s.reshape(&[200, 300]).unwrap();
        assert_eq!(dropped.len(), 100 * 43);
        assert_eq!(s.len(), 200 * 43);
        assert_eq!(s.get(&[199, 294]).unwrap().unwrap().address, 1 + 199_294);
        assert_eq!(s.get(&[199, 295]).unwrap(), None);
    }
}
