//! Every command that writes a file refuses an output path that exists and is not a
//! regular file: the file is written beside the output and renamed into place, and that
//! rename would replace a device such as `/dev/null` (found as root: `loom export in.loom
//! -o /dev/full --format h5ad` turned /dev/full into a regular file and exited 0). They
//! refuse `-o -` too, which wrote a file named `-`.

// Test helpers outside #[test] functions may unwrap: a failure there is a test failure.
#![allow(clippy::unwrap_used)]
#![cfg(unix)]

use std::path::{Path, PathBuf};
use std::process::Command;

fn fixture(path: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures")
        .join(path)
        .to_str()
        .unwrap()
        .to_owned()
}

/// Runs `loom` in `dir` with `args`, `OUT` replaced by `out`; asserts it fails with one
/// line holding `why`, and that `dir` holds only the link to /dev/null at `link`.
fn refuses(args: &[&str], dir: &Path, out: &str, why: &str, link: &Path) {
    let r = Command::new(env!("CARGO_BIN_EXE_loom"))
        .args(args.iter().map(|a| if *a == "OUT" { out } else { a }))
        .current_dir(dir)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&r.stderr);
    assert_eq!(r.status.code(), Some(2), "{args:?}: {err}");
    assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
    assert!(err.contains(why), "{args:?}: {err}");
    assert!(r.stdout.is_empty(), "{args:?}");
    assert_eq!(
        std::fs::read_link(link).unwrap(),
        Path::new("/dev/null"),
        "{args:?}"
    );
    assert_eq!(std::fs::read_dir(dir).unwrap().count(), 1, "{args:?}");
}

#[test]
fn writing_commands_leave_a_device_output_alone() {
    let dir = tempfile::Builder::new()
        .prefix("loom-cli-outputs-")
        .tempdir()
        .unwrap();
    let out = dir.path().join("null.loom");
    std::os::unix::fs::symlink("/dev/null", &out).unwrap();
    let input = fixture("ops/input.loom");
    let i = input.as_str();
    let cellranger = fixture("io/cellranger2");
    for args in [
        vec!["subset", i, "-o", "OUT", "--cols", "0:2", "-q"],
        vec!["permute", i, "-o", "OUT", "--random", "1", "-q"],
        vec!["aggregate", i, "-o", "OUT", "--aggr-by", "sum", "-q"],
        vec!["combine", i, i, "-o", "OUT", "-q"],
        vec!["combine", i, i, "-o", "OUT", "--faster", "-q"],
        vec!["export", i, "-o", "OUT", "--format", "h5ad", "-q"],
        vec!["import", "10x", &cellranger, "-o", "OUT", "-q"],
        vec!["repack", i, "OUT", "-q"],
    ] {
        let link = out.to_str().unwrap();
        refuses(&args, dir.path(), link, "is not a regular file", &out);
        refuses(&args, dir.path(), "-", "standard output", &out);
    }
}
