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
