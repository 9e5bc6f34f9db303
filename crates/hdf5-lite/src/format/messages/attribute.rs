//! Attribute message, type 0x000C (spec IV.A.2.m), versions 1 to 3.

use crate::error::Result;
use crate::format::messages::{CharSet, Dataspace, Datatype};
use crate::format::Cursor;

/// An attribute as stored: name, type, shape and raw value bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttributeMessage {
    /// The attribute's name.
    pub name: String,
    /// Character set of the name.
    pub name_charset: CharSet,
    /// Element type.
    pub datatype: Datatype,
    /// Shape.
    pub dataspace: Dataspace,
    /// Raw element bytes, C order (variable-length values are global heap references).
    pub data: Vec<u8>,
}

impl AttributeMessage {
    /// Decodes the message body.
    pub fn decode(c: &mut Cursor<'_>) -> Result<Self> {
        Err(c.corrupt("attribute decoding not implemented"))
    }
}
