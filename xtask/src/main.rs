//! Developer tasks for loom-rs, run as `cargo xtask <command> [args]`
//! (the alias lives in `.cargo/config.toml`).
//!
//! Commands are listed in [`COMMANDS`]; adding one means adding a row there and a
//! module with a `run(&Workspace, &[String]) -> Result<(), String>` function.

mod bench;
mod crosscheck;
mod crosscheck_io;
mod crosscheck_ops;
mod crosscheck_sqlite;
mod fixtures;
mod interop;
mod seeded;
mod sizes;
mod util;

use std::path::PathBuf;
use std::process::ExitCode;

/// Paths every command needs.
#[derive(Debug)]
pub struct Workspace {
    /// The workspace root (the directory holding the top-level `Cargo.toml`).
    pub root: PathBuf,
}

/// A subcommand: name, one-line summary, usage text and entry point.
struct Command {
    name: &'static str,
    summary: &'static str,
    usage: &'static str,
    run: fn(&Workspace, &[String]) -> Result<(), String>,
}

/// Every `cargo xtask` subcommand.
const COMMANDS: &[Command] = &[
    Command {
        name: "fixtures",
        summary: "regenerate fixtures/ (HDF5/.loom files + expected JSON) with h5py/loompy",
        usage: fixtures::USAGE,
        run: fixtures::run,
    },
    Command {
        name: "crosscheck",
        summary: "compare `loom h5 dump --json` with h5py on random (or given) files",
        usage: crosscheck::USAGE,
        run: crosscheck::run,
    },
    Command {
        name: "crosscheck-io",
        summary: "loom-io's converters against anndata/scanpy/loompy on seeded random inputs",
        usage: crosscheck_io::USAGE,
        run: crosscheck_io::run,
    },
    Command {
        name: "crosscheck-ops",
        summary: "loom-core's operations against loompy on seeded random inputs",
        usage: crosscheck_ops::USAGE,
        run: crosscheck_ops::run,
    },
    Command {
        name: "crosscheck-sqlite",
        summary:
            "loom-io's SQLite sample-database reader against loompy on seeded random databases",
        usage: crosscheck_sqlite::USAGE,
        run: crosscheck_sqlite::run,
    },
    Command {
        name: "bench",
        summary: "time loom-rs against loompy on a synthetic .loom (target/bench/report.md)",
        usage: bench::USAGE,
        run: bench::run,
    },
    Command {
        name: "bench-io",
        summary: "time loom-io's converters against anndata/scanpy/loompy (report-io.md)",
        usage: bench::convert::USAGE,
        run: bench::convert::run,
    },
    Command {
        name: "interop",
        summary: "check files written by hdf5-lite with h5py, h5dump and loompy",
        usage: interop::USAGE,
        run: interop::run,
    },
    Command {
        name: "sizes",
        summary: "file sizes: loom-core create vs loompy, edited vs repacked (random inputs)",
        usage: sizes::USAGE,
        run: sizes::run,
    },
];

fn print_help() {
    eprintln!("usage: cargo xtask <command> [args]\n\ncommands:");
    for c in COMMANDS {
        eprintln!("  {:<10} {}", c.name, c.summary);
    }
    eprintln!("\n`cargo xtask <command> --help` shows a command's options.");
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(name) = args.first() else {
        print_help();
        return ExitCode::from(2);
    };
    if matches!(name.as_str(), "help" | "-h" | "--help") {
        print_help();
        return ExitCode::SUCCESS;
    }
    let Some(cmd) = COMMANDS.iter().find(|c| c.name == name) else {
        eprintln!("error: unknown xtask command `{name}`\n");
        print_help();
        return ExitCode::from(2);
    };
    let rest = &args[1..];
    if rest.iter().any(|a| a == "-h" || a == "--help") {
        eprintln!("{}", cmd.usage);
        return ExitCode::SUCCESS;
    }
    let ws = Workspace {
        root: util::workspace_root(),
    };
    match (cmd.run)(&ws, rest) {
        Ok(()) => ExitCode::SUCCESS,
        Err(msg) => {
            eprintln!("error: xtask {}: {msg}", cmd.name);
            ExitCode::FAILURE
        }
    }
}
