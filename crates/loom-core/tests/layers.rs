//! The main matrix and the layers: selections of every kind against the h5py dump of the
//! loompy fixtures, a proptest against an in-memory model, sparse reads, layer round trips
//! in memory, and loompy's errors.

// Test helpers outside #[test] functions may unwrap: a failure there is a test failure.
#![allow(clippy::unwrap_used)]

use std::path::PathBuf;
use std::sync::Arc;

use hdf5_lite::write::MemFile;
use loom_core::{connect, new_in, LayerOptions, LoomConnection, LoomError, Mode, Selection};
use ndarray::{array, Array2};
use proptest::prelude::*;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures")
        .join(name)
}

const FIXTURES: [&str; 4] = [
    "01_loompy_create_dense",
    "02_loompy_create_sparse",
    "03_loompy_new_add_columns",
    "08_loompy_many_chunks",
];

fn json_matrix(v: &serde_json::Value) -> Array2<f64> {
    let rows: Vec<Vec<f64>> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            r.as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_f64().unwrap())
                .collect()
        })
        .collect();
    let m = rows.first().map_or(0, Vec::len);
    Array2::from_shape_vec((rows.len(), m), rows.concat()).unwrap()
}

/// (layer name, expected values) for every layer of a fixture, from its h5py JSON dump.
fn expected(name: &str) -> Vec<(String, Array2<f64>)> {
    let text = std::fs::read_to_string(fixture(&format!("{name}.loom.json"))).unwrap();
    let j: serde_json::Value = serde_json::from_str(&text).unwrap();
    let mut out = vec![(String::new(), json_matrix(&j["members"]["matrix"]["data"]))];
    if let Some(layers) = j["members"]["layers"]["members"].as_object() {
        for (k, v) in layers {
            out.push((k.clone(), json_matrix(&v["data"])));
        }
    }
    out
}

/// numpy's `model[rows, :][:, cols]`.
fn model_select(model: &Array2<f64>, rows: &[u64], cols: &[u64]) -> Array2<f64> {
    Array2::from_shape_fn((rows.len(), cols.len()), |(i, j)| {
        model[[rows[i] as usize, cols[j] as usize]]
    })
}

/// A small deterministic generator (no extra dependency).
struct Lcg(u64);
impl Lcg {
    fn next(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % n.max(1)
    }
    fn selection(&mut self, len: u64) -> Selection {
        let n = len as i64;
        match self.next(6) {
            0 => Selection::All,
            1 => Selection::Index(self.next(len) as i64 - if self.next(2) == 0 { 0 } else { n }),
            2 => Selection::range(
                Some(self.next(len + 4) as i64 - 2),
                if self.next(3) == 0 {
                    None
                } else {
                    Some(self.next(len + 10) as i64 - 3)
                },
                1 + self.next(5) as i64,
            ),
            3 => Selection::List(
                (0..self.next(12))
                    .map(|_| self.next(len) as i64 - if self.next(3) == 0 { n } else { 0 })
                    .collect(),
            ),
            4 => Selection::Mask((0..len).map(|_| self.next(3) == 0).collect()),
            _ => Selection::range(None, Some(self.next(len + 1) as i64), 1),
        }
    }
}

#[test]
fn fixtures_read_like_h5py() {
    let mut rng = Lcg(7);
    for name in FIXTURES {
        let ds = connect(fixture(&format!("{name}.loom")), Mode::Read).unwrap();
        let layers = expected(name);
        let mut keys: Vec<String> = layers.iter().map(|(k, _)| k.clone()).collect();
        keys[1..].sort();
        assert_eq!(ds.layers().keys().unwrap(), keys, "{name}");
        for (layer, want) in &layers {
            let (n, m) = ds.shape();
            assert_eq!(want.dim(), (n as usize, m as usize));
            assert_eq!(
                &ds.layers().read::<f64>(layer, .., ..).unwrap(),
                want,
                "{name}/{layer}"
            );
            for _ in 0..40 {
                let (rs, cs) = (rng.selection(n), rng.selection(m));
                let (r, c) = (rs.resolve(n).unwrap(), cs.resolve(m).unwrap());
                let got = ds
                    .layers()
                    .read::<f64>(layer, rs.clone(), cs.clone())
                    .unwrap();
                assert_eq!(
                    got,
                    model_select(want, &r, &c),
                    "{name}/{layer} {rs:?} {cs:?}"
                );
            }
        }
    }
}

#[test]
fn main_matrix_reads_and_dtypes() {
    let ds = connect(fixture("01_loompy_create_dense.loom"), Mode::Read).unwrap();
    let want = &expected("01_loompy_create_dense")[0].1;
    assert_eq!(
        ds.read::<f32>(-1, ..3).unwrap().mapv(f64::from),
        want.slice(ndarray::s![99..100, 0..3])
    );
    assert_eq!(
        ds.read::<f64>(Selection::range(Some(5), Some(2), 1), ..)
            .unwrap()
            .dim(),
        (0, 70)
    );
    assert_eq!(ds.read::<f64>(.., 68..200).unwrap().dim(), (100, 2));
    assert_eq!(
        ds.read::<f64>(Vec::<i64>::new(), ..).unwrap().dim(),
        (0, 70)
    );
    assert_eq!(ds.layers().dtype("").unwrap(), "float32");
    assert_eq!(ds.layers().dtype("counts").unwrap(), "int32");
    assert_eq!(ds.layers().dtype("spliced").unwrap(), "uint16");
    assert_eq!(ds.layers().shape("spliced").unwrap(), (100, 70));
    assert!(ds.layers().contains("counts") && !ds.layers().contains("nope"));
    assert!(matches!(
        ds.layers().read::<f32>("nope", .., ..),
        Err(LoomError::Missing { kind: "layer", .. })
    ));
    let e = ds.read::<f32>(300, ..).unwrap_err();
    assert_eq!(e.to_string(), "Index (300) out of range for (0-99)");
    let e = ds
        .read::<f32>(.., Selection::range(None, None, -1))
        .unwrap_err();
    assert_eq!(e.to_string(), "Step must be >= 1 (got -1)");
    let e = ds.read::<f32>(vec![true; 3], ..).unwrap_err();
    assert_eq!(e.to_string(), "boolean index did not match indexed array");
}

#[test]
fn sparse_matches_the_dense_selection() {
    let ds = connect(fixture("02_loompy_create_sparse.loom"), Mode::Read).unwrap();
    let want = &expected("02_loompy_create_sparse")[0].1;
    let coo = ds.sparse(.., .., "").unwrap();
    assert_eq!(coo.shape(), (150, 90));
    assert_eq!(coo.nnz(), want.iter().filter(|v| **v != 0.0).count());
    assert_eq!(coo.to_csr::<usize>().to_dense(), *want);
    let (r, c) = (vec![149i64, 3, 3, 70], vec![89i64, 0, 10, 45]);
    let sub = ds.sparse(r.clone(), c.clone(), "").unwrap();
    let ri: Vec<u64> = Selection::from(r).resolve(150).unwrap();
    let ci: Vec<u64> = Selection::from(c).resolve(90).unwrap();
    assert_eq!(
        sub.to_csc::<usize>().to_dense(),
        model_select(want, &ri, &ci)
    );
    assert_eq!(ds.layers().as_csc("").unwrap().to_dense(), *want);
    let csr = ds.layers().as_csr("").unwrap();
    assert!(csr.is_csr());
    assert_eq!(csr.to_dense(), *want);
    assert!(ds.layers().as_csc("").unwrap().is_csc());
}

fn mem() -> (Arc<MemFile>, LoomConnection) {
    let f = Arc::new(MemFile::new());
    let ds = new_in(f.clone()).unwrap();
    (f, ds)
}

/// A layer tall enough that each COO and CSC window is read in several row bands (1,000
/// columns fit one window; a band holds 256 of its 600 rows), as f32 and as f64.
#[test]
fn nonzeros_over_row_bands() {
    let (_f, mut ds) = mem();
    let dense = Array2::from_shape_fn((600, 1000), |(i, j)| {
        if (i * 7 + j * 13) % 11 < 2 {
            (i * 1000 + j) as f64 + 0.5
        } else {
            0.0
        }
    });
    ds.layers_mut()
        .set("", dense.mapv(|v| v as f32).view())
        .unwrap();
    let opts = LayerOptions {
        dtype: Some("float64".into()),
        ..LayerOptions::default()
    };
    ds.layers_mut()
        .set_with("wide", dense.view(), &opts)
        .unwrap();
    // One column window: loompy's COO order is row-major across the bands.
    let (mut want_rows, mut want_cols, mut want_values) = (Vec::new(), Vec::new(), Vec::new());
    for ((i, j), &v) in dense.indexed_iter().filter(|(_, v)| **v != 0.0) {
        want_rows.push(i);
        want_cols.push(j);
        want_values.push(v);
    }
    for layer in ["", "wide"] {
        let coo = ds.sparse(.., .., layer).unwrap();
        assert_eq!(coo.shape(), (600, 1000));
        assert_eq!(coo.row_inds(), want_rows);
        assert_eq!(coo.col_inds(), want_cols);
        assert_eq!(coo.data(), want_values);
        assert_eq!(ds.layers().as_csc(layer).unwrap().to_dense(), dense);
        // Streamed in windows of 128 columns: the same CSC, piece by piece.
        let (mut indptr, mut rows, mut values) = (vec![0usize], Vec::new(), Vec::new());
        let mut next = 0;
        ds.layers()
            .for_each_column_window::<f64, LoomError>(layer, 600 * 128, |w| {
                assert_eq!(w.cols.start, next);
                assert_eq!(w.indptr.len(), w.cols.len() + 1);
                next = w.cols.end;
                let base = rows.len();
                indptr.extend(w.indptr[1..].iter().map(|p| base + p));
                rows.extend_from_slice(w.rows);
                values.extend_from_slice(w.values);
                Ok(())
            })
            .unwrap();
        assert_eq!(next, 1000);
        let csc = sprs::CsMat::new_csc((600, 1000), indptr, rows, values);
        assert_eq!(csc.to_dense(), dense);
    }
    assert!(ds.layers().exact_in_f32("").unwrap());
    assert!(!ds.layers().exact_in_f32("wide").unwrap());
}

#[test]
fn layers_round_trip_in_memory() {
    let (f, mut ds) = mem();
    assert_eq!(ds.shape(), (0, 0));
    assert!(ds.layers().keys().unwrap().is_empty());
    let main = Array2::from_shape_fn((70, 130), |(i, j)| (i * 1000 + j) as f32);
    ds.layers_mut().set("", main.view()).unwrap();
    assert_eq!(ds.shape(), (70, 130));
    let d = ds.layers().dataset("").unwrap();
    assert_eq!(d.chunks(), Some(&[64u64, 64][..]));
    assert_eq!(d.maxshape(), vec![Some(70), None]);
    assert_eq!(ds.read::<f32>(.., ..).unwrap(), main);

    ds.layers_mut()
        .set("b_int16", main.mapv(|v| (v as i64 % 30000) as i16).view())
        .unwrap();
    ds.layers_mut().set("a_empty", "uint8").unwrap();
    let mut tri = sprs::TriMat::<f64>::new((70, 130));
    tri.add_triplet(3, 129, 2.5);
    tri.add_triplet(69, 0, -1.0);
    ds.layers_mut()
        .set_with("c_sparse", &tri.to_csr(), &LayerOptions::default())
        .unwrap();
    let opts = LayerOptions {
        dtype: Some("float64".into()),
        chunks: Some((10, 20)),
        compression: Some(0),
    };
    ds.layers_mut()
        .set_with("d_opts", main.view(), &opts)
        .unwrap();
    assert_eq!(
        ds.layers().keys().unwrap(),
        ["", "a_empty", "b_int16", "c_sparse", "d_opts"]
    );
    assert_eq!(ds.layers().dtype("a_empty").unwrap(), "uint8");
    assert_eq!(ds.layers().dtype("b_int16").unwrap(), "int16");
    assert_eq!(ds.layers().dtype("c_sparse").unwrap(), "float64");
    assert_eq!(ds.layers().dtype("d_opts").unwrap(), "float64");
    assert_eq!(
        ds.layers().dataset("d_opts").unwrap().chunks(),
        Some(&[10u64, 20][..])
    );
    assert!(ds.layers().dataset("d_opts").unwrap().filters().is_empty());
    assert_eq!(
        ds.layers().read::<u8>("a_empty", .., ..).unwrap(),
        Array2::<u8>::zeros((70, 130))
    );
    assert_eq!(
        ds.layers()
            .read::<f64>("c_sparse", vec![3, 69], vec![129, 0])
            .unwrap(),
        array![[2.5, 0.0], [0.0, -1.0]]
    );
    assert_eq!(ds.layers().read::<f32>("d_opts", .., ..).unwrap(), main);

    // Slice writes in any order, with repeats (last wins), stamp last_modified.
    ds.write(
        vec![65, 2, 65],
        vec![true; 130],
        Array2::from_elem((3, 130), 7.0f64).view(),
    )
    .unwrap();
    let m = ds.read::<f32>(vec![2, 65, 3], 0..2).unwrap();
    assert_eq!(m, array![[7.0, 7.0], [7.0, 7.0], [3000.0, 3001.0]]);
    ds.layers_mut()
        .write("b_int16", 1, vec![129, 0], array![[1.9f64, -2.0]].view())
        .unwrap();
    assert_eq!(
        ds.layers().read::<i16>("b_int16", 1, vec![0, 129]).unwrap(),
        array![[-2, 1]]
    );
    let stamp = |p: &str| {
        ds.hdf5()
            .dataset(p)
            .unwrap()
            .attribute("last_modified")
            .unwrap()
            .strings()
            .unwrap()
    };
    assert_eq!(stamp("/matrix")[0].len(), 23);
    assert!(stamp("/layers/b_int16")[0].ends_with('Z'));
    assert!(ds.hdf5().root().unwrap().attribute("last_modified").is_ok());
    assert!(ds
        .hdf5()
        .dataset("/layers/d_opts")
        .unwrap()
        .attribute("last_modified")
        .is_err());

    ds.layers_mut().delete("b_int16").unwrap();
    ds.layers_mut().delete("never_there").unwrap();
    assert_eq!(
        ds.layers().keys().unwrap(),
        ["", "a_empty", "c_sparse", "d_opts"]
    );
    // Replacing a layer keeps one dataset of that name.
    ds.layers_mut()
        .set("a_empty", main.mapv(|v| v / 2.0).view())
        .unwrap();
    assert_eq!(ds.layers().dtype("a_empty").unwrap(), "float32");
    ds.close().unwrap();

    let back = LoomConnection::open_in(f, Mode::Read, true).unwrap();
    assert_eq!(
        back.layers().keys().unwrap(),
        ["", "a_empty", "c_sparse", "d_opts"]
    );
    assert_eq!(
        back.layers().read::<f32>("a_empty", 1, 1).unwrap(),
        array![[500.5]]
    );
}

#[test]
fn layer_errors_are_loompys() {
    let (f, mut ds) = mem();
    let main = Array2::<f32>::ones((4, 5));
    ds.layers_mut().set("", main.view()).unwrap();
    let msg = |e: LoomError| e.to_string();
    let nan = array![[f32::NAN, 1.0]];
    assert_eq!(
        msg(ds.layers_mut().set("x", nan.view()).unwrap_err()),
        "INF and NaN not allowed in loom matrix"
    );
    let inf = Array2::from_elem((4, 5), f64::INFINITY);
    assert_eq!(
        msg(ds.layers_mut().set("x", inf.view()).unwrap_err()),
        "INF and NaN not allowed in loom matrix"
    );
    let small = Array2::<i32>::zeros((2, 5));
    assert_eq!(
        msg(ds.layers_mut().set("x", small.view()).unwrap_err()),
        "All layers must have same shape (4, 5)"
    );
    assert_eq!(
        msg(ds.layers_mut().set("a/b", main.view()).unwrap_err()),
        "Layer name cannot contain slash (/)"
    );
    assert_eq!(
        msg(ds.layers_mut().set("x", "bool").unwrap_err()),
        "Matrix elements must be integer or float"
    );
    assert_eq!(
        msg(ds.layers_mut().set("x", "str").unwrap_err()),
        "Matrix elements must be integer or float"
    );
    assert_eq!(
        msg(ds.layers_mut().set("x", "nonsense").unwrap_err()),
        "data type 'nonsense' not understood"
    );
    assert_eq!(
        msg(ds.layers_mut().delete("").unwrap_err()),
        "Cannot delete default layer"
    );
    let e = ds
        .write(0..2, .., Array2::<f32>::zeros((3, 5)).view())
        .unwrap_err();
    assert_eq!(msg(e), "Can't broadcast (3, 5) -> (2, 5)");
    ds.layers_mut().set("other", main.view()).unwrap();
    // With other layers present the main layer may not change shape.
    let e = ds.layers_mut().set("", small.view()).unwrap_err();
    assert_eq!(msg(e), "All layers must have same shape (4, 5)");
    ds.close().unwrap();

    let mut ro = LoomConnection::open_in(f, Mode::Read, true).unwrap();
    assert!(matches!(
        ro.layers_mut().set("y", main.view()),
        Err(LoomError::ReadOnly(_))
    ));
    assert!(matches!(
        ro.layers_mut().set("y", "float32"),
        Err(LoomError::ReadOnly(_))
    ));
    assert!(matches!(
        ro.layers_mut().delete("other"),
        Err(LoomError::ReadOnly(_))
    ));
    assert!(matches!(
        ro.write(0, 0, array![[1.0f32]].view()),
        Err(LoomError::ReadOnly(_))
    ));
    let tri = sprs::TriMat::<f32>::new((4, 5));
    assert!(matches!(
        ro.layers_mut()
            .set_with("y", &tri.to_csc(), &LayerOptions::default()),
        Err(LoomError::ReadOnly(_))
    ));
    assert_eq!(ro.layers().keys().unwrap(), ["", "other"]);
}

#[test]
fn every_numeric_dtype_round_trips() {
    let (_f, mut ds) = mem();
    let main = Array2::from_shape_fn((3, 4), |(i, j)| (i * 4 + j) as f64);
    ds.layers_mut().set("", main.view()).unwrap();
    for dt in [
        "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64", "float32",
        "float64",
    ] {
        let opts = LayerOptions {
            dtype: Some(dt.into()),
            ..Default::default()
        };
        ds.layers_mut().set_with(dt, main.view(), &opts).unwrap();
        assert_eq!(ds.layers().dtype(dt).unwrap(), dt);
        assert_eq!(ds.layers().read::<f64>(dt, .., ..).unwrap(), main, "{dt}");
        ds.layers_mut().set(&format!("{dt}_z"), dt).unwrap();
        assert_eq!(
            ds.layers().read::<f64>(&format!("{dt}_z"), .., ..).unwrap(),
            Array2::<f64>::zeros((3, 4))
        );
    }
}

fn arb_selection(len: u64) -> impl Strategy<Value = Selection> {
    let n = len as i64;
    prop_oneof![
        Just(Selection::All),
        (-n..n).prop_map(Selection::Index),
        (
            proptest::option::of(-n - 3..n + 3),
            proptest::option::of(-n - 3..n + 3),
            1i64..7
        )
            .prop_map(|(a, b, s)| Selection::range(a, b, s)),
        proptest::collection::vec(-n..n, 0..20).prop_map(Selection::List),
        proptest::collection::vec(any::<bool>(), len as usize).prop_map(Selection::Mask),
    ]
}

fn fixture08() -> &'static (LoomConnection, Array2<f64>) {
    static CELL: std::sync::OnceLock<(LoomConnection, Array2<f64>)> = std::sync::OnceLock::new();
    CELL.get_or_init(|| {
        let ds = connect(fixture("08_loompy_many_chunks.loom"), Mode::Read).unwrap();
        let model = ds.read::<f64>(.., ..).unwrap();
        (ds, model)
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]
    #[test]
    fn selections_match_an_in_memory_model(rs in arb_selection(10), cs in arb_selection(6400)) {
        let (ds, model) = fixture08();
        let r = rs.resolve(10).unwrap();
        let c = cs.resolve(6400).unwrap();
        let got = ds.read::<f64>(rs.clone(), cs.clone()).unwrap();
        prop_assert_eq!(&got, &model_select(model, &r, &c));
        let sparse = ds.sparse(rs, cs, "").unwrap();
        prop_assert_eq!(sparse.nnz(), got.iter().filter(|v| **v != 0.0).count());
        prop_assert_eq!(sparse.to_csr::<usize>().to_dense(), got);
    }

    #[test]
    fn writes_match_an_in_memory_model(rs in arb_selection(70), cs in arb_selection(90)) {
        let (_f, mut ds) = mem();
        let mut model = Array2::from_shape_fn((70, 90), |(i, j)| (i * 90 + j) as f64);
        ds.layers_mut().set("", model.view()).unwrap();
        let r = rs.resolve(70).unwrap();
        let c = cs.resolve(90).unwrap();
        let vals = Array2::from_shape_fn((r.len(), c.len()), |(i, j)| -((i * 1000 + j) as f64) - 1.0);
        ds.write(rs, cs, vals.view()).unwrap();
        for (i, &ri) in r.iter().enumerate() {
            for (j, &cj) in c.iter().enumerate() {
                model[[ri as usize, cj as usize]] = vals[[i, j]];
            }
        }
        prop_assert_eq!(ds.read::<f64>(.., ..).unwrap(), model);
    }
}

#[test]
fn float16_layers_are_created_and_read() {
    let (_f, mut ds) = mem();
    ds.layers_mut()
        .set("", Array2::<f32>::ones((3, 2)).view())
        .unwrap();
    ds.layers_mut().set("half", "float16").unwrap();
    assert_eq!(ds.layers().dtype("half").unwrap(), "float16");
    assert_eq!(
        ds.layers().read::<f32>("half", .., ..).unwrap(),
        Array2::<f32>::zeros((3, 2))
    );
    // Values are written to half precision with numpy's rounding.
    let values = ndarray::array![[0.1f32, -2.0], [65504.0, 1e-8], [0.5, 3.0]];
    ds.layers_mut()
        .write("half", .., .., values.view())
        .unwrap();
    let back = ds.layers().read::<f32>("half", .., ..).unwrap();
    assert_eq!(
        back,
        ndarray::array![[0.099_975_586f32, -2.0], [65504.0, 0.0], [0.5, 3.0]]
    );
}

#[test]
fn contiguous_matrices_read_and_write_in_row_runs() {
    use hdf5_lite::read::Numeric;
    use hdf5_lite::write::{DatasetSpec, Writer};
    let f = Arc::new(MemFile::new());
    new_in(f.clone()).unwrap().close().unwrap();
    let mut model = Array2::from_shape_fn((23, 17), |(i, j)| (i * 17 + j) as f64);
    let mut w = Writer::open_in(f.clone()).unwrap();
    w.create_dataset("/matrix", &DatasetSpec::new(f64::datatype(), &[23, 17]))
        .unwrap();
    w.write_numbers("/matrix", &[0, 0], &[23, 17], model.as_slice().unwrap())
        .unwrap();
    w.close().unwrap();
    let mut ds = LoomConnection::open_in(f, Mode::ReadWrite, false).unwrap();
    assert_eq!(ds.layers().dataset("").unwrap().chunks(), None);
    let mut rng = Lcg(99);
    for _ in 0..60 {
        let (rs, cs) = (rng.selection(23), rng.selection(17));
        let (r, c) = (rs.resolve(23).unwrap(), cs.resolve(17).unwrap());
        let got = ds.read::<f64>(rs.clone(), cs.clone()).unwrap();
        assert_eq!(got, model_select(&model, &r, &c), "{rs:?} {cs:?}");
        let vals = Array2::from_shape_fn((r.len(), c.len()), |(i, j)| -((i * 100 + j) as f64));
        ds.write(rs, cs, vals.view()).unwrap();
        for (i, &ri) in r.iter().enumerate() {
            for (j, &cj) in c.iter().enumerate() {
                model[[ri as usize, cj as usize]] = vals[[i, j]];
            }
        }
        assert_eq!(ds.read::<f64>(.., ..).unwrap(), model);
    }
}
