//! Fill Value messages: old (type 0x0004, spec IV.A.2.e) and new (type 0x0005, spec
//! IV.A.2.f, versions 1 to 3).

use crate::error::Result;
use crate::format::Cursor;

/// The value unwritten elements read as.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FillValue {
    /// Space allocation time (1 early, 2 late, 3 incremental; 0 when not stored).
    pub alloc_time: u8,
    /// Fill value write time (0 on allocation, 1 never, 2 if set).
    pub fill_time: u8,
    /// The fill value's bytes in the dataset's datatype, when the file defines one.
    /// `None` means the library default (all zero bytes).
    pub value: Option<Vec<u8>>,
}

impl FillValue {
    /// Decodes a Fill Value message (type 0x0005).
    pub fn decode(c: &mut Cursor<'_>) -> Result<Self> {
        Err(c.corrupt("fill value decoding not implemented"))
    }

    /// Decodes an old Fill Value message (type 0x0004).
    pub fn decode_old(c: &mut Cursor<'_>) -> Result<Self> {
        Err(c.corrupt("old fill value decoding not implemented"))
    }
}
