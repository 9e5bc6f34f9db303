//! The validator against loompy 3.0.8: the same verdict, errors, warnings and summary
//! on every loom fixture and on hand-made invalid files.

// Test helpers outside #[test] functions may unwrap: a failure there is a test failure.
#![allow(clippy::unwrap_used)]

use std::path::PathBuf;

use loom_core::{LoomValidator, Strictness};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures")
        .join(name)
}

fn strictness(s: &str) -> Strictness {
    s.parse().unwrap()
}

fn compare(label: &str, v: &LoomValidator, ok: bool, case: &Case) {
    let (_, _, valid, raised, errors, warnings, summary) = *case;
    assert_eq!(v.errors(), errors, "{label}: errors");
    assert_eq!(v.warnings(), warnings, "{label}: warnings");
    assert_eq!(
        v.crash().is_some(),
        raised,
        "{label}: crash {:?}",
        v.crash()
    );
    assert_eq!(ok, valid && !raised, "{label}: verdict");
    if !raised {
        assert_eq!(v.summary(), summary, "{label}: summary");
    }
}

#[test]
fn fixtures_agree_with_loompy() {
    for case in FIXTURES {
        let (file, s, ..) = *case;
        let mut v = LoomValidator::new();
        let ok = v.validate(fixture(file), strictness(s)).unwrap();
        compare(&format!("{file} {s}"), &v, ok, case);
    }
}

use hdf5_lite::format::messages::{CharSet, Datatype, StringPadding};
use hdf5_lite::read::Numeric;
use hdf5_lite::write::{vlen_utf8, DatasetSpec, Writer};

fn fixed_string(size: u32) -> Datatype {
    Datatype::FixedString {
        size,
        padding: StringPadding::NullPad,
        charset: CharSet::Ascii,
    }
}

fn numbers<T: Numeric>(w: &mut Writer, path: &str, values: &[T]) {
    let n = [values.len() as u64];
    w.create_dataset(path, &DatasetSpec::new(T::datatype(), &n))
        .unwrap();
    w.write_numbers(path, &[0], &n, values).unwrap();
}

fn strings(w: &mut Writer, path: &str, dt: Datatype, values: &[String]) {
    let n = [values.len() as u64];
    let v: Vec<&str> = values.iter().map(String::as_str).collect();
    w.create_dataset(path, &DatasetSpec::new(dt, &n)).unwrap();
    w.write_strings(path, &[0], &n, &v).unwrap();
}

fn graph(w: &mut Writer, path: &str, a: &[f64], b: &[i64], wt: Option<&[i64]>) {
    w.create_group(path).unwrap();
    numbers(w, &format!("{path}/a"), a);
    numbers(w, &format!("{path}/b"), b);
    if let Some(wt) = wt {
        numbers(w, &format!("{path}/w"), wt);
    }
}

fn labels(prefix: &str, n: usize) -> Vec<String> {
    (0..n).map(|i| format!("{prefix}{i:04}")).collect()
}

/// The conventions' attributes on fixture 01 (100 genes × 70 cells).
fn conventional(w: &mut Writer, cluster_ids: &[i64]) {
    numbers(w, "/col_attrs/ClusterID", cluster_ids);
    let names: Vec<String> = cluster_ids.iter().map(|c| format!("C{c}")).collect();
    strings(w, "/col_attrs/ClusterName", vlen_utf8(), &names);
    strings(w, "/row_attrs/Accession", vlen_utf8(), &labels("ENSG", 100));
}

/// Each invalid-file case: a copy of a fixture with some edits, made with hdf5-lite's
/// writer. The same files were validated by loompy (see CASES).
fn make_case(name: &str, dir: &std::path::Path) -> PathBuf {
    let base = if name.starts_with("v2_") {
        "30_emul_loompy2_fixedlen.loom"
    } else {
        "01_loompy_create_dense.loom"
    };
    let path = dir.join(format!("{name}.loom"));
    std::fs::copy(fixture(base), &path).unwrap();
    let mut w = Writer::open(&path).unwrap();
    let cycle: Vec<i64> = (0..70).map(|i| i % 5).collect();
    match name {
        "no_row_attrs" => w.unlink("/row_attrs").unwrap(),
        "no_attrs_groups" => {
            w.unlink("/row_attrs").unwrap();
            w.unlink("/col_attrs").unwrap();
        }
        "no_global_attrs" => w.unlink("/attrs").unwrap(),
        "no_matrix" => w.unlink("/matrix").unwrap(),
        "layer_problems" => {
            w.create_dataset(
                "/layers/short",
                &DatasetSpec::new(f32::datatype(), &[10, 70]),
            )
            .unwrap();
            w.create_dataset(
                "/layers/text",
                &DatasetSpec::new(fixed_string(3), &[100, 70]),
            )
            .unwrap();
        }
        "matrix_strings" => {
            w.unlink("/matrix").unwrap();
            w.create_dataset("/matrix", &DatasetSpec::new(fixed_string(2), &[100, 70]))
                .unwrap();
        }
        "attr_problems" => {
            numbers(&mut w, "/row_attrs/short", &[1i64, 2, 3]);
            strings(
                &mut w,
                "/col_attrs/fixed",
                fixed_string(8),
                &labels("c", 70),
            );
            numbers(&mut w, "/col_attrs/long", &[0.5f32; 71]);
        }
        "v2_vlen_attr" => {
            strings(&mut w, "/row_attrs/vlen", vlen_utf8(), &labels("g", 40));
            numbers(&mut w, "/col_attrs/short", &[1u8; 3]);
        }
        "graph_problems" => {
            graph(
                &mut w,
                "/row_graphs/floaty",
                &[0.0, 1.0],
                &[1, 0],
                Some(&[1, 1]),
            );
            graph(
                &mut w,
                "/col_graphs/ragged",
                &[0.0],
                &[1, 0],
                Some(&[1, 2, 3]),
            );
        }
        "graph_missing_w" => graph(&mut w, "/col_graphs/now", &[0.0], &[1], None),
        "conv_complete_ids" => conventional(&mut w, &cycle),
        "conv_one_id_missing" => {
            let ids: Vec<i64> = (0..70)
                .map(|i| if i % 5 == 3 { 0 } else { i % 5 })
                .collect();
            conventional(&mut w, &ids);
        }
        "conv_bad_types" => {
            conventional(&mut w, &cycle);
            w.unlink("/col_attrs/ClusterName").unwrap();
            numbers(&mut w, "/col_attrs/ClusterName", &cycle);
            w.unlink("/col_attrs/CellID").unwrap();
            numbers(&mut w, "/col_attrs/CellID", &vec![7i64; 70]);
            numbers(&mut w, "/col_attrs/Valid", &cycle);
            numbers(&mut w, "/col_attrs/Outliers", &[0i32; 70]);
            numbers(&mut w, "/row_attrs/Valid", &[1i64; 100]);
            numbers(&mut w, "/row_attrs/Selected", &[1u8; 100]);
        }
        "conv_ampersand_cellid" => {
            conventional(&mut w, &cycle);
            w.unlink("/col_attrs/CellID").unwrap();
            let ids: Vec<String> = labels("a&amp;b", 70);
            strings(&mut w, "/col_attrs/CellID", vlen_utf8(), &ids);
        }
        other => panic!("no case {other}"),
    }
    w.close().unwrap();
    path
}

const CASE_NAMES: [&str; 14] = [
    "no_row_attrs",
    "no_attrs_groups",
    "no_global_attrs",
    "no_matrix",
    "layer_problems",
    "matrix_strings",
    "attr_problems",
    "v2_vlen_attr",
    "graph_problems",
    "graph_missing_w",
    "conv_complete_ids",
    "conv_one_id_missing",
    "conv_bad_types",
    "conv_ampersand_cellid",
];

/// Set LOOM_VALIDATE_CASES=<dir> to keep the files there (to run loompy on them).
fn case_dir() -> PathBuf {
    match std::env::var_os("LOOM_VALIDATE_CASES") {
        Some(d) => PathBuf::from(d),
        None => std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("loom-validate-cases-{}", std::process::id())),
    }
}

#[test]
fn invalid_files_agree_with_loompy() {
    let dir = case_dir();
    std::fs::create_dir_all(&dir).unwrap();
    for name in CASE_NAMES {
        make_case(name, &dir);
    }
    for case in CASES {
        let (file, s, ..) = *case;
        let mut v = LoomValidator::new();
        let ok = v.validate(dir.join(file), strictness(s)).unwrap();
        compare(&format!("{file} {s}"), &v, ok, case);
    }
    if std::env::var_os("LOOM_VALIDATE_CASES").is_none() {
        let _ = std::fs::remove_dir_all(&dir);
    }
}

#[test]
fn a_validator_keeps_findings_across_files_like_loompys() {
    // loompy's `validate_spec` returns `len(self.errors) == 0`, so after an invalid file
    // even a valid one is reported invalid by the same validator instance.
    let mut v = LoomValidator::new();
    assert!(!v
        .validate(fixture("10_pyscenic_regulons.loom"), Strictness::SpecOnly)
        .unwrap());
    assert!(!v
        .validate(fixture("01_loompy_create_dense.loom"), Strictness::SpecOnly)
        .unwrap());
    assert_eq!(v.errors().len(), 4);
}

// Made by running, for every fixtures/*.loom and both strictness levels,
// `v = loompy.LoomValidator(); ok = v.validate(path, strictness=s)` with loompy 3.0.8
// (/tmp/pyenv), recording ok, v.errors, v.warnings, v.summary, and whether it raised.
/// (file, strictness, valid, loompy raised, errors, warnings, summary)
type Case = (
    &'static str,
    &'static str,
    bool,
    bool,
    &'static [&'static str],
    &'static [&'static str],
    &'static [&'static str],
);
const FIXTURES: &[Case] = &[
    ("01_loompy_create_dense.loom", "speconly", true, false, &[], &[], &["Global attributes:", "     CreationDate str (scalar)", "LOOM_SPEC_VERSION str (scalar)", "         n_things str (scalar)", "           pi_ish str (scalar)", "            title str (scalar)", "              vec str (scalar)", "Layers shape=(100, 70):", "      Main matrix float32", "           counts int32", "          spliced uint16", "Row attributes:", "             Bool uint8 ", "            Bytes object ", "        Embedding float32 (100, 3)", "            Float float64 ", "             Gene object ", "              Int int64 ", "          Unicode object ", "Column attributes:", "           CellID object ", "          Cluster int64 ", "            Score float64 ", "             TSNE float32 (70, 2)", "Row graphs:", "    'KNN' with 300 edges", "Column graphs:", "    'MKNN' with 140 edges"]),
    ("01_loompy_create_dense.loom", "conventions", false, false, &["Column attribute 'ClusterID' is missing", "Row attribute 'Accession' is missing", "For help, see http://linnarssonlab.org/loompy/conventions/"], &["Optional global attribute 'Description' is missing", "Optional global attribute 'Journal' is missing", "Optional global attribute 'Authors' is missing", "Optional global attribute 'Title' is missing", "Optional global attribute 'Year' is missing", "Optional column attribute 'ClusterName' is missing", "Optional column attribute 'Valid' is missing", "Optional column attribute 'Outliers' is missing", "Optional row attribute 'Valid' is missing", "Optional row attribute 'Selected' is missing"], &["Global attributes:", "     CreationDate str (scalar)", "LOOM_SPEC_VERSION str (scalar)", "         n_things str (scalar)", "           pi_ish str (scalar)", "            title str (scalar)", "              vec str (scalar)", "Layers shape=(100, 70):", "      Main matrix float32", "           counts int32", "          spliced uint16", "Row attributes:", "             Bool uint8 ", "            Bytes object ", "        Embedding float32 (100, 3)", "            Float float64 ", "             Gene object ", "              Int int64 ", "          Unicode object ", "Column attributes:", "           CellID object ", "          Cluster int64 ", "            Score float64 ", "             TSNE float32 (70, 2)", "Row graphs:", "    'KNN' with 300 edges", "Column graphs:", "    'MKNN' with 140 edges"]),
    ("02_loompy_create_sparse.loom", "speconly", true, false, &[], &[], &["Global attributes:", "     CreationDate str (scalar)", "LOOM_SPEC_VERSION str (scalar)", "Layers shape=(150, 90):", "      Main matrix float32", "Row attributes:", "            Chrom object ", "             Gene object ", "Column attributes:", "           CellID object ", "            Depth int64 ", "Row graphs:", "    (none)", "Column graphs:", "    (none)"]),
    ("02_loompy_create_sparse.loom", "conventions", false, false, &["Column attribute 'ClusterID' is missing", "Row attribute 'Accession' is missing", "For help, see http://linnarssonlab.org/loompy/conventions/"], &["Optional global attribute 'Description' is missing", "Optional global attribute 'Journal' is missing", "Optional global attribute 'Authors' is missing", "Optional global attribute 'Title' is missing", "Optional global attribute 'Year' is missing", "Optional column attribute 'ClusterName' is missing", "Optional column attribute 'Valid' is missing", "Optional column attribute 'Outliers' is missing", "Optional row attribute 'Valid' is missing", "Optional row attribute 'Selected' is missing"], &["Global attributes:", "     CreationDate str (scalar)", "LOOM_SPEC_VERSION str (scalar)", "Layers shape=(150, 90):", "      Main matrix float32", "Row attributes:", "            Chrom object ", "             Gene object ", "Column attributes:", "           CellID object ", "            Depth int64 ", "Row graphs:", "    (none)", "Column graphs:", "    (none)"]),
    ("03_loompy_new_add_columns.loom", "speconly", true, false, &[], &[], &["Global attributes:", "     CreationDate str (scalar)", "LOOM_SPEC_VERSION str (scalar)", "Layers shape=(40, 39):", "      Main matrix float32", "        unspliced int32", "Row attributes:", "             Gene object ", "Column attributes:", "            Batch int64 ", "           CellID object ", "Row graphs:", "    (none)", "Column graphs:", "    (none)"]),
    ("03_loompy_new_add_columns.loom", "conventions", false, false, &["Column attribute 'ClusterID' is missing", "Row attribute 'Accession' is missing", "For help, see http://linnarssonlab.org/loompy/conventions/"], &["Optional global attribute 'Description' is missing", "Optional global attribute 'Journal' is missing", "Optional global attribute 'Authors' is missing", "Optional global attribute 'Title' is missing", "Optional global attribute 'Year' is missing", "Optional column attribute 'ClusterName' is missing", "Optional column attribute 'Valid' is missing", "Optional column attribute 'Outliers' is missing", "Optional row attribute 'Valid' is missing", "Optional row attribute 'Selected' is missing"], &["Global attributes:", "     CreationDate str (scalar)", "LOOM_SPEC_VERSION str (scalar)", "Layers shape=(40, 39):", "      Main matrix float32", "        unspliced int32", "Row attributes:", "             Gene object ", "Column attributes:", "            Batch int64 ", "           CellID object ", "Row graphs:", "    (none)", "Column graphs:", "    (none)"]),
    ("04_loompy_add_loom.loom", "speconly", true, false, &[], &[], &["Global attributes:", "     CreationDate str (scalar)", "LOOM_SPEC_VERSION str (scalar)", "Layers shape=(30, 43):", "      Main matrix float32", "Row attributes:", "            Extra int64 ", "             Gene object ", "Column attributes:", "            Batch int64 ", "           CellID object ", "Row graphs:", "    (none)", "Column graphs:", "    (none)"]),
    ("04_loompy_add_loom.loom", "conventions", false, false, &["Column attribute 'ClusterID' is missing", "Row attribute 'Accession' is missing", "For help, see http://linnarssonlab.org/loompy/conventions/"], &["Optional global attribute 'Description' is missing", "Optional global attribute 'Journal' is missing", "Optional global attribute 'Authors' is missing", "Optional global attribute 'Title' is missing", "Optional global attribute 'Year' is missing", "Optional column attribute 'ClusterName' is missing", "Optional column attribute 'Valid' is missing", "Optional column attribute 'Outliers' is missing", "Optional row attribute 'Valid' is missing", "Optional row attribute 'Selected' is missing"], &["Global attributes:", "     CreationDate str (scalar)", "LOOM_SPEC_VERSION str (scalar)", "Layers shape=(30, 43):", "      Main matrix float32", "Row attributes:", "            Extra int64 ", "             Gene object ", "Column attributes:", "            Batch int64 ", "           CellID object ", "Row graphs:", "    (none)", "Column graphs:", "    (none)"]),
    ("05_loompy_combine.loom", "speconly", true, false, &[], &[], &["Global attributes:", "     CreationDate str (scalar)", "LOOM_SPEC_VERSION str (scalar)", "         combined str (scalar)", "Layers shape=(35, 37):", "      Main matrix float32", "        ambiguous float32", "Row attributes:", "             Gene object ", "Column attributes:", "           CellID object ", "             Part int64 ", "Row graphs:", "    (none)", "Column graphs:", "    (none)"]),
    ("05_loompy_combine.loom", "conventions", false, false, &["Column attribute 'ClusterID' is missing", "Row attribute 'Accession' is missing", "For help, see http://linnarssonlab.org/loompy/conventions/"], &["Optional global attribute 'Description' is missing", "Optional global attribute 'Journal' is missing", "Optional global attribute 'Authors' is missing", "Optional global attribute 'Title' is missing", "Optional global attribute 'Year' is missing", "Optional column attribute 'ClusterName' is missing", "Optional column attribute 'Valid' is missing", "Optional column attribute 'Outliers' is missing", "Optional row attribute 'Valid' is missing", "Optional row attribute 'Selected' is missing"], &["Global attributes:", "     CreationDate str (scalar)", "LOOM_SPEC_VERSION str (scalar)", "         combined str (scalar)", "Layers shape=(35, 37):", "      Main matrix float32", "        ambiguous float32", "Row attributes:", "             Gene object ", "Column attributes:", "           CellID object ", "             Part int64 ", "Row graphs:", "    (none)", "Column graphs:", "    (none)"]),
    ("06_loompy_deleted.loom", "speconly", true, false, &[], &[], &["Global attributes:", "     CreationDate str (scalar)", "LOOM_SPEC_VERSION str (scalar)", "          keep_me str (scalar)", "Layers shape=(40, 30):", "      Main matrix float32", "             kept float32", "Row attributes:", "             Gene object ", "             Keep float64 ", "Column attributes:", "           CellID object ", "          KeepCol int64 ", "Row graphs:", "    (none)", "Column graphs:", "    'MKNN' with 60 edges"]),
    ("06_loompy_deleted.loom", "conventions", false, false, &["Column attribute 'ClusterID' is missing", "Row attribute 'Accession' is missing", "For help, see http://linnarssonlab.org/loompy/conventions/"], &["Optional global attribute 'Description' is missing", "Optional global attribute 'Journal' is missing", "Optional global attribute 'Authors' is missing", "Optional global attribute 'Title' is missing", "Optional global attribute 'Year' is missing", "Optional column attribute 'ClusterName' is missing", "Optional column attribute 'Valid' is missing", "Optional column attribute 'Outliers' is missing", "Optional row attribute 'Valid' is missing", "Optional row attribute 'Selected' is missing"], &["Global attributes:", "     CreationDate str (scalar)", "LOOM_SPEC_VERSION str (scalar)", "          keep_me str (scalar)", "Layers shape=(40, 30):", "      Main matrix float32", "             kept float32", "Row attributes:", "             Gene object ", "             Keep float64 ", "Column attributes:", "           CellID object ", "          KeepCol int64 ", "Row graphs:", "    (none)", "Column graphs:", "    'MKNN' with 60 edges"]),
    ("07_loompy_many_attrs.loom", "speconly", true, false, &[], &[], &["Global attributes:", "     CreationDate str (scalar)", "LOOM_SPEC_VERSION str (scalar)", "Layers shape=(20, 10):", "      Main matrix float32", "Row attributes:", "             Gene object ", "      attr_00_int int64 ", "    attr_01_float float64 ", "      attr_02_str object ", "     attr_03_bool uint8 ", "      attr_04_int int64 ", "    attr_05_float float64 ", "      attr_06_str object ", "     attr_07_bool uint8 ", "      attr_08_int int64 ", "    attr_09_float float64 ", "      attr_10_str object ", "     attr_11_bool uint8 ", "      attr_12_int int64 ", "    attr_13_float float64 ", "      attr_14_str object ", "     attr_15_bool uint8 ", "      attr_16_int int64 ", "    attr_17_float float64 ", "      attr_18_str object ", "     attr_19_bool uint8 ", "      attr_20_int int64 ", "    attr_21_float float64 ", "      attr_22_str object ", "     attr_23_bool uint8 ", "      attr_24_int int64 ", "    attr_25_float float64 ", "      attr_26_str object ", "     attr_27_bool uint8 ", "      attr_28_int int64 ", "    attr_29_float float64 ", "      attr_30_str object ", "     attr_31_bool uint8 ", "      attr_32_int int64 ", "    attr_33_float float64 ", "      attr_34_str object ", "     attr_35_bool uint8 ", "      attr_36_int int64 ", "    attr_37_float float64 ", "      attr_38_str object ", "     attr_39_bool uint8 ", "Column attributes:", "           CellID object ", "Row graphs:", "    (none)", "Column graphs:", "    (none)"]),
    ("07_loompy_many_attrs.loom", "conventions", false, false, &["Column attribute 'ClusterID' is missing", "Row attribute 'Accession' is missing", "For help, see http://linnarssonlab.org/loompy/conventions/"], &["Optional global attribute 'Description' is missing", "Optional global attribute 'Journal' is missing", "Optional global attribute 'Authors' is missing", "Optional global attribute 'Title' is missing", "Optional global attribute 'Year' is missing", "Optional column attribute 'ClusterName' is missing", "Optional column attribute 'Valid' is missing", "Optional column attribute 'Outliers' is missing", "Optional row attribute 'Valid' is missing", "Optional row attribute 'Selected' is missing"], &["Global attributes:", "     CreationDate str (scalar)", "LOOM_SPEC_VERSION str (scalar)", "Layers shape=(20, 10):", "      Main matrix float32", "Row attributes:", "             Gene object ", "      attr_00_int int64 ", "    attr_01_float float64 ", "      attr_02_str object ", "     attr_03_bool uint8 ", "      attr_04_int int64 ", "    attr_05_float float64 ", "      attr_06_str object ", "     attr_07_bool uint8 ", "      attr_08_int int64 ", "    attr_09_float float64 ", "      attr_10_str object ", "     attr_11_bool uint8 ", "      attr_12_int int64 ", "    attr_13_float float64 ", "      attr_14_str object ", "     attr_15_bool uint8 ", "      attr_16_int int64 ", "    attr_17_float float64 ", "      attr_18_str object ", "     attr_19_bool uint8 ", "      attr_20_int int64 ", "    attr_21_float float64 ", "      attr_22_str object ", "     attr_23_bool uint8 ", "      attr_24_int int64 ", "    attr_25_float float64 ", "      attr_26_str object ", "     attr_27_bool uint8 ", "      attr_28_int int64 ", "    attr_29_float float64 ", "      attr_30_str object ", "     attr_31_bool uint8 ", "      attr_32_int int64 ", "    attr_33_float float64 ", "      attr_34_str object ", "     attr_35_bool uint8 ", "      attr_36_int int64 ", "    attr_37_float float64 ", "      attr_38_str object ", "     attr_39_bool uint8 ", "Column attributes:", "           CellID object ", "Row graphs:", "    (none)", "Column graphs:", "    (none)"]),
    ("08_loompy_many_chunks.loom", "speconly", true, false, &[], &[], &["Global attributes:", "     CreationDate str (scalar)", "LOOM_SPEC_VERSION str (scalar)", "Layers shape=(10, 6400):", "      Main matrix uint16", "Row attributes:", "             Gene object ", "Column attributes:", "        CellIndex int32 ", "            Depth int16 ", "Row graphs:", "    (none)", "Column graphs:", "    (none)"]),
    ("08_loompy_many_chunks.loom", "conventions", false, false, &["Column attribute 'ClusterID' is missing", "Column attribute 'CellID' is missing", "Row attribute 'Accession' is missing", "For help, see http://linnarssonlab.org/loompy/conventions/"], &["Optional global attribute 'Description' is missing", "Optional global attribute 'Journal' is missing", "Optional global attribute 'Authors' is missing", "Optional global attribute 'Title' is missing", "Optional global attribute 'Year' is missing", "Optional column attribute 'ClusterName' is missing", "Optional column attribute 'Valid' is missing", "Optional column attribute 'Outliers' is missing", "Optional row attribute 'Valid' is missing", "Optional row attribute 'Selected' is missing"], &["Global attributes:", "     CreationDate str (scalar)", "LOOM_SPEC_VERSION str (scalar)", "Layers shape=(10, 6400):", "      Main matrix uint16", "Row attributes:", "             Gene object ", "Column attributes:", "        CellIndex int32 ", "            Depth int16 ", "Row graphs:", "    (none)", "Column graphs:", "    (none)"]),
    ("09_anndata_write_loom.loom", "speconly", true, false, &[], &[], &["Global attributes:", "     CreationDate str (scalar)", "LOOM_SPEC_VERSION str (scalar)", "Layers shape=(20, 30):", "      Main matrix float32", "          spliced float32", "Row attributes:", "              PCs float32 (20, 4)", "  highly_variable uint8 ", "             mean float64 ", "        var_names object ", "Column attributes:", "            X_pca float32 (30, 4)", "          cluster object ", "          n_genes int64 ", "        obs_names object ", "          qc_pass uint8 ", "           sample object ", "Row graphs:", "    (none)", "Column graphs:", "    (none)"]),
    ("09_anndata_write_loom.loom", "conventions", false, false, &["Column attribute 'ClusterID' is missing", "Column attribute 'CellID' is missing", "Row attribute 'Accession' is missing", "Row attribute 'Gene' is missing", "For help, see http://linnarssonlab.org/loompy/conventions/"], &["Optional global attribute 'Description' is missing", "Optional global attribute 'Journal' is missing", "Optional global attribute 'Authors' is missing", "Optional global attribute 'Title' is missing", "Optional global attribute 'Year' is missing", "Optional column attribute 'ClusterName' is missing", "Optional column attribute 'Valid' is missing", "Optional column attribute 'Outliers' is missing", "Optional row attribute 'Valid' is missing", "Optional row attribute 'Selected' is missing"], &["Global attributes:", "     CreationDate str (scalar)", "LOOM_SPEC_VERSION str (scalar)", "Layers shape=(20, 30):", "      Main matrix float32", "          spliced float32", "Row attributes:", "              PCs float32 (20, 4)", "  highly_variable uint8 ", "             mean float64 ", "        var_names object ", "Column attributes:", "            X_pca float32 (30, 4)", "          cluster object ", "          n_genes int64 ", "        obs_names object ", "          qc_pass uint8 ", "           sample object ", "Row graphs:", "    (none)", "Column graphs:", "    (none)"]),
    ("10_pyscenic_regulons.loom", "speconly", false, false, &["Row attribute 'Regulons' dtype [('TF0(+)', '<i8'), ('TF1(+)', '<i8'), ('TF2(+)', '<i8'), ('TF3(+)', '<i8'), ('TF4(+)', '<i8'), ('TF5(+)', '<i8'), ('TF6(+)', '<i8'), ('TF7(+)', '<i8'), ('TF8(+)', '<i8'), ('TF9(+)', '<i8'), ('TF10(+)', '<i8'), ('TF11(+)', '<i8')] is not allowed", "Column attribute 'RegulonsAUC' dtype [('TF0(+)', '<f8'), ('TF1(+)', '<f8'), ('TF2(+)', '<f8'), ('TF3(+)', '<f8'), ('TF4(+)', '<f8'), ('TF5(+)', '<f8'), ('TF6(+)', '<f8'), ('TF7(+)', '<f8'), ('TF8(+)', '<f8'), ('TF9(+)', '<f8'), ('TF10(+)', '<f8'), ('TF11(+)', '<f8')] is not allowed", "For help, see http://linnarssonlab.org/loompy/format/"], &[], &["Global attributes:", "     CreationDate str (scalar)", "           Genome str (scalar)", "LOOM_SPEC_VERSION str (scalar)", "         MetaData str (scalar)", "            title str (scalar)", "Layers shape=(50, 40):", "      Main matrix float32", "Row attributes:", "             Gene object ", "         Regulons [('TF0(+)', '<i8'), ('TF1(+)', '<i8'), ('TF2(+)', '<i8'), ('TF3(+)', '<i8'), ('TF4(+)', '<i8'), ('TF5(+)', '<i8'), ('TF6(+)', '<i8'), ('TF7(+)', '<i8'), ('TF8(+)', '<i8'), ('TF9(+)', '<i8'), ('TF10(+)', '<i8'), ('TF11(+)', '<i8')] ", "Column attributes:", "           CellID object ", "      RegulonsAUC [('TF0(+)', '<f8'), ('TF1(+)', '<f8'), ('TF2(+)', '<f8'), ('TF3(+)', '<f8'), ('TF4(+)', '<f8'), ('TF5(+)', '<f8'), ('TF6(+)', '<f8'), ('TF7(+)', '<f8'), ('TF8(+)', '<f8'), ('TF9(+)', '<f8'), ('TF10(+)', '<f8'), ('TF11(+)', '<f8')] ", "            nGene int64 ", "Row graphs:", "    (none)", "Column graphs:", "    (none)"]),
    ("10_pyscenic_regulons.loom", "conventions", false, true, &["Row attribute 'Regulons' dtype [('TF0(+)', '<i8'), ('TF1(+)', '<i8'), ('TF2(+)', '<i8'), ('TF3(+)', '<i8'), ('TF4(+)', '<i8'), ('TF5(+)', '<i8'), ('TF6(+)', '<i8'), ('TF7(+)', '<i8'), ('TF8(+)', '<i8'), ('TF9(+)', '<i8'), ('TF10(+)', '<i8'), ('TF11(+)', '<i8')] is not allowed", "Column attribute 'RegulonsAUC' dtype [('TF0(+)', '<f8'), ('TF1(+)', '<f8'), ('TF2(+)', '<f8'), ('TF3(+)', '<f8'), ('TF4(+)', '<f8'), ('TF5(+)', '<f8'), ('TF6(+)', '<f8'), ('TF7(+)', '<f8'), ('TF8(+)', '<f8'), ('TF9(+)', '<f8'), ('TF10(+)', '<f8'), ('TF11(+)', '<f8')] is not allowed", "For help, see http://linnarssonlab.org/loompy/format/"], &[], &[]),
    ("20_latest_loompy.loom", "speconly", true, false, &[], &[], &["Global attributes:", "     CreationDate str (scalar)", "LOOM_SPEC_VERSION str (scalar)", "            title str (scalar)", "Layers shape=(70, 100):", "      Main matrix float32", "           counts int32", "Row attributes:", "             Gene object ", "              ra0 float64 ", "              ra1 int64 ", "              ra2 float64 ", "              ra3 int64 ", "              ra4 float64 ", "              ra5 int64 ", "              ra6 float64 ", "              ra7 int64 ", "              ra8 float64 ", "Column attributes:", "           CellID object ", "        Embedding float32 (100, 2)", "Row graphs:", "    'KNN' with 210 edges", "Column graphs:", "    'MKNN' with 200 edges"]),
    ("20_latest_loompy.loom", "conventions", false, false, &["Column attribute 'ClusterID' is missing", "Row attribute 'Accession' is missing", "For help, see http://linnarssonlab.org/loompy/conventions/"], &["Optional global attribute 'Description' is missing", "Optional global attribute 'Journal' is missing", "Optional global attribute 'Authors' is missing", "Optional global attribute 'Title' is missing", "Optional global attribute 'Year' is missing", "Optional column attribute 'ClusterName' is missing", "Optional column attribute 'Valid' is missing", "Optional column attribute 'Outliers' is missing", "Optional row attribute 'Valid' is missing", "Optional row attribute 'Selected' is missing"], &["Global attributes:", "     CreationDate str (scalar)", "LOOM_SPEC_VERSION str (scalar)", "            title str (scalar)", "Layers shape=(70, 100):", "      Main matrix float32", "           counts int32", "Row attributes:", "             Gene object ", "              ra0 float64 ", "              ra1 int64 ", "              ra2 float64 ", "              ra3 int64 ", "              ra4 float64 ", "              ra5 int64 ", "              ra6 float64 ", "              ra7 int64 ", "              ra8 float64 ", "Column attributes:", "           CellID object ", "        Embedding float32 (100, 2)", "Row graphs:", "    'KNN' with 210 edges", "Column graphs:", "    'MKNN' with 200 edges"]),
    ("21_v108_loompy.loom", "speconly", true, false, &[], &[], &["Global attributes:", "     CreationDate str (scalar)", "LOOM_SPEC_VERSION str (scalar)", "            title str (scalar)", "Layers shape=(70, 100):", "      Main matrix float32", "           counts int32", "Row attributes:", "             Gene object ", "              ra0 float64 ", "              ra1 int64 ", "              ra2 float64 ", "              ra3 int64 ", "              ra4 float64 ", "              ra5 int64 ", "              ra6 float64 ", "              ra7 int64 ", "              ra8 float64 ", "Column attributes:", "           CellID object ", "        Embedding float32 (100, 2)", "Row graphs:", "    'KNN' with 210 edges", "Column graphs:", "    'MKNN' with 200 edges"]),
    ("21_v108_loompy.loom", "conventions", false, false, &["Column attribute 'ClusterID' is missing", "Row attribute 'Accession' is missing", "For help, see http://linnarssonlab.org/loompy/conventions/"], &["Optional global attribute 'Description' is missing", "Optional global attribute 'Journal' is missing", "Optional global attribute 'Authors' is missing", "Optional global attribute 'Title' is missing", "Optional global attribute 'Year' is missing", "Optional column attribute 'ClusterName' is missing", "Optional column attribute 'Valid' is missing", "Optional column attribute 'Outliers' is missing", "Optional row attribute 'Valid' is missing", "Optional row attribute 'Selected' is missing"], &["Global attributes:", "     CreationDate str (scalar)", "LOOM_SPEC_VERSION str (scalar)", "            title str (scalar)", "Layers shape=(70, 100):", "      Main matrix float32", "           counts int32", "Row attributes:", "             Gene object ", "              ra0 float64 ", "              ra1 int64 ", "              ra2 float64 ", "              ra3 int64 ", "              ra4 float64 ", "              ra5 int64 ", "              ra6 float64 ", "              ra7 int64 ", "              ra8 float64 ", "Column attributes:", "           CellID object ", "        Embedding float32 (100, 2)", "Row graphs:", "    'KNN' with 210 edges", "Column graphs:", "    'MKNN' with 200 edges"]),
    ("22_v110_loompy.loom", "speconly", true, false, &[], &[], &["Global attributes:", "     CreationDate str (scalar)", "LOOM_SPEC_VERSION str (scalar)", "            title str (scalar)", "Layers shape=(70, 100):", "      Main matrix float32", "           counts int32", "Row attributes:", "             Gene object ", "              ra0 float64 ", "              ra1 int64 ", "              ra2 float64 ", "              ra3 int64 ", "              ra4 float64 ", "              ra5 int64 ", "              ra6 float64 ", "              ra7 int64 ", "              ra8 float64 ", "Column attributes:", "           CellID object ", "        Embedding float32 (100, 2)", "Row graphs:", "    'KNN' with 210 edges", "Column graphs:", "    'MKNN' with 200 edges"]),
    ("22_v110_loompy.loom", "conventions", false, false, &["Column attribute 'ClusterID' is missing", "Row attribute 'Accession' is missing", "For help, see http://linnarssonlab.org/loompy/conventions/"], &["Optional global attribute 'Description' is missing", "Optional global attribute 'Journal' is missing", "Optional global attribute 'Authors' is missing", "Optional global attribute 'Title' is missing", "Optional global attribute 'Year' is missing", "Optional column attribute 'ClusterName' is missing", "Optional column attribute 'Valid' is missing", "Optional column attribute 'Outliers' is missing", "Optional row attribute 'Valid' is missing", "Optional row attribute 'Selected' is missing"], &["Global attributes:", "     CreationDate str (scalar)", "LOOM_SPEC_VERSION str (scalar)", "            title str (scalar)", "Layers shape=(70, 100):", "      Main matrix float32", "           counts int32", "Row attributes:", "             Gene object ", "              ra0 float64 ", "              ra1 int64 ", "              ra2 float64 ", "              ra3 int64 ", "              ra4 float64 ", "              ra5 int64 ", "              ra6 float64 ", "              ra7 int64 ", "              ra8 float64 ", "Column attributes:", "           CellID object ", "        Embedding float32 (100, 2)", "Row graphs:", "    'KNN' with 210 edges", "Column graphs:", "    'MKNN' with 200 edges"]),
    ("23_earliest_loompy.loom", "speconly", true, false, &[], &[], &["Global attributes:", "     CreationDate str (scalar)", "LOOM_SPEC_VERSION str (scalar)", "            title str (scalar)", "Layers shape=(70, 100):", "      Main matrix float32", "           counts int32", "Row attributes:", "             Gene object ", "              ra0 float64 ", "              ra1 int64 ", "              ra2 float64 ", "              ra3 int64 ", "              ra4 float64 ", "              ra5 int64 ", "              ra6 float64 ", "              ra7 int64 ", "              ra8 float64 ", "Column attributes:", "           CellID object ", "        Embedding float32 (100, 2)", "Row graphs:", "    'KNN' with 210 edges", "Column graphs:", "    'MKNN' with 200 edges"]),
    ("23_earliest_loompy.loom", "conventions", false, false, &["Column attribute 'ClusterID' is missing", "Row attribute 'Accession' is missing", "For help, see http://linnarssonlab.org/loompy/conventions/"], &["Optional global attribute 'Description' is missing", "Optional global attribute 'Journal' is missing", "Optional global attribute 'Authors' is missing", "Optional global attribute 'Title' is missing", "Optional global attribute 'Year' is missing", "Optional column attribute 'ClusterName' is missing", "Optional column attribute 'Valid' is missing", "Optional column attribute 'Outliers' is missing", "Optional row attribute 'Valid' is missing", "Optional row attribute 'Selected' is missing"], &["Global attributes:", "     CreationDate str (scalar)", "LOOM_SPEC_VERSION str (scalar)", "            title str (scalar)", "Layers shape=(70, 100):", "      Main matrix float32", "           counts int32", "Row attributes:", "             Gene object ", "              ra0 float64 ", "              ra1 int64 ", "              ra2 float64 ", "              ra3 int64 ", "              ra4 float64 ", "              ra5 int64 ", "              ra6 float64 ", "              ra7 int64 ", "              ra8 float64 ", "Column attributes:", "           CellID object ", "        Embedding float32 (100, 2)", "Row graphs:", "    'KNN' with 210 edges", "Column graphs:", "    'MKNN' with 200 edges"]),
    ("30_emul_loompy2_fixedlen.loom", "speconly", true, false, &[], &[], &["Global attributes:", "     CreationDate string", "LOOM_SPEC_VERSION string", "            title string", "Layers shape=(40, 30):", "      Main matrix float32", "          spliced float32", "Row attributes:", "        Accession string ", "             Gene string ", "            Total int64 ", "Column attributes:", "           CellID string ", "        ClusterID int64 ", "Row graphs:", "    (none)", "Column graphs:", "    (none)"]),
    ("30_emul_loompy2_fixedlen.loom", "conventions", false, true, &["Column attribute 'ClusterID' must be integers 0, 1, 2, ... with no missing values"], &["Optional global attribute 'Description' is missing", "Optional global attribute 'Journal' is missing", "Optional global attribute 'Authors' is missing", "Optional global attribute 'Title' is missing", "Optional global attribute 'Year' is missing", "Optional column attribute 'ClusterName' is missing"], &[]),
    ("31_emul_hdf5r_loomR.loom", "speconly", false, false, &["Row attribute 'gene_names' shape 36 first dimension does not match row dimension (24, 36)", "Row attribute 'gene_names' dtype object is not allowed", "Row attribute 'nCells' shape 36 first dimension does not match row dimension (24, 36)", "Column attribute 'cell_names' shape 24 first dimension does not match column dimension (24, 36)", "Column attribute 'cell_names' dtype object is not allowed", "Column attribute 'is_good' shape 24 first dimension does not match column dimension (24, 36)", "Column attribute 'nUMI' shape 24 first dimension does not match column dimension (24, 36)", "For help, see http://linnarssonlab.org/loompy/format/"], &[], &["Global attributes:", "    chunks object", "   n_genes int32", "   version object", "Layers shape=(24, 36):", "Main matrix float64", " norm_data float64", "Row attributes:", "gene_names object ", "    nCells int32 ", "Column attributes:", "cell_names object ", "   is_good int8 ", "      nUMI float64 ", "Row graphs:", "    (none)", "Column graphs:", "    (none)"]),
    ("31_emul_hdf5r_loomR.loom", "conventions", false, true, &["Row attribute 'gene_names' shape 36 first dimension does not match row dimension (24, 36)", "Row attribute 'gene_names' dtype object is not allowed", "Row attribute 'nCells' shape 36 first dimension does not match row dimension (24, 36)", "Column attribute 'cell_names' shape 24 first dimension does not match column dimension (24, 36)", "Column attribute 'cell_names' dtype object is not allowed", "Column attribute 'is_good' shape 24 first dimension does not match column dimension (24, 36)", "Column attribute 'nUMI' shape 24 first dimension does not match column dimension (24, 36)", "For help, see http://linnarssonlab.org/loompy/format/"], &[], &[]),
];

// Made by running `LOOM_VALIDATE_CASES=/tmp/lcg/cases cargo test -p loom-core --test
// validate`, then the same loompy 3.0.8 loop as for FIXTURES over /tmp/lcg/cases/*.loom.
const CASES: &[Case] = &[
    ("attr_problems.loom", "speconly", false, false, &["Row attribute 'short' shape 3 first dimension does not match row dimension (100, 70)", "Column attribute 'fixed' dtype |S8 is not allowed", "Column attribute 'long' shape 71 first dimension does not match column dimension (100, 70)", "For help, see http://linnarssonlab.org/loompy/format/"], &[], &["Global attributes:", "     CreationDate str (scalar)", "LOOM_SPEC_VERSION str (scalar)", "         n_things str (scalar)", "           pi_ish str (scalar)", "            title str (scalar)", "              vec str (scalar)", "Layers shape=(100, 70):", "      Main matrix float32", "           counts int32", "          spliced uint16", "Row attributes:", "             Bool uint8 ", "            Bytes object ", "        Embedding float32 (100, 3)", "            Float float64 ", "             Gene object ", "              Int int64 ", "          Unicode object ", "            short int64 ", "Column attributes:", "           CellID object ", "          Cluster int64 ", "            Score float64 ", "             TSNE float32 (70, 2)", "            fixed string ", "             long float32 ", "Row graphs:", "    'KNN' with 300 edges", "Column graphs:", "    'MKNN' with 140 edges"]),
    ("attr_problems.loom", "conventions", false, true, &["Row attribute 'short' shape 3 first dimension does not match row dimension (100, 70)", "Column attribute 'fixed' dtype |S8 is not allowed", "Column attribute 'long' shape 71 first dimension does not match column dimension (100, 70)", "For help, see http://linnarssonlab.org/loompy/format/"], &[], &[]),
    ("conv_ampersand_cellid.loom", "speconly", true, false, &[], &[], &["Global attributes:", "     CreationDate str (scalar)", "LOOM_SPEC_VERSION str (scalar)", "         n_things str (scalar)", "           pi_ish str (scalar)", "            title str (scalar)", "              vec str (scalar)", "Layers shape=(100, 70):", "      Main matrix float32", "           counts int32", "          spliced uint16", "Row attributes:", "        Accession object ", "             Bool uint8 ", "            Bytes object ", "        Embedding float32 (100, 3)", "            Float float64 ", "             Gene object ", "              Int int64 ", "          Unicode object ", "Column attributes:", "           CellID object ", "          Cluster int64 ", "        ClusterID int64 ", "      ClusterName object ", "            Score float64 ", "             TSNE float32 (70, 2)", "Row graphs:", "    'KNN' with 300 edges", "Column graphs:", "    'MKNN' with 140 edges"]),
    ("conv_ampersand_cellid.loom", "conventions", false, true, &["Column attribute 'ClusterID' must be integers 0, 1, 2, ... with no missing values"], &["Optional global attribute 'Description' is missing", "Optional global attribute 'Journal' is missing", "Optional global attribute 'Authors' is missing", "Optional global attribute 'Title' is missing", "Optional global attribute 'Year' is missing"], &[]),
    ("conv_bad_types.loom", "speconly", true, false, &[], &[], &["Global attributes:", "     CreationDate str (scalar)", "LOOM_SPEC_VERSION str (scalar)", "         n_things str (scalar)", "           pi_ish str (scalar)", "            title str (scalar)", "              vec str (scalar)", "Layers shape=(100, 70):", "      Main matrix float32", "           counts int32", "          spliced uint16", "Row attributes:", "        Accession object ", "             Bool uint8 ", "            Bytes object ", "        Embedding float32 (100, 3)", "            Float float64 ", "             Gene object ", "              Int int64 ", "         Selected uint8 ", "          Unicode object ", "            Valid int64 ", "Column attributes:", "           CellID int64 ", "          Cluster int64 ", "        ClusterID int64 ", "      ClusterName int64 ", "         Outliers int32 ", "            Score float64 ", "             TSNE float32 (70, 2)", "            Valid int64 ", "Row graphs:", "    'KNN' with 300 edges", "Column graphs:", "    'MKNN' with 140 edges"]),
    ("conv_bad_types.loom", "conventions", false, false, &["Column attribute 'ClusterID' must be integers 0, 1, 2, ... with no missing values", "Column attribute 'ClusterName' must be an array of strings", "Column attribute 'CellID' must be an array of strings, not 'int64'", "Column attribute 'CellID' cannot contain duplicate values", "Column attribute 'Valid' must be integers 0 or 1 only", "Column attribute 'Outliers' must be integer dtype, not 'int32'", "Row attribute 'Valid' must be 1-dimensional array of 70 elements", "Row attribute 'Selected' must be integer dtype, not 'uint8'", "Row attribute 'Selected' must be 1-dimensional array of 70 elements", "For help, see http://linnarssonlab.org/loompy/conventions/"], &["Optional global attribute 'Description' is missing", "Optional global attribute 'Journal' is missing", "Optional global attribute 'Authors' is missing", "Optional global attribute 'Title' is missing", "Optional global attribute 'Year' is missing"], &["Global attributes:", "     CreationDate str (scalar)", "LOOM_SPEC_VERSION str (scalar)", "         n_things str (scalar)", "           pi_ish str (scalar)", "            title str (scalar)", "              vec str (scalar)", "Layers shape=(100, 70):", "      Main matrix float32", "           counts int32", "          spliced uint16", "Row attributes:", "        Accession object ", "             Bool uint8 ", "            Bytes object ", "        Embedding float32 (100, 3)", "            Float float64 ", "             Gene object ", "              Int int64 ", "         Selected uint8 ", "          Unicode object ", "            Valid int64 ", "Column attributes:", "           CellID int64 ", "          Cluster int64 ", "        ClusterID int64 ", "      ClusterName int64 ", "         Outliers int32 ", "            Score float64 ", "             TSNE float32 (70, 2)", "            Valid int64 ", "Row graphs:", "    'KNN' with 300 edges", "Column graphs:", "    'MKNN' with 140 edges"]),
    ("conv_complete_ids.loom", "speconly", true, false, &[], &[], &["Global attributes:", "     CreationDate str (scalar)", "LOOM_SPEC_VERSION str (scalar)", "         n_things str (scalar)", "           pi_ish str (scalar)", "            title str (scalar)", "              vec str (scalar)", "Layers shape=(100, 70):", "      Main matrix float32", "           counts int32", "          spliced uint16", "Row attributes:", "        Accession object ", "             Bool uint8 ", "            Bytes object ", "        Embedding float32 (100, 3)", "            Float float64 ", "             Gene object ", "              Int int64 ", "          Unicode object ", "Column attributes:", "           CellID object ", "          Cluster int64 ", "        ClusterID int64 ", "      ClusterName object ", "            Score float64 ", "             TSNE float32 (70, 2)", "Row graphs:", "    'KNN' with 300 edges", "Column graphs:", "    'MKNN' with 140 edges"]),
    ("conv_complete_ids.loom", "conventions", false, false, &["Column attribute 'ClusterID' must be integers 0, 1, 2, ... with no missing values", "For help, see http://linnarssonlab.org/loompy/conventions/"], &["Optional global attribute 'Description' is missing", "Optional global attribute 'Journal' is missing", "Optional global attribute 'Authors' is missing", "Optional global attribute 'Title' is missing", "Optional global attribute 'Year' is missing", "Optional column attribute 'Valid' is missing", "Optional column attribute 'Outliers' is missing", "Optional row attribute 'Valid' is missing", "Optional row attribute 'Selected' is missing"], &["Global attributes:", "     CreationDate str (scalar)", "LOOM_SPEC_VERSION str (scalar)", "         n_things str (scalar)", "           pi_ish str (scalar)", "            title str (scalar)", "              vec str (scalar)", "Layers shape=(100, 70):", "      Main matrix float32", "           counts int32", "          spliced uint16", "Row attributes:", "        Accession object ", "             Bool uint8 ", "            Bytes object ", "        Embedding float32 (100, 3)", "            Float float64 ", "             Gene object ", "              Int int64 ", "          Unicode object ", "Column attributes:", "           CellID object ", "          Cluster int64 ", "        ClusterID int64 ", "      ClusterName object ", "            Score float64 ", "             TSNE float32 (70, 2)", "Row graphs:", "    'KNN' with 300 edges", "Column graphs:", "    'MKNN' with 140 edges"]),
    ("conv_one_id_missing.loom", "speconly", true, false, &[], &[], &["Global attributes:", "     CreationDate str (scalar)", "LOOM_SPEC_VERSION str (scalar)", "         n_things str (scalar)", "           pi_ish str (scalar)", "            title str (scalar)", "              vec str (scalar)", "Layers shape=(100, 70):", "      Main matrix float32", "           counts int32", "          spliced uint16", "Row attributes:", "        Accession object ", "             Bool uint8 ", "            Bytes object ", "        Embedding float32 (100, 3)", "            Float float64 ", "             Gene object ", "              Int int64 ", "          Unicode object ", "Column attributes:", "           CellID object ", "          Cluster int64 ", "        ClusterID int64 ", "      ClusterName object ", "            Score float64 ", "             TSNE float32 (70, 2)", "Row graphs:", "    'KNN' with 300 edges", "Column graphs:", "    'MKNN' with 140 edges"]),
    ("conv_one_id_missing.loom", "conventions", true, false, &[], &["Optional global attribute 'Description' is missing", "Optional global attribute 'Journal' is missing", "Optional global attribute 'Authors' is missing", "Optional global attribute 'Title' is missing", "Optional global attribute 'Year' is missing", "Optional column attribute 'Valid' is missing", "Optional column attribute 'Outliers' is missing", "Optional row attribute 'Valid' is missing", "Optional row attribute 'Selected' is missing"], &["Global attributes:", "     CreationDate str (scalar)", "LOOM_SPEC_VERSION str (scalar)", "         n_things str (scalar)", "           pi_ish str (scalar)", "            title str (scalar)", "              vec str (scalar)", "Layers shape=(100, 70):", "      Main matrix float32", "           counts int32", "          spliced uint16", "Row attributes:", "        Accession object ", "             Bool uint8 ", "            Bytes object ", "        Embedding float32 (100, 3)", "            Float float64 ", "             Gene object ", "              Int int64 ", "          Unicode object ", "Column attributes:", "           CellID object ", "          Cluster int64 ", "        ClusterID int64 ", "      ClusterName object ", "            Score float64 ", "             TSNE float32 (70, 2)", "Row graphs:", "    'KNN' with 300 edges", "Column graphs:", "    'MKNN' with 140 edges"]),
    ("graph_missing_w.loom", "speconly", false, true, &["/col_graphs/now/a.dtype float64 must be integer", "Column graph 'now' is missing vector 'w', denoting vertex weights"], &[], &[]),
    ("graph_missing_w.loom", "conventions", false, true, &["/col_graphs/now/a.dtype float64 must be integer", "Column graph 'now' is missing vector 'w', denoting vertex weights"], &[], &[]),
    ("graph_problems.loom", "speconly", false, false, &["/row_graphs/floaty/a.dtype float64 must be integer", "/row_graphs/floaty/w.dtype int64 must be float", "/col_graphs/ragged/a.dtype float64 must be integer", "/col_graphs/ragged/w.dtype int64 must be float", "Column graph 'ragged' sparse vectors a, b and w must have equal length", "For help, see http://linnarssonlab.org/loompy/format/"], &[], &["Global attributes:", "     CreationDate str (scalar)", "LOOM_SPEC_VERSION str (scalar)", "         n_things str (scalar)", "           pi_ish str (scalar)", "            title str (scalar)", "              vec str (scalar)", "Layers shape=(100, 70):", "      Main matrix float32", "           counts int32", "          spliced uint16", "Row attributes:", "             Bool uint8 ", "            Bytes object ", "        Embedding float32 (100, 3)", "            Float float64 ", "             Gene object ", "              Int int64 ", "          Unicode object ", "Column attributes:", "           CellID object ", "          Cluster int64 ", "            Score float64 ", "             TSNE float32 (70, 2)", "Row graphs:", "    'KNN' with 300 edges", "    'floaty' with 2 edges", "Column graphs:", "    'MKNN' with 140 edges", "    'ragged' with 1 edges"]),
    ("graph_problems.loom", "conventions", false, true, &["/row_graphs/floaty/a.dtype float64 must be integer", "/row_graphs/floaty/w.dtype int64 must be float", "/col_graphs/ragged/a.dtype float64 must be integer", "/col_graphs/ragged/w.dtype int64 must be float", "Column graph 'ragged' sparse vectors a, b and w must have equal length", "For help, see http://linnarssonlab.org/loompy/format/"], &[], &[]),
    ("layer_problems.loom", "speconly", false, false, &["Layer 'short' shape (10, 70) does not match main matrix shape (100, 70)", "Layer 'text' dtype=|S3 is not allowed", "For help, see http://linnarssonlab.org/loompy/format/"], &[], &["Global attributes:", "     CreationDate str (scalar)", "LOOM_SPEC_VERSION str (scalar)", "         n_things str (scalar)", "           pi_ish str (scalar)", "            title str (scalar)", "              vec str (scalar)", "Layers shape=(100, 70):", "      Main matrix float32", "           counts int32", "            short float32", "          spliced uint16", "             text |S3", "Row attributes:", "             Bool uint8 ", "            Bytes object ", "        Embedding float32 (100, 3)", "            Float float64 ", "             Gene object ", "              Int int64 ", "          Unicode object ", "Column attributes:", "           CellID object ", "          Cluster int64 ", "            Score float64 ", "             TSNE float32 (70, 2)", "Row graphs:", "    'KNN' with 300 edges", "Column graphs:", "    'MKNN' with 140 edges"]),
    ("layer_problems.loom", "conventions", false, true, &["Layer 'short' shape (10, 70) does not match main matrix shape (100, 70)", "Layer 'text' dtype=|S3 is not allowed", "For help, see http://linnarssonlab.org/loompy/format/"], &[], &[]),
    ("matrix_strings.loom", "speconly", false, false, &["Main matrix dtype=|S2 is not allowed", "For help, see http://linnarssonlab.org/loompy/format/"], &[], &["Global attributes:", "     CreationDate str (scalar)", "LOOM_SPEC_VERSION str (scalar)", "         n_things str (scalar)", "           pi_ish str (scalar)", "            title str (scalar)", "              vec str (scalar)", "Layers shape=(100, 70):", "      Main matrix |S2", "           counts int32", "          spliced uint16", "Row attributes:", "             Bool uint8 ", "            Bytes object ", "        Embedding float32 (100, 3)", "            Float float64 ", "             Gene object ", "              Int int64 ", "          Unicode object ", "Column attributes:", "           CellID object ", "          Cluster int64 ", "            Score float64 ", "             TSNE float32 (70, 2)", "Row graphs:", "    'KNN' with 300 edges", "Column graphs:", "    'MKNN' with 140 edges"]),
    ("matrix_strings.loom", "conventions", false, true, &["Main matrix dtype=|S2 is not allowed", "For help, see http://linnarssonlab.org/loompy/format/"], &[], &[]),
    ("no_attrs_groups.loom", "speconly", false, false, &["'row_attrs' group is missing", "'col_attrs' group is missing", "'row_attrs' group is missing", "'col_attrs' group is missing", "For help, see http://linnarssonlab.org/loompy/format/"], &[], &["Global attributes:", "     CreationDate str (scalar)", "LOOM_SPEC_VERSION str (scalar)", "         n_things str (scalar)", "           pi_ish str (scalar)", "            title str (scalar)", "              vec str (scalar)", "Layers shape=(100, 70):", "      Main matrix float32", "           counts int32", "          spliced uint16", "Row attributes:", "Column attributes:", "Row graphs:", "    'KNN' with 300 edges", "Column graphs:", "    'MKNN' with 140 edges"]),
    ("no_attrs_groups.loom", "conventions", false, true, &["'row_attrs' group is missing", "'col_attrs' group is missing", "'row_attrs' group is missing", "'col_attrs' group is missing", "For help, see http://linnarssonlab.org/loompy/format/"], &[], &[]),
    ("no_global_attrs.loom", "speconly", false, false, &["Row attribute 'Bytes' dtype object is not allowed", "Row attribute 'Gene' dtype object is not allowed", "Row attribute 'Unicode' dtype object is not allowed", "Column attribute 'CellID' dtype object is not allowed", "For help, see http://linnarssonlab.org/loompy/format/"], &["Global attribute 'last_modified' has dtype string, which will be deprecated in future Loom versions"], &["Global attributes:", "last_modified string", "Layers shape=(100, 70):", "  Main matrix float32", "       counts int32", "      spliced uint16", "Row attributes:", "         Bool uint8 ", "        Bytes object ", "    Embedding float32 (100, 3)", "        Float float64 ", "         Gene object ", "          Int int64 ", "      Unicode object ", "Column attributes:", "       CellID object ", "      Cluster int64 ", "        Score float64 ", "         TSNE float32 (70, 2)", "Row graphs:", "    'KNN' with 300 edges", "Column graphs:", "    'MKNN' with 140 edges"]),
    ("no_global_attrs.loom", "conventions", false, true, &["Row attribute 'Bytes' dtype object is not allowed", "Row attribute 'Gene' dtype object is not allowed", "Row attribute 'Unicode' dtype object is not allowed", "Column attribute 'CellID' dtype object is not allowed", "For help, see http://linnarssonlab.org/loompy/format/"], &["Global attribute 'last_modified' has dtype string, which will be deprecated in future Loom versions"], &[]),
    ("no_matrix.loom", "speconly", false, true, &["Main matrix missing"], &[], &[]),
    ("no_matrix.loom", "conventions", false, true, &["Main matrix missing"], &[], &[]),
    ("no_row_attrs.loom", "speconly", false, false, &["'row_attrs' group is missing", "'row_attrs' group is missing", "For help, see http://linnarssonlab.org/loompy/format/"], &[], &["Global attributes:", "     CreationDate str (scalar)", "LOOM_SPEC_VERSION str (scalar)", "         n_things str (scalar)", "           pi_ish str (scalar)", "            title str (scalar)", "              vec str (scalar)", "Layers shape=(100, 70):", "      Main matrix float32", "           counts int32", "          spliced uint16", "Row attributes:", "Column attributes:", "           CellID object ", "          Cluster int64 ", "            Score float64 ", "             TSNE float32 (70, 2)", "Row graphs:", "    'KNN' with 300 edges", "Column graphs:", "    'MKNN' with 140 edges"]),
    ("no_row_attrs.loom", "conventions", false, true, &["'row_attrs' group is missing", "'row_attrs' group is missing", "For help, see http://linnarssonlab.org/loompy/format/"], &[], &[]),
    ("v2_vlen_attr.loom", "speconly", false, false, &["Row attribute 'vlen' dtype object is not allowed", "Column attribute 'short' shape 3 first dimension does not match column dimension (40, 30)", "For help, see http://linnarssonlab.org/loompy/format/"], &[], &["Global attributes:", "     CreationDate string", "LOOM_SPEC_VERSION string", "            title string", "Layers shape=(40, 30):", "      Main matrix float32", "          spliced float32", "Row attributes:", "        Accession string ", "             Gene string ", "            Total int64 ", "             vlen object ", "Column attributes:", "           CellID string ", "        ClusterID int64 ", "            short uint8 ", "Row graphs:", "    (none)", "Column graphs:", "    (none)"]),
    ("v2_vlen_attr.loom", "conventions", false, true, &["Row attribute 'vlen' dtype object is not allowed", "Column attribute 'short' shape 3 first dimension does not match column dimension (40, 30)", "For help, see http://linnarssonlab.org/loompy/format/"], &[], &[]),
];
