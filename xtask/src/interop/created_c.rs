//! Files written from scratch, part 3: less common shapes of data — strings larger than
//! a global heap collection, long link names, array-class elements, a three-member enum
//! (loomR's {FALSE, TRUE, NA}), many small writes into one chunked dataset.

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
    Ok(vec![s.close()?])
}
