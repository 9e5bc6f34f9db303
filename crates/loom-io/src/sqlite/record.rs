//! Varints (fileformat2 §1.6 "B-tree Pages", the variable-length integer paragraph) and
//! the record format (§2.1 "Record Format"): a header of serial types, then the values.

use super::{Encoding, SqliteError};

/// One value of a row, by SQLite storage class.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// NULL.
    Null,
    /// A signed integer (serial types 1-6, 8, 9).
    Integer(i64),
    /// An IEEE 754 double (serial type 7).
    Real(f64),
    /// A string in the database's text encoding, decoded.
    Text(String),
    /// Bytes as stored.
    Blob(Vec<u8>),
}

/// A varint at the start of `b`: 1-8 bytes of 7 bits (high bit set = more follow),
/// then a 9th byte of 8 bits. `None` when `b` ends first.
pub(super) fn varint(b: &[u8]) -> Option<(u64, usize)> {
    let mut v = 0u64;
    for (i, &byte) in b.iter().take(9).enumerate() {
        if i == 8 {
            return Some(((v << 8) | u64::from(byte), 9));
        }
        v = (v << 7) | u64::from(byte & 0x7f);
        if byte & 0x80 == 0 {
            return Some((v, i + 1));
        }
    }
    None
}

/// The content size of serial type `t` (§2.1's table).
fn content_len(t: u64) -> Result<u64, String> {
    Ok(match t {
        0 | 8 | 9 => 0,
        1..=4 => t,
        5 => 6,
        6 | 7 => 8,
        10 | 11 => return Err(format!("reserved serial type {t}")),
        _ => (t - 12) / 2,
    })
}

/// A big-endian two's-complement integer of 1-8 bytes.
fn signed(b: &[u8]) -> i64 {
    let fill = if b.first().is_some_and(|x| x & 0x80 != 0) {
        0xff
    } else {
        0
    };
    let mut full = [fill; 8];
    full[8 - b.len()..].copy_from_slice(b);
    i64::from_be_bytes(full)
}

fn text(b: &[u8], enc: Encoding) -> Result<String, String> {
    let units = |be: bool| {
        b.chunks_exact(2)
            .map(move |c| {
                let pair = [c[0], c[1]];
                if be {
                    u16::from_be_bytes(pair)
                } else {
                    u16::from_le_bytes(pair)
                }
            })
            .collect::<Vec<u16>>()
    };
    match enc {
        Encoding::Utf8 => String::from_utf8(b.to_vec()).ok(),
        Encoding::Utf16Le => String::from_utf16(&units(false)).ok(),
        Encoding::Utf16Be => String::from_utf16(&units(true)).ok(),
    }
    .ok_or_else(|| format!("text that is not valid {enc:?}"))
}

/// The values of one record. A record holding fewer values than the table has columns
/// (rows older than an `ALTER TABLE ADD COLUMN`) is returned short.
pub(super) fn decode(payload: &[u8], enc: Encoding) -> Result<Vec<Value>, SqliteError> {
    let bad = |reason: String| SqliteError::Record { reason };
    let (header_len, n) = varint(payload).ok_or_else(|| bad("record header cut short".into()))?;
    let header_len = usize::try_from(header_len)
        .ok()
        .filter(|&h| h >= n && h <= payload.len())
        .ok_or_else(|| bad(format!("record header of {header_len} bytes")))?;
    let mut at = n;
    let mut body = header_len;
    let mut values = Vec::new();
    while at < header_len {
        let (t, used) =
            varint(&payload[at..header_len]).ok_or_else(|| bad("serial type cut short".into()))?;
        at += used;
        let len = content_len(t).map_err(bad)?;
        let end = u64::try_from(body)
            .ok()
            .and_then(|b| b.checked_add(len))
            .filter(|&e| e <= payload.len() as u64)
            .ok_or_else(|| bad(format!("a value of {len} bytes runs past the record")))?
            as usize;
        let b = &payload[body..end];
        values.push(match t {
            0 => Value::Null,
            1..=6 => Value::Integer(signed(b)),
            7 => Value::Real(f64::from_bits(signed(b) as u64)),
            8 => Value::Integer(0),
            9 => Value::Integer(1),
            t if t % 2 == 0 => Value::Blob(b.to_vec()),
            _ => Value::Text(text(b, enc).map_err(bad)?),
        });
        body = end;
    }
    Ok(values)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints_of_one_to_nine_bytes() {
        assert_eq!(varint(&[0x05]), Some((5, 1)));
        assert_eq!(varint(&[0x81, 0x00]), Some((128, 2)));
        assert_eq!(varint(&[0xff; 9]), Some((u64::MAX, 9)));
        assert_eq!(varint(&[0x81]), None);
        assert_eq!(varint(&[]), None);
    }

    #[test]
    fn records_of_every_serial_type() {
        // header of 9 bytes: types NULL, i8, i24, f64, 0, 1, text "ab" (17), blob 1 byte (14)
        let mut r = vec![9, 0, 1, 3, 7, 8, 9, 17, 14];
        r.extend([0xfe, 0x01, 0x00, 0x00]);
        r.extend(2.5f64.to_be_bytes());
        r.extend(b"ab");
        r.push(0x7f);
        let got = decode(&r, Encoding::Utf8).unwrap_or_default();
        assert_eq!(
            got,
            vec![
                Value::Null,
                Value::Integer(-2),
                Value::Integer(65536),
                Value::Real(2.5),
                Value::Integer(0),
                Value::Integer(1),
                Value::Text("ab".into()),
                Value::Blob(vec![0x7f]),
            ]
        );
    }

    #[test]
    fn bad_records_are_errors() {
        for r in [
            &[][..],
            &[5, 1][..],
            &[2, 10][..],
            &[2, 6, 0, 0][..],
            &[0x80][..],
        ] {
            assert!(
                matches!(decode(r, Encoding::Utf8), Err(SqliteError::Record { .. })),
                "{r:?}"
            );
        }
        assert!(decode(&[2, 15, 0xff], Encoding::Utf8).is_err());
    }
}
