//! Reads a 2-D dataset whole, one band of chunk rows at a time, and prints its shape
//! and the sum of its values: a read-throughput workload for comparing builds
//! (static vs glibc, allocators). It uses the `loom` binary's allocator.
//! `cargo run --release -p loom-cli --example sum_dataset FILE [DATASET]` (default `/matrix`).

use hdf5_lite::read::File;
// Links the library, and with it the global allocator the `loom` binary uses.
use loom_cli as _;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let path = args.next().ok_or("usage: sum_dataset FILE [DATASET]")?;
    let name = args.next().unwrap_or_else(|| "/matrix".to_owned());
    let file = File::open(&path)?;
    let d = file.dataset(&name)?;
    let &[rows, cols] = d.shape() else {
        return Err(format!("{name} is not 2-D: shape {:?}", d.shape()).into());
    };
    let band = d.chunks().map_or(64, |c| c[0]).max(1);
    let mut sum = 0f64;
    let mut start = 0;
    while start < rows {
        let n = band.min(rows - start);
        let block = d.read_slice::<f64>(&[start, 0], &[n, cols])?;
        sum += block.sum();
        start += n;
    }
    println!("{name}: {rows} x {cols}, sum {sum}");
    Ok(())
}
