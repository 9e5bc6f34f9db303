//! `cargo xtask crosscheck-io`: loom-io's importers and exporters against the real tools
//! on seeded random inputs the tests never saw (`xtask/crosscheck/io_random.py`).

use std::path::{Path, PathBuf};
use std::process::Command;

use loom_core::Mode;
use loom_io::{
    export_h5ad, export_mtx, import_10x, import_h5ad, import_matrix_market, H5adExport, H5adImport,
    MtxExport, MtxImport, TenxImport,
};

use crate::util;
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
    let (mut seed, mut count, mut keep, mut python) = (1u64, 8u64, false, None);
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut number = || -> Result<u64, String> {
            let v = it.next().ok_or(format!("{a} needs a number"))?;
            v.parse().map_err(|_| format!("{a} `{v}`: not a number"))
        };
        match a.as_str() {
            "--seed" => seed = number()?,
            "--count" => count = number()?,
            "--keep" => keep = true,
            "--python" => python = Some(it.next().ok_or("--python needs a path")?.clone()),
            other => return Err(format!("unexpected argument `{other}`\n\n{USAGE}")),
        }
    }
    let py = match python {
        Some(p) => PathBuf::from(p),
        None => util::ensure_python(&ws.root, None, false)?,
    };
    let script = ws
        .root
        .join("xtask")
        .join("crosscheck")
        .join("io_random.py");
    let base = ws.root.join("target").join("tmp").join("crosscheck-io");
    let (mut passed, mut failed) = (0, Vec::new());
    for case in seed..seed + count {
        let dir = base.join(format!("seed-{case}"));
        let _ = std::fs::remove_dir_all(&dir);
        util::run(
            Command::new(&py)
                .arg(&script)
                .arg("gen")
                .arg(&dir)
                .arg(case.to_string()),
            "io_random.py gen failed; it needs anndata, scanpy, loompy and h5py.",
        )?;
        let mut lines = Vec::new();
        for (name, convert) in CONVERSIONS {
            if let Err(e) = convert(&dir) {
                lines.push(format!("FAIL {name}: loom-io: {e}"));
            }
        }
        let out = Command::new(&py)
            .arg(&script)
            .arg("check")
            .arg(&dir)
            .output()
            .map_err(|e| format!("cannot run {}: {e}", script.display()))?;
        let text = String::from_utf8_lossy(&out.stdout);
        for l in text.lines() {
            let name = l.split(':').next().unwrap_or("");
            // A conversion that failed is reported once, by its own error.
            if !lines
                .iter()
                .any(|x| x.starts_with(name.replace("OK ", "FAIL ").as_str()))
            {
                lines.push(l.to_string());
            }
        }
        if !out.status.success() {
            lines.push(format!(
                "FAIL check script: {}",
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        let fails: Vec<&String> = lines.iter().filter(|l| l.starts_with("FAIL")).collect();
        let oks = lines.iter().filter(|l| l.starts_with("OK")).count();
        eprintln!("seed {case}: {oks} ok, {} failed", fails.len());
        for f in &fails {
            eprintln!("  {f}");
        }
        if fails.is_empty() {
            passed += oks;
            if !keep {
                let _ = std::fs::remove_dir_all(&dir);
            }
        } else {
            failed.extend(fails.iter().map(|f| format!("seed {case}: {f}")));
            eprintln!("  kept {}", dir.display());
        }
    }
    eprintln!("crosscheck-io: {passed} passed, {} failed", failed.len());
    if failed.is_empty() {
        Ok(())
    } else {
        Err(failed.join("\n"))
    }
}
