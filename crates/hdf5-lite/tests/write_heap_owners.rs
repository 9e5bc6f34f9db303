//! Global heap collections that nothing references any more are freed within the
//! session (each commit that writes strings opens a 4 KiB collection), and collections
//! still referenced are never freed, whatever path reaches their owners.

#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use hdf5_lite::read::File;
use hdf5_lite::write::{vlen_utf8, AttrValue, DatasetSpec, MemFile, StorageMut, Writer};
use hdf5_lite::Storage;

fn strings(w: &mut Writer, path: &str, tag: &str) {
    let values: Vec<String> = (0..20).map(|i| format!("{tag}_{i}")).collect();
    let refs: Vec<&str> = values.iter().map(String::as_str).collect();
    let spec = DatasetSpec::new(vlen_utf8(), &[20])
        .chunks(&[20])
        .deflate(2);
    w.create_dataset(path, &spec).unwrap();
    w.write_strings(path, &[0], &[20], &refs).unwrap();
}

fn read(mem: &MemFile, path: &str) -> Vec<String> {
    let storage: Arc<dyn Storage> = Arc::new(mem.clone());
    let f = File::from_storage(storage).unwrap();
    f.dataset(path).unwrap().read_strings().unwrap()
}

fn stamp(w: &mut Writer, path: &str, k: usize) {
    w.set_attribute(
        path,
        "last_modified",
        &AttrValue::string(&format!("stamp {k}")),
    )
    .unwrap();
}

#[test]
fn collections_that_die_within_a_session_are_reused() {
    let mem = MemFile::new();
    let storage: Arc<dyn StorageMut> = Arc::new(mem.clone());
    let mut w = Writer::create_in(storage).unwrap();
    w.create_group("/row_attrs").unwrap();
    strings(&mut w, "/row_attrs/Gene", "g0");
    w.commit().unwrap();
    let mut sizes = Vec::new();
    for k in 1..40 {
        // Each commit: a replaced dataset of strings and a new stamp, in a new collection.
        w.unlink("/row_attrs/Gene").unwrap();
        strings(&mut w, "/row_attrs/Gene", &format!("g{k}"));
        stamp(&mut w, "/", k);
        w.commit().unwrap();
        sizes.push(mem.to_bytes().len());
    }
    w.close().unwrap();
    // One live collection and one dying: the file stops growing after two commits
    // (without freeing it would grow by a collection per commit).
    let (lo, hi) = (sizes.iter().min().unwrap(), sizes.iter().max().unwrap());
    assert!(hi - lo < 1024, "{sizes:?}");
    assert!(*hi < 5 * 4096, "{sizes:?}");
    assert_eq!(read(&mem, "/row_attrs/Gene")[19], "g39_19");
}

#[test]
fn referenced_collections_are_kept_through_renames_and_reopens() {
    let mem = MemFile::new();
    let storage: Arc<dyn StorageMut> = Arc::new(mem.clone());
    let mut w = Writer::create_in(storage.clone()).unwrap();
    w.create_group("/g").unwrap();
    strings(&mut w, "/g/kept", "kept");
    stamp(&mut w, "/g/kept", 0);
    w.close().unwrap();
    for session in 0..3 {
        let mut w = Writer::open_in(storage.clone()).unwrap();
        // The stamp that shares the collection with the strings is replaced.
        let at = if session == 0 { "/g/kept" } else { "/g/moved" };
        stamp(&mut w, at, session + 1);
        w.commit().unwrap();
        if session == 0 {
            // /g/kept moves; a new object at the old path is then unlinked.
            w.rename("/g/kept", "/g/moved").unwrap();
            w.commit().unwrap();
            strings(&mut w, "/g/kept", "other");
            w.commit().unwrap();
            w.unlink("/g/kept").unwrap();
            w.commit().unwrap();
        }
        for k in 0..10 {
            w.create_group(&format!("/s{session}_{k}")).unwrap();
            strings(&mut w, &format!("/s{session}_{k}/d"), "filler");
            w.commit().unwrap();
        }
        w.close().unwrap();
    }
    let kept = read(&mem, "/g/moved");
    assert_eq!(kept.len(), 20);
    assert_eq!(kept[7], "kept_7");
    assert_eq!(read(&mem, "/s2_9/d")[3], "filler_3");
}
