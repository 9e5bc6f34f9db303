//! `scan` (loompy-api.md §3.8) and the deprecated `batch_scan` / `batch_scan_layers`
//! (§3.9): windows of `batch_size` rows or columns, each with the selected items.
//!
//! Each window is read as one rectangle of every layer (every chunk it touches decoded
//! once, in parallel by hdf5-lite) on a background thread, one window ahead of the
//! caller: while the caller works on window k, window k+1 is being decoded. So at most
//! two windows are in memory.
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
use std::sync::mpsc::{sync_channel, Receiver};

use hdf5_lite::read::Dataset;
use ndarray::{Array2, Axis as NdAxis, Ix2};
use sprs::TriMat;

use super::argsort;
use crate::axis::Axis;
use crate::connection::LoomConnection;
use crate::error::{LoomError, Result};
use crate::values::AttrValues;
use crate::view::{select_attrs, select_graphs, LoomView, ViewLayer};

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

/// One window of [`LoomConnection::batch_scan`]: `(ix, indexes, values)`.
pub type BatchScanItem = (usize, Vec<usize>, Array2<f64>);

/// One window of [`LoomConnection::batch_scan_layers`]: `(ix, indexes, {layer: values})`.
pub type BatchScanLayersItem = (usize, Vec<usize>, BTreeMap<String, Array2<f64>>);

/// The iterator [`LoomConnection::scan`] returns.
#[derive(Debug)]
pub struct Scan {
    axis: Axis,
    windows: std::vec::IntoIter<Window>,
    blocks: Blocks,
    names: Vec<(String, String)>,
    ra: BTreeMap<String, AttrValues>,
    ca: BTreeMap<String, AttrValues>,
    row_graphs: BTreeMap<String, TriMat<f64>>,
    col_graphs: BTreeMap<String, TriMat<f64>>,
    attrs: BTreeMap<String, AttrValues>,
    /// The other axis' order (`None`: as stored).
    other: Option<Vec<usize>>,
    shape: (usize, usize),
}

/// A window: its start, its width, the selected offsets inside it (`None`: all).
#[derive(Debug, Clone)]
struct Window {
    ix: usize,
    width: usize,
    sel: Option<Vec<usize>>,
}

/// Where decoded windows come from: a background reader, or (where threads cannot be
/// made) the caller's thread.
#[derive(Debug)]
enum Blocks {
    Thread(Receiver<Result<Vec<Array2<f64>>>>),
    Inline(Reader),
}

/// Reads whole windows of some layers.
#[derive(Debug, Clone)]
struct Reader {
    datasets: Vec<Dataset>,
    axis: Axis,
    shape: (u64, u64),
}

impl Reader {
    fn read(&self, w: &Window) -> Result<Vec<Array2<f64>>> {
        let (n, m) = self.shape;
        let (start, count) = match self.axis {
            Axis::Rows => ([w.ix as u64, 0], [w.width as u64, m]),
            Axis::Cols => ([0, w.ix as u64], [n, w.width as u64]),
        };
        self.datasets
            .iter()
            .map(|d| {
                d.read_slice::<f64>(&start, &count)?
                    .into_dimensionality::<Ix2>()
                    .map_err(|e| LoomError::Selection(format!("{}: {e}", d.path())))
            })
            .collect()
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
        if want(Part::RowAttrs) {
            scan.ra = attrs_of(self.ra())?;
        }
        if want(Part::ColAttrs) {
            scan.ca = attrs_of(self.ca())?;
        }
        if want(Part::RowGraphs) {
            scan.row_graphs = graphs_of(self.row_graphs())?;
        }
        if want(Part::ColGraphs) {
            scan.col_graphs = graphs_of(self.col_graphs())?;
        }
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
        let reader = Reader {
            datasets,
            axis,
            shape: (n, m),
        };
        Ok(Scan {
            axis,
            blocks: start_reader(reader, windows.clone()),
            windows: windows.into_iter(),
            names: typed,
            ra: BTreeMap::new(),
            ca: BTreeMap::new(),
            row_graphs: BTreeMap::new(),
            col_graphs: BTreeMap::new(),
            attrs: BTreeMap::new(),
            other,
            shape,
        })
    }

    /// loompy's deprecated `batch_scan(cells, genes, axis, batch_size, layer)`: windows
    /// along `axis` of one layer as plain matrices `(ix, indexes, values)`; `genes`
    /// and `cells` select (in their order) on the rows and columns.
    pub fn batch_scan(
        &self,
        cells: Option<Vec<usize>>,
        genes: Option<Vec<usize>>,
        axis: Axis,
        batch_size: usize,
        layer: &str,
    ) -> Result<impl Iterator<Item = Result<BatchScanItem>>> {
        let it = self.batch_scan_layers(cells, genes, axis, batch_size, &[layer])?;
        Ok(it.map(|b| {
            b.and_then(|(ix, sel, mut vals)| {
                let v = vals.pop_first().map(|(_, v)| v).ok_or_else(|| {
                    LoomError::InvalidInput("batch_scan read no layer".to_owned())
                })?;
                Ok((ix, sel, v))
            })
        }))
    }

    /// loompy's deprecated `batch_scan_layers(cells, genes, axis, batch_size, layers)`:
    /// like [`batch_scan`](Self::batch_scan), one matrix per layer.
    pub fn batch_scan_layers(
        &self,
        cells: Option<Vec<usize>>,
        genes: Option<Vec<usize>>,
        axis: Axis,
        batch_size: usize,
        layers: &[&str],
    ) -> Result<impl Iterator<Item = Result<BatchScanLayersItem>>> {
        let (items, other) = match axis {
            Axis::Rows => (genes, cells),
            Axis::Cols => (cells, genes),
        };
        let other_len = to_usize([self.shape().0, self.shape().1][axis.other().index()])?;
        if let Some(bad) = other.iter().flatten().find(|&&i| i >= other_len) {
            return Err(LoomError::Selection(format!(
                "index {bad} is out of range for an axis of {other_len}"
            )));
        }
        let items = match items {
            Some(v) => Items::Indices(v.into_iter().map(|i| i as i64).collect()),
            None => Items::All,
        };
        let names = layers.iter().map(|s| s.to_string()).collect();
        let scan = self.scan_parts(axis, &items, Some(names), batch_size, other)?;
        Ok(scan.map(|b| {
            b.map(|b| {
                let layers = b
                    .view
                    .layers()
                    .iter()
                    .map(|(k, l)| (k.clone(), l.values.clone()))
                    .collect();
                (b.ix, b.indexes, layers)
            })
        }))
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

/// Starts decoding the windows on a background thread (falls back to decoding on the
/// caller's thread where none can be made).
fn start_reader(reader: Reader, windows: Vec<Window>) -> Blocks {
    // Rendezvous channel: the thread decodes one window ahead and waits.
    let (tx, rx) = sync_channel(0);
    let inline = reader.clone();
    let spawned = std::thread::Builder::new()
        .name("loom-scan".to_owned())
        .spawn(move || {
            for w in &windows {
                let block = reader.read(w);
                let failed = block.is_err();
                if tx.send(block).is_err() || failed {
                    return;
                }
            }
        });
    match spawned {
        Ok(_) => Blocks::Thread(rx),
        Err(_) => Blocks::Inline(inline),
    }
}

fn to_usize(v: u64) -> Result<usize> {
    usize::try_from(v).map_err(|_| LoomError::Selection(format!("{v} is too large")))
}

impl Scan {
    fn build(&self, w: &Window, blocks: Vec<Array2<f64>>) -> Result<ScanBatch> {
        let along = NdAxis(self.axis.index());
        let across = NdAxis(self.axis.other().index());
        let sel: Vec<usize> = match &w.sel {
            Some(s) => s.clone(),
            None => (0..w.width).collect(),
        };
        let mut layers = BTreeMap::new();
        for ((name, dtype), block) in self.names.iter().zip(blocks) {
            let block = match &self.other {
                Some(o) => block.select(across, o),
                None => block,
            };
            let values = match &w.sel {
                Some(s) => block.select(along, s),
                None => block,
            };
            let dtype = dtype.clone();
            layers.insert(name.clone(), ViewLayer { values, dtype });
        }
        let indexes: Vec<usize> = sel.iter().map(|&s| w.ix + s).collect();
        let (n, m) = self.shape;
        let other_idx: Vec<usize> = match &self.other {
            Some(o) => o.clone(),
            None => (0..[n, m][self.axis.other().index()]).collect(),
        };
        let (ri, ci) = match self.axis {
            Axis::Rows => (&indexes, &other_idx),
            Axis::Cols => (&other_idx, &indexes),
        };
        let view = LoomView::new(
            (ri.len(), ci.len()),
            layers,
            select_attrs(&self.ra, ri, n)?,
            select_attrs(&self.ca, ci, m)?,
            select_graphs(&self.row_graphs, ri),
            select_graphs(&self.col_graphs, ci),
            self.attrs.clone(),
        )?;
        Ok(ScanBatch {
            ix: w.ix,
            indexes,
            view,
        })
    }
}

impl Iterator for Scan {
    type Item = Result<ScanBatch>;

    fn next(&mut self) -> Option<Self::Item> {
        let w = self.windows.next()?;
        let blocks = match &self.blocks {
            Blocks::Thread(rx) => match rx.recv() {
                Ok(b) => b,
                Err(_) => Err(LoomError::InvalidInput(
                    "the scan's reader thread stopped".to_owned(),
                )),
            },
            Blocks::Inline(r) => r.read(&w),
        };
        let out = blocks.and_then(|b| self.build(&w, b));
        if out.is_err() {
            // An error ends the scan.
            self.windows = Vec::new().into_iter();
        }
        Some(out)
    }
}
