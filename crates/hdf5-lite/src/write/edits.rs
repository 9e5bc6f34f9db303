//! Editing the contents of existing objects: dataset elements (spec IV.A.2.i data
//! layout; the element writing itself is in `data`), stored chunks, shapes, and
//! attributes (spec IV.A.2.m). Each edit loads its object (and the groups above it)
//! into the staged tree first, so a refused edit leaves the file untouched.

use crate::error::{Error, Result};
use crate::read::{self, Hyperslab, Numeric};
use crate::write::elements::{attribute_message, encode_strings};
use crate::write::heap_owners::{canonical, Owner};
use crate::write::nav::attrs_of;
use crate::write::{encode_numbers, AttrData, AttrValue, Space, Writer};

impl Writer {
    /// Writes raw elements (in the dataset's datatype, C order) to a hyperslab.
    pub fn write_raw(&mut self, path: &str, sel: &Hyperslab, data: &[u8]) -> Result<()> {
        self.edit(|w| {
            let (node, mut space) = w.dataset_and_space(path)?;
            let refs = read::live::heap_refs(&node.datatype) != Some(false);
            node.write(&mut space, sel, data)?;
            if refs {
                // Raw references: whose they are is not known.
                w.owners.disable();
            }
            Ok(())
        })
    }

    /// Writes numbers to the hyperslab `start`/`count`, converted to the dataset's type
    /// (read in place, without a copy, when they already are its little-endian bytes).
    pub fn write_numbers<T: Numeric>(
        &mut self,
        path: &str,
        start: &[u64],
        count: &[u64],
        values: &[T],
    ) -> Result<()> {
        self.edit(|w| {
            let (node, mut space) = w.dataset_and_space(path)?;
            let raw = match T::as_le_bytes(values) {
                Some(bytes) if T::datatype() == node.datatype => std::borrow::Cow::Borrowed(bytes),
                _ => std::borrow::Cow::Owned(encode_numbers(values, &node.datatype)?),
            };
            node.write(
                &mut space,
                &Hyperslab {
                    start: start.to_vec(),
                    count: count.to_vec(),
                },
                &raw,
            )
        })
    }

    /// Writes strings to the hyperslab `start`/`count` of a string dataset (variable-length
    /// strings go to the global heap; fixed-length ones are padded and must fit).
    pub fn write_strings(
        &mut self,
        path: &str,
        start: &[u64],
        count: &[u64],
        values: &[&str],
    ) -> Result<()> {
        self.edit(|w| {
            let (node, mut space) = w.dataset_and_space(path)?;
            space.heap.owner = Some(Owner::Data(canonical(path)));
            let raw = encode_strings(&mut space, &node.datatype, values);
            space.heap.owner = None;
            let raw = raw?;
            node.write(
                &mut space,
                &Hyperslab {
                    start: start.to_vec(),
                    count: count.to_vec(),
                },
                &raw,
            )
        })
    }

    /// Stores one chunk as it is, already filtered (compressed) by the dataset's filter
    /// pipeline: `offset` is its first element (a multiple of the chunk shape),
    /// `filter_mask` has bit i set when filter i was skipped. With
    /// [`File::read_raw_chunk`](crate::read::File::read_raw_chunk) this copies
    /// compressed chunks without decoding them.
    pub fn write_raw_chunk(
        &mut self,
        path: &str,
        offset: &[u64],
        filter_mask: u32,
        bytes: &[u8],
    ) -> Result<()> {
        self.edit(|w| {
            let (node, mut space) = w.dataset_and_space(path)?;
            let refs = read::live::heap_refs(&node.datatype) != Some(false);
            node.write_raw_chunk(&mut space, offset, filter_mask, bytes)?;
            if refs {
                w.owners.disable();
            }
            Ok(())
        })
    }

    /// Changes a chunked dataset's shape within its maximum shape.
    pub fn resize(&mut self, path: &str, shape: &[u64]) -> Result<()> {
        self.edit(|w| {
            let (node, mut space) = w.dataset_and_space(path)?;
            node.resize(&mut space, shape)
        })
    }

    /// Creates or replaces the attribute `name` of the object at `path`. An attribute
    /// message too large for a version 1 object header (over 65528 bytes) makes the
    /// object's attributes dense (a version 2 header, as libhdf5 writes them); they turn
    /// compact again when no large one is left.
    pub fn set_attribute(&mut self, path: &str, name: &str, value: &AttrValue) -> Result<()> {
        self.edit(|w| {
            // Load (and so validate) the target before writing any string to the heap, so
            // that a refused edit leaves the file untouched.
            w.node(path)?;
            let mut space = Space::new(w.storage.as_ref(), &mut w.alloc, &mut w.heap, w.k);
            space.heap.owner = Some(Owner::Attr(canonical(path), name.to_owned()));
            let message = attribute_message(&mut space, name, value);
            space.heap.owner = None;
            let message = message?;
            // Refuses what cannot be encoded now rather than at commit.
            message.encode()?;
            attrs_of(w.node(path)?).insert(name.to_owned(), message);
            w.owners.kill_attr(path, name);
            if matches!(value.data, AttrData::Raw(_))
                && read::live::heap_refs(&value.datatype) != Some(false)
            {
                w.owners.disable();
            }
            Ok(())
        })
    }

    /// Deletes the attribute `name` of the object at `path`.
    pub fn delete_attribute(&mut self, path: &str, name: &str) -> Result<()> {
        self.edit(|w| match attrs_of(w.node(path)?).remove(name) {
            Some(_) => {
                w.owners.kill_attr(path, name);
                Ok(())
            }
            None => Err(Error::NotFound {
                path: format!("{path}@{name}"),
            }),
        })
    }
}
