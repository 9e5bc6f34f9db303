//! B-tree 'K' Values message, type 0x0013 (spec IV.A.2.t), in the superblock extension.

use crate::error::Result;
use crate::format::Cursor;

/// Non-default B-tree K values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BTreeK {
    /// K of chunk index v1 B-trees.
    pub indexed_storage_k: u16,
    /// K of group internal nodes.
    pub group_internal_k: u16,
    /// K of group leaf nodes.
    pub group_leaf_k: u16,
}

impl BTreeK {
    /// Decodes the message body.
    pub fn decode(c: &mut Cursor<'_>) -> Result<Self> {
        Err(c.corrupt("B-tree K decoding not implemented"))
    }
}
