//! The writer's session: creating a file or opening one for editing (superblock
//! version 0, spec II.A), reading it through the writer's own handle, and running each
//! edit so that a failed one poisons the writer or leaves the staged state as it was.
//!
//! An edit checks at the start of a transaction that the superblock on disk is still
//! the one this writer saw (another writer may have committed since, with locks
//! turned off), and the first edit of a reopened file finds the space that earlier
//! sessions left behind. A failed transaction cuts the file back to its committed
//! length, never below a memory map handed out by [`Writer::reader`].

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::error::{Error, Result};
use crate::format::superblock::Superblock;
use crate::format::Sizes;
use crate::open::FileOptions;
use crate::read::{self, File};
use crate::storage::{Source, Storage};
use crate::write::chunk_pages::Scratch;
use crate::write::free_space::FreeSpace;
use crate::write::heap_owners::HeapOwners;
use crate::write::tree::GroupNode;
use crate::write::{vlen, RwFile, StorageMut, Writer, SUPERBLOCK_SIZE};

/// Chunk records of a file at `path` spill next to it (the output's file system, not a
/// memory-backed /tmp).
fn scratch_beside(path: &Path) -> Scratch {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    Scratch::Dir(dir.into())
}

impl Writer {
    /// Creates (or truncates) the file at `path`, locked exclusively (see
    /// [`FileOptions`] to open without a lock).
    pub fn create(path: impl AsRef<Path>) -> Result<Self> {
        FileOptions::new().create(path)
    }

    /// Opens the file at `path` for editing (h5py's `r+`), locked exclusively (see
    /// [`FileOptions`] to open without a lock).
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        FileOptions::new().open_rw(path)
    }

    pub(crate) fn create_file(file: RwFile, path: &Path) -> Result<Self> {
        let file = Arc::new(file);
        let mut w = Self::create_in(file.clone())?;
        w.scratch = scratch_beside(path);
        w.file = Some((file, path.to_path_buf()));
        Ok(w)
    }

    pub(crate) fn open_file(file: RwFile, path: &Path) -> Result<Self> {
        let file = Arc::new(file);
        let mut w = Self::open_in(file.clone())?;
        w.scratch = scratch_beside(path);
        w.file = Some((file, path.to_path_buf()));
        Ok(w)
    }

    /// A new, empty file in `storage` (whatever it held is ignored and overwritten).
    pub fn create_in(storage: Arc<dyn StorageMut>) -> Result<Self> {
        Ok(Writer {
            committed_len: storage.current_len(),
            committed_end: None,
            shrink_below: None,
            storage,
            file: None,
            #[cfg(feature = "mmap")]
            maps: Vec::new(),
            expected: None,
            committed: None,
            alloc: FreeSpace::new(SUPERBLOCK_SIZE),
            heap: vlen::OpenHeap::default(),
            owners: HeapOwners::default(),
            snapshot_blocks: Vec::new(),
            recovered: false,
            k: (4, 16, 32),
            scratch: Scratch::Memory,
            root: Some(GroupNode::default()),
            dirty: true,
            aborted: None,
            closed: false,
        })
    }

    /// Opens the HDF5 file in `storage` for editing.
    pub fn open_in(storage: Arc<dyn StorageMut>) -> Result<Self> {
        let file = File::from_storage(storage.clone())?;
        let sb = file.superblock();
        if sb.version != 0
            || sb.sizes != Sizes::default()
            || sb.signature_offset != 0
            || sb.base_address != 0
        {
            return Err(Error::unsupported(format!(
                "editing a file with superblock version {} ({}-byte offsets, userblock of {} bytes): hdf5-lite writes superblock version 0 with 8-byte offsets and no userblock",
                sb.version, sb.sizes.offsets, sb.signature_offset
            )));
        }
        let k = (sb.group_leaf_k, sb.group_internal_k, sb.indexed_storage_k);
        let len = storage.current_len();
        let (eof, root) = (sb.eof_address, sb.root_object_header);
        Ok(Writer {
            storage,
            file: None,
            #[cfg(feature = "mmap")]
            maps: Vec::new(),
            expected: Some((eof, root)),
            committed: Some(file),
            committed_len: len,
            committed_end: None,
            shrink_below: None,
            alloc: FreeSpace::new(eof),
            heap: vlen::OpenHeap::default(),
            // Until the walk of the live objects tells who references what.
            owners: HeapOwners::off(),
            snapshot_blocks: Vec::new(),
            recovered: false,
            k,
            scratch: Scratch::Memory,
            root: None,
            dirty: false,
            aborted: None,
            closed: false,
        })
    }

    pub(super) fn check(&self) -> Result<()> {
        match &self.aborted {
            Some(why) => Err(Error::Aborted(why.clone())),
            None if self.closed => Err(Error::InvalidInput("the writer is closed".into())),
            None => Ok(()),
        }
    }

    /// The file's path, or `<storage>`.
    fn name(&self) -> PathBuf {
        crate::open::storage_name(self.file.as_ref().map(|(_, p)| p.as_path()))
    }

    /// Fails with [`Error::Conflict`] unless the superblock on disk is the one this
    /// writer opened or last committed.
    pub(super) fn check_unchanged(&self) -> Result<()> {
        let Some((eof, root)) = self.expected else {
            return Ok(());
        };
        let view: Arc<dyn Storage> = self.storage.clone();
        match Superblock::find(&Source::new(view)) {
            Ok(sb) if sb.eof_address == eof && sb.root_object_header == root => Ok(()),
            Err(Error::Io(e)) => Err(Error::Io(e)),
            _ => Err(Error::Conflict { path: self.name() }),
        }
    }

    /// Whether the storage still starts with the superblock of the last commit (or, for
    /// a new file, with none), after a failed commit.
    fn old_superblock_in_place(&self) -> bool {
        let view: Arc<dyn Storage> = self.storage.clone();
        match (Superblock::find(&Source::new(view)), self.expected) {
            (Ok(sb), Some((eof, root))) => sb.eof_address == eof && sb.root_object_header == root,
            (Err(Error::NotHdf5), None) => true,
            _ => false,
        }
    }

    /// A reader of the committed file through this writer's own handle (so a
    /// read-write connection holds one lock): memory-mapped when the `mmap` feature is
    /// on and the writer was opened by path. It shows the file as committed when it was
    /// made; take a new one after each commit.
    pub fn reader(&mut self) -> Result<File> {
        self.check()?;
        #[cfg(feature = "mmap")]
        if let Some((file, _)) = &self.file {
            let map = crate::storage::MmapStorage::new(file.file())?;
            let len = map.len();
            let token = Arc::new(());
            self.maps.retain(|(w, _)| w.strong_count() > 0);
            self.maps.push((Arc::downgrade(&token), len));
            return File::from_storage(Arc::new(crate::open::Holding {
                inner: map,
                _owner: Arc::new((file.clone(), token)),
            }));
        }
        let view: Arc<dyn Storage> = self.storage.clone();
        File::from_storage(view)
    }

    /// Runs an edit; an I/O error poisons the writer (the file keeps its last commit).
    pub(super) fn edit<T>(&mut self, f: impl FnOnce(&mut Self) -> Result<T>) -> Result<T> {
        self.check()?;
        if !self.dirty {
            // The first edit of a transaction: refuse at once to build on a file that
            // someone else has changed.
            self.check_unchanged()?;
            if !self.recovered && self.root.is_none() {
                self.recover_space();
            }
        }
        let result = f(self);
        match &result {
            Ok(_) => self.dirty = true,
            Err(Error::Io(e)) => {
                self.aborted = Some(e.to_string());
                self.discard();
            }
            Err(_) => {}
        }
        result
    }

    /// Forgets the space of the staged transaction and cuts the file back to its
    /// committed length (a full disk leaves the file as it was). A file whose superblock
    /// is no longer the one this writer committed belongs to another writer now (locks
    /// turned off) and is left alone.
    pub(super) fn discard(&mut self) {
        self.alloc.rolled_back();
        self.heap.reset();
        self.owners.rolled_back();
        self.snapshot_blocks.clear();
        // Never cut a file someone else has written to since. A file that cannot be cut
        // keeps unreachable bytes past its end of file, which is harmless; the error
        // that brought us here is the one to report.
        if self.old_superblock_in_place() {
            let _ = self.cut(self.committed_len);
        }
    }

    /// Cuts the storage to `len` bytes, but never below the end of a live memory map
    /// from [`Writer::reader`].
    pub(super) fn cut(&mut self, len: u64) -> std::io::Result<()> {
        #[cfg(feature = "mmap")]
        let len = {
            self.maps.retain(|(w, _)| w.strong_count() > 0);
            self.maps.iter().map(|m| m.1).fold(len, u64::max)
        };
        if self.storage.current_len() > len {
            self.storage.truncate(len)?;
        }
        Ok(())
    }

    /// Finds the space that earlier sessions left behind, once per writer: everything
    /// below the end of file that the committed superblock does not reach, when the walk
    /// understands the whole file (else the writer appends, reusing only what its own
    /// commits release).
    fn recover_space(&mut self) {
        self.recovered = true;
        let Some(file) = &self.committed else { return };
        let root = file.superblock().root_object_header;
        let Ok(Some((mut live, owners))) = read::live::live_extents_and_owners(file, root) else {
            return;
        };
        self.owners = HeapOwners::new(owners);
        live.push((0, SUPERBLOCK_SIZE));
        // Chunks written in index order lie end to end: joined first, they leave the sort
        // far fewer extents. What remains is long sorted runs, which the stable sort
        // merges instead of partitioning the whole list.
        live.dedup_by(|next, prev| {
            let joins = prev.0.checked_add(prev.1) == Some(next.0);
            if joins {
                prev.1 = prev.1.saturating_add(next.1);
            }
            joins
        });
        live.sort();
        let mut at = 0;
        for (start, len) in live {
            if start > at {
                self.alloc.add_free(at, start);
            }
            at = at.max(start.saturating_add(len));
        }
        let end = self.alloc.end();
        self.alloc.add_free(at, end);
    }
}
