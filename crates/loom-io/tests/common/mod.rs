//! Shared helpers: the fixtures, a loom file as the JSON that fixtures/io/generate.py's
//! `dump_loom` writes, and a value-by-value comparison.

#![allow(dead_code, clippy::unwrap_used)]

use std::path::PathBuf;

use loom_core::{AttrValues, LoomConnection};
use serde_json::{json, Map, Value};

pub fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/io")
        .join(name)
}

pub fn expected(name: &str) -> Value {
    let text = std::fs::read_to_string(fixture(name)).unwrap();
    serde_json::from_str(&text).unwrap()
}

pub fn attr_json(v: &AttrValues) -> Value {
    match v {
        AttrValues::Str(a) => nd_json(a.shape(), a.iter().map(|s| json!(s)).collect()),
        AttrValues::Bool(a) => nd_json(a.shape(), a.iter().map(|b| json!(*b)).collect()),
        AttrValues::Int { values, .. } => {
            nd_json(values.shape(), values.iter().map(|x| json!(x)).collect())
        }
        AttrValues::UInt { values, .. } => {
            nd_json(values.shape(), values.iter().map(|x| json!(x)).collect())
        }
        AttrValues::Float { values, .. } => {
            nd_json(values.shape(), values.iter().map(|x| json!(x)).collect())
        }
        AttrValues::Compound(_) => json!("compound"),
    }
}

fn nd_json(shape: &[usize], flat: Vec<Value>) -> Value {
    match shape {
        [] => flat.into_iter().next().unwrap_or(Value::Null),
        [_] => Value::Array(flat),
        _ => {
            let inner: usize = shape[1..].iter().product();
            Value::Array(
                flat.chunks(inner.max(1))
                    .map(|c| nd_json(&shape[1..], c.to_vec()))
                    .collect(),
            )
        }
    }
}

pub fn loom_json(ds: &LoomConnection) -> Value {
    let (n, m) = ds.shape();
    let mut layers = Map::new();
    for k in ds.layers().keys().unwrap() {
        let a = ds.layers().read::<f64>(&k, .., ..).unwrap();
        let rows: Vec<Value> = a.rows().into_iter().map(|r| json!(r.to_vec())).collect();
        layers.insert(
            k.clone(),
            json!({"dtype": ds.layers().dtype(&k).unwrap(), "data": rows}),
        );
    }
    let attrs = |a: loom_core::Attrs| -> Value {
        let mut o = Map::new();
        for (k, v) in a.items().unwrap() {
            o.insert(k, attr_json(&v));
        }
        Value::Object(o)
    };
    let mut globals = Map::new();
    for (k, v) in ds.attrs().items().unwrap() {
        if !["CreationDate", "LOOM_SPEC_VERSION", "last_modified"].contains(&k.as_str()) {
            globals.insert(k, attr_json(&v));
        }
    }
    let graphs = |g: loom_core::GraphManager| -> Value {
        let mut o = Map::new();
        for k in g.keys() {
            let (r, c, w) = g.edges(&k).unwrap();
            o.insert(k, json!([r, c, w]));
        }
        Value::Object(o)
    };
    json!({
        "shape": [n, m],
        "layers": layers,
        "ra": attrs(ds.ra()),
        "ca": attrs(ds.ca()),
        "attrs": globals,
        "row_graphs": graphs(ds.row_graphs()),
        "col_graphs": graphs(ds.col_graphs()),
    })
}

/// Compares value by value (numbers within 1e-6 relative), pushing differences.
pub fn compare(path: &str, e: &Value, a: &Value, out: &mut Vec<String>) {
    if out.len() > 30 {
        return;
    }
    match (e, a) {
        (Value::Number(x), Value::Number(y)) => {
            let (x, y) = (x.as_f64().unwrap(), y.as_f64().unwrap());
            if (x - y).abs() > 1e-6 * x.abs().max(1.0) {
                out.push(format!("{path}: expected {x}, got {y}"));
            }
        }
        (Value::Bool(x), Value::Number(y)) | (Value::Number(y), Value::Bool(x)) => {
            if f64::from(u8::from(*x)) != y.as_f64().unwrap() {
                out.push(format!("{path}: expected {x}, got {y}"));
            }
        }
        (Value::Array(x), Value::Array(y)) => {
            if x.len() != y.len() {
                out.push(format!("{path}: length {} vs {}", x.len(), y.len()));
                return;
            }
            for (i, (x, y)) in x.iter().zip(y).enumerate() {
                compare(&format!("{path}[{i}]"), x, y, out);
            }
        }
        (Value::Object(x), Value::Object(y)) => {
            for (k, v) in x {
                match y.get(k) {
                    Some(w) => compare(&format!("{path}.{k}"), v, w, out),
                    None => out.push(format!("{path}.{k}: missing")),
                }
            }
            for k in y.keys().filter(|k| !x.contains_key(*k)) {
                out.push(format!("{path}.{k}: unexpected"));
            }
        }
        _ if e == a => {}
        _ => out.push(format!("{path}: expected {e}, got {a}")),
    }
}

pub fn assert_same(expected: &Value, actual: &Value) {
    let mut out = Vec::new();
    compare("", expected, actual, &mut out);
    assert!(out.is_empty(), "{}", out.join("\n"));
}

/// A fresh loom file in a temp dir.
pub fn temp_loom(dir: &std::path::Path, name: &str) -> (PathBuf, LoomConnection) {
    let p = dir.join(name);
    let ds = loom_core::new(&p).unwrap();
    (p, ds)
}

/// A fresh directory, deleted (with what is in it) when dropped.
pub fn tempdir(name: &str) -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix(&format!("loom-io-{name}-"))
        .tempdir()
        .unwrap()
}
