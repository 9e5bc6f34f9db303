//! issue 7 §2: writes with repeated indices merge in the layer's own type. Values of every
//! numeric type go into layers of every numeric type, with repeats, and the stored bytes
//! are compared with a model: the layer as it was, with each selected element replaced by
//! the last value written to it, converted as a direct write converts it.

// Test helpers outside #[test] functions may unwrap: a failure there is a test failure.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use hdf5_lite::read::Numeric;
use hdf5_lite::write::{encode_numbers, MemFile};
use loom_core::{new_in, parse_dtype, LayerOptions, LoomConnection};
use ndarray::{array, Array2};
use proptest::prelude::*;

#[test]
fn repeated_indices_keep_untouched_int64_values() {
    let mut ds = new_in(Arc::new(MemFile::new())).unwrap();
    ds.set_layer("", array![[0i64, 1000, 0]].view()).unwrap();
    ds.write_layer("", 0, vec![0, 2, 2], array![[1i8, 2, 3]].view())
        .unwrap();
    assert_eq!(ds.read::<i64>(.., ..).unwrap(), array![[1i64, 1000, 3]]);
    // f32 values into a float64 layer: 0.1 stays float64's 0.1.
    ds.set_layer("f", array![[0.0f64, 0.1, 0.0]].view())
        .unwrap();
    ds.write_layer("f", 0, vec![0, 0, 2], array![[1.0f32, 2.0, 3.0]].view())
        .unwrap();
    assert_eq!(
        ds.layers().read::<f64>("f", .., ..).unwrap(),
        array![[2.0, 0.1, 3.0]]
    );
    // f64 values into an int64 layer: 2^53 + 1 survives.
    let big = (1i64 << 53) + 1;
    ds.set_layer("i", array![[0i64, big, 0]].view()).unwrap();
    ds.write_layer(
        "i",
        vec![0, 0],
        vec![2, 0],
        array![[1.0f64, 2.0], [3.0, 4.0]].view(),
    )
    .unwrap();
    assert_eq!(
        ds.layers().read::<i64>("i", .., ..).unwrap(),
        array![[4i64, big, 3]]
    );
}

const LAYER_TYPES: [&str; 10] = [
    "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64", "float32", "float64",
];
const SHAPE: (usize, usize) = (4, 5);

/// A 4×5 layer stored as `dtype`, chunked 2×2, filled with `init`.
fn layer(dtype: &str, init: &[i64]) -> LoomConnection {
    let mut ds = new_in(Arc::new(MemFile::new())).unwrap();
    let m = Array2::from_shape_vec(SHAPE, init.to_vec()).unwrap();
    let opts = LayerOptions {
        dtype: Some(dtype.to_owned()),
        chunks: Some((2, 2)),
        compression: None,
    };
    ds.set_layer_with("", m.view(), &opts).unwrap();
    ds
}

fn check<T: Numeric>(dtype: &str, init: &[i64], rows: &[u64], cols: &[u64], values: &[T]) {
    let mut ds = layer(dtype, init);
    let datatype = parse_dtype(dtype).unwrap();
    let size = datatype.size() as usize;
    let mut model = ds.layers().dataset("").unwrap().read_raw().unwrap();
    for (i, &r) in rows.iter().enumerate() {
        for (j, &c) in cols.iter().enumerate() {
            let v = encode_numbers(&[values[i * cols.len() + j]], &datatype).unwrap();
            let at = (r as usize * SHAPE.1 + c as usize) * size;
            model[at..at + size].copy_from_slice(&v);
        }
    }
    let values = Array2::from_shape_vec((rows.len(), cols.len()), values.to_vec()).unwrap();
    ds.write_layer("", rows.to_vec(), cols.to_vec(), values.view())
        .unwrap();
    let stored = ds.layers().dataset("").unwrap().read_raw().unwrap();
    assert_eq!(stored, model, "{dtype}");
}

fn init() -> impl Strategy<Value = Vec<i64>> {
    let special = prop_oneof![
        Just(0i64),
        Just(1000),
        Just(-7),
        Just(70_000),
        Just((1 << 53) + 1),
        -200i64..200,
    ];
    prop::collection::vec(special, SHAPE.0 * SHAPE.1)
}

fn selection() -> impl Strategy<Value = (Vec<u64>, Vec<u64>)> {
    (
        prop::collection::vec(0..SHAPE.0 as u64, 1..6),
        prop::collection::vec(0..SHAPE.1 as u64, 1..7),
    )
}

macro_rules! merge_tests {
    ($($name:ident: $t:ty => $values:expr;)*) => {$(
        proptest! {
            #[test]
            fn $name(
                dtype in prop::sample::select(&LAYER_TYPES[..]),
                init in init(),
                (rows, cols) in selection(),
                pool in prop::collection::vec($values, 42),
            ) {
                let values: Vec<$t> = pool[..rows.len() * cols.len()].to_vec();
                check::<$t>(dtype, &init, &rows, &cols, &values);
            }
        }
    )*};
}

merge_tests! {
    values_i8: i8 => any::<i8>();
    values_i16: i16 => any::<i16>();
    values_i32: i32 => any::<i32>();
    values_i64: i64 => any::<i64>();
    values_u8: u8 => any::<u8>();
    values_u16: u16 => any::<u16>();
    values_u32: u32 => any::<u32>();
    values_u64: u64 => any::<u64>();
    values_f32: f32 => -1.0e6f32..1.0e6;
    values_f64: f64 => -1.0e12f64..1.0e12;
}
