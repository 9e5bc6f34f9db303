//! Symbol table nodes "SNOD" (spec III.B) and symbol table entries (spec III.C).

use crate::error::Result;
use crate::format::{Ctx, Cursor};

/// A symbol table entry: a link name (as a local heap offset) and its object header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SymbolTableEntry {
    /// Offset of the name in the group's local heap.
    pub name_offset: u64,
    /// Address of the object header.
    pub object_header: u64,
    /// Cache type: 0 none, 1 group (scratch holds B-tree and heap), 2 soft link.
    pub cache_type: u32,
    /// The 16-byte scratch pad.
    pub scratch: [u8; 16],
}

impl SymbolTableEntry {
    /// Decodes one entry.
    pub fn decode(c: &mut Cursor<'_>) -> Result<Self> {
        Err(c.corrupt("symbol table entry decoding not implemented"))
    }
}

/// Reads the SNOD at `address` and returns its used entries.
pub fn read_node(ctx: &Ctx, address: u64) -> Result<Vec<SymbolTableEntry>> {
    let _ = ctx;
    Err(crate::Error::corrupt(
        "symbol table node",
        address,
        "not implemented",
    ))
}
