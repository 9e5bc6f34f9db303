//! File-size checks (issue 7, part 3): the same content written by loompy and by
//! loom-core's `create`, and a file edited over several read-write sessions against a
//! repacked copy of it. Used by `tests/tests/sizes.rs` (on loompy-made fixtures) and by
//! `cargo xtask sizes` (on freshly generated random inputs).

use std::path::Path;

use loom_core::ndarray::Array2;
use loom_core::sprs::TriMat;
use loom_core::{connect, AttrValues, Axis, LayerInput, LoomConnection, Mode, Numeric, Result};
use loom_core::{LoomError, Selection};

/// Global attributes that loompy's and loom-core's `create` write themselves.
const WRITTEN_BY_CREATE: [&str; 3] = ["CreationDate", "LOOM_SPEC_VERSION", "last_modified"];

/// One layer read in its stored type.
enum Owned {
    F32(Array2<f32>),
    F64(Array2<f64>),
    I8(Array2<i8>),
    I16(Array2<i16>),
    I32(Array2<i32>),
    I64(Array2<i64>),
    U8(Array2<u8>),
    U16(Array2<u16>),
    U32(Array2<u32>),
    U64(Array2<u64>),
}

impl Owned {
    fn read(ds: &LoomConnection, name: &str) -> Result<Owned> {
        fn all<T: Numeric>(ds: &LoomConnection, name: &str) -> Result<Array2<T>> {
            ds.layers().read::<T>(name, Selection::All, Selection::All)
        }
        Ok(match ds.layers().dtype(name)? {
            "float32" => Owned::F32(all(ds, name)?),
            "float64" => Owned::F64(all(ds, name)?),
            "int8" => Owned::I8(all(ds, name)?),
            "int16" => Owned::I16(all(ds, name)?),
            "int32" => Owned::I32(all(ds, name)?),
            "int64" => Owned::I64(all(ds, name)?),
            "uint8" => Owned::U8(all(ds, name)?),
            "uint16" => Owned::U16(all(ds, name)?),
            "uint32" => Owned::U32(all(ds, name)?),
            "uint64" => Owned::U64(all(ds, name)?),
            other => {
                return Err(LoomError::InvalidInput(format!(
                    "layer '{name}': no size check for dtype {other}"
                )))
            }
        })
    }

    fn input(&self) -> LayerInput<'_> {
        match self {
            Owned::F32(a) => a.into(),
            Owned::F64(a) => a.into(),
            Owned::I8(a) => a.into(),
            Owned::I16(a) => a.into(),
            Owned::I32(a) => a.into(),
            Owned::I64(a) => a.into(),
            Owned::U8(a) => a.into(),
            Owned::U16(a) => a.into(),
            Owned::U32(a) => a.into(),
            Owned::U64(a) => a.into(),
        }
    }
}

/// Writes the content of the loom file `src` (made by loompy's `create`) to `dst` with
/// loom-core's [`loom_core::create`]: every layer in its stored type, the row and
/// column attributes, and the global attributes other than those `create` writes.
pub fn recreate(src: &Path, dst: &Path) -> Result<()> {
    let ds = connect(src, Mode::Read)?;
    let names = ds.layers().keys()?;
    let owned = names
        .iter()
        .map(|n| Owned::read(&ds, n))
        .collect::<Result<Vec<_>>>()?;
    let layers: Vec<(&str, LayerInput)> = names
        .iter()
        .zip(&owned)
        .map(|(n, o)| (n.as_str(), o.input()))
        .collect();
    let ra = ds.ra().items()?;
    let ca = ds.ca().items()?;
    let globals: Vec<(String, AttrValues)> = ds
        .attrs()
        .items()?
        .into_iter()
        .filter(|(k, _)| !WRITTEN_BY_CREATE.contains(&k.as_str()))
        .collect();
    loom_core::create(dst, &layers, &borrow(&ra), &borrow(&ca), &borrow(&globals))
}

/// `(name, values)` pairs borrowing their names.
fn borrow(v: &[(String, AttrValues)]) -> Vec<(&str, AttrValues)> {
    v.iter().map(|(k, a)| (k.as_str(), a.clone())).collect()
}

/// A small deterministic generator (64-bit LCG, high bits), so that an edit sequence is
/// reproducible from its seed on every platform.
#[derive(Debug, Clone)]
pub struct Lcg(u64);

impl Lcg {
    /// A generator started from `seed`.
    pub fn new(seed: u64) -> Self {
        Lcg(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15).wrapping_add(1))
    }

    /// The next value in `0..n` (0 when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        if n == 0 {
            0
        } else {
            ((self.0 >> 33) % n as u64) as usize
        }
    }
}

/// What one edit session did, for messages.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct EditLog {
    /// One short line per edit, in order.
    pub edits: Vec<String>,
}

/// Edits the loom file at `path` over `sessions` read-write sessions of `per_session`
/// edits each, every edit its own commit (the most space a session can leave behind):
/// row and column attributes (strings and numbers) set, replaced and deleted, layers
/// added and deleted, selections of the main matrix written, row and column graphs set
/// and deleted, global attributes set. Deterministic for a given `seed`.
pub fn edit_sessions(
    path: &Path,
    seed: u64,
    sessions: usize,
    per_session: usize,
) -> Result<EditLog> {
    let mut rng = Lcg::new(seed);
    let mut log = EditLog::default();
    for s in 0..sessions {
        let mut ds = connect(path, Mode::ReadWrite)?;
        for e in 0..per_session {
            let line = edit(&mut ds, &mut rng, s * per_session + e)?;
            log.edits.push(line);
        }
        ds.close()?;
    }
    Ok(log)
}

/// One random edit; returns what it did.
fn edit(ds: &mut LoomConnection, rng: &mut Lcg, k: usize) -> Result<String> {
    let (n, m) = ds.shape();
    let (n, m) = (n as usize, m as usize);
    let axis = if rng.below(2) == 0 {
        Axis::Rows
    } else {
        Axis::Cols
    };
    let len = axis.of((n, m));
    Ok(match rng.below(8) {
        0 | 1 => {
            let name = format!("attr{}", rng.below(6));
            let values: Vec<String> = (0..len)
                .map(|i| format!("v{k}_{i}_{}", rng.below(1000)))
                .collect();
            ds.axis_attrs_mut(axis).set(&name, values)?;
            format!("set string {axis:?} attribute {name}")
        }
        2 => {
            let name = format!("num{}", rng.below(4));
            let values: Vec<f64> = (0..len).map(|_| rng.below(10_000) as f64 / 7.0).collect();
            ds.axis_attrs_mut(axis).set(&name, values)?;
            format!("set numeric {axis:?} attribute {name}")
        }
        3 => {
            let keys = ds.axis_attrs(axis).keys();
            match keys.get(rng.below(keys.len())) {
                Some(name) if keys.len() > 1 => {
                    ds.axis_attrs_mut(axis).delete(name)?;
                    format!("delete {axis:?} attribute {name}")
                }
                _ => "nothing to delete".to_owned(),
            }
        }
        4 => {
            let name = format!("layer{}", rng.below(3));
            if ds.layers().contains(&name) && rng.below(2) == 0 {
                ds.layers_mut().delete(&name)?;
                format!("delete layer {name}")
            } else {
                let a = Array2::from_shape_fn((n, m), |_| sparse_value(rng));
                ds.layers_mut().set(&name, &a)?;
                format!("set layer {name}")
            }
        }
        5 => {
            let (r0, c0) = (rng.below(n), rng.below(m));
            let (h, w) = (1 + rng.below(n - r0), 1 + rng.below(m - c0));
            let a = Array2::from_shape_fn((h, w), |_| sparse_value(rng));
            let rows = Selection::from(r0..r0 + h);
            let cols = Selection::from(c0..c0 + w);
            ds.write(rows, cols, a.view())?;
            format!("write matrix[{r0}..{}, {c0}..{}]", r0 + h, c0 + w)
        }
        6 => {
            let name = format!("graph{}", rng.below(3));
            if ds.graphs(axis).contains(&name) && rng.below(3) == 0 {
                ds.graphs_mut(axis).delete(&name)?;
                format!("delete {axis:?} graph {name}")
            } else {
                let mut g = TriMat::<f32>::new((len, len));
                for _ in 0..(len * 2) {
                    g.add_triplet(rng.below(len), rng.below(len), rng.below(100) as f32);
                }
                ds.graphs_mut(axis).set(&name, &g)?;
                format!("set {axis:?} graph {name}")
            }
        }
        _ => {
            let name = format!("global{}", rng.below(3));
            ds.attrs_mut().set(&name, format!("session edit {k}"))?;
            format!("set global attribute {name}")
        }
    })
}

/// A value of a sparse count-like matrix: 0 four times in five.
fn sparse_value(rng: &mut Lcg) -> f32 {
    if rng.below(5) == 0 {
        (1 + rng.below(30)) as f32
    } else {
        0.0
    }
}

/// The length of the file at `path` in bytes.
pub fn file_len(path: &Path) -> std::io::Result<u64> {
    Ok(std::fs::metadata(path)?.len())
}

/// The differences between the contents of two loom files (layers as float64, row and
/// column attributes, global attributes but the timestamps `create` writes), one line
/// each; empty when they hold the same values.
pub fn content_differences(a: &Path, b: &Path) -> Result<Vec<String>> {
    let (a, b) = (connect(a, Mode::Read)?, connect(b, Mode::Read)?);
    let mut out = Vec::new();
    let (la, lb) = (a.layers().keys()?, b.layers().keys()?);
    if la != lb {
        out.push(format!("layers {la:?} vs {lb:?}"));
    }
    for name in la.iter().filter(|n| lb.contains(n)) {
        let read = |ds: &LoomConnection| {
            ds.layers()
                .read::<f64>(name, Selection::All, Selection::All)
        };
        if a.layers().dtype(name)? != b.layers().dtype(name)? || read(&a)? != read(&b)? {
            out.push(format!("layer '{name}' differs"));
        }
    }
    for axis in Axis::BOTH {
        if a.axis_attrs(axis).items()? != b.axis_attrs(axis).items()? {
            out.push(format!("{axis:?} attributes differ"));
        }
    }
    let globals = |ds: &LoomConnection| -> Result<Vec<(String, AttrValues)>> {
        Ok(ds
            .attrs()
            .items()?
            .into_iter()
            .filter(|(k, _)| !WRITTEN_BY_CREATE.contains(&k.as_str()))
            .collect())
    };
    if globals(&a)? != globals(&b)? {
        out.push("global attributes differ".to_owned());
    }
    Ok(out)
}
