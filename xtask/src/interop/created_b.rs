//! Files written from scratch, part 2: every number type, strings, the bool enum and
//! pySCENIC-style compounds, attributes.

use std::path::Path;

use hdf5_lite::format::messages::{
    ByteOrder, CharSet, CompoundField, Datatype, EnumMember, StringPadding,
};
use hdf5_lite::read::Numeric;
use hdf5_lite::write::{vlen_utf8, AttrData, AttrValue, DatasetSpec};

use super::session::{Exp, Session};

type R<T> = Result<T, String>;

fn int(size: u32, signed: bool, order: ByteOrder) -> Datatype {
    Datatype::Integer {
        size,
        signed,
        order,
    }
}

/// Twelve values covering a type's extremes, as element bytes in `dt`.
fn extremes(dt: &Datatype) -> Vec<Vec<u8>> {
    let mut out: Vec<Vec<u8>> = match *dt {
        Datatype::Integer {
            size, signed: true, ..
        } => {
            let bits = 8 * size;
            let max = if bits == 64 {
                i64::MAX
            } else {
                (1i64 << (bits - 1)) - 1
            };
            let min = -max - 1;
            [
                min,
                min + 1,
                -100 % max,
                -1,
                0,
                1,
                2,
                100 % max,
                max / 3,
                max - 1,
                max,
                7,
            ]
            .iter()
            .map(|v| v.to_le_bytes()[..size as usize].to_vec())
            .collect()
        }
        Datatype::Integer { size, .. } => {
            let max = if size == 8 {
                u64::MAX
            } else {
                (1u64 << (8 * size)) - 1
            };
            [
                0,
                1,
                2,
                100 % max,
                max / 3,
                max / 2,
                max / 2 + 1,
                max - 2,
                max - 1,
                max,
                9,
                42,
            ]
            .iter()
            .map(|v| v.to_le_bytes()[..size as usize].to_vec())
            .collect()
        }
        Datatype::Float { size: 4, .. } => [
            0.0,
            -0.0,
            1.5,
            -2.25,
            f32::MIN_POSITIVE,
            f32::from_bits(1),
            f32::MAX,
            f32::MIN,
            f32::INFINITY,
            f32::NEG_INFINITY,
            f32::NAN,
            1e-30,
        ]
        .iter()
        .map(|v| v.to_le_bytes().to_vec())
        .collect(),
        _ => [
            0.0,
            -0.0,
            1.5,
            -2.25,
            f64::MIN_POSITIVE,
            f64::from_bits(1),
            f64::MAX,
            f64::MIN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
            1e-300,
        ]
        .iter()
        .map(|v| v.to_le_bytes().to_vec())
        .collect(),
    };
    let big = matches!(
        dt,
        Datatype::Integer {
            order: ByteOrder::Big,
            ..
        } | Datatype::Float {
            order: ByteOrder::Big,
            ..
        }
    );
    if big {
        for e in &mut out {
            e.reverse();
        }
    }
    out
}

/// Every integer (1/2/4/8 bytes, signed and unsigned, LE and BE) and float (f32/f64, LE
/// and BE) type: contiguous and chunked datasets and scalar and 1-D attributes.
pub fn numeric(dir: &Path) -> R<Vec<Exp>> {
    let mut s = Session::create(dir, "numeric.h5", "created: every number type")?;
    let mut types = Vec::new();
    for order in [ByteOrder::Little, ByteOrder::Big] {
        let o = if order == ByteOrder::Big { "be" } else { "le" };
        for size in [1u32, 2, 4, 8] {
            types.push((format!("i{size}_{o}"), int(size, true, order)));
            types.push((format!("u{size}_{o}"), int(size, false, order)));
        }
        for size in [4u32, 8] {
            types.push((format!("f{size}_{o}"), Datatype::Float { size, order }));
        }
    }
    s.group("/contig")?;
    s.group("/chunked")?;
    for (name, dt) in &types {
        let raw = extremes(dt).concat();
        let contig = format!("/contig/{name}");
        s.dataset(&contig, &DatasetSpec::new(dt.clone(), &[3, 4]))?;
        s.write_raw(&contig, &[0, 0], &[3, 4], &raw)?;
        let chunked = format!("/chunked/{name}");
        let spec = DatasetSpec::new(dt.clone(), &[3, 4])
            .chunks(&[2, 3])
            .shuffle()
            .deflate(1);
        s.dataset(&chunked, &spec)?;
        s.write_raw(&chunked, &[0, 0], &[3, 4], &raw)?;
        let size = dt.size() as usize;
        let scalar = AttrValue {
            datatype: dt.clone(),
            shape: Some(vec![]),
            data: AttrData::Raw(raw[6 * size..7 * size].to_vec()),
        };
        s.attr("/", name, &scalar)?;
        let vector = AttrValue {
            datatype: dt.clone(),
            shape: Some(vec![12]),
            data: AttrData::Raw(raw.clone()),
        };
        s.attr("/", &format!("{name}_vec"), &vector)?;
    }
    // Conversions done by write_numbers (values representable in the target).
    s.group("/converted")?;
    let be_i16 = int(2, true, ByteOrder::Big);
    s.dataset("/converted/i64_to_be_i16", &DatasetSpec::new(be_i16, &[5]))?;
    s.write_numbers(
        "/converted/i64_to_be_i16",
        &[0],
        &[5],
        &[-32768i64, -1, 0, 1, 32767],
    )?;
    let be_f32 = Datatype::Float {
        size: 4,
        order: ByteOrder::Big,
    };
    s.dataset("/converted/f64_to_be_f32", &DatasetSpec::new(be_f32, &[4]))?;
    s.write_numbers(
        "/converted/f64_to_be_f32",
        &[0],
        &[4],
        &[0.5f64, -1.75, 1024.0, f64::INFINITY],
    )?;
    s.dataset(
        "/converted/u8_to_u64",
        &DatasetSpec::new(u64::datatype(), &[3]),
    )?;
    s.write_numbers("/converted/u8_to_u64", &[0], &[3], &[0u8, 128, 255])?;
    s.dataset(
        "/converted/i32_to_f64",
        &DatasetSpec::new(f64::datatype(), &[3]),
    )?;
    s.write_numbers(
        "/converted/i32_to_f64",
        &[0],
        &[3],
        &[i32::MIN, 0, i32::MAX],
    )?;
    Ok(vec![s.close()?])
}

fn fixed(size: u32, padding: StringPadding) -> Datatype {
    Datatype::FixedString {
        size,
        padding,
        charset: CharSet::Ascii,
    }
}

/// Fixed-length (nullpad/nullterm ASCII) and variable-length UTF-8 strings (non-ASCII,
/// empty, many global heap collections, partial writes, overwrites) and string attributes.
pub fn strings(dir: &Path) -> R<Vec<Exp>> {
    let mut s = Session::create(dir, "strings.h5", "created: fixed and vlen strings")?;
    s.group("/fixed")?;
    let s8 = fixed(8, StringPadding::NullPad);
    s.dataset("/fixed/s8", &DatasetSpec::new(s8.clone(), &[6]))?;
    let v = ["", "a", "abcdefgh", "hello", "x y", "12345678"];
    s.write_strings("/fixed/s8", &[0], &[6], &v)?;
    let spec = DatasetSpec::new(fixed(5, StringPadding::NullPad), &[2, 3])
        .chunks(&[1, 2])
        .deflate(1);
    s.dataset("/fixed/s5_2d", &spec)?;
    s.write_strings(
        "/fixed/s5_2d",
        &[0, 0],
        &[2, 3],
        &["r0c0", "r0c1", "", "ab", "abcde", "z"],
    )?;
    s.dataset(
        "/fixed/nullterm",
        &DatasetSpec::new(fixed(6, StringPadding::NullTerminate), &[3]),
    )?;
    s.write_strings("/fixed/nullterm", &[0], &[3], &["ab", "abcde", ""])?;

    s.group("/vlen")?;
    s.dataset("/vlen/utf8", &DatasetSpec::new(vlen_utf8(), &[8]))?;
    let v = [
        "",
        "ascii",
        "é",
        "日本語テキスト",
        "🧬 DNA",
        "",
        "naïve café",
        "Ωmega",
    ];
    s.write_strings("/vlen/utf8", &[0], &[8], &v)?;
    let spec = DatasetSpec::new(vlen_utf8(), &[300])
        .maxshape(&[None])
        .chunks(&[64])
        .deflate(2);
    s.dataset("/vlen/chunked", &spec)?;
    let genes: Vec<String> = (0..300)
        .map(|i| match i % 7 {
            0 => String::new(),
            3 => format!("long-{i}-{}", "ß".repeat(100)),
            _ => format!("Gene{i}é"),
        })
        .collect();
    let refs: Vec<&str> = genes.iter().map(String::as_str).collect();
    s.write_strings("/vlen/chunked", &[0], &[300], &refs)?;
    let spec = DatasetSpec::new(vlen_utf8(), &[2000]).chunks(&[500]);
    s.dataset("/vlen/many", &spec)?;
    let many: Vec<String> = (0..2000)
        .map(|i| format!("cell-{i:05}-{}", "abcdefghij".repeat(i % 4)))
        .collect();
    let refs: Vec<&str> = many.iter().map(String::as_str).collect();
    s.write_strings("/vlen/many", &[0], &[2000], &refs)?;
    s.dataset("/vlen/d2", &DatasetSpec::new(vlen_utf8(), &[3, 4]))?;
    let v: Vec<String> = (0..12)
        .map(|i| format!("({}, {})ü", i / 4, i % 4))
        .collect();
    let refs: Vec<&str> = v.iter().map(String::as_str).collect();
    s.write_strings("/vlen/d2", &[0, 0], &[3, 4], &refs)?;
    s.dataset("/vlen/scalar", &DatasetSpec::new(vlen_utf8(), &[]))?;
    s.write_strings("/vlen/scalar", &[], &[], &["scalär"])?;
    s.dataset(
        "/vlen/partial",
        &DatasetSpec::new(vlen_utf8(), &[10]).chunks(&[4]),
    )?;
    s.write_strings("/vlen/partial", &[2], &[3], &["two", "three", "four"])?;
    s.write_strings("/vlen/partial", &[8], &[2], &["eight", "nine"])?;
    s.dataset("/vlen/overwrite", &DatasetSpec::new(vlen_utf8(), &[6]))?;
    s.write_strings(
        "/vlen/overwrite",
        &[0],
        &[6],
        &["a", "b", "c", "d", "e", "f"],
    )?;
    s.write_strings(
        "/vlen/overwrite",
        &[1],
        &[2],
        &["much longer than before", ""],
    )?;
    let ascii = Datatype::VarLenString {
        size: 16,
        padding: StringPadding::NullTerminate,
        charset: CharSet::Ascii,
    };
    s.dataset("/vlen/ascii", &DatasetSpec::new(ascii, &[3]))?;
    s.write_strings("/vlen/ascii", &[0], &[3], &["abc", "", "xyz"])?;

    s.attr("/vlen", "s_scalar", &AttrValue::string("ünïcode ✓"))?;
    s.attr("/vlen", "s_empty", &AttrValue::string(""))?;
    s.attr(
        "/vlen",
        "s_1d",
        &AttrValue::strings(&["x", "", "日本"], &[3]),
    )?;
    s.attr(
        "/vlen",
        "s_2d",
        &AttrValue::strings(&["a", "b", "c", "d"], &[2, 2]),
    )?;
    let fixed_attr = |v: &[&str], shape: &[u64]| AttrValue {
        datatype: s8.clone(),
        shape: Some(shape.to_vec()),
        data: AttrData::Strings(v.iter().map(|x| (*x).to_owned()).collect()),
    };
    s.attr("/fixed", "fixed_scalar", &fixed_attr(&["abc"], &[]))?;
    s.attr(
        "/fixed",
        "fixed_1d",
        &fixed_attr(&["", "12345678", "q"], &[3]),
    )?;
    let exp = s.close()?;

    // Session 2: overwrite strings committed before (their heap objects stay behind).
    let mut s = Session::open(dir, exp)?;
    s.write_strings("/vlen/chunked", &[100], &[3], &["replaced-100", "", "Ω"])?;
    s.write_strings("/vlen/partial", &[0], &[1], &["zero"])?;
    s.write_strings("/fixed/s8", &[1], &[1], &["new"])?;
    s.attr("/vlen", "s_1d", &AttrValue::strings(&["only"], &[1]))?;
    Ok(vec![s.close()?])
}

/// h5py's bool (enum int8 FALSE=0 TRUE=1) and a pySCENIC-style compound (12 int64/float64
/// fields named `TF0(+)`…) as datasets and attributes, plus a packed unaligned compound.
pub fn enum_compound(dir: &Path) -> R<Vec<Exp>> {
    let mut s = Session::create(dir, "enum_compound.h5", "created: bool enum, compounds")?;
    let boolean = Datatype::Enum {
        base: Box::new(int(1, true, ByteOrder::Little)),
        members: vec![
            EnumMember {
                name: "FALSE".into(),
                value: vec![0],
            },
            EnumMember {
                name: "TRUE".into(),
                value: vec![1],
            },
        ],
    };
    s.dataset("/bool", &DatasetSpec::new(boolean.clone(), &[20]))?;
    let bits: Vec<u8> = (0..20).map(|i| u8::from(i % 3 == 0)).collect();
    s.write_raw("/bool", &[0], &[20], &bits)?;
    let spec = DatasetSpec::new(boolean.clone(), &[100])
        .chunks(&[30])
        .deflate(2);
    s.dataset("/bool_chunked", &spec)?;
    let bits: Vec<u8> = (0..100).map(|i| u8::from(i % 7 < 3)).collect();
    s.write_raw("/bool_chunked", &[0], &[100], &bits)?;
    let flag = |v: &[u8], shape: &[u64]| AttrValue {
        datatype: boolean.clone(),
        shape: Some(shape.to_vec()),
        data: AttrData::Raw(v.to_vec()),
    };
    s.attr("/bool", "flag", &flag(&[1], &[]))?;
    s.attr("/bool", "flags", &flag(&[1, 0, 1], &[3]))?;

    let fields: Vec<CompoundField> = (0..12u32)
        .map(|i| CompoundField {
            name: format!("TF{i}(+)"),
            offset: 8 * i,
            datatype: if i % 2 == 0 {
                i64::datatype()
            } else {
                f64::datatype()
            },
        })
        .collect();
    let regulon = Datatype::Compound { size: 96, fields };
    let record = |row: u64| -> Vec<u8> {
        let mut out = Vec::with_capacity(96);
        for i in 0..12u64 {
            if i % 2 == 0 {
                out.extend_from_slice(&(((row * 13 + i) % 5) as i64 - 1).to_le_bytes());
            } else {
                out.extend_from_slice(&((row as f64) * 0.125 + i as f64).to_le_bytes());
            }
        }
        out
    };
    let spec = DatasetSpec::new(regulon.clone(), &[50])
        .chunks(&[20])
        .deflate(2);
    s.dataset("/regulons", &spec)?;
    let raw: Vec<u8> = (0..50).flat_map(record).collect();
    s.write_raw("/regulons", &[0], &[50], &raw)?;
    s.dataset("/regulons_contig", &DatasetSpec::new(regulon.clone(), &[7]))?;
    let raw: Vec<u8> = (100..107).flat_map(record).collect();
    s.write_raw("/regulons_contig", &[0], &[7], &raw)?;
    let attr = AttrValue {
        datatype: regulon,
        shape: Some(vec![3]),
        data: AttrData::Raw((200..203).flat_map(record).collect()),
    };
    s.attr("/", "RegulonsAttr", &attr)?;

    let packed = Datatype::Compound {
        size: 15,
        fields: vec![
            CompoundField {
                name: "a".into(),
                offset: 0,
                datatype: i8::datatype(),
            },
            CompoundField {
                name: "b".into(),
                offset: 1,
                datatype: f32::datatype(),
            },
            CompoundField {
                name: "c".into(),
                offset: 5,
                datatype: int(2, true, ByteOrder::Big),
            },
            CompoundField {
                name: "d".into(),
                offset: 7,
                datatype: u64::datatype(),
            },
        ],
    };
    s.dataset("/packed", &DatasetSpec::new(packed, &[10]))?;
    let raw: Vec<u8> = (0..10i32)
        .flat_map(|i| {
            let mut e = vec![(i - 5) as i8 as u8];
            e.extend_from_slice(&(i as f32 / 4.0).to_le_bytes());
            e.extend_from_slice(&((i * 1000 - 3000) as i16).to_be_bytes());
            e.extend_from_slice(&(u64::MAX - i as u64).to_le_bytes());
            e
        })
        .collect();
    s.write_raw("/packed", &[0], &[10], &raw)?;
    Ok(vec![s.close()?])
}

/// Attributes: scalar, 1-D and 2-D numbers and strings, null dataspace, non-ASCII name,
/// 60 on one object, a 30 KB one; replaced and deleted in the same and a later session.
pub fn attrs(dir: &Path) -> R<Vec<Exp>> {
    let mut s = Session::create(dir, "attrs.h5", "created: attributes")?;
    s.attr("/", "title", &AttrValue::string("attribute test"))?;
    s.attr("/", "n", &AttrValue::numbers(&[7i64], &[]))?;
    s.attr("/", "vec", &AttrValue::numbers(&[1.5f64, 2.5, -3.5], &[3]))?;
    s.attr(
        "/",
        "mat",
        &AttrValue::numbers(&[1i32, 2, 3, 4, 5, 6], &[2, 3]),
    )?;
    s.attr(
        "/",
        "smat",
        &AttrValue::strings(&["a", "bb", "", "dddd"], &[2, 2]),
    )?;
    s.attr("/", "empty_str", &AttrValue::string(""))?;
    s.attr("/", "ünï_name", &AttrValue::numbers(&[1u16], &[]))?;
    let null = AttrValue {
        datatype: f32::datatype(),
        shape: None,
        data: AttrData::Raw(Vec::new()),
    };
    s.attr("/", "null_space", &null)?;
    s.group("/g")?;
    s.attr("/g", "replaced", &AttrValue::numbers(&[1i32], &[]))?;
    s.attr("/g", "replaced", &AttrValue::string("now a string"))?;
    s.attr("/g", "replaced2", &AttrValue::numbers(&[1.0f32, 2.0], &[2]))?;
    s.attr("/g", "gone", &AttrValue::numbers(&[1u8], &[]))?;
    s.del_attr("/g", "gone")?;
    s.dataset("/d", &DatasetSpec::new(i32::datatype(), &[4]))?;
    s.write_numbers("/d", &[0], &[4], &[1i32, 2, 3, 4])?;
    s.attr("/d", "units", &AttrValue::string("counts"))?;
    s.attr("/d", "to_delete2", &AttrValue::numbers(&[9i8], &[]))?;
    s.group("/many")?;
    for i in 0..60u32 {
        let v: Vec<f64> = (0..=i)
            .map(|k| f64::from(k) + f64::from(i) / 100.0)
            .collect();
        s.attr(
            "/many",
            &format!("attr_{i:02}"),
            &AttrValue::numbers(&v, &[u64::from(i) + 1]),
        )?;
    }
    s.dataset("/big_attr", &DatasetSpec::new(u8::datatype(), &[1]))?;
    let big: Vec<f64> = (0..3750).map(|i| f64::from(i) * 0.001).collect();
    s.attr("/big_attr", "big", &AttrValue::numbers(&big, &[3750]))?;
    let exp = s.close()?;

    let mut s = Session::open(dir, exp)?;
    s.attr(
        "/g",
        "replaced2",
        &AttrValue::strings(&["x", "y", "z"], &[3]),
    )?;
    s.del_attr("/", "n")?;
    s.del_attr("/d", "to_delete2")?;
    s.attr("/many", "attr_60", &AttrValue::numbers(&[60u64], &[]))?;
    s.attr("/many", "attr_00", &AttrValue::numbers(&[-0.0f64], &[]))?;
    s.attr("/big_attr", "big", &AttrValue::numbers(&[1i8, 2], &[2]))?;
    s.attr(
        "/",
        "added_later",
        &AttrValue::numbers(&[1u32, 2, 3, 4], &[2, 2]),
    )?;
    Ok(vec![s.close()?])
}
