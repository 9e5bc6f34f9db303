//! Tests of the chunk store: record order, limits, reshapes, spilling and loading.

use super::*;

fn rec(offset: &[u64], address: u64, size: u64) -> ChunkRecord {
    ChunkRecord {
        offset: offset.to_vec(),
        address,
        size,
        filter_mask: 0,
    }
}

#[test]
fn keeps_records_in_offset_order() {
    let mut s = ChunkStore::new(&[10, 4], &[95, 30], &Scratch::Memory).unwrap();
    let offsets = [[90, 28], [0, 4], [40, 0], [0, 0], [10, 20]];
    for (i, o) in offsets.iter().enumerate() {
        assert_eq!(s.insert(&rec(o, 1000 + i as u64, 7)).unwrap(), None);
    }
    let mut want: Vec<Vec<u64>> = offsets.iter().map(|o| o.to_vec()).collect();
    want.sort();
    let got: Vec<Vec<u64>> = s.iter().map(|r| r.unwrap().offset).collect();
    assert_eq!(got, want);
    assert_eq!(s.len(), 5);
    assert_eq!(s.get(&[40, 0]).unwrap().unwrap(), rec(&[40, 0], 1002, 7));
    assert_eq!(s.get(&[40, 4]).unwrap(), None);
    assert_eq!(s.get(&[41, 0]).unwrap(), None);
    assert_eq!(s.insert(&rec(&[40, 0], 5, 9)).unwrap(), Some((1002, 7)));
    assert_eq!(s.len(), 5);
}

/// Records handed to `load` in grid order, then out of order, across pages and onto
/// records already stored, hold what inserting them one by one holds; records off
/// the grid are skipped, bad ones are the same errors.
#[test]
fn load_holds_what_inserts_hold() {
    // 20 x 8 chunks: a chunk row is 8 slots, a page is 64 (8 chunk rows).
    let dims = [10, 4];
    let shape = [200, 32];
    let mut offsets: Vec<[u64; 2]> = (0..20)
        .flat_map(|r| (0..8).map(move |c| [r * 10, c * 4]))
        .filter(|o| (o[0] + o[1]) % 3 != 0)
        .collect();
    offsets.extend([[190, 0], [0, 4], [100, 28], [0, 4], [250, 0]]);
    let mut one_by_one = ChunkStore::new(&dims, &shape, &Scratch::Memory).unwrap();
    let mut loaded = ChunkStore::new(&dims, &shape, &Scratch::Test(2)).unwrap();
    for s in [&mut one_by_one, &mut loaded] {
        s.insert(&rec(&[0, 8], 5, 5)).unwrap();
    }
    for (i, o) in offsets.iter().enumerate() {
        if o[0] < shape[0] {
            one_by_one.insert(&rec(o, 1000 + i as u64, 7)).unwrap();
        }
    }
    let fed = loaded
        .load(|store| {
            for (i, o) in offsets.iter().enumerate() {
                let r = rec(o, 1000 + i as u64, 7);
                store(ChunkRef {
                    offset: &r.offset,
                    address: r.address,
                    size: r.size,
                    filter_mask: r.filter_mask,
                })?;
            }
            Ok(offsets.len())
        })
        .unwrap();
    assert_eq!(fed, offsets.len());
    let all = |s: &ChunkStore| s.iter().map(|r| r.unwrap()).collect::<Vec<_>>();
    assert_eq!(all(&loaded), all(&one_by_one));
    assert_eq!(loaded.len(), one_by_one.len());
    let last = 1000 + (offsets.len() - 2) as u64;
    assert_eq!(loaded.get(&[0, 4]).unwrap().unwrap().address, last);

    let bad = |size, address| {
        let mut s = ChunkStore::new(&dims, &shape, &Scratch::Memory).unwrap();
        s.load(|store| {
            store(ChunkRef {
                offset: &[0, 0],
                address,
                size,
                filter_mask: 0,
            })
        })
        .unwrap_err()
        .to_string()
    };
    assert!(
        bad(1 << 32, 8).contains("stored chunk"),
        "{}",
        bad(1 << 32, 8)
    );
    assert!(bad(1, UNDEF).contains("no address"), "{}", bad(1, UNDEF));
}

#[test]
fn refuses_what_it_cannot_hold() {
    let mut s = ChunkStore::new(&[10, 4], &[95, 30], &Scratch::Memory).unwrap();
    assert!(s.insert(&rec(&[100, 0], 1, 1)).is_err());
    assert!(s.insert(&rec(&[5, 0], 1, 1)).is_err());
    assert!(s.insert(&rec(&[0], 1, 1)).is_err());
    assert!(s.insert(&rec(&[0, 0], 1, 1 << 32)).is_err());
    assert!(s.insert(&rec(&[0, 0], UNDEF, 1)).is_err());
    assert!(ChunkStore::new(&[1, 1, 1], &[u64::MAX, u64::MAX, 2], &Scratch::Memory).is_err());
    assert!(ChunkStore::new(&[0, 1], &[1, 1], &Scratch::Memory).is_err());
}

#[test]
fn reshape_rekeys_and_drops_chunks_outside() {
    let mut s = ChunkStore::new(&[2, 2], &[6, 6], &Scratch::Memory).unwrap();
    for (i, o) in [[0, 0], [0, 4], [4, 2], [2, 2]].iter().enumerate() {
        s.insert(&rec(o, 100 + i as u64, 3)).unwrap();
    }
    let before = s.changes();
    assert_eq!(s.reshape(&[5, 3]).unwrap(), vec![(101, 3)]);
    assert_ne!(s.changes(), before);
    let got: Vec<(Vec<u64>, u64)> = s
        .iter()
        .map(|r| r.unwrap())
        .map(|r| (r.offset, r.address))
        .collect();
    assert_eq!(
        got,
        vec![(vec![0, 0], 100), (vec![2, 2], 103), (vec![4, 2], 102)]
    );
    s.reshape(&[9, 40]).unwrap();
    assert_eq!(s.get(&[4, 2]).unwrap().unwrap().address, 102);
    s.insert(&rec(&[8, 38], 7, 1)).unwrap();
    assert_eq!(s.iter().last().unwrap().unwrap().offset, vec![8, 38]);
    assert_eq!(s.extents().count(), 4);
}

/// What the store should hold: grid index → (address, size, mask).
type Model = std::collections::BTreeMap<u64, (u64, u64, u32)>;

fn check(s: &ChunkStore, model: &Model, grid: &[u64; 2], chunk: &[u64; 2]) {
    let got: Vec<ChunkRecord> = s.iter().map(|r| r.unwrap()).collect();
    let want: Vec<ChunkRecord> = model
        .iter()
        .map(|(&at, &(address, size, filter_mask))| ChunkRecord {
            offset: vec![at / grid[1] * chunk[0], at % grid[1] * chunk[1]],
            address,
            size,
            filter_mask,
        })
        .collect();
    assert_eq!(got, want);
    let mut borrowed = Vec::new();
    s.for_each_ref(|r| {
        borrowed.push(ChunkRecord {
            offset: r.offset.to_vec(),
            address: r.address,
            size: r.size,
            filter_mask: r.filter_mask,
        });
        Ok(())
    })
    .unwrap();
    assert_eq!(borrowed, want);
    assert_eq!(s.len(), model.len());
    let extents: Vec<(u64, u64)> = s.extents().map(|e| e.unwrap()).collect();
    let want_extents: Vec<(u64, u64)> = want.iter().map(|r| (r.address, r.size)).collect();
    assert_eq!(extents, want_extents);
    for r in &want {
        assert_eq!(s.get(&r.offset).unwrap().as_ref(), Some(r));
    }
}

/// Writes `writes` (grid index, address) into a store spilling past `cap` pages and
/// into one that keeps everything in memory; both must equal the model.
fn run_writes(cap: usize, writes: &[(u64, u64)]) {
    let (chunk, shape) = ([3, 5], [250, 700]);
    let grid = [84, 140];
    let mut spilled = ChunkStore::new(&chunk, &shape, &Scratch::Test(cap)).unwrap();
    let mut memory = ChunkStore::new(&chunk, &shape, &Scratch::Memory).unwrap();
    let mut model = Model::new();
    for (i, &(at, address)) in writes.iter().enumerate() {
        let at = at % (grid[0] * grid[1]);
        let r = ChunkRecord {
            offset: vec![at / grid[1] * chunk[0], at % grid[1] * chunk[1]],
            address: address + 1,
            size: i as u64 + 1,
            filter_mask: (i % 3) as u32,
        };
        let old = model
            .insert(at, (r.address, r.size, r.filter_mask))
            .map(|(a, s, _)| (a, s));
        assert_eq!(spilled.insert(&r).unwrap(), old);
        assert_eq!(memory.insert(&r).unwrap(), old);
    }
    check(&spilled, &model, &grid, &chunk);
    check(&memory, &model, &grid, &chunk);
    assert_eq!(spilled.changes(), memory.changes());
    // Moving every chunk (as compaction does) reaches every record once.
    let mut seen = 0;
    spilled
        .for_each_address_mut(|a, _| {
            *a += 1 << 40;
            seen += 1;
            Ok(())
        })
        .unwrap();
    assert_eq!(seen, model.len());
    for v in model.values_mut() {
        v.0 += 1 << 40;
    }
    check(&spilled, &model, &grid, &chunk);
}

#[test]
fn column_bands_spill_and_read_back() {
    // An import's order: bands of columns, every chunk row of each band in turn.
    let mut writes = Vec::new();
    for band in 0..140 / 7 {
        for row in 0..84 {
            for col in band * 7..band * 7 + 7 {
                writes.push((row * 140 + col, writes.len() as u64 * 100));
            }
        }
    }
    run_writes(8, &writes);
    run_writes(2, &writes);
}

proptest::proptest! {
    #[test]
    fn any_write_order_reads_back_as_written(
        cap in 2usize..40,
        writes in proptest::collection::vec((0u64..11_760, 0u64..1 << 50), 0..3000),
        rewrites in proptest::collection::vec(0usize..3000, 0..300),
    ) {
        // Rewrites of chunks written before, with new addresses.
        let mut all = writes.clone();
        all.extend(
            rewrites
                .iter()
                .filter_map(|&i| writes.get(i))
                .map(|&(at, a)| (at, a ^ 0x5555)),
        );
        run_writes(cap, &all);
    }
}

proptest::proptest! {
    #[test]
    fn reshape_keeps_the_records_inside_and_drops_the_rest(
        cap in 2usize..12,
        writes in proptest::collection::vec((0u64..84, 0u64..140), 0..2000),
        rows in 1u64..400,
        cols in 1u64..900,
    ) {
        let (chunk, shape) = ([3u64, 5], [250u64, 700]);
        let mut s = ChunkStore::new(&chunk, &shape, &Scratch::Test(cap)).unwrap();
        let mut model = std::collections::BTreeMap::new();
        for (i, &(r, c)) in writes.iter().enumerate() {
            let offset = [r * chunk[0], c * chunk[1]];
            s.insert(&rec(&offset, 1 + i as u64, 10 + i as u64)).unwrap();
            model.insert(offset.to_vec(), (1 + i as u64, 10 + i as u64));
        }
        let before = s.changes();
        let mut dropped = s.reshape(&[rows, cols]).unwrap();
        let inside = |o: &[u64]| o[0] < rows.div_ceil(3) * 3 && o[1] < cols.div_ceil(5) * 5;
        let mut want_dropped: Vec<(u64, u64)> = model
            .iter()
            .filter(|(o, _)| !inside(o))
            .map(|(_, &e)| e)
            .collect();
        dropped.sort_unstable();
        want_dropped.sort_unstable();
        proptest::prop_assert_eq!(&dropped, &want_dropped);
        proptest::prop_assert_eq!(s.changes() != before, !dropped.is_empty());
        let got: Vec<(Vec<u64>, u64, u64)> = s
            .iter()
            .map(|r| r.unwrap())
            .map(|r| (r.offset, r.address, r.size))
            .collect();
        let want: Vec<(Vec<u64>, u64, u64)> = model
            .into_iter()
            .filter(|(o, _)| inside(o))
            .map(|(o, (a, n))| (o, a, n))
            .collect();
        proptest::prop_assert_eq!(s.len(), want.len());
        proptest::prop_assert_eq!(got, want);
    }
}

#[test]
fn a_failed_spill_is_an_error_and_loses_no_record() {
    let mut s = ChunkStore::new(&[1, 1], &[4, 64], &Scratch::Failing(2)).unwrap();
    s.insert(&rec(&[0, 5], 10, 1)).unwrap();
    s.insert(&rec(&[1, 6], 11, 1)).unwrap();
    assert!(matches!(s.insert(&rec(&[2, 7], 12, 1)), Err(Error::Io(_))));
    assert_eq!(s.get(&[0, 5]).unwrap().unwrap().address, 10);
    assert_eq!(s.get(&[1, 6]).unwrap().unwrap().address, 11);
    let got: Vec<u64> = s.iter().map(|r| r.unwrap().address).collect();
    assert_eq!(got, vec![10, 11]);
}

#[test]
fn spilled_store_reshapes() {
    let mut s = ChunkStore::new(&[1, 1], &[300, 300], &Scratch::Test(3)).unwrap();
    for i in 0..300 {
        for j in (0..300).step_by(7) {
            s.insert(&rec(&[i, j], 1 + i * 1000 + j, 2)).unwrap();
        }
    }
    let dropped = s.reshape(&[200, 300]).unwrap();
    assert_eq!(dropped.len(), 100 * 43);
    assert_eq!(s.len(), 200 * 43);
    assert_eq!(s.get(&[199, 294]).unwrap().unwrap().address, 1 + 199_294);
    assert_eq!(s.get(&[199, 295]).unwrap(), None);
}
