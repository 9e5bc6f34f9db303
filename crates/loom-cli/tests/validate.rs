//! `loom validate`: loompy's validator findings, verdict and exit codes (0 valid,
//! 1 invalid, 2 unreadable). Expected messages are loompy 3.0.8's, from
//! `loompy.LoomValidator().validate(path, strictness=…)` run on the same fixtures.

use std::path::PathBuf;
use std::process::{Command, Output};

fn fixture(name: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures")
        .join(name)
        .to_string_lossy()
        .into_owned()
}

fn loom(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_loom"))
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run loom: {e}"))
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn valid_file_exits_0() {
    let f = fixture("01_loompy_create_dense.loom");
    let out = loom(&["validate", &f]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        format!("{f} is a valid Loom file according to Loom spec version '3.0.0'\n")
    );
}

#[test]
fn verbose_prints_loompys_summary() {
    let f = fixture("01_loompy_create_dense.loom");
    let out = loom(&["validate", "--verbose", &f]);
    assert_eq!(out.status.code(), Some(0));
    let stdout = text(&out.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines[0], "Global attributes:");
    for want in [
        "Layers shape=(100, 70):",
        "      Main matrix float32",
        "        Embedding float32 (100, 3)",
        "             Bool uint8 ",
        "    'KNN' with 300 edges",
        "    'MKNN' with 140 edges",
    ] {
        assert!(lines.contains(&want), "{want:?} in {stdout}");
    }
}

#[test]
fn invalid_file_exits_1_with_loompys_errors() {
    let f = fixture("31_emul_hdf5r_loomR.loom");
    let out = loom(&["validate", &f]);
    assert_eq!(out.status.code(), Some(1));
    let stdout = text(&out.stdout);
    let errors: Vec<&str> = stdout
        .lines()
        .filter_map(|l| l.strip_prefix("error: "))
        .collect();
    assert_eq!(
        errors,
        [
            "Row attribute 'gene_names' shape 36 first dimension does not match row dimension (24, 36)",
            "Row attribute 'gene_names' dtype object is not allowed",
            "Row attribute 'nCells' shape 36 first dimension does not match row dimension (24, 36)",
            "Column attribute 'cell_names' shape 24 first dimension does not match column dimension (24, 36)",
            "Column attribute 'cell_names' dtype object is not allowed",
            "Column attribute 'is_good' shape 24 first dimension does not match column dimension (24, 36)",
            "Column attribute 'nUMI' shape 24 first dimension does not match column dimension (24, 36)",
            "For help, see http://linnarssonlab.org/loompy/format/",
        ]
    );
    assert!(stdout.ends_with(&format!(
        "{f} does not appear to be a valid Loom file according to Loom spec version '0.0.0'\n"
    )));
}

#[test]
fn conventions_report_warnings_and_errors() {
    let f = fixture("09_anndata_write_loom.loom");
    let out = loom(&["validate", "--strictness", "conventions", &f]);
    assert_eq!(out.status.code(), Some(1));
    let stdout = text(&out.stdout);
    let pick = |prefix: &str| -> Vec<String> {
        stdout
            .lines()
            .filter_map(|l| l.strip_prefix(prefix))
            .map(str::to_owned)
            .collect()
    };
    assert_eq!(
        pick("error: "),
        [
            "Column attribute 'ClusterID' is missing",
            "Column attribute 'CellID' is missing",
            "Row attribute 'Accession' is missing",
            "Row attribute 'Gene' is missing",
            "For help, see http://linnarssonlab.org/loompy/conventions/",
        ]
    );
    assert_eq!(pick("warning: ").len(), 10);
    assert_eq!(
        pick("warning: ")[0],
        "Optional global attribute 'Description' is missing"
    );
}

#[test]
fn unreadable_files_exit_2() {
    let out = loom(&["validate", "/definitely/not/here.loom"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("not found"));
    let junk = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("loom-validate-{}.loom", std::process::id()));
    std::fs::write(&junk, b"this is not HDF5").unwrap_or_else(|e| panic!("{e}"));
    let out = loom(&["validate", &junk.to_string_lossy()]);
    let _ = std::fs::remove_file(&junk);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stdout).is_empty());
    let out = loom(&[
        "validate",
        "--strictness",
        "lenient",
        &fixture("01_loompy_create_dense.loom"),
    ]);
    assert_eq!(out.status.code(), Some(2));
}
