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

    /// Cuts the storage to `len` bytes (a failed transaction's writes, or free space at
    /// the end at commit). Storage that cannot shrink keeps its bytes, which is safe:
    /// nothing past the committed end of file is ever read.
    fn truncate(&self, _len: u64) -> std::io::Result<()> {
        Ok(())
    }
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

    fn truncate(&self, len: u64) -> std::io::Result<()> {
        let mut bytes = self.lock();
        let len = usize::try_from(len).map_err(std::io::Error::other)?;
        bytes.truncate(len);
        Ok(())
    }
}

/// A file opened for reading and writing, with positioned reads and writes (Unix
/// `pread`/`pwrite`, Windows `seek_read`/`seek_write`, elsewhere a seek and a read or
/// write under a lock).
#[derive(Debug)]
pub struct RwFile {
    file: std::fs::File,
    /// Serializes seek-then-read/write pairs where the platform has no positioned I/O.
    #[cfg(not(any(unix, windows)))]
    cursor: Mutex<()>,
}

impl RwFile {
    /// Wraps a file opened read-write (or read-only, for reading).
    pub fn new(file: std::fs::File) -> Self {
        RwFile {
            file,
            #[cfg(not(any(unix, windows)))]
            cursor: Mutex::new(()),
        }
    }

    /// The open file.
    pub fn file(&self) -> &std::fs::File {
        &self.file
    }

    /// Cuts the file to `len` bytes.
    pub fn set_len(&self, len: u64) -> std::io::Result<()> {
        self.file.set_len(len)
    }
}

impl Storage for RwFile {
    fn len(&self) -> u64 {
        self.current_len()
    }

    #[cfg(any(unix, windows))]
    fn read_exact_at(&self, offset: u64, buf: &mut [u8]) -> std::io::Result<()> {
        crate::storage::read_at_position(&self.file, offset, buf)
    }

    #[cfg(not(any(unix, windows)))]
    fn read_exact_at(&self, offset: u64, buf: &mut [u8]) -> std::io::Result<()> {
        use std::io::{Read, Seek, SeekFrom};
        let _guard = self.cursor.lock().unwrap_or_else(|p| p.into_inner());
        let mut file = &self.file;
        file.seek(SeekFrom::Start(offset))?;
        file.read_exact(buf)
    }
}

impl StorageMut for RwFile {
    #[cfg(unix)]
    fn write_all_at(&self, offset: u64, data: &[u8]) -> std::io::Result<()> {
        std::os::unix::fs::FileExt::write_all_at(&self.file, data, offset)
    }

    #[cfg(windows)]
    fn write_all_at(&self, mut offset: u64, mut data: &[u8]) -> std::io::Result<()> {
        use std::os::windows::fs::FileExt;
        while !data.is_empty() {
            let n = self.file.seek_write(data, offset)?;
            if n == 0 {
                return Err(std::io::ErrorKind::WriteZero.into());
            }
            data = &data[n..];
            offset += n as u64;
        }
        Ok(())
    }

    #[cfg(not(any(unix, windows)))]
    fn write_all_at(&self, offset: u64, data: &[u8]) -> std::io::Result<()> {
        use std::io::{Seek, SeekFrom, Write};
        let _guard = self.cursor.lock().unwrap_or_else(|p| p.into_inner());
        let mut file = &self.file;
        file.seek(SeekFrom::Start(offset))?;
        file.write_all(data)
    }

    fn sync(&self) -> std::io::Result<()> {
        self.file.sync_all()
    }

    fn current_len(&self) -> u64 {
        self.file.metadata().map(|m| m.len()).unwrap_or(0)
    }

    fn truncate(&self, len: u64) -> std::io::Result<()> {
        self.file.set_len(len)
    }
}
