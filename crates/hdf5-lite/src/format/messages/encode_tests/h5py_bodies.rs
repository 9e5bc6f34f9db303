//! Message bodies written by h5py 3.16 (libhdf5 2.0, default libver), one per distinct
//! body, each under the call that made it (`f` an `h5py.File`, `g = f.create_group('g')`,
//! `h5d`/`h5t`/`h5s` the `h5py` low-level modules). Read back with hdf5-lite's reader;
//! bodies include the zero padding of version 1 object headers.

use crate::format::messages::kind::{
    ATTRIBUTE, DATASPACE, DATATYPE, FILL_VALUE, FILTER_PIPELINE, LAYOUT,
};

/// (message type, body as stored), as h5py wrote them.
pub(super) const H5PY: &[(u16, &str)] = &[
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
    // /emb: create_dataset('emb', data=np.zeros(2, dtype=[('_X','<f4'),('_Y','<f4')]))
    (
        DATATYPE,
        concat!(
            "1602000008000000 5f58000000000000 0000000000000000 0000000000000000",
            "0000000000000000 0000000000000000 11201f0004000000 0000200017080017",
            "7f0000005f590000 0000000004000000 0000000000000000 0000000000000000",
            "0000000000000000 0000000011201f00 0400000000002000 170800177f000000",
        ),
    ),
    // /strs: create_dataset('strs', data=np.zeros(2, dtype=[('name','S5'),('n','<i8')]))
    (
        DATATYPE,
        concat!(
            "160200000d000000 6e616d6500000000 0000000000000000 0000000000000000",
            "0000000000000000 0000000000000000 1301000005000000 6e00000000000000",
            "0500000000000000 0000000000000000 0000000000000000 0000000000000000",
            "1008000008000000 0000400000000000",
        ),
    ),
    // /ustr: create_dataset('ustr', data=np.zeros(2, dtype=[('u', h5py.string_dtype('utf-8', 4)),('x','<u2')]))
    (
        DATATYPE,
        concat!(
            "1602000006000000 7500000000000000 0000000000000000 0000000000000000",
            "0000000000000000 0000000000000000 1311000004000000 7800000000000000",
            "0400000000000000 0000000000000000 0000000000000000 0000000000000000",
            "1000000002000000 0000100000000000",
        ),
    ),
    // /reg: create_dataset('reg', data=np.zeros(2, dtype=[('TF0(+)','<i8'),('TF10(+)','<i8')]))
    (
        DATATYPE,
        concat!(
            "1602000010000000 544630282b290000 0000000000000000 0000000000000000",
            "0000000000000000 0000000000000000 1008000008000000 0000400054463130",
            "282b290008000000 0000000000000000 0000000000000000 0000000000000000",
            "0000000010080000 0800000000004000",
        ),
    ),
    // /: f.attrs['emb_attr'] = np.zeros(2, dtype=[('_X','<f4'),('_Y','<f4')])
    (
        ATTRIBUTE,
        concat!(
            "0100090080001800 656d625f61747472 0000000000000000 1602000008000000",
            "5f58000000000000 0000000000000000 0000000000000000 0000000000000000",
            "0000000000000000 11201f0004000000 0000200017080017 7f0000005f590000",
            "0000000004000000 0000000000000000 0000000000000000 0000000000000000",
            "0000000011201f00 0400000000002000 170800177f000000 0101010000000000",
            "0200000000000000 0200000000000000 0000000000000000 0000000000000000",
        ),
    ),
];
