//! The JSON forms of datatypes and values used by `loom h5 dump --json` (and by the
//! fixtures' expected files, which h5py writes in the same schema).

use hdf5_lite::format::messages::{ByteOrder, CharSet, Datatype};
use hdf5_lite::read::Value;
use serde_json::{json, Map, Value as Json};

/// A datatype as numpy type strings for numbers, an object otherwise.
pub fn dtype(dt: &Datatype) -> Json {
    let order = |o: &ByteOrder, size: u32| {
        if size == 1 {
            "|"
        } else if *o == ByteOrder::Little {
            "<"
        } else {
            ">"
        }
    };
    let charset = |c: &CharSet| {
        if *c == CharSet::Utf8 {
            "utf-8"
        } else {
            "ascii"
        }
    };
    match dt {
        Datatype::Integer {
            size,
            signed,
            order: o,
        } => {
            json!(format!(
                "{}{}{}",
                order(o, *size),
                if *signed { "i" } else { "u" },
                size
            ))
        }
        Datatype::Float { size, order: o } => json!(format!("{}f{}", order(o, *size), size)),
        Datatype::FixedString {
            size, charset: c, ..
        } => {
            json!({"class": "string", "size": size, "charset": charset(c)})
        }
        Datatype::VarLenString { charset: c, .. } => {
            json!({"class": "string", "size": "variable", "charset": charset(c)})
        }
        Datatype::VarLenSequence { base, .. } => json!({"class": "vlen", "base": dtype(base)}),
        Datatype::Enum { base, members } => {
            let mut m = Map::new();
            for member in members {
                let v = hdf5_lite::read::decode_value(base, &member.value).ok();
                m.insert(member.name.clone(), v.map_or(Json::Null, value));
            }
            json!({"class": "enum", "base": dtype(base), "members": m})
        }
        Datatype::Compound { fields, .. } => {
            let fields: Vec<Json> = fields
                .iter()
                .map(|f| json!({"name": f.name, "dtype": dtype(&f.datatype)}))
                .collect();
            json!({"class": "compound", "fields": fields})
        }
        Datatype::Array { base, dims } => {
            json!({"class": "array", "base": dtype(base), "dims": dims})
        }
        Datatype::Bitfield { size, .. } => json!({"class": "bitfield", "size": size}),
        Datatype::Opaque { size, tag } => json!({"class": "opaque", "size": size, "tag": tag}),
        Datatype::Reference { size } => json!({"class": "reference", "size": size}),
        Datatype::Time { size } => json!({"class": "time", "size": size}),
    }
}

/// One decoded element.
pub fn value(v: Value) -> Json {
    match v {
        Value::Int(i) => json!(i),
        Value::UInt(u) => json!(u),
        Value::Float(f) if f.is_nan() => json!("nan"),
        Value::Float(f) if f == f64::INFINITY => json!("inf"),
        Value::Float(f) if f == f64::NEG_INFINITY => json!("-inf"),
        Value::Float(f) => json!(f),
        Value::String(s) => json!(s),
        Value::Bytes(b) => json!(b),
        Value::Compound(fields) => {
            Json::Object(fields.into_iter().map(|(k, v)| (k, value(v))).collect())
        }
        Value::List(items) => Json::Array(items.into_iter().map(value).collect()),
    }
}

/// Empty nested arrays printed at most for a shape with a zero dimension (a shape such as
/// (2^61, 0) holds no element but would print 2^61 empty arrays).
pub const MAX_EMPTY_ARRAYS: u64 = 1 << 20;

/// Elements in C order shaped as nested arrays; a scalar (empty shape) is a bare value.
/// A shape whose dimensions before its first zero multiply to more than
/// [`MAX_EMPTY_ARRAYS`] is an error (that many empty arrays is no useful output).
pub fn shaped(values: Vec<Value>, shape: &[u64]) -> Result<Json, String> {
    let before_zero = shape
        .iter()
        .take_while(|&&d| d != 0)
        .try_fold(1u64, |a, &d| a.checked_mul(d));
    if shape.contains(&0) && before_zero.is_none_or(|n| n > MAX_EMPTY_ARRAYS) {
        return Err(format!(
            "shape {shape:?} holds no element but more than {MAX_EMPTY_ARRAYS} empty arrays; not printed"
        ));
    }
    Ok(nested(values, shape))
}

fn nested(values: Vec<Value>, shape: &[u64]) -> Json {
    match shape {
        [] => values.into_iter().next().map_or(Json::Null, value),
        [_] => Json::Array(values.into_iter().map(value).collect()),
        [_, inner @ ..] => {
            let stride = inner.iter().fold(1u64, |a, &d| a.saturating_mul(d)) as usize;
            if stride == 0 {
                return Json::Array((0..shape[0]).map(|_| nested(Vec::new(), inner)).collect());
            }
            let mut it = values.into_iter();
            let rows = (0..shape[0])
                .map(|_| nested(it.by_ref().take(stride).collect(), inner))
                .collect();
            Json::Array(rows)
        }
    }
}
