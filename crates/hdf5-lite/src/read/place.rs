//! Placing the elements of a box held in memory (a decoded chunk, compact data) into a
//! read's output: run by run in C order, or for an F-order read element by element
//! (gathered) or from the box transposed while it is in the cache
//! ([`transpose`](crate::region::transpose)).

use std::marker::PhantomData;

use crate::error::{Error, Result};
use crate::format::messages::Datatype;
use crate::read::convert::{convert_into, Numeric};
use crate::read::select::BoxRuns;

/// The output of a read, written at element positions by one or several threads.
///
/// A read writes each element of the output at most once (every output element belongs
/// to exactly one dataset element, hence to one chunk, and each chunk is handled by one
/// thread): that is what makes the concurrent writes of [`Shared`] sound.
pub(crate) trait Out: Sync {
    /// Stores `src` (whole stored elements) from element `at` of the output on.
    fn put(&self, at: usize, src: &[u8]) -> Result<()>;
    /// Hints that elements `at..at + n` of the output are about to be stored.
    fn prefetch(&self, at: usize, n: usize);
    /// [`prefetch`](Out::prefetch) for every run of `runs`.
    fn prefetch_runs(&self, runs: &BoxRuns<'_>) {
        // `for_each` fails only when the closure does.
        let _ = runs.for_each(|_, d, n| {
            self.prefetch(d, n);
            Ok(())
        });
    }
    /// Stores the runs of `runs` (consecutive in `src`, a box of `elem`-byte elements),
    /// run by run; `address` is for errors.
    fn put_runs(&self, src: &[u8], runs: &BoxRuns<'_>, elem: usize, address: u64) -> Result<()> {
        runs.for_each(|s, d, n| self.put(d, run_bytes(src, s, n, elem, address)?))
    }
}

/// Elements `s..s + n` of a box of `elem`-byte elements held in `src`.
fn run_bytes(src: &[u8], s: usize, n: usize, elem: usize, address: u64) -> Result<&[u8]> {
    src.get(s * elem..(s + n) * elem)
        .ok_or_else(|| Error::corrupt("chunk", address, "chunk smaller than its dimensions"))
}

/// A mutable slice that the threads of one read write at disjoint positions.
pub(crate) struct Shared<'a, T> {
    ptr: *mut T,
    len: usize,
    _borrow: PhantomData<&'a mut [T]>,
}

// SAFETY: `Shared` is a `&mut [T]` whose elements are handed out to threads at disjoint
// positions only (see `Out`); sending or sharing it is sharing `T`s between threads.
unsafe impl<T: Send> Send for Shared<'_, T> {}
// SAFETY: as above.
unsafe impl<T: Send> Sync for Shared<'_, T> {}

impl<'a, T> Shared<'a, T> {
    pub(crate) fn new(out: &'a mut [T]) -> Self {
        Shared {
            ptr: out.as_mut_ptr(),
            len: out.len(),
            _borrow: PhantomData,
        }
    }

    /// Asks the processor to bring the cache lines of elements `at..at + n` into its
    /// cache (nothing when that lies outside): a hint, which changes no memory.
    fn prefetch(&self, at: usize, n: usize) {
        #[cfg(target_arch = "x86_64")]
        {
            use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
            const LINE: usize = 64;
            if n == 0 || at.checked_add(n).is_none_or(|end| end > self.len) {
                return;
            }
            let size = std::mem::size_of::<T>();
            let start = (self.ptr as usize).saturating_add(at.saturating_mul(size));
            let end = start.saturating_add(n.saturating_mul(size));
            // A plain loop: `step_by` costs several times the prefetches themselves.
            let mut line = start & !(LINE - 1);
            while line < end {
                // SAFETY: a prefetch never faults and changes no memory; every line
                // holds elements of the slice (at + n <= len, checked above).
                unsafe { _mm_prefetch::<_MM_HINT_T0>(line as *const i8) };
                line += LINE;
            }
        }
        #[cfg(not(target_arch = "x86_64"))]
        let _ = (at, n);
    }

    /// Elements `at..at + n`, or `None` when that lies outside.
    ///
    /// # Safety
    /// No other live borrow from this `Shared` may overlap `at..at + n`.
    #[allow(clippy::mut_from_ref)]
    unsafe fn range(&self, at: usize, n: usize) -> Option<&mut [T]> {
        if at.checked_add(n)? > self.len {
            return None;
        }
        // SAFETY: in bounds (checked above) of the slice borrowed for 'a; the caller
        // guarantees no overlapping borrow is live.
        Some(unsafe { std::slice::from_raw_parts_mut(self.ptr.add(at), n) })
    }
}

fn outside() -> Error {
    Error::Selection("element outside the selection".into())
}

/// Stored bytes, copied as they are.
pub(crate) struct RawOut<'a> {
    pub out: Shared<'a, u8>,
    pub elem: usize,
}

impl Out for RawOut<'_> {
    fn put(&self, at: usize, src: &[u8]) -> Result<()> {
        // SAFETY: a read writes each output element once (`Out`), so no two calls'
        // ranges overlap.
        let dst = unsafe { self.out.range(at * self.elem, src.len()) }.ok_or_else(outside)?;
        dst.copy_from_slice(src);
        Ok(())
    }

    fn prefetch(&self, at: usize, n: usize) {
        self.out
            .prefetch(at.saturating_mul(self.elem), n.saturating_mul(self.elem));
    }
}

/// Numbers, converted run by run straight into the typed output.
pub(crate) struct TypedOut<'a, T> {
    pub out: Shared<'a, T>,
    pub datatype: &'a Datatype,
    pub elem: usize,
}

impl<T: Numeric> Out for TypedOut<'_, T> {
    fn put(&self, at: usize, src: &[u8]) -> Result<()> {
        let n = src.len() / self.elem.max(1);
        // SAFETY: a read writes each output element once (`Out`), so no two calls'
        // ranges overlap.
        let dst = unsafe { self.out.range(at, n) }.ok_or_else(outside)?;
        convert_into(src, self.datatype, dst)
    }

    fn prefetch(&self, at: usize, n: usize) {
        self.out.prefetch(at, n);
    }
}

/// Copies the selected elements of a box held in memory (a compact dataset, a decoded
/// chunk), whose runs are `runs`, into `out`; `address` is for errors.
pub(crate) fn scatter(
    src: &[u8],
    runs: &BoxRuns<'_>,
    elem: usize,
    address: u64,
    out: &dyn Out,
) -> Result<()> {
    let short = || Error::corrupt("chunk", address, "chunk smaller than its dimensions");
    let step = runs.step();
    if step == 1 {
        return out.put_runs(src, runs, elem, address);
    }
    let mut gathered = [0u8; GATHER];
    runs.for_each(|s, d, n| {
        if n == 0 {
            return Ok(());
        }
        let end = (n - 1)
            .checked_mul(step)
            .and_then(|k| k.checked_add(s + 1))
            .and_then(|k| k.checked_mul(elem))
            .filter(|&e| e <= src.len())
            .ok_or_else(short)?;
        let run = &src[s * elem..end];
        let per = (GATHER / elem.max(1)).max(1);
        for first in (0..n).step_by(per) {
            let count = per.min(n - first);
            let at = first * step * elem;
            if elem > GATHER {
                out.put(d + first, &run[at..at + elem])?;
                continue;
            }
            gather(&run[at..], elem, step * elem, &mut gathered[..count * elem]);
            out.put(d + first, &gathered[..count * elem])?;
        }
        Ok(())
    })
}

/// Bytes gathered at a time from a run whose elements are apart in the source.
const GATHER: usize = 1024;

/// Fills `dst` with the `elem`-byte elements of `src` that are `stride` bytes apart,
/// starting with the first. `src` must hold them all.
fn gather(src: &[u8], elem: usize, stride: usize, dst: &mut [u8]) {
    fn fixed<const E: usize>(src: &[u8], stride: usize, dst: &mut [u8]) {
        let count = dst.len() / E;
        if count == 0 || (count - 1) * stride + E > src.len() {
            return;
        }
        let (from, to) = (src.as_ptr(), dst.as_mut_ptr());
        for k in 0..count {
            // SAFETY: element k of `src` ends at (count - 1) * stride + E <= src.len()
            // (checked above), element k of `dst` at count * E <= dst.len().
            unsafe {
                let v = std::ptr::read_unaligned(from.add(k * stride).cast::<[u8; E]>());
                std::ptr::write_unaligned(to.add(k * E).cast::<[u8; E]>(), v);
            }
        }
    }
    match elem {
        1 => fixed::<1>(src, stride, dst),
        2 => fixed::<2>(src, stride, dst),
        4 => fixed::<4>(src, stride, dst),
        8 => fixed::<8>(src, stride, dst),
        _ => {
            for (k, d) in dst.chunks_exact_mut(elem.max(1)).enumerate() {
                d.copy_from_slice(&src[k * stride..k * stride + elem]);
            }
        }
    }
}
