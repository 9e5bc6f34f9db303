//! A deflate encoder for many small independent zlib streams, such as the chunks of an
//! HDF5 dataset at gzip levels 1 and 2: a zlib stream (RFC 1950: header, deflate data,
//! Adler-32 of the input) holding deflate blocks (RFC 1951).
//!
//! - Matching is greedy, over a short hash chain (4 candidates, stopping at the first
//!   match of 8 or more bytes). Positions are kept as a running offset that grows from
//!   one stream to the next by more than the window, so entries left by earlier streams
//!   fall outside the window and the tables are never cleared between chunks.
//! - Each block is written as the smallest of dynamic Huffman (codes limited to 15 bits,
//!   RFC 1951 3.2.7), fixed Huffman (3.2.6) or stored (3.2.4).

mod huffman;
#[cfg(test)]
mod tests;

use huffman::{canonical_codes, code_lengths, Scratch};

/// The deflate window: how far back a match may reach.
const WINDOW: usize = 32 * 1024;
/// Bits of the hash of a position's next four bytes.
const HASH_BITS: u32 = 13;
/// The shortest match taken (the hash covers four bytes; deflate allows three).
const MIN_MATCH: usize = 4;
/// The longest match deflate codes.
const MAX_MATCH: usize = 258;
/// Candidates tried per position.
const MAX_CHAIN: u32 = 4;
/// A match this long ends the search.
const NICE_MATCH: usize = 8;
/// Matches up to this long have every position inserted into the hash; longer ones only
/// their last.
const MAX_INSERT: usize = 4;
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

/// Length codes 257.. (RFC 1951 3.2.5): the first length of each and its extra bits.
const LENGTH_BASE: [u16; 29] = [
    3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131,
    163, 195, 227, 258,
];
const LENGTH_EXTRA: [u8; 29] = [
    0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0,
];
/// Distance codes 0..30 (RFC 1951 3.2.5): the first distance of each and its extra bits.
const DIST_BASE: [u16; 30] = [
    1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537,
    2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577,
];
const DIST_EXTRA: [u8; 30] = [
    0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13,
    13,
];
/// The order code-length code lengths are stored in (RFC 1951 3.2.7).
const CODE_LENGTH_ORDER: [usize; 19] = [
    16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15,
];

/// The length code (0 for symbol 257) of every match length less 3.
const LENGTH_CODE: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut code = 0;
    while code < 29 {
        let mut len = LENGTH_BASE[code] as usize;
        while len < LENGTH_BASE[code] as usize + (1 << LENGTH_EXTRA[code]) && len <= MAX_MATCH {
            table[len - 3] = code as u8;
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

/// A match token: length less 3 above distance less 1, with the top bit set; a literal
/// token is the byte.
const MATCH: u32 = 1 << 31;

/// Deflate state reused from stream to stream: the match finder's tables, the block's
/// tokens and symbol counts, and the code tables.
pub struct Deflater {
    /// Per hash of four bytes, the last position (with the base) that had it.
    head: Box<[u32]>,
    /// Per position modulo the window, the position before it with the same hash.
    prev: Box<[u32]>,
    /// The position of the next stream's first byte.
    base: u32,
    tokens: Vec<u32>,
    litlen_freq: [u32; LITLEN_SYMBOLS],
    dist_freq: [u32; DIST_SYMBOLS],
    code: Codes,
    fixed: Codes,
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

/// One block's codes: lengths and bit-reversed codes per symbol.
struct Codes {
    litlen_len: [u8; LITLEN_SYMBOLS],
    litlen: [u16; LITLEN_SYMBOLS],
    dist_len: [u8; DIST_SYMBOLS],
    dist: [u16; DIST_SYMBOLS],
}

impl Codes {
    fn empty() -> Self {
        Codes {
            litlen_len: [0; LITLEN_SYMBOLS],
            litlen: [0; LITLEN_SYMBOLS],
            dist_len: [0; DIST_SYMBOLS],
            dist: [0; DIST_SYMBOLS],
        }
    }

    /// The fixed Huffman codes (RFC 1951 3.2.6).
    fn fixed() -> Self {
        let mut c = Codes::empty();
        for (s, l) in c.litlen_len.iter_mut().enumerate() {
            *l = match s {
                0..=143 => 8,
                144..=255 => 9,
                256..=279 => 7,
                _ => 8,
            };
        }
        c.dist_len = [5; DIST_SYMBOLS];
        c.assign();
        c
    }

    fn assign(&mut self) {
        canonical_codes(&self.litlen_len, &mut self.litlen);
        canonical_codes(&self.dist_len, &mut self.dist);
    }

    /// Bits the symbols counted in `litlen`, `dist` take with these codes (extra bits
    /// included).
    fn cost(&self, litlen: &[u32], dist: &[u32]) -> u64 {
        let lit: u64 = litlen[..286]
            .iter()
            .zip(&self.litlen_len)
            .enumerate()
            .map(|(s, (&f, &l))| {
                let extra = s.checked_sub(257).map_or(0, |c| LENGTH_EXTRA[c]);
                u64::from(f) * u64::from(l + extra)
            })
            .sum();
        let d: u64 = dist
            .iter()
            .zip(&self.dist_len)
            .zip(&DIST_EXTRA)
            .map(|((&f, &l), &e)| u64::from(f) * u64::from(l + e))
            .sum();
        lit + d
    }
}

impl Deflater {
    /// A deflater with empty tables (some 200 KiB, set up once).
    pub fn new() -> Self {
        Deflater {
            head: vec![0; 1 << HASH_BITS].into_boxed_slice(),
            prev: vec![0; WINDOW].into_boxed_slice(),
            base: FIRST_BASE,
            tokens: Vec::with_capacity(BLOCK_TOKENS + 1),
            litlen_freq: [0; LITLEN_SYMBOLS],
            dist_freq: [0; DIST_SYMBOLS],
            code: Codes::empty(),
            fixed: Codes::fixed(),
            scratch: Scratch::default(),
            buf: Vec::new(),
        }
    }

    /// Appends `input` to `out` as one zlib stream (header marking `level`, 0–9).
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
            } else if i > 0 && seg[i - 1] == 0 && word(seg, i) == 0 {
                // Inside a run of zero bytes: the previous byte repeated, no search.
                let run = zero_run(&seg[i..i + MAX_MATCH.min(n - i)]);
                self.matched(run, 1);
                self.insert(seg, base, i + run - 1);
                i += run;
            } else {
                let pos = base + i as u32;
                let h = hash(word(seg, i));
                let mut cand = self.head[h];
                self.head[h] = pos;
                self.prev[pos as usize % WINDOW] = cand;
                let lowest = base.max(pos.saturating_sub(WINDOW as u32));
                let max = MAX_MATCH.min(n - i);
                let (mut best, mut best_at) = (0, 0);
                let mut chain = MAX_CHAIN;
                while cand >= lowest && cand < pos && chain > 0 {
                    let j = (cand - base) as usize;
                    if best == 0 || (best < max && seg[j + best] == seg[i + best]) {
                        let len = match_length(seg, j, i, max);
                        if len > best {
                            (best, best_at) = (len, j);
                            if len >= NICE_MATCH {
                                break;
                            }
                        }
                    }
                    cand = self.prev[cand as usize % WINDOW];
                    chain -= 1;
                }
                if best >= MIN_MATCH {
                    self.matched(best, i - best_at);
                    if best <= MAX_INSERT {
                        for k in i + 1..i + best {
                            self.insert(seg, base, k);
                        }
                    } else {
                        self.insert(seg, base, i + best - 1);
                    }
                    i += best;
                } else {
                    self.literal(seg[i]);
                    i += 1;
                }
            }
            if self.tokens.len() >= BLOCK_TOKENS {
                self.block(&seg[block_start..i], last && i == n, bits);
                block_start = i;
            }
        }
        if !self.tokens.is_empty() || (last && n == 0) {
            self.block(&seg[block_start..], last, bits);
        }
        self.base = base + n as u32 + WINDOW as u32;
    }

    /// Enters position `k` of `seg` (at `base`) into the hash chains, if it has four bytes.
    fn insert(&mut self, seg: &[u8], base: u32, k: usize) {
        if k + MIN_MATCH <= seg.len() {
            let (p, h) = (base + k as u32, hash(word(seg, k)));
            self.prev[p as usize % WINDOW] = self.head[h];
            self.head[h] = p;
        }
    }

    fn literal(&mut self, b: u8) {
        self.tokens.push(u32::from(b));
        self.litlen_freq[usize::from(b)] += 1;
    }

    fn matched(&mut self, len: usize, dist: usize) {
        let (l, d) = ((len - 3) as u32, (dist - 1) as u32);
        self.tokens.push(MATCH | (l << 16) | d);
        self.litlen_freq[257 + usize::from(LENGTH_CODE[l as usize])] += 1;
        self.dist_freq[dist_code(d)] += 1;
    }

    /// Writes the tokens gathered for `raw` as one block (or stored blocks), whichever
    /// form is smallest, and clears them.
    fn block(&mut self, raw: &[u8], last: bool, bits: &mut Bits<'_>) {
        self.litlen_freq[END_OF_BLOCK] += 1;
        let header = self.dynamic_codes();
        let dynamic = header.bits + self.code.cost(&self.litlen_freq, &self.dist_freq);
        let fixed = 3 + self.fixed.cost(&self.litlen_freq, &self.dist_freq);
        let stored = 8 * (raw.len() as u64 + 5 * (raw.len() as u64 / 65535 + 1)) + 7;
        if stored < dynamic.min(fixed) {
            write_stored(raw, last, bits);
        } else if fixed <= dynamic {
            bits.put(u32::from(last) | (1 << 1), 3);
            write_tokens(&self.tokens, &self.fixed, bits);
        } else {
            let c = &mut self.code;
            canonical_codes(&c.litlen_len[..header.hlit], &mut c.litlen[..header.hlit]);
            canonical_codes(&c.dist_len[..header.hdist], &mut c.dist[..header.hdist]);
            bits.put(u32::from(last) | (2 << 1), 3);
            self.write_dynamic_header(&header, bits);
            write_tokens(&self.tokens, &self.code, bits);
        }
        self.tokens.clear();
        self.litlen_freq.fill(0);
        self.dist_freq.fill(0);
    }

    /// Fits `self.code` to the block's counts and plans the header that describes it.
    fn dynamic_codes(&mut self) -> Header {
        code_lengths(
            &self.litlen_freq[..286],
            15,
            &mut self.code.litlen_len[..286],
            &mut self.scratch,
        );
        code_lengths(
            &self.dist_freq[..30],
            15,
            &mut self.code.dist_len[..30],
            &mut self.scratch,
        );
        let hlit = 257
            + self.code.litlen_len[257..286]
                .iter()
                .rposition(|&l| l > 0)
                .map_or(0, |p| p + 1);
        let hdist = 1 + self.code.dist_len[1..30]
            .iter()
            .rposition(|&l| l > 0)
            .map_or(0, |p| p + 1);
        let mut h = Header {
            hlit,
            hdist,
            hclen: 4,
            runs: Vec::new(),
            lens: [0; 19],
            codes: [0; 19],
            bits: 0,
        };
        let lens = self.code.litlen_len[..hlit]
            .iter()
            .chain(&self.code.dist_len[..hdist]);
        h.runs = run_lengths(lens);
        let mut freq = [0u32; 19];
        for &(sym, _) in &h.runs {
            freq[usize::from(sym)] += 1;
        }
        code_lengths(&freq, 7, &mut h.lens, &mut self.scratch);
        canonical_codes(&h.lens, &mut h.codes);
        h.hclen = 4 + CODE_LENGTH_ORDER[4..]
            .iter()
            .rposition(|&s| h.lens[s] > 0)
            .map_or(0, |p| p + 1);
        let extra = |sym: u8| match sym {
            16 => 2,
            17 => 3,
            18 => 7,
            _ => 0,
        };
        h.bits = 3
            + 14
            + 3 * h.hclen as u64
            + h.runs
                .iter()
                .map(|&(s, _)| u64::from(h.lens[usize::from(s)]) + extra(s))
                .sum::<u64>();
        h
    }

    fn write_dynamic_header(&self, h: &Header, bits: &mut Bits<'_>) {
        bits.put(
            (h.hlit - 257) as u32 | (((h.hdist - 1) as u32) << 5) | (((h.hclen - 4) as u32) << 10),
            14,
        );
        for &s in &CODE_LENGTH_ORDER[..h.hclen] {
            bits.put(u32::from(h.lens[s]), 3);
        }
        for &(s, extra) in &h.runs {
            let s = usize::from(s);
            bits.put(u32::from(h.codes[s]), u32::from(h.lens[s]));
            match s {
                16 => bits.put(u32::from(extra), 2),
                17 => bits.put(u32::from(extra), 3),
                18 => bits.put(u32::from(extra), 7),
                _ => {}
            }
        }
    }
}

/// A dynamic block's header: the code-length alphabet's codes and the run-length coded
/// code lengths.
struct Header {
    hlit: usize,
    hdist: usize,
    hclen: usize,
    /// (code-length symbol, its extra-bits value).
    runs: Vec<(u8, u8)>,
    lens: [u8; 19],
    codes: [u16; 19],
    /// Bits of the block header (with the 3 block-type bits).
    bits: u64,
}

/// The code lengths as code-length symbols (RFC 1951 3.2.7): 16 repeats the previous
/// length 3–6 times, 17 and 18 give 3–10 and 11–138 zeros.
fn run_lengths<'a>(lens: impl Iterator<Item = &'a u8>) -> Vec<(u8, u8)> {
    let lens: Vec<u8> = lens.copied().collect();
    let mut runs = Vec::with_capacity(lens.len());
    let mut i = 0;
    while i < lens.len() {
        let l = lens[i];
        let run = lens[i..].iter().take_while(|&&x| x == l).count();
        let mut left = run;
        if l == 0 {
            while left >= 11 {
                let k = left.min(138);
                runs.push((18, (k - 11) as u8));
                left -= k;
            }
            if left >= 3 {
                runs.push((17, (left - 3) as u8));
                left = 0;
            }
        } else {
            runs.push((l, 0));
            left -= 1;
            while left >= 3 {
                let k = left.min(6);
                runs.push((16, (k - 3) as u8));
                left -= k;
            }
        }
        runs.extend(std::iter::repeat_n((l, 0), left));
        i += run;
    }
    runs
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

/// The length of the common prefix of `seg[j..]` and `seg[i..]` (j < i), at most `max`
/// (with `i + max <= seg.len()`), compared 32 bytes at a time.
fn match_length(seg: &[u8], j: usize, i: usize, max: usize) -> usize {
    let (a, b) = (&seg[j..j + max], &seg[i..i + max]);
    let mut n = 0;
    for (x, y) in a.chunks_exact(32).zip(b.chunks_exact(32)) {
        let low = load128(&x[..16]) ^ load128(&y[..16]);
        let high = load128(&x[16..]) ^ load128(&y[16..]);
        if low | high != 0 {
            return n + if low != 0 {
                low.trailing_zeros() / 8
            } else {
                16 + high.trailing_zeros() / 8
            } as usize;
        }
        n += 32;
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

/// Writes `tokens` and the end-of-block code with `code`.
fn write_tokens(tokens: &[u32], code: &Codes, bits: &mut Bits<'_>) {
    for &t in tokens {
        if t & MATCH == 0 {
            let s = t as usize;
            bits.put(u32::from(code.litlen[s]), u32::from(code.litlen_len[s]));
        } else {
            let l = (t >> 16) & 0xff;
            let c = usize::from(LENGTH_CODE[l as usize]);
            let (s, extra) = (257 + c, u32::from(LENGTH_EXTRA[c]));
            let len = u32::from(code.litlen_len[s]);
            let value = l + 3 - u32::from(LENGTH_BASE[c]);
            bits.put(u32::from(code.litlen[s]) | value << len, len + extra);
            let d = t & 0xffff;
            let c = dist_code(d);
            let (len, extra) = (u32::from(code.dist_len[c]), u32::from(DIST_EXTRA[c]));
            let value = d + 1 - u32::from(DIST_BASE[c]);
            bits.put(u32::from(code.dist[c]) | value << len, len + extra);
        }
    }
    bits.put(
        u32::from(code.litlen[END_OF_BLOCK]),
        u32::from(code.litlen_len[END_OF_BLOCK]),
    );
}

/// Writes `raw` as stored blocks of at most 65535 bytes, the last marked final if `last`.
fn write_stored(raw: &[u8], last: bool, bits: &mut Bits<'_>) {
    let mut write = |piece: &[u8], fin: bool| {
        bits.put(u32::from(fin), 3);
        bits.align();
        let len = piece.len() as u16;
        bits.bytes(&len.to_le_bytes());
        bits.bytes(&(!len).to_le_bytes());
        bits.bytes(piece);
    };
    if raw.is_empty() {
        write(raw, last);
    }
    let mut pieces = raw.chunks(65535).peekable();
    while let Some(piece) = pieces.next() {
        write(piece, last && pieces.peek().is_none());
    }
}

/// Bits written least significant first into bytes of `buf` (long enough for all of
/// them and 8 bytes more), each `put` storing a whole word without a branch.
struct Bits<'a> {
    buf: &'a mut [u8],
    pos: usize,
    acc: u64,
    n: u32,
}

impl Bits<'_> {
    /// Appends the low `len` bits of `v` (no higher bits set; `len` at most 32).
    #[inline]
    fn put(&mut self, v: u32, len: u32) {
        self.acc |= u64::from(v) << self.n;
        self.n += len;
        self.buf[self.pos..self.pos + 8].copy_from_slice(&self.acc.to_le_bytes());
        let whole = self.n / 8;
        self.pos += whole as usize;
        self.acc >>= whole * 8;
        self.n -= whole * 8;
    }

    /// Pads to a byte boundary with zero bits.
    fn align(&mut self) {
        if self.n > 0 {
            self.put(0, 8 - self.n);
        }
    }

    /// Appends `bytes` (at a byte boundary).
    fn bytes(&mut self, bytes: &[u8]) {
        self.buf[self.pos..self.pos + bytes.len()].copy_from_slice(bytes);
        self.pos += bytes.len();
    }
}
