//! Version 1 B-trees "TREE" (spec III.A.1): type 0 (group nodes) and type 1 (raw data
//! chunks).

use crate::error::Result;
use crate::format::Ctx;

/// The SNOD addresses of a group B-tree (type 0), left to right.
pub fn group_symbol_nodes(ctx: &Ctx, address: u64) -> Result<Vec<u64>> {
    let _ = ctx;
    Err(crate::Error::corrupt(
        "v1 B-tree node",
        address,
        "not implemented",
    ))
}
