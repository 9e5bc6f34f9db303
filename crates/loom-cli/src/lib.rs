//! The library behind the `loom` command, one module per command, so the test suites can
//! call each subcommand's logic directly.

pub mod export;
pub mod h5;
pub mod import;
pub mod info;
pub mod output;
pub mod progress;
pub mod repack;
pub mod validate;
