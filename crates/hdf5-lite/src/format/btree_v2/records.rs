//! The v2 B-tree record types the dense attribute storage uses (spec III.A.2, "Version 2
//! B-tree, Type 1 Record Layout" and "Type 8 Record Layout").

use crate::error::Result;
use crate::format::checksum::lookup3;
use crate::format::Cursor;

/// Record type 1: a huge object of a fractal heap, stored on its own, without filters and
/// found through the B-tree (its heap ID holds only `id`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HugeObject {
    /// Address of the object's bytes.
    pub address: u64,
    /// Its length in bytes.
    pub length: u64,
    /// Its huge object ID, the key of the tree.
    pub id: u64,
}

impl HugeObject {
    /// Record type number.
    pub const TYPE: u8 = 1;
    /// Bytes of a record with 8-byte offsets and lengths.
    pub const SIZE: u16 = 24;

    /// Decodes a record: address, length, ID.
    pub fn decode(c: &mut Cursor<'_>) -> Result<Self> {
        Ok(HugeObject {
            address: c.offset()?,
            length: c.length()?,
            id: c.length()?,
        })
    }

    /// Encodes the record with 8-byte offsets and lengths.
    pub fn encode(&self) -> Vec<u8> {
        let mut b = Vec::with_capacity(usize::from(Self::SIZE));
        b.extend_from_slice(&self.address.to_le_bytes());
        b.extend_from_slice(&self.length.to_le_bytes());
        b.extend_from_slice(&self.id.to_le_bytes());
        b
    }
}

/// Record type 8: one attribute of an object's dense attribute storage, in the name
/// index. Records sort by `hash`, then by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AttributeName {
    /// Heap ID of the attribute message in the fractal heap.
    pub heap_id: [u8; 8],
    /// The attribute message's flags.
    pub flags: u8,
    /// Creation order of the attribute.
    pub creation_order: u32,
    /// Jenkins lookup3 hash of the attribute's name.
    pub hash: u32,
}

impl AttributeName {
    /// Record type number.
    pub const TYPE: u8 = 8;
    /// Bytes of a record.
    pub const SIZE: u16 = 17;

    /// The hash the name index keys on: lookup3 of the name's bytes, seed 0.
    pub fn hash_of(name: &str) -> u32 {
        lookup3(name.as_bytes(), 0)
    }

    /// Decodes a record: heap ID, flags, creation order, hash.
    pub fn decode(c: &mut Cursor<'_>) -> Result<Self> {
        let mut heap_id = [0u8; 8];
        heap_id.copy_from_slice(c.bytes(8)?);
        Ok(AttributeName {
            heap_id,
            flags: c.u8()?,
            creation_order: c.u32()?,
            hash: c.u32()?,
        })
    }

    /// Encodes the record.
    pub fn encode(&self) -> Vec<u8> {
        let mut b = Vec::with_capacity(usize::from(Self::SIZE));
        b.extend_from_slice(&self.heap_id);
        b.push(self.flags);
        b.extend_from_slice(&self.creation_order.to_le_bytes());
        b.extend_from_slice(&self.hash.to_le_bytes());
        b
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::format::Sizes;

    fn cursor(b: &[u8]) -> Cursor<'_> {
        Cursor::new(b, 0, "record", Sizes::default())
    }

    #[test]
    fn huge_object_record_as_libhdf5_writes_it() {
        // The record h5py 3 (libhdf5 1.14) wrote for a 1,600,056-byte attribute.
        let b = [
            0xc0, 0x96, 0x01, 0, 0, 0, 0, 0, 0x38, 0x6a, 0x18, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0,
            0,
        ];
        let r = HugeObject::decode(&mut cursor(&b)).unwrap();
        assert_eq!(
            r,
            HugeObject {
                address: 104_128,
                length: 1_600_056,
                id: 1
            }
        );
        assert_eq!(r.encode(), b);
    }

    #[test]
    fn attribute_name_record_as_libhdf5_writes_it() {
        // h5py's record for the attribute "huge", a huge object with ID 1, created third.
        let b = [
            0x10, 1, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0x43, 0xf3, 0xdf, 0x2b,
        ];
        let r = AttributeName::decode(&mut cursor(&b)).unwrap();
        assert_eq!(r.heap_id, [0x10, 1, 0, 0, 0, 0, 0, 0]);
        assert_eq!(r.creation_order, 2);
        assert_eq!(r.hash, AttributeName::hash_of("huge"));
        assert_eq!(r.encode(), b);
    }
}
