//! Byte ranges from the page: a [`Storage`] whose reads call the worker's
//! `loomStorage.read(source, offset, dst)` (a `File` read with `FileReaderSync` over
//! `Blob.slice`, or a URL read with HTTP range requests), behind a block cache so the
//! many small reads of headers and B-trees cost one call per block.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Mutex, MutexGuard};

use hdf5_lite::Storage;
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    /// Fills `dst` with the bytes of source `source` at `offset`; throws on failure.
    #[wasm_bindgen(catch, js_namespace = loomStorage, js_name = read)]
    fn js_read(source: u32, offset: f64, dst: &mut [u8]) -> Result<(), JsValue>;
}

/// The bytes of one source registered in the worker's `loomStorage`.
#[derive(Debug)]
pub struct JsStorage {
    source: u32,
    len: u64,
}

impl JsStorage {
    /// Source number `source` of `len` bytes.
    pub fn new(source: u32, len: u64) -> Self {
        JsStorage { source, len }
    }
}

impl Storage for JsStorage {
    fn len(&self) -> u64 {
        self.len
    }

    fn read_exact_at(&self, offset: u64, buf: &mut [u8]) -> std::io::Result<()> {
        // Offsets are below 2^53 (checked against the length, itself a JS number).
        js_read(self.source, offset as f64, buf).map_err(|e| {
            std::io::Error::other(
                e.as_string()
                    .unwrap_or_else(|| format!("reading {} bytes at {offset}: {e:?}", buf.len())),
            )
        })
    }
}

/// Reads of up to this many blocks go through the cache; larger ones (chunk data) are
/// passed straight through.
const MAX_CACHED_READ_BLOCKS: u64 = 4;

/// A least-recently-used cache of fixed-size, block-aligned pieces of another storage.
pub struct BlockCache<S> {
    inner: S,
    block: u64,
    capacity: usize,
    state: Mutex<Blocks>,
}

#[derive(Default)]
struct Blocks {
    /// Block number to its bytes and the tick of its last use.
    map: HashMap<u64, (Vec<u8>, u64)>,
    tick: u64,
    /// Calls made to the inner storage (for the page's statistics and the tests).
    inner_reads: u64,
}

impl<S: Storage> BlockCache<S> {
    /// Caches `inner` in blocks of `block` bytes, keeping at most `capacity` blocks.
    pub fn new(inner: S, block: u64, capacity: usize) -> Self {
        BlockCache {
            inner,
            block: block.max(1),
            capacity: capacity.max(MAX_CACHED_READ_BLOCKS as usize + 1),
            state: Mutex::new(Blocks::default()),
        }
    }

    /// How many reads reached the inner storage so far.
    pub fn inner_reads(&self) -> u64 {
        self.lock().inner_reads
    }

    fn lock(&self) -> MutexGuard<'_, Blocks> {
        // Every update below leaves the map consistent; a poisoned lock is still usable.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Reads the missing blocks among `first..=last`, one inner read per run of them.
    fn fill(&self, state: &mut Blocks, first: u64, last: u64) -> std::io::Result<()> {
        let mut b = first;
        while b <= last {
            if state.map.contains_key(&b) {
                b += 1;
                continue;
            }
            let mut end = b;
            while end < last && !state.map.contains_key(&(end + 1)) {
                end += 1;
            }
            let start = b * self.block;
            let stop = ((end + 1) * self.block).min(self.inner.len());
            let mut bytes = vec![0; usize::try_from(stop - start).map_err(std::io::Error::other)?];
            self.inner.read_exact_at(start, &mut bytes)?;
            state.inner_reads += 1;
            for (i, piece) in bytes.chunks(self.block as usize).enumerate() {
                state.tick += 1;
                let tick = state.tick;
                state.map.insert(b + i as u64, (piece.to_vec(), tick));
            }
            b = end + 1;
        }
        Ok(())
    }

    fn evict(&self, state: &mut Blocks) {
        while state.map.len() > self.capacity {
            let oldest = state
                .map
                .iter()
                .min_by_key(|(_, (_, t))| *t)
                .map(|(&k, _)| k);
            match oldest {
                Some(k) => state.map.remove(&k),
                None => break,
            };
        }
    }
}

impl<S> fmt::Debug for BlockCache<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BlockCache({} byte blocks)", self.block)
    }
}

impl<S: Storage> Storage for BlockCache<S> {
    fn len(&self) -> u64 {
        self.inner.len()
    }

    fn read_exact_at(&self, offset: u64, buf: &mut [u8]) -> std::io::Result<()> {
        if buf.is_empty() {
            return Ok(());
        }
        let end = offset
            .checked_add(buf.len() as u64)
            .filter(|&e| e <= self.inner.len())
            .ok_or_else(|| std::io::Error::from(std::io::ErrorKind::UnexpectedEof))?;
        let (first, last) = (offset / self.block, (end - 1) / self.block);
        if last - first >= MAX_CACHED_READ_BLOCKS {
            self.inner.read_exact_at(offset, buf)?;
            self.lock().inner_reads += 1;
            return Ok(());
        }
        let mut state = self.lock();
        self.fill(&mut state, first, last)?;
        let mut at = offset;
        let mut out = &mut buf[..];
        while !out.is_empty() {
            let b = at / self.block;
            state.tick += 1;
            let tick = state.tick;
            let (bytes, used) = state
                .map
                .get_mut(&b)
                .ok_or_else(|| std::io::Error::other("block cache lost a block"))?;
            *used = tick;
            let from = (at - b * self.block) as usize;
            let n = out.len().min(bytes.len().saturating_sub(from));
            if n == 0 {
                return Err(std::io::ErrorKind::UnexpectedEof.into());
            }
            out[..n].copy_from_slice(&bytes[from..from + n]);
            out = &mut out[n..];
            at += n as u64;
        }
        self.evict(&mut state);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hdf5_lite::MemStorage;

    fn bytes(n: usize) -> Vec<u8> {
        (0..n).map(|i| (i * 7 % 251) as u8).collect()
    }

    #[test]
    fn cached_reads_equal_direct_reads() -> std::io::Result<()> {
        let data = bytes(10_000);
        let cache = BlockCache::new(MemStorage::new(data.clone()), 64, 8);
        for (offset, len) in [
            (0, 10),
            (60, 10),
            (63, 130),
            (9_990, 10),
            (100, 1000),
            (5, 0),
        ] {
            let mut buf = vec![0; len];
            cache.read_exact_at(offset as u64, &mut buf)?;
            assert_eq!(buf, data[offset..offset + len], "{offset}+{len}");
        }
        let mut past = [0; 11];
        assert!(cache.read_exact_at(9_990, &mut past).is_err());
        Ok(())
    }

    #[test]
    fn small_reads_in_one_block_cost_one_inner_read() -> std::io::Result<()> {
        let cache = BlockCache::new(MemStorage::new(bytes(4096)), 1024, 8);
        let mut buf = [0; 16];
        for offset in [0, 16, 500, 1000] {
            cache.read_exact_at(offset, &mut buf)?;
        }
        assert_eq!(cache.inner_reads(), 1);
        // Two missing blocks next to each other: one read.
        let mut two = [0; 1100];
        cache.read_exact_at(1500, &mut two)?;
        assert_eq!(cache.inner_reads(), 2);
        Ok(())
    }

    #[test]
    fn the_cache_keeps_at_most_its_capacity() -> std::io::Result<()> {
        let data = bytes(100 * 16);
        let cache = BlockCache::new(MemStorage::new(data.clone()), 16, 5);
        let mut buf = [0; 4];
        for b in 0..100u64 {
            cache.read_exact_at(b * 16 + 3, &mut buf)?;
        }
        assert_eq!(cache.lock().map.len(), 5);
        // The most recent blocks stay.
        cache.read_exact_at(99 * 16, &mut buf)?;
        assert_eq!(cache.inner_reads(), 100);
        assert_eq!(buf, data[99 * 16..99 * 16 + 4]);
        Ok(())
    }
}
