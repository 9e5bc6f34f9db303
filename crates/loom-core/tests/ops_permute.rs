//! permute against loompy 3.0.8's permuted files (fixtures/ops/expected.json).

// Test helpers outside #[test] functions may unwrap: a failure there is a test failure.
#![allow(clippy::unwrap_used)]

mod ops_support;

use loom_core::{connect, Axis, Mode};
use ops_support::*;

#[test]
fn permute_matches_loompy_on_every_layer_attribute_and_graph() {
    let exp = expected();
    for case in exp["permute"].as_array().unwrap() {
        let axis = if case["axis"] == 0 {
            Axis::Rows
        } else {
            Axis::Cols
        };
        let path = scratch("input.loom", &format!("permute{}", axis.index()));
        let ordering: Vec<usize> = case["ordering"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_u64().unwrap() as usize)
            .collect();
        let mut ds = connect(&path, Mode::ReadWrite).unwrap();
        ds.permute(&ordering, axis).unwrap();
        assert_dump(
            &ds,
            &case["result"],
            &format!("permute axis {}", axis.index()),
        );
        ds.close().unwrap();
        let ds = connect(&path, Mode::Read).unwrap();
        assert_dump(&ds, &case["result"], "reopened");
    }
}

#[test]
fn bad_orderings_leave_the_file_byte_identical() {
    let path = scratch("input.loom", "permute-bad");
    let before = std::fs::read(&path).unwrap();
    let mut ds = connect(&path, Mode::ReadWrite).unwrap();
    for bad in [vec![0, 1, 2], vec![0; 13], (1..=13).collect::<Vec<_>>()] {
        assert!(ds.permute(&bad, Axis::Rows).is_err(), "{bad:?}");
    }
    ds.close().unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), before);
    let ro = connect(&path, Mode::Read).unwrap();
    let mut ro = ro;
    assert!(ro
        .permute(&(0..11).collect::<Vec<_>>(), Axis::Cols)
        .is_err());
    assert_eq!(std::fs::read(&path).unwrap(), before);
}

#[test]
fn permuting_twice_by_inverse_restores_values() {
    let path = scratch("input.loom", "permute-inv");
    let mut ds = connect(&path, Mode::ReadWrite).unwrap();
    let before = ds.layers().read::<i64>("counts", .., ..).unwrap();
    let order: Vec<usize> = (0..11).rev().collect();
    ds.permute(&order, Axis::Cols).unwrap();
    ds.permute(&order, Axis::Cols).unwrap();
    assert_eq!(ds.layers().read::<i64>("counts", .., ..).unwrap(), before);
}
