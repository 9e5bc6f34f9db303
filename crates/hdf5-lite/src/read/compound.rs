//! Reading compound (class 6, spec IV.A.2.d) datasets field by field: the stored
//! elements are read once and cut into one column of bytes per field.

use ndarray::{ArrayD, IxDyn};

use crate::error::{Error, Result};
use crate::format::messages::{CompoundField, Datatype};
use crate::read::convert::{convert, Numeric};
use crate::read::Dataset;

/// Cuts stored compound elements into one column per field: for each field, its bytes
/// of every element in turn (what a dataset of that field's type would store). An error
/// unless `datatype` is a compound, `raw` a whole number of elements, and every field
/// inside the element.
pub fn split_fields<'a>(
    datatype: &'a Datatype,
    raw: &[u8],
) -> Result<Vec<(&'a CompoundField, Vec<u8>)>> {
    let Datatype::Compound { size, fields } = datatype else {
        return Err(Error::TypeMismatch {
            datatype: format!("{datatype:?}"),
            target: "compound",
        });
    };
    let size = *size as usize;
    if size == 0 || !raw.len().is_multiple_of(size) {
        return Err(Error::corrupt(
            "compound datatype",
            0,
            format!("{} bytes are not whole {size}-byte elements", raw.len()),
        ));
    }
    let count = raw.len() / size;
    fields
        .iter()
        .map(|f| {
            let start = f.offset as usize;
            let width = f.datatype.size() as usize;
            let end = start
                .checked_add(width)
                .filter(|&e| e <= size)
                .ok_or_else(|| {
                    Error::corrupt(
                        "compound datatype",
                        0,
                        format!("field {:?} overruns the {size}-byte element", f.name),
                    )
                })?;
            let mut column = Vec::with_capacity(count * width);
            for element in raw.chunks_exact(size) {
                column.extend_from_slice(&element[start..end]);
            }
            Ok((f, column))
        })
        .collect()
}

impl Dataset {
    /// Every field of a compound dataset with its stored bytes (see [`split_fields`]),
    /// the data read once.
    pub fn read_fields(&self) -> Result<Vec<(CompoundField, Vec<u8>)>> {
        let raw = self.read_raw()?;
        let fields = split_fields(self.datatype(), &raw).map_err(|e| self.locate(e))?;
        Ok(fields.into_iter().map(|(f, b)| (f.clone(), b)).collect())
    }

    /// One numeric field of a compound dataset (e.g. a pySCENIC regulon column),
    /// converted to `T` and shaped like the dataset.
    pub fn read_field<T: Numeric>(&self, field: &str) -> Result<ArrayD<T>> {
        let raw = self.read_raw()?;
        let fields = split_fields(self.datatype(), &raw).map_err(|e| self.locate(e))?;
        let (f, bytes) = fields
            .into_iter()
            .find(|(f, _)| f.name == field)
            .ok_or_else(|| Error::NotFound {
                path: format!("{}[{field:?}]", self.path()),
            })?;
        let values = convert::<T>(&bytes, &f.datatype)?;
        let shape: Vec<usize> = self.shape().iter().map(|&c| c as usize).collect();
        ArrayD::from_shape_vec(IxDyn(&shape), values)
            .map_err(|e| Error::Selection(format!("{}: {e}", self.path())))
    }

    /// A corruption found in this dataset's elements, placed at its object header.
    fn locate(&self, e: Error) -> Error {
        match e {
            Error::Corrupt {
                structure, reason, ..
            } => Error::Corrupt {
                structure,
                offset: self.address(),
                reason,
            },
            other => other,
        }
    }
}
