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

#[test]
fn combine_matches_loompy() {
    use loom_core::ops::{combine, CombineOptions};
    let exp = expected();
    let out = scratch("input.loom", "combine").with_file_name("combined.loom");
    let opts = CombineOptions {
        key: Some("Gene".into()),
        file_attrs: vec![("combined".into(), loom_core::AttrValues::from("yes"))],
        batch_size: 5,
        ..CombineOptions::default()
    };
    combine(&[fixture("input.loom"), fixture("other.loom")], &out, &opts).unwrap();
    let ds = connect(&out, Mode::Read).unwrap();
    assert_dump(&ds, &exp["merge"]["combine"], "combine");
    assert_eq!(ds.attrs().get("combined").unwrap().as_str(), Some("yes"));
    assert_eq!(
        ds.attrs().get("title").unwrap().as_str(),
        exp["merge"]["combine_attrs"]["title"].as_str()
    );
}

#[test]
fn combine_faster_matches_loompy() {
    use loom_core::ops::{combine_faster, CombineFasterOptions};
    let exp = expected();
    let out = scratch("input.loom", "combine-faster").with_file_name("fast.loom");
    let mask: Vec<bool> = exp["merge"]["combine_faster_selection"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b.as_bool().unwrap())
        .collect();
    let opts = CombineFasterOptions {
        file_attrs: vec![("combined".into(), loom_core::AttrValues::from("fast"))],
        selections: Some(vec![Some(mask), None]),
        key: Some("Gene".into()),
        skip_attrs: vec!["Depth".into()],
    };
    combine_faster(
        &[fixture("input.loom"), fixture("same_rows.loom")],
        &out,
        &opts,
    )
    .unwrap();
    let ds = connect(&out, Mode::Read).unwrap();
    let mut want = exp["merge"]["combine_faster"].clone();
    // loompy fills a string attribute missing from an input with zeros, which become
    // "0"; we fill it with "".
    for v in want["ca"]["Tissue"].as_array_mut().unwrap()[9..].iter_mut() {
        assert_eq!(v, "0");
        *v = serde_json::Value::from("");
    }
    assert_dump(&ds, &want, "combine_faster");
    assert_eq!(ds.attrs().get("combined").unwrap().as_str(), Some("fast"));
}

#[test]
fn failed_combines_leave_no_output_and_inputs_untouched() {
    use loom_core::ops::{combine, combine_faster, CombineFasterOptions, CombineOptions};
    let out = scratch("input.loom", "combine-fail").with_file_name("never.loom");
    let dir = out.parent().unwrap().to_path_buf();
    let inputs = [fixture("input.loom"), fixture("same_rows.loom")];
    let before: Vec<Vec<u8>> = inputs.iter().map(|p| std::fs::read(p).unwrap()).collect();
    // same_rows.loom lacks the "counts" layer of input.loom.
    assert!(combine(&inputs, &out, &CombineOptions::default()).is_err());
    let bad_sel = CombineFasterOptions {
        selections: Some(vec![Some(vec![true]), None]),
        ..CombineFasterOptions::default()
    };
    assert!(combine_faster(&inputs, &out, &bad_sel).is_err());
    let none: [std::path::PathBuf; 0] = [];
    assert_eq!(
        combine(&none, &out, &CombineOptions::default())
            .unwrap_err()
            .to_string(),
        "The input file list was empty"
    );
    assert!(!out.exists());
    let leftovers: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .filter(|n| n.to_string_lossy().contains(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    let after: Vec<Vec<u8>> = inputs.iter().map(|p| std::fs::read(p).unwrap()).collect();
    assert_eq!(before, after);
}
