//! `cargo xtask crosscheck-sqlite`: loom-io's SQLite reader (loompy's sample databases)
//! against loompy's `load_sample_metadata` on seeded random databases made by Python's
//! sqlite3 (`xtask/crosscheck/sqlite_random.py`).

use std::path::Path;

use loom_io::metadata::sample_metadata;
use loom_io::sqlite::Value;
use serde_json::{json, Value as Json};

use crate::seeded::Seeded;
use crate::Workspace;

/// Usage text for `cargo xtask crosscheck-sqlite --help`.
pub const USAGE: &str = "\
usage: cargo xtask crosscheck-sqlite [--seed N] [--count K] [--keep] [--python PY]

For each of K seeds from N (default: 20 seeds from 1), xtask/crosscheck/sqlite_random.py
writes a random samples.db with Python's sqlite3 (page sizes 512-65536, UTF-8/16
encodings, auto_vacuum, random schemas, types, collations, rowid aliases, long text and
blobs on overflow pages, deletes, updates, an index, ALTER TABLE ADD COLUMN defaults)
and the names to look up. loom-io answers each lookup
(loom_io::metadata::sample_metadata) into ours.json; the script compares every answer
with loompy.load_sample_metadata's: the same keys, value types and values, or an error
where loompy raises one. Cases go to target/tmp/crosscheck-sqlite/ and are deleted when
they pass (kept with --keep, or when one fails). Exits non-zero on any failure.

  --python PY   the interpreter (loompy); default the pinned venv target/xtask-venv";

/// A value as the check script reads it: reals as their exact decimal text (JSON has
/// no infinity), blobs as hex.
fn value_json(v: &Value) -> Json {
    match v {
        Value::Null => Json::Null,
        Value::Integer(i) => json!(i),
        Value::Real(f) => json!({ "real": f.to_string() }),
        Value::Text(s) => json!(s),
        Value::Blob(b) => {
            let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
            json!({ "blob": hex })
        }
    }
}

/// loom-io's answers for every name of queries.json, into ours.json.
fn answer(dir: &Path) -> Result<(), String> {
    let text = std::fs::read_to_string(dir.join("queries.json")).map_err(|e| e.to_string())?;
    let queries: Vec<String> = serde_json::from_str(&text).map_err(|e| e.to_string())?;
    let db = dir.join("samples.db");
    let answers: Vec<Json> = queries
        .iter()
        .map(|q| match sample_metadata(&db, q) {
            Ok(row) => json!({
                "row": row.iter().map(|(k, v)| json!([k, value_json(v)])).collect::<Vec<_>>()
            }),
            Err(e) => json!({ "error": e.to_string() }),
        })
        .collect();
    std::fs::write(dir.join("ours.json"), Json::Array(answers).to_string())
        .map_err(|e| e.to_string())
}

/// Entry point of `cargo xtask crosscheck-sqlite`.
pub fn run(ws: &Workspace, args: &[String]) -> Result<(), String> {
    let seeded = Seeded::parse(ws, args, "crosscheck-sqlite", "sqlite_random.py", 20, USAGE)?;
    seeded.run("loompy", |dir| {
        Ok(answer(dir)
            .err()
            .map(|e| format!("FAIL loom-io answers: {e}"))
            .into_iter()
            .collect())
    })
}
