//! Version 2 B-tree chunk index (spec Appendix C.E, records of types 10 and 11 in
//! III.A.2).
//!
//! Type 10 (unfiltered): `address | scaled offset (8 bytes) per dataset dimension`.
//! Type 11 (filtered): `address | chunk size | filter mask (4) | scaled offsets`, where
//! the chunk size field is as wide as the record leaves room for (layout v4 sizes it from
//! the unfiltered chunk size, layout v5 always uses 8 bytes). Scaled offsets count
//! chunks; they are multiplied by the chunk dimensions here.

use super::{ChunkGeometry, ChunkRecord};
use crate::error::{Error, Result};
use crate::format::btree_v2::BTreeV2;
use crate::format::Ctx;

const STRUCTURE: &str = "v2 B-tree chunk record";

/// Every chunk of the v2 B-tree whose header is at `address`.
pub(super) fn chunk_records(
    ctx: &Ctx,
    address: u64,
    geometry: &ChunkGeometry,
) -> Result<Vec<ChunkRecord>> {
    let at = ctx.base.saturating_add(address);
    let tree = BTreeV2::read(ctx, address)?;
    let rank = geometry.dims.len();
    let o = usize::from(ctx.sizes.offsets);
    let record_size = usize::from(tree.record_size);
    let fixed = o + 8 * rank;
    let size_bytes = match tree.record_type {
        10 if record_size == fixed => None,
        11 if (fixed + 5..=fixed + 12).contains(&record_size) => Some(record_size - fixed - 4),
        t => {
            return Err(Error::corrupt(
                "v2 B-tree header",
                at,
                format!("record type {t} of {record_size} bytes in a chunk index of rank {rank}"),
            ))
        }
    };
    let chunk_bytes = geometry.chunk_bytes(at)?;
    let mut out = Vec::new();
    for record in tree.records(ctx)? {
        let mut c = ctx.cursor(&record, address, STRUCTURE);
        let chunk = c.offset()?;
        let (size, filter_mask) = match size_bytes {
            None => (chunk_bytes, 0),
            Some(n) => (c.uint(n)?, c.u32()?),
        };
        let mut scaled = Vec::with_capacity(rank);
        for _ in 0..rank {
            scaled.push(c.u64()?);
        }
        out.push(ChunkRecord {
            offset: geometry.offset_of(&scaled, at)?,
            address: chunk,
            size,
            filter_mask,
        });
    }
    Ok(out)
}
