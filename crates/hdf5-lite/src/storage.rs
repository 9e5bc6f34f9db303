//! Random-access byte storage: the one place where bytes come from.
//!
//! Every read in the crate goes through [`Source`], which checks bounds once, so the
//! decoders above never index past the end of a file.

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

use crate::error::{Error, Result};

/// Random-access bytes: a memory map, an in-memory buffer, or a file read by position.
///
/// Implementations must be cheap to call concurrently from several threads.
pub trait Storage: Send + Sync + fmt::Debug {
    /// Total length in bytes.
    fn len(&self) -> u64;

    /// Whether the storage holds no bytes.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Fills `buf` from `offset`. Callers have checked that the range is in bounds.
    fn read_exact_at(&self, offset: u64, buf: &mut [u8]) -> std::io::Result<()>;

    /// The bytes in `offset..offset + len` without copying, when the backend holds them
    /// in memory. Callers have checked that the range is in bounds.
    fn slice(&self, _offset: u64, _len: usize) -> Option<&[u8]> {
        None
    }
}

/// Bytes held in memory.
#[derive(Clone)]
pub struct MemStorage(Arc<[u8]>);

impl MemStorage {
    /// Wraps a buffer.
    pub fn new(bytes: impl Into<Arc<[u8]>>) -> Self {
        MemStorage(bytes.into())
    }
}

impl fmt::Debug for MemStorage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MemStorage({} bytes)", self.0.len())
    }
}

impl Storage for MemStorage {
    fn len(&self) -> u64 {
        self.0.len() as u64
    }

    fn read_exact_at(&self, offset: u64, buf: &mut [u8]) -> std::io::Result<()> {
        let start = usize::try_from(offset).map_err(std::io::Error::other)?;
        let src = self
            .0
            .get(start..start + buf.len())
            .ok_or_else(|| std::io::Error::from(std::io::ErrorKind::UnexpectedEof))?;
        buf.copy_from_slice(src);
        Ok(())
    }

    fn slice(&self, offset: u64, len: usize) -> Option<&[u8]> {
        let start = usize::try_from(offset).ok()?;
        self.0.get(start..start.checked_add(len)?)
    }
}

/// A file memory-mapped read-only.
#[cfg(feature = "mmap")]
pub struct MmapStorage(memmap2::Mmap);

#[cfg(feature = "mmap")]
impl MmapStorage {
    /// Maps `file`.
    ///
    /// The map is read-only; if another process truncates the file while it is mapped,
    /// reads may fault, as with any memory map.
    pub fn new(file: &std::fs::File) -> Result<Self> {
        // SAFETY: the map is read-only and never handed out beyond `&[u8]` borrows of
        // `self`; concurrent modification by other processes is the documented caveat.
        let map = unsafe { memmap2::Mmap::map(file)? };
        Ok(MmapStorage(map))
    }
}

#[cfg(feature = "mmap")]
impl fmt::Debug for MmapStorage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MmapStorage({} bytes)", self.0.len())
    }
}

#[cfg(feature = "mmap")]
impl Storage for MmapStorage {
    fn len(&self) -> u64 {
        self.0.len() as u64
    }

    fn read_exact_at(&self, offset: u64, buf: &mut [u8]) -> std::io::Result<()> {
        let src = self
            .slice(offset, buf.len())
            .ok_or_else(|| std::io::Error::from(std::io::ErrorKind::UnexpectedEof))?;
        buf.copy_from_slice(src);
        Ok(())
    }

    fn slice(&self, offset: u64, len: usize) -> Option<&[u8]> {
        let start = usize::try_from(offset).ok()?;
        self.0.get(start..start.checked_add(len)?)
    }
}

/// A file read by position, without a map: positioned reads on Unix and Windows (no
/// shared cursor, so threads read concurrently); elsewhere (WASI, for one) a seek and a
/// read under a lock.
#[derive(Debug)]
pub struct FileStorage {
    #[cfg(any(unix, windows))]
    file: std::fs::File,
    #[cfg(not(any(unix, windows)))]
    file: std::sync::Mutex<std::fs::File>,
    len: u64,
}

impl FileStorage {
    /// Wraps an open file; its length is taken now.
    pub fn new(file: std::fs::File) -> Result<Self> {
        let len = file.metadata()?.len();
        #[cfg(not(any(unix, windows)))]
        let file = std::sync::Mutex::new(file);
        Ok(FileStorage { file, len })
    }
}

impl Storage for FileStorage {
    fn len(&self) -> u64 {
        self.len
    }

    #[cfg(any(unix, windows))]
    fn read_exact_at(&self, offset: u64, buf: &mut [u8]) -> std::io::Result<()> {
        crate::storage::read_at_position(&self.file, offset, buf)
    }

    #[cfg(not(any(unix, windows)))]
    fn read_exact_at(&self, offset: u64, buf: &mut [u8]) -> std::io::Result<()> {
        use std::io::{Read, Seek, SeekFrom};
        // A panic elsewhere while the lock was held leaves no half-done state here: every
        // read seeks first.
        let mut file = self
            .file
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        file.seek(SeekFrom::Start(offset))?;
        file.read_exact(buf)
    }
}

/// Fills `buf` from `offset` of `file` with positioned reads, which share no cursor, so
/// any number of threads may read at once (Unix and Windows).
#[cfg(any(unix, windows))]
pub(crate) fn read_at_position(
    file: &std::fs::File,
    offset: u64,
    buf: &mut [u8],
) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        std::os::unix::fs::FileExt::read_exact_at(file, buf, offset)
    }
    #[cfg(windows)]
    {
        use std::os::windows::fs::FileExt;
        let (mut offset, mut buf) = (offset, buf);
        while !buf.is_empty() {
            let n = file.seek_read(buf, offset)?;
            if n == 0 {
                return Err(std::io::ErrorKind::UnexpectedEof.into());
            }
            buf = &mut buf[n..];
            offset += n as u64;
        }
        Ok(())
    }
}

/// Bounds-checked access to a [`Storage`]. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Source {
    inner: Arc<dyn Storage>,
    len: u64,
}

impl Source {
    /// Wraps a storage backend.
    pub fn new(storage: Arc<dyn Storage>) -> Self {
        let len = storage.len();
        Source {
            inner: storage,
            len,
        }
    }

    /// Length of the storage in bytes.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether the storage is empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Checks that `offset..offset + len` lies inside the storage.
    pub fn check(&self, offset: u64, len: u64) -> Result<()> {
        match offset.checked_add(len) {
            Some(end) if end <= self.len => Ok(()),
            _ => Err(Error::OutOfBounds {
                offset,
                len,
                file_len: self.len,
            }),
        }
    }

    /// The bytes at `offset..offset + len`, borrowed when the backend allows it.
    pub fn read(&self, offset: u64, len: u64) -> Result<Cow<'_, [u8]>> {
        self.check(offset, len)?;
        let n = usize::try_from(len).map_err(|_| Error::TooLarge {
            what: "read",
            size: len.into(),
        })?;
        if let Some(bytes) = self.inner.slice(offset, n) {
            return Ok(Cow::Borrowed(bytes));
        }
        let mut buf = Vec::new();
        buf.try_reserve_exact(n).map_err(|_| Error::TooLarge {
            what: "read",
            size: len.into(),
        })?;
        buf.resize(n, 0);
        self.inner.read_exact_at(offset, &mut buf)?;
        Ok(Cow::Owned(buf))
    }

    /// Like [`Source::read`], but a short read at the end of the file is allowed:
    /// returns at most `len` bytes.
    pub fn read_up_to(&self, offset: u64, len: u64) -> Result<Cow<'_, [u8]>> {
        if offset > self.len {
            return Err(Error::OutOfBounds {
                offset,
                len,
                file_len: self.len,
            });
        }
        self.read(offset, len.min(self.len - offset))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_storage_reads_by_position() -> Result<()> {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../fixtures/01_loompy_create_dense.loom");
        let whole = std::fs::read(&path)?;
        let storage = FileStorage::new(std::fs::File::open(&path)?)?;
        assert_eq!(storage.len(), whole.len() as u64);
        // Out of order, as the decoders read, and up to the last byte.
        for (offset, len) in [(100, 37), (0, 8), (whole.len() - 5, 5), (4000, 1)] {
            let mut buf = vec![0; len];
            storage.read_exact_at(offset as u64, &mut buf)?;
            assert_eq!(buf, whole[offset..offset + len]);
        }
        let mut past_end = [0; 6];
        assert!(storage
            .read_exact_at(whole.len() as u64 - 5, &mut past_end)
            .is_err());
        let file = crate::read::File::from_storage(Arc::new(storage))?;
        assert_eq!(file.dataset("/matrix")?.shape(), &[100, 70]);
        Ok(())
    }
}
