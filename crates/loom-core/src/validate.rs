//! The loom validator: the same checks, messages, warnings and summary as loompy 3.0.8's
//! `LoomValidator` (loompy-api.md §11), at both strictness levels.
//!
//! loompy's validator crashes (raises a Python exception) on some malformed files, for
//! example when a graph lacks a vector or `/matrix` is missing while attributes exist.
//! This port stops at the same point, keeps the findings made until then, reports the
//! file as invalid and records the exception loompy raises in [`LoomValidator::crash`].

mod conventions;
mod dtype;

use hdf5_lite::read::{Dataset, File, Group, Object};

use crate::axis::Axis;
use crate::layout::{self, member_name, spec_version};
use dtype::{is_matrix_type, is_object, is_vertex_type, is_weight_type};
pub(crate) use dtype::{numpy_name, tuple as shape_repr};

/// How strictly to validate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Strictness {
    /// The loom file format only (loompy's "speconly").
    SpecOnly,
    /// The format and the Linnarsson lab's conventions (loompy's "conventions").
    Conventions,
}

impl std::str::FromStr for Strictness {
    type Err = crate::LoomError;

    /// `"speconly"` or `"conventions"`.
    fn from_str(s: &str) -> crate::Result<Self> {
        match s {
            "speconly" => Ok(Strictness::SpecOnly),
            "conventions" => Ok(Strictness::Conventions),
            _ => Err(crate::LoomError::InvalidInput(format!(
                "strictness must be 'speconly' or 'conventions', not '{s}'"
            ))),
        }
    }
}

/// A point where loompy's validator raises instead of reporting.
#[derive(Debug)]
pub(crate) struct Crash(pub(crate) String);

pub(crate) type Step = std::result::Result<(), Crash>;

/// Validates loom files and keeps the findings. As in loompy, findings accumulate over
/// successive files, and the version is taken from the first file validated.
///
/// ```no_run
/// use loom_core::{LoomValidator, Strictness};
///
/// let mut v = LoomValidator::new();
/// if !v.validate("cells.loom", Strictness::SpecOnly)? {
///     for e in v.errors() {
///         eprintln!("{e}");
///     }
/// }
/// # Ok::<(), loom_core::LoomError>(())
/// ```
#[derive(Debug, Default, Clone)]
pub struct LoomValidator {
    version: Option<String>,
    errors: Vec<String>,
    warnings: Vec<String>,
    summary: Vec<String>,
    crash: Option<String>,
}

impl LoomValidator {
    /// A validator that takes the spec version of the first file it validates.
    pub fn new() -> Self {
        Self::default()
    }

    /// A validator for a given spec version ("3.0.0", "2.0.1", …).
    pub fn with_version(version: &str) -> Self {
        LoomValidator {
            version: Some(version.to_owned()),
            ..Self::default()
        }
    }

    /// The spec version validated against.
    pub fn version(&self) -> &str {
        self.version.as_deref().unwrap_or("0.0.0")
    }

    /// The errors found (loompy's `errors`).
    pub fn errors(&self) -> &[String] {
        &self.errors
    }

    /// The warnings found (loompy's `warnings`).
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// The summary of the file's structure (loompy's `summary`), one line per entry.
    pub fn summary(&self) -> &[String] {
        &self.summary
    }

    /// The exception loompy's validator raises on this file, if it does (for example
    /// `"KeyError: graph vector 'a'"`); the checks stopped there.
    pub fn crash(&self) -> Option<&str> {
        self.crash.as_deref()
    }

    fn check(&mut self, condition: bool, message: impl FnOnce() -> String) -> bool {
        if !condition {
            self.errors.push(message());
        }
        condition
    }

    /// Validates the file at `path`. An `Err` means it could not be read at all (for
    /// example, it is not HDF5); `Ok(false)` means it is invalid, with [`Self::errors`].
    pub fn validate(
        &mut self,
        path: impl AsRef<std::path::Path>,
        strictness: Strictness,
    ) -> crate::Result<bool> {
        let file = File::open(path.as_ref())?;
        Ok(self.validate_file(&file, strictness))
    }

    /// Validates an open file (see [`Self::validate`]).
    pub fn validate_file(&mut self, file: &File, strictness: Strictness) -> bool {
        if self.version.is_none() {
            self.version = Some(spec_version(file));
        }
        let spec = match self.spec_checks(file) {
            Ok(ok) => ok,
            Err(Crash(e)) => {
                self.crash = Some(e);
                return false;
            }
        };
        if !spec {
            self.errors
                .push("For help, see http://linnarssonlab.org/loompy/format/".to_owned());
        }
        if strictness == Strictness::SpecOnly {
            return spec;
        }
        if !spec {
            // loompy opens the file with `connect`, which validates it again and raises.
            self.crash = Some(format!(
                "ValueError: {}\n<file> does not appear to be a valid Loom file according to Loom spec version '{}'",
                self.errors[..self.errors.len() - 1].join("\n"),
                self.version()
            ));
            return false;
        }
        match self.conventions_checks(file) {
            Ok(true) => true,
            Ok(false) => {
                self.errors
                    .push("For help, see http://linnarssonlab.org/loompy/conventions/".to_owned());
                false
            }
            Err(Crash(e)) => {
                self.crash = Some(e);
                false
            }
        }
    }

    /// The format checks alone (loompy's `validate_spec`), with loompy's messages and
    /// summary. Like loompy it returns whether no error has been found so far, in this or
    /// earlier files. Where loompy raises, the checks stop and [`Self::crash`] says why.
    pub fn validate_spec(&mut self, file: &File) -> bool {
        if self.version.is_none() {
            self.version = Some(spec_version(file));
        }
        self.spec_checks(file).unwrap_or_else(|Crash(e)| {
            self.crash = Some(e);
            false
        })
    }

    /// The conventions checks alone (loompy's `validate_conventions`); see
    /// [`Self::validate_spec`].
    pub fn validate_conventions(&mut self, file: &File) -> bool {
        self.conventions_checks(file).unwrap_or_else(|Crash(e)| {
            self.crash = Some(e);
            false
        })
    }

    fn spec_checks(&mut self, file: &File) -> std::result::Result<bool, Crash> {
        let v3 = self.version() == "3.0.0";
        let root = file.root().ok();
        let root_names = root
            .as_ref()
            .and_then(|r| r.member_names().ok())
            .unwrap_or_default();
        // Names are root members ("row_attrs"), as loompy's messages print them.
        let has = |name: &str| root_names.iter().any(|m| m == name);
        let group = |name: &str| file.group(&layout::child(layout::ROOT, name)).ok();
        let [row_attrs, col_attrs] = Axis::BOTH.map(|a| member_name(layout::attrs_group(a)));
        let [row_graphs, col_graphs] = Axis::BOTH.map(|a| member_name(layout::graphs_group(a)));
        let (globals, matrix, layers) = (
            member_name(layout::GLOBALS),
            member_name(layout::MATRIX),
            member_name(layout::LAYERS),
        );
        let names = |name: &str| {
            group(name)
                .and_then(|g| g.member_names().ok())
                .unwrap_or_default()
        };
        let width_of = |names: &[String]| names.iter().map(|n| n.chars().count()).max();

        let mut width = 0;
        for g in [row_attrs, col_attrs] {
            if self.check(has(g), || format!("'{g}' group is missing")) {
                width = width.max(width_of(&names(g)).unwrap_or(0));
            }
        }
        let mut root_attrs = root
            .as_ref()
            .and_then(|r| r.attributes().ok())
            .unwrap_or_default();
        root_attrs.sort_by(|a, b| a.name().as_bytes().cmp(b.name().as_bytes()));
        if v3 {
            if self.check(has(globals), || "Global attributes missing".into()) {
                width = width.max(width_of(&names(globals)).unwrap_or(0));
            }
        } else {
            let n: Vec<String> = root_attrs.iter().map(|a| a.name().to_owned()).collect();
            width = width.max(width_of(&n).unwrap_or(0));
        }

        // Rust's format width stops at u16::MAX; loompy pads to the longest name whatever its
        // length, so an absurdly long name only shortens the padding of the others.
        let width = width.min(usize::from(u16::MAX));
        self.summary.push("Global attributes:".into());
        if v3 {
            if !self.check(has(globals), || "Global attributes missing".into()) {
                return Err(Crash(
                    "KeyError: \"Unable to open object (object 'attrs' doesn't exist)\"".into(),
                ));
            }
            // loompy iterates over the names, so every entry prints as a scalar str.
            for name in names(globals) {
                self.summary.push(format!("{name:>width$} str (scalar)"));
            }
        } else {
            for a in &root_attrs {
                let key = a.name();
                let dt = a.datatype();
                let scalar = a.shape().map(|s| s.is_empty()).unwrap_or(true);
                if scalar
                    && matches!(
                        dt,
                        hdf5_lite::format::messages::Datatype::VarLenString { .. }
                    )
                {
                    self.warnings.push(format!(
                        "Global attribute '{key}' has dtype string, which will be deprecated in future Loom versions"
                    ));
                    self.summary.push(format!("{key:>width$} string"));
                } else {
                    self.summary
                        .push(format!("{key:>width$} {}", summary_dtype(dt)));
                }
            }
        }

        let mut shape: Option<Vec<u64>> = None;
        if self.check(has(matrix), || "Main matrix missing".into()) {
            let Ok(Object::Dataset(m)) = file.object(layout::MATRIX) else {
                return Err(Crash(
                    "AttributeError: 'Group' object has no attribute 'dtype'".into(),
                ));
            };
            let dt = numpy_name(m.datatype());
            self.check(is_matrix_type(m.datatype()), || {
                format!("Main matrix dtype={dt} is not allowed")
            });
            self.summary
                .push(format!("Layers shape={}:", shape_repr(m.shape())));
            self.summary.push(format!("{:>width$} {dt}", "Main matrix"));
            shape = Some(m.shape().to_vec());
        }
        let unbound = || {
            Crash("UnboundLocalError: cannot access local variable 'shape' where it is not associated with a value".into())
        };

        if has(layers) {
            for (name, obj) in members(group(layers)) {
                let l = as_dataset(obj)?;
                let s = shape.as_ref().ok_or_else(unbound)?;
                self.check(l.shape() == s.as_slice(), || {
                    format!(
                        "Layer '{name}' shape {} does not match main matrix shape {}",
                        shape_repr(l.shape()),
                        shape_repr(s)
                    )
                });
                let dt = numpy_name(l.datatype());
                self.check(is_matrix_type(l.datatype()), || {
                    format!("Layer '{name}' dtype={dt} is not allowed")
                });
                self.summary.push(format!("{name:>width$} {dt}"));
            }
        }

        for (axis, label, dim, gname) in [
            (0, "Row", "row", row_attrs),
            (1, "Column", "column", col_attrs),
        ] {
            self.summary.push(format!("{label} attributes:"));
            if !self.check(has(gname), || format!("'{gname}' group is missing")) {
                continue;
            }
            let list = members(group(gname));
            let empty = list.is_empty();
            for (name, obj) in list {
                let a = as_dataset(obj)?;
                let s = shape.as_ref().ok_or_else(unbound)?;
                let first = *a
                    .shape()
                    .first()
                    .ok_or_else(|| Crash("IndexError: tuple index out of range".into()))?;
                let n = *s
                    .get(axis)
                    .ok_or_else(|| Crash("IndexError: tuple index out of range".into()))?;
                self.check(first == n, || {
                    format!(
                        "{label} attribute '{name}' shape {first} first dimension does not match {dim} dimension {}",
                        shape_repr(s)
                    )
                });
                let dt = a.datatype();
                let string_ok = if v3 {
                    is_object(dt)
                } else {
                    matches!(
                        dt,
                        hdf5_lite::format::messages::Datatype::FixedString { .. }
                    )
                };
                self.check(is_matrix_type(dt) || string_ok, || {
                    format!(
                        "{label} attribute '{name}' dtype {} is not allowed",
                        numpy_name(dt)
                    )
                });
                let extra = if a.shape().len() > 1 {
                    shape_repr(a.shape())
                } else {
                    String::new()
                };
                self.summary
                    .push(format!("{name:>width$} {} {extra}", summary_dtype(dt)));
            }
            if empty {
                self.summary.push("    (none)".into());
            }
        }

        for (gname, label) in [(row_graphs, "Row"), (col_graphs, "Column")] {
            self.summary.push(format!("{label} graphs:"));
            if !has(gname) {
                continue;
            }
            let list = members(group(gname));
            let empty = list.is_empty();
            for (name, obj) in list {
                let Ok(Object::Group(g)) = obj else {
                    return Err(Crash(
                        "TypeError: argument of type 'Dataset' is not iterable".into(),
                    ));
                };
                let edges = self.check_graph(&g, gname, label, &name)?;
                self.summary
                    .push(format!("    '{name}' with {edges} edges"));
            }
            if empty {
                self.summary.push("    (none)".into());
            }
        }
        Ok(self.errors.is_empty())
    }

    /// loompy's checks of one graph; returns its number of edges.
    fn check_graph(
        &mut self,
        g: &Group,
        gname: &str,
        label: &str,
        name: &str,
    ) -> std::result::Result<u64, Crash> {
        let mut lengths = [0u64; 3];
        let meanings = ["start vertices", "end vertices", "vertex weights"];
        for (i, (vector, meaning)) in layout::GRAPH_VECTORS.into_iter().zip(meanings).enumerate() {
            let d = g.dataset(vector).ok();
            self.check(d.is_some(), || {
                format!("{label} graph '{name}' is missing vector '{vector}', denoting {meaning}")
            });
            let Some(d) = d else {
                return Err(Crash(format!(
                    "KeyError: \"Unable to open object (object '{vector}' doesn't exist)\""
                )));
            };
            let (ok, kind) = if i == 2 {
                (is_weight_type(d.datatype()), "float")
            } else {
                (is_vertex_type(d.datatype()), "integer")
            };
            self.check(ok, || {
                format!(
                    "/{gname}/{name}/{vector}.dtype {} must be {kind}",
                    numpy_name(d.datatype())
                )
            });
            lengths[i] = *d
                .shape()
                .first()
                .ok_or_else(|| Crash("IndexError: tuple index out of range".into()))?;
        }
        self.check(lengths[0] == lengths[1] && lengths[0] == lengths[2], || {
            format!("{label} graph '{name}' sparse vectors a, b and w must have equal length")
        });
        Ok(lengths[0])
    }
}

/// loompy's `dt()`: `|S…` prints as "string", everything else as numpy names it.
fn summary_dtype(dt: &hdf5_lite::format::messages::Datatype) -> String {
    let name = numpy_name(dt);
    if name.starts_with("|S") {
        "string".to_owned()
    } else {
        name
    }
}

fn members(g: Option<Group>) -> Vec<(String, hdf5_lite::Result<Object>)> {
    g.and_then(|g| g.members().ok()).unwrap_or_default()
}

fn as_dataset(obj: hdf5_lite::Result<Object>) -> std::result::Result<Dataset, Crash> {
    match obj {
        Ok(Object::Dataset(d)) => Ok(d),
        _ => Err(Crash(
            "AttributeError: 'Group' object has no attribute 'shape'".into(),
        )),
    }
}
