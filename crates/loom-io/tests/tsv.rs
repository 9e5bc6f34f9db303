//! TSV imports against loompy's create_from_tsv.

#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use loom_core::{connect, Mode};
use loom_io::{import_tsv, TsvImport};

fn run(opts: &TsvImport, out: &std::path::Path) -> serde_json::Value {
    let mut ds = loom_core::new(out).unwrap();
    import_tsv(&mut ds, opts).unwrap();
    ds.close().unwrap();
    loom_json(&connect(out, Mode::Read).unwrap())
}

#[test]
fn titled_header_quotes_and_metadata_as_loompy() {
    let dir = tempdir("tsv");
    let mut opts = TsvImport::new(fixture("tsv/expr.tsv"));
    opts.sample_id = "S_".into();
    opts.col_metadata = Some(fixture("tsv/meta.tsv"));
    assert_same(
        &expected("tsv_meta.expected.json"),
        &run(&opts, &dir.path().join("a.loom")),
    );
}

#[test]
fn gzipped_untitled_header_as_int32_as_loompy() {
    let dir = tempdir("tsv-gz");
    let mut opts = TsvImport::new(fixture("tsv/expr_nolabel.tsv.gz"));
    opts.dtype = "int32".into();
    assert_same(
        &expected("tsv_gz.expected.json"),
        &run(&opts, &dir.path().join("b.loom")),
    );
}

#[test]
fn metadata_out_of_order_gives_loompys_error() {
    let dir = tempdir("tsv-bad");
    let meta = dir.path().join("meta.tsv");
    std::fs::write(&meta, "CellID\tType\nc1\tA\nc0\tB\n").unwrap();
    let mut opts = TsvImport::new(fixture("tsv/expr.tsv"));
    opts.col_metadata = Some(meta);
    let mut ds = loom_core::new(dir.path().join("c.loom")).unwrap();
    let err = import_tsv(&mut ds, &opts).unwrap_err().to_string();
    assert!(err.starts_with("CellID c1 at row 0 in"), "{err}");
}
