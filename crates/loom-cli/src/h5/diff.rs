//! `loom h5 diff A B`: compares two files value by value, like h5diff.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use serde_json::Value as Json;

use super::dump::{dump_file, Options};

use crate::output::{Failure, Outcome};

/// `loom h5 diff`: compare two files value by value: exit 0 when equal, 1 when they
/// differ.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The first file.
    pub a: PathBuf,
    /// The second file.
    pub b: PathBuf,
}

/// Runs `loom h5 diff`, writing the differences to `out`.
pub fn run(args: &Args, out: &mut dyn std::io::Write) -> Outcome {
    let differences = diff(&args.a, &args.b)
        .map_err(|e| Failure::Error(crate::output::one_line(&e.to_string())))?;
    for line in &differences {
        writeln!(out, "{line}")?;
    }
    Ok(if differences.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// How many differing elements of one dataset or attribute are listed.
const SHOWN: usize = 10;

/// The differences between the files at `a` and `b` (empty when they hold the same
/// objects, types, shapes, attributes and values). Compares the files' full dumps, so NaN
/// equals NaN and an unreadable dataset differs from a readable one.
pub fn diff(a: &Path, b: &Path) -> hdf5_lite::Result<Vec<String>> {
    let da = dump_file(a, Options::default())?;
    let db = dump_file(b, Options::default())?;
    let mut out = Vec::new();
    compare("", &da.json, &db.json, &mut out);
    Ok(out)
}

fn compare(path: &str, a: &Json, b: &Json, out: &mut Vec<String>) {
    let (Json::Object(ma), Json::Object(mb)) = (a, b) else {
        if a != b {
            out.push(format!("{}: {} vs {}", display(path), short(a), short(b)));
        }
        return;
    };
    for (key, va) in ma {
        let sub = child(path, key);
        match mb.get(key) {
            None => out.push(format!("{}: only in the first file", display(&sub))),
            Some(vb) if key == "data" => compare_data(path, va, vb, out),
            Some(vb) => compare(&sub, va, vb, out),
        }
    }
    for key in mb.keys().filter(|k| !ma.contains_key(*k)) {
        out.push(format!(
            "{}: only in the second file",
            display(&child(path, key))
        ));
    }
}

fn child(path: &str, key: &str) -> String {
    if key == "members"
        || key == "attributes"
        || path.ends_with("/members")
        || path.ends_with("/attributes")
    {
        format!("{path}/{key}")
    } else {
        format!("{path}.{key}")
    }
}

fn display(path: &str) -> String {
    let p = path
        .replace("/members/", "/")
        .replace("/members", "")
        .replace("/attributes/", "@");
    if p.is_empty() || !p.starts_with('/') {
        format!("/{p}")
    } else {
        p
    }
}

fn compare_data(path: &str, a: &Json, b: &Json, out: &mut Vec<String>) {
    let (mut fa, mut fb) = (Vec::new(), Vec::new());
    flatten(a, &mut fa);
    flatten(b, &mut fb);
    if fa.len() != fb.len() {
        out.push(format!(
            "{}: {} elements vs {}",
            display(path),
            fa.len(),
            fb.len()
        ));
        return;
    }
    let differing: Vec<usize> = (0..fa.len()).filter(|&i| fa[i] != fb[i]).collect();
    if differing.is_empty() {
        return;
    }
    out.push(format!(
        "{}: {} of {} elements differ",
        display(path),
        differing.len(),
        fa.len()
    ));
    for &i in differing.iter().take(SHOWN) {
        out.push(format!(
            "  element {i}: {} vs {}",
            short(fa[i]),
            short(fb[i])
        ));
    }
}

fn flatten<'a>(v: &'a Json, out: &mut Vec<&'a Json>) {
    match v {
        Json::Array(items) => items.iter().for_each(|x| flatten(x, out)),
        other => out.push(other),
    }
}

fn short(v: &Json) -> String {
    let s = v.to_string();
    if s.len() > 80 {
        format!(
            "{}…",
            &s[..s.char_indices().take(80).last().map_or(0, |(i, _)| i)]
        )
    } else {
        s
    }
}
