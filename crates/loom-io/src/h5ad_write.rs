//! Writing the elements of an h5ad file (anndata's on-disk encoding: each element carries
//! `encoding-type` and `encoding-version` attributes) with hdf5-lite's writer, in the same
//! conservative HDF5 profile as loom files (superblock 0, v1 object headers,
//! symbol-table groups), which h5py and anndata read.

use loom_core::hdf5_lite::read::Numeric;
use loom_core::hdf5_lite::write::{vlen_utf8, AttrValue, DatasetSpec, Writer};
use loom_core::{parse_dtype, AttrValues};

use crate::error::Result;

/// Elements per chunk of the growing CSR `data`/`indices` datasets.
pub(crate) const SPARSE_CHUNK: u64 = 1 << 16;

pub(crate) fn tag(w: &mut Writer, path: &str, kind: &str, version: &str) -> Result<()> {
    w.set_attribute(path, "encoding-type", &AttrValue::string(kind))?;
    w.set_attribute(path, "encoding-version", &AttrValue::string(version))?;
    Ok(())
}

/// An empty `dict` group.
pub(crate) fn dict(w: &mut Writer, path: &str) -> Result<()> {
    w.create_group(path)?;
    tag(w, path, "dict", "0.1.0")
}

/// A string array (`string-array`, vlen UTF-8) of any shape.
pub(crate) fn strings(w: &mut Writer, path: &str, v: &[&str], shape: &[u64]) -> Result<()> {
    w.create_dataset(path, &DatasetSpec::new(vlen_utf8(), shape))?;
    if !v.is_empty() || shape.is_empty() {
        let start = vec![0; shape.len()];
        w.write_strings(path, &start, shape, v)?;
    }
    if shape.is_empty() {
        tag(w, path, "string", "0.2.0")
    } else {
        tag(w, path, "string-array", "0.2.0")
    }
}

fn numbers<T: Numeric>(
    w: &mut Writer,
    path: &str,
    dtype: &str,
    v: &[T],
    shape: &[u64],
) -> Result<()> {
    w.create_dataset(path, &DatasetSpec::new(parse_dtype(dtype)?, shape))?;
    if !v.is_empty() {
        let start = vec![0; shape.len()];
        w.write_numbers(path, &start, shape, v)?;
    }
    if shape.is_empty() {
        tag(w, path, "numeric-scalar", "0.2.0")
    } else {
        tag(w, path, "array", "0.2.0")
    }
}

/// Loom attribute values as an anndata array (numbers keep their width; bools are
/// stored as uint8, as loom stores them).
pub(crate) fn values(w: &mut Writer, path: &str, v: &AttrValues) -> Result<()> {
    let shape: Vec<u64> = v.shape().iter().map(|&x| x as u64).collect();
    match v {
        AttrValues::Str(s) => {
            let refs: Vec<&str> = s.iter().map(String::as_str).collect();
            strings(w, path, &refs, &shape)
        }
        AttrValues::Int { values, .. } => {
            let flat: Vec<i64> = values.iter().copied().collect();
            numbers(w, path, v.dtype().name(), &flat, &shape)
        }
        AttrValues::UInt { values, .. } => {
            let flat: Vec<u64> = values.iter().copied().collect();
            numbers(w, path, v.dtype().name(), &flat, &shape)
        }
        AttrValues::Float { values, .. } => {
            let flat: Vec<f64> = values.iter().copied().collect();
            numbers(w, path, v.dtype().name(), &flat, &shape)
        }
        AttrValues::Bool(b) => {
            let flat: Vec<u8> = b.iter().map(|&x| u8::from(x)).collect();
            numbers(w, path, "uint8", &flat, &shape)
        }
        AttrValues::Compound(_) => Err(crate::error::IoError::Invalid(format!(
            "{path}: compound attributes have no anndata equivalent"
        ))),
    }
}

/// A dataframe group with its index and columns (1-D values each).
pub(crate) fn dataframe(
    w: &mut Writer,
    path: &str,
    index: &[&str],
    columns: &[(String, AttrValues)],
) -> Result<()> {
    w.create_group(path)?;
    tag(w, path, "dataframe", "0.2.0")?;
    w.set_attribute(path, "_index", &AttrValue::string("_index"))?;
    let names: Vec<&str> = columns.iter().map(|(n, _)| n.as_str()).collect();
    let order = if names.is_empty() {
        AttrValue::numbers::<f64>(&[], &[0])
    } else {
        AttrValue::strings(&names, &[names.len() as u64])
    };
    w.set_attribute(path, "column-order", &order)?;
    strings(w, &format!("{path}/_index"), index, &[index.len() as u64])?;
    for (name, v) in columns {
        values(w, &format!("{path}/{name}"), v)?;
    }
    Ok(())
}

/// A CSR matrix written row by row: `data` and `indices` grow in whole chunks, `indptr`
/// (created at its full length) is written in pieces, so memory stays bounded however
/// many rows there are.
#[derive(Debug)]
pub(crate) struct CsrWriter {
    path: String,
    data: Vec<f64>,
    indices: Vec<i64>,
    written: u64,
    indptr: Vec<u64>,
    indptr_written: u64,
}

/// Rows whose `indptr` entries are buffered before being written.
const INDPTR_BUFFER: usize = 1 << 16;

impl CsrWriter {
    /// Creates the group at `path` (`shape` = (rows, cols)) storing values as `dtype`.
    /// Indices are int32 when the columns fit, and `indptr` too when every possible
    /// entry count does (as scipy makes them: scikit-learn's sparse kernels want one type).
    pub(crate) fn create(
        w: &mut Writer,
        path: &str,
        shape: (u64, u64),
        dtype: &str,
    ) -> Result<Self> {
        w.create_group(path)?;
        tag(w, path, "csr_matrix", "0.1.0")?;
        w.set_attribute(
            path,
            "shape",
            &AttrValue::numbers(&[shape.0 as i64, shape.1 as i64], &[2]),
        )?;
        let fits = |n: Option<u64>| n.is_some_and(|n| n <= i32::MAX as u64);
        let index_type = if fits(Some(shape.1)) {
            "int32"
        } else {
            "int64"
        };
        let ptr_type = if fits(shape.0.checked_mul(shape.1)) {
            index_type
        } else {
            "int64"
        };
        for (name, dt) in [("data", dtype), ("indices", index_type)] {
            let spec = DatasetSpec::new(parse_dtype(dt)?, &[0])
                .maxshape(&[None])
                .chunks(&[SPARSE_CHUNK]);
            w.create_dataset(&format!("{path}/{name}"), &spec)?;
        }
        let rows = shape.0.checked_add(1).ok_or_else(|| {
            crate::error::IoError::Invalid(format!("{path}: {} rows are too many", shape.0))
        })?;
        w.create_dataset(
            &format!("{path}/indptr"),
            &DatasetSpec::new(parse_dtype(ptr_type)?, &[rows]),
        )?;
        Ok(CsrWriter {
            path: path.to_owned(),
            data: Vec::new(),
            indices: Vec::new(),
            written: 0,
            indptr: vec![0],
            indptr_written: 0,
        })
    }

    /// Appends one row given as (column, value) pairs in increasing column order.
    pub(crate) fn push_row(
        &mut self,
        w: &mut Writer,
        row: impl Iterator<Item = (usize, f64)>,
    ) -> Result<()> {
        for (c, v) in row {
            self.indices.push(c as i64);
            self.data.push(v);
        }
        let total = self.written + self.data.len() as u64;
        self.indptr.push(total);
        if self.data.len() as u64 >= 16 * SPARSE_CHUNK {
            self.flush(w, false)?;
        }
        if self.indptr.len() >= INDPTR_BUFFER {
            self.flush_indptr(w)?;
        }
        Ok(())
    }

    /// Writes the buffered `indptr` entries.
    fn flush_indptr(&mut self, w: &mut Writer) -> Result<()> {
        let n = self.indptr.len() as u64;
        if n > 0 {
            let p = format!("{}/indptr", self.path);
            w.write_numbers(&p, &[self.indptr_written], &[n], &self.indptr)?;
            self.indptr_written += n;
            self.indptr.clear();
        }
        Ok(())
    }

    /// Writes the buffered whole chunks (all of the buffer when `all`).
    fn flush(&mut self, w: &mut Writer, all: bool) -> Result<()> {
        let n = if all {
            self.data.len()
        } else {
            (self.data.len() as u64 / SPARSE_CHUNK * SPARSE_CHUNK) as usize
        };
        if n == 0 {
            return Ok(());
        }
        let end = self.written + n as u64;
        for (name, nums) in [("data", None), ("indices", Some(&self.indices))] {
            let p = format!("{}/{name}", self.path);
            w.resize(&p, &[end])?;
            match nums {
                None => w.write_numbers(&p, &[self.written], &[n as u64], &self.data[..n])?,
                Some(ix) => w.write_numbers(&p, &[self.written], &[n as u64], &ix[..n])?,
            }
        }
        self.data.drain(..n);
        self.indices.drain(..n);
        self.written = end;
        Ok(())
    }

    /// Writes the rest of `data`, `indices` and `indptr`.
    pub(crate) fn finish(mut self, w: &mut Writer) -> Result<()> {
        self.flush(w, true)?;
        self.flush_indptr(w)
    }
}
