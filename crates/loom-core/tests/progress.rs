//! The progress observer: every long operation reports monotonic `(done, total)` ending
//! at `total`, and what it writes is what it writes unobserved.

// Test helpers outside #[test] functions may unwrap: a failure there is a test failure.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use loom_core::ops::{
    combine, combine_faster, AddLoomOptions, AggregateOptions, CombineFasterOptions,
    CombineOptions, FillValues, GroupBy,
};
use loom_core::{connect, create_with, AttrValues, Axis, CreateOptions, Mode, Progress};
use ndarray::Array2;

/// A scratch directory of this test's own.
fn scratch(tag: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("loom-progress-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A file of `n` x `m` float32 in 8 x 8 chunks, two layers ("" and "twice"), a row
/// attribute `Gene` and a column attribute `Cluster` (0, 1, 2, 0, …).
fn make(path: &Path, n: usize, m: usize, seed: f32) {
    let main = Array2::from_shape_fn((n, m), |(i, j)| {
        if (i + j) % 3 == 0 {
            0.0
        } else {
            (i * m + j) as f32 + seed
        }
    });
    let twice = main.mapv(|v| v * 2.0);
    let genes: Vec<String> = (0..n).map(|i| format!("g{i}")).collect();
    let clusters: Vec<i64> = (0..m as i64).map(|j| j % 3).collect();
    let opts = CreateOptions {
        chunks: Some((8, 8)),
        ..CreateOptions::default()
    };
    create_with(
        path,
        &[("", (&main).into()), ("twice", (&twice).into())],
        &[("Gene", AttrValues::from(genes))],
        &[("Cluster", AttrValues::from(clusters))],
        &[],
        &opts,
    )
    .unwrap();
}

/// The `(done, total)` reports an observer saw.
type Seen = Arc<Mutex<Vec<(u64, u64)>>>;

/// An observer and what it saw.
fn recorder() -> (Progress, Seen) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let progress = Progress::new({
        let seen = seen.clone();
        move |done, total| seen.lock().unwrap().push((done, total))
    });
    (progress, seen)
}

/// Reports of one total, never going back, the last one at the total.
fn check(seen: &Mutex<Vec<(u64, u64)>>, total: u64) -> Vec<u64> {
    let seen = seen.lock().unwrap().clone();
    assert!(seen.iter().all(|&(_, t)| t == total), "{seen:?}");
    assert!(seen.windows(2).all(|p| p[0].0 <= p[1].0), "{seen:?}");
    assert_eq!(seen.last(), Some(&(total, total)), "{seen:?}");
    seen.into_iter().map(|(d, _)| d).collect()
}

fn layers(path: &Path) -> Vec<Array2<f32>> {
    let ds = connect(path, Mode::Read).unwrap();
    ["", "twice"]
        .iter()
        .map(|l| ds.layers().read::<f32>(l, .., ..).unwrap())
        .collect()
}

#[test]
fn permute_reports_each_layer_and_writes_the_same() {
    let dir = scratch("permute");
    let (watched, plain) = (dir.join("watched.loom"), dir.join("plain.loom"));
    make(&watched, 40, 30, 0.0);
    make(&plain, 40, 30, 0.0);
    let before = layers(&plain);
    let order: Vec<usize> = (0..30).rev().collect();
    let (progress, seen) = recorder();
    let mut ds = connect(&watched, Mode::ReadWrite).unwrap();
    ds.set_progress(progress);
    ds.permute(&order, Axis::Cols).unwrap();
    ds.close().unwrap();
    // The 40 rows across the columns, one layer after the other (each one step: the
    // lines of chunks of a small layer are stored together).
    assert_eq!(check(&seen, 80), [40, 80]);
    let mut ds = connect(&plain, Mode::ReadWrite).unwrap();
    ds.permute(&order, Axis::Cols).unwrap();
    ds.close().unwrap();
    let after = layers(&watched);
    assert_eq!(after, layers(&plain));
    assert_eq!(after[0][[3, 0]], before[0][[3, 29]]);
    assert_eq!(after[1][[7, 4]], before[1][[7, 25]]);
}

#[test]
fn combine_reports_the_appended_columns_of_every_layer() {
    let dir = scratch("combine");
    let inputs: Vec<PathBuf> = (0..3).map(|k| dir.join(format!("in{k}.loom"))).collect();
    for (k, p) in inputs.iter().enumerate() {
        make(p, 20, 10 + 5 * k, k as f32 / 2.0);
    }
    let (progress, seen) = recorder();
    let opts = CombineOptions {
        progress,
        ..CombineOptions::default()
    };
    combine(&inputs, dir.join("watched.loom"), &opts).unwrap();
    // (15 + 20 columns appended) x 2 layers; each layer in one window, and again as
    // the layer is done.
    assert_eq!(check(&seen, 70), [15, 15, 30, 30, 50, 50, 70, 70]);
    combine(&inputs, dir.join("plain.loom"), &CombineOptions::default()).unwrap();
    let got = layers(&dir.join("watched.loom"));
    assert_eq!(got, layers(&dir.join("plain.loom")));
    assert_eq!(got[0].dim(), (20, 45));
    assert_eq!(got[1][[1, 44]], 2.0 * (20.0 + 19.0 + 1.0));

    let (progress, seen) = recorder();
    let opts = CombineFasterOptions {
        progress,
        ..CombineFasterOptions::default()
    };
    combine_faster(&inputs, dir.join("faster.loom"), &opts).unwrap();
    let done = check(&seen, 90);
    assert!(
        done.len() >= 6,
        "a report per file and layer at least: {done:?}"
    );
    assert_eq!(layers(&dir.join("faster.loom")), got);
}

#[test]
fn add_loom_and_add_columns_report_columns_per_layer() {
    let dir = scratch("add");
    let (target, other) = (dir.join("target.loom"), dir.join("other.loom"));
    make(&target, 16, 12, 0.0);
    make(&other, 16, 9, 0.5);
    let (progress, seen) = recorder();
    let mut ds = connect(&target, Mode::ReadWrite).unwrap();
    ds.set_progress(progress);
    ds.add_loom(&other, &AddLoomOptions::default()).unwrap();
    assert_eq!(check(&seen, 18), [9, 9, 18, 18]);
    seen.lock().unwrap().clear();
    let block = Array2::<f32>::ones((16, 4));
    let clusters = AttrValues::from(vec![7i64; 4]);
    ds.add_columns(
        &[("", (&block).into()), ("twice", (&block).into())],
        &[("Cluster", clusters)],
        None,
        &FillValues::None,
    )
    .unwrap();
    assert_eq!(check(&seen, 8), [4, 8]);
    assert_eq!(ds.shape(), (16, 25));
    assert_eq!(ds.layers().read::<f32>("twice", .., 12..21).unwrap(), {
        let o = layers(&other);
        o[1].clone()
    });
}

#[test]
fn export_and_aggregate_report_rows_by_window() {
    let dir = scratch("rows");
    let path = dir.join("tall.loom");
    make(&path, 1100, 3, 0.0);
    let (progress, seen) = recorder();
    let mut ds = connect(&path, Mode::Read).unwrap();
    ds.set_progress(progress);
    let mut watched = Vec::new();
    ds.export_to(&mut watched, "").unwrap();
    // Windows of 512 rows.
    assert_eq!(check(&seen, 1100), [512, 1024, 1100]);
    seen.lock().unwrap().clear();
    let opts = AggregateOptions {
        group_by: GroupBy::Attr("Cluster".to_owned()),
        ..AggregateOptions::default()
    };
    let got = ds.aggregate(None, &opts).unwrap();
    assert_eq!(check(&seen, 1100), [512, 1024, 1100]);

    let plain = connect(&path, Mode::Read).unwrap();
    let mut text = Vec::new();
    plain.export_to(&mut text, "").unwrap();
    assert_eq!(watched, text);
    assert_eq!(got.matrix, plain.aggregate(None, &opts).unwrap().matrix);
    // Row 1: columns 0, 1, 2 (clusters 0, 1, 2) hold 3, 4 and 0 ((1 + 2) % 3 == 0).
    assert_eq!(got.matrix.row(1).to_vec(), [3.0, 4.0, 0.0]);
}
