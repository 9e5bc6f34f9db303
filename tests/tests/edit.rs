//! Editing files we didn't write: loompy's and h5py's fixtures in place (`r+`), and the
//! structures we don't write refused with an error that names them, leaving the file
//! byte-for-byte unchanged.

// Test helpers outside #[test] functions may unwrap: a failure there is a test failure.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use hdf5_lite::read::{File, Numeric};
use hdf5_lite::write::{AttrValue, DatasetSpec, MemFile, Writer};
use loom_cli::h5::dump::{dump, Options};
use loom_tests::fixtures_dir;
use serde_json::{json, Value};

fn fixture(name: &str) -> Vec<u8> {
    let path = fixtures_dir().join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn contents(bytes: Vec<u8>) -> Value {
    let file = File::from_bytes(bytes).unwrap();
    let d = dump(&file, Options::default()).unwrap();
    assert!(d.errors.is_empty(), "{:?}", d.errors);
    d.json
}

/// Runs `edit` on a copy of `name`; returns the bytes before and after.
fn edited(
    name: &str,
    edit: impl FnOnce(&mut Writer) -> hdf5_lite::Result<()>,
) -> (Vec<u8>, Vec<u8>) {
    let before = fixture(name);
    let mem = MemFile::from_bytes(before.clone());
    let mut w = Writer::open_in(Arc::new(mem.clone())).unwrap();
    edit(&mut w).unwrap();
    w.close().unwrap();
    (before, mem.to_bytes())
}

/// Expects `edit` to fail with an error mentioning `names`, leaving the bytes unchanged.
fn refused(name: &str, names: &str, edit: impl FnOnce(&mut Writer) -> hdf5_lite::Result<()>) {
    let before = fixture(name);
    let mem = MemFile::from_bytes(before.clone());
    match Writer::open_in(Arc::new(mem.clone())) {
        Err(e) => assert!(e.to_string().contains(names), "{name}: {e}"),
        Ok(mut w) => {
            let err = edit(&mut w).expect_err(name);
            assert!(err.to_string().contains(names), "{name}: {err}");
            w.close().unwrap();
        }
    }
    assert!(
        mem.to_bytes() == before,
        "{name}: a refused edit changed the file"
    );
}

#[test]
fn structures_we_do_not_write_are_refused_and_the_file_is_unchanged() {
    let attr = AttrValue::string("x");
    for (file, names) in [
        ("20_latest_loompy.loom", "superblock version 3"),
        ("21_v108_loompy.loom", "superblock version 2"),
        ("22_v110_loompy.loom", "superblock version 3"),
        (
            "40_feat_dense_attrs_links_latest.h5",
            "superblock version 3",
        ),
        ("48_feat_chunk_indexes_latest.h5", "superblock version 3"),
        ("49_feat_small_btree_k.h5", "superblock version 2"),
        (
            "55_feat_sbv1_small_k_libhdf5_1_10.h5",
            "superblock version 1",
        ),
        ("50_feat_userblock.h5", "userblock of 512 bytes"),
    ] {
        refused(file, names, |w| w.set_attribute("/", "a", &attr));
    }
    // A new-style group (link messages) inside a version 0 file.
    let groups = File::from_bytes(fixture("41_feat_track_order_earliest.h5"))
        .unwrap()
        .root()
        .unwrap()
        .member_names()
        .unwrap();
    let mut saw_new_style = false;
    for g in groups {
        let path = format!("/{g}");
        let bytes = fixture("41_feat_track_order_earliest.h5");
        let mut w = Writer::open_in(Arc::new(MemFile::from_bytes(bytes))).unwrap();
        if let Err(e) = w.set_attribute(&path, "a", &attr) {
            // Its header holds a link info message and link messages; the error names
            // the structure it stopped at.
            let named = ["link info message", "link messages"];
            let Some(n) = named.iter().find(|n| e.to_string().contains(*n)) else {
                panic!("{path}: {e}");
            };
            saw_new_style = true;
            refused("41_feat_track_order_earliest.h5", n, |w| {
                w.set_attribute(&path, "a", &attr)
            });
        }
    }
    assert!(saw_new_style, "fixture 41 should hold a new-style group");
}

#[test]
fn objects_with_several_hard_links_are_refused_and_the_rest_is_editable() {
    let name = "58_feat_hard_links.h5";
    refused(name, "2 hard links", |w| {
        w.set_attribute("/data", "a", &AttrValue::string("x"))
    });
    refused(name, "2 hard links", |w| {
        w.set_attribute("/other/same_sub", "a", &AttrValue::string("x"))
    });
    refused(name, "2 hard links", |w| {
        w.write_numbers("/sub/inner", &[0], &[1], &[9.0f64])
    });
    refused(name, "2 hard links", |w| w.unlink("/other/same_data"));

    let (before, after) = edited(name, |w| w.write_numbers("/single", &[1], &[1], &[80i16]));
    let (before, after) = (contents(before), contents(after));
    assert_eq!(after["members"]["single"]["data"], json!([7, 80, 9]));
    for path in [["data"], ["sub"], ["other"]] {
        assert_eq!(after["members"][path[0]], before["members"][path[0]]);
    }
    let file =
        File::from_bytes(edited(name, |w| w.write_numbers("/single", &[0], &[1], &[1i16])).1)
            .unwrap();
    assert_eq!(
        file.dataset("/data").unwrap().address(),
        file.dataset("/other/same_data").unwrap().address(),
        "both links still reach the same object"
    );
}

#[test]
fn loompy_files_are_edited_in_place() {
    // 01: continuation blocks in every group header.
    let (before, after) = edited("01_loompy_create_dense.loom", |w| {
        let spec = DatasetSpec::new(f32::datatype(), &[100, 70])
            .maxshape(&[Some(100), None])
            .chunks(&[64, 64])
            .deflate(2);
        w.create_dataset("/layers/ours", &spec)?;
        let values: Vec<f32> = (0..7000).map(|i| i as f32).collect();
        w.write_numbers("/layers/ours", &[0, 0], &[100, 70], &values)?;
        w.write_numbers("/matrix", &[99, 69], &[1, 1], &[-1.0f32])?;
        w.set_attribute("/row_attrs", "last_modified", &AttrValue::string("now"))?;
        w.unlink("/row_attrs/Int")
    });
    let (mut before, after) = (contents(before), contents(after));
    assert_eq!(
        after["members"]["layers"]["members"]["ours"]["data"][99][69],
        json!(6999.0)
    );
    assert_eq!(after["members"]["matrix"]["data"][99][69], json!(-1.0));
    assert_eq!(
        after["members"]["row_attrs"]["attributes"]["last_modified"]["data"],
        json!("now")
    );
    // Everything else is as it was.
    let b = before["members"].as_object_mut().unwrap();
    b["matrix"]["data"][99][69] = json!(-1.0);
    b["row_attrs"]["members"]
        .as_object_mut()
        .unwrap()
        .remove("Int");
    b["row_attrs"]["attributes"]["last_modified"]["data"] = json!("now");
    b["layers"]["members"].as_object_mut().unwrap().insert(
        "ours".into(),
        after["members"]["layers"]["members"]["ours"].clone(),
    );
    assert_eq!(before, after);

    // 06: heaps with free lists; 07: a group of 41 members; 53: a 2-level group B-tree.
    for (name, group) in [
        ("06_loompy_deleted.loom", "/row_attrs"),
        ("07_loompy_many_attrs.loom", "/row_attrs"),
        ("53_feat_big_group_v0.h5", "/"),
    ] {
        let (before, after) = edited(name, |w| {
            let dir = group.trim_end_matches('/');
            w.create_dataset(
                &format!("{dir}/zz_added"),
                &DatasetSpec::new(u8::datatype(), &[3]),
            )?;
            w.write_numbers(&format!("{dir}/zz_added"), &[0], &[3], &[1u8, 2, 3])
        });
        let (before_names, after_names) = (names(&before, group), names(&after, group));
        assert_eq!(after_names.len(), before_names.len() + 1, "{name}");
        assert!(after_names.contains(&"zz_added".to_owned()));
        let file = File::from_bytes(after).unwrap();
        let added = file
            .dataset(&format!("{}/zz_added", group.trim_end_matches('/')))
            .unwrap();
        assert_eq!(
            added.read::<u8>().unwrap().into_raw_vec_and_offset().0,
            vec![1, 2, 3]
        );
    }

    // 08: a 2-level chunk B-tree, partly rewritten.
    let (before, after) = edited("08_loompy_many_chunks.loom", |w| {
        w.write_numbers("/matrix", &[0, 0], &[2, 3], &[5u16; 6])
    });
    let (before, after) = (contents(before), contents(after));
    let (mb, ma) = (
        &before["members"]["matrix"]["data"],
        &after["members"]["matrix"]["data"],
    );
    assert_eq!(ma[1][2], json!(5));
    assert_eq!(ma[9], mb[9]);
    assert_eq!(ma[0][6399], mb[0][6399]);
}

fn names(bytes: &[u8], group: &str) -> Vec<String> {
    File::from_bytes(bytes.to_vec())
        .unwrap()
        .group(group)
        .unwrap()
        .member_names()
        .unwrap()
}
