//! Numeric conversion from any stored integer, float or enum type to a Rust number.
//!
//! Conversion follows numpy's `astype`: integers widen or wrap, floats truncate toward
//! zero when read as integers (saturating at the target's range; NaN reads as 0).

use crate::error::{Error, Result};
use crate::format::messages::{ByteOrder, Datatype};
use crate::read::value::f16_to_f32;

/// A Rust number that stored numeric elements can be read as.
pub trait Numeric: Copy + Default + Send + Sync + 'static {
    /// The type's name, for errors.
    const NAME: &'static str;
    /// From a signed integer.
    fn from_i64(v: i64) -> Self;
    /// From an unsigned integer.
    fn from_u64(v: u64) -> Self;
    /// From a float.
    fn from_f64(v: f64) -> Self;
    /// Decodes `bytes` into `out` when they hold little-endian values of exactly this
    /// type; `false` sends the caller to the general path.
    fn native_le_into(_bytes: &[u8], _dtype: &Datatype, _out: &mut [Self]) -> bool {
        false
    }
    /// `values` as the little-endian bytes of [`Numeric::datatype`], without a copy, where
    /// the type's memory already is that (the primitive numbers on a little-endian
    /// machine); `None` sends the caller to [`Numeric::extend_le`].
    fn as_le_bytes(_values: &[Self]) -> Option<&[u8]> {
        None
    }
    /// The HDF5 type with this type's native layout (little-endian).
    fn datatype() -> Datatype;
    /// Appends the little-endian bytes of `values` to `out`.
    fn extend_le(values: &[Self], out: &mut Vec<u8>);
    /// As a signed integer (floats truncate toward zero, saturating).
    fn to_i64(self) -> i64;
    /// As an unsigned integer (floats truncate toward zero, saturating).
    fn to_u64(self) -> u64;
    /// As a float.
    fn to_f64(self) -> f64;
}

macro_rules! numeric {
    ($($t:ty, $name:literal, $kind:ident);* $(;)?) => {$(
        impl Numeric for $t {
            const NAME: &'static str = $name;
            fn from_i64(v: i64) -> Self { v as $t }
            fn from_u64(v: u64) -> Self { v as $t }
            fn from_f64(v: f64) -> Self { v as $t }
            fn datatype() -> Datatype { numeric!(@dt $kind, std::mem::size_of::<$t>() as u32) }
            fn extend_le(values: &[Self], out: &mut Vec<u8>) {
                const N: usize = std::mem::size_of::<$t>();
                let start = out.len();
                out.resize(start + values.len() * N, 0);
                // Fixed-size chunks: each copy is one store, not a memmove call.
                for (o, v) in out[start..].as_chunks_mut::<N>().0.iter_mut().zip(values) {
                    *o = v.to_le_bytes();
                }
            }
            #[cfg(target_endian = "little")]
            fn as_le_bytes(values: &[Self]) -> Option<&[u8]> {
                // SAFETY: a primitive number has no padding and every byte of it is
                // initialized; the bytes cover exactly `values` and borrow it.
                Some(unsafe {
                    std::slice::from_raw_parts(values.as_ptr().cast::<u8>(), std::mem::size_of_val(values))
                })
            }
            fn to_i64(self) -> i64 { self as i64 }
            fn to_u64(self) -> u64 { self as u64 }
            fn to_f64(self) -> f64 { self as f64 }
            fn native_le_into(bytes: &[u8], dtype: &Datatype, out: &mut [Self]) -> bool {
                const N: usize = std::mem::size_of::<$t>();
                if !numeric!(@is $kind, N, dtype) {
                    return false;
                }
                for (c, o) in bytes.chunks_exact(N).zip(out.iter_mut()) {
                    let mut a = [0u8; N];
                    a.copy_from_slice(c);
                    *o = <$t>::from_le_bytes(a);
                }
                true
            }
        }
    )*};
    (@dt int, $n:expr) => { Datatype::Integer { size: $n, signed: true, order: ByteOrder::Little } };
    (@dt uint, $n:expr) => { Datatype::Integer { size: $n, signed: false, order: ByteOrder::Little } };
    (@dt float, $n:expr) => { Datatype::Float { size: $n, order: ByteOrder::Little } };
    (@is int, $n:expr, $d:expr) => {
        matches!($d, Datatype::Integer { size, signed: true, order: ByteOrder::Little } if *size as usize == $n)
    };
    (@is uint, $n:expr, $d:expr) => {
        matches!($d, Datatype::Integer { size, signed: false, order: ByteOrder::Little } if *size as usize == $n)
    };
    (@is float, $n:expr, $d:expr) => {
        matches!($d, Datatype::Float { size, order: ByteOrder::Little } if *size as usize == $n)
    };
}

numeric! {
    i8, "i8", int; i16, "i16", int; i32, "i32", int; i64, "i64", int;
    u8, "u8", uint; u16, "u16", uint; u32, "u32", uint; u64, "u64", uint;
    f32, "f32", float; f64, "f64", float;
}

/// Converts raw stored elements of `dtype` into `T`.
pub fn convert<T: Numeric>(bytes: &[u8], dtype: &Datatype) -> Result<Vec<T>> {
    let size = dtype.size() as usize;
    let mut out = vec![T::default(); bytes.len().checked_div(size).unwrap_or(0)];
    convert_into(bytes, dtype, &mut out)?;
    Ok(out)
}

/// Decodes each `$src` of `$bytes` (byte order `$order`) into `$out` through `$conv`:
/// one tight loop per stored type, which the compiler vectorizes.
macro_rules! each {
    ($bytes:expr, $out:expr, $order:expr, $src:ty, $conv:expr) => {{
        const N: usize = std::mem::size_of::<$src>();
        let pairs = $bytes.chunks_exact(N).zip($out.iter_mut());
        match $order {
            ByteOrder::Little => {
                for (c, o) in pairs {
                    let mut a = [0u8; N];
                    a.copy_from_slice(c);
                    *o = $conv(<$src>::from_le_bytes(a));
                }
            }
            ByteOrder::Big => {
                for (c, o) in pairs {
                    let mut a = [0u8; N];
                    a.copy_from_slice(c);
                    *o = $conv(<$src>::from_be_bytes(a));
                }
            }
        }
    }};
}

/// Converts raw stored elements of `dtype` into `out` (as many as both hold). Inlined:
/// elements stored as the type is held (little-endian, same kind and size) are copied
/// where the caller runs, as a read puts a chunk's runs one after another.
#[inline]
pub(crate) fn convert_into<T: Numeric>(
    bytes: &[u8],
    dtype: &Datatype,
    out: &mut [T],
) -> Result<()> {
    if T::native_le_into(bytes, dtype, out) {
        return Ok(());
    }
    convert_other(bytes, dtype, out)
}

/// [`convert_into`] of elements stored in another type or byte order.
fn convert_other<T: Numeric>(bytes: &[u8], dtype: &Datatype, out: &mut [T]) -> Result<()> {
    let as_uint;
    let base = match dtype {
        Datatype::Enum { base, .. } => base.as_ref(),
        // A bitfield reads as an unsigned integer of its size, as in h5py.
        Datatype::Bitfield { size, order } => {
            as_uint = Datatype::Integer {
                size: *size,
                signed: false,
                order: *order,
            };
            &as_uint
        }
        other => other,
    };
    let mismatch = || Error::TypeMismatch {
        datatype: format!("{dtype:?}"),
        target: T::NAME,
    };
    match *base {
        Datatype::Integer {
            size,
            signed,
            order,
        } => match (size, signed) {
            (1, true) => each!(bytes, out, order, i8, |v| T::from_i64(i64::from(v))),
            (2, true) => each!(bytes, out, order, i16, |v| T::from_i64(i64::from(v))),
            (4, true) => each!(bytes, out, order, i32, |v| T::from_i64(i64::from(v))),
            (8, true) => each!(bytes, out, order, i64, T::from_i64),
            (1, false) => each!(bytes, out, order, u8, |v| T::from_u64(u64::from(v))),
            (2, false) => each!(bytes, out, order, u16, |v| T::from_u64(u64::from(v))),
            (4, false) => each!(bytes, out, order, u32, |v| T::from_u64(u64::from(v))),
            (8, false) => each!(bytes, out, order, u64, T::from_u64),
            _ => return Err(mismatch()),
        },
        Datatype::Float { size: 2, order } => each!(bytes, out, order, u16, |v| {
            T::from_f64(f64::from(f16_to_f32(v)))
        }),
        Datatype::Float { size: 4, order } => {
            each!(bytes, out, order, f32, |v| T::from_f64(f64::from(v)))
        }
        Datatype::Float { size: 8, order } => each!(bytes, out, order, f64, T::from_f64),
        _ => return Err(mismatch()),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The borrowed bytes are what `extend_le` writes, for every primitive.
    #[test]
    fn le_bytes_view_matches_extend_le() {
        fn check<T: Numeric>(values: &[T]) {
            let mut copied = Vec::new();
            T::extend_le(values, &mut copied);
            assert_eq!(
                T::as_le_bytes(values),
                Some(copied.as_slice()),
                "{}",
                T::NAME
            );
        }
        check(&[1.5f32, -0.0, f32::MAX, 3e-39]);
        check(&[1.5f64, -2.25e300]);
        check(&[-1i8, 7]);
        check(&[-300i16, 12]);
        check(&[-70_000i32, 1]);
        check(&[i64::MIN, 5]);
        check(&[250u8]);
        check(&[65_000u16]);
        check(&[4_000_000_000u32]);
        check(&[u64::MAX, 9]);
        check::<f32>(&[]);
    }

    #[test]
    fn converts_between_types() {
        let be_i16 = Datatype::Integer {
            size: 2,
            signed: true,
            order: ByteOrder::Big,
        };
        assert_eq!(
            convert::<f64>(&[0xff, 0xfe, 0x00, 0x05], &be_i16).unwrap(),
            vec![-2.0, 5.0]
        );
        let le_f32 = Datatype::Float {
            size: 4,
            order: ByteOrder::Little,
        };
        let bytes: Vec<u8> = [1.5f32, -2.25]
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect();
        assert_eq!(convert::<f32>(&bytes, &le_f32).unwrap(), vec![1.5, -2.25]);
        assert_eq!(convert::<i32>(&bytes, &le_f32).unwrap(), vec![1, -2]);
        let text = Datatype::FixedString {
            size: 2,
            padding: crate::format::messages::StringPadding::NullPad,
            charset: crate::format::messages::CharSet::Ascii,
        };
        assert!(convert::<u8>(b"ab", &text).is_err());
        assert_eq!(convert::<f64>(&bytes, &le_f32).unwrap(), vec![1.5, -2.25]);
        let be_f64 = Datatype::Float {
            size: 8,
            order: ByteOrder::Big,
        };
        assert_eq!(
            convert::<f32>(&(-0.5f64).to_be_bytes(), &be_f64).unwrap(),
            vec![-0.5]
        );
        let le_u16 = Datatype::Integer {
            size: 2,
            signed: false,
            order: ByteOrder::Little,
        };
        assert_eq!(
            convert::<i8>(&[0xff, 0xff, 0x02, 0x00], &le_u16).unwrap(),
            vec![-1, 2]
        );
        let f16 = Datatype::Float {
            size: 2,
            order: ByteOrder::Little,
        };
        assert_eq!(convert::<f64>(&[0x00, 0x3c], &f16).unwrap(), vec![1.0]);
    }
}
