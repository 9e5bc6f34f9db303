//! Attributes too large for a version 1 object header (issue 8): written as dense
//! attribute storage in a version 2 header, read back with identical values, and still
//! editable (add, replace, delete; across sessions) with the space of old copies reused.

// Test helpers outside #[test] functions may unwrap: a failure there is a test failure.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::sync::Arc;

use hdf5_lite::format::messages::{CharSet, Datatype, StringPadding};
use hdf5_lite::read::{File, Numeric};
use hdf5_lite::write::{AttrData, AttrValue, DatasetSpec, MemFile, Writer};
use proptest::prelude::*;

/// A fixed-length ASCII string attribute (what loompy writes for spec 2 globals).
fn fixed(s: &str) -> AttrValue {
    AttrValue {
        datatype: Datatype::FixedString {
            size: s.len().max(1) as u32,
            padding: StringPadding::NullPad,
            charset: CharSet::Ascii,
        },
        shape: Some(Vec::new()),
        data: AttrData::Raw(s.as_bytes().to_vec()),
    }
}

fn long_text(len: usize, seed: u8) -> String {
    (0..len)
        .map(|i| char::from(b'a' + ((i * 7 + usize::from(seed)) % 26) as u8))
        .collect()
}

fn string_of(file: &File, path: &str, name: &str) -> String {
    let a = match file.object(path).unwrap() {
        hdf5_lite::read::Object::Group(g) => g.attribute(name).unwrap(),
        hdf5_lite::read::Object::Dataset(d) => d.attribute(name).unwrap(),
        hdf5_lite::read::Object::Datatype(_) => panic!("{path} is a datatype"),
    };
    a.strings().unwrap().remove(0)
}

#[test]
fn reproducer_100k_and_1m_strings_then_small_ones() {
    let storage = MemFile::new();
    let big = long_text(100 * 1024, 1);
    let huge = long_text(1024 * 1024, 2);
    let mut w = Writer::create_in(Arc::new(storage.clone())).unwrap();
    w.create_dataset("/d", &DatasetSpec::new(i32::datatype(), &[3]))
        .unwrap();
    w.write_numbers("/d", &[0], &[3], &[1, 2, 3]).unwrap();
    w.set_attribute("/", "big", &fixed(&big)).unwrap();
    w.set_attribute("/", "huge", &fixed(&huge)).unwrap();
    w.set_attribute("/d", "big", &fixed(&big)).unwrap();
    w.close().unwrap();

    let file = File::from_bytes(storage.to_bytes()).unwrap();
    assert_eq!(string_of(&file, "/", "big"), big);
    assert_eq!(string_of(&file, "/", "huge"), huge);
    assert_eq!(string_of(&file, "/d", "big"), big);
    assert_eq!(
        *file
            .dataset("/d")
            .unwrap()
            .read::<i32>()
            .unwrap()
            .as_slice()
            .unwrap(),
        [1, 2, 3]
    );

    // A small attribute added afterwards, in a new session, on both objects.
    let mut w = Writer::open_in(Arc::new(storage.clone())).unwrap();
    w.set_attribute("/", "title", &AttrValue::string("small"))
        .unwrap();
    w.set_attribute("/d", "n", &AttrValue::numbers(&[7i64], &[]))
        .unwrap();
    w.close().unwrap();
    let file = File::from_bytes(storage.to_bytes()).unwrap();
    let names: Vec<String> = file
        .root()
        .unwrap()
        .attributes()
        .unwrap()
        .iter()
        .map(|a| a.name().to_owned())
        .collect();
    assert_eq!(names, ["big", "huge", "title"]);
    assert_eq!(string_of(&file, "/", "title"), "small");
    assert_eq!(string_of(&file, "/", "huge"), huge);
    let d = file.dataset("/d").unwrap();
    assert_eq!(d.attribute("n").unwrap().read::<i64>().unwrap()[[]], 7);

    // Replace, delete, and back to a compact header once the large ones are gone.
    let mut w = Writer::open_in(Arc::new(storage.clone())).unwrap();
    w.set_attribute("/", "big", &fixed("now short")).unwrap();
    w.delete_attribute("/", "huge").unwrap();
    w.delete_attribute("/d", "big").unwrap();
    w.close().unwrap();
    let file = File::from_bytes(storage.to_bytes()).unwrap();
    assert_eq!(string_of(&file, "/", "big"), "now short");
    assert!(file.root().unwrap().attribute("huge").is_err());
    assert_eq!(file.dataset("/d").unwrap().attributes().unwrap().len(), 1);
    // Three sessions each wrote a copy of the megabyte (copy-on-write); the space of
    // the dropped ones is reused or cut off, so at most one copy's worth remains.
    assert!(
        storage.to_bytes().len() < 1400 * 1024,
        "{}",
        storage.to_bytes().len()
    );
}

#[test]
fn sessions_editing_a_dense_object_reuse_its_old_space() {
    let storage = MemFile::new();
    let huge = long_text(1024 * 1024, 3);
    let mut w = Writer::create_in(Arc::new(storage.clone())).unwrap();
    w.set_attribute("/", "huge", &fixed(&huge)).unwrap();
    w.close().unwrap();
    for session in 0..6i64 {
        let mut w = Writer::open_in(Arc::new(storage.clone())).unwrap();
        w.set_attribute("/", "session", &AttrValue::numbers(&[session], &[]))
            .unwrap();
        w.close().unwrap();
    }
    let bytes = storage.to_bytes();
    // One live copy, at most one released copy awaiting reuse, and small structures.
    assert!(bytes.len() < 2 * 1024 * 1024 + 64 * 1024, "{}", bytes.len());
    let file = File::from_bytes(bytes).unwrap();
    let root = file.root().unwrap();
    assert_eq!(
        root.attribute("session").unwrap().read::<i64>().unwrap()[[]],
        5
    );
    assert_eq!(string_of(&file, "/", "huge"), huge);
}

#[test]
fn more_attributes_than_fit_a_default_leaf() {
    // 600 attributes: both single leaves grow past libhdf5's 512-byte nodes.
    let storage = MemFile::new();
    let mut w = Writer::create_in(Arc::new(storage.clone())).unwrap();
    w.create_group("/g").unwrap();
    w.set_attribute("/g", "big", &fixed(&long_text(70_000, 4)))
        .unwrap();
    for i in 0..600 {
        w.set_attribute("/g", &format!("a{i}"), &AttrValue::numbers(&[i], &[]))
            .unwrap();
    }
    w.close().unwrap();
    let file = File::from_bytes(storage.to_bytes()).unwrap();
    let g = file.group("/g").unwrap();
    assert_eq!(g.attributes().unwrap().len(), 601);
    assert_eq!(g.attribute("a599").unwrap().read::<i32>().unwrap()[[]], 599);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(12))]

    /// Random attribute sets, some above the version 1 limit, through commits and
    /// reopenings, read back exactly as set.
    #[test]
    fn random_attribute_sets_round_trip(
        steps in prop::collection::vec(
            prop::collection::btree_map(0usize..6, prop::option::of(1usize..70_000), 1..4),
            1..4,
        )
    ) {
        let storage = MemFile::new();
        Writer::create_in(Arc::new(storage.clone())).unwrap().close().unwrap();
        let mut model: BTreeMap<String, String> = BTreeMap::new();
        for (seed, step) in steps.iter().enumerate() {
            let mut w = Writer::open_in(Arc::new(storage.clone())).unwrap();
            for (&n, len) in step {
                let name = format!("attr{n}");
                match len {
                    Some(len) => {
                        let text = long_text(*len, seed as u8);
                        w.set_attribute("/", &name, &fixed(&text)).unwrap();
                        model.insert(name, text);
                    }
                    None => {
                        if model.remove(&name).is_some() {
                            w.delete_attribute("/", &name).unwrap();
                        }
                    }
                }
            }
            w.close().unwrap();
            let file = File::from_bytes(storage.to_bytes()).unwrap();
            let attrs = file.root().unwrap().attributes().unwrap();
            let got: BTreeMap<String, String> = attrs
                .iter()
                .map(|a| {
                    let s = a.raw().to_vec();
                    (a.name().to_owned(), String::from_utf8(s).unwrap())
                })
                .collect();
            prop_assert_eq!(&got, &model);
        }
    }
}
