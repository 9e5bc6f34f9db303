//! A v1 chunk B-tree's leaves, listed once and decoded again on demand through a cache
//! of bounded size, so that reads of window after window of one dataset find their
//! chunks without walking the tree, in memory that does not grow with the dataset.
//!
//! The index holds, per leaf (level-0 node, spec III.A.1), its address and the chunk
//! coordinates (offset ÷ chunk shape) of its first chunk: `8 × (rank + 1)` bytes per
//! leaf, 1/32 to 1/64 of a table of every chunk. It is listed by one walk of the whole
//! tree, which also checks that the chunks come in strictly increasing C order, so that
//! leaf `j` holds exactly the chunks from its first up to leaf `j + 1`'s first. A lookup
//! binary-searches the leaves of each row of the chunk grid its selection touches and
//! then the decoded leaves themselves.
//!
//! Decoded leaves ([`ChunkTable`]s) are kept in a least-recently-used cache of at most
//! [`LEAF_CACHE_BYTES`]: a column band read window after window (one leaf per chunk
//! row, the same leaves for the band's next windows) finds them there. Leaves that the
//! current lookup has used are never evicted by it; a leaf that finds the cache full of
//! those is used without being kept, so a band wider than the cache still keeps the
//! part that fits instead of evicting each leaf just before it is needed again. A leaf
//! read again must hold what the walk saw (a typed error otherwise).

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use crate::error::{Error, Result};
use crate::format::btree_v1;
use crate::format::chunk_index::ChunkRecord;
use crate::format::Ctx;
use crate::read::chunk_table::{for_each_grid_row, grid_coords, grid_rows, ChunkTable};
use crate::read::select::ChunkSet;

/// Bytes of decoded leaves one dataset keeps: the leaves of a column band (one per chunk
/// row) of a matrix of up to about 1,700 chunk rows of full 64-entry leaves (2.3 KiB
/// each for rank 2), twice that many of half-full ones.
pub(crate) const LEAF_CACHE_BYTES: usize = 4 << 20;

/// Bytes counted per cached leaf besides its records (table, map entries).
const LEAF_OVERHEAD: usize = 160;

/// The leaves of one chunk B-tree (see the module documentation).
#[derive(Debug)]
pub(crate) struct LeafIndex {
    rank: usize,
    /// The tree's root, for errors.
    root: u64,
    /// Coordinates of each leaf's first chunk, `rank` per leaf, in C order.
    first: Vec<u64>,
    /// Address of each leaf.
    nodes: Vec<u64>,
    cache: Mutex<LeafCache>,
}

impl LeafIndex {
    /// Lists the leaves of the chunk B-tree at `root` of a dataset with chunks of
    /// `chunk_dims`, keeping at most `cap` bytes of decoded leaves; an error if the tree
    /// is damaged, a chunk is not aligned to `chunk_dims`, or the chunks are not in
    /// strictly increasing C order.
    pub(crate) fn list(ctx: &Ctx, root: u64, chunk_dims: &[u64], cap: usize) -> Result<Self> {
        let rank = chunk_dims.len();
        let mut first: Vec<u64> = Vec::new();
        let mut nodes: Vec<u64> = Vec::new();
        let mut prev: Vec<u64> = Vec::new();
        let mut coords: Vec<u64> = Vec::with_capacity(rank);
        btree_v1::for_each_chunk(ctx, root, rank, &mut |leaf, r| {
            coords.clear();
            coords.extend(grid_coords(&r, chunk_dims, root)?);
            if !prev.is_empty() && prev >= coords {
                return Err(Error::corrupt(
                    "chunk index",
                    root,
                    format!("chunk {:?} does not follow the chunk before it", r.offset),
                ));
            }
            if nodes.last() != Some(&leaf) {
                nodes.push(leaf);
                first.extend_from_slice(&coords);
            }
            std::mem::swap(&mut prev, &mut coords);
            Ok(())
        })?;
        first.shrink_to_fit();
        nodes.shrink_to_fit();
        Ok(LeafIndex {
            rank,
            root,
            first,
            nodes,
            cache: Mutex::new(LeafCache::new(cap)),
        })
    }

    fn first(&self, j: usize) -> &[u64] {
        &self.first[j * self.rank..(j + 1) * self.rank]
    }

    /// Bytes of decoded leaves held now.
    #[cfg(test)]
    fn cached_bytes(&self) -> usize {
        self.cache.lock().map_or(0, |c| c.bytes)
    }

    /// The stored chunks whose chunk coordinates lie in `sets` (one per dimension), in
    /// C order of the offsets.
    pub(crate) fn needed(
        &self,
        ctx: &Ctx,
        sets: &[ChunkSet],
        chunk_dims: &[u64],
    ) -> Result<Vec<ChunkRecord>> {
        let mut out = Vec::new();
        let Some(last) = sets.last() else {
            return Ok(out);
        };
        let mut cache = self
            .cache
            .lock()
            .map_err(|_| Error::unsupported("poisoned chunk leaf cache lock"))?;
        cache.lookups += 1;
        let leaves = self.nodes.len();
        if grid_rows(sets) >= leaves as u128 {
            // More grid rows than leaves: every leaf, each looked at whole.
            for j in 0..leaves {
                cache.with(
                    j,
                    || self.load(ctx, j, chunk_dims),
                    |t| {
                        t.push_in(sets, chunk_dims, &mut out);
                    },
                )?;
            }
            return Ok(out);
        }
        let (_, hi) = last.bounds();
        let rank = self.rank;
        let mut end = vec![0u64; rank];
        for_each_grid_row(sets, |key| {
            end.copy_from_slice(key);
            end[rank - 1] = hi;
            // The last leaf starting at or before `key`, then every leaf starting below
            // the row's end.
            let mut j = self.partition_point(|f| f <= key).saturating_sub(1);
            while j < leaves && self.first(j) < end.as_slice() {
                cache.with(
                    j,
                    || self.load(ctx, j, chunk_dims),
                    |t| {
                        t.push_row(key, hi, last, chunk_dims, &mut out);
                    },
                )?;
                j += 1;
            }
            Ok::<(), Error>(())
        })?;
        Ok(out)
    }

    /// The number of leaves whose first chunk satisfies `pred` (which holds for a
    /// prefix of the leaves).
    fn partition_point(&self, pred: impl Fn(&[u64]) -> bool) -> usize {
        let (mut lo, mut hi) = (0, self.nodes.len());
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if pred(self.first(mid)) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        lo
    }

    /// Reads and decodes leaf `j`; an error unless it holds what the listing saw.
    fn load(&self, ctx: &Ctx, j: usize, chunk_dims: &[u64]) -> Result<ChunkTable> {
        let mut t = ChunkTable::empty(self.rank);
        btree_v1::chunk_leaf(ctx, self.nodes[j], self.rank, &mut |r| {
            t.push(&r, chunk_dims, self.root)
        })?;
        let end = (j + 1 < self.nodes.len()).then(|| self.first(j + 1));
        if !t.spans(self.first(j), end) {
            return Err(Error::corrupt(
                "v1 B-tree node",
                self.nodes[j],
                "chunk B-tree leaf differs from when it was listed",
            ));
        }
        t.finish(self.root)
    }
}

/// Decoded leaves, least recently used first out.
#[derive(Debug)]
struct LeafCache {
    cap: usize,
    bytes: usize,
    /// Lookups so far: the current one's number.
    lookups: u64,
    /// Uses so far: the last one's number.
    tick: u64,
    leaves: HashMap<usize, Cached>,
    /// Leaves by their last use.
    order: BTreeMap<u64, usize>,
}

#[derive(Debug)]
struct Cached {
    table: ChunkTable,
    bytes: usize,
    /// The last use and the lookup it belonged to.
    tick: u64,
    lookup: u64,
}

impl LeafCache {
    fn new(cap: usize) -> Self {
        LeafCache {
            cap,
            bytes: 0,
            lookups: 0,
            tick: 0,
            leaves: HashMap::new(),
            order: BTreeMap::new(),
        }
    }

    /// Calls `f` with leaf `j`, decoded by `load` unless it is cached, and keeps it if
    /// room can be made.
    fn with(
        &mut self,
        j: usize,
        load: impl FnOnce() -> Result<ChunkTable>,
        f: impl FnOnce(&ChunkTable),
    ) -> Result<()> {
        self.tick += 1;
        let (tick, lookup) = (self.tick, self.lookups);
        if let Some(c) = self.leaves.get_mut(&j) {
            self.order.remove(&c.tick);
            self.order.insert(tick, j);
            c.tick = tick;
            c.lookup = lookup;
            f(&c.table);
            return Ok(());
        }
        let table = load()?;
        f(&table);
        let bytes = table.bytes() + LEAF_OVERHEAD;
        while self.bytes + bytes > self.cap {
            let Some((&oldest, &victim)) = self.order.first_key_value() else {
                return Ok(());
            };
            if self.leaves.get(&victim).is_some_and(|c| c.lookup == lookup) {
                // Everything kept is in use by this lookup.
                return Ok(());
            }
            self.order.remove(&oldest);
            if let Some(c) = self.leaves.remove(&victim) {
                self.bytes -= c.bytes;
            }
        }
        self.bytes += bytes;
        self.order.insert(tick, j);
        self.leaves.insert(
            j,
            Cached {
                table,
                bytes,
                tick,
                lookup,
            },
        );
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests;
