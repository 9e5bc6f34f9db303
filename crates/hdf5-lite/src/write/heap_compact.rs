//! Moving the strings of nearly empty global heap collections into the transaction's
//! open one, at commit.
//!
//! A collection is at least 4 KiB (libhdf5 rejects smaller ones), and a session of small
//! edits leaves many that hold a few live strings each: the `last_modified` stamp of an
//! object edited once, a short attribute. When the committing transaction has opened a
//! collection with room to spare, the owners of older collections (see `heap_owners`)
//! are rewritten with their strings in it, the emptiest collections first: an attribute
//! gets new references, a small dataset of strings that the transaction did not touch
//! is written anew. The old collections are then referenced by nothing and are freed
//! with the commit. Owners are moved only while the open collection has room, so
//! compacting never opens a collection of its own, and a commit moves at most one
//! collection's worth of strings.

use std::collections::BTreeSet;

use crate::error::Result;
use crate::format::global_heap::{object_footprint, GlobalHeap};
use crate::format::messages::Datatype;
use crate::read::{File, Hyperslab, Object};
use crate::write::heap_owners::Owner;
use crate::write::nav::{attrs_of, find_loaded, split};
use crate::write::{vlen, Space, Writer};

/// Datasets with more elements than this are never rewritten to free a collection at
/// commit (each commit's share of this work stays small).
const MAX_ELEMENTS: usize = 1024;

/// The same bound for the compacting close (`compact`), which moves every collection
/// above its boundary in one commit: a string attribute of every cell (a permuted or
/// appended `CellID`) must be able to move, or it pins everything below it. At most
/// 2^22 elements: 64 MiB of references, read once per dataset.
const CLOSE_MAX_ELEMENTS: usize = 1 << 22;

/// An owner's references and the strings they point at, read before anything moves.
struct Moving {
    owner: Owner,
    /// The owner's raw elements (16-byte references).
    raw: Vec<u8>,
    /// (element index, string bytes) of every non-empty element.
    strings: Vec<(usize, Vec<u8>)>,
    /// The dataset's shape (for `Owner::Data`).
    shape: Vec<u64>,
}

impl Writer {
    /// Moves the owners of underused collections into the open collection (see the
    /// module documentation).
    pub(super) fn compact_heap(&mut self) -> Result<()> {
        let (Some(mut room), Some(file)) = (self.heap.room(), self.committed.clone()) else {
            return Ok(());
        };
        let mut heap = GlobalHeap::new();
        let mut candidates = Vec::new();
        for (_, _, owners) in self.owners.survivors() {
            let Some(moving) = self.read_owners(&file, &mut heap, &owners, MAX_ELEMENTS)? else {
                continue;
            };
            let footprint: u64 = moving
                .iter()
                .flat_map(|m| &m.strings)
                .map(|(_, s)| object_footprint(s))
                .sum();
            candidates.push((footprint, moving));
        }
        // The emptiest collections first: each one moved frees a whole collection.
        candidates.sort_by_key(|c| c.0);
        let mut moved = BTreeSet::new();
        for (footprint, moving) in candidates {
            if footprint > room {
                break;
            }
            room -= footprint;
            for m in moving {
                // An owner with strings in several collections moves once, whole.
                if moved.insert(m.owner.clone()) {
                    self.rehome(m)?;
                }
            }
        }
        Ok(())
    }

    /// Moves the strings of every owner in `owners` (but those in `moved`) into the
    /// open collection, opening collections as needed; false when one of them cannot be
    /// moved (and then none is). For the compacting close: datasets up to
    /// [`CLOSE_MAX_ELEMENTS`] are rewritten.
    pub(super) fn rehome_all(
        &mut self,
        file: &File,
        owners: &[Owner],
        moved: &mut BTreeSet<Owner>,
    ) -> Result<bool> {
        // An owner moved for another collection has all its strings moved already
        // (and, a dataset, is staged now, so it could not be read back as committed).
        let owners: Vec<Owner> = owners
            .iter()
            .filter(|o| !moved.contains(*o))
            .cloned()
            .collect();
        let mut heap = GlobalHeap::new();
        let Some(moving) = self.read_owners(file, &mut heap, &owners, CLOSE_MAX_ELEMENTS)? else {
            return Ok(false);
        };
        for m in moving {
            if moved.insert(m.owner.clone()) {
                self.rehome(m)?;
            }
        }
        Ok(true)
    }

    /// Whether the strings of `owner` can move at a compacting close.
    pub(super) fn movable(&mut self, file: &File, owner: &Owner) -> Result<bool> {
        let owners = std::slice::from_ref(owner);
        Ok(self
            .read_owners(file, &mut GlobalHeap::new(), owners, CLOSE_MAX_ELEMENTS)?
            .is_some())
    }

    /// What each owner references, or `None` when one of them cannot be moved.
    /// Datasets of more than `max_elements` elements cannot.
    fn read_owners(
        &mut self,
        file: &File,
        heap: &mut GlobalHeap,
        owners: &[Owner],
        max_elements: usize,
    ) -> Result<Option<Vec<Moving>>> {
        let mut out = Vec::new();
        for owner in owners {
            let (raw, datatype, shape) = match owner {
                Owner::Shared => return Ok(None),
                Owner::Attr(path, name) => {
                    let attrs = match file.object(path)? {
                        Object::Group(g) => g.attribute(name)?,
                        Object::Dataset(d) => d.attribute(name)?,
                        Object::Datatype(_) => return Ok(None),
                    };
                    (attrs.raw().to_vec(), attrs.datatype().clone(), Vec::new())
                }
                Owner::Data(path) => {
                    let touched = match (&mut self.root, split(path)) {
                        (Some(root), Ok(parts)) => find_loaded(root, &parts).is_some(),
                        (None, _) => false,
                        (_, Err(_)) => true,
                    };
                    if touched {
                        return Ok(None);
                    }
                    let d = file.dataset(path)?;
                    (d.read_raw()?, d.datatype().clone(), d.shape().to_vec())
                }
            };
            if !matches!(datatype, Datatype::VarLenString { .. })
                || raw.len() % 16 != 0
                || raw.len() / 16 > max_elements
            {
                return Ok(None);
            }
            let mut strings = Vec::new();
            for (i, element) in raw.chunks_exact(16).enumerate() {
                let (collection, index) = reference(element);
                if collection != 0 {
                    strings.push((i, heap.object(file.ctx(), collection, index)?.to_vec()));
                }
            }
            out.push(Moving {
                owner: owner.clone(),
                raw,
                strings,
                shape,
            });
        }
        Ok(Some(out))
    }

    /// Writes `m`'s strings to the open collection and points its owner at them.
    fn rehome(&mut self, m: Moving) -> Result<()> {
        let mut raw = m.raw;
        let space = Space::new(
            self.storage.as_ref(),
            &mut self.alloc,
            &mut self.heap,
            self.k,
        );
        space.heap.owner = Some(m.owner.clone());
        let written = m.strings.iter().try_for_each(|(i, s)| {
            let ((collection, index), full) = space.heap.add(s, space.alloc)?;
            if let Some(block) = full {
                space.put(block.address, &block.bytes)?;
            }
            let len = u32::try_from(s.len()).unwrap_or(u32::MAX);
            raw[i * 16..i * 16 + 16]
                .copy_from_slice(&vlen::encode_reference(len, collection, index));
            Ok::<(), crate::Error>(())
        });
        space.heap.owner = None;
        written?;
        match &m.owner {
            Owner::Attr(path, name) => {
                if let Some(message) = attrs_of(self.node(path)?).get_mut(name) {
                    message.data = raw;
                }
                self.owners.kill_attr(path, name);
            }
            Owner::Data(path) => {
                let (node, mut space) = self.dataset_and_space(path)?;
                let sel = Hyperslab {
                    start: vec![0; m.shape.len()],
                    count: m.shape.clone(),
                };
                node.write(&mut space, &sel, &raw)?;
                self.owners.kill_data(path);
            }
            Owner::Shared => {}
        }
        Ok(())
    }
}

/// The (collection address, object index) of a 16-byte variable-length reference.
fn reference(element: &[u8]) -> (u64, u32) {
    let mut a = [0u8; 8];
    a.copy_from_slice(&element[4..12]);
    let mut i = [0u8; 4];
    i.copy_from_slice(&element[12..16]);
    (u64::from_le_bytes(a), u32::from_le_bytes(i))
}
