//! `loom import` and `loom export` end to end.

#![allow(clippy::unwrap_used)]

use std::path::PathBuf;
use std::process::{Command, Output};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/io")
        .join(name)
}

fn loom(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_loom"))
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run loom: {e}"))
}

/// A fresh directory, deleted (with what is in it) when dropped.
fn tempdir(name: &str) -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix(&format!("loom-cli-io-{name}-"))
        .tempdir()
        .unwrap()
}

#[test]
fn import_10x_then_export_each_format() {
    let dir = tempdir("formats");
    let out = dir.path().join("cr.loom");
    let s = |p: &PathBuf| p.to_str().unwrap().to_owned();
    let r = loom(&["import", "10x", &s(&fixture("cellranger2")), "-o", &s(&out)]);
    assert_eq!(
        r.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&r.stderr)
    );
    let ds = loom_core::connect(&out, loom_core::Mode::Read).unwrap();
    assert_eq!(ds.shape(), (12, 9));
    assert_eq!(ds.attrs().get("Genome").unwrap().as_str(), Some("hg19"));

    let h5ad = dir.path().join("cr.h5ad");
    let r = loom(&["export", &s(&out), "-o", &s(&h5ad), "-q"]);
    assert_eq!(
        r.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&r.stderr)
    );
    assert!(r.stderr.is_empty());
    let f = hdf5_lite::read::File::open(&h5ad).unwrap();
    assert_eq!(f.dataset("/X/indptr").unwrap().len(), 10);

    let mtx = dir.path().join("mtx");
    let r = loom(&["export", &s(&out), "-o", &s(&mtx), "--format", "mtx"]);
    assert_eq!(r.status.code(), Some(0));
    for f in ["matrix.mtx.gz", "features.tsv.gz", "barcodes.tsv.gz"] {
        assert!(mtx.join(f).is_file(), "{f}");
    }

    let r = loom(&["export", &s(&out), "-o", "-", "--format", "tsv"]);
    assert_eq!(r.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&r.stdout).contains("cellranger2:"));

    // h5ad and mtx cannot go to standard output: an error, not a file named `-`.
    for format in ["h5ad", "mtx"] {
        let r = Command::new(env!("CARGO_BIN_EXE_loom"))
            .args(["export", &s(&out), "-o", "-", "--format", format])
            .current_dir(dir.path())
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&r.stderr);
        assert_eq!(r.status.code(), Some(2), "{format}: {err}");
        assert!(err.contains("standard output"), "{format}: {err}");
        assert!(!dir.path().join("-").exists(), "{format}");
    }

    let back = dir.path().join("back.loom");
    let r = loom(&["import", "h5ad", &s(&h5ad), "-o", &s(&back)]);
    assert_eq!(
        r.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&r.stderr)
    );
}

#[test]
fn failures_exit_2_and_leave_no_file() {
    let dir = tempdir("fail");
    let out = dir.path().join("x.loom");
    let s = |p: &PathBuf| p.to_str().unwrap().to_owned();
    let r = loom(&[
        "import",
        "10x",
        &s(&dir.path().to_path_buf()),
        "-o",
        &s(&out),
    ]);
    assert_eq!(r.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&r.stderr).contains("neither a Cell Ranger folder"));
    assert!(!out.exists());
    assert!(!dir.path().join("x.loom.partial").exists());

    let r = loom(&[
        "export",
        &s(&fixture("velocity.loom")),
        "-o",
        &s(&dir.path().join("out.bin")),
    ]);
    assert_eq!(r.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&r.stderr).contains("--format"));
}

/// A STARsolo import with loompy's SQLite sample database: the sample's values become
/// typed column attributes; a sample missing from the database is a warning, as loompy
/// skips it.
#[test]
fn import_star_with_a_sample_database() {
    let dir = tempdir("star-db");
    let s = |p: &PathBuf| p.to_str().unwrap().to_owned();
    let db = s(&fixture("sqlite/samples.db"));
    let star = s(&fixture("star/star3"));
    let out = dir.path().join("s.loom");
    let args = [
        "import",
        "star",
        &star,
        "-o",
        &s(&out),
        "--sample-metadata",
        &db,
    ];
    let r = loom(&[&args[..], &["--sample-id", "S1"]].concat());
    assert_eq!(
        r.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&r.stderr)
    );
    let ds = loom_core::connect(&out, loom_core::Mode::Read).unwrap();
    assert_eq!(
        ds.ca().get("age").unwrap(),
        loom_core::AttrValues::from(vec![7i64; 9])
    );
    assert_eq!(
        ds.ca().get("weight").unwrap(),
        loom_core::AttrValues::from(vec![2.75f64; 9])
    );
    assert_eq!(
        ds.ca().get("note").unwrap(),
        loom_core::AttrValues::from(vec!["None"; 9])
    );
    drop(ds);
    let out = dir.path().join("t.loom");
    let args = [
        "import",
        "star",
        &star,
        "-o",
        &s(&out),
        "--sample-metadata",
        &db,
    ];
    let r = loom(&[&args[..], &["--sample-id", "S9999"]].concat());
    assert_eq!(r.status.code(), Some(0));
    let err = String::from_utf8_lossy(&r.stderr);
    assert!(
        err.contains("SampleID 'S9999' was not found in the samples database."),
        "{err}"
    );
}

/// The h5ad's obs and var names come from the attributes named by `--obs-names` and
/// `--var-names`. Old: a name the file does not have was ignored (the names became 0,
/// 1, 2, … as `anndata.read_loom` makes them) with exit 0; a name typed on the command
/// line is meant, so it is now an error naming the option, and no file is written.
/// Without the options, CellID and Gene are used when present, else 0, 1, 2, ….
#[test]
fn export_obs_and_var_names_come_from_the_named_attributes() {
    let dir = tempdir("names");
    let d = dir.path();
    let input = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/ops/input.loom");
    let s = |p: &std::path::Path| p.to_str().unwrap().to_owned();
    let index = |h5ad: &std::path::Path, frame: &str| {
        let f = hdf5_lite::read::File::open(h5ad).unwrap();
        f.dataset(&format!("/{frame}/_index"))
            .unwrap()
            .read_strings()
            .unwrap()
    };

    let named = d.join("named.h5ad");
    let r = loom(&[
        "export",
        &s(&input),
        "-o",
        &s(&named),
        "--obs-names",
        "Tissue",
        "--var-names",
        "Rank",
    ]);
    assert_eq!(
        r.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&r.stderr)
    );
    let obs = index(&named, "obs");
    assert_eq!(obs.len(), 11);
    assert_eq!(obs[..3], ["brain/x", "gut.y", "brain/x"]);
    assert_eq!(index(&named, "var")[..3], ["4", "6", "7"]);

    let default = d.join("default.h5ad");
    let r = loom(&["export", &s(&input), "-o", &s(&default)]);
    assert_eq!(r.status.code(), Some(0));
    assert_eq!(index(&default, "obs")[..2], ["C00", "C01"]);
    assert_eq!(index(&default, "var")[..2], ["G00", "G01"]);

    for (option, name, want) in [
        ("--obs-names", "Nope", "--obs-names Nope: "),
        ("--var-names", "Nope", "--var-names Nope: "),
        ("--obs-names", "Gene", "no column attribute named \"Gene\""),
    ] {
        let out = d.join("bad.h5ad");
        let r = loom(&["export", &s(&input), "-o", &s(&out), option, name]);
        let err = String::from_utf8_lossy(&r.stderr);
        assert_eq!(r.status.code(), Some(2), "{err}");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains(want), "{err}");
        assert!(!out.exists());
    }
    // Not for the other formats, where the names would be silently unused.
    let r = loom(&["export", &s(&input), "-o", "-", "--obs-names", "CellID"]);
    let err = String::from_utf8_lossy(&r.stderr);
    assert_eq!(r.status.code(), Some(2), "{err}");
    assert!(err.contains("--obs-names is for h5ad output"), "{err}");
    assert!(r.stdout.is_empty());
}
