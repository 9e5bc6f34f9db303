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

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::format::chunk_index::testutil::{Bytes, Image};

    /// A node: header, then (key, child) pairs, then the last key.
    fn node(kind: u8, level: u8, keys: &[Vec<u8>], children: &[u64]) -> Vec<u8> {
        let mut b = Bytes::new()
            .raw(b"TREE")
            .u8(kind)
            .u8(level)
            .u16(children.len() as u16)
            .u64(UNDEF)
            .u64(UNDEF);
        for (k, c) in keys.iter().zip(children) {
            b = b.raw(k).u64(*c);
        }
        b.raw(&keys[children.len()]).0
    }

    fn heap_keys(n: usize) -> Vec<Vec<u8>> {
        (0..n)
            .map(|i| (8 * i as u64).to_le_bytes().to_vec())
            .collect()
    }

    /// A chunk key: size, mask, offsets (plus the trailing 0).
    fn chunk_key(size: u32, mask: u32, offset: &[u64]) -> Vec<u8> {
        let mut b = Bytes::new().u32(size).u32(mask);
        for &o in offset {
            b = b.u64(o);
        }
        b.u64(0).0
    }

    /// Root (level 1) at 100 with two leaves at 300 and 500.
    fn group_tree() -> Image {
        let mut img = Image::default();
        img.put(100, &node(0, 1, &heap_keys(3), &[300, 500]));
        img.put(300, &node(0, 0, &heap_keys(3), &[1000, 1100]));
        img.put(500, &node(0, 0, &heap_keys(2), &[1200]));
        img.put(1300, &[0]);
        img
    }

    #[test]
    fn group_tree_lists_symbol_nodes_left_to_right() {
        let img = group_tree();
        let got = group_symbol_nodes(&img.ctx(), 100).unwrap();
        assert_eq!(got, vec![1000, 1100, 1200]);
    }

    #[test]
    fn chunk_tree_decodes_keys() {
        let mut img = Image::default();
        let keys = vec![
            chunk_key(40, 0, &[0, 0]),
            chunk_key(37, 2, &[0, 10]),
            chunk_key(0, 0, &[10, 0]),
        ];
        img.put(0, &node(1, 0, &keys, &[4000, 4040]));
        img.put(5000, &[0]);
        let got = chunk_records(&img.ctx(), 0, 2).unwrap();
        assert_eq!(
            got,
            vec![
                ChunkRecord {
                    offset: vec![0, 0],
                    address: 4000,
                    size: 40,
                    filter_mask: 0
                },
                ChunkRecord {
                    offset: vec![0, 10],
                    address: 4040,
                    size: 37,
                    filter_mask: 2
                },
            ]
        );
    }

    #[test]
    fn rejects_bad_signature_type_and_truncation() {
        let mut img = group_tree();
        img.put(300, b"TRE!");
        let err = group_symbol_nodes(&img.ctx(), 100).unwrap_err();
        assert!(matches!(err, Error::Corrupt { offset: 300, .. }), "{err}");

        // A group tree read as a chunk tree.
        let img = group_tree();
        let err = chunk_records(&img.ctx(), 100, 2).unwrap_err();
        assert!(err.to_string().contains("node type 0"), "{err}");

        // Entries used larger than the file holds.
        let mut img = group_tree();
        img.0.truncate(520);
        let err = group_symbol_nodes(&img.ctx(), 100).unwrap_err();
        assert!(matches!(err, Error::OutOfBounds { .. }), "{err}");
    }

    #[test]
    fn rejects_cycles_and_level_jumps() {
        let mut img = group_tree();
        // The second leaf points back to the root.
        img.put(100, &node(0, 1, &heap_keys(3), &[300, 100]));
        let err = group_symbol_nodes(&img.ctx(), 100).unwrap_err();
        assert!(matches!(err, Error::Cycle { offset: 100, .. }), "{err}");

        // A level-2 root whose child is a leaf.
        let mut img = group_tree();
        img.put(100, &node(0, 2, &heap_keys(3), &[300, 500]));
        let err = group_symbol_nodes(&img.ctx(), 100).unwrap_err();
        assert!(err.to_string().contains("level 1 was expected"), "{err}");
    }

    #[test]
    fn four_byte_offsets_and_lengths() {
        // A leaf group node with 4-byte fields: header 16 bytes, keys of 4 bytes.
        let mut img = Image::default();
        let leaf = Bytes::new()
            .raw(b"TREE")
            .u8(0)
            .u8(0)
            .u16(2)
            .u32(u32::MAX)
            .u32(u32::MAX)
            .u32(0)
            .u32(640)
            .u32(8)
            .u32(720)
            .u32(16);
        img.put(40, &leaf.0);
        let mut ctx = img.ctx();
        ctx.sizes = crate::format::Sizes {
            offsets: 4,
            lengths: 4,
        };
        assert_eq!(group_symbol_nodes(&ctx, 40).unwrap(), vec![640, 720]);
    }

    #[test]
    fn bad_rank_is_an_error() {
        let img = group_tree();
        assert!(chunk_records(&img.ctx(), 100, 0).is_err());
        assert!(chunk_records(&img.ctx(), 100, 33).is_err());
    }
}
