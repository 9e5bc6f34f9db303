//! Expected contents, computed independently of the writer: an in-memory model of each
//! dataset (a dense C-order array with libhdf5's resize semantics) and the JSON forms of
//! datatypes and values that `xtask/interop/check.py` compares with what h5py reads.

use hdf5_lite::format::messages::{ByteOrder, CharSet, Datatype, StringPadding};
use hdf5_lite::read::Numeric;
use serde_json::{json, Map, Value};

use super::loomcore_read::float;

/// A dense array of elements `T` in C order, with the value unwritten elements read as.
#[derive(Debug, Clone)]
pub struct Model<T> {
    /// Current shape.
    pub shape: Vec<u64>,
    /// Elements, C order.
    pub data: Vec<T>,
    /// What elements never written (or uncovered by a shrink and regrow) read as.
    pub fill: T,
}

fn count(shape: &[u64]) -> usize {
    shape.iter().product::<u64>() as usize
}

/// Calls `f` with every index tuple of `start + [0, count)`, C order.
fn for_each_index(start: &[u64], count: &[u64], mut f: impl FnMut(&[u64])) {
    if count.contains(&0) {
        return;
    }
    let mut idx: Vec<u64> = start.to_vec();
    loop {
        f(&idx);
        let mut d = idx.len();
        loop {
            if d == 0 {
                return;
            }
            d -= 1;
            idx[d] += 1;
            if idx[d] < start[d] + count[d] {
                break;
            }
            idx[d] = start[d];
        }
    }
}

fn linear(idx: &[u64], shape: &[u64]) -> usize {
    idx.iter()
        .zip(shape)
        .fold(0u64, |acc, (&i, &n)| acc * n + i) as usize
}

impl<T: Clone> Model<T> {
    /// An array of `shape` holding `fill` everywhere.
    pub fn new(shape: &[u64], fill: T) -> Self {
        Model {
            shape: shape.to_vec(),
            data: vec![fill.clone(); count(shape)],
            fill,
        }
    }

    /// An array from existing elements.
    pub fn from_data(shape: &[u64], data: Vec<T>, fill: T) -> Self {
        assert_eq!(
            data.len(),
            count(shape),
            "model data does not match its shape"
        );
        Model {
            shape: shape.to_vec(),
            data,
            fill,
        }
    }

    /// Writes `values` (C order over `count`) at `start`.
    pub fn write(&mut self, start: &[u64], count_: &[u64], values: &[T]) {
        assert_eq!(
            values.len(),
            count(count_),
            "model write: wrong value count"
        );
        let shape = self.shape.clone();
        let mut src = values.iter();
        for_each_index(start, count_, |idx| {
            if let Some(v) = src.next() {
                self.data[linear(idx, &shape)] = v.clone();
            }
        });
    }

    /// Changes the shape: elements inside both shapes keep their values, everything else
    /// reads as the fill value (libhdf5 clears what a shrink cuts off).
    pub fn resize(&mut self, shape: &[u64]) {
        let mut next = Model::new(shape, self.fill.clone());
        let common: Vec<u64> = self
            .shape
            .iter()
            .zip(shape)
            .map(|(&a, &b)| a.min(b))
            .collect();
        let zero = vec![0; shape.len()];
        for_each_index(&zero, &common, |idx| {
            next.data[linear(idx, shape)] = self.data[linear(idx, &self.shape)].clone();
        });
        *self = next;
    }
}

/// The numpy type string of a number type ("<i4", ">f8", "|u1").
pub fn numpy_number(dt: &Datatype) -> Option<String> {
    let (kind, size, order) = match dt {
        Datatype::Integer {
            size,
            signed,
            order,
        } => (if *signed { 'i' } else { 'u' }, *size, *order),
        Datatype::Float { size, order } => ('f', *size, *order),
        _ => return None,
    };
    let o = if size == 1 {
        '|'
    } else if order == ByteOrder::Big {
        '>'
    } else {
        '<'
    };
    Some(format!("{o}{kind}{size}"))
}

/// The datatype a numpy number type string names.
pub fn parse_numpy(s: &str) -> Option<Datatype> {
    let mut ch = s.chars();
    let order = match ch.next()? {
        '>' => ByteOrder::Big,
        _ => ByteOrder::Little,
    };
    let kind = ch.next()?;
    let size: u32 = ch.as_str().parse().ok()?;
    Some(match kind {
        'i' => Datatype::Integer {
            size,
            signed: true,
            order,
        },
        'u' => Datatype::Integer {
            size,
            signed: false,
            order,
        },
        'f' => Datatype::Float { size, order },
        _ => return None,
    })
}

/// The JSON description of a datatype, in the form check.py derives from h5py's TypeID.
pub fn dtype_json(dt: &Datatype) -> Value {
    if let Some(s) = numpy_number(dt) {
        return json!(s);
    }
    let charset = |c: &CharSet| match c {
        CharSet::Ascii => "ascii",
        CharSet::Utf8 => "utf-8",
    };
    let pad = |p: &StringPadding| match p {
        StringPadding::NullTerminate => "nullterm",
        StringPadding::NullPad => "nullpad",
        StringPadding::SpacePad => "spacepad",
    };
    match dt {
        Datatype::FixedString {
            size,
            padding,
            charset: c,
        } => {
            json!({"class": "string", "size": size, "charset": charset(c), "strpad": pad(padding)})
        }
        Datatype::VarLenString { charset: c, .. } => {
            json!({"class": "string", "size": "variable", "charset": charset(c)})
        }
        Datatype::Enum { base, members } => {
            let mut m = Map::new();
            for member in members {
                m.insert(member.name.clone(), number_json(base, &member.value));
            }
            json!({"class": "enum", "base": dtype_json(base), "members": m})
        }
        Datatype::Compound { size, fields } => {
            let fields: Vec<Value> = fields
                .iter()
                .map(|f| json!({"name": f.name, "offset": f.offset, "dtype": dtype_json(&f.datatype)}))
                .collect();
            json!({"class": "compound", "size": size, "fields": fields})
        }
        Datatype::Array { base, dims } => {
            json!({"class": "array", "base": dtype_json(base), "dims": dims})
        }
        other => json!({"class": format!("{other:?}")}),
    }
}

/// The numpy dtype h5py maps a datatype to, when it is a simple string.
pub fn numpy_dtype(dt: &Datatype) -> Option<String> {
    match dt {
        Datatype::Integer { .. } | Datatype::Float { .. } => numpy_number(dt),
        Datatype::FixedString { size, .. } => Some(format!("|S{size}")),
        Datatype::VarLenString { .. } => Some("|O".into()),
        Datatype::Enum { base, members } => {
            let bool_like = members.len() == 2
                && members.iter().any(|m| m.name == "FALSE")
                && members.iter().any(|m| m.name == "TRUE")
                && base.size() == 1;
            bool_like.then(|| "|b1".into())
        }
        _ => None,
    }
}

fn be_or_le(bytes: &[u8], order: ByteOrder) -> [u8; 8] {
    let mut b = [0u8; 8];
    let n = bytes.len().min(8);
    b[..n].copy_from_slice(&bytes[..n]);
    if order == ByteOrder::Big {
        b[..n].reverse();
    }
    b
}

/// One element of a number (or enum) type as JSON.
pub fn number_json(dt: &Datatype, bytes: &[u8]) -> Value {
    match dt {
        Datatype::Integer {
            size,
            signed,
            order,
        } => {
            let b = be_or_le(bytes, *order);
            let u = u64::from_le_bytes(b);
            let bits = 8 * *size;
            if *signed {
                let shift = 64 - bits;
                json!(((u << shift) as i64) >> shift)
            } else {
                json!(u)
            }
        }
        Datatype::Float { size: 4, order } => {
            let b = be_or_le(bytes, *order);
            float(f64::from(f32::from_le_bytes([b[0], b[1], b[2], b[3]])))
        }
        Datatype::Float { size: 8, order } => float(f64::from_le_bytes(be_or_le(bytes, *order))),
        Datatype::Enum { base, .. } => number_json(base, bytes),
        other => json!(format!("unsupported element type {other:?}")),
    }
}

/// Encodes a JSON number (or "nan"/"inf"/"-inf") as one element of a number type.
pub fn encode_json_number(dt: &Datatype, v: &Value) -> Option<Vec<u8>> {
    let float = || -> Option<f64> {
        match v {
            Value::String(s) if s == "nan" => Some(f64::NAN),
            Value::String(s) if s == "inf" => Some(f64::INFINITY),
            Value::String(s) if s == "-inf" => Some(f64::NEG_INFINITY),
            _ => v.as_f64(),
        }
    };
    let (mut bytes, order, size) = match dt {
        Datatype::Integer {
            size,
            signed,
            order,
        } => {
            let b = if *signed {
                v.as_i64()?.to_le_bytes()
            } else {
                v.as_u64()?.to_le_bytes()
            };
            (b.to_vec(), *order, *size as usize)
        }
        Datatype::Float { size: 4, order } => ((float()? as f32).to_le_bytes().to_vec(), *order, 4),
        Datatype::Float { size: 8, order } => (float()?.to_le_bytes().to_vec(), *order, 8),
        _ => return None,
    };
    bytes.truncate(size);
    if order == ByteOrder::Big {
        bytes.reverse();
    }
    Some(bytes)
}

/// Encodes Rust numbers as elements of `dt`, converting like numpy's `astype` (values
/// are chosen to be representable, so no rounding question arises).
pub fn encode_numbers<T: Numeric>(values: &[T], dt: &Datatype) -> Vec<Vec<u8>> {
    values
        .iter()
        .map(|v| {
            let (mut b, size, order) = match dt {
                Datatype::Integer {
                    size,
                    signed: true,
                    order,
                } => (v.to_i64().to_le_bytes().to_vec(), *size, *order),
                Datatype::Integer {
                    size,
                    signed: false,
                    order,
                } => (v.to_u64().to_le_bytes().to_vec(), *size, *order),
                Datatype::Float { size: 4, order } => {
                    ((v.to_f64() as f32).to_le_bytes().to_vec(), 4, *order)
                }
                Datatype::Float { size, order } => {
                    (v.to_f64().to_le_bytes().to_vec(), *size, *order)
                }
                Datatype::Enum { base, .. } => {
                    let e = encode_numbers(&[*v], base);
                    return e.into_iter().next().unwrap_or_default();
                }
                _ => (Vec::new(), 0, ByteOrder::Little),
            };
            b.truncate(size as usize);
            if order == ByteOrder::Big {
                b.reverse();
            }
            b
        })
        .collect()
}

/// Pads strings to a fixed-length string type's size, as a writer must store them.
pub fn encode_fixed(s: &str, dt: &Datatype) -> Vec<u8> {
    let (size, pad) = match dt {
        Datatype::FixedString { size, padding, .. } => (
            *size as usize,
            if *padding == StringPadding::SpacePad {
                b' '
            } else {
                0
            },
        ),
        _ => (s.len(), 0),
    };
    let mut b = s.as_bytes().to_vec();
    b.resize(size, pad);
    b
}

/// Standard base64 (with padding).
pub fn base64(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for c in bytes.chunks(3) {
        let n = (u32::from(c[0]) << 16)
            | (u32::from(*c.get(1).unwrap_or(&0)) << 8)
            | u32::from(*c.get(2).unwrap_or(&0));
        for i in 0..4 {
            if i <= c.len() {
                out.push(A[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Elements up to this many are listed as JSON values; larger arrays go as base64.
const LIST_LIMIT: usize = 512;

/// The expected elements of `dt` (raw bytes per element) as the manifest's `data` object.
pub fn data_json(dt: &Datatype, elems: &[Vec<u8>]) -> Value {
    match dt {
        Datatype::Integer { .. } | Datatype::Float { .. } | Datatype::Enum { .. } => {
            if elems.len() <= LIST_LIMIT {
                let values: Vec<Value> = elems.iter().map(|e| number_json(dt, e)).collect();
                json!({ "values": values })
            } else {
                json!({ "raw_b64": base64(&elems.concat()) })
            }
        }
        Datatype::FixedString { padding, .. } => {
            let strings: Vec<String> = elems
                .iter()
                .map(|e| {
                    let keep: &[u8] = match padding {
                        StringPadding::SpacePad => e,
                        _ => e.split(|&b| b == 0).next().unwrap_or(&[]),
                    };
                    String::from_utf8_lossy(keep).into_owned()
                })
                .collect();
            json!({ "strings": strings })
        }
        Datatype::Array { base, .. } => {
            let n = (base.size() as usize).max(1);
            let items: Vec<Vec<u8>> = elems
                .iter()
                .flat_map(|e| e.chunks(n).map(<[u8]>::to_vec))
                .collect();
            data_json(base, &items)
        }
        Datatype::Compound { fields, .. } => {
            let mut out = Map::new();
            for f in fields {
                let n = f.datatype.size() as usize;
                let o = f.offset as usize;
                let values: Vec<Value> = elems
                    .iter()
                    .map(|e| number_json(&f.datatype, e.get(o..o + n).unwrap_or(&[])))
                    .collect();
                out.insert(f.name.clone(), Value::Array(values));
            }
            json!({ "fields": out })
        }
        other => json!({ "unsupported": format!("{other:?}") }),
    }
}

/// Expected vlen strings as the manifest's `data` object.
pub fn strings_json(strings: &[String]) -> Value {
    json!({ "strings": strings })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn model_resize_clears_what_a_shrink_cut() {
        let mut m = Model::new(&[2, 3], 0i32);
        m.write(&[0, 0], &[2, 3], &[1, 2, 3, 4, 5, 6]);
        m.resize(&[2, 1]);
        m.resize(&[2, 4]);
        assert_eq!(m.data, vec![1, 0, 0, 0, 4, 0, 0, 0]);
    }

    #[test]
    fn base64_matches_rfc4648() {
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
        assert_eq!(base64(b"fooba"), "Zm9vYmE=");
        assert_eq!(base64(b"foob"), "Zm9vYg==");
    }

    #[test]
    fn numbers_round_trip_through_json() {
        let dt = parse_numpy(">i2").unwrap_or(Datatype::Float {
            size: 4,
            order: ByteOrder::Little,
        });
        let e = encode_numbers(&[-2i64], &dt);
        assert_eq!(e[0], vec![0xff, 0xfe]);
        assert_eq!(number_json(&dt, &e[0]), json!(-2));
        assert_eq!(encode_json_number(&dt, &json!(-2)), Some(vec![0xff, 0xfe]));
    }
}
