//! Attribute Info message, type 0x0015 (spec IV.A.2.v).

use crate::error::Result;
use crate::format::Cursor;

/// Where an object's dense attributes live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttributeInfo {
    /// Maximum creation index, when creation order is tracked.
    pub max_creation_index: Option<u16>,
    /// Fractal heap holding the attribute messages, UNDEF when attributes are compact.
    pub fractal_heap: u64,
    /// v2 B-tree (type 8) indexing attribute names.
    pub name_index: u64,
    /// v2 B-tree (type 9) indexing creation order, when indexed.
    pub creation_order_index: Option<u64>,
}

impl AttributeInfo {
    /// Decodes the message body (version 0).
    pub fn decode(c: &mut Cursor<'_>) -> Result<Self> {
        let info = super::StorageInfo::decode(c, "attribute info", 2)?;
        Ok(AttributeInfo {
            max_creation_index: info.max_creation_index.map(|v| v as u16),
            fractal_heap: info.fractal_heap,
            name_index: info.name_index,
            creation_order_index: info.creation_order_index,
        })
    }

    /// Encodes the message body (version 0, 8-byte offsets): flags, then the maximum
    /// creation index, heap, name index and creation order index addresses as present.
    pub fn encode(&self) -> Vec<u8> {
        let mut flags = 0u8;
        if self.max_creation_index.is_some() {
            flags |= 0x01;
        }
        if self.creation_order_index.is_some() {
            flags |= 0x02;
        }
        let mut b = vec![0, flags];
        if let Some(max) = self.max_creation_index {
            b.extend_from_slice(&max.to_le_bytes());
        }
        b.extend_from_slice(&self.fractal_heap.to_le_bytes());
        b.extend_from_slice(&self.name_index.to_le_bytes());
        if let Some(index) = self.creation_order_index {
            b.extend_from_slice(&index.to_le_bytes());
        }
        b
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::error::Error;
    use crate::format::{Sizes, UNDEF};

    fn dec(b: &[u8]) -> Result<AttributeInfo> {
        AttributeInfo::decode(&mut Cursor::new(b, 0, "attribute info", Sizes::default()))
    }

    #[test]
    fn compact_attributes() {
        let mut b = vec![0, 0];
        b.extend_from_slice(&[0xff; 16]);
        let ai = dec(&b).unwrap();
        assert_eq!(
            ai,
            AttributeInfo {
                max_creation_index: None,
                fractal_heap: UNDEF,
                name_index: UNDEF,
                creation_order_index: None
            }
        );
        assert_eq!(ai.encode(), b);
        assert!(dec(&b[..10]).is_err());
    }

    #[test]
    fn dense_tracked_and_indexed() {
        let mut b = vec![0, 3, 12, 0];
        b.extend_from_slice(&0x100u64.to_le_bytes());
        b.extend_from_slice(&0x200u64.to_le_bytes());
        b.extend_from_slice(&0x300u64.to_le_bytes());
        let ai = dec(&b).unwrap();
        assert_eq!(ai.encode(), b);
        assert_eq!(ai.max_creation_index, Some(12));
        assert_eq!(ai.fractal_heap, 0x100);
        assert_eq!(ai.name_index, 0x200);
        assert_eq!(ai.creation_order_index, Some(0x300));
        // Truncated before the creation order index.
        assert!(dec(&b[..25]).is_err());
    }

    #[test]
    fn rejects_bad_version_and_flags() {
        let mut b = vec![2, 0];
        b.extend_from_slice(&[0xff; 16]);
        assert!(matches!(dec(&b), Err(Error::Unsupported { .. })));
        b[0] = 0;
        b[1] = 0x80;
        assert!(matches!(dec(&b), Err(Error::Corrupt { .. })));
    }
}
