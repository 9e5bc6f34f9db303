//! `loom combine`: one loom file with the columns of several (loompy's `combine`, or
//! `combine_faster` with `--faster`). The output appears only when complete.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Args;
use loom_core::ops::{combine, combine_faster, CombineFasterOptions, CombineOptions};
use loom_core::Mode;

use crate::open::open;
use crate::output::{
    check_not_input, check_replaceable, check_writable, finish_unit, temp_beside, About, Failure,
};
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
    #[arg(long = "skip-attr", value_name = "NAME", requires = "faster")]
    pub skip_attrs: Vec<String>,
    /// Columns copied at a time (not with --faster).
    #[arg(long, default_value_t = 1000, conflicts_with = "faster")]
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
    let result = combine_files(&args, &progress.observer());
    progress.finish();
    finish_unit(result)
}

fn combine_files(args: &CombineArgs, observer: &loom_core::Progress) -> Result<(), Failure> {
    let out = args.output.as_path();
    if args.batch == 0 && !args.faster {
        return Err(Failure::Error("--batch must be at least 1".to_owned()));
    }
    check_replaceable(out)?;
    let inputs: Vec<&Path> = args.inputs.iter().map(PathBuf::as_path).collect();
    check_not_input(out, &inputs)?;
    check_writable(out)?;
    // Each input opened once here so that an unreadable one, or one without the key, is
    // named (the operation's own errors cannot tell which file they are about).
    for input in &inputs {
        let ds = open(input, Mode::Read)?;
        if let Some(key) = &args.key {
            ds.ra().get(key).about(input)?;
        }
    }
    // loom-core writes the combined file under this name beside the output.
    let _guard = crate::interrupt::remove_on_interrupt(&temp_beside(out));
    let result = if args.faster {
        let opts = CombineFasterOptions {
            key: args.key.clone(),
            skip_attrs: args.skip_attrs.clone(),
            progress: observer.clone(),
            ..CombineFasterOptions::default()
        };
        combine_faster(&args.inputs, out, &opts).map(|_| ())
    } else {
        let opts = CombineOptions {
            key: args.key.clone(),
            batch_size: args.batch,
            progress: observer.clone(),
            ..CombineOptions::default()
        };
        combine(&args.inputs, out, &opts)
    };
    // The operation's messages name the input they are about.
    result.map_err(|e| Failure::about(format!("combining into {}", out.display()), e))
}
