//! 10x Genomics Cell Ranger outputs into loom: loompy's `create_from_cellranger`
//! (loompy-api.md §2.7) for the 1/2 folder layout (`outs/filtered_gene_bc_matrices/<genome>/`
//! with `matrix.mtx`, `genes.tsv`, `barcodes.tsv`) and the 3+ layout
//! (`outs/filtered_feature_bc_matrix/` with gzipped `matrix.mtx.gz`, `features.tsv.gz`,
//! `barcodes.tsv.gz`), a bare matrix folder, and, beyond loompy, Cell Ranger's HDF5 matrix
//! (`filtered_feature_bc_matrix.h5`: the v3 `/matrix` group with `features/*`, or the v2
//! layout with one group per genome), read with hdf5-lite.
//!
//! As loompy: row attributes `Accession` and `Gene`, column attribute
//! `CellID = "{sample}:{barcode}"`, the t-SNE `X`/`Y` (float32) and graph-based
//! `ClusterID` (int, from 0) column attributes when the analysis files exist, and the
//! `Genome`, `Cmdline`, `Versions` global attributes. Beyond loompy: the feature type
//! (Gene Expression, Antibody Capture, …) as the row attribute `FeatureType` (and the
//! `.h5`'s per-feature genome as `Genome`) when the input has them.

use std::path::{Path, PathBuf};

use loom_core::hdf5_lite::read::{Dataset, File, Object};
use loom_core::{dtype_name, AttrValues, LoomConnection};

use crate::anndata::Matrix;
use crate::error::{IoError, Result};
use crate::h5ad_import::write_as_stored;
use crate::mtx_layers::{check_len, import_layer};
use crate::sink::create_layer;
use crate::text::{first_existing, read_lines};

/// What to import and how.
#[derive(Debug, Clone, Default)]
pub struct TenxImport {
    /// A Cell Ranger output folder (the one holding `outs`), a matrix folder, or a `.h5`.
    pub path: PathBuf,
    /// The sample ID of the cell IDs; default: the Cell Ranger folder's name (loompy), or
    /// the matrix folder's / `.h5`'s name outside a Cell Ranger folder.
    pub sample_id: Option<String>,
    /// The genome of a v1/v2 folder or `.h5` (default: the first, by name).
    pub genome: Option<String>,
}

/// The input's layout, as found on disk.
#[derive(Debug)]
enum Source {
    Folder {
        dir: PathBuf,
        genome: Option<String>,
    },
    H5(PathBuf),
}

/// The Cell Ranger folder that `path` lies in (the parent of an `outs` folder).
fn cellranger_root(path: &Path) -> Option<PathBuf> {
    if path.join("outs").is_dir() {
        return Some(path.to_owned());
    }
    path.ancestors()
        .find(|a| a.file_name().is_some_and(|n| n == "outs"))
        .and_then(Path::parent)
        .map(Path::to_owned)
}

fn subfolders(dir: &Path) -> Result<Vec<String>> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map_err(|e| IoError::file(dir, e))?
        .filter_map(|e| e.ok())
        .filter(|e| e.path().is_dir())
        .filter_map(|e| e.file_name().to_str().map(str::to_owned))
        .filter(|n| !n.starts_with('.'))
        .collect();
    names.sort();
    Ok(names)
}

fn locate(opts: &TenxImport) -> Result<Source> {
    let p = &opts.path;
    if p.is_file() {
        return Ok(Source::H5(p.clone()));
    }
    let v2 = p.join("outs").join("filtered_gene_bc_matrices");
    if v2.is_dir() {
        let genome = match &opts.genome {
            Some(g) => g.clone(),
            None => subfolders(&v2)?.into_iter().next().ok_or_else(|| {
                IoError::Missing(format!("{} has no genome folder", v2.display()))
            })?,
        };
        return Ok(Source::Folder {
            dir: v2.join(&genome),
            genome: Some(genome),
        });
    }
    let v3 = p.join("outs").join("filtered_feature_bc_matrix");
    if v3.is_dir() {
        return Ok(Source::Folder {
            dir: v3,
            genome: opts.genome.clone(),
        });
    }
    if first_existing(p, &["matrix.mtx", "matrix.mtx.gz"]).is_some() {
        return Ok(Source::Folder {
            dir: p.clone(),
            genome: opts.genome.clone(),
        });
    }
    Err(IoError::Missing(format!(
        "{}: neither a Cell Ranger folder (outs/filtered_gene_bc_matrices or \
         outs/filtered_feature_bc_matrix), a matrix folder (matrix.mtx[.gz]) nor a .h5 file",
        p.display()
    )))
}

fn name_of(p: &Path) -> String {
    let p = std::fs::canonicalize(p).unwrap_or_else(|_| p.to_owned());
    p.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// loompy's `create_from_cellranger` (and the `.h5` layouts) into `ds`, a new empty
/// connection. Returns warnings (analysis files that do not match the cells).
pub fn import_10x(ds: &mut LoomConnection, opts: &TenxImport) -> Result<Vec<String>> {
    let source = locate(opts)?;
    let root = cellranger_root(&opts.path);
    let sample = match (&opts.sample_id, &root) {
        (Some(s), _) => s.clone(),
        (None, Some(r)) => name_of(r),
        (None, None) => name_of(&opts.path),
    };
    let genome = match &source {
        Source::Folder { dir, genome } => {
            folder(ds, dir, &sample)?;
            genome.clone()
        }
        Source::H5(path) => h5(ds, path, &sample, opts.genome.as_deref())?,
    };
    let mut warnings = Vec::new();
    if let Some(root) = &root {
        analysis(ds, root, &mut warnings)?;
    }
    if let Some(g) = genome.filter(|g| !g.is_empty()) {
        ds.attrs_mut().set("Genome", g.as_str())?;
    }
    if let Some(root) = &root {
        if let Ok(c) = std::fs::read_to_string(root.join("_cmdline")) {
            ds.attrs_mut().set("Cmdline", c.trim())?;
        }
        if let Ok(v) = std::fs::read_to_string(root.join("_versions")) {
            ds.attrs_mut()
                .set("Versions", v.trim().replace('\n', " ").as_str())?;
        }
    }
    Ok(warnings)
}

/// A matrix folder: matrix, genes/features, barcodes.
fn folder(ds: &mut LoomConnection, dir: &Path, sample: &str) -> Result<()> {
    let missing = |what: &str| IoError::Missing(format!("{}: no {what}", dir.display()));
    let matrix = first_existing(dir, &["matrix.mtx.gz", "matrix.mtx"])
        .ok_or_else(|| missing("matrix.mtx[.gz]"))?;
    let genes = first_existing(
        dir,
        &[
            "features.tsv.gz",
            "features.tsv",
            "genes.tsv.gz",
            "genes.tsv",
        ],
    )
    .ok_or_else(|| missing("features.tsv[.gz] or genes.tsv"))?;
    let barcodes = first_existing(dir, &["barcodes.tsv.gz", "barcodes.tsv"])
        .ok_or_else(|| missing("barcodes.tsv[.gz]"))?;
    let genes_lines = read_lines(&genes)?;
    let mut bcs = read_lines(&barcodes)?;
    import_layer(ds, "", &matrix, false)?;
    let (n, m) = ds.shape();
    check_len(&genes, genes_lines.len(), n as usize, "rows")?;
    check_len(&barcodes, bcs.len(), m as usize, "columns")?;
    let field = |k: usize| -> Vec<&str> {
        genes_lines
            .iter()
            .map(|l| l.split('\t').nth(k).unwrap_or("").trim())
            .collect()
    };
    ds.ra_mut().set("Accession", AttrValues::from(field(0)))?;
    ds.ra_mut().set("Gene", AttrValues::from(field(1)))?;
    if genes_lines.iter().all(|l| l.split('\t').count() > 2) && !genes_lines.is_empty() {
        ds.ra_mut().set("FeatureType", AttrValues::from(field(2)))?;
    }
    for b in &mut bcs {
        if b.trim().len() != b.len() {
            *b = b.trim().to_owned();
        }
    }
    set_cell_ids(ds, sample, bcs)
}

/// `CellID = sample:barcode`, made from the barcodes in place (the barcodes and the
/// cell IDs of a million cells are not held twice).
fn set_cell_ids(ds: &mut LoomConnection, sample: &str, mut bcs: Vec<String>) -> Result<()> {
    for b in &mut bcs {
        *b = format!("{sample}:{b}");
    }
    ds.ca_mut().set("CellID", AttrValues::from(bcs))?;
    Ok(())
}

fn dataset(group: &str, file: &File, name: &str) -> Result<Dataset> {
    Ok(file.dataset(&format!("{group}/{name}"))?)
}

/// A Cell Ranger `.h5` matrix: CSC (features x barcodes) in `data`/`indices`/`indptr`,
/// streamed into column windows. Returns the genome for the `Genome` global attribute.
fn h5(
    ds: &mut LoomConnection,
    path: &Path,
    sample: &str,
    genome: Option<&str>,
) -> Result<Option<String>> {
    let file = File::open(path)?;
    let root = file.root()?.member_names()?;
    let (group, v3) = if root.iter().any(|m| m == "matrix") {
        ("/matrix".to_owned(), true)
    } else {
        let g = match genome {
            Some(g) if root.iter().any(|m| m == g) => g.to_owned(),
            Some(g) => {
                return Err(IoError::Missing(format!(
                    "{}: no genome '{g}' (it has {root:?})",
                    path.display()
                )))
            }
            None => root
                .iter()
                .find(|m| matches!(file.object(&format!("/{m}")), Ok(Object::Group(_))))
                .cloned()
                .ok_or_else(|| {
                    IoError::Missing(format!("{}: no /matrix nor genome group", path.display()))
                })?,
        };
        (format!("/{g}"), false)
    };
    let shape = dataset(&group, &file, "shape")?.read::<u64>()?;
    let (n, m) = match shape.as_slice() {
        Some([n, m]) => (*n as usize, *m as usize),
        _ => {
            return Err(IoError::format(
                path,
                0,
                format!("{group}/shape is not 2 numbers"),
            ))
        }
    };
    // CSC features x barcodes is CSR barcodes x features, anndata's orientation.
    let matrix = Matrix::sparse(
        &group,
        true,
        (m, n),
        dataset(&group, &file, "data")?,
        dataset(&group, &file, "indices")?,
        dataset(&group, &file, "indptr")?,
    )?;
    let dtype = dtype_name(matrix.datatype()).unwrap_or("float32");
    create_layer(ds, "", (n, m), dtype)?;
    write_as_stored(ds, "", &matrix, &group, dtype)?;
    let strings =
        |name: &str| -> Result<Vec<String>> { Ok(dataset(&group, &file, name)?.read_strings()?) };
    let bcs = strings("barcodes")?;
    check_len(path, bcs.len(), m, "columns (barcodes)")?;
    let (ids, names) = if v3 {
        (strings("features/id")?, strings("features/name")?)
    } else {
        (strings("genes")?, strings("gene_names")?)
    };
    check_len(path, ids.len(), n, "rows (features)")?;
    check_len(path, names.len(), n, "rows (feature names)")?;
    ds.ra_mut().set("Accession", AttrValues::from(ids))?;
    ds.ra_mut().set("Gene", AttrValues::from(names))?;
    if v3 {
        for (ds_name, attr) in [
            ("features/feature_type", "FeatureType"),
            ("features/genome", "Genome"),
        ] {
            if let Ok(v) = strings(ds_name) {
                if v.len() == n {
                    ds.ra_mut().set(attr, AttrValues::from(v))?;
                }
            }
        }
    }
    set_cell_ids(ds, sample, bcs)?;
    Ok(if v3 {
        genome.map(str::to_owned)
    } else {
        Some(group.trim_start_matches('/').to_owned())
    })
}

/// Column `k` of a CSV with a header line, as loompy's `np.loadtxt(usecols=…, skiprows=1)`.
fn csv_column(path: &Path, k: usize) -> Result<Vec<f64>> {
    read_lines(path)?
        .iter()
        .enumerate()
        .skip(1)
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            l.split(',')
                .nth(k)
                .and_then(|v| v.trim().parse::<f64>().ok())
                .ok_or_else(|| {
                    IoError::format(path, i as u64 + 1, format!("no number in column {k}"))
                })
        })
        .collect()
}

/// The optional t-SNE and clustering column attributes.
fn analysis(ds: &mut LoomConnection, root: &Path, warnings: &mut Vec<String>) -> Result<()> {
    let m = ds.shape().1 as usize;
    let tsne_dir = root.join("outs").join("analysis").join("tsne");
    let tsne = [
        tsne_dir.join("projection.csv"),
        tsne_dir.join("2_components").join("projection.csv"),
    ]
    .into_iter()
    .find(|p| p.is_file());
    if let Some(p) = tsne {
        let (x, y) = (csv_column(&p, 1)?, csv_column(&p, 2)?);
        if x.len() == m {
            for (name, v) in [("X", x), ("Y", y)] {
                let v: Vec<f32> = v.iter().map(|&f| f as f32).collect();
                ds.ca_mut().set(name, AttrValues::from(v))?;
            }
        } else {
            warnings.push(format!(
                "{}: {} rows for {m} cells; X/Y left out",
                p.display(),
                x.len()
            ));
        }
    }
    let clusters = root
        .join("outs")
        .join("analysis")
        .join("clustering")
        .join("graphclust")
        .join("clusters.csv");
    if clusters.is_file() {
        let c = csv_column(&clusters, 1)?;
        if c.len() == m {
            let ids: Vec<i64> = c.iter().map(|&v| v as i64 - 1).collect();
            ds.ca_mut().set("ClusterID", AttrValues::from(ids))?;
        } else {
            warnings.push(format!(
                "{}: {} rows for {m} cells; ClusterID left out",
                clusters.display(),
                c.len()
            ));
        }
    }
    Ok(())
}
