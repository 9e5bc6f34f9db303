//! export against loompy 3.0.8's text for the same file.

// Test helpers outside #[test] functions may unwrap: a failure there is a test failure.
#![allow(clippy::unwrap_used)]

mod ops_support;

use loom_core::{connect, Mode};
use ops_support::*;

#[test]
fn export_is_byte_identical_to_loompy() {
    let exp = expected();
    let ds = connect(fixture("input.loom"), Mode::Read).unwrap();
    let out = scratch("input.loom", "export").with_file_name("out.tab");
    for layer in ["", "counts"] {
        ds.export(&out, layer, "tab").unwrap();
        let got = std::fs::read_to_string(&out).unwrap();
        assert_eq!(
            got,
            exp["export"][layer].as_str().unwrap(),
            "layer {layer:?}"
        );
        let mut buf = Vec::new();
        ds.export_to(&mut buf, layer).unwrap();
        assert_eq!(String::from_utf8(buf).unwrap(), got);
    }
}

#[test]
fn export_refuses_bad_arguments_before_writing() {
    let ds = connect(fixture("input.loom"), Mode::Read).unwrap();
    let out = scratch("input.loom", "export-bad").with_file_name("keep.tab");
    std::fs::write(&out, b"untouched").unwrap();
    let e = ds.export(&out, "", "csv").unwrap_err().to_string();
    assert_eq!(e, "Only 'tab' is supported");
    assert!(ds.export(&out, "nope", "tab").is_err());
    assert_eq!(std::fs::read(&out).unwrap(), b"untouched");
}
