//! Orthogonal selections (a range or an index list per dimension) read back exactly what a
//! dense model holds, in C and F order, for contiguous and chunked datasets with every
//! filter, partly written (missing chunks read as the fill value).

// Test helpers outside #[test] functions may unwrap: a failure there is a test failure.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use hdf5_lite::format::messages::{ByteOrder, Datatype};
use hdf5_lite::read::{File, Hyperslab, Indices};
use hdf5_lite::write::{DatasetSpec, MemFile, Writer};
use ndarray::Dimension;
use proptest::prelude::*;

/// One dimension of a selection as generated: a range or a list.
#[derive(Debug, Clone)]
enum Axis {
    Range(u64, u64),
    List(Vec<u64>),
}

impl Axis {
    fn indices(&self) -> Indices<'_> {
        match self {
            Axis::Range(start, count) => Indices::Range {
                start: *start,
                count: *count,
            },
            Axis::List(v) => Indices::List(v),
        }
    }

    fn values(&self) -> Vec<u64> {
        match self {
            Axis::Range(start, count) => (*start..start + count).collect(),
            Axis::List(v) => v.clone(),
        }
    }
}

#[derive(Debug, Clone)]
struct Case {
    big_endian: bool,
    shape: Vec<u64>,
    chunks: Option<Vec<u64>>,
    deflate: bool,
    shuffle: bool,
    fletcher32: bool,
    fill: i16,
    /// The written box: start and count per dimension (the rest keeps the fill value).
    written: (Vec<u64>, Vec<u64>),
    axes: Vec<Axis>,
}

fn axis(n: u64) -> impl Strategy<Value = Axis> {
    prop_oneof![
        (0..=n)
            .prop_flat_map(move |s| (Just(s), 0..=n - s))
            .prop_map(|(s, c)| Axis::Range(s, c)),
        prop::collection::vec(0..n.max(1), 0..8)
            .prop_map(move |v| Axis::List(v.into_iter().filter(|&i| i < n).collect())),
    ]
}

fn case() -> impl Strategy<Value = Case> {
    prop::collection::vec(1u64..9, 1..=3)
        .prop_flat_map(|shape| {
            let rank = shape.len();
            let chunks = prop::option::of(prop::collection::vec(1u64..5, rank));
            let written = shape
                .iter()
                .map(|&n| (0..=n).prop_flat_map(move |s| (Just(s), 0..=n - s)))
                .collect::<Vec<_>>();
            let axes = shape.iter().map(|&n| axis(n)).collect::<Vec<_>>();
            (
                Just(shape),
                chunks,
                any::<(bool, bool, bool, bool)>(),
                any::<i16>(),
                written,
                axes,
            )
        })
        .prop_map(
            |(shape, chunks, (be, deflate, shuffle, fletcher32), fill, written, axes)| {
                let chunked = chunks.is_some();
                Case {
                    big_endian: be,
                    shape,
                    chunks,
                    deflate: deflate && chunked,
                    shuffle: shuffle && chunked,
                    fletcher32: fletcher32 && chunked,
                    fill,
                    written: written.into_iter().unzip(),
                    axes,
                }
            },
        )
}

/// The model's value at `idx`: written elements are their C-order index in the dataset
/// times 3 minus 1000, the rest the fill value.
fn expected(case: &Case, idx: &[u64]) -> f64 {
    let (start, count) = &case.written;
    let inside = (0..idx.len()).all(|d| idx[d] >= start[d] && idx[d] < start[d] + count[d]);
    if !inside {
        return f64::from(case.fill);
    }
    let linear = idx
        .iter()
        .zip(&case.shape)
        .fold(0u64, |a, (&i, &n)| a * n + i);
    f64::from(linear as i16 * 3 - 1000)
}

/// Calls `f` with every index of the box at `start` of shape `count`, in C order.
fn for_each_in_box(start: &[u64], count: &[u64], mut f: impl FnMut(&[u64])) {
    if count.contains(&0) {
        return;
    }
    let mut idx = start.to_vec();
    loop {
        f(&idx);
        let mut d = idx.len();
        loop {
            if d == 0 {
                return;
            }
            d -= 1;
            idx[d] += 1;
            if idx[d] < start[d] + count[d] {
                break;
            }
            idx[d] = start[d];
        }
    }
}

fn run(case: &Case) -> Result<(), TestCaseError> {
    let order = if case.big_endian {
        ByteOrder::Big
    } else {
        ByteOrder::Little
    };
    let to_bytes = |v: i16| match order {
        ByteOrder::Big => v.to_be_bytes(),
        ByteOrder::Little => v.to_le_bytes(),
    };
    let dtype = Datatype::Integer {
        size: 2,
        signed: true,
        order,
    };
    let mem = MemFile::new();
    let mut w = Writer::create_in(Arc::new(mem.clone())).unwrap();
    let mut spec = DatasetSpec::new(dtype, &case.shape).fill_value(&to_bytes(case.fill));
    if let Some(c) = &case.chunks {
        spec = spec.chunks(c);
    }
    if case.deflate {
        spec = spec.deflate(4);
    }
    if case.shuffle {
        spec = spec.shuffle();
    }
    if case.fletcher32 {
        spec = spec.fletcher32();
    }
    w.create_dataset("/d", &spec).unwrap();
    let (start, count) = &case.written;
    let mut data = Vec::new();
    for_each_in_box(start, count, |idx| {
        data.extend_from_slice(&to_bytes(expected(case, idx) as i16));
    });
    let sel = Hyperslab {
        start: start.clone(),
        count: count.clone(),
    };
    w.write_raw("/d", &sel, &data).unwrap();
    w.close().unwrap();

    let file = File::from_bytes(mem.to_bytes()).unwrap();
    let ds = file.dataset("/d").unwrap();
    let indices: Vec<Indices<'_>> = case.axes.iter().map(Axis::indices).collect();
    let got = ds.read_orthogonal::<f64>(&indices).unwrap();
    let values: Vec<Vec<u64>> = case.axes.iter().map(Axis::values).collect();
    let shape: Vec<usize> = values.iter().map(Vec::len).collect();
    prop_assert_eq!(got.shape(), shape.as_slice());
    for (pos, &v) in got.indexed_iter() {
        let idx: Vec<u64> = pos
            .slice()
            .iter()
            .enumerate()
            .map(|(d, &p)| values[d][p])
            .collect();
        prop_assert_eq!(v, expected(case, &idx), "at {:?}", idx);
    }
    let mut into = vec![7i32; got.len()];
    ds.read_orthogonal_into(&indices, &mut into).unwrap();
    let as_f64: Vec<f64> = into.iter().map(|&v| f64::from(v)).collect();
    prop_assert_eq!(&as_f64, &got.iter().copied().collect::<Vec<f64>>());
    // F order: the same values with the first dimension varying fastest.
    let mut f_order = vec![7f32; got.len()];
    ds.read_orthogonal_into_f(&indices, &mut f_order).unwrap();
    let want: Vec<f32> = got
        .clone()
        .reversed_axes()
        .iter()
        .map(|&v| v as f32)
        .collect();
    prop_assert_eq!(f_order, want);
    // The first read of a dataset walks its chunk index, later ones look the chunks up in
    // the records the second listed: the same values.
    let again = ds.read_orthogonal::<f64>(&indices).unwrap();
    prop_assert_eq!(&again, &got);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn orthogonal_reads_match_the_model(case in case()) {
        run(&case)?;
    }
}

#[test]
fn wrong_buffers_and_indices_are_errors() {
    let mem = MemFile::new();
    let mut w = Writer::create_in(Arc::new(mem.clone())).unwrap();
    let spec = DatasetSpec::new(
        Datatype::Float {
            size: 4,
            order: ByteOrder::Little,
        },
        &[4, 6],
    )
    .chunks(&[2, 4])
    .deflate(1);
    w.create_dataset("/m", &spec).unwrap();
    let values: Vec<u8> = (0..24).flat_map(|i| (i as f32).to_le_bytes()).collect();
    w.write_raw("/m", &Hyperslab::all(&[4, 6]), &values)
        .unwrap();
    w.close().unwrap();
    let file = File::from_bytes(mem.to_bytes()).unwrap();
    let m = file.dataset("/m").unwrap();
    let all = Indices::Range { start: 0, count: 4 };
    let mut small = vec![0f32; 3];
    assert!(m
        .read_orthogonal_into(&[all, Indices::List(&[1])], &mut small)
        .is_err());
    assert!(m
        .read_orthogonal::<f32>(&[all, Indices::List(&[6])])
        .is_err());
    assert!(m.read_orthogonal::<f32>(&[all]).is_err());
    let got = m
        .read_orthogonal::<f32>(&[Indices::List(&[3, 0, 3]), Indices::List(&[5, 1])])
        .unwrap();
    assert_eq!(
        got.into_raw_vec_and_offset().0,
        vec![23.0, 19.0, 5.0, 1.0, 23.0, 19.0]
    );
}

#[test]
fn f_order_reads_transpose_float_chunks() {
    // float32 chunks of 4 x 8 (transposed in blocks of 4 x 4), edge chunks on both axes.
    let (n, m) = (10u64, 13u64);
    let mem = MemFile::new();
    let mut w = Writer::create_in(Arc::new(mem.clone())).unwrap();
    let dtype = Datatype::Float {
        size: 4,
        order: ByteOrder::Little,
    };
    let spec = DatasetSpec::new(dtype, &[n, m]).chunks(&[4, 8]).deflate(1);
    w.create_dataset("/m", &spec).unwrap();
    let values: Vec<u8> = (0..n * m).flat_map(|i| (i as f32).to_le_bytes()).collect();
    w.write_raw("/m", &Hyperslab::all(&[n, m]), &values)
        .unwrap();
    w.close().unwrap();
    let file = File::from_bytes(mem.to_bytes()).unwrap();
    let d = file.dataset("/m").unwrap();
    let picks = [9u64, 0, 4, 4];
    let selections = [
        [
            Indices::Range { start: 0, count: n },
            Indices::Range { start: 0, count: m },
        ],
        [
            Indices::Range { start: 3, count: 6 },
            Indices::Range { start: 8, count: 5 },
        ],
        [
            Indices::List(&picks),
            Indices::Range {
                start: 1,
                count: 12,
            },
        ],
    ];
    for sel in &selections {
        let c = d.read_orthogonal::<f32>(sel).unwrap();
        let mut f = vec![0f32; c.len()];
        d.read_orthogonal_into_f(sel, &mut f).unwrap();
        let want: Vec<f32> = c.reversed_axes().iter().copied().collect();
        assert_eq!(f, want, "{sel:?}");
        let mut wide = vec![0f64; f.len()];
        d.read_orthogonal_into_f(sel, &mut wide).unwrap();
        assert_eq!(wide, want.iter().map(|&v| f64::from(v)).collect::<Vec<_>>());
    }
}
