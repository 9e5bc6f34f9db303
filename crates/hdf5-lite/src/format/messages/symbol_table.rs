//! Symbol Table message, type 0x0011 (spec IV.A.2.r): marks an old-style group.

use crate::error::Result;
use crate::format::Cursor;

/// The two structures of an old-style group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SymbolTableMessage {
    /// The group's v1 B-tree (type 0).
    pub btree: u64,
    /// The group's local heap (link names).
    pub local_heap: u64,
}

impl SymbolTableMessage {
    /// Decodes the message body: the v1 B-tree address, then the local heap address.
    pub fn decode(c: &mut Cursor<'_>) -> Result<Self> {
        let btree = c.offset()?;
        let local_heap = c.offset()?;
        Ok(SymbolTableMessage { btree, local_heap })
    }

    /// Encodes the message body with 8-byte offsets: B-tree address, then local heap
    /// address.
    pub fn encode(&self) -> Vec<u8> {
        let mut b = Vec::with_capacity(16);
        b.extend_from_slice(&self.btree.to_le_bytes());
        b.extend_from_slice(&self.local_heap.to_le_bytes());
        b
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::format::Sizes;

    #[test]
    fn decodes_both_addresses() {
        // Root group of an h5py default file: B-tree at 0x88, heap at 0x2a8.
        let mut b = vec![];
        b.extend_from_slice(&0x88u64.to_le_bytes());
        b.extend_from_slice(&0x2a8u64.to_le_bytes());
        let m =
            SymbolTableMessage::decode(&mut Cursor::new(&b, 0, "stab", Sizes::default())).unwrap();
        assert_eq!(
            m,
            SymbolTableMessage {
                btree: 0x88,
                local_heap: 0x2a8
            }
        );
        assert!(SymbolTableMessage::decode(&mut Cursor::new(
            &b[..12],
            0,
            "stab",
            Sizes::default()
        ))
        .is_err());
    }

    #[test]
    fn encode_matches_h5py() {
        // The root group's message in `h5py.File(p, 'w')`: B-tree 0x88, heap 0x2a8.
        let m = SymbolTableMessage {
            btree: 0x88,
            local_heap: 0x2a8,
        };
        let mut expected = vec![0x88, 0, 0, 0, 0, 0, 0, 0];
        expected.extend_from_slice(&[0xa8, 0x02, 0, 0, 0, 0, 0, 0]);
        assert_eq!(m.encode(), expected);
        let b = m.encode();
        let d = SymbolTableMessage::decode(&mut Cursor::new(&b, 0, "stab", Sizes::default()));
        assert_eq!(d.unwrap(), m);
    }
}
