//! Version 2 B-trees "BTHD", "BTIN", "BTLF" (spec III.A.2).
//!
//! The header gives the node size, record size, depth and root; internal nodes hold
//! records interleaved with child pointers `(address, records in child, [total records
//! below child])`, leaves hold only records. The byte widths of the child-pointer counts
//! follow from the maximum number of records each level can hold (computed as libhdf5's
//! `H5B2__hdr_init` does, see `LevelInfo`). Every header and node ends with a lookup3
//! checksum over the bytes before it.

use crate::error::{Error, Result};
use crate::format::checksum::verify_at;
use crate::format::{Ctx, Visited, UNDEF};

const HEADER: &str = "v2 B-tree header";
const INTERNAL: &str = "v2 B-tree internal node";
const LEAF: &str = "v2 B-tree leaf node";

/// Signature, version, type and checksum: the bytes every node spends besides records
/// and child pointers.
const NODE_OVERHEAD: u64 = 10;

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
        if self.root == UNDEF || self.total_records == 0 {
            return Ok(Vec::new());
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
        };
        walk.count_size = walk
            .levels
            .first()
            .map_or(1, |l| encoded_size(l.max_records));
        walk.node(self.root, self.depth, u64::from(self.root_records))?;
        let out = walk.out;
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
        Ok(out)
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

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::format::chunk_index::testutil::{Bytes, Image};

    // Node size 64, 4-byte records: leaves hold 13 records, level-1 nodes 3 (pointers of
    // 8 + 1 bytes), level-2 nodes 3 (pointers of 8 + 1 + 1 bytes).
    const NODE: u32 = 64;

    fn header(depth: u16, root: u64, root_nrec: u16, total: u64) -> Vec<u8> {
        Bytes::new()
            .raw(b"BTHD")
            .u8(0)
            .u8(7)
            .u32(NODE)
            .u16(4)
            .u16(depth)
            .u8(100)
            .u8(40)
            .u64(root)
            .u16(root_nrec)
            .u64(total)
            .checksum()
            .0
    }

    fn leaf(records: &[u32]) -> Vec<u8> {
        let mut b = Bytes::new().raw(b"BTLF").u8(0).u8(7);
        for &r in records {
            b = b.u32(r);
        }
        b.checksum().0
    }

    /// An internal node; children are (address, records, total records or None).
    fn internal(records: &[u32], children: &[(u64, u64, Option<u64>)]) -> Vec<u8> {
        let mut b = Bytes::new().raw(b"BTIN").u8(0).u8(7);
        for &r in records {
            b = b.u32(r);
        }
        for &(addr, n, total) in children {
            b = b.u64(addr).uint(n, 1);
            if let Some(t) = total {
                b = b.uint(t, 1);
            }
        }
        b.checksum().0
    }

    /// A depth-2 tree holding 1..=8 in key order.
    fn deep_tree() -> Image {
        let mut img = Image::default();
        img.put(0, &header(2, 1000, 1, 8));
        img.put(
            1000,
            &internal(&[4], &[(2000, 1, Some(3)), (3000, 1, Some(4))]),
        );
        img.put(2000, &internal(&[2], &[(4000, 1, None), (4100, 1, None)]));
        img.put(3000, &internal(&[6], &[(4200, 1, None), (4300, 2, None)]));
        img.put(4000, &leaf(&[1]));
        img.put(4100, &leaf(&[3]));
        img.put(4200, &leaf(&[5]));
        img.put(4300, &leaf(&[7, 8]));
        img
    }

    fn values(records: Vec<Vec<u8>>) -> Vec<u32> {
        records
            .iter()
            .map(|r| u32::from_le_bytes([r[0], r[1], r[2], r[3]]))
            .collect()
    }

    #[test]
    fn reads_header_fields() {
        let img = deep_tree();
        let t = BTreeV2::read(&img.ctx(), 0).unwrap();
        assert_eq!(t.record_type, 7);
        assert_eq!(t.record_size, 4);
        assert_eq!((t.node_size, t.depth, t.root), (NODE, 2, 1000));
        assert_eq!((t.root_records, t.total_records), (1, 8));
        let levels = t.levels(&img.ctx()).unwrap();
        let max: Vec<u64> = levels.iter().map(|l| l.max_records).collect();
        assert_eq!(max, vec![13, 3, 3]);
        assert_eq!(levels[1].cumulative_max, 4 * 13 + 3);
    }

    #[test]
    fn leaf_root() {
        let mut img = Image::default();
        img.put(0, &header(0, 500, 3, 3));
        img.put(500, &leaf(&[10, 20, 30]));
        let ctx = img.ctx();
        let t = BTreeV2::read(&ctx, 0).unwrap();
        assert_eq!(values(t.records(&ctx).unwrap()), vec![10, 20, 30]);
    }

    #[test]
    fn empty_tree() {
        let mut img = Image::default();
        img.put(0, &header(0, UNDEF, 0, 0));
        let ctx = img.ctx();
        let t = BTreeV2::read(&ctx, 0).unwrap();
        assert!(t.records(&ctx).unwrap().is_empty());
    }

    #[test]
    fn in_order_traversal_of_a_deep_tree() {
        let img = deep_tree();
        let ctx = img.ctx();
        let t = BTreeV2::read(&ctx, 0).unwrap();
        assert_eq!(
            values(t.records(&ctx).unwrap()),
            (1..=8).collect::<Vec<_>>()
        );
    }

    #[test]
    fn checksums_are_verified() {
        let mut img = deep_tree();
        img.0[20] ^= 1;
        let err = BTreeV2::read(&img.ctx(), 0).unwrap_err();
        assert!(matches!(err, Error::Checksum { offset: 0, .. }), "{err}");

        let mut img = deep_tree();
        img.0[4306] ^= 1;
        let ctx = img.ctx();
        let t = BTreeV2::read(&ctx, 0).unwrap();
        let err = t.records(&ctx).unwrap_err();
        assert!(matches!(err, Error::Checksum { offset: 4300, .. }), "{err}");
    }

    #[test]
    fn cycles_and_bad_counts_are_errors() {
        let mut img = deep_tree();
        img.put(3000, &internal(&[6], &[(4200, 1, None), (4000, 1, None)]));
        let ctx = img.ctx();
        let err = BTreeV2::read(&ctx, 0).unwrap().records(&ctx).unwrap_err();
        assert!(matches!(err, Error::Cycle { offset: 4000, .. }), "{err}");

        // The header counts 9 records, the nodes hold 8.
        let mut img = deep_tree();
        img.put(0, &header(2, 1000, 1, 9));
        let ctx = img.ctx();
        let err = BTreeV2::read(&ctx, 0).unwrap().records(&ctx).unwrap_err();
        assert!(err.to_string().contains("the nodes hold 8"), "{err}");

        // A leaf claiming more records than fit.
        let mut img = deep_tree();
        img.put(2000, &internal(&[2], &[(4000, 14, None), (4100, 1, None)]));
        let ctx = img.ctx();
        let err = BTreeV2::read(&ctx, 0).unwrap().records(&ctx).unwrap_err();
        assert!(err.to_string().contains("at most 13"), "{err}");
    }

    #[test]
    fn truncated_and_wrong_signatures() {
        let mut img = deep_tree();
        img.0.truncate(4305);
        let ctx = img.ctx();
        let err = BTreeV2::read(&ctx, 0).unwrap().records(&ctx).unwrap_err();
        assert!(matches!(err, Error::OutOfBounds { .. }), "{err}");

        let mut img = deep_tree();
        img.put(2000, &leaf(&[1]));
        let ctx = img.ctx();
        let err = BTreeV2::read(&ctx, 0).unwrap().records(&ctx).unwrap_err();
        assert!(matches!(err, Error::Corrupt { offset: 2000, .. }), "{err}");

        let mut img = Image::default();
        img.put(0, b"BTHX");
        img.put(100, &[0]);
        assert!(BTreeV2::read(&img.ctx(), 0).is_err());
    }

    #[test]
    fn encoded_sizes() {
        assert_eq!(encoded_size(0), 1);
        assert_eq!(encoded_size(255), 1);
        assert_eq!(encoded_size(256), 2);
        assert_eq!(encoded_size(u64::MAX), 8);
    }
}
