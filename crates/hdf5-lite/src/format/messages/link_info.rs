//! Link Info message, type 0x0002 (spec IV.A.2.c).

use crate::error::Result;
use crate::format::Cursor;

/// Where a new-style group's links live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkInfo {
    /// Maximum creation index, when creation order is tracked.
    pub max_creation_index: Option<u64>,
    /// Fractal heap holding dense links, UNDEF when links are compact (Link messages).
    pub fractal_heap: u64,
    /// v2 B-tree (type 5) indexing link names.
    pub name_index: u64,
    /// v2 B-tree (type 6) indexing creation order, when indexed.
    pub creation_order_index: Option<u64>,
}

impl LinkInfo {
    /// Decodes the message body.
    pub fn decode(c: &mut Cursor<'_>) -> Result<Self> {
        Err(c.corrupt("link info decoding not implemented"))
    }
}
