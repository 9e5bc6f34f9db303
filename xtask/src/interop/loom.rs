//! Loom-shaped files written from scratch (the layout of the `write_loom_shaped` example),
//! the plan for the loompy step (a float32 layer and two column attributes loompy adds to
//! every loom file), and the Rust read-back of what loompy and the writer left there.

use std::path::Path;

use hdf5_lite::format::messages::{CharSet, Datatype};
use hdf5_lite::read::{File, Numeric};
use hdf5_lite::write::{vlen_utf8, AttrValue, DatasetSpec};
use serde_json::{json, Value};

use super::model::base64;
use super::session::{Data, Exp, Session};

type R<T> = Result<T, String>;

const STAMP: &str = "20261121T000000.000000Z";

/// The loom layout of the example, with graphs under `graphs_prefix` (`row_graphs`, or
/// loompy 2's `row_edges`) and `col_...`.
fn write_loom(s: &mut Session, rows: u64, cols: u64, row_graphs: &str, col_graphs: &str) -> R<()> {
    let stamp = AttrValue::string(STAMP);
    for group in [
        "/attrs",
        "/layers",
        "/row_attrs",
        "/col_attrs",
        row_graphs,
        col_graphs,
    ] {
        s.group(group)?;
        s.attr(group, "last_modified", &stamp)?;
    }
    s.attr("/", "last_modified", &stamp)?;
    let matrix = DatasetSpec::new(f32::datatype(), &[rows, cols])
        .maxshape(&[Some(rows), None])
        .chunks(&[64, 64])
        .deflate(2);
    s.dataset("/matrix", &matrix)?;
    let values: Vec<f32> = (0..rows * cols).map(|i| (i % 13) as f32 * 0.5).collect();
    s.write_numbers("/matrix", &[0, 0], &[rows, cols], &values)?;
    s.attr("/matrix", "last_modified", &stamp)?;
    let counts = DatasetSpec::new(i32::datatype(), &[rows, cols])
        .maxshape(&[Some(rows), None])
        .chunks(&[64, 64])
        .deflate(2);
    s.dataset("/layers/counts", &counts)?;
    let ints: Vec<i32> = (0..rows * cols).map(|i| (i % 7) as i32).collect();
    s.write_numbers("/layers/counts", &[0, 0], &[rows, cols], &ints)?;
    let attr = |n: u64| {
        DatasetSpec::new(vlen_utf8(), &[n])
            .maxshape(&[None])
            .chunks(&[n])
            .deflate(2)
    };
    let genes: Vec<String> = (0..rows).map(|i| format!("Gene{i}é")).collect();
    let genes: Vec<&str> = genes.iter().map(String::as_str).collect();
    s.dataset("/row_attrs/Gene", &attr(rows))?;
    s.write_strings("/row_attrs/Gene", &[0], &[rows], &genes)?;
    let cells: Vec<String> = (0..cols).map(|i| format!("Cell{i}é")).collect();
    let cells: Vec<&str> = cells.iter().map(String::as_str).collect();
    s.dataset("/col_attrs/CellID", &attr(cols))?;
    s.write_strings("/col_attrs/CellID", &[0], &[cols], &cells)?;
    let total = DatasetSpec::new(f64::datatype(), &[cols])
        .maxshape(&[None])
        .chunks(&[cols])
        .deflate(2);
    s.dataset("/col_attrs/Total", &total)?;
    let totals: Vec<f64> = (0..cols).map(|c| c as f64 * 1.25).collect();
    s.write_numbers("/col_attrs/Total", &[0], &[cols], &totals)?;
    s.dataset(
        "/attrs/LOOM_SPEC_VERSION",
        &DatasetSpec::new(vlen_utf8(), &[]),
    )?;
    s.write_strings("/attrs/LOOM_SPEC_VERSION", &[], &[], &["3.0.0"])?;
    s.dataset("/attrs/CreationDate", &DatasetSpec::new(vlen_utf8(), &[]))?;
    s.write_strings("/attrs/CreationDate", &[], &[], &[STAMP])?;
    let knn = format!("{row_graphs}/KNN");
    s.group(&knn)?;
    let edges = 50u64;
    let a: Vec<i32> = (0..edges as i32).map(|i| i % rows as i32).collect();
    let b: Vec<i32> = (0..edges as i32).map(|i| (i * 7) % rows as i32).collect();
    let w: Vec<f64> = (0..edges).map(|i| 1.0 / (i + 1) as f64).collect();
    for (name, dt) in [
        ("a", i32::datatype()),
        ("b", i32::datatype()),
        ("w", f64::datatype()),
    ] {
        s.dataset(&format!("{knn}/{name}"), &DatasetSpec::new(dt, &[edges]))?;
    }
    s.write_numbers(&format!("{knn}/a"), &[0], &[edges], &a)?;
    s.write_numbers(&format!("{knn}/b"), &[0], &[edges], &b)?;
    s.write_numbers(&format!("{knn}/w"), &[0], &[edges], &w)?;
    Ok(())
}

/// The example's loom layout, 100 x 70.
pub fn loom_shaped(dir: &Path) -> R<Vec<Exp>> {
    let mut s = Session::create(
        dir,
        "loom_shaped.loom",
        "created: the example's loom layout",
    )?;
    s.exp.loom = true;
    write_loom(&mut s, 100, 70, "/row_graphs", "/col_graphs")?;
    Ok(vec![s.close()?])
}

/// A loom file with loompy 2's `row_edges`/`col_edges`, renamed to `row_graphs` and
/// `col_graphs` in a second session, which also appends columns (loompy's add_columns).
pub fn loom_renamed(dir: &Path) -> R<Vec<Exp>> {
    let mut s = Session::create(dir, "loom_renamed.loom", "created: row_edges renamed")?;
    s.exp.loom = true;
    write_loom(&mut s, 130, 60, "/row_edges", "/col_edges")?;
    let exp = s.close()?;
    let mut s = Session::open(dir, exp)?;
    s.rename("/row_edges", "/row_graphs")?;
    s.rename("/col_edges", "/col_graphs")?;
    let (rows, old, new) = (130u64, 60u64, 75u64);
    for path in ["/matrix", "/layers/counts"] {
        s.resize(path, &[rows, new])?;
        let v: Vec<f64> = (0..rows * (new - old)).map(|i| (i % 5) as f64).collect();
        s.write_numbers(path, &[0, old], &[rows, new - old], &v)?;
    }
    s.resize("/col_attrs/CellID", &[new])?;
    let cells: Vec<String> = (old..new).map(|i| format!("Added{i}")).collect();
    let cells: Vec<&str> = cells.iter().map(String::as_str).collect();
    s.write_strings("/col_attrs/CellID", &[old], &[new - old], &cells)?;
    s.resize("/col_attrs/Total", &[new])?;
    let totals: Vec<f64> = (old..new).map(|c| c as f64 * 1.25).collect();
    s.write_numbers("/col_attrs/Total", &[old], &[new - old], &totals)?;
    s.attr("/row_graphs", "last_modified", &AttrValue::string(STAMP))?;
    Ok(vec![s.close()?])
}

/// What loompy adds to one file.
#[derive(Debug)]
pub struct LoompyPlan {
    pub file: String,
    pub rows: u64,
    pub cols: u64,
    pub layer: Vec<f32>,
    pub score: Vec<f64>,
    pub names: Vec<String>,
}

fn matrix_shape(exp: &Exp) -> Option<(u64, u64)> {
    let ds = exp.objects.get("/matrix")?.dataset.as_ref()?;
    match &ds.data {
        Data::Raw(m) if m.shape.len() == 2 => Some((m.shape[0], m.shape[1])),
        _ => None,
    }
}

/// The loompy plan of every loom file among `exps`.
pub fn plans(exps: &[Exp]) -> R<Vec<LoompyPlan>> {
    let mut out = Vec::new();
    for exp in exps.iter().filter(|e| e.loom) {
        let (rows, cols) = matrix_shape(exp)
            .ok_or_else(|| format!("{}: its /matrix shape is not expected", exp.name))?;
        let seed = out.len() as f32;
        out.push(LoompyPlan {
            file: exp.name.clone(),
            rows,
            cols,
            layer: (0..rows * cols)
                .map(|i| (i % 97) as f32 * 0.375 - 11.0 + seed)
                .collect(),
            score: (0..cols)
                .map(|c| c as f64 * -0.1 + f64::from(seed))
                .collect(),
            names: (0..cols).map(|c| format!("interop-{c}-µ")).collect(),
        });
    }
    Ok(out)
}

/// The manifest's `loompy` section.
pub fn plans_json(plans: &[LoompyPlan]) -> Value {
    let items: Vec<Value> = plans
        .iter()
        .map(|p| {
            let mut layer = Vec::with_capacity(p.layer.len() * 4);
            f32::extend_le(&p.layer, &mut layer);
            let mut score = Vec::with_capacity(p.score.len() * 8);
            f64::extend_le(&p.score, &mut score);
            json!({
                "file": p.file,
                "rows": p.rows,
                "cols": p.cols,
                "layer": "interop_extra",
                "layer_f32le_b64": base64(&layer),
                "col_attrs": {
                    "InteropScore": {"f64le_b64": base64(&score)},
                    "InteropName": {"strings": p.names},
                },
            })
        })
        .collect();
    Value::Array(items)
}

fn xml_char_refs(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii() {
                c.to_string()
            } else {
                format!("&#{};", c as u32)
            }
        })
        .collect()
}

fn same_f32(a: &[f32], b: &[f32]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.to_bits() == y.to_bits())
}

fn same_f64(a: &[f64], b: &[f64]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.to_bits() == y.to_bits())
}

/// Reads back, with hdf5-lite, what loompy added; one line per failed check.
pub fn read_back(dir: &Path, plan: &LoompyPlan) -> (usize, Vec<String>) {
    let mut passed = 0;
    let mut failed = Vec::new();
    let f = &plan.file;
    let file = match File::open(dir.join(f)) {
        Ok(file) => file,
        Err(e) => return (0, vec![format!("{f}: hdf5-lite cannot open it: {e}")]),
    };
    let mut check = |what: &str, r: Result<bool, String>| match r {
        Ok(true) => passed += 1,
        Ok(false) => failed.push(format!("{f}: {what}: values differ")),
        Err(e) => failed.push(format!("{f}: {what}: {e}")),
    };
    let layer = file
        .dataset("/layers/interop_extra")
        .and_then(|d| {
            let shape = d.shape().to_vec();
            d.read::<f32>()
                .map(|a| (shape, a.iter().copied().collect::<Vec<f32>>()))
        })
        .map_err(|e| e.to_string())
        .map(|(shape, v)| shape == [plan.rows, plan.cols] && same_f32(&v, &plan.layer));
    check("/layers/interop_extra", layer);
    let score = file
        .dataset("/col_attrs/InteropScore")
        .and_then(|d| d.read::<f64>())
        .map_err(|e| e.to_string())
        .map(|a| same_f64(&a.iter().copied().collect::<Vec<f64>>(), &plan.score));
    check("/col_attrs/InteropScore", score);
    // In files of loom spec 2 (fixed-length ASCII strings) loompy stores non-ASCII
    // characters as XML character references.
    let names = file
        .dataset("/col_attrs/InteropName")
        .and_then(|d| {
            let ascii = matches!(
                d.datatype(),
                Datatype::FixedString {
                    charset: CharSet::Ascii,
                    ..
                }
            );
            d.read_strings().map(|v| (v, ascii))
        })
        .map_err(|e| e.to_string())
        .map(|(v, ascii)| {
            let want: Vec<String> = if ascii {
                plan.names.iter().map(|n| xml_char_refs(n)).collect()
            } else {
                plan.names.clone()
            };
            v == want
        });
    check("/col_attrs/InteropName", names);
    (passed, failed)
}

/// Reads every expected dataset of `exp` with hdf5-lite and compares it with the model.
pub fn read_back_models(dir: &Path, exp: &Exp) -> (usize, Vec<String>) {
    let mut passed = 0;
    let mut failed = Vec::new();
    let f = &exp.name;
    let file = match File::open(dir.join(f)) {
        Ok(file) => file,
        Err(e) => return (0, vec![format!("{f}: hdf5-lite cannot open it: {e}")]),
    };
    for (path, obj) in &exp.objects {
        let Some(ds) = &obj.dataset else { continue };
        let result = file
            .dataset(path)
            .map_err(|e| e.to_string())
            .and_then(|d| match &ds.data {
                Data::Raw(m) => d
                    .read_raw()
                    .map(|raw| raw == m.data.concat() && d.shape() == m.shape.as_slice())
                    .map_err(|e| e.to_string()),
                Data::Str(m) => d
                    .read_strings()
                    .map(|v| v == m.data && d.shape() == m.shape.as_slice())
                    .map_err(|e| e.to_string()),
            });
        match result {
            Ok(true) => passed += 1,
            Ok(false) => failed.push(format!(
                "{f}: {path}: hdf5-lite reads other values or shape"
            )),
            Err(e) => failed.push(format!("{f}: {path}: hdf5-lite: {e}")),
        }
    }
    (passed, failed)
}
