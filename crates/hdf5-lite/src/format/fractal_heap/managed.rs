//! Managed objects of a fractal heap (spec III.G): walking the doubling table from the
//! root block down to the direct block that holds a heap-space offset.
//!
//! An indirect block "FHIB" is `"FHIB"`, version 0, the heap header address, its block
//! offset (`ceil(max heap bits / 8)` bytes), the addresses of its `K` direct and `N`
//! indirect children, and a checksum. A direct block "FHDB" is `"FHDB"`, version 0, the
//! heap header address, its block offset, an optional checksum (header flag bit 1,
//! computed over the whole block with the checksum field zeroed), and object bytes.

use std::collections::HashMap;
use std::sync::Arc;

use super::{log2_floor, FractalHeap};
use crate::error::{Error, Result};
use crate::format::checksum::{self, lookup3};
use crate::format::{Ctx, Visited, UNDEF};

const DIRECT: &str = "fractal heap direct block";
const INDIRECT: &str = "fractal heap indirect block";

/// Direct blocks kept in memory by one heap, at most this many bytes in total.
const CACHE_LIMIT: usize = 64 << 20;

/// Blocks already read and verified, keyed by (address, block offset, rows).
#[derive(Debug, Default)]
pub(super) struct BlockCache {
    direct: HashMap<(u64, u64), Arc<[u8]>>,
    indirect: HashMap<(u64, u64, u32), Arc<[u64]>>,
    bytes: usize,
}

impl BlockCache {
    fn make_room(&mut self, n: usize) {
        if self.bytes.saturating_add(n) > CACHE_LIMIT {
            self.direct.clear();
            self.indirect.clear();
            self.bytes = 0;
        }
        self.bytes = self.bytes.saturating_add(n);
    }
}

impl FractalHeap {
    /// Size of the blocks in row `row` of the doubling table.
    fn row_block_size(&self, row: u32) -> Option<u64> {
        match row {
            0 => Some(self.start_block),
            r => self.start_block.checked_mul(1u64.checked_shl(r - 1)?),
        }
    }

    /// For an offset `rel` relative to the start of an indirect block of `nrows` rows:
    /// its (row, column, offset of that child block relative to the indirect block,
    /// child block size).
    fn locate(&self, rel: u64, nrows: u32) -> Option<(u32, u64, u64, u64)> {
        let mut row_start = 0u64;
        for row in 0..nrows {
            let size = self.row_block_size(row)?;
            let span = size.checked_mul(self.width)?;
            if rel - row_start < span {
                let col = (rel - row_start) / size;
                return Some((row, col, row_start + col * size, size));
            }
            row_start = row_start.checked_add(span)?;
        }
        None
    }

    /// The `len` bytes of the managed object at heap-space `offset`.
    pub(super) fn managed(&self, ctx: &Ctx, offset: u64, len: u64) -> Result<Vec<u8>> {
        if self.filter_len > 0 {
            return Err(Error::unsupported("filtered fractal heap"));
        }
        let bad = |reason: String| Error::corrupt(super::HEAP_ID, self.address, reason);
        if len == 0 {
            return Err(bad(format!("managed object of 0 bytes at offset {offset}")));
        }
        if self.max_heap_bits < 64 && offset >> self.max_heap_bits != 0 {
            return Err(bad(format!(
                "offset {offset} beyond the heap's address space"
            )));
        }
        if self.root == UNDEF {
            return Err(bad(format!("offset {offset} in an empty heap")));
        }
        if self.root_rows == 0 {
            return self.read_in_direct(ctx, self.root, 0, self.start_block, offset, len);
        }
        let mut visited = Visited::default();
        let mut block = self.root;
        let mut block_offset = 0u64;
        let mut nrows = u32::from(self.root_rows);
        // Each step goes to a child with fewer rows, so this ends.
        loop {
            visited.visit(INDIRECT, block)?;
            let children = self.indirect_block(ctx, block, block_offset, nrows)?;
            let (row, col, child_rel, child_size) = offset
                .checked_sub(block_offset)
                .and_then(|rel| self.locate(rel, nrows))
                .ok_or_else(|| {
                    Error::corrupt(
                        INDIRECT,
                        ctx.base.saturating_add(block),
                        format!("offset {offset} is not covered by this block"),
                    )
                })?;
            let index = usize::try_from(u64::from(row) * self.width + col).ok();
            let child = index
                .and_then(|i| children.get(i).copied())
                .unwrap_or(UNDEF);
            if child == UNDEF {
                return Err(bad(format!("offset {offset} lies in an unallocated block")));
            }
            let child_offset = block_offset + child_rel;
            if row < self.max_direct_rows {
                return self.read_in_direct(ctx, child, child_offset, child_size, offset, len);
            }
            // The child spans `child_size` bytes: rows 0..n of a sub-table span
            // `width * start * 2^(n-1)`.
            let child_rows = (log2_floor(child_size) + 1)
                .saturating_sub(log2_floor(self.start_block) + log2_floor(self.width));
            if child_rows == 0 || child_rows >= nrows {
                return Err(Error::corrupt(
                    INDIRECT,
                    ctx.base.saturating_add(block),
                    "child indirect block rows do not fit the doubling table",
                ));
            }
            block = child;
            block_offset = child_offset;
            nrows = child_rows;
        }
    }

    /// The child addresses of the indirect block at `address` (direct blocks first).
    fn indirect_block(
        &self,
        ctx: &Ctx,
        address: u64,
        block_offset: u64,
        nrows: u32,
    ) -> Result<Arc<[u64]>> {
        let key = (address, block_offset, nrows);
        if let Some(hit) = self
            .cache
            .lock()
            .ok()
            .and_then(|c| c.indirect.get(&key).cloned())
        {
            return Ok(hit);
        }
        let o = u64::from(ctx.sizes.offsets);
        let entries = u64::from(nrows) * self.width;
        let size = entries
            .checked_mul(o)
            .and_then(|n| n.checked_add(5 + o + self.offset_size as u64 + 4))
            .ok_or_else(|| Error::corrupt(INDIRECT, address, "size overflows"))?;
        let bytes = ctx.read(address, size)?;
        let mut c = ctx.cursor(&bytes, address, INDIRECT);
        c.signature(b"FHIB")?;
        let version = c.u8()?;
        if version != 0 {
            return Err(c.corrupt(format!("unknown indirect block version {version}")));
        }
        let heap = c.offset()?;
        if heap != self.address {
            return Err(c.corrupt(format!(
                "belongs to heap {heap}, not to heap {}",
                self.address
            )));
        }
        let stored_offset = c.uint(self.offset_size)?;
        if stored_offset != block_offset {
            return Err(c.corrupt(format!(
                "block offset {stored_offset}, expected {block_offset}"
            )));
        }
        checksum::verify(&bytes, bytes.len().saturating_sub(4), INDIRECT, c.base())?;
        // `entries` addresses were read from the file, so the count is bounded by it.
        let children = (0..entries)
            .map(|_| c.offset())
            .collect::<Result<Arc<[u64]>>>()?;
        if let Ok(mut cache) = self.cache.lock() {
            cache.make_room(children.len() * 8);
            cache.indirect.insert(key, children.clone());
        }
        Ok(children)
    }

    /// The object bytes `offset..offset + len` from the direct block at `address`, which
    /// covers heap space `block_offset..block_offset + size`.
    fn read_in_direct(
        &self,
        ctx: &Ctx,
        address: u64,
        block_offset: u64,
        size: u64,
        offset: u64,
        len: u64,
    ) -> Result<Vec<u8>> {
        let block = self.direct_block(ctx, address, block_offset, size)?;
        let prefix = self.direct_prefix(ctx) as u64;
        let range = offset
            .checked_sub(block_offset)
            .and_then(|rel| Some((rel, rel.checked_add(len)?)))
            .filter(|&(rel, end)| rel >= prefix && end <= size)
            .and_then(|(rel, end)| Some(usize::try_from(rel).ok()?..usize::try_from(end).ok()?));
        range
            .and_then(|r| block.get(r))
            .map(<[u8]>::to_vec)
            .ok_or_else(|| {
                Error::corrupt(
                    DIRECT,
                    ctx.base.saturating_add(address),
                    format!(
                        "object of {len} bytes at heap offset {offset} does not fit in the \
                         block's data (offsets {} to {})",
                        block_offset + prefix,
                        block_offset + size
                    ),
                )
            })
    }

    /// Bytes before the object data in a direct block.
    fn direct_prefix(&self, ctx: &Ctx) -> usize {
        let checksum = if self.flags & 2 != 0 { 4 } else { 0 };
        5 + usize::from(ctx.sizes.offsets) + self.offset_size + checksum
    }

    /// The verified bytes of the direct block at `address`.
    fn direct_block(
        &self,
        ctx: &Ctx,
        address: u64,
        block_offset: u64,
        size: u64,
    ) -> Result<Arc<[u8]>> {
        let key = (address, block_offset);
        if let Some(hit) = self
            .cache
            .lock()
            .ok()
            .and_then(|c| c.direct.get(&key).cloned())
        {
            if hit.len() as u64 == size {
                return Ok(hit);
            }
        }
        let bytes = ctx.read(address, size)?;
        let mut c = ctx.cursor(&bytes, address, DIRECT);
        c.signature(b"FHDB")?;
        let version = c.u8()?;
        if version != 0 {
            return Err(c.corrupt(format!("unknown direct block version {version}")));
        }
        let heap = c.offset()?;
        if heap != self.address {
            return Err(c.corrupt(format!(
                "belongs to heap {heap}, not to heap {}",
                self.address
            )));
        }
        let stored_offset = c.uint(self.offset_size)?;
        if stored_offset != block_offset {
            return Err(c.corrupt(format!(
                "block offset {stored_offset}, expected {block_offset}"
            )));
        }
        let block: Arc<[u8]> = if self.flags & 2 != 0 {
            let at = c.pos();
            let stored = c.u32()?;
            let mut copy = bytes.into_owned();
            if let Some(field) = copy.get_mut(at..at + 4) {
                field.fill(0);
            }
            let computed = lookup3(&copy, 0);
            if stored != computed {
                return Err(Error::Checksum {
                    structure: DIRECT,
                    offset: ctx.base.saturating_add(address),
                    stored,
                    computed,
                });
            }
            copy.into()
        } else {
            Arc::from(&*bytes)
        };
        if let Ok(mut cache) = self.cache.lock() {
            cache.make_room(block.len());
            cache.direct.insert(key, block.clone());
        }
        Ok(block)
    }
}
