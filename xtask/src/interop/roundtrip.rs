//! The round trip back: after loompy (libhdf5) has edited a loom file, hdf5-lite opens it
//! again and edits what libhdf5 wrote (its layer, its column attributes, groups it
//! extended), and the result is checked like every other file.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use hdf5_lite::format::messages::Datatype;
use hdf5_lite::read::{File, Numeric};
use hdf5_lite::write::{AttrValue, DatasetSpec};

use super::loom::LoompyPlan;
use super::model::Model;
use super::session::{Data, DsExp, Exp, ObjExp, Session};

type R<T> = Result<T, String>;

/// The expectation of a dataset as it is now (read with hdf5-lite; h5py then checks
/// every property independently).
fn current(file: &File, path: &str) -> R<ObjExp> {
    let err = |e: hdf5_lite::Error| format!("{path}: {e}");
    let d = file.dataset(path).map_err(err)?;
    let dtype = d.datatype().clone();
    let shape = d.shape().to_vec();
    let (mut deflate, mut shuffle, mut fletcher32) = (None, false, false);
    for f in d.filters() {
        match f.id {
            1 => deflate = f.client_data.first().copied(),
            2 => shuffle = true,
            3 => fletcher32 = true,
            other => return Err(format!("{path}: filter {other}")),
        }
    }
    let data = match dtype {
        Datatype::VarLenString { .. } => Data::Str(Model::from_data(
            &shape,
            d.read_strings().map_err(err)?,
            String::new(),
        )),
        _ => {
            let n = (dtype.size() as usize).max(1);
            let raw = d.read_raw().map_err(err)?;
            let elems = raw.chunks(n).map(<[u8]>::to_vec).collect();
            Data::Raw(Model::from_data(&shape, elems, vec![0; n]))
        }
    };
    Ok(ObjExp {
        dataset: Some(DsExp {
            dtype,
            maxshape: d.maxshape(),
            chunks: d.chunks().map(<[u64]>::to_vec),
            deflate,
            shuffle,
            fletcher32,
            fill: None,
            check_fill: false,
            data,
            num_chunks: None,
            compact: false,
        }),
        attrs: BTreeMap::new(),
        attrs_exact: false,
        attrs_absent: BTreeSet::new(),
        members: None,
    })
}

/// Edits a loom file loompy has just edited; the expectation lists what changed and
/// what must survive.
pub fn reedit(dir: &Path, plan: &LoompyPlan) -> R<Exp> {
    let name = &plan.file;
    let file = File::open(dir.join(name)).map_err(|e| format!("{name}: {e}"))?;
    let mut exp = Exp::new(
        name,
        "loom file edited by hdf5-lite, then loompy, then hdf5-lite",
        false,
    );
    exp.loom = true;
    for path in [
        "/matrix",
        "/layers/interop_extra",
        "/col_attrs/InteropName",
        "/col_attrs/InteropScore",
    ] {
        exp.add_existing(
            path,
            current(&file, path).map_err(|e| format!("{name}: {e}"))?,
        );
    }
    drop(file);
    let mut s = Session::open(dir, exp)?;
    let v: Vec<f32> = (0..6).map(|i| 100.0 + i as f32).collect();
    s.write_numbers("/layers/interop_extra", &[1, 2], &[2, 3], &v)?;
    s.write_strings(
        "/col_attrs/InteropName",
        &[0],
        &[2],
        &["re-edited", "again"],
    )?;
    s.write_numbers(
        "/col_attrs/InteropScore",
        &[plan.cols - 1],
        &[1],
        &[-0.0f64],
    )?;
    let (rows, cols) = (plan.rows, plan.cols);
    let spec = DatasetSpec::new(f32::datatype(), &[rows, cols])
        .maxshape(&[Some(rows), None])
        .chunks(&[64.min(rows), 64.min(cols)])
        .deflate(2);
    s.dataset("/layers/round_trip", &spec)?;
    let v: Vec<f32> = (0..rows * cols).map(|i| (i % 11) as f32).collect();
    s.write_numbers("/layers/round_trip", &[0, 0], &[rows, cols], &v)?;
    s.attr(
        "/",
        "round_trip",
        &AttrValue::string("hdf5-lite after loompy"),
    )?;
    s.close()
}
