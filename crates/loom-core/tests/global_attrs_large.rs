//! Global attributes too large for a version 1 object header (issue 8): in a loom spec 2
//! file they are root HDF5 attributes, which hdf5-lite then stores densely. Written,
//! read back, edited again in later sessions, validated.

// Test helpers outside #[test] functions may unwrap: a failure there is a test failure.
#![allow(clippy::unwrap_used)]

use std::path::PathBuf;
use std::sync::Arc;

use hdf5_lite::write::MemFile;
use loom_core::{AttrValues, LoomConnection, Mode};

fn spec2_copy() -> Arc<MemFile> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures")
        .join("30_emul_loompy2_fixedlen.loom");
    Arc::new(MemFile::from_bytes(std::fs::read(path).unwrap()))
}

fn text(len: usize, seed: usize) -> String {
    (0..len)
        .map(|i| ["naïve ", "R&D <lab> ", "plain ", "細胞 "][(i + seed) % 4])
        .collect::<String>()
        .chars()
        .take(len)
        .collect()
}

fn open(mem: &Arc<MemFile>, mode: Mode) -> LoomConnection {
    LoomConnection::open_in(mem.clone(), mode, true).unwrap()
}

#[test]
fn reproducer_100k_and_1m_global_strings_then_a_small_one() {
    let mem = spec2_copy();
    let (big, huge) = (text(100 * 1024, 0), text(1024 * 1024, 1));
    let genes: Vec<String> = (0..20_000).map(|i| format!("gene_{i:05}")).collect();
    let mut ds = open(&mem, Mode::ReadWrite);
    assert!(ds.attrs().is_legacy_layout());
    ds.attrs_mut().set("big", big.as_str()).unwrap();
    ds.attrs_mut().set("huge", huge.as_str()).unwrap();
    ds.attrs_mut()
        .set("genes", AttrValues::from(genes.clone()))
        .unwrap();
    ds.close().unwrap();

    let mut ds = open(&mem, Mode::ReadWrite);
    assert_eq!(ds.attrs().get("big").unwrap().as_str(), Some(big.as_str()));
    assert_eq!(
        ds.attrs().get("huge").unwrap().as_str(),
        Some(huge.as_str())
    );
    ds.attrs_mut().set("after", 7i64).unwrap();
    ds.attrs_mut().set("title", "replaced").unwrap();
    ds.close().unwrap();

    let mut ds = open(&mem, Mode::ReadWrite);
    assert_eq!(
        ds.attrs().keys(),
        [
            "CreationDate",
            "LOOM_SPEC_VERSION",
            "after",
            "big",
            "genes",
            "huge",
            "title"
        ]
    );
    assert_eq!(ds.attrs().get("after").unwrap(), AttrValues::from(7i64));
    assert_eq!(ds.attrs().get("title").unwrap().as_str(), Some("replaced"));
    let got = ds.attrs().get("genes").unwrap();
    let got = got.as_strings().unwrap();
    assert_eq!(got.shape(), [20_000]);
    assert!(got.iter().eq(genes.iter()));
    ds.attrs_mut().delete("huge").unwrap();
    ds.close().unwrap();

    let ds = open(&mem, Mode::Read);
    assert!(!ds.attrs().contains("huge"));
    assert_eq!(ds.attrs().get("big").unwrap().as_str(), Some(big.as_str()));
    // The rest of the file is as loompy 2 wrote it.
    assert_eq!(
        ds.ca().get("CellID").unwrap().as_strings().unwrap()[0],
        "café0"
    );
}
