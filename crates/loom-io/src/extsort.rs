//! An external sort of sparse entries: (major, minor) keys with up to three values,
//! sorted in runs of bounded size, runs spilled to anonymous temporary files (deleted by
//! the OS when closed, even on a crash) and merged back, so sorting any number of entries
//! takes a bounded amount of memory. Used for MatrixMarket files not in column order and
//! for graphs written as CSR.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Seek, SeekFrom, Write};

use crate::error::{IoError, Result};
use crate::mtx::MAX_VALUES;

/// One entry: sorted by (major, minor).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Item {
    pub major: u64,
    pub minor: u64,
    pub values: [f64; MAX_VALUES],
}

/// Entries held in memory before a run is spilled (40 bytes each: 40 MB).
const RUN_ITEMS: usize = 1 << 20;

/// Runs merged at once (one 64 KiB read buffer each); more runs are merged in rounds.
const FAN_IN: usize = 64;

/// Buffer of each run reader and writer.
const BUFFER: usize = 1 << 16;

/// Collects entries, then yields them sorted ([`Sorter::finish`]).
#[derive(Debug)]
pub(crate) struct Sorter {
    values: usize,
    run_items: usize,
    buf: Vec<Item>,
    runs: Vec<File>,
}

fn spill_error(e: std::io::Error) -> IoError {
    IoError::file(std::env::temp_dir(), e)
}

impl Sorter {
    /// A sorter of entries carrying `values` values each (1 to 3).
    pub(crate) fn new(values: usize) -> Self {
        Self::with_run(values, RUN_ITEMS)
    }

    /// A sorter spilling every `run_items` entries.
    pub(crate) fn with_run(values: usize, run_items: usize) -> Self {
        Sorter {
            values: values.clamp(1, MAX_VALUES),
            run_items: run_items.max(1),
            buf: Vec::new(),
            runs: Vec::new(),
        }
    }

    /// Adds one entry.
    pub(crate) fn push(&mut self, item: Item) -> Result<()> {
        if self.buf.len() >= self.run_items {
            self.spill()?;
        }
        self.buf.push(item);
        Ok(())
    }

    fn sort_buf(&mut self) {
        self.buf.sort_unstable_by_key(|i| (i.major, i.minor));
    }

    /// Sorts the buffer and writes it out as one run.
    fn spill(&mut self) -> Result<()> {
        self.sort_buf();
        let mut out = BufWriter::with_capacity(BUFFER, tempfile::tempfile().map_err(spill_error)?);
        for item in self.buf.drain(..) {
            write_item(&mut out, &item, self.values)?;
        }
        let mut f = out.into_inner().map_err(|e| spill_error(e.into_error()))?;
        f.seek(SeekFrom::Start(0)).map_err(spill_error)?;
        self.runs.push(f);
        Ok(())
    }

    /// The entries in (major, minor) order.
    pub(crate) fn finish(mut self) -> Result<Sorted> {
        if self.runs.is_empty() {
            self.sort_buf();
            return Ok(Sorted::Memory(self.buf.into_iter()));
        }
        if !self.buf.is_empty() {
            self.spill()?;
        }
        self.buf = Vec::new();
        let values = self.values;
        let mut runs = self.runs;
        while runs.len() > FAN_IN {
            let rest = runs.split_off(FAN_IN);
            let mut merged = Merge::new(runs, values)?;
            let mut out =
                BufWriter::with_capacity(BUFFER, tempfile::tempfile().map_err(spill_error)?);
            while let Some(item) = merged.next()? {
                write_item(&mut out, &item, values)?;
            }
            let mut f = out.into_inner().map_err(|e| spill_error(e.into_error()))?;
            f.seek(SeekFrom::Start(0)).map_err(spill_error)?;
            runs = rest;
            runs.push(f);
        }
        Ok(Sorted::Merge(Merge::new(runs, values)?))
    }
}

fn write_item(out: &mut impl Write, item: &Item, values: usize) -> Result<()> {
    out.write_all(&item.major.to_le_bytes())
        .and_then(|()| out.write_all(&item.minor.to_le_bytes()))
        .map_err(spill_error)?;
    for v in &item.values[..values] {
        out.write_all(&v.to_le_bytes()).map_err(spill_error)?;
    }
    Ok(())
}

/// The next item of a run, None at its end.
fn read_item(run: &mut BufReader<File>, values: usize) -> Result<Option<Item>> {
    let mut word = [0u8; 8];
    match run.read_exact(&mut word) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(e) => return Err(spill_error(e)),
    }
    let major = u64::from_le_bytes(word);
    run.read_exact(&mut word).map_err(spill_error)?;
    let minor = u64::from_le_bytes(word);
    let mut item = Item {
        major,
        minor,
        values: [0.0; MAX_VALUES],
    };
    for v in &mut item.values[..values] {
        run.read_exact(&mut word).map_err(spill_error)?;
        *v = f64::from_le_bytes(word);
    }
    Ok(Some(item))
}

/// A k-way merge of sorted runs.
#[derive(Debug)]
pub(crate) struct Merge {
    values: usize,
    runs: Vec<BufReader<File>>,
    heads: Vec<Option<Item>>,
    heap: BinaryHeap<Reverse<(u64, u64, usize)>>,
}

impl Merge {
    fn new(files: Vec<File>, values: usize) -> Result<Self> {
        let mut runs: Vec<BufReader<File>> = files
            .into_iter()
            .map(|f| BufReader::with_capacity(BUFFER, f))
            .collect();
        let mut heads = Vec::with_capacity(runs.len());
        let mut heap = BinaryHeap::with_capacity(runs.len());
        for (k, run) in runs.iter_mut().enumerate() {
            let head = read_item(run, values)?;
            if let Some(h) = &head {
                heap.push(Reverse((h.major, h.minor, k)));
            }
            heads.push(head);
        }
        Ok(Merge {
            values,
            runs,
            heads,
            heap,
        })
    }

    fn next(&mut self) -> Result<Option<Item>> {
        let Some(Reverse((_, _, k))) = self.heap.pop() else {
            return Ok(None);
        };
        let (Some(run), Some(head)) = (self.runs.get_mut(k), self.heads.get_mut(k)) else {
            return Ok(None);
        };
        let next = read_item(run, self.values)?;
        if let Some(n) = &next {
            self.heap.push(Reverse((n.major, n.minor, k)));
        }
        Ok(std::mem::replace(head, next))
    }
}

/// Sorted entries, from memory or merged from runs.
#[derive(Debug)]
pub(crate) enum Sorted {
    Memory(std::vec::IntoIter<Item>),
    Merge(Merge),
}

impl Sorted {
    /// The next entry in order, None after the last.
    pub(crate) fn next_item(&mut self) -> Result<Option<Item>> {
        match self {
            Sorted::Memory(it) => Ok(it.next()),
            Sorted::Merge(m) => m.next(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn items(n: u64) -> Vec<Item> {
        // A fixed permutation of keys with duplicates of major.
        (0..n)
            .map(|i| {
                let k = (i * 7919) % n;
                Item {
                    major: k % 13,
                    minor: k,
                    values: [k as f64, -(k as f64), 0.5],
                }
            })
            .collect()
    }

    fn sorted(run: usize, fan_in_rounds: bool) -> Vec<Item> {
        let n = if fan_in_rounds { 5000 } else { 1000 };
        let mut s = Sorter::with_run(3, run);
        for i in items(n) {
            s.push(i).unwrap_or_else(|e| panic!("{e}"));
        }
        let mut out = Vec::new();
        let mut it = s.finish().unwrap_or_else(|e| panic!("{e}"));
        while let Some(i) = it.next_item().unwrap_or_else(|e| panic!("{e}")) {
            out.push(i);
        }
        out
    }

    #[test]
    fn in_memory_spilled_and_merged_in_rounds_agree() {
        let mut want = items(1000);
        want.sort_by_key(|i| (i.major, i.minor));
        assert_eq!(sorted(usize::MAX, false), want);
        assert_eq!(sorted(37, false), want);
        let mut want = items(5000);
        want.sort_by_key(|i| (i.major, i.minor));
        // 5000 / 7 runs > FAN_IN: merged in rounds.
        assert_eq!(sorted(7, true), want);
    }
}
