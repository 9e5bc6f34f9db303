//! Version 1 B-trees "TREE" (spec III.A.1): type 0 (group nodes) and type 1 (raw data
//! chunks).
//!
//! A node is `"TREE" | type | level | entries used (2) | left sibling | right sibling`,
//! then `entries used` (key, child) pairs and one final key. Only the used part of a node
//! is read: the node's allocated size (which depends on K) does not matter for reading.
//! Children of nodes at level > 0 are nodes one level down; children at level 0 are the
//! data (symbol table nodes for type 0, raw data chunks for type 1).

use crate::error::{Error, Result};
use crate::format::chunk_index::ChunkRecord;
use crate::format::{Ctx, Visited, UNDEF};

const STRUCTURE: &str = "v1 B-tree node";

/// Node type 0: the tree indexes a group's symbol table nodes.
const GROUP: u8 = 0;
/// Node type 1: the tree indexes a dataset's raw data chunks.
const CHUNK: u8 = 1;

/// Highest dataset rank a chunk key may describe (libhdf5 allows 32 dimensions).
const MAX_RANK: usize = 32;

/// The SNOD addresses of a group B-tree (type 0), left to right.
pub fn group_symbol_nodes(ctx: &Ctx, address: u64) -> Result<Vec<u64>> {
    // A group key is one heap offset of "size of lengths" bytes.
    let key_size = usize::from(ctx.sizes.lengths);
    let mut out = Vec::new();
    walk(ctx, address, GROUP, key_size, &mut |_key, child| {
        out.push(child);
        Ok(())
    })?;
    Ok(out)
}

/// Every chunk of a chunk B-tree (type 1) of a dataset of rank `rank`, left to right
/// (which is C order of the chunk offsets). `ChunkRecord::offset` is in elements.
///
/// Each chunk is described by the key to its left: chunk size (4), filter mask (4) and
/// `rank + 1` 64-bit offsets, the last of which (for the element dimension) is zero.
pub fn chunk_records(ctx: &Ctx, address: u64, rank: usize) -> Result<Vec<ChunkRecord>> {
    if rank == 0 || rank > MAX_RANK {
        return Err(Error::corrupt(
            STRUCTURE,
            address,
            format!("chunk B-tree for a dataset of rank {rank}"),
        ));
    }
    let key_size = 8 + 8 * (rank + 1);
    let mut out = Vec::new();
    walk(ctx, address, CHUNK, key_size, &mut |key, child| {
        let size = u64::from(le_u32(key, 0));
        let filter_mask = le_u32(key, 4);
        let offset = (0..rank).map(|d| le_u64(key, 8 + 8 * d)).collect();
        out.push(ChunkRecord {
            offset,
            address: child,
            size,
            filter_mask,
        });
        Ok(())
    })?;
    Ok(out)
}

/// A little-endian u32 at `at` of a slice whose length the caller has checked.
fn le_u32(b: &[u8], at: usize) -> u32 {
    b.get(at..at + 4)
        .map(|s| {
            s.iter()
                .rev()
                .fold(0u32, |acc, &x| (acc << 8) | u32::from(x))
        })
        .unwrap_or(0)
}

/// A little-endian u64 at `at` of a slice whose length the caller has checked.
fn le_u64(b: &[u8], at: usize) -> u64 {
    b.get(at..at + 8)
        .map(|s| {
            s.iter()
                .rev()
                .fold(0u64, |acc, &x| (acc << 8) | u64::from(x))
        })
        .unwrap_or(0)
}

/// One decoded node: its level and its (left key, child address) pairs.
struct Node {
    level: u8,
    entries: Vec<(Vec<u8>, u64)>,
}

/// State of one walk over a tree.
struct Walker<'a> {
    ctx: &'a Ctx,
    node_type: u8,
    key_size: usize,
    visited: Visited,
    /// Bytes of nodes still allowed to be read. Nodes of a sound tree never overlap, so
    /// together they fit in the file; a corrupt tree whose nodes overlap runs out.
    budget: u64,
}

impl Walker<'_> {
    /// Reads the node at `address`, checking its signature, type and level.
    fn read_node(&mut self, address: u64, expected_level: Option<u8>) -> Result<Node> {
        self.visited.visit(STRUCTURE, address)?;
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
        let body = ctx.read(body_addr, body_len as u64)?;
        let mut c = ctx.cursor(&body, body_addr, STRUCTURE);
        let mut entries = Vec::with_capacity(used);
        for _ in 0..used {
            let key = c.bytes(self.key_size)?.to_vec();
            let child = c.offset()?;
            if child == UNDEF {
                return Err(c.corrupt("undefined child address"));
            }
            entries.push((key, child));
        }
        Ok(Node { level, entries })
    }

    /// Visits the level-0 entries below `node`, left to right. Levels strictly
    /// decrease, so the recursion is at most 256 deep.
    fn descend(
        &mut self,
        node: Node,
        leaf: &mut dyn FnMut(&[u8], u64) -> Result<()>,
    ) -> Result<()> {
        if node.level == 0 {
            for (key, child) in &node.entries {
                leaf(key, *child)?;
            }
            return Ok(());
        }
        for (_key, child) in node.entries {
            let sub = self.read_node(child, Some(node.level - 1))?;
            self.descend(sub, leaf)?;
        }
        Ok(())
    }
}

/// Visits every (left key, child) pair at level 0 of the tree rooted at `root`, left to
/// right.
fn walk(
    ctx: &Ctx,
    root: u64,
    node_type: u8,
    key_size: usize,
    leaf: &mut dyn FnMut(&[u8], u64) -> Result<()>,
) -> Result<()> {
    let mut w = Walker {
        ctx,
        node_type,
        key_size,
        visited: Visited::default(),
        budget: ctx.source.len(),
    };
    let node = w.read_node(root, None)?;
    w.descend(node, leaf)
}
