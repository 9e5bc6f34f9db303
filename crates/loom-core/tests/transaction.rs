//! Transactions: many edits, one commit; a failure keeps the file as it was; reads inside
//! a transaction see the staged edits; a read-write open writes nothing by itself.

// Test helpers outside #[test] functions may unwrap: a failure there is a test failure.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use hdf5_lite::write::{MemFile, Writer};
use loom_core::{create_in, new_in, AttrValues, Axis, LayerInput, LoomConnection, LoomError, Mode};
use ndarray::{array, Array2};

fn reopen(mem: &MemFile) -> LoomConnection {
    let copy = MemFile::from_bytes(mem.to_bytes());
    LoomConnection::open_in(Arc::new(copy), Mode::Read, false).unwrap()
}

#[test]
fn many_edits_one_commit() {
    let mem = MemFile::new();
    let mut ds = new_in(Arc::new(mem.clone())).unwrap();
    let before = mem.to_bytes();
    ds.transaction(|tx| {
        tx.layers_mut()
            .set("", array![[1.0f32, 2.0], [3.0, 4.0]].view())?;
        tx.ra_mut().set("Gene", vec!["a", "b"])?;
        // Reads see the staged edits.
        assert_eq!(tx.shape(), (2, 2));
        assert_eq!(tx.ra().keys(), ["Gene"]);
        assert_eq!(tx.read::<f64>(1, ..)?, array![[3.0, 4.0]]);
        tx.ca_mut().set("Cell", vec![7i64, 8])?;
        tx.col_graphs_mut()
            .set_dense("g", &array![[0.0, 1.0], [1.0, 0.0]])?;
        assert_eq!(tx.col_graphs().get("g")?.nnz(), 2);
        // Nothing is committed yet: the superblock still points at the empty file.
        assert_eq!(mem.to_bytes()[..96], before[..96]);
        assert_eq!(reopen(&mem).shape(), (0, 0));
        Ok(())
    })
    .unwrap();
    let after = reopen(&mem);
    assert_eq!(after.shape(), (2, 2));
    assert_eq!(
        after.ca().get("Cell").unwrap(),
        AttrValues::from(vec![7i64, 8])
    );
    assert_eq!(after.graphs(Axis::Cols).keys(), ["g"]);
}

#[test]
fn a_failed_transaction_writes_nothing() {
    let mem = MemFile::new();
    let m = array![[1.0f32, 0.0], [0.0, 2.0]];
    create_in(
        Arc::new(mem.clone()),
        &[("", LayerInput::from(&m))],
        &[],
        &[],
        &[],
    )
    .unwrap();
    let mut ds = LoomConnection::open_in(Arc::new(mem.clone()), Mode::ReadWrite, true).unwrap();
    let committed = mem.to_bytes();
    let e = ds
        .transaction(|tx| {
            tx.ra_mut().set("Gene", vec!["a", "b"])?;
            tx.layers_mut().set("extra", m.view())?;
            tx.layers_mut().delete("extra")?;
            tx.layers_mut()
                .set("", Array2::<f32>::zeros((5, 5)).view())?;
            assert_eq!(tx.shape(), (5, 5));
            Err::<(), _>(LoomError::InvalidInput("no".into()))
        })
        .unwrap_err();
    assert_eq!(e.to_string(), "no");
    assert_eq!(ds.shape(), (2, 2));
    assert!(ds.ra().keys().is_empty());
    assert_eq!(reopen(&mem).shape(), (2, 2));
    assert_eq!(mem.to_bytes()[..96], committed[..96]);

    // An edit that fails inside the transaction fails the whole transaction, even when the
    // closure goes on.
    let e = ds
        .transaction(|tx| {
            tx.ra_mut().set("Gene", vec!["a", "b"])?;
            let _ = tx.layers_mut().set("bad/name", m.view());
            let _ = tx.ra_mut().set("Wrong", vec![1i64; 3]);
            Ok(())
        })
        .map(|()| "committed");
    assert!(
        e.is_ok(),
        "checks that fail before staging do not fail the transaction"
    );
    assert!(ds.ra().contains("Gene"));
    // A read-only connection refuses transactions.
    let mut ro = reopen(&mem);
    assert!(matches!(
        ro.transaction(|_| Ok(())),
        Err(LoomError::ReadOnly(_))
    ));
}

#[test]
fn a_read_write_open_writes_nothing_until_the_first_write() {
    // An HDF5 file that is no loom file at all: no groups.
    let mem = MemFile::new();
    let mut w = Writer::create_in(Arc::new(mem.clone())).unwrap();
    w.create_group("/other").unwrap();
    w.close().unwrap();
    let before = mem.to_bytes();
    let ds = LoomConnection::open_in(Arc::new(mem.clone()), Mode::ReadWrite, false).unwrap();
    assert!(ds.layers().keys().unwrap().is_empty());
    ds.close().unwrap();
    assert_eq!(mem.to_bytes(), before);
    // The first write also creates the groups loompy adds (this file has no spec version,
    // so its global attributes are root attributes, as in spec 2).
    let mut ds = LoomConnection::open_in(Arc::new(mem.clone()), Mode::ReadWrite, false).unwrap();
    ds.attrs_mut().set("title", "x").unwrap();
    let names = ds.hdf5().root().unwrap().member_names().unwrap();
    assert_eq!(names, ["col_graphs", "layers", "other", "row_graphs"]);
    assert_eq!(ds.attrs().get("title").unwrap().as_str(), Some("x"));
}

#[test]
fn create_is_one_commit_and_stays_small() {
    // issue 7: 40 string attributes used to make 42 commits and an 894 KB file.
    let size = |k: usize| {
        let mem = MemFile::new();
        let m = Array2::<f32>::from_shape_fn((100, 30), |(i, j)| (i * j % 7) as f32);
        let attrs: Vec<(String, AttrValues)> = (0..k)
            .map(|a| {
                let v: Vec<String> = (0..100).map(|i| format!("g{a}-{i}")).collect();
                (format!("A{a}"), AttrValues::from(v))
            })
            .collect();
        let refs: Vec<(&str, AttrValues)> =
            attrs.iter().map(|(k, v)| (k.as_str(), v.clone())).collect();
        create_in(
            Arc::new(mem.clone()),
            &[("", LayerInput::from(&m))],
            &refs,
            &[],
            &[],
        )
        .unwrap();
        mem.to_bytes().len()
    };
    let (one, forty) = (size(1), size(40));
    eprintln!("1 attribute: {one} B, 40: {forty} B");
    // The same edits, one commit each.
    let mem = MemFile::new();
    let m = Array2::<f32>::from_shape_fn((100, 30), |(i, j)| (i * j % 7) as f32);
    let mut ds = new_in(Arc::new(mem.clone())).unwrap();
    ds.layers_mut().set("", m.view()).unwrap();
    for a in 0..40 {
        let v: Vec<String> = (0..100).map(|i| format!("g{a}-{i}")).collect();
        ds.ra_mut().set(&format!("A{a}"), v).unwrap();
    }
    ds.close().unwrap();
    let separate = mem.to_bytes().len();
    eprintln!("40 separate commits: {separate} B");
    assert!(
        forty < separate,
        "{forty} B in one commit, {separate} B in 41"
    );
}

#[test]
fn one_writer_per_file() {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("loom-core-lock-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("locked.loom");
    let m = array![[1.0f32, 0.0], [0.0, 2.0]];
    loom_core::create(&path, &[("", LayerInput::from(&m))], &[], &[], &[]).unwrap();
    let mut first = LoomConnection::open(&path, Mode::ReadWrite, true).unwrap();
    // issue 7 §1: a second writer (or a reader) is refused at once, naming the file.
    let e = LoomConnection::open(&path, Mode::ReadWrite, true).unwrap_err();
    assert!(
        matches!(e, LoomError::Hdf5(hdf5_lite::Error::Locked { .. })),
        "{e}"
    );
    assert!(e.to_string().contains("locked.loom"), "{e}");
    assert!(LoomConnection::open(&path, Mode::Read, true).is_err());
    first.ra_mut().set("Gene", vec!["a", "b"]).unwrap();
    first.close().unwrap();
    // Readers share the file.
    let r1 = LoomConnection::open(&path, Mode::Read, true).unwrap();
    let r2 = LoomConnection::open(&path, Mode::Read, true).unwrap();
    assert!(LoomConnection::open(&path, Mode::ReadWrite, true).is_err());
    assert_eq!(r2.ra().keys(), ["Gene"]);
    drop((r1, r2));
    // Without locks, two connections open; the file is still never silently overwritten:
    // the second commit sees the first and refuses.
    let off = loom_core::FileOptions::new().locking(false);
    let mut a = LoomConnection::open_with(&path, Mode::ReadWrite, true, off).unwrap();
    let mut b = LoomConnection::open_with(&path, Mode::ReadWrite, true, off).unwrap();
    a.ca_mut().set("x", vec![1i64, 2]).unwrap();
    assert!(b.ca_mut().set("y", vec![1i64, 2]).is_err());
    drop((a, b));
    let ds = LoomConnection::open(&path, Mode::Read, true).unwrap();
    assert_eq!(ds.ca().keys(), ["x"]);
    std::fs::remove_dir_all(&dir).unwrap();
}
