//! A small read-only SQLite reader, enough for loompy's sample databases
//! (`SELECT * FROM sample WHERE name = ?`), after the file format document
//! <https://www.sqlite.org/fileformat2.html>:
//!
//! - §1.3 "The Database Header": magic, page size, reserved bytes, payload fractions,
//!   the in-header page count and when it is valid, the text encoding ([`Database`]);
//! - §1.6 "B-tree Pages" and §1.7 "Cell Payload Overflow Pages": table b-tree interior
//!   and leaf pages, their cells, varints and overflow chains (`btree`);
//! - §2.1 "Record Format": serial types and values (`record`);
//! - §2.6 "Storage Of The SQL Database Schema": `sqlite_schema` on page 1, whose
//!   `CREATE TABLE` text gives the column names, affinities (datatype3 §3.1),
//!   collations, defaults and the `INTEGER PRIMARY KEY` rowid alias (`schema`).
//!
//! Comparisons follow datatype3 §4.2: the key gets the column's affinity, values of
//! different storage classes are never equal, integers and reals compare by value,
//! text by the column's collation (BINARY, NOCASE, RTRIM). A scan visits the rows in
//! rowid order, as SQLite's full-table scan does, so the first match is the row
//! SQLite's `fetchone()` gives.
//!
//! Not read: indexes (a scan does not need them), `WITHOUT ROWID` tables, views,
//! virtual tables and generated columns (typed errors), and changes not yet settled in
//! the file (a write-ahead log or a hot journal: an error asks to open the database
//! with sqlite3 once). The file is read whole into memory (sample databases are small).
//! Every page is reached at most once per scan (a page reached twice is an error), and
//! every length is checked against the file before use.

mod btree;
mod record;
mod schema;

use std::ops::ControlFlow;
use std::path::Path;

pub use record::Value;
pub use schema::{Affinity, Collation, Column};

use crate::error::{IoError, Result};

/// What is wrong with a database file.
#[derive(Debug, thiserror::Error)]
pub enum SqliteError {
    /// Not an SQLite database at all (SQLite says "file is not a database").
    #[error("file is not a database: {0}")]
    NotADatabase(String),
    /// The file ends inside a page it should hold.
    #[error("the file ends inside page {page} (truncated)")]
    Truncated {
        /// The 1-based page number.
        page: u32,
    },
    /// A page number outside the database.
    #[error("page {page} is out of range (the database has {pages} pages)")]
    PageOutOfRange {
        /// The page number found.
        page: u32,
        /// The database's page count.
        pages: u32,
    },
    /// A b-tree or overflow page that is not what the format allows.
    #[error("page {page}: {reason}")]
    Corrupt {
        /// The 1-based page number.
        page: u32,
        /// What is wrong.
        reason: String,
    },
    /// A record whose header or values do not fit.
    #[error("bad record: {reason}")]
    Record {
        /// What is wrong.
        reason: String,
    },
    /// A schema entry that cannot be read.
    #[error("bad schema: {0}")]
    Schema(String),
    /// SQLite's "no such table".
    #[error("no such table: {0}")]
    NoSuchTable(String),
    /// SQLite's "no such column".
    #[error("no such column: {0}")]
    NoSuchColumn(String),
    /// Valid SQLite this reader does not handle.
    #[error("not supported: {0}")]
    Unsupported(String),
}

/// The text encoding of the database (header offset 56).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// 1 (and 0 in a database without a schema yet).
    Utf8,
    /// 2.
    Utf16Le,
    /// 3.
    Utf16Be,
}

/// A table found in `sqlite_schema`.
#[derive(Debug, Clone)]
pub struct Table {
    /// Its name as created.
    pub name: String,
    /// Its columns in order.
    pub columns: Vec<Column>,
    root: u32,
}

/// A whole database file in memory.
#[derive(Debug)]
pub struct Database {
    bytes: Vec<u8>,
    page_size: usize,
    usable: usize,
    pages: u32,
    encoding: Encoding,
}

const MAGIC: &[u8; 16] = b"SQLite format 3\0";

/// The first bytes of a rollback journal that still holds a transaction (§3).
const JOURNAL_MAGIC: [u8; 8] = [0xd9, 0xd5, 0x05, 0xf9, 0x20, 0xa1, 0x63, 0xd7];

fn be_u32(b: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

impl Database {
    /// Reads the database at `path`. Refused when changes may not be in the file yet:
    /// a database in WAL mode whose `-wal` file is not empty, or a hot rollback journal
    /// (a `-journal` file that starts with the journal magic); fileformat2 §3 "The
    /// Rollback Journal" and §4 "The Write-Ahead Log".
    /// SQLite itself settles both when it next opens the database.
    pub fn open(path: &Path) -> Result<Self> {
        let bytes = std::fs::read(path).map_err(|e| IoError::file(path, e))?;
        let sqlite = |source| IoError::Sqlite {
            path: path.to_owned(),
            source,
        };
        let wal_mode = bytes.len() >= 100 && (bytes[18] == 2 || bytes[19] == 2);
        let db = Database::from_bytes(bytes).map_err(sqlite)?;
        let beside = |suffix: &str| {
            let mut p = path.as_os_str().to_owned();
            p.push(suffix);
            std::path::PathBuf::from(p)
        };
        let wal = beside("-wal");
        let pending = if wal_mode && std::fs::metadata(&wal).is_ok_and(|m| m.len() > 0) {
            Some(wal)
        } else {
            let journal = beside("-journal");
            let mut head = [0u8; 8];
            let hot = std::fs::File::open(&journal)
                .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut head))
                .is_ok()
                && head == JOURNAL_MAGIC;
            hot.then_some(journal)
        };
        if let Some(p) = pending {
            return Err(sqlite(SqliteError::Unsupported(format!(
                "{} holds changes not settled in the database; open it once with sqlite3 first",
                p.display()
            ))));
        }
        Ok(db)
    }

    /// Checks the header of a database image. An empty file is an empty database, as
    /// SQLite treats it.
    pub fn from_bytes(bytes: Vec<u8>) -> Result<Self, SqliteError> {
        let not_db = |why: &str| SqliteError::NotADatabase(why.to_owned());
        if bytes.is_empty() {
            return Ok(Database {
                bytes,
                page_size: 4096,
                usable: 4096,
                pages: 0,
                encoding: Encoding::Utf8,
            });
        }
        if bytes.len() < 100 || &bytes[..16] != MAGIC {
            return Err(not_db("no SQLite header"));
        }
        let page_size = match u16::from_be_bytes([bytes[16], bytes[17]]) {
            1 => 65536,
            p if p >= 512 && p.is_power_of_two() => usize::from(p),
            p => return Err(not_db(&format!("page size {p}"))),
        };
        if bytes[18] > 2 {
            return Err(SqliteError::Unsupported(format!(
                "file format read version {}",
                bytes[18]
            )));
        }
        let usable = page_size - usize::from(bytes[20]);
        if usable < 480 {
            return Err(not_db(&format!("{usable} usable bytes per page")));
        }
        if bytes[21..24] != [64, 32, 32] {
            return Err(not_db("payload fractions are not 64/32/32"));
        }
        let in_header = be_u32(&bytes, 28);
        let pages = if in_header != 0 && be_u32(&bytes, 24) == be_u32(&bytes, 92) {
            in_header
        } else {
            u32::try_from(bytes.len() / page_size).unwrap_or(u32::MAX)
        };
        let encoding = match be_u32(&bytes, 56) {
            0 | 1 => Encoding::Utf8,
            2 => Encoding::Utf16Le,
            3 => Encoding::Utf16Be,
            e => return Err(not_db(&format!("text encoding {e}"))),
        };
        Ok(Database {
            bytes,
            page_size,
            usable,
            pages,
            encoding,
        })
    }

    /// The pages present in the file (the page count, less any the file is too short
    /// to hold): the bound of every scan.
    fn present_pages(&self) -> u32 {
        let in_file = u32::try_from(self.bytes.len() / self.page_size).unwrap_or(u32::MAX);
        self.pages.min(in_file)
    }

    /// The usable bytes of page `n` (1-based).
    fn page(&self, n: u32) -> Result<&[u8], SqliteError> {
        if n == 0 || n > self.pages {
            return Err(SqliteError::PageOutOfRange {
                page: n,
                pages: self.pages,
            });
        }
        (n as usize - 1)
            .checked_mul(self.page_size)
            .filter(|start| start + self.page_size <= self.bytes.len())
            .map(|start| &self.bytes[start..start + self.usable])
            .ok_or(SqliteError::Truncated { page: n })
    }

    /// The ordinary table called `name` (ASCII case-insensitive, as SQL names are).
    pub fn table(&self, name: &str) -> Result<Table, SqliteError> {
        let mut found = None;
        if self.pages > 0 {
            btree::scan(self, 1, |_, payload| {
                let row = record::decode(payload, self.encoding)?;
                let text = |i: usize| match row.get(i) {
                    Some(Value::Text(s)) => Some(s.as_str()),
                    _ => None,
                };
                if !text(1).is_some_and(|n| n.eq_ignore_ascii_case(name)) {
                    return Ok(ControlFlow::Continue(()));
                }
                found = Some(match (text(0), row.get(3), text(4)) {
                    (Some("table"), Some(&Value::Integer(root)), Some(sql)) if root > 0 => {
                        let root =
                            u32::try_from(root).map_err(|_| SqliteError::PageOutOfRange {
                                page: u32::MAX,
                                pages: self.pages,
                            })?;
                        Table {
                            name: text(1).unwrap_or(name).to_owned(),
                            columns: schema::columns(sql)?,
                            root,
                        }
                    }
                    (Some("table"), _, _) => {
                        return Err(SqliteError::Unsupported(format!(
                            "`{name}` is a virtual table"
                        )))
                    }
                    (Some("view"), _, _) => {
                        return Err(SqliteError::Unsupported(format!("`{name}` is a view")))
                    }
                    _ => return Ok(ControlFlow::Continue(())),
                });
                Ok(ControlFlow::Break(()))
            })?;
        }
        found.ok_or_else(|| SqliteError::NoSuchTable(name.to_owned()))
    }

    /// `SELECT * FROM table WHERE column = key`, the first matching row in rowid order
    /// (what `fetchone()` returns), as (column name, value) pairs.
    pub fn select_first(
        &self,
        table: &str,
        column: &str,
        key: &str,
    ) -> Result<Option<Vec<(String, Value)>>, SqliteError> {
        let table = self.table(table)?;
        let at = table
            .columns
            .iter()
            .position(|c| c.name.eq_ignore_ascii_case(column))
            .ok_or_else(|| SqliteError::NoSuchColumn(column.to_owned()))?;
        let col = &table.columns[at];
        let key = with_affinity(key, col.affinity);
        let mut found = None;
        btree::scan(self, table.root, |rowid, payload| {
            let values = record::decode(payload, self.encoding)?;
            let value = |i: usize| -> Result<Value, SqliteError> {
                let c = &table.columns[i];
                if c.rowid_alias {
                    return Ok(Value::Integer(rowid));
                }
                let v = match values.get(i) {
                    Some(v) => v.clone(),
                    None => c.default.clone().ok_or_else(|| {
                        SqliteError::Unsupported(format!(
                            "the default of column `{}` is an expression",
                            c.name
                        ))
                    })?,
                };
                // SQLite writes whole values of REAL columns as integers and reads them
                // back as REAL (datatype3 §3, "REAL" affinity).
                Ok(match v {
                    Value::Integer(i) if c.affinity == Affinity::Real => Value::Real(i as f64),
                    v => v,
                })
            };
            if !equal(&value(at)?, &key, &col.collation)? {
                return Ok(ControlFlow::Continue(()));
            }
            let row = (0..table.columns.len())
                .map(|i| Ok((table.columns[i].name.clone(), value(i)?)))
                .collect::<Result<Vec<_>, SqliteError>>()?;
            found = Some(row);
            Ok(ControlFlow::Break(()))
        })?;
        Ok(found)
    }
}

/// `key` (a bound text parameter, which has no affinity) as compared with a column of
/// `affinity` (datatype3 §4.2): the column's affinity is applied to it, so INTEGER,
/// REAL and NUMERIC columns turn well-formed numbers into numbers.
fn with_affinity(key: &str, affinity: Affinity) -> Value {
    schema::apply(Value::Text(key.to_owned()), affinity)
}

/// Whether an integer and a real are the same number, exactly.
fn int_is_real(i: i64, f: f64) -> bool {
    f.fract() == 0.0 && (i64::MIN as f64..-(i64::MIN as f64)).contains(&f) && f as i64 == i
}

/// `a = b` under SQLite's rules (NULL equals nothing).
fn equal(a: &Value, b: &Value, collation: &Collation) -> Result<bool, SqliteError> {
    Ok(match (a, b) {
        (Value::Integer(x), Value::Integer(y)) => x == y,
        (Value::Real(x), Value::Real(y)) => x == y,
        (Value::Integer(i), Value::Real(f)) | (Value::Real(f), Value::Integer(i)) => {
            int_is_real(*i, *f)
        }
        (Value::Text(x), Value::Text(y)) => match collation {
            Collation::Binary => x == y,
            Collation::NoCase => x.eq_ignore_ascii_case(y),
            Collation::RTrim => x.trim_end_matches(' ') == y.trim_end_matches(' '),
            Collation::Other(c) => return Err(SqliteError::Unsupported(format!("collation {c}"))),
        },
        (Value::Blob(x), Value::Blob(y)) => x == y,
        _ => false,
    })
}
