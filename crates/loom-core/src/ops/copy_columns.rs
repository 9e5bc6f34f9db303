//! Copying columns of one layer into another from a column on, as `add_loom`, `combine`
//! and `combine_faster` append files: in windows cut on the *target's* chunk grid, so
//! only the target chunk the first column lands in is partly covered (and read back),
//! each window read already gathered (columns picked, rows reordered) into one buffer
//! reused for every window.
//!
//! With the rows in order, a window is one band of target chunk rows by a few thousand
//! columns (about 1 MiB of float32): the chunks decoded into it are still in the core's
//! cache when the writer gathers and encodes them, where windows of every row (64 MiB)
//! went through memory twice (the combine benchmark spent 13% of its time there). With
//! the rows reordered, a band's rows come from anywhere in the source, so a window takes
//! every row.

use hdf5_lite::read::{Dataset, Indices, Numeric};
use hdf5_lite::write::Writer;

/// Elements per window of every row: about 16 M (64 MiB of float32). When the first
/// column does not land on a target chunk boundary, the source chunks are off the target
/// grid and each window decodes the source chunk column it ends in again in the next
/// window: wide windows keep that repeat small (1 in 14 chunk columns on 20,000 rows,
/// against 1 in 7 at 8 M).
const WINDOW_VALUES: u64 = 1 << 24;

/// Elements per window of a band of rows: 256 K (1 MiB of float32, within a core's L2
/// cache); 4,096 columns of a 64-row band, so the source chunk column decoded twice at
/// each window's edge is 1 in 64.
const BAND_VALUES: u64 = 1 << 18;

/// Where the columns go: the target dataset and its chunk shape.
pub(super) struct Target<'a> {
    /// The target dataset's path.
    pub(super) path: &'a str,
    /// Its chunks' height in rows.
    pub(super) chunk_rows: u64,
    /// Its chunks' width in columns.
    pub(super) chunk_cols: u64,
    /// The target column of the first copied column.
    pub(super) offset: u64,
}

/// Copies the columns `cols` of `source` (any order) to `target`, rows taken as
/// `rows` (source row of each target row) when given, else in order; `report` hears
/// how many of `cols` are done after each window.
pub(super) fn copy_columns<T: Numeric>(
    w: &mut Writer,
    source: &Dataset,
    target: &Target<'_>,
    cols: &[u64],
    rows: Option<&[u64]>,
    report: &dyn Fn(u64),
) -> hdf5_lite::Result<()> {
    let n = match source.shape() {
        [n, _] => *n,
        _ => return Ok(()),
    };
    if n == 0 || cols.is_empty() {
        return Ok(());
    }
    let band = match rows {
        Some(_) => n,
        None => band_rows(
            target.chunk_rows,
            source.chunks().and_then(|c| c.first().copied()),
        )
        .min(n),
    };
    let values = if band < n { BAND_VALUES } else { WINDOW_VALUES };
    let chunk = target.chunk_cols.max(1);
    let widest = ((values / band) / chunk).max(1) * chunk;
    let mut buf: Vec<T> = Vec::new();
    let mut k = 0usize;
    while k < cols.len() {
        let at = target.offset + k as u64;
        // The window ends on a target chunk boundary (or at the last column).
        let boundary = (at + widest) / chunk * chunk;
        let end = if boundary > at {
            boundary - target.offset
        } else {
            at + widest - target.offset
        };
        let end = usize::try_from(end).unwrap_or(usize::MAX).min(cols.len());
        let picked = &cols[k..end];
        let width = picked.len() as u64;
        let contiguous = picked.windows(2).all(|p| p[1] == p[0] + 1);
        let col_sel = if contiguous {
            Indices::Range {
                start: picked[0],
                count: width,
            }
        } else {
            Indices::List(picked)
        };
        let mut r0 = 0;
        while r0 < n {
            let height = band.min(n - r0);
            let row_sel = match rows {
                Some(r) => Indices::List(r),
                None => Indices::Range {
                    start: r0,
                    count: height,
                },
            };
            buf.resize((height * width) as usize, T::default());
            source.read_orthogonal_into(&[row_sel, col_sel], &mut buf)?;
            w.write_numbers(target.path, &[r0, at], &[height, width], &buf)?;
            r0 += height;
        }
        k = end;
        report(k as u64);
    }
    Ok(())
}

/// The rows of a band window: whole target chunks (so no target chunk is written in
/// parts), at least one source chunk high (so most source chunks are decoded once).
fn band_rows(target: u64, source: Option<u64>) -> u64 {
    let target = target.max(1);
    let source = source.unwrap_or(target).max(1);
    source.div_ceil(target) * target
}
