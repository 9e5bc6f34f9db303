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

use hdf5_lite::read::{File, Numeric, Object};
use loom_core::{dtype_name, AttrValues, LoomConnection};
use ndarray::Axis;

use crate::anndata::{dataset_values, encoding, read_coo, read_frame, Matrix};
use crate::error::{IoError, Result};
use crate::sink::{create_layer, window_len, zeros, ColumnWriter};

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
    for (group, cols) in [("/obsp", true), ("/varp", false)] {
        for name in members(&file, group) {
            let path = format!("{group}/{name}");
            let g = read_coo(&file, &path)?;
            if cols {
                ds.col_graphs_mut().set(&name, &g)?;
            } else {
                ds.row_graphs_mut().set(&name, &g)?;
            }
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
    if dtype.starts_with("float") {
        write_typed::<f64>(ds, name, m)
    } else {
        write_typed::<i64>(ds, name, m)
    }
}

fn write_typed<T: Numeric + std::ops::AddAssign>(
    ds: &mut LoomConnection,
    name: &str,
    m: &Matrix,
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
                ds.write_layer(name, .., c0..c1, block.t())?;
                c0 = c1;
            }
        }
        Matrix::Sparse {
            csr: true,
            data,
            indices,
            indptr,
            ..
        } => {
            let mut w = ColumnWriter::<T>::new(name, n_var, n_obs)?;
            let step = window_len(n_var, n_obs);
            let mut c0 = 0;
            while c0 < n_obs {
                let c1 = (c0 + step).min(n_obs);
                let (a, b) = (indptr[c0], indptr[c1]);
                if b > a {
                    let v: Vec<T> = data.read_slice::<T>(&[a], &[b - a])?.into_iter().collect();
                    let ix: Vec<u64> = indices
                        .read_slice::<u64>(&[a], &[b - a])?
                        .into_iter()
                        .collect();
                    for c in c0..c1 {
                        for k in (indptr[c] - a) as usize..(indptr[c + 1] - a) as usize {
                            let r = ix[k] as usize;
                            if r >= n_var {
                                return Err(IoError::Invalid(format!(
                                    "X: gene index {r} >= {n_var}"
                                )));
                            }
                            let _ = w.add(ds, r, c, v[k])?;
                        }
                    }
                }
                c0 = c1;
            }
            w.finish(ds)?;
        }
        Matrix::Sparse {
            csr: false,
            data,
            indices,
            indptr,
            ..
        } => {
            // CSC X: each stored column is a gene, a loom row; write windows of rows.
            let step = window_len(n_obs, n_var);
            let mut r0 = 0;
            while r0 < n_var {
                let r1 = (r0 + step).min(n_var);
                let (a, b) = (indptr[r0], indptr[r1]);
                if b > a {
                    let mut block = zeros::<T>(r1 - r0, n_obs)?;
                    let v: Vec<T> = data.read_slice::<T>(&[a], &[b - a])?.into_iter().collect();
                    let ix: Vec<u64> = indices
                        .read_slice::<u64>(&[a], &[b - a])?
                        .into_iter()
                        .collect();
                    for r in r0..r1 {
                        let mut row = block.index_axis_mut(Axis(0), r - r0);
                        for k in (indptr[r] - a) as usize..(indptr[r + 1] - a) as usize {
                            let c = ix[k] as usize;
                            let cell = row.get_mut(c).ok_or_else(|| {
                                IoError::Invalid(format!("X: cell index {c} >= {n_obs}"))
                            })?;
                            *cell += v[k];
                        }
                    }
                    ds.write_layer(name, r0..r1, .., block.view())?;
                }
                r0 = r1;
            }
        }
    }
    Ok(())
}
