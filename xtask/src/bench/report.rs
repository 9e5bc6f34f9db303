//! The markdown report of `cargo xtask bench`: the summary table (medians), the
//! per-run details and the checksum comparison.

use std::fmt::Write as _;
use std::time::Duration;

use super::{all_ops, impls, Data, Results, Sample};

/// Facts about the whole benchmark run.
#[derive(Debug)]
pub struct Meta {
    /// small or medium.
    pub size: String,
    /// Runs per op and implementation.
    pub runs: usize,
    /// Wall time of all runs.
    pub elapsed: Duration,
    /// /proc/loadavg before the first run.
    pub load_before: String,
    /// /proc/loadavg after the last run.
    pub load_after: String,
    /// Short hash of HEAD.
    pub commit: String,
}

fn median(mut v: Vec<f64>) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(f64::total_cmp);
    let m = v.len() / 2;
    if v.len() % 2 == 1 {
        v[m]
    } else {
        (v[m - 1] + v[m]) / 2.0
    }
}

fn med(samples: &[Sample], f: impl Fn(&Sample) -> f64) -> f64 {
    median(samples.iter().map(f).collect())
}

/// Seconds as `10.59 s`, `79 ms`, `3.00 ms` or `450 µs`.
pub fn fmt_time(s: f64) -> String {
    if !s.is_finite() {
        "-".to_string()
    } else if s >= 1.0 {
        format!("{s:.2} s")
    } else if s >= 0.01 {
        format!("{:.0} ms", s * 1e3)
    } else if s >= 0.001 {
        format!("{:.2} ms", s * 1e3)
    } else {
        format!("{:.0} µs", s * 1e6)
    }
}

/// A median of kB values as MiB.
fn fmt_mib(samples: &[Sample], f: impl Fn(&Sample) -> u64) -> String {
    let v = med(samples, |s| f(s) as f64);
    if v.is_finite() {
        format!("{:.0} MiB", v / 1024.0)
    } else {
        "-".to_string()
    }
}

fn fmt_ratio(r: f64) -> String {
    if !r.is_finite() {
        "-".to_string()
    } else if r >= 10.0 {
        format!("{r:.0}×")
    } else {
        format!("{r:.1}×")
    }
}

/// Compares every run's checksum and element count across both implementations
/// (and read_full against the generator's matrix sum); returns the disagreements.
fn check_sums(data: &Data, ops: &[String], results: &Results) -> Vec<String> {
    let mut bad = Vec::new();
    for op in ops {
        let mut all: Vec<(&str, usize, &Sample)> = Vec::new();
        for imp in impls() {
            // sparse_main's floor is the full read's and map's sums every element:
            // their counts are every element, not the nnz or one per row/column; a
            // write op's floor counts the bytes it deflated.
            if imp == "floor"
                && (matches!(op.as_str(), "sparse_main" | "map_cols" | "map_rows")
                    || super::ops::WRITES.contains(&op.as_str()))
            {
                continue;
            }
            if let Some(v) = results.get(&(op.clone(), imp)) {
                all.extend(v.iter().enumerate().map(|(i, s)| (imp, i, s)));
            }
        }
        let Some(&(imp0, run0, first)) = all.first() else {
            continue;
        };
        for &(imp, run, s) in &all[1..] {
            if s.sum.to_bits() != first.sum.to_bits() || s.n != first.n {
                bad.push(format!(
                    "{op}: {imp} run {run} has sum {:?} over {} elements, {imp0} run {run0} has {:?} over {}",
                    s.sum, s.n, first.sum, first.n
                ));
            }
        }
        let whole = [
            "read_full",
            "sparse_main",
            "scan_cols",
            "scan_rows",
            "map_cols",
            "map_rows",
        ];
        if whole.contains(&op.as_str()) {
            if let Some(expected) = data
                .info
                .get("matrix_sum")
                .and_then(|v| v.parse::<f64>().ok())
            {
                if first.sum.to_bits() != expected.to_bits() {
                    bad.push(format!(
                        "{op}: sum {:?}, but the generator's matrix sum is {expected:?}",
                        first.sum
                    ));
                }
            }
        }
        if op == "sparse_main" {
            if let Some(nnz) = data.info.get("nnz").and_then(|v| v.parse::<u64>().ok()) {
                if first.n != nnz {
                    bad.push(format!(
                        "sparse_main: nnz {}, but the generator's nnz is {nnz}",
                        first.n
                    ));
                }
            }
        }
    }
    bad
}

/// The report text and the list of checksum disagreements.
pub fn render(
    meta: &Meta,
    data: &Data,
    ops: &[String],
    results: &Results,
) -> (String, Vec<String>) {
    let mut t = String::new();
    let info = |k: &str| data.info.get(k).map(String::as_str).unwrap_or("?");
    let get = |op: &str, imp: &'static str| {
        results
            .get(&(op.to_string(), imp))
            .map(Vec::as_slice)
            .unwrap_or(&[])
    };
    let _ = writeln!(
        t,
        "# loom-rs vs the floor, loompy 3.0.8 and pure-Rust HDF5 crates: `{}` dataset\n",
        meta.size
    );
    if cfg!(debug_assertions) {
        let _ = writeln!(
            t,
            "**WARNING: this xtask binary is a debug build, so the loom-rs numbers are \
             meaningless. Run `cargo xtask bench` (the alias builds in release).**\n"
        );
    }
    let _ = writeln!(
        t,
        "Data: `{}`, {} (genes × cells), nnz {}, density {}, {} B, layers {}.  ",
        data.loom
            .file_name()
            .map(|n| n.to_string_lossy())
            .unwrap_or_default(),
        info("shape"),
        info("nnz"),
        info("density"),
        info("file_bytes"),
        info("layers"),
    );
    let idx: Vec<String> = data
        .indices
        .iter()
        .map(|(k, v)| {
            // Index lists: their length and the first few entries only.
            let list: Vec<&str> = v.split(',').collect();
            if list.len() > 1 {
                let head = list.get(..3).unwrap_or(&list).join(", ");
                format!("{k} [{} sorted: {head}, ...]", list.len())
            } else {
                format!("{k} {v}")
            }
        })
        .collect();
    let _ = writeln!(
        t,
        "Indices (np.random.default_rng(12345)): {}.  ",
        idx.join(", ")
    );
    let _ = writeln!(
        t,
        "Median of {} runs, each a fresh process; each run goes through the \
         implementations in turn. \
         Commit {}, {} CPUs available, load average before: `{}`, after: `{}`; \
         all runs took {:.0} s.\n",
        meta.runs,
        meta.commit,
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        meta.load_before,
        meta.load_after,
        meta.elapsed.as_secs_f64(),
    );

    let _ = writeln!(
        t,
        "| op | implementation | CPU | wall | peak anon | CPU / floor | loompy CPU / CPU |"
    );
    let _ = writeln!(t, "|---|---|---|---|---|---|---|");
    let cpu = |s: &Sample| s.user + s.sys;
    for op in ops {
        let floor = med(get(op, "floor"), cpu);
        let loompy = med(get(op, "loompy"), cpu);
        for imp in impls() {
            let v = get(op, imp);
            if v.is_empty() {
                continue;
            }
            let c = med(v, cpu);
            let _ = writeln!(
                t,
                "| {op} | {imp} | {} | {} | {} | {} | {} |",
                fmt_time(c),
                fmt_time(med(v, |s| s.wall)),
                fmt_mib(v, |s| s.peak_anon_kb),
                if imp == "floor" {
                    String::new()
                } else {
                    fmt_ratio(c / floor)
                },
                if imp == "loompy" {
                    String::new()
                } else {
                    fmt_ratio(loompy / c)
                },
            );
        }
    }
    let _ = writeln!(
        t,
        "\nCPU = user + sys of the whole process over the timed region (the Rust readers \
         decode on all cores; loompy/h5py on one). Peak anon = VmHWM (reset just before \
         the op) minus the file pages still mapped after it: the memory the op allocated \
         plus what the process held before. floor = inflate every chunk the op needs \
         into a reused buffer (zlib-rs, all cores) and copy the selected elements; \
         the floor of sparse_main is the full read's; that of scan and map inflates \
         every chunk once into a reused buffer and sums it there (no output array); \
         that of a write op inflates every chunk it must read and deflates (hdf5-lite's \
         ChunkEncoder, the layer's pipeline) every chunk it must write, all cores \
         (see xtask/src/bench/write_floor.rs). MiB = 2^20 B.\n"
    );

    let _ = writeln!(t, "## Details\n");
    let _ = writeln!(
        t,
        "| op | implementation | wall, every run | user (median) | sys (median) | CPU/wall | VmRSS before / VmHWM | RssAnon / RssFile after | elements | checksum |"
    );
    let _ = writeln!(t, "|---|---|---|---|---|---|---|---|---|---|");
    for op in ops {
        for imp in impls() {
            let v = get(op, imp);
            if v.is_empty() {
                continue;
            }
            let walls: Vec<String> = v.iter().map(|s| fmt_time(s.wall)).collect();
            let _ = writeln!(
                t,
                "| {op} | {imp} | {} | {} | {} | {:.2} | {} / {} | {:.0} / {:.0} MiB | {} | {} |",
                walls.join(", "),
                fmt_time(med(v, |s| s.user)),
                fmt_time(med(v, |s| s.sys)),
                med(v, cpu) / med(v, |s| s.wall),
                fmt_mib(v, |s| s.rss_before_kb),
                fmt_mib(v, |s| s.peak_kb),
                med(v, |s| s.anon_kb as f64) / 1024.0,
                med(v, |s| s.file_kb as f64) / 1024.0,
                v.first().map_or(0, |s| s.n),
                v.first()
                    .map_or("-".to_string(), |s| format!("{:?}", s.sum)),
            );
        }
    }

    let written: Vec<String> = ops
        .iter()
        .flat_map(|op| impls().into_iter().map(move |imp| (op, imp)))
        .filter_map(|(op, imp)| {
            let bytes = get(op, imp).first()?.out_bytes?;
            Some(format!("| {op} | {imp} | {bytes} |"))
        })
        .collect();
    if !written.is_empty() {
        let _ = writeln!(t, "\n## Files written\n");
        let _ = writeln!(t, "| op | implementation | bytes |\n|---|---|---|");
        for row in written {
            let _ = writeln!(t, "{row}");
        }
    }

    let bad = check_sums(data, ops, results);
    let _ = writeln!(t, "\n## Checksums\n");
    if bad.is_empty() {
        let _ = writeln!(
            t,
            "Every run of every implementation gave the same float64 checksum and element \
             count for each op (read_full and sparse_main also equal the generator's matrix \
             sum {}; sparse_main's count is the nnz).",
            info("matrix_sum")
        );
    } else {
        let _ = writeln!(t, "**CHECKSUM MISMATCH**:\n");
        for b in &bad {
            let _ = writeln!(t, "- {b}");
        }
    }
    let _ = writeln!(t, "\nOps:\n");
    for (name, what) in all_ops() {
        if ops.iter().any(|o| o == name) {
            let _ = writeln!(t, "- `{name}`: {what}");
        }
    }
    (t, bad)
}
