//! Writing a layer window by window: the layer is created at its full shape, then filled
//! with chunk-aligned blocks of columns (or rows), so a matrix never sits dense in memory;
//! peak memory is one window.

use std::ops::AddAssign;

use loom_core::hdf5_lite::read::Numeric;
use loom_core::{LayerOptions, LoomConnection};
use ndarray::{s, Array2};

use crate::error::{IoError, Result};

/// Elements of one window (a few million: tens of MB at 8 bytes each).
pub(crate) const WINDOW_ELEMENTS: usize = 1 << 22;

/// loompy's chunk edge.
pub(crate) const CHUNK: usize = 64;

/// Width of a window along an axis of `len` when the other axis has `other` elements: a
/// multiple of the 64-element chunk edge, at least one chunk.
pub(crate) fn window_len(other: usize, len: usize) -> usize {
    let chunks = (WINDOW_ELEMENTS / other.max(1) / CHUNK).max(1);
    (chunks * CHUNK).min(len).max(1)
}

/// A zeroed (rows, cols) block, failing cleanly instead of aborting when it cannot be
/// allocated.
pub(crate) fn zeros<T: Numeric>(rows: usize, cols: usize) -> Result<Array2<T>> {
    let n = rows
        .checked_mul(cols)
        .ok_or_else(|| IoError::Invalid(format!("a {rows} x {cols} window is too large")))?;
    let mut v = Vec::new();
    v.try_reserve_exact(n)
        .map_err(|_| IoError::Invalid(format!("cannot allocate a {rows} x {cols} window")))?;
    v.resize(n, T::default());
    Array2::from_shape_vec((rows, cols), v).map_err(|e| IoError::Invalid(e.to_string()))
}

/// Creates layer `name` of `shape` full of zeros, stored as `dtype` (a numpy name), without
/// writing any data (all-zero chunks stay unallocated).
pub(crate) fn create_layer(
    ds: &mut LoomConnection,
    name: &str,
    shape: (usize, usize),
    dtype: &str,
) -> Result<()> {
    let empty = sprs::CsMat::<f64>::zero(shape).to_csc();
    let opts = LayerOptions {
        dtype: Some(dtype.to_owned()),
        ..LayerOptions::default()
    };
    ds.layers_mut().set_with(name, &empty, &opts)?;
    Ok(())
}

/// Fills one layer with entries that arrive in (mostly) increasing column order, one
/// chunk-aligned column window at a time.
#[derive(Debug)]
pub(crate) struct ColumnWriter<T> {
    name: String,
    cols: usize,
    width: usize,
    start: usize,
    block: Array2<T>,
    dirty: bool,
}

/// An entry arrived for a column whose window was already written.
#[derive(Debug)]
pub(crate) struct OutOfOrder;

impl<T: Numeric + AddAssign> ColumnWriter<T> {
    /// A writer for layer `name` (which must exist with shape (rows, cols)).
    pub(crate) fn new(name: &str, rows: usize, cols: usize) -> Result<Self> {
        let width = window_len(rows, cols);
        Ok(ColumnWriter {
            name: name.to_owned(),
            cols,
            width,
            start: 0,
            block: zeros(rows, width)?,
            dirty: false,
        })
    }

    /// Adds `v` at (row, col) (duplicates add up, as scipy sums them). A column before the
    /// current window gives `Ok(Err(OutOfOrder))`.
    pub(crate) fn add(
        &mut self,
        ds: &mut LoomConnection,
        row: usize,
        col: usize,
        v: T,
    ) -> Result<Result<(), OutOfOrder>> {
        if col < self.start {
            return Ok(Err(OutOfOrder));
        }
        while col >= self.start + self.width {
            self.flush(ds)?;
        }
        if let Some(b) = self.block.get_mut((row, col - self.start)) {
            *b += v;
            self.dirty = true;
        }
        Ok(Ok(()))
    }

    /// Adds the entries `values` at `rows` of column `col` (duplicates add up; rows
    /// outside the layer are ignored, as [`ColumnWriter::add`] does). A column before
    /// the current window gives `Ok(Err(OutOfOrder))`.
    pub(crate) fn add_column(
        &mut self,
        ds: &mut LoomConnection,
        col: usize,
        rows: &[usize],
        values: &[T],
    ) -> Result<Result<(), OutOfOrder>> {
        if col < self.start {
            return Ok(Err(OutOfOrder));
        }
        while col >= self.start + self.width {
            self.flush(ds)?;
        }
        let mut column = self.block.column_mut(col - self.start);
        for (&r, &v) in rows.iter().zip(values) {
            if let Some(b) = column.get_mut(r) {
                *b += v;
            }
        }
        self.dirty |= !rows.is_empty();
        Ok(Ok(()))
    }

    /// Writes the current window (if it holds anything) and moves to the next one.
    fn flush(&mut self, ds: &mut LoomConnection) -> Result<()> {
        let w = self.width.min(self.cols.saturating_sub(self.start));
        if self.dirty && w > 0 {
            let view = self.block.slice(s![.., ..w]);
            ds.layers_mut()
                .write(&self.name, .., self.start..self.start + w, view)?;
            self.block.fill(T::default());
        }
        self.dirty = false;
        self.start += self.width;
        Ok(())
    }

    /// Writes what is left.
    pub(crate) fn finish(mut self, ds: &mut LoomConnection) -> Result<()> {
        while self.start < self.cols {
            self.flush(ds)?;
        }
        Ok(())
    }
}
