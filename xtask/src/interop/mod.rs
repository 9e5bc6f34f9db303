//! `cargo xtask interop`: files written by hdf5-lite's writer, checked by the real
//! libhdf5 tools. Steps:
//!
//! 1. write a set of files covering everything the writer does (and edit copies of
//!    loompy/h5py fixtures), with `manifest.json` saying what each must contain;
//! 2. `xtask/interop/check.py` checks every file with h5py (libhdf5 2.0);
//! 3. `h5dump` and `h5stat` (libhdf5 1.10) must read every file without complaint;
//! 4. `loompy.connect` (validating) opens every loom file r+ and adds a layer and column
//!    attributes, which hdf5-lite then reads back, with everything it wrote before;
//! 5. hdf5-lite edits those files again (what libhdf5 just wrote), and h5py, h5dump and
//!    loompy check them once more;
//! 6. h5py edits some of our files (inserting into and deleting from our group and chunk
//!    B-trees, heaps and attribute lists), and h5py, h5dump and hdf5-lite check them;
//! 7. loom-core (its public API) writes loom files, which loompy opens with validation
//!    and compares value by value (`xtask/interop/loompy_check.py`); compound attributes
//!    (pySCENIC/SCope-style, opened without validation as those tools do) are also
//!    compared through h5py and h5dump;
//! 8. loompy dumps every loom fixture and the files of step 7
//!    (`xtask/interop/loompy_dump.py`); loom-core reads each one and compares value by
//!    value.

mod created_a;
mod created_b;
mod created_c;
mod edits;
mod edits_more;
mod h5py_edits;
mod loom;
mod loomcore;
mod loomcore_attrs;
mod loomcore_compound;
mod loomcore_dense;
mod loomcore_read;
mod model;
mod roundtrip;
mod session;
mod tools;

use std::path::{Path, PathBuf};
use std::time::Instant;

use serde_json::json;

use crate::Workspace;
use session::Exp;

/// Usage text for `cargo xtask interop --help`.
pub const USAGE: &str = "\
usage: cargo xtask interop [--keep DIR] [--python PY]

Writes files with hdf5-lite's writer into a temporary directory (or DIR), then checks
them with h5py (xtask/interop/check.py against manifest.json), h5dump, h5stat and
loompy; reads loompy's additions back with hdf5-lite and edits them again; lets h5py
edit our files and checks the result (manifest_roundtrip.json, manifest_h5py_ops.json,
manifest_after_h5py.json). loom-core writes loom files that loompy (validating) compares
value by value (manifest_loomcore.json), and loom-core reads every loom fixture as loompy
dumps it (loompy_dump.json).

  --keep DIR     write the files and manifests into DIR and keep them
                 (without it they are removed after a clean run, kept after a failure)
  --python PY    use this interpreter as is (no venv, no pip install); it needs
                 h5py, numpy and loompy

h5dump comes from PATH (or $H5DUMP); when missing it is installed with apt-get
(hdf5-tools) if running as root or with passwordless sudo. The venv is
target/xtask-venv with fixtures/requirements.txt, as for `cargo xtask fixtures`.";

struct Options {
    keep: Option<PathBuf>,
    python: Option<String>,
}

fn parse(args: &[String]) -> Result<Options, String> {
    let mut o = Options {
        keep: None,
        python: None,
    };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--keep" => o.keep = Some(PathBuf::from(it.next().ok_or("--keep needs a directory")?)),
            "--python" => o.python = Some(it.next().ok_or("--python needs a path")?.clone()),
            s => return Err(format!("unexpected argument `{s}`\n\n{USAGE}")),
        }
    }
    Ok(o)
}

type Case = fn(&Path) -> Result<Vec<Exp>, String>;
type EditCase = fn(&Path, &Path) -> Result<Vec<Exp>, String>;

/// Tally of one step.
#[derive(Default)]
struct Tally {
    passed: usize,
    failed: Vec<String>,
}

impl Tally {
    fn line(&self, step: &str) -> String {
        format!(
            "  {step:<34} {:>5} passed, {:>3} failed",
            self.passed,
            self.failed.len()
        )
    }
}

/// Entry point of `cargo xtask interop`.
pub fn run(ws: &Workspace, args: &[String]) -> Result<(), String> {
    let opts = parse(args)?;
    let started = Instant::now();
    let h5dump = tools::ensure_h5dump()?;
    let python = crate::util::ensure_python(&ws.root, opts.python.as_deref(), false)?;
    let dir = match &opts.keep {
        Some(d) => d.clone(),
        None => std::env::temp_dir().join(format!("loom-interop-{}", std::process::id())),
    };
    if opts.keep.is_none() && dir.exists() {
        std::fs::remove_dir_all(&dir)
            .map_err(|e| format!("cannot clear {}: {e}", dir.display()))?;
    }
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;

    let setup = started.elapsed();

    // 1. Write the files.
    let fixtures = ws.root.join("fixtures");
    let created: &[(&str, Case)] = &[
        ("groups", created_a::groups),
        ("layouts", created_a::layouts),
        ("filters", created_a::filters),
        ("fill_partial", created_a::fill_partial),
        ("resize", created_a::resize),
        ("numeric", created_b::numeric),
        ("strings", created_b::strings),
        ("enum_compound", created_b::enum_compound),
        ("attrs", created_b::attrs),
        ("links", created_c::links),
        ("multi_commit", created_c::multi_commit),
        ("extras", created_c::extras),
        ("dense_attrs", created_c::dense_attrs),
        ("loom_shaped", loom::loom_shaped),
        ("loom_renamed", loom::loom_renamed),
    ];
    let edited: &[(&str, EditCase)] = &[
        ("edit_01", edits::edit_01),
        ("edit_06", edits::edit_06),
        ("edit_07", edits::edit_07),
        ("edit_08", edits::edit_08),
        ("edit_53", edits::edit_53),
        ("edit_45", edits_more::edit_45),
        ("edit_47", edits_more::edit_47),
        ("edit_52", edits_more::edit_52),
        ("edit_57", edits_more::edit_57),
        ("edit_10", edits_more::edit_10),
        ("edit_43", edits_more::edit_43),
        ("edit_30", edits_more::edit_30),
        ("edit_09", edits_more::edit_09),
        ("edit_31", edits_more::edit_31),
    ];
    let mut write = Tally::default();
    let mut exps: Vec<Exp> = Vec::new();
    let mut record = |name: &str, r: Result<Vec<Exp>, String>| match r {
        Ok(v) => {
            write.passed += 1;
            exps.extend(v);
        }
        Err(e) => {
            eprintln!("FAIL write {name}: {e}");
            write.failed.push(format!("{name}: {e}"));
        }
    };
    for (name, case) in created {
        record(name, case(&dir));
    }
    for (name, case) in edited {
        record(name, case(&dir, &fixtures));
    }
    let plans = loom::plans(&exps)?;
    let manifest = json!({
        "version": 1,
        "files": exps.iter().map(Exp::to_json).collect::<Vec<_>>(),
        "loompy": loom::plans_json(&plans),
    });
    let manifest_path = dir.join("manifest.json");
    let text = serde_json::to_string_pretty(&manifest).map_err(|e| e.to_string())?;
    std::fs::write(&manifest_path, text).map_err(|e| format!("cannot write manifest: {e}"))?;
    eprintln!(
        "wrote {} files into {} ({:.1}s)",
        exps.len(),
        dir.display(),
        started.elapsed().as_secs_f64() - setup.as_secs_f64()
    );

    // 2. h5py checks.
    let scripts = ws.root.join("xtask").join("interop");
    let h5py = run_check(&python, &scripts, &manifest_path)?;

    // 3. h5dump (every element) and h5stat (every structure) on every file.
    let mut dump = Tally::default();
    let h5stat = tools::h5stat_next_to(&h5dump);
    for exp in &exps {
        for tool in [&h5dump, &h5stat] {
            match tools::h5dump(tool, &dir.join(&exp.name)) {
                Ok(()) => dump.passed += 1,
                Err(e) => {
                    let what = format!("{} {}: {e}", tool.display(), exp.name);
                    eprintln!("FAIL {what}");
                    dump.failed.push(what);
                }
            }
        }
    }

    // 4. loompy adds a layer and column attributes; hdf5-lite reads everything back.
    let mut loompy = run_loompy(&python, &scripts, &[&manifest_path])?;
    if loompy.passed + loompy.failed.len() < plans.len() {
        loompy.failed.push(format!(
            "loompy_edit.py handled {} of {} files",
            loompy.passed + loompy.failed.len(),
            plans.len()
        ));
    }
    let mut back = Tally::default();
    for plan in &plans {
        let (p, f) = loom::read_back(&dir, plan);
        back.passed += p;
        back.failed.extend(f);
        match tools::h5dump(&h5dump, &dir.join(&plan.file)) {
            Ok(()) => back.passed += 1,
            Err(e) => back
                .failed
                .push(format!("{}: h5dump after loompy: {e}", plan.file)),
        }
    }
    for exp in &exps {
        let (p, f) = loom::read_back_models(&dir, exp);
        back.passed += p;
        back.failed.extend(f);
    }
    for f in &back.failed {
        eprintln!("FAIL read-back {f}");
    }

    // 5. hdf5-lite edits what loompy (libhdf5) just wrote; checked again by all three.
    let mut again = Tally::default();
    let mut exps2 = Vec::new();
    for plan in &plans {
        match roundtrip::reedit(&dir, plan) {
            Ok(e) => {
                again.passed += 1;
                exps2.push(e);
            }
            Err(e) => {
                eprintln!("FAIL re-edit {e}");
                again.failed.push(e);
            }
        }
    }
    let manifest2 = json!({
        "version": 1,
        "files": exps2.iter().map(Exp::to_json).collect::<Vec<_>>(),
        "loompy": [],
    });
    let manifest2_path = dir.join("manifest_roundtrip.json");
    let text = serde_json::to_string_pretty(&manifest2).map_err(|e| e.to_string())?;
    std::fs::write(&manifest2_path, text).map_err(|e| format!("cannot write manifest: {e}"))?;
    let h5py2 = run_check(&python, &scripts, &manifest2_path)?;
    for exp in &exps2 {
        match tools::h5dump(&h5dump, &dir.join(&exp.name)) {
            Ok(()) => again.passed += 1,
            Err(e) => again
                .failed
                .push(format!("{}: h5dump after the re-edit: {e}", exp.name)),
        }
    }
    let validate: &Path = Path::new("--validate");
    let loompy2 = run_loompy(&python, &scripts, &[validate, &manifest2_path])?;
    for t in [h5py2, loompy2] {
        again.passed += t.passed;
        again.failed.extend(t.failed);
    }

    // 6. libhdf5 (h5py) edits our B-trees, heaps and headers; checked again.
    let mut h5py_step = Tally::default();
    let (ops, edited) = h5py_edits::plan(&mut exps)?;
    let ops_path = dir.join("manifest_h5py_ops.json");
    let text = serde_json::to_string_pretty(&ops).map_err(|e| e.to_string())?;
    std::fs::write(&ops_path, text)
        .map_err(|e| format!("cannot write {}: {e}", ops_path.display()))?;
    let (stdout, ok) = tools::python(&python, &scripts.join("h5py_edit.py"), &[&ops_path])?;
    h5py_step.passed += stdout.lines().filter(|l| l.starts_with("ok ")).count();
    h5py_step.failed.extend(
        stdout
            .lines()
            .filter(|l| l.starts_with("FAIL"))
            .map(str::to_owned),
    );
    if !ok && h5py_step.failed.is_empty() {
        h5py_step
            .failed
            .push("h5py_edit.py exited with an error".into());
    }
    let after: Vec<&Exp> = exps.iter().filter(|e| edited.contains(&e.name)).collect();
    let manifest3 = json!({
        "version": 1,
        "files": after.iter().map(|e| e.to_json()).collect::<Vec<_>>(),
        "loompy": [],
    });
    let manifest3_path = dir.join("manifest_after_h5py.json");
    let text = serde_json::to_string_pretty(&manifest3).map_err(|e| e.to_string())?;
    std::fs::write(&manifest3_path, text).map_err(|e| format!("cannot write manifest: {e}"))?;
    let t = run_check(&python, &scripts, &manifest3_path)?;
    h5py_step.passed += t.passed;
    h5py_step.failed.extend(t.failed);
    for exp in &after {
        match tools::h5dump(&h5dump, &dir.join(&exp.name)) {
            Ok(()) => h5py_step.passed += 1,
            Err(e) => h5py_step
                .failed
                .push(format!("{}: h5dump after h5py: {e}", exp.name)),
        }
        let (p, f) = loom::read_back_models(&dir, exp);
        h5py_step.passed += p;
        h5py_step.failed.extend(f);
    }

    // 7. loom-core writes loom files; loompy (validating) reads them value by value.
    let (lc_manifest, lc_written, lc_failed) = loomcore::write_all(&dir, &fixtures);
    let mut lc_write = Tally {
        passed: lc_written,
        failed: lc_failed,
    };
    for f in &lc_write.failed {
        eprintln!("FAIL {f}");
    }
    let lc_path = dir.join("manifest_loomcore.json");
    let text = serde_json::to_string_pretty(&lc_manifest).map_err(|e| e.to_string())?;
    std::fs::write(&lc_path, text).map_err(|e| format!("cannot write manifest: {e}"))?;
    let lc_check = run_lines(&python, &scripts.join("loompy_check.py"), &[&dir, &lc_path])?;
    for f in lc_manifest["files"]
        .as_array()
        .map_or(&[][..], Vec::as_slice)
    {
        match f["file"]
            .as_str()
            .map(|n| tools::h5dump(&h5dump, &dir.join(n)))
        {
            Some(Ok(())) => lc_write.passed += 1,
            Some(Err(e)) => lc_write.failed.push(format!("{}: h5dump: {e}", f["file"])),
            None => {}
        }
    }

    // 8. loompy dumps every loom fixture; loom-core reads them value by value.
    let mut loom_fixtures: Vec<PathBuf> = std::fs::read_dir(&fixtures)
        .map_err(|e| format!("cannot list {}: {e}", fixtures.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "loom"))
        .collect();
    loom_fixtures.sort();
    // loom-core's own files too: what loompy reads there, loom-core must read.
    loom_fixtures.extend(
        lc_manifest["files"]
            .as_array()
            .map_or(&[][..], Vec::as_slice)
            .iter()
            .filter_map(|f| f["file"].as_str().map(|n| dir.join(n))),
    );
    let dump_path = dir.join("loompy_dump.json");
    let mut dump_args: Vec<&Path> = vec![&dump_path];
    dump_args.extend(loom_fixtures.iter().map(PathBuf::as_path));
    let lc_dump = run_lines(&python, &scripts.join("loompy_dump.py"), &dump_args)?;
    let (p, f) = loomcore_read::compare_dump(&dump_path);
    for x in &f {
        eprintln!("FAIL loom-core reads {x}");
    }
    let lc_read = Tally {
        passed: p,
        failed: f,
    };

    let steps = [
        ("1. hdf5-lite writes the files", &write),
        ("2. h5py checks (check.py)", &h5py),
        ("3. h5dump + h5stat (libhdf5 1.10)", &dump),
        ("4a. loompy.connect r+ edits", &loompy),
        ("4b. hdf5-lite reads back", &back),
        ("5. re-edit after loompy, recheck", &again),
        ("6. h5py edits our structures", &h5py_step),
        ("7a. loom-core writes loom files", &lc_write),
        ("7b. loompy reads them (validating)", &lc_check),
        ("8a. loompy dumps fixtures+7a files", &lc_dump),
        ("8b. loom-core reads loompy's dumps", &lc_read),
    ];
    let failures: usize = steps.iter().map(|(_, t)| t.failed.len()).sum();
    eprintln!(
        "\ninterop summary ({} files in {}):",
        exps.len(),
        dir.display()
    );
    for (name, t) in steps {
        eprintln!("{}", t.line(name));
    }
    eprintln!(
        "  time: {:.1}s (setup {:.1}s)",
        started.elapsed().as_secs_f64(),
        setup.as_secs_f64()
    );
    if failures > 0 {
        return Err(format!(
            "{failures} interop check(s) failed; the files are kept in {}",
            dir.display()
        ));
    }
    if opts.keep.is_none() {
        let _ = std::fs::remove_dir_all(&dir);
    }
    Ok(())
}

/// Runs check.py on a manifest and collects its counts and failures.
fn run_check(python: &Path, scripts: &Path, manifest: &Path) -> Result<Tally, String> {
    let mut t = Tally::default();
    let (stdout, ok) = tools::python(python, &scripts.join("check.py"), &[manifest])?;
    let last = stdout.lines().last().unwrap_or("");
    let counts: Vec<usize> = last
        .split(|c: char| !c.is_ascii_digit())
        .filter_map(|x| x.parse().ok())
        .collect();
    match (last.starts_with("interop:"), counts.as_slice()) {
        (true, [p, f]) => {
            t.passed = *p;
            t.failed = stdout
                .lines()
                .filter(|l| l.starts_with("FAIL"))
                .map(str::to_owned)
                .collect();
            if t.failed.len() != *f {
                t.failed.push(format!("check.py reported {f} failures"));
            }
        }
        _ => t
            .failed
            .push(format!("check.py did not finish (last line {last:?})")),
    }
    if !ok && t.failed.is_empty() {
        t.failed.push("check.py exited with an error".into());
    }
    Ok(t)
}

/// Runs a script printing "ok ..." / "FAIL ..." lines and collects them.
fn run_lines(python: &Path, script: &Path, args: &[&Path]) -> Result<Tally, String> {
    let (stdout, ok) = tools::python(python, script, args)?;
    let mut t = Tally {
        passed: stdout.lines().filter(|l| l.starts_with("ok ")).count(),
        failed: stdout
            .lines()
            .filter(|l| l.starts_with("FAIL"))
            .map(str::to_owned)
            .collect(),
    };
    if !ok && t.failed.is_empty() {
        t.failed
            .push(format!("{} exited with an error", script.display()));
    }
    Ok(t)
}

/// Runs loompy_edit.py and collects its "ok"/"FAIL" lines.
fn run_loompy(python: &Path, scripts: &Path, args: &[&Path]) -> Result<Tally, String> {
    let (stdout, ok) = tools::python(python, &scripts.join("loompy_edit.py"), args)?;
    let mut t = Tally {
        passed: stdout.lines().filter(|l| l.starts_with("ok ")).count(),
        failed: stdout
            .lines()
            .filter(|l| l.starts_with("FAIL"))
            .map(str::to_owned)
            .collect(),
    };
    if !ok && t.failed.is_empty() {
        t.failed.push("loompy_edit.py exited with an error".into());
    }
    Ok(t)
}
