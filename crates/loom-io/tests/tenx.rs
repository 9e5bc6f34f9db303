//! 10x Cell Ranger folders against loompy's create_from_cellranger, and the .h5 layouts
//! against scanpy.read_10x_h5.

#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use loom_core::{connect, Mode};
use loom_io::{import_10x, TenxImport};

fn import(path: &std::path::Path, out: &std::path::Path) -> serde_json::Value {
    let mut ds = loom_core::new(out).unwrap();
    let opts = TenxImport {
        path: path.to_owned(),
        ..TenxImport::default()
    };
    let warnings = import_10x(&mut ds, &opts).unwrap();
    assert!(warnings.is_empty(), "{warnings:?}");
    ds.close().unwrap();
    loom_json(&connect(out, Mode::Read).unwrap())
}

#[test]
fn cellranger_folders_match_loompy() {
    let dir = tempdir("tenx");
    for v in ["cellranger2", "cellranger3"] {
        let got = import(&fixture(v), &dir.path().join(format!("{v}.loom")));
        let mut want = expected(&format!("{v}.expected.json"));
        if v == "cellranger3" {
            // Beyond loompy: the feature types of the v3 features.tsv.gz.
            let ft = got["ra"]["FeatureType"].clone();
            assert_eq!(ft[0], "Gene Expression");
            assert_eq!(ft[11], "Antibody Capture");
            want["ra"]["FeatureType"] = ft;
        }
        assert_same(&want, &got);
    }
}

fn transpose(m: &serde_json::Value) -> serde_json::Value {
    let rows = m.as_array().unwrap();
    let n = rows.first().map_or(0, |r| r.as_array().unwrap().len());
    serde_json::Value::Array(
        (0..n)
            .map(|j| rows.iter().map(|r| r[j].clone()).collect())
            .collect(),
    )
}

#[test]
fn h5_matrices_match_scanpy() {
    let dir = tempdir("tenx-h5");
    for v in ["10x_v2.h5", "10x_v3.h5"] {
        let got = import(&fixture(v), &dir.path().join(format!("{v}.loom")));
        let want = expected(&format!("{v}.expected.json"));
        assert_same(&transpose(&want["X"]["data"]), &got["layers"][""]["data"]);
        assert_eq!(got["layers"][""]["dtype"], "int32");
        assert_same(&want["var"]["index"], &got["ra"]["Gene"]);
        assert_same(
            &want["var"]["columns"]["gene_ids"]["values"],
            &got["ra"]["Accession"],
        );
        let stem = v.trim_end_matches(".h5");
        let ids: Vec<String> = want["obs"]["index"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| format!("{stem}:{}", b.as_str().unwrap()))
            .collect();
        assert_same(&serde_json::json!(ids), &got["ca"]["CellID"]);
        if v == "10x_v3.h5" {
            let cols = &want["var"]["columns"];
            assert_same(&cols["feature_types"]["values"], &got["ra"]["FeatureType"]);
            assert_same(&cols["genome"]["values"], &got["ra"]["Genome"]);
            assert!(got["attrs"].get("Genome").is_none());
        } else {
            assert_eq!(got["attrs"]["Genome"], "GRCh38");
        }
    }
}
