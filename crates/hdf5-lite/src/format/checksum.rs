//! Checksums: Bob Jenkins' lookup3 `hashlittle` (spec I.F, "Checksums": every version 2
//! structure and the link/attribute name hashes) and Fletcher-32 (the H5Z fletcher32
//! filter, as libhdf5's `H5_checksum_fletcher32` computes it).

use crate::error::{Error, Result};
use crate::format::Ctx;

/// Checks the lookup3 checksum stored little-endian right after `bytes[..at]`, which it
/// covers; `offset` (the structure's file offset) and `structure` name it in errors.
pub(crate) fn verify(bytes: &[u8], at: usize, structure: &'static str, offset: u64) -> Result<()> {
    let (Some(body), Some(tail)) = (
        bytes.get(..at),
        at.checked_add(4).and_then(|end| bytes.get(at..end)),
    ) else {
        return Err(Error::corrupt(
            structure,
            offset,
            "too short to hold its checksum",
        ));
    };
    let stored = u32::from_le_bytes([tail[0], tail[1], tail[2], tail[3]]);
    let computed = lookup3(body, 0);
    if stored != computed {
        return Err(Error::Checksum {
            structure,
            offset,
            stored,
            computed,
        });
    }
    Ok(())
}

/// [`verify`] for a structure at address `address` of `ctx`'s file.
pub(crate) fn verify_at(
    ctx: &Ctx,
    bytes: &[u8],
    at: usize,
    address: u64,
    structure: &'static str,
) -> Result<()> {
    verify(bytes, at, structure, ctx.base.saturating_add(address))
}

/// lookup3 `hashlittle(data, initval)`: bytes taken little-endian, 12 at a time.
pub fn lookup3(data: &[u8], initval: u32) -> u32 {
    let init = 0xdead_beef_u32
        .wrapping_add(data.len() as u32)
        .wrapping_add(initval);
    let (mut a, mut b, mut c) = (init, init, init);
    let mut rest = data;
    while rest.len() > 12 {
        a = a.wrapping_add(word(&rest[0..4]));
        b = b.wrapping_add(word(&rest[4..8]));
        c = c.wrapping_add(word(&rest[8..12]));
        mix(&mut a, &mut b, &mut c);
        rest = &rest[12..];
    }
    if rest.is_empty() {
        return c;
    }
    let mut tail = [0u8; 12];
    tail[..rest.len()].copy_from_slice(rest);
    a = a.wrapping_add(word(&tail[0..4]));
    b = b.wrapping_add(word(&tail[4..8]));
    c = c.wrapping_add(word(&tail[8..12]));
    final_mix(&mut a, &mut b, &mut c);
    c
}

fn word(b: &[u8]) -> u32 {
    b.iter()
        .rev()
        .fold(0u32, |acc, &x| (acc << 8) | u32::from(x))
}

fn mix(a: &mut u32, b: &mut u32, c: &mut u32) {
    *a = a.wrapping_sub(*c);
    *a ^= c.rotate_left(4);
    *c = c.wrapping_add(*b);
    *b = b.wrapping_sub(*a);
    *b ^= a.rotate_left(6);
    *a = a.wrapping_add(*c);
    *c = c.wrapping_sub(*b);
    *c ^= b.rotate_left(8);
    *b = b.wrapping_add(*a);
    *a = a.wrapping_sub(*c);
    *a ^= c.rotate_left(16);
    *c = c.wrapping_add(*b);
    *b = b.wrapping_sub(*a);
    *b ^= a.rotate_left(19);
    *a = a.wrapping_add(*c);
    *c = c.wrapping_sub(*b);
    *c ^= b.rotate_left(4);
    *b = b.wrapping_add(*a);
}

fn final_mix(a: &mut u32, b: &mut u32, c: &mut u32) {
    *c ^= *b;
    *c = c.wrapping_sub(b.rotate_left(14));
    *a ^= *c;
    *a = a.wrapping_sub(c.rotate_left(11));
    *b ^= *a;
    *b = b.wrapping_sub(a.rotate_left(25));
    *c ^= *b;
    *c = c.wrapping_sub(b.rotate_left(16));
    *a ^= *c;
    *a = a.wrapping_sub(c.rotate_left(4));
    *b ^= *a;
    *b = b.wrapping_sub(a.rotate_left(14));
    *c ^= *b;
    *c = c.wrapping_sub(b.rotate_left(24));
}

/// Fletcher-32 as libhdf5 computes it: 16-bit words read big-endian, an odd tail byte
/// shifted left by 8, sums folded every 360 words.
pub fn fletcher32(data: &[u8]) -> u32 {
    let mut sum1: u32 = 0;
    let mut sum2: u32 = 0;
    let mut words = data.chunks_exact(2);
    loop {
        let mut n = 0;
        for w in words.by_ref().take(360) {
            sum1 += (u32::from(w[0]) << 8) | u32::from(w[1]);
            sum2 += sum1;
            n += 1;
        }
        sum1 = (sum1 & 0xffff) + (sum1 >> 16);
        sum2 = (sum2 & 0xffff) + (sum2 >> 16);
        if n < 360 {
            break;
        }
    }
    if let [last] = words.remainder() {
        sum1 += u32::from(*last) << 8;
        sum2 += sum1;
        sum1 = (sum1 & 0xffff) + (sum1 >> 16);
        sum2 = (sum2 & 0xffff) + (sum2 >> 16);
    }
    sum1 = (sum1 & 0xffff) + (sum1 >> 16);
    sum2 = (sum2 & 0xffff) + (sum2 >> 16);
    (sum2 << 16) | sum1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookup3_matches_reference_vectors() {
        // Values from the self-test in Jenkins' lookup3.c.
        assert_eq!(lookup3(b"", 0), 0xdead_beef);
        assert_eq!(lookup3(b"", 0xdead_beef), 0xbd5b_7dde);
        assert_eq!(lookup3(b"Four score and seven years ago", 0), 0x1777_0551);
        assert_eq!(lookup3(b"Four score and seven years ago", 1), 0xcd62_8161);
    }

    #[test]
    fn fletcher32_small_inputs() {
        // "ab": one big-endian word 0x6162; sum1 = 0x6162, sum2 = 0x6162.
        assert_eq!(fletcher32(b"ab"), 0x6162_6162);
        // Odd tail byte shifted left by 8.
        assert_eq!(fletcher32(b"a"), 0x6100_6100);
        // Long input exercises the folding.
        let data: Vec<u8> = (0..10_000u32).map(|i| (i * 7 + 3) as u8).collect();
        let reference = {
            let (mut s1, mut s2) = (0u64, 0u64);
            for w in data.chunks(2) {
                let v = if w.len() == 2 {
                    (u64::from(w[0]) << 8) | u64::from(w[1])
                } else {
                    u64::from(w[0]) << 8
                };
                s1 = (s1 + v) % 65535;
                s2 = (s2 + s1) % 65535;
            }
            ((s2 << 16) | s1) as u32
        };
        let got = fletcher32(&data);
        // Fletcher sums are defined modulo 65535; libhdf5 may leave 0xffff for 0.
        assert_eq!((got & 0xffff) % 65535, reference & 0xffff);
        assert_eq!((got >> 16) % 65535, reference >> 16);
    }
}
