//! [`Progress`]: how a long operation tells its caller how far it got.
//!
//! An operation reports `(done, total)` in a unit it knows before it starts (the lines
//! of chunks, columns or rows it goes through): `done` only grows, and it equals
//! `total` when the operation succeeded. Nothing is reported more often than once per
//! window of work, and an unobserved operation ([`Progress::default`]) pays one
//! branch per window.
//!
//! Operations on a connection report to the connection's observer
//! ([`LoomConnection::set_progress`](crate::LoomConnection::set_progress)); free
//! functions take one in their options ([`CombineOptions::progress`](crate::ops::CombineOptions)).

use std::fmt;
use std::sync::Arc;

/// The callback of a [`Progress`]: `(done, total)`.
type Report = dyn Fn(u64, u64) + Send + Sync;

/// A cheap, clonable observer of an operation's progress (none by default).
///
/// ```
/// use std::sync::atomic::{AtomicU64, Ordering};
/// use std::sync::Arc;
/// use loom_core::Progress;
///
/// let seen = Arc::new(AtomicU64::new(0));
/// let progress = Progress::new({
///     let seen = seen.clone();
///     move |done, _total| seen.store(done, Ordering::Relaxed)
/// });
/// progress.report(3, 10);
/// assert_eq!(seen.load(Ordering::Relaxed), 3);
/// assert!(!Progress::default().is_observed());
/// ```
#[derive(Clone, Default)]
pub struct Progress {
    report: Option<Arc<Report>>,
}

impl Progress {
    /// An observer calling `report(done, total)`.
    pub fn new(report: impl Fn(u64, u64) + Send + Sync + 'static) -> Self {
        Progress {
            report: Some(Arc::new(report)),
        }
    }

    /// Whether anyone listens.
    pub fn is_observed(&self) -> bool {
        self.report.is_some()
    }

    /// Reports `done` of `total` steps (nothing when unobserved).
    pub fn report(&self, done: u64, total: u64) {
        if let Some(r) = &self.report {
            r(done, total);
        }
    }
}

impl fmt::Debug for Progress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = if self.is_observed() {
            "observed"
        } else {
            "unobserved"
        };
        f.debug_tuple("Progress").field(&state).finish()
    }
}
