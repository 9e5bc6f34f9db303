//! Reading and writing arbitrary 2-D selections of a chunked or contiguous dataset
//! (loompy-api.md §3.4, §3.5, §4.2), chunk by chunk.
//!
//! A read is one orthogonal read in hdf5-lite, which decodes every needed chunk once, in
//! parallel, straight into the result. For writes, the wanted row indices are grouped by
//! the chunk row they fall in and the column indices by chunk column; a block with
//! repeated indices is read, updated in order and written back.

use hdf5_lite::read::{Dataset, Hyperslab, Indices, Numeric};
use hdf5_lite::write::Writer;
use ndarray::{Array2, ArrayView2};

use crate::error::{LoomError, Result};

/// Wanted indices that fall in one block of an axis.
#[derive(Debug)]
struct Group {
    /// Smallest wanted index in the block.
    lo: u64,
    /// Largest wanted index in the block.
    hi: u64,
    /// (position in the output, index in the dataset).
    members: Vec<(usize, u64)>,
}

/// Groups `wanted` (output order) by block. With `chunk = Some(c)` a block is a chunk of
/// `c` along the axis; with `None` blocks are runs of consecutive distinct indices.
fn plan(wanted: &[u64], chunk: Option<u64>) -> Vec<Group> {
    let mut sorted: Vec<(u64, usize)> = wanted.iter().enumerate().map(|(p, &i)| (i, p)).collect();
    sorted.sort_unstable();
    let mut groups: Vec<Group> = Vec::new();
    for (i, p) in sorted {
        let same = match (groups.last(), chunk) {
            (Some(g), Some(c)) => g.lo / c == i / c,
            (Some(g), None) => i <= g.hi + 1,
            (None, _) => false,
        };
        match groups.last_mut() {
            Some(g) if same => {
                g.hi = i;
                g.members.push((p, i));
            }
            _ => groups.push(Group {
                lo: i,
                hi: i,
                members: vec![(p, i)],
            }),
        }
    }
    groups
}

/// Chunk shape of a 2-D dataset, or `None` when it is not chunked.
fn chunk_shape(ds: &Dataset) -> Option<(u64, u64)> {
    match ds.chunks() {
        Some([r, c, ..]) if *r > 0 && *c > 0 => Some((*r, *c)),
        _ => None,
    }
}

/// One axis of an orthogonal read: a range for a run of consecutive increasing indices,
/// else the list.
pub(crate) fn indices(wanted: &[u64]) -> Indices<'_> {
    match run_start(wanted) {
        Some(start) => Indices::Range {
            start,
            count: wanted.len() as u64,
        },
        None => Indices::List(wanted),
    }
}

/// Checks that `ds` is 2-D and returns its shape.
pub(crate) fn shape2(ds: &Dataset) -> Result<(u64, u64)> {
    match ds.shape() {
        [n, m] => Ok((*n, *m)),
        other => Err(LoomError::InvalidInput(format!(
            "{} is not a matrix: its shape is {other:?}",
            ds.path()
        ))),
    }
}

/// Row and column groups for reading or writing `rows` × `cols` of `ds`.
fn plan2(ds: &Dataset, rows: &[u64], cols: &[u64]) -> (Vec<Group>, Vec<Group>) {
    match chunk_shape(ds) {
        Some((cr, cc)) => (plan(rows, Some(cr)), plan(cols, Some(cc))),
        // Contiguous: runs of rows, and one span of columns per run.
        None => (plan(rows, None), plan(cols, Some(u64::MAX))),
    }
}

/// The first index when `wanted` is a run of consecutive increasing indices.
pub(crate) fn run_start(wanted: &[u64]) -> Option<u64> {
    let first = *wanted.first()?;
    wanted
        .iter()
        .enumerate()
        .all(|(k, &i)| i == first + k as u64)
        .then_some(first)
}

/// Reads the rows `rows` and columns `cols` (dataset indices, already checked against
/// the shape, in output order) of the 2-D dataset `ds`, converted to `T`: one orthogonal
/// read in hdf5-lite, which decodes every needed chunk once, in parallel, straight into
/// the result (a run of consecutive indices is passed as a range).
pub(crate) fn read_selection<T: Numeric>(
    ds: &Dataset,
    rows: &[u64],
    cols: &[u64],
) -> Result<Array2<T>> {
    shape2(ds)?;
    ds.read_orthogonal::<T>(&[indices(rows), indices(cols)])?
        .into_dimensionality()
        .map_err(|e| LoomError::Selection(format!("{}: {e}", ds.path())))
}

/// Writes `values` (shape `rows.len()` × `cols.len()`) to rows `rows` and columns `cols`
/// of the dataset at `path`; where an index repeats, the last value given wins.
///
/// A rectangle is one hyperslab write. Otherwise, without repeated indices, each run of
/// consecutive rows × run of consecutive columns is written directly (the writer merges
/// partial chunks itself). Only selections with repeats read each touched block first,
/// update it in order and write it back.
pub(crate) fn write_selection<T: Numeric>(
    w: &mut Writer,
    ds: &Dataset,
    rows: &[u64],
    cols: &[u64],
    values: ArrayView2<T>,
) -> hdf5_lite::Result<()> {
    if rows.is_empty() || cols.is_empty() {
        return Ok(());
    }
    let path = ds.path().to_owned();
    if let (Some(r0), Some(c0)) = (run_start(rows), run_start(cols)) {
        // A window in standard layout is written as it is; others are gathered first.
        let flat: std::borrow::Cow<[T]> = match values.as_slice() {
            Some(s) => s.into(),
            None => values.iter().copied().collect::<Vec<T>>().into(),
        };
        return w.write_numbers(
            &path,
            &[r0, c0],
            &[rows.len() as u64, cols.len() as u64],
            &flat,
        );
    }
    let distinct = |g: &Group| g.members.windows(2).all(|p| p[0].1 != p[1].1);
    let (row_runs, col_runs) = (plan(rows, None), plan(cols, None));
    if row_runs.iter().all(distinct) && col_runs.iter().all(distinct) {
        for rg in &row_runs {
            for cg in &col_runs {
                // Members are sorted by index, and a run without repeats covers lo..=hi.
                let mut block: Vec<T> = Vec::with_capacity(rg.members.len() * cg.members.len());
                for &(pr, _) in &rg.members {
                    for &(pc, _) in &cg.members {
                        block.push(values.get((pr, pc)).copied().unwrap_or_default());
                    }
                }
                w.write_numbers(
                    &path,
                    &[rg.lo, cg.lo],
                    &[rg.hi - rg.lo + 1, cg.hi - cg.lo + 1],
                    &block,
                )?;
            }
        }
        return Ok(());
    }
    // Repeats: read each touched block, update it and write it back, all in the layer's
    // own type (bytes), so untouched elements are never converted. The values are
    // converted to that type once, exactly as a direct write converts them.
    let datatype = ds.datatype().clone();
    let size = datatype.size() as usize;
    let flat: Vec<T> = values.iter().copied().collect();
    let encoded = hdf5_lite::write::encode_numbers(&flat, &datatype)?;
    let ncols = values.ncols();
    let (row_groups, col_groups) = plan2(ds, rows, cols);
    for rg in &row_groups {
        for cg in &col_groups {
            let (h, wd) = (rg.hi - rg.lo + 1, cg.hi - cg.lo + 1);
            let sel = Hyperslab {
                start: vec![rg.lo, cg.lo],
                count: vec![h, wd],
            };
            let mut block = ds.read_raw_slice(&sel)?;
            // Members are sorted by (index, output position), so the last of a repeated
            // index is written last.
            for &(pr, r) in &rg.members {
                for &(pc, c) in &cg.members {
                    let at = ((r - rg.lo) * wd + (c - cg.lo)) as usize * size;
                    let from = (pr * ncols + pc) * size;
                    if let (Some(b), Some(v)) =
                        (block.get_mut(at..at + size), encoded.get(from..from + size))
                    {
                        b.copy_from_slice(v);
                    }
                }
            }
            w.write_raw(&path, &sel, &block)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plans_group_by_chunk_and_keep_output_positions() {
        let g = plan(&[70, 3, 64, 3, 63], Some(64));
        assert_eq!(g.len(), 2);
        assert_eq!((g[0].lo, g[0].hi), (3, 63));
        assert_eq!(g[0].members, vec![(1, 3), (3, 3), (4, 63)]);
        assert_eq!((g[1].lo, g[1].hi), (64, 70));
        let runs = plan(&[5, 1, 2, 3, 9], None);
        let spans: Vec<(u64, u64)> = runs.iter().map(|g| (g.lo, g.hi)).collect();
        assert_eq!(spans, vec![(1, 3), (5, 5), (9, 9)]);
        assert!(plan(&[], Some(4)).is_empty());
        assert_eq!(run_start(&[4, 5, 6]), Some(4));
        assert_eq!(run_start(&[4, 6]), None);
        assert_eq!(run_start(&[4, 4]), None);
        assert_eq!(run_start(&[]), None);
    }
}
