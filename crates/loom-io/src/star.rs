//! loompy's `create_from_star` (loompy-api.md §2.10): STARsolo's `Solo.out` into loom.
//!
//! The Velocyto `spliced`/`unspliced`/`ambiguous` layers come from one 3-value
//! `matrix.mtx` or from `spliced.mtx`/`unspliced.mtx`/`ambiguous.mtx` (STAR ≥ 2.7.9) in
//! `Solo.out/Velocyto/{filtered|raw}`; gene-type layers (`Gene`, `GeneFull`, …) from
//! `Solo.out/<type>/{filtered|raw}`. The cell filter picks the kept barcodes: `star` (or
//! any unknown name) the Velocyto filtered barcodes, `none` the raw ones, `combine` the
//! union of all, a gene type that type's. Each layer is re-indexed to the kept barcodes
//! (missing cells stay 0) and gets a `Valid_<layer>` column attribute (0/1). The main
//! layer is `velosum` (spliced + unspliced + ambiguous) or the named layer moved to `""`.
//! Column attributes `CellID = "{sample}:{barcode}"` and `BarcodeTotalUMIs` (the main
//! layer's column sums); row attributes `Gene` and `Accession`. Like loompy, all layers
//! are float64. Every layer streams from its file in column windows.
//!
//! With a GTF file the row attributes are loompy's gene annotations
//! ([`crate::metadata::gene_attrs`]); with a sample metadata file (an SQLite `.db` or a
//! tab-separated file, [`crate::metadata::sample_metadata`]) each of the sample's fields
//! becomes a column attribute holding its value for every cell, typed as loompy types it
//! ([`crate::metadata::sample_attr`]); a sample that is not found, or a file that cannot
//! be read, is skipped with a warning, as loompy prints and skips it. `file_attrs`
//! become global attributes.
//!
//! Differences from loompy 3.0.8: `none` works (loompy fails with an UnboundLocalError);
//! `combine` orders the barcodes by first appearance (loompy uses a set's order, which
//! changes from run to run); the `emptydrops` filter (loompy's `call_cells`, with its
//! `expected_n_cells`, `min_total_umis` and `ambient_pthreshold`) is not implemented
//! (an error says so).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use loom_core::{AttrValues, LoomConnection};

use crate::error::{IoError, Result};
use crate::metadata::{gene_attrs, sample_attr, sample_metadata};
use crate::mtx_layers::{fill_mapped, mtx_shape, sum_layers};
use crate::sink::{create_layer, window_len};
use crate::text::read_lines;

/// The gene types STARsolo writes besides Velocyto.
pub const GENE_TYPES: [&str; 4] = [
    "Gene",
    "GeneFull",
    "GeneFull_ExonOverIntron",
    "GeneFull_Ex50pAS",
];

/// `create_from_star`'s inputs.
#[derive(Debug, Clone)]
pub struct StarImport {
    /// The STARsolo output folder (holding `Solo.out`), or `Solo.out` itself.
    pub dir: PathBuf,
    /// Prefix of the cell IDs.
    pub sample_id: String,
    /// `star`, `none`, `combine` or a gene type.
    pub cell_filter: String,
    /// `velosum` or a layer to move to the main layer.
    pub main_layer: String,
    /// Gene types to add as layers.
    pub extra_layers: Vec<String>,
    /// A sample metadata file (loompy's `sample_metadata_file`): an SQLite database
    /// when the name ends in `.db`, else tab-separated.
    pub sample_metadata: Option<PathBuf>,
    /// A GTF file annotating the genes (loompy's `gtf_file`).
    pub gtf: Option<PathBuf>,
    /// Global attributes to set.
    pub file_attrs: Vec<(String, String)>,
}

impl StarImport {
    /// loompy's defaults.
    pub fn new(dir: impl Into<PathBuf>, sample_id: &str) -> Self {
        StarImport {
            dir: dir.into(),
            sample_id: sample_id.to_owned(),
            cell_filter: "star".into(),
            main_layer: "velosum".into(),
            extra_layers: Vec::new(),
            sample_metadata: None,
            gtf: None,
            file_attrs: Vec::new(),
        }
    }
}

/// One source matrix: its file, the value index within it, its barcodes.
struct Part {
    layer: String,
    file: PathBuf,
    barcodes: Vec<String>,
}

/// Imports into `ds` (a new, empty connection). Returns warnings.
pub fn import_star(ds: &mut LoomConnection, opts: &StarImport) -> Result<Vec<String>> {
    let mut warnings = Vec::new();
    if opts.cell_filter == "emptydrops" {
        return Err(IoError::Invalid(
            "cell_filter 'emptydrops' is not implemented; use star, none, combine or a gene type"
                .into(),
        ));
    }
    let mut gtypes = opts.extra_layers.clone();
    for f in [&opts.cell_filter, &opts.main_layer] {
        if GENE_TYPES.contains(&f.as_str()) && !gtypes.contains(f) {
            gtypes.push(f.clone());
        }
    }
    let subdir = if opts.cell_filter == "none" {
        "raw"
    } else {
        "filtered"
    };
    let solo = if opts.dir.file_name().is_some_and(|n| n == "Solo.out") {
        opts.dir.clone()
    } else {
        opts.dir.join("Solo.out")
    };
    let velodir = solo.join("Velocyto").join(subdir);
    let features = read_lines(&velodir.join("features.tsv"))?;
    let n = features.len();
    let mut parts: Vec<Part> = Vec::new();
    for g in &gtypes {
        let d = solo.join(g).join(subdir);
        let (mtx, bcs) = (d.join("matrix.mtx"), d.join("barcodes.tsv"));
        if mtx.is_file() && bcs.is_file() {
            parts.push(Part {
                layer: g.clone(),
                file: mtx,
                barcodes: read_bcs(&bcs)?,
            });
        } else {
            warnings.push(format!(
                "{}: no matrix.mtx and barcodes.tsv; layer {g} left out",
                d.display()
            ));
        }
    }
    let velobcs = read_bcs(&velodir.join("barcodes.tsv"))?;
    let common = velodir.join("matrix.mtx");
    let velo_files: Vec<PathBuf> = if common.is_file() {
        vec![common]
    } else {
        ["spliced", "unspliced", "ambiguous"]
            .iter()
            .map(|v| velodir.join(format!("{v}.mtx")))
            .collect()
    };
    for f in &velo_files {
        let (shape, _) = mtx_shape(f, false)?;
        if shape != (n, velobcs.len()) {
            return Err(IoError::format(
                f,
                0,
                format!(
                    "{} x {} matrix for {n} features and {} barcodes",
                    shape.0,
                    shape.1,
                    velobcs.len()
                ),
            ));
        }
    }
    for p in &parts {
        let (shape, _) = mtx_shape(&p.file, false)?;
        if shape != (n, p.barcodes.len()) {
            return Err(IoError::format(
                &p.file,
                0,
                format!(
                    "{} x {} matrix for {n} features and {} barcodes",
                    shape.0,
                    shape.1,
                    p.barcodes.len()
                ),
            ));
        }
    }

    let valid: Vec<String> = match opts.cell_filter.as_str() {
        "combine" => {
            let mut seen = HashMap::new();
            let mut out = Vec::new();
            for b in parts
                .iter()
                .flat_map(|p| p.barcodes.iter())
                .chain(velobcs.iter())
            {
                if seen.insert(b.clone(), ()).is_none() {
                    out.push(b.clone());
                }
            }
            out
        }
        f if gtypes.iter().any(|g| g == f) => parts
            .iter()
            .find(|p| p.layer == f)
            .map(|p| p.barcodes.clone())
            .ok_or_else(|| IoError::Missing(format!("no {f} matrix for the cell filter")))?,
        _ => velobcs.clone(),
    };
    let m = valid.len();
    if m == 0 || n == 0 {
        return Err(IoError::Invalid("no cells or no features".into()));
    }
    let index: HashMap<&str, usize> = valid
        .iter()
        .enumerate()
        .map(|(i, b)| (b.as_str(), i))
        .collect();
    let mapping = |bcs: &[String]| -> (Vec<Option<usize>>, Vec<i64>) {
        let map: Vec<Option<usize>> = bcs.iter().map(|b| index.get(b.as_str()).copied()).collect();
        let mut flags = vec![0i64; m];
        for t in map.iter().flatten() {
            flags[*t] = 1;
        }
        (map, flags)
    };

    create_layer(ds, "", (n, m), "float64")?;
    let main_is = |layer: &str| opts.main_layer == layer;
    let (velo_map, velo_flags) = mapping(&velobcs);
    let velo_names: Vec<&str> = ["spliced", "unspliced", "ambiguous"]
        .into_iter()
        .map(|l| if main_is(l) { "" } else { l })
        .collect();
    for l in &velo_names {
        if !l.is_empty() {
            create_layer(ds, l, (n, m), "float64")?;
        }
    }
    if velo_files.len() == 1 {
        fill_mapped::<f64>(ds, &velo_files[0], &velo_names, false, m, Some(&velo_map))?;
    } else {
        for (f, l) in velo_files.iter().zip(&velo_names) {
            fill_mapped::<f64>(ds, f, &[l], false, m, Some(&velo_map))?;
        }
    }
    let mut flags: Vec<(String, Vec<i64>)> = Vec::new();
    for p in &parts {
        let (map, f) = mapping(&p.barcodes);
        let target = if main_is(&p.layer) {
            ""
        } else {
            p.layer.as_str()
        };
        if !target.is_empty() {
            create_layer(ds, target, (n, m), "float64")?;
        }
        fill_mapped::<f64>(ds, &p.file, &[target], false, m, Some(&map))?;
        flags.push((p.layer.clone(), f));
    }
    for l in ["spliced", "unspliced", "ambiguous"] {
        flags.push((l.to_owned(), velo_flags.clone()));
    }
    if opts.main_layer == "velosum" {
        sum_layers(ds, "", &["spliced", "unspliced", "ambiguous"])?;
    } else if !main_is("spliced")
        && !main_is("unspliced")
        && !main_is("ambiguous")
        && !parts.iter().any(|p| main_is(&p.layer))
    {
        return Err(IoError::Invalid(format!(
            "main layer '{}' was not loaded",
            opts.main_layer
        )));
    }

    let ids: Vec<String> = valid
        .iter()
        .map(|b| format!("{}:{b}", opts.sample_id))
        .collect();
    ds.ca_mut().set("CellID", AttrValues::from(ids))?;
    for (layer, f) in flags {
        ds.ca_mut()
            .set(&format!("Valid_{layer}"), AttrValues::from(f))?;
    }
    let totals = column_sums(ds, n, m)?;
    ds.ca_mut()
        .set("BarcodeTotalUMIs", AttrValues::from(totals))?;
    let field = |k: usize| -> Vec<&str> {
        features
            .iter()
            .map(|l| l.split('\t').nth(k).unwrap_or(""))
            .collect()
    };
    if let Some(path) = &opts.sample_metadata {
        match sample_metadata(path, &opts.sample_id) {
            Ok(fields) => {
                for (k, v) in fields {
                    ds.ca_mut().set(&k, sample_attr(&v, m))?;
                }
            }
            Err(e) => warnings.push(format!("no sample metadata ({e}); skipped")),
        }
    }
    match &opts.gtf {
        Some(gtf) => {
            for (k, v) in gene_attrs(gtf, &field(0))? {
                ds.ra_mut().set(k, v)?;
            }
        }
        None => {
            ds.ra_mut().set("Gene", AttrValues::from(field(1)))?;
            ds.ra_mut().set("Accession", AttrValues::from(field(0)))?;
        }
    }
    for (k, v) in &opts.file_attrs {
        ds.attrs_mut().set(k, v.as_str())?;
    }
    Ok(warnings)
}

fn read_bcs(path: &Path) -> Result<Vec<String>> {
    Ok(read_lines(path)?
        .into_iter()
        .map(|l| l.trim_end().to_owned())
        .collect())
}

/// Column sums of the main layer, one window at a time.
fn column_sums(ds: &LoomConnection, n: usize, m: usize) -> Result<Vec<f64>> {
    let mut out = Vec::with_capacity(m);
    let step = window_len(n, m);
    let mut c0 = 0;
    while c0 < m {
        let c1 = (c0 + step).min(m);
        let w = ds.layers().read::<f64>("", .., c0..c1)?;
        out.extend(w.sum_axis(ndarray::Axis(0)).iter());
        c0 = c1;
    }
    Ok(out)
}
