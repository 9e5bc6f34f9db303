//! Writing deflate blocks (RFC 1951 3.2.3-3.2.7): the codes of a block, the dynamic
//! block header, the tokens and stored blocks, all through a bit writer.

use super::huffman::{Code, Scratch};
use super::{
    CODE_LENGTH_ORDER, DIST_EXTRA, DIST_SYMBOLS, END_OF_BLOCK, LENGTH_EXTRA, LITLEN_SYMBOLS, MATCH,
};

/// One block's codes.
pub(super) struct Codes {
    litlen: Code<LITLEN_SYMBOLS>,
    dist: Code<DIST_SYMBOLS>,
}

impl Codes {
    pub(super) fn empty() -> Self {
        Codes {
            litlen: Code::new(),
            dist: Code::new(),
        }
    }

    /// The fixed Huffman codes (RFC 1951 3.2.6).
    pub(super) fn fixed() -> Self {
        let mut lens = [0u8; LITLEN_SYMBOLS];
        for (s, l) in lens.iter_mut().enumerate() {
            *l = match s {
                0..=143 => 8,
                144..=255 => 9,
                256..=279 => 7,
                _ => 8,
            };
        }
        Codes {
            litlen: Code::from_lens(lens),
            dist: Code::from_lens([5; DIST_SYMBOLS]),
        }
    }

    /// Bits the symbols counted in `litlen`, `dist` take with the fixed codes (RFC 1951
    /// 3.2.6), extra bits not included.
    pub(super) fn fixed_cost(litlen: &[u32], dist: &[u32]) -> u64 {
        let sum = |f: &[u32]| f.iter().map(|&f| u64::from(f)).sum::<u64>();
        8 * sum(&litlen[..144])
            + 9 * sum(&litlen[144..256])
            + 7 * sum(&litlen[256..280])
            + 8 * sum(&litlen[280..])
            + 5 * sum(dist)
    }
}

/// The extra bits of the lengths and distances counted in `litlen`, `dist`.
pub(super) fn extra_bits(litlen: &[u32], dist: &[u32]) -> u64 {
    let lengths = litlen[257..286]
        .iter()
        .zip(&LENGTH_EXTRA)
        .map(|(&f, &e)| u64::from(f) * u64::from(e));
    let distances = dist
        .iter()
        .zip(&DIST_EXTRA)
        .map(|(&f, &e)| u64::from(f) * u64::from(e));
    lengths.chain(distances).sum()
}

/// A dynamic block's header: the code-length alphabet's codes and the run-length coded
/// code lengths. Kept from block to block.
pub(super) struct Header {
    hlit: usize,
    hdist: usize,
    hclen: usize,
    /// (code-length symbol, its extra-bits value), the first `n_runs` in use.
    runs: [(u8, u8); LITLEN_SYMBOLS + DIST_SYMBOLS],
    n_runs: usize,
    /// The code-length code.
    pre: Code<19>,
}

impl Header {
    pub(super) fn new() -> Self {
        Header {
            hlit: 257,
            hdist: 1,
            hclen: 4,
            runs: [(0, 0); LITLEN_SYMBOLS + DIST_SYMBOLS],
            n_runs: 0,
            pre: Code::new(),
        }
    }

    /// Fits `code` to the block's counts `litlen`, `dist` and plans the header that
    /// describes it. Returns the bits of the header (with the 3 block-type bits) and of
    /// the counted symbols' codes (without their extra bits).
    pub(super) fn plan(
        &mut self,
        code: &mut Codes,
        litlen: &[u32],
        dist: &[u32],
        scratch: &mut Scratch,
    ) -> u64 {
        let symbols =
            code.litlen.fit(&litlen[..286], 15, scratch) + code.dist.fit(&dist[..30], 15, scratch);
        // Every used literal/length symbol is below 286 and every distance below 30.
        let last = |used: &[u16]| used.last().map_or(0, |&s| usize::from(s) + 1);
        self.hlit = last(code.litlen.used()).max(257);
        self.hdist = last(code.dist.used()).max(1);
        self.n_runs = run_lengths(code, self.hlit, self.hdist, &mut self.runs);
        let runs = &self.runs[..self.n_runs];
        let mut freq = [0u32; 19];
        for &(sym, _) in runs {
            freq[usize::from(sym)] += 1;
        }
        let lens = self.pre.fit(&freq, 7, scratch);
        self.pre.assign();
        self.hclen = 4 + CODE_LENGTH_ORDER[4..]
            .iter()
            .rposition(|&s| self.pre.lens[s] > 0)
            .map_or(0, |p| p + 1);
        let extra = 2 * u64::from(freq[16]) + 3 * u64::from(freq[17]) + 7 * u64::from(freq[18]);
        3 + 14 + 3 * self.hclen as u64 + lens + extra + symbols
    }

    /// Gives `code` (planned with this header) its codes and writes the header (after
    /// the block type).
    pub(super) fn write(&self, code: &mut Codes, bits: &mut Bits<'_>) {
        let h = self;
        code.litlen.assign();
        code.dist.assign();
        bits.put(
            (h.hlit - 257) as u32 | (((h.hdist - 1) as u32) << 5) | (((h.hclen - 4) as u32) << 10),
            14,
        );
        for &s in &CODE_LENGTH_ORDER[..h.hclen] {
            bits.put(u32::from(h.pre.lens[s]), 3);
        }
        // Per code-length symbol: its code (low 16 bits), the code's length (bits 16-23)
        // and that length with the symbol's extra bits (from bit 24).
        let mut entries = [0u32; 19];
        for (s, e) in entries.iter_mut().enumerate() {
            let len = u32::from(h.pre.lens[s]);
            let extra = [2, 3, 7].get(s.wrapping_sub(16)).copied().unwrap_or(0);
            *e = u32::from(h.pre.codes[s]) | len << 16 | (len + extra) << 24;
        }
        // The writer's state in a local, kept in registers.
        let mut local = Bits {
            buf: &mut *bits.buf,
            pos: bits.pos,
            acc: bits.acc,
            n: bits.n,
        };
        // A symbol with its extra bits takes at most 7 + 7 bits: four go in one put.
        let bits_of = |&(s, extra): &(u8, u8)| {
            let e = entries[usize::from(s)];
            (e & 0xffff | u32::from(extra) << (e >> 16 & 0xff), e >> 24)
        };
        let mut fours = h.runs[..h.n_runs].chunks_exact(4);
        for four in &mut fours {
            let (mut v, mut n) = (0u64, 0);
            for run in four {
                let (b, len) = bits_of(run);
                v |= u64::from(b) << n;
                n += len;
            }
            local.put_long(v, n);
        }
        for run in fours.remainder() {
            let (b, len) = bits_of(run);
            local.put(b, len);
        }
        (bits.pos, bits.acc, bits.n) = (local.pos, local.acc, local.n);
    }
}

/// The code lengths of `code`'s first `hlit` literal/length symbols then its first
/// `hdist` distances, as code-length symbols (RFC 1951 3.2.7) into `runs`, returning how
/// many: 16 repeats the previous length 3–6 times, 17 and 18 give 3–10 and 11–138 zeros.
/// Runs may cross from the first lengths into the second. Only the used symbols are
/// visited, in one pass: the zeros are the gaps between them.
fn run_lengths(code: &Codes, hlit: usize, hdist: usize, runs: &mut [(u8, u8)]) -> usize {
    let mut runs = Runs {
        runs,
        n: 0,
        next: 0,
        len: 0,
        repeats: 0,
    };
    for &s in code.litlen.used() {
        runs.length(usize::from(s), code.litlen.lens[usize::from(s)]);
    }
    for &s in code.dist.used() {
        runs.length(hlit + usize::from(s), code.dist.lens[usize::from(s)]);
    }
    runs.end_repeats();
    runs.zeros(hlit + hdist - runs.next);
    runs.n
}

/// The code-length symbols of a sequence of code lengths given as its nonzero lengths in
/// order, with their places: the zeros between are the gaps.
struct Runs<'a> {
    runs: &'a mut [(u8, u8)],
    n: usize,
    /// The place after the last length given.
    next: usize,
    /// The last length given, and how many times it has repeated since it was written.
    len: u8,
    repeats: usize,
}

impl Runs<'_> {
    #[inline]
    fn push(&mut self, run: (u8, u8)) {
        self.runs[self.n] = run;
        self.n += 1;
    }

    /// The nonzero length `len` at place `at` (after the last one given).
    #[inline(always)]
    fn length(&mut self, at: usize, len: u8) {
        if at == self.next && len == self.len {
            self.repeats += 1;
        } else {
            self.end_repeats();
            self.zeros(at - self.next);
            self.push((len, 0));
            self.len = len;
        }
        self.next = at + 1;
    }

    /// Writes the pending repeats of the last length.
    #[inline]
    fn end_repeats(&mut self) {
        while self.repeats >= 3 {
            let k = self.repeats.min(6);
            self.push((16, (k - 3) as u8));
            self.repeats -= k;
        }
        for _ in 0..self.repeats {
            self.push((self.len, 0));
        }
        self.repeats = 0;
    }

    /// Writes a run of `n` zero lengths.
    #[inline]
    fn zeros(&mut self, mut n: usize) {
        while n >= 11 {
            let k = n.min(138);
            self.push((18, (k - 11) as u8));
            n -= k;
        }
        if n >= 3 {
            self.push((17, (n - 3) as u8));
            n = 0;
        }
        for _ in 0..n {
            self.push((0, 0));
        }
    }
}

/// Writes `tokens` and the end-of-block code with `code`.
pub(super) fn write_tokens(tokens: &[u32], code: &Codes, bits: &mut Bits<'_>) {
    #[cfg(target_arch = "x86_64")]
    if std::is_x86_feature_detected!("bmi2") {
        // SAFETY: `write_tokens_bmi2` needs only BMI2, which this CPU has (checked just
        // above).
        unsafe { write_tokens_bmi2(tokens, code, bits) };
        return;
    }
    write_tokens_body(tokens, code, bits);
}

/// [`write_tokens_body`] compiled with BMI2's shifts by a register (one instruction, no
/// flags).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "bmi2")]
fn write_tokens_bmi2(tokens: &[u32], code: &Codes, bits: &mut Bits<'_>) {
    write_tokens_body(tokens, code, bits);
}

#[inline(always)]
fn write_tokens_body(tokens: &[u32], code: &Codes, bits: &mut Bits<'_>) {
    // Per length and distance code: its Huffman code (low 16 bits), the code's length
    // (bits 16-23) and that length with the extra bits (from bit 24).
    let entry = |code: u16, len: u8, extra: u8| {
        u32::from(code) | u32::from(len) << 16 | (u32::from(len) + u32::from(extra)) << 24
    };
    let mut lengths = [0u32; 32];
    for (c, (e, &extra)) in lengths.iter_mut().zip(&LENGTH_EXTRA).enumerate() {
        let s = 257 + c;
        *e = entry(code.litlen.codes[s], code.litlen.lens[s], extra);
    }
    let mut distances = [0u32; 32];
    for (c, (e, &extra)) in distances.iter_mut().zip(&DIST_EXTRA).enumerate() {
        *e = entry(code.dist.codes[c], code.dist.lens[c], extra);
    }
    // The writer's state in locals: through `bits`, every token stored it to memory.
    let (mut acc, mut n, mut pos) = (bits.acc, bits.n, bits.pos);
    let buf = &mut *bits.buf;
    for &t in tokens {
        let (v, len) = if t & MATCH == 0 {
            let s = (t & 0xff) as usize;
            (
                u64::from(code.litlen.codes[s]),
                u32::from(code.litlen.lens[s]),
            )
        } else {
            let l = lengths[(t >> 23 & 31) as usize];
            let d = distances[(t >> 13 & 31) as usize];
            let length = u64::from(l & 0xffff) | u64::from(t >> 18 & 31) << (l >> 16 & 0xff);
            let distance = u64::from(d & 0xffff) | u64::from(t & 0x1fff) << (d >> 16 & 0xff);
            (length | distance << (l >> 24), (l >> 24) + (d >> 24))
        };
        // A match's codes and extra bits take at most 48 bits, `n` is at most 7.
        acc |= v << n;
        n += len;
        buf[pos..pos + 8].copy_from_slice(&acc.to_le_bytes());
        let whole = n / 8;
        pos += whole as usize;
        acc >>= whole * 8;
        n -= whole * 8;
    }
    (bits.acc, bits.n, bits.pos) = (acc, n, pos);
    bits.put(
        u32::from(code.litlen.codes[END_OF_BLOCK]),
        u32::from(code.litlen.lens[END_OF_BLOCK]),
    );
}

/// Writes `raw` as stored blocks of at most 65535 bytes, the last marked final if `last`.
pub(super) fn write_stored(raw: &[u8], last: bool, bits: &mut Bits<'_>) {
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
pub(super) struct Bits<'a> {
    pub(super) buf: &'a mut [u8],
    pub(super) pos: usize,
    pub(super) acc: u64,
    pub(super) n: u32,
}

impl Bits<'_> {
    /// Appends the low `len` bits of `v` (no higher bits set; `len` at most 32).
    #[inline]
    pub(super) fn put(&mut self, v: u32, len: u32) {
        self.put_long(u64::from(v), len);
    }

    /// Appends the low `len` bits of `v` (no higher bits set; `len` at most 56: a match's
    /// length and distance codes with their extra bits take at most 48).
    #[inline]
    pub(super) fn put_long(&mut self, v: u64, len: u32) {
        self.acc |= v << self.n;
        self.n += len;
        self.buf[self.pos..self.pos + 8].copy_from_slice(&self.acc.to_le_bytes());
        let whole = self.n / 8;
        self.pos += whole as usize;
        self.acc >>= whole * 8;
        self.n -= whole * 8;
    }

    /// Pads to a byte boundary with zero bits.
    pub(super) fn align(&mut self) {
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The code-length symbols of `lens`, one length at a time (the whole sequence
    /// scanned, rather than the used symbols' gaps).
    fn runs_one_by_one(lens: &[u8]) -> Vec<(u8, u8)> {
        let mut runs = Vec::new();
        let mut i = 0;
        while i < lens.len() {
            let l = lens[i];
            let run = lens[i..].iter().take_while(|&&m| m == l).count();
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

    /// `n` code lengths from stretches of (zeros, a length, how many times), zeros after.
    fn lengths<const N: usize>(n: usize, stretches: &[(usize, u8, usize)]) -> [u8; N] {
        let mut lens = [0u8; N];
        let mut at = 0;
        for &(zeros, len, times) in stretches {
            at += zeros;
            for l in lens[..n].iter_mut().skip(at).take(times) {
                *l = len;
            }
            at += times;
        }
        lens
    }

    proptest::proptest! {
        #[test]
        fn run_lengths_match_a_scan_of_every_length(
            litlen in proptest::collection::vec((0usize..160, 1u8..16, 1usize..9), 0..12),
            dist in proptest::collection::vec((0usize..12, 1u8..16, 1usize..9), 0..6),
        ) {
            let mut litlen_lens = lengths::<LITLEN_SYMBOLS>(286, &litlen);
            // End-of-block always has a code.
            litlen_lens[END_OF_BLOCK] = litlen_lens[END_OF_BLOCK].max(1);
            let dist_lens = lengths::<DIST_SYMBOLS>(30, &dist);
            let code = Codes {
                litlen: Code::from_lens(litlen_lens),
                dist: Code::from_lens(dist_lens),
            };
            let last = |lens: &[u8]| lens.iter().rposition(|&l| l > 0).map_or(0, |p| p + 1);
            let (hlit, hdist) = (last(&litlen_lens).max(257), last(&dist_lens).max(1));
            let mut runs = [(0, 0); LITLEN_SYMBOLS + DIST_SYMBOLS];
            let n = run_lengths(&code, hlit, hdist, &mut runs);
            let all: Vec<u8> = litlen_lens[..hlit].iter().chain(&dist_lens[..hdist]).copied().collect();
            proptest::prop_assert_eq!(&runs[..n], &runs_one_by_one(&all)[..]);
        }
    }
}
