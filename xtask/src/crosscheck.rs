//! `cargo xtask crosscheck`: compare the Rust reader (`loom h5 dump --json`) with
//! h5py on random HDF5/.loom files (`fixtures/random_files.py`) or on given files,
//! using `fixtures/crosscheck.py` and the pinned virtualenv at `target/xtask-venv`.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::util;
use crate::Workspace;

/// Usage text for `cargo xtask crosscheck --help`.
pub const USAGE: &str = "\
usage: cargo xtask crosscheck [--count K] [--seed N] [--keep DIR] [--save-fails DIR]
                              [--python PY] [--reinstall] [FILES...]

Builds loom-cli in release mode, creates/updates the virtualenv target/xtask-venv
(fixtures/requirements.txt, as `cargo xtask fixtures` does), then:
  - without FILES: writes random files with
    `fixtures/random_files.py DIR --seed N --count K` (K HDF5 files, K/4 loompy
    files, 2 anndata files) into a temporary DIR, or into --keep DIR;
  - runs `fixtures/crosscheck.py target/release/loom FILES-or-DIR`, which compares
    `loom h5 dump --json FILE` with h5py's dump of FILE (fixtures/h5json.py) under
    the rules of tests/src/lib.rs, prints OK/FAIL per file with the first
    differences and `crosscheck: N passed, M failed`.
Exits non-zero if any file failed. The temporary DIR is deleted when every file
passed and kept (its path is printed) when some failed.

  --count K         number of random HDF5 files (default 40)
  --seed N          seed of the random files (default 1); the same seed always
                    gives the same files (loompy timestamps aside)
  --keep DIR        write the random files into DIR and keep them
  --save-fails DIR  copy every failing file into DIR
  --python PY       use this interpreter as is (no venv, no pip install); it must
                    already have the packages of fixtures/requirements.txt
  --reinstall       run pip install even if the requirements did not change
  FILES...          check these files or directories instead of random files
                    (directories are searched for *.h5, *.hdf5, *.hdf, *.he5, *.loom)

The base interpreter for the venv is `python3`, or $XTASK_PYTHON if set.";

#[derive(Debug)]
struct Options {
    count: u32,
    seed: u64,
    keep: Option<PathBuf>,
    save_fails: Option<PathBuf>,
    python: Option<String>,
    reinstall: bool,
    files: Vec<PathBuf>,
}

fn number<T: std::str::FromStr>(opt: &str, v: Option<&String>) -> Result<T, String> {
    let v = v.ok_or_else(|| format!("{opt} needs a number"))?;
    v.parse()
        .map_err(|_| format!("{opt} needs a non-negative integer, got `{v}`"))
}

fn parse(args: &[String]) -> Result<Options, String> {
    let mut o = Options {
        count: 40,
        seed: 1,
        keep: None,
        save_fails: None,
        python: None,
        reinstall: false,
        files: Vec::new(),
    };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--count" => o.count = number("--count", it.next())?,
            "--seed" => o.seed = number("--seed", it.next())?,
            "--keep" => {
                let v = it.next().ok_or("--keep needs a directory")?;
                o.keep = Some(PathBuf::from(v));
            }
            "--save-fails" => {
                let v = it.next().ok_or("--save-fails needs a directory")?;
                o.save_fails = Some(PathBuf::from(v));
            }
            "--python" => {
                let v = it.next().ok_or("--python needs an interpreter path")?;
                o.python = Some(v.clone());
            }
            "--reinstall" => o.reinstall = true,
            s if s.starts_with('-') => return Err(format!("unknown option `{s}`\n\n{USAGE}")),
            s => o.files.push(PathBuf::from(s)),
        }
    }
    if o.keep.is_some() && !o.files.is_empty() {
        return Err(format!(
            "--keep is for generated files; it cannot be used with FILES\n\n{USAGE}"
        ));
    }
    Ok(o)
}

/// Entry point of `cargo xtask crosscheck`.
pub fn run(ws: &Workspace, args: &[String]) -> Result<(), String> {
    let opts = parse(args)?;
    let fixtures_dir = ws.root.join("fixtures");
    let generator = fixtures_dir.join("random_files.py");
    let checker = fixtures_dir.join("crosscheck.py");
    for script in [&generator, &checker] {
        if !script.exists() {
            return Err(format!("{} is missing", script.display()));
        }
    }

    let loom = build_loom(ws)?;

    let python = util::ensure_python(&ws.root, opts.python.as_deref(), opts.reinstall)?;

    // Files to check: the given ones, or a directory of fresh random files.
    let (targets, generated) = if opts.files.is_empty() {
        let dir = match &opts.keep {
            Some(d) => d.clone(),
            None => std::env::temp_dir().join(format!(
                "loom-crosscheck-seed{}-{}",
                opts.seed,
                std::process::id()
            )),
        };
        let mut cmd = Command::new(&python);
        cmd.arg(&generator)
            .arg(&dir)
            .args(["--seed", &opts.seed.to_string()])
            .args(["--count", &opts.count.to_string()])
            .current_dir(&ws.root);
        util::run(
            &mut cmd,
            "random_files.py names each file it could not write (FAILED NAME: ...).",
        )?;
        (vec![dir.clone()], Some(dir))
    } else {
        (opts.files.clone(), None)
    };

    let mut cmd = Command::new(&python);
    cmd.arg(&checker)
        .arg(&loom)
        .args(&targets)
        .current_dir(&ws.root);
    if let Some(d) = &opts.save_fails {
        cmd.arg("--save-fails").arg(d);
    }
    let result = util::run(
        &mut cmd,
        "The FAIL lines above name each file and its first differences.",
    );

    match (&generated, &opts.keep, &result) {
        (Some(dir), None, Ok(())) => {
            if let Err(e) = std::fs::remove_dir_all(dir) {
                eprintln!("warning: could not remove {}: {e}", dir.display());
            }
        }
        (Some(dir), _, _) => eprintln!("random files kept in {}", dir.display()),
        (None, _, _) => {}
    }
    result
}

/// `cargo build --release -p loom-cli`; returns the path of the `loom` binary, taken
/// from cargo's artifact messages so that `CARGO_TARGET_DIR` and config are honoured.
fn build_loom(ws: &Workspace) -> Result<PathBuf, String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
    let mut cmd = Command::new(cargo);
    cmd.args([
        "build",
        "--release",
        "-p",
        "loom-cli",
        "--bin",
        "loom",
        "--message-format=json-render-diagnostics",
    ])
    .current_dir(&ws.root)
    .stdin(Stdio::null())
    .stdout(Stdio::piped())
    .stderr(Stdio::inherit());
    let line = util::show(&cmd);
    eprintln!("+ {line}");
    let out = cmd
        .output()
        .map_err(|e| format!("could not run `{line}`: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "`{line}` failed ({}); see the compiler messages above.",
            out.status
        ));
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    stdout
        .lines()
        .filter(|l| l.contains("\"reason\":\"compiler-artifact\""))
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|v| v.get("executable")?.as_str().map(PathBuf::from))
        .find(|p| is_loom_binary(p))
        .ok_or_else(|| format!("`{line}` did not report the loom executable"))
}

fn is_loom_binary(p: &Path) -> bool {
    p.file_stem().is_some_and(|s| s == "loom")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn parses_options_and_files() {
        let o = parse(&args(&["--count", "7", "--seed", "3", "a.h5", "dir"]))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((o.count, o.seed), (7, 3));
        assert_eq!(o.files, vec![PathBuf::from("a.h5"), PathBuf::from("dir")]);
        assert!(parse(&args(&["--count"])).is_err());
        assert!(parse(&args(&["--seed", "-1"])).is_err());
        assert!(parse(&args(&["--bogus"])).is_err());
        assert!(parse(&args(&["--keep", "d", "x.h5"])).is_err());
    }

    #[test]
    fn recognises_loom_binary() {
        assert!(is_loom_binary(Path::new("/t/release/loom")));
        assert!(!is_loom_binary(Path::new("/t/release/libloom_cli.rlib")));
    }
}
