//! A zlib (RFC 1950) / DEFLATE (RFC 1951) decoder for whole streams whose decoded size is
//! known, such as the chunks of an HDF5 dataset: the input is one complete stream and the
//! output one slice of the chunk's size, so there is no sliding window and no state to
//! carry between calls.
//!
//! - RFC 1950 2.2: a two-byte header (method 8, window of at most 32 KiB, no preset
//!   dictionary, header check), the deflate data, then the Adler-32 of the decoded bytes
//!   (big-endian), which is verified. Bytes after it are ignored, as zlib ignores them.
//! - RFC 1951 3.2.3-3.2.7: stored, fixed-Huffman and dynamic-Huffman blocks. Bits are read
//!   least significant first through a 64-bit buffer refilled a word at a time
//!   ([`bits`]). Huffman codes are decoded by table: one lookup of the next bits gives a
//!   literal, or a length (or distance) base with its count of extra bits, or the end of
//!   the block; codes longer than the table's index bits go through a second-level table
//!   ([`table`]). Code sets are accepted as zlib accepts them: complete, except that a set
//!   of a single one-bit code is allowed for literals/lengths and distances.
//! - Blocks are decoded by a fast loop while at least 8 input bytes and a longest match
//!   (with slack for word copies) of output remain, then by a careful loop that checks
//!   every step ([`block`]). Matches at distance 1 are fills, other distances under 8 are
//!   pattern copies, longer ones word copies ([`copy`]). It is safe Rust but for one call:
//!   the loops compiled for BMI2, made only when the CPU has it.
//!
//! A stream that holds more bytes than the output is reported as such (not decoded
//! further); the caller decides what that means (see `ChunkDecoder`). Corrupt input gives
//! an error, never a panic; nothing is allocated from numbers in the stream, and every
//! step consumes input or output, so decoding ends.

mod bits;
mod block;
mod copy;
#[cfg(test)]
mod match_tests;
mod table;
#[cfg(test)]
mod tests;

use bits::Bits;
use table::Tables;

/// Why a stream was not decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InflateError {
    /// The stream holds more bytes than the output.
    OutputFull,
    /// Not a valid zlib stream: what is wrong, and about where (byte of the input).
    Corrupt {
        /// The input byte the decoder had reached.
        at: usize,
        /// What is wrong.
        reason: &'static str,
    },
}

impl std::fmt::Display for InflateError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            InflateError::OutputFull => f.write_str("stream holds more bytes than expected"),
            InflateError::Corrupt { at, reason } => write!(f, "{reason} (at stream byte {at})"),
        }
    }
}

impl std::error::Error for InflateError {}

/// A decoder of whole zlib streams; keeps its Huffman tables (about 30 KiB) from one
/// stream to the next.
pub struct Inflater {
    tables: Box<Tables>,
}

impl std::fmt::Debug for Inflater {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Inflater").finish_non_exhaustive()
    }
}

impl Default for Inflater {
    fn default() -> Self {
        Self::new()
    }
}

impl Inflater {
    /// A decoder with empty tables.
    pub fn new() -> Self {
        Inflater {
            tables: Tables::new(),
        }
    }

    /// Decodes the zlib stream `input` into `out` and returns how many bytes it holds
    /// (at most `out.len()`; the bytes of `out` after them are unspecified). The stream's
    /// Adler-32 is checked. A stream holding more than `out.len()` bytes gives
    /// [`InflateError::OutputFull`].
    pub fn inflate_zlib(&mut self, input: &[u8], out: &mut [u8]) -> Result<usize, InflateError> {
        let corrupt = |at, reason| InflateError::Corrupt { at, reason };
        let [cmf, flg] = match input {
            [a, b, ..] => [*a, *b],
            _ => return Err(corrupt(0, "zlib header missing")),
        };
        if cmf & 0x0f != 8 {
            return Err(corrupt(0, "compression method is not deflate"));
        }
        if cmf >> 4 > 7 {
            return Err(corrupt(0, "window larger than 32 KiB"));
        }
        if (u16::from(cmf) << 8 | u16::from(flg)) % 31 != 0 {
            return Err(corrupt(1, "zlib header check fails"));
        }
        if flg & 0x20 != 0 {
            return Err(corrupt(1, "preset dictionary required"));
        }
        let mut bits = Bits::new(input, 2);
        let mut produced = 0;
        loop {
            bits.refill()?;
            let last = bits.take(1) == 1;
            produced = match bits.take(2) {
                0 => block::stored(&mut bits, out, produced)?,
                1 => {
                    let at = bits.position();
                    self.tables
                        .fixed()
                        .map_err(|reason| InflateError::Corrupt { at, reason })?;
                    block::huffman(&mut bits, &self.tables, out, produced)?
                }
                2 => {
                    self.tables.dynamic(&mut bits)?;
                    block::huffman(&mut bits, &self.tables, out, produced)?
                }
                _ => return Err(corrupt(bits.position(), "invalid block type")),
            };
            if last {
                break;
            }
        }
        let at = bits.align()?;
        let stored = match input.get(at..at + 4) {
            Some(&[a, b, c, d]) => u32::from_be_bytes([a, b, c, d]),
            _ => return Err(corrupt(at, "stream ends before its Adler-32")),
        };
        if zlib_rs::adler32::adler32(1, &out[..produced]) != stored {
            return Err(corrupt(at, "Adler-32 of the decoded bytes does not match"));
        }
        Ok(produced)
    }
}
