//! Helpers shared by xtask commands: locating the workspace, running processes
//! with readable errors (and a time limit), apt-get, and the pinned Python virtualenv.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

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

/// Run `cmd` (inheriting stdout/stderr, stdin closed); `Err` with `hint` if it cannot
/// start or fails.
pub fn run(cmd: &mut Command, hint: &str) -> Result<(), String> {
    let line = show(cmd);
    eprintln!("+ {line}");
    match cmd.stdin(Stdio::null()).status() {
        Ok(st) if st.success() => Ok(()),
        Ok(st) => Err(format!("`{line}` failed ({st}). {hint}")),
        Err(e) => Err(format!("could not run `{line}`: {e}. {hint}")),
    }
}

/// A temporary file for one captured stream of one child.
struct TempOut(PathBuf);

impl TempOut {
    fn new(stream: &str) -> Result<(Self, std::fs::File), String> {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!("xtask-{}-{n}.{stream}", std::process::id()));
        let file = std::fs::File::create(&path)
            .map_err(|e| format!("cannot create {}: {e}", path.display()))?;
        Ok((Self(path), file))
    }

    fn read(&self) -> Vec<u8> {
        std::fs::read(&self.0).unwrap_or_default()
    }
}

impl Drop for TempOut {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Runs `cmd` to completion with stdin closed, capturing stdout and stderr (into
/// temporary files, so a full pipe can never block the child); kills it and returns
/// `Err` if it is still running after `limit`. A non-zero exit is *not* an error here:
/// check `status` of the returned output.
pub fn run_with_timeout(cmd: &mut Command, limit: Duration) -> Result<Output, String> {
    let line = show(cmd);
    match run_until(cmd, limit)? {
        Ok(out) => Ok(out),
        Err(t) => Err(format!(
            "`{line}` timed out after {limit:?} and was killed; stderr:\n{}",
            t.stderr
        )),
    }
}

/// A child killed at its time limit: the CPU time it had used by then (user + system,
/// from `/proc/PID/stat`; `None` where that cannot be read) and its stderr.
pub struct TimedOut {
    /// CPU time used when it was killed: a lower bound of what the whole run needs.
    pub cpu: Option<Duration>,
    /// What it wrote to stderr.
    pub stderr: String,
}

/// As [`run_with_timeout`], but a child still running after `limit` is killed and
/// returned as `Ok(Err(TimedOut))`, with the CPU time it had used.
pub fn run_until(cmd: &mut Command, limit: Duration) -> Result<Result<Output, TimedOut>, String> {
    let line = show(cmd);
    let (out_path, out_file) = TempOut::new("stdout")?;
    let (err_path, err_file) = TempOut::new("stderr")?;
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(out_file)
        .stderr(err_file)
        .spawn()
        .map_err(|e| format!("could not run `{line}`: {e}"))?;
    let t0 = Instant::now();
    let mut nap = Duration::from_millis(1);
    let status = loop {
        match child.try_wait() {
            Ok(Some(st)) => break st,
            Ok(None) if t0.elapsed() > limit => {
                let cpu = proc_cpu(child.id());
                let _ = child.kill();
                let _ = child.wait();
                let stderr = String::from_utf8_lossy(&err_path.read()).into_owned();
                return Ok(Err(TimedOut { cpu, stderr }));
            }
            Ok(None) => {
                std::thread::sleep(nap);
                nap = (nap * 2).min(Duration::from_millis(20));
            }
            Err(e) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("waiting for `{line}`: {e}"));
            }
        }
    };
    Ok(Ok(Output {
        status,
        stdout: out_path.read(),
        stderr: err_path.read(),
    }))
}

/// User + system CPU time of a live process, from fields 14 and 15 of `/proc/PID/stat`
/// (in clock ticks of 1/100 s, Linux's USER_HZ).
fn proc_cpu(pid: u32) -> Option<Duration> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) may hold spaces; the fields after it start past ')'.
    let rest = stat.get(stat.rfind(')')? + 1..)?;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // `rest` starts at field 3, so field N is fields[N - 3].
    let ticks = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some(Duration::from_millis(ticks * 10))
}

/// Whether `cmd` starts and exits 0 (output discarded, stdin closed).
pub fn works(cmd: &mut Command) -> bool {
    cmd.stdin(Stdio::null())
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

/// `[]` as root, `["sudo", "-n"]` with passwordless sudo, else `None`.
fn privilege() -> Option<Vec<&'static str>> {
    let uid = Command::new("id").arg("-u").output().ok()?;
    if String::from_utf8_lossy(&uid.stdout).trim() == "0" {
        return Some(Vec::new());
    }
    works(Command::new("sudo").args(["-n", "true"])).then(|| vec!["sudo", "-n"])
}

/// Installs Debian packages with apt-get (as root or with passwordless sudo), waiting
/// up to 10 minutes for another apt/dpkg holding the lock.
pub fn apt_install(packages: &[&str], why: &str) -> Result<(), String> {
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
        cmd.args(["-o", "DPkg::Lock::Timeout=600"])
            .args(args)
            .env("DEBIAN_FRONTEND", "noninteractive");
        cmd
    };
    eprintln!("{why}: installing {} with apt-get", packages.join(" "));
    run(
        &mut apt(&["update"]),
        "apt-get update failed; check network access.",
    )?;
    let mut install = apt(&["install", "-y", "--no-install-recommends"]);
    install.args(packages);
    run(&mut install, "apt-get install failed.")
}

/// The Python to run fixture/check scripts with: `python` as given, or the xtask venv
/// (`target/xtask-venv` under `root`, pinned `fixtures/requirements.txt`), created
/// (installing python3 / python3-venv on Debian when needed; a half-made venv without
/// pip is made again) and filled (`reinstall` forces pip to run).
pub fn ensure_python(
    root: &Path,
    python: Option<&str>,
    reinstall: bool,
) -> Result<PathBuf, String> {
    if let Some(p) = python {
        return Ok(PathBuf::from(p));
    }
    let venv = Venv {
        dir: root.join("target").join("xtask-venv"),
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
        if !works(Command::new(&base).args(["-c", "import venv, ensurepip"])) {
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
    venv.install_requirements(&root.join("fixtures").join("requirements.txt"), reinstall)?;
    Ok(venv.python())
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
            Command::new(self.python())
                .args(["-m", "pip", "install", "--upgrade", "pip"])
                .env("PIP_NO_INPUT", "1"),
            "pip could not upgrade itself; check network access to PyPI.",
        )?;
        run(
            Command::new(self.python())
                .args(["-m", "pip", "install", "-r"])
                .arg(requirements)
                .env("PIP_NO_INPUT", "1"),
            "pip could not install the pinned packages; check network access to PyPI \
             and that wheels exist for this Python version (the pins were made with Python 3.11).",
        )?;
        std::fs::write(&stamp, wanted).map_err(|e| format!("cannot write {}: {e}", stamp.display()))
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn run_with_timeout_captures_and_kills() {
        // More than a pipe buffer (64 KiB) on stdout must not block the child.
        let out = run_with_timeout(
            Command::new("sh").args(["-c", "head -c 200000 /dev/zero; echo err >&2; exit 3"]),
            Duration::from_secs(30),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(out.stdout.len(), 200_000);
        assert_eq!(out.stderr, b"err\n");
        assert_eq!(out.status.code(), Some(3));

        let t0 = Instant::now();
        let r = run_with_timeout(
            Command::new("sh").args(["-c", "sleep 20"]),
            Duration::from_millis(200),
        );
        assert!(r.is_err_and(|e| e.contains("timed out")));
        assert!(t0.elapsed() < Duration::from_secs(10));
    }

    #[test]
    fn run_until_reports_the_cpu_of_a_killed_child() {
        // A busy loop: killed at the limit, with the CPU it used by then.
        let r = run_until(
            Command::new("sh").args(["-c", "echo started >&2; while :; do :; done"]),
            Duration::from_millis(1500),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let Err(t) = r else {
            panic!("the loop ended by itself")
        };
        assert!(t
            .cpu
            .is_some_and(|c| c > Duration::ZERO && c < Duration::from_secs(60)));
        assert_eq!(t.stderr, "started\n");
    }
}
