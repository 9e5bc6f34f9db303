//! `loom aggregate`: group the columns by a label and reduce each row per group (loompy's
//! `aggregate`), writing a new loom file.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use loom_core::ops::{AggregateOptions, CaAggregation, GroupBy};
use loom_core::{connect, LoomError, Mode};

use crate::output::finish_op;
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
    let result = aggregate(&args);
    progress.finish();
    finish_op(result, &args.input)
}

fn aggregate(args: &AggregateArgs) -> Result<(), LoomError> {
    let mut aggr_ca_by = Vec::new();
    for spec in &args.ca {
        let (name, func) = spec
            .split_once('=')
            .ok_or_else(|| LoomError::InvalidInput(format!("--ca {spec}: expected NAME=FUNC")))?;
        aggr_ca_by.push((name.to_owned(), func.parse::<CaAggregation>()?));
    }
    let opts = AggregateOptions {
        group_by: GroupBy::Attr(args.group_by.clone()),
        aggr_by: args.aggr_by.parse()?,
        aggr_ca_by,
        layer: args.layer.clone(),
        aggr_ca_if_equal: args.if_equal,
    };
    crate::output::check_replaceable(&args.output)?;
    let ds = connect(&args.input, Mode::Read)?;
    let tmp = crate::output::temp_beside(&args.output);
    let result = ds.aggregate(Some(&tmp), &opts);
    match result {
        Ok(_) => Ok(std::fs::rename(&tmp, &args.output)?),
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            Err(e)
        }
    }
}
