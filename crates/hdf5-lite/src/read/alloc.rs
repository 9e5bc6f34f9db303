//! Output buffers of reads: zeroed allocations, so their pages are first touched by the
//! decoding threads that write them (no serial pre-fill). On Linux a large one is
//! advised into transparent huge pages (`MADV_HUGEPAGE`; where THP is set to `madvise`,
//! the common default, nothing else asks for them): a 4 GB result then costs about two
//! thousand page faults instead of a million, which was a third of a full read's CPU.

use crate::error::{Error, Result};
use crate::read::Numeric;

/// Buffers from this size on are advised into huge pages.
#[cfg(target_os = "linux")]
const HUGE_FROM: usize = 32 << 20;

/// A vector of `n` zero values, allocated zeroed (its pages untouched until written), or
/// `TooLarge` when the allocation fails.
pub(crate) fn zeroed<T: Numeric>(n: usize) -> Result<Vec<T>> {
    // A fallible probe first: `vec!` aborts when the allocation fails, and its zeroed
    // allocation is what spares the serial pre-fill. The probe's pages are never touched.
    let mut probe: Vec<T> = Vec::new();
    probe.try_reserve_exact(n).map_err(|_| Error::TooLarge {
        what: "selection",
        size: (n as u128).saturating_mul(std::mem::size_of::<T>() as u128),
    })?;
    drop(probe);
    let v = vec![T::default(); n];
    advise_huge(&v);
    Ok(v)
}

/// Advises the whole 2 MiB pages inside a large, not yet touched buffer into
/// transparent huge pages. Advice only: nothing changes if the kernel declines.
#[cfg(target_os = "linux")]
fn advise_huge<T>(v: &[T]) {
    const HUGE: usize = 2 << 20;
    let bytes = std::mem::size_of_val(v);
    if bytes < HUGE_FROM {
        return;
    }
    let start = v.as_ptr() as usize;
    let first = start.next_multiple_of(HUGE);
    let end = (start + bytes) / HUGE * HUGE;
    if end > first {
        // SAFETY: `first..end` lies inside `v`'s allocation, which this function does
        // not access; MADV_HUGEPAGE only changes how the kernel backs those pages, never
        // their contents (zero until written) or their validity.
        unsafe {
            libc::madvise(first as *mut libc::c_void, end - first, libc::MADV_HUGEPAGE);
        }
    }
}

#[cfg(not(target_os = "linux"))]
fn advise_huge<T>(_: &[T]) {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn large_buffers_are_zero_and_writable() {
        let mut v = zeroed::<f32>((40 << 20) / 4 + 3).unwrap_or_default();
        assert!(v.iter().all(|&x| x == 0.0));
        v[12345] = 1.5;
        assert_eq!(v.iter().sum::<f32>(), 1.5);
        assert!(zeroed::<f64>(usize::MAX / 4).is_err());
    }
}
