//! The file operations of the benchmark (issue 10) through loom-core: scan, map,
//! permute, add_columns, combine and combine_faster, each the counterpart of the same
//! op in `xtask/bench/loompy_op.py`.
//!
//! Ops that write work on scratch files under `target/bench/tmp` (the data file is
//! only read): copying the data file there, and reading the inputs of `add_columns`,
//! is untimed setup; the checksum is read back after the timed region and the scratch
//! files are deleted. `scan_*` sums each window's values inside the timed region (the
//! caller's work on a window, the same numpy/ndarray sum in both); `map_*` sums the
//! result vector afterwards.

use std::path::{Path, PathBuf};

use loom_core::ops::{CombineFasterOptions, CombineOptions, FillValues, ScanOptions};
use loom_core::{connect, AttrValues, Axis, LayerInput, LoomError, Mode, Selection};

use super::child::measure;

/// The ops of this module, with what they do.
pub const OPS: &[(&str, &str)] = &[
    (
        "scan_cols",
        "scan over columns, default options (batch 512, every layer, attributes and graphs; loom-core: values as float32, the stored type, as loompy's): float64 sum of every window's main layer",
    ),
    ("scan_rows", "scan over rows, as scan_cols"),
    (
        "map_cols",
        "map([sum], axis=1): one sum per column (loom-core: map_layer_as::<f32>, float64 sums)",
    ),
    (
        "map_rows",
        "map([sum], axis=0): one sum per row (loom-core: map_layer_as::<f32>, float64 sums)",
    ),
    (
        "permute_cols",
        "permute the columns of a copy by j -> (j * 7919) mod n_cols; checksum over the first 1000 columns, weighted by position",
    ),
    (
        "permute_rows",
        "permute the rows of a copy by i -> (i * 7919) mod n_rows; checksum over the first 1000 rows, weighted by position",
    ),
    (
        "add_columns",
        "append the first 5000 columns of every layer (dense float32, read untimed) and their column attributes to a copy",
    ),
    (
        "combine",
        "combine([file, file], out): the data file twice, no key; checksum over columns n-1000..n+1000",
    ),
    (
        "combine_faster",
        "combine_faster([file, file], out), as combine",
    ),
];

/// The float64 sum of float32 values (numpy's `np.sum(m, dtype=np.float64)`), eight
/// lanes at a time.
fn sum_f64(values: &[f32]) -> f64 {
    let mut acc = [0f64; 8];
    let mut blocks = values.chunks_exact(8);
    for b in &mut blocks {
        for (a, &x) in acc.iter_mut().zip(b) {
            *a += f64::from(x);
        }
    }
    let rest: f64 = blocks.remainder().iter().map(|&x| f64::from(x)).sum();
    acc.iter().sum::<f64>() + rest
}

/// The column-permutation step: coprime with 50,000 and 20,000 (and the small shapes).
const STEP: u64 = 7919;

/// Columns appended by `add_columns`.
pub const ADDED: u64 = 5000;

/// The ops that write a file (their floor is `write_floor.rs`'s).
pub const WRITES: &[&str] = &[
    "permute_cols",
    "permute_rows",
    "add_columns",
    "combine",
    "combine_faster",
];

/// Runs `op` (one of [`OPS`]) through loom-core.
pub fn run(path: &str, op: &str) -> Result<(), String> {
    let e = |e: LoomError| e.to_string();
    match op {
        "scan_cols" | "scan_rows" => {
            let axis = if op == "scan_cols" {
                Axis::Cols
            } else {
                Axis::Rows
            };
            let ds = connect(path, Mode::Read).map_err(e)?;
            measure(
                || -> Result<(f64, u64), LoomError> {
                    let (mut sum, mut n) = (0.0, 0u64);
                    ds.scan(axis, ScanOptions::default())?
                        .for_each_batch_as::<f32, _>(|batch| {
                            let v = batch.layer("")?;
                            sum += v
                                .as_slice()
                                .map_or_else(|| v.iter().map(|&x| f64::from(x)).sum(), sum_f64);
                            n += v.len() as u64;
                            Ok::<(), LoomError>(())
                        })?;
                    Ok((sum, n))
                },
                |&s| s,
            )?;
        }
        "map_cols" | "map_rows" => {
            let axis = if op == "map_cols" {
                Axis::Cols
            } else {
                Axis::Rows
            };
            let ds = connect(path, Mode::Read).map_err(e)?;
            let sum = |v: ndarray::ArrayView1<f32>| {
                v.as_slice()
                    .map_or_else(|| v.iter().map(|&x| f64::from(x)).sum(), sum_f64)
            };
            measure(
                || ds.map_layer_as::<f32>(&[&sum], "", axis, 512, None),
                |out| (out[0].iter().sum(), out[0].len() as u64),
            )?;
        }
        "permute_cols" | "permute_rows" => {
            let axis = if op == "permute_cols" {
                Axis::Cols
            } else {
                Axis::Rows
            };
            let copy = Scratch::copy_of(path, op)?;
            let mut ds = connect(&copy.0, Mode::ReadWrite).map_err(e)?;
            let len = axis.of(ds.shape());
            let ordering: Vec<usize> = (0..len).map(|j| ((j * STEP) % len) as usize).collect();
            measure(|| ds.permute(&ordering, axis), |_| (0.0, 0))?;
            ds.close().map_err(e)?;
            return checksum_after(&copy.0, axis);
        }
        "add_columns" => {
            let copy = Scratch::copy_of(path, op)?;
            let mut ds = connect(&copy.0, Mode::ReadWrite).map_err(e)?;
            let m = ds.shape().1;
            let head = Selection::Range {
                start: Some(0),
                stop: Some(ADDED as i64),
                step: 1,
            };
            let mut blocks = Vec::new();
            for name in ds.layers().keys().map_err(e)? {
                let b = ds.layers().read::<f32>(&name, Selection::All, head.clone());
                blocks.push((name, b.map_err(e)?));
            }
            let picks: Vec<usize> = (0..ADDED as usize).collect();
            let mut attrs: Vec<(String, AttrValues)> = Vec::new();
            for k in ds.ca().keys() {
                attrs.push((
                    k.clone(),
                    ds.ca().get(&k).map_err(e)?.take(&picks).map_err(e)?,
                ));
            }
            let named: Vec<(&str, AttrValues)> =
                attrs.iter().map(|(k, v)| (k.as_str(), v.clone())).collect();
            measure(
                || {
                    let layers: Vec<(&str, LayerInput)> = blocks
                        .iter()
                        .map(|(k, b)| (k.as_str(), LayerInput::from(b)))
                        .collect();
                    ds.add_columns(&layers, &named, None, &FillValues::None)
                },
                |_| (0.0, 0),
            )?;
            ds.close().map_err(e)?;
            return region_checksum(&copy.0, m, ADDED);
        }
        "combine" | "combine_faster" => {
            let out = Scratch(scratch_dir()?.join(format!("{op}-loom-core.loom")));
            let files = [path, path];
            measure(
                || {
                    if op == "combine" {
                        loom_core::ops::combine(&files, &out.0, &CombineOptions::default())
                    } else {
                        loom_core::ops::combine_faster(
                            &files,
                            &out.0,
                            &CombineFasterOptions::default(),
                        )
                        .map(|_| ())
                    }
                },
                |_| (0.0, 0),
            )?;
            let m = connect(path, Mode::Read).map_err(e)?.shape().1;
            return region_checksum(&out.0, m - 1000, 2000);
        }
        _ => return Err(format!("unknown op {op}")),
    }
    Ok(())
}

/// `target/bench/tmp`, made if missing.
fn scratch_dir() -> Result<PathBuf, String> {
    let dir = Path::new("target").join("bench").join("tmp");
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    Ok(dir)
}

/// A scratch file, deleted on drop.
struct Scratch(PathBuf);

impl Scratch {
    /// A copy of `path` for `op` (untimed setup).
    fn copy_of(path: &str, op: &str) -> Result<Scratch, String> {
        let to = Scratch(scratch_dir()?.join(format!("{op}-loom-core.loom")));
        std::fs::copy(path, &to.0).map_err(|e| format!("cannot copy {path}: {e}"))?;
        Ok(to)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Prints the `CHECK` line of a permuted file: the first 1000 columns (rows) along
/// `axis`, each value weighted by its position + 1.
fn checksum_after(path: &Path, axis: Axis) -> Result<(), String> {
    let e = |e: LoomError| e.to_string();
    let ds = connect(path, Mode::Read).map_err(e)?;
    let head = Selection::Range {
        start: Some(0),
        stop: Some(1000),
        step: 1,
    };
    let (rows, cols) = match axis {
        Axis::Rows => (head, Selection::All),
        Axis::Cols => (Selection::All, head),
    };
    let a = ds.read::<f64>(rows, cols).map_err(e)?;
    let along = ndarray::Axis(axis.index());
    let sum: f64 = a
        .axis_iter(along)
        .enumerate()
        .map(|(k, lane)| (k as f64 + 1.0) * lane.sum())
        .sum();
    check_line(path, sum, a.len() as u64)
}

/// Prints the `CHECK` line of columns `start..start+count` of the main matrix.
fn region_checksum(path: &Path, start: u64, count: u64) -> Result<(), String> {
    let e = |e: LoomError| e.to_string();
    let ds = connect(path, Mode::Read).map_err(e)?;
    let cols = Selection::Range {
        start: Some(start as i64),
        stop: Some((start + count) as i64),
        step: 1,
    };
    let a = ds.read::<f64>(Selection::All, cols).map_err(e)?;
    let (n, m) = ds.shape();
    check_line(path, a.sum(), n * m)
}

/// `CHECK sum=.. n=.. out_bytes=..`: the checksum of a written file, read back.
fn check_line(path: &Path, sum: f64, n: u64) -> Result<(), String> {
    let bytes = std::fs::metadata(path)
        .map_err(|e| format!("{}: {e}", path.display()))?
        .len();
    println!("CHECK sum={sum:?} n={n} out_bytes={bytes}");
    Ok(())
}
