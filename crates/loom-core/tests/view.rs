//! Views: selections of fixtures 01 and 02 against their h5py JSON dumps and full reads,
//! graph filtering and renumbering by hand and by a proptest against a brute-force model,
//! views of views, permute round trips, and errors.

// Test helpers outside #[test] functions may unwrap: a failure there is a test failure.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::path::PathBuf;

use loom_core::ViewLayer;
use loom_core::{connect, AttrValues, LoomConnection, LoomError, LoomView, Mode, Selection};
use ndarray::{array, Array2, Axis};
use proptest::prelude::*;
use sprs::TriMat;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures")
        .join(name)
}

fn open(name: &str) -> LoomConnection {
    connect(fixture(&format!("{name}.loom")), Mode::Read).unwrap()
}

fn json(name: &str) -> serde_json::Value {
    let text = std::fs::read_to_string(fixture(&format!("{name}.loom.json"))).unwrap();
    serde_json::from_str(&text).unwrap()
}

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

/// Every edge as (row, col, weight bits), sorted: graphs compared as multisets.
fn triplets(g: &TriMat<f64>) -> Vec<(usize, usize, u64)> {
    let mut t: Vec<_> = g
        .row_inds()
        .iter()
        .zip(g.col_inds())
        .zip(g.data())
        .map(|((&a, &b), &w)| (a, b, w.to_bits()))
        .collect();
    t.sort_unstable();
    t
}

/// The brute-force model of graph slicing: every (p, q) with idx[p] = a and idx[q] = b,
/// for every edge (a, b, w).
fn model_graph(g: &TriMat<f64>, idx: &[usize]) -> Vec<(usize, usize, u64)> {
    let mut t = Vec::new();
    for ((&a, &b), &w) in g.row_inds().iter().zip(g.col_inds()).zip(g.data()) {
        for (p, &i) in idx.iter().enumerate() {
            for (q, &j) in idx.iter().enumerate() {
                if i == a && j == b {
                    t.push((p, q, w.to_bits()));
                }
            }
        }
    }
    t.sort_unstable();
    t
}

/// numpy's `v[idx]` along the first axis.
fn take(v: &AttrValues, idx: &[usize]) -> AttrValues {
    match v {
        AttrValues::Int { values, bytes } => AttrValues::Int {
            values: values.select(Axis(0), idx),
            bytes: *bytes,
        },
        AttrValues::UInt { values, bytes } => AttrValues::UInt {
            values: values.select(Axis(0), idx),
            bytes: *bytes,
        },
        AttrValues::Float { values, bytes } => AttrValues::Float {
            values: values.select(Axis(0), idx),
            bytes: *bytes,
        },
        AttrValues::Str(values) => AttrValues::Str(values.select(Axis(0), idx)),
        AttrValues::Bool(values) => AttrValues::Bool(values.select(Axis(0), idx)),
        AttrValues::Compound(_) => unimplemented!(),
    }
}

fn resolve(s: &Selection, n: u64) -> Vec<usize> {
    s.resolve(n)
        .unwrap()
        .into_iter()
        .map(|i| i as usize)
        .collect()
}

/// Checks a view of a file against the file's full data sliced by hand.
fn check_view_of_file(ds: &LoomConnection, v: &LoomView, r: &[usize], c: &[usize]) {
    assert_eq!(v.shape(), (r.len(), c.len()));
    assert_eq!(v.row_indices(), r);
    assert_eq!(v.col_indices(), c);
    let keys: Vec<&String> = v.layers().keys().collect();
    assert_eq!(keys, ds.layers().keys().unwrap().iter().collect::<Vec<_>>());
    for (name, l) in v.layers() {
        let full = ds.layers().read::<f64>(name, .., ..).unwrap();
        assert_eq!(
            l.values,
            full.select(Axis(0), r).select(Axis(1), c),
            "{name}"
        );
        assert_eq!(l.dtype, ds.layers().dtype(name).unwrap());
    }
    for (attrs, full, idx) in [(v.ra(), ds.ra(), r), (v.ca(), ds.ca(), c)] {
        assert_eq!(attrs.len(), full.len());
        for (name, a) in attrs {
            // Debug text, so that NaN (fixture 01's Score holds one) equals NaN.
            let want = take(&full.get(name).unwrap(), idx);
            assert_eq!(format!("{a:?}"), format!("{want:?}"), "{name}");
        }
    }
    for (graphs, full, idx) in [
        (v.row_graphs(), ds.row_graphs(), r),
        (v.col_graphs(), ds.col_graphs(), c),
    ] {
        assert_eq!(graphs.keys().cloned().collect::<Vec<_>>(), full.keys());
        for (name, g) in graphs {
            assert_eq!(g.shape(), (idx.len(), idx.len()));
            assert_eq!(triplets(g), model_graph(&full.get(name).unwrap(), idx));
        }
    }
    let globals: BTreeMap<String, AttrValues> = ds.attrs().items().unwrap().into_iter().collect();
    assert_eq!(*v.attrs(), globals);
}

#[test]
fn view_of_fixture_01_matches_the_json_dump() {
    let name = "01_loompy_create_dense";
    let ds = open(name);
    let j = json(name);
    // Any order and repeats on rows, a mask on columns: beyond what loompy accepts.
    let rows = Selection::from(vec![99, 3, 3, -1, 0, 42, 7]);
    let mask: Vec<bool> = (0..70).map(|j| j % 3 == 1 || j == 0).collect();
    let cols = Selection::from(mask);
    let v = ds.view(&rows, &cols).unwrap();
    let (r, c) = (resolve(&rows, 100), resolve(&cols, 70));
    assert_eq!(r, [99, 3, 3, 99, 0, 42, 7]);
    let m = &j["members"];
    let expect = |d: &serde_json::Value| json_matrix(d).select(Axis(0), &r).select(Axis(1), &c);
    assert_eq!(v.layer("").unwrap().values, expect(&m["matrix"]["data"]));
    assert_eq!(v.layer("").unwrap().dtype, "float32");
    assert_eq!(
        v.layer("counts").unwrap().values,
        expect(&m["layers"]["members"]["counts"]["data"])
    );
    assert_eq!(v.layer("counts").unwrap().dtype, "int32");
    assert_eq!(v.layer("spliced").unwrap().dtype, "uint16");
    let keys: Vec<&str> = v.layers().keys().map(String::as_str).collect();
    assert_eq!(keys, ["", "counts", "spliced"]);
    // Attributes from the JSON: a string one, and a 2-D one keeping its second axis.
    let genes = m["row_attrs"]["members"]["Gene"]["data"]
        .as_array()
        .unwrap();
    let got = v.ra()["Gene"].as_strings().unwrap();
    let want: Vec<&str> = r.iter().map(|&i| genes[i].as_str().unwrap()).collect();
    assert_eq!(got.iter().map(String::as_str).collect::<Vec<_>>(), want);
    assert_eq!(v.ra()["Embedding"].shape(), [7, 3]);
    let emb = json_matrix(&m["row_attrs"]["members"]["Embedding"]["data"]);
    let got = v.ra()["Embedding"].to_f64().unwrap();
    assert_eq!(got, emb.select(Axis(0), &r).into_dyn());
    assert_eq!(v.ca()["TSNE"].shape(), [c.len(), 2]);
    assert_eq!(v.ca()["Cluster"].dtype().name(), "int64");
    // Graphs against the stored a, b, w vectors.
    let g = &m["row_graphs"]["members"]["KNN"]["members"];
    let vec_of = |k: &str| -> Vec<f64> {
        g[k]["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_f64().unwrap())
            .collect()
    };
    let (a, b, w) = (vec_of("a"), vec_of("b"), vec_of("w"));
    let full = TriMat::from_triplets(
        (100, 100),
        a.iter().map(|&x| x as usize).collect(),
        b.iter().map(|&x| x as usize).collect(),
        w,
    );
    assert_eq!(triplets(&v.row_graphs()["KNN"]), model_graph(&full, &r));
    assert_eq!(
        v.attrs()["title"].as_str(),
        Some(m["attrs"]["members"]["title"]["data"].as_str().unwrap())
    );
    check_view_of_file(&ds, &v, &r, &c);
}

#[test]
fn views_of_fixture_01_and_02_match_full_reads() {
    let ds = open("01_loompy_create_dense");
    let cases: Vec<(Selection, Selection)> = vec![
        (Selection::All, Selection::All),
        (Selection::from(5), Selection::from(10..20)),
        (
            Selection::range(Some(-10), None, 3),
            Selection::from(vec![69, 0, 69]),
        ),
        (Selection::from(Vec::<i64>::new()), Selection::All),
    ];
    for (rows, cols) in &cases {
        let v = ds.view(rows, cols).unwrap();
        check_view_of_file(&ds, &v, &resolve(rows, 100), &resolve(cols, 70));
    }
    let name = "02_loompy_create_sparse";
    let ds = open(name);
    let rows = Selection::from((0..150).map(|i| i % 7 == 0).collect::<Vec<_>>());
    let cols = Selection::from(vec![89, 1, 45, 1]);
    let v = ds.view(&rows, &cols).unwrap();
    let (r, c) = (resolve(&rows, 150), resolve(&cols, 90));
    check_view_of_file(&ds, &v, &r, &c);
    let full = json_matrix(&json(name)["members"]["matrix"]["data"]);
    assert_eq!(
        v.layer("").unwrap().values,
        full.select(Axis(0), &r).select(Axis(1), &c)
    );
    assert!(v.row_graphs().is_empty() && v.col_graphs().is_empty());
}

/// A 4×3 view with one row graph, one column graph and attributes.
fn small() -> LoomView {
    let layers = BTreeMap::from([
        (
            String::new(),
            ViewLayer {
                values: array![
                    [0., 1., 2.],
                    [10., 11., 12.],
                    [20., 21., 22.],
                    [30., 31., 32.]
                ],
                dtype: "float32".into(),
            },
        ),
        (
            "x".to_owned(),
            ViewLayer {
                values: Array2::from_elem((4, 3), 7.0),
                dtype: "int32".into(),
            },
        ),
    ]);
    let ra = BTreeMap::from([
        (
            "Gene".to_owned(),
            AttrValues::from(vec!["g0", "g1", "g2", "g3"]),
        ),
        (
            "Pos".to_owned(),
            AttrValues::from(array![[0, 0], [1, 1], [2, 2], [3, 3]]),
        ),
    ]);
    let ca = BTreeMap::from([("Id".to_owned(), AttrValues::from(vec![100i64, 101, 102]))]);
    let knn = TriMat::from_triplets((4, 4), vec![0, 1, 2], vec![1, 3, 2], vec![1.0, 2.0, 3.0]);
    let chain = TriMat::from_triplets((3, 3), vec![0, 1], vec![1, 2], vec![0.5, 0.25]);
    let attrs = BTreeMap::from([("title".to_owned(), AttrValues::from("small"))]);
    LoomView::new(
        (4, 3),
        layers,
        ra,
        ca,
        BTreeMap::from([("KNN".to_owned(), knn)]),
        BTreeMap::from([("chain".to_owned(), chain)]),
        attrs,
    )
    .unwrap()
}

#[test]
fn graphs_are_filtered_and_renumbered_by_hand() {
    let v = small();
    // Row 1 twice, then row 3: edge (1→3) becomes (0→2) and (1→2); (0→1) and (2→2) go.
    let w = v.view(vec![1, 1, 3], ..).unwrap();
    assert_eq!(
        triplets(&w.row_graphs()["KNN"]),
        [(0, 2, 2f64.to_bits()), (1, 2, 2f64.to_bits())]
    );
    assert_eq!(w.row_graphs()["KNN"].shape(), (3, 3));
    // Reversed order: numbered by view position, not by rank (loompy's bug).
    let w = v.view(vec![3, 2, 1, 0], ..).unwrap();
    // (0→1)→(3→2), (1→3)→(2→0), (2→2)→(1→1)
    let e2 = vec![
        (1, 1, 3f64.to_bits()),
        (2, 0, 2f64.to_bits()),
        (3, 2, 1f64.to_bits()),
    ];
    assert_eq!(triplets(&w.row_graphs()["KNN"]), e2);
    // Columns: keep 2 and 1 only: edge (1→2) becomes (1→0).
    let w = v.view(.., vec![2, 1]).unwrap();
    assert_eq!(
        triplets(&w.col_graphs()["chain"]),
        [(1, 0, 0.25f64.to_bits())]
    );
    assert_eq!(w.ca()["Id"], AttrValues::from(vec![102i64, 101]));
    assert_eq!(
        w.layer("").unwrap().values,
        array![[2., 1.], [12., 11.], [22., 21.], [32., 31.]]
    );
    assert_eq!(w.attrs()["title"].as_str(), Some("small"));
}

#[test]
fn permute_matches_loompys_documented_example_and_round_trips() {
    // loompy-api.md §3.11: KNN edges (0→1), (1→3) with ordering [3, 1, 0, 2] become
    // (2→1) and (1→0).
    let mut v = small();
    let before = v.clone();
    v.permute(&[3, 1, 0, 2], loom_core::Axis::Rows).unwrap();
    let t = triplets(&v.row_graphs()["KNN"]);
    assert!(t.contains(&(2, 1, 1f64.to_bits())) && t.contains(&(1, 0, 2f64.to_bits())));
    assert_eq!(t.len(), 3);
    assert_eq!(
        v.ra()["Gene"],
        AttrValues::from(vec!["g3", "g1", "g0", "g2"])
    );
    assert_eq!(v.ra()["Pos"].shape(), [4, 2]);
    assert_eq!(v.layer("").unwrap().values.row(0).to_vec(), [30., 31., 32.]);
    assert_eq!(v.row_indices(), [3, 1, 0, 2]);
    // The inverse ordering restores everything.
    v.permute(&[2, 1, 3, 0], loom_core::Axis::Rows).unwrap();
    v.permute(&[2, 0, 1], loom_core::Axis::Cols).unwrap();
    v.permute(&[1, 2, 0], loom_core::Axis::Cols).unwrap();
    assert_eq!(v.layers(), before.layers());
    assert_eq!(v.ra(), before.ra());
    assert_eq!(v.ca(), before.ca());
    assert_eq!(v.row_indices(), [0, 1, 2, 3]);
    assert_eq!(v.col_indices(), [0, 1, 2]);
    for (a, b) in [
        (v.row_graphs(), before.row_graphs()),
        (v.col_graphs(), before.col_graphs()),
    ] {
        for (k, g) in a {
            assert_eq!(triplets(g), triplets(&b[k]));
        }
    }
}

#[test]
fn permute_a_view_of_fixture_01() {
    let ds = open("01_loompy_create_dense");
    let mut v = ds.view(.., 0..10).unwrap();
    let ordering: Vec<usize> = (0..100).rev().collect();
    v.permute(&ordering, loom_core::Axis::Rows).unwrap();
    check_view_of_file(&ds, &v, &ordering, &(0..10).collect::<Vec<_>>());
}

#[test]
fn view_of_a_view_equals_the_composed_view() {
    let ds = open("01_loompy_create_dense");
    let a = vec![5usize, 90, 5, 17, 33, 64, 2, 2];
    let b = vec![7i64, 0, 2, 2, -3];
    let v = ds.view(a.clone(), 0..30).unwrap();
    let w = v.view(b.clone(), Selection::range(None, None, 4)).unwrap();
    let r: Vec<usize> = b.iter().map(|&i| a[i.rem_euclid(8) as usize]).collect();
    let c: Vec<usize> = (0..30).step_by(4).collect();
    check_view_of_file(&ds, &w, &r, &c);
}

#[test]
fn errors() {
    let ds = open("01_loompy_create_dense");
    let e = ds.view(vec![0, 100], ..).unwrap_err();
    assert_eq!(e.to_string(), "Index (100) out of range for (0-99)");
    let e = ds.view(.., vec![true; 3]).unwrap_err();
    assert_eq!(e.to_string(), "boolean index did not match indexed array");
    let mut v = small();
    assert!(matches!(
        v.layer("nope"),
        Err(LoomError::Missing { kind: "layer", .. })
    ));
    let e = loom_core::Axis::try_from(2).unwrap_err();
    assert_eq!(e.to_string(), "Axis must be 0 or 1");
    assert!(
        v.permute(&[0, 1, 2], loom_core::Axis::Rows).is_err(),
        "too short"
    );
    assert!(
        v.permute(&[0, 1, 1, 2], loom_core::Axis::Rows).is_err(),
        "repeat"
    );
    assert!(
        v.permute(&[0, 1, 2, 4], loom_core::Axis::Rows).is_err(),
        "out of range"
    );
    assert!(v.view(4, ..).is_err());
    // Parts that do not fit the shape.
    let bad_layer = BTreeMap::from([(
        String::new(),
        ViewLayer {
            values: Array2::zeros((2, 2)),
            dtype: "float32".into(),
        },
    )]);
    let empty = BTreeMap::new;
    assert!(LoomView::new(
        (2, 3),
        bad_layer,
        empty(),
        empty(),
        BTreeMap::new(),
        BTreeMap::new(),
        empty()
    )
    .is_err());
    let ra = BTreeMap::from([("x".to_owned(), AttrValues::from(vec![1i64]))]);
    assert!(LoomView::new(
        (2, 3),
        BTreeMap::new(),
        ra,
        empty(),
        BTreeMap::new(),
        BTreeMap::new(),
        empty()
    )
    .is_err());
    let g = BTreeMap::from([("g".to_owned(), TriMat::new((3, 3)))]);
    assert!(LoomView::new(
        (2, 3),
        BTreeMap::new(),
        empty(),
        empty(),
        g,
        BTreeMap::new(),
        empty()
    )
    .is_err());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Random views and views of views against the brute-force model.
    #[test]
    fn random_views_match_the_model(
        n in 1usize..8,
        m in 1usize..6,
        edges in proptest::collection::vec((0usize..8, 0usize..8, 0u8..4), 0..20),
        rows in proptest::collection::vec(0usize..8, 0..10),
        cols in proptest::collection::vec(0usize..6, 0..8),
        again in proptest::collection::vec(0usize..10, 0..10),
    ) {
        let rows: Vec<usize> = rows.into_iter().map(|i| i % n).collect();
        let cols: Vec<usize> = cols.into_iter().map(|j| j % m).collect();
        let edges: Vec<_> = edges.into_iter().map(|(a, b, w)| (a % n, b % n, f64::from(w))).collect();
        let g = TriMat::from_triplets(
            (n, n),
            edges.iter().map(|e| e.0).collect(),
            edges.iter().map(|e| e.1).collect(),
            edges.iter().map(|e| e.2).collect(),
        );
        let model_g = TriMat::from_triplets(
            (n, n),
            edges.iter().map(|e| e.0).collect(),
            edges.iter().map(|e| e.1).collect(),
            edges.iter().map(|e| e.2).collect(),
        );
        let values = Array2::from_shape_fn((n, m), |(i, j)| (i * 10 + j) as f64);
        let layers = BTreeMap::from([(String::new(), ViewLayer { values: values.clone(), dtype: "float64".into() })]);
        let ids: Vec<i64> = (0..n as i64).collect();
        let ra = BTreeMap::from([("id".to_owned(), AttrValues::from(ids))]);
        let v = LoomView::new((n, m), layers, ra, BTreeMap::new(), BTreeMap::from([("g".to_owned(), g)]), BTreeMap::new(), BTreeMap::new()).unwrap();
        let w = v.view(rows.clone(), cols.clone()).unwrap();
        prop_assert_eq!(&w.layer("").unwrap().values, &values.select(Axis(0), &rows).select(Axis(1), &cols));
        let want: Vec<i64> = rows.iter().map(|&i| i as i64).collect();
        prop_assert_eq!(&w.ra()["id"], &AttrValues::from(want));
        prop_assert_eq!(triplets(&w.row_graphs()["g"]), model_graph(&model_g, &rows));
        // A view of the view is the view of the composed selection.
        if !rows.is_empty() {
            let inner: Vec<usize> = again.into_iter().map(|k| k % rows.len()).collect();
            let x = w.view(inner.clone(), ..).unwrap();
            let composed: Vec<usize> = inner.iter().map(|&k| rows[k]).collect();
            prop_assert_eq!(x.row_indices(), &composed[..]);
            prop_assert_eq!(triplets(&x.row_graphs()["g"]), model_graph(&model_g, &composed));
            prop_assert_eq!(&x.layer("").unwrap().values, &values.select(Axis(0), &composed).select(Axis(1), &cols));
        }
    }
}

#[test]
fn graphs_match_loompy_on_increasing_selections() {
    // loompy 3.0.8 (with np.in1d = np.isin, see loompy-api.md §7): on increasing
    // selections without repeats, its rank renumbering and our positions agree.
    // ds.view[[0, 3, 7, 42, 99], :].row_graphs["KNN"] is the single edge (2, 0, 0.625).
    let ds = open("01_loompy_create_dense");
    let v = ds.view(vec![0, 3, 7, 42, 99], ..).unwrap();
    assert_eq!(
        triplets(&v.row_graphs()["KNN"]),
        [(2, 0, 0.625f64.to_bits())]
    );
    // ds.view[:, 10:40].col_graphs["MKNN"]: 28 edges, the first six (sorted) below.
    let v = ds.view(.., 10..40).unwrap();
    let t = triplets(&v.col_graphs()["MKNN"]);
    assert_eq!(t.len(), 28);
    let one = 1f64.to_bits();
    let first = [
        (3, 10, one),
        (6, 28, one),
        (7, 11, one),
        (8, 12, one),
        (9, 14, one),
        (10, 8, one),
    ];
    assert_eq!(t[..6], first);
}
