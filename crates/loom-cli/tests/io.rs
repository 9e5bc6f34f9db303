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
