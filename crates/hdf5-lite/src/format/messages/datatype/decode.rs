//! Decoding of the Datatype message (spec IV.A.2.d), one function per class.

use super::{ByteOrder, CharSet, CompoundField, Datatype, EnumMember, StringPadding};
use crate::error::{Error, Result};
use crate::format::{Cursor, MAX_RANK, MAX_TYPE_DEPTH as MAX_DEPTH};

/// The fixed 8-byte header shared by every class.
struct Header {
    version: u8,
    bits: u32,
    size: u32,
}

/// Decodes one datatype at nesting depth `depth`.
pub(super) fn decode_at(c: &mut Cursor<'_>, depth: u32) -> Result<Datatype> {
    if depth > MAX_DEPTH {
        return Err(c.corrupt(format!("datatypes nested deeper than {MAX_DEPTH}")));
    }
    let class_version = c.u8()?;
    let version = class_version >> 4;
    let class = class_version & 0x0f;
    let bits = c.uint(3)? as u32;
    let size = c.u32()?;
    match version {
        1..=5 => {}
        0 => return Err(c.corrupt("datatype message version 0")),
        v => return Err(Error::unsupported(format!("datatype message version {v}"))),
    }
    let h = Header {
        version,
        bits,
        size,
    };
    match class {
        0 => integer(c, &h),
        1 => float(c, &h),
        2 => {
            let _precision = c.u16()?;
            Ok(Datatype::Time { size })
        }
        3 => Ok(Datatype::FixedString {
            size,
            padding: padding(c, bits & 0x0f)?,
            charset: charset(c, (bits >> 4) & 0x0f)?,
        }),
        4 => {
            let _offset = c.u16()?;
            let _precision = c.u16()?;
            Ok(Datatype::Bitfield {
                size,
                order: order(bits),
            })
        }
        5 => {
            let tag = c.bytes((bits & 0xff) as usize)?;
            Ok(Datatype::Opaque {
                size,
                tag: until_nul(tag),
            })
        }
        6 => compound(c, &h, depth),
        7 => Ok(Datatype::Reference { size }),
        8 => enumeration(c, &h, depth),
        9 => vlen(c, &h, depth),
        10 => array(c, &h, depth),
        11 => Err(Error::unsupported("complex number datatype (class 11)")),
        k => Err(c.corrupt(format!("unknown datatype class {k}"))),
    }
}

fn order(bits: u32) -> ByteOrder {
    if bits & 1 != 0 {
        ByteOrder::Big
    } else {
        ByteOrder::Little
    }
}

fn padding(c: &Cursor<'_>, v: u32) -> Result<StringPadding> {
    match v {
        0 => Ok(StringPadding::NullTerminate),
        1 => Ok(StringPadding::NullPad),
        2 => Ok(StringPadding::SpacePad),
        p => Err(c.corrupt(format!("unknown string padding {p}"))),
    }
}

fn charset(c: &Cursor<'_>, v: u32) -> Result<CharSet> {
    match v {
        0 => Ok(CharSet::Ascii),
        1 => Ok(CharSet::Utf8),
        s => Err(c.corrupt(format!("unknown character set {s}"))),
    }
}

/// The bytes before the first NUL, as text (invalid UTF-8 replaced).
fn until_nul(b: &[u8]) -> String {
    let n = b.iter().position(|&x| x == 0).unwrap_or(b.len());
    String::from_utf8_lossy(b.get(..n).unwrap_or_default()).into_owned()
}

/// A NUL-terminated name; in datatype versions 1 and 2 padded to a multiple of 8 bytes
/// (counted from the name's first byte, NUL included).
fn name(c: &mut Cursor<'_>, padded: bool) -> Result<String> {
    let start = c.pos();
    let raw = c.cstr()?;
    let s = String::from_utf8_lossy(raw).into_owned();
    if padded {
        let used = c.pos() - start;
        c.skip(used.next_multiple_of(8) - used)?;
    }
    Ok(s)
}

fn integer(c: &mut Cursor<'_>, h: &Header) -> Result<Datatype> {
    let offset = c.u16()?;
    let precision = c.u16()?;
    if !matches!(h.size, 1 | 2 | 4 | 8) {
        return Err(Error::unsupported(format!("{}-byte integer", h.size)));
    }
    if precision == 0 || u32::from(offset) + u32::from(precision) > h.size * 8 {
        return Err(c.corrupt(format!(
            "integer bit offset {offset} and precision {precision} do not fit {} bytes",
            h.size
        )));
    }
    Ok(Datatype::Integer {
        size: h.size,
        signed: h.bits & 0x08 != 0,
        order: order(h.bits),
    })
}

fn float(c: &mut Cursor<'_>, h: &Header) -> Result<Datatype> {
    let order = match (h.bits & 1, (h.bits >> 6) & 1) {
        (0, 0) => ByteOrder::Little,
        (1, 0) => ByteOrder::Big,
        (1, 1) => return Err(Error::unsupported("VAX-endian floating point")),
        _ => return Err(c.corrupt("reserved floating-point byte order")),
    };
    let offset = c.u16()?;
    let precision = c.u16()?;
    let exp_loc = c.u8()?;
    let exp_size = c.u8()?;
    let mant_loc = c.u8()?;
    let mant_size = c.u8()?;
    let bias = c.u32()?;
    let sign = (h.bits >> 8) & 0xff;
    let norm = (h.bits >> 4) & 0x03;
    // (sign location, exponent location, exponent bits, mantissa bits, bias)
    let ieee: (u32, u8, u8, u8, u32) = match h.size {
        2 => (15, 10, 5, 10, 15),
        4 => (31, 23, 8, 23, 127),
        8 => (63, 52, 11, 52, 1023),
        n => return Err(Error::unsupported(format!("{n}-byte floating point"))),
    };
    let got = (sign, exp_loc, exp_size, mant_size, bias);
    if got != ieee
        || offset != 0
        || u32::from(precision) != h.size * 8
        || mant_loc != 0
        || norm != 2
    {
        return Err(Error::unsupported(format!(
            "non-IEEE {}-bit floating point (sign bit {sign}, exponent {exp_size} bits at \
             {exp_loc} with bias {bias}, mantissa {mant_size} bits at {mant_loc}, precision \
             {precision} at offset {offset}, normalization {norm})",
            h.size * 8
        )));
    }
    Ok(Datatype::Float {
        size: h.size,
        order,
    })
}

/// Bytes needed to store offsets below `size` (version 3 compound member offsets).
fn offset_width(size: u32) -> usize {
    let mut n = 1;
    while n < 4 && (size >> (8 * n)) != 0 {
        n += 1;
    }
    n
}

fn compound(c: &mut Cursor<'_>, h: &Header, depth: u32) -> Result<Datatype> {
    let n = (h.bits & 0xffff) as usize;
    // Each field takes at least a name, an offset and a type header: size the list by the
    // bytes present, not by the count the message claims.
    let mut fields = Vec::with_capacity(n.min(c.remaining() / 10));
    for _ in 0..n {
        let field_name = name(c, h.version < 3)?;
        let offset = if h.version < 3 {
            c.u32()?
        } else {
            c.uint(offset_width(h.size))? as u32
        };
        let mut array_dims = Vec::new();
        if h.version == 1 {
            let ndims = c.u8()?;
            c.skip(3 + 4 + 4)?; // reserved, permutation, reserved
            let mut dims = [0u32; 4];
            for d in &mut dims {
                *d = c.u32()?;
            }
            if ndims > 4 {
                return Err(c.corrupt(format!(
                    "compound member {field_name:?} has {ndims} array dimensions (at most 4)"
                )));
            }
            array_dims.extend_from_slice(dims.get(..usize::from(ndims)).unwrap_or_default());
        }
        let mut datatype = decode_at(c, depth + 1)?;
        if !array_dims.is_empty() {
            datatype = Datatype::Array {
                base: Box::new(datatype),
                dims: array_dims,
            };
        }
        let end = u64::from(offset) + u64::from(datatype.size());
        if end > u64::from(h.size) {
            return Err(c.corrupt(format!(
                "compound member {field_name:?} at offset {offset} ({} bytes) overruns the \
                 {}-byte compound",
                datatype.size(),
                h.size
            )));
        }
        fields.push(CompoundField {
            name: field_name,
            offset,
            datatype,
        });
    }
    Ok(Datatype::Compound {
        size: h.size,
        fields,
    })
}

fn enumeration(c: &mut Cursor<'_>, h: &Header, depth: u32) -> Result<Datatype> {
    let n = (h.bits & 0xffff) as usize;
    let base = decode_at(c, depth + 1)?;
    if base.size() != h.size {
        return Err(c.corrupt(format!(
            "enumeration of {} bytes over a {}-byte base type",
            h.size,
            base.size()
        )));
    }
    let mut names = Vec::with_capacity(n.min(c.remaining()));
    for _ in 0..n {
        names.push(name(c, h.version < 3)?);
    }
    let width = base.size() as usize;
    let mut members = Vec::with_capacity(names.len());
    for name in names {
        members.push(EnumMember {
            name,
            value: c.bytes(width)?.to_vec(),
        });
    }
    Ok(Datatype::Enum {
        base: Box::new(base),
        members,
    })
}

/// A variable-length type. Its stored elements are always a length (4 bytes), a global
/// heap collection address and an object index (4 bytes), so the element size is taken
/// from the file's size of offsets, as libhdf5 does; the message's size field (the
/// writer's in-memory size) is not trusted.
fn vlen(c: &mut Cursor<'_>, h: &Header, depth: u32) -> Result<Datatype> {
    let kind = h.bits & 0x0f;
    let pad = (h.bits >> 4) & 0x0f;
    let cset = (h.bits >> 8) & 0x0f;
    let base = decode_at(c, depth + 1)?;
    let size = 4 + u32::from(c.sizes().offsets) + 4;
    match kind {
        0 => Ok(Datatype::VarLenSequence {
            size,
            base: Box::new(base),
        }),
        1 => Ok(Datatype::VarLenString {
            size,
            padding: padding(c, pad)?,
            charset: charset(c, cset)?,
        }),
        k => Err(c.corrupt(format!("unknown variable-length type {k}"))),
    }
}

fn array(c: &mut Cursor<'_>, h: &Header, depth: u32) -> Result<Datatype> {
    if h.version < 2 {
        return Err(c.corrupt("array datatype in a version 1 datatype message"));
    }
    let ndims = c.u8()?;
    if ndims == 0 || usize::from(ndims) > MAX_RANK {
        return Err(c.corrupt(format!("array datatype of rank {ndims}")));
    }
    if h.version == 2 {
        c.skip(3)?;
    }
    let dims = (0..ndims).map(|_| c.u32()).collect::<Result<Vec<u32>>>()?;
    if h.version == 2 {
        c.skip(4 * usize::from(ndims))?; // permutation indices, never implemented
    }
    let base = decode_at(c, depth + 1)?;
    let total = dims.iter().try_fold(u64::from(base.size()), |acc, &d| {
        acc.checked_mul(u64::from(d))
    });
    if total != Some(u64::from(h.size)) {
        return Err(c.corrupt(format!(
            "array datatype of {} bytes does not match {dims:?} x {} bytes",
            h.size,
            base.size()
        )));
    }
    Ok(Datatype::Array {
        base: Box::new(base),
        dims,
    })
}
