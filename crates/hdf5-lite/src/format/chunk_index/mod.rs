//! Chunk indexes (spec Appendix C and III.A.1 type 1): from a chunked layout to the list
//! of stored chunks.

use crate::error::Result;
use crate::format::messages::ChunkIndexKind;
use crate::format::Ctx;

/// One stored chunk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChunkRecord {
    /// Element coordinates of the chunk's first element, one per dataset dimension.
    pub offset: Vec<u64>,
    /// Address of the stored bytes.
    pub address: u64,
    /// Stored (filtered) size in bytes.
    pub size: u64,
    /// Bit i set: filter i of the pipeline was skipped for this chunk.
    pub filter_mask: u32,
}

/// What an index needs to know about its dataset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChunkGeometry {
    /// Layout message version (1 to 5).
    pub layout_version: u8,
    /// Layout flags (versions 4 and 5).
    pub layout_flags: u8,
    /// Current dataset dimensions.
    pub dims: Vec<u64>,
    /// Maximum dataset dimensions (`u64::MAX` = unlimited).
    pub maxdims: Vec<u64>,
    /// Chunk dimensions in elements.
    pub chunk_dims: Vec<u64>,
    /// Bytes per element.
    pub element_size: u32,
    /// Whether the dataset has a filter pipeline.
    pub filtered: bool,
}

/// Every stored chunk of a dataset, sorted by offset (C order of chunk coordinates).
/// An UNDEF `address` means no chunk was ever written: an empty list.
pub fn chunk_records(
    ctx: &Ctx,
    index: &ChunkIndexKind,
    address: u64,
    geometry: &ChunkGeometry,
) -> Result<Vec<ChunkRecord>> {
    let _ = (ctx, index, geometry);
    Err(crate::Error::corrupt(
        "chunk index",
        address,
        "not implemented",
    ))
}
