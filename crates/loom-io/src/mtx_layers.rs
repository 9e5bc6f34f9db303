//! MatrixMarket files into loom layers, and loompy's `create_from_matrix_market`
//! (loompy-api.md §2.9).
//!
//! Entries stream into chunk-aligned column windows. Cell Ranger and STARsolo write their
//! entries column by column, so one pass suffices; a file in another order (or read
//! transposed) is read again through an external sort by column (runs of bounded size
//! spilled to temporary files and merged), then written the same way, so memory stays
//! bounded whatever the file's size and order.

use std::ops::AddAssign;
use std::path::{Path, PathBuf};

use loom_core::hdf5_lite::read::Numeric;
use loom_core::{AttrValues, LoomConnection};

use crate::error::{IoError, Result};
use crate::extsort::{Item, Sorter};
use crate::mtx::{Field, MtxReader, MAX_VALUES};
use crate::sink::{create_layer, ColumnWriter};
use crate::text::read_lines;

/// Shape (rows, cols) of a MatrixMarket file as loom will hold it, and its field.
pub fn mtx_shape(path: &Path, transposed: bool) -> Result<((usize, usize), Field)> {
    let r = MtxReader::open(path, 1)?;
    let shape = if transposed {
        (r.cols, r.rows)
    } else {
        (r.rows, r.cols)
    };
    Ok((shape, r.field))
}

/// Fills the existing layers `names` (all of the file's shape, `transposed` if the file is
/// cells x genes) from the MatrixMarket file at `path`: value k of each entry goes to
/// layer k (STARsolo's 3-value Velocyto matrix fills three layers in one pass).
pub fn fill_layers<T: Numeric + AddAssign>(
    ds: &mut LoomConnection,
    path: &Path,
    names: &[&str],
    transposed: bool,
) -> Result<()> {
    let shape = mtx_shape(path, transposed)?.0;
    fill_mapped::<T>(ds, path, names, transposed, shape.1, None)
}

/// [`fill_layers`] into layers of `cols` columns, file column c going to loom column
/// `map[c]` (entries of columns mapped to None are dropped).
pub(crate) fn fill_mapped<T: Numeric + AddAssign>(
    ds: &mut LoomConnection,
    path: &Path,
    names: &[&str],
    transposed: bool,
    cols: usize,
    map: Option<&[Option<usize>]>,
) -> Result<()> {
    let k = names.len().clamp(1, MAX_VALUES);
    let rows = mtx_shape(path, transposed)?.0 .0;
    let writers = || {
        names
            .iter()
            .map(|n| ColumnWriter::<T>::new(n, rows, cols))
            .collect::<Result<Vec<_>>>()
    };
    let mut ws = writers()?;
    let place = |e: &crate::mtx::Entry| -> Option<(usize, usize)> {
        let (r, c) = if transposed {
            (e.col, e.row)
        } else {
            (e.row, e.col)
        };
        match map {
            Some(m) => m.get(c).copied().flatten().map(|c| (r, c)),
            None => Some((r, c)),
        }
    };
    let mut reader = MtxReader::open(path, k)?;
    let mut sorted = true;
    'read: while let Some(e) = reader.next_entry()? {
        let Some((r, c)) = place(&e) else { continue };
        for (w, v) in ws.iter_mut().zip(e.values) {
            if w.add(ds, r, c, T::from_f64(v))?.is_err() {
                sorted = false;
                break 'read;
            }
        }
    }
    if !sorted {
        // Not in column order: sort the entries by column, then write every window again.
        let mut sorter = Sorter::new(k);
        let mut reader = MtxReader::open(path, k)?;
        while let Some(e) = reader.next_entry()? {
            if let Some((r, c)) = place(&e) {
                sorter.push(Item {
                    major: c as u64,
                    minor: r as u64,
                    values: e.values,
                })?;
            }
        }
        let mut entries = sorter.finish()?;
        ws = writers()?;
        while let Some(e) = entries.next_item()? {
            for (w, v) in ws.iter_mut().zip(e.values) {
                // Sorted, so never out of order.
                let _ = w.add(ds, e.minor as usize, e.major as usize, T::from_f64(v))?;
            }
        }
    }
    for w in ws {
        w.finish(ds)?;
    }
    Ok(())
}

/// The numpy type loompy ends up with for a MatrixMarket field (`mmread`: int64 for
/// integer, float64 otherwise).
pub(crate) fn field_dtype(field: Field) -> &'static str {
    match field {
        Field::Integer => "int64",
        Field::Real | Field::Pattern => "float64",
    }
}

/// Creates layer `name` from `path` with loompy's type for its field.
pub(crate) fn import_layer(
    ds: &mut LoomConnection,
    name: &str,
    path: &Path,
    transposed: bool,
) -> Result<()> {
    let (shape, field) = mtx_shape(path, transposed)?;
    create_layer(ds, name, shape, field_dtype(field))?;
    match field {
        Field::Integer => fill_layers::<i64>(ds, path, &[name], transposed),
        _ => fill_layers::<f64>(ds, path, &[name], transposed),
    }
}

/// Sets layer `target` to the sum of layers `parts`, one column window at a time.
pub(crate) fn sum_layers(ds: &mut LoomConnection, target: &str, parts: &[&str]) -> Result<()> {
    let (n, m) = ds.shape();
    let (n, m) = (n as usize, m as usize);
    let width = crate::sink::window_len(n, m);
    let int = parts
        .iter()
        .map(|p| ds.layers().dtype(p))
        .collect::<Result<Vec<_>, _>>()?
        .iter()
        .all(|d| d.starts_with("int") || d.starts_with("uint"));
    let mut start = 0;
    while start < m {
        let end = (start + width).min(m);
        if int {
            add_window::<i64>(ds, target, parts, start..end)?;
        } else {
            add_window::<f64>(ds, target, parts, start..end)?;
        }
        start = end;
    }
    Ok(())
}

fn add_window<T: Numeric + AddAssign>(
    ds: &mut LoomConnection,
    target: &str,
    parts: &[&str],
    cols: std::ops::Range<usize>,
) -> Result<()> {
    let mut acc: Option<ndarray::Array2<T>> = None;
    for p in parts {
        let w = ds.layers().read::<T>(p, .., cols.clone())?;
        match acc.as_mut() {
            Some(a) => *a += &w,
            None => acc = Some(w),
        }
    }
    if let Some(a) = acc {
        if a.iter().any(|v| v.to_f64() != 0.0) {
            ds.layers_mut().write(target, .., cols, a.view())?;
        }
    }
    Ok(())
}

/// `create_from_matrix_market`'s inputs.
#[derive(Debug, Clone, Default)]
pub struct MtxImport {
    /// Prefix of the cell IDs: `CellID = "{sample_id}:{line}"`.
    pub sample_id: String,
    /// (layer name, file) pairs; `""` is the main layer. Without `""` the main layer is
    /// the sum of the others.
    pub layers: Vec<(String, PathBuf)>,
    /// Row metadata: `Accession` is column 1, `Gene` column 2 when the first line has more
    /// than one field.
    pub row_metadata: PathBuf,
    /// Column metadata: one barcode per line.
    pub col_metadata: PathBuf,
    /// The files are cells x genes.
    pub transposed: bool,
    /// Global attributes to set.
    pub file_attrs: Vec<(String, String)>,
}

/// loompy's `create_from_matrix_market`, into `ds` (a new, empty connection).
pub fn import_matrix_market(ds: &mut LoomConnection, opts: &MtxImport) -> Result<()> {
    let Some((_, first)) = opts.layers.first() else {
        return Err(IoError::Invalid("no layer files given".into()));
    };
    let main = opts.layers.iter().find(|(n, _)| n.is_empty());
    let (shape, field) = mtx_shape(main.map_or(first, |(_, p)| p), opts.transposed)?;
    for (_, path) in &opts.layers {
        if mtx_shape(path, opts.transposed)?.0 != shape {
            return Err(IoError::Invalid(format!(
                "{} is not the shape of the main matrix ({} x {})",
                path.display(),
                shape.0,
                shape.1
            )));
        }
    }
    let rows = read_lines(&opts.row_metadata)?;
    let cols = read_lines(&opts.col_metadata)?;
    check_len(&opts.row_metadata, rows.len(), shape.0, "rows")?;
    check_len(&opts.col_metadata, cols.len(), shape.1, "columns")?;
    for (k, v) in &opts.file_attrs {
        ds.attrs_mut().set(k, v.as_str())?;
    }
    match main {
        Some((_, p)) => import_layer(ds, "", p, opts.transposed)?,
        None => create_layer(ds, "", shape, field_dtype(field))?,
    }
    for (name, path) in opts.layers.iter().filter(|(n, _)| !n.is_empty()) {
        import_layer(ds, name, path, opts.transposed)?;
    }
    if main.is_none() {
        let parts: Vec<&str> = opts.layers.iter().map(|(n, _)| n.as_str()).collect();
        sum_layers(ds, "", &parts)?;
    }
    let accession: Vec<&str> = rows
        .iter()
        .map(|l| l.split('\t').next().unwrap_or(""))
        .collect();
    ds.ra_mut().set("Accession", AttrValues::from(accession))?;
    if rows.first().is_some_and(|l| l.split('\t').count() > 1) {
        let gene: Vec<&str> = rows
            .iter()
            .map(|l| l.split('\t').nth(1).unwrap_or("").trim())
            .collect();
        ds.ra_mut().set("Gene", AttrValues::from(gene))?;
    }
    let ids: Vec<String> = cols
        .iter()
        .map(|b| format!("{}:{}", opts.sample_id, b.trim()))
        .collect();
    ds.ca_mut().set("CellID", AttrValues::from(ids))?;
    Ok(())
}

pub(crate) fn check_len(path: &Path, got: usize, want: usize, what: &str) -> Result<()> {
    if got != want {
        return Err(IoError::format(
            path,
            0,
            format!("{got} lines, but the matrix has {want} {what}"),
        ));
    }
    Ok(())
}
