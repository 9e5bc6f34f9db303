//! The `loom` command: parses the command line and runs one command (each lives in its
//! own module of the library).

use std::io::Write;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use loom_cli::output::{finish, Outcome};
use loom_cli::{
    aggregate, combine, export, h5, import, info, permute, repack, stats, subset, validate,
};

#[derive(Parser)]
#[command(
    name = "loom",
    version,
    about = "Inspect, check, convert and operate on .loom files, and inspect any HDF5 file"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Convert 10x, MatrixMarket, TSV, STARsolo or h5ad data into a new loom file.
    #[command(subcommand)]
    Import(import::ImportCommand),
    /// Convert a loom file to h5ad, a 10x-style MatrixMarket folder or tab-separated text.
    Export(export::ExportArgs),
    /// Append the columns of several loom files into one.
    Combine(combine::CombineArgs),
    /// Reorder rows or columns by an attribute or at random.
    Permute(permute::PermuteArgs),
    /// Sum, mean, standard deviation and non-zero count per row or column, as TSV.
    Stats(stats::StatsArgs),
    /// Group columns by a label and reduce each row per group into a new loom file.
    Aggregate(aggregate::AggregateArgs),
    /// A new loom file with some rows and columns of another.
    Subset(subset::SubsetArgs),
    /// Commands for any HDF5 file.
    #[command(subcommand)]
    H5(h5::Command),
    /// A loom file at a glance: shape, layers, attributes, graphs, global attributes and
    /// the corner of the matrix.
    Info(info::Args),
    /// Write a compact copy of a file (only live objects, same values), as h5repack does.
    Repack(repack::Args),
    /// Check a loom file as loompy's LoomValidator does: exit 0 when valid, 1 when
    /// invalid, 2 when it cannot be read.
    Validate(validate::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let outcome: Outcome = match cli.command {
        // These write their own output (files, or stdout for `-`) and exit status.
        Command::Import(cmd) => return import::run(cmd),
        Command::Export(args) => return export::run(args),
        Command::Combine(args) => return combine::run(args),
        Command::Permute(args) => return permute::run(args),
        Command::Stats(args) => return stats::run(args),
        Command::Aggregate(args) => return aggregate::run(args),
        Command::Subset(args) => return subset::run(args),
        Command::H5(cmd) => h5::run(&cmd, &mut out),
        Command::Info(args) => info::run(&args, &mut out),
        Command::Repack(args) => repack::run(&args),
        Command::Validate(args) => validate::run(&args, &mut out),
    };
    let flushed = out.flush().map_err(Into::into);
    finish(outcome.and_then(|code| flushed.map(|()| code)))
}
