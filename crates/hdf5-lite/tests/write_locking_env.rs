//! `HDF5_USE_FILE_LOCKING=FALSE` (or `0`) turns file locking off, as in libhdf5. A test
//! binary of its own: the variable is process-wide.

// Test helpers outside #[test] functions may unwrap: a failure there is a test failure.
#![allow(clippy::unwrap_used)]

use hdf5_lite::read::Numeric;
use hdf5_lite::write::{DatasetSpec, Writer};
use hdf5_lite::FileOptions;

#[test]
fn the_environment_variable_turns_locking_off() {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("hdf5-lite-lock-env-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("env.h5");
    let mut w = Writer::create(&path).unwrap();
    w.create_dataset("/x", &DatasetSpec::new(u8::datatype(), &[1]))
        .unwrap();
    w.commit().unwrap();
    assert!(FileOptions::new().is_locking());
    assert!(Writer::open(&path).is_err());
    for (value, locking) in [("FALSE", false), ("0", false), ("TRUE", true), ("1", true)] {
        std::env::set_var("HDF5_USE_FILE_LOCKING", value);
        assert_eq!(FileOptions::new().is_locking(), locking, "{value}");
        if !locking {
            // Both open while the first writer holds its lock.
            let _r = hdf5_lite::read::File::open(&path).unwrap();
            let _w = Writer::open(&path).unwrap();
        }
    }
    std::env::remove_var("HDF5_USE_FILE_LOCKING");
    assert!(Writer::open(&path).is_err());
    w.close().unwrap();
}
