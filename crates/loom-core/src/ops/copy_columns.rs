//! Copying columns of one layer into another from a column on, as `add_loom`, `combine`
//! and `combine_faster` append files: in windows cut on the *target's* chunk grid, so
//! only the target chunk the first column lands in is partly covered (and read back),
//! each window read already gathered (columns picked, rows reordered) into one buffer
//! reused for every window.

use hdf5_lite::read::{Dataset, Indices, Numeric};
use hdf5_lite::write::Writer;

/// Elements per window: about 16 M (64 MiB of float32). When the first column does not
/// land on a target chunk boundary, the source chunks are off the target grid and each
/// window decodes the source chunk column it ends in again in the next window: wide
/// windows keep that repeat small (1 in 14 chunk columns on 20,000 rows, against 1 in 7
/// at 8 M).
const WINDOW_VALUES: u64 = 1 << 24;

/// Where the columns go: the target dataset and its chunk width.
pub(super) struct Target<'a> {
    /// The target dataset's path.
    pub(super) path: &'a str,
    /// Its chunks' width in columns.
    pub(super) chunk_cols: u64,
    /// The target column of the first copied column.
    pub(super) offset: u64,
}

/// Copies the columns `cols` of `source` (any order) to `target`, rows taken as
/// `rows` (source row of each target row) when given, else in order.
pub(super) fn copy_columns<T: Numeric>(
    w: &mut Writer,
    source: &Dataset,
    target: &Target<'_>,
    cols: &[u64],
    rows: Option<&[u64]>,
) -> hdf5_lite::Result<()> {
    let n = match source.shape() {
        [n, _] => *n,
        _ => return Ok(()),
    };
    if n == 0 || cols.is_empty() {
        return Ok(());
    }
    let chunk = target.chunk_cols.max(1);
    let widest = ((WINDOW_VALUES / n) / chunk).max(1) * chunk;
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
        let row_sel = match rows {
            Some(r) => Indices::List(r),
            None => Indices::Range { start: 0, count: n },
        };
        buf.resize((n * width) as usize, T::default());
        source.read_orthogonal_into(&[row_sel, col_sel], &mut buf)?;
        w.write_numbers(target.path, &[0, at], &[n, width], &buf)?;
        k = end;
    }
    Ok(())
}
