//! Space reuse: a file edited over many sessions stays near the size of its live
//! contents, and a crash at any write of an edit that reuses freed space leaves the old
//! or the new contents.

// Test helpers outside #[test] functions may unwrap: a failure there is a test failure.
#![allow(clippy::unwrap_used)]

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

mod support;
use support::Crashing;

use hdf5_lite::read::{File, Numeric};
use hdf5_lite::write::{AttrValue, DatasetSpec, MemFile, StorageMut, Writer};

const N: u64 = 48;

fn genes(session: u64) -> Vec<String> {
    (0..N).map(|i| format!("gene{i}_s{session}")).collect()
}

fn create(storage: Arc<dyn StorageMut>) -> hdf5_lite::Result<()> {
    let mut w = Writer::create_in(storage)?;
    for g in ["/attrs", "/layers", "/row_attrs", "/col_attrs"] {
        w.create_group(g)?;
    }
    let spec = DatasetSpec::new(f32::datatype(), &[N, N])
        .chunks(&[16, 16])
        .deflate(4);
    w.create_dataset("/matrix", &spec)?;
    let values: Vec<f32> = (0..N * N).map(|i| (i % 97) as f32).collect();
    w.write_numbers("/matrix", &[0, 0], &[N, N], &values)?;
    row_attr(&mut w, 0)?;
    w.set_attribute("/", "title", &AttrValue::string("session 0"))?;
    w.close()
}

fn row_attr(w: &mut Writer, session: u64) -> hdf5_lite::Result<()> {
    let spec = DatasetSpec::new(hdf5_lite::write::vlen_utf8(), &[N])
        .chunks(&[N])
        .deflate(4);
    w.create_dataset("/row_attrs/Gene", &spec)?;
    let g = genes(session);
    let refs: Vec<&str> = g.iter().map(String::as_str).collect();
    w.write_strings("/row_attrs/Gene", &[0], &[N], &refs)
}

/// One session of edits: a block of the matrix, a layer, a replaced row attribute,
/// global attributes; one commit at the end.
fn session(storage: Arc<dyn StorageMut>, s: u64) -> hdf5_lite::Result<()> {
    let mut w = Writer::open_in(storage)?;
    let block: Vec<f32> = (0..16 * 16).map(|i| (i as u64 + s) as f32).collect();
    w.write_numbers("/matrix", &[(s % 3) * 16, 16], &[16, 16], &block)?;
    w.set_attribute("/", "title", &AttrValue::string(&format!("session {s}")))?;
    w.set_attribute("/attrs", "edits", &AttrValue::numbers(&[s as i64], &[]))?;
    w.unlink("/row_attrs/Gene")?;
    row_attr(&mut w, s)?;
    let layer = format!("/layers/l{}", s % 2);
    if w.unlink(&layer).is_err() {
        // First time this layer name is used.
    }
    let spec = DatasetSpec::new(f64::datatype(), &[N, N])
        .chunks(&[16, 16])
        .deflate(2);
    w.create_dataset(&layer, &spec)?;
    let values: Vec<f64> = (0..N * N).map(|i| (i + s) as f64 * 0.5).collect();
    w.write_numbers(&layer, &[0, 0], &[N, N], &values)?;
    w.close()
}

/// Everything the tests compare, read back.
fn contents(bytes: Vec<u8>) -> hdf5_lite::Result<String> {
    let f = File::from_bytes(bytes)?;
    let title = f.root()?.attribute("title")?.strings()?;
    let m = f.dataset("/matrix")?.read::<f32>()?;
    let gene = f.dataset("/row_attrs/Gene")?.read_strings()?;
    let mut layers = Vec::new();
    for name in f.group("/layers")?.member_names()? {
        let l = f.dataset(&format!("/layers/{name}"))?.read::<f64>()?;
        layers.push((name, l.sum()));
    }
    let edits = f
        .group("/attrs")?
        .attribute("edits")
        .ok()
        .map(|a| a.raw().to_vec());
    Ok(format!(
        "{title:?} {} {gene:?} {layers:?} {edits:?}",
        m.sum()
    ))
}

#[test]
fn a_file_edited_over_many_sessions_stays_small() {
    let mem = MemFile::new();
    create(Arc::new(mem.clone())).unwrap();
    let mut sizes = vec![mem.to_bytes().len()];
    for s in 1..=12 {
        session(Arc::new(mem.clone()), s).unwrap();
        sizes.push(mem.to_bytes().len());
    }
    let text = contents(mem.to_bytes()).unwrap();
    assert!(text.starts_with("[\"session 12\"]"), "{text}");
    // Two layers and a replaced attribute after session 2: the file's live contents do
    // not grow after that, and neither may the file, beyond what free space rounding
    // leaves.
    let settled = sizes[2];
    let last = *sizes.last().unwrap();
    assert!(
        last as f64 <= settled as f64 * 1.25,
        "sizes over the sessions: {sizes:?}"
    );
    if let Ok(dir) = std::env::var("HDF5_LITE_REUSE_OUT") {
        std::fs::write(format!("{dir}/sessions.h5"), mem.to_bytes()).unwrap();
        eprintln!("sizes {sizes:?}");
    }
}

#[test]
fn a_crash_while_reusing_space_leaves_the_old_or_the_new_contents() {
    // A file with space freed by earlier sessions.
    let mem = MemFile::new();
    create(Arc::new(mem.clone())).unwrap();
    for s in 1..=3 {
        session(Arc::new(mem.clone()), s).unwrap();
    }
    let old_bytes = mem.to_bytes();
    let old = contents(old_bytes.clone()).unwrap();
    let counting = Arc::new(Crashing {
        inner: MemFile::from_bytes(old_bytes.clone()),
        writes: AtomicU64::new(0),
        fail_at: 0,
    });
    session(counting.clone(), 4).unwrap();
    let total = counting.writes.load(Ordering::SeqCst);
    let new = contents(counting.inner.to_bytes()).unwrap();
    assert_ne!(old, new);
    // The edit reused space: the file did not grow by what it wrote.
    assert!(counting.inner.to_bytes().len() <= old_bytes.len() + 4096);
    for k in 1..=total {
        let storage = Arc::new(Crashing {
            inner: MemFile::from_bytes(old_bytes.clone()),
            writes: AtomicU64::new(0),
            fail_at: k,
        });
        let result = session(storage.clone(), 4);
        let after = storage.inner.to_bytes();
        let grew = after.len() > old_bytes.len();
        let got = contents(after)
            .unwrap_or_else(|e| panic!("crash at write {k} left an unreadable file: {e}"));
        // A crash in the compacting commit at close leaves the session's commit (and
        // close succeeds: the edits are durable); any earlier one the old file.
        if got == old {
            assert!(result.is_err(), "write {k}");
            assert!(!grew, "write {k}: the file grew");
        } else {
            assert_eq!(got, new, "crash at write {k}");
        }
        // Edit again after the crash, into the same reused space, and crash again.
        let again = MemFile::from_bytes(storage.inner.to_bytes());
        session(Arc::new(again.clone()), 4).unwrap();
        assert_eq!(contents(again.to_bytes()).unwrap(), new);
    }
}

/// A loom-like file: a 64 × 64 matrix, row and column attributes, then sessions of a few
/// edits each (a block of the matrix or of a layer, an attribute replaced, a global
/// attribute, a graph). Written out for comparison with `h5repack` when
/// `HDF5_LITE_REUSE_OUT` names a folder.
#[test]
fn a_loom_like_file_over_sessions() {
    let mem = MemFile::new();
    let n = 64u64;
    {
        let mut w = Writer::create_in(Arc::new(mem.clone())).unwrap();
        for g in [
            "/attrs",
            "/layers",
            "/row_attrs",
            "/col_attrs",
            "/row_graphs",
        ] {
            w.create_group(g).unwrap();
        }
        let spec = DatasetSpec::new(f32::datatype(), &[n, n])
            .chunks(&[64, 64])
            .deflate(4);
        w.create_dataset("/matrix", &spec).unwrap();
        let values: Vec<f32> = (0..n * n).map(|i| (i % 13) as f32).collect();
        w.write_numbers("/matrix", &[0, 0], &[n, n], &values)
            .unwrap();
        for a in 0..6 {
            for axis in ["row_attrs", "col_attrs"] {
                let path = format!("/{axis}/a{a}");
                let spec = DatasetSpec::new(hdf5_lite::write::vlen_utf8(), &[n])
                    .chunks(&[n])
                    .deflate(4);
                w.create_dataset(&path, &spec).unwrap();
                let v: Vec<String> = (0..n).map(|i| format!("{axis}{a}_{i}")).collect();
                let r: Vec<&str> = v.iter().map(String::as_str).collect();
                w.write_strings(&path, &[0], &[n], &r).unwrap();
            }
        }
        w.close().unwrap();
    }
    let mut sizes = vec![mem.to_bytes().len()];
    for s in 1..=8u64 {
        let mut w = Writer::open_in(Arc::new(mem.clone())).unwrap();
        let block: Vec<f32> = (0..16 * 16).map(|i| (i as u64 * s) as f32).collect();
        w.write_numbers("/matrix", &[16 * (s % 4), 16], &[16, 16], &block)
            .unwrap();
        w.set_attribute("/", "last", &AttrValue::string(&format!("session {s}")))
            .unwrap();
        let path = format!("/row_attrs/a{}", s % 6);
        w.unlink(&path).unwrap();
        let spec = DatasetSpec::new(i64::datatype(), &[n])
            .chunks(&[n])
            .deflate(4);
        w.create_dataset(&path, &spec).unwrap();
        let v: Vec<i64> = (0..n as i64).map(|i| i * s as i64).collect();
        w.write_numbers(&path, &[0], &[n], &v).unwrap();
        if s == 2 {
            let spec = DatasetSpec::new(f32::datatype(), &[n, n])
                .chunks(&[64, 64])
                .deflate(4);
            w.create_dataset("/layers/spliced", &spec).unwrap();
            w.create_group("/row_graphs/knn").unwrap();
            for (name, len) in [("a", 200u64), ("b", 200), ("w", 200)] {
                let p = format!("/row_graphs/knn/{name}");
                let spec = DatasetSpec::new(f32::datatype(), &[len]).chunks(&[len]);
                w.create_dataset(&p, &spec).unwrap();
                let v: Vec<f32> = (0..len).map(|i| (i % 64) as f32).collect();
                w.write_numbers(&p, &[0], &[len], &v).unwrap();
            }
        }
        if s >= 2 {
            let v: Vec<f32> = (0..32 * 32).map(|i| (i as u64 + s) as f32).collect();
            w.write_numbers("/layers/spliced", &[32 * (s % 2), 0], &[32, 32], &v)
                .unwrap();
        }
        w.close().unwrap();
        sizes.push(mem.to_bytes().len());
    }
    let f = File::from_bytes(mem.to_bytes()).unwrap();
    let a2 = f.dataset("/row_attrs/a2").unwrap().read::<i64>().unwrap();
    assert_eq!(a2[[3]], 3 * 8);
    let a0 = f.dataset("/col_attrs/a0").unwrap().read_strings().unwrap();
    assert_eq!(a0[5], "col_attrs0_5");
    let created = sizes[0];
    assert!(
        *sizes.last().unwrap() < created * 2,
        "sizes over the sessions: {sizes:?}"
    );
    if let Ok(dir) = std::env::var("HDF5_LITE_REUSE_OUT") {
        std::fs::write(format!("{dir}/loomlike.h5"), mem.to_bytes()).unwrap();
        eprintln!("loom-like sizes {sizes:?}");
    }
}
