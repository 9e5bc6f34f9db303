//! Writing deflate blocks (RFC 1951 3.2.3-3.2.7): the codes of a block, the dynamic
//! block header, the tokens and stored blocks, all through a bit writer.

use super::huffman::{canonical_codes, code_lengths, Scratch};
use super::{
    dist_code, CODE_LENGTH_ORDER, DIST_BASE, DIST_EXTRA, DIST_SYMBOLS, END_OF_BLOCK, LENGTH_BASE,
    LENGTH_CODE, LENGTH_EXTRA, LITLEN_SYMBOLS, MATCH,
};

/// One block's codes: lengths and bit-reversed codes per symbol.
pub(super) struct Codes {
    litlen_len: [u8; LITLEN_SYMBOLS],
    litlen: [u16; LITLEN_SYMBOLS],
    dist_len: [u8; DIST_SYMBOLS],
    dist: [u16; DIST_SYMBOLS],
}

impl Codes {
    pub(super) fn empty() -> Self {
        Codes {
            litlen_len: [0; LITLEN_SYMBOLS],
            litlen: [0; LITLEN_SYMBOLS],
            dist_len: [0; DIST_SYMBOLS],
            dist: [0; DIST_SYMBOLS],
        }
    }

    /// The fixed Huffman codes (RFC 1951 3.2.6).
    pub(super) fn fixed() -> Self {
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
    pub(super) fn cost(&self, litlen: &[u32], dist: &[u32]) -> u64 {
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

/// A dynamic block's header: the code-length alphabet's codes and the run-length coded
/// code lengths.
pub(super) struct Header {
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

impl Header {
    /// Fits `code` to the block's counts `litlen`, `dist` and plans the header that
    /// describes it.
    pub(super) fn plan(
        code: &mut Codes,
        litlen: &[u32],
        dist: &[u32],
        scratch: &mut Scratch,
    ) -> Header {
        code_lengths(&litlen[..286], 15, &mut code.litlen_len[..286], scratch);
        code_lengths(&dist[..30], 15, &mut code.dist_len[..30], scratch);
        let hlit = 257
            + code.litlen_len[257..286]
                .iter()
                .rposition(|&l| l > 0)
                .map_or(0, |p| p + 1);
        let hdist = 1 + code.dist_len[1..30]
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
        let lens = code.litlen_len[..hlit]
            .iter()
            .chain(&code.dist_len[..hdist]);
        h.runs = run_lengths(lens);
        let mut freq = [0u32; 19];
        for &(sym, _) in &h.runs {
            freq[usize::from(sym)] += 1;
        }
        code_lengths(&freq, 7, &mut h.lens, scratch);
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

    /// Bits of the block header (with the 3 block-type bits).
    pub(super) fn bits(&self) -> u64 {
        self.bits
    }

    /// Gives `code` (planned with this header) its codes and writes the header (after
    /// the block type).
    pub(super) fn write(&self, code: &mut Codes, bits: &mut Bits<'_>) {
        let h = self;
        canonical_codes(&code.litlen_len[..h.hlit], &mut code.litlen[..h.hlit]);
        canonical_codes(&code.dist_len[..h.hdist], &mut code.dist[..h.hdist]);
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

/// Writes `tokens` and the end-of-block code with `code`.
pub(super) fn write_tokens(tokens: &[u32], code: &Codes, bits: &mut Bits<'_>) {
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
        self.acc |= u64::from(v) << self.n;
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
