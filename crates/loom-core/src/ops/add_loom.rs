//! `add_loom` (loompy-api.md §3.7): append the columns of another loom file, rows
//! aligned by a key attribute.
//!
//! The other file is only read. Its layers are copied in windows cut on this file's
//! chunk grid (see [`copy_columns`]), each read once in the target layer's type with its
//! rows reordered, all in one commit with the column attributes (see
//! [`add_columns`](LoomConnection::add_columns) for how attributes are joined).
//!
//! Differences from loompy, on purpose:
//! - the other file is opened read-only; with `convert_attrs`, the column attributes
//!   loompy writes into the other file are appended here only;
//! - `include_graphs` works: each column graph present in both files becomes the
//!   block-diagonal union (loompy's always fails, computing the size after the append).

use std::collections::{BTreeMap, BTreeSet};

use hdf5_lite::format::messages::Datatype;
use hdf5_lite::read::Numeric;
use hdf5_lite::write::Writer;

use super::add_columns::{AppendLayer, Extra, FillValues};
use super::copy_columns::{copy_columns, Target};
use super::{argsort, with_numeric};
use crate::axis::Axis;
use crate::connection::LoomConnection;
use crate::error::{LoomError, Result};
use crate::layout;
use crate::values::AttrValues;

/// The arguments of [`LoomConnection::add_loom`], with loompy's defaults.
#[derive(Debug, Clone)]
pub struct AddLoomOptions {
    /// A row attribute present in both files whose values align the rows.
    pub key: Option<String>,
    /// As in [`add_columns`](LoomConnection::add_columns).
    pub fill_values: FillValues,
    /// loompy's columns per window (default 1000); checked (at least 1) but not used:
    /// windows here hold about 16 M values and end on this file's chunk boundaries.
    pub batch_size: usize,
    /// Global attributes that differ between the files become column attributes.
    pub convert_attrs: bool,
    /// Merge the column graphs present in both files.
    pub include_graphs: bool,
}

impl Default for AddLoomOptions {
    fn default() -> Self {
        AddLoomOptions {
            key: None,
            fill_values: FillValues::None,
            batch_size: 1000,
            convert_attrs: false,
            include_graphs: false,
        }
    }
}

impl LoomConnection {
    /// loompy's `ds.add_loom(other_file, key=…, fill_values=…, batch_size=…,
    /// convert_attrs=…, include_graphs=…)`, with the other file opened read-only.
    pub fn add_loom(
        &mut self,
        other: impl AsRef<std::path::Path>,
        opts: &AddLoomOptions,
    ) -> Result<()> {
        self.check_add_loom()?;
        let other = crate::connect(other, crate::Mode::Read)?;
        self.add_loom_from(&other, opts)
    }

    fn check_add_loom(&self) -> Result<()> {
        if self.check_writable().is_err() {
            return Err(LoomError::InvalidInput(
                "Cannot add data when connected in read-only mode".to_owned(),
            ));
        }
        Ok(())
    }

    /// [`add_loom`](Self::add_loom) from an open connection.
    pub fn add_loom_from(&mut self, other: &LoomConnection, opts: &AddLoomOptions) -> Result<()> {
        self.check_add_loom()?;
        if opts.batch_size == 0 {
            return Err(LoomError::InvalidInput(
                "batch_size must be at least 1".to_owned(),
            ));
        }
        let (n, m) = self.shape();
        let (on, om) = other.shape();
        if on != n {
            return Err(LoomError::InvalidInput(format!(
                "{} has {on} rows but this file has {n}",
                other.path().display()
            )));
        }
        let ordering = match &opts.key {
            Some(key) => {
                super::unless_in_order(align(&self.ra().get(key)?, &other.ra().get(key)?, key)?)
            }
            None => None,
        };
        let missing: Vec<String> = self
            .layers()
            .keys()?
            .into_iter()
            .filter(|k| !other.layers().contains(k))
            .collect();
        if !missing.is_empty() {
            return Err(LoomError::InvalidInput(format!(
                "{} is missing a layer, cannot merge with current file. layers missing:{missing:?}",
                other.path().display()
            )));
        }
        let mut ca: BTreeMap<String, AttrValues> = other.ca().items()?.into_iter().collect();
        let mut extra = Extra::default();
        let mut drop_globals = Vec::new();
        if opts.convert_attrs {
            let mine: BTreeMap<String, AttrValues> = self.attrs().items()?.into_iter().collect();
            let theirs: BTreeMap<String, AttrValues> = other.attrs().items()?.into_iter().collect();
            let keys: BTreeSet<&String> = mine.keys().chain(theirs.keys()).collect();
            // As loompy: a global attribute that differs (or is missing from one file)
            // becomes a column attribute of each file that lacks one of that name (the
            // file's value, or the other's type's zero), and leaves this file's globals.
            for k in keys {
                let (a, b) = (mine.get(k), theirs.get(k));
                if a.is_some() && a == b {
                    continue;
                }
                if !self.ca().contains(k) {
                    let here = match (a, b) {
                        (Some(a), _) => a.clone(),
                        (None, Some(b)) => super::add_columns::zero_of(b),
                        (None, None) => continue,
                    };
                    extra.fill.insert(k.clone(), here);
                }
                if !ca.contains_key(k.as_str()) {
                    let there = match (b, a) {
                        (Some(b), _) => b.clone(),
                        (None, Some(a)) => super::add_columns::zero_of(a),
                        (None, None) => continue,
                    };
                    let n_other = usize::try_from(om)
                        .map_err(|_| LoomError::InvalidInput("too many columns".to_owned()))?;
                    ca.insert(k.clone(), super::add_columns::repeat(&there, n_other, k)?);
                }
                if a.is_some() {
                    drop_globals.push(k.clone());
                }
            }
        }
        let legacy = self.attrs().is_legacy_layout();
        let graphs = if opts.include_graphs {
            merged_graphs(self, other, m)?
        } else {
            Vec::new()
        };
        extra.then = Some(Box::new(move |w: &mut Writer| {
            for k in &drop_globals {
                if legacy {
                    w.delete_attribute(layout::ROOT, k)?;
                } else {
                    w.unlink(&layout::global_path(k))?;
                }
            }
            for g in &graphs {
                let path = layout::graph_path(Axis::Cols, &g.name);
                let group = layout::graphs_group(Axis::Cols);
                let (a, b, wts) = (&g.a, &g.b, &g.w);
                crate::graphs::write_graph_as(w, group, &path, a, b, wts, g.weights.clone())?;
            }
            Ok(())
        }));
        let rows: Option<Vec<u64>> = ordering.map(|o| o.into_iter().map(|i| i as u64).collect());
        let cols: Vec<u64> = (0..om).collect();
        let mut parts = Vec::new();
        for name in self.layers().keys()? {
            let target = self.layers().dtype(&name)?;
            super::check_rewritable(target)?;
            let chunks = self.layers().dataset(&name)?.chunks().map(<[u64]>::to_vec);
            let chunk_of = |i: usize| chunks.as_ref().and_then(|c| c.get(i).copied());
            let (chunk_rows, chunk_cols) = (chunk_of(0).unwrap_or(64), chunk_of(1).unwrap_or(64));
            let source = other.layers().dataset(&name)?;
            let (rows, cols) = (rows.as_deref(), cols.as_slice());
            parts.push(AppendLayer {
                name,
                shape: vec![on as usize, om as usize],
                dtype: source.datatype().clone(),
                write: Box::new(move |w, path, offset, report| {
                    let to = Target {
                        path,
                        chunk_rows,
                        chunk_cols,
                        offset,
                    };
                    let done: Result<()> = with_numeric!(target, T => Ok(copy_columns::<T>(
                        w, &source, &to, cols, rows, report
                    )?));
                    done.map_err(|e| match e {
                        LoomError::Hdf5(e) => e,
                        other => hdf5_lite::Error::InvalidInput(other.to_string()),
                    })
                }),
            });
        }
        let ca: Vec<(&str, AttrValues)> = ca.iter().map(|(k, v)| (k.as_str(), v.clone())).collect();
        self.append_columns(&parts, &ca, None, &opts.fill_values, &extra)
    }
}

/// loompy's alignment: `argsort(b)[argsort(argsort(a))]`, so that row `i` here is row
/// `ordering[i]` of the other file. The keys must be the same set, without repeats.
fn align(a: &AttrValues, b: &AttrValues, key: &str) -> Result<Vec<usize>> {
    let (sa, sb) = (argsort(a, key)?, argsort(b, key)?);
    let text = |v: &AttrValues| -> Vec<String> {
        match v.as_strings() {
            Some(s) => s.iter().cloned().collect(),
            None => v
                .to_f64()
                .map(|f| f.iter().map(|x| x.to_bits().to_string()).collect())
                .unwrap_or_default(),
        }
    };
    let (ta, tb) = (text(a), text(b));
    let sorted_a: Vec<&String> = sa.iter().map(|&i| &ta[i]).collect();
    let sorted_b: Vec<&String> = sb.iter().map(|&i| &tb[i]).collect();
    let unique = sorted_a.windows(2).all(|p| p[0] != p[1]);
    if ta.len() != tb.len() || !unique || sorted_a != sorted_b {
        return Err(LoomError::InvalidInput(format!(
            "Primary keys are not 1-to-1 alignable! ('{key}' must hold the same values, each once, in both files)"
        )));
    }
    let mut rank = vec![0; sa.len()];
    for (r, &i) in sa.iter().enumerate() {
        rank[i] = r;
    }
    Ok(rank.into_iter().map(|r| sb[r]).collect())
}

/// A merged column graph: int32 vertices (as scipy's COO matrices hold them) and the
/// weights' stored type.
struct MergedGraph {
    name: String,
    a: Vec<i32>,
    b: Vec<i32>,
    w: Vec<f64>,
    weights: Datatype,
}

/// Column graphs in both files, merged block-diagonally (the other file's vertices
/// shifted by this file's `m` columns). The weights keep their type, or take numpy's
/// concatenation of the two (the wider float; float64 for mixed kinds).
fn merged_graphs(ds: &LoomConnection, other: &LoomConnection, m: u64) -> Result<Vec<MergedGraph>> {
    let mut out = Vec::new();
    let theirs = other.graphs(Axis::Cols);
    for name in ds.graphs(Axis::Cols).keys() {
        if !theirs.contains(&name) {
            continue;
        }
        let (mut a, mut b, mut w) = ds.graphs(Axis::Cols).edges(&name)?;
        let (oa, ob, ow) = theirs.edges(&name)?;
        let shift = i64::try_from(m).unwrap_or(i64::MAX);
        a.extend(oa.iter().map(|x| x + shift));
        b.extend(ob.iter().map(|x| x + shift));
        w.extend(ow);
        let to_i32 = |v: Vec<i64>| -> Result<Vec<i32>> {
            v.into_iter()
                .map(|x| {
                    i32::try_from(x).map_err(|_| {
                        LoomError::InvalidInput(format!("graph '{name}': vertex {x} is too large"))
                    })
                })
                .collect()
        };
        let ours = ds.graphs(Axis::Cols).weight_datatype(&name)?;
        let weights = match (ours, theirs.weight_datatype(&name)?) {
            (x, y) if x == y => x,
            (x @ Datatype::Float { size: s, .. }, Datatype::Float { size: t, .. }) if s >= t => x,
            (Datatype::Float { .. }, y @ Datatype::Float { .. }) => y,
            _ => f64::datatype(),
        };
        out.push(MergedGraph {
            a: to_i32(a)?,
            b: to_i32(b)?,
            w,
            weights,
            name,
        });
    }
    Ok(out)
}
