//! Huffman codes for deflate blocks (RFC 1951 3.2.2 and 3.2.7): code lengths limited to
//! a maximum from symbol frequencies, and the canonical codes those lengths define, bit
//! reversed for deflate's least-significant-bit-first packing.

/// The lengths (at most `limit` bits) of a complete prefix code for `freq` into `lens`
/// (as long as `freq`, at most [`MAX_SYMBOLS`]); unused symbols get 0. Fewer than two
/// used symbols are padded with the first unused ones to two codes of one bit, so that
/// every code is complete (a decoder may reject an incomplete one). The frequencies must
/// sum to less than 2^23. Returns the bits the counted symbols take with these codes.
/// `scratch` is reused working memory.
pub(super) fn code_lengths(
    freq: &[u32],
    limit: u32,
    lens: &mut [u8],
    scratch: &mut Scratch,
) -> u64 {
    lens.fill(0);
    // The used symbols as (frequency, symbol) keys, gathered without a branch.
    let keys = &mut scratch.keys;
    let mut n = 0;
    for (s, &f) in freq.iter().enumerate().take(MAX_SYMBOLS) {
        keys[n] = (f << SYMBOL_BITS) | s as u32;
        n += usize::from(f != 0);
    }
    if n < 2 {
        let used = (n == 1).then(|| (keys[0] & SYMBOL_MASK) as usize);
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
        return freq.iter().map(|&f| u64::from(f)).sum();
    }
    let keys = &mut keys[..n];
    keys.sort_unstable();
    let depth = &mut scratch.depth[..n];
    for (d, &k) in depth.iter_mut().zip(keys.iter()) {
        *d = k >> SYMBOL_BITS;
    }
    tree_depths(depth);
    // Leaves per length, deeper ones held at `limit`.
    let limit = limit as usize;
    let mut count = [0u32; 16];
    for &d in depth.iter() {
        count[(d as usize).min(limit)] += 1;
    }
    // Holding leaves at `limit` over-fills the code (Kraft sum above 1, counted in units
    // of 2^-limit). Each step moves the deepest leaf above `limit` one level down and a
    // leaf at `limit` up beside it, which lowers the sum by exactly one unit.
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
    let mut cost = 0;
    let mut rarest = keys.iter();
    for d in (1..=limit).rev() {
        for &k in rarest.by_ref().take(count[d] as usize) {
            lens[(k & SYMBOL_MASK) as usize] = d as u8;
            cost += u64::from(k >> SYMBOL_BITS) * d as u64;
        }
    }
    cost
}

/// The most symbols [`code_lengths`] takes (deflate's literal/length alphabet).
pub(super) const MAX_SYMBOLS: usize = 288;
/// Bits of a symbol in a sort key, below its frequency.
const SYMBOL_BITS: u32 = 9;
const SYMBOL_MASK: u32 = (1 << SYMBOL_BITS) - 1;

/// Replaces `w`, the weights of two or more leaves in ascending order, with their depths
/// in a Huffman tree (unlimited), in place and in linear time.
///
/// Internal nodes are made in ascending weight order and stored in the front of `w`,
/// over leaves already taken: node `k` at `w[k]` holds its weight until a parent takes
/// it, then that parent's index. Walking the nodes back from the root turns parent
/// indexes into depths; then the depths of leaves follow level by level, as many leaves
/// at each depth as the nodes there leave free, the lightest leaves deepest.
fn tree_depths(w: &mut [u32]) {
    let n = w.len();
    let (mut leaf, mut node) = (0, 0);
    for next in 0..n - 1 {
        let mut sum = 0;
        for _ in 0..2 {
            if leaf < n && (node >= next || w[leaf] <= w[node]) {
                sum += w[leaf];
                leaf += 1;
            } else {
                sum += w[node];
                w[node] = next as u32;
                node += 1;
            }
        }
        w[next] = sum;
    }
    // Node depths: the root (n - 2) at 0, each node one below its parent.
    w[n - 2] = 0;
    for k in (0..n - 2).rev() {
        w[k] = w[w[k] as usize] + 1;
    }
    // Leaf depths, written from the back: at each depth, the free slots not taken by
    // internal nodes are leaves.
    let (mut free, mut depth) = (1usize, 0u32);
    let mut inner = n as isize - 2;
    let mut next = n;
    while free > 0 {
        let mut nodes = 0;
        while inner >= 0 && w[inner as usize] == depth {
            nodes += 1;
            inner -= 1;
        }
        for _ in nodes..free {
            next -= 1;
            w[next] = depth;
        }
        free = 2 * nodes;
        depth += 1;
    }
}

/// Working memory of [`code_lengths`], kept between blocks.
#[derive(Debug)]
pub(super) struct Scratch {
    keys: [u32; MAX_SYMBOLS],
    depth: [u32; MAX_SYMBOLS],
}

impl Default for Scratch {
    fn default() -> Self {
        Scratch {
            keys: [0; MAX_SYMBOLS],
            depth: [0; MAX_SYMBOLS],
        }
    }
}

/// The canonical codes of `lens` (RFC 1951 3.2.2) into `codes`, each bit reversed so that
/// it can be written least significant bit first. Unused symbols' codes are left as
/// they were (nothing writes them).
pub(super) fn canonical_codes(lens: &[u8], codes: &mut [u16]) {
    // The used symbols in order, gathered without a branch; counting and numbering only
    // those keeps a run of unused symbols from chaining through one counter.
    let mut used = [0u16; MAX_SYMBOLS];
    let mut n = 0;
    for (s, &l) in lens.iter().enumerate().take(MAX_SYMBOLS) {
        used[n] = s as u16;
        n += usize::from(l != 0);
    }
    let used = &used[..n];
    let mut count = [0u16; 16];
    for &s in used {
        count[usize::from(lens[usize::from(s)])] += 1;
    }
    let mut next = [0u16; 16];
    let mut code = 0u16;
    for bits in 1..16 {
        code = (code + count[bits - 1]) << 1;
        next[bits] = code;
    }
    for &s in used {
        let l = usize::from(lens[usize::from(s)]);
        let v = next[l];
        next[l] += 1;
        let reversed = u16::from(REVERSED[usize::from(v as u8)]) << 8
            | u16::from(REVERSED[usize::from(v >> 8)]);
        codes[usize::from(s)] = reversed >> (16 - l);
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

    /// The bits of an optimal (unlimited) prefix code for `freq` and the depth of its
    /// tree, by repeatedly merging the two lightest weights.
    fn huffman_cost(freq: &[u32]) -> (u64, u64) {
        let mut heap: std::collections::BinaryHeap<_> = freq
            .iter()
            .filter(|&&f| f > 0)
            .map(|&f| std::cmp::Reverse((u64::from(f), 0)))
            .collect();
        let mut cost = 0;
        while heap.len() > 1 {
            let (a, b) = (heap.pop().unwrap().0, heap.pop().unwrap().0);
            cost += a.0 + b.0;
            heap.push(std::cmp::Reverse((a.0 + b.0, a.1.max(b.1) + 1)));
        }
        (cost, heap.pop().map_or(0, |r| r.0 .1))
    }

    proptest::proptest! {
        #[test]
        fn lengths_are_optimal_complete_and_limited(
            freq in proptest::collection::vec(
                proptest::prop_oneof![3 => proptest::strategy::Just(0u32), 5 => 1u32..50, 1 => 1u32..20_000],
                2..=MAX_SYMBOLS,
            ),
            limit in 7u32..=15,
        ) {
            let used = freq.iter().filter(|&&f| f > 0).count();
            // A code of `limit` bits has room for 2^limit symbols.
            proptest::prop_assume!(used <= 1 << limit);
            let mut lens = vec![0u8; freq.len()];
            let cost = code_lengths(&freq, limit, &mut lens, &mut Scratch::default());
            let want: u64 = freq.iter().zip(&lens).map(|(&f, &l)| u64::from(f) * u64::from(l)).sum();
            proptest::prop_assert_eq!(cost, want);
            proptest::prop_assert!(lens.iter().all(|&l| l <= limit as u8));
            for (&f, &l) in freq.iter().zip(&lens) {
                proptest::prop_assert!(f == 0 || l > 0);
            }
            if used >= 2 {
                proptest::prop_assert!(freq.iter().zip(&lens).all(|(&f, &l)| (f > 0) == (l > 0)));
                proptest::prop_assert_eq!(kraft(&lens), 1 << 15);
                let (optimal, depth) = huffman_cost(&freq);
                proptest::prop_assert!(cost >= optimal);
                // Where an optimal tree fits in `limit` levels, the code is optimal.
                if depth <= u64::from(limit) {
                    proptest::prop_assert_eq!(cost, optimal);
                }
            }
        }
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
