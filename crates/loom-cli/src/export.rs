//! `loom export`: a loom file out to h5ad (anndata.read_loom's conventions), a 10x-style
//! MatrixMarket folder, or loompy's tab-separated text (loom-core's `export`). The format
//! comes from the output's extension (`.h5ad`, `.tsv`) or `--format`.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, ValueEnum};
use loom_core::{connect, Mode};
use loom_io::{export_h5ad, export_mtx, H5adExport, IoError, MtxExport};

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
    #[arg(long)]
    pub x_layer: Option<String>,
    /// h5ad: column attribute holding the obs names.
    #[arg(long, default_value = "CellID")]
    pub obs_names: String,
    /// h5ad: row attribute holding the var names.
    #[arg(long, default_value = "Gene")]
    pub var_names: String,
    /// No progress and no warnings on stderr.
    #[arg(short, long)]
    pub quiet: bool,
}

fn format_of(args: &ExportArgs) -> Result<Format, IoError> {
    if let Some(f) = args.format {
        if f != Format::Tsv && args.output.as_os_str() == "-" {
            return Err(IoError::Invalid(
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
        _ => Err(IoError::Invalid(format!(
            "{}: cannot tell the format from the name; give --format h5ad|mtx|tsv",
            args.output.display()
        ))),
    }
}

/// Runs `loom export`: exit 0 when written, 2 on an error; a closed stdout pipe ends
/// quietly.
pub fn run(args: ExportArgs) -> ExitCode {
    let progress = Progress::start(&format!("exporting {}", args.input.display()), args.quiet);
    let result = export(&args);
    progress.finish();
    match result {
        Ok(warnings) => {
            if !args.quiet {
                for w in warnings {
                    eprintln!("loom: warning: {w}");
                }
            }
            ExitCode::SUCCESS
        }
        Err(IoError::Loom(loom_core::LoomError::Io(e)))
            if e.kind() == std::io::ErrorKind::BrokenPipe =>
        {
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("loom: {e}");
            ExitCode::from(2)
        }
    }
}

fn export(args: &ExportArgs) -> Result<Vec<String>, IoError> {
    let format = format_of(args)?;
    let ds = connect(&args.input, Mode::Read)?;
    let layer = args.layer.clone().unwrap_or_default();
    match format {
        Format::H5ad => {
            crate::output::check_replaceable(&args.output).map_err(loom_core::LoomError::from)?;
            let mut opts = H5adExport::new(&args.output);
            opts.x_layer = args.x_layer.clone().or(args.layer.clone());
            opts.obs_names = args.obs_names.clone();
            opts.var_names = args.var_names.clone();
            export_h5ad(&ds, &opts)
        }
        Format::Mtx => {
            let mut opts = MtxExport::new(&args.output);
            opts.layer = layer;
            export_mtx(&ds, &opts)?;
            Ok(Vec::new())
        }
        Format::Tsv => {
            if args.output.as_os_str() == "-" {
                let stdout = std::io::stdout();
                let mut out = std::io::BufWriter::new(stdout.lock());
                ds.export_to(&mut out, &layer)?;
                out.flush().map_err(|e| IoError::Loom(e.into()))?;
            } else {
                ds.export(&args.output, &layer, "tab")?;
            }
            Ok(Vec::new())
        }
    }
}
