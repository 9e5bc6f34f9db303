//! Creating, replacing and deleting layers (loompy-api.md §4.1 `layers[name] = …`,
//! `del layers[name]`, §3.17 `set_layer`).
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
use crate::layers::{parse_dtype, LayerOptions};
use crate::layout::layer_path;
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
        if name.contains('/') {
            return Err(LoomError::InvalidInput(
                "Layer name cannot contain slash (/)".to_owned(),
            ));
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

    /// `ds.layers[name] = matrix` with loompy's storage choices. `""` is the main matrix;
    /// on a new (0, 0) file it creates `/matrix` and sets the shape.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// use hdf5_lite::write::MemFile;
    /// use ndarray::array;
    ///
    /// let mut ds = loom_core::new_in(Arc::new(MemFile::new()))?;
    /// ds.set_layer("", array![[1.0f32, 0.0], [0.0, 2.5]].view())?;
    /// ds.set_layer("counts", array![[1u16, 0], [0, 3]].view())?;
    /// assert_eq!(ds.layers().keys()?, ["", "counts"]);
    /// assert_eq!(ds.layers().read::<f64>("counts", 1, ..)?, array![[0.0, 3.0]]);
    /// # Ok::<(), loom_core::LoomError>(())
    /// ```
    pub fn set_layer<T: Numeric>(&mut self, name: &str, values: ArrayView2<T>) -> Result<()> {
        self.set_layer_with(name, values, &LayerOptions::default())
    }

    /// [`set_layer`](Self::set_layer) with a stored type, chunk shape or compression
    /// level other than loompy's defaults (the older `set_layer(name, matrix, chunks,
    /// dtype, compression_opts)`).
    pub fn set_layer_with<T: Numeric>(
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

    /// `ds.layers[name] = "float32"`: a layer of zeros of the main matrix's shape, stored
    /// as the numpy dtype named (any int, uint or float type).
    pub fn create_layer(&mut self, name: &str, dtype: &str) -> Result<()> {
        let dt = parse_dtype(dtype)?;
        let shape = self.shape();
        self.check_layer(name, shape, &dt)?;
        self.edit(|w| Self::fresh_layer(w, name, shape, dt, &LayerOptions::default()).map(|_| ()))
    }

    /// `ds.layers[name] = sparse_matrix`: stored with the sparse matrix's element type
    /// (or `opts.dtype`), written in dense column windows of a few million elements, so
    /// the whole matrix is never densified. Sparse input is not checked for NaN, as in
    /// loompy.
    pub fn set_layer_sparse<T: Numeric>(
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
            for win in AxisWindows::all(m, chunk_cols, n, DEFAULT_BUDGET) {
                let width = win.len();
                let mut block = Array2::<T>::default((n as usize, width));
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
                // All-zero windows are left unwritten: the fill value is 0.
                if any {
                    let flat = block.as_slice().unwrap_or(&[]);
                    let at = [0, win.start as u64];
                    w.write_numbers(&path, &at, &[n, width as u64], flat)?;
                }
            }
            Ok(())
        })?;
        self.staged_layer(name, shape);
        Ok(())
    }

    /// `del ds.layers[name]`: removes the layer, which is then gone from
    /// [`Layers::keys`](crate::Layers::keys) (unlike loompy). A missing name is ignored,
    /// as in loompy; the main layer gives loompy's "Cannot delete default layer".
    pub fn delete_layer(&mut self, name: &str) -> Result<()> {
        if name.is_empty() {
            return Err(LoomError::InvalidInput(
                "Cannot delete default layer".to_owned(),
            ));
        }
        let path = layer_path(name);
        self.edit(|w| unlink_if_present(w, &path))
    }
}
