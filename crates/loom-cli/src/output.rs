//! What the operation commands (`stats`, `permute`, `aggregate`, `combine`, `subset`)
//! share: the axis argument, the output (`-` is stdout) and the exit status.

use std::io::{BufWriter, Write};

use clap::ValueEnum;
use loom_core::{Axis, LoomError};
use std::process::ExitCode;

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

/// Exit status for a command's result: 0, quiet on a closed pipe, else 2 with one line.
pub fn finish(result: Result<(), LoomError>, input: &std::path::Path) -> ExitCode {
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

/// A temporary file name beside `out` (same folder, so a rename moves it into place).
pub fn temp_beside(out: &std::path::Path) -> std::path::PathBuf {
    let name = out
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    out.with_file_name(format!(".{name}.{}.tmp", std::process::id()))
}
