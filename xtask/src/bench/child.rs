//! One timed Rust read operation in a fresh process: the counterpart of
//! `xtask/bench/loompy_op.py`, run as `xtask bench --child IMPL FILE OP [INDEX]`, where
//! IMPL is `loom-core` (the loompy-like API), `hdf5-lite`, `floor` (inflate + copy, see
//! `floor.rs`; for the writing ops inflate + deflate, see `write_floor.rs`) or a peer
//! crate (`peers.rs`).
//!
//! Untimed setup: opening the file (and `/matrix`, or the loom connection) for the read
//! ops, as loompy's `connect` is untimed there. Timed: the operation only. The float64
//! checksum is computed after the timed region.

use std::time::Instant;

use hdf5_lite::read::File;
use hdf5_lite::Error;
use loom_core::{AttrValues, LoomConnection, LoomError, Mode, Selection};

use super::floor::Floor;
use super::write_floor::WriteFloor;
use super::{peers, sys};

/// One attribute column as read: strings, or numbers converted to f64.
enum AttrColumn {
    Strings(Vec<String>),
    Numbers(Vec<f64>),
}

/// Open the file and read every row and column attribute (the whole `connect_attrs`).
fn connect_attrs(path: &str) -> Result<Vec<AttrColumn>, Error> {
    let file = File::open(path)?;
    let mut columns = Vec::new();
    for group in ["/row_attrs", "/col_attrs"] {
        let g = file.group(group)?;
        for name in g.member_names()? {
            let ds = g.dataset(&name)?;
            columns.push(match ds.read_strings() {
                Ok(s) => AttrColumn::Strings(s),
                Err(Error::TypeMismatch { .. }) => {
                    AttrColumn::Numbers(ds.read::<f64>()?.into_raw_vec_and_offset().0)
                }
                Err(e) => return Err(e),
            });
        }
    }
    Ok(columns)
}

/// One axis of a matrix read: a range or a sorted list of indices.
#[derive(Debug, Clone)]
pub enum Axis {
    /// `count` indices from `start`; `None` = the whole axis.
    Range(u64, Option<u64>),
    /// These indices.
    List(Vec<u64>),
}

impl Axis {
    /// The indices, on an axis of length `n`.
    pub fn values(&self, n: u64) -> Vec<u64> {
        match self {
            Axis::Range(start, count) => (*start..start + count.unwrap_or(n - start)).collect(),
            Axis::List(v) => v.clone(),
        }
    }

    /// (start, count) of a range on an axis of length `n`.
    pub fn range(&self, n: u64) -> Option<(u64, u64)> {
        match self {
            Axis::Range(start, count) => Some((*start, count.unwrap_or(n - start))),
            Axis::List(_) => None,
        }
    }

    fn selection(&self) -> Selection {
        match self {
            Axis::Range(0, None) => Selection::All,
            Axis::Range(start, count) => Selection::Range {
                start: Some(*start as i64),
                stop: count.map(|c| (start + c) as i64),
                step: 1,
            },
            Axis::List(v) => Selection::List(v.iter().map(|&i| i as i64).collect()),
        }
    }
}

/// The rows and columns a matrix read op selects; `None` for the other ops.
pub fn matrix_op(op: &str, arg: &str) -> Result<Option<(Axis, Axis)>, String> {
    let index =
        || -> Result<u64, String> { arg.parse().map_err(|e| format!("bad index `{arg}`: {e}")) };
    let list = || -> Result<Vec<u64>, String> {
        arg.split(',')
            .map(|s| {
                s.parse::<u64>()
                    .map_err(|e| format!("bad index `{s}`: {e}"))
            })
            .collect()
    };
    let all = Axis::Range(0, None);
    Ok(Some(match op {
        "read_full" => (all.clone(), all),
        "row_1" => (Axis::Range(index()?, Some(1)), all),
        "rows_slice_100" => (Axis::Range(index()?, Some(100)), all),
        "col_1" => (all, Axis::Range(index()?, Some(1))),
        "cols_slice_1000" => (all, Axis::Range(index()?, Some(1000))),
        "rows_100" => (Axis::List(list()?), all),
        "cols_10" | "cols_100" | "cols_1000" => (all, Axis::List(list()?)),
        _ => return Ok(None),
    }))
}

/// float64 checksum and element count of attribute columns: numbers summed as f64,
/// strings counted by length in characters (loompy's attribute strings are Python
/// `str`).
fn attrs_checksum(cols: &[AttrColumn]) -> (f64, u64) {
    cols.iter().fold((0.0, 0), |(s, n), c| match c {
        AttrColumn::Strings(v) => (
            s + v.iter().map(|x| x.chars().count() as f64).sum::<f64>(),
            n + v.len() as u64,
        ),
        AttrColumn::Numbers(v) => (s + v.iter().sum::<f64>(), n + v.len() as u64),
    })
}

/// Runs `op` once between the measurements and prints the `BENCH` line; `checksum`
/// runs after the timed region, on the still-live result.
pub fn measure<T, E: std::fmt::Display>(
    op: impl FnOnce() -> Result<T, E>,
    checksum: impl FnOnce(&T) -> (f64, u64),
) -> Result<(), String> {
    sys::reset_peak_rss()?;
    let rss_before = sys::status_kb("VmRSS")?;
    let cpu0 = sys::cpu_times()?;
    let t0 = Instant::now();
    let result = op();
    let wall = t0.elapsed();
    let cpu1 = sys::cpu_times()?;
    let peak = sys::status_kb("VmHWM")?;
    let (anon, file) = (sys::status_kb("RssAnon")?, sys::status_kb("RssFile")?);
    let out = result.map_err(|e| e.to_string())?;
    let (sum, n) = checksum(&out);
    println!(
        "BENCH wall_s={:?} user_s={:?} sys_s={:?} rss_before_kb={rss_before} peak_rss_kb={peak} \
         rss_anon_kb={anon} rss_file_kb={file} n={n} sum={sum:?}",
        wall.as_secs_f64(),
        cpu1.user.saturating_sub(cpu0.user).as_secs_f64(),
        cpu1.sys.saturating_sub(cpu0.sys).as_secs_f64(),
    );
    Ok(())
}

/// Times `op`, a dense read, and prints its `BENCH` line.
pub fn measure_dense(op: impl FnOnce() -> Result<Vec<f32>, String>) -> Result<(), String> {
    measure(op, |v| dense_sum(v))
}

/// The float64 checksum and count of a dense result.
fn dense_sum<'a>(values: impl IntoIterator<Item = &'a f32>) -> (f64, u64) {
    values
        .into_iter()
        .fold((0.0, 0), |(s, n), &x| (s + f64::from(x), n + 1))
}

/// Entry point of `xtask bench --child IMPL FILE OP [INDEX]`: prints one `BENCH ...`
/// line, or `BENCH skip` when IMPL does not do OP.
pub fn run(args: &[String]) -> Result<(), String> {
    let (imp, path, op) = match args {
        [i, p, o, ..] => (i.as_str(), p.as_str(), o.as_str()),
        _ => return Err("--child needs IMPL FILE OP [INDEX]".to_string()),
    };
    let arg = args.get(3).map(String::as_str).unwrap_or("0");
    let fail = |e: String| format!("{imp} {op} on {path}: {e}");
    let sel = matrix_op(op, arg)?;
    match (imp, op, sel) {
        ("loom-core", _, None) if super::ops::OPS.iter().any(|(n, _)| *n == op) => {
            super::ops::run(path, op).map_err(fail)
        }
        ("loom-core", _, _) => loom_core_op(path, op, arg).map_err(fail),
        ("hdf5-lite", "connect_attrs", _) => {
            measure(|| connect_attrs(path), |c| attrs_checksum(c)).map_err(fail)
        }
        ("hdf5-lite", _, Some((rows, cols))) => hdf5_lite_op(path, &rows, &cols).map_err(fail),
        ("floor", "sparse_main", _) => {
            let all = Axis::Range(0, None);
            let f = Floor::prepare(path, &all, &all).map_err(fail)?;
            measure_dense(|| f.run()).map_err(fail)
        }
        ("floor", "scan_cols" | "scan_rows" | "map_cols" | "map_rows", _) => {
            let all = Axis::Range(0, None);
            let f = Floor::prepare(path, &all, &all).map_err(fail)?;
            measure(|| f.stream(), |&s| s).map_err(fail)
        }
        ("floor", _, None) if super::ops::WRITES.contains(&op) => {
            let f = WriteFloor::prepare(path, op, super::ops::ADDED).map_err(fail)?;
            measure(|| f.run(), |&s| s).map_err(fail)
        }
        ("floor", _, Some((rows, cols))) => {
            let f = Floor::prepare(path, &rows, &cols).map_err(fail)?;
            measure_dense(|| f.run()).map_err(fail)
        }
        (peer, _, Some((rows, cols))) if peers::NAMES.contains(&peer) => {
            peers::run(peer, path, &rows, &cols).map_err(fail)
        }
        _ => {
            println!("BENCH skip");
            Ok(())
        }
    }
}

/// A matrix read through hdf5-lite: `read_slice` for a rectangle, else
/// `read_orthogonal`. Opening the file and the dataset is untimed setup.
fn hdf5_lite_op(path: &str, rows: &Axis, cols: &Axis) -> Result<(), String> {
    let file = File::open(path).map_err(|e| e.to_string())?;
    let ds = file.dataset("/matrix").map_err(|e| e.to_string())?;
    let [n, m] = ds.shape() else {
        return Err(format!("/matrix has shape {:?}, expected 2-D", ds.shape()));
    };
    let (n, m) = (*n, *m);
    if let (Some((r0, nr)), Some((c0, nc))) = (rows.range(n), cols.range(m)) {
        return measure(
            || ds.read_slice::<f32>(&[r0, c0], &[nr, nc]),
            |a| dense_sum(a.iter()),
        );
    }
    let (rv, cv) = (rows.values(n), cols.values(m));
    let sel = [indices(rows, &rv, n), indices(cols, &cv, m)];
    measure(|| ds.read_orthogonal::<f32>(&sel), |a| dense_sum(a.iter()))
}

/// An axis as hdf5-lite indices (`values` holds a list's indices).
fn indices<'a>(axis: &Axis, values: &'a [u64], len: u64) -> hdf5_lite::read::Indices<'a> {
    match axis.range(len) {
        Some((start, count)) => hdf5_lite::read::Indices::Range { start, count },
        None => hdf5_lite::read::Indices::List(values),
    }
}

/// An op through loom-core, as a loompy user calls it: `connect` then `ds.ra`/`ds.ca`
/// (connect_attrs, timed whole), `ds.read::<f32>(rows, cols)` or `ds.sparse(.., .., "")`
/// (connecting untimed, as loompy's `connect` is untimed there).
fn loom_core_op(path: &str, op: &str, arg: &str) -> Result<(), String> {
    if op == "connect_attrs" {
        return measure(
            || -> Result<_, LoomError> {
                let ds = LoomConnection::open(path, Mode::Read, false)?;
                let mut cols = Vec::new();
                for attrs in [ds.ra(), ds.ca()] {
                    for k in attrs.keys() {
                        cols.push(attrs.get(&k)?);
                    }
                }
                Ok(cols)
            },
            |cols| {
                cols.iter().fold((0.0, 0), |(s, n), v| {
                    let (a, b) = attr_values_checksum(v);
                    (s + a, n + b)
                })
            },
        );
    }
    let ds = LoomConnection::open(path, Mode::Read, false).map_err(|e| e.to_string())?;
    if op == "sparse_main" {
        return measure(
            || ds.sparse(Selection::All, Selection::All, ""),
            |m| (m.data().iter().sum(), m.nnz() as u64),
        );
    }
    let Some((rows, cols)) = matrix_op(op, arg)? else {
        println!("BENCH skip");
        return Ok(());
    };
    measure(
        || -> Result<_, LoomError> { ds.read::<f32>(rows.selection(), cols.selection()) },
        |a| dense_sum(a.iter()),
    )
}

/// Checksum of one loom-core attribute column, as [`attrs_checksum`] counts it.
fn attr_values_checksum(v: &AttrValues) -> (f64, u64) {
    match v {
        AttrValues::Int { values, .. } => {
            (values.iter().map(|&x| x as f64).sum(), values.len() as u64)
        }
        AttrValues::UInt { values, .. } => {
            (values.iter().map(|&x| x as f64).sum(), values.len() as u64)
        }
        AttrValues::Float { values, .. } => (values.iter().sum(), values.len() as u64),
        AttrValues::Bool(values) => (
            values.iter().map(|&x| f64::from(u8::from(x))).sum(),
            values.len() as u64,
        ),
        AttrValues::Str(values) => (
            values.iter().map(|x| x.chars().count() as f64).sum(),
            values.len() as u64,
        ),
        _ => (f64::NAN, 0),
    }
}
