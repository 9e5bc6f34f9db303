//! loom → h5ad against anndata.read_loom's values of the same file, read back through
//! the h5ad importer; and h5ad → loom → h5ad round trips.

#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use loom_core::{connect, Mode};
use loom_io::{export_h5ad, import_h5ad, H5adExport, H5adImport};
use serde_json::Value;

fn transpose(m: &Value) -> Value {
    let rows = m.as_array().unwrap();
    let n = rows.first().map_or(0, |r| r.as_array().unwrap().len());
    Value::Array(
        (0..n)
            .map(|j| rows.iter().map(|r| r[j].clone()).collect())
            .collect(),
    )
}

fn reimport(h5ad: &std::path::Path, loom: &std::path::Path) -> Value {
    let mut ds = loom_core::new(loom).unwrap();
    let warnings = import_h5ad(&mut ds, &H5adImport::new(h5ad)).unwrap();
    assert!(warnings.is_empty(), "{warnings:?}");
    ds.close().unwrap();
    loom_json(&connect(loom, Mode::Read).unwrap())
}

#[test]
fn loom_to_h5ad_holds_read_loom_values() {
    let dir = tempdir("h5ad-export");
    let src = connect(fixture("velocity.loom"), Mode::Read).unwrap();
    let out = dir.path().join("v.h5ad");
    let warnings = export_h5ad(&src, &H5adExport::new(&out)).unwrap();
    assert!(warnings.is_empty(), "{warnings:?}");
    let got = reimport(&out, &dir.path().join("v.loom"));
    let want = expected("velocity.loom.read_loom.json");

    assert_same(&transpose(&want["X"]["data"]), &got["layers"][""]["data"]);
    assert_eq!(got["layers"][""]["dtype"], "float32");
    for (k, v) in want["layers"].as_object().unwrap() {
        assert_same(&transpose(&v["data"]), &got["layers"][k]["data"]);
        assert_eq!(got["layers"][k]["dtype"], v["dtype"]);
    }
    for (frame, attrs, names) in [("obs", "ca", "CellID"), ("var", "ra", "Gene")] {
        assert_same(&want[frame]["index"], &got[attrs][names]);
        for (col, v) in want[frame]["columns"].as_object().unwrap() {
            assert_same(&v["values"], &got[attrs][col]);
        }
    }
    assert_same(&want["obsm"]["Embedding"], &got["ca"]["Embedding"]);
    // Beyond read_loom: graphs and global attributes.
    let src_json = loom_json(&src);
    assert_same(&src_json["col_graphs"], &got["col_graphs"]);
    assert_same(&src_json["attrs"], &got["attrs"]);
    // A small matrix's sparse arrays are chunked by its cell count, not 65,536 entries
    // (2 x 256 KiB per matrix, whatever its few entries).
    let (n, m) = src.shape();
    let file = loom_core::File::open(&out).unwrap();
    for path in ["X/data", "X/indices", "layers/spliced/data"] {
        let chunks = file.dataset(path).unwrap().chunks().map(<[u64]>::to_vec);
        assert_eq!(chunks, Some(vec![n * m]), "{path}");
    }
}

#[test]
fn h5ad_to_loom_to_h5ad_keeps_every_value() {
    let dir = tempdir("h5ad-round");
    for name in ["dense.h5ad", "csr_lzf.h5ad", "csc_gzip.h5ad"] {
        let loom = dir.path().join(format!("{name}.loom"));
        let mut ds = loom_core::new(&loom).unwrap();
        import_h5ad(&mut ds, &H5adImport::new(fixture(name))).unwrap();
        ds.close().unwrap();
        let first = loom_json(&connect(&loom, Mode::Read).unwrap());
        let back = dir.path().join(format!("{name}.back.h5ad"));
        let mut opts = H5adExport::new(&back);
        opts.x_dtype = "float32".into();
        export_h5ad(&connect(&loom, Mode::Read).unwrap(), &opts).unwrap();
        let second = reimport(&back, &dir.path().join(format!("{name}.again.loom")));
        // The layers come back as float64 CSR (read_loom's type) and the main layer is
        // X again: values are equal.
        for (k, v) in first["layers"].as_object().unwrap() {
            assert_same(&v["data"], &second["layers"][k]["data"]);
        }
        for part in ["ra", "ca", "attrs", "row_graphs", "col_graphs"] {
            assert_same(&first[part], &second[part]);
        }
    }
}
