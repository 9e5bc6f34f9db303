//! Version 2 B-trees "BTHD", "BTIN", "BTLF" (spec III.A.2).
//!
//! The header gives the node size, record size, depth and root; internal nodes hold
//! records interleaved with child pointers `(address, records in child, [total records
//! below child])`, leaves hold only records. The byte widths of the child-pointer counts
//! follow from the maximum number of records each level can hold (computed as libhdf5's
//! `H5B2__hdr_init` does, see `LevelInfo`). Every header and node ends with a lookup3
//! checksum over the bytes before it.
//!
//! Encoding writes trees of a single leaf ([`BTreeV2::single_leaf`]), which is all the
//! writer needs (dense attributes of one object). `records` holds the record types.

use crate::error::{Error, Result};
use crate::format::checksum::{lookup3, verify_at};
use crate::format::{Ctx, Visited, UNDEF};

const HEADER: &str = "v2 B-tree header";
const INTERNAL: &str = "v2 B-tree internal node";
const LEAF: &str = "v2 B-tree leaf node";

/// Signature, version, type and checksum: the bytes every node spends besides records
/// and child pointers.
const NODE_OVERHEAD: u64 = 10;

/// Node size libhdf5 gives the trees of dense attributes and huge objects.
const DEFAULT_NODE_SIZE: u32 = 512;

/// Bytes of an encoded header with 8-byte offsets and lengths.
pub const HEADER_LEN: usize = 38;

/// Deepest tree accepted. A tree of depth 12 with the smallest useful nodes already holds
/// more records than any file can.
const MAX_DEPTH: u16 = 32;

/// A v2 B-tree header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BTreeV2 {
    /// Address of the header.
    pub address: u64,
    /// Record type (5 link names, 6 link creation order, 8 attribute names, 9 attribute
    /// creation order, 10 unfiltered chunks, 11 filtered chunks, …).
    pub record_type: u8,
    /// Bytes per record.
    pub record_size: u16,
    /// Bytes per node.
    pub node_size: u32,
    /// Depth of the tree: 0 when the root is a leaf.
    pub depth: u16,
    /// Address of the root node, UNDEF when the tree is empty.
    pub root: u64,
    /// Records in the root node.
    pub root_records: u16,
    /// Records in the whole tree.
    pub total_records: u64,
}

/// Per-level capacities, as libhdf5 derives them from the node and record sizes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct LevelInfo {
    /// Most records a node at this level holds.
    max_records: u64,
    /// Most records a node at this level and everything below it hold.
    cumulative_max: u64,
    /// Bytes of the "total records" field in pointers to nodes at this level (0 for
    /// leaves, whose parents do not store it).
    cumulative_size: usize,
}

/// Bytes needed to encode values up to `n`: `floor(log2 n) / 8 + 1`.
fn encoded_size(n: u64) -> usize {
    let log2 = if n == 0 { 0 } else { 63 - n.leading_zeros() };
    (log2 / 8 + 1) as usize
}

impl BTreeV2 {
    /// Reads the header at `address`, verifying its checksum.
    pub fn read(ctx: &Ctx, address: u64) -> Result<Self> {
        let o = u64::from(ctx.sizes.offsets);
        let l = u64::from(ctx.sizes.lengths);
        let len = 16 + o + 2 + l + 4;
        let bytes = ctx.read(address, len)?;
        let mut c = ctx.cursor(&bytes, address, HEADER);
        c.signature(b"BTHD")?;
        let version = c.u8()?;
        if version != 0 {
            return Err(c.corrupt(format!("version {version}")));
        }
        let record_type = c.u8()?;
        let node_size = c.u32()?;
        let record_size = c.u16()?;
        let depth = c.u16()?;
        let _split = c.u8()?;
        let _merge = c.u8()?;
        let root = c.offset()?;
        let root_records = c.u16()?;
        let total_records = c.length()?;
        verify_at(ctx, &bytes, c.pos(), address, HEADER)?;
        let tree = BTreeV2 {
            address,
            record_type,
            record_size,
            node_size,
            depth,
            root,
            root_records,
            total_records,
        };
        if record_size == 0 {
            return Err(Error::corrupt(
                HEADER,
                ctx.base.saturating_add(address),
                "record size 0",
            ));
        }
        if depth > MAX_DEPTH {
            return Err(Error::corrupt(
                HEADER,
                ctx.base.saturating_add(address),
                format!("depth {depth} (at most {MAX_DEPTH} supported)"),
            ));
        }
        // Checks the sizes now, so that `records` only fails on the nodes.
        tree.levels(ctx)?;
        Ok(tree)
    }

    /// Bytes of the header, checksum included.
    pub fn header_len(&self, ctx: &Ctx) -> u64 {
        16 + u64::from(ctx.sizes.offsets) + 2 + u64::from(ctx.sizes.lengths) + 4
    }

    /// Capacities of levels 0 (leaves) to `depth` (the root).
    fn levels(&self, ctx: &Ctx) -> Result<Vec<LevelInfo>> {
        let bad =
            |reason: String| Error::corrupt(HEADER, ctx.base.saturating_add(self.address), reason);
        let node = u64::from(self.node_size);
        let rec = u64::from(self.record_size);
        let leaf_max = node.saturating_sub(NODE_OVERHEAD) / rec;
        if leaf_max == 0 {
            return Err(bad(format!(
                "nodes of {node} bytes cannot hold a record of {rec} bytes"
            )));
        }
        let mut levels = vec![LevelInfo {
            max_records: leaf_max,
            cumulative_max: leaf_max,
            cumulative_size: 0,
        }];
        // libhdf5 sizes every "records in child" field for the leaves' maximum, the
        // largest of all levels.
        let count_size = encoded_size(leaf_max) as u64;
        for u in 1..=usize::from(self.depth) {
            let below = levels[u - 1];
            let pointer = u64::from(ctx.sizes.offsets)
                + count_size
                + if u > 1 {
                    below.cumulative_size as u64
                } else {
                    0
                };
            let max_records = node.saturating_sub(NODE_OVERHEAD + pointer) / (rec + pointer);
            if max_records == 0 {
                return Err(bad(format!(
                    "internal nodes of {node} bytes at level {u} cannot hold a record"
                )));
            }
            let cumulative_max = (max_records + 1)
                .checked_mul(below.cumulative_max)
                .and_then(|n| n.checked_add(max_records))
                .ok_or_else(|| bad(format!("depth {} overflows the record count", self.depth)))?;
            levels.push(LevelInfo {
                max_records,
                cumulative_max,
                cumulative_size: encoded_size(cumulative_max),
            });
        }
        Ok(levels)
    }

    /// Every record's raw bytes, in key order.
    pub fn records(&self, ctx: &Ctx) -> Result<Vec<Vec<u8>>> {
        Ok(self.records_and_nodes(ctx)?.0)
    }

    /// Every record's raw bytes, in key order, and the address of every node (each
    /// `node_size` bytes long).
    pub fn records_and_nodes(&self, ctx: &Ctx) -> Result<(Vec<Vec<u8>>, Vec<u64>)> {
        if self.root == UNDEF || self.total_records == 0 {
            return Ok((Vec::new(), Vec::new()));
        }
        // Records of a sound tree sit in disjoint nodes, so together they fit in the file.
        let fits = self
            .total_records
            .checked_mul(u64::from(self.record_size))
            .is_some_and(|n| n <= ctx.source.len());
        if !fits {
            return Err(Error::corrupt(
                HEADER,
                ctx.base.saturating_add(self.address),
                format!("{} records cannot fit in the file", self.total_records),
            ));
        }
        let levels = self.levels(ctx)?;
        let mut walk = Walk {
            tree: self,
            ctx,
            levels,
            count_size: 0,
            visited: Visited::default(),
            out: Vec::new(),
            nodes: Vec::new(),
        };
        walk.count_size = walk
            .levels
            .first()
            .map_or(1, |l| encoded_size(l.max_records));
        walk.node(self.root, self.depth, u64::from(self.root_records))?;
        let (out, nodes) = (walk.out, walk.nodes);
        if out.len() as u64 != self.total_records {
            return Err(Error::corrupt(
                HEADER,
                ctx.base.saturating_add(self.address),
                format!(
                    "header counts {} records, the nodes hold {}",
                    self.total_records,
                    out.len()
                ),
            ));
        }
        Ok((out, nodes))
    }

    /// A tree of `records` (each `record_size` bytes, already in key order) in a single
    /// leaf: the header, whose `address` and `root` are UNDEF until the caller places
    /// the header and (when there are records) the leaf, and the leaf node, `node_size`
    /// bytes long. The node size is libhdf5's 512 bytes, or more
    /// when the records need it. More than 65535 records (the header's count of records
    /// in the root) would need internal nodes, which are not written: an error.
    pub fn single_leaf(
        record_type: u8,
        record_size: u16,
        records: &[Vec<u8>],
    ) -> Result<(BTreeV2, Vec<u8>)> {
        let count = u16::try_from(records.len()).map_err(|_| {
            Error::unsupported(format!(
                "{} records in one v2 B-tree leaf (at most 65535 are written)",
                records.len()
            ))
        })?;
        let content = NODE_OVERHEAD as usize + records.len() * usize::from(record_size);
        let node_size = u32::try_from(content.max(DEFAULT_NODE_SIZE as usize))
            .map_err(|_| Error::unsupported(format!("a v2 B-tree leaf of {content} bytes")))?;
        let mut node = Vec::with_capacity(node_size as usize);
        node.extend_from_slice(b"BTLF");
        node.push(0); // version
        node.push(record_type);
        for r in records {
            if r.len() != usize::from(record_size) {
                return Err(Error::InvalidInput(format!(
                    "a v2 B-tree record of {} bytes in a tree of {record_size}-byte records",
                    r.len()
                )));
            }
            node.extend_from_slice(r);
        }
        node.extend_from_slice(&lookup3(&node, 0).to_le_bytes());
        node.resize(node_size as usize, 0);
        let tree = BTreeV2 {
            address: UNDEF,
            record_type,
            record_size,
            node_size,
            depth: 0,
            root: UNDEF,
            root_records: count,
            total_records: u64::from(count),
        };
        Ok((tree, node))
    }

    /// Encodes the header (8-byte offsets and lengths), with libhdf5's split (100%) and
    /// merge (40%) percentages.
    pub fn encode(&self) -> Vec<u8> {
        let mut b = Vec::with_capacity(HEADER_LEN);
        b.extend_from_slice(b"BTHD");
        b.push(0); // version
        b.push(self.record_type);
        b.extend_from_slice(&self.node_size.to_le_bytes());
        b.extend_from_slice(&self.record_size.to_le_bytes());
        b.extend_from_slice(&self.depth.to_le_bytes());
        b.push(100); // split percent
        b.push(40); // merge percent
        b.extend_from_slice(&self.root.to_le_bytes());
        b.extend_from_slice(&self.root_records.to_le_bytes());
        b.extend_from_slice(&self.total_records.to_le_bytes());
        b.extend_from_slice(&lookup3(&b, 0).to_le_bytes());
        b
    }
}

/// State of one in-order traversal.
struct Walk<'a> {
    tree: &'a BTreeV2,
    ctx: &'a Ctx,
    levels: Vec<LevelInfo>,
    /// Bytes of every "records in child" field.
    count_size: usize,
    visited: Visited,
    out: Vec<Vec<u8>>,
    /// Address of every node visited.
    nodes: Vec<u64>,
}

impl Walk<'_> {
    /// Appends the records of the node at `address`, at `depth` (0 = leaf), holding
    /// `nrec` records (as its parent or the header says).
    fn node(&mut self, address: u64, depth: u16, nrec: u64) -> Result<()> {
        let ctx = self.ctx;
        let structure = if depth == 0 { LEAF } else { INTERNAL };
        let bad =
            |reason: String| Error::corrupt(structure, ctx.base.saturating_add(address), reason);
        if address == UNDEF {
            return Err(bad("undefined child address".into()));
        }
        self.visited.visit(structure, address)?;
        self.nodes.push(address);
        let level = usize::from(depth);
        let info = *self
            .levels
            .get(level)
            .ok_or_else(|| bad(format!("depth {depth} beyond the tree's")))?;
        if nrec > info.max_records {
            return Err(bad(format!(
                "{nrec} records, at most {} fit",
                info.max_records
            )));
        }
        let rec = u64::from(self.tree.record_size);
        let o = usize::from(ctx.sizes.offsets);
        let total_size = if depth > 1 {
            self.levels.get(level - 1).map_or(0, |l| l.cumulative_size)
        } else {
            0
        };
        let pointer = (o + self.count_size + total_size) as u64;
        let pointers = if depth > 0 { (nrec + 1) * pointer } else { 0 };
        // `nrec` is at most the level's capacity, so this cannot overflow.
        let len = 6 + nrec * rec + pointers + 4;
        if len > u64::from(self.tree.node_size) {
            return Err(bad(format!(
                "{len} bytes of node content, nodes are {} bytes",
                self.tree.node_size
            )));
        }
        let bytes = ctx.read(address, len)?;
        let mut c = ctx.cursor(&bytes, address, structure);
        c.signature(if depth == 0 { b"BTLF" } else { b"BTIN" })?;
        let version = c.u8()?;
        if version != 0 {
            return Err(c.corrupt(format!("version {version}")));
        }
        let node_type = c.u8()?;
        if node_type != self.tree.record_type {
            return Err(c.corrupt(format!(
                "node type {node_type} in a tree of type {}",
                self.tree.record_type
            )));
        }
        let mut records = Vec::new();
        for _ in 0..nrec {
            records.push(c.bytes(usize::from(self.tree.record_size))?);
        }
        let mut children = Vec::new();
        if depth > 0 {
            for _ in 0..=nrec {
                let child = c.offset()?;
                let child_nrec = c.uint(self.count_size)?;
                if total_size > 0 {
                    let _all = c.uint(total_size)?;
                }
                children.push((child, child_nrec));
            }
        }
        verify_at(ctx, &bytes, c.pos(), address, structure)?;

        if depth == 0 {
            self.push_all(records.iter().map(|r| r.to_vec()))?;
            return Ok(());
        }
        let mut records = records.into_iter();
        for (i, (child, child_nrec)) in children.into_iter().enumerate() {
            self.node(child, depth - 1, child_nrec)?;
            if i < nrec as usize {
                self.push_all(records.next().map(|r| r.to_vec()))?;
            }
        }
        Ok(())
    }

    /// Appends records, refusing more than the header announced.
    fn push_all(&mut self, records: impl IntoIterator<Item = Vec<u8>>) -> Result<()> {
        for r in records {
            if self.out.len() as u64 >= self.tree.total_records {
                return Err(Error::corrupt(
                    HEADER,
                    self.ctx.base.saturating_add(self.tree.address),
                    format!(
                        "the nodes hold more than the {} records the header counts",
                        self.tree.total_records
                    ),
                ));
            }
            self.out.push(r);
        }
        Ok(())
    }
}

pub mod records;
#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests;
