//! Shared helpers of the workspace-level compatibility suites in `tests/tests/`.

use std::path::{Path, PathBuf};

use serde_json::Value as Json;

pub mod sizes;

/// The `fixtures/` folder at the workspace root.
pub fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("fixtures")
}

/// Every fixture that has an expected JSON beside it, as (file, expected JSON file).
pub fn fixtures() -> Vec<(PathBuf, PathBuf)> {
    let mut out: Vec<(PathBuf, PathBuf)> = std::fs::read_dir(fixtures_dir())
        .map(|rd| {
            rd.filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "json"))
                .filter_map(|json| {
                    let file = json.with_extension("");
                    file.is_file().then_some((file, json))
                })
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

/// Compares `actual` with `expected` value by value, pushing a line per difference.
///
/// Numbers compare by value (an integer equals the same float); an expected
/// `"error": true` is satisfied by any error message where the data would be.
pub fn compare(path: &str, expected: &Json, actual: &Json, out: &mut Vec<String>) {
    if out.len() > 50 {
        return;
    }
    match (expected, actual) {
        (Json::Number(a), Json::Number(b)) => {
            let same = match (a.as_i64(), b.as_i64(), a.as_u64(), b.as_u64()) {
                (Some(x), Some(y), _, _) => x == y,
                (_, _, Some(x), Some(y)) => x == y,
                _ => a.as_f64() == b.as_f64(),
            };
            if !same {
                out.push(format!("{path}: expected {a}, got {b}"));
            }
        }
        (Json::Object(e), Json::Object(a)) => {
            if e.get("error") == Some(&Json::Bool(true)) {
                if !a.contains_key("error") {
                    out.push(format!("{path}: expected a read error, got data"));
                }
                for (k, v) in e.iter().filter(|(k, _)| *k != "error" && *k != "data") {
                    match a.get(k) {
                        Some(av) => compare(&format!("{path}.{k}"), v, av, out),
                        None => out.push(format!("{path}.{k}: missing")),
                    }
                }
                return;
            }
            for (k, v) in e {
                match a.get(k) {
                    Some(av) => compare(&format!("{path}.{k}"), v, av, out),
                    None => out.push(format!("{path}.{k}: missing")),
                }
            }
            for k in a.keys().filter(|k| !e.contains_key(*k)) {
                out.push(format!("{path}.{k}: unexpected"));
            }
        }
        (Json::Array(e), Json::Array(a)) => {
            if e.len() != a.len() {
                out.push(format!(
                    "{path}: expected {} items, got {}",
                    e.len(),
                    a.len()
                ));
                return;
            }
            for (i, (ev, av)) in e.iter().zip(a).enumerate() {
                compare(&format!("{path}[{i}]"), ev, av, out);
            }
        }
        (e, a) if e == a => {}
        (e, a) => out.push(format!("{path}: expected {}, got {}", short(e), short(a))),
    }
}

fn short(v: &Json) -> String {
    let s = v.to_string();
    match s.char_indices().nth(120) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s,
    }
}
