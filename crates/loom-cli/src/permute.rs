//! `loom permute`: reorder the rows or columns of a loom file by an attribute or at
//! random (seeded), in place or into a new file (written beside it, renamed when done).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use loom_core::{connect, Axis, LoomConnection, LoomError, Mode};

use crate::open::open;
use crate::output::{
    check_not_input, check_replaceable, finish_unit, temp_beside, About, AxisArg, Failure,
};
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
    #[arg(long, value_name = "SEED")]
    pub random: Option<u64>,
    /// The axis for --random (default: cols).
    #[arg(long, value_enum, requires = "random", conflicts_with_all = ["cols_by", "rows_by"])]
    pub axis: Option<AxisArg>,
    /// No progress on stderr.
    #[arg(short, long)]
    pub quiet: bool,
}

/// Runs `loom permute`: exit 0 when done, 2 on an error (the file is then unchanged and
/// no output is left behind).
pub fn run(args: PermuteArgs) -> ExitCode {
    let progress = Progress::start(&format!("permuting {}", args.input.display()), args.quiet);
    let result = permute(&args, &progress.observer());
    progress.finish();
    finish_unit(result)
}

fn permute(args: &PermuteArgs, observer: &loom_core::Progress) -> Result<(), Failure> {
    let input = args.input.as_path();
    let (axis, by) = match (&args.cols_by, &args.rows_by, args.random) {
        (Some(a), None, None) => (Axis::Cols, Some(a)),
        (None, Some(a), None) => (Axis::Rows, Some(a)),
        (None, None, Some(_)) => (Axis::from(args.axis.unwrap_or(AxisArg::Cols)), None),
        _ => {
            return Err(Failure::Error(
                "give one of --cols-by, --rows-by or --random".to_owned(),
            ))
        }
    };
    let Some(out) = &args.output else {
        let ds = open(input, Mode::ReadWrite)?;
        let ordering = ordering(&ds, axis, by, args.random).about(input)?;
        return apply(ds, &ordering, axis, observer).about(input);
    };
    check_replaceable(out)?;
    check_not_input(out, &[input]).map_err(|f| match f {
        Failure::Error(m) => Failure::Error(format!("{m}, or leave out -o to permute in place")),
        f => f,
    })?;
    let ordering = {
        let ds = open(input, Mode::Read)?;
        ordering(&ds, axis, by, args.random).about(input)?
    };
    let tmp = temp_beside(out);
    let _guard = crate::interrupt::remove_on_interrupt(&tmp);
    let result = std::fs::copy(input, &tmp)
        .map_err(LoomError::from)
        .and_then(|_| apply(connect(&tmp, Mode::ReadWrite)?, &ordering, axis, observer))
        .and_then(|()| Ok(std::fs::rename(&tmp, out)?));
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.about(out)
}

/// The new order of `axis`: sorted by attribute `by`, or shuffled with `seed`.
fn ordering(
    ds: &LoomConnection,
    axis: Axis,
    by: Option<&String>,
    seed: Option<u64>,
) -> Result<Vec<usize>, LoomError> {
    let len = axis.of(ds.shape()) as usize;
    Ok(match (by, seed) {
        (Some(name), _) => loom_core::ops::argsort(&ds.axis_attrs(axis).get(name)?, name)?,
        (None, Some(seed)) => shuffled(len, seed),
        _ => (0..len).collect(),
    })
}

/// Permutes `ds` (telling `observer` how far it got) and closes it.
fn apply(
    mut ds: LoomConnection,
    ordering: &[usize],
    axis: Axis,
    observer: &loom_core::Progress,
) -> Result<(), LoomError> {
    ds.set_progress(observer.clone());
    ds.permute(ordering, axis)?;
    ds.close()
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
