//! `loom h5 diff` as a user runs it on files written for each case: what it reports,
//! and its exit code (0 equal, 1 different, 2 error).

// Test helpers outside #[test] functions may unwrap: a failure there is a test failure.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use hdf5_lite::format::messages::{CharSet, Datatype, StringPadding};
use hdf5_lite::read::Numeric;
use hdf5_lite::write::{AttrValue, DatasetSpec, Writer};

fn loom(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_loom"))
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run loom: {e}"))
}

/// `loom h5 diff a b`: (exit code, stdout).
fn diff(a: &Path, b: &Path) -> (i32, String) {
    let out = loom(&["h5", "diff", a.to_str().unwrap(), b.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    let code = out.status.code().unwrap_or(-1);
    (code, String::from_utf8_lossy(&out.stdout).into_owned())
}

/// A 130 x 100 float32 matrix, 16 x 16 chunks, deflate: element (r, c) is r + c / 128.
fn matrix() -> Vec<f32> {
    (0..130 * 100)
        .map(|i| (i / 100) as f32 + (i % 100) as f32 / 128.0)
        .collect()
}

/// Writes a file with a compressed matrix, a group of string datasets and attributes;
/// `edit` changes the writer's staged content before the file is closed.
fn write(path: &Path, edit: impl FnOnce(&mut Writer)) -> PathBuf {
    let mut w = create(path);
    let spec = DatasetSpec::new(f32::datatype(), &[130, 100])
        .chunks(&[16, 16])
        .deflate(4);
    w.create_dataset("/m", &spec).unwrap();
    w.write_numbers("/m", &[0, 0], &[130, 100], &matrix())
        .unwrap();
    w.set_attribute("/m", "unit", &AttrValue::string("counts"))
        .unwrap();
    w.set_attribute("/", "version", &AttrValue::numbers(&[3i32], &[]))
        .unwrap();
    w.create_group("/names").unwrap();
    let genes = ["Actb", "Gapdh", "Malat1", "Xist"];
    let vlen = DatasetSpec::new(hdf5_lite::write::vlen_utf8(), &[4]);
    w.create_dataset("/names/genes", &vlen).unwrap();
    w.write_strings("/names/genes", &[0], &[4], &genes).unwrap();
    let fixed = Datatype::FixedString {
        size: 8,
        padding: StringPadding::NullPad,
        charset: CharSet::Ascii,
    };
    w.create_dataset("/names/codes", &DatasetSpec::new(fixed, &[4]))
        .unwrap();
    w.write_strings("/names/codes", &[0], &[4], &["a1", "b22", "c333", "d4444"])
        .unwrap();
    edit(&mut w);
    w.close().unwrap();
    path.to_path_buf()
}

/// A new file written without a lock: a `loom` another test thread spawns meanwhile
/// holds a copy of the writer's descriptor (and so its lock) until it starts, and the
/// `loom` this test runs next would find the file locked.
fn create(path: impl AsRef<Path>) -> Writer {
    hdf5_lite::FileOptions::new()
        .locking(false)
        .create(path)
        .unwrap()
}

fn dir() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("loom-diff-")
        .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
        .unwrap()
}

#[test]
fn equal_files_are_silent_with_exit_0() {
    let d = dir();
    let a = write(&d.path().join("a.h5"), |_| {});
    // Written again: the same values, strings in another heap.
    let b = write(&d.path().join("b.h5"), |w| {
        w.write_strings(
            "/names/genes",
            &[0],
            &[4],
            &["Actb", "Gapdh", "Malat1", "Xist"],
        )
        .unwrap();
    });
    assert_eq!(diff(&a, &a), (0, String::new()));
    assert_eq!(diff(&a, &b), (0, String::new()));
}

#[test]
fn one_changed_value_of_a_compressed_matrix_is_reported_with_its_index() {
    let d = dir();
    let a = write(&d.path().join("a.h5"), |_| {});
    let b = write(&d.path().join("b.h5"), |w| {
        w.write_numbers("/m", &[70, 33], &[1, 1], &[-2.5f32])
            .unwrap();
    });
    let expected = "/m: 1 of 13000 elements differ\n  element 7033: 70.2578125 vs -2.5\n";
    assert_eq!(diff(&a, &b), (1, expected.to_owned()));
}

#[test]
fn at_most_ten_differing_elements_are_listed_with_the_count() {
    let d = dir();
    let a = write(&d.path().join("a.h5"), |_| {});
    let b = write(&d.path().join("b.h5"), |w| {
        // Rows 128 and 129 (the last, partial chunk row): 200 elements.
        w.write_numbers("/m", &[128, 0], &[2, 100], &[0.0f32; 200])
            .unwrap();
    });
    let (code, out) = diff(&a, &b);
    assert_eq!(code, 1);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 11, "{out}");
    assert_eq!(lines[0], "/m: 200 of 13000 elements differ");
    assert_eq!(lines[1], "  element 12800: 128.0 vs 0.0");
    assert_eq!(lines[10], "  element 12809: 128.0703125 vs 0.0");
}

#[test]
fn nan_equals_nan_and_differs_from_a_number() {
    let d = dir();
    let nan = |w: &mut Writer| {
        w.write_numbers("/m", &[5, 5], &[1, 1], &[f32::NAN])
            .unwrap()
    };
    let a = write(&d.path().join("a.h5"), nan);
    let b = write(&d.path().join("b.h5"), nan);
    let c = write(&d.path().join("c.h5"), |_| {});
    assert_eq!(diff(&a, &b), (0, String::new()));
    let expected = "/m: 1 of 13000 elements differ\n  element 505: \"nan\" vs 5.0390625\n";
    assert_eq!(diff(&a, &c), (1, expected.to_owned()));
}

#[test]
fn string_datasets_are_compared_by_value() {
    let d = dir();
    let a = write(&d.path().join("a.h5"), |_| {});
    let b = write(&d.path().join("b.h5"), |w| {
        w.write_strings("/names/genes", &[2], &[1], &["Malat2"])
            .unwrap();
        w.write_strings("/names/codes", &[0], &[1], &["z1"])
            .unwrap();
    });
    let expected = "\
/names/genes: 1 of 4 elements differ
  element 2: \"Malat1\" vs \"Malat2\"
/names/codes: 1 of 4 elements differ
  element 0: \"a1\" vs \"z1\"
";
    let (code, out) = diff(&a, &b);
    assert_eq!(code, 1);
    // Members in the file's order (sorted by name in these old-style groups).
    let mut got: Vec<&str> = out.lines().collect();
    let mut want: Vec<&str> = expected.lines().collect();
    got.sort_unstable();
    want.sort_unstable();
    assert_eq!(got, want, "{out}");
}

#[test]
fn shapes_types_chunks_and_attributes_are_compared() {
    let d = dir();
    let build = |name: &str, dt: Datatype, shape: &[u64], chunks: &[u64], unit: &str| {
        let path = d.path().join(name);
        let mut w = create(&path);
        let spec = DatasetSpec::new(dt, shape).chunks(chunks).deflate(1);
        w.create_dataset("/x", &spec).unwrap();
        let values: Vec<f64> = (0..24).map(|i| f64::from(i) / 4.0).collect();
        w.write_numbers("/x", &vec![0; shape.len()], shape, &values)
            .unwrap();
        w.set_attribute("/x", "unit", &AttrValue::string(unit))
            .unwrap();
        w.close().unwrap();
        path
    };
    let f32_4x6 = build("a.h5", f32::datatype(), &[4, 6], &[2, 3], "um");
    // The same values in another type, chunking and shape: only the description differs.
    let f64_6x4 = build("b.h5", f64::datatype(), &[6, 4], &[5, 1], "um");
    let (code, out) = diff(&f32_4x6, &f64_6x4);
    assert_eq!(code, 1);
    assert_eq!(
        out,
        "/x.dtype: \"<f4\" vs \"<f8\"\n\
         /x.shape: [4,6] vs [6,4]\n\
         /x.maxshape: [4,6] vs [6,4]\n\
         /x.chunks: [2,3] vs [5,1]\n"
    );
    let other_unit = build("c.h5", f32::datatype(), &[4, 6], &[4, 6], "mm");
    let (code, out) = diff(&f32_4x6, &other_unit);
    assert_eq!(code, 1);
    assert_eq!(
        out,
        "/x.chunks: [2,3] vs [4,6]\n\
         /x@unit: 1 of 1 elements differ\n  element 0: \"um\" vs \"mm\"\n"
    );
    let longer = {
        let path = d.path().join("d.h5");
        let mut w = create(&path);
        w.create_dataset("/x", &DatasetSpec::new(f32::datatype(), &[25]))
            .unwrap();
        w.close().unwrap();
        path
    };
    let (code, out) = diff(&f32_4x6, &longer);
    assert_eq!(code, 1);
    assert!(out.contains("/x.shape: [4,6] vs [25]\n"), "{out}");
    assert!(out.contains("/x@unit: only in the first file\n"), "{out}");
    assert!(out.ends_with("/x: 24 elements vs 25\n"), "{out}");
}

#[test]
fn missing_objects_and_attributes_are_named() {
    let d = dir();
    let a = write(&d.path().join("a.h5"), |w| {
        w.create_group("/only_a").unwrap();
        w.delete_attribute("/m", "unit").unwrap();
    });
    let b = write(&d.path().join("b.h5"), |w| {
        w.unlink("/names/codes").unwrap();
        w.create_dataset("/only_b", &DatasetSpec::new(f32::datatype(), &[3]))
            .unwrap();
        w.set_attribute("/", "extra", &AttrValue::numbers(&[1.5f64], &[]))
            .unwrap();
    });
    let (code, out) = diff(&a, &b);
    assert_eq!(code, 1);
    for line in [
        "/@extra: only in the second file",
        "/m@unit: only in the second file",
        "/names/codes: only in the first file",
        "/only_a: only in the first file",
        "/only_b: only in the second file",
    ] {
        assert!(out.lines().any(|l| l == line), "{line:?} missing:\n{out}");
    }
    assert_eq!(out.lines().count(), 5, "{out}");
}

/// Members are paired by name: the first file's names in order, then the names only
/// the second file has, in order, whichever way the two name lists interleave.
#[test]
fn members_are_paired_by_name_whatever_the_interleaving() {
    let d = dir();
    let make = |name: &str, groups: &[&str], value: f64| {
        let path = d.path().join(name);
        let mut w = create(&path);
        for g in groups {
            w.create_group(&format!("/{g}")).unwrap();
        }
        w.create_dataset("/d", &DatasetSpec::new(f64::datatype(), &[1]))
            .unwrap();
        w.write_numbers("/d", &[0], &[1], &[value]).unwrap();
        w.close().unwrap();
        path
    };
    let a = make("a.h5", &["b", "e", "g"], 1.0);
    let b = make("b.h5", &["a", "c", "e", "f", "h"], 2.0);
    let expected = "\
/b: only in the first file
/d: 1 of 1 elements differ
  element 0: 1.0 vs 2.0
/g: only in the first file
/a: only in the second file
/c: only in the second file
/f: only in the second file
/h: only in the second file
";
    assert_eq!(diff(&a, &b), (1, expected.to_owned()));
}

#[test]
fn a_file_that_cannot_be_read_is_exit_2() {
    let d = dir();
    let a = write(&d.path().join("a.h5"), |_| {});
    let out = loom(&["h5", "diff", a.to_str().unwrap(), "/nonexistent/b.h5"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.starts_with("loom: /nonexistent/b.h5: "), "{err}");
    assert!(out.stdout.is_empty());
}

#[test]
fn an_unreadable_dataset_differs_from_a_readable_one() {
    // The fixture's /szip uses a filter we do not decode.
    let szip =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/46_feat_filter_lzf.h5");
    // Unreadable alike in both: equal, as their dumps are.
    assert_eq!(diff(&szip, &szip), (0, String::new()));
    let d = dir();
    let readable = d.path().join("readable.h5");
    let mut w = create(&readable);
    let spec = DatasetSpec::new(i32::datatype(), &[800])
        .chunks(&[200])
        .deflate(1);
    w.create_dataset("/szip", &spec).unwrap();
    w.close().unwrap();
    let (code, out) = diff(&szip, &readable);
    assert_eq!(code, 1);
    let lines: Vec<&str> = out.lines().collect();
    let error = lines
        .iter()
        .position(|l| *l == "/szip.error: only in the first file");
    let data = lines
        .iter()
        .position(|l| *l == "/szip.data: only in the second file");
    assert!(error.is_some() && data == error.map(|i| i + 1), "{out}");
    assert!(lines.contains(&"/lzf: only in the first file"), "{out}");
}

/// Fixture 65 links its `/data` to fixture 64's chunked `/data` (an external link,
/// resolved beside the linking file): compared with 64 itself it is equal, and compared
/// with an edited copy of 64 the changed element is reported, with the linked file's
/// value.
#[test]
fn a_dataset_reached_through_an_external_link_is_compared_from_the_linked_file() {
    let fixtures = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures");
    let d = dir();
    let (target, linking) = (
        "64_feat_external_chunked_target.h5",
        "65_feat_external_chunked.h5",
    );
    for name in [target, linking] {
        std::fs::copy(fixtures.join(name), d.path().join(name)).unwrap();
    }
    let (target, linking) = (d.path().join(target), d.path().join(linking));
    assert_eq!(diff(&linking, &target), (0, String::new()));
    let edited = d.path().join("edited.h5");
    std::fs::copy(&target, &edited).unwrap();
    let mut w = hdf5_lite::FileOptions::new()
        .locking(false)
        .open_rw(&edited)
        .unwrap();
    w.write_numbers("/data", &[4, 5], &[1, 1], &[-1i32])
        .unwrap();
    w.close().unwrap();
    let expected = "/data: 1 of 60 elements differ\n  element 45: 45 vs -1\n";
    assert_eq!(diff(&linking, &edited), (1, expected.to_owned()));
    let expected = "/data: 1 of 60 elements differ\n  element 45: -1 vs 45\n";
    assert_eq!(diff(&edited, &linking), (1, expected.to_owned()));
}

#[test]
fn a_closed_pipe_ends_quietly() {
    use std::io::Read;
    use std::process::Stdio;
    let d = dir();
    // 4000 groups only in the first file: more lines than a pipe's buffer holds.
    let many = d.path().join("many.h5");
    let mut w = create(&many);
    for i in 0..4000 {
        w.create_group(&format!("/group_{i:05}")).unwrap();
    }
    w.close().unwrap();
    let empty = d.path().join("empty.h5");
    create(&empty).close().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_loom"))
        .args([
            "h5",
            "diff",
            many.to_str().unwrap(),
            empty.to_str().unwrap(),
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut head = [0u8; 16];
    stdout.read_exact(&mut head).unwrap();
    drop(stdout);
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "",
        "no message, no panic"
    );
    assert_eq!(out.status.code(), Some(0));
}
