//! Link message, type 0x0006 (spec IV.A.2.g).

use crate::error::Result;
use crate::format::Cursor;

/// What a link points at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkTarget {
    /// An object header address.
    Hard(u64),
    /// A path in the same file.
    Soft(String),
    /// A path in another file.
    External {
        /// The other file.
        file: String,
        /// The path in it.
        path: String,
    },
    /// A user-defined link type (64 to 255).
    Other(u8),
}

/// A named link from a group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    /// The link name.
    pub name: String,
    /// Its target.
    pub target: LinkTarget,
    /// Creation order, when tracked.
    pub creation_order: Option<u64>,
}

impl Link {
    /// Decodes the message body.
    pub fn decode(c: &mut Cursor<'_>) -> Result<Self> {
        Err(c.corrupt("link decoding not implemented"))
    }
}
