//! Extensible array chunk index (spec Appendix C.D): header "EAHD", index block "EAIB",
//! secondary (super) blocks "EASB", data blocks "EADB" and data block pages.
//!
//! Elements are numbered from 0: the first ones sit in the index block, then come the
//! data blocks of super block 0, 1, 2, …; super block `u` has `2^(u/2)` data blocks of
//! `2^((u+1)/2) · data_block_min` elements. The data blocks of the first
//! `2·log2(super_block_min_pointers)` super blocks are listed in the index block itself,
//! the later super blocks are stored. Data blocks with more than `2^page_bits` elements
//! are paged, and their super block holds one bitmap of initialised pages per data block.
//!
//! Element `i` describes the chunk at position `i` of the chunk grid with the unlimited
//! dimension moved first (slowest) and every other dimension at its maximum chunk
//! count, as libhdf5 numbers them.

use super::{unravel, verify, ChunkGeometry, ChunkRecord, ElementFormat};
use crate::error::{Error, Result};
use crate::format::{Ctx, Visited, UNDEF};

const HEADER: &str = "extensible array header";
const INDEX_BLOCK: &str = "extensible array index block";
const SUPER_BLOCK: &str = "extensible array secondary block";
const DATA_BLOCK: &str = "extensible array data block";
const PAGE: &str = "extensible array data block page";

/// Header fields the walk needs.
struct Walk<'a> {
    ctx: &'a Ctx,
    geometry: &'a ChunkGeometry,
    address: u64,
    client: u8,
    format: ElementFormat,
    /// Bytes per element.
    esize: u64,
    /// Bytes of the "block offset" fields.
    block_offset_size: u64,
    /// Elements per data block page.
    page_elements: u64,
    /// Elements at indices `>= limit` are not looked at (beyond the extent, or never set).
    limit: u64,
    /// Chunk grid sizes of the fixed dimensions, in order.
    fixed_grid: Vec<u64>,
    /// Chunks per position of the unlimited dimension (product of `fixed_grid`, >= 1).
    per_row: u64,
    /// The unlimited dimension.
    unlimited: usize,
    visited: Visited,
    /// Block bytes still allowed to be read: blocks of a sound array never overlap.
    budget: u64,
    out: Vec<ChunkRecord>,
}

/// Super block `u`: its number of data blocks and elements per data block.
fn super_block_shape(u: u32, data_block_min: u64) -> (u64, u64) {
    (1u64 << (u / 2), (1u64 << (u.div_ceil(2))) * data_block_min)
}

/// Every allocated chunk of the extensible array whose header is at `address`.
pub(super) fn chunk_records(
    ctx: &Ctx,
    address: u64,
    geometry: &ChunkGeometry,
) -> Result<Vec<ChunkRecord>> {
    let at = ctx.base.saturating_add(address);
    let bad = |reason: String| Error::corrupt(HEADER, at, reason);
    let o = u64::from(ctx.sizes.offsets);
    let l = u64::from(ctx.sizes.lengths);
    let bytes = ctx.read(address, 12 + 6 * l + o + 4)?;
    let mut c = ctx.cursor(&bytes, address, HEADER);
    c.signature(b"EAHD")?;
    let version = c.u8()?;
    if version != 0 {
        return Err(c.corrupt(format!("version {version}")));
    }
    let client = c.u8()?;
    let esize = c.u8()?;
    let max_bits = c.u8()?;
    let index_elements = u64::from(c.u8()?);
    let data_block_min = c.u8()?;
    let super_block_min_pointers = c.u8()?;
    let page_bits = c.u8()?;
    for _ in 0..4 {
        // Super block / data block counts and sizes: statistics only.
        c.length()?;
    }
    let max_index_set = c.length()?;
    let _elements = c.length()?;
    let index_block = c.offset()?;
    verify(ctx, &bytes, c.pos(), address, HEADER)?;

    if !data_block_min.is_power_of_two()
        || !super_block_min_pointers.is_power_of_two()
        || max_bits > 64
        || u32::from(max_bits) < data_block_min.trailing_zeros()
        || page_bits >= 64
    {
        return Err(bad(format!(
            "parameters max bits {max_bits}, data block minimum {data_block_min}, \
             super block minimum {super_block_min_pointers}, page bits {page_bits}"
        )));
    }
    let format = ElementFormat::new(
        ctx.sizes,
        client,
        usize::from(esize),
        geometry.chunk_bytes(at)?,
        HEADER,
        at,
    )?;

    // The chunk grid, unlimited dimension first.
    let max_grid = geometry.max_grid();
    let unlimited: Vec<usize> = (0..max_grid.len())
        .filter(|&d| max_grid[d].is_none())
        .collect();
    let [unlimited] = unlimited[..] else {
        return Err(bad(format!(
            "extensible array on a dataset with {} unlimited dimensions",
            unlimited.len()
        )));
    };
    let fixed_grid: Vec<u64> = max_grid.iter().flatten().copied().collect();
    let per_row = fixed_grid
        .iter()
        .try_fold(1u64, |acc, &n| acc.checked_mul(n))
        .ok_or_else(|| bad("chunk count overflows".into()))?;
    if per_row == 0 {
        return Ok(Vec::new());
    }
    let rows = geometry.grid().get(unlimited).copied().unwrap_or(0);
    let limit = rows.saturating_mul(per_row).min(max_index_set);
    if index_block == UNDEF || limit == 0 {
        return Ok(Vec::new());
    }

    let mut walk = Walk {
        ctx,
        geometry,
        address,
        client,
        format,
        esize: u64::from(esize),
        block_offset_size: u64::from(max_bits).div_ceil(8),
        page_elements: 1u64 << page_bits,
        limit,
        fixed_grid,
        per_row,
        unlimited,
        visited: Visited::default(),
        budget: ctx.source.len(),
        out: Vec::new(),
    };
    let super_blocks = 1 + u32::from(max_bits) - data_block_min.trailing_zeros();
    walk.index_block(
        index_block,
        index_elements,
        u64::from(data_block_min),
        super_block_min_pointers,
        super_blocks,
    )?;
    Ok(walk.out)
}

impl Walk<'_> {
    /// Checks and charges a block read of `len` bytes at `address`.
    fn charge(&mut self, structure: &'static str, address: u64, len: u64) -> Result<()> {
        self.visited.visit(structure, address)?;
        self.budget = self.budget.checked_sub(len).ok_or_else(|| {
            Error::corrupt(
                structure,
                self.ctx.base.saturating_add(address),
                "blocks overlap: more block bytes than the file holds",
            )
        })?;
        Ok(())
    }

    /// Checks the common block prefix: signature, version, client id, header address.
    fn prefix(&self, c: &mut crate::format::Cursor<'_>, sig: &[u8; 4]) -> Result<()> {
        c.signature(sig)?;
        let version = c.u8()?;
        if version != 0 {
            return Err(c.corrupt(format!("version {version}")));
        }
        if c.u8()? != self.client {
            return Err(c.corrupt("client id differs from the header's"));
        }
        let header = c.offset()?;
        if header != self.address {
            return Err(c.corrupt(format!(
                "header address {header}, expected {}",
                self.address
            )));
        }
        Ok(())
    }

    /// Records the element with array index `index`, unless it is unset.
    fn element(&mut self, index: u64, bytes: &[u8], at: u64) -> Result<()> {
        if index >= self.limit {
            return Ok(());
        }
        let (chunk, size, filter_mask) = self.format.decode(self.ctx, bytes, at)?;
        if chunk == UNDEF {
            return Ok(());
        }
        let mut scaled = unravel(index % self.per_row, &self.fixed_grid);
        scaled.insert(self.unlimited, index / self.per_row);
        let offset = self
            .geometry
            .offset_of(&scaled, self.ctx.base.saturating_add(self.address))?;
        self.out.push(ChunkRecord {
            offset,
            address: chunk,
            size,
            filter_mask,
        });
        Ok(())
    }

    /// Records `count` elements laid out back to back in `bytes`, the first being `first`.
    fn elements(&mut self, bytes: &[u8], at: u64, first: u64) -> Result<()> {
        let n = self.format.len();
        for (i, e) in bytes.chunks_exact(n).enumerate() {
            let index = first + i as u64;
            if index >= self.limit {
                break;
            }
            self.element(index, e, at + i as u64 * self.esize)?;
        }
        Ok(())
    }

    fn index_block(
        &mut self,
        address: u64,
        index_elements: u64,
        data_block_min: u64,
        super_block_min_pointers: u8,
        super_blocks: u32,
    ) -> Result<()> {
        let o = u64::from(self.ctx.sizes.offsets);
        // Super blocks whose data blocks the index block lists directly.
        let direct_super = 2 * super_block_min_pointers.trailing_zeros();
        let data_blocks = 2 * (u64::from(super_block_min_pointers) - 1);
        let stored_super = u64::from(super_blocks.saturating_sub(direct_super));
        let elements_len = index_elements * self.esize;
        let len = 6 + o + elements_len + (data_blocks + stored_super) * o + 4;
        self.charge(INDEX_BLOCK, address, len)?;
        let bytes = self.ctx.read(address, len)?;
        let mut c = self.ctx.cursor(&bytes, address, INDEX_BLOCK);
        self.prefix(&mut c, b"EAIB")?;
        let elements_at = address + c.pos() as u64;
        let elements = c.bytes(elements_len as usize)?;
        let mut dblocks = Vec::new();
        for _ in 0..data_blocks {
            dblocks.push(c.offset()?);
        }
        let mut sblocks = Vec::new();
        for _ in 0..stored_super {
            sblocks.push(c.offset()?);
        }
        verify(self.ctx, &bytes, c.pos(), address, INDEX_BLOCK)?;
        self.elements(elements, elements_at, 0)?;

        let mut first = index_elements;
        let mut dblocks = dblocks.into_iter();
        let mut sblocks = sblocks.into_iter();
        for u in 0..super_blocks {
            if first >= self.limit {
                break;
            }
            let (count, nelmts) = super_block_shape(u, data_block_min);
            if u < direct_super {
                for _ in 0..count {
                    let dblock = dblocks.next().unwrap_or(UNDEF);
                    if dblock != UNDEF && first < self.limit {
                        if nelmts > self.page_elements {
                            return Err(Error::unsupported(
                                "paged extensible array data block in the index block",
                            ));
                        }
                        self.data_block(dblock, nelmts, first, None)?;
                    }
                    first += nelmts;
                }
            } else {
                let sblock = sblocks.next().unwrap_or(UNDEF);
                if sblock != UNDEF {
                    self.super_block(sblock, count, nelmts, first)?;
                }
                first = first.saturating_add(count.saturating_mul(nelmts));
            }
        }
        Ok(())
    }

    /// A super block of `count` data blocks of `nelmts` elements, the first element
    /// being array index `first`.
    fn super_block(&mut self, address: u64, count: u64, nelmts: u64, first: u64) -> Result<()> {
        let o = u64::from(self.ctx.sizes.offsets);
        let paged = nelmts > self.page_elements;
        let bitmap_size = if paged {
            (nelmts / self.page_elements).div_ceil(8)
        } else {
            0
        };
        let len = 6 + o + self.block_offset_size + count * (bitmap_size + o) + 4;
        self.charge(SUPER_BLOCK, address, len)?;
        let bytes = self.ctx.read(address, len)?;
        let mut c = self.ctx.cursor(&bytes, address, SUPER_BLOCK);
        self.prefix(&mut c, b"EASB")?;
        c.uint(self.block_offset_size as usize)?;
        let bitmaps = c.bytes((count * bitmap_size) as usize)?;
        let mut dblocks = Vec::new();
        for _ in 0..count {
            dblocks.push(c.offset()?);
        }
        verify(self.ctx, &bytes, c.pos(), address, SUPER_BLOCK)?;
        for (j, dblock) in dblocks.into_iter().enumerate() {
            let start = first.saturating_add((j as u64).saturating_mul(nelmts));
            if start >= self.limit {
                break;
            }
            if dblock == UNDEF {
                continue;
            }
            // The page bits of all data blocks run on from one data block to the next
            // (the bitmap is sized as one whole byte per data block, though).
            let pages = paged.then_some((bitmaps, j as u64 * (nelmts / self.page_elements)));
            self.data_block(dblock, nelmts, start, pages)?;
        }
        Ok(())
    }

    /// A data block of `nelmts` elements starting at array index `first`. When it is
    /// paged, `pages` is the super block's page bitmap and the bit of this block's first
    /// page.
    fn data_block(
        &mut self,
        address: u64,
        nelmts: u64,
        first: u64,
        pages: Option<(&[u8], u64)>,
    ) -> Result<()> {
        let o = u64::from(self.ctx.sizes.offsets);
        let prefix = 6 + o + self.block_offset_size;
        let elements_len = if pages.is_some() {
            0
        } else {
            nelmts * self.esize
        };
        let len = prefix + elements_len + 4;
        self.charge(DATA_BLOCK, address, len)?;
        let bytes = self.ctx.read(address, len)?;
        let mut c = self.ctx.cursor(&bytes, address, DATA_BLOCK);
        self.prefix(&mut c, b"EADB")?;
        c.uint(self.block_offset_size as usize)?;
        let elements = c.bytes(elements_len as usize)?;
        verify(self.ctx, &bytes, c.pos(), address, DATA_BLOCK)?;
        let Some((bitmap, first_bit)) = pages else {
            return self.elements(elements, address + prefix, first);
        };

        // Pages follow the data block back to back.
        let page_len = self.page_elements * self.esize;
        let pages = nelmts / self.page_elements;
        for p in 0..pages {
            let start = first + p * self.page_elements;
            if start >= self.limit {
                break;
            }
            let bit = first_bit + p;
            let initialised = bitmap
                .get((bit / 8) as usize)
                .is_some_and(|b| b & (0x80 >> (bit % 8)) != 0);
            if !initialised {
                continue;
            }
            let page_at = address + len + p * (page_len + 4);
            self.charge(PAGE, page_at, page_len + 4)?;
            let bytes = self.ctx.read(page_at, page_len + 4)?;
            verify(self.ctx, &bytes, page_len as usize, page_at, PAGE)?;
            let elements = bytes.get(..page_len as usize).unwrap_or_default();
            self.elements(elements, page_at, start)?;
        }
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::super::tests::geom;
    use super::super::testutil::{Bytes, Image};
    use super::*;

    fn addrs(a: &[u64]) -> Vec<u8> {
        a.iter().flat_map(|x| x.to_le_bytes()).collect()
    }

    fn block(sig: &[u8; 4], offset: Option<u8>, body: &[u8]) -> Vec<u8> {
        let mut b = Bytes::new().raw(sig).u8(0).u8(0).u64(0);
        if let Some(o) = offset {
            b = b.u8(o);
        }
        b.raw(body).checksum().0
    }

    /// Max bits 8, 1 index block element, data blocks of at least 2 elements, 2 data
    /// block pointers per super block, pages of 4 elements: super block u has
    /// 2^(u/2) data blocks of 2^((u+1)/2)·2 elements; super blocks 0 and 1 are
    /// listed in the index block; data blocks of super block 3 (8 elements) are paged.
    fn array(sblock3_bitmap: [u8; 2]) -> Image {
        let mut img = Image::default();
        let header = Bytes::new()
            .raw(b"EAHD")
            .raw(&[0, 0, 8, 8, 1, 2, 2, 2])
            .u64(2)
            .u64(0)
            .u64(4)
            .u64(0)
            .u64(20)
            .u64(12)
            .u64(100)
            .checksum();
        img.put(0, &header.0);
        let mut sblocks = vec![400, 500];
        sblocks.resize(6, UNDEF);
        let iblock = [addrs(&[1000]), addrs(&[200, 300]), addrs(&sblocks)].concat();
        img.put(100, &block(b"EAIB", None, &iblock));
        img.put(200, &block(b"EADB", Some(0), &addrs(&[1001, UNDEF])));
        img.put(
            300,
            &block(b"EADB", Some(2), &addrs(&[1003, 1004, 1005, 1006])),
        );
        img.put(400, &block(b"EASB", Some(6), &addrs(&[600, UNDEF])));
        img.put(
            600,
            &block(b"EADB", Some(6), &addrs(&[1007, 1008, 1009, 1010])),
        );
        let sb3 = [sblock3_bitmap.to_vec(), addrs(&[700, UNDEF])].concat();
        img.put(500, &block(b"EASB", Some(14), &sb3));
        img.put(700, &block(b"EADB", Some(14), &[]));
        img.put(719, &[0xee; 36]);
        let page = Bytes::new()
            .raw(&addrs(&[1019, 1020, 1021, 1022]))
            .checksum();
        img.put(755, &page.0);
        img
    }

    #[test]
    fn walks_index_super_and_paged_data_blocks() {
        let img = array([0b0100_0000, 0]);
        // The unlimited dimension is the second one: element i is chunk [i % 2, i / 2].
        let g = geom(&[2, 10], &[2, u64::MAX], &[1, 1], false);
        let got = chunk_records(&img.ctx(), 0, &g).unwrap();
        let summary: Vec<_> = got.iter().map(|r| (r.offset.clone(), r.address)).collect();
        let want: Vec<_> = [0u64, 1, 3, 4, 5, 6, 7, 8, 9, 10, 19]
            .iter()
            .map(|&i| (vec![i % 2, i / 2], 1000 + i))
            .collect();
        assert_eq!(summary, want);
        assert!(got.iter().all(|r| r.size == 4 && r.filter_mask == 0));
    }

    #[test]
    fn uninitialised_pages_are_not_read_but_initialised_ones_are_checked() {
        // Page 0 of the paged data block is garbage: marking it initialised fails.
        let img = array([0b1100_0000, 0]);
        let g = geom(&[2, 10], &[2, u64::MAX], &[1, 1], false);
        let err = chunk_records(&img.ctx(), 0, &g).unwrap_err();
        assert!(matches!(err, Error::Checksum { offset: 719, .. }), "{err}");
    }

    #[test]
    fn the_extent_limits_the_walk() {
        // Only 3 rows: elements 0..6.
        let img = array([0b1100_0000, 0]);
        let g = geom(&[2, 3], &[2, u64::MAX], &[1, 1], false);
        let got = chunk_records(&img.ctx(), 0, &g).unwrap();
        let addrs: Vec<_> = got.iter().map(|r| r.address).collect();
        assert_eq!(addrs, vec![1000, 1001, 1003, 1004, 1005]);
    }

    #[test]
    fn corrupt_arrays() {
        let g = geom(&[2, 10], &[2, u64::MAX], &[1, 1], false);
        // A super block listed twice.
        let mut img = array([0, 0]);
        let mut sblocks = vec![400, 400];
        sblocks.resize(6, UNDEF);
        let iblock = [addrs(&[1000]), addrs(&[200, 300]), addrs(&sblocks)].concat();
        img.put(100, &block(b"EAIB", None, &iblock));
        let err = chunk_records(&img.ctx(), 0, &g).unwrap_err();
        assert!(matches!(err, Error::Cycle { offset: 400, .. }), "{err}");

        // A data block with a bad signature.
        let mut img = array([0, 0]);
        img.put(600, b"EADX");
        let err = chunk_records(&img.ctx(), 0, &g).unwrap_err();
        assert!(matches!(err, Error::Corrupt { offset: 600, .. }), "{err}");

        // Two unlimited dimensions.
        let img = array([0, 0]);
        let g2 = geom(&[2, 10], &[u64::MAX, u64::MAX], &[1, 1], false);
        assert!(chunk_records(&img.ctx(), 0, &g2).is_err());

        // Truncated in the index block.
        let mut img = array([0, 0]);
        img.0.truncate(150);
        let err = chunk_records(&img.ctx(), 0, &g).unwrap_err();
        assert!(matches!(err, Error::OutOfBounds { .. }), "{err}");

        // Data block minimum that is not a power of two.
        let mut img = array([0, 0]);
        let mut h = img.0[..68].to_vec();
        h[9] = 3;
        img.put(0, &Bytes::new().raw(&h).checksum().0);
        assert!(chunk_records(&img.ctx(), 0, &g).is_err());
    }
}
