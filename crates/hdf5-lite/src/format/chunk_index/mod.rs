//! Chunk indexes (spec Appendix C and III.A.1 type 1): from a chunked layout to the list
//! of stored chunks.
//!
//! Five index kinds besides the version 1 B-tree of layout versions 1 to 3: single chunk
//! (C.A), implicit (C.B), fixed array (C.C, `fixed_array`), extensible array (C.D,
//! `extensible_array`) and version 2 B-tree (C.E, `btree_v2_chunks`). The arrays
//! store one element per position of a grid of chunks; this module maps positions to
//! chunk offsets the way libhdf5 does (over the grid of the *maximum* dimensions).

mod btree_v2_chunks;
mod extensible_array;
mod fixed_array;

use crate::error::{Error, Result};
use crate::format::checksum::verify_at as verify;
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
    let misaligned = records.iter().find(|r| {
        r.offset.len() != geometry.chunk_dims.len()
            || r.offset
                .iter()
                .zip(&geometry.chunk_dims)
                .any(|(o, c)| o % c != 0)
    });
    if let Some(r) = misaligned {
        return Err(Error::corrupt(
            "chunk index",
            ctx.base.saturating_add(address),
            format!(
                "chunk offset {:?} is not on the {:?} chunk grid",
                r.offset, geometry.chunk_dims
            ),
        ));
    }
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

#[cfg(test)]
pub(crate) mod testutil;

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::testutil::{Bytes, Image};
    use super::*;

    pub(super) fn geom(
        dims: &[u64],
        maxdims: &[u64],
        chunks: &[u64],
        filtered: bool,
    ) -> ChunkGeometry {
        ChunkGeometry {
            layout_version: 4,
            layout_flags: 0,
            dims: dims.to_vec(),
            maxdims: maxdims.to_vec(),
            chunk_dims: chunks.to_vec(),
            element_size: 4,
            filtered,
        }
    }

    fn rec(offset: &[u64], address: u64, size: u64, filter_mask: u32) -> ChunkRecord {
        ChunkRecord {
            offset: offset.to_vec(),
            address,
            size,
            filter_mask,
        }
    }

    #[test]
    fn single_chunk() {
        let ctx = Image::default().ctx();
        let g = geom(&[4, 5], &[4, 5], &[4, 5], false);
        let kind = ChunkIndexKind::SingleChunk {
            filtered_size: None,
            filter_mask: 0,
        };
        let got = chunk_records(&ctx, &kind, 2048, &g).unwrap();
        assert_eq!(got, vec![rec(&[0, 0], 2048, 80, 0)]);

        let kind = ChunkIndexKind::SingleChunk {
            filtered_size: Some(33),
            filter_mask: 1,
        };
        let g = geom(&[4, 5], &[4, 5], &[4, 5], true);
        let got = chunk_records(&ctx, &kind, 2048, &g).unwrap();
        assert_eq!(got, vec![rec(&[0, 0], 2048, 33, 1)]);

        assert!(chunk_records(&ctx, &kind, UNDEF, &g).unwrap().is_empty());
    }

    #[test]
    fn implicit_uses_the_maximum_grid() {
        // dims 25×30 of max 44×50 in 10×7 chunks: a 5×8 grid is allocated, the 3×5 chunks
        // inside the extent are listed (what libhdf5 2.0 writes for early allocation).
        let mut img = Image::default();
        img.put(100 + 40 * 280 - 1, &[0]);
        let g = geom(&[25, 30], &[44, 50], &[10, 7], false);
        let got = chunk_records(&img.ctx(), &ChunkIndexKind::Implicit, 100, &g).unwrap();
        assert_eq!(got.len(), 15);
        assert_eq!(got[0], rec(&[0, 0], 100, 280, 0));
        assert_eq!(got[7], rec(&[10, 14], 100 + (8 + 2) * 280, 280, 0));

        // The allocation must lie in the file.
        img.0.truncate(100 + 39 * 280);
        let err = chunk_records(&img.ctx(), &ChunkIndexKind::Implicit, 100, &g).unwrap_err();
        assert!(matches!(err, Error::OutOfBounds { .. }), "{err}");

        let g = geom(&[25, 30], &[u64::MAX, 50], &[10, 7], false);
        assert!(chunk_records(&img.ctx(), &ChunkIndexKind::Implicit, 100, &g).is_err());
    }

    /// A v1 chunk B-tree leaf (rank 2) at address 0.
    fn v1_leaf(chunks: &[(&[u64], u64)]) -> Image {
        let mut b = Bytes::new()
            .raw(b"TREE")
            .u8(1)
            .u8(0)
            .u16(chunks.len() as u16)
            .u64(UNDEF)
            .u64(UNDEF);
        for (offset, addr) in chunks {
            b = b
                .u32(16)
                .u32(0)
                .u64(offset[0])
                .u64(offset[1])
                .u64(0)
                .u64(*addr);
        }
        b = b.u32(0).u32(0).u64(99).u64(99).u64(0);
        let mut img = Image::default();
        img.put(0, &b.0);
        img
    }

    #[test]
    fn v1_btree_records_are_sorted_and_clipped_to_the_extent() {
        let img = v1_leaf(&[(&[2, 0], 900), (&[0, 2], 800), (&[4, 0], 700)]);
        let g = geom(&[4, 4], &[4, 4], &[2, 2], false);
        let got = chunk_records(&img.ctx(), &ChunkIndexKind::BTreeV1, 0, &g).unwrap();
        assert_eq!(
            got,
            vec![rec(&[0, 2], 800, 16, 0), rec(&[2, 0], 900, 16, 0)]
        );

        let img = v1_leaf(&[(&[0, 2], 900), (&[0, 2], 800)]);
        let err = chunk_records(&img.ctx(), &ChunkIndexKind::BTreeV1, 0, &g).unwrap_err();
        assert!(err.to_string().contains("same chunk"), "{err}");

        let img = v1_leaf(&[(&[0, 3], 900)]);
        let err = chunk_records(&img.ctx(), &ChunkIndexKind::BTreeV1, 0, &g).unwrap_err();
        assert!(err.to_string().contains("not on the"), "{err}");
    }

    #[test]
    fn bad_geometry_is_an_error() {
        let img = v1_leaf(&[]);
        let g = geom(&[4, 4], &[4, 4], &[2, 0], false);
        assert!(chunk_records(&img.ctx(), &ChunkIndexKind::BTreeV1, 0, &g).is_err());
        let g = geom(&[4, 4], &[4], &[2, 2], false);
        assert!(chunk_records(&img.ctx(), &ChunkIndexKind::BTreeV1, 0, &g).is_err());
    }

    /// A leaf-only v2 B-tree of `record_type` at 0 whose leaf is at 200.
    fn bt2(record_type: u8, record_size: u16, records: &[Vec<u8>]) -> Image {
        let header = Bytes::new()
            .raw(b"BTHD")
            .u8(0)
            .u8(record_type)
            .u32(2048)
            .u16(record_size)
            .u16(0)
            .u8(100)
            .u8(40)
            .u64(200)
            .u16(records.len() as u16)
            .u64(records.len() as u64)
            .checksum();
        let mut leaf = Bytes::new().raw(b"BTLF").u8(0).u8(record_type);
        for r in records {
            leaf = leaf.raw(r);
        }
        let mut img = Image::default();
        img.put(0, &header.0).put(200, &leaf.checksum().0);
        img
    }

    #[test]
    fn btree_v2_unfiltered_records() {
        let r = |addr: u64, a: u64, b: u64| Bytes::new().u64(addr).u64(a).u64(b).0;
        let img = bt2(10, 24, &[r(5000, 0, 1), r(6000, 1, 0), r(4000, 0, 0)]);
        let g = geom(&[6, 6], &[u64::MAX, u64::MAX], &[3, 3], false);
        let kind = ChunkIndexKind::BTreeV2 {
            node_size: 2048,
            split_percent: 100,
            merge_percent: 40,
        };
        let got = chunk_records(&img.ctx(), &kind, 0, &g).unwrap();
        assert_eq!(
            got,
            vec![
                rec(&[0, 0], 4000, 36, 0),
                rec(&[0, 3], 5000, 36, 0),
                rec(&[3, 0], 6000, 36, 0)
            ]
        );
    }

    #[test]
    fn btree_v2_filtered_records() {
        // Layout v4 sizes the chunk size field from the chunk's 36 bytes: 2 bytes.
        let r = |addr: u64, size: u64, mask: u32, a: u64, b: u64| {
            Bytes::new()
                .u64(addr)
                .uint(size, 2)
                .u32(mask)
                .u64(a)
                .u64(b)
                .0
        };
        let img = bt2(11, 30, &[r(5000, 30, 0, 1, 1), r(6000, 36, 1, 0, 0)]);
        let g = geom(&[6, 6], &[u64::MAX, u64::MAX], &[3, 3], true);
        let kind = ChunkIndexKind::BTreeV2 {
            node_size: 2048,
            split_percent: 100,
            merge_percent: 40,
        };
        let got = chunk_records(&img.ctx(), &kind, 0, &g).unwrap();
        assert_eq!(
            got,
            vec![rec(&[0, 0], 6000, 36, 1), rec(&[3, 3], 5000, 30, 0)]
        );

        // A record size that fits neither layout.
        let img = bt2(11, 27, &[vec![0; 27]]);
        assert!(chunk_records(&img.ctx(), &kind, 0, &g).is_err());
    }

    #[test]
    fn unravel_is_c_order() {
        assert_eq!(unravel(7, &[3, 4]), vec![1, 3]);
        assert_eq!(unravel(0, &[]), Vec::<u64>::new());
    }
}
