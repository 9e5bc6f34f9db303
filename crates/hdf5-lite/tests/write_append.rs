//! Appending columns to a chunked matrix over sessions, as loom's `add_columns` does: the
//! values read back after reopening, a crash at any write of an append leaves the old or
//! the new contents (and a failed append the file's bytes as they were), and edits that
//! leave the chunk records alone keep the committed chunk index where it is.

// Test helpers outside #[test] functions may unwrap: a failure there is a test failure.
#![allow(clippy::unwrap_used)]

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

mod support;
use support::Crashing;

use hdf5_lite::format::messages::Layout;
use hdf5_lite::read::{File, Numeric};
use hdf5_lite::write::{AttrValue, DatasetSpec, MemFile, StorageMut, Writer};
use proptest::prelude::*;

const ROWS: u64 = 37;
const CHUNK: [u64; 2] = [8, 8];

/// The value at (row, column) of a matrix grown by appends.
fn value(r: u64, c: u64) -> f32 {
    ((r * 131 + c * 7) % 1009) as f32 * 0.25
}

/// A file holding a `ROWS` × `cols` matrix with unlimited columns.
fn create(storage: Arc<dyn StorageMut>, cols: u64) -> hdf5_lite::Result<()> {
    let mut w = Writer::create_in(storage)?;
    let spec = DatasetSpec::new(f32::datatype(), &[ROWS, cols])
        .maxshape(&[Some(ROWS), None])
        .chunks(&CHUNK)
        .deflate(2);
    w.create_dataset("/matrix", &spec)?;
    let values: Vec<f32> = (0..ROWS * cols)
        .map(|i| value(i / cols, i % cols))
        .collect();
    w.write_numbers("/matrix", &[0, 0], &[ROWS, cols], &values)?;
    w.set_attribute("/matrix", "cols", &AttrValue::numbers(&[cols as i64], &[]))?;
    w.close()
}

/// One session appending `add` columns to a matrix of `cols`, in strips of `strip`
/// rows, as `add_columns` writes a dense block.
fn append(storage: Arc<dyn StorageMut>, cols: u64, add: u64, strip: u64) -> hdf5_lite::Result<()> {
    let mut w = Writer::open_in(storage)?;
    w.resize("/matrix", &[ROWS, cols + add])?;
    for r0 in (0..ROWS).step_by(strip as usize) {
        let n = strip.min(ROWS - r0);
        let block: Vec<f32> = (0..n * add)
            .map(|i| value(r0 + i / add, cols + i % add))
            .collect();
        w.write_numbers("/matrix", &[r0, cols], &[n, add], &block)?;
    }
    let total = (cols + add) as i64;
    w.set_attribute("/matrix", "cols", &AttrValue::numbers(&[total], &[]))?;
    w.close()
}

/// The matrix's values and its `cols` attribute, after checking they agree.
fn read_back(bytes: Vec<u8>) -> hdf5_lite::Result<(u64, Vec<f32>)> {
    let f = File::from_bytes(bytes)?;
    let d = f.dataset("/matrix")?;
    let cols = d.shape()[1];
    let stamp = d.attribute("cols")?.read::<i64>()?;
    assert_eq!(stamp.iter().copied().collect::<Vec<_>>(), vec![cols as i64]);
    let m = d.read::<f32>()?;
    Ok((cols, m.iter().copied().collect()))
}

fn expected(cols: u64) -> Vec<f32> {
    (0..ROWS * cols)
        .map(|i| value(i / cols, i % cols))
        .collect()
}

/// The address of the matrix's chunk B-tree.
fn index_root(bytes: Vec<u8>) -> u64 {
    let f = File::from_bytes(bytes).unwrap();
    match f.dataset("/matrix").unwrap().layout() {
        Layout::Chunked { address, .. } => *address,
        other => panic!("not chunked: {other:?}"),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn appended_columns_read_back_after_reopening(
        start in 1u64..30,
        adds in prop::collection::vec((1u64..27, 1u64..20), 1..4),
    ) {
        let mem = MemFile::new();
        create(Arc::new(mem.clone()), start).unwrap();
        let mut cols = start;
        for (add, strip) in adds {
            append(Arc::new(mem.clone()), cols, add, strip).unwrap();
            cols += add;
            let (got_cols, got) = read_back(mem.to_bytes()).unwrap();
            prop_assert_eq!(got_cols, cols);
            prop_assert_eq!(got, expected(cols));
        }
    }
}

#[test]
fn a_crash_during_an_append_leaves_the_old_or_the_new_file() {
    // Two earlier appends leave freed space for this one to reuse.
    let mem = MemFile::new();
    create(Arc::new(mem.clone()), 45).unwrap();
    append(Arc::new(mem.clone()), 45, 12, 16).unwrap();
    append(Arc::new(mem.clone()), 57, 9, 37).unwrap();
    let old_bytes = mem.to_bytes();
    let old = read_back(old_bytes.clone()).unwrap();
    let counting = Arc::new(Crashing {
        inner: MemFile::from_bytes(old_bytes.clone()),
        writes: AtomicU64::new(0),
        fail_at: 0,
    });
    append(counting.clone(), 66, 21, 8).unwrap();
    let total = counting.writes.load(Ordering::SeqCst);
    let new = read_back(counting.inner.to_bytes()).unwrap();
    assert_eq!(new, (87, expected(87)));
    for k in 1..=total {
        let storage = Arc::new(Crashing {
            inner: MemFile::from_bytes(old_bytes.clone()),
            writes: AtomicU64::new(0),
            fail_at: k,
        });
        let result = append(storage.clone(), 66, 21, 8);
        let after = storage.inner.to_bytes();
        let got = read_back(after.clone())
            .unwrap_or_else(|e| panic!("crash at write {k} left an unreadable file: {e}"));
        if got == old {
            assert!(result.is_err(), "write {k}");
            // Failed before the superblock: the file cut back to its old length.
            assert!(after.len() <= old_bytes.len(), "write {k}: the file grew");
            assert_eq!(after[..64], old_bytes[..64], "write {k}: a new superblock");
        } else {
            assert_eq!(got, new, "crash at write {k}");
        }
    }
}

#[test]
fn a_refused_edit_drops_the_append_and_leaves_the_old_contents() {
    let mem = MemFile::new();
    create(Arc::new(mem.clone()), 20).unwrap();
    append(Arc::new(mem.clone()), 20, 5, 8).unwrap();
    let before = mem.to_bytes();
    let mut w = Writer::open_in(Arc::new(mem.clone())).unwrap();
    w.resize("/matrix", &[ROWS, 40]).unwrap();
    let block = vec![1f32; (ROWS * 15) as usize];
    w.write_numbers("/matrix", &[0, 25], &[ROWS, 15], &block)
        .unwrap();
    // Past the maximum rows: refused, and the caller drops the whole append.
    assert!(w.resize("/matrix", &[ROWS + 1, 40]).is_err());
    w.rollback();
    drop(w);
    let after = mem.to_bytes();
    // Only the free space below the end of file was written.
    assert_eq!(after.len(), before.len());
    assert_eq!(after[..64], before[..64]);
    assert_eq!(read_back(after).unwrap(), (25, expected(25)));
}

#[test]
fn edits_that_leave_the_chunks_alone_keep_the_chunk_index() {
    let mem = MemFile::new();
    create(Arc::new(mem.clone()), 30).unwrap();
    append(Arc::new(mem.clone()), 30, 10, 37).unwrap();
    let root = index_root(mem.to_bytes());

    // An attribute alone.
    let mut w = Writer::open_in(Arc::new(mem.clone())).unwrap();
    w.set_attribute("/matrix", "note", &AttrValue::string("kept"))
        .unwrap();
    w.close().unwrap();
    assert_eq!(index_root(mem.to_bytes()), root);

    // Growing into columns not written yet: the same chunks, the same index.
    let mut w = Writer::open_in(Arc::new(mem.clone())).unwrap();
    w.resize("/matrix", &[ROWS, 64]).unwrap();
    w.close().unwrap();
    assert_eq!(index_root(mem.to_bytes()), root);
    let f = File::from_bytes(mem.to_bytes()).unwrap();
    let m = f.dataset("/matrix").unwrap().read::<f32>().unwrap();
    assert_eq!(m.shape(), &[ROWS as usize, 64]);
    for r in 0..ROWS as usize {
        for c in 0..64 {
            let want = if c < 40 {
                value(r as u64, c as u64)
            } else {
                0.0
            };
            assert_eq!(m[[r, c]], want, "({r}, {c})");
        }
    }

    // Shrinking drops chunks: a new index.
    let mut w = Writer::open_in(Arc::new(mem.clone())).unwrap();
    w.resize("/matrix", &[ROWS, 20]).unwrap();
    w.close().unwrap();
    assert_ne!(index_root(mem.to_bytes()), root);
    let f = File::from_bytes(mem.to_bytes()).unwrap();
    let m = f.dataset("/matrix").unwrap().read::<f32>().unwrap();
    assert_eq!(m.shape(), &[ROWS as usize, 20]);
    assert_eq!(m.iter().copied().collect::<Vec<_>>(), expected(20));
}
