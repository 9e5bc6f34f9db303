//! `cargo xtask crosscheck-ops`: loom-core's file operations against loompy 3.0.8 on
//! random inputs the tests never saw. For each seed, `fixtures/ops_random.py` writes
//! two random .loom files and loompy's results of add_loom (key, convert_attrs),
//! combine (key), combine_faster (key, a selection), permute and map; the same
//! operations run here through loom-core on the same files, and the main matrix, the
//! column attributes and the global attributes must be equal.

use std::path::{Path, PathBuf};
use std::process::Command;

use loom_core::ops::{
    combine, combine_faster, AddLoomOptions, CombineFasterOptions, CombineOptions,
};
use loom_core::{connect, AttrValues, Axis, LoomError, Mode, Selection};
use serde_json::{json, Value};

use crate::util;
use crate::Workspace;

/// Usage text for `cargo xtask crosscheck-ops --help`.
pub const USAGE: &str = "\
usage: cargo xtask crosscheck-ops [--seed N] [--count K] [--python PY] [--keep]

For seeds N..N+K (default 1, 5): fixtures/ops_random.py writes two random .loom
files and loompy's results of add_loom(key, convert_attrs), combine(key),
combine_faster(key, selections), permute and map into target/tmp/crosscheck-ops/SEED;
loom-core runs the same operations on the same files and every matrix, column
attribute and global attribute must be equal. Prints OK/FAIL per seed with the first
differences; exits non-zero if any seed failed. Passing seeds' directories are deleted
unless --keep.

  --python PY   the interpreter (default: the pinned venv target/xtask-venv)";

/// Global attributes that hold times or versions (they differ between runs); as column
/// attributes (convert_attrs) only their presence is compared.
const TIMES: &[&str] = &["CreationDate", "LOOM_SPEC_VERSION", "last_modified"];

/// Entry point of `cargo xtask crosscheck-ops`.
pub fn run(ws: &Workspace, args: &[String]) -> Result<(), String> {
    let (mut seed, mut count, mut python, mut keep) = (1u64, 5u64, None, false);
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut num = || -> Result<u64, String> {
            let v = it.next().ok_or(format!("{a} needs a number"))?;
            v.parse().map_err(|e| format!("{a} `{v}`: {e}"))
        };
        match a.as_str() {
            "--seed" => seed = num()?,
            "--count" => count = num()?,
            "--python" => python = Some(it.next().ok_or("--python needs a path")?.clone()),
            "--keep" => keep = true,
            s => return Err(format!("unexpected argument `{s}`\n\n{USAGE}")),
        }
    }
    let py = util::ensure_python(&ws.root, python.as_deref(), false)?;
    let script = ws.root.join("fixtures").join("ops_random.py");
    let mut failed = 0;
    for s in seed..seed + count {
        let dir = ws
            .root
            .join("target")
            .join("tmp")
            .join("crosscheck-ops")
            .join(s.to_string());
        util::run(
            Command::new(&py)
                .arg(&script)
                .arg(&dir)
                .args(["--seed", &s.to_string()]),
            "fixtures/ops_random.py failed; it needs loompy, numpy and scipy.",
        )?;
        let problems = check(&dir).unwrap_or_else(|e| vec![e]);
        if problems.is_empty() {
            println!("OK   seed {s}");
            if !keep {
                let _ = std::fs::remove_dir_all(&dir);
            }
        } else {
            failed += 1;
            println!("FAIL seed {s} ({})", dir.display());
            for p in problems.iter().take(10) {
                println!("     {p}");
            }
        }
    }
    println!("crosscheck-ops: {} passed, {failed} failed", count - failed);
    if failed == 0 {
        Ok(())
    } else {
        Err(format!("{failed} seed(s) differ from loompy"))
    }
}

/// Runs every operation on the inputs in `dir`; the differences from expected.json.
fn check(dir: &Path) -> Result<Vec<String>, String> {
    let text = std::fs::read_to_string(dir.join("expected.json")).map_err(|e| e.to_string())?;
    let exp: Value = serde_json::from_str(&text).map_err(|e| e.to_string())?;
    let (a, b) = (dir.join("a.loom"), dir.join("b.loom"));
    let e = |e: LoomError| e.to_string();
    let tmp = |name: &str| dir.join(name);
    let copy = |to: &PathBuf| std::fs::copy(&a, to).map(|_| ()).map_err(|e| e.to_string());
    let mut problems = Vec::new();

    let x = tmp("add.loom");
    copy(&x)?;
    let mut ds = connect(&x, Mode::ReadWrite).map_err(e)?;
    let opts = AddLoomOptions {
        key: Some("Gene".into()),
        convert_attrs: true,
        ..AddLoomOptions::default()
    };
    ds.add_loom(&b, &opts).map_err(e)?;
    ds.close().map_err(e)?;
    compare("add_loom", &x, &exp["add_loom"], &mut problems)?;

    let c = tmp("combined.loom");
    let opts = CombineOptions {
        key: Some("Gene".into()),
        ..CombineOptions::default()
    };
    combine(&[&a, &b], &c, &opts).map_err(e)?;
    compare("combine", &c, &exp["combine"], &mut problems)?;

    let mask: Vec<bool> = exp["combine_faster_mask"]
        .as_array()
        .ok_or("no combine_faster_mask")?
        .iter()
        .map(|v| v.as_bool().unwrap_or(false))
        .collect();
    let cf = tmp("faster.loom");
    let opts = CombineFasterOptions {
        selections: Some(vec![Some(mask), None]),
        key: Some("Gene".into()),
        ..CombineFasterOptions::default()
    };
    combine_faster(&[&a, &b], &cf, &opts).map_err(e)?;
    compare("combine_faster", &cf, &exp["combine_faster"], &mut problems)?;

    let ordering: Vec<usize> = exp["permute_ordering"]
        .as_array()
        .ok_or("no permute_ordering")?
        .iter()
        .map(|v| v.as_u64().unwrap_or(u64::MAX) as usize)
        .collect();
    let pm = tmp("permuted.loom");
    copy(&pm)?;
    let mut ds = connect(&pm, Mode::ReadWrite).map_err(e)?;
    ds.permute(&ordering, Axis::Cols).map_err(e)?;
    ds.close().map_err(e)?;
    compare("permute", &pm, &exp["permute"], &mut problems)?;

    let ds = connect(&a, Mode::Read).map_err(e)?;
    let sum = |v: ndarray::ArrayView1<f64>| v.sum();
    let max = |v: ndarray::ArrayView1<f64>| v.fold(f64::NEG_INFINITY, |m, &x| m.max(x));
    for (key, axis) in [("0", Axis::Rows), ("1", Axis::Cols)] {
        let ours = ds.map(&[&sum, &max], axis, 7, None).map_err(e)?;
        if json!(ours) != exp["map"][key] {
            problems.push(format!("map axis {key}: {ours:?} != {}", exp["map"][key]));
        }
    }
    Ok(problems)
}

/// Compares a written file with loompy's dump of its result.
fn compare(op: &str, path: &Path, want: &Value, problems: &mut Vec<String>) -> Result<(), String> {
    let e = |e: LoomError| e.to_string();
    let ds = connect(path, Mode::Read).map_err(e)?;
    let (n, m) = ds.shape();
    if json!([n, m]) != want["shape"] {
        problems.push(format!("{op}: shape {n}x{m}, loompy {}", want["shape"]));
        return Ok(());
    }
    let matrix = ds.read::<f64>(Selection::All, Selection::All).map_err(e)?;
    let rows: Vec<Vec<f64>> = matrix.outer_iter().map(|r| r.to_vec()).collect();
    if json!(rows) != want["matrix"] {
        problems.push(format!("{op}: the main matrix differs"));
    }
    let mut ca_keys = ds.ca().keys();
    ca_keys.sort();
    let mut want_keys: Vec<String> = want["ca"]
        .as_object()
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default();
    want_keys.sort();
    if ca_keys != want_keys {
        problems.push(format!(
            "{op}: column attributes {ca_keys:?}, loompy {want_keys:?}"
        ));
    }
    for k in ca_keys.iter().filter(|k| want_keys.contains(k)) {
        if TIMES.contains(&k.as_str()) {
            continue;
        }
        let ours = values(&ds.ca().get(k).map_err(e)?);
        if ours != want["ca"][k] {
            problems.push(format!(
                "{op}: column attribute {k}: {ours} != {}",
                want["ca"][k]
            ));
        }
    }
    let attrs: serde_json::Map<String, Value> = ds
        .attrs()
        .items()
        .map_err(e)?
        .into_iter()
        .filter(|(k, _)| !TIMES.contains(&k.as_str()))
        .map(|(k, v)| (k, values(&v)))
        .collect();
    if Value::Object(attrs.clone()) != want["attrs"] {
        problems.push(format!(
            "{op}: global attributes {}, loompy {}",
            Value::Object(attrs),
            want["attrs"]
        ));
    }
    Ok(())
}

/// An attribute as the script writes it: strings, or numbers as float64 (a scalar for a
/// 0-d value).
fn values(v: &AttrValues) -> Value {
    if let Some(s) = v.as_strings() {
        return if s.ndim() == 0 {
            json!(s.iter().next())
        } else {
            json!(s.iter().collect::<Vec<_>>())
        };
    }
    match v.to_f64() {
        Some(a) if a.ndim() == 0 => json!(a.iter().next()),
        Some(a) => json!(a.iter().collect::<Vec<_>>()),
        None => Value::Null,
    }
}
