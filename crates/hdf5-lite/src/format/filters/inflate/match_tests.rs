//! Streams built symbol by symbol (one fixed-Huffman block, RFC 1951 3.2.6), so that a
//! match of a chosen distance and length lands at a chosen place: inside the fast loop,
//! or near the end of the output where the careful loop copies it.

use super::*;
use crate::format::filters::rfc1951::{DIST_BASE, DIST_EXTRA, LENGTH_BASE, LENGTH_EXTRA};
use crate::format::filters::test_support::xorshift;

/// A little-endian bit writer.
#[derive(Default)]
struct Writer {
    bytes: Vec<u8>,
    acc: u64,
    n: u32,
}

impl Writer {
    /// `v`'s low `n` bits, least significant first.
    fn put(&mut self, v: u32, n: u32) {
        self.acc |= u64::from(v) << self.n;
        self.n += n;
        while self.n >= 8 {
            self.bytes.push(self.acc as u8);
            self.acc >>= 8;
            self.n -= 8;
        }
    }

    /// A Huffman code of `n` bits, most significant first.
    fn code(&mut self, code: u32, n: u32) {
        self.put(code.reverse_bits() >> (32 - n), n);
    }

    /// A literal/length symbol's fixed code.
    fn litlen(&mut self, s: u32) {
        match s {
            0..=143 => self.code(0x30 + s, 8),
            144..=255 => self.code(0x190 + s - 144, 9),
            256..=279 => self.code(s - 256, 7),
            _ => self.code(0xc0 + s - 280, 8),
        }
    }

    fn length(&mut self, len: usize) {
        let i = LENGTH_BASE
            .iter()
            .rposition(|&b| usize::from(b) <= len)
            .unwrap();
        self.litlen(257 + i as u32);
        self.put(
            (len - usize::from(LENGTH_BASE[i])) as u32,
            u32::from(LENGTH_EXTRA[i]),
        );
    }

    fn distance(&mut self, d: usize) {
        let i = DIST_BASE
            .iter()
            .rposition(|&b| usize::from(b) <= d)
            .unwrap();
        self.code(i as u32, 5);
        self.put(
            (d - usize::from(DIST_BASE[i])) as u32,
            u32::from(DIST_EXTRA[i]),
        );
    }
}

/// A zlib stream of `head` as literals, then a match (`d`, `len`), then `tail` as
/// literals; and the bytes it decodes to.
fn stream(head: &[u8], d: usize, len: usize, tail: &[u8]) -> (Vec<u8>, Vec<u8>) {
    let mut data = head.to_vec();
    for _ in 0..len {
        data.push(data[data.len() - d]);
    }
    data.extend_from_slice(tail);
    let mut w = Writer {
        bytes: vec![0x78, 0x01],
        ..Writer::default()
    };
    w.put(1, 1);
    w.put(1, 2);
    for &b in head {
        w.litlen(u32::from(b));
    }
    w.length(len);
    w.distance(d);
    for &b in tail {
        w.litlen(u32::from(b));
    }
    w.litlen(256);
    w.put(0, 7);
    let mut s = w.bytes;
    s.extend_from_slice(&zlib_rs::adler32::adler32(1, &data).to_be_bytes());
    (s, data)
}

/// Every distance 1..=300 with every length 3..=258, the match ending at the end of the
/// output, a little before it, and far enough from it for the fast loop; decoded into
/// outputs of the exact size, larger, and one byte short.
#[test]
fn every_distance_and_length_at_every_distance_from_the_end() {
    let mut inf = Inflater::new();
    let mut out = vec![0u8; 300 + 258 + 330 + 400];
    for d in 1..=300usize {
        let head = xorshift(d as u64, d);
        for len in 3..=258 {
            for tail_len in [0, 1, 63, 64, 65, 330] {
                let tail = xorshift(len as u64, tail_len);
                let (s, data) = stream(&head, d, len, &tail);
                let n = data.len();
                for size in [n, n + 1, n + 64, n + 400] {
                    out.fill(0x5a);
                    let got = inf.inflate_zlib(&s, &mut out[..size]);
                    assert_eq!(got, Ok(n), "d {d} len {len} tail {tail_len} size {size}");
                    assert!(
                        out[..n] == data[..],
                        "d {d} len {len} tail {tail_len} size {size}"
                    );
                }
                let short = inf.inflate_zlib(&s, &mut out[..n - 1]);
                assert_eq!(short, Err(InflateError::OutputFull), "d {d} len {len}");
            }
        }
    }
}

/// A match reaching before the output's start is corrupt, in either loop.
#[test]
fn distance_before_the_start_is_an_error() {
    for (head, room) in [(5, 0), (5, 400), (300, 0), (300, 400)] {
        let mut w = Writer {
            bytes: vec![0x78, 0x01],
            ..Writer::default()
        };
        w.put(1, 1);
        w.put(1, 2);
        for b in xorshift(1, head) {
            w.litlen(u32::from(b));
        }
        w.length(10);
        w.distance(head + 1);
        w.litlen(256);
        w.put(0, 7);
        w.bytes.extend_from_slice(&[0; 4]);
        let err = Inflater::new()
            .inflate_zlib(&w.bytes, &mut vec![0; head + 10 + room])
            .unwrap_err();
        assert!(
            err.to_string().contains("before the stream's start"),
            "head {head} room {room}: {err}"
        );
    }
}
