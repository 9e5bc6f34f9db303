//! hdf5-lite: the HDF5 structures `.loom` files use, in pure Rust.
//!
//! Reads every superblock, object header, group, attribute, datatype and chunk index
//! that loompy, h5py and anndata write; no libhdf5, no C toolchain.

pub mod error;
pub mod format;
mod open;
pub mod read;
mod region;
pub mod repack;
pub mod storage;
pub mod write;

pub use error::{Error, Result};
pub use format::filters;
pub use open::FileOptions;
pub use repack::{repack, RepackOptions};
#[cfg(any(unix, windows))]
pub use storage::FileStorage;
#[cfg(feature = "mmap")]
pub use storage::MmapStorage;
pub use storage::{MemStorage, Source, Storage};
