//! h5ad → loom against anndata.read_h5ad's values of the same files (dense, CSR with
//! LZF, CSC with gzip).

#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use loom_core::{connect, Mode};
use loom_io::{import_h5ad, H5adImport};
use serde_json::{json, Value};

pub fn transpose(m: &Value) -> Value {
    let rows = m.as_array().unwrap();
    let n = rows.first().map_or(0, |r| r.as_array().unwrap().len());
    Value::Array(
        (0..n)
            .map(|j| rows.iter().map(|r| r[j].clone()).collect())
            .collect(),
    )
}

/// A graph's edge lists as a dense matrix.
fn dense_graph(g: &Value, n: usize) -> Value {
    let mut m = vec![vec![0.0f64; n]; n];
    let (r, c, w) = (
        g[0].as_array().unwrap(),
        g[1].as_array().unwrap(),
        g[2].as_array().unwrap(),
    );
    for k in 0..r.len() {
        m[r[k].as_u64().unwrap() as usize][c[k].as_u64().unwrap() as usize] +=
            w[k].as_f64().unwrap();
    }
    json!(m)
}

#[test]
fn h5ad_files_import_with_anndata_values() {
    let dir = tempdir("h5ad-import");
    for name in ["dense.h5ad", "csr_lzf.h5ad", "csc_gzip.h5ad"] {
        let out = dir.path().join(format!("{name}.loom"));
        let mut ds = loom_core::new(&out).unwrap();
        let warnings = import_h5ad(&mut ds, &H5adImport::new(fixture(name))).unwrap();
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(warnings[0].contains("/uns/neighbors"), "{warnings:?}");
        ds.close().unwrap();
        let got = loom_json(&connect(&out, Mode::Read).unwrap());
        let want = expected(&format!("{name}.expected.json"));

        assert_same(&transpose(&want["X"]["data"]), &got["layers"][""]["data"]);
        assert_eq!(got["layers"][""]["dtype"], want["X"]["dtype"]);
        let counts = &want["layers"]["counts"];
        assert_same(
            &transpose(&counts["data"]),
            &got["layers"]["counts"]["data"],
        );
        assert_eq!(got["layers"]["counts"]["dtype"], counts["dtype"]);

        for (frame, attrs, names) in [("obs", "ca", "CellID"), ("var", "ra", "Gene")] {
            assert_same(&want[frame]["index"], &got[attrs][names]);
            for (col, v) in want[frame]["columns"].as_object().unwrap() {
                assert_same(&v["values"], &got[attrs][col]);
            }
        }
        for (m, attrs) in [("obsm", "ca"), ("varm", "ra")] {
            for (k, v) in want[m].as_object().unwrap() {
                assert_same(v, &got[attrs][k]);
            }
        }
        assert_same(
            &want["obsp"]["connectivities"],
            &dense_graph(&got["col_graphs"]["connectivities"], 9),
        );
        assert_same(
            &want["varp"]["corr"],
            &dense_graph(&got["row_graphs"]["corr"], 12),
        );
        for k in ["title", "n_pcs", "resolution", "colors"] {
            assert_same(&want["uns"][k], &got["attrs"][k]);
        }
    }
}
