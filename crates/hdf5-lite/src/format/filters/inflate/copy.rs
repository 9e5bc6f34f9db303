//! Match copies (RFC 1951 3.2.3: a match repeats the `d` bytes before it, so a match
//! longer than its distance repeats them as a pattern) in words that may write up to
//! [`OVERSHOOT`] bytes past the match.
//!
//! For `d < 64` a later word of a copy reads bytes an earlier one has just written, at
//! another offset, and waits for that store. Copies that never do (each period written
//! from the `d` bytes before the match) were measured on loom chunks and were slower, as
//! a loop over periods (18%) and as branch-free cases for distances 16-31 and 32-63
//! (about 10%): the branches and extra stores cost more than the waits.

/// The most bytes a match copy writes past the match.
pub(super) const OVERSHOOT: usize = 64;

/// Copies the `len` bytes `d` back to `out[p..]`, as a byte-by-byte copy would (the
/// source may overlap what is being written): `out` has room for `len + OVERSHOOT`
/// bytes at `p`, and `1 <= d <= p`.
#[inline(always)]
pub(super) fn copy_match(out: &mut [u8], p: usize, d: usize, len: usize) {
    if d >= 16 {
        // Blocks of four words, each block's bounds checked once: most matches are at
        // most 64 bytes long, one block without a branch; longer ones take one more
        // block per 64 bytes. (For d < 64 a later word reads bytes an earlier one wrote.)
        let mut q = p;
        loop {
            let win = &mut out[q - d..][..d + 64];
            for k in [0, 16, 32, 48] {
                let w = word::<16>(win, k);
                put(win, d + k, &w);
            }
            q += 64;
            if q >= p + len {
                break;
            }
        }
    } else if d >= 8 {
        copy_words::<8>(out, p, d, len);
    } else {
        // The match repeats its first d bytes: a word of them repeated is in phase at p,
        // and again at every multiple of d from p, the largest of which within 8 is the
        // step. (The word read at p - d reaches past p; only its first d bytes count.)
        let period = 8 * d as u32;
        let mut pattern = u64::from_le_bytes(word::<8>(out, p - d)) & ((1 << period) - 1);
        let mut span = period;
        while span < 64 {
            pattern |= pattern << span;
            span *= 2;
        }
        let pattern = pattern.to_le_bytes();
        let step = 8 - 8 % d;
        let mut q = p;
        while q < p + len {
            out[q..q + 8].copy_from_slice(&pattern);
            q += step;
        }
    }
}

/// Copies in words of `N` bytes, each read before it is written (`d >= N`).
#[inline(always)]
fn copy_words<const N: usize>(out: &mut [u8], p: usize, d: usize, len: usize) {
    let mut q = p;
    while q < p + len {
        copy_word::<N>(out, q - d, q);
        q += N;
    }
}

/// The `N` bytes at `at`.
#[inline(always)]
fn word<const N: usize>(out: &[u8], at: usize) -> [u8; N] {
    let mut w = [0u8; N];
    w.copy_from_slice(&out[at..at + N]);
    w
}

/// Writes `w` at `at`.
#[inline(always)]
fn put<const N: usize>(out: &mut [u8], at: usize, w: &[u8; N]) {
    out[at..at + N].copy_from_slice(w);
}

/// Copies the `N` bytes at `from` to `to`.
#[inline(always)]
fn copy_word<const N: usize>(out: &mut [u8], from: usize, to: usize) {
    let w = word::<N>(out, from);
    put(out, to, &w);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::filters::test_support::xorshift;

    /// Every distance 1..=300 and length 3..=258 against a byte-by-byte copy, with the
    /// bytes before the match and after its overshoot left as they were.
    #[test]
    fn every_distance_and_length_copies_as_bytes_do() {
        let start = 300;
        let room = start + 258 + OVERSHOOT;
        let fresh = xorshift(0x9e37_79b9_7f4a_7c15, room + 32);
        for d in 1..=300 {
            for len in 3..=258 {
                let mut out = fresh.clone();
                copy_match(&mut out, start, d, len);
                let mut want = fresh.clone();
                for i in start..start + len {
                    want[i] = want[i - d];
                }
                assert_eq!(out[..start + len], want[..start + len], "d {d} len {len}");
                let end = start + len + OVERSHOOT;
                assert_eq!(out[end..], want[end..], "d {d} len {len}: wrote too far");
            }
        }
    }
}
