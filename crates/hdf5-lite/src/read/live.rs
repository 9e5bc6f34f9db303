//! Which bytes of a file are live: every extent reachable from the superblock (object
//! headers and their continuation blocks; groups' local heaps, symbol table nodes and
//! B-tree nodes; datasets' data blocks, chunks and chunk B-tree nodes; the global heap
//! collections that variable-length values point into).
//!
//! The writer uses it to find the space earlier sessions left behind (everything else
//! below the end of file). A walk that misses a live structure would let the writer
//! overwrite it, so the walk only answers for files made of structures it fully
//! understands: object headers with a known set of messages, symbol-table groups with
//! hard and soft links, compact, contiguous or v1 B-tree chunked layouts, dense
//! attributes in a heap without indirect blocks, and variable-length values only at the
//! top level of a datatype. Anything else (new-style groups, external links, shared or
//! unknown messages, a fractal heap with indirect blocks, external storage, references,
//! variable-length data inside a compound) makes the answer `None`, and the writer stays
//! append-only for that file.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::ops::Range;

use crate::error::Result;
use crate::format::messages::{kind, ChunkIndexKind, Datatype, Layout, LinkTarget};
use crate::format::object_header::ObjectHeader;
use crate::format::UNDEF;
use crate::read::{File, Object};
use crate::write::heap_owners::{Owner, Owners};

/// Message types whose every address the walk follows (or that hold none).
const UNDERSTOOD: [u16; 15] = [
    kind::NIL,
    kind::DATASPACE,
    kind::DATATYPE,
    kind::FILL_VALUE_OLD,
    kind::FILL_VALUE,
    kind::LAYOUT,
    kind::FILTER_PIPELINE,
    kind::ATTRIBUTE,
    kind::COMMENT,
    kind::MODIFICATION_TIME_OLD,
    kind::CONTINUATION,
    kind::SYMBOL_TABLE,
    kind::MODIFICATION_TIME,
    kind::REFERENCE_COUNT,
    kind::ATTRIBUTE_INFO,
];

/// Whether values of `dt` hold global heap references: `Some(true)` for a top-level
/// variable-length string or sequence of plain elements, `Some(false)` for plain types,
/// `None` for anything the walk does not follow.
pub(crate) fn heap_refs(dt: &Datatype) -> Option<bool> {
    match dt {
        Datatype::VarLenString { .. } => Some(true),
        Datatype::VarLenSequence { base, .. } => (heap_refs(base) == Some(false)).then_some(true),
        Datatype::Compound { fields, .. } => fields
            .iter()
            .all(|f| heap_refs(&f.datatype) == Some(false))
            .then_some(false),
        Datatype::Array { base, .. } => (heap_refs(base) == Some(false)).then_some(false),
        Datatype::Reference { .. } => None,
        _ => Some(false),
    }
}

/// The extents reachable from the object at `address` (the root group, for a whole
/// file), or `None` if the walk meets something it does not fully understand. With
/// `single`, an object reachable through more than one hard link is not understood
/// either (for freeing an unlinked subtree). Global heap collections are included with
/// `heaps`.
pub(crate) fn live_extents(
    file: &File,
    address: u64,
    single: bool,
    heaps: bool,
) -> Result<Option<Vec<(u64, u64)>>> {
    Ok(walk(file, address, single, heaps)?.map(|w| w.out))
}

/// Live extents, and who references each global heap collection.
pub(crate) type LiveAndOwners = (Vec<(u64, u64)>, Owners);

/// One object the walk went through: its path, and which of the walk's extents are its
/// own structures (header, heaps, B-tree nodes) and which its data (chunks, data block).
#[derive(Debug, Clone)]
pub(crate) struct Found {
    pub path: String,
    pub own: Range<usize>,
    pub data: Range<usize>,
}

/// Everything a whole-file walk found.
pub(crate) struct Live {
    /// Every live extent (address, length); the global heap collections come last.
    pub extents: Vec<(u64, u64)>,
    /// Where the collections start in `extents`.
    pub heap_start: usize,
    /// Who references each collection.
    pub owners: Owners,
    /// Every object, parents before their children.
    pub objects: Vec<Found>,
}

/// The extents reachable from the root group, as [`live_extents`] with the heaps, and
/// for each global heap collection the objects that reference it (see
/// [`HeapOwners`](crate::write::heap_owners::HeapOwners)).
pub(crate) fn live_extents_and_owners(file: &File, root: u64) -> Result<Option<LiveAndOwners>> {
    Ok(live_objects(file, root)?.map(|l| (l.extents, l.owners)))
}

/// The whole-file walk from the root group: extents, collection owners and objects.
pub(crate) fn live_objects(file: &File, root: u64) -> Result<Option<Live>> {
    let Some(w) = walk(file, root, false, true)? else {
        return Ok(None);
    };
    let sizes: BTreeMap<u64, u64> = w.out[w.heap_start..].iter().copied().collect();
    let mut owners = Owners::new();
    for (collection, set) in w.owners {
        let size = sizes.get(&collection).copied().unwrap_or(0);
        owners.insert(collection, (size, set));
    }
    Ok(Some(Live {
        extents: w.out,
        heap_start: w.heap_start,
        owners,
        objects: w.objects,
    }))
}

fn walk(file: &File, address: u64, single: bool, heaps: bool) -> Result<Option<Walk<'_>>> {
    let mut w = Walk {
        file,
        single,
        heaps,
        seen: HashSet::new(),
        out: Vec::new(),
        heap_start: 0,
        owners: BTreeMap::new(),
        objects: Vec::new(),
    };
    if !w.object(address, "/")? {
        return Ok(None);
    }
    w.heap_start = w.out.len();
    let collections: Vec<u64> = w.owners.keys().copied().collect();
    for c in collections {
        let head = file.ctx().read(c, 16)?;
        if head.get(..4) != Some(b"GCOL") {
            return Ok(None);
        }
        let mut size = [0u8; 8];
        size.copy_from_slice(&head[8..16]);
        w.out.push((c, u64::from_le_bytes(size)));
    }
    Ok(Some(w))
}

struct Walk<'a> {
    file: &'a File,
    single: bool,
    heaps: bool,
    seen: HashSet<u64>,
    out: Vec<(u64, u64)>,
    /// Where the collections start in `out`.
    heap_start: usize,
    /// Every collection referenced, with what references it.
    owners: BTreeMap<u64, BTreeSet<Owner>>,
    objects: Vec<Found>,
}

impl Walk<'_> {
    /// Adds the collections that the variable-length values in `raw` point into.
    fn refs(&mut self, raw: &[u8], owner: &Owner) {
        // Neighbouring values mostly share a collection: each collection is noted once
        // per run of them, and the owner copied only into a set that lacks it.
        let mut last = None;
        for element in raw.chunks_exact(16) {
            let mut a = [0u8; 8];
            a.copy_from_slice(&element[4..12]);
            let collection = u64::from_le_bytes(a);
            if collection == 0 || collection == UNDEF || last == Some(collection) {
                continue;
            }
            last = Some(collection);
            let set = self.owners.entry(collection).or_default();
            if !set.contains(owner) {
                set.insert(owner.clone());
            }
        }
    }

    /// Walks the object at `address`; false when it is not understood.
    fn object(&mut self, address: u64, path: &str) -> Result<bool> {
        if !self.seen.insert(address) {
            return Ok(!self.single);
        }
        let header = ObjectHeader::read(self.file.ctx(), address)?;
        if (self.single && header.refcount > 1)
            || header
                .messages
                .iter()
                .any(|m| m.is_shared() || !UNDERSTOOD.contains(&m.kind))
        {
            return Ok(false);
        }
        if crate::write::dense_extents(self.file, &header)?.is_none() {
            return Ok(false);
        }
        // Reachable through several links: its references outlive any one path.
        let shared = header.refcount > 1;
        let sb = self.file.superblock();
        let k = (sb.group_leaf_k, sb.group_internal_k, sb.indexed_storage_k);
        let own_start = self.out.len();
        self.out
            .extend(crate::write::own_structures(self.file, &header, k)?);
        // One walk of a chunk index gives its nodes (own) and its chunks (data).
        let mut chunks = Vec::new();
        let index = crate::write::chunk_index_extents(self.file, &header, k, &mut |a, n| {
            chunks.push((a, n))
        })?;
        self.out.extend(index);
        let found = self.objects.len();
        self.objects.push(Found {
            path: path.to_owned(),
            own: own_start..self.out.len(),
            data: self.out.len()..self.out.len(),
        });
        let attributes = match self.file.object_at(address, path.to_owned())? {
            Object::Group(g) => {
                for link in g.links()? {
                    match link.target {
                        LinkTarget::Hard(child) => {
                            let below = match path {
                                "/" => format!("/{}", link.name),
                                _ => format!("{path}/{}", link.name),
                            };
                            if !self.object(child, &below)? {
                                return Ok(false);
                            }
                        }
                        LinkTarget::Soft(_) => {}
                        _ => return Ok(false),
                    }
                }
                g.attributes()?
            }
            Object::Dataset(d) => {
                let data_start = self.out.len();
                match d.layout() {
                    Layout::Compact { .. } => {}
                    Layout::Contiguous { address, size } => {
                        if *address != UNDEF {
                            self.out.push((*address, *size));
                        }
                    }
                    Layout::Chunked {
                        index: ChunkIndexKind::BTreeV1,
                        ..
                    } => self.out.append(&mut chunks),
                    _ => return Ok(false),
                }
                self.objects[found].data = data_start..self.out.len();
                match heap_refs(d.datatype()) {
                    None => return Ok(false),
                    Some(true) if self.heaps => {
                        let raw = d.read_raw()?;
                        let owner = match shared {
                            true => Owner::Shared,
                            false => Owner::Data(path.to_owned()),
                        };
                        self.refs(&raw, &owner);
                    }
                    Some(_) => {}
                }
                d.attributes()?
            }
            Object::Datatype(_) => return Ok(false),
        };
        for a in attributes {
            match heap_refs(a.datatype()) {
                None => return Ok(false),
                Some(true) if self.heaps => {
                    let owner = match shared {
                        true => Owner::Shared,
                        false => Owner::Attr(path.to_owned(), a.name().to_owned()),
                    };
                    self.refs(a.raw(), &owner);
                }
                Some(_) => {}
            }
        }
        Ok(true)
    }
}
