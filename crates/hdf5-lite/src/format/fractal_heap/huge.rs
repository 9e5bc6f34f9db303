//! Huge objects of a fractal heap (spec III.G, "Fractal Heap ID for Huge Objects"):
//! objects above the heap's maximum managed size, each stored on its own. An ID either
//! holds the object's address and length, or (when those do not fit in it) a key into a
//! v2 B-tree of type 1 records giving them.
//!
//! The writer stores every attribute of a dense attribute storage as a huge object
//! found through the B-tree, in a heap with libhdf5's parameters for attribute heaps and
//! no managed objects ([`HugeObjects::encode_header`]): libhdf5 reads an object by the
//! kind its ID names, whatever its size, and adds managed objects to such a heap as to
//! a fresh one.

use crate::error::{Error, Result};
use crate::format::btree_v2::records::HugeObject;
use crate::format::btree_v2::BTreeV2;
use crate::format::checksum::lookup3;
use crate::format::{Ctx, UNDEF};

use super::{FractalHeap, HEADER, HEAP_ID};

/// Bytes of the heap IDs the writer uses (libhdf5's for attribute heaps).
pub const ID_LEN: usize = 8;

/// The huge objects of a heap written with no managed objects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HugeObjects {
    /// The v2 B-tree (type 1) indexing them, UNDEF when there are none.
    pub btree: u64,
    /// How many there are.
    pub count: u64,
    /// Their total size in bytes.
    pub bytes: u64,
    /// The highest ID handed out (libhdf5 hands out 1, 2, … and records the last).
    pub last_id: u64,
}

impl HugeObjects {
    /// The heap ID of the huge object `id`, found through the B-tree: type 1 in bits
    /// 4-5 of byte 0, then the ID in the remaining 7 bytes. An ID of 2^56 or more does not
    /// fit: an error.
    pub fn heap_id(id: u64) -> Result<[u8; ID_LEN]> {
        if id >> 56 != 0 {
            return Err(Error::unsupported(format!(
                "huge object ID {id} does not fit in a {ID_LEN}-byte heap ID"
            )));
        }
        let mut b = [0u8; ID_LEN];
        b[0] = 0x10;
        b[1..].copy_from_slice(&id.to_le_bytes()[..ID_LEN - 1]);
        Ok(b)
    }

    /// Encodes the header of a heap holding only these huge objects (8-byte offsets and
    /// lengths; spec III.G "Fractal Heap Header"), with the parameters libhdf5 gives the
    /// heaps of dense attributes: 8-byte IDs, checksummed direct blocks, managed objects
    /// up to 4096 bytes, a doubling table 4 wide from 1024-byte blocks to 64 KiB direct
    /// blocks, 40-bit heap offsets, no root block yet.
    pub fn encode_header(&self) -> Vec<u8> {
        let mut b = Vec::with_capacity(HEADER_LEN);
        b.extend_from_slice(b"FRHP");
        b.push(0); // version
        b.extend_from_slice(&(ID_LEN as u16).to_le_bytes());
        b.extend_from_slice(&0u16.to_le_bytes()); // no I/O filters
        b.push(0x02); // flags: direct blocks are checksummed
        b.extend_from_slice(&4096u32.to_le_bytes()); // maximum managed object size
        b.extend_from_slice(&self.last_id.to_le_bytes()); // next huge object ID
        b.extend_from_slice(&self.btree.to_le_bytes());
        b.extend_from_slice(&0u64.to_le_bytes()); // free space in managed blocks
        b.extend_from_slice(&UNDEF.to_le_bytes()); // free-space manager
        b.extend_from_slice(&0u64.to_le_bytes()); // managed space
        b.extend_from_slice(&0u64.to_le_bytes()); // allocated managed space
        b.extend_from_slice(&0u64.to_le_bytes()); // direct block allocation iterator
        b.extend_from_slice(&0u64.to_le_bytes()); // managed objects
        b.extend_from_slice(&self.bytes.to_le_bytes());
        b.extend_from_slice(&self.count.to_le_bytes());
        b.extend_from_slice(&0u64.to_le_bytes()); // tiny object bytes
        b.extend_from_slice(&0u64.to_le_bytes()); // tiny objects
        b.extend_from_slice(&4u16.to_le_bytes()); // table width
        b.extend_from_slice(&1024u64.to_le_bytes()); // starting block size
        b.extend_from_slice(&65536u64.to_le_bytes()); // maximum direct block size
        b.extend_from_slice(&40u16.to_le_bytes()); // maximum heap size, in bits
        b.extend_from_slice(&1u16.to_le_bytes()); // starting rows of the root indirect block
        b.extend_from_slice(&UNDEF.to_le_bytes()); // root block
        b.extend_from_slice(&0u16.to_le_bytes()); // rows of the root indirect block
        b.extend_from_slice(&lookup3(&b, 0).to_le_bytes());
        b
    }
}

/// Bytes of an encoded header without filters, with 8-byte offsets and lengths.
pub const HEADER_LEN: usize = 146;

impl FractalHeap {
    /// A huge object: stored on its own, found from the ID or the huge-object B-tree.
    pub(super) fn huge(&self, ctx: &Ctx, heap_id: &[u8]) -> Result<Vec<u8>> {
        if self.filter_len > 0 {
            return Err(Error::unsupported("filtered fractal heap"));
        }
        let o = usize::from(ctx.sizes.offsets);
        let l = usize::from(ctx.sizes.lengths);
        let room = self.id_len() - 1;
        let mut c = ctx.cursor(heap_id, self.address, HEAP_ID);
        c.skip(1)?;
        if room >= o + l {
            // Directly accessed: the address and length are in the ID.
            let addr = c.offset()?;
            let len = c.length()?;
            return Ok(ctx.read(addr, len)?.into_owned());
        }
        // Indirectly accessed: the ID is a key into the v2 B-tree (record type 1).
        let key = c.uint(room.min(8))?;
        if self.huge_btree == UNDEF {
            return Err(Error::corrupt(
                HEADER,
                self.address,
                "huge object ID but no huge object B-tree",
            ));
        }
        let tree = BTreeV2::read(ctx, self.huge_btree)?;
        if tree.record_type != 1 {
            return Err(Error::corrupt(
                HEADER,
                self.address,
                format!(
                    "huge object B-tree has record type {}, expected 1",
                    tree.record_type
                ),
            ));
        }
        for record in tree.records(ctx)? {
            let r = HugeObject::decode(&mut ctx.cursor(
                &record,
                self.huge_btree,
                "huge object record",
            ))?;
            if r.id == key {
                return Ok(ctx.read(r.address, r.length)?.into_owned());
            }
        }
        Err(Error::corrupt(
            HEAP_ID,
            self.address,
            format!("no huge object with ID {key}"),
        ))
    }

    /// The extents of the huge objects and of their B-tree; `None` when the IDs hold
    /// the objects' addresses (only the IDs' owners know them).
    pub(super) fn huge_extents(&self, ctx: &Ctx) -> Result<Option<Vec<(u64, u64)>>> {
        let direct =
            self.id_len() > usize::from(ctx.sizes.offsets) + usize::from(ctx.sizes.lengths);
        if direct || self.filter_len > 0 {
            return Ok(None);
        }
        if self.huge_btree == UNDEF {
            return Ok(Some(Vec::new()));
        }
        let tree = BTreeV2::read(ctx, self.huge_btree)?;
        let (records, nodes) = tree.records_and_nodes(ctx)?;
        let mut out = vec![(self.huge_btree, tree.header_len(ctx))];
        out.extend(nodes.into_iter().map(|a| (a, u64::from(tree.node_size))));
        for record in records {
            let r = HugeObject::decode(&mut ctx.cursor(
                &record,
                self.huge_btree,
                "huge object record",
            ))?;
            out.push((r.address, r.length));
        }
        Ok(Some(out))
    }
}
