//! Reordering a chunked dataset along one dimension in place, chunk by chunk: the
//! chunks of a line along that dimension are inflated once each and their slabs
//! scattered straight into the line's new chunks, which are deflated in parallel and
//! stored in one write per batch. No element is converted and no chunk is merged, so
//! the cost is the codec's plus one copy of every element.
//!
//! The dimension is padded to whole chunks: positions past its end (the edge chunks'
//! slack) keep what they held, so an edge chunk reads the same outside the shape.

use std::cell::RefCell;

use crate::error::{Error, Result};
use crate::format::chunk_index::ChunkRecord;
use crate::format::filters::{ChunkDecoder, ChunkEncoder};
use crate::write::tree::{DataStorage, DatasetNode};
use crate::write::{Space, Writer};

/// Decoded bytes of the lines reordered together: bounds the memory of one batch.
const BATCH_BYTES: u64 = 4 << 20;

thread_local! {
    /// Each thread's chunk decoder and encoder, reused from chunk to chunk.
    static CODEC: RefCell<(ChunkDecoder, ChunkEncoder)> =
        RefCell::new((ChunkDecoder::new(), ChunkEncoder::new()));
}

impl Writer {
    /// Reorders the chunked dataset at `path` along dimension `dim`: afterwards index `i`
    /// of that dimension holds what index `ordering[i]` held, which must list each index
    /// once. Element bytes move as they are, whatever their type (numbers only: a
    /// datatype that refers to heap objects is refused).
    pub fn permute(&mut self, path: &str, dim: usize, ordering: &[u64]) -> Result<()> {
        self.edit(|w| {
            let (node, mut space) = w.dataset_and_space(path)?;
            if crate::read::live::heap_refs(&node.datatype) != Some(false) {
                return Err(Error::InvalidInput(format!(
                    "{path}: only datasets of numbers can be permuted in place"
                )));
            }
            node.permute(&mut space, dim, ordering)
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

/// A batch's output bytes, written by many threads at the disjoint places the
/// permutation sends each slab to.
struct Scattered {
    ptr: *mut u8,
    len: usize,
}

// SAFETY: a `&mut [u8]` handed to threads that write disjoint ranges of it only (each
// destination slab is the image of exactly one source slab under a bijection).
unsafe impl Send for Scattered {}
// SAFETY: as above.
unsafe impl Sync for Scattered {}

impl Scattered {
    /// Copies `src` (`N` bytes, or any length when `N` is 0) to `at`.
    ///
    /// # Safety
    /// No other thread may write or read `at..at + src.len()` meanwhile.
    unsafe fn put<const N: usize>(&self, at: usize, src: &[u8]) -> Result<()> {
        if at.checked_add(src.len()).is_none_or(|end| end > self.len) {
            return Err(Error::InvalidInput(
                "permuted slab outside its chunk".into(),
            ));
        }
        // SAFETY: in bounds (checked above) of the buffer this was made from, which
        // outlives it; the caller guarantees no one else touches the range.
        unsafe {
            let to = self.ptr.add(at);
            match <&[u8; N]>::try_from(src) {
                // A fixed-size copy, not a call to memcpy, for an element.
                Ok(value) if N > 0 => to.cast::<[u8; N]>().write_unaligned(*value),
                _ => std::ptr::copy_nonoverlapping(src.as_ptr(), to, src.len()),
            }
        };
        Ok(())
    }
}

impl DatasetNode {
    /// See [`Writer::permute`].
    pub(crate) fn permute(
        &mut self,
        space: &mut Space<'_>,
        dim: usize,
        ordering: &[u64],
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
        let per_line = lines.grid[dim];
        let cd = chunk_dims[dim];
        // Where each (padded) index goes; the slack past the end stays where it is.
        let padded = per_line * cd;
        let mut dest = vec![u64::MAX; padded as usize];
        for (p, &s) in ordering.iter().enumerate() {
            match dest.get_mut(s as usize) {
                Some(slot) if s < n && *slot == u64::MAX => *slot = p as u64,
                _ => {
                    return Err(Error::InvalidInput(format!(
                    "{}: the ordering must hold each of 0..{n} once (bad or repeated index {s})",
                    self.path
                )))
                }
            }
        }
        for (s, slot) in dest.iter_mut().enumerate().skip(n as usize) {
            *slot = s as u64;
        }
        // A slab: the elements of one index along `dim` within a chunk, `inner` long,
        // `outer` of them per index.
        let inner = chunk_dims[dim + 1..].iter().product::<u64>() as usize * elem;
        let outer = chunk_dims[..dim].iter().product::<u64>() as usize;
        let filled: Vec<u8> = fill.iter().copied().cycle().take(chunk_bytes).collect();
        if filled.len() != chunk_bytes {
            return Err(Error::InvalidInput(format!(
                "{}: no fill value for its elements",
                self.path
            )));
        }
        let line_bytes = per_line as usize * chunk_bytes;
        let batch_lines = (BATCH_BYTES / line_bytes as u64).max(1);
        let ctx = Slabs {
            dest: &dest,
            cd: cd as usize,
            inner,
            outer,
            chunk_bytes,
            line_bytes,
        };
        let (mut out, mut joined) = (Vec::new(), Vec::new());
        let mut line = 0;
        while line < lines.count() {
            let count = batch_lines.min(lines.count() - line);
            let mut sources = Vec::with_capacity((count * per_line) as usize);
            for l in 0..count {
                for k in 0..per_line {
                    let stored = match records.get(&lines.offset(line + l, k))? {
                        Some(r) => Some((space.get_vec(r.address, r.size)?, r)),
                        None => None,
                    };
                    sources.push((l as usize, k as usize, stored));
                }
            }
            out.clear();
            out.resize(count as usize * line_bytes, 0);
            let scattered = Scattered {
                ptr: out.as_mut_ptr(),
                len: out.len(),
            };
            let scatter = |(l, k, stored): &(usize, usize, Option<(Vec<u8>, ChunkRecord)>)| {
                CODEC.with(|cell| {
                    let (decoder, _) = &mut *cell.borrow_mut();
                    let chunk = match stored {
                        None => &filled[..],
                        Some((bytes, r)) => {
                            let data = decoder.decode(
                                &self.pipeline,
                                r.filter_mask,
                                bytes,
                                chunk_bytes,
                                chunk_bytes,
                                r.address,
                                &self.path,
                            )?;
                            data.get(..chunk_bytes).ok_or_else(|| {
                                Error::corrupt(
                                    "chunk",
                                    r.address,
                                    format!("{}: chunk shorter than its shape", self.path),
                                )
                            })?
                        }
                    };
                    ctx.scatter(&scattered, *l, *k, chunk)
                })
            };
            let encode = |chunk: &[u8]| -> Result<Vec<u8>> {
                CODEC.with(|cell| {
                    let (_, encoder) = &mut *cell.borrow_mut();
                    Ok(encoder.encode(&self.pipeline, chunk)?.to_vec())
                })
            };
            #[cfg(feature = "parallel")]
            let encoded: Vec<Result<Vec<u8>>> = {
                use rayon::prelude::*;
                sources.par_iter().try_for_each(scatter)?;
                out.par_chunks(chunk_bytes).map(encode).collect()
            };
            #[cfg(not(feature = "parallel"))]
            let encoded: Vec<Result<Vec<u8>>> = {
                sources.iter().try_for_each(scatter)?;
                out.chunks(chunk_bytes).map(encode).collect()
            };
            drop(sources);
            let encoded = encoded.into_iter().collect::<Result<Vec<_>>>()?;
            // One extent and one write for the batch's chunks.
            let total: u64 = encoded.iter().map(|c| c.len() as u64).sum();
            let mut address = space.alloc.allocate_data(total);
            joined.clear();
            for stored in &encoded {
                joined.extend_from_slice(stored);
            }
            space.put(address, &joined)?;
            for (i, stored) in encoded.iter().enumerate() {
                let (l, k) = (i as u64 / per_line, i as u64 % per_line);
                let old = records.insert(&ChunkRecord {
                    offset: lines.offset(line + l, k),
                    address,
                    size: stored.len() as u64,
                    filter_mask: 0,
                })?;
                if let Some((at, size)) = old {
                    space.alloc.release(at, size);
                }
                address += stored.len() as u64;
            }
            line += count;
        }
        Ok(())
    }
}

/// How the slabs of a line's chunks move.
struct Slabs<'a> {
    /// The new index of each (padded) index along the dimension.
    dest: &'a [u64],
    /// The chunk's length along the dimension.
    cd: usize,
    /// Bytes of one slab.
    inner: usize,
    /// Slabs per index within a chunk.
    outer: usize,
    chunk_bytes: usize,
    line_bytes: usize,
}

impl Slabs<'_> {
    /// Copies every slab of the decoded chunk `k` of batch line `l` to its new place.
    fn scatter(&self, out: &Scattered, l: usize, k: usize, chunk: &[u8]) -> Result<()> {
        // Element-wide slabs (the last dimension) are copied as fixed-size values.
        match self.inner {
            1 => self.scatter_as::<1>(out, l, k, chunk),
            2 => self.scatter_as::<2>(out, l, k, chunk),
            4 => self.scatter_as::<4>(out, l, k, chunk),
            8 => self.scatter_as::<8>(out, l, k, chunk),
            _ => self.scatter_as::<0>(out, l, k, chunk),
        }
    }

    /// [`scatter`](Self::scatter) of slabs of `N` bytes (0: of `inner` bytes).
    fn scatter_as<const N: usize>(
        &self,
        out: &Scattered,
        l: usize,
        k: usize,
        chunk: &[u8],
    ) -> Result<()> {
        let line = l * self.line_bytes;
        let run = if N == 0 { self.inner } else { N };
        for j in 0..self.cd {
            let p = self.dest[k * self.cd + j] as usize;
            let to = line + p / self.cd * self.chunk_bytes;
            for o in 0..self.outer {
                let from = (o * self.cd + j) * run;
                let at = to + (o * self.cd + p % self.cd) * run;
                // SAFETY: `dest` is a bijection of the padded indices and lines do not
                // overlap, so this slab's place is written by this call alone.
                unsafe { out.put::<N>(at, &chunk[from..from + run])? };
            }
        }
        Ok(())
    }
}
