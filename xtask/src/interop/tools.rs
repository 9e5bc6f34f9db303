//! The outside tools the interop suite needs: `h5dump` (Debian hdf5-tools, installed
//! when missing) and h5stat, and running them and the Python scripts with time limits.
//! The Python venv itself comes from `util::ensure_python`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::util;

/// Time limit for one `h5dump` / `h5stat` run.
const TOOL_LIMIT: Duration = Duration::from_secs(120);
/// Time limit for one Python check or edit script.
const PYTHON_LIMIT: Duration = Duration::from_secs(30 * 60);

/// The `h5dump` to use: `$H5DUMP`, or the one on PATH (installed if missing).
pub fn ensure_h5dump() -> Result<PathBuf, String> {
    if let Ok(p) = std::env::var("H5DUMP") {
        return Ok(PathBuf::from(p));
    }
    if util::works(Command::new("h5dump").arg("--version")) {
        return Ok(PathBuf::from("h5dump"));
    }
    util::apt_install(&["hdf5-tools"], "h5dump was not found")?;
    if util::works(Command::new("h5dump").arg("--version")) {
        Ok(PathBuf::from("h5dump"))
    } else {
        Err("hdf5-tools was installed but h5dump still does not run".into())
    }
}

/// `h5stat` from the same place as `h5dump`.
pub fn h5stat_next_to(h5dump: &Path) -> PathBuf {
    match h5dump.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.join("h5stat"),
        _ => PathBuf::from("h5stat"),
    }
}

/// Runs a libhdf5 tool (`h5dump`, `h5stat`) on `file`: `Ok(())` when it exits 0 with
/// nothing on stderr.
pub fn h5dump(tool: &Path, file: &Path) -> Result<(), String> {
    let out = util::run_with_timeout(Command::new(tool).arg(file), TOOL_LIMIT)?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    if out.status.success() && stderr.trim().is_empty() {
        return Ok(());
    }
    let first: Vec<&str> = stderr.lines().take(12).collect();
    Err(format!(
        "exit {}; stderr:\n      {}",
        out.status,
        first.join("\n      ")
    ))
}

/// Runs a Python script, echoing its output; returns its stdout and whether it succeeded.
pub fn python(python: &Path, script: &Path, args: &[&Path]) -> Result<(String, bool), String> {
    let mut cmd = Command::new(python);
    cmd.arg(script).args(args);
    eprintln!("+ {}", util::show(&cmd));
    let out = util::run_with_timeout(&mut cmd, PYTHON_LIMIT)?;
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    print!("{stdout}");
    eprint!("{}", String::from_utf8_lossy(&out.stderr));
    Ok((stdout, out.status.success()))
}
