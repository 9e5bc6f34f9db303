use std::io::{Read, Write};

use proptest::prelude::*;

use super::*;
use crate::format::filters::test_support::xorshift;
use crate::format::filters::Deflater;

fn zlib(data: &[u8], level: u32) -> Vec<u8> {
    let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::new(level));
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

/// zlib-rs's verdict on `stream`: the bytes of a complete stream, or None.
fn reference(stream: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    flate2::read::ZlibDecoder::new(stream)
        .read_to_end(&mut out)
        .ok()
        .map(|_| out)
}

fn ours(stream: &[u8], size: usize) -> Result<Vec<u8>, InflateError> {
    let mut out = vec![0xa5; size];
    let n = Inflater::new().inflate_zlib(stream, &mut out)?;
    out.truncate(n);
    Ok(out)
}

/// Decodes `stream` (of `data`) into outputs of the exact size, larger and smaller.
fn assert_decodes(stream: &[u8], data: &[u8]) {
    let mut inf = Inflater::new();
    let mut out = vec![0x5a; data.len() + 300];
    assert_eq!(
        inf.inflate_zlib(stream, &mut out[..data.len()]),
        Ok(data.len())
    );
    assert!(out[..data.len()] == *data, "decoded bytes differ");
    assert_eq!(inf.inflate_zlib(stream, &mut out), Ok(data.len()));
    assert!(
        out[..data.len()] == *data,
        "decoded bytes differ (larger output)"
    );
    if !data.is_empty() {
        let got = inf.inflate_zlib(stream, &mut out[..data.len() - 1]);
        assert_eq!(got, Err(InflateError::OutputFull));
    }
}

/// A corrupted stream decodes to zlib-rs's result or gives an error.
fn assert_like_reference(stream: &[u8], size: usize) {
    match (ours(stream, size), reference(stream)) {
        (Ok(a), Some(b)) => assert!(a == b, "ours {} bytes, zlib-rs {}", a.len(), b.len()),
        (Ok(a), None) => panic!("ours decoded {} bytes, zlib-rs failed", a.len()),
        (Err(_), Some(b)) if b.len() > size => {}
        (Err(e), Some(b)) => panic!("ours failed ({e}), zlib-rs decoded {} bytes", b.len()),
        (Err(_), None) => {}
    }
}

/// Little-endian f32 counts: mostly zeros, some small integers (a sparse count matrix).
fn sparse_counts(seed: u64, n: usize, density: u8) -> Vec<u8> {
    let r = xorshift(seed, n);
    r.iter()
        .flat_map(|&b| {
            let v = if b < density {
                f32::from(b % 7 + 1)
            } else {
                0.0
            };
            v.to_le_bytes()
        })
        .collect()
}

fn text_like(seed: u64, n: usize) -> Vec<u8> {
    let words = [
        "gene", "cell", "count", " ", "loom", "ACGT", "\n", "matrix", "0.5",
    ];
    xorshift(seed, n)
        .iter()
        .flat_map(|&b| words[usize::from(b) % words.len()].bytes())
        .take(n)
        .collect()
}

#[test]
fn edge_sizes_and_levels() {
    let inputs: Vec<Vec<u8>> = vec![
        vec![],
        vec![42],
        vec![0; 100_000],
        sparse_counts(1, 4096, 40),
        sparse_counts(2, 40_000, 10),
        text_like(3, 70_000),
        xorshift(4, 70_000),
        (0..200_000u32).map(|i| (i / 7 % 13) as u8).collect(),
    ];
    let mut d = Deflater::new();
    for data in &inputs {
        for level in 0..=9 {
            assert_decodes(&zlib(data, level), data);
        }
        let mut own = Vec::new();
        d.compress(data, 2, &mut own);
        assert_decodes(&own, data);
    }
}

/// Matches at every distance up to 80 and of every length class, the last one ending
/// at the end of the output (so some are copied by the careful loop, with and without
/// room for the bytes a word copy writes past them).
#[test]
fn matches_of_every_distance_and_length() {
    for d in 1..=80usize {
        for len in [3, 15, 16, 17, 33, 64, 65, 100, 258, 300] {
            let seed = xorshift(d as u64 * 1000 + len as u64, d);
            let mut data = text_like(d as u64, 40);
            for tail in [1, 63, 64, 65, 0] {
                data.extend((0..d + len).map(|i| seed[i % d]));
                data.extend(xorshift(len as u64, tail));
            }
            for level in [1, 9] {
                assert_decodes(&zlib(&data, level), &data);
            }
        }
    }
}

#[test]
fn header_and_trailer_errors() {
    let data = text_like(5, 1000);
    let good = zlib(&data, 6);
    let err = |s: &[u8]| ours(s, data.len()).unwrap_err();
    assert!(matches!(err(&[]), InflateError::Corrupt { at: 0, .. }));
    assert!(matches!(err(&[0x78]), InflateError::Corrupt { .. }));
    let mut bad = good.clone();
    bad[0] = 0x79;
    assert!(err(&bad).to_string().contains("not deflate"));
    let mut bad = good.clone();
    bad[1] ^= 1;
    assert!(err(&bad).to_string().contains("header check"));
    let mut bad = good.clone();
    let last = bad.len() - 1;
    bad[last] ^= 1;
    assert!(err(&bad).to_string().contains("Adler-32"));
    for cut in [1, 3, 4, 5, good.len() / 2] {
        assert!(ours(&good[..good.len() - cut], data.len()).is_err());
    }
    // Bytes after the Adler-32 are ignored, as zlib-rs ignores them.
    let mut longer = good.clone();
    longer.extend_from_slice(&[1, 2, 3]);
    assert_eq!(ours(&longer, data.len()).unwrap(), data);
}

#[test]
fn stored_block_length_check() {
    // Header, a final stored block of 3 bytes, with a wrong NLEN, then the Adler-32.
    let mut s = vec![0x78, 0x01, 0x01, 3, 0, 0xfc, 0xff, b'a', b'b', b'c'];
    s.extend_from_slice(&zlib_rs::adler32::adler32(1, b"abc").to_be_bytes());
    assert_eq!(ours(&s, 3).unwrap(), b"abc");
    s[5] = 0xfd;
    assert!(ours(&s, 3)
        .unwrap_err()
        .to_string()
        .contains("length check"));
}

#[test]
fn every_bit_flip_of_a_small_stream() {
    let data = sparse_counts(6, 300, 60);
    for level in [1, 6, 9] {
        let good = zlib(&data, level);
        for bit in 0..good.len() * 8 {
            let mut bad = good.clone();
            bad[bit / 8] ^= 1 << (bit % 8);
            assert_like_reference(&bad, data.len());
        }
    }
}

fn structured() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..3000),
        (any::<u64>(), 0usize..20_000, any::<u8>()).prop_map(|(s, n, d)| sparse_counts(s, n, d)),
        (any::<u64>(), 0usize..70_000).prop_map(|(s, n)| text_like(s, n)),
        (any::<u8>(), 0usize..70_000).prop_map(|(b, n)| vec![b; n]),
        proptest::collection::vec((any::<u8>(), 1usize..600), 0..200).prop_map(|runs| {
            runs.iter()
                .flat_map(|&(b, n)| std::iter::repeat_n(b, n))
                .collect()
        }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn decodes_what_zlib_rs_and_ours_encode(data in structured(), level in 0u32..10) {
        assert_decodes(&zlib(&data, level), &data);
        let mut own = Vec::new();
        Deflater::new().compress(&data, 2, &mut own);
        assert_decodes(&own, &data);
    }

    #[test]
    fn corrupt_streams_fail_or_agree(
        data in structured(),
        level in 0u32..10,
        flips in proptest::collection::vec(any::<(usize, u8)>(), 1..4),
        cut in any::<Option<usize>>(),
    ) {
        let mut s = zlib(&data, level);
        for (at, bits) in flips {
            let i = at % s.len();
            s[i] ^= bits;
        }
        if let Some(c) = cut {
            s.truncate(c % (s.len() + 1));
        }
        assert_like_reference(&s, data.len());
    }

    #[test]
    fn arbitrary_bytes_fail_or_agree(
        body in proptest::collection::vec(any::<u8>(), 0..400),
        size in 0usize..5000,
    ) {
        let mut s = vec![0x78, 0x9c];
        s.extend_from_slice(&body);
        assert_like_reference(&s, size);
    }
}
