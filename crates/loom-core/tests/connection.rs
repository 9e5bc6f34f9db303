//! Opening loom files: modes, validation, spec versions, and the errors loompy raises.

// Test helpers outside #[test] functions may unwrap: a failure there is a test failure.
#![allow(clippy::unwrap_used)]

use std::path::PathBuf;
use std::sync::Arc;

use hdf5_lite::write::MemFile;
use loom_core::{connect, new_in, LoomConnection, LoomError, LoomValidator, Mode, Strictness};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures")
        .join(name)
}

#[test]
fn opens_loompy_files_read_only() {
    let ds = connect(fixture("01_loompy_create_dense.loom"), Mode::Read).unwrap();
    assert_eq!(ds.shape(), (100, 70));
    assert_eq!(ds.spec_version(), "3.0.0");
    assert_eq!(ds.mode(), Mode::Read);
    let legacy = connect(fixture("30_emul_loompy2_fixedlen.loom"), Mode::Read).unwrap();
    assert_eq!(legacy.spec_version(), "2.0.1");
}

#[test]
fn errors_have_loompys_meaning() {
    let missing = connect("/nonexistent/x.loom", Mode::Read).unwrap_err();
    assert!(matches!(missing, LoomError::FileNotFound(_)));
    assert_eq!(missing.to_string(), "File '/nonexistent/x.loom' not found");
    assert!(matches!("w".parse::<Mode>(), Err(LoomError::BadMode)));
    assert_eq!("r+".parse::<Mode>().unwrap(), Mode::ReadWrite);

    // pySCENIC's compound attributes fail loompy's validator; without validation the file opens.
    let err = connect(fixture("10_pyscenic_regulons.loom"), Mode::Read).unwrap_err();
    let LoomError::Invalid {
        errors, version, ..
    } = &err
    else {
        panic!("{err}")
    };
    assert_eq!(version, "3.0.0");
    assert!(
        errors
            .iter()
            .any(|e| e.starts_with("Row attribute 'Regulons' dtype")),
        "{errors:?}"
    );
    assert_eq!(
        errors.last().unwrap(),
        "For help, see http://linnarssonlab.org/loompy/format/"
    );
    assert!(err.to_string().ends_with(
        "does not appear to be a valid Loom file according to Loom spec version '3.0.0'"
    ));
    assert!(LoomConnection::open(fixture("10_pyscenic_regulons.loom"), Mode::Read, false).is_ok());

    let not_hdf5 = connect(fixture("README.md"), Mode::Read).unwrap_err();
    assert!(
        matches!(not_hdf5, LoomError::Hdf5(hdf5_lite::Error::NotHdf5)),
        "{not_hdf5}"
    );
}

#[test]
fn validator_accepts_what_loompy_accepts() {
    for name in [
        "01_loompy_create_dense.loom",
        "02_loompy_create_sparse.loom",
        "06_loompy_deleted.loom",
        "09_anndata_write_loom.loom",
    ] {
        let mut v = LoomValidator::new();
        assert!(
            v.validate(fixture(name), Strictness::SpecOnly).unwrap(),
            "{name}: {:?}",
            v.errors()
        );
    }
}

#[test]
fn new_files_are_empty_spec_3_files() {
    let mem = MemFile::new();
    let ds = new_in(Arc::new(mem.clone())).unwrap();
    assert_eq!(ds.shape(), (0, 0));
    assert_eq!(ds.spec_version(), "3.0.0");
    ds.close().unwrap();
    let file = hdf5_lite::read::File::from_bytes(mem.to_bytes()).unwrap();
    let names = file.root().unwrap().member_names().unwrap();
    assert_eq!(
        names,
        [
            "attrs",
            "col_attrs",
            "col_graphs",
            "layers",
            "row_attrs",
            "row_graphs"
        ]
    );
    let created = file
        .dataset("/attrs/CreationDate")
        .unwrap()
        .read_strings()
        .unwrap();
    assert_eq!(created[0].len(), 23);
}
