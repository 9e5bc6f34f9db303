//! Windows of layers decoded one ahead of their consumer into recycled buffers: the
//! reader under `scan` and `map`.
//!
//! A background thread reads window after window of every layer asked for (each chunk a
//! window touches decoded once, in parallel, by hdf5-lite's `read_orthogonal_into`). It
//! decodes window k+1 while the consumer works on window k, into buffers the consumer
//! hands back when done with them: it owns at most `sets` sets of buffers (one when the
//! consumer swaps each window out into its own buffers, as `scan` does; two when it
//! works on the reader's buffers, as `map` does), so after the first windows nothing is
//! allocated and no fresh page is faulted in. On request, layers whose values `f32`
//! holds exactly (float16/32, 8- and 16-bit integers) are decoded as `f32`: half the
//! bytes to write and read again, for a consumer that converts them lane by lane.

use std::sync::mpsc::{channel, sync_channel, Receiver, Sender};

use hdf5_lite::format::messages::Datatype;
use hdf5_lite::read::{Dataset, Indices, Numeric};

use crate::axis::Axis;
use crate::error::{LoomError, Result};

/// The positions of one window along the read axis.
#[derive(Debug, Clone)]
pub(crate) enum Span {
    /// `count` consecutive positions from `start`.
    Range {
        /// First position.
        start: u64,
        /// Number of positions.
        count: u64,
    },
    /// These positions, in this order (repeats allowed).
    List(Vec<u64>),
}

impl Span {
    fn len(&self) -> usize {
        match self {
            Span::Range { count, .. } => *count as usize,
            Span::List(v) => v.len(),
        }
    }

    fn indices(&self) -> Indices<'_> {
        match self {
            Span::Range { start, count } => Indices::Range {
                start: *start,
                count: *count,
            },
            Span::List(v) => Indices::List(v),
        }
    }
}

/// One decoded window of one layer, C order: (window × other axis) when reading rows,
/// (other axis × window) when reading columns (or, for a plan by lanes, window × other
/// axis either way: see [`Plan::lanes`]).
#[derive(Debug)]
pub(crate) enum Raw {
    /// Decoded as `f32` (exact for this layer's type).
    F32(Vec<f32>),
    /// Decoded as `f64`.
    F64(Vec<f64>),
}

impl Raw {
    /// The window as `f64`, C order, into `out` (resized to fit). An `f64` window is
    /// swapped in rather than copied (`self` then holds `out`'s old buffer).
    pub(crate) fn move_into_f64(&mut self, out: &mut Vec<f64>) {
        match self {
            Raw::F32(v) => {
                fit(out, v.len());
                for (o, &x) in out.iter_mut().zip(v.iter()) {
                    *o = f64::from(x);
                }
            }
            Raw::F64(v) => std::mem::swap(out, v),
        }
    }
}

/// Makes `v` exactly `len` long, writing only what it grows by (the reader overwrites
/// the rest). A buffer too small is replaced, not grown (its values are not needed), by
/// one whose large pages are asked for before anything is written to it.
fn fit<T: Clone + Default>(v: &mut Vec<T>, len: usize) {
    if v.capacity() < len {
        *v = Vec::with_capacity(len);
        huge_pages(
            v.as_ptr().cast(),
            len.saturating_mul(std::mem::size_of::<T>()),
        );
    }
    if v.len() != len {
        v.resize(len, T::default());
    }
}

/// Buffers of at least this many bytes are backed by transparent huge pages where the
/// system offers them on request.
#[cfg(target_os = "linux")]
const HUGE_BUFFER: usize = 4 << 20;

/// Asks the kernel to back the 2 MiB-aligned part of a fresh buffer (`bytes` long at
/// `ptr`, not yet written) with transparent huge pages, when it is at least
/// [`HUGE_BUFFER`] long. A window is written chunk row by chunk row: in a window of
/// rows, each of a chunk's rows lands on another 4 KiB page, and the page-table walks of
/// those stores cost more than the copy (scan over rows, 98 MiB windows of the medium
/// file: ~0.5 s of 4.8 s CPU). Only advice: where it is refused (THP off, other
/// kernels), the buffer has ordinary pages.
#[cfg(target_os = "linux")]
fn huge_pages(ptr: *const u8, bytes: usize) {
    const HUGE_PAGE: usize = 1 << 21;
    if bytes < HUGE_BUFFER {
        return;
    }
    let start = (ptr as usize).next_multiple_of(HUGE_PAGE);
    let end = (ptr as usize).saturating_add(bytes) / HUGE_PAGE * HUGE_PAGE;
    if end > start {
        // SAFETY: start..end lies inside the buffer's own allocation (ptr..ptr + bytes),
        // owned by the caller; MADV_HUGEPAGE changes how the kernel backs those pages,
        // never their contents, mapping or protection. Its result is advice only.
        unsafe {
            libc::madvise(start as *mut libc::c_void, end - start, libc::MADV_HUGEPAGE);
        }
    }
}

#[cfg(not(target_os = "linux"))]
fn huge_pages(_ptr: *const u8, _bytes: usize) {}

/// What the reader reads: some layers, along one axis, all of the other (or a list of it).
#[derive(Debug, Clone)]
struct Source {
    /// Each layer and whether it is decoded as `f32`.
    layers: Vec<(Dataset, bool)>,
    axis: Axis,
    other_len: u64,
    other: Option<Vec<u64>>,
    lanes: bool,
}

impl Source {
    /// The selection of one window (read axis first in `Axis::Rows` order) and its
    /// number of elements.
    fn selection<'a>(&'a self, span: &'a Span) -> ([Indices<'a>; 2], usize) {
        let here = span.indices();
        let there = match &self.other {
            Some(v) => Indices::List(v),
            None => Indices::Range {
                start: 0,
                count: self.other_len,
            },
        };
        let cross = self
            .other
            .as_ref()
            .map_or(self.other_len as usize, Vec::len);
        let sel = match self.axis {
            Axis::Rows => [here, there],
            Axis::Cols => [there, here],
        };
        (sel, span.len().saturating_mul(cross))
    }

    /// Reads one window of every layer into `spare` (buffers of an earlier window) or
    /// into new buffers.
    fn read(&self, span: &Span, spare: Vec<Raw>) -> Result<Vec<Raw>> {
        let (sel, len) = self.selection(span);
        let mut spare = spare.into_iter();
        self.layers
            .iter()
            .map(|(d, narrow)| {
                let mut raw = match (spare.next(), narrow) {
                    (Some(Raw::F32(v)), true) => Raw::F32(v),
                    (Some(Raw::F64(v)), false) => Raw::F64(v),
                    (_, true) => Raw::F32(Vec::new()),
                    (_, false) => Raw::F64(Vec::new()),
                };
                match &mut raw {
                    Raw::F32(v) => {
                        fit(v, len);
                        d.read_orthogonal_into(&sel, v)?;
                    }
                    Raw::F64(v) => {
                        fit(v, len);
                        d.read_orthogonal_into(&sel, v)?;
                    }
                }
                Ok(raw)
            })
            .collect()
    }

    /// Reads one window of every layer as `T` into `spare` or into new buffers.
    fn read_as<T: Numeric>(&self, span: &Span, spare: Vec<Vec<T>>) -> Result<Vec<Vec<T>>> {
        let (sel, len) = self.selection(span);
        let mut spare = spare.into_iter();
        self.layers
            .iter()
            .map(|(d, _)| {
                let mut v = spare.next().unwrap_or_default();
                fit(&mut v, len);
                if self.lanes && self.axis == Axis::Cols {
                    d.read_orthogonal_into_f(&sel, &mut v)?;
                } else {
                    d.read_orthogonal_into(&sel, &mut v)?;
                }
                Ok(v)
            })
            .collect()
    }
}

/// Whether `f32` holds every value of this type exactly.
fn narrow(dt: &Datatype) -> bool {
    matches!(
        dt,
        Datatype::Float { size: 2 | 4, .. } | Datatype::Integer { size: 1 | 2, .. }
    )
}

/// Decoded windows, in order, one ahead of the consumer (see the module documentation):
/// each window a `B`, one buffer per layer (`Vec<Raw>`, or `Vec<Vec<T>>` for
/// [`Prefetch::start_as`]).
#[derive(Debug)]
pub(crate) struct Prefetch<B = Vec<Raw>> {
    /// Windows not yet handed out.
    left: usize,
    mode: Mode<B>,
}

/// Reads one window of a source into spare buffers.
type ReadFn<B> = fn(&Source, &Span, B) -> Result<B>;

#[derive(Debug)]
enum Mode<B> {
    /// A background thread decodes; buffers go back to it through `spare`.
    Thread {
        blocks: Receiver<Result<B>>,
        spare: Sender<B>,
    },
    /// No thread could be made (wasm): windows are decoded when asked for.
    Inline {
        source: Source,
        read: ReadFn<B>,
        spans: std::vec::IntoIter<Span>,
        spare: B,
    },
}

/// What every reader is given: the layers, the read axis, the other axis (`other_len`
/// long, read whole or, with `other`, those positions in that order), the windows, and
/// how many sets of buffers it may own (at least 1).
pub(crate) struct Plan {
    pub(crate) layers: Vec<Dataset>,
    pub(crate) axis: Axis,
    pub(crate) other: (u64, Option<Vec<u64>>),
    pub(crate) spans: Vec<Span>,
    pub(crate) sets: usize,
    /// [`Prefetch::start_as`] only: each window by lanes, every row or column of the
    /// read axis contiguous (window × other axis, C order, for either axis): columns
    /// are transposed chunk by chunk as they are decoded.
    pub(crate) lanes: bool,
}

impl Prefetch<Vec<Raw>> {
    /// Starts reading `plan`'s windows, as `f32` where that is exact and
    /// `narrow_where_exact`, else as `f64`.
    pub(crate) fn start(plan: Plan, narrow_where_exact: bool) -> Self {
        let flags = plan
            .layers
            .iter()
            .map(|d| narrow_where_exact && narrow(d.datatype()))
            .collect();
        Prefetch::spawn(plan, flags, Source::read)
    }
}

impl<T: Numeric> Prefetch<Vec<Vec<T>>> {
    /// Starts reading `plan`'s windows as `T` (converted as `Dataset::read` does).
    pub(crate) fn start_as(plan: Plan) -> Self {
        let flags = vec![false; plan.layers.len()];
        Prefetch::spawn(plan, flags, Source::read_as::<T>)
    }
}

impl<B: Default + Send + 'static> Prefetch<B> {
    fn spawn(plan: Plan, narrow: Vec<bool>, read: ReadFn<B>) -> Self {
        let Plan {
            layers,
            axis,
            other: (other_len, other),
            spans,
            sets,
            lanes,
        } = plan;
        let source = Source {
            layers: layers.into_iter().zip(narrow).collect(),
            axis,
            other_len,
            other,
            lanes,
        };
        let left = spans.len();
        // Rendezvous: the thread decodes one window ahead, then waits for the consumer.
        let (tx, blocks) = sync_channel(0);
        let (spare, spare_rx) = channel::<B>();
        let (thread_source, thread_spans) = (source.clone(), spans.clone());
        let spawned = std::thread::Builder::new()
            .name("loom-prefetch".to_owned())
            .spawn(move || {
                let mut buffers = B::default();
                for (k, span) in thread_spans.iter().enumerate() {
                    if k >= sets.max(1) {
                        // Wait for the consumer to give a set of buffers back.
                        match spare_rx.recv() {
                            Ok(b) => buffers = b,
                            Err(_) => return,
                        }
                    }
                    let block = read(&thread_source, span, std::mem::take(&mut buffers));
                    let failed = block.is_err();
                    if tx.send(block).is_err() || failed {
                        return;
                    }
                }
            });
        let mode = match spawned {
            Ok(_) => Mode::Thread { blocks, spare },
            Err(_) => Mode::Inline {
                source,
                read,
                spans: spans.into_iter(),
                spare: B::default(),
            },
        };
        Prefetch { left, mode }
    }

    /// Hands the next window (one buffer per layer, in the order given) to `work`, then
    /// takes its buffers back for the window after; `None` after the last window or an
    /// error.
    pub(crate) fn next_with<R>(
        &mut self,
        work: impl FnOnce(&mut B) -> Result<R>,
    ) -> Option<Result<R>> {
        if self.left == 0 {
            return None;
        }
        self.left -= 1;
        let block = match &mut self.mode {
            Mode::Thread { blocks, .. } => blocks.recv().unwrap_or_else(|_| {
                Err(LoomError::InvalidInput(
                    "the window reader thread stopped".to_owned(),
                ))
            }),
            Mode::Inline {
                source,
                read,
                spans,
                spare,
            } => match spans.next() {
                Some(span) => read(source, &span, std::mem::take(spare)),
                None => Err(LoomError::InvalidInput("no window left".to_owned())),
            },
        };
        let mut raws = match block {
            Ok(r) => r,
            Err(e) => {
                self.left = 0;
                return Some(Err(e));
            }
        };
        let out = work(&mut raws);
        match &mut self.mode {
            Mode::Thread { spare, .. } => {
                // A thread that has stopped needs no buffers.
                let _ = spare.send(raws);
            }
            Mode::Inline { spare, .. } => *spare = raws,
        }
        if out.is_err() {
            self.left = 0;
        }
        Some(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn f32_values_move_into_f64() {
        let mut c = vec![1.0; 3];
        Raw::F32(vec![1.5, -2.0]).move_into_f64(&mut c);
        assert_eq!(c, [1.5, -2.0]);
    }
}
