//! Loom files written through loom-core's public API (not the raw writer), for
//! `xtask/interop/loompy_check.py`: every layer dtype, sparse and selection writes,
//! unicode strings, 1-D and 2-D row/column attributes of every kind, graphs, global
//! attributes (a list of strings among them), deleted layers/attributes/graphs, and an
//! edit of a loom spec 2 fixture. Each file's expected contents go into
//! `manifest_loomcore.json`, built from the values handed to loom-core (never read back
//! with it), so the check does not trust the implementation it checks.

use std::path::Path;

use loom_core::{AttrValues, LayerOptions, LoomConnection, Mode};
use ndarray::{Array2, ArrayD, IxDyn};
use serde_json::{json, Map, Value};

use super::loomcore_read::{float, values_json};

pub(super) type R<T> = Result<T, String>;

pub(super) fn err(what: &str) -> impl Fn(loom_core::LoomError) -> String + '_ {
    move |e| format!("{what}: {e}")
}

/// The expected contents of one file, filled in as loom-core is asked to write them.
#[derive(Default)]
pub(super) struct Expect {
    pub(super) layers: Map<String, Value>,
    pub(super) ra: Map<String, Value>,
    pub(super) ca: Map<String, Value>,
    pub(super) row_graphs: Map<String, Value>,
    pub(super) col_graphs: Map<String, Value>,
    pub(super) globals: Map<String, Value>,
    pub(super) absent: Map<String, Value>,
}

impl Expect {
    pub(super) fn absent(&mut self, kind: &str, name: &str) {
        let list = self
            .absent
            .entry(kind.to_owned())
            .or_insert_with(|| json!([]));
        if let Value::Array(v) = list {
            v.push(json!(name));
        }
    }

    pub(super) fn to_json(&self, file: &str, shape: (u64, u64), spec: &str) -> Value {
        json!({
            "file": file,
            "shape": [shape.0, shape.1],
            "spec": spec,
            "layers": self.layers,
            "ra": self.ra,
            "ca": self.ca,
            "row_graphs": self.row_graphs,
            "col_graphs": self.col_graphs,
            "globals": self.globals,
            "absent": self.absent,
        })
    }
}

pub(super) fn layer_json<T: Copy>(dtype: &str, a: &Array2<T>, f: impl Fn(T) -> Value) -> Value {
    json!({
        "dtype": dtype,
        "shape": [a.nrows(), a.ncols()],
        "values": a.iter().map(|&x| f(x)).collect::<Vec<_>>(),
    })
}

/// Sets a row (axis 0) or column (1) attribute and records it.
pub(super) fn set_attr(
    ds: &mut LoomConnection,
    e: &mut Expect,
    axis: usize,
    name: &str,
    v: AttrValues,
) -> R<()> {
    let j = values_json(&v);
    if axis == 0 {
        ds.ra_mut().set(name, v).map_err(err(name))?;
        e.ra.insert(name.to_owned(), j);
    } else {
        ds.ca_mut().set(name, v).map_err(err(name))?;
        e.ca.insert(name.to_owned(), j);
    }
    Ok(())
}

pub(super) fn set_global(
    ds: &mut LoomConnection,
    e: &mut Expect,
    name: &str,
    v: AttrValues,
) -> R<()> {
    let j = values_json(&v);
    ds.attrs_mut().set(name, v).map_err(err(name))?;
    e.globals.insert(name.to_owned(), j);
    Ok(())
}

pub(super) fn grid<T>(n: usize, m: usize, f: impl Fn(usize, usize) -> T) -> Array2<T> {
    Array2::from_shape_fn((n, m), |(i, j)| f(i, j))
}

pub(super) fn arr2<T>(n: usize, k: usize, f: impl Fn(usize) -> T) -> R<AttrValues>
where
    AttrValues: From<ArrayD<T>>,
{
    let v: Vec<T> = (0..n * k).map(f).collect();
    ArrayD::from_shape_vec(IxDyn(&[n, k]), v)
        .map(AttrValues::from)
        .map_err(|e| e.to_string())
}

/// Snippets used in string values: non-ASCII in several scripts and widths, and XML
/// special characters (which loompy unescapes on reading and loom-core stores as is).
const WORDS: [&str; 9] = [
    "naïve",
    "R&D <lab>",
    "CD8⁺ T",
    "β-cell",
    "細胞",
    "Zellé",
    "plain",
    "emoji 🧬",
    "ñ-ö-ü",
];

pub(super) fn word(i: usize) -> String {
    format!("{}#{i}", WORDS[i % WORDS.len()])
}

/// Every layer dtype, a sparse layer, a selection write, a float16 layer made empty, a
/// deleted layer.
fn dtypes(dir: &Path) -> R<Value> {
    let file = "lc_dtypes.loom";
    let (n, m) = (70usize, 45usize);
    let mut ds = loom_core::new(dir.join(file)).map_err(err("new"))?;
    let mut e = Expect::default();
    let main = grid(n, m, |i, j| ((i * 31 + j * 7) % 23) as f32 * 0.25 - 2.0);
    ds.layers_mut().set("", main.view()).map_err(err("main"))?;
    e.layers.insert(
        String::new(),
        layer_json("float32", &main, |x| float(f64::from(x))),
    );
    macro_rules! int_layer {
        ($name:literal, $t:ty) => {{
            let a = grid(n, m, |i, j| match (i + j) % 5 {
                0 => <$t>::MIN,
                1 => <$t>::MAX,
                _ => ((i * 3 + j) % 100) as $t,
            });
            ds.layers_mut().set($name, a.view()).map_err(err($name))?;
            e.layers
                .insert($name.to_owned(), layer_json($name, &a, |x| json!(x)));
        }};
    }
    int_layer!("int8", i8);
    int_layer!("int16", i16);
    int_layer!("int32", i32);
    int_layer!("int64", i64);
    int_layer!("uint8", u8);
    int_layer!("uint16", u16);
    int_layer!("uint32", u32);
    int_layer!("uint64", u64);
    let f64s = grid(n, m, |i, j| match (i * m + j) % 6 {
        0 => f64::MAX,
        1 => f64::MIN_POSITIVE,
        2 => -1e-300,
        _ => (i as f64 - j as f64) / 7.0,
    });
    ds.layers_mut()
        .set("float64", f64s.view())
        .map_err(err("float64"))?;
    e.layers
        .insert("float64".into(), layer_json("float64", &f64s, float));
    // A float64 source stored as float32 (loompy's set_layer(dtype=...)).
    let opts = LayerOptions {
        dtype: Some("float32".into()),
        chunks: Some((16, 16)),
        compression: Some(0),
    };
    let narrowed = grid(n, m, |i, j| (i * j) as f64 / 8.0);
    ds.layers_mut()
        .set_with("as_float32", narrowed.view(), &opts)
        .map_err(err("as_float32"))?;
    e.layers
        .insert("as_float32".into(), layer_json("float32", &narrowed, float));
    // Sparse, stored as int32.
    let mut tri = sprs::TriMat::<i32>::new((n, m));
    let mut dense = Array2::<i32>::zeros((n, m));
    for k in 0..90usize {
        let (i, j) = ((k * 37) % n, (k * 11) % m);
        if dense[(i, j)] == 0 {
            let v = k as i32 - 45;
            let v = if v == 0 { 7 } else { v };
            tri.add_triplet(i, j, v);
            dense[(i, j)] = v;
        }
    }
    ds.layers_mut()
        .set_with("sparse", &tri.to_csr(), &LayerOptions::default())
        .map_err(err("sparse"))?;
    e.layers
        .insert("sparse".into(), layer_json("int32", &dense, |x| json!(x)));
    // Created empty, then written through selections.
    ds.layers_mut()
        .set("selected", "float64")
        .map_err(err("create_layer"))?;
    let mut sel = Array2::<f64>::zeros((n, m));
    let rows: Vec<i64> = vec![3, 1, 66, -1];
    let block = grid(4, 5, |i, j| (i * 10 + j) as f64 + 0.5);
    ds.layers_mut()
        .write("selected", rows.clone(), 10..15, block.view())
        .map_err(err("write_layer"))?;
    for (bi, &r) in rows.iter().enumerate() {
        let r = if r < 0 { n as i64 + r } else { r } as usize;
        for bj in 0..5 {
            sel[(r, 10 + bj)] = block[(bi, bj)];
        }
    }
    let mask: Vec<bool> = (0..m).map(|j| j % 4 == 0).collect();
    let picked: Vec<usize> = (0..m).filter(|j| j % 4 == 0).collect();
    let row = grid(1, picked.len(), |_, j| -(j as f64) - 0.25);
    ds.layers_mut()
        .write("selected", 5, mask, row.view())
        .map_err(err("write_layer mask"))?;
    for (k, &j) in picked.iter().enumerate() {
        sel[(5, j)] = row[(0, k)];
    }
    e.layers
        .insert("selected".into(), layer_json("float64", &sel, float));
    // float16 can be created (zeros) though not written.
    ds.layers_mut()
        .set("half", "float16")
        .map_err(err("float16"))?;
    let zeros = Array2::<f64>::zeros((n, m));
    e.layers
        .insert("half".into(), layer_json("float16", &zeros, float));
    // A layer made and deleted.
    ds.layers_mut()
        .set("gone", main.view())
        .map_err(err("gone"))?;
    ds.layers_mut().delete("gone").map_err(err("delete gone"))?;
    e.absent("layers", "gone");
    set_attr(
        &mut ds,
        &mut e,
        0,
        "Gene",
        AttrValues::from((0..n).map(word).collect::<Vec<_>>()),
    )?;
    set_attr(
        &mut ds,
        &mut e,
        1,
        "CellID",
        AttrValues::from((0..m).map(|j| format!("cell-{j}")).collect::<Vec<_>>()),
    )?;
    let shape = ds.shape();
    ds.close().map_err(err("close"))?;
    Ok(e.to_json(file, shape, "3.0.0"))
}

/// A global list of strings (which loompy 3.0.8 cannot write itself) in a file of its own.
fn global_strings(dir: &Path) -> R<Value> {
    let file = "lc_global_strings.loom";
    let mut ds = loom_core::new(dir.join(file)).map_err(err("new"))?;
    let mut e = Expect::default();
    let main = grid(6, 4, |i, j| (i * 4 + j) as f64);
    ds.layers_mut().set("", main.view()).map_err(err("main"))?;
    e.layers
        .insert(String::new(), layer_json("float64", &main, float));
    set_global(
        &mut ds,
        &mut e,
        "clusters",
        vec!["T cells", "B-Zellen", "細胞", "naïve"].into(),
    )?;
    set_global(&mut ds, &mut e, "ascii_list", vec!["a", "bb", "ccc"].into())?;
    let shape = ds.shape();
    ds.close().map_err(err("close"))?;
    Ok(e.to_json(file, shape, "3.0.0"))
}

/// A copy of the loompy 2 fixture (fixed-length ASCII strings, globals as root HDF5
/// attributes) edited in place: new row/column attributes with non-ASCII strings
/// (stored as `&#NNN;`), a numeric and a 2-D column attribute, a global string, a
/// layer, a graph. What was there before is checked against loompy's reading of the
/// original (`base` in the manifest).
fn spec2(dir: &Path, fixtures: &Path) -> R<Value> {
    let file = "lc_spec2.loom";
    let base = fixtures.join("30_emul_loompy2_fixedlen.loom");
    std::fs::copy(&base, dir.join(file)).map_err(|e| format!("copy {}: {e}", base.display()))?;
    let mut ds =
        LoomConnection::open(dir.join(file), Mode::ReadWrite, true).map_err(err("open"))?;
    let (n, m) = ds.shape();
    let (n, m) = (n as usize, m as usize);
    let mut e = Expect::default();
    set_attr(
        &mut ds,
        &mut e,
        0,
        "Note",
        AttrValues::from((0..n).map(word).collect::<Vec<_>>()),
    )?;
    set_attr(
        &mut ds,
        &mut e,
        1,
        "Score",
        AttrValues::from((0..m).map(|j| j as f64 * 0.75).collect::<Vec<_>>()),
    )?;
    set_attr(&mut ds, &mut e, 1, "Pair", arr2(m, 2, |x| x as i64)?)?;
    set_attr(
        &mut ds,
        &mut e,
        1,
        "Kept",
        AttrValues::from((0..m).map(|j| j % 2 == 0).collect::<Vec<_>>()),
    )?;
    set_global(&mut ds, &mut e, "edited_by", "loom-core — ünïcode".into())?;
    set_global(&mut ds, &mut e, "edit_count", 3i64.into())?;
    let extra = grid(n, m, |i, j| (i as i32 - j as i32) * 3);
    ds.layers_mut()
        .set("extra", extra.view())
        .map_err(err("extra"))?;
    e.layers
        .insert("extra".into(), layer_json("int32", &extra, |x| json!(x)));
    let a: Vec<i64> = (0..n as i64).collect();
    let b: Vec<i64> = (0..n as i64).rev().collect();
    let w: Vec<f64> = (0..n).map(|i| i as f64 + 0.5).collect();
    ds.set_edges("RNN", &a, &b, &w, loom_core::Axis::Rows)
        .map_err(err("RNN"))?;
    e.row_graphs
        .insert("RNN".into(), json!({"a": a, "b": b, "w": w}));
    // C1 controls are escaped as loompy does (&#150;), which html.unescape (so loompy)
    // reads back as the cp1252 character (U+2013), not U+0096.
    let c1: Vec<String> = (0..m)
        .map(|j| ["price \u{80}", "dash \u{96}", "euro €", "ok"][j % 4].to_owned())
        .collect();
    set_attr(&mut ds, &mut e, 1, "C1Controls", AttrValues::from(c1))?;
    // 2-D strings (fixed-length, escaped) and deletions of what loompy 2 wrote.
    set_attr(&mut ds, &mut e, 1, "Names2d", arr2(m, 2, |x| word(x + 1))?)?;
    ds.ra_mut()
        .delete("Accession")
        .map_err(err("delete Accession"))?;
    e.absent("ra", "Accession");
    ds.layers_mut()
        .delete("spliced")
        .map_err(err("delete spliced"))?;
    e.absent("layers", "spliced");
    ds.attrs_mut()
        .delete("title")
        .map_err(err("delete title"))?;
    e.absent("globals", "title");
    let spec = ds.spec_version();
    let shape = ds.shape();
    ds.close().map_err(err("close"))?;
    let mut v = e.to_json(file, shape, &spec);
    v["base"] = json!(base.display().to_string());
    Ok(v)
}

/// Writes the files into `dir`; returns the manifest and one line per file that could
/// not be written.
pub fn write_all(dir: &Path, fixtures: &Path) -> (Value, usize, Vec<String>) {
    let mut files = Vec::new();
    let mut failed = Vec::new();
    let results: [(&str, R<Value>); 6] = [
        ("lc_dtypes", dtypes(dir)),
        ("lc_attrs", super::loomcore_attrs::attrs(dir)),
        ("lc_global_strings", global_strings(dir)),
        ("lc_spec2", spec2(dir, fixtures)),
        (
            "lc_spec2_dense",
            super::loomcore_dense::spec2_dense(dir, fixtures),
        ),
        ("lc_compound", super::loomcore_compound::compound(dir)),
    ];
    for (name, r) in results {
        match r {
            Ok(v) => files.push(v),
            Err(e) => failed.push(format!("loom-core writes {name}: {e}")),
        }
    }
    let passed = files.len();
    (json!({"version": 1, "files": files}), passed, failed)
}
