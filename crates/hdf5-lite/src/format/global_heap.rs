//! Global heap collections "GCOL" (spec III.E): where variable-length data lives.
//!
//! A collection is `"GCOL"`, version 1, three reserved bytes and the collection size
//! (size-of-lengths, covering the whole collection), padded to a multiple of 8. Then come
//! objects: index (2), reference count (2), reserved (4), data size (size-of-lengths) and
//! the data padded to a multiple of 8. Object 0 is the free space at the end; when the
//! free space is too small for an object header, it is left implicit.
//!
//! The encoder ([`encode_collection`]) uses 8-byte lengths, makes collections at least
//! [`MIN_COLLECTION_SIZE`] bytes (libhdf5 rejects smaller ones) and always describes the
//! free space at the end with an explicit object 0.

use std::collections::HashMap;

use crate::error::{Error, Result};
use crate::format::Ctx;

/// Structure name used in errors.
const STRUCTURE: &str = "global heap collection";

/// Global heap collections read so far, so each is parsed once per read.
#[derive(Debug, Default)]
pub struct GlobalHeap {
    collections: Vec<Collection>,
    /// Where each collection's address is in `collections`.
    by_address: HashMap<u64, usize>,
    /// The collection looked up last: consecutive elements mostly share one.
    last: usize,
    /// Bytes of the collections cached. Collections of a sound file never overlap, so
    /// together they fit in the file; crafted overlapping ones would otherwise copy the
    /// file once per collection.
    cached: u64,
}

/// A parsed collection: its bytes and where each object lies in them.
#[derive(Debug)]
struct Collection {
    address: u64,
    bytes: Vec<u8>,
    /// Every object but the free space, sorted by index (without repeats).
    objects: Vec<Span>,
}

/// Where one object's data lies in its collection's bytes.
#[derive(Debug, Clone, Copy)]
struct Span {
    index: u16,
    start: usize,
    len: usize,
}

impl Collection {
    /// The data of the object with `index` (not 0).
    fn get(&self, index: u16) -> Option<&[u8]> {
        // Writers number objects 1, 2, ... in order, so object i is usually at i - 1.
        let guess = usize::from(index).wrapping_sub(1);
        let span = match self.objects.get(guess) {
            Some(s) if s.index == index => s,
            _ => {
                let at = self
                    .objects
                    .binary_search_by_key(&index, |s| s.index)
                    .ok()?;
                self.objects.get(at)?
            }
        };
        self.bytes
            .get(span.start..span.start.checked_add(span.len)?)
    }
}

impl GlobalHeap {
    /// An empty cache.
    pub fn new() -> Self {
        Self::default()
    }

    /// The object with `index` in the collection at `collection`.
    pub fn object(&mut self, ctx: &Ctx, collection: u64, index: u32) -> Result<&[u8]> {
        let at = match self.collections.get(self.last) {
            Some(c) if c.address == collection => self.last,
            _ => self.find(ctx, collection)?,
        };
        self.last = at;
        u16::try_from(index)
            .ok()
            .filter(|&i| i != 0)
            .and_then(|i| self.collections.get(at)?.get(i))
            .ok_or_else(|| {
                Error::corrupt(
                    STRUCTURE,
                    collection,
                    format!("no object with index {index} in the collection"),
                )
            })
    }

    /// Where the collection at `address` is in `collections`, parsed if it is new.
    fn find(&mut self, ctx: &Ctx, address: u64) -> Result<usize> {
        if let Some(&at) = self.by_address.get(&address) {
            return Ok(at);
        }
        let parsed = parse_collection(ctx, address)?;
        self.cached = self.cached.saturating_add(parsed.bytes.len() as u64);
        if self.cached > ctx.source.len() {
            return Err(Error::corrupt(
                STRUCTURE,
                address,
                "collections overlap: more collection bytes than the file holds",
            ));
        }
        let at = self.collections.len();
        self.collections.push(parsed);
        self.by_address.insert(address, at);
        Ok(at)
    }
}

/// The smallest collection libhdf5 accepts (`H5HG_MINSIZE`).
pub const MIN_COLLECTION_SIZE: u64 = 4096;

/// Bytes of the collection header and of each object header (8-byte lengths).
const HEADER_LEN: u64 = 16;

/// The most objects one collection can hold (indices are 16 bits and 0 is free space).
pub const MAX_OBJECTS: usize = 65535;

/// Bytes `object` takes in a collection: its header and its data padded to 8.
pub fn object_footprint(object: &[u8]) -> u64 {
    HEADER_LEN + (object.len() as u64).div_ceil(8) * 8
}

/// The size of the collection [`encode_collection`] makes for objects taking `used`
/// bytes (see [`object_footprint`]) after the header.
pub fn collection_size(used: u64) -> u64 {
    let needed = HEADER_LEN.saturating_add(used);
    let size = needed
        .max(MIN_COLLECTION_SIZE)
        .div_ceil(8)
        .saturating_mul(8);
    // All sizes are multiples of 8, so the tail is 0, 8 or at least 16 bytes. Grow an
    // 8-byte tail so that it holds a free-space object header.
    if size - needed == 8 {
        size + 8
    } else {
        size
    }
}

/// Encodes a collection holding `objects` with indices 1, 2, ... and reference count
/// 0 (as libhdf5 writes them), then a free-space object (index 0) covering the rest.
/// The collection is [`collection_size`] bytes long.
pub fn encode_collection(objects: &[&[u8]]) -> Result<Vec<u8>> {
    if objects.len() > MAX_OBJECTS {
        return Err(Error::unsupported(format!(
            "writing a global heap collection of {} objects (at most {MAX_OBJECTS})",
            objects.len()
        )));
    }
    let used = objects
        .iter()
        .try_fold(0u64, |acc, o| acc.checked_add(object_footprint(o)))
        .ok_or(Error::TooLarge {
            what: "global heap collection",
            size: u128::MAX,
        })?;
    let size = collection_size(used);
    let len = usize::try_from(size).map_err(|_| Error::TooLarge {
        what: "global heap collection",
        size: u128::from(size),
    })?;
    let mut b = Vec::with_capacity(len);
    b.extend_from_slice(b"GCOL\x01\0\0\0");
    b.extend_from_slice(&size.to_le_bytes());
    for (index, object) in (1u16..).zip(objects) {
        b.extend_from_slice(&index.to_le_bytes());
        b.extend_from_slice(&[0; 6]);
        b.extend_from_slice(&(object.len() as u64).to_le_bytes());
        b.extend_from_slice(object);
        b.resize(b.len().div_ceil(8) * 8, 0);
    }
    let free = (len - b.len()) as u64;
    if free >= HEADER_LEN {
        b.extend_from_slice(&[0; 8]);
        b.extend_from_slice(&free.to_le_bytes());
    }
    b.resize(len, 0);
    Ok(b)
}

/// Rounds `n` up to a multiple of 8.
fn align8(n: usize) -> Option<usize> {
    n.checked_add(7).map(|v| v & !7)
}

/// Reads the collection at `address` and finds its objects.
fn parse_collection(ctx: &Ctx, address: u64) -> Result<Collection> {
    let lengths = usize::from(ctx.sizes.lengths);
    let fixed = 8 + lengths;
    let header_len = align8(fixed).unwrap_or(fixed);
    let head = ctx.read(address, fixed as u64)?;
    let mut c = ctx.cursor(&head, address, STRUCTURE);
    c.signature(b"GCOL")?;
    let version = c.u8()?;
    if version != 1 {
        return Err(c.corrupt(format!("unknown global heap version {version}")));
    }
    c.skip(3)?;
    let size = c.length()?;
    if size < header_len as u64 {
        return Err(c.corrupt(format!("collection size {size} is smaller than its header")));
    }
    // Bounds-checked against the file before anything is allocated.
    let bytes = ctx.read(address, size)?.into_owned();
    let mut c = ctx.cursor(&bytes, address, STRUCTURE);
    c.seek(header_len)?;
    let object_header_len = 8 + lengths;
    let mut objects = Vec::new();
    // One bit per 16-bit index, set once the index is seen.
    let mut seen = [0u64; 1 << 10];
    // Every pass consumes at least one object header, so this ends.
    while c.remaining() >= object_header_len {
        let index = c.u16()?;
        let _refcount = c.u16()?;
        c.skip(4)?;
        let len = c.length()?;
        if index == 0 {
            break;
        }
        let len = usize::try_from(len)
            .ok()
            .filter(|&n| n <= c.remaining())
            .ok_or_else(|| {
                c.corrupt(format!(
                    "object {index} of {len} bytes runs past the end of the collection"
                ))
            })?;
        let start = c.pos();
        c.skip(len)?;
        let (word, bit) = (usize::from(index >> 6), 1u64 << (index & 63));
        if seen[word] & bit != 0 {
            return Err(c.corrupt(format!("object index {index} appears twice")));
        }
        seen[word] |= bit;
        objects.push(Span { index, start, len });
        let padding = align8(len).map_or(0, |p| p - len).min(c.remaining());
        c.skip(padding)?;
    }
    objects.sort_unstable_by_key(|s| s.index);
    Ok(Collection {
        address,
        bytes,
        objects,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::format::Sizes;
    use crate::storage::{MemStorage, Source};
    use std::sync::Arc;

    fn ctx(bytes: Vec<u8>) -> Ctx {
        Ctx {
            source: Source::new(Arc::new(MemStorage::new(bytes))),
            base: 0,
            sizes: Sizes::default(),
        }
    }

    fn object(index: u16, data: &[u8]) -> Vec<u8> {
        let mut b = index.to_le_bytes().to_vec();
        b.extend_from_slice(&1u16.to_le_bytes());
        b.extend_from_slice(&[0; 4]);
        b.extend_from_slice(&(data.len() as u64).to_le_bytes());
        b.extend_from_slice(data);
        b.resize(b.len().div_ceil(8) * 8, 0);
        b
    }

    /// A collection at `at` in the file holding `objects`, with free space up to `size`.
    fn collection(at: usize, size: usize, objects: &[Vec<u8>]) -> Vec<u8> {
        let mut b = vec![0xaa; at];
        b.extend_from_slice(b"GCOL\x01\0\0\0");
        b.extend_from_slice(&(size as u64).to_le_bytes());
        for o in objects {
            b.extend_from_slice(o);
        }
        let used = b.len() - at;
        if size >= used + 16 {
            let mut free = object(0, &[]);
            free[8..16].copy_from_slice(&((size - used) as u64).to_le_bytes());
            b.extend_from_slice(&free);
        }
        b.resize(at + size, 0);
        b
    }

    #[test]
    fn finds_objects_and_caches_the_collection() {
        let file = collection(
            40,
            4096,
            &[
                object(1, b"hello"),
                object(3, b""),
                object(2, b"a longer string!"),
            ],
        );
        let ctx = ctx(file);
        let mut heap = GlobalHeap::new();
        assert_eq!(heap.object(&ctx, 40, 1).unwrap(), b"hello");
        assert_eq!(heap.object(&ctx, 40, 2).unwrap(), b"a longer string!");
        assert_eq!(heap.object(&ctx, 40, 3).unwrap(), b"");
        assert!(matches!(
            heap.object(&ctx, 40, 4),
            Err(Error::Corrupt { .. })
        ));
        assert!(heap.object(&ctx, 40, 0).is_err());
        assert!(heap.object(&ctx, 40, 70_000).is_err());
        assert_eq!(heap.collections.len(), 1);
        assert_eq!(heap.by_address.len(), 1);
    }

    #[test]
    fn finds_objects_across_collections_and_sparse_indices() {
        let mut file = collection(
            0,
            4096,
            &[
                object(7, b"seven"),
                object(300, b"x"),
                object(65535, b"last"),
            ],
        );
        file.extend(collection(0, 4096, &[object(2, b"b"), object(1, b"a")]));
        let ctx = ctx(file);
        let mut heap = GlobalHeap::new();
        for _ in 0..2 {
            assert_eq!(heap.object(&ctx, 0, 65535).unwrap(), b"last");
            assert_eq!(heap.object(&ctx, 4096, 1).unwrap(), b"a");
            assert_eq!(heap.object(&ctx, 0, 7).unwrap(), b"seven");
            assert_eq!(heap.object(&ctx, 4096, 2).unwrap(), b"b");
            assert_eq!(heap.object(&ctx, 0, 300).unwrap(), b"x");
            assert!(heap.object(&ctx, 0, 1).is_err());
            assert!(heap.object(&ctx, 4096, 3).is_err());
            assert!(heap.object(&ctx, 0, 65536).is_err());
        }
        assert_eq!(heap.collections.len(), 2);
        assert_eq!(heap.cached, 8192);
    }

    #[test]
    fn refuses_overlapping_collections() {
        // A second collection inside the first one's object (at address 32, to the end).
        let mut inner = b"GCOL\x01\0\0\0".to_vec();
        inner.extend_from_slice(&4064u64.to_le_bytes());
        inner.extend_from_slice(&object(1, b"inner"));
        let file = collection(0, 4096, &[object(1, &inner)]);
        let ctx = ctx(file);
        let mut heap = GlobalHeap::new();
        assert_eq!(&heap.object(&ctx, 0, 1).unwrap()[..4], b"GCOL");
        let err = heap.object(&ctx, 32, 1).unwrap_err();
        assert!(err.to_string().contains("collections overlap"), "{err}");
        // Alone, the inner collection is sound.
        assert_eq!(GlobalHeap::new().object(&ctx, 32, 1).unwrap(), b"inner");
    }

    #[test]
    fn accepts_small_collections_without_free_space() {
        // 16 header + 24 object, no room for an object 0 header.
        let file = collection(0, 40, &[object(1, b"12345678")]);
        let mut heap = GlobalHeap::new();
        assert_eq!(heap.object(&ctx(file), 0, 1).unwrap(), b"12345678");
    }

    #[test]
    fn rejects_corrupt_collections() {
        let good = collection(0, 64, &[object(1, b"hi")]);
        let mut bad = good.clone();
        bad[0] = b'X';
        assert!(GlobalHeap::new().object(&ctx(bad), 0, 1).is_err());
        let mut bad = good.clone();
        bad[4] = 2;
        assert!(GlobalHeap::new().object(&ctx(bad), 0, 1).is_err());
        // Collection larger than the file.
        assert!(matches!(
            GlobalHeap::new().object(&ctx(good[..48].to_vec()), 0, 1),
            Err(Error::OutOfBounds { .. })
        ));
        // Collection size smaller than its header.
        let mut bad = good.clone();
        bad[8..16].copy_from_slice(&8u64.to_le_bytes());
        assert!(GlobalHeap::new().object(&ctx(bad), 0, 1).is_err());
        // Object size running past the collection.
        let mut bad = good.clone();
        bad[24..32].copy_from_slice(&1000u64.to_le_bytes());
        assert!(matches!(
            GlobalHeap::new().object(&ctx(bad), 0, 1),
            Err(Error::Corrupt { .. })
        ));
        // Duplicate indices.
        let dup = collection(0, 64, &[object(1, b"a"), object(1, b"b")]);
        assert!(GlobalHeap::new().object(&ctx(dup), 0, 1).is_err());
        let dup = collection(0, 96, &[object(2, b"a"), object(1, b"b"), object(2, b"c")]);
        let err = GlobalHeap::new().object(&ctx(dup), 0, 1).unwrap_err();
        assert!(
            err.to_string().contains("object index 2 appears twice"),
            "{err}"
        );
    }

    #[test]
    fn encodes_collections_exactly() {
        let bytes = encode_collection(&[b"hello", b"", b"a longer string!"]).unwrap();
        let mut want = collection(
            0,
            4096,
            &[
                object(1, b"hello"),
                object(2, b""),
                object(3, b"a longer string!"),
            ],
        );
        // The helper writes refcount 1; libhdf5 (and the encoder) write 0.
        for at in [18, 42, 58, 90] {
            want[at] = 0;
        }
        assert!(bytes == want, "encoded collection differs");
        // The free-space object: index 0 and the rest of the collection.
        let free_at = 16 + 24 + 16 + 32;
        assert_eq!(&bytes[free_at..free_at + 8], &[0; 8]);
        assert_eq!(
            &bytes[free_at + 8..free_at + 16],
            &((4096 - free_at) as u64).to_le_bytes()
        );
        let ctx = ctx(bytes);
        let mut heap = GlobalHeap::new();
        assert_eq!(heap.object(&ctx, 0, 1).unwrap(), b"hello");
        assert_eq!(heap.object(&ctx, 0, 2).unwrap(), b"");
        assert_eq!(heap.object(&ctx, 0, 3).unwrap(), b"a longer string!");
        assert!(heap.object(&ctx, 0, 4).is_err());
    }

    #[test]
    fn sizes_collections_without_tiny_tails() {
        assert_eq!(encode_collection(&[]).unwrap().len(), 4096);
        // 16 + 16 + 4064 = 4096 exactly: no free object.
        let big = vec![7u8; 4064];
        let bytes = encode_collection(&[&big]).unwrap();
        assert_eq!(bytes.len(), 4096);
        assert_eq!(
            GlobalHeap::new().object(&ctx(bytes), 0, 1).unwrap(),
            &big[..]
        );
        // 8 bytes left over: grown so a free object fits.
        let big = vec![7u8; 4056];
        let bytes = encode_collection(&[&big]).unwrap();
        assert_eq!(bytes.len(), 4104);
        assert_eq!(
            &bytes[4088..4104],
            &[0, 0, 0, 0, 0, 0, 0, 0, 16, 0, 0, 0, 0, 0, 0, 0]
        );
        // Larger than the minimum: exactly as big as needed.
        let big = vec![1u8; 10_001];
        let bytes = encode_collection(&[&big, b"x"]).unwrap();
        assert_eq!(bytes.len() as u64, 16 + 16 + 10_008 + 16 + 8);
        assert_eq!(&bytes[8..16], &(bytes.len() as u64).to_le_bytes());
        let mut heap = GlobalHeap::new();
        let ctx = ctx(bytes);
        assert_eq!(heap.object(&ctx, 0, 1).unwrap(), &big[..]);
        assert_eq!(heap.object(&ctx, 0, 2).unwrap(), b"x");
        // Too many objects.
        let many = vec![&b""[..]; MAX_OBJECTS + 1];
        assert!(encode_collection(&many).is_err());
    }
}
