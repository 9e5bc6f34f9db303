//! A writer session that records what every edit must leave in the file: each call goes
//! to [`hdf5_lite::write::Writer`] and to the expectation of the file ([`Exp`]), which
//! becomes the file's entry in `manifest.json`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use hdf5_lite::format::messages::Datatype;
use hdf5_lite::read::{Hyperslab, Numeric};
use hdf5_lite::write::{AttrData, AttrValue, DatasetSpec, Writer};
use serde_json::{json, Map, Value};

use super::model::{
    data_json, dtype_json, encode_fixed, encode_numbers, number_json, numpy_dtype, strings_json,
    Model,
};

/// Expected elements of a dataset.
#[derive(Debug, Clone)]
pub enum Data {
    /// Fixed-size elements, as stored bytes.
    Raw(Model<Vec<u8>>),
    /// Variable-length strings.
    Str(Model<String>),
}

/// What a dataset must look like.
#[derive(Debug, Clone)]
pub struct DsExp {
    pub dtype: Datatype,
    pub maxshape: Vec<Option<u64>>,
    pub chunks: Option<Vec<u64>>,
    pub deflate: Option<u32>,
    pub shuffle: bool,
    pub fletcher32: bool,
    /// Fill value bytes given at creation (`None`: the default, zeros).
    pub fill: Option<Vec<u8>>,
    /// Whether the fill value is checked at all.
    pub check_fill: bool,
    pub data: Data,
    pub num_chunks: Option<u64>,
    /// Compact layout (only seen in fixtures: the writer makes contiguous or chunked).
    pub compact: bool,
}

impl DsExp {
    fn shape(&self) -> &[u64] {
        match &self.data {
            Data::Raw(m) => &m.shape,
            Data::Str(m) => &m.shape,
        }
    }
}

/// What one object must look like.
#[derive(Debug, Clone)]
pub struct ObjExp {
    /// `None` for a group.
    pub dataset: Option<DsExp>,
    pub attrs: BTreeMap<String, Value>,
    /// Whether `attrs` lists every attribute.
    pub attrs_exact: bool,
    pub attrs_absent: BTreeSet<String>,
    /// Every member name, when checked.
    pub members: Option<BTreeSet<String>>,
}

impl ObjExp {
    pub fn group() -> Self {
        ObjExp {
            dataset: None,
            attrs: BTreeMap::new(),
            attrs_exact: true,
            attrs_absent: BTreeSet::new(),
            members: None,
        }
    }
}

/// The expected contents of one file.
#[derive(Debug, Clone)]
pub struct Exp {
    pub name: String,
    pub origin: String,
    /// Whether the objects listed are every object of the file.
    pub exact: bool,
    /// Whether the file is a .loom that loompy must accept.
    pub loom: bool,
    pub objects: BTreeMap<String, ObjExp>,
    pub absent: BTreeSet<String>,
}

fn parent_of(path: &str) -> (String, String) {
    match path.rsplit_once('/') {
        Some(("", name)) => ("/".into(), name.into()),
        Some((p, name)) => (p.into(), name.into()),
        None => ("/".into(), path.into()),
    }
}

fn under(path: &str, top: &str) -> bool {
    path == top || path.starts_with(&format!("{top}/"))
}

impl Exp {
    pub fn new(name: &str, origin: &str, exact: bool) -> Self {
        let mut objects = BTreeMap::new();
        let mut root = ObjExp::group();
        root.attrs_exact = exact;
        objects.insert("/".to_owned(), root);
        Exp {
            name: name.into(),
            origin: origin.into(),
            exact,
            loom: false,
            objects,
            absent: BTreeSet::new(),
        }
    }

    pub fn insert(&mut self, path: &str, obj: ObjExp) {
        let (parent, name) = parent_of(path);
        if let Some(p) = self.objects.get_mut(&parent) {
            if let Some(m) = p.members.as_mut() {
                m.insert(name);
            }
        }
        self.absent.remove(path);
        self.objects.insert(path.to_owned(), obj);
    }

    pub fn remove(&mut self, top: &str) -> Vec<(String, ObjExp)> {
        let keys: Vec<String> = self
            .objects
            .keys()
            .filter(|k| under(k, top))
            .cloned()
            .collect();
        let (parent, name) = parent_of(top);
        if let Some(p) = self.objects.get_mut(&parent) {
            if let Some(m) = p.members.as_mut() {
                m.remove(&name);
            }
        }
        self.absent.retain(|a| !under(a, top));
        self.absent.insert(top.to_owned());
        keys.into_iter()
            .filter_map(|k| self.objects.remove(&k).map(|o| (k, o)))
            .collect()
    }

    /// The expectation of the object at `path` (it must be listed).
    pub fn obj(&mut self, path: &str) -> Result<&mut ObjExp, String> {
        self.objects
            .get_mut(path)
            .ok_or_else(|| format!("{}: no expectation for {path}", self.name))
    }

    /// The expectation of the dataset at `path`.
    pub fn ds(&mut self, path: &str) -> Result<&mut DsExp, String> {
        let name = self.name.clone();
        self.obj(path)?
            .dataset
            .as_mut()
            .ok_or_else(|| format!("{name}: {path} is not an expected dataset"))
    }

    /// Lists an object that is in the file already (e.g. in a copied fixture).
    pub fn add_existing(&mut self, path: &str, obj: ObjExp) {
        self.objects.insert(path.to_owned(), obj);
    }

    /// The manifest entry.
    pub fn to_json(&self) -> Value {
        let objects: Vec<Value> = self
            .objects
            .iter()
            .map(|(path, o)| obj_json(path, o))
            .collect();
        json!({
            "file": self.name,
            "origin": self.origin,
            "exact": self.exact,
            "loom": self.loom,
            "objects": objects,
            "absent": self.absent,
        })
    }
}

fn obj_json(path: &str, o: &ObjExp) -> Value {
    let mut m = Map::new();
    m.insert("path".into(), json!(path));
    m.insert("attrs".into(), json!(o.attrs));
    m.insert("attrs_exact".into(), json!(o.attrs_exact));
    m.insert("attrs_absent".into(), json!(o.attrs_absent));
    if let Some(members) = &o.members {
        m.insert("members".into(), json!(members));
    }
    let Some(d) = &o.dataset else {
        m.insert("kind".into(), json!("group"));
        return Value::Object(m);
    };
    m.insert("kind".into(), json!("dataset"));
    m.insert("dtype".into(), dtype_json(&d.dtype));
    if let Some(n) = numpy_dtype(&d.dtype) {
        m.insert("numpy_dtype".into(), json!(n));
    }
    m.insert("shape".into(), json!(d.shape()));
    m.insert("maxshape".into(), json!(d.maxshape));
    m.insert(
        "layout".into(),
        json!(if d.compact {
            "compact"
        } else if d.chunks.is_some() {
            "chunked"
        } else {
            "contiguous"
        }),
    );
    m.insert("chunks".into(), json!(d.chunks));
    m.insert(
        "filters".into(),
        json!({"deflate": d.deflate, "shuffle": d.shuffle, "fletcher32": d.fletcher32}),
    );
    let numeric = matches!(d.dtype, Datatype::Integer { .. } | Datatype::Float { .. });
    if d.check_fill && numeric {
        let zeros = vec![0u8; d.dtype.size() as usize];
        let fill = d.fill.as_deref().unwrap_or(&zeros);
        m.insert("fillvalue".into(), number_json(&d.dtype, fill));
        m.insert("fill_user_defined".into(), json!(d.fill.is_some()));
    }
    if let Some(n) = d.num_chunks {
        m.insert("num_chunks".into(), json!(n));
    }
    let data = match &d.data {
        Data::Raw(model) => data_json(&d.dtype, &model.data),
        Data::Str(model) => strings_json(&model.data),
    };
    m.insert("data".into(), data);
    Value::Object(m)
}

/// The manifest form of an attribute value.
pub fn attr_json(v: &AttrValue) -> Value {
    let data = match (&v.data, &v.shape) {
        (_, None) => Value::Null,
        (AttrData::Strings(s), _) => match &v.datatype {
            Datatype::FixedString { .. } => {
                let raw: Vec<Vec<u8>> = s.iter().map(|x| encode_fixed(x, &v.datatype)).collect();
                data_json(&v.datatype, &raw)
            }
            _ => strings_json(s),
        },
        (AttrData::Raw(raw), _) => {
            let n = (v.datatype.size() as usize).max(1);
            let elems: Vec<Vec<u8>> = raw.chunks(n).map(<[u8]>::to_vec).collect();
            data_json(&v.datatype, &elems)
        }
    };
    json!({"dtype": dtype_json(&v.datatype), "shape": v.shape, "data": data})
}

/// A writer plus the expectation of its file.
pub struct Session {
    w: Option<Writer>,
    pub path: PathBuf,
    pub exp: Exp,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session").field("path", &self.path).finish()
    }
}

impl Session {
    /// Creates `dir/name` with a new expectation listing every object (`exact`).
    pub fn create(dir: &Path, name: &str, origin: &str) -> Result<Self, String> {
        let path = dir.join(name);
        let w = Writer::create(&path).map_err(|e| format!("{name}: Writer::create: {e}"))?;
        Ok(Session {
            w: Some(w),
            path,
            exp: Exp::new(name, origin, true),
        })
    }

    /// Opens an existing file with the given expectation.
    pub fn open(dir: &Path, exp: Exp) -> Result<Self, String> {
        let path = dir.join(&exp.name);
        let w = Writer::open(&path).map_err(|e| format!("{}: Writer::open: {e}", exp.name))?;
        Ok(Session {
            w: Some(w),
            path,
            exp,
        })
    }

    fn run<T>(
        &mut self,
        what: &str,
        f: impl FnOnce(&mut Writer) -> hdf5_lite::Result<T>,
    ) -> Result<T, String> {
        let name = self.exp.name.clone();
        let w = self
            .w
            .as_mut()
            .ok_or_else(|| format!("{name}: {what}: the writer is closed"))?;
        f(w).map_err(|e| format!("{name}: {what}: {e}"))
    }

    pub fn group(&mut self, path: &str) -> Result<(), String> {
        self.run(&format!("create_group({path})"), |w| w.create_group(path))?;
        let mut walked = String::new();
        for part in path.split('/').filter(|p| !p.is_empty()) {
            walked.push('/');
            walked.push_str(part);
            if !self.exp.objects.contains_key(&walked) {
                self.exp.insert(&walked, ObjExp::group());
            }
        }
        Ok(())
    }

    pub fn dataset(&mut self, path: &str, spec: &DatasetSpec) -> Result<(), String> {
        self.run(&format!("create_dataset({path})"), |w| {
            w.create_dataset(path, spec)
        })?;
        let data = match spec.datatype {
            Datatype::VarLenString { .. } => Data::Str(Model::new(&spec.shape, String::new())),
            _ => {
                let fill = spec
                    .fill_value
                    .clone()
                    .unwrap_or_else(|| vec![0; spec.datatype.size() as usize]);
                Data::Raw(Model::new(&spec.shape, fill))
            }
        };
        let ds = DsExp {
            dtype: spec.datatype.clone(),
            maxshape: spec
                .maxshape
                .clone()
                .unwrap_or_else(|| spec.shape.iter().map(|&d| Some(d)).collect()),
            chunks: spec.chunks.clone(),
            deflate: spec.deflate,
            shuffle: spec.shuffle,
            fletcher32: spec.fletcher32,
            fill: spec.fill_value.clone(),
            check_fill: true,
            data,
            num_chunks: None,
            compact: false,
        };
        let mut obj = ObjExp::group();
        obj.dataset = Some(ds);
        self.exp.insert(path, obj);
        Ok(())
    }

    fn raw_model(&mut self, path: &str) -> Result<(&mut Model<Vec<u8>>, Datatype), String> {
        let name = self.exp.name.clone();
        let ds = self.exp.ds(path)?;
        let dt = ds.dtype.clone();
        match &mut ds.data {
            Data::Raw(m) => Ok((m, dt)),
            Data::Str(_) => Err(format!("{name}: {path} holds vlen strings")),
        }
    }

    pub fn write_numbers<T: Numeric>(
        &mut self,
        path: &str,
        start: &[u64],
        count: &[u64],
        values: &[T],
    ) -> Result<(), String> {
        self.run(
            &format!("write_numbers({path}, {start:?}, {count:?})"),
            |w| w.write_numbers(path, start, count, values),
        )?;
        let (model, dt) = self.raw_model(path)?;
        model.write(start, count, &encode_numbers(values, &dt));
        Ok(())
    }

    pub fn write_raw(
        &mut self,
        path: &str,
        start: &[u64],
        count: &[u64],
        bytes: &[u8],
    ) -> Result<(), String> {
        let sel = Hyperslab {
            start: start.to_vec(),
            count: count.to_vec(),
        };
        self.run(&format!("write_raw({path}, {start:?}, {count:?})"), |w| {
            w.write_raw(path, &sel, bytes)
        })?;
        let (model, dt) = self.raw_model(path)?;
        let n = dt.size() as usize;
        let elems: Vec<Vec<u8>> = bytes.chunks(n).map(<[u8]>::to_vec).collect();
        model.write(start, count, &elems);
        Ok(())
    }

    pub fn write_strings(
        &mut self,
        path: &str,
        start: &[u64],
        count: &[u64],
        values: &[&str],
    ) -> Result<(), String> {
        self.run(
            &format!("write_strings({path}, {start:?}, {count:?})"),
            |w| w.write_strings(path, start, count, values),
        )?;
        let ds = self.exp.ds(path)?;
        let dt = ds.dtype.clone();
        match &mut ds.data {
            Data::Str(m) => {
                let v: Vec<String> = values.iter().map(|s| (*s).to_owned()).collect();
                m.write(start, count, &v);
            }
            Data::Raw(m) => {
                let v: Vec<Vec<u8>> = values.iter().map(|s| encode_fixed(s, &dt)).collect();
                m.write(start, count, &v);
            }
        }
        Ok(())
    }

    pub fn resize(&mut self, path: &str, shape: &[u64]) -> Result<(), String> {
        self.run(&format!("resize({path}, {shape:?})"), |w| {
            w.resize(path, shape)
        })?;
        match &mut self.exp.ds(path)?.data {
            Data::Raw(m) => m.resize(shape),
            Data::Str(m) => m.resize(shape),
        }
        Ok(())
    }

    pub fn attr(&mut self, path: &str, name: &str, value: &AttrValue) -> Result<(), String> {
        self.run(&format!("set_attribute({path}, {name:?})"), |w| {
            w.set_attribute(path, name, value)
        })?;
        let o = self.exp.obj(path)?;
        o.attrs_absent.remove(name);
        o.attrs.insert(name.to_owned(), attr_json(value));
        Ok(())
    }

    pub fn del_attr(&mut self, path: &str, name: &str) -> Result<(), String> {
        self.run(&format!("delete_attribute({path}, {name:?})"), |w| {
            w.delete_attribute(path, name)
        })?;
        let o = self.exp.obj(path)?;
        o.attrs.remove(name);
        o.attrs_absent.insert(name.to_owned());
        Ok(())
    }

    pub fn unlink(&mut self, path: &str) -> Result<(), String> {
        self.run(&format!("unlink({path})"), |w| w.unlink(path))?;
        self.exp.remove(path);
        Ok(())
    }

    pub fn rename(&mut self, from: &str, to: &str) -> Result<(), String> {
        self.run(&format!("rename({from}, {to})"), |w| w.rename(from, to))?;
        for (k, o) in self.exp.remove(from) {
            let moved = format!("{to}{}", &k[from.len()..]);
            self.exp.insert(&moved, o);
        }
        Ok(())
    }

    pub fn commit(&mut self) -> Result<(), String> {
        self.run("commit", |w| w.commit())
    }

    /// Commits, closes and hands back the expectation.
    pub fn close(mut self) -> Result<Exp, String> {
        let name = self.exp.name.clone();
        let w = self
            .w
            .take()
            .ok_or_else(|| format!("{name}: close: the writer is closed"))?;
        w.close().map_err(|e| format!("{name}: close: {e}"))?;
        Ok(self.exp)
    }
}
