//! The outside tools the interop suite needs, installed when missing: `h5dump` (Debian
//! hdf5-tools) and a Python venv with the pinned fixture requirements (h5py, loompy).

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::util::{self, Venv};
use crate::Workspace;

fn works(cmd: &mut Command) -> bool {
    cmd.output().map(|o| o.status.success()).unwrap_or(false)
}

/// `[]` as root, `["sudo", "-n"]` with passwordless sudo, else `None`.
fn privilege() -> Option<Vec<&'static str>> {
    let uid = Command::new("id").arg("-u").output().ok()?;
    if String::from_utf8_lossy(&uid.stdout).trim() == "0" {
        return Some(Vec::new());
    }
    works(Command::new("sudo").args(["-n", "true"])).then(|| vec!["sudo", "-n"])
}

/// Installs Debian packages with apt-get (as root or with passwordless sudo).
fn apt_install(packages: &[&str], why: &str) -> Result<(), String> {
    let Some(prefix) = privilege() else {
        return Err(format!(
            "{why}, and this user can neither run apt-get as root nor use passwordless sudo. \
             Install it by hand: `sudo apt-get install -y {}`",
            packages.join(" ")
        ));
    };
    if !works(Command::new("apt-get").arg("--version")) {
        return Err(format!(
            "{why}, and apt-get is not available; install {} with your package manager",
            packages.join(" ")
        ));
    }
    let apt = |args: &[&str]| {
        let mut cmd = Command::new(prefix.first().copied().unwrap_or("apt-get"));
        if !prefix.is_empty() {
            cmd.args(&prefix[1..]).arg("apt-get");
        }
        cmd.args(args).env("DEBIAN_FRONTEND", "noninteractive");
        cmd
    };
    eprintln!("{why}: installing {} with apt-get", packages.join(" "));
    util::run(
        &mut apt(&["update"]),
        "apt-get update failed; check network access.",
    )?;
    let mut install = apt(&["install", "-y", "--no-install-recommends"]);
    install.args(packages);
    util::run(&mut install, "apt-get install failed.")
}

/// The `h5dump` to use: `$H5DUMP`, or the one on PATH (installed if missing).
pub fn ensure_h5dump() -> Result<PathBuf, String> {
    if let Ok(p) = std::env::var("H5DUMP") {
        return Ok(PathBuf::from(p));
    }
    if works(Command::new("h5dump").arg("--version")) {
        return Ok(PathBuf::from("h5dump"));
    }
    apt_install(&["hdf5-tools"], "h5dump was not found")?;
    if works(Command::new("h5dump").arg("--version")) {
        Ok(PathBuf::from("h5dump"))
    } else {
        Err("hdf5-tools was installed but h5dump still does not run".into())
    }
}

/// The Python to run the checks with: `python` as given, or the xtask venv
/// (`target/xtask-venv`, pinned `fixtures/requirements.txt`, shared with `fixtures`),
/// created (installing python3 / python3-venv on Debian when needed) and filled.
pub fn ensure_python(ws: &Workspace, python: Option<&str>) -> Result<PathBuf, String> {
    if let Some(p) = python {
        return Ok(PathBuf::from(p));
    }
    let venv = Venv {
        dir: ws.root.join("target").join("xtask-venv"),
    };
    let base = std::env::var("XTASK_PYTHON").unwrap_or_else(|_| "python3".to_string());
    // A venv left half-made by an earlier failure (no pip) is made again.
    if venv.python().exists()
        && !works(Command::new(venv.python()).args(["-m", "pip", "--version"]))
    {
        eprintln!("{} has no working pip; recreating it", venv.dir.display());
        std::fs::remove_dir_all(&venv.dir)
            .map_err(|e| format!("cannot remove {}: {e}", venv.dir.display()))?;
    }
    if !venv.python().exists() {
        if !works(Command::new(&base).arg("--version")) && base == "python3" {
            apt_install(&["python3", "python3-venv"], "python3 was not found")?;
        }
        let probe = Command::new(&base)
            .args(["-c", "import venv, ensurepip"])
            .output();
        if !probe.map(|o| o.status.success()).unwrap_or(false) {
            apt_install(
                &["python3-venv"],
                &format!("`{base} -m venv` cannot work (no venv/ensurepip module)"),
            )?;
        }
        if let Err(e) = venv.ensure(&base) {
            // Debian's venv fails late without python3-venv; leave nothing half-made.
            let _ = std::fs::remove_dir_all(&venv.dir);
            apt_install(
                &["python3-venv"],
                &format!("creating the venv failed ({e})"),
            )?;
            venv.ensure(&base)?;
        }
    }
    venv.install_requirements(&ws.root.join("fixtures").join("requirements.txt"), false)?;
    Ok(venv.python())
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
    let out = Command::new(tool)
        .arg(file)
        .output()
        .map_err(|e| format!("cannot run {}: {e}", tool.display()))?;
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
    let out = cmd
        .output()
        .map_err(|e| format!("cannot run {}: {e}", python.display()))?;
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    print!("{stdout}");
    eprint!("{}", String::from_utf8_lossy(&out.stderr));
    Ok((stdout, out.status.success()))
}
