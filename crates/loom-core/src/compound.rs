//! Compound attributes: pySCENIC's regulon tables (`Regulons`, `RegulonsAUC`: one int or
//! float field per regulon) and SCope's embeddings and clusterings (`Embeddings_X`:
//! float fields `"-1"`, `"1"`, …), read into and written from [`AttrValues::Compound`],
//! one array per field.
//!
//! Stored as h5py stores a numpy structured array: fields packed in order. A field's
//! values may be numbers, bools (stored `uint8`), strings (stored fixed-length, NUL-padded,
//! as long as the longest; ASCII unless one is not) or arrays with more dimensions than the
//! records (stored as an HDF5 array member, numpy's `('v', '<f4', (3,))`).
//!
//! loompy's validator, and so `connect`, refuses compound dtypes: pySCENIC and SCope open
//! their files with `validate=False`, here `LoomConnection::open(path, mode, false)`.

use hdf5_lite::format::messages::{CharSet, Datatype, StringPadding};
use hdf5_lite::read::{convert, decode_value, split_fields, Value};
use hdf5_lite::write::{interleave_fields, packed_compound};
use ndarray::{ArrayD, IxDyn};

use crate::error::{LoomError, Result};
use crate::values::{encode, kind_of, AttrValues, Encoded, Kind};

/// The shape of the records of a compound: the shape of its lowest-rank field (every
/// field's shape starts with it); `[0]` without fields.
pub(crate) fn record_shape(fields: &[(String, AttrValues)]) -> &[usize] {
    fields
        .iter()
        .map(|(_, v)| v.shape())
        .min_by_key(|s| s.len())
        .unwrap_or(&[0])
}

/// Decodes stored compound elements of `datatype` (`shape` records) into one array per
/// field. `what` names the attribute in errors.
pub(crate) fn read(
    datatype: &Datatype,
    raw: &[u8],
    shape: &[usize],
    what: &str,
) -> Result<AttrValues> {
    let mut out = Vec::new();
    for (f, column) in split_fields(datatype, raw)? {
        let what = format!("{what} field {:?}", f.name);
        out.push((f.name.clone(), field(&f.datatype, &column, shape, &what)?));
    }
    Ok(AttrValues::Compound(out))
}

/// One field's column: numbers, bools or fixed-length strings, or an array member of
/// those (its dimensions appended to the records' shape).
fn field(dt: &Datatype, column: &[u8], shape: &[usize], what: &str) -> Result<AttrValues> {
    if let Datatype::Array { base, dims } = dt {
        let mut full = shape.to_vec();
        full.extend(dims.iter().map(|&d| d as usize));
        return field(base, column, &full, what);
    }
    let shaped = |e: ndarray::ShapeError| LoomError::InvalidInput(format!("{what}: {e}"));
    let ix = IxDyn(shape);
    Ok(match kind_of(dt, what)? {
        Kind::Int(bytes) => AttrValues::Int {
            values: ArrayD::from_shape_vec(ix, convert::<i64>(column, dt)?).map_err(shaped)?,
            bytes,
        },
        Kind::UInt(bytes) => AttrValues::UInt {
            values: ArrayD::from_shape_vec(ix, convert::<u64>(column, dt)?).map_err(shaped)?,
            bytes,
        },
        Kind::Float(bytes) => AttrValues::Float {
            values: ArrayD::from_shape_vec(ix, convert::<f64>(column, dt)?).map_err(shaped)?,
            bytes,
        },
        Kind::Bool => {
            let v = convert::<u8>(column, dt)?.into_iter().map(|b| b != 0);
            AttrValues::Bool(ArrayD::from_shape_vec(ix, v.collect()).map_err(shaped)?)
        }
        Kind::Str if matches!(dt, Datatype::FixedString { .. }) => {
            let width = (dt.size() as usize).max(1);
            let strings = column
                .chunks_exact(width)
                .map(|b| match decode_value(dt, b)? {
                    Value::String(s) => Ok(s),
                    other => Err(LoomError::InvalidInput(format!(
                        "{what}: a string field decoded as {other:?}"
                    ))),
                })
                .collect::<Result<Vec<String>>>()?;
            AttrValues::Str(ArrayD::from_shape_vec(ix, strings).map_err(shaped)?)
        }
        Kind::Str => {
            return Err(LoomError::InvalidInput(format!(
                "{what} holds variable-length strings, which compound attributes do not support"
            )))
        }
    })
}

/// The stored type and elements of a compound value: its fields packed in order.
pub(crate) fn encode_compound(fields: &[(String, AttrValues)]) -> Result<Encoded> {
    if fields.is_empty() {
        return Err(LoomError::InvalidInput(
            "a compound attribute needs at least one field".into(),
        ));
    }
    let records = record_shape(fields);
    let mut types = Vec::with_capacity(fields.len());
    let mut columns = Vec::with_capacity(fields.len());
    for (name, v) in fields {
        let (dt, raw) = encode_field(name, v)?;
        let extra = v.shape().strip_prefix(records).ok_or_else(|| {
            LoomError::InvalidInput(format!(
                "compound field {name:?} has shape {:?}, which does not start with the \
                 records' shape {records:?}",
                v.shape()
            ))
        })?;
        let dt = if extra.is_empty() {
            dt
        } else {
            let dims = extra
                .iter()
                .map(|&d| u32::try_from(d).ok().filter(|&d| d > 0))
                .collect::<Option<Vec<u32>>>()
                .ok_or_else(|| {
                    LoomError::InvalidInput(format!(
                        "compound field {name:?}: array dimensions {extra:?} must be 1 to 2^32-1"
                    ))
                })?;
            Datatype::Array {
                base: Box::new(dt),
                dims,
            }
        };
        types.push((name.as_str(), dt));
        columns.push(raw);
    }
    let datatype = packed_compound(&types)?;
    let refs: Vec<&[u8]> = columns.iter().map(Vec::as_slice).collect();
    let raw = interleave_fields(&datatype, &refs)?;
    Ok(Encoded::Numbers(datatype, raw))
}

/// One field's stored type and bytes (C order).
fn encode_field(name: &str, v: &AttrValues) -> Result<(Datatype, Vec<u8>)> {
    match v {
        AttrValues::Compound(_) => Err(LoomError::InvalidInput(format!(
            "compound field {name:?} is itself a compound, which is not supported"
        ))),
        AttrValues::Str(strings) => {
            let width = strings.iter().map(String::len).max().unwrap_or(0).max(1);
            let size = u32::try_from(width).map_err(|_| {
                LoomError::InvalidInput(format!("compound field {name:?}: string over 4 GiB"))
            })?;
            let charset = if strings.iter().all(|s| s.is_ascii()) {
                CharSet::Ascii
            } else {
                CharSet::Utf8
            };
            let mut raw = Vec::with_capacity(strings.len() * width);
            for s in strings {
                raw.extend_from_slice(s.as_bytes());
                raw.resize(raw.len() + width - s.len(), 0);
            }
            let dt = Datatype::FixedString {
                size,
                padding: StringPadding::NullPad,
                charset,
            };
            Ok((dt, raw))
        }
        other => match encode(other, false)? {
            Encoded::Numbers(dt, raw) => Ok((dt, raw)),
            Encoded::Strings(..) => Err(LoomError::InvalidInput(format!(
                "compound field {name:?}: unexpected strings"
            ))),
        },
    }
}

impl AttrValues {
    /// A compound value from its fields in order (pySCENIC's regulon table: one int array
    /// per regulon; SCope's embedding: one float array per coordinate).
    ///
    /// ```
    /// use loom_core::AttrValues;
    /// let regulons = AttrValues::compound([("TF1(+)", vec![1i64, 0]), ("TF2(-)", vec![0, 0])]);
    /// assert_eq!(regulons.shape(), &[2]);
    /// assert_eq!(regulons.field("TF1(+)"), Some(&AttrValues::from(vec![1i64, 0])));
    /// ```
    pub fn compound<N, V>(fields: impl IntoIterator<Item = (N, V)>) -> AttrValues
    where
        N: Into<String>,
        V: Into<AttrValues>,
    {
        AttrValues::Compound(
            fields
                .into_iter()
                .map(|(n, v)| (n.into(), v.into()))
                .collect(),
        )
    }

    /// The field `name` of a compound value; `None` for other values or a missing field.
    pub fn field(&self, name: &str) -> Option<&AttrValues> {
        match self {
            AttrValues::Compound(fields) => fields.iter().find(|(n, _)| n == name).map(|(_, v)| v),
            _ => None,
        }
    }
}
