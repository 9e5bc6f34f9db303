//! Tests of selections and the runs of a box.

use super::*;

fn runs(sel: &Selection, origin: &[u64], dims: &[u64]) -> Vec<(usize, usize, usize)> {
    let shape = sel.shape();
    let mut out = Vec::new();
    if let Some(b) = BoxRuns::new(sel, origin, dims, &shape) {
        b.for_each(|s, d, n| {
            out.push((s, d, n));
            Ok(())
        })
        .unwrap();
    }
    out
}

#[test]
fn lists_and_ranges_map_to_runs() {
    // Rows [5, 1, 2] x columns 3..7 of a 10 x 10 dataset; the chunk at (0, 4) of 4 x 4.
    let rows = [5u64, 1, 2];
    let sel = Selection::new(
        &[Indices::List(&rows), Indices::Range { start: 3, count: 4 }],
        &[10, 10],
        "/d",
    )
    .unwrap();
    assert_eq!(sel.shape(), vec![3, 4]);
    // Rows 1 and 2 (output rows 1, 2), columns 4..7 (output columns 1..4).
    assert_eq!(runs(&sel, &[0, 4], &[4, 4]), vec![(4, 5, 3), (8, 9, 3)]);
    let b = BoxRuns::new(&sel, &[0, 4], &[4, 4], &[3, 4]).unwrap();
    assert_eq!(b.prefix(), 2 * 4 + 2 + 1);
    // Row 5 lives in the chunk at (4, 0): column 3 only.
    assert_eq!(runs(&sel, &[4, 0], &[4, 4]), vec![(7, 0, 1)]);
    assert!(runs(&sel, &[8, 0], &[4, 4]).is_empty());
}

#[test]
fn repeats_and_order_break_runs() {
    let cols = [3u64, 2, 2, 1];
    let sel = Selection::new(
        &[Indices::Range { start: 0, count: 1 }, Indices::List(&cols)],
        &[1, 4],
        "/d",
    )
    .unwrap();
    let mut got = runs(&sel, &[0, 0], &[1, 4]);
    got.sort_unstable();
    assert_eq!(got, vec![(1, 3, 1), (2, 1, 1), (2, 2, 1), (3, 0, 1)]);
    let sets = sel.chunk_sets(&[1, 2]);
    assert!(matches!(&sets[1], ChunkSet::List(v) if v == &[0, 1]));
}

#[test]
fn bad_selections_are_errors() {
    let shape = [4u64, 4];
    let r = Indices::Range { start: 0, count: 4 };
    assert!(Selection::new(&[r], &shape, "/d").is_err());
    assert!(Selection::new(&[r, Indices::List(&[4])], &shape, "/d").is_err());
    let over = Indices::Range {
        start: u64::MAX,
        count: 2,
    };
    assert!(Selection::new(&[r, over], &shape, "/d").is_err());
    let s = Selection::new(&[r, Indices::List(&[])], &shape, "/d").unwrap();
    assert!(s.is_empty());
    assert_eq!(s.len(), Some(0));
}

/// The (box element, output position) pairs of every selected element, from the runs
/// (of the box as stored, or transposed).
fn pairs(sel: &Selection, origin: &[u64], dims: &[u64], turned: bool) -> Vec<(usize, usize)> {
    let mut got = Vec::new();
    let mut runs = BoxRuns::new(sel, origin, dims, &sel.shape()).unwrap();
    if turned {
        runs.on_transposed(dims);
    }
    let step = runs.step();
    runs.for_each(|s, d, n| {
        got.extend((0..n).map(|k| (s + k * step, d + k)));
        Ok(())
    })
    .unwrap();
    got
}

#[test]
fn matrix_boxes_under_a_row_range_map_every_element() {
    // Rows 3..9 of a 10 x 12 matrix (a range: one run per row), with a range or a
    // list of columns, in C and F order; the box at (4, 4) of 4 x 4.
    let cols = [7u64, 4, 5, 11, 6];
    for (col_sel, col_picks) in [
        (Indices::Range { start: 2, count: 9 }, (2..11).collect()),
        (Indices::List(&cols), cols.to_vec()),
    ] {
        let rows = Indices::Range { start: 3, count: 6 };
        let row_picks: Vec<u64> = (3..9).collect();
        for f_order in [false, true] {
            let mut sel = Selection::new(&[rows, col_sel], &[10, 12], "/d").unwrap();
            if f_order {
                sel = sel.in_f_order();
            }
            for turned in [false, true] {
                let mut got = pairs(&sel, &[4, 4], &[4, 4], turned);
                got.sort_unstable();
                let mut want = Vec::new();
                for (i, &r) in row_picks.iter().enumerate() {
                    for (j, &c) in col_picks.iter().enumerate() {
                        if (4..8).contains(&r) && (4..8).contains(&c) {
                            let dst = if f_order {
                                j * row_picks.len() + i
                            } else {
                                i * col_picks.len() + j
                            };
                            let (r, c) = ((r - 4) as usize, (c - 4) as usize);
                            want.push((if turned { c * 4 + r } else { r * 4 + c }, dst));
                        }
                    }
                }
                want.sort_unstable();
                // Rows 4..8 and columns 4..8 (both selections) in the box.
                assert_eq!(want.len(), 16);
                assert_eq!(got, want, "{col_sel:?}, f_order {f_order}, turned {turned}");
            }
        }
    }
}

#[test]
fn boxes_of_high_rank_map_every_element() {
    // Rank 6 (past the in-place lists), a range and lists with repeats, C and F order:
    // the runs put each selected element of the box at its place in the output.
    let shape = [3u64, 4, 2, 6, 3, 8];
    let (origin, dims) = ([0u64, 2, 0, 3, 0, 4], [3u64, 2, 2, 3, 3, 4]);
    let (l1, l4) = ([3u64, 2, 3, 0], [5u64, 4, 1]);
    let sel = [
        Indices::Range { start: 1, count: 2 },
        Indices::List(&l1),
        Indices::Range { start: 0, count: 2 },
        Indices::List(&l4),
        Indices::Range { start: 0, count: 3 },
        Indices::Range { start: 2, count: 4 },
    ];
    let picks: [Vec<u64>; 6] = [
        vec![1, 2],
        l1.to_vec(),
        vec![0, 1],
        l4.to_vec(),
        vec![0, 1, 2],
        vec![2, 3, 4, 5],
    ];
    for f_order in [false, true] {
        let mut c = Selection::new(&sel, &shape, "/d").unwrap();
        if f_order {
            c = c.in_f_order();
        }
        let out_shape = c.shape();
        let mut got = Vec::new();
        let runs = BoxRuns::new(&c, &origin, &dims, &out_shape).unwrap();
        let step = runs.step();
        runs.for_each(|s, d, n| {
            got.extend((0..n).map(|k| (s + k * step, d + k)));
            Ok(())
        })
        .unwrap();
        got.sort_unstable();
        let mut want = Vec::new();
        let mut at = [0usize; 6];
        'all: loop {
            let idx: Vec<u64> = (0..6).map(|d| picks[d][at[d]]).collect();
            if (0..6).all(|d| idx[d] >= origin[d] && idx[d] < origin[d] + dims[d]) {
                let src = (0..6).fold(0, |a, d| a * dims[d] + idx[d] - origin[d]);
                let dst = if f_order {
                    (0..6).rev().fold(0, |a, d| a * out_shape[d] + at[d] as u64)
                } else {
                    (0..6).fold(0, |a, d| a * out_shape[d] + at[d] as u64)
                };
                want.push((src as usize, dst as usize));
            }
            for d in (0..6).rev() {
                at[d] += 1;
                if at[d] < picks[d].len() {
                    continue 'all;
                }
                at[d] = 0;
            }
            break;
        }
        want.sort_unstable();
        assert_eq!(got.len(), 2 * 3 * 2 * 2 * 3 * 2, "f_order {f_order}");
        assert_eq!(got, want, "f_order {f_order}");
    }
}
