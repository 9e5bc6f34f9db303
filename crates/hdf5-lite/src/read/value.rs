//! Decoding stored elements of any datatype into [`Value`]s.

use crate::error::{Error, Result};
use crate::format::global_heap::GlobalHeap;
use crate::format::messages::{ByteOrder, Datatype, StringPadding};
use crate::format::{Ctx, Cursor};

/// One element of any datatype, decoded.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// A signed integer (or an enum over a signed base).
    Int(i64),
    /// An unsigned integer (or an enum over an unsigned base, or a bitfield).
    UInt(u64),
    /// A float of any width, widened.
    Float(f64),
    /// A string: fixed-length padding stripped, invalid UTF-8 replaced by U+FFFD.
    String(String),
    /// Opaque, reference or time bytes (and bitfields of other than 1, 2, 4 or 8 bytes).
    Bytes(Vec<u8>),
    /// A compound element: each field's name and value, in stored order.
    Compound(Vec<(String, Value)>),
    /// An array member (nested by dimension) or a variable-length sequence.
    List(Vec<Value>),
}

/// Decodes a run of stored elements, resolving variable-length data through the global heap.
pub(crate) struct Decoder<'a> {
    ctx: Option<&'a Ctx>,
    heap: GlobalHeap,
}

/// Decodes one element of a type that holds no variable-length data (numbers, enums,
/// fixed strings, compounds and arrays of those), e.g. an enum member's value or a fill
/// value. Variable-length types are an error: their bytes point into the file.
pub fn decode_value(dtype: &Datatype, bytes: &[u8]) -> Result<Value> {
    if bytes.len() != dtype.size() as usize {
        return Err(Error::corrupt(
            "datatype",
            0,
            format!("{} bytes for a {}-byte element", bytes.len(), dtype.size()),
        ));
    }
    Decoder {
        ctx: None,
        heap: GlobalHeap::new(),
    }
    .decode(dtype, bytes)
}

/// The elements of `bytes`, `dtype`'s size each (an error for a size of 0).
fn elements<'b>(dtype: &Datatype, bytes: &'b [u8]) -> Result<std::slice::ChunksExact<'b, u8>> {
    let size = dtype.size() as usize;
    if size == 0 {
        return Err(Error::corrupt("datatype", 0, "element size 0"));
    }
    Ok(bytes.chunks_exact(size))
}

impl<'a> Decoder<'a> {
    pub(crate) fn new(ctx: &'a Ctx) -> Self {
        Decoder {
            ctx: Some(ctx),
            heap: GlobalHeap::new(),
        }
    }

    /// Decodes every element of `bytes` (a whole number of `dtype` elements).
    pub(crate) fn decode_all(&mut self, dtype: &Datatype, bytes: &[u8]) -> Result<Vec<Value>> {
        elements(dtype, bytes)?
            .map(|e| self.decode(dtype, e))
            .collect()
    }

    /// Decodes every element of `bytes` (a whole number of `dtype` elements) straight
    /// into strings, as [`Decoder::decode_all`] would into [`Value::String`]s; an error
    /// unless `dtype` is a string type.
    pub(crate) fn decode_strings(&mut self, dtype: &Datatype, bytes: &[u8]) -> Result<Vec<String>> {
        elements(dtype, bytes)?
            .map(|e| {
                self.string(dtype, e)?.ok_or_else(|| Error::TypeMismatch {
                    datatype: format!("{dtype:?}"),
                    target: "String",
                })
            })
            .collect()
    }

    /// The string element `bytes` of a string type; `None` for any other type.
    fn string(&mut self, dtype: &Datatype, bytes: &[u8]) -> Result<Option<String>> {
        Ok(match dtype {
            Datatype::FixedString { padding, .. } => Some(fixed_string(bytes, *padding)),
            Datatype::VarLenString { padding, .. } => {
                Some(fixed_string(self.vlen_bytes(bytes, 1)?, *padding))
            }
            _ => None,
        })
    }

    /// Decodes one element.
    pub(crate) fn decode(&mut self, dtype: &Datatype, bytes: &[u8]) -> Result<Value> {
        Ok(match dtype {
            Datatype::Integer { signed, order, .. } => {
                let raw = uint(bytes, *order);
                if *signed {
                    Value::Int(sign_extend(raw, bytes.len()))
                } else {
                    Value::UInt(raw)
                }
            }
            Datatype::Float { order, .. } => Value::Float(float(bytes, *order)?),
            Datatype::Enum { base, .. } => self.decode(base, bytes)?,
            Datatype::FixedString { .. } | Datatype::VarLenString { .. } => {
                Value::String(self.string(dtype, bytes)?.unwrap_or_default())
            }
            Datatype::VarLenSequence { base, .. } => {
                let item = base.size() as usize;
                let data = self.vlen_bytes(bytes, item)?.to_vec();
                Value::List(self.decode_all(base, &data)?)
            }
            Datatype::Compound { fields, .. } => {
                let mut out = Vec::with_capacity(fields.len());
                for f in fields {
                    let start = f.offset as usize;
                    let end = start + f.datatype.size() as usize;
                    let field = bytes.get(start..end).ok_or_else(|| {
                        Error::corrupt(
                            "compound datatype",
                            0,
                            format!("field {:?} overruns the element", f.name),
                        )
                    })?;
                    out.push((f.name.clone(), self.decode(&f.datatype, field)?));
                }
                Value::Compound(out)
            }
            Datatype::Array { base, dims } => {
                let items = self.decode_all(base, bytes)?;
                nest(items, dims)
            }
            // h5py and libhdf5 read bitfields as unsigned integers of their size.
            Datatype::Bitfield {
                size: 1 | 2 | 4 | 8,
                order,
            } => Value::UInt(uint(bytes, *order)),
            Datatype::Bitfield { .. }
            | Datatype::Opaque { .. }
            | Datatype::Reference { .. }
            | Datatype::Time { .. } => Value::Bytes(bytes.to_vec()),
        })
    }

    /// The bytes a variable-length element refers to: `length(4) | collection | index(4)`;
    /// `length` counts items of `item_size` bytes.
    fn vlen_bytes(&mut self, element: &[u8], item_size: usize) -> Result<&[u8]> {
        let Some(ctx) = self.ctx else {
            return Err(Error::unsupported(
                "variable-length data outside a dataset or attribute",
            ));
        };
        let mut c = Cursor::new(element, 0, "variable-length element", ctx.sizes);
        let len = u64::from(c.u32()?);
        let collection = c.offset()?;
        let index = c.u32()?;
        if len == 0 {
            return Ok(&[]);
        }
        let object = self.heap.object(ctx, collection, index)?;
        let want = len.saturating_mul(item_size as u64);
        let n = usize::try_from(want)
            .ok()
            .filter(|&n| n <= object.len())
            .ok_or_else(|| {
                Error::corrupt(
                    "global heap object",
                    collection,
                    format!(
                        "object {index} holds {} bytes, element needs {want}",
                        object.len()
                    ),
                )
            })?;
        Ok(&object[..n])
    }
}

/// Reshapes a flat list into nested lists, outermost dimension first.
pub(crate) fn nest(items: Vec<Value>, dims: &[u32]) -> Value {
    match dims {
        [] | [_] => Value::List(items),
        [_, inner @ ..] => {
            let stride = inner
                .iter()
                .fold(1usize, |a, &d| a.saturating_mul(d as usize))
                .max(1);
            let mut rows = Vec::with_capacity(items.len() / stride);
            let mut it = items.into_iter();
            loop {
                let row: Vec<Value> = it.by_ref().take(stride).collect();
                if row.is_empty() {
                    break;
                }
                rows.push(nest(row, inner));
            }
            Value::List(rows)
        }
    }
}

/// Strips a fixed-length string's padding: trailing NULs, and for space padding trailing
/// spaces too (h5py writes numpy's NUL-padded bytes into space-padded types as they are).
fn fixed_string(bytes: &[u8], padding: StringPadding) -> String {
    let is_pad = |b: u8| b == 0 || (padding == StringPadding::SpacePad && b == b' ');
    let end = bytes.iter().rposition(|&b| !is_pad(b)).map_or(0, |p| p + 1);
    let bytes = &bytes[..end];
    // Valid UTF-8 is the common case, and checking it is cheaper than the lossy walk.
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_owned(),
        Err(_) => String::from_utf8_lossy(bytes).into_owned(),
    }
}

pub(crate) fn uint(bytes: &[u8], order: ByteOrder) -> u64 {
    let fold = |acc: u64, &b: &u8| (acc << 8) | u64::from(b);
    match order {
        ByteOrder::Little => bytes.iter().rev().take(8).fold(0, fold),
        ByteOrder::Big => bytes.iter().take(8).fold(0, fold),
    }
}

pub(crate) fn sign_extend(raw: u64, size: usize) -> i64 {
    if size >= 8 || size == 0 {
        return raw as i64;
    }
    let shift = 64 - 8 * size as u32;
    ((raw << shift) as i64) >> shift
}

pub(crate) fn float(bytes: &[u8], order: ByteOrder) -> Result<f64> {
    let raw = uint(bytes, order);
    Ok(match bytes.len() {
        2 => f64::from(f16_to_f32(raw as u16)),
        4 => f64::from(f32::from_bits(raw as u32)),
        8 => f64::from_bits(raw),
        n => return Err(Error::unsupported(format!("{n}-byte floating point"))),
    })
}

/// IEEE half precision to single precision.
pub(crate) fn f16_to_f32(h: u16) -> f32 {
    let sign = u32::from(h >> 15) << 31;
    let exp = u32::from((h >> 10) & 0x1f);
    let man = u32::from(h & 0x3ff);
    let bits = match (exp, man) {
        (0, 0) => sign,
        (0, m) => {
            // Subnormal: normalise.
            let mut e = 127 - 15 + 1;
            let mut m = m;
            while m & 0x400 == 0 {
                m <<= 1;
                e -= 1;
            }
            sign | (e << 23) | ((m & 0x3ff) << 13)
        }
        (0x1f, m) => sign | 0x7f80_0000 | (m << 13),
        (e, m) => sign | ((e + 127 - 15) << 23) | (m << 13),
    };
    f32::from_bits(bits)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn half_precision() {
        assert_eq!(f16_to_f32(0x3c00), 1.0);
        assert_eq!(f16_to_f32(0xc000), -2.0);
        assert_eq!(f16_to_f32(0x7bff), 65504.0);
        assert_eq!(f16_to_f32(0x0001), 5.960_464_5e-8);
        assert!(f16_to_f32(0x7e00).is_nan());
        assert_eq!(f16_to_f32(0xfc00), f32::NEG_INFINITY);
    }

    #[test]
    fn integers_and_strings() {
        assert_eq!(sign_extend(0xff, 1), -1);
        assert_eq!(sign_extend(0x7f, 1), 127);
        assert_eq!(uint(&[1, 2], ByteOrder::Big), 0x0102);
        assert_eq!(fixed_string(b"ab\0\0", StringPadding::NullPad), "ab");
        assert_eq!(fixed_string(b"ab  ", StringPadding::SpacePad), "ab");
        assert_eq!(fixed_string(b"ab \0 ", StringPadding::SpacePad), "ab");
        assert_eq!(fixed_string(b"ab  ", StringPadding::NullPad), "ab  ");
        assert_eq!(fixed_string(b"ab \0 ", StringPadding::SpacePad), "ab");
        assert_eq!(fixed_string(b"ab  ", StringPadding::NullPad), "ab  ");
        assert_eq!(
            fixed_string(b"\xffa", StringPadding::NullTerminate),
            "\u{fffd}a"
        );
    }

    #[test]
    fn decodes_strings_as_values_would() {
        use crate::format::global_heap::encode_collection;
        use crate::format::messages::CharSet;
        use crate::format::Sizes;
        use crate::storage::{MemStorage, Source};
        use std::sync::Arc;

        let objects: [&[u8]; 3] = [b"ok", b"\xffa\0", b"pad  "];
        let ctx = Ctx {
            source: Source::new(Arc::new(MemStorage::new(
                encode_collection(&objects).unwrap(),
            ))),
            base: 0,
            sizes: Sizes::default(),
        };
        let mut elements = Vec::new();
        for (index, o) in (1u32..).zip(objects) {
            elements.extend_from_slice(&(o.len() as u32).to_le_bytes());
            elements.extend_from_slice(&0u64.to_le_bytes());
            elements.extend_from_slice(&index.to_le_bytes());
        }
        // An empty string points nowhere.
        elements.extend_from_slice(&[0; 16]);
        let vlen = Datatype::VarLenString {
            size: 16,
            padding: StringPadding::SpacePad,
            charset: CharSet::Utf8,
        };
        let fixed = Datatype::FixedString {
            size: 4,
            padding: StringPadding::NullPad,
            charset: CharSet::Ascii,
        };
        let want = ["ok", "\u{fffd}a", "pad", ""];
        for (dtype, bytes) in [
            (&vlen, &elements[..]),
            (&fixed, b"ok\0\0\xffa\0\0pad\0\0\0\0\0"),
        ] {
            let strings = Decoder::new(&ctx).decode_strings(dtype, bytes).unwrap();
            assert_eq!(strings, want);
            let values = Decoder::new(&ctx).decode_all(dtype, bytes).unwrap();
            assert_eq!(values, want.map(|s| Value::String(s.to_owned())));
        }
        // A bad index is the same error either way; other types are refused.
        let mut bad = elements.clone();
        bad[12..16].copy_from_slice(&9u32.to_le_bytes());
        let a = Decoder::new(&ctx).decode_strings(&vlen, &bad).unwrap_err();
        let b = Decoder::new(&ctx).decode_all(&vlen, &bad).unwrap_err();
        assert_eq!(a.to_string(), b.to_string());
        let int = Datatype::Integer {
            size: 4,
            signed: true,
            order: ByteOrder::Little,
        };
        assert!(matches!(
            Decoder::new(&ctx).decode_strings(&int, &[0; 8]),
            Err(Error::TypeMismatch { .. })
        ));
    }

    #[test]
    fn bitfields_are_unsigned_integers() {
        let b16 = |order| Datatype::Bitfield { size: 2, order };
        assert_eq!(
            decode_value(&b16(ByteOrder::Little), &[0x01, 0x80]).unwrap(),
            Value::UInt(0x8001)
        );
        assert_eq!(
            decode_value(&b16(ByteOrder::Big), &[0x01, 0x80]).unwrap(),
            Value::UInt(0x0180)
        );
        let odd = Datatype::Bitfield {
            size: 3,
            order: ByteOrder::Little,
        };
        assert_eq!(
            decode_value(&odd, &[1, 2, 3]).unwrap(),
            Value::Bytes(vec![1, 2, 3])
        );
        let bytes = [0xff, 0x01];
        let one = Datatype::Bitfield {
            size: 1,
            order: ByteOrder::Little,
        };
        assert_eq!(
            crate::read::convert::convert::<i32>(&bytes, &one).unwrap(),
            vec![255, 1]
        );
    }

    #[test]
    fn nesting() {
        let items: Vec<Value> = (0..6).map(Value::Int).collect();
        let Value::List(rows) = nest(items, &[2, 3]) else {
            panic!()
        };
        assert_eq!(rows.len(), 2);
        assert_eq!(
            rows[1],
            Value::List(vec![Value::Int(3), Value::Int(4), Value::Int(5)])
        );
    }
}
