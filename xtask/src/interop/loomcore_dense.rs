//! Global attributes too large for a version 1 object header (issue 8) in a loom spec 2
//! file, where globals are root HDF5 attributes: loom-core writes a 100 KiB string, a
//! 1 MiB string and a list of 20,000 strings (root then gets dense attribute storage),
//! closes, reopens and adds and replaces small ones. loompy (validating) must read every
//! value back, the fixture's own globals included.

use std::path::Path;

use loom_core::{AttrValues, LoomConnection, Mode};
use serde_json::{json, Value};

use super::loomcore::{err, set_global, word, Expect};

type R<T> = Result<T, String>;

/// Words (non-ASCII and XML specials among them, which spec 2 stores escaped) joined up
/// to at least `len` bytes.
fn text(len: usize) -> String {
    let mut s = String::with_capacity(len + 32);
    let mut i = 0;
    while s.len() < len {
        s.push_str(&word(i));
        s.push(' ');
        i += 1;
    }
    s
}

pub fn spec2_dense(dir: &Path, fixtures: &Path) -> R<Value> {
    let file = "lc_spec2_dense.loom";
    let base = fixtures.join("30_emul_loompy2_fixedlen.loom");
    std::fs::copy(&base, dir.join(file)).map_err(|e| format!("copy {}: {e}", base.display()))?;
    let mut e = Expect::default();
    let mut ds =
        LoomConnection::open(dir.join(file), Mode::ReadWrite, true).map_err(err("open"))?;
    set_global(&mut ds, &mut e, "long_text", text(100 * 1024).into())?;
    set_global(&mut ds, &mut e, "huge_text", text(1024 * 1024).into())?;
    let genes: Vec<String> = (0..20_000).map(|i| format!("gene_{i:05}")).collect();
    set_global(&mut ds, &mut e, "gene_list", AttrValues::from(genes))?;
    ds.close().map_err(err("close"))?;

    // A second session edits the root that now has dense storage.
    let mut ds =
        LoomConnection::open(dir.join(file), Mode::ReadWrite, true).map_err(err("reopen"))?;
    set_global(&mut ds, &mut e, "after", 7i64.into())?;
    set_global(&mut ds, &mut e, "long_text", text(70 * 1024).into())?;
    set_global(&mut ds, &mut e, "short_note", "small, added last".into())?;
    let spec = ds.spec_version();
    let shape = ds.shape();
    ds.close().map_err(err("close"))?;
    let mut v = e.to_json(file, shape, &spec);
    v["base"] = json!(base.display().to_string());
    Ok(v)
}
