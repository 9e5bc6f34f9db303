//! Local heaps (spec III.D): the names of an old-style group's links.
//!
//! The header is `"HEAP"`, version 0, three reserved bytes, the data segment size and
//! the free-list head (both size-of-lengths), and the data segment's address. The data
//! segment starts right after the header when the heap is created, but libhdf5 moves it
//! elsewhere in the file when it grows, so it is always read from its stored address.

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
        Ok(LocalHeap { address, data })
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
}
