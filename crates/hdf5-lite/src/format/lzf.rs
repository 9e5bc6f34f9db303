//! LZF decompression, for HDF5 filter 32000 (h5py's `compression="lzf"`).
//!
//! The stream format is liblzf's (Marc Lehmann, <http://oldhome.schmorp.de/marc/liblzf.html>,
//! described in its `lzf_d.c` and in the LZF section of the liblzf README): a sequence of
//! items, each starting with a control byte `c`:
//! - `c < 0x20`: a literal run; the next `c + 1` bytes are copied to the output;
//! - otherwise a back reference: `len = c >> 5` (with `len == 7` extended by adding the
//!   next byte), then one byte `low`; `len + 2` bytes are copied from `distance =
//!   ((c & 0x1f) << 8 | low) + 1` bytes back in the output (the ranges may overlap, so the
//!   copy runs byte by byte).
//!
//! h5py's filter (`lzf_filter.c`) stores each chunk as one such stream with no header; its
//! client data are (filter revision, liblzf version, chunk size in bytes). A chunk that
//! does not compress is stored raw with the filter's bit set in the chunk's filter mask,
//! which [`super::filters::decode_chunk`] honours before calling here.

use crate::error::{Error, Result};

/// Decodes one LZF stream that must expand to exactly `expected` bytes. `offset` (the
/// chunk's file offset) is for error messages. Corrupt input (a run or reference past
/// either end, a wrong total) is an error, never a panic or an allocation beyond
/// `expected`.
pub fn decompress(input: &[u8], expected: usize, offset: u64) -> Result<Vec<u8>> {
    let bad = |reason: String| Error::Decompress { offset, reason };
    let mut out = Vec::new();
    out.try_reserve_exact(expected)
        .map_err(|_| Error::TooLarge {
            what: "decompressed chunk",
            size: expected as u128,
        })?;
    let mut i = 0usize;
    while i < input.len() {
        let c = usize::from(input[i]);
        i += 1;
        if c < 0x20 {
            let run = c + 1;
            let lit = input
                .get(i..i + run)
                .ok_or_else(|| bad(format!("LZF literal run of {run} bytes past the input")))?;
            if out.len() + run > expected {
                return Err(bad(format!(
                    "LZF expands to more than the chunk's {expected} bytes"
                )));
            }
            out.extend_from_slice(lit);
            i += run;
        } else {
            let mut len = c >> 5;
            if len == 7 {
                len += usize::from(
                    *input
                        .get(i)
                        .ok_or_else(|| bad("LZF reference length past the input".into()))?,
                );
                i += 1;
            }
            let low = usize::from(
                *input
                    .get(i)
                    .ok_or_else(|| bad("LZF reference offset past the input".into()))?,
            );
            i += 1;
            let distance = ((c & 0x1f) << 8 | low) + 1;
            let len = len + 2;
            let Some(start) = out.len().checked_sub(distance) else {
                return Err(bad(format!(
                    "LZF reference {distance} bytes back, before the start of the output"
                )));
            };
            if out.len() + len > expected {
                return Err(bad(format!(
                    "LZF expands to more than the chunk's {expected} bytes"
                )));
            }
            for k in start..start + len {
                let b = out[k];
                out.push(b);
            }
        }
    }
    if out.len() != expected {
        return Err(bad(format!(
            "LZF stream decodes to {} bytes, expected {expected}",
            out.len()
        )));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_and_overlapping_references() {
        // "abc" literal, then a reference of length 7 at distance 3 ("abcabca"),
        // then a long reference (len byte) at distance 1.
        let stream = [
            0x02,
            b'a',
            b'b',
            b'c', // literal "abc"
            (5 << 5) as u8,
            0x02, // len 5+2 = 7, distance 3
            (7 << 5) as u8,
            3,
            0x00, // len 7+3+2 = 12, distance 1
        ];
        let out = decompress(&stream, 3 + 7 + 12, 0).unwrap();
        assert_eq!(&out[..10], b"abcabcabca");
        assert_eq!(&out[10..], &[b'a'; 12]);
    }

    #[test]
    fn corrupt_streams_are_errors() {
        // Literal run longer than the input.
        assert!(decompress(&[0x05, 1, 2], 6, 0).is_err());
        // Reference before the start.
        assert!(decompress(&[0x00, 1, 0x20, 0x05], 4, 0).is_err());
        // Truncated reference.
        assert!(decompress(&[0x00, 1, 0x20], 4, 0).is_err());
        assert!(decompress(&[0x00, 1, 0xe0], 4, 0).is_err());
        // Too short and too long for the expected size.
        assert!(decompress(&[0x01, 1, 2], 3, 0).is_err());
        assert!(decompress(&[0x01, 1, 2], 1, 0).is_err());
        assert!(decompress(&[0x00, 1, 0x20, 0x00], 2, 0).is_err());
    }
}
