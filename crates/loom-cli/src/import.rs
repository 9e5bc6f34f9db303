//! `loom import`: 10x / MatrixMarket / h5ad inputs into a new loom file (loom-io's
//! importers). The file is written as `OUT.partial` and renamed when complete, so a
//! failed import leaves nothing behind and never a half-written OUT.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Subcommand};
use loom_core::LoomConnection;
use loom_io::{
    import_10x, import_h5ad, import_matrix_market, import_star, import_tsv, H5adImport, IoError,
    MtxImport, StarImport, TenxImport, TsvImport,
};

use crate::output::{
    check_not_input, check_replaceable, check_writable, finish_unit, one_line, Failure,
};
use crate::progress::Progress;

/// `loom import FORMAT …`
#[derive(Debug, Subcommand)]
#[command(after_help = "Examples:
  loom import 10x runs/sample1 -o sample1.loom
  loom import 10x filtered_feature_bc_matrix.h5 -o cells.loom --sample-id s1
  loom import mtx --layer spliced=spliced.mtx --layer unspliced=unspliced.mtx \\
      --rows genes.tsv --cols barcodes.tsv --sample-id s1 -o velo.loom
  loom import h5ad adata.h5ad -o adata.loom")]
pub enum ImportCommand {
    /// A Cell Ranger output folder (holding `outs/`), a matrix folder (matrix.mtx[.gz],
    /// features.tsv[.gz] or genes.tsv, barcodes.tsv[.gz]) or a Cell Ranger `.h5` matrix
    /// (v3 `/matrix` or v2 per-genome layout), as loompy's create_from_cellranger.
    #[command(
        name = "10x",
        after_help = "Examples:
  loom import 10x runs/sample1 -o sample1.loom
  loom import 10x runs/sample1/outs/filtered_feature_bc_matrix.h5 -o sample1.loom"
    )]
    Tenx {
        /// Folder or .h5 file.
        path: PathBuf,
        #[command(flatten)]
        common: Common,
        /// Sample ID of the cell IDs (CellID = SAMPLE:barcode); default: the Cell Ranger
        /// folder's name.
        #[arg(long)]
        sample_id: Option<String>,
        /// Genome of a v1/v2 folder or .h5 (default: the first).
        #[arg(long)]
        genome: Option<String>,
    },
    /// MatrixMarket files as loompy's create_from_matrix_market: one or more layers (the
    /// main layer is their sum unless one is named ""), genes and barcodes files.
    #[command(after_help = "Examples:
  loom import mtx matrix.mtx --rows genes.tsv --cols barcodes.tsv --sample-id s1 -o out.loom
  loom import mtx --layer spliced=s.mtx --layer unspliced=u.mtx --rows genes.tsv --cols barcodes.tsv --sample-id s1 -o out.loom")]
    Mtx {
        /// The main layer's file (optional when --layer is given).
        matrix: Option<PathBuf>,
        #[command(flatten)]
        common: Common,
        /// A named layer, NAME=FILE (repeatable).
        #[arg(long = "layer", value_name = "NAME=FILE")]
        layers: Vec<String>,
        /// Genes: Accession in column 1, Gene in column 2.
        #[arg(long)]
        rows: PathBuf,
        /// Barcodes, one per line.
        #[arg(long)]
        cols: PathBuf,
        /// Sample ID of the cell IDs (CellID = SAMPLE:barcode).
        #[arg(long, default_value = "")]
        sample_id: String,
        /// The files are cells x genes.
        #[arg(long)]
        transposed: bool,
    },
    /// A tab-separated matrix (genes in rows, a header of cell IDs; .gz accepted), as
    /// loompy's create_from_tsv.
    #[command(after_help = "Examples:
  loom import tsv expression.tsv.gz -o out.loom --sample-id s1_ --col-metadata cells.tsv")]
    Tsv {
        /// The matrix file.
        input: PathBuf,
        #[command(flatten)]
        common: Common,
        /// Prefix of every cell ID (no separator is added).
        #[arg(long, default_value = "")]
        sample_id: String,
        /// Stored type of the matrix (a numpy name: float32, int16, uint8, …).
        #[arg(long, default_value = "float32", value_parser = numpy_dtype)]
        dtype: String,
        /// Field delimiter.
        #[arg(long, default_value_t = '\t')]
        delim: char,
        /// Per-cell metadata TSV (header: attribute names; column 1: the cell IDs, in order).
        #[arg(long)]
        col_metadata: Option<PathBuf>,
    },
    /// STARsolo output (the folder holding Solo.out, or Solo.out) as loompy's
    /// create_from_star: Velocyto spliced/unspliced/ambiguous layers, gene-type layers,
    /// `Valid_<layer>` flags, a velosum (or chosen) main layer, optional GTF gene
    /// annotations and sample metadata (a TSV, or loompy's SQLite sample database). The
    /// emptydrops filter is not implemented.
    #[command(after_help = "Examples:
  loom import star star_out -o s1.loom --sample-id s1
  loom import star star_out/Solo.out -o s1.loom --sample-id s1 --cell-filter Gene --main-layer Gene
  loom import star star_out -o s1.loom --sample-id s1 --gtf genes.gtf --sample-metadata samples.tsv
  loom import star star_out -o s1.loom --sample-id s1 --sample-metadata samples.db")]
    Star {
        /// The STARsolo output folder.
        dir: PathBuf,
        #[command(flatten)]
        common: Common,
        /// Sample ID of the cell IDs (CellID = SAMPLE:barcode).
        #[arg(long)]
        sample_id: String,
        /// star, none, combine, or a gene type (Gene, GeneFull, GeneFull_ExonOverIntron,
        /// GeneFull_Ex50pAS).
        #[arg(long, default_value = "star")]
        cell_filter: String,
        /// velosum (spliced + unspliced + ambiguous) or a layer to use as the main layer.
        #[arg(long, default_value = "velosum")]
        main_layer: String,
        /// A gene type to add as a layer (repeatable).
        #[arg(long = "extra-layer")]
        extra_layers: Vec<String>,
        /// Gene annotations: Gene, Accession, Biotype, Chromosome, Start, End row
        /// attributes from the GTF's gene lines.
        #[arg(long)]
        gtf: Option<PathBuf>,
        /// Sample metadata: an SQLite database when the name ends in .db (the row of table
        /// `sample` whose `name` is the sample ID, values typed as stored), else a TSV
        /// (header with SampleID or Name). The sample's fields become column attributes;
        /// a sample that is not found is skipped with a warning.
        #[arg(long)]
        sample_metadata: Option<PathBuf>,
        /// A global attribute KEY=VALUE (repeatable).
        #[arg(long = "attr", value_name = "KEY=VALUE", value_parser = key_value)]
        file_attrs: Vec<(String, String)>,
    },
    /// An h5ad file (anndata): X and layers transposed to genes x cells, obs/var as
    /// column/row attributes, obsm/varm as 2-D attributes, obsp/varp as graphs, scalar and
    /// string uns entries as global attributes.
    #[command(after_help = "Examples:
  loom import h5ad adata.h5ad -o adata.loom
  loom import h5ad adata.h5ad -o adata.loom --obs-names obs_names --var-names var_names")]
    H5ad {
        /// The h5ad file.
        input: PathBuf,
        #[command(flatten)]
        common: Common,
        /// Column attribute for the obs names.
        #[arg(long, default_value = "CellID")]
        obs_names: String,
        /// Row attribute for the var names.
        #[arg(long, default_value = "Gene")]
        var_names: String,
    },
}

/// Options of every import.
#[derive(Debug, Args)]
pub struct Common {
    /// The loom file to write (replaced if it exists).
    #[arg(short, long)]
    pub output: PathBuf,
    /// No progress and no warnings on stderr.
    #[arg(short, long)]
    pub quiet: bool,
}

/// Runs `loom import …`: exit 0 when written, 2 on an error.
pub fn run(cmd: ImportCommand) -> ExitCode {
    let (common, what) = match &cmd {
        ImportCommand::Tenx { common, path, .. } => (common, path.display().to_string()),
        ImportCommand::Star { common, dir, .. } => (common, dir.display().to_string()),
        ImportCommand::Mtx { common, .. } => (common, "MatrixMarket files".to_owned()),
        ImportCommand::H5ad { common, input, .. } | ImportCommand::Tsv { common, input, .. } => {
            (common, input.display().to_string())
        }
    };
    let progress = Progress::start(&format!("importing {what}"), common.quiet);
    let out = common.output.clone();
    let result = check_replaceable(&out)
        .and_then(|()| check_not_input(&out, &inputs(&cmd)))
        .and_then(|()| check_writable(&out))
        .and_then(|()| write_new(&out, |ds| import(ds, &cmd)).map_err(|e| naming(&cmd, e)));
    progress.finish();
    finish_unit(result.map(|warnings| {
        if !common.quiet {
            for w in warnings {
                eprintln!("loom: warning: {w}");
            }
        }
    }))
}

/// The paths an import reads, which its output must not be.
fn inputs(cmd: &ImportCommand) -> Vec<&Path> {
    match cmd {
        ImportCommand::Tenx { path, .. } => vec![path.as_path()],
        ImportCommand::Star { dir, .. } => vec![dir.as_path()],
        ImportCommand::Mtx {
            matrix, rows, cols, ..
        } => matrix
            .iter()
            .chain([rows, cols])
            .map(PathBuf::as_path)
            .collect(),
        ImportCommand::H5ad { input, .. } | ImportCommand::Tsv { input, .. } => {
            vec![input.as_path()]
        }
    }
}

/// An importer's error as one line naming the input file where the importer's message
/// does not: HDF5 errors of an h5ad or 10x `.h5` input, and an h5ad's content errors
/// (such as `no object named "/X"`, which are about objects inside the file).
fn naming(cmd: &ImportCommand, e: IoError) -> Failure {
    let file = match cmd {
        ImportCommand::H5ad { input, .. } => Some(input),
        ImportCommand::Tenx { path, .. } => Some(path),
        _ => None,
    };
    let h5ad = matches!(cmd, ImportCommand::H5ad { .. });
    match (file, e) {
        (Some(f), e @ IoError::Hdf5(_)) => Failure::about(f.display(), e),
        (Some(f), e @ (IoError::Invalid(_) | IoError::Missing(_))) if h5ad => {
            Failure::about(f.display(), e)
        }
        (_, e) => Failure::Error(one_line(&e.to_string())),
    }
}

fn import(ds: &mut LoomConnection, cmd: &ImportCommand) -> loom_io::Result<Vec<String>> {
    match cmd {
        ImportCommand::Tenx {
            path,
            sample_id,
            genome,
            ..
        } => import_10x(
            ds,
            &TenxImport {
                path: path.clone(),
                sample_id: sample_id.clone(),
                genome: genome.clone(),
            },
        ),
        ImportCommand::Mtx {
            matrix,
            layers,
            rows,
            cols,
            sample_id,
            transposed,
            ..
        } => {
            let mut all: Vec<(String, PathBuf)> =
                matrix.iter().map(|m| (String::new(), m.clone())).collect();
            for l in layers {
                let (name, file) = l.split_once('=').ok_or_else(|| {
                    loom_io::IoError::Invalid(format!("--layer {l}: expected NAME=FILE"))
                })?;
                all.push((name.to_owned(), PathBuf::from(file)));
            }
            import_matrix_market(
                ds,
                &MtxImport {
                    sample_id: sample_id.clone(),
                    layers: all,
                    row_metadata: rows.clone(),
                    col_metadata: cols.clone(),
                    transposed: *transposed,
                    file_attrs: Vec::new(),
                },
            )?;
            Ok(Vec::new())
        }
        ImportCommand::Star {
            dir,
            sample_id,
            cell_filter,
            main_layer,
            extra_layers,
            gtf,
            sample_metadata,
            file_attrs,
            ..
        } => {
            let mut opts = StarImport::new(dir, sample_id);
            opts.cell_filter = cell_filter.clone();
            opts.main_layer = main_layer.clone();
            opts.extra_layers = extra_layers.clone();
            opts.gtf = gtf.clone();
            opts.sample_metadata = sample_metadata.clone();
            opts.file_attrs = file_attrs.clone();
            import_star(ds, &opts)
        }
        ImportCommand::Tsv {
            input,
            sample_id,
            dtype,
            delim,
            col_metadata,
            ..
        } => {
            let mut opts = TsvImport::new(input);
            opts.sample_id = sample_id.clone();
            opts.dtype = dtype.clone();
            opts.delim = *delim;
            opts.col_metadata = col_metadata.clone();
            import_tsv(ds, &opts)?;
            Ok(Vec::new())
        }
        ImportCommand::H5ad {
            input,
            obs_names,
            var_names,
            ..
        } => import_h5ad(
            ds,
            &H5adImport {
                path: input.clone(),
                obs_names: obs_names.clone(),
                var_names: var_names.clone(),
            },
        ),
    }
}

/// Creates `out` through a `.partial` file that is renamed into place on success and
/// removed on failure. The import runs as one transaction (one commit at the end).
pub fn write_new<T>(
    out: &Path,
    f: impl FnOnce(&mut LoomConnection) -> loom_io::Result<T>,
) -> loom_io::Result<T> {
    let mut name = out.file_name().unwrap_or_default().to_os_string();
    name.push(".partial");
    let tmp = out.with_file_name(name);
    let _guard = crate::interrupt::remove_on_interrupt(&tmp);
    let mut failure = None;
    let result = loom_core::new(&tmp)
        .map_err(loom_io::IoError::from)
        .and_then(|mut ds| {
            let v = ds.transaction(|tx| match f(tx) {
                Ok(v) => Ok(v),
                Err(e) => {
                    let msg = e.to_string();
                    failure = Some(e);
                    Err(loom_core::LoomError::InvalidInput(msg))
                }
            });
            let v = match (v, failure.take()) {
                (_, Some(e)) => return Err(e),
                (v, None) => v?,
            };
            if ds.shape().0 == 0 || ds.shape().1 == 0 {
                return Err(loom_io::IoError::Invalid(
                    "the input holds no matrix".into(),
                ));
            }
            ds.close()?;
            Ok(v)
        })
        .and_then(|v| {
            std::fs::rename(&tmp, out)
                .map_err(|e| loom_io::IoError::Invalid(format!("{}: {e}", out.display())))?;
            Ok(v)
        });
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// A numeric numpy type name, such as `float32`.
fn numpy_dtype(s: &str) -> Result<String, String> {
    loom_core::parse_dtype(s)
        .map(|_| s.to_owned())
        .map_err(|e| e.to_string())
}

/// A `KEY=VALUE` argument.
fn key_value(s: &str) -> Result<(String, String), String> {
    s.split_once('=')
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .ok_or_else(|| format!("`{s}` is not KEY=VALUE"))
}
