//! `loom combine`: one loom file with the columns of several (loompy's `combine`, or
//! `combine_faster` with `--faster`). The output appears only when complete.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use loom_core::ops::{combine, combine_faster, CombineFasterOptions, CombineOptions};
use loom_core::LoomError;

use crate::output::{check_replaceable, finish_op};
use crate::progress::Progress;

/// `loom combine IN… -o OUT [--key ATTR] [--faster]`
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  loom combine a.loom b.loom c.loom -o all.loom --key Accession
  loom combine a.loom b.loom -o all.loom --faster --skip-attr Depth")]
pub struct CombineArgs {
    /// The input loom files, in order.
    #[arg(required = true)]
    pub inputs: Vec<PathBuf>,
    /// The output loom file.
    #[arg(short, long)]
    pub output: PathBuf,
    /// Row attribute aligning the rows of every file (with --faster: rows sorted by it).
    #[arg(long)]
    pub key: Option<String>,
    /// loompy's combine_faster: the union of layers and column attributes, rows of
    /// every file identical.
    #[arg(long)]
    pub faster: bool,
    /// With --faster: column attributes to leave out (repeatable).
    #[arg(long = "skip-attr", value_name = "NAME")]
    pub skip_attrs: Vec<String>,
    /// Columns copied at a time (not with --faster).
    #[arg(long, default_value_t = 1000)]
    pub batch: usize,
    /// No progress on stderr.
    #[arg(short, long)]
    pub quiet: bool,
}

/// Runs `loom combine`: exit 0 when written, 2 on an error (no output is left).
pub fn run(args: CombineArgs) -> ExitCode {
    let progress = Progress::start(
        &format!("combining into {}", args.output.display()),
        args.quiet,
    );
    let result: Result<(), LoomError> = if let Err(e) = check_replaceable(&args.output) {
        Err(e.into())
    } else if args.faster {
        let opts = CombineFasterOptions {
            key: args.key.clone(),
            skip_attrs: args.skip_attrs.clone(),
            ..CombineFasterOptions::default()
        };
        combine_faster(&args.inputs, &args.output, &opts).map(|_| ())
    } else {
        let opts = CombineOptions {
            key: args.key.clone(),
            batch_size: args.batch,
            ..CombineOptions::default()
        };
        combine(&args.inputs, &args.output, &opts)
    };
    progress.finish();
    finish_op(result, &args.output)
}
