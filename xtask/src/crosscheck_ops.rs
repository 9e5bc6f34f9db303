//! `cargo xtask crosscheck-ops`: loom-core's operations against loompy 3.0.8 on seeded
//! random inputs the tests never saw (`xtask/crosscheck/ops_random.py`).

use std::path::{Path, PathBuf};

use loom_core::ops::{
    combine, combine_faster, AddLoomOptions, AggregateOptions, CombineFasterOptions,
    CombineOptions, FillValues, GroupBy, MapFn,
};
use loom_core::{AttrValues, Axis, Mode};
use serde_json::Value;

use crate::seeded::Seeded;
use crate::Workspace;

/// Usage text for `cargo xtask crosscheck-ops --help`.
pub const USAGE: &str = "\
usage: cargo xtask crosscheck-ops [--seed N] [--count K] [--keep] [--python PY]

For each of K seeds from N (default: 10 seeds from 1), xtask/crosscheck/ops_random.py
writes three random .loom files with loompy (1-4 layers of random dtypes, string,
numeric and 2-D attributes, graphs, genes in shuffled order, column attributes missing
from one file; every fifth seed has one row, one column in a or one column in b), runs
loompy's add_loom (key, fill values, convert_attrs), combine, combine_faster (key,
selections, skip_attrs), permute (both axes), aggregate (random aggr_by, aggr_ca_by),
export (every layer) and map on them and writes plan.json. loom-core runs the same
operations with the same arguments, then the script compares every output with
loompy's value by value (export byte for byte); where loompy refuses, loom-core must
refuse too. Cases go to target/tmp/crosscheck-ops/ and are deleted when they pass
(kept with --keep, or when one fails). Exits non-zero on any failure.

  --python PY   the interpreter (loompy, h5py); default the pinned venv
                target/xtask-venv";

fn s(e: impl std::fmt::Display) -> String {
    e.to_string()
}

fn text<'a>(case: &'a Value, key: &str) -> Result<&'a str, String> {
    case[key]
        .as_str()
        .ok_or(format!("plan: `{key}` is not a string"))
}

fn number(case: &Value, key: &str) -> Result<usize, String> {
    case[key]
        .as_u64()
        .and_then(|n| usize::try_from(n).ok())
        .ok_or(format!("plan: `{key}` is not a count"))
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

fn file_attrs(case: &Value) -> Vec<(String, AttrValues)> {
    case["file_attrs"]
        .as_object()
        .map(|o| {
            o.iter()
                .filter_map(|(k, v)| Some((k.clone(), AttrValues::from(v.as_str()?))))
                .collect()
        })
        .unwrap_or_default()
}

/// Runs one operation of plan.json with loom-core, writing `ours_<name>.*` in `d`.
fn apply(d: &Path, case: &Value) -> Result<(), String> {
    let name = text(case, "name")?;
    let ours = |ext: &str| d.join(format!("ours_{name}.{ext}"));
    let files: Vec<PathBuf> = strings(&case["files"]).iter().map(|f| d.join(f)).collect();
    let key = case["key"].as_str().map(str::to_owned);
    match text(case, "op")? {
        "add_loom" => {
            let mut ds = loom_core::connect(ours("loom"), Mode::ReadWrite).map_err(s)?;
            let opts = AddLoomOptions {
                key,
                fill_values: match case["fill"].as_str() {
                    Some("auto") => FillValues::Auto,
                    _ => FillValues::None,
                },
                batch_size: number(case, "batch_size")?,
                convert_attrs: case["convert_attrs"].as_bool().unwrap_or(false),
                include_graphs: false,
            };
            ds.add_loom(d.join("b.loom"), &opts).map_err(s)?;
            ds.close().map_err(s)
        }
        "combine" => {
            let opts = CombineOptions {
                key,
                file_attrs: file_attrs(case),
                batch_size: number(case, "batch_size")?,
                convert_attrs: case["convert_attrs"].as_bool().unwrap_or(false),
                ..CombineOptions::default()
            };
            combine(&files, ours("loom"), &opts).map_err(s)
        }
        "combine_faster" => {
            let selections = case["selections"].as_array().map(|all| {
                all.iter()
                    .map(|sel| {
                        sel.as_array()
                            .map(|a| a.iter().map(|b| b.as_bool().unwrap_or(false)).collect())
                    })
                    .collect()
            });
            let opts = CombineFasterOptions {
                file_attrs: file_attrs(case),
                selections,
                key,
                skip_attrs: strings(&case["skip_attrs"]),
                ..CombineFasterOptions::default()
            };
            combine_faster(&files, ours("loom"), &opts)
                .map(drop)
                .map_err(s)
        }
        "permute" => {
            let ordering: Vec<usize> = case["ordering"]
                .as_array()
                .ok_or("plan: no ordering")?
                .iter()
                .map(|x| x.as_u64().and_then(|v| usize::try_from(v).ok()))
                .collect::<Option<_>>()
                .ok_or("plan: bad ordering")?;
            let axis = Axis::try_from(number(case, "axis")?).map_err(s)?;
            let mut ds = loom_core::connect(ours("loom"), Mode::ReadWrite).map_err(s)?;
            ds.permute(&ordering, axis).map_err(s)?;
            ds.close().map_err(s)
        }
        "aggregate" => {
            let aggr_ca_by = case["aggr_ca_by"]
                .as_object()
                .ok_or("plan: no aggr_ca_by")?
                .iter()
                .map(|(k, v)| Ok((k.clone(), v.as_str().unwrap_or("").parse().map_err(s)?)))
                .collect::<Result<Vec<_>, String>>()?;
            let opts = AggregateOptions {
                group_by: GroupBy::Attr(text(case, "group_by")?.to_owned()),
                aggr_by: text(case, "aggr_by")?.parse().map_err(s)?,
                aggr_ca_by,
                layer: text(case, "layer")?.to_owned(),
                aggr_ca_if_equal: case["aggr_ca_if_equal"].as_bool().unwrap_or(false),
            };
            let ds = loom_core::connect(d.join("a.loom"), Mode::Read).map_err(s)?;
            ds.aggregate(Some(&ours("loom")), &opts)
                .map(drop)
                .map_err(s)
        }
        "export" => {
            let ds = loom_core::connect(d.join(text(case, "input")?), Mode::Read).map_err(s)?;
            ds.export(ours("tab"), text(case, "layer")?, "tab")
                .map_err(s)
        }
        "map" => {
            let ds = loom_core::connect(d.join("a.loom"), Mode::Read).map_err(s)?;
            let sum: MapFn = &|v| v.sum();
            let max: MapFn = &|v| v.fold(f64::NEG_INFINITY, |a, &b| a.max(b));
            let nnz: MapFn = &|v| v.iter().filter(|&&x| x != 0.0).count() as f64;
            let axis = Axis::try_from(number(case, "axis")?).map_err(s)?;
            let res = ds
                .map(&[sum, max, nnz], axis, number(case, "chunksize")?, None)
                .map_err(s)?;
            std::fs::write(ours("json"), serde_json::to_string(&res).map_err(s)?).map_err(s)
        }
        other => Err(format!("plan: unknown operation `{other}`")),
    }
}

/// Runs every operation of `d/plan.json`; an operation that fails leaves its error in
/// `ours_<name>.error` for the script (loompy may refuse it too). Returns plan errors.
fn apply_plan(d: &Path) -> Result<(), String> {
    let plan: Value = serde_json::from_str(
        &std::fs::read_to_string(d.join("plan.json")).map_err(|e| format!("plan.json: {e}"))?,
    )
    .map_err(|e| format!("plan.json: {e}"))?;
    for case in plan.as_array().ok_or("plan.json is not a list")? {
        if let Err(e) = apply(d, case) {
            let name = text(case, "name")?;
            std::fs::write(d.join(format!("ours_{name}.error")), e).map_err(s)?;
        }
    }
    Ok(())
}

/// Entry point of `cargo xtask crosscheck-ops`.
pub fn run(ws: &Workspace, args: &[String]) -> Result<(), String> {
    let seeded = Seeded::parse(ws, args, "crosscheck-ops", "ops_random.py", 10, USAGE)?;
    seeded.run("loompy 3.0.8 and h5py", |dir| {
        apply_plan(dir)?;
        Ok(Vec::new())
    })
}
