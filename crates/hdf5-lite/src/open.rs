//! Opening files by path, with advisory file locks as libhdf5 takes them.
//!
//! Reading takes a shared lock and writing an exclusive one, held as long as the
//! [`File`] or [`Writer`] (and anything reading through its handle) lives, so two
//! writers, or a writer and a reader, never use one file at once: the second open fails
//! at once with [`Error::Locked`]. Locks are advisory (`flock` on Unix, `LockFileEx` on
//! Windows) and only bind programs that take them, libhdf5 included.
//!
//! As in libhdf5, the environment variable `HDF5_USE_FILE_LOCKING=FALSE` (or `0`) turns
//! locking off, for file systems without working locks; [`FileOptions::locking`] does
//! the same for one open. Where the platform has no locks at all, files open unlocked.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::error::{Error, Result};
use crate::read::File;
use crate::storage::Storage;
use crate::write::{RwFile, Writer};

/// How files are opened: today, whether they are locked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileOptions {
    locking: bool,
}

impl Default for FileOptions {
    fn default() -> Self {
        Self::new()
    }
}

/// Whether `HDF5_USE_FILE_LOCKING` asks for no locks (`FALSE` or `0`, as libhdf5 reads
/// it; any other value, or none, keeps them).
fn locking_from_env() -> bool {
    match std::env::var("HDF5_USE_FILE_LOCKING") {
        Ok(v) => {
            let v = v.trim();
            !(v.eq_ignore_ascii_case("false") || v == "0")
        }
        Err(_) => true,
    }
}

impl FileOptions {
    /// Locking on, unless `HDF5_USE_FILE_LOCKING` is `FALSE` or `0`.
    pub fn new() -> Self {
        FileOptions {
            locking: locking_from_env(),
        }
    }

    /// Turns locking on or off for files opened with these options.
    ///
    /// Without locks, a writer's commit still refuses a file that changed since it
    /// opened or last committed it ([`Error::Conflict`]), but two writers whose
    /// transactions overlap in time both stage new data in the same free space, so the
    /// first to commit may carry the other's bytes: only locks keep writers apart.
    pub fn locking(mut self, on: bool) -> Self {
        self.locking = on;
        self
    }

    /// Whether files opened with these options are locked.
    pub fn is_locking(&self) -> bool {
        self.locking
    }

    /// Opens the file at `path` for reading, under a shared lock (memory-mapped when the
    /// `mmap` feature is on, else read with positioned reads).
    pub fn open(&self, path: impl AsRef<Path>) -> Result<File> {
        let path = path.as_ref();
        let file = std::fs::File::open(path)?;
        if file.metadata()?.is_dir() {
            // Opening a folder succeeds on Unix; mapping it fails with "No such device".
            return Err(std::io::Error::from(std::io::ErrorKind::IsADirectory).into());
        }
        self.lock(&file, path, false)?;
        Ok(File::from_storage(read_storage(file)?)?.located(path, Vec::new()))
    }

    /// Opens the file at `path` for editing (h5py's `r+`), under an exclusive lock.
    pub fn open_rw(&self, path: impl AsRef<Path>) -> Result<Writer> {
        let path = path.as_ref();
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(path)?;
        self.lock(&file, path, true)?;
        Writer::open_file(RwFile::new(file), path)
    }

    /// Creates the file at `path`, or empties an existing one once it is locked
    /// (h5py's `w`).
    pub fn create(&self, path: impl AsRef<Path>) -> Result<Writer> {
        let path = path.as_ref();
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)?;
        // Lock first: truncating a file someone else has open would pull it from under
        // them.
        self.lock(&file, path, true)?;
        file.set_len(0)?;
        Writer::create_file(RwFile::new(file), path)
    }

    fn lock(&self, file: &std::fs::File, path: &Path, exclusive: bool) -> Result<()> {
        if !self.locking {
            return Ok(());
        }
        let result = if exclusive {
            file.try_lock()
        } else {
            file.try_lock_shared()
        };
        match result {
            Ok(()) => Ok(()),
            Err(std::fs::TryLockError::WouldBlock) => Err(Error::Locked {
                path: path.to_path_buf(),
            }),
            // No locks on this platform or file system: open unlocked (the commit's
            // conflict check still guards writers).
            Err(std::fs::TryLockError::Error(e)) if e.kind() == std::io::ErrorKind::Unsupported => {
                Ok(())
            }
            Err(std::fs::TryLockError::Error(e)) => Err(Error::Io(e)),
        }
    }
}

/// Read access to an open file, keeping the file (and so its lock) open.
fn read_storage(file: std::fs::File) -> Result<Arc<dyn Storage>> {
    #[cfg(feature = "mmap")]
    {
        let map = crate::storage::MmapStorage::new(&file)?;
        Ok(Arc::new(Holding {
            inner: map,
            _owner: Arc::new(file),
        }))
    }
    #[cfg(not(feature = "mmap"))]
    {
        Ok(Arc::new(crate::write::RwFile::new(file)))
    }
}

/// A storage that keeps something else alive as long as it is read: the locked file
/// behind a memory map.
#[cfg(feature = "mmap")]
#[derive(Debug)]
pub(crate) struct Holding<S, O: ?Sized> {
    pub(crate) inner: S,
    pub(crate) _owner: Arc<O>,
}

#[cfg(feature = "mmap")]
impl<S: Storage, O: ?Sized + Send + Sync + std::fmt::Debug> Storage for Holding<S, O> {
    fn len(&self) -> u64 {
        self.inner.len()
    }

    fn read_exact_at(&self, offset: u64, buf: &mut [u8]) -> std::io::Result<()> {
        self.inner.read_exact_at(offset, buf)
    }

    fn slice(&self, offset: u64, len: usize) -> Option<&[u8]> {
        self.inner.slice(offset, len)
    }
}

/// The path errors name for storage opened without one.
pub(crate) fn storage_name(path: Option<&Path>) -> PathBuf {
    path.map_or_else(|| PathBuf::from("<storage>"), Path::to_path_buf)
}
