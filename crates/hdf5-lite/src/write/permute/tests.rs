use std::cell::RefCell;
use std::sync::Arc;

use super::Limits;
use crate::error::Error;
use crate::read::Numeric;
use crate::write::{DatasetSpec, MemFile, Writer};

/// Chunk records that share bytes or lie past the end of the file (a corrupt index)
/// are an error before the group's buffer is sized from them; adjacent and missing
/// chunks are read into place.
#[test]
fn overlapping_stored_chunks_are_refused() {
    use crate::format::chunk_index::ChunkRecord;
    use crate::write::free_space::FreeSpace;
    use crate::write::vlen::OpenHeap;
    use crate::write::{Space, StorageMut};

    let mem = MemFile::new();
    mem.write_all_at(0, &(0u8..100).collect::<Vec<u8>>())
        .unwrap();
    let (mut alloc, mut heap) = (FreeSpace::new(100), OpenHeap::default());
    let space = Space::new(&mem, &mut alloc, &mut heap, (16, 16, 32));
    let rec = |address, size| {
        Some(ChunkRecord {
            offset: vec![0],
            address,
            size,
            filter_mask: 0,
        })
    };
    let mut packed = Vec::new();
    let at = super::read_group(&space, &[rec(40, 10), None, rec(30, 10)], &mut packed);
    assert_eq!(at.unwrap(), vec![10..20, 0..0, 0..10]);
    assert_eq!(packed, (30u8..50).collect::<Vec<u8>>());
    let err = super::read_group(&space, &[rec(30, 60), rec(40, 60)], &mut packed);
    assert!(
        err.unwrap_err().to_string().contains("overlaps"),
        "an overlap is corrupt"
    );
    // Past the end of the file, or wrapping past the last address.
    for group in [
        vec![rec(10, 5), rec(95, 6)],
        vec![rec(10, 5), rec(20, u64::MAX - 10)],
        vec![rec(20, u64::MAX - 10), rec(50, 5)],
    ] {
        let err = super::read_group(&space, &group, &mut packed).unwrap_err();
        assert!(
            matches!(err, Error::OutOfBounds { .. } | Error::Corrupt { .. }),
            "{group:?}: {err}"
        );
    }
}

/// Steps of a chunk or a few give the values of one step, on either path (slabs
/// gathered straight or row by row).
#[test]
fn small_steps_give_the_same_file() {
    let tiny = Limits {
        batch: 1,
        read: 1,
        chunks: 1,
    };
    let few = Limits {
        batch: 3 * 4 * 9 * 4,
        read: 200,
        chunks: 7,
    };
    let (shape, chunks) = ([23u64, 17, 9], [4u64, 3, 9]);
    let ordering = |n: u64| -> Vec<u64> { (0..n).map(|i| (i * 5 + 3) % n).collect() };
    for dim in 0..3 {
        let mut files = Vec::new();
        for limits in [super::LIMITS, tiny, few] {
            let mem = Arc::new(MemFile::new());
            let mut w = Writer::create_in(mem.clone()).unwrap();
            let spec = DatasetSpec::new(i32::datatype(), &shape)
                .chunks(&chunks)
                .deflate(2);
            w.create_dataset("/d", &spec).unwrap();
            // Rows 5..9 are never written: fill.
            let values: Vec<i32> = (0..5 * 17 * 9).collect();
            w.write_numbers("/d", &[0, 0, 0], &[5, 17, 9], &values)
                .unwrap();
            let values: Vec<i32> = (0..14 * 17 * 9).map(|v| -v).collect();
            w.write_numbers("/d", &[9, 0, 0], &[14, 17, 9], &values)
                .unwrap();
            w.commit().unwrap();
            let seen = RefCell::new(Vec::new());
            let report = |done, total| seen.borrow_mut().push((done, total));
            w.permute_within("/d", dim, &ordering(shape[dim]), limits, &report)
                .unwrap();
            // Lines of chunks along `dim` on the 6 x 6 x 1 chunk grid, each group
            // of lines reported once it is stored (tiny steps: line by line).
            let seen = seen.into_inner();
            let total = [6u64, 6, 36][dim];
            assert!(seen.windows(2).all(|p| p[0].0 < p[1].0), "{seen:?}");
            assert!(seen.iter().all(|s| s.1 == total), "{seen:?}");
            assert_eq!(seen.last(), Some(&(total, total)));
            if limits.chunks == 1 {
                assert_eq!(seen.len() as u64, total);
            }
            w.commit().unwrap();
            let read = w.reader().unwrap().dataset("/d").unwrap().read::<i32>();
            files.push(read.unwrap());
        }
        assert_eq!(files[0], files[1], "dim {dim}");
        assert_eq!(files[0], files[2], "dim {dim}");
    }
}
