//! The windows a dataset is compared in: ranges of element positions in C order, each a
//! box of the dataset's shape cut on chunk boundaries where that keeps it near the
//! budget, and the boxes that make up any such range in another shape.

use hdf5_lite::read::Hyperslab;

/// A window may grow to this many budgets to stay aligned to whole chunks.
const ALIGN_SLACK: u64 = 4;

/// C-order ranges `(start, len)` of element positions covering a shape. Each range is a
/// box: one position in the dimensions before a split dimension, a run of it, and the
/// whole extent of every later dimension (so a range of the same shape reads as one
/// hyperslab). Ranges hold about `budget` elements; when the shape is chunked the run
/// is a multiple of the chunk size, unless one chunk run exceeds the budget many times.
#[derive(Debug)]
pub struct Windows {
    outer_count: u64,
    extent: u64,
    inner: u64,
    step: u64,
    outer: u64,
    at: u64,
}

impl Windows {
    /// The windows of a non-empty `shape` (no zero dimension) chunked as `chunks`.
    pub fn new(shape: &[u64], chunks: Option<&[u64]>, budget: u64) -> Windows {
        let budget = budget.max(1);
        // inner[k]: elements of one position of dimension k (the product after it).
        let mut inner = vec![1u64; shape.len()];
        for k in (0..shape.len().saturating_sub(1)).rev() {
            inner[k] = inner[k + 1].saturating_mul(shape[k + 1]);
        }
        let Some(k) = (0..shape.len()).find(|&k| inner[k] <= budget) else {
            // A scalar: one element.
            return Windows {
                outer_count: 1,
                extent: 1,
                inner: 1,
                step: 1,
                outer: 0,
                at: 0,
            };
        };
        let extent = shape[k];
        let mut step = (budget / inner[k]).max(1);
        if let Some(&c) = chunks.and_then(|c| c.get(k)).filter(|&&c| c > 0) {
            if step >= c {
                step -= step % c;
            } else if c.saturating_mul(inner[k]) <= budget.saturating_mul(ALIGN_SLACK) {
                step = c;
            }
        }
        Windows {
            outer_count: shape[..k].iter().product(),
            extent,
            inner: inner[k],
            step: step.min(extent),
            outer: 0,
            at: 0,
        }
    }
}

impl Iterator for Windows {
    type Item = (u64, u64);

    fn next(&mut self) -> Option<(u64, u64)> {
        if self.outer >= self.outer_count || self.extent == 0 {
            return None;
        }
        let run = self.step.min(self.extent - self.at);
        let start = (self.outer * self.extent + self.at) * self.inner;
        self.at += run;
        if self.at >= self.extent {
            self.at = 0;
            self.outer += 1;
        }
        Some((start, run * self.inner))
    }
}

/// The hyperslabs of `shape` that hold the C-order positions `start..end` (in order):
/// one when the range is a box, at most `2 × rank` otherwise.
pub fn boxes(shape: &[u64], start: u64, end: u64) -> Vec<Hyperslab> {
    let mut out = Vec::new();
    if start < end {
        push_boxes(shape, &mut Vec::new(), start, end, &mut out);
    }
    out
}

/// Pushes the boxes of `start..end` (non-empty) within the sub-array of `shape` at the
/// fixed leading positions `prefix`.
fn push_boxes(
    shape: &[u64],
    prefix: &mut Vec<u64>,
    start: u64,
    end: u64,
    out: &mut Vec<Hyperslab>,
) {
    let Some((_, rest)) = shape.split_first() else {
        out.push(Hyperslab {
            start: prefix.clone(),
            count: vec![1; prefix.len()],
        });
        return;
    };
    let inner: u64 = rest.iter().product();
    let (mut first, head) = (start / inner, start % inner);
    let (last, tail) = (end / inner, end % inner);
    if head != 0 {
        prefix.push(first);
        push_boxes(
            rest,
            prefix,
            head,
            if first == last { tail } else { inner },
            out,
        );
        prefix.pop();
        if first == last {
            return;
        }
        first += 1;
    }
    if last > first {
        let mut start: Vec<u64> = prefix.clone();
        start.push(first);
        start.extend(rest.iter().map(|_| 0));
        let mut count = vec![1; prefix.len()];
        count.push(last - first);
        count.extend_from_slice(rest);
        out.push(Hyperslab { start, count });
    }
    if tail != 0 {
        prefix.push(last);
        push_boxes(rest, prefix, 0, tail, out);
        prefix.pop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The C-order positions a hyperslab holds, in `shape`.
    fn positions(shape: &[u64], h: &Hyperslab) -> Vec<u64> {
        let mut out = Vec::new();
        let n: u64 = h.count.iter().product();
        for i in 0..n {
            let (mut rem, mut flat) = (i, 0);
            let mut stride: u64 = shape.iter().product();
            for (d, &n) in shape.iter().enumerate() {
                let inner: u64 = h.count[d + 1..].iter().product();
                let at = h.start[d] + rem / inner;
                rem %= inner;
                stride /= n;
                flat += at * stride;
            }
            out.push(flat);
        }
        out
    }

    #[test]
    fn windows_cover_the_shape_in_order_on_chunk_boundaries() {
        let shape = [200, 50];
        let w: Vec<_> = Windows::new(&shape, Some(&[64, 64]), 5000).collect();
        assert_eq!(w, vec![(0, 3200), (3200, 3200), (6400, 3200), (9600, 400)]);
        // A row bigger than the budget: runs within one row, chunk-aligned.
        let w: Vec<_> = Windows::new(&[2, 1000], Some(&[1, 100]), 250).collect();
        assert_eq!(w.len(), 10);
        assert_eq!(w[0], (0, 200));
        assert_eq!(w[5], (1000, 200));
        // A chunk far above the budget: unaligned runs of the budget.
        let w: Vec<_> = Windows::new(&[1000, 10], Some(&[1000, 10]), 100).collect();
        assert_eq!(w[1], (100, 100));
        assert_eq!(
            Windows::new(&[], None, 10).collect::<Vec<_>>(),
            vec![(0, 1)]
        );
    }

    #[test]
    fn boxes_hold_exactly_the_range() {
        let shape = [3, 4, 5];
        for start in 0..60 {
            for end in start + 1..=60 {
                let bs = boxes(&shape, start, end);
                assert!(bs.len() <= 6, "{start}..{end}: {bs:?}");
                let got: Vec<u64> = bs.iter().flat_map(|b| positions(&shape, b)).collect();
                assert_eq!(got, (start..end).collect::<Vec<_>>(), "{start}..{end}");
            }
        }
        assert_eq!(boxes(&[4, 5], 5, 15).len(), 1);
        assert_eq!(
            boxes(&[], 0, 1),
            vec![Hyperslab {
                start: vec![],
                count: vec![]
            }]
        );
    }
}
