//! Interrupted commands leave no file behind: a command that writes a temporary file
//! (renamed into place when complete) registers it here, and SIGINT, SIGTERM or SIGHUP
//! (Ctrl-C, `timeout`, a closed terminal) removes it before the process ends as the
//! signal asks. One file at a time; nothing is done on platforms without signals.

use std::path::Path;

/// Removes the registered file on an interrupting signal until dropped.
#[derive(Debug)]
pub struct Guard(());

/// Registers `path` (the temporary file a command is about to write) for removal if the
/// process is interrupted, until the returned guard is dropped.
pub fn remove_on_interrupt(path: &Path) -> Guard {
    #[cfg(unix)]
    unix::register(path);
    #[cfg(not(unix))]
    let _ = path;
    Guard(())
}

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

    /// The registered path as a C string owned through `CString::into_raw`, or null.
    static PATH: AtomicPtr<libc::c_char> = AtomicPtr::new(null_mut());
    static INSTALL: Once = Once::new();

    const SIGNALS: [libc::c_int; 3] = [libc::SIGINT, libc::SIGTERM, libc::SIGHUP];

    /// Runs in the signal's context: only async-signal-safe calls (an atomic swap,
    /// unlink, signal, raise).
    extern "C" fn on_signal(sig: libc::c_int) {
        let p = PATH.swap(null_mut(), Ordering::SeqCst);
        if !p.is_null() {
            // SAFETY: `p` came from `CString::into_raw` and was swapped out, so no one
            // else frees it; unlink only reads the NUL-terminated string.
            unsafe { libc::unlink(p) };
        }
        // SAFETY: restoring the default action and raising the signal again ends the
        // process as the signal would have without this handler.
        unsafe {
            libc::signal(sig, libc::SIG_DFL);
            libc::raise(sig);
        }
    }

    pub(super) fn register(path: &Path) {
        INSTALL.call_once(|| {
            let handler: extern "C" fn(libc::c_int) = on_signal;
            for sig in SIGNALS {
                // SAFETY: `on_signal` is an `extern "C" fn(c_int)` that makes only
                // async-signal-safe calls.
                unsafe { libc::signal(sig, handler as libc::sighandler_t) };
            }
        });
        let Ok(c) = CString::new(path.as_os_str().as_bytes()) else {
            return;
        };
        free(PATH.swap(c.into_raw(), Ordering::SeqCst));
    }

    pub(super) fn unregister() {
        free(PATH.swap(null_mut(), Ordering::SeqCst));
    }

    fn free(p: *mut libc::c_char) {
        if !p.is_null() {
            // SAFETY: every non-null pointer stored in PATH came from
            // `CString::into_raw`, and the swap that returned it took it out of PATH.
            drop(unsafe { CString::from_raw(p) });
        }
    }
}
