//! Orthogonal selections: per dimension a range or a list of indices (in output order,
//! repeats allowed); the output is the C-order array of their outer product, as numpy's
//! `ds[np.ix_(rows, cols)]`, or on request its F-order (column-major) layout. Maps a
//! selection onto the chunk grid and a chunk's elements onto runs of the output.

use crate::error::{Error, Result};
use crate::read::dataset::Hyperslab;
use crate::read::dims::{strides, Dims};

/// The indices one dimension of a selection takes, in output order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Indices<'a> {
    /// `count` consecutive indices from `start`.
    Range {
        /// First index.
        start: u64,
        /// Number of indices.
        count: u64,
    },
    /// These indices in this order; an index may repeat.
    List(&'a [u64]),
}

/// One dimension of a checked selection.
#[derive(Debug)]
enum Axis {
    Range {
        start: u64,
        count: u64,
    },
    /// (index, output position), sorted by index then position.
    List(Vec<(u64, u64)>),
}

impl Axis {
    fn len(&self) -> u64 {
        match self {
            Axis::Range { count, .. } => *count,
            Axis::List(picks) => picks.len() as u64,
        }
    }

    /// The picks inside `lo..hi` (an empty part when there are none).
    fn part(&self, lo: u64, hi: u64) -> Part<'_> {
        match self {
            Axis::Range { start, count } => {
                let a = lo.max(*start);
                let b = hi.min(start + count).max(a);
                Part::Range {
                    lo: a,
                    hi: b,
                    pos: a - start,
                }
            }
            Axis::List(picks) => {
                let a = picks.partition_point(|p| p.0 < lo);
                let b = picks.partition_point(|p| p.0 < hi);
                Part::List(&picks[a..b])
            }
        }
    }

    /// The chunk coordinates (chunks of `c` along this dimension) the picks fall in.
    fn chunk_set(&self, c: u64) -> ChunkSet {
        match self {
            Axis::Range { start, count } => ChunkSet::Range(start / c, (start + count - 1) / c + 1),
            Axis::List(picks) => {
                let mut v: Vec<u64> = picks.iter().map(|p| p.0 / c).collect();
                v.dedup();
                ChunkSet::List(v)
            }
        }
    }
}

/// The picks of one dimension that fall inside one chunk.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Part<'s> {
    /// Indices `lo..hi`, output positions from `pos`.
    Range { lo: u64, hi: u64, pos: u64 },
    /// (index, output position) pairs sorted by index.
    List(&'s [(u64, u64)]),
}

impl Default for Part<'_> {
    /// An empty range (a placeholder in [`Dims`]).
    fn default() -> Self {
        Part::Range {
            lo: 0,
            hi: 0,
            pos: 0,
        }
    }
}

impl Part<'_> {
    fn len(&self) -> usize {
        match self {
            Part::Range { lo, hi, .. } => (hi - lo) as usize,
            Part::List(p) => p.len(),
        }
    }

    /// The k-th (index, output position) pair.
    fn get(&self, k: usize) -> (u64, u64) {
        match self {
            Part::Range { lo, pos, .. } => (lo + k as u64, pos + k as u64),
            Part::List(p) => p[k],
        }
    }
}

/// Chunk coordinates along one dimension.
#[derive(Debug, Clone)]
pub(crate) enum ChunkSet {
    /// `lo..hi`.
    Range(u64, u64),
    /// Sorted, distinct.
    List(Vec<u64>),
}

impl ChunkSet {
    pub(crate) fn len(&self) -> u64 {
        match self {
            ChunkSet::Range(lo, hi) => hi - lo,
            ChunkSet::List(v) => v.len() as u64,
        }
    }

    /// The smallest and one past the largest coordinate.
    pub(crate) fn bounds(&self) -> (u64, u64) {
        match self {
            ChunkSet::Range(lo, hi) => (*lo, *hi),
            ChunkSet::List(v) => (
                v.first().copied().unwrap_or(0),
                v.last().map_or(0, |l| l + 1),
            ),
        }
    }

    pub(crate) fn contains(&self, c: u64) -> bool {
        match self {
            ChunkSet::Range(lo, hi) => (*lo..*hi).contains(&c),
            ChunkSet::List(v) => v.binary_search(&c).is_ok(),
        }
    }

    /// The k-th coordinate.
    pub(crate) fn get(&self, k: u64) -> u64 {
        match self {
            ChunkSet::Range(lo, _) => lo + k,
            ChunkSet::List(v) => v[k as usize],
        }
    }
}

/// A selection checked against a dataset's shape.
#[derive(Debug)]
pub(crate) struct Selection {
    axes: Vec<Axis>,
    /// Whether the output is laid out in F order (the first dimension varies fastest).
    f_order: bool,
}

impl Selection {
    /// Checks `sel` against `shape` (`path` names the dataset in errors).
    pub(crate) fn new(sel: &[Indices<'_>], shape: &[u64], path: &str) -> Result<Self> {
        if sel.len() != shape.len() {
            return Err(Error::Selection(format!(
                "{path}: selection of {} dimensions for {} dimensions",
                sel.len(),
                shape.len()
            )));
        }
        let axes = sel
            .iter()
            .zip(shape)
            .enumerate()
            .map(|(d, (s, &n))| match *s {
                Indices::Range { start, count } => {
                    if start.checked_add(count).is_none_or(|end| end > n) {
                        return Err(Error::Selection(format!(
                            "{path}: dimension {d} selects {start}..{} of {n}",
                            start.saturating_add(count)
                        )));
                    }
                    Ok(Axis::Range { start, count })
                }
                Indices::List(list) => {
                    if let Some(&bad) = list.iter().find(|&&i| i >= n) {
                        return Err(Error::Selection(format!(
                            "{path}: dimension {d} selects index {bad} of {n}"
                        )));
                    }
                    let mut picks: Vec<(u64, u64)> = list
                        .iter()
                        .enumerate()
                        .map(|(p, &i)| (i, p as u64))
                        .collect();
                    if !picks.windows(2).all(|w| w[0] <= w[1]) {
                        picks.sort_unstable();
                    }
                    Ok(Axis::List(picks))
                }
            })
            .collect::<Result<Vec<Axis>>>()?;
        Ok(Selection {
            axes,
            f_order: false,
        })
    }

    /// The same selection with its output laid out in F order (column-major: for a
    /// matrix, column after column), which is the C-order output of the transposed
    /// selection.
    pub(crate) fn in_f_order(self) -> Self {
        Selection {
            f_order: true,
            ..self
        }
    }

    /// A hyperslab, already checked against the shape.
    pub(crate) fn hyperslab(sel: &Hyperslab) -> Self {
        Selection {
            axes: sel
                .start
                .iter()
                .zip(&sel.count)
                .map(|(&start, &count)| Axis::Range { start, count })
                .collect(),
            f_order: false,
        }
    }

    /// The output's shape.
    pub(crate) fn shape(&self) -> Vec<u64> {
        self.axes.iter().map(Axis::len).collect()
    }

    /// Number of elements selected, `None` when that overflows.
    pub(crate) fn len(&self) -> Option<u64> {
        self.axes
            .iter()
            .try_fold(1u64, |a, x| a.checked_mul(x.len()))
    }

    /// Whether nothing is selected.
    pub(crate) fn is_empty(&self) -> bool {
        self.axes.iter().any(|a| a.len() == 0)
    }

    /// The chunk coordinates each dimension touches with chunk shape `chunk_dims`.
    /// Only for non-empty selections.
    pub(crate) fn chunk_sets(&self, chunk_dims: &[u64]) -> Vec<ChunkSet> {
        self.axes
            .iter()
            .zip(chunk_dims)
            .map(|(a, &c)| a.chunk_set(c))
            .collect()
    }

    /// The picks inside the box at `origin` of shape `dims`, one part per dimension.
    pub(crate) fn parts(&self, origin: &[u64], dims: &[u64]) -> Dims<Part<'_>> {
        self.axes
            .iter()
            .zip(origin.iter().zip(dims))
            .map(|(a, (&o, &n))| a.part(o, o.saturating_add(n)))
            .collect()
    }
}

/// The geometry of copying one box of a dataset (a chunk) into a selection's output.
/// Every field is in the output's loop order: the dataset's dimensions for a C-order
/// output, reversed for an F-order one.
#[derive(Debug)]
pub(crate) struct BoxRuns<'s> {
    f_order: bool,
    parts: Dims<Part<'s>>,
    origin: Dims<u64>,
    src_strides: Dims<u64>,
    dst_strides: Dims<u64>,
}

impl<'s> BoxRuns<'s> {
    /// The part of `sel` inside the box at `origin` of shape `dims` (stored in C order),
    /// whose output has shape `out_shape`. `None` when the box holds nothing selected.
    pub(crate) fn new(
        sel: &'s Selection,
        origin: &[u64],
        dims: &[u64],
        out_shape: &[u64],
    ) -> Option<Self> {
        let mut parts = sel.parts(origin, dims);
        if parts.iter().any(|p| p.len() == 0) {
            return None;
        }
        let mut origin: Dims<u64> = origin.iter().copied().collect();
        let mut src_strides = strides(dims);
        let dst_strides = if sel.f_order {
            parts.reverse();
            origin.reverse();
            src_strides.reverse();
            let loop_shape: Dims<u64> = out_shape.iter().rev().copied().collect();
            strides(&loop_shape)
        } else {
            strides(out_shape)
        };
        Some(BoxRuns {
            f_order: sel.f_order,
            parts,
            origin,
            src_strides,
            dst_strides,
        })
    }

    /// Elements of the box, in C order, up to and including the last one selected: how
    /// much of the box a read needs.
    pub(crate) fn prefix(&self) -> u64 {
        let last: u64 = self
            .parts
            .iter()
            .zip(&self.origin)
            .zip(&self.src_strides)
            .map(|((p, &o), &s)| (p.get(p.len() - 1).0 - o) * s)
            .sum();
        last + 1
    }

    /// Takes the box as stored transposed (`dims` reversed, C order), as an F-order
    /// read of a matrix keeps a chunk: runs become consecutive in it.
    pub(crate) fn on_transposed(&mut self, dims: &[u64]) {
        let turned: Dims<u64> = dims.iter().rev().copied().collect();
        self.src_strides = if self.f_order {
            strides(&turned)
        } else {
            let mut s = strides(&turned);
            s.reverse();
            s
        };
    }

    /// The distance, in elements of the box, between consecutive elements of one run:
    /// 1 for a C-order output.
    pub(crate) fn step(&self) -> usize {
        self.src_strides.last().map_or(1, |&s| s as usize)
    }

    /// Calls `f(src, dst, n)` for every run of `n` selected elements that are
    /// consecutive in the output (from `dst`) and [`step`](Self::step) apart in the box
    /// (from element `src`).
    pub(crate) fn for_each(
        &self,
        mut f: impl FnMut(usize, usize, usize) -> Result<()>,
    ) -> Result<()> {
        let Some((last, outer)) = self.parts.split_last() else {
            return f(0, 0, 1);
        };
        let rank = self.parts.len();
        let o_last = self.origin[rank - 1];
        let step = self.src_strides[rank - 1];
        // Runs along the last dimension: (offset in the box, output position, length).
        let mut runs: Dims<(u64, u64, u64)> = Dims::new();
        match *last {
            Part::Range { lo, hi, pos } => runs.push(((lo - o_last) * step, pos, hi - lo)),
            Part::List(picks) => {
                let mut next = None;
                for &(i, p) in picks {
                    match runs.last_mut() {
                        Some((_, d, n)) if next == Some(i) && *d + *n == p => *n += 1,
                        _ => runs.push(((i - o_last) * step, p, 1)),
                    }
                    next = Some(i + 1);
                }
            }
        }
        if let [Part::Range { lo, hi, pos }] = outer {
            // A matrix's rows (or columns) lo..hi: each one step further on both sides.
            let (src_step, dst_step) = (self.src_strides[0], self.dst_strides[0]);
            let (mut src, mut dst) = ((lo - self.origin[0]) * src_step, pos * dst_step);
            for _ in *lo..*hi {
                for &(s, d, n) in &runs {
                    f((src + s) as usize, (dst + d) as usize, n as usize)?;
                }
                src += src_step;
                dst += dst_step;
            }
            return Ok(());
        }
        let mut k: Dims<usize> = outer.iter().map(|_| 0).collect();
        loop {
            let (mut src, mut dst) = (0u64, 0u64);
            for (d, part) in outer.iter().enumerate() {
                let (i, p) = part.get(k[d]);
                src += (i - self.origin[d]) * self.src_strides[d];
                dst += p * self.dst_strides[d];
            }
            for &(s, d, n) in &runs {
                f((src + s) as usize, (dst + d) as usize, n as usize)?;
            }
            let mut d = outer.len();
            loop {
                if d == 0 {
                    return Ok(());
                }
                d -= 1;
                k[d] += 1;
                if k[d] < outer[d].len() {
                    break;
                }
                k[d] = 0;
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests;
