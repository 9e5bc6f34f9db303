//! The floor of a matrix read: what any reader of the same file must at least do —
//! inflate every chunk the selection touches (zlib-rs, one decompressor and one reused
//! buffer per thread, on all cores) and copy the selected elements out. Listing the
//! chunks is untimed setup; allocating the output, inflating and copying are timed.
//!
//! The floor of a streaming op (scan, map) is [`Floor::stream`]: every chunk inflated
//! once into the thread's reused buffer and its elements summed there, with no output
//! array: what any single pass over the matrix must at least do.

use std::cell::RefCell;

use hdf5_lite::read::File;
use rayon::prelude::*;

use super::child::Axis;

/// One band of chunks (one chunk row) and the output rows it fills.
struct Band {
    /// Output rows `lo..hi` come from this band.
    out_rows: (usize, usize),
    /// (row offset of the band, dataset rows selected in it as (row, output row)).
    rows: Vec<(u64, usize)>,
    /// (column offset, address, stored size) of each needed chunk, by column.
    chunks: Vec<(u64, u64, usize)>,
}

/// A prepared floor read of `rows` x `cols` of `/matrix`.
pub struct Floor {
    map: memmap2::Mmap,
    bands: Vec<Band>,
    cols: Vec<(u64, usize)>,
    chunk: (u64, u64),
    out_shape: (usize, usize),
}

thread_local! {
    static INFLATER: RefCell<(flate2::Decompress, Vec<u8>)> =
        RefCell::new((flate2::Decompress::new(true), Vec::new()));
}

impl Floor {
    /// Untimed setup: lists the chunks of `/matrix` the selection needs.
    pub fn prepare(path: &str, rows: &Axis, cols: &Axis) -> Result<Self, String> {
        let file = File::open(path).map_err(|e| e.to_string())?;
        let ds = file.dataset("/matrix").map_err(|e| e.to_string())?;
        let (Some(&[cr, cc]), [n, m]) = (ds.chunks(), ds.shape()) else {
            return Err("/matrix is not a chunked 2-D dataset".to_string());
        };
        let (rows, cols) = (rows.values(*n), cols.values(*m));
        if !rows.windows(2).all(|w| w[0] < w[1]) || !cols.windows(2).all(|w| w[0] < w[1]) {
            return Err("the floor needs sorted, distinct indices".to_string());
        }
        let want_cols: std::collections::BTreeSet<u64> = cols.iter().map(|c| c / cc).collect();
        let mut bands: Vec<Band> = Vec::new();
        for (k, &r) in rows.iter().enumerate() {
            match bands.last_mut() {
                Some(b) if b.rows[0].0 / cr == r / cr => {
                    b.rows.push((r, k));
                    b.out_rows.1 = k + 1;
                }
                _ => bands.push(Band {
                    out_rows: (k, k + 1),
                    rows: vec![(r, k)],
                    chunks: Vec::new(),
                }),
            }
        }
        let records = ds.chunk_records().map_err(|e| e.to_string())?;
        for r in records {
            let (band_row, col) = (r.offset[0] / cr, r.offset[1] / cc);
            if !want_cols.contains(&col) {
                continue;
            }
            if let Ok(i) = bands.binary_search_by_key(&band_row, |b| b.rows[0].0 / cr) {
                bands[i]
                    .chunks
                    .push((r.offset[1], r.address, r.size as usize));
            }
        }
        let f = std::fs::File::open(path).map_err(|e| e.to_string())?;
        // SAFETY: a read-only map of the benchmark file, which nothing modifies while
        // the benchmark runs.
        let map = unsafe { memmap2::Mmap::map(&f) }.map_err(|e| e.to_string())?;
        Ok(Floor {
            map,
            bands,
            out_shape: (rows.len(), cols.len()),
            cols: cols.into_iter().enumerate().map(|(k, c)| (c, k)).collect(),
            chunk: (cr, cc),
        })
    }

    /// Timed: inflates every needed chunk into the thread's reused buffer and sums the
    /// selected elements as float64 (whole chunk rows of a full read; for `scan`/`map`,
    /// the work a single pass cannot avoid). Returns the sum and the element count.
    pub fn stream(&self) -> Result<(f64, u64), String> {
        let (cr, cc) = self.chunk;
        let chunk_bytes = (cr * cc * 4) as usize;
        let m = self.cols.last().map_or(0, |&(c, _)| c + 1);
        if self.cols.len() as u64 != m {
            return Err("the streaming floor reads whole rows".to_string());
        }
        let per_band = self.bands.par_iter().map(|band| {
            INFLATER.with(|cell| {
                let (z, buf) = &mut *cell.borrow_mut();
                buf.resize(chunk_bytes, 0);
                let first = band.rows[0].0;
                let last = band.rows[band.rows.len() - 1].0;
                if last - first + 1 != band.rows.len() as u64 {
                    return Err("the streaming floor reads whole columns".to_string());
                }
                let band_row = first / cr * cr;
                let (r0, r1) = ((first - band_row) as usize, (last - band_row) as usize + 1);
                let (mut sum, mut n) = (0.0, 0u64);
                for &(c0, address, size) in &band.chunks {
                    self.inflate(z, buf, address, size)?;
                    let width = (cc.min(m - c0) * 4) as usize;
                    for r in r0..r1 {
                        let at = r * (cc * 4) as usize;
                        sum += sum_f32_le(&buf[at..at + width]);
                    }
                    n += ((r1 - r0) * width / 4) as u64;
                }
                Ok::<(f64, u64), String>((sum, n))
            })
        });
        per_band
            .collect::<Result<Vec<_>, String>>()
            .map(|v| v.iter().fold((0.0, 0), |(s, n), &(a, b)| (s + a, n + b)))
    }

    /// Inflates the chunk stored at `address` (`size` bytes) into `buf`.
    fn inflate(
        &self,
        z: &mut flate2::Decompress,
        buf: &mut [u8],
        address: u64,
        size: usize,
    ) -> Result<(), String> {
        let src = self
            .map
            .get(address as usize..address as usize + size)
            .ok_or("chunk outside the file")?;
        z.reset(true);
        z.decompress(src, buf, flate2::FlushDecompress::Finish)
            .map_err(|e| e.to_string())?;
        Ok(())
    }

    /// Timed: inflates every needed chunk and copies the selection into a new output.
    pub fn run(&self) -> Result<Vec<f32>, String> {
        let (nr, nc) = self.out_shape;
        let mut out = vec![0f32; nr * nc];
        let mut slices = Vec::with_capacity(self.bands.len());
        let mut rest = out.as_mut_slice();
        for b in &self.bands {
            let (head, tail) = rest.split_at_mut((b.out_rows.1 - b.out_rows.0) * nc);
            slices.push(head);
            rest = tail;
        }
        let (cr, cc) = self.chunk;
        let chunk_bytes = (cr * cc * 4) as usize;
        self.bands
            .par_iter()
            .zip(slices)
            .try_for_each(|(band, dst)| {
                INFLATER.with(|cell| {
                    let (z, buf) = &mut *cell.borrow_mut();
                    buf.resize(chunk_bytes, 0);
                    let band_row = band.rows[0].0 / cr * cr;
                    for &(c0, address, size) in &band.chunks {
                        self.inflate(z, buf, address, size)?;
                        let lo = self.cols.partition_point(|&(c, _)| c < c0);
                        let hi = self.cols.partition_point(|&(c, _)| c < c0 + cc);
                        let picks = &self.cols[lo..hi];
                        let (Some(first), Some(last)) = (picks.first(), picks.last()) else {
                            continue;
                        };
                        let run = last.0 - first.0 == picks.len() as u64 - 1
                            && last.1 - first.1 == picks.len() - 1;
                        for &(r, k) in &band.rows {
                            let row = &buf[((r - band_row) * cc * 4) as usize..];
                            let out_row = &mut dst[(k - band.out_rows.0) * nc..];
                            if run {
                                let at = ((first.0 - c0) * 4) as usize;
                                let src = &row[at..at + 4 * picks.len()];
                                let to = &mut out_row[first.1..first.1 + picks.len()];
                                for (o, b) in to.iter_mut().zip(src.chunks_exact(4)) {
                                    *o = f32::from_le_bytes([b[0], b[1], b[2], b[3]]);
                                }
                                continue;
                            }
                            for &(c, j) in picks {
                                let at = ((c - c0) * 4) as usize;
                                let mut b = [0u8; 4];
                                b.copy_from_slice(&row[at..at + 4]);
                                out_row[j] = f32::from_le_bytes(b);
                            }
                        }
                    }
                    Ok::<(), String>(())
                })
            })?;
        Ok(out)
    }
}

/// The sum of little-endian float32 values as float64, eight lanes at a time.
fn sum_f32_le(bytes: &[u8]) -> f64 {
    let mut acc = [0f64; 8];
    let mut blocks = bytes.chunks_exact(32);
    for b in &mut blocks {
        for (k, a) in acc.iter_mut().enumerate() {
            *a += f64::from(f32::from_le_bytes([
                b[4 * k],
                b[4 * k + 1],
                b[4 * k + 2],
                b[4 * k + 3],
            ]));
        }
    }
    let rest: f64 = blocks
        .remainder()
        .chunks_exact(4)
        .map(|b| f64::from(f32::from_le_bytes([b[0], b[1], b[2], b[3]])))
        .sum();
    acc.iter().sum::<f64>() + rest
}
