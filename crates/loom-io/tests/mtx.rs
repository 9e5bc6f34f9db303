//! MatrixMarket imports against loompy's create_from_matrix_market, and the reader's
//! errors on bad input.

#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use loom_core::{connect, Mode};
use loom_io::{import_matrix_market, MtxImport, MtxReader};

fn run(opts: &MtxImport, out: &std::path::Path) -> serde_json::Value {
    let mut ds = loom_core::new(out).unwrap();
    import_matrix_market(&mut ds, opts).unwrap();
    ds.close().unwrap();
    loom_json(&connect(out, Mode::Read).unwrap())
}

#[test]
fn layers_summed_into_the_main_layer_as_loompy() {
    let dir = tempdir("mtx-sum");
    let d = fixture("mtx");
    let opts = MtxImport {
        sample_id: "S1".into(),
        layers: vec![
            ("spliced".into(), d.join("spliced.mtx")),
            ("unspliced".into(), d.join("unspliced.mtx")),
        ],
        row_metadata: d.join("genes.tsv"),
        col_metadata: d.join("barcodes.tsv"),
        ..MtxImport::default()
    };
    assert_same(
        &expected("mtx_sum.expected.json"),
        &run(&opts, &dir.path().join("a.loom")),
    );
}

#[test]
fn transposed_file_and_accession_only_rows_as_loompy() {
    let dir = tempdir("mtx-t");
    let d = fixture("mtx");
    let opts = MtxImport {
        sample_id: "S1".into(),
        layers: vec![("".into(), d.join("spliced_t.mtx"))],
        row_metadata: d.join("accessions.tsv"),
        col_metadata: d.join("barcodes.tsv"),
        transposed: true,
        ..MtxImport::default()
    };
    let mut want = expected("mtx_transposed.expected.json");
    // Deliberate difference: loompy keeps the line ending in a one-column Accession
    // ("ENSG…\n"); we strip it.
    for a in want["ra"]["Accession"].as_array_mut().unwrap() {
        *a = serde_json::json!(a.as_str().unwrap().trim_end());
    }
    assert_same(&want, &run(&opts, &dir.path().join("b.loom")));
}

#[test]
fn gzipped_real_values_and_bad_files() {
    let mut r = MtxReader::open(&fixture("mtx/real.mtx.gz"), 1).unwrap();
    assert_eq!((r.rows, r.cols), (12, 9));
    let first = r.next_entry().unwrap().unwrap();
    assert_eq!((first.row, first.col), (0, 0));
    assert_eq!(first.values[0], 7.0 / 4.0);

    let dir = tempdir("mtx-bad");
    for (text, needle) in [
        ("hello\n", "not a MatrixMarket"),
        (
            "%%MatrixMarket matrix array real general\n2 2\n",
            "coordinate",
        ),
        (
            "%%MatrixMarket matrix coordinate integer general\n2 2 1\n3 1 5\n",
            "row index 3",
        ),
        (
            "%%MatrixMarket matrix coordinate integer general\n2 2 2\n1 1 5\n",
            "announced 2",
        ),
        (
            "%%MatrixMarket matrix coordinate integer general\n2 2 1\n1 1 x\n",
            "bad value",
        ),
    ] {
        let p = dir.path().join("bad.mtx");
        std::fs::write(&p, text).unwrap();
        let err = MtxReader::open(&p, 1).and_then(|mut r| {
            while r.next_entry()?.is_some() {}
            Ok(())
        });
        let msg = err.unwrap_err().to_string();
        assert!(msg.contains(needle), "{msg}");
        assert!(msg.contains("bad.mtx"), "{msg}");
    }
}

#[test]
fn loom_to_10x_folder_and_back() {
    use loom_io::{export_mtx, import_10x, MtxExport, TenxImport};
    let dir = tempdir("mtx-export");
    let first = dir.path().join("first.loom");
    let mut ds = loom_core::new(&first).unwrap();
    import_10x(
        &mut ds,
        &TenxImport {
            path: fixture("cellranger3"),
            ..TenxImport::default()
        },
    )
    .unwrap();
    ds.close().unwrap();
    let mut src = connect(&first, Mode::Read).unwrap();
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    src.set_progress(loom_core::Progress::new({
        let seen = seen.clone();
        move |done, total| seen.lock().unwrap().push((done, total))
    }));
    let folder = dir.path().join("filtered_feature_bc_matrix");
    export_mtx(&src, &MtxExport::new(&folder)).unwrap();
    // The cells written, window by window (one window here).
    let cells = src.shape().1;
    assert_eq!(*seen.lock().unwrap(), [(cells, cells)]);
    let again = dir.path().join("again.loom");
    let mut ds = loom_core::new(&again).unwrap();
    import_10x(
        &mut ds,
        &TenxImport {
            path: folder,
            sample_id: Some("x".into()),
            ..TenxImport::default()
        },
    )
    .unwrap();
    ds.close().unwrap();
    let (a, b) = (
        loom_json(&src),
        loom_json(&connect(&again, Mode::Read).unwrap()),
    );
    assert_same(&a["layers"], &b["layers"]);
    assert_same(&a["ra"], &b["ra"]);
    // The barcodes are the CellIDs, which the second import prefixes again.
    let ids: Vec<String> = a["ca"]["CellID"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| format!("x:{}", s.as_str().unwrap()))
        .collect();
    assert_same(&serde_json::json!(ids), &b["ca"]["CellID"]);
}

/// Entries in no column order over more columns than one window: the importer's
/// external sort puts them in place (duplicates summed, as scipy does).
#[test]
fn entries_out_of_column_order_over_many_windows() {
    use loom_io::fill_layers;
    let dir = tempdir("mtx-unsorted");
    // 70000 rows make a window 64 columns wide: 300 columns span five windows.
    let (rows, cols) = (70_000usize, 300usize);
    let mut entries = Vec::new();
    for k in 0..600usize {
        let c = (k * 7919) % cols;
        let r = (k * 104_729) % rows;
        entries.push((r, c, (k % 17 + 1) as i64));
    }
    entries.push(entries[5]);
    let mut text = format!(
        "%%MatrixMarket matrix coordinate integer general\n{rows} {cols} {}\n",
        entries.len()
    );
    for (r, c, v) in &entries {
        text.push_str(&format!("{} {} {v}\n", r + 1, c + 1));
    }
    let p = dir.path().join("unsorted.mtx");
    std::fs::write(&p, text).unwrap();
    let out = dir.path().join("u.loom");
    let mut ds = loom_core::new(&out).unwrap();
    let empty = loom_core::sprs::CsMat::<f64>::zero((rows, cols)).to_csc();
    let opts = loom_core::LayerOptions {
        dtype: Some("int64".into()),
        ..Default::default()
    };
    ds.layers_mut().set_with("", &empty, &opts).unwrap();
    fill_layers::<i64>(&mut ds, &p, &[""], false).unwrap();
    ds.close().unwrap();
    let ds = connect(&out, Mode::Read).unwrap();
    let mut want = std::collections::HashMap::new();
    for (r, c, v) in &entries {
        *want.entry((*r, *c)).or_insert(0) += v;
    }
    let got = ds.sparse(.., .., "").unwrap();
    assert_eq!(got.nnz(), want.len());
    for (v, (r, c)) in got.triplet_iter() {
        assert_eq!(want.get(&(r, c)).copied(), Some(*v as i64), "({r}, {c})");
    }
}
