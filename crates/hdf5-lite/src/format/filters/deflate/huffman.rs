//! Huffman codes for deflate blocks (RFC 1951 3.2.2 and 3.2.7): code lengths limited to
//! a maximum from symbol frequencies, and the canonical codes those lengths define, bit
//! reversed for deflate's least-significant-bit-first packing.

/// The lengths (at most `limit` bits) of a complete prefix code for `freq` into `lens`
/// (as long as `freq`); unused symbols get 0. Fewer than two used symbols are padded
/// with the first unused ones to two codes of one bit, so that every code is complete
/// (a decoder may reject an incomplete one). `scratch` is reused working memory.
pub(super) fn code_lengths(freq: &[u32], limit: u32, lens: &mut [u8], scratch: &mut Scratch) {
    lens.fill(0);
    let leaves = &mut scratch.leaves;
    leaves.clear();
    leaves.extend(
        freq.iter()
            .enumerate()
            .filter(|&(_, &f)| f > 0)
            .map(|(s, &f)| (u64::from(f) << 16) | s as u64),
    );
    if leaves.len() < 2 {
        let used = leaves.first().map(|&l| (l & 0xffff) as usize);
        let mut padded = 0;
        for (s, len) in lens.iter_mut().enumerate() {
            if padded + usize::from(used.is_some()) == 2 {
                break;
            }
            if Some(s) != used {
                *len = 1;
                padded += 1;
            }
        }
        if let Some(s) = used {
            lens[s] = 1;
        }
        return;
    }
    leaves.sort_unstable();
    let n = leaves.len();
    // The Huffman tree by the two-queue method: leaves 0..n in ascending weight, internal
    // nodes n..2n-1 made in ascending weight; each node's parent comes after it.
    let (weight, parent) = (&mut scratch.weight, &mut scratch.parent);
    weight.clear();
    weight.extend(leaves.iter().map(|&l| l >> 16));
    parent.clear();
    parent.resize(2 * n - 1, 0);
    let (mut leaf, mut inner) = (0, n);
    for node in n..2 * n - 1 {
        let mut take = || {
            let pick = if leaf < n && (inner >= node || weight[leaf] <= weight[inner]) {
                leaf += 1;
                leaf - 1
            } else {
                inner += 1;
                inner - 1
            };
            parent[pick] = node as u32;
            weight[pick]
        };
        let w = take() + take();
        weight.push(w);
    }
    // Depths from the root down (reusing `weight`), then leaves per length, deeper
    // leaves held at `limit`.
    let root = 2 * n - 2;
    weight[root] = 0;
    let mut count = [0u32; 16];
    for node in (0..root).rev() {
        let depth = weight[parent[node] as usize] + 1;
        weight[node] = depth;
        if node < n {
            count[depth.min(u64::from(limit)) as usize] += 1;
        }
    }
    // Holding leaves at `limit` over-fills the code (Kraft sum above 1, counted in units
    // of 2^-limit). Each step moves the deepest leaf above `limit` one level down and a
    // leaf at `limit` up beside it, which lowers the sum by exactly one unit.
    let limit = limit as usize;
    let mut excess = (1..=limit)
        .map(|d| u64::from(count[d]) << (limit - d))
        .sum::<u64>()
        .saturating_sub(1 << limit);
    while excess > 0 {
        let Some(d) = (1..limit).rev().find(|&d| count[d] > 0) else {
            break;
        };
        count[d] -= 1;
        count[d + 1] += 2;
        count[limit] -= 1;
        excess -= 1;
    }
    // The longest codes to the rarest symbols.
    let mut rarest = leaves.iter();
    for d in (1..=limit).rev() {
        for &l in rarest.by_ref().take(count[d] as usize) {
            lens[(l & 0xffff) as usize] = d as u8;
        }
    }
}

/// Working memory of [`code_lengths`], kept between blocks.
#[derive(Debug, Default)]
pub(super) struct Scratch {
    leaves: Vec<u64>,
    weight: Vec<u64>,
    parent: Vec<u32>,
}

/// The canonical codes of `lens` (RFC 1951 3.2.2) into `codes`, each bit reversed so that
/// it can be written least significant bit first.
pub(super) fn canonical_codes(lens: &[u8], codes: &mut [u16]) {
    let mut count = [0u16; 16];
    for &l in lens {
        count[usize::from(l)] += 1;
    }
    count[0] = 0;
    let mut next = [0u16; 16];
    let mut code = 0u16;
    for bits in 1..16 {
        code = (code + count[bits - 1]) << 1;
        next[bits] = code;
    }
    for (&l, c) in lens.iter().zip(codes.iter_mut()) {
        *c = if l == 0 {
            0
        } else {
            let v = next[usize::from(l)];
            next[usize::from(l)] += 1;
            let reversed = u16::from(REVERSED[usize::from(v as u8)]) << 8
                | u16::from(REVERSED[usize::from(v >> 8)]);
            reversed >> (16 - u32::from(l))
        };
    }
}

/// Every byte with its bits in reverse order.
const REVERSED: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut b = 0;
    while b < 256 {
        table[b] = (b as u8).reverse_bits();
        b += 1;
    }
    table
};

#[cfg(test)]
mod tests {
    use super::*;

    /// Kraft sum of `lens` in units of 2^-15.
    fn kraft(lens: &[u8]) -> u32 {
        lens.iter()
            .filter(|&&l| l > 0)
            .map(|&l| 1u32 << (15 - l))
            .sum()
    }

    #[test]
    fn skewed_frequencies_are_limited_and_complete() {
        // Fibonacci weights make a maximally deep tree (depth n - 1 unlimited).
        let mut freq = vec![0u32; 30];
        let (mut a, mut b) = (1u32, 1u32);
        for f in freq.iter_mut() {
            *f = a;
            (a, b) = (b, a.saturating_add(b));
        }
        let mut lens = vec![0u8; 30];
        for limit in [7, 15] {
            code_lengths(&freq, limit, &mut lens, &mut Scratch::default());
            assert!(lens.iter().all(|&l| (1..=limit as u8).contains(&l)));
            assert_eq!(kraft(&lens), 1 << 15);
            // Rarer symbols never get shorter codes.
            assert!(lens.windows(2).all(|w| w[0] >= w[1]));
        }
    }

    #[test]
    fn one_or_no_symbol_gets_two_one_bit_codes() {
        let mut lens = [9u8; 5];
        code_lengths(&[0, 0, 0, 4, 0], 15, &mut lens, &mut Scratch::default());
        assert_eq!(lens, [1, 0, 0, 1, 0]);
        code_lengths(&[0; 5], 15, &mut lens, &mut Scratch::default());
        assert_eq!(lens, [1, 1, 0, 0, 0]);
        code_lengths(&[3, 0, 0, 0, 0], 15, &mut lens, &mut Scratch::default());
        assert_eq!(lens, [1, 1, 0, 0, 0]);
    }

    #[test]
    fn canonical_codes_follow_the_rfc_example() {
        // RFC 1951 3.2.2: lengths (3, 3, 3, 3, 3, 2, 4, 4) give codes 010 011 100 101
        // 110 00 1110 1111.
        let lens = [3, 3, 3, 3, 3, 2, 4, 4];
        let mut codes = [0u16; 8];
        canonical_codes(&lens, &mut codes);
        let want = [0b010, 0b011, 0b100, 0b101, 0b110, 0b00, 0b1110, 0b1111u16];
        for ((&c, &w), &l) in codes.iter().zip(&want).zip(&lens) {
            assert_eq!(c, w.reverse_bits() >> (16 - l));
        }
    }
}
