//! Process measurements for the benchmark children (Linux only): CPU time from
//! `getrusage(RUSAGE_SELF)`, resident memory from `/proc/self/status`, and the
//! peak-RSS reset through `/proc/self/clear_refs`.

use std::time::Duration;

/// User and system CPU time consumed so far by this process (all threads).
#[derive(Debug, Clone, Copy)]
pub struct CpuTimes {
    /// User time.
    pub user: Duration,
    /// System time.
    pub sys: Duration,
}

#[cfg(all(target_os = "linux", target_pointer_width = "64"))]
mod ffi {
    /// `struct timeval` on 64-bit Linux.
    #[repr(C)]
    #[derive(Debug, Default, Clone, Copy)]
    pub struct Timeval {
        pub sec: i64,
        pub usec: i64,
    }

    /// `struct rusage` on 64-bit Linux: two timevals and fourteen `long`s.
    #[repr(C)]
    #[derive(Debug, Default)]
    pub struct Rusage {
        pub utime: Timeval,
        pub stime: Timeval,
        pub rest: [i64; 14],
    }

    /// `RUSAGE_SELF`: the calling process, all its threads (live and ended).
    pub const RUSAGE_SELF: i32 = 0;

    extern "C" {
        pub fn getrusage(who: i32, usage: *mut Rusage) -> i32;
    }
}

#[cfg(all(target_os = "linux", target_pointer_width = "64"))]
fn duration(tv: ffi::Timeval) -> Duration {
    let secs = u64::try_from(tv.sec).unwrap_or(0);
    let micros = u32::try_from(tv.usec).unwrap_or(0);
    Duration::from_secs(secs) + Duration::from_micros(u64::from(micros))
}

/// CPU times of this process (`getrusage(RUSAGE_SELF)`).
#[cfg(all(target_os = "linux", target_pointer_width = "64"))]
pub fn cpu_times() -> Result<CpuTimes, String> {
    let mut usage = ffi::Rusage::default();
    // SAFETY: `usage` is a valid, writable `struct rusage` for 64-bit Linux, which is
    // all getrusage(2) writes to.
    let rc = unsafe { ffi::getrusage(ffi::RUSAGE_SELF, &mut usage) };
    if rc != 0 {
        return Err(format!(
            "getrusage failed: {}",
            std::io::Error::last_os_error()
        ));
    }
    Ok(CpuTimes {
        user: duration(usage.utime),
        sys: duration(usage.stime),
    })
}

/// CPU times of this process: not available off 64-bit Linux.
#[cfg(not(all(target_os = "linux", target_pointer_width = "64")))]
pub fn cpu_times() -> Result<CpuTimes, String> {
    Err("the benchmark needs 64-bit Linux (getrusage, /proc/self)".to_string())
}

/// A `kB` field of `/proc/self/status`, such as `VmRSS` or `VmHWM`.
pub fn status_kb(field: &str) -> Result<u64, String> {
    let text = std::fs::read_to_string("/proc/self/status")
        .map_err(|e| format!("cannot read /proc/self/status: {e}"))?;
    text.lines()
        .find_map(|line| {
            let rest = line.strip_prefix(field)?.strip_prefix(':')?;
            rest.split_whitespace().next()?.parse().ok()
        })
        .ok_or_else(|| format!("no {field} in /proc/self/status"))
}

/// Resets the peak-RSS counter (`VmHWM`) to the current RSS.
pub fn reset_peak_rss() -> Result<(), String> {
    std::fs::write("/proc/self/clear_refs", "5")
        .map_err(|e| format!("cannot reset VmHWM through /proc/self/clear_refs: {e}"))
}
