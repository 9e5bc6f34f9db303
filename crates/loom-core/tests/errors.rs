//! Every error path loompy users meet, with loompy's message (checked against loompy
//! 3.0.8), where no other test file asserts it already. Those asserted elsewhere:
//! - missing file on connect, bad mode, invalid and non-HDF5 files: `errors_have_loompys_meaning`
//!   in tests/connection.rs;
//! - NaN/Inf in `layers_mut().set`, layer shape, slash in a layer name, bool/str/unknown dtypes
//!   in `layers_mut().set(name, dtype)`, deleting the main layer, broadcast errors, and read-only
//!   `layers_mut().set`/`set_with`/`delete`/`write`:
//!   `layer_errors_are_loompys` in tests/layers.rs;
//! - attribute length, slash, rank, scalar, bad defaults, read-only `ra_mut().set` and
//!   `attrs_mut().set`: `set_errors_are_loompys` in tests/attrs.rs;
//! - graph shapes, names, `set_edges` conversions, read-only graph writes: `loompys_errors`
//!   in tests/graphs.rs;
//! - the validator's messages: tests/validate.rs.
//!
//! Bool and string matrices cannot be passed as layers at all (they are not `Numeric`;
//! a `compile_fail` doctest on `LayerInput` shows it); the runtime path is a bool or
//! string stored dtype, tested here.

// Test helpers outside #[test] functions may unwrap: a failure there is a test failure.
#![allow(clippy::unwrap_used)]

use std::path::PathBuf;
use std::sync::Arc;

use hdf5_lite::write::MemFile;
use loom_core::{
    create, create_in, create_in_with, create_with, AttrValues, CreateOptions, LayerInput,
    LoomConnection, LoomError, Mode,
};
use ndarray::{Array1, Array2, ArrayD, IxDyn};

struct Scratch(PathBuf);

impl Scratch {
    fn new(tag: &str) -> Self {
        let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("loom-errors-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir.join(format!("{tag}.loom")))
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

fn message<T: std::fmt::Debug>(r: loom_core::Result<T>) -> String {
    match r {
        Err(LoomError::InvalidInput(m)) => m,
        other => panic!("not InvalidInput: {other:?}"),
    }
}

fn ints(n: i64) -> AttrValues {
    AttrValues::from(Array1::from_iter(0..n).into_dyn())
}

fn mem() -> Arc<MemFile> {
    Arc::new(MemFile::new())
}

#[test]
fn create_sanity_checks_in_loompys_order() {
    let m = Array2::<f64>::zeros((3, 4));
    let other = Array2::<f64>::zeros((3, 5));
    let empty_rows = Array2::<f64>::zeros((0, 3));
    let empty_cols = Array2::<f64>::zeros((3, 0));
    // No main layer (even when another layer is empty).
    assert_eq!(
        message(create_in(
            mem(),
            &[("x", (&empty_rows).into())],
            &[],
            &[],
            &[]
        )),
        "Data for default layer must be provided"
    );
    assert_eq!(
        message(create_in(mem(), &[], &[], &[], &[])),
        "Data for default layer must be provided"
    );
    for e in [&empty_rows, &empty_cols] {
        assert_eq!(
            message(create_in(mem(), &[("", e.into())], &[], &[], &[])),
            "Main matrix cannot be empty"
        );
    }
    // A layer of another shape is reported before attribute lengths.
    assert_eq!(
        message(create_in(
            mem(),
            &[("", (&m).into()), ("x", (&other).into())],
            &[("a", ints(2))],
            &[],
            &[]
        )),
        "Layer 'x' is not the same shape as the main matrix"
    );
    // Rows before columns.
    assert_eq!(
        message(create_in(
            mem(),
            &[("", (&m).into())],
            &[("a", ints(2))],
            &[("b", ints(2))],
            &[]
        )),
        "Row attribute 'a' is not the same length (2) as number of rows in main matrix (3)"
    );
    assert_eq!(
        message(create_in(
            mem(),
            &[("", (&m).into())],
            &[("a", ints(3))],
            &[("b", ints(2))],
            &[]
        )),
        "Column attribute 'b' is not the same length (2) as number of columns in main matrix (4)"
    );
    // Sparse layers are checked the same way.
    let sp = sprs::TriMat::<f32>::new((3, 5));
    assert_eq!(
        message(create_in(
            mem(),
            &[("", (&m).into()), ("s", (&sp).into())],
            &[],
            &[],
            &[]
        )),
        "Layer 's' is not the same shape as the main matrix"
    );
}

#[test]
fn create_non_2d_main_matrix() {
    let v = ArrayD::<f32>::zeros(IxDyn(&[4]));
    let cube = ArrayD::<f32>::zeros(IxDyn(&[2, 2, 2]));
    let flat = ArrayD::<f32>::zeros(IxDyn(&[0]));
    assert_eq!(
        message(create_in(mem(), &[("", (&v).into())], &[], &[], &[])),
        "Main matrix must be 2-dimensional (shape was [4])"
    );
    assert_eq!(
        message(create_in(mem(), &[("", (&cube).into())], &[], &[], &[])),
        "Main matrix must be 2-dimensional (shape was [2, 2, 2])"
    );
    // loompy checks emptiness first.
    assert_eq!(
        message(create_in(mem(), &[("", (&flat).into())], &[], &[], &[])),
        "Main matrix cannot be empty"
    );
}

/// A failing check leaves whatever was at the path untouched.
#[test]
fn create_checks_run_before_the_file_is_touched() {
    let tmp = Scratch::new("untouched");
    std::fs::write(&tmp.0, b"previous contents").unwrap();
    let m = Array2::<f64>::zeros((3, 4));
    let r = create(&tmp.0, &[("", (&m).into())], &[("a", ints(1))], &[], &[]);
    assert!(matches!(r, Err(LoomError::InvalidInput(_))));
    assert_eq!(std::fs::read(&tmp.0).unwrap(), b"previous contents");
}

/// A failure while writing deletes the partial file (loompy deletes it on ValueErrors)
/// and reports the real cause (loompy masks a bad main layer with "Newly created loom
/// file must be filled with data before leaving the 'with' statement").
#[test]
fn create_write_failures_delete_the_file() {
    let tmp = Scratch::new("deleted");
    let ok = Array2::<f64>::zeros((3, 4));
    let nan = Array2::from_elem((3, 4), f64::NAN);
    let inf = Array2::from_elem((3, 4), f32::INFINITY);
    let cases: Vec<(Vec<(&str, LayerInput)>, &str)> = vec![
        (
            vec![("", (&nan).into())],
            "INF and NaN not allowed in loom matrix",
        ),
        (
            vec![("", (&ok).into()), ("x", (&inf).into())],
            "INF and NaN not allowed in loom matrix",
        ),
        (
            vec![("", (&ok).into()), ("a/b", (&ok).into())],
            "Layer name cannot contain slash (/)",
        ),
    ];
    for (layers, expected) in cases {
        std::fs::write(&tmp.0, b"previous contents").unwrap();
        assert_eq!(message(create(&tmp.0, &layers, &[], &[], &[])), expected);
        assert!(!tmp.0.exists(), "{expected}: partial file left");
    }
    // An attribute that cannot be stored (a slash in its name) fails after the layers.
    let r = create(&tmp.0, &[("", (&ok).into())], &[("a/b", ints(3))], &[], &[]);
    assert_eq!(message(r), "Attribute name cannot contain slash (/)");
    assert!(!tmp.0.exists());
}

#[test]
fn create_bool_and_string_matrices_are_refused() {
    let tmp = Scratch::new("bool");
    let m = Array2::<u8>::ones((2, 2));
    for dtype in ["bool", "str"] {
        let opts = CreateOptions {
            dtype: Some(dtype.to_owned()),
            ..Default::default()
        };
        assert_eq!(
            message(create_with(
                &tmp.0,
                &[("", (&m).into())],
                &[],
                &[],
                &[],
                &opts
            )),
            "Matrix elements must be integer or float"
        );
        assert!(!tmp.0.exists());
        assert_eq!(
            message(create_in_with(
                mem(),
                &[("", (&m).into())],
                &[],
                &[],
                &[],
                &opts
            )),
            "Matrix elements must be integer or float"
        );
    }
}

#[test]
fn create_into_a_missing_directory() {
    let m = Array2::<f64>::zeros((1, 1));
    let r = create(
        "/nonexistent-dir/x.loom",
        &[("", (&m).into())],
        &[],
        &[],
        &[],
    );
    assert!(
        matches!(r, Err(LoomError::Io(_)) | Err(LoomError::Hdf5(_))),
        "{r:?}"
    );
}

/// Writes loompy refuses in read-only mode that the other test files do not cover.
#[test]
fn read_only_writes() {
    let f = mem();
    let m = Array2::<f32>::ones((3, 2));
    create_in(
        f.clone(),
        &[("", (&m).into()), ("l", (&m).into())],
        &[("a", ints(3))],
        &[("b", ints(2))],
        &[("t", AttrValues::from("x"))],
    )
    .unwrap();
    let mut ro = LoomConnection::open_in(f, Mode::Read, true).unwrap();
    let read_only = |r: loom_core::Result<()>| matches!(r, Err(LoomError::ReadOnly(_)));
    assert!(read_only(ro.ca_mut().set("c", ints(2))));
    assert!(read_only(ro.ra_mut().delete("a")));
    assert!(read_only(ro.ca_mut().delete("b")));
    assert!(read_only(ro.attrs_mut().delete("t")));
    assert!(read_only(ro.set_attr(
        "c",
        ints(3),
        loom_core::Axis::Rows,
        None
    )));
    assert!(read_only(ro.delete_attr("a", loom_core::Axis::Rows)));
    assert!(read_only(ro.layers_mut().write(
        "l",
        0,
        0,
        Array2::<f32>::zeros((1, 1)).view()
    )));
    assert!(read_only(ro.set_edges(
        "g",
        &[0],
        &[1],
        &[1.0],
        loom_core::Axis::Rows
    )));
    // Nothing changed.
    assert_eq!(ro.ra().keys(), ["a"]);
    assert_eq!(ro.attrs().get("t").unwrap().as_str(), Some("x"));
    assert_eq!(ro.layers().read::<f32>("l", .., ..).unwrap(), m);
}
