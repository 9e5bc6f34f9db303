//! Helpers for the unit tests of the B-tree and chunk index modules: hand-built file
//! images (spec structures assembled field by field).

use std::sync::Arc;

use crate::format::checksum::lookup3;
use crate::format::{Ctx, Sizes};
use crate::storage::{MemStorage, Source};

/// A file image being assembled structure by structure.
#[derive(Debug, Default)]
pub(crate) struct Image(pub(crate) Vec<u8>);

impl Image {
    /// Writes `bytes` at `addr`, growing the image as needed.
    pub(crate) fn put(&mut self, addr: u64, bytes: &[u8]) -> &mut Self {
        let at = addr as usize;
        if self.0.len() < at + bytes.len() {
            self.0.resize(at + bytes.len(), 0);
        }
        self.0[at..at + bytes.len()].copy_from_slice(bytes);
        self
    }

    /// A decoding context over the image (base 0, 8-byte offsets and lengths).
    pub(crate) fn ctx(&self) -> Ctx {
        Ctx {
            source: Source::new(Arc::new(MemStorage::new(self.0.clone()))),
            base: 0,
            sizes: Sizes::default(),
        }
    }
}

/// Builds little-endian structures field by field.
#[derive(Debug, Default, Clone)]
pub(crate) struct Bytes(pub(crate) Vec<u8>);

impl Bytes {
    pub(crate) fn new() -> Self {
        Bytes(Vec::new())
    }
    pub(crate) fn raw(mut self, b: &[u8]) -> Self {
        self.0.extend_from_slice(b);
        self
    }
    pub(crate) fn u8(self, v: u8) -> Self {
        self.raw(&[v])
    }
    pub(crate) fn u16(self, v: u16) -> Self {
        self.raw(&v.to_le_bytes())
    }
    pub(crate) fn u32(self, v: u32) -> Self {
        self.raw(&v.to_le_bytes())
    }
    pub(crate) fn u64(self, v: u64) -> Self {
        self.raw(&v.to_le_bytes())
    }
    /// The low `n` bytes of `v`.
    pub(crate) fn uint(self, v: u64, n: usize) -> Self {
        self.raw(&v.to_le_bytes()[..n])
    }
    /// Appends the lookup3 checksum of everything so far.
    pub(crate) fn checksum(self) -> Self {
        let sum = lookup3(&self.0, 0);
        self.u32(sum)
    }
}
