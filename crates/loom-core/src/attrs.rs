//! Row and column attributes: loompy's `AttributeManager` (`ds.ra`, `ds.ca`;
//! loompy-api.md §5, §3.17 `set_attr`/`delete_attr`, §10.2–§10.4).
//!
//! Reading goes through [`Attrs`] (`ds.ra()`, `ds.ca()`); writing through [`AttrsMut`]
//! (`ds.ra_mut()`, `ds.ca_mut()`) or the older `set_attr`/`delete_attr`.

use hdf5_lite::read::Object;
use hdf5_lite::write::{AttrValue, DatasetSpec, Writer};

use crate::axis::Axis;
use crate::connection::LoomConnection;
use crate::error::{LoomError, Result};
use crate::layout;
use crate::timestamp::timestamp;
use crate::transaction::{ensure_group, unlink_if_present};
use crate::values::{dtype_of, encode, read_dataset, AttrValues, Dtype, Encoded};

/// Read access to the row or column attributes of a connection.
#[derive(Debug, Clone, Copy)]
pub struct Attrs<'a> {
    ds: &'a LoomConnection,
    axis: Axis,
}

/// What an attribute is, known without reading its values: its element type and shape.
#[derive(Debug, Clone, PartialEq)]
pub struct AttrInfo {
    /// The numpy-style element type ([`Dtype::Compound`] for a compound).
    pub dtype: Dtype,
    /// The stored HDF5 type.
    pub datatype: hdf5_lite::format::messages::Datatype,
    /// The shape (first axis: the rows or columns).
    pub shape: Vec<u64>,
}

/// Read and write access to the row or column attributes (reads through
/// [`AttrsMut::as_attrs`] or the forwarding `keys`, `get`, `get_many`, `contains`).
#[derive(Debug)]
pub struct AttrsMut<'a> {
    ds: &'a mut LoomConnection,
    axis: Axis,
}

fn kind(axis: Axis) -> &'static str {
    match axis {
        Axis::Rows => "row attribute",
        Axis::Cols => "column attribute",
    }
}

impl<'a> Attrs<'a> {
    /// The axis these attributes belong to.
    pub fn axis(&self) -> Axis {
        self.axis
    }

    /// The number of values each attribute must have (`ds.shape[axis]`).
    pub fn expected_len(&self) -> u64 {
        self.axis.of(self.ds.shape())
    }

    /// The attribute names, sorted (loompy lists the file's names alphabetically).
    pub fn keys(&self) -> Vec<String> {
        let mut keys: Vec<String> = self
            .ds
            .hdf5()
            .group(layout::attrs_group(self.axis))
            .and_then(|g| g.members())
            .map(|members| {
                members
                    .into_iter()
                    .filter(|(_, o)| matches!(o, Ok(Object::Dataset(_))))
                    .map(|(name, _)| name)
                    .collect()
            })
            .unwrap_or_default();
        keys.sort();
        keys
    }

    /// Number of attributes.
    pub fn len(&self) -> usize {
        self.keys().len()
    }

    /// True when there are none.
    pub fn is_empty(&self) -> bool {
        self.keys().is_empty()
    }

    /// Whether an attribute of that name exists.
    pub fn contains(&self, name: &str) -> bool {
        !name.contains('/')
            && matches!(
                self.ds.hdf5().object(&self.path(name)),
                Ok(Object::Dataset(_))
            )
    }

    fn path(&self, name: &str) -> String {
        layout::attr_path(self.axis, name)
    }

    /// The values of one attribute (loompy's `ds.ra[name]`). Strings of spec 3 files come
    /// back exactly as stored (non-ASCII kept), those of older files unescaped; compound
    /// attributes (pySCENIC) come back as [`AttrValues::Compound`].
    ///
    /// ```no_run
    /// # let ds = loom_core::connect("cells.loom", loom_core::Mode::Read)?;
    /// let genes = ds.ra().get("Gene")?;
    /// println!("first gene: {}", genes.as_strings().unwrap()[0]);
    /// # Ok::<(), loom_core::LoomError>(())
    /// ```
    pub fn get(&self, name: &str) -> Result<AttrValues> {
        self.get_in(name, self.ds.is_legacy())
    }

    /// The attribute's dataset, found with one lookup, or `None` when there is none.
    fn find(&self, name: &str) -> Option<hdf5_lite::read::Dataset> {
        if name.contains('/') {
            return None;
        }
        match self.ds.hdf5().object(&self.path(name)) {
            Ok(Object::Dataset(d)) => Some(d),
            _ => None,
        }
    }

    /// The dtype and shape of one attribute, read from its header only (the values are not
    /// read).
    pub fn info(&self, name: &str) -> Result<AttrInfo> {
        let d = self.find(name).ok_or_else(|| LoomError::Missing {
            kind: kind(self.axis),
            name: name.to_owned(),
        })?;
        Ok(AttrInfo {
            dtype: dtype_of(d.datatype())?,
            datatype: d.datatype().clone(),
            shape: d.shape().to_vec(),
        })
    }

    /// [`Attrs::get`] with the file's legacy-string flag already known.
    fn get_in(&self, name: &str, legacy: bool) -> Result<AttrValues> {
        let d = self.find(name).ok_or_else(|| LoomError::Missing {
            kind: kind(self.axis),
            name: name.to_owned(),
        })?;
        read_dataset(&d, legacy)
    }

    /// loompy's `get(name, default)`: the attribute, or `default` when it is missing.
    /// `default` must have exactly `expected_len()` values along its first axis.
    pub fn get_or(&self, name: &str, default: AttrValues) -> Result<AttrValues> {
        if self.contains(name) {
            return self.get(name);
        }
        let n = self.expected_len();
        if default.ndim() == 0 {
            return Err(LoomError::InvalidInput(format!(
                "Default must be an np.ndarray with exactly {n} values"
            )));
        }
        if default.len() as u64 != n {
            return Err(LoomError::InvalidInput(format!(
                "Default must be an np.ndarray with exactly {n} values but {} were given",
                default.len()
            )));
        }
        Ok(default)
    }

    /// Several attributes stacked side by side (loompy's `ds.ca["TSNE", "PCA"]`): names
    /// that do not exist are skipped; one found attribute is returned as is; several are
    /// stacked as columns into an (n, k) array (1-D ones give one column each, 2-D ones
    /// all their columns). They must all have the same dtype, else loompy's "Cannot stack
    /// attributes of different types (…)". (loompy fails on three or more; we stack them.)
    pub fn get_many(&self, names: &[&str]) -> Result<AttrValues> {
        let legacy = self.ds.is_legacy();
        let mut found: Vec<AttrValues> = Vec::new();
        for name in names {
            let Some(d) = self.find(name) else {
                continue;
            };
            let v = read_dataset(&d, legacy)?;
            if let Some(first) = found.first() {
                if first.dtype() != v.dtype() {
                    return Err(LoomError::InvalidInput(format!(
                        "Cannot stack attributes of different types ({} and {})",
                        v.dtype().name(),
                        first.dtype().name()
                    )));
                }
            }
            found.push(v);
        }
        match found.len() {
            0 => Err(LoomError::Missing {
                kind: kind(self.axis),
                name: names.join(", "),
            }),
            1 => Ok(found.remove(0)),
            _ => stack(found),
        }
    }

    /// Every attribute with its values, in key order (loompy's `items()`).
    pub fn items(&self) -> Result<Vec<(String, AttrValues)>> {
        let legacy = self.ds.is_legacy();
        self.keys()
            .into_iter()
            .map(|k| self.get_in(&k, legacy).map(|v| (k, v)))
            .collect()
    }

    /// The `last_modified` stamp of one attribute (`Some(name)`) or of the whole group
    /// (`None`); the current time when there is none. Unlike loompy this never writes a
    /// missing stamp (reading does not modify the file).
    pub fn last_modified(&self, name: Option<&str>) -> String {
        let path = match name {
            Some(n) => self.path(n),
            None => layout::attrs_group(self.axis).to_owned(),
        };
        stamp_of(self.ds, &path).unwrap_or_else(timestamp)
    }
}

/// The `last_modified` HDF5 attribute of the object at `path`, if it has one.
pub(crate) fn stamp_of(ds: &LoomConnection, path: &str) -> Option<String> {
    let attr = match ds.hdf5().object(path).ok()? {
        Object::Dataset(d) => d.attribute(layout::LAST_MODIFIED).ok()?,
        Object::Group(g) => g.attribute(layout::LAST_MODIFIED).ok()?,
        _ => return None,
    };
    attr.strings().ok()?.into_iter().next()
}

/// Stacks same-dtype attributes as columns.
fn stack(found: Vec<AttrValues>) -> Result<AttrValues> {
    fn columns<T: Clone>(arrays: Vec<ndarray::ArrayD<T>>) -> Result<ndarray::ArrayD<T>> {
        let cols: Vec<ndarray::ArrayD<T>> = arrays
            .into_iter()
            .map(|a| match a.ndim() {
                1 => Ok(a.insert_axis(ndarray::Axis(1))),
                2 => Ok(a),
                d => Err(LoomError::InvalidInput(format!(
                    "cannot stack {d}-dimensional attributes"
                ))),
            })
            .collect::<Result<_>>()?;
        let views: Vec<_> = cols.iter().map(|c| c.view()).collect();
        ndarray::concatenate(ndarray::Axis(1), &views)
            .map_err(|e| LoomError::InvalidInput(format!("attributes of different lengths: {e}")))
    }
    let first = found.first().cloned();
    Ok(match first {
        Some(AttrValues::Int { bytes, .. }) => AttrValues::Int {
            values: columns(found.into_iter().filter_map(|v| v.to_i64()).collect())?,
            bytes,
        },
        Some(AttrValues::UInt { bytes, .. }) => AttrValues::UInt {
            values: columns(
                found
                    .into_iter()
                    .filter_map(|v| match v {
                        AttrValues::UInt { values, .. } => Some(values),
                        _ => None,
                    })
                    .collect(),
            )?,
            bytes,
        },
        Some(AttrValues::Float { bytes, .. }) => AttrValues::Float {
            values: columns(found.into_iter().filter_map(|v| v.to_f64()).collect())?,
            bytes,
        },
        Some(AttrValues::Bool(_)) => AttrValues::Bool(columns(
            found
                .into_iter()
                .filter_map(|v| match v {
                    AttrValues::Bool(b) => Some(b),
                    _ => None,
                })
                .collect(),
        )?),
        Some(AttrValues::Str(_)) => AttrValues::Str(columns(
            found
                .into_iter()
                .filter_map(|v| match v {
                    AttrValues::Str(s) => Some(s),
                    _ => None,
                })
                .collect(),
        )?),
        _ => {
            return Err(LoomError::InvalidInput(
                "compound attributes cannot be stacked".into(),
            ))
        }
    })
}

/// h5py's `guess_chunk` (loompy-api.md §10.4): the chunk shape h5py picks when asked for
/// automatic chunking of a dataset of `shape` with `typesize`-byte elements.
pub fn guess_chunk(shape: &[u64], typesize: u64) -> Vec<u64> {
    const BASE: f64 = 16.0 * 1024.0;
    const MIN: f64 = 8.0 * 1024.0;
    const MAX: f64 = 1024.0 * 1024.0;
    let mut chunks: Vec<f64> = shape
        .iter()
        .map(|&d| if d == 0 { 1024.0 } else { d as f64 })
        .collect();
    if chunks.is_empty() {
        return Vec::new();
    }
    let total = chunks.iter().product::<f64>() * typesize as f64;
    let target = (BASE * 2f64.powf((total / MAX).log10())).clamp(MIN, MAX);
    let mut idx = 0;
    loop {
        let product: f64 = chunks.iter().product();
        let bytes = product * typesize as f64;
        if (bytes < target || (bytes - target).abs() / target < 0.5) && bytes < MAX {
            break;
        }
        if product <= 1.0 {
            break;
        }
        let i = idx % chunks.len();
        chunks[i] = (chunks[i] / 2.0).ceil();
        idx += 1;
    }
    chunks.into_iter().map(|c| c as u64).collect()
}

/// Writes encoded values of `shape` at `path` as loompy writes an attribute: chunked (h5py's guess),
/// gzip 2, maxshape (n,) or (n, unlimited); an existing dataset is replaced.
pub(crate) fn write_attr_dataset(
    w: &mut Writer,
    path: &str,
    shape: &[u64],
    encoded: &Encoded,
    legacy: bool,
) -> hdf5_lite::Result<()> {
    let (datatype, typesize) = match encoded {
        Encoded::Numbers(dt, _) => (dt.clone(), u64::from(dt.size())),
        Encoded::Strings(dt, _) if legacy => (dt.clone(), u64::from(dt.size())),
        Encoded::Strings(dt, _) => (dt.clone(), 8),
    };
    let mut chunks = guess_chunk(shape, typesize);
    if let (Some(c), Some(&n)) = (chunks.first_mut(), shape.first()) {
        *c = (*c).min(n.max(1));
    }
    let maxshape: Vec<Option<u64>> = shape
        .iter()
        .enumerate()
        .map(|(i, &d)| if i == 0 { Some(d) } else { None })
        .collect();
    unlink_if_present(w, path)?;
    w.create_dataset(
        path,
        &DatasetSpec::new(datatype, shape)
            .maxshape(&maxshape)
            .chunks(&chunks)
            .deflate(2),
    )?;
    write_values(w, path, shape, encoded)
}

/// Writes encoded values over the whole dataset at `path` (nothing for an empty one).
pub(crate) fn write_values(
    w: &mut Writer,
    path: &str,
    shape: &[u64],
    encoded: &Encoded,
) -> hdf5_lite::Result<()> {
    if shape.contains(&0) {
        return Ok(());
    }
    let start = vec![0; shape.len()];
    match encoded {
        Encoded::Numbers(_, raw) => w.write_raw(
            path,
            &hdf5_lite::read::Hyperslab {
                start,
                count: shape.to_vec(),
            },
            raw,
        ),
        Encoded::Strings(_, s) => {
            let refs: Vec<&str> = s.iter().map(String::as_str).collect();
            w.write_strings(path, &start, shape, &refs)
        }
    }
}

impl<'a> AttrsMut<'a> {
    /// Read access.
    pub fn as_attrs(&self) -> Attrs<'_> {
        Attrs {
            ds: self.ds,
            axis: self.axis,
        }
    }

    /// See [`Attrs::keys`].
    pub fn keys(&self) -> Vec<String> {
        self.as_attrs().keys()
    }

    /// See [`Attrs::contains`].
    pub fn contains(&self, name: &str) -> bool {
        self.as_attrs().contains(name)
    }

    /// See [`Attrs::get`].
    pub fn get(&self, name: &str) -> Result<AttrValues> {
        self.as_attrs().get(name)
    }

    /// See [`Attrs::get_many`].
    pub fn get_many(&self, names: &[&str]) -> Result<AttrValues> {
        self.as_attrs().get_many(names)
    }

    /// loompy's `ds.ra[name] = values`: creates or replaces an attribute. Values must be
    /// 1-D or 2-D with `expected_len()` rows (any length while the matrix is empty);
    /// bools are stored as `uint8`, strings as vlen UTF-8 (spec 3) or escaped fixed-length
    /// ASCII (older files). Stamps `last_modified` on the dataset, its group and the root.
    ///
    /// ```no_run
    /// # let mut ds = loom_core::connect("cells.loom", loom_core::Mode::ReadWrite)?;
    /// let n = ds.shape().1 as usize;
    /// ds.ca_mut().set("Cluster", vec![0i64; n])?;
    /// ds.ca_mut().set("Label", vec!["naïve T"; n])?;
    /// # Ok::<(), loom_core::LoomError>(())
    /// ```
    pub fn set(&mut self, name: &str, values: impl Into<AttrValues>) -> Result<()> {
        let values = values.into();
        if name.contains('/') {
            return Err(LoomError::InvalidInput(
                "Attribute name cannot contain slash (/)".into(),
            ));
        }
        let attrs = self.as_attrs();
        let n = attrs.expected_len();
        if values.ndim() == 0 {
            return Err(LoomError::InvalidInput(format!(
                "Attribute '{name}' must have exactly {n} values but a scalar was given"
            )));
        }
        if n != 0 && values.len() as u64 != n {
            return Err(LoomError::InvalidInput(format!(
                "Attribute '{name}' must have exactly {n} values but {} were given",
                values.len()
            )));
        }
        if values.ndim() > 2 {
            return Err(LoomError::InvalidInput(
                "'maxshape' must have same rank as dataset shape".into(),
            ));
        }
        let legacy = self.ds.is_legacy();
        let encoded = encode(&values, legacy)?;
        let shape: Vec<u64> = values.shape().iter().map(|&d| d as u64).collect();
        let g = layout::attrs_group(self.axis);
        let path = layout::attr_path(self.axis, name);
        self.ds.edit(|w| {
            ensure_group(w, g)?;
            write_attr_dataset(w, &path, &shape, &encoded, legacy)?;
            let stamp = AttrValue::string(&timestamp());
            for target in [path.as_str(), g, layout::ROOT] {
                w.set_attribute(target, layout::LAST_MODIFIED, &stamp)?;
            }
            Ok(())
        })
    }

    /// loompy's `del ds.ra[name]`: deletes the attribute; a missing name is ignored.
    pub fn delete(&mut self, name: &str) -> Result<()> {
        if name.contains('/') {
            return Ok(());
        }
        let path = layout::attr_path(self.axis, name);
        self.ds.edit(|w| unlink_if_present(w, &path))
    }
}

impl LoomConnection {
    /// The row attributes (loompy's `ds.ra` / `ds.row_attrs`).
    pub fn row_attrs(&self) -> Attrs<'_> {
        Attrs {
            ds: self,
            axis: Axis::Rows,
        }
    }

    /// The column attributes (loompy's `ds.ca` / `ds.col_attrs`).
    pub fn col_attrs(&self) -> Attrs<'_> {
        Attrs {
            ds: self,
            axis: Axis::Cols,
        }
    }

    /// Alias of [`LoomConnection::row_attrs`].
    pub fn ra(&self) -> Attrs<'_> {
        self.row_attrs()
    }

    /// Alias of [`LoomConnection::col_attrs`].
    pub fn ca(&self) -> Attrs<'_> {
        self.col_attrs()
    }

    /// Writable row attributes.
    pub fn ra_mut(&mut self) -> AttrsMut<'_> {
        self.axis_attrs_mut(Axis::Rows)
    }

    /// Writable column attributes.
    pub fn ca_mut(&mut self) -> AttrsMut<'_> {
        self.axis_attrs_mut(Axis::Cols)
    }

    /// The attributes of one axis (`ds.ra` for [`Axis::Rows`], `ds.ca` for [`Axis::Cols`]).
    pub fn axis_attrs(&self, axis: Axis) -> Attrs<'_> {
        Attrs { ds: self, axis }
    }

    /// Writable attributes of one axis.
    pub fn axis_attrs_mut(&mut self, axis: Axis) -> AttrsMut<'_> {
        AttrsMut { ds: self, axis }
    }

    /// The older API (loompy's `set_attr(name, values, axis, dtype)`): sets a row or
    /// column attribute, converted to `dtype` first when one is given (loompy
    /// ignores `dtype`).
    pub fn set_attr(
        &mut self,
        name: &str,
        values: impl Into<AttrValues>,
        axis: Axis,
        dtype: Option<Dtype>,
    ) -> Result<()> {
        let mut values = values.into();
        if let Some(d) = dtype {
            values = values.cast(d)?;
        }
        self.axis_attrs_mut(axis).set(name, values)
    }

    /// The older API (loompy's `delete_attr(name, axis)`).
    pub fn delete_attr(&mut self, name: &str, axis: Axis) -> Result<()> {
        self.axis_attrs_mut(axis).delete(name)
    }
}
