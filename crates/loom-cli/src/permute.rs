//! `loom permute`: reorder the rows or columns of a loom file by an attribute or at
//! random (seeded), in place or into a new file (written beside it, renamed when done).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use loom_core::{connect, Axis, LoomError, Mode};

use crate::output::{finish_op, AxisArg};
use crate::progress::Progress;

/// `loom permute IN [-o OUT] (--cols-by ATTR | --rows-by ATTR | --random SEED)`
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  loom permute cells.loom -o sorted.loom --cols-by ClusterID
  loom permute cells.loom --random 42 --axis cols")]
pub struct PermuteArgs {
    /// The loom file.
    pub input: PathBuf,
    /// Write the permuted file here instead of changing IN.
    #[arg(short, long)]
    pub output: Option<PathBuf>,
    /// Sort the columns by this column attribute (stable).
    #[arg(long, conflicts_with_all = ["rows_by", "random"])]
    pub cols_by: Option<String>,
    /// Sort the rows by this row attribute (stable).
    #[arg(long, conflicts_with = "random")]
    pub rows_by: Option<String>,
    /// Shuffle with this seed (the axis from --axis).
    #[arg(long)]
    pub random: Option<u64>,
    /// The axis for --random.
    #[arg(long, value_enum, default_value = "cols")]
    pub axis: AxisArg,
    /// No progress on stderr.
    #[arg(short, long)]
    pub quiet: bool,
}

/// Runs `loom permute`: exit 0 when done, 2 on an error (the file is then unchanged and
/// no output is left behind).
pub fn run(args: PermuteArgs) -> ExitCode {
    let progress = Progress::start(&format!("permuting {}", args.input.display()), args.quiet);
    let result = permute(&args);
    progress.finish();
    finish_op(result, &args.input)
}

fn permute(args: &PermuteArgs) -> Result<(), LoomError> {
    let (axis, by) = match (&args.cols_by, &args.rows_by, args.random) {
        (Some(a), None, None) => (Axis::Cols, Some(a)),
        (None, Some(a), None) => (Axis::Rows, Some(a)),
        (None, None, Some(_)) => (Axis::from(args.axis), None),
        _ => {
            return Err(LoomError::InvalidInput(
                "give one of --cols-by, --rows-by or --random".to_owned(),
            ))
        }
    };
    let target = match &args.output {
        Some(out) => {
            crate::output::check_replaceable(out)?;
            let tmp = crate::output::temp_beside(out);
            std::fs::copy(&args.input, &tmp)?;
            tmp
        }
        None => args.input.clone(),
    };
    let result = (|| {
        let mut ds = connect(&target, Mode::ReadWrite)?;
        let len = axis.of(ds.shape()) as usize;
        let ordering = match (by, args.random) {
            (Some(name), _) => loom_core::ops::argsort(&ds.axis_attrs(axis).get(name)?, name)?,
            (None, Some(seed)) => shuffled(len, seed),
            _ => (0..len).collect(),
        };
        ds.permute(&ordering, axis)?;
        ds.close()
    })();
    match (&args.output, result) {
        (Some(out), Ok(())) => Ok(std::fs::rename(&target, out)?),
        (Some(_), Err(e)) => {
            let _ = std::fs::remove_file(&target);
            Err(e)
        }
        (None, r) => r,
    }
}

/// A Fisher–Yates shuffle of 0..len driven by SplitMix64 from `seed`.
pub(crate) fn shuffled(len: usize, seed: u64) -> Vec<usize> {
    let mut state = seed;
    let mut next = || {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    };
    let mut v: Vec<usize> = (0..len).collect();
    for i in (1..len).rev() {
        let j = (next() % (i as u64 + 1)) as usize;
        v.swap(i, j);
    }
    v
}
