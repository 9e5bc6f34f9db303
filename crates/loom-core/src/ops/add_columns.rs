//! `add_columns` (loompy-api.md §3.6): append columns to every layer and column
//! attribute, or fill an empty file made by [`new`](crate::new).
//!
//! Every argument is checked before anything is written, and the whole append is one
//! commit, so a failed call leaves the file exactly as it was (loompy resizes some layers
//! before it finds a missing one). Layers may be dense or sparse ([`LayerInput`]); sparse
//! blocks are written in column windows, never densified whole.
//!
//! Differences from loompy, on purpose:
//! - a file layer missing from `layers` is an error before anything is written;
//! - `FillValues::Auto` fills an existing string attribute with `""` (loompy writes the
//!   string `"0"`: its zero of the `object` dtype is the number 0);
//! - numbers appended to a string attribute (or the reverse) are an error (numpy turns
//!   the numbers into their text).

use std::borrow::Cow;
use std::collections::BTreeMap;

use hdf5_lite::format::messages::Datatype;
use hdf5_lite::write::{AttrValue, Writer};
use ndarray::{concatenate, ArrayD, Axis as NdAxis, IxDyn};

use super::StagedAttr;
use crate::axis::Axis;
use crate::connection::LoomConnection;
use crate::error::{LoomError, Result};
use crate::layer_input::LayerInput;
use crate::layers::LayerOptions;
use crate::layout::{self, layer_path};
use crate::timestamp::timestamp;
use crate::values::{AttrValues, Dtype};

/// loompy's `fill_values`: what existing columns get for a new column attribute, and
/// new columns for an attribute the call does not give.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum FillValues {
    /// `None`: a new attribute is dropped, a file attribute not given is deleted.
    #[default]
    None,
    /// `"auto"`: zero of the attribute's type (`0`, `0.0`, `""`).
    Auto,
    /// One value per attribute name (a scalar or a one-element array).
    Map(BTreeMap<String, AttrValues>),
}

impl LoomConnection {
    /// loompy's `ds.add_columns(layers, col_attrs, row_attrs=…, fill_values=…)`: appends
    /// the columns of `layers` (each N × M', every layer of the file given) and
    /// `col_attrs` (M' values each). On an empty file (shape (0, 0)), `row_attrs` is
    /// required and sets the rows, and the layers and column attributes given become
    /// the file's.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// use hdf5_lite::write::MemFile;
    /// use loom_core::{ops::FillValues, AttrValues, LayerInput};
    /// use ndarray::array;
    ///
    /// let mut ds = loom_core::new_in(Arc::new(MemFile::new()))?;
    /// let genes = [("Gene", AttrValues::from(vec!["a", "b"]))];
    /// for batch in 0..3 {
    ///     let block = array![[1.0f32, 2.0], [3.0, 4.0]];
    ///     let cells = [("CellID", AttrValues::from(vec![format!("{batch}x"), format!("{batch}y")]))];
    ///     ds.add_columns(&[("", LayerInput::from(&block))], &cells, Some(&genes), &FillValues::None)?;
    /// }
    /// assert_eq!(ds.shape(), (2, 6));
    /// # Ok::<(), loom_core::LoomError>(())
    /// ```
    pub fn add_columns(
        &mut self,
        layers: &[(&str, LayerInput)],
        col_attrs: &[(&str, AttrValues)],
        row_attrs: Option<&[(&str, AttrValues)]>,
        fill_values: &FillValues,
    ) -> Result<()> {
        let parts: Vec<AppendLayer> = layers
            .iter()
            .map(|(name, m)| {
                Ok(AppendLayer {
                    name: (*name).to_owned(),
                    shape: m.shape(),
                    dtype: m.datatype()?,
                    write: Box::new(move |w, path, col0, _| m.write_at(w, path, col0)),
                })
            })
            .collect::<Result<_>>()?;
        let no_extra = Extra::default();
        self.append_columns(&parts, col_attrs, row_attrs, fill_values, &no_extra)
    }

    /// [`add_columns`](Self::add_columns) with layers that write themselves.
    pub(super) fn append_columns(
        &mut self,
        layers: &[AppendLayer],
        col_attrs: &[(&str, AttrValues)],
        row_attrs: Option<&[(&str, AttrValues)]>,
        fill_values: &FillValues,
        extra: &Extra,
    ) -> Result<()> {
        if self.check_writable().is_err() {
            return Err(LoomError::InvalidInput(
                "Cannot add columns when connected in read-only mode".to_owned(),
            ));
        }
        let is_new = self.shape() == (0, 0);
        let mut n_rows = self.shape().0;
        let mut staged_rows = Vec::new();
        if is_new {
            let ra = row_attrs.ok_or_else(|| {
                LoomError::InvalidInput(
                    "row_attrs must be provided when adding to an empty (new) Loom file".to_owned(),
                )
            })?;
            for (k, v) in ra {
                if v.ndim() == 0 {
                    return Err(LoomError::InvalidInput(format!(
                        "row attribute '{k}' must be an array"
                    )));
                }
                if staged_rows.is_empty() {
                    n_rows = v.len() as u64;
                } else if v.len() as u64 != n_rows {
                    return Err(LoomError::InvalidInput(format!(
                        "Each row attribute must have exactly {n_rows} values, but {k} had {}",
                        v.len()
                    )));
                }
                staged_rows.push(StagedAttr::new(self, Axis::Rows, k, v)?);
            }
        }
        let file_layers = self.layers().keys()?;
        let mut n_cols: Option<u64> = None;
        for l in layers {
            let name = l.name.as_str();
            if !is_new && !file_layers.iter().any(|k| k == name) {
                return Err(LoomError::InvalidInput(format!(
                    "Layer {name} does not exist in the target loom file"
                )));
            }
            let shape = &l.shape;
            if shape.len() != 2 {
                return Err(LoomError::InvalidInput(format!(
                    "Layer {name} is not a matrix: its shape is {shape:?}"
                )));
            }
            if shape[0] as u64 != n_rows {
                return Err(LoomError::InvalidInput(format!(
                    "Layer {name} has {} rows but file has {n_rows}",
                    shape[0]
                )));
            }
            match n_cols {
                None => n_cols = Some(shape[1] as u64),
                Some(c) if c != shape[1] as u64 => {
                    return Err(LoomError::InvalidInput(format!(
                        "Layer {name} has {} columns but the first layer had {c}",
                        shape[1]
                    )))
                }
                Some(_) => {}
            }
        }
        let n_cols = n_cols.unwrap_or(0);
        if !is_new {
            if let Some(k) = file_layers
                .iter()
                .find(|k| !layers.iter().any(|l| &l.name == *k))
            {
                return Err(LoomError::InvalidInput(format!(
                    "Layer {k:?} is in the file but not among the layers given"
                )));
            }
        }
        if is_new && n_rows == 0 && !layers.is_empty() {
            return Err(LoomError::InvalidInput(
                "row_attrs must give at least one row".to_owned(),
            ));
        }
        let old_cols = self.shape().1;
        let file_ca: BTreeMap<String, AttrValues> = self.ca().items()?.into_iter().collect();
        // New attributes: back-filled, or dropped without fill values (their lengths
        // are checked all the same).
        let mut final_ca: BTreeMap<String, AttrValues> = BTreeMap::new();
        for (k, v) in col_attrs {
            if v.ndim() == 0 || v.len() as u64 != n_cols {
                return Err(LoomError::InvalidInput(format!(
                    "Each column attribute must have exactly {n_cols} values, but {k} had {}",
                    if v.ndim() == 0 { 1 } else { v.len() }
                )));
            }
            let joined = match file_ca.get(*k) {
                Some(old) => concat(old, v, k)?,
                None if is_new && file_ca.is_empty() => Some(v.clone()),
                None => match extra
                    .fill
                    .get(*k)
                    .cloned()
                    .map_or_else(|| fill_for(fill_values, k, v), |f| Ok(Some(f)))?
                {
                    Some(fill) => concat(&repeat(&fill, old_cols as usize, k)?, v, k)?,
                    None => continue,
                },
            };
            if let Some(j) = joined {
                final_ca.insert((*k).to_owned(), j);
            }
        }
        let mut deleted = Vec::new();
        for (k, old) in &file_ca {
            if col_attrs.iter().any(|(n, _)| n == k) {
                continue;
            }
            match fill_for(fill_values, k, old)? {
                Some(fill) => {
                    let add = repeat(&fill, n_cols as usize, k)?;
                    match concat(old, &add, k)? {
                        Some(j) => final_ca.insert(k.clone(), j),
                        None => None,
                    };
                }
                None => deleted.push(k.clone()),
            }
        }
        // Attributes whose trailing shape changed are deleted, as loompy does.
        for k in file_ca.keys() {
            if !final_ca.contains_key(k) && !deleted.contains(k) {
                deleted.push(k.clone());
            }
        }
        let mut staged_cols = Vec::new();
        for (k, v) in &final_ca {
            staged_cols.push(StagedAttr::new(self, Axis::Cols, k, v)?);
        }
        let mut layer_types = Vec::new();
        for l in layers {
            let dtype = if is_new {
                l.dtype.clone()
            } else {
                self.layers().dataset(&l.name)?.datatype().clone()
            };
            layer_types.push((l.name.as_str(), l, dtype));
        }
        let total = old_cols + n_cols;
        let stamp = AttrValue::string(&timestamp());
        // Progress: the new columns, layer after layer.
        let progress = self.progress.clone();
        let all_new = n_cols.saturating_mul(layer_types.len() as u64);
        self.edit(|w| {
            for a in &staged_rows {
                a.write(w, &stamp)?;
            }
            // The main layer first: it sets the shape.
            let mut order: Vec<_> = layer_types.iter().collect();
            order.sort_by_key(|(name, _, _)| !name.is_empty());
            for (i, (name, m, dtype)) in order.into_iter().enumerate() {
                let before = n_cols * i as u64;
                let report = |done: u64| progress.report(before + done, all_new);
                let path = if is_new {
                    Self::fresh_layer(
                        w,
                        name,
                        (n_rows, total),
                        dtype.clone(),
                        &LayerOptions::default(),
                    )?
                } else {
                    let path = layer_path(name);
                    w.resize(&path, &[n_rows, total])?;
                    path
                };
                (m.write)(w, &path, old_cols, &report)?;
                report(n_cols);
                w.set_attribute(&path, layout::LAST_MODIFIED, &stamp)?;
            }
            for k in &deleted {
                w.unlink(&layout::attr_path(Axis::Cols, k))?;
            }
            for a in &staged_cols {
                a.write(w, &stamp)?;
            }
            if let Some(f) = &extra.then {
                f(w)?;
            }
            w.set_attribute(layout::ROOT, layout::LAST_MODIFIED, &stamp)
        })
    }
}

/// Writes a layer's new columns into the dataset at a path from a column on, telling
/// the callback how many are done as it goes (or not at all).
pub(super) type WriteColumns<'a> =
    Box<dyn Fn(&mut Writer, &str, u64, &dyn Fn(u64)) -> hdf5_lite::Result<()> + 'a>;

/// One layer of an append: its name, the shape of the new block (N × M'), its element
/// type (used when the file is new), and how to write it.
pub(super) struct AppendLayer<'a> {
    pub(super) name: String,
    pub(super) shape: Vec<usize>,
    pub(super) dtype: Datatype,
    pub(super) write: WriteColumns<'a>,
}

/// Edits made after an append, in its commit.
pub(super) type MoreEdits<'a> = Box<dyn Fn(&mut Writer) -> hdf5_lite::Result<()> + 'a>;

/// What an operation built on an append adds to it: fill values for particular new
/// attributes (they win over `fill_values`), and more edits in the same commit.
#[derive(Default)]
pub(super) struct Extra<'a> {
    pub(super) fill: BTreeMap<String, AttrValues>,
    pub(super) then: Option<MoreEdits<'a>>,
}

/// The fill value for attribute `k` (whose values look like `like`), or `None` when
/// there are no fill values.
fn fill_for(fill: &FillValues, k: &str, like: &AttrValues) -> Result<Option<AttrValues>> {
    Ok(match fill {
        FillValues::None => None,
        FillValues::Auto => Some(zero_of(like)),
        FillValues::Map(m) => Some(m.get(k).cloned().ok_or_else(|| LoomError::Missing {
            kind: "fill value",
            name: k.to_owned(),
        })?),
    })
}

/// numpy's `np.zeros(1, dtype)[0]`, except `""` for strings.
pub(super) fn zero_of(like: &AttrValues) -> AttrValues {
    let one = IxDyn(&[]);
    match like {
        AttrValues::Str(_) => AttrValues::Str(ArrayD::from_elem(one, String::new())),
        AttrValues::Int { bytes, .. } => AttrValues::Int {
            values: ArrayD::zeros(one),
            bytes: *bytes,
        },
        AttrValues::UInt { bytes, .. } => AttrValues::UInt {
            values: ArrayD::zeros(one),
            bytes: *bytes,
        },
        AttrValues::Bool(_) => AttrValues::Bool(ArrayD::from_elem(one, false)),
        AttrValues::Float { bytes, .. } => AttrValues::Float {
            values: ArrayD::zeros(one),
            bytes: *bytes,
        },
        AttrValues::Compound(f) => {
            AttrValues::Compound(f.iter().map(|(k, v)| (k.clone(), zero_of(v))).collect())
        }
    }
}

/// `n` copies of the single value `v` (a scalar or a one-element array).
pub(super) fn repeat(v: &AttrValues, n: usize, k: &str) -> Result<AttrValues> {
    if v.shape().iter().product::<usize>() != 1 {
        return Err(LoomError::InvalidInput(format!(
            "the fill value for '{k}' must be one value, not shape {:?}",
            v.shape()
        )));
    }
    Ok(match v {
        AttrValues::Str(a) => AttrValues::Str(rep(a, n)),
        AttrValues::Int { values, bytes } => AttrValues::Int {
            values: rep(values, n),
            bytes: *bytes,
        },
        AttrValues::UInt { values, bytes } => AttrValues::UInt {
            values: rep(values, n),
            bytes: *bytes,
        },
        AttrValues::Float { values, bytes } => AttrValues::Float {
            values: rep(values, n),
            bytes: *bytes,
        },
        AttrValues::Bool(a) => AttrValues::Bool(rep(a, n)),
        AttrValues::Compound(fields) => AttrValues::Compound(
            fields
                .iter()
                .map(|(name, f)| Ok((name.clone(), repeat(f, n, k)?)))
                .collect::<Result<_>>()?,
        ),
    })
}

/// `np.concatenate([old, new])` with numpy's type promotion among numbers; `None` when
/// the trailing shapes differ (loompy then deletes the attribute).
pub(super) fn concat<'a>(
    old: &'a AttrValues,
    new: &'a AttrValues,
    k: &str,
) -> Result<Option<AttrValues>> {
    if old.shape().get(1..) != new.shape().get(1..) {
        return Ok(None);
    }
    if let (AttrValues::Compound(a), AttrValues::Compound(b)) = (old, new) {
        return concat_fields(a, b, k);
    }
    let target = promote(old.dtype(), new.dtype()).ok_or_else(|| {
        LoomError::InvalidInput(format!(
            "cannot append {} values to the {} column attribute '{k}'",
            new.dtype().name(),
            old.dtype().name()
        ))
    })?;
    // Values already of the target type are joined as they are, not copied first.
    let cast = |v: &'a AttrValues| -> Result<Cow<'a, AttrValues>> {
        Ok(if v.dtype() == target {
            Cow::Borrowed(v)
        } else {
            Cow::Owned(v.cast(target)?)
        })
    };
    let (a, b) = (cast(old)?, cast(new)?);
    Ok(Some(match (&*a, &*b) {
        (AttrValues::Str(x), AttrValues::Str(y)) => AttrValues::Str(join(x, y, k)?),
        (AttrValues::Int { values: x, bytes }, AttrValues::Int { values: y, .. }) => {
            AttrValues::Int {
                values: join(x, y, k)?,
                bytes: *bytes,
            }
        }
        (AttrValues::UInt { values: x, bytes }, AttrValues::UInt { values: y, .. }) => {
            AttrValues::UInt {
                values: join(x, y, k)?,
                bytes: *bytes,
            }
        }
        (AttrValues::Float { values: x, bytes }, AttrValues::Float { values: y, .. }) => {
            AttrValues::Float {
                values: join(x, y, k)?,
                bytes: *bytes,
            }
        }
        (AttrValues::Bool(x), AttrValues::Bool(y)) => AttrValues::Bool(join(x, y, k)?),
        _ => {
            return Err(LoomError::InvalidInput(format!(
                "cannot append to the column attribute '{k}'"
            )))
        }
    }))
}

/// Compounds joined field by field (numpy's rule: the same field names in the same
/// order, each field's type promoted); `None` when a field's trailing shape differs.
fn concat_fields(
    old: &[(String, AttrValues)],
    new: &[(String, AttrValues)],
    k: &str,
) -> Result<Option<AttrValues>> {
    let names = |f: &[(String, AttrValues)]| f.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>();
    if names(old) != names(new) {
        return Err(LoomError::InvalidInput(format!(
            "cannot append compound values with fields {:?} to the column attribute '{k}' \
             with fields {:?}",
            names(new),
            names(old)
        )));
    }
    let mut out = Vec::with_capacity(old.len());
    for ((name, a), (_, b)) in old.iter().zip(new) {
        match concat(a, b, &format!("{k}[{name:?}]"))? {
            Some(j) => out.push((name.clone(), j)),
            None => return Ok(None),
        }
    }
    Ok(Some(AttrValues::Compound(out)))
}

/// `n` copies of the first element of `a`.
fn rep<T: Clone + Default>(a: &ArrayD<T>, n: usize) -> ArrayD<T> {
    ArrayD::from_elem(IxDyn(&[n]), a.iter().next().cloned().unwrap_or_default())
}

/// `x` then `y` along the first axis.
fn join<T: Clone>(x: &ArrayD<T>, y: &ArrayD<T>, k: &str) -> Result<ArrayD<T>> {
    concatenate(NdAxis(0), &[x.view(), y.view()])
        .map_err(|e| LoomError::InvalidInput(format!("'{k}': {e}")))
}

/// numpy's result type of concatenating two dtypes, for the dtypes loom attributes use.
fn promote(a: Dtype, b: Dtype) -> Option<Dtype> {
    use Dtype::*;
    let rank = |d: Dtype| -> Option<(u8, u8)> {
        // (kind: 0 bool, 1 uint, 2 int, 3 float; bytes)
        Some(match d {
            Bool => (0, 1),
            UInt8 => (1, 1),
            UInt16 => (1, 2),
            UInt32 => (1, 4),
            UInt64 => (1, 8),
            Int8 => (2, 1),
            Int16 => (2, 2),
            Int32 => (2, 4),
            Int64 => (2, 8),
            Float16 => (3, 2),
            Float32 => (3, 4),
            Float64 => (3, 8),
            Str | Compound => return None,
        })
    };
    if a == b {
        return Some(a);
    }
    let (ka, ba) = rank(a)?;
    let (kb, bb) = rank(b)?;
    let bytes = ba.max(bb);
    Some(match ka.max(kb) {
        0 => Bool,
        1 => [UInt8, UInt16, UInt32, UInt64][bytes.trailing_zeros() as usize],
        2 => {
            // A signed type must hold the unsigned one: uint32 with int32 gives int64.
            let need = if ka == 1 {
                ba * 2
            } else if kb == 1 {
                bb * 2
            } else {
                bytes
            };
            match need.max(bytes) {
                1 => Int8,
                2 => Int16,
                4 => Int32,
                _ => Int64,
            }
        }
        _ => {
            if ka == 3 && kb == 3 {
                if bytes >= 8 {
                    Float64
                } else if bytes == 4 {
                    Float32
                } else {
                    Float16
                }
            } else {
                Float64
            }
        }
    })
}
