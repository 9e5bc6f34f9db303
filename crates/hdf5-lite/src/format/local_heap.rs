//! Local heaps (spec III.D): the names of an old-style group's links.

use crate::error::Result;
use crate::format::Ctx;

/// A local heap's data segment.
#[derive(Debug, Clone)]
pub struct LocalHeap {
    /// Address of the heap header.
    pub address: u64,
    /// The data segment.
    pub data: Vec<u8>,
}

impl LocalHeap {
    /// Reads the heap header at `address` and its data segment (wherever it was relocated).
    pub fn read(ctx: &Ctx, address: u64) -> Result<Self> {
        let _ = ctx;
        Err(crate::Error::corrupt(
            "local heap",
            address,
            "local heap decoding not implemented",
        ))
    }

    /// The NUL-terminated string at `offset` in the data segment.
    pub fn string_at(&self, offset: u64) -> Result<&[u8]> {
        Err(crate::Error::corrupt(
            "local heap",
            self.address,
            format!("no string at {offset}"),
        ))
    }
}
