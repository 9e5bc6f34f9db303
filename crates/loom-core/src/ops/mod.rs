//! The operations on whole files (loompy-api.md §2.4–2.6, §3.6–3.13): one file each.
//!
//! - [`scan`](crate::LoomConnection::scan), [`batch_scan`](crate::LoomConnection::batch_scan) and
//!   [`batch_scan_layers`](crate::LoomConnection::batch_scan_layers): windows along an axis;
//! - [`map`](crate::LoomConnection::map): functions over rows or columns, built on scan;
//! - [`permute`](crate::LoomConnection::permute): reorder an axis in place;
//! - [`add_columns`](crate::LoomConnection::add_columns): append columns;
//! - [`aggregate`](crate::LoomConnection::aggregate): group columns and reduce them;
//! - [`export`](crate::LoomConnection::export): loompy's tab-separated text.
//!
//! Each one streams: memory is bounded by one window (a batch of rows or columns across
//! the other axis), whatever the size of the file.

mod add_columns;
mod add_loom;
mod aggregate;
mod combine;
mod copy_columns;
mod create_append;
mod export;
mod map;
mod permute;
mod scan;

pub use add_columns::FillValues;
pub use add_loom::AddLoomOptions;
pub use aggregate::{AggregateOptions, Aggregated, Aggregation, CaAggregation, GroupBy, Reduce};
pub use combine::{combine, combine_faster, CombineFasterOptions, CombineOptions, CombineStats};
pub use create_append::create_append;
pub use map::{MapFn, MapFnAs};
pub use scan::{
    BatchScanItem, BatchScanLayersItem, Items, Part, Scan, ScanBatch, ScanBatchAs, ScanOptions,
};

use std::cmp::Ordering;

use crate::error::{LoomError, Result};
use crate::values::AttrValues;

/// numpy's `argsort` of a 1-D attribute: numbers ascending with NaN last, strings by
/// code point. Ties keep their stored order (numpy's default sort leaves the order of
/// ties to the CPU's SIMD sort, so loompy's differs between machines).
pub fn argsort(v: &AttrValues, name: &str) -> Result<Vec<usize>> {
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

/// `ordering` (the source row of each row), or `None` when it keeps every row where it is:
/// rows in order, which merges copy as stored chunks or read in bands of rows.
pub(crate) fn unless_in_order(ordering: Vec<usize>) -> Option<Vec<usize>> {
    let moved = ordering.iter().enumerate().any(|(i, &o)| i != o);
    moved.then_some(ordering)
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

/// Runs `$body` with `$T` the Rust type of the numpy dtype name `$dtype` (a layer's
/// stored type), so a layer is copied in its own type, never through `f64`.
macro_rules! with_numeric {
    ($dtype:expr, $T:ident => $body:expr) => {
        match $dtype {
            "float32" => {
                type $T = f32;
                $body
            }
            "float64" => {
                type $T = f64;
                $body
            }
            "int8" => {
                type $T = i8;
                $body
            }
            "int16" => {
                type $T = i16;
                $body
            }
            "int32" => {
                type $T = i32;
                $body
            }
            "int64" => {
                type $T = i64;
                $body
            }
            "uint8" => {
                type $T = u8;
                $body
            }
            "uint16" => {
                type $T = u16;
                $body
            }
            "uint32" => {
                type $T = u32;
                $body
            }
            "uint64" => {
                type $T = u64;
                $body
            }
            other => Err(crate::error::LoomError::InvalidInput(format!(
                "layers of type {other} cannot be rewritten yet"
            ))),
        }
    };
}
pub(crate) use with_numeric;

/// Whether layers of this numpy dtype can be rewritten ([`with_numeric`] knows it).
pub(crate) fn check_rewritable(dtype: &str) -> Result<()> {
    with_numeric!(dtype, T => Ok(std::mem::size_of::<T>()).map(|_| ()))
}

/// An attribute ready to be written inside a writer edit: its path, shape and encoded
/// values (encoding can fail, so it happens before the edit starts).
pub(crate) struct StagedAttr {
    path: String,
    shape: Vec<u64>,
    encoded: crate::values::Encoded,
    legacy: bool,
}

impl StagedAttr {
    /// `values` as the attribute `name` of `axis` in `ds` (replacing one that exists).
    pub(crate) fn new(
        ds: &crate::LoomConnection,
        axis: crate::Axis,
        name: &str,
        values: &AttrValues,
    ) -> Result<Self> {
        if name.contains('/') {
            return Err(LoomError::InvalidInput(
                "Attribute name cannot contain slash (/)".into(),
            ));
        }
        let legacy = crate::layout::is_legacy(&ds.spec_version());
        Ok(StagedAttr {
            path: crate::layout::attr_path(axis, name),
            shape: values.shape().iter().map(|&d| d as u64).collect(),
            encoded: crate::values::encode(values, legacy)?,
            legacy,
        })
    }

    /// Writes it and stamps it with `last_modified`.
    pub(crate) fn write(
        &self,
        w: &mut hdf5_lite::write::Writer,
        stamp: &hdf5_lite::write::AttrValue,
    ) -> hdf5_lite::Result<()> {
        crate::attrs::write_attr_dataset(w, &self.path, &self.shape, &self.encoded, self.legacy)?;
        w.set_attribute(&self.path, crate::layout::LAST_MODIFIED, stamp)
    }
}
