//! Helpers shared by xtask commands: locating the workspace, running processes
//! with readable errors, and a Python virtualenv.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The workspace root: the parent of this crate's directory.
pub fn workspace_root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| manifest.to_path_buf())
}

/// Human-readable form of a command line, for messages.
pub fn show(cmd: &Command) -> String {
    let mut s = cmd.get_program().to_string_lossy().into_owned();
    for a in cmd.get_args() {
        s.push(' ');
        s.push_str(&a.to_string_lossy());
    }
    s
}

/// Run `cmd` (inheriting stdio); `Err` with `hint` if it cannot start or fails.
pub fn run(cmd: &mut Command, hint: &str) -> Result<(), String> {
    let line = show(cmd);
    eprintln!("+ {line}");
    match cmd.status() {
        Ok(st) if st.success() => Ok(()),
        Ok(st) => Err(format!("`{line}` failed ({st}). {hint}")),
        Err(e) => Err(format!("could not run `{line}`: {e}. {hint}")),
    }
}

/// A Python virtualenv under `dir`.
#[derive(Debug)]
pub struct Venv {
    /// The venv directory.
    pub dir: PathBuf,
}

impl Venv {
    /// The venv's interpreter.
    pub fn python(&self) -> PathBuf {
        if cfg!(windows) {
            self.dir.join("Scripts").join("python.exe")
        } else {
            self.dir.join("bin").join("python")
        }
    }

    /// Create the venv with `base_python` unless it already exists.
    pub fn ensure(&self, base_python: &str) -> Result<(), String> {
        if self.python().exists() {
            return Ok(());
        }
        let probe = Command::new(base_python).arg("--version").output();
        match probe {
            Ok(out) if out.status.success() => {}
            _ => {
                return Err(format!(
                    "`{base_python}` was not found. Install Python 3.10+ \
                     (Debian: `apt-get install python3 python3-venv`) or set XTASK_PYTHON."
                ))
            }
        }
        run(
            Command::new(base_python)
                .args(["-m", "venv"])
                .arg(&self.dir),
            "On Debian/Ubuntu install the venv module: `apt-get install python3-venv`.",
        )
    }

    /// `pip install -r requirements` unless the same file was installed before
    /// (a copy is kept in the venv as a stamp).
    pub fn install_requirements(&self, requirements: &Path, force: bool) -> Result<(), String> {
        let wanted = std::fs::read_to_string(requirements)
            .map_err(|e| format!("cannot read {}: {e}", requirements.display()))?;
        let stamp = self.dir.join("xtask-requirements.txt");
        if !force && std::fs::read_to_string(&stamp).ok().as_deref() == Some(wanted.as_str()) {
            eprintln!(
                "venv {} is up to date with {}",
                self.dir.display(),
                requirements.display()
            );
            return Ok(());
        }
        run(
            Command::new(self.python()).args(["-m", "pip", "install", "--upgrade", "pip"]),
            "pip could not upgrade itself; check network access to PyPI.",
        )?;
        run(
            Command::new(self.python())
                .args(["-m", "pip", "install", "-r"])
                .arg(requirements),
            "pip could not install the pinned packages; check network access to PyPI \
             and that wheels exist for this Python version (the pins were made with Python 3.11).",
        )?;
        std::fs::write(&stamp, wanted).map_err(|e| format!("cannot write {}: {e}", stamp.display()))
    }
}
