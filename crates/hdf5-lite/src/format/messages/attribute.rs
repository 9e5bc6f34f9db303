//! Attribute message, type 0x000C (spec IV.A.2.m), versions 1 to 3.

use crate::error::{Error, Result};
use crate::format::messages::{CharSet, Dataspace, Datatype, SharedMessage};
use crate::format::Cursor;

/// An attribute as stored: name, type, shape and raw value bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttributeMessage {
    /// The attribute's name.
    pub name: String,
    /// Character set of the name.
    pub name_charset: CharSet,
    /// Element type.
    pub datatype: Datatype,
    /// Shape.
    pub dataspace: Dataspace,
    /// Raw element bytes, C order (variable-length values are global heap references).
    pub data: Vec<u8>,
}

impl AttributeMessage {
    /// Decodes the message body.
    ///
    /// Shared datatypes or dataspaces (flags bits 0 and 1 of versions 2 and 3) are
    /// reported as unsupported: see [`AttributeMessage::decode_with`].
    pub fn decode(c: &mut Cursor<'_>) -> Result<Self> {
        Self::decode_with(c, &mut |_| {
            Err(Error::unsupported("shared datatype in attribute"))
        })
    }

    /// Decodes the message body; a shared datatype (flags bit 0: the datatype field
    /// holds a shared message, usually pointing at a committed datatype) is looked up
    /// with `shared_datatype`. Shared dataspaces are reported as unsupported.
    pub fn decode_with(
        c: &mut Cursor<'_>,
        shared_datatype: &mut dyn FnMut(SharedMessage) -> Result<Datatype>,
    ) -> Result<Self> {
        let version = c.u8()?;
        if !(1..=3).contains(&version) {
            return Err(c.corrupt(format!("unknown attribute message version {version}")));
        }
        let flags = c.u8()?; // reserved in version 1
        let name_size = usize::from(c.u16()?);
        let datatype_size = usize::from(c.u16()?);
        let dataspace_size = usize::from(c.u16()?);
        let datatype_shared = version >= 2 && flags & 0x01 != 0;
        if version >= 2 && flags & 0x02 != 0 {
            return Err(Error::unsupported("shared dataspace in attribute"));
        }
        let name_charset = if version == 3 {
            match c.u8()? {
                0 => CharSet::Ascii,
                1 => CharSet::Utf8,
                s => return Err(c.corrupt(format!("unknown attribute name character set {s}"))),
            }
        } else {
            CharSet::Ascii
        };
        // Version 1 pads each of the three fields to a multiple of 8 bytes.
        let padded = |n: usize| {
            if version == 1 {
                n.next_multiple_of(8)
            } else {
                n
            }
        };

        if name_size == 0 {
            return Err(c.corrupt("attribute name size 0 (must count the NUL)"));
        }
        let raw_name = c.bytes(name_size)?;
        c.skip(padded(name_size) - name_size)?;
        let name_end = raw_name
            .iter()
            .position(|&b| b == 0)
            .unwrap_or(raw_name.len());
        let name =
            String::from_utf8_lossy(raw_name.get(..name_end).unwrap_or_default()).into_owned();

        let dt_pos = c.file_pos();
        let dt_bytes = c.bytes(datatype_size)?;
        c.skip(padded(datatype_size) - datatype_size)?;
        let mut dt_cursor = Cursor::new(dt_bytes, dt_pos, "attribute datatype", c.sizes());
        let datatype = if datatype_shared {
            shared_datatype(SharedMessage::decode(&mut dt_cursor)?)?
        } else {
            Datatype::decode(&mut dt_cursor)?
        };

        let ds_pos = c.file_pos();
        let ds_bytes = c.bytes(dataspace_size)?;
        // The padding of the last field may be cut short in version 1 when no data follows.
        let ds_pad = (padded(dataspace_size) - dataspace_size).min(c.remaining());
        c.skip(ds_pad)?;
        let dataspace = Dataspace::decode(&mut Cursor::new(
            ds_bytes,
            ds_pos,
            "attribute dataspace",
            c.sizes(),
        ))?;

        let n = u128::from(dataspace.num_elements()?) * u128::from(datatype.size());
        let len = usize::try_from(n)
            .ok()
            .filter(|&len| len <= c.remaining())
            .ok_or_else(|| {
                c.corrupt(format!(
                    "attribute {name:?} needs {n} data bytes, only {} left in the message",
                    c.remaining()
                ))
            })?;
        let data = c.bytes(len)?.to_vec();
        Ok(AttributeMessage {
            name,
            name_charset,
            datatype,
            dataspace,
            data,
        })
    }
}

impl AttributeMessage {
    /// Encodes a version 1 message, as libhdf5 writes in an "earliest" file: the name
    /// size (with its NUL), the datatype and dataspace sizes (unpadded), then the name,
    /// datatype and dataspace each padded with zeros to a multiple of 8, then the data.
    ///
    /// Version 1 has no name character set: a UTF-8 name is written as is and reads
    /// back as [`CharSet::Ascii`], as in h5py's own files. The data must hold exactly
    /// the dataspace's elements of the datatype's size.
    pub fn encode(&self) -> Result<Vec<u8>> {
        if self.name.as_bytes().contains(&0) {
            return Err(Error::unsupported(format!(
                "writing an attribute name containing a NUL byte: {:?}",
                self.name
            )));
        }
        let datatype = self.datatype.encode()?;
        let dataspace = self.dataspace.encode()?;
        let expected =
            u128::from(self.dataspace.num_elements()?) * u128::from(self.datatype.size());
        if expected != self.data.len() as u128 {
            return Err(Error::unsupported(format!(
                "writing attribute {:?} with {} data bytes; its type and shape need {expected}",
                self.name,
                self.data.len()
            )));
        }
        let field = |what: &str, n: usize| {
            u16::try_from(n).map_err(|_| {
                Error::unsupported(format!(
                    "writing attribute {:?}: {what} of {n} bytes (at most 65535)",
                    self.name
                ))
            })
        };
        let name_size = field("name", self.name.len() + 1)?;
        let datatype_size = field("datatype", datatype.len())?;
        let dataspace_size = field("dataspace", dataspace.len())?;
        let mut b = vec![1, 0];
        for n in [name_size, datatype_size, dataspace_size] {
            b.extend_from_slice(&n.to_le_bytes());
        }
        // (bytes, length counted): the name's NUL is counted, and written as padding.
        let parts: [(&[u8], usize); 3] = [
            (self.name.as_bytes(), usize::from(name_size)),
            (&datatype, datatype.len()),
            (&dataspace, dataspace.len()),
        ];
        for (part, len) in parts {
            let start = b.len();
            b.extend_from_slice(part);
            b.resize(start + len.next_multiple_of(8), 0);
        }
        b.extend_from_slice(&self.data);
        Ok(b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::messages::{ByteOrder, DataspaceKind, StringPadding};
    use crate::format::Sizes;

    fn hex(s: &str) -> Vec<u8> {
        let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    fn decode(b: &[u8]) -> Result<AttributeMessage> {
        AttributeMessage::decode(&mut Cursor::new(b, 0, "attribute", Sizes::default()))
    }

    const I32: &str = "10 08 00 00 04000000 0000 2000";

    fn decode_type(h: &str) -> Result<Datatype> {
        Datatype::decode(&mut Cursor::new(&hex(h), 0, "datatype", Sizes::default()))
    }

    #[test]
    fn v1_scalar_vlen_string() {
        // name "title" (6 with NUL -> 8), vlen utf-8 string type (20 -> 24), scalar v1
        // dataspace (8), then one 16-byte global heap reference.
        let mut b = hex("01 00 0600 1400 0800");
        b.extend(b"title\0\0\0");
        b.extend(hex(
            "19 01 01 00 10000000 10 00 00 00 01000000 0000 0800 00000000",
        ));
        b.extend(hex("01 00 00 00 00000000"));
        b.extend(hex("05000000 0010000000000000 01000000"));
        let a = decode(&b).unwrap();
        assert_eq!(a.name, "title");
        assert_eq!(a.name_charset, CharSet::Ascii);
        assert_eq!(
            a.datatype,
            Datatype::VarLenString {
                size: 16,
                padding: StringPadding::NullTerminate,
                charset: CharSet::Utf8
            }
        );
        assert_eq!(a.dataspace.kind, DataspaceKind::Scalar);
        assert_eq!(a.data.len(), 16);
        assert_eq!(a.data[..4], [5, 0, 0, 0]);
    }

    #[test]
    fn v3_one_dimensional_int32() {
        // name "ab" (3), int32 type (12), v2 simple dataspace rank 1 (12), utf-8 name.
        let mut b = hex("03 00 0300 0c00 0c00 01");
        b.extend(b"ab\0");
        b.extend(hex(I32));
        b.extend(hex("02 01 00 01 0300000000000000"));
        b.extend(hex("01000000 02000000 fdffffff"));
        let a = decode(&b).unwrap();
        assert_eq!(a.name, "ab");
        assert_eq!(a.name_charset, CharSet::Utf8);
        assert_eq!(
            a.datatype,
            Datatype::Integer {
                size: 4,
                signed: true,
                order: ByteOrder::Little
            }
        );
        assert_eq!(a.dataspace.dims, vec![3]);
        assert_eq!(a.data, hex("01000000 02000000 fdffffff"));
        // One byte of data missing.
        assert!(matches!(
            decode(&b[..b.len() - 1]),
            Err(Error::Corrupt { .. })
        ));
    }

    #[test]
    fn v1_null_dataspace_in_v2_encoding() {
        // h5py.Empty in an earliest-format file: v1 attribute with a v2 null dataspace.
        let mut b = hex("01 00 0200 0c00 0400");
        b.extend(b"e\0\0\0\0\0\0\0");
        b.extend(hex(I32));
        b.extend(hex("00000000"));
        b.extend(hex("02 00 00 02 00000000"));
        let a = decode(&b).unwrap();
        assert_eq!(a.dataspace.kind, DataspaceKind::Null);
        assert!(a.data.is_empty());
    }

    #[test]
    fn v2_unpadded_and_shared_flags() {
        let mut b = hex("02 00 0200 0c00 0800");
        b.extend(b"x\0");
        b.extend(hex(I32));
        b.extend(hex("01 00 00 00 00000000"));
        b.extend(hex("2a000000"));
        let a = decode(&b).unwrap();
        assert_eq!(a.data, vec![42, 0, 0, 0]);
        b[1] = 1;
        assert!(matches!(decode(&b), Err(Error::Unsupported { .. })));
        b[1] = 2;
        assert!(matches!(decode(&b), Err(Error::Unsupported { .. })));
    }

    #[test]
    fn shared_datatype_is_looked_up() {
        // Version 3, datatype shared: a version 3 shared message (location 2, committed)
        // with the address of the named type's object header.
        let mut b = hex("03 01 0200 0a00 0800 00");
        b.extend(b"x\0");
        b.extend(hex("03 02 e803000000000000"));
        b.extend(hex("01 00 00 00 00000000"));
        b.extend(hex("2a000000"));
        let mut seen = Vec::new();
        let a = AttributeMessage::decode_with(
            &mut Cursor::new(&b, 0, "attribute", Sizes::default()),
            &mut |shared| {
                seen.push(shared);
                decode_type(I32)
            },
        )
        .unwrap();
        assert_eq!(seen, vec![SharedMessage::Committed(1000)]);
        assert_eq!(a.datatype, decode_type(I32).unwrap());
        assert_eq!(a.data, vec![42, 0, 0, 0]);
        assert!(matches!(decode(&b), Err(Error::Unsupported { .. })));
    }

    #[test]
    fn errors() {
        assert!(decode(&[4, 0, 0, 0, 0, 0, 0, 0]).is_err());
        assert!(decode(&hex("03 00 0000 0000 0000 00")).is_err());
        // Datatype size runs past the message.
        let mut b = hex("03 00 0200 ff00 0800 00");
        b.extend(b"x\0");
        b.extend(hex(I32));
        assert!(decode(&b).is_err());
        // Huge dataspace: element count times size overflows the message.
        let mut b = hex("03 00 0200 0c00 1400 00");
        b.extend(b"x\0");
        b.extend(hex(I32));
        b.extend(hex("02 02 00 01 ffffffffffffff7f ffffffffffffff7f"));
        assert!(decode(&b).is_err());
        assert!(decode(&[]).is_err());
    }

    proptest::proptest! {
        /// Arbitrary bytes after a valid version byte never panic any decoder of this
        /// family.
        #[test]
        fn arbitrary_bytes_never_panic(
            version in 1u8..6,
            rest in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..200),
        ) {
            use crate::format::messages::{FillValue, FilterPipeline, Layout};
            let mut b = vec![version];
            b.extend(rest);
            let s = Sizes::default();
            let _ = decode(&b);
            let _ = Dataspace::decode(&mut Cursor::new(&b, 0, "t", s));
            let _ = Layout::decode(&mut Cursor::new(&b, 0, "t", s));
            let _ = FillValue::decode(&mut Cursor::new(&b, 0, "t", s));
            let _ = FillValue::decode_old(&mut Cursor::new(&b, 0, "t", s));
            let _ = FilterPipeline::decode(&mut Cursor::new(&b, 0, "t", s));
        }
    }
}
