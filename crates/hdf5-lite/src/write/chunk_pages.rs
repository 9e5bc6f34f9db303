//! The slot pages behind a [`ChunkStore`](super::chunk_store::ChunkStore): the dense
//! array of chunk records over a dataset's chunk grid, cut into pages of [`SLOTS`]
//! records, in memory or, past a budget, in a scratch file.
//!
//! A writer opened on a file gives its stores a scratch directory (the file's own). A
//! store then keeps at most [`CACHE_PAGES`] pages in memory, a write-back cache in
//! front of an unlinked temporary file laid out as the grid array itself (page `p` at
//! byte `p * PAGE_BYTES`), so an import of any size holds a bounded amount of chunk
//! records: it writes column bands, touching one page per chunk row per window, and
//! the cache keeps the least recently used pages out. Nothing in the HDF5 file refers
//! to the scratch file; it is gone when the store is dropped, or the process ends.
//! Without a scratch directory (in-memory storage, WASM) every page stays in memory.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use crate::error::Result;
use crate::format::UNDEF;
use crate::write::storage::StorageMut;

/// Records a page holds.
pub(crate) const SLOTS: usize = 64;

/// Bytes of one record in the scratch file: address, stored size, filter mask (LE).
const SLOT_BYTES: usize = 16;

/// Bytes of one page in the scratch file.
const PAGE_BYTES: usize = SLOTS * SLOT_BYTES;

/// Pages a spilling store keeps in memory (2 MiB of records).
const CACHE_PAGES: usize = 2048;

/// One stored chunk; `address` is [`UNDEF`] for a chunk not written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct Slot {
    pub address: u64,
    pub size: u32,
    pub filter_mask: u32,
}

pub(crate) const EMPTY: Slot = Slot {
    address: UNDEF,
    size: 0,
    filter_mask: 0,
};

pub(crate) type Page = [Slot; SLOTS];

/// Where a chunk store may put the records it does not keep in memory.
#[derive(Debug, Clone, Default)]
pub(crate) enum Scratch {
    /// Nowhere: every record stays in memory.
    #[default]
    Memory,
    /// An unlinked temporary file in this directory (else in the system's).
    Dir(Arc<Path>),
    /// A [`MemFile`](super::MemFile) once more than this many pages are in memory: the
    /// spilling path, exercised without a file system.
    #[cfg(test)]
    Test(usize),
    /// Like `Test`, with a scratch file whose writes all fail.
    #[cfg(test)]
    Failing(usize),
}

#[derive(Debug)]
struct Cached {
    slots: Box<Page>,
    /// Changed since it was last written to the scratch file.
    dirty: bool,
    /// When it was last used (a counter).
    used: u64,
}

/// A store's pages: those in memory, and those in the scratch file.
#[derive(Debug)]
pub(crate) struct Pages {
    cache: BTreeMap<u64, Cached>,
    scratch: Scratch,
    /// Pages kept in memory at most ([`usize::MAX`]: all of them).
    cap: usize,
    file: Option<Box<dyn StorageMut>>,
    /// The pages the scratch file holds, as runs start → end (exclusive).
    on_file: BTreeMap<u64, u64>,
    clock: u64,
}

impl Pages {
    pub(crate) fn new(scratch: &Scratch) -> Self {
        let cap = match scratch {
            Scratch::Memory => usize::MAX,
            Scratch::Dir(_) => CACHE_PAGES,
            #[cfg(test)]
            Scratch::Test(cap) | Scratch::Failing(cap) => (*cap).max(2),
        };
        Pages {
            cache: BTreeMap::new(),
            scratch: scratch.clone(),
            cap,
            file: None,
            on_file: BTreeMap::new(),
            clock: 0,
        }
    }

    /// Where the store spills (for a store replacing this one).
    pub(crate) fn scratch(&self) -> &Scratch {
        &self.scratch
    }

    /// Whether page `p` is in the scratch file.
    fn is_on_file(&self, p: u64) -> bool {
        self.on_file
            .range(..=p)
            .next_back()
            .is_some_and(|(_, &end)| p < end)
    }

    /// The first page at or after `from` that holds records (in memory or on file).
    pub(crate) fn next_page(&self, from: u64) -> Option<u64> {
        let cached = self.cache.range(from..).next().map(|(&p, _)| p);
        let on_file = match self.on_file.range(..=from).next_back() {
            Some((_, &end)) if from < end => Some(from),
            _ => self.on_file.range(from..).next().map(|(&s, _)| s),
        };
        match (cached, on_file) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Copies page `p` into `out`; false (and `out` all empty) when it holds nothing.
    pub(crate) fn read(&self, p: u64, out: &mut Page) -> Result<bool> {
        if let Some(c) = self.cache.get(&p) {
            *out = *c.slots;
            return Ok(true);
        }
        match &self.file {
            Some(file) if self.is_on_file(p) => {
                let mut bytes = [0u8; PAGE_BYTES];
                file.read_exact_at(byte_offset(p, 0)?, &mut bytes)?;
                decode(&bytes, out);
                Ok(true)
            }
            _ => {
                *out = [EMPTY; SLOTS];
                Ok(false)
            }
        }
    }

    /// Slot `i` of page `p`; [`EMPTY`] when the page holds nothing.
    pub(crate) fn slot(&self, p: u64, i: usize) -> Result<Slot> {
        if let Some(c) = self.cache.get(&p) {
            return Ok(c.slots.get(i).copied().unwrap_or(EMPTY));
        }
        match &self.file {
            Some(file) if i < SLOTS && self.is_on_file(p) => {
                let mut bytes = [0u8; SLOT_BYTES];
                file.read_exact_at(byte_offset(p, i)?, &mut bytes)?;
                Ok(decode_slot(&bytes))
            }
            _ => Ok(EMPTY),
        }
    }

    /// Page `p` for changing (an empty page when it holds nothing yet).
    pub(crate) fn page_mut(&mut self, p: u64) -> Result<&mut Page> {
        self.clock += 1;
        let used = self.clock;
        let loaded = if self.cache.contains_key(&p) {
            None
        } else {
            self.make_room()?;
            let mut slots = Box::new([EMPTY; SLOTS]);
            self.read(p, &mut slots)?;
            Some(slots)
        };
        let c = self.cache.entry(p).or_insert_with(|| Cached {
            slots: loaded.unwrap_or_else(|| Box::new([EMPTY; SLOTS])),
            dirty: true,
            used,
        });
        c.dirty = true;
        c.used = used;
        Ok(&mut c.slots)
    }

    /// Calls `f` on every page that holds records, for changing them.
    pub(crate) fn for_each_page_mut(
        &mut self,
        mut f: impl FnMut(&mut Page) -> Result<()>,
    ) -> Result<()> {
        let mut from = 0;
        while let Some(p) = self.next_page(from) {
            f(self.page_mut(p)?)?;
            from = p + 1;
        }
        Ok(())
    }

    /// When the cache is full, writes back and drops its least recently used half.
    fn make_room(&mut self) -> Result<()> {
        if self.cache.len() < self.cap {
            return Ok(());
        }
        if self.file.is_none() {
            match scratch_file(&self.scratch) {
                Some(file) => self.file = Some(file),
                None => {
                    // No scratch file to be had: keep every page in memory, as without one.
                    self.cap = usize::MAX;
                    return Ok(());
                }
            }
        }
        let mut ages: Vec<(u64, u64)> = self.cache.iter().map(|(&p, c)| (c.used, p)).collect();
        let half = ages.len() / 2;
        ages.select_nth_unstable(half);
        let mut victims: Vec<u64> = ages[..half].iter().map(|&(_, p)| p).collect();
        victims.sort_unstable();
        // The dirty ones are written back, in runs of consecutive pages, before any is
        // dropped: a failed write loses no record.
        let mut run: Vec<u8> = Vec::new();
        let mut run_start = 0;
        for &p in &victims {
            let Some(c) = self.cache.get(&p).filter(|c| c.dirty) else {
                continue;
            };
            if !run.is_empty() && run_start + (run.len() / PAGE_BYTES) as u64 != p {
                write_run(&self.file, &mut self.on_file, run_start, &run)?;
                run.clear();
            }
            if run.is_empty() {
                run_start = p;
            }
            encode(&c.slots, &mut run);
        }
        if !run.is_empty() {
            write_run(&self.file, &mut self.on_file, run_start, &run)?;
        }
        for p in victims {
            self.cache.remove(&p);
        }
        Ok(())
    }
}

/// Writes consecutive pages, the first `start`, to the scratch file, and records that
/// it holds them.
fn write_run(
    file: &Option<Box<dyn StorageMut>>,
    on_file: &mut BTreeMap<u64, u64>,
    start: u64,
    bytes: &[u8],
) -> Result<()> {
    let file = file
        .as_ref()
        .ok_or_else(|| crate::Error::InvalidInput("no chunk record scratch file".into()))?;
    file.write_all_at(byte_offset(start, 0)?, bytes)?;
    mark_on_file(on_file, start, start + (bytes.len() / PAGE_BYTES) as u64);
    Ok(())
}

/// Records in the runs `on_file` that pages `start..end` are in the scratch file.
fn mark_on_file(on_file: &mut BTreeMap<u64, u64>, mut start: u64, mut end: u64) {
    if let Some((&s, &e)) = on_file.range(..=start).next_back() {
        if e >= start {
            start = s;
            end = end.max(e);
        }
    }
    while let Some((&s, &e)) = on_file.range(start..).next() {
        if s > end {
            break;
        }
        end = end.max(e);
        on_file.remove(&s);
    }
    on_file.insert(start, end);
}

/// Where slot `i` of page `p` is in the scratch file.
fn byte_offset(p: u64, i: usize) -> Result<u64> {
    p.checked_mul(SLOTS as u64)
        .and_then(|s| s.checked_add(i as u64))
        .and_then(|s| s.checked_mul(SLOT_BYTES as u64))
        .ok_or(crate::Error::TooLarge {
            what: "chunk record scratch file",
            size: u128::from(p) * PAGE_BYTES as u128,
        })
}

/// A new scratch file for `scratch`, if one can be made.
fn scratch_file(scratch: &Scratch) -> Option<Box<dyn StorageMut>> {
    match scratch {
        Scratch::Memory => None,
        Scratch::Dir(dir) => temp_file(dir),
        #[cfg(test)]
        Scratch::Test(_) => Some(Box::new(super::MemFile::new())),
        #[cfg(test)]
        Scratch::Failing(_) => Some(Box::new(Unwritable::default())),
    }
}

/// A scratch file that refuses every write.
#[cfg(test)]
#[derive(Debug, Default)]
struct Unwritable(super::MemFile);

#[cfg(test)]
impl crate::storage::Storage for Unwritable {
    fn len(&self) -> u64 {
        crate::storage::Storage::len(&self.0)
    }

    fn read_exact_at(&self, offset: u64, buf: &mut [u8]) -> std::io::Result<()> {
        crate::storage::Storage::read_exact_at(&self.0, offset, buf)
    }
}

#[cfg(test)]
impl StorageMut for Unwritable {
    fn write_all_at(&self, _offset: u64, _data: &[u8]) -> std::io::Result<()> {
        Err(std::io::Error::other("disk full"))
    }

    fn sync(&self) -> std::io::Result<()> {
        Ok(())
    }

    fn current_len(&self) -> u64 {
        self.0.current_len()
    }
}

#[cfg(not(target_family = "wasm"))]
fn temp_file(dir: &Path) -> Option<Box<dyn StorageMut>> {
    let file = tempfile::tempfile_in(dir)
        .or_else(|_| tempfile::tempfile())
        .ok()?;
    Some(Box::new(super::storage::RwFile::new(file)))
}

#[cfg(target_family = "wasm")]
fn temp_file(_dir: &Path) -> Option<Box<dyn StorageMut>> {
    None
}

fn encode(page: &Page, out: &mut Vec<u8>) {
    for s in page {
        out.extend_from_slice(&s.address.to_le_bytes());
        out.extend_from_slice(&s.size.to_le_bytes());
        out.extend_from_slice(&s.filter_mask.to_le_bytes());
    }
}

fn decode(bytes: &[u8; PAGE_BYTES], page: &mut Page) {
    for (s, b) in page.iter_mut().zip(bytes.chunks_exact(SLOT_BYTES)) {
        *s = decode_slot(b);
    }
}

/// The slot in the first [`SLOT_BYTES`] of `b`.
fn decode_slot(b: &[u8]) -> Slot {
    fn le<const N: usize>(b: &[u8]) -> [u8; N] {
        let mut v = [0u8; N];
        v.copy_from_slice(&b[..N]);
        v
    }
    Slot {
        address: u64::from_le_bytes(le(&b[0..8])),
        size: u32::from_le_bytes(le(&b[8..12])),
        filter_mask: u32::from_le_bytes(le(&b[12..16])),
    }
}
