//! Attribute Info message, type 0x0015 (spec IV.A.2.v).

use crate::error::Result;
use crate::format::Cursor;

/// Where an object's dense attributes live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttributeInfo {
    /// Maximum creation index, when creation order is tracked.
    pub max_creation_index: Option<u16>,
    /// Fractal heap holding the attribute messages, UNDEF when attributes are compact.
    pub fractal_heap: u64,
    /// v2 B-tree (type 8) indexing attribute names.
    pub name_index: u64,
    /// v2 B-tree (type 9) indexing creation order, when indexed.
    pub creation_order_index: Option<u64>,
}

impl AttributeInfo {
    /// Decodes the message body.
    pub fn decode(c: &mut Cursor<'_>) -> Result<Self> {
        Err(c.corrupt("attribute info decoding not implemented"))
    }
}
