//! Dataspace message, type 0x0001 (spec IV.A.2.b), versions 1 and 2.

use crate::error::Result;
use crate::format::Cursor;

/// The shape class of a dataspace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataspaceKind {
    /// One element, no dimensions.
    Scalar,
    /// An N-dimensional array (N may be 0 in version 1 files, meaning scalar).
    Simple,
    /// No elements at all.
    Null,
}

/// The shape of a dataset or attribute.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dataspace {
    /// Scalar, simple or null.
    pub kind: DataspaceKind,
    /// Current size of each dimension (empty for scalar and null).
    pub dims: Vec<u64>,
    /// Maximum size of each dimension, `u64::MAX` meaning unlimited; `None` when the
    /// message stores no maximum (the maximum is then the current size).
    pub maxdims: Option<Vec<u64>>,
}

impl Dataspace {
    /// Decodes the message body.
    pub fn decode(c: &mut Cursor<'_>) -> Result<Self> {
        Err(c.corrupt("dataspace decoding not implemented"))
    }

    /// Number of elements (1 for scalar, 0 for null), or an error if it overflows.
    pub fn num_elements(&self) -> Result<u64> {
        Ok(0)
    }
}
