//! Writing the elements of an h5ad file (anndata's on-disk encoding: each element carries
//! `encoding-type` and `encoding-version` attributes) with hdf5-lite's writer, in the same
//! conservative HDF5 profile as loom files (superblock 0, v1 object headers,
//! symbol-table groups), which h5py and anndata read.

use loom_core::hdf5_lite::read::Numeric;
use loom_core::hdf5_lite::write::{vlen_utf8, AttrValue, DatasetSpec, Writer};
use loom_core::{parse_dtype, AttrValues};

use crate::error::Result;

/// Elements per chunk of the growing CSR `data`/`indices` datasets, at most: a matrix
/// with fewer cells gets chunks of its cell count (a chunk is allocated whole, so a
/// 13 x 11 matrix took 2 x 256 KiB for its few entries).
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

/// A CSR matrix written row by row (or window of rows by window): `data` (kept as `V`,
/// converted by hdf5-lite only when the stored type differs) and `indices` grow in whole
/// chunks, `indptr` (created at its full length) is written in pieces, so memory stays
/// bounded however many rows there are.
#[derive(Debug)]
pub(crate) struct CsrWriter<V> {
    path: String,
    data: Vec<V>,
    indices: IndexBuf,
    /// Elements per chunk of `data` and `indices`.
    chunk: u64,
    written: u64,
    indptr: Vec<u64>,
    indptr_written: u64,
}

/// Column indices in the stored type (int32 when the columns fit, as scipy makes them).
#[derive(Debug)]
enum IndexBuf {
    I32(Vec<i32>),
    I64(Vec<i64>),
}

impl IndexBuf {
    /// Appends `cols`; each is below the column count, which the stored type holds.
    fn extend(&mut self, cols: &[usize]) {
        match self {
            IndexBuf::I32(v) => v.extend(cols.iter().map(|&c| c as i32)),
            IndexBuf::I64(v) => v.extend(cols.iter().map(|&c| c as i64)),
        }
    }

    fn push(&mut self, c: usize) {
        self.extend(&[c]);
    }

    fn write(&self, w: &mut Writer, path: &str, at: u64, n: usize) -> Result<()> {
        match self {
            IndexBuf::I32(v) => w.write_numbers(path, &[at], &[n as u64], &v[..n])?,
            IndexBuf::I64(v) => w.write_numbers(path, &[at], &[n as u64], &v[..n])?,
        }
        Ok(())
    }

    fn drain(&mut self, n: usize) {
        match self {
            IndexBuf::I32(v) => drop(v.drain(..n)),
            IndexBuf::I64(v) => drop(v.drain(..n)),
        }
    }
}

/// Rows whose `indptr` entries are buffered before being written.
const INDPTR_BUFFER: usize = 1 << 16;

/// Buffered entries that trigger a write of the whole chunks among them (16 MiB of
/// `f32` values).
const FLUSH_AT: u64 = 64 * SPARSE_CHUNK;

impl<V: Numeric> CsrWriter<V> {
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
        let (index_type, indices) = if fits(Some(shape.1)) {
            ("int32", IndexBuf::I32(Vec::new()))
        } else {
            ("int64", IndexBuf::I64(Vec::new()))
        };
        let ptr_type = if fits(shape.0.checked_mul(shape.1)) {
            index_type
        } else {
            "int64"
        };
        let chunk = SPARSE_CHUNK.min(shape.0.saturating_mul(shape.1)).max(1);
        for (name, dt) in [("data", dtype), ("indices", index_type)] {
            let spec = DatasetSpec::new(parse_dtype(dt)?, &[0])
                .maxshape(&[None])
                .chunks(&[chunk]);
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
            indices,
            chunk,
            written: 0,
            indptr: vec![0],
            indptr_written: 0,
        })
    }

    /// Appends one row given as (column, value) pairs in increasing column order.
    pub(crate) fn push_row(
        &mut self,
        w: &mut Writer,
        row: impl Iterator<Item = (usize, V)>,
    ) -> Result<()> {
        for (c, v) in row {
            self.indices.push(c);
            self.data.push(v);
        }
        self.indptr.push(self.written + self.data.len() as u64);
        self.maybe_flush(w)
    }

    /// Appends rows given in compressed form: row `k` holds entries
    /// `indptr[k]..indptr[k + 1]` of `cols` (increasing in each row) and `values`.
    pub(crate) fn push_rows<T: Numeric>(
        &mut self,
        w: &mut Writer,
        indptr: &[usize],
        cols: &[usize],
        values: &[T],
    ) -> Result<()> {
        let base = self.written + self.data.len() as u64;
        self.indices.extend(cols);
        self.data
            .extend(values.iter().map(|&v| V::from_f64(v.to_f64())));
        self.indptr
            .extend(indptr.iter().skip(1).map(|&p| base + p as u64));
        self.maybe_flush(w)
    }

    fn maybe_flush(&mut self, w: &mut Writer) -> Result<()> {
        if self.data.len() as u64 >= FLUSH_AT {
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
            (self.data.len() as u64 / self.chunk * self.chunk) as usize
        };
        if n == 0 {
            return Ok(());
        }
        let end = self.written + n as u64;
        let data = format!("{}/data", self.path);
        w.resize(&data, &[end])?;
        w.write_numbers(&data, &[self.written], &[n as u64], &self.data[..n])?;
        let indices = format!("{}/indices", self.path);
        w.resize(&indices, &[end])?;
        self.indices.write(w, &indices, self.written, n)?;
        self.data.drain(..n);
        self.indices.drain(n);
        self.written = end;
        Ok(())
    }

    /// Writes the rest of `data`, `indices` and `indptr`.
    pub(crate) fn finish(mut self, w: &mut Writer) -> Result<()> {
        self.flush(w, true)?;
        self.flush_indptr(w)
    }
}
