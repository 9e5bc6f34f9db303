//! Symbol Table message, type 0x0011 (spec IV.A.2.r): marks an old-style group.

use crate::error::Result;
use crate::format::Cursor;

/// The two structures of an old-style group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SymbolTableMessage {
    /// The group's v1 B-tree (type 0).
    pub btree: u64,
    /// The group's local heap (link names).
    pub local_heap: u64,
}

impl SymbolTableMessage {
    /// Decodes the message body.
    pub fn decode(c: &mut Cursor<'_>) -> Result<Self> {
        Err(c.corrupt("symbol table message decoding not implemented"))
    }
}
