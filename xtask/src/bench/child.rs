//! One timed loom-rs read operation in a fresh process: the Rust counterpart of
//! `xtask/bench/loompy_op.py`, run as `xtask bench --child FILE OP [INDEX]`.
//!
//! Untimed setup: `File::open` and `file.dataset("/matrix")` for the hyperslab read ops,
//! `LoomConnection::open(path, Mode::Read, false)` for the loom-core ops (fancy lists
//! and `sparse_main`); loompy's `connect` is untimed there too. Timed: the operation
//! only. The float64 checksum is computed after the timed region.

use std::time::Instant;

use hdf5_lite::read::File;
use hdf5_lite::Error;
use loom_core::{LoomConnection, LoomError, Mode, Selection};

use super::sys;

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

/// The hyperslab (start, count) of a matrix read op.
fn selection(op: &str, shape: &[u64], index: u64) -> Result<(Vec<u64>, Vec<u64>), String> {
    let [rows, cols] = shape else {
        return Err(format!("/matrix has shape {shape:?}, expected 2-D"));
    };
    let (rows, cols) = (*rows, *cols);
    Ok(match op {
        "read_full" => (vec![0, 0], vec![rows, cols]),
        "row_1" => (vec![index, 0], vec![1, cols]),
        "rows_slice_100" => (vec![index, 0], vec![100, cols]),
        "col_1" => (vec![0, index], vec![rows, 1]),
        "cols_slice_1000" => (vec![0, index], vec![rows, 1000]),
        _ => return Err(format!("unknown op `{op}`")),
    })
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
fn measure<T, E: std::fmt::Display>(
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

/// Entry point of `xtask bench --child FILE OP [INDEX]`: prints one `BENCH ...` line.
pub fn run(args: &[String]) -> Result<(), String> {
    let (path, op) = match args {
        [p, o, ..] => (p.as_str(), o.as_str()),
        _ => return Err("--child needs FILE OP [INDEX]".to_string()),
    };
    let arg = args.get(2).map(String::as_str).unwrap_or("0");
    if matches!(
        op,
        "rows_100" | "cols_10" | "cols_100" | "cols_1000" | "sparse_main"
    ) {
        return loom_core_op(path, op, arg).map_err(|e| format!("{op} on {path}: {e}"));
    }
    let index: u64 = arg.parse().map_err(|e| format!("bad index `{arg}`: {e}"))?;
    let fail = |e: Error| format!("{op} on {path}: {e}");

    if op == "connect_attrs" {
        return measure(|| connect_attrs(path), |c| attrs_checksum(c))
            .map_err(|e| format!("{op} on {path}: {e}"));
    }
    // Untimed setup, as loompy's `connect` is untimed for the read ops.
    let file = File::open(path).map_err(fail)?;
    let ds = file.dataset("/matrix").map_err(fail)?;
    let (start, count) = selection(op, ds.shape(), index)?;
    measure(
        || ds.read_slice::<f32>(&start, &count),
        |a| (a.iter().map(|&x| f64::from(x)).sum(), a.len() as u64),
    )
    .map_err(|e| format!("{op} on {path}: {e}"))
}

/// The ops that go through loom-core: a fancy-index list on one axis (`ds.read::<f32>`
/// with `Selection::List`), or the main layer as COO (`ds.sparse`).
fn loom_core_op(path: &str, op: &str, arg: &str) -> Result<(), String> {
    let ds = LoomConnection::open(path, Mode::Read, false).map_err(|e| e.to_string())?;
    if op == "sparse_main" {
        return measure(
            || ds.sparse(Selection::All, Selection::All, ""),
            |m| (m.data().iter().sum(), m.nnz() as u64),
        );
    }
    let picks = arg
        .split(',')
        .map(|s| {
            s.parse::<i64>()
                .map_err(|e| format!("bad index `{s}`: {e}"))
        })
        .collect::<Result<Vec<i64>, String>>()?;
    let (rows, cols) = if op == "rows_100" {
        (Selection::List(picks), Selection::All)
    } else {
        (Selection::All, Selection::List(picks))
    };
    measure(
        || -> Result<_, LoomError> { ds.read::<f32>(rows, cols) },
        |a| (a.iter().map(|&x| f64::from(x)).sum(), a.len() as u64),
    )
}
