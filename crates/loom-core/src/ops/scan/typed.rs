//! [`Scan::for_each_batch_as`]: scan's lending loop with the layers' values as any
//! numeric type, `f32` for a `float32` file as loompy's scan yields them. The reader
//! decodes each window straight into the type asked for and the batch borrows that
//! buffer as it is: no widening pass, half the memory traffic of `f64` batches. The
//! reader owns one set of buffers, so it decodes window k+1 (every chunk in parallel)
//! once the closure has returned window k: one window of `T` in memory, not two.

use std::collections::BTreeMap;

use hdf5_lite::read::Numeric;
use ndarray::{Array2, ArrayView2};

use super::{Scan, ScanBatch};
use crate::error::{LoomError, Result};
use crate::prefetch::Prefetch;
use crate::view::LoomView;

/// One window of [`Scan::for_each_batch_as`]: loompy's `(ix, indexes, view)` with the
/// layers' values as `T`.
#[derive(Debug)]
pub struct ScanBatchAs<'a, T> {
    /// Where the window starts on the scanned axis.
    pub ix: usize,
    /// The file indices of the window's items along the scanned axis.
    pub indexes: &'a [usize],
    /// The window's attributes, graphs and global attributes; its layers are
    /// [`layer`](Self::layer) (the view holds none).
    pub view: &'a LoomView,
    /// (name, stored dtype) of each layer, in `values`' order.
    names: &'a [(String, String)],
    values: &'a [Array2<T>],
}

impl<'a, T> ScanBatchAs<'a, T> {
    /// The values of layer `name` in this window: (rows, columns) of the view.
    pub fn layer(&self, name: &str) -> Result<ArrayView2<'a, T>> {
        self.position(name).map(|k| self.values[k].view())
    }

    /// The numpy dtype name layer `name` is stored as ("float32", "int32", …).
    pub fn dtype(&self, name: &str) -> Result<&'a str> {
        self.position(name).map(|k| self.names[k].1.as_str())
    }

    /// Every layer read, by name (sorted, the main layer `""` first).
    pub fn layers(&self) -> impl Iterator<Item = (&'a str, ArrayView2<'a, T>)> {
        self.names
            .iter()
            .zip(self.values)
            .map(|((n, _), v)| (n.as_str(), v.view()))
    }

    fn position(&self, name: &str) -> Result<usize> {
        self.names
            .iter()
            .position(|(n, _)| n == name)
            .ok_or_else(|| LoomError::Missing {
                kind: "layer",
                name: name.to_owned(),
            })
    }
}

impl Scan {
    /// Like [`for_each_batch`](Self::for_each_batch), with each layer's values as `T`,
    /// converted as [`LoomConnection::read`](crate::LoomConnection::read) converts
    /// (`f32` holds a `float32` layer exactly, as loompy hands it out). Each window is
    /// decoded straight into `T` buffers that the batch borrows as they are, so a scan
    /// in the stored type does no conversion pass; the buffers go back to the reader
    /// when `f` returns and hold the next window (one window of `T` in memory).
    ///
    /// ```no_run
    /// # use loom_core::{connect, Mode};
    /// use loom_core::ops::ScanOptions;
    /// use loom_core::{Axis, LoomError};
    /// let ds = connect("cells.loom", Mode::Read)?;
    /// let mut totals = vec![0.0f64; ds.shape().1 as usize];
    /// ds.scan(Axis::Cols, ScanOptions::default())?.for_each_batch_as::<f32, _>(|batch| {
    ///     let m = batch.layer("")?;
    ///     for (j, &col) in batch.indexes.iter().enumerate() {
    ///         totals[col] = m.column(j).iter().map(|&x| f64::from(x)).sum();
    ///     }
    ///     Ok::<(), LoomError>(())
    /// })?;
    /// # Ok::<(), loom_core::LoomError>(())
    /// ```
    pub fn for_each_batch_as<T: Numeric, E: From<LoomError>>(
        mut self,
        mut f: impl FnMut(&ScanBatchAs<'_, T>) -> std::result::Result<(), E>,
    ) -> std::result::Result<(), E> {
        // A reader of f64 batches, if `next` started one, is no longer needed.
        self.reader = None;
        let mut reader = Prefetch::<Vec<Vec<T>>>::start_as(self.plan(1));
        let mut values: Vec<Array2<T>> = Vec::new();
        while let Some(w) = self.windows.next() {
            let (shape, indexes) = self.window_shape(&w);
            let step = reader.next_with(|buffers| {
                values.clear();
                for (buf, (name, _)) in buffers.drain(..).zip(&self.names) {
                    let a = Array2::from_shape_vec(shape, buf)
                        .map_err(|e| LoomError::Selection(format!("layer '{name}': {e}")))?;
                    values.push(a);
                }
                let batch: ScanBatch =
                    self.assemble(w.ix, indexes, shape, BTreeMap::new(), true)?;
                let typed = ScanBatchAs {
                    ix: batch.ix,
                    indexes: &batch.indexes,
                    view: &batch.view,
                    names: &self.names,
                    values: &values,
                };
                let done = f(&typed);
                self.give_back(batch, &mut Vec::new());
                buffers.extend(values.drain(..).map(|a| a.into_raw_vec_and_offset().0));
                Ok(done)
            });
            match step {
                Some(Ok(done)) => done?,
                Some(Err(e)) => return Err(e.into()),
                None => break,
            }
        }
        Ok(())
    }
}
