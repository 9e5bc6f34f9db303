//! Row and column graphs: reading loompy's, writing loompy's layout, the deprecated
//! `*_edges` methods, the old `/row_edges` layout, and loompy's errors.

// Test helpers outside #[test] functions may unwrap: a failure there is a test failure.
#![allow(clippy::unwrap_used)]

use std::path::PathBuf;

use hdf5_lite::format::messages::Datatype;
use hdf5_lite::write::Writer;
use loom_core::{Axis, LoomConnection, LoomError, LoomValidator, Mode, Strictness};
use ndarray::array;
use sprs::TriMat;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures")
        .join(name)
}

/// A private copy of fixture 01 (100×70, row graph KNN, column graph MKNN), removed
/// when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn path(&self) -> PathBuf {
        self.0.join("g.loom")
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn scratch(tag: &str) -> Scratch {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("loom-graphs-{}-{tag}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let s = Scratch(dir);
    std::fs::copy(fixture("01_loompy_create_dense.loom"), s.path()).unwrap();
    s
}

#[test]
fn reads_loompys_graphs() {
    // Expected values from loompy 3.0.8: ds.row_graphs["KNN"].row[:4], .col[:4], .data[:4].
    let ds =
        LoomConnection::open(fixture("01_loompy_create_dense.loom"), Mode::Read, true).unwrap();
    assert_eq!(ds.row_graphs().keys(), ["KNN"]);
    assert_eq!(ds.col_graphs().keys(), ["MKNN"]);
    assert!(ds.row_graphs().contains("KNN") && !ds.row_graphs().contains("MKNN"));
    let g = ds.row_graphs().get("KNN").unwrap();
    assert_eq!(g.shape(), (100, 100));
    assert_eq!(g.nnz(), 300);
    assert_eq!(&g.row_inds()[..4], [13, 12, 79, 49]);
    assert_eq!(&g.col_inds()[..4], [0, 13, 3, 39]);
    assert_eq!(&g.data()[..4], [0.5, 0.125, 0.125, 0.75]);
    assert_eq!(g.data().iter().sum::<f64>(), 150.625);
    let m = ds.col_graphs().get("MKNN").unwrap();
    assert_eq!((m.shape(), m.nnz()), ((70, 70), 140));
    assert_eq!(&m.row_inds()[..4], [12, 50, 39, 31]);
    assert_eq!(ds.list_edges(Axis::Rows), ["KNN"]);
    assert_eq!(ds.list_edges(Axis::Cols), ["MKNN"]);
    let (a, b, w) = ds.get_edges("KNN", Axis::Rows).unwrap();
    assert_eq!(
        (&a[..2], &b[..2], &w[..2]),
        (&[13, 12][..], &[0, 13][..], &[0.5, 0.125][..])
    );
    assert!(
        matches!(Axis::try_from(2), Err(LoomError::InvalidInput(m)) if m == "Axis must be 0 or 1")
    );
    assert!(matches!(
        ds.row_graphs().get("nope"),
        Err(LoomError::Missing { .. })
    ));
}

#[test]
fn writes_loompys_layout_and_reads_it_back() {
    let tmp = scratch("write");
    let path = tmp.path();
    let mut ds = LoomConnection::open(&path, Mode::ReadWrite, true).unwrap();
    let mut t = TriMat::new((100, 100));
    for (i, j, v) in [(3, 4, 1.5), (3, 4, 0.25), (99, 0, 0.0)] {
        t.add_triplet(i, j, v);
    }
    ds.row_graphs_mut().set("sparse", &t).unwrap();
    let dense =
        ndarray::Array2::from_shape_fn((70, 70), |(i, j)| if i + 1 == j { 2.0 } else { 0.0 });
    ds.col_graphs_mut().set_dense("chain", &dense).unwrap();
    ds.set_edges("old", &[1, 2], &[2, 1], &[0.5, 0.5], Axis::Rows)
        .unwrap();

    let g = ds.row_graphs().get("sparse").unwrap();
    // Duplicates and explicit zeros are kept, in order.
    assert_eq!(g.row_inds(), [3, 3, 99]);
    assert_eq!(g.col_inds(), [4, 4, 0]);
    assert_eq!(g.data(), [1.5, 0.25, 0.0]);
    let c = ds.col_graphs().get("chain").unwrap();
    assert_eq!(c.nnz(), 69);
    assert_eq!((c.row_inds()[5], c.col_inds()[5], c.data()[5]), (5, 6, 2.0));
    assert_eq!(ds.row_graphs().keys(), ["KNN", "old", "sparse"]);

    // The layout: contiguous int32 a, b and float64 w, with last_modified stamps.
    let f = ds.hdf5();
    for v in ["a", "b", "w"] {
        let d = f.dataset(&format!("/row_graphs/sparse/{v}")).unwrap();
        assert_eq!(d.shape(), [3]);
        assert!(d.chunks().is_none());
        let want = if v == "w" { "float64" } else { "int32" };
        let got = match d.datatype() {
            Datatype::Integer {
                size: 4,
                signed: true,
                ..
            } => "int32",
            Datatype::Float { size: 8, .. } => "float64",
            _ => "other",
        };
        assert_eq!(got, want);
    }
    for p in [
        "/row_graphs/sparse",
        "/row_graphs",
        "/col_graphs/chain",
        "/",
    ] {
        let ts = f
            .group(p)
            .unwrap()
            .attribute("last_modified")
            .unwrap()
            .strings()
            .unwrap();
        assert_eq!(ts[0].len(), 23, "{p}: {ts:?}");
    }
    let mut v = LoomValidator::new();
    assert!(
        v.validate_file(&ds.hdf5(), Strictness::SpecOnly),
        "{:?}",
        v.errors()
    );

    // Replacing and deleting.
    let mut small = TriMat::new((100, 100));
    small.add_triplet(0, 0, 1.0);
    ds.row_graphs_mut().set("sparse", &small).unwrap();
    assert_eq!(ds.row_graphs().get("sparse").unwrap().nnz(), 1);
    ds.row_graphs_mut().delete("sparse").unwrap();
    ds.row_graphs_mut().delete("never-there").unwrap();
    assert_eq!(ds.row_graphs().keys(), ["KNN", "old"]);
    // A reader taken from the connection holds its lock too.
    drop(f);
    ds.close().unwrap();
    let again = LoomConnection::open(&path, Mode::Read, true).unwrap();
    assert_eq!(
        again.get_edges("old", Axis::Rows).unwrap(),
        (vec![1, 2], vec![2, 1], vec![0.5, 0.5])
    );
}

#[test]
fn loompys_errors() {
    let tmp = scratch("errors");
    let path = tmp.path();
    let mut ds = LoomConnection::open(&path, Mode::ReadWrite, true).unwrap();
    let msg = |r: Result<(), LoomError>| match r {
        Err(LoomError::InvalidInput(m)) => m,
        other => panic!("{other:?}"),
    };
    let wrong = TriMat::<f64>::new((70, 70));
    assert_eq!(
        msg(ds.row_graphs_mut().set("x", &wrong)),
        "Adjacency matrix shape for axis 0 must be (100,100) but shape was (70, 70)"
    );
    assert_eq!(
        msg(ds.col_graphs_mut().set_dense("x", &array![[1.0]])),
        "Adjacency matrix shape for axis 1 must be (70,70) but shape was (1, 1)"
    );
    let square = TriMat::<f64>::new((100, 100));
    assert_eq!(
        msg(ds.row_graphs_mut().set("a/b", &square)),
        "Graph name cannot contain slash (/)"
    );
    let convert = "Input arrays could not be converted to a sparse matrix";
    assert_eq!(
        msg(ds.set_edges("x", &[0, 1], &[0], &[1.0, 1.0], Axis::Rows)),
        convert
    );
    assert_eq!(
        msg(ds.set_edges("x", &[100], &[0], &[1.0], Axis::Rows)),
        convert
    );
    assert_eq!(
        msg(ds.set_edges("x", &[0], &[70], &[1.0], Axis::Cols)),
        convert
    );
    assert_eq!(
        msg(ds.set_edges("x", &[-1], &[0], &[1.0], Axis::Rows)),
        convert
    );
    assert_eq!(
        ds.row_graphs().keys(),
        ["KNN"],
        "failed writes leave nothing behind"
    );
    ds.close().unwrap();

    let mut ro = LoomConnection::open(&path, Mode::Read, true).unwrap();
    assert!(matches!(
        ro.row_graphs_mut().set("x", &square),
        Err(LoomError::ReadOnly(_))
    ));
    assert!(matches!(
        ro.row_graphs_mut().delete("KNN"),
        Err(LoomError::ReadOnly(_))
    ));
}

#[test]
fn old_edges_groups_are_moved_by_the_first_write_of_a_read_write_connection() {
    // Fixture 01 with its row graph moved to the pre-2.0 place, /row_edges/KNN (loompy
    // 3.0.8 on this file, checked by hand: mode 'r' lists no row graphs, mode 'r+' moves
    // it to /row_graphs/KNN and deletes /row_edges).
    let tmp = scratch("edges");
    let path = tmp.path();
    let mut w = Writer::open(&path).unwrap();
    w.create_group("/row_edges").unwrap();
    w.rename("/row_graphs/KNN", "/row_edges/KNN").unwrap();
    w.close().unwrap();
    let before = std::fs::read(&path).unwrap();

    let ro = LoomConnection::open(&path, Mode::Read, true).unwrap();
    assert!(ro.row_graphs().keys().is_empty());
    assert!(ro.hdf5().group("/row_edges").is_ok());
    drop(ro);
    // Read-write: the graph is seen at once, but the file is untouched until a write.
    let mut rw = LoomConnection::open(&path, Mode::ReadWrite, true).unwrap();
    assert_eq!(rw.row_graphs().keys(), ["KNN"]);
    assert_eq!(rw.row_graphs().get("KNN").unwrap().nnz(), 300);
    assert!(rw.hdf5().group("/row_edges").is_ok());
    assert_eq!(std::fs::read(&path).unwrap(), before);
    // A failed write rolls the move back with it.
    let failed: loom_core::Result<()> = rw.transaction(|tx| {
        tx.ca_mut().set("x", vec![1i64; 70])?;
        Err(LoomError::InvalidInput("abandon".into()))
    });
    assert!(failed.is_err());
    assert!(rw.hdf5().group("/row_edges").is_ok());
    assert_eq!(rw.row_graphs().keys(), ["KNN"]);
    rw.ca_mut().set("x", vec![1i64; 70]).unwrap();
    assert!(rw.hdf5().group("/row_edges").is_err());
    assert_eq!(rw.row_graphs().keys(), ["KNN"]);
    assert_eq!(rw.row_graphs().get("KNN").unwrap().nnz(), 300);
    rw.close().unwrap();
    let again = LoomConnection::open(&path, Mode::Read, true).unwrap();
    assert_eq!(again.row_graphs().keys(), ["KNN"]);
}

#[test]
fn a_graph_written_in_pieces_reads_back_whole_and_in_ranges() {
    let s = scratch("pieces");
    let mut ds = loom_core::connect(s.path(), Mode::ReadWrite).unwrap();
    let n = ds.shape().1 as i32;
    ds.col_graphs_mut().create("big", 5).unwrap();
    ds.col_graphs_mut()
        .write_edges("big", 0, &[0, 1], &[2, 3], &[0.5, 1.5])
        .unwrap();
    ds.col_graphs_mut()
        .write_edges("big", 2, &[4, n - 1, 6], &[5, 0, 7], &[2.0, 3.0, 4.0])
        .unwrap();
    for (start, a, b) in [
        (5, vec![0], vec![0]),
        (0, vec![n], vec![0]),
        (0, vec![-1], vec![0]),
        (0, vec![0, 1], vec![0]),
    ] {
        let w = vec![1.0; a.len()];
        let e = ds.col_graphs_mut().write_edges("big", start, &a, &b, &w);
        assert!(matches!(e, Err(LoomError::InvalidInput(_))), "{e:?}");
    }
    ds.close().unwrap();
    let ds = loom_core::connect(s.path(), Mode::Read).unwrap();
    let (a, b, w) = ds.col_graphs().edges("big").unwrap();
    assert_eq!(a, [0, 1, 4, i64::from(n - 1), 6]);
    assert_eq!(b, [2, 3, 5, 0, 7]);
    assert_eq!(w, [0.5, 1.5, 2.0, 3.0, 4.0]);
    let (a, b, w) = ds.col_graphs().edges_range("big", 1..3).unwrap();
    assert_eq!((a, b, w), (vec![1, 4], vec![3, 5], vec![1.5, 2.0]));
}
