//! Encoding of the Datatype message (spec IV.A.2.d) in the versions libhdf5 writes for
//! the "earliest" file format: version 1, except for array types (version 2) and the
//! types libhdf5 upgrades because of them.
//!
//! libhdf5's upgrades, as observed in h5py files (libhdf5 2.0) and reproduced here:
//! * a compound takes the highest version of its members; when inserting a member
//!   raises the compound's version, every member inserted so far (the new one
//!   included) has its compound, array and enumeration types raised to that version,
//!   at every depth. h5py inserts members in field order, so in a compound whose
//!   first version 2 member is field `j`, the complex types of fields `0..=j` are
//!   version 2 and those of later fields keep their own version;
//! * an array is at least version 2; its base type is not upgraded by that;
//! * a variable-length type has the version of its base type.

use super::{ByteOrder, CharSet, Datatype, StringPadding};
use crate::error::{Error, Result};
use crate::format::{MAX_RANK as MAX_ARRAY_RANK, MAX_TYPE_DEPTH as MAX_DEPTH};

/// Longest opaque tag libhdf5 accepts, padded to a multiple of 8 (`H5T_OPAQUE_TAG_MAX`
/// is 256 including the NUL; the stored length is a multiple of 8 below 256).
const MAX_OPAQUE_TAG: usize = 248;

/// Encodes `dt` (and its members) onto `out`. `floor` is the version an enclosing
/// compound's upgrade raised this type to (1 if none).
pub(super) fn encode_into(dt: &Datatype, out: &mut Vec<u8>, depth: u32, floor: u8) -> Result<()> {
    if depth > MAX_DEPTH {
        return Err(Error::unsupported(format!(
            "writing datatypes nested deeper than {MAX_DEPTH}"
        )));
    }
    let version = effective_version(dt, floor);
    match dt {
        Datatype::Integer {
            size,
            signed,
            order,
        } => {
            if !matches!(size, 1 | 2 | 4 | 8) {
                return Err(Error::unsupported(format!("writing a {size}-byte integer")));
            }
            let bits = order_bit(*order) | if *signed { 0x08 } else { 0 };
            header(out, 0, version, bits, *size);
            bit_field(out, *size);
        }
        Datatype::Float { size, order } => {
            // (sign location, exponent location, exponent bits, mantissa bits, bias):
            // the IEEE 754 binary16/32/64 layouts, as libhdf5's H5T_IEEE_F*.
            let (sign, exp_loc, exp_size, mant_size, bias): (u32, u8, u8, u8, u32) = match size {
                2 => (15, 10, 5, 10, 15),
                4 => (31, 23, 8, 23, 127),
                8 => (63, 52, 11, 52, 1023),
                n => {
                    return Err(Error::unsupported(format!(
                        "writing a {n}-byte floating point type"
                    )))
                }
            };
            // Bit 0 byte order, bits 4-5 mantissa normalization (2: implied leading
            // 1), bits 8-15 sign location.
            let bits = order_bit(*order) | 0x20 | (sign << 8);
            header(out, 1, version, bits, *size);
            bit_field(out, *size);
            out.extend_from_slice(&[exp_loc, exp_size, 0, mant_size]);
            out.extend_from_slice(&bias.to_le_bytes());
        }
        Datatype::FixedString {
            size,
            padding,
            charset,
        } => {
            let bits = padding_bits(*padding) | (charset_bits(*charset) << 4);
            header(out, 3, version, bits, *size);
        }
        Datatype::Bitfield { size, order } => {
            if *size == 0 || *size > 8191 {
                return Err(Error::unsupported(format!(
                    "writing a {size}-byte bitfield"
                )));
            }
            header(out, 4, version, order_bit(*order), *size);
            bit_field(out, *size);
        }
        Datatype::Opaque { size, tag } => {
            let raw = tag.as_bytes();
            check_name("opaque tag", tag)?;
            let padded = raw.len().next_multiple_of(8);
            if padded > MAX_OPAQUE_TAG {
                return Err(Error::unsupported(format!(
                    "writing an opaque tag of {} bytes (at most {MAX_OPAQUE_TAG})",
                    raw.len()
                )));
            }
            header(out, 5, version, padded as u32, *size);
            out.extend_from_slice(raw);
            out.resize(out.len() + (padded - raw.len()), 0);
        }
        Datatype::Compound { size, fields } => {
            let n = u16::try_from(fields.len()).map_err(|_| {
                Error::unsupported(format!(
                    "writing a compound of {} members (at most 65535)",
                    fields.len()
                ))
            })?;
            header(out, 6, version, u32::from(n), *size);
            let floors = insertion_floors(fields.iter().map(|f| &f.datatype));
            for (f, member_floor) in fields.iter().zip(floors) {
                let end = u64::from(f.offset) + u64::from(f.datatype.size());
                if end > u64::from(*size) {
                    return Err(Error::unsupported(format!(
                        "writing compound member {:?} at offset {} ({} bytes) past the end \
                         of the {size}-byte compound",
                        f.name,
                        f.offset,
                        f.datatype.size()
                    )));
                }
                padded_name(out, "compound member name", &f.name)?;
                out.extend_from_slice(&f.offset.to_le_bytes());
                if version == 1 {
                    // Dimensionality 0, reserved (3), permutation (4), reserved (4),
                    // four dimension sizes (16): the version 1 array-member fields,
                    // unused since array members make the compound version 2.
                    out.resize(out.len() + 28, 0);
                }
                encode_into(&f.datatype, out, depth + 1, member_floor.max(floor))?;
            }
        }
        Datatype::Enum { base, members } => {
            let n = u16::try_from(members.len()).map_err(|_| {
                Error::unsupported(format!(
                    "writing an enumeration of {} members (at most 65535)",
                    members.len()
                ))
            })?;
            let width = base.size() as usize;
            header(out, 8, version, u32::from(n), base.size());
            encode_into(base, out, depth + 1, floor)?;
            for m in members {
                padded_name(out, "enumeration member name", &m.name)?;
            }
            for m in members {
                if m.value.len() != width {
                    return Err(Error::unsupported(format!(
                        "writing enumeration member {:?} with a {}-byte value over a \
                         {width}-byte base type",
                        m.name,
                        m.value.len()
                    )));
                }
                out.extend_from_slice(&m.value);
            }
        }
        Datatype::VarLenSequence { size, base } => {
            header(out, 9, version, 0, *size);
            encode_into(base, out, depth + 1, floor)?;
        }
        Datatype::VarLenString {
            size,
            padding,
            charset,
        } => {
            // Type 1 (string), padding in bits 4-7, character set in bits 8-11; the
            // base type is the unsigned byte libhdf5 stores for every string.
            let bits = 1 | (padding_bits(*padding) << 4) | (charset_bits(*charset) << 8);
            header(out, 9, version, bits, *size);
            let byte = Datatype::Integer {
                size: 1,
                signed: false,
                order: ByteOrder::Little,
            };
            encode_into(&byte, out, depth + 1, floor)?;
        }
        Datatype::Array { base, dims } => {
            if dims.is_empty() || dims.len() > MAX_ARRAY_RANK {
                return Err(Error::unsupported(format!(
                    "writing an array datatype of rank {} (1 to {MAX_ARRAY_RANK})",
                    dims.len()
                )));
            }
            let total = dims.iter().try_fold(u64::from(base.size()), |acc, &d| {
                acc.checked_mul(u64::from(d))
            });
            let size = total.and_then(|t| u32::try_from(t).ok()).ok_or_else(|| {
                Error::unsupported(format!(
                    "writing an array datatype {dims:?} of {}-byte items: over 4 GiB",
                    base.size()
                ))
            })?;
            header(out, 10, version, 0, size);
            // Rank, 3 reserved bytes, the dimensions, then the permutation indices
            // (never implemented by libhdf5, which writes the identity).
            out.extend_from_slice(&[dims.len() as u8, 0, 0, 0]);
            for d in dims {
                out.extend_from_slice(&d.to_le_bytes());
            }
            for i in 0..dims.len() as u32 {
                out.extend_from_slice(&i.to_le_bytes());
            }
            encode_into(base, out, depth + 1, floor)?;
        }
        Datatype::Reference { .. } => {
            return Err(Error::unsupported("writing reference datatypes"));
        }
        Datatype::Time { .. } => return Err(Error::unsupported("writing time datatypes")),
    }
    Ok(())
}

/// The version `dt` has as built, before any upgrade by an enclosing compound: 2 for
/// an array and for anything holding a version 2 type, else 1.
pub(super) fn natural_version(dt: &Datatype) -> u8 {
    match dt {
        Datatype::Array { base, .. } => natural_version(base).max(2),
        Datatype::Compound { fields, .. } => fields
            .iter()
            .map(|f| natural_version(&f.datatype))
            .max()
            .unwrap_or(1),
        Datatype::VarLenSequence { base, .. } | Datatype::Enum { base, .. } => {
            natural_version(base)
        }
        _ => 1,
    }
}

/// The version written for `dt` once raised to `floor` by an enclosing compound:
/// compound, array and enumeration types are raised, a variable-length type follows
/// its (raised) base type, and the other classes stay at version 1.
fn effective_version(dt: &Datatype, floor: u8) -> u8 {
    match dt {
        Datatype::Array { .. } | Datatype::Compound { .. } | Datatype::Enum { .. } => {
            natural_version(dt).max(floor)
        }
        Datatype::VarLenSequence { base, .. } => effective_version(base, floor),
        _ => 1,
    }
}

/// For each member of a compound, in insertion (field) order, the version libhdf5
/// raised it to: each time a member raises the compound's version, all members
/// inserted so far, that one included, are raised to it.
fn insertion_floors<'a>(members: impl Iterator<Item = &'a Datatype>) -> Vec<u8> {
    let mut floors: Vec<u8> = Vec::new();
    let mut parent = 1u8;
    for dt in members {
        let v = natural_version(dt);
        floors.push(1);
        if v > parent {
            parent = v;
            for f in &mut floors {
                *f = (*f).max(v);
            }
        }
    }
    floors
}

/// The 8-byte header: class and version, 24 bits of class bit fields, size.
fn header(out: &mut Vec<u8>, class: u8, version: u8, bits: u32, size: u32) {
    out.push((version << 4) | class);
    out.extend_from_slice(&bits.to_le_bytes()[..3]);
    out.extend_from_slice(&size.to_le_bytes());
}

/// Bit offset 0 and precision of every bit of `size` bytes (integers, floats,
/// bitfields); `size` is at most 8191, so the precision fits 16 bits.
fn bit_field(out: &mut Vec<u8>, size: u32) {
    out.extend_from_slice(&0u16.to_le_bytes());
    out.extend_from_slice(&((size * 8) as u16).to_le_bytes());
}

fn order_bit(order: ByteOrder) -> u32 {
    match order {
        ByteOrder::Little => 0,
        ByteOrder::Big => 1,
    }
}

fn padding_bits(p: StringPadding) -> u32 {
    match p {
        StringPadding::NullTerminate => 0,
        StringPadding::NullPad => 1,
        StringPadding::SpacePad => 2,
    }
}

fn charset_bits(c: CharSet) -> u32 {
    match c {
        CharSet::Ascii => 0,
        CharSet::Utf8 => 1,
    }
}

/// Refuses names with a NUL byte, which would end them early when read back.
fn check_name(what: &str, name: &str) -> Result<()> {
    if name.as_bytes().contains(&0) {
        return Err(Error::unsupported(format!(
            "writing a {what} containing a NUL byte: {name:?}"
        )));
    }
    Ok(())
}

/// A name, NUL-terminated and padded with NULs to a multiple of 8 bytes (versions 1
/// and 2).
fn padded_name(out: &mut Vec<u8>, what: &str, name: &str) -> Result<()> {
    check_name(what, name)?;
    let len = name.len() + 1;
    out.extend_from_slice(name.as_bytes());
    out.resize(out.len() + len.next_multiple_of(8) - name.len(), 0);
    Ok(())
}
