//! The filters of a chunk pipeline (spec IV.A.2.l lists the ids; the algorithms are
//! libhdf5's H5Z filters): deflate (1), shuffle (2), fletcher32 (3), and for reading LZF
//! (32000, see [`super::lzf`]). Reading undoes them in reverse order; any other filter is
//! an error that names it.

use std::io::Read;

use crate::error::{Error, Result};
use crate::format::checksum::fletcher32;
use crate::format::messages::{Filter, FilterPipeline};

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

/// Undoes `pipeline` on one stored chunk. `mask` bit i set means filter i was skipped when
/// the chunk was written; `expected` is the chunk's decoded size in bytes; `offset` (the
/// chunk's file offset) and `path` are for error messages.
pub fn decode_chunk(
    pipeline: &FilterPipeline,
    mask: u32,
    mut data: Vec<u8>,
    expected: usize,
    offset: u64,
    path: &str,
) -> Result<Vec<u8>> {
    for (i, filter) in pipeline.filters.iter().enumerate().rev() {
        if i < 32 && mask & (1 << i) != 0 {
            continue;
        }
        data = match filter.id {
            DEFLATE => inflate(&data, expected, offset)?,
            SHUFFLE => {
                let size = filter.client_data.first().copied().unwrap_or(1) as usize;
                unshuffle(&data, size)
            }
            FLETCHER32 => verify_fletcher32(data, offset)?,
            LZF => super::lzf::decompress(&data, expected, offset)?,
            _ => {
                return Err(Error::UnsupportedFilter {
                    id: filter.id,
                    name: display_name(filter),
                    path: path.to_owned(),
                })
            }
        };
    }
    if data.len() != expected {
        return Err(Error::Decompress {
            offset,
            reason: format!("chunk decodes to {} bytes, expected {expected}", data.len()),
        });
    }
    Ok(data)
}

/// Inflates a zlib stream that must decode to exactly `expected` bytes.
fn inflate(data: &[u8], expected: usize, offset: u64) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    out.try_reserve_exact(expected)
        .map_err(|_| Error::TooLarge {
            what: "decompressed chunk",
            size: expected as u128,
        })?;
    let mut decoder = flate2::read::ZlibDecoder::new(data).take(expected as u64 + 1);
    decoder
        .read_to_end(&mut out)
        .map_err(|e| Error::Decompress {
            offset,
            reason: e.to_string(),
        })?;
    if out.len() > expected {
        return Err(Error::Decompress {
            offset,
            reason: format!("inflates to more than the chunk's {expected} bytes"),
        });
    }
    Ok(out)
}

/// Reverses the byte shuffle: the stored bytes are `size` planes, plane j holding byte j
/// of every element; a tail of `len % size` bytes is stored as is.
fn unshuffle(data: &[u8], size: usize) -> Vec<u8> {
    if size <= 1 || data.len() < size {
        return data.to_vec();
    }
    let n = data.len() / size;
    let mut out = vec![0u8; data.len()];
    for (j, plane) in data[..n * size].chunks_exact(n).enumerate() {
        for (i, &b) in plane.iter().enumerate() {
            out[i * size + j] = b;
        }
    }
    out[n * size..].copy_from_slice(&data[n * size..]);
    out
}

/// Checks and strips the trailing little-endian Fletcher-32 checksum.
fn verify_fletcher32(mut data: Vec<u8>, offset: u64) -> Result<Vec<u8>> {
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
    data.truncate(body_len);
    Ok(data)
}

/// Applies `pipeline` to one chunk's elements, in order, as libhdf5 does when writing:
/// shuffle, deflate (a zlib stream), Fletcher-32 (appended little-endian).
pub fn encode_chunk(pipeline: &FilterPipeline, data: &[u8]) -> Result<Vec<u8>> {
    let mut out = data.to_vec();
    for filter in &pipeline.filters {
        out = match filter.id {
            SHUFFLE => shuffle(
                &out,
                filter.client_data.first().copied().unwrap_or(1) as usize,
            ),
            DEFLATE => {
                let level = filter.client_data.first().copied().unwrap_or(6).min(9);
                let mut e = flate2::write::ZlibEncoder::new(
                    Vec::with_capacity(out.len() / 2),
                    flate2::Compression::new(level),
                );
                std::io::Write::write_all(&mut e, &out)?;
                e.finish()?
            }
            FLETCHER32 => {
                let sum = fletcher32(&out);
                out.extend_from_slice(&sum.to_le_bytes());
                out
            }
            _ => {
                return Err(Error::UnsupportedFilter {
                    id: filter.id,
                    name: display_name(filter),
                    path: "(writing)".to_owned(),
                })
            }
        };
    }
    Ok(out)
}

/// Applies the byte shuffle (the inverse of the unshuffle reading does).
pub fn shuffle(data: &[u8], size: usize) -> Vec<u8> {
    if size <= 1 || data.len() < size {
        return data.to_vec();
    }
    let n = data.len() / size;
    let mut out = vec![0u8; data.len()];
    for (i, elem) in data[..n * size].chunks_exact(size).enumerate() {
        for (j, &b) in elem.iter().enumerate() {
            out[j * n + i] = b;
        }
    }
    out[n * size..].copy_from_slice(&data[n * size..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn filter(id: u16, cd: &[u32]) -> Filter {
        Filter {
            id,
            name: None,
            flags: 0,
            client_data: cd.to_vec(),
        }
    }

    fn zlib(data: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::new(6));
        e.write_all(data).unwrap();
        e.finish().unwrap()
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
        assert!(decode_chunk(&p, 0, zlib(&[1; 30]), 20, 0, "/d").is_err());
        assert!(decode_chunk(&p, 0, vec![0xde, 0xad, 0xbe, 0xef], 20, 0, "/d").is_err());
    }
}
