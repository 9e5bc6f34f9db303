//! aggregate against loompy 3.0.8 (numpy-groupies 0.16) on the same file.

// Test helpers outside #[test] functions may unwrap: a failure there is a test failure.
#![allow(clippy::unwrap_used)]

mod ops_support;

use loom_core::ops::{AggregateOptions, Aggregation, CaAggregation, GroupBy};
use loom_core::{connect, Mode};
use ops_support::*;

#[test]
fn every_aggregation_matches_loompy() {
    let exp = expected();
    let ds = connect(fixture("input.loom"), Mode::Read).unwrap();
    for case in exp["aggregate"]["matrices"].as_array().unwrap() {
        let func = case["aggr_by"].as_str().unwrap();
        let opts = AggregateOptions {
            group_by: GroupBy::Attr(case["group_by"].as_str().unwrap_or("Clusters").to_owned()),
            aggr_by: func.parse::<Aggregation>().unwrap(),
            layer: case["layer"].as_str().unwrap().to_owned(),
            ..AggregateOptions::default()
        };
        let got = ds.aggregate(None, &opts).unwrap();
        assert_close(
            &got.matrix,
            &matrix(&case["matrix"]),
            &format!("aggr_by {func}"),
        );
    }
}

#[test]
fn aggregated_file_matches_loompy() {
    let exp = expected();
    let want = &exp["aggregate"]["file"];
    let ds = connect(fixture("input.loom"), Mode::Read).unwrap();
    let out = scratch("input.loom", "aggregate").with_file_name("aggregated.loom");
    let opts = AggregateOptions {
        aggr_ca_by: vec![
            ("Depth".into(), CaAggregation::Mean),
            ("CellID".into(), CaAggregation::First),
            ("Tissue".into(), CaAggregation::Tally),
        ],
        aggr_ca_if_equal: true,
        ..AggregateOptions::default()
    };
    let got = ds.aggregate(Some(&out), &opts).unwrap();
    assert_eq!(got.labels, vec![0, 1, 2]);
    let written = connect(&out, Mode::Read).unwrap();
    assert_dump(&written, &want["result"], "aggregated file");
}

#[test]
fn extensions_and_errors() {
    let ds = connect(fixture("input.loom"), Mode::Read).unwrap();
    let labels = GroupBy::Labels(vec![0; 11]);
    let nnz = AggregateOptions {
        group_by: labels.clone(),
        aggr_by: "nnz".parse().unwrap(),
        ..AggregateOptions::default()
    };
    let sum_nz = ds
        .map(
            &[&|v: ndarray::ArrayView1<f64>| v.iter().filter(|&&x| x != 0.0).count() as f64],
            loom_core::Axis::Rows,
            5,
            None,
        )
        .unwrap();
    let got = ds.aggregate(None, &nnz).unwrap();
    assert_eq!(got.matrix.column(0).to_vec(), sum_nz[0]);
    let mode = AggregateOptions {
        aggr_ca_by: vec![("Tissue".into(), CaAggregation::Mode)],
        ..AggregateOptions::default()
    };
    let got = ds.aggregate(None, &mode).unwrap();
    assert_eq!(
        got.col_attrs["Tissue"]
            .as_strings()
            .unwrap()
            .iter()
            .cloned()
            .collect::<Vec<_>>(),
        vec!["gut.y", "skin", "brain/x"]
    );
    assert!("argmax".parse::<Aggregation>().is_err());
    let short = AggregateOptions {
        group_by: GroupBy::Labels(vec![1, 2]),
        ..AggregateOptions::default()
    };
    assert!(ds.aggregate(None, &short).is_err());
    let strings = AggregateOptions {
        group_by: GroupBy::Attr("Tissue".into()),
        ..AggregateOptions::default()
    };
    assert!(ds.aggregate(None, &strings).is_err());
}
