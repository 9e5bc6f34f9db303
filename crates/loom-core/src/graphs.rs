//! Row and column graphs (loompy-api.md §7 `GraphManager`, §3.17 `list_edges`,
//! `get_edges`, `set_edges`): sparse N×N (or M×M) adjacency matrices stored as the
//! COO vectors `/row_graphs/<g>/{a,b,w}` (`/col_graphs/…`), contiguous int32 `a`, `b`
//! and float64 `w` as loompy writes them (§10.2), stamped `last_modified` (§10.3).

use hdf5_lite::format::messages::Datatype;
use hdf5_lite::read::{Numeric, Object};
use hdf5_lite::write::{AttrValue, DatasetSpec, Writer};
use ndarray::Array2;
use sprs::TriMat;

use crate::axis::Axis;
use crate::connection::LoomConnection;
use crate::error::{LoomError, Result};
use crate::layout;
use crate::timestamp::timestamp;
use crate::transaction::unlink_if_present;

/// The graphs of one axis (loompy's `ds.row_graphs` / `ds.col_graphs`), read side.
///
/// ```no_run
/// let ds = loom_core::connect("cells.loom", loom_core::Mode::Read)?;
/// for name in ds.col_graphs().keys() {
///     let g = ds.col_graphs().get(&name)?;
///     println!("{name}: {} edges", g.nnz());
/// }
/// # Ok::<(), loom_core::LoomError>(())
/// ```
#[derive(Debug, Clone, Copy)]
pub struct GraphManager<'a> {
    ds: &'a LoomConnection,
    axis: Axis,
}

/// The graphs of one axis, for writing (from [`LoomConnection::row_graphs_mut`]).
#[derive(Debug)]
pub struct GraphManagerMut<'a> {
    ds: &'a mut LoomConnection,
    axis: Axis,
}

impl<'a> GraphManager<'a> {
    /// The axis the graphs connect (rows or columns).
    pub fn axis(&self) -> Axis {
        self.axis
    }

    /// The graph names, sorted. On a read-only connection, graphs still stored in an old
    /// `/row_edges` or `/col_edges` group are not seen (as in loompy); on a read-write
    /// one they are (the first write moves them).
    pub fn keys(&self) -> Vec<String> {
        let mut keys = self
            .ds
            .hdf5()
            .group(layout::graphs_group(self.axis))
            .and_then(|g| g.member_names())
            .unwrap_or_default();
        keys.extend(self.old().iter().cloned());
        keys.sort();
        keys
    }

    /// Graphs of this axis still in the old group of a read-write connection.
    fn old(&self) -> &[String] {
        self.ds
            .upgrade
            .as_ref()
            .map_or(&[], |u| u.old_graphs(self.axis))
    }

    /// Number of graphs.
    pub fn len(&self) -> usize {
        self.keys().len()
    }

    /// No graphs on this axis.
    pub fn is_empty(&self) -> bool {
        self.keys().is_empty()
    }

    /// Whether a graph of that name exists.
    pub fn contains(&self, name: &str) -> bool {
        self.keys().iter().any(|k| k == name)
    }

    /// The graph restricted to the vertices `idx` (in that order, repeats kept), as a
    /// `idx.len()` square COO matrix: what a view of those rows or columns holds.
    pub fn select(&self, name: &str, idx: &[usize]) -> Result<TriMat<f64>> {
        Ok(crate::view::select_graph(&self.get(name)?, idx))
    }

    /// The graph as a COO matrix (`a` rows, `b` columns, `w` values, in stored order,
    /// duplicates and explicit zeros kept), of shape n×n with n the axis length.
    pub fn get(&self, name: &str) -> Result<TriMat<f64>> {
        let (a, b, w) = self.edges(name)?;
        let n = self.n();
        let bad = || {
            LoomError::InvalidInput(format!(
                "graph '{name}' has a vertex outside 0..{n} or vectors of different lengths"
            ))
        };
        if a.len() != b.len() || a.len() != w.len() {
            return Err(bad());
        }
        let index = |v: &[i64]| -> Result<Vec<usize>> {
            v.iter()
                .map(|&x| {
                    usize::try_from(x)
                        .ok()
                        .filter(|&x| (x as u64) < n)
                        .ok_or_else(bad)
                })
                .collect()
        };
        let n = usize::try_from(n).map_err(|_| bad())?;
        Ok(TriMat::from_triplets((n, n), index(&a)?, index(&b)?, w))
    }

    /// The number of edges of a graph (the length of its `a` vector), without reading it.
    pub fn edge_count(&self, name: &str) -> Result<u64> {
        let g = self.group(name)?;
        let d = g.dataset(layout::GRAPH_VECTORS[0])?;
        Ok(d.shape().first().copied().unwrap_or(0))
    }

    /// The graph's group, or `Missing`.
    fn group(&self, name: &str) -> Result<hdf5_lite::read::Group> {
        let missing = || LoomError::Missing {
            kind: "graph",
            name: name.to_owned(),
        };
        if name.is_empty() || name.contains('/') {
            return Err(missing());
        }
        let path = if self.old().iter().any(|g| g == name) {
            layout::child(layout::old_graphs_group(self.axis), name)
        } else {
            layout::graph_path(self.axis, name)
        };
        match self.ds.hdf5().object(&path) {
            Ok(Object::Group(g)) => Ok(g),
            _ => Err(missing()),
        }
    }

    /// The raw vectors `(a, b, w)` of a graph (loompy's `get_edges`).
    pub fn edges(&self, name: &str) -> Result<(Vec<i64>, Vec<i64>, Vec<f64>)> {
        let g = self.group(name)?;
        fn vector<T: Numeric>(g: &hdf5_lite::read::Group, p: &str) -> Result<Vec<T>> {
            Ok(g.dataset(p)?.read::<T>()?.iter().copied().collect())
        }
        let [a, b, w] = layout::GRAPH_VECTORS;
        Ok((vector(&g, a)?, vector(&g, b)?, vector(&g, w)?))
    }

    /// The stored type of a graph's weights (`w`), which rewrites keep.
    pub(crate) fn weight_datatype(&self, name: &str) -> Result<Datatype> {
        let g = self.group(name)?;
        Ok(g.dataset(layout::GRAPH_VECTORS[2])?.datatype().clone())
    }

    /// Edges `range` of a graph's raw vectors `(a, b, w)`: a graph read piece by piece,
    /// so that memory stays bounded however many edges it has.
    pub fn edges_range(
        &self,
        name: &str,
        range: std::ops::Range<u64>,
    ) -> Result<(Vec<i64>, Vec<i64>, Vec<f64>)> {
        let g = self.group(name)?;
        let count = range.end.saturating_sub(range.start);
        let vector = |p: &str| -> Result<Vec<f64>> {
            Ok(g.dataset(p)?
                .read_slice::<f64>(&[range.start], &[count])?
                .iter()
                .copied()
                .collect())
        };
        let index = |p: &str| -> Result<Vec<i64>> {
            Ok(g.dataset(p)?
                .read_slice::<i64>(&[range.start], &[count])?
                .iter()
                .copied()
                .collect())
        };
        let [a, b, w] = layout::GRAPH_VECTORS;
        Ok((index(a)?, index(b)?, vector(w)?))
    }

    fn n(&self) -> u64 {
        self.axis.of(self.ds.shape())
    }
}

impl GraphManagerMut<'_> {
    /// The read side.
    pub fn get(&self) -> GraphManager<'_> {
        GraphManager {
            ds: self.ds,
            axis: self.axis,
        }
    }

    /// Stores a graph, replacing any of that name (loompy's `g[name] = m`). It must be
    /// n×n with n the axis length. Entries are written in the matrix's triplet order;
    /// vertices as int32 (as scipy's COO matrices hold them), weights in their own float
    /// type (float32 stays float32; integer weights are stored as float64, the type
    /// loompy's validator asks for).
    pub fn set<T: Numeric>(&mut self, name: &str, graph: &TriMat<T>) -> Result<()> {
        let (r, c) = graph.shape();
        let a = to_i32(graph.row_inds())?;
        let b = to_i32(graph.col_inds())?;
        self.write(name, (r as u64, c as u64), &a, &b, graph.data())
    }

    /// Stores a dense adjacency matrix: each nonzero becomes an edge, in row-major
    /// order (as `scipy.sparse.coo_matrix(dense)`).
    pub fn set_dense<T: Numeric>(&mut self, name: &str, dense: &Array2<T>) -> Result<()> {
        let (mut a, mut b, mut w) = (Vec::new(), Vec::new(), Vec::new());
        for ((i, j), &v) in dense.indexed_iter() {
            if v.to_f64() != 0.0 {
                a.push(i);
                b.push(j);
                w.push(v);
            }
        }
        let (r, c) = dense.dim();
        self.write(name, (r as u64, c as u64), &to_i32(&a)?, &to_i32(&b)?, &w)
    }

    /// Creates graph `name` (replacing one there) with room for `edges` edges, to be
    /// filled piece by piece with [`GraphManagerMut::write_edges`]: a graph larger than
    /// memory is written in bounded pieces. Vertices are int32, weights float64 (loompy's
    /// types); edges never written read as (0, 0, 0.0).
    pub fn create(&mut self, name: &str, edges: u64) -> Result<()> {
        layout::check_name("Graph", name)?;
        if self.get().n() > i32::MAX as u64 {
            return Err(LoomError::InvalidInput(format!(
                "an axis of {} does not fit loompy's int32 graph vertices",
                self.get().n()
            )));
        }
        let group = layout::graphs_group(self.axis);
        let path = layout::graph_path(self.axis, name);
        self.ds
            .edit(|wr| create_graph(wr, group, &path, i32::datatype(), f64::datatype(), edges))
    }

    /// Writes edges `start..start + a.len()` of graph `name` (made by
    /// [`GraphManagerMut::create`]). Vectors of different lengths, a vertex outside the
    /// axis or edges beyond the created count give `InvalidInput`.
    pub fn write_edges(
        &mut self,
        name: &str,
        start: u64,
        a: &[i32],
        b: &[i32],
        w: &[f64],
    ) -> Result<()> {
        let n = self.get().n();
        let total = self.get().edge_count(name)?;
        let len = a.len() as u64;
        if a.len() != b.len() || a.len() != w.len() {
            return Err(LoomError::InvalidInput(format!(
                "graph '{name}': a, b and w of different lengths"
            )));
        }
        if start.checked_add(len).is_none_or(|end| end > total) {
            return Err(LoomError::InvalidInput(format!(
                "graph '{name}': edges {start}..{} beyond its {total}",
                start.saturating_add(len)
            )));
        }
        if let Some(v) = a.iter().chain(b).find(|&&v| v < 0 || v as u64 >= n) {
            return Err(LoomError::InvalidInput(format!(
                "graph '{name}': vertex {v} outside 0..{n}"
            )));
        }
        if a.is_empty() {
            return Ok(());
        }
        let path = layout::graph_path(self.axis, name);
        let [va, vb, vw] = layout::GRAPH_VECTORS.map(|v| layout::child(&path, v));
        self.ds.edit(|wr| {
            wr.write_numbers(&va, &[start], &[len], a)?;
            wr.write_numbers(&vb, &[start], &[len], b)?;
            wr.write_numbers(&vw, &[start], &[len], w)
        })
    }

    /// Deletes a graph; a missing name is ignored (as in loompy).
    pub fn delete(&mut self, name: &str) -> Result<()> {
        if !layout::is_valid_name(name) {
            return Ok(());
        }
        let path = layout::graph_path(self.axis, name);
        self.ds.edit(|w| unlink_if_present(w, &path))
    }

    fn write<V: Numeric, W: Numeric>(
        &mut self,
        name: &str,
        shape: (u64, u64),
        a: &[V],
        b: &[V],
        w: &[W],
    ) -> Result<()> {
        layout::check_name("Graph", name)?;
        let n = self.get().n();
        if shape != (n, n) {
            return Err(LoomError::InvalidInput(format!(
                "Adjacency matrix shape for axis {} must be ({n},{n}) but shape was ({}, {})",
                self.axis.index(),
                shape.0,
                shape.1
            )));
        }
        let group = layout::graphs_group(self.axis);
        let path = layout::graph_path(self.axis, name);
        self.ds.edit(|wr| write_graph(wr, group, &path, a, b, w))
    }
}

/// Vertex indices as loompy's int32 vectors.
fn to_i32(v: &[usize]) -> Result<Vec<i32>> {
    v.iter()
        .map(|&x| {
            i32::try_from(x).map_err(|_| {
                LoomError::InvalidInput(format!(
                    "vertex {x} does not fit loompy's int32 index vectors"
                ))
            })
        })
        .collect()
}

/// The stored type of graph weights of type `W`: its own if it is a float, else float64.
fn weight_type<W: Numeric>() -> Datatype {
    match W::datatype() {
        dt @ Datatype::Float { .. } => dt,
        _ => f64::datatype(),
    }
}

/// Writes the graph at `path` (replacing one there): vertices in their own integer type,
/// weights in [`weight_type`], stamped `last_modified` with its group and the root.
pub(crate) fn write_graph<V: Numeric, W: Numeric>(
    wr: &mut Writer,
    group: &str,
    path: &str,
    a: &[V],
    b: &[V],
    w: &[W],
) -> hdf5_lite::Result<()> {
    write_graph_as(wr, group, path, a, b, w, weight_type::<W>())
}

/// [`write_graph`] with the weights stored as `weights` (a graph rewritten by an
/// operation keeps the type it had, as loompy's do).
pub(crate) fn write_graph_as<V: Numeric, W: Numeric>(
    wr: &mut Writer,
    group: &str,
    path: &str,
    a: &[V],
    b: &[V],
    w: &[W],
    weights: Datatype,
) -> hdf5_lite::Result<()> {
    create_graph(wr, group, path, V::datatype(), weights, a.len() as u64)?;
    if !a.is_empty() {
        let [va, vb, vw] = layout::GRAPH_VECTORS.map(|v| layout::child(path, v));
        let len = [a.len() as u64];
        wr.write_numbers(&va, &[0], &len, a)?;
        wr.write_numbers(&vb, &[0], &len, b)?;
        wr.write_numbers(&vw, &[0], &len, w)?;
    }
    Ok(())
}

/// Creates the graph at `path` (replacing one there) with room for `edges` edges of
/// `vertices` and `weights`, stamped `last_modified` with its group and the root.
fn create_graph(
    wr: &mut Writer,
    group: &str,
    path: &str,
    vertices: Datatype,
    weights: Datatype,
    edges: u64,
) -> hdf5_lite::Result<()> {
    unlink_if_present(wr, path)?;
    wr.create_group(path)?;
    let [va, vb, vw] = layout::GRAPH_VECTORS.map(|v| layout::child(path, v));
    for (p, dt) in [(va, vertices.clone()), (vb, vertices), (vw, weights)] {
        wr.create_dataset(&p, &DatasetSpec::new(dt, &[edges]))?;
    }
    for target in [path, group, layout::ROOT] {
        wr.set_attribute(
            target,
            layout::LAST_MODIFIED,
            &AttrValue::string(&timestamp()),
        )?;
    }
    Ok(())
}

impl LoomConnection {
    /// The row graphs (loompy's `ds.row_graphs`).
    pub fn row_graphs(&self) -> GraphManager<'_> {
        self.graphs(Axis::Rows)
    }

    /// The column graphs (loompy's `ds.col_graphs`).
    pub fn col_graphs(&self) -> GraphManager<'_> {
        self.graphs(Axis::Cols)
    }

    /// The row graphs, for writing.
    ///
    /// ```no_run
    /// let mut ds = loom_core::connect("cells.loom", loom_core::Mode::ReadWrite)?;
    /// let n = ds.shape().0 as usize;
    /// let mut knn = sprs::TriMat::new((n, n));
    /// knn.add_triplet(0, 1, 0.5);
    /// ds.row_graphs_mut().set("KNN", &knn)?;
    /// # Ok::<(), loom_core::LoomError>(())
    /// ```
    pub fn row_graphs_mut(&mut self) -> GraphManagerMut<'_> {
        self.graphs_mut(Axis::Rows)
    }

    /// The column graphs, for writing.
    pub fn col_graphs_mut(&mut self) -> GraphManagerMut<'_> {
        self.graphs_mut(Axis::Cols)
    }

    /// The graphs of one axis (`ds.row_graphs` for [`Axis::Rows`]).
    pub fn graphs(&self, axis: Axis) -> GraphManager<'_> {
        GraphManager { ds: self, axis }
    }

    /// The graphs of one axis, for writing.
    pub fn graphs_mut(&mut self, axis: Axis) -> GraphManagerMut<'_> {
        GraphManagerMut { ds: self, axis }
    }

    /// Graph names on an axis (deprecated loompy `list_edges`).
    pub fn list_edges(&self, axis: Axis) -> Vec<String> {
        self.graphs(axis).keys()
    }

    /// The `(a, b, w)` vectors of a graph (deprecated loompy `get_edges`).
    pub fn get_edges(&self, name: &str, axis: Axis) -> Result<(Vec<i64>, Vec<i64>, Vec<f64>)> {
        self.graphs(axis).edges(name)
    }

    /// Stores a graph from its vectors (deprecated loompy `set_edges`), keeping their
    /// types as loompy does: int64 vertices, float weights in their own type. Vectors of
    /// different lengths or vertices outside the axis give loompy's "Input arrays could
    /// not be converted to a sparse matrix".
    pub fn set_edges<W: Numeric>(
        &mut self,
        name: &str,
        a: &[i64],
        b: &[i64],
        w: &[W],
        axis: Axis,
    ) -> Result<()> {
        let convert = || {
            LoomError::InvalidInput("Input arrays could not be converted to a sparse matrix".into())
        };
        let n = self.graphs(axis).n();
        if a.len() != b.len() || a.len() != w.len() {
            return Err(convert());
        }
        let inside = |v: &[i64]| v.iter().all(|&x| u64::try_from(x).is_ok_and(|x| x < n));
        if !inside(a) || !inside(b) {
            return Err(convert());
        }
        self.graphs_mut(axis).write(name, (n, n), a, b, w)
    }
}
