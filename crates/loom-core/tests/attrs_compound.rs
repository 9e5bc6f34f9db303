//! Compound attributes written through the managers (pySCENIC's `Regulons`, SCope's
//! `Embeddings_X`): stored as loompy/h5py store a numpy structured array, read back bit for
//! bit, and carried through permute and add_loom.

// Test helpers outside #[test] functions may unwrap: a failure there is a test failure.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::sync::Arc;

use hdf5_lite::format::messages::{CharSet, Datatype, StringPadding};
use hdf5_lite::read::{File, Numeric};
use hdf5_lite::write::{DatasetSpec, MemFile, Writer};
use loom_core::ops::AddLoomOptions;
use loom_core::{connect, new_in, AttrValues, Axis, Dtype, LoomConnection, Mode};
use ndarray::{Array1, Array2};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures")
        .join(name)
}

/// A fresh directory under cargo's target/tmp for one test.
fn scratch_dir(tag: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("compound-{tag}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// An empty n×m loom file in memory.
fn empty(n: u64, m: u64) -> (Arc<MemFile>, LoomConnection) {
    let mem = Arc::new(MemFile::new());
    new_in(mem.clone()).unwrap().close().unwrap();
    let mut w = Writer::open_in(mem.clone()).unwrap();
    w.create_dataset("/matrix", &DatasetSpec::new(f32::datatype(), &[n, m]))
        .unwrap();
    w.close().unwrap();
    let ds = LoomConnection::open_in(mem.clone(), Mode::ReadWrite, true).unwrap();
    (mem, ds)
}

/// pySCENIC's regulon table for `n` genes: an int64 0/1 field per regulon.
fn regulons(n: usize, k: usize) -> AttrValues {
    AttrValues::compound((0..k).map(|j| {
        let v: Vec<i64> = (0..n).map(|i| ((i * 7 + j * 3) % 5 == 0) as i64).collect();
        (format!("TF{j}(+)"), v)
    }))
}

/// Floats covering odd bit patterns: NaN with payload, -0.0, subnormal, infinities.
fn odd_floats(m: usize, seed: u64) -> Vec<f64> {
    let odd = [
        f64::from_bits(0x7ff8_0000_dead_beef),
        -0.0,
        f64::from_bits(1),
        f64::INFINITY,
        f64::NEG_INFINITY,
    ];
    (0..m)
        .map(|i| {
            if i % 4 == 0 {
                odd[(i / 4) % odd.len()]
            } else {
                (i as f64 + seed as f64) / 3.0
            }
        })
        .collect()
}

fn bits(v: &AttrValues) -> Vec<u64> {
    match v {
        AttrValues::Float { values, .. } => values.iter().map(|x| x.to_bits()).collect(),
        other => panic!("not floats: {other:?}"),
    }
}

#[test]
fn regulons_are_stored_as_pyscenic_stores_them() {
    let (mem, mut ds) = empty(50, 40);
    let reg = regulons(50, 12);
    ds.ra_mut().set("Regulons", reg.clone()).unwrap();
    assert_eq!(ds.ra().get("Regulons").unwrap(), reg);
    let info = ds.ra().info("Regulons").unwrap();
    assert_eq!(info.dtype, Dtype::Compound);
    assert_eq!(info.shape, vec![50]);
    // The same HDF5 type as the fixture pySCENIC's recipe wrote through loompy/h5py,
    // chunked and gzip-compressed as loompy writes attributes.
    let theirs = File::open(fixture("10_pyscenic_regulons.loom")).unwrap();
    let want = theirs.dataset("/row_attrs/Regulons").unwrap();
    assert_eq!(&info.datatype, want.datatype());
    ds.close().unwrap();
    let ours = File::from_bytes(mem.to_bytes()).unwrap();
    let d = ours.dataset("/row_attrs/Regulons").unwrap();
    assert_eq!(d.chunks(), want.chunks());
    assert_eq!(d.filters(), want.filters());
    assert_eq!(d.read_field::<i64>("TF3(+)").unwrap().len(), 50);
}

#[test]
fn embeddings_round_trip_bit_for_bit() {
    let (_mem, mut ds) = empty(5, 40);
    for (name, seed, wide) in [("Embeddings_X", 1, true), ("Embeddings_Y", 2, false)] {
        let fields: Vec<(String, AttrValues)> = ["-1", "1", "2"]
            .iter()
            .enumerate()
            .map(|(j, f)| {
                let v = odd_floats(40, seed + j as u64);
                let v = if wide {
                    AttrValues::from(v)
                } else {
                    AttrValues::from(v.iter().map(|&x| x as f32).collect::<Vec<_>>())
                };
                ((*f).to_owned(), v)
            })
            .collect();
        let value = AttrValues::Compound(fields.clone());
        ds.ca_mut().set(name, value.clone()).unwrap();
        let got = ds.ca().get(name).unwrap();
        for (f, want) in &fields {
            let field = got.field(f).unwrap();
            assert_eq!(field.dtype(), want.dtype(), "{name}[{f}]");
            assert_eq!(bits(field), bits(want), "{name}[{f}]");
        }
    }
}

#[test]
fn string_and_array_fields_round_trip() {
    let (_mem, mut ds) = empty(3, 4);
    let pos = Array2::from_shape_fn((3, 2), |(i, j)| (i * 10 + j) as f32);
    let value = AttrValues::compound([
        ("name", AttrValues::from(vec!["a", "naïve", ""])),
        ("flag", AttrValues::from(vec![true, false, true])),
        ("pos", AttrValues::from(pos.clone())),
        ("n", AttrValues::from(vec![-1i16, 0, i16::MAX])),
    ]);
    ds.ra_mut().set("meta", value).unwrap();
    let got = ds.ra().get("meta").unwrap();
    assert_eq!(got.shape(), &[3]);
    assert_eq!(
        got.field("name").unwrap(),
        &AttrValues::from(vec!["a", "naïve", ""])
    );
    // bools are stored as uint8, as loompy stores them
    assert_eq!(
        got.field("flag").unwrap(),
        &AttrValues::from(vec![1u8, 0, 1])
    );
    assert_eq!(got.field("pos").unwrap(), &AttrValues::from(pos));
    assert_eq!(
        got.field("n").unwrap(),
        &AttrValues::from(vec![-1i16, 0, i16::MAX])
    );
    let Datatype::Compound { fields, size } = ds.ra().info("meta").unwrap().datatype else {
        panic!("not a compound");
    };
    assert_eq!(size, 6 + 1 + 8 + 2);
    assert_eq!(
        fields[0].datatype,
        Datatype::FixedString {
            size: 6,
            padding: StringPadding::NullPad,
            charset: CharSet::Utf8
        }
    );
    assert!(matches!(&fields[2].datatype, Datatype::Array { dims, .. } if dims == &[2]));
}

#[test]
fn global_compounds_round_trip_in_both_layouts() {
    let point = AttrValues::compound([("x", 1.5f64), ("y", -2.0f64)]);
    let table = AttrValues::compound([
        ("id", AttrValues::from(vec![1i32, 2])),
        ("w", AttrValues::from(vec![0.5f32, 0.25])),
    ]);
    let (_mem, mut ds) = empty(2, 2);
    ds.attrs_mut().set("point", point.clone()).unwrap();
    ds.attrs_mut().set("table", table.clone()).unwrap();
    assert_eq!(ds.attrs().get("point").unwrap(), point);
    assert_eq!(ds.attrs().get("table").unwrap(), table);
    // loompy 2 files keep globals as HDF5 attributes on the root group.
    let dir = scratch_dir("legacy");
    let path = dir.join("legacy.loom");
    std::fs::copy(fixture("30_emul_loompy2_fixedlen.loom"), &path).unwrap();
    let mut ds = connect(&path, Mode::ReadWrite).unwrap();
    ds.attrs_mut().set("table", table.clone()).unwrap();
    ds.close().unwrap();
    let f = File::open(&path).unwrap();
    assert!(f.root().unwrap().attribute("table").is_ok());
    let ds = connect(&path, Mode::Read).unwrap();
    assert_eq!(ds.attrs().get("table").unwrap(), table);
    drop(ds);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn bad_compounds_are_refused_and_leave_the_file_alone() {
    let (mem, mut ds) = empty(3, 2);
    let before = mem.to_bytes();
    let cases = [
        AttrValues::Compound(Vec::new()),
        AttrValues::compound([("a", vec![1i64, 2, 3]), ("a", vec![1i64, 2, 3])]),
        AttrValues::compound([("a", vec![1i64, 2, 3]), ("b", vec![1i64, 2])]),
        AttrValues::compound([("a", AttrValues::compound([("x", vec![1i64, 2, 3])]))]),
        AttrValues::compound([("a", vec![1i64, 2])]),
    ];
    for v in cases {
        assert!(ds.ra_mut().set("bad", v.clone()).is_err(), "{v:?}");
    }
    ds.close().unwrap();
    assert_eq!(mem.to_bytes(), before);
}

/// loompy's validator refuses compound dtypes, so pySCENIC and SCope open their files
/// without validation; so do these (connect would refuse them, as loompy.connect does).
fn open_unvalidated(path: &Path, mode: Mode) -> LoomConnection {
    LoomConnection::open(path, mode, false).unwrap()
}

#[test]
fn compounds_follow_permute_and_add_loom() {
    let dir = scratch_dir("ops");
    let a = dir.join("a.loom");
    std::fs::copy(fixture("10_pyscenic_regulons.loom"), &a).unwrap();
    assert!(
        connect(&a, Mode::Read).is_err(),
        "loompy's validator refuses compounds"
    );
    let mut ds = open_unvalidated(&a, Mode::ReadWrite);
    let emb = AttrValues::compound([
        ("_X", Array1::from_iter((0..40).map(|i| i as f32 / 8.0))),
        ("_Y", Array1::from_iter((0..40).map(|i| -(i as f32)))),
    ]);
    ds.ca_mut().set("Embedding", emb.clone()).unwrap();
    let before_reg = ds.ra().get("Regulons").unwrap();
    let before_auc = ds.ca().get("RegulonsAUC").unwrap();

    // permute the columns: every field of every compound follows.
    let order: Vec<usize> = (0..40).map(|i| (i * 7) % 40).collect();
    ds.permute(&order, Axis::Cols).unwrap();
    assert_eq!(ds.ca().get("Embedding").unwrap(), emb.take(&order).unwrap());
    assert_eq!(
        ds.ca().get("RegulonsAUC").unwrap(),
        before_auc.take(&order).unwrap()
    );
    assert_eq!(ds.ra().get("Regulons").unwrap(), before_reg);
    // and the rows: the row compound follows.
    let rows: Vec<usize> = (0..50).rev().collect();
    ds.permute(&rows, Axis::Rows).unwrap();
    assert_eq!(
        ds.ra().get("Regulons").unwrap(),
        before_reg.take(&rows).unwrap()
    );
    ds.permute(&rows, Axis::Rows).unwrap();
    ds.close().unwrap();

    // add_loom a copy of itself: column compounds are concatenated field by field.
    let b = dir.join("b.loom");
    std::fs::copy(&a, &b).unwrap();
    let mut ds = open_unvalidated(&a, Mode::ReadWrite);
    let other = open_unvalidated(&b, Mode::Read);
    let opts = AddLoomOptions {
        key: Some("Gene".into()),
        ..AddLoomOptions::default()
    };
    ds.add_loom_from(&other, &opts).unwrap();
    let emb_p = emb.take(&order).unwrap();
    let auc_p = before_auc.take(&order).unwrap();
    let twice = AttrValues::concat(&[emb_p.clone(), emb_p]).unwrap();
    assert_eq!(ds.ca().get("Embedding").unwrap(), twice);
    let auc2 = AttrValues::concat(&[auc_p.clone(), auc_p]).unwrap();
    assert_eq!(ds.ca().get("RegulonsAUC").unwrap(), auc2);
    assert_eq!(ds.ra().get("Regulons").unwrap(), before_reg);
    assert_eq!(ds.shape(), (50, 80));
    drop(other);
    ds.close().unwrap();
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn add_columns_appends_and_fills_compounds_field_by_field() {
    use loom_core::ops::FillValues;
    use loom_core::LayerInput;
    let mut ds = new_in(Arc::new(MemFile::new())).unwrap();
    let genes = [("Gene", AttrValues::from(vec!["a", "b"]))];
    let block = Array2::from_shape_fn((2, 2), |(i, j)| (i + j) as f32);
    let emb = |x: f32| AttrValues::compound([("_X", vec![x, x + 1.0]), ("_Y", vec![-x, -x])]);
    let cells = [("Embedding", emb(1.0)), ("CellID", vec!["c0", "c1"].into())];
    ds.add_columns(
        &[("", LayerInput::from(&block))],
        &cells,
        Some(&genes),
        &FillValues::None,
    )
    .unwrap();
    // Given again: joined field by field.
    let cells = [("Embedding", emb(5.0)), ("CellID", vec!["c2", "c3"].into())];
    ds.add_columns(
        &[("", LayerInput::from(&block))],
        &cells,
        None,
        &FillValues::None,
    )
    .unwrap();
    let want = AttrValues::compound([
        ("_X", vec![1.0f32, 2.0, 5.0, 6.0]),
        ("_Y", vec![-1.0, -1.0, -5.0, -5.0]),
    ]);
    assert_eq!(ds.ca().get("Embedding").unwrap(), want);
    // Not given, fill "auto": each field gets its zero.
    let cells = [("CellID", AttrValues::from(vec!["c4", "c5"]))];
    ds.add_columns(
        &[("", LayerInput::from(&block))],
        &cells,
        None,
        &FillValues::Auto,
    )
    .unwrap();
    let got = ds.ca().get("Embedding").unwrap();
    assert_eq!(
        got.field("_X").unwrap(),
        &AttrValues::from(vec![1.0f32, 2.0, 5.0, 6.0, 0.0, 0.0])
    );
    assert_eq!(got.field("_Y").unwrap().dtype(), Dtype::Float32);
    // Different fields cannot be joined.
    let other = AttrValues::compound([("_Z", vec![0.0f32, 0.0])]);
    let cells = [("Embedding", other), ("CellID", vec!["c6", "c7"].into())];
    let err = ds.add_columns(
        &[("", LayerInput::from(&block))],
        &cells,
        None,
        &FillValues::None,
    );
    assert!(err.is_err());
    assert_eq!(ds.shape(), (2, 6));
}
