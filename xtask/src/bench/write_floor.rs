//! The floor of a write op: the codec work it cannot avoid on every layer. Inflate each
//! stored chunk it must read and deflate each chunk it must write, with hdf5-lite's own
//! `ChunkDecoder` and `ChunkEncoder` (the layer's filter pipeline, gzip 2 in loom files),
//! one decoder, encoder and buffer per thread, every chunk once, on all cores.
//!
//! - `permute_cols`, `permute_rows`: every chunk is read and written (no chunk keeps its
//!   contents), each deflated chunk holding what was inflated into it.
//! - `add_columns`: the chunks of the last, partial chunk column are read and written;
//!   the new chunk columns are only written, from the added values (the first columns'
//!   chunks, inflated untimed as the op reads its input untimed).
//! - `combine`, `combine_faster` (the file twice, side by side): the first file's whole
//!   chunk columns are copied as stored, so its partial last chunk column and every
//!   chunk of the second (shifted off the grid) are read, and every output chunk column
//!   from the first file's partial one on is written.
//!
//! Listing the chunks is untimed setup; the timed run returns the bytes deflated.

use std::cell::RefCell;

use hdf5_lite::filters::{ChunkDecoder, ChunkEncoder};
use hdf5_lite::format::messages::FilterPipeline;
use hdf5_lite::read::File;
use loom_core::layout;
use rayon::prelude::*;

/// One chunk's codec work.
enum Task {
    /// Inflate the stored chunk at (address, size, filter mask); then deflate what it
    /// holds if set.
    Read(u64, usize, u32, bool),
    /// Deflate the `k`-th pre-inflated chunk of `WriteFloor::added`.
    Write(usize),
}

/// One layer's tasks and what its chunks are.
struct Layer {
    pipeline: FilterPipeline,
    chunk_bytes: usize,
    path: String,
    tasks: Vec<Task>,
    /// Inflated chunks that `Task::Write` deflates, `chunk_bytes` each.
    added: Vec<u8>,
}

/// A prepared floor of one write op on a file.
pub struct WriteFloor {
    map: memmap2::Mmap,
    layers: Vec<Layer>,
}

thread_local! {
    static CODEC: RefCell<(ChunkDecoder, ChunkEncoder)> =
        RefCell::new((ChunkDecoder::new(), ChunkEncoder::new()));
}

/// The stored chunks of a 2-D layer by (chunk row, chunk column).
type Grid = std::collections::BTreeMap<(u64, u64), (u64, usize, u32)>;

impl WriteFloor {
    /// Untimed setup: lists the chunks `op` must read and write in every layer of `path`
    /// (`added` columns for add_columns).
    pub fn prepare(path: &str, op: &str, added: u64) -> Result<Self, String> {
        let e = |e: hdf5_lite::Error| e.to_string();
        let file = File::open(path).map_err(e)?;
        let mut paths = vec![layout::MATRIX.to_string()];
        if let Ok(g) = file.group(layout::LAYERS) {
            for name in g.member_names().map_err(e)? {
                paths.push(layout::layer_path(&name));
            }
        }
        let f = std::fs::File::open(path).map_err(|e| e.to_string())?;
        // SAFETY: a read-only map of the benchmark file, which nothing modifies while
        // the benchmark runs.
        let map = unsafe { memmap2::Mmap::map(&f) }.map_err(|e| e.to_string())?;
        let mut layers = Vec::new();
        for p in paths {
            let ds = file.dataset(&p).map_err(e)?;
            let (Some(&[cr, cc]), &[_, m]) = (ds.chunks(), ds.shape()) else {
                return Err(format!("{p} is not a chunked 2-D dataset"));
            };
            let chunk_bytes = (cr * cc) as usize * ds.datatype().size() as usize;
            let mut grid = Grid::new();
            for r in ds.chunk_records().map_err(e)? {
                let at = (r.offset[0] / cr, r.offset[1] / cc);
                grid.insert(at, (r.address, r.size as usize, r.filter_mask));
            }
            let bands: std::collections::BTreeSet<u64> = grid.keys().map(|k| k.0).collect();
            let (whole, cols) = (m / cc, m.div_ceil(cc));
            let read = |b: u64, c: u64, write: bool| {
                grid.get(&(b, c))
                    .map(|&(a, s, mask)| Task::Read(a, s, mask, write))
            };
            let mut tasks = Vec::new();
            let mut added_chunks = Vec::new();
            match op {
                "permute_cols" | "permute_rows" => {
                    tasks.extend(
                        grid.values()
                            .map(|&(a, s, mask)| Task::Read(a, s, mask, true)),
                    );
                }
                "add_columns" => {
                    let new_cols = (m + added).div_ceil(cc);
                    for &b in &bands {
                        tasks.extend((whole..cols).filter_map(|c| read(b, c, true)));
                        for k in 0..new_cols - cols {
                            if let Some(&chunk) = grid.get(&(b, k)) {
                                tasks.push(Task::Write(added_chunks.len()));
                                added_chunks.push(chunk);
                            }
                        }
                    }
                }
                "combine" | "combine_faster" => {
                    for &b in &bands {
                        tasks.extend((whole..cols).filter_map(|c| read(b, c, false)));
                        // The second file: every chunk read; as many written as the
                        // output has chunk columns from `whole` on.
                        let written = (2 * m).div_ceil(cc) - whole;
                        tasks.extend((0..cols).filter_map(|c| read(b, c, c < written)));
                    }
                }
                _ => return Err(format!("no write floor for {op}")),
            }
            let pipeline = FilterPipeline {
                filters: ds.filters().to_vec(),
            };
            let mut added = vec![0u8; added_chunks.len() * chunk_bytes];
            let mut decoder = ChunkDecoder::new();
            for (to, &(a, s, mask)) in added.chunks_exact_mut(chunk_bytes).zip(&added_chunks) {
                let stored = stored(&map, a, s)?;
                let out = decoder
                    .decode(&pipeline, mask, stored, chunk_bytes, chunk_bytes, a, &p)
                    .map_err(e)?;
                to.copy_from_slice(&out[..chunk_bytes]);
            }
            layers.push(Layer {
                pipeline,
                chunk_bytes,
                path: p,
                tasks,
                added,
            });
        }
        Ok(WriteFloor { map, layers })
    }

    /// Timed: every task of every layer; returns (bytes deflated, chunks deflated).
    pub fn run(&self) -> Result<(f64, u64), String> {
        let mut total = (0.0, 0);
        for l in &self.layers {
            let (bytes, chunks) = l
                .tasks
                .par_iter()
                .map(|t| {
                    CODEC.with(|cell| {
                        let (dec, enc) = &mut *cell.borrow_mut();
                        let e = |e: hdf5_lite::Error| e.to_string();
                        let data = match *t {
                            Task::Read(a, s, mask, write) => {
                                let stored = stored(&self.map, a, s)?;
                                let out = dec
                                    .decode(
                                        &l.pipeline,
                                        mask,
                                        stored,
                                        l.chunk_bytes,
                                        l.chunk_bytes,
                                        a,
                                        &l.path,
                                    )
                                    .map_err(e)?;
                                if !write {
                                    return Ok((0, 0));
                                }
                                &out[..l.chunk_bytes]
                            }
                            Task::Write(k) => &l.added[k * l.chunk_bytes..(k + 1) * l.chunk_bytes],
                        };
                        Ok::<_, String>((enc.encode(&l.pipeline, data).map_err(e)?.len(), 1u64))
                    })
                })
                .try_reduce(|| (0, 0), |a, b| Ok((a.0 + b.0, a.1 + b.1)))?;
            total = (total.0 + bytes as f64, total.1 + chunks);
        }
        Ok(total)
    }
}

/// The stored bytes of a chunk.
fn stored(map: &[u8], address: u64, size: usize) -> Result<&[u8], String> {
    map.get(address as usize..address as usize + size)
        .ok_or_else(|| "chunk outside the file".to_string())
}
