//! `create`: a complete loom file in one call (loompy-api.md §2.3, and the older
//! `create(…, chunks, dtype, compression_opts)` options of §3.17).
//!
//! The sanity checks are loompy's, in loompy's order and with loompy's messages, and
//! they all run before any file is created (an existing file at the path is left alone
//! when they fail). The write sequence is loompy's: an empty file as [`new`](crate::new)
//! makes it, the file attributes (then `CreationDate` and `LOOM_SPEC_VERSION` again, so
//! they win as in loompy), the main layer, the other layers in the order given, the row
//! attributes, the column attributes. All of it, the empty file's groups included, is
//! one transaction (one commit): no structure is written twice and no space is left
//! behind, so the file is no larger than loompy's (see `docs/file-sizes.md`).
//!
//! Differences from loompy, all deliberate:
//! - a failure after the file was created deletes the file whatever the error (loompy
//!   deletes it only for `ValueError`s), and the error returned is the real one (loompy
//!   masks a failing main layer with "Newly created loom file must be filled with
//!   data…");
//! - a main matrix that is not 2-D gives `Main matrix must be 2-dimensional …` (loompy:
//!   an `IndexError`);
//! - sparse layers are written in column windows, never densified whole.

use std::sync::Arc;

use hdf5_lite::write::{StorageMut, Writer};

use crate::connection::{new_staged, LoomConnection};
use crate::error::{LoomError, Result};
use crate::layer_input::LayerInput;
use crate::layers::LayerOptions;
use crate::layout::{CREATION_DATE_KEY, SPEC_VERSION, SPEC_VERSION_KEY};
use crate::timestamp::timestamp;
use crate::values::AttrValues;

/// How the layers of a new file are stored (the older loompy `create(…, chunks=(64, 64),
/// dtype="float32", compression_opts=2)`). The defaults are loompy 3's: each layer keeps
/// its element type, chunks (min(64, N), min(64, M)), gzip level 2. The options apply to
/// every layer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CreateOptions {
    /// Stored type as a numpy name ("float32", "int16", …) for every layer.
    pub dtype: Option<String>,
    /// Chunk shape of every layer.
    pub chunks: Option<(u64, u64)>,
    /// gzip level 0–9 (0: no compression).
    pub compression: Option<u32>,
}

impl CreateOptions {
    fn layer_options(&self) -> LayerOptions {
        LayerOptions {
            dtype: self.dtype.clone(),
            chunks: self.chunks,
            compression: self.compression,
        }
    }
}

/// loompy's sanity checks (§2.3), in its order, before anything is written. Returns
/// the index of the main layer.
fn check(
    layers: &[(&str, LayerInput)],
    row_attrs: &[(&str, AttrValues)],
    col_attrs: &[(&str, AttrValues)],
) -> Result<usize> {
    let invalid = |m: String| Err(LoomError::InvalidInput(m));
    // As in a Python dict, the last entry of a name wins.
    let Some(main) = layers.iter().rposition(|(k, _)| k.is_empty()) else {
        return invalid("Data for default layer must be provided".into());
    };
    let shape = layers[main].1.shape();
    if shape.is_empty() || shape.first() == Some(&0) || shape.get(1) == Some(&0) {
        return invalid("Main matrix cannot be empty".into());
    }
    if shape.len() != 2 {
        return invalid(format!(
            "Main matrix must be 2-dimensional (shape was {shape:?})"
        ));
    }
    for (name, layer) in layers {
        if !layer.is_dtype() && layer.shape() != shape {
            return invalid(format!(
                "Layer '{name}' is not the same shape as the main matrix"
            ));
        }
    }
    for (axis, attrs, n) in [
        ("Row", row_attrs, shape[0]),
        ("Column", col_attrs, shape[1]),
    ] {
        let what = if axis == "Row" { "rows" } else { "columns" };
        for (name, v) in attrs {
            if v.len() != n {
                return invalid(format!(
                    "{axis} attribute '{name}' is not the same length ({}) as number of {what} in main matrix ({n})",
                    v.len()
                ));
            }
        }
    }
    Ok(main)
}

/// The write sequence, on a freshly made empty file.
fn fill(
    ds: &mut LoomConnection,
    main: usize,
    layers: &[(&str, LayerInput)],
    row_attrs: &[(&str, AttrValues)],
    col_attrs: &[(&str, AttrValues)],
    file_attrs: &[(&str, AttrValues)],
    opts: &CreateOptions,
) -> Result<()> {
    if !file_attrs.is_empty() {
        for (k, v) in file_attrs {
            ds.attrs_mut().set(k, v.clone())?;
        }
        if file_attrs.iter().any(|(k, _)| *k == CREATION_DATE_KEY) {
            ds.attrs_mut().set(CREATION_DATE_KEY, timestamp())?;
        }
        if file_attrs.iter().any(|(k, _)| *k == SPEC_VERSION_KEY) {
            ds.attrs_mut().set(SPEC_VERSION_KEY, SPEC_VERSION)?;
        }
    }
    let lo = opts.layer_options();
    layers[main].1.store(ds, "", &lo)?;
    for (i, (name, layer)) in layers.iter().enumerate() {
        // Later entries of a name replace earlier ones, as in a dict.
        let superseded = layers[i + 1..].iter().any(|(k, _)| k == name);
        if !name.is_empty() && !superseded {
            layer.store(ds, name, &lo)?;
        }
    }
    for (k, v) in row_attrs {
        ds.ra_mut().set(k, v.clone())?;
    }
    for (k, v) in col_attrs {
        ds.ca_mut().set(k, v.clone())?;
    }
    Ok(())
}

/// Creates a loom file from a main matrix, other layers and attributes, overwriting any
/// file at `path` (loompy's `create(filename, layers, row_attrs, col_attrs,
/// file_attrs=…)`). `layers` must contain the main layer `""`; every layer must have its
/// shape (N, M); row attributes must have N values and column attributes M.
///
/// All checks run before the file is created, so on a check failure nothing is touched.
/// If writing fails afterwards (a NaN in a dense layer, a name with a slash, …) the
/// partial file is deleted and the error returned. To use the file, [`connect`](crate::connect)
/// to it.
///
/// ```no_run
/// use loom_core::{create, AttrValues, LayerInput};
/// use ndarray::Array2;
///
/// let counts = Array2::<u32>::zeros((3, 4));
/// let mut tri = sprs::TriMat::<f32>::new((3, 4));
/// tri.add_triplet(1, 2, 5.0);
/// let spliced = tri.to_csc();
/// create(
///     "cells.loom",
///     &[("", LayerInput::from(&counts)), ("spliced", (&spliced).into())],
///     &[("Gene", AttrValues::from(vec!["A", "B", "C"]))],
///     &[("CellID", AttrValues::from(vec!["c1", "c2", "c3", "c4"]))],
///     &[("title", AttrValues::from("demo"))],
/// )?;
/// # Ok::<(), loom_core::LoomError>(())
/// ```
pub fn create(
    path: impl AsRef<std::path::Path>,
    layers: &[(&str, LayerInput)],
    row_attrs: &[(&str, AttrValues)],
    col_attrs: &[(&str, AttrValues)],
    file_attrs: &[(&str, AttrValues)],
) -> Result<()> {
    create_with(
        path,
        layers,
        row_attrs,
        col_attrs,
        file_attrs,
        &CreateOptions::default(),
    )
}

/// [`create`] with storage options other than loompy's defaults.
pub fn create_with(
    path: impl AsRef<std::path::Path>,
    layers: &[(&str, LayerInput)],
    row_attrs: &[(&str, AttrValues)],
    col_attrs: &[(&str, AttrValues)],
    file_attrs: &[(&str, AttrValues)],
    opts: &CreateOptions,
) -> Result<()> {
    let path = path.as_ref();
    let main = check(layers, row_attrs, col_attrs)?;
    let result = Writer::create(path)
        .map_err(LoomError::from)
        .and_then(|w| new_staged(path.to_path_buf(), w))
        .and_then(|mut ds| {
            ds.transaction(|tx| fill(tx, main, layers, row_attrs, col_attrs, file_attrs, opts))?;
            ds.close()
        });
    if result.is_err() {
        // Like loompy: a failed create leaves no file behind.
        let _ = std::fs::remove_file(path);
    }
    result
}

/// [`create`] into any writable storage (a `MemFile`, a browser buffer). Whatever it held
/// is overwritten. On a write failure the storage holds a partial file; callers should
/// discard it.
///
/// ```
/// use std::sync::Arc;
/// use hdf5_lite::write::MemFile;
/// use loom_core::{create_in, AttrValues, LayerInput, LoomConnection, Mode};
///
/// let mem = Arc::new(MemFile::new());
/// let m = ndarray::array![[1.0f32, 0.0], [0.0, 2.0], [3.0, 0.0]];
/// create_in(
///     mem.clone(),
///     &[("", LayerInput::from(&m))],
///     &[("Gene", AttrValues::from(vec!["a", "b", "c"]))],
///     &[],
///     &[],
/// )?;
/// let ds = LoomConnection::open_in(mem, Mode::Read, true)?;
/// assert_eq!(ds.shape(), (3, 2));
/// # Ok::<(), loom_core::LoomError>(())
/// ```
pub fn create_in(
    storage: Arc<dyn StorageMut>,
    layers: &[(&str, LayerInput)],
    row_attrs: &[(&str, AttrValues)],
    col_attrs: &[(&str, AttrValues)],
    file_attrs: &[(&str, AttrValues)],
) -> Result<()> {
    create_in_with(
        storage,
        layers,
        row_attrs,
        col_attrs,
        file_attrs,
        &CreateOptions::default(),
    )
}

/// [`create_in`] with storage options other than loompy's defaults.
pub fn create_in_with(
    storage: Arc<dyn StorageMut>,
    layers: &[(&str, LayerInput)],
    row_attrs: &[(&str, AttrValues)],
    col_attrs: &[(&str, AttrValues)],
    file_attrs: &[(&str, AttrValues)],
    opts: &CreateOptions,
) -> Result<()> {
    let main = check(layers, row_attrs, col_attrs)?;
    let mut ds = new_staged("<storage>".into(), Writer::create_in(storage)?)?;
    ds.transaction(|tx| fill(tx, main, layers, row_attrs, col_attrs, file_attrs, opts))?;
    ds.close()
}
