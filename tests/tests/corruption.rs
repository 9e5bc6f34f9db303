//! Corruption sweep: every fixture, truncated at many offsets or with bytes flipped
//! across its metadata, gives an error or a result, within a time bound: never a panic,
//! a hang or an allocation sized from an unchecked length.

// Test helpers outside #[test] functions may unwrap: a failure there is a test failure.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

use hdf5_lite::read::File;
use loom_cli::h5::dump::{dump, Options};
use loom_core::{LoomConnection, Mode, Strictness};
use loom_tests::{fixtures, fixtures_dir};

/// No single allocation of these tests may be larger: a file can make a reader ask for
/// anything, and a request above this is refused, as on a machine without the memory.
/// Fallible paths then report a typed error; an unchecked one aborts the test binary
/// ("memory allocation of N bytes failed"), which is how the bug was first seen.
const MAX_ALLOCATION: usize = 1 << 30;

/// The system allocator, refusing requests above [`MAX_ALLOCATION`].
struct Bounded;

// SAFETY: forwards to the system allocator unchanged, or returns null (a refusal that
// GlobalAlloc allows) for oversized requests.
unsafe impl GlobalAlloc for Bounded {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if layout.size() > MAX_ALLOCATION {
            return std::ptr::null_mut();
        }
        // SAFETY: the caller's layout contract is passed on as is.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if layout.size() > MAX_ALLOCATION {
            return std::ptr::null_mut();
        }
        // SAFETY: as in `alloc`.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from `System` with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if new_size > MAX_ALLOCATION {
            return std::ptr::null_mut();
        }
        // SAFETY: as in `dealloc`; the new size is the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Bounded = Bounded;

/// A mutated file must be handled within this time.
const LIMIT: Duration = Duration::from_secs(20);

/// Datasets larger than this are not read (a flipped dimension could ask for terabytes).
const MAX_ELEMENTS: u64 = 1 << 20;

/// Runs a full dump of `bytes` on another thread: `Some(true)` if it reported an error,
/// `Some(false)` if it read cleanly, `None` if it panicked. Fails the test on a hang.
fn dump_bytes(bytes: Vec<u8>, what: &str) -> Option<bool> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let result = std::panic::catch_unwind(|| match File::from_bytes(bytes) {
            Err(_) => true,
            Ok(file) => match dump(
                &file,
                Options {
                    max_elements: Some(MAX_ELEMENTS),
                },
            ) {
                Err(_) => true,
                Ok(d) => !d.errors.is_empty(),
            },
        });
        let _ = tx.send(result.ok());
    });
    match rx.recv_timeout(LIMIT) {
        Ok(r) => r,
        Err(_) => panic!("{what}: no answer within {LIMIT:?} (endless loop?)"),
    }
}

/// Deterministic pseudo-random numbers (xorshift), so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

#[test]
fn truncated_files_are_errors() {
    let mut panics = Vec::new();
    let mut silent = Vec::new();
    for (file, _) in fixtures() {
        let bytes = std::fs::read(&file).unwrap();
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        let n = bytes.len();
        let mut cuts: Vec<usize> = (0..40).map(|i| i * n / 40).collect();
        cuts.extend([1, 8, 95, 96, 200, 512, 800, 2048, n - 1]);
        cuts.retain(|&c| c < n);
        cuts.sort_unstable();
        cuts.dedup();
        for cut in cuts {
            let what = format!("{name} truncated to {cut} bytes");
            match dump_bytes(bytes[..cut].to_vec(), &what) {
                None => panics.push(what),
                Some(false) => silent.push(what),
                Some(true) => {}
            }
        }
    }
    assert!(panics.is_empty(), "panicked:\n{}", panics.join("\n"));
    assert!(
        silent.is_empty(),
        "read without error:\n{}",
        silent.join("\n")
    );
}

#[test]
fn flipped_bytes_never_panic_or_hang() {
    let mut panics = Vec::new();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for (file, _) in fixtures() {
        let bytes = std::fs::read(&file).unwrap();
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        // Metadata sits mostly in the first few KiB and in object headers spread through
        // the file: flip bytes densely at the start and sparsely elsewhere.
        let head = bytes.len().min(4096);
        let mut spots: Vec<usize> = (0..60).map(|_| (rng.next() as usize) % head).collect();
        spots.extend((0..30).map(|_| (rng.next() as usize) % bytes.len()));
        for spot in spots {
            let mut mutated = bytes.clone();
            let flip = (rng.next() % 255 + 1) as u8;
            mutated[spot] ^= flip;
            let what = format!("{name} with byte {spot} xor {flip:#04x}");
            if dump_bytes(mutated, &what).is_none() {
                panics.push(what);
            }
        }
    }
    assert!(
        panics.is_empty(),
        "{} panics:\n{}",
        panics.len(),
        panics.join("\n")
    );
}

/// What every reader of a mutated loom file said: `connect` (validating), `loom info`,
/// `loom validate` and `loom h5 dump`, each `Ok(summary)` or `Err(message)`.
#[derive(Debug, PartialEq)]
struct Verdicts {
    connect: Result<(u64, u64), String>,
    info: Result<String, String>,
    validate: Result<bool, String>,
    dump: Result<(serde_json::Value, Vec<String>), String>,
}

/// Runs every reader on the file at `path` on another thread; a panic fails the test.
fn verdicts(path: &Path) -> Verdicts {
    let path = path.to_path_buf();
    let what = path.display().to_string();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let run = || Verdicts {
            connect: LoomConnection::open(&path, Mode::Read, true)
                .map(|c| c.shape())
                .map_err(|e| e.to_string()),
            // The text after its first line, which names the file.
            info: loom_cli::info::info(&path)
                .map(|i| i.text.lines().skip(1).collect::<Vec<_>>().join("\n"))
                .map_err(|e| e.to_string()),
            validate: loom_cli::validate::validate(&path, Strictness::Conventions, false)
                .map(|r| r.valid)
                .map_err(|e| e.to_string()),
            dump: File::open(&path)
                .and_then(|f| dump(&f, Options::default()))
                .map(|d| (d.json, d.errors))
                .map_err(|e| e.to_string()),
        };
        let _ = tx.send(std::panic::catch_unwind(run).ok());
    });
    match rx.recv_timeout(LIMIT) {
        Ok(Some(v)) => v,
        Ok(None) => panic!("{what}: a reader panicked"),
        Err(_) => panic!("{what}: no answer within {LIMIT:?}"),
    }
}

/// A copy of fixture `name` with `byte` at `offset` replaced, in the test's scratch folder.
fn mutated(name: &str, offset: usize, byte: u8) -> PathBuf {
    let mut bytes = std::fs::read(fixtures_dir().join(name)).unwrap();
    bytes[offset] = byte;
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("corruption");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("{name}.{offset}.{byte:02x}"));
    std::fs::write(&path, bytes).unwrap();
    path
}

/// File offsets of the size field of every datatype message starting with `header`
/// (class-and-version byte and the three class bit-field bytes).
fn datatype_sizes(name: &str, header: [u8; 4]) -> Vec<usize> {
    let bytes = std::fs::read(fixtures_dir().join(name)).unwrap();
    bytes
        .windows(4)
        .enumerate()
        .filter(|(_, w)| *w == header)
        .map(|(i, _)| i + 4)
        .collect()
}

/// Issue 8, item 1: the top byte of a variable-length string type's size set to 0xff
/// (size 4278190096) made every read of the dataset or attribute allocate a 4 GiB fill
/// element, aborting `connect`, `loom info`, `loom validate` and `loom h5 dump`. A
/// variable-length element is always length + heap address + index on disk, whatever
/// the size field says (libhdf5 ignores it too), so the file reads as before.
#[test]
fn vlen_string_size_field_is_not_trusted() {
    let name = "01_loompy_create_dense.loom";
    let original = verdicts(&fixtures_dir().join(name));
    assert_eq!(original.connect, Ok((100, 70)));
    let sizes = datatype_sizes(name, [0x19, 0x01, 0x01, 0x00]);
    assert!(sizes.len() >= 8, "{sizes:?}");
    for at in sizes {
        let path = mutated(name, at + 3, 0xff);
        // Not assert_eq: the verdicts hold the whole dump.
        assert!(
            verdicts(&path) == original,
            "{} reads differently",
            path.display()
        );
    }
}

/// The same flip on fixed-length string types (loompy 2 attributes, whose elements are
/// really that size): the stored data cannot hold 4 GiB elements, so each read is a
/// typed error, before anything is allocated.
#[test]
fn fixed_string_size_beyond_the_file_is_an_error() {
    let name = "30_emul_loompy2_fixedlen.loom";
    let sizes = datatype_sizes(name, [0x13, 0x01, 0x00, 0x00]);
    assert!(!sizes.is_empty());
    for at in sizes {
        let path = mutated(name, at + 3, 0xff);
        let v = verdicts(&path);
        let (json, errors) = v.dump.as_ref().unwrap();
        assert!(json.is_object());
        assert!(
            errors
                .iter()
                .any(|e| e.contains("corrupt") || e.contains("bytes")),
            "{}: {errors:?}",
            path.display()
        );
    }
}
