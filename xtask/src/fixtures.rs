//! `cargo xtask fixtures`: regenerate the HDF5/.loom fixtures and their expected
//! JSON dumps with the real tools (h5py = libhdf5 2.0, loompy, anndata) in a pinned
//! virtualenv at `target/xtask-venv`.

use std::path::PathBuf;
use std::process::Command;

use crate::util;
use crate::Workspace;

/// Usage text for `cargo xtask fixtures --help`.
pub const USAGE: &str = "\
usage: cargo xtask fixtures [--out DIR] [--python PY] [--reinstall] [FILTER]

Creates the virtualenv target/xtask-venv (python3 -m venv) if it is missing,
installs fixtures/requirements.txt into it, then runs
`fixtures/generate.py DIR [FILTER]`, which writes every fixture NAME.ext and its
expected dump NAME.ext.json into DIR (default: fixtures/), then (with no FILTER,
or FILTER `ops`) `fixtures/ops.py DIR`, which writes DIR/ops/: the inputs of
loom-core's operation tests and loompy's results on them (expected.json), and
(FILTER `size`) `fixtures/sizes.py DIR`, which writes DIR/size/: loompy-made files
for the file-size tests.

  --out DIR      write the fixtures somewhere else (default: fixtures/)
  --python PY    use this interpreter as is (no venv, no pip install);
                 it must already have the packages of fixtures/requirements.txt
  --reinstall    run pip install even if the requirements did not change
  FILTER         only build fixtures whose file name contains FILTER

The base interpreter for the venv is `python3`, or $XTASK_PYTHON if set.
PyTables (fixture 63) runs in its own venv target/tables-venv
(fixtures/requirements-tables.txt).
File 55 also needs the system libhdf5 1.10 (Debian: libhdf5-103-1, pulled in by
hdf5-tools); without it only that fixture fails.
loompy writes timestamps, so a regeneration always changes a few bytes and the
JSON `CreationDate`/`last_modified` values; review with `git status fixtures/`.";

struct Options {
    out: Option<PathBuf>,
    python: Option<String>,
    reinstall: bool,
    filter: Option<String>,
}

fn parse(args: &[String]) -> Result<Options, String> {
    let mut o = Options {
        out: None,
        python: None,
        reinstall: false,
        filter: None,
    };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--out" => {
                let v = it.next().ok_or("--out needs a directory")?;
                o.out = Some(PathBuf::from(v));
            }
            "--python" => {
                let v = it.next().ok_or("--python needs an interpreter path")?;
                o.python = Some(v.clone());
            }
            "--reinstall" => o.reinstall = true,
            s if s.starts_with('-') => return Err(format!("unknown option `{s}`\n\n{USAGE}")),
            s if o.filter.is_none() => o.filter = Some(s.to_string()),
            s => return Err(format!("unexpected argument `{s}`\n\n{USAGE}")),
        }
    }
    Ok(o)
}

/// Entry point of `cargo xtask fixtures`.
pub fn run(ws: &Workspace, args: &[String]) -> Result<(), String> {
    let opts = parse(args)?;
    let fixtures_dir = ws.root.join("fixtures");
    let script = fixtures_dir.join("generate.py");
    if !script.exists() {
        return Err(format!("{} is missing", script.display()));
    }

    let python = util::ensure_python(&ws.root, opts.python.as_deref(), opts.reinstall)?;
    // PyTables bundles its own libhdf5, so it gets its own venv (fixture 63); with
    // --python that interpreter is used for it too.
    let tables_python = match &opts.python {
        Some(p) => PathBuf::from(p),
        None => {
            let venv = util::Venv {
                dir: ws.root.join("target").join("tables-venv"),
            };
            venv.ensure(&std::env::var("XTASK_PYTHON").unwrap_or_else(|_| "python3".into()))?;
            venv.install_requirements(
                &fixtures_dir.join("requirements-tables.txt"),
                opts.reinstall,
            )?;
            venv.python()
        }
    };

    let out = opts.out.unwrap_or_else(|| fixtures_dir.clone());
    let mut cmd = Command::new(&python);
    cmd.arg(&script)
        .arg(&out)
        .env("TABLES_PYTHON", &tables_python)
        .current_dir(&ws.root);
    if let Some(f) = &opts.filter {
        cmd.arg(f);
    }
    util::run(
        &mut cmd,
        "See the messages above; each failing fixture is named (FAILED NAME: ...).",
    )?;
    if opts.filter.as_deref().is_none_or(|f| f == "ops") {
        let mut ops = Command::new(&python);
        ops.arg(fixtures_dir.join("ops.py"))
            .arg(&out)
            .current_dir(&ws.root);
        util::run(&mut ops, "fixtures/ops.py failed; see the messages above.")?;
    }
    // The file-size checks' inputs (tests/tests/sizes.rs): loompy's `create` output.
    if opts.filter.as_deref().is_none_or(|f| "size/".contains(f)) {
        let mut sizes = Command::new(&python);
        sizes
            .arg(fixtures_dir.join("sizes.py"))
            .arg(&out)
            .current_dir(&ws.root);
        util::run(
            &mut sizes,
            "fixtures/sizes.py failed; see the messages above.",
        )?;
    }
    // loom-io's importer and exporter fixtures (10x, mtx, tsv, STARsolo, h5ad, SQLite
    // sample databases made by Python's sqlite3), with the expected values of loompy's
    // importers and load_sample_metadata and of anndata's/scanpy's readers.
    if opts.filter.as_deref().is_none_or(|f| "io/".contains(f)) {
        let mut io = Command::new(&python);
        io.arg(fixtures_dir.join("io").join("generate.py"))
            .arg(out.join("io"))
            .current_dir(&ws.root);
        util::run(&mut io, "See the messages above (fixtures/io/generate.py).")?;
    }
    eprintln!(
        "fixtures written to {}; check `h5dump` on them and review `git status` before committing.",
        out.display()
    );
    Ok(())
}
