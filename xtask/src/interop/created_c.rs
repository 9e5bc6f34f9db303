//! Files written from scratch, part 3: unlink/rename, several commits in one session
//! (with a copy of the file taken after each commit), and less common shapes of data:
//! strings larger than a global heap collection, long link names, array-class elements,
//! a three-member enum (loomR's {FALSE, TRUE, NA}), many small writes into one chunked
//! dataset, empty shapes, 800 KB of attributes on one object, a 3000-member group,
//! attributes over 64 KiB (dense attribute storage).

use std::path::Path;

use hdf5_lite::format::messages::{ByteOrder, CompoundField, Datatype, EnumMember};
use hdf5_lite::read::Numeric;
use hdf5_lite::write::{vlen_utf8, AttrData, AttrValue, DatasetSpec};

use super::session::{Exp, Session};

type R<T> = Result<T, String>;

pub fn extras(dir: &Path) -> R<Vec<Exp>> {
    let mut s = Session::create(dir, "extras.h5", "created: big strings, arrays, enums")?;
    let huge = "ü".repeat(100_000);
    let mid = "m".repeat(5000);
    s.dataset("/big_strings", &DatasetSpec::new(vlen_utf8(), &[4]))?;
    s.write_strings("/big_strings", &[0], &[4], &[&huge, "", &mid, "tail"])?;
    s.attr("/big_strings", "long_attr", &AttrValue::string(&mid))?;

    let long_name = format!("/g_{}", "n".repeat(300));
    s.group(&long_name)?;
    s.dataset(
        &format!("{long_name}/{}", "d".repeat(200)),
        &DatasetSpec::new(u8::datatype(), &[1]),
    )?;
    s.write_numbers(
        &format!("{long_name}/{}", "d".repeat(200)),
        &[0],
        &[1],
        &[1u8],
    )?;

    let array = Datatype::Array {
        base: Box::new(f32::datatype()),
        dims: vec![3],
    };
    s.dataset("/array_f32x3", &DatasetSpec::new(array.clone(), &[4]))?;
    let raw: Vec<u8> = (0..12)
        .flat_map(|i| (i as f32 * 1.5).to_le_bytes())
        .collect();
    s.write_raw("/array_f32x3", &[0], &[4], &raw)?;
    s.exp.ds("/array_f32x3")?.check_fill = false;

    let tri = Datatype::Enum {
        base: Box::new(i8::datatype()),
        members: ["FALSE", "TRUE", "NA"]
            .iter()
            .enumerate()
            .map(|(i, n)| EnumMember {
                name: (*n).into(),
                value: vec![i as u8],
            })
            .collect(),
    };
    let spec = DatasetSpec::new(tri.clone(), &[9])
        .maxshape(&[None])
        .chunks(&[4])
        .deflate(4);
    s.dataset("/enum_na", &spec)?;
    s.write_raw("/enum_na", &[0], &[9], &[0, 1, 2, 2, 1, 0, 0, 1, 2])?;
    s.attr(
        "/enum_na",
        "default",
        &AttrValue {
            datatype: tri,
            shape: Some(vec![]),
            data: AttrData::Raw(vec![2]),
        },
    )?;

    let with_string = Datatype::Compound {
        size: 14,
        fields: vec![
            CompoundField {
                name: "id".into(),
                offset: 0,
                datatype: Datatype::Integer {
                    size: 4,
                    signed: false,
                    order: ByteOrder::Big,
                },
            },
            CompoundField {
                name: "score".into(),
                offset: 4,
                datatype: f64::datatype(),
            },
            CompoundField {
                name: "n".into(),
                offset: 12,
                datatype: i16::datatype(),
            },
        ],
    };
    let spec = DatasetSpec::new(with_string, &[6])
        .chunks(&[4])
        .shuffle()
        .deflate(3);
    s.dataset("/compound_be_chunked", &spec)?;
    let raw: Vec<u8> = (0..6u32)
        .flat_map(|i| {
            let mut e = (i * 1_000_003).to_be_bytes().to_vec();
            e.extend_from_slice(&(f64::from(i) - 2.5).to_le_bytes());
            e.extend_from_slice(&(-(i as i16)).to_le_bytes());
            e
        })
        .collect();
    s.write_raw("/compound_be_chunked", &[0], &[6], &raw)?;

    // 400 single-element writes into one chunked dataset, then a commit, then more.
    let spec = DatasetSpec::new(i32::datatype(), &[20, 20])
        .chunks(&[6, 7])
        .deflate(1);
    s.dataset("/scattered", &spec)?;
    for i in 0..400u64 {
        let (r, c) = ((i * 7) % 20, (i * 13) % 20);
        s.write_numbers("/scattered", &[r, c], &[1, 1], &[i as i32])?;
    }
    s.commit()?;
    for i in 0..20u64 {
        s.write_numbers("/scattered", &[i, i], &[1, 1], &[-1i32])?;
    }
    let exp = s.close()?;
    let mut out = vec![edge_cases(dir, exp)?];
    out.push(wide_and_many_commits(dir)?);
    Ok(out)
}

/// Shapes and orders of operations at the edges of what the writer accepts.
fn edge_cases(dir: &Path, exp: Exp) -> R<Exp> {
    let mut s = Session::open(dir, exp)?;
    // Empty shapes: contiguous [0], chunked resized to 0 and back, a 0-element attribute.
    s.dataset("/empty_contig", &DatasetSpec::new(i32::datatype(), &[0]))?;
    let spec = DatasetSpec::new(i64::datatype(), &[10])
        .maxshape(&[None])
        .chunks(&[3])
        .fill_value(&(-5i64).to_le_bytes());
    s.dataset("/to_zero", &spec)?;
    s.write_numbers("/to_zero", &[0], &[10], &(0..10i64).collect::<Vec<_>>())?;
    s.resize("/to_zero", &[0])?;
    s.resize("/to_zero", &[5])?;
    s.write_numbers("/to_zero", &[4], &[1], &[44i64])?;
    s.attr(
        "/empty_contig",
        "no_values",
        &AttrValue::numbers::<f64>(&[], &[0]),
    )?;
    // A big-endian float fill value; vlen strings through shuffle and Fletcher-32.
    let be_f64 = Datatype::Float {
        size: 8,
        order: ByteOrder::Big,
    };
    let spec = DatasetSpec::new(be_f64, &[9])
        .chunks(&[4])
        .fill_value(&(-1.25f64).to_be_bytes());
    s.dataset("/fill_be_f64", &spec)?;
    s.write_numbers("/fill_be_f64", &[4], &[1], &[8.5f64])?;
    let spec = DatasetSpec::new(vlen_utf8(), &[20])
        .chunks(&[6])
        .shuffle()
        .deflate(9)
        .fletcher32();
    s.dataset("/vlen_all_filters", &spec)?;
    let v: Vec<String> = (0..20).map(|i| format!("s{i}-{}", "é".repeat(i))).collect();
    let refs: Vec<&str> = v.iter().map(String::as_str).collect();
    s.write_strings("/vlen_all_filters", &[0], &[20], &refs)?;
    // Created, filled and moved into a group created in this same session; a new group
    // with content unlinked before any commit.
    s.group("/new_parent/inner")?;
    s.dataset("/orphan", &DatasetSpec::new(u8::datatype(), &[2]))?;
    s.write_numbers("/orphan", &[0], &[2], &[1u8, 2])?;
    s.rename("/orphan", "/new_parent/inner/adopted")?;
    s.group("/short_lived/child")?;
    s.dataset(
        "/short_lived/child/x",
        &DatasetSpec::new(u8::datatype(), &[1]),
    )?;
    s.unlink("/short_lived")?;
    // 40 attributes of 20 KB on one object: 800 KB of header messages.
    s.dataset("/heavy", &DatasetSpec::new(u8::datatype(), &[1]))?;
    for i in 0..40u32 {
        let v: Vec<f64> = (0..2500).map(|k| f64::from(k + i)).collect();
        s.attr(
            "/heavy",
            &format!("a{i:02}"),
            &AttrValue::numbers(&v, &[2500]),
        )?;
    }
    s.close()
}

/// A 3000-member group (3-level group B-tree) and 30 commits in one session.
fn wide_and_many_commits(dir: &Path) -> R<Exp> {
    let mut s = Session::create(dir, "wide_commits.h5", "created: 3000 members, 30 commits")?;
    s.group("/wide")?;
    for i in 0..3000u32 {
        s.group(&format!("/wide/{:x}_{i}", i.wrapping_mul(2_654_435_761)))?;
    }
    let spec = DatasetSpec::new(u32::datatype(), &[30, 30])
        .maxshape(&[None, Some(30)])
        .chunks(&[4, 4])
        .deflate(1);
    s.dataset("/log", &spec)?;
    for i in 0..30u64 {
        let v: Vec<u32> = (0..30).map(|k| (i * 100 + k) as u32).collect();
        s.write_numbers("/log", &[i, 0], &[1, 30], &v)?;
        s.attr("/", "commits", &AttrValue::numbers(&[i as u32 + 1], &[]))?;
        s.commit()?;
    }
    s.resize("/log", &[35, 30])?;
    s.close()
}

fn graph(s: &mut Session, group: &str, edges: u64) -> R<()> {
    s.group(group)?;
    for (name, dt) in [
        ("a", i32::datatype()),
        ("b", i32::datatype()),
        ("w", f64::datatype()),
    ] {
        let path = format!("{group}/{name}");
        s.dataset(&path, &DatasetSpec::new(dt, &[edges]))?;
        let v: Vec<f64> = (0..edges).map(|i| ((i * 7) % 23) as f64).collect();
        s.write_numbers(&path, &[0], &[edges], &v)?;
    }
    Ok(())
}

/// Unlink and rename (loompy's `row_edges` -> `row_graphs`), moves across groups, names
/// reused after an unlink, and edits inside renamed groups.
pub fn links(dir: &Path) -> R<Vec<Exp>> {
    let mut s = Session::create(dir, "links.h5", "created: unlink and rename")?;
    graph(&mut s, "/row_edges/KNN", 40)?;
    graph(&mut s, "/col_edges/MKNN", 30)?;
    s.attr(
        "/row_edges",
        "last_modified",
        &AttrValue::string("20200101T000000Z"),
    )?;
    s.dataset("/tmp_ds", &DatasetSpec::new(i32::datatype(), &[3]))?;
    s.write_numbers("/tmp_ds", &[0], &[3], &[1i32, 2, 3])?;
    graph(&mut s, "/tmp_group/x", 5)?;
    s.group("/src/inner")?;
    s.attr("/src/inner", "tag", &AttrValue::string("moved"))?;
    s.dataset(
        "/src/inner/data",
        &DatasetSpec::new(u16::datatype(), &[4]).chunks(&[2]),
    )?;
    s.write_numbers("/src/inner/data", &[0], &[4], &[4u16, 3, 2, 1])?;
    s.group("/dst")?;
    s.dataset("/keep", &DatasetSpec::new(f32::datatype(), &[2]))?;
    s.write_numbers("/keep", &[0], &[2], &[0.5f32, 0.25])?;
    let exp = s.close()?;

    let mut s = Session::open(dir, exp)?;
    s.rename("/row_edges", "/row_graphs")?;
    s.rename("/col_edges", "/col_graphs")?;
    s.unlink("/tmp_ds")?;
    s.unlink("/tmp_group")?;
    s.rename("/src/inner", "/dst/moved")?;
    s.rename("/keep", "/kept")?;
    s.dataset("/tmp_ds", &DatasetSpec::new(f64::datatype(), &[2, 2]))?;
    s.write_numbers("/tmp_ds", &[0, 0], &[2, 2], &[1.0f64, 2.0, 3.0, 4.0])?;
    graph(&mut s, "/row_graphs/extra", 3)?;
    s.attr(
        "/row_graphs",
        "last_modified",
        &AttrValue::string("20260101T000000Z"),
    )?;
    s.write_numbers("/dst/moved/data", &[1], &[2], &[30u16, 20])?;
    let exp = s.close()?;

    let mut s = Session::open(dir, exp)?;
    s.group("/fresh")?;
    s.dataset("/fresh/v", &DatasetSpec::new(i8::datatype(), &[2]))?;
    s.write_numbers("/fresh/v", &[0], &[2], &[-1i8, 1])?;
    s.rename("/fresh", "/fresh2")?;
    s.rename("/fresh2/v", "/fresh2/w")?;
    s.unlink("/dst/moved/data")?;
    s.rename("/col_graphs/MKNN/w", "/col_graphs/MKNN/weights")?;
    Ok(vec![s.close()?])
}

/// Several commits in one session; a copy of the file taken after each intermediate
/// commit must hold exactly the state of that commit.
pub fn multi_commit(dir: &Path) -> R<Vec<Exp>> {
    let name = "multi_commit.h5";
    let mut s = Session::create(dir, name, "created: several commits in one session")?;
    s.dataset(
        "/base",
        &DatasetSpec::new(i32::datatype(), &[10])
            .maxshape(&[None])
            .chunks(&[4]),
    )?;
    s.write_numbers("/base", &[0], &[10], &(0..10).collect::<Vec<i32>>())?;
    s.attr("/base", "a", &AttrValue::string("first"))?;
    let exp = s.close()?;

    let mut out = Vec::new();
    let mut s = Session::open(dir, exp)?;
    s.dataset("/one", &DatasetSpec::new(f64::datatype(), &[5]))?;
    s.write_numbers("/one", &[0], &[5], &[1.0f64, 2.0, 3.0, 4.0, 5.0])?;
    s.attr("/", "stage", &AttrValue::numbers(&[1i32], &[]))?;
    s.write_numbers("/base", &[0], &[3], &[-1i32, -2, -3])?;
    s.commit()?;
    out.push(snapshot(dir, &s, "multi_commit_after1.h5")?);

    s.write_numbers("/one", &[2], &[2], &[30.0f64, 40.0])?;
    s.del_attr("/base", "a")?;
    s.group("/two")?;
    s.resize("/base", &[14])?;
    s.write_numbers("/base", &[10], &[4], &[10i32, 11, 12, 13])?;
    s.attr("/", "stage", &AttrValue::numbers(&[2i32], &[]))?;
    s.commit()?;
    out.push(snapshot(dir, &s, "multi_commit_after2.h5")?);

    s.rename("/two", "/three")?;
    s.attr("/", "stage", &AttrValue::numbers(&[3i32], &[]))?;
    s.write_numbers("/one", &[0], &[1], &[-100.0f64])?;
    s.commit()?;
    s.dataset("/three/late", &DatasetSpec::new(u8::datatype(), &[1]))?;
    s.write_numbers("/three/late", &[0], &[1], &[9u8])?;
    out.push(s.close()?);
    Ok(out)
}

fn snapshot(dir: &Path, s: &Session, copy: &str) -> R<Exp> {
    std::fs::copy(&s.path, dir.join(copy)).map_err(|e| format!("copying to {copy}: {e}"))?;
    let mut exp = s.exp.clone();
    exp.name = copy.into();
    exp.origin = format!("copy of {} right after an intermediate commit", s.exp.name);
    Ok(exp)
}

/// Attributes too large for a version 1 object header (issue 8), which the writer stores
/// densely in a version 2 header: a 100 KiB and a 1 MiB fixed-length string and a
/// 1 MiB float64 array on the root group, a 70 KB one on a dataset; a second session adds
/// small ones to both objects, replaces one and deletes another; a third deletes the
/// dataset's large one (back to a version 1 header). h5py edits this file in step 6.
pub fn dense_attrs(dir: &Path) -> R<Vec<Exp>> {
    let fixed = |s: &str| AttrValue {
        datatype: Datatype::FixedString {
            size: s.len() as u32,
            padding: hdf5_lite::format::messages::StringPadding::NullPad,
            charset: hdf5_lite::format::messages::CharSet::Ascii,
        },
        shape: Some(Vec::new()),
        data: AttrData::Strings(vec![s.to_owned()]),
    };
    let text = |len: usize, seed: usize| -> String {
        (0..len)
            .map(|i| char::from(b'a' + ((i * 7 + seed) % 26) as u8))
            .collect()
    };
    let mut s = Session::create(dir, "dense_attrs.h5", "created: attributes over 64 KiB")?;
    s.attr("/", "small_first", &AttrValue::numbers(&[1i32], &[]))?;
    s.attr("/", "text_100k", &fixed(&text(100 * 1024, 1)))?;
    s.attr("/", "text_1m", &fixed(&text(1024 * 1024, 2)))?;
    let floats: Vec<f64> = (0..131_072).map(|i| f64::from(i) * 0.5).collect();
    s.attr("/", "floats_1m", &AttrValue::numbers(&floats, &[131_072]))?;
    s.dataset("/d", &DatasetSpec::new(i32::datatype(), &[3]))?;
    s.write_numbers("/d", &[0], &[3], &[4i32, 5, 6])?;
    s.attr("/d", "text_70k", &fixed(&text(70_000, 3)))?;
    let exp = s.close()?;

    let mut s = Session::open(dir, exp)?;
    s.attr(
        "/",
        "small_after",
        &AttrValue::string("added to dense storage"),
    )?;
    s.attr("/", "text_100k", &fixed(&text(90 * 1024, 4)))?;
    s.del_attr("/", "small_first")?;
    s.attr("/d", "units", &AttrValue::string("counts"))?;
    let exp = s.close()?;

    let mut s = Session::open(dir, exp)?;
    s.del_attr("/d", "text_70k")?;
    Ok(vec![s.close()?])
}
