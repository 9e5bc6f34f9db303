//! Version 2 B-trees "BTHD", "BTIN", "BTLF" (spec III.A.2).

use crate::error::Result;
use crate::format::Ctx;

/// A v2 B-tree header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BTreeV2 {
    /// Address of the header.
    pub address: u64,
    /// Record type (5 link names, 6 link creation order, 8 attribute names, 9 attribute
    /// creation order, 10 unfiltered chunks, 11 filtered chunks, …).
    pub record_type: u8,
    /// Bytes per record.
    pub record_size: u16,
}

impl BTreeV2 {
    /// Reads the header at `address`, verifying its checksum.
    pub fn read(ctx: &Ctx, address: u64) -> Result<Self> {
        let _ = ctx;
        Err(crate::Error::corrupt(
            "v2 B-tree header",
            address,
            "not implemented",
        ))
    }

    /// Every record's raw bytes, in key order.
    pub fn records(&self, ctx: &Ctx) -> Result<Vec<Vec<u8>>> {
        let _ = ctx;
        Err(crate::Error::corrupt(
            "v2 B-tree header",
            self.address,
            "not implemented",
        ))
    }
}
