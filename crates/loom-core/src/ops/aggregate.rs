//! `aggregate` (loompy-api.md §3.12): group the columns by a label and reduce each row
//! within each group, streamed over row windows with [`scan`](LoomConnection::scan).
//!
//! The reductions are numpy-groupies' (the ones loompy hands its `aggr_by` to): sum,
//! prod, mean, median, var, std (ddof 0), max, min, first, last, len (count), nunique,
//! any, all, sumofsquares, each also as `nan…` (NaN values left out), with their aliases
//! (`count`, `add`, `amax`, …); plus `nnz` (non-zero values) and `mode` (most frequent
//! value, the smallest on ties, as scipy's). numpy-groupies' argmax/argmin, cumulative
//! and collecting functions are not reductions of a group to one number and are refused.
//!
//! Differences from loompy: `aggr_ca_by` `"mode"` works (loompy's fails with modern
//! scipy), and the output file is written only after the whole matrix is computed.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::str::FromStr;

use ndarray::{Array2, ArrayD, IxDyn};

use super::cmp_nan_last;
use super::export::numpy_f64;
use super::scan::Items;
use crate::axis::Axis;
use crate::connection::LoomConnection;
use crate::error::{LoomError, Result};
use crate::values::AttrValues;

/// A reduction of the values of one group to one number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reduce {
    /// Sum.
    Sum,
    /// Product.
    Prod,
    /// Arithmetic mean.
    Mean,
    /// Median (the mean of the two middle values for an even count).
    Median,
    /// Variance (ddof 0).
    Var,
    /// Standard deviation (ddof 0).
    Std,
    /// Largest value.
    Max,
    /// Smallest value.
    Min,
    /// The group's first value (in column order).
    First,
    /// The group's last value.
    Last,
    /// Number of values.
    Len,
    /// Number of distinct values.
    Nunique,
    /// 1 if any value is non-zero.
    Any,
    /// 1 if every value is non-zero.
    All,
    /// Sum of squares.
    SumOfSquares,
    /// Number of non-zero values (not in numpy-groupies).
    Nnz,
    /// Most frequent value, the smallest on ties (scipy's `mode`).
    Mode,
}

/// An `aggr_by` function: a reduction, and whether NaN values are left out (`nan…`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Aggregation {
    /// The reduction.
    pub reduce: Reduce,
    /// numpy-groupies' `nan` prefix: NaN values are ignored.
    pub skip_nan: bool,
}

impl FromStr for Aggregation {
    type Err = LoomError;

    /// numpy-groupies' names and aliases, optionally prefixed with `nan`.
    fn from_str(s: &str) -> Result<Self> {
        let (skip_nan, base) = match s.strip_prefix("nan") {
            Some(b) if !b.is_empty() => (true, b),
            _ => (false, s),
        };
        let reduce = match base {
            "sum" | "add" | "plus" => Reduce::Sum,
            "prod" | "product" | "multiply" | "times" => Reduce::Prod,
            "mean" => Reduce::Mean,
            "median" => Reduce::Median,
            "var" => Reduce::Var,
            "std" => Reduce::Std,
            "max" | "amax" | "maximum" => Reduce::Max,
            "min" | "amin" | "minimum" => Reduce::Min,
            "first" => Reduce::First,
            "last" => Reduce::Last,
            "len" | "count" => Reduce::Len,
            "nunique" => Reduce::Nunique,
            "any" | "or" => Reduce::Any,
            "all" | "and" => Reduce::All,
            "sumofsquares" => Reduce::SumOfSquares,
            "nnz" => Reduce::Nnz,
            "mode" => Reduce::Mode,
            _ => {
                return Err(LoomError::InvalidInput(format!(
                    "unknown aggregation function '{s}'"
                )))
            }
        };
        Ok(Aggregation { reduce, skip_nan })
    }
}

impl Aggregation {
    /// Reduces `v` (the values of one group; `scratch` is reused between calls).
    pub fn apply(&self, v: &[f64], scratch: &mut Vec<f64>) -> f64 {
        scratch.clear();
        scratch.extend(v.iter().copied().filter(|x| !(self.skip_nan && x.is_nan())));
        let v = scratch;
        let n = v.len() as f64;
        let mean = || v.iter().sum::<f64>() / n;
        let var = || {
            let m = mean();
            v.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / n
        };
        match self.reduce {
            Reduce::Sum => v.iter().sum(),
            Reduce::Prod => v.iter().product(),
            Reduce::Mean => mean(),
            Reduce::Var => var(),
            Reduce::Std => var().sqrt(),
            Reduce::Max => fold_nan(v, f64::max),
            Reduce::Min => fold_nan(v, f64::min),
            Reduce::First => v.first().copied().unwrap_or(0.0),
            Reduce::Last => v.last().copied().unwrap_or(0.0),
            Reduce::Len => n,
            Reduce::Nnz => v.iter().filter(|&&x| x != 0.0).count() as f64,
            Reduce::Any => f64::from(u8::from(v.iter().any(|&x| x != 0.0))),
            Reduce::All => f64::from(u8::from(v.iter().all(|&x| x != 0.0))),
            Reduce::SumOfSquares => v.iter().map(|x| x * x).sum(),
            Reduce::Median | Reduce::Nunique | Reduce::Mode => {
                v.sort_by(|a, b| cmp_nan_last(*a, *b));
                match self.reduce {
                    Reduce::Median => median_sorted(v),
                    Reduce::Nunique => {
                        v.iter()
                            .fold((0.0, None), |(k, prev): (f64, Option<f64>), &x| {
                                if prev.is_some_and(|p| p == x || (p.is_nan() && x.is_nan())) {
                                    (k, prev)
                                } else {
                                    (k + 1.0, Some(x))
                                }
                            })
                            .0
                    }
                    _ => mode_sorted(v),
                }
            }
        }
    }
}

/// max/min as numpy: NaN wins.
fn fold_nan(v: &[f64], f: fn(f64, f64) -> f64) -> f64 {
    if v.iter().any(|x| x.is_nan()) {
        return f64::NAN;
    }
    v.iter().copied().reduce(f).unwrap_or(0.0)
}

fn median_sorted(v: &[f64]) -> f64 {
    let n = v.len();
    if n == 0 {
        return f64::NAN;
    }
    if v.iter().any(|x| x.is_nan()) {
        return f64::NAN;
    }
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

fn mode_sorted(v: &[f64]) -> f64 {
    let (mut best, mut best_n, mut k) = (0.0, 0, 0);
    while k < v.len() {
        let run = v[k..].iter().take_while(|&&x| x == v[k]).count().max(1);
        if run > best_n {
            (best, best_n) = (v[k], run);
        }
        k += run;
    }
    best
}

/// How a column attribute is aggregated (`aggr_ca_by`'s values).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaAggregation {
    /// The mean of each group (float64).
    Mean,
    /// The group's first value, same type.
    First,
    /// One new attribute `{name}_{value}` per distinct value, counting it per group
    /// (`/` in string values becomes `-`, `.` becomes `_`).
    Tally,
    /// The most frequent value of each group, as a string.
    Mode,
}

impl FromStr for CaAggregation {
    type Err = LoomError;

    fn from_str(s: &str) -> Result<Self> {
        Ok(match s {
            "mean" => CaAggregation::Mean,
            "first" => CaAggregation::First,
            "tally" => CaAggregation::Tally,
            "mode" => CaAggregation::Mode,
            _ => {
                return Err(LoomError::InvalidInput(format!(
                    "unknown column attribute aggregation '{s}' (mean, first, tally or mode)"
                )))
            }
        })
    }
}

/// What to group the columns by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GroupBy {
    /// A column attribute, read as integers (loompy's `ca[group_by].astype(int)`).
    Attr(String),
    /// One integer label per column.
    Labels(Vec<i64>),
}

/// The arguments of [`LoomConnection::aggregate`], with loompy's defaults.
#[derive(Debug, Clone)]
pub struct AggregateOptions {
    /// Default: the attribute `Clusters`.
    pub group_by: GroupBy,
    /// Default: mean.
    pub aggr_by: Aggregation,
    /// Column attributes to aggregate, and how.
    pub aggr_ca_by: Vec<(String, CaAggregation)>,
    /// The layer to aggregate (default: the main one).
    pub layer: String,
    /// Also keep each 1-D column attribute that is constant within every group.
    pub aggr_ca_if_equal: bool,
}

impl Default for AggregateOptions {
    fn default() -> Self {
        AggregateOptions {
            group_by: GroupBy::Attr("Clusters".to_owned()),
            aggr_by: Aggregation {
                reduce: Reduce::Mean,
                skip_nan: false,
            },
            aggr_ca_by: Vec::new(),
            layer: String::new(),
            aggr_ca_if_equal: false,
        }
    }
}

/// The result of [`LoomConnection::aggregate`]: one column per group (sorted labels).
#[derive(Debug, Clone)]
pub struct Aggregated {
    /// N × groups, float64.
    pub matrix: Array2<f64>,
    /// The groups' labels, ascending.
    pub labels: Vec<i64>,
    /// The aggregated column attributes.
    pub col_attrs: BTreeMap<String, AttrValues>,
}

impl LoomConnection {
    /// loompy's `ds.aggregate(out_file, group_by=…, aggr_by=…, aggr_ca_by=…, layer=…,
    /// aggr_ca_if_equal=…)`. With `out`, also writes a loom file there (overwriting it)
    /// with the matrix, this file's row attributes and the aggregated column attributes.
    pub fn aggregate(&self, out: Option<&Path>, opts: &AggregateOptions) -> Result<Aggregated> {
        let m = self.shape().1 as usize;
        let labels: Vec<i64> = match &opts.group_by {
            GroupBy::Labels(l) => l.clone(),
            GroupBy::Attr(name) => {
                let v = self.ca().get(name)?;
                if v.ndim() != 1 {
                    return Err(LoomError::InvalidInput(format!(
                        "'{name}' is not one label per column"
                    )));
                }
                v.to_i64()
                    .ok_or_else(|| {
                        LoomError::InvalidInput(format!(
                            "cannot group by '{name}': its values are not numbers"
                        ))
                    })?
                    .iter()
                    .copied()
                    .collect()
            }
        };
        if labels.len() != m {
            return Err(LoomError::InvalidInput(format!(
                "group_by has {} labels but the file has {m} columns",
                labels.len()
            )));
        }
        self.layers().dtype(&opts.layer)?;
        let distinct: Vec<i64> = labels
            .iter()
            .copied()
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let group: Vec<usize> = labels
            .iter()
            .map(|l| distinct.binary_search(l).unwrap_or(0))
            .collect();
        let mut members: Vec<Vec<usize>> = vec![Vec::new(); distinct.len()];
        for (j, &g) in group.iter().enumerate() {
            members[g].push(j);
        }
        let col_attrs = self.aggregate_col_attrs(opts, &members)?;
        let n = self.shape().0 as usize;
        let mut matrix = Array2::<f64>::zeros((n, distinct.len()));
        if n > 0 && m > 0 {
            let scan = self.scan_parts(
                Axis::Rows,
                &Items::All,
                Some(vec![opts.layer.clone()]),
                512,
                None,
            )?;
            let (mut vals, mut scratch) = (Vec::new(), Vec::new());
            let mut rows = 0;
            scan.for_each_batch(|b| {
                let block = &b.view.layer(&opts.layer)?.values;
                for (k, row) in block.outer_iter().enumerate() {
                    let r = b.indexes[k];
                    for (g, cols) in members.iter().enumerate() {
                        vals.clear();
                        vals.extend(cols.iter().map(|&j| row[j]));
                        matrix[[r, g]] = opts.aggr_by.apply(&vals, &mut scratch);
                    }
                }
                rows += b.indexes.len() as u64;
                self.progress.report(rows, n as u64);
                Ok::<(), LoomError>(())
            })?;
        }
        if let Some(out) = out {
            self.write_aggregated(out, &matrix, &col_attrs)?;
        }
        Ok(Aggregated {
            matrix,
            labels: distinct,
            col_attrs,
        })
    }

    fn write_aggregated(
        &self,
        out: &Path,
        matrix: &Array2<f64>,
        col_attrs: &BTreeMap<String, AttrValues>,
    ) -> Result<()> {
        let ra = self.ra().items()?;
        let ra: Vec<(&str, AttrValues)> = ra.iter().map(|(k, v)| (k.as_str(), v.clone())).collect();
        let ca: Vec<(&str, AttrValues)> = col_attrs
            .iter()
            .map(|(k, v)| (k.as_str(), v.clone()))
            .collect();
        crate::create::create(out, &[("", matrix.into())], &ra, &ca, &[])
    }

    fn aggregate_col_attrs(
        &self,
        opts: &AggregateOptions,
        members: &[Vec<usize>],
    ) -> Result<BTreeMap<String, AttrValues>> {
        let mut out = BTreeMap::new();
        let by: BTreeMap<&str, CaAggregation> = opts
            .aggr_ca_by
            .iter()
            .map(|(k, f)| (k.as_str(), *f))
            .collect();
        let first_of = |v: &AttrValues, name: &str| -> Result<AttrValues> {
            let idx: Vec<usize> = members.iter().map(|g| g[0]).collect();
            crate::view::select_rows(v, &idx, v.len(), name)
        };
        for (name, v) in self.ca().items()? {
            let texts = as_texts(&v);
            let per_value = matches!(
                by.get(name.as_str()),
                Some(CaAggregation::Tally | CaAggregation::Mode)
            );
            if per_value && (v.ndim() != 1 || texts.len() != v.len()) {
                return Err(LoomError::InvalidInput(format!(
                    "column attribute '{name}' has shape {:?}: tally and mode need one value per column",
                    v.shape()
                )));
            }
            match by.get(name.as_str()) {
                None if opts.aggr_ca_if_equal && v.ndim() == 1 => {
                    let constant = members
                        .iter()
                        .all(|g| g.iter().all(|&j| texts.get(j) == texts.get(g[0])));
                    if constant {
                        out.insert(name.clone(), first_of(&v, &name)?);
                    }
                }
                None => {}
                Some(CaAggregation::First) => {
                    out.insert(name.clone(), first_of(&v, &name)?);
                }
                Some(CaAggregation::Mean) => {
                    let f = v.to_f64().ok_or_else(|| {
                        LoomError::InvalidInput(format!("cannot take the mean of '{name}'"))
                    })?;
                    let f: Vec<f64> = f.iter().copied().collect();
                    let means: Vec<f64> = members
                        .iter()
                        .map(|g| g.iter().map(|&j| f[j]).sum::<f64>() / g.len() as f64)
                        .collect();
                    out.insert(name.clone(), float_attr(means));
                }
                Some(CaAggregation::Tally) => {
                    let values: BTreeSet<&String> = texts.iter().collect();
                    for val in values {
                        let clean = if v.as_strings().is_some() {
                            val.replace('/', "-").replace('.', "_")
                        } else {
                            val.clone()
                        };
                        let counts: Vec<i64> = members
                            .iter()
                            .map(|g| g.iter().filter(|&&j| &texts[j] == val).count() as i64)
                            .collect();
                        let values = ArrayD::from_shape_vec(IxDyn(&[counts.len()]), counts)
                            .map_err(|e| LoomError::InvalidInput(e.to_string()))?;
                        out.insert(
                            format!("{name}_{clean}"),
                            AttrValues::Int { values, bytes: 8 },
                        );
                    }
                }
                Some(CaAggregation::Mode) => {
                    let modes: Vec<String> = members
                        .iter()
                        .map(|g| {
                            let mut counts: BTreeMap<&String, usize> = BTreeMap::new();
                            for &j in g {
                                *counts.entry(&texts[j]).or_default() += 1;
                            }
                            let best = counts.values().copied().max().unwrap_or(0);
                            counts
                                .into_iter()
                                .find(|(_, c)| *c == best)
                                .map(|(k, _)| k.clone())
                                .unwrap_or_default()
                        })
                        .collect();
                    out.insert(name.clone(), AttrValues::from(modes));
                }
            }
        }
        Ok(out)
    }
}

/// Each value of a 1-D attribute as text (numbers as numpy prints them), for equality
/// and tallies; empty for other shapes.
fn as_texts(v: &AttrValues) -> Vec<String> {
    if v.ndim() != 1 {
        return Vec::new();
    }
    match v {
        AttrValues::Str(s) => s.iter().cloned().collect(),
        AttrValues::Int { values, .. } => values.iter().map(i64::to_string).collect(),
        AttrValues::UInt { values, .. } => values.iter().map(u64::to_string).collect(),
        AttrValues::Float { values, .. } => values.iter().map(|&x| numpy_f64(x)).collect(),
        AttrValues::Bool(b) => b
            .iter()
            .map(|&x| if x { "True" } else { "False" }.to_owned())
            .collect(),
        AttrValues::Compound(_) => Vec::new(),
    }
}

fn float_attr(v: Vec<f64>) -> AttrValues {
    let n = v.len();
    AttrValues::Float {
        values: ArrayD::from_shape_vec(IxDyn(&[n]), v)
            .unwrap_or_else(|_| ArrayD::zeros(IxDyn(&[0]))),
        bytes: 8,
    }
}
