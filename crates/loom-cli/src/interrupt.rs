//! Interrupted commands leave no file behind: a command that writes a temporary file
//! (renamed into place when complete) registers it here, and SIGINT, SIGTERM or SIGHUP
//! (Ctrl-C, `timeout`, a closed terminal) removes it before the process ends as the
//! signal asks. A temporary folder is registered with the files it may hold, the folder
//! last. One registration at a time; nothing is done on platforms without signals.

use std::path::Path;

/// Removes the registered paths on an interrupting signal until dropped.
#[derive(Debug)]
pub struct Guard(());

/// Registers `path` (the temporary file a command is about to write) for removal if the
/// process is interrupted, until the returned guard is dropped.
pub fn remove_on_interrupt(path: &Path) -> Guard {
    remove_all_on_interrupt(&[path])
}

/// Registers up to [`MAX_PATHS`] paths, removed in order if the process is interrupted
/// (a file is unlinked, an empty folder removed), until the returned guard is dropped.
pub fn remove_all_on_interrupt(paths: &[&Path]) -> Guard {
    #[cfg(unix)]
    unix::register(paths);
    #[cfg(not(unix))]
    let _ = paths;
    Guard(())
}

/// How many paths one registration holds.
pub const MAX_PATHS: usize = 6;

impl Drop for Guard {
    fn drop(&mut self) {
        #[cfg(unix)]
        unix::unregister();
    }
}

#[cfg(unix)]
mod unix {
    use std::ffi::CString;
    use std::os::unix::ffi::OsStrExt;
    use std::path::Path;
    use std::ptr::null_mut;
    use std::sync::atomic::{AtomicPtr, Ordering};
    use std::sync::Once;

    /// The registered paths as C strings owned through `CString::into_raw`, or null.
    static PATHS: [AtomicPtr<libc::c_char>; super::MAX_PATHS] =
        [const { AtomicPtr::new(null_mut()) }; super::MAX_PATHS];
    static INSTALL: Once = Once::new();

    const SIGNALS: [libc::c_int; 3] = [libc::SIGINT, libc::SIGTERM, libc::SIGHUP];

    /// Runs in the signal's context: only async-signal-safe calls (atomic swaps,
    /// unlink, rmdir, signal, raise).
    extern "C" fn on_signal(sig: libc::c_int) {
        for slot in &PATHS {
            let p = slot.swap(null_mut(), Ordering::SeqCst);
            if !p.is_null() {
                // SAFETY: `p` came from `CString::into_raw` and was swapped out, so no
                // one else frees it; unlink and rmdir only read the NUL-terminated string.
                unsafe {
                    if libc::unlink(p) != 0 {
                        libc::rmdir(p);
                    }
                }
            }
        }
        // SAFETY: restoring the default action and raising the signal again ends the
        // process as the signal would have without this handler.
        unsafe {
            libc::signal(sig, libc::SIG_DFL);
            libc::raise(sig);
        }
    }

    pub(super) fn register(paths: &[&Path]) {
        INSTALL.call_once(|| {
            let handler: extern "C" fn(libc::c_int) = on_signal;
            for sig in SIGNALS {
                // SAFETY: `on_signal` is an `extern "C" fn(c_int)` that makes only
                // async-signal-safe calls.
                unsafe { libc::signal(sig, handler as libc::sighandler_t) };
            }
        });
        unregister();
        for (slot, path) in PATHS.iter().zip(paths) {
            if let Ok(c) = CString::new(path.as_os_str().as_bytes()) {
                free(slot.swap(c.into_raw(), Ordering::SeqCst));
            }
        }
    }

    pub(super) fn unregister() {
        for slot in &PATHS {
            free(slot.swap(null_mut(), Ordering::SeqCst));
        }
    }

    fn free(p: *mut libc::c_char) {
        if !p.is_null() {
            // SAFETY: every non-null pointer stored in PATHS came from
            // `CString::into_raw`, and the swap that returned it took it out of PATHS.
            drop(unsafe { CString::from_raw(p) });
        }
    }
}
