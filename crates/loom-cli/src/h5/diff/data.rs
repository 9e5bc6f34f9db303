//! One dataset's values compared with another's, window by window, so memory stays
//! bounded by a window whatever the dataset's size.
//!
//! Windows are C-order runs of element positions (see [`super::windows`]), cut on the
//! first dataset's chunk boundaries. When both datasets store their chunks alike (same
//! type, shape, chunk shape, filters and layout flags), the stored chunks of a window are
//! compared byte for byte and only those that differ are decoded. Otherwise both windows
//! are read whole. Elements of the same fixed-size type are compared by their bytes first
//! and decoded only where the bytes differ; variable-length or differing types are
//! decoded and compared as the dump prints them (so NaN equals NaN, and -0.0 equals 0.0).

use hdf5_lite::format::chunk_index::ChunkRecord;
use hdf5_lite::format::messages::{ByteOrder, Datatype, Layout};
use hdf5_lite::read::{decode_value, Dataset, Hyperslab, Value};
use serde_json::Value as Json;

use super::windows::{boxes, Windows};
use super::Differences;
use crate::h5::json;

/// How large one side's window may be.
#[derive(Debug, Clone, Copy)]
pub struct WindowSize {
    /// Bytes, when elements are compared by their stored bytes.
    pub stored_bytes: u64,
    /// Elements, when elements are decoded (a decoded element takes tens of bytes, more
    /// for strings).
    pub values: u64,
}

impl WindowSize {
    /// 16 MiB of stored bytes or 65536 decoded elements.
    pub const DEFAULT: WindowSize = WindowSize {
        stored_bytes: 1 << 24,
        values: 1 << 16,
    };
}

/// Elements compared as one block before looking element by element.
const BLOCK: usize = 4096;

/// How two datasets' values compare.
#[derive(Debug)]
pub enum Outcome {
    /// They hold different numbers of elements (first, second); values not compared.
    Counts(u64, u64),
    /// Compared element by element, in C order.
    Compared(Differences),
    /// Reading failed in one or both (the errors' messages); the first failure of each
    /// side ends that side's reading, as a dump then has no data for it.
    Failed(Option<String>, Option<String>),
}

/// How many elements `d` holds (none when its dataspace is null).
fn count(d: &Dataset) -> u64 {
    if d.is_null() {
        0
    } else {
        d.len()
    }
}

/// The stored bytes of the C-order positions `start..start + len` of `d`.
fn read_stored(d: &Dataset, start: u64, len: u64) -> hdf5_lite::Result<Vec<u8>> {
    let mut parts = boxes(d.shape(), start, start + len).into_iter();
    let mut out = match parts.next() {
        Some(first) => d.read_raw_slice(&first)?,
        None => Vec::new(),
    };
    for part in parts {
        out.extend(d.read_raw_slice(&part)?);
    }
    Ok(out)
}

/// The decoded elements at the C-order positions `start..start + len` of `d`.
fn read_values(d: &Dataset, start: u64, len: u64) -> hdf5_lite::Result<Vec<Value>> {
    let mut out = Vec::new();
    for part in boxes(d.shape(), start, start + len) {
        out.extend(d.read_values_slice(&part)?);
    }
    Ok(out)
}

/// Compares the values of `a` and `b` in windows of at most `size` per side.
pub fn compare(a: &Dataset, b: &Dataset, size: WindowSize) -> Outcome {
    let (na, nb) = (count(a), count(b));
    if na != nb {
        return Outcome::Counts(na, nb);
    }
    let mut diffs = Differences::new(na);
    if na == 0 {
        return Outcome::Compared(diffs);
    }
    let dt = a.datatype();
    let by_bytes = dt == b.datatype() && !has_heap_data(dt);
    let by_chunks = by_bytes && stored_alike(a, b);
    let budget = if by_bytes {
        size.stored_bytes / u64::from(dt.size().max(1))
    } else {
        size.values
    };
    let mut errors: [Option<String>; 2] = [None, None];
    for (start, len) in Windows::new(a.shape(), a.chunks(), budget) {
        if errors.iter().all(Option::is_some) {
            break;
        }
        if errors.iter().all(Option::is_none) && by_chunks {
            let parts = boxes(a.shape(), start, start + len);
            if let [window] = parts.as_slice() {
                if let Some(differing) = differing_chunks(a, b, window) {
                    if compare_parts(a, b, &differing, &mut errors, &mut diffs) {
                        continue;
                    }
                }
            }
        }
        let live = [errors[0].is_none(), errors[1].is_none()];
        if by_bytes {
            let read = [(a, live[0]), (b, live[1])]
                .map(|(d, live)| live.then(|| read_stored(d, start, len)));
            if let Some([x, y]) = settle(read, &mut errors) {
                compare_stored(dt, &x, &y, |i| start + i, &mut diffs);
            }
        } else {
            let read = [(a, live[0]), (b, live[1])]
                .map(|(d, live)| live.then(|| read_values(d, start, len)));
            if let Some([x, y]) = settle(read, &mut errors) {
                compare_values(x, y, start, &mut diffs);
            }
        }
    }
    match errors {
        [None, None] => Outcome::Compared(diffs),
        [ea, eb] => Outcome::Failed(ea, eb),
    }
}

/// Compares the boxes `parts` of `a` and `b` (the same type); false when reading one
/// failed (recorded in `errors`).
fn compare_parts(
    a: &Dataset,
    b: &Dataset,
    parts: &[Hyperslab],
    errors: &mut [Option<String>; 2],
    diffs: &mut Differences,
) -> bool {
    for part in parts {
        let read = [a, b].map(|d| Some(d.read_raw_slice(part)));
        let Some([x, y]) = settle(read, errors) else {
            return false;
        };
        compare_stored(
            a.datatype(),
            &x,
            &y,
            |i| position(a.shape(), part, i),
            diffs,
        );
    }
    true
}

/// Both windows when both sides were read cleanly; else records the new errors (a
/// side that failed before is not read again, so `None`).
fn settle<T>(
    read: [Option<hdf5_lite::Result<T>>; 2],
    errors: &mut [Option<String>; 2],
) -> Option<[T; 2]> {
    match read {
        [Some(Ok(x)), Some(Ok(y))] => Some([x, y]),
        read => {
            for (slot, r) in errors.iter_mut().zip(read) {
                if let Some(Err(e)) = r {
                    *slot = Some(e.to_string());
                }
            }
            None
        }
    }
}

/// Whether elements of `dt` refer to data stored elsewhere in the file (variable-length
/// strings and sequences live in the global heap): their stored bytes are addresses,
/// which differ between files holding the same values.
fn has_heap_data(dt: &Datatype) -> bool {
    match dt {
        Datatype::VarLenString { .. } | Datatype::VarLenSequence { .. } => true,
        Datatype::Compound { fields, .. } => fields.iter().any(|f| has_heap_data(&f.datatype)),
        Datatype::Array { base, .. } | Datatype::Enum { base, .. } => has_heap_data(base),
        _ => false,
    }
}

/// Whether the two datasets store their chunks the same way, so equal stored bytes mean
/// equal values (same type, shape, chunk shape, filters and layout flags).
fn stored_alike(a: &Dataset, b: &Dataset) -> bool {
    let flags = |d: &Dataset| match d.layout() {
        Layout::Chunked { flags, .. } => Some(*flags),
        _ => None,
    };
    flags(a).is_some()
        && flags(a) == flags(b)
        && a.shape() == b.shape()
        && a.chunks() == b.chunks()
        && a.filters() == b.filters()
}

/// The parts of `window` (a box of `a`'s shape) whose stored chunks differ between `a`
/// and `b` (each a chunk's intersection with the window), so only those are decoded;
/// none when every chunk is stored as the same bytes with the same filter mask. `None`
/// when the chunks cannot be paired (not listed alike, or chunks not stored whose fill
/// values differ): then the window is compared whole.
fn differing_chunks(a: &Dataset, b: &Dataset, window: &Hyperslab) -> Option<Vec<Hyperslab>> {
    let chunks = a.chunks()?;
    let (ra, rb) = (
        a.chunk_records_in(window).ok()?,
        b.chunk_records_in(window).ok()?,
    );
    if ra.len() != rb.len()
        || ra.iter().zip(&rb).any(|(x, y)| x.offset != y.offset)
        || (a.fill_value() != b.fill_value() && ra.len() as u128 != grid(window, chunks))
    {
        return None;
    }
    let same = |x: &ChunkRecord, y: &ChunkRecord| {
        x.filter_mask == y.filter_mask
            && x.size == y.size
            && matches!(
                (a.file().read_raw_chunk(x), b.file().read_raw_chunk(y)),
                (Ok(p), Ok(q)) if p == q
            )
    };
    let parts = ra
        .iter()
        .zip(&rb)
        .filter(|(x, y)| !same(x, y))
        .map(|(x, _)| {
            let (start, count) = (0..chunks.len())
                .map(|d| {
                    let lo = window.start[d].max(x.offset[d]);
                    let hi = (window.start[d] + window.count[d]).min(x.offset[d] + chunks[d]);
                    (lo, hi.saturating_sub(lo))
                })
                .unzip();
            Hyperslab { start, count }
        })
        .collect();
    Some(parts)
}

/// The C-order position in `shape` of element `i` (C order) of the box `part`.
fn position(shape: &[u64], part: &Hyperslab, mut i: u64) -> u64 {
    let (mut at, mut stride) = (0, 1);
    for d in (0..shape.len()).rev() {
        let n = part.count[d].max(1);
        at += (part.start[d] + i % n) * stride;
        i /= n;
        stride *= shape[d];
    }
    at
}

/// How many chunks of shape `chunks` a hyperslab touches.
fn grid(window: &Hyperslab, chunks: &[u64]) -> u128 {
    window
        .start
        .iter()
        .zip(&window.count)
        .zip(chunks)
        .map(|((&s, &n), &c)| u128::from((s + n).div_ceil(c) - s / c))
        .product()
}

/// Compares elements of the same fixed-size type by their bytes, decoding only those
/// whose bytes differ (different bytes may hold equal values: NaNs, -0.0 and 0.0,
/// bytes after a string's end); element `i` is at position `at(i)` of the dataset.
fn compare_stored(
    dt: &Datatype,
    a: &[u8],
    b: &[u8],
    at: impl Fn(u64) -> u64,
    diffs: &mut Differences,
) {
    if a == b {
        return;
    }
    let size = dt.size().max(1) as usize;
    let blocks = a.chunks(size * BLOCK).zip(b.chunks(size * BLOCK));
    for (k, (ba, bb)) in blocks.enumerate() {
        if ba == bb {
            continue;
        }
        for (i, (ea, eb)) in ba.chunks_exact(size).zip(bb.chunks_exact(size)).enumerate() {
            if ea == eb {
                continue;
            }
            let at = at((k * BLOCK + i) as u64);
            match same_number(dt, ea, eb) {
                Some(true) => {}
                Some(false) => diffs.differ(at, || decoded(dt, ea), || decoded(dt, eb)),
                None => {
                    let (va, vb) = (decoded(dt, ea), decoded(dt, eb));
                    if va.is_null() || va != vb {
                        diffs.differ(at, || va, || vb);
                    }
                }
            }
        }
    }
}

/// Whether two elements of different bytes hold the same number as the dump prints it,
/// without decoding them to values: never for integers; for 4- and 8-byte floats when
/// they are equal (-0.0 and 0.0) or both NaN. `None` for other types.
fn same_number(dt: &Datatype, a: &[u8], b: &[u8]) -> Option<bool> {
    let order = match dt {
        Datatype::Integer { .. } => return Some(false),
        Datatype::Float { order, .. } => *order,
        _ => return None,
    };
    let float = |x: &[u8]| -> Option<f64> {
        let big = order == ByteOrder::Big;
        if let Ok(b4) = <[u8; 4]>::try_from(x) {
            let v = if big {
                f32::from_be_bytes(b4)
            } else {
                f32::from_le_bytes(b4)
            };
            return Some(f64::from(v));
        }
        let b8 = <[u8; 8]>::try_from(x).ok()?;
        Some(if big {
            f64::from_be_bytes(b8)
        } else {
            f64::from_le_bytes(b8)
        })
    };
    let (x, y) = (float(a)?, float(b)?);
    Some(x == y || (x.is_nan() && y.is_nan()))
}

/// One element as the dump prints it (null when it cannot be decoded).
fn decoded(dt: &Datatype, bytes: &[u8]) -> Json {
    decode_value(dt, bytes).map_or(Json::Null, json::value)
}

/// Compares decoded elements as the dump prints them.
fn compare_values(a: Vec<Value>, b: Vec<Value>, start: u64, diffs: &mut Differences) {
    for (i, (va, vb)) in a.into_iter().zip(b).enumerate() {
        let (ja, jb) = (json::value(va), json::value(vb));
        if ja != jb {
            diffs.differ(start + i as u64, || ja, || jb);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hdf5_lite::read::{File, Numeric};
    use hdf5_lite::write::{DatasetSpec, MemFile, Writer};
    use std::sync::Arc;

    /// One chunk row of the 50 x 40 matrices below, as a window.
    const SMALL: WindowSize = WindowSize {
        stored_bytes: 8 * 40 * 4,
        values: 7,
    };

    /// A file in memory with a float32 matrix `/m` of 2000 elements (0, 1, 2, … with
    /// `changes`), chunked `chunks` and deflated, and vlen strings `/s` ("s0".."s19",
    /// with `renamed`).
    fn file(
        shape: [u64; 2],
        chunks: [u64; 2],
        changes: &[(u64, f32)],
        renamed: &[(u64, &str)],
    ) -> File {
        let mem = Arc::new(MemFile::new());
        let mut w = Writer::create_in(mem.clone()).unwrap();
        let spec = DatasetSpec::new(f32::datatype(), &shape)
            .chunks(&chunks)
            .deflate(1);
        w.create_dataset("/m", &spec).unwrap();
        let mut values: Vec<f32> = (0..2000u16).map(f32::from).collect();
        for &(i, v) in changes {
            values[i as usize] = v;
        }
        w.write_numbers("/m", &[0, 0], &shape, &values).unwrap();
        let vlen = DatasetSpec::new(hdf5_lite::write::vlen_utf8(), &[20]);
        w.create_dataset("/s", &vlen).unwrap();
        let mut names: Vec<String> = (0..20).map(|i| format!("s{i}")).collect();
        for &(i, s) in renamed {
            names[i as usize] = s.to_owned();
        }
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        w.write_strings("/s", &[0], &[20], &names).unwrap();
        w.close().unwrap();
        File::from_bytes(mem.to_bytes()).unwrap()
    }

    fn run(a: &File, b: &File, name: &str) -> Outcome {
        let (da, db) = (a.dataset(name).unwrap(), b.dataset(name).unwrap());
        compare(&da, &db, SMALL)
    }

    fn listed(outcome: Outcome) -> (u64, Vec<(u64, Json, Json)>) {
        match outcome {
            Outcome::Compared(d) => (d.count, d.shown),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn differences_across_windows_are_counted_and_listed_in_order() {
        let a = file([50, 40], [8, 8], &[], &[]);
        // -0.0 equals 0.0 (element 0): six differences. 9 and 40 are in one window
        // (rows 0 to 7) but in two chunks, 40's first.
        let changes = [
            (1999, -1.0),
            (3, -2.0),
            (40, 4.5),
            (9, 4.5),
            (1000, f32::NAN),
            (321, -0.0),
            (0, -0.0),
        ];
        let b = file([50, 40], [8, 8], &changes, &[(19, "x"), (7, "y")]);
        let (count, shown) = listed(run(&a, &b, "/m"));
        assert_eq!(count, 6);
        let at: Vec<u64> = shown.iter().map(|s| s.0).collect();
        assert_eq!(at, [3, 9, 40, 321, 1000, 1999]);
        assert_eq!(shown[4].2, Json::from("nan"));
        assert_eq!(shown[5], (1999, Json::from(1999.0), Json::from(-1.0)));
        // Chunk (0, 0) holds positions 40.. of rows 1 to 7 and is compared before chunk
        // (0, 1), which holds positions 8 to 15 of row 0: the ten lowest are listed.
        let mut changes: Vec<(u64, f32)> = (1..8)
            .flat_map(|r| (0..8).map(move |c| (r * 40 + c, -1.0)))
            .collect();
        changes.extend((8..16).map(|c| (c, -1.0)));
        let c = file([50, 40], [8, 8], &changes, &[]);
        let (count, shown) = listed(run(&a, &c, "/m"));
        assert_eq!(count, 64);
        let at: Vec<u64> = shown.iter().map(|s| s.0).collect();
        assert_eq!(at, [8, 9, 10, 11, 12, 13, 14, 15, 40, 41]);
        let (count, shown) = listed(run(&a, &b, "/s"));
        assert_eq!(count, 2);
        assert_eq!(shown[0], (7, Json::from("s7"), Json::from("y")));
        assert_eq!(listed(run(&a, &a, "/m")).0, 0);
        assert_eq!(listed(run(&b, &b, "/s")).0, 0);
    }

    #[test]
    fn numbers_of_different_bytes_compare_as_the_dump_prints_them() {
        let le = f32::datatype();
        let be = Datatype::Float {
            size: 8,
            order: ByteOrder::Big,
        };
        let quiet = f32::NAN.to_le_bytes();
        let payload = f32::from_bits(0x7fc0_0001).to_le_bytes();
        assert_eq!(same_number(&le, &quiet, &payload), Some(true));
        assert_eq!(
            same_number(&le, &0f32.to_le_bytes(), &(-0f32).to_le_bytes()),
            Some(true)
        );
        assert_eq!(
            same_number(&le, &1f32.to_le_bytes(), &2f32.to_le_bytes()),
            Some(false)
        );
        let (one, two) = (1f64.to_be_bytes(), 2f64.to_be_bytes());
        assert_eq!(same_number(&be, &one, &two), Some(false));
        assert_eq!(decoded(&be, &two), Json::from(2.0));
        assert_eq!(
            same_number(&i32::datatype(), &[1, 0, 0, 0], &[2, 0, 0, 0]),
            Some(false)
        );
        assert_eq!(
            same_number(&hdf5_lite::write::vlen_utf8(), &[0; 16], &[1; 16]),
            None
        );
    }

    #[test]
    fn chunks_not_stored_hold_each_files_fill_value() {
        let make = |fill: f32| {
            let mem = Arc::new(MemFile::new());
            let mut w = Writer::create_in(mem.clone()).unwrap();
            let spec = DatasetSpec::new(f32::datatype(), &[16, 16])
                .chunks(&[8, 8])
                .deflate(1)
                .fill_value(&fill.to_le_bytes());
            w.create_dataset("/m", &spec).unwrap();
            w.write_numbers("/m", &[0, 0], &[8, 8], &[1.0f32; 64])
                .unwrap();
            w.close().unwrap();
            File::from_bytes(mem.to_bytes()).unwrap()
        };
        let (zero, seven) = (make(0.0), make(7.0));
        let (count, shown) = listed(run(&zero, &seven, "/m"));
        assert_eq!(count, 192);
        assert_eq!(shown[0], (8, Json::from(0.0), Json::from(7.0)));
        assert_eq!(listed(run(&seven, &make(7.0), "/m")).0, 0);
    }

    #[test]
    fn other_chunking_and_shape_compare_values_in_c_order() {
        let a = file([50, 40], [8, 8], &[], &[]);
        let rechunked = file([50, 40], [50, 3], &[(77, 0.5)], &[]);
        let (count, shown) = listed(run(&a, &rechunked, "/m"));
        assert_eq!((count, shown[0].0), (1, 77));
        // 40 x 50 holds the same 2000 elements in the same C order; a window of the
        // first shape spans rows of the second.
        let reshaped = file([40, 50], [7, 9], &[(1234, 0.5)], &[]);
        let (count, shown) = listed(run(&a, &reshaped, "/m"));
        assert_eq!((count, shown[0].0), (1, 1234));
        let (count, _) = listed(run(&reshaped, &a, "/m"));
        assert_eq!(count, 1);
    }

    #[test]
    fn windows_listed_stored_chunks_match_a_full_read() {
        let a = file([50, 40], [8, 8], &[], &[]);
        let m = a.dataset("/m").unwrap();
        let window = Hyperslab {
            start: vec![8, 0],
            count: vec![8, 40],
        };
        let records = m.chunk_records_in(&window).unwrap();
        let offsets: Vec<Vec<u64>> = records.iter().map(|r| r.offset.clone()).collect();
        assert_eq!(offsets, (0..5).map(|c| vec![8, c * 8]).collect::<Vec<_>>());
        assert_eq!(grid(&window, &[8, 8]), 5);
        let all = m.chunk_records().unwrap();
        assert_eq!(all.len(), 35);
        assert!(records.iter().all(|r| all.contains(r)));
    }

    /// Fixture 65 holds only an external link to fixture 64's chunked, deflated
    /// `/data`: the linked dataset's chunk addresses are in 64, so its stored chunks
    /// are read from there (read from 65, the file named on the command line, they
    /// would fail or be other bytes, and every chunk would be decoded).
    #[test]
    fn chunks_of_an_externally_linked_dataset_are_read_from_its_own_file() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures");
        let target = dir.join("64_feat_external_chunked_target.h5");
        let linking = File::open(dir.join("65_feat_external_chunked.h5")).unwrap();
        let direct = File::open(&target).unwrap();
        let (a, b) = (
            linking.dataset("/data").unwrap(),
            direct.dataset("/data").unwrap(),
        );
        let whole = Hyperslab::all(&[6, 10]);
        assert!(stored_alike(&a, &b));
        assert_eq!(differing_chunks(&a, &b, &whole), Some(Vec::new()));
        assert_eq!(listed(run(&linking, &direct, "/data")), (0, Vec::new()));

        // A copy of 64 with element (4, 5) changed: only its chunk is decoded.
        let mem = Arc::new(MemFile::from_bytes(std::fs::read(&target).unwrap()));
        let mut w = Writer::open_in(mem.clone()).unwrap();
        w.write_numbers("/data", &[4, 5], &[1, 1], &[-1i32])
            .unwrap();
        w.close().unwrap();
        let edited = File::from_bytes(mem.to_bytes()).unwrap();
        let c = edited.dataset("/data").unwrap();
        assert!(stored_alike(&a, &c));
        let changed = Hyperslab {
            start: vec![3, 4],
            count: vec![3, 4],
        };
        assert_eq!(differing_chunks(&a, &c, &whole), Some(vec![changed]));
        assert_eq!(
            listed(run(&linking, &edited, "/data")),
            (1, vec![(45, serde_json::json!(45), serde_json::json!(-1))])
        );
    }
}
