//! Link Info message, type 0x0002 (spec IV.A.2.c).

use crate::error::Result;
use crate::format::Cursor;

/// Where a new-style group's links live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkInfo {
    /// Maximum creation index, when creation order is tracked.
    pub max_creation_index: Option<u64>,
    /// Fractal heap holding dense links, UNDEF when links are compact (Link messages).
    pub fractal_heap: u64,
    /// v2 B-tree (type 5) indexing link names.
    pub name_index: u64,
    /// v2 B-tree (type 6) indexing creation order, when indexed.
    pub creation_order_index: Option<u64>,
}

impl LinkInfo {
    /// Decodes the message body (version 0).
    pub fn decode(c: &mut Cursor<'_>) -> Result<Self> {
        let info = super::StorageInfo::decode(c, "link info", 8)?;
        Ok(LinkInfo {
            max_creation_index: info.max_creation_index,
            fractal_heap: info.fractal_heap,
            name_index: info.name_index,
            creation_order_index: info.creation_order_index,
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::error::Error;
    use crate::format::{Sizes, UNDEF};

    fn dec(b: &[u8]) -> Result<LinkInfo> {
        LinkInfo::decode(&mut Cursor::new(b, 0, "link info", Sizes::default()))
    }

    #[test]
    fn compact_without_creation_order() {
        let mut b = vec![0, 0];
        b.extend_from_slice(&[0xff; 16]);
        let li = dec(&b).unwrap();
        assert_eq!(
            li,
            LinkInfo {
                max_creation_index: None,
                fractal_heap: UNDEF,
                name_index: UNDEF,
                creation_order_index: None
            }
        );
        assert!(dec(&b[..17]).is_err());
    }

    #[test]
    fn dense_tracked_and_indexed() {
        let mut b = vec![0, 3];
        b.extend_from_slice(&7u64.to_le_bytes());
        b.extend_from_slice(&0x100u64.to_le_bytes());
        b.extend_from_slice(&0x200u64.to_le_bytes());
        b.extend_from_slice(&0x300u64.to_le_bytes());
        let li = dec(&b).unwrap();
        assert_eq!(li.max_creation_index, Some(7));
        assert_eq!(li.fractal_heap, 0x100);
        assert_eq!(li.name_index, 0x200);
        assert_eq!(li.creation_order_index, Some(0x300));
        // Tracked only: no creation order index field.
        b[1] = 1;
        let li = dec(&b[..26]).unwrap();
        assert_eq!(li.creation_order_index, None);
        assert_eq!(li.name_index, 0x200);
    }

    #[test]
    fn rejects_bad_version_and_flags() {
        let mut b = vec![1, 0];
        b.extend_from_slice(&[0xff; 16]);
        assert!(matches!(dec(&b), Err(Error::Unsupported { .. })));
        b[0] = 0;
        b[1] = 0x04;
        assert!(matches!(dec(&b), Err(Error::Corrupt { .. })));
    }
}
