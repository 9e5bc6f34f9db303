//! The staged tree of a transaction: objects loaded from the committed file for editing,
//! or new, and their flushing into fresh space when the transaction commits.
//!
//! Copy-on-write: an edited object is encoded whole at a new address, and so is every
//! group above it up to the root; untouched objects keep their addresses. Nothing the last
//! committed superblock reaches is ever overwritten.

use std::collections::BTreeMap;

use crate::error::{Error, Result};
use crate::format::btree_v1::{chunk_node_len, group_node_len, group_tree, walk_chunks, ChunkRef};
use crate::format::local_heap::{self, LocalHeap};
use crate::format::messages::LinkTarget;
use crate::format::messages::{
    kind, AttributeMessage, ChunkIndexKind, Dataspace, Datatype, FillValue, FilterPipeline, Layout,
    SymbolTableMessage,
};
use crate::format::object_header::{encode_v1, encode_v2, fits_v1, ObjectHeader, RawMessage};
use crate::format::symbol_table;
use crate::format::{Allocate, Block, UNDEF};
use crate::read::{File, Object};
use crate::write::chunk_btree::ChunkTreeBuilder;
use crate::write::chunk_pages::Scratch;
use crate::write::chunk_store::ChunkStore;
use crate::write::group_build::{build_group, GroupEntry};
use crate::write::{dense_attrs, Space};

/// A link of a staged group.
#[derive(Debug)]
pub(crate) enum Child {
    /// An object left as it is in the committed file.
    Clean(u64),
    /// A group being edited or created.
    Group(Box<GroupNode>),
    /// A dataset being edited or created.
    Dataset(Box<DatasetNode>),
}

/// A group being edited or created.
#[derive(Debug, Default)]
pub(crate) struct GroupNode {
    pub links: BTreeMap<Vec<u8>, Child>,
    pub attrs: BTreeMap<String, AttributeMessage>,
    /// Messages of the original header kept as they are.
    pub passthrough: Vec<RawMessage>,
}

/// Where a staged dataset's elements are.
#[derive(Debug)]
pub(crate) enum DataStorage {
    Compact(Vec<u8>),
    Contiguous {
        address: u64,
        size: u64,
        /// Allocated by this transaction, so it may be written in place.
        fresh: bool,
    },
    Chunked {
        records: ChunkStore,
    },
}

/// A dataset being edited or created.
#[derive(Debug)]
pub(crate) struct DatasetNode {
    pub path: String,
    pub dataspace: Dataspace,
    pub datatype: Datatype,
    pub fill: FillValue,
    pub pipeline: FilterPipeline,
    pub data: DataStorage,
    pub attrs: BTreeMap<String, AttributeMessage>,
    /// Messages of the original header kept as they are (datatype, fill value and filter
    /// pipeline included, so types we only read survive untouched).
    pub passthrough: Vec<RawMessage>,
    /// Whether `passthrough` already holds the datatype, fill value and filter messages.
    pub loaded: bool,
    /// The committed chunk index, reused as it is while the chunks do not change.
    pub kept_index: Option<KeptIndex>,
}

/// A committed chunk B-tree: its root, its nodes' extents, and the count of changes its
/// dataset's chunk records had seen when it was read (see [`ChunkStore::changes`]). A
/// dataset whose attributes alone change keeps it (no 2–3 KB of B-tree nodes rewritten
/// for a stamp); once its records differ, its nodes are released and a new tree is
/// built.
#[derive(Debug)]
pub(crate) struct KeptIndex {
    pub root: u64,
    pub extents: Vec<(u64, u64)>,
    changes: u64,
}

impl KeptIndex {
    /// Whether it still indexes exactly `records`.
    fn indexes(&self, records: &ChunkStore) -> bool {
        self.changes == records.changes()
    }
}

/// The root address and rank of the committed chunk index (a v1 B-tree) of the dataset
/// with `header`, if it has one.
fn chunk_index_of(file: &File, header: &ObjectHeader) -> Result<Option<(u64, usize)>> {
    let ctx = file.ctx();
    let Some(m) = header.find(kind::LAYOUT) else {
        return Ok(None);
    };
    let layout = Layout::decode(&mut ctx.cursor(&m.data, m.offset, "layout message"))?;
    Ok(match layout {
        Layout::Chunked {
            index: ChunkIndexKind::BTreeV1,
            chunk_dims,
            address,
            ..
        } if address != UNDEF => Some((address, chunk_dims.len())),
        _ => None,
    })
}

/// The extents of the nodes of the chunk B-tree at `root` (rank `rank`, K = `k`),
/// calling `f` with each chunk it indexes: one walk.
fn chunk_index_nodes(
    file: &File,
    root: u64,
    rank: usize,
    k: u16,
    f: &mut dyn FnMut(ChunkRef<'_>) -> Result<()>,
) -> Result<Vec<(u64, u64)>> {
    let nodes = walk_chunks(file.ctx(), root, rank, f)?;
    let len = chunk_node_len(k, rank);
    Ok(nodes.into_iter().map(|a| (a, len)).collect())
}

/// The extents of the chunk index of the dataset with `header` (none unless it has a
/// v1 B-tree), calling `f(address, stored size)` with each chunk it indexes: one walk
/// of the tree gives both.
pub(crate) fn chunk_index_extents(
    file: &File,
    header: &ObjectHeader,
    k: (u16, u16, u16),
    f: &mut dyn FnMut(u64, u64),
) -> Result<Vec<(u64, u64)>> {
    match chunk_index_of(file, header)? {
        Some((root, rank)) => chunk_index_nodes(file, root, rank, k.2, &mut |c| {
            f(c.address, c.size);
            Ok(())
        }),
        None => Ok(Vec::new()),
    }
}

fn check_editable(header: &ObjectHeader, path: &str) -> Result<()> {
    if header.refcount > 1 {
        return Err(Error::unsupported(format!(
            "editing {path:?}: it is reachable through {} hard links, and a copy-on-write edit would leave the other links stale",
            header.refcount
        )));
    }
    for (k, what) in [
        (
            kind::LINK_INFO,
            "new-style group storage (link info message)",
        ),
        (kind::LINK, "link messages"),
    ] {
        if header.find(k).is_some() {
            return Err(Error::unsupported(format!(
                "editing {path:?}: it uses {what}, which hdf5-lite does not write"
            )));
        }
    }
    if let Some(m) = header.messages.iter().find(|m| m.is_shared()) {
        return Err(Error::unsupported(format!(
            "editing {path:?}: message type {:#06x} is shared (committed datatype or shared message table)",
            m.kind
        )));
    }
    Ok(())
}

/// Messages every rewrite regenerates: the attributes (compact or dense, as they need),
/// and the reference count (a rewritten object has one link; version 1 headers keep it
/// in their prefix).
const ALWAYS_REGENERATED: [u16; 3] = [kind::ATTRIBUTE, kind::ATTRIBUTE_INFO, kind::REFERENCE_COUNT];

/// The messages of `header` a rewrite keeps as they are: all but `regenerated` ones.
fn keep(header: &ObjectHeader, regenerated: &[u16]) -> Vec<RawMessage> {
    header
        .messages
        .iter()
        .filter(|m| !regenerated.contains(&m.kind) && !ALWAYS_REGENERATED.contains(&m.kind))
        .cloned()
        .collect()
}

/// The extents of the committed object with `header` that a copy-on-write rewrite
/// replaces, but its chunk index (see [`chunk_index_extents`]; a loaded dataset keeps it
/// until its chunks change): its header blocks; its dense attribute storage (when
/// `dense_attrs::extents` can list it; otherwise that space is left unused); a group's
/// local heap, symbol table nodes and B-tree nodes. A dataset's chunks and data block
/// stay.
pub(crate) fn own_structures(
    file: &File,
    header: &ObjectHeader,
    k: (u16, u16, u16),
) -> Result<Vec<(u64, u64)>> {
    let ctx = file.ctx();
    let mut out = header.blocks.clone();
    out.extend(dense_attrs::extents(file, header)?.unwrap_or_default());
    if let Some(m) = header.find(kind::SYMBOL_TABLE) {
        let st =
            SymbolTableMessage::decode(&mut ctx.cursor(&m.data, m.offset, "symbol table message"))?;
        let heap = LocalHeap::read(ctx, st.local_heap)?;
        out.push((heap.address, local_heap::HEADER_LEN));
        out.push((heap.data_address, heap.data.len() as u64));
        let (nodes, snods) = group_tree(ctx, st.btree)?;
        out.extend(nodes.into_iter().map(|a| (a, group_node_len(k.1))));
        out.extend(snods.into_iter().map(|a| (a, symbol_table::node_len(k.0))));
    }
    Ok(out)
}

/// The chunk records of a committed dataset with a v1 B-tree index (layout `address`,
/// chunks of `chunk_dims`, shape `shape`) and the index itself, read in one walk; chunks
/// wholly outside the shape (which no read can reach) are left out of the records.
fn load_chunks(
    file: &File,
    address: u64,
    chunk_dims: &[u64],
    shape: &[u64],
    scratch: &Scratch,
) -> Result<(ChunkStore, Option<KeptIndex>)> {
    let mut records = ChunkStore::new(chunk_dims, shape, scratch)?;
    if address == UNDEF {
        return Ok((records, None));
    }
    let k = file.superblock().indexed_storage_k;
    let extents = records.load(|store| {
        chunk_index_nodes(file, address, chunk_dims.len(), k, &mut |c| {
            if c.offset.iter().zip(chunk_dims).any(|(&o, &d)| o % d != 0) {
                return Err(Error::corrupt(
                    "chunk index",
                    address,
                    format!(
                        "chunk offset {:?} is not aligned to chunk dims {chunk_dims:?}",
                        c.offset
                    ),
                ));
            }
            store(c)
        })
    })?;
    let changes = records.changes();
    Ok((
        records,
        Some(KeptIndex {
            root: address,
            extents,
            changes,
        }),
    ))
}

/// Loads the committed object at `address` for editing.
pub(crate) fn load(file: &File, address: u64, path: &str, scratch: &Scratch) -> Result<Child> {
    match file.object_at(address, path.to_owned())? {
        Object::Group(g) => {
            let header = g.header();
            check_editable(header, path)?;
            let mut links = BTreeMap::new();
            for link in g.links()? {
                match link.target {
                    LinkTarget::Hard(addr) => {
                        links.insert(link.name.into_bytes(), Child::Clean(addr));
                    }
                    other => {
                        return Err(Error::unsupported(format!(
                            "editing {path:?}: its link {:?} is a {other:?} link; hdf5-lite writes hard links only",
                            link.name
                        )))
                    }
                }
            }
            let attrs = g
                .attributes()?
                .into_iter()
                .map(|a| (a.name().to_owned(), a.message().clone()))
                .collect();
            let passthrough = keep(header, &[kind::SYMBOL_TABLE]);
            Ok(Child::Group(Box::new(GroupNode {
                links,
                attrs,
                passthrough,
            })))
        }
        Object::Dataset(d) => {
            let header = d.header();
            check_editable(header, path)?;
            let mut kept_index = None;
            let data = match d.layout() {
                Layout::Compact { data } => DataStorage::Compact(data.clone()),
                Layout::Contiguous { address, size } => {
                    DataStorage::Contiguous { address: *address, size: *size, fresh: false }
                }
                Layout::Chunked { version, index: ChunkIndexKind::BTreeV1, chunk_dims, address, .. } if *version <= 3 => {
                    let (records, index) = load_chunks(file, *address, chunk_dims, &d.dataspace().dims, scratch)?;
                    kept_index = index;
                    DataStorage::Chunked { records }
                }
                Layout::Chunked { version, index, .. } => {
                    return Err(Error::unsupported(format!(
                        "editing {path:?}: layout version {version} with a {index:?} chunk index; hdf5-lite writes layout version 3 with v1 B-trees only"
                    )))
                }
                Layout::Virtual => return Err(Error::unsupported(format!("editing virtual dataset {path:?}"))),
            };
            let attrs = d
                .attributes()?
                .into_iter()
                .map(|a| (a.name().to_owned(), a.message().clone()))
                .collect();
            let passthrough = keep(header, &[kind::DATASPACE, kind::LAYOUT]);
            Ok(Child::Dataset(Box::new(DatasetNode {
                path: path.to_owned(),
                dataspace: d.dataspace().clone(),
                datatype: d.datatype().clone(),
                fill: d.fill().clone(),
                pipeline: d.pipeline().clone(),
                data,
                attrs,
                passthrough,
                loaded: true,
                kept_index,
            })))
        }
        Object::Datatype(_) => Err(Error::unsupported(format!(
            "editing committed datatype {path:?}"
        ))),
    }
}

/// Message flag bit 2: the message may not be shared (libhdf5 sets it on Attribute Info).
const DONT_SHARE: u8 = 0x04;

fn message(kind: u16, flags: u8, data: Vec<u8>) -> RawMessage {
    RawMessage {
        kind,
        flags,
        creation_order: None,
        offset: 0,
        data,
    }
}

fn attribute_messages(attrs: &BTreeMap<String, AttributeMessage>) -> Result<Vec<RawMessage>> {
    attrs
        .values()
        .map(|a| Ok(message(kind::ATTRIBUTE, 0, a.encode()?)))
        .collect()
}

/// Writes an object header of `messages` and `attrs`: version 1 with the attributes in
/// it, or, when one of them is too large for that, version 2 with dense attribute
/// storage.
fn write_header(
    space: &mut Space<'_>,
    mut messages: Vec<RawMessage>,
    attrs: &BTreeMap<String, AttributeMessage>,
) -> Result<u64> {
    let compact = attribute_messages(attrs)?;
    let bytes = if compact.iter().all(|m| fits_v1(m.data.len())) {
        messages.extend(compact);
        encode_v1(&messages, 1)?
    } else {
        let info = dense_attrs::write(space, attrs)?;
        messages.push(message(kind::ATTRIBUTE_INFO, DONT_SHARE, info.encode()));
        encode_v2(&messages)?
    };
    let address = space.alloc.allocate(bytes.len() as u64);
    space.put(address, &bytes)?;
    Ok(address)
}

/// The (B-tree, local heap) of the committed group at `address`, for its parent's cache.
fn cached_symbol_table(file: Option<&File>, address: u64) -> Result<Option<(u64, u64)>> {
    let Some(file) = file else { return Ok(None) };
    let header = ObjectHeader::read(file.ctx(), address)?;
    match header.find(kind::SYMBOL_TABLE) {
        Some(m) => {
            let st = SymbolTableMessage::decode(&mut file.ctx().cursor(
                &m.data,
                m.offset,
                "symbol table message",
            ))?;
            Ok(Some((st.btree, st.local_heap)))
        }
        None => Ok(None),
    }
}

impl GroupNode {
    /// Writes the group (and every staged object below it) to fresh space; returns its
    /// header address and its (B-tree, local heap).
    pub(crate) fn flush(
        &self,
        space: &mut Space<'_>,
        file: Option<&File>,
    ) -> Result<(u64, (u64, u64))> {
        let mut entries = Vec::with_capacity(self.links.len());
        for (name, child) in &self.links {
            let (object_header, cache) = match child {
                Child::Clean(addr) => (*addr, cached_symbol_table(file, *addr)?),
                Child::Group(g) => {
                    let (addr, cache) = g.flush(space, file)?;
                    (addr, Some(cache))
                }
                Child::Dataset(d) => (d.flush(space)?, None),
            };
            entries.push(GroupEntry {
                name: name.clone(),
                object_header,
                cache,
            });
        }
        let built = build_group(&entries, space.leaf_k, space.internal_k, space.alloc)?;
        for block in &built.blocks {
            space.put(block.address, &block.bytes)?;
        }
        let table = SymbolTableMessage {
            btree: built.btree,
            local_heap: built.local_heap,
        };
        let mut messages = vec![message(kind::SYMBOL_TABLE, 0, table.encode())];
        messages.extend(self.passthrough.iter().cloned());
        Ok((
            write_header(space, messages, &self.attrs)?,
            (built.btree, built.local_heap),
        ))
    }
}

impl DatasetNode {
    /// Writes the dataset's header (and chunk index) to fresh space; returns its address.
    pub(crate) fn flush(&self, space: &mut Space<'_>) -> Result<u64> {
        let layout = match &self.data {
            DataStorage::Compact(data) => Layout::Compact { data: data.clone() },
            DataStorage::Contiguous { address, size, .. } => Layout::Contiguous {
                address: *address,
                size: *size,
            },
            DataStorage::Chunked { records } => {
                let chunk_dims = records.chunk_dims();
                let elem = self.datatype.size();
                let kept = match &self.kept_index {
                    Some(kept) if kept.indexes(records) => Some(kept.root),
                    _ => None,
                };
                let root = match kept {
                    Some(root) => root,
                    None => {
                        for &(at, len) in self.kept_index.iter().flat_map(|k| &k.extents) {
                            space.alloc.release(at, len);
                        }
                        let storage = space.storage;
                        let put = &mut |block: Block| {
                            Ok(storage.write_all_at(block.address, &block.bytes)?)
                        };
                        let mut tree = ChunkTreeBuilder::new(
                            records.len(),
                            chunk_dims,
                            elem,
                            space.istore_k,
                            space.alloc,
                        )?;
                        records.for_each_ref(|r| tree.push(r, put))?;
                        tree.finish(space.alloc, put)?
                    }
                };
                Layout::Chunked {
                    version: 3,
                    flags: 0,
                    chunk_dims: chunk_dims.to_vec(),
                    element_size: elem,
                    index: ChunkIndexKind::BTreeV1,
                    address: if records.len() == 0 { UNDEF } else { root },
                }
            }
        };
        let mut messages = vec![message(kind::DATASPACE, 0, self.dataspace.encode()?)];
        if !self.loaded {
            messages.push(message(kind::DATATYPE, 1, self.datatype.encode()?));
            messages.push(message(kind::FILL_VALUE, 1, self.fill.encode()));
        }
        messages.push(message(kind::LAYOUT, 0, layout.encode()?));
        if !self.loaded && !self.pipeline.filters.is_empty() {
            messages.push(message(kind::FILTER_PIPELINE, 1, self.pipeline.encode()));
        }
        messages.extend(self.passthrough.iter().cloned());
        write_header(space, messages, &self.attrs)
    }
}
