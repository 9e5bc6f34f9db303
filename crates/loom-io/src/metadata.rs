//! loompy's metadata loaders (loompy-api.md §2 "metadata_loaders"), as `create_from_star`
//! uses them: gene annotations from a GTF file as row attributes, and one sample's
//! metadata from a tab-separated file as column attributes.
//!
//! GTF (<https://www.ensembl.org/info/website/upload/gff.html>): nine tab-separated
//! fields per line, `#` lines are comments; only `gene` features are read, with their
//! `gene_id`, `gene_name` and `gene_biotype` tags.
//!
//! Sample metadata comes from an SQLite database (a path ending in `.db`: the `sample`
//! table's row whose `name` is the sample, read by [`crate::sqlite`]) or from a
//! tab-separated file (any other path).

use std::collections::HashMap;
use std::path::Path;

use loom_core::AttrValues;

use crate::error::{IoError, Result};
use crate::sqlite::{Database, Value};
use crate::text::read_lines;

/// The row attributes loompy makes from a GTF, in its order.
pub const GENE_ATTRS: [&str; 6] = ["Gene", "Accession", "Biotype", "Chromosome", "Start", "End"];

/// The value of tag `key "value"` in a GTF attributes field.
fn tag<'a>(tags: &'a str, key: &str) -> Option<&'a str> {
    let at = tags.find(&format!("{key} \""))? + key.len() + 2;
    let rest = &tags[at..];
    let end = rest.find('"')?;
    Some(&rest[..end]).filter(|v| !v.is_empty())
}

/// loompy's `make_row_attrs_from_gene_metadata(gtf, features)`: for each feature (an
/// accession or a gene name) its `Gene`, `Accession`, `Biotype`, `Chromosome`, `Start`
/// and `End` from the GTF's `gene` lines (unknown features: themselves, "n/a", "Un",
/// "0", "0"). All are strings, as loompy stores its object arrays.
pub fn gene_attrs(gtf: &Path, features: &[&str]) -> Result<Vec<(&'static str, AttrValues)>> {
    let mut genes: HashMap<String, [String; 6]> = HashMap::new();
    for (i, line) in read_lines(gtf)?.iter().enumerate() {
        if line.starts_with('#') {
            continue;
        }
        let fields: Vec<&str> = line.trim_end().split('\t').collect();
        let bad = |why: &str| IoError::format(gtf, i as u64 + 1, why.to_owned());
        let [chrom, _, kind, start, end, _, _, _, tags] = fields.as_slice() else {
            return Err(bad("not 9 tab-separated fields"));
        };
        if *kind != "gene" {
            continue;
        }
        let id = tag(tags, "gene_id").ok_or_else(|| bad("a gene without gene_id"))?;
        let name = tag(tags, "gene_name").unwrap_or(id);
        let biotype = tag(tags, "gene_biotype").unwrap_or("n/a");
        let number = |s: &str| {
            s.parse::<i64>()
                .map(|v| v.to_string())
                .map_err(|_| bad("start or end is not a number"))
        };
        let annots = [
            name.to_owned(),
            id.to_owned(),
            biotype.to_owned(),
            (*chrom).to_owned(),
            number(start)?,
            number(end)?,
        ];
        genes.insert(id.to_owned(), annots.clone());
        genes.insert(name.to_owned(), annots);
    }
    let mut columns: Vec<Vec<String>> = vec![Vec::new(); 6];
    for f in features {
        let unknown = || [*f, *f, "n/a", "Un", "0", "0"].map(str::to_owned);
        let annots = genes.get(*f).cloned().unwrap_or_else(unknown);
        for (col, v) in columns.iter_mut().zip(annots) {
            col.push(v);
        }
    }
    Ok(GENE_ATTRS
        .into_iter()
        .zip(columns)
        .map(|(k, v)| (k, AttrValues::from(v)))
        .collect())
}

/// loompy's `load_sample_metadata(path, sample_id)`: (key, value) pairs of one sample.
///
/// A path ending in `.db` is an SQLite database: `SELECT * FROM sample WHERE name = ?`,
/// the first matching row, keyed by the column names as declared, values as stored
/// (INTEGER, REAL, TEXT, NULL, BLOB). Any other path is a tab-separated file whose
/// header (lower-cased) must hold `sampleid` or `name`; the last row whose value there
/// is `sample_id` gives (header, text) pairs. Errors carry loompy's ValueError texts:
/// "Samples metadata file '…' not found.", "SampleID '…' was not found in the samples
/// database." / "… not found in sample metadata file"; a database without a `sample`
/// table gives SQLite's "no such table: sample".
pub fn sample_metadata(path: &Path, sample_id: &str) -> Result<Vec<(String, Value)>> {
    if !path.exists() {
        return Err(IoError::Missing(format!(
            "Samples metadata file '{}' not found.",
            path.display()
        )));
    }
    if path.as_os_str().as_encoded_bytes().ends_with(b".db") {
        let db = Database::open(path)?;
        let row = db
            .select_first("sample", "name", sample_id)
            .map_err(|source| IoError::Sqlite {
                path: path.to_owned(),
                source,
            })?;
        return row.ok_or_else(|| {
            IoError::Missing(format!(
                "{}: SampleID '{sample_id}' was not found in the samples database.",
                path.display()
            ))
        });
    }
    Ok(tsv_sample(path, sample_id)?
        .into_iter()
        .map(|(k, v)| (k, Value::Text(v)))
        .collect())
}

/// The column attribute loompy's `create_from_star` makes of one sample value for `n`
/// cells (`np.full(n, value)`, then `loompy.create`'s normalization): integers as
/// int64, reals as float64, text as strings, NULL as the string "None", and a BLOB as
/// the string of Python's `repr` of the bytes (numpy's `U` and `S` dtypes drop trailing
/// NULs).
pub fn sample_attr(value: &Value, n: usize) -> AttrValues {
    match value {
        Value::Integer(i) => AttrValues::from(vec![*i; n]),
        Value::Real(f) => AttrValues::from(vec![*f; n]),
        Value::Text(s) => AttrValues::from(vec![s.trim_end_matches('\0').to_owned(); n]),
        Value::Null => AttrValues::from(vec!["None"; n]),
        Value::Blob(b) => {
            let end = b.iter().rposition(|&x| x != 0).map_or(0, |i| i + 1);
            AttrValues::from(vec![py_bytes_repr(&b[..end]); n])
        }
    }
}

/// Python's `repr(bytes)`: `b'…'` (or `b"…"` when only single quotes occur), with
/// `\\`, `\t`, `\n`, `\r`, the quote escaped and other bytes outside 0x20-0x7e as
/// `\xhh`.
fn py_bytes_repr(b: &[u8]) -> String {
    let quote = if b.contains(&b'\'') && !b.contains(&b'"') {
        '"'
    } else {
        '\''
    };
    let mut s = format!("b{quote}");
    for &x in b {
        match x {
            b'\\' => s.push_str("\\\\"),
            b'\t' => s.push_str("\\t"),
            b'\n' => s.push_str("\\n"),
            b'\r' => s.push_str("\\r"),
            _ if char::from(x) == quote => {
                s.push('\\');
                s.push(quote);
            }
            0x20..=0x7e => s.push(char::from(x)),
            _ => s.push_str(&format!("\\x{x:02x}")),
        }
    }
    s.push(quote);
    s
}

/// The tab-separated form of [`sample_metadata`].
fn tsv_sample(path: &Path, sample_id: &str) -> Result<Vec<(String, String)>> {
    let lines = read_lines(path)?;
    let Some(header) = lines.first() else {
        return Err(IoError::format(path, 1, "empty sample metadata file"));
    };
    let headers: Vec<String> = header
        .trim_end_matches(['\n', '\r'])
        .split('\t')
        .map(str::to_lowercase)
        .collect();
    let key = headers
        .iter()
        .position(|h| h == "sampleid")
        .or_else(|| headers.iter().position(|h| h == "name"))
        .ok_or_else(|| {
            IoError::format(path, 1, "Required column 'SampleID' or 'Name' not found")
        })?;
    let mut found = None;
    for line in &lines[1..] {
        let items: Vec<&str> = line.trim_end_matches(['\n', '\r']).split('\t').collect();
        if items.get(key) == Some(&sample_id) {
            found = Some(
                headers
                    .iter()
                    .zip(items)
                    .map(|(h, v)| (h.clone(), v.to_owned()))
                    .collect(),
            );
        }
    }
    found.ok_or_else(|| {
        IoError::Missing(format!(
            "{}: SampleID '{sample_id}' not found in sample metadata file",
            path.display()
        ))
    })
}
