//! `cargo xtask bench-io`: loom-io's converters against the Python tools on the medium
//! benchmark file, side by side in one run: loom → h5ad (anndata `read_loom(…).
//! write_h5ad(…)`), h5ad → loom (`read_h5ad(…).write_loom(…)`) and a Cell Ranger `.h5`
//! of the same matrix → loom (`scanpy.read_10x_h5` + `loompy.create`). Each run is a
//! fresh process (Rust: this binary with `--child`; Python: xtask/bench/anndata_op.py).
//! CPU and wall time are the conversion's own (imports and checksums untimed); peak
//! anonymous memory is sampled from `/proc/PID/status` by this process every 5 ms until
//! the child prints `OPDONE`. With `--double`, loom-rs also converts inputs of twice the
//! cells (made once, deleted at the end) to show that its memory stays flat.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use loom_core::{Axis, Mode, DEFAULT_BUDGET};
use loom_io::{export_h5ad, import_10x, import_h5ad, H5adExport, H5adImport, TenxImport};

use super::{parse_sample, sys, Sample};
use crate::util;
use crate::Workspace;

/// Usage text for `cargo xtask bench-io --help`.
pub const USAGE: &str = "\
usage: cargo xtask bench-io [--data FILE.loom] [--runs N] [--py-runs N]
                            [--ops a,b,c] [--double] [--keep] [--python PY]
                            [--timeout SECS]

Times loom-io's converters (this release build) against anndata / scanpy / loompy on
the benchmark .loom, side by side: loom_to_h5ad, h5ad_to_loom (its input: the h5ad that
loom-rs exports, made once), tenx_to_loom (a Cell Ranger v3 .h5 of the same matrix,
made once with h5py). Every run is a fresh process; the table shows medians. Scratch
files go to target/bench/io/ and are deleted at the end (kept with --keep, and reused
by the next run); the report goes to target/bench/report-io.md and stdout.

  --data FILE   the .loom to convert (default target/bench/data/medium.loom)
  --runs N      runs of each loom-rs conversion (default 3)
  --py-runs N   runs of each Python conversion (default 1: minutes and GBs each;
                0: loom-rs only)
  --ops LIST    subset of loom_to_h5ad, h5ad_to_loom, tenx_to_loom (default: all)
  --double      also convert inputs with twice the cells (loom-rs only)
  --keep        keep the inputs made in target/bench/io/ for the next run
  --python PY   the interpreter (needs anndata, scanpy, loompy, h5py); default the
                pinned venv target/xtask-venv
  --timeout S   kill a run after S seconds (default 900)";

/// The conversions.
const OPS: [&str; 3] = ["loom_to_h5ad", "h5ad_to_loom", "tenx_to_loom"];

struct Options {
    data: Option<PathBuf>,
    runs: usize,
    py_runs: usize,
    ops: Vec<String>,
    double: bool,
    keep: bool,
    python: Option<String>,
    timeout: Duration,
}

fn parse(args: &[String]) -> Result<Options, String> {
    let mut o = Options {
        data: None,
        runs: 3,
        py_runs: 1,
        ops: OPS.iter().map(|s| s.to_string()).collect(),
        double: false,
        keep: false,
        python: None,
        timeout: Duration::from_secs(900),
    };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut value = |what: &str| it.next().ok_or(format!("{a} needs {what}")).cloned();
        let number = |v: String| -> Result<usize, String> {
            v.parse::<usize>()
                .ok()
                .filter(|&n| n > 0)
                .ok_or(format!("{a} `{v}`: not a positive number"))
        };
        match a.as_str() {
            "--data" => o.data = Some(PathBuf::from(value("a .loom file")?)),
            "--runs" => o.runs = number(value("a number")?)?,
            "--py-runs" => {
                let v = value("a number")?;
                o.py_runs = v
                    .parse()
                    .map_err(|_| format!("--py-runs `{v}`: not a number"))?;
            }
            "--ops" => {
                o.ops = value("a list")?
                    .split(',')
                    .map(|s| s.trim().into())
                    .collect();
                if let Some(bad) = o.ops.iter().find(|op| !OPS.contains(&op.as_str())) {
                    return Err(format!("unknown op `{bad}`\n\n{USAGE}"));
                }
            }
            "--double" => o.double = true,
            "--keep" => o.keep = true,
            "--python" => o.python = Some(value("an interpreter path")?),
            "--timeout" => o.timeout = Duration::from_secs(number(value("seconds")?)? as u64),
            s => return Err(format!("unexpected argument `{s}`\n\n{USAGE}")),
        }
    }
    Ok(o)
}

/// A sample with the peak anonymous memory sampled from outside, kB.
struct Run {
    sample: Sample,
    sampled_anon_kb: u64,
}

/// Runs `cmd`, sampling its RssAnon until it prints `OPDONE`; its stderr goes to `log`.
fn run_sampled(cmd: &mut Command, timeout: Duration, log: &Path) -> Result<Run, String> {
    let line = util::show(cmd);
    let err = std::fs::File::create(log).map_err(|e| format!("{}: {e}", log.display()))?;
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(err)
        .spawn()
        .map_err(|e| format!("could not run `{line}`: {e}"))?;
    let status_path = format!("/proc/{}/status", child.id());
    let done = Arc::new(AtomicBool::new(false));
    let stdout = child.stdout.take().ok_or("no stdout")?;
    let reader = {
        let done = Arc::clone(&done);
        std::thread::spawn(move || {
            let mut text = String::new();
            for l in BufReader::new(stdout).lines().map_while(Result::ok) {
                if l.trim() == "OPDONE" {
                    done.store(true, Ordering::SeqCst);
                }
                text.push_str(&l);
                text.push('\n');
            }
            text
        })
    };
    let t0 = Instant::now();
    let mut peak = 0u64;
    let status = loop {
        if let Some(st) = child.try_wait().map_err(|e| format!("`{line}`: {e}"))? {
            break st;
        }
        if t0.elapsed() > timeout {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!("`{line}` timed out after {timeout:?}"));
        }
        if !done.load(Ordering::SeqCst) {
            if let Ok(text) = std::fs::read_to_string(&status_path) {
                if let Some(kb) = text.lines().find_map(|l| {
                    l.strip_prefix("RssAnon:")?
                        .split_whitespace()
                        .next()?
                        .parse::<u64>()
                        .ok()
                }) {
                    peak = peak.max(kb);
                }
            }
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let stdout = reader.join().unwrap_or_default();
    let stderr = std::fs::read_to_string(log).unwrap_or_default();
    if !status.success() {
        return Err(format!("`{line}` failed ({status}):\n{stdout}{stderr}"));
    }
    let sample = parse_sample(&stdout)
        .map_err(|e| format!("`{line}`: {e}\n{stdout}{stderr}"))?
        .ok_or(format!("`{line}` skipped"))?;
    Ok(Run {
        sample,
        sampled_anon_kb: peak,
    })
}

/// `xtask bench-io --child OP IN OUT`: one timed conversion by loom-io.
pub fn child(args: &[String]) -> Result<(), String> {
    let [op, input, out] = args else {
        return Err("usage: xtask bench-io --child OP IN OUT".into());
    };
    let (input, out) = (PathBuf::from(input), PathBuf::from(out));
    let e = |e: &dyn std::fmt::Display| e.to_string();
    let rss_before = sys::status_kb("VmRSS")?;
    sys::reset_peak_rss()?;
    let c0 = sys::cpu_times()?;
    let t0 = Instant::now();
    // The input stays open until the memory is read, so its mapped pages count as file
    // pages, not as anonymous memory.
    let keep = match op.as_str() {
        "loom_to_h5ad" => {
            let ds = loom_core::connect(&input, Mode::Read).map_err(|x| e(&x))?;
            export_h5ad(&ds, &H5adExport::new(&out)).map_err(|x| e(&x))?;
            Some(ds)
        }
        "h5ad_to_loom" | "tenx_to_loom" => {
            // One transaction, one commit at the end, as `loom import` runs it.
            let mut ds = loom_core::new(&out).map_err(|x| e(&x))?;
            let failed = |x: loom_io::IoError| loom_core::LoomError::InvalidInput(x.to_string());
            ds.transaction(|tx| {
                if op == "h5ad_to_loom" {
                    import_h5ad(tx, &H5adImport::new(&input)).map_err(failed)?;
                } else {
                    let opts = TenxImport {
                        path: input.clone(),
                        ..TenxImport::default()
                    };
                    import_10x(tx, &opts).map_err(failed)?;
                }
                Ok(())
            })
            .map_err(|x| e(&x))?;
            ds.close().map_err(|x| e(&x))?;
            None
        }
        other => return Err(format!("unknown op `{other}`")),
    };
    let wall = t0.elapsed();
    let c1 = sys::cpu_times()?;
    let (peak, anon, file) = (
        sys::status_kb("VmHWM")?,
        sys::status_kb("RssAnon")?,
        sys::status_kb("RssFile")?,
    );
    drop(keep);
    println!("OPDONE");
    std::io::stdout().flush().map_err(|x| e(&x))?;
    let (n, sum) = checksum(op, &out)?;
    println!(
        "BENCH wall_s={:?} user_s={:?} sys_s={:?} rss_before_kb={rss_before} peak_rss_kb={peak} \
         rss_anon_kb={anon} rss_file_kb={file} n={n} sum={sum:?}",
        wall.as_secs_f64(),
        (c1.user - c0.user).as_secs_f64(),
        (c1.sys - c0.sys).as_secs_f64(),
    );
    Ok(())
}

/// Nonzero count and float64 sum of the converted matrix.
fn checksum(op: &str, out: &Path) -> Result<(u64, f64), String> {
    let e = |e: &dyn std::fmt::Display| e.to_string();
    let (mut n, mut sum) = (0u64, 0f64);
    let mut add = |v: f64| {
        if v != 0.0 {
            n += 1;
            sum += v;
        }
    };
    if op == "loom_to_h5ad" {
        let f = hdf5_lite::read::File::open(out).map_err(|x| e(&x))?;
        f.dataset("/X/data")
            .and_then(|d| d.read::<f64>())
            .map_err(|x| e(&x))?
            .iter()
            .for_each(|&v| add(v));
    } else {
        let ds = loom_core::connect(out, Mode::Read).map_err(|x| e(&x))?;
        for w in ds
            .layers()
            .read_windows::<f64>("", Axis::Cols, DEFAULT_BUDGET)
            .map_err(|x| e(&x))?
        {
            w.map_err(|x| e(&x))?.1.iter().for_each(|&v| add(v));
        }
    }
    Ok((n, sum))
}

/// The measured runs of one (op, input, implementation).
struct Row {
    op: &'static str,
    input: &'static str,
    imp: &'static str,
    runs: Vec<Run>,
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    match v.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => v[n / 2],
        n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
    }
}

impl Row {
    fn med(&self, f: impl Fn(&Run) -> f64) -> f64 {
        median(self.runs.iter().map(f).collect())
    }
    fn cpu(&self) -> f64 {
        self.med(|r| r.sample.user + r.sample.sys)
    }
    fn anon_mb(&self) -> f64 {
        self.med(|r| r.sampled_anon_kb as f64 / 1024.0)
    }
}

/// Entry point of `cargo xtask bench-io`.
pub fn run(ws: &Workspace, args: &[String]) -> Result<(), String> {
    if args.first().map(String::as_str) == Some("--child") {
        return child(&args[1..]);
    }
    let opts = parse(args)?;
    let py = match &opts.python {
        Some(p) => PathBuf::from(p),
        None => util::ensure_python(&ws.root, None, false)?,
    };
    let bench = ws.root.join("target").join("bench");
    let data = opts
        .data
        .clone()
        .unwrap_or_else(|| bench.join("data").join("medium.loom"));
    if !data.is_file() {
        return Err(format!(
            "{} is missing: make it with `cargo xtask bench --size medium` or give --data",
            data.display()
        ));
    }
    let scratch = bench.join("io");
    std::fs::create_dir_all(&scratch).map_err(|e| format!("{}: {e}", scratch.display()))?;
    let result = measure_all(ws, &opts, &py, &data, &scratch);
    if !opts.keep {
        let _ = std::fs::remove_dir_all(&scratch);
    }
    let rows = result?;
    let text = render(&opts, &data, &rows);
    println!("{text}");
    let path = bench.join("report-io.md");
    std::fs::write(&path, &text).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    eprintln!("report written to {}", path.display());
    Ok(())
}

/// Makes the inputs, then runs every conversion.
fn measure_all(
    ws: &Workspace,
    opts: &Options,
    py: &Path,
    data: &Path,
    scratch: &Path,
) -> Result<Vec<Row>, String> {
    let exe = std::env::current_exe().map_err(|e| format!("cannot find this binary: {e}"))?;
    let script = ws.root.join("xtask").join("bench").join("anndata_op.py");
    let log = scratch.join("child-stderr.log");
    let e = |e: &dyn std::fmt::Display| e.to_string();
    // Inputs (made when an op needs them, kept for the next run with --keep): the h5ad
    // loom-rs exports and a Cell Ranger .h5 of the same matrix.
    let wants = |op: &str| opts.ops.iter().any(|o| o == op);
    let make = |loom: &Path, tag: &str| -> Result<(PathBuf, PathBuf), String> {
        let h5ad = scratch.join(format!("{tag}.h5ad"));
        let tenx = scratch.join(format!("{tag}_10x.h5"));
        if (wants("h5ad_to_loom") || wants("tenx_to_loom")) && !h5ad.is_file() {
            eprintln!("making {} ...", h5ad.display());
            let ds = loom_core::connect(loom, Mode::Read).map_err(|x| e(&x))?;
            export_h5ad(&ds, &H5adExport::new(&h5ad)).map_err(|x| e(&x))?;
        }
        if wants("tenx_to_loom") && !tenx.is_file() {
            eprintln!("making {} ...", tenx.display());
            util::run(
                Command::new(py)
                    .arg(&script)
                    .arg("make_10x")
                    .arg(&h5ad)
                    .arg(&tenx),
                "anndata_op.py make_10x failed; it needs h5py and numpy.",
            )?;
        }
        Ok((h5ad, tenx))
    };
    let mut inputs = vec![("1x", data.to_path_buf(), make(data, "input")?)];
    if opts.double {
        let double = scratch.join("double.loom");
        if !double.is_file() {
            eprintln!("making {} (twice the cells) ...", double.display());
            let opts = loom_core::ops::CombineFasterOptions::default();
            loom_core::ops::combine_faster(&[data, data], &double, &opts).map_err(|x| e(&x))?;
        }
        let made = make(&double, "double")?;
        inputs.push(("2x", double, made));
    }
    let mut rows = Vec::new();
    for op in OPS.iter().filter(|op| opts.ops.iter().any(|o| o == *op)) {
        for (input, loom, (h5ad, tenx)) in &inputs {
            let (src, ext) = match *op {
                "loom_to_h5ad" => (loom, "h5ad"),
                "h5ad_to_loom" => (h5ad, "loom"),
                _ => (tenx, "loom"),
            };
            let out = scratch.join(format!("out.{ext}"));
            let imps: &[&'static str] = if *input == "1x" {
                &["loom-rs", "python"]
            } else {
                &["loom-rs"]
            };
            for &imp in imps {
                let n = if imp == "python" {
                    opts.py_runs
                } else {
                    opts.runs
                };
                if n == 0 {
                    continue;
                }
                let mut row = Row {
                    op,
                    input,
                    imp,
                    runs: Vec::new(),
                };
                for k in 0..n {
                    let mut cmd = if imp == "python" {
                        let mut c = Command::new(py);
                        c.arg(&script);
                        c
                    } else {
                        let mut c = Command::new(&exe);
                        c.args(["bench-io", "--child"]);
                        c
                    };
                    cmd.arg(op).arg(src).arg(&out).current_dir(&ws.root);
                    let r = run_sampled(&mut cmd, opts.timeout, &log);
                    let _ = std::fs::remove_file(&out);
                    let r = r?;
                    eprintln!(
                        "{op:<13} {input} {imp:<8} run {k}  cpu {:>8.2} s  wall {:>8.2} s  \
                         peak anon {:>7.0} MB  n {}  sum {:?}",
                        r.sample.user + r.sample.sys,
                        r.sample.wall,
                        r.sampled_anon_kb as f64 / 1024.0,
                        r.sample.n,
                        r.sample.sum
                    );
                    row.runs.push(r);
                }
                rows.push(row);
            }
        }
    }
    Ok(rows)
}

/// The markdown report: the table of medians, then each target's verdict.
fn render(opts: &Options, data: &Path, rows: &[Row]) -> String {
    let mut t = String::new();
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    t.push_str(&format!(
        "# loom-io conversions vs the Python tools\n\n{} ; loom-rs runs {}, Python runs {}; \
         load after: {}\n\n",
        data.display(),
        opts.runs,
        opts.py_runs,
        load.trim()
    ));
    t.push_str(
        "| op | input | impl | runs | CPU s | wall s | peak anon MB | VmHWM MB | nnz | sum |\n\
         |---|---|---|---|---|---|---|---|---|---|\n",
    );
    for r in rows {
        let s = &r.runs[0].sample;
        t.push_str(&format!(
            "| {} | {} | {} | {} | {:.2} | {:.2} | {:.0} | {:.0} | {} | {:.1} |\n",
            r.op,
            r.input,
            r.imp,
            r.runs.len(),
            r.cpu(),
            r.med(|x| x.sample.wall),
            r.anon_mb(),
            r.med(|x| x.sample.peak_kb as f64 / 1024.0),
            s.n,
            s.sum
        ));
    }
    t.push_str("\n## Targets\n\n");
    let find = |op: &str, input: &str, imp: &str| {
        rows.iter()
            .find(|r| r.op == op && r.input == input && r.imp == imp)
    };
    for op in OPS {
        let (speed, memory) = if op == "tenx_to_loom" {
            (4.0, 5.0)
        } else {
            (5.0, 10.0)
        };
        if let (Some(ours), Some(py)) = (find(op, "1x", "loom-rs"), find(op, "1x", "python")) {
            let (cpu, mem) = (py.cpu() / ours.cpu(), py.anon_mb() / ours.anon_mb());
            let wall = py.med(|x| x.sample.wall) / ours.med(|x| x.sample.wall);
            let same = ours.runs[0].sample.n == py.runs[0].sample.n
                && (ours.runs[0].sample.sum - py.runs[0].sample.sum).abs()
                    <= 1e-6 * py.runs[0].sample.sum.abs().max(1.0);
            t.push_str(&format!(
                "- {op}: CPU {cpu:.1}x less (target {speed}x: {}), wall {wall:.1}x less, \
                 peak anon 1/{mem:.1} (target 1/{memory}: {}), same nnz and sum: {}\n",
                verdict(cpu >= speed),
                verdict(mem >= memory),
                if same { "yes" } else { "NO" }
            ));
        }
        if let (Some(one), Some(two)) = (find(op, "1x", "loom-rs"), find(op, "2x", "loom-rs")) {
            t.push_str(&format!(
                "- {op}, twice the cells: loom-rs peak anon {:.0} MB vs {:.0} MB ({:+.0}%), \
                 CPU {:.2} s vs {:.2} s\n",
                two.anon_mb(),
                one.anon_mb(),
                (two.anon_mb() / one.anon_mb() - 1.0) * 100.0,
                two.cpu(),
                one.cpu()
            ));
        }
    }
    t
}

fn verdict(ok: bool) -> &'static str {
    if ok {
        "met"
    } else {
        "MISSED"
    }
}
