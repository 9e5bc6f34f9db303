//! The chunk records of a chunked dataset being written, kept compactly until its chunk
//! index is built at flush (spec III.A.1 type 1 records, IV.A.2.i).
//!
//! A chunk is named by its linear index on the dataset's chunk grid (C order, so the
//! index order is the B-tree's key order). Records live in pages of [`PAGE`] slots of 16
//! bytes (address, stored size, filter mask), allocated as chunks are written: a dataset
//! written whole costs about 17 bytes a chunk, a chunk written alone at most one page.

use std::collections::BTreeMap;

use crate::error::{Error, Result};
use crate::format::chunk_index::ChunkRecord;
use crate::format::UNDEF;

/// Slots a page holds.
const PAGE: u64 = 16;

/// One stored chunk; `address` is [`UNDEF`] for a chunk not written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Slot {
    address: u64,
    size: u32,
    filter_mask: u32,
}

const EMPTY: Slot = Slot {
    address: UNDEF,
    size: 0,
    filter_mask: 0,
};

/// The records of one dataset, keyed by chunk position.
#[derive(Debug, Clone)]
pub(crate) struct ChunkStore {
    chunk_dims: Vec<u64>,
    /// Chunks along each dimension of the current shape.
    grid: Vec<u64>,
    pages: BTreeMap<u64, Box<[Slot; PAGE as usize]>>,
    len: usize,
}

impl ChunkStore {
    /// No chunks yet, for a dataset of `shape` in chunks of `chunk_dims` (checked: same
    /// rank, no zero chunk dimension).
    pub(crate) fn new(chunk_dims: &[u64], shape: &[u64]) -> Result<Self> {
        Ok(ChunkStore {
            chunk_dims: chunk_dims.to_vec(),
            grid: grid(chunk_dims, shape)?,
            pages: BTreeMap::new(),
            len: 0,
        })
    }

    /// The records read from a file; chunks wholly outside the shape (which no read can
    /// reach) are left out.
    pub(crate) fn from_records(
        chunk_dims: &[u64],
        shape: &[u64],
        records: Vec<ChunkRecord>,
    ) -> Result<Self> {
        let mut store = ChunkStore::new(chunk_dims, shape)?;
        for r in records {
            if store.index(&r.offset).is_some() {
                store.insert(&r)?;
            }
        }
        Ok(store)
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
    pub(crate) fn get(&self, offset: &[u64]) -> Option<ChunkRecord> {
        let at = self.index(offset)?;
        let slot = self.pages.get(&(at / PAGE))?[(at % PAGE) as usize];
        (slot.address != UNDEF).then(|| self.record(at, &slot))
    }

    /// Stores `r`; returns the (address, size) of the record it replaces.
    pub(crate) fn insert(&mut self, r: &ChunkRecord) -> Result<Option<(u64, u64)>> {
        let at = self.index(&r.offset).ok_or_else(|| {
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
        let page = self
            .pages
            .entry(at / PAGE)
            .or_insert_with(|| Box::new([EMPTY; PAGE as usize]));
        let slot = &mut page[(at % PAGE) as usize];
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

    fn slots(&self) -> impl Iterator<Item = (u64, &Slot)> + '_ {
        self.pages.iter().flat_map(|(&p, page)| {
            page.iter()
                .enumerate()
                .filter(|(_, s)| s.address != UNDEF)
                .map(move |(i, s)| (p * PAGE + i as u64, s))
        })
    }

    /// Every record, in chunk-offset (C) order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = ChunkRecord> + '_ {
        self.slots().map(|(at, s)| self.record(at, s))
    }

    /// The (address, size) of every stored chunk, in chunk order.
    pub(crate) fn extents(&self) -> impl Iterator<Item = (u64, u64)> + '_ {
        self.slots().map(|(_, s)| (s.address, u64::from(s.size)))
    }

    /// Calls `f(address, size)` on every stored chunk; `f` may move the chunk.
    pub(crate) fn for_each_address_mut(
        &mut self,
        mut f: impl FnMut(&mut u64, u64) -> Result<()>,
    ) -> Result<()> {
        for page in self.pages.values_mut() {
            for s in page.iter_mut().filter(|s| s.address != UNDEF) {
                f(&mut s.address, u64::from(s.size))?;
            }
        }
        Ok(())
    }

    /// A hash of every record (position, address, size, mask).
    pub(crate) fn fingerprint(&self) -> u64 {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        (&self.grid, &self.chunk_dims).hash(&mut h);
        for (at, s) in self.slots() {
            (at, s).hash(&mut h);
        }
        h.finish()
    }

    /// Moves to the grid of `shape` (same rank); chunks wholly outside it are dropped
    /// and their (address, size) returned.
    pub(crate) fn reshape(&mut self, shape: &[u64]) -> Result<Vec<(u64, u64)>> {
        let mut next = ChunkStore::new(&self.chunk_dims, shape)?;
        let mut dropped = Vec::new();
        for r in self.iter() {
            if next.index(&r.offset).is_some() {
                next.insert(&r)?;
            } else {
                dropped.push((r.address, r.size));
            }
        }
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
        let mut s = ChunkStore::new(&[10, 4], &[95, 30]).unwrap();
        let offsets = [[90, 28], [0, 4], [40, 0], [0, 0], [10, 20]];
        for (i, o) in offsets.iter().enumerate() {
            assert_eq!(s.insert(&rec(o, 1000 + i as u64, 7)).unwrap(), None);
        }
        let mut want: Vec<Vec<u64>> = offsets.iter().map(|o| o.to_vec()).collect();
        want.sort();
        let got: Vec<Vec<u64>> = s.iter().map(|r| r.offset).collect();
        assert_eq!(got, want);
        assert_eq!(s.len(), 5);
        assert_eq!(s.get(&[40, 0]).unwrap(), rec(&[40, 0], 1002, 7));
        assert_eq!(s.get(&[40, 4]), None);
        assert_eq!(s.get(&[41, 0]), None);
        assert_eq!(s.insert(&rec(&[40, 0], 5, 9)).unwrap(), Some((1002, 7)));
        assert_eq!(s.len(), 5);
    }

    #[test]
    fn refuses_what_it_cannot_hold() {
        let mut s = ChunkStore::new(&[10, 4], &[95, 30]).unwrap();
        assert!(s.insert(&rec(&[100, 0], 1, 1)).is_err());
        assert!(s.insert(&rec(&[5, 0], 1, 1)).is_err());
        assert!(s.insert(&rec(&[0], 1, 1)).is_err());
        assert!(s.insert(&rec(&[0, 0], 1, 1 << 32)).is_err());
        assert!(s.insert(&rec(&[0, 0], UNDEF, 1)).is_err());
        assert!(ChunkStore::new(&[1, 1, 1], &[u64::MAX, u64::MAX, 2]).is_err());
        assert!(ChunkStore::new(&[0, 1], &[1, 1]).is_err());
    }

    #[test]
    fn reshape_rekeys_and_drops_chunks_outside() {
        let mut s = ChunkStore::new(&[2, 2], &[6, 6]).unwrap();
        for (i, o) in [[0, 0], [0, 4], [4, 2], [2, 2]].iter().enumerate() {
            s.insert(&rec(o, 100 + i as u64, 3)).unwrap();
        }
        let before = s.fingerprint();
        assert_eq!(s.reshape(&[5, 3]).unwrap(), vec![(101, 3)]);
        assert_ne!(s.fingerprint(), before);
        let got: Vec<(Vec<u64>, u64)> = s.iter().map(|r| (r.offset, r.address)).collect();
        assert_eq!(
            got,
            vec![(vec![0, 0], 100), (vec![2, 2], 103), (vec![4, 2], 102)]
        );
        s.reshape(&[9, 40]).unwrap();
        assert_eq!(s.get(&[4, 2]).unwrap().address, 102);
        s.insert(&rec(&[8, 38], 7, 1)).unwrap();
        assert_eq!(s.iter().last().unwrap().offset, vec![8, 38]);
        assert_eq!(s.extents().count(), 4);
    }
}
