//! A bounds-checked little-endian reader over one structure's bytes.
//!
//! Every decoder reads through a [`Cursor`]: running off the end is an
//! [`Error::Corrupt`] naming the structure and its file offset,
//! never a panic.

use crate::error::{Error, Result};
use crate::format::UNDEF;

/// Reads fields in order from `bytes`, which start at file offset `base`.
#[derive(Debug, Clone)]
pub struct Cursor<'a> {
    bytes: &'a [u8],
    pos: usize,
    base: u64,
    structure: &'static str,
    sizeof_offsets: u8,
    sizeof_lengths: u8,
}

impl<'a> Cursor<'a> {
    /// A cursor over `bytes` (located at file offset `base`) decoding `structure`, with
    /// the file's sizes of offsets and lengths (usually 8 and 8).
    pub fn new(bytes: &'a [u8], base: u64, structure: &'static str, sizes: Sizes) -> Self {
        Cursor {
            bytes,
            pos: 0,
            base,
            structure,
            sizeof_offsets: sizes.offsets,
            sizeof_lengths: sizes.lengths,
        }
    }

    /// An error for this structure at its start offset.
    pub fn corrupt(&self, reason: impl std::fmt::Display) -> Error {
        Error::corrupt(self.structure, self.base, reason)
    }

    /// Position relative to the start of the bytes.
    pub fn pos(&self) -> usize {
        self.pos
    }

    /// Absolute file offset of the current position.
    pub fn file_pos(&self) -> u64 {
        self.base + self.pos as u64
    }

    /// File offset of the first byte.
    pub fn base(&self) -> u64 {
        self.base
    }

    /// Bytes left.
    pub fn remaining(&self) -> usize {
        self.bytes.len() - self.pos
    }

    /// All the bytes, from the start.
    pub fn all(&self) -> &'a [u8] {
        self.bytes
    }

    /// The sizes of offsets and lengths this cursor decodes with.
    pub fn sizes(&self) -> Sizes {
        Sizes {
            offsets: self.sizeof_offsets,
            lengths: self.sizeof_lengths,
        }
    }

    /// Moves to `pos` (relative to the start).
    pub fn seek(&mut self, pos: usize) -> Result<()> {
        if pos > self.bytes.len() {
            return Err(self.corrupt(format!(
                "seek to {pos} past the end ({} bytes)",
                self.bytes.len()
            )));
        }
        self.pos = pos;
        Ok(())
    }

    /// Takes the next `n` bytes.
    pub fn bytes(&mut self, n: usize) -> Result<&'a [u8]> {
        let Some(end) = self.pos.checked_add(n).filter(|&e| e <= self.bytes.len()) else {
            return Err(self.short(n));
        };
        let out = &self.bytes[self.pos..end];
        self.pos = end;
        Ok(out)
    }

    /// The error for `n` bytes wanted past the end; kept out of line so that
    /// [`Cursor::bytes`] stays small enough to inline.
    #[cold]
    fn short(&self, n: usize) -> Error {
        self.corrupt(format!(
            "needs {n} bytes at position {}, only {} left",
            self.pos,
            self.remaining()
        ))
    }

    /// Skips `n` bytes.
    pub fn skip(&mut self, n: usize) -> Result<()> {
        self.bytes(n).map(|_| ())
    }

    /// Skips to the next multiple of `align` (relative to the start).
    pub fn align(&mut self, align: usize) -> Result<()> {
        let rem = self.pos % align;
        if rem != 0 {
            self.skip(align - rem)?;
        }
        Ok(())
    }

    /// Checks a signature such as `b"TREE"`.
    pub fn signature(&mut self, sig: &[u8; 4]) -> Result<()> {
        let got = self.bytes(4)?;
        if got != sig {
            return Err(self.corrupt(format!(
                "expected signature {:?}, found {:?}",
                String::from_utf8_lossy(sig),
                String::from_utf8_lossy(got)
            )));
        }
        Ok(())
    }

    /// One byte.
    pub fn u8(&mut self) -> Result<u8> {
        Ok(self.bytes(1)?[0])
    }

    /// A little-endian u16.
    pub fn u16(&mut self) -> Result<u16> {
        Ok(self.uint(2)? as u16)
    }

    /// A little-endian u32.
    pub fn u32(&mut self) -> Result<u32> {
        Ok(self.uint(4)? as u32)
    }

    /// A little-endian u64.
    pub fn u64(&mut self) -> Result<u64> {
        self.uint(8)
    }

    /// A little-endian unsigned integer of `n` bytes (0 to 8).
    pub fn uint(&mut self, n: usize) -> Result<u64> {
        if n > 8 {
            return Err(self.corrupt(format!("integer field of {n} bytes")));
        }
        let b = self.bytes(n)?;
        Ok(b.iter()
            .rev()
            .fold(0u64, |acc, &x| (acc << 8) | u64::from(x)))
    }

    /// A file address (size of offsets). All ones is returned as [`UNDEF`].
    pub fn offset(&mut self) -> Result<u64> {
        let n = usize::from(self.sizeof_offsets);
        let v = self.uint(n)?;
        Ok(if n < 8 && v == (1u64 << (8 * n)) - 1 {
            UNDEF
        } else {
            v
        })
    }

    /// A length (size of lengths). All ones is returned as `u64::MAX`.
    pub fn length(&mut self) -> Result<u64> {
        let n = usize::from(self.sizeof_lengths);
        let v = self.uint(n)?;
        Ok(if n < 8 && v == (1u64 << (8 * n)) - 1 {
            u64::MAX
        } else {
            v
        })
    }

    /// A NUL-terminated string (the NUL is consumed, not returned).
    pub fn cstr(&mut self) -> Result<&'a [u8]> {
        let rest = &self.bytes[self.pos..];
        let n = rest
            .iter()
            .position(|&b| b == 0)
            .ok_or_else(|| self.corrupt("string without a NUL terminator"))?;
        let s = &rest[..n];
        self.pos += n + 1;
        Ok(s)
    }
}

/// The file's "size of offsets" and "size of lengths" (superblock fields).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sizes {
    /// Bytes in a file address.
    pub offsets: u8,
    /// Bytes in a length.
    pub lengths: u8,
}

impl Default for Sizes {
    fn default() -> Self {
        Sizes {
            offsets: 8,
            lengths: 8,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_fields_and_reports_overruns() {
        let bytes = [1u8, 2, 3, 4, 5, 6, 7, 8, 9, b'a', b'b', 0];
        let mut c = Cursor::new(&bytes, 100, "test", Sizes::default());
        assert_eq!(c.u8().unwrap(), 1);
        assert_eq!(c.u16().unwrap(), 0x0302);
        assert_eq!(c.u32().unwrap(), 0x0706_0504);
        assert_eq!(c.u16().unwrap(), 0x0908);
        assert_eq!(c.cstr().unwrap(), b"ab");
        let err = c.u8().unwrap_err();
        assert!(matches!(err, Error::Corrupt { offset: 100, .. }), "{err}");
    }

    #[test]
    fn short_undefined_offsets_widen_to_undef() {
        let bytes = [0xff; 4];
        let mut c = Cursor::new(
            &bytes,
            0,
            "test",
            Sizes {
                offsets: 4,
                lengths: 4,
            },
        );
        assert_eq!(c.offset().unwrap(), UNDEF);
    }
}
