//! `scan` (loompy-api.md §3.8) and the deprecated `batch_scan` / `batch_scan_layers`
//! (§3.9): windows of `batch_size` rows or columns, each with the selected items.
//!
//! Each window is read as one selection of every layer (the window's items, the other
//! axis in the key's order: every chunk it touches decoded once, in parallel by
//! hdf5-lite) on a background thread, one window ahead of the caller: while the caller
//! works on window k, window k+1 is being decoded (`crate::prefetch`). The attributes and
//! graphs of the other axis are the same in every window: they are selected once.
//!
//! Three ways to take the windows: the [`Scan`] iterator hands out owned [`ScanBatch`]es
//! (loompy's shape; each view's matrices are fresh memory), [`Scan::for_each_batch`]
//! lends each batch to a closure and reuses its memory for the next one (no allocation
//! per window), and [`Scan::for_each_batch_as`] lends the layers as any numeric type,
//! decoded straight into the batch's buffers (`f32` for a `float32` file, as loompy
//! yields them: the fastest path, with no widening pass). The `f64` forms decode the
//! next window (as `f32` where exact) while the caller works on the current one; the
//! typed form decodes each window into the buffers the caller hands back, so it holds
//! one window of `T` instead of two (scan's peak stays within twice the batch).
//!
//! Differences from loompy, on purpose:
//! - arguments are checked when the scan is made, not when it is first advanced;
//! - `items` may be a list on either axis (loompy takes only numpy arrays, and a start
//!   index only on axis 1);
//! - a window whose items merely number as many as the window (say `[0, 0, 2]` in a
//!   window of 3) keeps its items; loompy treats it as the whole window;
//! - with a `key`, graphs of the other axis are renumbered with the ordering (loompy's
//!   graph slicing renumbers by sorted index, so its graphs do not follow the ordering).

use std::collections::BTreeMap;

use hdf5_lite::read::Dataset;
use ndarray::Array2;
use sprs::TriMat;

mod batch_scan;
mod typed;

pub use batch_scan::{BatchScanItem, BatchScanLayersItem};
pub use typed::ScanBatchAs;

use super::argsort;
use crate::axis::Axis;
use crate::connection::LoomConnection;
use crate::error::{LoomError, Result};
use crate::prefetch::{Plan, Prefetch, Span};
use crate::values::AttrValues;
use crate::view::{select_attrs, select_graphs, LoomView, ViewLayer, ViewParts};

/// Which items of the scanned axis to visit (loompy's `items`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Items {
    /// Every item (`None`).
    #[default]
    All,
    /// These indices, in any order, repeats kept; out-of-range ones are ignored, as in
    /// loompy. Within a window they keep the order given.
    Indices(Vec<i64>),
    /// A boolean mask (`np.where(mask)`); entries past the axis are ignored.
    Mask(Vec<bool>),
    /// Every item from this index on (loompy's plain `int`).
    From(u64),
}

/// What a scan's views hold (loompy's `what`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// The layers (required).
    Layers,
    /// The row attributes.
    RowAttrs,
    /// The column attributes.
    ColAttrs,
    /// The row graphs.
    RowGraphs,
    /// The column graphs.
    ColGraphs,
}

/// The arguments of [`LoomConnection::scan`], with loompy's defaults.
#[derive(Debug, Clone)]
pub struct ScanOptions {
    /// Items of the scanned axis to visit.
    pub items: Items,
    /// Layers to read; `None`: every layer.
    pub layers: Option<Vec<String>>,
    /// An attribute of the other axis: the other axis comes sorted by it.
    pub key: Option<String>,
    /// Items per window (default 512).
    pub batch_size: usize,
    /// What the views hold (default: everything).
    pub what: Vec<Part>,
}

impl Default for ScanOptions {
    fn default() -> Self {
        ScanOptions {
            items: Items::All,
            layers: None,
            key: None,
            batch_size: 512,
            what: vec![
                Part::ColAttrs,
                Part::RowAttrs,
                Part::Layers,
                Part::ColGraphs,
                Part::RowGraphs,
            ],
        }
    }
}

/// One window of a scan: loompy's `(ix, indexes, view)`.
#[derive(Debug)]
pub struct ScanBatch {
    /// Where the window starts on the scanned axis.
    pub ix: usize,
    /// The file indices of the view's items along the scanned axis.
    pub indexes: Vec<usize>,
    /// The window: selected items along the scanned axis, the whole other axis (sorted by
    /// the key if one was given).
    pub view: LoomView,
}

/// The iterator [`LoomConnection::scan`] returns; [`Scan::for_each_batch`] is its
/// faster, lending form.
#[derive(Debug)]
pub struct Scan {
    axis: Axis,
    windows: std::vec::IntoIter<Window>,
    /// The layers read, in `names`' order.
    datasets: Vec<Dataset>,
    /// Started with the first window taken (as `f64` batches).
    reader: Option<Prefetch>,
    /// (name, dtype) of each layer read, in the reader's order.
    names: Vec<(String, String)>,
    /// Attributes and graphs of the scanned axis (selected window by window).
    along: Side,
    /// Attributes and graphs of the other axis, already in the scan's order.
    across: Side,
    attrs: BTreeMap<String, AttrValues>,
    /// Length of the scanned axis.
    along_len: usize,
    /// The other axis' order (`None`: as stored).
    other: Option<Vec<usize>>,
    /// Length of the other axis.
    other_len: usize,
}

/// The attributes and graphs of one axis.
#[derive(Debug, Default)]
struct Side {
    attrs: BTreeMap<String, AttrValues>,
    graphs: BTreeMap<String, TriMat<f64>>,
}

impl Side {
    /// A copy (sprs' `TriMat` is not `Clone`).
    fn copy(&self) -> Side {
        let graphs = self.graphs.iter().map(|(k, g)| {
            let triplets = (
                g.row_inds().to_vec(),
                g.col_inds().to_vec(),
                g.data().to_vec(),
            );
            let g = TriMat::from_triplets(g.shape(), triplets.0, triplets.1, triplets.2);
            (k.clone(), g)
        });
        Side {
            attrs: self.attrs.clone(),
            graphs: graphs.collect(),
        }
    }
}

/// A window: its start, its width, the selected offsets inside it (`None`: all).
#[derive(Debug, Clone)]
struct Window {
    ix: usize,
    width: usize,
    sel: Option<Vec<usize>>,
}

impl Window {
    /// The window's positions on the scanned axis, as the reader takes them.
    fn span(&self) -> Span {
        match &self.sel {
            None => Span::Range {
                start: self.ix as u64,
                count: self.width as u64,
            },
            Some(s) => Span::List(s.iter().map(|&k| (self.ix + k) as u64).collect()),
        }
    }
}

impl LoomConnection {
    /// loompy's `ds.scan(items=…, axis=…, layers=…, key=…, batch_size=…, what=…)`: an
    /// iterator of [`ScanBatch`]es, one per window of `batch_size` items along `axis`
    /// that holds at least one selected item (windows start at 0, `batch_size`, …).
    ///
    /// ```no_run
    /// # use loom_core::{connect, Mode};
    /// use loom_core::ops::ScanOptions;
    /// use loom_core::Axis;
    /// let ds = connect("cells.loom", Mode::Read)?;
    /// let mut totals = vec![0.0; ds.shape().1 as usize];
    /// for batch in ds.scan(Axis::Cols, ScanOptions::default())? {
    ///     let batch = batch?;
    ///     let m = &batch.view.layer("")?.values;
    ///     for (j, &col) in batch.indexes.iter().enumerate() {
    ///         totals[col] = m.column(j).sum();
    ///     }
    /// }
    /// # Ok::<(), loom_core::LoomError>(())
    /// ```
    pub fn scan(&self, axis: Axis, opts: ScanOptions) -> Result<Scan> {
        if !opts.what.contains(&Part::Layers) {
            return Err(LoomError::InvalidInput(
                "Layers must be included in 'what' parameter (but you can select specific layers using 'layers')"
                    .to_owned(),
            ));
        }
        let other = match &opts.key {
            Some(key) => {
                let attrs = match axis {
                    Axis::Cols => self.ra(),
                    Axis::Rows => self.ca(),
                };
                Some(argsort(&attrs.get(key)?, key)?)
            }
            None => None,
        };
        let mut scan = self.scan_parts(axis, &opts.items, opts.layers, opts.batch_size, other)?;
        let want = |p| opts.what.contains(&p);
        let attrs_of = |a: crate::attrs::Attrs<'_>| -> Result<BTreeMap<String, AttrValues>> {
            Ok(a.items()?.into_iter().collect())
        };
        let graphs_of = |g: crate::graphs::GraphManager<'_>| -> Result<BTreeMap<_, _>> {
            g.keys()
                .into_iter()
                .map(|k| Ok((k.clone(), g.get(&k)?)))
                .collect()
        };
        let (mut rows, mut cols) = (Side::default(), Side::default());
        if want(Part::RowAttrs) {
            rows.attrs = attrs_of(self.ra())?;
        }
        if want(Part::ColAttrs) {
            cols.attrs = attrs_of(self.ca())?;
        }
        if want(Part::RowGraphs) {
            rows.graphs = graphs_of(self.row_graphs())?;
        }
        if want(Part::ColGraphs) {
            cols.graphs = graphs_of(self.col_graphs())?;
        }
        let (along, across) = match axis {
            Axis::Rows => (rows, cols),
            Axis::Cols => (cols, rows),
        };
        let order: Vec<usize> = match &scan.other {
            Some(o) => o.clone(),
            None => (0..scan.other_len).collect(),
        };
        scan.along = along;
        scan.across = Side {
            attrs: select_attrs(&across.attrs, &order, scan.other_len)?,
            graphs: select_graphs(&across.graphs, &order),
        };
        scan.attrs = self.attrs().items()?.into_iter().collect();
        Ok(scan)
    }

    /// The windows and the reader of a scan (no attributes or graphs yet).
    pub(super) fn scan_parts(
        &self,
        axis: Axis,
        items: &Items,
        layers: Option<Vec<String>>,
        batch_size: usize,
        other: Option<Vec<usize>>,
    ) -> Result<Scan> {
        if batch_size == 0 {
            return Err(LoomError::InvalidInput(
                "batch_size must be at least 1".to_owned(),
            ));
        }
        let (n, m) = self.shape();
        let shape = (to_usize(n)?, to_usize(m)?);
        let len = [shape.0, shape.1][axis.index()];
        let api = self.layers();
        let names = match layers {
            Some(l) => l,
            None => api.keys()?,
        };
        let mut datasets = Vec::with_capacity(names.len());
        let mut typed = Vec::with_capacity(names.len());
        for name in names {
            let d = api.dataset(&name)?;
            if d.shape() != [n, m] {
                return Err(LoomError::InvalidInput(format!(
                    "layer '{name}' has shape {:?} but the main matrix is {n}×{m}",
                    d.shape()
                )));
            }
            typed.push((name.clone(), api.dtype(&name)?.to_owned()));
            datasets.push(d);
        }
        let windows = windows(items, len, batch_size);
        let other_len = [shape.0, shape.1][axis.other().index()];
        Ok(Scan {
            axis,
            windows: windows.into_iter(),
            datasets,
            reader: None,
            names: typed,
            along: Side::default(),
            across: Side::default(),
            attrs: BTreeMap::new(),
            along_len: len,
            other,
            other_len,
        })
    }
}

/// The windows holding at least one item, in order.
fn windows(items: &Items, len: usize, batch: usize) -> Vec<Window> {
    let list: Option<Vec<usize>> = match items {
        Items::All => None,
        Items::From(k) => {
            let k = usize::try_from(*k).unwrap_or(usize::MAX).min(len);
            Some((k..len).collect())
        }
        Items::Indices(v) => Some(
            v.iter()
                .filter_map(|&i| usize::try_from(i).ok())
                .filter(|&i| i < len)
                .collect(),
        ),
        Items::Mask(mask) => Some(
            mask.iter()
                .enumerate()
                .filter(|&(i, &b)| b && i < len)
                .map(|(i, _)| i)
                .collect(),
        ),
    };
    let mut out = Vec::new();
    let mut per_window: Vec<Vec<usize>> = vec![Vec::new(); len.div_ceil(batch)];
    if let Some(list) = &list {
        for &i in list {
            per_window[i / batch].push(i % batch);
        }
    }
    for (k, sel) in per_window.into_iter().enumerate() {
        let ix = k * batch;
        let width = batch.min(len - ix);
        let sel = match &list {
            None => None,
            Some(_) if sel.is_empty() => continue,
            Some(_) if sel.iter().copied().eq(0..width) => None,
            Some(_) => Some(sel),
        };
        out.push(Window { ix, width, sel });
    }
    out
}

fn to_usize(v: u64) -> Result<usize> {
    usize::try_from(v).map_err(|_| LoomError::Selection(format!("{v} is too large")))
}

impl Scan {
    /// Lends each window to `f` in turn, reusing the window's memory (matrices, the
    /// other axis' attributes and graphs) for the next one: loompy's loop without an
    /// allocation per window. Stops at the first error, `f`'s or the scan's.
    ///
    /// ```no_run
    /// # use loom_core::{connect, Mode};
    /// use loom_core::ops::ScanOptions;
    /// use loom_core::{Axis, LoomError};
    /// let ds = connect("cells.loom", Mode::Read)?;
    /// let mut totals = vec![0.0; ds.shape().1 as usize];
    /// ds.scan(Axis::Cols, ScanOptions::default())?.for_each_batch(|batch| {
    ///     let m = &batch.view.layer("")?.values;
    ///     for (j, &col) in batch.indexes.iter().enumerate() {
    ///         totals[col] = m.column(j).sum();
    ///     }
    ///     Ok::<(), LoomError>(())
    /// })?;
    /// # Ok::<(), loom_core::LoomError>(())
    /// ```
    pub fn for_each_batch<E: From<LoomError>>(
        mut self,
        mut f: impl FnMut(&ScanBatch) -> std::result::Result<(), E>,
    ) -> std::result::Result<(), E> {
        self.start_reader();
        let mut buffers = Vec::new();
        while let Some(w) = self.windows.next() {
            let batch = match self.read_batch(&w, &mut buffers, true) {
                Some(b) => b?,
                None => break,
            };
            let done = f(&batch);
            self.give_back(batch, &mut buffers);
            done?;
        }
        Ok(())
    }

    /// What the reader of the windows not yet taken reads, with `sets` sets of buffers.
    fn plan(&self, sets: usize) -> Plan {
        let picks = self
            .other
            .as_ref()
            .map(|o| o.iter().map(|&i| i as u64).collect());
        Plan {
            layers: self.datasets.clone(),
            axis: self.axis,
            other: (self.other_len as u64, picks),
            spans: self.windows.as_slice().iter().map(Window::span).collect(),
            sets,
            lanes: false,
        }
    }

    /// Starts the `f64` batches' reader, unless it runs.
    fn start_reader(&mut self) {
        if self.reader.is_none() {
            // Decoded one window ahead as f32 where that is exact, then widened into the
            // batch's own f64 buffers: one and a half windows in memory instead of two,
            // which keeps scan's peak within twice the batch (f64 decoding ahead cost
            // 2.04-2.09x on the medium file) for about 15% more CPU.
            self.reader = Some(Prefetch::start(self.plan(1), true));
        }
    }

    /// The shape of window `w`'s matrices and its items' file indices.
    fn window_shape(&self, w: &Window) -> ((usize, usize), Vec<usize>) {
        let indexes: Vec<usize> = match &w.sel {
            Some(s) => s.iter().map(|&k| w.ix + k).collect(),
            None => (w.ix..w.ix + w.width).collect(),
        };
        let other = self.other.as_ref().map_or(self.other_len, Vec::len);
        let shape = match self.axis {
            Axis::Rows => (indexes.len(), other),
            Axis::Cols => (other, indexes.len()),
        };
        (shape, indexes)
    }

    /// Reads window `w` into a batch: its matrices in `buffers` (or new ones), the other
    /// axis' parts moved in (`lend`) or cloned.
    fn read_batch(
        &mut self,
        w: &Window,
        buffers: &mut Vec<Vec<f64>>,
        lend: bool,
    ) -> Option<Result<ScanBatch>> {
        let (shape, indexes) = self.window_shape(w);
        let names = &self.names;
        let reader = self.reader.as_mut()?;
        let layers = reader.next_with(|raws| {
            let mut layers = BTreeMap::new();
            for ((name, dtype), raw) in names.iter().zip(raws.iter_mut()) {
                let mut buf = buffers.pop().unwrap_or_default();
                raw.move_into_f64(&mut buf);
                let values = Array2::from_shape_vec(shape, buf)
                    .map_err(|e| LoomError::Selection(format!("layer '{name}': {e}")))?;
                let dtype = dtype.clone();
                layers.insert(name.clone(), ViewLayer { values, dtype });
            }
            Ok(layers)
        })?;
        let out = layers.and_then(|layers| self.assemble(w.ix, indexes, shape, layers, lend));
        if out.is_err() {
            // An error ends the scan.
            self.windows = Vec::new().into_iter();
        }
        Some(out)
    }

    fn assemble(
        &mut self,
        ix: usize,
        indexes: Vec<usize>,
        shape: (usize, usize),
        layers: BTreeMap<String, ViewLayer>,
        lend: bool,
    ) -> Result<ScanBatch> {
        let along = Side {
            attrs: select_attrs(&self.along.attrs, &indexes, self.along_len)?,
            graphs: select_graphs(&self.along.graphs, &indexes),
        };
        let (across, attrs) = if lend {
            (
                std::mem::take(&mut self.across),
                std::mem::take(&mut self.attrs),
            )
        } else {
            (self.across.copy(), self.attrs.clone())
        };
        let (rows, cols) = match self.axis {
            Axis::Rows => (along, across),
            Axis::Cols => (across, along),
        };
        let parts = ViewParts {
            layers,
            ra: rows.attrs,
            ca: cols.attrs,
            row_graphs: rows.graphs,
            col_graphs: cols.graphs,
            attrs,
        };
        Ok(ScanBatch {
            ix,
            indexes,
            view: LoomView::from_parts(shape, parts)?,
        })
    }

    /// Takes back what [`read_batch`](Self::read_batch) lent: the matrices' memory into
    /// `buffers`, the other axis' parts and the global attributes into the scan.
    fn give_back(&mut self, batch: ScanBatch, buffers: &mut Vec<Vec<f64>>) {
        let parts = batch.view.into_parts();
        let (attrs, graphs) = match self.axis {
            Axis::Rows => (parts.ca, parts.col_graphs),
            Axis::Cols => (parts.ra, parts.row_graphs),
        };
        self.across = Side { attrs, graphs };
        self.attrs = parts.attrs;
        for layer in parts.layers.into_values() {
            buffers.push(layer.values.into_raw_vec_and_offset().0);
        }
    }
}

impl Iterator for Scan {
    type Item = Result<ScanBatch>;

    fn next(&mut self) -> Option<Self::Item> {
        self.start_reader();
        let w = self.windows.next()?;
        self.read_batch(&w, &mut Vec::new(), false)
    }
}
