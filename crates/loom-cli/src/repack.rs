//! `loom repack IN OUT`: a compact copy of a loom (or any HDF5) file with only its live
//! objects, as `h5repack` makes one; optionally with another gzip level or chunk shape.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use hdf5_lite::repack::RepackStats;
use hdf5_lite::RepackOptions;

use crate::output::{
    check_not_input, check_replaceable, check_writable, temp_beside, About, Failure, Outcome,
};

/// `loom repack`: write a compact copy of a file (only live objects, same values), as
/// h5repack does.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The file to copy.
    pub input: PathBuf,
    /// The compact copy to write (replaced if it exists); `-o OUTPUT` works too.
    #[arg(
        required_unless_present = "output_option",
        conflicts_with = "output_option"
    )]
    pub output: Option<PathBuf>,
    /// The compact copy, given as the other commands take their output.
    #[arg(
        short = 'o',
        long = "output",
        id = "output_option",
        value_name = "OUTPUT"
    )]
    pub output_option: Option<PathBuf>,
    /// Gzip level 0-9 for every chunked dataset.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(0..=9))]
    pub gzip: Option<u32>,
    /// Chunk shape for the chunked datasets of that rank, such as 64,64.
    #[arg(long, value_name = "R,C")]
    pub chunks: Option<ChunkShape>,
    /// Print nothing on success.
    #[arg(long, short)]
    pub quiet: bool,
}

/// Runs `loom repack`; the summary goes to stderr. The copy is written beside the output
/// and renamed into place when complete.
pub fn run(args: &Args) -> Outcome {
    let input = args.input.as_path();
    let Some(out) = args.output.as_deref().or(args.output_option.as_deref()) else {
        return Err(Failure::Error("give the output file".to_owned()));
    };
    check_replaceable(out)?;
    check_not_input(out, &[input])?;
    check_writable(out)?;
    let tmp = temp_beside(out);
    let _guard = crate::interrupt::remove_on_interrupt(&tmp);
    let report = repack(input, &tmp, args.gzip, args.chunks.clone())
        .about(input)
        .and_then(|r| std::fs::rename(&tmp, out).about(out).map(|()| r));
    if report.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    let report = report?;
    if !args.quiet {
        eprintln!("loom repack: {report}");
    }
    Ok(ExitCode::SUCCESS)
}

/// A chunk shape given as `R,C` (any number of comma-separated positive sizes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChunkShape(pub Vec<u64>);

impl std::str::FromStr for ChunkShape {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        text.split(',')
            .map(|p| match p.trim().parse::<u64>() {
                Ok(n) if n > 0 => Ok(n),
                _ => Err(format!(
                    "{text:?}: expected positive sizes separated by commas, such as 64,64"
                )),
            })
            .collect::<Result<Vec<u64>, String>>()
            .map(ChunkShape)
    }
}

/// What `loom repack` did.
#[derive(Debug)]
pub struct Report {
    /// What was copied and how.
    pub stats: RepackStats,
    /// Bytes of the input.
    pub before: u64,
    /// Bytes of the output.
    pub after: u64,
}

impl std::fmt::Display for Report {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} groups, {} datasets ({} chunks copied as stored): {} bytes -> {} bytes",
            self.stats.groups, self.stats.datasets, self.stats.raw_chunks, self.before, self.after
        )
    }
}

/// Copies `input` into a new file at `output`.
pub fn repack(
    input: &Path,
    output: &Path,
    gzip: Option<u32>,
    chunks: Option<ChunkShape>,
) -> hdf5_lite::Result<Report> {
    let options = RepackOptions {
        gzip,
        chunks: chunks.map(|c| c.0),
    };
    let stats = hdf5_lite::repack(input, output, &options)?;
    Ok(Report {
        stats,
        before: std::fs::metadata(input)?.len(),
        after: std::fs::metadata(output)?.len(),
    })
}
