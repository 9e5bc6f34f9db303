//! How every command ends: data on standard output, one line per error on standard
//! error, exit 0 (done), 1 (a negative answer: invalid, different) or 2 (an error). A
//! closed standard output (`loom … | head`) ends the command quietly.

use std::fmt::Display;
use std::io::{self, BufWriter, Write};
use std::path::Path;
use std::process::ExitCode;

use clap::ValueEnum;
use loom_core::Axis;

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

/// Tags an error with the file it is about: `PATH: error`, on one line.
pub trait About<T> {
    /// The error as a [`Failure`] naming `path`.
    fn about(self, path: &Path) -> Result<T, Failure>;
}

impl<T, E: Display> About<T> for Result<T, E> {
    fn about(self, path: &Path) -> Result<T, Failure> {
        self.map_err(|e| Failure::about(path.display(), e))
    }
}

/// An error writing a command's text to `out` (`-`: standard output): a closed pipe ends
/// the command quietly, anything else names the output.
pub fn writing(out: &Path, e: io::Error) -> Failure {
    if e.kind() == io::ErrorKind::BrokenPipe {
        Failure::Pipe
    } else if out.as_os_str() == "-" {
        Failure::about("standard output", e)
    } else {
        Failure::about(out.display(), e)
    }
}

/// Exit status of a command that writes files: 0, or 2 with its one line.
pub fn finish_unit(result: Result<(), Failure>) -> ExitCode {
    finish(result.map(|()| ExitCode::SUCCESS))
}

/// Where a command's text goes: `-` is stdout.
pub fn open_output(path: &Path) -> io::Result<Box<dyn Write>> {
    Ok(if path.as_os_str() == "-" {
        Box::new(BufWriter::new(std::io::stdout().lock()))
    } else {
        Box::new(BufWriter::new(std::fs::File::create(path)?))
    })
}

/// Writes text to `out`: standard output for `-`, straight into a device or pipe, else
/// through a temporary file beside `out` renamed into place when complete.
pub fn write_text<E: From<io::Error>>(
    out: &Path,
    f: impl FnOnce(&mut dyn Write) -> Result<(), E>,
) -> Result<(), E> {
    let direct = out.as_os_str() == "-" || std::fs::metadata(out).is_ok_and(|m| !m.is_file());
    if direct {
        let mut w = open_output(out)?;
        f(&mut w)?;
        return Ok(w.flush()?);
    }
    let tmp = temp_beside(out);
    let _guard = crate::interrupt::remove_on_interrupt(&tmp);
    let result = (|| {
        let mut w = open_output(&tmp)?;
        f(&mut w)?;
        w.flush()?;
        drop(w);
        Ok(std::fs::rename(&tmp, out)?)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Refuses an output that is one of the inputs (the same file under any name): a
/// command would replace or truncate the file it is reading.
pub fn check_not_input(out: &Path, inputs: &[&Path]) -> Result<(), Failure> {
    match inputs.iter().find(|i| same_file(out, i)) {
        Some(i) => Err(Failure::Error(format!(
            "the output {} is the input {}; give another output path",
            out.display(),
            i.display()
        ))),
        None => Ok(()),
    }
}

/// Whether two paths name one existing file (hard links and symbolic links included).
fn same_file(a: &Path, b: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        match (std::fs::metadata(a), std::fs::metadata(b)) {
            (Ok(x), Ok(y)) => x.dev() == y.dev() && x.ino() == y.ino(),
            _ => false,
        }
    }
    #[cfg(not(unix))]
    {
        match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
            (Ok(x), Ok(y)) => x == y,
            _ => false,
        }
    }
}

/// Refuses an output that exists and is not a regular file (a device such as `/dev/null`,
/// a folder, a pipe): a command writes its file beside the output and renames it into
/// place, which would replace such a path instead of writing to it. Refuses `-` too: an
/// HDF5 file cannot be written to standard output.
pub fn check_replaceable(out: &Path) -> Result<(), Failure> {
    if out.as_os_str() == "-" {
        return Err(Failure::Error(
            "an HDF5 file cannot be written to standard output (`-`); give a path".to_owned(),
        ));
    }
    if out
        .as_os_str()
        .to_string_lossy()
        .ends_with(std::path::is_separator)
    {
        return Err(Failure::Error(format!(
            "the output {} names a folder; give a file path",
            out.display()
        )));
    }
    match std::fs::metadata(out) {
        Ok(m) if !m.is_file() => Err(Failure::Error(format!(
            "the output {} exists and is not a regular file; give a new path or a regular file",
            out.display()
        ))),
        _ => Ok(()),
    }
}

/// Checks that a file can be made at `out` (its folder exists and takes new files) by
/// making and removing the temporary file beside it, so that a command fails naming its
/// output before it reads anything.
pub fn check_writable(out: &Path) -> Result<(), Failure> {
    let tmp = temp_beside(out);
    let _guard = crate::interrupt::remove_on_interrupt(&tmp);
    std::fs::File::create(&tmp).about(out)?;
    std::fs::remove_file(&tmp).about(out)
}

/// A temporary file name beside `out` (same folder, so a rename moves it into place).
pub fn temp_beside(out: &Path) -> std::path::PathBuf {
    let name = out
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    out.with_file_name(format!(".{name}.{}.tmp", std::process::id()))
}
