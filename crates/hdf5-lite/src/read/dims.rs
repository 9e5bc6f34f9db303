//! Per-dimension values of a box (its origin, strides, picks) held in place for the
//! ranks datasets have in practice, on the heap beyond: placing a chunk into a read's
//! output allocates nothing (a scan of a large matrix places hundreds of thousands).

use std::ops::{Deref, DerefMut};

/// Values held in place; more go to the heap.
const INLINE: usize = 4;

/// A short list of `T`, one per dimension (or per run of a box).
#[derive(Debug, Clone)]
pub(crate) enum Dims<T> {
    /// The first `len` of `vals`.
    Inline { len: usize, vals: [T; INLINE] },
    /// More than [`INLINE`] values.
    Heap(Vec<T>),
}

impl<T: Copy + Default> Dims<T> {
    /// An empty list.
    pub(crate) fn new() -> Self {
        Dims::Inline {
            len: 0,
            vals: [T::default(); INLINE],
        }
    }

    /// Appends `v`.
    pub(crate) fn push(&mut self, v: T) {
        match self {
            Dims::Inline { len, vals } if *len < INLINE => {
                vals[*len] = v;
                *len += 1;
            }
            Dims::Inline { len, vals } => {
                let mut heap = Vec::with_capacity(2 * INLINE);
                heap.extend_from_slice(&vals[..*len]);
                heap.push(v);
                *self = Dims::Heap(heap);
            }
            Dims::Heap(heap) => heap.push(v),
        }
    }
}

impl<T: Copy + Default> FromIterator<T> for Dims<T> {
    fn from_iter<I: IntoIterator<Item = T>>(iter: I) -> Self {
        let mut out = Dims::new();
        for v in iter {
            out.push(v);
        }
        out
    }
}

impl<T> Deref for Dims<T> {
    type Target = [T];

    fn deref(&self) -> &[T] {
        match self {
            Dims::Inline { len, vals } => &vals[..*len],
            Dims::Heap(heap) => heap,
        }
    }
}

impl<T> DerefMut for Dims<T> {
    fn deref_mut(&mut self) -> &mut [T] {
        match self {
            Dims::Inline { len, vals } => &mut vals[..*len],
            Dims::Heap(heap) => heap,
        }
    }
}

impl<'a, T> IntoIterator for &'a Dims<T> {
    type Item = &'a T;
    type IntoIter = std::slice::Iter<'a, T>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

/// The C-order strides, in elements, of a box of shape `dims`.
pub(crate) fn strides(dims: &[u64]) -> Dims<u64> {
    let mut s: Dims<u64> = dims.iter().map(|_| 1).collect();
    for d in (0..dims.len().saturating_sub(1)).rev() {
        s[d] = s[d + 1].saturating_mul(dims[d + 1]);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holds_short_and_long_lists() {
        for n in [0usize, 1, 3, 4, 5, 9, 33] {
            let mut d: Dims<usize> = (0..n).collect();
            assert_eq!(&d[..], &(0..n).collect::<Vec<_>>()[..]);
            assert_eq!(matches!(d, Dims::Heap(_)), n > INLINE);
            d.reverse();
            assert_eq!(&d[..], &(0..n).rev().collect::<Vec<_>>()[..]);
        }
    }

    #[test]
    fn strides_match_the_region_strides() {
        for dims in [&[][..], &[7], &[3, 5], &[2, 3, 4, 5, 6, 7]] {
            assert_eq!(&strides(dims)[..], &crate::region::strides(dims)[..]);
        }
        assert_eq!(&strides(&[4, 64, 64])[..], &[4096, 64, 1]);
    }
}
