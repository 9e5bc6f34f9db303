//! Data Layout message, type 0x0008 (spec IV.A.2.i), versions 1 to 4, and version 5
//! (libhdf5 2.0: the version 4 wire format, with filtered chunk sizes always stored in
//! "size of lengths" bytes).

use crate::error::{Error, Result};
use crate::format::{Cursor, UNDEF};

#[cfg(test)]
mod tests;

/// Largest chunk dimensionality accepted: rank 32 plus the element-size dimension.
const MAX_CHUNK_NDIMS: u8 = 33;

/// How a chunked dataset indexes its chunks (spec Appendix C).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChunkIndexKind {
    /// Version 1 B-tree, type 1 (layout versions 1 to 3, and 4/5 with index type 0 never used).
    BTreeV1,
    /// A single chunk the size of the dataset (index type 1).
    SingleChunk {
        /// Stored size of the filtered chunk, when the dataset has filters.
        filtered_size: Option<u64>,
        /// Filter mask of the filtered chunk.
        filter_mask: u32,
    },
    /// Chunks at computed addresses, no index (index type 2).
    Implicit,
    /// Fixed array (index type 3).
    FixedArray {
        /// log2 of the number of entries per data block page.
        page_bits: u8,
    },
    /// Extensible array (index type 4).
    ExtensibleArray {
        /// Bits needed to store the maximum number of elements.
        max_bits: u8,
        /// Elements stored in the index block.
        index_elements: u8,
        /// Minimum elements per data block.
        data_block_min_elements: u8,
        /// Minimum data block pointers per super block.
        super_block_min_pointers: u8,
        /// log2 of elements per data block page.
        page_bits: u8,
    },
    /// Version 2 B-tree, types 10/11 (index type 5).
    BTreeV2 {
        /// Node size in bytes.
        node_size: u32,
        /// Split percent.
        split_percent: u8,
        /// Merge percent.
        merge_percent: u8,
    },
}

/// Where a dataset's raw data lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Layout {
    /// Data stored inside the object header.
    Compact {
        /// The raw data.
        data: Vec<u8>,
    },
    /// Data stored in one block.
    Contiguous {
        /// Address of the data, or UNDEF when never written.
        address: u64,
        /// Size in bytes.
        size: u64,
    },
    /// Data stored in chunks.
    Chunked {
        /// The layout message version (1 to 5).
        version: u8,
        /// Layout flags (versions 4 and 5): bit 0 "don't filter partial edge chunks",
        /// bit 1 "single index with filter".
        flags: u8,
        /// Chunk size in elements, one per dataset dimension.
        chunk_dims: Vec<u64>,
        /// Bytes per element (the extra, last chunk dimension).
        element_size: u32,
        /// The chunk index.
        index: ChunkIndexKind,
        /// Address of the index (or of the single/first chunk), UNDEF when none.
        address: u64,
    },
    /// A virtual dataset (layout class 3); not supported for reading.
    Virtual,
}

impl Layout {
    /// Decodes the message body.
    ///
    /// For versions 1 and 2, the contiguous `size` is the product of the stored
    /// dimensions, which libhdf5 wrote as the dataset shape followed by the element size;
    /// a reader should prefer the dataspace and datatype when they disagree.
    pub fn decode(c: &mut Cursor<'_>) -> Result<Self> {
        let version = c.u8()?;
        match version {
            1 | 2 => decode_v1_v2(c, version),
            3..=5 => {
                let class = c.u8()?;
                match class {
                    0 => {
                        let size = usize::from(c.u16()?);
                        Ok(Layout::Compact {
                            data: c.bytes(size)?.to_vec(),
                        })
                    }
                    1 => Ok(Layout::Contiguous {
                        address: c.offset()?,
                        size: c.length()?,
                    }),
                    2 if version == 3 => {
                        let ndims = c.u8()?;
                        check_ndims(c, ndims)?;
                        let address = c.offset()?;
                        let dims = (0..ndims)
                            .map(|_| c.u32().map(u64::from))
                            .collect::<Result<Vec<u64>>>()?;
                        chunked(c, version, 0, dims, ChunkIndexKind::BTreeV1, address)
                    }
                    2 => decode_v4_chunked(c, version),
                    3 if version >= 4 => Ok(Layout::Virtual),
                    k => Err(c.corrupt(format!("unknown layout class {k} (version {version})"))),
                }
            }
            v => Err(Error::unsupported(format!(
                "data layout message version {v}"
            ))),
        }
    }
}

impl Layout {
    /// Encodes a version 3 message, as libhdf5 writes in an "earliest" file:
    /// compact `03 00 size(2) data`, contiguous `03 01 address size`, chunked
    /// `03 02 rank+1 address chunk-dims(4 each) element-size(4)`.
    ///
    /// A chunked layout must use a version 1 B-tree index (its `version` and `flags`
    /// are not written: version 3 has neither); chunk dimensions must be 1 to
    /// `u32::MAX`, the rank 1 to 32. Compact data is at most 65535 bytes. Virtual
    /// layouts are not written.
    pub fn encode(&self) -> Result<Vec<u8>> {
        match self {
            Layout::Compact { data } => {
                let size = u16::try_from(data.len()).map_err(|_| {
                    Error::unsupported(format!(
                        "writing {} bytes of compact data (at most 65535)",
                        data.len()
                    ))
                })?;
                let mut b = vec![3, 0];
                b.extend_from_slice(&size.to_le_bytes());
                b.extend_from_slice(data);
                Ok(b)
            }
            Layout::Contiguous { address, size } => {
                let mut b = vec![3, 1];
                b.extend_from_slice(&address.to_le_bytes());
                b.extend_from_slice(&size.to_le_bytes());
                Ok(b)
            }
            Layout::Chunked {
                chunk_dims,
                element_size,
                index,
                address,
                ..
            } => {
                if *index != ChunkIndexKind::BTreeV1 {
                    return Err(Error::unsupported(format!(
                        "writing a {index:?} chunk index (only version 1 B-trees)"
                    )));
                }
                let ndims = u8::try_from(chunk_dims.len() + 1)
                    .ok()
                    .filter(|n| (2..=MAX_CHUNK_NDIMS).contains(n))
                    .ok_or_else(|| {
                        Error::unsupported(format!(
                            "writing a chunked layout of rank {} (1 to {})",
                            chunk_dims.len(),
                            MAX_CHUNK_NDIMS - 1
                        ))
                    })?;
                if *element_size == 0 {
                    return Err(Error::unsupported("writing chunks of 0-byte elements"));
                }
                let mut b = vec![3, 2, ndims];
                b.extend_from_slice(&address.to_le_bytes());
                for &d in chunk_dims {
                    let d = u32::try_from(d).ok().filter(|&d| d > 0).ok_or_else(|| {
                        Error::unsupported(format!(
                            "writing chunk dimensions {chunk_dims:?} (each 1 to {})",
                            u32::MAX
                        ))
                    })?;
                    b.extend_from_slice(&d.to_le_bytes());
                }
                b.extend_from_slice(&element_size.to_le_bytes());
                Ok(b)
            }
            Layout::Virtual => Err(Error::unsupported("writing virtual datasets")),
        }
    }
}

impl Layout {
    /// Checks the layout against what it must store, `elements` elements of
    /// `element_size` bytes, in a file of `file_len` bytes whose addresses start at file
    /// offset `base`, as libhdf5 does when it opens a dataset: compact data holds every
    /// element, written contiguous storage holds every element and lies inside the file,
    /// and chunks are made of elements of the datatype's size. Every size a read then
    /// allocates is bounded by the file (or by what the reader asked for).
    pub fn check_fits(
        &self,
        elements: u64,
        element_size: u32,
        file_len: u64,
        base: u64,
        header: u64,
    ) -> Result<()> {
        let corrupt = |reason: String| Err(Error::corrupt("layout message", header, reason));
        let total = u128::from(elements) * u128::from(element_size);
        match self {
            Layout::Compact { data } if (data.len() as u128) < total => corrupt(format!(
                "compact data of {} bytes for {elements} elements of {element_size} bytes",
                data.len()
            )),
            Layout::Contiguous { address, size } if *address != UNDEF => {
                if u128::from(*size) < total {
                    return corrupt(format!(
                        "contiguous storage of {size} bytes for {elements} elements of \
                         {element_size} bytes"
                    ));
                }
                let end = u128::from(base) + u128::from(*address) + u128::from(*size);
                if end > u128::from(file_len) {
                    return corrupt(format!(
                        "contiguous storage at {address} ({size} bytes) runs past the end \
                         of the {file_len}-byte file"
                    ));
                }
                Ok(())
            }
            Layout::Chunked {
                element_size: chunk_element,
                ..
            } if *chunk_element != element_size => corrupt(format!(
                "chunks of {chunk_element}-byte elements for a {element_size}-byte datatype"
            )),
            _ => Ok(()),
        }
    }
}

fn check_ndims(c: &Cursor<'_>, ndims: u8) -> Result<()> {
    if !(2..=MAX_CHUNK_NDIMS).contains(&ndims) {
        return Err(c.corrupt(format!(
            "chunk dimensionality {ndims} (must be rank + 1, between 2 and {MAX_CHUNK_NDIMS})"
        )));
    }
    Ok(())
}

/// Splits `dims` (chunk shape then element size) into a [`Layout::Chunked`].
fn chunked(
    c: &Cursor<'_>,
    version: u8,
    flags: u8,
    mut dims: Vec<u64>,
    index: ChunkIndexKind,
    address: u64,
) -> Result<Layout> {
    let elem = dims.pop().unwrap_or(0);
    let element_size = u32::try_from(elem)
        .ok()
        .filter(|&e| e > 0)
        .ok_or_else(|| c.corrupt(format!("chunk element size {elem}")))?;
    if dims.contains(&0) {
        return Err(c.corrupt(format!("zero chunk dimension in {dims:?}")));
    }
    Ok(Layout::Chunked {
        version,
        flags,
        chunk_dims: dims,
        element_size,
        index,
        address,
    })
}

fn decode_v1_v2(c: &mut Cursor<'_>, version: u8) -> Result<Layout> {
    let ndims = c.u8()?;
    let class = c.u8()?;
    c.skip(5)?;
    if ndims == 0 || ndims > MAX_CHUNK_NDIMS {
        return Err(c.corrupt(format!("layout dimensionality {ndims}")));
    }
    let address = if class == 0 { 0 } else { c.offset()? };
    let dims = (0..ndims)
        .map(|_| c.u32().map(u64::from))
        .collect::<Result<Vec<u64>>>()?;
    match class {
        0 => {
            let size = c.u32()? as usize;
            Ok(Layout::Compact {
                data: c.bytes(size)?.to_vec(),
            })
        }
        1 => {
            let size = dims
                .iter()
                .try_fold(1u64, |acc, &d| acc.checked_mul(d))
                .ok_or_else(|| c.corrupt(format!("contiguous size of {dims:?} overflows")))?;
            Ok(Layout::Contiguous { address, size })
        }
        2 => {
            check_ndims(c, ndims)?;
            chunked(c, version, 0, dims, ChunkIndexKind::BTreeV1, address)
        }
        k => Err(c.corrupt(format!("unknown layout class {k} (version {version})"))),
    }
}

/// Chunked layout of versions 4 and 5 (the same wire format).
fn decode_v4_chunked(c: &mut Cursor<'_>, version: u8) -> Result<Layout> {
    let flags = c.u8()?;
    if flags & !0x03 != 0 {
        return Err(c.corrupt(format!("unknown chunked layout flags {flags:#04x}")));
    }
    let ndims = c.u8()?;
    check_ndims(c, ndims)?;
    let width = usize::from(c.u8()?);
    if !(1..=8).contains(&width) {
        return Err(c.corrupt(format!("chunk dimension encoded in {width} bytes")));
    }
    let dims = (0..ndims)
        .map(|_| c.uint(width))
        .collect::<Result<Vec<u64>>>()?;
    let index = match c.u8()? {
        1 => {
            let (filtered_size, filter_mask) = if flags & 0x02 != 0 {
                (Some(c.length()?), c.u32()?)
            } else {
                (None, 0)
            };
            ChunkIndexKind::SingleChunk {
                filtered_size,
                filter_mask,
            }
        }
        2 => ChunkIndexKind::Implicit,
        3 => ChunkIndexKind::FixedArray { page_bits: c.u8()? },
        4 => {
            // Wire order (spec IV.A.2.i, libhdf5 H5Olayout.c): max bits, index elements,
            // super block min pointers, data block min elements, page bits.
            let max_bits = c.u8()?;
            let index_elements = c.u8()?;
            let super_block_min_pointers = c.u8()?;
            let data_block_min_elements = c.u8()?;
            let page_bits = c.u8()?;
            ChunkIndexKind::ExtensibleArray {
                max_bits,
                index_elements,
                data_block_min_elements,
                super_block_min_pointers,
                page_bits,
            }
        }
        5 => ChunkIndexKind::BTreeV2 {
            node_size: c.u32()?,
            split_percent: c.u8()?,
            merge_percent: c.u8()?,
        },
        t => return Err(c.corrupt(format!("unknown chunk indexing type {t}"))),
    };
    let address = c.offset()?;
    chunked(c, version, flags, dims, index, address)
}
