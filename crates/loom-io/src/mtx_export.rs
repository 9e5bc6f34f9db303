//! loom → a 10x-style MatrixMarket folder (Cell Ranger 3 layout): `matrix.mtx.gz`
//! (genes x cells, 1-based coordinates, column by column), `features.tsv.gz` (id, name,
//! feature type) and `barcodes.tsv.gz`, as `scanpy.read_10x_mtx` reads them.
//!
//! One pass over the layer in column windows: the entries go to a gzip member in a
//! temporary file while they are counted, then the header (which must give the count) is
//! written as a first gzip member and the entries' member copied after it (a gzip file may
//! hold several members; gzip, zlib and scipy read them as one stream).

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use flate2::write::GzEncoder;
use flate2::Compression;
use loom_core::{AttrValues, LoomConnection};

use crate::error::{IoError, Result};
use crate::sink::window_len;

/// What to export and how.
#[derive(Debug, Clone)]
pub struct MtxExport {
    /// The folder to write (created if missing).
    pub dir: PathBuf,
    /// The layer (`""`: the main matrix).
    pub layer: String,
    /// Row attribute for the feature IDs (default `Accession`, else the names).
    pub feature_ids: String,
    /// Row attribute for the feature names (default `Gene`).
    pub feature_names: String,
    /// Column attribute for the barcodes (default `CellID`).
    pub barcodes: String,
}

impl MtxExport {
    /// Defaults for writing into `dir`.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        MtxExport {
            dir: dir.into(),
            layer: String::new(),
            feature_ids: "Accession".into(),
            feature_names: "Gene".into(),
            barcodes: "CellID".into(),
        }
    }
}

fn gz(path: &Path) -> Result<GzEncoder<BufWriter<File>>> {
    let f = File::create(path).map_err(|e| IoError::file(path, e))?;
    Ok(GzEncoder::new(BufWriter::new(f), Compression::new(4)))
}

fn strings_or(
    ds: &LoomConnection,
    rows: bool,
    name: &str,
    n: usize,
) -> Result<Option<Vec<String>>> {
    let attrs = if rows { ds.ra() } else { ds.ca() };
    if !attrs.contains(name) {
        return Ok(None);
    }
    let v = attrs.get(name)?;
    let out: Vec<String> = match &v {
        AttrValues::Str(s) => s.iter().cloned().collect(),
        other => other
            .to_f64()
            .map(|a| a.iter().map(|x| format!("{x}")).collect())
            .unwrap_or_default(),
    };
    Ok((out.len() == n).then_some(out))
}

/// Writes the folder.
pub fn export_mtx(ds: &LoomConnection, opts: &MtxExport) -> Result<()> {
    let (n, m) = ds.shape();
    let (n, m) = (n as usize, m as usize);
    let dtype = ds.layers().dtype(&opts.layer)?;
    let integer = dtype.starts_with("int") || dtype.starts_with("uint");
    std::fs::create_dir_all(&opts.dir).map_err(|e| IoError::file(&opts.dir, e))?;

    let names = strings_or(ds, true, &opts.feature_names, n)?;
    let ids = strings_or(ds, true, &opts.feature_ids, n)?;
    let types = strings_or(ds, true, "FeatureType", n)?;
    let mut f = gz(&opts.dir.join("features.tsv.gz"))?;
    let fpath = opts.dir.join("features.tsv.gz");
    for i in 0..n {
        let name = names
            .as_ref()
            .map_or_else(|| format!("gene{i}"), |v| v[i].clone());
        let id = ids.as_ref().map_or_else(|| name.clone(), |v| v[i].clone());
        let t = types.as_ref().map_or("Gene Expression", |v| v[i].as_str());
        writeln!(f, "{id}\t{name}\t{t}").map_err(|e| IoError::file(&fpath, e))?;
    }
    f.finish().map_err(|e| IoError::file(&fpath, e))?;

    let bpath = opts.dir.join("barcodes.tsv.gz");
    let bcs = strings_or(ds, false, &opts.barcodes, m)?;
    let mut b = gz(&bpath)?;
    for j in 0..m {
        match &bcs {
            Some(v) => writeln!(b, "{}", v[j]),
            None => writeln!(b, "cell{j}"),
        }
        .map_err(|e| IoError::file(&bpath, e))?;
    }
    b.finish().map_err(|e| IoError::file(&bpath, e))?;

    let mpath = opts.dir.join("matrix.mtx.gz");
    let body_path = opts.dir.join("matrix.mtx.gz.partial");
    let result = write_matrix(ds, opts, &mpath, &body_path, integer, (n, m));
    let _ = std::fs::remove_file(&body_path);
    result
}

fn write_matrix(
    ds: &LoomConnection,
    opts: &MtxExport,
    mpath: &Path,
    body_path: &Path,
    integer: bool,
    (n, m): (usize, usize),
) -> Result<()> {
    let io = |e| IoError::file(body_path, e);
    let mut body = gz(body_path)?;
    let mut nnz = 0u64;
    let step = window_len(n, m);
    let mut c0 = 0;
    while c0 < m {
        let c1 = (c0 + step).min(m);
        let block = ds.layers().read::<f64>(&opts.layer, .., c0..c1)?;
        for j in 0..c1 - c0 {
            for (i, v) in block.column(j).iter().enumerate() {
                if *v != 0.0 {
                    nnz += 1;
                    if integer {
                        writeln!(body, "{} {} {}", i + 1, c0 + j + 1, *v as i64).map_err(io)?;
                    } else {
                        writeln!(body, "{} {} {}", i + 1, c0 + j + 1, v).map_err(io)?;
                    }
                }
            }
        }
        c0 = c1;
        ds.progress().report(c0 as u64, m as u64);
    }
    body.finish().map_err(io)?.flush().map_err(io)?;
    let out = |e| IoError::file(mpath, e);
    let mut head = gz(mpath)?;
    let field = if integer { "integer" } else { "real" };
    writeln!(head, "%%MatrixMarket matrix coordinate {field} general").map_err(out)?;
    writeln!(
        head,
        "%metadata_json: {{\"software_version\": \"loom-rs\"}}"
    )
    .map_err(out)?;
    writeln!(head, "{n} {m} {nnz}").map_err(out)?;
    let mut file = head.finish().map_err(out)?;
    let mut src = File::open(body_path).map_err(io)?;
    std::io::copy(&mut src, &mut file).map_err(out)?;
    file.flush().map_err(out)?;
    Ok(())
}
