//! The `loom` command.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use loom_cli::{h5, validate};

#[derive(Parser)]
#[command(
    name = "loom",
    version,
    about = "Inspect, dump, compare and convert .loom and HDF5 files"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Convert 10x, MatrixMarket, TSV, STARsolo or h5ad data into a new loom file.
    #[command(subcommand)]
    Import(loom_cli::import::ImportCommand),
    /// Convert a loom file to h5ad, a 10x-style MatrixMarket folder or tab-separated text.
    Export(loom_cli::export::ExportArgs),
    /// Commands for any HDF5 file.
    #[command(subcommand)]
    H5(H5Command),
    /// A loom file at a glance: shape, layers, attributes, graphs, global attributes and
    /// the corner of the matrix.
    Info {
        /// The loom file.
        file: PathBuf,
        /// Print one JSON object instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Check a loom file as loompy's LoomValidator does: exit 0 when valid, 1 when
    /// invalid, 2 when it cannot be read.
    Validate {
        /// The file.
        file: PathBuf,
        /// What to check: the format only, or also the Linnarsson lab's conventions.
        #[arg(long, value_enum, default_value = "speconly")]
        strictness: StrictnessArg,
        /// Also print the summary of the file's structure.
        #[arg(long, short)]
        verbose: bool,
    },
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum StrictnessArg {
    Speconly,
    Conventions,
}

#[derive(Subcommand)]
enum H5Command {
    /// List the tree with shapes, types, chunking and filters.
    Ls {
        /// The file.
        file: PathBuf,
    },
    /// Print the whole file as one JSON document (JSON is the only format).
    Dump {
        /// The file.
        file: PathBuf,
        /// Print JSON (the default and only format; accepted for clarity in scripts).
        #[arg(long)]
        json: bool,
        /// Describe datasets of more than N elements without reading their data.
        #[arg(long, value_name = "N")]
        max_elements: Option<u64>,
    },
    /// Compare two files value by value: exit 0 when equal, 1 when they differ.
    Diff {
        /// The first file.
        a: PathBuf,
        /// The second file.
        b: PathBuf,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Import(cmd) => loom_cli::import::run(cmd),
        Command::Export(args) => loom_cli::export::run(args),
        Command::H5(cmd) => run_h5(cmd),
        Command::Info { file, json } => match loom_cli::info::info(&file) {
            Ok(info) if json => {
                println!("{}", info.json);
                ExitCode::SUCCESS
            }
            Ok(info) => {
                print!("{}", info.text);
                ExitCode::SUCCESS
            }
            Err(e) => fail(format_args!("{}: {e}", file.display())),
        },
        Command::Validate {
            file,
            strictness,
            verbose,
        } => {
            let strictness = match strictness {
                StrictnessArg::Speconly => loom_core::Strictness::SpecOnly,
                StrictnessArg::Conventions => loom_core::Strictness::Conventions,
            };
            match validate::validate(&file, strictness, verbose) {
                Ok(report) => {
                    print!("{}", report.text);
                    if report.valid {
                        ExitCode::SUCCESS
                    } else {
                        ExitCode::from(1)
                    }
                }
                Err(e) => fail(format_args!("{}: {e}", file.display())),
            }
        }
    }
}

fn fail(err: impl std::fmt::Display) -> ExitCode {
    eprintln!("loom: {err}");
    ExitCode::from(2)
}

fn run_h5(cmd: H5Command) -> ExitCode {
    match cmd {
        H5Command::Ls { file } => match h5::ls::list(&file) {
            Ok((text, failed)) => {
                print!("{text}");
                if failed {
                    ExitCode::from(2)
                } else {
                    ExitCode::SUCCESS
                }
            }
            Err(e) => fail(format_args!("{}: {e}", file.display())),
        },
        H5Command::Dump {
            file,
            json: _,
            max_elements,
        } => match h5::dump::dump_file(&file, h5::dump::Options { max_elements }) {
            Ok(dump) => {
                println!("{}", dump.json);
                for e in &dump.errors {
                    eprintln!("loom: {e}");
                }
                if dump.errors.is_empty() {
                    ExitCode::SUCCESS
                } else {
                    ExitCode::from(2)
                }
            }
            Err(e) => fail(format_args!("{}: {e}", file.display())),
        },
        H5Command::Diff { a, b } => match h5::diff::diff(&a, &b) {
            Ok(d) if d.is_empty() => ExitCode::SUCCESS,
            Ok(d) => {
                for line in d {
                    println!("{line}");
                }
                ExitCode::from(1)
            }
            Err(e) => fail(e),
        },
    }
}
