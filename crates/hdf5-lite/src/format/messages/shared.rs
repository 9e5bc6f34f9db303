//! The shared message encoding (spec IV.A.2, "Shared Message", versions 1 to 3): the body
//! of a message whose flags mark it shared says where the real message lives.

use crate::error::{Error, Result};
use crate::format::Cursor;

/// Where a shared message's real body is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SharedMessage {
    /// In another object's header (a committed datatype, say), at this address.
    Committed(u64),
    /// In the file's shared object header message heap, under this heap ID.
    SharedHeap([u8; 8]),
}

impl SharedMessage {
    /// Decodes the body of a message whose flags have the shared bit set.
    pub fn decode(c: &mut Cursor<'_>) -> Result<Self> {
        let version = c.u8()?;
        let kind = c.u8()?;
        match (version, kind) {
            (1, _) => {
                c.skip(6)?;
                Ok(SharedMessage::Committed(c.offset()?))
            }
            (2, _) | (3, 2) => Ok(SharedMessage::Committed(c.offset()?)),
            (3, 1) => {
                let mut id = [0u8; 8];
                id.copy_from_slice(c.bytes(8)?);
                Ok(SharedMessage::SharedHeap(id))
            }
            (3, k) => Err(c.corrupt(format!("shared message of location type {k}"))),
            (v, _) => Err(Error::unsupported(format!("shared message version {v}"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::Sizes;

    #[test]
    fn decodes_every_version() {
        let mut v1 = vec![1u8, 0, 0, 0, 0, 0, 0, 0];
        v1.extend_from_slice(&0x1234u64.to_le_bytes());
        let mut v3 = vec![3u8, 2];
        v3.extend_from_slice(&0x99u64.to_le_bytes());
        let heap = [3u8, 1, 1, 2, 3, 4, 5, 6, 7, 8];
        let decode =
            |b: &[u8]| SharedMessage::decode(&mut Cursor::new(b, 0, "shared", Sizes::default()));
        assert_eq!(decode(&v1).unwrap(), SharedMessage::Committed(0x1234));
        assert_eq!(decode(&v3).unwrap(), SharedMessage::Committed(0x99));
        assert_eq!(
            decode(&heap).unwrap(),
            SharedMessage::SharedHeap([1, 2, 3, 4, 5, 6, 7, 8])
        );
        assert!(decode(&[3, 7]).is_err());
        assert!(decode(&[2]).is_err());
    }
}
