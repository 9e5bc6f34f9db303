//! Dense attribute storage, for objects with an attribute message too large for a
//! version 1 object header (more than 65528 bytes: a long string or list attribute).
//!
//! libhdf5 refuses such an attribute in a version 1 header; in a version 2 header it
//! stores every attribute of the object densely. The writer does the same: the object
//! gets a version 2 header with an Attribute Info message (spec IV.A.2.v) naming a
//! fractal heap (III.G) and a v2 B-tree of type 8 indexing the names (III.A.2). Each
//! attribute message is a huge object of the heap, found through a v2 B-tree of type 1
//! ([`HugeObjects`] explains why every one is huge). Both trees are a single leaf, up to
//! 65535 attributes. Creation order is not tracked.
//!
//! An object is rewritten whole at each edit (copy-on-write), so the dense structures
//! are written fresh each time, and [`extents`] lists the old ones for release.

use std::collections::BTreeMap;

use crate::error::{Error, Result};
use crate::format::btree_v2::records::{AttributeName, HugeObject};
use crate::format::btree_v2::{BTreeV2, HEADER_LEN as BTREE_HEADER_LEN};
use crate::format::fractal_heap::{FractalHeap, HugeObjects, HEADER_LEN as HEAP_HEADER_LEN};
use crate::format::messages::{kind, AttributeInfo, AttributeMessage};
use crate::format::object_header::ObjectHeader;
use crate::format::{Allocate, UNDEF};
use crate::read::File;
use crate::write::Space;

/// Writes `attrs` as dense storage to fresh space; returns the Attribute Info message
/// that points at it.
pub(crate) fn write(
    space: &mut Space<'_>,
    attrs: &BTreeMap<String, AttributeMessage>,
) -> Result<AttributeInfo> {
    if attrs.len() > usize::from(u16::MAX) {
        return Err(Error::unsupported(format!(
            "{} attributes on one object with dense attribute storage (at most 65535 are written)",
            attrs.len()
        )));
    }
    let mut huge = Vec::with_capacity(attrs.len());
    let mut names = Vec::with_capacity(attrs.len());
    let mut bytes = 0u64;
    for (id, (name, attr)) in (1u64..).zip(attrs) {
        let encoded = attr.encode()?;
        let address = space.alloc.allocate(encoded.len() as u64);
        space.put(address, &encoded)?;
        bytes += encoded.len() as u64;
        huge.push(HugeObject {
            address,
            length: encoded.len() as u64,
            id,
        });
        let record = AttributeName {
            heap_id: HugeObjects::heap_id(id)?,
            flags: 0,
            creation_order: 0,
            hash: AttributeName::hash_of(name),
        };
        names.push((record.hash, name.as_bytes(), record));
    }
    // The name index sorts by hash, then (as libhdf5 compares on equal hashes) by name.
    names.sort_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)));

    let huge_records: Vec<Vec<u8>> = huge.iter().map(HugeObject::encode).collect();
    let huge_tree = write_tree(space, HugeObject::TYPE, HugeObject::SIZE, &huge_records)?;
    let name_records: Vec<Vec<u8>> = names.iter().map(|n| n.2.encode()).collect();
    let name_index = write_tree(
        space,
        AttributeName::TYPE,
        AttributeName::SIZE,
        &name_records,
    )?;

    let header = HugeObjects {
        btree: huge_tree,
        count: huge.len() as u64,
        bytes,
        last_id: huge.len() as u64,
    }
    .encode_header();
    debug_assert_eq!(header.len(), HEAP_HEADER_LEN);
    let heap = space.alloc.allocate(header.len() as u64);
    space.put(heap, &header)?;
    Ok(AttributeInfo {
        max_creation_index: None,
        fractal_heap: heap,
        name_index,
        creation_order_index: None,
    })
}

/// Writes a single-leaf v2 B-tree of `records`; returns the header's address.
fn write_tree(
    space: &mut Space<'_>,
    record_type: u8,
    size: u16,
    records: &[Vec<u8>],
) -> Result<u64> {
    let (mut tree, node) = BTreeV2::single_leaf(record_type, size, records)?;
    tree.address = space.alloc.allocate(BTREE_HEADER_LEN as u64);
    if !records.is_empty() {
        tree.root = space.alloc.allocate(node.len() as u64);
        space.put(tree.root, &node)?;
    }
    space.put(tree.address, &tree.encode())?;
    Ok(tree.address)
}

/// The extents of the dense attribute storage of the committed object `header`: the
/// heap and its huge objects, the name and creation order indexes. `Some(empty)`
/// without dense storage; `None` when the heap has structures not listed (see
/// [`FractalHeap::extents`]).
pub(crate) fn extents(file: &File, header: &ObjectHeader) -> Result<Option<Vec<(u64, u64)>>> {
    let ctx = file.ctx();
    let Some(m) = header.find(kind::ATTRIBUTE_INFO) else {
        return Ok(Some(Vec::new()));
    };
    let info = AttributeInfo::decode(&mut ctx.cursor(&m.data, m.offset, "attribute info message"))?;
    if info.fractal_heap == UNDEF {
        return Ok(Some(Vec::new()));
    }
    let Some(mut out) = FractalHeap::read(ctx, info.fractal_heap)?.extents(ctx)? else {
        return Ok(None);
    };
    for tree in [Some(info.name_index), info.creation_order_index]
        .into_iter()
        .flatten()
        .filter(|&a| a != UNDEF)
    {
        let tree = BTreeV2::read(ctx, tree)?;
        out.push((tree.address, tree.header_len(ctx)));
        let (_, nodes) = tree.records_and_nodes(ctx)?;
        out.extend(nodes.into_iter().map(|a| (a, u64::from(tree.node_size))));
    }
    Ok(Some(out))
}
