//! Corruption sweep: every fixture, truncated at many offsets or with bytes flipped
//! across its metadata, gives an error or a result, within a time bound: never a panic,
//! a hang or an allocation sized from an unchecked length.

use std::sync::mpsc;
use std::time::Duration;

use hdf5_lite::read::File;
use loom_cli::h5::dump::{dump, Options};
use loom_tests::fixtures;

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
