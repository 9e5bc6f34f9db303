//! Edits of files loompy and h5py made (copies of fixtures): the expectation lists what
//! each edit must have changed plus untouched objects that must survive, with their
//! values taken from the fixture's h5py dump (`NAME.json`).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use hdf5_lite::format::messages::{CharSet, CompoundField, Datatype, EnumMember, StringPadding};
use hdf5_lite::read::Numeric;
use hdf5_lite::write::{vlen_utf8, AttrValue, DatasetSpec};
use serde_json::{json, Value};

use super::model::{dtype_json, encode_fixed, encode_json_number, parse_numpy, Model};
use super::session::{Data, DsExp, Exp, ObjExp, Session};

type R<T> = Result<T, String>;

/// A fixture's h5py dump.
struct Dump {
    name: String,
    root: Value,
}

fn flatten(v: &Value, out: &mut Vec<Value>) {
    match v {
        Value::Array(items) => items.iter().for_each(|i| flatten(i, out)),
        other => out.push(other.clone()),
    }
}

fn dims(v: &Value) -> Option<Vec<u64>> {
    v.as_array()?.iter().map(Value::as_u64).collect()
}

fn dtype_of(v: &Value) -> Option<Datatype> {
    if let Some(s) = v.as_str() {
        return parse_numpy(s);
    }
    match v.get("class")?.as_str()? {
        "compound" => {
            // h5py writes numpy's packed layout: fields back to back.
            let mut fields = Vec::new();
            let mut offset = 0u32;
            for f in v.get("fields")?.as_array()? {
                let datatype = dtype_of(f.get("dtype")?)?;
                let size = datatype.size();
                fields.push(CompoundField {
                    name: f.get("name")?.as_str()?.to_owned(),
                    offset,
                    datatype,
                });
                offset += size;
            }
            return Some(Datatype::Compound {
                size: offset,
                fields,
            });
        }
        "enum" => {
            let base = dtype_of(v.get("base")?)?;
            let members = v
                .get("members")?
                .as_object()?
                .iter()
                .map(|(name, value)| {
                    Some(EnumMember {
                        name: name.clone(),
                        value: encode_json_number(&base, value)?,
                    })
                })
                .collect::<Option<Vec<_>>>()?;
            return Some(Datatype::Enum {
                base: Box::new(base),
                members,
            });
        }
        _ => {}
    }
    let charset = match v.get("charset")?.as_str()? {
        "utf-8" => CharSet::Utf8,
        _ => CharSet::Ascii,
    };
    match v.get("size")? {
        Value::String(s) if s == "variable" => Some(Datatype::VarLenString {
            size: 16,
            padding: StringPadding::NullTerminate,
            charset,
        }),
        n => Some(Datatype::FixedString {
            size: n.as_u64()? as u32,
            padding: StringPadding::NullPad,
            charset,
        }),
    }
}

/// One dumped element (number, enum value, fixed string or compound record) as bytes.
fn encode_element(dt: &Datatype, v: &Value) -> Option<Vec<u8>> {
    match dt {
        Datatype::Compound { size, fields } => {
            let mut out = vec![0u8; *size as usize];
            for f in fields {
                let b = encode_element(&f.datatype, v.get(&f.name)?)?;
                let o = f.offset as usize;
                out.get_mut(o..o + b.len())?.copy_from_slice(&b);
            }
            Some(out)
        }
        Datatype::Enum { base, .. } => encode_json_number(base, v),
        Datatype::FixedString { .. } => Some(encode_fixed(v.as_str()?, dt)),
        _ => encode_json_number(dt, v),
    }
}

/// Converts a dump attribute into the manifest's attribute form.
fn attr_from_dump(a: &Value) -> Option<Value> {
    let dt = dtype_of(&a["dtype"])?;
    let mut flat = Vec::new();
    flatten(a.get("data")?, &mut flat);
    let data = match &dt {
        Datatype::VarLenString { .. } | Datatype::FixedString { .. } => json!({ "strings": flat }),
        Datatype::Compound { fields, .. } => {
            let mut out = serde_json::Map::new();
            for f in fields {
                let values: Vec<Value> = flat.iter().map(|r| r[&f.name].clone()).collect();
                out.insert(f.name.clone(), Value::Array(values));
            }
            json!({ "fields": out })
        }
        _ => json!({ "values": flat }),
    };
    Some(json!({"dtype": dtype_json(&dt), "shape": a["shape"], "data": data}))
}

impl Dump {
    fn load(fixtures: &Path, name: &str) -> R<Self> {
        let path = fixtures.join(format!("{name}.json"));
        let text = std::fs::read_to_string(&path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let root = serde_json::from_str(&text)
            .map_err(|e| format!("cannot parse {}: {e}", path.display()))?;
        Ok(Dump {
            name: name.into(),
            root,
        })
    }

    fn node(&self, path: &str) -> R<&Value> {
        let mut node = &self.root;
        for part in path.split('/').filter(|p| !p.is_empty()) {
            node = node
                .get("members")
                .and_then(|m| m.get(part))
                .ok_or_else(|| format!("{}: no {path} in its dump", self.name))?;
        }
        Ok(node)
    }

    /// The expectation of an untouched object, from the dump; `members` lists a group's
    /// members too.
    fn obj(&self, path: &str, members: bool) -> R<ObjExp> {
        let node = self.node(path)?;
        let bad = |what: &str| format!("{}: {path}: cannot use its dumped {what}", self.name);
        let mut attrs = BTreeMap::new();
        if let Some(a) = node.get("attributes").and_then(Value::as_object) {
            for (k, v) in a {
                attrs.insert(
                    k.clone(),
                    attr_from_dump(v).ok_or_else(|| bad("attribute"))?,
                );
            }
        }
        let member_set = members.then(|| {
            node.get("members")
                .and_then(Value::as_object)
                .map(|m| m.keys().cloned().collect::<BTreeSet<String>>())
                .unwrap_or_default()
        });
        let dataset = if node["kind"] == "dataset" {
            let dtype = dtype_of(&node["dtype"]).ok_or_else(|| bad("dtype"))?;
            let shape = dims(&node["shape"]).ok_or_else(|| bad("shape"))?;
            let maxshape: Vec<Option<u64>> = node["maxshape"]
                .as_array()
                .ok_or_else(|| bad("maxshape"))?
                .iter()
                .map(Value::as_u64)
                .collect();
            let chunks = dims(&node["chunks"]);
            let (mut deflate, mut shuffle, mut fletcher32) = (None, false, false);
            for f in node["filters"].as_array().ok_or_else(|| bad("filters"))? {
                match f["id"].as_u64() {
                    Some(1) => deflate = f["params"][0].as_u64().map(|l| l as u32),
                    Some(2) => shuffle = true,
                    Some(3) => fletcher32 = true,
                    _ => return Err(bad("filter")),
                }
            }
            // A dumped fill value is user-defined; null means libhdf5's default (zeros).
            let fill = match &node["fillvalue"] {
                Value::Null => None,
                v => Some(encode_json_number(&dtype, v).ok_or_else(|| bad("fill value"))?),
            };
            let mut flat = Vec::new();
            flatten(&node["data"], &mut flat);
            let data = match dtype {
                Datatype::VarLenString { .. } => {
                    let strings: Vec<String> = flat
                        .iter()
                        .map(|v| v.as_str().map(str::to_owned))
                        .collect::<Option<_>>()
                        .ok_or_else(|| bad("strings"))?;
                    Data::Str(Model::from_data(&shape, strings, String::new()))
                }
                _ => {
                    let elems: Vec<Vec<u8>> = flat
                        .iter()
                        .map(|v| encode_element(&dtype, v))
                        .collect::<Option<_>>()
                        .ok_or_else(|| bad("data"))?;
                    let fill = fill
                        .clone()
                        .unwrap_or_else(|| vec![0; dtype.size() as usize]);
                    Data::Raw(Model::from_data(&shape, elems, fill))
                }
            };
            Some(DsExp {
                dtype,
                maxshape,
                chunks,
                deflate,
                shuffle,
                fletcher32,
                fill,
                check_fill: true,
                data,
                num_chunks: None,
                compact: false,
            })
        } else {
            None
        };
        Ok(ObjExp {
            dataset,
            attrs,
            attrs_exact: true,
            attrs_absent: BTreeSet::new(),
            members: member_set,
        })
    }
}

/// Copies fixture `fixture` to `dir/name` and opens it with an expectation listing the
/// given objects (`true`: with the exact member list).
pub(super) fn start(
    dir: &Path,
    fixtures: &Path,
    fixture: &str,
    name: &str,
    listed: &[(&str, bool)],
) -> R<Session> {
    let dump = Dump::load(fixtures, fixture)?;
    std::fs::copy(fixtures.join(fixture), dir.join(name))
        .map_err(|e| format!("copying {fixture}: {e}"))?;
    let mut exp = Exp::new(name, &format!("edited copy of fixtures/{fixture}"), false);
    for (path, members) in listed {
        exp.add_existing(path, dump.obj(path, *members)?);
    }
    Session::open(dir, exp)
}

/// A loompy-style column/row attribute dataset (chunked, gzip 2, h5py's defaults).
pub(super) fn loom_attr(dt: Datatype, n: u64) -> DatasetSpec {
    DatasetSpec::new(dt, &[n])
        .maxshape(&[Some(n)])
        .chunks(&[n])
        .deflate(2)
}

pub(super) fn stamp() -> AttrValue {
    AttrValue::string("20261122T101010.000000Z")
}

/// 01 (dense loompy file): add a layer, write into /matrix across a chunk boundary,
/// overwrite one row attribute, replace another by unlink + create, add a row attribute,
/// delete a column attribute, add a global attribute.
pub fn edit_01(dir: &Path, fixtures: &Path) -> R<Vec<Exp>> {
    let listed = [
        ("/", false),
        ("/matrix", false),
        ("/layers", true),
        ("/layers/counts", false),
        ("/row_attrs", true),
        ("/row_attrs/Gene", false),
        ("/row_attrs/Unicode", false),
        ("/row_attrs/Float", false),
        ("/col_attrs", true),
        ("/col_attrs/CellID", false),
        ("/attrs", true),
        ("/attrs/title", false),
        ("/row_graphs/KNN/w", false),
    ];
    let mut s = start(
        dir,
        fixtures,
        "01_loompy_create_dense.loom",
        "edit_01_dense.loom",
        &listed,
    )?;
    s.exp.loom = true;
    let (rows, cols) = (100u64, 70u64);
    let spec = DatasetSpec::new(f32::datatype(), &[rows, cols])
        .maxshape(&[Some(rows), None])
        .chunks(&[64, 64])
        .deflate(2);
    s.dataset("/layers/interop_layer", &spec)?;
    let v: Vec<f32> = (0..rows * cols).map(|i| (i % 29) as f32 - 0.5).collect();
    s.write_numbers("/layers/interop_layer", &[0, 0], &[rows, cols], &v)?;
    let v: Vec<f32> = (0..15 * 20).map(|i| 1000.0 + i as f32).collect();
    s.write_numbers("/matrix", &[60, 10], &[15, 20], &v)?;
    let v: Vec<f64> = (0..rows).map(|i| i as f64 * -0.75).collect();
    s.write_numbers("/row_attrs/Float", &[0], &[rows], &v)?;
    s.unlink("/row_attrs/Int")?;
    s.dataset("/row_attrs/Int", &loom_attr(i32::datatype(), rows))?;
    let v: Vec<i32> = (0..rows as i32).map(|i| 5000 - i).collect();
    s.write_numbers("/row_attrs/Int", &[0], &[rows], &v)?;
    s.attr("/row_attrs/Int", "last_modified", &stamp())?;
    s.dataset("/row_attrs/InteropRow", &loom_attr(vlen_utf8(), rows))?;
    let names: Vec<String> = (0..rows).map(|i| format!("row-{i}-ø")).collect();
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    s.write_strings("/row_attrs/InteropRow", &[0], &[rows], &refs)?;
    s.attr("/row_attrs/InteropRow", "last_modified", &stamp())?;
    s.unlink("/col_attrs/Score")?;
    s.dataset("/attrs/interop_note", &DatasetSpec::new(vlen_utf8(), &[]))?;
    s.write_strings("/attrs/interop_note", &[], &[], &["edited by hdf5-lite ✓"])?;
    s.attr("/", "last_modified", &stamp())?;
    s.attr(
        "/",
        "interop_global",
        &AttrValue::numbers(&[1i64, 2, 3], &[3]),
    )?;
    Ok(vec![s.close()?])
}

/// 06 (loompy file with deletions, heap free lists): add row attribute, global attribute,
/// a graph, a layer, and write into /matrix.
pub fn edit_06(dir: &Path, fixtures: &Path) -> R<Vec<Exp>> {
    let listed = [
        ("/", false),
        ("/matrix", false),
        ("/attrs", true),
        ("/attrs/keep_me", false),
        ("/row_attrs", true),
        ("/row_attrs/Keep", false),
        ("/layers", true),
        ("/layers/kept", false),
        ("/row_graphs", true),
        ("/col_attrs/KeepCol", false),
    ];
    let mut s = start(
        dir,
        fixtures,
        "06_loompy_deleted.loom",
        "edit_06_deleted.loom",
        &listed,
    )?;
    s.exp.loom = true;
    let (rows, cols) = (40u64, 30u64);
    s.dataset("/row_attrs/NewRow", &loom_attr(f64::datatype(), rows))?;
    let v: Vec<f64> = (0..rows).map(|i| i as f64 / 3.0).collect();
    s.write_numbers("/row_attrs/NewRow", &[0], &[rows], &v)?;
    s.dataset("/attrs/added", &DatasetSpec::new(vlen_utf8(), &[]))?;
    s.write_strings("/attrs/added", &[], &[], &["new global"])?;
    s.group("/row_graphs/G")?;
    for (name, dt) in [
        ("a", i32::datatype()),
        ("b", i32::datatype()),
        ("w", f64::datatype()),
    ] {
        let path = format!("/row_graphs/G/{name}");
        s.dataset(&path, &DatasetSpec::new(dt, &[6]))?;
        s.write_numbers(&path, &[0], &[6], &[0i64, 1, 2, 3, 4, 5])?;
    }
    let spec = DatasetSpec::new(i32::datatype(), &[rows, cols])
        .maxshape(&[Some(rows), None])
        .chunks(&[64, 64])
        .deflate(2);
    s.dataset("/layers/extra", &spec)?;
    let v: Vec<i32> = (0..(rows * cols) as i32).map(|i| i * 3).collect();
    s.write_numbers("/layers/extra", &[0, 0], &[rows, cols], &v)?;
    let v: Vec<f32> = (0..5 * cols).map(|i| -(i as f32)).collect();
    s.write_numbers("/matrix", &[0, 0], &[5, cols], &v)?;
    s.attr("/", "last_modified", &stamp())?;
    Ok(vec![s.close()?])
}

/// 07 (41 row attributes, several symbol-table nodes): add members sorting first, in the
/// middle and last; delete one; replace one with a new type.
pub fn edit_07(dir: &Path, fixtures: &Path) -> R<Vec<Exp>> {
    let listed = [
        ("/matrix", false),
        ("/row_attrs", true),
        ("/row_attrs/Gene", false),
        ("/row_attrs/attr_20_int", false),
        ("/row_attrs/attr_39_bool", false),
        ("/attrs", true),
    ];
    let mut s = start(
        dir,
        fixtures,
        "07_loompy_many_attrs.loom",
        "edit_07_many_attrs.loom",
        &listed,
    )?;
    s.exp.loom = true;
    let rows = 20u64;
    s.dataset("/row_attrs/AAA_first", &loom_attr(i64::datatype(), rows))?;
    s.write_numbers(
        "/row_attrs/AAA_first",
        &[0],
        &[rows],
        &vec![-5i64; rows as usize],
    )?;
    s.dataset("/row_attrs/attr_20_int_b", &loom_attr(u8::datatype(), rows))?;
    let v: Vec<u8> = (0..rows as u8).collect();
    s.write_numbers("/row_attrs/attr_20_int_b", &[0], &[rows], &v)?;
    s.dataset("/row_attrs/zzz_last", &loom_attr(vlen_utf8(), rows))?;
    let v: Vec<String> = (0..rows).map(|i| "z".repeat(i as usize)).collect();
    let refs: Vec<&str> = v.iter().map(String::as_str).collect();
    s.write_strings("/row_attrs/zzz_last", &[0], &[rows], &refs)?;
    s.unlink("/row_attrs/attr_05_float")?;
    s.unlink("/row_attrs/attr_10_str")?;
    s.dataset("/row_attrs/attr_10_str", &loom_attr(f32::datatype(), rows))?;
    let v: Vec<f32> = (0..rows).map(|i| i as f32 * 0.5).collect();
    s.write_numbers("/row_attrs/attr_10_str", &[0], &[rows], &v)?;
    s.write_numbers(
        "/row_attrs/attr_20_int",
        &[5],
        &[5],
        &[-1i64, -2, -3, -4, -5],
    )?;
    s.dataset("/attrs/interop", &DatasetSpec::new(f64::datatype(), &[]))?;
    s.write_numbers("/attrs/interop", &[], &[], &[2.75f64])?;
    Ok(vec![s.close()?])
}

/// 08 (100 chunks, 2-level chunk B-tree): write into /matrix across chunks and into the
/// last chunk, add a layer, a column attribute and a global attribute.
pub fn edit_08(dir: &Path, fixtures: &Path) -> R<Vec<Exp>> {
    let listed = [
        ("/matrix", false),
        ("/col_attrs", true),
        ("/col_attrs/CellIndex", false),
        ("/col_attrs/Depth", false),
        ("/layers", true),
        ("/row_attrs/Gene", false),
    ];
    let mut s = start(
        dir,
        fixtures,
        "08_loompy_many_chunks.loom",
        "edit_08_many_chunks.loom",
        &listed,
    )?;
    s.exp.loom = true;
    let (rows, cols) = (10u64, 6400u64);
    let v: Vec<u16> = (0..6 * 300).map(|i| (i % 60_000) as u16 + 1).collect();
    s.write_numbers("/matrix", &[2, 3000], &[6, 300], &v)?;
    let v: Vec<u16> = (0..rows * 10).map(|i| 65_000 + i as u16).collect();
    s.write_numbers("/matrix", &[0, 6390], &[rows, 10], &v)?;
    let spec = DatasetSpec::new(u16::datatype(), &[rows, cols])
        .maxshape(&[Some(rows), None])
        .chunks(&[10, 64])
        .deflate(2);
    s.dataset("/layers/interop_u16", &spec)?;
    let v: Vec<u16> = (0..rows * cols).map(|i| (i % 1000) as u16).collect();
    s.write_numbers("/layers/interop_u16", &[0, 0], &[rows, cols], &v)?;
    let spec = DatasetSpec::new(f32::datatype(), &[cols])
        .maxshape(&[Some(cols)])
        .chunks(&[1600])
        .deflate(2);
    s.dataset("/col_attrs/Interop", &spec)?;
    let v: Vec<f32> = (0..cols).map(|i| i as f32 / 64.0).collect();
    s.write_numbers("/col_attrs/Interop", &[0], &[cols], &v)?;
    s.dataset("/attrs/interop", &DatasetSpec::new(vlen_utf8(), &[]))?;
    s.write_strings("/attrs/interop", &[], &[], &["x"])?;
    Ok(vec![s.close()?])
}

/// 53 (303 links in one symbol-table group): add 30 members, unlink three, rename one in
/// place and move one to the root, add an attribute.
pub fn edit_53(dir: &Path, fixtures: &Path) -> R<Vec<Exp>> {
    let listed = [
        ("/", true),
        ("/big", true),
        ("/big/item_000", false),
        ("/big/item_001", false),
        ("/big/item_200", false),
        ("/big/item_301", false),
        ("/big/item_100", false),
        ("/big/item_101", false),
    ];
    let mut s = start(
        dir,
        fixtures,
        "53_feat_big_group_v0.h5",
        "edit_53_big_group.h5",
        &listed,
    )?;
    for i in 0..30u32 {
        if i % 3 == 0 {
            s.group(&format!("/big/new_{i:02}"))?;
        } else {
            let path = format!("/big/new_{i:02}");
            s.dataset(&path, &DatasetSpec::new(i16::datatype(), &[]))?;
            s.write_numbers(&path, &[], &[], &[i as i16 - 15])?;
        }
    }
    for name in ["item_005", "item_150", "item_302"] {
        s.unlink(&format!("/big/{name}"))?;
    }
    s.rename("/big/item_100", "/big/renamed_100")?;
    s.rename("/big/item_101", "/moved_101")?;
    s.attr("/big", "count", &AttrValue::numbers(&[330u32], &[]))?;
    Ok(vec![s.close()?])
}
