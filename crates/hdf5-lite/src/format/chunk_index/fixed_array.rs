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
    let elements_len = if paged { 0 } else { nmax * entry };
    // nmax is at most the grid's chunk count and entries are at most 20 bytes; the block
    // must still be in the file before anything is allocated for it.
    let prefix = 6 + o + bitmap_len;
    let block_len = prefix + elements_len + 4;
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
        .check(ctx.base.saturating_add(pages_at), nmax * entry + npages * 4)?;
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
