//! Object header messages (spec IV.A.2), one module per message type.
//!
//! Each message type decodes from a [`Cursor`](crate::format::Cursor) over the message's
//! body, as stored in the object header.

pub mod attribute;
pub mod attribute_info;
pub mod btree_k;
pub mod continuation;
pub mod dataspace;
pub mod datatype;
pub mod fill_value;
pub mod filter_pipeline;
pub mod layout;
pub mod link;
pub mod link_info;
pub mod shared;
pub mod symbol_table;

pub use attribute::AttributeMessage;
pub use attribute_info::AttributeInfo;
pub use btree_k::BTreeK;
pub use continuation::Continuation;
pub use dataspace::{Dataspace, DataspaceKind};
pub use datatype::{ByteOrder, CharSet, CompoundField, Datatype, EnumMember, StringPadding};
pub use fill_value::FillValue;
pub use filter_pipeline::{Filter, FilterPipeline};
pub use layout::{ChunkIndexKind, Layout};
pub use link::{Link, LinkTarget};
pub use link_info::LinkInfo;
pub use shared::SharedMessage;
pub use symbol_table::SymbolTableMessage;

/// The common layout of the Link Info and Attribute Info messages: where a group's
/// links, or an object's attributes, are stored densely.
struct StorageInfo {
    max_creation_index: Option<u64>,
    fractal_heap: u64,
    name_index: u64,
    creation_order_index: Option<u64>,
}

impl StorageInfo {
    /// Version 0: flags (bit 0 creation order tracked, bit 1 indexed), the maximum
    /// creation index in `index_width` bytes when tracked, the fractal heap and name index
    /// addresses, and the creation order index address when indexed.
    fn decode(
        c: &mut crate::format::Cursor<'_>,
        what: &str,
        index_width: usize,
    ) -> crate::Result<Self> {
        const TRACKED: u8 = 0x01;
        const INDEXED: u8 = 0x02;
        let version = c.u8()?;
        if version != 0 {
            return Err(crate::Error::unsupported(format!(
                "{what} message version {version}"
            )));
        }
        let flags = c.u8()?;
        if flags & !(TRACKED | INDEXED) != 0 {
            return Err(c.corrupt(format!("reserved {what} flags set: {flags:#04x}")));
        }
        let max_creation_index = if flags & TRACKED != 0 {
            Some(c.uint(index_width)?)
        } else {
            None
        };
        let fractal_heap = c.offset()?;
        let name_index = c.offset()?;
        let creation_order_index = if flags & INDEXED != 0 {
            Some(c.offset()?)
        } else {
            None
        };
        Ok(StorageInfo {
            max_creation_index,
            fractal_heap,
            name_index,
            creation_order_index,
        })
    }
}

/// Message type numbers (spec IV.A.2, "Header Message Type").
pub mod kind {
    /// 0x0000 NIL: padding, skipped.
    pub const NIL: u16 = 0x00;
    /// 0x0001 Dataspace.
    pub const DATASPACE: u16 = 0x01;
    /// 0x0002 Link Info.
    pub const LINK_INFO: u16 = 0x02;
    /// 0x0003 Datatype.
    pub const DATATYPE: u16 = 0x03;
    /// 0x0004 Fill Value (old).
    pub const FILL_VALUE_OLD: u16 = 0x04;
    /// 0x0005 Fill Value.
    pub const FILL_VALUE: u16 = 0x05;
    /// 0x0006 Link.
    pub const LINK: u16 = 0x06;
    /// 0x0007 External Data Files.
    pub const EXTERNAL_FILES: u16 = 0x07;
    /// 0x0008 Data Layout.
    pub const LAYOUT: u16 = 0x08;
    /// 0x0009 Bogus (testing only).
    pub const BOGUS: u16 = 0x09;
    /// 0x000A Group Info.
    pub const GROUP_INFO: u16 = 0x0A;
    /// 0x000B Filter Pipeline.
    pub const FILTER_PIPELINE: u16 = 0x0B;
    /// 0x000C Attribute.
    pub const ATTRIBUTE: u16 = 0x0C;
    /// 0x000D Object Comment.
    pub const COMMENT: u16 = 0x0D;
    /// 0x000E Object Modification Time (old).
    pub const MODIFICATION_TIME_OLD: u16 = 0x0E;
    /// 0x000F Shared Message Table.
    pub const SHARED_MESSAGE_TABLE: u16 = 0x0F;
    /// 0x0010 Object Header Continuation.
    pub const CONTINUATION: u16 = 0x10;
    /// 0x0011 Symbol Table Message.
    pub const SYMBOL_TABLE: u16 = 0x11;
    /// 0x0012 Object Modification Time.
    pub const MODIFICATION_TIME: u16 = 0x12;
    /// 0x0013 B-tree 'K' Values.
    pub const BTREE_K: u16 = 0x13;
    /// 0x0014 Driver Info.
    pub const DRIVER_INFO: u16 = 0x14;
    /// 0x0015 Attribute Info.
    pub const ATTRIBUTE_INFO: u16 = 0x15;
    /// 0x0016 Object Reference Count.
    pub const REFERENCE_COUNT: u16 = 0x16;
    /// 0x0017 File Space Info.
    pub const FILE_SPACE_INFO: u16 = 0x17;
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod encode_tests;

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod encode_proptests;
