//! Every fixture made by loompy, h5py or anndata dumps to exactly the values h5py read
//! from it (`fixtures/NAME.json`, made by `cargo xtask fixtures`).

use loom_cli::h5::dump::{dump_file, Options};
use loom_tests::{compare, fixtures};

#[test]
fn every_fixture_matches_h5py_value_by_value() {
    let all = fixtures();
    assert!(
        all.len() >= 20,
        "expected the fixture set in fixtures/, found {} files",
        all.len()
    );
    let mut failures = Vec::new();
    for (file, json) in &all {
        let expected: serde_json::Value =
            serde_json::from_slice(&std::fs::read(json).unwrap()).unwrap();
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        match dump_file(file, Options::default()) {
            Ok(dump) => {
                let mut diffs = Vec::new();
                compare(&name, &expected, &dump.json, &mut diffs);
                failures.extend(diffs);
            }
            Err(e) => failures.push(format!("{name}: cannot open: {e}")),
        }
    }
    assert!(
        failures.is_empty(),
        "{} differences:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn unsupported_filters_are_named_and_the_rest_stays_readable() {
    let path = loom_tests::fixtures_dir().join("46_feat_filter_lzf.h5");
    let file = hdf5_lite::read::File::open(&path).unwrap();
    for (name, filter) in [("lzf", "lzf"), ("szip", "szip")] {
        let err = file
            .dataset(&format!("/{name}"))
            .unwrap()
            .read_raw()
            .unwrap_err();
        assert!(
            matches!(&err, hdf5_lite::Error::UnsupportedFilter { name, .. } if name == filter),
            "{err}"
        );
        assert!(err.to_string().contains(filter), "{err}");
    }
    let ok = file.dataset("/deflate_ok").unwrap().read::<f64>().unwrap();
    assert!(!ok.is_empty());
}
