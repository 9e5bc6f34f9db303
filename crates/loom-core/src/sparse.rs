//! A layer's nonzeros straight into sprs (loompy-api.md §3.17, `layer.sparse()`):
//! COO in loompy's order, CSC and CSR built directly, never through a dense selection
//! or a COO.
//!
//! The selection is read in chunk-aligned windows ([`AxisWindows`]) into one reused
//! buffer ([`Dataset::read_orthogonal_into`]: each chunk decoded once, in parallel), in
//! the layer's own precision where `f32` holds it exactly, and each window is scanned
//! for nonzeros 16 elements at a time. COO and CSC windows are read in row bands that
//! stay in the core's cache until they are scanned. A nonzero is what numpy's
//! `vals != 0` finds: NaN counts, `-0.0` does not.
//!
//! [`for_each_column_window`] hands out the same CSC windows one at a time, in the
//! precision the caller reads them in, for converters that stream a layer out.

use std::ops::Range;

use hdf5_lite::format::messages::Datatype;
use hdf5_lite::read::{Dataset, Numeric};
use sprs::{CsMat, TriMat};

use crate::axis::Axis;
use crate::error::{LoomError, Result};
use crate::matrix_io::{indices, shape2};
use crate::windows::{AxisWindows, DEFAULT_BUDGET};

/// Which compressed shape the nonzeros are collected in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Shape {
    /// Compressed sparse columns.
    Csc,
    /// Compressed sparse rows.
    Csr,
}

/// The nonzeros of `d[rows, cols]` (positions already checked against the shape) as COO
/// in loompy's order: column window by column window, row-major inside.
pub(crate) fn coo(d: &Dataset, rows: &[u64], cols: &[u64]) -> Result<TriMat<f64>> {
    let chunk = (chunk_len(d, Axis::Rows), chunk_len(d, Axis::Cols));
    let mut coo = TriMat::new((rows.len(), cols.len()));
    if exact_in_f32(d.datatype()) {
        coo_as::<f32>(d, rows, cols, chunk, &mut coo)?;
    } else {
        coo_as::<f64>(d, rows, cols, chunk, &mut coo)?;
    }
    Ok(coo)
}

/// [`coo`] through a buffer of `T`: each column window is read in row bands of about
/// [`BAND`] elements (see [`band_len`]) and its triplets go straight into `coo`, whose
/// bounds hold by construction (sprs' `from_triplets` would read every index again to
/// check them).
fn coo_as<T: Numeric + PartialEq>(
    d: &Dataset,
    rows: &[u64],
    cols: &[u64],
    (chunk_rows, chunk_cols): (u64, u64),
    coo: &mut TriMat<f64>,
) -> Result<()>
where
    f64: From<T>,
{
    let band = band_len(rows);
    let mut buf: Vec<T> = Vec::new();
    for w in AxisWindows::over(cols, chunk_cols, rows.len() as u64, DEFAULT_BUDGET) {
        let c = &cols[w.clone()];
        for b in AxisWindows::over(rows, chunk_rows, c.len() as u64, band) {
            let window = read_into(d, &rows[b.clone()], c, &mut buf)?;
            for (i, row) in window.chunks_exact(c.len().max(1)).enumerate() {
                for_each_nonzero(row, |j, v| {
                    coo.add_triplet(b.start + i, w.start + j, f64::from(v));
                });
            }
        }
    }
    Ok(())
}

/// The nonzeros of `d[rows, cols]` as CSR (`Shape::Csr`) or CSC (otherwise).
pub(crate) fn compressed(
    d: &Dataset,
    rows: &[u64],
    cols: &[u64],
    shape: Shape,
) -> Result<CsMat<f64>> {
    let (nz, indptr) = scan(d, rows, cols, shape)?;
    let dims = (rows.len(), cols.len());
    let made = if shape == Shape::Csr {
        CsMat::try_new(dims, indptr, nz.cols, nz.data)
    } else {
        CsMat::try_new_csc(dims, indptr, nz.rows, nz.data)
    };
    made.map_err(|(.., e)| LoomError::Selection(format!("{}: {e}", d.path())))
}

/// Reads and scans the selection window by window, in the layer's own precision where
/// `f32` holds it exactly (float16/32, 8- and 16-bit integers): half the bytes to scan.
fn scan(
    d: &Dataset,
    rows: &[u64],
    cols: &[u64],
    shape: Shape,
) -> Result<(Nonzeros<f64>, Vec<usize>)> {
    let chunk = (chunk_len(d, Axis::Rows), chunk_len(d, Axis::Cols));
    if exact_in_f32(d.datatype()) {
        scan_as::<f32>(d, rows, cols, chunk, shape)
    } else {
        scan_as::<f64>(d, rows, cols, chunk, shape)
    }
}

/// The chunk length of `d` along `axis` (64, loompy's, for a contiguous layer).
fn chunk_len(d: &Dataset, axis: Axis) -> u64 {
    d.chunks()
        .and_then(|c| c.get(axis.index()).copied())
        .unwrap_or(64)
        .max(1)
}

/// Whether every value of `dt` is exactly an `f32` (float16/32, 8- and 16-bit integers).
pub(crate) fn exact_in_f32(dt: &Datatype) -> bool {
    matches!(
        dt,
        Datatype::Float { size: 2 | 4, .. } | Datatype::Integer { size: 1 | 2, .. }
    )
}

/// One window of whole columns of a layer with its nonzeros in compressed sparse column
/// form, rows ascending within each column (see
/// [`Layers::for_each_column_window`](crate::Layers::for_each_column_window)).
#[derive(Debug, Clone)]
pub struct ColumnNonzeros<'a, T> {
    /// The window's columns.
    pub cols: Range<usize>,
    /// `cols.len() + 1` pointers into `rows`/`values`: column `cols.start + j` holds
    /// entries `indptr[j]..indptr[j + 1]`.
    pub indptr: &'a [usize],
    /// Row of each nonzero.
    pub rows: &'a [usize],
    /// Value of each nonzero.
    pub values: &'a [T],
}

/// Reads the whole of `d` in chunk-aligned column windows of about `budget` elements
/// into one reused buffer of `T` and calls `f` with each window's nonzeros.
pub(crate) fn for_each_column_window<T, E>(
    d: &Dataset,
    budget: u64,
    mut f: impl FnMut(ColumnNonzeros<'_, T>) -> std::result::Result<(), E>,
) -> std::result::Result<(), E>
where
    T: Numeric + PartialEq,
    E: From<LoomError>,
{
    let (n, m) = shape2(d)?;
    let chunk = (chunk_len(d, Axis::Rows), chunk_len(d, Axis::Cols));
    let rows: Vec<u64> = (0..n).collect();
    let cols: Vec<u64> = (0..m).collect();
    let mut nz = Nonzeros::<T>::default();
    let mut indptr = Vec::new();
    let mut buf: Vec<T> = Vec::new();
    for w in AxisWindows::all(m, chunk.1, n, budget) {
        nz.rows.clear();
        nz.data.clear();
        indptr.clear();
        indptr.push(0);
        nz.push_csc_window(d, &rows, &cols[w.clone()], chunk.0, &mut buf, &mut indptr)?;
        f(ColumnNonzeros {
            cols: w,
            indptr: &indptr,
            rows: &nz.rows,
            values: &nz.data,
        })?;
    }
    Ok(())
}

/// [`scan`] through a window buffer of `T`; returns the nonzeros and the pointers of the
/// compressed shape.
fn scan_as<T: Numeric + PartialEq>(
    d: &Dataset,
    rows: &[u64],
    cols: &[u64],
    (chunk_rows, chunk_cols): (u64, u64),
    shape: Shape,
) -> Result<(Nonzeros<f64>, Vec<usize>)>
where
    f64: From<T>,
{
    let (n, m) = (rows.len(), cols.len());
    let axis = if shape == Shape::Csr {
        Axis::Rows
    } else {
        Axis::Cols
    };
    let mut nz = Nonzeros::default();
    // CSR: one pointer per row; CSC: one per column.
    let mut indptr: Vec<usize> = vec![0];
    let mut buf: Vec<T> = Vec::new();
    let windows = match axis {
        Axis::Rows => AxisWindows::over(rows, chunk_rows, m as u64, DEFAULT_BUDGET),
        Axis::Cols => AxisWindows::over(cols, chunk_cols, n as u64, DEFAULT_BUDGET),
    };
    for w in windows {
        let (r, c) = match axis {
            Axis::Rows => (&rows[w.clone()], cols),
            Axis::Cols => (rows, &cols[w.clone()]),
        };
        match shape {
            Shape::Csr => {
                let window = read_into(d, r, c, &mut buf)?;
                nz.push_csr(window, r.len(), c.len(), &mut indptr);
            }
            Shape::Csc => nz.push_csc_window(d, r, c, chunk_rows, &mut buf, &mut indptr)?,
        }
    }
    Ok((nz, indptr))
}

/// Reads `d[rows, cols]` into the front of `buf` (grown when too short) and returns it.
fn read_into<'b, T: Numeric>(
    d: &Dataset,
    rows: &[u64],
    cols: &[u64],
    buf: &'b mut Vec<T>,
) -> Result<&'b [T]> {
    let len = rows.len() * cols.len();
    if buf.len() < len {
        buf.resize(len, T::default());
    }
    let window = &mut buf[..len];
    d.read_orthogonal_into(&[indices(rows), indices(cols)], window)?;
    Ok(window)
}

/// Elements of a row band of a COO or CSC window (1 MiB of `f32`): a band decoded into
/// the buffer is still in the core's cache when it is scanned.
const BAND: u64 = 1 << 18;

/// Elements per row band of a window over `rows`: about [`BAND`] (whole chunks) when
/// `rows` increase, so no chunk is decoded for two bands; otherwise the whole window.
fn band_len(rows: &[u64]) -> u64 {
    if rows.windows(2).all(|p| p[0] < p[1]) {
        BAND
    } else {
        u64::MAX
    }
}

/// Nonzeros found so far as `V` (CSC: `rows` and `data`; CSR: `cols` and `data`), and the
/// reused scratch of the CSC transposition.
struct Nonzeros<V> {
    rows: Vec<usize>,
    cols: Vec<usize>,
    data: Vec<V>,
    /// CSC: (column in the window, row, value) of one window, row-major.
    scratch: Vec<(u32, usize, V)>,
    counts: Vec<usize>,
}

impl<V> Default for Nonzeros<V> {
    fn default() -> Self {
        Nonzeros {
            rows: Vec::new(),
            cols: Vec::new(),
            data: Vec::new(),
            scratch: Vec::new(),
            counts: Vec::new(),
        }
    }
}

impl<V: Copy + Default> Nonzeros<V> {
    /// A row-major window of `height` whole rows: each row's nonzeros and its end
    /// pointer.
    fn push_csr<T: Numeric + PartialEq>(
        &mut self,
        window: &[T],
        height: usize,
        width: usize,
        indptr: &mut Vec<usize>,
    ) where
        V: From<T>,
    {
        if width == 0 {
            indptr.extend(std::iter::repeat_n(self.data.len(), height));
            return;
        }
        for row in window.chunks_exact(width) {
            for_each_nonzero(row, |j, v| {
                self.cols.push(j);
                self.data.push(V::from(v));
            });
            indptr.push(self.data.len());
        }
    }

    /// The window `d[rows, cols]` of whole columns, sorted into column order (stable, so
    /// rows stay ascending) with one end pointer per column; read in row bands (see
    /// [`band_len`]), each scanned while it is still in cache.
    fn push_csc_window<T: Numeric + PartialEq>(
        &mut self,
        d: &Dataset,
        rows: &[u64],
        cols: &[u64],
        chunk_rows: u64,
        buf: &mut Vec<T>,
        indptr: &mut Vec<usize>,
    ) -> Result<()>
    where
        V: From<T>,
    {
        let width = cols.len();
        self.start_csc(width);
        for b in AxisWindows::over(rows, chunk_rows, width as u64, band_len(rows)) {
            let window = read_into(d, &rows[b.clone()], cols, buf)?;
            self.gather_csc(window, width, b.start);
        }
        self.place_csc(width, indptr);
        Ok(())
    }

    /// Starts gathering a CSC window of `width` columns.
    fn start_csc(&mut self, width: usize) {
        self.scratch.clear();
        self.counts.clear();
        self.counts.resize(width + 1, 0);
    }

    /// Gathers the nonzeros of a row-major band of `width` columns whose first row is
    /// window row `row0`.
    fn gather_csc<T: Numeric + PartialEq>(&mut self, band: &[T], width: usize, row0: usize)
    where
        V: From<T>,
    {
        if width == 0 {
            return;
        }
        for (i, row) in band.chunks_exact(width).enumerate() {
            for_each_nonzero(row, |j, v| {
                self.counts[j + 1] += 1;
                self.scratch.push((j as u32, row0 + i, V::from(v)));
            });
        }
    }

    /// Places the gathered nonzeros in column order and pushes one end pointer per column.
    fn place_csc(&mut self, width: usize, indptr: &mut Vec<usize>) {
        for j in 0..width {
            self.counts[j + 1] += self.counts[j];
        }
        let base = self.data.len();
        let total = self.scratch.len();
        self.rows.resize(base + total, 0);
        self.data.resize(base + total, V::default());
        for &(j, i, v) in &self.scratch {
            let at = base + self.counts[j as usize];
            self.counts[j as usize] += 1;
            self.rows[at] = i;
            self.data[at] = v;
        }
        // After the placement, counts[j] is where column j ends.
        indptr.extend(self.counts[..width].iter().map(|&e| base + e));
    }
}

/// Calls `f(position, value)` for each nonzero of `row`, in order, from masks of 64
/// elements at a time (four of [`nonzero_mask`]), then of 16, then element by element.
/// The loop over a mask's bits ends after a varying count, a branch the CPU mispredicts
/// about once a mask: masks of 64 (5 nonzeros in the medium file, 8% nonzero) mispredict
/// a quarter as often as masks of 16.
fn for_each_nonzero<T: Numeric + PartialEq>(row: &[T], mut f: impl FnMut(usize, T)) {
    let zero = T::default();
    let (wide, rest) = row.as_chunks::<64>();
    let mut base = 0;
    for block in wide {
        let (quarters, _) = block.as_chunks::<16>();
        let mut mask = quarters
            .iter()
            .enumerate()
            .fold(0u64, |m, (q, b)| m | u64::from(nonzero_mask(b)) << (16 * q));
        while mask != 0 {
            let k = mask.trailing_zeros() as usize;
            f(base + k, block[k]);
            mask &= mask - 1;
        }
        base += 64;
    }
    let (blocks, rest) = rest.as_chunks::<16>();
    for block in blocks {
        let mut mask = nonzero_mask(block);
        while mask != 0 {
            let k = mask.trailing_zeros() as usize;
            f(base + k, block[k]);
            mask &= mask - 1;
        }
        base += 16;
    }
    for (k, &v) in rest.iter().enumerate() {
        if v != zero {
            f(base + k, v);
        }
    }
}

/// Bit `k` set where `block[k] != 0`. Built element by element, LLVM vectorizes only
/// part of it (a dozen compares, the rest scalar, then shuffles to gather the bits);
/// `f32` on x86-64 takes [`nonzero_mask_sse`] (the type test is resolved at compile time).
fn nonzero_mask<T: Numeric + PartialEq>(block: &[T; 16]) -> u32 {
    #[cfg(target_arch = "x86_64")]
    if let Some(b) = (block as &dyn std::any::Any).downcast_ref::<[f32; 16]>() {
        return nonzero_mask_sse(b);
    }
    let zero = T::default();
    let mut mask = 0u32;
    for (k, v) in block.iter().enumerate() {
        mask |= u32::from(*v != zero) << k;
    }
    mask
}

/// [`nonzero_mask`] of 16 `f32`: four unordered not-equal compares (true for NaN, false
/// for `-0.0`, as `!=`), each turned into four bits by `movmskps`.
#[cfg(target_arch = "x86_64")]
fn nonzero_mask_sse(block: &[f32; 16]) -> u32 {
    use std::arch::x86_64::{_mm_cmpneq_ps, _mm_loadu_ps, _mm_movemask_ps, _mm_setzero_ps};
    let quarter = |q: usize| {
        // SAFETY: SSE is part of the x86-64 baseline, so every x86-64 CPU has these
        // instructions; the unaligned load reads block[4 * q..4 * q + 4], inside `block`
        // for q < 4.
        let bits = unsafe {
            _mm_movemask_ps(_mm_cmpneq_ps(
                _mm_loadu_ps(block.as_ptr().add(4 * q)),
                _mm_setzero_ps(),
            ))
        };
        (bits as u32) << (4 * q)
    };
    quarter(0) | quarter(1) | quarter(2) | quarter(3)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_what_numpy_finds() {
        let row: Vec<f32> = (0..37)
            .map(|k| match k {
                0 | 15 | 16 | 36 => k as f32,
                5 => f32::NAN,
                7 => -0.0,
                _ => 0.0,
            })
            .collect();
        let mut seen = Vec::new();
        for_each_nonzero(&row, |j, _| seen.push(j));
        assert_eq!(seen, vec![5, 15, 16, 36]);
        // Every special value at every position of a block, against `!=` itself.
        let specials = [0.0f32, -0.0, f32::NAN, 1.0, -2.5, f32::INFINITY, 1e-45];
        for shift in 0..specials.len() {
            let block: [f32; 16] = std::array::from_fn(|k| specials[(k + shift) % specials.len()]);
            let want = (0..16).fold(0u32, |m, k| m | u32::from(block[k] != 0.0) << k);
            assert_eq!(nonzero_mask(&block), want);
            let wide = block.map(f64::from);
            assert_eq!(nonzero_mask(&wide), want);
        }
        // Masks of 64, of 16 and single elements: 2 x 64 + 16 + 6.
        let long: Vec<f32> = (0..150)
            .map(|k| match k % 13 {
                0 => k as f32,
                5 => f32::NAN,
                9 => -0.0,
                _ => 0.0,
            })
            .collect();
        let mut seen = Vec::new();
        for_each_nonzero(&long, |j, _| seen.push(j));
        let want: Vec<usize> = (0..150).filter(|&k| long[k] != 0.0).collect();
        assert_eq!(seen, want);
        let mut ints = Vec::new();
        for_each_nonzero(&[0.0f64, 2.0, 0.0], |j, v| ints.push((j, v)));
        assert_eq!(ints, vec![(1, 2.0)]);
    }

    #[test]
    fn compressed_windows_point_at_each_end() {
        // 3 rows x 2 columns, row-major: [[1, 0], [0, 2], [3, 4]].
        let w = [1.0f32, 0.0, 0.0, 2.0, 3.0, 4.0];
        let mut nz = Nonzeros::<f64>::default();
        let mut indptr = vec![0];
        nz.start_csc(2);
        nz.gather_csc(&w[..2], 2, 0);
        nz.gather_csc(&w[2..], 2, 1);
        nz.place_csc(2, &mut indptr);
        assert_eq!(indptr, vec![0, 2, 4]);
        assert_eq!(nz.rows, vec![0, 2, 1, 2]);
        assert_eq!(nz.data, vec![1.0, 3.0, 2.0, 4.0]);
        // A second window of one column continues after the first.
        nz.start_csc(1);
        nz.gather_csc(&[0.0f32, 5.0, 6.0], 1, 0);
        nz.place_csc(1, &mut indptr);
        assert_eq!(indptr, vec![0, 2, 4, 6]);
        assert_eq!(nz.rows, vec![0, 2, 1, 2, 1, 2]);
        assert_eq!(nz.data, vec![1.0, 3.0, 2.0, 4.0, 5.0, 6.0]);
        let mut nz = Nonzeros::<f64>::default();
        let mut indptr = vec![0];
        nz.push_csr(&w, 3, 2, &mut indptr);
        assert_eq!(indptr, vec![0, 1, 2, 4]);
        assert_eq!(nz.cols, vec![0, 1, 0, 1]);
        nz.push_csr(&[] as &[f32], 2, 0, &mut indptr);
        assert_eq!(indptr, vec![0, 1, 2, 4, 4, 4]);
    }
}
