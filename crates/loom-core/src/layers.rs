//! The main matrix and the layers (loompy-api.md §3.4, §3.5, §3.16, §3.17, §4):
//! `ds[rows, cols]`, `ds[rows, cols] = data`, `ds.layers`, `ds.sparse()`.
//!
//! Differences from loompy, on purpose:
//! - selections may be lists or masks on both axes at once, in any order, with repeats;
//! - an [`Selection::Index`] keeps its axis (length 1): results are always 2-D;
//! - a deleted layer is gone from [`Layers::keys`];
//! - sparse layers are written in column windows, never densified whole;
//! - the main layer `""` may change shape only while there are no other layers.

use hdf5_lite::format::messages::{ByteOrder, Datatype};
use hdf5_lite::read::{Dataset, Numeric};
use hdf5_lite::write::AttrValue;
use ndarray::{Array2, ArrayView2};

use crate::connection::LoomConnection;
use crate::error::{LoomError, Result};
use crate::layout::{self, layer_path};
use crate::matrix_io::{read_selection, run_start, shape2, write_selection};
use crate::selection::Selection;
use crate::sparse::{self, ColumnNonzeros, Shape};
use crate::timestamp::timestamp;

/// The numpy name of a numeric HDF5 type ("float32", "uint16", …).
pub fn dtype_name(dt: &Datatype) -> Option<&'static str> {
    Some(match *dt {
        Datatype::Float { size: 2, .. } => "float16",
        Datatype::Float { size: 4, .. } => "float32",
        Datatype::Float { size: 8, .. } => "float64",
        Datatype::Integer { size, signed, .. } => match (size, signed) {
            (1, true) => "int8",
            (2, true) => "int16",
            (4, true) => "int32",
            (8, true) => "int64",
            (1, false) => "uint8",
            (2, false) => "uint16",
            (4, false) => "uint32",
            (8, false) => "uint64",
            _ => return None,
        },
        _ => return None,
    })
}

/// The HDF5 type (little-endian) for a numpy dtype name: "float32", "f4", "<f4",
/// "int16", "uint8", "float" (float64), "int" (int64), "float16", … "bool" and string
/// types give loompy's "Matrix elements must be integer or float". (float16 layers can
/// be created empty and read, but not yet written: hdf5-lite does not encode 2-byte
/// floats.)
pub fn parse_dtype(name: &str) -> Result<Datatype> {
    let le = ByteOrder::Little;
    let int = |size, signed| Datatype::Integer {
        size,
        signed,
        order: le,
    };
    let key = name.trim_start_matches(['<', '=', '|']);
    Ok(match key {
        "float16" | "f2" | "half" => Datatype::Float { size: 2, order: le },
        "float32" | "f4" | "single" => Datatype::Float { size: 4, order: le },
        "float64" | "f8" | "float" | "double" | "d" => Datatype::Float { size: 8, order: le },
        "int8" | "i1" | "byte" => int(1, true),
        "int16" | "i2" | "short" => int(2, true),
        "int32" | "i4" | "intc" => int(4, true),
        "int64" | "i8" | "int" => int(8, true),
        "uint8" | "u1" | "ubyte" => int(1, false),
        "uint16" | "u2" | "ushort" => int(2, false),
        "uint32" | "u4" | "uintc" => int(4, false),
        "uint64" | "u8" | "uint" => int(8, false),
        "bool" | "?" | "b1" | "str" | "U" | "S" | "object" | "O" => {
            return Err(LoomError::InvalidInput(
                "Matrix elements must be integer or float".to_owned(),
            ))
        }
        _ => {
            return Err(LoomError::InvalidInput(format!(
                "data type '{name}' not understood"
            )))
        }
    })
}

/// How a layer is stored (the older API's `set_layer(name, matrix, chunks, dtype,
/// compression_opts)`, §3.17). The defaults are loompy's.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LayerOptions {
    /// Stored type as a numpy name ("float32", "int16", …); default: the data's type.
    pub dtype: Option<String>,
    /// Chunk shape; default (min(64, N), min(64, M)).
    pub chunks: Option<(u64, u64)>,
    /// gzip level 0–9 (0: no compression); default 2.
    pub compression: Option<u32>,
}

/// Read access to the layers (loompy's `ds.layers`). Get it with
/// [`LoomConnection::layers`].
#[derive(Debug, Clone, Copy)]
pub struct Layers<'a> {
    ds: &'a LoomConnection,
}

impl<'a> Layers<'a> {
    /// Layer names: the main layer `""` first (if `/matrix` exists), then the others
    /// sorted by bytes, as loompy lists them.
    pub fn keys(&self) -> Result<Vec<String>> {
        let file = self.ds.hdf5();
        let mut keys = Vec::new();
        if file.dataset(layout::MATRIX).is_ok() {
            keys.push(String::new());
        }
        if let Ok(g) = file.group(layout::LAYERS) {
            let mut names = g.member_names()?;
            names.sort();
            keys.extend(names);
        }
        Ok(keys)
    }

    /// Whether a layer of that name exists.
    pub fn contains(&self, name: &str) -> bool {
        self.ds.hdf5().dataset(&layer_path(name)).is_ok()
    }

    /// Number of layers, the main one included.
    pub fn len(&self) -> Result<usize> {
        Ok(self.keys()?.len())
    }

    /// Whether there are no layers at all (not even the main matrix).
    pub fn is_empty(&self) -> Result<bool> {
        Ok(self.keys()?.is_empty())
    }

    /// The HDF5 dataset behind a layer.
    pub fn dataset(&self, name: &str) -> Result<Dataset> {
        self.ds
            .hdf5()
            .dataset(&layer_path(name))
            .map_err(|_| LoomError::Missing {
                kind: "layer",
                name: name.to_owned(),
            })
    }

    /// The layer's numpy dtype name ("float32", …).
    pub fn dtype(&self, name: &str) -> Result<&'static str> {
        let d = self.dataset(name)?;
        dtype_name(d.datatype()).ok_or_else(|| {
            LoomError::InvalidInput(format!(
                "layer '{name}' has a non-numeric type {:?}",
                d.datatype()
            ))
        })
    }

    /// The layer's shape.
    pub fn shape(&self, name: &str) -> Result<(u64, u64)> {
        shape2(&self.dataset(name)?)
    }

    /// `ds.layers[name][rows, cols]`, converted to `T`. Always 2-D.
    ///
    /// ```no_run
    /// # use loom_core::{connect, Mode};
    /// let ds = connect("cells.loom", Mode::Read)?;
    /// let spliced = ds.layers().read::<f32>("spliced", vec![5, 1, 5], ..)?;
    /// assert_eq!(spliced.nrows(), 3);
    /// # Ok::<(), loom_core::LoomError>(())
    /// ```
    pub fn read<T: Numeric>(
        &self,
        name: &str,
        rows: impl Into<Selection>,
        cols: impl Into<Selection>,
    ) -> Result<Array2<T>> {
        let d = self.dataset(name)?;
        let (n, m) = shape2(&d)?;
        let r = rows.into().resolve(n)?;
        let c = cols.into().resolve(m)?;
        read_selection(&d, &r, &c)
    }

    /// loompy's `layer.sparse(rows, cols)`: the selection as a COO matrix of float64,
    /// shape (rows selected, columns selected), triplets in loompy's order. Read in
    /// chunk-aligned column windows ([`AxisWindows`](crate::AxisWindows)) into one reused
    /// buffer, so the dense selection is never in memory.
    pub fn sparse(
        &self,
        name: &str,
        rows: impl Into<Selection>,
        cols: impl Into<Selection>,
    ) -> Result<sprs::TriMat<f64>> {
        let (d, r, c) = self.sparse_input(name, rows, cols)?;
        sparse::coo(&d, &r, &c)
    }

    /// The dataset of layer `name` and the resolved selection.
    fn sparse_input(
        &self,
        name: &str,
        rows: impl Into<Selection>,
        cols: impl Into<Selection>,
    ) -> Result<(Dataset, Vec<u64>, Vec<u64>)> {
        let d = self.dataset(name)?;
        let (n, m) = shape2(&d)?;
        let r = rows.into().resolve(n)?;
        let c = cols.into().resolve(m)?;
        Ok((d, r, c))
    }

    /// The whole layer as COO (float64).
    pub fn as_coo(&self, name: &str) -> Result<sprs::TriMat<f64>> {
        self.sparse(name, Selection::All, Selection::All)
    }

    /// The whole layer as CSR (float64), built row window by row window (no COO).
    pub fn as_csr(&self, name: &str) -> Result<sprs::CsMat<f64>> {
        self.compressed(name, Shape::Csr)
    }

    /// The whole layer as CSC (float64), built column window by column window (no COO).
    pub fn as_csc(&self, name: &str) -> Result<sprs::CsMat<f64>> {
        self.compressed(name, Shape::Csc)
    }

    /// Whether layer `name` holds only values that `f32` represents exactly (float16/32,
    /// 8- and 16-bit integers): reading it as `f32` loses nothing and moves half the bytes.
    pub fn exact_in_f32(&self, name: &str) -> Result<bool> {
        Ok(sparse::exact_in_f32(self.dataset(name)?.datatype()))
    }

    /// Streams layer `name` out as compressed sparse columns: reads it in chunk-aligned
    /// column windows of about `budget` elements into one reused buffer of `T` and calls
    /// `f` with each window's nonzeros (the buffers are reused for the next window). Memory
    /// is one window, whatever the layer's size.
    ///
    /// ```no_run
    /// # use loom_core::{connect, Mode, DEFAULT_BUDGET};
    /// let ds = connect("cells.loom", Mode::Read)?;
    /// let mut per_cell = Vec::new();
    /// ds.layers().for_each_column_window::<f32, loom_core::LoomError>("", DEFAULT_BUDGET, |w| {
    ///     per_cell.extend(w.indptr.windows(2).map(|p| p[1] - p[0]));
    ///     Ok(())
    /// })?;
    /// # Ok::<(), loom_core::LoomError>(())
    /// ```
    pub fn for_each_column_window<T, E>(
        &self,
        name: &str,
        budget: u64,
        f: impl FnMut(ColumnNonzeros<'_, T>) -> std::result::Result<(), E>,
    ) -> std::result::Result<(), E>
    where
        T: Numeric + PartialEq,
        E: From<LoomError>,
    {
        sparse::for_each_column_window(&self.dataset(name)?, budget, f)
    }

    fn compressed(&self, name: &str, shape: Shape) -> Result<sprs::CsMat<f64>> {
        let (d, r, c) = self.sparse_input(name, Selection::All, Selection::All)?;
        sparse::compressed(&d, &r, &c, shape)
    }
}

impl LoomConnection {
    /// The layers (loompy's `ds.layers`).
    pub fn layers(&self) -> Layers<'_> {
        Layers { ds: self }
    }

    /// `ds[rows, cols]`: a selection of the main matrix, converted to `T`.
    ///
    /// ```no_run
    /// # use loom_core::{connect, Mode, Selection};
    /// let ds = connect("cells.loom", Mode::Read)?;
    /// let first_rows = ds.read::<f32>(0..10, ..)?;
    /// let picked = ds.read::<f64>(vec![7, 2, 7], vec![true, false, true])?;
    /// let last_row = ds.read::<f32>(-1, Selection::All)?; // shape (1, M)
    /// # Ok::<(), loom_core::LoomError>(())
    /// ```
    pub fn read<T: Numeric>(
        &self,
        rows: impl Into<Selection>,
        cols: impl Into<Selection>,
    ) -> Result<Array2<T>> {
        self.layers().read("", rows, cols)
    }

    /// `ds.sparse(rows, cols, layer)`: see [`Layers::sparse`].
    pub fn sparse(
        &self,
        rows: impl Into<Selection>,
        cols: impl Into<Selection>,
        layer: &str,
    ) -> Result<sprs::TriMat<f64>> {
        self.layers().sparse(layer, rows, cols)
    }

    /// `ds[rows, cols] = values`: writes into the main matrix and stamps `/matrix` and the
    /// root with `last_modified` (see [`LayersMut::write`](crate::LayersMut::write)).
    pub fn write<T: Numeric>(
        &mut self,
        rows: impl Into<Selection>,
        cols: impl Into<Selection>,
        values: ArrayView2<T>,
    ) -> Result<()> {
        self.write_layer("", rows, cols, values)
    }

    /// `ds.layers[name][rows, cols] = values`.
    pub(crate) fn write_layer<T: Numeric>(
        &mut self,
        name: &str,
        rows: impl Into<Selection>,
        cols: impl Into<Selection>,
        values: ArrayView2<T>,
    ) -> Result<()> {
        self.check_writable()?;
        // The layer's path, shape and type, which staged window writes do not change
        // (no snapshot of them per write); its staged data only when the write must
        // read some back (a selection that is not one rectangle may repeat indices).
        let d = self
            .hdf5_objects()
            .dataset(&layer_path(name))
            .map_err(|_| LoomError::Missing {
                kind: "layer",
                name: name.to_owned(),
            })?;
        let (n, m) = shape2(&d)?;
        let r = rows.into().resolve(n)?;
        let c = cols.into().resolve(m)?;
        let d = match (run_start(&r), run_start(&c)) {
            (Some(_), Some(_)) => d,
            _ => self.layers().dataset(name)?,
        };
        if values.dim() != (r.len(), c.len()) {
            return Err(LoomError::InvalidInput(format!(
                "Can't broadcast ({}, {}) -> ({}, {})",
                values.nrows(),
                values.ncols(),
                r.len(),
                c.len()
            )));
        }
        let path = d.path().to_owned();
        let stamp = AttrValue::string(&timestamp());
        self.edit_data(|w| {
            write_selection(w, &d, &r, &c, values)?;
            w.set_attribute(&path, layout::LAST_MODIFIED, &stamp)?;
            w.set_attribute(layout::ROOT, layout::LAST_MODIFIED, &stamp)
        })
    }
}
