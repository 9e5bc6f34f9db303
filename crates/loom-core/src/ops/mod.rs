//! The operations on whole files (loompy-api.md §2.4–2.6, §3.6–3.13): one file each.
//!
//! - [`scan`](LoomConnection::scan), [`batch_scan`](LoomConnection::batch_scan) and
//!   [`batch_scan_layers`](LoomConnection::batch_scan_layers): windows along an axis;
//! - [`map`](LoomConnection::map): functions over rows or columns, built on scan;
//! - [`permute`](LoomConnection::permute): reorder an axis in place;
//! - [`add_columns`](LoomConnection::add_columns): append columns;
//! - [`aggregate`](LoomConnection::aggregate): group columns and reduce them;
//! - [`export`](LoomConnection::export): loompy's tab-separated text.
//!
//! Each one streams: memory is bounded by one window (a batch of rows or columns across
//! the other axis), whatever the size of the file.

mod export;
mod map;
mod scan;

pub use map::MapFn;
pub use scan::{BatchScanItem, BatchScanLayersItem, Items, Part, Scan, ScanBatch, ScanOptions};

use std::cmp::Ordering;

use crate::error::{LoomError, Result};
use crate::values::AttrValues;

/// numpy's `argsort` of a 1-D attribute: numbers ascending with NaN last, strings by
/// code point. Ties keep their stored order (numpy's default sort leaves the order of
/// ties to the CPU's SIMD sort, so loompy's differs between machines).
pub(crate) fn argsort(v: &AttrValues, name: &str) -> Result<Vec<usize>> {
    if v.ndim() != 1 {
        return Err(LoomError::InvalidInput(format!(
            "attribute '{name}' has shape {:?}; a key must be one-dimensional",
            v.shape()
        )));
    }
    let mut idx: Vec<usize> = (0..v.len()).collect();
    if let Some(s) = v.as_strings() {
        let s: Vec<&String> = s.iter().collect();
        idx.sort_by(|&a, &b| s[a].cmp(s[b]));
    } else if let Some(f) = v.to_f64() {
        let f: Vec<f64> = f.iter().copied().collect();
        idx.sort_by(|&a, &b| cmp_nan_last(f[a], f[b]));
    } else {
        return Err(LoomError::InvalidInput(format!(
            "attribute '{name}' cannot be sorted"
        )));
    }
    Ok(idx)
}

/// numpy's sort order for floats: NaN after everything else.
pub(crate) fn cmp_nan_last(a: f64, b: f64) -> Ordering {
    match (a.is_nan(), b.is_nan()) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Greater,
        (false, true) => Ordering::Less,
        _ => a.partial_cmp(&b).unwrap_or(Ordering::Equal),
    }
}
