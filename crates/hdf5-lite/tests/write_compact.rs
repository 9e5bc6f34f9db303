//! Compacting at close: random edit sequences over several read-write sessions (one
//! commit per edit) keep every value, leave no bytes past the end of file, and keep
//! the file within 1.5 times its repacked size. These files are tiny (10–30 KB), so
//! two 4 KiB global heap collections more than the repack (the smallest libhdf5
//! reads) are allowed besides.

// Test helpers outside #[test] functions may unwrap: a failure there is a test failure.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::sync::Arc;

use hdf5_lite::read::{File, Numeric};
use hdf5_lite::repack::repack_into;
use hdf5_lite::write::{AttrValue, DatasetSpec, MemFile, Writer};
use hdf5_lite::RepackOptions;
use proptest::prelude::*;

const N: u64 = 12;

/// What the file should hold: datasets (path → values) and string attributes of the
/// root (name → value).
#[derive(Debug, Default, Clone, PartialEq)]
struct Model {
    data: BTreeMap<String, Vec<f32>>,
    strings: BTreeMap<String, Vec<String>>,
    attrs: BTreeMap<String, String>,
}

#[derive(Debug, Clone)]
enum Edit {
    SetLayer(u8, u32),
    DeleteLayer(u8),
    Block(u8, u8, u32),
    SetStrings(u8, u32),
    DeleteStrings(u8),
    Attr(u8, u32),
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (0..3u8, any::<u32>()).prop_map(|(l, v)| Edit::SetLayer(l, v)),
        (0..3u8).prop_map(Edit::DeleteLayer),
        (0..3u8, 0..3u8, any::<u32>()).prop_map(|(r, c, v)| Edit::Block(r, c, v)),
        (0..3u8, any::<u32>()).prop_map(|(s, v)| Edit::SetStrings(s, v)),
        (0..3u8).prop_map(Edit::DeleteStrings),
        (0..3u8, any::<u32>()).prop_map(|(a, v)| Edit::Attr(a, v)),
    ]
}

fn matrix(seed: u32) -> Vec<f32> {
    (0..N * N)
        .map(|i| ((i as u32).wrapping_mul(seed | 1) % 7) as f32)
        .collect()
}

fn create(storage: Arc<MemFile>, model: &mut Model) {
    let mut w = Writer::create_in(storage).unwrap();
    w.create_group("/layers").unwrap();
    w.create_group("/row_attrs").unwrap();
    let spec = DatasetSpec::new(f32::datatype(), &[N, N])
        .chunks(&[4, 4])
        .deflate(2);
    w.create_dataset("/matrix", &spec).unwrap();
    let m = matrix(1);
    w.write_numbers("/matrix", &[0, 0], &[N, N], &m).unwrap();
    model.data.insert("/matrix".into(), m);
    w.close().unwrap();
}

fn apply(w: &mut Writer, model: &mut Model, e: &Edit) {
    match *e {
        Edit::SetLayer(l, v) => {
            let path = format!("/layers/l{l}");
            if model.data.remove(&path).is_some() {
                w.unlink(&path).unwrap();
            }
            let spec = DatasetSpec::new(f32::datatype(), &[N, N])
                .chunks(&[4, 4])
                .deflate(2);
            w.create_dataset(&path, &spec).unwrap();
            let m = matrix(v);
            w.write_numbers(&path, &[0, 0], &[N, N], &m).unwrap();
            model.data.insert(path, m);
        }
        Edit::DeleteLayer(l) => {
            let path = format!("/layers/l{l}");
            if model.data.remove(&path).is_some() {
                w.unlink(&path).unwrap();
            }
        }
        Edit::Block(r, c, v) => {
            let (r, c) = (u64::from(r) * 4, u64::from(c) * 4);
            let block: Vec<f32> = (0..16).map(|i| (i + v % 100) as f32).collect();
            w.write_numbers("/matrix", &[r, c], &[4, 4], &block)
                .unwrap();
            let m = model.data.get_mut("/matrix").unwrap();
            for i in 0..4 {
                for j in 0..4 {
                    m[((r + i) * N + c + j) as usize] = block[(i * 4 + j) as usize];
                }
            }
        }
        Edit::SetStrings(s, v) => {
            let path = format!("/row_attrs/s{s}");
            if model.strings.remove(&path).is_some() {
                w.unlink(&path).unwrap();
            }
            let spec = DatasetSpec::new(hdf5_lite::write::vlen_utf8(), &[N]);
            w.create_dataset(&path, &spec).unwrap();
            let values: Vec<String> = (0..N).map(|i| format!("name{i}_{v}")).collect();
            let refs: Vec<&str> = values.iter().map(String::as_str).collect();
            w.write_strings(&path, &[0], &[N], &refs).unwrap();
            model.strings.insert(path, values);
        }
        Edit::DeleteStrings(s) => {
            let path = format!("/row_attrs/s{s}");
            if model.strings.remove(&path).is_some() {
                w.unlink(&path).unwrap();
            }
        }
        Edit::Attr(a, v) => {
            let name = format!("a{a}");
            let value = format!("value {v}");
            w.set_attribute("/", &name, &AttrValue::string(&value))
                .unwrap();
            model.attrs.insert(name, value);
        }
    }
}

fn read(bytes: Vec<u8>) -> Model {
    let f = File::from_bytes(bytes).unwrap();
    let mut got = Model::default();
    for (group, strings) in [("/layers", false), ("/row_attrs", true), ("/", false)] {
        for name in f.group(group).unwrap().member_names().unwrap() {
            let path = match group {
                "/" => format!("/{name}"),
                _ => format!("{group}/{name}"),
            };
            if f.dataset(&path).is_err() {
                continue;
            }
            let d = f.dataset(&path).unwrap();
            if strings {
                got.strings.insert(path, d.read_strings().unwrap());
            } else {
                got.data
                    .insert(path, d.read::<f32>().unwrap().into_raw_vec_and_offset().0);
            }
        }
    }
    for a in f.root().unwrap().attributes().unwrap() {
        got.attrs
            .insert(a.name().to_owned(), a.strings().unwrap().join(""));
    }
    got
}

fn repacked_len(bytes: Vec<u8>) -> u64 {
    let src = File::from_bytes(bytes).unwrap();
    let out = MemFile::new();
    let mut w = Writer::create_in(Arc::new(out.clone())).unwrap();
    repack_into(&src, &mut w, &RepackOptions::default()).unwrap();
    w.close().unwrap();
    out.to_bytes().len() as u64
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn sessions_of_edits_keep_values_and_stay_near_their_repacked_size(
        sessions in prop::collection::vec(prop::collection::vec(edit(), 1..10), 1..5)
    ) {
        let mem = MemFile::new();
        let mut model = Model::default();
        create(Arc::new(mem.clone()), &mut model);
        for edits in &sessions {
            let mut w = Writer::open_in(Arc::new(mem.clone())).unwrap();
            for e in edits {
                apply(&mut w, &mut model, e);
                w.commit().unwrap();
            }
            w.close().unwrap();
            let bytes = mem.to_bytes();
            let eof = File::from_bytes(bytes.clone()).unwrap().superblock().eof_address;
            prop_assert_eq!(eof, bytes.len() as u64);
            prop_assert_eq!(&read(bytes.clone()), &model);
            let packed = repacked_len(bytes.clone());
            prop_assert!(
                bytes.len() as f64 <= packed as f64 * 1.5 + 8192.0,
                "{} bytes, repacked {}", bytes.len(), packed
            );
        }
    }
}
