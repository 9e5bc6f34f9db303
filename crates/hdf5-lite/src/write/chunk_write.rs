//! Writing a hyperslab to a chunked dataset's chunks (spec IV.A.2.i layout version 3,
//! IV.A.2.l filter pipeline): the chunks the selection touches are found on the chunk
//! grid, a partly covered chunk is read, decoded and merged (a fully covered one is
//! built from the fill value), and the chunks of a batch are encoded on several
//! threads. Each chunk goes to fresh space, and the one it replaces is released.
//! A resize uses the same context to rewrite the chunks its new boundary cuts.

use std::cell::RefCell;

use crate::error::{Error, Result};
use crate::format::chunk_index::ChunkRecord;
use crate::format::filters::{decode_chunk, ChunkEncoder};
use crate::format::messages::FilterPipeline;
use crate::read::Hyperslab;
use crate::region::{self, Grid};
use crate::write::chunk_store::ChunkStore;
use crate::write::Space;

/// Chunks merged and compressed together; bounds the memory of one batch.
const BATCH: usize = 256;

thread_local! {
    /// Each thread's chunk encoder and chunk buffer, reused from chunk to chunk and call
    /// to call.
    static SCRATCH: RefCell<(ChunkEncoder, Vec<u8>)> = RefCell::new((ChunkEncoder::new(), Vec::new()));
}

/// What the chunk code needs of a dataset: its shape, chunk shape, element size, fill
/// element and filter pipeline, and its path for errors.
pub(super) struct ChunkCtx<'a> {
    pub(super) shape: &'a [u64],
    pub(super) chunk_dims: &'a [u64],
    pub(super) elem: u64,
    pub(super) fill: &'a [u8],
    pub(super) pipeline: &'a FilterPipeline,
    pub(super) path: &'a str,
}

impl ChunkCtx<'_> {
    fn chunk_bytes(&self) -> usize {
        (self.chunk_dims.iter().product::<u64>() * self.elem) as usize
    }

    /// Whether the chunk at `off` lies wholly inside the shape.
    fn inside(&self, off: &[u64]) -> bool {
        off.iter()
            .zip(self.chunk_dims)
            .zip(self.shape)
            .all(|((&o, &c), &n)| o + c <= n)
    }

    /// Sets every element of `chunk` to the fill value.
    fn fill_into(&self, chunk: &mut [u8]) {
        if self.fill.iter().all(|&b| b == 0) || self.fill.is_empty() {
            chunk.fill(0);
        } else {
            for elem in chunk.chunks_exact_mut(self.fill.len()) {
                elem.copy_from_slice(self.fill);
            }
        }
    }

    fn filled(&self) -> Vec<u8> {
        let n = self.chunk_bytes() / self.fill.len().max(1);
        let mut v = Vec::with_capacity(self.chunk_bytes());
        for _ in 0..n {
            v.extend_from_slice(self.fill);
        }
        v
    }

    pub(super) fn decode(&self, space: &Space<'_>, rec: &ChunkRecord) -> Result<Vec<u8>> {
        let mut stored = space.get_vec(rec.address, rec.size)?;
        if self.pipeline.filters.is_empty() {
            if stored.len() < self.chunk_bytes() {
                return Err(Error::corrupt(
                    "chunk",
                    rec.address,
                    format!("{}: chunk shorter than its shape", self.path),
                ));
            }
            stored.truncate(self.chunk_bytes());
            return Ok(stored);
        }
        decode_chunk(
            self.pipeline,
            rec.filter_mask,
            stored,
            self.chunk_bytes(),
            rec.address,
            self.path,
        )
    }

    /// Sets the elements of the chunk at `off` that lie outside the shape to the fill value.
    pub(super) fn clear_outside(&self, off: &[u64], chunk: &mut [u8]) {
        let blank = self.filled();
        let zero: Vec<u64> = vec![0; off.len()];
        let inside: Vec<u64> = off
            .iter()
            .zip(self.chunk_dims)
            .zip(self.shape)
            .map(|((&o, &c), &n)| c.min(n.saturating_sub(o)))
            .collect();
        let mut kept = blank.clone();
        let _ = region::copy(
            chunk,
            Grid {
                origin: &zero,
                dims: self.chunk_dims,
            },
            &mut kept,
            Grid {
                origin: &zero,
                dims: &inside,
            },
            self.elem,
        );
        let mut out = blank;
        let _ = region::copy(
            &kept,
            Grid {
                origin: &zero,
                dims: &inside,
            },
            &mut out,
            Grid {
                origin: &zero,
                dims: self.chunk_dims,
            },
            self.elem,
        );
        chunk.copy_from_slice(&out);
    }
}

/// Whether the selection covers every element of the chunk at `off` that lies inside the
/// dataset (then the chunk's old contents are not needed).
fn covers(sel: &Hyperslab, off: &[u64], chunk_dims: &[u64], shape: &[u64]) -> bool {
    (0..off.len()).all(|d| {
        let end = (off[d] + chunk_dims[d]).min(shape[d]);
        sel.start[d] <= off[d] && sel.start[d] + sel.count[d] >= end
    })
}

/// Writes `data` (the selection `sel`, C order) to the chunks it touches, in batches of
/// [`BATCH`]: the old contents of partly covered chunks are read first, then the chunks
/// are merged and encoded in parallel, and each goes to fresh space.
pub(super) fn write_chunks(
    ctx: &ChunkCtx<'_>,
    space: &mut Space<'_>,
    records: &mut ChunkStore,
    sel: &Hyperslab,
    data: &[u8],
) -> Result<()> {
    let rank = ctx.chunk_dims.len();
    let lo: Vec<u64> = (0..rank)
        .map(|d| sel.start[d] / ctx.chunk_dims[d])
        .collect();
    let hi: Vec<u64> = (0..rank)
        .map(|d| (sel.start[d] + sel.count[d] - 1) / ctx.chunk_dims[d] + 1)
        .collect();
    let mut offsets = Vec::new();
    region::for_each_row::<Error>(&lo, &hi, |prefix| {
        for c in lo[rank - 1]..hi[rank - 1] {
            let off: Vec<u64> = prefix
                .iter()
                .chain(std::iter::once(&c))
                .zip(ctx.chunk_dims)
                .map(|(&i, &n)| i * n)
                .collect();
            offsets.push(off);
        }
        Ok(())
    })?;
    let from = Grid {
        origin: &sel.start,
        dims: &sel.count,
    };
    // Chunks placed one after another (the usual case at the end of the file) go out
    // in one write.
    let mut run = Run::default();
    for batch in offsets.chunks(BATCH) {
        // Old contents of partly covered chunks, read before the parallel part.
        let mut bases = Vec::with_capacity(batch.len());
        for off in batch {
            let old = if covers(sel, off, ctx.chunk_dims, ctx.shape) {
                None
            } else {
                records.get(off)?
            };
            bases.push(old.map(|rec| ctx.decode(space, &rec)).transpose()?);
        }
        let build = |(off, base): (&Vec<u64>, Option<Vec<u8>>)| -> Result<Vec<u8>> {
            SCRATCH.with(|scratch| {
                let (encoder, buf) = &mut *scratch.borrow_mut();
                let mut base = base;
                let chunk = match &mut base {
                    Some(old) => old,
                    None => {
                        buf.resize(ctx.chunk_bytes(), 0);
                        // Elements the selection leaves out (or beyond the shape) read as fill.
                        if !(covers(sel, off, ctx.chunk_dims, ctx.shape) && ctx.inside(off)) {
                            ctx.fill_into(buf);
                        }
                        buf
                    }
                };
                if !region::copy(
                    data,
                    from,
                    chunk,
                    Grid {
                        origin: off,
                        dims: ctx.chunk_dims,
                    },
                    ctx.elem,
                ) {
                    return Err(Error::InvalidInput(format!(
                        "{}: data shorter than the selection",
                        ctx.path
                    )));
                }
                Ok(encoder.encode(ctx.pipeline, chunk)?.to_vec())
            })
        };
        let work: Vec<(&Vec<u64>, Option<Vec<u8>>)> = batch.iter().zip(bases).collect();
        #[cfg(feature = "parallel")]
        let encoded: Vec<Result<Vec<u8>>> = {
            use rayon::prelude::*;
            work.into_par_iter().map(build).collect()
        };
        #[cfg(not(feature = "parallel"))]
        let encoded: Vec<Result<Vec<u8>>> = work.into_iter().map(build).collect();
        for (off, stored) in batch.iter().zip(encoded) {
            let stored = stored?;
            let address = space.alloc.allocate_data(stored.len() as u64);
            run.add(space, address, &stored)?;
            let old = records.insert(&ChunkRecord {
                offset: off.clone(),
                address,
                size: stored.len() as u64,
                filter_mask: 0,
            })?;
            if let Some((at, size)) = old {
                space.alloc.release(at, size);
            }
        }
        run.flush(space)?;
    }
    Ok(())
}

/// Bytes bound for consecutive addresses, written as one.
#[derive(Default)]
struct Run {
    address: u64,
    bytes: Vec<u8>,
}

impl Run {
    /// Appends `bytes` at `address`, first writing what is held when `address` does not
    /// follow it. (Space released by an earlier chunk of the batch and handed to a later
    /// one is written in the same order as chunk by chunk: the last write wins.)
    fn add(&mut self, space: &Space<'_>, address: u64, bytes: &[u8]) -> Result<()> {
        if self.address + self.bytes.len() as u64 != address {
            self.flush(space)?;
            self.address = address;
        }
        self.bytes.extend_from_slice(bytes);
        Ok(())
    }

    /// Writes what is held.
    fn flush(&mut self, space: &Space<'_>) -> Result<()> {
        if !self.bytes.is_empty() {
            space.put(self.address, &self.bytes)?;
            self.bytes.clear();
        }
        Ok(())
    }
}
