//! `repack`: a compact copy with the same values, and raw chunk copies.

// Test helpers outside #[test] functions may unwrap: a failure there is a test failure.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use hdf5_lite::read::{File, Numeric, Object};
use hdf5_lite::repack::RepackStats;
use hdf5_lite::write::{vlen_utf8, AttrValue, DatasetSpec, Writer};
use hdf5_lite::{repack, RepackOptions};

fn dir() -> PathBuf {
    let d = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("hdf5-lite-repack-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Every object's path, kind, shape, chunks, filters, values and attributes, as text.
fn describe(path: &Path) -> String {
    let f = File::open(path).unwrap();
    let mut out = String::new();
    walk(&f, "/", &mut out);
    out
}

fn walk(f: &File, path: &str, out: &mut String) {
    match f.object(path).unwrap() {
        Object::Group(g) => {
            let mut attrs: Vec<_> = g.attributes().unwrap();
            attrs.sort_by(|a, b| a.name().cmp(b.name()));
            for a in attrs {
                out.push_str(&format!("{path}@{} {:?}\n", a.name(), a.values().unwrap()));
            }
            for name in g.member_names().unwrap() {
                let child = if path == "/" {
                    format!("/{name}")
                } else {
                    format!("{path}/{name}")
                };
                walk(f, &child, out);
            }
        }
        Object::Dataset(d) => {
            out.push_str(&format!(
                "{path} {:?} {:?} {:?} {:?}\n",
                d.shape(),
                d.chunks(),
                d.filters(),
                d.read_values().unwrap()
            ));
            for a in d.attributes().unwrap() {
                out.push_str(&format!("{path}@{} {:?}\n", a.name(), a.values().unwrap()));
            }
        }
        Object::Datatype(_) => out.push_str(&format!("{path} datatype\n")),
    }
}

fn make(path: &Path) {
    let mut w = Writer::create(path).unwrap();
    w.create_group("/layers").unwrap();
    w.create_group("/row_attrs").unwrap();
    let spec = DatasetSpec::new(f32::datatype(), &[40, 30])
        .chunks(&[16, 16])
        .shuffle()
        .deflate(4);
    w.create_dataset("/matrix", &spec).unwrap();
    // Only some chunks written: the others read as the fill value.
    let v: Vec<f32> = (0..20 * 30).map(|i| i as f32 * 0.25).collect();
    w.write_numbers("/matrix", &[0, 0], &[20, 30], &v).unwrap();
    w.create_dataset(
        "/row_attrs/Gene",
        &DatasetSpec::new(vlen_utf8(), &[40])
            .chunks(&[40])
            .deflate(2),
    )
    .unwrap();
    let genes: Vec<String> = (0..40).map(|i| format!("g{i}")).collect();
    let refs: Vec<&str> = genes.iter().map(String::as_str).collect();
    w.write_strings("/row_attrs/Gene", &[0], &[40], &refs)
        .unwrap();
    w.create_dataset("/row_attrs/n", &DatasetSpec::new(i64::datatype(), &[40]))
        .unwrap();
    let n: Vec<i64> = (0..40).collect();
    w.write_numbers("/row_attrs/n", &[0], &[40], &n).unwrap();
    w.create_dataset("/scalar", &DatasetSpec::new(f64::datatype(), &[]))
        .unwrap();
    w.write_numbers("/scalar", &[], &[], &[2.5f64]).unwrap();
    w.set_attribute("/", "title", &AttrValue::string("repack me"))
        .unwrap();
    w.set_attribute("/matrix", "unit", &AttrValue::numbers(&[1u16, 2], &[2]))
        .unwrap();
    // Too large for a version 1 header: dense attribute storage, copied as such.
    let long: Vec<f64> = (0..20_000).map(|i| i as f64 * 0.25).collect();
    w.set_attribute("/", "long", &AttrValue::numbers(&long, &[20_000]))
        .unwrap();
    w.close().unwrap();
    // Sessions of edits that leave dead space behind.
    for s in 0..4u64 {
        let mut w = Writer::open(path).unwrap();
        let v: Vec<f32> = (0..16 * 16).map(|i| (i as u64 * s) as f32).collect();
        w.write_numbers("/matrix", &[16, 0], &[16, 16], &v).unwrap();
        w.set_attribute("/", "title", &AttrValue::string(&format!("session {s}")))
            .unwrap();
        w.create_dataset(
            "/layers/tmp",
            &DatasetSpec::new(f64::datatype(), &[40, 30]).chunks(&[8, 8]),
        )
        .unwrap();
        let big: Vec<f64> = (0..1200).map(|i| i as f64).collect();
        w.write_numbers("/layers/tmp", &[0, 0], &[40, 30], &big)
            .unwrap();
        w.unlink("/layers/tmp").unwrap();
        w.close().unwrap();
    }
}

#[test]
fn a_repacked_file_has_the_same_values_and_no_dead_space() {
    let d = dir();
    let (input, output) = (d.join("in.h5"), d.join("out.h5"));
    make(&input);
    let stats = repack(&input, &output, &RepackOptions::default()).unwrap();
    assert_eq!(
        stats,
        RepackStats {
            groups: 2,
            datasets: 4,
            raw_chunks: 4
        }
    );
    assert_eq!(describe(&input), describe(&output));
    let (a, b) = (
        std::fs::metadata(&input).unwrap().len(),
        std::fs::metadata(&output).unwrap().len(),
    );
    assert!(b <= a, "repacked {b} bytes from {a}");
    // Repacking the repacked file changes nothing.
    let again = d.join("again.h5");
    repack(&output, &again, &RepackOptions::default()).unwrap();
    assert_eq!(std::fs::metadata(&again).unwrap().len(), b);
}

#[test]
fn repack_can_change_chunks_and_compression() {
    let d = dir();
    let (input, output) = (d.join("in2.h5"), d.join("out2.h5"));
    make(&input);
    let options = RepackOptions {
        gzip: Some(9),
        chunks: Some(vec![8, 100]),
    };
    let stats = repack(&input, &output, &options).unwrap();
    assert_eq!(stats.raw_chunks, 0);
    let (a, b) = (File::open(&input).unwrap(), File::open(&output).unwrap());
    let m = b.dataset("/matrix").unwrap();
    assert_eq!(m.chunks(), Some(&[8u64, 30][..]));
    assert_eq!(
        m.filters().iter().find(|f| f.id == 1).unwrap().client_data,
        vec![9]
    );
    assert_eq!(
        a.dataset("/matrix").unwrap().read::<f32>().unwrap(),
        m.read::<f32>().unwrap()
    );
    assert_eq!(
        a.dataset("/row_attrs/Gene")
            .unwrap()
            .read_strings()
            .unwrap(),
        b.dataset("/row_attrs/Gene")
            .unwrap()
            .read_strings()
            .unwrap()
    );
    // A repack into the input itself is refused by the lock, and the input survives.
    assert!(repack(&input, &input, &options).is_err());
    assert!(File::open(&input).unwrap().dataset("/matrix").is_ok());
}

#[test]
fn raw_chunks_copy_between_files() {
    let d = dir();
    let (input, output) = (d.join("in3.h5"), d.join("out3.h5"));
    make(&input);
    let src = File::open(&input).unwrap();
    let m = src.dataset("/matrix").unwrap();
    let mut w = Writer::create(&output).unwrap();
    let spec = DatasetSpec::new(f32::datatype(), &[40, 30])
        .chunks(&[16, 16])
        .shuffle()
        .deflate(4);
    w.create_dataset("/m", &spec).unwrap();
    for r in m.chunk_records().unwrap() {
        let bytes = src.read_raw_chunk(&r).unwrap();
        w.write_raw_chunk("/m", &r.offset, r.filter_mask, &bytes)
            .unwrap();
    }
    // Refused: an offset that is not a chunk's first element, a mask naming a filter
    // the pipeline lacks, an empty chunk.
    assert!(w.write_raw_chunk("/m", &[1, 0], 0, &[1, 2, 3]).is_err());
    assert!(w
        .write_raw_chunk("/m", &[0, 0], 1 << 5, &[1, 2, 3])
        .is_err());
    assert!(w.write_raw_chunk("/m", &[0, 0], 0, &[]).is_err());
    w.close().unwrap();
    let out = File::open(&output).unwrap();
    assert_eq!(
        out.dataset("/m").unwrap().read::<f32>().unwrap(),
        m.read::<f32>().unwrap()
    );
}
