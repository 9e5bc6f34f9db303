//! A loom file with the compound attributes pySCENIC and SCope write (regulon tables,
//! embeddings keyed by id, a record table with string, bool and array fields, a compound
//! global attribute) and graphs of several stored types, all written through loom-core's
//! managers. `loompy_check.py` compares the compounds through loompy (record arrays,
//! opened with validate=False as those tools do), h5py and h5dump, and the graphs' stored
//! types.

use std::path::Path;

use loom_core::{AttrValues, Axis};
use ndarray::Array2;
use serde_json::{json, Value};
use sprs::TriMat;

use super::loomcore::{err, grid, layer_json, set_attr, set_global, Expect, R};
use super::loomcore_read::float;

/// Floats with the bit patterns that must survive: -0.0, infinities, NaN, subnormals.
fn odd(i: usize, scale: f64) -> f64 {
    match i % 9 {
        0 => -0.0,
        3 => f64::INFINITY,
        5 => f64::NEG_INFINITY,
        7 => f64::NAN,
        8 => f64::MIN_POSITIVE / 4.0,
        _ => (i as f64 - 17.0) * scale,
    }
}

/// `lc_compound.loom` (30 genes × 40 cells) and its manifest entry.
pub fn compound(dir: &Path) -> R<Value> {
    let file = "lc_compound.loom";
    let (n, m) = (30usize, 40usize);
    let mut ds = loom_core::new(dir.join(file)).map_err(err("new"))?;
    let mut e = Expect::default();
    let main = grid(n, m, |i, j| ((i * 3 + j) % 7) as f32);
    ds.layers_mut().set("", main.view()).map_err(err("main"))?;
    e.layers.insert(
        String::new(),
        layer_json("float32", &main, |x| float(f64::from(x))),
    );

    // pySCENIC: an int64 0/1 field per regulon (rows) and its AUC per cell (columns).
    let regulons = AttrValues::compound((0..8).map(|k| {
        let v: Vec<i64> = (0..n).map(|i| i64::from((i + k) % 3 == 0)).collect();
        (format!("TF{k}(+)"), v)
    }));
    set_attr(&mut ds, &mut e, 0, "Regulons", regulons)?;
    let auc = AttrValues::compound((0..8).map(|k| {
        let v: Vec<f64> = (0..m).map(|j| ((j * 7 + k) % 13) as f64 / 13.0).collect();
        (format!("TF{k}(+)"), v)
    }));
    set_attr(&mut ds, &mut e, 1, "RegulonsAUC", auc)?;

    // SCope: the default embedding (float32 _X/_Y) and others keyed by id (float64).
    let emb = AttrValues::compound([
        (
            "_X",
            (0..m).map(|j| odd(j, 0.25) as f32).collect::<Vec<_>>(),
        ),
        ("_Y", (0..m).map(|j| odd(j + 4, -0.5) as f32).collect()),
    ]);
    set_attr(&mut ds, &mut e, 1, "Embedding", emb)?;
    for (name, scale) in [("Embeddings_X", 0.125), ("Embeddings_Y", -1e-3)] {
        let v = AttrValues::compound(["-1", "1", "2"].iter().enumerate().map(|(k, id)| {
            let col: Vec<f64> = (0..m).map(|j| odd(j + 2 * k, scale)).collect();
            (*id, col)
        }));
        set_attr(&mut ds, &mut e, 1, name, v)?;
    }
    let clusterings = AttrValues::compound([
        ("0", (0..m).map(|j| (j % 4) as i64).collect::<Vec<_>>()),
        ("1", (0..m).map(|j| (j % 7) as i64 - 3).collect()),
    ]);
    set_attr(&mut ds, &mut e, 1, "Clusterings", clusterings)?;

    // Records with a fixed-length string, a bool (stored uint8), a 2-float array and an
    // int16 field.
    let pos = Array2::from_shape_fn((n, 2), |(i, k)| i as f32 * 0.5 - k as f32);
    let meta = AttrValues::compound([
        (
            "name",
            AttrValues::from((0..n).map(|i| format!("gene-{i}")).collect::<Vec<_>>()),
        ),
        (
            "flag",
            AttrValues::from((0..n).map(|i| i % 2 == 0).collect::<Vec<_>>()),
        ),
        ("pos", AttrValues::from(pos)),
        (
            "n",
            AttrValues::from((0..n).map(|i| i as i16 * -1000).collect::<Vec<_>>()),
        ),
    ]);
    set_attr(&mut ds, &mut e, 0, "Meta", meta)?;

    // A compound global attribute (spec 3: a dataset under /attrs).
    let table = AttrValues::compound([
        ("id", AttrValues::from(vec![-1i32, 1, 2])),
        ("scale", AttrValues::from(vec![0.5f32, f32::NAN, -2.0])),
    ]);
    set_global(&mut ds, &mut e, "EmbeddingTable", table)?;

    // Graphs keep the types they are given: float32 weights (int32 vertices, as scipy
    // gives loompy), and int64 vertices through set_edges.
    let (a, b): (Vec<usize>, Vec<usize>) = (0..m).map(|j| (j, (j * 7 + 3) % m)).unzip();
    let w: Vec<f32> = (0..m).map(|j| (j % 5) as f32 / 4.0 + 0.25).collect();
    let knn = TriMat::from_triplets((m, m), a.clone(), b.clone(), w.clone());
    ds.graphs_mut(Axis::Cols)
        .set("KNN32", &knn)
        .map_err(err("KNN32"))?;
    e.col_graphs.insert(
        "KNN32".into(),
        json!({"a": a, "b": b, "w": w, "types": ["int32", "int32", "float32"]}),
    );
    let ra: Vec<i64> = (0..n as i64).collect();
    let rb: Vec<i64> = (0..n as i64).map(|i| (i * 11) % n as i64).collect();
    let rw: Vec<f32> = (0..n).map(|i| i as f32 / 8.0 + 0.125).collect();
    ds.set_edges("Wide", &ra, &rb, &rw, Axis::Rows)
        .map_err(err("Wide"))?;
    e.row_graphs.insert(
        "Wide".into(),
        json!({"a": ra, "b": rb, "w": rw, "types": ["int64", "int64", "float32"]}),
    );
    ds.close().map_err(err("close"))?;
    let mut entry = e.to_json(file, (n as u64, m as u64), "3.0.0");
    entry["validate"] = json!(false);
    Ok(entry)
}
