//! What to create: dataset specifications and attribute values.

use crate::error::{Error, Result};
use crate::format::messages::{ByteOrder, CharSet, Datatype, StringPadding};
use crate::read::Numeric;

/// How to create a dataset (the h5py `create_dataset` arguments).
///
/// ```
/// use hdf5_lite::write::DatasetSpec;
/// use hdf5_lite::read::Numeric;
///
/// // loompy's /matrix: float32, chunks of 64x64, gzip 2, unlimited columns.
/// let spec = DatasetSpec::new(f32::datatype(), &[100, 70])
///     .maxshape(&[Some(100), None])
///     .chunks(&[64, 64])
///     .deflate(2);
/// assert_eq!(spec.shape, vec![100, 70]);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct DatasetSpec {
    /// Element type.
    pub datatype: Datatype,
    /// Initial shape.
    pub shape: Vec<u64>,
    /// Maximum shape; `None` in a dimension means unlimited. Defaults to `shape`.
    pub maxshape: Option<Vec<Option<u64>>>,
    /// Chunk shape; required for filters and unlimited dimensions.
    pub chunks: Option<Vec<u64>>,
    /// gzip level 0–9.
    pub deflate: Option<u32>,
    /// Byte shuffle before compression.
    pub shuffle: bool,
    /// Fletcher-32 checksum of each chunk.
    pub fletcher32: bool,
    /// Fill value bytes (one element in `datatype`), or the default (zeros).
    pub fill_value: Option<Vec<u8>>,
}

impl DatasetSpec {
    /// A contiguous dataset of `datatype` and `shape`.
    pub fn new(datatype: Datatype, shape: &[u64]) -> Self {
        DatasetSpec {
            datatype,
            shape: shape.to_vec(),
            maxshape: None,
            chunks: None,
            deflate: None,
            shuffle: false,
            fletcher32: false,
            fill_value: None,
        }
    }

    /// Sets the maximum shape (`None` = unlimited).
    pub fn maxshape(mut self, maxshape: &[Option<u64>]) -> Self {
        self.maxshape = Some(maxshape.to_vec());
        self
    }

    /// Stores the data in chunks of this shape.
    pub fn chunks(mut self, chunks: &[u64]) -> Self {
        self.chunks = Some(chunks.to_vec());
        self
    }

    /// Compresses each chunk with gzip at `level` (0–9).
    pub fn deflate(mut self, level: u32) -> Self {
        self.deflate = Some(level);
        self
    }

    /// Shuffles bytes before compression.
    pub fn shuffle(mut self) -> Self {
        self.shuffle = true;
        self
    }

    /// Appends a Fletcher-32 checksum to each chunk.
    pub fn fletcher32(mut self) -> Self {
        self.fletcher32 = true;
        self
    }

    /// Sets the fill value (one element's bytes in the dataset's datatype).
    pub fn fill_value(mut self, bytes: &[u8]) -> Self {
        self.fill_value = Some(bytes.to_vec());
        self
    }
}

/// The value of an attribute to set.
#[derive(Debug, Clone, PartialEq)]
pub struct AttrValue {
    /// Element type.
    pub datatype: Datatype,
    /// Shape (`[]` for a scalar); `None` for a null dataspace.
    pub shape: Option<Vec<u64>>,
    /// The elements.
    pub data: AttrData,
}

/// The elements of an [`AttrValue`].
#[derive(Debug, Clone, PartialEq)]
pub enum AttrData {
    /// Raw element bytes in the attribute's datatype, C order.
    Raw(Vec<u8>),
    /// Strings, for string datatypes (stored in the global heap when variable-length).
    Strings(Vec<String>),
}

impl AttrValue {
    /// A scalar variable-length UTF-8 string (what h5py and loompy write for `str`).
    pub fn string(s: &str) -> Self {
        AttrValue {
            datatype: vlen_utf8(),
            shape: Some(Vec::new()),
            data: AttrData::Strings(vec![s.to_owned()]),
        }
    }

    /// Variable-length UTF-8 strings of shape `shape`.
    pub fn strings(values: &[&str], shape: &[u64]) -> Self {
        AttrValue {
            datatype: vlen_utf8(),
            shape: Some(shape.to_vec()),
            data: AttrData::Strings(values.iter().map(|s| (*s).to_owned()).collect()),
        }
    }

    /// Numbers of shape `shape` (`[]` for a scalar).
    pub fn numbers<T: Numeric>(values: &[T], shape: &[u64]) -> Self {
        let mut raw = Vec::with_capacity(std::mem::size_of_val(values));
        T::extend_le(values, &mut raw);
        AttrValue {
            datatype: T::datatype(),
            shape: Some(shape.to_vec()),
            data: AttrData::Raw(raw),
        }
    }
}

/// The variable-length UTF-8 string type h5py writes for `str`.
pub fn vlen_utf8() -> Datatype {
    Datatype::VarLenString {
        size: 16,
        padding: StringPadding::NullTerminate,
        charset: CharSet::Utf8,
    }
}

/// Number of elements of `shape`, checked.
pub(crate) fn element_count(shape: &[u64]) -> Result<u64> {
    shape
        .iter()
        .try_fold(1u64, |a, &d| a.checked_mul(d))
        .ok_or_else(|| Error::InvalidInput(format!("shape {shape:?} has too many elements")))
}

/// Encodes `values` as elements of `datatype` (any integer or float type, either byte
/// order), converting like numpy's `astype`.
pub fn encode_numbers<T: Numeric>(values: &[T], datatype: &Datatype) -> Result<Vec<u8>> {
    let (size, order, kind) = match *datatype {
        Datatype::Integer {
            size,
            signed,
            order,
        } => (size as usize, order, if signed { 'i' } else { 'u' }),
        Datatype::Float { size, order } => (size as usize, order, 'f'),
        _ => {
            return Err(Error::TypeMismatch {
                datatype: format!("{datatype:?}"),
                target: T::NAME,
            });
        }
    };
    if T::datatype() == *datatype {
        if let Some(bytes) = T::as_le_bytes(values) {
            return Ok(bytes.to_vec());
        }
        let mut out = Vec::with_capacity(values.len() * size);
        T::extend_le(values, &mut out);
        return Ok(out);
    }
    let mut out = Vec::with_capacity(values.len() * size);
    for v in values {
        let mut bytes: [u8; 8] = match (kind, size) {
            ('i', _) => v.to_i64().to_le_bytes(),
            ('u', _) => v.to_u64().to_le_bytes(),
            ('f', 4) => {
                let mut b = [0u8; 8];
                b[..4].copy_from_slice(&(v.to_f64() as f32).to_le_bytes());
                b
            }
            ('f', 8) => v.to_f64().to_le_bytes(),
            ('f', 2) => {
                let mut b = [0u8; 8];
                b[..2].copy_from_slice(&f16_bits(v.to_f64()).to_le_bytes());
                b
            }
            _ => {
                return Err(Error::unsupported(format!(
                    "writing {size}-byte floats from {}",
                    T::NAME
                )))
            }
        };
        let b = &mut bytes[..size];
        if order == ByteOrder::Big {
            b.reverse();
        }
        out.extend_from_slice(b);
    }
    Ok(out)
}

/// IEEE half-precision bits of `x`, rounded to nearest, ties to even (numpy's
/// `astype(float16)`); values beyond the half range become infinities.
pub(crate) fn f16_bits(x: f64) -> u16 {
    let sign: u16 = if x.is_sign_negative() { 0x8000 } else { 0 };
    if x.is_nan() {
        return sign | 0x7e00;
    }
    let a = x.abs();
    if a < 6.103_515_625e-5 {
        // Below the smallest normal (2^-14): a multiple of 2^-24; 1024 is that normal.
        return sign | (a * 16_777_216.0).round_ties_even() as u16;
    }
    if a.is_infinite() {
        return sign | 0x7c00;
    }
    let mut exp = ((a.to_bits() >> 52) & 0x7ff) as i32 - 1023;
    let mut frac = ((a / 2f64.powi(exp) - 1.0) * 1024.0).round_ties_even() as u32;
    if frac == 1024 {
        frac = 0;
        exp += 1;
    }
    if exp > 15 {
        return sign | 0x7c00;
    }
    sign | (((exp + 15) as u16) << 10) | frac as u16
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn half_precision_rounds_like_numpy() {
        // Expected bits from numpy: np.array([...], dtype=np.float64).astype(np.float16).view(np.uint16)
        for (x, bits) in [
            (1.0, 0x3c00u16),
            (-2.0, 0xc000),
            (65504.0, 0x7bff),
            (65519.0, 0x7bff),
            (65520.0, 0x7c00),
            (5.960_464_477_539_063e-8, 0x0001),
            (1e-8, 0x0000),
            (0.1, 0x2e66),
            (6.1e-5, 0x03ff),
            (f64::INFINITY, 0x7c00),
            (-0.0, 0x8000),
        ] {
            assert_eq!(f16_bits(x), bits, "{x}");
        }
        assert_eq!(f16_bits(f64::NAN) & 0x7c00, 0x7c00);
        let dt = Datatype::Float {
            size: 2,
            order: ByteOrder::Little,
        };
        assert_eq!(
            encode_numbers(&[1.0f32, -2.0], &dt).unwrap(),
            vec![0x00, 0x3c, 0x00, 0xc0]
        );
    }
}
