//! Views (loompy-api.md §8): an in-memory copy of any row and column selection of a loom
//! file, with every layer, attribute and graph sliced to match.
//!
//! loompy's `ds.view[rows, cols]` accepts one "fancy" axis at most, only increasing index
//! lists, and (numpy ≥ 2.4) fails on any file with a graph; its graph slicing renumbers
//! vertices by rank in sorted order, so a reordered view gets graphs inconsistent with
//! its attributes, and `LoomView.permute` is broken. Here both axes take any
//! [`Selection`] (lists in any order, repeats, masks), graphs are renumbered to view
//! positions, and [`LoomView::permute`] works.
//!
//! Layer values are kept as `f64` next to the stored dtype name (see [`ViewLayer`]): every
//! loom layer type (`float32`, `float64`, any integer up to 32 bits, and 64-bit integers
//! up to 2^53 in magnitude) is held exactly.

use std::collections::BTreeMap;

use ndarray::Array2;
use sprs::TriMat;

use crate::axis::Axis;
use crate::connection::LoomConnection;
use crate::error::{LoomError, Result};
use crate::layers::dtype_name;
use crate::matrix_io::{read_selection, shape2};
use crate::selection::Selection;
use crate::values::AttrValues;

/// One layer of a view: the values as `f64` and the stored numpy dtype name.
///
/// Keeping `f64` instead of a typed enum keeps views simple to use (one array type for
/// every layer). `f64` holds every integer of magnitude up to 2^53 exactly, so every
/// `float32`, `float64`, 8/16/32-bit integer layer is exact; only `int64`/`uint64` values
/// beyond 2^53 are rounded. `dtype` tells which type the file stores.
#[derive(Debug, Clone, PartialEq)]
pub struct ViewLayer {
    /// The values, shape (rows of the view, columns of the view).
    pub values: Array2<f64>,
    /// The stored numpy dtype name ("float32", "int32", …).
    pub dtype: String,
}

/// An in-memory view of a loom file (loompy's `LoomView`): layers, row and column
/// attributes, row and column graphs, and the global attributes. Get one with
/// [`LoomConnection::view`], or build one with [`LoomView::new`].
///
/// Names are kept in loompy's order: sorted by bytes, so the main layer `""` comes first.
#[derive(Debug)]
pub struct LoomView {
    shape: (usize, usize),
    layers: BTreeMap<String, ViewLayer>,
    ra: BTreeMap<String, AttrValues>,
    ca: BTreeMap<String, AttrValues>,
    row_graphs: BTreeMap<String, TriMat<f64>>,
    col_graphs: BTreeMap<String, TriMat<f64>>,
    attrs: BTreeMap<String, AttrValues>,
    row_index: Vec<usize>,
    col_index: Vec<usize>,
}

/// What a [`LoomView`] is made of (see [`LoomView::new`]).
#[derive(Debug, Default)]
pub(crate) struct ViewParts {
    pub(crate) layers: BTreeMap<String, ViewLayer>,
    pub(crate) ra: BTreeMap<String, AttrValues>,
    pub(crate) ca: BTreeMap<String, AttrValues>,
    pub(crate) row_graphs: BTreeMap<String, TriMat<f64>>,
    pub(crate) col_graphs: BTreeMap<String, TriMat<f64>>,
    pub(crate) attrs: BTreeMap<String, AttrValues>,
}

impl LoomConnection {
    /// loompy's `ds.view[rows, cols]`: reads the selection of every layer, row and column
    /// attribute and graph, and the global attributes, into memory.
    ///
    /// Both axes take any [`Selection`]; lists may come in any order and repeat indices.
    /// A graph keeps the edges whose two ends are both selected, renumbered to view
    /// positions; a vertex selected several times appears at each of its positions, so an
    /// edge (a, b) becomes one edge per pair (position of a, position of b).
    ///
    /// ```no_run
    /// # use loom_core::{connect, Mode};
    /// let ds = connect("cells.loom", Mode::Read)?;
    /// let v = ds.view(vec![5, 1, 5], 0..10)?;
    /// assert_eq!(v.shape(), (3, 10));
    /// let main = &v.layer("")?.values;
    /// let genes = &v.ra()["Gene"];
    /// # Ok::<(), loom_core::LoomError>(())
    /// ```
    pub fn view(&self, rows: impl Into<Selection>, cols: impl Into<Selection>) -> Result<LoomView> {
        let (rows, cols) = (rows.into(), cols.into());
        let (n, m) = self.shape();
        let (r64, c64) = (rows.resolve(n)?, cols.resolve(m)?);
        let layers_api = self.layers();
        let mut layers = BTreeMap::new();
        for name in layers_api.keys()? {
            let d = layers_api.dataset(&name)?;
            let values = if shape2(&d)? == (n, m) {
                read_selection::<f64>(&d, &r64, &c64)?
            } else {
                // A layer whose shape differs from the main matrix: resolve against it.
                layers_api.read::<f64>(&name, &rows, &cols)?
            };
            let dtype = dtype_name(d.datatype())
                .ok_or_else(|| {
                    LoomError::InvalidInput(format!(
                        "layer '{name}' has a non-numeric type {:?}",
                        d.datatype()
                    ))
                })?
                .to_owned();
            layers.insert(name, ViewLayer { values, dtype });
        }
        let r = to_usize(r64)?;
        let c = to_usize(c64)?;
        let attrs_of = |axis: Axis, idx: &[usize]| -> Result<BTreeMap<String, AttrValues>> {
            let a = self.axis_attrs(axis);
            let len = axis.of((n, m)) as usize;
            let mut out = BTreeMap::new();
            for (name, v) in a.items()? {
                let s = select_rows(&v, idx, len, &name)?;
                out.insert(name, s);
            }
            Ok(out)
        };
        let ra = attrs_of(Axis::Rows, &r)?;
        let ca = attrs_of(Axis::Cols, &c)?;
        let graphs_of = |axis: Axis, idx: &[usize]| -> Result<BTreeMap<String, TriMat<f64>>> {
            let g = self.graphs(axis);
            let mut out = BTreeMap::new();
            for name in g.keys() {
                let full = g.get(&name)?;
                out.insert(name, select_graph(&full, idx));
            }
            Ok(out)
        };
        let row_graphs = graphs_of(Axis::Rows, &r)?;
        let col_graphs = graphs_of(Axis::Cols, &c)?;
        let attrs = self.attrs().items()?.into_iter().collect();
        let view = LoomView {
            shape: (r.len(), c.len()),
            layers,
            ra,
            ca,
            row_graphs,
            col_graphs,
            attrs,
            row_index: r,
            col_index: c,
        };
        view.check()?;
        Ok(view)
    }
}

impl Clone for LoomView {
    fn clone(&self) -> Self {
        let graphs = |g: &BTreeMap<String, TriMat<f64>>| {
            g.iter().map(|(k, v)| (k.clone(), clone_graph(v))).collect()
        };
        LoomView {
            shape: self.shape,
            layers: self.layers.clone(),
            ra: self.ra.clone(),
            ca: self.ca.clone(),
            row_graphs: graphs(&self.row_graphs),
            col_graphs: graphs(&self.col_graphs),
            attrs: self.attrs.clone(),
            row_index: self.row_index.clone(),
            col_index: self.col_index.clone(),
        }
    }
}

/// A copy of a COO matrix (sprs' `TriMat` is not `Clone`).
fn clone_graph(g: &TriMat<f64>) -> TriMat<f64> {
    TriMat::from_triplets(
        g.shape(),
        g.row_inds().to_vec(),
        g.col_inds().to_vec(),
        g.data().to_vec(),
    )
}

impl LoomView {
    /// A view made from parts (loompy's `LoomView(layers, row_attrs, col_attrs,
    /// row_graphs, col_graphs, file_attrs=…)`). Every layer must have `shape`, every row
    /// (column) attribute `shape.0` (`shape.1`) values along its first axis, and every
    /// row (column) graph be `shape.0`×`shape.0` (`shape.1`×`shape.1`).
    ///
    /// ```
    /// use std::collections::BTreeMap;
    /// use loom_core::{AttrValues, LoomView, ViewLayer};
    /// use ndarray::array;
    ///
    /// let layers = BTreeMap::from([(
    ///     String::new(),
    ///     ViewLayer { values: array![[1.0, 2.0], [3.0, 4.0]], dtype: "float32".into() },
    /// )]);
    /// let ra = BTreeMap::from([("Gene".to_owned(), AttrValues::from(vec!["a", "b"]))]);
    /// let v = LoomView::new((2, 2), layers, ra, BTreeMap::new(), BTreeMap::new(),
    ///     BTreeMap::new(), BTreeMap::new())?;
    /// let w = v.view(vec![1, 1], ..)?;
    /// assert_eq!(w.layer("")?.values, array![[3.0, 4.0], [3.0, 4.0]]);
    /// # Ok::<(), loom_core::LoomError>(())
    /// ```
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        shape: (usize, usize),
        layers: BTreeMap<String, ViewLayer>,
        ra: BTreeMap<String, AttrValues>,
        ca: BTreeMap<String, AttrValues>,
        row_graphs: BTreeMap<String, TriMat<f64>>,
        col_graphs: BTreeMap<String, TriMat<f64>>,
        attrs: BTreeMap<String, AttrValues>,
    ) -> Result<Self> {
        let view = LoomView {
            shape,
            layers,
            ra,
            ca,
            row_graphs,
            col_graphs,
            attrs,
            row_index: (0..shape.0).collect(),
            col_index: (0..shape.1).collect(),
        };
        view.check()?;
        Ok(view)
    }

    /// A view of `shape` made of `parts` (checked as [`LoomView::new`] checks them).
    pub(crate) fn from_parts(shape: (usize, usize), parts: ViewParts) -> Result<Self> {
        let ViewParts {
            layers,
            ra,
            ca,
            row_graphs,
            col_graphs,
            attrs,
        } = parts;
        LoomView::new(shape, layers, ra, ca, row_graphs, col_graphs, attrs)
    }

    /// The parts of the view, for reuse.
    pub(crate) fn into_parts(self) -> ViewParts {
        ViewParts {
            layers: self.layers,
            ra: self.ra,
            ca: self.ca,
            row_graphs: self.row_graphs,
            col_graphs: self.col_graphs,
            attrs: self.attrs,
        }
    }

    /// Checks that every part fits the shape.
    fn check(&self) -> Result<()> {
        let (n, m) = self.shape;
        let bad = |what: String| Err(LoomError::InvalidInput(what));
        for (name, l) in &self.layers {
            if l.values.dim() != (n, m) {
                return bad(format!(
                    "layer '{name}' has shape {:?} but the view is {n}×{m}",
                    l.values.dim()
                ));
            }
        }
        for (axis, attrs, len) in [(0, &self.ra, n), (1, &self.ca, m)] {
            for (name, v) in attrs {
                if v.ndim() == 0 || v.len() != len {
                    return bad(format!(
                        "attribute '{name}' on axis {axis} has shape {:?}, expected {len} values",
                        v.shape()
                    ));
                }
            }
        }
        for (axis, graphs, len) in [(0, &self.row_graphs, n), (1, &self.col_graphs, m)] {
            for (name, g) in graphs {
                if g.shape() != (len, len) {
                    return bad(format!(
                        "graph '{name}' on axis {axis} has shape {:?}, expected ({len}, {len})",
                        g.shape()
                    ));
                }
            }
        }
        Ok(())
    }

    /// (rows, columns) of the view.
    pub fn shape(&self) -> (usize, usize) {
        self.shape
    }

    /// Every layer by name, the main layer `""` first.
    pub fn layers(&self) -> &BTreeMap<String, ViewLayer> {
        &self.layers
    }

    /// One layer (`view.layers[name]`); `""` is the main matrix.
    pub fn layer(&self, name: &str) -> Result<&ViewLayer> {
        self.layers.get(name).ok_or_else(|| LoomError::Missing {
            kind: "layer",
            name: name.to_owned(),
        })
    }

    /// The row attributes (`view.ra`), each with one value (or row) per view row.
    pub fn ra(&self) -> &BTreeMap<String, AttrValues> {
        &self.ra
    }

    /// The column attributes (`view.ca`), each with one value (or row) per view column.
    pub fn ca(&self) -> &BTreeMap<String, AttrValues> {
        &self.ca
    }

    /// The row graphs, vertices numbered by view row.
    pub fn row_graphs(&self) -> &BTreeMap<String, TriMat<f64>> {
        &self.row_graphs
    }

    /// The column graphs, vertices numbered by view column.
    pub fn col_graphs(&self) -> &BTreeMap<String, TriMat<f64>> {
        &self.col_graphs
    }

    /// The global attributes (`view.attrs`), as in the file.
    pub fn attrs(&self) -> &BTreeMap<String, AttrValues> {
        &self.attrs
    }

    /// For each view row, its row in the file (or in the parts given to [`LoomView::new`]).
    pub fn row_indices(&self) -> &[usize] {
        &self.row_index
    }

    /// For each view column, its column in the file (or in the parts given to
    /// [`LoomView::new`]).
    pub fn col_indices(&self) -> &[usize] {
        &self.col_index
    }

    /// A view of this view (`view.view[rows, cols]`), with the same rules as
    /// [`LoomConnection::view`]; indices are view positions.
    pub fn view(&self, rows: impl Into<Selection>, cols: impl Into<Selection>) -> Result<LoomView> {
        let (n, m) = self.shape;
        let r = to_usize(rows.into().resolve(n as u64)?)?;
        let c = to_usize(cols.into().resolve(m as u64)?)?;
        self.select(&r, &c)
    }

    /// loompy's `view.permute(ordering, axis=…)`, which works here: afterwards row or
    /// column `i` (as `axis` says) is the old `ordering[i]`, in every layer and attribute, and
    /// graph vertices are renumbered to match. `ordering` must hold each of `0..len` once.
    ///
    /// ```
    /// # use std::collections::BTreeMap;
    /// # use loom_core::{AttrValues, Axis, LoomView, ViewLayer};
    /// # use ndarray::array;
    /// # let layers = BTreeMap::from([(String::new(),
    /// #     ViewLayer { values: array![[1.0, 2.0], [3.0, 4.0]], dtype: "float32".into() })]);
    /// # let mut v = LoomView::new((2, 2), layers, BTreeMap::new(), BTreeMap::new(),
    /// #     BTreeMap::new(), BTreeMap::new(), BTreeMap::new())?;
    /// v.permute(&[1, 0], Axis::Cols)?;
    /// assert_eq!(v.layer("")?.values, array![[2.0, 1.0], [4.0, 3.0]]);
    /// assert!(v.permute(&[0, 0], Axis::Rows).is_err());
    /// # Ok::<(), loom_core::LoomError>(())
    /// ```
    pub fn permute(&mut self, ordering: &[usize], axis: Axis) -> Result<()> {
        let len = axis.of(self.shape);
        let mut seen = vec![false; len];
        for &i in ordering {
            match seen.get_mut(i) {
                Some(s) if !*s => *s = true,
                _ => {
                    return Err(LoomError::InvalidInput(format!(
                    "ordering must hold each of 0..{len} exactly once (bad or repeated index {i})"
                )))
                }
            }
        }
        if ordering.len() != len {
            return Err(LoomError::InvalidInput(format!(
                "ordering has {} values but axis {} has {len}",
                ordering.len(),
                axis.index()
            )));
        }
        let all = |k: usize| (0..k).collect::<Vec<_>>();
        *self = match axis {
            Axis::Rows => self.select(ordering, &all(self.shape.1))?,
            Axis::Cols => self.select(&all(self.shape.0), ordering)?,
        };
        Ok(())
    }

    /// The view of rows `r` and columns `c` (positions already checked against the shape).
    fn select(&self, r: &[usize], c: &[usize]) -> Result<LoomView> {
        let (n, m) = self.shape;
        if r.iter().any(|&i| i >= n) || c.iter().any(|&j| j >= m) {
            return Err(LoomError::Selection(
                "selection outside the view".to_owned(),
            ));
        }
        let layers = self
            .layers
            .iter()
            .map(|(k, l)| {
                let values = l
                    .values
                    .select(ndarray::Axis(0), r)
                    .select(ndarray::Axis(1), c);
                let layer = ViewLayer {
                    values,
                    dtype: l.dtype.clone(),
                };
                (k.clone(), layer)
            })
            .collect();
        let pick = |index: &[usize], idx: &[usize]| -> Vec<usize> {
            idx.iter().filter_map(|&i| index.get(i).copied()).collect()
        };
        Ok(LoomView {
            shape: (r.len(), c.len()),
            layers,
            ra: select_attrs(&self.ra, r, n)?,
            ca: select_attrs(&self.ca, c, m)?,
            row_graphs: select_graphs(&self.row_graphs, r),
            col_graphs: select_graphs(&self.col_graphs, c),
            attrs: self.attrs.clone(),
            row_index: pick(&self.row_index, r),
            col_index: pick(&self.col_index, c),
        })
    }
}

fn to_usize(v: Vec<u64>) -> Result<Vec<usize>> {
    v.into_iter()
        .map(|i| {
            usize::try_from(i).map_err(|_| LoomError::Selection(format!("index {i} is too large")))
        })
        .collect()
}

/// `v[idx]` along the first axis (a 2-D attribute keeps its second axis); `v` must have
/// `len` values along that axis.
pub(crate) fn select_rows(
    v: &AttrValues,
    idx: &[usize],
    len: usize,
    name: &str,
) -> Result<AttrValues> {
    if v.ndim() == 0 || v.len() != len || idx.iter().any(|&i| i >= len) {
        return Err(LoomError::InvalidInput(format!(
            "attribute '{name}' has shape {:?} but the axis has {len} values",
            v.shape()
        )));
    }
    v.take(idx)
}

/// The graph on the vertices `idx` (in that order): an edge (a, b, w) becomes (p, q, w)
/// for every position p holding a and every position q holding b, in stored edge order.
/// Edges with an end outside `idx` are dropped.
/// The entries `idx` of every attribute (each of length `len`), by name.
pub(crate) fn select_attrs(
    attrs: &BTreeMap<String, AttrValues>,
    idx: &[usize],
    len: usize,
) -> Result<BTreeMap<String, AttrValues>> {
    attrs
        .iter()
        .map(|(k, v)| Ok((k.clone(), select_rows(v, idx, len, k)?)))
        .collect()
}

/// Every graph restricted to the vertices `idx` (see [`select_graph`]), by name.
pub(crate) fn select_graphs(
    graphs: &BTreeMap<String, TriMat<f64>>,
    idx: &[usize],
) -> BTreeMap<String, TriMat<f64>> {
    graphs
        .iter()
        .map(|(k, v)| (k.clone(), select_graph(v, idx)))
        .collect()
}

pub(crate) fn select_graph(g: &TriMat<f64>, idx: &[usize]) -> TriMat<f64> {
    let mut positions: Vec<Vec<usize>> = vec![Vec::new(); g.rows().max(g.cols())];
    for (p, &i) in idx.iter().enumerate() {
        if let Some(slot) = positions.get_mut(i) {
            slot.push(p);
        }
    }
    let k = idx.len();
    let mut out = TriMat::new((k, k));
    let edges = g.row_inds().iter().zip(g.col_inds()).zip(g.data());
    for ((&a, &b), &w) in edges {
        let (Some(pa), Some(pb)) = (positions.get(a), positions.get(b)) else {
            continue;
        };
        for &p in pa {
            for &q in pb {
                out.add_triplet(p, q, w);
            }
        }
    }
    out
}
