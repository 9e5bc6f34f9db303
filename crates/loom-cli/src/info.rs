//! `loom info FILE [--json]`: a loom file at a glance, like loompy's notebook view.

use std::fmt::Write as _;

use hdf5_lite::read::{Dataset, File, Group, Object};
use loom_core::{LoomConnection, Mode};
use serde_json::{json, Map, Value as Json};

use crate::h5::json::{dtype, shaped};
use crate::h5::ls::dtype_text;

/// Rows and columns of the matrix corner shown, and values shown per attribute.
const CORNER: u64 = 5;

/// Everything `loom info` reports, gathered once for both output forms.
#[derive(Debug)]
pub struct Info {
    /// The JSON document (`--json`).
    pub json: Json,
    /// The text form.
    pub text: String,
}

/// The members of `group` that `pick` accepts, by name (none if the group is missing).
fn members<T>(file: &File, group: &str, pick: impl Fn(Object) -> Option<T>) -> Vec<(String, T)> {
    let Ok(g) = file.group(group) else {
        return Vec::new();
    };
    g.members()
        .unwrap_or_default()
        .into_iter()
        .filter_map(|(name, obj)| obj.ok().and_then(&pick).map(|t| (name, t)))
        .collect()
}

fn datasets(file: &File, group: &str) -> Vec<(String, Dataset)> {
    members(file, group, |o| match o {
        Object::Dataset(d) => Some(d),
        _ => None,
    })
}

fn groups(file: &File, group: &str) -> Vec<(String, Group)> {
    members(file, group, |o| match o {
        Object::Group(g) => Some(g),
        _ => None,
    })
}

/// A few values of a 1-D or 2-D attribute, as text.
fn preview(d: &Dataset) -> String {
    let n = d.shape().first().copied().unwrap_or(0).min(CORNER);
    let mut count = d.shape().to_vec();
    if let Some(first) = count.first_mut() {
        *first = n;
    }
    let sel = hdf5_lite::read::Hyperslab {
        start: vec![0; count.len()],
        count,
    };
    match d.read_values_slice(&sel) {
        Ok(values) => {
            let shown: Vec<String> = values
                .into_iter()
                .take(CORNER as usize)
                .map(|v| crate::h5::json::value(v).to_string())
                .collect();
            let more = if d.shape().iter().product::<u64>() > CORNER {
                ", …"
            } else {
                ""
            };
            format!("{}{more}", shown.join(", "))
        }
        Err(e) => format!("(unreadable: {e})"),
    }
}

/// Gathers the report for the file at `path` (opened read-only, without validation, so
/// files loompy's validator rejects are still described).
#[cfg(unix)]
pub fn info(path: &std::path::Path) -> loom_core::Result<Info> {
    let ds = LoomConnection::open(path, Mode::Read, false)?;
    Ok(describe(&ds))
}

/// The report for an open connection.
pub fn describe(ds: &LoomConnection) -> Info {
    let file = ds.hdf5();
    let (n, m) = ds.shape();
    let mut text = String::new();
    let mut out = Map::new();
    out.insert("shape".into(), json!([n, m]));
    out.insert("spec_version".into(), json!(ds.spec_version()));
    let _ = writeln!(
        text,
        "{}: {n} rows x {m} columns, loom spec {}",
        ds.path().display(),
        ds.spec_version()
    );

    let mut layers = Map::new();
    let mut layer_lines = Vec::new();
    if let Ok(matrix) = file.dataset("/matrix") {
        layers.insert(String::new(), json!({"dtype": dtype(matrix.datatype())}));
        layer_lines.push(format!("  \"\" (main)  {}", dtype_text(matrix.datatype())));
    }
    for (name, d) in datasets(file, "/layers") {
        layer_lines.push(format!("  {name:<10} {}", dtype_text(d.datatype())));
        layers.insert(name, json!({"dtype": dtype(d.datatype())}));
    }
    let _ = writeln!(text, "\nlayers:\n{}", layer_lines.join("\n"));
    out.insert("layers".into(), Json::Object(layers));

    for (key, group, title) in [
        ("row_attrs", "/row_attrs", "row attributes"),
        ("col_attrs", "/col_attrs", "column attributes"),
    ] {
        let mut attrs = Map::new();
        let _ = writeln!(text, "\n{title}:");
        for (name, d) in datasets(file, group) {
            let _ = writeln!(
                text,
                "  {name:<16} {:<24} {}",
                dtype_text(d.datatype()),
                preview(&d)
            );
            attrs.insert(
                name,
                json!({"dtype": dtype(d.datatype()), "shape": d.shape()}),
            );
        }
        out.insert(key.into(), Json::Object(attrs));
    }

    for (key, group, title) in [
        ("row_graphs", "/row_graphs", "row graphs"),
        ("col_graphs", "/col_graphs", "column graphs"),
    ] {
        let mut graphs = Map::new();
        let _ = writeln!(text, "\n{title}:");
        for (name, g) in groups(file, group) {
            let edges = g
                .dataset("a")
                .map(|a| a.shape().first().copied().unwrap_or(0))
                .unwrap_or(0);
            let _ = writeln!(text, "  {name:<16} {edges} edges");
            graphs.insert(name, json!({"edges": edges}));
        }
        out.insert(key.into(), Json::Object(graphs));
    }

    // Global attributes: datasets in /attrs (spec 3), attributes of the root group (spec 2).
    let mut attrs = Map::new();
    for (name, d) in datasets(file, "/attrs") {
        let value = d
            .read_values()
            .map(|v| shaped(v, d.shape()))
            .unwrap_or(Json::Null);
        attrs.insert(name, value);
    }
    if let Ok(root) = file.root() {
        for a in root.attributes().unwrap_or_default() {
            if a.name() == "last_modified" {
                continue;
            }
            let value = match (a.shape(), a.values()) {
                (Some(shape), Ok(v)) => shaped(v, shape),
                _ => Json::Null,
            };
            attrs.insert(a.name().to_owned(), value);
        }
    }
    let _ = writeln!(text, "\nglobal attributes:");
    for (k, v) in &attrs {
        let _ = writeln!(text, "  {k:<20} {}", short(v));
    }
    out.insert("attrs".into(), Json::Object(attrs));

    if let Ok(matrix) = file.dataset("/matrix") {
        let (r, c) = (n.min(CORNER), m.min(CORNER));
        if let Ok(corner) = matrix.read_slice::<f64>(&[0, 0], &[r, c]) {
            let _ = writeln!(text, "\nmatrix[:{r}, :{c}]:");
            for row in corner.rows() {
                let cells: Vec<String> = row.iter().map(|v| format!("{v:>10.4}")).collect();
                let _ = writeln!(text, "  {}", cells.join(" "));
            }
        }
    }
    let mut validator = loom_core::LoomValidator::new();
    if validator.validate_file(file, loom_core::Strictness::SpecOnly) {
        let _ = writeln!(text, "\nloompy's validator (speconly): valid");
    } else {
        let _ = writeln!(text, "\nloompy's validator (speconly): not valid");
        for e in validator.errors() {
            let _ = writeln!(text, "  {e}");
        }
    }
    Info {
        json: Json::Object(out),
        text,
    }
}

fn short(v: &Json) -> String {
    let s = v.to_string();
    match s.char_indices().nth(70) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s,
    }
}
