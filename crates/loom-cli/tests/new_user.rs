//! What a new user tries from the README's `loom` section alone, where it went wrong:
//! each test reproduces one of those findings.

// Test helpers outside #[test] functions may unwrap: a failure there is a test failure.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures")
        .join(name)
}

fn loom(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_loom"))
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn scratch() -> tempfile::TempDir {
    let dir = tempfile::Builder::new()
        .prefix("loom-cli-new-user-")
        .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
        .unwrap();
    std::fs::copy(fixture("ops/input.loom"), dir.path().join("in.loom")).unwrap();
    std::fs::copy(
        fixture("01_loompy_create_dense.loom"),
        dir.path().join("dense.loom"),
    )
    .unwrap();
    dir
}

/// Exit 2 with one line on stderr holding `want`; nothing on stdout.
fn assert_fails(r: &Output, want: &str) {
    let err = text(&r.stderr);
    assert_eq!(r.status.code(), Some(2), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains(want), "{err:?} lacks {want:?}");
    assert!(r.stdout.is_empty());
}

/// Old: `loom stats --name Embedding` (a 2-D row attribute, 100 x 3) printed the
/// flattened values, row 1 labelled with row 0's second coordinate; `subset --rows
/// 'Embedding == 1'` matched against them the same way. An attribute with more than one
/// value per row or column cannot label or select one; the option is named.
#[test]
fn a_2d_attribute_cannot_name_or_select_rows() {
    let dir = scratch();
    let d = dir.path();
    let r = loom(d, &["stats", "dense.loom", "--name", "Embedding"]);
    assert_fails(
        &r,
        "--name Embedding: dense.loom: 'Embedding' has shape [100, 3], not one value per row",
    );
    let r = loom(
        d,
        &[
            "subset",
            "dense.loom",
            "-o",
            "o.loom",
            "--rows",
            "Embedding == 1",
        ],
    );
    assert_fails(
        &r,
        "--rows 'Embedding == 1': dense.loom: 'Embedding' has shape",
    );
    assert!(!d.join("o.loom").exists());
    // A 1-D one still labels each row with its own value.
    let r = loom(d, &["stats", "in.loom", "--name", "Score"]);
    assert_eq!(r.status.code(), Some(0), "{}", text(&r.stderr));
    let out = text(&r.stdout);
    let names: Vec<&str> = out
        .lines()
        .skip(1)
        .map(|l| l.split('\t').nth(1).unwrap())
        .take(4)
        .collect();
    assert_eq!(names, ["0.5", "1.25", "0", "-0.25"]);
}

/// Old: `loom repack IN -o OUT`, as every other command takes its output, was refused
/// ("unexpected argument '-o'"); only `loom repack IN OUT` worked.
#[test]
fn repack_takes_its_output_with_o_too() {
    let dir = scratch();
    let d = dir.path();
    for (args, out) in [
        (&["repack", "in.loom", "a.loom", "-q"][..], "a.loom"),
        (&["repack", "in.loom", "-o", "b.loom", "-q"], "b.loom"),
    ] {
        let r = loom(d, args);
        assert_eq!(r.status.code(), Some(0), "{args:?}: {}", text(&r.stderr));
        let r = loom(d, &["h5", "diff", "in.loom", out]);
        assert_eq!(r.status.code(), Some(0), "{}", text(&r.stdout));
    }
    let r = loom(d, &["repack", "in.loom", "c.loom", "-o", "d.loom"]);
    assert_eq!(r.status.code(), Some(2));
    assert!(text(&r.stderr).contains("--output"), "{}", text(&r.stderr));
    let r = loom(d, &["repack", "in.loom"]);
    assert_eq!(r.status.code(), Some(2));
    assert!(!d.join("c.loom").exists() && !d.join("d.loom").exists());
}

/// Options that only mean something with another are refused without it, instead of
/// being silently unused: `subset --seed` without `--sample`, `combine --skip-attr`
/// without `--faster`, `combine --batch` with it.
#[test]
fn options_without_their_partner_are_refused() {
    let dir = scratch();
    let d = dir.path();
    for (args, option) in [
        (
            &["subset", "in.loom", "-o", "o.loom", "--seed", "3"][..],
            "--seed",
        ),
        (
            &[
                "combine",
                "in.loom",
                "in.loom",
                "-o",
                "o.loom",
                "--skip-attr",
                "Depth",
            ],
            "--skip-attr",
        ),
        (
            &[
                "combine", "in.loom", "in.loom", "-o", "o.loom", "--faster", "--batch", "5",
            ],
            "--batch",
        ),
    ] {
        let r = loom(d, args);
        assert_eq!(r.status.code(), Some(2), "{args:?}");
        assert!(text(&r.stderr).contains(option), "{}", text(&r.stderr));
        assert!(!d.join("o.loom").exists());
    }
}

/// Old: sd was sqrt(E[x²] - mean²), which loses every digit when the values are large
/// and close together: a row 30000000, 30000002, 30000004 (exact in float32) had sd
/// 1.6202 instead of sqrt(8/3) = 1.6330.
#[test]
fn stats_sd_of_large_close_values() {
    let dir = scratch();
    let d = dir.path();
    let m = loom_core::ndarray::Array2::from_shape_fn((2, 3), |(i, j)| {
        if i == 0 {
            30_000_000.0f32 + 2.0 * j as f32
        } else {
            j as f32
        }
    });
    loom_core::create(d.join("big.loom"), &[("", (&m).into())], &[], &[], &[]).unwrap();
    let r = loom(d, &["stats", "big.loom"]);
    assert_eq!(r.status.code(), Some(0), "{}", text(&r.stderr));
    let out = text(&r.stdout);
    let sds: Vec<f64> = out
        .lines()
        .skip(1)
        .map(|l| l.split('\t').nth(3).unwrap().parse().unwrap())
        .collect();
    let want = (8.0f64 / 3.0).sqrt();
    assert!((sds[0] - want).abs() < 1e-9, "{out}");
    assert!((sds[1] - want / 2.0).abs() < 1e-12, "{out}");
}
