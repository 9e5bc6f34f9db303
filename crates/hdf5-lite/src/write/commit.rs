//! Committing a transaction: the staged tree goes to fresh space and the superblock
//! (spec II.A, version 0) is written last, with a sync before and after; a snapshot
//! writes the staged tree without the superblock; a rollback drops it. Closing (or
//! dropping) a writer commits, compacts when enough of the file is free, and cuts the
//! file to its end of file.

use std::sync::Arc;

use crate::error::{Error, Result};
use crate::format::superblock::Superblock;
use crate::format::Sizes;
use crate::read::File;
use crate::storage::{Source, Storage};
use crate::write::tree::GroupNode;
use crate::write::{Space, StorageMut, Writer};

impl Writer {
    /// Writes every staged edit and then the superblock, syncing before and after. On
    /// success the file holds the new contents; on failure it still holds the old ones,
    /// and the writer refuses further edits.
    pub fn commit(&mut self) -> Result<()> {
        self.check()?;
        if self.dirty && self.root.is_some() {
            if let Err(e) = self.compact_heap() {
                self.rollback();
                return Err(e);
            }
        }
        let Some(root) = self.root.take() else {
            return Ok(());
        };
        if !std::mem::take(&mut self.dirty) {
            // Only failed edits since the last commit: forget what they loaded.
            self.discard();
            return Ok(());
        }
        // Collections the transaction leaves unreferenced are free once it is durable.
        for (address, size) in self.owners.dead() {
            self.alloc.release(address, size);
        }
        let result = self.write_commit(&root);
        match result {
            Ok(None) => {
                // A compaction that would not shrink the file: nothing was committed.
                self.discard();
                Ok(())
            }
            Ok(Some(file)) => {
                self.committed = Some(file);
                self.alloc.committed();
                self.owners.committed(self.heap.take_created());
                self.heap.reset();
                self.snapshot_blocks.clear();
                // Free space at the end goes back to the file system; a file that
                // cannot shrink keeps unreachable bytes past its end of file.
                let end = self.alloc.end();
                let _ = self.cut(end);
                self.committed_end = Some(end);
                self.committed_len = self.storage.current_len();
                Ok(())
            }
            Err(e) => {
                self.aborted = Some(e.to_string());
                // Cut the transaction's bytes unless the file is someone else's now, or
                // the new superblock may have reached the disk.
                if !matches!(e, Error::Conflict { .. }) {
                    self.discard();
                }
                Err(e)
            }
        }
    }

    /// Writes the staged tree to fresh space; returns the superblock that points at it.
    fn write_staged(&mut self, root: &GroupNode) -> Result<Superblock> {
        for (address, size) in std::mem::take(&mut self.snapshot_blocks) {
            self.alloc.release(address, size);
        }
        let (leaf_k, internal_k, istore_k) = self.k;
        let storage: &dyn StorageMut = self.storage.as_ref();
        if let Some(block) = self.heap.block()? {
            storage.write_all_at(block.address, &block.bytes)?;
        }
        let mut space = Space::new(storage, &mut self.alloc, &mut self.heap, self.k);
        space.alloc.start_log();
        let flushed = root.flush(&mut space, self.committed.as_ref());
        self.snapshot_blocks = self.alloc.stop_log();
        let (root_address, cache) = flushed?;
        let eof = self.alloc.end_after_commit();
        Ok(Superblock {
            version: 0,
            signature_offset: 0,
            sizes: Sizes::default(),
            base_address: 0,
            eof_address: eof,
            root_object_header: root_address,
            root_cache: Some(cache),
            group_leaf_k: leaf_k,
            group_internal_k: internal_k,
            indexed_storage_k: istore_k,
            extension: None,
        })
    }

    /// Writes the staged tree and then the superblock; `None` (nothing committed) when
    /// the end of file would not come below [`Writer::shrink_below`].
    fn write_commit(&mut self, root: &GroupNode) -> Result<Option<File>> {
        self.check_unchanged()?;
        let superblock = self.write_staged(root)?;
        if self
            .shrink_below
            .is_some_and(|limit| superblock.eof_address >= limit)
        {
            return Ok(None);
        }
        let bytes = superblock.encode_v0()?;
        // Everything the new superblock points at must be durable before it is written.
        self.storage.sync()?;
        self.storage.write_all_at(0, &bytes)?;
        self.storage.sync()?;
        self.expected = Some((superblock.eof_address, superblock.root_object_header));
        let view: Arc<dyn Storage> = self.storage.clone();
        File::from_storage(view).map(Some)
    }

    /// A read-only view of the file as it would be after [`Writer::commit`]: the staged
    /// edits are written to fresh space (the superblock is not), and the returned
    /// [`File`] reads them through the root group they would commit. The file on disk
    /// is unchanged; later edits, [`Writer::commit`] and [`Writer::rollback`] work as
    /// before.
    ///
    /// The snapshot shows the staged state at the time of the call. The structures it
    /// writes (object headers, B-tree nodes, heaps) stay where they are until the next
    /// snapshot, commit or rollback, so its objects' names, shapes and types can be
    /// looked up until then; chunk data that later edits replace may be reused at once,
    /// so read data through a new snapshot (reads of a stale snapshot may fail or see
    /// newer bytes, but never touch the committed file).
    pub fn snapshot(&mut self) -> Result<File> {
        self.check()?;
        if !self.dirty || self.root.is_none() {
            if let Some(file) = &self.committed {
                return Ok(file.clone());
            }
        }
        let Some(root) = self.root.take() else {
            return Err(Error::InvalidInput("no root group".into()));
        };
        let result = self.write_staged(&root).and_then(|mut superblock| {
            // The pending extents are still in the file: the view ends where it does.
            superblock.eof_address = self.alloc.end();
            let view: Arc<dyn Storage> = self.storage.clone();
            File::with_superblock(Source::new(view), superblock)
        });
        self.root = Some(root);
        if let Err(Error::Io(e)) = &result {
            self.aborted = Some(e.to_string());
        }
        result
    }

    /// Drops every edit staged since the last commit; the file keeps its committed
    /// contents, and the space written for the dropped edits is cut off again.
    pub fn rollback(&mut self) {
        self.root = None;
        self.dirty = false;
        if self.aborted.is_none() {
            self.discard();
        }
    }

    /// The same as [`Writer::commit`], under h5py's name.
    pub fn flush(&mut self) -> Result<()> {
        self.commit()
    }

    /// Commits and closes.
    pub fn close(mut self) -> Result<()> {
        let result = self.finish();
        self.closed = true;
        result
    }

    /// Commits, compacts the file if this writer committed and left enough of it free
    /// (see `compact`), then cuts off what a memory map kept past the end of file at
    /// the last commit (the maps handed out before may be gone by now).
    fn finish(&mut self) -> Result<()> {
        self.commit()?;
        if self.committed_end.is_some() {
            self.compact();
        }
        if let (Some(end), None) = (self.committed_end, &self.aborted) {
            let _ = self.cut(end);
            self.committed_len = self.storage.current_len();
        }
        Ok(())
    }
}

impl Drop for Writer {
    /// Commits what is staged; errors are lost here, so call [`Writer::close`] to see them.
    fn drop(&mut self) {
        if !self.closed && self.aborted.is_none() {
            let _ = self.finish();
        }
    }
}
