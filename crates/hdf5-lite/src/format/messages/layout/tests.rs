//! Data Layout message tests on hand-built bytes and on messages h5py wrote (spec
//! IV.A.2.i; version 3 from the byte strings of hdf5-features.md section 8), and the
//! bounds `check_fits` puts on stored sizes.

use super::*;
use crate::format::Sizes;

fn hex(s: &str) -> Vec<u8> {
    let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

#[test]
fn check_fits_bounds_storage_by_the_file() {
    let contiguous = |address, size| Layout::Contiguous { address, size };
    assert!(contiguous(100, 80).check_fits(10, 8, 180, 0, 0).is_ok());
    // Too little storage, storage past the end, or past it once the base is added.
    assert!(contiguous(100, 79).check_fits(10, 8, 180, 0, 0).is_err());
    assert!(contiguous(100, 80).check_fits(10, 8, 179, 0, 0).is_err());
    assert!(contiguous(100, 80).check_fits(10, 8, 180, 1, 0).is_err());
    // Never written: nothing stored to check.
    assert!(contiguous(UNDEF, 0).check_fits(10, 8, 180, 0, 0).is_ok());
    // A 4 GiB element size cannot be stored in a small file.
    assert!(contiguous(0, 16)
        .check_fits(1, 0xff00_0010, 4096, 0, 0)
        .is_err());
    let compact = Layout::Compact { data: vec![0; 6] };
    assert!(compact.check_fits(3, 2, 0, 0, 0).is_ok());
    assert!(compact.check_fits(3, 3, 0, 0, 0).is_err());
    let chunked = Layout::Chunked {
        version: 3,
        flags: 0,
        chunk_dims: vec![4],
        element_size: 4,
        index: ChunkIndexKind::BTreeV1,
        address: UNDEF,
    };
    assert!(chunked.check_fits(u64::MAX, 4, 0, 0, 0).is_ok());
    assert!(chunked.check_fits(1, 0xff00_0004, 0, 0, 0).is_err());
}

fn decode(b: &[u8]) -> Result<Layout> {
    let mut c = Cursor::new(b, 0, "layout", Sizes::default());
    let l = Layout::decode(&mut c)?;
    assert_eq!(c.remaining(), 0, "{l:?}");
    Ok(l)
}

#[test]
fn v3_section8() {
    assert_eq!(
        decode(&hex("03 01 0008000000000000 9001000000000000")).unwrap(),
        Layout::Contiguous {
            address: 0x800,
            size: 400
        }
    );
    assert_eq!(
        decode(&hex("03 01 ffffffffffffffff 9001000000000000")).unwrap(),
        Layout::Contiguous {
            address: UNDEF,
            size: 400
        }
    );
    assert_eq!(
        decode(&hex("03 02 03 0010000000000000 40000000 20000000 04000000")).unwrap(),
        Layout::Chunked {
            version: 3,
            flags: 0,
            chunk_dims: vec![64, 32],
            element_size: 4,
            index: ChunkIndexKind::BTreeV1,
            address: 0x1000
        }
    );
    assert_eq!(
        decode(&hex("03 00 0300 010203")).unwrap(),
        Layout::Compact {
            data: vec![1, 2, 3]
        }
    );
}

#[test]
fn v1_v2() {
    // Chunked: ndims 3 (rank 2 + element size), address, dims.
    let l = decode(&hex(
        "01 03 02 0000000000 0010000000000000 0a000000 0b000000 08000000",
    ))
    .unwrap();
    assert_eq!(
        l,
        Layout::Chunked {
            version: 1,
            flags: 0,
            chunk_dims: vec![10, 11],
            element_size: 8,
            index: ChunkIndexKind::BTreeV1,
            address: 0x1000
        }
    );
    // Contiguous: shape 5 x 4 of 2-byte elements.
    let l = decode(&hex(
        "02 03 01 0000000000 0008000000000000 05000000 04000000 02000000",
    ))
    .unwrap();
    assert_eq!(
        l,
        Layout::Contiguous {
            address: 0x800,
            size: 40
        }
    );
    // Compact: no address, then size(4) and data.
    let l = decode(&hex("02 02 00 0000000000 02000000 01000000 02000000 aabb")).unwrap();
    assert_eq!(
        l,
        Layout::Compact {
            data: vec![0xaa, 0xbb]
        }
    );
}

#[test]
fn v4_indexes() {
    let head = "04 02 00 03 02 0a00 0500 0800";
    let ck = |index, address| Layout::Chunked {
        version: 4,
        flags: 0,
        chunk_dims: vec![10, 5],
        element_size: 8,
        index,
        address,
    };
    assert_eq!(
        decode(&hex(&format!("{head} 01 0020000000000000"))).unwrap(),
        ck(
            ChunkIndexKind::SingleChunk {
                filtered_size: None,
                filter_mask: 0
            },
            0x2000
        )
    );
    assert_eq!(
        decode(&hex(&format!("{head} 02 ffffffffffffffff"))).unwrap(),
        ck(ChunkIndexKind::Implicit, UNDEF)
    );
    assert_eq!(
        decode(&hex(&format!("{head} 03 0a 0020000000000000"))).unwrap(),
        ck(ChunkIndexKind::FixedArray { page_bits: 10 }, 0x2000)
    );
    assert_eq!(
        decode(&hex(&format!("{head} 04 20 04 04 10 0a 0020000000000000"))).unwrap(),
        ck(
            ChunkIndexKind::ExtensibleArray {
                max_bits: 32,
                index_elements: 4,
                data_block_min_elements: 16,
                super_block_min_pointers: 4,
                page_bits: 10
            },
            0x2000
        )
    );
    assert_eq!(
        decode(&hex(&format!("{head} 05 00020000 64 28 0020000000000000"))).unwrap(),
        ck(
            ChunkIndexKind::BTreeV2 {
                node_size: 512,
                split_percent: 100,
                merge_percent: 40
            },
            0x2000
        )
    );
}

#[test]
fn v5_filtered_single_chunk() {
    let l = decode(&hex(
        "05 02 02 02 04 64000000 04000000 01 3412000000000000 00000000 0030000000000000",
    ))
    .unwrap();
    assert_eq!(
        l,
        Layout::Chunked {
            version: 5,
            flags: 2,
            chunk_dims: vec![100],
            element_size: 4,
            index: ChunkIndexKind::SingleChunk {
                filtered_size: Some(0x1234),
                filter_mask: 0
            },
            address: 0x3000
        }
    );
    let v = hex("04 03 ffffffffffffffff 00000000");
    let r = Layout::decode(&mut Cursor::new(&v, 0, "layout", Sizes::default()));
    assert_eq!(r.unwrap(), Layout::Virtual);
    assert_eq!(
        decode(&hex("04 01 0008000000000000 0800000000000000")).unwrap(),
        Layout::Contiguous {
            address: 0x800,
            size: 8
        }
    );
}

/// Layout messages written by h5py 3.16 (libhdf5 2.0) with `libver='latest'`:
/// `chunks=(100,)` with shuffle+gzip+fletcher32, and `chunks=(20,)` of 20 int32 with gzip.
#[test]
fn h5py_latest_version5() {
    let fa = decode(&hex("05020002016404030add07000000000000")).unwrap();
    assert_eq!(
        fa,
        Layout::Chunked {
            version: 5,
            flags: 0,
            chunk_dims: vec![100],
            element_size: 4,
            index: ChunkIndexKind::FixedArray { page_bits: 10 },
            address: 0x7dd
        }
    );
    let single = decode(&hex(
        "05020202011404012d00000000000000000000001499000000000000",
    ))
    .unwrap();
    assert_eq!(
        single,
        Layout::Chunked {
            version: 5,
            flags: 2,
            chunk_dims: vec![20],
            element_size: 4,
            index: ChunkIndexKind::SingleChunk {
                filtered_size: Some(45),
                filter_mask: 0
            },
            address: 0x9914
        }
    );
}

#[test]
fn errors() {
    let bad = [
        "06 01",                                                // version
        "03 03 00",                                             // virtual in v3
        "03 02 01 0010000000000000 04000000",                   // ndims 1
        "03 02 03 0010000000000000 00000000 20000000 04000000", // zero chunk dim
        "03 02 03 0010000000000000 01000000 20000000 00000000", // zero element size
        "04 02 04 03 02 0a00 0500 0800 01 0020000000000000",    // unknown flag bit 2
        "04 02 00 03 09 0a00 0500 0800 01 0020000000000000",    // dim width 9
        "04 02 00 03 02 0a00 0500 0800 06 0020000000000000",    // index type 6
        "04 02 00 03 02 0a00 0500 0800 01 00200000000000",      // truncated address
        "03 00 0500 0102",                                      // compact overrun
        "04 02 02 03 02 0a00 0500 0800 01 3412000000000000",    // missing mask
    ];
    for b in bad {
        let r = Layout::decode(&mut Cursor::new(&hex(b), 0, "layout", Sizes::default()));
        assert!(r.is_err(), "{b}: {r:?}");
    }
    let r = Layout::decode(&mut Cursor::new(
        &hex("06 01"),
        0,
        "layout",
        Sizes::default(),
    ));
    assert!(matches!(r, Err(Error::Unsupported { .. })));
}
