//! h5ad → loom: the inverse of anndata's `write_loom`, streaming.
//!
//! X (dense, CSR or CSC) becomes the main matrix and each of `/layers` a layer, transposed
//! to genes x cells as the loom spec requires, written in chunk-aligned windows (dense and
//! CSR X by windows of cells, CSC X by windows of genes), so no matrix is ever whole in
//! memory. `obs`/`var` columns become column/row attributes (numbers, bools, strings;
//! categoricals as their category strings), the obs/var names the `CellID`/`Gene`
//! attributes (names configurable), `obsm`/`varm` 2-D column/row attributes, `obsp`/`varp`
//! column/row graphs, and scalar, string and 1-D `uns` entries global attributes. What
//! cannot be carried over is skipped and named in the returned warnings.

use std::path::{Path, PathBuf};

use loom_core::hdf5_lite::read::{File, Numeric, Object};
use loom_core::{dtype_name, AttrValues, Axis as LoomAxis, LoomConnection};
use ndarray::Axis;

use crate::anndata::{dataset_values, encoding, read_frame, Matrix};
use crate::error::{IoError, Result};
use crate::sink::{create_layer, window_len, zeros, ColumnWriter, WINDOW_ELEMENTS};

/// What to import and how.
#[derive(Debug, Clone)]
pub struct H5adImport {
    /// The h5ad file.
    pub path: PathBuf,
    /// Column attribute for the obs names (default `CellID`, which `anndata.read_loom`
    /// takes back as obs names).
    pub obs_names: String,
    /// Row attribute for the var names (default `Gene`).
    pub var_names: String,
}

impl H5adImport {
    /// Defaults for `path`.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        H5adImport {
            path: path.into(),
            obs_names: "CellID".into(),
            var_names: "Gene".into(),
        }
    }
}

/// Imports the h5ad at `opts.path` into `ds` (a new, empty connection). Returns warnings
/// naming what was skipped.
pub fn import_h5ad(ds: &mut LoomConnection, opts: &H5adImport) -> Result<Vec<String>> {
    let file = File::open(&opts.path)?;
    let mut warnings = Vec::new();
    let x = Matrix::open(&file, "/X")?;
    let (n_obs, n_var) = x.shape();
    write_matrix(ds, "", &x, &opts.path)?;
    for name in members(&file, "/layers") {
        let m = Matrix::open(&file, &format!("/layers/{name}"))?;
        if m.shape() != (n_obs, n_var) {
            warnings.push(format!(
                "layers/{name}: shape {:?} is not X's; skipped",
                m.shape()
            ));
            continue;
        }
        write_matrix(ds, &name, &m, &opts.path)?;
    }
    for (frame, names_attr, n, cols) in [
        ("/obs", &opts.obs_names, n_obs, true),
        ("/var", &opts.var_names, n_var, false),
    ] {
        let f = read_frame(&file, frame)?;
        warnings.extend(f.skipped.iter().map(|s| format!("{s}: skipped")));
        let mut set = |name: &str, v: AttrValues| -> Result<()> {
            if v.len() != n {
                return Err(IoError::Invalid(format!(
                    "{frame}/{name}: {} values for {n} entries",
                    v.len()
                )));
            }
            if cols {
                ds.ca_mut().set(name, v)?;
            } else {
                ds.ra_mut().set(name, v)?;
            }
            Ok(())
        };
        set(names_attr, AttrValues::from(f.index))?;
        for (name, v) in f.columns {
            if &name == names_attr {
                warnings.push(format!(
                    "{frame}/{name}: same name as the names attribute; skipped"
                ));
                continue;
            }
            set(&name, v)?;
        }
    }
    for (group, cols, n) in [("/obsm", true, n_obs), ("/varm", false, n_var)] {
        for name in members(&file, group) {
            let path = format!("{group}/{name}");
            match file.object(&path)? {
                Object::Dataset(d) if d.shape().first() == Some(&(n as u64)) => {
                    let v = dataset_values(&d)?;
                    if cols {
                        ds.ca_mut().set(&name, v)?;
                    } else {
                        ds.ra_mut().set(&name, v)?;
                    }
                }
                _ => warnings.push(format!("{path}: not a dense array of {n} rows; skipped")),
            }
        }
    }
    for (group, axis) in [("/obsp", LoomAxis::Cols), ("/varp", LoomAxis::Rows)] {
        for name in members(&file, group) {
            let path = format!("{group}/{name}");
            let m = Matrix::open(&file, &path)?;
            let n = if axis == LoomAxis::Cols { n_obs } else { n_var };
            if m.shape() != (n, n) {
                warnings.push(format!("{path}: not {n} x {n}; skipped"));
                continue;
            }
            write_graph(ds, axis, &name, &m, &path)?;
        }
    }
    for name in members(&file, "/uns") {
        let path = format!("/uns/{name}");
        match file.object(&path)? {
            Object::Dataset(d) if d.shape().len() <= 1 => match dataset_values(&d) {
                Ok(v) => ds.attrs_mut().set(&name, v)?,
                Err(e) => warnings.push(format!("{path}: {e}; skipped")),
            },
            other => warnings.push(format!(
                "{path}: {} ({}) has no loom equivalent; skipped",
                other.kind_name(),
                match encoding(&other).as_str() {
                    "" => "no encoding",
                    e => e,
                }
            )),
        }
    }
    Ok(warnings)
}

/// Names in a group, empty when it does not exist.
pub(crate) fn members(file: &File, group: &str) -> Vec<String> {
    file.group(group)
        .and_then(|g| g.member_names())
        .unwrap_or_default()
}

/// Writes anndata matrix `m` (cells x genes) as loom layer `name` (genes x cells).
fn write_matrix(ds: &mut LoomConnection, name: &str, m: &Matrix, path: &Path) -> Result<()> {
    let (n_obs, n_var) = m.shape();
    let dtype = dtype_name(m.datatype())
        .ok_or_else(|| IoError::Invalid(format!("{}: X is not numeric", path.display())))?;
    create_layer(ds, name, (n_var, n_obs), dtype)?;
    if n_obs == 0 || n_var == 0 {
        return Ok(());
    }
    let at = if name.is_empty() {
        "/X".to_owned()
    } else {
        format!("/layers/{name}")
    };
    write_as_stored(ds, name, m, &at, dtype)
}

/// [`write_typed`] through values of the layer's stored type `dtype` (or one that holds
/// it exactly), so windows go to the file without a conversion on the way.
pub(crate) fn write_as_stored(
    ds: &mut LoomConnection,
    name: &str,
    m: &Matrix,
    path: &str,
    dtype: &str,
) -> Result<()> {
    match dtype {
        "float32" | "float16" => write_typed::<f32>(ds, name, m, path),
        "int32" | "int16" | "int8" | "uint16" | "uint8" => write_typed::<i32>(ds, name, m, path),
        t if t.starts_with("float") => write_typed::<f64>(ds, name, m, path),
        _ => write_typed::<i64>(ds, name, m, path),
    }
}

/// Writes matrix `m` (cells x genes, at `path` in its file) into the existing layer
/// `name` (genes x cells), one window at a time.
fn write_typed<T: Numeric + std::ops::AddAssign>(
    ds: &mut LoomConnection,
    name: &str,
    m: &Matrix,
    path: &str,
) -> Result<()> {
    let (n_obs, n_var) = m.shape();
    match m {
        Matrix::Dense(d) => {
            // Windows of cells: rows of X, columns of the loom layer.
            let step = window_len(n_var, n_obs);
            let mut c0 = 0;
            while c0 < n_obs {
                let c1 = (c0 + step).min(n_obs);
                let block =
                    d.read_slice::<T>(&[c0 as u64, 0], &[(c1 - c0) as u64, n_var as u64])?;
                let block = block
                    .into_dimensionality::<ndarray::Ix2>()
                    .map_err(|e| IoError::Invalid(e.to_string()))?;
                ds.layers_mut().write(name, .., c0..c1, block.t())?;
                c0 = c1;
            }
        }
        Matrix::Sparse { csr: true, .. } => {
            // CSR X: each stored row is a cell, a loom column; windows of cells.
            let mut w = ColumnWriter::<T>::new(name, n_var, n_obs)?;
            let step = window_len(n_var, n_obs);
            let mut c0 = 0;
            while c0 < n_obs {
                let c1 = (c0 + step).min(n_obs);
                let o = m.outer::<T>(path, c0..c1)?;
                for c in c0..c1 {
                    let (a, b) = (o.indptr[c - c0], o.indptr[c - c0 + 1]);
                    let _ = w.add_column(ds, c, &o.indices[a..b], &o.values[a..b])?;
                }
                c0 = c1;
            }
            w.finish(ds)?;
        }
        Matrix::Sparse { csr: false, .. } => {
            // CSC X: each stored column is a gene, a loom row; windows of rows.
            let step = window_len(n_obs, n_var);
            let mut r0 = 0;
            while r0 < n_var {
                let r1 = (r0 + step).min(n_var);
                let o = m.outer::<T>(path, r0..r1)?;
                if !o.values.is_empty() {
                    let mut block = zeros::<T>(r1 - r0, n_obs)?;
                    for r in 0..r1 - r0 {
                        let mut row = block.index_axis_mut(Axis(0), r);
                        for k in o.indptr[r]..o.indptr[r + 1] {
                            row[o.indices[k]] += o.values[k];
                        }
                    }
                    ds.layers_mut().write(name, r0..r1, .., block.view())?;
                }
                r0 = r1;
            }
        }
    }
    Ok(())
}

/// Writes anndata pairwise matrix `m` (obsp/varp, n x n) as graph `name` of `axis`, in
/// pieces of at most a window of edges: sparse matrices entry by entry in stored order,
/// dense ones (counted first) by their nonzeros in row-major order.
fn write_graph(
    ds: &mut LoomConnection,
    axis: LoomAxis,
    name: &str,
    m: &Matrix,
    path: &str,
) -> Result<()> {
    let (n, _) = m.shape();
    let vertex = |v: usize| {
        i32::try_from(v).map_err(|_| IoError::Invalid(format!("{path}: vertex {v} > int32")))
    };
    match m {
        Matrix::Dense(d) => {
            let step = window_len(n, n);
            let rows = |r0: usize| -> Result<ndarray::ArrayD<f64>> {
                let r1 = (r0 + step).min(n);
                Ok(d.read_slice::<f64>(&[r0 as u64, 0], &[(r1 - r0) as u64, n as u64])?)
            };
            let mut edges = 0u64;
            for r0 in (0..n).step_by(step.max(1)) {
                edges += rows(r0)?.iter().filter(|v| **v != 0.0).count() as u64;
            }
            ds.graphs_mut(axis).create(name, edges)?;
            let mut at = 0u64;
            for r0 in (0..n).step_by(step.max(1)) {
                let block = rows(r0)?;
                let (mut a, mut b, mut w) = (Vec::new(), Vec::new(), Vec::new());
                for (k, v) in block.iter().enumerate().filter(|(_, v)| **v != 0.0) {
                    a.push(vertex(r0 + k / n.max(1))?);
                    b.push(vertex(k % n.max(1))?);
                    w.push(*v);
                }
                ds.graphs_mut(axis).write_edges(name, at, &a, &b, &w)?;
                at += a.len() as u64;
            }
        }
        Matrix::Sparse { csr, .. } => {
            ds.graphs_mut(axis).create(name, m.entries())?;
            let mut at = 0u64;
            for range in sparse_windows(m, path, n)? {
                let o0 = range.start;
                let o = m.outer::<f64>(path, range)?;
                let (mut a, mut b) = (Vec::new(), Vec::new());
                for (j, win) in o.indptr.windows(2).enumerate() {
                    for &i in &o.indices[win[0]..win[1]] {
                        let (r, c) = if *csr { (o0 + j, i) } else { (i, o0 + j) };
                        a.push(vertex(r)?);
                        b.push(vertex(c)?);
                    }
                }
                ds.graphs_mut(axis)
                    .write_edges(name, at, &a, &b, &o.values)?;
                at += a.len() as u64;
            }
        }
    }
    Ok(())
}

/// Outer ranges of sparse matrix `m` (with `n` outer indices) holding at most a window
/// of entries each (or one outer index with more), from its `indptr` read in blocks.
fn sparse_windows(m: &Matrix, path: &str, n: usize) -> Result<Vec<std::ops::Range<usize>>> {
    const BLOCK: usize = 1 << 16;
    let Matrix::Sparse { indptr, .. } = m else {
        return Err(IoError::Invalid(format!("{path}: not a sparse matrix")));
    };
    let mut out = Vec::new();
    let (mut start, mut start_ptr) = (0usize, 0u64);
    let mut b0 = 0;
    while b0 < n {
        let b1 = (b0 + BLOCK).min(n);
        let ptr = indptr.read_slice::<u64>(&[b0 as u64 + 1], &[(b1 - b0) as u64])?;
        for (k, &p) in ptr.iter().enumerate() {
            let end = b0 + k + 1;
            if p < start_ptr {
                return Err(IoError::Invalid(format!("{path}: indptr falls at {end}")));
            }
            if p - start_ptr >= WINDOW_ELEMENTS as u64 || end == n {
                out.push(start..end);
                (start, start_ptr) = (end, p);
            }
        }
        b0 = b1;
    }
    Ok(out)
}
