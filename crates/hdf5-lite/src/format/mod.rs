//! The on-disk structures of the HDF5 File Format Specification 3.0, one module each.
//!
//! Each module decodes (and, where hdf5-lite writes it, encodes) one structure and names
//! its section of the specification. Nothing here knows about paths or user types: that
//! is the job of [`crate::read`].

pub mod btree_v1;
pub mod btree_v2;
pub mod checksum;
pub mod chunk_index;
pub mod cursor;
pub mod filters;
pub mod fractal_heap;
pub mod global_heap;
pub mod local_heap;
pub mod lzf;
pub mod messages;
pub mod object_header;
pub mod superblock;
pub mod symbol_table;

use std::borrow::Cow;
use std::collections::HashSet;

pub use cursor::{Cursor, Sizes};

use crate::error::{Error, Result};
use crate::storage::Source;

/// The largest rank of a dataspace or array type (libhdf5's `H5S_MAX_RANK`).
pub const MAX_RANK: usize = 32;

/// The deepest nesting of datatypes (compound in array in vlen …) decoded or encoded.
pub(crate) const MAX_TYPE_DEPTH: u32 = 32;

/// The undefined address: all bits set (spec, Appendix A).
pub const UNDEF: u64 = u64::MAX;

/// What every decoder needs: the bytes, where addresses are measured from, and the
/// sizes of offsets and lengths.
#[derive(Debug, Clone)]
pub struct Ctx {
    /// The bounds-checked bytes.
    pub source: Source,
    /// File offset that addresses are relative to (the superblock's base address).
    pub base: u64,
    /// Sizes of offsets and lengths.
    pub sizes: Sizes,
}

impl Ctx {
    /// The file offset of address `addr`.
    pub fn file_offset(&self, addr: u64) -> Result<u64> {
        if addr == UNDEF {
            return Err(Error::corrupt(
                "address",
                addr,
                "undefined address dereferenced",
            ));
        }
        self.base.checked_add(addr).ok_or(Error::OutOfBounds {
            offset: addr,
            len: 0,
            file_len: self.source.len(),
        })
    }

    /// The `len` bytes at address `addr`.
    pub fn read(&self, addr: u64, len: u64) -> Result<Cow<'_, [u8]>> {
        self.source.read(self.file_offset(addr)?, len)
    }

    /// Up to `len` bytes at address `addr` (fewer at the end of the file).
    pub fn read_up_to(&self, addr: u64, len: u64) -> Result<Cow<'_, [u8]>> {
        self.source.read_up_to(self.file_offset(addr)?, len)
    }

    /// A cursor over `bytes`, which were read from address `addr`.
    pub fn cursor<'a>(&self, bytes: &'a [u8], addr: u64, structure: &'static str) -> Cursor<'a> {
        Cursor::new(bytes, self.base.saturating_add(addr), structure, self.sizes)
    }
}

/// Hands out file space for new structures (the writer's append-only allocator).
pub trait Allocate {
    /// A fresh, 8-byte-aligned address with `size` bytes of space, never handed out
    /// before and not reachable from the last committed superblock.
    fn allocate(&mut self, size: u64) -> u64;
}

/// Encoded bytes destined for an address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    /// Where the bytes go.
    pub address: u64,
    /// The encoded structure.
    pub bytes: Vec<u8>,
}

/// Guards a walk over linked structures against cycles and runaway sizes.
#[derive(Debug, Default)]
pub struct Visited {
    seen: HashSet<u64>,
}

impl Visited {
    /// Records `addr`; an error if it was already visited.
    pub fn visit(&mut self, structure: &'static str, addr: u64) -> Result<()> {
        if self.seen.insert(addr) {
            Ok(())
        } else {
            Err(Error::Cycle {
                structure,
                offset: addr,
            })
        }
    }
}
