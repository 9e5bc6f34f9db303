//! add_columns against loompy 3.0.8's results for every fill mode and for the
//! new() + add_columns recipe; failed calls leave the file byte-identical.

// Test helpers outside #[test] functions may unwrap: a failure there is a test failure.
#![allow(clippy::unwrap_used)]

mod ops_support;

use std::collections::BTreeMap;

use loom_core::ops::FillValues;
use loom_core::{connect, new, AttrValues, LayerInput, Mode};
use ndarray::{s, Array2};
use ops_support::*;
use serde_json::Value;

fn blocks(exp: &Value) -> (Array2<f32>, Array2<i32>) {
    let b = &exp["add_columns"]["block"];
    (
        matrix(&b[""]).mapv(|v| v as f32),
        matrix(&b["counts"]).mapv(|v| v as i32),
    )
}

fn attrs(v: &Value) -> Vec<(String, AttrValues)> {
    v.as_object()
        .unwrap()
        .iter()
        .map(|(k, vals)| {
            let a = vals.as_array().unwrap();
            let values = if a[0].is_string() {
                AttrValues::from(
                    a.iter()
                        .map(|x| x.as_str().unwrap().to_owned())
                        .collect::<Vec<_>>(),
                )
            } else if a.iter().all(|x| x.is_i64()) {
                AttrValues::from(a.iter().map(|x| x.as_i64().unwrap()).collect::<Vec<_>>())
            } else {
                AttrValues::from(a.iter().map(num).collect::<Vec<_>>())
            };
            (k.clone(), values)
        })
        .collect()
}

fn fill(v: &Value) -> FillValues {
    match v {
        Value::Null => FillValues::None,
        Value::String(s) if s == "auto" => FillValues::Auto,
        Value::Object(m) => FillValues::Map(
            m.iter()
                .map(|(k, x)| {
                    let val = match x {
                        Value::String(s) => AttrValues::from(s.as_str()),
                        x if x.is_i64() => AttrValues::from(x.as_i64().unwrap()),
                        x => AttrValues::from(num(x)),
                    };
                    (k.clone(), val)
                })
                .collect::<BTreeMap<_, _>>(),
        ),
        other => panic!("fill {other}"),
    }
}

#[test]
fn every_fill_mode_matches_loompy() {
    let exp = expected();
    let (main, counts) = blocks(&exp);
    for case in exp["add_columns"]["cases"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        if name == "new" {
            continue;
        }
        for sparse in [false, true] {
            let path = scratch("input.loom", &format!("addcols-{name}-{sparse}"));
            let mut ds = connect(&path, Mode::ReadWrite).unwrap();
            let ca = attrs(&case["col_attrs"]);
            let ca: Vec<(&str, AttrValues)> =
                ca.iter().map(|(k, v)| (k.as_str(), v.clone())).collect();
            let (sm, sc) = (
                sprs::CsMat::csr_from_dense(main.view(), 0.0),
                sprs::CsMat::csr_from_dense(counts.view(), 0),
            );
            let layers: Vec<(&str, LayerInput)> = if sparse {
                vec![("", (&sm).into()), ("counts", (&sc).into())]
            } else {
                vec![("", (&main).into()), ("counts", (&counts).into())]
            };
            ds.add_columns(&layers, &ca, None, &fill(&case["fill_values"]))
                .unwrap();
            let mut want = case["result"].clone();
            if name == "partial_auto" {
                // loompy fills an existing string attribute with the number 0, stored as
                // "0"; we fill it with "" (the zero of a string), as "auto" means.
                for v in want["ca"]["Tissue"].as_array_mut().unwrap()[11..].iter_mut() {
                    assert_eq!(v, "0");
                    *v = Value::from("");
                }
            }
            assert_dump(&ds, &want, &format!("add_columns {name} sparse={sparse}"));
        }
    }
}

#[test]
fn new_then_add_columns_matches_loompy() {
    let exp = expected();
    let (main, counts) = blocks(&exp);
    let case = exp["add_columns"]["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "new")
        .unwrap();
    let path = scratch("input.loom", "addcols-new").with_file_name("new.loom");
    let mut ds = new(&path).unwrap();
    let genes: Vec<String> = (0..13).map(|i| format!("G{i:02}")).collect();
    let ra = [("Gene", AttrValues::from(genes))];
    for k in 0..2i64 {
        let (bm, bc) = (
            main.slice(s![.., k as isize..k as isize + 2]).to_owned(),
            counts.slice(s![.., k as isize..k as isize + 2]).to_owned(),
        );
        let ca = [
            (
                "CellID",
                AttrValues::from(vec![format!("N{k}a"), format!("N{k}b")]),
            ),
            ("Batch", AttrValues::from(vec![k, k])),
        ];
        ds.add_columns(
            &[("", (&bm).into()), ("counts", (&bc).into())],
            &ca,
            Some(&ra),
            &FillValues::None,
        )
        .unwrap();
    }
    assert_dump(&ds, &case["result"], "new + add_columns");
}

#[test]
fn bad_arguments_leave_the_file_byte_identical() {
    let exp = expected();
    let (main, counts) = blocks(&exp);
    let path = scratch("input.loom", "addcols-bad");
    let before = std::fs::read(&path).unwrap();
    let mut ds = connect(&path, Mode::ReadWrite).unwrap();
    let ok_ca = [("CellID", AttrValues::from(vec!["a", "b", "c"]))];
    let short = main.slice(s![..12, ..]).to_owned();
    let two = main.slice(s![.., ..2]).to_owned();
    let errors = [
        ds.add_columns(&[("", (&main).into())], &ok_ca, None, &FillValues::None),
        ds.add_columns(
            &[("", (&short).into()), ("counts", (&counts).into())],
            &ok_ca,
            None,
            &FillValues::None,
        ),
        ds.add_columns(
            &[("", (&two).into()), ("counts", (&counts).into())],
            &ok_ca,
            None,
            &FillValues::None,
        ),
        ds.add_columns(
            &[
                ("", (&main).into()),
                ("counts", (&counts).into()),
                ("nope", (&counts).into()),
            ],
            &ok_ca,
            None,
            &FillValues::None,
        ),
        ds.add_columns(
            &[("", (&main).into()), ("counts", (&counts).into())],
            &[("CellID", AttrValues::from(vec!["a"]))],
            None,
            &FillValues::None,
        ),
        ds.add_columns(
            &[("", (&main).into()), ("counts", (&counts).into())],
            &ok_ca,
            None,
            &FillValues::Map(BTreeMap::new()),
        ),
    ];
    for e in errors {
        assert!(e.is_err());
    }
    ds.close().unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), before);
    let mut ro = connect(&path, Mode::Read).unwrap();
    let e = ro.add_columns(
        &[("", (&main).into()), ("counts", (&counts).into())],
        &ok_ca,
        None,
        &FillValues::None,
    );
    assert_eq!(
        e.unwrap_err().to_string(),
        "Cannot add columns when connected in read-only mode"
    );
    let path = scratch("input.loom", "addcols-new-bad").with_file_name("empty.loom");
    let mut ds = new(&path).unwrap();
    let e = ds
        .add_columns(&[("", (&main).into())], &ok_ca, None, &FillValues::None)
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "row_attrs must be provided when adding to an empty (new) Loom file"
    );
    assert_eq!(ds.shape(), (0, 0));
}

#[test]
fn create_append_creates_then_appends() {
    let exp = expected();
    let (main, _) = blocks(&exp);
    let path = scratch("input.loom", "create-append").with_file_name("ca.loom");
    let _ = std::fs::remove_file(&path);
    let genes: Vec<String> = (0..13).map(|i| format!("G{i:02}")).collect();
    let ra = [("Gene", AttrValues::from(genes))];
    let ca = [("CellID", AttrValues::from(vec!["a", "b", "c"]))];
    for _ in 0..2 {
        loom_core::ops::create_append(
            &path,
            &[("", (&main).into())],
            &ra,
            &ca,
            &[],
            &FillValues::None,
        )
        .unwrap();
    }
    let ds = connect(&path, Mode::Read).unwrap();
    assert_eq!(ds.shape(), (13, 6));
    assert_eq!(ds.read::<f32>(.., 3..6).unwrap(), main);
}
