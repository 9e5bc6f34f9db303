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

use std::cell::RefCell;
use std::ops::Range;

use crate::error::{Error, Result};
use crate::format::chunk_index::ChunkRecord;
use crate::format::filters::{ChunkDecoder, ChunkEncoder};
use crate::format::messages::FilterPipeline;
use crate::region::{in_blocks, transpose};
use crate::write::chunk_store::ChunkStore;
use crate::write::tree::{DataStorage, DatasetNode};
use crate::write::{Space, Writer};

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

thread_local! {
    /// Each thread's chunk decoder, encoder, the chunk it gathers and a chunk turned
    /// (transposed), reused from chunk to chunk.
    static CODEC: RefCell<(ChunkDecoder, ChunkEncoder, Vec<u8>, Vec<u8>)> =
        RefCell::new((ChunkDecoder::new(), ChunkEncoder::new(), Vec::new(), Vec::new()));
}

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

/// Runs `f` on every item (on all cores with the `parallel` feature) and returns the
/// results in order.
#[cfg(feature = "parallel")]
fn each<T: Send, R: Send>(items: Vec<T>, f: impl Fn(T) -> R + Sync + Send) -> Vec<R> {
    use rayon::prelude::*;
    items.into_par_iter().map(f).collect()
}

/// Runs `f` on every item and returns the results in order.
#[cfg(not(feature = "parallel"))]
fn each<T, R>(items: Vec<T>, f: impl Fn(T) -> R) -> Vec<R> {
    items.into_iter().map(f).collect()
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

/// Buffers reused from batch to batch.
#[derive(Default)]
struct Buffers {
    /// The stored chunks of a group of lines.
    packed: Vec<u8>,
    /// A batch's lines, inflated.
    decoded: Vec<u8>,
    /// A batch's lines gathered row by row (short slabs only).
    rows: Vec<u8>,
    /// A batch's new chunks, deflated, as written.
    joined: Vec<u8>,
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

/// A chunk seen as a `rows` x `cols` matrix of `elem`-byte slabs (C order), one column
/// per index along the dimension.
#[derive(Debug, Clone, Copy)]
struct Turn {
    rows: usize,
    cols: usize,
    elem: usize,
}

/// How the slabs of a line's chunks move.
struct Plan<'a> {
    /// For each (padded) index along the dimension, where slab 0 of the index it takes
    /// is in its line.
    from: Vec<usize>,
    /// The chunk's length along the dimension.
    cd: usize,
    /// Bytes of one slab (of a turned chunk when `turn` is set).
    inner: usize,
    /// Slabs per index within a chunk (one when `turn` is set).
    outer: usize,
    chunk_bytes: usize,
    /// Bytes from one inflated chunk of a line to the next.
    slot: usize,
    per_line: usize,
    /// How inflated chunks are turned (transposed) before their slabs move, and new
    /// chunks turned back before they are deflated; none: as they are.
    turn: Option<Turn>,
    /// A chunk of fill values, for chunks never written.
    filled: Vec<u8>,
    pipeline: &'a FilterPipeline,
    path: &'a str,
}

impl Plan<'_> {
    /// Reorders a batch of lines, whose chunks (line by line) are `chunks`, stored in
    /// `bufs.packed` at `at`, and returns their new chunks deflated.
    fn batch(
        &self,
        chunks: &[Option<ChunkRecord>],
        at: &[Range<usize>],
        bufs: &mut Buffers,
    ) -> Result<Vec<Vec<u8>>> {
        let Buffers {
            packed,
            decoded,
            rows,
            ..
        } = bufs;
        let packed = &packed[..];
        decoded.resize(chunks.len() * self.slot, 0);
        let work: Vec<_> = decoded
            .chunks_mut(self.slot)
            .map(|slot| &mut slot[..self.chunk_bytes])
            .zip(chunks.iter().zip(at))
            .collect();
        each(work, |(to, (r, at))| {
            self.inflate(r.as_ref(), &packed[at.clone()], to)
        })
        .into_iter()
        .collect::<Result<()>>()?;
        let decoded = &decoded[..];
        let inflated = self.per_line * self.slot;
        let count = chunks.len() / self.per_line;
        let row = self.per_line * self.cd * self.inner;
        let direct = self.inner >= CACHE_LINE;
        if !direct {
            rows.resize(count * self.outer * row, 0);
            let work: Vec<_> = rows.chunks_mut(row).enumerate().collect();
            each(work, |(t, to)| {
                let line = &decoded[t / self.outer * inflated..][..inflated];
                self.gather_row(line, t % self.outer, to);
            });
        }
        let rows = &rows[..];
        let new: Vec<usize> = (0..chunks.len()).collect();
        each(new, |c| {
            let (l, q) = (c / self.per_line, c % self.per_line);
            CODEC.with(|cell| {
                let (_, encoder, chunk, turned) = &mut *cell.borrow_mut();
                chunk.resize(self.chunk_bytes, 0);
                if direct {
                    let line = &decoded[l * inflated..][..inflated];
                    self.gather_chunk(line, q, chunk);
                } else {
                    // Chunk q's part of each of its line's rows.
                    let part = self.cd * self.inner;
                    for (o, to) in chunk.chunks_exact_mut(part).enumerate() {
                        to.copy_from_slice(&rows[(l * self.outer + o) * row + q * part..][..part]);
                    }
                }
                let chunk = match self.turn {
                    // Its columns back into rows.
                    Some(t) => {
                        turned.resize(self.chunk_bytes, 0);
                        transpose(chunk, t.cols, t.rows, t.elem, turned);
                        turned
                    }
                    None => chunk,
                };
                Ok(encoder.encode(self.pipeline, chunk)?.to_vec())
            })
        })
        .into_iter()
        .collect()
    }

    /// Inflates the stored chunk `bytes` of record `r` (none: never written) into `to`,
    /// turned if the plan says so.
    fn inflate(&self, r: Option<&ChunkRecord>, bytes: &[u8], to: &mut [u8]) -> Result<()> {
        CODEC.with(|cell| {
            let (decoder, _, _, turned) = &mut *cell.borrow_mut();
            let into = match self.turn {
                Some(_) => {
                    turned.resize(self.chunk_bytes, 0);
                    &mut turned[..]
                }
                None => &mut *to,
            };
            match r {
                None => into.copy_from_slice(&self.filled),
                Some(r) => decoder.decode_into(
                    self.pipeline,
                    r.filter_mask,
                    bytes,
                    into,
                    r.address,
                    self.path,
                )?,
            }
            if let Some(t) = self.turn {
                transpose(turned, t.rows, t.cols, t.elem, to);
            }
            Ok(())
        })
    }

    /// Gathers new chunk `q` of the inflated `line` into `to` (one chunk), slab by slab.
    fn gather_chunk(&self, line: &[u8], q: usize, to: &mut [u8]) {
        let (cd, inner) = (self.cd, self.inner);
        let from = &self.from[q * cd..(q + 1) * cd];
        for (o, slabs) in to.chunks_exact_mut(cd * inner).enumerate() {
            for (slab, &f) in slabs.chunks_exact_mut(inner).zip(from) {
                slab.copy_from_slice(&line[f + o * cd * inner..][..inner]);
            }
        }
    }

    /// Gathers row `o` of the inflated `line` into `to`: slab `o` of every (padded)
    /// index along the dimension in its new order, one chunk's part after another.
    fn gather_row(&self, line: &[u8], o: usize, to: &mut [u8]) {
        match self.inner {
            1 => self.gather_row_as::<1>(line, o, to),
            2 => self.gather_row_as::<2>(line, o, to),
            4 => self.gather_row_as::<4>(line, o, to),
            8 => self.gather_row_as::<8>(line, o, to),
            _ => self.gather_row_as::<0>(line, o, to),
        }
    }

    /// [`gather_row`](Self::gather_row) of slabs of `N` bytes (0: of `inner` bytes), a
    /// fixed-size copy for an element rather than a call to memcpy.
    fn gather_row_as<const N: usize>(&self, line: &[u8], o: usize, to: &mut [u8]) {
        let run = if N == 0 { self.inner } else { N };
        let shift = o * self.cd * run;
        for (slab, &f) in to.chunks_exact_mut(run).zip(&self.from) {
            slab.copy_from_slice(&line[f + shift..][..run]);
        }
    }
}

#[cfg(test)]
mod tests;
