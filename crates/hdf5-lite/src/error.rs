//! The one error type of hdf5-lite.

use std::fmt;

/// Everything that can go wrong reading or writing an HDF5 file.
///
/// Errors that come from the file's bytes carry the byte offset (from the start of the
/// file, userblock included) of the structure that was being decoded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The operating system refused a read or write.
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),

    /// No HDF5 signature at offset 0, 512, 1024, 2048, ….
    #[error("not an HDF5 file: no format signature at offset 0, 512, 1024, …")]
    NotHdf5,

    /// A structure points outside the file (a truncated file, or a corrupt address).
    #[error("read of {len} bytes at offset {offset} runs past the end of the file ({file_len} bytes): truncated or corrupt file")]
    OutOfBounds {
        /// Where the read starts.
        offset: u64,
        /// How many bytes were asked for.
        len: u64,
        /// The size of the storage.
        file_len: u64,
    },

    /// The file is shorter than the end-of-file address its superblock records.
    #[error("truncated file: the superblock says it ends at byte {eof}, but it has {len} bytes")]
    Truncated {
        /// Where the file should end.
        eof: u64,
        /// Its actual length.
        len: u64,
    },

    /// A structure's bytes do not follow the format specification.
    #[error("corrupt {structure} at offset {offset}: {reason}")]
    Corrupt {
        /// The on-disk structure being decoded, e.g. "v1 B-tree node".
        structure: &'static str,
        /// Its byte offset.
        offset: u64,
        /// What is wrong with it.
        reason: String,
    },

    /// A stored checksum (lookup3 on metadata, Fletcher-32 on chunks) does not match.
    #[error("checksum mismatch in {structure} at offset {offset}: stored {stored:#010x}, computed {computed:#010x}")]
    Checksum {
        /// The structure whose checksum failed.
        structure: &'static str,
        /// Its byte offset.
        offset: u64,
        /// The checksum in the file.
        stored: u32,
        /// The checksum of the bytes.
        computed: u32,
    },

    /// A linked structure (B-tree, heap, continuation chain) points back into itself.
    #[error("cycle in {structure}: offset {offset} is reached twice")]
    Cycle {
        /// The structure that loops.
        structure: &'static str,
        /// The address seen twice.
        offset: u64,
    },

    /// A valid HDF5 feature this crate does not implement.
    #[error("unsupported HDF5 feature: {feature}")]
    Unsupported {
        /// What it is, named as the specification names it.
        feature: String,
    },

    /// A filter in a dataset's pipeline that this crate cannot decode.
    #[error("unsupported filter {name:?} (id {id}) on {path}: only deflate (1), shuffle (2) and fletcher32 (3) are built in")]
    UnsupportedFilter {
        /// The registered filter id.
        id: u16,
        /// The filter's name as stored, or its registered name.
        name: String,
        /// The dataset using it.
        path: String,
    },

    /// A compressed chunk that does not inflate to its expected size.
    #[error("cannot decompress chunk at offset {offset}: {reason}")]
    Decompress {
        /// The chunk's byte offset.
        offset: u64,
        /// What the decoder said.
        reason: String,
    },

    /// No object at that path.
    #[error("no object named {path:?}")]
    NotFound {
        /// The path asked for.
        path: String,
    },

    /// The object at that path is of another kind.
    #[error("{path:?} is a {found}, not a {expected}")]
    WrongKind {
        /// The path asked for.
        path: String,
        /// What was wanted: "group", "dataset".
        expected: &'static str,
        /// What is there.
        found: &'static str,
    },

    /// A selection does not fit the dataset's shape.
    #[error("selection out of range: {0}")]
    Selection(String),

    /// A value cannot be converted to the requested type.
    #[error("cannot read {datatype} as {target}")]
    TypeMismatch {
        /// The stored datatype.
        datatype: String,
        /// The requested Rust type.
        target: &'static str,
    },

    /// A request that cannot be carried out as asked (a shape mismatch, a bad dataset
    /// specification, a write outside the dataset).
    #[error("invalid request: {0}")]
    InvalidInput(String),

    /// An object already exists where one was to be created.
    #[error("{path:?} already exists")]
    Exists {
        /// The path.
        path: String,
    },

    /// An earlier write of this transaction failed; the file still holds its last
    /// committed state, and this writer must be reopened.
    #[error("an earlier write failed ({0}); the file keeps its last committed state: reopen it to continue")]
    Aborted(String),

    /// Another connection (in this process or another) holds a lock on the file.
    #[error("{} is open elsewhere (another program or connection has it open); close it there first, or turn file locking off (HDF5_USE_FILE_LOCKING=FALSE, or the open options) if the file system's locks are broken", path.display())]
    Locked {
        /// The file.
        path: std::path::PathBuf,
    },

    /// The file changed on disk since this writer opened or last committed it: someone
    /// else wrote to it. Nothing was written.
    #[error("{} was changed by another writer since it was opened here; nothing was written: reopen it and redo the edit", path.display())]
    Conflict {
        /// The file.
        path: std::path::PathBuf,
    },

    /// A size computed from the file does not fit in memory or in `usize`.
    #[error("{what} is too large ({size} bytes)")]
    TooLarge {
        /// What was being sized.
        what: &'static str,
        /// The size asked for.
        size: u128,
    },
}

/// `Result` with hdf5-lite's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// A [`Error::Corrupt`] for `structure` at `offset`.
    pub(crate) fn corrupt(structure: &'static str, offset: u64, reason: impl fmt::Display) -> Self {
        Error::Corrupt {
            structure,
            offset,
            reason: reason.to_string(),
        }
    }

    /// An [`Error::Unsupported`] naming the feature.
    pub(crate) fn unsupported(feature: impl fmt::Display) -> Self {
        Error::Unsupported {
            feature: feature.to_string(),
        }
    }
}
