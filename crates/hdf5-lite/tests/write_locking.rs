//! File locks and conflict detection: two writers, or a writer and a reader, never use
//! one file at once unless locking is turned off, and a commit refuses to overwrite a
//! file someone else changed.

// Test helpers outside #[test] functions may unwrap: a failure there is a test failure.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use hdf5_lite::read::{File, Numeric};
use hdf5_lite::write::{AttrValue, DatasetSpec, Writer};
use hdf5_lite::{Error, FileOptions};

fn temp_file(name: &str) -> PathBuf {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("hdf5-lite-lock-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    let mut w = FileOptions::new().locking(false).create(&path).unwrap();
    w.create_dataset("/x", &DatasetSpec::new(i32::datatype(), &[3]))
        .unwrap();
    w.write_numbers("/x", &[0], &[3], &[1i32, 2, 3]).unwrap();
    w.close().unwrap();
    path
}

fn locked(result: hdf5_lite::Result<impl std::fmt::Debug>, path: &Path) {
    match result {
        Err(e @ Error::Locked { .. }) => {
            let msg = e.to_string();
            assert!(msg.contains(&path.display().to_string()), "{msg}");
            assert!(msg.contains("open elsewhere"), "{msg}");
            assert!(msg.contains("HDF5_USE_FILE_LOCKING=FALSE"), "{msg}");
        }
        other => panic!("expected Locked, got {other:?}"),
    }
}

#[test]
fn a_second_writer_is_refused_while_the_first_is_open() {
    let path = temp_file("two_writers.h5");
    let mut first = Writer::open(&path).unwrap();
    locked(Writer::open(&path), &path);
    locked(Writer::create(&path), &path);
    // Creating over a locked file must not have emptied it.
    first
        .set_attribute("/", "who", &AttrValue::string("first"))
        .unwrap();
    first.close().unwrap();
    let file = File::open(&path).unwrap();
    assert_eq!(file.dataset("/x").unwrap().read::<i32>().unwrap().len(), 3);
    // Once the first is closed, a new writer gets the file.
    drop(file);
    Writer::open(&path).unwrap().close().unwrap();
}

#[test]
fn readers_share_the_file_and_keep_writers_out() {
    let path = temp_file("reader_writer.h5");
    let r1 = File::open(&path).unwrap();
    let r2 = File::open(&path).unwrap();
    locked(Writer::open(&path), &path);
    drop((r1, r2));
    let mut w = Writer::open(&path).unwrap();
    locked(File::open(&path), &path);
    // Reading through the writer's own handle works and sees each commit.
    let before = w.reader().unwrap();
    w.write_numbers("/x", &[0], &[1], &[10i32]).unwrap();
    w.commit().unwrap();
    let after = w.reader().unwrap();
    let x = |f: &File| f.dataset("/x").unwrap().read::<i32>().unwrap()[[0]];
    assert_eq!(x(&before), 1);
    assert_eq!(x(&after), 10);
    drop(w);
    // The reader keeps the handle (and its lock) open after the writer is gone.
    locked(Writer::open(&path), &path);
    drop((before, after));
    Writer::open(&path).unwrap().close().unwrap();
}

#[test]
fn locking_can_be_turned_off() {
    let path = temp_file("unlocked.h5");
    let off = FileOptions::new().locking(false);
    let _w1 = off.open_rw(&path).unwrap();
    let _w2 = off.open_rw(&path).unwrap();
    let _r = off.open(&path).unwrap();
    assert!(!off.is_locking());
}

#[test]
fn a_commit_refuses_a_file_changed_behind_its_back() {
    let path = temp_file("conflict.h5");
    let off = FileOptions::new().locking(false);
    let mut a = off.open_rw(&path).unwrap();
    let mut b = off.open_rw(&path).unwrap();
    // B stages an edit, then A edits and commits. (Without locks, two transactions
    // staged at once write their new data to the same free space, so only the order in
    // which the loser staged first is safe to test: locks are the guard against that.)
    b.set_attribute("/", "by", &AttrValue::string("b")).unwrap();
    a.set_attribute("/", "by", &AttrValue::string("a")).unwrap();
    a.commit().unwrap();
    let after_a = std::fs::read(&path).unwrap();
    let err = b.commit().unwrap_err();
    assert!(matches!(err, Error::Conflict { .. }), "{err}");
    assert!(err.to_string().contains("conflict.h5"), "{err}");
    assert!(err.to_string().contains("nothing was written"), "{err}");
    // The superblock and everything A committed are intact.
    let now = std::fs::read(&path).unwrap();
    assert_eq!(
        now[..after_a.len().min(now.len())],
        after_a[..after_a.len().min(now.len())]
    );
    let file = off.open(&path).unwrap();
    let by = file
        .root()
        .unwrap()
        .attribute("by")
        .unwrap()
        .strings()
        .unwrap();
    assert_eq!(by, vec!["a".to_owned()]);
    drop(file);

    // A writer whose transaction starts after the change is refused at its first edit.
    let mut c = off.open_rw(&path).unwrap();
    let mut d = off.open_rw(&path).unwrap();
    c.set_attribute("/", "by", &AttrValue::string("c")).unwrap();
    c.commit().unwrap();
    let err = d
        .set_attribute("/", "by", &AttrValue::string("d"))
        .unwrap_err();
    assert!(matches!(err, Error::Conflict { .. }), "{err}");
    // Dropping its transaction must not cut the file C grew.
    d.rollback();
    drop((c, d));
    let file = off.open(&path).unwrap();
    let by = file
        .root()
        .unwrap()
        .attribute("by")
        .unwrap()
        .strings()
        .unwrap();
    assert_eq!(by, vec!["c".to_owned()]);
}
