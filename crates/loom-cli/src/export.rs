//! `loom export`: a loom file out to h5ad (anndata.read_loom's conventions), a 10x-style
//! MatrixMarket folder, or loompy's tab-separated text (loom-core's `export`). The format
//! comes from the output's extension (`.h5ad`, `.tsv`) or `--format`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, ValueEnum};
use loom_core::{Axis, LoomError, Mode};
use loom_io::{export_h5ad, export_mtx, H5adExport, IoError, MtxExport};

use crate::open::{labels, open};
use crate::output::{
    check_not_input, check_replaceable, check_writable, finish_unit, one_line, temp_beside,
    write_text, writing, About, Failure,
};
use crate::progress::Progress;

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// AnnData h5ad (X as CSR float32).
    H5ad,
    /// A 10x-style folder: matrix.mtx.gz, features.tsv.gz, barcodes.tsv.gz.
    Mtx,
    /// loompy's tab-separated text.
    Tsv,
}

/// `loom export IN.loom -o OUT`
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  loom export cells.loom -o cells.h5ad
  loom export velo.loom -o velo.h5ad --x-layer spliced --obs-names CellID --var-names Gene
  loom export cells.loom -o filtered_feature_bc_matrix --format mtx
  loom export cells.loom -o - --format tsv --layer counts | head")]
pub struct ExportArgs {
    /// The loom file.
    pub input: PathBuf,
    /// Output file (a folder for mtx; `-` is stdout for tsv).
    #[arg(short, long)]
    pub output: PathBuf,
    /// Output format; default from the output's extension (.h5ad, .tsv).
    #[arg(long, value_enum)]
    pub format: Option<Format>,
    /// Layer to export (mtx, tsv; for h5ad the same as --x-layer). Default: the main layer.
    #[arg(long)]
    pub layer: Option<String>,
    /// h5ad: the layer for X (default: `spliced` when present, else the main layer).
    #[arg(long, conflicts_with = "layer")]
    pub x_layer: Option<String>,
    /// h5ad: column attribute holding the obs names (default: CellID when the file has
    /// it, else 0, 1, 2, …).
    #[arg(long, value_name = "ATTR")]
    pub obs_names: Option<String>,
    /// h5ad: row attribute holding the var names (default: Gene when the file has it,
    /// else 0, 1, 2, …).
    #[arg(long, value_name = "ATTR")]
    pub var_names: Option<String>,
    /// No progress and no warnings on stderr.
    #[arg(short, long)]
    pub quiet: bool,
}

fn format_of(args: &ExportArgs) -> Result<Format, Failure> {
    if let Some(f) = args.format {
        if f != Format::Tsv && args.output.as_os_str() == "-" {
            return Err(Failure::Error(
                "`-o -` (standard output) is for --format tsv only; h5ad and mtx need a path"
                    .to_owned(),
            ));
        }
        return Ok(f);
    }
    match args.output.extension().and_then(|e| e.to_str()) {
        Some("h5ad") => Ok(Format::H5ad),
        Some("tsv" | "tab" | "txt") => Ok(Format::Tsv),
        _ if args.output.as_os_str() == "-" => Ok(Format::Tsv),
        _ => Err(Failure::Error(format!(
            "{}: cannot tell the format from the name; give --format h5ad|mtx|tsv",
            args.output.display()
        ))),
    }
}

/// Runs `loom export`: exit 0 when written, 2 on an error; a closed stdout pipe ends
/// quietly.
pub fn run(args: ExportArgs) -> ExitCode {
    let progress = Progress::start_writing(
        &format!("exporting {}", args.input.display()),
        args.quiet,
        &args.output,
    );
    let result = export(&args, &progress.observer());
    progress.finish();
    finish_unit(result.map(|warnings| {
        if !args.quiet {
            for w in warnings {
                eprintln!("loom: warning: {w}");
            }
        }
    }))
}

/// The files loom-io's `export_mtx` writes into its folder.
const MTX_FILES: [&str; 4] = [
    "features.tsv.gz",
    "barcodes.tsv.gz",
    "matrix.mtx.gz.partial",
    "matrix.mtx.gz",
];

/// An exporter's error: one that names its own file as it is, any other about `input`.
fn naming(input: &Path, e: IoError) -> Failure {
    match e {
        IoError::File { .. } | IoError::Format { .. } => Failure::Error(one_line(&e.to_string())),
        e => Failure::about(input.display(), e),
    }
}

fn export(args: &ExportArgs, observer: &loom_core::Progress) -> Result<Vec<String>, Failure> {
    let (input, out) = (args.input.as_path(), args.output.as_path());
    let format = format_of(args)?;
    if format != Format::H5ad {
        let h5ad_only = [
            ("--x-layer", args.x_layer.is_some()),
            ("--obs-names", args.obs_names.is_some()),
            ("--var-names", args.var_names.is_some()),
        ];
        if let Some((option, _)) = h5ad_only.iter().find(|(_, given)| *given) {
            let this = if format == Format::Mtx { "mtx" } else { "tsv" };
            return Err(Failure::Error(format!(
                "{option} is for h5ad output; {} is written as {this}",
                out.display()
            )));
        }
    }
    check_not_input(out, &[input])?;
    let mut ds = open(input, Mode::Read)?;
    ds.set_progress(observer.clone());
    let layer = args.layer.clone().unwrap_or_default();
    match format {
        Format::H5ad => {
            check_replaceable(out)?;
            check_writable(out)?;
            // loom-io writes the h5ad file as OUT.partial and renames it when complete.
            let mut partial = out.as_os_str().to_owned();
            partial.push(".partial");
            let _guard = crate::interrupt::remove_on_interrupt(Path::new(&partial));
            let mut opts = H5adExport::new(out);
            opts.x_layer = args.x_layer.clone().or(args.layer.clone());
            // anndata.read_loom ignores a names attribute it cannot use; a name typed on
            // the command line is meant, so it must be there, one value per cell or gene.
            for (name, axis, option, field) in [
                (
                    &args.obs_names,
                    Axis::Cols,
                    "--obs-names",
                    &mut opts.obs_names,
                ),
                (
                    &args.var_names,
                    Axis::Rows,
                    "--var-names",
                    &mut opts.var_names,
                ),
            ] {
                if let Some(name) = name {
                    labels(&ds, input, axis, &format!("{option} {name}"), name)?;
                    field.clone_from(name);
                }
            }
            export_h5ad(&ds, &opts).map_err(|e| naming(input, e))
        }
        Format::Mtx => {
            if out.exists() {
                // An existing folder is filled in place.
                let mut opts = MtxExport::new(out);
                opts.layer = layer;
                export_mtx(&ds, &opts).map_err(|e| naming(input, e))?;
                return Ok(Vec::new());
            }
            check_writable(out)?;
            // A new folder is filled beside the output and renamed when complete.
            let tmp = temp_beside(out);
            let files = MTX_FILES.map(|f| tmp.join(f));
            let mut paths: Vec<&Path> = files.iter().map(PathBuf::as_path).collect();
            paths.push(&tmp);
            let _guard = crate::interrupt::remove_all_on_interrupt(&paths);
            let mut opts = MtxExport::new(&tmp);
            opts.layer = layer;
            let result = export_mtx(&ds, &opts)
                .map_err(|e| naming(input, e))
                .and_then(|()| std::fs::rename(&tmp, out).about(out));
            if result.is_err() {
                let _ = std::fs::remove_dir_all(&tmp);
            }
            result.map(|()| Vec::new())
        }
        Format::Tsv => {
            write_text(out, |w| ds.export_to(w, &layer)).map_err(|e| match e {
                LoomError::Io(e) => writing(out, e),
                e => Failure::about(input.display(), e),
            })?;
            Ok(Vec::new())
        }
    }
}
