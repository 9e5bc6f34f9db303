//! `cargo xtask crosscheck-io`: loom-io's importers and exporters against the real tools
//! on seeded random inputs the tests never saw (`xtask/crosscheck/io_random.py`).

use std::path::Path;

use loom_core::Mode;
use loom_io::{
    export_h5ad, export_mtx, import_10x, import_h5ad, import_matrix_market, H5adExport, H5adImport,
    MtxExport, MtxImport, TenxImport,
};

use crate::seeded::Seeded;
use crate::Workspace;

/// Usage text for `cargo xtask crosscheck-io --help`.
pub const USAGE: &str = "\
usage: cargo xtask crosscheck-io [--seed N] [--count K] [--keep] [--python PY]

For each of K seeds from N (default: 8 seeds from 1), xtask/crosscheck/io_random.py
writes random inputs with the real tools (anndata h5ad: dense/CSR/CSC X, categoricals,
obsm/obsp CSR or CSC, gzip/lzf; a loompy .loom with a graph; a Cell Ranger v3 .h5 and
folder; a MatrixMarket file with shuffled entries and loompy's create_from_matrix_market
of it); every fourth seed is large enough to span several windows. loom-io converts
each (h5ad->loom, loom->h5ad, loom->10x mtx, 10x .h5->loom, 10x folder->loom,
mtx->loom), then the script compares every output with the tool's reading of the
input (anndata, scanpy, loompy). Cases go to target/tmp/crosscheck-io/ and are deleted
when they pass (kept with --keep, or when one fails). Exits non-zero on any failure.

  --python PY   the interpreter (anndata, scanpy, loompy, h5py); default the pinned
                venv target/xtask-venv";

type Convert = fn(&Path) -> Result<(), String>;

/// loom-io's conversions of one case directory: name and what it does.
const CONVERSIONS: [(&str, Convert); 6] = [
    ("h5ad->loom", |d| {
        let mut ds = loom_core::new(d.join("from_h5ad.loom")).map_err(s)?;
        import_h5ad(&mut ds, &H5adImport::new(d.join("in.h5ad"))).map_err(s)?;
        ds.close().map_err(s)
    }),
    ("loom->h5ad", |d| {
        let ds = loom_core::connect(d.join("in.loom"), Mode::Read).map_err(s)?;
        export_h5ad(&ds, &H5adExport::new(d.join("to.h5ad")))
            .map(drop)
            .map_err(s)
    }),
    ("loom->mtx", |d| {
        let ds = loom_core::connect(d.join("in.loom"), Mode::Read).map_err(s)?;
        export_mtx(&ds, &MtxExport::new(d.join("to_mtx")))
            .map(drop)
            .map_err(s)
    }),
    ("10x.h5->loom", |d| {
        tenx(&d.join("in_10x.h5"), &d.join("from_10x_h5.loom"))
    }),
    ("10x folder->loom", |d| {
        tenx(&d.join("tenx"), &d.join("from_tenx.loom"))
    }),
    ("shuffled mtx->loom", |d| {
        let m = d.join("mtx");
        let mut ds = loom_core::new(d.join("from_mtx.loom")).map_err(s)?;
        let opts = MtxImport {
            sample_id: "s".into(),
            layers: vec![(String::new(), m.join("m.mtx"))],
            row_metadata: m.join("genes.tsv"),
            col_metadata: m.join("barcodes.tsv"),
            ..MtxImport::default()
        };
        import_matrix_market(&mut ds, &opts).map_err(s)?;
        ds.close().map_err(s)
    }),
];

fn s(e: impl std::fmt::Display) -> String {
    e.to_string()
}

fn tenx(input: &Path, out: &Path) -> Result<(), String> {
    let mut ds = loom_core::new(out).map_err(s)?;
    let opts = TenxImport {
        path: input.to_path_buf(),
        ..TenxImport::default()
    };
    import_10x(&mut ds, &opts).map_err(s)?;
    ds.close().map_err(s)
}

/// Entry point of `cargo xtask crosscheck-io`.
pub fn run(ws: &Workspace, args: &[String]) -> Result<(), String> {
    let seeded = Seeded::parse(ws, args, "crosscheck-io", "io_random.py", 8, USAGE)?;
    seeded.run("anndata, scanpy, loompy and h5py", |dir| {
        Ok(CONVERSIONS
            .iter()
            .filter_map(|(name, convert)| {
                convert(dir)
                    .err()
                    .map(|e| format!("FAIL {name}: loom-io: {e}"))
            })
            .collect())
    })
}
