//! Every command given unusual inputs and outputs, as a shell user might: each case ends
//! with exit 2 and one line naming the file or option at fault, leaves no file behind
//! and the inputs byte-identical. Each case reproduces a bug found by trying them.

// Test helpers outside #[test] functions may unwrap: a failure there is a test failure.
#![allow(clippy::unwrap_used)]
#![cfg(unix)]

use std::path::{Path, PathBuf};
use std::process::Command;

fn fixture(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures")
        .join(path)
}

/// A scratch folder holding `in.loom` (the ops fixture), `other.loom`, `empty.loom`,
/// `text.loom` (a line of text), a folder `adir` and a plain file `afile`.
fn scratch() -> tempfile::TempDir {
    let dir = tempfile::Builder::new()
        .prefix("loom-cli-unusual-")
        .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
        .unwrap();
    let d = dir.path();
    std::fs::copy(fixture("ops/input.loom"), d.join("in.loom")).unwrap();
    std::fs::copy(fixture("ops/other.loom"), d.join("other.loom")).unwrap();
    std::fs::write(d.join("empty.loom"), b"").unwrap();
    std::fs::write(d.join("text.loom"), b"hello world\n").unwrap();
    std::fs::create_dir(d.join("adir")).unwrap();
    std::fs::write(d.join("afile"), b"hi\n").unwrap();
    dir
}

/// Names and contents of the files in `dir` (folders by name only).
fn snapshot(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut v: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            let bytes = if e.file_type().unwrap().is_file() {
                std::fs::read(e.path()).unwrap()
            } else {
                Vec::new()
            };
            (e.file_name().to_string_lossy().into_owned(), bytes)
        })
        .collect();
    v.sort();
    v
}

/// Runs `loom args` in `dir`: asserts exit 2, nothing on stdout, one line on stderr
/// holding every one of `want` and none of `not`, and `dir` exactly as it was.
fn fails(dir: &Path, args: &[&str], want: &[&str], not: &[&str]) {
    let before = snapshot(dir);
    let r = Command::new(env!("CARGO_BIN_EXE_loom"))
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&r.stderr);
    assert_eq!(r.status.code(), Some(2), "{args:?}: {err}");
    assert!(r.stdout.is_empty(), "{args:?}");
    assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
    for w in want {
        assert!(err.contains(w), "{args:?}: {err:?} lacks {w:?}");
    }
    for n in not {
        assert!(!err.contains(n), "{args:?}: {err:?} has {n:?}");
    }
    assert!(snapshot(dir) == before, "{args:?} changed the folder");
}

/// Old: `loom stats in.loom -o /dev/full` said "in.loom: No space left on device".
#[cfg(target_os = "linux")]
#[test]
fn a_failed_write_names_the_output() {
    let dir = scratch();
    let d = dir.path();
    fails(
        d,
        &["stats", "in.loom", "-o", "/dev/full"],
        &["/dev/full: "],
        &["in.loom"],
    );
}

/// Old: `loom import h5ad in.loom` said `no object named "/X"`; a text file or a folder
/// gave the HDF5 error without any path; `loom export` named no file at all.
#[test]
fn input_errors_name_the_input() {
    let dir = scratch();
    let d = dir.path();
    fails(
        d,
        &["import", "h5ad", "in.loom", "-o", "o.loom"],
        &["in.loom: no object named \"/X\""],
        &[],
    );
    for bad in ["text.loom", "empty.loom", "adir", "missing.loom"] {
        for args in [
            vec!["import", "h5ad", bad, "-o", "o.loom"],
            vec!["export", bad, "-o", "o.tsv"],
            vec!["export", bad, "-o", "o.h5ad"],
            vec!["stats", bad],
            vec!["subset", bad, "-o", "o.loom"],
            vec!["aggregate", bad, "-o", "o.loom"],
            vec!["permute", bad, "-o", "o.loom", "--random", "1"],
            vec!["repack", bad, "o.loom"],
        ] {
            fails(d, &args, &[&format!("{bad}: ")], &["o.loom:", "o.tsv:"]);
        }
    }
    for bad in ["text.loom", "adir"] {
        fails(
            d,
            &["import", "10x", bad, "-o", "o.loom"],
            &[&format!("{bad}: ")],
            &[],
        );
    }
}

/// Old: `loom combine` named the output for an input it could not read, for a key that
/// one input lacks, and for `--batch 0`.
#[test]
fn combine_names_the_input_at_fault() {
    let dir = scratch();
    let d = dir.path();
    for faster in [false, true] {
        for bad in ["text.loom", "empty.loom", "adir", "missing.loom"] {
            let mut args = vec!["combine", "in.loom", bad, "-o", "o.loom"];
            if faster {
                args.push("--faster");
            }
            fails(d, &args, &[&format!("{bad}: ")], &["o.loom"]);
        }
    }
    fails(
        d,
        &[
            "combine",
            "in.loom",
            "other.loom",
            "-o",
            "o.loom",
            "--key",
            "Nope",
        ],
        &["in.loom: no row attribute named \"Nope\""],
        &["o.loom"],
    );
    fails(
        d,
        &[
            "combine",
            "in.loom",
            "other.loom",
            "-o",
            "o.loom",
            "--batch",
            "0",
        ],
        &["--batch must be at least 1"],
        &["o.loom"],
    );
    // The operation's own messages name the input; the line says what was being done,
    // not "o.loom: …" as if the output were at fault.
    std::fs::copy(fixture("ops/same_rows.loom"), d.join("same_rows.loom")).unwrap();
    fails(
        d,
        &["combine", "in.loom", "same_rows.loom", "-o", "o.loom"],
        &["combining into o.loom: same_rows.loom is missing a layer"],
        &["loom: o.loom"],
    );
}

/// Old: an output that cannot be made (under a plain file, in a missing folder) was
/// reported with the input's name (stats, subset, permute, aggregate, repack) or with
/// no name at all (export, import).
#[test]
fn an_output_that_cannot_be_made_is_named() {
    let dir = scratch();
    let d = dir.path();
    let cellranger = fixture("io/cellranger2");
    let tenx = cellranger.to_str().unwrap();
    for out in ["afile/out.loom", "nodir/out.loom"] {
        for args in [
            vec!["stats", "in.loom", "-o", out],
            vec!["export", "in.loom", "-o", out, "--format", "tsv"],
            vec!["export", "in.loom", "-o", out, "--format", "h5ad"],
            vec!["subset", "in.loom", "-o", out],
            vec!["permute", "in.loom", "-o", out, "--random", "1"],
            vec!["aggregate", "in.loom", "-o", out, "--aggr-by", "sum"],
            vec!["combine", "in.loom", "other.loom", "-o", out],
            vec!["repack", "in.loom", out],
            vec!["import", "10x", tenx, "-o", out],
        ] {
            fails(d, &args, &[&format!("{out}: ")], &["in.loom"]);
        }
    }
}

/// Old: `loom subset in.loom -o newdir/` failed to rename its temporary file into
/// `newdir/` and left `.newdir.PID.tmp` behind (aggregate too).
#[test]
fn an_output_naming_a_folder_is_refused() {
    let dir = scratch();
    let d = dir.path();
    let cellranger = fixture("io/cellranger2");
    let tenx = cellranger.to_str().unwrap();
    let out = "newdir/";
    for args in [
        vec!["export", "in.loom", "-o", out, "--format", "h5ad"],
        vec!["subset", "in.loom", "-o", out],
        vec!["permute", "in.loom", "-o", out, "--random", "1"],
        vec!["aggregate", "in.loom", "-o", out, "--aggr-by", "sum"],
        vec!["combine", "in.loom", "other.loom", "-o", out],
        vec!["repack", "in.loom", out],
        vec!["import", "10x", tenx, "-o", out],
    ] {
        fails(d, &args, &["the output newdir/ names a folder"], &[]);
    }
}

/// Old: `loom export in.loom -o in.loom --format tsv` truncated its own input and died of
/// SIGBUS reading it; `loom stats -o in.loom` emptied it; subset, aggregate, combine and
/// import replaced it; repack said the file was "open elsewhere"; permute copied it and
/// permuted the copy into its place (in place, the long way round).
#[test]
fn an_output_equal_to_an_input_is_refused() {
    let dir = scratch();
    let d = dir.path();
    std::os::unix::fs::symlink("in.loom", d.join("link.loom")).unwrap();
    for out in ["in.loom", "link.loom"] {
        for args in [
            vec!["stats", "in.loom", "-o", out],
            vec!["export", "in.loom", "-o", out, "--format", "tsv"],
            vec!["export", "in.loom", "-o", out, "--format", "h5ad"],
            vec!["export", "in.loom", "-o", out, "--format", "mtx"],
            vec!["subset", "in.loom", "-o", out, "--cols", "0:2"],
            vec!["aggregate", "in.loom", "-o", out, "--aggr-by", "sum"],
            vec!["combine", "other.loom", "in.loom", "-o", out],
            vec!["combine", "in.loom", "in.loom", "-o", out, "--faster"],
            vec!["repack", "in.loom", out],
            vec!["import", "h5ad", "in.loom", "-o", out],
            vec!["import", "tsv", "in.loom", "-o", out],
            vec!["permute", "in.loom", "-o", out, "--cols-by", "Clusters"],
        ] {
            fails(
                d,
                &args,
                &[&format!("the output {out} is the input in.loom")],
                &[],
            );
        }
    }
}

/// Bad option values are named and leave no output: old `aggregate --ca Nope=mean`
/// ignored the missing attribute and exited 0; `repack --gzip 99` left a partial output;
/// `subset` prefixed its option errors with the input's name.
#[test]
fn bad_option_values_are_named() {
    let dir = scratch();
    let d = dir.path();
    std::fs::write(d.join("idx.txt"), "1\n999\n").unwrap();
    let cases: [(&[&str], &str); 9] = [
        (
            &["aggregate", "in.loom", "-o", "o.loom", "--ca", "Nope=mean"],
            "in.loom: no column attribute named \"Nope\"",
        ),
        (
            &["aggregate", "in.loom", "-o", "o.loom", "--aggr-by", "foo"],
            "--aggr-by foo: ",
        ),
        (
            &["aggregate", "in.loom", "-o", "o.loom", "--ca", "x=foo"],
            "--ca x=foo: ",
        ),
        (
            &["subset", "in.loom", "-o", "o.loom", "--cols", "@idx.txt"],
            "--cols '@idx.txt': Index (999) out of range",
        ),
        (
            &["subset", "in.loom", "-o", "o.loom", "--cols", "a:b"],
            "--cols 'a:b': not an index range",
        ),
        (
            &[
                "subset",
                "in.loom",
                "-o",
                "o.loom",
                "--rows",
                "Gene in nope.txt",
            ],
            "nope.txt: ",
        ),
        (
            &["subset", "in.loom", "-o", "o.loom", "--cols", "Nope == 3"],
            "in.loom: no column attribute named \"Nope\"",
        ),
        (
            &["subset", "in.loom", "-o", "o.loom", "--cols", "5:2"],
            "the selection (--rows, --cols, --sample) holds 13 rows and 0 columns",
        ),
        (
            &["permute", "in.loom", "-o", "o.loom", "--cols-by", "Nope"],
            "in.loom: no column attribute named \"Nope\"",
        ),
    ];
    for (args, want) in cases {
        fails(d, args, &[want], &[]);
    }
    // Values clap checks: its usage message names the option; nothing is written.
    // Old: `repack --gzip 99` left a partial output; `import tsv --dtype bogus` said
    // "data type 'bogus' not understood" without naming the option.
    std::fs::write(d.join("m.tsv"), "g\tc1\tc2\nA\t1\t2\n").unwrap();
    for (args, option) in [
        (
            &["repack", "in.loom", "o.loom", "--gzip", "99"][..],
            "--gzip",
        ),
        (
            &["import", "tsv", "m.tsv", "-o", "o.loom", "--dtype", "bogus"],
            "--dtype",
        ),
        (
            &["import", "tsv", "m.tsv", "-o", "o.loom", "--dtype", "bool"],
            "--dtype",
        ),
        (
            &["subset", "in.loom", "-o", "o.loom", "--seed", "abc"],
            "--seed",
        ),
        (&["stats", "in.loom", "--axis", "diagonal"], "--axis"),
        // Old: --axis was ignored unless --random was given.
        (
            &["permute", "in.loom", "--cols-by", "Batch", "--axis", "rows"],
            "--axis",
        ),
        // Old: --x-layer won over --layer, silently.
        (
            &[
                "export",
                "in.loom",
                "-o",
                "o.h5ad",
                "--layer",
                "",
                "--x-layer",
                "counts",
            ],
            "--x-layer",
        ),
    ] {
        let before = snapshot(d);
        let r = Command::new(env!("CARGO_BIN_EXE_loom"))
            .args(args)
            .current_dir(d)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&r.stderr);
        assert_eq!(r.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(option), "{args:?}: {err}");
        assert!(snapshot(d) == before, "{args:?} changed the folder");
    }
}

/// Old: SIGINT or SIGTERM (Ctrl-C, `timeout`) during a command that writes a file left
/// its temporary file (`.OUT.PID.tmp`, `OUT.partial`), a partial text output or a
/// half-filled mtx folder behind.
/// Each command is interrupted as soon as its file appears; the folder must then be as
/// it was, and the command ended by the signal.
#[test]
fn an_interrupted_command_leaves_no_file() {
    use std::os::unix::process::ExitStatusExt;
    use std::time::{Duration, Instant};

    let dir = scratch();
    let d = dir.path();
    // Counts that do not compress to nothing, so each command runs long enough.
    let (n, m) = (1000, 4000);
    let data = loom_core::ndarray::Array2::from_shape_fn((n, m), |(i, j)| {
        (((i * m + j) as u64).wrapping_mul(2_654_435_761) >> 20) as f32 % 97.0
    });
    loom_core::create(
        d.join("big.loom"),
        &[("", loom_core::LayerInput::from(&data))],
        &[],
        &[],
        &[],
    )
    .unwrap();
    let names = |d: &Path| -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(d)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    };
    let before = snapshot(d);
    let known = names(d);
    // A new file with bytes in it (or a new folder with a file in it): the command's own
    // output, not the empty file it makes first to check that the folder takes files.
    let written = |d: &Path, known: &[String]| {
        std::fs::read_dir(d).unwrap().any(|e| {
            let e = e.unwrap();
            let name = e.file_name().to_string_lossy().into_owned();
            let filled = match e.metadata() {
                Ok(m) if m.is_dir() => {
                    std::fs::read_dir(e.path()).is_ok_and(|mut entries| entries.next().is_some())
                }
                Ok(m) => m.len() > 0,
                Err(_) => false,
            };
            !known.contains(&name) && filled
        })
    };
    for (args, sig) in [
        (
            vec!["combine", "big.loom", "big.loom", "-o", "o.loom"],
            libc::SIGINT,
        ),
        (
            vec![
                "combine", "big.loom", "big.loom", "-o", "o.loom", "--faster",
            ],
            libc::SIGTERM,
        ),
        (
            vec!["subset", "big.loom", "-o", "o.loom", "--cols", "5:"],
            libc::SIGINT,
        ),
        (
            vec!["permute", "big.loom", "-o", "o.loom", "--random", "3"],
            libc::SIGINT,
        ),
        (
            vec!["repack", "big.loom", "o.loom", "--gzip", "9"],
            libc::SIGHUP,
        ),
        (vec!["export", "big.loom", "-o", "o.h5ad"], libc::SIGINT),
        (vec!["export", "big.loom", "-o", "o.tsv"], libc::SIGTERM),
        (
            vec!["export", "big.loom", "-o", "o_mtx", "--format", "mtx"],
            libc::SIGINT,
        ),
    ] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_loom"))
            .args(&args)
            .current_dir(d)
            .spawn()
            .unwrap();
        let start = Instant::now();
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            if written(d, &known) {
                // SAFETY: kill only sends a signal to our own child process.
                assert_eq!(unsafe { libc::kill(child.id() as libc::pid_t, sig) }, 0);
                break child.wait().unwrap();
            }
            assert!(start.elapsed() < Duration::from_secs(60), "{args:?}");
            std::thread::sleep(Duration::from_millis(1));
        };
        assert_eq!(
            status.signal(),
            Some(sig),
            "{args:?} ended first: {status:?}"
        );
        assert!(snapshot(d) == before, "{args:?} left {:?}", names(d));
    }
}

/// Old: `loom info plain.h5` printed "0 rows x 0 columns" and the validator's findings
/// with exit 0, and the other commands printed the validator's whole list on one long
/// line. `loom info` describes loom files; on an HDF5 file that is not one it fails
/// (exit 2, an error, as the README's exit rules have it: it is not a yes/no question as
/// `loom validate` is, which answers 1 "not valid") with one line pointing to `loom h5 ls`.
#[test]
fn a_plain_hdf5_file_is_not_a_loom_file() {
    let dir = scratch();
    let d = dir.path();
    std::fs::copy(
        fixture("40_feat_dense_attrs_links_latest.h5"),
        d.join("plain.h5"),
    )
    .unwrap();
    let want = "plain.h5: not a loom file (it has no /matrix); `loom h5 ls plain.h5`";
    for args in [
        vec!["info", "plain.h5"],
        vec!["info", "plain.h5", "--json"],
        vec!["stats", "plain.h5"],
        vec!["export", "plain.h5", "-o", "o.tsv"],
        vec!["subset", "plain.h5", "-o", "o.loom"],
        vec!["aggregate", "plain.h5", "-o", "o.loom"],
        vec!["permute", "plain.h5", "--random", "1"],
        vec!["permute", "plain.h5", "-o", "o.loom", "--random", "1"],
        vec!["combine", "in.loom", "plain.h5", "-o", "o.loom"],
    ] {
        fails(d, &args, &[want], &["validator", "row_attrs"]);
    }
    let r = Command::new(env!("CARGO_BIN_EXE_loom"))
        .args(["validate", "plain.h5"])
        .current_dir(d)
        .output()
        .unwrap();
    assert_eq!(r.status.code(), Some(1));
    // An empty loom file (loompy's `new()`: the groups, no matrix) is still described.
    loom_core::new(d.join("empty_new.loom"))
        .unwrap()
        .close()
        .unwrap();
    let r = Command::new(env!("CARGO_BIN_EXE_loom"))
        .args(["info", "empty_new.loom"])
        .current_dir(d)
        .output()
        .unwrap();
    assert_eq!(r.status.code(), Some(0));
    let text = String::from_utf8_lossy(&r.stdout);
    assert!(
        text.starts_with("empty_new.loom: 0 rows x 0 columns"),
        "{text}"
    );
}
