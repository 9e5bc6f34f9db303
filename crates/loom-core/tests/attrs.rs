//! Row, column and global attributes written through the managers: set/get/delete round
//! trips with loompy's error messages, timestamps, the spec 2 and spec 3 layouts, the
//! datatypes read and refused, chunk shapes and value conversions.

#![allow(clippy::unwrap_used)]

use std::path::PathBuf;
use std::sync::Arc;

use hdf5_lite::format::messages::Datatype;
use hdf5_lite::read::Numeric;
use hdf5_lite::write::{DatasetSpec, MemFile, Writer};
use loom_core::{guess_chunk, new_in, AttrValues, Axis, Dtype, LoomConnection, LoomError, Mode};
use ndarray::{array, ArrayD, IxDyn};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures")
        .join(name)
}
fn mem_loom(n: u64, m: u64) -> (Arc<MemFile>, LoomConnection) {
    let mem = Arc::new(MemFile::new());
    new_in(mem.clone()).unwrap().close().unwrap();
    let mut w = Writer::open_in(mem.clone()).unwrap();
    w.create_dataset("/matrix", &DatasetSpec::new(f32::datatype(), &[n, m]))
        .unwrap();
    w.close().unwrap();
    let ds = LoomConnection::open_in(mem.clone(), Mode::ReadWrite, true).unwrap();
    (mem, ds)
}

fn invalid(e: LoomError) -> String {
    match e {
        LoomError::InvalidInput(s) => s,
        other => panic!("not InvalidInput: {other:?}"),
    }
}

#[test]
fn set_get_delete_round_trips() {
    let (mem, mut ds) = mem_loom(4, 3);
    ds.ra_mut()
        .set("Gene", vec!["α", "Åland_ß", "a&amp;b", ""])
        .unwrap();
    ds.ra_mut().set("I32", vec![1i32, -2, 3, 4]).unwrap();
    ds.ra_mut().set("U16", vec![1u16, 2, 3, 65535]).unwrap();
    ds.ra_mut().set("F", array![0.5f32, 1.5, 2.5, 3.5]).unwrap();
    ds.ra_mut().set("B", vec![true, false, true, true]).unwrap();
    ds.ca_mut()
        .set("PCA", array![[1.0f64, 2.0], [3.0, 4.0], [5.0, 6.0]])
        .unwrap();
    ds.ca_mut().set("X", vec![7.0f64, 8.0, 9.0]).unwrap();
    ds.ca_mut().set("Y", vec![1.0f64, 2.0, 3.0]).unwrap();

    // Reopen from the bytes: everything was committed.
    drop(ds);
    let ds = LoomConnection::open_in(mem.clone(), Mode::Read, true).unwrap();
    assert_eq!(ds.ra().keys(), ["B", "F", "Gene", "I32", "U16"]);
    let genes = ds.ra().get("Gene").unwrap();
    assert_eq!(
        genes.as_strings().unwrap().iter().collect::<Vec<_>>(),
        ["α", "Åland_ß", "a&amp;b", ""]
    );
    assert_eq!(
        ds.ra().get("I32").unwrap(),
        AttrValues::from(vec![1i32, -2, 3, 4])
    );
    assert_eq!(
        ds.ra().get("U16").unwrap(),
        AttrValues::from(vec![1u16, 2, 3, 65535])
    );
    assert_eq!(
        ds.ra().get("F").unwrap(),
        AttrValues::from(vec![0.5f32, 1.5, 2.5, 3.5])
    );
    // bool is stored as uint8, as loompy does.
    assert_eq!(
        ds.ra().get("B").unwrap(),
        AttrValues::from(vec![1u8, 0, 1, 1])
    );
    assert_eq!(ds.ca().get("PCA").unwrap().shape(), [3, 2]);
    // Layout: guess_chunk, gzip 2, maxshape (n,) / (n, None), vlen UTF-8 strings.
    let d = ds.hdf5().dataset("/ca_never").err();
    assert!(d.is_some());
    let pca = ds.hdf5().dataset("/col_attrs/PCA").unwrap();
    assert_eq!(pca.maxshape(), [Some(3), None]);
    assert_eq!(pca.chunks(), Some(&[3u64, 2][..]));
    assert!(!pca.filters().is_empty());
    let gene = ds.hdf5().dataset("/row_attrs/Gene").unwrap();
    assert!(matches!(gene.datatype(), Datatype::VarLenString { .. }));
    assert_eq!(gene.maxshape(), [Some(4)]);

    // Stacking.
    let xy = ds.ca().get_many(&["nope", "X", "Y"]).unwrap();
    assert_eq!(
        xy,
        AttrValues::from(array![[7.0f64, 1.0], [8.0, 2.0], [9.0, 3.0]])
    );
    assert_eq!(
        ds.ca().get_many(&["X", "nope"]).unwrap(),
        ds.ca().get("X").unwrap()
    );
    assert_eq!(
        ds.ca().get_many(&["X", "Y", "PCA"]).unwrap().shape(),
        [3, 4]
    );
    assert_eq!(
        invalid(ds.ra().get_many(&["I32", "F"]).unwrap_err()),
        "Cannot stack attributes of different types (float32 and int32)"
    );
    assert!(matches!(
        ds.ra().get_many(&["a", "b"]),
        Err(LoomError::Missing { .. })
    ));

    // Delete, overwrite with another dtype, the older API.
    let mut ds = LoomConnection::open_in(mem, Mode::ReadWrite, true).unwrap();
    ds.ra_mut().delete("Gene").unwrap();
    ds.ra_mut().delete("Gene").unwrap(); // missing: ignored, as loompy
    assert!(!ds.ra().contains("Gene"));
    ds.set_attr("I32", vec![1.5f64, 2.0, 3.0, 4.0], Axis::Rows, None)
        .unwrap();
    assert_eq!(ds.ra().get("I32").unwrap().dtype(), Dtype::Float64);
    ds.set_attr("C", vec![1.9f64, 2.0, 3.0], Axis::Cols, Some(Dtype::Int16))
        .unwrap();
    assert_eq!(
        ds.ca().get("C").unwrap(),
        AttrValues::from(vec![1i16, 2, 3])
    );
    ds.delete_attr("C", Axis::Cols).unwrap();
    assert!(!ds.ca().contains("C"));
    assert_eq!(
        invalid(Axis::try_from(2).unwrap_err()),
        "Axis must be 0 or 1"
    );
}

#[test]
fn set_errors_are_loompys() {
    let (mem, mut ds) = mem_loom(4, 3);
    assert_eq!(
        invalid(ds.ra_mut().set("x", vec![1i64, 2, 3]).unwrap_err()),
        "Attribute 'x' must have exactly 4 values but 3 were given"
    );
    assert_eq!(
        invalid(ds.ra_mut().set("a/b", vec![1i64; 4]).unwrap_err()),
        "Attribute name cannot contain slash (/)"
    );
    let cube = ArrayD::<f64>::zeros(IxDyn(&[4, 2, 2]));
    assert_eq!(
        invalid(ds.ra_mut().set("x", cube).unwrap_err()),
        "'maxshape' must have same rank as dataset shape"
    );
    assert!(ds.ra_mut().set("x", 5i64).is_err());
    assert!(matches!(
        ds.ra().get("nope"),
        Err(LoomError::Missing {
            kind: "row attribute",
            ..
        })
    ));
    assert_eq!(
        invalid(
            ds.ra()
                .get_or("nope", AttrValues::from(vec![1i64, 2, 3]))
                .unwrap_err()
        ),
        "Default must be an np.ndarray with exactly 4 values but 3 were given"
    );
    assert_eq!(
        invalid(ds.ra().get_or("nope", AttrValues::from(1i64)).unwrap_err()),
        "Default must be an np.ndarray with exactly 4 values"
    );
    let d = AttrValues::from(vec![1i64, 2, 3, 4]);
    assert_eq!(ds.ra().get_or("nope", d.clone()).unwrap(), d);
    // Nothing was written by the failures.
    assert!(ds.ra().is_empty());
    drop(ds);
    let mut ro = LoomConnection::open_in(mem, Mode::Read, true).unwrap();
    assert!(matches!(
        ro.ra_mut().set("x", vec![1i64; 4]),
        Err(LoomError::ReadOnly(_))
    ));
    assert!(matches!(
        ro.attrs_mut().set("x", 1i64),
        Err(LoomError::ReadOnly(_))
    ));
}

#[test]
fn empty_matrix_accepts_any_length() {
    let mem = Arc::new(MemFile::new());
    let mut ds = new_in(mem).unwrap();
    ds.ca_mut().set("anything", vec![1i64, 2]).unwrap();
    assert_eq!(
        ds.ca().get("anything").unwrap(),
        AttrValues::from(vec![1i64, 2])
    ); // Empty values (h5py reads these files back: chunks (1,), maxshape (0,)).
    ds.ra_mut().set("empty", Vec::<f64>::new()).unwrap();
    ds.ra_mut().set("estr", Vec::<String>::new()).unwrap();
    ds.attrs_mut().set("gempty", Vec::<&str>::new()).unwrap();
    ds.attrs_mut().set("gs", "").unwrap();
    assert_eq!(
        ds.ra().get("empty").unwrap(),
        AttrValues::from(Vec::<f64>::new())
    );
    assert_eq!(
        ds.ra().get("estr").unwrap(),
        AttrValues::from(Vec::<String>::new())
    );
    assert_eq!(
        ds.attrs().get("gempty").unwrap(),
        AttrValues::from(Vec::<String>::new())
    );
    assert_eq!(ds.attrs().get("gs").unwrap().as_str(), Some(""));
}

#[test]
fn timestamps_change() {
    let (_mem, mut ds) = mem_loom(2, 2);
    let before = ds.last_modified();
    std::thread::sleep(std::time::Duration::from_millis(2));
    let t0 = loom_core::timestamp::timestamp();
    std::thread::sleep(std::time::Duration::from_millis(2));
    ds.ra_mut().set("A", vec![1i64, 2]).unwrap();
    let a = ds.ra().last_modified(Some("A"));
    assert!(a > t0 && a.len() == 23);
    assert_eq!(ds.ra().last_modified(None), a);
    assert_eq!(ds.last_modified(), a);
    assert!(ds.last_modified() > before || before > t0);
    let changes = ds.get_changes_since(&t0);
    assert_eq!(changes.row_attrs, ["A"]);
    assert!(changes.col_attrs.is_empty());
    assert_eq!(ds.get_changes_since(&a), loom_core::Changes::default());
    std::thread::sleep(std::time::Duration::from_millis(2));
    ds.ra_mut().set("A", vec![3i64, 4]).unwrap();
    assert!(ds.ra().last_modified(Some("A")) > a);
}

#[test]
fn global_attributes_spec3() {
    let mem = Arc::new(MemFile::new());
    let mut ds = new_in(mem.clone()).unwrap();
    let mut g = ds.attrs_mut();
    g.set("title", "Café α").unwrap();
    g.set("n", 7i64).unwrap();
    g.set("f", 2.5f32).unwrap();
    g.set("flag", true).unwrap();
    g.set("vec", vec![1i32, 2, 3]).unwrap();
    g.set("names", vec!["a", "β", "c"]).unwrap();
    assert_eq!(
        invalid(g.set("a/b", 1i64).unwrap_err()),
        "Attribute name cannot contain slash (/)"
    );
    g.set("n", "now a string").unwrap();
    drop(ds);
    // No main matrix: open without validation.
    let mut ds = LoomConnection::open_in(mem, Mode::ReadWrite, false).unwrap();
    let g = ds.attrs();
    assert_eq!(
        g.keys(),
        [
            "CreationDate",
            "LOOM_SPEC_VERSION",
            "f",
            "flag",
            "n",
            "names",
            "title",
            "vec"
        ]
    );
    assert_eq!(g.get("title").unwrap().as_str(), Some("Café α"));
    assert_eq!(g.get("n").unwrap().as_str(), Some("now a string"));
    assert_eq!(g.get("f").unwrap(), AttrValues::from(2.5f32));
    assert_eq!(g.get("flag").unwrap(), AttrValues::from(1u8));
    assert_eq!(g.get("vec").unwrap(), AttrValues::from(vec![1i32, 2, 3]));
    assert_eq!(
        g.get("names").unwrap(),
        AttrValues::from(vec!["a", "β", "c"])
    );
    let d = ds.hdf5().dataset("/attrs/title").unwrap();
    assert!(d.shape().is_empty() && d.chunks().is_none());
    ds.attrs_mut().delete("vec").unwrap();
    assert!(!ds.attrs().contains("vec"));
    assert!(matches!(
        ds.attrs_mut().delete("vec"),
        Err(LoomError::Missing { .. })
    ));
}

#[test]
fn spec2_files_stay_spec2() {
    let bytes = std::fs::read(fixture("30_emul_loompy2_fixedlen.loom")).unwrap();
    let mem = Arc::new(MemFile::from_bytes(bytes));
    let mut ds = LoomConnection::open_in(mem.clone(), Mode::ReadWrite, true).unwrap();
    ds.ca_mut().set("Name", vec!["é".to_owned(); 30]).unwrap();
    ds.attrs_mut().set("title", "ü text").unwrap();
    ds.attrs_mut().set("x", 1.5f64).unwrap();
    drop(ds);
    let ds = LoomConnection::open_in(mem, Mode::Read, true).unwrap();
    assert_eq!(ds.spec_version(), "2.0.1");
    assert!(ds.attrs().is_legacy_layout());
    let d = ds.hdf5().dataset("/col_attrs/Name").unwrap();
    assert!(matches!(
        d.datatype(),
        Datatype::FixedString { size: 6, .. }
    ));
    assert_eq!(d.read_strings().unwrap()[0], "&#233;");
    assert_eq!(ds.ca().get("Name").unwrap().as_strings().unwrap()[0], "é");
    let root = ds.hdf5().root().unwrap();
    assert_eq!(
        root.attribute("title").unwrap().strings().unwrap(),
        ["&#252; text"]
    );
    assert_eq!(ds.attrs().get("title").unwrap().as_str(), Some("ü text"));
    assert_eq!(ds.attrs().get("x").unwrap(), AttrValues::from(1.5f64));
}

#[test]
fn guess_chunk_matches_h5py() {
    assert_eq!(guess_chunk(&[30000], 8), [1875]);
    assert_eq!(guess_chunk(&[30000], 1), [7500]);
    assert_eq!(guess_chunk(&[30000, 50], 4), [1875, 4]);
    assert_eq!(guess_chunk(&[200], 8), [200]);
    assert_eq!(guess_chunk(&[200, 3], 8), [200, 3]);
}
#[test]
fn bool_enums_and_unsupported_types() {
    use hdf5_lite::format::messages::{CompoundField, EnumMember};
    let (mem, ds) = mem_loom(2, 2);
    drop(ds);
    let i8t = i8::datatype();
    let mut w = Writer::open_in(mem.clone()).unwrap();
    // h5py's bool: an enum FALSE=0, TRUE=1 over int8.
    let bool_t = Datatype::Enum {
        base: Box::new(i8t.clone()),
        members: vec![
            EnumMember {
                name: "FALSE".into(),
                value: vec![0],
            },
            EnumMember {
                name: "TRUE".into(),
                value: vec![1],
            },
        ],
    };
    w.create_dataset("/row_attrs/Flag", &DatasetSpec::new(bool_t, &[2]))
        .unwrap();
    w.write_raw(
        "/row_attrs/Flag",
        &hdf5_lite::read::Hyperslab::all(&[2]),
        &[1, 0],
    )
    .unwrap();
    let opaque = Datatype::Opaque {
        size: 1,
        tag: "blob".into(),
    };
    w.create_dataset("/row_attrs/Blob", &DatasetSpec::new(opaque, &[2]))
        .unwrap();
    let compound = Datatype::Compound {
        size: 17,
        fields: vec![
            CompoundField {
                name: "n".into(),
                offset: 0,
                datatype: i8t,
            },
            CompoundField {
                name: "s".into(),
                offset: 1,
                datatype: hdf5_lite::write::vlen_utf8(),
            },
        ],
    };
    w.create_dataset("/col_attrs/Mixed", &DatasetSpec::new(compound, &[2]))
        .unwrap();
    w.close().unwrap();
    let ds = LoomConnection::open_in(mem, Mode::Read, false).unwrap();
    assert_eq!(
        ds.ra().get("Flag").unwrap(),
        AttrValues::from(vec![true, false])
    );
    let e = invalid(ds.ra().get("Blob").unwrap_err());
    assert!(e.contains("/row_attrs/Blob") && e.contains("Opaque"), "{e}");
    let e = invalid(ds.ca().get("Mixed").unwrap_err());
    assert!(e.contains("/col_attrs/Mixed") && e.contains("\"s\""), "{e}");
    // Compounds read from pySCENIC's file are written back as they were.
    let p = LoomConnection::open(fixture("10_pyscenic_regulons.loom"), Mode::Read, false).unwrap();
    let regulons = p.ra().get("Regulons").unwrap();
    let (_m, mut ds) = mem_loom(50, 1);
    ds.ra_mut().set("R", regulons.clone()).unwrap();
    assert_eq!(ds.ra().get("R").unwrap(), regulons);
}

#[test]
fn values_convert() {
    let v = AttrValues::from(vec![300i64, -1, 2]);
    assert_eq!(v.dtype().name(), "int64");
    assert_eq!(
        v.cast(Dtype::UInt8).unwrap(),
        AttrValues::from(vec![44u8, 255, 2])
    );
    assert_eq!(
        v.cast(Dtype::Int8).unwrap(),
        AttrValues::from(vec![44i8, -1, 2])
    );
    assert_eq!(
        v.cast(Dtype::Float32).unwrap(),
        AttrValues::from(vec![300f32, -1.0, 2.0])
    );
    assert_eq!(
        v.cast(Dtype::Bool).unwrap(),
        AttrValues::from(vec![true, true, true])
    );
    assert!(AttrValues::from("x").cast(Dtype::Int64).is_err());
    assert_eq!(AttrValues::from("x").as_str(), Some("x"));
    assert_eq!(AttrValues::from("x").ndim(), 0);
    assert_eq!(AttrValues::from(vec!["a", "b"]).dtype().name(), "object");
    assert_eq!(AttrValues::from(&[1.5f64][..]).len(), 1);
    assert_eq!(AttrValues::from(array![[true], [false]]).shape(), [2, 1]);
    assert!(AttrValues::from(Vec::<f32>::new()).is_empty());
}
