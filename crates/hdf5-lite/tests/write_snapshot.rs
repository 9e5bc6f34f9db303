//! `Writer::snapshot`: staged edits readable before the commit, the file on disk unchanged
//! until then, and commit and rollback unaffected by a snapshot taken before them.

// Test helpers outside #[test] functions may unwrap: a failure there is a test failure.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use hdf5_lite::read::{File, Numeric};
use hdf5_lite::write::{AttrValue, DatasetSpec, MemFile, Writer};

fn base() -> MemFile {
    let mem = MemFile::new();
    let mut w = Writer::create_in(Arc::new(mem.clone())).unwrap();
    w.create_group("/g").unwrap();
    w.create_dataset(
        "/g/x",
        &DatasetSpec::new(i32::datatype(), &[4]).chunks(&[2]),
    )
    .unwrap();
    w.write_numbers("/g/x", &[0], &[4], &[1i32, 2, 3, 4])
        .unwrap();
    w.set_attribute("/", "title", &AttrValue::string("committed"))
        .unwrap();
    w.close().unwrap();
    mem
}

fn title(file: &File) -> String {
    file.root()
        .unwrap()
        .attribute("title")
        .unwrap()
        .strings()
        .unwrap()
        .concat()
}

fn x(file: &File) -> Vec<i32> {
    file.dataset("/g/x")
        .unwrap()
        .read::<i32>()
        .unwrap()
        .into_raw_vec_and_offset()
        .0
}

#[test]
fn a_snapshot_sees_staged_edits_that_the_file_does_not() {
    let mem = base();
    let before = mem.to_bytes();
    let mut w = Writer::open_in(Arc::new(mem.clone())).unwrap();
    w.write_numbers("/g/x", &[1], &[2], &[20i32, 30]).unwrap();
    w.set_attribute("/", "title", &AttrValue::string("staged"))
        .unwrap();
    w.create_group("/h").unwrap();

    let snap = w.snapshot().unwrap();
    assert_eq!(x(&snap), vec![1, 20, 30, 4]);
    assert_eq!(title(&snap), "staged");
    assert!(snap.group("/h").is_ok());

    // On disk, still the committed file: its first bytes (the superblock) are unchanged
    // and it reads as before.
    let now = mem.to_bytes();
    assert_eq!(now[..96], before[..96]);
    let disk = File::from_bytes(now).unwrap();
    assert_eq!(x(&disk), vec![1, 2, 3, 4]);
    assert_eq!(title(&disk), "committed");

    // More edits after the snapshot, then a second snapshot and the commit.
    w.write_numbers("/g/x", &[3], &[1], &[40i32]).unwrap();
    let again = w.snapshot().unwrap();
    assert_eq!(x(&again), vec![1, 20, 30, 40]);
    w.close().unwrap();
    let done = File::from_bytes(mem.to_bytes()).unwrap();
    assert_eq!(x(&done), vec![1, 20, 30, 40]);
    assert_eq!(title(&done), "staged");
    assert!(done.group("/h").is_ok());
}

#[test]
fn rollback_after_a_snapshot_keeps_the_committed_file() {
    let mem = base();
    let mut w = Writer::open_in(Arc::new(mem.clone())).unwrap();
    w.set_attribute("/", "title", &AttrValue::string("dropped"))
        .unwrap();
    w.unlink("/g/x").unwrap();
    let snap = w.snapshot().unwrap();
    assert_eq!(title(&snap), "dropped");
    assert!(snap.dataset("/g/x").is_err());
    w.rollback();
    // A snapshot with nothing staged is the committed file.
    let clean = w.snapshot().unwrap();
    assert_eq!(title(&clean), "committed");
    w.set_attribute("/g", "n", &AttrValue::numbers(&[7i64], &[]))
        .unwrap();
    w.close().unwrap();
    let done = File::from_bytes(mem.to_bytes()).unwrap();
    assert_eq!(title(&done), "committed");
    assert_eq!(x(&done), vec![1, 2, 3, 4]);
    let n = done.group("/g").unwrap().attribute("n").unwrap();
    assert_eq!(
        n.read::<i64>().unwrap().into_raw_vec_and_offset().0,
        vec![7]
    );
}

#[test]
fn a_new_file_can_be_snapshot_before_its_first_commit() {
    let mem = MemFile::new();
    let mut w = Writer::create_in(Arc::new(mem.clone())).unwrap();
    w.create_group("/a/b").unwrap();
    let snap = w.snapshot().unwrap();
    assert_eq!(
        snap.group("/a").unwrap().member_names().unwrap(),
        vec!["b".to_owned()]
    );
    assert!(File::from_bytes(mem.to_bytes()).is_err());
    w.close().unwrap();
    let done = File::from_bytes(mem.to_bytes()).unwrap();
    assert!(done.group("/a/b").is_ok());
}
