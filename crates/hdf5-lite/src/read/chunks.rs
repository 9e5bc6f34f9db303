//! Assembling a hyperslab from contiguous, compact or chunked storage.

use std::collections::HashMap;

use crate::error::{Error, Result};
use crate::format::btree_v1;
use crate::format::chunk_index::{chunk_records, ChunkGeometry, ChunkRecord};
use crate::format::filters::decode_chunk;
use crate::format::messages::{ChunkIndexKind, Dataspace, Datatype, FilterPipeline, Layout};
use crate::format::{Ctx, UNDEF};
use crate::read::convert::{convert_into, Numeric};
use crate::read::dataset::Hyperslab;
use crate::region::{self, for_each_row, Grid};

/// Chunks decoded together; bounds the memory of one batch of a large read.
const BATCH: usize = 256;

/// Where a chunked dataset's chunk records come from.
#[derive(Debug)]
enum Records {
    /// Listed once (fixed and extensible arrays, v2 B-trees, single and implicit
    /// indexes), looked up by element offset.
    Listed {
        records: Vec<ChunkRecord>,
        by_offset: HashMap<Vec<u64>, usize>,
    },
    /// A v1 B-tree, walked per read through only the nodes a selection needs: a small
    /// read of a large matrix touches a few hundred of its thousands of nodes.
    BTree { address: u64 },
}

/// A chunked dataset's stored chunks.
#[derive(Debug)]
pub(crate) struct ChunkMap {
    chunk_dims: Vec<u64>,
    layout_flags: u8,
    records: Records,
}

impl ChunkMap {
    pub(crate) fn build(
        ctx: &Ctx,
        layout: &Layout,
        space: &Dataspace,
        unfiltered: bool,
    ) -> Result<Self> {
        let Layout::Chunked {
            version,
            flags,
            chunk_dims,
            element_size,
            index,
            address,
        } = layout
        else {
            return Err(Error::corrupt(
                "layout message",
                0,
                "chunk map of an unchunked dataset",
            ));
        };
        let records = if *address != UNDEF && *index == ChunkIndexKind::BTreeV1 {
            Records::BTree { address: *address }
        } else {
            let geometry = ChunkGeometry {
                layout_version: *version,
                layout_flags: *flags,
                dims: space.dims.clone(),
                maxdims: space.maxdims.clone().unwrap_or_else(|| space.dims.clone()),
                chunk_dims: chunk_dims.clone(),
                element_size: *element_size,
                filtered: !unfiltered,
            };
            let records = if *address == UNDEF {
                Vec::new()
            } else {
                chunk_records(ctx, index, *address, &geometry)?
            };
            check_aligned(&records, chunk_dims, *address)?;
            let by_offset = records
                .iter()
                .enumerate()
                .map(|(i, r)| (r.offset.clone(), i))
                .collect();
            Records::Listed { records, by_offset }
        };
        Ok(ChunkMap {
            chunk_dims: chunk_dims.clone(),
            layout_flags: *flags,
            records,
        })
    }

    /// Every stored chunk.
    pub(crate) fn records(&self, ctx: &Ctx) -> Result<Vec<ChunkRecord>> {
        match &self.records {
            Records::Listed { records, .. } => Ok(records.clone()),
            Records::BTree { address } => {
                let records = btree_v1::chunk_records(ctx, *address, self.chunk_dims.len())?;
                check_aligned(&records, &self.chunk_dims, *address)?;
                Ok(records)
            }
        }
    }

    /// The stored chunks whose chunk coordinates lie in `lo..hi`.
    fn needed(&self, ctx: &Ctx, lo: &[u64], hi: &[u64]) -> Result<Vec<ChunkRecord>> {
        let cd = &self.chunk_dims;
        let rank = cd.len();
        match &self.records {
            Records::BTree { address } => {
                let lo_el: Vec<u64> = lo
                    .iter()
                    .zip(cd)
                    .map(|(&l, &c)| l.saturating_mul(c))
                    .collect();
                let hi_el: Vec<u64> = hi
                    .iter()
                    .zip(cd)
                    .map(|(&h, &c)| h.saturating_mul(c))
                    .collect();
                let records = btree_v1::chunk_records_in(ctx, *address, rank, &lo_el, &hi_el)?;
                check_aligned(&records, cd, *address)?;
                Ok(records)
            }
            Records::Listed { records, by_offset } => {
                let grid = lo
                    .iter()
                    .zip(hi)
                    .fold(1u128, |a, (l, h)| a.saturating_mul(u128::from(h - l)));
                if grid > records.len() as u128 {
                    let inside = |r: &&ChunkRecord| {
                        (0..rank)
                            .all(|d| r.offset[d] / cd[d] >= lo[d] && r.offset[d] / cd[d] < hi[d])
                    };
                    return Ok(records.iter().filter(inside).cloned().collect());
                }
                let mut out = Vec::new();
                let last = rank - 1;
                for_each_row::<Error>(lo, hi, |prefix| {
                    for c in lo[last]..hi[last] {
                        let offset: Vec<u64> = prefix
                            .iter()
                            .chain(std::iter::once(&c))
                            .zip(cd)
                            .map(|(&i, &n)| i * n)
                            .collect();
                        if let Some(&i) = by_offset.get(&offset) {
                            out.push(records[i].clone());
                        }
                    }
                    Ok(())
                })?;
                Ok(out)
            }
        }
    }
}

fn check_aligned(records: &[ChunkRecord], chunk_dims: &[u64], address: u64) -> Result<()> {
    match records.iter().find(|r| {
        r.offset.len() != chunk_dims.len()
            || r.offset.iter().zip(chunk_dims).any(|(&o, &c)| o % c != 0)
    }) {
        Some(r) => Err(Error::corrupt(
            "chunk index",
            address,
            format!(
                "chunk offset {:?} is not aligned to chunk dims {chunk_dims:?}",
                r.offset
            ),
        )),
        None => Ok(()),
    }
}

/// An output buffer of `n` elements, each set to `fill`.
pub(crate) fn filled(n: u64, fill: &[u8]) -> Result<Vec<u8>> {
    let bytes = n
        .checked_mul(fill.len() as u64)
        .and_then(|b| usize::try_from(b).ok())
        .ok_or(Error::TooLarge {
            what: "selection",
            size: u128::from(n) * fill.len() as u128,
        })?;
    let mut out = Vec::new();
    out.try_reserve_exact(bytes).map_err(|_| Error::TooLarge {
        what: "selection",
        size: bytes as u128,
    })?;
    if fill.iter().all(|&b| b == 0) {
        out.resize(bytes, 0);
    } else {
        for _ in 0..n {
            out.extend_from_slice(fill);
        }
    }
    Ok(out)
}

/// Where the elements of a selection go as they are read.
pub(crate) trait Sink {
    /// Stores `src` (whole stored elements) from element `at` of the selection on.
    fn put(&mut self, at: usize, src: &[u8]) -> Result<()>;
}

/// Stored bytes, copied as they are.
pub(crate) struct RawSink<'a> {
    pub out: &'a mut [u8],
    pub elem: usize,
}

impl Sink for RawSink<'_> {
    fn put(&mut self, at: usize, src: &[u8]) -> Result<()> {
        let start = at * self.elem;
        let dst = self
            .out
            .get_mut(start..start + src.len())
            .ok_or_else(|| Error::Selection("element outside the selection".into()))?;
        dst.copy_from_slice(src);
        Ok(())
    }
}

/// Numbers, converted run by run straight into the typed output (no byte buffer of the
/// whole selection in between).
pub(crate) struct TypedSink<'a, T> {
    pub out: &'a mut [T],
    pub datatype: &'a Datatype,
    pub elem: usize,
}

impl<T: Numeric> Sink for TypedSink<'_, T> {
    fn put(&mut self, at: usize, src: &[u8]) -> Result<()> {
        let n = src.len() / self.elem.max(1);
        let dst = self
            .out
            .get_mut(at..at + n)
            .ok_or_else(|| Error::Selection("element outside the selection".into()))?;
        convert_into(src, self.datatype, dst)
    }
}

/// Sends the part of `sel` inside the box at `origin` of shape `dims` (whose elements are
/// `src`) to the sink.
fn scatter(
    src: &[u8],
    origin: &[u64],
    dims: &[u64],
    sel: &Hyperslab,
    elem: u64,
    sink: &mut dyn Sink,
) -> Result<()> {
    let from = Grid { origin, dims };
    let to = Grid {
        origin: &sel.start,
        dims: &sel.count,
    };
    region::for_each_run(from, to, elem, |s, d, n| {
        let bytes = src
            .get(s..s + n)
            .ok_or_else(|| Error::corrupt("chunk", 0, "chunk smaller than its dimensions"))?;
        sink.put(d / elem as usize, bytes)
    })
}

/// A selection out of data held in memory (compact layout).
pub(crate) fn read_flat(
    data: &[u8],
    shape: &[u64],
    elem: u64,
    sel: &Hyperslab,
    path: &str,
    sink: &mut dyn Sink,
) -> Result<()> {
    let total = shape.iter().fold(elem, |a, &d| a.saturating_mul(d));
    if (data.len() as u64) < total {
        return Err(Error::corrupt(
            "layout message",
            0,
            format!("{path}: compact data holds {} of {total} bytes", data.len()),
        ));
    }
    scatter(data, &vec![0; shape.len()], shape, sel, elem, sink)
}

/// A selection out of contiguous storage, reading only the runs it needs. Never-written
/// storage (an undefined address) leaves the sink's fill values.
#[allow(clippy::too_many_arguments)]
pub(crate) fn read_contiguous(
    ctx: &Ctx,
    address: u64,
    size: u64,
    shape: &[u64],
    elem: u64,
    sel: &Hyperslab,
    path: &str,
    sink: &mut dyn Sink,
) -> Result<()> {
    if address == UNDEF || sel.is_empty() {
        return Ok(());
    }
    let total = shape
        .iter()
        .try_fold(elem, |acc, &d| acc.checked_mul(d))
        .ok_or(Error::TooLarge {
            what: "contiguous dataset",
            size: u128::MAX,
        })?;
    if size < total {
        return Err(Error::corrupt(
            "layout message",
            address,
            format!("{path}: {size} bytes stored for {total}"),
        ));
    }
    if sel.count == shape {
        return sink.put(0, &ctx.read(address, total)?);
    }
    let zero = vec![0u64; shape.len()];
    let from = Grid {
        origin: &zero,
        dims: shape,
    };
    let to = Grid {
        origin: &sel.start,
        dims: &sel.count,
    };
    region::for_each_run(from, to, elem, |s, d, n| {
        sink.put(d / elem as usize, &ctx.read(address + s as u64, n as u64)?)
    })
}

/// A selection out of chunked storage: each chunk it touches is read and decoded once
/// (in parallel with the `parallel` feature); chunks never written leave the sink's fill
/// values.
#[allow(clippy::too_many_arguments)]
pub(crate) fn read_chunked(
    ctx: &Ctx,
    map: &ChunkMap,
    pipeline: &FilterPipeline,
    shape: &[u64],
    elem: u64,
    sel: &Hyperslab,
    path: &str,
    sink: &mut dyn Sink,
) -> Result<()> {
    if sel.is_empty() {
        return Ok(());
    }
    let cd = &map.chunk_dims;
    let rank = cd.len();
    let lo: Vec<u64> = (0..rank).map(|d| sel.start[d] / cd[d]).collect();
    let hi: Vec<u64> = (0..rank)
        .map(|d| (sel.start[d] + sel.count[d] - 1) / cd[d] + 1)
        .collect();
    let needed = map.needed(ctx, &lo, &hi)?;
    let chunk_bytes = cd
        .iter()
        .try_fold(elem, |acc, &d| acc.checked_mul(d))
        .and_then(|b| usize::try_from(b).ok())
        .ok_or(Error::TooLarge {
            what: "chunk",
            size: u128::MAX,
        })?;
    let decode = |r: &ChunkRecord| -> Result<Vec<u8>> {
        let stored = ctx.read(r.address, r.size)?;
        let edge = (0..rank).any(|d| r.offset[d] + cd[d] > shape[d]);
        if pipeline.filters.is_empty() || (edge && map.layout_flags & 1 != 0) {
            if stored.len() < chunk_bytes {
                return Err(Error::corrupt(
                    "chunk",
                    r.address,
                    format!(
                        "{path}: {} bytes stored for a {chunk_bytes}-byte chunk",
                        stored.len()
                    ),
                ));
            }
            return Ok(stored[..chunk_bytes].to_vec());
        }
        decode_chunk(
            pipeline,
            r.filter_mask,
            stored.into_owned(),
            chunk_bytes,
            ctx.base.saturating_add(r.address),
            path,
        )
    };
    for batch in needed.chunks(BATCH) {
        #[cfg(feature = "parallel")]
        let decoded: Vec<Result<Vec<u8>>> = {
            use rayon::prelude::*;
            batch.par_iter().map(&decode).collect()
        };
        #[cfg(not(feature = "parallel"))]
        let decoded: Vec<Result<Vec<u8>>> = batch.iter().map(&decode).collect();
        for (r, data) in batch.iter().zip(decoded) {
            scatter(&data?, &r.offset, cd, sel, elem, sink)?;
        }
    }
    Ok(())
}
