//! Encoders checked byte for byte against real h5py files (libhdf5 2.0, default
//! "earliest" libver), and their error cases.
//!
//! The message bodies below were made by h5py 3.16 in one file per script (every call
//! is named above its body), read back with hdf5-lite's own reader
//! ([`ObjectHeader::read`](crate::format::object_header::ObjectHeader::read) gives each
//! [`RawMessage`](crate::format::object_header::RawMessage)'s data), and pasted here.
//! They include the zero padding of version 1 object headers, so each encoder's output
//! is padded to 8 bytes before comparing. What libhdf5 writes beside these messages
//! and hdf5-lite does not (NIL padding, modification times, the old fill value message)
//! is not needed by readers (hdf5-features.md section 7).

use super::kind::{ATTRIBUTE, DATASPACE, DATATYPE, FILL_VALUE, FILTER_PIPELINE, LAYOUT};
use super::*;
use crate::error::Error;
use crate::format::{Cursor, Sizes, UNDEF};

/// (message type, body as stored), as h5py wrote them.
const H5PY: &[(u16, &str)] = &[
    // /scalar: create_dataset('scalar', data=np.float64(1.5))
    (DATASPACE, "0100000000000000"),
    // /nest2: create_dataset('nest2', shape=(1,), dtype=[('v','<f4',(3,)),('a',[('x','<i4')])])
    (
        DATASPACE,
        "0101010000000000 0100000000000000 0100000000000000",
    ),
    // /vutf8: create_dataset('vutf8', data=['a','bc'], dtype=h5py.string_dtype('utf-8'))
    (
        DATASPACE,
        "0101010000000000 0200000000000000 0200000000000000",
    ),
    // /u8le: create_dataset('u8le', data=np.arange(3, dtype='<u8'))
    (
        DATASPACE,
        "0101010000000000 0300000000000000 0300000000000000",
    ),
    // /compact: h5d.create of int32 (4,) with dcpl.set_layout(h5d.COMPACT), then written with arange(4)
    (
        DATASPACE,
        "0101010000000000 0400000000000000 0400000000000000",
    ),
    // /fillch: create_dataset('fillch', shape=(5,), dtype='<i4', fillvalue=-7, chunks=(2,))
    (
        DATASPACE,
        "0101010000000000 0500000000000000 0500000000000000",
    ),
    // /shuf: create_dataset('shuf', data=np.arange(20, dtype='<i4'), chunks=(10,), shuffle=True, fletcher32=True, compression='gzip')
    (
        DATASPACE,
        "0101010000000000 1400000000000000 1400000000000000",
    ),
    // /d2: create_dataset('d2', data=np.zeros((3,4), dtype='<f4'))
    (
        DATASPACE,
        concat!(
            "0102010000000000 0300000000000000 0400000000000000 0300000000000000",
            "0400000000000000",
        ),
    ),
    // /chunk2d: create_dataset('chunk2d', shape=(6,8), dtype='<i2', chunks=(3,4)) (never written)
    (
        DATASPACE,
        concat!(
            "0102010000000000 0600000000000000 0800000000000000 0600000000000000",
            "0800000000000000",
        ),
    ),
    // /gzip: create_dataset('gzip', data=np.arange(100, dtype='<f4').reshape(10,10), chunks=(5,5), compression='gzip', compression_opts=2, maxshape=(None,10))
    (
        DATASPACE,
        concat!(
            "0102010000000000 0a00000000000000 0a00000000000000 ffffffffffffffff",
            "0a00000000000000",
        ),
    ),
    // /null: create_dataset('null', data=h5py.Empty('f4'))
    (DATASPACE, "0200000200000000"),
    // /u1le: create_dataset('u1le', data=np.arange(3, dtype='<u1'))
    (DATATYPE, "1000000001000000 0000080000000000"),
    // /u2le: create_dataset('u2le', data=np.arange(3, dtype='<u2'))
    (DATATYPE, "1000000002000000 0000100000000000"),
    // /u4le: create_dataset('u4le', data=np.arange(3, dtype='<u4'))
    (DATATYPE, "1000000004000000 0000200000000000"),
    // /u8le: create_dataset('u8le', data=np.arange(3, dtype='<u8'))
    (DATATYPE, "1000000008000000 0000400000000000"),
    // /u2be: create_dataset('u2be', data=np.arange(3, dtype='>u2'))
    (DATATYPE, "1001000002000000 0000100000000000"),
    // /u4be: create_dataset('u4be', data=np.arange(3, dtype='>u4'))
    (DATATYPE, "1001000004000000 0000200000000000"),
    // /u8be: create_dataset('u8be', data=np.arange(3, dtype='>u8'))
    (DATATYPE, "1001000008000000 0000400000000000"),
    // /i1le: create_dataset('i1le', data=np.arange(3, dtype='<i1'))
    (DATATYPE, "1008000001000000 0000080000000000"),
    // /i2le: create_dataset('i2le', data=np.arange(3, dtype='<i2'))
    (DATATYPE, "1008000002000000 0000100000000000"),
    // /shuf: create_dataset('shuf', data=np.arange(20, dtype='<i4'), chunks=(10,), shuffle=True, fletcher32=True, compression='gzip')
    (DATATYPE, "1008000004000000 0000200000000000"),
    // /i8le: create_dataset('i8le', data=np.arange(3, dtype='<i8'))
    (DATATYPE, "1008000008000000 0000400000000000"),
    // /i2be: create_dataset('i2be', data=np.arange(3, dtype='>i2'))
    (DATATYPE, "1009000002000000 0000100000000000"),
    // /i4be: create_dataset('i4be', data=np.arange(3, dtype='>i4'))
    (DATATYPE, "1009000004000000 0000200000000000"),
    // /i8be: create_dataset('i8be', data=np.arange(3, dtype='>i8'))
    (DATATYPE, "1009000008000000 0000400000000000"),
    // /f2le: create_dataset('f2le', data=np.arange(3, dtype='<f2'))
    (
        DATATYPE,
        "11200f0002000000 000010000a05000a 0f00000000000000",
    ),
    // /null: create_dataset('null', data=h5py.Empty('f4'))
    (
        DATATYPE,
        "11201f0004000000 0000200017080017 7f00000000000000",
    ),
    // /scalar: create_dataset('scalar', data=np.float64(1.5))
    (
        DATATYPE,
        "11203f0008000000 00004000340b0034 ff03000000000000",
    ),
    // /f2be: create_dataset('f2be', data=np.arange(3, dtype='>f2'))
    (
        DATATYPE,
        "11210f0002000000 000010000a05000a 0f00000000000000",
    ),
    // /f4be: create_dataset('f4be', data=np.arange(3, dtype='>f4'))
    (
        DATATYPE,
        "11211f0004000000 0000200017080017 7f00000000000000",
    ),
    // /f8be: create_dataset('f8be', data=np.arange(3, dtype='>f8'))
    (
        DATATYPE,
        "11213f0008000000 00004000340b0034 ff03000000000000",
    ),
    // /s8: create_dataset('s8', data=np.array([b'ab', b'cdefgh'], dtype='S8'))
    (DATATYPE, "1301000008000000"),
    // /sutf8: create_dataset('sutf8', shape=(2,), dtype=h5py.string_dtype('utf-8', 5))
    (DATATYPE, "1311000005000000"),
    // /bitle: h5d.create(f.id, b'bitle', h5t.STD_B16LE, h5s.create_simple((2,)))
    (DATATYPE, "1400000002000000 0000100000000000"),
    // /bitbe: h5d.create(f.id, b'bitbe', h5t.STD_B32BE, h5s.create_simple((2,)))
    (DATATYPE, "1401000004000000 0000200000000000"),
    // /opaque: create_dataset('opaque', data=np.zeros(2, dtype='V4'))
    (DATATYPE, "1500000004000000"),
    // /comp: create_dataset('comp', data=np.zeros(2, dtype=[('a','<i4'),('bb','<f8')]))
    (
        DATATYPE,
        concat!(
            "160200000c000000 6100000000000000 0000000000000000 0000000000000000",
            "0000000000000000 0000000000000000 1008000004000000 0000200062620000",
            "0000000004000000 0000000000000000 0000000000000000 0000000000000000",
            "0000000011203f00 0800000000004000 340b0034ff030000",
        ),
    ),
    // /bool: create_dataset('bool', data=np.array([True, False]))
    (
        DATATYPE,
        concat!(
            "1802000001000000 1008000001000000 0000080046414c53 4500000054525545",
            "0000000000010000",
        ),
    ),
    // /enum: create_dataset('enum', data=..., dtype=h5py.enum_dtype({'RED':0,'GREEN':1,'BLUE':2}, basetype='i1'))
    (
        DATATYPE,
        concat!(
            "1803000001000000 1008000001000000 00000800424c5545 0000000047524545",
            "4e00000052454400 0000000002010000",
        ),
    ),
    // /vlseq: create_dataset('vlseq', shape=(2,), dtype=h5py.vlen_dtype(np.dtype('<i4')))
    (
        DATATYPE,
        "1900000010000000 1008000004000000 0000200000000000",
    ),
    // /vascii: create_dataset('vascii', data=[b'a',b'bc'], dtype=h5py.string_dtype('ascii'))
    (
        DATATYPE,
        "1901000010000000 1000000001000000 0000080000000000",
    ),
    // /vutf8: create_dataset('vutf8', data=['a','bc'], dtype=h5py.string_dtype('utf-8'))
    (
        DATATYPE,
        "1901010010000000 1000000001000000 0000080000000000",
    ),
    // /comparr: create_dataset('comparr', data=np.zeros(2, dtype=[('a','<i4'),('v','<f4',(3,))]))
    (
        DATATYPE,
        concat!(
            "2602000010000000 6100000000000000 0000000010080000 0400000000002000",
            "7600000000000000 040000002a000000 0c00000001000000 0300000000000000",
            "11201f0004000000 0000200017080017 7f00000000000000",
        ),
    ),
    // /nest1: create_dataset('nest1', shape=(1,), dtype=[('a',[('x','<i4')]),('v','<f4',(3,))])
    (
        DATATYPE,
        concat!(
            "2602000010000000 6100000000000000 0000000026010000 0400000078000000",
            "0000000000000000 1008000004000000 0000200076000000 0000000004000000",
            "2a0000000c000000 0100000003000000 0000000011201f00 0400000000002000",
            "170800177f000000",
        ),
    ),
    // /nest2: create_dataset('nest2', shape=(1,), dtype=[('v','<f4',(3,)),('a',[('x','<i4')])])
    (
        DATATYPE,
        concat!(
            "2602000010000000 7600000000000000 000000002a000000 0c00000001000000",
            "0300000000000000 11201f0004000000 0000200017080017 7f00000061000000",
            "000000000c000000 1601000004000000 7800000000000000 0000000000000000",
            "0000000000000000 0000000000000000 0000000000000000 1008000004000000",
            "0000200000000000",
        ),
    ),
    // /vlarr: h5d.create(f.id, b'vlarr', h5t.vlen_create(h5t.array_create(h5t.STD_I16LE, (2,))), h5s.create_simple((2,)))
    (
        DATATYPE,
        concat!(
            "2900000010000000 2a00000004000000 0100000002000000 0000000010080000",
            "0200000000001000",
        ),
    ),
    // /arrcomp: h5d.create(f.id, b'arrcomp', h5t.array_create(h5t.py_create(np.dtype([('x','<i4')])), (2,)), h5s.create_simple((2,)))
    (
        DATATYPE,
        concat!(
            "2a00000008000000 0100000002000000 0000000016010000 0400000078000000",
            "0000000000000000 0000000000000000 0000000000000000 0000000000000000",
            "0000000010080000 0400000000002000",
        ),
    ),
    // /arr: h5d.create(f.id, b'arr', h5t.array_create(h5t.STD_I16LE, (2,3)), h5s.create_simple((2,)))
    (
        DATATYPE,
        concat!(
            "2a0000000c000000 0200000002000000 0300000000000000 0100000010080000",
            "0200000000001000",
        ),
    ),
    // /compact: h5d.create of int32 (4,) with dcpl.set_layout(h5d.COMPACT), then written with arange(4)
    (FILL_VALUE, "0201020100000000"),
    // /vutf8: create_dataset('vutf8', data=['a','bc'], dtype=h5py.string_dtype('utf-8'))
    (FILL_VALUE, "0202000100000000"),
    // /u8le: create_dataset('u8le', data=np.arange(3, dtype='<u8'))
    (FILL_VALUE, "0202020100000000"),
    // /fill: create_dataset('fill', shape=(5,), dtype='<i4', fillvalue=-7)
    (FILL_VALUE, "0202020104000000 f9ffffff00000000"),
    // /shuf: create_dataset('shuf', data=np.arange(20, dtype='<i4'), chunks=(10,), shuffle=True, fletcher32=True, compression='gzip')
    (FILL_VALUE, "0203020100000000"),
    // /fillch: create_dataset('fillch', shape=(5,), dtype='<i4', fillvalue=-7, chunks=(2,))
    (FILL_VALUE, "0203020104000000 f9ffffff00000000"),
    // /compact: h5d.create of int32 (4,) with dcpl.set_layout(h5d.COMPACT), then written with arange(4)
    (LAYOUT, "0300100000000000 0100000002000000 0300000000000000"),
    // /i4le: create_dataset('i4le', data=np.arange(3, dtype='<i4'))
    (LAYOUT, "03010f0800000000 00000c0000000000 0000000000000000"),
    // /d2: create_dataset('d2', data=np.zeros((3,4), dtype='<f4'))
    (LAYOUT, "0301970900000000 0000300000000000 0000000000000000"),
    // /null: create_dataset('null', data=h5py.Empty('f4'))
    (LAYOUT, "0301ffffffffffff ffff000000000000 0000000000000000"),
    // /fill: create_dataset('fill', shape=(5,), dtype='<i4', fillvalue=-7)
    (LAYOUT, "0301ffffffffffff ffff140000000000 0000000000000000"),
    // /shuf: create_dataset('shuf', data=np.arange(20, dtype='<i4'), chunks=(10,), shuffle=True, fletcher32=True, compression='gzip')
    (LAYOUT, "030202d055000000 0000000a00000004 0000000000000000"),
    // /fillch: create_dataset('fillch', shape=(5,), dtype='<i4', fillvalue=-7, chunks=(2,))
    (LAYOUT, "030202ffffffffff ffffff0200000004 0000000000000000"),
    // /gzip: create_dataset('gzip', data=np.arange(100, dtype='<f4').reshape(10,10), chunks=(5,5), compression='gzip', compression_opts=2, maxshape=(None,10))
    (LAYOUT, "0302030046000000 0000000500000005 0000000400000000"),
    // /chunk2d: create_dataset('chunk2d', shape=(6,8), dtype='<i2', chunks=(3,4)) (never written)
    (LAYOUT, "030203ffffffffff ffffff0300000004 0000000200000000"),
    // /gzip: create_dataset('gzip', data=np.arange(100, dtype='<f4').reshape(10,10), chunks=(5,5), compression='gzip', compression_opts=2, maxshape=(None,10))
    (
        FILTER_PIPELINE,
        "0101000000000000 0100080001000100 6465666c61746500 0200000000000000",
    ),
    // /shuf: create_dataset('shuf', data=np.arange(20, dtype='<i4'), chunks=(10,), shuffle=True, fletcher32=True, compression='gzip')
    (
        FILTER_PIPELINE,
        concat!(
            "0103000000000000 0200080001000100 73687566666c6500 0400000000000000",
            "0100080001000100 6465666c61746500 0400000000000000 0300100000000000",
            "666c657463686572 3332000000000000",
        ),
    ),
    // /g: g.attrs['e'] = h5py.Empty('i4')
    (
        ATTRIBUTE,
        concat!(
            "010002000c000400 6500000000000000 1008000004000000 0000200000000000",
            "0200000200000000",
        ),
    ),
    // /g: g.attrs['i'] = np.int32(-3)
    (
        ATTRIBUTE,
        concat!(
            "010002000c000800 6900000000000000 1008000004000000 0000200000000000",
            "0100000000000000 fdffffff00000000",
        ),
    ),
    // /g: g.attrs['s'] = 'title'
    (
        ATTRIBUTE,
        concat!(
            "0100020014000800 7300000000000000 1901010010000000 1000000001000000",
            "0000080000000000 0100000000000000 05000000182a0000 0000000005000000",
        ),
    ),
    // /g: g.attrs['f'] = np.arange(3, dtype='<f8')
    (
        ATTRIBUTE,
        concat!(
            "0100020014001800 6600000000000000 11203f0008000000 00004000340b0034",
            "ff03000000000000 0101010000000000 0300000000000000 0300000000000000",
            "0000000000000000 000000000000f03f 0000000000000040",
        ),
    ),
    // /g: g.attrs['b'] = np.bool_(True)
    (
        ATTRIBUTE,
        concat!(
            "0100020026000800 6200000000000000 1802000001000000 1008000001000000",
            "0000080046414c53 4500000054525545 0000000000010000 0100000000000000",
            "0100000000000000",
        ),
    ),
    // /g: g.attrs['c'] = np.zeros((), dtype=[('a','<i4'),('bb','<f8')])
    (
        ATTRIBUTE,
        concat!(
            "0100020078000800 6300000000000000 160200000c000000 6100000000000000",
            "0000000000000000 0000000000000000 0000000000000000 0000000000000000",
            "1008000004000000 0000200062620000 0000000004000000 0000000000000000",
            "0000000000000000 0000000000000000 0000000011203f00 0800000000004000",
            "340b0034ff030000 0100000000000000 0000000000000000 0000000000000000",
        ),
    ),
    // /g: g.attrs['sa'] = np.bytes_(b'abc')
    (
        ATTRIBUTE,
        concat!(
            "0100030008000800 7361000000000000 1301000003000000 0100000000000000",
            "6162630000000000",
        ),
    ),
    // /g: g.attrs['vl'] = ['x', 'yz']
    (
        ATTRIBUTE,
        concat!(
            "0100030014001800 766c000000000000 1901010010000000 1000000001000000",
            "0000080000000000 0101010000000000 0200000000000000 0200000000000000",
            "01000000182a0000 0000000007000000 02000000182a0000 0000000006000000",
        ),
    ),
    // /g: g.attrs['arr'] = np.zeros((), dtype=[('v','<f4',(3,))])
    (
        ATTRIBUTE,
        concat!(
            "010004003c000800 6172720000000000 260100000c000000 7600000000000000",
            "000000002a000000 0c00000001000000 0300000000000000 11201f0004000000",
            "0000200017080017 7f00000000000000 0100000000000000 0000000000000000",
            "0000000000000000",
        ),
    ),
    // /g: g.attrs['longer_name_attr'] = np.arange(6, dtype='>i2').reshape(2, 3)
    (
        ATTRIBUTE,
        concat!(
            "010011000c002800 6c6f6e6765725f6e 616d655f61747472 0000000000000000",
            "1009000002000000 0000100000000000 0102010000000000 0200000000000000",
            "0300000000000000 0200000000000000 0300000000000000 0000000100020003",
            "0004000500000000",
        ),
    ),
    // Upgrades of nested types by a later array member (see datatype/encode.rs).
    // /vlc_then_arr: create_dataset('vlc_then_arr', shape=(1,), dtype=[('a', h5py.vlen_dtype(np.dtype([('x', '<i4')]))), ('v', '<f4', (3,))])
    (
        DATATYPE,
        concat!(
            "260200001c000000 6100000000000000 0000000029000000 1000000026010000",
            "0400000078000000 0000000000000000 1008000004000000 0000200076000000",
            "0000000010000000 2a0000000c000000 0100000003000000 0000000011201f00",
            "0400000000002000 170800177f000000",
        ),
    ),
    // /vl_then_arr: create_dataset('vl_then_arr', shape=(1,), dtype=[('a', h5py.vlen_dtype(np.dtype('<i4'))), ('v', '<f4', (3,))])
    (
        DATATYPE,
        concat!(
            "260200001c000000 6100000000000000 0000000019000000 1000000010080000",
            "0400000000002000 7600000000000000 100000002a000000 0c00000001000000",
            "0300000000000000 11201f0004000000 0000200017080017 7f00000000000000",
        ),
    ),
    // /enum_then_arr: create_dataset('enum_then_arr', shape=(1,), dtype=[('a', h5py.enum_dtype({'A': 0, 'B': 1}, basetype='i1')), ('v', '<f4', (3,))])
    (
        DATATYPE,
        concat!(
            "260200000d000000 6100000000000000 0000000028020000 0100000010080000",
            "0100000000000800 4100000000000000 4200000000000000 0001760000000000",
            "0000010000002a00 00000c0000000100 0000030000000000 000011201f000400",
            "0000000020001708 00177f0000000000",
        ),
    ),
    // /deep: create_dataset('deep', shape=(1,), dtype=[('a', [('b', [('x', '<i4')])]), ('v', '<f4', (3,))])
    (
        DATATYPE,
        concat!(
            "2602000010000000 6100000000000000 0000000026010000 0400000062000000",
            "0000000000000000 2601000004000000 7800000000000000 0000000010080000",
            "0400000000002000 7600000000000000 040000002a000000 0c00000001000000",
            "0300000000000000 11201f0004000000 0000200017080017 7f00000000000000",
        ),
    ),
    // /arr_of_c_then_arr: create_dataset('arr_of_c_then_arr', shape=(1,), dtype=[('a', [('x', '<i4')], (2,)), ('v', '<f4', (3,))])
    (
        DATATYPE,
        concat!(
            "2602000014000000 6100000000000000 000000002a000000 0800000001000000",
            "0200000000000000 2601000004000000 7800000000000000 0000000010080000",
            "0400000000002000 7600000000000000 080000002a000000 0c00000001000000",
            "0300000000000000 11201f0004000000 0000200017080017 7f00000000000000",
        ),
    ),
    // /arr_c_arr: create_dataset('arr_c_arr', shape=(1,), dtype=[('v', '<f4', (3,)), ('a', [('x', '<i4')]), ('w', '<i2', (2,))])
    (
        DATATYPE,
        concat!(
            "2603000014000000 7600000000000000 000000002a000000 0c00000001000000",
            "0300000000000000 11201f0004000000 0000200017080017 7f00000061000000",
            "000000000c000000 1601000004000000 7800000000000000 0000000000000000",
            "0000000000000000 0000000000000000 0000000000000000 1008000004000000",
            "0000200077000000 0000000010000000 2a00000004000000 0100000002000000",
            "0000000010080000 0200000000001000",
        ),
    ),
];

fn hex(s: &str) -> Vec<u8> {
    let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// `b` zero-padded to a multiple of 8, as a version 1 object header stores it.
fn pad8(mut b: Vec<u8>) -> Vec<u8> {
    b.resize(b.len().next_multiple_of(8), 0);
    b
}

fn cursor(b: &[u8]) -> Cursor<'_> {
    Cursor::new(b, 0, "test", Sizes::default())
}

/// Decodes a body with the reader, then encodes the result.
fn reencode(kind: u16, body: &[u8]) -> Vec<u8> {
    let c = &mut cursor(body);
    match kind {
        DATASPACE => Dataspace::decode(c).unwrap().encode(),
        DATATYPE => Datatype::decode(c).unwrap().encode().unwrap(),
        FILL_VALUE => FillValue::decode(c).unwrap().encode(),
        FILTER_PIPELINE => FilterPipeline::decode(c).unwrap().encode(),
        LAYOUT => Layout::decode(c).unwrap().encode().unwrap(),
        ATTRIBUTE => AttributeMessage::decode(c).unwrap().encode().unwrap(),
        k => panic!("no encoder for message type {k:#06x}"),
    }
}

#[test]
fn every_h5py_message_body_is_reproduced() {
    for (kind, body) in H5PY {
        let raw = hex(body);
        let got = pad8(reencode(*kind, &raw));
        assert_eq!(got, raw, "message type {kind:#06x}: {body}");
    }
}

/// The body of the first case of type `kind` whose hex starts with `prefix`.
fn h5py(kind: u16, prefix: &str) -> Vec<u8> {
    let prefix = hex(prefix);
    H5PY.iter()
        .map(|(k, b)| (*k, hex(b)))
        .find(|(k, b)| *k == kind && b.starts_with(&prefix))
        .map(|(_, b)| b)
        .unwrap()
}

fn int(size: u32, signed: bool, order: ByteOrder) -> Datatype {
    Datatype::Integer {
        size,
        signed,
        order,
    }
}

fn float(size: u32, order: ByteOrder) -> Datatype {
    Datatype::Float { size, order }
}

#[test]
fn hand_built_datatypes_match_h5py() {
    use ByteOrder::{Big, Little};
    // hdf5-features.md section 8's table, and the files above.
    let cases: Vec<(Datatype, &str)> = vec![
        (
            float(4, Little),
            "11201f00 04000000 0000 2000 17 08 00 17 7f000000",
        ),
        (
            float(8, Little),
            "11203f00 08000000 0000 4000 34 0b 00 34 ff030000",
        ),
        (
            float(2, Little),
            "11200f00 02000000 0000 1000 0a 05 00 0a 0f000000",
        ),
        (
            float(4, Big),
            "11211f00 04000000 0000 2000 17 08 00 17 7f000000",
        ),
        (int(4, true, Little), "10080000 04000000 0000 2000"),
        (int(8, true, Big), "10090000 08000000 0000 4000"),
        (int(1, false, Little), "10000000 01000000 0000 0800"),
        (int(2, false, Big), "10010000 02000000 0000 1000"),
        (
            Datatype::FixedString {
                size: 8,
                padding: StringPadding::NullPad,
                charset: CharSet::Ascii,
            },
            "13010000 08000000",
        ),
        (
            Datatype::VarLenString {
                size: 16,
                padding: StringPadding::NullTerminate,
                charset: CharSet::Utf8,
            },
            "19010100 10000000 10000000 01000000 0000 0800",
        ),
        (
            Datatype::Opaque {
                size: 4,
                tag: String::new(),
            },
            "15000000 04000000",
        ),
    ];
    for (dt, want) in cases {
        assert_eq!(dt.encode().unwrap(), hex(want), "{dt:?}");
    }
    // A compound with an array member is version 2, its plain member version 1.
    let comparr = Datatype::Compound {
        size: 16,
        fields: vec![
            CompoundField {
                name: "a".into(),
                offset: 0,
                datatype: int(4, true, Little),
            },
            CompoundField {
                name: "v".into(),
                offset: 4,
                datatype: Datatype::Array {
                    base: Box::new(float(4, Little)),
                    dims: vec![3],
                },
            },
        ],
    };
    assert_eq!(pad8(comparr.encode().unwrap()), h5py(DATATYPE, "26020000"));
    // h5py's bool: an enum over a signed byte.
    let boolean = Datatype::Enum {
        base: Box::new(int(1, true, Little)),
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
    assert_eq!(pad8(boolean.encode().unwrap()), h5py(DATATYPE, "18020000"));
}

#[test]
fn hand_built_messages_match_h5py() {
    // Scalar; 1-D without stored maxdims (written as the dims); unlimited; null.
    let scalar = Dataspace {
        kind: DataspaceKind::Scalar,
        dims: vec![],
        maxdims: None,
    };
    assert_eq!(scalar.encode(), hex("0100000000000000"));
    let d1 = Dataspace {
        kind: DataspaceKind::Simple,
        dims: vec![3],
        maxdims: None,
    };
    assert_eq!(d1.encode(), h5py(DATASPACE, "01010100 00000000 03"));
    let gzip = Dataspace {
        kind: DataspaceKind::Simple,
        dims: vec![10, 10],
        maxdims: Some(vec![u64::MAX, 10]),
    };
    assert_eq!(gzip.encode(), h5py(DATASPACE, "01020100 00000000 0a"));
    let null = Dataspace {
        kind: DataspaceKind::Null,
        dims: vec![],
        maxdims: None,
    };
    assert_eq!(null.encode(), hex("02000002"));

    // Fill values: chunked default, contiguous default, contiguous -7.
    let fill = |alloc_time, fill_time, value: Option<Vec<u8>>| FillValue {
        alloc_time,
        fill_time,
        value,
    };
    assert_eq!(fill(3, 2, None).encode(), hex("02030201 00000000"));
    assert_eq!(fill(2, 2, None).encode(), hex("02020201 00000000"));
    assert_eq!(fill(3, 0, None).encode(), hex("02030001 00000000"));
    let minus7 = fill(2, 2, Some((-7i32).to_le_bytes().to_vec()));
    assert_eq!(pad8(minus7.encode()), h5py(FILL_VALUE, "02020201 04"));

    // loompy's deflate, unnamed: the canonical name is written.
    let deflate = FilterPipeline {
        filters: vec![Filter {
            id: 1,
            name: None,
            flags: 1,
            client_data: vec![2],
        }],
    };
    assert_eq!(deflate.encode(), h5py(FILTER_PIPELINE, "0101"));
    let shuf = FilterPipeline {
        filters: [(2, 1, vec![4]), (1, 1, vec![4]), (3, 0, vec![])]
            .into_iter()
            .map(|(id, flags, client_data)| Filter {
                id,
                name: None,
                flags,
                client_data,
            })
            .collect(),
    };
    assert_eq!(shuf.encode(), h5py(FILTER_PIPELINE, "0103"));

    // Layouts: chunked (5, 5) of f32, compact, contiguous never written.
    let chunked = Layout::Chunked {
        version: 3,
        flags: 0,
        chunk_dims: vec![5, 5],
        element_size: 4,
        index: ChunkIndexKind::BTreeV1,
        address: 0x4600,
    };
    assert_eq!(pad8(chunked.encode().unwrap()), h5py(LAYOUT, "030203"));
    let compact = Layout::Compact {
        data: hex("00000000 01000000 02000000 03000000"),
    };
    assert_eq!(pad8(compact.encode().unwrap()), h5py(LAYOUT, "0300"));
    let never = Layout::Contiguous {
        address: UNDEF,
        size: 20,
    };
    assert_eq!(
        pad8(never.encode().unwrap()),
        h5py(LAYOUT, "0301ffffffffffffffff14")
    );

    // g.attrs['i'] = np.int32(-3)
    let attr = AttributeMessage {
        name: "i".into(),
        name_charset: CharSet::Ascii,
        datatype: int(4, true, ByteOrder::Little),
        dataspace: scalar,
        data: (-3i32).to_le_bytes().to_vec(),
    };
    assert_eq!(
        pad8(attr.encode().unwrap()),
        h5py(ATTRIBUTE, "01000200 0c000800 69")
    );
}

#[test]
fn encode_errors() {
    let unsupported = |r: crate::error::Result<Vec<u8>>| {
        assert!(matches!(r, Err(Error::Unsupported { .. })), "{r:?}");
    };
    unsupported(Datatype::Reference { size: 8 }.encode());
    unsupported(Datatype::Time { size: 4 }.encode());
    unsupported(int(3, true, ByteOrder::Little).encode());
    unsupported(float(16, ByteOrder::Little).encode());
    let e = Datatype::Reference { size: 8 }.encode().err().unwrap();
    assert!(e.to_string().contains("writing reference datatypes"), "{e}");
    // Enum value of the wrong width.
    unsupported(
        Datatype::Enum {
            base: Box::new(int(2, true, ByteOrder::Little)),
            members: vec![EnumMember {
                name: "A".into(),
                value: vec![1],
            }],
        }
        .encode(),
    );
    // Compound member past the end; name with a NUL.
    let compound = |name: &str, offset| Datatype::Compound {
        size: 8,
        fields: vec![CompoundField {
            name: name.into(),
            offset,
            datatype: int(4, true, ByteOrder::Little),
        }],
    };
    unsupported(compound("a", 5).encode());
    unsupported(compound("a\0b", 0).encode());
    assert!(compound("a", 4).encode().is_ok());
    // Arrays: rank 0, or over 4 GiB.
    let array = |dims: Vec<u32>| Datatype::Array {
        base: Box::new(float(8, ByteOrder::Little)),
        dims,
    };
    unsupported(array(vec![]).encode());
    unsupported(array(vec![1 << 16, 1 << 16]).encode());
    // Too deep.
    let mut deep = int(1, false, ByteOrder::Little);
    for _ in 0..40 {
        deep = Datatype::VarLenSequence {
            size: 16,
            base: Box::new(deep),
        };
    }
    unsupported(deep.encode());

    // Layouts.
    let chunked = |chunk_dims: Vec<u64>, index| Layout::Chunked {
        version: 4,
        flags: 0,
        chunk_dims,
        element_size: 4,
        index,
        address: UNDEF,
    };
    unsupported(chunked(vec![1 << 32], ChunkIndexKind::BTreeV1).encode());
    unsupported(chunked(vec![0], ChunkIndexKind::BTreeV1).encode());
    unsupported(chunked(vec![], ChunkIndexKind::BTreeV1).encode());
    unsupported(chunked(vec![4], ChunkIndexKind::Implicit).encode());
    unsupported(chunked(vec![4], ChunkIndexKind::FixedArray { page_bits: 10 }).encode());
    assert_eq!(
        chunked(vec![u64::from(u32::MAX)], ChunkIndexKind::BTreeV1)
            .encode()
            .unwrap()
            .len(),
        3 + 8 + 8
    );
    unsupported(Layout::Virtual.encode());
    unsupported(
        Layout::Compact {
            data: vec![0; 65536],
        }
        .encode(),
    );

    // Attributes: data of the wrong length, NUL in the name.
    let attr = |name: &str, data: Vec<u8>| AttributeMessage {
        name: name.into(),
        name_charset: CharSet::Ascii,
        datatype: int(4, true, ByteOrder::Little),
        dataspace: Dataspace {
            kind: DataspaceKind::Simple,
            dims: vec![2],
            maxdims: None,
        },
        data,
    };
    unsupported(attr("x", vec![0; 4]).encode());
    unsupported(attr("x\0", vec![0; 8]).encode());
    assert!(attr("x", vec![0; 8]).encode().is_ok());
}
