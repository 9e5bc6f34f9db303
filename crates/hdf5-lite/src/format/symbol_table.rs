//! Symbol table nodes "SNOD" (spec III.B) and symbol table entries (spec III.C).
//!
//! A node is `"SNOD"`, version 1, a reserved byte, the number of used entries (2 bytes),
//! then the entries. A node has room for 2K entries, but only the used ones are read.
//! An entry is the link name's offset in the group's local heap, the object header
//! address, the cache type (4), four reserved bytes and a 16-byte scratch pad.
//!
//! The encoders ([`SymbolTableEntry::encode`], [`encode_node`]) always use 8-byte offsets
//! and allocate nodes at their full size, 2K entries, as libhdf5 requires.

use crate::error::{Error, Result};
use crate::format::{Ctx, Cursor, Sizes, UNDEF};

/// A symbol table entry: a link name (as a local heap offset) and its object header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SymbolTableEntry {
    /// Offset of the name in the group's local heap.
    pub name_offset: u64,
    /// Address of the object header.
    pub object_header: u64,
    /// Cache type: 0 none, 1 group (scratch holds B-tree and heap), 2 soft link.
    pub cache_type: u32,
    /// The 16-byte scratch pad.
    pub scratch: [u8; 16],
}

impl SymbolTableEntry {
    /// Bytes in one encoded entry.
    pub fn encoded_len(sizes: Sizes) -> usize {
        2 * usize::from(sizes.offsets) + 4 + 4 + 16
    }

    /// Decodes one entry.
    pub fn decode(c: &mut Cursor<'_>) -> Result<Self> {
        let offsets = usize::from(c.sizes().offsets);
        let name_offset = c.uint(offsets)?;
        let object_header = c.offset()?;
        let cache_type = c.u32()?;
        c.skip(4)?;
        let scratch: [u8; 16] = c
            .bytes(16)?
            .try_into()
            .map_err(|_| c.corrupt("short scratch pad"))?;
        Ok(SymbolTableEntry {
            name_offset,
            object_header,
            cache_type,
            scratch,
        })
    }

    /// An entry for an object that is not a group (cache type 0, zero scratch pad).
    pub fn object(name_offset: u64, object_header: u64) -> Self {
        SymbolTableEntry {
            name_offset,
            object_header,
            cache_type: 0,
            scratch: [0; 16],
        }
    }

    /// An entry for a group, caching its B-tree and local heap addresses (cache type 1).
    pub fn group(name_offset: u64, object_header: u64, btree: u64, heap: u64) -> Self {
        let mut scratch = [0u8; 16];
        scratch[..8].copy_from_slice(&btree.to_le_bytes());
        scratch[8..].copy_from_slice(&heap.to_le_bytes());
        SymbolTableEntry {
            name_offset,
            object_header,
            cache_type: 1,
            scratch,
        }
    }

    /// Encodes the entry with 8-byte offsets (40 bytes).
    pub fn encode(&self) -> Vec<u8> {
        let mut b = Vec::with_capacity(ENTRY_LEN);
        b.extend_from_slice(&self.name_offset.to_le_bytes());
        b.extend_from_slice(&self.object_header.to_le_bytes());
        b.extend_from_slice(&self.cache_type.to_le_bytes());
        b.extend_from_slice(&[0; 4]);
        b.extend_from_slice(&self.scratch);
        b
    }

    /// For cache type 1: the cached (B-tree address, local heap address) of the group.
    pub fn cached_group(&self, sizes: Sizes) -> Option<(u64, u64)> {
        if self.cache_type != 1 {
            return None;
        }
        let mut c = Cursor::new(&self.scratch, 0, "symbol table entry scratch pad", sizes);
        let btree = c.offset().ok()?;
        let heap = c.offset().ok()?;
        (btree != UNDEF && heap != UNDEF).then_some((btree, heap))
    }

    /// For cache type 2: the local heap offset of the soft link's value.
    pub fn soft_link_offset(&self) -> Option<u32> {
        if self.cache_type != 2 {
            return None;
        }
        let [a, b, c, d, ..] = self.scratch;
        Some(u32::from_le_bytes([a, b, c, d]))
    }
}

/// Bytes of an encoded entry with 8-byte offsets.
pub const ENTRY_LEN: usize = 40;

/// Bytes of a node with room for `2 * leaf_k` entries (8-byte offsets): 328 for K = 4.
pub fn node_len(leaf_k: u16) -> u64 {
    8 + 2 * u64::from(leaf_k) * ENTRY_LEN as u64
}

/// Encodes a SNOD holding `entries` (already sorted by name), zero-filled to its full
/// size of [`node_len`]`(leaf_k)` bytes.
pub fn encode_node(entries: &[SymbolTableEntry], leaf_k: u16) -> Result<Vec<u8>> {
    let capacity = 2 * usize::from(leaf_k);
    if leaf_k == 0 || entries.len() > capacity {
        return Err(Error::unsupported(format!(
            "writing a symbol table node of {} entries with leaf K {leaf_k}",
            entries.len()
        )));
    }
    let mut b = Vec::with_capacity(node_len(leaf_k) as usize);
    b.extend_from_slice(b"SNOD\x01\x00");
    // At most 2 * 65535 entries: checked above against u16 K, and len <= capacity.
    let count = u16::try_from(entries.len())
        .map_err(|_| Error::unsupported("writing a symbol table node of over 65535 entries"))?;
    b.extend_from_slice(&count.to_le_bytes());
    for e in entries {
        b.extend_from_slice(&e.encode());
    }
    b.resize(node_len(leaf_k) as usize, 0);
    Ok(b)
}

/// Reads the SNOD at `address` and returns its used entries.
pub fn read_node(ctx: &Ctx, address: u64) -> Result<Vec<SymbolTableEntry>> {
    const STRUCTURE: &str = "symbol table node";
    let header = ctx.read(address, 8)?;
    let mut c = ctx.cursor(&header, address, STRUCTURE);
    c.signature(b"SNOD")?;
    let version = c.u8()?;
    if version != 1 {
        return Err(c.corrupt(format!("unknown symbol table node version {version}")));
    }
    c.skip(1)?;
    let count = usize::from(c.u16()?);
    let entry_len = SymbolTableEntry::encoded_len(ctx.sizes);
    let len = count
        .checked_mul(entry_len)
        .ok_or_else(|| Error::corrupt(STRUCTURE, address, "entry count overflows"))?;
    let body_addr = address
        .checked_add(8)
        .ok_or_else(|| Error::corrupt(STRUCTURE, address, "address overflows"))?;
    let body = ctx.read(body_addr, len as u64)?;
    let mut c = ctx.cursor(&body, body_addr, STRUCTURE);
    (0..count)
        .map(|_| SymbolTableEntry::decode(&mut c))
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::storage::{MemStorage, Source};
    use std::sync::Arc;

    fn ctx(bytes: Vec<u8>) -> Ctx {
        Ctx {
            source: Source::new(Arc::new(MemStorage::new(bytes))),
            base: 0,
            sizes: Sizes::default(),
        }
    }

    fn entry(name: u64, oh: u64, cache: u32, scratch: [u8; 16]) -> Vec<u8> {
        let mut b = name.to_le_bytes().to_vec();
        b.extend_from_slice(&oh.to_le_bytes());
        b.extend_from_slice(&cache.to_le_bytes());
        b.extend_from_slice(&[0; 4]);
        b.extend_from_slice(&scratch);
        b
    }

    fn node(count: u16, entries: &[Vec<u8>]) -> Vec<u8> {
        let mut b = b"SNOD\x01\x00".to_vec();
        b.extend_from_slice(&count.to_le_bytes());
        for e in entries {
            b.extend_from_slice(e);
        }
        b
    }

    #[test]
    fn reads_used_entries_only() {
        let mut scratch = [0u8; 16];
        scratch[..8].copy_from_slice(&136u64.to_le_bytes());
        scratch[8..].copy_from_slice(&680u64.to_le_bytes());
        let entries = vec![
            entry(8, 800, 1, scratch),
            entry(16, 1200, 0, [0; 16]),
            entry(
                24,
                u64::MAX,
                2,
                [5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
            ),
            entry(0xdead, 0xbeef, 7, [0xff; 16]), // unused slot
        ];
        let got = read_node(&ctx(node(3, &entries)), 0).unwrap();
        assert_eq!(got.len(), 3);
        assert_eq!(got[0].name_offset, 8);
        assert_eq!(got[0].object_header, 800);
        assert_eq!(got[0].cached_group(Sizes::default()), Some((136, 680)));
        assert_eq!(got[1].cache_type, 0);
        assert_eq!(got[1].cached_group(Sizes::default()), None);
        assert_eq!(got[2].object_header, UNDEF);
        assert_eq!(got[2].soft_link_offset(), Some(5));
    }

    #[test]
    fn decodes_with_four_byte_offsets() {
        let sizes = Sizes {
            offsets: 4,
            lengths: 4,
        };
        let mut b = 24u32.to_le_bytes().to_vec();
        b.extend_from_slice(&96u32.to_le_bytes());
        b.extend_from_slice(&1u32.to_le_bytes());
        b.extend_from_slice(&[0; 4]);
        b.extend_from_slice(&[1, 2, 0, 0, 3, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        assert_eq!(b.len(), SymbolTableEntry::encoded_len(sizes));
        let mut c = Cursor::new(&b, 0, "test", sizes);
        let e = SymbolTableEntry::decode(&mut c).unwrap();
        assert_eq!((e.name_offset, e.object_header), (24, 96));
        assert_eq!(e.cached_group(sizes), Some((0x201, 0x403)));
        assert_eq!(c.remaining(), 0);
    }

    #[test]
    fn rejects_bad_nodes() {
        let one = vec![entry(8, 800, 0, [0; 16])];
        // More entries claimed than present.
        assert!(read_node(&ctx(node(2, &one)), 0).is_err());
        // Bad signature and version.
        let mut bad = node(1, &one);
        bad[0] = b'T';
        assert!(matches!(
            read_node(&ctx(bad), 0),
            Err(Error::Corrupt { .. })
        ));
        let mut bad = node(1, &one);
        bad[4] = 2;
        assert!(matches!(
            read_node(&ctx(bad), 0),
            Err(Error::Corrupt { .. })
        ));
        // Truncated header.
        assert!(read_node(&ctx(b"SNOD\x01".to_vec()), 0).is_err());
        // Empty node is fine.
        assert!(read_node(&ctx(node(0, &[])), 0).unwrap().is_empty());
        // A truncated entry through the cursor.
        let short = entry(8, 800, 0, [0; 16]);
        let mut c = Cursor::new(&short[..30], 0, "test", Sizes::default());
        assert!(SymbolTableEntry::decode(&mut c).is_err());
    }

    #[test]
    fn encodes_entries_and_nodes_exactly() {
        let mut scratch = [0u8; 16];
        scratch[..8].copy_from_slice(&136u64.to_le_bytes());
        scratch[8..].copy_from_slice(&680u64.to_le_bytes());
        let g = SymbolTableEntry::group(8, 800, 136, 680);
        assert_eq!(g.encode(), entry(8, 800, 1, scratch));
        let d = SymbolTableEntry::object(16, 1200);
        assert_eq!(d.encode(), entry(16, 1200, 0, [0; 16]));
        assert_eq!(g.encode().len(), ENTRY_LEN);
        assert_eq!(ENTRY_LEN, SymbolTableEntry::encoded_len(Sizes::default()));

        let bytes = encode_node(&[g, d], 4).unwrap();
        assert_eq!(bytes.len(), 328);
        assert_eq!(node_len(4), 328);
        let mut want = node(2, &[g.encode(), d.encode()]);
        want.resize(328, 0);
        assert_eq!(bytes, want);
        assert_eq!(read_node(&ctx(bytes), 0).unwrap(), vec![g, d]);
        assert_eq!(
            read_node(&ctx(encode_node(&[], 4).unwrap()), 0).unwrap(),
            vec![]
        );
        // Over-full nodes and K = 0 are refused.
        assert!(encode_node(&[d; 9], 4).is_err());
        assert!(encode_node(&[], 0).is_err());
        assert_eq!(encode_node(&[d; 8], 4).unwrap().len(), 328);
    }
}
