//! Row, column and global attributes of loompy-, anndata- and pySCENIC-made fixtures:
//! values equal loompy 3.0.8's (except that non-ASCII characters in spec 3 strings are
//! kept), and `get_changes_since` lists what loompy lists.

#![allow(clippy::unwrap_used)]

use std::path::PathBuf;

use loom_core::{AttrValues, Dtype, LoomConnection, LoomError, Mode};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures")
        .join(name)
}

/// A fingerprint of a loompy attribute value: numbers as (sum of finite values, count of
/// non-finite ones); strings as FNV-1a of the values joined by \x1f, once as stored on disk
/// (what we return) and once as loompy returns them (non-ASCII dropped).
enum Fp {
    Num(f64, usize),
    Str(u64, u64),
}

fn fnv<'a>(strs: impl Iterator<Item = &'a str>) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut first = true;
    for s in strs {
        if !first {
            h ^= 0x1f;
            h = h.wrapping_mul(0x100_0000_01b3);
        }
        first = false;
        for b in s.bytes() {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x100_0000_01b3);
        }
    }
    h
}

/// (file, axis, name, numpy dtype, shape, fingerprint)
type Row = (
    &'static str,
    usize,
    &'static str,
    &'static str,
    &'static [usize],
    Fp,
);

/// Generated with /tmp/pyenv/bin/python (loompy 3.0.8 + h5py) from the fixtures.
#[rustfmt::skip]
const EXPECTED: &[Row] = &[
    ("01_loompy_create_dense.loom", 0, "Bool", "uint8", &[100], Fp::Num(34.0, 0)),
    ("01_loompy_create_dense.loom", 0, "Bytes", "object", &[100], Fp::Str(0x8cbe27acc7b42070, 0x8cbe27acc7b42070)),
    ("01_loompy_create_dense.loom", 0, "Embedding", "float32", &[100, 3], Fp::Num(1498.0, 0)),
    ("01_loompy_create_dense.loom", 0, "Float", "float64", &[100], Fp::Num(618.75, 0)),
    ("01_loompy_create_dense.loom", 0, "Gene", "object", &[100], Fp::Str(0xc1224e817856376e, 0xc1224e817856376e)),
    ("01_loompy_create_dense.loom", 0, "Int", "int64", &[100], Fp::Num(9850.0, 0)),
    ("01_loompy_create_dense.loom", 0, "Unicode", "object", &[100], Fp::Str(0x5aeec46d036e3a40, 0xd2c8a78638fc4a42)),
    ("01_loompy_create_dense.loom", 1, "CellID", "object", &[70], Fp::Str(0xdc8363fdeeb92cfb, 0xdc8363fdeeb92cfb)),
    ("01_loompy_create_dense.loom", 1, "Cluster", "int64", &[70], Fp::Num(140.0, 0)),
    ("01_loompy_create_dense.loom", 1, "Score", "float64", &[70], Fp::Num(1200.0, 3)),
    ("01_loompy_create_dense.loom", 1, "TSNE", "float32", &[70, 2], Fp::Num(697.5, 0)),
    ("02_loompy_create_sparse.loom", 0, "Chrom", "object", &[150], Fp::Str(0x3119d5c55b303960, 0x3119d5c55b303960)),
    ("02_loompy_create_sparse.loom", 0, "Gene", "object", &[150], Fp::Str(0xca96fc56de6af6cb, 0xca96fc56de6af6cb)),
    ("02_loompy_create_sparse.loom", 1, "CellID", "object", &[90], Fp::Str(0x4bfcdf119c138161, 0x4bfcdf119c138161)),
    ("02_loompy_create_sparse.loom", 1, "Depth", "int64", &[90], Fp::Num(245183.0, 0)),
    ("09_anndata_write_loom.loom", 0, "PCs", "float32", &[20, 4], Fp::Num(417.75, 0)),
    ("09_anndata_write_loom.loom", 0, "highly_variable", "uint8", &[20], Fp::Num(10.0, 0)),
    ("09_anndata_write_loom.loom", 0, "mean", "float64", &[20], Fp::Num(47.5, 0)),
    ("09_anndata_write_loom.loom", 0, "var_names", "object", &[20], Fp::Str(0xf73d7ca26f18ed9e, 0xf73d7ca26f18ed9e)),
    ("09_anndata_write_loom.loom", 1, "X_pca", "float32", &[30, 4], Fp::Num(577.75, 0)),
    ("09_anndata_write_loom.loom", 1, "cluster", "object", &[30], Fp::Str(0xbd458ea6143e662a, 0xbd458ea6143e662a)),
    ("09_anndata_write_loom.loom", 1, "n_genes", "int64", &[30], Fp::Num(17168.0, 0)),
    ("09_anndata_write_loom.loom", 1, "obs_names", "object", &[30], Fp::Str(0xb0b73b41b59bba67, 0xb0b73b41b59bba67)),
    ("09_anndata_write_loom.loom", 1, "qc_pass", "uint8", &[30], Fp::Num(22.0, 0)),
    ("09_anndata_write_loom.loom", 1, "sample", "object", &[30], Fp::Str(0x88942086bcaad88f, 0x88942086bcaad88f)),
    ("30_emul_loompy2_fixedlen.loom", 0, "Accession", "object", &[40], Fp::Str(0x88911bad51b62200, 0x88911bad51b62200)),
    ("30_emul_loompy2_fixedlen.loom", 0, "Gene", "object", &[40], Fp::Str(0x6713bf3dbc88f804, 0x6713bf3dbc88f804)),
    ("30_emul_loompy2_fixedlen.loom", 0, "Total", "int64", &[40], Fp::Num(9647.0, 0)),
    ("30_emul_loompy2_fixedlen.loom", 1, "CellID", "object", &[30], Fp::Str(0xa196ce292cef6b8d, 0xa196ce292cef6b8d)),
    ("30_emul_loompy2_fixedlen.loom", 1, "ClusterID", "int64", &[30], Fp::Num(43.0, 0)),
    ("10_pyscenic_regulons.loom", 0, "Gene", "object", &[50], Fp::Str(0x07549e2b78581b27, 0x07549e2b78581b27)),
    ("10_pyscenic_regulons.loom", 0, "Regulons", "compound12", &[50], Fp::Num(280.0, 0)),
    ("10_pyscenic_regulons.loom", 1, "CellID", "object", &[40], Fp::Str(0x0fadda0a4dac2b04, 0x0fadda0a4dac2b04)),
    ("10_pyscenic_regulons.loom", 1, "RegulonsAUC", "compound12", &[40], Fp::Num(235.3115234375, 0)),
    ("10_pyscenic_regulons.loom", 1, "nGene", "int64", &[40], Fp::Num(880.0, 0)),
];

fn fingerprint(v: &AttrValues) -> (String, Fp) {
    match v {
        AttrValues::Str(s) => {
            let exact = fnv(s.iter().map(String::as_str));
            let ascii: Vec<String> = s
                .iter()
                .map(|x| x.chars().filter(char::is_ascii).collect())
                .collect();
            (
                "object".into(),
                Fp::Str(exact, fnv(ascii.iter().map(String::as_str))),
            )
        }
        AttrValues::Compound(fields) => {
            let sum: f64 = fields
                .iter()
                .map(|(_, f)| {
                    f.to_f64()
                        .unwrap()
                        .iter()
                        .filter(|x| x.is_finite())
                        .sum::<f64>()
                })
                .sum();
            (format!("compound{}", fields.len()), Fp::Num(sum, 0))
        }
        other => {
            let f = other.to_f64().unwrap();
            let sum = f.iter().filter(|x| x.is_finite()).sum();
            let bad = f.iter().filter(|x| !x.is_finite()).count();
            (other.dtype().name().into(), Fp::Num(sum, bad))
        }
    }
}

#[test]
fn fixture_attributes_equal_loompy() {
    let mut files: Vec<&str> = EXPECTED.iter().map(|e| e.0).collect();
    files.dedup();
    for file in files {
        // Fixture 10 (pySCENIC compounds) fails validation, as with loompy: open unvalidated.
        let ds = LoomConnection::open(fixture(file), Mode::Read, false).unwrap();
        for axis in [0, 1] {
            let want: Vec<&str> = EXPECTED
                .iter()
                .filter(|e| e.0 == file && e.1 == axis)
                .map(|e| e.2)
                .collect();
            let m = if axis == 0 { ds.ra() } else { ds.ca() };
            assert_eq!(m.keys(), want, "{file} axis {axis}");
        }
        for (_, axis, name, dtype, shape, fp) in EXPECTED.iter().filter(|e| e.0 == file) {
            let m = if *axis == 0 {
                ds.row_attrs()
            } else {
                ds.col_attrs()
            };
            let v = m.get(name).unwrap();
            assert_eq!(v.shape(), *shape, "{file} {name}");
            let (got_dtype, got) = fingerprint(&v);
            assert_eq!(got_dtype, *dtype, "{file} {name}");
            match (got, fp) {
                (Fp::Num(a, an), Fp::Num(b, bn)) => {
                    assert_eq!((a, an), (*b, *bn), "{file} {name}")
                }
                (Fp::Str(exact, ascii), Fp::Str(disk, loompy)) => {
                    // Spec 2 (escaped ASCII on disk): loompy's value is ours exactly.
                    // Spec 3: ours is the stored UTF-8; loompy's drops the non-ASCII.
                    assert_eq!(exact, *disk, "{file} {name}: exact UTF-8");
                    if disk != loompy {
                        assert_eq!(ascii, *loompy, "{file} {name}: loompy's ASCII-only view");
                    }
                }
                _ => panic!("{file} {name}: kind differs"),
            }
        }
    }
}

#[test]
fn fixture_spot_values() {
    let ds =
        LoomConnection::open(fixture("01_loompy_create_dense.loom"), Mode::Read, true).unwrap();
    let uni = ds.ra().get("Unicode").unwrap();
    // loompy 3.0.8 returns "gne-0-"; the stored UTF-8 is kept.
    assert_eq!(uni.as_strings().unwrap()[0], "gène-0-β");
    assert_eq!(ds.ra().get("Int").unwrap().dtype(), Dtype::Int64);
    assert_eq!(ds.ra().get("Embedding").unwrap().dtype(), Dtype::Float32);
    assert_eq!(ds.ra().get("Bool").unwrap().dtype(), Dtype::UInt8);
    let g = ds.attrs();
    assert_eq!(
        g.keys(),
        [
            "CreationDate",
            "LOOM_SPEC_VERSION",
            "n_things",
            "pi_ish",
            "title",
            "vec"
        ]
    );
    assert_eq!(g.get("title").unwrap().as_str(), Some("dense fixture"));
    assert_eq!(g.get("n_things").unwrap(), AttrValues::from(7i64));
    assert_eq!(g.get("pi_ish").unwrap(), AttrValues::from(3.25f64));
    assert_eq!(
        g.get("vec").unwrap(),
        AttrValues::from(vec![1.5f64, 2.5, 3.5])
    );
    assert!(matches!(
        g.get("nope"),
        Err(LoomError::Missing {
            kind: "global attribute",
            ..
        })
    ));
    assert_eq!(
        g.get_or("nope", AttrValues::from(1i64)),
        AttrValues::from(1i64)
    );
    assert_eq!(ds.last_modified(), "20261120T235308.175802Z");
    assert_eq!(ds.ca().last_modified(None), "20261120T235308.130385Z");

    // Spec 2: root attributes, XML escapes undone.
    let v2 =
        LoomConnection::open(fixture("30_emul_loompy2_fixedlen.loom"), Mode::Read, true).unwrap();
    assert!(v2.attrs().is_legacy_layout());
    assert_eq!(
        v2.attrs().keys(),
        ["CreationDate", "LOOM_SPEC_VERSION", "title"]
    );
    assert_eq!(
        v2.attrs().get("title").unwrap().as_str(),
        Some("loompy 2 style")
    );
    assert_eq!(
        v2.ca().get("CellID").unwrap().as_strings().unwrap()[0],
        "café0"
    );

    // pySCENIC compounds: one array per field.
    let p = LoomConnection::open(fixture("10_pyscenic_regulons.loom"), Mode::Read, false).unwrap();
    let AttrValues::Compound(fields) = p.ra().get("Regulons").unwrap() else {
        panic!("not a compound")
    };
    assert_eq!(fields.len(), 12);
    assert_eq!(fields[0].0, "TF0(+)");
    assert_eq!(fields[0].1.dtype(), Dtype::Int64);
    assert_eq!(fields[0].1.to_i64().unwrap()[[0]], 1);
}
#[test]
fn changes_since_matches_loompy_on_fixture_02() {
    let ds =
        LoomConnection::open(fixture("02_loompy_create_sparse.loom"), Mode::Read, true).unwrap();
    // loompy: {'row_attrs': ['Chrom', 'Gene'], 'col_attrs': ['CellID', 'Depth'], 'layers': ['']}
    let c = ds.get_changes_since("20261120T235308.100000Z");
    assert_eq!(c.row_attrs, ["Chrom", "Gene"]);
    assert_eq!(c.col_attrs, ["CellID", "Depth"]);
    assert_eq!(c.layers, [""]); // /matrix has no stamp: counts as changed now
    assert!(c.row_graphs.is_empty() && c.col_graphs.is_empty());
    let c = ds.get_changes_since("20261120T235308.299000Z");
    assert!(c.row_attrs.is_empty());
    assert_eq!(c.col_attrs, ["CellID", "Depth"]);
    assert_eq!(
        ds.ra().last_modified(Some("Chrom")),
        "20261120T235308.298856Z"
    );
    // Fixture 01 has graphs (loompy raises KeyError 'row_graphsKNN' here); we list them.
    let ds =
        LoomConnection::open(fixture("01_loompy_create_dense.loom"), Mode::Read, true).unwrap();
    let c = ds.get_changes_since("20261120T235308.100000Z");
    assert_eq!(c.row_attrs, ["Bool", "Embedding"]);
    assert_eq!(c.col_attrs, ["CellID", "Cluster", "Score", "TSNE"]);
    assert_eq!(c.row_graphs, ["KNN"]);
    assert_eq!(c.col_graphs, ["MKNN"]);
}
