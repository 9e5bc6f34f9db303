//! `loom info FILE [--json]`: a loom file at a glance, like loompy's notebook view.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use loom_core::{AttrValues, Axis, LoomConnection, LoomError, Mode};
use serde_json::{json, Map, Value as Json};

use crate::h5::json::dtype;
use crate::h5::ls::dtype_text;
use crate::open::{is_loom, not_loom};
use crate::output::{Failure, Outcome};

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

/// An attribute's values as JSON: nested arrays of numbers or strings, a bare value for a
/// scalar, an object of fields for a compound.
pub fn values_json(v: &AttrValues) -> Json {
    fn nested<T: Clone>(a: &loom_core::ndarray::ArrayD<T>, f: &dyn Fn(&T) -> Json) -> Json {
        match a.ndim() {
            0 => a.iter().next().map_or(Json::Null, f),
            1 => Json::Array(a.iter().map(f).collect()),
            _ => Json::Array(
                a.outer_iter()
                    .map(|row| nested(&row.to_owned(), f))
                    .collect(),
            ),
        }
    }
    let float = |x: &f64| crate::h5::json::value(hdf5_lite::read::Value::Float(*x));
    match v {
        AttrValues::Int { values, .. } => nested(values, &|x| json!(x)),
        AttrValues::UInt { values, .. } => nested(values, &|x| json!(x)),
        AttrValues::Float { values, .. } => nested(values, &float),
        AttrValues::Bool(values) => nested(values, &|x| json!(x)),
        AttrValues::Str(values) => nested(values, &|x| json!(x)),
        AttrValues::Compound(fields) => Json::Object(
            fields
                .iter()
                .map(|(k, f)| (k.clone(), values_json(f)))
                .collect(),
        ),
    }
}

/// The first few values of an attribute, as text (of a compound, the first few values
/// of its first few fields).
fn preview(v: &AttrValues) -> String {
    if let AttrValues::Compound(fields) = v {
        let shown: Vec<String> = fields
            .iter()
            .take(CORNER as usize)
            .map(|(k, f)| format!("{}: [{}]", Json::from(k.as_str()), preview(f)))
            .collect();
        let more = if fields.len() > CORNER as usize {
            ", …"
        } else {
            ""
        };
        return format!("{{{}{more}}}", shown.join(", "));
    }
    let flat: Vec<Json> = match values_json(v) {
        Json::Array(items) => items,
        other => vec![other],
    };
    let shown: Vec<String> = flat
        .iter()
        .take(CORNER as usize)
        .map(Json::to_string)
        .collect();
    let more = if flat.len() > CORNER as usize || v.ndim() > 1 {
        ", …"
    } else {
        ""
    };
    format!("{}{more}", shown.join(", "))
}

/// `loom info`: a loom file at a glance: shape, layers, attributes, graphs, global
/// attributes and the corner of the matrix.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The loom file.
    pub file: PathBuf,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
}

/// Runs `loom info`, writing to `out`.
pub fn run(args: &Args, out: &mut dyn std::io::Write) -> Outcome {
    let info = info(&args.file).map_err(|e| Failure::about(args.file.display(), e))?;
    if args.json {
        writeln!(out, "{}", info.json)?;
    } else {
        write!(out, "{}", info.text)?;
    }
    Ok(ExitCode::SUCCESS)
}

/// Gathers the report for the file at `path` (opened read-only, without validation, so
/// files loompy's validator rejects are still described). An HDF5 file that is not laid
/// out as a loom file at all (see [`is_loom`]) is an error.
pub fn info(path: &std::path::Path) -> loom_core::Result<Info> {
    let ds = LoomConnection::open(path, Mode::Read, false)?;
    if !is_loom(&ds.hdf5()) {
        return Err(LoomError::InvalidInput(not_loom(path)));
    }
    Ok(describe(&ds))
}

/// The report for an open connection.
pub fn describe(ds: &LoomConnection) -> Info {
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
    for name in ds.layers().keys().unwrap_or_default() {
        let Ok(d) = ds.layers().dataset(&name) else {
            continue;
        };
        let label = if name.is_empty() {
            "\"\" (main)".to_owned()
        } else {
            format!("{name:<10}")
        };
        layer_lines.push(format!("  {label} {}", dtype_text(d.datatype())));
        layers.insert(name, json!({"dtype": dtype(d.datatype())}));
    }
    let _ = writeln!(text, "\nlayers:\n{}", layer_lines.join("\n"));
    out.insert("layers".into(), Json::Object(layers));

    for (axis, key, title) in [
        (Axis::Rows, "row_attrs", "row attributes"),
        (Axis::Cols, "col_attrs", "column attributes"),
    ] {
        let mut attrs = Map::new();
        let _ = writeln!(text, "\n{title}:");
        let manager = ds.axis_attrs(axis);
        for name in manager.keys() {
            let Ok(info) = manager.info(&name) else {
                continue;
            };
            let shown = match manager.get(&name) {
                Ok(v) => preview(&v),
                Err(e) => format!("(unreadable: {e})"),
            };
            let _ = writeln!(
                text,
                "  {name:<16} {:<24} {shown}",
                dtype_text(&info.datatype)
            );
            attrs.insert(
                name,
                json!({"dtype": dtype(&info.datatype), "shape": info.shape}),
            );
        }
        out.insert(key.into(), Json::Object(attrs));
    }

    for (axis, key, title) in [
        (Axis::Rows, "row_graphs", "row graphs"),
        (Axis::Cols, "col_graphs", "column graphs"),
    ] {
        let mut graphs = Map::new();
        let _ = writeln!(text, "\n{title}:");
        let manager = ds.graphs(axis);
        for name in manager.keys() {
            let edges = manager.edge_count(&name).unwrap_or(0);
            let _ = writeln!(text, "  {name:<16} {edges} edges");
            graphs.insert(name, json!({"edges": edges}));
        }
        out.insert(key.into(), Json::Object(graphs));
    }

    let mut attrs = Map::new();
    for name in ds.attrs().keys() {
        if name == loom_core::layout::LAST_MODIFIED && ds.attrs().is_legacy_layout() {
            continue;
        }
        let value = ds
            .attrs()
            .get(&name)
            .map_or(Json::Null, |v| values_json(&v));
        attrs.insert(name, value);
    }
    let _ = writeln!(text, "\nglobal attributes:");
    for (k, v) in &attrs {
        let _ = writeln!(text, "  {k:<20} {}", short(v));
    }
    out.insert("attrs".into(), Json::Object(attrs));

    if ds.layers().contains("") {
        let (r, c) = (n.min(CORNER), m.min(CORNER));
        if let Ok(corner) = ds.read::<f64>(0..r, 0..c) {
            let _ = writeln!(text, "\nmatrix[:{r}, :{c}]:");
            for row in corner.rows() {
                let cells: Vec<String> = row.iter().map(|v| format!("{v:>10.4}")).collect();
                let _ = writeln!(text, "  {}", cells.join(" "));
            }
        }
    }
    let mut validator = loom_core::LoomValidator::new();
    if validator.validate_file(&ds.hdf5(), loom_core::Strictness::SpecOnly) {
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
