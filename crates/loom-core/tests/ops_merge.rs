//! add_loom, combine and combine_faster against loompy 3.0.8's results on the same
//! files; failures leave every file as it was.

// Test helpers outside #[test] functions may unwrap: a failure there is a test failure.
#![allow(clippy::unwrap_used)]

mod ops_support;

use loom_core::ops::AddLoomOptions;
use loom_core::{connect, Axis, Mode};
use ops_support::*;

#[test]
fn add_loom_with_key_matches_loompy() {
    let exp = expected();
    let path = scratch("input.loom", "addloom");
    let other = fixture("other.loom");
    let other_before = std::fs::read(&other).unwrap();
    let mut ds = connect(&path, Mode::ReadWrite).unwrap();
    let opts = AddLoomOptions {
        key: Some("Gene".into()),
        batch_size: 4,
        ..AddLoomOptions::default()
    };
    ds.add_loom(&other, &opts).unwrap();
    assert_dump(&ds, &exp["merge"]["add_loom"], "add_loom");
    assert_eq!(
        std::fs::read(&other).unwrap(),
        other_before,
        "the other file is only read"
    );
}

#[test]
fn add_loom_include_graphs_merges_block_diagonally() {
    let path = scratch("input.loom", "addloom-graphs");
    let twin = scratch("input.loom", "addloom-graphs-twin").with_file_name("twin.loom");
    std::fs::copy(fixture("input.loom"), &twin).unwrap();
    let mut ds = connect(&path, Mode::ReadWrite).unwrap();
    let before = ds.col_graphs().edges("MKNN").unwrap();
    let opts = AddLoomOptions {
        key: Some("Gene".into()),
        include_graphs: true,
        ..AddLoomOptions::default()
    };
    ds.add_loom(&twin, &opts).unwrap();
    assert_eq!(ds.shape(), (13, 22));
    let (a, b, _) = ds.col_graphs().edges("MKNN").unwrap();
    let k = before.0.len();
    assert_eq!(a.len(), 2 * k);
    assert_eq!(&a[..k], &before.0[..]);
    assert_eq!(a[k..].iter().map(|x| x - 11).collect::<Vec<_>>(), before.0);
    assert_eq!(b[k..].iter().map(|x| x - 11).collect::<Vec<_>>(), before.1);
    let g = ds.graphs(Axis::Cols).get("MKNN").unwrap();
    assert_eq!(g.shape(), (22, 22));
}

#[test]
fn add_loom_refuses_bad_keys_and_layers_leaving_files_alone() {
    let path = scratch("input.loom", "addloom-bad");
    let before = std::fs::read(&path).unwrap();
    let mut ds = connect(&path, Mode::ReadWrite).unwrap();
    let bad_key = AddLoomOptions {
        key: Some("Score".into()),
        ..AddLoomOptions::default()
    };
    assert!(ds.add_loom(fixture("other.loom"), &bad_key).is_err());
    let e = ds
        .add_loom(fixture("same_rows.loom"), &AddLoomOptions::default())
        .unwrap_err();
    assert!(e.to_string().contains("is missing a layer"), "{e}");
    ds.close().unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), before);
}
