//! Link message, type 0x0006 (spec IV.A.2.g).

use crate::error::{Error, Result};
use crate::format::Cursor;

/// What a link points at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkTarget {
    /// An object header address.
    Hard(u64),
    /// A path in the same file.
    Soft(String),
    /// A path in another file.
    External {
        /// The other file.
        file: String,
        /// The path in it.
        path: String,
    },
    /// A user-defined link type (64 to 255).
    Other(u8),
}

/// A named link from a group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    /// The link name.
    pub name: String,
    /// Its target.
    pub target: LinkTarget,
    /// Creation order, when tracked.
    pub creation_order: Option<u64>,
}

/// Flags bits 0-1: size of the name length field.
const NAME_SIZE_MASK: u8 = 0x03;
/// Flags bit 2: creation order present.
const HAS_CREATION_ORDER: u8 = 0x04;
/// Flags bit 3: link type present.
const HAS_TYPE: u8 = 0x08;
/// Flags bit 4: character set present.
const HAS_CHARSET: u8 = 0x10;

/// Link type values.
const TYPE_HARD: u8 = 0;
const TYPE_SOFT: u8 = 1;
const TYPE_EXTERNAL: u8 = 64;

/// Bytes as a string; names are ASCII or UTF-8, anything else is replaced lossily.
fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

impl Link {
    /// Decodes the message body (version 1), with every optional field the flags
    /// announce. Link names that are not valid UTF-8 are converted lossily.
    pub fn decode(c: &mut Cursor<'_>) -> Result<Self> {
        let version = c.u8()?;
        if version != 1 {
            return Err(Error::unsupported(format!(
                "link message version {version}"
            )));
        }
        let flags = c.u8()?;
        if flags & 0xe0 != 0 {
            return Err(c.corrupt(format!("reserved link flags set: {flags:#04x}")));
        }
        let link_type = if flags & HAS_TYPE != 0 {
            c.u8()?
        } else {
            TYPE_HARD
        };
        let creation_order = if flags & HAS_CREATION_ORDER != 0 {
            Some(c.u64()?)
        } else {
            None
        };
        if flags & HAS_CHARSET != 0 {
            let cset = c.u8()?;
            if cset > 1 {
                return Err(c.corrupt(format!("link name character set {cset}")));
            }
        }
        let len_size = 1usize << (flags & NAME_SIZE_MASK);
        let name_len = c.uint(len_size)?;
        if name_len == 0 {
            return Err(c.corrupt("link with an empty name"));
        }
        let name_len = usize::try_from(name_len)
            .map_err(|_| c.corrupt(format!("link name length {name_len}")))?;
        let name = text(c.bytes(name_len)?);

        let target = match link_type {
            TYPE_HARD => LinkTarget::Hard(c.offset()?),
            TYPE_SOFT => {
                let len = usize::from(c.u16()?);
                if len == 0 {
                    return Err(c.corrupt(format!("soft link {name:?} with an empty value")));
                }
                LinkTarget::Soft(text(c.bytes(len)?))
            }
            TYPE_EXTERNAL => {
                let len = usize::from(c.u16()?);
                let at = c.file_pos();
                let value = c.bytes(len)?;
                let mut v = Cursor::new(value, at, "external link value", c.sizes());
                let vf = v.u8()?;
                if vf != 0 {
                    return Err(Error::unsupported(format!(
                        "external link version {} with flags {:#x}",
                        vf >> 4,
                        vf & 0x0f
                    )));
                }
                let file = text(v.cstr()?);
                let path = text(v.cstr()?);
                LinkTarget::External { file, path }
            }
            t if t >= 65 => {
                let len = usize::from(c.u16()?);
                c.skip(len)?;
                LinkTarget::Other(t)
            }
            t => return Err(c.corrupt(format!("reserved link type {t}"))),
        };
        Ok(Link {
            name,
            target,
            creation_order,
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::format::Sizes;

    fn dec(b: &[u8]) -> Result<Link> {
        Link::decode(&mut Cursor::new(b, 0, "link", Sizes::default()))
    }

    #[test]
    fn hard_link_minimal() {
        // As h5py writes it under libver='latest': 01 00 len(1) name addr(8).
        let mut b = vec![1, 0, 2, b'g', b'1'];
        b.extend_from_slice(&0xb3u64.to_le_bytes());
        let l = dec(&b).unwrap();
        assert_eq!(
            l,
            Link {
                name: "g1".into(),
                target: LinkTarget::Hard(0xb3),
                creation_order: None
            }
        );
        assert!(dec(&b[..b.len() - 1]).is_err());
    }

    #[test]
    fn hard_link_with_creation_order_charset_and_wide_length() {
        // flags: 2-byte name length, creation order, charset.
        let mut b = vec![1, 0x01 | 0x04 | 0x10];
        b.extend_from_slice(&5u64.to_le_bytes());
        b.push(1); // UTF-8
        b.extend_from_slice(&3u16.to_le_bytes());
        b.extend_from_slice("é1".as_bytes());
        b.extend_from_slice(&0x400u64.to_le_bytes());
        let l = dec(&b).unwrap();
        assert_eq!(l.name, "é1");
        assert_eq!(l.creation_order, Some(5));
        assert_eq!(l.target, LinkTarget::Hard(0x400));

        // 8-byte name length field, explicit hard type 0.
        let mut b = vec![1, 0x03 | 0x08, 0];
        b.extend_from_slice(&1u64.to_le_bytes());
        b.push(b'x');
        b.extend_from_slice(&0x10u64.to_le_bytes());
        assert_eq!(dec(&b).unwrap().target, LinkTarget::Hard(0x10));
    }

    #[test]
    fn soft_link() {
        let mut b = vec![1, 0x08, 1, 4];
        b.extend_from_slice(b"soft");
        b.extend_from_slice(&3u16.to_le_bytes());
        b.extend_from_slice(b"/g1");
        let l = dec(&b).unwrap();
        assert_eq!(l.name, "soft");
        assert_eq!(l.target, LinkTarget::Soft("/g1".into()));
        // Value shorter than announced.
        assert!(dec(&b[..b.len() - 1]).is_err());
    }

    #[test]
    fn external_link() {
        let mut b = vec![1, 0x08, 64, 3];
        b.extend_from_slice(b"ext");
        let value = b"\0other.h5\0/x\0";
        b.extend_from_slice(&(value.len() as u16).to_le_bytes());
        b.extend_from_slice(value);
        let l = dec(&b).unwrap();
        assert_eq!(
            l.target,
            LinkTarget::External {
                file: "other.h5".into(),
                path: "/x".into()
            }
        );
        // Missing the second terminator inside the value.
        let mut bad = b.clone();
        let n = bad.len();
        bad[n - 1] = b'y';
        assert!(matches!(dec(&bad), Err(Error::Corrupt { .. })));
        // A non-zero version nibble.
        let mut bad = b.clone();
        bad[9] = 0x10;
        assert!(matches!(dec(&bad), Err(Error::Unsupported { .. })));
    }

    #[test]
    fn user_defined_and_reserved_types() {
        let mut b = vec![1, 0x08, 200, 1, b'u'];
        b.extend_from_slice(&2u16.to_le_bytes());
        b.extend_from_slice(&[9, 9]);
        assert_eq!(dec(&b).unwrap().target, LinkTarget::Other(200));
        b[2] = 7;
        assert!(matches!(dec(&b), Err(Error::Corrupt { .. })));
    }

    #[test]
    fn rejects_bad_headers() {
        let mut ok = vec![1, 0, 1, b'a'];
        ok.extend_from_slice(&8u64.to_le_bytes());
        assert!(dec(&ok).is_ok());
        let mut v = ok.clone();
        v[0] = 2;
        assert!(matches!(dec(&v), Err(Error::Unsupported { .. })));
        let mut f = ok.clone();
        f[1] = 0x20;
        assert!(matches!(dec(&f), Err(Error::Corrupt { .. })));
        let mut e = ok.clone();
        e[2] = 0;
        assert!(matches!(dec(&e), Err(Error::Corrupt { .. })));
        // Charset 2 is not defined.
        let mut cs = vec![1, 0x10, 2, 1, b'a'];
        cs.extend_from_slice(&8u64.to_le_bytes());
        assert!(matches!(dec(&cs), Err(Error::Corrupt { .. })));
        // Name length beyond the body.
        let big = [1u8, 0x02, 0xff, 0xff, 0xff, 0x7f, b'a'];
        assert!(matches!(dec(&big), Err(Error::Corrupt { .. })));
    }
}
