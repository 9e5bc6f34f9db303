//! Nothing lost: a storage that fails on the k-th write, for every k across a multi-step
//! edit (add a dataset, grow another, add attributes, delete a link). After each simulated
//! crash the file opens and reads exactly the old or the new contents, and a failed edit
//! leaves the old bytes exactly (as does a disk that fills up at any point).

// Test helpers outside #[test] functions may unwrap: a failure there is a test failure.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use hdf5_lite::read::{File, Numeric};
use hdf5_lite::write::{AttrValue, DatasetSpec, MemFile, StorageMut, Writer};
use hdf5_lite::Storage;
use loom_cli::h5::dump::{dump, Options};

/// A [`MemFile`] whose k-th write fails; with `torn`, that write leaves half its bytes.
#[derive(Debug)]
struct Crashing {
    inner: MemFile,
    writes: AtomicU64,
    fail_at: u64,
    torn: bool,
    /// The number of the first write of a superblock (0: none yet).
    superblock_write: AtomicU64,
}

impl Storage for Crashing {
    fn len(&self) -> u64 {
        self.inner.len()
    }
    fn read_exact_at(&self, offset: u64, buf: &mut [u8]) -> std::io::Result<()> {
        self.inner.read_exact_at(offset, buf)
    }
}

impl StorageMut for Crashing {
    fn write_all_at(&self, offset: u64, data: &[u8]) -> std::io::Result<()> {
        let n = self.writes.fetch_add(1, Ordering::SeqCst) + 1;
        if offset == 0 {
            let _ =
                self.superblock_write
                    .compare_exchange(0, n, Ordering::SeqCst, Ordering::SeqCst);
        }
        if n == self.fail_at {
            // The superblock (96 bytes at offset 0) is written with one sector-sized write,
            // which disks do not tear; every other write may be torn.
            if self.torn && offset != 0 {
                self.inner.write_all_at(offset, &data[..data.len() / 2])?;
            }
            return Err(std::io::Error::other("simulated crash"));
        }
        self.inner.write_all_at(offset, data)
    }
    fn sync(&self) -> std::io::Result<()> {
        Ok(())
    }
    fn current_len(&self) -> u64 {
        self.inner.current_len()
    }
    fn truncate(&self, len: u64) -> std::io::Result<()> {
        self.inner.truncate(len)
    }
}

/// A [`MemFile`] on a disk that holds `capacity` bytes: a write past it stores what fits
/// and fails as a full disk does.
#[derive(Debug)]
struct Full {
    inner: MemFile,
    capacity: u64,
    /// The largest length the storage reached.
    peak: AtomicU64,
}

impl Storage for Full {
    fn len(&self) -> u64 {
        self.inner.len()
    }
    fn read_exact_at(&self, offset: u64, buf: &mut [u8]) -> std::io::Result<()> {
        self.inner.read_exact_at(offset, buf)
    }
}

impl StorageMut for Full {
    fn write_all_at(&self, offset: u64, data: &[u8]) -> std::io::Result<()> {
        self.peak
            .fetch_max(offset + data.len() as u64, Ordering::SeqCst);
        let room = self.capacity.saturating_sub(offset) as usize;
        if data.len() > room {
            self.inner.write_all_at(offset, &data[..room])?;
            return Err(std::io::Error::new(
                std::io::ErrorKind::StorageFull,
                "No space left on device",
            ));
        }
        self.inner.write_all_at(offset, data)
    }
    fn sync(&self) -> std::io::Result<()> {
        Ok(())
    }
    fn current_len(&self) -> u64 {
        self.inner.current_len()
    }
    fn truncate(&self, len: u64) -> std::io::Result<()> {
        self.inner.truncate(len)
    }
}

fn base_file() -> Vec<u8> {
    let mem = MemFile::new();
    let mut w = Writer::create_in(Arc::new(mem.clone())).unwrap();
    w.create_group("/g").unwrap();
    let grow = DatasetSpec::new(i32::datatype(), &[10, 4])
        .maxshape(&[None, Some(4)])
        .chunks(&[4, 4])
        .deflate(2);
    w.create_dataset("/g/grow", &grow).unwrap();
    let values: Vec<i32> = (0..40).collect();
    w.write_numbers("/g/grow", &[0, 0], &[10, 4], &values)
        .unwrap();
    w.create_dataset("/gone", &DatasetSpec::new(f64::datatype(), &[3]))
        .unwrap();
    w.write_numbers("/gone", &[0], &[3], &[1.5f64, 2.5, 3.5])
        .unwrap();
    w.set_attribute("/", "title", &AttrValue::string("before"))
        .unwrap();
    w.close().unwrap();
    mem.to_bytes()
}

/// The multi-step edit; returns the first error.
fn edit(storage: Arc<dyn StorageMut>) -> hdf5_lite::Result<()> {
    let mut w = Writer::open_in(storage)?;
    let spec = DatasetSpec::new(f32::datatype(), &[6, 5])
        .chunks(&[2, 2])
        .shuffle()
        .deflate(4)
        .fletcher32();
    w.create_dataset("/g/new", &spec)?;
    let values: Vec<f32> = (0..30).map(|i| i as f32 * 0.5).collect();
    w.write_numbers("/g/new", &[0, 0], &[6, 5], &values)?;
    w.resize("/g/grow", &[17, 4])?;
    let more: Vec<i32> = (100..128).collect();
    w.write_numbers("/g/grow", &[10, 0], &[7, 4], &more)?;
    w.set_attribute("/g/grow", "unit", &AttrValue::string("counts"))?;
    w.set_attribute("/", "title", &AttrValue::string("after"))?;
    w.set_attribute("/g", "numbers", &AttrValue::numbers(&[1u16, 2, 3], &[3]))?;
    w.unlink("/gone")?;
    w.close()
}

fn contents(bytes: Vec<u8>) -> Result<serde_json::Value, String> {
    let file = File::from_bytes(bytes).map_err(|e| e.to_string())?;
    let d = dump(&file, Options::default()).map_err(|e| e.to_string())?;
    if d.errors.is_empty() {
        Ok(d.json)
    } else {
        Err(d.errors.join("; "))
    }
}

#[test]
fn a_crash_at_any_write_leaves_the_old_or_the_new_contents() {
    let old_bytes = base_file();
    let old = contents(old_bytes.clone()).unwrap();

    let counting = Arc::new(Crashing {
        inner: MemFile::from_bytes(old_bytes.clone()),
        writes: AtomicU64::new(0),
        fail_at: 0,
        torn: false,
        superblock_write: AtomicU64::new(0),
    });
    edit(counting.clone()).unwrap();
    let total = counting.writes.load(Ordering::SeqCst);
    let superblock = counting.superblock_write.load(Ordering::SeqCst);
    let new = contents(counting.inner.to_bytes()).unwrap();
    assert_ne!(old, new);
    assert_eq!(new["attributes"]["title"]["data"], "after");
    assert!(new["members"].get("gone").is_none());
    assert_eq!(
        new["members"]["g"]["members"]["grow"]["shape"],
        serde_json::json!([17, 4])
    );
    assert!(total > 10, "the edit should take many writes, took {total}");

    let mut outcomes = (0, 0);
    for torn in [false, true] {
        for k in 1..=total {
            let storage = Arc::new(Crashing {
                inner: MemFile::from_bytes(old_bytes.clone()),
                writes: AtomicU64::new(0),
                fail_at: k,
                torn,
                superblock_write: AtomicU64::new(0),
            });
            let result = edit(storage.clone());
            let after = contents(storage.inner.to_bytes()).unwrap_or_else(|e| {
                panic!("crash at write {k} (torn: {torn}) left an unreadable file: {e}")
            });
            if after == old {
                assert!(
                    result.is_err(),
                    "write {k}: old contents but the edit reported success"
                );
                assert!(
                    storage.inner.to_bytes() == old_bytes,
                    "crash at write {k} (torn: {torn}) left the old contents but not the old bytes"
                );
                outcomes.0 += 1;
            } else {
                assert_eq!(
                    after, new,
                    "crash at write {k} (torn: {torn}) left neither the old nor the new contents"
                );
                outcomes.1 += 1;
            }
        }
    }
    // Only a failure after the edit's superblock write can leave the new contents: one in
    // the compacting commit at close (syncs never fail in this storage).
    let before = superblock as usize;
    assert!(before > 10);
    assert_eq!(outcomes, (2 * before, 2 * (total as usize - before)));
}

#[test]
fn a_failed_writer_refuses_further_edits() {
    let storage = Arc::new(Crashing {
        inner: MemFile::from_bytes(base_file()),
        writes: AtomicU64::new(0),
        fail_at: 1,
        torn: false,
        superblock_write: AtomicU64::new(0),
    });
    let mut w = Writer::open_in(storage).unwrap();
    w.create_dataset("/x", &DatasetSpec::new(u8::datatype(), &[4]))
        .unwrap();
    assert!(w.write_numbers("/x", &[0], &[4], &[1u8, 2, 3, 4]).is_err());
    let err = w
        .set_attribute("/", "a", &AttrValue::string("b"))
        .unwrap_err();
    assert!(matches!(err, hdf5_lite::Error::Aborted(_)), "{err}");
}

#[test]
fn a_full_disk_leaves_the_file_byte_identical() {
    let old_bytes = base_file();
    let probe = Arc::new(Full {
        inner: MemFile::from_bytes(old_bytes.clone()),
        capacity: u64::MAX,
        peak: AtomicU64::new(0),
    });
    edit(probe.clone()).unwrap();
    // The edit's commit needs the most room; compacting at close only lowers the end.
    let needed = probe.peak.load(Ordering::SeqCst);
    let edited = probe.inner.to_bytes().len();
    let start = old_bytes.len() as u64;
    let mut failures = 0;
    for capacity in (start..needed).step_by(97).chain([start, needed - 1]) {
        let storage = Arc::new(Full {
            inner: MemFile::from_bytes(old_bytes.clone()),
            capacity,
            peak: AtomicU64::new(0),
        });
        let err = edit(storage.clone()).expect_err("the disk is too small for the edit");
        assert!(err.to_string().contains("No space left"), "{err}");
        assert!(
            storage.inner.to_bytes() == old_bytes,
            "a disk full at {capacity} bytes changed the file"
        );
        failures += 1;
    }
    assert!(failures > 5);
    let roomy = Arc::new(Full {
        inner: MemFile::from_bytes(old_bytes.clone()),
        capacity: needed,
        peak: AtomicU64::new(0),
    });
    edit(roomy.clone()).unwrap();
    assert_eq!(roomy.inner.to_bytes().len(), edited);
}
