//! `permute` (loompy-api.md §3.11): reorder the rows or the columns of a file in place.
//!
//! A chunked layer is reordered chunk by chunk by hdf5-lite (`Writer::permute`: each
//! chunk inflated and deflated once, its bytes moved as they are); a contiguous one is
//! rewritten in strips across the permuted axis, each strip read in the layer's own
//! type and written back permuted. Either way memory holds one batch of chunks.
//! Attributes of the axis are reordered, graph vertices are renumbered through the
//! inverse permutation, and everything is one commit: a failure leaves the file as it
//! was.
//!
//! Unlike loompy, `ordering` must be a permutation of the axis (loompy accepts repeats
//! and silently duplicates rows), and it is checked before anything is written (loompy
//! fails part-way on a wrong length).

use hdf5_lite::read::{Dataset, Indices, Numeric};
use hdf5_lite::write::{AttrValue, Writer};

use super::{check_rewritable, with_numeric, StagedAttr};
use crate::axis::Axis;
use crate::connection::LoomConnection;
use crate::error::{LoomError, Result};
use crate::layout;
use crate::timestamp::timestamp;
use crate::view::select_rows;

/// Elements per strip: about 8 M.
const STRIP_VALUES: u64 = 1 << 23;

impl LoomConnection {
    /// loompy's `ds.permute(ordering, axis)`: afterwards row (column) `i` is the old row
    /// (column) `ordering[i]`, in every layer and attribute of that axis, and each graph
    /// edge (a, b) of that axis becomes (p, q) where `ordering[p] = a`, `ordering[q] = b`.
    /// A legacy `/tiles` group is deleted, as loompy does.
    ///
    /// ```no_run
    /// # use loom_core::{connect, Axis, Mode};
    /// let mut ds = connect("cells.loom", Mode::ReadWrite)?;
    /// let ids = ds.ca().get("ClusterID")?.to_i64().unwrap_or_default();
    /// let mut order: Vec<usize> = (0..ids.len()).collect();
    /// order.sort_by_key(|&j| ids[j]);
    /// ds.permute(&order, Axis::Cols)?;
    /// # Ok::<(), loom_core::LoomError>(())
    /// ```
    pub fn permute(&mut self, ordering: &[usize], axis: Axis) -> Result<()> {
        self.check_writable()?;
        let len = axis.of(self.shape());
        let len_us = usize::try_from(len)
            .map_err(|_| LoomError::Selection(format!("{len} is too large")))?;
        let inverse = inverse(ordering, len_us)?;
        let api = self.layers();
        let mut layers = Vec::new();
        for name in api.keys()? {
            let dtype = api.dtype(&name)?;
            check_rewritable(dtype)?;
            layers.push((api.dataset(&name)?, dtype));
        }
        let attrs = self.axis_attrs(axis);
        let mut staged = Vec::new();
        for (name, values) in attrs.items()? {
            let permuted = select_rows(&values, ordering, len_us, &name)?;
            staged.push(StagedAttr::new(self, axis, &name, &permuted)?);
        }
        let g = self.graphs(axis);
        let mut graphs = Vec::new();
        for name in g.keys() {
            let (a, b, w) = g.edges(&name)?;
            let renumber = |v: Vec<i64>| -> Result<Vec<i32>> {
                v.into_iter()
                    .map(|x| {
                        usize::try_from(x)
                            .ok()
                            .and_then(|x| inverse.get(x))
                            .and_then(|&p| i32::try_from(p).ok())
                            .ok_or_else(|| {
                                LoomError::InvalidInput(format!(
                                    "graph '{name}' has vertex {x} outside the axis of {len}"
                                ))
                            })
                    })
                    .collect()
            };
            let weights = g.weight_datatype(&name)?;
            graphs.push((name.clone(), renumber(a)?, renumber(b)?, w, weights));
        }
        let tiles = self.hdf5().group(layout::TILES).is_ok();
        let graph_group = layout::graphs_group(axis);
        let stamp = AttrValue::string(&timestamp());
        let order: Vec<u64> = ordering.iter().map(|&i| i as u64).collect();
        // Progress: the positions across the permuted axis, layer after layer.
        let across = axis.other().of(self.shape());
        let total = across.saturating_mul(layers.len() as u64);
        let progress = self.progress.clone();
        self.edit(|w| {
            if tiles {
                w.unlink(layout::TILES)?;
            }
            for (i, (d, dtype)) in layers.iter().enumerate() {
                let before = across * i as u64;
                let report = |done: u64| progress.report(before + done, total);
                if d.chunks().is_some() {
                    // Lines of chunks along the axis, as positions across it.
                    let lines = |line: u64, lines: u64| {
                        let share = (u128::from(across) * u128::from(line))
                            .checked_div(u128::from(lines))
                            .unwrap_or(0);
                        report(u64::try_from(share).unwrap_or(across));
                    };
                    w.permute_reporting(d.path(), axis.index(), &order, &lines)?;
                    continue;
                }
                let done: Result<()> = with_numeric!(*dtype, T => Ok(permute_layer::<T>(
                    w, d, &order, axis, &report
                )?));
                done.map_err(|e| match e {
                    LoomError::Hdf5(e) => e,
                    other => hdf5_lite::Error::InvalidInput(other.to_string()),
                })?;
            }
            for a in &staged {
                a.write(w, &stamp)?;
            }
            for (name, a, b, wts, weights) in &graphs {
                let path = layout::graph_path(axis, name);
                let weights = weights.clone();
                crate::graphs::write_graph_as(w, graph_group, &path, a, b, wts, weights)?;
            }
            w.set_attribute(layout::ROOT, layout::LAST_MODIFIED, &stamp)
        })
    }
}

/// The inverse of `ordering`, which must hold each of `0..len` once.
fn inverse(ordering: &[usize], len: usize) -> Result<Vec<usize>> {
    if ordering.len() != len {
        return Err(LoomError::InvalidInput(format!(
            "Can't broadcast: the ordering has {} values but the axis has {len}",
            ordering.len()
        )));
    }
    let mut inv = vec![usize::MAX; len];
    for (p, &i) in ordering.iter().enumerate() {
        match inv.get_mut(i) {
            Some(slot) if *slot == usize::MAX => *slot = p,
            _ => {
                return Err(LoomError::InvalidInput(format!(
                    "the ordering must hold each of 0..{len} once (bad or repeated index {i})"
                )))
            }
        }
    }
    Ok(inv)
}

/// Rewrites one layer permuted along `axis`, strip by strip: each strip is read
/// permuted into a buffer reused for every strip, and written back; `report` hears the
/// positions across the axis done after each strip.
fn permute_layer<T: Numeric>(
    w: &mut Writer,
    d: &Dataset,
    ordering: &[u64],
    axis: Axis,
    report: &dyn Fn(u64),
) -> hdf5_lite::Result<()> {
    let (n, m) = match d.shape() {
        [n, m] => (*n, *m),
        _ => return Ok(()),
    };
    // Strips run across the other axis: whole chunk widths of it at a time.
    let other = axis.other().index();
    let chunk = d
        .chunks()
        .and_then(|c| c.get(other).copied())
        .unwrap_or(64)
        .max(1);
    let (along, across) = match axis {
        Axis::Rows => (n, m),
        Axis::Cols => (m, n),
    };
    let strip = ((STRIP_VALUES / along.max(1)) / chunk).max(1) * chunk;
    let path = d.path().to_owned();
    let (mut buf, mut stored): (Vec<T>, Vec<T>) = (Vec::new(), Vec::new());
    let mut start = 0;
    while start < across {
        let width = strip.min(across - start);
        let (lo, count) = match axis {
            Axis::Rows => ([0, start], [n, width]),
            Axis::Cols => ([start, 0], [width, m]),
        };
        let window = Indices::Range {
            start,
            count: width,
        };
        buf.resize((along * width) as usize, T::default());
        match axis {
            Axis::Rows => d.read_orthogonal_into(&[Indices::List(ordering), window], &mut buf)?,
            Axis::Cols => {
                // Whole rows read as stored, then gathered row by row (an index list
                // on the columns would place each element on its own).
                let all = Indices::Range { start: 0, count: m };
                stored.resize(buf.len(), T::default());
                d.read_orthogonal_into(&[window, all], &mut stored)?;
                for (to, from) in buf
                    .chunks_exact_mut(m as usize)
                    .zip(stored.chunks_exact(m as usize))
                {
                    for (t, &j) in to.iter_mut().zip(ordering) {
                        *t = from[j as usize];
                    }
                }
            }
        }
        w.write_numbers(&path, &lo, &count, &buf)?;
        start += width;
        report(start);
    }
    Ok(())
}
