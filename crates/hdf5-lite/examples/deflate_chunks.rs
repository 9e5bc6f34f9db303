//! Deflates every chunk of one dataset with zlib-rs (as `ChunkEncoder` configured it
//! before hdf5-lite had its own encoder: memory level 6) and with hdf5-lite's
//! `Deflater`, at the dataset's own gzip level, and prints each encoder's total time and
//! output bytes (one thread; the chunks are inflated untimed):
//! `cargo run --release -p hdf5-lite --example deflate_chunks FILE DATASET [EVERY [ONLY [N]]]`
//! (`EVERY`: only every n-th chunk; `ONLY`: `zlib`, `ours`, `both` or `none` runs only
//! that encoder, for timing the process's CPU time from outside; `N`: only the first N
//! of those chunks, for instruction counts under callgrind). A checksum of the
//! `Deflater`'s streams shows whether a change to it alters its output.

use std::time::{Duration, Instant};

use hdf5_lite::filters::{ChunkDecoder, Deflater, DEFLATE};
use hdf5_lite::format::messages::FilterPipeline;
use hdf5_lite::read::File;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let usage = "usage: deflate_chunks FILE DATASET [EVERY [zlib|ours|both|none [N]]]";
    let (path, dataset) = (args.next().ok_or(usage)?, args.next().ok_or(usage)?);
    let every: usize = args.next().map_or(Ok(1), |s| s.parse())?;
    let only = args.next().filter(|o| o != "both");
    let limit = match args.next() {
        Some(n) => n.parse::<usize>().map_err(|_| usage)?,
        None => usize::MAX,
    };
    let run = |name: &str| only.as_deref().is_none_or(|o| o == name);
    let file = File::open(&path)?;
    let ds = file.dataset(&dataset)?;
    let chunk_bytes = ds.chunks().ok_or("not chunked")?.iter().product::<u64>() as usize
        * ds.datatype().size() as usize;
    let pipeline = FilterPipeline {
        filters: ds.filters().to_vec(),
    };
    let level = pipeline
        .filters
        .iter()
        .find(|f| f.id == DEFLATE)
        .and_then(|f| f.client_data.first().copied())
        .ok_or("no deflate filter")?;
    let bytes = std::fs::read(&path)?;
    let mut decoder = ChunkDecoder::new();
    let mut zlib = zlib_rs::Deflate::new_with_config(zlib_rs::DeflateConfig {
        level: level as i32,
        mem_level: 6,
        ..zlib_rs::DeflateConfig::default()
    });
    let mut ours = Deflater::new();
    let mut out = vec![0u8; 2 * chunk_bytes + 1024];
    let mut mine = Vec::with_capacity(out.len());
    let (mut t_zlib, mut t_ours) = (Duration::ZERO, Duration::ZERO);
    let (mut n_zlib, mut n_ours, mut n_in, mut chunks) = (0u64, 0u64, 0u64, 0u64);
    // FNV-1a over every byte of the Deflater's streams.
    let mut sum = 0xcbf2_9ce4_8422_2325u64;
    for r in ds.chunk_records()?.iter().step_by(every).take(limit) {
        let (a, s) = (r.address as usize, r.size as usize);
        let stored = bytes.get(a..a + s).ok_or("chunk outside the file")?;
        let data = decoder.decode(
            &pipeline,
            r.filter_mask,
            stored,
            chunk_bytes,
            chunk_bytes,
            r.address,
            &dataset,
        )?;
        if run("zlib") {
            let t = Instant::now();
            zlib.reset();
            let status = zlib
                .compress(data, &mut out, zlib_rs::DeflateFlush::Finish)
                .map_err(|e| e.as_str())?;
            t_zlib += t.elapsed();
            if status != zlib_rs::Status::StreamEnd {
                return Err("zlib-rs did not finish a chunk".into());
            }
            n_zlib += zlib.total_out();
        }
        if run("ours") {
            let t = Instant::now();
            mine.clear();
            ours.compress(data, level, &mut mine);
            t_ours += t.elapsed();
            n_ours += mine.len() as u64;
            for &b in &mine {
                sum = (sum ^ u64::from(b)).wrapping_mul(0x100_0000_01b3);
            }
        }
        n_in += data.len() as u64;
        chunks += 1;
    }
    println!("{chunks} chunks, {n_in} bytes in, level {level}");
    println!(
        "zlib-rs:  {:8.3} s {n_zlib:>12} bytes",
        t_zlib.as_secs_f64()
    );
    println!(
        "Deflater: {:8.3} s {n_ours:>12} bytes, checksum {sum:016x}",
        t_ours.as_secs_f64()
    );
    println!(
        "speed-up {:.2}x, size {:+.2}%",
        t_zlib.as_secs_f64() / t_ours.as_secs_f64(),
        100.0 * (n_ours as f64 / n_zlib as f64 - 1.0)
    );
    Ok(())
}
