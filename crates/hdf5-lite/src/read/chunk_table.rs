//! Chunk records held in memory, so that reads of window after window of one dataset
//! look their chunks up instead of walking the file's chunk index again: all of a
//! dataset's for the indexes that are listed whole, one leaf's for a v1 B-tree (see
//! [`chunk_leaves`](super::chunk_leaves)).
//!
//! The table stores, per stored chunk, its chunk coordinates (offset ÷ chunk shape) and
//! its address, stored size and filter mask, column by column and sorted in C order of
//! the coordinates: `8 × (rank + 2) + 4` bytes per chunk (36 for a matrix), whatever the
//! dataset's shape. Its records come from the file, so its size is bounded by the
//! file's. A lookup binary-searches each row of the chunk grid a selection touches.

use std::convert::Infallible;

use crate::error::{Error, Result};
use crate::format::chunk_index::ChunkRecord;
use crate::read::select::ChunkSet;
use crate::region;

/// Stored chunks of one dataset (see the module documentation).
#[derive(Debug)]
pub(crate) struct ChunkTable {
    rank: usize,
    /// Chunk coordinates, `rank` per record, records in C order.
    coords: Vec<u64>,
    address: Vec<u64>,
    size: Vec<u64>,
    mask: Vec<u32>,
}

impl ChunkTable {
    /// The table of `records` (in any order); an error if one is not aligned to
    /// `chunk_dims` or two name the same chunk (`index` is the index's address, for
    /// errors).
    pub(crate) fn new(records: Vec<ChunkRecord>, chunk_dims: &[u64], index: u64) -> Result<Self> {
        let mut table = ChunkTable::empty(chunk_dims.len());
        for r in &records {
            table.push(r, chunk_dims, index)?;
        }
        table.finish(index)
    }

    /// A table of rank `rank` without records, to [`push`](Self::push) into and then
    /// [`finish`](Self::finish).
    pub(crate) fn empty(rank: usize) -> Self {
        ChunkTable {
            rank,
            coords: Vec::new(),
            address: Vec::new(),
            size: Vec::new(),
            mask: Vec::new(),
        }
    }

    /// Adds one record; an error if it is not aligned to `chunk_dims`.
    pub(crate) fn push(&mut self, r: &ChunkRecord, chunk_dims: &[u64], index: u64) -> Result<()> {
        if chunk_dims.len() != self.rank {
            return Err(unaligned(r, chunk_dims, index));
        }
        self.coords.extend(grid_coords(r, chunk_dims, index)?);
        self.address.push(r.address);
        self.size.push(r.size);
        self.mask.push(r.filter_mask);
        Ok(())
    }

    /// Sorts the records pushed into C order; an error if two name the same chunk.
    pub(crate) fn finish(mut self, index: u64) -> Result<Self> {
        let n = self.len();
        if !(1..n).all(|i| self.coords(i - 1) < self.coords(i)) {
            let mut order: Vec<usize> = (0..n).collect();
            order.sort_unstable_by(|&a, &b| self.coords(a).cmp(self.coords(b)));
            if order
                .windows(2)
                .any(|w| self.coords(w[0]) == self.coords(w[1]))
            {
                return Err(Error::corrupt(
                    "chunk index",
                    index,
                    "two records for the same chunk",
                ));
            }
            self = ChunkTable {
                rank: self.rank,
                coords: order
                    .iter()
                    .flat_map(|&i| self.coords(i).iter().copied())
                    .collect(),
                address: order.iter().map(|&i| self.address[i]).collect(),
                size: order.iter().map(|&i| self.size[i]).collect(),
                mask: order.iter().map(|&i| self.mask[i]).collect(),
            };
        }
        self.coords.shrink_to_fit();
        self.address.shrink_to_fit();
        self.size.shrink_to_fit();
        self.mask.shrink_to_fit();
        Ok(self)
    }

    /// Number of records.
    pub(crate) fn len(&self) -> usize {
        self.address.len()
    }

    fn coords(&self, i: usize) -> &[u64] {
        &self.coords[i * self.rank..(i + 1) * self.rank]
    }

    /// Bytes the table holds on the heap.
    pub(crate) fn bytes(&self) -> usize {
        8 * (self.coords.capacity() + self.address.capacity() + self.size.capacity())
            + 4 * self.mask.capacity()
    }

    /// Whether the records are in strictly increasing C order, the first at `first`
    /// and all below `end` (when given): what a run of records listed earlier holds.
    pub(crate) fn spans(&self, first: &[u64], end: Option<&[u64]>) -> bool {
        let n = self.len();
        n > 0
            && self.coords(0) == first
            && (1..n).all(|i| self.coords(i - 1) < self.coords(i))
            && end.is_none_or(|e| self.coords(n - 1) < e)
    }

    fn record(&self, i: usize, chunk_dims: &[u64]) -> ChunkRecord {
        ChunkRecord {
            offset: self
                .coords(i)
                .iter()
                .zip(chunk_dims)
                .map(|(&k, &c)| k * c)
                .collect(),
            address: self.address[i],
            size: self.size[i],
            filter_mask: self.mask[i],
        }
    }

    /// Every record, in C order of the offsets.
    pub(crate) fn records(&self, chunk_dims: &[u64]) -> Vec<ChunkRecord> {
        (0..self.len())
            .map(|i| self.record(i, chunk_dims))
            .collect()
    }

    /// The first record whose coordinates are not below `key` (C order).
    fn lower_bound(&self, key: &[u64]) -> usize {
        let (mut lo, mut hi) = (0, self.len());
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if self.coords(mid) < key {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        lo
    }

    /// The records whose chunk coordinates lie in `sets` (one per dimension), in C
    /// order of the offsets.
    pub(crate) fn needed(&self, sets: &[ChunkSet], chunk_dims: &[u64]) -> Vec<ChunkRecord> {
        let mut out = Vec::new();
        let Some(last) = sets.last() else {
            return out;
        };
        if grid_rows(sets) >= self.len() as u128 {
            // More grid rows than records: one pass over the records.
            self.push_in(sets, chunk_dims, &mut out);
            return out;
        }
        let (_, hi) = last.bounds();
        let walked = for_each_grid_row(sets, |key| {
            self.push_row(key, hi, last, chunk_dims, &mut out);
            Ok::<(), Infallible>(())
        });
        match walked {
            Ok(()) => out,
            Err(never) => match never {},
        }
    }

    /// Appends the records whose chunk coordinates lie in `sets` to `out`, in C order,
    /// looking at every record.
    pub(crate) fn push_in(
        &self,
        sets: &[ChunkSet],
        chunk_dims: &[u64],
        out: &mut Vec<ChunkRecord>,
    ) {
        for i in 0..self.len() {
            if sets.iter().zip(self.coords(i)).all(|(s, &k)| s.contains(k)) {
                out.push(self.record(i, chunk_dims));
            }
        }
    }

    /// Appends to `out`, in C order, the records of the grid row `key` (all coordinates
    /// but the last; `key`'s last is where the row's search starts) whose last
    /// coordinate is below `hi` and in `last`.
    pub(crate) fn push_row(
        &self,
        key: &[u64],
        hi: u64,
        last: &ChunkSet,
        chunk_dims: &[u64],
        out: &mut Vec<ChunkRecord>,
    ) {
        let rank = self.rank;
        let mut i = self.lower_bound(key);
        while i < self.len() {
            let c = self.coords(i);
            if c[..rank - 1] != key[..rank - 1] || c[rank - 1] >= hi {
                break;
            }
            if last.contains(c[rank - 1]) {
                out.push(self.record(i, chunk_dims));
            }
            i += 1;
        }
    }
}

/// Rows of the chunk grid `sets` spans (all dimensions but the last).
pub(crate) fn grid_rows(sets: &[ChunkSet]) -> u128 {
    let outer = sets.split_last().map_or(&[][..], |(_, o)| o);
    outer
        .iter()
        .fold(1u128, |a, s| a.saturating_mul(u128::from(s.len())))
}

/// Calls `f` with each row of the chunk grid `sets` spans, in C order: the coordinates
/// of the row, then the lowest coordinate of the last dimension's set.
pub(crate) fn for_each_grid_row<E>(
    sets: &[ChunkSet],
    mut f: impl FnMut(&[u64]) -> Result<(), E>,
) -> Result<(), E> {
    let Some((last, outer)) = sets.split_last() else {
        return Ok(());
    };
    let rank = sets.len();
    let mut key = vec![0u64; rank];
    key[rank - 1] = last.bounds().0;
    let zeros = vec![0u64; rank];
    let ends: Vec<u64> = outer.iter().map(ChunkSet::len).chain([1]).collect();
    region::for_each_row(&zeros, &ends, |k| {
        for (d, s) in outer.iter().enumerate() {
            key[d] = s.get(k[d]);
        }
        f(&key)
    })
}

/// The grid coordinates of the chunk `r` (its offset over `chunk_dims`); an error naming
/// the index at `index` unless the offset has the grid's rank and is aligned to it.
pub(crate) fn grid_coords<'a>(
    r: &'a ChunkRecord,
    chunk_dims: &'a [u64],
    index: u64,
) -> Result<impl Iterator<Item = u64> + 'a> {
    if r.offset.len() != chunk_dims.len()
        || r.offset.iter().zip(chunk_dims).any(|(&o, &c)| o % c != 0)
    {
        return Err(unaligned(r, chunk_dims, index));
    }
    Ok(r.offset.iter().zip(chunk_dims).map(|(&o, &c)| o / c))
}

fn unaligned(r: &ChunkRecord, chunk_dims: &[u64], index: u64) -> Error {
    Error::corrupt(
        "chunk index",
        index,
        format!(
            "chunk offset {:?} is not aligned to chunk dims {chunk_dims:?}",
            r.offset
        ),
    )
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn rec(r: u64, c: u64) -> ChunkRecord {
        ChunkRecord {
            offset: vec![r * 4, c * 2],
            address: 1000 + 10 * r + c,
            size: 7,
            filter_mask: (r % 2) as u32,
        }
    }

    fn offsets(v: &[ChunkRecord]) -> Vec<(u64, u64)> {
        v.iter()
            .map(|r| (r.offset[0] / 4, r.offset[1] / 2))
            .collect()
    }

    #[test]
    fn lookups_match_a_filter_over_the_records() {
        // A 5 x 6 grid of (4, 2) chunks with some chunks missing, listed out of order.
        let mut records: Vec<ChunkRecord> = (0..5)
            .flat_map(|r| (0..6).map(move |c| (r, c)))
            .filter(|&(r, c)| (r * 7 + c) % 4 != 1)
            .map(|(r, c)| rec(r, c))
            .collect();
        records.reverse();
        let table = ChunkTable::new(records.clone(), &[4, 2], 0).unwrap();
        let sets_list = [
            vec![ChunkSet::Range(0, 5), ChunkSet::Range(2, 3)],
            vec![ChunkSet::Range(1, 2), ChunkSet::Range(0, 6)],
            vec![ChunkSet::List(vec![0, 3, 4]), ChunkSet::List(vec![1, 5])],
            vec![ChunkSet::Range(4, 5), ChunkSet::List(vec![0])],
            vec![ChunkSet::Range(0, 5), ChunkSet::Range(0, 6)],
        ];
        for sets in sets_list {
            let mut want: Vec<ChunkRecord> = records
                .iter()
                .filter(|r| sets[0].contains(r.offset[0] / 4) && sets[1].contains(r.offset[1] / 2))
                .cloned()
                .collect();
            want.sort_unstable_by(|a, b| a.offset.cmp(&b.offset));
            let got = table.needed(&sets, &[4, 2]);
            assert_eq!(offsets(&got), offsets(&want), "{sets:?}");
            assert_eq!(got, want);
        }
        assert_eq!(table.records(&[4, 2]).len(), records.len());
    }

    #[test]
    fn rank_one_and_duplicates() {
        let records = vec![
            ChunkRecord {
                offset: vec![30],
                address: 3,
                size: 1,
                filter_mask: 0,
            },
            ChunkRecord {
                offset: vec![10],
                address: 1,
                size: 1,
                filter_mask: 0,
            },
        ];
        let table = ChunkTable::new(records.clone(), &[10], 0).unwrap();
        let got = table.needed(&[ChunkSet::Range(0, 3)], &[10]);
        assert_eq!(got.iter().map(|r| r.address).collect::<Vec<_>>(), [1]);
        let twice = vec![records[0].clone(), records[0].clone()];
        assert!(ChunkTable::new(twice, &[10], 0).is_err());
    }
}
