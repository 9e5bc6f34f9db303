//! Decoding tables of canonical Huffman codes (RFC 1951 3.2.2) and the code lengths of
//! fixed (3.2.6) and dynamic (3.2.7) blocks.
//!
//! A table is indexed by the next `ROOT` bits of the stream. An entry (u32) holds in its
//! low byte the bits to consume at this level (the code's bits here and, for lengths and
//! distances, the extra bits that follow them, so one shift takes both), in bits 8..12
//! the code's bits alone (the extra bits are the ones above them), flags in bits 12..16,
//! and in the high half the literal byte, the base length or distance, or the start of a
//! second-level table. A code longer than `ROOT` bits has a second-level table for its
//! first `ROOT` bits, indexed by the bits that follow, sized (as in zlib) to hold every
//! code sharing that prefix; its root entry consumes the `ROOT` bits and holds the
//! second level's index bits in bits 8..12.

use super::bits::Bits;
use super::InflateError;
use crate::format::filters::rfc1951::{
    CODE_LENGTH_ORDER, DIST_BASE, DIST_EXTRA, LENGTH_BASE, LENGTH_EXTRA,
};

/// The entry is a literal byte.
pub(super) const LITERAL: u32 = 1 << 15;
/// The entry is not a literal, length or distance: end of block, a second-level table or
/// an unused code.
pub(super) const EXCEPTIONAL: u32 = 1 << 14;
/// (With `EXCEPTIONAL`) the root entry of a second-level table.
pub(super) const SUBTABLE: u32 = 1 << 13;
/// (With `EXCEPTIONAL`) end of block.
pub(super) const END: u32 = 1 << 12;

/// Index bits of the literal/length table's first level.
pub(super) const LITLEN_ROOT: u32 = 10;
/// Index bits of the distance table's first level.
pub(super) const DIST_ROOT: u32 = 9;
/// Index bits of the code-length code's table (its codes are at most 7 bits).
const PRECODE_ROOT: u32 = 7;
/// The longest code.
const MAX_LEN: usize = 15;

/// Entries for a first level of `root` bits and second levels for `symbols` symbols: each
/// second level covers at least two codes and has at most 2^(15 - root) entries.
const fn table_size(root: u32, symbols: usize) -> usize {
    (1 << root) + (symbols / 2) * (1 << (MAX_LEN as u32 - root))
}
pub(super) const LITLEN_SIZE: usize = table_size(LITLEN_ROOT, 288);
pub(super) const DIST_SIZE: usize = table_size(DIST_ROOT, 32);
const PRECODE_SIZE: usize = 1 << PRECODE_ROOT;

/// The tables of the block being decoded.
pub(super) struct Tables {
    pub(super) litlen: [u32; LITLEN_SIZE],
    pub(super) dist: [u32; DIST_SIZE],
    precode: [u32; PRECODE_SIZE],
    /// Whether `litlen` and `dist` hold the fixed codes.
    fixed: bool,
}

/// An unused code (a valid entry that ends decoding with an error).
const UNUSED: u32 = EXCEPTIONAL;

/// The entries of the literal/length symbols before [`finish`]: a literal's byte, the end
/// of block, a length's base with its count of extra bits in the low byte; 286 and 287
/// are unused.
static LITLEN_ENTRIES: [u32; 288] = litlen_entries();
/// The entries of the distance symbols before [`finish`] (30 and 31 are unused).
static DIST_ENTRIES: [u32; 32] = dist_entries();
/// The entries of the code-length symbols: the symbol.
static PRECODE_ENTRIES: [u32; 19] = precode_entries();

const fn litlen_entries() -> [u32; 288] {
    let mut t = [UNUSED; 288];
    let mut s = 0;
    while s < 256 {
        t[s] = LITERAL | (s as u32) << 16;
        s += 1;
    }
    t[256] = EXCEPTIONAL | END;
    let mut i = 0;
    while i < LENGTH_BASE.len() {
        t[257 + i] = (LENGTH_BASE[i] as u32) << 16 | LENGTH_EXTRA[i] as u32;
        i += 1;
    }
    t
}

const fn dist_entries() -> [u32; 32] {
    let mut t = [UNUSED; 32];
    let mut i = 0;
    while i < DIST_BASE.len() {
        t[i] = (DIST_BASE[i] as u32) << 16 | DIST_EXTRA[i] as u32;
        i += 1;
    }
    t
}

const fn precode_entries() -> [u32; 19] {
    let mut t = [0; 19];
    let mut i = 0;
    while i < 19 {
        t[i] = (i as u32) << 16;
        i += 1;
    }
    t
}

impl Tables {
    pub(super) fn new() -> Box<Tables> {
        Box::new(Tables {
            litlen: [UNUSED; LITLEN_SIZE],
            dist: [UNUSED; DIST_SIZE],
            precode: [UNUSED; PRECODE_SIZE],
            fixed: false,
        })
    }

    /// Sets the fixed codes (RFC 1951 3.2.6), unless they are set already (they are
    /// complete, so building them does not fail).
    pub(super) fn fixed(&mut self) -> Result<(), &'static str> {
        if self.fixed {
            return Ok(());
        }
        let mut lens = [0u8; 288 + 32];
        lens[..144].fill(8);
        lens[144..256].fill(9);
        lens[256..280].fill(7);
        lens[280..288].fill(8);
        lens[288..].fill(5);
        build(
            &mut self.litlen,
            LITLEN_ROOT,
            &lens[..288],
            &LITLEN_ENTRIES,
            true,
        )?;
        build(&mut self.dist, DIST_ROOT, &lens[288..], &DIST_ENTRIES, true)?;
        self.fixed = true;
        Ok(())
    }

    /// Reads a dynamic block's code lengths (RFC 1951 3.2.7) and builds its tables.
    pub(super) fn dynamic(&mut self, bits: &mut Bits) -> Result<(), InflateError> {
        self.fixed = false;
        let corrupt = |bits: &Bits, reason| InflateError::Corrupt {
            at: bits.position(),
            reason,
        };
        bits.refill()?;
        let nlit = bits.take(5) as usize + 257;
        let ndist = bits.take(5) as usize + 1;
        let ncode = bits.take(4) as usize + 4;
        if nlit > 286 || ndist > 30 {
            return Err(corrupt(bits, "too many length or distance codes"));
        }
        let mut code_lens = [0u8; 19];
        for &i in &CODE_LENGTH_ORDER[..ncode] {
            bits.ensure(3)?;
            code_lens[i] = bits.take(3) as u8;
        }
        build(
            &mut self.precode,
            PRECODE_ROOT,
            &code_lens,
            &PRECODE_ENTRIES,
            false,
        )
        .map_err(|reason| corrupt(bits, reason))?;
        // Zero-filled, so runs of zeros are skipped; with room for a repeat's 6 bytes.
        let mut lens = [0u8; 286 + 30 + 6];
        let n = nlit + ndist;
        let mut i = 0;
        while i < n {
            // A code-length code and its extra bits: at most 7 + 7.
            bits.ensure(14)?;
            let e = self.precode[(bits.peek() & (PRECODE_SIZE as u64 - 1)) as usize];
            if e & EXCEPTIONAL != 0 {
                return Err(corrupt(bits, "invalid code-length code"));
            }
            bits.consume(e & 0xff);
            let symbol = (e >> 16) as u8;
            if symbol < 16 {
                lens[i] = symbol;
                i += 1;
                continue;
            }
            let repeat = match symbol {
                16 => {
                    let Some(prev) = i.checked_sub(1) else {
                        return Err(corrupt(bits, "length repeated before the first"));
                    };
                    let (value, repeat) = (lens[prev], 3 + bits.take(2) as usize);
                    // Every length from i on is still zero: write 6, zeros past the repeat.
                    for (k, l) in lens[i..i + 6].iter_mut().enumerate() {
                        *l = if k < repeat { value } else { 0 };
                    }
                    repeat
                }
                17 => 3 + bits.take(3) as usize,
                _ => 11 + bits.take(7) as usize,
            };
            if i + repeat > n {
                return Err(corrupt(bits, "code lengths overrun their count"));
            }
            i += repeat;
        }
        if lens[256] == 0 {
            return Err(corrupt(bits, "no end-of-block code"));
        }
        build(
            &mut self.litlen,
            LITLEN_ROOT,
            &lens[..nlit],
            &LITLEN_ENTRIES,
            true,
        )
        .map_err(|reason| corrupt(bits, reason))?;
        build(
            &mut self.dist,
            DIST_ROOT,
            &lens[nlit..n],
            &DIST_ENTRIES,
            true,
        )
        .map_err(|reason| corrupt(bits, reason))
    }
}

/// The low four bits of each byte of a word.
const LOW_NIBBLES: u64 = 0x0f0f_0f0f_0f0f_0f0f;
/// The low seven bits of each byte.
const LOW_SEVEN_BITS: u64 = 0x7f7f_7f7f_7f7f_7f7f;
/// The top bit of each byte.
const TOP_BITS: u64 = 0x8080_8080_8080_8080;

/// Builds the table of the canonical code with code lengths `lens` (0: unused symbol)
/// into `table`, whose first level has `root` index bits; `entries[symbol]` is a
/// symbol's entry before [`finish`]. An over-subscribed set is an error, and so is an
/// incomplete one, except (with `single_allowed`) a set of one one-bit code, or none.
fn build(
    table: &mut [u32],
    root: u32,
    lens: &[u8],
    entries: &[u32],
    single_allowed: bool,
) -> Result<(), &'static str> {
    // Most of a literal alphabet is unused: the lengths are read eight at a time, and
    // only the used ones are counted and then sorted.
    let mut count = [0u32; MAX_LEN + 1];
    for_each_used(lens, |_, l| count[l] += 1);
    let max = (1..=MAX_LEN).rev().find(|&l| count[l] > 0).unwrap_or(0);
    let mut left: i64 = 1;
    for &c in &count[1..] {
        left = (left << 1) - i64::from(c);
        if left < 0 {
            return Err("over-subscribed Huffman code");
        }
    }
    if left > 0 {
        if !single_allowed || max > 1 {
            return Err("incomplete Huffman code");
        }
        table[..1 << root].fill(UNUSED);
    }
    // The used symbols in canonical order: by length, then by value.
    let mut offset = [0usize; MAX_LEN + 1];
    for l in 2..=MAX_LEN {
        offset[l] = offset[l - 1] + count[l - 1] as usize;
    }
    let mut sorted = [0u16; 288];
    for_each_used(lens, |symbol, l| {
        sorted[offset[l]] = symbol as u16;
        offset[l] += 1;
    });
    let mut next = 0;
    // The first level is filled by doubling: once the codes of length l are in place,
    // entries [0, 2^l) are final for every code of length <= l, and copying them to
    // [2^l, 2^(l+1)) repeats each one as a code of length <= l is repeated (its entry
    // stands at every index whose low l bits are its reversed code). Codes of length
    // l + 1 then overwrite the copies at their own indexes. Before the shortest code
    // there is nothing to copy.
    let root_size = 1usize << root;
    let mut filled = 0;
    let mut code = 0u32;
    for (len, &n) in count
        .iter()
        .enumerate()
        .take(max.min(root as usize) + 1)
        .skip(1)
    {
        let n = n as usize;
        if filled > 0 {
            double(table, filled);
            filled *= 2;
        } else if n > 0 {
            filled = 1 << len;
        }
        for &symbol in &sorted[next..next + n] {
            // The code bit-reversed, as the table is indexed (a code of `len` bits is
            // below 2^len, and `len` is at most the root).
            let reversed = usize::from(REVERSED[code as usize & (REVERSED.len() - 1)])
                >> (LITLEN_ROOT as usize - len);
            table[reversed] = finish(entries[usize::from(symbol)], len as u32);
            code += 1;
        }
        next += n;
        code <<= 1;
    }
    filled = filled.max(1);
    while filled < root_size {
        double(table, filled);
        filled *= 2;
    }
    // Longer codes: second-level tables, one for each run of codes that share their
    // first `root` bits.
    let mut prefix = usize::MAX;
    let (mut next_free, mut sub_start, mut sub_bits) = (root_size, 0usize, 0u32);
    for len in root as usize + 1..=max {
        for _ in 0..count[len] {
            let symbol = usize::from(sorted[next]);
            next += 1;
            let reversed = (code.reverse_bits() >> (32 - len)) as usize;
            let p = reversed & (root_size - 1);
            if p != prefix {
                prefix = p;
                sub_bits = second_level_bits(&count, len, root as usize, max);
                sub_start = next_free;
                next_free += 1 << sub_bits;
                if next_free > table.len() {
                    return Err("Huffman code needs too large a table");
                }
                table[p] = EXCEPTIONAL | SUBTABLE | (sub_start as u32) << 16 | sub_bits << 8 | root;
            }
            let sub = &mut table[sub_start..sub_start + (1 << sub_bits)];
            let step = 1 << (len - root as usize);
            for i in ((reversed >> root)..sub.len()).step_by(step) {
                sub[i] = finish(entries[symbol], len as u32 - root);
            }
            count[len] -= 1;
            code += 1;
        }
        code <<= 1;
    }
    Ok(())
}

/// Calls `f(symbol, length)` for each symbol whose length in `lens` is not zero, in
/// order (lengths are taken modulo 16).
fn for_each_used(lens: &[u8], mut f: impl FnMut(usize, usize)) {
    let words = lens.chunks_exact(8);
    let mut last = [0u8; 8];
    last[..words.remainder().len()].copy_from_slice(words.remainder());
    let tail = u64::from_le_bytes(last);
    let words = words.map(|w| u64::from_le_bytes(w.try_into().unwrap_or_default()));
    for (w, lengths) in words.chain(std::iter::once(tail)).enumerate() {
        let lengths = lengths & LOW_NIBBLES;
        // The top bit of each byte: whether its length is not zero.
        let mut nonzero = lengths.wrapping_add(LOW_SEVEN_BITS) & TOP_BITS;
        while nonzero != 0 {
            let k = nonzero.trailing_zeros() as usize / 8;
            f(w * 8 + k, (lengths >> (8 * k)) as usize & 15);
            nonzero &= nonzero - 1;
        }
    }
}

/// `REVERSED[c]`: the `LITLEN_ROOT` (the largest root) low bits of `c` in reverse order;
/// shifted right by `LITLEN_ROOT - len`, the `len`-bit code `c` reversed.
// Every root fits `REVERSED`.
const _: () = assert!(DIST_ROOT <= LITLEN_ROOT && PRECODE_ROOT <= LITLEN_ROOT);
static REVERSED: [u16; 1 << LITLEN_ROOT] = {
    let mut t = [0u16; 1 << LITLEN_ROOT];
    let mut c = 0;
    while c < t.len() {
        t[c] = ((c as u32).reverse_bits() >> (32 - LITLEN_ROOT)) as u16;
        c += 1;
    }
    t
};

/// Copies the first `filled` entries of `table` to the `filled` after them.
fn double(table: &mut [u32], filled: usize) {
    let (done, rest) = table.split_at_mut(filled);
    rest[..filled].copy_from_slice(done);
}

/// `e` (with its count of extra bits in the low byte) for a code of `code_bits` at its
/// level: the bits to consume in the low byte, the code's bits in bits 8..12.
fn finish(e: u32, code_bits: u32) -> u32 {
    e + code_bits * 0x101
}

/// Index bits of a second-level table whose first code is `len` bits long: enough for
/// the codes not yet placed (`count`) to fill it.
fn second_level_bits(count: &[u32; MAX_LEN + 1], len: usize, root: usize, max: usize) -> u32 {
    let mut bits = len - root;
    let mut left: i64 = 1 << bits;
    while bits + root < max {
        left -= i64::from(count[bits + root]);
        if left <= 0 {
            break;
        }
        bits += 1;
        left <<= 1;
    }
    bits as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The entry a code of `lens` decodes to, walked as the block loops walk it: the
    /// code's bits reversed (first bit lowest), then a second level if the root says so.
    fn lookup(table: &[u32], root: u32, reversed: usize) -> u32 {
        let e = table[reversed & ((1 << root) - 1)];
        if e & SUBTABLE == 0 {
            return e;
        }
        let index = (reversed >> root) & ((1 << ((e >> 8) & 0xf)) - 1);
        table[(e >> 16) as usize + index]
    }

    /// The used symbols of 19 lengths (two words and a tail of three), in order, with
    /// their lengths modulo 16 (a length byte of 16 counts as unused).
    #[test]
    fn used_symbols_are_found_in_every_word_and_the_tail() {
        let lens = [
            0u8, 7, 0, 0, 0, 0, 0, 15, 1, 0, 0, 16, 0, 0, 0, 0, 0, 0x13, 2,
        ];
        let mut got = Vec::new();
        for_each_used(&lens, |symbol, l| got.push((symbol, l)));
        assert_eq!(got, vec![(1, 7), (7, 15), (8, 1), (17, 3), (18, 2)]);
        let mut none = Vec::new();
        for_each_used(&[0; 30], |symbol, l| none.push((symbol, l)));
        assert!(none.is_empty());
    }

    /// Shifted for a length, the table's entries are the codes of that length reversed
    /// bit by bit.
    #[test]
    fn reversed_codes_of_every_root_length() {
        for len in 1..=LITLEN_ROOT as usize {
            for (c, &reversed) in REVERSED.iter().enumerate().take(1 << len) {
                let want = (0..len).fold(0, |r, b| r | ((c >> b) & 1) << (len - 1 - b));
                assert_eq!(
                    usize::from(reversed) >> (LITLEN_ROOT as usize - len),
                    want,
                    "{len} {c}"
                );
            }
        }
        assert_eq!(REVERSED[0b00_0000_0110], 0b01_1000_0000);
    }

    /// Every symbol of a code with lengths 1 to 15 (the deepest DEFLATE allows) decodes
    /// from its canonical code (RFC 1951 3.2.2, computed here as the RFC does) to its
    /// entry, with its code's bits and extra bits at the level it ends in.
    #[test]
    fn codes_of_every_length_decode_to_their_symbols() {
        // Lengths 1, 2, ..., 15, 15 are complete; spread over literals, the end of block
        // and lengths, in an order unlike the lengths'.
        let symbols = [
            280usize, 3, 256, 97, 260, 0, 285, 255, 200, 257, 17, 270, 128, 64, 1, 300,
        ];
        let mut lens = [0u8; 288];
        for (i, &s) in symbols.iter().enumerate() {
            lens[s % 288] = (i + 1).min(15) as u8;
        }
        lens[300 % 288] = 15;
        let mut table = vec![0u32; LITLEN_SIZE];
        build(&mut table, LITLEN_ROOT, &lens, &LITLEN_ENTRIES, true).unwrap();

        let mut bl_count = [0u32; 16];
        for &l in &lens {
            bl_count[usize::from(l)] += 1;
        }
        bl_count[0] = 0;
        let mut next_code = [0u32; 16];
        let mut code = 0;
        for bits in 1..16 {
            code = (code + bl_count[bits - 1]) << 1;
            next_code[bits] = code;
        }
        let mut checked = 0;
        for (symbol, &l) in lens.iter().enumerate() {
            if l == 0 {
                continue;
            }
            let l = u32::from(l);
            let code = next_code[l as usize];
            next_code[l as usize] += 1;
            let reversed = (code.reverse_bits() >> (32 - l)) as usize;
            let e = lookup(&table, LITLEN_ROOT, reversed);
            let level_bits = if l > LITLEN_ROOT { l - LITLEN_ROOT } else { l };
            assert_eq!(
                e,
                finish(LITLEN_ENTRIES[symbol], level_bits),
                "symbol {symbol}"
            );
            assert_eq!((e >> 8) & 0xf, level_bits, "symbol {symbol}");
            checked += 1;
        }
        assert_eq!(checked, 16);
        // Spelled out: literal 97 (4-bit code), length 270 (base 23, 2 extra bits after
        // its 12-bit code: a second level of 2 bits) and literal 12 (the last 15-bit code:
        // 5 bits at the second level).
        let at = |symbol: usize| {
            let l = u32::from(lens[symbol]);
            let code = next_code[l as usize] - 1;
            lookup(
                &table,
                LITLEN_ROOT,
                (code.reverse_bits() >> (32 - l)) as usize,
            )
        };
        assert_eq!(at(97), LITERAL | 97 << 16 | 4 << 8 | 4);
        assert_eq!(at(270), 23 << 16 | 2 << 8 | 4);
        assert_eq!(at(12), LITERAL | 12 << 16 | 5 << 8 | 5);
    }
}
