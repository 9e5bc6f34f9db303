//! Reordering a chunked dataset along one dimension in place, chunk by chunk. A line of
//! chunks along that dimension is inflated into one buffer, each new chunk is gathered
//! from it into a small per-thread buffer (so the encoder reads it from cache) and
//! deflated, on all cores, and a batch of lines is stored in one write. No element is
//! converted and no chunk is merged, so the cost is the codec's plus about one copy of
//! every element.
//!
//! Slabs (the elements of one index along the dimension within a chunk) of at least a
//! cache line are gathered straight into the chunk being encoded. Shorter ones of 4
//! bytes (the last dimension of float32 data: one element each) whose slabs of one index
//! in a chunk make a cache line, in chunks whose sides are multiples of 4, are turned:
//! each chunk is transposed as soon as it is inflated, so that an index's slabs are one
//! run, gathered run by run like long slabs, and each new chunk is transposed back
//! before it is deflated (both in the cache, in SSE blocks). The rest are first gathered
//! row by row across the whole line, where the source and destination of a row stay in
//! cache, and each chunk is then collected from its rows.
//!
//! The stored chunks of many lines are read together, in address order, adjacent ones
//! in one read.
//!
//! The dimension is padded to whole chunks: positions past its end (the edge chunks'
//! slack) keep what they held, so an edge chunk reads the same outside the shape.

use std::ops::Range;

use crate::error::{Error, Result};
use crate::format::chunk_index::ChunkRecord;
use crate::region::in_blocks;
use crate::write::chunk_store::ChunkStore;
use crate::write::tree::{DataStorage, DatasetNode};
use crate::write::{Space, Writer};
use plan::{Buffers, Plan, Turn};

/// How much one step of a permute holds.
#[derive(Debug, Clone, Copy)]
struct Limits {
    /// Decoded bytes of the lines reordered together (at least one line).
    batch: u64,
    /// Stored bytes of the lines read together (at least one line).
    read: u64,
    /// Chunks of the lines read together, stored or not (at least one line).
    chunks: usize,
}

const LIMITS: Limits = Limits {
    batch: 16 << 20,
    read: 8 << 20,
    chunks: 1 << 16,
};

/// Slabs this long or longer are gathered straight into the chunk being encoded.
const CACHE_LINE: usize = 64;

impl Writer {
    /// Reorders the chunked dataset at `path` along dimension `dim`: afterwards index `i`
    /// of that dimension holds what index `ordering[i]` held, which must list each index
    /// once. Element bytes move as they are, whatever their type (numbers only: a
    /// datatype that refers to heap objects is refused).
    pub fn permute(&mut self, path: &str, dim: usize, ordering: &[u64]) -> Result<()> {
        self.permute_within(path, dim, ordering, LIMITS, &|_, _| {})
    }

    /// [`permute`](Self::permute), calling `progress(done, total)` after each group of
    /// lines of chunks (along `dim`) is stored: `done` lines of `total`, the last call
    /// with `done == total`.
    pub fn permute_reporting(
        &mut self,
        path: &str,
        dim: usize,
        ordering: &[u64],
        progress: &dyn Fn(u64, u64),
    ) -> Result<()> {
        self.permute_within(path, dim, ordering, LIMITS, progress)
    }

    /// [`permute_reporting`](Self::permute_reporting) in steps of at most `limits`.
    fn permute_within(
        &mut self,
        path: &str,
        dim: usize,
        ordering: &[u64],
        limits: Limits,
        progress: &dyn Fn(u64, u64),
    ) -> Result<()> {
        self.edit(|w| {
            let (node, mut space) = w.dataset_and_space(path)?;
            if crate::read::live::heap_refs(&node.datatype) != Some(false) {
                return Err(Error::InvalidInput(format!(
                    "{path}: only datasets of numbers can be permuted in place"
                )));
            }
            node.permute(&mut space, dim, ordering, limits, progress)
        })
    }
}

/// The chunk grid of one dataset and the dimension being reordered.
struct Lines {
    grid: Vec<u64>,
    chunk_dims: Vec<u64>,
    dim: usize,
}

impl Lines {
    /// How many lines of chunks run along the dimension.
    fn count(&self) -> u64 {
        self.grid.iter().product::<u64>() / self.grid[self.dim].max(1)
    }

    /// The element offset of chunk `k` of line `line`.
    fn offset(&self, mut line: u64, k: u64) -> Vec<u64> {
        let mut offset = vec![0; self.grid.len()];
        for d in (0..self.grid.len()).rev() {
            let at = if d == self.dim {
                k
            } else {
                let at = line % self.grid[d];
                line /= self.grid[d];
                at
            };
            offset[d] = at * self.chunk_dims[d];
        }
        offset
    }
}

impl DatasetNode {
    /// See [`Writer::permute_reporting`].
    fn permute(
        &mut self,
        space: &mut Space<'_>,
        dim: usize,
        ordering: &[u64],
        limits: Limits,
        progress: &dyn Fn(u64, u64),
    ) -> Result<()> {
        let fill = self.fill_element();
        let DataStorage::Chunked { records } = &mut self.data else {
            return Err(Error::InvalidInput(format!(
                "{}: only chunked datasets can be permuted in place",
                self.path
            )));
        };
        let shape = &self.dataspace.dims;
        let Some(&n) = shape.get(dim) else {
            return Err(Error::InvalidInput(format!(
                "{}: no dimension {dim} in shape {shape:?}",
                self.path
            )));
        };
        if ordering.len() as u64 != n {
            return Err(Error::InvalidInput(format!(
                "{}: an ordering of {} indices for a dimension of {n}",
                self.path,
                ordering.len()
            )));
        }
        if shape.contains(&0) {
            return Ok(());
        }
        let chunk_dims = records.chunk_dims().to_vec();
        let elem = self.datatype.size() as usize;
        let chunk_bytes = usize::try_from(chunk_dims.iter().product::<u64>())
            .ok()
            .and_then(|c| c.checked_mul(elem))
            .filter(|&b| b > 0)
            .ok_or(Error::TooLarge {
                what: "chunk",
                size: u128::MAX,
            })?;
        let lines = Lines {
            grid: shape
                .iter()
                .zip(&chunk_dims)
                .map(|(&n, &c)| n.div_ceil(c))
                .collect(),
            chunk_dims: chunk_dims.clone(),
            dim,
        };
        let per_line = lines.grid[dim] as usize;
        let cd = chunk_dims[dim] as usize;
        // Where each (padded) index comes from; the slack past the end stays where it is.
        let mut seen = vec![false; ordering.len()];
        let mut src = Vec::with_capacity(per_line * cd);
        for &s in ordering {
            match seen.get_mut(s as usize) {
                Some(slot) if s < n && !*slot => {
                    *slot = true;
                    src.push(s as usize);
                }
                _ => {
                    return Err(Error::InvalidInput(format!(
                    "{}: the ordering must hold each of 0..{n} once (bad or repeated index {s})",
                    self.path
                )))
                }
            }
        }
        src.extend(ordering.len()..per_line * cd);
        // A slab: the elements of one index along `dim` within a chunk, `inner` bytes,
        // `outer` of them per index.
        let inner = chunk_dims[dim + 1..].iter().product::<u64>() as usize * elem;
        let outer = chunk_dims[..dim].iter().product::<u64>() as usize;
        // Short slabs are turned (see the module's notes) when an index's slabs in a
        // chunk make a cache line and the chunk, an `outer` x `cd` matrix of slabs,
        // transposes in blocks (4-byte slabs: the turned path measured no faster than
        // the rows for 1, 2 and 8 bytes); it then has one slab of `outer * inner` bytes
        // per index.
        let turn =
            (inner < CACHE_LINE && outer * inner >= CACHE_LINE && in_blocks(outer, cd, inner))
                .then_some(Turn {
                    rows: outer,
                    cols: cd,
                    elem: inner,
                });
        let (inner, outer) = match turn {
            Some(_) => (outer * inner, 1),
            None => (inner, outer),
        };
        let filled: Vec<u8> = fill.iter().copied().cycle().take(chunk_bytes).collect();
        if filled.len() != chunk_bytes {
            return Err(Error::InvalidInput(format!(
                "{}: no fill value for its elements",
                self.path
            )));
        }
        let line_bytes = per_line * chunk_bytes;
        // Inflated chunks lie a cache line apart: at a power-of-two distance the same
        // row of every chunk would share a few cache sets.
        let slot = chunk_bytes + CACHE_LINE;
        let plan = Plan {
            // The offset in its inflated line of slab 0 of each source index.
            from: src
                .iter()
                .map(|&s| s / cd * slot + s % cd * inner)
                .collect(),
            slot,
            cd,
            inner,
            outer,
            chunk_bytes,
            per_line,
            turn,
            filled,
            pipeline: &self.pipeline,
            path: &self.path,
        };
        let batch_lines = (limits.batch / line_bytes as u64).max(1);
        let mut bufs = Buffers::default();
        let mut line = 0;
        while line < lines.count() {
            // The lines whose stored chunks are read together.
            let (mut group, mut stored, mut end) = (Vec::new(), 0u64, line);
            while end < lines.count()
                && (end == line || (stored < limits.read && group.len() < limits.chunks))
            {
                for k in 0..per_line as u64 {
                    let r = records.get(&lines.offset(end, k))?;
                    if let Some(r) = &r {
                        stored = stored.saturating_add(r.size);
                    }
                    group.push(r);
                }
                end += 1;
            }
            let at = read_group(space, &group, &mut bufs.packed)?;
            let mut freed = Vec::new();
            let mut first = line;
            while first < end {
                let count = batch_lines.min(end - first);
                let from = (first - line) as usize * per_line;
                let to = from + count as usize * per_line;
                let encoded = plan.batch(&group[from..to], &at[from..to], &mut bufs)?;
                store_batch(
                    space, records, &lines, first, &encoded, &mut bufs, &mut freed,
                )?;
                first += count;
            }
            release(space, freed);
            line = end;
            progress(line, lines.count());
        }
        Ok(())
    }
}

/// Reads the stored chunks of `group` into `packed` in address order, adjacent ones in
/// one read, and returns where each one is there (an empty range for a missing chunk).
/// Records that overlap or lie past the end of the file are a corrupt index.
fn read_group(
    space: &Space<'_>,
    group: &[Option<ChunkRecord>],
    packed: &mut Vec<u8>,
) -> Result<Vec<Range<usize>>> {
    let mut order: Vec<(u64, usize, usize)> = Vec::with_capacity(group.len());
    let mut total = 0usize;
    for (i, r) in group.iter().enumerate() {
        if let Some(r) = r {
            let len = usize::try_from(r.size).map_err(|_| Error::TooLarge {
                what: "stored chunk",
                size: u128::from(r.size),
            })?;
            total = total.checked_add(len).ok_or(Error::TooLarge {
                what: "stored chunks",
                size: u128::MAX,
            })?;
            order.push((r.address, len, i));
        }
    }
    order.sort_unstable();
    // Stored chunks never share bytes, so what is read here is at most the file: each
    // one ends before the next begins, and the last one within the file.
    let mut end = 0u64;
    for &(address, len, _) in &order {
        if address < end {
            return Err(Error::corrupt(
                "chunk index",
                address,
                "a stored chunk overlaps the one before it",
            ));
        }
        // One that wraps past the last address overlaps the next, or fails the check.
        end = address.saturating_add(len as u64);
    }
    if let Some(&(address, len, _)) = order.last() {
        space.check_range(address, len as u64)?;
    }
    packed.resize(total, 0);
    let mut at = vec![0..0; group.len()];
    // The run of adjacent chunks not yet read: (address, place in `packed`, length).
    let mut run: Option<(u64, usize, usize)> = None;
    let mut place = 0;
    for (address, len, i) in order {
        at[i] = place..place + len;
        run = match run {
            Some((a, p, l)) if a + l as u64 == address => Some((a, p, l + len)),
            Some((a, p, l)) => {
                space.get(a, &mut packed[p..p + l])?;
                Some((address, place, len))
            }
            None => Some((address, place, len)),
        };
        place += len;
    }
    if let Some((a, p, l)) = run {
        space.get(a, &mut packed[p..p + l])?;
    }
    Ok(at)
}

/// Stores a batch's new chunks (`encoded`, line by line from line `first`) in one
/// extent and one write, and records them; the chunks they replace go to `freed`.
fn store_batch(
    space: &mut Space<'_>,
    records: &mut ChunkStore,
    lines: &Lines,
    first: u64,
    encoded: &[Vec<u8>],
    bufs: &mut Buffers,
    freed: &mut Vec<(u64, u64)>,
) -> Result<()> {
    let per_line = lines.grid[lines.dim];
    let total: u64 = encoded.iter().map(|c| c.len() as u64).sum();
    let mut address = space.alloc.allocate_data(total);
    bufs.joined.clear();
    for stored in encoded {
        bufs.joined.extend_from_slice(stored);
    }
    space.put(address, &bufs.joined)?;
    for (i, stored) in encoded.iter().enumerate() {
        let (l, k) = (i as u64 / per_line, i as u64 % per_line);
        let old = records.insert(&ChunkRecord {
            offset: lines.offset(first + l, k),
            address,
            size: stored.len() as u64,
            filter_mask: 0,
        })?;
        freed.extend(old);
        address += stored.len() as u64;
    }
    Ok(())
}

/// Gives the replaced chunks back to the allocator, adjacent ones as one extent.
fn release(space: &mut Space<'_>, mut freed: Vec<(u64, u64)>) {
    freed.sort_unstable();
    let mut run: Option<(u64, u64)> = None;
    for (at, size) in freed {
        run = match run {
            Some((a, s)) if a + s == at => Some((a, s + size)),
            Some((a, s)) => {
                space.alloc.release(a, s);
                Some((at, size))
            }
            None => Some((at, size)),
        };
    }
    if let Some((a, s)) = run {
        space.alloc.release(a, s);
    }
}

mod plan;
#[cfg(test)]
mod tests;
