//! `loom validate`: loompy's `LoomValidator` findings for one file (loompy-api.md §11).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use loom_core::{LoomError, LoomValidator, Strictness};

use crate::output::{Failure, Outcome};

/// `loom validate`: check a loom file as loompy's LoomValidator does: exit 0 when valid,
/// 1 when invalid, 2 when it cannot be read.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The file.
    pub file: PathBuf,
    /// What to check: the format only, or also the Linnarsson lab's conventions.
    #[arg(long, value_enum, default_value = "speconly")]
    pub strictness: StrictnessArg,
    /// Also print the summary of the file's structure.
    #[arg(long, short)]
    pub verbose: bool,
}

/// The strictness levels, as the command line names them.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum StrictnessArg {
    /// The format only.
    Speconly,
    /// The format and the conventions.
    Conventions,
}

/// Runs `loom validate`, writing to `out`.
pub fn run(args: &Args, out: &mut dyn std::io::Write) -> Outcome {
    let strictness = match args.strictness {
        StrictnessArg::Speconly => Strictness::SpecOnly,
        StrictnessArg::Conventions => Strictness::Conventions,
    };
    let report = validate(&args.file, strictness, args.verbose)
        .map_err(|e| Failure::about(args.file.display(), e))?;
    write!(out, "{}", report.text)?;
    Ok(if report.valid {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// What `loom validate` prints, and the verdict.
#[derive(Debug)]
pub struct Report {
    /// The text for standard output.
    pub text: String,
    /// Whether the file is valid.
    pub valid: bool,
}

/// Validates `path`. The summary of the file's structure is included when `verbose`.
/// `Err` means the file could not be read at all.
pub fn validate(path: &Path, strictness: Strictness, verbose: bool) -> Result<Report, LoomError> {
    if !path.exists() {
        return Err(LoomError::FileNotFound(path.to_path_buf()));
    }
    let mut v = LoomValidator::new();
    let valid = v.validate(path, strictness)?;
    let mut text = String::new();
    if verbose {
        for line in v.summary() {
            let _ = writeln!(text, "{line}");
        }
    }
    for w in v.warnings() {
        let _ = writeln!(text, "warning: {w}");
    }
    for e in v.errors() {
        let _ = writeln!(text, "error: {e}");
    }
    if let Some(c) = v.crash() {
        let first = c.lines().next().unwrap_or_default();
        let _ = writeln!(
            text,
            "error: the checks stopped here; loompy's validator raises {first}"
        );
    }
    let verdict = if valid {
        "is a valid Loom file"
    } else {
        "does not appear to be a valid Loom file"
    };
    let _ = writeln!(
        text,
        "{} {verdict} according to Loom spec version '{}'",
        path.display(),
        v.version()
    );
    Ok(Report { text, valid })
}
