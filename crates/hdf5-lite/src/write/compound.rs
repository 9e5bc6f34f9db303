//! Building compound (class 6, spec IV.A.2.d) elements to write: the type laid out as
//! numpy packs a structured dtype (what h5py hands libhdf5), and elements assembled
//! from one column of bytes per field (the inverse of [`crate::read::split_fields`]).
//!
//! ```
//! use hdf5_lite::read::Numeric;
//! use hdf5_lite::write::{interleave_fields, packed_compound};
//!
//! // numpy's dtype([('_X', '<f4'), ('_Y', '<f4')]), as SCope stores an embedding.
//! let dt = packed_compound(&[("_X", f32::datatype()), ("_Y", f32::datatype())])?;
//! assert_eq!(dt.size(), 8);
//! let x: Vec<u8> = [1.0f32, 2.0].iter().flat_map(|v| v.to_le_bytes()).collect();
//! let y: Vec<u8> = [-1.0f32, -2.0].iter().flat_map(|v| v.to_le_bytes()).collect();
//! let elements = interleave_fields(&dt, &[&x, &y])?;
//! assert_eq!(&elements[4..8], &(-1.0f32).to_le_bytes());
//! # Ok::<(), hdf5_lite::Error>(())
//! ```

use crate::error::{Error, Result};
use crate::format::messages::{CompoundField, Datatype};

/// A compound of `fields` in order, each starting where the previous ends and the
/// element exactly as large as its fields (numpy's packed layout, the one h5py writes for
/// `np.dtype([(name, type), ...])`). Names must be distinct and non-empty; there must be
/// at least one field, and the element must fit in 4 GiB.
pub fn packed_compound(fields: &[(&str, Datatype)]) -> Result<Datatype> {
    if fields.is_empty() {
        return Err(Error::InvalidInput(
            "a compound needs at least one field".into(),
        ));
    }
    let mut out: Vec<CompoundField> = Vec::with_capacity(fields.len());
    let mut offset: u32 = 0;
    for (name, datatype) in fields {
        if name.is_empty() {
            return Err(Error::InvalidInput("a compound field needs a name".into()));
        }
        if out.iter().any(|f| f.name == *name) {
            return Err(Error::InvalidInput(format!(
                "compound field {name:?} appears twice"
            )));
        }
        let size = datatype.size();
        if size == 0 {
            return Err(Error::InvalidInput(format!(
                "compound field {name:?} has a type of size 0"
            )));
        }
        out.push(CompoundField {
            name: (*name).to_owned(),
            offset,
            datatype: datatype.clone(),
        });
        offset = offset.checked_add(size).ok_or_else(|| {
            Error::InvalidInput(format!("compound field {name:?} ends past 4 GiB"))
        })?;
    }
    Ok(Datatype::Compound {
        size: offset,
        fields: out,
    })
}

/// Compound elements of `datatype` assembled from `columns`, one per field in the type's
/// order: column i holds field i's stored bytes for every element in turn. Bytes of the
/// element no field covers are zero. Every column must hold the same number of elements.
pub fn interleave_fields(datatype: &Datatype, columns: &[&[u8]]) -> Result<Vec<u8>> {
    let Datatype::Compound { size, fields } = datatype else {
        return Err(Error::TypeMismatch {
            datatype: format!("{datatype:?}"),
            target: "compound",
        });
    };
    if columns.len() != fields.len() {
        return Err(Error::InvalidInput(format!(
            "{} columns for a compound of {} fields",
            columns.len(),
            fields.len()
        )));
    }
    let size = *size as usize;
    let mut count: Option<usize> = None;
    for (f, column) in fields.iter().zip(columns) {
        let width = f.datatype.size() as usize;
        let end = (f.offset as usize).checked_add(width);
        if width == 0 || end.is_none_or(|e| e > size) {
            return Err(Error::InvalidInput(format!(
                "compound field {:?} does not fit its {size}-byte element",
                f.name
            )));
        }
        let n = column.len() / width;
        if !column.len().is_multiple_of(width) || count.is_some_and(|c| c != n) {
            return Err(Error::InvalidInput(format!(
                "compound field {:?}: {} bytes are not {} elements of {width} bytes",
                f.name,
                column.len(),
                count.unwrap_or(n)
            )));
        }
        count = Some(n);
    }
    let count = count.unwrap_or(0);
    let total = count
        .checked_mul(size)
        .ok_or_else(|| Error::InvalidInput("compound elements over the address space".into()))?;
    let mut out = vec![0u8; total];
    for (f, column) in fields.iter().zip(columns) {
        let (start, width) = (f.offset as usize, f.datatype.size() as usize);
        for (element, value) in out.chunks_exact_mut(size).zip(column.chunks_exact(width)) {
            element[start..start + width].copy_from_slice(value);
        }
    }
    Ok(out)
}
