//! Fixed array chunk index (spec Appendix C.C): header "FAHD" and data block "FADB",
//! optionally followed by data block pages.
//!
//! Element `i` describes chunk `i` in C order over the grid of chunks covering the
//! dataset's maximum dimensions. An element whose address is UNDEF is a chunk never
//! written. When the array has more than `2^page_bits` elements the data block holds a
//! bitmap of initialised pages (most significant bit first) and the elements live in
//! pages after it, each with its own checksum.

use super::{product, unravel, verify, ChunkGeometry, ChunkRecord, ElementFormat};
use crate::error::{Error, Result};
use crate::format::{Ctx, UNDEF};

const HEADER: &str = "fixed array header";
const DATA_BLOCK: &str = "fixed array data block";
const PAGE: &str = "fixed array data block page";

/// Every allocated chunk of the fixed array whose header is at `address`, in index
/// order.
pub(super) fn chunk_records(
    ctx: &Ctx,
    address: u64,
    geometry: &ChunkGeometry,
) -> Result<Vec<ChunkRecord>> {
    let at = ctx.base.saturating_add(address);
    let o = u64::from(ctx.sizes.offsets);
    let l = u64::from(ctx.sizes.lengths);
    let bytes = ctx.read(address, 8 + l + o + 4)?;
    let mut c = ctx.cursor(&bytes, address, HEADER);
    c.signature(b"FAHD")?;
    let version = c.u8()?;
    if version != 0 {
        return Err(c.corrupt(format!("version {version}")));
    }
    let client = c.u8()?;
    let entry_size = usize::from(c.u8()?);
    let page_bits = c.u8()?;
    let nmax = c.length()?;
    let data_block = c.offset()?;
    verify(ctx, &bytes, c.pos(), address, HEADER)?;

    let grid = geometry
        .max_grid()
        .into_iter()
        .collect::<Option<Vec<u64>>>()
        .ok_or_else(|| Error::corrupt(HEADER, at, "fixed array on an unlimited dataset"))?;
    let grid_count =
        product(&grid).ok_or_else(|| Error::corrupt(HEADER, at, "chunk count overflows"))?;
    if nmax > grid_count {
        return Err(Error::corrupt(
            HEADER,
            at,
            format!("{nmax} entries for a grid of {grid_count} chunks"),
        ));
    }
    if page_bits >= 64 {
        return Err(Error::corrupt(HEADER, at, format!("page bits {page_bits}")));
    }
    let format = ElementFormat::new(
        ctx.sizes,
        client,
        entry_size,
        geometry.chunk_bytes(at)?,
        HEADER,
        at,
    )?;
    if data_block == UNDEF || nmax == 0 {
        return Ok(Vec::new());
    }

    let page_elements = 1u64 << page_bits;
    let paged = nmax > page_elements;
    let npages = nmax.div_ceil(page_elements);
    let bitmap_len = if paged { npages.div_ceil(8) } else { 0 };
    let entry = entry_size as u64;
    // All elements, and the page checksums: they must all be in the file.
    let all_elements = nmax
        .checked_mul(entry)
        .and_then(|n| n.checked_add(if paged { npages.checked_mul(4)? } else { 0 }))
        .ok_or_else(|| Error::corrupt(HEADER, at, format!("{nmax} entries overflow")))?;
    let elements_len = if paged { 0 } else { all_elements };
    // `ctx.read` checks the block is in the file before allocating anything for it.
    let prefix = 6 + o + bitmap_len;
    let block_len = (prefix + 4)
        .checked_add(elements_len)
        .ok_or_else(|| Error::corrupt(HEADER, at, format!("{nmax} entries overflow")))?;
    let block = ctx.read(data_block, block_len)?;
    let mut c = ctx.cursor(&block, data_block, DATA_BLOCK);
    c.signature(b"FADB")?;
    let version = c.u8()?;
    if version != 0 {
        return Err(c.corrupt(format!("version {version}")));
    }
    if c.u8()? != client {
        return Err(c.corrupt("client id differs from the header's"));
    }
    let header = c.offset()?;
    if header != address {
        return Err(c.corrupt(format!("header address {header}, expected {address}")));
    }
    let bitmap = c.bytes(bitmap_len as usize)?;
    let mut out = Vec::new();
    let mut push = |index: u64, element: (u64, u64, u32)| -> Result<()> {
        let (chunk, size, filter_mask) = element;
        if chunk != UNDEF {
            out.push(ChunkRecord {
                offset: geometry.offset_of(&unravel(index, &grid), at)?,
                address: chunk,
                size,
                filter_mask,
            });
        }
        Ok(())
    };
    if !paged {
        let elements_at = data_block + prefix;
        let elements = c.bytes(elements_len as usize)?;
        verify(ctx, &block, c.pos(), data_block, DATA_BLOCK)?;
        for (i, e) in elements.chunks_exact(format.len()).enumerate() {
            let e_at = elements_at + i as u64 * entry;
            push(i as u64, format.decode(ctx, e, e_at)?)?;
        }
        return Ok(out);
    }
    verify(ctx, &block, c.pos(), data_block, DATA_BLOCK)?;

    // Pages follow the data block back to back; the last one may be short.
    let full_page_len = page_elements * entry + 4;
    let pages_at = data_block + block_len;
    ctx.source
        .check(ctx.base.saturating_add(pages_at), all_elements)?;
    for page in 0..npages {
        let initialised = bitmap
            .get((page / 8) as usize)
            .is_some_and(|b| b & (0x80 >> (page % 8)) != 0);
        if !initialised {
            continue;
        }
        let first = page * page_elements;
        let count = page_elements.min(nmax - first);
        let page_at = pages_at + page * full_page_len;
        let len = count * entry;
        let bytes = ctx.read(page_at, len + 4)?;
        verify(ctx, &bytes, len as usize, page_at, PAGE)?;
        let elements = bytes.get(..len as usize).unwrap_or_default();
        for (i, e) in elements.chunks_exact(format.len()).enumerate() {
            let e_at = page_at + i as u64 * entry;
            push(first + i as u64, format.decode(ctx, e, e_at)?)?;
        }
    }
    Ok(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::super::tests::geom;
    use super::super::testutil::{Bytes, Image};
    use super::*;

    fn header(client: u8, entry: u8, page_bits: u8, nmax: u64) -> Vec<u8> {
        Bytes::new()
            .raw(b"FAHD")
            .u8(0)
            .u8(client)
            .u8(entry)
            .u8(page_bits)
            .u64(nmax)
            .u64(100)
            .checksum()
            .0
    }

    fn block(client: u8, bitmap: &[u8], elements: &[u8]) -> Vec<u8> {
        Bytes::new()
            .raw(b"FADB")
            .u8(0)
            .u8(client)
            .u64(0)
            .raw(bitmap)
            .raw(elements)
            .checksum()
            .0
    }

    fn addrs(a: &[u64]) -> Vec<u8> {
        a.iter().flat_map(|x| x.to_le_bytes()).collect()
    }

    #[test]
    fn unpaged_unfiltered() {
        let mut img = Image::default();
        img.put(0, &header(0, 8, 10, 4));
        img.put(100, &block(0, &[], &addrs(&[1000, UNDEF, 1200, 1300])));
        let g = geom(&[4, 4], &[4, 4], &[2, 2], false);
        let got = chunk_records(&img.ctx(), 0, &g).unwrap();
        let summary: Vec<_> = got
            .iter()
            .map(|r| (r.offset.clone(), r.address, r.size))
            .collect();
        assert_eq!(
            summary,
            vec![
                (vec![0, 0], 1000, 16),
                (vec![2, 0], 1200, 16),
                (vec![2, 2], 1300, 16)
            ]
        );
    }

    #[test]
    fn paged_with_an_uninitialised_page() {
        // 5 entries, 2 per page: pages 0 and 2 initialised (bits 0 and 2, MSB first).
        let mut img = Image::default();
        img.put(0, &header(0, 8, 1, 5));
        img.put(100, &block(0, &[0xa0], &[]));
        let page = |a: &[u64]| Bytes::new().raw(&addrs(a)).checksum().0;
        img.put(119, &page(&[500, 600]));
        img.put(139, &[0xee; 20]);
        img.put(159, &page(&[900]));
        let g = geom(&[5], &[5], &[1], false);
        let got = chunk_records(&img.ctx(), 0, &g).unwrap();
        let summary: Vec<_> = got.iter().map(|r| (r.offset[0], r.address)).collect();
        assert_eq!(summary, vec![(0, 500), (1, 600), (4, 900)]);

        img.0[160] ^= 1;
        let err = chunk_records(&img.ctx(), 0, &g).unwrap_err();
        assert!(matches!(err, Error::Checksum { offset: 159, .. }), "{err}");
    }

    #[test]
    fn filtered_elements() {
        // Entry = address (8) + 3-byte size + mask (4), as layout v4 writes for chunks
        // of 64 KiB or more.
        let e = |a: u64, size: u64, mask: u32| Bytes::new().u64(a).uint(size, 3).u32(mask).0;
        let mut img = Image::default();
        img.put(0, &header(1, 15, 10, 2));
        img.put(
            100,
            &block(1, &[], &[e(4000, 70000, 0), e(UNDEF, 0, 0)].concat()),
        );
        let g = geom(&[2], &[2], &[1], true);
        let got = chunk_records(&img.ctx(), 0, &g).unwrap();
        assert_eq!(
            got,
            vec![ChunkRecord {
                offset: vec![0],
                address: 4000,
                size: 70000,
                filter_mask: 0
            }]
        );
    }

    #[test]
    fn corrupt_arrays() {
        let g = geom(&[4, 4], &[4, 4], &[2, 2], false);
        // More entries than chunks in the grid.
        let mut img = Image::default();
        img.put(0, &header(0, 8, 10, 5));
        img.put(100, &block(0, &[], &addrs(&[1; 5])));
        assert!(chunk_records(&img.ctx(), 0, &g).is_err());

        // Data block pointing to another header.
        let mut img = Image::default();
        img.put(0, &header(0, 8, 10, 4));
        let mut b = block(0, &[], &addrs(&[1; 4]));
        b[6] = 9;
        img.put(100, &b);
        let err = chunk_records(&img.ctx(), 0, &g).unwrap_err();
        assert!(matches!(err, Error::Corrupt { offset: 100, .. }), "{err}");

        // Header checksum.
        let mut img = Image::default();
        img.put(0, &header(0, 8, 10, 4));
        img.put(100, &block(0, &[], &addrs(&[1; 4])));
        img.0[9] ^= 0x40;
        let err = chunk_records(&img.ctx(), 0, &g).unwrap_err();
        assert!(matches!(err, Error::Checksum { offset: 0, .. }), "{err}");

        // Element size that matches neither client.
        let mut img = Image::default();
        img.put(0, &header(0, 12, 10, 4));
        assert!(chunk_records(&img.ctx(), 0, &g).is_err());

        // Truncated data block.
        let mut img = Image::default();
        img.put(0, &header(0, 8, 10, 4));
        img.put(100, &block(0, &[], &addrs(&[1; 4]))[..30]);
        let err = chunk_records(&img.ctx(), 0, &g).unwrap_err();
        assert!(matches!(err, Error::OutOfBounds { .. }), "{err}");
    }
}
