//! Encoding version 1 B-tree nodes (spec III.A.1): 8-byte offsets and lengths, each node
//! zero-filled to its full size for K (2K + 1 keys and 2K children), as libhdf5 reads and
//! rewrites whole node images.

use super::{CHUNK, GROUP};
use crate::error::{Error, Result};
use crate::format::MAX_RANK;

/// Level and sibling addresses of a node being encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NodeLinks {
    /// 0 for leaves; one more than the children's level otherwise.
    pub level: u8,
    /// The node to the left on the same level, or [`UNDEF`](crate::format::UNDEF).
    pub left: u64,
    /// The node to the right on the same level, or [`UNDEF`](crate::format::UNDEF).
    pub right: u64,
}

/// A chunk B-tree key (8-byte offsets).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChunkKey {
    /// Stored (filtered) size of the chunk to the right of the key; 0 for a final key.
    pub size: u32,
    /// Filter mask of that chunk.
    pub filter_mask: u32,
    /// Chunk offset in elements, one per dataset dimension.
    pub offset: Vec<u64>,
    /// The trailing offset of the element-size dimension: 0, except that libhdf5 puts the
    /// element size there in a tree's right-most key.
    pub element_offset: u64,
}

/// Bytes of the fixed part of a node: signature, type, level, entries, siblings.
const NODE_HEADER_LEN: u64 = 24;

/// Bytes of a node with `2k` children and `2k + 1` keys of `key_len` bytes.
fn node_len(k: u16, key_len: u64) -> u64 {
    let k = u64::from(k);
    NODE_HEADER_LEN + (2 * k + 1) * key_len + 2 * k * 8
}

/// Bytes of a group node (type 0) for K = `k`: 544 for K = 16.
pub fn group_node_len(k: u16) -> u64 {
    node_len(k, 8)
}

/// Bytes of a chunk key for a dataset of rank `rank`.
pub fn chunk_key_len(rank: usize) -> u64 {
    8 + 8 * (rank as u64 + 1)
}

/// Bytes of a chunk node (type 1) for K = `k` and rank `rank`: 2096 for K = 32, rank 1.
pub fn chunk_node_len(k: u16, rank: usize) -> u64 {
    node_len(k, chunk_key_len(rank))
}

/// A node being encoded in place, entry by entry: key, child, key, …, child, key. Its
/// header (and so its count of children) is written first; [`finish`](Self::finish)
/// checks that the entries match it.
pub(crate) struct NodeWriter {
    bytes: Vec<u8>,
    node_type: u8,
    k: u16,
    key_len: u64,
    used: usize,
    keys: usize,
    children: usize,
}

impl NodeWriter {
    /// A node of type `node_type` with `used` children (at most 2K) and keys of `key_len`
    /// bytes.
    pub(crate) fn new(
        node_type: u8,
        links: NodeLinks,
        used: usize,
        key_len: u64,
        k: u16,
    ) -> Result<Self> {
        let what = kind_name(node_type);
        if k == 0 || used > 2 * usize::from(k) {
            return Err(Error::unsupported(format!(
                "writing a {what} B-tree node with {used} children for K {k}"
            )));
        }
        // used <= 2 * k <= 131070: this fits unless K > 32767.
        let entries = u16::try_from(used).map_err(|_| {
            Error::unsupported(format!(
                "writing a {what} B-tree node of over 65535 children"
            ))
        })?;
        let mut bytes = Vec::with_capacity(node_len(k, key_len) as usize);
        bytes.extend_from_slice(b"TREE");
        bytes.push(node_type);
        bytes.push(links.level);
        bytes.extend_from_slice(&entries.to_le_bytes());
        bytes.extend_from_slice(&links.left.to_le_bytes());
        bytes.extend_from_slice(&links.right.to_le_bytes());
        Ok(NodeWriter {
            bytes,
            node_type,
            k,
            key_len,
            used,
            keys: 0,
            children: 0,
        })
    }

    /// A chunk node (type 1) of a dataset of rank `rank` with `used` children.
    pub(crate) fn chunk(links: NodeLinks, used: usize, k: u16, rank: usize) -> Result<Self> {
        if rank == 0 || rank > MAX_RANK {
            return Err(Error::unsupported(format!(
                "writing a chunk B-tree node of rank {rank}"
            )));
        }
        Self::new(CHUNK, links, used, chunk_key_len(rank), k)
    }

    /// Appends the next key, which `put` writes.
    fn key(&mut self, put: impl FnOnce(&mut Vec<u8>)) {
        put(&mut self.bytes);
        self.keys += 1;
    }

    /// Appends the next chunk key: the chunk's stored size, filter mask and offset,
    /// then `element_offset`.
    pub(crate) fn chunk_key(
        &mut self,
        size: u32,
        filter_mask: u32,
        offset: &[u64],
        element_offset: u64,
    ) {
        self.key(|b| put_chunk_key(b, size, filter_mask, offset, element_offset));
    }

    /// Appends the next child address.
    pub(crate) fn child(&mut self, address: u64) {
        self.bytes.extend_from_slice(&address.to_le_bytes());
        self.children += 1;
    }

    /// The node, zero-filled to its full size; an error unless it got the `used`
    /// children of its header, one more key, and keys of the size it was made for.
    pub(crate) fn finish(mut self) -> Result<Vec<u8>> {
        let what = kind_name(self.node_type);
        if self.children != self.used || self.keys != self.used + 1 {
            return Err(Error::unsupported(format!(
                "writing a {what} B-tree node with {} children and {} keys",
                self.children, self.keys
            )));
        }
        let written = NODE_HEADER_LEN + self.keys as u64 * self.key_len + self.used as u64 * 8;
        if self.bytes.len() as u64 != written {
            return Err(Error::unsupported(format!(
                "writing a {what} B-tree node with keys of the wrong size"
            )));
        }
        self.bytes
            .resize(node_len(self.k, self.key_len) as usize, 0);
        Ok(self.bytes)
    }
}

fn kind_name(node_type: u8) -> &'static str {
    if node_type == GROUP {
        "group"
    } else {
        "chunk"
    }
}

/// Encodes a node of `keys` keys of `key_len` bytes each, one more than `children`:
/// `put_key(i, b)` appends key `i` to `b`.
fn encode_node(
    node_type: u8,
    links: NodeLinks,
    keys: usize,
    key_len: u64,
    children: &[u64],
    k: u16,
    put_key: impl Fn(usize, &mut Vec<u8>),
) -> Result<Vec<u8>> {
    if keys != children.len() + 1 {
        return Err(Error::unsupported(format!(
            "writing a {} B-tree node with {} children and {keys} keys",
            kind_name(node_type),
            children.len(),
        )));
    }
    let mut w = NodeWriter::new(node_type, links, children.len(), key_len, k)?;
    for (i, &child) in children.iter().enumerate() {
        w.key(|b| put_key(i, b));
        w.child(child);
    }
    w.key(|b| put_key(children.len(), b));
    w.finish()
}

/// Encodes a group node (type 0): `keys` are local heap offsets, one more than
/// `children`. Zero-filled to [`group_node_len`]`(k)` bytes.
pub fn encode_group_node(
    links: NodeLinks,
    keys: &[u64],
    children: &[u64],
    k: u16,
) -> Result<Vec<u8>> {
    encode_node(GROUP, links, keys.len(), 8, children, k, |i, b| {
        b.extend_from_slice(&keys[i].to_le_bytes());
    })
}

/// Encodes a chunk node (type 1) of a dataset of rank `rank`: one more key than
/// `children`. Zero-filled to [`chunk_node_len`]`(k, rank)` bytes.
pub fn encode_chunk_node(
    links: NodeLinks,
    keys: &[ChunkKey],
    children: &[u64],
    k: u16,
    rank: usize,
) -> Result<Vec<u8>> {
    if rank == 0 || rank > MAX_RANK || keys.iter().any(|key| key.offset.len() != rank) {
        return Err(Error::unsupported(format!(
            "writing a chunk B-tree node with keys that do not match rank {rank}"
        )));
    }
    encode_node(
        CHUNK,
        links,
        keys.len(),
        chunk_key_len(rank),
        children,
        k,
        |i, b| {
            let key = &keys[i];
            put_chunk_key(
                b,
                key.size,
                key.filter_mask,
                &key.offset,
                key.element_offset,
            );
        },
    )
}

/// Appends a chunk key to `b`.
fn put_chunk_key(
    b: &mut Vec<u8>,
    size: u32,
    filter_mask: u32,
    offset: &[u64],
    element_offset: u64,
) {
    b.extend_from_slice(&size.to_le_bytes());
    b.extend_from_slice(&filter_mask.to_le_bytes());
    for o in offset {
        b.extend_from_slice(&o.to_le_bytes());
    }
    b.extend_from_slice(&element_offset.to_le_bytes());
}
