//! Table b-trees (fileformat2 §1.6 "B-tree Pages"): the page header, the cell pointer
//! array, table interior cells (left child, rowid) and table leaf cells (payload size,
//! rowid, local payload, first overflow page), and §1.7 "Cell Payload Overflow Pages"
//! for payloads too large for their page.

use std::borrow::Cow;
use std::ops::ControlFlow;

use super::record::varint;
use super::{Database, SqliteError};

/// Page type bytes (§1.6).
const TABLE_INTERIOR: u8 = 5;
const TABLE_LEAF: u8 = 13;

fn be_u16(b: &[u8], at: usize) -> usize {
    usize::from(u16::from_be_bytes([b[at], b[at + 1]]))
}

fn be_u32(b: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

/// One table b-tree page: its usable bytes, where its header starts (100 on page 1),
/// its type and cell count.
struct Node<'a> {
    number: u32,
    bytes: &'a [u8],
    header: usize,
    kind: u8,
    cells: usize,
}

impl<'a> Node<'a> {
    fn read(db: &'a Database, number: u32) -> Result<Self, SqliteError> {
        let bytes = db.page(number)?;
        let header = if number == 1 { 100 } else { 0 };
        let corrupt = |reason: String| SqliteError::Corrupt {
            page: number,
            reason,
        };
        let kind = bytes[header];
        let header_len = match kind {
            TABLE_LEAF => 8,
            TABLE_INTERIOR => 12,
            2 | 10 => return Err(corrupt("an index page in a table b-tree".into())),
            k => return Err(corrupt(format!("page type {k}"))),
        };
        let cells = be_u16(bytes, header + 3);
        if header + header_len + 2 * cells > bytes.len() {
            return Err(corrupt(format!(
                "{cells} cell pointers do not fit the page"
            )));
        }
        Ok(Node {
            number,
            bytes,
            header,
            kind,
            cells,
        })
    }

    fn header_len(&self) -> usize {
        if self.kind == TABLE_LEAF {
            8
        } else {
            12
        }
    }

    /// The start of cell `i`, checked to lie past the cell pointer array.
    fn cell(&self, i: usize) -> Result<usize, SqliteError> {
        let at = self.header + self.header_len() + 2 * i;
        let start = be_u16(self.bytes, at);
        if start < at || start >= self.bytes.len() {
            return Err(self.corrupt(format!("cell {i} at offset {start}")));
        }
        Ok(start)
    }

    fn corrupt(&self, reason: String) -> SqliteError {
        SqliteError::Corrupt {
            page: self.number,
            reason,
        }
    }

    /// The left child of interior cell `i`, or the right-most pointer for `i == cells`.
    fn child(&self, i: usize) -> Result<u32, SqliteError> {
        if i == self.cells {
            return Ok(be_u32(self.bytes, self.header + 8));
        }
        let at = self.cell(i)?;
        if at + 4 > self.bytes.len() {
            return Err(self.corrupt(format!("cell {i} runs past the page")));
        }
        Ok(be_u32(self.bytes, at))
    }

    /// Leaf cell `i`: its rowid and its whole payload (read from overflow pages when it
    /// spills; each is marked in `seen`).
    fn row(
        &self,
        db: &'a Database,
        i: usize,
        seen: &mut Seen,
    ) -> Result<(i64, Cow<'a, [u8]>), SqliteError> {
        let bytes = self.bytes;
        let mut at = self.cell(i)?;
        let cut = || self.corrupt(format!("cell {i} runs past the page"));
        let (size, n) = varint(&bytes[at..]).ok_or_else(cut)?;
        at += n;
        let (rowid, n) = varint(&bytes[at..]).ok_or_else(cut)?;
        at += n;
        let local = local_len(size, db.usable);
        let end = at + local;
        if end > bytes.len() {
            return Err(cut());
        }
        if local as u64 == size {
            return Ok((rowid as i64, Cow::Borrowed(&bytes[at..end])));
        }
        if end + 4 > bytes.len() {
            return Err(cut());
        }
        // The payload cannot be larger than the file that holds it.
        if size > db.bytes.len() as u64 {
            return Err(self.corrupt(format!("a payload of {size} bytes")));
        }
        let mut payload = Vec::with_capacity(size as usize);
        payload.extend_from_slice(&bytes[at..end]);
        let mut next = be_u32(bytes, end);
        while payload.len() < size as usize {
            if next == 0 {
                return Err(self.corrupt(format!("overflow chain of cell {i} ends early")));
            }
            let page = db.page(next)?;
            seen.mark(next)?;
            let take = (size as usize - payload.len()).min(db.usable - 4);
            payload.extend_from_slice(&page[4..4 + take]);
            next = be_u32(page, 0);
        }
        Ok((rowid as i64, Cow::Owned(payload)))
    }
}

/// How much of a table leaf cell's payload of `size` bytes stays on its page (§1.6:
/// X = U-35, M = ((U-12)*32/255)-23, K = M+((P-M) % (U-4))).
fn local_len(size: u64, usable: usize) -> usize {
    let u = usable as u64;
    let x = u - 35;
    if size <= x {
        return size as usize;
    }
    let m = ((u - 12) * 32 / 255) - 23;
    let k = m + ((size - m) % (u - 4));
    (if k <= x { k } else { m }) as usize
}

/// The pages a scan has reached. In a sound file each b-tree and overflow page has one
/// place, so a scan reaches each at most once; a page reached twice means a cycle (or
/// pages shared) and is an error. One bit per page present in the file, so the scan
/// stays linear in the file size.
struct Seen {
    bits: Vec<u64>,
    pages: u32,
}

impl Seen {
    fn new(db: &Database) -> Self {
        let pages = db.present_pages();
        Seen {
            bits: vec![0; pages as usize / 64 + 1],
            pages,
        }
    }

    /// Marks `page`, which [`Database::page`] has already checked to be present.
    fn mark(&mut self, page: u32) -> Result<(), SqliteError> {
        let (word, bit) = (page as usize / 64, 1u64 << (page % 64));
        let pages = self.pages;
        let w = self
            .bits
            .get_mut(word)
            .ok_or(SqliteError::PageOutOfRange { page, pages })?;
        if *w & bit != 0 {
            return Err(SqliteError::Corrupt {
                page,
                reason: "a page reached twice (a cycle in the b-tree or an overflow chain)".into(),
            });
        }
        *w |= bit;
        Ok(())
    }
}

/// Every row of the table b-tree rooted at `root`, in rowid order, until `f` breaks.
pub(super) fn scan(
    db: &Database,
    root: u32,
    mut f: impl FnMut(i64, &[u8]) -> Result<ControlFlow<()>, SqliteError>,
) -> Result<(), SqliteError> {
    let mut seen = Seen::new(db);
    let mut stack = vec![(Node::read(db, root)?, 0usize)];
    seen.mark(root)?;
    while let Some((node, next)) = stack.last_mut() {
        if node.kind == TABLE_LEAF {
            for i in 0..node.cells {
                let (rowid, payload) = node.row(db, i, &mut seen)?;
                if f(rowid, &payload)?.is_break() {
                    return Ok(());
                }
            }
            stack.pop();
            continue;
        }
        if *next > node.cells {
            stack.pop();
            continue;
        }
        let child = node.child(*next)?;
        *next += 1;
        stack.push((Node::read(db, child)?, 0));
        seen.mark(child)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::local_len;

    #[test]
    fn local_payload_sizes_as_the_spec_computes_them() {
        // U = 4096: X = 4061, M = 489.
        assert_eq!(local_len(100, 4096), 100);
        assert_eq!(local_len(4061, 4096), 4061);
        // K = M + (P-M) % (U-4) when K <= X, else M.
        assert_eq!(local_len(4062, 4096), 489);
        assert_eq!(local_len(10_000, 4096), 489 + (10_000 - 489) % 4092);
        assert_eq!(local_len(4092 + 489 + 4000, 4096), 489);
    }
}
