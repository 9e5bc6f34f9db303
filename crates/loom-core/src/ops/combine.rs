//! `combine` and `combine_faster` (loompy-api.md §2.4, §2.5): one file with the columns
//! of several. Both write a temporary file beside the output and rename it into place
//! only when everything succeeded, so a failure (or an interruption) leaves no output
//! file and an existing one untouched; the inputs are only read.
//!
//! `combine` copies the first file as it is (its compressed chunks are not touched) and
//! [`add_loom`](LoomConnection::add_loom)s the others. `combine_faster` streams every
//! layer of every input in column windows into a new file (loompy's version holds each
//! input in memory).
//!
//! Differences from loompy, on purpose: `combine_faster` fills a string column
//! attribute missing from some input with `""` (loompy's zeros become the string
//! `"0"`); memory is bounded by a window of about 16 M values, not by the input size.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use hdf5_lite::read::{Dataset, Numeric};
use hdf5_lite::write::{AttrValue, Writer};

use super::add_columns::{repeat, zero_of};
use super::add_loom::AddLoomOptions;
use super::copy_columns::{self, Target};
use super::{argsort, check_rewritable, with_numeric, StagedAttr};
use crate::axis::Axis;
use crate::connection::{LoomConnection, Mode};
use crate::error::{LoomError, Result};
use crate::layers::LayerOptions;
use crate::layout;
use crate::progress::Progress;
use crate::timestamp::timestamp;
use crate::values::AttrValues;

/// The arguments of [`combine`], with loompy's defaults.
#[derive(Debug, Clone)]
pub struct CombineOptions {
    /// A row attribute aligning the rows of every file to the first.
    pub key: Option<String>,
    /// Global attributes to set on the output.
    pub file_attrs: Vec<(String, AttrValues)>,
    /// Columns copied per window (default 1000).
    pub batch_size: usize,
    /// Global attributes that differ become column attributes (see
    /// [`AddLoomOptions::convert_attrs`]).
    pub convert_attrs: bool,
    /// Hears the columns appended (those of every file after the first, once per
    /// layer).
    pub progress: Progress,
}

impl Default for CombineOptions {
    fn default() -> Self {
        CombineOptions {
            key: None,
            file_attrs: Vec::new(),
            batch_size: 1000,
            convert_attrs: false,
            progress: Progress::default(),
        }
    }
}

/// What [`combine_faster`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CombineStats {
    /// Chunks copied as they are stored (compressed), without decoding them: those whose
    /// columns are all selected and land on the output's chunk grid, with the output's
    /// chunk shape, type and filters.
    pub raw_chunks: u64,
    /// Columns (of all layers) decoded and encoded again.
    pub decoded_columns: u64,
}

/// The arguments of [`combine_faster`].
#[derive(Debug, Clone, Default)]
pub struct CombineFasterOptions {
    /// Global attributes of the output.
    pub file_attrs: Vec<(String, AttrValues)>,
    /// Per input, a mask of the columns to take (`None`: all).
    pub selections: Option<Vec<Option<Vec<bool>>>>,
    /// A row attribute: the output rows are sorted by it (each input's own order).
    pub key: Option<String>,
    /// Column attributes left out.
    pub skip_attrs: Vec<String>,
    /// Hears the output columns written (once per layer).
    pub progress: Progress,
}

/// A temporary path beside `out`, removed on drop unless kept.
struct Temp {
    path: PathBuf,
    keep: bool,
}

impl Temp {
    fn beside(out: &Path) -> Self {
        let name = out
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let path = out.with_file_name(format!(".{name}.{}.tmp", std::process::id()));
        Temp { path, keep: false }
    }

    fn finish(mut self, out: &Path) -> Result<()> {
        std::fs::rename(&self.path, out)?;
        self.keep = true;
        Ok(())
    }
}

impl Drop for Temp {
    fn drop(&mut self) {
        if !self.keep {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// loompy's `combine(files, output_file, key=…, file_attrs=…, batch_size=…,
/// convert_attrs=…)`: the first file, then the columns of each other file appended with
/// [`add_loom`](LoomConnection::add_loom). Rows, row attributes and graphs come from the
/// first file; every layer of the first file must be in the others.
pub fn combine(
    files: &[impl AsRef<Path>],
    out: impl AsRef<Path>,
    opts: &CombineOptions,
) -> Result<()> {
    let Some(first) = files.first() else {
        return Err(LoomError::InvalidInput(
            "The input file list was empty".to_owned(),
        ));
    };
    let out = out.as_ref();
    let others: Vec<LoomConnection> = files[1..]
        .iter()
        .map(|f| crate::connect(f, Mode::Read))
        .collect::<Result<_>>()?;
    let tmp = Temp::beside(out);
    std::fs::copy(first.as_ref(), &tmp.path)?;
    let mut ds = crate::connect(&tmp.path, Mode::ReadWrite)?;
    // Progress: each other file's columns once per layer (as add_loom reports them).
    let layers = ds.layers().keys()?.len() as u64;
    let total: u64 = others.iter().map(|o| o.shape().1 * layers).sum();
    let mut before = 0;
    for (k, v) in &opts.file_attrs {
        ds.attrs_mut().set(k, v.clone())?;
    }
    let add = AddLoomOptions {
        key: opts.key.clone(),
        batch_size: opts.batch_size,
        convert_attrs: opts.convert_attrs,
        ..AddLoomOptions::default()
    };
    for other in &others {
        let outer = opts.progress.clone();
        ds.set_progress(Progress::new(move |done, _| {
            outer.report(before + done, total)
        }));
        ds.add_loom_from(other, &add)?;
        before += other.shape().1 * layers;
    }
    ds.close()?;
    tmp.finish(out)
}

/// loompy's `combine_faster(files, output_file, file_attrs=…, selections=…, key=…,
/// skip_attrs=…)`: every file must have the same rows; the output has the union of the
/// layers (zeros where a file lacks one) and of the column attributes, the row
/// attributes of the first file that has each, sorted by `key` if given; global
/// attributes and graphs of the inputs are not copied.
///
/// Where a stored chunk of an input holds only selected columns that land on the
/// output's chunk grid, and the input layer has the output's chunk shape, type and
/// filters (loompy's defaults: 64 × 64, gzip 2), it is copied compressed, as it is;
/// the rest is decoded and encoded again. The returned [`CombineStats`] count both.
pub fn combine_faster(
    files: &[impl AsRef<Path>],
    out: impl AsRef<Path>,
    opts: &CombineFasterOptions,
) -> Result<CombineStats> {
    if files.is_empty() {
        return Err(LoomError::InvalidInput(
            "The input file list was empty".to_owned(),
        ));
    }
    let inputs: Vec<LoomConnection> = files
        .iter()
        .map(|f| crate::connect(f, Mode::Read))
        .collect::<Result<_>>()?;
    let n_rows = inputs[0].shape().0;
    for ds in &inputs {
        if ds.shape().0 != n_rows {
            return Err(LoomError::InvalidInput(format!(
                "All files must have exactly the same number of rows, but {} had {} rows while previous files had {n_rows}",
                ds.path().display(),
                ds.shape().0
            )));
        }
    }
    let selections = match &opts.selections {
        Some(s) if s.len() != inputs.len() => {
            return Err(LoomError::InvalidInput(format!(
                "{} selections for {} files",
                s.len(),
                inputs.len()
            )))
        }
        Some(s) => s.clone(),
        None => vec![None; inputs.len()],
    };
    // Selected columns of each input.
    let mut picked: Vec<Vec<usize>> = Vec::new();
    for (ds, sel) in inputs.iter().zip(&selections) {
        let m = ds.shape().1 as usize;
        picked.push(match sel {
            Some(mask) if mask.len() != m => {
                return Err(LoomError::Selection(format!(
                    "boolean index did not match indexed array: {} has {m} columns but the selection has {}",
                    ds.path().display(),
                    mask.len()
                )))
            }
            Some(mask) => (0..m).filter(|&j| mask[j]).collect(),
            None => (0..m).collect(),
        });
    }
    let n_cells: usize = picked.iter().map(Vec::len).sum();
    let orderings: Vec<Option<Vec<usize>>> = inputs
        .iter()
        .map(|ds| match &opts.key {
            Some(k) => Ok(super::unless_in_order(argsort(&ds.ra().get(k)?, k)?)),
            None => Ok(None),
        })
        .collect::<Result<_>>()?;
    // Layers: the union, each with one type.
    let mut layers: Vec<(String, &'static str)> = Vec::new();
    for ds in &inputs {
        for name in ds.layers().keys()? {
            let dt = ds.layers().dtype(&name)?;
            match layers.iter().find(|(k, _)| *k == name) {
                Some((_, t)) if *t != dt => {
                    return Err(LoomError::InvalidInput(format!(
                        "Each layer must be same datatype in all files, but {name} is {dt} in {} and {t} elsewhere",
                        ds.path().display()
                    )))
                }
                Some(_) => {}
                None => {
                    check_rewritable(dt)?;
                    layers.push((name, dt));
                }
            }
        }
    }
    // Row attributes: the first file that has each.
    let mut row_attrs: BTreeMap<String, AttrValues> = BTreeMap::new();
    for (ds, ord) in inputs.iter().zip(&orderings) {
        for (k, v) in ds.ra().items()? {
            if row_attrs.contains_key(&k) {
                continue;
            }
            let v = match ord {
                Some(o) => crate::view::select_rows(&v, o, v.len(), &k)?,
                None => v,
            };
            row_attrs.insert(k, v);
        }
    }
    let col_attrs = gather_col_attrs(&inputs, &picked, &opts.skip_attrs)?;
    let out = out.as_ref();
    let tmp = Temp::beside(out);
    let mut dsout = crate::new(&tmp.path)?;
    for (k, v) in &opts.file_attrs {
        dsout.attrs_mut().set(k, v.clone())?;
    }
    let mut staged = Vec::new();
    for (k, v) in &row_attrs {
        staged.push(StagedAttr::new(&dsout, Axis::Rows, k, v)?);
    }
    for (k, v) in &col_attrs {
        staged.push(StagedAttr::new(&dsout, Axis::Cols, k, v)?);
    }
    let sources: Vec<Vec<Option<Dataset>>> = inputs
        .iter()
        .map(|ds| {
            layers
                .iter()
                .map(|(name, _)| ds.layers().dataset(name).ok())
                .collect()
        })
        .collect();
    let files: Vec<hdf5_lite::read::File> = inputs.iter().map(LoomConnection::hdf5).collect();
    let stamp = AttrValue::string(&timestamp());
    let total = n_cells as u64;
    let all = total.saturating_mul(layers.len() as u64);
    let mut stats = CombineStats::default();
    dsout.edit(|w| {
        // The main layer first (it makes the shape); the union keeps first-seen order.
        let mut order: Vec<usize> = (0..layers.len()).collect();
        order.sort_by_key(|&i| !layers[i].0.is_empty());
        for (pos, li) in order.into_iter().enumerate() {
            let layer_start = total * pos as u64;
            let (name, dt) = &layers[li];
            let datatype = crate::layers::parse_dtype(dt)
                .map_err(|e| hdf5_lite::Error::InvalidInput(e.to_string()))?;
            let path = LoomConnection::fresh_layer(
                w,
                name,
                (n_rows, total),
                datatype.clone(),
                &LayerOptions::default(),
            )?;
            let grid = Grid {
                path: &path,
                chunks: (n_rows.clamp(1, 64), total.clamp(1, 64)),
                datatype: &datatype,
                total,
            };
            let mut offset = 0u64;
            for (fi, cols) in picked.iter().enumerate() {
                let before = layer_start + offset;
                let report = |done: u64| opts.progress.report(before + done, all);
                if let Some(src) = &sources[fi][li] {
                    let input = Input {
                        file: &files[fi],
                        dataset: src,
                        raw: orderings[fi].is_none() && grid.matches(src),
                    };
                    let done: Result<()> = with_numeric!(*dt, T => Ok(copy_columns::<T>(
                        w, &input, &grid, offset, cols, orderings[fi].as_deref(), &mut stats, &report
                    )?));
                    done.map_err(|e| match e {
                        LoomError::Hdf5(e) => e,
                        other => hdf5_lite::Error::InvalidInput(other.to_string()),
                    })?;
                }
                offset += cols.len() as u64;
                report(cols.len() as u64);
            }
            w.set_attribute(&path, layout::LAST_MODIFIED, &stamp)?;
        }
        for a in &staged {
            a.write(w, &stamp)?;
        }
        w.set_attribute(layout::ROOT, layout::LAST_MODIFIED, &stamp)
    })?;
    dsout.close()?;
    tmp.finish(out)?;
    Ok(stats)
}

/// The output layer of [`combine_faster`]: where its chunks lie.
struct Grid<'a> {
    path: &'a str,
    chunks: (u64, u64),
    datatype: &'a hdf5_lite::format::messages::Datatype,
    /// Output columns.
    total: u64,
}

impl Grid<'_> {
    /// Whether `d`'s stored chunks can be copied into this layer as they are: the same
    /// chunk shape, stored type and filters (gzip 2 alone, as the output is written).
    fn matches(&self, d: &Dataset) -> bool {
        let filters: Vec<(u16, &[u32])> = d
            .filters()
            .iter()
            .map(|f| (f.id, f.client_data.as_slice()))
            .collect();
        d.chunks() == Some(&[self.chunks.0, self.chunks.1][..])
            && d.datatype() == self.datatype
            && filters == [(1u16, &[2u32][..])]
    }
}

/// One input layer of [`combine_faster`].
struct Input<'a> {
    file: &'a hdf5_lite::read::File,
    dataset: &'a Dataset,
    /// Whether its chunks may be copied raw ([`Grid::matches`], rows in stored order).
    raw: bool,
}

/// Copies the columns `cols` (increasing) of an input layer to the output from column
/// `offset` on: each stored chunk that holds only selected columns landing on an output
/// chunk (whole, or the output's last) is copied as it is; the columns between are
/// decoded and written by [`copy_selected`]; `report` hears how many of `cols` are done.
#[allow(clippy::too_many_arguments)]
fn copy_columns<T: Numeric>(
    w: &mut Writer,
    input: &Input<'_>,
    grid: &Grid<'_>,
    offset: u64,
    cols: &[usize],
    ordering: Option<&[usize]>,
    stats: &mut CombineStats,
    report: &dyn Fn(u64),
) -> hdf5_lite::Result<()> {
    let d = input.dataset;
    let m = match d.shape() {
        [_, m] => *m,
        _ => return Ok(()),
    };
    if !input.raw || cols.is_empty() {
        stats.decoded_columns += cols.len() as u64;
        return copy_selected::<T>(w, d, grid, offset, cols, ordering, report);
    }
    let cc = grid.chunks.1;
    // Stored chunks by their first column.
    let mut by_col: BTreeMap<u64, Vec<hdf5_lite::format::chunk_index::ChunkRecord>> =
        BTreeMap::new();
    for r in d.chunk_records()? {
        if let Some(&c0) = r.offset.get(1) {
            by_col.entry(c0).or_default().push(r);
        }
    }
    let mut p = 0;
    let mut pending = 0; // first position of the columns still to decode
    while p < cols.len() {
        let c0 = cols[p] as u64;
        let width = cc.min(m - c0.min(m)) as usize;
        let at = offset + p as u64;
        let whole = c0.is_multiple_of(cc)
            && at.is_multiple_of(cc)
            && width > 0
            && (width as u64 == cc || at + width as u64 == grid.total)
            && cols.get(p + width - 1) == Some(&(cols[p] + width - 1));
        let records = by_col.get(&c0).filter(|_| whole);
        let Some(records) = records else {
            p += 1;
            continue;
        };
        if pending < p {
            stats.decoded_columns += (p - pending) as u64;
            let report = |done: u64| report(pending as u64 + done);
            copy_selected::<T>(
                w,
                d,
                grid,
                offset + pending as u64,
                &cols[pending..p],
                None,
                &report,
            )?;
        }
        for r in records {
            let bytes = input.file.read_raw_chunk(r)?;
            w.write_raw_chunk(grid.path, &[r.offset[0], at], r.filter_mask, &bytes)?;
            stats.raw_chunks += 1;
        }
        p += width;
        pending = p;
        report(p as u64);
    }
    if pending < cols.len() {
        stats.decoded_columns += (cols.len() - pending) as u64;
        let report = |done: u64| report(pending as u64 + done);
        copy_selected::<T>(
            w,
            d,
            grid,
            offset + pending as u64,
            &cols[pending..],
            None,
            &report,
        )?;
    }
    Ok(())
}

/// The column attributes of the selected columns of every input, joined; an attribute
/// missing from an input gets zeros (`""` for strings) there.
fn gather_col_attrs(
    inputs: &[LoomConnection],
    picked: &[Vec<usize>],
    skip: &[String],
) -> Result<BTreeMap<String, AttrValues>> {
    let per_file: Vec<BTreeMap<String, AttrValues>> = inputs
        .iter()
        .map(|ds| {
            Ok(ds
                .ca()
                .items()?
                .into_iter()
                .filter(|(k, _)| !skip.contains(k))
                .collect())
        })
        .collect::<Result<_>>()?;
    let mut like: BTreeMap<&String, &AttrValues> = BTreeMap::new();
    for (ds, attrs) in inputs.iter().zip(&per_file) {
        for (k, v) in attrs {
            match like.get(k) {
                Some(first) if first.dtype() != v.dtype() || first.shape().get(1..) != v.shape().get(1..) => {
                    return Err(LoomError::InvalidInput(format!(
                        "Each column attribute must be same datatype in all files, but {k} is {} in {} and {} elsewhere",
                        v.dtype().name(),
                        ds.path().display(),
                        first.dtype().name()
                    )))
                }
                Some(_) => {}
                None => {
                    like.insert(k, v);
                }
            }
        }
    }
    let mut out = BTreeMap::new();
    for (k, first) in like {
        let mut joined: Option<AttrValues> = None;
        for (attrs, cols) in per_file.iter().zip(picked) {
            let part = match attrs.get(k) {
                Some(v) => crate::view::select_rows(v, cols, v.len(), k)?,
                None => repeat(&zero_of(first), cols.len(), k)?,
            };
            joined = Some(match joined {
                None => part,
                Some(j) => super::add_columns::concat(&j, &part, k)?.ok_or_else(|| {
                    LoomError::InvalidInput(format!("column attribute '{k}' changes shape"))
                })?,
            });
        }
        if let Some(j) = joined {
            out.insert(k.clone(), j);
        }
    }
    Ok(out)
}

/// Copies the columns `cols` (increasing) of `source` into the output layer from column
/// `offset` on, rows taken in `ordering` when given (see [`copy_columns::copy_columns`]).
fn copy_selected<T: Numeric>(
    w: &mut Writer,
    source: &Dataset,
    grid: &Grid<'_>,
    offset: u64,
    cols: &[usize],
    ordering: Option<&[usize]>,
    report: &dyn Fn(u64),
) -> hdf5_lite::Result<()> {
    let cols: Vec<u64> = cols.iter().map(|&c| c as u64).collect();
    let rows: Option<Vec<u64>> = ordering.map(|o| o.iter().map(|&i| i as u64).collect());
    let target = Target {
        path: grid.path,
        chunk_rows: grid.chunks.0,
        chunk_cols: grid.chunks.1,
        offset,
    };
    copy_columns::copy_columns::<T>(w, source, &target, &cols, rows.as_deref(), report)
}
