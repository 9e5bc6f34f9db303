//! libhdf5 editing structures hdf5-lite wrote: h5py (`h5py_edit.py`) inserts into and
//! removes from our group B-trees and local heaps, adds chunks to our chunk B-trees,
//! extends our attribute lists and global heaps. Reading alone never touches B-tree
//! sibling pointers, node keys or heap free space; libhdf5 modifying them does.
//!
//! Each edit is recorded as a JSON operation for the script and applied to the file's
//! expectation, which check.py and hdf5-lite then verify.

use hdf5_lite::read::Numeric;
use hdf5_lite::write::AttrValue;
use serde_json::{json, Value};

use super::model::{encode_numbers, number_json, Model};
use super::session::{attr_json, Data, DsExp, Exp, ObjExp};

type R<T> = Result<T, String>;

/// h5py operations on one file, mirrored in its expectation.
pub struct Ops<'a> {
    pub exp: &'a mut Exp,
    pub ops: Vec<Value>,
}

impl Ops<'_> {
    pub fn create_group(&mut self, path: &str) {
        self.ops.push(json!({"op": "create_group", "path": path}));
        self.exp.insert(path, ObjExp::group());
    }

    /// A contiguous little-endian int32 dataset, as h5py creates it by default.
    pub fn create_i32(&mut self, path: &str, values: &[i32]) {
        let shape = [values.len() as u64];
        self.ops.push(json!({
            "op": "create_dataset", "path": path, "dtype": "<i4", "shape": shape, "values": values,
        }));
        let dtype = i32::datatype();
        let elems = encode_numbers(values, &dtype);
        let mut obj = ObjExp::group();
        obj.dataset = Some(DsExp {
            dtype,
            maxshape: vec![Some(shape[0])],
            chunks: None,
            deflate: None,
            shuffle: false,
            fletcher32: false,
            fill: None,
            check_fill: true,
            data: Data::Raw(Model::from_data(&shape, elems, vec![0; 4])),
            num_chunks: None,
            compact: false,
        });
        self.exp.insert(path, obj);
    }

    /// `ds[start:start+count] = values` (numbers, converted to the dataset's type).
    /// The values go to the script as the stored values they must become.
    pub fn write<T: Numeric>(
        &mut self,
        path: &str,
        start: &[u64],
        count: &[u64],
        values: &[T],
    ) -> R<()> {
        let ds = self.exp.ds(path)?;
        let dt = ds.dtype.clone();
        let elems = encode_numbers(values, &dt);
        let stored: Vec<Value> = elems.iter().map(|e| number_json(&dt, e)).collect();
        match &mut ds.data {
            Data::Raw(m) => m.write(start, count, &elems),
            Data::Str(_) => return Err(format!("{path}: not numeric")),
        }
        self.ops.push(json!({
            "op": "write", "path": path, "start": start, "count": count, "values": stored,
        }));
        Ok(())
    }

    pub fn write_strings(&mut self, path: &str, start: u64, values: &[&str]) -> R<()> {
        self.ops.push(json!({
            "op": "write_strings", "path": path, "start": [start],
            "count": [values.len()], "strings": values,
        }));
        match &mut self.exp.ds(path)?.data {
            Data::Str(m) => {
                let v: Vec<String> = values.iter().map(|s| (*s).to_owned()).collect();
                m.write(&[start], &[values.len() as u64], &v);
                Ok(())
            }
            Data::Raw(_) => Err(format!("{path}: not vlen strings")),
        }
    }

    pub fn resize(&mut self, path: &str, shape: &[u64]) -> R<()> {
        self.ops
            .push(json!({"op": "resize", "path": path, "shape": shape}));
        match &mut self.exp.ds(path)?.data {
            Data::Raw(m) => m.resize(shape),
            Data::Str(m) => m.resize(shape),
        }
        Ok(())
    }

    pub fn delete(&mut self, path: &str) {
        self.ops.push(json!({"op": "delete", "path": path}));
        self.exp.remove(path);
    }

    pub fn move_(&mut self, from: &str, to: &str) {
        self.ops.push(json!({"op": "move", "from": from, "to": to}));
        for (k, o) in self.exp.remove(from) {
            let moved = format!("{to}{}", &k[from.len()..]);
            self.exp.insert(&moved, o);
        }
    }

    /// A scalar or 1-D float64 attribute.
    pub fn set_attr(&mut self, path: &str, name: &str, values: &[f64], shape: &[u64]) -> R<()> {
        self.ops.push(json!({
            "op": "set_attr", "path": path, "name": name, "dtype": "<f8",
            "shape": shape, "values": values,
        }));
        let o = self.exp.obj(path)?;
        o.attrs_absent.remove(name);
        o.attrs.insert(
            name.to_owned(),
            attr_json(&AttrValue::numbers(values, shape)),
        );
        Ok(())
    }

    pub fn del_attr(&mut self, path: &str, name: &str) -> R<()> {
        self.ops
            .push(json!({"op": "del_attr", "path": path, "name": name}));
        let o = self.exp.obj(path)?;
        o.attrs.remove(name);
        o.attrs_absent.insert(name.to_owned());
        Ok(())
    }
}

fn find<'a>(exps: &'a mut [Exp], name: &str) -> R<&'a mut Exp> {
    exps.iter_mut()
        .find(|e| e.name == name)
        .ok_or_else(|| format!("{name} was not written"))
}

/// Plans the h5py edits of some of the created files (changing their expectations);
/// returns the script's JSON and the names of the files edited.
pub fn plan(exps: &mut [Exp]) -> R<(Value, Vec<String>)> {
    let mut files = Vec::new();
    let mut done = |name: &str, ops: Vec<Value>| files.push(json!({"file": name, "ops": ops}));

    // Our 315-member group B-tree: libhdf5 inserts 80 links and removes 120.
    let mut o = Ops {
        exp: find(exps, "groups.h5")?,
        ops: Vec::new(),
    };
    for i in 0..80 {
        if i % 2 == 0 {
            o.create_group(&format!("/big/h5py_{i:03}"));
        } else {
            o.create_i32(&format!("/big/h5py_{i:03}"), &[i, -i]);
        }
    }
    let doomed: Vec<String> = o
        .exp
        .objects
        .keys()
        .filter(|k| k.starts_with("/big/m") && k.matches('/').count() == 2)
        .step_by(2)
        .take(120)
        .cloned()
        .collect();
    for path in &doomed {
        o.delete(path);
    }
    o.move_("/a/b/c", "/big/c_moved");
    o.set_attr("/big", "h5py_attr", &[1.0, 2.0], &[2])?;
    o.del_attr("/big", "count")?;
    done("groups.h5", o.ops);

    // Our chunk B-trees: new chunks among ours, at both ends and in the middle.
    let mut o = Ops {
        exp: find(exps, "layouts.h5")?,
        ops: Vec::new(),
    };
    o.write(
        "/chunked/unwritten",
        &[3, 3],
        &[20, 20],
        &(0..400).collect::<Vec<i32>>(),
    )?;
    o.exp.ds("/chunked/unwritten")?.num_chunks = Some(9);
    o.write("/chunked/deep", &[100, 0], &[3, 200], &vec![-9i32; 600])?;
    o.write("/chunked/tiny", &[8, 8], &[1, 1], &[12345i32])?;
    o.resize("/chunked/empty", &[40])?;
    o.write(
        "/chunked/empty",
        &[0],
        &[40],
        &(0..40).map(f64::from).collect::<Vec<f64>>(),
    )?;
    o.write(
        "/contig/d2",
        &[1, 1],
        &[2, 2],
        &[0.5f64, 0.25, 0.125, 0.0625],
    )?;
    done("layouts.h5", o.ops);

    let mut o = Ops {
        exp: find(exps, "fill_partial.h5")?,
        ops: Vec::new(),
    };
    o.write("/fill_i32", &[10, 0], &[5, 20], &vec![55i32; 100])?;
    o.write("/partial_gzip", &[40, 0], &[24, 64], &vec![-1i64; 24 * 64])?;
    o.write("/fill_be_i16", &[5], &[5], &[1i16, 2, 3, 4, 5])?;
    // libhdf5 allocates exactly the chunks the writes touch.
    o.exp.ds("/fill_i32")?.num_chunks = Some(11);
    o.exp.ds("/partial_gzip")?.num_chunks = Some(12);
    o.exp.ds("/fill_be_i16")?.num_chunks = Some(4);
    done("fill_partial.h5", o.ops);

    let mut o = Ops {
        exp: find(exps, "resize.h5")?,
        ops: Vec::new(),
    };
    o.resize("/grow2d", &[100, 140])?;
    o.write("/grow2d", &[0, 120], &[100, 20], &vec![2.5f32; 2000])?;
    o.resize("/grow1d", &[4])?;
    o.resize("/grow1d", &[30])?;
    done("resize.h5", o.ops);

    let mut o = Ops {
        exp: find(exps, "strings.h5")?,
        ops: Vec::new(),
    };
    o.write_strings("/vlen/chunked", 5, &["from h5py", "", "ünï"])?;
    o.write_strings("/vlen/many", 1990, &["a", "b"])?;
    o.create_group("/h5py_group");
    done("strings.h5", o.ops);

    let mut o = Ops {
        exp: find(exps, "attrs.h5")?,
        ops: Vec::new(),
    };
    for i in 0..10 {
        o.set_attr("/many", &format!("h5py_{i}"), &[f64::from(i)], &[])?;
    }
    o.del_attr("/many", "attr_30")?;
    o.set_attr("/many", "attr_31", &[-1.0], &[])?;
    o.set_attr("/", "title", &[3.0, 4.0, 5.0], &[3])?;
    done("attrs.h5", o.ops);

    let mut o = Ops {
        exp: find(exps, "links.h5")?,
        ops: Vec::new(),
    };
    o.move_("/row_graphs/KNN", "/col_graphs/KNN_from_rows");
    o.delete("/fresh2");
    o.create_i32("/row_graphs/h5py_made", &[1, 2, 3]);
    done("links.h5", o.ops);

    // Our dense attribute storage (a heap of huge objects only, single-leaf B-trees):
    // libhdf5 adds managed objects and a huge one, and removes one of ours.
    let mut o = Ops {
        exp: find(exps, "dense_attrs.h5")?,
        ops: Vec::new(),
    };
    for i in 0..10 {
        o.set_attr("/", &format!("h5py_{i}"), &[f64::from(i)], &[])?;
    }
    let big: Vec<f64> = (0..10_000).map(f64::from).collect();
    o.set_attr("/", "h5py_big", &big, &[10_000])?;
    o.del_attr("/", "text_100k")?;
    o.set_attr("/d", "h5py_small", &[2.5], &[])?;
    done("dense_attrs.h5", o.ops);

    let names = files
        .iter()
        .filter_map(|f| f["file"].as_str().map(str::to_owned))
        .collect();
    Ok((json!({ "version": 1, "files": files }), names))
}
