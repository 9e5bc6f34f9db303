//! Chunk indexes (spec Appendix C and III.A.1 type 1): from a chunked layout to the list
//! of stored chunks.
//!
//! Five index kinds besides the version 1 B-tree of layout versions 1 to 3: single chunk
//! (C.A), implicit (C.B), fixed array (C.C, [`fixed_array`]), extensible array (C.D,
//! [`extensible_array`]) and version 2 B-tree (C.E, [`btree_v2_chunks`]). The arrays
//! store one element per position of a grid of chunks; this module maps positions to
//! chunk offsets the way libhdf5 does (over the grid of the *maximum* dimensions).

mod btree_v2_chunks;
mod extensible_array;
mod fixed_array;

use crate::error::{Error, Result};
use crate::format::checksum::lookup3;
use crate::format::messages::ChunkIndexKind;
use crate::format::{btree_v1, Ctx, Sizes, UNDEF};

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

impl ChunkGeometry {
    /// Checks ranks and chunk sizes: every array below is indexed by dimension.
    fn check(&self, address: u64) -> Result<()> {
        let rank = self.dims.len();
        if rank == 0
            || self.maxdims.len() != rank
            || self.chunk_dims.len() != rank
            || self.chunk_dims.contains(&0)
        {
            return Err(Error::corrupt(
                "chunk index",
                address,
                format!(
                    "dataset dims {:?} / max {:?} do not fit chunk dims {:?}",
                    self.dims, self.maxdims, self.chunk_dims
                ),
            ));
        }
        Ok(())
    }

    /// Chunks per dimension covering the current dimensions.
    fn grid(&self) -> Vec<u64> {
        self.dims
            .iter()
            .zip(&self.chunk_dims)
            .map(|(&d, &c)| d.div_ceil(c))
            .collect()
    }

    /// Chunks per dimension covering the maximum dimensions (`None`: unlimited).
    fn max_grid(&self) -> Vec<Option<u64>> {
        self.maxdims
            .iter()
            .zip(&self.chunk_dims)
            .map(|(&m, &c)| (m != u64::MAX).then(|| m.div_ceil(c)))
            .collect()
    }

    /// Bytes of an unfiltered chunk.
    fn chunk_bytes(&self, address: u64) -> Result<u64> {
        self.chunk_dims
            .iter()
            .try_fold(u64::from(self.element_size), |acc, &c| acc.checked_mul(c))
            .ok_or_else(|| Error::corrupt("chunk index", address, "chunk size overflows"))
    }

    /// Element offset of the chunk at grid coordinates `scaled`.
    fn offset_of(&self, scaled: &[u64], address: u64) -> Result<Vec<u64>> {
        scaled
            .iter()
            .zip(&self.chunk_dims)
            .map(|(&s, &c)| {
                s.checked_mul(c)
                    .ok_or_else(|| Error::corrupt("chunk index", address, "chunk offset overflows"))
            })
            .collect()
    }

    /// Whether a chunk starting at `offset` holds any element of the current extent.
    fn in_extent(&self, offset: &[u64]) -> bool {
        offset.iter().zip(&self.dims).all(|(&o, &d)| o < d)
    }
}

/// Checks the lookup3 checksum stored right after `bytes[..at]` (the bytes of
/// `structure`, read from `address`).
fn verify(ctx: &Ctx, bytes: &[u8], at: usize, address: u64, structure: &'static str) -> Result<()> {
    let mut c = ctx.cursor(bytes, address, structure);
    c.seek(at)?;
    let stored = c.u32()?;
    let computed = lookup3(bytes.get(..at).unwrap_or_default(), 0);
    if stored != computed {
        return Err(Error::Checksum {
            structure,
            offset: ctx.base.saturating_add(address),
            stored,
            computed,
        });
    }
    Ok(())
}

/// Splits a linear index into coordinates of a C-order grid with sizes `grid`.
fn unravel(mut index: u64, grid: &[u64]) -> Vec<u64> {
    let mut out = vec![0; grid.len()];
    for (slot, &n) in out.iter_mut().zip(grid).rev() {
        if n > 0 {
            *slot = index % n;
            index /= n;
        }
    }
    out
}

/// Product of `dims`, `None` on overflow.
fn product(dims: &[u64]) -> Option<u64> {
    dims.iter().try_fold(1u64, |acc, &d| acc.checked_mul(d))
}

/// One fixed/extensible array element: a chunk address, and for filtered chunks its
/// stored size (`size_bytes` wide) and filter mask.
#[derive(Debug, Clone, Copy)]
struct ElementFormat {
    sizes: Sizes,
    /// Bytes of the chunk size field; `None` for unfiltered elements.
    size_bytes: Option<usize>,
    /// Size of every (unfiltered) chunk.
    chunk_bytes: u64,
}

impl ElementFormat {
    /// The element format of an array whose client id is `client` (0 unfiltered,
    /// 1 filtered) and whose elements are `element_size` bytes.
    fn new(
        sizes: Sizes,
        client: u8,
        element_size: usize,
        chunk_bytes: u64,
        structure: &'static str,
        address: u64,
    ) -> Result<Self> {
        let o = usize::from(sizes.offsets);
        let size_bytes = match client {
            0 if element_size == o => None,
            // address + chunk size (1 to 8 bytes) + filter mask (4).
            1 if (o + 5..=o + 12).contains(&element_size) => Some(element_size - o - 4),
            _ => {
                return Err(Error::corrupt(
                    structure,
                    address,
                    format!("client id {client} with {element_size}-byte elements"),
                ))
            }
        };
        Ok(ElementFormat {
            sizes,
            size_bytes,
            chunk_bytes,
        })
    }

    /// Bytes per element.
    fn len(&self) -> usize {
        usize::from(self.sizes.offsets) + self.size_bytes.map_or(0, |n| n + 4)
    }

    /// (address, size, filter mask) of one element's bytes (`len()` long).
    fn decode(&self, ctx: &Ctx, bytes: &[u8], at: u64) -> Result<(u64, u64, u32)> {
        let mut c = ctx.cursor(bytes, at, "chunk index element");
        let address = c.offset()?;
        match self.size_bytes {
            None => Ok((address, self.chunk_bytes, 0)),
            Some(n) => {
                let size = c.uint(n)?;
                let mask = c.u32()?;
                Ok((address, size, mask))
            }
        }
    }
}

/// Every stored chunk of a dataset, sorted by offset (C order of chunk coordinates).
/// An UNDEF `address` means no chunk was ever written: an empty list.
///
/// Chunks lying wholly outside the current dimensions (left behind when a dataset
/// shrank) are not listed.
pub fn chunk_records(
    ctx: &Ctx,
    index: &ChunkIndexKind,
    address: u64,
    geometry: &ChunkGeometry,
) -> Result<Vec<ChunkRecord>> {
    if address == UNDEF {
        return Ok(Vec::new());
    }
    geometry.check(ctx.base.saturating_add(address))?;
    let mut records = match index {
        ChunkIndexKind::BTreeV1 => btree_v1::chunk_records(ctx, address, geometry.dims.len())?,
        ChunkIndexKind::SingleChunk {
            filtered_size,
            filter_mask,
        } => {
            let size = match filtered_size {
                Some(n) => *n,
                None => geometry.chunk_bytes(address)?,
            };
            vec![ChunkRecord {
                offset: vec![0; geometry.dims.len()],
                address,
                size,
                filter_mask: *filter_mask,
            }]
        }
        ChunkIndexKind::Implicit => implicit(ctx, address, geometry)?,
        ChunkIndexKind::FixedArray { .. } => fixed_array::chunk_records(ctx, address, geometry)?,
        ChunkIndexKind::ExtensibleArray { .. } => {
            extensible_array::chunk_records(ctx, address, geometry)?
        }
        ChunkIndexKind::BTreeV2 { .. } => btree_v2_chunks::chunk_records(ctx, address, geometry)?,
    };
    records.retain(|r| geometry.in_extent(&r.offset));
    records.sort_by(|a, b| a.offset.cmp(&b.offset));
    if records.windows(2).any(|w| w[0].offset == w[1].offset) {
        return Err(Error::corrupt(
            "chunk index",
            ctx.base.saturating_add(address),
            "two records for the same chunk",
        ));
    }
    Ok(records)
}

/// Implicit index: every chunk of the grid over the maximum dimensions is allocated,
/// back to back in C order from `address`. Lists those inside the current extent.
fn implicit(ctx: &Ctx, address: u64, geometry: &ChunkGeometry) -> Result<Vec<ChunkRecord>> {
    let at = ctx.base.saturating_add(address);
    let bad = |reason: &str| Error::corrupt("implicit chunk index", at, reason.to_string());
    let max_grid = geometry
        .max_grid()
        .into_iter()
        .collect::<Option<Vec<u64>>>()
        .ok_or_else(|| bad("implicit index on a dataset with unlimited dimensions"))?;
    let grid = geometry.grid();
    let chunk_bytes = geometry.chunk_bytes(address)?;
    let count = product(&grid).ok_or_else(|| bad("chunk count overflows"))?;
    if grid.iter().zip(&max_grid).any(|(g, m)| g > m) {
        return Err(bad("dimensions exceed the maximum dimensions"));
    }
    // All chunks of the maximum grid were allocated: they must be in the file.
    let allocated = product(&max_grid)
        .and_then(|n| n.checked_mul(chunk_bytes))
        .ok_or_else(|| bad("chunk count overflows"))?;
    ctx.source.check(at, allocated)?;
    // Strides of the maximum grid, slowest dimension first.
    let mut strides = vec![1u64; max_grid.len()];
    for d in (0..max_grid.len().saturating_sub(1)).rev() {
        strides[d] = strides[d + 1]
            .checked_mul(max_grid[d + 1])
            .ok_or_else(|| bad("chunk count overflows"))?;
    }
    let mut out = Vec::new();
    for i in 0..count {
        let scaled = unravel(i, &grid);
        let linear = scaled
            .iter()
            .zip(&strides)
            .try_fold(0u64, |acc, (&s, &st)| acc.checked_add(s.checked_mul(st)?))
            .ok_or_else(|| bad("chunk index overflows"))?;
        let chunk_address = linear
            .checked_mul(chunk_bytes)
            .and_then(|n| n.checked_add(address))
            .ok_or_else(|| bad("chunk address overflows"))?;
        out.push(ChunkRecord {
            offset: geometry.offset_of(&scaled, address)?,
            address: chunk_address,
            size: chunk_bytes,
            filter_mask: 0,
        });
    }
    Ok(out)
}
