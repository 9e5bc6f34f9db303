//! Assembling a selection from contiguous, compact or chunked storage.
//!
//! A read is planned first (which chunks, whether every needed chunk is stored) and
//! then run: each needed chunk is read from the file without a copy, decoded once by its
//! thread's [`ChunkDecoder`] (only as far as the selection needs it) and copied or
//! converted straight into the output. Chunks are decoded in parallel with the
//! `parallel` feature; each writes only its own elements of the output.

use std::cell::RefCell;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;

use crate::error::{Error, Result};
use crate::format::btree_v1;
use crate::format::chunk_index::{chunk_records, ChunkGeometry, ChunkRecord};
use crate::format::filters::{with_decoder, ChunkDecoder};
use crate::format::messages::{ChunkIndexKind, Dataspace, FilterPipeline, Layout};
use crate::format::{Ctx, UNDEF};
use crate::read::chunk_leaves::{LeafIndex, LEAF_CACHE_BYTES};
use crate::read::chunk_table::ChunkTable;
use crate::read::place::scatter;
pub(crate) use crate::read::place::{Out, RawOut, Shared, TypedOut};
use crate::read::select::{BoxRuns, ChunkSet, Selection};
use crate::region::transpose;

/// Where a chunked dataset's chunk records come from.
#[derive(Debug)]
enum Records {
    /// Listed once (fixed and extensible arrays, v2 B-trees, single and implicit
    /// indexes) into a table.
    Listed(ChunkTable),
    /// A v1 B-tree. The first read walks only the nodes its selection needs (a small
    /// read of a large matrix touches a few hundred of its thousands of nodes); the
    /// second lists the tree's leaves into an index that every later read looks up,
    /// with a bounded cache of decoded leaves (window after window of a scan would
    /// otherwise walk the tree again each time). `None` in `leaves`: listing them
    /// failed, so reads keep walking (a damaged part of the tree fails only the reads
    /// that need it).
    BTree {
        address: u64,
        reads: AtomicUsize,
        leaves: OnceLock<Option<LeafIndex>>,
    },
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
            Records::BTree {
                address: *address,
                reads: AtomicUsize::new(0),
                leaves: OnceLock::new(),
            }
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
            Records::Listed(ChunkTable::new(records, chunk_dims, *address)?)
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
            Records::Listed(table) => Ok(table.records(&self.chunk_dims)),
            Records::BTree { address, .. } => self.walk_all(ctx, *address),
        }
    }

    /// Every chunk of the v1 B-tree at `address`, walked from the file.
    fn walk_all(&self, ctx: &Ctx, address: u64) -> Result<Vec<ChunkRecord>> {
        let records = btree_v1::chunk_records(ctx, address, self.chunk_dims.len())?;
        check_aligned(&records, &self.chunk_dims, address)?;
        Ok(records)
    }

    /// The stored chunks whose chunk coordinates lie in `sets` (one per dimension),
    /// sorted by offset; an error if the index lists one chunk twice.
    fn needed(&self, ctx: &Ctx, sets: &[ChunkSet]) -> Result<Vec<ChunkRecord>> {
        let cd = &self.chunk_dims;
        let (address, reads, leaves) = match &self.records {
            Records::Listed(table) => return Ok(table.needed(sets, cd)),
            Records::BTree {
                address,
                reads,
                leaves,
            } => (*address, reads, leaves),
        };
        if leaves.get().is_none() && reads.fetch_add(1, Ordering::Relaxed) >= 1 {
            let listed = LeafIndex::list(ctx, address, cd, LEAF_CACHE_BYTES);
            // Another thread may have listed them meanwhile: the same leaves.
            let _ = leaves.set(listed.ok());
        }
        if let Some(Some(index)) = leaves.get() {
            return index.needed(ctx, sets, cd);
        }
        let rank = cd.len();
        let inside = |r: &ChunkRecord| (0..rank).all(|d| sets[d].contains(r.offset[d] / cd[d]));
        let (lo, hi): (Vec<u64>, Vec<u64>) = sets
            .iter()
            .zip(cd)
            .map(|(s, &c)| {
                let (l, h) = s.bounds();
                (l.saturating_mul(c), h.saturating_mul(c))
            })
            .unzip();
        let mut records = btree_v1::chunk_records_in(ctx, address, rank, &lo, &hi)?;
        check_aligned(&records, cd, address)?;
        records.retain(inside);
        records.sort_unstable_by(|a, b| a.offset.cmp(&b.offset));
        if records.windows(2).any(|w| w[0].offset == w[1].offset) {
            return Err(Error::corrupt(
                "chunk index",
                address,
                "two records for the same chunk",
            ));
        }
        records.shrink_to_fit();
        Ok(records)
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

/// What a read needs to know about its dataset: shape, element size, and the path for
/// errors.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Target<'a> {
    pub shape: &'a [u64],
    pub elem: u64,
    pub path: &'a str,
}

/// A selection out of data held in memory (compact layout).
pub(crate) fn read_flat(data: &[u8], t: Target<'_>, sel: &Selection, out: &dyn Out) -> Result<()> {
    let total = t.shape.iter().fold(t.elem, |a, &d| a.saturating_mul(d));
    if (data.len() as u64) < total {
        return Err(Error::corrupt(
            "layout message",
            0,
            format!(
                "{}: compact data holds {} of {total} bytes",
                t.path,
                data.len()
            ),
        ));
    }
    let origin = vec![0; t.shape.len()];
    let shape = sel.shape();
    match BoxRuns::new(sel, &origin, t.shape, &shape) {
        Some(runs) => scatter(data, &runs, t.elem as usize, 0, out),
        None => Ok(()),
    }
}

/// A selection out of contiguous storage, reading only the runs it needs. Never-written
/// storage (an undefined address) leaves the output as it is (the caller fills it).
pub(crate) fn read_contiguous(
    ctx: &Ctx,
    address: u64,
    size: u64,
    t: Target<'_>,
    sel: &Selection,
    out: &dyn Out,
) -> Result<()> {
    if address == UNDEF || sel.is_empty() {
        return Ok(());
    }
    let total = t
        .shape
        .iter()
        .try_fold(t.elem, |acc, &d| acc.checked_mul(d))
        .ok_or(Error::TooLarge {
            what: "contiguous dataset",
            size: u128::MAX,
        })?;
    if size < total {
        return Err(Error::corrupt(
            "layout message",
            address,
            format!("{}: {size} bytes stored for {total}", t.path),
        ));
    }
    let origin = vec![0; t.shape.len()];
    let shape = sel.shape();
    let Some(runs) = BoxRuns::new(sel, &origin, t.shape, &shape) else {
        return Ok(());
    };
    let (elem, step) = (t.elem, runs.step() as u64);
    runs.for_each(|s, d, n| {
        if step == 1 {
            return out.put(d, &ctx.read(address + s as u64 * elem, n as u64 * elem)?);
        }
        (0..n as u64).try_for_each(|k| {
            let at = address + (s as u64 + k * step) * elem;
            out.put(d + k as usize, &ctx.read(at, elem)?)
        })
    })
}

/// The stored chunks one read needs.
#[derive(Debug)]
pub(crate) struct ChunkPlan {
    pub(crate) records: Vec<ChunkRecord>,
    /// Whether every chunk the selection touches is stored (else the output must hold
    /// the fill value before the read).
    pub complete: bool,
}

impl ChunkPlan {
    /// The plan of a read without a chunk index: nothing to list; `complete` when the
    /// data is stored.
    pub(crate) fn whole(complete: bool) -> Self {
        ChunkPlan {
            records: Vec::new(),
            complete,
        }
    }
}

/// Plans a non-empty chunked read: the needed chunks, walked once from the index.
pub(crate) fn plan_chunked(ctx: &Ctx, map: &ChunkMap, sel: &Selection) -> Result<ChunkPlan> {
    let sets = sel.chunk_sets(&map.chunk_dims);
    let records = map.needed(ctx, &sets)?;
    let grid = sets
        .iter()
        .fold(1u128, |a, s| a.saturating_mul(u128::from(s.len())));
    Ok(ChunkPlan {
        complete: records.len() as u128 == grid,
        records,
    })
}

thread_local! {
    /// Each thread's transposed chunk (reads in F order).
    static TRANSPOSED: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// Runs a chunked read planned by [`plan_chunked`]: each needed chunk is decoded once
/// (in parallel with the `parallel` feature) and its selected elements put into `out`.
pub(crate) fn read_chunked(
    ctx: &Ctx,
    map: &ChunkMap,
    pipeline: &FilterPipeline,
    t: Target<'_>,
    sel: &Selection,
    plan: &ChunkPlan,
    out: &dyn Out,
) -> Result<()> {
    let cd = &map.chunk_dims;
    let rank = cd.len();
    let elem = t.elem as usize;
    let chunk_bytes = cd
        .iter()
        .try_fold(t.elem, |acc, &d| acc.checked_mul(d))
        .and_then(|b| usize::try_from(b).ok())
        .ok_or(Error::TooLarge {
            what: "chunk",
            size: u128::MAX,
        })?;
    let out_shape = sel.shape();
    let one = |r: &ChunkRecord, decoder: &mut ChunkDecoder, turned: &mut Vec<u8>| -> Result<()> {
        let Some(mut runs) = BoxRuns::new(sel, &r.offset, cd, &out_shape) else {
            return Ok(());
        };
        let need = usize::try_from(runs.prefix())
            .ok()
            .and_then(|n| n.checked_mul(elem))
            .filter(|&n| n <= chunk_bytes)
            .ok_or_else(|| Error::corrupt("chunk", r.address, "selection outside the chunk"))?;
        // The chunk's places in the output are fetched while it is decoded: stores into
        // a large window otherwise wait for each line in turn.
        out.prefetch_runs(&runs);
        let stored = ctx.read(r.address, r.size)?;
        let edge = (0..rank).any(|d| r.offset[d] + cd[d] > t.shape[d]);
        let data: &[u8] = if pipeline.filters.is_empty() || (edge && map.layout_flags & 1 != 0) {
            if stored.len() < need {
                return Err(Error::corrupt(
                    "chunk",
                    r.address,
                    format!(
                        "{}: {} bytes stored for a {chunk_bytes}-byte chunk",
                        t.path,
                        stored.len()
                    ),
                ));
            }
            &stored
        } else {
            decoder.decode(
                pipeline,
                r.filter_mask,
                &stored,
                chunk_bytes,
                need,
                ctx.base.saturating_add(r.address),
                t.path,
            )?
        };
        if rank == 2 && runs.step() != 1 && data.len() >= chunk_bytes {
            // F order: the chunk transposed while it is in the cache, so that each run
            // is consecutive in it.
            turned.resize(chunk_bytes, 0);
            transpose(
                &data[..chunk_bytes],
                cd[0] as usize,
                cd[1] as usize,
                elem,
                turned,
            );
            runs.on_transposed(cd);
            return scatter(turned, &runs, elem, r.address, out);
        }
        scatter(data, &runs, elem, r.address, out)
    };
    let decode_one = |r: &ChunkRecord| -> Result<()> {
        with_decoder(|decoder| {
            TRANSPOSED.with(|t| match t.try_borrow_mut() {
                Ok(mut turned) => one(r, decoder, &mut turned),
                // Not reached (a decode never re-enters another); a fresh one is correct.
                Err(_) => one(r, decoder, &mut Vec::new()),
            })
        })
    };
    #[cfg(feature = "parallel")]
    {
        use rayon::prelude::*;
        plan.records.par_iter().try_for_each(decode_one)
    }
    #[cfg(not(feature = "parallel"))]
    plan.records.iter().try_for_each(decode_one)
}
