//! The bit reader (RFC 1951 3.1.1: bits are taken from each byte least significant
//! first; Huffman codes are stored starting with their most significant bit, so a table
//! is indexed by the bit-reversed code).
//!
//! A 64-bit buffer holds `count` unread bits in its low end. A refill loads eight input
//! bytes at once, shifted above the bits held, and advances past the bytes that fitted
//! whole; the part of the next byte that also landed in the buffer is loaded again, at
//! the same place, by the following refill, so it is harmless. After any refill at least
//! 56 bits are held: enough for a length code and its extra bits, a distance code and its
//! extra bits (15 + 5 + 15 + 13 = 48). Near the end of the input, bytes are loaded one at
//! a time and up to eight zero bytes past the end are fed; a stream that uses them is
//! truncated, which [`Bits::align`] reports.

use super::InflateError;

/// Zero bytes a refill may feed past the end of the input.
const PAST_END: usize = 8;

#[derive(Clone)]
pub(super) struct Bits<'a> {
    input: &'a [u8],
    /// The next input byte to load (past the end by the zero bytes fed).
    pos: usize,
    buf: u64,
    count: u32,
}

impl<'a> Bits<'a> {
    /// A reader of `input` from byte `pos`.
    pub(super) fn new(input: &'a [u8], pos: usize) -> Self {
        Bits {
            input,
            pos,
            buf: 0,
            count: 0,
        }
    }

    /// Refills from a whole word of input, if one is left (then at least 56 bits are
    /// held); false, without a change, if not.
    #[inline(always)]
    pub(super) fn refill_word(&mut self) -> bool {
        let Some(word) = self.input.get(self.pos..).and_then(<[u8]>::first_chunk) else {
            return false;
        };
        self.buf |= u64::from_le_bytes(*word) << self.count;
        self.pos += ((63 - self.count) >> 3) as usize;
        self.count |= 56;
        true
    }

    /// Refills to at least 56 bits, feeding zero bytes past the end of the input; an
    /// error once more than [`PAST_END`] of them would be needed.
    #[inline]
    pub(super) fn refill(&mut self) -> Result<(), InflateError> {
        if self.refill_word() {
            return Ok(());
        }
        while self.count <= 56 {
            let byte = match self.input.get(self.pos) {
                Some(&b) => b,
                None if self.pos < self.input.len() + PAST_END => 0,
                None => return Err(self.truncated()),
            };
            self.buf |= u64::from(byte) << self.count;
            self.pos += 1;
            self.count += 8;
        }
        Ok(())
    }

    /// [`Bits::refill`] if fewer than `n` bits are held.
    #[inline(always)]
    pub(super) fn ensure(&mut self, n: u32) -> Result<(), InflateError> {
        if self.count < n {
            self.refill()
        } else {
            Ok(())
        }
    }

    /// The buffer's bits, lowest first (at least the `count` held are valid).
    #[inline(always)]
    pub(super) fn peek(&self) -> u64 {
        self.buf
    }

    /// Drops `n` bits (at most the bits held).
    #[inline(always)]
    pub(super) fn consume(&mut self, n: u32) {
        self.buf >>= n;
        self.count -= n;
    }

    /// Takes the next `n` bits (at most the bits held, at most 32) as a number.
    #[inline(always)]
    pub(super) fn take(&mut self, n: u32) -> u32 {
        let v = (self.buf & ((1u64 << n) - 1)) as u32;
        self.consume(n);
        v
    }

    /// The input byte the next bit comes from (for error messages).
    pub(super) fn position(&self) -> usize {
        (self.pos - (self.count / 8) as usize).min(self.input.len())
    }

    /// An error for a stream that ends too soon.
    pub(super) fn truncated(&self) -> InflateError {
        InflateError::Corrupt {
            at: self.input.len(),
            reason: "stream ends too soon",
        }
    }

    /// Skips to the next byte boundary, empties the buffer and returns the input byte
    /// that follows; an error if the bits read went past the end of the input.
    pub(super) fn align(&mut self) -> Result<usize, InflateError> {
        let at = self.pos - (self.count / 8) as usize;
        if at > self.input.len() {
            return Err(self.truncated());
        }
        self.pos = at;
        self.buf = 0;
        self.count = 0;
        Ok(at)
    }

    /// The input after the bits read (after [`Bits::align`]).
    pub(super) fn rest(&self) -> &'a [u8] {
        &self.input[self.pos..]
    }

    /// Moves `n` bytes on (after [`Bits::align`]; at most [`Bits::rest`]'s length).
    pub(super) fn skip_bytes(&mut self, n: usize) {
        self.pos += n;
    }
}
