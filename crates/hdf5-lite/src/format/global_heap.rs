//! Global heap collections "GCOL" (spec III.E): where variable-length data lives.

use std::collections::HashMap;

use crate::error::Result;
use crate::format::Ctx;

/// Global heap collections read so far, so each is parsed once per read.
#[derive(Debug, Default)]
pub struct GlobalHeap {
    collections: HashMap<u64, HashMap<u16, Vec<u8>>>,
}

impl GlobalHeap {
    /// An empty cache.
    pub fn new() -> Self {
        Self::default()
    }

    /// The object with `index` in the collection at `collection`.
    pub fn object(&mut self, ctx: &Ctx, collection: u64, index: u32) -> Result<&[u8]> {
        let _ = (ctx, index, &self.collections);
        Err(crate::Error::corrupt(
            "global heap collection",
            collection,
            "not implemented",
        ))
    }
}
