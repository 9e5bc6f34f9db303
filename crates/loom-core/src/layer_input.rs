//! What a layer is set from (loompy's `ds.layers[name] = …`): a dense array, a sparse
//! matrix (CSC, CSR or triplets), or a dtype name for a layer of zeros.

use hdf5_lite::format::messages::Datatype;
use hdf5_lite::read::Numeric;
use hdf5_lite::write::Writer;
use ndarray::{ArrayBase, ArrayView, Data, Dimension, Ix2, IxDyn};

use crate::connection::LoomConnection;
use crate::error::{LoomError, Result};
use crate::layers::{parse_dtype, LayerOptions};
use crate::layers_write::write_csc;

/// Values per strip when a dense block is written: about 8 M.
const STRIP_VALUES: usize = 1 << 23;

/// What a layer input is made of.
trait Store {
    fn shape(&self) -> Vec<usize>;
    fn store(&self, ds: &mut LoomConnection, name: &str, opts: &LayerOptions) -> Result<()>;
    /// The element type given.
    fn datatype(&self) -> Result<Datatype>;
    /// Writes the whole input into the existing 2-D dataset at `path`, starting at
    /// column `col0` (the dataset already has room for it).
    fn write_at(&self, w: &mut Writer, path: &str, col0: u64) -> hdf5_lite::Result<()>;
}

struct Dense<'a, T>(ArrayView<'a, T, IxDyn>);

impl<T: Numeric> Store for Dense<'_, T> {
    fn shape(&self) -> Vec<usize> {
        self.0.shape().to_vec()
    }

    fn store(&self, ds: &mut LoomConnection, name: &str, opts: &LayerOptions) -> Result<()> {
        let view = self.0.view().into_dimensionality::<Ix2>().map_err(|_| {
            LoomError::InvalidInput(format!(
                "Layer '{name}' must be 2-dimensional (shape was {:?})",
                self.0.shape()
            ))
        })?;
        ds.set_dense(name, view, opts)
    }

    fn datatype(&self) -> Result<Datatype> {
        Ok(T::datatype())
    }

    fn write_at(&self, w: &mut Writer, path: &str, col0: u64) -> hdf5_lite::Result<()> {
        let view =
            self.0.view().into_dimensionality::<Ix2>().map_err(|_| {
                hdf5_lite::Error::InvalidInput(format!("{path}: the block is not 2-D"))
            })?;
        let (n, m) = view.dim();
        if n == 0 || m == 0 {
            return Ok(());
        }
        let data = view.as_standard_layout();
        let flat = data.as_slice().unwrap_or(&[]);
        // Strips of whole chunk rows (loompy's 64) bound the writer's copy of the values.
        let rows = ((STRIP_VALUES / m).max(1)).div_ceil(64) * 64;
        for (i, strip) in flat.chunks(rows * m).enumerate() {
            let r0 = (i * rows) as u64;
            let count = [(strip.len() / m) as u64, m as u64];
            w.write_numbers(path, &[r0, col0], &count, strip)?;
        }
        Ok(())
    }
}

enum Sparse<'a, T> {
    Borrowed(&'a sprs::CsMat<T>),
    Owned(sprs::CsMat<T>),
}

impl<T> Sparse<'_, T> {
    fn matrix(&self) -> &sprs::CsMat<T> {
        match self {
            Sparse::Borrowed(m) => m,
            Sparse::Owned(m) => m,
        }
    }
}

impl<T: Numeric> Store for Sparse<'_, T> {
    fn shape(&self) -> Vec<usize> {
        vec![self.matrix().rows(), self.matrix().cols()]
    }

    fn store(&self, ds: &mut LoomConnection, name: &str, opts: &LayerOptions) -> Result<()> {
        ds.set_sparse(name, self.matrix(), opts)
    }

    fn datatype(&self) -> Result<Datatype> {
        Ok(T::datatype())
    }

    fn write_at(&self, w: &mut Writer, path: &str, col0: u64) -> hdf5_lite::Result<()> {
        let converted;
        let csc = if self.matrix().is_csc() {
            self.matrix()
        } else {
            converted = self.matrix().to_csc();
            &converted
        };
        write_csc(w, path, csc, col0, 64)
    }
}

struct Zeros(String);

impl Store for Zeros {
    fn shape(&self) -> Vec<usize> {
        Vec::new()
    }

    fn store(&self, ds: &mut LoomConnection, name: &str, opts: &LayerOptions) -> Result<()> {
        ds.set_zeros(name, &self.0, opts)
    }

    fn datatype(&self) -> Result<Datatype> {
        parse_dtype(&self.0)
    }

    fn write_at(&self, _: &mut Writer, _: &str, _: u64) -> hdf5_lite::Result<()> {
        // Zeros are the fill value: nothing to write.
        Ok(())
    }
}

/// What a layer is set from ([`LayersMut::set`](crate::LayersMut::set),
/// [`create`](crate::create)): a dense ndarray of any numeric element type (array or view;
/// it must be 2-D to be stored), a sparse `sprs` matrix (`CsMat` in CSC or CSR, or
/// `TriMat`), which is written in windows without being densified whole, or a numpy
/// dtype name ("float32", …) for a layer of zeros of the main matrix's shape. Make one
/// with `From`/`into()`.
///
/// Bool and string matrices are not numbers, so they cannot be given (loompy rejects them
/// with "Matrix elements must be integer or float"):
///
/// ```compile_fail
/// let m = ndarray::Array2::from_elem((2, 2), true);
/// let _ = loom_core::LayerInput::from(&m);
/// ```
pub struct LayerInput<'a> {
    inner: Box<dyn Store + 'a>,
    kind: Kind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Dense,
    Sparse,
    Dtype,
}

impl LayerInput<'_> {
    /// The shape of the data (empty for a dtype name).
    pub fn shape(&self) -> Vec<usize> {
        self.inner.shape()
    }

    /// True for sparse input.
    pub fn is_sparse(&self) -> bool {
        self.kind == Kind::Sparse
    }

    /// True for a dtype name (a layer of zeros).
    pub fn is_dtype(&self) -> bool {
        self.kind == Kind::Dtype
    }

    /// The element type given (for a dtype name, that type).
    pub(crate) fn datatype(&self) -> Result<Datatype> {
        self.inner.datatype()
    }

    /// Writes it into the existing dataset at `path` from column `col0` on.
    pub(crate) fn write_at(&self, w: &mut Writer, path: &str, col0: u64) -> hdf5_lite::Result<()> {
        self.inner.write_at(w, path, col0)
    }

    /// Stores it as layer `name` of `ds`.
    pub(crate) fn store(
        &self,
        ds: &mut LoomConnection,
        name: &str,
        opts: &LayerOptions,
    ) -> Result<()> {
        if let Some((r, c)) = opts.chunks.filter(|&(r, c)| r == 0 || c == 0) {
            return Err(LoomError::InvalidInput(format!(
                "chunk shape ({r}, {c}) is not allowed: chunks have at least one row and one column"
            )));
        }
        self.inner.store(ds, name, opts)
    }
}

impl std::fmt::Debug for LayerInput<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LayerInput")
            .field("shape", &self.shape())
            .field("kind", &self.kind)
            .finish()
    }
}

impl<'a, T: Numeric, S: Data<Elem = T>, D: Dimension> From<&'a ArrayBase<S, D>> for LayerInput<'a> {
    fn from(a: &'a ArrayBase<S, D>) -> Self {
        LayerInput {
            inner: Box::new(Dense(a.view().into_dyn())),
            kind: Kind::Dense,
        }
    }
}

impl<'a, T: Numeric, D: Dimension> From<ArrayView<'a, T, D>> for LayerInput<'a> {
    fn from(a: ArrayView<'a, T, D>) -> Self {
        LayerInput {
            inner: Box::new(Dense(a.into_dyn())),
            kind: Kind::Dense,
        }
    }
}

impl<'a, T: Numeric> From<&'a sprs::CsMat<T>> for LayerInput<'a> {
    fn from(m: &'a sprs::CsMat<T>) -> Self {
        LayerInput {
            inner: Box::new(Sparse::Borrowed(m)),
            kind: Kind::Sparse,
        }
    }
}

impl<'a, T: Numeric + std::ops::Add<Output = T>> From<&'a sprs::TriMat<T>> for LayerInput<'a> {
    /// A triplet matrix is compressed to CSC (duplicates summed, as scipy does); it is
    /// not densified.
    fn from(m: &'a sprs::TriMat<T>) -> Self {
        LayerInput {
            inner: Box::new(Sparse::Owned(m.to_csc())),
            kind: Kind::Sparse,
        }
    }
}

impl From<&str> for LayerInput<'_> {
    /// `ds.layers["x"] = "float32"`: a layer of zeros of that numpy dtype.
    fn from(dtype: &str) -> Self {
        LayerInput {
            inner: Box::new(Zeros(dtype.to_owned())),
            kind: Kind::Dtype,
        }
    }
}

impl From<&String> for LayerInput<'_> {
    fn from(dtype: &String) -> Self {
        LayerInput::from(dtype.as_str())
    }
}
