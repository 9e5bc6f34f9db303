//! The library behind the `loom` command, so the test suites can call each subcommand's
//! logic directly.

pub mod export;
pub mod h5;
pub mod import;
pub mod info;
pub mod progress;
pub mod validate;
