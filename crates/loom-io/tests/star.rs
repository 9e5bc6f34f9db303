//! STARsolo imports against loompy's create_from_star.

#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use loom_core::{connect, Mode};
use loom_io::{import_star, StarImport};

fn run(opts: &StarImport, out: &std::path::Path) -> serde_json::Value {
    let mut ds = loom_core::new(out).unwrap();
    let warnings = import_star(&mut ds, opts).unwrap();
    assert!(warnings.is_empty(), "{warnings:?}");
    ds.close().unwrap();
    loom_json(&connect(out, Mode::Read).unwrap())
}

#[test]
fn velocyto_layers_from_three_files_and_from_one_as_loompy() {
    let dir = tempdir("star");
    for (sub, want) in [("star/star3", "star_default"), ("star/star1", "star_one")] {
        let opts = StarImport::new(fixture(sub), "S1");
        let got = run(&opts, &dir.path().join(format!("{want}.loom")));
        assert_same(&expected(&format!("{want}.expected.json")), &got);
    }
}

#[test]
fn gene_filter_and_gene_main_layer_as_loompy() {
    let dir = tempdir("star-gene");
    let mut opts = StarImport::new(fixture("star/star3").join("Solo.out"), "S1");
    opts.cell_filter = "Gene".into();
    opts.main_layer = "Gene".into();
    let got = run(&opts, &dir.path().join("g.loom"));
    assert_same(&expected("star_gene.expected.json"), &got);
}

#[test]
fn none_and_combine_filters() {
    let dir = tempdir("star-none");
    let mut opts = StarImport::new(fixture("star/star3"), "S1");
    opts.cell_filter = "none".into();
    let got = run(&opts, &dir.path().join("n.loom"));
    // Raw: 12 barcodes; the filtered run's 9 cells are the first 9, with the same values.
    assert_eq!(got["shape"], serde_json::json!([12, 12]));
    let filtered = expected("star_default.expected.json");
    for r in 0..12 {
        for c in 0..9 {
            assert_eq!(
                got["layers"][""]["data"][r][c], filtered["layers"][""]["data"][r][c],
                "({r}, {c})"
            );
        }
    }
    opts.cell_filter = "combine".into();
    opts.extra_layers = vec!["Gene".into()];
    let got = run(&opts, &dir.path().join("c.loom"));
    assert_eq!(got["shape"], serde_json::json!([12, 12]));
    // First appearance: the Gene barcodes (raw 2..12), then the Velocyto-only 0 and 1.
    let valid_gene: Vec<i64> = (0..12).map(|j| i64::from(j < 10)).collect();
    assert_eq!(got["ca"]["Valid_Gene"], serde_json::json!(valid_gene));
    let valid_velo: Vec<i64> = (0..12).map(|j| i64::from(!(7..10).contains(&j))).collect();
    assert_eq!(got["ca"]["Valid_spliced"], serde_json::json!(valid_velo));
}

/// GTF gene annotations, sample metadata and global attributes, with the values loompy
/// 3.0.8's create_from_star gives for these inputs (strings throughout, unknown genes
/// as themselves / "n/a" / "Un" / "0").
#[test]
fn gtf_sample_metadata_and_file_attrs_as_loompy() {
    let dir = tempdir("star-meta");
    let gtf = dir.path().join("genes.gtf");
    std::fs::write(
        &gtf,
        "#!genome-build test\n\
         1\tensembl\tgene\t100\t200\t.\t+\t.\tgene_id \"ENSG00000000000\"; gene_name \"Gene0\"; gene_biotype \"protein_coding\";\n\
         X\tensembl\tgene\t5\t9\t.\t-\t.\tgene_id \"ENSG00000000001\";\n\
         X\tensembl\texon\t5\t9\t.\t-\t.\tgene_id \"zzz\";\n",
    )
    .unwrap();
    let samples = dir.path().join("samples.tsv");
    std::fs::write(&samples, "Name\tTissue\tAge\nS0\tliver\t3\nS1\tbrain\t7\n").unwrap();
    let mut opts = StarImport::new(fixture("star/star3"), "S1");
    opts.gtf = Some(gtf);
    opts.sample_metadata = Some(samples);
    opts.file_attrs = vec![("title".into(), "t".into())];
    let got = run(&opts, &dir.path().join("m.loom"));
    let strings = |first: &[&str], rest: &str| -> serde_json::Value {
        let mut v: Vec<String> = first.iter().map(|s| s.to_string()).collect();
        v.extend((first.len()..12).map(|i| rest.replace("{}", &format!("{i:011}"))));
        serde_json::json!(v)
    };
    assert_same(&strings(&["Gene0"], "ENSG{}"), &got["ra"]["Gene"]);
    assert_same(&strings(&[], "ENSG{}"), &got["ra"]["Accession"]);
    assert_same(&strings(&["protein_coding"], "n/a"), &got["ra"]["Biotype"]);
    assert_same(&strings(&["1", "X"], "Un"), &got["ra"]["Chromosome"]);
    assert_same(&strings(&["100", "5"], "0"), &got["ra"]["Start"]);
    assert_same(&strings(&["200", "9"], "0"), &got["ra"]["End"]);
    for (k, v) in [("name", "S1"), ("tissue", "brain"), ("age", "7")] {
        assert_same(&serde_json::json!(vec![v; 9]), &got["ca"][k]);
    }
    assert_eq!(got["attrs"]["title"], "t");

    // A sample that is not in the file is skipped with a warning, as loompy skips it.
    let mut opts = StarImport::new(fixture("star/star3"), "S9");
    opts.sample_metadata = Some(dir.path().join("samples.tsv"));
    let mut ds = loom_core::new(dir.path().join("n.loom")).unwrap();
    let warnings = import_star(&mut ds, &opts).unwrap();
    assert!(
        warnings.iter().any(|w| w.contains("'S9' not found")),
        "{warnings:?}"
    );
}
