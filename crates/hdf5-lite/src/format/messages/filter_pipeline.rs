//! Filter Pipeline message, type 0x000B (spec IV.A.2.l), versions 1 and 2.

use crate::error::Result;
use crate::format::Cursor;

/// One filter of a pipeline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filter {
    /// Registered filter id: 1 deflate, 2 shuffle, 3 fletcher32, 4 szip, 32000 LZF, ….
    pub id: u16,
    /// The name stored in the message, if any.
    pub name: Option<String>,
    /// Flags; bit 0 set means the filter is optional.
    pub flags: u16,
    /// Client data values (e.g. the deflate level).
    pub client_data: Vec<u32>,
}

impl Filter {
    /// Whether a chunk may skip this filter (flags bit 0).
    pub fn is_optional(&self) -> bool {
        self.flags & 1 != 0
    }
}

/// The filters applied to each chunk, in the order they were applied when writing.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FilterPipeline {
    /// The filters, first applied first.
    pub filters: Vec<Filter>,
}

impl FilterPipeline {
    /// Decodes the message body.
    pub fn decode(c: &mut Cursor<'_>) -> Result<Self> {
        let version = c.u8()?;
        let n = c.u8()?;
        if n > MAX_FILTERS {
            return Err(c.corrupt(format!("{n} filters (at most {MAX_FILTERS})")));
        }
        match version {
            1 => c.skip(6)?,
            2 => {}
            v => return Err(c.corrupt(format!("unknown filter pipeline version {v}"))),
        }
        let mut filters = Vec::with_capacity(usize::from(n));
        for _ in 0..n {
            filters.push(decode_filter(c, version)?);
        }
        Ok(FilterPipeline { filters })
    }
}

impl FilterPipeline {
    /// Encodes a version 1 message, as libhdf5 writes in an "earliest" file. Each
    /// filter stores its name (NUL-terminated, padded with NULs to a multiple of 8; the
    /// stored length counts the padding); a filter without a name gets libhdf5's name
    /// for the built-in ids ("deflate", "shuffle", "fletcher32"), others none. An odd
    /// number of client data values is followed by 4 bytes of padding.
    ///
    /// At most 32 filters, names shorter than 65535 bytes and at most 65535 client data
    /// values each are expected.
    pub fn encode(&self) -> Vec<u8> {
        debug_assert!(self.filters.len() <= usize::from(MAX_FILTERS));
        let mut b = vec![1, self.filters.len() as u8, 0, 0, 0, 0, 0, 0];
        for f in &self.filters {
            let stored = f.name.as_deref().filter(|n| !n.is_empty());
            let name = stored.or(match f.id {
                1 => Some("deflate"),
                2 => Some("shuffle"),
                3 => Some("fletcher32"),
                _ => None,
            });
            let name = name.unwrap_or_default().as_bytes();
            let name_len = if name.is_empty() {
                0
            } else {
                (name.len() + 1).next_multiple_of(8)
            };
            b.extend_from_slice(&f.id.to_le_bytes());
            b.extend_from_slice(&(name_len as u16).to_le_bytes());
            b.extend_from_slice(&f.flags.to_le_bytes());
            b.extend_from_slice(&(f.client_data.len() as u16).to_le_bytes());
            b.extend_from_slice(name);
            b.resize(b.len() + name_len - name.len(), 0);
            for v in &f.client_data {
                b.extend_from_slice(&v.to_le_bytes());
            }
            if f.client_data.len() % 2 == 1 {
                b.extend_from_slice(&[0; 4]);
            }
        }
        b
    }
}

/// At most 32 filters in one pipeline (`H5Z_MAX_NFILTERS`).
const MAX_FILTERS: u8 = 32;

/// One filter description, version 1 or 2.
fn decode_filter(c: &mut Cursor<'_>, version: u8) -> Result<Filter> {
    let id = c.u16()?;
    // Version 2 stores no name for the filters the specification defines (id < 256).
    let name_len = if version == 1 || id >= 256 {
        usize::from(c.u16()?)
    } else {
        0
    };
    let flags = c.u16()?;
    let ncd = usize::from(c.u16()?);
    let name = if name_len > 0 {
        let raw = c.bytes(name_len)?;
        if version == 1 {
            // The stored length should already be a multiple of 8; pad if not.
            c.skip(name_len.next_multiple_of(8) - name_len)?;
        }
        let end = raw.iter().position(|&b| b == 0).unwrap_or(raw.len());
        Some(String::from_utf8_lossy(raw.get(..end).unwrap_or_default()).into_owned())
    } else {
        None
    };
    let cd = c.bytes(ncd * 4)?;
    let client_data = cd
        .chunks_exact(4)
        .map(|w| u32::from_le_bytes([w[0], w[1], w[2], w[3]]))
        .collect();
    if version == 1 && ncd % 2 == 1 {
        c.skip(4)?;
    }
    Ok(Filter {
        id,
        name,
        flags,
        client_data,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Error;
    use crate::format::Sizes;

    fn hex(s: &str) -> Vec<u8> {
        let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    fn decode(b: &[u8]) -> Result<FilterPipeline> {
        FilterPipeline::decode(&mut Cursor::new(b, 0, "filter pipeline", Sizes::default()))
    }

    #[test]
    fn v1_loompy_deflate() {
        // hdf5-features.md section 8: loompy's deflate level 2.
        let mut b = hex("01 01 000000000000 0100 0800 0100 0100");
        b.extend(b"deflate\0");
        b.extend(hex("02000000 00000000"));
        let mut c = Cursor::new(&b, 0, "filter pipeline", Sizes::default());
        let p = FilterPipeline::decode(&mut c).unwrap();
        assert_eq!(c.remaining(), 0);
        assert_eq!(
            p.filters,
            vec![Filter {
                id: 1,
                name: Some("deflate".into()),
                flags: 1,
                client_data: vec![2]
            }]
        );
        assert!(p.filters[0].is_optional());
    }

    #[test]
    fn v1_shuffle_deflate_fletcher() {
        let mut b = hex("01 03 000000000000");
        b.extend(hex("0200 0800 0100 0100"));
        b.extend(b"shuffle\0");
        b.extend(hex("04000000 00000000"));
        b.extend(hex("0100 0800 0100 0100"));
        b.extend(b"deflate\0");
        b.extend(hex("04000000 00000000"));
        b.extend(hex("0300 1000 0000 0000"));
        b.extend(b"fletcher32\0\0\0\0\0\0");
        let p = decode(&b).unwrap();
        let ids: Vec<u16> = p.filters.iter().map(|f| f.id).collect();
        assert_eq!(ids, vec![2, 1, 3]);
        assert_eq!(p.filters[2].name.as_deref(), Some("fletcher32"));
        assert!(p.filters[2].client_data.is_empty());
        assert!(!p.filters[2].is_optional());
    }

    #[test]
    fn v2() {
        // deflate (no name), then LZF (id 32000, unpadded name "lzf", 3 cd values).
        let mut b = hex("02 02 0100 0100 0100 06000000");
        b.extend(hex("007d 0300 0100 0300"));
        b.extend(b"lzf");
        b.extend(hex("04000000 00000000 00100000"));
        let mut c = Cursor::new(&b, 0, "filter pipeline", Sizes::default());
        let p = FilterPipeline::decode(&mut c).unwrap();
        assert_eq!(c.remaining(), 0);
        assert_eq!(p.filters[0].name, None);
        assert_eq!(p.filters[0].client_data, vec![6]);
        assert_eq!(p.filters[1].id, 32000);
        assert_eq!(p.filters[1].name.as_deref(), Some("lzf"));
        assert_eq!(p.filters[1].client_data, vec![4, 0, 4096]);
    }

    #[test]
    fn errors() {
        assert!(matches!(decode(&[2, 33]), Err(Error::Corrupt { .. })));
        assert!(decode(&[3, 0]).is_err());
        // Truncated client data.
        assert!(decode(&hex("02 01 0100 0100 0200 06000000")).is_err());
        // Truncated odd-count padding in v1.
        assert!(decode(&hex("01 01 000000000000 0100 0000 0000 0100 06000000")).is_err());
        assert!(decode(&[]).is_err());
        assert_eq!(decode(&[2, 0]).unwrap().filters, vec![]);
    }
}
