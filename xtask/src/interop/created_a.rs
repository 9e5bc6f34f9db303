//! Files written from scratch, part 1: groups (deep and wide), storage layouts and chunk
//! shapes, filters, fill values with partial writes, and resizing.

use std::path::Path;

use hdf5_lite::format::messages::{ByteOrder, Datatype};
use hdf5_lite::read::Numeric;
use hdf5_lite::write::{vlen_utf8, AttrValue, DatasetSpec};

use super::session::{Exp, Session};

type R<T> = Result<T, String>;

/// A deterministic pseudo-random sequence (64-bit LCG, high bits).
pub fn lcg(seed: u64, n: usize) -> Vec<u32> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..n)
        .map(|_| {
            x = x
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (x >> 33) as u32
        })
        .collect()
}

fn n(shape: &[u64]) -> usize {
    shape.iter().product::<u64>() as usize
}

/// Nested groups, an empty group, and a group of 300 members (multi-level group B-tree),
/// then a second session adding and removing members of the big group.
pub fn groups(dir: &Path) -> R<Vec<Exp>> {
    let name = "groups.h5";
    let mut s = Session::create(dir, name, "created: groups 3 deep, a 300-member group")?;
    s.group("/a/b/c")?;
    for (path, level) in [("/a", 1i32), ("/a/b", 2), ("/a/b/c", 3)] {
        s.attr(path, "level", &AttrValue::numbers(&[level], &[]))?;
    }
    s.dataset("/a/b/c/leaf", &DatasetSpec::new(i16::datatype(), &[5]))?;
    s.write_numbers("/a/b/c/leaf", &[0], &[5], &[-2i16, -1, 0, 1, 2])?;
    s.group("/a/b/c/d")?;
    s.group("/empty")?;
    s.group("/big")?;
    for i in 0..300u32 {
        let member = if i % 50 == 7 {
            format!("/big/ünï_{i:03}")
        } else {
            format!("/big/m{i:03}{}", "x".repeat((i % 17) as usize))
        };
        if i % 6 == 0 {
            s.dataset(&member, &DatasetSpec::new(i32::datatype(), &[]))?;
            s.write_numbers(&member, &[], &[], &[i as i32 * 3])?;
        } else {
            s.group(&member)?;
        }
    }
    s.attr("/big", "count", &AttrValue::numbers(&[300u32], &[]))?;
    let exp = s.close()?;

    let mut s = Session::open(dir, exp)?;
    for i in 0..20u32 {
        let member = format!("/big/added_{i:02}");
        s.dataset(&member, &DatasetSpec::new(u8::datatype(), &[2]))?;
        s.write_numbers(&member, &[0], &[2], &[i as u8, 255 - i as u8])?;
    }
    for i in [0u32, 1, 57, 150, 299] {
        let member = if i % 50 == 7 {
            format!("/big/ünï_{i:03}")
        } else {
            format!("/big/m{i:03}{}", "x".repeat((i % 17) as usize))
        };
        s.unlink(&member)?;
    }
    s.attr("/big", "count", &AttrValue::numbers(&[315u32], &[]))?;
    Ok(vec![s.close()?])
}

/// Contiguous datasets of rank 0–3 and chunked ones with many chunk shapes: edge chunks,
/// a chunk larger than the data, 1-element chunks, 4489 chunks (3-level chunk B-tree).
pub fn layouts(dir: &Path) -> R<Vec<Exp>> {
    let mut s = Session::create(dir, "layouts.h5", "created: contiguous and chunk shapes")?;
    s.group("/contig")?;
    s.dataset("/contig/d1", &DatasetSpec::new(i32::datatype(), &[17]))?;
    let v: Vec<i32> = (0..17).map(|i| i * i - 50).collect();
    s.write_numbers("/contig/d1", &[0], &[17], &v)?;
    s.dataset("/contig/d2", &DatasetSpec::new(f64::datatype(), &[6, 7]))?;
    let v: Vec<f64> = (0..42).map(|i| f64::from(i) / 8.0 - 2.0).collect();
    s.write_numbers("/contig/d2", &[0, 0], &[6, 7], &v)?;
    s.dataset("/contig/d3", &DatasetSpec::new(u16::datatype(), &[3, 4, 5]))?;
    let v: Vec<u16> = (0..60).map(|i| i * 1000).collect();
    s.write_numbers("/contig/d3", &[0, 0, 0], &[3, 4, 5], &v)?;
    s.dataset("/contig/scalar", &DatasetSpec::new(f32::datatype(), &[]))?;
    s.write_numbers("/contig/scalar", &[], &[], &[2.5f32])?;
    let unwritten = DatasetSpec::new(i32::datatype(), &[10]).fill_value(&(-3i32).to_le_bytes());
    s.dataset("/contig/unwritten", &unwritten)?;
    s.dataset("/contig/partial", &DatasetSpec::new(i64::datatype(), &[20]))?;
    let v: Vec<i64> = (0..7).map(|i| i64::MAX - i).collect();
    s.write_numbers("/contig/partial", &[5], &[7], &v)?;
    s.dataset("/contig/block", &DatasetSpec::new(i32::datatype(), &[8, 9]))?;
    let v: Vec<i32> = (0..12).collect();
    s.write_numbers("/contig/block", &[2, 3], &[3, 4], &v)?;

    s.group("/chunked")?;
    let cases: Vec<(&str, Datatype, Vec<u64>, Vec<u64>)> = vec![
        ("c1d", i32::datatype(), vec![100], vec![7]),
        ("c2d", f32::datatype(), vec![10, 12], vec![3, 5]),
        ("c3d", i16::datatype(), vec![5, 7, 9], vec![2, 3, 4]),
        ("bigchunk", u8::datatype(), vec![10, 10], vec![64, 64]),
        ("tiny", i32::datatype(), vec![9, 9], vec![1, 1]),
        ("deep", i32::datatype(), vec![200, 200], vec![3, 3]),
        ("many1d", u16::datatype(), vec![1000], vec![1]),
        ("wide", u32::datatype(), vec![3, 2000], vec![2, 16]),
        ("exact", f64::datatype(), vec![8, 8], vec![4, 4]),
    ];
    for (name, dt, shape, chunks) in cases {
        let path = format!("/chunked/{name}");
        s.dataset(&path, &DatasetSpec::new(dt.clone(), &shape).chunks(&chunks))?;
        let zero = vec![0; shape.len()];
        match dt {
            Datatype::Float { size: 4, .. } => {
                let v: Vec<f32> = (0..n(&shape)).map(|i| i as f32 * 0.25 - 7.0).collect();
                s.write_numbers(&path, &zero, &shape, &v)?;
            }
            Datatype::Float { .. } => {
                let v: Vec<f64> = (0..n(&shape)).map(|i| i as f64 * -1.5).collect();
                s.write_numbers(&path, &zero, &shape, &v)?;
            }
            _ => {
                let v: Vec<i64> = (0..n(&shape) as i64).map(|i| (i * 7919) % 30_001).collect();
                s.write_numbers(&path, &zero, &shape, &v)?;
            }
        }
    }
    let empty = DatasetSpec::new(f64::datatype(), &[0])
        .maxshape(&[None])
        .chunks(&[16]);
    s.dataset("/chunked/empty", &empty)?;
    let unwritten = DatasetSpec::new(i32::datatype(), &[30, 30])
        .chunks(&[8, 8])
        .fill_value(&42i32.to_le_bytes());
    s.dataset("/chunked/unwritten", &unwritten)?;
    s.exp.ds("/chunked/unwritten")?.num_chunks = Some(0);
    s.exp.ds("/chunked/deep")?.num_chunks = Some(67 * 67);
    s.exp.ds("/chunked/many1d")?.num_chunks = Some(1000);
    Ok(vec![s.close()?])
}

/// gzip 0–9, shuffle, Fletcher-32 and their combinations, on edge chunks too.
pub fn filters(dir: &Path) -> R<Vec<Exp>> {
    let mut s = Session::create(dir, "filters.h5", "created: gzip 0-9, shuffle, fletcher32")?;
    s.group("/gzip")?;
    let v: Vec<i32> = (0..2000).map(|i| i % 37 - 10).collect();
    for level in 0..=9 {
        let path = format!("/gzip/level{level}");
        let spec = DatasetSpec::new(i32::datatype(), &[40, 50])
            .chunks(&[16, 16])
            .deflate(level);
        s.dataset(&path, &spec)?;
        s.write_numbers(&path, &[0, 0], &[40, 50], &v)?;
    }
    let specs: Vec<(&str, DatasetSpec)> = vec![
        (
            "/shuffle_only",
            DatasetSpec::new(i64::datatype(), &[300])
                .chunks(&[64])
                .shuffle(),
        ),
        (
            "/shuffle_gzip",
            DatasetSpec::new(f32::datatype(), &[50, 40])
                .chunks(&[16, 16])
                .shuffle()
                .deflate(6),
        ),
        (
            "/fletcher_only",
            DatasetSpec::new(i16::datatype(), &[100])
                .chunks(&[30])
                .fletcher32(),
        ),
        (
            "/fletcher_odd",
            DatasetSpec::new(u8::datatype(), &[101])
                .chunks(&[7])
                .fletcher32(),
        ),
        (
            "/all_three",
            DatasetSpec::new(f64::datatype(), &[30, 30])
                .chunks(&[8, 8])
                .shuffle()
                .deflate(9)
                .fletcher32(),
        ),
        (
            "/shuffle_fletcher",
            DatasetSpec::new(f32::datatype(), &[100])
                .chunks(&[33])
                .shuffle()
                .fletcher32(),
        ),
        (
            "/gzip_edges",
            DatasetSpec::new(u16::datatype(), &[33, 17])
                .chunks(&[10, 10])
                .deflate(4),
        ),
        (
            "/gzip_be",
            DatasetSpec::new(
                Datatype::Integer {
                    size: 4,
                    signed: true,
                    order: ByteOrder::Big,
                },
                &[70],
            )
            .chunks(&[32])
            .shuffle()
            .deflate(5),
        ),
    ];
    for (path, spec) in specs {
        s.dataset(path, &spec)?;
        let shape = spec.shape.clone();
        let zero = vec![0; shape.len()];
        let v: Vec<f64> = (0..n(&shape))
            .map(|i| ((i * 31) % 200) as f64 - 60.0)
            .collect();
        if matches!(spec.datatype, Datatype::Integer { signed: false, .. }) {
            let v: Vec<u64> = (0..n(&shape) as u64).map(|i| (i * 131) % 250).collect();
            s.write_numbers(path, &zero, &shape, &v)?;
        } else {
            s.write_numbers(path, &zero, &shape, &v)?;
        }
    }
    let noise: Vec<u8> = lcg(7, 5000).iter().map(|x| (x >> 3) as u8).collect();
    let spec = DatasetSpec::new(u8::datatype(), &[5000])
        .chunks(&[1000])
        .deflate(1);
    s.dataset("/incompressible", &spec)?;
    s.write_raw("/incompressible", &[0], &[5000], &noise)?;
    Ok(vec![s.close()?])
}

/// Fill values of several types and byte orders; partial hyperslab writes that leave
/// chunks unallocated (their count is checked); overlapping writes; merges into
/// compressed chunks.
pub fn fill_partial(dir: &Path) -> R<Vec<Exp>> {
    let mut s = Session::create(
        dir,
        "fill_partial.h5",
        "created: fill values, partial writes",
    )?;
    let spec = DatasetSpec::new(i32::datatype(), &[20, 20])
        .chunks(&[5, 5])
        .fill_value(&(-7i32).to_le_bytes());
    s.dataset("/fill_i32", &spec)?;
    let v: Vec<i32> = (0..54).collect();
    s.write_numbers("/fill_i32", &[3, 4], &[6, 9], &v)?;
    s.write_numbers("/fill_i32", &[18, 18], &[2, 2], &[100i32, 101, 102, 103])?;
    s.exp.ds("/fill_i32")?.num_chunks = Some(7);

    let spec = DatasetSpec::new(f64::datatype(), &[12])
        .chunks(&[4])
        .fill_value(&f64::NAN.to_le_bytes());
    s.dataset("/fill_f64_nan", &spec)?;
    s.write_numbers("/fill_f64_nan", &[4], &[4], &[1.0f64, -0.0, 3.5, 1e300])?;
    s.exp.ds("/fill_f64_nan")?.num_chunks = Some(1);

    let spec = DatasetSpec::new(u8::datatype(), &[10, 10])
        .chunks(&[4, 4])
        .fill_value(&[255]);
    s.dataset("/fill_u8", &spec)?;
    s.write_numbers("/fill_u8", &[8, 8], &[2, 2], &[1u8, 2, 3, 4])?;
    s.exp.ds("/fill_u8")?.num_chunks = Some(1);

    let be16 = Datatype::Integer {
        size: 2,
        signed: true,
        order: ByteOrder::Big,
    };
    let spec = DatasetSpec::new(be16, &[16])
        .chunks(&[5])
        .fill_value(&(-300i16).to_be_bytes());
    s.dataset("/fill_be_i16", &spec)?;
    s.write_numbers("/fill_be_i16", &[0], &[3], &[1i16, -2, 3])?;
    s.write_numbers("/fill_be_i16", &[14], &[2], &[i16::MIN, i16::MAX])?;
    s.exp.ds("/fill_be_i16")?.num_chunks = Some(3);

    s.dataset(
        "/overlap",
        &DatasetSpec::new(i32::datatype(), &[50]).chunks(&[8]),
    )?;
    s.write_numbers("/overlap", &[0], &[50], &[1i32; 50])?;
    s.write_numbers("/overlap", &[10], &[10], &[2i32; 10])?;
    s.write_numbers("/overlap", &[15], &[25], &[3i32; 25])?;

    let spec = DatasetSpec::new(f32::datatype(), &[8]).fill_value(&1.5f32.to_le_bytes());
    s.dataset("/fill_contig", &spec)?;
    s.write_numbers("/fill_contig", &[2], &[2], &[-1.0f32, -2.0])?;

    let spec = DatasetSpec::new(i64::datatype(), &[64, 64])
        .chunks(&[16, 16])
        .deflate(3)
        .fill_value(&99i64.to_le_bytes());
    s.dataset("/partial_gzip", &spec)?;
    for k in 0..4u64 {
        let v: Vec<i64> = (0..256).map(|i| i * 10 + k as i64).collect();
        s.write_numbers("/partial_gzip", &[k * 16, k * 16], &[16, 16], &v)?;
    }
    s.write_numbers(
        "/partial_gzip",
        &[1, 1],
        &[2, 3],
        &[-1i64, -2, -3, -4, -5, -6],
    )?;
    s.exp.ds("/partial_gzip")?.num_chunks = Some(4);
    let exp = s.close()?;

    // A second session merging into chunks written by the first.
    let mut s = Session::open(dir, exp)?;
    s.write_numbers("/fill_i32", &[4, 4], &[1, 2], &[-100i32, -101])?;
    s.write_numbers("/partial_gzip", &[15, 15], &[2, 2], &[7i64, 8, 9, 10])?;
    s.exp.ds("/partial_gzip")?.num_chunks = Some(6);
    Ok(vec![s.close()?])
}

/// Resizes along unlimited and limited dimensions: grow, shrink, grow (the regrown part
/// must read as the fill value), within one session and across sessions.
pub fn resize(dir: &Path) -> R<Vec<Exp>> {
    let mut s = Session::create(dir, "resize.h5", "created: resize grow/shrink/grow")?;
    let spec = DatasetSpec::new(i32::datatype(), &[10])
        .maxshape(&[None])
        .chunks(&[4])
        .fill_value(&(-1i32).to_le_bytes());
    s.dataset("/grow1d", &spec)?;
    s.write_numbers("/grow1d", &[0], &[10], &(0..10).collect::<Vec<i32>>())?;
    s.resize("/grow1d", &[25])?;
    s.write_numbers("/grow1d", &[20], &[5], &[20i32, 21, 22, 23, 24])?;
    s.resize("/grow1d", &[6])?;
    s.resize("/grow1d", &[18])?;
    s.write_numbers("/grow1d", &[16], &[2], &[160i32, 170])?;

    let (rows, cols) = (100u64, 70u64);
    let spec = DatasetSpec::new(f32::datatype(), &[rows, cols])
        .maxshape(&[Some(rows), None])
        .chunks(&[64, 64])
        .deflate(2);
    s.dataset("/grow2d", &spec)?;
    let v: Vec<f32> = (0..rows * cols).map(|i| (i % 101) as f32 * 0.5).collect();
    s.write_numbers("/grow2d", &[0, 0], &[rows, cols], &v)?;

    let spec = DatasetSpec::new(vlen_utf8(), &[5])
        .maxshape(&[None])
        .chunks(&[4])
        .deflate(2);
    s.dataset("/strings_grow", &spec)?;
    s.write_strings("/strings_grow", &[0], &[5], &["a", "bé", "", "dddd", "€"])?;
    s.resize("/strings_grow", &[12])?;
    s.write_strings("/strings_grow", &[9], &[3], &["x9", "ÿ10", "z11"])?;

    let spec = DatasetSpec::new(u8::datatype(), &[5])
        .maxshape(&[Some(20)])
        .chunks(&[5]);
    s.dataset("/limited", &spec)?;
    s.write_numbers("/limited", &[0], &[5], &[1u8, 2, 3, 4, 5])?;
    s.resize("/limited", &[20])?;
    s.write_numbers("/limited", &[17], &[3], &[17u8, 18, 19])?;

    let spec = DatasetSpec::new(i16::datatype(), &[3, 3])
        .maxshape(&[None, None])
        .chunks(&[2, 2])
        .fill_value(&5i16.to_le_bytes());
    s.dataset("/both_unlimited", &spec)?;
    s.write_numbers(
        "/both_unlimited",
        &[0, 0],
        &[3, 3],
        &[1i16, 2, 3, 4, 5, 6, 7, 8, 9],
    )?;
    s.resize("/both_unlimited", &[5, 4])?;
    s.write_numbers("/both_unlimited", &[4, 3], &[1, 1], &[44i16])?;
    let exp = s.close()?;

    // Session 2: loompy's add_columns pattern, and a shrink of data committed before.
    let mut s = Session::open(dir, exp)?;
    s.resize("/grow2d", &[rows, 100])?;
    let v: Vec<f32> = (0..rows * 30).map(|i| -((i % 17) as f32)).collect();
    s.write_numbers("/grow2d", &[0, 70], &[rows, 30], &v)?;
    s.resize("/strings_grow", &[7])?;
    s.resize("/strings_grow", &[10])?;
    s.resize("/both_unlimited", &[2, 6])?;
    s.resize("/grow1d", &[3])?;
    let exp = s.close()?;

    // Session 3: shrink and regrow across the chunk edge, then write into the regrown part.
    let mut s = Session::open(dir, exp)?;
    s.resize("/grow2d", &[rows, 50])?;
    s.resize("/grow2d", &[rows, 90])?;
    let v: Vec<f32> = (0..rows * 5).map(|i| i as f32).collect();
    s.write_numbers("/grow2d", &[0, 85], &[rows, 5], &v)?;
    s.resize("/grow1d", &[9])?;
    Ok(vec![s.close()?])
}
