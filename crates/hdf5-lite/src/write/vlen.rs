//! Variable-length data (spec III.E global heap, IV.A.2.d datatype class 9): packing
//! objects into global heap collections and encoding the 16-byte references that
//! dataset elements and attribute values hold.
//!
//! Objects are packed in order into collections of [`MIN_COLLECTION_SIZE`] bytes (the
//! size libhdf5 creates, and the smallest it reads), at most 65535 objects each; an
//! object too big for that gets a collection of its own, sized to fit. A writer's
//! transaction keeps one collection open (`OpenHeap`), so that all its strings share
//! collections instead of taking one each.

use std::collections::BTreeSet;

use crate::error::Result;
use crate::format::global_heap::{
    collection_size, encode_collection, object_footprint, MAX_OBJECTS, MIN_COLLECTION_SIZE,
};
use crate::format::{Allocate, Block};
use crate::write::heap_owners::{Created, Owner};

/// Where each object went, (collection address, object index), and the encoded
/// collections.
pub type Packed = (Vec<(u64, u32)>, Vec<Block>);

/// The 16-byte reference to a variable-length value: its length (bytes for a string,
/// elements for a sequence), the collection address and the object index.
pub fn encode_reference(len: u32, collection: u64, index: u32) -> [u8; 16] {
    let mut b = [0u8; 16];
    b[..4].copy_from_slice(&len.to_le_bytes());
    b[4..12].copy_from_slice(&collection.to_le_bytes());
    b[12..].copy_from_slice(&index.to_le_bytes());
    b
}

/// Packs `objects` into new global heap collections allocated from `alloc`. Returns the
/// (collection address, object index) of each object, in order, and the encoded
/// collections.
pub fn build(objects: &[&[u8]], alloc: &mut dyn Allocate) -> Result<Packed> {
    let mut places = Vec::with_capacity(objects.len());
    let mut blocks = Vec::new();
    let mut start = 0;
    while start < objects.len() {
        // Take objects while they fit in a minimum-size collection (always at least one).
        let mut used = 0u64;
        let mut end = start;
        for o in objects.iter().skip(start) {
            let fp = object_footprint(o);
            let fits = collection_size(used.saturating_add(fp)) <= MIN_COLLECTION_SIZE;
            if end > start && (!fits || end - start >= MAX_OBJECTS) {
                break;
            }
            used = used.saturating_add(fp);
            end += 1;
        }
        let run = objects.get(start..end).unwrap_or(&[]);
        let bytes = encode_collection(run)?;
        let address = alloc.allocate(bytes.len() as u64);
        places.extend((1u32..).take(run.len()).map(|index| (address, index)));
        blocks.push(Block { address, bytes });
        start = end;
    }
    Ok((places, blocks))
}

/// The global heap collection that the strings of one transaction go into: objects are
/// added while it has room, and a new collection is started when it is full. Its bytes
/// are written when it fills up and each time the transaction's tree is written, at the
/// same place (it is the transaction's own space until the commit).
#[derive(Debug, Default)]
pub(crate) struct OpenHeap {
    current: Option<Collection>,
    /// Whose strings are being added (set around each write of strings; `None`: no
    /// known owner).
    pub(crate) owner: Option<Owner>,
    /// The collections opened by the transaction.
    created: Created,
}

#[derive(Debug)]
struct Collection {
    address: u64,
    capacity: u64,
    used: u64,
    /// The objects end to end, and where each ends in `bytes`.
    bytes: Vec<u8>,
    ends: Vec<usize>,
}

impl Collection {
    fn block(&self) -> Result<Block> {
        let starts = std::iter::once(0).chain(self.ends.iter().copied());
        let refs: Vec<&[u8]> = starts
            .zip(&self.ends)
            .map(|(start, &end)| &self.bytes[start..end])
            .collect();
        Ok(Block {
            address: self.address,
            bytes: encode_collection(&refs)?,
        })
    }
}

impl OpenHeap {
    /// Adds `object`; returns its (collection address, index) and the block of a
    /// collection that filled up and must be written now, if any.
    pub(crate) fn add(
        &mut self,
        object: &[u8],
        alloc: &mut dyn Allocate,
    ) -> Result<((u64, u32), Option<Block>)> {
        let fp = object_footprint(object);
        let fits = |c: &Collection| {
            c.ends.len() < MAX_OBJECTS && collection_size(c.used.saturating_add(fp)) <= c.capacity
        };
        let mut full = None;
        if !self.current.as_ref().is_some_and(fits) {
            if let Some(done) = self.current.take() {
                full = Some(done.block()?);
            }
            let capacity = collection_size(fp);
            let address = alloc.allocate(capacity);
            self.created
                .push((address, capacity, Some(BTreeSet::new())));
            self.current = Some(Collection {
                address,
                capacity,
                used: 0,
                bytes: Vec::new(),
                ends: Vec::new(),
            });
        }
        if let Some((_, _, owners)) = self.created.last_mut() {
            match (&self.owner, owners.as_mut()) {
                // Most objects of a collection have one owner: no copy of it
                // for each.
                (Some(o), Some(set)) if !set.contains(o) => {
                    set.insert(o.clone());
                }
                (Some(_), Some(_)) => {}
                _ => *owners = None,
            }
        }
        let Some(c) = self.current.as_mut() else {
            return Err(crate::Error::InvalidInput("no open heap collection".into()));
        };
        c.used = c.used.saturating_add(fp);
        c.bytes.extend_from_slice(object);
        c.ends.push(c.bytes.len());
        Ok(((c.address, c.ends.len() as u32), full))
    }

    /// Bytes of objects (see `object_footprint`) the open collection still takes; `None`
    /// when no collection is open.
    pub(crate) fn room(&self) -> Option<u64> {
        self.current
            .as_ref()
            // The collection header, and room for a free-space object after.
            .map(|c| c.capacity.saturating_sub(c.used + 32))
    }

    /// The open collection's bytes, to write before a superblock points at them.
    pub(crate) fn block(&self) -> Result<Option<Block>> {
        self.current.as_ref().map(Collection::block).transpose()
    }

    /// The collections the transaction opened, with their owners (for the record of
    /// [`HeapOwners`](crate::write::heap_owners::HeapOwners) once it commits).
    pub(crate) fn take_created(&mut self) -> Created {
        std::mem::take(&mut self.created)
    }

    /// Closes the open collection (after a commit or a rollback).
    pub(crate) fn reset(&mut self) {
        self.current = None;
        self.owner = None;
        self.created.clear();
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::format::chunk_index::testutil::Image;
    use crate::format::global_heap::GlobalHeap;
    use crate::write::free_space::FreeSpace;
    use proptest::prelude::*;

    #[test]
    fn references_are_length_address_index() {
        assert_eq!(
            encode_reference(5, 0x0102_0304_0506_0708, 0x0a0b_0c0d),
            [5, 0, 0, 0, 8, 7, 6, 5, 4, 3, 2, 1, 0x0d, 0x0c, 0x0b, 0x0a]
        );
    }

    #[test]
    fn packs_small_objects_and_isolates_big_ones() {
        let big = vec![9u8; 5000];
        let objects: [&[u8]; 4] = [b"Actb", &big, b"Gapdh", b""];
        let mut alloc = FreeSpace::new(800);
        let (places, blocks) = build(&objects, &mut alloc).unwrap();
        // "Actb" alone (the big one does not fit with it), the big one alone (exactly
        // sized, no free space), then the
        // last two together.
        assert_eq!(blocks.len(), 3);
        let sizes: Vec<usize> = blocks.iter().map(|b| b.bytes.len()).collect();
        assert_eq!(sizes, vec![4096, 16 + 16 + 5000, 4096]);
        assert_eq!(
            places,
            vec![
                (800, 1),
                (800 + 4096, 1),
                (800 + 4096 + 5032, 1),
                (800 + 4096 + 5032, 2)
            ]
        );
        let mut img = Image::default();
        for b in &blocks {
            img.put(b.address, &b.bytes);
        }
        let ctx = img.ctx();
        let mut heap = GlobalHeap::new();
        assert_eq!(
            heap.object(&ctx, places[0].0, places[0].1).unwrap(),
            b"Actb"
        );
        assert_eq!(heap.object(&ctx, places[1].0, 1).unwrap(), &big[..]);
        assert_eq!(heap.object(&ctx, places[2].0, 1).unwrap(), b"Gapdh");
        assert_eq!(heap.object(&ctx, places[3].0, 2).unwrap(), b"");
        // Nothing to write: no collections.
        assert_eq!(build(&[], &mut alloc).unwrap(), (vec![], vec![]));
    }

    #[test]
    fn at_most_65535_objects_per_collection() {
        let objects = vec![&b""[..]; 70_000];
        let mut alloc = FreeSpace::new(0);
        let (places, blocks) = build(&objects, &mut alloc).unwrap();
        // 16 bytes each: 255 fit in 4096 bytes, far below the index limit.
        assert_eq!(places.len(), 70_000);
        assert!(places.iter().all(|&(_, i)| (1..=255).contains(&i)));
        assert_eq!(blocks.len(), 70_000usize.div_ceil(255));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]
        #[test]
        fn round_trips_through_the_reader(
            objects in prop::collection::vec(
                prop_oneof![
                    8 => prop::collection::vec(any::<u8>(), 0..40),
                    1 => prop::collection::vec(any::<u8>(), 0..9000),
                ],
                0..400),
        ) {
            let refs: Vec<&[u8]> = objects.iter().map(Vec::as_slice).collect();
            let mut alloc = FreeSpace::new(96);
            let (places, blocks) = build(&refs, &mut alloc).unwrap();
            prop_assert_eq!(places.len(), objects.len());
            let mut img = Image::default();
            for b in &blocks {
                prop_assert!(b.bytes.len() as u64 >= MIN_COLLECTION_SIZE);
                prop_assert_eq!(b.bytes.len() % 8, 0);
                img.put(b.address, &b.bytes);
            }
            let ctx = img.ctx();
            let mut heap = GlobalHeap::new();
            for (o, &(collection, index)) in objects.iter().zip(&places) {
                prop_assert_eq!(heap.object(&ctx, collection, index).unwrap(), &o[..]);
            }
        }
    }
}
