//! A dataset with more chunks than a writer keeps records of in memory: written to a
//! file, its records spill to a scratch file; the committed bytes are the same as
//! those of the same edits in memory (where nothing spills).

// Test helpers outside #[test] functions may unwrap: a failure there is a test failure.
#![allow(clippy::unwrap_used)]

use std::path::PathBuf;
use std::sync::Arc;

use hdf5_lite::read::{File, Numeric};
use hdf5_lite::write::{DatasetSpec, MemFile, Writer};

/// 600 x 600 in chunks of 1 x 2: 180,000 chunks, past the 131,072 records a store
/// keeps in memory (`CACHE_PAGES` of 64 in write/chunk_pages.rs).
const N: u64 = 600;

fn temp_file(name: &str) -> PathBuf {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("hdf5-lite-spill-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

fn value(r: u64, c: u64, pass: u64) -> u16 {
    ((r * 7 + c * 13 + pass * 101) % 65_521) as u16
}

fn block(r0: u64, c0: u64, rows: u64, cols: u64, pass: u64) -> Vec<u16> {
    (r0..r0 + rows)
        .flat_map(|r| (c0..c0 + cols).map(move |c| value(r, c, pass)))
        .collect()
}

/// An import's pattern (bands of columns), then a rewrite of a block inside, then a
/// second session that rewrites another block of the committed dataset.
fn edits(mut first: Writer, reopen: impl FnOnce(Writer) -> Writer) {
    let spec = DatasetSpec::new(u16::datatype(), &[N, N]).chunks(&[1, 2]);
    first.create_dataset("/m", &spec).unwrap();
    for c0 in (0..N).step_by(20) {
        first
            .write_numbers("/m", &[0, c0], &[N, 20], &block(0, c0, N, 20, 0))
            .unwrap();
    }
    first
        .write_numbers("/m", &[100, 51], &[200, 399], &block(100, 51, 200, 399, 1))
        .unwrap();
    first.commit().unwrap();
    let mut second = reopen(first);
    second
        .write_numbers("/m", &[350, 3], &[250, 101], &block(350, 3, 250, 101, 2))
        .unwrap();
    second.close().unwrap();
}

fn expected(r: u64, c: u64) -> u16 {
    if (350..600).contains(&r) && (3..104).contains(&c) {
        value(r, c, 2)
    } else if (100..300).contains(&r) && (51..450).contains(&c) {
        value(r, c, 1)
    } else {
        value(r, c, 0)
    }
}

#[test]
fn spilled_records_commit_the_same_bytes_as_in_memory() {
    let path = temp_file("spill.h5");
    edits(Writer::create(&path).unwrap(), |w| {
        w.close().unwrap();
        Writer::open(&path).unwrap()
    });

    let mem = MemFile::new();
    edits(Writer::create_in(Arc::new(mem.clone())).unwrap(), |w| {
        w.close().unwrap();
        Writer::open_in(Arc::new(mem.clone())).unwrap()
    });

    let bytes = std::fs::read(&path).unwrap();
    assert!(bytes == mem.to_bytes(), "file and memory commits differ");

    let m = File::from_bytes(bytes)
        .unwrap()
        .dataset("/m")
        .unwrap()
        .read::<u16>()
        .unwrap();
    for r in 0..N {
        for c in 0..N {
            assert_eq!(m[[r as usize, c as usize]], expected(r, c), "at {r}, {c}");
        }
    }
    std::fs::remove_file(&path).unwrap();
    // The scratch files were unlinked: nothing is left beside the file.
    let dir = path.parent().unwrap();
    assert_eq!(std::fs::read_dir(dir).unwrap().count(), 0);
    std::fs::remove_dir(dir).unwrap();
}
