//! `create_append` (loompy-api.md §2.6, deprecated in loompy, kept for scripts).

use std::path::Path;

use super::add_columns::FillValues;
use crate::connection::Mode;
use crate::create::LayerInput;
use crate::error::Result;
use crate::values::AttrValues;

/// loompy's `create_append(filename, layers, row_attrs, col_attrs, file_attrs=…,
/// fill_values=…)`: appends the columns to the file with
/// [`add_columns`](crate::LoomConnection::add_columns) if it exists, else
/// [`create`](crate::create)s it.
pub fn create_append(
    path: impl AsRef<Path>,
    layers: &[(&str, LayerInput)],
    row_attrs: &[(&str, AttrValues)],
    col_attrs: &[(&str, AttrValues)],
    file_attrs: &[(&str, AttrValues)],
    fill_values: &FillValues,
) -> Result<()> {
    let path = path.as_ref();
    if path.exists() {
        let mut ds = crate::connect(path, Mode::ReadWrite)?;
        ds.add_columns(layers, col_attrs, None, fill_values)?;
        ds.close()
    } else {
        crate::create(path, layers, row_attrs, col_attrs, file_attrs)
    }
}
