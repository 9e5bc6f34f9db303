//! B-tree 'K' Values message, type 0x0013 (spec IV.A.2.t), in the superblock extension.

use crate::error::{Error, Result};
use crate::format::Cursor;

/// Non-default B-tree K values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BTreeK {
    /// K of chunk index v1 B-trees.
    pub indexed_storage_k: u16,
    /// K of group internal nodes.
    pub group_internal_k: u16,
    /// K of group leaf nodes.
    pub group_leaf_k: u16,
}

impl BTreeK {
    /// Decodes the message body (version 0): indexed storage K, group internal K, group
    /// leaf K, each 2 bytes. A K of zero is corrupt.
    pub fn decode(c: &mut Cursor<'_>) -> Result<Self> {
        let version = c.u8()?;
        if version != 0 {
            return Err(Error::unsupported(format!(
                "B-tree 'K' values message version {version}"
            )));
        }
        let indexed_storage_k = c.u16()?;
        let group_internal_k = c.u16()?;
        let group_leaf_k = c.u16()?;
        if indexed_storage_k == 0 || group_internal_k == 0 || group_leaf_k == 0 {
            return Err(c.corrupt("B-tree K value of zero"));
        }
        Ok(BTreeK {
            indexed_storage_k,
            group_internal_k,
            group_leaf_k,
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::format::Sizes;

    fn dec(b: &[u8]) -> Result<BTreeK> {
        BTreeK::decode(&mut Cursor::new(b, 0, "btree k", Sizes::default()))
    }

    #[test]
    fn decodes_fields_in_order() {
        // Body written by libhdf5 for H5Pset_sym_k(2, 2) + H5Pset_istore_k(2).
        let k = dec(&[0, 2, 0, 2, 0, 2, 0]).unwrap();
        assert_eq!(
            k,
            BTreeK {
                indexed_storage_k: 2,
                group_internal_k: 2,
                group_leaf_k: 2
            }
        );
        let k = dec(&[0, 32, 0, 16, 0, 4, 0]).unwrap();
        assert_eq!(
            (k.indexed_storage_k, k.group_internal_k, k.group_leaf_k),
            (32, 16, 4)
        );
    }

    #[test]
    fn rejects_bad_input() {
        assert!(matches!(
            dec(&[1, 2, 0, 2, 0, 2, 0]),
            Err(Error::Unsupported { .. })
        ));
        assert!(matches!(
            dec(&[0, 2, 0, 0, 0, 2, 0]),
            Err(Error::Corrupt { .. })
        ));
        assert!(matches!(
            dec(&[0, 2, 0, 2, 0, 2]),
            Err(Error::Corrupt { .. })
        ));
    }
}
