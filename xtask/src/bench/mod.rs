//! `cargo xtask bench`: time loom-rs (loom-core's API and hdf5-lite beneath it) against
//! the floor (inflate + copy), loompy 3.0.8 and the other pure-Rust HDF5 crates on the
//! same synthetic .loom file, each run of each operation in a fresh process, and write a
//! markdown report to `target/bench/report.md`. See `docs/benchmarks.md`.

mod child;
pub mod convert;
mod floor;
mod ops;
mod peers;
mod report;
mod sys;
mod write_floor;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::util;
use crate::Workspace;

/// Usage text for `cargo xtask bench --help`.
pub const USAGE: &str = "\
usage: cargo xtask bench [--size small|medium] [--runs N] [--ops a,b,c]
                         [--impls a,b,c] [--python PY] [--timeout SECS]

Times loom-rs (loom-core's API and hdf5-lite, this release build) against the floor
(inflate every needed chunk + copy), loompy 3.0.8 and the other pure-Rust HDF5 crates
(built with `--features peers`: `cargo bench-all`) on a synthetic .loom file. Each run of
each op is a fresh process (Rust: this binary with --child; loompy:
xtask/bench/loompy_op.py); the table shows the median of the runs and every op's
float64 checksum must agree between all of them. The report goes to
target/bench/report.md (and report-SIZE.md) and stdout.

  --size S       small (2000 x 5000, 3 layers; default) or medium (20000 x 50000,
                 ~245 MB; creating it takes about a minute and ~10 GB of RAM)
  --runs N       runs per op and implementation (default 3)
  --ops LIST     comma-separated subset of: connect_attrs, read_full, row_1,
                 rows_slice_100, col_1, cols_slice_1000, rows_100, cols_10,
                 cols_100, cols_1000, sparse_main, and the file operations
                 scan_cols, scan_rows, map_cols, map_rows, permute_cols,
                 permute_rows, add_columns, combine, combine_faster (default: all;
                 the writing ones work on copies in target/bench/tmp)
  --impls LIST   comma-separated subset of: loom-core, hdf5-lite, floor, loompy,
                 hdf5-reader, hdf5-pure-rust, rust-hdf5, hdf5-pure, rustyhdf5
                 (default: all; the peers only in a `--features peers` build)
  --python PY    use this interpreter as is (needs loompy, numpy, scipy) instead of
                 the pinned venv target/xtask-venv (fixtures/requirements.txt)
  --timeout SECS kill a run after SECS seconds (default 300); the report lists it
                 as a lower bound (> SECS s wall, > X s CPU) and skips its
                 remaining runs

The data file target/bench/data/SIZE.loom is made by xtask/bench/make_data.py
(seed 0) if it is missing; delete it to regenerate. Linux only.";

/// Every read operation, with what it reads; [`all_ops`] adds the file operations.
pub const OPS: &[(&str, &str)] = &[
    (
        "connect_attrs",
        "open the file, read every row and column attribute",
    ),
    ("read_full", "the whole /matrix as float32"),
    ("row_1", "one row: /matrix[i, :]"),
    ("rows_slice_100", "100 contiguous rows: /matrix[a:a+100, :]"),
    ("col_1", "one column: /matrix[:, j]"),
    (
        "cols_slice_1000",
        "1000 contiguous columns: /matrix[:, b:b+1000]",
    ),
    (
        "rows_100",
        "100 sorted random rows (loompy: h5py fancy list; loom-core: Selection::List)",
    ),
    (
        "cols_10",
        "10 sorted random columns (fancy list, as rows_100)",
    ),
    ("cols_100", "100 sorted random columns (fancy list)"),
    ("cols_1000", "1000 sorted random columns (fancy list)"),
    (
        "sparse_main",
        "the main layer as COO (loompy: `ds.layers[\"\"].sparse()`; loom-core: \
         `ds.sparse(.., .., \"\")`); checksum = sum of values, n = nnz",
    ),
];

/// Every operation: the reads, then the file operations of `ops.rs`.
pub fn all_ops() -> impl Iterator<Item = &'static (&'static str, &'static str)> {
    OPS.iter().chain(ops::OPS)
}

/// Ops whose index is a comma-separated list; files made before they existed get
/// their `.indices` rewritten (`make_data.py --indices-only`, same values for the rest).
const LIST_OPS: &[&str] = &["rows_100", "cols_10", "cols_100", "cols_1000"];

/// loom-rs and its yardsticks, in the order each run executes them; then the peers.
pub const OURS: [&str; 4] = ["loom-core", "hdf5-lite", "floor", "loompy"];

/// Every implementation, in report order.
pub fn impls() -> Vec<&'static str> {
    OURS.iter().chain(peers::NAMES).copied().collect()
}

struct Options {
    size: String,
    runs: usize,
    ops: Vec<String>,
    impls: Vec<&'static str>,
    python: Option<String>,
    timeout: Duration,
}

fn parse(args: &[String]) -> Result<Options, String> {
    let mut o = Options {
        size: "small".to_string(),
        runs: 3,
        ops: all_ops().map(|(n, _)| n.to_string()).collect(),
        impls: impls()
            .into_iter()
            .filter(|i| cfg!(feature = "peers") || !peers::NAMES.contains(i))
            .collect(),
        python: None,
        timeout: Duration::from_secs(300),
    };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut value = |what: &str| it.next().ok_or(format!("{a} needs {what}")).cloned();
        match a.as_str() {
            "--size" => {
                o.size = value("small or medium")?;
                if !matches!(o.size.as_str(), "small" | "medium") {
                    return Err(format!("--size must be small or medium, not `{}`", o.size));
                }
            }
            "--runs" => {
                let v = value("a number")?;
                o.runs = v.parse().map_err(|e| format!("--runs `{v}`: {e}"))?;
                if o.runs == 0 {
                    return Err("--runs must be at least 1".to_string());
                }
            }
            "--ops" => {
                let v = value("a comma-separated list")?;
                o.ops = v.split(',').map(|s| s.trim().to_string()).collect();
                for op in &o.ops {
                    if !all_ops().any(|(n, _)| n == op) {
                        return Err(format!("unknown op `{op}`\n\n{USAGE}"));
                    }
                }
            }
            "--impls" => {
                let v = value("a comma-separated list")?;
                let all = impls();
                o.impls = v
                    .split(',')
                    .map(|s| {
                        all.iter()
                            .find(|i| **i == s.trim())
                            .copied()
                            .ok_or(format!("unknown implementation `{s}`\n\n{USAGE}"))
                    })
                    .collect::<Result<_, _>>()?;
            }
            "--python" => o.python = Some(value("an interpreter path")?),
            "--timeout" => {
                let v = value("seconds")?;
                let secs: u64 = v.parse().map_err(|e| format!("--timeout `{v}`: {e}"))?;
                o.timeout = Duration::from_secs(secs);
            }
            s => return Err(format!("unexpected argument `{s}`\n\n{USAGE}")),
        }
    }
    Ok(o)
}

/// One run of one op by one implementation, as printed on its `BENCH` line.
#[derive(Debug, Clone)]
pub struct Sample {
    /// Wall time of the operation, seconds.
    pub wall: f64,
    /// User CPU time, seconds.
    pub user: f64,
    /// System CPU time, seconds.
    pub sys: f64,
    /// VmRSS just before the operation, kB.
    pub rss_before_kb: u64,
    /// VmHWM just after the operation, kB.
    pub peak_kb: u64,
    /// RssAnon just after the operation, kB.
    pub anon_kb: u64,
    /// RssFile just after the operation (pages of mapped files), kB.
    pub file_kb: u64,
    /// Peak anonymous memory: VmHWM minus the file pages still mapped after the op, kB.
    pub peak_anon_kb: u64,
    /// Elements read.
    pub n: u64,
    /// float64 checksum of what was read.
    pub sum: f64,
    /// Size of the file the op wrote, bytes (ops that write a new file).
    pub out_bytes: Option<u64>,
}

/// `key=value` fields of the last line starting with `tag`.
fn tagged_fields<'a>(stdout: &'a str, tag: &str) -> Option<(&'a str, BTreeMap<&'a str, &'a str>)> {
    let line = stdout.lines().rev().find(|l| l.starts_with(tag))?;
    let kv = line
        .split_whitespace()
        .skip(1)
        .filter_map(|kv| kv.split_once('='))
        .collect();
    Some((line, kv))
}

/// The sample of a child's output; `None` when it skipped the op. An op that writes a
/// file prints its checksum, read back from the file after the timed region, on a
/// `CHECK sum=.. n=.. out_bytes=..` line after the `BENCH` line.
pub(crate) fn parse_sample(stdout: &str) -> Result<Option<Sample>, String> {
    let (line, mut fields) =
        tagged_fields(stdout, "BENCH ").ok_or("no BENCH line in the output")?;
    if line.trim() == "BENCH skip" {
        return Ok(None);
    }
    if let Some((_, check)) = tagged_fields(stdout, "CHECK ") {
        fields.extend(check);
    }
    let get = |k: &str| fields.get(k).copied().ok_or(format!("no {k} in `{line}`"));
    let float = |k: &str| -> Result<f64, String> {
        let v = get(k)?;
        v.parse().map_err(|e| format!("{k}={v}: {e}"))
    };
    let int = |k: &str| -> Result<u64, String> {
        let v = get(k)?;
        v.parse().map_err(|e| format!("{k}={v}: {e}"))
    };
    let (peak, file) = (int("peak_rss_kb")?, int("rss_file_kb")?);
    Ok(Some(Sample {
        wall: float("wall_s")?,
        user: float("user_s")?,
        sys: float("sys_s")?,
        rss_before_kb: int("rss_before_kb")?,
        peak_kb: peak,
        anon_kb: int("rss_anon_kb")?,
        file_kb: file,
        peak_anon_kb: peak.saturating_sub(file),
        n: int("n")?,
        sum: float("sum")?,
        out_bytes: fields
            .contains_key("out_bytes")
            .then(|| int("out_bytes"))
            .transpose()?,
    }))
}

/// How one child run ended.
enum ChildRun {
    /// It finished; `None` for an op the implementation does not have.
    Done(Option<Sample>),
    /// It was killed at the time limit.
    TimedOut(util::TimedOut),
}

/// Runs one child process to completion (or kills it after `timeout`); its stderr
/// goes to `log`, which is shown on failure.
fn run_child(cmd: &mut Command, timeout: Duration, log: &Path) -> Result<ChildRun, String> {
    let line = util::show(cmd);
    let out = match util::run_until(cmd, timeout)? {
        Ok(out) => out,
        Err(t) => {
            std::fs::write(log, &t.stderr)
                .map_err(|e| format!("cannot write {}: {e}", log.display()))?;
            return Ok(ChildRun::TimedOut(t));
        }
    };
    std::fs::write(log, &out.stderr).map_err(|e| format!("cannot write {}: {e}", log.display()))?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    if !out.status.success() {
        return Err(format!(
            "`{line}` failed ({}):\n{stdout}{stderr}",
            out.status
        ));
    }
    parse_sample(&stdout)
        .map(ChildRun::Done)
        .map_err(|e| format!("`{line}`: {e}\n{stdout}{stderr}"))
}

/// Deletes what a killed child left in the scratch directory `target/bench/tmp`.
fn clear_scratch(root: &Path) {
    let dir = root.join("target").join("bench").join("tmp");
    if let Ok(entries) = std::fs::read_dir(&dir) {
        for entry in entries.flatten() {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// `key value` lines of a file the generator wrote.
fn read_pairs(path: &Path) -> Result<BTreeMap<String, String>, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    Ok(text
        .lines()
        .filter_map(|l| l.split_once(' '))
        .map(|(k, v)| (k.to_string(), v.trim().to_string()))
        .collect())
}

/// The interpreter: `--python`, or the pinned venv (created / updated as needed).
fn python(ws: &Workspace, opts: &Options) -> Result<PathBuf, String> {
    if let Some(p) = &opts.python {
        return Ok(PathBuf::from(p));
    }
    util::ensure_python(&ws.root, opts.python.as_deref(), false)
}

/// The data file of `size`, generated if missing; with its indices and info.
fn ensure_data(ws: &Workspace, py: &Path, size: &str) -> Result<Data, String> {
    let dir = ws.root.join("target").join("bench").join("data");
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let loom = dir.join(format!("{size}.loom"));
    let with = |ext: &str| PathBuf::from(format!("{}.{ext}", loom.display()));
    if !(loom.exists() && with("indices").exists() && with("info").exists()) {
        eprintln!("making {} (once) ...", loom.display());
        util::run(
            Command::new(py)
                .arg(ws.root.join("xtask").join("bench").join("make_data.py"))
                .arg(size)
                .arg(&loom),
            "make_data.py failed; it needs loompy, numpy and scipy.",
        )?;
    }
    let mut indices = read_pairs(&with("indices"))?;
    if LIST_OPS.iter().any(|op| !indices.contains_key(*op)) {
        eprintln!(
            "adding the index lists to {} ...",
            with("indices").display()
        );
        util::run(
            Command::new(py)
                .arg(ws.root.join("xtask").join("bench").join("make_data.py"))
                .arg(size)
                .arg(&loom)
                .arg("--indices-only"),
            "make_data.py --indices-only failed.",
        )?;
        indices = read_pairs(&with("indices"))?;
    }
    Ok(Data {
        indices,
        info: read_pairs(&with("info"))?,
        loom,
    })
}

/// The benchmark file and what the generator recorded about it.
pub struct Data {
    /// The .loom file.
    pub loom: PathBuf,
    /// Op name to its row / column / slice start.
    pub indices: BTreeMap<String, String>,
    /// Shape, nnz, matrix sum, ...
    pub info: BTreeMap<String, String>,
}

/// All samples: (op, implementation) to one sample per run.
pub type Results = BTreeMap<(String, &'static str), Vec<Sample>>;

/// Entry point of `cargo xtask bench`.
pub fn run(ws: &Workspace, args: &[String]) -> Result<(), String> {
    if args.first().map(String::as_str) == Some("--child") {
        return child::run(&args[1..]);
    }
    let opts = parse(args)?;
    let py = python(ws, &opts)?;
    let data = ensure_data(ws, &py, &opts.size)?;
    let out_dir = ws.root.join("target").join("bench");
    let exe = std::env::current_exe().map_err(|e| format!("cannot find this binary: {e}"))?;
    let script = ws.root.join("xtask").join("bench").join("loompy_op.py");
    let log = out_dir.join("child-stderr.log");
    let load_before = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();

    let mut results = Results::new();
    let mut failures: Vec<String> = Vec::new();
    // Runs killed at --timeout: (op, implementation, the lower bound they give).
    let mut timeouts: Vec<(String, &'static str, String)> = Vec::new();
    let started = Instant::now();
    for op in &opts.ops {
        let index = data.indices.get(op.as_str()).cloned();
        for run in 0..opts.runs {
            for &imp in &opts.impls {
                let mut cmd = if imp == "loompy" {
                    let mut c = Command::new(&py);
                    c.arg(&script);
                    c
                } else {
                    let mut c = Command::new(&exe);
                    c.args(["bench", "--child", imp]);
                    c
                };
                cmd.arg(&data.loom).arg(op).current_dir(&ws.root);
                if let Some(i) = &index {
                    cmd.arg(i);
                }
                if timeouts.iter().any(|(o, i, _)| o == op && *i == imp) {
                    continue;
                }
                let sample = match run_child(&mut cmd, opts.timeout, &log) {
                    Ok(ChildRun::Done(s)) => s,
                    Ok(ChildRun::TimedOut(t)) => {
                        clear_scratch(&ws.root);
                        let cpu = t
                            .cpu
                            .map(|c| format!(", > {:.1} s CPU", c.as_secs_f64()))
                            .unwrap_or_default();
                        let bound = format!("> {} s wall{cpu} (killed)", opts.timeout.as_secs());
                        eprintln!("{op:<16} run {run} {imp:<14} {bound}");
                        timeouts.push((op.clone(), imp, bound));
                        continue;
                    }
                    // A peer that fails or runs out of time is reported, not fatal.
                    Err(e) if peers::NAMES.contains(&imp) => {
                        eprintln!("{op:<16} run {run} {imp:<14} FAILED: {e}");
                        failures.push(format!("{op} {imp}: {}", e.lines().next().unwrap_or("")));
                        continue;
                    }
                    Err(e) => return Err(e),
                };
                let Some(s) = sample else {
                    continue;
                };
                eprintln!(
                    "{op:<16} run {run} {imp:<14} wall {:>10.6} s  cpu {:>10.6} s  peak anon {:>8} kB  sum {:?}",
                    s.wall,
                    s.user + s.sys,
                    s.peak_anon_kb,
                    s.sum
                );
                results.entry((op.clone(), imp)).or_default().push(s);
            }
        }
    }
    let load_after = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();

    let meta = report::Meta {
        size: opts.size.clone(),
        runs: opts.runs,
        elapsed: started.elapsed(),
        load_before: load_before.trim().to_string(),
        load_after: load_after.trim().to_string(),
        commit: git_head(&ws.root),
    };
    let (mut text, mismatches) = report::render(&meta, &data, &opts.ops, &results);
    if !timeouts.is_empty() {
        text.push_str("\n## Killed at the time limit (lower bounds, not medians)\n\n");
        for (op, imp, bound) in &timeouts {
            text.push_str(&format!("- {op} {imp}: {bound}\n"));
        }
    }
    if !failures.is_empty() {
        text.push_str("\n## Not measured\n\n");
        for f in &failures {
            text.push_str(&format!("- {f}\n"));
        }
    }
    println!("{text}");
    for name in ["report.md".to_string(), format!("report-{}.md", opts.size)] {
        let path = out_dir.join(name);
        std::fs::write(&path, &text)
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    }
    eprintln!("report written to {}", out_dir.join("report.md").display());
    if mismatches.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "CHECKSUM MISMATCH between implementations:\n  {}",
            mismatches.join("\n  ")
        ))
    }
}

fn git_head(root: &Path) -> String {
    Command::new("git")
        .args(["rev-parse", "--short", "HEAD"])
        .current_dir(root)
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_else(|| "unknown".to_string())
}
