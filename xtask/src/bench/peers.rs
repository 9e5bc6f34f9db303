//! The other pure-Rust HDF5 readers on crates.io, each reading `/matrix` its own best
//! way: its parallel whole-dataset or hyperslab read where it has one, its plain one
//! otherwise. hdf5-reader reads a list of columns in one call
//! (`read_rows_columns_chunked_parallel`); the others have no list read, so a list is
//! read as one hyperslab per chunk column (or chunk row) of the listed indices, from
//! the first to the last listed index in it, and the listed ones are picked out (what
//! loom-core itself did before it had orthogonal reads).
//! Opening the file and the dataset is untimed setup; the read and the picking are timed.
//!
//! Built with `--features peers` (the `cargo bench-all` alias); without it this module
//! only says that the peers were not built. Cargo unifies `flate2`'s features, so in that
//! build every crate inflates with zlib-rs and its runtime CPU detection, as loom-rs does.

use super::child::Axis;

/// The peers, in the order the report lists them.
pub const NAMES: &[&str] = &[
    "hdf5-reader",
    "hdf5-pure-rust",
    "rust-hdf5",
    "hdf5-pure",
    "rustyhdf5",
];

/// Reads `rows` x `cols` of `/matrix` with `peer`, printing the `BENCH` line (or
/// `BENCH skip` for an op the peer has no API for).
#[cfg(feature = "peers")]
pub fn run(peer: &str, path: &str, rows: &Axis, cols: &Axis) -> Result<(), String> {
    imp::run(peer, path, rows, cols)
}

/// Without the `peers` feature: every peer op is skipped.
#[cfg(not(feature = "peers"))]
pub fn run(_peer: &str, _path: &str, _rows: &Axis, _cols: &Axis) -> Result<(), String> {
    println!("BENCH skip");
    Ok(())
}

#[cfg(feature = "peers")]
mod imp {
    use super::super::child::{measure_dense, Axis};

    /// A rectangle read: (row start, rows, column start, columns) to row-major values.
    type Rect<'a> = dyn Fn(u64, u64, u64, u64) -> Result<Vec<f32>, String> + 'a;

    fn err(e: impl std::fmt::Display) -> String {
        e.to_string()
    }

    pub fn run(peer: &str, path: &str, rows: &Axis, cols: &Axis) -> Result<(), String> {
        // Shape and chunk shape from hdf5-lite (untimed), to group list indices.
        let (shape, chunks) = {
            let f = hdf5_lite::read::File::open(path).map_err(err)?;
            let d = f.dataset("/matrix").map_err(err)?;
            let c = d
                .chunks()
                .map(<[u64]>::to_vec)
                .unwrap_or_else(|| vec![1, 1]);
            (d.shape().to_vec(), c)
        };
        let (n, m) = (shape[0], shape[1]);
        let full = rows.range(n) == Some((0, n)) && cols.range(m) == Some((0, m));
        let row_ranges = rows.range(n).is_some() && cols.range(m) == Some((0, m));
        match peer {
            "hdf5-reader" => {
                use hdf5_reader::{Hdf5File, SliceInfo, SliceInfoElem};
                let file = Hdf5File::open(path).map_err(err)?;
                let ds = file.dataset("/matrix").map_err(err)?;
                if full {
                    return measure_dense(|| {
                        let a = ds.read_array_parallel::<f32>().map_err(err)?;
                        Ok(a.into_raw_vec_and_offset().0)
                    });
                }
                if let (Some((r0, nr)), Axis::List(list)) = (rows.range(n), cols) {
                    return measure_dense(|| {
                        ds.read_rows_columns_chunked_parallel::<f32>((r0, r0 + nr, 1), list)
                            .map_err(err)?
                            .map(|a| a.into_raw_vec_and_offset().0)
                            .ok_or_else(|| "/matrix is not a chunked 2-D dataset".to_string())
                    });
                }
                let rect = |r0: u64, nr: u64, c0: u64, nc: u64| {
                    let sel = SliceInfo {
                        selections: vec![
                            SliceInfoElem::Slice {
                                start: r0,
                                end: r0 + nr,
                                step: 1,
                            },
                            SliceInfoElem::Slice {
                                start: c0,
                                end: c0 + nc,
                                step: 1,
                            },
                        ],
                    };
                    let a = ds.read_slice_parallel::<f32>(&sel).map_err(err)?;
                    Ok(a.into_raw_vec_and_offset().0)
                };
                timed(rows, cols, &shape, &chunks, &rect)
            }
            "hdf5-pure-rust" => {
                let file = hdf5_pure_rust::File::open(path).map_err(err)?;
                let ds = file.dataset("/matrix").map_err(err)?;
                let rect = |r0: u64, nr: u64, c0: u64, nc: u64| {
                    let (r0, nr, c0, nc) = (r0 as usize, nr as usize, c0 as usize, nc as usize);
                    ds.read_slice::<f32, _>((r0..r0 + nr, c0..c0 + nc))
                        .map_err(err)
                };
                timed(rows, cols, &shape, &chunks, &rect)
            }
            "rust-hdf5" => {
                let file = rust_hdf5::H5File::open(path).map_err(err)?;
                let ds = file.dataset("/matrix").map_err(err)?;
                let rect = |r0: u64, nr: u64, c0: u64, nc: u64| {
                    let (r0, nr, c0, nc) = (r0 as usize, nr as usize, c0 as usize, nc as usize);
                    ds.read_slice::<f32>(&[r0, c0], &[nr, nc]).map_err(err)
                };
                timed(rows, cols, &shape, &chunks, &rect)
            }
            // Whole rows only (`read_raw_rows`).
            "hdf5-pure"
                if row_ranges
                    || (matches!(rows, Axis::List(_)) && cols.range(m) == Some((0, m))) =>
            {
                let file = hdf5_pure::File::open(path).map_err(err)?;
                let ds = file.dataset("/matrix").map_err(err)?;
                let rect = |r0: u64, nr: u64, _c0: u64, _nc: u64| {
                    let raw = ds.read_raw_rows(r0, nr).map_err(err)?;
                    Ok(raw
                        .chunks_exact(4)
                        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                        .collect())
                };
                timed(rows, cols, &shape, &chunks, &rect)
            }
            // Whole datasets only (`read_f32`).
            "rustyhdf5" if full => {
                let file = rustyhdf5::File::open(path).map_err(err)?;
                let ds = file.dataset("/matrix").map_err(err)?;
                let rect = |_: u64, _: u64, _: u64, _: u64| ds.read_f32().map_err(err);
                timed(rows, cols, &shape, &chunks, &rect)
            }
            _ => {
                println!("BENCH skip");
                Ok(())
            }
        }
    }

    /// Times the read of `rows` x `cols` through rectangle reads.
    fn timed(
        rows: &Axis,
        cols: &Axis,
        shape: &[u64],
        chunks: &[u64],
        rect: &Rect<'_>,
    ) -> Result<(), String> {
        measure_dense(|| assemble(rows, cols, shape, chunks, rect))
    }

    /// `rows` x `cols` (at most one of them a list) from rectangle reads: one for two
    /// ranges, else one per chunk of the listed indices.
    fn assemble(
        rows: &Axis,
        cols: &Axis,
        shape: &[u64],
        chunks: &[u64],
        rect: &Rect<'_>,
    ) -> Result<Vec<f32>, String> {
        let (n, m) = (shape[0], shape[1]);
        match (rows.range(n), cols.range(m), rows, cols) {
            (Some((r0, nr)), Some((c0, nc)), _, _) => rect(r0, nr, c0, nc),
            (Some((r0, nr)), None, _, Axis::List(list)) => {
                let mut out = vec![0f32; nr as usize * list.len()];
                for (lo, hi, members) in groups(list, chunks[1]) {
                    let w = (hi - lo + 1) as usize;
                    let block = rect(r0, nr, lo, hi - lo + 1)?;
                    for r in 0..nr as usize {
                        for &(j, c) in &members {
                            out[r * list.len() + j] = block[r * w + (c - lo) as usize];
                        }
                    }
                }
                Ok(out)
            }
            (None, Some((c0, nc)), Axis::List(list), _) => {
                let nc = nc as usize;
                let mut out = vec![0f32; list.len() * nc];
                for (lo, hi, members) in groups(list, chunks[0]) {
                    let block = rect(lo, hi - lo + 1, c0, nc as u64)?;
                    for &(i, r) in &members {
                        let at = (r - lo) as usize * nc;
                        out[i * nc..(i + 1) * nc].copy_from_slice(&block[at..at + nc]);
                    }
                }
                Ok(out)
            }
            _ => Err("two index lists".to_string()),
        }
    }

    /// The listed indices in one chunk: (first, last, [(output position, index)]).
    type Group = (u64, u64, Vec<(usize, u64)>);

    /// Sorted `list` grouped by chunk of `c`.
    fn groups(list: &[u64], c: u64) -> Vec<Group> {
        let mut out: Vec<Group> = Vec::new();
        for (k, &i) in list.iter().enumerate() {
            match out.last_mut() {
                Some((lo, hi, members)) if *lo / c == i / c => {
                    *hi = i;
                    members.push((k, i));
                }
                _ => out.push((i, i, vec![(k, i)])),
            }
        }
        out
    }
}
