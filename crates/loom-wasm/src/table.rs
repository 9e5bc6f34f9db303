//! The attribute tables: one row per matrix row (or column), one column per attribute,
//! as text, searchable.

use loom_core::{AttrValues, LoomConnection};
use serde_json::{json, Value as Json};

/// Row or column attributes as text.
#[derive(Debug, Clone, Default)]
pub struct Table {
    /// Attribute names, in the file's order.
    pub names: Vec<String>,
    /// Per attribute, one text per entry.
    cells: Vec<Vec<String>>,
    len: usize,
    /// Attributes left out, each with the reason.
    pub skipped: Vec<String>,
}

impl Table {
    /// The row attributes (`axis` 0) or column attributes (`axis` 1) of `ds`. Attributes
    /// that cannot be read, or lack a value per entry, are left out and named in `skipped`.
    pub fn load(ds: &LoomConnection, axis: usize) -> Table {
        let attrs = if axis == 0 {
            ds.row_attrs()
        } else {
            ds.col_attrs()
        };
        let len = attrs.expected_len() as usize;
        let mut table = Table {
            len,
            ..Table::default()
        };
        for name in attrs.keys() {
            match attrs.get(&name) {
                Ok(values) if values.len() == len => {
                    table
                        .cells
                        .push((0..len).map(|i| text(&values, i)).collect());
                    table.names.push(name);
                }
                Ok(values) => table
                    .skipped
                    .push(format!("{name}: {} values for {len} entries", values.len())),
                Err(e) => table.skipped.push(format!("{name}: {e}")),
            }
        }
        table
    }

    /// Entries.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when there are no entries.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The entries one of whose texts contains `query` (without case; all entries for an
    /// empty query).
    pub fn matches(&self, query: &str) -> Vec<usize> {
        let q = query.to_lowercase();
        (0..self.len)
            .filter(|&i| {
                q.is_empty() || self.cells.iter().any(|c| c[i].to_lowercase().contains(&q))
            })
            .collect()
    }

    /// `count` matching entries from the `start`-th match: `{names, total, matches, rows,
    /// skipped}` with each row `[index, text…]`.
    pub fn page(&self, query: &str, start: usize, count: usize) -> Json {
        let hits = self.matches(query);
        let rows: Vec<Json> = hits
            .iter()
            .skip(start)
            .take(count)
            .map(|&i| {
                let mut row = vec![json!(i)];
                row.extend(self.cells.iter().map(|c| json!(c[i])));
                Json::Array(row)
            })
            .collect();
        json!({
            "names": self.names,
            "total": self.len,
            "matches": hits.len(),
            "rows": rows,
            "skipped": self.skipped,
        })
    }
}

/// Entry `i` of `values` as text: strings as they are, numbers as Python prints them,
/// several values per entry as a JSON list.
fn text(values: &AttrValues, i: usize) -> String {
    match value(values, i) {
        Json::String(s) => s,
        other => other.to_string(),
    }
}

fn value(values: &AttrValues, i: usize) -> Json {
    fn entry<T: Clone>(a: &ndarray::ArrayD<T>, i: usize, f: impl Fn(&T) -> Json) -> Json {
        let row = a.index_axis(ndarray::Axis(0), i);
        if row.ndim() == 0 {
            row.iter().next().map_or(Json::Null, &f)
        } else {
            Json::Array(row.iter().map(&f).collect())
        }
    }
    match values {
        AttrValues::Int { values, .. } => entry(values, i, |v| json!(v)),
        AttrValues::UInt { values, .. } => entry(values, i, |v| json!(v)),
        AttrValues::Float { values, .. } => entry(values, i, |v| json!(v)),
        AttrValues::Bool(v) => entry(v, i, |v| json!(v)),
        AttrValues::Str(v) => entry(v, i, |v| json!(v)),
        AttrValues::Compound(fields) => Json::Object(
            fields
                .iter()
                .map(|(name, f)| (name.clone(), value(f, i)))
                .collect(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use loom_core::Mode;

    #[test]
    fn rows_and_search_show_the_files_values() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../fixtures/01_loompy_create_dense.loom");
        let ds = LoomConnection::open(path, Mode::Read, false).expect("fixture opens");
        let table = Table::load(&ds, 0);
        assert!(table.skipped.is_empty(), "{:?}", table.skipped);
        assert_eq!(table.len(), 100);
        let gene = ds.row_attrs().get("Gene").expect("Gene");
        let genes = gene.as_strings().expect("strings");
        let col = table
            .names
            .iter()
            .position(|n| n == "Gene")
            .expect("Gene column");
        let page = table.page("", 3, 2);
        assert_eq!(page["total"], 100);
        assert_eq!(page["matches"], 100);
        assert_eq!(page["rows"][0][0], 3);
        assert_eq!(page["rows"][0][col + 1], genes[[3]].as_str());
        // Searching a gene's name (in other case) finds its row.
        let hits = table.matches(&genes[[42]].to_uppercase());
        assert!(hits.contains(&42), "{hits:?}");
    }

    #[test]
    fn attributes_without_a_value_per_entry_are_named_not_shown() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../fixtures/31_emul_hdf5r_loomR.loom");
        let ds = LoomConnection::open(path, Mode::Read, false).expect("fixture opens");
        let table = Table::load(&ds, 0);
        assert!(table.names.is_empty(), "{:?}", table.names);
        assert_eq!(
            table.skipped,
            [
                "gene_names: 36 values for 24 entries",
                "nCells: 36 values for 24 entries"
            ]
        );
    }
}
