//! `loom repack IN OUT`: a compact copy of a loom (or any HDF5) file with only its live
//! objects, as `h5repack` makes one; optionally with another gzip level or chunk shape.

use std::path::Path;

use hdf5_lite::repack::RepackStats;
use hdf5_lite::RepackOptions;

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
