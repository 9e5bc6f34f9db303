//! Building the chunk index of a layout-v3 chunked dataset: a version 1 B-tree of type 1
//! (spec III.A.1, IV.A.2.i).
//!
//! Keys are sorted by chunk offset (C order). Each node is allocated for 2K children and
//! 2K + 1 keys. A key to the left of a chunk holds the chunk's stored size, filter mask
//! and offset (in elements) followed by a 0 for the element-size dimension. Adjacent
//! nodes share the key between them, as libhdf5's own splits leave them: the right key of
//! a node is the left key of the next node on its level, and the tree's right-most key
//! is the last chunk's offset plus the chunk dimensions, with the element size in the
//! last place. That key is strictly greater than every chunk and lies on the chunk grid,
//! as libhdf5 requires.

use std::ops::Range;

use crate::error::{Error, Result};
use crate::format::btree_v1::{
    chunk_node_len, encode_chunk_node, ChunkKey, ChunkRef, NodeLinks, NodeWriter,
};
use crate::format::chunk_index::ChunkRecord;
use crate::format::MAX_RANK;
use crate::format::{Allocate, Block, UNDEF};
use crate::write::btree_levels::{balanced_runs, build_levels, Child};

/// The error for a chunk index that cannot be written.
fn invalid(reason: impl std::fmt::Display) -> Error {
    Error::InvalidInput(format!("writing a chunk B-tree: {reason}"))
}

/// Checks `r` against the chunk grid and against the offset of the record before it
/// (offsets must increase strictly).
fn check_record(r: &ChunkRef<'_>, prev: Option<&[u64]>, chunk_dims: &[u64]) -> Result<()> {
    let rank = chunk_dims.len();
    if r.offset.len() != rank {
        return Err(invalid(format!(
            "chunk offset {:?} does not have rank {rank}",
            r.offset
        )));
    }
    if r.offset.iter().zip(chunk_dims).any(|(o, d)| o % d != 0) {
        return Err(invalid(format!(
            "chunk offset {:?} is not a multiple of the chunk dimensions {chunk_dims:?}",
            r.offset
        )));
    }
    if r.size == 0 || r.size > u64::from(u32::MAX) {
        return Err(invalid(format!(
            "chunk at {:?} has a stored size of {} bytes",
            r.offset, r.size
        )));
    }
    if r.address == UNDEF {
        return Err(invalid(format!("chunk at {:?} has no address", r.offset)));
    }
    match prev {
        Some(p) if p == r.offset => Err(invalid(format!("two chunks at offset {:?}", r.offset))),
        Some(p) if p > r.offset => Err(invalid(format!(
            "chunk at {:?} comes after {p:?}: records must be sorted by offset",
            r.offset
        ))),
        _ => Ok(()),
    }
}

/// The stored size of chunk `r` as its key holds it (checked by `check_record`).
fn key_size(r: &ChunkRef<'_>) -> u32 {
    u32::try_from(r.size).unwrap_or(u32::MAX)
}

/// The key to the left of chunk `r`.
fn key_of(r: &ChunkRef<'_>) -> ChunkKey {
    ChunkKey {
        size: key_size(r),
        filter_mask: r.filter_mask,
        offset: r.offset.to_vec(),
        element_offset: 0,
    }
}

/// The tree's right-most key: past the last chunk (at offset `last`), with the element
/// size last.
fn right_most_key(last: &[u64], chunk_dims: &[u64], element_size: u32) -> Result<ChunkKey> {
    Ok(ChunkKey {
        size: 0,
        filter_mask: 0,
        offset: last
            .iter()
            .zip(chunk_dims)
            .map(|(o, d)| o.checked_add(*d))
            .collect::<Option<Vec<u64>>>()
            .ok_or_else(|| invalid(format!("chunk offset {last:?} overflows")))?,
        element_offset: u64::from(element_size),
    })
}

/// Lays out a chunk B-tree with K = `k` (32 unless the superblock says otherwise) over
/// the `count` records of `records`, sorted by offset (in elements), of a dataset whose
/// chunks have dimensions `chunk_dims` and whose elements have `element_size` bytes.
/// Each node goes to `put` as soon as it is encoded, so the records are streamed: only
/// the nodes above the leaves are held. Returns the root address; no records give
/// [`UNDEF`] (and no nodes), which libhdf5 reads as "no chunk written yet".
pub fn build_chunk_btree(
    records: impl IntoIterator<Item = ChunkRecord>,
    count: usize,
    chunk_dims: &[u64],
    element_size: u32,
    k: u16,
    alloc: &mut dyn Allocate,
    put: &mut dyn FnMut(Block) -> Result<()>,
) -> Result<u64> {
    let mut tree = ChunkTreeBuilder::new(count, chunk_dims, element_size, k, alloc)?;
    for r in records {
        tree.push(
            ChunkRef {
                offset: &r.offset,
                address: r.address,
                size: r.size,
                filter_mask: r.filter_mask,
            },
            put,
        )?;
    }
    tree.finish(alloc, put)
}

/// [`build_chunk_btree`] fed one borrowed record at a time ([`push`](Self::push)), so
/// that records need not be built whole: each leaf is encoded in place as its chunks
/// arrive, and only the keys at the leaves' edges are kept for the levels above.
pub(crate) struct ChunkTreeBuilder<'a> {
    chunk_dims: &'a [u64],
    element_size: u32,
    k: u16,
    count: usize,
    node_len: u64,
    /// The records of each leaf, and the leaves' addresses.
    runs: Vec<Range<usize>>,
    addresses: Vec<u64>,
    /// Records pushed so far.
    seen: usize,
    /// The next leaf to start.
    next: usize,
    /// The leaf being encoded (the index of its run) and its left key.
    leaf: Option<(usize, NodeWriter, ChunkKey)>,
    /// The offset of the record before (`rank` values once there is one).
    prev: [u64; MAX_RANK],
    parents: Vec<Child<ChunkKey>>,
}

impl<'a> ChunkTreeBuilder<'a> {
    /// A tree for `count` records (see [`build_chunk_btree`]); its leaves are allocated
    /// now.
    pub(crate) fn new(
        count: usize,
        chunk_dims: &'a [u64],
        element_size: u32,
        k: u16,
        alloc: &mut dyn Allocate,
    ) -> Result<Self> {
        let rank = chunk_dims.len();
        if rank == 0 || rank > MAX_RANK || chunk_dims.contains(&0) {
            return Err(invalid(format!("chunk dimensions {chunk_dims:?}")));
        }
        if element_size == 0 || k == 0 {
            return Err(invalid(format!("element size {element_size}, K {k}")));
        }
        let node_len = chunk_node_len(k, rank);
        // Level 0: the chunks themselves; chunk i's right key is chunk i + 1's left key.
        let runs = balanced_runs(count, 2 * usize::from(k));
        let addresses: Vec<u64> = runs.iter().map(|_| alloc.allocate(node_len)).collect();
        let parents = Vec::with_capacity(runs.len());
        Ok(ChunkTreeBuilder {
            chunk_dims,
            element_size,
            k,
            count,
            node_len,
            runs,
            addresses,
            seen: 0,
            next: 0,
            leaf: None,
            prev: [0; MAX_RANK],
            parents,
        })
    }

    /// Adds the next record (offsets must increase); a leaf it completes goes to `put`.
    pub(crate) fn push(
        &mut self,
        r: ChunkRef<'_>,
        put: &mut dyn FnMut(Block) -> Result<()>,
    ) -> Result<()> {
        let rank = self.chunk_dims.len();
        if self.seen == self.count {
            return Err(invalid(format!(
                "more records than the {} counted",
                self.count
            )));
        }
        let prev = (self.seen > 0).then_some(&self.prev[..rank]);
        check_record(&r, prev, self.chunk_dims)?;
        let starts = match self.runs.get(self.next) {
            Some(run) if run.start == self.seen => {
                self.next += 1;
                Some(self.next - 1)
            }
            _ => None,
        };
        let leaf = match (self.leaf.take(), starts) {
            (Some((i, node, left)), Some(next)) => {
                // Chunk r's left key is the right key of the leaf before it.
                self.close(i, node, left, key_of(&r), put)?;
                self.open(next, &r)?
            }
            (None, Some(next)) => self.open(next, &r)?,
            (Some(leaf), None) => leaf,
            (None, None) => return Err(invalid("an empty run")),
        };
        let (_, node, _) = self.leaf.insert(leaf);
        node.chunk_key(key_size(&r), r.filter_mask, r.offset, 0);
        node.child(r.address);
        self.prev[..rank].copy_from_slice(r.offset);
        self.seen += 1;
        Ok(())
    }

    /// Starts leaf `i`, whose first chunk is `first`.
    fn open(&self, i: usize, first: &ChunkRef<'_>) -> Result<(usize, NodeWriter, ChunkKey)> {
        let links = NodeLinks {
            level: 0,
            left: i.checked_sub(1).map_or(UNDEF, |j| self.addresses[j]),
            right: self.addresses.get(i + 1).copied().unwrap_or(UNDEF),
        };
        let node = NodeWriter::chunk(links, self.runs[i].len(), self.k, self.chunk_dims.len())?;
        Ok((i, node, key_of(first)))
    }

    /// Ends leaf `i` (left key `left`) with its right key `right`, and hands it to `put`.
    fn close(
        &mut self,
        i: usize,
        mut node: NodeWriter,
        left: ChunkKey,
        right: ChunkKey,
        put: &mut dyn FnMut(Block) -> Result<()>,
    ) -> Result<()> {
        node.chunk_key(
            right.size,
            right.filter_mask,
            &right.offset,
            right.element_offset,
        );
        put(Block {
            address: self.addresses[i],
            bytes: node.finish()?,
        })?;
        self.parents.push(Child {
            address: self.addresses[i],
            left,
            right,
        });
        Ok(())
    }

    /// Ends the last leaf and builds the levels above; returns the root address.
    pub(crate) fn finish(
        mut self,
        alloc: &mut dyn Allocate,
        put: &mut dyn FnMut(Block) -> Result<()>,
    ) -> Result<u64> {
        if self.seen < self.count {
            return Err(invalid(format!(
                "fewer records than the {} counted",
                self.count
            )));
        }
        let Some((i, node, left)) = self.leaf.take() else {
            return Ok(UNDEF);
        };
        let rank = self.chunk_dims.len();
        let right = right_most_key(&self.prev[..rank], self.chunk_dims, self.element_size)?;
        self.close(i, node, left, right, put)?;
        if let [root] = self.parents.as_slice() {
            return Ok(root.address);
        }
        let right_most = self.parents[self.parents.len() - 1].right.clone();
        let (k, rank) = (self.k, rank);
        let encode =
            |links, keys: &[ChunkKey], kids: &[u64]| encode_chunk_node(links, keys, kids, k, rank);
        let (root, blocks) =
            build_levels(self.parents, 1, k, self.node_len, right_most, alloc, encode)?;
        for block in blocks {
            put(block)?;
        }
        Ok(root)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::format::btree_v1::{chunk_key_len, chunk_records, chunk_tree, walk_chunks};
    use crate::format::chunk_index::testutil::Image;
    use crate::write::free_space::FreeSpace;
    use proptest::prelude::*;
    use std::collections::{BTreeMap, BTreeSet};

    fn rec(offset: &[u64], address: u64, size: u64, filter_mask: u32) -> ChunkRecord {
        ChunkRecord {
            offset: offset.to_vec(),
            address,
            size,
            filter_mask,
        }
    }

    /// Builds the tree over `records` sorted by offset; returns the root and the nodes.
    fn build(
        records: &[ChunkRecord],
        dims: &[u64],
        elem: u32,
        k: u16,
        alloc: &mut dyn Allocate,
    ) -> Result<(u64, Vec<Block>)> {
        let mut sorted = records.to_vec();
        sorted.sort_by(|a, b| a.offset.cmp(&b.offset));
        let mut blocks = Vec::new();
        let root = build_chunk_btree(sorted, records.len(), dims, elem, k, alloc, &mut |b| {
            blocks.push(b);
            Ok(())
        })?;
        Ok((root, blocks))
    }

    fn key_bytes(size: u32, mask: u32, offset: &[u64], last: u64) -> Vec<u8> {
        let mut b = size.to_le_bytes().to_vec();
        b.extend_from_slice(&mask.to_le_bytes());
        for o in offset {
            b.extend_from_slice(&o.to_le_bytes());
        }
        b.extend_from_slice(&last.to_le_bytes());
        b
    }

    #[test]
    fn single_leaf_bytes_are_exact() {
        let records = vec![
            rec(&[10, 0], 0x3000, 70, 0),
            rec(&[0, 10], 0x2000, 60, 1),
            rec(&[0, 0], 0x1000, 50, 0),
        ];
        let mut alloc = FreeSpace::new(96);
        let (root, blocks) = build(&records, &[10, 10], 4, 32, &mut alloc).unwrap();
        assert_eq!(root, 96);
        assert_eq!(blocks.len(), 1);
        let mut want = b"TREE\x01\x00\x03\x00".to_vec();
        want.extend_from_slice(&[0xff; 16]);
        for (key, child) in [
            (key_bytes(50, 0, &[0, 0], 0), 0x1000u64),
            (key_bytes(60, 1, &[0, 10], 0), 0x2000),
            (key_bytes(70, 0, &[10, 0], 0), 0x3000),
        ] {
            want.extend_from_slice(&key);
            want.extend_from_slice(&child.to_le_bytes());
        }
        // Right-most key: last offset + chunk dims, element size last.
        want.extend_from_slice(&key_bytes(0, 0, &[20, 10], 4));
        want.resize(2616, 0);
        assert_eq!(blocks[0].address, 96);
        assert!(blocks[0].bytes == want, "chunk node bytes differ");
        assert_eq!(alloc.end(), 96 + 2616);
    }

    #[test]
    fn no_records_is_an_undefined_index() {
        let mut alloc = FreeSpace::new(0);
        let (root, blocks) = build(&[], &[5], 8, 32, &mut alloc).unwrap();
        assert_eq!(root, UNDEF);
        assert!(blocks.is_empty());
        assert_eq!(alloc.end(), 0);
    }

    #[test]
    fn rejects_bad_records() {
        let mut a = FreeSpace::new(0);
        let ok = rec(&[0, 0], 100, 10, 0);
        let cases = [
            vec![rec(&[0, 5], 100, 10, 0)],            // off the grid
            vec![ok.clone(), rec(&[0, 0], 200, 9, 0)], // duplicate
            vec![rec(&[0], 100, 10, 0)],               // wrong rank
            vec![rec(&[0, 0], 100, 0, 0)],             // empty chunk
            vec![rec(&[0, 0], 100, 1 << 32, 0)],       // size too big for a key
            vec![rec(&[0, 0], UNDEF, 10, 0)],          // no address
            vec![rec(&[u64::MAX - 9, 0], 100, 10, 0)], // right key overflows
        ];
        for records in &cases {
            assert!(build(records, &[10, 10], 4, 32, &mut a).is_err());
        }
        let one = [ok];
        assert!(build(&one, &[10, 0], 4, 32, &mut a).is_err());
        assert!(build(&one, &[], 4, 32, &mut a).is_err());
        assert!(build(&one, &[10, 10], 0, 32, &mut a).is_err());
        assert!(build(&one, &[10, 10], 4, 0, &mut a).is_err());
        // Unsorted records, or a count that does not match them.
        let two = [rec(&[10, 0], 100, 10, 0), rec(&[0, 0], 200, 10, 0)];
        let mut sink = |_: Block| Ok(());
        assert!(build_chunk_btree(two.clone(), 2, &[10, 10], 4, 32, &mut a, &mut sink).is_err());
        for count in [0, 1, 3] {
            let mut sorted = two.to_vec();
            sorted.reverse();
            assert!(build_chunk_btree(sorted, count, &[10, 10], 4, 1, &mut a, &mut sink).is_err());
        }
    }

    /// A stored node: level, siblings, keys (size, mask, offsets incl. the last) and
    /// children.
    struct RawNode {
        level: u8,
        left: u64,
        right: u64,
        keys: Vec<(u32, u32, Vec<u64>)>,
        children: Vec<u64>,
    }

    fn raw_node(img: &Image, at: u64, k: u16, rank: usize) -> RawNode {
        let b = &img.0[at as usize..(at + chunk_node_len(k, rank)) as usize];
        assert_eq!(&b[..5], b"TREE\x01");
        let used = usize::from(u16::from_le_bytes([b[6], b[7]]));
        let u64_at = |i: usize| u64::from_le_bytes(b[i..i + 8].try_into().unwrap());
        let u32_at = |i: usize| u32::from_le_bytes(b[i..i + 4].try_into().unwrap());
        let key_len = chunk_key_len(rank) as usize;
        let key_at = |i: usize| {
            let s = 24 + i * (key_len + 8);
            let offs = (0..=rank).map(|d| u64_at(s + 8 + 8 * d)).collect();
            (u32_at(s), u32_at(s + 4), offs)
        };
        RawNode {
            level: b[5],
            left: u64_at(8),
            right: u64_at(16),
            keys: (0..=used).map(key_at).collect(),
            children: (0..used)
                .map(|i| u64_at(24 + i * (key_len + 8) + key_len))
                .collect(),
        }
    }

    type Key = (u32, u32, Vec<u64>);

    /// Checks the subtree at `at` and returns its (left, right) keys.
    fn check_subtree(
        img: &Image,
        at: u64,
        k: u16,
        rank: usize,
        levels: &mut BTreeMap<u8, Vec<(u64, u64, u64)>>,
    ) -> (Key, Key) {
        let node = raw_node(img, at, k, rank);
        assert!(!node.children.is_empty() && node.children.len() <= 2 * usize::from(k));
        levels
            .entry(node.level)
            .or_default()
            .push((at, node.left, node.right));
        for pair in node.keys.windows(2) {
            assert!(pair[0].2 < pair[1].2, "keys out of order in node {at}");
        }
        if node.level > 0 {
            for (i, &child) in node.children.iter().enumerate() {
                let (l, r) = check_subtree(img, child, k, rank, levels);
                assert_eq!(l, node.keys[i]);
                assert_eq!(r, node.keys[i + 1]);
            }
        }
        (node.keys[0].clone(), node.keys.last().unwrap().clone())
    }

    fn check_tree(records: &[ChunkRecord], dims: &[u64], elem: u32, k: u16) {
        let mut alloc = FreeSpace::new(4096);
        let (root, blocks) = build(records, dims, elem, k, &mut alloc).unwrap();
        let mut want = records.to_vec();
        want.sort_by(|a, b| a.offset.cmp(&b.offset));
        if records.is_empty() {
            assert_eq!((root, blocks.len()), (UNDEF, 0));
            return;
        }
        let mut img = Image::default();
        for b in &blocks {
            assert_eq!(b.bytes.len() as u64, chunk_node_len(k, dims.len()));
            img.put(b.address, &b.bytes);
        }
        assert_eq!(chunk_records(&img.ctx(), root, dims.len()).unwrap(), want);
        // The walk without records' memory sees the same chunks and nodes.
        let mut walked = Vec::new();
        let nodes = walk_chunks(&img.ctx(), root, dims.len(), &mut |c| {
            walked.push(ChunkRecord {
                offset: c.offset.to_vec(),
                address: c.address,
                size: c.size,
                filter_mask: c.filter_mask,
            });
            Ok(())
        })
        .unwrap();
        assert_eq!(walked, want);
        let mut built: Vec<u64> = blocks.iter().map(|b| b.address).collect();
        let mut seen = nodes.clone();
        built.sort_unstable();
        seen.sort_unstable();
        assert_eq!(seen, built);
        assert_eq!(nodes, chunk_tree(&img.ctx(), root, dims.len()).unwrap().0);

        let mut levels = BTreeMap::new();
        let (_, right) = check_subtree(&img, root, k, dims.len(), &mut levels);
        let last = &want.last().unwrap().offset;
        let mut expected: Vec<u64> = last.iter().zip(dims).map(|(o, d)| o + d).collect();
        expected.push(u64::from(elem));
        assert_eq!(right, (0, 0, expected));
        for nodes in levels.values() {
            for (i, &(_, left, right)) in nodes.iter().enumerate() {
                let prev = if i == 0 { UNDEF } else { nodes[i - 1].0 };
                let next = nodes.get(i + 1).map_or(UNDEF, |n| n.0);
                assert_eq!((left, right), (prev, next));
            }
        }
    }

    #[test]
    fn multi_level_trees_share_keys_between_neighbours() {
        let records: Vec<ChunkRecord> = (0..200u64)
            .rev()
            .map(|i| rec(&[(i / 20) * 64, (i % 20) * 32], 0x10_0000 + i * 100, 90, 0))
            .collect();
        check_tree(&records, &[64, 32], 4, 32);
        check_tree(&records, &[64, 32], 4, 1);
        check_tree(&records, &[64, 32], 8, 2);
        check_tree(&records[..1], &[64, 32], 8, 1);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(40))]
        #[test]
        fn round_trips_through_the_reader(
            cells in prop::collection::btree_set((0u64..40, 0u64..40, 0u64..40), 0..3000),
            rank in 1usize..=3,
            dims in (1u64..5, 1u64..5, 1u64..5),
            elem in 1u32..9,
            k in 1u16..40,
            seed in any::<u64>(),
        ) {
            let dims = [dims.0, dims.1, dims.2];
            let dims = &dims[..rank];
            let cells: BTreeSet<Vec<u64>> = cells
                .into_iter()
                .map(|(a, b, c)| [a, b, c][..rank].to_vec())
                .collect();
            let records: Vec<ChunkRecord> = cells
                .into_iter()
                .enumerate()
                .map(|(i, cell)| {
                    let i = i as u64;
                    let h = seed.wrapping_mul(i + 1).rotate_left(17);
                    ChunkRecord {
                        offset: cell.iter().zip(dims).map(|(c, d)| c * d).collect(),
                        address: 1 << 40 | i << 8,
                        size: 1 + h % 100_000,
                        filter_mask: (h >> 32) as u32 & 3,
                    }
                })
                .rev()
                .collect();
            check_tree(&records, dims, elem, k);
        }
    }
}
