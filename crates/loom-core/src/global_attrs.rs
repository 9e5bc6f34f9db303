//! Global attributes: loompy's `GlobalAttributeManager` (`ds.attrs`; loompy-api.md §6,
//! §10.1, §10.6), plus `last_modified()` and `get_changes_since()` (§3.15).
//!
//! Spec 3 files keep global attributes as datasets in `/attrs`: scalar strings and
//! numbers, numeric arrays, and (which loompy 3.0.8 crashes on) lists of strings, written
//! here as 1-D vlen UTF-8 datasets. Files without `/attrs` (spec 2.0.1 and older) keep
//! them as HDF5 attributes of the root group, strings as escaped fixed-length ASCII; writes
//! keep that layout, as loompy does. Values are typed [`AttrValues`]: there is no `None`.

use hdf5_lite::read::Object;
use hdf5_lite::write::{AttrData, AttrValue, DatasetSpec};

use crate::attrs::{stamp_of, write_values};
use crate::axis::Axis;
use crate::connection::LoomConnection;
use crate::error::{LoomError, Result};
use crate::layout;
use crate::timestamp::timestamp;
use crate::transaction::{ensure_group, unlink_if_present};
use crate::values::{encode, read_attribute, read_dataset, AttrValues, Encoded};

/// Read access to the global attributes.
#[derive(Debug, Clone, Copy)]
pub struct GlobalAttrs<'a> {
    ds: &'a LoomConnection,
}

/// Read and write access to the global attributes.
#[derive(Debug)]
pub struct GlobalAttrsMut<'a> {
    ds: &'a mut LoomConnection,
}

fn has_attrs_group(ds: &LoomConnection) -> bool {
    ds.globals_group
}

impl GlobalAttrs<'_> {
    /// True when the globals are root HDF5 attributes (no `/attrs` group).
    pub fn is_legacy_layout(&self) -> bool {
        !has_attrs_group(self.ds)
    }

    /// The names, sorted.
    pub fn keys(&self) -> Vec<String> {
        let file = self.ds.hdf5();
        let mut keys: Vec<String> = if self.is_legacy_layout() {
            file.root()
                .and_then(|r| r.attributes())
                .map(|a| a.iter().map(|a| a.name().to_owned()).collect())
                .unwrap_or_default()
        } else {
            file.group(layout::GLOBALS)
                .and_then(|g| g.member_names())
                .unwrap_or_default()
        };
        keys.sort();
        keys
    }

    /// Whether a global attribute of that name exists.
    pub fn contains(&self, name: &str) -> bool {
        !name.contains('/') && self.keys().iter().any(|k| k == name)
    }

    /// One global attribute (loompy's `ds.attrs[name]`); a missing name is
    /// `LoomError::Missing` (loompy: "File has no global attribute '…'").
    ///
    /// ```no_run
    /// # let ds = loom_core::connect("cells.loom", loom_core::Mode::Read)?;
    /// let title = ds.attrs().get("title")?;
    /// println!("{}", title.as_str().unwrap_or("(not a string)"));
    /// # Ok::<(), loom_core::LoomError>(())
    /// ```
    pub fn get(&self, name: &str) -> Result<AttrValues> {
        self.get_in(name, self.ds.is_legacy(), self.attrs_group())
    }

    /// The `/attrs` group, or `None` in the legacy layout.
    fn attrs_group(&self) -> Option<hdf5_lite::read::Group> {
        match self.ds.hdf5().object(layout::GLOBALS) {
            Ok(Object::Group(g)) => Some(g),
            _ => None,
        }
    }

    /// [`GlobalAttrs::get`] with the string flag and the layout already known: one lookup.
    fn get_in(
        &self,
        name: &str,
        legacy: bool,
        attrs: Option<hdf5_lite::read::Group>,
    ) -> Result<AttrValues> {
        let missing = || LoomError::Missing {
            kind: "global attribute",
            name: name.to_owned(),
        };
        if name.contains('/') {
            return Err(missing());
        }
        match attrs {
            None => {
                let a = self
                    .ds
                    .hdf5()
                    .root()?
                    .attribute(name)
                    .map_err(|_| missing())?;
                read_attribute(&a, legacy)
            }
            Some(g) => match g.object(name) {
                Ok(Object::Dataset(d)) => read_dataset(&d, legacy),
                _ => Err(missing()),
            },
        }
    }

    /// loompy's `ds.attrs.get(name, default)`: never fails.
    pub fn get_or(&self, name: &str, default: AttrValues) -> AttrValues {
        self.get(name).unwrap_or(default)
    }

    /// Every global attribute with its value, in key order.
    pub fn items(&self) -> Result<Vec<(String, AttrValues)>> {
        let legacy = self.ds.is_legacy();
        let attrs = self.attrs_group();
        self.keys()
            .into_iter()
            .map(|k| self.get_in(&k, legacy, attrs.clone()).map(|v| (k, v)))
            .collect()
    }
}

impl GlobalAttrsMut<'_> {
    /// Read access.
    pub fn as_attrs(&self) -> GlobalAttrs<'_> {
        GlobalAttrs { ds: self.ds }
    }

    /// Sets a global attribute (loompy's `ds.attrs[name] = value`): a scalar (0-D) or an
    /// array of numbers, bools (stored `uint8`) or strings. Global writes stamp nothing.
    pub fn set(&mut self, name: &str, value: impl Into<AttrValues>) -> Result<()> {
        let value = value.into();
        if name.contains('/') {
            return Err(LoomError::InvalidInput(
                "Attribute name cannot contain slash (/)".into(),
            ));
        }
        let legacy = self.ds.is_legacy();
        let encoded = encode(&value, legacy)?;
        let shape: Vec<u64> = value.shape().iter().map(|&d| d as u64).collect();
        if legacy && !has_attrs_group(self.ds) {
            let attr = match encoded {
                Encoded::Numbers(datatype, raw) => AttrValue {
                    datatype,
                    shape: Some(shape),
                    data: AttrData::Raw(raw),
                },
                Encoded::Strings(datatype, s) => AttrValue {
                    datatype,
                    shape: Some(shape),
                    data: AttrData::Strings(s),
                },
            };
            self.ds
                .edit(|w| w.set_attribute(layout::ROOT, name, &attr))?;
        } else {
            let path = layout::global_path(name);
            self.ds.edit(|w| {
                ensure_group(w, layout::GLOBALS)?;
                unlink_if_present(w, &path)?;
                let datatype = match &encoded {
                    Encoded::Numbers(dt, _) | Encoded::Strings(dt, _) => dt.clone(),
                };
                w.create_dataset(&path, &DatasetSpec::new(datatype, &shape))?;
                write_values(w, &path, &shape, &encoded)
            })?;
            self.ds.globals_group = true;
        }
        if name == layout::SPEC_VERSION_KEY {
            // The version decides the string and layout rules of later writes.
            self.ds.spec = layout::spec_version(&self.ds.hdf5());
        }
        Ok(())
    }

    /// Deletes a global attribute (loompy's `del ds.attrs.name`); a missing name is
    /// `LoomError::Missing` (loompy: `KeyError`).
    pub fn delete(&mut self, name: &str) -> Result<()> {
        let attrs = self.as_attrs();
        if !attrs.contains(name) {
            return Err(LoomError::Missing {
                kind: "global attribute",
                name: name.to_owned(),
            });
        }
        if attrs.is_legacy_layout() {
            self.ds.edit(|w| w.delete_attribute(layout::ROOT, name))?;
        } else {
            let path = layout::global_path(name);
            self.ds.edit(|w| w.unlink(&path))?;
        }
        if name == layout::SPEC_VERSION_KEY {
            self.ds.spec = layout::spec_version(&self.ds.hdf5());
        }
        Ok(())
    }
}

/// What changed since a timestamp ([`LoomConnection::get_changes_since`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Changes {
    /// Row attributes stamped later.
    pub row_attrs: Vec<String>,
    /// Column attributes stamped later.
    pub col_attrs: Vec<String>,
    /// Layers stamped later (`""` is the main matrix).
    pub layers: Vec<String>,
    /// Row graphs stamped later.
    pub row_graphs: Vec<String>,
    /// Column graphs stamped later.
    pub col_graphs: Vec<String>,
}

impl LoomConnection {
    /// The global attributes (loompy's `ds.attrs`).
    pub fn attrs(&self) -> GlobalAttrs<'_> {
        GlobalAttrs { ds: self }
    }

    /// Writable global attributes.
    pub fn attrs_mut(&mut self) -> GlobalAttrsMut<'_> {
        GlobalAttrsMut { ds: self }
    }

    /// When the file was last modified (loompy's `ds.last_modified()`): the later of the
    /// root `last_modified` stamp (which every attribute and graph write updates) and a
    /// global attribute `last_modified`; the current time if neither exists. loompy reads
    /// only the global attribute and writes it when missing, so its value freezes; we
    /// read the live stamp and never write.
    pub fn last_modified(&self) -> String {
        let root = stamp_of(self, layout::ROOT);
        let global = self
            .attrs()
            .get(layout::LAST_MODIFIED)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned));
        root.into_iter()
            .chain(global)
            .max()
            .unwrap_or_else(timestamp)
    }

    /// The names of attributes, layers and graphs stamped after `ts` (string comparison,
    /// as loompy); unstamped ones count as changed now. Nothing is listed unless
    /// [`LoomConnection::last_modified`] is after `ts`.
    pub fn get_changes_since(&self, ts: &str) -> Changes {
        let mut out = Changes::default();
        if self.last_modified().as_str() <= ts {
            return out;
        }
        let newer = |path: String| stamp_of(self, &path).unwrap_or_else(timestamp).as_str() > ts;
        let members = |group: &str| -> Vec<String> {
            let mut names = self
                .hdf5()
                .group(group)
                .and_then(|g| g.member_names())
                .unwrap_or_default();
            names.sort();
            names
        };
        for (group, list) in [
            (layout::attrs_group(Axis::Rows), &mut out.row_attrs),
            (layout::attrs_group(Axis::Cols), &mut out.col_attrs),
            (layout::graphs_group(Axis::Rows), &mut out.row_graphs),
            (layout::graphs_group(Axis::Cols), &mut out.col_graphs),
            (layout::LAYERS, &mut out.layers),
        ] {
            *list = members(group)
                .into_iter()
                .filter(|n| newer(layout::child(group, n)))
                .collect();
        }
        if matches!(self.hdf5().object(layout::MATRIX), Ok(Object::Dataset(_)))
            && newer(layout::MATRIX.into())
        {
            out.layers.insert(0, String::new());
        }
        out
    }
}
