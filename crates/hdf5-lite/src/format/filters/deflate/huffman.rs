//! Huffman codes for deflate blocks (RFC 1951 3.2.2 and 3.2.7): code lengths limited to
//! a maximum from symbol frequencies, and the canonical codes those lengths define, bit
//! reversed for deflate's least-significant-bit-first packing.

/// A prefix code over `N` symbols: the length and bit-reversed code of each (0 for a
/// symbol without a code), and the symbols that have one in ascending order, so that
/// assigning the codes and run-length coding the lengths pass over those alone.
pub(super) struct Code<const N: usize> {
    pub(super) lens: [u8; N],
    pub(super) codes: [u16; N],
    /// The symbols with a nonzero length, ascending: the first `n_used`.
    used: [u16; N],
    n_used: usize,
}

impl<const N: usize> Code<N> {
    /// No symbol has a code.
    pub(super) fn new() -> Self {
        Code {
            lens: [0; N],
            codes: [0; N],
            used: [0; N],
            n_used: 0,
        }
    }

    /// The code with these lengths, its codes assigned.
    pub(super) fn from_lens(lens: [u8; N]) -> Self {
        let mut code = Code::new();
        code.lens = lens;
        code.gather_used();
        code.assign();
        code
    }

    /// The symbols with a code, ascending.
    pub(super) fn used(&self) -> &[u16] {
        &self.used[..self.n_used]
    }

    fn gather_used(&mut self) {
        let mut n = 0;
        for (s, &l) in self.lens.iter().enumerate() {
            self.used[n] = s as u16;
            n += usize::from(l != 0);
        }
        self.n_used = n;
    }

    /// Fits the lengths (at most `limit` bits) of a complete prefix code to `freq` (at
    /// most `N` long; symbols past its end get no code). Fewer than two used symbols are
    /// padded with the first unused ones to two codes of one bit, so that every code is
    /// complete (a decoder may reject an incomplete one). The frequencies must sum to
    /// less than 2^23. Returns the bits the counted symbols take with these lengths; the
    /// codes are assigned by [`Code::assign`].
    pub(super) fn fit(&mut self, freq: &[u32], limit: u32, scratch: &mut Scratch) -> u64 {
        self.lens.fill(0);
        // The used symbols as (frequency, symbol) keys in symbol order, eight symbols at a
        // time: a group with a count is gathered without a branch, the others skipped.
        let gathered = &mut scratch.gathered;
        let mut n = 0;
        let mut gather = |first: usize, group: &[u32]| {
            if group.iter().fold(0, |a, &f| a | f) != 0 {
                for (s, &f) in (first..).zip(group) {
                    gathered[n] = (f << SYMBOL_BITS) | s as u32;
                    n += usize::from(f != 0);
                }
            }
        };
        let groups = freq.chunks_exact(8);
        let rest = groups.remainder();
        for (g, group) in groups.enumerate() {
            gather(8 * g, group);
        }
        gather(freq.len() - rest.len(), rest);
        for (u, &k) in self.used.iter_mut().zip(&gathered[..n]) {
            *u = (k & SYMBOL_MASK) as u16;
        }
        self.n_used = n;
        if n < 2 {
            return self.pad(freq);
        }
        let keys = &mut scratch.keys[..n];
        sort_keys(&gathered[..n], keys);
        let depth = &mut scratch.depth[..n];
        for (d, &k) in depth.iter_mut().zip(keys.iter()) {
            *d = k >> SYMBOL_BITS;
        }
        tree_depths(depth);
        let limit = limit as usize;
        // The depths fall along the keys, the rarest deepest: when the first is within the
        // limit, so is every one, and each key takes its own.
        if depth[0] as usize <= limit {
            let mut cost = 0;
            for (&k, &d) in keys.iter().zip(depth.iter()) {
                self.lens[(k & SYMBOL_MASK) as usize] = d as u8;
                cost += u64::from(k >> SYMBOL_BITS) * u64::from(d);
            }
            return cost;
        }
        // Leaves per length, deeper ones held at `limit`.
        let mut count = [0u32; 16];
        for &d in depth.iter() {
            count[(d as usize).min(limit)] += 1;
        }
        // Holding leaves at `limit` over-fills the code (Kraft sum above 1, counted in
        // units of 2^-limit). Each step moves the deepest leaf above `limit` one level
        // down and a leaf at `limit` up beside it, which lowers the sum by exactly one.
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
                self.lens[(k & SYMBOL_MASK) as usize] = d as u8;
                cost += u64::from(k >> SYMBOL_BITS) * d as u64;
            }
        }
        cost
    }

    /// Gives the one used symbol (if any, first in `used`) and the first unused ones two
    /// codes of one bit; returns the bits of the counted symbol.
    fn pad(&mut self, freq: &[u32]) -> u64 {
        let used = (self.n_used == 1).then(|| usize::from(self.used[0]));
        let mut padded = 0;
        for (s, len) in self.lens.iter_mut().enumerate() {
            if padded + usize::from(used.is_some()) == 2 {
                break;
            }
            if Some(s) != used {
                *len = 1;
                padded += 1;
            }
        }
        if let Some(s) = used {
            self.lens[s] = 1;
        }
        self.gather_used();
        freq.iter().map(|&f| u64::from(f)).sum()
    }

    /// The canonical codes of the lengths (RFC 1951 3.2.2), each bit reversed so that it
    /// can be written least significant bit first. Unused symbols' codes are left as
    /// they were (nothing writes them).
    pub(super) fn assign(&mut self) {
        let used = &self.used[..self.n_used];
        let mut count = [0u16; 16];
        for &s in used {
            count[usize::from(self.lens[usize::from(s)])] += 1;
        }
        let mut next = [0u16; 16];
        let mut code = 0u16;
        for bits in 1..16 {
            code = (code + count[bits - 1]) << 1;
            next[bits] = code;
        }
        for &s in used {
            let l = usize::from(self.lens[usize::from(s)]);
            let v = next[l];
            next[l] += 1;
            let reversed = u16::from(REVERSED[usize::from(v as u8)]) << 8
                | u16::from(REVERSED[usize::from(v >> 8)]);
            self.codes[usize::from(s)] = reversed >> (16 - l);
        }
    }
}

/// The most symbols a [`Code`] has (deflate's literal/length alphabet).
pub(super) const MAX_SYMBOLS: usize = 288;
/// Bits of a symbol in a sort key, below its frequency.
const SYMBOL_BITS: u32 = 9;
const SYMBOL_MASK: u32 = (1 << SYMBOL_BITS) - 1;
/// Frequencies below this are sorted by counting; most of a block's symbols have one.
const SMALL: usize = 32;

/// `keys` (frequency above symbol, in symbol order) sorted ascending into `sorted`: the
/// keys of each frequency below [`SMALL`] by counting, which keeps their symbol order,
/// and the rest by comparison after them.
fn sort_keys(keys: &[u32], sorted: &mut [u32]) {
    let bucket = |k: u32| ((k >> SYMBOL_BITS) as usize).min(SMALL);
    let mut start = [0u16; SMALL + 1];
    for &k in keys {
        start[bucket(k)] += 1;
    }
    let mut at = 0;
    for s in start.iter_mut() {
        (*s, at) = (at, at + *s);
    }
    for &k in keys {
        let b = bucket(k);
        sorted[usize::from(start[b])] = k;
        start[b] += 1;
    }
    sorted[usize::from(start[SMALL - 1])..].sort_unstable();
}

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

/// Working memory of [`Code::fit`], kept between blocks.
#[derive(Debug)]
pub(super) struct Scratch {
    gathered: [u32; MAX_SYMBOLS],
    keys: [u32; MAX_SYMBOLS],
    depth: [u32; MAX_SYMBOLS],
}

impl Default for Scratch {
    fn default() -> Self {
        Scratch {
            gathered: [0; MAX_SYMBOLS],
            keys: [0; MAX_SYMBOLS],
            depth: [0; MAX_SYMBOLS],
        }
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

    /// The lengths `Code::fit` gives `freq` and the bits it counts; checks that the used
    /// symbols it lists are those with a length.
    fn code_lengths(freq: &[u32], limit: u32) -> (Vec<u8>, u64) {
        let mut code = Code::<MAX_SYMBOLS>::new();
        code.lens.fill(9);
        let cost = code.fit(freq, limit, &mut Scratch::default());
        let with_length: Vec<u16> = (0..MAX_SYMBOLS as u16)
            .filter(|&s| code.lens[usize::from(s)] > 0)
            .collect();
        assert_eq!(code.used(), with_length);
        (code.lens[..freq.len()].to_vec(), cost)
    }

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
        for limit in [7, 15] {
            let (lens, _) = code_lengths(&freq, limit);
            assert!(lens.iter().all(|&l| (1..=limit as u8).contains(&l)));
            assert_eq!(kraft(&lens), 1 << 15);
            // Rarer symbols never get shorter codes.
            assert!(lens.windows(2).all(|w| w[0] >= w[1]));
        }
    }

    #[test]
    fn one_or_no_symbol_gets_two_one_bit_codes() {
        assert_eq!(code_lengths(&[0, 0, 0, 4, 0], 15), (vec![1, 0, 0, 1, 0], 4));
        assert_eq!(code_lengths(&[0; 5], 15), (vec![1, 1, 0, 0, 0], 0));
        assert_eq!(code_lengths(&[3, 0, 0, 0, 0], 15), (vec![1, 1, 0, 0, 0], 3));
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
            let (lens, cost) = code_lengths(&freq, limit);
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
        let codes = Code::from_lens(lens).codes;
        let want = [0b010, 0b011, 0b100, 0b101, 0b110, 0b00, 0b1110, 0b1111u16];
        for ((&c, &w), &l) in codes.iter().zip(&want).zip(&lens) {
            assert_eq!(c, w.reverse_bits() >> (16 - l));
        }
    }

    proptest::proptest! {
        #[test]
        fn keys_sort_as_numbers(
            freq in proptest::collection::vec(
                proptest::prop_oneof![3 => 1u32..4, 3 => 1u32..40, 1 => 1u32..20_000],
                0..=MAX_SYMBOLS,
            ),
        ) {
            let keys: Vec<u32> = (0..).zip(&freq).map(|(s, &f)| f << SYMBOL_BITS | s).collect();
            let mut sorted = vec![0; keys.len()];
            sort_keys(&keys, &mut sorted);
            let mut want = keys.clone();
            want.sort_unstable();
            proptest::prop_assert_eq!(sorted, want);
        }
    }
}
