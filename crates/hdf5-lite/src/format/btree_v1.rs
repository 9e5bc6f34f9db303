//! Version 1 B-trees "TREE" (spec III.A.1): type 0 (group nodes) and type 1 (raw data
//! chunks).
//!
//! A node is `"TREE" | type | level | entries used (2) | left sibling | right sibling`,
//! then `entries used` (key, child) pairs and one final key. Only the used part of a node
//! is read: the node's allocated size (which depends on K) does not matter for reading.
//! Children of nodes at level > 0 are nodes one level down; children at level 0 are the
//! data (symbol table nodes for type 0, raw data chunks for type 1).
//!
//! The encoders ([`encode_group_node`], [`encode_chunk_node`]) always use 8-byte offsets
//! and lengths and zero-fill each node to its full size for K (2K + 1 keys and 2K
//! children): libhdf5 reads and rewrites whole node images.

use std::borrow::Cow;

use crate::error::{Error, Result};
use crate::format::chunk_index::ChunkRecord;
use crate::format::MAX_RANK;
use crate::format::{Ctx, Visited, UNDEF};

const STRUCTURE: &str = "v1 B-tree node";

/// Node type 0: the tree indexes a group's symbol table nodes.
const GROUP: u8 = 0;
/// Node type 1: the tree indexes a dataset's raw data chunks.
const CHUNK: u8 = 1;

mod encode;
pub(crate) use encode::NodeWriter;
pub use encode::{
    chunk_key_len, chunk_node_len, encode_chunk_node, encode_group_node, group_node_len, ChunkKey,
    NodeLinks,
};

/// The SNOD addresses of a group B-tree (type 0), left to right.
pub fn group_symbol_nodes(ctx: &Ctx, address: u64) -> Result<Vec<u64>> {
    group_tree(ctx, address).map(|(_, snods)| snods)
}

/// The addresses of every node of a group B-tree (type 0), and its SNOD addresses.
pub fn group_tree(ctx: &Ctx, address: u64) -> Result<(Vec<u64>, Vec<u64>)> {
    // A group key is one heap offset of "size of lengths" bytes.
    let key_size = usize::from(ctx.sizes.lengths);
    let mut snods = Vec::new();
    let nodes = walk(
        ctx,
        address,
        GROUP,
        key_size,
        None,
        &mut |_node, _key, child| {
            snods.push(child);
            Ok(())
        },
    )?;
    Ok((nodes, snods))
}

/// The addresses of every node of a chunk B-tree (type 1) of a dataset of rank `rank`,
/// and its chunks.
pub fn chunk_tree(ctx: &Ctx, address: u64, rank: usize) -> Result<(Vec<u64>, Vec<ChunkRecord>)> {
    let mut records = Vec::new();
    let nodes = chunk_walk_into(ctx, address, rank, None, &mut |_leaf, r| {
        records.push(r);
        Ok(())
    })?;
    Ok((nodes, records))
}

/// A chunk as its key in a chunk B-tree (type 1) describes it, borrowed: the chunk's
/// offset (in elements), address, stored size and filter mask.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChunkRef<'a> {
    /// Offset of the chunk's first element, one value per dataset dimension.
    pub offset: &'a [u64],
    /// Address of the stored chunk.
    pub address: u64,
    /// Stored (filtered) size in bytes.
    pub size: u64,
    /// Bit i set: filter i of the pipeline was skipped.
    pub filter_mask: u32,
}

/// Calls `f` with every chunk of a chunk B-tree (type 1) of a dataset of rank `rank`,
/// left to right, without allocating per chunk; returns the addresses of every node of
/// the tree (what [`chunk_tree`] gives, in one walk and without the records' memory).
pub fn walk_chunks(
    ctx: &Ctx,
    address: u64,
    rank: usize,
    f: &mut dyn FnMut(ChunkRef<'_>) -> Result<()>,
) -> Result<Vec<u64>> {
    check_rank(address, rank)?;
    let mut offset = [0u64; MAX_RANK];
    walk(
        ctx,
        address,
        CHUNK,
        chunk_key_len(rank) as usize,
        None,
        &mut |_leaf, key, child| {
            for (d, o) in offset[..rank].iter_mut().enumerate() {
                *o = le_u64(key, 8 + 8 * d);
            }
            f(ChunkRef {
                offset: &offset[..rank],
                address: child,
                size: u64::from(le_u32(key, 0)),
                filter_mask: le_u32(key, 4),
            })
        },
    )
}

/// Calls `f` with every chunk of a chunk B-tree (type 1), as [`chunk_records`] lists
/// them, without collecting them, and the address of the leaf that holds it.
pub fn for_each_chunk(
    ctx: &Ctx,
    address: u64,
    rank: usize,
    f: &mut dyn FnMut(u64, ChunkRecord) -> Result<()>,
) -> Result<()> {
    chunk_walk_into(ctx, address, rank, None, f).map(|_| ())
}

/// The chunks of one leaf (a level-0 node) of a chunk B-tree (type 1), left to right:
/// `leaf` is an address [`for_each_chunk`] passed.
pub fn chunk_leaf(
    ctx: &Ctx,
    leaf: u64,
    rank: usize,
    f: &mut dyn FnMut(ChunkRecord) -> Result<()>,
) -> Result<()> {
    check_rank(leaf, rank)?;
    let mut w = Walker::new(ctx, CHUNK, chunk_key_len(rank) as usize);
    let node = w.read_node(leaf, Some(0))?;
    for i in 0..node.children.len() {
        f(chunk_record(node.key(i), node.children[i], rank))?;
    }
    Ok(())
}

/// Every chunk of a chunk B-tree (type 1) of a dataset of rank `rank`, left to right
/// (which is C order of the chunk offsets). `ChunkRecord::offset` is in elements.
///
/// Each chunk is described by the key to its left: chunk size (4), filter mask (4) and
/// `rank + 1` 64-bit offsets, the last of which (for the element dimension) is zero.
pub fn chunk_records(ctx: &Ctx, address: u64, rank: usize) -> Result<Vec<ChunkRecord>> {
    chunk_walk(ctx, address, rank, None)
}

/// The chunks whose offsets lie in the box `lo..hi` (element coordinates, per
/// dimension), reading only the nodes whose key ranges can hold such chunks.
pub fn chunk_records_in(
    ctx: &Ctx,
    address: u64,
    rank: usize,
    lo: &[u64],
    hi: &[u64],
) -> Result<Vec<ChunkRecord>> {
    chunk_walk(ctx, address, rank, Some((lo, hi)))
}

fn chunk_walk(
    ctx: &Ctx,
    address: u64,
    rank: usize,
    within: Option<(&[u64], &[u64])>,
) -> Result<Vec<ChunkRecord>> {
    let mut out = Vec::new();
    chunk_walk_into(ctx, address, rank, within, &mut |_leaf, r| {
        out.push(r);
        Ok(())
    })?;
    Ok(out)
}

/// Hands the chunks to `out` with the address of their leaf; returns the addresses of
/// the nodes read.
fn chunk_walk_into(
    ctx: &Ctx,
    address: u64,
    rank: usize,
    within: Option<(&[u64], &[u64])>,
    out: &mut dyn FnMut(u64, ChunkRecord) -> Result<()>,
) -> Result<Vec<u64>> {
    check_rank(address, rank)?;
    let key_size = chunk_key_len(rank) as usize;
    let offsets = |key: &[u8]| -> Vec<u64> { (0..rank).map(|d| le_u64(key, 8 + 8 * d)).collect() };
    let prune = |left: Option<&[u8]>, right: Option<&[u8]>| -> bool {
        let Some((lo, hi)) = within else { return true };
        let (a, b) = (left.map(offsets), right.map(offsets));
        interval_meets_box(a.as_deref(), b.as_deref(), lo, hi)
    };
    walk(
        ctx,
        address,
        CHUNK,
        key_size,
        Some(&prune),
        &mut |leaf, key, child| {
            let r = chunk_record(key, child, rank);
            if let Some((lo, hi)) = within {
                if r.offset
                    .iter()
                    .zip(lo.iter().zip(hi))
                    .any(|(o, (l, h))| o < l || o >= h)
                {
                    return Ok(());
                }
            }
            out(leaf, r)
        },
    )
}

/// An error unless a chunk B-tree (at `address`) can serve a dataset of rank `rank`.
fn check_rank(address: u64, rank: usize) -> Result<()> {
    if rank == 0 || rank > MAX_RANK {
        return Err(Error::corrupt(
            STRUCTURE,
            address,
            format!("chunk B-tree for a dataset of rank {rank}"),
        ));
    }
    Ok(())
}

/// The chunk to the right of `key` (a chunk key of a dataset of rank `rank`, whose
/// length the walk has checked), stored at `child`.
fn chunk_record(key: &[u8], child: u64, rank: usize) -> ChunkRecord {
    ChunkRecord {
        offset: (0..rank).map(|d| le_u64(key, 8 + 8 * d)).collect(),
        address: child,
        size: u64::from(le_u32(key, 0)),
        filter_mask: le_u32(key, 4),
    }
}

/// Whether some point `x` of the box `lo..hi` has `a <= x < b` in lexicographic (C)
/// order; a missing bound is unbounded. Exact for well-ordered keys, and `true` (read the
/// node) whenever the keys are out of order.
fn interval_meets_box(a: Option<&[u64]>, b: Option<&[u64]>, lo: &[u64], hi: &[u64]) -> bool {
    // The box's lexicographic extremes are its corners.
    let max_at_least = |a: &[u64]| -> bool {
        let top: Vec<u64> = hi.iter().map(|h| h.saturating_sub(1)).collect();
        top.as_slice() >= a
    };
    let min_below = |b: &[u64]| -> bool { lo < b };
    match (a, b) {
        (None, None) => true,
        (Some(a), None) => max_at_least(a),
        (None, Some(b)) => min_below(b),
        (Some(a), Some(b)) => between(a, b, lo, hi),
    }
}

fn between(a: &[u64], b: &[u64], lo: &[u64], hi: &[u64]) -> bool {
    let (Some((&a0, ar)), Some((&b0, br))) = (a.split_first(), b.split_first()) else {
        return false;
    };
    let (l0, h0) = (lo[0], hi[0]);
    let inside = |v: u64| l0 <= v && v < h0;
    let (lr, hr) = (&lo[1..], &hi[1..]);
    match a0.cmp(&b0) {
        std::cmp::Ordering::Equal => inside(a0) && between(ar, br, lr, hr),
        std::cmp::Ordering::Greater => true,
        std::cmp::Ordering::Less => {
            let full_row = a0.saturating_add(1).max(l0) < b0.min(h0);
            let top: Vec<u64> = hr.iter().map(|h| h.saturating_sub(1)).collect();
            full_row || (inside(a0) && top.as_slice() >= ar) || (inside(b0) && lr < br)
        }
    }
}

/// A little-endian u32 at `at` of a slice whose length the caller has checked.
fn le_u32(b: &[u8], at: usize) -> u32 {
    b.get(at..at + 4)
        .and_then(|s| s.try_into().ok())
        .map_or(0, u32::from_le_bytes)
}

/// A little-endian u64 at `at` of a slice whose length the caller has checked.
fn le_u64(b: &[u8], at: usize) -> u64 {
    b.get(at..at + 8)
        .and_then(|s| s.try_into().ok())
        .map_or(0, u64::from_le_bytes)
}

/// The file address in the first `n` (1 to 8) bytes of `b`, which holds them,
/// little-endian; all ones is [`UNDEF`] (as `Cursor::offset` reads it).
fn le_address(b: &[u8], n: usize) -> u64 {
    if n == 8 {
        // The usual size, read as one word (all ones is UNDEF already).
        return le_u64(b, 0);
    }
    let n = n.min(8).min(b.len());
    let mut le = [0u8; 8];
    le[..n].copy_from_slice(&b[..n]);
    let v = u64::from_le_bytes(le);
    if v == (1u64 << (8 * n)) - 1 {
        UNDEF
    } else {
        v
    }
}

/// One decoded node: its level, its entries as stored (key, child address, ..., the
/// final key) and its child addresses; child `i` lies between keys `i` and `i + 1`.
struct Node<'a> {
    address: u64,
    level: u8,
    key_size: usize,
    /// Bytes of one (key, child address) entry.
    entry_size: usize,
    body: Cow<'a, [u8]>,
    children: Vec<u64>,
}

impl Node<'_> {
    /// Key `i` (`i <= children.len()`).
    fn key(&self, i: usize) -> &[u8] {
        &self.body[i * self.entry_size..][..self.key_size]
    }
}

/// Which children of an internal node to visit: called with the keys on either side of
/// a child (`None` where a bound is not to be trusted), it says whether the child can
/// hold anything wanted.
type Prune<'a> = &'a dyn Fn(Option<&[u8]>, Option<&[u8]>) -> bool;

/// Called with each level-0 entry: the leaf's address, the entry's left key and its
/// child.
type Leaf<'a> = &'a mut dyn FnMut(u64, &[u8], u64) -> Result<()>;

/// State of one walk over a tree.
struct Walker<'a> {
    ctx: &'a Ctx,
    node_type: u8,
    key_size: usize,
    visited: Visited,
    /// Bytes of nodes still allowed to be read. Nodes of a sound tree never overlap, so
    /// together they fit in the file; a corrupt tree whose nodes overlap runs out.
    budget: u64,
    /// Every node read, in order.
    nodes: Vec<u64>,
}

impl<'a> Walker<'a> {
    /// A walk over `ctx` of nodes of type `node_type` with keys of `key_size` bytes.
    fn new(ctx: &'a Ctx, node_type: u8, key_size: usize) -> Self {
        Walker {
            ctx,
            node_type,
            key_size,
            visited: Visited::default(),
            budget: ctx.source.len(),
            nodes: Vec::new(),
        }
    }

    /// Reads the node at `address`, checking its signature, type and level.
    fn read_node(&mut self, address: u64, expected_level: Option<u8>) -> Result<Node<'a>> {
        self.visited.visit(STRUCTURE, address)?;
        self.nodes.push(address);
        let ctx = self.ctx;
        let o = usize::from(ctx.sizes.offsets);
        let header_len = 8 + 2 * o;
        let head = ctx.read(address, header_len as u64)?;
        let mut c = ctx.cursor(&head, address, STRUCTURE);
        c.signature(b"TREE")?;
        let found_type = c.u8()?;
        if found_type != self.node_type {
            return Err(c.corrupt(format!(
                "node type {found_type}, expected {}",
                self.node_type
            )));
        }
        let level = c.u8()?;
        if let Some(expected) = expected_level {
            if level != expected {
                return Err(c.corrupt(format!(
                    "node at level {level} where level {expected} was expected"
                )));
            }
        }
        let used = usize::from(c.u16()?);
        if used == 0 && expected_level.is_some() {
            return Err(c.corrupt("empty non-root node"));
        }
        let _left = c.offset()?;
        let _right = c.offset()?;

        // `used` (key, child) pairs and the final key; `ctx.read` fails if the file does
        // not hold them.
        let body_len = used
            .checked_mul(self.key_size + o)
            .and_then(|n| n.checked_add(self.key_size))
            .ok_or_else(|| c.corrupt(format!("{used} entries overflow")))?;
        let total = (header_len + body_len) as u64;
        self.budget = self
            .budget
            .checked_sub(total)
            .ok_or_else(|| c.corrupt("nodes overlap: more node bytes than the file holds"))?;
        let body_addr = address
            .checked_add(header_len as u64)
            .ok_or_else(|| c.corrupt("node address overflows"))?;
        // Read whole (`ctx.read` has checked its length); the keys stay where they are,
        // key `i + 1` always the key to the right of child `i`.
        let body = ctx.read(body_addr, body_len as u64)?;
        let entry_size = self.key_size + o;
        let mut children = Vec::with_capacity(used);
        // Each entry is a key then an `o`-byte address, `o` being 2, 4 or 8 (checked
        // with the superblock).
        for (i, entry) in body.chunks_exact(entry_size).take(used).enumerate() {
            let child = le_address(&entry[self.key_size..], o);
            if child == UNDEF {
                let at = body_addr + (i * entry_size + self.key_size) as u64;
                let c = ctx.cursor(&entry[self.key_size..], at, STRUCTURE);
                return Err(c.corrupt("undefined child address"));
            }
            children.push(child);
        }
        Ok(Node {
            address,
            level,
            key_size: self.key_size,
            entry_size,
            body,
            children,
        })
    }

    /// Visits the level-0 entries below `node`, left to right. Levels strictly
    /// decrease, so the recursion is at most 256 deep.
    fn descend(&mut self, node: Node<'_>, prune: Option<Prune<'_>>, leaf: Leaf<'_>) -> Result<()> {
        let children = node.children.len();
        if node.level == 0 {
            for (i, &child) in node.children.iter().enumerate() {
                leaf(node.address, node.key(i), child)?;
            }
            return Ok(());
        }
        for i in 0..children {
            if let Some(wanted) = prune {
                // libhdf5 never updates a node's right-most key after the first insert,
                // so the last child has no trusted upper bound (and, to be safe, the
                // first child no lower one).
                let left = (i > 0).then(|| node.key(i));
                let right = (i + 1 < children).then(|| node.key(i + 1));
                if !wanted(left, right) {
                    continue;
                }
            }
            let sub = self.read_node(node.children[i], Some(node.level - 1))?;
            self.descend(sub, prune, leaf)?;
        }
        Ok(())
    }
}

/// Visits every (left key, child) pair at level 0 of the tree rooted at `root`, left to
/// right, with the address of its leaf.
fn walk(
    ctx: &Ctx,
    root: u64,
    node_type: u8,
    key_size: usize,
    prune: Option<Prune<'_>>,
    leaf: Leaf<'_>,
) -> Result<Vec<u64>> {
    let mut w = Walker::new(ctx, node_type, key_size);
    let node = w.read_node(root, None)?;
    w.descend(node, prune, leaf)?;
    Ok(w.nodes)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests;
