//! loompy's SQLite sample databases: `load_sample_metadata(path.db, id)` against the
//! values loompy gave for the fixtures (fixtures/io/sqlite.expected.json), the STARsolo
//! import with a `.db` against loompy's create_from_star, and damaged copies of the
//! fixtures (always a value or a typed error, never a panic).

#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use loom_core::{connect, AttrValues, Mode};
use loom_io::metadata::{sample_attr, sample_metadata};
use loom_io::sqlite::{Database, SqliteError, Value};
use loom_io::{import_star, IoError, StarImport};
use proptest::prelude::*;
use serde_json::Value as Json;

fn hex(s: &str) -> Vec<u8> {
    (0..s.len() / 2)
        .map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).unwrap())
        .collect()
}

/// A value of the expected JSON as the reader gives it: JSON integers are INTEGER,
/// JSON floats REAL (Python's json writes 1.0 as `1.0`), `{"blob": hex}` a BLOB.
fn expected_value(v: &Json) -> Value {
    match v {
        Json::Null => Value::Null,
        Json::Number(n) if n.is_i64() => Value::Integer(n.as_i64().unwrap()),
        Json::Number(n) => Value::Real(n.as_f64().unwrap()),
        Json::String(s) => Value::Text(s.clone()),
        Json::Object(o) => Value::Blob(hex(o["blob"].as_str().unwrap())),
        other => panic!("unexpected {other}"),
    }
}

#[test]
fn sample_metadata_as_loompy_loads_it() {
    let cases = expected("sqlite.expected.json");
    let (mut values, mut errors) = (0, 0);
    for case in cases["cases"].as_array().unwrap() {
        let db = case["db"].as_str().unwrap();
        let id = case["sample"].as_str().unwrap();
        let path = fixture("sqlite").join(db);
        let got = sample_metadata(&path, id);
        let what = format!("{db} {id:?}");
        if db == "without_rowid.db" {
            // loompy reads it through SQLite; this reader refuses WITHOUT ROWID tables.
            let err = got.unwrap_err();
            assert!(
                matches!(
                    err,
                    IoError::Sqlite {
                        source: SqliteError::Unsupported(_),
                        ..
                    }
                ),
                "{what}: {err}"
            );
            continue;
        }
        if let Some(rows) = case.get("result") {
            let got = got.unwrap_or_else(|e| panic!("{what}: {e}"));
            let want: Vec<(String, Value)> = rows
                .as_array()
                .unwrap()
                .iter()
                .map(|kv| (kv[0].as_str().unwrap().to_owned(), expected_value(&kv[1])))
                .collect();
            assert_eq!(got, want, "{what}");
            values += want.len();
            continue;
        }
        let err = got.unwrap_err();
        let message = case["message"]
            .as_str()
            .unwrap()
            .replace(&format!("'{db}'"), &format!("'{}'", path.display()));
        assert!(
            err.to_string().contains(&message),
            "{what}: {err} vs {message}"
        );
        match case["error"].as_str().unwrap() {
            "ValueError" => assert!(matches!(err, IoError::Missing(_)), "{what}: {err:?}"),
            _ => assert!(
                matches!(
                    err,
                    IoError::Sqlite {
                        source: SqliteError::NoSuchTable(_),
                        ..
                    }
                ),
                "{what}: {err:?}"
            ),
        }
        errors += 1;
    }
    assert_eq!((values, errors), (78, 8));
}

/// The page-512 database holds 3000 rows: its b-tree has interior pages two levels
/// deep; the 10,408-byte note spills onto overflow pages.
#[test]
fn fixtures_cover_interior_pages_and_overflow() {
    let bytes = std::fs::read(fixture("sqlite/deep.db")).unwrap();
    assert_eq!(u16::from_be_bytes([bytes[16], bytes[17]]), 512);
    let db = Database::from_bytes(bytes).unwrap();
    let row = db.select_first("sample", "name", "S1500").unwrap().unwrap();
    assert_eq!(row[1], ("value".to_owned(), Value::Integer(3500)));
    let path = fixture("sqlite/samples.db");
    let row = sample_metadata(&path, "S5").unwrap();
    let Value::Text(note) = &row[5].1 else {
        panic!("{row:?}")
    };
    assert_eq!(note.len(), 10 + 4 * 2600);
    assert!(note.len() > 4096);
}

/// samples.db: integer, real, text, NULL and BLOB values; utf16.db: UTF-16be text with
/// non-ASCII characters and a real of 1e300.
#[test]
fn star_import_with_a_sample_database_as_loompy() {
    for (db, want) in [
        ("samples.db", "star_sqlite.expected.json"),
        ("utf16.db", "star_sqlite_utf16.expected.json"),
    ] {
        star_with(db, want);
    }
}

fn star_with(db: &str, expected_file: &str) {
    let dir = tempdir("star-sqlite");
    let mut opts = StarImport::new(fixture("star/star3"), "S1");
    opts.sample_metadata = Some(fixture("sqlite").join(db));
    let out = dir.path().join("s.loom");
    let mut ds = loom_core::new(&out).unwrap();
    let warnings = import_star(&mut ds, &opts).unwrap();
    assert!(warnings.is_empty(), "{warnings:?}");
    ds.close().unwrap();
    let ds = connect(&out, Mode::Read).unwrap();
    let mut want = expected(expected_file);
    let dtypes = want.as_object_mut().unwrap().remove("ca_dtypes").unwrap();
    // loompy reads non-ASCII characters back as nothing; the strings it wrote (h5py's
    // view) are compared instead.
    let stored = want.as_object_mut().unwrap().remove("ca_stored").unwrap();
    for (k, v) in stored.as_object().unwrap() {
        want["ca"][k] = v.clone();
    }
    assert_same(&want, &loom_json(&ds));
    for (k, dtype) in dtypes.as_object().unwrap() {
        let kind = match ds.ca().get(k).unwrap() {
            AttrValues::Int { bytes: 8, .. } => "int64",
            AttrValues::Float { bytes: 8, .. } => "float64",
            AttrValues::Str(_) => "object",
            other => panic!("{k}: {other:?}"),
        };
        assert_eq!(kind, dtype, "{k}");
    }
}

#[test]
fn sample_values_become_attributes_as_in_loompy() {
    let blob = sample_attr(&Value::Blob(b"\x00\x01'x\\\n\x00".to_vec()), 1);
    assert_eq!(blob, AttrValues::from(vec![r#"b"\x00\x01'x\\\n""#]));
    let quoted = sample_attr(&Value::Blob(b"q\"'\t\x7f\xff".to_vec()), 1);
    assert_eq!(quoted, AttrValues::from(vec![r#"b'q"\'\t\x7f\xff'"#]));
    assert_eq!(
        sample_attr(&Value::Null, 2),
        AttrValues::from(vec!["None", "None"])
    );
    assert_eq!(
        sample_attr(&Value::Real(2.0), 1),
        AttrValues::from(vec![2.0f64])
    );
}

#[test]
fn the_tsv_form_is_unchanged_and_missing_files_are_loompys_error() {
    let dir = tempdir("samples-tsv");
    let tsv = dir.path().join("samples.tsv");
    std::fs::write(&tsv, "SampleID\tAge\nS1\t7\n").unwrap();
    let got = sample_metadata(&tsv, "S1").unwrap();
    assert_eq!(
        got,
        vec![
            ("sampleid".to_owned(), Value::Text("S1".into())),
            ("age".to_owned(), Value::Text("7".into()))
        ]
    );
    let missing = dir.path().join("nope.tsv");
    let err = sample_metadata(&missing, "S1").unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("Samples metadata file '{}' not found.", missing.display())
    );
}

#[test]
fn not_a_database_and_empty_files() {
    let dir = tempdir("bad-db");
    let text = dir.path().join("text.db");
    std::fs::write(&text, "Name\tAge\nS1\t7\n".repeat(20)).unwrap();
    let err = sample_metadata(&text, "S1").unwrap_err();
    assert!(
        matches!(
            err,
            IoError::Sqlite {
                source: SqliteError::NotADatabase(_),
                ..
            }
        ),
        "{err:?}"
    );
    // SQLite opens an empty file as an empty database.
    let empty = dir.path().join("empty.db");
    std::fs::write(&empty, b"").unwrap();
    let err = sample_metadata(&empty, "S1").unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("{}: no such table: sample", empty.display())
    );
}

/// Every query on a database image: a result or a typed error.
fn query_all(bytes: Vec<u8>) {
    let Ok(db) = Database::from_bytes(bytes) else {
        return;
    };
    for key in ["S1", "S5", "S399", "new", "7", "dup"] {
        let _ = db.select_first("sample", "name", key);
    }
    let _ = db.table("other");
}

fn fixture_bytes() -> Vec<Vec<u8>> {
    ["samples.db", "deep.db", "numeric.db", "utf16.db"]
        .iter()
        .map(|f| std::fs::read(fixture("sqlite").join(f)).unwrap())
        .collect()
}

#[test]
fn truncated_copies_are_errors() {
    for bytes in fixture_bytes() {
        let page = usize::from(u16::from_be_bytes([bytes[16], bytes[17]]));
        for cut in (0..bytes.len()).step_by(page / 2).chain([1, 99, 100, 101]) {
            let db = Database::from_bytes(bytes[..cut].to_vec());
            if let Ok(db) = db {
                // With the header's page count valid, a cut file misses pages.
                if cut > 100 && cut < bytes.len() {
                    let r = db.select_first("sample", "name", "S1");
                    if let Err(e) = r {
                        assert!(!matches!(e, SqliteError::NoSuchColumn(_)), "cut {cut}: {e}");
                    }
                }
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    #[test]
    fn damaged_copies_never_panic(
        which in 0usize..4,
        flips in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..12),
        cut in any::<prop::sample::Index>(),
        truncate in any::<bool>(),
    ) {
        let mut bytes = fixture_bytes().swap_remove(which);
        for (at, v) in flips {
            let i = at.index(bytes.len());
            bytes[i] = v;
        }
        if truncate {
            bytes.truncate(cut.index(bytes.len()));
        }
        query_all(bytes);
    }

    /// Damage where it matters most: the database header, and the b-tree page headers,
    /// cell pointers and child/overflow pointers at the start of pages.
    #[test]
    fn damaged_headers_and_page_pointers_never_panic(
        which in 0usize..4,
        at in 0usize..120,
        v in any::<u8>(),
        page_flips in prop::collection::vec((any::<prop::sample::Index>(), 0usize..40, any::<u8>()), 0..6),
    ) {
        let mut bytes = fixture_bytes().swap_remove(which);
        let page = usize::from(u16::from_be_bytes([bytes[16], bytes[17]]));
        let pages = bytes.len() / page;
        bytes[at] = v;
        for (p, off, v) in page_flips {
            let i = p.index(pages) * page + off;
            if let Some(b) = bytes.get_mut(i) {
                *b = v;
            }
        }
        query_all(bytes);
    }
}

/// The start of every page of `bytes` whose b-tree page type is `kind`.
fn pages_of_type(bytes: &[u8], kind: u8) -> Vec<usize> {
    let page = usize::from(u16::from_be_bytes([bytes[16], bytes[17]]));
    (0..bytes.len() / page)
        .map(|p| p * page)
        .filter(|&at| at > 0 && bytes[at] == kind)
        .collect()
}

fn lookup(bytes: Vec<u8>, key: &str) -> Result<Option<Vec<(String, Value)>>, SqliteError> {
    Database::from_bytes(bytes)?.select_first("sample", "name", key)
}

/// Reproducers built by hand: a b-tree page that points back to itself, an overflow
/// chain that loops, a child pointer past the end, and a file cut short.
#[test]
fn cycles_bad_pointers_and_truncation_are_typed_errors() {
    let good = std::fs::read(fixture("sqlite/samples.db")).unwrap();
    let page = 4096;

    // The sample table's root is its only interior page: its right-most pointer to itself.
    let roots = pages_of_type(&good, 5);
    assert_eq!(roots.len(), 1);
    let mut bytes = good.clone();
    let own = (roots[0] / page + 1) as u32;
    bytes[roots[0] + 8..roots[0] + 12].copy_from_slice(&own.to_be_bytes());
    let err = lookup(bytes, "S399").unwrap_err();
    assert!(
        matches!(err, SqliteError::Corrupt { page, .. } if page == own),
        "{err}"
    );
    assert!(err.to_string().contains("reached twice"), "{err}");

    // S5's note spills onto overflow pages (they start with the next page number, then
    // its text): make one that has a next page point to itself.
    let first = (0..good.len() / page)
        .map(|p| p * page)
        .find(|&at| {
            let text = good[at + 4..at + 16].iter().all(|b| b"ACGT".contains(b));
            at > 0 && text && good[at..at + 4] != [0; 4]
        })
        .unwrap();
    let mut bytes = good.clone();
    let own = (first / page + 1) as u32;
    bytes[first..first + 4].copy_from_slice(&own.to_be_bytes());
    let err = lookup(bytes, "S5").unwrap_err();
    assert!(err.to_string().contains("reached twice"), "{err}");

    let mut bytes = good.clone();
    bytes[roots[0] + 8..roots[0] + 12].copy_from_slice(&9999u32.to_be_bytes());
    let err = lookup(bytes, "S399").unwrap_err();
    assert!(
        matches!(
            err,
            SqliteError::PageOutOfRange {
                page: 9999,
                pages: 12
            }
        ),
        "{err}"
    );

    let err = lookup(good[..5 * page + 100].to_vec(), "S399").unwrap_err();
    assert!(matches!(err, SqliteError::Truncated { .. }), "{err}");
}

/// A hot rollback journal beside the database means its last transaction is not settled:
/// refused, as is a non-empty write-ahead log of a WAL-mode database. A journal whose
/// header was zeroed (journal_mode=PERSIST after a commit) is not hot.
#[test]
fn unsettled_changes_are_refused() {
    let dir = tempdir("journal");
    let db = dir.path().join("s.db");
    std::fs::copy(fixture("sqlite/samples.db"), &db).unwrap();
    let journal = dir.path().join("s.db-journal");
    std::fs::write(&journal, [0u8; 512]).unwrap();
    assert_eq!(sample_metadata(&db, "S1").unwrap().len(), 7);
    let mut hot = vec![0xd9, 0xd5, 0x05, 0xf9, 0x20, 0xa1, 0x63, 0xd7];
    hot.resize(512, 0);
    std::fs::write(&journal, hot).unwrap();
    let err = sample_metadata(&db, "S1").unwrap_err();
    assert!(
        matches!(
            err,
            IoError::Sqlite {
                source: SqliteError::Unsupported(_),
                ..
            }
        ),
        "{err}"
    );
    std::fs::remove_file(&journal).unwrap();
    let mut bytes = std::fs::read(&db).unwrap();
    (bytes[18], bytes[19]) = (2, 2);
    std::fs::write(&db, bytes).unwrap();
    std::fs::write(dir.path().join("s.db-wal"), [1u8; 32]).unwrap();
    let err = sample_metadata(&db, "S1").unwrap_err();
    assert!(err.to_string().contains("s.db-wal"), "{err}");
}
