//! The parts of anndata's on-disk format (the AnnData HDF5 encoding, `encoding-type` /
//! `encoding-version` attributes on each element) that the h5ad converters read: arrays,
//! string arrays, categoricals, nullable arrays, dataframes and CSR/CSC matrices.

use loom_core::hdf5_lite::format::messages::Datatype;
use loom_core::hdf5_lite::read::{Dataset, File, Group, Object};
use loom_core::AttrValues;
use loom_core::Numeric;
use ndarray::{ArrayD, IxDyn};

use crate::error::{IoError, Result};

/// The string attribute `name` of an object, if it has one.
pub(crate) fn str_attr(
    attrs: &[loom_core::hdf5_lite::read::Attribute],
    name: &str,
) -> Option<String> {
    attrs
        .iter()
        .find(|a| a.name() == name)
        .and_then(|a| a.strings().ok())
        .and_then(|v| v.into_iter().next())
}

/// The `encoding-type` of an element ("" when absent).
pub(crate) fn encoding(obj: &Object) -> String {
    let attrs = match obj {
        Object::Group(g) => g.attributes(),
        Object::Dataset(d) => d.attributes(),
        _ => return String::new(),
    };
    attrs
        .ok()
        .and_then(|a| str_attr(&a, "encoding-type"))
        .unwrap_or_default()
}

/// A whole dataset as attribute values (numbers, h5py's bool enum, strings).
pub(crate) fn dataset_values(d: &Dataset) -> Result<AttrValues> {
    let shape: Vec<usize> = d.shape().iter().map(|&x| x as usize).collect();
    let bad = |what: &str| IoError::Invalid(format!("{}: {what}", d.path()));
    let bytes = |size: &u32| u8::try_from(*size).unwrap_or(8);
    Ok(match d.datatype() {
        Datatype::Integer { size, signed, .. } => {
            if *signed {
                AttrValues::Int {
                    values: d.read::<i64>()?,
                    bytes: bytes(size),
                }
            } else {
                AttrValues::UInt {
                    values: d.read::<u64>()?,
                    bytes: bytes(size),
                }
            }
        }
        Datatype::Float { size, .. } => AttrValues::Float {
            values: d.read::<f64>()?,
            bytes: bytes(size),
        },
        Datatype::Enum { members, .. }
            if members
                .iter()
                .map(|m| m.name.as_str())
                .eq(["FALSE", "TRUE"]) =>
        {
            AttrValues::Bool(d.read::<u8>()?.mapv(|b| b != 0))
        }
        Datatype::FixedString { .. } | Datatype::VarLenString { .. } => {
            let v = d.read_strings()?;
            AttrValues::Str(
                ArrayD::from_shape_vec(IxDyn(&shape), v).map_err(|e| bad(&e.to_string()))?,
            )
        }
        other => return Err(bad(&format!("unsupported element type {other:?}"))),
    })
}

/// One column of an anndata dataframe (or any 1-D element), as attribute values:
/// arrays, string arrays, categoricals (as their category strings; missing values as
/// "nan", as `np.array` of a categorical gives them), nullable integer/boolean arrays (as
/// their values).
pub(crate) fn column_values(file: &File, path: &str) -> Result<AttrValues> {
    let obj = file.object(path)?;
    match (encoding(&obj).as_str(), obj) {
        (_, Object::Dataset(d)) => dataset_values(&d),
        ("categorical", Object::Group(g)) => {
            let codes = g.dataset("codes")?.read::<i64>()?;
            let cats = match dataset_values(&g.dataset("categories")?)? {
                AttrValues::Str(s) => s.into_iter().collect::<Vec<_>>(),
                other => other
                    .to_f64()
                    .map(|v| v.iter().map(|x| format!("{x}")).collect())
                    .unwrap_or_default(),
            };
            let v: Vec<String> = codes
                .iter()
                .map(|&c| {
                    usize::try_from(c)
                        .ok()
                        .and_then(|c| cats.get(c).cloned())
                        .unwrap_or_else(|| "nan".to_owned())
                })
                .collect();
            Ok(AttrValues::from(v))
        }
        ("nullable-integer" | "nullable-boolean" | "nullable-string-array", Object::Group(g)) => {
            dataset_values(&g.dataset("values")?)
        }
        (enc, _) => Err(IoError::Invalid(format!(
            "{path}: unsupported element (encoding '{enc}')"
        ))),
    }
}

/// An anndata dataframe: its index and its columns in `column-order`.
#[derive(Debug)]
pub(crate) struct Frame {
    pub index: Vec<String>,
    pub columns: Vec<(String, AttrValues)>,
    /// Columns that could not be read, with the reason.
    pub skipped: Vec<String>,
}

pub(crate) fn read_frame(file: &File, path: &str) -> Result<Frame> {
    let g = file.group(path)?;
    let attrs = g.attributes()?;
    let index_name = str_attr(&attrs, "_index").unwrap_or_else(|| "_index".to_owned());
    let order: Vec<String> = attrs
        .iter()
        .find(|a| a.name() == "column-order")
        .and_then(|a| a.strings().ok())
        .unwrap_or_default();
    let index = match column_values(file, &format!("{path}/{index_name}"))? {
        AttrValues::Str(s) => s.into_iter().collect(),
        other => other
            .to_i64()
            .map(|v| v.iter().map(|x| x.to_string()).collect())
            .unwrap_or_default(),
    };
    let mut columns = Vec::new();
    let mut skipped = Vec::new();
    for c in order {
        match column_values(file, &format!("{path}/{c}")) {
            Ok(v) => columns.push((c, v)),
            Err(e) => skipped.push(format!("{path}/{c} ({e})")),
        }
    }
    Ok(Frame {
        index,
        columns,
        skipped,
    })
}

/// A matrix element: dense dataset, or CSR/CSC group. Nothing is read but the shape:
/// the parts are read in windows ([`Matrix::outer`]).
#[derive(Debug)]
pub(crate) enum Matrix {
    Dense(Dataset),
    Sparse {
        csr: bool,
        shape: (usize, usize),
        data: Dataset,
        indices: Dataset,
        indptr: Dataset,
    },
}

/// Entries of outer indices `start..` of a sparse matrix: `indptr` (relative to
/// `indptr[0]`), and the inner indices and values of those entries.
#[derive(Debug)]
pub(crate) struct Outer<T> {
    pub indptr: Vec<usize>,
    pub indices: Vec<usize>,
    pub values: Vec<T>,
}

impl Matrix {
    pub(crate) fn open(file: &File, path: &str) -> Result<Matrix> {
        let obj = file.object(path)?;
        let enc = encoding(&obj);
        match obj {
            Object::Dataset(d) if d.shape().len() == 2 => Ok(Matrix::Dense(d)),
            Object::Group(g) if enc == "csr_matrix" || enc == "csc_matrix" => {
                sparse(&g, path, enc == "csr_matrix")
            }
            _ => Err(IoError::Invalid(format!(
                "{path}: not a 2-D array nor a CSR/CSC matrix (encoding '{enc}')"
            ))),
        }
    }

    /// (rows, cols) in anndata's orientation.
    pub(crate) fn shape(&self) -> (usize, usize) {
        match self {
            Matrix::Dense(d) => (d.shape()[0] as usize, d.shape()[1] as usize),
            Matrix::Sparse { shape, .. } => *shape,
        }
    }

    /// The stored element type.
    pub(crate) fn datatype(&self) -> &Datatype {
        match self {
            Matrix::Dense(d) => d.datatype(),
            Matrix::Sparse { data, .. } => data.datatype(),
        }
    }

    /// Stored entries (nonzeros of a sparse matrix, every element of a dense one).
    pub(crate) fn entries(&self) -> u64 {
        match self {
            Matrix::Dense(d) => d.len(),
            Matrix::Sparse { data, .. } => data.len(),
        }
    }

    /// Outer indices (rows of CSR, columns of CSC) `range` of a sparse matrix, checked:
    /// `indptr` rising within the data, inner indices inside the inner axis.
    pub(crate) fn outer<T: Numeric>(
        &self,
        path: &str,
        range: std::ops::Range<usize>,
    ) -> Result<Outer<T>> {
        let Matrix::Sparse {
            csr,
            shape,
            data,
            indices,
            indptr,
        } = self
        else {
            return Err(IoError::Invalid(format!("{path}: not a sparse matrix")));
        };
        let bad = || {
            IoError::Invalid(format!(
                "{path}: indptr/indices/data do not describe a {} x {} matrix",
                shape.0, shape.1
            ))
        };
        let count = (range.end - range.start + 1) as u64;
        let ptr: Vec<u64> = read_vec(indptr, range.start as u64, count)?;
        if ptr.windows(2).any(|w| w[0] > w[1]) || ptr.last().is_some_and(|&l| l > data.len()) {
            return Err(bad());
        }
        let (a, b) = (ptr[0], ptr[ptr.len() - 1]);
        let inner = if *csr { shape.1 } else { shape.0 };
        let values: Vec<T> = read_vec(data, a, b - a)?;
        let ix: Vec<usize> = read_vec::<u64>(indices, a, b - a)?
            .into_iter()
            .map(|i| i as usize)
            .collect();
        if let Some(i) = ix.iter().find(|&&i| i >= inner) {
            return Err(IoError::Invalid(format!(
                "{path}: index {i} outside 0..{inner}"
            )));
        }
        Ok(Outer {
            indptr: ptr.iter().map(|&p| (p - a) as usize).collect(),
            indices: ix,
            values,
        })
    }
}

/// Elements `start..start + count` of 1-D dataset `d`, as a vector (no copy: a slice read
/// is a fresh standard-layout array).
fn read_vec<T: Numeric>(d: &Dataset, start: u64, count: u64) -> Result<Vec<T>> {
    Ok(d.read_slice::<T>(&[start], &[count])?
        .into_raw_vec_and_offset()
        .0)
}

fn sparse(g: &Group, path: &str, csr: bool) -> Result<Matrix> {
    let attrs = g.attributes()?;
    let shape = attrs
        .iter()
        .find(|a| a.name() == "shape")
        .and_then(|a| a.read::<u64>().ok())
        .and_then(|s| s.as_slice().map(<[u64]>::to_vec))
        .ok_or_else(|| IoError::Invalid(format!("{path}: no shape attribute")))?;
    let [r, c] = shape.as_slice() else {
        return Err(IoError::Invalid(format!("{path}: shape is not 2-D")));
    };
    let (r, c) = (*r as usize, *c as usize);
    Matrix::sparse(
        path,
        csr,
        (r, c),
        g.dataset("data")?,
        g.dataset("indices")?,
        g.dataset("indptr")?,
    )
}

impl Matrix {
    /// A CSR (`csr`) or CSC matrix of `(r, c)` from its three datasets, checked as far
    /// as can be without reading them: lengths, and `indptr` from 0 to the entry count.
    pub(crate) fn sparse(
        path: &str,
        csr: bool,
        (r, c): (usize, usize),
        data: Dataset,
        indices: Dataset,
        indptr: Dataset,
    ) -> Result<Matrix> {
        let outer = if csr { r } else { c };
        let first_last = |ptr: &Dataset| -> Result<Option<(u64, u64)>> {
            if ptr.is_empty() {
                return Ok(None);
            }
            let first = ptr.read_slice::<u64>(&[0], &[1])?;
            let last = ptr.read_slice::<u64>(&[ptr.len() - 1], &[1])?;
            Ok(first
                .iter()
                .next()
                .copied()
                .zip(last.iter().next().copied()))
        };
        if indptr.shape().len() != 1
            || indptr.len() != outer as u64 + 1
            || first_last(&indptr)? != Some((0, data.len()))
            || indices.len() != data.len()
        {
            return Err(IoError::Invalid(format!(
                "{path}: indptr/indices/data do not describe a {r} x {c} matrix"
            )));
        }
        Ok(Matrix::Sparse {
            csr,
            shape: (r, c),
            data,
            indices,
            indptr,
        })
    }
}
