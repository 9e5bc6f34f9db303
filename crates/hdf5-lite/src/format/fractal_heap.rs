//! Fractal heaps "FRHP", "FHDB", "FHIB" (spec III.G): dense links and attributes.

use crate::error::Result;
use crate::format::Ctx;

/// A fractal heap's header, ready to look up heap ids.
#[derive(Debug, Clone)]
pub struct FractalHeap {
    /// Address of the header.
    pub address: u64,
}

impl FractalHeap {
    /// Reads the header at `address`.
    pub fn read(ctx: &Ctx, address: u64) -> Result<Self> {
        let _ = ctx;
        Err(crate::Error::corrupt(
            "fractal heap header",
            address,
            "not implemented",
        ))
    }

    /// The object that `heap_id` names (managed and tiny objects; huge objects are an
    /// unsupported-feature error unless implemented).
    pub fn object(&self, ctx: &Ctx, heap_id: &[u8]) -> Result<Vec<u8>> {
        let _ = (ctx, heap_id);
        Err(crate::Error::corrupt(
            "fractal heap header",
            self.address,
            "not implemented",
        ))
    }
}
