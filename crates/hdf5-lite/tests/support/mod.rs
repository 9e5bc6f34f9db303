//! Storage shared by the writer's crash tests (`mod support;` in a test file).

use std::sync::atomic::{AtomicU64, Ordering};

use hdf5_lite::write::{MemFile, StorageMut};
use hdf5_lite::Storage;

/// A [`MemFile`] whose k-th write fails.
#[derive(Debug)]
pub struct Crashing {
    pub inner: MemFile,
    /// Writes so far.
    pub writes: AtomicU64,
    /// The write that fails (counted from 1); a write not at offset 0 leaves half its bytes.
    pub fail_at: u64,
}

impl Storage for Crashing {
    fn len(&self) -> u64 {
        self.inner.len()
    }
    fn read_exact_at(&self, offset: u64, buf: &mut [u8]) -> std::io::Result<()> {
        self.inner.read_exact_at(offset, buf)
    }
}

impl StorageMut for Crashing {
    fn write_all_at(&self, offset: u64, data: &[u8]) -> std::io::Result<()> {
        let n = self.writes.fetch_add(1, Ordering::SeqCst) + 1;
        if n == self.fail_at {
            if offset != 0 {
                self.inner.write_all_at(offset, &data[..data.len() / 2])?;
            }
            return Err(std::io::Error::other("simulated crash"));
        }
        self.inner.write_all_at(offset, data)
    }
    fn sync(&self) -> std::io::Result<()> {
        Ok(())
    }
    fn current_len(&self) -> u64 {
        self.inner.current_len()
    }
    fn truncate(&self, len: u64) -> std::io::Result<()> {
        self.inner.truncate(len)
    }
}
