//! MatrixMarket coordinate files (NIST's format: <https://math.nist.gov/MatrixMarket/formats.html>),
//! read entry by entry, plain or gzipped, as Cell Ranger, STARsolo and scipy write them.
//!
//! The banner gives the field (`integer`, `real`, `pattern`) and symmetry (`general`;
//! `symmetric` is mirrored as scipy's `mmread` does); `%` lines are comments; the size line
//! gives rows, columns and entries; each entry line is `row col value…` (1-based). STARsolo's
//! Velocyto `matrix.mtx` carries three values per entry (spliced, unspliced, ambiguous).

use std::path::Path;

use crate::error::Result;
use crate::text::Lines;

/// The element field of a MatrixMarket file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    /// Integers (scipy reads them as int64).
    Integer,
    /// Reals (float64).
    Real,
    /// No values: every entry is 1 (scipy: float64).
    Pattern,
}

/// The most values one entry line may carry (STARsolo's Velocyto matrix has three).
pub const MAX_VALUES: usize = 3;

/// One entry: 0-based row and column and its values (unused ones are 0).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Entry {
    /// 0-based row.
    pub row: usize,
    /// 0-based column.
    pub col: usize,
    /// The values (only the first `values()` are meaningful).
    pub values: [f64; MAX_VALUES],
}

/// A MatrixMarket coordinate file being read.
pub struct MtxReader {
    lines: Lines,
    /// Rows of the matrix.
    pub rows: usize,
    /// Columns of the matrix.
    pub cols: usize,
    /// Entries announced by the size line.
    pub nnz: u64,
    /// The element field.
    pub field: Field,
    symmetric: bool,
    read: u64,
    mirror: Option<Entry>,
    values: usize,
}

impl std::fmt::Debug for MtxReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MtxReader")
            .field("path", &self.lines.path())
            .field("rows", &self.rows)
            .field("cols", &self.cols)
            .field("nnz", &self.nnz)
            .field("field", &self.field)
            .finish()
    }
}

impl MtxReader {
    /// Opens `path` and reads its banner and size line. `values` is how many values each
    /// entry carries (1, or 3 for STARsolo's Velocyto matrix).
    pub fn open(path: &Path, values: usize) -> Result<Self> {
        let mut lines = Lines::open(path)?;
        let banner = lines
            .next_line()?
            .ok_or_else(|| lines.error("empty file, expected a %%MatrixMarket banner"))?
            .to_ascii_lowercase();
        let words: Vec<&str> = banner.split_whitespace().collect();
        if words.len() < 5 || words[0] != "%%matrixmarket" || words[1] != "matrix" {
            return Err(lines.error("not a MatrixMarket file (no %%MatrixMarket matrix banner)"));
        }
        if words[2] != "coordinate" {
            return Err(lines.error(format!(
                "only the coordinate format is read, not '{}'",
                words[2]
            )));
        }
        let field = match words[3] {
            "integer" => Field::Integer,
            "real" | "double" => Field::Real,
            "pattern" => Field::Pattern,
            other => return Err(lines.error(format!("unsupported field '{other}'"))),
        };
        let symmetric = match words[4] {
            "general" => false,
            "symmetric" => true,
            other => return Err(lines.error(format!("unsupported symmetry '{other}'"))),
        };
        let values = if field == Field::Pattern {
            0
        } else {
            values.clamp(1, MAX_VALUES)
        };
        let (rows, cols, nnz) = loop {
            let Some(l) = lines.next_line()? else {
                return Err(lines.error("no size line"));
            };
            let l = l.trim().to_owned();
            if l.is_empty() || l.starts_with('%') {
                continue;
            }
            let nums: Vec<&str> = l.split_whitespace().collect();
            let parse = |s: &str| s.parse::<u64>().ok();
            match nums.as_slice() {
                [r, c, n] => match (parse(r), parse(c), parse(n)) {
                    (Some(r), Some(c), Some(n)) => break (r, c, n),
                    _ => return Err(lines.error(format!("bad size line '{l}'"))),
                },
                _ => return Err(lines.error(format!("bad size line '{l}'"))),
            }
        };
        let limit = u64::from(u32::MAX);
        if rows > limit || cols > limit {
            return Err(lines.error(format!("matrix of {rows} x {cols} is too large")));
        }
        Ok(MtxReader {
            lines,
            rows: rows as usize,
            cols: cols as usize,
            nnz,
            field,
            symmetric,
            read: 0,
            mirror: None,
            values,
        })
    }

    /// The next entry, or None after the last one (then the count must match the size line).
    pub fn next_entry(&mut self) -> Result<Option<Entry>> {
        if let Some(m) = self.mirror.take() {
            return Ok(Some(m));
        }
        loop {
            if !self.lines.advance()? {
                if self.read != self.nnz {
                    return Err(self.lines.error(format!(
                        "{} entries, but the size line announced {}",
                        self.read, self.nnz
                    )));
                }
                return Ok(None);
            }
            let l = self.lines.current().trim();
            if l.is_empty() || l.starts_with('%') {
                continue;
            }
            let mut it = l.split_ascii_whitespace();
            let mut index = |what: &str, n: usize| -> Result<usize> {
                let v: usize = it
                    .next()
                    .and_then(|s| s.parse().ok())
                    .ok_or_else(|| self.lines.error(format!("bad {what} index in '{l}'")))?;
                if v == 0 || v > n {
                    return Err(self
                        .lines
                        .error(format!("{what} index {v} outside 1..={n}")));
                }
                Ok(v - 1)
            };
            let row = index("row", self.rows)?;
            let col = index("column", self.cols)?;
            let mut values = [0.0; MAX_VALUES];
            if self.values == 0 {
                values[0] = 1.0;
            }
            for v in values.iter_mut().take(self.values) {
                *v = it
                    .next()
                    .and_then(|s| s.parse::<f64>().ok())
                    .ok_or_else(|| self.lines.error(format!("bad value in '{l}'")))?;
            }
            self.read += 1;
            if self.read > self.nnz {
                return Err(self.lines.error(format!(
                    "more entries than the {} the size line announced",
                    self.nnz
                )));
            }
            let e = Entry { row, col, values };
            if self.symmetric && row != col {
                self.mirror = Some(Entry {
                    row: col,
                    col: row,
                    values,
                });
            }
            return Ok(Some(e));
        }
    }
}
