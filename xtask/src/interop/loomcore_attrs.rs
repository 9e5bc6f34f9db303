//! `lc_attrs.loom`, written through loom-core's managers for `loompy_check.py`: row and
//! column attributes of every kind (1-D and 2-D: integers, floats, bools, unicode
//! strings), graphs, global attributes, and deleted or replaced ones. Its expected
//! contents are built from the values handed to loom-core (see `loomcore`).

use std::path::Path;

use loom_core::{AttrValues, LoomConnection};
use serde_json::{json, Value};

use super::loomcore::{arr2, err, grid, layer_json, set_attr, set_global, word, Expect, R};
use super::loomcore_read::float;

/// Row and column attributes of every kind (1-D and 2-D), graphs, global attributes,
/// and deleted or replaced ones.
pub(super) fn attrs(dir: &Path) -> R<Value> {
    let file = "lc_attrs.loom";
    let (n, m) = (50usize, 40usize);
    let mut ds = loom_core::new(dir.join(file)).map_err(err("new"))?;
    let mut e = Expect::default();
    let main = grid(n, m, |i, j| ((i + 2 * j) % 9) as f32);
    ds.layers_mut().set("", main.view()).map_err(err("main"))?;
    e.layers.insert(
        String::new(),
        layer_json("float32", &main, |x| float(f64::from(x))),
    );
    for axis in [0usize, 1] {
        let k = [n, m][axis];
        let set = |ds: &mut LoomConnection, e: &mut Expect, name: &str, v: AttrValues| {
            set_attr(ds, e, axis, name, v)
        };
        set(
            &mut ds,
            &mut e,
            "i8",
            (0..k).map(|i| i as i8 - 20).collect::<Vec<_>>().into(),
        )?;
        set(
            &mut ds,
            &mut e,
            "i16",
            (0..k).map(|i| i as i16 * -300).collect::<Vec<_>>().into(),
        )?;
        set(
            &mut ds,
            &mut e,
            "i32",
            (0..k)
                .map(|i| i as i32 * 100_000)
                .collect::<Vec<_>>()
                .into(),
        )?;
        set(
            &mut ds,
            &mut e,
            "i64",
            (0..k)
                .map(|i| {
                    if i == 0 {
                        i64::MIN
                    } else {
                        i as i64 * 1_000_000_007
                    }
                })
                .collect::<Vec<_>>()
                .into(),
        )?;
        set(
            &mut ds,
            &mut e,
            "u8",
            (0..k).map(|i| 255 - i as u8).collect::<Vec<_>>().into(),
        )?;
        set(
            &mut ds,
            &mut e,
            "u16",
            (0..k).map(|i| i as u16 * 1000).collect::<Vec<_>>().into(),
        )?;
        set(
            &mut ds,
            &mut e,
            "u32",
            (0..k)
                .map(|i| u32::MAX - i as u32)
                .collect::<Vec<_>>()
                .into(),
        )?;
        set(
            &mut ds,
            &mut e,
            "u64",
            (0..k)
                .map(|i| u64::MAX - i as u64)
                .collect::<Vec<_>>()
                .into(),
        )?;
        set(
            &mut ds,
            &mut e,
            "f32",
            (0..k).map(|i| i as f32 / 3.0).collect::<Vec<_>>().into(),
        )?;
        let f64s: Vec<f64> = (0..k)
            .map(|i| match i {
                0 => f64::NAN,
                1 => f64::INFINITY,
                2 => f64::NEG_INFINITY,
                _ => (i as f64).sqrt(),
            })
            .collect();
        set(&mut ds, &mut e, "f64", f64s.into())?;
        set(
            &mut ds,
            &mut e,
            "flag",
            (0..k).map(|i| i % 3 == 0).collect::<Vec<_>>().into(),
        )?;
        set(
            &mut ds,
            &mut e,
            "label",
            (0..k).map(|i| word(i + axis)).collect::<Vec<_>>().into(),
        )?;
        set(
            &mut ds,
            &mut e,
            "ascii",
            (0..k)
                .map(|i| {
                    if i == 1 {
                        String::new()
                    } else {
                        format!("a{i}")
                    }
                })
                .collect::<Vec<_>>()
                .into(),
        )?;
        set(
            &mut ds,
            &mut e,
            "embedding",
            arr2(k, 3, |x| x as f64 * 0.5 - 7.0)?,
        )?;
        set(&mut ds, &mut e, "counts2d", arr2(k, 2, |x| x as i32 - 40)?)?;
        set(&mut ds, &mut e, "flags2d", arr2(k, 2, |x| x % 5 == 1)?)?;
        set(&mut ds, &mut e, "names2d", arr2(k, 2, |x| word(x * 3))?)?;
        // Replaced with another dtype, and deleted.
        set(&mut ds, &mut e, "replaced", vec![1.5f64; k].into())?;
        set(
            &mut ds,
            &mut e,
            "replaced",
            (0..k).map(|i| format!("r{i}é")).collect::<Vec<_>>().into(),
        )?;
        let gone = if axis == 0 { "gone_row" } else { "gone_col" };
        set(&mut ds, &mut e, gone, vec![1u8; k].into())?;
        if axis == 0 {
            ds.ra_mut().delete(gone).map_err(err(gone))?;
            e.ra.remove(gone);
            e.absent("ra", gone);
        } else {
            ds.ca_mut().delete(gone).map_err(err(gone))?;
            e.ca.remove(gone);
            e.absent("ca", gone);
        }
    }
    // Graphs: from a TriMat (with a duplicate and an explicit zero), from vectors
    // (deprecated set_edges), and one deleted.
    let mut knn = sprs::TriMat::<f64>::new((n, n));
    let (mut a, mut b, mut w) = (Vec::new(), Vec::new(), Vec::new());
    for k in 0..120usize {
        let (i, j, v) = (
            k % n,
            (k * 7 + 3) % n,
            if k == 5 { 0.0 } else { 1.0 / (k + 1) as f64 },
        );
        knn.add_triplet(i, j, v);
        a.push(i as i64);
        b.push(j as i64);
        w.push(v);
    }
    knn.add_triplet(0, 3, 0.125);
    a.push(0);
    b.push(3);
    w.push(0.125);
    ds.row_graphs_mut().set("KNN", &knn).map_err(err("KNN"))?;
    e.row_graphs
        .insert("KNN".into(), json!({"a": a, "b": b, "w": w}));
    let ca: Vec<i64> = (0..m as i64).collect();
    let cb: Vec<i64> = (0..m as i64).map(|j| (j * 5 + 1) % m as i64).collect();
    let cw: Vec<f64> = (0..m).map(|j| j as f64 - 0.5).collect();
    ds.set_edges("MKNN", &ca, &cb, &cw, loom_core::Axis::Cols)
        .map_err(err("MKNN"))?;
    e.col_graphs
        .insert("MKNN".into(), json!({"a": ca, "b": cb, "w": cw}));
    ds.col_graphs_mut()
        .set("gone_graph", &knn_cols(m))
        .map_err(err("gone_graph"))?;
    ds.col_graphs_mut()
        .delete("gone_graph")
        .map_err(err("delete graph"))?;
    e.absent("col_graphs", "gone_graph");
    // Globals.
    set_global(&mut ds, &mut e, "title", "Ünïcödé title — 細胞".into())?;
    set_global(&mut ds, &mut e, "ascii_title", "plain title".into())?;
    set_global(&mut ds, &mut e, "count", 42i64.into())?;
    set_global(&mut ds, &mut e, "small", 7i16.into())?;
    set_global(&mut ds, &mut e, "ratio", 0.1f64.into())?;
    set_global(&mut ds, &mut e, "vector", vec![1.0f32, -2.5, 1e-3].into())?;
    set_global(&mut ds, &mut e, "ints", vec![3u32, 1, 4, 1, 5].into())?;
    set_global(&mut ds, &mut e, "matrix2d", arr2(2, 3, |x| x as i64 * 11)?)?;
    set_global(&mut ds, &mut e, "flag", true.into())?;
    set_global(&mut ds, &mut e, "big", u64::MAX.into())?;
    set_global(&mut ds, &mut e, "tiny", (-128i8).into())?;
    set_global(&mut ds, &mut e, "single", 1.5f32.into())?;
    set_global(&mut ds, &mut e, "gone_global", 1i32.into())?;
    ds.attrs_mut()
        .delete("gone_global")
        .map_err(err("gone_global"))?;
    e.globals.remove("gone_global");
    e.absent("globals", "gone_global");
    let shape = ds.shape();
    ds.close().map_err(err("close"))?;
    Ok(e.to_json(file, shape, "3.0.0"))
}

fn knn_cols(m: usize) -> sprs::TriMat<f64> {
    let mut t = sprs::TriMat::new((m, m));
    t.add_triplet(0, 1, 2.0);
    t
}
