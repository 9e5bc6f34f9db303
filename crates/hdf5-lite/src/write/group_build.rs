//! Building an old-style group (spec IV.A.2.r Symbol Table message, III.A.1 v1 B-tree
//! type 0, III.B symbol table nodes, III.D local heap) from its list of links.
//!
//! The layout is what libhdf5 reads back and can keep modifying: a local heap holding
//! `""` at offset 0 and every name, with no free space (free-list head 1); symbol table
//! nodes allocated at their full size (2 × leaf K entries) holding the entries sorted by
//! bytewise name; and a v1 B-tree of type 0 over them, every node allocated for
//! 2 × internal K children, siblings linked on every level. An empty group is a single
//! empty leaf node and a heap holding only `""`, as libhdf5 creates one.

use crate::error::{Error, Result};
use crate::format::btree_v1::{encode_group_node, group_node_len};
use crate::format::local_heap::{self, DataSegment};
use crate::format::symbol_table::{self, SymbolTableEntry};
use crate::format::{Allocate, Block};
use crate::write::btree_levels::{balanced_runs, build_levels, Child};

/// One link of a group being built.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupEntry {
    /// The link name: non-empty, no NUL bytes, unique in the group.
    pub name: Vec<u8>,
    /// Address of the linked object's header.
    pub object_header: u64,
    /// For a sub-group: its (B-tree, local heap) addresses, cached in the entry (cache
    /// type 1). `None` for anything else (cache type 0).
    pub cache: Option<(u64, u64)>,
}

/// A group's symbol table structures, ready to be written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuiltGroup {
    /// Address of the root node of the v1 B-tree (for the Symbol Table message).
    pub btree: u64,
    /// Address of the local heap header (for the Symbol Table message).
    pub local_heap: u64,
    /// Every encoded structure: the heap, the symbol table nodes, the B-tree nodes.
    pub blocks: Vec<Block>,
}

/// The error for a group that cannot be written.
fn invalid(reason: impl std::fmt::Display) -> Error {
    Error::InvalidInput(format!("writing a group: {reason}"))
}

/// Lays out the symbol table of a group holding `entries` (in any order) with the
/// superblock's group leaf K (`leaf_k`, entries per symbol table node / 2) and internal
/// K (`internal_k`, children per B-tree node / 2), allocating every structure from
/// `alloc`.
pub fn build_group(
    entries: &[GroupEntry],
    leaf_k: u16,
    internal_k: u16,
    alloc: &mut dyn Allocate,
) -> Result<BuiltGroup> {
    if leaf_k == 0 || internal_k == 0 {
        return Err(invalid(format!(
            "B-tree K values must be positive (leaf K {leaf_k}, internal K {internal_k})"
        )));
    }
    let mut sorted: Vec<&GroupEntry> = entries.iter().collect();
    sorted.sort_by(|a, b| a.name.cmp(&b.name));
    for pair in sorted.windows(2) {
        if let [a, b] = pair {
            if a.name == b.name {
                return Err(invalid(format!(
                    "duplicate link name {:?}",
                    String::from_utf8_lossy(&a.name)
                )));
            }
        }
    }

    // The local heap: "" at 0, then every name in sorted order.
    let mut heap = DataSegment::new();
    let mut name_offsets = Vec::with_capacity(sorted.len());
    for e in &sorted {
        if e.name.is_empty() {
            return Err(invalid("empty link name"));
        }
        name_offsets.push(heap.push(&e.name)?);
    }
    let data = heap.into_bytes();
    let heap_address = alloc.allocate(local_heap::HEADER_LEN + data.len() as u64);
    let mut heap_bytes =
        local_heap::encode_header(data.len() as u64, heap_address + local_heap::HEADER_LEN);
    heap_bytes.extend_from_slice(&data);
    let mut blocks = vec![Block {
        address: heap_address,
        bytes: heap_bytes,
    }];

    // Symbol table nodes; each is a B-tree child whose right key is its largest name.
    let mut children: Vec<Child<u64>> = Vec::new();
    for run in balanced_runs(sorted.len(), 2 * usize::from(leaf_k)) {
        let node_entries: Vec<SymbolTableEntry> = run
            .clone()
            .filter_map(|i| Some(entry(sorted.get(i)?, *name_offsets.get(i)?)))
            .collect();
        let address = alloc.allocate(symbol_table::node_len(leaf_k));
        blocks.push(Block {
            address,
            bytes: symbol_table::encode_node(&node_entries, leaf_k)?,
        });
        let left = children.last().map_or(0, |c| c.right);
        let right_key = run
            .end
            .checked_sub(1)
            .and_then(|i| name_offsets.get(i))
            .copied()
            .unwrap_or(0);
        children.push(Child {
            address,
            left,
            right: right_key,
        });
    }

    let (btree, nodes) = build_levels(
        children,
        0,
        internal_k,
        group_node_len(internal_k),
        0,
        alloc,
        |links, keys, kids| encode_group_node(links, keys, kids, internal_k),
    )?;
    blocks.extend(nodes);
    Ok(BuiltGroup {
        btree,
        local_heap: heap_address,
        blocks,
    })
}

/// The symbol table entry of `e`, whose name is at `name_offset` in the heap.
fn entry(e: &GroupEntry, name_offset: u64) -> SymbolTableEntry {
    match e.cache {
        Some((btree, heap)) => SymbolTableEntry::group(name_offset, e.object_header, btree, heap),
        None => SymbolTableEntry::object(name_offset, e.object_header),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::format::btree_v1::group_symbol_nodes;
    use crate::format::chunk_index::testutil::Image;
    use crate::format::local_heap::LocalHeap;
    use crate::format::symbol_table::read_node;
    use crate::format::{Sizes, UNDEF};
    use crate::write::free_space::FreeSpace;
    use proptest::prelude::*;
    use std::collections::BTreeMap;

    fn image(blocks: &[Block]) -> Image {
        let mut img = Image::default();
        for b in blocks {
            img.put(b.address, &b.bytes);
        }
        img
    }

    fn plain(name: &[u8], oh: u64) -> GroupEntry {
        GroupEntry {
            name: name.to_vec(),
            object_header: oh,
            cache: None,
        }
    }

    fn le(v: u64) -> [u8; 8] {
        v.to_le_bytes()
    }

    #[test]
    fn small_group_bytes_are_exact() {
        let entries = vec![
            plain(b"zeta", 0x500),
            GroupEntry {
                name: b"col_attrs".to_vec(),
                object_header: 0x600,
                cache: Some((0x610, 0x620)),
            },
            plain(b"a", 0x700),
        ];
        let mut alloc = FreeSpace::new(96);
        let g = build_group(&entries, 4, 16, &mut alloc).unwrap();
        assert_eq!(g.local_heap, 96);
        assert_eq!(g.blocks.len(), 3);

        // Heap: header, then "", "a", "col_attrs", "zeta".
        let mut heap = b"HEAP\0\0\0\0".to_vec();
        heap.extend_from_slice(&le(40));
        heap.extend_from_slice(&le(1));
        heap.extend_from_slice(&le(128));
        heap.extend_from_slice(&[0; 8]);
        heap.extend_from_slice(b"a\0\0\0\0\0\0\0col_attrs\0\0\0\0\0\0\0zeta\0\0\0\0");
        assert_eq!(
            g.blocks[0],
            Block {
                address: 96,
                bytes: heap
            }
        );

        // One full-size SNOD at 168 with the entries sorted.
        let snod = &g.blocks[1];
        assert_eq!((snod.address, snod.bytes.len()), (168, 328));
        let mut want = b"SNOD\x01\0\x03\0".to_vec();
        for (off, oh, cache, scratch) in [
            (8u64, 0x700u64, 0u32, [0u64, 0u64]),
            (16, 0x600, 1, [0x610, 0x620]),
            (32, 0x500, 0, [0, 0]),
        ] {
            want.extend_from_slice(&le(off));
            want.extend_from_slice(&le(oh));
            want.extend_from_slice(&cache.to_le_bytes());
            want.extend_from_slice(&[0; 4]);
            want.extend_from_slice(&le(scratch[0]));
            want.extend_from_slice(&le(scratch[1]));
        }
        want.resize(328, 0);
        assert!(snod.bytes == want, "SNOD bytes differ");

        // One full-size leaf TREE at 496: keys 0 and "zeta", child the SNOD.
        let tree = &g.blocks[2];
        assert_eq!((g.btree, tree.address, tree.bytes.len()), (496, 496, 544));
        let mut want = b"TREE\0\0\x01\0".to_vec();
        want.extend_from_slice(&[0xff; 16]);
        want.extend_from_slice(&le(0));
        want.extend_from_slice(&le(168));
        want.extend_from_slice(&le(32));
        want.resize(544, 0);
        assert!(tree.bytes == want, "TREE bytes differ");
        assert_eq!(alloc.end(), 496 + 544);
    }

    #[test]
    fn empty_group_is_an_empty_leaf_and_a_heap_with_the_empty_string() {
        let mut alloc = FreeSpace::new(0);
        let g = build_group(&[], 4, 16, &mut alloc).unwrap();
        assert_eq!(g.blocks.len(), 2);
        let mut heap = b"HEAP\0\0\0\0".to_vec();
        heap.extend_from_slice(&le(8));
        heap.extend_from_slice(&le(1));
        heap.extend_from_slice(&le(32));
        heap.extend_from_slice(&[0; 8]);
        assert_eq!(g.blocks[0].bytes, heap);
        // What h5py 3.16 / libhdf5 2.0 writes for `create_group('g')`.
        let mut tree = b"TREE\0\0\0\0".to_vec();
        tree.extend_from_slice(&[0xff; 16]);
        tree.resize(544, 0);
        assert_eq!(
            g.blocks[1],
            Block {
                address: 40,
                bytes: tree
            }
        );
        let img = image(&g.blocks);
        assert!(group_symbol_nodes(&img.ctx(), g.btree).unwrap().is_empty());
    }

    #[test]
    fn rejects_bad_entries() {
        let mut alloc = FreeSpace::new(0);
        let dup = [plain(b"x", 1), plain(b"y", 2), plain(b"x", 3)];
        assert!(build_group(&dup, 4, 16, &mut alloc).is_err());
        assert!(build_group(&[plain(b"", 1)], 4, 16, &mut alloc).is_err());
        assert!(build_group(&[plain(b"a\0b", 1)], 4, 16, &mut alloc).is_err());
        assert!(build_group(&[plain(b"a", 1)], 0, 16, &mut alloc).is_err());
        assert!(build_group(&[plain(b"a", 1)], 4, 0, &mut alloc).is_err());
    }

    /// A B-tree node as stored: level, siblings, keys and children.
    struct RawNode {
        level: u8,
        left: u64,
        right: u64,
        keys: Vec<u64>,
        children: Vec<u64>,
    }

    fn raw_node(img: &Image, at: u64, k: u16) -> RawNode {
        let b = &img.0[at as usize..(at + group_node_len(k)) as usize];
        assert_eq!(&b[..5], b"TREE\0");
        let used = usize::from(u16::from_le_bytes([b[6], b[7]]));
        let word = |i: usize| u64::from_le_bytes(b[i..i + 8].try_into().unwrap());
        let keys = (0..=used).map(|i| word(24 + 16 * i)).collect();
        let children = (0..used).map(|i| word(32 + 16 * i)).collect();
        RawNode {
            level: b[5],
            left: word(8),
            right: word(16),
            keys,
            children,
        }
    }

    /// Checks the keys of the subtree at `at` against the names below it and records
    /// each node's address per level; returns the largest name's offset.
    fn check_subtree(
        img: &Image,
        heap: &LocalHeap,
        at: u64,
        k: u16,
        levels: &mut BTreeMap<u8, Vec<(u64, u64, u64)>>,
    ) -> u64 {
        let node = raw_node(img, at, k);
        levels
            .entry(node.level)
            .or_default()
            .push((at, node.left, node.right));
        for (i, &child) in node.children.iter().enumerate() {
            let lo = heap.string_at(node.keys[i]).unwrap();
            let hi_key = node.keys[i + 1];
            let largest = if node.level == 0 {
                let names: Vec<_> = read_node(&img.ctx(), child)
                    .unwrap()
                    .iter()
                    .map(|e| e.name_offset)
                    .collect();
                for &n in &names {
                    assert!(heap.string_at(n).unwrap() > lo);
                }
                *names.last().unwrap()
            } else {
                check_subtree(img, heap, child, k, levels)
            };
            assert_eq!(largest, hi_key, "key {} of node {at}", i + 1);
        }
        *node.keys.last().unwrap()
    }

    fn check_group(entries: &[GroupEntry], leaf_k: u16, internal_k: u16) {
        let mut alloc = FreeSpace::new(800);
        let g = build_group(entries, leaf_k, internal_k, &mut alloc).unwrap();
        let img = image(&g.blocks);
        let ctx = img.ctx();
        let heap = LocalHeap::read(&ctx, g.local_heap).unwrap();

        // The reader's view: every entry, sorted by name.
        let mut got = Vec::new();
        for snod in group_symbol_nodes(&ctx, g.btree).unwrap() {
            let node = read_node(&ctx, snod).unwrap();
            assert!(!node.is_empty() && node.len() <= 2 * usize::from(leaf_k));
            for e in node {
                got.push(GroupEntry {
                    name: heap.string_at(e.name_offset).unwrap().to_vec(),
                    object_header: e.object_header,
                    cache: e.cached_group(Sizes::default()),
                });
            }
        }
        let mut want = entries.to_vec();
        want.sort_by(|a, b| a.name.cmp(&b.name));
        assert_eq!(got, want);

        // Keys and sibling links, level by level.
        let mut levels = BTreeMap::new();
        check_subtree(&img, &heap, g.btree, internal_k, &mut levels);
        for nodes in levels.values() {
            for (i, &(_, left, right)) in nodes.iter().enumerate() {
                let prev = if i == 0 { UNDEF } else { nodes[i - 1].0 };
                let next = nodes.get(i + 1).map_or(UNDEF, |n| n.0);
                assert_eq!((left, right), (prev, next));
            }
        }
        // Every block is exactly the full size for its kind.
        for b in &g.blocks[1..] {
            let len = b.bytes.len() as u64;
            assert!(len == symbol_table::node_len(leaf_k) || len == group_node_len(internal_k));
        }
    }

    #[test]
    fn multi_level_trees_link_siblings_and_keys() {
        let entries: Vec<GroupEntry> = (0..300u64)
            .map(|i| plain(format!("gene{i:05}").as_bytes(), 0x1000 + i))
            .collect();
        check_group(&entries, 4, 16);
        check_group(&entries, 1, 1);
        check_group(&entries, 2, 3);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]
        #[test]
        fn round_trips_through_the_reader(
            names in prop::collection::btree_set(
                prop::collection::vec(1u8..=255, 1..24), 0..600),
            leaf_k in 1u16..9,
            internal_k in 1u16..17,
            groups in prop::collection::vec(any::<bool>(), 600),
        ) {
            let entries: Vec<GroupEntry> = names
                .into_iter()
                .zip(&groups)
                .enumerate()
                .map(|(i, (name, &is_group))| GroupEntry {
                    name,
                    object_header: 4096 + 8 * i as u64,
                    cache: is_group.then_some((i as u64 * 3, i as u64 * 5 + 1)),
                })
                .rev()
                .collect();
            check_group(&entries, leaf_k, internal_k);
        }
    }
}
