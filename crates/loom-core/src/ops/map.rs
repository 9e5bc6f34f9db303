//! `map` (loompy-api.md §3.10, §4.2): functions applied to every row or column of the
//! main matrix, streamed in chunk-aligned windows ([`AxisWindows`]) of about
//! `chunksize` rows or columns, each decoded (in parallel, by hdf5-lite) one window ahead
//! into buffers reused for every window (the reader under `scan`, `crate::prefetch`), in
//! `f32` where that is exact. Windows are read by lanes (a window of columns
//! column-major), so each row or column goes to the functions contiguous, in place. Windows are kept small enough to stay in the caches
//! between the reader thread and the functions.

use std::ops::Range;

use hdf5_lite::read::Numeric;
use ndarray::ArrayView1;

use crate::axis::Axis;
use crate::connection::LoomConnection;
use crate::error::{LoomError, Result};
use crate::prefetch::{Plan, Prefetch, Span};
use crate::windows::AxisWindows;

/// At most this many elements per window (4 MiB of `f32`, but at least one chunk): a
/// window the reader thread has just written is still in the caches when the functions
/// read it.
const CACHED_WINDOW: u64 = 1 << 20;

/// A function `map` applies to one row or column (its selected values, as `f64`).
pub type MapFn<'a> = &'a dyn Fn(ArrayView1<f64>) -> f64;

/// A function [`LoomConnection::map_layer_as`] applies to one row or column (its
/// selected values, as `T`).
pub type MapFnAs<'a, T> = &'a dyn Fn(ArrayView1<T>) -> f64;

impl LoomConnection {
    /// loompy's `ds.map(f_list, axis=…, chunksize=…, selection=…)`: for each function,
    /// one value per row (`Axis::Rows`) or column (`Axis::Cols`) of the main matrix.
    /// `selection` is a mask over the other axis: only those values are passed to the
    /// functions. Windows of at most about `chunksize` rows (columns), whole chunks, are
    /// read at a time.
    ///
    /// ```no_run
    /// # use loom_core::{connect, Mode};
    /// use loom_core::Axis;
    /// let ds = connect("cells.loom", Mode::Read)?;
    /// let sum = |v: ndarray::ArrayView1<f64>| v.sum();
    /// let nnz = |v: ndarray::ArrayView1<f64>| v.iter().filter(|&&x| x != 0.0).count() as f64;
    /// let out = ds.map(&[&sum, &nnz], Axis::Cols, 1000, None)?;
    /// let (totals, detected) = (&out[0], &out[1]);
    /// # Ok::<(), loom_core::LoomError>(())
    /// ```
    pub fn map(
        &self,
        functions: &[MapFn<'_>],
        axis: Axis,
        chunksize: usize,
        selection: Option<&[bool]>,
    ) -> Result<Vec<Vec<f64>>> {
        self.map_layer(functions, "", axis, chunksize, selection)
    }

    /// [`map`](Self::map) over any layer (loompy's `ds.layers[name].map(…)`).
    pub fn map_layer(
        &self,
        functions: &[MapFn<'_>],
        layer: &str,
        axis: Axis,
        chunksize: usize,
        selection: Option<&[bool]>,
    ) -> Result<Vec<Vec<f64>>> {
        self.map_layer_as::<f64>(functions, layer, axis, chunksize, selection)
    }

    /// [`map_layer`](Self::map_layer) with the functions taking each row or column as
    /// `T`, converted as [`read`](Self::read) converts: `f32` holds a `float32` layer
    /// exactly (loompy's functions get the stored type). Every row or column is handed
    /// out in place in the decoded window (windows of columns are read column-major,
    /// each chunk transposed as it is decoded); no `f64` copy is made.
    ///
    /// ```no_run
    /// # use loom_core::{connect, Mode};
    /// use loom_core::Axis;
    /// let ds = connect("cells.loom", Mode::Read)?;
    /// let sum = |v: ndarray::ArrayView1<f32>| v.iter().map(|&x| f64::from(x)).sum();
    /// let totals = ds.map_layer_as::<f32>(&[&sum], "", Axis::Rows, 512, None)?;
    /// # Ok::<(), loom_core::LoomError>(())
    /// ```
    pub fn map_layer_as<T: Numeric>(
        &self,
        functions: &[MapFnAs<'_, T>],
        layer: &str,
        axis: Axis,
        chunksize: usize,
        selection: Option<&[bool]>,
    ) -> Result<Vec<Vec<f64>>> {
        let (len, windows, plan) = self.map_windows(layer, axis, chunksize, selection)?;
        let mut reader = Prefetch::<Vec<Vec<T>>>::start_as(plan);
        let mut out = vec![vec![0.0; len]; functions.len()];
        for w in windows {
            let done = reader.next_with(|bufs| {
                let v = bufs.first().ok_or_else(|| no_values(layer))?;
                for_each_lane(v, w.len(), |k, lane| {
                    for (f, res) in functions.iter().zip(out.iter_mut()) {
                        res[w.start + k] = f(ArrayView1::from(lane));
                    }
                });
                Ok(())
            });
            match done {
                Some(r) => r?,
                None => break,
            }
        }
        Ok(out)
    }

    /// The length of `axis`, its windows, and the reader's plan (two sets of buffers:
    /// the functions work on one window while the next is decoded into the other).
    fn map_windows(
        &self,
        layer: &str,
        axis: Axis,
        chunksize: usize,
        selection: Option<&[bool]>,
    ) -> Result<(usize, Vec<Range<usize>>, Plan)> {
        let (n, m) = self.shape();
        let len = usize::try_from([n, m][axis.index()])
            .map_err(|_| LoomError::Selection("axis too long".to_owned()))?;
        let other_len = [n, m][axis.other().index()];
        let other = match selection {
            Some(mask) => {
                if mask.len() as u64 != other_len {
                    return Err(LoomError::Selection(format!(
                        "boolean index did not match indexed array: the selection has {} values but the axis has {other_len}",
                        mask.len()
                    )));
                }
                Some(
                    mask.iter()
                        .enumerate()
                        .filter(|p| *p.1)
                        .map(|p| p.0 as u64)
                        .collect::<Vec<u64>>(),
                )
            }
            None => None,
        };
        let cross = other.as_ref().map_or(other_len, |v| v.len() as u64);
        let api = self.layers();
        let d = api.dataset(layer)?;
        let chunk = api.chunk_len(layer, axis)?;
        let budget = (chunksize.max(1) as u64)
            .saturating_mul(cross.max(1))
            .min(CACHED_WINDOW);
        let windows: Vec<_> = AxisWindows::all(len as u64, chunk, cross, budget).collect();
        let spans = windows
            .iter()
            .map(|w| Span::Range {
                start: w.start as u64,
                count: w.len() as u64,
            })
            .collect();
        let plan = Plan {
            layers: vec![d],
            axis,
            other: (other_len, other),
            spans,
            sets: 2,
            lanes: true,
        };
        Ok((len, windows, plan))
    }
}

fn no_values(layer: &str) -> LoomError {
    LoomError::InvalidInput(format!("map read no values of layer '{layer}'"))
}

/// Calls `f(k, lane)` for each of the `count` lanes (rows or columns) of a window read
/// by lanes, each contiguous.
fn for_each_lane<T>(src: &[T], count: usize, mut f: impl FnMut(usize, &[T])) {
    let Some(cross) = src.len().checked_div(count) else {
        return;
    };
    if cross == 0 {
        (0..count).for_each(|k| f(k, &[]));
        return;
    }
    for (k, lane) in src.chunks_exact(cross).take(count).enumerate() {
        f(k, lane);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lanes_are_contiguous() {
        let (count, cross) = (37, 70);
        let src: Vec<f64> = (0..count * cross).map(|k| k as f64).collect();
        let mut seen = 0;
        for_each_lane(&src, count, |k, lane| {
            assert_eq!(k, seen);
            seen += 1;
            let want: Vec<f64> = (0..cross).map(|j| (k * cross + j) as f64).collect();
            assert_eq!(lane, &want[..]);
        });
        assert_eq!(seen, count);
        // No values on the other axis: empty lanes.
        let mut n = 0;
        for_each_lane::<f64>(&[], 3, |_, l| n += 1 + l.len());
        assert_eq!(n, 3);
    }
}
