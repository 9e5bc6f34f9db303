//! The block of the matrix the page draws: chosen genes (rows) by the first cells
//! (columns), either named by the user or the rows that vary most over those cells.

use loom_core::{AttrValues, LoomConnection, Selection};

/// Rows read at once while ranking rows by variance.
const BAND: u64 = 4096;

/// A block of one layer, row-major.
#[derive(Debug, Clone, PartialEq)]
pub struct Heatmap {
    /// The matrix rows shown, top to bottom.
    pub rows: Vec<u64>,
    /// A label per row: its value in the label attribute, else its index.
    pub labels: Vec<String>,
    /// Columns shown: `0..cols`.
    pub cols: u64,
    /// `rows.len() * cols` values.
    pub values: Vec<f32>,
}

/// What to draw.
#[derive(Debug, Clone)]
pub struct Request<'a> {
    /// The layer (`""` for the main matrix).
    pub layer: &'a str,
    /// Row labels to show, in this order; empty: the `top` most variable rows.
    pub genes: &'a [String],
    /// How many rows to pick by variance.
    pub top: usize,
    /// How many of the first columns to show.
    pub cells: u64,
}

/// The row attribute that names rows: `Gene` when present (loompy's convention), else
/// the first 1-D string row attribute; only one with a label for every row.
pub fn label_attr(ds: &LoomConnection) -> Option<(String, Vec<String>)> {
    let rows = ds.shape().0;
    let ra = ds.row_attrs();
    let mut keys = ra.keys();
    if let Some(i) = keys.iter().position(|k| k == "Gene") {
        keys.swap(0, i);
    }
    keys.into_iter().find_map(|k| match ra.get(&k) {
        Ok(AttrValues::Str(v)) if v.ndim() == 1 && v.len() as u64 == rows => {
            Some((k, v.iter().cloned().collect()))
        }
        _ => None,
    })
}

/// Reads the block `req` asks for.
pub fn heatmap(ds: &LoomConnection, req: &Request) -> Result<Heatmap, String> {
    let (n, m) = ds.shape();
    let cells = req.cells.min(m);
    let labels = label_attr(ds).map(|(_, v)| v);
    let rows = if req.genes.is_empty() {
        top_variance(ds, req.layer, n, cells, req.top)?
    } else {
        by_name(labels.as_deref(), req.genes)?
    };
    let label = |r: u64| {
        labels
            .as_ref()
            .and_then(|l| l.get(r as usize).cloned())
            .unwrap_or_else(|| r.to_string())
    };
    let values = if rows.is_empty() || cells == 0 {
        Vec::new()
    } else {
        ds.layers()
            .read::<f32>(req.layer, rows.clone(), 0..cells)
            .map_err(|e| e.to_string())?
            .iter()
            .copied()
            .collect()
    };
    Ok(Heatmap {
        labels: rows.iter().map(|&r| label(r)).collect(),
        rows,
        cols: cells,
        values,
    })
}

/// Rows whose label is one of `genes` (compared without case), in the order asked.
fn by_name(labels: Option<&[String]>, genes: &[String]) -> Result<Vec<u64>, String> {
    let labels = labels.ok_or("the file has no string row attribute to find genes by")?;
    let mut rows = Vec::new();
    let mut missing = Vec::new();
    for g in genes {
        match labels.iter().position(|l| l.eq_ignore_ascii_case(g)) {
            Some(i) => rows.push(i as u64),
            None => missing.push(g.as_str()),
        }
    }
    if missing.is_empty() {
        Ok(rows)
    } else {
        Err(format!("no row named {}", missing.join(", ")))
    }
}

/// The `top` rows with the largest variance over columns `0..cells`, largest first (ties:
/// the lower row first). Reads the rows in bands, so memory stays at `BAND * cells`.
fn top_variance(
    ds: &LoomConnection,
    layer: &str,
    n: u64,
    cells: u64,
    top: usize,
) -> Result<Vec<u64>, String> {
    if cells == 0 {
        return Ok(Vec::new());
    }
    let mut ranked: Vec<(f64, u64)> = Vec::with_capacity(n as usize);
    let mut start = 0;
    while start < n {
        let end = (start + BAND).min(n);
        let band = ds
            .layers()
            .read::<f32>(
                layer,
                start..end,
                Selection::range(Some(0), Some(cells as i64), 1),
            )
            .map_err(|e| e.to_string())?;
        for (i, row) in band.rows().into_iter().enumerate() {
            ranked.push((variance(row.iter().copied()), start + i as u64));
        }
        start = end;
    }
    ranked.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    Ok(ranked.into_iter().take(top).map(|(_, r)| r).collect())
}

/// The population variance (numpy's `var`), in f64.
fn variance(values: impl Iterator<Item = f32> + Clone) -> f64 {
    let (count, sum) = values
        .clone()
        .fold((0u64, 0f64), |(c, s), v| (c + 1, s + f64::from(v)));
    if count == 0 {
        return 0.0;
    }
    let mean = sum / count as f64;
    values.map(|v| (f64::from(v) - mean).powi(2)).sum::<f64>() / count as f64
}

#[cfg(test)]
mod tests {
    use super::*;
    use loom_core::Mode;

    fn fixture(name: &str) -> LoomConnection {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../fixtures")
            .join(name);
        LoomConnection::open(path, Mode::Read, false).expect("fixture opens")
    }

    #[test]
    fn variance_is_numpys() {
        assert_eq!(variance([1.0f32, 2.0, 3.0, 4.0].into_iter()), 1.25);
        assert_eq!(variance(std::iter::empty::<f32>()), 0.0);
    }

    #[test]
    fn top_variance_rows_match_a_direct_computation() -> Result<(), String> {
        let ds = fixture("01_loompy_create_dense.loom");
        let req = Request {
            layer: "",
            genes: &[],
            top: 5,
            cells: 30,
        };
        let h = heatmap(&ds, &req)?;
        let all = ds.read::<f32>(.., 0..30usize).map_err(|e| e.to_string())?;
        let mut expect: Vec<(f64, u64)> = all
            .rows()
            .into_iter()
            .enumerate()
            .map(|(i, r)| (variance(r.iter().copied()), i as u64))
            .collect();
        expect.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        let rows: Vec<u64> = expect.iter().take(5).map(|e| e.1).collect();
        assert_eq!(h.rows, rows);
        assert_eq!(h.cols, 30);
        for (k, &r) in rows.iter().enumerate() {
            for c in 0..30 {
                assert_eq!(h.values[k * 30 + c], all[[r as usize, c]]);
            }
        }
        Ok(())
    }

    #[test]
    fn labels_come_only_from_an_attribute_with_one_per_row() {
        // loomR's gene_names has 36 entries for 24 rows.
        let ds = fixture("31_emul_hdf5r_loomR.loom");
        assert_eq!(ds.shape().0, 24);
        assert_eq!(label_attr(&ds), None);
        let ds = fixture("01_loompy_create_dense.loom");
        assert_eq!(
            label_attr(&ds).map(|(name, v)| (name, v.len())),
            Some(("Gene".to_owned(), 100))
        );
    }

    #[test]
    fn genes_by_name_in_the_order_asked() -> Result<(), String> {
        let ds = fixture("01_loompy_create_dense.loom");
        let (_, names) = label_attr(&ds).ok_or("no label attribute")?;
        let genes = vec![names[7].to_uppercase(), names[2].clone()];
        let req = Request {
            layer: "",
            genes: &genes,
            top: 0,
            cells: 1000,
        };
        let h = heatmap(&ds, &req)?;
        assert_eq!(h.rows, vec![7, 2]);
        assert_eq!(h.labels, vec![names[7].clone(), names[2].clone()]);
        assert_eq!(h.cols, ds.shape().1);
        let err = heatmap(
            &ds,
            &Request {
                genes: &["no-such-gene".to_owned()],
                ..req
            },
        );
        assert_eq!(err, Err("no row named no-such-gene".to_owned()));
        Ok(())
    }
}
