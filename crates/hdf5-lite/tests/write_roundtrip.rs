//! Property tests of the writer: random datasets (type, shape, chunking, compression,
//! unlimited dimensions) and random sequences of writes, resizes and commit/reopen
//! cycles read back exactly as an in-memory model says they should.

// Test helpers outside #[test] functions may unwrap: a failure there is a test failure.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use hdf5_lite::format::messages::{ByteOrder, Datatype};
use hdf5_lite::read::{File, Hyperslab};
use hdf5_lite::write::{DatasetSpec, MemFile, Writer};
use proptest::prelude::*;

/// A dense model of one dataset: its shape and elements.
#[derive(Debug, Clone)]
struct Model {
    dims: Vec<u64>,
    elem: usize,
    bytes: Vec<u8>,
    fill: Vec<u8>,
}

impl Model {
    fn index(&self, idx: &[u64]) -> usize {
        let mut i = 0u64;
        for (d, &x) in idx.iter().enumerate() {
            i = i * self.dims[d] + x;
        }
        i as usize * self.elem
    }

    fn for_each(dims: &[u64], mut f: impl FnMut(&[u64])) {
        if dims.contains(&0) {
            return;
        }
        let mut idx = vec![0u64; dims.len()];
        loop {
            f(&idx);
            let mut d = dims.len();
            loop {
                if d == 0 {
                    return;
                }
                d -= 1;
                idx[d] += 1;
                if idx[d] < dims[d] {
                    break;
                }
                idx[d] = 0;
            }
        }
    }

    fn write(&mut self, sel: &Hyperslab, data: &[u8]) {
        let mut k = 0;
        let elem = self.elem;
        Self::for_each(&sel.count, |rel| {
            let abs: Vec<u64> = rel.iter().zip(&sel.start).map(|(r, s)| r + s).collect();
            let at = self.index(&abs);
            self.bytes[at..at + elem].copy_from_slice(&data[k..k + elem]);
            k += elem;
        });
    }

    fn resize(&mut self, dims: &[u64]) {
        let mut next = Model {
            dims: dims.to_vec(),
            elem: self.elem,
            bytes: Vec::new(),
            fill: self.fill.clone(),
        };
        let n: u64 = dims.iter().product();
        next.bytes = self.fill.repeat(n as usize);
        let overlap: Vec<u64> = dims
            .iter()
            .zip(&self.dims)
            .map(|(a, b)| *a.min(b))
            .collect();
        Self::for_each(&overlap, |idx| {
            let (from, to) = (self.index(idx), next.index(idx));
            next.bytes[to..to + self.elem].copy_from_slice(&self.bytes[from..from + self.elem]);
        });
        *self = next;
    }
}

#[derive(Debug, Clone)]
enum Op {
    Write {
        start: Vec<u64>,
        count: Vec<u64>,
        seed: u8,
    },
    Resize(Vec<u64>),
    CommitAndReopen,
}

#[derive(Debug, Clone)]
struct Case {
    datatype: Datatype,
    shape: Vec<u64>,
    chunks: Option<Vec<u64>>,
    unlimited: Vec<bool>,
    deflate: Option<u32>,
    shuffle: bool,
    fletcher32: bool,
    fill: Option<u8>,
    ops: Vec<Op>,
}

fn datatype() -> impl Strategy<Value = Datatype> {
    let order = prop_oneof![Just(ByteOrder::Little), Just(ByteOrder::Big)];
    prop_oneof![
        (
            prop::sample::select(vec![1u32, 2, 4, 8]),
            any::<bool>(),
            order.clone()
        )
            .prop_map(|(size, signed, order)| Datatype::Integer {
                size,
                signed,
                order
            }),
        (prop::sample::select(vec![4u32, 8]), order)
            .prop_map(|(size, order)| Datatype::Float { size, order }),
    ]
}

fn case() -> impl Strategy<Value = Case> {
    (
        datatype(),
        prop::collection::vec(0u64..9, 1..=3),
        any::<bool>(),
    )
        .prop_flat_map(|(datatype, shape, chunked)| {
            let rank = shape.len();
            let chunks = if chunked {
                prop::collection::vec(1u64..5, rank).prop_map(Some).boxed()
            } else {
                Just(None).boxed()
            };
            let unlimited = prop::collection::vec(any::<bool>(), rank);
            let filters = (
                prop::option::of(0u32..10),
                any::<bool>(),
                any::<bool>(),
                prop::option::of(any::<u8>()),
            );
            (Just(datatype), Just(shape), chunks, unlimited, filters)
        })
        .prop_flat_map(
            |(datatype, shape, chunks, unlimited, (deflate, shuffle, fletcher32, fill))| {
                let chunked = chunks.is_some();
                let unlimited: Vec<bool> = unlimited.into_iter().map(|u| u && chunked).collect();
                let ops = prop::collection::vec(op(shape.len()), 0..6);
                (
                    Just(datatype),
                    Just(shape),
                    Just(chunks),
                    Just(unlimited),
                    Just((deflate, shuffle, fletcher32, fill)),
                    ops,
                )
            },
        )
        .prop_map(
            |(datatype, shape, chunks, unlimited, (deflate, shuffle, fletcher32, fill), ops)| {
                let chunked = chunks.is_some();
                Case {
                    datatype,
                    shape,
                    chunks,
                    unlimited,
                    deflate: deflate.filter(|_| chunked),
                    shuffle: shuffle && chunked,
                    fletcher32: fletcher32 && chunked,
                    fill,
                    ops,
                }
            },
        )
}

fn op(rank: usize) -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (prop::collection::vec(0u64..12, rank), prop::collection::vec(0u64..12, rank), any::<u8>())
            .prop_map(|(start, count, seed)| Op::Write { start, count, seed }),
        1 => prop::collection::vec(0u64..12, rank).prop_map(Op::Resize),
        1 => Just(Op::CommitAndReopen),
    ]
}

fn bytes(n: usize, seed: u8) -> Vec<u8> {
    (0..n)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}

fn run(case: &Case) -> Result<(), TestCaseError> {
    let elem = case.datatype.size() as usize;
    let fill = case.fill.map(|b| vec![b; elem]);
    let mem = MemFile::new();
    let mut w = Writer::create_in(Arc::new(mem.clone())).unwrap();
    let maxshape: Vec<Option<u64>> = case
        .shape
        .iter()
        .zip(&case.unlimited)
        .map(|(&d, &u)| if u { None } else { Some(d) })
        .collect();
    let mut spec = DatasetSpec::new(case.datatype.clone(), &case.shape).maxshape(&maxshape);
    if let Some(c) = &case.chunks {
        spec = spec.chunks(c);
    }
    if let Some(level) = case.deflate {
        spec = spec.deflate(level);
    }
    if case.shuffle {
        spec = spec.shuffle();
    }
    if case.fletcher32 {
        spec = spec.fletcher32();
    }
    if let Some(f) = &fill {
        spec = spec.fill_value(f);
    }
    w.create_dataset("/d", &spec).unwrap();
    let fill_bytes = fill.clone().unwrap_or_else(|| vec![0; elem]);
    let n: u64 = case.shape.iter().product();
    let mut model = Model {
        dims: case.shape.clone(),
        elem,
        bytes: fill_bytes.repeat(n as usize),
        fill: fill_bytes,
    };
    for op in &case.ops {
        match op {
            Op::Write { start, count, seed } => {
                let sel = Hyperslab {
                    start: start
                        .iter()
                        .zip(&model.dims)
                        .map(|(s, d)| s % (d + 1))
                        .collect(),
                    count: count.clone(),
                };
                let sel = Hyperslab {
                    count: sel
                        .count
                        .iter()
                        .zip(&sel.start)
                        .zip(&model.dims)
                        .map(|((c, s), d)| c % (d - s + 1))
                        .collect(),
                    ..sel
                };
                let data = bytes(sel.count.iter().product::<u64>() as usize * elem, *seed);
                w.write_raw("/d", &sel, &data).unwrap();
                model.write(&sel, &data);
            }
            Op::Resize(dims) => {
                // Within the maximum shape (unlimited, or the creation shape), and only
                // chunked datasets change shape.
                let within = dims
                    .iter()
                    .zip(&case.shape)
                    .zip(&case.unlimited)
                    .all(|((n, s), u)| *u || n <= s);
                let ok = *dims == model.dims || (case.chunks.is_some() && within);
                let result = w.resize("/d", dims);
                if ok {
                    result.unwrap();
                    model.resize(dims);
                } else {
                    prop_assert!(result.is_err(), "resize beyond the maximum shape must fail");
                }
            }
            Op::CommitAndReopen => {
                w.close().unwrap();
                w = Writer::open_in(Arc::new(mem.clone())).unwrap();
            }
        }
    }
    w.close().unwrap();
    let file = File::from_bytes(mem.to_bytes()).unwrap();
    let d = file.dataset("/d").unwrap();
    prop_assert_eq!(d.shape(), model.dims.as_slice());
    prop_assert_eq!(d.chunks().map(<[u64]>::to_vec), case.chunks.clone());
    prop_assert_eq!(d.read_raw().unwrap(), model.bytes);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn random_datasets_and_edits_match_the_model(case in case()) {
        run(&case)?;
    }
}

#[test]
fn scalar_datasets_cannot_be_chunked() {
    let mut w = Writer::create_in(Arc::new(MemFile::new())).unwrap();
    let spec = DatasetSpec::new(
        Datatype::Integer {
            size: 4,
            signed: true,
            order: ByteOrder::Little,
        },
        &[],
    )
    .chunks(&[]);
    let err = w.create_dataset("/s", &spec).unwrap_err();
    assert!(matches!(err, hdf5_lite::Error::InvalidInput(_)), "{err}");
}
