//! scan, batch_scan and map against loompy 3.0.8's results on the same file
//! (fixtures/ops/expected.json, made by fixtures/ops.py).

// Test helpers outside #[test] functions may unwrap: a failure there is a test failure.
#![allow(clippy::unwrap_used)]

mod ops_support;

use loom_core::ops::{Items, Part, ScanBatch, ScanBatchAs, ScanOptions};
use loom_core::{connect, Axis, LoomError, Mode};
use ops_support::*;
use serde_json::Value;

fn part(name: &str) -> Part {
    match name {
        "layers" => Part::Layers,
        "row_attrs" => Part::RowAttrs,
        "col_attrs" => Part::ColAttrs,
        "row_graphs" => Part::RowGraphs,
        "col_graphs" => Part::ColGraphs,
        other => panic!("unknown part {other}"),
    }
}

fn options(case: &Value) -> ScanOptions {
    let items = match &case["items"] {
        Value::Null => Items::All,
        v if v.get("mask").is_some() => Items::Mask(
            v["mask"]
                .as_array()
                .unwrap()
                .iter()
                .map(|b| b.as_bool().unwrap())
                .collect(),
        ),
        v if v.get("start").is_some() => Items::From(v["start"].as_u64().unwrap()),
        v => Items::Indices(
            v["indices"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| i.as_i64().unwrap())
                .collect(),
        ),
    };
    let layers = match &case["layers"] {
        Value::Null => None,
        Value::String(s) => Some(vec![s.clone()]),
        v => Some(
            v.as_array()
                .unwrap()
                .iter()
                .map(|s| s.as_str().unwrap().to_owned())
                .collect(),
        ),
    };
    ScanOptions {
        items,
        layers,
        key: case["key"].as_str().map(str::to_owned),
        batch_size: case["batch_size"].as_u64().unwrap() as usize,
        what: case["what"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| part(p.as_str().unwrap()))
            .collect(),
    }
}

#[test]
fn scan_windows_and_views_match_loompy() {
    let exp = expected();
    let ds = connect(fixture("input.loom"), Mode::Read).unwrap();
    for (c, case) in exp["scan"].as_array().unwrap().iter().enumerate() {
        let axis = if case["axis"] == 0 {
            Axis::Rows
        } else {
            Axis::Cols
        };
        let got: Vec<_> = ds
            .scan(axis, options(case))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        let want = case["windows"].as_array().unwrap();
        let graphs = case["graphs"].as_bool().unwrap();
        assert_eq!(got.len(), want.len(), "case {c}: window count");
        for (b, w) in got.iter().zip(want) {
            check_batch(b, w, graphs, &format!("case {c} window {}", b.ix));
        }
        // The lending form hands out the same batches (its buffers reused between them).
        let mut k = 0;
        ds.scan(axis, options(case))
            .unwrap()
            .for_each_batch(|b| {
                check_batch(b, &want[k], graphs, &format!("case {c} lent window {k}"));
                k += 1;
                Ok::<(), LoomError>(())
            })
            .unwrap();
        assert_eq!(k, want.len(), "case {c}: lent window count");
        // The typed form: the same windows with the values as f32 (the layers hold
        // float32 and small integers, exact in f32) and as f64.
        let mut k = 0;
        ds.scan(axis, options(case))
            .unwrap()
            .for_each_batch_as::<f32, _>(|b| {
                let what = format!("case {c} f32 window {k}");
                check_typed(b, &want[k], graphs, &what, f64::from);
                k += 1;
                Ok::<(), LoomError>(())
            })
            .unwrap();
        assert_eq!(k, want.len(), "case {c}: f32 window count");
        let mut scan = ds.scan(axis, options(case)).unwrap();
        // After a window taken from the iterator, the typed form goes on from the next.
        let first = scan.next().map(Result::unwrap);
        let mut k = usize::from(first.is_some());
        scan.for_each_batch_as::<f64, _>(|b| {
            check_typed(
                b,
                &want[k],
                graphs,
                &format!("case {c} f64 window {k}"),
                |x| x,
            );
            k += 1;
            Ok::<(), LoomError>(())
        })
        .unwrap();
        assert_eq!(k, want.len(), "case {c}: f64 window count");
    }
}

/// One typed batch against loompy's window `w` (`wide` makes its values f64).
fn check_typed<T: Copy>(
    b: &ScanBatchAs<'_, T>,
    w: &Value,
    graphs: bool,
    what: &str,
    wide: fn(T) -> f64,
) {
    assert_eq!(b.ix as u64, w["ix"].as_u64().unwrap(), "{what}");
    let idx: Vec<u64> = w["indexes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i.as_u64().unwrap())
        .collect();
    let got: Vec<u64> = b.indexes.iter().map(|&i| i as u64).collect();
    assert_eq!(got, idx, "{what}");
    let layers = w["layers"].as_object().unwrap();
    assert_eq!(b.layers().count(), layers.len(), "{what}: layers");
    assert!(
        b.view.layers().is_empty(),
        "{what}: the view holds no layer"
    );
    for (name, m) in layers {
        let values = b.layer(name).unwrap().mapv(wide);
        assert_close(&values, &matrix(m), &format!("{what}: layer {name:?}"));
        assert!(!b.dtype(name).unwrap().is_empty());
    }
    assert!(b.layer("nope").is_err());
    assert_view_parts(b.view, w, graphs, what);
}

/// One batch against loompy's window `w`.
fn check_batch(b: &ScanBatch, w: &Value, graphs: bool, what: &str) {
    assert_eq!(b.ix as u64, w["ix"].as_u64().unwrap(), "{what}");
    let idx: Vec<u64> = w["indexes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i.as_u64().unwrap())
        .collect();
    assert_eq!(
        b.indexes.iter().map(|&i| i as u64).collect::<Vec<_>>(),
        idx,
        "{what}"
    );
    let layers = w["layers"].as_object().unwrap();
    assert_eq!(b.view.layers().len(), layers.len(), "{what}: layers");
    for (name, m) in layers {
        assert_close(
            &b.view.layer(name).unwrap().values,
            &matrix(m),
            &format!("{what}: layer {name:?}"),
        );
    }
    assert_view_parts(&b.view, w, graphs, what);
}

#[test]
fn scan_checks_its_arguments_first() {
    let ds = connect(fixture("input.loom"), Mode::Read).unwrap();
    let no_layers = ScanOptions {
        what: vec![Part::RowAttrs],
        ..ScanOptions::default()
    };
    let e = ds.scan(Axis::Cols, no_layers).unwrap_err().to_string();
    assert!(e.starts_with("Layers must be included in 'what'"), "{e}");
    let zero = ScanOptions {
        batch_size: 0,
        ..ScanOptions::default()
    };
    assert!(ds.scan(Axis::Rows, zero).is_err());
    let missing = ScanOptions {
        layers: Some(vec!["nope".into()]),
        ..ScanOptions::default()
    };
    assert!(ds.scan(Axis::Rows, missing).is_err());
    let bad_key = ScanOptions {
        key: Some("nope".into()),
        ..ScanOptions::default()
    };
    assert!(ds.scan(Axis::Cols, bad_key).is_err());
}

#[test]
fn scan_stopped_early_and_out_of_range_items() {
    let ds = connect(fixture("input.loom"), Mode::Read).unwrap();
    let mut s = ds
        .scan(
            Axis::Cols,
            ScanOptions {
                batch_size: 2,
                ..ScanOptions::default()
            },
        )
        .unwrap();
    assert_eq!(s.next().unwrap().unwrap().indexes, vec![0, 1]);
    drop(s);
    let opts = ScanOptions {
        items: Items::Indices(vec![-1, 99, 4]),
        batch_size: 3,
        ..ScanOptions::default()
    };
    let got: Vec<_> = ds
        .scan(Axis::Cols, opts)
        .unwrap()
        .map(|b| b.unwrap().indexes)
        .collect();
    assert_eq!(got, vec![vec![4]]);
}

#[test]
fn batch_scan_matches_loompy() {
    let exp = expected();
    let ds = connect(fixture("input.loom"), Mode::Read).unwrap();
    for case in exp["batch_scan"].as_array().unwrap() {
        let list = |v: &Value| {
            v.as_array().map(|a| {
                a.iter()
                    .map(|i| i.as_u64().unwrap() as usize)
                    .collect::<Vec<_>>()
            })
        };
        let axis = if case["axis"] == 0 {
            Axis::Rows
        } else {
            Axis::Cols
        };
        let got: Vec<_> = ds
            .batch_scan(
                list(&case["cells"]),
                list(&case["genes"]),
                axis,
                case["batch_size"].as_u64().unwrap() as usize,
                "counts",
            )
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        let want = case["windows"].as_array().unwrap();
        assert_eq!(got.len(), want.len());
        for ((ix, idx, vals), w) in got.iter().zip(want) {
            assert_eq!(*ix as u64, w["ix"].as_u64().unwrap());
            assert_eq!(Some(idx.clone()), list(&w["indexes"]));
            assert_close(vals, &matrix(&w["values"]), "batch_scan values");
        }
    }
}

#[test]
fn map_matches_loompy() {
    let exp = expected();
    let ds = connect(fixture("input.loom"), Mode::Read).unwrap();
    let sum = |v: ndarray::ArrayView1<f64>| v.sum();
    let mean = |v: ndarray::ArrayView1<f64>| v.mean().unwrap_or(f64::NAN);
    let max = |v: ndarray::ArrayView1<f64>| v.fold(f64::NEG_INFINITY, |a, &b| a.max(b));
    let nnz = |v: ndarray::ArrayView1<f64>| v.iter().filter(|&&x| x != 0.0).count() as f64;
    for case in exp["map"].as_array().unwrap() {
        let axis = if case["axis"] == 0 {
            Axis::Rows
        } else {
            Axis::Cols
        };
        let sel: Option<Vec<bool>> = case["selection"]
            .as_array()
            .map(|a| a.iter().map(|b| b.as_bool().unwrap()).collect());
        let got = ds
            .map(
                &[&sum, &mean, &max, &nnz],
                axis,
                case["chunksize"].as_u64().unwrap() as usize,
                sel.as_deref(),
            )
            .unwrap();
        for (k, name) in ["sum", "mean", "max", "nnz"].iter().enumerate() {
            let want: Vec<f64> = case["results"][name]
                .as_array()
                .unwrap()
                .iter()
                .map(num)
                .collect();
            assert_eq!(got[k].len(), want.len());
            for (x, y) in got[k].iter().zip(&want) {
                assert!(
                    (x - y).abs() < 1e-5,
                    "map {name} axis {}: {x} != {y}",
                    case["axis"]
                );
            }
        }
    }
    assert!(ds
        .map(&[&sum], Axis::Rows, 4, Some(&[true, false]))
        .is_err());
}

#[test]
fn map_as_matches_map() {
    let exp = expected();
    let ds = connect(fixture("input.loom"), Mode::Read).unwrap();
    let sum = |v: ndarray::ArrayView1<f64>| v.sum();
    let nnz = |v: ndarray::ArrayView1<f64>| v.iter().filter(|&&x| x != 0.0).count() as f64;
    let sum32 = |v: ndarray::ArrayView1<f32>| v.iter().map(|&x| f64::from(x)).sum();
    let nnz32 = |v: ndarray::ArrayView1<f32>| v.iter().filter(|&&x| x != 0.0).count() as f64;
    let layers = ds.layers().keys().unwrap();
    for case in exp["map"].as_array().unwrap() {
        let axis = if case["axis"] == 0 {
            Axis::Rows
        } else {
            Axis::Cols
        };
        let sel: Option<Vec<bool>> = case["selection"]
            .as_array()
            .map(|a| a.iter().map(|b| b.as_bool().unwrap()).collect());
        let chunksize = case["chunksize"].as_u64().unwrap() as usize;
        for layer in &layers {
            let want = ds
                .map_layer(&[&sum, &nnz], layer, axis, chunksize, sel.as_deref())
                .unwrap();
            let got = ds
                .map_layer_as::<f32>(&[&sum32, &nnz32], layer, axis, chunksize, sel.as_deref())
                .unwrap();
            assert_eq!(got[0].len(), want[0].len());
            for (g, w) in got.iter().flatten().zip(want.iter().flatten()) {
                assert!(
                    (g - w).abs() <= 1e-9 * w.abs().max(1.0),
                    "layer {layer:?} axis {}: {g} != {w}",
                    case["axis"]
                );
            }
        }
    }
    let short = [true, false];
    assert!(ds
        .map_layer_as::<f32>(&[&sum32], "", Axis::Cols, 4, Some(&short))
        .is_err());
    assert!(ds
        .map_layer_as::<f32>(&[&sum32], "nope", Axis::Cols, 4, None)
        .is_err());
}
