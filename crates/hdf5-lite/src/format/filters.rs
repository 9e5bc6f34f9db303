//! The filters of a chunk pipeline (spec IV.A.2.l lists the ids; the algorithms are
//! libhdf5's H5Z filters): deflate (1), shuffle (2), fletcher32 (3), and for reading LZF
//! (32000, see [`super::lzf`]). Reading undoes them in reverse order; any other filter is
//! an error that names it.

use crate::error::{Error, Result};
use crate::format::checksum::fletcher32;
use crate::format::messages::{Filter, FilterPipeline};

mod decode_into;
mod deflate;
mod encode;
mod inflate;
mod rfc1951;
#[cfg(test)]
mod test_support;
pub use deflate::Deflater;
pub use encode::{encode_chunk, shuffle, ChunkEncoder};
pub use inflate::{InflateError, Inflater};

/// Registered id of deflate (zlib).
pub const DEFLATE: u16 = 1;
/// Registered id of the byte shuffle.
pub const SHUFFLE: u16 = 2;
/// Registered id of the Fletcher-32 checksum.
pub const FLETCHER32: u16 = 3;
/// Registered id of szip.
pub const SZIP: u16 = 4;
/// Registered id of LZF (h5py's filter; decoded, never written).
pub const LZF: u16 = 32000;

/// The canonical lowercase name of a filter id, as in the HDF Group's registry.
pub fn filter_name(id: u16) -> Option<&'static str> {
    Some(match id {
        1 => "deflate",
        2 => "shuffle",
        3 => "fletcher32",
        4 => "szip",
        5 => "nbit",
        6 => "scaleoffset",
        32000 => "lzf",
        32001 => "blosc",
        32004 => "lz4",
        32008 => "bitshuffle",
        32013 => "zfp",
        32015 => "zstd",
        32017 => "sz",
        32026 => "blosc2",
        _ => return None,
    })
}

/// The name to show for `filter`: its canonical name, else the stored name, else "unknown".
pub fn display_name(filter: &Filter) -> String {
    filter_name(filter.id)
        .map(str::to_owned)
        .or_else(|| filter.name.clone())
        .unwrap_or_else(|| "unknown".to_owned())
}

/// Checks that every filter of `pipeline` can be decoded; the error names the first that
/// cannot. `path` names the dataset in the error.
pub fn check_supported(pipeline: &FilterPipeline, path: &str) -> Result<()> {
    match pipeline
        .filters
        .iter()
        .find(|f| !matches!(f.id, DEFLATE | SHUFFLE | FLETCHER32 | LZF))
    {
        Some(f) => Err(Error::UnsupportedFilter {
            id: f.id,
            name: display_name(f),
            path: path.to_owned(),
        }),
        None => Ok(()),
    }
}

/// The most bytes deflate can produce per input byte (a run of 258-byte matches coded
/// in about two bits each): what a stream that must be inflated to its end is bounded by.
const MAX_INFLATE_RATIO: usize = 1032;

/// First output buffer of an inflate whose size is only known as a bound; grown by
/// doubling, so a file that declares a huge chunk but stores a small stream costs what
/// the stream holds.
const FIRST_OUTPUT: usize = 64 * 1024;

/// Undoes `pipeline` on one stored chunk. `mask` bit i set means filter i was skipped when
/// the chunk was written; `expected` is the chunk's decoded size in bytes; `offset` (the
/// chunk's file offset) and `path` are for error messages. A chunk that decodes to more
/// bytes than `expected` is accepted as libhdf5 accepts it: its first `expected` bytes
/// are the chunk. Each thread reuses one decoder.
pub fn decode_chunk(
    pipeline: &FilterPipeline,
    mask: u32,
    data: Vec<u8>,
    expected: usize,
    offset: u64,
    path: &str,
) -> Result<Vec<u8>> {
    with_decoder(|decoder| {
        let out = decoder.decode(pipeline, mask, &data, expected, expected, offset, path)?;
        Ok(out[..expected].to_vec())
    })
}

thread_local! {
    /// Each thread's chunk decoder (making one allocates and clears its inflaters' tables
    /// and state, more work than decoding a chunk of 64 x 64 float32).
    static DECODER: std::cell::RefCell<ChunkDecoder> = std::cell::RefCell::new(ChunkDecoder::new());
}

/// Runs `f` with this thread's reused [`ChunkDecoder`] (a fresh one should `f` ever
/// need a second decoder while the first is in use).
pub(crate) fn with_decoder<R>(f: impl FnOnce(&mut ChunkDecoder) -> R) -> R {
    DECODER.with(|cell| match cell.try_borrow_mut() {
        Ok(mut decoder) => f(&mut decoder),
        Err(_) => f(&mut ChunkDecoder::new()),
    })
}

/// Decoding state reused from chunk to chunk (one per thread): the inflaters and two
/// buffers the filters write into in turn, grown only as far as the chunks need.
///
/// Deflate is undone by hdf5-lite's own [`Inflater`] (faster on chunk-sized streams)
/// whenever the whole chunk is needed and its size is possible for its stream (at most
/// 1,032 (`MAX_INFLATE_RATIO`) times its length); a read of a prefix stays with zlib-rs, which
/// stops once it has the prefix. A stream it does not decode whole into the chunk's size (one
/// that holds more bytes than the chunk, which libhdf5 accepts; a read of a prefix that
/// stops before a corrupt part; a corrupt stream) is decoded again by zlib-rs, which
/// keeps those rare cases as they were and gives the error.
pub struct ChunkDecoder {
    inflaters: Inflaters,
    bufs: [Vec<u8>; 2],
}

/// hdf5-lite's inflater, and zlib-rs's for the streams it does not decode.
struct Inflaters {
    ours: Inflater,
    zlib: flate2::Decompress,
}

impl std::fmt::Debug for ChunkDecoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChunkDecoder")
            .field("buffers", &[self.bufs[0].len(), self.bufs[1].len()])
            .finish()
    }
}

impl Default for ChunkDecoder {
    fn default() -> Self {
        Self::new()
    }
}

/// Where the bytes of one decoding step are: the stored chunk or one of the buffers.
#[derive(Clone, Copy)]
enum At {
    Stored { start: usize, len: usize },
    Buf { index: usize, len: usize },
}

impl ChunkDecoder {
    /// A decoder with empty buffers.
    pub fn new() -> Self {
        ChunkDecoder {
            inflaters: Inflaters {
                ours: Inflater::new(),
                zlib: flate2::Decompress::new(true),
            },
            bufs: [Vec::new(), Vec::new()],
        }
    }

    fn bytes<'a>(&'a self, stored: &'a [u8], at: At) -> &'a [u8] {
        match at {
            At::Stored { start, len } => &stored[start..start + len],
            At::Buf { index, len } => &self.bufs[index][..len],
        }
    }

    /// Undoes `pipeline` on the stored bytes `stored` of a chunk of `chunk_bytes` bytes
    /// and returns at least its first `need` bytes (`need <= chunk_bytes`): deflate stops
    /// once it has produced them unless a shuffle or a checksum still has to be undone
    /// (which needs the whole stream). Unfiltered or checksum-only chunks are returned without a copy.
    /// A chunk that decodes to more than `chunk_bytes` is accepted (libhdf5 reads it);
    /// one that decodes to fewer than `need` is an error. `offset` and `path` are for
    /// error messages.
    #[allow(clippy::too_many_arguments)]
    pub fn decode<'a>(
        &'a mut self,
        pipeline: &FilterPipeline,
        mask: u32,
        stored: &'a [u8],
        chunk_bytes: usize,
        need: usize,
        offset: u64,
        path: &str,
    ) -> Result<&'a [u8]> {
        let active = |i: usize| i >= 32 || mask & (1 << i) == 0;
        let mut at = At::Stored {
            start: 0,
            len: stored.len(),
        };
        for (i, filter) in pipeline.filters.iter().enumerate().rev() {
            if !active(i) {
                continue;
            }
            at = match filter.id {
                DEFLATE => {
                    // A shuffle or a checksum undone after this step needs every
                    // byte of the stream.
                    let whole = pipeline.filters[..i]
                        .iter()
                        .enumerate()
                        .any(|(j, f)| matches!(f.id, SHUFFLE | FLETCHER32) && active(j));
                    let index = self.free(at);
                    let len = {
                        let (input, out, inflaters) = self.split(stored, at, index);
                        let limit = if whole {
                            Limit::Whole(
                                chunk_bytes.max(input.len().saturating_mul(MAX_INFLATE_RATIO)),
                            )
                        } else {
                            Limit::Prefix(need)
                        };
                        let size = (whole || need >= chunk_bytes).then_some(chunk_bytes);
                        inflate(inflaters, input, size, out, limit, offset)?
                    };
                    At::Buf { index, len }
                }
                SHUFFLE => {
                    let size = filter.client_data.first().copied().unwrap_or(1) as usize;
                    let index = self.free(at);
                    let (input, out, _) = self.split(stored, at, index);
                    let len = input.len();
                    grow(out, len)?;
                    unshuffle_into(input, size, &mut out[..len]);
                    At::Buf { index, len }
                }
                LZF => {
                    let index = self.free(at);
                    let bytes =
                        super::lzf::decompress(self.bytes(stored, at), chunk_bytes, offset)?;
                    let len = bytes.len();
                    self.bufs[index] = bytes;
                    At::Buf { index, len }
                }
                FLETCHER32 => {
                    let body = verify_fletcher32(self.bytes(stored, at), offset)?;
                    match at {
                        At::Stored { start, .. } => At::Stored { start, len: body },
                        At::Buf { index, .. } => At::Buf { index, len: body },
                    }
                }
                _ => {
                    return Err(Error::UnsupportedFilter {
                        id: filter.id,
                        name: display_name(filter),
                        path: path.to_owned(),
                    })
                }
            };
        }
        let out = self.bytes(stored, at);
        if out.len() < need {
            return Err(Error::Decompress {
                offset,
                reason: format!(
                    "chunk decodes to {} bytes, expected {chunk_bytes}",
                    out.len()
                ),
            });
        }
        Ok(out)
    }

    /// The buffer a step whose input is at `at` writes to.
    fn free(&self, at: At) -> usize {
        match at {
            At::Buf { index, .. } => 1 - index,
            At::Stored { .. } => 0,
        }
    }

    /// The input of a step, its output buffer `index` and the inflaters, borrowed at once.
    fn split<'s>(
        &'s mut self,
        stored: &'s [u8],
        at: At,
        index: usize,
    ) -> (&'s [u8], &'s mut Vec<u8>, &'s mut Inflaters) {
        let [a, b] = &mut self.bufs;
        let (out, other) = if index == 0 { (a, b) } else { (b, a) };
        let input = match at {
            At::Stored { start, len } => &stored[start..start + len],
            At::Buf { len, .. } => &other[..len],
        };
        (input, out, &mut self.inflaters)
    }
}

/// How much of a stream to inflate.
#[derive(Clone, Copy)]
enum Limit {
    /// Only the first n bytes (what the read needs); the rest is left unread.
    Prefix(usize),
    /// The whole stream, which must end within n bytes.
    Whole(usize),
}

/// Makes `buf` at least `len` bytes long (its bytes are overwritten by the caller).
fn grow(buf: &mut Vec<u8>, len: usize) -> Result<()> {
    if buf.len() < len {
        buf.try_reserve_exact(len - buf.len())
            .map_err(|_| Error::TooLarge {
                what: "decoded chunk",
                size: len as u128,
            })?;
        buf.resize(len, 0);
    }
    Ok(())
}

/// Inflates the zlib stream `input` into `out` and returns the bytes produced: with our
/// own inflater if the whole chunk, of `whole` bytes, is wanted and the stream decodes
/// whole into that size, else as [`inflate_zlib_rs`] does.
fn inflate(
    inflaters: &mut Inflaters,
    input: &[u8],
    whole: Option<usize>,
    out: &mut Vec<u8>,
    limit: Limit,
    offset: u64,
) -> Result<usize> {
    if let Some(n) = whole.filter(|&n| n > 0 && n <= input.len().saturating_mul(MAX_INFLATE_RATIO))
    {
        grow(out, n)?;
        if let Ok(n) = inflaters.ours.inflate_zlib(input, &mut out[..n]) {
            return Ok(n);
        }
    }
    inflate_zlib_rs(&mut inflaters.zlib, input, out, limit, offset)
}

/// Inflates the zlib stream `input` into `out` with zlib-rs (`out` grown by doubling up
/// to the limit, never to a size the file merely declares) and returns the bytes
/// produced.
fn inflate_zlib_rs(
    z: &mut flate2::Decompress,
    input: &[u8],
    out: &mut Vec<u8>,
    limit: Limit,
    offset: u64,
) -> Result<usize> {
    let bound = match limit {
        Limit::Prefix(n) | Limit::Whole(n) => n,
    };
    let corrupt = |reason: String| Error::Decompress { offset, reason };
    z.reset(true);
    let mut size = out.len().max(FIRST_OUTPUT.min(bound)).min(bound);
    grow(out, size)?;
    let (mut consumed, mut produced) = (0usize, 0usize);
    let ended = loop {
        let (in0, out0) = (z.total_in(), z.total_out());
        let status = z
            .decompress(
                &input[consumed..],
                &mut out[produced..size],
                flate2::FlushDecompress::Finish,
            )
            .map_err(|e| corrupt(e.to_string()))?;
        consumed += (z.total_in() - in0) as usize;
        produced += (z.total_out() - out0) as usize;
        let ended = status == flate2::Status::StreamEnd;
        if ended || produced == bound {
            break ended;
        }
        if produced == size {
            size = size.saturating_mul(2).min(bound);
            grow(out, size)?;
        } else if z.total_in() == in0 && z.total_out() == out0 {
            return Err(corrupt(format!(
                "zlib stream ends after {produced} bytes, before its end marker"
            )));
        }
    };
    if let Limit::Whole(n) = limit {
        if !ended {
            return Err(corrupt(format!("inflates to more than {n} bytes")));
        }
    }
    Ok(produced)
}

/// Reverses the byte shuffle of `data` into `out` (as long as `data`): the stored bytes
/// are `size` planes, plane j holding byte j of every element; a tail of
/// `len % size` bytes is stored as is.
fn unshuffle_into(data: &[u8], size: usize, out: &mut [u8]) {
    if size <= 1 || data.len() < size {
        out.copy_from_slice(data);
        return;
    }
    let n = data.len() / size;
    for (j, plane) in data[..n * size].chunks_exact(n).enumerate() {
        for (o, &b) in out[j..].iter_mut().step_by(size).zip(plane) {
            *o = b;
        }
    }
    out[n * size..].copy_from_slice(&data[n * size..]);
}

/// Checks the trailing little-endian Fletcher-32 checksum of `data` and returns the
/// length of the body before it.
fn verify_fletcher32(data: &[u8], offset: u64) -> Result<usize> {
    let Some(body_len) = data.len().checked_sub(4) else {
        return Err(Error::Decompress {
            offset,
            reason: "chunk too short for a Fletcher-32 checksum".into(),
        });
    };
    let stored = u32::from_le_bytes([
        data[body_len],
        data[body_len + 1],
        data[body_len + 2],
        data[body_len + 3],
    ]);
    let computed = fletcher32(&data[..body_len]);
    if stored != computed {
        return Err(Error::Checksum {
            structure: "chunk (fletcher32 filter)",
            offset,
            stored,
            computed,
        });
    }
    Ok(body_len)
}

#[cfg(test)]
mod tests {
    use super::test_support::zlib;
    use super::*;

    fn filter(id: u16, cd: &[u32]) -> Filter {
        Filter {
            id,
            name: None,
            flags: 0,
            client_data: cd.to_vec(),
        }
    }

    #[test]
    fn shuffle_deflate_fletcher_round_trip() {
        let raw: Vec<u8> = (0..403u32).map(|i| (i * 31 % 251) as u8).collect();
        let mut stored = zlib(&shuffle(&raw, 4));
        stored.extend_from_slice(&fletcher32(&stored).to_le_bytes());
        let p = FilterPipeline {
            filters: vec![
                filter(SHUFFLE, &[4]),
                filter(DEFLATE, &[6]),
                filter(FLETCHER32, &[]),
            ],
        };
        assert_eq!(
            decode_chunk(&p, 0, stored.clone(), raw.len(), 0, "/d").unwrap(),
            raw
        );

        let mut bad = stored;
        bad[3] ^= 1;
        assert!(matches!(
            decode_chunk(&p, 0, bad, raw.len(), 0, "/d"),
            Err(Error::Checksum { .. })
        ));
    }

    #[test]
    fn encoding_round_trips() {
        let raw: Vec<u8> = (0..1000u32).map(|i| (i % 7) as u8).collect();
        let p = FilterPipeline {
            filters: vec![
                filter(SHUFFLE, &[4]),
                filter(DEFLATE, &[2]),
                filter(FLETCHER32, &[]),
            ],
        };
        let stored = encode_chunk(&p, &raw).unwrap();
        assert!(stored.len() < raw.len());
        assert_eq!(&stored[..2], &[0x78, 0x5e], "zlib header for level 2");
        assert_eq!(
            decode_chunk(&p, 0, stored, raw.len(), 0, "/d").unwrap(),
            raw
        );
    }

    #[test]
    fn masked_filters_are_skipped() {
        let raw = vec![7u8; 64];
        let p = FilterPipeline {
            filters: vec![filter(DEFLATE, &[4])],
        };
        assert_eq!(decode_chunk(&p, 1, raw.clone(), 64, 0, "/d").unwrap(), raw);
    }

    #[test]
    fn unknown_filter_is_named() {
        let p = FilterPipeline {
            filters: vec![filter(32001, &[])],
        };
        let err = decode_chunk(&p, 0, vec![0; 8], 8, 0, "/blosc").unwrap_err();
        assert!(err.to_string().contains("blosc"), "{err}");
        assert!(check_supported(&p, "/blosc").is_err());
    }

    #[test]
    fn wrong_size_and_garbage_are_errors() {
        let p = FilterPipeline {
            filters: vec![filter(DEFLATE, &[4])],
        };
        assert!(decode_chunk(&p, 0, zlib(&[1; 10]), 20, 0, "/d").is_err());
        assert!(decode_chunk(&p, 0, vec![0xde, 0xad, 0xbe, 0xef], 20, 0, "/d").is_err());
        let mut cut = zlib(&[1; 300]);
        cut.truncate(cut.len() - 6);
        assert!(decode_chunk(&p, 0, cut, 300, 0, "/d").is_err());
    }

    /// Issue 8: a 22,944-byte file declaring a 2.3 GB chunk made `inflate` reserve the
    /// declared size. Output now grows with what the stream holds.
    #[test]
    fn a_declared_chunk_size_is_not_reserved() {
        let p = FilterPipeline {
            filters: vec![filter(DEFLATE, &[4])],
        };
        let declared = 2_300_000_000;
        let mut d = ChunkDecoder::new();
        let stored = zlib(&[1; 10]);
        let err = d
            .decode(&p, 0, &stored, declared, declared, 0, "/d")
            .unwrap_err();
        assert!(err.to_string().contains("10 bytes"), "{err}");
        assert!(d.bufs.iter().all(|b| b.len() <= FIRST_OUTPUT), "{d:?}");
        assert!(decode_chunk(&p, 0, stored, declared, 0, "/d").is_err());
        // The same with a shuffle after the inflate, which inflates to the stream's end.
        let p = FilterPipeline {
            filters: vec![filter(SHUFFLE, &[4]), filter(DEFLATE, &[4])],
        };
        assert!(d
            .decode(&p, 0, &zlib(&[1; 12]), declared, declared, 0, "/d")
            .is_err());
        assert!(d.bufs.iter().all(|b| b.len() <= FIRST_OUTPUT), "{d:?}");
    }

    /// PyTables writes chunks that inflate to more bytes than the chunk size; libhdf5
    /// reads them, keeping the chunk's first bytes.
    #[test]
    fn chunks_that_inflate_to_more_bytes_are_read() {
        let raw: Vec<u8> = (0..32u8).collect();
        let p = FilterPipeline {
            filters: vec![filter(DEFLATE, &[4])],
        };
        assert_eq!(
            decode_chunk(&p, 0, zlib(&raw), 20, 0, "/d").unwrap(),
            raw[..20]
        );
        // With a shuffle, the planes span the whole stream (8 elements of 4 bytes).
        let p = FilterPipeline {
            filters: vec![filter(SHUFFLE, &[4]), filter(DEFLATE, &[4])],
        };
        let stored = zlib(&shuffle(&raw, 4));
        assert_eq!(
            decode_chunk(&p, 0, stored.clone(), 24, 0, "/d").unwrap(),
            raw[..24]
        );
        // Bounded: a stream may not inflate past deflate's ratio to its input.
        let mut z = flate2::Decompress::new(true);
        let mut out = Vec::new();
        let err = inflate_zlib_rs(&mut z, &stored, &mut out, Limit::Whole(16), 0).unwrap_err();
        assert!(err.to_string().contains("more than 16"), "{err}");
    }

    #[test]
    fn a_prefix_is_inflated_only_as_far_as_needed() {
        let raw: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
        let stored = zlib(&raw);
        let p = FilterPipeline {
            filters: vec![filter(DEFLATE, &[4])],
        };
        let mut d = ChunkDecoder::new();
        let got = d.decode(&p, 0, &stored, raw.len(), 1000, 0, "/d").unwrap();
        assert_eq!(got, &raw[..1000]);
        let got = d
            .decode(&p, 0, &stored, raw.len(), raw.len(), 0, "/d")
            .unwrap();
        assert_eq!(got, &raw[..]);
        // An unfiltered pipeline hands back the stored bytes themselves.
        let none = FilterPipeline::default();
        let got = d.decode(&none, 0, &raw, raw.len(), 10, 0, "/d").unwrap();
        assert_eq!(got.as_ptr(), raw.as_ptr());
    }
}
