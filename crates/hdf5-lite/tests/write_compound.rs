//! Compound datasets and attributes written with `packed_compound`/`interleave_fields`
//! and read back field by field: every stored bit comes back, contiguous or chunked and
//! compressed, and the read side's `split_fields` inverts `interleave_fields`.

// Test helpers outside #[test] functions may unwrap: a failure there is a test failure.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use hdf5_lite::format::messages::{CharSet, Datatype, StringPadding};
use hdf5_lite::read::{split_fields, File, Hyperslab, Numeric, Value};
use hdf5_lite::write::{
    interleave_fields, packed_compound, AttrData, AttrValue, DatasetSpec, MemFile, Writer,
};
use proptest::prelude::*;

fn name_type() -> Datatype {
    Datatype::FixedString {
        size: 5,
        padding: StringPadding::NullPad,
        charset: CharSet::Ascii,
    }
}

/// A record type with a nested array: (id int64, x float32, name S5, v float64[2]).
fn record_type() -> Datatype {
    let v = Datatype::Array {
        base: Box::new(f64::datatype()),
        dims: vec![2],
    };
    packed_compound(&[
        ("id", i64::datatype()),
        ("x", f32::datatype()),
        ("name", name_type()),
        ("v", v),
    ])
    .unwrap()
}

/// The four columns of `n` records built from `bits` (floats taken as raw bits, so NaN
/// payloads and -0.0 are covered).
fn columns(n: usize, bits: &[u64]) -> [Vec<u8>; 4] {
    let bit = |i: usize| bits[i % bits.len()];
    let id = (0..n).flat_map(|i| (bit(i) as i64).to_le_bytes()).collect();
    let x = (0..n)
        .flat_map(|i| (bit(i + 1) as u32).to_le_bytes())
        .collect();
    let name = (0..n)
        .flat_map(|i| {
            let mut s = format!("n{}", i % 1000).into_bytes();
            s.resize(5, 0);
            s
        })
        .collect();
    let v = (0..2 * n).flat_map(|i| bit(i + 2).to_le_bytes()).collect();
    [id, x, name, v]
}

fn write_and_read(n: usize, bits: &[u64], chunked: bool) -> (Vec<u8>, File) {
    let dt = record_type();
    let cols = columns(n, bits);
    let refs: Vec<&[u8]> = cols.iter().map(Vec::as_slice).collect();
    let raw = interleave_fields(&dt, &refs).unwrap();
    assert_eq!(raw.len(), n * 33);
    let mem = MemFile::new();
    let mut w = Writer::create_in(Arc::new(mem.clone())).unwrap();
    let mut spec = DatasetSpec::new(dt, &[n as u64]);
    if chunked {
        spec = spec
            .chunks(&[(n as u64).div_ceil(3).max(1)])
            .maxshape(&[None])
            .shuffle()
            .deflate(2);
    }
    w.create_dataset("/records", &spec).unwrap();
    w.write_raw("/records", &Hyperslab::all(&[n as u64]), &raw)
        .unwrap();
    w.close().unwrap();
    (raw, File::from_bytes(mem.to_bytes()).unwrap())
}

#[test]
fn records_round_trip_contiguous_and_chunked() {
    let bits = [
        0x7ff8_0000_dead_beef, // a NaN with a payload
        0x8000_0000_0000_0000, // -0.0
        u64::MAX,
        1,
        0x3ff0_0000_0000_0000,
    ];
    for chunked in [false, true] {
        let (raw, file) = write_and_read(10, &bits, chunked);
        let d = file.dataset("/records").unwrap();
        assert_eq!(d.read_raw().unwrap(), raw);
        let fields = d.read_fields().unwrap();
        let names: Vec<&str> = fields.iter().map(|(f, _)| f.name.as_str()).collect();
        assert_eq!(names, ["id", "x", "name", "v"]);
        let cols = columns(10, &bits);
        for ((_, got), want) in fields.iter().zip(&cols) {
            assert_eq!(got, want);
        }
        assert_eq!(
            d.read_field::<i64>("id").unwrap().as_slice().unwrap()[..3],
            [0x7ff8_0000_dead_beef_u64 as i64, i64::MIN, -1]
        );
        let values = d.read_values().unwrap();
        let Value::Compound(first) = &values[3] else {
            panic!("{:?}", values[3]);
        };
        assert_eq!(first[2], ("name".into(), Value::String("n3".into())));
        // v of record 3 holds bits[(2*3+2) % 5] and bits[(2*3+3) % 5].
        assert_eq!(
            first[3].1,
            Value::List(vec![Value::Float(f64::from_bits(1)), Value::Float(1.0)])
        );
    }
}

#[test]
fn compound_attribute_round_trips() {
    let dt = packed_compound(&[("_X", f32::datatype()), ("_Y", f32::datatype())]).unwrap();
    let x: Vec<u8> = [1.5f32, f32::NAN]
        .iter()
        .flat_map(|v| v.to_le_bytes())
        .collect();
    let y: Vec<u8> = [-0.0f32, 7.0]
        .iter()
        .flat_map(|v| v.to_le_bytes())
        .collect();
    let raw = interleave_fields(&dt, &[&x, &y]).unwrap();
    let mem = MemFile::new();
    let mut w = Writer::create_in(Arc::new(mem.clone())).unwrap();
    let value = AttrValue {
        datatype: dt.clone(),
        shape: Some(vec![2]),
        data: AttrData::Raw(raw.clone()),
    };
    w.set_attribute("/", "Embedding", &value).unwrap();
    w.close().unwrap();
    let file = File::from_bytes(mem.to_bytes()).unwrap();
    let a = file.root().unwrap().attribute("Embedding").unwrap();
    assert_eq!(a.datatype(), &dt);
    assert_eq!(a.raw(), raw.as_slice());
    let cols = split_fields(a.datatype(), a.raw()).unwrap();
    assert_eq!(cols[0].1, x);
    assert_eq!(cols[1].1, y);
}

#[test]
fn bad_compounds_are_refused() {
    let f = f64::datatype();
    assert!(packed_compound(&[]).is_err());
    assert!(packed_compound(&[("a", f.clone()), ("a", f.clone())]).is_err());
    assert!(packed_compound(&[("", f.clone())]).is_err());
    let dt = packed_compound(&[("a", f.clone()), ("b", i32::datatype())]).unwrap();
    assert_eq!(dt.size(), 12);
    // Wrong number of columns, ragged columns, not a compound.
    assert!(interleave_fields(&dt, &[&[0; 8]]).is_err());
    assert!(interleave_fields(&dt, &[&[0; 16], &[0; 4]]).is_err());
    assert!(interleave_fields(&dt, &[&[0; 8], &[0; 5]]).is_err());
    assert!(interleave_fields(&f, &[&[0; 8]]).is_err());
    assert!(split_fields(&dt, &[0; 13]).is_err());
    assert!(split_fields(&f, &[0; 8]).is_err());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// interleave then write (chunked, shuffled, gzip) then read then split gives back
    /// every column's bytes.
    #[test]
    fn any_bits_round_trip(n in 1usize..200, bits in prop::collection::vec(any::<u64>(), 1..16)) {
        let (raw, file) = write_and_read(n, &bits, true);
        let d = file.dataset("/records").unwrap();
        prop_assert_eq!(d.read_raw().unwrap(), raw);
        let cols = columns(n, &bits);
        for ((_, got), want) in d.read_fields().unwrap().iter().zip(&cols) {
            prop_assert_eq!(got, want);
        }
    }
}
