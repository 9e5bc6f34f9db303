//! `loom stats`: sum, mean, standard deviation and non-zero count of every row or
//! column of a layer, as tab-separated text, computed with loom-core's `map` (one pass,
//! memory bounded by the window).

use std::cell::Cell;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use loom_core::ndarray::ArrayView1;
use loom_core::{Axis, LoomConnection, Mode, Numeric};

use crate::open::{labels, open};
use crate::output::{check_not_input, finish_unit, write_text, writing, About, AxisArg, Failure};
use crate::progress::Progress;

/// `loom stats IN [--axis rows|cols] [--layer L] [-o OUT]`
#[derive(Debug, Args)]
#[command(
    after_help = "Output columns: index, name (with --name), sum, mean, sd, nnz. sd is the
population standard deviation (numpy's std, ddof=0).

Examples:
  loom stats cells.loom --axis cols --name CellID > qc.tsv
  loom stats cells.loom --layer spliced | head"
)]
pub struct StatsArgs {
    /// The loom file.
    pub input: PathBuf,
    /// Statistics per row or per column.
    #[arg(long, value_enum, default_value = "rows")]
    pub axis: AxisArg,
    /// The layer (default: the main one).
    #[arg(long, default_value = "")]
    pub layer: String,
    /// An attribute of the axis to print next to each index.
    #[arg(long)]
    pub name: Option<String>,
    /// Rows or columns read at a time.
    #[arg(long, default_value_t = 512)]
    pub batch: usize,
    /// Output file (`-`: stdout).
    #[arg(short, long, default_value = "-")]
    pub output: PathBuf,
    /// No progress on stderr.
    #[arg(short, long)]
    pub quiet: bool,
}

/// Runs `loom stats`: exit 0 when written, 2 on an error; a closed stdout pipe ends
/// quietly.
pub fn run(args: StatsArgs) -> ExitCode {
    let progress = Progress::start_writing(
        &format!("stats of {}", args.input.display()),
        args.quiet,
        &args.output,
    );
    let result = stats(&args, &progress.observer());
    progress.finish();
    finish_unit(result)
}

fn stats(args: &StatsArgs, progress: &loom_core::Progress) -> Result<(), Failure> {
    let input = args.input.as_path();
    check_not_input(&args.output, &[input])?;
    let ds = open(input, Mode::Read)?;
    let axis = Axis::from(args.axis);
    let names = match &args.name {
        Some(n) => Some(labels(&ds, input, axis, &format!("--name {n}"), n)?),
        None => None,
    };
    // A float32 layer is handed to the functions as stored (no float64 copy of each
    // window); other types as float64, which holds every value of the smaller ones.
    let res = match ds.layers().dtype(&args.layer).about(input)? {
        "float32" => columns::<f32>(&ds, &args.layer, axis, args.batch, progress),
        _ => columns::<f64>(&ds, &args.layer, axis, args.batch, progress),
    }
    .about(input)?;
    let [sums, sds, nnzs] = &res[..] else {
        return Err(Failure::about(input.display(), "map gave no results"));
    };
    let n = axis.other().of(ds.shape()) as f64;
    let names = names.as_deref();
    write_text(&args.output, |out| {
        write_table(out, names, sums, sds, nnzs, n)
    })
    .map_err(|e| writing(&args.output, e))
}

/// Sum, standard deviation and non-zero count of every row or column (`axis`) of
/// `layer`, its values read as `T`; `progress` counts the rows or columns done.
fn columns<T: Numeric + Into<f64>>(
    ds: &LoomConnection,
    layer: &str,
    axis: Axis,
    batch: usize,
    progress: &loom_core::Progress,
) -> loom_core::Result<Vec<Vec<f64>>> {
    let total = axis.of(ds.shape());
    let done = Cell::new(0);
    let sum = |v: ArrayView1<T>| {
        done.set(done.get() + 1);
        progress.report(done.get(), total);
        sum_by(&v, |x| x.into())
    };
    // Two passes over the row or column (it is in cache): the mean of squares minus the
    // squared mean loses every digit when the values are large and close together.
    let sd = |v: ArrayView1<T>| {
        let n = v.len() as f64;
        let mean = sum_by(&v, |x| x.into()) / n;
        (sum_by(&v, |x| (x.into() - mean) * (x.into() - mean)) / n).sqrt()
    };
    let nnz = |v: ArrayView1<T>| v.iter().filter(|&&x| x.into() != 0.0).count() as f64;
    ds.map_layer_as::<T>(&[&sum, &sd, &nnz], layer, axis, batch, None)
}

/// The sum of `f` over `v`, in eight running sums on a contiguous row or column, so
/// that each addition does not wait for the one before it.
fn sum_by<T: Copy>(v: &ArrayView1<T>, f: impl Fn(T) -> f64) -> f64 {
    let Some(values) = v.as_slice() else {
        return v.iter().map(|&x| f(x)).sum();
    };
    let mut acc = [0.0f64; 8];
    let mut chunks = values.chunks_exact(8);
    for c in &mut chunks {
        for (a, &x) in acc.iter_mut().zip(c) {
            *a += f(x);
        }
    }
    for (a, &x) in acc.iter_mut().zip(chunks.remainder()) {
        *a += f(x);
    }
    acc.iter().sum()
}

/// Writes the table to `out`.
fn write_table(
    out: &mut dyn Write,
    names: Option<&[String]>,
    sums: &[f64],
    sds: &[f64],
    nnzs: &[f64],
    n: f64,
) -> std::io::Result<()> {
    let head = if names.is_some() {
        "index\tname\t"
    } else {
        "index\t"
    };
    writeln!(out, "{head}sum\tmean\tsd\tnnz")?;
    for (i, ((s, sd), nz)) in sums.iter().zip(sds).zip(nnzs).enumerate() {
        let mean = if n > 0.0 { s / n } else { f64::NAN };
        match names {
            Some(v) => write!(out, "{i}\t{}\t", v.get(i).map(String::as_str).unwrap_or(""))?,
            None => write!(out, "{i}\t")?,
        }
        writeln!(out, "{s}\t{mean}\t{sd}\t{nz}")?;
    }
    Ok(())
}
