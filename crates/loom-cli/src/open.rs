//! Opening a command's loom file, and the attributes its options name. An HDF5 file that
//! is not laid out as a loom file at all gets one short line saying so, instead of the
//! validator's list of missing parts.

use std::path::Path;

use loom_core::{connect, layout, AttrValues, Axis, File, LoomConnection, Mode};

use crate::output::Failure;

/// Whether `file` is laid out as a loom file: it has the main matrix `/matrix`, or the
/// `/row_attrs` and `/col_attrs` groups of an empty one (as loompy's `new()` leaves it).
pub fn is_loom(file: &File) -> bool {
    file.dataset(layout::MATRIX).is_ok()
        || (file.group(layout::attrs_group(Axis::Rows)).is_ok()
            && file.group(layout::attrs_group(Axis::Cols)).is_ok())
}

/// Why the HDF5 file at `path` is refused: it is not a loom file, and what to run instead.
pub fn not_loom(path: &Path) -> String {
    format!(
        "not a loom file (it has no {}); `loom h5 ls {}` lists what it holds",
        layout::MATRIX,
        path.display()
    )
}

/// Opens `path` in `mode` as loompy's `connect` does (validated); an error names the file.
pub fn open(path: &Path, mode: Mode) -> Result<LoomConnection, Failure> {
    connect(path, mode).map_err(|e| {
        // Whatever stopped it (the validator, or an HDF5 file hdf5-lite cannot edit),
        // an HDF5 file that is not a loom file is called that.
        if File::open(path).is_ok_and(|f| !is_loom(&f)) {
            Failure::about(path.display(), not_loom(path))
        } else {
            Failure::about(path.display(), e)
        }
    })
}

/// The values of attribute `name` of `axis` as text, one per row or column, for the
/// option `what` (as the user gave it, such as `--name Gene`). An attribute the file
/// lacks, or one with more than one value per row or column (2-D, compound), is an error
/// naming `what` and `input`.
pub fn labels(
    ds: &LoomConnection,
    input: &Path,
    axis: Axis,
    what: &str,
    name: &str,
) -> Result<Vec<String>, Failure> {
    let bad = |why: String| Failure::Error(format!("{what}: {}: {why}", input.display()));
    let values = ds
        .axis_attrs(axis)
        .get(name)
        .map_err(|e| bad(e.to_string()))?;
    let shape = values.shape();
    if matches!(values, AttrValues::Compound(_))
        || !(shape.len() == 1 || (shape.len() == 2 && shape[1] == 1))
    {
        let one = if axis == Axis::Rows { "row" } else { "column" };
        return Err(bad(format!(
            "'{name}' has shape {shape:?}, not one value per {one}"
        )));
    }
    match (values.as_strings(), values.to_f64()) {
        (Some(s), _) => Ok(s.iter().cloned().collect()),
        (None, Some(f)) => Ok(f.iter().map(f64::to_string).collect()),
        (None, None) => Err(bad(format!("'{name}' holds neither numbers nor strings"))),
    }
}
