//! `map` (loompy-api.md §3.10, §4.2): functions applied to every row or column of the
//! main matrix, streamed window by window through [`scan`](LoomConnection::scan).

use ndarray::{ArrayView1, Axis as NdAxis};

use super::scan::Items;
use crate::axis::Axis;
use crate::connection::LoomConnection;
use crate::error::{LoomError, Result};

/// A function `map` applies to one row or column (its selected values, as `f64`).
pub type MapFn<'a> = &'a dyn Fn(ArrayView1<f64>) -> f64;

impl LoomConnection {
    /// loompy's `ds.map(f_list, axis=…, chunksize=…, selection=…)`: for each function,
    /// one value per row (`Axis::Rows`) or column (`Axis::Cols`) of the main matrix.
    /// `selection` is a mask over the other axis: only those values are passed to the
    /// functions. Windows of `chunksize` rows (columns) are read at a time.
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
                        .map(|p| p.0)
                        .collect(),
                )
            }
            None => None,
        };
        let mut out = vec![vec![0.0; len]; functions.len()];
        let scan = self.scan_parts(
            axis,
            &Items::All,
            Some(vec![String::new()]),
            chunksize,
            other,
        )?;
        for batch in scan {
            let batch = batch?;
            let block = &batch.view.layer("")?.values;
            for (k, lane) in block.axis_iter(NdAxis(axis.index())).enumerate() {
                let Some(&at) = batch.indexes.get(k) else {
                    continue;
                };
                for (f, res) in functions.iter().zip(out.iter_mut()) {
                    res[at] = f(lane);
                }
            }
        }
        Ok(out)
    }
}
