//! `cargo xtask sizes`: the file-size targets of issue 7 measured on freshly generated
//! random inputs (never the fixtures the tests use).
//!
//! For each seed and shape, `fixtures/sizes.py` makes a file with loompy's `create`;
//! loom-core's `create` writes the same content (`loom_tests::sizes::recreate`); a copy
//! of that is edited over several read-write sessions
//! (`loom_tests::sizes::edit_sessions`) and repacked by `loom repack` (hdf5-lite) and by
//! `h5repack` (libhdf5). The table gives loom-core/loompy and edited/repacked.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use loom_tests::sizes::{edit_sessions, file_len, recreate};

use crate::util;
use crate::Workspace;

/// Usage text for `cargo xtask sizes --help`.
pub const USAGE: &str = "\
usage: cargo xtask sizes [--seeds N] [--first S] [--shapes A,B,..] [--sessions K]
                         [--edits E] [--check] [--keep DIR] [--python PY]

Generates random loom files with loompy (fixtures/sizes.py, seeds S..S+N), writes the
same content with loom-core's create, edits a copy over K read-write sessions of E
edits each (one commit per edit), repacks it with `loom repack` and `h5repack`, and
prints a table of sizes. Defaults: 3 seeds from 1000, shapes
10x5x1,100x30x40,300x200x3,500x300x20,2000x5000x3 (ROWSxCOLSxSTRING_ATTRS), 4 sessions
of 8 edits.

  --check       exit with an error when a target is missed: create at most 2% larger
                than loompy's, edited at most 1.5x the smaller of the two repacked sizes
  --keep DIR    keep the files in DIR (default: a directory under target/ removed after)
  --python PY   use this interpreter as is (it needs loompy); default: the xtask venv

h5repack comes from PATH (Debian hdf5-tools, installed with apt-get when missing).";

/// Time limit for one h5repack run or one generator run.
const LIMIT: Duration = Duration::from_secs(600);

struct Options {
    seeds: u64,
    first: u64,
    shapes: Vec<String>,
    sessions: usize,
    edits: usize,
    check: bool,
    keep: Option<PathBuf>,
    python: Option<String>,
}

fn parse(args: &[String]) -> Result<Options, String> {
    let mut o = Options {
        seeds: 3,
        first: 1000,
        shapes: [
            "10x5x1",
            "100x30x40",
            "300x200x3",
            "500x300x20",
            "2000x5000x3",
        ]
        .map(String::from)
        .to_vec(),
        sessions: 4,
        edits: 8,
        check: false,
        keep: None,
        python: None,
    };
    let mut it = args.iter();
    let number = |v: Option<&String>, what: &str| -> Result<u64, String> {
        v.and_then(|s| s.parse().ok())
            .ok_or_else(|| format!("{what} needs a number"))
    };
    while let Some(a) = it.next() {
        match a.as_str() {
            "--seeds" => o.seeds = number(it.next(), "--seeds")?,
            "--first" => o.first = number(it.next(), "--first")?,
            "--sessions" => o.sessions = number(it.next(), "--sessions")? as usize,
            "--edits" => o.edits = number(it.next(), "--edits")? as usize,
            "--shapes" => {
                let v = it.next().ok_or("--shapes needs a list")?;
                o.shapes = v.split(',').map(String::from).collect();
            }
            "--check" => o.check = true,
            "--keep" => o.keep = Some(PathBuf::from(it.next().ok_or("--keep needs a directory")?)),
            "--python" => o.python = Some(it.next().ok_or("--python needs a path")?.clone()),
            s => return Err(format!("unexpected argument `{s}`\n\n{USAGE}")),
        }
    }
    Ok(o)
}

/// One measured input.
struct Row {
    name: String,
    loompy: u64,
    ours: u64,
    edited: u64,
    loom_repack: u64,
    h5repack: u64,
}

impl Row {
    fn create_ratio(&self) -> f64 {
        self.ours as f64 / self.loompy as f64
    }

    fn edit_ratio(&self) -> f64 {
        self.edited as f64 / self.loom_repack.min(self.h5repack) as f64
    }
}

/// Entry point of `cargo xtask sizes`.
pub fn run(ws: &Workspace, args: &[String]) -> Result<(), String> {
    let o = parse(args)?;
    let python = util::ensure_python(&ws.root, o.python.as_deref(), false)?;
    let h5repack = ensure_h5repack()?;
    let dir = o
        .keep
        .clone()
        .unwrap_or_else(|| ws.root.join("target").join("xtask-sizes"));
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut rows = Vec::new();
    for seed in o.first..o.first + o.seeds {
        let mut cmd = Command::new(&python);
        cmd.arg(ws.root.join("fixtures").join("sizes.py"))
            .arg(&dir)
            .arg(seed.to_string())
            .args(&o.shapes);
        let out = util::run_with_timeout(&mut cmd, LIMIT)?;
        if !out.status.success() {
            return Err(format!(
                "fixtures/sizes.py failed: {}",
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        for spec in &o.shapes {
            let made = dir.join(format!("s{seed}_{spec}.loom"));
            rows.push(measure(&made, seed, &o, &h5repack)?);
        }
    }
    print_table(&rows, &o);
    if o.keep.is_none() {
        let _ = std::fs::remove_dir_all(&dir);
    }
    let missed: Vec<String> = rows
        .iter()
        .filter(|r| r.create_ratio() > 1.02 || r.edit_ratio() > 1.5)
        .map(|r| r.name.clone())
        .collect();
    if o.check && !missed.is_empty() {
        return Err(format!("size targets missed by {}", missed.join(", ")));
    }
    Ok(())
}

/// The sizes of one loompy-made file, its loom-core twin, the twin edited, and the
/// edited file repacked both ways.
fn measure(loompy: &Path, seed: u64, o: &Options, h5repack: &Path) -> Result<Row, String> {
    let with = |p: &Path, suffix: &str| p.with_extension(format!("{suffix}.loom"));
    let (ours, edited) = (with(loompy, "ours"), with(loompy, "edited"));
    let (packed, h5packed) = (with(loompy, "repacked"), with(loompy, "h5repacked"));
    let fail = |what: &str, e: &dyn std::fmt::Display| format!("{}: {what}: {e}", loompy.display());
    recreate(loompy, &ours).map_err(|e| fail("loom-core create", &e))?;
    std::fs::copy(&ours, &edited).map_err(|e| fail("copy", &e))?;
    edit_sessions(&edited, seed, o.sessions, o.edits).map_err(|e| fail("edits", &e))?;
    hdf5_lite::repack(&edited, &packed, &hdf5_lite::RepackOptions::default())
        .map_err(|e| fail("loom repack", &e))?;
    let _ = std::fs::remove_file(&h5packed);
    let out = util::run_with_timeout(Command::new(h5repack).arg(&edited).arg(&h5packed), LIMIT)?;
    if !out.status.success() {
        return Err(fail("h5repack", &String::from_utf8_lossy(&out.stderr)));
    }
    let len = |p: &Path| file_len(p).map_err(|e| fail("size", &e));
    Ok(Row {
        name: loompy
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default(),
        loompy: len(loompy)?,
        ours: len(&ours)?,
        edited: len(&edited)?,
        loom_repack: len(&packed)?,
        h5repack: len(&h5packed)?,
    })
}

fn print_table(rows: &[Row], o: &Options) {
    println!(
        "| input (seed_RxCxS) | loompy create | loom-core create | ratio | edited ({}x{} edits) | loom repack | h5repack | edited/repacked |",
        o.sessions, o.edits
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|");
    for r in rows {
        println!(
            "| {} | {} | {} | {:.3} | {} | {} | {} | {:.2} |",
            r.name,
            r.loompy,
            r.ours,
            r.create_ratio(),
            r.edited,
            r.loom_repack,
            r.h5repack,
            r.edit_ratio()
        );
    }
    let worst = |f: fn(&Row) -> f64| rows.iter().map(f).fold(0.0f64, f64::max);
    println!(
        "\nworst: create {:.3}x loompy (target 1.02), edited {:.2}x repacked (target 1.5)",
        worst(Row::create_ratio),
        worst(Row::edit_ratio)
    );
}

/// `h5repack` from PATH (installed with hdf5-tools when missing).
fn ensure_h5repack() -> Result<PathBuf, String> {
    if util::works(Command::new("h5repack").arg("--version")) {
        return Ok(PathBuf::from("h5repack"));
    }
    util::apt_install(&["hdf5-tools"], "h5repack was not found")?;
    if util::works(Command::new("h5repack").arg("--version")) {
        Ok(PathBuf::from("h5repack"))
    } else {
        Err("hdf5-tools was installed but h5repack still does not run".into())
    }
}
