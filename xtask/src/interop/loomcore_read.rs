//! The reverse of `loomcore.rs`: `xtask/interop/loompy_dump.py` dumps every loom fixture
//! as loompy 3.0.8 reads it, and loom-core reads each fixture through its public API
//! (`LoomConnection::open(path, Mode::Read, false)`, `layers().read`, `ra().get`,
//! `row_graphs().edges`, `attrs().get`) and compares value by value.
//!
//! Documented divergences, accounted for here and in the dump:
//! - strings: loom-core keeps non-ASCII characters of variable-length UTF-8 strings, which
//!   loompy drops; the dump therefore holds the stored UTF-8 (read with h5py) and checks
//!   separately that loompy's value is that string stripped as loompy documents;
//! - compound attributes (pySCENIC's `Regulons`) are `AttrValues::Compound`, one array
//!   per field, compared with loompy's structured array field by field;
//! - loompy returns bools stored as `uint8` as `uint8`, so does loom-core: no divergence.

use std::path::Path;

use loom_core::{AttrValues, LoomConnection, Mode};
use serde_json::{json, Map, Value};

/// `{"dtype", "shape", "values"}` (values flattened in C order; bools as stored, 0/1).
pub fn values_json(v: &AttrValues) -> Value {
    let shape: Vec<usize> = v.shape().to_vec();
    let flat = |it: Vec<Value>| Value::Array(it);
    let (dtype, values) = match v {
        AttrValues::Int { values, .. } => (
            v.dtype().name(),
            flat(values.iter().map(|&x| json!(x)).collect()),
        ),
        AttrValues::UInt { values, .. } => (
            v.dtype().name(),
            flat(values.iter().map(|&x| json!(x)).collect()),
        ),
        AttrValues::Float { values, .. } => (
            v.dtype().name(),
            flat(values.iter().map(|&x| float(x)).collect()),
        ),
        AttrValues::Bool(values) => (
            "uint8",
            flat(values.iter().map(|&x| json!(u8::from(x))).collect()),
        ),
        AttrValues::Str(values) => ("str", flat(values.iter().map(|x| json!(x)).collect())),
        AttrValues::Compound(fields) => {
            let f: Map<String, Value> = fields
                .iter()
                .map(|(n, v)| (n.clone(), values_json(v)))
                .collect();
            return json!({"dtype": "compound", "shape": shape, "fields": f});
        }
    };
    json!({"dtype": dtype, "shape": shape, "values": values})
}

/// A float as JSON: a number, or "nan"/"inf"/"-inf" (JSON has no such numbers).
pub fn float(x: f64) -> Value {
    if x.is_nan() {
        json!("nan")
    } else if x.is_infinite() {
        json!(if x > 0.0 { "inf" } else { "-inf" })
    } else {
        json!(x)
    }
}

/// Two JSON values equal as dumped values: numbers compared exactly (integers as
/// integers, floats as f64), "nan" equal to "nan".
pub fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            if x.is_f64() || y.is_f64() {
                x.as_f64() == y.as_f64()
            } else if let (Some(p), Some(q)) = (x.as_i64(), y.as_i64()) {
                p == q
            } else {
                x.as_u64() == y.as_u64() && x.as_u64().is_some()
            }
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same(p, q))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
        _ => a == b,
    }
}

/// Where two dumped values first differ, for the report.
fn first_difference(want: &Value, got: &Value) -> String {
    for key in ["dtype", "shape"] {
        if !same(&want[key], &got[key]) {
            return format!("{key}: loompy {} / loom-core {}", want[key], got[key]);
        }
    }
    if let (Some(w), Some(g)) = (want["fields"].as_object(), got["fields"].as_object()) {
        if let Some((k, v)) = w
            .iter()
            .find(|(k, v)| !g.get(*k).is_some_and(|x| same(v, x)))
        {
            return match g.get(k) {
                Some(x) => format!("field {k}: {}", first_difference(v, x)),
                None => format!("field {k} missing in loom-core"),
            };
        }
    }
    if let (Some(w), Some(g)) = (want["values"].as_array(), got["values"].as_array()) {
        if w.len() != g.len() {
            return format!("{} values / {}", w.len(), g.len());
        }
        if let Some(i) = (0..w.len()).find(|&i| !same(&w[i], &g[i])) {
            return format!("element {i}: loompy {} / loom-core {}", w[i], g[i]);
        }
    }
    let short = |v: &Value| v.to_string().chars().take(160).collect::<String>();
    format!("loompy {} / loom-core {}", short(want), short(got))
}

fn layer_json(ds: &LoomConnection, name: &str) -> Result<Value, String> {
    let layers = ds.layers();
    let dtype = layers.dtype(name).map_err(|e| e.to_string())?;
    let e = |e: loom_core::LoomError| e.to_string();
    let (shape, values): (Vec<usize>, Vec<Value>) = if dtype.starts_with("int") {
        let a = layers.read::<i64>(name, .., ..).map_err(e)?;
        (a.shape().to_vec(), a.iter().map(|&x| json!(x)).collect())
    } else if dtype.starts_with("uint") {
        let a = layers.read::<u64>(name, .., ..).map_err(e)?;
        (a.shape().to_vec(), a.iter().map(|&x| json!(x)).collect())
    } else {
        let a = layers.read::<f64>(name, .., ..).map_err(e)?;
        (a.shape().to_vec(), a.iter().map(|&x| float(x)).collect())
    };
    Ok(json!({"dtype": dtype, "shape": shape, "values": values}))
}

fn keys_of(v: &Value) -> Vec<String> {
    let mut k: Vec<String> = v
        .as_object()
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default();
    k.sort();
    k
}

/// Compares one dumped file with loom-core's reading of `path`; returns (passed, failures).
pub fn compare(path: &Path, want: &Value) -> (usize, Vec<String>) {
    let name = path
        .file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    let mut passed = 0;
    let mut failed = Vec::new();
    let ds = match LoomConnection::open(path, Mode::Read, false) {
        Ok(ds) => ds,
        Err(e) => return (0, vec![format!("{name}: loom-core cannot open it: {e}")]),
    };
    let mut check = |what: String, r: Result<(), String>| match r {
        Ok(()) => passed += 1,
        Err(e) => failed.push(format!("{name}: {what}: {e}")),
    };
    // loompy's validator accepted the file exactly when the dump has no notes; loom-core's
    // (spec-only, as loompy's connect) must agree.
    let loompy_valid = want["notes"].as_array().is_some_and(Vec::is_empty);
    let ours = LoomConnection::open(path, Mode::Read, true);
    check(
        "validation agrees with loompy's".into(),
        match (&ours, loompy_valid) {
            (Ok(_), true) | (Err(_), false) => Ok(()),
            (Ok(_), false) => Err(format!(
                "loompy rejects it ({}), loom-core accepts it",
                want["notes"]
            )),
            (Err(e), true) => Err(format!("loompy accepts it, loom-core rejects it: {e}")),
        },
    );
    drop(ours);
    let (n, m) = ds.shape();
    check(
        "shape".into(),
        if same(&want["shape"], &json!([n, m])) {
            Ok(())
        } else {
            Err(format!("loompy {} / loom-core [{n}, {m}]", want["shape"]))
        },
    );
    let mut sorted = |mut v: Vec<String>| {
        v.sort();
        v
    };
    // Layers.
    let keys = ds.layers().keys().map(&mut sorted);
    check(
        "layer keys".into(),
        match &keys {
            Ok(k) if *k == keys_of(&want["layers"]) => Ok(()),
            Ok(k) => Err(format!(
                "loompy {:?} / loom-core {k:?}",
                keys_of(&want["layers"])
            )),
            Err(e) => Err(e.to_string()),
        },
    );
    for k in keys_of(&want["layers"]) {
        let w = &want["layers"][&k];
        let r = layer_json(&ds, &k).and_then(|g| {
            if same(w, &g) {
                Ok(())
            } else {
                Err(first_difference(w, &g))
            }
        });
        check(format!("layer {k:?}"), r);
    }
    // Row and column attributes.
    for (section, attrs) in [("ra", ds.ra()), ("ca", ds.ca())] {
        let mut got_keys = attrs.keys();
        got_keys.sort();
        let want_keys = keys_of(&want[section]);
        check(
            format!("{section} keys"),
            if got_keys == want_keys {
                Ok(())
            } else {
                Err(format!("loompy {want_keys:?} / loom-core {got_keys:?}"))
            },
        );
        for k in want_keys {
            let w = &want[section][&k];
            let r = attrs.get(&k).map_err(|e| e.to_string()).and_then(|v| {
                let g = values_json(&v);
                if same(w, &g) {
                    Ok(())
                } else {
                    Err(first_difference(w, &g))
                }
            });
            check(format!("{section}.{k}"), r);
        }
    }
    // Graphs.
    for (section, graphs) in [
        ("row_graphs", ds.row_graphs()),
        ("col_graphs", ds.col_graphs()),
    ] {
        let mut got_keys = graphs.keys();
        got_keys.sort();
        let want_keys = keys_of(&want[section]);
        check(
            format!("{section} keys"),
            if got_keys == want_keys {
                Ok(())
            } else {
                Err(format!("loompy {want_keys:?} / loom-core {got_keys:?}"))
            },
        );
        for k in want_keys {
            let w = &want[section][&k];
            let r = graphs.edges(&k).map_err(|e| e.to_string()).and_then(|(a, b, wt)| {
                let g = json!({"a": a, "b": b, "w": wt.iter().map(|&x| float(x)).collect::<Vec<_>>()});
                if same(w, &g) {
                    Ok(())
                } else {
                    Err(format!("COO differs: loompy {} edges / loom-core {}", w["a"].as_array().map_or(0, Vec::len), a.len()))
                }
            });
            check(format!("{section}.{k}"), r);
        }
    }
    // Global attributes.
    let attrs = ds.attrs();
    let mut got_keys = attrs.keys();
    got_keys.sort();
    let want_keys = keys_of(&want["globals"]);
    check(
        "global keys".into(),
        if got_keys == want_keys {
            Ok(())
        } else {
            Err(format!("loompy {want_keys:?} / loom-core {got_keys:?}"))
        },
    );
    for k in want_keys {
        let w = &want["globals"][&k];
        let r = attrs
            .get(&k)
            .map_err(|e| e.to_string())
            .and_then(|v: AttrValues| {
                let g = values_json(&v);
                if same(w, &g) {
                    Ok(())
                } else {
                    Err(first_difference(w, &g))
                }
            });
        check(format!("attrs.{k}"), r);
    }
    (passed, failed)
}

/// Compares every file of the dump (`loompy_dump.json`).
pub fn compare_dump(dump: &Path) -> (usize, Vec<String>) {
    let text = match std::fs::read_to_string(dump) {
        Ok(t) => t,
        Err(e) => return (0, vec![format!("cannot read {}: {e}", dump.display())]),
    };
    let v: Value = match serde_json::from_str(&text) {
        Ok(v) => v,
        Err(e) => return (0, vec![format!("{}: {e}", dump.display())]),
    };
    let mut passed = 0;
    let mut failed = Vec::new();
    for f in v["files"].as_array().map_or(&[][..], Vec::as_slice) {
        let path = Path::new(f["file"].as_str().unwrap_or(""));
        let (p, fl) = compare(path, f);
        passed += p;
        failed.extend(fl);
    }
    (passed, failed)
}
