//! `loom h5 ls FILE`: the tree with shapes, types, chunking and filters.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use hdf5_lite::filters::display_name;
use hdf5_lite::format::messages::{CharSet, Datatype};
use hdf5_lite::read::{Dataset, File, Group, Object};

use super::json::dtype;
use crate::output::{Failure, Outcome};

/// `loom h5 ls`: list the tree with shapes, types, chunking and filters.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The file.
    pub file: PathBuf,
}

/// Runs `loom h5 ls`, writing to `out`; exit 2 when part of the file could not be read.
pub fn run(args: &Args, out: &mut dyn std::io::Write) -> Outcome {
    let (text, failed) = list(&args.file).map_err(|e| Failure::about(args.file.display(), e))?;
    out.write_all(text.as_bytes())?;
    Ok(if failed {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
}

/// A short text name for a datatype: numpy strings for numbers, words otherwise.
pub fn dtype_text(dt: &Datatype) -> String {
    let cs = |c: &CharSet| {
        if *c == CharSet::Utf8 {
            "utf-8"
        } else {
            "ascii"
        }
    };
    match dt {
        Datatype::Integer { .. } | Datatype::Float { .. } => {
            dtype(dt).as_str().unwrap_or("?").to_owned()
        }
        Datatype::FixedString { size, charset, .. } => format!("string[{size}, {}]", cs(charset)),
        Datatype::VarLenString { charset, .. } => format!("string[variable, {}]", cs(charset)),
        Datatype::VarLenSequence { base, .. } => format!("vlen<{}>", dtype_text(base)),
        Datatype::Enum { base, members } => {
            format!("enum<{}>{{{} members}}", dtype_text(base), members.len())
        }
        Datatype::Compound { fields, .. } => format!("compound{{{} fields}}", fields.len()),
        Datatype::Array { base, dims } => format!("array<{}>{dims:?}", dtype_text(base)),
        Datatype::Bitfield { size, .. } => format!("bitfield[{size}]"),
        Datatype::Opaque { size, .. } => format!("opaque[{size}]"),
        Datatype::Reference { .. } => "reference".to_owned(),
        Datatype::Time { .. } => "time".to_owned(),
    }
}

fn dims(d: impl IntoIterator<Item = Option<u64>>) -> String {
    let parts: Vec<String> = d
        .into_iter()
        .map(|x| x.map_or("inf".to_owned(), |v| v.to_string()))
        .collect();
    format!("({})", parts.join(", "))
}

fn dataset_line(d: &Dataset) -> String {
    let mut s = format!("dataset  {}", dtype_text(d.datatype()));
    if d.is_null() {
        s.push_str("  null");
        return s;
    }
    let _ = write!(s, "  {}", dims(d.shape().iter().map(|&x| Some(x))));
    if d.maxshape()
        .iter()
        .zip(d.shape())
        .any(|(m, &s)| *m != Some(s))
    {
        let _ = write!(s, "  max {}", dims(d.maxshape()));
    }
    match d.chunks() {
        Some(c) => {
            let _ = write!(s, "  chunks {}", dims(c.iter().map(|&x| Some(x))));
        }
        None => s.push_str("  contiguous"),
    }
    for f in d.filters() {
        let _ = write!(s, "  {}{:?}", display_name(f), f.client_data);
    }
    s
}

/// The listing of the file at `path`, one line per object. Objects that cannot be read
/// are listed with their error; the `bool` is true if there was any.
pub fn list(path: &Path) -> hdf5_lite::Result<(String, bool)> {
    list_file(&File::open(path)?)
}

/// [`list`] for an open file.
pub fn list_file(file: &File) -> hdf5_lite::Result<(String, bool)> {
    let root = file.root()?;
    let mut out = String::new();
    let mut failed = false;
    let _ = writeln!(out, "{:<40} group", "/");
    walk(
        &root,
        &mut out,
        &mut failed,
        &mut vec![(root.file().id(), root.address())],
    );
    Ok((out, failed))
}

/// Lists `group`'s members and descends into subgroups; `ancestors` holds the (file,
/// address) of every group on the way, so link cycles are not followed.
fn walk(group: &Group, out: &mut String, failed: &mut bool, ancestors: &mut Vec<(usize, u64)>) {
    let members = match group.members() {
        Ok(m) => m,
        Err(e) => {
            *failed = true;
            let _ = writeln!(out, "{:<40} error: {e}", group.path());
            return;
        }
    };
    for (name, obj) in members {
        let path = format!("{}/{}", group.path().trim_end_matches('/'), name);
        match obj {
            Ok(Object::Group(g)) => {
                let _ = writeln!(out, "{path:<40} group");
                let key = (g.file().id(), g.address());
                if ancestors.contains(&key) {
                    let _ = writeln!(
                        out,
                        "{:<40} (hard link back to an ancestor; not descended)",
                        ""
                    );
                    continue;
                }
                ancestors.push(key);
                walk(&g, out, failed, ancestors);
                ancestors.pop();
            }
            Ok(Object::Dataset(d)) => {
                let _ = writeln!(out, "{path:<40} {}", dataset_line(&d));
            }
            Ok(Object::Datatype(_)) => {
                let _ = writeln!(out, "{path:<40} datatype");
            }
            Err(e) => {
                *failed = true;
                let _ = writeln!(out, "{path:<40} error: {e}");
            }
        }
    }
}
