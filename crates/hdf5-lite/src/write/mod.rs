//! The writing API: create a file or open one read-write, edit it, and commit the edits
//! as one transaction.
//!
//! Every commit is copy-on-write: new and changed structures go to fresh space at the end
//! of the file, nothing reachable from the last committed superblock is overwritten, and
//! the superblock is written last, with a sync before and after. A crash at any point
//! leaves the file readable with either the old or the new contents, and a failed
//! transaction (a full disk) cuts the file back to its committed length.
//!
//! Space is reused (see `free_space`): what a commit leaves behind (old object headers,
//! the heaps, symbol table nodes and B-tree nodes of rewritten groups, old chunk
//! B-trees, replaced chunks, unlinked objects) is free once the superblock that no
//! longer points at it is durable, and what a transaction allocated and dropped again
//! (a snapshot's structures, a chunk written twice) is free at once. Free space at the
//! end of the file is cut off at each commit.
//!
//! Space that earlier sessions left behind is found again on reopen, by walking every
//! live object from the superblock (`read::live`) at the first edit: the walk reads only
//! metadata and the references of variable-length values, so it costs a fraction of a
//! read of the file, and it needs no record that libhdf5 would have to understand or
//! keep up to date (libhdf5 rewrites a file's free-space records on its own terms, and
//! a stale one would be worse than none). Compacting at close was the alternative; it
//! would rewrite the whole file whenever it ran. When a file holds a structure the walk
//! does not fully understand, the writer reuses only what its own commits release.
//! Global heap collections are shared by the strings of a transaction; an old one is
//! found free by the next session's walk (others may share it, so a commit does not
//! free it).
//!
//! The structures written are the ones loompy and h5py write by default, so files open in
//! every libhdf5 from 1.8 on: superblock v0, version 1 object headers, symbol-table
//! groups, layout version 3 with v1 B-tree chunk indexes, and global heap collections for
//! variable-length strings. An object with an attribute too large for a version 1 header
//! gets a version 2 header with dense attribute storage instead (see `dense_attrs`), as
//! libhdf5 does.
//!
//! The [`Writer`]'s methods live by topic: `session` (create, open, the guard around
//! every edit), `nav` (finding and loading staged objects), `links` (groups, datasets,
//! unlink, rename), `edits` (elements, chunks, shapes, attributes) and `commit`
//! (commit, snapshot, rollback, close); the on-disk structures each have their module.
//!
//! ```
//! use hdf5_lite::read::{File, Numeric};
//! use hdf5_lite::write::{AttrValue, DatasetSpec, MemFile, Writer};
//! use std::sync::Arc;
//!
//! let storage = MemFile::new();
//! let mut w = Writer::create_in(Arc::new(storage.clone()))?;
//! w.create_group("/layers")?;
//! let spec = DatasetSpec::new(f32::datatype(), &[2, 3]).chunks(&[2, 2]).deflate(2);
//! w.create_dataset("/matrix", &spec)?;
//! w.write_numbers("/matrix", &[0, 0], &[2, 3], &[1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0])?;
//! w.set_attribute("/", "title", &AttrValue::string("demo"))?;
//! w.close()?;
//!
//! let file = File::from_bytes(storage.to_bytes())?;
//! let m = file.dataset("/matrix")?.read::<f32>()?;
//! assert_eq!(m[[1, 2]], 6.0);
//! # Ok::<(), hdf5_lite::Error>(())
//! ```

mod btree_levels;
pub mod chunk_btree;
mod chunk_pages;
mod chunk_store;
mod chunk_write;
mod commit;
mod compact;
mod compound;
mod data;
mod dense_attrs;
mod edits;
mod elements;
mod free_space;
pub mod group_build;
mod heap_compact;
pub(crate) mod heap_owners;
mod links;
mod nav;
mod permute;
mod session;
mod spec;
mod storage;
mod tree;
pub mod vlen;

use std::path::PathBuf;
use std::sync::Arc;
#[cfg(feature = "mmap")]
use std::sync::Weak;

pub use compound::{interleave_fields, packed_compound};
pub use spec::{encode_numbers, vlen_utf8, AttrData, AttrValue, DatasetSpec};
pub use storage::{MemFile, RwFile, StorageMut};

use crate::error::{Error, Result};
use crate::read::File;
use chunk_pages::Scratch;
pub(crate) use dense_attrs::extents as dense_extents;
use free_space::FreeSpace;
use heap_owners::HeapOwners;
use tree::GroupNode;
pub(crate) use tree::{chunk_index_extents, own_structures};

/// Bytes of the version 0 superblock, which always sits at offset 0 of files we write.
const SUPERBLOCK_SIZE: u64 = 96;

/// Fresh-space access for one transaction.
pub(crate) struct Space<'a> {
    storage: &'a dyn StorageMut,
    pub(crate) alloc: &'a mut FreeSpace,
    pub(crate) heap: &'a mut vlen::OpenHeap,
    pub(crate) leaf_k: u16,
    pub(crate) internal_k: u16,
    pub(crate) istore_k: u16,
}

impl<'a> Space<'a> {
    /// Space over `storage` with the allocator, the open global heap and the B-tree K
    /// values (group leaf, group internal, chunk index) of one writer.
    fn new(
        storage: &'a dyn StorageMut,
        alloc: &'a mut FreeSpace,
        heap: &'a mut vlen::OpenHeap,
        (leaf_k, internal_k, istore_k): (u16, u16, u16),
    ) -> Self {
        Space {
            storage,
            alloc,
            heap,
            leaf_k,
            internal_k,
            istore_k,
        }
    }

    /// Writes `bytes` at address `address`.
    pub(crate) fn put(&self, address: u64, bytes: &[u8]) -> Result<()> {
        Ok(self.storage.write_all_at(address, bytes)?)
    }

    /// Reads `buf.len()` bytes at `address` (committed or written in this transaction).
    pub(crate) fn get(&self, address: u64, buf: &mut [u8]) -> Result<()> {
        Ok(self.storage.read_exact_at(address, buf)?)
    }

    /// The `len` bytes at `address`; a range past the end of the storage (a corrupt size
    /// from the file) is an error before anything is allocated.
    pub(crate) fn get_vec(&self, address: u64, len: u64) -> Result<Vec<u8>> {
        self.check_range(address, len)?;
        let mut buf = vec![0u8; len as usize];
        self.get(address, &mut buf)?;
        Ok(buf)
    }

    /// An error unless the `len` bytes at `address` lie within the storage: for sizes
    /// from the file, checked before a buffer of that size is made.
    pub(crate) fn check_range(&self, address: u64, len: u64) -> Result<()> {
        within(address, len, self.storage.current_len())
    }
}

/// An error unless the `len` bytes at `address` end by `end` (a file's length, asked
/// once for many ranges).
pub(crate) fn within(address: u64, len: u64, end: u64) -> Result<()> {
    if address.checked_add(len).is_none_or(|e| e > end) {
        return Err(Error::OutOfBounds {
            offset: address,
            len,
            file_len: end,
        });
    }
    Ok(())
}

/// A file open for writing. Edits are staged and written by [`Writer::commit`],
/// [`Writer::close`], or when the writer is dropped.
///
/// Opened by path ([`Writer::open`], [`Writer::create`],
/// [`FileOptions`](crate::FileOptions)), the file is locked exclusively for the
/// writer's life; read it through the same handle with [`Writer::reader`].
pub struct Writer {
    storage: Arc<dyn StorageMut>,
    /// The file, when opened by path: for [`Writer::reader`] and error messages.
    file: Option<(Arc<RwFile>, PathBuf)>,
    /// Memory maps handed out by [`Writer::reader`] that may still be alive, with their
    /// lengths: the file is never cut below a live map (a read past its end would
    /// fault).
    #[cfg(feature = "mmap")]
    maps: Vec<(Weak<()>, u64)>,
    /// (end of file, root address) of the superblock on disk as this writer last saw it;
    /// a commit checks it is still there.
    expected: Option<(u64, u64)>,
    committed: Option<File>,
    /// The storage's length after the last commit (or at open): a failed transaction
    /// cuts it back to this, so the file is byte-identical to before.
    committed_len: u64,
    /// The end of file of this writer's last commit: the file is cut to it again at
    /// close, in case a memory map alive at the commit kept the bytes past it.
    committed_end: Option<u64>,
    /// While compacting: a commit whose end of file would not be below this is
    /// dropped instead.
    shrink_below: Option<u64>,
    alloc: FreeSpace,
    heap: vlen::OpenHeap,
    /// Who references the global heap collections (frees the dead ones at commit).
    owners: HeapOwners,
    /// What the last snapshot wrote: free again once the next snapshot or the commit
    /// writes the staged tree anew.
    snapshot_blocks: Vec<(u64, u64)>,
    /// Whether the space earlier sessions left behind has been looked for.
    recovered: bool,
    k: (u16, u16, u16),
    /// Where the chunk records of large datasets go until the commit.
    scratch: Scratch,
    root: Option<GroupNode>,
    /// Whether an edit has succeeded since the last commit; objects loaded by an edit
    /// that then failed are not written.
    dirty: bool,
    aborted: Option<String>,
    closed: bool,
}

impl std::fmt::Debug for Writer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Writer")
            .field("storage", &self.storage)
            .field("end", &self.alloc.end())
            .finish_non_exhaustive()
    }
}
