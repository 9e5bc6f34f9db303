//! Writing a layer window by window: the layer is created at its full shape, then filled
//! with chunk-aligned blocks of columns (or rows), so a matrix never sits dense in memory;
//! peak memory is one window.

use std::ops::AddAssign;

use loom_core::hdf5_lite::read::Numeric;
use loom_core::{LayerOptions, LoomConnection};
use ndarray::{Array2, ArrayView2};

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
    Array2::from_shape_vec((rows, cols), zeroed(rows, cols)?)
        .map_err(|e| IoError::Invalid(e.to_string()))
}

/// The elements of a zeroed (rows, cols) block, in C order.
fn zeroed<T: Numeric>(rows: usize, cols: usize) -> Result<Vec<T>> {
    let n = rows
        .checked_mul(cols)
        .ok_or_else(|| IoError::Invalid(format!("a {rows} x {cols} window is too large")))?;
    let mut v = Vec::new();
    v.try_reserve_exact(n)
        .map_err(|_| IoError::Invalid(format!("cannot allocate a {rows} x {cols} window")))?;
    v.resize(n, T::default());
    Ok(v)
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
    rows: usize,
    cols: usize,
    width: usize,
    start: usize,
    /// The window: rows x width, C order.
    block: Vec<T>,
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
            rows,
            cols,
            width,
            start: 0,
            block: zeroed(rows, width)?,
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
        if row < self.rows {
            self.block[row * self.width + col - self.start] += v;
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
        let at = col - self.start;
        for (&r, &v) in rows.iter().zip(values) {
            if r < self.rows {
                self.block[r * self.width + at] += v;
            }
        }
        self.dirty |= !rows.is_empty();
        Ok(Ok(()))
    }

    /// Writes the current window (if it holds anything) and moves to the next one.
    fn flush(&mut self, ds: &mut LoomConnection) -> Result<()> {
        let w = self.width.min(self.cols.saturating_sub(self.start));
        if self.dirty && w > 0 {
            if w < self.width {
                // The last window is narrower: its columns are packed to the front of
                // the block, which is then written as it lies, without a copy.
                pack_front(&mut self.block, self.rows, self.width, w);
            }
            let view = ArrayView2::from_shape((self.rows, w), &self.block[..self.rows * w])
                .map_err(|e| IoError::Invalid(e.to_string()))?;
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

/// Moves the first `w` columns of the rows x `width` C-order `block` to its front, as a
/// rows x `w` C-order block.
fn pack_front<T: Copy>(block: &mut [T], rows: usize, width: usize, w: usize) {
    for r in 1..rows {
        let from = r * width;
        block.copy_within(from..from + w, r * w);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packs_a_narrow_last_window_to_the_front() {
        let (rows, width, w) = (4, 5, 2);
        let mut block: Vec<u32> = (0..(rows * width) as u32).collect();
        pack_front(&mut block, rows, width, w);
        assert_eq!(&block[..rows * w], &[0, 1, 5, 6, 10, 11, 15, 16]);
        let mut whole: Vec<u32> = (0..6).collect();
        pack_front(&mut whole, 2, 3, 3);
        assert_eq!(whole, vec![0, 1, 2, 3, 4, 5]);
    }
}
