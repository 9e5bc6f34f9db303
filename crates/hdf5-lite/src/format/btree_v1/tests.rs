//! Tests of the v1 B-tree decoder, encoder and selection pruning.

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

/// A leaf group node with 4-byte fields (header 16 bytes, keys of 4 bytes) whose two
/// children are at 640 and `second`, and a context reading it at 40 with 4-byte offsets
/// and lengths.
fn four_byte_leaf(second: u32) -> Image {
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
        .u32(second)
        .u32(16);
    let mut img = Image::default();
    img.put(40, &leaf.0);
    img
}

/// [`Image::ctx`] with 4-byte offsets and lengths.
fn four_byte_ctx(img: &Image) -> Ctx {
    let mut ctx = img.ctx();
    ctx.sizes = crate::format::Sizes {
        offsets: 4,
        lengths: 4,
    };
    ctx
}

#[test]
fn four_byte_offsets_and_lengths() {
    let img = four_byte_leaf(720);
    assert_eq!(
        group_symbol_nodes(&four_byte_ctx(&img), 40).unwrap(),
        vec![640, 720]
    );
}

#[test]
fn an_undefined_child_is_corrupt_at_its_address() {
    // 8-byte offsets: the second child of the leaf at 0 is all ones.
    let keys = vec![
        chunk_key(40, 0, &[0]),
        chunk_key(37, 0, &[10]),
        chunk_key(0, 0, &[20]),
    ];
    let mut img = Image::default();
    img.put(0, &node(1, 0, &keys, &[4000, UNDEF]));
    img.put(5000, &[0]);
    let err = chunk_records(&img.ctx(), 0, 1).unwrap_err();
    // Header 24 bytes, a key of 24 bytes and a child, then the second key.
    assert!(matches!(err, Error::Corrupt { offset: 80, .. }), "{err}");
    assert!(err.to_string().contains("undefined child address"), "{err}");

    // 4-byte offsets: all ones in 4 bytes is undefined too, other values are read.
    let img = four_byte_leaf(0xffff_fffe);
    assert_eq!(
        group_symbol_nodes(&four_byte_ctx(&img), 40).unwrap(),
        vec![640, 0xffff_fffe]
    );
    let bad = four_byte_leaf(u32::MAX);
    let err = group_symbol_nodes(&four_byte_ctx(&bad), 40).unwrap_err();
    // Header 16 bytes, then (key, child) pairs of 4 bytes each.
    assert!(matches!(err, Error::Corrupt { offset: 68, .. }), "{err}");
}

#[test]
fn a_node_writer_checks_its_entries() {
    // Two children announced, one given.
    let mut w = NodeWriter::chunk(ROOT, 2, 32, 1).unwrap();
    w.chunk_key(10, 0, &[0], 0);
    w.child(4000);
    w.chunk_key(0, 0, &[8], 4);
    assert!(w.finish().is_err());
    // A key of the wrong rank.
    let mut w = NodeWriter::chunk(ROOT, 1, 32, 1).unwrap();
    w.chunk_key(10, 0, &[0, 0], 0);
    w.child(4000);
    w.chunk_key(0, 0, &[8], 4);
    assert!(w.finish().is_err());
    // More children than 2K, rank 0, K 0.
    assert!(NodeWriter::chunk(ROOT, 5, 2, 1).is_err());
    assert!(NodeWriter::chunk(ROOT, 1, 32, 0).is_err());
    assert!(NodeWriter::chunk(ROOT, 0, 0, 1).is_err());
    // What it writes is what encode_chunk_node writes.
    let keys = [
        ChunkKey {
            size: 10,
            filter_mask: 1,
            offset: vec![0],
            element_offset: 0,
        },
        ChunkKey {
            size: 0,
            filter_mask: 0,
            offset: vec![8],
            element_offset: 4,
        },
    ];
    let mut w = NodeWriter::chunk(ROOT, 1, 2, 1).unwrap();
    w.chunk_key(10, 1, &[0], 0);
    w.child(4000);
    w.chunk_key(0, 0, &[8], 4);
    assert_eq!(
        w.finish().unwrap(),
        encode_chunk_node(ROOT, &keys, &[4000], 2, 1).unwrap()
    );
}

#[test]
fn bad_rank_is_an_error() {
    let img = group_tree();
    assert!(chunk_records(&img.ctx(), 100, 0).is_err());
    assert!(chunk_records(&img.ctx(), 100, 33).is_err());
}

const ROOT: NodeLinks = NodeLinks {
    level: 0,
    left: UNDEF,
    right: UNDEF,
};

#[test]
fn encodes_group_nodes_exactly() {
    assert_eq!(group_node_len(16), 544);
    let bytes = encode_group_node(ROOT, &[0, 8, 16], &[1000, 1100], 16).unwrap();
    assert_eq!(bytes.len(), 544);
    let mut want = node(0, 0, &heap_keys(3), &[1000, 1100]);
    want.resize(544, 0);
    assert_eq!(bytes, want);
    let mut img = Image::default();
    img.put(0, &bytes);
    assert_eq!(group_symbol_nodes(&img.ctx(), 0).unwrap(), vec![1000, 1100]);

    // An empty root, as libhdf5 writes for an empty group: key 0 only.
    let empty = encode_group_node(ROOT, &[0], &[], 16).unwrap();
    let mut want = b"TREE\0\0\0\0".to_vec();
    want.extend_from_slice(&[0xff; 16]);
    want.resize(544, 0);
    assert_eq!(empty, want);

    // Siblings and level land in the header.
    let links = NodeLinks {
        level: 2,
        left: 0x1122,
        right: 0x3344,
    };
    let b = encode_group_node(links, &[0, 8], &[7], 2).unwrap();
    assert_eq!(b.len() as u64, group_node_len(2));
    assert_eq!(&b[5..8], &[2, 1, 0]);
    assert_eq!(&b[8..16], &0x1122u64.to_le_bytes());
    assert_eq!(&b[16..24], &0x3344u64.to_le_bytes());

    // Too many children, mismatched keys, K = 0.
    assert!(encode_group_node(ROOT, &[0; 6], &[1; 5], 2).is_err());
    assert!(encode_group_node(ROOT, &[0; 2], &[1; 2], 2).is_err());
    assert!(encode_group_node(ROOT, &[0], &[], 0).is_err());
}

#[test]
fn encodes_chunk_nodes_exactly() {
    assert_eq!(chunk_node_len(32, 1), 2096);
    assert_eq!(chunk_node_len(32, 2), 2616);
    let keys = vec![
        ChunkKey {
            size: 40,
            filter_mask: 0,
            offset: vec![0, 0],
            element_offset: 0,
        },
        ChunkKey {
            size: 37,
            filter_mask: 2,
            offset: vec![0, 10],
            element_offset: 0,
        },
        ChunkKey {
            size: 0,
            filter_mask: 0,
            offset: vec![10, 0],
            element_offset: 0,
        },
    ];
    let bytes = encode_chunk_node(ROOT, &keys, &[4000, 4040], 32, 2).unwrap();
    assert_eq!(bytes.len(), 2616);
    let raw: Vec<Vec<u8>> = keys
        .iter()
        .map(|k| chunk_key(k.size, k.filter_mask, &k.offset))
        .collect();
    let mut want = node(1, 0, &raw, &[4000, 4040]);
    want.resize(2616, 0);
    assert_eq!(bytes, want);
    let mut img = Image::default();
    img.put(0, &bytes);
    let got = chunk_records(&img.ctx(), 0, 2).unwrap();
    assert_eq!(got.len(), 2);
    assert_eq!(got[1].offset, vec![0, 10]);
    assert_eq!((got[1].size, got[1].filter_mask), (37, 2));

    // The element offset is the key's last field.
    let mut last = keys[2].clone();
    last.element_offset = 4;
    let b = encode_chunk_node(ROOT, &[keys[0].clone(), last], &[4000], 32, 2).unwrap();
    assert_eq!(&b[24 + 32 + 8 + 24..24 + 32 + 8 + 32], &4u64.to_le_bytes());

    // Rank mismatches.
    assert!(encode_chunk_node(ROOT, &keys, &[4000, 4040], 32, 1).is_err());
    assert!(encode_chunk_node(ROOT, &[], &[], 32, 0).is_err());
}

proptest::proptest! {
    #[test]
    fn interval_test_agrees_with_brute_force(
        rank in 1usize..4,
        raw in proptest::collection::vec(0u64..5, 12),
    ) {
        let (a, b) = (&raw[..rank], &raw[rank..2 * rank]);
        let lo: Vec<u64> = raw[2 * rank..3 * rank].to_vec();
        let hi: Vec<u64> = lo.iter().zip(&raw[3 * rank.min(3)..]).map(|(l, e)| l + e % 3 + 1).collect();
        proptest::prop_assume!(hi.len() == rank && a <= b);
        // Enumerate the box.
        let mut hit = false;
        let mut x = lo.clone();
        'outer: loop {
            if a <= x.as_slice() && x.as_slice() < b {
                hit = true;
                break;
            }
            let mut d = rank;
            loop {
                if d == 0 {
                    break 'outer;
                }
                d -= 1;
                x[d] += 1;
                if x[d] < hi[d] {
                    break;
                }
                x[d] = lo[d];
            }
        }
        proptest::prop_assert_eq!(interval_meets_box(Some(a), Some(b), &lo, &hi), hit);
    }
}
