//! `loom aggregate`: group the columns by a label and reduce each row per group (loompy's
//! `aggregate`), writing a new loom file.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use loom_core::ops::{AggregateOptions, CaAggregation, GroupBy};
use loom_core::Mode;

use crate::open::open;
use crate::output::{
    check_not_input, check_replaceable, check_writable, finish_unit, temp_beside, About, Failure,
};
use crate::progress::Progress;

/// `loom aggregate IN -o OUT [--group-by ATTR] [--aggr-by FUNC] [--ca ATTR=FUNC]…`
#[derive(Debug, Args)]
#[command(
    after_help = "FUNC: sum, mean, median, max, min, first, last, prod, var, std, len,
nunique, any, all, sumofsquares, nnz, mode, and nan… variants (nanmean, …).
Column attribute functions: mean, first, tally, mode.

Example:
  loom aggregate cells.loom -o clusters.loom --group-by Clusters --aggr-by mean \\
      --ca Age=mean --ca Tissue=tally --if-equal"
)]
pub struct AggregateArgs {
    /// The loom file.
    pub input: PathBuf,
    /// The output loom file (overwritten).
    #[arg(short, long)]
    pub output: PathBuf,
    /// Integer column attribute giving each column's group.
    #[arg(long, default_value = "Clusters")]
    pub group_by: String,
    /// Reduction of each row within a group.
    #[arg(long, default_value = "mean")]
    pub aggr_by: String,
    /// Layer to aggregate (default: the main one).
    #[arg(long, default_value = "")]
    pub layer: String,
    /// Aggregate a column attribute: NAME=mean|first|tally|mode (repeatable).
    #[arg(long = "ca", value_name = "NAME=FUNC")]
    pub ca: Vec<String>,
    /// Keep column attributes that are constant within every group.
    #[arg(long)]
    pub if_equal: bool,
    /// No progress on stderr.
    #[arg(short, long)]
    pub quiet: bool,
}

/// Runs `loom aggregate`: exit 0 when written, 2 on an error.
pub fn run(args: AggregateArgs) -> ExitCode {
    let progress = Progress::start(&format!("aggregating {}", args.input.display()), args.quiet);
    let result = aggregate(&args, &progress.observer());
    progress.finish();
    finish_unit(result)
}

fn aggregate(args: &AggregateArgs, observer: &loom_core::Progress) -> Result<(), Failure> {
    let input = args.input.as_path();
    let mut aggr_ca_by = Vec::new();
    for spec in &args.ca {
        let (name, func) = spec
            .split_once('=')
            .ok_or_else(|| Failure::Error(format!("--ca {spec}: expected NAME=FUNC")))?;
        let func = func
            .parse::<CaAggregation>()
            .map_err(|e| Failure::about(format!("--ca {spec}"), e))?;
        aggr_ca_by.push((name.to_owned(), func));
    }
    let aggr_by = args
        .aggr_by
        .parse()
        .map_err(|e| Failure::about(format!("--aggr-by {}", args.aggr_by), e))?;
    let opts = AggregateOptions {
        group_by: GroupBy::Attr(args.group_by.clone()),
        aggr_by,
        aggr_ca_by,
        layer: args.layer.clone(),
        aggr_ca_if_equal: args.if_equal,
    };
    check_replaceable(&args.output)?;
    check_not_input(&args.output, &[input])?;
    check_writable(&args.output)?;
    let mut ds = open(input, Mode::Read)?;
    ds.set_progress(observer.clone());
    // loompy skips a --ca attribute the file does not have; on the command line that is a
    // typo, so it is an error.
    for (name, _) in &opts.aggr_ca_by {
        ds.ca().get(name).about(input)?;
    }
    let tmp = temp_beside(&args.output);
    let _guard = crate::interrupt::remove_on_interrupt(&tmp);
    let result = ds
        .aggregate(Some(&tmp), &opts)
        .about(input)
        .and_then(|_| std::fs::rename(&tmp, &args.output).about(&args.output));
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}
