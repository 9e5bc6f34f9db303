//! The `loom` command: parses the command line and runs one command (each lives in its
//! own module of the library).

use std::io::Write;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use loom_cli::output::{finish, Outcome};
use loom_cli::{export, h5, import, info, validate};

#[derive(Parser)]
#[command(
    name = "loom",
    version,
    about = "Inspect, dump and compare .loom and HDF5 files"
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
    /// Commands for any HDF5 file.
    #[command(subcommand)]
    H5(h5::Command),
    /// A loom file at a glance: shape, layers, attributes, graphs, global attributes and
    /// the corner of the matrix.
    Info(info::Args),
    /// Check a loom file as loompy's LoomValidator does: exit 0 when valid, 1 when
    /// invalid, 2 when it cannot be read.
    Validate(validate::Args),
    /// Write a compact copy of a file (only live objects, same values), as h5repack does.
    Repack(RepackArgs),
}

#[derive(clap::Args)]
struct RepackArgs {
    /// The file to copy.
    input: std::path::PathBuf,
    /// The compact copy to write (replaced if it exists).
    output: std::path::PathBuf,
    /// Gzip level 0-9 for every chunked dataset.
    #[arg(long, value_name = "N")]
    gzip: Option<u32>,
    /// Chunk shape for the chunked datasets of that rank, such as 64,64.
    #[arg(long, value_name = "R,C")]
    chunks: Option<loom_cli::repack::ChunkShape>,
    /// Print nothing on success.
    #[arg(long, short)]
    quiet: bool,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let outcome: Outcome = match cli.command {
        // These two write their own output (files, or stdout for `-`).
        Command::Import(cmd) => return import::run(cmd),
        Command::Export(args) => return export::run(args),
        Command::H5(cmd) => h5::run(&cmd, &mut out),
        Command::Info(args) => info::run(&args, &mut out),
        Command::Validate(args) => validate::run(&args, &mut out),
        Command::Repack(a) => loom_cli::repack::repack(&a.input, &a.output, a.gzip, a.chunks)
            .map(|report| {
                if !a.quiet {
                    loom_cli::output::warn(format_args!("repack: {report}"));
                }
                ExitCode::SUCCESS
            })
            .map_err(|e| loom_cli::output::Failure::about(a.input.display(), e)),
    };
    let flushed = out.flush().map_err(Into::into);
    finish(outcome.and_then(|code| flushed.map(|()| code)))
}
