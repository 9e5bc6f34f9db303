//! `loom h5 diff A B`: compares two files object by object, like h5diff: which groups,
//! datasets and named datatypes exist, attributes, and each dataset's type, shape,
//! maximum shape, chunking, filters, fill value and values. Exit 0 when equal, 1 when
//! they differ, 2 on an error.
//!
//! The files are walked together, one object at a time, and each dataset's values are
//! compared window by window (module `data`), so memory stays bounded by a window whatever
//! the files' sizes. Differences are reported as they are found, one line each, named
//! as in the dump (`/group/dataset.shape`, `/dataset@attribute`); a dataset or attribute
//! whose values differ gets one line with the count and at most [`SHOWN`] lines with the
//! first differing elements (C-order index, both values as the dump prints them, so NaN
//! equals NaN). An object that cannot be read is compared by its error message, as in
//! the dump: an unreadable dataset differs from a readable one.

mod data;
mod windows;

use std::collections::HashSet;
use std::io;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use hdf5_lite::format::messages::Link;
use hdf5_lite::read::{Attribute, Dataset, File, Group, Object};
use serde_json::{json, Map, Value as Json};

use super::dump::dataset_fields;
use super::json::{dtype, value};
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

/// Runs `loom h5 diff`, writing the differences to `out` as they are found.
pub fn run(args: &Args, out: &mut dyn io::Write) -> Outcome {
    let open = |p: &Path| File::open(p).map_err(|e| Failure::about(p.display(), e));
    let (a, b) = (open(&args.a)?, open(&args.b)?);
    let mut differ = false;
    diff_files(&a, &b, &mut |line| {
        differ = true;
        writeln!(out, "{line}")
    })
    .map_err(|e| match e {
        DiffError::Root(0, e) => Failure::about(args.a.display(), e),
        DiffError::Root(_, e) => Failure::about(args.b.display(), e),
        DiffError::Write(e) => e.into(),
    })?;
    Ok(if differ {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// How many differing elements of one dataset or attribute are listed.
pub const SHOWN: usize = 10;

/// The differences between the files at `a` and `b` (empty when they hold the same
/// objects, types, shapes, attributes and values).
pub fn diff(a: &Path, b: &Path) -> hdf5_lite::Result<Vec<String>> {
    let (a, b) = (File::open(a)?, File::open(b)?);
    let mut lines = Vec::new();
    let walked = diff_files(&a, &b, &mut |line| {
        lines.push(line);
        Ok(())
    });
    match walked {
        Err(DiffError::Root(_, e)) => Err(e),
        // Pushing to a vector does not fail.
        Err(DiffError::Write(_)) | Ok(()) => Ok(lines),
    }
}

/// Why [`diff_files`] stopped.
#[derive(Debug)]
pub enum DiffError {
    /// The root group of the first (0) or the second (1) file could not be read.
    Root(usize, hdf5_lite::Error),
    /// Reporting a difference failed.
    Write(io::Error),
}

/// Compares two open files, passing each difference to `report` as it is found. Only
/// an unreadable root group or a failing `report` stops the walk; everything else that
/// cannot be read is a difference (or not, when both files fail alike).
pub fn diff_files(
    a: &File,
    b: &File,
    report: &mut dyn FnMut(String) -> io::Result<()>,
) -> Result<(), DiffError> {
    let (ra, rb) = (
        a.root().map_err(|e| DiffError::Root(0, e))?,
        b.root().map_err(|e| DiffError::Root(1, e))?,
    );
    let mut walk = Walk {
        ancestors: [HashSet::new(), HashSet::new()],
        report,
    };
    let na = walk.node(0, Ok(Object::Group(ra)));
    let nb = walk.node(1, Ok(Object::Group(rb)));
    walk.compare_nodes("", na, nb).map_err(DiffError::Write)
}

/// An object as the dump describes it, without its members or values (which are
/// compared as they are read): `"members"` and `"data"` are placeholders.
struct Node {
    header: Map<String, Json>,
    body: Body,
}

enum Body {
    /// A group, its links (sorted by name; each member's object is read when it is
    /// compared), and its (file, address) when it is not a link back to an ancestor.
    Group(Group, Vec<Link>, Option<(usize, u64)>),
    Dataset(Dataset),
    Leaf,
}

struct Walk<'a> {
    /// The groups on the way down, per file: a hard link back to one is not followed.
    ancestors: [HashSet<(usize, u64)>; 2],
    report: &'a mut dyn FnMut(String) -> io::Result<()>,
}

impl Walk<'_> {
    fn say(&mut self, line: String) -> io::Result<()> {
        (self.report)(line)
    }

    /// The node of an object of side `side` (0 or 1).
    fn node(&self, side: usize, object: hdf5_lite::Result<Object>) -> Node {
        let mut header = Map::new();
        let body = match object {
            Ok(Object::Group(g)) => {
                header.insert("kind".into(), json!("group"));
                header.insert("attributes".into(), attributes(g.attributes()));
                let key = (g.file().id(), g.address());
                let (links, key) = if self.ancestors[side].contains(&key) {
                    let cycle = format!("hard link cycle back to {}", g.path());
                    header.insert("error".into(), json!(cycle));
                    (Vec::new(), None)
                } else {
                    match g.links() {
                        Ok(links) => (links, Some(key)),
                        Err(e) => {
                            header.insert("error".into(), json!(e.to_string()));
                            (Vec::new(), Some(key))
                        }
                    }
                };
                header.insert("members".into(), Json::Null);
                Body::Group(g, links, key)
            }
            Ok(Object::Dataset(d)) => {
                header = dataset_fields(&d);
                header.insert("attributes".into(), attributes(d.attributes()));
                header.insert("data".into(), Json::Null);
                Body::Dataset(d)
            }
            Ok(Object::Datatype(_)) => {
                header.insert("kind".into(), json!("datatype"));
                Body::Leaf
            }
            Err(e) => {
                header.insert("kind".into(), json!("error"));
                header.insert("error".into(), json!(e.to_string()));
                Body::Leaf
            }
        };
        Node { header, body }
    }

    /// Compares two objects at `path` (the dump's path: `/members/x/attributes/y`).
    fn compare_nodes(&mut self, path: &str, a: Node, b: Node) -> io::Result<()> {
        let (mut ba, mut bb) = (a.body, b.body);
        for (key, va) in &a.header {
            let sub = child(path, key);
            let Some(vb) = b.header.get(key) else {
                self.say(format!("{}: only in the first file", display(&sub)))?;
                continue;
            };
            if key == "attributes" {
                compare_attributes(&sub, va, vb, &mut |l| self.say(l))?;
                continue;
            }
            if key != "members" && key != "data" {
                compare_json(&sub, va, vb, &mut |l| self.say(l))?;
                continue;
            }
            // Only groups have members and only datasets data.
            match (
                std::mem::replace(&mut ba, Body::Leaf),
                std::mem::replace(&mut bb, Body::Leaf),
            ) {
                (Body::Group(ga, la, ka), Body::Group(gb, lb, kb)) => {
                    self.compare_members(&sub, [(&ga, la), (&gb, lb)], [ka, kb])?;
                }
                (Body::Dataset(da), Body::Dataset(db)) => self.compare_data(path, &da, &db)?,
                _ => {}
            }
        }
        let only_b = b.header.keys().filter(|k| !a.header.contains_key(*k));
        only_in_second(path, only_b, &mut |l| self.say(l))
    }

    /// Compares two groups' members by name (the first file's order, then the names
    /// only the second has); `keys` are the groups' own (file, address), ancestors of
    /// the members.
    fn compare_members(
        &mut self,
        path: &str,
        groups: [(&Group, Vec<Link>); 2],
        keys: [Option<(usize, u64)>; 2],
    ) -> io::Result<()> {
        for (side, key) in keys.iter().enumerate() {
            self.ancestors[side].extend(*key);
        }
        let result = self.members(path, groups);
        for (side, key) in keys.iter().enumerate() {
            if let Some(k) = key {
                self.ancestors[side].remove(k);
            }
        }
        result
    }

    /// Walks both groups' links together in name order (both lists are sorted
    /// bytewise), reading a member's object in each file only when its turn comes, so a
    /// group holds its links, not every member's object, while the walk is below it.
    fn members(
        &mut self,
        path: &str,
        [(ga, la), (gb, lb)]: [(&Group, Vec<Link>); 2],
    ) -> io::Result<()> {
        let mut lb = lb.into_iter().peekable();
        let mut only_b = Vec::new();
        for a in la {
            while let Some(b) = lb.next_if(|b| b.name.as_bytes() < a.name.as_bytes()) {
                only_b.push(b.name);
            }
            let sub = child(path, &a.name);
            match lb.next_if(|b| b.name == a.name) {
                None => self.say(format!("{}: only in the first file", display(&sub)))?,
                Some(b) => {
                    let (na, nb) = (self.node(0, ga.member(&a)), self.node(1, gb.member(&b)));
                    self.compare_nodes(&sub, na, nb)?;
                }
            }
        }
        only_b.extend(lb.map(|b| b.name));
        only_in_second(path, only_b.iter(), &mut |l| self.say(l))
    }

    /// Compares two datasets' values; `path` is the datasets' dump path.
    fn compare_data(&mut self, path: &str, a: &Dataset, b: &Dataset) -> io::Result<()> {
        let shown = display(path);
        match data::compare(a, b, data::WindowSize::DEFAULT) {
            data::Outcome::Counts(na, nb) => self.say(format!("{shown}: {na} elements vs {nb}")),
            data::Outcome::Compared(diffs) => diffs.report(&shown, &mut |l| self.say(l)),
            data::Outcome::Failed(ea, eb) => {
                let data = display(&child(path, "data"));
                let error = display(&child(path, "error"));
                match (ea, eb) {
                    (Some(ea), Some(eb)) if ea != eb => self.say(format!(
                        "{error}: {} vs {}",
                        short(&json!(ea)),
                        short(&json!(eb))
                    )),
                    (Some(_), Some(_)) | (None, None) => Ok(()),
                    (Some(_), None) => {
                        self.say(format!("{error}: only in the first file"))?;
                        self.say(format!("{data}: only in the second file"))
                    }
                    (None, Some(_)) => {
                        self.say(format!("{data}: only in the first file"))?;
                        self.say(format!("{error}: only in the second file"))
                    }
                }
            }
        }
    }
}

/// Attributes as the dump describes them, with each attribute's elements as one flat
/// list in C order (compared element by element); the error message when they cannot
/// be listed.
fn attributes(attrs: hdf5_lite::Result<Vec<Attribute>>) -> Json {
    let attrs = match attrs {
        Ok(a) => a,
        Err(e) => return json!(e.to_string()),
    };
    let mut out = Map::new();
    for a in attrs {
        let shape = a.shape().map(<[u64]>::to_vec);
        let data = match (&shape, a.values()) {
            (None, _) => Json::Array(Vec::new()),
            (Some(_), Ok(v)) => Json::Array(v.into_iter().map(value).collect()),
            (Some(_), Err(e)) => json!({"error": e.to_string()}),
        };
        out.insert(
            a.name().to_owned(),
            json!({"dtype": dtype(a.datatype()), "shape": shape, "data": data}),
        );
    }
    Json::Object(out)
}

/// The differing elements of one dataset or attribute: how many, and the first
/// [`SHOWN`] (C-order index, both values).
#[derive(Debug)]
pub struct Differences {
    total: u64,
    count: u64,
    shown: Vec<(u64, Json, Json)>,
}

impl Differences {
    fn new(total: u64) -> Differences {
        Differences {
            total,
            count: 0,
            shown: Vec::new(),
        }
    }

    /// Records that element `index` differs, in any order: the [`SHOWN`] lowest
    /// indexes are kept (values made only for those).
    fn differ(&mut self, index: u64, a: impl FnOnce() -> Json, b: impl FnOnce() -> Json) {
        self.count += 1;
        if self.shown.len() == SHOWN && self.shown.last().is_some_and(|s| s.0 < index) {
            return;
        }
        let at = self.shown.partition_point(|s| s.0 < index);
        self.shown.insert(at, (index, a(), b()));
        self.shown.truncate(SHOWN);
    }

    fn report(&self, shown: &str, say: &mut dyn FnMut(String) -> io::Result<()>) -> io::Result<()> {
        if self.count == 0 {
            return Ok(());
        }
        say(format!(
            "{shown}: {} of {} elements differ",
            self.count, self.total
        ))?;
        for (i, a, b) in &self.shown {
            say(format!("  element {i}: {} vs {}", short(a), short(b)))?;
        }
        Ok(())
    }
}

/// Compares two objects' attributes (as [`attributes`] gives them) at `path`.
fn compare_attributes(
    path: &str,
    a: &Json,
    b: &Json,
    say: &mut dyn FnMut(String) -> io::Result<()>,
) -> io::Result<()> {
    let (Json::Object(ma), Json::Object(mb)) = (a, b) else {
        return compare_json(path, a, b, say);
    };
    for (name, va) in ma {
        let sub = child(path, name);
        let Some(vb) = mb.get(name) else {
            say(format!("{}: only in the first file", display(&sub)))?;
            continue;
        };
        // Each attribute is {dtype, shape, data}.
        let (Json::Object(fa), Json::Object(fb)) = (va, vb) else {
            compare_json(&sub, va, vb, say)?;
            continue;
        };
        for (key, x) in fa {
            match fb.get(key) {
                Some(y) if key == "data" => compare_elements(&sub, x, y, say)?,
                Some(y) => compare_json(&child(&sub, key), x, y, say)?,
                None => say(format!(
                    "{}: only in the first file",
                    display(&child(&sub, key))
                ))?,
            }
        }
    }
    only_in_second(path, mb.keys().filter(|k| !ma.contains_key(*k)), say)
}

/// Compares two parts of the dump's description.
fn compare_json(
    path: &str,
    a: &Json,
    b: &Json,
    say: &mut dyn FnMut(String) -> io::Result<()>,
) -> io::Result<()> {
    let (Json::Object(ma), Json::Object(mb)) = (a, b) else {
        if a != b {
            say(format!("{}: {} vs {}", display(path), short(a), short(b)))?;
        }
        return Ok(());
    };
    for (key, va) in ma {
        let sub = child(path, key);
        match mb.get(key) {
            None => say(format!("{}: only in the first file", display(&sub)))?,
            Some(vb) => compare_json(&sub, va, vb, say)?,
        }
    }
    only_in_second(path, mb.keys().filter(|k| !ma.contains_key(*k)), say)
}

/// Compares two element lists (an attribute's values) of the object at `path`.
fn compare_elements(
    path: &str,
    a: &Json,
    b: &Json,
    say: &mut dyn FnMut(String) -> io::Result<()>,
) -> io::Result<()> {
    let (Json::Array(ea), Json::Array(eb)) = (a, b) else {
        if a != b {
            say(format!("{}: {} vs {}", display(path), short(a), short(b)))?;
        }
        return Ok(());
    };
    if ea.len() != eb.len() {
        return say(format!(
            "{}: {} elements vs {}",
            display(path),
            ea.len(),
            eb.len()
        ));
    }
    let mut diffs = Differences::new(ea.len() as u64);
    for (i, (x, y)) in ea.iter().zip(eb).enumerate() {
        if x != y {
            diffs.differ(i as u64, || x.clone(), || y.clone());
        }
    }
    diffs.report(&display(path), say)
}

/// Reports each of `keys` under `path` as only in the second file.
fn only_in_second<'a>(
    path: &str,
    keys: impl Iterator<Item = &'a String>,
    say: &mut dyn FnMut(String) -> io::Result<()>,
) -> io::Result<()> {
    for key in keys {
        say(format!(
            "{}: only in the second file",
            display(&child(path, key))
        ))?;
    }
    Ok(())
}

/// The dump path of `key` inside the object at `path`.
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

/// A dump path as printed: `/members/g/members/d/attributes/a.dtype` is `/g/d@a.dtype`.
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

/// A value as printed in a difference, cut after 80 characters.
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
