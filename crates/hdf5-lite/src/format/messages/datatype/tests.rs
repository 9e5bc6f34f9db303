//! Datatype decoding tests on hand-built bytes (spec IV.A.2.d and the byte strings of
//! hdf5-features.md section 8).

use super::*;
use crate::error::Error;
use crate::format::Sizes;

fn hex(s: &str) -> Vec<u8> {
    let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn decode(bytes: &[u8]) -> Result<Datatype> {
    Datatype::decode(&mut Cursor::new(bytes, 0, "datatype", Sizes::default()))
}

/// Decodes and checks every byte was consumed.
fn decode_all(bytes: &[u8]) -> Datatype {
    let mut c = Cursor::new(bytes, 0, "datatype", Sizes::default());
    let t = Datatype::decode(&mut c).unwrap();
    assert_eq!(c.remaining(), 0, "{t:?}");
    t
}

const F32: &str = "11 20 1f 00 04000000 0000 2000 17 08 00 17 7f000000";
const F64: &str = "11 20 3f 00 08000000 0000 4000 34 0b 00 34 ff030000";
const F16: &str = "11 20 0f 00 02000000 0000 1000 0a 05 00 0a 0f000000";
const I32: &str = "10 08 00 00 04000000 0000 2000";
const U8: &str = "10 00 00 00 01000000 0000 0800";

#[test]
fn section8_atomic_types() {
    let le = ByteOrder::Little;
    assert_eq!(
        decode_all(&hex(F32)),
        Datatype::Float { size: 4, order: le }
    );
    assert_eq!(
        decode_all(&hex(F64)),
        Datatype::Float { size: 8, order: le }
    );
    assert_eq!(
        decode_all(&hex(F16)),
        Datatype::Float { size: 2, order: le }
    );
    let i32t = decode_all(&hex(I32));
    assert_eq!(
        i32t,
        Datatype::Integer {
            size: 4,
            signed: true,
            order: le
        }
    );
    assert_eq!(i32t.describe(), "int32");
    let u8t = decode_all(&hex(U8));
    assert_eq!(u8t.describe(), "uint8");
    assert_eq!(u8t.size(), 1);
    // Big-endian int32: bit 0.
    let be = decode_all(&hex("10 09 00 00 04000000 0000 2000"));
    assert_eq!(be.describe(), "int32 (big-endian)");
    // Big-endian float64.
    let bef = decode_all(&hex("11 21 3f 00 08000000 0000 4000 34 0b 00 34 ff030000"));
    assert_eq!(
        bef,
        Datatype::Float {
            size: 8,
            order: ByteOrder::Big
        }
    );
}

#[test]
fn section8_strings() {
    let t = decode_all(&hex(&format!("19 01 01 00 10000000 {U8}")));
    assert_eq!(
        t,
        Datatype::VarLenString {
            size: 16,
            padding: StringPadding::NullTerminate,
            charset: CharSet::Utf8
        }
    );
    assert_eq!(t.describe(), "vlen utf-8 string");
    let s = decode_all(&hex("13 01 00 00 08000000"));
    assert_eq!(
        s,
        Datatype::FixedString {
            size: 8,
            padding: StringPadding::NullPad,
            charset: CharSet::Ascii
        }
    );
    assert_eq!(s.describe(), "string[8] ascii null-padded");
    let s = decode_all(&hex("13 10 00 00 05000000"));
    assert_eq!(s.describe(), "string[5] utf-8 null-terminated");
}

#[test]
fn vlen_size_comes_from_the_size_of_offsets() {
    // Size field 0xff000010: libhdf5 ignores it (a stored element is always length,
    // heap address and index); trusting it made reads allocate 4 GiB per element.
    let t = decode_all(&hex(&format!("19 01 01 00 100000ff {U8}")));
    assert_eq!(t.size(), 16);
    let small = Sizes {
        offsets: 4,
        lengths: 4,
    };
    let bytes = hex(&format!("19 00 00 00 10000000 {I32}"));
    let t = Datatype::decode(&mut Cursor::new(&bytes, 0, "datatype", small)).unwrap();
    assert_eq!(t.size(), 12);
}

#[test]
fn vlen_sequence() {
    let t = decode_all(&hex(&format!("19 00 00 00 10000000 {I32}")));
    assert_eq!(t.describe(), "vlen<int32>");
    assert_eq!(t.size(), 16);
}

#[test]
fn compound_v1_with_array_member() {
    // struct { int32 a; float64 b[2][3] } of 4 + 48 = 52 bytes, datatype version 1.
    let mut b = hex("16 02 00 00 34000000");
    b.extend(b"a\0\0\0\0\0\0\0");
    b.extend(hex(
        "00000000 00 000000 00000000 00000000 00000000 00000000 00000000 00000000",
    ));
    b.extend(hex(I32));
    b.extend(b"b\0\0\0\0\0\0\0");
    b.extend(hex(
        "04000000 02 000000 00000000 00000000 02000000 03000000 00000000 00000000",
    ));
    b.extend(hex(F64));
    let t = decode_all(&b);
    let Datatype::Compound { size, fields } = &t else {
        panic!("{t:?}")
    };
    assert_eq!(*size, 52);
    assert_eq!(fields.len(), 2);
    assert_eq!(fields[0].name, "a");
    assert_eq!(fields[0].offset, 0);
    assert_eq!(fields[1].name, "b");
    assert_eq!(fields[1].offset, 4);
    assert_eq!(fields[1].datatype.size(), 48);
    assert_eq!(t.describe(), "compound{a: int32, b: array[2x3]<float64>}");
}

#[test]
fn compound_v2_and_v3() {
    // v2: names padded to 8 ("name8chr" needs 16 bytes), offsets 4 bytes.
    let mut b = hex("26 02 00 00 0c000000");
    b.extend(b"name8chr\0\0\0\0\0\0\0\0");
    b.extend(hex("00000000"));
    b.extend(hex(F64));
    b.extend(b"x\0\0\0\0\0\0\0");
    b.extend(hex("08000000"));
    b.extend(hex(I32));
    let t = decode_all(&b);
    assert_eq!(t.describe(), "compound{name8chr: float64, x: int32}");
    // v3: unpadded names, 1-byte offsets (size 12 < 256).
    let mut b = hex("36 02 00 00 0c000000");
    b.extend(b"name8chr\0");
    b.extend(hex("00"));
    b.extend(hex(F64));
    b.extend(b"x\0");
    b.extend(hex("08"));
    b.extend(hex(I32));
    let t3 = decode_all(&b);
    assert_eq!(t3, t);
    // v3 with a 300-byte compound: 2-byte offsets.
    let mut b = hex("36 01 00 00 2c010000");
    b.extend(b"y\0");
    b.extend(hex("2801"));
    b.extend(hex(I32));
    let t = decode_all(&b);
    let Datatype::Compound { fields, .. } = t else {
        panic!()
    };
    assert_eq!(fields[0].offset, 296);
}

#[test]
fn compound_member_overrun_is_corrupt() {
    let mut b = hex("36 01 00 00 04000000");
    b.extend(b"y\0");
    b.extend(hex("01"));
    b.extend(hex(I32));
    assert!(matches!(decode(&b), Err(Error::Corrupt { .. })));
}

#[test]
fn enums() {
    // h5py bool: enum over int8, FALSE=0, TRUE=1, version 1 (names padded to 8).
    let mut b = hex("18 02 00 00 01000000 10 08 00 00 01000000 0000 0800");
    b.extend(b"FALSE\0\0\0TRUE\0\0\0\0");
    b.extend([0, 1]);
    let t = decode_all(&b);
    assert_eq!(t.describe(), "enum<int8>{FALSE=0, TRUE=1}");
    assert_eq!(t.size(), 1);
    // Version 3: unpadded names; negative value.
    let mut b = hex("38 02 00 00 02000000 10 08 00 00 02000000 0000 1000");
    b.extend(b"RED\0GREEN\0");
    b.extend([0xff, 0xff, 7, 0]);
    let t = decode_all(&b);
    assert_eq!(t.describe(), "enum<int16>{RED=-1, GREEN=7}");
    // Size mismatch between the enum and its base.
    let b = hex("18 00 00 00 02000000 10 08 00 00 01000000 0000 0800");
    assert!(decode(&b).is_err());
    // Truncated values.
    let mut b = hex("18 01 00 00 01000000 10 08 00 00 01000000 0000 0800");
    b.extend(b"A\0\0\0\0\0\0\0");
    assert!(decode(&b).is_err());
}

#[test]
fn arrays() {
    // v2: ndims, reserved(3), dims, permutation, base.
    let b = hex(&format!(
        "2a 00 00 00 18000000 02 000000 02000000 03000000 00000000 01000000 {I32}"
    ));
    let t = decode_all(&b);
    assert_eq!(t.describe(), "array[2x3]<int32>");
    assert_eq!(t.size(), 24);
    // v3: ndims, dims, base.
    let b = hex(&format!("3a 00 00 00 0c000000 01 03000000 {I32}"));
    let t = decode_all(&b);
    assert_eq!(
        t,
        Datatype::Array {
            base: Box::new(Datatype::Integer {
                size: 4,
                signed: true,
                order: ByteOrder::Little
            }),
            dims: vec![3]
        }
    );
    // Size disagreeing with dims x base.
    let b = hex(&format!("3a 00 00 00 0d000000 01 03000000 {I32}"));
    assert!(decode(&b).is_err());
    // Array class in a version 1 message.
    let b = hex(&format!("1a 00 00 00 0c000000 01 03000000 {I32}"));
    assert!(decode(&b).is_err());
}

#[test]
fn other_classes() {
    let mut b = hex("15 08 00 00 10000000");
    b.extend(b"mytag\0\0\0");
    let t = decode_all(&b);
    assert_eq!(
        t,
        Datatype::Opaque {
            size: 16,
            tag: "mytag".into()
        }
    );
    assert_eq!(t.describe(), "opaque[16] \"mytag\"");
    let t = decode_all(&hex("14 00 00 00 01000000 0000 0800"));
    assert_eq!(t.describe(), "bitfield8");
    let t = decode_all(&hex("17 00 00 00 08000000"));
    assert_eq!(t, Datatype::Reference { size: 8 });
    let t = decode_all(&hex("12 00 00 00 04000000 2000"));
    assert_eq!(t, Datatype::Time { size: 4 });
}

#[test]
fn unsupported_numbers() {
    // VAX order (bits 0 and 6).
    let b = hex("11 61 1f 00 04000000 0000 2000 17 08 00 17 7f000000");
    assert!(matches!(decode(&b), Err(Error::Unsupported { .. })));
    // A 4-byte float with a non-IEEE bias.
    let b = hex("11 20 1f 00 04000000 0000 2000 17 08 00 17 80000000");
    assert!(matches!(decode(&b), Err(Error::Unsupported { .. })));
    // A 16-byte float.
    let b = hex("11 20 7f 00 10000000 0000 8000 70 0f 00 70 ff3f0000");
    assert!(matches!(decode(&b), Err(Error::Unsupported { .. })));
    // A 3-byte integer.
    let b = hex("10 00 00 00 03000000 0000 1800");
    assert!(matches!(decode(&b), Err(Error::Unsupported { .. })));
    // Complex (HDF5 2.0 class 11).
    let b = hex("5b 00 00 00 08000000");
    assert!(matches!(decode(&b), Err(Error::Unsupported { .. })));
}

#[test]
fn corrupt_inputs() {
    // Truncated everywhere.
    let full = hex(F32);
    for n in 0..full.len() {
        assert!(
            matches!(decode(&full[..n]), Err(Error::Corrupt { .. })),
            "{n}"
        );
    }
    // Version 0, unknown class, bad string padding and charset.
    assert!(decode(&hex("00 00 00 00 01000000 0000 0800")).is_err());
    assert!(decode(&hex("1c 00 00 00 01000000")).is_err());
    assert!(decode(&hex("13 03 00 00 08000000")).is_err());
    assert!(decode(&hex("13 20 00 00 08000000")).is_err());
    // Integer precision larger than its size.
    assert!(decode(&hex("10 00 00 00 01000000 0000 0900")).is_err());
    // A compound claiming 65535 members with no bytes for them.
    assert!(decode(&hex("16 ff ff 00 08000000")).is_err());
    // Name without NUL.
    let mut b = hex("36 01 00 00 04000000");
    b.extend(b"abc");
    assert!(decode(&b).is_err());
}

#[test]
fn nesting_depth_is_bounded() {
    let mut ok = String::new();
    for _ in 0..32 {
        ok.push_str("19 00 00 00 10000000 ");
    }
    ok.push_str(U8);
    assert_eq!(decode_all(&hex(&ok)).size(), 16);
    let deep = format!("19 00 00 00 10000000 {ok}");
    assert!(matches!(decode(&hex(&deep)), Err(Error::Corrupt { .. })));
}

#[test]
fn describe_truncates_long_compounds() {
    let fields = (0..20)
        .map(|i| CompoundField {
            name: format!("f{i}"),
            offset: i,
            datatype: Datatype::Integer {
                size: 1,
                signed: false,
                order: ByteOrder::Little,
            },
        })
        .collect();
    let t = Datatype::Compound { size: 20, fields };
    let d = t.describe();
    assert!(d.starts_with("compound{f0: uint8, f1: uint8"), "{d}");
    assert!(d.ends_with("f15: uint8, … 4 more}"), "{d}");
}

/// Datatype messages written by h5py 3.16 (libhdf5 2.0) with `libver='latest'`, which
/// uses datatype version 5 for compound, enum and array types:
/// `np.dtype([('a','<i4'), ('b',[('p','<f4'),('q','>i2')]), ('c','<f8',(2,3)),
/// ('s', h5py.string_dtype()), ('e','S5')])` and numpy bool.
#[test]
fn h5py_latest_version5_types() {
    let compound = hex(
        "560500004f000000610000100800000400000000002000620004560200000600000070000011201f\
         000400000000002000170800177f00000071000410090000020000000000100063000a5a00000030\
         00000002020000000300000011203f000800000000004000340b0034ff03000073003a1901010010\
         00000010000000010000000000080065004a1301000005000000",
    );
    let t = decode_all(&compound);
    assert_eq!(t.size(), 79);
    assert_eq!(
        t.describe(),
        "compound{a: int32, b: compound{p: float32, q: int16 (big-endian)}, \
         c: array[2x3]<float64>, s: vlen utf-8 string, e: string[5] ascii null-padded}"
    );
    let Datatype::Compound { fields, .. } = &t else {
        panic!("{t:?}")
    };
    let offsets: Vec<u32> = fields.iter().map(|f| f.offset).collect();
    assert_eq!(offsets, vec![0, 4, 10, 58, 74]);
    let b = hex("580200000100000010080000010000000000080046414c53450054525545000001");
    assert_eq!(decode_all(&b).describe(), "enum<int8>{FALSE=0, TRUE=1}");
}

proptest::proptest! {
    /// Mutated and truncated real encodings decode to a value or an error, never a panic.
    #[test]
    fn mutations_never_panic(
        pick in 0usize..3,
        flips in proptest::collection::vec((0usize..512, proptest::prelude::any::<u8>()), 0..6),
        cut in 0usize..512,
    ) {
        let mut b = match pick {
            0 => hex(&format!("36 02 00 00 0c000000 6100 00 {F64} 6200 08 {I32}")),
            1 => hex(&format!("2a 00 00 00 18000000 02 000000 02000000 03000000 00000000 01000000 {I32}")),
            _ => hex("18 02 00 00 01000000 10 08 00 00 01000000 0000 0800 4100000000000000 4200000000000000 0001"),
        };
        for (i, v) in flips {
            let n = b.len();
            b[i % n] = v;
        }
        b.truncate(cut);
        let _ = decode(&b).map(|t| t.describe());
    }
}
