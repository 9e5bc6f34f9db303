//! Creating, replacing, writing into and deleting layers: [`LayersMut`] (loompy-api.md
//! §4.1 `layers[name] = …`, `layers[name][rows, cols] = …`, `del layers[name]`, §3.17
//! `set_layer`).
//!
//! A layer is stored as loompy stores it: chunks (min(64,N), min(64,M)), gzip 2, no
//! shuffle, maxshape (N, unlimited), at `/matrix` for the main layer `""` and
//! `/layers/<name>` otherwise. Like loompy, creating or replacing a layer writes no
//! `last_modified` stamp.

use hdf5_lite::format::messages::Datatype;
use hdf5_lite::read::Numeric;
use hdf5_lite::write::{DatasetSpec, Writer};
use ndarray::{Array2, ArrayView2};

use crate::connection::LoomConnection;
use crate::error::{LoomError, Result};
use crate::layer_input::LayerInput;
use crate::layers::{parse_dtype, LayerOptions, Layers};
use crate::layout::layer_path;
use crate::selection::Selection;
use crate::transaction::unlink_if_present;
use crate::windows::{AxisWindows, DEFAULT_BUDGET};

/// loompy's NaN/Inf check on dense input.
fn check_finite<T: Numeric>(values: &ArrayView2<T>) -> Result<()> {
    if values.iter().all(|v| v.to_f64().is_finite()) {
        Ok(())
    } else {
        Err(LoomError::InvalidInput(
            "INF and NaN not allowed in loom matrix".to_owned(),
        ))
    }
}

impl LoomConnection {
    /// The checks loompy makes before storing a layer, in loompy's order (after the
    /// NaN check): the name, the shape (except for the main layer while it is the only
    /// one), the mode, the type.
    fn check_layer(&self, name: &str, shape: (u64, u64), dtype: &Datatype) -> Result<()> {
        // "" is the main layer; any other name must be a valid one.
        if !name.is_empty() {
            crate::layout::check_name("Layer", name)?;
        }
        let main = self.shape();
        // Whether the main layer may change shape: only while it is the only layer.
        let free = || -> Result<bool> {
            Ok(name.is_empty()
                && (main == (0, 0) || !self.layers().keys()?.iter().any(|k| !k.is_empty())))
        };
        if shape != main && !free()? {
            return Err(LoomError::InvalidInput(format!(
                "All layers must have same shape ({}, {})",
                main.0, main.1
            )));
        }
        self.check_writable()?;
        if !matches!(dtype, Datatype::Integer { .. } | Datatype::Float { .. }) {
            return Err(LoomError::InvalidInput(
                "Matrix elements must be integer or float".to_owned(),
            ));
        }
        Ok(())
    }

    /// Replaces (or creates) the dataset of layer `name` with an empty one.
    pub(crate) fn fresh_layer(
        w: &mut Writer,
        name: &str,
        shape: (u64, u64),
        dtype: Datatype,
        opts: &LayerOptions,
    ) -> hdf5_lite::Result<String> {
        let path = layer_path(name);
        unlink_if_present(w, &path)?;
        let (n, m) = shape;
        let chunks = opts.chunks.unwrap_or((n.clamp(1, 64), m.clamp(1, 64)));
        let mut spec = DatasetSpec::new(dtype, &[n, m])
            .maxshape(&[Some(n), None])
            .chunks(&[chunks.0.max(1), chunks.1.max(1)]);
        let level = opts.compression.unwrap_or(2);
        if level > 0 {
            spec = spec.deflate(level);
        }
        w.create_dataset(&path, &spec)?;
        Ok(path)
    }

    fn stored_type<T: Numeric>(opts: &LayerOptions) -> Result<Datatype> {
        match &opts.dtype {
            Some(s) => parse_dtype(s),
            None => Ok(T::datatype()),
        }
    }

    /// A dense layer (NaN and infinities refused, as loompy).
    pub(crate) fn set_dense<T: Numeric>(
        &mut self,
        name: &str,
        values: ArrayView2<T>,
        opts: &LayerOptions,
    ) -> Result<()> {
        check_finite(&values)?;
        let dtype = Self::stored_type::<T>(opts)?;
        let shape = (values.nrows() as u64, values.ncols() as u64);
        self.check_layer(name, shape, &dtype)?;
        let data = values.as_standard_layout();
        let flat = data
            .as_slice()
            .ok_or_else(|| LoomError::InvalidInput("matrix is not contiguous".to_owned()))?;
        self.edit(|w| {
            let path = Self::fresh_layer(w, name, shape, dtype, opts)?;
            if shape.0 > 0 && shape.1 > 0 {
                w.write_numbers(&path, &[0, 0], &[shape.0, shape.1], flat)?;
            }
            Ok(())
        })?;
        self.staged_layer(name, shape);
        Ok(())
    }

    /// Records the shape of a main layer just staged.
    fn staged_layer(&mut self, name: &str, shape: (u64, u64)) {
        if name.is_empty() {
            self.shape = shape;
        }
    }

    /// A layer of zeros of the main matrix's shape, stored as the numpy dtype named.
    pub(crate) fn set_zeros(&mut self, name: &str, dtype: &str, opts: &LayerOptions) -> Result<()> {
        let dt = parse_dtype(dtype)?;
        let shape = self.shape();
        self.check_layer(name, shape, &dt)?;
        self.edit(|w| Self::fresh_layer(w, name, shape, dt, opts).map(|_| ()))
    }

    /// A sparse layer: stored with the sparse matrix's element type (or `opts.dtype`),
    /// written in dense column windows of a few million elements, so the whole matrix is
    /// never densified. Sparse input is not checked for NaN, as in loompy.
    pub(crate) fn set_sparse<T: Numeric>(
        &mut self,
        name: &str,
        matrix: &sprs::CsMat<T>,
        opts: &LayerOptions,
    ) -> Result<()> {
        let dtype = Self::stored_type::<T>(opts)?;
        let shape = (matrix.rows() as u64, matrix.cols() as u64);
        self.check_layer(name, shape, &dtype)?;
        // Column windows read CSC columns; CSC input is used as is, CSR converted once.
        let converted;
        let csc = if matrix.is_csc() {
            matrix
        } else {
            converted = matrix.to_csc();
            &converted
        };
        let (n, m) = shape;
        self.edit(|w| {
            let path = Self::fresh_layer(w, name, shape, dtype, opts)?;
            if n == 0 || m == 0 {
                return Ok(());
            }
            let chunk_cols = opts.chunks.map_or(m.clamp(1, 64), |c| c.1.max(1));
            write_csc(w, &path, csc, 0, chunk_cols)?;
            Ok(())
        })?;
        self.staged_layer(name, shape);
        Ok(())
    }
}

/// Writes a CSC matrix into the 2-D dataset at `path` from column `col0` on, in dense
/// chunk-aligned column windows ([`AxisWindows`]) of a few million elements, so it is
/// never densified whole. All-zero windows are left unwritten (the fill value is 0).
pub(crate) fn write_csc<T: Numeric>(
    w: &mut Writer,
    path: &str,
    csc: &sprs::CsMat<T>,
    col0: u64,
    chunk_cols: u64,
) -> hdf5_lite::Result<()> {
    let (n, m) = (csc.rows(), csc.cols());
    if n == 0 || m == 0 {
        return Ok(());
    }
    for win in AxisWindows::all(m as u64, chunk_cols, n as u64, DEFAULT_BUDGET) {
        let width = win.len();
        // All-zero windows stay unwritten: their chunks are never allocated.
        if win
            .clone()
            .all(|col| csc.outer_view(col).is_none_or(|c| c.nnz() == 0))
        {
            continue;
        }
        let mut block = Array2::<T>::default((n, width));
        let mut any = false;
        for (j, col) in win.clone().enumerate() {
            if let Some(col) = csc.outer_view(col) {
                for (i, &v) in col.iter() {
                    if let Some(b) = block.get_mut((i, j)) {
                        *b = v;
                        any = true;
                    }
                }
            }
        }
        if any {
            let flat = block.as_slice().unwrap_or(&[]);
            let at = [0, col0 + win.start as u64];
            w.write_numbers(path, &at, &[n as u64, width as u64], flat)?;
        }
    }
    Ok(())
}

/// The layers, for writing (loompy's `ds.layers[name] = …`, `ds.layers[name][rows, cols] =
/// …`, `del ds.layers[name]`). Get it with [`LoomConnection::layers_mut`].
#[derive(Debug)]
pub struct LayersMut<'a> {
    ds: &'a mut LoomConnection,
}

impl LayersMut<'_> {
    /// Read access.
    pub fn as_layers(&self) -> Layers<'_> {
        self.ds.layers()
    }

    /// `ds.layers[name] = data` with loompy's storage choices: `data` is a dense array
    /// (any numeric type, NaN and infinities refused), a sparse matrix (CSC, CSR or
    /// triplets; written in column windows, never densified whole), or a numpy dtype name
    /// for a layer of zeros (see [`LayerInput`]). `""` is the main matrix; on a new (0, 0)
    /// file it creates `/matrix` and sets the shape.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// use hdf5_lite::write::MemFile;
    /// use ndarray::array;
    ///
    /// let mut ds = loom_core::new_in(Arc::new(MemFile::new()))?;
    /// ds.layers_mut().set("", array![[1.0f32, 0.0], [0.0, 2.5]].view())?;
    /// ds.layers_mut().set("counts", &array![[1u16, 0], [0, 3]])?;
    /// let mut tri = sprs::TriMat::new((2, 2));
    /// tri.add_triplet(1, 0, 7i32);
    /// ds.layers_mut().set("spliced", &tri)?;
    /// ds.layers_mut().set("zeros", "float64")?;
    /// assert_eq!(ds.layers().keys()?, ["", "counts", "spliced", "zeros"]);
    /// assert_eq!(ds.layers().read::<f64>("counts", 1, ..)?, array![[0.0, 3.0]]);
    /// assert_eq!(ds.layers().read::<i64>("spliced", .., 0)?, array![[0], [7]]);
    /// # Ok::<(), loom_core::LoomError>(())
    /// ```
    pub fn set<'d>(&mut self, name: &str, data: impl Into<LayerInput<'d>>) -> Result<()> {
        self.set_with(name, data, &LayerOptions::default())
    }

    /// [`LayersMut::set`] with a stored type, chunk shape or compression level other than
    /// loompy's defaults (the older `set_layer(name, matrix, chunks, dtype,
    /// compression_opts)`).
    pub fn set_with<'d>(
        &mut self,
        name: &str,
        data: impl Into<LayerInput<'d>>,
        opts: &LayerOptions,
    ) -> Result<()> {
        data.into().store(self.ds, name, opts)
    }

    /// `ds.layers[name][rows, cols] = values` (loompy's `LoomLayer.__setitem__`): the
    /// values must have the selection's shape; floats written to an integer layer are
    /// truncated; where an index repeats, the last value wins. Stamps the dataset and the
    /// root with `last_modified`.
    pub fn write<T: Numeric>(
        &mut self,
        name: &str,
        rows: impl Into<Selection>,
        cols: impl Into<Selection>,
        values: ArrayView2<T>,
    ) -> Result<()> {
        self.ds.write_layer(name, rows, cols, values)
    }

    /// `del ds.layers[name]`: removes the layer, which is then gone from
    /// [`Layers::keys`] (unlike loompy). A missing name is ignored, as in loompy; the
    /// main layer gives loompy's "Cannot delete default layer".
    pub fn delete(&mut self, name: &str) -> Result<()> {
        if name.is_empty() {
            return Err(LoomError::InvalidInput(
                "Cannot delete default layer".to_owned(),
            ));
        }
        if !crate::layout::is_valid_name(name) {
            return Ok(());
        }
        let path = layer_path(name);
        self.ds.edit(|w| unlink_if_present(w, &path))
    }
}

impl LoomConnection {
    /// The layers, for writing.
    pub fn layers_mut(&mut self) -> LayersMut<'_> {
        LayersMut { ds: self }
    }
}
