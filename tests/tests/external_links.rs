//! External links in h5py's files (fixtures 60 and 61): followed relative to the linking
//! file's folder, then through `HDF5_EXT_PREFIX`; a missing target is an error for that
//! member only; links back into a file already followed end in an error, not a loop.

// Test helpers outside #[test] functions may unwrap: a failure there is a test failure.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

use hdf5_lite::read::{File, Object};
use loom_cli::h5::dump::{dump_file, Options};
use loom_tests::fixtures_dir;
use serde_json::json;

const LINKING: &str = "61_feat_external_links.h5";
const TARGET: &str = "60_feat_external_target.h5";

/// A fresh scratch folder holding copies of the fixtures `names`.
fn folder(name: &str, names: &[&str]) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("external_links")
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    for n in names {
        std::fs::copy(fixtures_dir().join(n), dir.join(n)).unwrap();
    }
    dir
}

fn values(file: &File, path: &str) -> Vec<i64> {
    let d = file.dataset(path).unwrap();
    d.read::<i64>().unwrap().iter().copied().collect()
}

/// One test, as `HDF5_EXT_PREFIX` is process-wide: it is set only at the end.
#[test]
fn external_links_are_followed_like_libhdf5() {
    // Beside the linking file, wherever that is.
    let dir = folder("beside", &[LINKING, TARGET]);
    let file = File::open(dir.join(LINKING)).unwrap();
    assert_eq!(values(&file, "/ext_values"), [0, 1, 2, 3, 4]);
    assert_eq!(values(&file, "/ext_root/grp/values"), [0, 1, 2, 3, 4]);
    assert_eq!(values(&file, "/ext_self"), [10, 20, 30]);
    let Object::Group(g) = file.object("/ext_root/grp").unwrap() else {
        panic!("not a group");
    };
    // Paths below a link read as paths of the linking file.
    assert_eq!(g.path(), "/ext_root/grp");
    assert_eq!(
        g.attribute("note").unwrap().strings().unwrap(),
        ["in the target file"]
    );

    // Errors for the missing file and the cycle, only for those members.
    let members = file.root().unwrap().members().unwrap();
    let failed: Vec<&str> = members
        .iter()
        .filter(|(_, o)| o.is_err())
        .map(|(n, _)| n.as_str())
        .collect();
    assert_eq!(failed, ["ext_missing"]);
    let missing = file.object("/ext_missing").unwrap_err().to_string();
    assert!(missing.contains("no_such_file.h5"), "{missing}");
    let cycle = file.object("/sub/loop").unwrap_err().to_string();
    assert!(cycle.contains("cycle"), "{cycle}");
    let d = dump_file(&dir.join(LINKING), Options::default()).unwrap();
    assert_eq!(d.errors.len(), 2, "{:?}", d.errors);
    assert_eq!(
        d.json["members"]["ext_root"]["members"]["top"]["data"],
        json!([2.5, -1.0])
    );

    // Two copies linking to each other through "/sub/loop" (each names the other's
    // file): the walk goes one file deep and stops.
    let dir = folder("pair", &[LINKING, TARGET]);
    std::fs::copy(dir.join(LINKING), dir.join("copy.h5")).unwrap();
    let d = dump_file(&dir.join("copy.h5"), Options::default()).unwrap();
    let inner = &d.json["members"]["sub"]["members"]["loop"];
    assert_eq!(inner["kind"], "group", "{inner}");
    assert_eq!(inner["members"]["sub"]["members"]["loop"]["kind"], "error");

    // Not beside it, but in a folder of HDF5_EXT_PREFIX.
    let alone = folder("alone", &[LINKING]);
    let file = File::open(alone.join(LINKING)).unwrap();
    assert!(file.object("/ext_values").is_err());
    let prefix = std::env::join_paths([Path::new("/nonexistent"), &fixtures_dir()]).unwrap();
    std::env::set_var("HDF5_EXT_PREFIX", prefix);
    let file = File::open(alone.join(LINKING)).unwrap();
    assert_eq!(values(&file, "/ext_values"), [0, 1, 2, 3, 4]);
    std::env::set_var("HDF5_EXT_PREFIX", "${ORIGIN}/../beside");
    let file = File::open(alone.join(LINKING)).unwrap();
    assert_eq!(values(&file, "/ext_root/top").len(), 2);
    std::env::remove_var("HDF5_EXT_PREFIX");
}
