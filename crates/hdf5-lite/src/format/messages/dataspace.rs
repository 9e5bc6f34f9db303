//! Dataspace message, type 0x0001 (spec IV.A.2.b), versions 1 and 2.

use crate::error::{Error, Result};
use crate::format::{Cursor, MAX_RANK};

/// The shape class of a dataspace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataspaceKind {
    /// One element, no dimensions.
    Scalar,
    /// An N-dimensional array (N may be 0 in version 1 files, meaning scalar).
    Simple,
    /// No elements at all.
    Null,
}

/// The shape of a dataset or attribute.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dataspace {
    /// Scalar, simple or null.
    pub kind: DataspaceKind,
    /// Current size of each dimension (empty for scalar and null).
    pub dims: Vec<u64>,
    /// Maximum size of each dimension, `u64::MAX` meaning unlimited; `None` when the
    /// message stores no maximum (the maximum is then the current size).
    pub maxdims: Option<Vec<u64>>,
}

impl Dataspace {
    /// Decodes the message body.
    ///
    /// Version 1 stores no type: rank 0 is decoded as [`DataspaceKind::Scalar`]. Stored
    /// permutation indices (version 1, flags bit 1) are skipped.
    pub fn decode(c: &mut Cursor<'_>) -> Result<Self> {
        let version = c.u8()?;
        let rank = c.u8()?;
        let flags = c.u8()?;
        if usize::from(rank) > MAX_RANK {
            return Err(c.corrupt(format!("dataspace rank {rank} exceeds {MAX_RANK}")));
        }
        let kind = match version {
            1 => {
                c.skip(5)?; // reserved (1) + reserved (4)
                if rank == 0 {
                    DataspaceKind::Scalar
                } else {
                    DataspaceKind::Simple
                }
            }
            2 => match c.u8()? {
                0 => DataspaceKind::Scalar,
                1 => DataspaceKind::Simple,
                2 => DataspaceKind::Null,
                t => return Err(c.corrupt(format!("unknown dataspace type {t}"))),
            },
            v => return Err(c.corrupt(format!("unknown dataspace message version {v}"))),
        };
        if kind != DataspaceKind::Simple {
            if rank != 0 {
                return Err(c.corrupt(format!("{kind:?} dataspace with rank {rank}")));
            }
            return Ok(Dataspace {
                kind,
                dims: Vec::new(),
                maxdims: None,
            });
        }
        let dims = read_lengths(c, rank)?;
        let maxdims = if flags & 1 != 0 {
            Some(read_lengths(c, rank)?)
        } else {
            None
        };
        if version == 1 && flags & 2 != 0 {
            // Permutation indices: never implemented by libhdf5; ignored.
            let n = usize::from(rank) * usize::from(c.sizes().lengths);
            c.skip(n)?;
        }
        Ok(Dataspace {
            kind,
            dims,
            maxdims,
        })
    }

    /// Encodes the message body as libhdf5 writes it in an "earliest" file.
    ///
    /// Scalar and simple dataspaces are version 1; simple ones always store their
    /// maximum dimensions (flags bit 0), which are [`Dataspace::maxdims`] or, when
    /// absent, the current dimensions (`u64::MAX` is unlimited). A null dataspace needs
    /// version 2 (version 1 cannot express it): `02 00 00 02`. A simple dataspace of
    /// rank 0 is written as scalar.
    ///
    /// The rank must be at most 32 and `maxdims`, when present, must have one entry per
    /// dimension (otherwise the current dimensions are written as the maximum).
    pub fn encode(&self) -> Result<Vec<u8>> {
        if self.dims.len() > MAX_RANK {
            return Err(Error::InvalidInput(format!(
                "a dataspace of rank {} (at most {MAX_RANK})",
                self.dims.len()
            )));
        }
        Ok(match self.kind {
            DataspaceKind::Null => vec![2, 0, 0, 2],
            DataspaceKind::Scalar => vec![1, 0, 0, 0, 0, 0, 0, 0],
            DataspaceKind::Simple if self.dims.is_empty() => vec![1, 0, 0, 0, 0, 0, 0, 0],
            DataspaceKind::Simple => {
                let max = match &self.maxdims {
                    Some(m) if m.len() == self.dims.len() => m,
                    _ => &self.dims,
                };
                let mut b = Vec::with_capacity(8 + 16 * self.dims.len());
                b.extend_from_slice(&[1, self.dims.len() as u8, 1, 0, 0, 0, 0, 0]);
                for d in self.dims.iter().chain(max.iter()) {
                    b.extend_from_slice(&d.to_le_bytes());
                }
                b
            }
        })
    }

    /// Number of elements (1 for scalar, 0 for null), or an error if it overflows.
    pub fn num_elements(&self) -> Result<u64> {
        match self.kind {
            DataspaceKind::Scalar => Ok(1),
            DataspaceKind::Null => Ok(0),
            DataspaceKind::Simple => {
                let mut n: u128 = 1;
                for &d in &self.dims {
                    // Each factor fits in u64, so the product stays below 2^128 until it
                    // first exceeds u64::MAX, where we stop.
                    n *= u128::from(d);
                    if n > u128::from(u64::MAX) {
                        return Err(Error::TooLarge {
                            what: "dataspace element count",
                            size: n,
                        });
                    }
                }
                Ok(n as u64)
            }
        }
    }

    /// The rank (number of dimensions); 0 for scalar and null.
    pub fn rank(&self) -> usize {
        self.dims.len()
    }
}

/// Reads `rank` "size of lengths" values.
fn read_lengths(c: &mut Cursor<'_>, rank: u8) -> Result<Vec<u64>> {
    (0..rank).map(|_| c.length()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::Sizes;

    fn decode(bytes: &[u8]) -> Result<Dataspace> {
        Dataspace::decode(&mut Cursor::new(bytes, 0, "dataspace", Sizes::default()))
    }

    fn le(v: u64) -> [u8; 8] {
        v.to_le_bytes()
    }

    #[test]
    fn v1_scalar() {
        let ds = decode(&[1, 0, 0, 0, 0, 0, 0, 0]).unwrap();
        assert_eq!(ds.kind, DataspaceKind::Scalar);
        assert!(ds.dims.is_empty());
        assert_eq!(ds.num_elements().unwrap(), 1);
    }

    #[test]
    fn v1_simple_with_unlimited_maxdims() {
        let mut b = vec![1, 2, 1, 0, 0, 0, 0, 0];
        b.extend(le(100));
        b.extend(le(7));
        b.extend(le(u64::MAX));
        b.extend(le(7));
        let ds = decode(&b).unwrap();
        assert_eq!(ds.kind, DataspaceKind::Simple);
        assert_eq!(ds.dims, vec![100, 7]);
        assert_eq!(ds.maxdims, Some(vec![u64::MAX, 7]));
        assert_eq!(ds.num_elements().unwrap(), 700);
        assert_eq!(ds.rank(), 2);
    }

    #[test]
    fn v1_permutation_is_skipped() {
        let mut b = vec![1, 1, 2, 0, 0, 0, 0, 0];
        b.extend(le(5));
        b.extend(le(0));
        let ds = decode(&b).unwrap();
        assert_eq!(ds.dims, vec![5]);
        assert_eq!(ds.maxdims, None);
        // Truncated permutation.
        assert!(decode(&b[..b.len() - 1]).is_err());
    }

    #[test]
    fn v2_kinds() {
        let ds = decode(&[2, 0, 0, 2]).unwrap();
        assert_eq!(ds.kind, DataspaceKind::Null);
        assert_eq!(ds.num_elements().unwrap(), 0);
        let ds = decode(&[2, 0, 0, 0]).unwrap();
        assert_eq!(ds.kind, DataspaceKind::Scalar);
        let mut b = vec![2, 1, 0, 1];
        b.extend(le(3));
        let ds = decode(&b).unwrap();
        assert_eq!(ds.kind, DataspaceKind::Simple);
        assert_eq!(ds.dims, vec![3]);
        assert_eq!(ds.maxdims, None);
    }

    #[test]
    fn short_lengths() {
        let b = [1, 1, 0, 0, 0, 0, 0, 0, 9, 0, 0, 0];
        let s = Sizes {
            offsets: 4,
            lengths: 4,
        };
        let ds = Dataspace::decode(&mut Cursor::new(&b, 0, "dataspace", s)).unwrap();
        assert_eq!(ds.dims, vec![9]);
    }

    #[test]
    fn errors() {
        // Truncated dims.
        assert!(matches!(
            decode(&[1, 1, 0, 0, 0, 0, 0, 0, 1, 2]),
            Err(Error::Corrupt { .. })
        ));
        // Rank too large.
        assert!(matches!(decode(&[2, 33, 0, 1]), Err(Error::Corrupt { .. })));
        // Bad version / type.
        assert!(decode(&[3, 0, 0, 0]).is_err());
        assert!(decode(&[2, 0, 0, 3]).is_err());
        // Null with a rank.
        assert!(decode(&[2, 1, 0, 2]).is_err());
        assert!(decode(&[]).is_err());
    }

    #[test]
    fn element_count_overflow() {
        let ds = Dataspace {
            kind: DataspaceKind::Simple,
            dims: vec![u64::MAX, 2],
            maxdims: None,
        };
        assert!(matches!(ds.num_elements(), Err(Error::TooLarge { .. })));
        let ds = Dataspace {
            kind: DataspaceKind::Simple,
            dims: vec![u64::MAX, 0],
            maxdims: None,
        };
        assert_eq!(ds.num_elements().unwrap(), 0);
        let ds = Dataspace {
            kind: DataspaceKind::Simple,
            dims: vec![0, u64::MAX],
            maxdims: None,
        };
        assert_eq!(ds.num_elements().unwrap(), 0);
    }

    #[test]
    fn ranks_over_32_are_not_encoded() {
        let too_deep = Dataspace {
            kind: DataspaceKind::Simple,
            dims: vec![1; 33],
            maxdims: None,
        };
        assert!(matches!(too_deep.encode(), Err(Error::InvalidInput(_))));
        let ok = Dataspace {
            kind: DataspaceKind::Simple,
            dims: vec![1; 32],
            maxdims: None,
        };
        assert_eq!(ok.encode().unwrap()[1], 32);
    }
}
