//! More edits of h5py/loompy-made fixtures: chunks libhdf5 filtered (shuffle, deflate,
//! Fletcher-32), fill values and unallocated chunks, a compact dataset, an object header
//! with continuation blocks, global heaps spread over many collections, compound
//! (pySCENIC) attributes, loompy 2 fixed-length strings, anndata and loomR layouts.

use std::path::Path;

use hdf5_lite::format::messages::{ByteOrder, CharSet, CompoundField, Datatype, StringPadding};
use hdf5_lite::read::Numeric;
use hdf5_lite::write::{vlen_utf8, AttrData, AttrValue, DatasetSpec};

use super::edits::{loom_attr, stamp, start};
use super::session::Exp;

type R<T> = Result<T, String>;

/// 45 (h5py's filtered chunks): partial writes into every dataset, in two sessions.
pub fn edit_45(dir: &Path, fixtures: &Path) -> R<Vec<Exp>> {
    let names = [
        "deflate1_incompressible",
        "fletcher32_odd_u1",
        "fletcher32_only",
        "shuffle_deflate6_fletcher32",
        "shuffle_deflate9",
        "shuffle_deflate_fletcher_f8_2d",
        "shuffle_only",
    ];
    let paths: Vec<String> = names.iter().map(|n| format!("/{n}")).collect();
    let listed: Vec<(&str, bool)> = std::iter::once(("/", true))
        .chain(paths.iter().map(|p| (p.as_str(), false)))
        .collect();
    let mut s = start(
        dir,
        fixtures,
        "45_feat_filters.h5",
        "edit_45_filters.h5",
        &listed,
    )?;
    s.write_numbers("/deflate1_incompressible", &[990], &[20], &[7u8; 20])?;
    s.write_numbers("/fletcher32_odd_u1", &[0], &[5], &[1u8, 2, 3, 4, 5])?;
    s.write_numbers("/fletcher32_odd_u1", &[998], &[1], &[250u8])?;
    s.write_numbers("/fletcher32_only", &[399], &[2], &[-1i32, i32::MIN])?;
    let v: Vec<i32> = (0..10).map(|i| i * 1_000_000).collect();
    s.write_numbers("/shuffle_deflate6_fletcher32", &[100], &[10], &v)?;
    let v: Vec<f32> = (0..10).map(|i| i as f32 + 0.5).collect();
    s.write_numbers("/shuffle_deflate9", &[1990], &[10], &v)?;
    let v: Vec<f64> = (0..25).map(|i| -(i as f64)).collect();
    s.write_numbers("/shuffle_deflate_fletcher_f8_2d", &[45, 35], &[5, 5], &v)?;
    let v: Vec<f32> = (0..100).map(|i| i as f32 * 3.0).collect();
    s.write_numbers("/shuffle_only", &[10, 10], &[10, 10], &v)?;
    s.dataset(
        "/added_all_filters",
        &DatasetSpec::new(u16::datatype(), &[100])
            .chunks(&[30])
            .shuffle()
            .deflate(7)
            .fletcher32(),
    )?;
    let v: Vec<u16> = (0..100).map(|i| i * 600).collect();
    s.write_numbers("/added_all_filters", &[0], &[100], &v)?;
    let exp = s.close()?;
    let mut s = super::session::Session::open(dir, exp)?;
    s.write_numbers("/shuffle_deflate6_fletcher32", &[1999], &[1], &[42i32])?;
    s.write_numbers("/added_all_filters", &[29], &[2], &[1u16, 2])?;
    Ok(vec![s.close()?])
}

/// 47 (fill value -7, unallocated chunks, compact, zero-length): write into unallocated
/// chunks, the compact and never-written datasets; grow zero-length datasets.
pub fn edit_47(dir: &Path, fixtures: &Path) -> R<Vec<Exp>> {
    let names = [
        "compact",
        "contiguous",
        "grown_then_fill",
        "never_written",
        "never_written_contiguous",
        "never_written_default_fill",
        "partial_2d",
        "partial_3d",
        "scalar",
        "scalar_int_fill",
        "unallocated",
        "zero_length_2d",
        "zero_length_chunked",
    ];
    let paths: Vec<String> = names.iter().map(|n| format!("/{n}")).collect();
    let listed: Vec<(&str, bool)> = std::iter::once(("/", true))
        .chain(paths.iter().map(|p| (p.as_str(), false)))
        .collect();
    let mut s = start(
        dir,
        fixtures,
        "47_feat_edge_chunks_fill.h5",
        "edit_47_fill.h5",
        &listed,
    )?;
    s.exp.ds("/compact")?.compact = true;
    s.write_numbers("/compact", &[1, 1], &[1, 2], &[100i16, 101])?;
    s.write_numbers("/contiguous", &[0], &[2], &[-1.0f64, -2.0])?;
    s.resize("/grown_then_fill", &[20])?;
    s.write_numbers("/grown_then_fill", &[18], &[2], &[18i32, 19])?;
    s.resize("/grown_then_fill", &[8])?;
    s.resize("/grown_then_fill", &[12])?;
    s.write_numbers("/never_written", &[5, 5], &[2, 2], &[1i32, 2, 3, 4])?;
    s.exp.ds("/never_written")?.num_chunks = Some(1);
    s.write_numbers("/never_written_contiguous", &[1], &[2], &[10i32, 20])?;
    s.write_numbers("/never_written_default_fill", &[5], &[1], &[5.5f64])?;
    s.exp.ds("/never_written_default_fill")?.num_chunks = Some(1);
    s.write_numbers("/partial_2d", &[8, 0], &[2, 7], &[-100i32; 14])?;
    s.write_numbers("/partial_3d", &[4, 5, 6], &[1, 1, 1], &[99.0f32])?;
    s.write_numbers("/scalar_int_fill", &[], &[], &[9i32])?;
    s.write_numbers("/unallocated", &[19, 19], &[1, 1], &[1919i16])?;
    s.exp.ds("/unallocated")?.num_chunks = Some(6);
    s.resize("/zero_length_2d", &[5, 3])?;
    s.write_numbers("/zero_length_2d", &[2, 0], &[1, 3], &[7i32, 8, 9])?;
    s.resize("/zero_length_chunked", &[20])?;
    s.write_numbers("/zero_length_chunked", &[0], &[3], &[0.5f32, 1.5, 2.5])?;
    Ok(vec![s.close()?])
}

/// 52 (version 1 object header with continuation blocks and 31 attributes): add, replace
/// and delete attributes there, and write into the dataset.
pub fn edit_52(dir: &Path, fixtures: &Path) -> R<Vec<Exp>> {
    let listed = [("/", true), ("/data", false)];
    let mut s = start(
        dir,
        fixtures,
        "52_feat_oh_continuation_v1.h5",
        "edit_52_continuation.h5",
        &listed,
    )?;
    let v: Vec<f64> = (0..100).map(f64::from).collect();
    s.attr("/data", "added_interop", &AttrValue::numbers(&v, &[100]))?;
    s.attr("/data", "added_05", &AttrValue::string("replaced"))?;
    s.del_attr("/data", "added_17")?;
    s.del_attr("/data", "big_24k")?;
    s.attr("/", "root_after", &AttrValue::numbers(&[1u8, 2], &[2]))?;
    s.write_numbers("/data", &[0, 0], &[5, 2], &[-1.0f32; 10])?;
    Ok(vec![s.close()?])
}

/// 57 (vlen strings over 13 global heap collections): overwrite strings, add a dataset.
pub fn edit_57(dir: &Path, fixtures: &Path) -> R<Vec<Exp>> {
    let listed = [
        ("/", true),
        ("/strings", false),
        ("/labels", false),
        ("/batch_05", false),
    ];
    let mut s = start(
        dir,
        fixtures,
        "57_feat_vlen_many_gcol.h5",
        "edit_57_vlen.h5",
        &listed,
    )?;
    let v: Vec<String> = (0..10).map(|i| format!("overwritten {i} ✓")).collect();
    let refs: Vec<&str> = v.iter().map(String::as_str).collect();
    s.write_strings("/strings", &[0], &[10], &refs)?;
    s.write_strings("/strings", &[1195], &[5], &["", "a", "", "b", ""])?;
    s.write_strings("/labels", &[300], &[2], &["L300", "L301"])?;
    s.dataset("/added", &DatasetSpec::new(vlen_utf8(), &[3]))?;
    s.write_strings("/added", &[0], &[3], &["x", &"long".repeat(2000), "z"])?;
    Ok(vec![s.close()?])
}

fn regulon_type(int: bool) -> Datatype {
    let fields = (0..12u32)
        .map(|i| CompoundField {
            name: format!("TF{i}(+)"),
            offset: 8 * i,
            datatype: if int {
                i64::datatype()
            } else {
                f64::datatype()
            },
        })
        .collect();
    Datatype::Compound { size: 96, fields }
}

/// 10 (pySCENIC regulons, compound row and column attributes): write compound records,
/// add a compound column attribute and a compound HDF5 attribute.
pub fn edit_10(dir: &Path, fixtures: &Path) -> R<Vec<Exp>> {
    let listed = [
        ("/row_attrs", true),
        ("/row_attrs/Regulons", false),
        ("/col_attrs/RegulonsAUC", false),
        ("/matrix", false),
        ("/attrs/MetaData", false),
    ];
    let mut s = start(
        dir,
        fixtures,
        "10_pyscenic_regulons.loom",
        "edit_10_pyscenic.loom",
        &listed,
    )?;
    let records: Vec<u8> = (0..3i64 * 12).flat_map(|i| (i % 2).to_le_bytes()).collect();
    s.write_raw("/row_attrs/Regulons", &[10], &[3], &records)?;
    let spec = loom_attr(regulon_type(false), 40);
    s.dataset("/col_attrs/RegulonsInterop", &spec)?;
    let auc: Vec<u8> = (0..40 * 12)
        .flat_map(|i| (f64::from(i) / 480.0).to_le_bytes())
        .collect();
    s.write_raw("/col_attrs/RegulonsInterop", &[0], &[40], &auc)?;
    let attr = AttrValue {
        datatype: regulon_type(true),
        shape: Some(vec![2]),
        data: AttrData::Raw((0..24i64).flat_map(|i| (i * i).to_le_bytes()).collect()),
    };
    s.attr("/row_attrs", "RegulonThresholds", &attr)?;
    Ok(vec![s.close()?])
}

/// 43 (h5py compounds): write records of packed compounds, replace a compound attribute.
pub fn edit_43(dir: &Path, fixtures: &Path) -> R<Vec<Exp>> {
    let listed = [
        ("/", false),
        ("/simple", false),
        ("/simple_chunked_gzip", false),
        ("/scalar_compound", false),
    ];
    let mut s = start(
        dir,
        fixtures,
        "43_feat_compound.h5",
        "edit_43_compound.h5",
        &listed,
    )?;
    let record = |a: i32, b: f64, c: u8| -> Vec<u8> {
        let mut e = a.to_le_bytes().to_vec();
        e.extend_from_slice(&b.to_le_bytes());
        e.push(c);
        e
    };
    let raw: Vec<u8> = (0..2)
        .flat_map(|i| record(-i - 10, 0.125 * f64::from(i), 200))
        .collect();
    s.write_raw("/simple", &[1], &[2], &raw)?;
    let raw: Vec<u8> = (0..10)
        .flat_map(|i| record(i * 100, -1.5, i as u8))
        .collect();
    s.write_raw("/simple_chunked_gzip", &[10], &[10], &raw)?;
    s.write_raw("/scalar_compound", &[], &[], &record(i32::MAX, f64::NAN, 1))?;
    let simple = Datatype::Compound {
        size: 13,
        fields: vec![
            CompoundField {
                name: "a".into(),
                offset: 0,
                datatype: i32::datatype(),
            },
            CompoundField {
                name: "b".into(),
                offset: 4,
                datatype: f64::datatype(),
            },
            CompoundField {
                name: "c".into(),
                offset: 12,
                datatype: u8::datatype(),
            },
        ],
    };
    let attr = AttrValue {
        datatype: simple,
        shape: Some(vec![]),
        data: AttrData::Raw(record(5, 5.5, 5)),
    };
    s.attr("/", "compound_attr", &attr)?;
    Ok(vec![s.close()?])
}

/// 30 (loompy 2: fixed-length ASCII strings, global attributes as HDF5 attributes):
/// append five columns everywhere (loompy's add_columns), write fixed-length strings.
pub fn edit_30(dir: &Path, fixtures: &Path) -> R<Vec<Exp>> {
    let listed = [
        ("/", false),
        ("/matrix", false),
        ("/layers/spliced", false),
        ("/col_attrs/CellID", false),
        ("/col_attrs/ClusterID", false),
        ("/row_attrs/Gene", false),
        ("/row_attrs", true),
    ];
    let mut s = start(
        dir,
        fixtures,
        "30_emul_loompy2_fixedlen.loom",
        "edit_30_loompy2.loom",
        &listed,
    )?;
    s.exp.loom = true;
    let (rows, old, new) = (40u64, 30u64, 35u64);
    for path in ["/matrix", "/layers/spliced"] {
        s.resize(path, &[rows, new])?;
        let v: Vec<f32> = (0..rows * (new - old)).map(|i| i as f32).collect();
        s.write_numbers(path, &[0, old], &[rows, new - old], &v)?;
    }
    s.resize("/col_attrs/CellID", &[new])?;
    s.write_strings(
        "/col_attrs/CellID",
        &[old],
        &[5],
        &["new_30", "new_31", "", "x", "12345678901"],
    )?;
    s.resize("/col_attrs/ClusterID", &[new])?;
    s.write_numbers("/col_attrs/ClusterID", &[old], &[5], &[9i64, 9, 9, 9, 9])?;
    s.write_strings("/row_attrs/Gene", &[0], &[3], &["AAAAAAAA", "b", ""])?;
    let s8 = Datatype::FixedString {
        size: 8,
        padding: StringPadding::NullPad,
        charset: CharSet::Ascii,
    };
    s.dataset("/row_attrs/Interop", &loom_attr(s8, rows))?;
    let v: Vec<String> = (0..rows).map(|i| format!("I{i}")).collect();
    let refs: Vec<&str> = v.iter().map(String::as_str).collect();
    s.write_strings("/row_attrs/Interop", &[0], &[rows], &refs)?;
    Ok(vec![s.close()?])
}

/// 09 (anndata's write_loom): write a layer block, replace a categorical column attribute,
/// add a row attribute.
pub fn edit_09(dir: &Path, fixtures: &Path) -> R<Vec<Exp>> {
    let listed = [
        ("/", false),
        ("/matrix", false),
        ("/layers/spliced", false),
        ("/col_attrs", true),
        ("/col_attrs/qc_pass", false),
        ("/row_attrs/PCs", false),
    ];
    let mut s = start(
        dir,
        fixtures,
        "09_anndata_write_loom.loom",
        "edit_09_anndata.loom",
        &listed,
    )?;
    s.exp.loom = true;
    let v: Vec<f32> = (0..5 * 30).map(|i| i as f32 * 0.5).collect();
    s.write_numbers("/layers/spliced", &[0, 0], &[5, 30], &v)?;
    s.unlink("/col_attrs/cluster")?;
    s.dataset("/col_attrs/cluster", &loom_attr(vlen_utf8(), 30))?;
    let v: Vec<String> = (0..30).map(|i| format!("c{}", i % 4)).collect();
    let refs: Vec<&str> = v.iter().map(String::as_str).collect();
    s.write_strings("/col_attrs/cluster", &[0], &[30], &refs)?;
    s.attr("/col_attrs/cluster", "last_modified", &stamp())?;
    s.dataset("/row_attrs/interop", &loom_attr(i64::datatype(), 20))?;
    s.write_numbers(
        "/row_attrs/interop",
        &[0],
        &[20],
        &(0..20i64).collect::<Vec<_>>(),
    )?;
    s.attr("/", "last_modified", &stamp())?;
    Ok(vec![s.close()?])
}

/// 31 (loomR: every axis unlimited, enum {FALSE,TRUE,NA}): grow both axes of the
/// matrices and the column attributes, write enum values.
pub fn edit_31(dir: &Path, fixtures: &Path) -> R<Vec<Exp>> {
    let listed = [
        ("/", false),
        ("/matrix", false),
        ("/layers/norm_data", false),
        ("/col_attrs/is_good", false),
        ("/col_attrs/cell_names", false),
        ("/row_attrs/nCells", false),
    ];
    let mut s = start(
        dir,
        fixtures,
        "31_emul_hdf5r_loomR.loom",
        "edit_31_loomR.loom",
        &listed,
    )?;
    for path in ["/matrix", "/layers/norm_data"] {
        s.resize(path, &[30, 40])?;
        let v: Vec<f64> = (0..6 * 40).map(|i| f64::from(i) / 4.0).collect();
        s.write_numbers(path, &[24, 0], &[6, 40], &v)?;
    }
    s.resize("/col_attrs/is_good", &[30])?;
    s.write_raw("/col_attrs/is_good", &[24], &[6], &[0, 1, 2, 2, 1, 0])?;
    s.resize("/col_attrs/cell_names", &[30])?;
    s.write_strings(
        "/col_attrs/cell_names",
        &[24],
        &[6],
        &["n24", "n25", "n26", "n27", "n28", "n29"],
    )?;
    s.write_numbers("/row_attrs/nCells", &[0], &[2], &[i32::MAX, i32::MIN])?;
    let be = Datatype::Integer {
        size: 4,
        signed: true,
        order: ByteOrder::Big,
    };
    let attr = AttrValue {
        datatype: be,
        shape: Some(vec![1]),
        data: AttrData::Raw(40i32.to_be_bytes().to_vec()),
    };
    s.attr("/", "n_cells", &attr)?;
    Ok(vec![s.close()?])
}
