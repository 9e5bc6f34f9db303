//! The loom file layout (loompy-api.md §1, §10): every HDF5 path a loom file uses, the
//! spec version written, and the rules that differ between spec 2 and spec 3 files. No
//! other module spells a loom path.
//!
//! | What | Path |
//! |---|---|
//! | main matrix (layer `""`) | `/matrix` |
//! | other layers | `/layers/<name>` |
//! | row / column attributes | `/row_attrs/<name>`, `/col_attrs/<name>` |
//! | row / column graphs | `/row_graphs/<name>/{a,b,w}`, `/col_graphs/…` |
//! | graphs of files before loompy 2 | `/row_edges/<name>`, `/col_edges/<name>` |
//! | global attributes, spec 3 | datasets `/attrs/<name>` |
//! | global attributes, spec 2 | HDF5 attributes of the root group `/` |
//!
//! Spec 2 (any version before 3.0.0) also stores strings as escaped fixed-length ASCII
//! (see [`crate::strings`]); spec 3 as variable-length UTF-8.

use hdf5_lite::read::{File, Object};

use crate::axis::Axis;

/// The loom spec version `new` and `create` write.
pub const SPEC_VERSION: &str = "3.0.0";

/// The root group, where loompy stamps `last_modified` and spec 2 keeps global attributes.
pub const ROOT: &str = "/";

/// The main matrix.
pub const MATRIX: &str = "/matrix";

/// The group of the other layers.
pub const LAYERS: &str = "/layers";

/// The group of the global attributes (spec 3).
pub const GLOBALS: &str = "/attrs";

/// The global attribute (or root HDF5 attribute) naming the spec version.
pub const SPEC_VERSION_KEY: &str = "LOOM_SPEC_VERSION";

/// The group loompy's `permute` deletes (tile pyramids of old loom-viewer files).
pub const TILES: &str = "/tiles";

/// The global attribute holding the creation time.
pub const CREATION_DATE_KEY: &str = "CreationDate";

/// The HDF5 attribute (and loompy global attribute) holding a modification stamp.
pub const LAST_MODIFIED: &str = "last_modified";

/// The three vectors of a graph: start vertices, end vertices, weights.
pub const GRAPH_VECTORS: [&str; 3] = ["a", "b", "w"];

/// The groups every loom file made by `new` has.
pub const GROUPS: [&str; 6] = [
    GLOBALS,
    LAYERS,
    "/row_attrs",
    "/col_attrs",
    "/row_graphs",
    "/col_graphs",
];

/// The group of an axis' attributes.
pub fn attrs_group(axis: Axis) -> &'static str {
    match axis {
        Axis::Rows => "/row_attrs",
        Axis::Cols => "/col_attrs",
    }
}

/// The group of an axis' graphs.
pub fn graphs_group(axis: Axis) -> &'static str {
    match axis {
        Axis::Rows => "/row_graphs",
        Axis::Cols => "/col_graphs",
    }
}

/// The group where files written before loompy 2 keep an axis' graphs; a read-write
/// connection moves them to [`graphs_group`].
pub fn old_graphs_group(axis: Axis) -> &'static str {
    match axis {
        Axis::Rows => "/row_edges",
        Axis::Cols => "/col_edges",
    }
}

/// The name of a top-level group or dataset as it appears among the root's members
/// (`"/row_attrs"` → `"row_attrs"`).
pub fn member_name(path: &str) -> &str {
    path.trim_start_matches('/')
}

/// The dataset of a layer: [`MATRIX`] for the main layer `""`, else `/layers/<name>`.
pub fn layer_path(name: &str) -> String {
    if name.is_empty() {
        MATRIX.to_owned()
    } else {
        child(LAYERS, name)
    }
}

/// The dataset of a row or column attribute.
pub fn attr_path(axis: Axis, name: &str) -> String {
    child(attrs_group(axis), name)
}

/// The group of a graph.
pub fn graph_path(axis: Axis, name: &str) -> String {
    child(graphs_group(axis), name)
}

/// The dataset of a spec 3 global attribute.
pub fn global_path(name: &str) -> String {
    child(GLOBALS, name)
}

/// `group/name`.
pub fn child(group: &str, name: &str) -> String {
    if group == ROOT {
        format!("/{name}")
    } else {
        format!("{group}/{name}")
    }
}

/// Whether a spec version string ("3.0.0", "2.0.1", …) is older than 3.0.0, i.e. uses
/// the spec 2 rules (escaped fixed-length strings; global attributes as root HDF5
/// attributes when there is no `/attrs` group).
pub fn is_legacy(version: &str) -> bool {
    let major = version
        .split('.')
        .next()
        .and_then(|m| m.trim().parse::<u64>().ok())
        .unwrap_or(0);
    major < 3
}

/// The loom spec version of an open HDF5 file, as loompy's `get_loom_spec_version` finds
/// it: `/attrs/LOOM_SPEC_VERSION`, overridden by a root attribute of that name, else
/// "0.0.0".
pub fn spec_version(file: &File) -> String {
    let mut version = "0.0.0".to_owned();
    if let Some(v) = file
        .dataset(&global_path(SPEC_VERSION_KEY))
        .ok()
        .and_then(|d| d.read_strings().ok())
        .and_then(|v| v.into_iter().next())
    {
        version = v;
    }
    let root_attr = file
        .root()
        .ok()
        .and_then(|r| r.attribute(SPEC_VERSION_KEY).ok());
    if let Some(v) = root_attr
        .and_then(|a| a.strings().ok())
        .and_then(|v| v.into_iter().next())
    {
        version = v;
    }
    version
}

/// Shape of the main matrix, or (0, 0) when there is none (or it is not 2-D).
pub fn matrix_shape(file: &File) -> (u64, u64) {
    match file.object(MATRIX) {
        Ok(Object::Dataset(d)) => match d.shape() {
            [n, m] => (*n, *m),
            _ => (0, 0),
        },
        _ => (0, 0),
    }
}

/// Whether the file keeps global attributes in the [`GLOBALS`] group (else on the root).
pub fn has_globals_group(file: &File) -> bool {
    matches!(file.object(GLOBALS), Ok(Object::Group(_)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths() {
        assert_eq!(layer_path(""), "/matrix");
        assert_eq!(layer_path("spliced"), "/layers/spliced");
        assert_eq!(attr_path(Axis::Cols, "CellID"), "/col_attrs/CellID");
        assert_eq!(graph_path(Axis::Rows, "KNN"), "/row_graphs/KNN");
        assert_eq!(global_path("title"), "/attrs/title");
        assert_eq!(child(ROOT, "x"), "/x");
        assert_eq!(member_name(old_graphs_group(Axis::Cols)), "col_edges");
    }

    #[test]
    fn legacy_versions() {
        assert!(is_legacy("2.0.1"));
        assert!(is_legacy("0.0.0"));
        assert!(is_legacy("garbage"));
        assert!(!is_legacy("3.0.0"));
        assert!(!is_legacy("3.1.0"));
    }
}
