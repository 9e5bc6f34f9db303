//! Inflates every stored chunk of one dataset (its deflate step only) with zlib-rs
//! (through flate2, as `ChunkDecoder` did before hdf5-lite had its own inflater) and with
//! hdf5-lite's `Inflater`, and prints each one's CPU time (of this thread) and a checksum
//! of the decoded bytes (folded in as each chunk is decoded, so both times include the
//! same checksum work, about a tenth of them):
//! `cargo run --release -p hdf5-lite --example inflate_chunks FILE DATASET [zlib|ours|both] [N]`
//! (the third argument runs only that decoder; the fourth takes only the first N chunks,
//! for instruction counts under callgrind).

use std::time::Duration;

use hdf5_lite::filters::{Inflater, DEFLATE};
use hdf5_lite::read::File;

/// CPU time of the calling thread.
fn cpu() -> Duration {
    let s = std::fs::read_to_string("/proc/thread-self/stat").unwrap_or_default();
    let fields: Vec<u64> = s
        .rsplit(')')
        .next()
        .unwrap_or("")
        .split_whitespace()
        .skip(11)
        .take(2)
        .filter_map(|f| f.parse().ok())
        .collect();
    Duration::from_millis(fields.iter().sum::<u64>() * 10)
}

/// Folds `bytes` (a whole number of 8-byte words: chunks of f32 pairs or f64) into `sum`.
fn checksum(sum: &mut u64, bytes: &[u8]) {
    for w in bytes.chunks_exact(8) {
        let mut b = [0u8; 8];
        b.copy_from_slice(w);
        *sum = sum.rotate_left(5) ^ u64::from_le_bytes(b);
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let usage = "usage: inflate_chunks FILE DATASET [zlib|ours|both] [N]";
    let (path, dataset) = (args.next().ok_or(usage)?, args.next().ok_or(usage)?);
    let only = args.next().filter(|o| o != "both");
    let run = |name: &str| only.as_deref().is_none_or(|o| o == name);
    let limit = match args.next() {
        Some(n) => n.parse::<usize>().map_err(|_| usage)?,
        None => usize::MAX,
    };
    let file = File::open(&path)?;
    let ds = file.dataset(&dataset)?;
    if ds.filters().iter().map(|f| f.id).collect::<Vec<_>>() != [DEFLATE] {
        return Err("the dataset's only filter must be deflate".into());
    }
    let chunk_bytes = ds.chunks().ok_or("not chunked")?.iter().product::<u64>() as usize
        * ds.datatype().size() as usize;
    let bytes = std::fs::read(&path)?;
    let records = ds.chunk_records()?;
    let records = &records[..records.len().min(limit)];
    let stored: Vec<&[u8]> = records
        .iter()
        .map(|r| bytes.get(r.address as usize..(r.address + r.size) as usize))
        .collect::<Option<_>>()
        .ok_or("chunk outside the file")?;
    let total: usize = stored.iter().map(|s| s.len()).sum();
    println!(
        "{} chunks of {chunk_bytes} bytes, {total} bytes stored",
        stored.len()
    );
    let mut out = vec![0u8; chunk_bytes];
    if run("zlib") {
        let mut z = flate2::Decompress::new(true);
        let (mut sum, t) = (0u64, cpu());
        for s in &stored {
            z.reset(true);
            let status = z.decompress(s, &mut out, flate2::FlushDecompress::Finish)?;
            if status != flate2::Status::StreamEnd || z.total_out() as usize != chunk_bytes {
                return Err("zlib-rs: a chunk is not a whole stream of the chunk's size".into());
            }
            checksum(&mut sum, &out);
        }
        println!(
            "zlib-rs:  {:7.3} s CPU, checksum {sum:016x}",
            (cpu() - t).as_secs_f64()
        );
    }
    if run("ours") {
        let mut inf = Inflater::new();
        let (mut sum, t) = (0u64, cpu());
        for s in &stored {
            if inf.inflate_zlib(s, &mut out)? != chunk_bytes {
                return Err("Inflater: a chunk decodes to fewer bytes".into());
            }
            checksum(&mut sum, &out);
        }
        println!(
            "Inflater: {:7.3} s CPU, checksum {sum:016x}",
            (cpu() - t).as_secs_f64()
        );
    }
    Ok(())
}
