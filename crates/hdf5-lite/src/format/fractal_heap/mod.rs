//! Fractal heaps "FRHP", "FHDB", "FHIB" (spec III.G): dense links and attributes.
//!
//! The header ([`FractalHeap::read`]) describes a doubling table: rows of `width`
//! blocks, rows 0 and 1 of the starting block size, each later row twice the size of the
//! one before. Blocks up to the maximum direct block size are direct blocks (they hold
//! object bytes); larger ones are indirect blocks (tables of child blocks). The root is a
//! direct block when the header's current row count is 0, an indirect block otherwise.
//!
//! Heap IDs name objects three ways (byte 0, bits 4-5): managed objects live at an
//! offset in the heap's linear address space (see `managed.rs`), tiny objects are stored
//! inside the ID itself, and huge objects are stored on their own and found either
//! directly from the ID or through a v2 B-tree.
//!
//! The writer encodes only heaps of huge objects (see `huge.rs`).

mod huge;
mod managed;
#[cfg(test)]
mod tests;

use std::sync::Mutex;

use crate::error::{Error, Result};
use crate::format::checksum;
use crate::format::{Ctx, UNDEF};

pub use huge::{HugeObjects, HEADER_LEN, ID_LEN};
use managed::BlockCache;

/// Structure names used in errors.
const HEADER: &str = "fractal heap header";
const HEAP_ID: &str = "fractal heap ID";

/// A fractal heap's header, ready to look up heap ids.
#[derive(Debug)]
pub struct FractalHeap {
    /// Address of the header.
    pub address: u64,
    /// Bytes in each heap ID.
    id_len: u16,
    /// Bytes of the encoded I/O filter pipeline (0: no filters).
    filter_len: u16,
    /// Header flags (bit 1: direct blocks are checksummed).
    flags: u8,
    /// Objects above this size are huge.
    max_managed: u32,
    /// Bytes of the header, checksum included.
    header_len: u64,
    /// The free-space manager of the managed blocks, UNDEF when there is none.
    free_space_manager: u64,
    /// v2 B-tree indexing huge objects.
    huge_btree: u64,
    /// Blocks per row of the doubling table.
    width: u64,
    /// Size of the blocks in rows 0 and 1.
    start_block: u64,
    /// log2 of the size of the managed address space.
    max_heap_bits: u16,
    /// The root block.
    root: u64,
    /// Rows in the root indirect block (0: the root is a direct block).
    root_rows: u16,
    /// Rows of direct blocks in an indirect block.
    max_direct_rows: u32,
    /// Bytes of a managed ID's offset field and of every block offset field.
    offset_size: usize,
    /// Bytes of a managed ID's length field.
    length_size: usize,
    /// Blocks already read and verified.
    cache: Mutex<BlockCache>,
}

impl Clone for FractalHeap {
    fn clone(&self) -> Self {
        FractalHeap {
            cache: Mutex::default(),
            ..*self
        }
    }
}

/// `floor(log2(v))` for `v > 0`.
fn log2_floor(v: u64) -> u32 {
    63 - v.max(1).leading_zeros()
}

impl FractalHeap {
    /// Reads the header at `address`.
    pub fn read(ctx: &Ctx, address: u64) -> Result<Self> {
        let o = u64::from(ctx.sizes.offsets);
        let l = u64::from(ctx.sizes.lengths);
        let fixed = 22 + 12 * l + 3 * o;
        let head = ctx.read(address, fixed)?;
        let mut c = ctx.cursor(&head, address, HEADER);
        c.signature(b"FRHP")?;
        let version = c.u8()?;
        if version != 0 {
            return Err(c.corrupt(format!("unknown fractal heap version {version}")));
        }
        let id_len = c.u16()?;
        let filter_len = c.u16()?;
        let flags = c.u8()?;
        let max_managed = c.u32()?;
        let _next_huge_id = c.length()?;
        let huge_btree = c.offset()?;
        let _free_space = c.length()?;
        let free_space_manager = c.offset()?;
        let _managed_space = c.length()?;
        let _allocated_space = c.length()?;
        let _iterator_offset = c.length()?;
        let _managed_count = c.length()?;
        let _huge_size = c.length()?;
        let _huge_count = c.length()?;
        let _tiny_size = c.length()?;
        let _tiny_count = c.length()?;
        let width = u64::from(c.u16()?);
        let start_block = c.length()?;
        let max_direct = c.length()?;
        let max_heap_bits = c.u16()?;
        let _start_rows = c.u16()?;
        let root = c.offset()?;
        let root_rows = c.u16()?;

        let total = fixed
            + if filter_len > 0 {
                l + 4 + u64::from(filter_len)
            } else {
                0
            }
            + 4;
        let all = ctx.read(address, total)?;
        checksum::verify(&all, all.len().saturating_sub(4), HEADER, c.base())?;

        if !width.is_power_of_two() {
            return Err(c.corrupt(format!("table width {width} is not a power of two")));
        }
        if !start_block.is_power_of_two() || !max_direct.is_power_of_two() {
            return Err(c.corrupt(format!(
                "block sizes {start_block} and {max_direct} are not powers of two"
            )));
        }
        if max_direct < start_block {
            return Err(c.corrupt("maximum direct block size below the starting block size"));
        }
        if max_heap_bits == 0 || max_heap_bits > 64 {
            return Err(c.corrupt(format!("maximum heap size of {max_heap_bits} bits")));
        }
        if id_len == 0 {
            return Err(c.corrupt("heap IDs of 0 bytes"));
        }
        let first_row_bits = log2_floor(start_block) + log2_floor(width);
        let max_root_rows = (u32::from(max_heap_bits) + 1).saturating_sub(first_row_bits);
        if u32::from(root_rows) > max_root_rows {
            return Err(c.corrupt(format!(
                "root indirect block of {root_rows} rows, at most {max_root_rows} fit"
            )));
        }
        let max_direct_rows = log2_floor(max_direct) - log2_floor(start_block) + 2;
        let offset_size = usize::from(max_heap_bits).div_ceil(8);
        let direct_len_size = (log2_floor(max_direct) as usize).div_ceil(8);
        let managed_len_size = log2_floor(u64::from(max_managed)) as usize / 8 + 1;
        Ok(FractalHeap {
            address,
            id_len,
            filter_len,
            flags,
            max_managed,
            header_len: total,
            free_space_manager,
            huge_btree,
            width,
            start_block,
            max_heap_bits,
            root,
            root_rows,
            max_direct_rows,
            offset_size,
            length_size: direct_len_size.min(managed_len_size),
            cache: Mutex::default(),
        })
    }

    /// The extents the heap occupies (header, root direct block, huge objects and their
    /// B-tree), or `None` when it has structures this does not list: indirect blocks, a
    /// free-space manager (libhdf5 adds one with the first managed object), filters,
    /// huge objects found from their IDs alone.
    pub fn extents(&self, ctx: &Ctx) -> Result<Option<Vec<(u64, u64)>>> {
        if self.root_rows > 0 || self.free_space_manager != UNDEF {
            return Ok(None);
        }
        let Some(huge) = self.huge_extents(ctx)? else {
            return Ok(None);
        };
        let mut out = vec![(self.address, self.header_len)];
        if self.root != UNDEF {
            out.push((self.root, self.start_block));
        }
        out.extend(huge);
        Ok(Some(out))
    }

    /// Bytes in each of this heap's IDs.
    pub fn id_len(&self) -> usize {
        usize::from(self.id_len)
    }

    /// Objects larger than this are stored as huge objects.
    pub fn max_managed_size(&self) -> u32 {
        self.max_managed
    }

    /// The object that `heap_id` names (managed and tiny objects; huge objects are an
    /// unsupported-feature error unless implemented).
    pub fn object(&self, ctx: &Ctx, heap_id: &[u8]) -> Result<Vec<u8>> {
        let id_err = |reason: String| Error::corrupt(HEAP_ID, self.address, reason);
        let first = *heap_id
            .first()
            .ok_or_else(|| id_err("empty heap ID".into()))?;
        if first >> 6 != 0 {
            return Err(id_err(format!("unknown heap ID version {}", first >> 6)));
        }
        match (first >> 4) & 3 {
            0 => {
                let mut c = ctx.cursor(heap_id, self.address, HEAP_ID);
                c.skip(1)?;
                let offset = c.uint(self.offset_size)?;
                let len = c.uint(self.length_size)?;
                self.managed(ctx, offset, len)
            }
            1 => self.huge(ctx, heap_id),
            2 => self.tiny(heap_id),
            t => Err(id_err(format!("unknown heap ID type {t}"))),
        }
    }

    /// A tiny object: its bytes are in the ID.
    fn tiny(&self, heap_id: &[u8]) -> Result<Vec<u8>> {
        let low = usize::from(heap_id.first().copied().unwrap_or(0) & 0x0f);
        let (start, len) = if self.id_len > 18 {
            let ext = heap_id.get(1).copied().ok_or_else(|| {
                Error::corrupt(
                    HEAP_ID,
                    self.address,
                    "extended tiny ID without length byte",
                )
            })?;
            (2, ((low << 8) | usize::from(ext)) + 1)
        } else {
            (1, low + 1)
        };
        heap_id
            .get(start..start + len)
            .map(<[u8]>::to_vec)
            .ok_or_else(|| {
                Error::corrupt(
                    HEAP_ID,
                    self.address,
                    format!("tiny object of {len} bytes in a {}-byte ID", heap_id.len()),
                )
            })
    }
}
