//! The contents of a row, column or global attribute (loompy-api.md §9, §10.2).
//!
//! loompy hands back numpy arrays; here an attribute is an [`AttrValues`]: an n-dimensional
//! array of numbers, bools, strings (or the fields of a compound such as a pySCENIC
//! regulon table), with the stored dtype kept so that `int32` stays `int32`.
//!
//! | Rust value given to `set` | numpy equivalent | stored as |
//! |---|---|---|
//! | `i8`/`i16`/`i32`/`i64` (scalar, `Vec`, ndarray) | `int8` … `int64` | same width, signed |
//! | `u8`/`u16`/`u32`/`u64` | `uint8` … `uint64` | same width, unsigned |
//! | `f32`/`f64` | `float32`/`float64` | same width |
//! | `bool` | `bool` | `uint8` 0/1 (as loompy); reads back as [`AttrValues::UInt`] |
//! | `&str`/`String` | `str` / object | spec 3: vlen UTF-8; spec 2: fixed-length ASCII with `&#NNN;` escapes |
//! | [`AttrValues::Compound`] of the above | structured array | compound, fields packed in order (strings fixed-length) |
//!
//! A scalar (as a global attribute holds) is a 0-dimensional array.

use ndarray::{Array, ArrayD, Dimension, IxDyn};

use hdf5_lite::format::messages::{ByteOrder, CharSet, Datatype, StringPadding};
use hdf5_lite::read::{Attribute, Dataset};

use crate::error::{LoomError, Result};
use crate::{compound, strings};

/// A numpy-style element type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Dtype {
    /// `int8`
    Int8,
    /// `int16`
    Int16,
    /// `int32`
    Int32,
    /// `int64`
    Int64,
    /// `uint8`
    UInt8,
    /// `uint16`
    UInt16,
    /// `uint32`
    UInt32,
    /// `uint64`
    UInt64,
    /// `float16` (read only)
    Float16,
    /// `float32`
    Float32,
    /// `float64`
    Float64,
    /// `bool` (written as `uint8`)
    Bool,
    /// Strings (`object` in loompy).
    Str,
    /// A compound (structured) type.
    Compound,
}

impl Dtype {
    /// numpy's name for it (`str(dtype)`), as loompy's error messages print it.
    pub fn name(self) -> &'static str {
        match self {
            Dtype::Int8 => "int8",
            Dtype::Int16 => "int16",
            Dtype::Int32 => "int32",
            Dtype::Int64 => "int64",
            Dtype::UInt8 => "uint8",
            Dtype::UInt16 => "uint16",
            Dtype::UInt32 => "uint32",
            Dtype::UInt64 => "uint64",
            Dtype::Float16 => "float16",
            Dtype::Float32 => "float32",
            Dtype::Float64 => "float64",
            Dtype::Bool => "bool",
            Dtype::Str => "object",
            Dtype::Compound => "compound",
        }
    }

    fn int(bytes: u8) -> Dtype {
        match bytes {
            1 => Dtype::Int8,
            2 => Dtype::Int16,
            4 => Dtype::Int32,
            _ => Dtype::Int64,
        }
    }

    fn uint(bytes: u8) -> Dtype {
        match bytes {
            1 => Dtype::UInt8,
            2 => Dtype::UInt16,
            4 => Dtype::UInt32,
            _ => Dtype::UInt64,
        }
    }
}

/// An attribute's values: an n-dimensional array with its stored element type.
#[derive(Debug, Clone, PartialEq)]
pub enum AttrValues {
    /// Signed integers stored with `bytes` (1, 2, 4 or 8) bytes each.
    Int {
        /// The values.
        values: ArrayD<i64>,
        /// Stored width in bytes.
        bytes: u8,
    },
    /// Unsigned integers stored with `bytes` (1, 2, 4 or 8) bytes each.
    UInt {
        /// The values.
        values: ArrayD<u64>,
        /// Stored width in bytes.
        bytes: u8,
    },
    /// Floats stored with `bytes` (2, 4 or 8) bytes each.
    Float {
        /// The values.
        values: ArrayD<f64>,
        /// Stored width in bytes.
        bytes: u8,
    },
    /// Bools; written as `uint8` (loompy does the same), so they read back as `UInt`.
    Bool(ArrayD<bool>),
    /// Strings, exactly as stored (spec 3) or unescaped (spec 2).
    Str(ArrayD<String>),
    /// A compound attribute (e.g. pySCENIC's `Regulons`, SCope's `Embeddings_X`), one
    /// array per field in stored order (see the `compound` module for how each is stored).
    Compound(Vec<(String, AttrValues)>),
}

impl AttrValues {
    /// The element type.
    pub fn dtype(&self) -> Dtype {
        match self {
            AttrValues::Int { bytes, .. } => Dtype::int(*bytes),
            AttrValues::UInt { bytes, .. } => Dtype::uint(*bytes),
            AttrValues::Float { bytes: 2, .. } => Dtype::Float16,
            AttrValues::Float { bytes: 4, .. } => Dtype::Float32,
            AttrValues::Float { .. } => Dtype::Float64,
            AttrValues::Bool(_) => Dtype::Bool,
            AttrValues::Str(_) => Dtype::Str,
            AttrValues::Compound(_) => Dtype::Compound,
        }
    }

    /// The array's shape (`[]` for a scalar; a compound has its records' shape: that of
    /// its lowest-rank field).
    pub fn shape(&self) -> &[usize] {
        match self {
            AttrValues::Int { values, .. } => values.shape(),
            AttrValues::UInt { values, .. } => values.shape(),
            AttrValues::Float { values, .. } => values.shape(),
            AttrValues::Bool(v) => v.shape(),
            AttrValues::Str(v) => v.shape(),
            AttrValues::Compound(fields) => compound::record_shape(fields),
        }
    }

    /// Number of dimensions (0 for a scalar).
    pub fn ndim(&self) -> usize {
        self.shape().len()
    }

    /// Length along the first axis, as Python's `len()` (1 for a scalar).
    pub fn len(&self) -> usize {
        self.shape().first().copied().unwrap_or(1)
    }

    /// True when the first axis has length 0.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The strings, if these are strings.
    pub fn as_strings(&self) -> Option<&ArrayD<String>> {
        match self {
            AttrValues::Str(v) => Some(v),
            _ => None,
        }
    }

    /// The single string of a scalar (or one-element) string value.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            AttrValues::Str(v) if v.len() == 1 => v.iter().next().map(String::as_str),
            _ => None,
        }
    }

    /// The values as `f64` (numbers and bools), like numpy's `astype(float64)`.
    pub fn to_f64(&self) -> Option<ArrayD<f64>> {
        match self {
            AttrValues::Int { values, .. } => Some(values.mapv(|v| v as f64)),
            AttrValues::UInt { values, .. } => Some(values.mapv(|v| v as f64)),
            AttrValues::Float { values, .. } => Some(values.clone()),
            AttrValues::Bool(v) => Some(v.mapv(|b| f64::from(u8::from(b)))),
            _ => None,
        }
    }

    /// The values as `i64` (integers and bools; floats truncate toward zero).
    pub fn to_i64(&self) -> Option<ArrayD<i64>> {
        match self {
            AttrValues::Int { values, .. } => Some(values.clone()),
            AttrValues::UInt { values, .. } => Some(values.mapv(|v| v as i64)),
            AttrValues::Float { values, .. } => Some(values.mapv(|v| v as i64)),
            AttrValues::Bool(v) => Some(v.mapv(i64::from)),
            _ => None,
        }
    }

    /// Converts numbers and bools to another numeric dtype (numpy's `astype`; bool becomes
    /// 0/1). Strings and compounds only "convert" to their own dtype.
    pub fn cast(&self, dtype: Dtype) -> Result<AttrValues> {
        if dtype == self.dtype() {
            return Ok(self.clone());
        }
        let bad = || {
            LoomError::InvalidInput(format!(
                "cannot convert {} values to {}",
                self.dtype().name(),
                dtype.name()
            ))
        };
        let (f, i) = (
            self.to_f64().ok_or_else(bad)?,
            self.to_i64().ok_or_else(bad)?,
        );
        Ok(match dtype {
            Dtype::Int8 | Dtype::Int16 | Dtype::Int32 | Dtype::Int64 => {
                let bytes = dtype_bytes(dtype);
                let bits = u32::from(bytes) * 8;
                let wrap = move |v: i64| {
                    if bits == 64 {
                        v
                    } else {
                        (v << (64 - bits)) >> (64 - bits)
                    }
                };
                AttrValues::Int {
                    values: i.mapv(wrap),
                    bytes,
                }
            }
            Dtype::UInt8 | Dtype::UInt16 | Dtype::UInt32 | Dtype::UInt64 => {
                let bytes = dtype_bytes(dtype);
                let mask = if bytes == 8 {
                    u64::MAX
                } else {
                    (1u64 << (u32::from(bytes) * 8)) - 1
                };
                AttrValues::UInt {
                    values: i.mapv(|v| (v as u64) & mask),
                    bytes,
                }
            }
            Dtype::Float16 | Dtype::Float32 | Dtype::Float64 => AttrValues::Float {
                values: if dtype == Dtype::Float32 {
                    f.mapv(|v| f64::from(v as f32))
                } else {
                    f
                },
                bytes: dtype_bytes(dtype),
            },
            Dtype::Bool => AttrValues::Bool(f.mapv(|v| v != 0.0)),
            Dtype::Str | Dtype::Compound => return Err(bad()),
        })
    }
}

fn dtype_bytes(d: Dtype) -> u8 {
    match d {
        Dtype::Int8 | Dtype::UInt8 | Dtype::Bool => 1,
        Dtype::Int16 | Dtype::UInt16 | Dtype::Float16 => 2,
        Dtype::Int32 | Dtype::UInt32 | Dtype::Float32 => 4,
        _ => 8,
    }
}

macro_rules! from_numbers {
    ($($t:ty => $variant:ident, $wide:ty, $bytes:expr);* $(;)?) => {$(
        impl From<$t> for AttrValues {
            fn from(v: $t) -> Self {
                AttrValues::$variant { values: ArrayD::from_elem(IxDyn(&[]), v as $wide), bytes: $bytes }
            }
        }
        impl From<Vec<$t>> for AttrValues {
            fn from(v: Vec<$t>) -> Self {
                AttrValues::$variant {
                    values: Array::from_vec(v.into_iter().map(|x| x as $wide).collect::<Vec<_>>()).into_dyn(),
                    bytes: $bytes,
                }
            }
        }
        impl From<&[$t]> for AttrValues {
            fn from(v: &[$t]) -> Self {
                AttrValues::from(v.to_vec())
            }
        }
        impl<D: Dimension> From<Array<$t, D>> for AttrValues {
            fn from(v: Array<$t, D>) -> Self {
                AttrValues::$variant { values: v.mapv(|x| x as $wide).into_dyn(), bytes: $bytes }
            }
        }
    )*};
}

from_numbers! {
    i8 => Int, i64, 1; i16 => Int, i64, 2; i32 => Int, i64, 4; i64 => Int, i64, 8;
    u8 => UInt, u64, 1; u16 => UInt, u64, 2; u32 => UInt, u64, 4; u64 => UInt, u64, 8;
    f32 => Float, f64, 4; f64 => Float, f64, 8;
}

impl From<bool> for AttrValues {
    fn from(v: bool) -> Self {
        AttrValues::Bool(ArrayD::from_elem(IxDyn(&[]), v))
    }
}

impl From<Vec<bool>> for AttrValues {
    fn from(v: Vec<bool>) -> Self {
        AttrValues::Bool(Array::from_vec(v).into_dyn())
    }
}

impl From<&[bool]> for AttrValues {
    fn from(v: &[bool]) -> Self {
        AttrValues::from(v.to_vec())
    }
}

impl<D: Dimension> From<Array<bool, D>> for AttrValues {
    fn from(v: Array<bool, D>) -> Self {
        AttrValues::Bool(v.into_dyn())
    }
}

impl From<&str> for AttrValues {
    fn from(v: &str) -> Self {
        AttrValues::Str(ArrayD::from_elem(IxDyn(&[]), v.to_owned()))
    }
}

impl From<String> for AttrValues {
    fn from(v: String) -> Self {
        AttrValues::Str(ArrayD::from_elem(IxDyn(&[]), v))
    }
}

impl From<Vec<String>> for AttrValues {
    fn from(v: Vec<String>) -> Self {
        AttrValues::Str(Array::from_vec(v).into_dyn())
    }
}

impl From<Vec<&str>> for AttrValues {
    fn from(v: Vec<&str>) -> Self {
        AttrValues::from(v.into_iter().map(str::to_owned).collect::<Vec<_>>())
    }
}

impl From<&[&str]> for AttrValues {
    fn from(v: &[&str]) -> Self {
        AttrValues::from(v.to_vec())
    }
}

impl<D: Dimension> From<Array<String, D>> for AttrValues {
    fn from(v: Array<String, D>) -> Self {
        AttrValues::Str(v.into_dyn())
    }
}

/// How a stored HDF5 type maps onto [`AttrValues`].
pub(crate) enum Kind {
    Int(u8),
    UInt(u8),
    Float(u8),
    Bool,
    Str,
}

/// The [`Dtype`] an attribute of HDF5 type `dt` reads as.
pub(crate) fn dtype_of(dt: &Datatype) -> Result<Dtype> {
    if let Datatype::Compound { .. } = dt {
        return Ok(Dtype::Compound);
    }
    Ok(match kind_of(dt, "attribute")? {
        Kind::Int(b) => Dtype::int(b),
        Kind::UInt(b) => Dtype::uint(b),
        Kind::Float(2) => Dtype::Float16,
        Kind::Float(4) => Dtype::Float32,
        Kind::Float(_) => Dtype::Float64,
        Kind::Bool => Dtype::Bool,
        Kind::Str => Dtype::Str,
    })
}

pub(crate) fn kind_of(dt: &Datatype, what: &str) -> Result<Kind> {
    Ok(match dt {
        Datatype::Integer { size, signed, .. } => {
            let b = u8::try_from(*size).unwrap_or(8);
            if *signed {
                Kind::Int(b)
            } else {
                Kind::UInt(b)
            }
        }
        Datatype::Float { size, .. } => Kind::Float(u8::try_from(*size).unwrap_or(8)),
        Datatype::Enum { base, members } => {
            let names: Vec<&str> = members.iter().map(|m| m.name.as_str()).collect();
            if names == ["FALSE", "TRUE"] {
                Kind::Bool
            } else {
                kind_of(base, what)?
            }
        }
        Datatype::FixedString { .. } | Datatype::VarLenString { .. } => Kind::Str,
        other => {
            return Err(LoomError::InvalidInput(format!(
                "{what} has an HDF5 type loom attributes cannot hold: {other:?}"
            )))
        }
    })
}

fn shape_of(dims: &[u64]) -> Vec<usize> {
    dims.iter().map(|&d| d as usize).collect()
}

fn strings_array(shape: &[usize], v: Vec<String>, legacy: bool) -> Result<ArrayD<String>> {
    let v = if legacy {
        v.into_iter().map(|s| strings::unescape(&s)).collect()
    } else {
        v
    };
    ArrayD::from_shape_vec(IxDyn(shape), v)
        .map_err(|e| LoomError::InvalidInput(format!("string attribute: {e}")))
}

/// Reads a whole dataset. `legacy` (spec < 3) unescapes strings (§9.2); spec 3 strings
/// are returned exactly as stored.
pub(crate) fn read_dataset(d: &Dataset, legacy: bool) -> Result<AttrValues> {
    let what = format!("dataset {}", d.path());
    if let Datatype::Compound { .. } = d.datatype() {
        return compound::read(d.datatype(), &d.read_raw()?, &shape_of(d.shape()), &what);
    }
    Ok(match kind_of(d.datatype(), &what)? {
        Kind::Int(bytes) => AttrValues::Int {
            values: d.read::<i64>()?,
            bytes,
        },
        Kind::UInt(bytes) => AttrValues::UInt {
            values: d.read::<u64>()?,
            bytes,
        },
        Kind::Float(bytes) => AttrValues::Float {
            values: d.read::<f64>()?,
            bytes,
        },
        Kind::Bool => AttrValues::Bool(d.read::<u8>()?.mapv(|b| b != 0)),
        Kind::Str => AttrValues::Str(strings_array(
            &shape_of(d.shape()),
            d.read_strings()?,
            legacy,
        )?),
    })
}

/// Reads an HDF5 attribute (legacy global attributes live on the root group).
pub(crate) fn read_attribute(a: &Attribute, legacy: bool) -> Result<AttrValues> {
    let what = format!("HDF5 attribute {:?}", a.name());
    if let Datatype::Compound { .. } = a.datatype() {
        let shape = shape_of(a.shape().unwrap_or(&[0]));
        return compound::read(a.datatype(), a.raw(), &shape, &what);
    }
    Ok(match kind_of(a.datatype(), &what)? {
        Kind::Int(bytes) => AttrValues::Int {
            values: a.read::<i64>()?,
            bytes,
        },
        Kind::UInt(bytes) => AttrValues::UInt {
            values: a.read::<u64>()?,
            bytes,
        },
        Kind::Float(bytes) => AttrValues::Float {
            values: a.read::<f64>()?,
            bytes,
        },
        Kind::Bool => AttrValues::Bool(a.read::<u8>()?.mapv(|b| b != 0)),
        Kind::Str => {
            let shape = shape_of(a.shape().unwrap_or(&[0]));
            AttrValues::Str(strings_array(&shape, a.strings()?, legacy)?)
        }
    })
}

/// What to store: the HDF5 type and the elements, normalized as loompy does (§9.1)
/// (compounds: packed records, see the `compound` module):
/// bools become `uint8`; strings are vlen UTF-8, or (`legacy`) XML-escaped fixed-length
/// ASCII of the longest string's length.
pub(crate) enum Encoded {
    /// Numbers or compound records, C order, in `datatype`.
    Numbers(Datatype, Vec<u8>),
    /// Strings, C order, in `datatype`.
    Strings(Datatype, Vec<String>),
}

pub(crate) fn encode(values: &AttrValues, legacy: bool) -> Result<Encoded> {
    let le = ByteOrder::Little;
    let int = |size: u8, signed| Datatype::Integer {
        size: u32::from(size),
        signed,
        order: le,
    };
    let numbers = |dt: Datatype, v: &[i64]| -> Result<Encoded> {
        Ok(Encoded::Numbers(
            dt.clone(),
            hdf5_lite::write::encode_numbers(v, &dt)?,
        ))
    };
    let check = |b: u8, ok: &[u8]| {
        if ok.contains(&b) {
            Ok(b)
        } else {
            Err(LoomError::InvalidInput(format!("{b}-byte elements")))
        }
    };
    match values {
        AttrValues::Int { values, bytes } => {
            let v: Vec<i64> = values.iter().copied().collect();
            numbers(int(check(*bytes, &[1, 2, 4, 8])?, true), &v)
        }
        AttrValues::UInt { values, bytes } => {
            let dt = int(check(*bytes, &[1, 2, 4, 8])?, false);
            let v: Vec<u64> = values.iter().copied().collect();
            Ok(Encoded::Numbers(
                dt.clone(),
                hdf5_lite::write::encode_numbers(&v, &dt)?,
            ))
        }
        AttrValues::Float { values, bytes } => {
            let dt = Datatype::Float {
                size: u32::from(check(*bytes, &[2, 4, 8])?),
                order: le,
            };
            let v: Vec<f64> = values.iter().copied().collect();
            Ok(Encoded::Numbers(
                dt.clone(),
                hdf5_lite::write::encode_numbers(&v, &dt)?,
            ))
        }
        AttrValues::Bool(v) => Ok(Encoded::Numbers(
            int(1, false),
            v.iter().map(|&b| u8::from(b)).collect(),
        )),
        AttrValues::Str(v) if legacy => {
            let escaped: Vec<String> = v.iter().map(|s| strings::escape(s)).collect();
            let size = escaped.iter().map(String::len).max().unwrap_or(0).max(1);
            let dt = Datatype::FixedString {
                size: u32::try_from(size)
                    .map_err(|_| LoomError::InvalidInput("string too long".into()))?,
                padding: StringPadding::NullPad,
                charset: CharSet::Ascii,
            };
            Ok(Encoded::Strings(dt, escaped))
        }
        AttrValues::Str(v) => Ok(Encoded::Strings(
            hdf5_lite::write::vlen_utf8(),
            v.iter().cloned().collect(),
        )),
        AttrValues::Compound(fields) => compound::encode_compound(fields),
    }
}
