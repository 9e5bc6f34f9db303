//! Local heaps (spec III.D): the names of an old-style group's links.
//!
//! The header is `"HEAP"`, version 0, three reserved bytes, the data segment size and
//! the free-list head (both size-of-lengths), and the data segment's address. The data
//! segment starts right after the header when the heap is created, but libhdf5 moves it
//! elsewhere in the file when it grows, so it is always read from its stored address.
//!
//! The writer ([`encode_header`], [`DataSegment`]) always uses 8-byte offsets and lengths
//! and leaves no free space: the free-list head is 1, libhdf5's "empty list" value.

use crate::error::{Error, Result};
use crate::format::Ctx;

/// Structure name used in errors.
const STRUCTURE: &str = "local heap";

/// A local heap's data segment.
#[derive(Debug, Clone)]
pub struct LocalHeap {
    /// Address of the heap header.
    pub address: u64,
    /// The data segment.
    pub data: Vec<u8>,
    /// Address of the data segment.
    pub data_address: u64,
}

impl LocalHeap {
    /// Reads the heap header at `address` and its data segment (wherever it was relocated).
    pub fn read(ctx: &Ctx, address: u64) -> Result<Self> {
        let header_len = 8 + 2 * u64::from(ctx.sizes.lengths) + u64::from(ctx.sizes.offsets);
        let bytes = ctx.read(address, header_len)?;
        let mut c = ctx.cursor(&bytes, address, STRUCTURE);
        c.signature(b"HEAP")?;
        let version = c.u8()?;
        if version != 0 {
            return Err(c.corrupt(format!("unknown local heap version {version}")));
        }
        c.skip(3)?;
        let size = c.length()?;
        let _free_list_head = c.length()?;
        let data_address = c.offset()?;
        let data = if size == 0 {
            Vec::new()
        } else {
            ctx.read(data_address, size)?.into_owned()
        };
        Ok(LocalHeap {
            address,
            data,
            data_address,
        })
    }

    /// The NUL-terminated string at `offset` in the data segment.
    pub fn string_at(&self, offset: u64) -> Result<&[u8]> {
        let rest = usize::try_from(offset)
            .ok()
            .and_then(|o| self.data.get(o..))
            .filter(|rest| !rest.is_empty())
            .ok_or_else(|| {
                Error::corrupt(
                    STRUCTURE,
                    self.address,
                    format!(
                        "string offset {offset} outside the {}-byte data segment",
                        self.data.len()
                    ),
                )
            })?;
        let end = rest.iter().position(|&b| b == 0).ok_or_else(|| {
            Error::corrupt(
                STRUCTURE,
                self.address,
                format!("string at offset {offset} has no NUL terminator"),
            )
        })?;
        Ok(&rest[..end])
    }
}

/// Bytes of an encoded heap header with 8-byte offsets and lengths.
pub const HEADER_LEN: u64 = 32;

/// The free-list head that means "no free blocks" (libhdf5's `H5HL_FREE_NULL`).
pub const FREE_LIST_NONE: u64 = 1;

/// Encodes a heap header (8-byte offsets and lengths) whose `data_size`-byte data segment
/// is at `data_address` and has no free blocks.
pub fn encode_header(data_size: u64, data_address: u64) -> Vec<u8> {
    let mut b = Vec::with_capacity(HEADER_LEN as usize);
    b.extend_from_slice(b"HEAP");
    b.extend_from_slice(&[0, 0, 0, 0]);
    b.extend_from_slice(&data_size.to_le_bytes());
    b.extend_from_slice(&FREE_LIST_NONE.to_le_bytes());
    b.extend_from_slice(&data_address.to_le_bytes());
    b
}

/// A data segment being built: offset 0 holds the empty string, then each added string,
/// NUL-terminated and padded with zeros to a multiple of 8 bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataSegment {
    bytes: Vec<u8>,
}

impl Default for DataSegment {
    fn default() -> Self {
        Self::new()
    }
}

impl DataSegment {
    /// A segment holding only the empty string at offset 0 (8 bytes).
    pub fn new() -> Self {
        DataSegment { bytes: vec![0; 8] }
    }

    /// Appends `s` and returns its offset. `s` must not contain a NUL byte.
    pub fn push(&mut self, s: &[u8]) -> Result<u64> {
        if s.contains(&0) {
            return Err(Error::unsupported(format!(
                "writing a local heap string containing a NUL byte ({:?})",
                String::from_utf8_lossy(s)
            )));
        }
        let offset = self.bytes.len() as u64;
        self.bytes.extend_from_slice(s);
        let padded = (s.len() + 1).div_ceil(8) * 8;
        self.bytes.resize(offset as usize + padded, 0);
        Ok(offset)
    }

    /// The encoded segment (always a non-zero multiple of 8 bytes).
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The encoded segment.
    pub fn into_bytes(self) -> Vec<u8> {
        self.bytes
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::format::Sizes;
    use crate::storage::{MemStorage, Source};
    use std::sync::Arc;

    fn ctx(bytes: Vec<u8>) -> Ctx {
        Ctx {
            source: Source::new(Arc::new(MemStorage::new(bytes))),
            base: 0,
            sizes: Sizes::default(),
        }
    }

    /// A heap header at 0 whose `size`-byte data segment lives at `data_addr`.
    fn header(size: u64, data_addr: u64) -> Vec<u8> {
        let mut b = b"HEAP".to_vec();
        b.extend_from_slice(&[0, 0, 0, 0]);
        b.extend_from_slice(&size.to_le_bytes());
        b.extend_from_slice(&1u64.to_le_bytes());
        b.extend_from_slice(&data_addr.to_le_bytes());
        b
    }

    #[test]
    fn reads_a_relocated_data_segment() {
        let mut file = header(16, 64);
        file.resize(64, 0xee);
        file.extend_from_slice(b"\0\0\0\0\0\0\0\0alpha\0b\0");
        let heap = LocalHeap::read(&ctx(file), 0).unwrap();
        assert_eq!(heap.data.len(), 16);
        assert_eq!(heap.string_at(0).unwrap(), b"");
        assert_eq!(heap.string_at(8).unwrap(), b"alpha");
        assert_eq!(heap.string_at(10).unwrap(), b"pha");
        assert_eq!(heap.string_at(14).unwrap(), b"b");
    }

    #[test]
    fn rejects_bad_offsets_and_unterminated_strings() {
        let mut file = header(8, 32);
        file.extend_from_slice(b"abc\0defg");
        let heap = LocalHeap::read(&ctx(file), 0).unwrap();
        assert_eq!(heap.string_at(0).unwrap(), b"abc");
        assert!(matches!(heap.string_at(4), Err(Error::Corrupt { .. })));
        assert!(matches!(heap.string_at(8), Err(Error::Corrupt { .. })));
        assert!(matches!(
            heap.string_at(u64::MAX),
            Err(Error::Corrupt { .. })
        ));
    }

    #[test]
    fn rejects_bad_headers() {
        let mut bad_sig = header(0, 32);
        bad_sig[0] = b'X';
        assert!(matches!(
            LocalHeap::read(&ctx(bad_sig), 0),
            Err(Error::Corrupt { .. })
        ));
        let mut bad_version = header(0, 32);
        bad_version[4] = 1;
        assert!(matches!(
            LocalHeap::read(&ctx(bad_version), 0),
            Err(Error::Corrupt { .. })
        ));
        let truncated = header(0, 32)[..20].to_vec();
        assert!(LocalHeap::read(&ctx(truncated), 0).is_err());
        // A data segment running past the end of the file.
        let mut short = header(100, 32);
        short.extend_from_slice(b"abc\0");
        assert!(matches!(
            LocalHeap::read(&ctx(short), 0),
            Err(Error::OutOfBounds { .. })
        ));
        // An empty heap is fine and has no strings.
        let empty = LocalHeap::read(&ctx(header(0, u64::MAX)), 0).unwrap();
        assert!(empty.string_at(0).is_err());
    }

    #[test]
    fn encodes_header_and_segment_exactly() {
        let mut seg = DataSegment::new();
        assert_eq!(seg.push(b"alpha").unwrap(), 8);
        assert_eq!(seg.push(b"").unwrap(), 16);
        assert_eq!(seg.push(b"12345678").unwrap(), 24);
        assert_eq!(seg.push(b"b").unwrap(), 40);
        assert!(seg.push(b"a\0b").is_err());
        let data = seg.into_bytes();
        let mut want = vec![0u8; 8];
        want.extend_from_slice(b"alpha\0\0\0");
        want.extend_from_slice(&[0; 8]);
        want.extend_from_slice(b"12345678\0\0\0\0\0\0\0\0");
        want.extend_from_slice(b"b\0\0\0\0\0\0\0");
        assert_eq!(data, want);

        let head = encode_header(data.len() as u64, 32);
        assert_eq!(head.len() as u64, HEADER_LEN);
        assert_eq!(head, header(48, 32));

        let mut file = head;
        file.extend_from_slice(&data);
        let heap = LocalHeap::read(&ctx(file), 0).unwrap();
        assert_eq!(heap.data, data);
        assert_eq!(heap.string_at(0).unwrap(), b"");
        assert_eq!(heap.string_at(8).unwrap(), b"alpha");
        assert_eq!(heap.string_at(24).unwrap(), b"12345678");
        assert_eq!(heap.string_at(40).unwrap(), b"b");
    }
}
