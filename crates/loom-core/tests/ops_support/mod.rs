//! Shared by the `ops_*` tests: loompy's expected results (fixtures/ops/expected.json,
//! made by fixtures/ops.py) and comparisons against them.
// Helpers outside #[test] functions may unwrap: a failure there is a test failure.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;

use loom_core::{AttrValues, LoomView};
use ndarray::Array2;
use serde_json::Value;

pub fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/ops")
        .join(name)
}

pub fn expected() -> Value {
    let text = std::fs::read_to_string(fixture("expected.json")).expect("expected.json");
    serde_json::from_str(&text).expect("valid JSON")
}

/// A fresh copy of a fixture in a directory of its own.
pub fn scratch(name: &str, tag: &str) -> PathBuf {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("loom-ops-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let to = dir.join(name);
    std::fs::copy(fixture(name), &to).expect("copy fixture");
    to
}

pub fn matrix(v: &Value) -> Array2<f64> {
    let rows = v.as_array().expect("rows");
    let n = rows.len();
    let m = rows.first().and_then(|r| r.as_array()).map_or(0, Vec::len);
    let flat: Vec<f64> = rows
        .iter()
        .flat_map(|r| r.as_array().expect("row").iter().map(num))
        .collect();
    Array2::from_shape_vec((n, m), flat).expect("rectangular")
}

pub fn num(v: &Value) -> f64 {
    match v {
        Value::Null => f64::NAN,
        v => v.as_f64().expect("number"),
    }
}

pub fn assert_close(a: &Array2<f64>, b: &Array2<f64>, what: &str) {
    assert_eq!(a.dim(), b.dim(), "{what}: shape");
    for ((i, x), y) in a.indexed_iter().zip(b.iter()) {
        let ok = (x - y).abs() <= 1e-6 * x.abs().max(1.0) || (x.is_nan() && y.is_nan());
        assert!(ok, "{what}: at {i:?} {x} != {y}");
    }
}

/// An attribute against loompy's JSON list (numbers compared as f64, strings as text).
pub fn assert_attr(a: &AttrValues, v: &Value, what: &str) {
    let want = v.as_array().expect("list");
    assert_eq!(a.len(), want.len(), "{what}: length");
    if let Some(s) = a.as_strings() {
        let got: Vec<&str> = s.iter().map(String::as_str).collect();
        let want: Vec<&str> = want.iter().map(|x| x.as_str().expect("str")).collect();
        assert_eq!(got, want, "{what}");
    } else {
        let got: Vec<f64> = a.to_f64().expect("numeric").iter().copied().collect();
        let want: Vec<f64> = want.iter().map(num).collect();
        for (k, (x, y)) in got.iter().zip(&want).enumerate() {
            assert!(
                (x - y).abs() <= 1e-9 * x.abs().max(1.0),
                "{what}[{k}]: {x} != {y}"
            );
        }
    }
}

/// Sorted (row, col, weight) triples of a graph.
pub fn edges(g: &sprs::TriMat<f64>) -> Vec<(usize, usize, f64)> {
    let mut e: Vec<(usize, usize, f64)> = g.triplet_iter().map(|(w, (r, c))| (r, c, *w)).collect();
    e.sort_by(|a, b| a.partial_cmp(b).expect("no NaN weights"));
    e
}

pub fn json_edges(v: &Value) -> Vec<(usize, usize, f64)> {
    v.as_array()
        .expect("edges")
        .iter()
        .map(|e| {
            let e = e.as_array().expect("edge");
            (
                e[0].as_u64().expect("r") as usize,
                e[1].as_u64().expect("c") as usize,
                num(&e[2]),
            )
        })
        .collect()
}

/// A view's attributes (and graphs when `graphs`) against loompy's dump of the view.
pub fn assert_view_parts(view: &LoomView, want: &Value, graphs: bool, what: &str) {
    for (side, attrs) in [("ra", view.ra()), ("ca", view.ca())] {
        let w = want[side].as_object().expect("attrs");
        let mut got: Vec<&String> = attrs.keys().collect();
        got.sort();
        let mut names: Vec<&String> = w.keys().collect();
        names.sort();
        assert_eq!(got, names, "{what}: {side} names");
        for (k, v) in w {
            assert_attr(&attrs[k], v, &format!("{what}: {side}[{k}]"));
        }
    }
    if graphs {
        for (side, g) in [
            ("row_graphs", view.row_graphs()),
            ("col_graphs", view.col_graphs()),
        ] {
            if let Some(w) = want.get(side).and_then(Value::as_object) {
                for (k, v) in w {
                    assert_eq!(edges(&g[k]), json_edges(v), "{what}: {side}[{k}]");
                }
            }
        }
    }
}

/// A whole file against loompy's dump of its result (graphs when the dump has them).
pub fn assert_dump(ds: &loom_core::LoomConnection, want: &Value, what: &str) {
    let shape = want["shape"].as_array().unwrap();
    assert_eq!(
        ds.shape(),
        (shape[0].as_u64().unwrap(), shape[1].as_u64().unwrap()),
        "{what}: shape"
    );
    let layers = want["layers"].as_object().unwrap();
    let mut names: Vec<&String> = layers.keys().collect();
    names.sort();
    assert_eq!(
        ds.layers().keys().unwrap().iter().collect::<Vec<_>>(),
        names,
        "{what}: layers"
    );
    for (k, l) in layers {
        assert_eq!(
            ds.layers().dtype(k).unwrap(),
            l["dtype"].as_str().unwrap(),
            "{what}: dtype of {k:?}"
        );
        let got = ds.layers().read::<f64>(k, .., ..).unwrap();
        assert_close(&got, &matrix(&l["values"]), &format!("{what}: layer {k:?}"));
    }
    for (side, attrs) in [("ra", ds.ra()), ("ca", ds.ca())] {
        let w = want[side].as_object().unwrap();
        let mut got = attrs.keys();
        got.sort();
        let mut names: Vec<String> = w.keys().cloned().collect();
        names.sort();
        assert_eq!(got, names, "{what}: {side} names");
        for (k, v) in w {
            assert_attr(&attrs.get(k).unwrap(), v, &format!("{what}: {side}[{k}]"));
        }
    }
    for (side, g) in [
        ("row_graphs", ds.row_graphs()),
        ("col_graphs", ds.col_graphs()),
    ] {
        if let Some(w) = want.get(side).and_then(Value::as_object) {
            assert_eq!(g.keys().len(), w.len(), "{what}: {side}");
            for (k, v) in w {
                assert_eq!(
                    edges(&g.get(k).unwrap()),
                    json_edges(v),
                    "{what}: {side}[{k}]"
                );
            }
        }
    }
}
