//! The `loom` command: parses the command line and runs one command (each lives in its
//! own module of the library).

use std::io::Write;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use loom_cli::output::{finish, Outcome};
use loom_cli::{h5, info, validate};

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
    /// Commands for any HDF5 file.
    #[command(subcommand)]
    H5(h5::Command),
    /// A loom file at a glance: shape, layers, attributes, graphs, global attributes and
    /// the corner of the matrix.
    Info(info::Args),
    /// Check a loom file as loompy's LoomValidator does: exit 0 when valid, 1 when
    /// invalid, 2 when it cannot be read.
    Validate(validate::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let outcome: Outcome = match &cli.command {
        Command::H5(cmd) => h5::run(cmd, &mut out),
        Command::Info(args) => info::run(args, &mut out),
        Command::Validate(args) => validate::run(args, &mut out),
    };
    let flushed = out.flush().map_err(Into::into);
    finish(outcome.and_then(|code| flushed.map(|()| code)))
}
