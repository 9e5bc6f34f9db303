//! Object header tests over hand-built headers (spec IV.A.1).

use std::sync::Arc;

use super::*;
use crate::format::checksum::lookup3;
use crate::format::Sizes;
use crate::storage::{MemStorage, Source};

fn ctx_at(bytes: Vec<u8>, base: u64) -> Ctx {
    Ctx {
        source: Source::new(Arc::new(MemStorage::new(bytes))),
        base,
        sizes: Sizes::default(),
    }
}

fn ctx(bytes: Vec<u8>) -> Ctx {
    ctx_at(bytes, 0)
}

/// Puts `part` at `at` in `file`, growing it as needed.
fn place(file: &mut Vec<u8>, at: usize, part: &[u8]) {
    if file.len() < at + part.len() {
        file.resize(at + part.len(), 0);
    }
    file[at..at + part.len()].copy_from_slice(part);
}

/// A version 1 message, body padded to a multiple of 8.
fn v1_msg(kind: u16, flags: u8, body: &[u8]) -> Vec<u8> {
    let padded = body.len().div_ceil(8) * 8;
    let mut m = kind.to_le_bytes().to_vec();
    m.extend_from_slice(&(padded as u16).to_le_bytes());
    m.extend_from_slice(&[flags, 0, 0, 0]);
    m.extend_from_slice(body);
    m.resize(8 + padded, 0);
    m
}

/// A version 1 prefix (refcount 1) followed by `msgs`.
fn v1_header(nmesgs: u16, msgs: &[u8]) -> Vec<u8> {
    let mut h = vec![1, 0];
    h.extend_from_slice(&nmesgs.to_le_bytes());
    h.extend_from_slice(&1u32.to_le_bytes());
    h.extend_from_slice(&(msgs.len() as u32).to_le_bytes());
    h.extend_from_slice(&[0; 4]);
    h.extend_from_slice(msgs);
    h
}

fn cont(addr: u64, len: u64) -> Vec<u8> {
    let mut b = addr.to_le_bytes().to_vec();
    b.extend_from_slice(&len.to_le_bytes());
    b
}

/// A version 2 message; `corder` when the header tracks creation order.
fn v2_msg(kind: u8, flags: u8, corder: Option<u16>, body: &[u8]) -> Vec<u8> {
    let mut m = vec![kind];
    m.extend_from_slice(&(body.len() as u16).to_le_bytes());
    m.push(flags);
    if let Some(o) = corder {
        m.extend_from_slice(&o.to_le_bytes());
    }
    m.extend_from_slice(body);
    m
}

fn with_checksum(mut b: Vec<u8>) -> Vec<u8> {
    let sum = lookup3(&b, 0);
    b.extend_from_slice(&sum.to_le_bytes());
    b
}

/// "OHDR" 2 flags [times] [phase change] size msgs checksum.
fn v2_header(flags: u8, msgs: &[u8]) -> Vec<u8> {
    let mut h = b"OHDR".to_vec();
    h.push(2);
    h.push(flags);
    if flags & 0x20 != 0 {
        h.extend_from_slice(&[7; 16]);
    }
    if flags & 0x10 != 0 {
        h.extend_from_slice(&[8, 0, 6, 0]);
    }
    let n = 1usize << (flags & 3);
    h.extend_from_slice(&(msgs.len() as u64).to_le_bytes()[..n]);
    h.extend_from_slice(msgs);
    with_checksum(h)
}

fn ochk(msgs: &[u8]) -> Vec<u8> {
    let mut b = b"OCHK".to_vec();
    b.extend_from_slice(msgs);
    with_checksum(b)
}

#[test]
fn v1_single_block() {
    let mut msgs = v1_msg(kind::DATASPACE, 0, &[1, 2, 3]);
    msgs.extend(v1_msg(kind::NIL, 0, &[0; 16]));
    msgs.extend(v1_msg(0x40, 0x08, &[9; 8])); // unknown, only writers must fail
    msgs.extend(v1_msg(kind::DATATYPE, 0x03, &[4; 8]));
    let file = v1_header(4, &msgs);
    let oh = ObjectHeader::read(&ctx(file), 0).unwrap();
    assert_eq!(oh.version, 1);
    assert_eq!(oh.refcount, 1);
    assert_eq!(oh.messages.len(), 2);
    let ds = oh.find(kind::DATASPACE).unwrap();
    assert_eq!(ds.offset, 16 + 8);
    assert_eq!(ds.data, vec![1, 2, 3, 0, 0, 0, 0, 0]);
    assert_eq!(ds.creation_order, None);
    let dt = oh.find(kind::DATATYPE).unwrap();
    assert!(dt.is_shared());
    assert_eq!(dt.offset, 16 + 16 + 24 + 16 + 8);
    assert_eq!(oh.find_all(kind::DATATYPE).count(), 1);
}

#[test]
fn v1_continuations_in_order_and_offsets_include_base() {
    // Header at 0; its continuation at 200 names another at 300.
    let mut msgs = v1_msg(kind::ATTRIBUTE, 0, b"first");
    msgs.extend(v1_msg(kind::CONTINUATION, 0, &cont(200, 40)));
    let mut file = v1_header(9, &msgs);
    let mut b1 = v1_msg(kind::ATTRIBUTE, 0, b"second");
    b1.extend(v1_msg(kind::CONTINUATION, 0, &cont(300, 16)));
    place(&mut file, 200, &b1);
    place(&mut file, 300, &v1_msg(kind::ATTRIBUTE, 0, b"third"));
    let oh = ObjectHeader::read(&ctx(file.clone()), 0).unwrap();
    let names: Vec<&[u8]> = oh.messages.iter().map(|m| &m.data[..5]).collect();
    assert_eq!(names, vec![&b"first"[..], b"secon", b"third"]);
    assert_eq!(oh.messages[1].offset, 208);
    assert_eq!(oh.messages[2].offset, 308);

    // The same file behind a 512-byte userblock: addresses unchanged, offsets shifted.
    let mut shifted = vec![0xee; 512];
    shifted.extend(file);
    let oh2 = ObjectHeader::read(&ctx_at(shifted, 512), 0).unwrap();
    assert_eq!(oh2.messages.len(), 3);
    assert_eq!(oh2.messages[2].offset, 512 + 308);
    assert_eq!(oh2.messages[2].data, oh.messages[2].data);
}

#[test]
fn v1_cycles_are_errors() {
    // The continuation block points back to itself.
    let msgs = v1_msg(kind::CONTINUATION, 0, &cont(100, 24));
    let mut file = v1_header(2, &msgs);
    place(
        &mut file,
        100,
        &v1_msg(kind::CONTINUATION, 0, &cont(100, 24)),
    );
    let e = ObjectHeader::read(&ctx(file), 0).unwrap_err();
    assert!(matches!(e, Error::Cycle { offset: 100, .. }), "{e}");

    // A continuation pointing back at the header itself.
    let msgs = v1_msg(kind::CONTINUATION, 0, &cont(0, 24));
    let e = ObjectHeader::read(&ctx(v1_header(1, &msgs)), 0).unwrap_err();
    assert!(matches!(e, Error::Cycle { offset: 0, .. }), "{e}");
}

#[test]
fn v1_corrupt_and_truncated() {
    // A message whose size runs past its block.
    let mut msgs = v1_msg(kind::DATASPACE, 0, &[0; 8]);
    msgs[2] = 64;
    let e = ObjectHeader::read(&ctx(v1_header(1, &msgs)), 0).unwrap_err();
    assert!(matches!(e, Error::Corrupt { .. }), "{e}");

    // Header size larger than the file.
    let mut file = v1_header(1, &v1_msg(kind::DATASPACE, 0, &[0; 8]));
    file[8] = 0xff;
    let e = ObjectHeader::read(&ctx(file), 0).unwrap_err();
    assert!(matches!(e, Error::OutOfBounds { .. }), "{e}");

    // Continuation block outside the file.
    let msgs = v1_msg(kind::CONTINUATION, 0, &cont(4096, 64));
    let e = ObjectHeader::read(&ctx(v1_header(1, &msgs)), 0).unwrap_err();
    assert!(matches!(e, Error::OutOfBounds { .. }), "{e}");

    // Prefix cut short.
    let e = ObjectHeader::read(&ctx(vec![1, 0, 1, 0, 1]), 0).unwrap_err();
    assert!(matches!(e, Error::OutOfBounds { .. }), "{e}");

    // Neither version 1 nor OHDR.
    let e = ObjectHeader::read(&ctx(b"TREE\0\0\0\0".to_vec()), 0).unwrap_err();
    assert!(matches!(e, Error::Corrupt { .. }), "{e}");
}

#[test]
fn unknown_message_that_must_be_understood() {
    let msgs = v1_msg(0x99, 0x80, &[0; 8]);
    let e = ObjectHeader::read(&ctx(v1_header(1, &msgs)), 0).unwrap_err();
    match e {
        Error::Unsupported { feature } => assert!(feature.contains("0x0099"), "{feature}"),
        other => panic!("{other}"),
    }
    // A known type with the same flag is kept.
    let msgs = v1_msg(kind::LAYOUT, 0x80, &[0; 8]);
    let oh = ObjectHeader::read(&ctx(v1_header(1, &msgs)), 0).unwrap();
    assert_eq!(oh.messages[0].kind, kind::LAYOUT);
}

#[test]
fn v2_with_times_creation_order_and_gap() {
    let co = Some(0);
    let mut msgs = v2_msg(kind::LINK_INFO as u8, 0, co, &[0; 18]);
    msgs.extend(v2_msg(kind::NIL as u8, 0, Some(0), &[0; 5]));
    msgs.extend(v2_msg(
        kind::REFERENCE_COUNT as u8,
        0,
        Some(0),
        &[0, 3, 0, 0, 0],
    ));
    msgs.extend(v2_msg(kind::ATTRIBUTE as u8, 0, Some(4), b"attr"));
    msgs.extend([0; 5]); // a gap shorter than a 6-byte message header
    let file = v2_header(0x20 | 0x04 | 0x01, &msgs);
    let oh = ObjectHeader::read(&ctx(file), 0).unwrap();
    assert_eq!(oh.version, 2);
    assert_eq!(oh.refcount, 3);
    let kinds: Vec<u16> = oh.messages.iter().map(|m| m.kind).collect();
    assert_eq!(
        kinds,
        vec![kind::LINK_INFO, kind::REFERENCE_COUNT, kind::ATTRIBUTE]
    );
    let a = oh.find(kind::ATTRIBUTE).unwrap();
    assert_eq!(a.creation_order, Some(4));
    assert_eq!(a.data, b"attr");
    // prefix 4+1+1+16+2 = 24; messages 6+18, 6+5, 6+5, then 6 bytes of header.
    assert_eq!(a.offset, 24 + 24 + 11 + 11 + 6);
}

#[test]
fn v2_phase_change_and_wide_chunk_size() {
    let msgs = v2_msg(kind::DATASPACE as u8, 0, None, &[2, 1, 0, 0]);
    for flags in [0x10 | 0x02, 0x03] {
        let oh = ObjectHeader::read(&ctx(v2_header(flags, &msgs)), 0).unwrap();
        assert_eq!(oh.refcount, 1);
        assert_eq!(oh.messages.len(), 1);
        assert_eq!(oh.messages[0].data, vec![2, 1, 0, 0]);
    }
}

#[test]
fn v2_checksum_and_flags_errors() {
    let msgs = v2_msg(kind::DATASPACE as u8, 0, None, &[2, 1, 0, 0]);
    let mut file = v2_header(0, &msgs);
    file[8] ^= 1;
    let e = ObjectHeader::read(&ctx(file), 0).unwrap_err();
    assert!(
        matches!(
            e,
            Error::Checksum {
                structure: "object header",
                offset: 0,
                ..
            }
        ),
        "{e}"
    );

    let e = ObjectHeader::read(&ctx(v2_header(0x40, &msgs)), 0).unwrap_err();
    assert!(matches!(e, Error::Corrupt { .. }), "{e}");

    let mut v3 = v2_header(0, &msgs);
    v3[4] = 3;
    let e = ObjectHeader::read(&ctx(v3), 0).unwrap_err();
    assert!(matches!(e, Error::Unsupported { .. }), "{e}");

    // A message running past the chunk.
    let mut long = v2_msg(kind::DATASPACE as u8, 0, None, &[2, 1, 0, 0]);
    long[1] = 40;
    let e = ObjectHeader::read(&ctx(v2_header(0, &long)), 0).unwrap_err();
    assert!(matches!(e, Error::Corrupt { .. }), "{e}");

    // Truncated: chunk size beyond the file.
    let mut t = v2_header(0, &msgs);
    t.truncate(t.len() - 2);
    let e = ObjectHeader::read(&ctx(t), 0).unwrap_err();
    assert!(matches!(e, Error::OutOfBounds { .. }), "{e}");
}

#[test]
fn v2_continuation_blocks() {
    let block = ochk(&v2_msg(kind::ATTRIBUTE as u8, 0, None, b"later"));
    let mut msgs = v2_msg(kind::ATTRIBUTE as u8, 0, None, b"early");
    msgs.extend(v2_msg(
        kind::CONTINUATION as u8,
        0,
        None,
        &cont(128, block.len() as u64),
    ));
    let mut file = v2_header(0, &msgs);
    place(&mut file, 128, &block);
    let oh = ObjectHeader::read(&ctx(file.clone()), 0).unwrap();
    let bodies: Vec<&[u8]> = oh.messages.iter().map(|m| &m.data[..]).collect();
    assert_eq!(bodies, vec![&b"early"[..], b"later"]);
    assert_eq!(oh.messages[1].offset, 128 + 4 + 4);

    let mut bad_sum = file.clone();
    bad_sum[128 + 9] ^= 0xff;
    let e = ObjectHeader::read(&ctx(bad_sum), 0).unwrap_err();
    assert!(matches!(e, Error::Checksum { offset: 128, .. }), "{e}");

    let mut bad_sig = file.clone();
    bad_sig[129] = b'X';
    let e = ObjectHeader::read(&ctx(bad_sig), 0).unwrap_err();
    assert!(matches!(e, Error::Corrupt { .. }), "{e}");

    // A continuation block too short to hold signature and checksum.
    let mut msgs = v2_msg(kind::CONTINUATION as u8, 0, None, &cont(64, 6));
    msgs.extend([0; 2]);
    let mut file = v2_header(0, &msgs);
    place(&mut file, 64, b"OCHK\0\0");
    let e = ObjectHeader::read(&ctx(file), 0).unwrap_err();
    assert!(matches!(e, Error::Corrupt { .. }), "{e}");
}

#[test]
fn v2_continuation_cycle() {
    // The OCHK block continues into itself.
    let inner = v2_msg(kind::CONTINUATION as u8, 0, None, &cont(100, 4 + 20 + 4));
    let block = ochk(&inner);
    assert_eq!(block.len(), 28);
    let msgs = v2_msg(kind::CONTINUATION as u8, 0, None, &cont(100, 28));
    let mut file = v2_header(0, &msgs);
    place(&mut file, 100, &block);
    let e = ObjectHeader::read(&ctx(file), 0).unwrap_err();
    assert!(matches!(e, Error::Cycle { offset: 100, .. }), "{e}");
}

#[test]
fn overlapping_blocks_larger_than_the_file_are_refused() {
    // Distinct addresses 24 bytes apart, but each block is 200 bytes long: its one
    // continuation message's body spans the blocks after it. The chain would read far
    // more bytes than the file holds.
    let (n, len) = (40u64, 200u64);
    let mut file = v1_header(1, &v1_msg(kind::CONTINUATION, 0, &cont(100, len)));
    for i in 0..n {
        let at = 100 + 24 * i;
        let mut m = kind::CONTINUATION.to_le_bytes().to_vec();
        m.extend_from_slice(&((len - 8) as u16).to_le_bytes());
        m.extend_from_slice(&[0; 4]);
        m.extend(cont(at + 24, len));
        place(&mut file, at as usize, &m);
    }
    file.resize((100 + 24 * n + len) as usize, 0);
    match ObjectHeader::read(&ctx(file), 0).unwrap_err() {
        Error::Corrupt { reason, .. } => assert!(reason.contains("add up"), "{reason}"),
        other => panic!("{other}"),
    }
}

fn raw(kind: u16, flags: u8, data: &[u8]) -> RawMessage {
    RawMessage {
        kind,
        flags,
        creation_order: None,
        offset: 0,
        data: data.to_vec(),
    }
}

#[test]
fn encode_v1_matches_h5py_root_group() {
    // The root group header of `h5py.File(p, 'w')` (libhdf5 2.0, default libver), at
    // 0x60: one Symbol Table message (B-tree 0x88, local heap 0x2a8), header size 24.
    let expected: [u8; 40] = [
        0x01, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x18, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x11, 0x00, 0x10, 0x00, 0x00, 0x00, 0x00, 0x00, 0x88, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0xa8, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    ];
    let stab = crate::format::messages::SymbolTableMessage {
        btree: 0x88,
        local_heap: 0x2a8,
    };
    let got = encode_v1(&[raw(kind::SYMBOL_TABLE, 0, &stab.encode())], 1).unwrap();
    assert_eq!(got, expected.to_vec());
}

/// A version 0 superblock (8-byte sizes) whose root object header is at `root`.
fn superblock_v0(root: u64, eof: u64) -> Vec<u8> {
    crate::format::superblock::Superblock {
        version: 0,
        signature_offset: 0,
        sizes: Sizes::default(),
        base_address: 0,
        eof_address: eof,
        root_object_header: root,
        root_cache: None,
        group_leaf_k: 4,
        group_internal_k: 16,
        indexed_storage_k: 32,
        extension: None,
    }
    .encode_v0()
    .unwrap()
}

#[test]
fn encode_v1_round_trips_through_the_reader() {
    let messages = vec![
        raw(kind::DATASPACE, 0, &[1, 1, 1, 0, 0, 0, 0, 0, 5, 0, 0, 0]),
        raw(kind::DATATYPE, 1, &[0x10, 8, 0, 0, 4, 0, 0, 0, 0, 0, 32, 0]),
        raw(kind::FILL_VALUE, 1, &[2, 2, 2, 1, 0, 0, 0, 0]),
        raw(kind::ATTRIBUTE, 0, &[]),
        raw(
            kind::LAYOUT,
            0,
            &[3, 1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
        ),
    ];
    // Header at 96, continuation block after it.
    let tail = vec![
        raw(kind::COMMENT, 0, b"hello\0"),
        raw(kind::MODIFICATION_TIME, 0, &[1, 0, 0, 0, 9, 8, 7, 6]),
    ];
    let block = encode_continuation_block(&tail).unwrap();
    let mut head_msgs = messages.clone();
    // The continuation's address depends on the header's length: 16-byte prefix plus
    // every message header and padded body (the continuation itself is 8 + 16).
    let head_len: usize = 16
        + messages
            .iter()
            .map(|m| 8 + m.data.len().next_multiple_of(8))
            .sum::<usize>()
        + 24;
    let cont_at = 96 + head_len as u64;
    let cont = crate::format::messages::Continuation {
        address: cont_at,
        length: block.len() as u64,
    };
    head_msgs.push(raw(kind::CONTINUATION, 0, &cont.encode()));
    let header = encode_v1(&head_msgs, 3).unwrap();
    assert_eq!(header.len(), head_len);
    let eof = cont_at + block.len() as u64;
    let mut file = superblock_v0(96, eof);
    file.extend_from_slice(&header);
    file.extend_from_slice(&block);
    assert_eq!(file.len() as u64, eof);

    let source = Source::new(Arc::new(MemStorage::new(file)));
    let sb = crate::format::superblock::Superblock::find(&source).unwrap();
    let ctx = Ctx {
        source,
        base: sb.base_address,
        sizes: sb.sizes,
    };
    let oh = ObjectHeader::read(&ctx, sb.root_object_header).unwrap();
    assert_eq!(oh.version, 1);
    assert_eq!(oh.refcount, 3);
    let all: Vec<&RawMessage> = messages.iter().chain(tail.iter()).collect();
    assert_eq!(oh.messages.len(), all.len());
    let mut at = 96 + 16;
    for (got, want) in oh.messages.iter().zip(all) {
        assert_eq!(got.kind, want.kind);
        assert_eq!(got.flags, want.flags);
        // The reader sees the body with its padding.
        let mut padded = want.data.clone();
        padded.resize(want.data.len().next_multiple_of(8), 0);
        assert_eq!(got.data, padded);
        if got.kind == kind::COMMENT {
            at = cont_at;
        }
        assert_eq!(got.offset, at + 8);
        at += 8 + padded.len() as u64;
    }
}

#[test]
fn encode_v1_message_size_limit() {
    let ok = raw(kind::ATTRIBUTE, 0, &vec![7; 65528]);
    let b = encode_v1(&[ok], 1).unwrap();
    assert_eq!(b.len(), 16 + 8 + 65528);
    assert_eq!(b[18..20], [0xf8, 0xff]);
    // 65521 bytes pad to 65528: still fits.
    assert!(encode_v1(&[raw(kind::ATTRIBUTE, 0, &vec![7; 65521])], 1).is_ok());
    let big = raw(kind::ATTRIBUTE, 0, &vec![7; 65529]);
    let e = encode_v1(std::slice::from_ref(&big), 1).err().unwrap();
    let text = e.to_string();
    assert!(text.contains("0x000c"), "{text}");
    assert!(
        text.contains("message too large for a version 1 object header"),
        "{text}"
    );
    assert!(encode_continuation_block(&[big]).is_err());
    // An empty header is legal (if useless): prefix only.
    assert_eq!(
        encode_v1(&[], 1).unwrap(),
        vec![1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]
    );
}

#[test]
fn encode_v2_round_trips_through_the_reader() {
    // Small bodies (1-byte chunk size), then one that needs a 4-byte chunk size.
    for filler in [0usize, 300, 65535] {
        let messages = vec![
            raw(kind::SYMBOL_TABLE, 0, &[3; 16]),
            raw(kind::ATTRIBUTE_INFO, 0x04, &[0, 0, 1, 2, 3, 4, 5, 6, 7, 8]),
            raw(kind::COMMENT, 0, &vec![b'c'; filler]),
        ];
        let header = encode_v2(&messages).unwrap();
        let mut file = superblock_v0(96, 96 + header.len() as u64);
        file.extend_from_slice(&header);
        let source = Source::new(Arc::new(MemStorage::new(file)));
        let ctx = Ctx {
            source,
            base: 0,
            sizes: Sizes::default(),
        };
        let oh = ObjectHeader::read(&ctx, 96).unwrap();
        assert_eq!(oh.version, 2);
        assert_eq!(oh.refcount, 1);
        assert_eq!(oh.blocks, vec![(96, header.len() as u64)]);
        let got: Vec<(u16, u8, &[u8])> = oh
            .messages
            .iter()
            .map(|m| (m.kind, m.flags, m.data.as_slice()))
            .collect();
        let want: Vec<(u16, u8, &[u8])> = messages
            .iter()
            .map(|m| (m.kind, m.flags, m.data.as_slice()))
            .collect();
        assert_eq!(got, want);
    }
}

#[test]
fn encode_v2_limits() {
    let big = raw(kind::ATTRIBUTE, 0, &vec![0; 65536]);
    let text = encode_v2(&[big]).err().unwrap().to_string();
    assert!(
        text.contains("0x000c") && text.contains("too large"),
        "{text}"
    );
    assert!(encode_v2(&[raw(0x100, 0, &[])]).is_err());
}
