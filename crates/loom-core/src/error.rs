//! loom-core's error type: the errors loompy raises, with the same meaning.

use std::path::PathBuf;

/// Everything that can go wrong with a loom file.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoomError {
    /// The file does not exist (loompy: `OSError("File '…' not found")`).
    #[error("File '{}' not found", .0.display())]
    FileNotFound(PathBuf),

    /// A mode other than read-only or read-write was asked for.
    #[error("Mode must be either 'r' or 'r+'")]
    BadMode,

    /// The file fails validation; the messages are loompy's validator's.
    #[error("{}\n{} does not appear to be a valid Loom file according to Loom spec version '{version}'", .errors.join("\n"), .path.display())]
    Invalid {
        /// The file.
        path: PathBuf,
        /// The spec version it was checked against.
        version: String,
        /// The validator's messages.
        errors: Vec<String>,
    },

    /// A write on a connection opened read-only.
    #[error("cannot write to {}: the connection is read-only (open it with mode 'r+')", .0.display())]
    ReadOnly(PathBuf),

    /// A request that does not fit the file (shape, length, dtype, name), with loompy's
    /// message where loompy has one.
    #[error("{0}")]
    InvalidInput(String),

    /// No layer, attribute or graph of that name.
    #[error("no {kind} named {name:?}")]
    Missing {
        /// "layer", "row attribute", "column attribute", "global attribute", "graph".
        kind: &'static str,
        /// The name asked for.
        name: String,
    },

    /// An index or selection outside the matrix.
    #[error("{0}")]
    Selection(String),

    /// An edit inside a transaction failed (its error was not returned by the
    /// transaction's closure); nothing of the transaction was written.
    #[error("the transaction was rolled back because one of its edits failed: {0}")]
    TransactionFailed(String),

    /// The HDF5 layer failed.
    #[error(transparent)]
    Hdf5(#[from] hdf5_lite::Error),

    /// The operating system failed.
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

/// `Result` with [`LoomError`].
pub type Result<T, E = LoomError> = std::result::Result<T, E>;
