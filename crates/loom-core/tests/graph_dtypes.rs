//! Graph vectors keep the types they were given, as loompy keeps them: float32 weights stay
//! float32 (also through permute and add_loom), int64 vertices given to `set_edges` stay
//! int64. Compared with fixtures 11 (SCope-style graphs written by loompy and h5py) and
//! 12 (the same file permuted by loompy).

// Test helpers outside #[test] functions may unwrap: a failure there is a test failure.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::sync::Arc;

use hdf5_lite::format::messages::Datatype;
use hdf5_lite::read::{File, Numeric};
use hdf5_lite::write::{DatasetSpec, MemFile, Writer};
use loom_core::ops::AddLoomOptions;
use loom_core::{new_in, Axis, LoomConnection, Mode};
use sprs::TriMat;

/// The column ordering fixture 12 was permuted with (`SCOPE_ORDER` in fixtures/loom_files.py).
fn scope_order() -> Vec<usize> {
    (0..40).map(|i| (i * 7) % 40).collect()
}

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures")
        .join(name)
}

fn scratch_dir(tag: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("graph-dtypes-{tag}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The stored types of a graph's `a`, `b` and `w`.
fn types(f: &File, name: &str) -> [Datatype; 3] {
    ["a", "b", "w"].map(|v| {
        f.dataset(&format!("/col_graphs/{name}/{v}"))
            .unwrap()
            .datatype()
            .clone()
    })
}

/// The stored bytes of a graph's `a`, `b` and `w`.
fn raw(f: &File, name: &str) -> [Vec<u8>; 3] {
    ["a", "b", "w"].map(|v| {
        f.dataset(&format!("/col_graphs/{name}/{v}"))
            .unwrap()
            .read_raw()
            .unwrap()
    })
}

fn vector<T: Numeric>(f: &File, path: &str) -> Vec<T> {
    f.dataset(path)
        .unwrap()
        .read::<T>()
        .unwrap()
        .into_iter()
        .collect()
}

#[test]
fn set_stores_the_types_loompy_stores() {
    let theirs = File::open(fixture("11_scope_embeddings.loom")).unwrap();
    let mem = Arc::new(MemFile::new());
    new_in(mem.clone()).unwrap().close().unwrap();
    let mut w = Writer::open_in(mem.clone()).unwrap();
    w.create_dataset("/matrix", &DatasetSpec::new(f32::datatype(), &[30, 40]))
        .unwrap();
    w.close().unwrap();
    let mut ds = LoomConnection::open_in(mem.clone(), Mode::ReadWrite, false).unwrap();
    let a: Vec<usize> = vector::<i64>(&theirs, "/col_graphs/KNN32/a")
        .into_iter()
        .map(|x| x as usize)
        .collect();
    let b: Vec<usize> = vector::<i64>(&theirs, "/col_graphs/KNN32/b")
        .into_iter()
        .map(|x| x as usize)
        .collect();
    let w32: Vec<f32> = vector(&theirs, "/col_graphs/KNN32/w");
    let w64: Vec<f64> = w32.iter().map(|&x| f64::from(x)).collect();
    let mut g = ds.graphs_mut(Axis::Cols);
    g.set(
        "KNN32",
        &TriMat::from_triplets((40, 40), a.clone(), b.clone(), w32),
    )
    .unwrap();
    g.set("KNN64", &TriMat::from_triplets((40, 40), a, b, w64))
        .unwrap();
    let wa: Vec<i64> = vector(&theirs, "/col_graphs/Wide/a");
    let wb: Vec<i64> = vector(&theirs, "/col_graphs/Wide/b");
    let ww: Vec<f32> = vector(&theirs, "/col_graphs/Wide/w");
    ds.set_edges("Wide", &wa, &wb, &ww, Axis::Cols).unwrap();
    ds.close().unwrap();
    let ours = File::from_bytes(mem.to_bytes()).unwrap();
    for name in ["KNN32", "KNN64", "Wide"] {
        assert_eq!(types(&ours, name), types(&theirs, name), "{name}");
        assert_eq!(raw(&ours, name), raw(&theirs, name), "{name}");
    }
}

#[test]
fn permute_keeps_graph_and_compound_types_as_loompy_does() {
    let dir = scratch_dir("permute");
    let path = dir.join("11.loom");
    std::fs::copy(fixture("11_scope_embeddings.loom"), &path).unwrap();
    let mut ds = LoomConnection::open(&path, Mode::ReadWrite, false).unwrap();
    ds.permute(&scope_order(), Axis::Cols).unwrap();
    ds.close().unwrap();
    let ours = File::open(&path).unwrap();
    let theirs = File::open(fixture("12_scope_permuted.loom")).unwrap();
    for name in ["KNN32", "KNN64", "Wide"] {
        assert_eq!(types(&ours, name), types(&theirs, name), "{name}");
        assert_eq!(raw(&ours, name), raw(&theirs, name), "{name}");
    }
    for attr in ["Embedding", "Embeddings_X", "Embeddings_Y", "Clusterings"] {
        let p = format!("/col_attrs/{attr}");
        let (o, t) = (ours.dataset(&p).unwrap(), theirs.dataset(&p).unwrap());
        assert_eq!(o.datatype(), t.datatype(), "{attr}");
        assert_eq!(o.read_raw().unwrap(), t.read_raw().unwrap(), "{attr}");
    }
    let m = |f: &File| f.dataset("/matrix").unwrap().read::<f32>().unwrap();
    assert_eq!(m(&ours), m(&theirs));
    drop(ours);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn add_loom_keeps_float32_weights() {
    let dir = scratch_dir("add-loom");
    let (a, b) = (dir.join("a.loom"), dir.join("b.loom"));
    for p in [&a, &b] {
        std::fs::copy(fixture("11_scope_embeddings.loom"), p).unwrap();
    }
    let before = File::open(&a).unwrap();
    let (knn_a, knn_w) = (
        vector::<i32>(&before, "/col_graphs/KNN32/a"),
        vector::<f32>(&before, "/col_graphs/KNN32/w"),
    );
    drop(before);
    let mut ds = LoomConnection::open(&a, Mode::ReadWrite, false).unwrap();
    let other = LoomConnection::open(&b, Mode::Read, false).unwrap();
    let opts = AddLoomOptions {
        key: Some("Gene".into()),
        include_graphs: true,
        ..AddLoomOptions::default()
    };
    ds.add_loom_from(&other, &opts).unwrap();
    drop(other);
    ds.close().unwrap();
    let f = File::open(&a).unwrap();
    let [ta, tb, tw] = types(&f, "KNN32");
    assert_eq!(
        (ta, tb, tw),
        (i32::datatype(), i32::datatype(), f32::datatype())
    );
    assert_eq!(types(&f, "KNN64")[2], f64::datatype());
    // loompy's block-diagonal merge: the second file's vertices shifted by 40.
    let merged_a = vector::<i32>(&f, "/col_graphs/KNN32/a");
    let want_a: Vec<i32> = knn_a
        .iter()
        .chain(knn_a.iter())
        .enumerate()
        .map(|(i, &x)| if i < knn_a.len() { x } else { x + 40 })
        .collect();
    assert_eq!(merged_a, want_a);
    let merged_w = vector::<f32>(&f, "/col_graphs/KNN32/w");
    assert_eq!(merged_w, [knn_w.clone(), knn_w].concat());
    drop(f);
    std::fs::remove_dir_all(dir).unwrap();
}
