//! issue 8 items of loom-core, each with its reproducer: selections of huge axes, over-long
//! and path-like names, zero chunks; and graph vectors keeping the types they were given.

// Test helpers outside #[test] functions may unwrap: a failure there is a test failure.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use hdf5_lite::format::messages::Datatype;
use hdf5_lite::write::{DatasetSpec, MemFile, Writer};
use loom_core::{
    create_in_with, new_in, Axis, CreateOptions, LayerInput, LayerOptions, LoomConnection,
    LoomValidator, Mode, Numeric, Strictness,
};
use ndarray::{array, Array2};

/// A small valid loom file in memory.
fn small() -> MemFile {
    let mem = MemFile::new();
    let mut ds = new_in(Arc::new(mem.clone())).unwrap();
    ds.layers_mut()
        .set("", Array2::<f32>::ones((3, 4)).view())
        .unwrap();
    ds.close().unwrap();
    mem
}

#[test]
fn a_layer_of_shape_2_pow_61_by_0_is_an_error_not_a_panic() {
    let mem = small();
    let mut w = Writer::open_in(Arc::new(mem.clone())).unwrap();
    w.create_dataset(
        "/layers/huge",
        &DatasetSpec::new(f32::datatype(), &[1 << 61, 0]),
    )
    .unwrap();
    w.close().unwrap();
    let ds = LoomConnection::open_in(Arc::new(mem), Mode::Read, false).unwrap();
    assert_eq!(ds.layers().shape("huge").unwrap(), (1 << 61, 0));
    let e = ds.layers().read::<f32>("huge", .., ..).unwrap_err();
    assert!(e.to_string().contains("too large"), "{e}");
    assert!(ds.layers().read::<f32>("huge", 0..3, ..).is_ok());
    assert!(ds.layers().sparse("huge", .., ..).is_err());
}

#[test]
fn names_are_checked() {
    let mut ds = LoomConnection::open_in(Arc::new(small()), Mode::ReadWrite, true).unwrap();
    let long = "x".repeat(65_536);
    for bad in [".", "..", "", "a/b", long.as_str()] {
        assert!(ds.ca_mut().set(bad, vec![1i64; 4]).is_err(), "{bad:.10}");
        assert!(ds.ra_mut().set(bad, vec![1i64; 3]).is_err(), "{bad:.10}");
        assert!(ds.attrs_mut().set(bad, 1i64).is_err(), "{bad:.10}");
        let g = sprs::TriMat::<f64>::new((4, 4));
        assert!(ds.col_graphs_mut().set(bad, &g).is_err(), "{bad:.10}");
        if !bad.is_empty() {
            let m = Array2::<f32>::zeros((3, 4));
            assert!(ds.layers_mut().set(bad, m.view()).is_err(), "{bad:.10}");
        }
        // Deleting such a name touches nothing (an empty name is not the whole group).
        ds.ca_mut().delete(bad).unwrap();
        ds.col_graphs_mut().delete(bad).unwrap();
        ds.layers_mut().delete(bad).ok();
    }
    assert_eq!(ds.layers().keys().unwrap(), [""]);
    let e = ds.ca_mut().set(&long, vec![1i64; 4]).unwrap_err();
    assert!(e.to_string().contains("at most 4096 bytes"), "{e}");
    assert!(ds.hdf5().group("/col_attrs").is_ok());
    let mut v = LoomValidator::new();
    assert!(
        v.validate_file(&ds.hdf5(), Strictness::SpecOnly),
        "{:?}",
        v.errors()
    );
}

#[test]
fn the_validator_survives_a_65536_character_attribute_name() {
    let mem = small();
    let long = "n".repeat(65_536);
    let mut w = Writer::open_in(Arc::new(mem.clone())).unwrap();
    let path = format!("/col_attrs/{long}");
    w.create_dataset(&path, &DatasetSpec::new(i64::datatype(), &[4]))
        .unwrap();
    w.write_numbers(&path, &[0], &[4], &[1i64, 2, 3, 4])
        .unwrap();
    w.close().unwrap();
    let mut v = LoomValidator::new();
    let file = hdf5_lite::read::File::from_bytes(mem.to_bytes()).unwrap();
    assert!(v.validate_file(&file, Strictness::SpecOnly));
    assert!(v.summary().iter().any(|l| l.ends_with(" int64 ")));
    let ds = LoomConnection::open_in(Arc::new(mem), Mode::Read, true).unwrap();
    assert_eq!(ds.ca().get(&long).unwrap().len(), 4);
}

#[test]
fn zero_chunks_are_refused() {
    let mut ds = LoomConnection::open_in(Arc::new(small()), Mode::ReadWrite, true).unwrap();
    let m = Array2::<f32>::zeros((3, 4));
    for chunks in [(0, 0), (0, 4), (3, 0)] {
        let opts = LayerOptions {
            chunks: Some(chunks),
            ..LayerOptions::default()
        };
        let e = ds.layers_mut().set_with("x", m.view(), &opts).unwrap_err();
        assert!(e.to_string().contains("chunk shape"), "{e}");
    }
    let opts = CreateOptions {
        chunks: Some((0, 0)),
        ..CreateOptions::default()
    };
    let e = create_in_with(
        Arc::new(MemFile::new()),
        &[("", LayerInput::from(&m))],
        &[],
        &[],
        &[],
        &opts,
    )
    .unwrap_err();
    assert!(e.to_string().contains("chunk shape (0, 0)"), "{e}");
}

#[test]
fn graph_vectors_keep_their_types() {
    let mut ds = LoomConnection::open_in(Arc::new(small()), Mode::ReadWrite, true).unwrap();
    let mut g = sprs::TriMat::<f32>::new((4, 4));
    g.add_triplet(0, 1, 0.1f32);
    ds.col_graphs_mut().set("f32", &g).unwrap();
    ds.set_edges("i64", &[0, 1], &[1, 2], &[0.5f64, 0.25], Axis::Rows)
        .unwrap();
    ds.col_graphs_mut()
        .set_dense("dense", &array![[0i32, 2, 0, 0], [0; 4], [0; 4], [0; 4]])
        .unwrap();
    let file = ds.hdf5();
    let dt = |p: &str| file.dataset(p).unwrap().datatype().clone();
    assert_eq!(dt("/col_graphs/f32/w"), f32::datatype());
    assert_eq!(dt("/col_graphs/f32/a"), i32::datatype());
    assert_eq!(dt("/row_graphs/i64/a"), i64::datatype());
    assert_eq!(dt("/row_graphs/i64/w"), f64::datatype());
    // Integer weights are stored as float64, which loompy's validator asks for.
    assert!(matches!(
        dt("/col_graphs/dense/w"),
        Datatype::Float { size: 8, .. }
    ));
    // Values read back exactly (float32 0.1 as float32 holds it).
    assert_eq!(
        ds.col_graphs().get("f32").unwrap().data(),
        [f64::from(0.1f32)]
    );
    let mut v = LoomValidator::new();
    assert!(
        v.validate_file(&file, Strictness::SpecOnly),
        "{:?}",
        v.errors()
    );
}
