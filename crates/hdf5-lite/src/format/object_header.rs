//! Object headers (spec IV.A.1.a version 1, IV.A.1.b version 2 "OHDR"/"OCHK"), with
//! their continuation blocks.

use crate::error::Result;
use crate::format::Ctx;

/// One message of an object header, undecoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawMessage {
    /// Message type (see [`crate::format::messages::kind`]).
    pub kind: u16,
    /// Message flags (bit 0 constant, bit 1 shared, bit 3/7 fail if unknown, …).
    pub flags: u8,
    /// Creation order (version 2 headers with the creation-order flag).
    pub creation_order: Option<u16>,
    /// File offset of the message body.
    pub offset: u64,
    /// The message body.
    pub data: Vec<u8>,
}

impl RawMessage {
    /// Whether the message is stored in the shared message table or in another object
    /// header (flags bit 1).
    pub fn is_shared(&self) -> bool {
        self.flags & 0x02 != 0
    }
}

/// A decoded object header: every message of every continuation block, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectHeader {
    /// Address of the header.
    pub address: u64,
    /// Header version, 1 or 2.
    pub version: u8,
    /// Hard link reference count.
    pub refcount: u32,
    /// The messages, NIL messages and continuation messages left out.
    pub messages: Vec<RawMessage>,
}

impl ObjectHeader {
    /// Reads the header at `address`, following continuation blocks (cycles are an error)
    /// and verifying version 2 checksums.
    pub fn read(ctx: &Ctx, address: u64) -> Result<Self> {
        let _ = ctx;
        Err(crate::Error::corrupt(
            "object header",
            address,
            "object header decoding not implemented",
        ))
    }

    /// The first message of type `kind`.
    pub fn find(&self, kind: u16) -> Option<&RawMessage> {
        self.messages.iter().find(|m| m.kind == kind)
    }

    /// Every message of type `kind`.
    pub fn find_all(&self, kind: u16) -> impl Iterator<Item = &RawMessage> + '_ {
        self.messages.iter().filter(move |m| m.kind == kind)
    }
}
