//! A fast deflate encoder for many small independent zlib streams, such as the chunks of
//! an HDF5 dataset written at gzip level 2: a zlib stream (RFC 1950: header, deflate data,
//! Adler-32 of the input) holding deflate blocks (RFC 1951).
//!
//! - Matching is greedy, with one candidate per position: the last position whose next
//!   four bytes had the same hash (a table of 32 KiB, no chains); a run of zero bytes
//!   (most of a sparse count matrix) is taken as a distance-1 match without a search.
//! - Positions are kept as a running offset that grows from one stream to the next by
//!   more than the window, so entries left by earlier streams fall outside the window
//!   and the table is never cleared between chunks.
//! - Each block is written as the smallest of dynamic Huffman (codes limited to 15 bits,
//!   RFC 1951 3.2.7), fixed Huffman (3.2.6) or stored (3.2.4).

mod block;
mod huffman;
#[cfg(test)]
mod tests;

use super::rfc1951::{CODE_LENGTH_ORDER, DIST_BASE, DIST_EXTRA, LENGTH_BASE, LENGTH_EXTRA};
use block::{extra_bits, write_stored, write_tokens, Bits, Codes, Header};
use huffman::Scratch;

/// The deflate window: how far back a match may reach.
const WINDOW: usize = 32 * 1024;
/// Bits of the hash of a position's next four bytes.
const HASH_BITS: u32 = 13;
/// The shortest match taken (the hash covers four bytes; deflate allows three).
const MIN_MATCH: usize = 4;
/// The longest match deflate codes.
const MAX_MATCH: usize = 258;
/// Matches up to this long have positions inside entered into the hash table; longer ones
/// none (nor zero runs): their bytes are mostly zeros, whose next match is a zero run.
const MAX_INSERT: usize = 8;
/// How many positions after a short match's start are entered (those inside it), read
/// from one load of 8 bytes. Past the fourth, a short match of count data is mostly zero
/// bytes, whose words all share one slot: entering them cost 3% of the instructions for
/// 0.2% of the output.
const INSERTED: usize = 4;
const _: () = assert!(INSERTED + 3 <= 8);
/// The hash table slot never looked up: the positions a short match's insertion does not
/// enter are written there (no branch on the match's length).
const SPARE: usize = 1 << HASH_BITS;
/// Tokens per block: a block's codes are fitted to its own symbols.
const BLOCK_TOKENS: usize = 1 << 14;
/// The most input matched under one position base (then the tables are cleared).
const SEGMENT: usize = 1 << 30;
/// The first position base: above 0, the value of a never-set table entry.
const FIRST_BASE: u32 = WINDOW as u32 + 1;

/// Literal/length symbols, with end-of-block (256) and the two unused codes 286, 287
/// that fixed Huffman blocks still assign.
const LITLEN_SYMBOLS: usize = 288;
/// Distance symbols (30 used; fixed blocks assign 32).
const DIST_SYMBOLS: usize = 32;
/// End of block.
const END_OF_BLOCK: usize = 256;

/// Per match length less 3: its length code (0 for symbol 257) above the 5-bit value of
/// its extra bits, as a match token holds them.
const LENGTH_CODE: [u16; 256] = {
    let mut table = [0u16; 256];
    let mut code = 0;
    while code < 29 {
        let base = LENGTH_BASE[code] as usize;
        let mut len = base;
        while len < base + (1 << LENGTH_EXTRA[code]) && len <= MAX_MATCH {
            table[len - 3] = (code << 5 | (len - base)) as u16;
            len += 1;
        }
        code += 1;
    }
    table
};

/// The distance code of a distance less 1: for `d` < 256 at `d`, above at 256 + `d` / 128
/// (codes from 16 on span multiples of 128).
const DIST_CODE: [u8; 512] = {
    let mut table = [0u8; 512];
    let mut code = 0;
    while code < 30 {
        let mut d = DIST_BASE[code] as usize - 1;
        while d < DIST_BASE[code] as usize - 1 + (1 << DIST_EXTRA[code]) {
            if d < 256 {
                table[d] = code as u8;
            } else {
                table[256 + (d >> 7)] = code as u8;
            }
            d += 1;
        }
        code += 1;
    }
    table
};

/// The distance code of a distance less 1.
fn dist_code(d: u32) -> usize {
    let at = if d < 256 { d } else { 256 + (d >> 7) };
    usize::from(DIST_CODE[at as usize])
}

/// A match token has the top bit set, then the length code (5 bits, 0 for symbol 257),
/// the value of the length's extra bits (5), the distance code (5) and the value of the
/// distance's extra bits (13): all the token writer needs besides the block's codes. A
/// literal token is the byte.
const MATCH: u32 = 1 << 31;

/// Deflate state reused from stream to stream: the match finder's table, the block's
/// tokens and symbol counts, and the code tables.
pub struct Deflater {
    /// Per hash of four bytes, the last position (with the base) entered with it; then
    /// the slot `SPARE`.
    head: Box<[u32; SPARE + 1]>,
    /// The position of the next stream's first byte.
    base: u32,
    /// The block's tokens, the first `n_tokens`: a block is written once it has
    /// `BLOCK_TOKENS`, and one token is added per step, so there is always room.
    tokens: Box<[u32; BLOCK_TOKENS]>,
    n_tokens: usize,
    litlen_freq: [u32; LITLEN_SYMBOLS],
    dist_freq: [u32; DIST_SYMBOLS],
    code: Codes,
    fixed: Codes,
    header: Header,
    scratch: Scratch,
    /// The deflate data of the stream being written.
    buf: Vec<u8>,
}

impl std::fmt::Debug for Deflater {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Deflater")
            .field("base", &self.base)
            .finish_non_exhaustive()
    }
}

impl Default for Deflater {
    fn default() -> Self {
        Self::new()
    }
}

impl Deflater {
    /// A deflater with empty tables (some 100 KiB, set up once).
    pub fn new() -> Self {
        Deflater {
            head: Box::new([0; SPARE + 1]),
            base: FIRST_BASE,
            tokens: Box::new([0; BLOCK_TOKENS]),
            n_tokens: 0,
            litlen_freq: [0; LITLEN_SYMBOLS],
            dist_freq: [0; DIST_SYMBOLS],
            code: Codes::empty(),
            fixed: Codes::fixed(),
            header: Header::new(),
            scratch: Scratch::default(),
            buf: Vec::new(),
        }
    }

    /// Appends `input` to `out` as one zlib stream. `level` (0–9) is only marked in the
    /// header; the compression is the same at every level.
    pub fn compress(&mut self, input: &[u8], level: u32, out: &mut Vec<u8>) {
        let flevel = match level {
            0 | 1 => 0,
            2..=5 => 1,
            6 => 2,
            _ => 3,
        };
        // CMF: deflate with a 32 KiB window; FLG: level, no dictionary, check bits.
        let cmf = 0x78u16;
        let flg = flevel << 6;
        let check = (31 - ((cmf << 8) | flg) % 31) % 31;
        out.extend_from_slice(&[cmf as u8, (flg | check) as u8]);
        // Worst case: every block stored, in pieces of 65535 with 5 bytes (and a partial
        // byte) each, and a spare word for `Bits::put`.
        let pieces = input.len() / BLOCK_TOKENS + input.len() / 65535 + input.len() / SEGMENT;
        let need = input.len() + 6 * (pieces + 2) + 8;
        let mut buf = std::mem::take(&mut self.buf);
        if buf.len() < need {
            buf.resize(need, 0);
        }
        let mut bits = Bits {
            buf: &mut buf,
            pos: 0,
            acc: 0,
            n: 0,
        };
        let mut start = 0;
        loop {
            let end = input.len().min(start + SEGMENT);
            self.segment(input, start, end, &mut bits);
            if end == input.len() {
                break;
            }
            start = end;
        }
        bits.align();
        let written = bits.pos;
        out.extend_from_slice(&buf[..written]);
        self.buf = buf;
        let adler = zlib_rs::adler32::adler32(1, input);
        out.extend_from_slice(&adler.to_be_bytes());
    }

    /// Matches `input[start..end]` (earlier bytes are not referenced) and writes its
    /// blocks, the last marked final if `end` is the input's end.
    fn segment(&mut self, input: &[u8], start: usize, end: usize, bits: &mut Bits<'_>) {
        let seg = &input[start..end];
        let n = seg.len();
        if u64::from(self.base) + n as u64 + WINDOW as u64 >= u64::from(u32::MAX) {
            self.head.fill(0);
            self.base = FIRST_BASE;
        }
        let base = self.base;
        let last = end == input.len();
        let (mut i, mut block_start) = (0, 0);
        while i < n {
            if i + MIN_MATCH > n {
                self.literal(seg[i]);
                i += 1;
            } else if i > 0 && word(seg, i) == 0 && seg[i - 1] == 0 {
                // Inside a run of zero bytes: the previous byte repeated, no search. (The
                // next four bytes are tested first: after a zero run they are not zero.)
                let run = zero_run(&seg[i..i + MAX_MATCH.min(n - i)]);
                self.matched(run, 1);
                i += run;
            } else {
                let pos = base + i as u32;
                let h = hash(word(seg, i));
                let cand = self.head[h];
                self.head[h] = pos;
                let lowest = base.max(pos.saturating_sub(WINDOW as u32));
                let (len, j) = if cand >= lowest {
                    let j = (cand - base) as usize;
                    let here = &seg[i..i + MAX_MATCH.min(n - i)];
                    (match_length(&seg[j..j + here.len()], here), j)
                } else {
                    (0, 0)
                };
                if len >= MIN_MATCH {
                    self.matched(len, i - j);
                    if len <= MAX_INSERT {
                        self.insert_inside(seg, base, i, len);
                    }
                    i += len;
                } else {
                    self.literal(seg[i]);
                    i += 1;
                }
            }
            if self.n_tokens == BLOCK_TOKENS {
                self.block(&seg[block_start..i], last && i == n, bits);
                block_start = i;
            }
        }
        if self.n_tokens > 0 || (last && n == 0) {
            self.block(&seg[block_start..], last, bits);
        }
        self.base = base + n as u32 + WINDOW as u32;
    }

    /// Enters the first `INSERTED` positions after `i` inside a match of `len` (at most
    /// `MAX_INSERT`) at `i` in `seg` (at `base`) into the hash table, those that have four
    /// bytes.
    #[inline]
    fn insert_inside(&mut self, seg: &[u8], base: u32, i: usize, len: usize) {
        if let Some(bytes) = seg.get(i + 1..i + 9) {
            let mut word = [0u8; 8];
            word.copy_from_slice(bytes);
            let v = u64::from_le_bytes(word);
            for k in 1..=INSERTED {
                let h = hash((v >> (8 * (k - 1))) as u32);
                let h = if k < len { h } else { SPARE };
                self.head[h] = base + (i + k) as u32;
            }
        } else {
            let end = (i + len.min(INSERTED + 1)).min(seg.len() + 1 - MIN_MATCH);
            for k in i + 1..end {
                self.head[hash(word(seg, k))] = base + k as u32;
            }
        }
    }

    #[inline]
    fn push(&mut self, token: u32) {
        self.tokens[self.n_tokens] = token;
        self.n_tokens += 1;
    }

    #[inline]
    fn literal(&mut self, b: u8) {
        self.push(u32::from(b));
        self.litlen_freq[usize::from(b)] += 1;
    }

    #[inline]
    fn matched(&mut self, len: usize, dist: usize) {
        let length = u32::from(LENGTH_CODE[len - 3]);
        let dc = dist_code((dist - 1) as u32);
        let d_extra = dist as u32 - u32::from(DIST_BASE[dc]);
        self.push(MATCH | length << 18 | (dc as u32) << 13 | d_extra);
        self.litlen_freq[257 + (length >> 5) as usize] += 1;
        self.dist_freq[dc] += 1;
    }

    /// Writes the tokens gathered for `raw` as one block (or stored blocks), whichever
    /// form is smallest, and clears them.
    fn block(&mut self, raw: &[u8], last: bool, bits: &mut Bits<'_>) {
        self.litlen_freq[END_OF_BLOCK] += 1;
        let (litlen, dist) = (&self.litlen_freq, &self.dist_freq);
        let extra = extra_bits(litlen, dist);
        let dynamic = self
            .header
            .plan(&mut self.code, litlen, dist, &mut self.scratch)
            + extra;
        let fixed = 3 + Codes::fixed_cost(litlen, dist) + extra;
        let stored = 8 * (raw.len() as u64 + 5 * (raw.len() as u64 / 65535 + 1)) + 7;
        if stored < dynamic.min(fixed) {
            write_stored(raw, last, bits);
        } else if fixed <= dynamic {
            bits.put(u32::from(last) | (1 << 1), 3);
            write_tokens(&self.tokens[..self.n_tokens], &self.fixed, bits);
        } else {
            bits.put(u32::from(last) | (2 << 1), 3);
            self.header.write(&mut self.code, bits);
            write_tokens(&self.tokens[..self.n_tokens], &self.code, bits);
        }
        self.n_tokens = 0;
        self.litlen_freq.fill(0);
        self.dist_freq.fill(0);
    }
}

/// The four bytes of `seg` at `i`.
fn word(seg: &[u8], i: usize) -> u32 {
    let mut word = [0u8; 4];
    word.copy_from_slice(&seg[i..i + 4]);
    u32::from_le_bytes(word)
}

/// The hash table slot of four bytes.
fn hash(word: u32) -> usize {
    (word.wrapping_mul(0x9E37_79B1) >> (32 - HASH_BITS)) as usize
}

/// How many bytes `run` starts with that are zero.
fn zero_run(run: &[u8]) -> usize {
    let mut n = 0;
    for x in run.chunks_exact(16) {
        let v = load128(x);
        if v != 0 {
            return n + (v.trailing_zeros() / 8) as usize;
        }
        n += 16;
    }
    n + run[n..].iter().take_while(|&&b| b == 0).count()
}

/// The length of the common prefix of `a` and `b` (as long as `a`): the first eight
/// bytes compared at once (whether the match is short), the rest sixteen at a time.
fn match_length(a: &[u8], b: &[u8]) -> usize {
    let mut n = 0;
    if let (Some(x), Some(y)) = (a.first_chunk::<8>(), b.first_chunk::<8>()) {
        let diff = u64::from_le_bytes(*x) ^ u64::from_le_bytes(*y);
        if diff != 0 {
            return (diff.trailing_zeros() / 8) as usize;
        }
        n = 8;
    }
    for (x, y) in a[n..].chunks_exact(16).zip(b[n..].chunks_exact(16)) {
        let diff = load128(x) ^ load128(y);
        if diff != 0 {
            return n + (diff.trailing_zeros() / 8) as usize;
        }
        n += 16;
    }
    n + a[n..]
        .iter()
        .zip(&b[n..])
        .take_while(|(x, y)| x == y)
        .count()
}

/// The 16 bytes of `b` (exactly 16 long) as a little-endian number.
fn load128(b: &[u8]) -> u128 {
    let mut word = [0u8; 16];
    word.copy_from_slice(b);
    u128::from_le_bytes(word)
}
