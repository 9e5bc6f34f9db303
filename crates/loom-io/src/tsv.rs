//! loompy's `create_from_tsv` (loompy-api.md §2.8): a tab-separated matrix (genes in rows,
//! a header of cell IDs; gzipped when the name ends in `.gz`) into loom, streamed in
//! chunk-aligned row windows after a first pass that counts the rows.
//!
//! As loompy: when the first data row has as many fields as the header, the header's first
//! field is a title and is skipped; surrounding double quotes are stripped; `CellID` is
//! `sample_id + header field` (no separator); `Gene` is each row's first field; the values
//! are stored as `dtype` (float32 by default; floats are truncated into integer types);
//! an optional metadata TSV adds string column attributes, its first column checked
//! against the cell IDs in order. Differences: blank lines are skipped (loompy fails on
//! them); `row_metadata_loomfile` is not supported.

use std::path::PathBuf;

use loom_core::{AttrValues, LoomConnection};

use crate::error::{IoError, Result};
use crate::sink::{create_layer, window_len, zeros};
use crate::text::Lines;

/// `create_from_tsv`'s inputs.
#[derive(Debug, Clone)]
pub struct TsvImport {
    /// The matrix file.
    pub path: PathBuf,
    /// The field delimiter.
    pub delim: char,
    /// Stored type of the matrix (a numpy name).
    pub dtype: String,
    /// Prefix of every cell ID.
    pub sample_id: String,
    /// Optional per-cell metadata (header: attribute names; column 1: the cell IDs).
    pub col_metadata: Option<PathBuf>,
    /// Its delimiter.
    pub metadata_delim: char,
}

impl TsvImport {
    /// loompy's defaults for `path`.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        TsvImport {
            path: path.into(),
            delim: '\t',
            dtype: "float32".into(),
            sample_id: String::new(),
            col_metadata: None,
            metadata_delim: '\t',
        }
    }
}

fn unquote(s: &str) -> &str {
    if s.len() >= 3 && s.starts_with('"') && s.ends_with('"') {
        &s[1..s.len() - 1]
    } else {
        s
    }
}

/// Imports the TSV into `ds` (a new, empty connection).
pub fn import_tsv(ds: &mut LoomConnection, opts: &TsvImport) -> Result<()> {
    // Pass 1: the header, whether it has a title field, and the number of rows.
    let mut lines = Lines::open(&opts.path)?;
    if !lines.advance()? {
        return Err(lines.error("empty file"));
    }
    let header: Vec<String> = lines
        .current()
        .trim_end()
        .split(opts.delim)
        .map(|f| unquote(f).to_owned())
        .collect();
    let mut skip_title = false;
    let mut nrows = 0usize;
    while lines.advance()? {
        if lines.current().trim().is_empty() {
            continue;
        }
        if nrows == 0 {
            skip_title = lines.current().trim_end().split(opts.delim).count() == header.len();
        }
        nrows += 1;
    }
    let cells: Vec<String> = header[usize::from(skip_title)..]
        .iter()
        .map(|c| format!("{}{c}", opts.sample_id))
        .collect();
    let m = cells.len();
    if nrows == 0 || m == 0 {
        return Err(IoError::format(
            &opts.path,
            1,
            "no data rows or no cell columns",
        ));
    }
    create_layer(ds, "", (nrows, m), &opts.dtype)?;

    // Pass 2: the rows, one window at a time.
    let mut lines = Lines::open(&opts.path)?;
    lines.advance()?;
    let height = window_len(m, nrows);
    let mut block = zeros::<f64>(height.min(nrows), m)?;
    let mut genes = Vec::with_capacity(nrows);
    let (mut r0, mut k) = (0usize, 0usize);
    while lines.advance()? {
        let line = lines.current().trim_end();
        if line.trim().is_empty() {
            continue;
        }
        let mut fields = line.split(opts.delim);
        genes.push(unquote(fields.next().unwrap_or("")).to_owned());
        let mut row = block.row_mut(k);
        let mut count = 0;
        for (j, f) in fields.enumerate() {
            let v: f64 = f
                .trim()
                .parse()
                .map_err(|_| lines.error(format!("'{f}' is not a number")))?;
            if let Some(cell) = row.get_mut(j) {
                *cell = v;
            }
            count += 1;
        }
        if count != m {
            return Err(lines.error(format!("{count} values for {m} cells")));
        }
        k += 1;
        if k == block.nrows() || r0 + k == nrows {
            ds.write_layer("", r0..r0 + k, .., block.slice(ndarray::s![..k, ..]))?;
            r0 += k;
            k = 0;
        }
    }
    ds.ra_mut().set("Gene", AttrValues::from(genes))?;
    ds.ca_mut().set("CellID", AttrValues::from(cells.clone()))?;
    if let Some(meta) = &opts.col_metadata {
        for (name, values) in metadata(meta, opts.metadata_delim, &cells, &opts.path)? {
            ds.ca_mut().set(&name, AttrValues::from(values))?;
        }
    }
    Ok(())
}

/// The metadata columns, checked against the cell IDs (loompy's message).
fn metadata(
    path: &std::path::Path,
    delim: char,
    cells: &[String],
    tsv: &std::path::Path,
) -> Result<Vec<(String, Vec<String>)>> {
    let mut lines = Lines::open(path)?;
    if !lines.advance()? {
        return Err(lines.error("empty metadata file"));
    }
    let names: Vec<String> = lines
        .current()
        .trim_end()
        .split(delim)
        .map(|f| unquote(f).to_owned())
        .collect();
    let mut cols: Vec<Vec<String>> = vec![Vec::new(); names.len()];
    let mut row = 0usize;
    while lines.advance()? {
        let values: Vec<&str> = lines
            .current()
            .trim_end()
            .split(delim)
            .map(unquote)
            .collect();
        let id = values.first().copied().unwrap_or("");
        let want = cells.get(row).map_or("", String::as_str);
        if id != want {
            return Err(IoError::Invalid(format!(
                "CellID {id} at row {row} in {} does not match with corresponding header column {want} of {}",
                path.display(),
                tsv.display()
            )));
        }
        let first = if values.len() == names.len() { 0 } else { 1 };
        for (c, col) in cols.iter_mut().enumerate() {
            col.push(values.get(first + c).copied().unwrap_or("").to_owned());
        }
        row += 1;
    }
    if row != cells.len() {
        return Err(lines.error(format!("{row} metadata rows for {} cells", cells.len())));
    }
    Ok(names.into_iter().zip(cols).collect())
}
