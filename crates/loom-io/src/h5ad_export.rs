//! loom → h5ad, following `anndata.read_loom`'s conventions, streaming.
//!
//! X is the `spliced` layer when there is one, else the main layer (or a chosen layer),
//! as float32 CSR cells x genes; the other layers are CSR float64 (read_loom's types), the
//! main layer named `matrix` when X is not it. Column/row attributes become obs/var
//! columns, with `CellID`/`Gene` (or chosen attributes) as obs/var names; 2-D attributes
//! with more than one column become obsm/varm. Beyond read_loom: column/row graphs
//! become obsp/varp (CSR float64), global attributes uns entries. Each layer is read in
//! chunk-aligned column windows (cells), so memory is one window plus the CSR buffers.

use std::path::{Path, PathBuf};

use loom_core::hdf5_lite::write::Writer;
use loom_core::{AttrValues, GraphManager, LoomConnection, Numeric, DEFAULT_BUDGET};

use crate::error::{IoError, Result};
use crate::extsort::{Item, Sorter};
use crate::h5ad_write::{dataframe, dict, tag, values, CsrWriter};
use crate::sink::WINDOW_ELEMENTS;

/// What to export and how.
#[derive(Debug, Clone)]
pub struct H5adExport {
    /// The h5ad file to write (replaced if it exists).
    pub path: PathBuf,
    /// The layer for X; default `spliced` when present, else the main layer.
    pub x_layer: Option<String>,
    /// Column attribute holding the obs names (default `CellID`).
    pub obs_names: String,
    /// Row attribute holding the var names (default `Gene`).
    pub var_names: String,
    /// Stored type of X (read_loom's default: float32).
    pub x_dtype: String,
}

impl H5adExport {
    /// Defaults (read_loom's) for writing `path`.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        H5adExport {
            path: path.into(),
            x_layer: None,
            obs_names: "CellID".into(),
            var_names: "Gene".into(),
            x_dtype: "float32".into(),
        }
    }
}

/// Writes `ds` as an h5ad file. Returns warnings naming what was not carried over.
pub fn export_h5ad(ds: &LoomConnection, opts: &H5adExport) -> Result<Vec<String>> {
    let keys = ds.layers().keys()?;
    let x = match &opts.x_layer {
        Some(l) if keys.contains(l) => l.clone(),
        Some(l) => return Err(IoError::Invalid(format!("no layer '{l}' in the loom file"))),
        None if keys.iter().any(|k| k == "spliced") => "spliced".to_owned(),
        None => String::new(),
    };
    let tmp = temp_path(&opts.path);
    let result = write_all(ds, opts, &x, &keys, &tmp);
    match result {
        Ok(w) => {
            std::fs::rename(&tmp, &opts.path).map_err(|e| IoError::file(&opts.path, e))?;
            Ok(w)
        }
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            Err(e)
        }
    }
}

/// The file is written beside its destination and renamed into place when complete.
fn temp_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".partial");
    path.with_file_name(name)
}

fn write_all(
    ds: &LoomConnection,
    opts: &H5adExport,
    x: &str,
    keys: &[String],
    path: &Path,
) -> Result<Vec<String>> {
    let mut warnings = Vec::new();
    let mut w = Writer::create(path)?;
    tag(&mut w, "/", "anndata", "0.1.0")?;
    layer_csr(ds, &mut w, x, "/X", &opts.x_dtype)?;
    dict(&mut w, "/layers")?;
    for k in keys {
        let name = if k.is_empty() { "matrix" } else { k.as_str() };
        if k == x && x.is_empty() {
            continue;
        }
        layer_csr(ds, &mut w, k, &format!("/layers/{name}"), "float64")?;
    }
    let (n, m) = ds.shape();
    for (frame, m_group, attrs, names_attr, len) in [
        ("/obs", "/obsm", ds.ca(), &opts.obs_names, m),
        ("/var", "/varm", ds.ra(), &opts.var_names, n),
    ] {
        let mut index: Option<Vec<String>> = None;
        let mut columns = Vec::new();
        dict(&mut w, m_group)?;
        for (name, v) in attrs.items()? {
            let shape = v.shape().to_vec();
            if let AttrValues::Compound(_) = v {
                warnings.push(format!("{frame}: compound attribute '{name}' skipped"));
            } else if shape.len() == 1 || (shape.len() == 2 && shape[1] == 1) {
                let flat = flatten(v);
                if &name == names_attr {
                    index = Some(as_strings(&flat));
                } else {
                    columns.push((name, flat));
                }
            } else if shape.len() == 2 {
                values(&mut w, &format!("{m_group}/{name}"), &v)?;
            } else {
                warnings.push(format!(
                    "{frame}: {}-D attribute '{name}' skipped",
                    shape.len()
                ));
            }
        }
        let index = index.unwrap_or_else(|| (0..len).map(|i| i.to_string()).collect());
        let refs: Vec<&str> = index.iter().map(String::as_str).collect();
        dataframe(&mut w, frame, &refs, &columns)?;
    }
    for (group, graphs, size) in [("/obsp", ds.col_graphs(), m), ("/varp", ds.row_graphs(), n)] {
        dict(&mut w, group)?;
        for name in graphs.keys() {
            graph_csr(&graphs, &name, &mut w, &format!("{group}/{name}"), size)?;
        }
    }
    dict(&mut w, "/uns")?;
    for (name, v) in ds.attrs().items()? {
        if let AttrValues::Compound(_) = v {
            warnings.push(format!("global attribute '{name}': compound, skipped"));
            continue;
        }
        values(&mut w, &format!("/uns/{name}"), &v)?;
    }
    w.close()?;
    Ok(warnings)
}

fn flatten(v: AttrValues) -> AttrValues {
    let n = v.len();
    match v {
        AttrValues::Int { values, bytes } => AttrValues::Int {
            values: values
                .into_shape_clone(ndarray::IxDyn(&[n]))
                .unwrap_or_default(),
            bytes,
        },
        AttrValues::UInt { values, bytes } => AttrValues::UInt {
            values: values
                .into_shape_clone(ndarray::IxDyn(&[n]))
                .unwrap_or_default(),
            bytes,
        },
        AttrValues::Float { values, bytes } => AttrValues::Float {
            values: values
                .into_shape_clone(ndarray::IxDyn(&[n]))
                .unwrap_or_default(),
            bytes,
        },
        AttrValues::Bool(b) => {
            AttrValues::Bool(b.into_shape_clone(ndarray::IxDyn(&[n])).unwrap_or_default())
        }
        AttrValues::Str(s) => {
            AttrValues::Str(s.into_shape_clone(ndarray::IxDyn(&[n])).unwrap_or_default())
        }
        other => other,
    }
}

fn as_strings(v: &AttrValues) -> Vec<String> {
    match v {
        AttrValues::Str(s) => s.iter().cloned().collect(),
        other => other
            .to_f64()
            .map(|a| a.iter().map(|x| format!("{x}")).collect())
            .unwrap_or_default(),
    }
}

/// Graph `name` (of `size` vertices) as CSR `size` x `size` at `path`: its edges read in
/// windows and sorted by (row, column) through an external sort, so memory stays bounded
/// however many edges it has.
fn graph_csr(
    graphs: &GraphManager,
    name: &str,
    w: &mut Writer,
    path: &str,
    size: u64,
) -> Result<()> {
    let edges = graphs.edge_count(name)?;
    let mut sorter = Sorter::new(1);
    let mut k0 = 0;
    while k0 < edges {
        let k1 = (k0 + WINDOW_ELEMENTS as u64).min(edges);
        let (r, c, v) = graphs.edges_range(name, k0..k1)?;
        for ((&i, &j), &x) in r.iter().zip(&c).zip(&v) {
            if i < 0 || j < 0 || i as u64 >= size || j as u64 >= size {
                return Err(IoError::Invalid(format!(
                    "graph '{name}': edge ({i}, {j}) outside {size} nodes"
                )));
            }
            sorter.push(Item {
                major: i as u64,
                minor: j as u64,
                values: [x, 0.0, 0.0],
            })?;
        }
        k0 = k1;
    }
    let mut sorted = sorter.finish()?;
    let mut csr = CsrWriter::<f64>::create(w, path, (size, size), "float64")?;
    let mut next = sorted.next_item()?;
    let mut row_entries = Vec::new();
    for row in 0..size {
        row_entries.clear();
        while let Some(e) = next.filter(|e| e.major == row) {
            row_entries.push((e.minor as usize, e.values[0]));
            next = sorted.next_item()?;
        }
        csr.push_row(w, row_entries.iter().copied())?;
    }
    csr.finish(w)
}

/// Layer `layer` (genes x cells) as CSR cells x genes at `path`, stored as `dtype`:
/// loom-core's column windows (each a run of cells in compressed form) appended as
/// they come, read as `f32` where that is exact and the output is float32.
fn layer_csr(
    ds: &LoomConnection,
    w: &mut Writer,
    layer: &str,
    path: &str,
    dtype: &str,
) -> Result<()> {
    let (n, m) = ds.shape();
    let exact = ds.layers().exact_in_f32(layer)?;
    match (dtype, exact) {
        ("float32", true) => layer_csr_as::<f32, f32>(ds, w, layer, path, dtype, (n, m)),
        ("float32", false) => layer_csr_as::<f64, f32>(ds, w, layer, path, dtype, (n, m)),
        (_, true) => layer_csr_as::<f32, f64>(ds, w, layer, path, dtype, (n, m)),
        (_, false) => layer_csr_as::<f64, f64>(ds, w, layer, path, dtype, (n, m)),
    }
}

/// [`layer_csr`] reading windows of `T` and buffering values as `V`.
fn layer_csr_as<T: Numeric + PartialEq, V: Numeric>(
    ds: &LoomConnection,
    w: &mut Writer,
    layer: &str,
    path: &str,
    dtype: &str,
    (n, m): (u64, u64),
) -> Result<()> {
    let mut csr = CsrWriter::<V>::create(w, path, (m, n), dtype)?;
    ds.layers()
        .for_each_column_window::<T, IoError>(layer, DEFAULT_BUDGET, |win| {
            csr.push_rows(w, win.indptr, win.rows, win.values)
        })?;
    csr.finish(w)
}
