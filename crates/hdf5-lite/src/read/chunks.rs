//! Assembling a hyperslab from contiguous, compact or chunked storage.

use std::collections::HashMap;

use crate::error::{Error, Result};
use crate::format::btree_v1;
use crate::format::chunk_index::{chunk_records, ChunkGeometry, ChunkRecord};
use crate::format::filters::decode_chunk;
use crate::format::messages::{ChunkIndexKind, Dataspace, FilterPipeline, Layout};
use crate::format::{Ctx, UNDEF};
use crate::read::dataset::Hyperslab;
use crate::region::{self, for_each_row, strides, Grid};

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
fn filled(n: u64, fill: &[u8]) -> Result<Vec<u8>> {
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

/// Copies the part of `sel` inside the box at `origin` of shape `dims` (whose elements are
/// `src`) into `out`, the selection's buffer.
fn copy_box(
    src: &[u8],
    origin: &[u64],
    dims: &[u64],
    sel: &Hyperslab,
    out: &mut [u8],
    elem: u64,
) -> Result<()> {
    let from = Grid { origin, dims };
    let to = Grid {
        origin: &sel.start,
        dims: &sel.count,
    };
    if region::copy(src, from, out, to, elem) {
        Ok(())
    } else {
        Err(Error::corrupt(
            "chunk",
            0,
            "chunk smaller than its dimensions",
        ))
    }
}

/// A selection out of data held in memory (compact layout).
pub(crate) fn read_flat(
    data: &[u8],
    shape: &[u64],
    elem: u64,
    sel: &Hyperslab,
    path: &str,
) -> Result<Vec<u8>> {
    let total = shape.iter().fold(elem, |a, &d| a.saturating_mul(d));
    if (data.len() as u64) < total {
        return Err(Error::corrupt(
            "layout message",
            0,
            format!("{path}: compact data holds {} of {total} bytes", data.len()),
        ));
    }
    let mut out = filled(sel.len(), &vec![0; elem as usize])?;
    copy_box(data, &vec![0; shape.len()], shape, sel, &mut out, elem)?;
    Ok(out)
}

/// A selection out of contiguous storage, reading only the rows it needs.
#[allow(clippy::too_many_arguments)]
pub(crate) fn read_contiguous(
    ctx: &Ctx,
    address: u64,
    size: u64,
    shape: &[u64],
    elem: u64,
    sel: &Hyperslab,
    fill: &[u8],
    path: &str,
) -> Result<Vec<u8>> {
    let mut out = filled(sel.len(), fill)?;
    if address == UNDEF || sel.is_empty() {
        return Ok(out);
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
        out.copy_from_slice(&ctx.read(address, total)?);
        return Ok(out);
    }
    let rank = shape.len();
    let last = rank - 1;
    let (src_strides, dst_strides) = (strides(shape), strides(&sel.count));
    let hi: Vec<u64> = (0..rank).map(|d| sel.start[d] + sel.count[d]).collect();
    let run = sel.count[last] * elem;
    let linear = |idx: &[u64], origin: &[u64], strides: &[u64]| -> u64 {
        idx.iter()
            .zip(origin)
            .zip(strides)
            .map(|((&i, &o), &s)| (i - o) * s)
            .sum()
    };
    let zero = vec![0u64; rank];
    for_each_row::<Error>(&sel.start, &hi, |prefix| {
        let mut at = prefix.to_vec();
        at.push(sel.start[last]);
        let s = linear(&at, &zero, &src_strides) * elem;
        let d = (linear(&at, &sel.start, &dst_strides) * elem) as usize;
        let bytes = ctx.read(address + s, run)?;
        out[d..d + run as usize].copy_from_slice(&bytes);
        Ok(())
    })?;
    Ok(out)
}

/// A selection out of chunked storage: each chunk it touches is read and decoded once;
/// chunks never written read as the fill value.
#[allow(clippy::too_many_arguments)]
pub(crate) fn read_chunked(
    ctx: &Ctx,
    map: &ChunkMap,
    pipeline: &FilterPipeline,
    shape: &[u64],
    elem: u64,
    sel: &Hyperslab,
    fill: &[u8],
    path: &str,
) -> Result<Vec<u8>> {
    let mut out = filled(sel.len(), fill)?;
    if sel.is_empty() {
        return Ok(out);
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
        .and_then(|b| usize::try_from(b).ok());
    let chunk_bytes = chunk_bytes.ok_or(Error::TooLarge {
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
            copy_box(&data?, &r.offset, cd, sel, &mut out, elem)?;
        }
    }
    Ok(out)
}
