//! How every command ends: data on standard output, one line per error on standard
//! error, exit 0 (done), 1 (a negative answer: invalid, different) or 2 (an error). A
//! closed standard output (`loom … | head`) ends the command quietly.

use std::fmt::Display;
use std::io::{self, BufWriter, Write};
use std::process::ExitCode;

use clap::ValueEnum;
use loom_core::{Axis, LoomError};

/// Why a command stopped early.
#[derive(Debug)]
pub enum Failure {
    /// Standard output was closed by its reader.
    Pipe,
    /// An error, as the one line to print.
    Error(String),
}

/// What a command returns.
pub type Outcome = Result<ExitCode, Failure>;

impl Failure {
    /// An error about `what` (usually the file), on one line.
    pub fn about(what: impl Display, err: impl Display) -> Failure {
        Failure::Error(one_line(&format!("{what}: {err}")))
    }
}

impl From<io::Error> for Failure {
    fn from(e: io::Error) -> Self {
        if e.kind() == io::ErrorKind::BrokenPipe {
            Failure::Pipe
        } else {
            Failure::Error(one_line(&format!("writing the output: {e}")))
        }
    }
}

/// Multi-line messages (the validator's) joined with "; ".
pub fn one_line(s: &str) -> String {
    s.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("; ")
}

/// Prints a message on standard error (ignoring a closed standard error).
pub fn warn(message: impl Display) {
    let _ = writeln!(io::stderr(), "loom: {}", one_line(&message.to_string()));
}

/// The exit code of an outcome, printing its error.
pub fn finish(outcome: Outcome) -> ExitCode {
    match outcome {
        Ok(code) => code,
        Err(Failure::Pipe) => ExitCode::SUCCESS,
        Err(Failure::Error(message)) => {
            warn(message);
            ExitCode::from(2)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_are_one_line() {
        let f = Failure::about("x.loom", "a\nb\n\nc");
        assert!(matches!(f, Failure::Error(m) if m == "x.loom: a; b; c"));
        let pipe = io::Error::new(io::ErrorKind::BrokenPipe, "closed");
        assert!(matches!(Failure::from(pipe), Failure::Pipe));
    }
}

/// An axis on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AxisArg {
    /// Rows (genes).
    Rows,
    /// Columns (cells).
    Cols,
}

impl From<AxisArg> for Axis {
    fn from(a: AxisArg) -> Axis {
        match a {
            AxisArg::Rows => Axis::Rows,
            AxisArg::Cols => Axis::Cols,
        }
    }
}

/// Exit status for an operation command's result: 0, quiet on a closed pipe, else 2 with one line.
pub fn finish_op(result: Result<(), LoomError>, input: &std::path::Path) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(LoomError::Io(e)) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("loom: {}: {e}", input.display());
            ExitCode::from(2)
        }
    }
}

/// Where a command's text goes: `-` is stdout.
pub fn open_output(path: &std::path::Path) -> Result<Box<dyn Write>, LoomError> {
    Ok(if path.as_os_str() == "-" {
        Box::new(BufWriter::new(std::io::stdout().lock()))
    } else {
        Box::new(BufWriter::new(std::fs::File::create(path)?))
    })
}

/// Refuses an output that exists and is not a regular file (a device such as `/dev/null`,
/// a folder, a pipe): a command writes its file beside the output and renames it into
/// place, which would replace such a path instead of writing to it. Refuses `-` too: an
/// HDF5 file cannot be written to standard output.
pub fn check_replaceable(out: &std::path::Path) -> io::Result<()> {
    if out.as_os_str() == "-" {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "an HDF5 file cannot be written to standard output (`-`); give a path",
        ));
    }
    match std::fs::metadata(out) {
        Ok(m) if !m.is_file() => Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "the output {} exists and is not a regular file; give a new path or a regular file",
                out.display()
            ),
        )),
        _ => Ok(()),
    }
}

/// A temporary file name beside `out` (same folder, so a rename moves it into place).
pub fn temp_beside(out: &std::path::Path) -> std::path::PathBuf {
    let name = out
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    out.with_file_name(format!(".{name}.{}.tmp", std::process::id()))
}
