//! Object Header Continuation message, type 0x0010 (spec IV.A.2.q).

use crate::error::Result;
use crate::format::Cursor;

/// Where an object header goes on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Continuation {
    /// Address of the continuation block.
    pub address: u64,
    /// Its length in bytes.
    pub length: u64,
}

impl Continuation {
    /// Decodes the message body.
    pub fn decode(c: &mut Cursor<'_>) -> Result<Self> {
        Err(c.corrupt("continuation decoding not implemented"))
    }
}
