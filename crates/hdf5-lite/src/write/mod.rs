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
mod compact;
mod compound;
mod data;
mod dense_attrs;
mod elements;
mod free_space;
pub mod group_build;
mod heap_compact;
pub(crate) mod heap_owners;
mod nav;
mod permute;
mod spec;
mod storage;
mod tree;
pub mod vlen;

use std::path::{Path, PathBuf};
use std::sync::Arc;
#[cfg(feature = "mmap")]
use std::sync::Weak;

pub use compound::{interleave_fields, packed_compound};
pub use spec::{encode_numbers, vlen_utf8, AttrData, AttrValue, DatasetSpec};
pub use storage::{MemFile, RwFile, StorageMut};

use crate::error::{Error, Result};
use crate::format::object_header::ObjectHeader;
use crate::format::superblock::Superblock;
use crate::format::Sizes;
use crate::open::FileOptions;
use crate::read::{self, File, Hyperslab, Numeric};
use crate::storage::{Source, Storage};
use chunk_pages::Scratch;
pub(crate) use dense_attrs::extents as dense_extents;
use elements::{attribute_message, encode_strings};
use free_space::FreeSpace;
use heap_owners::{canonical, HeapOwners, Owner};
use nav::{attrs_of, find_loaded, parent_and_name, split, NodeMut};
pub(crate) use tree::own_extents;
use tree::{Child, DatasetNode, GroupNode};

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
        let end = self.storage.current_len();
        if address.checked_add(len).is_none_or(|e| e > end) {
            return Err(Error::OutOfBounds {
                offset: address,
                len,
                file_len: end,
            });
        }
        let mut buf = vec![0u8; len as usize];
        self.get(address, &mut buf)?;
        Ok(buf)
    }
}

/// Chunk records of a file at `path` spill next to it (the output's file system, not a
/// memory-backed /tmp).
fn scratch_beside(path: &Path) -> Scratch {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    Scratch::Dir(dir.into())
}

/// Releases the extents a rewrite of the committed object at `address` replaces; a
/// loaded chunked dataset keeps its chunk index until its chunks change (see
/// [`tree::KeptIndex`]).
fn release_own(
    alloc: &mut FreeSpace,
    file: &File,
    address: u64,
    loaded: &mut Child,
    k: (u16, u16, u16),
) -> Result<()> {
    let header = ObjectHeader::read(file.ctx(), address)?;
    let mut keep = Vec::new();
    if let Child::Dataset(d) = loaded {
        if let tree::DataStorage::Chunked { records, .. } = &d.data {
            d.kept_index = tree::committed_index(file, &header, records, k)?;
        }
        keep = d
            .kept_index
            .iter()
            .flat_map(|i| i.extents.clone())
            .collect();
    }
    for (at, size) in tree::own_extents(file, &header, k)? {
        if !keep.contains(&(at, size)) {
            alloc.release(at, size);
        }
    }
    Ok(())
}

/// A file open for writing. Edits are staged and written by [`Writer::commit`],
/// [`Writer::close`], or when the writer is dropped.
///
/// Opened by path ([`Writer::open`], [`Writer::create`], [`FileOptions`]), the file is
/// locked exclusively for the writer's life; read it through the same handle with
/// [`Writer::reader`].
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

    fn check(&self) -> Result<()> {
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
    fn check_unchanged(&self) -> Result<()> {
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
    fn edit<T>(&mut self, f: impl FnOnce(&mut Self) -> Result<T>) -> Result<T> {
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
    fn discard(&mut self) {
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
    fn cut(&mut self, len: u64) -> std::io::Result<()> {
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

    fn root(&mut self) -> Result<&mut GroupNode> {
        if self.root.is_none() {
            let file = self
                .committed
                .as_ref()
                .ok_or_else(|| Error::InvalidInput("no file".into()))?;
            let address = file.superblock().root_object_header;
            match tree::load(file, address, "/", &self.scratch)? {
                Child::Group(g) => {
                    let mut root = Child::Group(g);
                    release_own(&mut self.alloc, file, address, &mut root, self.k)?;
                    if let Child::Group(g) = root {
                        self.root = Some(*g);
                    }
                }
                _ => {
                    return Err(Error::corrupt(
                        "object header",
                        address,
                        "the root object is not a group",
                    ))
                }
            }
        }
        self.root
            .as_mut()
            .ok_or_else(|| Error::InvalidInput("no root group".into()))
    }

    /// The staged node at `path`, loading it (and every group above it) for editing.
    fn node(&mut self, path: &str) -> Result<NodeMut<'_>> {
        let parts = split(path)?;
        let k = self.k;
        let scratch = self.scratch.clone();
        self.root()?;
        let (Some(root), file) = (self.root.as_mut(), self.committed.as_ref()) else {
            return Err(Error::InvalidInput("no root group".into()));
        };
        let mut current = NodeMut::Group(root);
        let mut walked = String::new();
        for part in parts {
            walked.push('/');
            walked.push_str(part);
            let NodeMut::Group(group) = current else {
                return Err(Error::WrongKind {
                    path: walked,
                    expected: "group",
                    found: "dataset",
                });
            };
            let child = group
                .links
                .get_mut(part.as_bytes())
                .ok_or_else(|| Error::NotFound {
                    path: walked.clone(),
                })?;
            if let Child::Clean(address) = child {
                let file = file.ok_or_else(|| Error::NotFound {
                    path: walked.clone(),
                })?;
                let mut loaded = tree::load(file, *address, &walked, &scratch)?;
                release_own(&mut self.alloc, file, *address, &mut loaded, k)?;
                *child = loaded;
            }
            current = match child {
                Child::Group(g) => NodeMut::Group(g),
                Child::Dataset(d) => NodeMut::Dataset(d),
                Child::Clean(_) => return Err(Error::NotFound { path: walked }),
            };
        }
        Ok(current)
    }

    fn group(&mut self, path: &str) -> Result<&mut GroupNode> {
        match self.node(path)? {
            NodeMut::Group(g) => Ok(g),
            NodeMut::Dataset(_) => Err(Error::WrongKind {
                path: path.to_owned(),
                expected: "group",
                found: "dataset",
            }),
        }
    }

    fn dataset_and_space(&mut self, path: &str) -> Result<(&mut DatasetNode, Space<'_>)> {
        let k = self.k;
        self.node(path)?;
        let storage: &dyn StorageMut = self.storage.as_ref();
        let alloc = &mut self.alloc;
        let heap = &mut self.heap;
        let root = self
            .root
            .as_mut()
            .ok_or_else(|| Error::InvalidInput("no root group".into()))?;
        let node = find_loaded(root, &split(path)?).ok_or_else(|| Error::NotFound {
            path: path.to_owned(),
        })?;
        match node {
            NodeMut::Dataset(d) => Ok((d, Space::new(storage, alloc, heap, k))),
            NodeMut::Group(_) => Err(Error::WrongKind {
                path: path.to_owned(),
                expected: "dataset",
                found: "group",
            }),
        }
    }

    /// Creates a group, and any missing groups above it (as h5py does).
    pub fn create_group(&mut self, path: &str) -> Result<()> {
        self.edit(|w| {
            let parts = split(path)?;
            let mut walked = String::new();
            for part in parts {
                let parent = if walked.is_empty() {
                    "/".to_owned()
                } else {
                    walked.clone()
                };
                walked.push('/');
                walked.push_str(part);
                let group = w.group(&parent)?;
                match group.links.get(part.as_bytes()) {
                    None => {
                        group
                            .links
                            .insert(part.as_bytes().to_vec(), Child::Group(Box::default()));
                    }
                    Some(_) if walked.len() == path.trim_end_matches('/').len() => {
                        return Err(Error::Exists {
                            path: path.to_owned(),
                        })
                    }
                    Some(_) => {}
                }
            }
            Ok(())
        })
    }

    /// Creates a dataset (its group must exist).
    pub fn create_dataset(&mut self, path: &str, spec: &DatasetSpec) -> Result<()> {
        self.edit(|w| {
            let (parent, name) = parent_and_name(path)?;
            let node = DatasetNode::create(path, spec, &w.scratch)?;
            let group = w.group(&parent)?;
            if group.links.contains_key(name.as_bytes()) {
                return Err(Error::Exists {
                    path: path.to_owned(),
                });
            }
            group
                .links
                .insert(name.as_bytes().to_vec(), Child::Dataset(Box::new(node)));
            Ok(())
        })
    }

    /// Writes raw elements (in the dataset's datatype, C order) to a hyperslab.
    pub fn write_raw(&mut self, path: &str, sel: &Hyperslab, data: &[u8]) -> Result<()> {
        self.edit(|w| {
            let (node, mut space) = w.dataset_and_space(path)?;
            let refs = read::live::heap_refs(&node.datatype) != Some(false);
            node.write(&mut space, sel, data)?;
            if refs {
                // Raw references: whose they are is not known.
                w.owners.disable();
            }
            Ok(())
        })
    }

    /// Writes numbers to the hyperslab `start`/`count`, converted to the dataset's type
    /// (read in place, without a copy, when they already are its little-endian bytes).
    pub fn write_numbers<T: Numeric>(
        &mut self,
        path: &str,
        start: &[u64],
        count: &[u64],
        values: &[T],
    ) -> Result<()> {
        self.edit(|w| {
            let (node, mut space) = w.dataset_and_space(path)?;
            let raw = match T::as_le_bytes(values) {
                Some(bytes) if T::datatype() == node.datatype => std::borrow::Cow::Borrowed(bytes),
                _ => std::borrow::Cow::Owned(encode_numbers(values, &node.datatype)?),
            };
            node.write(
                &mut space,
                &Hyperslab {
                    start: start.to_vec(),
                    count: count.to_vec(),
                },
                &raw,
            )
        })
    }

    /// Writes strings to the hyperslab `start`/`count` of a string dataset (variable-length
    /// strings go to the global heap; fixed-length ones are padded and must fit).
    pub fn write_strings(
        &mut self,
        path: &str,
        start: &[u64],
        count: &[u64],
        values: &[&str],
    ) -> Result<()> {
        self.edit(|w| {
            let (node, mut space) = w.dataset_and_space(path)?;
            space.heap.owner = Some(Owner::Data(canonical(path)));
            let raw = encode_strings(&mut space, &node.datatype, values);
            space.heap.owner = None;
            let raw = raw?;
            node.write(
                &mut space,
                &Hyperslab {
                    start: start.to_vec(),
                    count: count.to_vec(),
                },
                &raw,
            )
        })
    }

    /// Stores one chunk as it is, already filtered (compressed) by the dataset's filter
    /// pipeline: `offset` is its first element (a multiple of the chunk shape),
    /// `filter_mask` has bit i set when filter i was skipped. With
    /// [`File::read_raw_chunk`] this copies compressed chunks without decoding them.
    pub fn write_raw_chunk(
        &mut self,
        path: &str,
        offset: &[u64],
        filter_mask: u32,
        bytes: &[u8],
    ) -> Result<()> {
        self.edit(|w| {
            let (node, mut space) = w.dataset_and_space(path)?;
            let refs = read::live::heap_refs(&node.datatype) != Some(false);
            node.write_raw_chunk(&mut space, offset, filter_mask, bytes)?;
            if refs {
                w.owners.disable();
            }
            Ok(())
        })
    }

    /// Changes a chunked dataset's shape within its maximum shape.
    pub fn resize(&mut self, path: &str, shape: &[u64]) -> Result<()> {
        self.edit(|w| {
            let (node, mut space) = w.dataset_and_space(path)?;
            node.resize(&mut space, shape)
        })
    }

    /// Creates or replaces the attribute `name` of the object at `path`. An attribute
    /// message too large for a version 1 object header (over 65528 bytes) makes the
    /// object's attributes dense (a version 2 header, as libhdf5 writes them); they turn
    /// compact again when no large one is left.
    pub fn set_attribute(&mut self, path: &str, name: &str, value: &AttrValue) -> Result<()> {
        self.edit(|w| {
            // Load (and so validate) the target before writing any string to the heap, so
            // that a refused edit leaves the file untouched.
            w.node(path)?;
            let mut space = Space::new(w.storage.as_ref(), &mut w.alloc, &mut w.heap, w.k);
            space.heap.owner = Some(Owner::Attr(canonical(path), name.to_owned()));
            let message = attribute_message(&mut space, name, value);
            space.heap.owner = None;
            let message = message?;
            // Refuses what cannot be encoded now rather than at commit.
            message.encode()?;
            attrs_of(w.node(path)?).insert(name.to_owned(), message);
            w.owners.kill_attr(path, name);
            if matches!(value.data, AttrData::Raw(_))
                && read::live::heap_refs(&value.datatype) != Some(false)
            {
                w.owners.disable();
            }
            Ok(())
        })
    }

    /// Deletes the attribute `name` of the object at `path`.
    pub fn delete_attribute(&mut self, path: &str, name: &str) -> Result<()> {
        self.edit(|w| match attrs_of(w.node(path)?).remove(name) {
            Some(_) => {
                w.owners.kill_attr(path, name);
                Ok(())
            }
            None => Err(Error::NotFound {
                path: format!("{path}@{name}"),
            }),
        })
    }

    /// Removes the link at `path` (the object's space is not reclaimed).
    pub fn unlink(&mut self, path: &str) -> Result<()> {
        self.edit(|w| {
            let (parent, name) = parent_and_name(path)?;
            let clean = match w.group(&parent)?.links.get(name.as_bytes()) {
                None => {
                    return Err(Error::NotFound {
                        path: path.to_owned(),
                    })
                }
                Some(Child::Clean(address)) => Some(*address),
                Some(_) => None,
            };
            if let Some(address) = clean {
                w.check_single_link(address, path)?;
            }
            if let Some(child) = w.group(&parent)?.links.remove(name.as_bytes()) {
                w.release_subtree(child);
                w.owners.kill_under(path);
            }
            Ok(())
        })
    }

    /// Releases the space of an unlinked object and everything below it. A committed
    /// subtree is walked; if it holds anything the walk does not fully understand (or
    /// an object linked from elsewhere too), its space is left alone. Global heap
    /// collections are left too (other objects may share them); reopening finds them.
    /// So are the chunks of a dataset whose records its scratch file fails to give back.
    fn release_subtree(&mut self, child: Child) {
        match child {
            Child::Clean(address) => {
                let Some(file) = &self.committed else { return };
                if let Ok(Some(extents)) = read::live::live_extents(file, address, true, false) {
                    for (at, size) in extents {
                        self.alloc.release(at, size);
                    }
                }
            }
            Child::Dataset(d) => match d.data {
                _ if d.kept_index.is_some() => {
                    for (at, size) in d.kept_index.iter().flat_map(|i| i.extents.clone()) {
                        self.alloc.release(at, size);
                    }
                    self.release_subtree(Child::Dataset(Box::new(tree::DatasetNode {
                        kept_index: None,
                        ..*d
                    })));
                }
                tree::DataStorage::Chunked { records, .. } => {
                    for (at, size) in records.extents().map_while(|e| e.ok()) {
                        self.alloc.release(at, size);
                    }
                }
                tree::DataStorage::Contiguous { address, size, .. } => {
                    self.alloc.release(address, size);
                }
                tree::DataStorage::Compact(_) => {}
            },
            Child::Group(g) => {
                for (_, c) in g.links {
                    self.release_subtree(c);
                }
            }
        }
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
        live.sort_unstable();
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

    /// Moves or renames the link at `from` to `to` (whose group must exist).
    pub fn rename(&mut self, from: &str, to: &str) -> Result<()> {
        self.edit(|w| {
            let (from_parent, from_name) = parent_and_name(from)?;
            let (to_parent, to_name) = parent_and_name(to)?;
            if to.starts_with(&format!("{}/", from.trim_end_matches('/'))) {
                return Err(Error::InvalidInput(format!(
                    "cannot move {from} inside itself ({to})"
                )));
            }
            w.group(&to_parent)?;
            if w.group(&to_parent)?.links.contains_key(to_name.as_bytes()) {
                return Err(Error::Exists {
                    path: to.to_owned(),
                });
            }
            let child = w
                .group(&from_parent)?
                .links
                .remove(from_name.as_bytes())
                .ok_or_else(|| Error::NotFound {
                    path: from.to_owned(),
                })?;
            w.group(&to_parent)?
                .links
                .insert(to_name.as_bytes().to_vec(), child);
            // What references the heap below `from` is now elsewhere.
            w.owners.disable();
            Ok(())
        })
    }

    /// Refuses to unlink an object that other hard links also reach: its reference count
    /// lives in its own header, which the other links would still point at unchanged.
    fn check_single_link(&self, address: u64, path: &str) -> Result<()> {
        let file = self.committed.as_ref().ok_or_else(|| Error::NotFound {
            path: path.to_owned(),
        })?;
        let header = ObjectHeader::read(file.ctx(), address)?;
        if header.refcount > 1 {
            return Err(Error::unsupported(format!(
                "unlinking {path:?}: it is reachable through {} hard links, and its reference count would go stale",
                header.refcount
            )));
        }
        Ok(())
    }

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
