//! `loom stats`, `permute`, `aggregate` and `combine` end to end, against loompy's
//! results in fixtures/ops/expected.json.

// Test helpers outside #[test] functions may unwrap: a failure there is a test failure.
#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Stdio};

use loom_core::{connect, Mode};
use serde_json::Value;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/ops")
        .join(name)
}

fn expected() -> Value {
    serde_json::from_str(&std::fs::read_to_string(fixture("expected.json")).unwrap()).unwrap()
}

fn scratch(tag: &str) -> PathBuf {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("loom-ops-cli-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn loom(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_loom"))
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn stats_sums_match_loompy_map() {
    let exp = expected();
    let input = fixture("input.loom");
    let out = loom(&[
        "stats",
        input.to_str().unwrap(),
        "--axis",
        "rows",
        "--name",
        "Gene",
        "--batch",
        "4",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("index\tname\tsum\tmean\tsd\tnnz"));
    let case = exp["map"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["axis"] == 0 && c["selection"].is_null())
        .unwrap();
    for (i, line) in lines.enumerate() {
        let f: Vec<&str> = line.split('\t').collect();
        assert_eq!(f[1], format!("G{i:02}"));
        let sum: f64 = f[2].parse().unwrap();
        assert!((sum - case["results"]["sum"][i].as_f64().unwrap()).abs() < 1e-9);
        assert_eq!(
            f[5].parse::<f64>().unwrap(),
            case["results"]["nnz"][i].as_f64().unwrap()
        );
    }
}

#[test]
fn closed_pipe_and_errors() {
    let input = fixture("input.loom");
    let mut child = Command::new(env!("CARGO_BIN_EXE_loom"))
        .args([
            "stats",
            input.to_str().unwrap(),
            "--axis",
            "cols",
            "--batch",
            "1",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    assert!(!String::from_utf8_lossy(&out.stderr).contains("panicked"));
    let bad = loom(&["stats", input.to_str().unwrap(), "--layer", "nope"]);
    assert_eq!(bad.status.code(), Some(2));
    assert_eq!(String::from_utf8_lossy(&bad.stderr).lines().count(), 1);
}

#[test]
fn permute_into_a_new_file_sorts_and_leaves_the_input() {
    let dir = scratch("permute");
    let out = dir.join("sorted.loom");
    let input = fixture("input.loom");
    let before = std::fs::read(&input).unwrap();
    let r = loom(&[
        "permute",
        input.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        "--cols-by",
        "Depth",
        "-q",
    ]);
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    assert_eq!(std::fs::read(&input).unwrap(), before);
    let ds = connect(&out, Mode::Read).unwrap();
    let depth: Vec<f64> = ds
        .ca()
        .get("Depth")
        .unwrap()
        .to_f64()
        .unwrap()
        .iter()
        .copied()
        .collect();
    assert!(depth.windows(2).all(|p| p[0] <= p[1]));
    let bad = loom(&[
        "permute",
        input.to_str().unwrap(),
        "-o",
        dir.join("x.loom").to_str().unwrap(),
        "--cols-by",
        "Nope",
    ]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(!dir.join("x.loom").exists());
}

#[test]
fn aggregate_and_combine_write_loompys_results() {
    let exp = expected();
    let dir = scratch("agg");
    let agg = dir.join("agg.loom");
    let input = fixture("input.loom");
    let r = loom(&[
        "aggregate",
        input.to_str().unwrap(),
        "-o",
        agg.to_str().unwrap(),
        "--aggr-by",
        "sum",
        "-q",
    ]);
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    let want = exp["aggregate"]["matrices"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["aggr_by"] == "sum" && m["layer"] == "")
        .unwrap();
    let got = connect(&agg, Mode::Read)
        .unwrap()
        .read::<f64>(.., ..)
        .unwrap();
    for ((i, j), v) in got.indexed_iter() {
        assert!((v - want["matrix"][i][j].as_f64().unwrap()).abs() < 1e-4);
    }
    let comb = dir.join("comb.loom");
    let other = fixture("other.loom");
    let r = loom(&[
        "combine",
        input.to_str().unwrap(),
        other.to_str().unwrap(),
        "-o",
        comb.to_str().unwrap(),
        "--key",
        "Gene",
        "-q",
    ]);
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    let ds = connect(&comb, Mode::Read).unwrap();
    assert_eq!(ds.shape(), (13, 18));
    let want: Vec<String> = exp["merge"]["combine"]["ca"]["CellID"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        ds.ca()
            .get("CellID")
            .unwrap()
            .as_strings()
            .unwrap()
            .iter()
            .cloned()
            .collect::<Vec<_>>(),
        want
    );
}

#[test]
fn subset_by_attribute_range_and_sample() {
    let dir = scratch("subset");
    let input = fixture("input.loom");
    let out = dir.join("c2.loom");
    let r = loom(&[
        "subset",
        input.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        "--cols",
        "Clusters == 2",
        "--rows",
        "2:5",
        "-q",
    ]);
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    let src = connect(&input, Mode::Read).unwrap();
    let ds = connect(&out, Mode::Read).unwrap();
    let cols = vec![0usize, 3, 4, 8, 10];
    assert_eq!(ds.shape(), (3, 5));
    assert_eq!(
        ds.read::<f64>(.., ..).unwrap(),
        src.read::<f64>(2..5, cols.clone()).unwrap()
    );
    assert_eq!(ds.layers().dtype("counts").unwrap(), "int32");
    let genes = dir.join("genes.txt");
    std::fs::write(&genes, "G01\nG07\n").unwrap();
    let out2 = dir.join("g.loom");
    let r = loom(&[
        "subset",
        input.to_str().unwrap(),
        "-o",
        out2.to_str().unwrap(),
        "--rows",
        &format!("Gene in {}", genes.display()),
        "--sample",
        "4",
        "--seed",
        "3",
        "-q",
    ]);
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    assert_eq!(connect(&out2, Mode::Read).unwrap().shape(), (2, 4));
    let bad = loom(&[
        "subset",
        input.to_str().unwrap(),
        "-o",
        dir.join("bad.loom").to_str().unwrap(),
        "--cols",
        "Nope == 1",
    ]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(!dir.join("bad.loom").exists());
    let missing = dir.join("missing.txt");
    for spec in [
        format!("Gene in {}", missing.display()),
        format!("@{}", missing.display()),
    ] {
        let r = loom(&[
            "subset",
            input.to_str().unwrap(),
            "-o",
            dir.join("bad.loom").to_str().unwrap(),
            "--rows",
            &spec,
        ]);
        let err = String::from_utf8_lossy(&r.stderr);
        assert_eq!(r.status.code(), Some(2), "{err}");
        assert!(err.contains("missing.txt: No such file"), "{err}");
        assert!(!dir.join("bad.loom").exists());
    }
}

#[test]
fn subset_streams_several_column_windows() {
    use loom_core::ndarray::Array2;
    use loom_core::{AttrValues, LayerInput};
    // 4096 rows: a window holds DEFAULT_BUDGET / 4096 = 1024 columns, so the 2,500
    // columns selected below take three windows (the last one partial).
    let (n, m) = (4096usize, 2600usize);
    let value = |i: usize, j: usize| {
        if (i * 7 + j * 3).is_multiple_of(11) {
            ((i * 31 + j * 17) % 97) as f32 + 0.5
        } else {
            0.0
        }
    };
    let main = Array2::from_shape_fn((n, m), |(i, j)| value(i, j));
    let counts = Array2::from_shape_fn((n, m), |(i, j)| (value(i, m - 1 - j) * 2.0) as i32);
    let dir = scratch("subset-windows");
    let input = dir.join("wide.loom");
    let genes: Vec<String> = (0..n).map(|i| format!("g{i}")).collect();
    let cells: Vec<i64> = (0..m as i64).map(|j| j * 10).collect();
    loom_core::create(
        &input,
        &[
            ("", LayerInput::from(&main)),
            ("counts", LayerInput::from(&counts)),
        ],
        &[("Gene", AttrValues::from(genes))],
        &[("CellID", AttrValues::from(cells))],
        &[],
    )
    .unwrap();
    let out = dir.join("sub.loom");
    let r = loom(&[
        "subset",
        input.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        "--cols",
        "37:2537",
        "-q",
    ]);
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    let src = connect(&input, Mode::Read).unwrap();
    let ds = connect(&out, Mode::Read).unwrap();
    assert_eq!(ds.shape(), (n as u64, 2500));
    assert_eq!(
        ds.read::<f32>(.., ..).unwrap(),
        src.read::<f32>(.., 37..2537).unwrap()
    );
    assert_eq!(
        ds.layers().read::<i32>("counts", .., ..).unwrap(),
        src.layers().read::<i32>("counts", .., 37..2537).unwrap()
    );
    assert_eq!(ds.layers().dtype("counts").unwrap(), "int32");
    let ids = ds.ca().get("CellID").unwrap().to_i64().unwrap();
    assert_eq!(
        ids.iter().copied().collect::<Vec<i64>>(),
        (37..2537i64).map(|j| j * 10).collect::<Vec<_>>()
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
