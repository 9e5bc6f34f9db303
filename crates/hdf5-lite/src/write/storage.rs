//! Writable storage: the bytes a [`Writer`](super::Writer) edits, behind one small trait,
//! so the same commit logic runs on a file, in memory, or on a test backend that fails
//! on purpose.

use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};

use crate::storage::Storage;

/// Storage that can also be written and synced.
pub trait StorageMut: Storage {
    /// Writes all of `data` at `offset`, growing the storage if needed.
    fn write_all_at(&self, offset: u64, data: &[u8]) -> std::io::Result<()>;

    /// Makes every write so far durable (fsync for files).
    fn sync(&self) -> std::io::Result<()>;

    /// The current length (it grows as the writer appends).
    fn current_len(&self) -> u64;
}

/// A growable in-memory file. Clones share the same bytes.
#[derive(Clone, Default)]
pub struct MemFile(Arc<Mutex<Vec<u8>>>);

impl MemFile {
    /// An empty file.
    pub fn new() -> Self {
        Self::default()
    }

    /// A file holding `bytes`.
    pub fn from_bytes(bytes: Vec<u8>) -> Self {
        MemFile(Arc::new(Mutex::new(bytes)))
    }

    /// A copy of the current bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        self.lock().clone()
    }

    fn lock(&self) -> MutexGuard<'_, Vec<u8>> {
        // A panic while holding the lock cannot leave the bytes half-written in a way
        // that matters more than the panic itself; keep serving them.
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl fmt::Debug for MemFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MemFile({} bytes)", self.lock().len())
    }
}

impl Storage for MemFile {
    fn len(&self) -> u64 {
        self.lock().len() as u64
    }

    fn read_exact_at(&self, offset: u64, buf: &mut [u8]) -> std::io::Result<()> {
        let bytes = self.lock();
        let start = usize::try_from(offset).map_err(std::io::Error::other)?;
        let src = start
            .checked_add(buf.len())
            .and_then(|end| bytes.get(start..end))
            .ok_or_else(|| std::io::Error::from(std::io::ErrorKind::UnexpectedEof))?;
        buf.copy_from_slice(src);
        Ok(())
    }
}

impl StorageMut for MemFile {
    fn write_all_at(&self, offset: u64, data: &[u8]) -> std::io::Result<()> {
        let mut bytes = self.lock();
        let start = usize::try_from(offset).map_err(std::io::Error::other)?;
        let end = start + data.len();
        if bytes.len() < end {
            bytes.resize(end, 0);
        }
        bytes[start..end].copy_from_slice(data);
        Ok(())
    }

    fn sync(&self) -> std::io::Result<()> {
        Ok(())
    }

    fn current_len(&self) -> u64 {
        self.len()
    }
}

/// A file opened for reading and writing, with positioned reads and writes.
#[cfg(unix)]
#[derive(Debug)]
pub struct RwFile {
    file: std::fs::File,
}

#[cfg(unix)]
impl RwFile {
    /// Wraps a file opened read-write.
    pub fn new(file: std::fs::File) -> Self {
        RwFile { file }
    }
}

#[cfg(unix)]
impl Storage for RwFile {
    fn len(&self) -> u64 {
        self.current_len()
    }

    fn read_exact_at(&self, offset: u64, buf: &mut [u8]) -> std::io::Result<()> {
        std::os::unix::fs::FileExt::read_exact_at(&self.file, buf, offset)
    }
}

#[cfg(unix)]
impl StorageMut for RwFile {
    fn write_all_at(&self, offset: u64, data: &[u8]) -> std::io::Result<()> {
        std::os::unix::fs::FileExt::write_all_at(&self.file, data, offset)
    }

    fn sync(&self) -> std::io::Result<()> {
        self.file.sync_all()
    }

    fn current_len(&self) -> u64 {
        self.file.metadata().map(|m| m.len()).unwrap_or(0)
    }
}
