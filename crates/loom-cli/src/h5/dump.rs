//! `loom h5 dump FILE --json [--max-elements N]`: the whole file as one JSON document.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use hdf5_lite::filters::display_name;
use hdf5_lite::read::{decode_value, Attribute, Dataset, File, Group, Object};
use serde_json::{json, Map, Value as Json};

use super::json::{dtype, shaped};
use crate::output::{warn, Failure, Outcome};

/// `loom h5 dump`: print the whole file as one JSON document (JSON is the only format).
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The file.
    pub file: PathBuf,
    /// Print JSON (the default and only format; accepted for clarity in scripts).
    #[arg(long)]
    pub json: bool,
    /// Describe datasets of more than N elements without reading their data.
    #[arg(long, value_name = "N")]
    pub max_elements: Option<u64>,
}

/// Runs `loom h5 dump`, writing to `out`; exit 2 when part of the file could not be
/// read (the rest is dumped).
pub fn run(args: &Args, out: &mut dyn std::io::Write) -> Outcome {
    let options = Options {
        max_elements: args.max_elements,
    };
    let dump =
        dump_file(&args.file, options).map_err(|e| Failure::about(args.file.display(), e))?;
    writeln!(out, "{}", dump.json)?;
    for e in &dump.errors {
        warn(e);
    }
    Ok(if dump.errors.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(2)
    })
}

/// What to dump.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// Datasets with more elements than this are described without their data.
    pub max_elements: Option<u64>,
}

/// The dump, and whether any part of the file could not be read.
#[derive(Debug)]
pub struct Dump {
    /// The JSON document.
    pub json: Json,
    /// Every error met on the way, with the path it concerns.
    pub errors: Vec<String>,
}

/// Dumps the file at `path`. Only a file that cannot be opened at all is an `Err`;
/// unreadable objects are reported inside the document and in [`Dump::errors`].
pub fn dump_file(path: &Path, options: Options) -> hdf5_lite::Result<Dump> {
    dump(&File::open(path)?, options)
}

/// Dumps an open file, as [`dump_file`] does.
pub fn dump(file: &File, options: Options) -> hdf5_lite::Result<Dump> {
    let root = file.root()?;
    let mut state = State {
        options,
        errors: Vec::new(),
        ancestors: HashSet::new(),
    };
    let json = state.group(&root);
    Ok(Dump {
        json,
        errors: state.errors,
    })
}

struct State {
    options: Options,
    errors: Vec<String>,
    ancestors: HashSet<(usize, u64)>,
}

impl State {
    fn error(&mut self, path: &str, err: &dyn std::fmt::Display) -> Json {
        let msg = err.to_string();
        self.errors.push(format!("{path}: {msg}"));
        json!(msg)
    }

    fn group(&mut self, group: &Group) -> Json {
        let mut out = Map::new();
        out.insert("kind".into(), json!("group"));
        out.insert(
            "attributes".into(),
            self.attributes(group.path(), group.attributes()),
        );
        let mut members = Map::new();
        if !self.ancestors.insert((group.file().id(), group.address())) {
            out.insert(
                "error".into(),
                json!(format!("hard link cycle back to {}", group.path())),
            );
            self.errors
                .push(format!("{}: hard link cycle", group.path()));
        } else {
            match group.members() {
                Ok(list) => {
                    for (name, obj) in list {
                        let child_path = format!("{}/{}", group.path().trim_end_matches('/'), name);
                        let value = match obj {
                            Ok(Object::Group(g)) => self.group(&g),
                            Ok(Object::Dataset(d)) => self.dataset(&d),
                            Ok(Object::Datatype(_)) => json!({"kind": "datatype"}),
                            Err(e) => {
                                json!({"kind": "error", "error": self.error(&child_path, &e)})
                            }
                        };
                        members.insert(name, value);
                    }
                }
                Err(e) => {
                    let msg = self.error(group.path(), &e);
                    out.insert("error".into(), msg);
                }
            }
            self.ancestors.remove(&(group.file().id(), group.address()));
        }
        out.insert("members".into(), Json::Object(members));
        Json::Object(out)
    }

    fn attributes(&mut self, path: &str, attrs: hdf5_lite::Result<Vec<Attribute>>) -> Json {
        let attrs = match attrs {
            Ok(a) => a,
            Err(e) => {
                let msg = self.error(path, &e);
                return json!({"error": msg});
            }
        };
        let mut out = Map::new();
        for a in attrs {
            let shape = a.shape().map(|s| s.to_vec());
            let data = match (&shape, a.values()) {
                (None, _) => Json::Null,
                (Some(s), Ok(v)) => match shaped(v, s) {
                    Ok(j) => j,
                    Err(e) => json!({"error": self.error(&format!("{path}@{}", a.name()), &e)}),
                },
                (Some(_), Err(e)) => {
                    let msg = self.error(&format!("{path}@{}", a.name()), &e);
                    json!({"error": msg})
                }
            };
            out.insert(
                a.name().to_owned(),
                json!({"dtype": dtype(a.datatype()), "shape": shape, "data": data}),
            );
        }
        Json::Object(out)
    }

    fn dataset(&mut self, d: &Dataset) -> Json {
        let mut out = dataset_fields(d);
        out.insert(
            "attributes".into(),
            self.attributes(d.path(), d.attributes()),
        );
        if d.is_null() {
            out.insert("data".into(), Json::Null);
        } else if self.options.max_elements.is_some_and(|max| d.len() > max) {
            // Described without data.
        } else {
            match d.read_values() {
                Ok(values) => match shaped(values, d.shape()) {
                    Ok(j) => {
                        out.insert("data".into(), j);
                    }
                    Err(e) => {
                        let msg = self.error(d.path(), &e);
                        out.insert("error".into(), msg);
                    }
                },
                Err(e) => {
                    let msg = self.error(d.path(), &e);
                    out.insert("error".into(), msg);
                }
            }
        }
        Json::Object(out)
    }
}

/// A dataset's description as the dump gives it, up to its attributes: kind, dtype,
/// shape, maxshape, chunks, filters and fill value (shared with `loom h5 diff`).
pub fn dataset_fields(d: &Dataset) -> Map<String, Json> {
    let null = d.is_null();
    let shape = (!null).then(|| d.shape().to_vec());
    let maxshape = (!null).then(|| d.maxshape());
    let filters: Vec<Json> = d
        .filters()
        .iter()
        .map(|f| json!({"id": f.id, "name": display_name(f), "params": f.client_data}))
        .collect();
    let fillvalue = d
        .fill_value()
        .and_then(|bytes| decode_value(d.datatype(), bytes).ok())
        .map_or(Json::Null, super::json::value);
    let mut out = Map::new();
    out.insert("kind".into(), json!("dataset"));
    out.insert("dtype".into(), dtype(d.datatype()));
    out.insert("shape".into(), json!(shape));
    out.insert("maxshape".into(), json!(maxshape));
    out.insert("chunks".into(), json!(d.chunks()));
    out.insert("filters".into(), Json::Array(filters));
    out.insert("fillvalue".into(), fillvalue);
    out
}
