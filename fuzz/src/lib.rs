//! What the fuzz targets do with a file, shared so a crash found by one target can be
//! replayed by a plain test: walk an HDF5 file, read a loom file through loom-core, and
//! edit one in memory.
//!
//! Reads are bounded the way a careful caller bounds them: datasets are read in windows
//! of at most [`WINDOW`] elements per dimension, and whole-dataset reads (attributes,
//! graphs) are skipped above [`MAX_ELEMENTS`] declared elements, since a file may declare
//! any shape and reading all of it would then legitimately need that much memory.

use std::sync::Arc;

use hdf5_lite::read::{Dataset, File, Group, Hyperslab, Object};
use hdf5_lite::write::{MemFile, StorageMut};
use loom_core::{LoomConnection, Mode, Selection};

/// Largest extent read along one dimension.
pub const WINDOW: u64 = 64;

/// Largest dataset read whole.
pub const MAX_ELEMENTS: u64 = 1 << 16;

/// Deepest group nesting walked.
const MAX_DEPTH: usize = 16;

/// Walks every group from the root, reading every attribute and a window of every
/// dataset (raw bytes, decoded values, numbers and chunk records).
pub fn walk(file: &File) {
    let _ = file.superblock();
    if let Ok(root) = file.root() {
        walk_group(&root, 0);
    }
}

fn walk_group(group: &Group, depth: usize) {
    if depth > MAX_DEPTH {
        return;
    }
    read_attributes(group.attributes());
    let Ok(members) = group.members() else {
        return;
    };
    for (_, object) in members {
        match object {
            Ok(Object::Group(g)) => walk_group(&g, depth + 1),
            Ok(Object::Dataset(d)) => read_dataset(&d),
            Ok(Object::Datatype(_)) | Err(_) => {}
        }
    }
}

fn read_attributes(attributes: hdf5_lite::Result<Vec<hdf5_lite::read::Attribute>>) {
    for a in attributes.into_iter().flatten() {
        let _ = (a.name(), a.datatype().describe(), a.shape());
        let _ = a.values();
        let _ = a.read::<f64>();
    }
}

/// The first [`WINDOW`] elements along each dimension.
fn window(shape: &[u64]) -> Hyperslab {
    Hyperslab {
        start: vec![0; shape.len()],
        count: shape.iter().map(|&n| n.min(WINDOW)).collect(),
    }
}

fn read_dataset(d: &Dataset) {
    let _ = (
        d.shape(),
        d.maxshape(),
        d.chunks(),
        d.filters(),
        d.fill_value(),
    );
    read_attributes(d.attributes());
    let sel = window(d.shape());
    let _ = d.read_raw_slice(&sel);
    let _ = d.read_values_slice(&sel);
    let _ = d.read_hyperslab::<f64>(&sel);
    let _ = d.read_hyperslab::<i32>(&sel);
    if d.len() <= MAX_ELEMENTS {
        let _ = d.chunk_records();
    }
}

/// Opens `bytes` as a loom file in memory.
pub fn open(bytes: Vec<u8>, mode: Mode, validate: bool) -> loom_core::Result<LoomConnection> {
    let storage: Arc<dyn StorageMut> = Arc::new(MemFile::from_bytes(bytes));
    LoomConnection::open_in(storage, mode, validate)
}

/// Whether the dataset at `path` is small enough to read whole (false if missing).
fn small(ds: &LoomConnection, path: &str) -> bool {
    ds.hdf5()
        .dataset(path)
        .is_ok_and(|d| d.len() <= MAX_ELEMENTS)
}

/// Reads everything loom-core offers: a window of every layer (dense and sparse), every
/// row and column attribute, graph and global attribute, and the change log.
pub fn read_loom(ds: &LoomConnection) {
    let (n, m) = ds.shape();
    let _ = ds.spec_version();
    let rows = Selection::from(0..n.min(WINDOW));
    let cols = Selection::from(0..m.min(WINDOW));
    let layers = ds.layers();
    for name in layers.keys().unwrap_or_default() {
        let _ = (layers.dtype(&name), layers.shape(&name));
        let _ = layers.read::<f64>(&name, &rows, &cols);
        let _ = layers.read::<u16>(&name, vec![0u64, n.saturating_sub(1)], &cols);
        let _ = layers.sparse(&name, &rows, &cols);
    }
    for (group, attrs) in [("row_attrs", ds.ra()), ("col_attrs", ds.ca())] {
        for name in attrs.keys() {
            if small(ds, &format!("/{group}/{name}")) {
                let _ = attrs.get(&name);
                let _ = attrs.last_modified(Some(&name));
            }
        }
    }
    for (group, graphs) in [
        ("row_graphs", ds.row_graphs()),
        ("col_graphs", ds.col_graphs()),
    ] {
        for name in graphs.keys() {
            if ["a", "b", "w"]
                .iter()
                .all(|v| small(ds, &format!("/{group}/{name}/{v}")))
            {
                let _ = graphs.get(&name);
                let _ = graphs.edges(&name);
            }
        }
    }
    let attrs = ds.attrs();
    for name in attrs.keys() {
        if small(ds, &format!("/attrs/{name}")) {
            let _ = attrs.get(&name);
        }
    }
    let _ = ds.last_modified();
}

/// Opens `bytes` read-write in memory, applies the edits the bits of `ops` pick, then
/// re-opens the result: it must open, and a file that was valid and took every edit
/// must still be valid.
pub fn edit(ops: u8, bytes: Vec<u8>) {
    let storage = Arc::new(MemFile::from_bytes(bytes));
    let shared: Arc<dyn StorageMut> = storage.clone();
    let Ok(mut ds) = LoomConnection::open_in(shared, Mode::ReadWrite, false) else {
        return;
    };
    let valid_before =
        loom_core::LoomValidator::new().validate_file(&ds.hdf5(), loom_core::Strictness::SpecOnly);
    let (n, m) = ds.shape();
    let mut all_ok = true;
    let mut step = |r: loom_core::Result<()>| all_ok &= r.is_ok();
    if ops & 0x01 != 0 {
        step(ds.attrs_mut().set("fuzz", "édité"));
    }
    if ops & 0x02 != 0 && n <= MAX_ELEMENTS {
        let values: Vec<f64> = (0..n).map(|i| i as f64 / 2.0).collect();
        step(ds.ra_mut().set("FuzzRow", values));
    }
    if ops & 0x04 != 0 {
        if let Some(first) = ds.ca().keys().first().cloned() {
            step(ds.ca_mut().delete(&first));
        }
    }
    if ops & 0x08 != 0 && n > 0 && m > 0 {
        let one = ndarray::Array2::<f32>::from_elem((1, 1), 7.5);
        step(ds.write(0u64, 0u64, one.view()));
    }
    if ops & 0x10 != 0 && n > 1 && n <= MAX_ELEMENTS {
        let g = sprs::TriMat::from_triplets(
            (n as usize, n as usize),
            vec![0, 1],
            vec![1, 0],
            vec![0.5, 2.0],
        );
        step(ds.row_graphs_mut().set("FuzzGraph", &g));
    }
    if ops & 0x20 != 0 {
        if let Some(name) = ds
            .layers()
            .keys()
            .unwrap_or_default()
            .into_iter()
            .find(|k| !k.is_empty())
        {
            step(ds.layers_mut().delete(&name));
        }
    }
    if ops & 0x40 != 0 && n > 0 && m > 0 && n.saturating_mul(m) <= MAX_ELEMENTS {
        let zeros = ndarray::Array2::<i32>::zeros((n as usize, m as usize));
        step(ds.layers_mut().set("fuzz_layer", &zeros));
    }
    let closed = ds.close();
    let after = storage.to_bytes();
    let reopened = open(after.clone(), Mode::Read, false);
    if closed.is_ok() {
        assert!(
            reopened.is_ok(),
            "a file closed cleanly does not re-open: {:?}",
            reopened.err()
        );
    }
    if let Ok(ds) = reopened {
        read_loom(&ds);
    }
    if valid_before && all_ok && closed.is_ok() {
        let mut v = loom_core::LoomValidator::new();
        let valid = v.validate_file(
            &File::from_bytes(after).expect("re-opened above"),
            loom_core::Strictness::SpecOnly,
        );
        assert!(
            valid,
            "valid file invalid after edits {ops:#04x}: {:?}",
            v.errors()
        );
    }
}

/// Reads any bytes as a loompy SQLite sample database: the `sample` table's row for a
/// few names (what `loom import star --sample-metadata x.db` does), and a table lookup.
pub fn read_sqlite(bytes: Vec<u8>) {
    let Ok(db) = loom_io::sqlite::Database::from_bytes(bytes) else {
        return;
    };
    for name in ["S1", "S5", "7", "new"] {
        let _ = db.select_first("sample", "name", name);
    }
    let _ = db.table("sqlite_sequence");
}

/// Largest output the inflate comparison decodes.
const MAX_INFLATE: usize = 1 << 22;

/// hdf5-lite's inflater against zlib-rs (flate2) on one zlib stream. The first byte picks
/// the case: bit 0 set compresses the rest with zlib-rs at level `(byte >> 1) % 10`
/// first (bit 7 then flips one bit of the stream, chosen by the last input byte), else
/// the rest is the stream itself; bits 5-6 pick the output size: the stream's own, 100
/// more, one fewer, or 4096. Where zlib-rs decodes the whole stream within the size,
/// hdf5-lite must give the same bytes; where it decodes more, hdf5-lite must report a
/// full output; where it fails, hdf5-lite must fail.
pub fn inflate(data: &[u8]) {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let stream = if mode & 1 == 1 {
        let mut z = flate2::write::ZlibEncoder::new(
            Vec::new(),
            flate2::Compression::new(u32::from(mode >> 1) % 10),
        );
        let mut s = std::io::Write::write_all(&mut z, rest)
            .and_then(|()| z.finish())
            .unwrap_or_default();
        if mode & 0x80 != 0 && !s.is_empty() {
            let bit = usize::from(rest.last().copied().unwrap_or(0)) * 7;
            let at = bit / 8 % s.len();
            s[at] ^= 1 << (bit % 8);
        }
        s
    } else {
        rest.to_vec()
    };
    let reference = zlib_rs_inflate(&stream);
    let own_size = match &reference {
        Reference::Whole(r) => r.len(),
        _ => 4096,
    };
    let size = match (mode >> 5) & 3 {
        0 => own_size,
        1 => own_size + 100,
        2 => own_size.saturating_sub(1),
        _ => 4096,
    };
    let mut out = vec![0u8; size];
    let ours = hdf5_lite::filters::Inflater::new().inflate_zlib(&stream, &mut out);
    match reference {
        Reference::Whole(r) if r.len() <= size => {
            assert_eq!(ours, Ok(r.len()), "zlib-rs decodes the stream");
            assert!(out[..r.len()] == r[..], "decoded bytes differ from zlib-rs's");
        }
        Reference::Whole(_) => {
            assert_eq!(ours, Err(hdf5_lite::filters::InflateError::OutputFull));
        }
        Reference::Failed => assert!(ours.is_err(), "zlib-rs rejects the stream: {ours:?}"),
        Reference::TooLong => {}
    }
}

/// zlib-rs's verdict on a stream.
enum Reference {
    /// The whole stream's bytes.
    Whole(Vec<u8>),
    /// An error, or the input ends before the stream does.
    Failed,
    /// More than [`MAX_INFLATE`] bytes.
    TooLong,
}

fn zlib_rs_inflate(stream: &[u8]) -> Reference {
    let mut z = flate2::Decompress::new(true);
    let mut out = vec![0u8; MAX_INFLATE];
    match z.decompress(stream, &mut out, flate2::FlushDecompress::Finish) {
        Ok(flate2::Status::StreamEnd) => {
            out.truncate(z.total_out() as usize);
            Reference::Whole(out)
        }
        Ok(_) if z.total_out() as usize == MAX_INFLATE => Reference::TooLong,
        _ => Reference::Failed,
    }
}
