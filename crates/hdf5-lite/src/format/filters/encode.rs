//! The writing side of the filters: a chunk's elements through the pipeline in order, as
//! libhdf5 does when writing: shuffle, deflate (a zlib stream), Fletcher-32 (appended
//! little-endian).

use super::deflate::Deflater;
use super::{display_name, DEFLATE, FLETCHER32, SHUFFLE};
use crate::error::{Error, Result};
use crate::format::checksum::fletcher32;
use crate::format::messages::FilterPipeline;

/// zlib's memory level for chunk deflate: 2^(level + 6) symbols per block buffer. zlib-rs
/// zeroes that buffer (3 bytes a symbol) at every block and reset; at zlib's default of 8
/// that is 96 KiB cleared per chunk, more than a 16 KiB chunk holds, while a chunk of
/// sparse counts codes into a few thousand symbols. 6 (4096 symbols) clears a quarter as
/// much and splits only chunks of more than 4095 symbols (mostly literals) into blocks.
const MEM_LEVEL: i32 = 6;

/// The gzip level deflated with hdf5-lite's own [`Deflater`] (loompy's and loom-core's
/// level; measured on a medium loom file's matrix chunks some 1.3× faster than zlib-rs,
/// output within 0.1%). Other levels go to zlib-rs.
const OWN_LEVEL: u32 = 2;

/// Encoding state reused from chunk to chunk (one per thread): the deflaters (hdf5-lite's
/// own at gzip level 2, else zlib-rs configured for chunk-sized streams), each made on
/// first use and reset rather than rebuilt for each chunk (building one allocates and
/// clears some 200–300 KB, more than a 64 × 64 float32 chunk holds), and two buffers the
/// filters write into in turn.
pub struct ChunkEncoder {
    own: Option<Box<Deflater>>,
    deflater: Option<(u32, zlib_rs::Deflate)>,
    bufs: [Vec<u8>; 2],
}

impl std::fmt::Debug for ChunkEncoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChunkEncoder")
            .field("level", &self.deflater.as_ref().map(|(l, _)| *l))
            .field("buffers", &[self.bufs[0].len(), self.bufs[1].len()])
            .finish()
    }
}

impl Default for ChunkEncoder {
    fn default() -> Self {
        Self::new()
    }
}

impl ChunkEncoder {
    /// An encoder with no deflater yet and empty buffers.
    pub fn new() -> Self {
        ChunkEncoder {
            own: None,
            deflater: None,
            bufs: [Vec::new(), Vec::new()],
        }
    }

    /// Applies `pipeline` to one chunk's elements and returns the bytes to store (borrowed
    /// from the encoder until its next use; `data` itself when the pipeline is empty).
    pub fn encode<'a>(&'a mut self, pipeline: &FilterPipeline, data: &'a [u8]) -> Result<&'a [u8]> {
        // Where the current bytes are: `data` (None) or one of the buffers.
        let mut at: Option<usize> = None;
        for filter in &pipeline.filters {
            let to = if at == Some(0) { 1 } else { 0 };
            let [first, second] = &mut self.bufs;
            let (input, out): (&[u8], &mut Vec<u8>) = match at {
                None => (data, first),
                Some(0) => (first, second),
                Some(_) => (second, first),
            };
            out.clear();
            match filter.id {
                SHUFFLE => {
                    let size = filter.client_data.first().copied().unwrap_or(1) as usize;
                    shuffle_into(input, size, out);
                }
                DEFLATE => {
                    let level = filter.client_data.first().copied().unwrap_or(6).min(9);
                    if level == OWN_LEVEL {
                        self.own
                            .get_or_insert_with(Box::default)
                            .compress(input, level, out);
                    } else {
                        let z = match &mut self.deflater {
                            Some((l, z)) if *l == level => {
                                z.reset();
                                z
                            }
                            slot => {
                                let z = zlib_rs::Deflate::new_with_config(zlib_rs::DeflateConfig {
                                    level: level as i32,
                                    mem_level: MEM_LEVEL,
                                    ..zlib_rs::DeflateConfig::default()
                                });
                                &mut slot.insert((level, z)).1
                            }
                        };
                        deflate_into(z, input, out)?;
                    }
                }
                FLETCHER32 => {
                    out.extend_from_slice(input);
                    out.extend_from_slice(&fletcher32(input).to_le_bytes());
                }
                _ => {
                    return Err(Error::UnsupportedFilter {
                        id: filter.id,
                        name: display_name(filter),
                        path: "(writing)".to_owned(),
                    })
                }
            }
            at = Some(to);
        }
        Ok(match at {
            None => data,
            Some(i) => &self.bufs[i],
        })
    }
}

/// Applies `pipeline` to one chunk's elements (a one-off [`ChunkEncoder`]; reuse one when
/// encoding many chunks).
pub fn encode_chunk(pipeline: &FilterPipeline, data: &[u8]) -> Result<Vec<u8>> {
    Ok(ChunkEncoder::new().encode(pipeline, data)?.to_vec())
}

/// Compresses `input` as one zlib stream into `out` with `z`, freshly reset.
fn deflate_into(z: &mut zlib_rs::Deflate, input: &[u8], out: &mut Vec<u8>) -> Result<()> {
    // zlib's bound for the worst case (stored blocks) plus the stream's header and trailer.
    out.reserve(input.len() + (input.len() >> 12) + (input.len() >> 14) + 64);
    loop {
        let done = usize::try_from(z.total_in()).unwrap_or(usize::MAX);
        let rest = input.get(done..).unwrap_or_default();
        let before = z.total_out();
        let status = z
            .compress_uninit(
                rest,
                out.spare_capacity_mut(),
                zlib_rs::DeflateFlush::Finish,
            )
            .map_err(|e| std::io::Error::other(e.as_str()))?;
        let wrote = usize::try_from(z.total_out() - before).unwrap_or(usize::MAX);
        let len = out.len() + wrote.min(out.capacity() - out.len());
        // SAFETY: zlib-rs initialized the `wrote` bytes after `len` (its count of output
        // written into the spare capacity it was given, capped at that capacity).
        unsafe { out.set_len(len) };
        match status {
            zlib_rs::Status::StreamEnd => return Ok(()),
            zlib_rs::Status::Ok | zlib_rs::Status::BufError => out.reserve(out.capacity().max(64)),
        }
    }
}

/// Applies the byte shuffle (the inverse of the unshuffle reading does).
pub fn shuffle(data: &[u8], size: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len());
    shuffle_into(data, size, &mut out);
    out
}

/// The byte shuffle of `data` appended to the empty `out`: byte `j` of every element goes
/// to plane `j`; a tail of `len % size` bytes is kept as is.
fn shuffle_into(data: &[u8], size: usize, out: &mut Vec<u8>) {
    if size <= 1 || data.len() < size {
        out.extend_from_slice(data);
        return;
    }
    let n = data.len() / size;
    out.resize(data.len(), 0);
    for (i, elem) in data[..n * size].chunks_exact(size).enumerate() {
        for (j, &b) in elem.iter().enumerate() {
            out[j * n + i] = b;
        }
    }
    out[n * size..].copy_from_slice(&data[n * size..]);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::filters::decode_chunk;
    use crate::format::filters::test_support::pipeline;

    #[test]
    fn one_encoder_many_chunks_and_levels_round_trip() {
        let mut enc = ChunkEncoder::new();
        let pipelines = [
            pipeline(&[(DEFLATE, 2)]),
            pipeline(&[(SHUFFLE, 4), (DEFLATE, 2)]),
            pipeline(&[(DEFLATE, 9)]),
            pipeline(&[(SHUFFLE, 4), (DEFLATE, 6), (FLETCHER32, 0)]),
            pipeline(&[]),
        ];
        for round in 0..3u32 {
            for p in &pipelines {
                let data: Vec<u8> = (0..16384u32)
                    .map(|i| (i.wrapping_mul(2654435761).wrapping_add(round) >> 24) as u8 & 7)
                    .collect();
                let stored = enc.encode(p, &data).unwrap().to_vec();
                assert_eq!(stored, encode_chunk(p, &data).unwrap());
                let back = decode_chunk(p, 0, stored, data.len(), 0, "t").unwrap();
                assert_eq!(back, data);
            }
        }
    }

    #[test]
    fn incompressible_chunk_grows_the_output() {
        let mut x: u64 = 88172645463325252;
        let data: Vec<u8> = (0..70000)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect();
        let p = pipeline(&[(DEFLATE, 1)]);
        let stored = ChunkEncoder::new().encode(&p, &data).unwrap().to_vec();
        assert!(stored.len() > data.len());
        assert_eq!(
            decode_chunk(&p, 0, stored, data.len(), 0, "t").unwrap(),
            data
        );
    }
}
