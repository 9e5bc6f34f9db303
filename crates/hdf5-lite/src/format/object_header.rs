//! Object headers (spec IV.A.1.a version 1, IV.A.1.b version 2 "OHDR"/"OCHK"), with
//! their continuation blocks (IV.A.2.q).
//!
//! A header is a prefix followed by one or more blocks of messages. Version 1 blocks are
//! bare lists of 8-byte-aligned messages; version 2 blocks are packed, may end in a gap
//! shorter than a message header, and carry a lookup3 checksum. Continuation messages
//! name further blocks; they are followed in the order they are found, each block once.

use std::collections::VecDeque;

use crate::error::{Error, Result};
use crate::format::checksum;
use crate::format::messages::{kind, Continuation};
use crate::format::{Ctx, Visited};

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
    /// The (address, length) of every block the header occupies: the first one
    /// (prefix included) and each continuation block.
    pub blocks: Vec<(u64, u64)>,
}

/// Name used in errors.
const STRUCTURE: &str = "object header";
/// Message flags bit 7: fail to open the object if the message type is not understood,
/// even read-only. (Bit 3 asks the same only of writers.)
const FAIL_IF_UNKNOWN_ALWAYS: u8 = 0x80;
/// The highest message type the format defines (0x18: metadata cache image). Higher
/// types are "unknown" in the sense of the message flags.
const LAST_KNOWN_KIND: u16 = 0x18;
/// Most blocks (prefix block plus continuations) one header may have.
const MAX_BLOCKS: usize = 1 << 16;
/// Version 2 header flags: bits 0-1 size of chunk #0 size, bit 2 creation order
/// tracked, bit 3 indexed, bit 4 phase change values stored, bit 5 times stored.
const V2_CREATION_ORDER: u8 = 0x04;
const V2_PHASE_CHANGE: u8 = 0x10;
const V2_TIMES: u8 = 0x20;
const V2_RESERVED: u8 = 0xc0;

/// The state of one header walk.
struct Walk<'c> {
    ctx: &'c Ctx,
    version: u8,
    /// Whether v2 message headers carry a creation order.
    creation_order: bool,
    visited: Visited,
    pending: VecDeque<Continuation>,
    blocks: usize,
    bytes: u64,
    messages: Vec<RawMessage>,
    refcount_message: Option<u32>,
    extents: Vec<(u64, u64)>,
}

impl<'c> Walk<'c> {
    fn new(ctx: &'c Ctx, version: u8) -> Self {
        Walk {
            ctx,
            version,
            creation_order: false,
            visited: Visited::default(),
            pending: VecDeque::new(),
            blocks: 0,
            bytes: 0,
            messages: Vec::new(),
            refcount_message: None,
            extents: Vec::new(),
        }
    }

    /// Reads the block of `len` bytes at `addr`, refusing cycles, too many blocks, and
    /// blocks adding up to more bytes than the file holds (blocks of a sound header do
    /// not overlap).
    fn block(&mut self, addr: u64, len: u64) -> Result<std::borrow::Cow<'c, [u8]>> {
        self.visited.visit("object header continuation", addr)?;
        let bytes = self.ctx.read(addr, len)?;
        self.extents.push((addr, len));
        self.blocks += 1;
        self.bytes = self.bytes.saturating_add(len);
        let at = self.ctx.base.saturating_add(addr);
        if self.blocks > MAX_BLOCKS {
            return Err(Error::corrupt(
                STRUCTURE,
                at,
                format!("more than {MAX_BLOCKS} continuation blocks"),
            ));
        }
        if self.bytes > self.ctx.source.len() {
            return Err(Error::corrupt(
                STRUCTURE,
                at,
                "object header blocks add up to more bytes than the file holds",
            ));
        }
        Ok(bytes)
    }

    /// Records one message found in a block.
    fn message(
        &mut self,
        kind: u16,
        flags: u8,
        creation_order: Option<u16>,
        body: &[u8],
        body_addr: u64,
    ) -> Result<()> {
        match kind {
            kind::NIL => return Ok(()),
            kind::CONTINUATION => {
                let mut c = self
                    .ctx
                    .cursor(body, body_addr, "object header continuation message");
                let cont = Continuation::decode(&mut c)?;
                self.pending.push_back(cont);
                return Ok(());
            }
            kind::REFERENCE_COUNT if flags & 0x02 == 0 => {
                let mut c = self
                    .ctx
                    .cursor(body, body_addr, "object reference count message");
                let version = c.u8()?;
                if version != 0 {
                    return Err(Error::unsupported(format!(
                        "object reference count message version {version}"
                    )));
                }
                self.refcount_message = Some(c.u32()?);
            }
            k if k > LAST_KNOWN_KIND => {
                if flags & FAIL_IF_UNKNOWN_ALWAYS != 0 {
                    return Err(Error::unsupported(format!(
                        "object header message type {k:#06x}, which must be understood to open the object"
                    )));
                }
                return Ok(());
            }
            _ => {}
        }
        self.messages.push(RawMessage {
            kind,
            flags,
            creation_order,
            offset: self.ctx.base.saturating_add(body_addr),
            data: body.to_vec(),
        });
        Ok(())
    }

    /// Walks the messages of a version 1 block (`bytes`, at address `addr`).
    fn v1_messages(&mut self, bytes: &[u8], addr: u64) -> Result<()> {
        let mut c = self.ctx.cursor(bytes, addr, STRUCTURE);
        while c.remaining() >= 8 {
            let kind = c.u16()?;
            let size = usize::from(c.u16()?);
            let flags = c.u8()?;
            c.skip(3)?;
            let body_addr = addr.saturating_add(c.pos() as u64);
            let body = message_body(&mut c, kind, size)?;
            self.message(kind, flags, None, body, body_addr)?;
            // Sizes include padding to a multiple of 8; tolerate one that does not.
            if c.align(8).is_err() {
                break;
            }
        }
        Ok(())
    }

    /// Walks the messages of a version 2 block: `bytes` (at address `addr`) hold the
    /// messages and the gap, without signature, prefix or checksum.
    fn v2_messages(&mut self, bytes: &[u8], addr: u64) -> Result<()> {
        let header_len = if self.creation_order { 6 } else { 4 };
        let mut c = self.ctx.cursor(bytes, addr, STRUCTURE);
        while c.remaining() >= header_len {
            let kind = u16::from(c.u8()?);
            let size = usize::from(c.u16()?);
            let flags = c.u8()?;
            let creation_order = if self.creation_order {
                Some(c.u16()?)
            } else {
                None
            };
            let body_addr = addr.saturating_add(c.pos() as u64);
            let body = message_body(&mut c, kind, size)?;
            self.message(kind, flags, creation_order, body, body_addr)?;
        }
        Ok(())
    }

    /// Reads every continuation block found so far, and those they name in turn.
    fn continuations(&mut self) -> Result<()> {
        while let Some(cont) = self.pending.pop_front() {
            let block = self.block(cont.address, cont.length)?;
            if self.version == 1 {
                self.v1_messages(&block, cont.address)?;
            } else {
                let mut c = self.ctx.cursor(&block, cont.address, STRUCTURE);
                c.signature(b"OCHK")?;
                let inner = checked_v2_block(self.ctx, &block, cont.address, 4)?;
                self.v2_messages(inner, cont.address.saturating_add(4))?;
            }
        }
        Ok(())
    }
}

/// Takes a message body of `size` bytes; running past the block is corrupt.
fn message_body<'a>(c: &mut crate::format::Cursor<'a>, kind: u16, size: usize) -> Result<&'a [u8]> {
    if size > c.remaining() {
        return Err(c.corrupt(format!(
            "message type {kind:#06x} of {size} bytes at position {} runs past the end of its block ({} bytes left)",
            c.pos(),
            c.remaining()
        )));
    }
    c.bytes(size)
}

/// Verifies the lookup3 checksum in the last 4 bytes of a version 2 block (at address
/// `addr`) and returns the bytes between `skip` and the checksum.
fn checked_v2_block<'a>(ctx: &Ctx, block: &'a [u8], addr: u64, skip: usize) -> Result<&'a [u8]> {
    let at = ctx.base.saturating_add(addr);
    let body_end = block.len().checked_sub(4).filter(|&e| e >= skip);
    let Some(body_end) = body_end else {
        return Err(Error::corrupt(
            STRUCTURE,
            at,
            format!("block of {} bytes is too short", block.len()),
        ));
    };
    checksum::verify(block, body_end, STRUCTURE, at)?;
    let covered = &block[..body_end];
    Ok(covered.get(skip..).unwrap_or_default())
}

impl ObjectHeader {
    /// Reads the header at `address`, following continuation blocks (cycles are an error)
    /// and verifying version 2 checksums.
    pub fn read(ctx: &Ctx, address: u64) -> Result<Self> {
        let head = ctx.read_up_to(address, 4)?;
        if head.as_ref() == b"OHDR" {
            Self::read_v2(ctx, address)
        } else if head.first() == Some(&1) {
            Self::read_v1(ctx, address)
        } else {
            Err(Error::corrupt(
                STRUCTURE,
                ctx.base.saturating_add(address),
                format!(
                    "neither a version 1 header nor the \"OHDR\" signature: {:02x?}",
                    head.as_ref()
                ),
            ))
        }
    }

    /// Version 1: a 16-byte prefix (version, reserved, message count, reference count,
    /// header size, 4 bytes of padding), then the first block of messages.
    fn read_v1(ctx: &Ctx, address: u64) -> Result<Self> {
        let prefix = ctx.read(address, 16)?;
        let mut c = ctx.cursor(&prefix, address, STRUCTURE);
        let _version = c.u8()?;
        c.skip(1)?;
        // The total message count is only a hint: the blocks say how many there are.
        let _nmesgs = c.u16()?;
        let refcount = c.u32()?;
        let size = u64::from(c.u32()?);
        let first = address
            .checked_add(16)
            .ok_or_else(|| c.corrupt("header address overflows"))?;
        let mut walk = Walk::new(ctx, 1);
        // Both the prefix and its message block count as visited.
        walk.visited.visit("object header continuation", address)?;
        let block = walk.block(first, size)?;
        walk.v1_messages(&block, first)?;
        walk.continuations()?;
        let mut blocks = walk.extents;
        if let Some(first) = blocks.first_mut() {
            *first = (address, size + 16);
        }
        Ok(ObjectHeader {
            address,
            version: 1,
            refcount,
            messages: walk.messages,
            blocks,
        })
    }

    /// Version 2: "OHDR", version, flags, optional times and attribute phase change
    /// values, the size of chunk #0, its messages, a gap, and a checksum.
    fn read_v2(ctx: &Ctx, address: u64) -> Result<Self> {
        let prefix = ctx.read_up_to(address, 4 + 1 + 1 + 16 + 4 + 8)?;
        let mut c = ctx.cursor(&prefix, address, STRUCTURE);
        c.signature(b"OHDR")?;
        let version = c.u8()?;
        if version != 2 {
            return Err(Error::unsupported(format!(
                "object header version {version} with the OHDR signature"
            )));
        }
        let flags = c.u8()?;
        if flags & V2_RESERVED != 0 {
            return Err(c.corrupt(format!("reserved object header flags set: {flags:#04x}")));
        }
        if flags & V2_TIMES != 0 {
            c.skip(16)?;
        }
        if flags & V2_PHASE_CHANGE != 0 {
            c.skip(4)?;
        }
        let size = c.uint(1 << (flags & 0x03))?;
        let prefix_len = c.pos();
        let total = size
            .checked_add(prefix_len as u64 + 4)
            .ok_or_else(|| c.corrupt(format!("chunk #0 size {size} overflows")))?;
        let mut walk = Walk::new(ctx, 2);
        walk.creation_order = flags & V2_CREATION_ORDER != 0;
        let block = walk.block(address, total)?;
        let messages = checked_v2_block(ctx, &block, address, prefix_len)?;
        walk.v2_messages(messages, address.saturating_add(prefix_len as u64))?;
        walk.continuations()?;
        Ok(ObjectHeader {
            address,
            version: 2,
            refcount: walk.refcount_message.unwrap_or(1),
            messages: walk.messages,
            blocks: walk.extents,
        })
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

/// Largest body a version 1 message can have: the 16-bit size field, rounded down to
/// the 8-byte alignment of version 1 messages.
const MAX_V1_BODY: usize = 65528;

/// Whether a message body of `len` bytes fits in a version 1 object header.
pub fn fits_v1(len: usize) -> bool {
    len.next_multiple_of(8) <= MAX_V1_BODY
}

/// Encodes a version 1 object header (spec IV.A.1.a): the 16-byte prefix (version 1,
/// message count, `refcount`, header size) followed by `messages`, each with its body
/// zero-padded to a multiple of 8 bytes. Nothing else is added (no NIL padding: libhdf5
/// does not need it).
///
/// A body longer than 65528 bytes is an error naming the message type.
pub fn encode_v1(messages: &[RawMessage], refcount: u32) -> Result<Vec<u8>> {
    let body = encode_continuation_block(messages)?;
    let count = u16::try_from(messages.len()).map_err(|_| {
        Error::unsupported(format!(
            "{} messages in a version 1 object header (at most 65535)",
            messages.len()
        ))
    })?;
    let size = u32::try_from(body.len()).map_err(|_| {
        Error::unsupported(format!(
            "{} bytes of messages in a version 1 object header",
            body.len()
        ))
    })?;
    let mut b = Vec::with_capacity(16 + body.len());
    b.push(1); // version
    b.push(0); // reserved
    b.extend_from_slice(&count.to_le_bytes());
    b.extend_from_slice(&refcount.to_le_bytes());
    b.extend_from_slice(&size.to_le_bytes());
    b.extend_from_slice(&[0; 4]); // aligns the first message to 8 bytes
    b.extend_from_slice(&body);
    Ok(b)
}

/// Encodes the messages of a version 1 header block: for each, type (2 bytes), body
/// size (2 bytes, a multiple of 8), flags, 3 reserved bytes, then the body zero-padded
/// to that size. This is also the whole of a version 1 continuation block.
pub fn encode_continuation_block(messages: &[RawMessage]) -> Result<Vec<u8>> {
    let mut b = Vec::new();
    for m in messages {
        let padded = m.data.len().next_multiple_of(8);
        if !fits_v1(m.data.len()) {
            return Err(Error::unsupported(format!(
                "message type {:#06x} of {} bytes: message too large for a version 1 object header \
                 (at most {MAX_V1_BODY} bytes)",
                m.kind,
                m.data.len()
            )));
        }
        b.extend_from_slice(&m.kind.to_le_bytes());
        b.extend_from_slice(&(padded as u16).to_le_bytes());
        b.push(m.flags);
        b.extend_from_slice(&[0; 3]);
        b.extend_from_slice(&m.data);
        b.resize(b.len() + (padded - m.data.len()), 0);
    }
    Ok(b)
}

/// Encodes a version 2 object header (spec IV.A.1.b) in one chunk: "OHDR", version 2,
/// flags (only the width of the chunk size: no times, no creation order, default
/// attribute phase change values), the chunk size, then `messages` packed without
/// alignment (type in 1 byte, body size in 2 bytes, flags), and the lookup3 checksum.
/// A reference count above 1 needs a reference count message, so `refcount` is 1 (the
/// writer refuses objects with more hard links).
///
/// A message type above 255 or a body longer than 65535 bytes is an error naming the
/// message type.
pub fn encode_v2(messages: &[RawMessage]) -> Result<Vec<u8>> {
    let mut body = Vec::new();
    for m in messages {
        let kind = u8::try_from(m.kind).map_err(|_| {
            Error::unsupported(format!(
                "message type {:#06x} in a version 2 object header",
                m.kind
            ))
        })?;
        let size = u16::try_from(m.data.len()).map_err(|_| {
            Error::unsupported(format!(
                "message type {:#06x} of {} bytes: message too large for an object header \
                 (at most 65535 bytes)",
                m.kind,
                m.data.len()
            ))
        })?;
        body.push(kind);
        body.extend_from_slice(&size.to_le_bytes());
        body.push(m.flags);
        body.extend_from_slice(&m.data);
    }
    // As u64: on 32-bit targets (wasm32) a usize is never above 0xffff_ffff.
    let (width_flag, width) = match body.len() as u64 {
        n if n <= 0xff => (0u8, 1),
        n if n <= 0xffff => (1, 2),
        n if n <= 0xffff_ffff => (2, 4),
        _ => (3, 8),
    };
    let mut b = Vec::with_capacity(6 + width + body.len() + 4);
    b.extend_from_slice(b"OHDR");
    b.push(2); // version
    b.push(width_flag);
    b.extend_from_slice(&(body.len() as u64).to_le_bytes()[..width]);
    b.extend_from_slice(&body);
    b.extend_from_slice(&checksum::lookup3(&b, 0).to_le_bytes());
    Ok(b)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests;
