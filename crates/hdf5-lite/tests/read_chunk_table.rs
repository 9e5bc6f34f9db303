//! Window after window of one dataset: the reads after the first look their chunks up in
//! the dataset's listed chunk records instead of walking the chunk B-tree again; they
//! give exactly what a fresh dataset (which walks it) gives, with chunks missing.

// Test helpers outside #[test] functions may unwrap: a failure there is a test failure.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use hdf5_lite::format::messages::{ByteOrder, Datatype};
use hdf5_lite::read::{File, Hyperslab, Indices};
use hdf5_lite::write::{DatasetSpec, MemFile, Writer};

const SHAPE: [u64; 2] = [61, 83];

/// A 61 x 83 float32 matrix in 4 x 5 chunks (a B-tree of several levels), deflated,
/// with two boxes written (the other chunks are missing and read as the fill value).
fn matrix() -> File {
    let mem = MemFile::new();
    let mut w = Writer::create_in(Arc::new(mem.clone())).unwrap();
    let spec = DatasetSpec::new(
        Datatype::Float {
            size: 4,
            order: ByteOrder::Little,
        },
        &SHAPE,
    )
    .chunks(&[4, 5])
    .deflate(1)
    .fill_value(&(-1.5f32).to_le_bytes());
    w.create_dataset("/m", &spec).unwrap();
    for (start, count) in [([0, 0], [40, 50]), ([30, 60], [31, 23])] {
        let mut bytes = Vec::new();
        for i in start[0]..start[0] + count[0] {
            for j in start[1]..start[1] + count[1] {
                bytes.extend_from_slice(&((i * 1000 + j) as f32).to_le_bytes());
            }
        }
        let sel = Hyperslab {
            start: start.to_vec(),
            count: count.to_vec(),
        };
        w.write_raw("/m", &sel, &bytes).unwrap();
    }
    w.close().unwrap();
    File::from_bytes(mem.to_bytes()).unwrap()
}

#[test]
fn window_reads_match_fresh_datasets() {
    let file = matrix();
    let kept = file.dataset("/m").unwrap();
    let all = |n: u64| Indices::Range { start: 0, count: n };
    let mut windows: Vec<[Indices<'_>; 2]> = Vec::new();
    for c in (0..SHAPE[1]).step_by(7) {
        let count = 7.min(SHAPE[1] - c);
        windows.push([all(SHAPE[0]), Indices::Range { start: c, count }]);
    }
    for r in (0..SHAPE[0]).step_by(9) {
        let count = 9.min(SHAPE[0] - r);
        windows.push([Indices::Range { start: r, count }, all(SHAPE[1])]);
    }
    let rows = [60, 3, 3, 31, 0];
    let cols = [82, 1, 49, 50, 77];
    windows.push([Indices::List(&rows), Indices::List(&cols)]);
    windows.push([Indices::List(&rows), all(SHAPE[1])]);
    for (k, sel) in windows.iter().enumerate() {
        let fresh = file.dataset("/m").unwrap().read_orthogonal::<f32>(sel);
        let got = kept.read_orthogonal::<f32>(sel);
        assert_eq!(got.unwrap(), fresh.unwrap(), "window {k}");
    }
    // Spot values: a written element, and one of a missing chunk.
    let one = kept
        .read_orthogonal::<f32>(&[Indices::List(&[35, 35]), Indices::List(&[70, 55])])
        .unwrap();
    assert_eq!(
        one.into_raw_vec_and_offset().0,
        [35070.0, -1.5, 35070.0, -1.5]
    );
    // Every chunk record, listed from the table or walked: the same.
    let fresh = file.dataset("/m").unwrap().chunk_records().unwrap();
    assert_eq!(kept.chunk_records().unwrap(), fresh);
    assert_eq!(fresh.len(), 10 * 10 + 9 * 5);
}
