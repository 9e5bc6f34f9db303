//! Copying rectangular regions between C-order arrays of elements: the one loop behind
//! assembling a selection from chunks (reading) and scattering a selection into chunks
//! (writing); and transposing a chunk while it is in the cache (F-order reads, permuting
//! along the last dimension).

/// A C-order array of `elem`-byte elements with shape `dims`, whose first element sits at
/// coordinates `origin` of the dataset.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Grid<'a> {
    /// Dataset coordinates of element 0.
    pub origin: &'a [u64],
    /// Shape of the array.
    pub dims: &'a [u64],
}

/// C-order strides (in elements) of an array of shape `dims`.
pub(crate) fn strides(dims: &[u64]) -> Vec<u64> {
    let mut s = vec![1u64; dims.len()];
    for d in (0..dims.len().saturating_sub(1)).rev() {
        s[d] = s[d + 1].saturating_mul(dims[d + 1]);
    }
    s
}

/// Calls `f` with every index of the box `lo..hi` in all dimensions but the last, in C
/// order (once with an empty index for rank 0 or 1).
pub(crate) fn for_each_row<E>(
    lo: &[u64],
    hi: &[u64],
    mut f: impl FnMut(&[u64]) -> Result<(), E>,
) -> Result<(), E> {
    let outer = lo.len().saturating_sub(1);
    if (0..outer).any(|d| lo[d] >= hi[d]) {
        return Ok(());
    }
    let mut idx: Vec<u64> = lo[..outer].to_vec();
    loop {
        f(&idx)?;
        let mut d = outer;
        loop {
            if d == 0 {
                return Ok(());
            }
            d -= 1;
            idx[d] += 1;
            if idx[d] < hi[d] {
                break;
            }
            idx[d] = lo[d];
        }
    }
}

/// Calls `f(src, dst, len)` with the byte offsets into each array and the byte length
/// of every contiguous run of the elements both arrays hold (the intersection of their
/// boxes), in C order. The offsets step from run to run by the strides of the dimension
/// that advances (less the span of those that wrap), not recomputed per run.
pub(crate) fn for_each_run<E>(
    from: Grid<'_>,
    to: Grid<'_>,
    elem: u64,
    mut f: impl FnMut(usize, usize, usize) -> Result<(), E>,
) -> Result<(), E> {
    let rank = from.dims.len();
    if rank == 0 {
        return f(0, 0, elem as usize);
    }
    let lo: Vec<u64> = (0..rank)
        .map(|d| from.origin[d].max(to.origin[d]))
        .collect();
    let hi: Vec<u64> = (0..rank)
        .map(|d| (from.origin[d] + from.dims[d]).min(to.origin[d] + to.dims[d]))
        .collect();
    if lo.iter().zip(&hi).any(|(l, h)| l >= h) {
        return Ok(());
    }
    let (src_strides, dst_strides) = (strides(from.dims), strides(to.dims));
    let last = rank - 1;
    let run = ((hi[last] - lo[last]) * elem) as usize;
    let linear = |origin: &[u64], strides: &[u64]| -> u64 {
        let n: u64 = (lo.iter().zip(origin).zip(strides))
            .map(|((&i, &o), &s)| (i - o) * s)
            .sum();
        n * elem
    };
    let (mut s, mut d) = (
        linear(from.origin, &src_strides),
        linear(to.origin, &dst_strides),
    );
    // Per outer dimension: the byte steps of one index in each array.
    let step: Vec<(u64, u64)> = (0..last)
        .map(|k| (src_strides[k] * elem, dst_strides[k] * elem))
        .collect();
    let mut idx: Vec<u64> = lo[..last].to_vec();
    loop {
        f(s as usize, d as usize, run)?;
        let mut k = last;
        loop {
            if k == 0 {
                return Ok(());
            }
            k -= 1;
            idx[k] += 1;
            let (ss, ds) = step[k];
            if idx[k] < hi[k] {
                s += ss;
                d += ds;
                break;
            }
            // Back to the dimension's first index.
            let wrapped = idx[k] - 1 - lo[k];
            s -= wrapped * ss;
            d -= wrapped * ds;
            idx[k] = lo[k];
        }
    }
}

/// Copies the elements both arrays hold (the intersection of their boxes) from `src` to
/// `dst`. Returns false, copying nothing more, if a buffer is shorter than its shape says.
pub(crate) fn copy(src: &[u8], from: Grid<'_>, dst: &mut [u8], to: Grid<'_>, elem: u64) -> bool {
    for_each_run(from, to, elem, |s, d, n| {
        match (dst.get_mut(d..d + n), src.get(s..s + n)) {
            (Some(dst), Some(src)) => {
                dst.copy_from_slice(src);
                Ok(())
            }
            _ => Err(()),
        }
    })
    .is_ok()
}

/// Writes into `dst` the `rows` x `cols` matrix of `elem`-byte elements in `src` (C
/// order) transposed: `cols` x `rows`, C order. Both hold `rows * cols * elem` bytes.
pub(crate) fn transpose(src: &[u8], rows: usize, cols: usize, elem: usize, dst: &mut [u8]) {
    let len = rows * cols * elem;
    if src.len() < len || dst.len() < len {
        return;
    }
    #[cfg(target_arch = "x86_64")]
    if in_blocks(rows, cols, elem) {
        transpose_4x4(src, rows, cols, dst);
        return;
    }
    // Tiles of 8 x 8 elements: both sides stay within a few cache lines per tile.
    for i0 in (0..rows).step_by(8) {
        for j0 in (0..cols).step_by(8) {
            for i in i0..(i0 + 8).min(rows) {
                for j in j0..(j0 + 8).min(cols) {
                    let (s, d) = ((i * cols + j) * elem, (j * rows + i) * elem);
                    dst[d..d + elem].copy_from_slice(&src[s..s + elem]);
                }
            }
        }
    }
}

/// Whether [`transpose`] moves a `rows` x `cols` matrix of `elem`-byte elements in SSE
/// blocks (4-byte elements, both sides multiples of 4, on x86_64): several times faster
/// than its tiles of single elements.
pub(crate) fn in_blocks(rows: usize, cols: usize, elem: usize) -> bool {
    cfg!(target_arch = "x86_64") && elem == 4 && rows.is_multiple_of(4) && cols.is_multiple_of(4)
}

/// [`transpose`] of 4-byte elements, `rows` and `cols` multiples of 4, in blocks of 4 x 4
/// transposed in SSE registers (bits moved as they are: no arithmetic on the values).
#[cfg(target_arch = "x86_64")]
fn transpose_4x4(src: &[u8], rows: usize, cols: usize, dst: &mut [u8]) {
    use std::arch::x86_64::{
        _mm_loadu_ps, _mm_movehl_ps, _mm_movelh_ps, _mm_storeu_ps, _mm_unpackhi_ps, _mm_unpacklo_ps,
    };
    let (from, to) = (src.as_ptr().cast::<f32>(), dst.as_mut_ptr().cast::<f32>());
    for i in (0..rows).step_by(4) {
        for j in (0..cols).step_by(4) {
            // SAFETY: SSE is part of x86_64. The block's rows i..i + 4 and columns
            // j..j + 4 lie inside `src` (rows x cols elements, checked by `transpose`),
            // and its transposed rows j..j + 4, columns i..i + 4 inside `dst`; the loads
            // and stores are unaligned.
            unsafe {
                let p = from.add(i * cols + j);
                let (r0, r1) = (_mm_loadu_ps(p), _mm_loadu_ps(p.add(cols)));
                let (r2, r3) = (_mm_loadu_ps(p.add(2 * cols)), _mm_loadu_ps(p.add(3 * cols)));
                let (t0, t1) = (_mm_unpacklo_ps(r0, r1), _mm_unpacklo_ps(r2, r3));
                let (t2, t3) = (_mm_unpackhi_ps(r0, r1), _mm_unpackhi_ps(r2, r3));
                let q = to.add(j * rows + i);
                _mm_storeu_ps(q, _mm_movelh_ps(t0, t1));
                _mm_storeu_ps(q.add(rows), _mm_movehl_ps(t1, t0));
                _mm_storeu_ps(q.add(2 * rows), _mm_movelh_ps(t2, t3));
                _mm_storeu_ps(q.add(3 * rows), _mm_movehl_ps(t3, t2));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copies_the_intersection_both_ways() {
        // A 4x4 chunk at (4, 0) holding 0..16; a 2x2 selection at (5, 1) of an 8x4 array.
        let chunk: Vec<u8> = (0..16).collect();
        let chunk_grid = Grid {
            origin: &[4, 0],
            dims: &[4, 4],
        };
        let sel_grid = Grid {
            origin: &[5, 1],
            dims: &[2, 2],
        };
        let mut out = vec![0u8; 4];
        assert!(copy(&chunk, chunk_grid, &mut out, sel_grid, 1));
        assert_eq!(out, vec![5, 6, 9, 10]);

        let mut back = vec![0u8; 16];
        assert!(copy(&out, sel_grid, &mut back, chunk_grid, 1));
        assert_eq!(back.iter().filter(|&&b| b != 0).count(), 4);
        assert_eq!(back[5], 5);
        assert_eq!(back[10], 10);
    }

    #[test]
    fn rows_in_c_order() {
        let mut seen = Vec::new();
        for_each_row::<()>(&[0, 1, 0], &[2, 3, 5], |i| {
            seen.push(i.to_vec());
            Ok(())
        })
        .unwrap();
        assert_eq!(seen, vec![vec![0, 1], vec![0, 2], vec![1, 1], vec![1, 2]]);
    }

    /// Byte `k` of element `e` of an array at `origin`: a value naming the element's
    /// dataset coordinates, so a copy can be checked element by element.
    fn coordinates(origin: &[u64], dims: &[u64], elem: u64) -> Vec<u8> {
        let n: u64 = dims.iter().product();
        let mut out = Vec::new();
        for e in 0..n {
            let (mut rest, mut name) = (e, 0u64);
            for (d, (&o, &len)) in origin.iter().zip(dims).enumerate().rev() {
                name += (o + rest % len) * 10u64.pow(d as u32);
                rest /= len;
            }
            out.extend((0..elem).map(|k| (name * 3 + k) as u8));
        }
        out
    }

    #[test]
    fn runs_step_through_rank_three_boxes() {
        // Boxes that overlap in part, in whole, along one edge, or not at all.
        let cases = [
            ([0, 0, 0], [4, 5, 6], [1, 2, 3], [5, 2, 2]),
            ([2, 1, 0], [3, 3, 3], [0, 0, 0], [9, 9, 9]),
            ([0, 0, 0], [2, 2, 7], [1, 0, 5], [1, 2, 4]),
            ([0, 0, 0], [2, 2, 2], [2, 0, 0], [2, 2, 2]),
        ];
        for elem in [1, 4] {
            for (so, sd, to, td) in &cases {
                let src = coordinates(so, sd, elem);
                let (from, into) = (
                    Grid {
                        origin: so,
                        dims: sd,
                    },
                    Grid {
                        origin: to,
                        dims: td,
                    },
                );
                let mut dst = vec![0xff; (td.iter().product::<u64>() * elem) as usize];
                assert!(copy(&src, from, &mut dst, into, elem));
                // Every element of `dst` inside both boxes names its own coordinates.
                let want = coordinates(to, td, elem);
                for (e, (got, want)) in dst
                    .chunks(elem as usize)
                    .zip(want.chunks(elem as usize))
                    .enumerate()
                {
                    let mut rest = e as u64;
                    let mut inside = true;
                    for d in (0..3).rev() {
                        let at = to[d] + rest % td[d];
                        rest /= td[d];
                        inside &= so[d] <= at && at < so[d] + sd[d];
                    }
                    if inside {
                        assert_eq!(got, want, "element {e}");
                    } else {
                        assert!(got.iter().all(|&b| b == 0xff), "element {e}");
                    }
                }
            }
        }
    }

    #[test]
    fn short_buffers_are_reported() {
        let mut out = vec![0u8; 2];
        assert!(!copy(
            &[1, 2, 3, 4],
            Grid {
                origin: &[0],
                dims: &[4]
            },
            &mut out,
            Grid {
                origin: &[0],
                dims: &[4]
            },
            1
        ));
    }

    #[test]
    fn transposes_in_blocks_and_tiles() {
        for (rows, cols, elem) in [(8, 12, 4), (64, 64, 4), (5, 7, 4), (6, 10, 2), (3, 9, 8)] {
            let src: Vec<u8> = (0..rows * cols * elem)
                .map(|k| (k * 7 % 251) as u8)
                .collect();
            let mut dst = vec![0u8; src.len()];
            transpose(&src, rows, cols, elem, &mut dst);
            for i in 0..rows {
                for j in 0..cols {
                    let (s, d) = ((i * cols + j) * elem, (j * rows + i) * elem);
                    assert_eq!(
                        dst[d..d + elem],
                        src[s..s + elem],
                        "{rows}x{cols} at {i},{j}"
                    );
                }
            }
        }
    }
}
