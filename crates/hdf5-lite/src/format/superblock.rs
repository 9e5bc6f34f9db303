//! The superblock (spec II.A, versions 0 to 3) and the superblock extension (II.C).
//!
//! The superblock sits at the first of the offsets 0, 512, 1024, 2048, … that holds the
//! format signature; whatever precedes it is the userblock. Like libhdf5, hdf5-lite takes
//! every address in the file as relative to the signature's offset (libhdf5 writes that
//! offset in the base address field, and when the stored field disagrees it assumes the
//! file was moved and uses the signature's offset anyway).

use crate::error::{Error, Result};
use crate::format::checksum::lookup3;
use crate::format::messages::{kind, BTreeK};
use crate::format::object_header::ObjectHeader;
use crate::format::{Cursor, Sizes, UNDEF};
use crate::storage::Source;

/// The decoded superblock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Superblock {
    /// Superblock version, 0 to 3.
    pub version: u8,
    /// File offset of the format signature (0, or the userblock size).
    pub signature_offset: u64,
    /// Sizes of offsets and lengths.
    pub sizes: Sizes,
    /// Base address that all addresses are relative to (a file offset).
    pub base_address: u64,
    /// End-of-file address.
    pub eof_address: u64,
    /// Address of the root group's object header.
    pub root_object_header: u64,
    /// The root symbol table entry's cached (B-tree, local heap) addresses, when the
    /// entry has cache type 1 (versions 0 and 1).
    pub root_cache: Option<(u64, u64)>,
    /// K of group leaf nodes (v0/v1 field, or the extension's B-tree K message).
    pub group_leaf_k: u16,
    /// K of group internal nodes.
    pub group_internal_k: u16,
    /// K of chunk index v1 B-trees.
    pub indexed_storage_k: u16,
    /// Address of the superblock extension's object header (versions 2 and 3), if any.
    pub extension: Option<u64>,
}

/// The format signature, `\x89HDF\r\n\x1a\n`.
pub const SIGNATURE: [u8; 8] = [0x89, b'H', b'D', b'F', b'\r', b'\n', 0x1a, b'\n'];

/// Name used in errors.
const STRUCTURE: &str = "superblock";
/// Default K values (libhdf5's `H5F_CRT_SYM_LEAF_DEF`, `H5B_SNODE_IK_DEF`,
/// `H5B_CHUNK_IK_DEF`), used when the file does not store them.
const DEFAULT_GROUP_LEAF_K: u16 = 4;
const DEFAULT_GROUP_INTERNAL_K: u16 = 16;
const DEFAULT_INDEXED_STORAGE_K: u16 = 32;
/// More than the largest superblock (v1 with 8-byte offsets: 100 bytes).
const MAX_SUPERBLOCK: u64 = 128;

impl Superblock {
    /// Finds the signature (at 0, 512, 1024, 2048, …) and decodes the superblock,
    /// verifying the v2/v3 checksum. Reading the extension's K values is
    /// [`Superblock::read_extension`]'s job.
    pub fn find(source: &Source) -> Result<Self> {
        let mut at = 0u64;
        loop {
            let Some(end) = at.checked_add(SIGNATURE.len() as u64) else {
                return Err(Error::NotHdf5);
            };
            if end > source.len() {
                return Err(Error::NotHdf5);
            }
            if source.read(at, SIGNATURE.len() as u64)?.as_ref() == SIGNATURE {
                let bytes = source.read_up_to(at, MAX_SUPERBLOCK)?;
                return Self::decode(&bytes, at);
            }
            at = if at == 0 {
                512
            } else {
                match at.checked_mul(2) {
                    Some(next) => next,
                    None => return Err(Error::NotHdf5),
                }
            };
        }
    }

    /// Decodes a superblock from `bytes`, which start with the signature found at file
    /// offset `at` and run to the end of the superblock or further.
    fn decode(bytes: &[u8], at: u64) -> Result<Self> {
        let mut c = Cursor::new(bytes, at, STRUCTURE, Sizes::default());
        c.skip(SIGNATURE.len())?;
        let version = c.u8()?;
        match version {
            0 | 1 => Self::decode_v0_v1(c, version),
            2 | 3 => Self::decode_v2_v3(c, version),
            v => Err(Error::unsupported(format!("superblock version {v}"))),
        }
    }

    fn decode_v0_v1(mut c: Cursor<'_>, version: u8) -> Result<Self> {
        let at = c.base();
        let free_space_version = c.u8()?;
        let root_entry_version = c.u8()?;
        c.skip(1)?;
        let shared_header_version = c.u8()?;
        for (what, v) in [
            ("free space", free_space_version),
            ("root group symbol table entry", root_entry_version),
            ("shared header message", shared_header_version),
        ] {
            if v != 0 {
                return Err(c.corrupt(format!("{what} version {v} (only 0 is defined)")));
            }
        }
        let sizes = read_sizes(&mut c)?;
        c.skip(1)?;
        let group_leaf_k = c.u16()?;
        let group_internal_k = c.u16()?;
        let _consistency_flags = c.u32()?;
        let indexed_storage_k = if version == 1 {
            let k = c.u16()?;
            c.skip(2)?;
            k
        } else {
            DEFAULT_INDEXED_STORAGE_K
        };
        for (what, k) in [
            ("group leaf node K", group_leaf_k),
            ("group internal node K", group_internal_k),
            ("indexed storage internal node K", indexed_storage_k),
        ] {
            if k == 0 {
                return Err(c.corrupt(format!("{what} is 0")));
            }
        }
        // From here on, fields are sized by the file's sizes of offsets and lengths.
        let pos = c.pos();
        let mut c = Cursor::new(c.all(), at, STRUCTURE, sizes);
        c.seek(pos)?;
        let _stored_base = c.offset()?;
        let _free_space = c.offset()?;
        let eof_address = c.offset()?;
        let _driver_info = c.offset()?;
        // Root group symbol table entry (III.C).
        let _link_name_offset = c.offset()?;
        let root_object_header = c.offset()?;
        let cache_type = c.u32()?;
        c.skip(4)?;
        let scratch = c.bytes(16)?;
        if root_object_header == UNDEF {
            return Err(c.corrupt("root group object header at the undefined address"));
        }
        let root_cache = match cache_type {
            0 => None,
            1 => {
                let mut s = Cursor::new(scratch, c.file_pos() - 16, STRUCTURE, sizes);
                Some((s.offset()?, s.offset()?))
            }
            t => return Err(c.corrupt(format!("root group symbol table entry cache type {t}"))),
        };
        Ok(Superblock {
            version,
            signature_offset: at,
            sizes,
            base_address: at,
            eof_address,
            root_object_header,
            root_cache,
            group_leaf_k,
            group_internal_k,
            indexed_storage_k,
            extension: None,
        })
    }

    fn decode_v2_v3(mut c: Cursor<'_>, version: u8) -> Result<Self> {
        let at = c.base();
        let sizes = read_sizes(&mut c)?;
        let _consistency_flags = c.u8()?;
        let pos = c.pos();
        let mut c = Cursor::new(c.all(), at, STRUCTURE, sizes);
        c.seek(pos)?;
        let _stored_base = c.offset()?;
        let extension = c.offset()?;
        let eof_address = c.offset()?;
        let root_object_header = c.offset()?;
        let covered_len = c.pos();
        let stored = c.u32()?;
        let computed = lookup3(c.all().get(..covered_len).unwrap_or_default(), 0);
        if stored != computed {
            return Err(Error::Checksum {
                structure: STRUCTURE,
                offset: at,
                stored,
                computed,
            });
        }
        if root_object_header == UNDEF {
            return Err(c.corrupt("root group object header at the undefined address"));
        }
        Ok(Superblock {
            version,
            signature_offset: at,
            sizes,
            base_address: at,
            eof_address,
            root_object_header,
            root_cache: None,
            group_leaf_k: DEFAULT_GROUP_LEAF_K,
            group_internal_k: DEFAULT_GROUP_INTERNAL_K,
            indexed_storage_k: DEFAULT_INDEXED_STORAGE_K,
            extension: (extension != UNDEF).then_some(extension),
        })
    }

    /// Applies the superblock extension's B-tree K message, if there is an extension.
    /// Other extension messages (file space info, driver info, …) are ignored.
    pub fn read_extension(&mut self, ctx: &crate::format::Ctx) -> Result<()> {
        let Some(addr) = self.extension else {
            return Ok(());
        };
        let header = ObjectHeader::read(ctx, addr)?;
        if let Some(msg) = header.find(kind::BTREE_K) {
            if msg.is_shared() {
                return Err(Error::unsupported("shared B-tree 'K' values message"));
            }
            let mut c = Cursor::new(
                &msg.data,
                msg.offset,
                "B-tree 'K' values message",
                ctx.sizes,
            );
            let k = BTreeK::decode(&mut c)?;
            self.group_leaf_k = k.group_leaf_k;
            self.group_internal_k = k.group_internal_k;
            self.indexed_storage_k = k.indexed_storage_k;
        }
        Ok(())
    }
}

impl Superblock {
    /// Encodes a version 0 superblock (spec II.A), 96 bytes, as libhdf5 writes for the
    /// "earliest" format: sizes of offsets and lengths 8, the group K values from
    /// `self`, consistency flags 0, the free-space and driver-info addresses undefined,
    /// and the root symbol table entry (cache type 1 with the B-tree and local heap
    /// addresses when [`Superblock::root_cache`] is set, else cache type 0).
    ///
    /// Only 8-byte offsets and lengths are written; other sizes are an error.
    pub fn encode_v0(&self) -> Result<Vec<u8>> {
        if self.sizes.offsets != 8 || self.sizes.lengths != 8 {
            return Err(Error::unsupported(format!(
                "writing a superblock with {}-byte offsets and {}-byte lengths (only 8 and 8)",
                self.sizes.offsets, self.sizes.lengths
            )));
        }
        let mut b = Vec::with_capacity(SUPERBLOCK_V0_LEN);
        b.extend_from_slice(&SIGNATURE);
        // Superblock, free-space, root entry versions, reserved, shared header version.
        b.extend_from_slice(&[0, 0, 0, 0, 0]);
        b.extend_from_slice(&[8, 8, 0]);
        b.extend_from_slice(&self.group_leaf_k.to_le_bytes());
        b.extend_from_slice(&self.group_internal_k.to_le_bytes());
        b.extend_from_slice(&0u32.to_le_bytes()); // consistency flags
        for addr in [self.base_address, UNDEF, self.eof_address, UNDEF] {
            b.extend_from_slice(&addr.to_le_bytes());
        }
        // Root group symbol table entry (III.C): link name offset 0, object header,
        // cache type, reserved, 16 bytes of scratch.
        b.extend_from_slice(&0u64.to_le_bytes());
        b.extend_from_slice(&self.root_object_header.to_le_bytes());
        let (cache_type, btree, heap) = match self.root_cache {
            Some((btree, heap)) => (1u32, btree, heap),
            None => (0, 0, 0),
        };
        b.extend_from_slice(&cache_type.to_le_bytes());
        b.extend_from_slice(&0u32.to_le_bytes());
        b.extend_from_slice(&btree.to_le_bytes());
        b.extend_from_slice(&heap.to_le_bytes());
        debug_assert_eq!(b.len(), SUPERBLOCK_V0_LEN);
        Ok(b)
    }
}

/// Length of a version 0 superblock with 8-byte offsets and lengths.
const SUPERBLOCK_V0_LEN: usize = 96;

/// Reads the size of offsets and size of lengths bytes; each must be 2, 4 or 8.
fn read_sizes(c: &mut Cursor<'_>) -> Result<Sizes> {
    let offsets = c.u8()?;
    let lengths = c.u8()?;
    for (what, n) in [("offsets", offsets), ("lengths", lengths)] {
        if !matches!(n, 2 | 4 | 8) {
            return Err(c.corrupt(format!("size of {what} is {n} (must be 2, 4 or 8)")));
        }
    }
    Ok(Sizes { offsets, lengths })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests;
