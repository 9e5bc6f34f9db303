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

fn litlen_entry(symbol: usize) -> u32 {
    match symbol {
        0..=255 => LITERAL | (symbol as u32) << 16,
        256 => EXCEPTIONAL | END,
        257..=285 => {
            let i = symbol - 257;
            u32::from(LENGTH_BASE[i]) << 16 | u32::from(LENGTH_EXTRA[i]) << 8
        }
        _ => UNUSED,
    }
}

fn dist_entry(symbol: usize) -> u32 {
    match symbol {
        0..=29 => u32::from(DIST_BASE[symbol]) << 16 | u32::from(DIST_EXTRA[symbol]) << 8,
        _ => UNUSED,
    }
}

fn precode_entry(symbol: usize) -> u32 {
    (symbol as u32) << 16
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
            litlen_entry,
            true,
        )?;
        build(&mut self.dist, DIST_ROOT, &lens[288..], dist_entry, true)?;
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
            precode_entry,
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
            litlen_entry,
            true,
        )
        .map_err(|reason| corrupt(bits, reason))?;
        build(&mut self.dist, DIST_ROOT, &lens[nlit..n], dist_entry, true)
            .map_err(|reason| corrupt(bits, reason))
    }
}

/// Builds the table of the canonical code with code lengths `lens` (0: unused symbol)
/// into `table`, whose first level has `root` index bits; `entry` gives a symbol's
/// entry before its bit count is added. An over-subscribed set is an error, and so is an
/// incomplete one, except (with `single_allowed`) a set of one one-bit code, or none.
fn build(
    table: &mut [u32],
    root: u32,
    lens: &[u8],
    entry: impl Fn(usize) -> u32,
    single_allowed: bool,
) -> Result<(), &'static str> {
    // Four counts in turn, so that runs of one length do not wait on one counter.
    let mut counts = [[0u32; 16]; 4];
    let quads = lens.chunks_exact(4);
    for &l in quads.remainder() {
        counts[0][usize::from(l & 15)] += 1;
    }
    for q in quads {
        for (c, &l) in counts.iter_mut().zip(q) {
            c[usize::from(l & 15)] += 1;
        }
    }
    let mut count = [0u32; MAX_LEN + 1];
    for (l, n) in count.iter_mut().enumerate().skip(1) {
        *n = counts.iter().map(|c| c[l]).sum();
    }
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
    // Symbols in canonical order: by length, then by value.
    let mut offset = [0usize; MAX_LEN + 2];
    for l in 1..=MAX_LEN {
        offset[l + 1] = offset[l] + count[l] as usize;
    }
    let mut sorted = [0u16; 288];
    for (symbol, &l) in lens.iter().enumerate() {
        if l > 0 {
            sorted[offset[usize::from(l)]] = symbol as u16;
            offset[usize::from(l)] += 1;
        }
    }
    let total = offset[MAX_LEN];
    // The first level is filled by doubling: once the codes of length l are in place,
    // entries [0, 2^l) are final for every code of length <= l, and copying them to
    // [2^l, 2^(l+1)) repeats each one as a code of length <= l is repeated (its entry
    // stands at every index whose low l bits are its reversed code). Codes of length
    // l + 1 then overwrite the copies at their own indexes.
    let root_size = 1usize << root;
    let mut filled = 1;
    let (mut code, mut len) = (0u32, 0u32);
    let mut prefix = usize::MAX;
    let (mut next_free, mut sub_start, mut sub_bits) = (root_size, 0usize, 0u32);
    for &symbol in &sorted[..total] {
        let symbol = usize::from(symbol);
        let l = u32::from(lens[symbol]);
        code <<= l - len;
        len = l;
        let reversed = (code.reverse_bits() >> (32 - len)) as usize;
        let e = entry(symbol);
        if len <= root {
            while filled < 1 << len {
                table.copy_within(..filled, filled);
                filled *= 2;
            }
            table[reversed] = finish(e, len);
        } else {
            while filled < root_size {
                table.copy_within(..filled, filled);
                filled *= 2;
            }
            let p = reversed & (root_size - 1);
            if p != prefix {
                prefix = p;
                sub_bits = second_level_bits(&count, len as usize, root as usize, max);
                sub_start = next_free;
                next_free += 1 << sub_bits;
                if next_free > table.len() {
                    return Err("Huffman code needs too large a table");
                }
                table[p] = EXCEPTIONAL | SUBTABLE | (sub_start as u32) << 16 | sub_bits << 8 | root;
            }
            let sub = &mut table[sub_start..sub_start + (1 << sub_bits)];
            for i in ((reversed >> root)..sub.len()).step_by(1 << (len - root)) {
                sub[i] = finish(e, len - root);
            }
        }
        count[len as usize] -= 1;
        code += 1;
    }
    while filled < root_size {
        table.copy_within(..filled, filled);
        filled *= 2;
    }
    Ok(())
}

/// `e` (with its count of extra bits in bits 8..12) for a code of `code_bits` at its
/// level: the bits to consume in the low byte, the code's bits in bits 8..12.
fn finish(e: u32, code_bits: u32) -> u32 {
    let extra = (e >> 8) & 0xf;
    (e & !0xfff) | code_bits << 8 | (code_bits + extra)
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
