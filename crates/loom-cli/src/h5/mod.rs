//! `loom h5 …`: inspect, dump and compare any HDF5 file.

pub mod diff;
pub mod dump;
pub mod json;
pub mod ls;

use crate::output::Outcome;

/// The `loom h5` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// List the tree with shapes, types, chunking and filters.
    Ls(ls::Args),
    /// Print the whole file as one JSON document (JSON is the only format).
    Dump(dump::Args),
    /// Compare two files value by value: exit 0 when equal, 1 when they differ.
    Diff(diff::Args),
}

/// Runs one `loom h5` subcommand, writing to `out`.
pub fn run(cmd: &Command, out: &mut dyn std::io::Write) -> Outcome {
    match cmd {
        Command::Ls(args) => ls::run(args, out),
        Command::Dump(args) => dump::run(args, out),
        Command::Diff(args) => diff::run(args, out),
    }
}
