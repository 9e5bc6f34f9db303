//! Block bodies (RFC 1951 3.2.4 stored, 3.2.5 compressed): literals and
//! <length, backward distance> pairs decoded through [`Tables`] into the output.
//!
//! The fast loop runs while a whole input word is left to refill from and the output has
//! room for a longest match plus a copy's overshoot: it refills once per symbol (56 bits
//! cover a length and a distance with their extra bits) and looks the next code up before
//! it copies a match ([`copy_match`]: blocks of four 16-byte words, one without a branch
//! for the common match of up to 64 bytes, 8-byte words at distances 8-15, a repeated
//! 8-byte pattern below). The careful loop checks every refill and write; it takes over at the
//! ends, and copies a match the same way while the output has room for the bytes written
//! past it. On x86-64 CPUs with BMI2 (detected at run time) the loops are compiled with
//! its shifts and masks, which the bit buffer uses at every step.

use super::bits::Bits;
use super::copy::{copy_match, OVERSHOOT};
use super::table::{Tables, DIST_ROOT, END, EXCEPTIONAL, LITERAL, LITLEN_ROOT, SUBTABLE};
use super::InflateError;

/// The longest match.
const MAX_MATCH: usize = 258;
/// Output room the fast loop needs: a longest match and the overshoot of its copy.
const FAST_ROOM: usize = MAX_MATCH + OVERSHOOT;
const LITLEN_MASK: u64 = (1 << LITLEN_ROOT) - 1;
const DIST_MASK: u64 = (1 << DIST_ROOT) - 1;

/// Copies a stored block (3.2.4) to `out` at `p`; returns the new output position.
pub(super) fn stored(bits: &mut Bits, out: &mut [u8], p: usize) -> Result<usize, InflateError> {
    let at = bits.align()?;
    let rest = bits.rest();
    let len = match rest {
        [a, b, c, d, ..] if u16::from_le_bytes([*a, *b]) == !u16::from_le_bytes([*c, *d]) => {
            usize::from(u16::from_le_bytes([*a, *b]))
        }
        [_, _, _, _, ..] => {
            return Err(InflateError::Corrupt {
                at,
                reason: "stored block's length check fails",
            })
        }
        _ => return Err(bits.truncated()),
    };
    let data = rest.get(4..4 + len).ok_or_else(|| bits.truncated())?;
    let dst = out.get_mut(p..p + len).ok_or(InflateError::OutputFull)?;
    dst.copy_from_slice(data);
    bits.skip_bytes(4 + len);
    Ok(p + len)
}

/// The entry of the next literal/length code and the bits it was read from, its bits
/// (with a length's extra bits) consumed.
#[inline(always)]
fn litlen(bits: &mut Bits, t: &Tables) -> (u32, u64) {
    resolve_litlen(bits, t, t.litlen[(bits.peek() & LITLEN_MASK) as usize])
}

/// [`litlen`] for the code whose first-level entry is `e`.
#[inline(always)]
fn resolve_litlen(bits: &mut Bits, t: &Tables, mut e: u32) -> (u32, u64) {
    if e & SUBTABLE != 0 {
        bits.consume(e & 0xff);
        e = t.litlen[(e >> 16) as usize + (bits.peek() & mask(e >> 8)) as usize];
    }
    let read = bits.peek();
    bits.consume(e & 0xff);
    (e, read)
}

/// The base of length or distance entry `e` plus its extra bits, which follow its code
/// in `read` (the bits the entry was looked up in). The code's bits are bits 8..12 of
/// `e`; bits 12..14 are flags clear in such an entry, so they are taken with six bits,
/// as a 64-bit shift masks its count anyway (one instruction fewer).
#[inline(always)]
fn value(e: u32, read: u64) -> usize {
    let extra = (read & ((1u64 << (e & 0x3f)) - 1)) >> ((e >> 8) & 0x3f);
    (e >> 16) as usize + extra as usize
}

/// The next distance, its code and extra bits consumed.
#[inline(always)]
fn distance(bits: &mut Bits, t: &Tables) -> Result<usize, InflateError> {
    let mut e = t.dist[(bits.peek() & DIST_MASK) as usize];
    if e & SUBTABLE != 0 {
        bits.consume(e & 0xff);
        e = t.dist[(e >> 16) as usize + (bits.peek() & mask(e >> 8)) as usize];
    }
    if e & EXCEPTIONAL != 0 {
        return Err(corrupt(bits, "invalid distance code"));
    }
    let read = bits.peek();
    bits.consume(e & 0xff);
    Ok(value(e, read))
}

/// The low `n & 0xf` bits set.
#[inline(always)]
fn mask(n: u32) -> u64 {
    (1 << (n & 0xf)) - 1
}

fn corrupt(bits: &Bits, reason: &'static str) -> InflateError {
    InflateError::Corrupt {
        at: bits.position(),
        reason,
    }
}

/// Decodes the body of a Huffman block into `out` from `p`, up to and including its
/// end-of-block code; returns the new output position.
pub(super) fn huffman(
    bits: &mut Bits,
    t: &Tables,
    out: &mut [u8],
    p: usize,
) -> Result<usize, InflateError> {
    // A local copy of the reader stays in registers.
    let mut local = bits.clone();
    #[cfg(target_arch = "x86_64")]
    let result = if std::is_x86_feature_detected!("bmi2") {
        // SAFETY: `huffman_bmi2` needs only BMI2, which this CPU has (checked just above).
        unsafe { huffman_bmi2(&mut local, t, out, p) }
    } else {
        huffman_body(&mut local, t, out, p)
    };
    #[cfg(not(target_arch = "x86_64"))]
    let result = huffman_body(&mut local, t, out, p);
    *bits = local;
    result
}

/// [`huffman_body`] compiled with BMI2's shifts by a register (one instruction, no flags)
/// and its masks of the low bits of a word.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "bmi2")]
fn huffman_bmi2(
    bits: &mut Bits,
    t: &Tables,
    out: &mut [u8],
    p: usize,
) -> Result<usize, InflateError> {
    huffman_body(bits, t, out, p)
}

#[inline(always)]
fn huffman_body(
    bits: &mut Bits,
    t: &Tables,
    out: &mut [u8],
    mut p: usize,
) -> Result<usize, InflateError> {
    // The fast loop runs while p < fast_end, that is while FAST_ROOM bytes are left.
    let fast_end = (out.len() + 1).saturating_sub(FAST_ROOM);
    loop {
        // The fast loop looks up the next code before copying a match, so the lookup is
        // not held up by the copy (nor undone when the copy's loop branch mispredicts).
        if p < fast_end && bits.refill_word() {
            let mut root = t.litlen[(bits.peek() & LITLEN_MASK) as usize];
            loop {
                let (e, read) = resolve_litlen(bits, t, root);
                if e & LITERAL != 0 {
                    out[p] = (e >> 16) as u8;
                    p += 1;
                    if !(p < fast_end && bits.refill_word()) {
                        break;
                    }
                    root = t.litlen[(bits.peek() & LITLEN_MASK) as usize];
                    continue;
                }
                if e & EXCEPTIONAL != 0 {
                    return end_or_invalid(bits, e, p);
                }
                let len = value(e, read);
                let d = distance(bits, t)?;
                if d > p {
                    return Err(corrupt(bits, "distance reaches before the stream's start"));
                }
                let at = p;
                p += len;
                if p < fast_end && bits.refill_word() {
                    root = t.litlen[(bits.peek() & LITLEN_MASK) as usize];
                    copy_match(out, at, d, len);
                } else {
                    copy_match(out, at, d, len);
                    break;
                }
            }
        }
        // One step with every bound checked.
        bits.refill()?;
        let (e, read) = litlen(bits, t);
        if e & LITERAL != 0 {
            *out.get_mut(p).ok_or(InflateError::OutputFull)? = (e >> 16) as u8;
            p += 1;
            continue;
        }
        if e & EXCEPTIONAL != 0 {
            return end_or_invalid(bits, e, p);
        }
        let len = value(e, read);
        let d = distance(bits, t)?;
        if d > p {
            return Err(corrupt(bits, "distance reaches before the stream's start"));
        }
        if len > out.len() - p {
            return Err(InflateError::OutputFull);
        }
        if out.len() - p - len >= OVERSHOOT {
            copy_match(out, p, d, len);
        } else {
            for i in p..p + len {
                out[i] = out[i - d];
            }
        }
        p += len;
    }
}

/// The end of the block at output position `p`, or an error for an unused code.
fn end_or_invalid(bits: &Bits, e: u32, p: usize) -> Result<usize, InflateError> {
    if e & END != 0 {
        Ok(p)
    } else {
        Err(corrupt(bits, "invalid literal/length code"))
    }
}
