//! The reordering of a batch of chunk lines (see the parent module): inflating each
//! line's chunks into one buffer (turned, for short slabs that make a cache line),
//! gathering each new chunk from it and deflating it, on all cores.

use std::cell::RefCell;
use std::ops::Range;

use crate::error::Result;
use crate::format::chunk_index::ChunkRecord;
use crate::format::filters::{ChunkDecoder, ChunkEncoder};
use crate::format::messages::FilterPipeline;
use crate::region::transpose;

use super::CACHE_LINE;

thread_local! {
    /// Each thread's chunk decoder, encoder, the chunk it gathers and a chunk turned
    /// (transposed), reused from chunk to chunk.
    static CODEC: RefCell<(ChunkDecoder, ChunkEncoder, Vec<u8>, Vec<u8>)> =
        RefCell::new((ChunkDecoder::new(), ChunkEncoder::new(), Vec::new(), Vec::new()));
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

/// Buffers reused from batch to batch.
#[derive(Default)]
pub(super) struct Buffers {
    /// The stored chunks of a group of lines.
    pub(super) packed: Vec<u8>,
    /// A batch's lines, inflated.
    pub(super) decoded: Vec<u8>,
    /// A batch's lines gathered row by row (short slabs only).
    pub(super) rows: Vec<u8>,
    /// A batch's new chunks, deflated, as written.
    pub(super) joined: Vec<u8>,
}

/// A chunk seen as a `rows` x `cols` matrix of `elem`-byte slabs (C order), one column
/// per index along the dimension.
#[derive(Debug, Clone, Copy)]
pub(super) struct Turn {
    pub(super) rows: usize,
    pub(super) cols: usize,
    pub(super) elem: usize,
}

/// How the slabs of a line's chunks move.
pub(super) struct Plan<'a> {
    /// For each (padded) index along the dimension, where slab 0 of the index it takes
    /// is in its line.
    pub(super) from: Vec<usize>,
    /// The chunk's length along the dimension.
    pub(super) cd: usize,
    /// Bytes of one slab (of a turned chunk when `turn` is set).
    pub(super) inner: usize,
    /// Slabs per index within a chunk (one when `turn` is set).
    pub(super) outer: usize,
    pub(super) chunk_bytes: usize,
    /// Bytes from one inflated chunk of a line to the next.
    pub(super) slot: usize,
    pub(super) per_line: usize,
    /// How inflated chunks are turned (transposed) before their slabs move, and new
    /// chunks turned back before they are deflated; none: as they are.
    pub(super) turn: Option<Turn>,
    /// A chunk of fill values, for chunks never written.
    pub(super) filled: Vec<u8>,
    pub(super) pipeline: &'a FilterPipeline,
    pub(super) path: &'a str,
}

impl Plan<'_> {
    /// Reorders a batch of lines, whose chunks (line by line) are `chunks`, stored in
    /// `bufs.packed` at `at`, and returns their new chunks deflated.
    pub(super) fn batch(
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
