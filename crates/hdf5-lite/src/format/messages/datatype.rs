//! Datatype message, type 0x0003 (spec IV.A.2.d), versions 1 to 4 (5 where it matters).

use crate::error::Result;
use crate::format::Cursor;

mod decode;
mod describe;
mod encode;
#[cfg(test)]
mod tests;

/// Byte order of a number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ByteOrder {
    /// Little-endian.
    Little,
    /// Big-endian.
    Big,
}

/// How a fixed-length string fills unused bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StringPadding {
    /// NUL-terminated (h5py's default for variable-length strings).
    NullTerminate,
    /// Padded with NULs (numpy `S<n>`).
    NullPad,
    /// Padded with spaces (Fortran style).
    SpacePad,
}

/// Character set of a string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CharSet {
    /// US-ASCII.
    Ascii,
    /// UTF-8.
    Utf8,
}

/// One member of an enumeration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnumMember {
    /// Its name.
    pub name: String,
    /// Its value, stored in the base type's bytes.
    pub value: Vec<u8>,
}

/// One field of a compound type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompoundField {
    /// Its name.
    pub name: String,
    /// Byte offset inside the compound element.
    pub offset: u32,
    /// Its type.
    pub datatype: Datatype,
}

/// An element type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Datatype {
    /// Fixed-point integer (class 0) of 1, 2, 4 or 8 bytes.
    Integer {
        /// Bytes per element.
        size: u32,
        /// Two's complement signed.
        signed: bool,
        /// Byte order.
        order: ByteOrder,
    },
    /// IEEE floating point (class 1) of 2, 4 or 8 bytes.
    Float {
        /// Bytes per element.
        size: u32,
        /// Byte order.
        order: ByteOrder,
    },
    /// Fixed-length string (class 3).
    FixedString {
        /// Bytes per element.
        size: u32,
        /// Padding of unused bytes.
        padding: StringPadding,
        /// Character set.
        charset: CharSet,
    },
    /// Variable-length string (class 9, type 1): each element is a global heap reference.
    VarLenString {
        /// Bytes per stored element (4 + size of offsets + 4).
        size: u32,
        /// Padding.
        padding: StringPadding,
        /// Character set.
        charset: CharSet,
    },
    /// Variable-length sequence (class 9, type 0) of `base`.
    VarLenSequence {
        /// Bytes per stored element (4 + size of offsets + 4).
        size: u32,
        /// The type of each item.
        base: Box<Datatype>,
    },
    /// Enumeration (class 8) over an integer base type.
    Enum {
        /// The integer type holding the values.
        base: Box<Datatype>,
        /// Name and value of each member.
        members: Vec<EnumMember>,
    },
    /// Compound (class 6).
    Compound {
        /// Bytes per element.
        size: u32,
        /// The fields, in stored order.
        fields: Vec<CompoundField>,
    },
    /// Fixed-size array (class 10) of `base`.
    Array {
        /// The type of each item.
        base: Box<Datatype>,
        /// The array's dimensions.
        dims: Vec<u32>,
    },
    /// Bitfield (class 4).
    Bitfield {
        /// Bytes per element.
        size: u32,
        /// Byte order.
        order: ByteOrder,
    },
    /// Opaque bytes (class 5).
    Opaque {
        /// Bytes per element.
        size: u32,
        /// The ASCII tag.
        tag: String,
    },
    /// Object or region reference (class 7).
    Reference {
        /// Bytes per element.
        size: u32,
    },
    /// Time (class 2); never written by current libhdf5.
    Time {
        /// Bytes per element.
        size: u32,
    },
}

impl Datatype {
    /// Decodes the message body (or a datatype nested in another message).
    pub fn decode(c: &mut Cursor<'_>) -> Result<Self> {
        decode::decode_at(c, 0)
    }

    /// Encodes the message body as libhdf5 writes it in an "earliest" file: version 1,
    /// or version 2 for array types and types containing one (see the `encode`
    /// module). Offsets of compound members are stored in 4 bytes; a variable-length
    /// string's base type is an unsigned byte.
    ///
    /// Reference and time types are not written; sizes the decoder would refuse
    /// (e.g. a 3-byte integer) are errors.
    pub fn encode(&self) -> Result<Vec<u8>> {
        let mut out = Vec::new();
        encode::encode_into(self, &mut out, 0, 1)?;
        Ok(out)
    }

    /// Bytes per stored element.
    pub fn size(&self) -> u32 {
        match self {
            Datatype::Integer { size, .. }
            | Datatype::Float { size, .. }
            | Datatype::FixedString { size, .. }
            | Datatype::VarLenString { size, .. }
            | Datatype::VarLenSequence { size, .. }
            | Datatype::Compound { size, .. }
            | Datatype::Bitfield { size, .. }
            | Datatype::Opaque { size, .. }
            | Datatype::Reference { size }
            | Datatype::Time { size } => *size,
            Datatype::Enum { base, .. } => base.size(),
            Datatype::Array { base, dims } => dims
                .iter()
                .fold(base.size(), |acc, &d| acc.saturating_mul(d)),
        }
    }
}
