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
    let err = file.dataset("/szip").unwrap().read_raw().unwrap_err();
    assert!(
        matches!(&err, hdf5_lite::Error::UnsupportedFilter { name, .. } if name == "szip"),
        "{err}"
    );
    assert!(err.to_string().contains("szip"), "{err}");
    let ok = file.dataset("/deflate_ok").unwrap().read::<f64>().unwrap();
    assert!(!ok.is_empty());
    // LZF (32000) decodes; its values are checked against h5py by the JSON dump test.
    let lzf = file.dataset("/lzf").unwrap().read::<f32>().unwrap();
    assert_eq!(lzf.shape(), &[30, 20]);
}

#[test]
fn hyperslab_reads_equal_slices_of_full_reads() {
    use hdf5_lite::read::{Hyperslab, Object};
    let mut rng = 0x2545_f491_4f6c_dd1du64;
    let mut next = move |n: u64| {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng % n.max(1)
    };
    let mut checked = 0;
    for (path, _) in fixtures() {
        let file = hdf5_lite::read::File::open(&path).unwrap();
        let mut stack = vec![file.root().unwrap()];
        while let Some(group) = stack.pop() {
            for (_, obj) in group.members().unwrap() {
                let d = match obj {
                    Ok(Object::Group(g)) => {
                        stack.push(g);
                        continue;
                    }
                    Ok(Object::Dataset(d)) if d.chunks().is_some() && !d.shape().is_empty() => d,
                    _ => continue,
                };
                let Ok(full) = d.read_raw() else { continue };
                let shape = d.shape().to_vec();
                let elem = d.datatype().size() as usize;
                for _ in 0..8 {
                    let start: Vec<u64> = shape.iter().map(|&n| next(n)).collect();
                    let count: Vec<u64> = shape
                        .iter()
                        .zip(&start)
                        .map(|(&n, &s)| 1 + next(n - s))
                        .collect();
                    let count: Vec<u64> = count
                        .iter()
                        .zip(shape.iter().zip(&start))
                        .map(|(&c, (&n, &s))| c.min(n - s))
                        .collect();
                    let sel = Hyperslab {
                        start: start.clone(),
                        count: count.clone(),
                    };
                    let got = d.read_raw_slice(&sel).unwrap();
                    // The same slice cut out of the full read.
                    let mut want = Vec::with_capacity(got.len());
                    let mut idx = start.clone();
                    if count.contains(&0) {
                        assert!(got.is_empty());
                        continue;
                    }
                    loop {
                        let linear =
                            idx.iter().zip(&shape).fold(0u64, |a, (&i, &n)| a * n + i) as usize;
                        want.extend_from_slice(&full[linear * elem..(linear + 1) * elem]);
                        let mut k = shape.len();
                        loop {
                            if k == 0 {
                                break;
                            }
                            k -= 1;
                            idx[k] += 1;
                            if idx[k] < start[k] + count[k] {
                                break;
                            }
                            idx[k] = start[k];
                        }
                        if k == 0 && idx[0] == start[0] {
                            break;
                        }
                    }
                    assert_eq!(got, want, "{} {} {sel:?}", path.display(), d.path());
                    checked += 1;
                }
            }
        }
    }
    assert!(checked > 500, "only {checked} slices checked");
}
