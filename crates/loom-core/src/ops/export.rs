//! `export` (loompy-api.md §3.13): loompy's tab-separated text of one layer with the row
//! and column attributes, byte for byte.
//!
//! Layout (every field followed by a tab): one line per column attribute (a tab per row
//! attribute, the name, the values); a line of row attribute names, a tab, and a tab per
//! column; then one line per row (its attribute values, a tab, its matrix values).
//! Values print as numpy's `str()` prints them: `1.0`, `0.33333334` (float32),
//! `1e-05`, `nan`, `inf`.
//!
//! Multi-dimensional attributes are refused (loompy prints numpy's array text for them).
//! Values of 64-bit integer layers beyond 2^53 print rounded.

use std::io::{BufWriter, Write};
use std::path::Path;

use super::scan::Items;
use crate::axis::Axis;
use crate::connection::LoomConnection;
use crate::error::{LoomError, Result};
use crate::values::AttrValues;

/// Rows per window: about 8 M values at most, whatever the width.
const WINDOW_VALUES: u64 = 1 << 23;

impl LoomConnection {
    /// loompy's `ds.export(out_file, layer=None, format="tab")`: writes `layer` (`""`:
    /// the main matrix) and the attributes as tab-separated text to `out`, overwriting
    /// it. Only `"tab"` is a format; anything else is an error before `out` is touched.
    pub fn export(&self, out: impl AsRef<Path>, layer: &str, format: &str) -> Result<()> {
        self.check_export(layer, format)?;
        let mut f = BufWriter::new(std::fs::File::create(out)?);
        self.export_to(&mut f, layer)?;
        f.flush()?;
        Ok(())
    }

    fn check_export(&self, layer: &str, format: &str) -> Result<()> {
        if format != "tab" {
            return Err(LoomError::InvalidInput(
                "Only 'tab' is supported".to_owned(),
            ));
        }
        self.layers().dtype(layer)?;
        for (axis, a) in [("row", self.ra()), ("column", self.ca())] {
            for k in a.keys() {
                let shape = a.get(&k)?.shape().to_vec();
                if shape.len() != 1 {
                    return Err(LoomError::InvalidInput(format!(
                        "cannot export the {axis} attribute '{k}' of shape {shape:?}: only one value per {axis} fits a cell"
                    )));
                }
            }
        }
        Ok(())
    }

    /// [`export`](Self::export) into any writer (for `-` as stdout).
    pub fn export_to(&self, out: &mut dyn Write, layer: &str) -> Result<()> {
        self.check_export(layer, "tab")?;
        let ra: Vec<(String, Vec<String>)> = texts(self.ra().items()?);
        let ca: Vec<(String, Vec<String>)> = texts(self.ca().items()?);
        let (n, m) = self.shape();
        for (name, vals) in &ca {
            for _ in &ra {
                out.write_all(b"\t")?;
            }
            write!(out, "{name}\t")?;
            for v in vals {
                write!(out, "{v}\t")?;
            }
            out.write_all(b"\n")?;
        }
        for (name, _) in &ra {
            write!(out, "{name}\t")?;
        }
        out.write_all(b"\t")?;
        for _ in 0..m {
            out.write_all(b"\t")?;
        }
        out.write_all(b"\n")?;
        let float32 = self.layers().dtype(layer)? == "float32";
        let integer = !self.layers().dtype(layer)?.starts_with("float");
        let batch = (WINDOW_VALUES / m.max(1)).clamp(1, 512) as usize;
        if n == 0 {
            return Ok(());
        }
        let scan = self.scan_parts(
            Axis::Rows,
            &Items::All,
            Some(vec![layer.to_owned()]),
            batch,
            None,
        )?;
        let mut line = String::new();
        let mut rows = 0;
        scan.for_each_batch(|b| {
            let block = &b.view.layer(layer)?.values;
            for (k, row) in block.outer_iter().enumerate() {
                line.clear();
                let r = b.indexes.get(k).copied().unwrap_or_default();
                for (_, vals) in &ra {
                    line.push_str(vals.get(r).map(String::as_str).unwrap_or_default());
                    line.push('\t');
                }
                line.push('\t');
                for &v in row {
                    if integer {
                        line.push_str(&format!("{}", v as i64));
                    } else if float32 {
                        line.push_str(&numpy_f32(v as f32));
                    } else {
                        line.push_str(&numpy_f64(v));
                    }
                    line.push('\t');
                }
                line.push('\n');
                out.write_all(line.as_bytes())?;
            }
            rows += b.indexes.len() as u64;
            self.progress.report(rows, n);
            Ok::<(), LoomError>(())
        })?;
        Ok(())
    }
}

/// Each attribute's values as numpy's `str()` of its elements.
fn texts(items: Vec<(String, AttrValues)>) -> Vec<(String, Vec<String>)> {
    items
        .into_iter()
        .map(|(k, v)| {
            let s = match &v {
                AttrValues::Str(a) => a.iter().cloned().collect(),
                AttrValues::Int { values, .. } => values.iter().map(i64::to_string).collect(),
                AttrValues::UInt { values, .. } => values.iter().map(u64::to_string).collect(),
                AttrValues::Float {
                    values, bytes: 4, ..
                } => values.iter().map(|&x| numpy_f32(x as f32)).collect(),
                AttrValues::Float { values, .. } => values.iter().map(|&x| numpy_f64(x)).collect(),
                AttrValues::Bool(a) => a
                    .iter()
                    .map(|&b| if b { "True" } else { "False" }.to_owned())
                    .collect(),
                AttrValues::Compound(_) => vec![String::new(); v.len()],
            };
            (k, s)
        })
        .collect()
}

/// numpy's `str(np.float64(x))` (Python's `repr`): shortest round-trip digits,
/// positional for 1e-4 ≤ |x| < 1e16, else scientific (`1e-05`, `1.5e+16`).
pub(crate) fn numpy_f64(x: f64) -> String {
    python_style(x, format!("{x:e}"), 1e16)
}

/// numpy's `str(np.float32(x))`: shortest float32 digits, positional for
/// 1e-4 ≤ |x| < 1e6, else scientific (`1e+06`, `0.33333334`).
pub(crate) fn numpy_f32(x: f32) -> String {
    python_style(f64::from(x), format!("{x:e}"), 1e6)
}

/// Lays out the shortest digits `sci` (Rust's `{:e}`: `d.ddde±x`) the way numpy does.
fn python_style(x: f64, sci: String, upper: f64) -> String {
    if x.is_nan() {
        return "nan".to_owned();
    }
    if x.is_infinite() {
        return if x > 0.0 { "inf" } else { "-inf" }.to_owned();
    }
    let (mant, exp) = sci.split_once('e').unwrap_or((sci.as_str(), "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let (sign, mant) = match mant.strip_prefix('-') {
        Some(m) => ("-", m),
        None => ("", mant),
    };
    let digits: String = mant.chars().filter(|c| *c != '.').collect();
    let a = x.abs();
    if a == 0.0 || (1e-4..upper).contains(&a) {
        let point = exp + 1; // digits before the decimal point
        let body = if point <= 0 {
            format!("0.{}{digits}", "0".repeat((-point) as usize))
        } else if point as usize >= digits.len() {
            format!("{digits}{}.0", "0".repeat(point as usize - digits.len()))
        } else {
            let (i, f) = digits.split_at(point as usize);
            format!("{i}.{f}")
        };
        format!("{sign}{body}")
    } else {
        let es = if exp < 0 { '-' } else { '+' };
        format!("{sign}{mant}e{es}{:02}", exp.abs())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_print_as_numpy_does() {
        let f64s = [
            (1e-5, "1e-05"),
            (1e-4, "0.0001"),
            (0.5, "0.5"),
            (123456789.0, "123456789.0"),
            (1e16, "1e+16"),
            (3.4e38, "3.4e+38"),
            (-0.0, "-0.0"),
            (1.0 / 3.0, "0.3333333333333333"),
            (f64::NAN, "nan"),
            (f64::NEG_INFINITY, "-inf"),
            (-2.5e-7, "-2.5e-07"),
        ];
        for (x, s) in f64s {
            assert_eq!(numpy_f64(x), s, "{x}");
        }
        let f32s = [
            (1e-4f32, "1e-04"),
            (0.00010001, "0.00010001"),
            (999999.0, "999999.0"),
            (1e6, "1e+06"),
            (1048576.0, "1.048576e+06"),
            (123456789.0, "1.2345679e+08"),
            (1.0 / 3.0, "0.33333334"),
            (7.75, "7.75"),
            (0.0, "0.0"),
        ];
        for (x, s) in f32s {
            assert_eq!(numpy_f32(x), s, "{x}");
        }
    }
}
