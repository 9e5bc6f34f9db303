//! Fill Value messages: old (type 0x0004, spec IV.A.2.e) and new (type 0x0005, spec
//! IV.A.2.f, versions 1 to 3).

use crate::error::Result;
use crate::format::Cursor;

/// The value unwritten elements read as.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FillValue {
    /// Space allocation time (1 early, 2 late, 3 incremental; 0 when not stored).
    pub alloc_time: u8,
    /// Fill value write time (0 on allocation, 1 never, 2 if set).
    pub fill_time: u8,
    /// The fill value's bytes in the dataset's datatype, when the file defines one.
    /// `None` means the library default (all zero bytes).
    pub value: Option<Vec<u8>>,
}

impl FillValue {
    /// Decodes a Fill Value message (type 0x0005).
    ///
    /// A fill value marked undefined, or defined with size 0 (the library default),
    /// gives `value: None`.
    pub fn decode(c: &mut Cursor<'_>) -> Result<Self> {
        let version = c.u8()?;
        match version {
            1 | 2 => {
                let alloc_time = c.u8()?;
                let fill_time = c.u8()?;
                let defined = c.u8()?;
                // Version 1 always stores the size, but libhdf5 itself only reads it
                // when the value is defined; an undefined value has no usable bytes.
                let value = if defined != 0 { sized_value(c)? } else { None };
                Ok(FillValue {
                    alloc_time,
                    fill_time,
                    value,
                })
            }
            3 => {
                let flags = c.u8()?;
                if flags & 0x30 == 0x30 {
                    return Err(c.corrupt("fill value both defined and undefined"));
                }
                if flags & 0xc0 != 0 {
                    return Err(c.corrupt(format!("reserved fill value flags {flags:#04x}")));
                }
                let value = if flags & 0x20 != 0 {
                    sized_value(c)?
                } else {
                    None
                };
                Ok(FillValue {
                    alloc_time: flags & 0x03,
                    fill_time: (flags >> 2) & 0x03,
                    value,
                })
            }
            v => Err(c.corrupt(format!("unknown fill value message version {v}"))),
        }
    }

    /// Encodes a version 2 Fill Value message (type 0x0005) as libhdf5 writes it:
    /// allocation time and fill time as given, "defined" set, then the size (4 bytes)
    /// and the value, or size 0 (the library default, zero bytes) when `value` is
    /// `None`. The old message (type 0x0004) that libhdf5 also writes for a defined
    /// value is not needed by readers and is not produced here.
    pub fn encode(&self) -> Vec<u8> {
        let value = self.value.as_deref().unwrap_or_default();
        debug_assert!(u32::try_from(value.len()).is_ok());
        let mut b = Vec::with_capacity(8 + value.len());
        b.extend_from_slice(&[2, self.alloc_time, self.fill_time, 1]);
        b.extend_from_slice(&(value.len() as u32).to_le_bytes());
        b.extend_from_slice(value);
        b
    }

    /// Decodes an old Fill Value message (type 0x0004).
    pub fn decode_old(c: &mut Cursor<'_>) -> Result<Self> {
        Ok(FillValue {
            alloc_time: 0,
            fill_time: 0,
            value: sized_value(c)?,
        })
    }
}

/// A 4-byte size then that many bytes; `None` when the size is 0.
fn sized_value(c: &mut Cursor<'_>) -> Result<Option<Vec<u8>>> {
    let size = c.u32()? as usize;
    if size == 0 {
        return Ok(None);
    }
    Ok(Some(c.bytes(size)?.to_vec()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Error;
    use crate::format::Sizes;

    fn new(bytes: &[u8]) -> Result<FillValue> {
        FillValue::decode(&mut Cursor::new(bytes, 0, "fill value", Sizes::default()))
    }

    #[test]
    fn v2_as_libhdf5_writes_it() {
        // hdf5-features.md section 8: chunked, contiguous, vlen chunked.
        let f = new(&[2, 3, 2, 1, 0, 0, 0, 0]).unwrap();
        assert_eq!(
            f,
            FillValue {
                alloc_time: 3,
                fill_time: 2,
                value: None
            }
        );
        let f = new(&[2, 2, 2, 1, 0, 0, 0, 0]).unwrap();
        assert_eq!((f.alloc_time, f.fill_time, f.value), (2, 2, None));
        let f = new(&[2, 3, 0, 1, 0, 0, 0, 0]).unwrap();
        assert_eq!((f.alloc_time, f.fill_time), (3, 0));
        // Defined -7 as int32.
        let f = new(&[2, 2, 2, 1, 4, 0, 0, 0, 0xf9, 0xff, 0xff, 0xff]).unwrap();
        assert_eq!(f.value, Some(vec![0xf9, 0xff, 0xff, 0xff]));
        // Undefined: no size field in v2.
        let f = new(&[2, 1, 1, 0]).unwrap();
        assert_eq!((f.alloc_time, f.fill_time, f.value), (1, 1, None));
    }

    #[test]
    fn v1() {
        let f = new(&[1, 1, 0, 1, 2, 0, 0, 0, 0xaa, 0xbb]).unwrap();
        assert_eq!(f.value, Some(vec![0xaa, 0xbb]));
        // Undefined with a stored (ignored) size.
        let f = new(&[1, 1, 0, 0, 0, 0, 0, 0]).unwrap();
        assert_eq!(f.value, None);
    }

    #[test]
    fn v3() {
        // alloc 2 (late), fill time 2 (if set), defined, int32 -7.
        let f = new(&[3, 0x2a, 4, 0, 0, 0, 0xf9, 0xff, 0xff, 0xff]).unwrap();
        assert_eq!(
            f,
            FillValue {
                alloc_time: 2,
                fill_time: 2,
                value: Some(vec![0xf9, 0xff, 0xff, 0xff])
            }
        );
        // alloc 3, fill time 2, undefined (bit 4): nothing follows.
        let f = new(&[3, 0x1b]).unwrap();
        assert_eq!((f.alloc_time, f.fill_time, f.value), (3, 2, None));
        // Defined with size 0: the default.
        let f = new(&[3, 0x29, 0, 0, 0, 0]).unwrap();
        assert_eq!(f.value, None);
    }

    #[test]
    fn old() {
        let b = [4, 0, 0, 0, 1, 2, 3, 4];
        let f = FillValue::decode_old(&mut Cursor::new(&b, 0, "fill", Sizes::default())).unwrap();
        assert_eq!(f.value, Some(vec![1, 2, 3, 4]));
        let b = [0, 0, 0, 0];
        let f = FillValue::decode_old(&mut Cursor::new(&b, 0, "fill", Sizes::default())).unwrap();
        assert_eq!(f.value, None);
    }

    #[test]
    fn errors() {
        // Size larger than the bytes present.
        assert!(matches!(
            new(&[2, 2, 2, 1, 0xff, 0xff, 0xff, 0xff, 1]),
            Err(Error::Corrupt { .. })
        ));
        assert!(new(&[2, 2, 2, 1, 0]).is_err());
        assert!(new(&[4, 0, 0, 0]).is_err());
        assert!(new(&[3, 0x30]).is_err());
        assert!(new(&[3]).is_err());
        assert!(new(&[]).is_err());
        let b = [8, 0, 0, 0, 1];
        assert!(FillValue::decode_old(&mut Cursor::new(&b, 0, "fill", Sizes::default())).is_err());
    }
}
