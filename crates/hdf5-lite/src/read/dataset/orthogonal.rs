//! Orthogonal selections of a dataset converted to numbers (per dimension a range or a
//! list of indices), into a new array or a caller's buffer, in C or F order.

use ndarray::{ArrayD, IxDyn};

use super::Dataset;
use crate::error::{Error, Result};
use crate::read::convert::Numeric;
use crate::read::select::{Indices, Selection};

impl Dataset {
    /// An orthogonal selection converted to `T`: per dimension a range or a list of
    /// indices (in output order, repeats allowed), as numpy's `ds[np.ix_(rows, cols)]`.
    /// Each chunk the selection touches is read and decoded once (in parallel with the
    /// `parallel` feature) and converted straight into the array.
    ///
    /// ```no_run
    /// use hdf5_lite::read::{File, Indices};
    ///
    /// let file = File::open("cells.loom")?;
    /// let m = file.dataset("/matrix")?;
    /// let cols = [7, 2, 900];
    /// let picked = m.read_orthogonal::<f32>(&[
    ///     Indices::Range { start: 0, count: m.shape()[0] },
    ///     Indices::List(&cols),
    /// ])?;
    /// assert_eq!(picked.shape(), &[m.shape()[0] as usize, 3]);
    /// # Ok::<(), hdf5_lite::Error>(())
    /// ```
    pub fn read_orthogonal<T: Numeric>(&self, sel: &[Indices<'_>]) -> Result<ArrayD<T>> {
        self.typed_fill::<T>()?;
        if self.is_null() {
            return Ok(ArrayD::from_elem(IxDyn(&[0]), T::default()));
        }
        self.read_selection(&Selection::new(sel, self.shape(), &self.inner.path)?)
    }

    /// Like [`Dataset::read_orthogonal`], into `out` (C order, as many elements as the
    /// selection), so a caller reading window after window reuses one buffer.
    ///
    /// Reading window after window through one `Dataset` value (or its clones) walks a
    /// chunk B-tree only for the first read: the second lists the dataset's chunk
    /// records once into memory (36 bytes per stored chunk of a matrix, `8 × (rank + 2)
    /// + 4` in general), which this and every later read look their chunks up in. The
    /// records stay valid as long as the `File` the dataset came from (a read-only file
    /// never changes; a writer's snapshot is a new `File`).
    pub fn read_orthogonal_into<T: Numeric>(
        &self,
        sel: &[Indices<'_>],
        out: &mut [T],
    ) -> Result<()> {
        if self.is_null() {
            return Ok(());
        }
        self.read_checked_into(&Selection::new(sel, self.shape(), &self.inner.path)?, out)
    }

    /// Like [`Dataset::read_orthogonal_into`], with `out` in F order (column-major: the
    /// first dimension varies fastest), i.e. the C-order output of the transposed
    /// selection. For a matrix, each selected column lands contiguous: a caller working
    /// column by column needs no transposing pass, and each chunk is transposed while it
    /// is in the cache after decoding.
    ///
    /// ```no_run
    /// use hdf5_lite::read::{File, Indices};
    ///
    /// let file = File::open("cells.loom")?;
    /// let m = file.dataset("/matrix")?;
    /// let rows = m.shape()[0];
    /// let mut cols = vec![0f32; rows as usize * 64];
    /// m.read_orthogonal_into_f(
    ///     &[Indices::Range { start: 0, count: rows }, Indices::Range { start: 0, count: 64 }],
    ///     &mut cols,
    /// )?;
    /// let first_column = &cols[..rows as usize];
    /// # Ok::<(), hdf5_lite::Error>(())
    /// ```
    pub fn read_orthogonal_into_f<T: Numeric>(
        &self,
        sel: &[Indices<'_>],
        out: &mut [T],
    ) -> Result<()> {
        if self.is_null() {
            return Ok(());
        }
        let sel = Selection::new(sel, self.shape(), &self.inner.path)?.in_f_order();
        self.read_checked_into(&sel, out)
    }

    /// Reads a checked selection of a non-null dataset into `out`, in the selection's
    /// order.
    fn read_checked_into<T: Numeric>(&self, sel: &Selection, out: &mut [T]) -> Result<()> {
        let n = self.output_len(sel)?;
        if out.len() != n {
            return Err(Error::Selection(format!(
                "{}: selection of {n} elements into a buffer of {}",
                self.inner.path,
                out.len()
            )));
        }
        let plan = self.plan(sel)?;
        if !plan.complete {
            out.fill(self.typed_fill()?);
        }
        self.run_typed(sel, &plan, out)
    }
}
