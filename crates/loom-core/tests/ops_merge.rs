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

/// Found by `cargo xtask crosscheck-ops` (seed 2, combine with convert_attrs): a global
/// attribute only this file has becomes a column attribute that is this file's value on
/// its columns and the zero of its type ("") on the other file's, as in loompy.
#[test]
fn add_loom_convert_attrs_fills_the_other_files_columns_with_zero() {
    let path = scratch("input.loom", "addloom-convert");
    let twin = scratch("input.loom", "addloom-convert-twin").with_file_name("twin.loom");
    std::fs::copy(fixture("input.loom"), &twin).unwrap();
    let mut ds = connect(&path, Mode::ReadWrite).unwrap();
    ds.attrs_mut().set("combined", "yes").unwrap();
    let opts = AddLoomOptions {
        key: Some("Gene".into()),
        convert_attrs: true,
        ..AddLoomOptions::default()
    };
    ds.add_loom(&twin, &opts).unwrap();
    let ca = ds.ca().get("combined").unwrap();
    let got: Vec<&str> = ca
        .as_strings()
        .unwrap()
        .iter()
        .map(String::as_str)
        .collect();
    let mut want = vec!["yes"; 11];
    want.extend([""; 11]);
    assert_eq!(got, want);
    assert!(
        !ds.attrs().contains("combined"),
        "the global becomes a column attribute"
    );
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
        ..CombineFasterOptions::default()
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

/// A `rows` × `cols` float32 matrix with a few values per column, distinct per file.
fn pattern(rows: usize, cols: usize, seed: u32) -> ndarray::Array2<f32> {
    ndarray::Array2::from_shape_fn((rows, cols), |(i, j)| {
        let h = (i as u32 * 31 + j as u32 * 17 + seed * 7) % 11;
        if h < 3 {
            (h + 1 + seed) as f32
        } else {
            0.0
        }
    })
}

/// Writes a loom file of `m` as the main layer, with column and row attributes (genes
/// named in sorted order).
fn write_input(path: &std::path::Path, m: &ndarray::Array2<f32>, tag: &str) {
    let genes: Vec<String> = (0..m.nrows()).map(|i| format!("g{i:04}")).collect();
    let cells: Vec<String> = (0..m.ncols()).map(|j| format!("{tag}{j}")).collect();
    loom_core::create(
        path,
        &[("", loom_core::LayerInput::from(m))],
        &[("Gene", loom_core::AttrValues::from(genes))],
        &[("CellID", loom_core::AttrValues::from(cells))],
        &[],
    )
    .unwrap();
}

#[test]
fn combine_faster_copies_aligned_chunks_compressed_and_values_match() {
    use loom_core::ops::{combine_faster, CombineFasterOptions, CombineStats};
    use loom_core::Selection;
    let dir = scratch("input.loom", "combine-raw")
        .parent()
        .unwrap()
        .to_path_buf();
    let (a, b, c) = (pattern(70, 128, 1), pattern(70, 70, 2), pattern(70, 100, 3));
    let (pa, pb, pc) = (dir.join("a.loom"), dir.join("b.loom"), dir.join("c.loom"));
    write_input(&pa, &a, "a");
    write_input(&pb, &b, "b");
    write_input(&pc, &c, "c");
    let read_all = |p: &std::path::Path| {
        connect(p, Mode::Read)
            .unwrap()
            .read::<f32>(Selection::All, Selection::All)
            .unwrap()
    };
    // a (128 columns) then b (70): every chunk lands on the output grid, b's last one
    // (6 columns) at the output's end.
    let out = dir.join("ab.loom");
    let stats = combine_faster(&[&pa, &pb], &out, &CombineFasterOptions::default()).unwrap();
    assert_eq!(
        stats,
        CombineStats {
            raw_chunks: 8,
            decoded_columns: 0
        }
    );
    let want = ndarray::concatenate![ndarray::Axis(1), a, b];
    assert_eq!(read_all(&out), want);
    let ds = connect(&out, Mode::Read).unwrap();
    let cells = ds.ca().get("CellID").unwrap();
    assert_eq!(cells.as_strings().unwrap()[128], "b0");
    // Closed before the directory is deleted: Windows refuses to delete an open file.
    drop(ds);
    // The stored bytes are the input's, not a new encoding.
    let raw = |p: &std::path::Path, col: u64| {
        let f = hdf5_lite::read::File::open(p).unwrap();
        let d = f.dataset("/matrix").unwrap();
        let r = d
            .chunk_records()
            .unwrap()
            .into_iter()
            .find(|r| r.offset == [64, col])
            .unwrap();
        f.read_raw_chunk(&r).unwrap()
    };
    assert_eq!(raw(&out, 128 + 64), raw(&pb, 64));
    assert_eq!(raw(&out, 64), raw(&pa, 64));

    // c (100 columns) then a: c's first chunk is copied; its last 36 columns and all of
    // a (off the grid at column 100) are decoded.
    let out = dir.join("ca.loom");
    let stats = combine_faster(&[&pc, &pa], &out, &CombineFasterOptions::default()).unwrap();
    assert_eq!(
        stats,
        CombineStats {
            raw_chunks: 2,
            decoded_columns: 36 + 128
        }
    );
    assert_eq!(
        read_all(&out),
        ndarray::concatenate![ndarray::Axis(1), c, a]
    );

    // A selection that skips a column inside the first chunk: that chunk is decoded.
    let mut mask = vec![true; 128];
    mask[5] = false;
    let opts = CombineFasterOptions {
        selections: Some(vec![Some(mask.clone()), None]),
        ..CombineFasterOptions::default()
    };
    let out = dir.join("sel.loom");
    combine_faster(&[&pa, &pb], &out, &opts).unwrap();
    let keep: Vec<usize> = (0..128).filter(|&j| mask[j]).collect();
    let want = ndarray::concatenate![ndarray::Axis(1), a.select(ndarray::Axis(1), &keep), b];
    assert_eq!(read_all(&out), want);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn combine_faster_decodes_off_grid_columns_in_bands_of_rows_and_wide_windows() {
    use loom_core::ops::{combine_faster, CombineFasterOptions};
    use loom_core::Selection;
    let dir = scratch("input.loom", "combine-bands")
        .parent()
        .unwrap()
        .to_path_buf();
    // 130 rows: bands of 64, 64 and 2. The second file lands at column 100, off the
    // 64-column grid, and is wider than one band window (4,096 columns), so its columns
    // are decoded in two windows per band, the second starting on a chunk boundary.
    let (c, d) = (pattern(130, 100, 3), pattern(130, 4300, 4));
    let (pc, pd) = (dir.join("c.loom"), dir.join("d.loom"));
    write_input(&pc, &c, "c");
    write_input(&pd, &d, "d");
    let out = dir.join("cd.loom");
    let stats = combine_faster(&[&pc, &pd], &out, &CombineFasterOptions::default()).unwrap();
    assert_eq!(stats.decoded_columns, 36 + 4300);
    let got = connect(&out, Mode::Read)
        .unwrap()
        .read::<f32>(Selection::All, Selection::All)
        .unwrap();
    let want = ndarray::concatenate![ndarray::Axis(1), c, d];
    assert_eq!(got, want);
    // By a key already in order: the rows stay where they are, so c's first chunk
    // column (three chunks) is still copied as stored.
    let opts = CombineFasterOptions {
        key: Some("Gene".into()),
        ..CombineFasterOptions::default()
    };
    let keyed = dir.join("keyed.loom");
    let stats = combine_faster(&[&pc, &pd], &keyed, &opts).unwrap();
    assert_eq!(stats.raw_chunks, 3);
    let got = connect(&keyed, Mode::Read)
        .unwrap()
        .read::<f32>(Selection::All, Selection::All)
        .unwrap();
    assert_eq!(got, want);
    std::fs::remove_dir_all(&dir).unwrap();
}
