//! Superblock tests: real superblocks written by h5py, and hand-built ones (spec II.A).

use std::sync::Arc;

use super::*;
use crate::format::Ctx;
use crate::storage::MemStorage;

fn source(bytes: Vec<u8>) -> Source {
    Source::new(Arc::new(MemStorage::new(bytes)))
}

/// The first 96 bytes of `h5py.File(p, 'w')` (libhdf5 2.0, default libver): a version 0
/// superblock whose root entry caches the B-tree (0x88) and local heap (0x2a8).
const H5PY_V0: [u8; 96] = [
    0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x00, 0x00, 0x08, 0x08, 0x00,
    0x04, 0x00, 0x10, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x08, 0x11, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x60, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x88, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xa8, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
];

/// The first 97 bytes of a file made by `h5py.h5f.create` with a file creation property
/// list given `H5Pset_sym_k(2, 2)` and `H5Pset_istore_k(2)`: a version 2 superblock
/// (extension at 0x30, root at 0x61) and the extension's object header, holding a B-tree
/// 'K' values message (2, 2, 2) and a NIL message.
const H5PY_SMALL_K: [u8; 97] = [
    0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a, 0x02, 0x08, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x30, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x50, 0x08, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x61, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x49, 0x13, 0x75, 0xf2,
    0x4f, 0x48, 0x44, 0x52, 0x02, 0x20, 0xdf, 0xdb, 0x00, 0x6b, 0xdf, 0xdb, 0x00, 0x6b, 0xdf, 0xdb,
    0x00, 0x6b, 0xdf, 0xdb, 0x00, 0x6b, 0x16, 0x13, 0x07, 0x00, 0x05, 0x00, 0x02, 0x00, 0x02, 0x00,
    0x02, 0x00, 0x00, 0x07, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xe5, 0x26, 0xcc,
    0x54,
];

/// The first 100 bytes of a file made with libhdf5 1.10.8 (`H5Fcreate` with
/// `H5Pset_sym_k(fcpl, 3, 5)` and `H5Pset_istore_k(fcpl, 7)`, called through ctypes): a
/// version 1 superblock, root group at 0x64 caching B-tree 0x8c and local heap 0x10c.
const LIBHDF5_V1: [u8; 100] = [
    0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a, 0x01, 0x00, 0x00, 0x00, 0x00, 0x08, 0x08, 0x00,
    0x05, 0x00, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x07, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x3c, 0x04, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x64, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x8c, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0c, 0x01, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00,
];

/// A version 2 or 3 superblock with 8-byte sizes and a correct checksum.
fn v2(version: u8, base: u64, ext: u64, eof: u64, root: u64) -> Vec<u8> {
    let mut b = SIGNATURE.to_vec();
    b.extend_from_slice(&[version, 8, 8, 0]);
    for a in [base, ext, eof, root] {
        b.extend_from_slice(&a.to_le_bytes());
    }
    let sum = lookup3(&b, 0);
    b.extend_from_slice(&sum.to_le_bytes());
    b
}

#[test]
fn real_v0_superblock() {
    let sb = Superblock::find(&source(H5PY_V0.to_vec())).unwrap();
    assert_eq!(
        sb,
        Superblock {
            version: 0,
            signature_offset: 0,
            sizes: Sizes {
                offsets: 8,
                lengths: 8
            },
            base_address: 0,
            eof_address: 0x1108,
            root_object_header: 0x60,
            root_cache: Some((0x88, 0x2a8)),
            group_leaf_k: 4,
            group_internal_k: 16,
            indexed_storage_k: 32,
            extension: None,
        }
    );
}

#[test]
fn real_v1_superblock() {
    let sb = Superblock::find(&source(LIBHDF5_V1.to_vec())).unwrap();
    assert_eq!(sb.version, 1);
    assert_eq!(sb.eof_address, 0x43c);
    assert_eq!(sb.root_object_header, 0x64);
    assert_eq!(sb.root_cache, Some((0x8c, 0x10c)));
    assert_eq!(
        (sb.group_leaf_k, sb.group_internal_k, sb.indexed_storage_k),
        (5, 3, 7)
    );
    assert_eq!(sb.extension, None);
    // One byte short of the root entry's scratch pad.
    let e = Superblock::find(&source(LIBHDF5_V1[..99].to_vec())).unwrap_err();
    assert!(matches!(e, Error::Corrupt { .. }), "{e}");
}

#[test]
fn real_v2_superblock_with_btree_k_extension() {
    let src = source(H5PY_SMALL_K.to_vec());
    let mut sb = Superblock::find(&src).unwrap();
    assert_eq!(sb.version, 2);
    assert_eq!(sb.extension, Some(0x30));
    assert_eq!(sb.root_object_header, 0x61);
    assert_eq!(sb.eof_address, 0x850);
    assert_eq!(sb.root_cache, None);
    assert_eq!(
        (sb.group_leaf_k, sb.group_internal_k, sb.indexed_storage_k),
        (4, 16, 32)
    );
    let ctx = Ctx {
        source: src,
        base: sb.base_address,
        sizes: sb.sizes,
    };
    sb.read_extension(&ctx).unwrap();
    assert_eq!(
        (sb.group_leaf_k, sb.group_internal_k, sb.indexed_storage_k),
        (2, 2, 2)
    );

    // A flipped bit in the superblock fails its checksum.
    let mut bad = H5PY_SMALL_K.to_vec();
    bad[20] ^= 0x01;
    let e = Superblock::find(&source(bad)).unwrap_err();
    assert!(
        matches!(
            e,
            Error::Checksum {
                structure: "superblock",
                offset: 0,
                stored: 0xf275_1349,
                ..
            }
        ),
        "{e}"
    );
    // A flipped bit in the extension fails the object header checksum.
    let mut bad = H5PY_SMALL_K.to_vec();
    bad[75] = 9;
    let src = source(bad);
    let mut sb = Superblock::find(&src).unwrap();
    let ctx = Ctx {
        source: src,
        base: 0,
        sizes: sb.sizes,
    };
    let e = sb.read_extension(&ctx).unwrap_err();
    assert!(matches!(e, Error::Checksum { offset: 0x30, .. }), "{e}");
}

#[test]
fn extension_without_btree_k_keeps_defaults() {
    let mut file = v2(3, 0, 48, 200, 100);
    // Extension object header: a File Space Info message only (ignored).
    let mut oh = b"OHDR\x02\x00".to_vec();
    let body = [1u8, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0];
    oh.push((4 + body.len()) as u8);
    oh.extend_from_slice(&[kind::FILE_SPACE_INFO as u8, body.len() as u8, 0, 0]);
    oh.extend_from_slice(&body);
    let sum = lookup3(&oh, 0);
    oh.extend_from_slice(&sum.to_le_bytes());
    file.extend_from_slice(&oh);
    let src = source(file);
    let mut sb = Superblock::find(&src).unwrap();
    assert_eq!(sb.version, 3);
    let ctx = Ctx {
        source: src,
        base: 0,
        sizes: sb.sizes,
    };
    sb.read_extension(&ctx).unwrap();
    assert_eq!(
        (sb.group_leaf_k, sb.group_internal_k, sb.indexed_storage_k),
        (4, 16, 32)
    );
}

#[test]
fn userblock_signature_search() {
    for ub in [512usize, 1024, 2048, 4096] {
        let mut file = vec![0u8; ub];
        file.extend(v2(2, ub as u64, UNDEF, 300, 48));
        let sb = Superblock::find(&source(file)).unwrap();
        assert_eq!(sb.signature_offset, ub as u64);
        assert_eq!(sb.base_address, ub as u64);
        assert_eq!(sb.extension, None);
        assert_eq!(sb.root_object_header, 48);
    }
    // A stored base address of 0 behind a userblock: addresses still count from the
    // signature, as libhdf5 reads them.
    let mut file = vec![0u8; 512];
    file.extend(v2(2, 0, UNDEF, 300, 48));
    assert_eq!(Superblock::find(&source(file)).unwrap().base_address, 512);

    // A signature at an offset that is not searched.
    let mut file = vec![0u8; 700];
    file.extend(v2(2, 0, UNDEF, 300, 48));
    assert!(matches!(
        Superblock::find(&source(file)),
        Err(Error::NotHdf5)
    ));
    assert!(matches!(
        Superblock::find(&source(Vec::new())),
        Err(Error::NotHdf5)
    ));
    assert!(matches!(
        Superblock::find(&source(b"\x89HDF\r\n".to_vec())),
        Err(Error::NotHdf5)
    ));
}

#[test]
fn v1_with_small_offsets() {
    let mut b = SIGNATURE.to_vec();
    b.extend_from_slice(&[1, 0, 0, 0, 0, 4, 2, 0]);
    b.extend_from_slice(&[3, 0, 7, 0]); // group leaf K 3, internal K 7
    b.extend_from_slice(&[0; 4]); // consistency flags
    b.extend_from_slice(&[9, 0, 0, 0]); // indexed storage K 9, reserved
    for a in [0u32, u32::MAX, 0x400, u32::MAX] {
        b.extend_from_slice(&a.to_le_bytes());
    }
    // Root entry: name offset, header address, cache type 0, reserved, scratch.
    b.extend_from_slice(&0u32.to_le_bytes());
    b.extend_from_slice(&0x40u32.to_le_bytes());
    b.extend_from_slice(&[0; 8]);
    b.extend_from_slice(&[0; 16]);
    let sb = Superblock::find(&source(b.clone())).unwrap();
    assert_eq!(sb.version, 1);
    assert_eq!(
        sb.sizes,
        Sizes {
            offsets: 4,
            lengths: 2
        }
    );
    assert_eq!(sb.eof_address, 0x400);
    assert_eq!(sb.root_object_header, 0x40);
    assert_eq!(sb.root_cache, None);
    assert_eq!(
        (sb.group_leaf_k, sb.group_internal_k, sb.indexed_storage_k),
        (3, 7, 9)
    );

    // Truncated inside the root entry.
    let e = Superblock::find(&source(b[..b.len() - 4].to_vec())).unwrap_err();
    assert!(matches!(e, Error::Corrupt { .. }), "{e}");
    // A zero K.
    let mut zero = b.clone();
    zero[24] = 0;
    let e = Superblock::find(&source(zero)).unwrap_err();
    assert!(matches!(e, Error::Corrupt { .. }), "{e}");
    // Cache type 2 (a symbolic link) cannot be the root group.
    let mut st = b.clone();
    st[52] = 2;
    let e = Superblock::find(&source(st)).unwrap_err();
    assert!(matches!(e, Error::Corrupt { .. }), "{e}");
}

#[test]
fn bad_fields() {
    // Sizes of offsets must be 2, 4 or 8.
    let mut b = H5PY_V0.to_vec();
    b[13] = 3;
    let e = Superblock::find(&source(b)).unwrap_err();
    assert!(matches!(e, Error::Corrupt { .. }), "{e}");
    let mut b = H5PY_V0.to_vec();
    b[14] = 16;
    assert!(matches!(
        Superblock::find(&source(b)),
        Err(Error::Corrupt { .. })
    ));
    let mut b = v2(2, 0, UNDEF, 100, 48);
    b[9] = 1;
    assert!(matches!(
        Superblock::find(&source(b)),
        Err(Error::Corrupt { .. })
    ));
    // Unknown superblock version.
    let mut b = H5PY_V0.to_vec();
    b[8] = 4;
    let e = Superblock::find(&source(b)).unwrap_err();
    assert!(matches!(e, Error::Unsupported { .. }), "{e}");
    // Free space version must be 0.
    let mut b = H5PY_V0.to_vec();
    b[9] = 1;
    assert!(matches!(
        Superblock::find(&source(b)),
        Err(Error::Corrupt { .. })
    ));
    // Truncated v0 and v2 superblocks.
    assert!(Superblock::find(&source(H5PY_V0[..60].to_vec())).is_err());
    let b = v2(2, 0, UNDEF, 100, 48);
    let e = Superblock::find(&source(b[..40].to_vec())).unwrap_err();
    assert!(matches!(e, Error::Corrupt { .. }), "{e}");
    // Undefined root object header.
    let b = v2(2, 0, UNDEF, 100, UNDEF);
    assert!(matches!(
        Superblock::find(&source(b)),
        Err(Error::Corrupt { .. })
    ));
}

/// The superblock of [`H5PY_V0`] as hdf5-lite's writer describes it.
fn h5py_v0_superblock() -> Superblock {
    Superblock {
        version: 0,
        signature_offset: 0,
        sizes: Sizes::default(),
        base_address: 0,
        eof_address: 0x1108,
        root_object_header: 0x60,
        root_cache: Some((0x88, 0x2a8)),
        group_leaf_k: 4,
        group_internal_k: 16,
        indexed_storage_k: 32,
        extension: None,
    }
}

#[test]
fn encode_v0_matches_h5py_byte_for_byte() {
    let sb = h5py_v0_superblock();
    assert_eq!(sb.encode_v0().unwrap(), H5PY_V0.to_vec());
    // And decodes back to the same description.
    let decoded = Superblock::find(&source(H5PY_V0.to_vec())).unwrap();
    assert_eq!(decoded, sb);
}

#[test]
fn encode_v0_round_trips_other_values() {
    let mut sb = h5py_v0_superblock();
    sb.root_cache = None;
    sb.group_leaf_k = 7;
    sb.group_internal_k = 9;
    sb.eof_address = 0x1234_5678;
    sb.root_object_header = 0x400;
    let bytes = sb.encode_v0().unwrap();
    assert_eq!(bytes.len(), 96);
    // Cache type 0 and zeroed scratch.
    assert_eq!(bytes[0x48..0x4c], [0, 0, 0, 0]);
    assert!(bytes[0x50..].iter().all(|&b| b == 0));
    let mut file = bytes.clone();
    file.resize(0x2000, 0);
    assert_eq!(Superblock::find(&source(file)).unwrap(), sb);
    // Free-space and driver-info addresses are undefined.
    assert_eq!(bytes[0x20..0x28], [0xff; 8]);
    assert_eq!(bytes[0x30..0x38], [0xff; 8]);
}

#[test]
fn encode_v0_refuses_small_sizes() {
    let mut sb = h5py_v0_superblock();
    sb.sizes = Sizes {
        offsets: 4,
        lengths: 8,
    };
    assert!(matches!(sb.encode_v0(), Err(Error::Unsupported { .. })));
    sb.sizes = Sizes {
        offsets: 8,
        lengths: 2,
    };
    assert!(sb.encode_v0().is_err());
}
