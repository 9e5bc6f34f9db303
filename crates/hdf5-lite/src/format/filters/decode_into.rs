//! Decoding a whole chunk straight into the caller's buffer. The pipelines loom and
//! h5py files use are undone without the copy out of the decoder's own buffers:
//!
//! - deflate, with or without a Fletcher-32 checksum on the stored bytes: inflated by
//!   hdf5-lite's [`Inflater`](super::Inflater) into the buffer itself;
//! - shuffle then deflate (checksum or not): inflated into the decoder's buffer and
//!   unshuffled into the caller's;
//! - no filter or only the checksum: copied once.
//!
//! Anything else, and any stream the inflater does not decode to exactly the chunk's
//! size (one that holds more, which libhdf5 accepts; one that holds fewer; a corrupt
//! one), goes through [`ChunkDecoder::decode`], so the results and errors are the same.

use super::{grow, unshuffle_into, verify_fletcher32, ChunkDecoder, DEFLATE, FLETCHER32, SHUFFLE};
use crate::error::Result;
use crate::format::messages::FilterPipeline;

/// The filters left to undo once the checksums are checked, in the order they are undone.
enum Steps {
    /// None: the bytes are the chunk.
    Copy,
    /// Inflate only.
    Inflate,
    /// Inflate, then undo a shuffle of elements of this many bytes.
    InflateUnshuffle(usize),
    /// Something else: the general path.
    Other,
}

impl ChunkDecoder {
    /// Undoes `pipeline` (`mask` as for [`decode`](Self::decode)) on the stored bytes
    /// `stored` of a chunk whose decoded bytes are exactly `out`, and writes them there.
    /// A chunk that decodes to more bytes keeps its first `out.len()` (as libhdf5 reads
    /// it); one that decodes to fewer, a corrupt stream or a wrong checksum is an error.
    /// `offset` and `path` are for error messages.
    pub fn decode_into(
        &mut self,
        pipeline: &FilterPipeline,
        mask: u32,
        stored: &[u8],
        out: &mut [u8],
        offset: u64,
        path: &str,
    ) -> Result<()> {
        let active = |i: usize| i >= 32 || mask & (1 << i) == 0;
        let mut undo = pipeline
            .filters
            .iter()
            .enumerate()
            .rev()
            .filter(|&(i, _)| active(i))
            .map(|(_, f)| f)
            .peekable();
        let mut body = stored;
        while undo.next_if(|f| f.id == FLETCHER32).is_some() {
            body = &body[..verify_fletcher32(body, offset)?];
        }
        let steps = match (undo.next(), undo.next(), undo.next()) {
            (None, _, _) => Steps::Copy,
            (Some(d), None, _) if d.id == DEFLATE => Steps::Inflate,
            (Some(d), Some(s), None) if d.id == DEFLATE && s.id == SHUFFLE => {
                Steps::InflateUnshuffle(s.client_data.first().copied().unwrap_or(1) as usize)
            }
            _ => Steps::Other,
        };
        let n = out.len();
        let done = match steps {
            Steps::Copy => {
                if let Some(bytes) = body.get(..n) {
                    out.copy_from_slice(bytes);
                    return Ok(());
                }
                false
            }
            Steps::Inflate => self.inflaters.ours.inflate_zlib(body, out) == Ok(n),
            Steps::InflateUnshuffle(size) => {
                grow(&mut self.bufs[0], n)?;
                let buf = &mut self.bufs[0][..n];
                let whole = self.inflaters.ours.inflate_zlib(body, buf) == Ok(n);
                if whole {
                    unshuffle_into(buf, size, out);
                }
                whole
            }
            Steps::Other => false,
        };
        if !done {
            // `decode` returns at least the `n` bytes it is asked for.
            out.copy_from_slice(&self.decode(pipeline, mask, stored, n, n, offset, path)?[..n]);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{pipeline, zlib};
    use super::super::{fletcher32, shuffle, ChunkDecoder, DEFLATE, FLETCHER32, SHUFFLE};
    use crate::error::Error;
    use crate::format::messages::FilterPipeline;

    fn checksummed(mut stored: Vec<u8>) -> Vec<u8> {
        stored.extend_from_slice(&fletcher32(&stored).to_le_bytes());
        stored
    }

    /// 4,000 bytes of a pattern that compresses but is not one run.
    fn raw() -> Vec<u8> {
        (0..4000u32).map(|i| (i * i % 251) as u8).collect()
    }

    /// `decode_into` on a buffer of `n` bytes (filled with 0xAA first), against
    /// `decode`'s first `n` bytes.
    fn both(p: &FilterPipeline, mask: u32, stored: &[u8], n: usize) -> (Vec<u8>, Vec<u8>) {
        let mut d = ChunkDecoder::new();
        let mut out = vec![0xAA; n];
        d.decode_into(p, mask, stored, &mut out, 0, "/d").unwrap();
        let mut e = ChunkDecoder::new();
        let want = e.decode(p, mask, stored, n, n, 0, "/d").unwrap()[..n].to_vec();
        (out, want)
    }

    #[test]
    fn every_pipeline_decodes_as_decode_does() {
        let raw = raw();
        let shuffled = shuffle(&raw, 4);
        let cases = [
            (pipeline(&[]), raw.clone()),
            (pipeline(&[(FLETCHER32, 0)]), checksummed(raw.clone())),
            (pipeline(&[(DEFLATE, 2)]), zlib(&raw)),
            (
                pipeline(&[(DEFLATE, 2), (FLETCHER32, 0)]),
                checksummed(zlib(&raw)),
            ),
            (pipeline(&[(SHUFFLE, 4), (DEFLATE, 2)]), zlib(&shuffled)),
            (
                pipeline(&[(SHUFFLE, 4), (DEFLATE, 2), (FLETCHER32, 0)]),
                checksummed(zlib(&shuffled)),
            ),
            // A shuffle alone and a checksum taken before deflating: the general path.
            (pipeline(&[(SHUFFLE, 4)]), shuffled.clone()),
            (
                pipeline(&[(FLETCHER32, 0), (DEFLATE, 2)]),
                zlib(&checksummed(raw.clone())),
            ),
        ];
        for (p, stored) in &cases {
            let (out, want) = both(p, 0, stored, raw.len());
            assert_eq!(out, raw, "{p:?}");
            assert_eq!(out, want, "{p:?}");
        }
    }

    /// A checksum taken before deflating covers the whole stream, one past the chunk:
    /// `decode` inflates all of it even for a prefix (it stopped at the prefix, and at
    /// the chunk's size, and the checksum failed).
    #[test]
    fn a_checksum_under_deflate_is_checked_on_the_whole_stream() {
        let raw = raw();
        let p = pipeline(&[(FLETCHER32, 0), (DEFLATE, 2)]);
        let stored = zlib(&checksummed(raw.clone()));
        let mut d = ChunkDecoder::new();
        let got = d.decode(&p, 0, &stored, raw.len(), 100, 0, "/d").unwrap();
        assert_eq!(&got[..100], &raw[..100]);
        let mut bad = checksummed(raw.clone());
        bad[7] ^= 1;
        let bad = zlib(&bad);
        let err = d.decode(&p, 0, &bad, raw.len(), 100, 0, "/d");
        assert!(matches!(err, Err(Error::Checksum { .. })), "{err:?}");
    }

    #[test]
    fn masked_filters_are_skipped() {
        let raw = raw();
        // Deflate skipped: the stored bytes are the shuffled chunk.
        let p = pipeline(&[(SHUFFLE, 4), (DEFLATE, 2)]);
        let (out, _) = both(&p, 0b10, &shuffle(&raw, 4), raw.len());
        assert_eq!(out, raw);
        // Shuffle skipped: deflate only.
        let (out, _) = both(&p, 0b01, &zlib(&raw), raw.len());
        assert_eq!(out, raw);
    }

    /// A stream holding more than the chunk keeps the chunk's first bytes, with or
    /// without a shuffle (whose planes span the whole stream).
    #[test]
    fn chunks_that_decode_long_keep_their_first_bytes() {
        let raw = raw();
        let (out, want) = both(&pipeline(&[(DEFLATE, 2)]), 0, &zlib(&raw), 3000);
        assert_eq!(out, raw[..3000]);
        assert_eq!(out, want);
        let p = pipeline(&[(SHUFFLE, 4), (DEFLATE, 2)]);
        let (out, want) = both(&p, 0, &zlib(&shuffle(&raw, 4)), 3000);
        assert_eq!(out, raw[..3000]);
        assert_eq!(out, want);
        let (out, _) = both(&pipeline(&[]), 0, &raw, 3000);
        assert_eq!(out, raw[..3000]);
    }

    #[test]
    fn chunks_that_decode_short_are_errors() {
        let raw = raw();
        let mut d = ChunkDecoder::new();
        let mut out = vec![0; raw.len() + 1];
        for (p, stored) in [
            (pipeline(&[(DEFLATE, 2)]), zlib(&raw)),
            (
                pipeline(&[(SHUFFLE, 4), (DEFLATE, 2)]),
                zlib(&shuffle(&raw, 4)),
            ),
            (pipeline(&[]), raw.clone()),
        ] {
            let err = d
                .decode_into(&p, 0, &stored, &mut out, 9, "/d")
                .unwrap_err();
            assert!(
                matches!(err, Error::Decompress { offset: 9, .. }),
                "{p:?}: {err}"
            );
            assert!(err.to_string().contains("4000 bytes"), "{p:?}: {err}");
        }
    }

    #[test]
    fn corrupt_streams_and_checksums_are_errors() {
        let raw = raw();
        let mut d = ChunkDecoder::new();
        let mut out = vec![0; raw.len()];
        let p = pipeline(&[(DEFLATE, 2)]);
        let mut cut = zlib(&raw);
        cut.truncate(cut.len() - 10);
        let mut flipped = zlib(&raw);
        let last = flipped.len() - 1;
        flipped[last] ^= 1; // the Adler-32
        for stored in [cut, flipped, vec![0xde, 0xad, 0xbe, 0xef], Vec::new()] {
            let err = d.decode_into(&p, 0, &stored, &mut out, 0, "/d");
            assert!(
                matches!(err, Err(Error::Decompress { .. })),
                "{stored:?}: {err:?}"
            );
        }
        let p = pipeline(&[(SHUFFLE, 4), (DEFLATE, 2), (FLETCHER32, 0)]);
        let mut stored = checksummed(zlib(&shuffle(&raw, 4)));
        stored[5] ^= 1;
        let err = d.decode_into(&p, 0, &stored, &mut out, 0, "/d");
        assert!(matches!(err, Err(Error::Checksum { .. })), "{err:?}");
        assert!(d
            .decode_into(&pipeline(&[(FLETCHER32, 0)]), 0, &[1, 2], &mut out, 0, "/d")
            .is_err());
        let p = pipeline(&[(32001, 0)]);
        let err = d
            .decode_into(&p, 0, &raw, &mut out, 0, "/blosc")
            .unwrap_err();
        assert!(err.to_string().contains("blosc"), "{err}");
    }

    /// The direct paths leave the decoder's buffers as small as the chunks need: none
    /// for deflate alone.
    #[test]
    fn deflate_alone_uses_no_buffer() {
        let raw = raw();
        let mut d = ChunkDecoder::new();
        let mut out = vec![0; raw.len()];
        d.decode_into(
            &pipeline(&[(DEFLATE, 2)]),
            0,
            &zlib(&raw),
            &mut out,
            0,
            "/d",
        )
        .unwrap();
        assert_eq!(out, raw);
        assert!(d.bufs.iter().all(Vec::is_empty), "{d:?}");
    }
}
