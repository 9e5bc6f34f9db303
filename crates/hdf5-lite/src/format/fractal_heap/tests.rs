//! Fractal heaps built by hand from the spec's layouts.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use super::*;
use crate::format::checksum::lookup3;
use crate::format::Sizes;
use crate::storage::{MemStorage, Source};

fn ctx(bytes: Vec<u8>) -> Ctx {
    Ctx {
        source: Source::new(Arc::new(MemStorage::new(bytes))),
        base: 0,
        sizes: Sizes::default(),
    }
}

/// The header fields a test varies.
#[derive(Clone)]
struct Spec {
    id_len: u16,
    filter_len: u16,
    flags: u8,
    width: u16,
    start: u64,
    max_direct: u64,
    bits: u16,
    root: u64,
    root_rows: u16,
}

impl Spec {
    fn header(&self) -> Vec<u8> {
        let mut b = b"FRHP\0".to_vec();
        b.extend_from_slice(&self.id_len.to_le_bytes());
        b.extend_from_slice(&self.filter_len.to_le_bytes());
        b.push(self.flags);
        b.extend_from_slice(&4096u32.to_le_bytes()); // max managed size
        b.extend_from_slice(&0u64.to_le_bytes()); // next huge id
        b.extend_from_slice(&u64::MAX.to_le_bytes()); // huge B-tree
        b.extend_from_slice(&0u64.to_le_bytes()); // free space
        b.extend_from_slice(&u64::MAX.to_le_bytes()); // free-space manager
        for _ in 0..8 {
            b.extend_from_slice(&0u64.to_le_bytes()); // space and object counters
        }
        b.extend_from_slice(&self.width.to_le_bytes());
        b.extend_from_slice(&self.start.to_le_bytes());
        b.extend_from_slice(&self.max_direct.to_le_bytes());
        b.extend_from_slice(&self.bits.to_le_bytes());
        b.extend_from_slice(&1u16.to_le_bytes()); // starting rows
        b.extend_from_slice(&self.root.to_le_bytes());
        b.extend_from_slice(&self.root_rows.to_le_bytes());
        if self.filter_len > 0 {
            b.extend_from_slice(&512u64.to_le_bytes());
            b.extend_from_slice(&0u32.to_le_bytes());
            b.extend(std::iter::repeat_n(0, usize::from(self.filter_len)));
        }
        let sum = lookup3(&b, 0);
        b.extend_from_slice(&sum.to_le_bytes());
        b
    }

    fn offset_size(&self) -> usize {
        usize::from(self.bits).div_ceil(8)
    }

    /// A direct block of `size` bytes for heap `heap` at heap offset `offset`, with
    /// `objects` placed at heap offsets.
    fn direct(&self, heap: u64, offset: u64, size: usize, objects: &[(u64, &[u8])]) -> Vec<u8> {
        let mut b = b"FHDB\0".to_vec();
        b.extend_from_slice(&heap.to_le_bytes());
        b.extend_from_slice(&offset.to_le_bytes()[..self.offset_size()]);
        let sum_at = b.len();
        if self.flags & 2 != 0 {
            b.extend_from_slice(&[0; 4]);
        }
        b.resize(size, 0);
        for (at, data) in objects {
            let rel = (at - offset) as usize;
            b[rel..rel + data.len()].copy_from_slice(data);
        }
        if self.flags & 2 != 0 {
            let sum = lookup3(&b, 0);
            b[sum_at..sum_at + 4].copy_from_slice(&sum.to_le_bytes());
        }
        b
    }

    /// An indirect block with `children` addresses.
    fn indirect(&self, heap: u64, offset: u64, children: &[u64]) -> Vec<u8> {
        let mut b = b"FHIB\0".to_vec();
        b.extend_from_slice(&heap.to_le_bytes());
        b.extend_from_slice(&offset.to_le_bytes()[..self.offset_size()]);
        for c in children {
            b.extend_from_slice(&c.to_le_bytes());
        }
        let sum = lookup3(&b, 0);
        b.extend_from_slice(&sum.to_le_bytes());
        b
    }

    /// A managed heap ID (offset, then a 2-byte length).
    fn id(&self, offset: u64, len: u16) -> Vec<u8> {
        let mut b = vec![0];
        b.extend_from_slice(&offset.to_le_bytes()[..self.offset_size()]);
        b.extend_from_slice(&len.to_le_bytes());
        b
    }
}

/// Places `bytes` at `at` in `file`.
fn put(file: &mut Vec<u8>, at: u64, bytes: &[u8]) {
    let at = at as usize;
    if file.len() < at + bytes.len() {
        file.resize(at + bytes.len(), 0);
    }
    file[at..at + bytes.len()].copy_from_slice(bytes);
}

fn direct_spec() -> Spec {
    Spec {
        id_len: 7,
        filter_len: 0,
        flags: 2,
        width: 4,
        start: 512,
        max_direct: 65536,
        bits: 32,
        root: 1000,
        root_rows: 0,
    }
}

/// A heap at 0 whose root is a checksummed direct block at 1000.
fn direct_file(spec: &Spec) -> Vec<u8> {
    let mut file = spec.header();
    // Prefix: 5 + 8 + 4 (offset) + 4 (checksum) = 21.
    let block = spec.direct(0, 0, 512, &[(21, b"hello"), (26, b"world!")]);
    put(&mut file, 1000, &block);
    file
}

#[test]
fn reads_objects_from_a_root_direct_block() {
    let spec = direct_spec();
    let ctx = ctx(direct_file(&spec));
    let heap = FractalHeap::read(&ctx, 0).unwrap();
    assert_eq!(heap.id_len(), 7);
    assert_eq!(heap.offset_size, 4);
    assert_eq!(heap.length_size, 2);
    assert_eq!(heap.object(&ctx, &spec.id(21, 5)).unwrap(), b"hello");
    assert_eq!(heap.object(&ctx, &spec.id(26, 6)).unwrap(), b"world!");
    // Again, from the cache, and from a clone.
    assert_eq!(heap.object(&ctx, &spec.id(21, 5)).unwrap(), b"hello");
    assert_eq!(heap.clone().object(&ctx, &spec.id(22, 3)).unwrap(), b"ell");
    // Inside the block prefix, past the block, empty, outside the address space.
    for id in [spec.id(10, 5), spec.id(510, 5), spec.id(21, 0)] {
        assert!(matches!(heap.object(&ctx, &id), Err(Error::Corrupt { .. })));
    }
    let mut far = spec.id(0, 1);
    far[1..5].copy_from_slice(&u32::MAX.to_le_bytes());
    assert!(heap.object(&ctx, &far).is_err());
    // A truncated heap ID and an unknown ID version or type.
    assert!(heap.object(&ctx, &spec.id(21, 5)[..4]).is_err());
    assert!(heap.object(&ctx, &[]).is_err());
    assert!(heap.object(&ctx, &[0x40, 21, 0, 0, 0, 5, 0]).is_err());
    assert!(heap.object(&ctx, &[0x30, 21, 0, 0, 0, 5, 0]).is_err());
}

#[test]
fn unchecksummed_direct_blocks() {
    let spec = Spec {
        flags: 0,
        ..direct_spec()
    };
    let ctx = ctx(direct_file(&Spec {
        flags: 0,
        ..direct_spec()
    }));
    let heap = FractalHeap::read(&ctx, 0).unwrap();
    // Prefix is 17 bytes: "hello" sits at heap offset 21 all the same.
    assert_eq!(heap.object(&ctx, &spec.id(17, 4)).unwrap(), b"\0\0\0\0");
    assert_eq!(heap.object(&ctx, &spec.id(21, 5)).unwrap(), b"hello");
}

#[test]
fn rejects_corrupt_headers_and_direct_blocks() {
    let spec = direct_spec();
    let good = direct_file(&spec);
    let id = spec.id(21, 5);

    let mut bad = good.clone();
    bad[0] = b'X';
    assert!(matches!(
        FractalHeap::read(&ctx(bad), 0),
        Err(Error::Corrupt { .. })
    ));
    let mut bad = good.clone();
    bad[20] ^= 1; // max managed size, covered by the header checksum
    assert!(matches!(
        FractalHeap::read(&ctx(bad), 0),
        Err(Error::Checksum { .. })
    ));
    assert!(FractalHeap::read(&ctx(good[..60].to_vec()), 0).is_err());
    let bad_width = Spec {
        width: 3,
        ..spec.clone()
    };
    assert!(FractalHeap::read(&ctx(bad_width.header()), 0).is_err());
    let bad_rows = Spec {
        root_rows: 40,
        ..spec.clone()
    };
    assert!(FractalHeap::read(&ctx(bad_rows.header()), 0).is_err());

    // Direct block: data byte flipped, signature, owner, block offset, truncation.
    let check = |file: Vec<u8>| {
        let ctx = ctx(file);
        let heap = FractalHeap::read(&ctx, 0).unwrap();
        heap.object(&ctx, &id)
    };
    let mut bad = good.clone();
    bad[1000 + 300] ^= 1;
    assert!(matches!(check(bad), Err(Error::Checksum { .. })));
    let mut bad = good.clone();
    bad[1000] = b'Y';
    assert!(matches!(check(bad), Err(Error::Corrupt { .. })));
    let mut bad = good.clone();
    bad[1005] = 9;
    assert!(matches!(check(bad), Err(Error::Corrupt { .. })));
    let mut bad = good.clone();
    bad[1013] = 1;
    assert!(matches!(check(bad), Err(Error::Corrupt { .. })));
    assert!(matches!(
        check(good[..1200].to_vec()),
        Err(Error::OutOfBounds { .. })
    ));
    // An empty heap.
    let empty = Spec {
        root: u64::MAX,
        ..spec.clone()
    };
    assert!(check(empty.header()).is_err());
}

/// Width 4, blocks 512/512/1024 in direct rows 0-2, row 3 of 2048-byte indirect
/// children (one row of four 512-byte blocks each).
fn indirect_spec() -> Spec {
    Spec {
        id_len: 5,
        filter_len: 0,
        flags: 2,
        width: 4,
        start: 512,
        max_direct: 1024,
        bits: 16,
        root: 2000,
        root_rows: 4,
    }
}

/// Returns the file and the address of the child indirect block.
fn indirect_file(spec: &Spec, cycle: bool) -> (Vec<u8>, u64) {
    let mut file = spec.header();
    let u = u64::MAX;
    // Root: 16 entries, rows 0-2 direct, row 3 indirect.
    let mut root = vec![u; 16];
    root[1] = 3000; // row 0 col 1: heap offset 512
    root[9] = 4000; // row 2 col 1: heap offset 4096 + 1024 = 5120
                    // Row 3 col 1: heap offset 8192 + 2048 = 10240. A cycle points back at the root.
    root[13] = if cycle { 2000 } else { 6000 };
    put(&mut file, 2000, &spec.indirect(0, 0, &root));
    // Direct block prefix: 5 + 8 + 2 + 4 = 19.
    put(
        &mut file,
        3000,
        &spec.direct(0, 512, 512, &[(600, b"row zero")]),
    );
    put(
        &mut file,
        4000,
        &spec.direct(0, 5120, 1024, &[(6000, b"row two")]),
    );
    let mut child = vec![u; 4];
    child[2] = 7000; // heap offset 10240 + 1024 = 11264
    put(&mut file, 6000, &spec.indirect(0, 10240, &child));
    put(
        &mut file,
        7000,
        &spec.direct(0, 11264, 512, &[(11300, b"nested")]),
    );
    (file, 6000)
}

#[test]
fn walks_indirect_blocks() {
    let spec = indirect_spec();
    let (file, _) = indirect_file(&spec, false);
    let ctx = ctx(file);
    let heap = FractalHeap::read(&ctx, 0).unwrap();
    assert_eq!(heap.max_direct_rows, 3);
    assert_eq!(heap.object(&ctx, &spec.id(600, 8)).unwrap(), b"row zero");
    assert_eq!(heap.object(&ctx, &spec.id(6000, 7)).unwrap(), b"row two");
    assert_eq!(heap.object(&ctx, &spec.id(11300, 6)).unwrap(), b"nested");
    // Unallocated blocks at every level, and an offset past the root's rows.
    for off in [100, 9000, 10300, 12000, 20000] {
        assert!(
            matches!(
                heap.object(&ctx, &spec.id(off, 4)),
                Err(Error::Corrupt { .. })
            ),
            "{off}"
        );
    }
}

#[test]
fn rejects_corrupt_indirect_blocks() {
    let spec = indirect_spec();
    let id = spec.id(11300, 6);
    let check = |file: Vec<u8>| {
        let ctx = ctx(file);
        let heap = FractalHeap::read(&ctx, 0).unwrap();
        heap.object(&ctx, &id)
    };
    let (cyclic, _) = indirect_file(&spec, true);
    assert!(matches!(check(cyclic), Err(Error::Cycle { .. })));
    let (good, child) = indirect_file(&spec, false);
    let mut bad = good.clone();
    bad[child as usize + 20] ^= 1; // a child address
    assert!(matches!(check(bad), Err(Error::Checksum { .. })));
    let mut bad = good.clone();
    bad[child as usize + 13] ^= 1; // the block offset
    assert!(matches!(check(bad), Err(Error::Corrupt { .. })));
    let mut bad = good.clone();
    bad[2000] = b'Z';
    assert!(matches!(check(bad), Err(Error::Corrupt { .. })));
    assert!(check(good[..6050].to_vec()).is_err());
}

#[test]
fn reads_tiny_objects() {
    let ctx = ctx(direct_file(&direct_spec()));
    let heap = FractalHeap::read(&ctx, 0).unwrap();
    assert_eq!(
        heap.object(&ctx, &[0x22, b'a', b'b', b'c', 0, 0, 0])
            .unwrap(),
        b"abc"
    );
    assert_eq!(heap.object(&ctx, &[0x20, b'z']).unwrap(), b"z");
    assert!(heap.object(&ctx, &[0x2f, 1, 2, 3]).is_err());

    // IDs longer than 18 bytes use the extended form.
    let spec = Spec {
        id_len: 24,
        ..direct_spec()
    };
    let mut file = spec.header();
    put(&mut file, 1000, &spec.direct(0, 0, 512, &[]));
    let ctx2 = super::tests::ctx(file);
    let heap = FractalHeap::read(&ctx2, 0).unwrap();
    let mut id = vec![0x20, 19];
    id.extend(1..=22u8);
    assert_eq!(
        heap.object(&ctx2, &id).unwrap(),
        (1..=20u8).collect::<Vec<_>>()
    );
    assert!(heap.object(&ctx2, &[0x20]).is_err());
    assert!(heap.object(&ctx2, &[0x21, 0, 1]).is_err());
}

#[test]
fn reads_directly_accessed_huge_objects() {
    let spec = Spec {
        id_len: 17,
        ..direct_spec()
    };
    let mut file = spec.header();
    put(&mut file, 1000, &spec.direct(0, 0, 512, &[]));
    put(&mut file, 1600, b"a huge object");
    let ctx = ctx(file);
    let heap = FractalHeap::read(&ctx, 0).unwrap();
    let mut id = vec![0x10];
    id.extend_from_slice(&1600u64.to_le_bytes());
    id.extend_from_slice(&13u64.to_le_bytes());
    assert_eq!(heap.object(&ctx, &id).unwrap(), b"a huge object");
    id[9] = 200;
    assert!(matches!(
        heap.object(&ctx, &id),
        Err(Error::OutOfBounds { .. })
    ));
    // Indirectly accessed huge objects need the (absent) huge-object B-tree.
    let short = FractalHeap::read(&super::tests::ctx(direct_file(&direct_spec())), 0).unwrap();
    assert!(short.object(&ctx, &[0x10, 1, 0, 0, 0, 0, 0]).is_err());
}

#[test]
fn filtered_heaps_are_unsupported() {
    let spec = Spec {
        filter_len: 16,
        ..direct_spec()
    };
    let ctx = ctx(spec.header());
    let heap = FractalHeap::read(&ctx, 0).unwrap();
    assert!(matches!(
        heap.object(&ctx, &spec.id(21, 5)),
        Err(Error::Unsupported { .. })
    ));
    // Tiny objects need no filters.
    assert_eq!(heap.object(&ctx, &[0x20, b'q']).unwrap(), b"q");
}

/// The link-name heap header of a group with 25 links, from h5py 3.16 (libhdf5 2.0):
/// `h5py.File(p, "w", libver="latest")`, `create_group("links")`, then 25
/// `create_group(f"links/link_{i:02d}")`. The header sat at address 1697.
const H5PY_LINK_HEAP: [u8; 146] = [
    0x46, 0x52, 0x48, 0x50, 0x00, 0x07, 0x00, 0x00, 0x00, 0x02, 0x00, 0x10, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x29, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x59, 0x07, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x19, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00,
    0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x20, 0x00, 0x01, 0x00, 0x28, 0x5a, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0x35,
    0xdb, 0xaa,
];

#[test]
fn decodes_a_real_h5py_header() {
    let ctx = ctx(H5PY_LINK_HEAP.to_vec());
    let heap = FractalHeap::read(&ctx, 0).unwrap();
    assert_eq!(heap.id_len(), 7);
    assert_eq!(heap.max_managed_size(), 4096);
    assert_eq!(heap.flags, 2);
    assert_eq!(heap.width, 4);
    assert_eq!(heap.start_block, 512);
    assert_eq!(heap.max_heap_bits, 32);
    assert_eq!(heap.max_direct_rows, 9);
    assert_eq!(heap.root, 23080);
    assert_eq!(heap.root_rows, 0);
    assert_eq!(heap.huge_btree, UNDEF);
    // 1 + 4 + 2 = the 7-byte IDs of its v2 B-tree records.
    assert_eq!((heap.offset_size, heap.length_size), (4, 2));
    // The root direct block is not in these bytes.
    assert!(matches!(
        heap.object(&ctx, &[0, 21, 0, 0, 0, 5, 0]),
        Err(Error::OutOfBounds { .. })
    ));
    let mut bad = H5PY_LINK_HEAP;
    bad[140] ^= 0x80;
    assert!(matches!(
        FractalHeap::read(&super::tests::ctx(bad.to_vec()), 0),
        Err(Error::Checksum { .. })
    ));
}

#[test]
fn id_field_sizes_follow_libhdf5() {
    // Dense-attribute heaps of h5py: 40-bit heap, 64 KiB direct blocks, 4 KiB objects.
    let spec = Spec {
        id_len: 8,
        bits: 40,
        start: 1024,
        ..direct_spec()
    };
    let heap = FractalHeap::read(&ctx(spec.header()), 0).unwrap();
    assert_eq!((heap.offset_size, heap.length_size), (5, 2));
    assert_eq!(heap.max_direct_rows, 8);
    // Small direct blocks limit the length field: 2^8-byte blocks -> 1 byte.
    let spec = Spec {
        start: 256,
        max_direct: 256,
        ..direct_spec()
    };
    let heap = FractalHeap::read(&ctx(spec.header()), 0).unwrap();
    assert_eq!(heap.length_size, 1);
}

/// A heap of huge objects only, as the writer lays out dense attributes: header at 0,
/// the type 1 B-tree at 200 (leaf at 300), objects at 1000 and 1100.
fn huge_only_file() -> (Vec<u8>, Vec<u8>) {
    use crate::format::btree_v2::{records::HugeObject, BTreeV2};
    let objects = [
        (1000u64, b"first object".as_slice()),
        (1100, b"second".as_slice()),
    ];
    let records: Vec<Vec<u8>> = (1u64..)
        .zip(&objects)
        .map(|(id, (address, data))| {
            HugeObject {
                address: *address,
                length: data.len() as u64,
                id,
            }
            .encode()
        })
        .collect();
    let (mut tree, leaf) =
        BTreeV2::single_leaf(HugeObject::TYPE, HugeObject::SIZE, &records).unwrap();
    assert_eq!(leaf.len(), 512);
    tree.address = 200;
    tree.root = 300;
    let header = HugeObjects {
        btree: 200,
        count: 2,
        bytes: 18,
        last_id: 2,
    }
    .encode_header();
    assert_eq!(header.len(), HEADER_LEN);
    let mut file = Vec::new();
    put(&mut file, 0, &header);
    put(&mut file, 200, &tree.encode());
    put(&mut file, 300, &leaf);
    for (at, data) in objects {
        put(&mut file, at, data);
    }
    (file, header)
}

#[test]
fn huge_only_heaps_round_trip_and_list_their_extents() {
    let (file, _) = huge_only_file();
    let c = ctx(file);
    let heap = FractalHeap::read(&c, 0).unwrap();
    assert_eq!(heap.id_len(), ID_LEN);
    assert_eq!(heap.max_managed_size(), 4096);
    let id2 = HugeObjects::heap_id(2).unwrap();
    assert_eq!(id2, [0x10, 2, 0, 0, 0, 0, 0, 0]);
    assert_eq!(heap.object(&c, &id2).unwrap(), b"second");
    assert_eq!(
        heap.object(&c, &HugeObjects::heap_id(1).unwrap()).unwrap(),
        b"first object"
    );
    assert!(heap.object(&c, &HugeObjects::heap_id(3).unwrap()).is_err());
    let mut extents = heap.extents(&c).unwrap().unwrap();
    extents.sort_unstable();
    assert_eq!(
        extents,
        [(0, 146), (200, 38), (300, 512), (1000, 12), (1100, 6)]
    );
    assert!(HugeObjects::heap_id(1 << 56).is_err());
}

#[test]
fn heaps_with_a_free_space_manager_do_not_list_their_extents() {
    // libhdf5 adds a free-space manager with the first managed object; its blocks are
    // not listed, so the heap's extents are unknown.
    let (mut file, mut header) = huge_only_file();
    header[38..46].copy_from_slice(&5000u64.to_le_bytes());
    let sum = lookup3(&header[..HEADER_LEN - 4], 0);
    header[HEADER_LEN - 4..].copy_from_slice(&sum.to_le_bytes());
    file[..HEADER_LEN].copy_from_slice(&header);
    let c = ctx(file);
    let heap = FractalHeap::read(&c, 0).unwrap();
    assert_eq!(heap.extents(&c).unwrap(), None);
}
