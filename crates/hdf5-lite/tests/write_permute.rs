//! `Writer::permute`: a chunked dataset reordered along one dimension reads as the same
//! values moved, for any rank, chunk shape, filter pipeline, fill value and missing
//! chunks; a bad ordering is refused before anything changes.

// Test helpers outside #[test] functions may unwrap: a failure there is a test failure.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use hdf5_lite::read::Numeric;
use hdf5_lite::write::{DatasetSpec, MemFile, Writer};
use ndarray::Dimension;
use proptest::prelude::*;

/// `values` (C order, `shape`) with index `i` along `dim` taken from `ordering[i]`.
fn permuted(values: &[i32], shape: &[u64], dim: usize, ordering: &[u64]) -> Vec<i32> {
    let inner: u64 = shape[dim + 1..].iter().product();
    let n = shape[dim];
    (0..values.len() as u64)
        .map(|at| {
            let (outer, rest) = (at / (n * inner), at % (n * inner));
            let (i, e) = (rest / inner, rest % inner);
            values[((outer * n + ordering[i as usize]) * inner + e) as usize]
        })
        .collect()
}

/// What `/d` reads now.
fn read_d(w: &mut Writer) -> ndarray::ArrayD<i32> {
    w.reader()
        .unwrap()
        .dataset("/d")
        .unwrap()
        .read::<i32>()
        .unwrap()
}

/// A dataset of `shape` in chunks of `chunks` holding 1, 2, 3, … where written:
/// everything, or (`partial`) only its first half along dimension 0, the rest fill.
fn build(shape: &[u64], chunks: &[u64], pipeline: u8, partial: bool) -> (Writer, Vec<i32>) {
    let unlimited = vec![None; shape.len()];
    let mut spec = DatasetSpec::new(i32::datatype(), shape)
        .chunks(chunks)
        .maxshape(&unlimited);
    spec.fill_value = Some((-7i32).to_le_bytes().to_vec());
    spec = match pipeline {
        0 => spec,
        1 => spec.deflate(2),
        _ => spec.shuffle().deflate(4).fletcher32(),
    };
    let mut w = Writer::create_in(Arc::new(MemFile::new())).unwrap();
    w.create_dataset("/d", &spec).unwrap();
    let mut count = shape.to_vec();
    if partial {
        count[0] = shape[0] / 2;
    }
    let values: Vec<i32> = (1..=count.iter().product::<u64>() as i32).collect();
    w.write_numbers("/d", &vec![0; shape.len()], &count, &values)
        .unwrap();
    w.commit().unwrap();
    let before = read_d(&mut w);
    (w, before.into_raw_vec_and_offset().0)
}

fn case() -> impl Strategy<Value = (Vec<u64>, Vec<u64>, usize, u8, bool, u64)> {
    (1usize..=3)
        .prop_flat_map(|rank| {
            (
                proptest::collection::vec(1u64..=13, rank),
                proptest::collection::vec(1u64..=5, rank),
                0..rank,
                0u8..3,
                any::<bool>(),
                any::<u64>(),
            )
        })
        .prop_map(|(shape, chunks, dim, pipeline, partial, seed)| {
            (shape, chunks, dim, pipeline, partial, seed)
        })
}

/// A permutation of `0..n` from `seed` (Fisher–Yates with a small LCG).
fn shuffled(n: u64, mut seed: u64) -> Vec<u64> {
    let mut v: Vec<u64> = (0..n).collect();
    for i in (1..v.len()).rev() {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        v.swap(i, ((seed >> 33) % (i as u64 + 1)) as usize);
    }
    v
}

/// Permutes a dataset built by [`build`] along `dim` by `ordering` and returns what it
/// reads afterwards, what it should read, and what its chunks' slack past the end reads
/// once the dataset grows by one along every dimension.
fn permute_case(
    shape: &[u64],
    chunks: &[u64],
    dim: usize,
    pipeline: u8,
    partial: bool,
    ordering: &[u64],
) -> (Vec<i32>, Vec<i32>, Vec<i32>) {
    let (mut w, before) = build(shape, chunks, pipeline, partial);
    w.permute("/d", dim, ordering).unwrap();
    w.commit().unwrap();
    let after = read_d(&mut w);
    let grown: Vec<u64> = shape.iter().map(|n| n + 1).collect();
    w.resize("/d", &grown).unwrap();
    w.commit().unwrap();
    let all = read_d(&mut w);
    let slack = all
        .indexed_iter()
        .filter(|(at, _)| at.slice().iter().zip(shape).any(|(&i, &n)| i as u64 >= n))
        .map(|(_, &v)| v)
        .collect();
    (
        after.into_raw_vec_and_offset().0,
        permuted(&before, shape, dim, ordering),
        slack,
    )
}

proptest! {
    #[test]
    fn permute_moves_the_values((shape, chunks, dim, pipeline, partial, seed) in case()) {
        let ordering = shuffled(shape[dim], seed);
        let (after, want, slack) = permute_case(&shape, &chunks, dim, pipeline, partial, &ordering);
        prop_assert_eq!(after, want);
        // The chunks' slack past the end still reads as fill once the dataset grows.
        prop_assert!(slack.iter().all(|&v| v == -7), "{:?}", slack);
    }
}

/// Slabs shorter than a cache line: 4-byte ones whose slabs of one index in a chunk make
/// one, in chunks whose sides are multiples of 4 (turned: transposed before and after the
/// move), along the last or a middle dimension; and the rest (gathered row by row), with
/// missing chunks and shuffled ones.
#[test]
fn turned_chunks_move_the_values() {
    for (shape, chunks, dim) in [
        (vec![37u64, 70], vec![16u64, 8], 1),
        (vec![45, 53], vec![20, 12], 1),
        (vec![9, 7, 30], vec![4, 4, 8], 2),
        (vec![35, 13, 2], vec![16, 4, 1], 1),
        (vec![45, 23], vec![20, 6], 1),
        (vec![17, 40], vec![8, 8], 1),
    ] {
        for (pipeline, partial) in [(1, true), (2, false)] {
            let ordering = shuffled(shape[dim], shape[0] * 31 + u64::from(pipeline));
            let (after, want, slack) =
                permute_case(&shape, &chunks, dim, pipeline, partial, &ordering);
            assert_eq!(after, want, "{shape:?} in {chunks:?}, pipeline {pipeline}");
            assert!(slack.iter().all(|&v| v == -7), "{shape:?}: {slack:?}");
        }
    }
}

#[test]
fn a_bad_ordering_changes_nothing() {
    let (mut w, before) = build(&[6, 5], &[4, 2], 1, false);
    for (dim, ordering) in [
        (0, vec![0u64, 1, 2, 3, 4]),
        (0, vec![0, 1, 2, 3, 4, 4]),
        (0, vec![0, 1, 2, 3, 4, 6]),
        (1, vec![0, 1, 2, 3, 7]),
        (2, vec![0]),
    ] {
        assert!(
            w.permute("/d", dim, &ordering).is_err(),
            "{dim} {ordering:?}"
        );
    }
    w.commit().unwrap();
    let after = read_d(&mut w);
    assert_eq!(after.into_raw_vec_and_offset().0, before);
}

#[test]
fn contiguous_datasets_are_refused() {
    let mut w = Writer::create_in(Arc::new(MemFile::new())).unwrap();
    let spec = DatasetSpec::new(i32::datatype(), &[3, 2]);
    w.create_dataset("/c", &spec).unwrap();
    assert!(w.permute("/c", 0, &[2, 1, 0]).is_err());
}
