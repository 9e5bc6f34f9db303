//! The `loom` binary as a user runs it: output, exit codes and error messages.

use std::path::PathBuf;
use std::process::{Command, Output};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures")
        .join(name)
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
fn ls_lists_shapes_types_chunks_and_filters() {
    let out = loom(&[
        "h5",
        "ls",
        fixture("01_loompy_create_dense.loom").to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let matrix = stdout.lines().find(|l| l.starts_with("/matrix ")).unwrap();
    for part in [
        "dataset",
        "<f4",
        "(100, 70)",
        "max (100, inf)",
        "chunks (64, 64)",
        "deflate[2]",
    ] {
        assert!(matrix.contains(part), "{part:?} missing from {matrix:?}");
    }
    assert!(stdout
        .lines()
        .any(|l| l.starts_with("/row_attrs/Gene ") && l.contains("string[variable, utf-8]")));
}

#[test]
fn dump_skips_data_of_large_datasets_with_max_elements() {
    let path = fixture("01_loompy_create_dense.loom");
    let out = loom(&[
        "h5",
        "dump",
        "--json",
        "--max-elements",
        "100",
        path.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let matrix = &json["members"]["matrix"];
    assert_eq!(matrix["shape"], serde_json::json!([100, 70]));
    assert!(
        matrix.get("data").is_none(),
        "7000 elements > 100: no data expected"
    );
    let gene = &json["members"]["row_attrs"]["members"]["Gene"];
    assert_eq!(gene["data"].as_array().map(Vec::len), Some(100));
}

#[test]
fn dump_reports_unreadable_datasets_and_exits_2() {
    let out = loom(&[
        "h5",
        "dump",
        "--json",
        fixture("46_feat_filter_lzf.h5").to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let szip = json["members"]["szip"]["error"].as_str().unwrap();
    assert!(szip.contains("szip") && szip.contains('4'), "{szip}");
    assert!(json["members"]["deflate_ok"]["data"].is_array());
    assert!(json["members"]["lzf"]["data"].is_array());
    assert!(text(&out.stderr).contains("/szip"));
}

#[test]
fn diff_is_silent_on_equal_files_and_lists_differences() {
    let a = fixture("01_loompy_create_dense.loom");
    let same = loom(&["h5", "diff", a.to_str().unwrap(), a.to_str().unwrap()]);
    assert_eq!(same.status.code(), Some(0));
    assert!(same.stdout.is_empty());

    let b = fixture("02_loompy_create_sparse.loom");
    let differ = loom(&["h5", "diff", a.to_str().unwrap(), b.to_str().unwrap()]);
    assert_eq!(differ.status.code(), Some(1));
    assert!(
        text(&differ.stdout).contains("/matrix"),
        "{}",
        text(&differ.stdout)
    );
}

#[test]
fn bad_input_is_a_clear_error() {
    let missing = loom(&["h5", "ls", "/nonexistent/file.loom"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(
        text(&missing.stderr).contains("No such file"),
        "{}",
        text(&missing.stderr)
    );

    let not_hdf5 = loom(&["h5", "ls", fixture("README.md").to_str().unwrap()]);
    assert_eq!(not_hdf5.status.code(), Some(2));
    assert!(
        text(&not_hdf5.stderr).contains("not an HDF5 file"),
        "{}",
        text(&not_hdf5.stderr)
    );

    for cmd in [&["h5", "ls"][..], &["info"], &["validate"], &["stats"]] {
        let folder = loom(&[cmd, &[fixture("io").to_str().unwrap()]].concat());
        let err = text(&folder.stderr);
        assert_eq!(folder.status.code(), Some(2), "{cmd:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{cmd:?}: {err}");
        assert!(err.contains("is a directory"), "{cmd:?}: {err}");
    }
}

#[test]
fn info_json_describes_a_loom_file() {
    let out = loom(&[
        "info",
        "--json",
        fixture("01_loompy_create_dense.loom").to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let j: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(j["shape"], serde_json::json!([100, 70]));
    assert_eq!(j["spec_version"], "3.0.0");
    let layers: Vec<&String> = j["layers"].as_object().unwrap().keys().collect();
    assert_eq!(layers, ["", "counts", "spliced"]);
    assert_eq!(j["layers"][""]["dtype"], "<f4");
    assert_eq!(j["layers"]["spliced"]["dtype"], "<u2");
    assert_eq!(j["row_attrs"]["Gene"]["dtype"]["size"], "variable");
    assert_eq!(
        j["row_attrs"]["Embedding"]["shape"],
        serde_json::json!([100, 3])
    );
    assert_eq!(j["col_attrs"]["Cluster"]["dtype"], "<i8");
    assert_eq!(j["row_graphs"]["KNN"]["edges"], 300);
    assert_eq!(j["col_graphs"]["MKNN"]["edges"], 140);
    assert_eq!(j["attrs"]["title"], "dense fixture");
    assert_eq!(j["attrs"]["vec"], serde_json::json!([1.5, 2.5, 3.5]));
}

#[test]
fn info_reads_legacy_and_invalid_files() {
    // loom spec 2: global attributes are HDF5 attributes of the root group.
    let out = loom(&[
        "info",
        "--json",
        fixture("30_emul_loompy2_fixedlen.loom").to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let j: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(j["spec_version"], "2.0.1");
    assert!(!j["attrs"].as_object().unwrap().is_empty());
    // pySCENIC's compound attributes fail loompy's validator but are described.
    let out = loom(&[
        "info",
        fixture("10_pyscenic_regulons.loom").to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("Regulons"));
    assert!(text(&out.stdout).contains("compound{"));
    assert!(text(&out.stdout).contains("loompy's validator (speconly): not valid"));
    assert!(text(&out.stdout).contains("Row attribute 'Regulons' dtype"));
}

#[test]
fn a_closed_pipe_ends_quietly() {
    use std::io::Read;
    use std::process::Stdio;
    // The dump is larger than a pipe's buffer; the reader takes a few bytes and leaves.
    let mut child = Command::new(env!("CARGO_BIN_EXE_loom"))
        .args([
            "h5",
            "dump",
            "--json",
            fixture("01_loompy_create_dense.loom").to_str().unwrap(),
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut head = [0u8; 16];
    stdout.read_exact(&mut head).unwrap();
    drop(stdout);
    let out = child.wait_with_output().unwrap();
    assert_eq!(text(&out.stderr), "", "no message, no panic");
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn errors_are_one_line_with_exit_2() {
    let out = loom(&["info", "/nonexistent/x.loom"]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.starts_with("loom: /nonexistent/x.loom: "), "{err}");
    let out = loom(&["validate", fixture("README.md").to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(text(&out.stderr).lines().count(), 1);
}

#[test]
fn a_dataset_of_shape_2_pow_61_by_0_dumps_without_panic() {
    use hdf5_lite::read::Numeric;
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("loom-cli-huge-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("huge.h5");
    // Unlocked: a `loom` another test spawns meanwhile holds a copy of the writer's
    // descriptor, and so its lock, until it starts.
    let mut w = hdf5_lite::FileOptions::new()
        .locking(false)
        .create(&path)
        .unwrap();
    w.create_dataset(
        "/huge",
        &hdf5_lite::write::DatasetSpec::new(f32::datatype(), &[1 << 61, 0]),
    )
    .unwrap();
    w.close().unwrap();
    let out = loom(&["h5", "dump", "--json", path.to_str().unwrap()]);
    let err = text(&out.stderr);
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("empty arrays"), "{err}");
    let j: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        j["members"]["huge"]["shape"],
        serde_json::json!([1u64 << 61, 0])
    );
    let out = loom(&["info", path.to_str().unwrap()]);
    assert!(!text(&out.stderr).contains("panicked"));
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Old: a compound attribute (SCope's embeddings, pySCENIC's regulons) was printed whole,
/// every value of every field on one line (megabytes for a large file).
#[test]
fn info_previews_compound_attributes() {
    let out = loom(&[
        "info",
        fixture("11_scope_embeddings.loom").to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains(
            r#"{"_X": [6.5, 9.25, 8.75, 1.0, 2.0, …], "_Y": [-5.75, -0.25, -9.5, -0.5, -6.5, …]}"#
        ),
        "{stdout}"
    );
    let out = loom(&[
        "info",
        fixture("10_pyscenic_regulons.loom").to_str().unwrap(),
    ]);
    let stdout = text(&out.stdout);
    let line = stdout.lines().find(|l| l.contains("Regulons ")).unwrap();
    assert!(
        line.ends_with(r#""TF4(+)": [1, 0, 1, 1, 1, …], …}"#),
        "{line}"
    );
}
