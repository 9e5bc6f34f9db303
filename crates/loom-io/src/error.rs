//! loom-io's error type.

use std::path::PathBuf;

/// What can go wrong importing or exporting.
#[derive(Debug, thiserror::Error)]
pub enum IoError {
    /// Reading or writing a plain file failed.
    #[error("{path}: {source}")]
    File {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// An input file is not in the expected format.
    #[error("{path}:{line}: {reason}")]
    Format {
        /// The file.
        path: PathBuf,
        /// 1-based line number (0 when not line-based).
        line: u64,
        /// What is wrong.
        reason: String,
    },
    /// A file or folder the format needs is missing.
    #[error("{0}")]
    Missing(String),
    /// An option or input combination that cannot work.
    #[error("{0}")]
    Invalid(String),
    /// An SQLite database (a loompy sample database) that cannot be read.
    #[error("{path}: {source}")]
    Sqlite {
        /// The database file.
        path: PathBuf,
        /// What is wrong.
        source: crate::sqlite::SqliteError,
    },
    /// From the loom layer.
    #[error(transparent)]
    Loom(#[from] loom_core::LoomError),
    /// From the HDF5 layer.
    #[error(transparent)]
    Hdf5(#[from] loom_core::hdf5_lite::Error),
}

/// loom-io's result type.
pub type Result<T, E = IoError> = std::result::Result<T, E>;

impl IoError {
    pub(crate) fn file(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        IoError::File {
            path: path.into(),
            source,
        }
    }

    pub(crate) fn format(path: impl Into<PathBuf>, line: u64, reason: impl Into<String>) -> Self {
        IoError::Format {
            path: path.into(),
            line,
            reason: reason.into(),
        }
    }
}
