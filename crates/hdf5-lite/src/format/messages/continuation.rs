//! Object Header Continuation message, type 0x0010 (spec IV.A.2.q).

use crate::error::Result;
use crate::format::{Cursor, UNDEF};

/// Where an object header goes on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Continuation {
    /// Address of the continuation block.
    pub address: u64,
    /// Its length in bytes.
    pub length: u64,
}

impl Continuation {
    /// Decodes the message body: an address (size of offsets) and a length (size of
    /// lengths). An undefined address or a zero length is corrupt.
    pub fn decode(c: &mut Cursor<'_>) -> Result<Self> {
        let address = c.offset()?;
        let length = c.length()?;
        if address == UNDEF {
            return Err(c.corrupt("continuation block at the undefined address"));
        }
        if length == 0 {
            return Err(c.corrupt("continuation block of length 0"));
        }
        Ok(Continuation { address, length })
    }

    /// Encodes the message body with 8-byte offsets and lengths: address, then length.
    pub fn encode(&self) -> Vec<u8> {
        let mut b = Vec::with_capacity(16);
        b.extend_from_slice(&self.address.to_le_bytes());
        b.extend_from_slice(&self.length.to_le_bytes());
        b
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::format::Sizes;
    use crate::Error;

    #[test]
    fn decodes_address_and_length() {
        let mut b = vec![];
        b.extend_from_slice(&0x1234u64.to_le_bytes());
        b.extend_from_slice(&0x200u64.to_le_bytes());
        let mut c = Cursor::new(&b, 0, "continuation", Sizes::default());
        let m = Continuation::decode(&mut c).unwrap();
        assert_eq!(
            m,
            Continuation {
                address: 0x1234,
                length: 0x200
            }
        );
    }

    #[test]
    fn small_sizes_and_errors() {
        let sizes = Sizes {
            offsets: 4,
            lengths: 2,
        };
        let b = [0x10, 0, 0, 0, 0x40, 0];
        let m = Continuation::decode(&mut Cursor::new(&b, 0, "c", sizes)).unwrap();
        assert_eq!((m.address, m.length), (0x10, 0x40));

        let undef = [0xff, 0xff, 0xff, 0xff, 0x40, 0];
        let e = Continuation::decode(&mut Cursor::new(&undef, 0, "c", sizes)).unwrap_err();
        assert!(matches!(e, Error::Corrupt { .. }), "{e}");
        let zero = [0x10, 0, 0, 0, 0, 0];
        assert!(Continuation::decode(&mut Cursor::new(&zero, 0, "c", sizes)).is_err());
        let short = [0x10, 0, 0, 0, 0x40];
        assert!(Continuation::decode(&mut Cursor::new(&short, 0, "c", sizes)).is_err());
    }

    #[test]
    fn encode_round_trips() {
        let m = Continuation {
            address: 0x1234,
            length: 0x200,
        };
        let b = m.encode();
        assert_eq!(b.len(), 16);
        let mut c = Cursor::new(&b, 0, "continuation", Sizes::default());
        assert_eq!(Continuation::decode(&mut c).unwrap(), m);
    }
}
