//! One chunk-aligned window iterator over an axis: the way loom-core walks a layer
//! without holding it whole (dense window reads, sparse layer writes, `sparse()`, and the
//! operations that scan a file).
//!
//! A window is a range of consecutive positions in a list of indices along the axis (or
//! in `0..len`). Windows are cut only where the chunk the index falls in changes, so no
//! chunk is decoded for two windows when the indices increase, and each window holds
//! about `budget` elements of the layer: `budget / cross` indices (at least one chunk),
//! `cross` being the length of the other axis (or of the selection on it).

use std::ops::Range;

use ndarray::Array2;

use hdf5_lite::read::Numeric;

use crate::axis::Axis;
use crate::error::Result;
use crate::layers::Layers;
use crate::matrix_io::read_selection;
use crate::selection::Selection;

/// Elements per window unless told otherwise (4 Mi: 32 MiB of `f64`).
pub const DEFAULT_BUDGET: u64 = 1 << 22;

/// Windows of positions along one axis; see the [module docs](self).
///
/// ```
/// use loom_core::AxisWindows;
///
/// // 10 columns in chunks of 3, 2 rows, a budget of 13 elements: 6 columns a window.
/// let w: Vec<_> = AxisWindows::all(10, 3, 2, 13).collect();
/// assert_eq!(w, [0..6, 6..10]);
/// // Selected indices: cut only where the chunk changes.
/// let w: Vec<_> = AxisWindows::over(&[0, 1, 2, 3, 9], 3, 1, 2).collect();
/// assert_eq!(w, [0..3, 3..5]);
/// ```
#[derive(Debug, Clone)]
pub struct AxisWindows<'a> {
    indices: Option<&'a [u64]>,
    len: usize,
    chunk: u64,
    target: usize,
    pos: usize,
}

impl<'a> AxisWindows<'a> {
    /// Windows over every index `0..len` of an axis stored in chunks of `chunk`, with
    /// `cross` elements per index and about `budget` elements per window.
    pub fn all(len: u64, chunk: u64, cross: u64, budget: u64) -> AxisWindows<'static> {
        AxisWindows {
            indices: None,
            len: usize::try_from(len).unwrap_or(usize::MAX),
            chunk: chunk.max(1),
            target: target(chunk, cross, budget),
            pos: 0,
        }
    }

    /// Windows over positions of `indices` (in the order given).
    pub fn over(indices: &'a [u64], chunk: u64, cross: u64, budget: u64) -> Self {
        AxisWindows {
            indices: Some(indices),
            len: indices.len(),
            chunk: chunk.max(1),
            target: target(chunk, cross, budget),
            pos: 0,
        }
    }

    fn index(&self, k: usize) -> u64 {
        match self.indices {
            Some(v) => v.get(k).copied().unwrap_or(u64::MAX),
            None => k as u64,
        }
    }
}

/// Indices per window: `budget / cross` rounded down to whole chunks, at least one chunk.
fn target(chunk: u64, cross: u64, budget: u64) -> usize {
    let chunk = chunk.max(1);
    let per = (budget / cross.max(1) / chunk).max(1).saturating_mul(chunk);
    usize::try_from(per).unwrap_or(usize::MAX)
}

impl Iterator for AxisWindows<'_> {
    type Item = Range<usize>;

    fn next(&mut self) -> Option<Range<usize>> {
        let start = self.pos;
        if start >= self.len {
            return None;
        }
        if self.indices.is_none() {
            // Every index: windows are whole chunks, so a plain stride.
            let end = start.saturating_add(self.target).min(self.len);
            self.pos = end;
            return Some(start..end);
        }
        let mut k = start + 1;
        while k < self.len {
            let full = k - start >= self.target;
            if full && self.index(k) / self.chunk != self.index(k - 1) / self.chunk {
                break;
            }
            k += 1;
        }
        self.pos = k;
        Some(start..k)
    }
}

impl Layers<'_> {
    /// The chunk length of a layer along `axis` (64, loompy's, for a contiguous layer).
    pub fn chunk_len(&self, name: &str, axis: Axis) -> Result<u64> {
        let d = self.dataset(name)?;
        Ok(d.chunks()
            .and_then(|c| c.get(axis.index()).copied())
            .unwrap_or(64)
            .max(1))
    }

    /// Chunk-aligned windows over every row or column of a layer, about `budget`
    /// elements each.
    pub fn windows(&self, name: &str, axis: Axis, budget: u64) -> Result<AxisWindows<'static>> {
        let (n, m) = self.shape(name)?;
        let chunk = self.chunk_len(name, axis)?;
        Ok(AxisWindows::all(
            axis.of((n, m)),
            chunk,
            axis.other().of((n, m)),
            budget,
        ))
    }

    /// A layer read window by window along `axis` (rows or columns `range`, all of the
    /// other axis), converted to `T`: the dense read for scanning a file.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// use loom_core::{Axis, DEFAULT_BUDGET};
    /// let mut ds = loom_core::new_in(Arc::new(hdf5_lite::write::MemFile::new()))?;
    /// ds.set_layer("", ndarray::Array2::<f32>::ones((3, 200)).view())?;
    /// let mut total = 0.0;
    /// for window in ds.layers().read_windows::<f64>("", Axis::Cols, DEFAULT_BUDGET)? {
    ///     let (cols, block) = window?;
    ///     assert_eq!(block.ncols(), cols.len());
    ///     total += block.sum();
    /// }
    /// assert_eq!(total, 600.0);
    /// # Ok::<(), loom_core::LoomError>(())
    /// ```
    pub fn read_windows<T: Numeric>(
        &self,
        name: &str,
        axis: Axis,
        budget: u64,
    ) -> Result<impl Iterator<Item = Result<(Range<usize>, Array2<T>)>> + '_> {
        let d = self.dataset(name)?;
        let all = Selection::All.resolve(axis.other().of(self.shape(name)?))?;
        let windows = self.windows(name, axis, budget)?;
        Ok(windows.map(move |w| {
            let here: Vec<u64> = (w.start as u64..w.end as u64).collect();
            let block = match axis {
                Axis::Rows => read_selection::<T>(&d, &here, &all)?,
                Axis::Cols => read_selection::<T>(&d, &all, &here)?,
            };
            Ok((w, block))
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_cover_the_axis_in_chunk_multiples() {
        let w: Vec<_> = AxisWindows::all(130, 64, 10, 1000).collect();
        assert_eq!(w, [0..64, 64..128, 128..130]);
        let w: Vec<_> = AxisWindows::all(130, 64, 1, 1 << 20).collect();
        assert_eq!(w, vec![Range { start: 0, end: 130 }]);
        assert_eq!(AxisWindows::all(0, 64, 1, 10).count(), 0);
        // A list with repeats and a jump back: cut only at a chunk change.
        let w: Vec<_> = AxisWindows::over(&[5, 5, 6, 1, 70, 71], 64, 1, 2).collect();
        assert_eq!(w, vec![Range { start: 0, end: 6 }]);
        let w: Vec<_> = AxisWindows::over(&[5, 5, 6, 1, 70, 71], 2, 1, 2).collect();
        assert_eq!(w, [0..2, 2..4, 4..6]);
        let w: Vec<_> = AxisWindows::over(&[], 64, 1, 2).collect();
        assert!(w.is_empty());
    }
}
