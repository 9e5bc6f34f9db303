//! Filter Pipeline message, type 0x000B (spec IV.A.2.l), versions 1 and 2.

use crate::error::Result;
use crate::format::Cursor;

/// One filter of a pipeline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filter {
    /// Registered filter id: 1 deflate, 2 shuffle, 3 fletcher32, 4 szip, 32000 LZF, ….
    pub id: u16,
    /// The name stored in the message, if any.
    pub name: Option<String>,
    /// Flags; bit 0 set means the filter is optional.
    pub flags: u16,
    /// Client data values (e.g. the deflate level).
    pub client_data: Vec<u32>,
}

impl Filter {
    /// Whether a chunk may skip this filter (flags bit 0).
    pub fn is_optional(&self) -> bool {
        self.flags & 1 != 0
    }
}

/// The filters applied to each chunk, in the order they were applied when writing.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FilterPipeline {
    /// The filters, first applied first.
    pub filters: Vec<Filter>,
}

impl FilterPipeline {
    /// Decodes the message body.
    pub fn decode(c: &mut Cursor<'_>) -> Result<Self> {
        Err(c.corrupt("filter pipeline decoding not implemented"))
    }
}
