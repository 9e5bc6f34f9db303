//! Property test: random sequences of edits (groups, datasets, attributes, unlink, rename,
//! commit and reopen) leave a file that reads exactly like an in-memory model of them.

// Test helpers outside #[test] functions may unwrap: a failure there is a test failure.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::sync::Arc;

use hdf5_lite::read::{File, Numeric, Object};
use hdf5_lite::write::{AttrValue, DatasetSpec, MemFile, Writer};
use proptest::prelude::*;

const NAMES: [&str; 5] = ["a", "b", "row_edges", "row_graphs", "z"];

#[derive(Debug, Clone, PartialEq)]
enum Obj {
    Group,
    Data(Vec<i32>),
}

#[derive(Debug, Clone)]
enum Op {
    NewGroup(usize, usize),
    NewData(usize, usize, u8, bool),
    SetAttr(usize, usize, i64),
    DelAttr(usize, usize),
    Unlink(usize),
    Rename(usize, usize, usize),
    CommitAndReopen,
}

fn op() -> impl Strategy<Value = Op> {
    let i = 0usize..16;
    let n = 0usize..NAMES.len();
    prop_oneof![
        (i.clone(), n.clone()).prop_map(|(p, n)| Op::NewGroup(p, n)),
        (i.clone(), n.clone(), 0u8..40, any::<bool>())
            .prop_map(|(p, n, len, c)| Op::NewData(p, n, len, c)),
        (i.clone(), n.clone(), any::<i64>()).prop_map(|(o, n, v)| Op::SetAttr(o, n, v)),
        (i.clone(), n.clone()).prop_map(|(o, n)| Op::DelAttr(o, n)),
        i.clone().prop_map(Op::Unlink),
        (i.clone(), i, n).prop_map(|(o, p, n)| Op::Rename(o, p, n)),
        Just(Op::CommitAndReopen),
    ]
}

#[derive(Debug, Default)]
struct Model {
    objs: BTreeMap<String, Obj>,
    attrs: BTreeMap<String, BTreeMap<String, i64>>,
}

impl Model {
    fn paths(&self) -> Vec<String> {
        std::iter::once("/".to_owned())
            .chain(self.objs.keys().cloned())
            .collect()
    }
    fn groups(&self) -> Vec<String> {
        std::iter::once("/".to_owned())
            .chain(
                self.objs
                    .iter()
                    .filter(|(_, o)| **o == Obj::Group)
                    .map(|(p, _)| p.clone()),
            )
            .collect()
    }
    fn join(parent: &str, name: &str) -> String {
        if parent == "/" {
            format!("/{name}")
        } else {
            format!("{parent}/{name}")
        }
    }
    fn under(path: &str, root: &str) -> bool {
        path == root || path.starts_with(&format!("{root}/"))
    }
}

fn run(ops: &[Op]) -> Result<(), TestCaseError> {
    let mem = MemFile::new();
    let mut w = Writer::create_in(Arc::new(mem.clone())).unwrap();
    let mut m = Model::default();
    for op in ops {
        match op {
            Op::NewGroup(p, n) => {
                let groups = m.groups();
                let path = Model::join(&groups[p % groups.len()], NAMES[*n]);
                let exists = m.objs.contains_key(&path);
                prop_assert_eq!(
                    w.create_group(&path).is_ok(),
                    !exists,
                    "create_group {}",
                    path
                );
                if !exists {
                    m.objs.insert(path, Obj::Group);
                }
            }
            Op::NewData(p, n, len, chunked) => {
                let groups = m.groups();
                let path = Model::join(&groups[p % groups.len()], NAMES[*n]);
                let exists = m.objs.contains_key(&path);
                let values: Vec<i32> = (0..i32::from(*len)).map(|i| i * 3 - 7).collect();
                let mut spec = DatasetSpec::new(i32::datatype(), &[u64::from(*len)]);
                if *chunked {
                    spec = spec.chunks(&[4]).deflate(1);
                }
                let result = w
                    .create_dataset(&path, &spec)
                    .and_then(|()| w.write_numbers(&path, &[0], &[u64::from(*len)], &values));
                prop_assert_eq!(result.is_ok(), !exists, "create_dataset {}", path);
                if !exists {
                    m.objs.insert(path, Obj::Data(values));
                }
            }
            Op::SetAttr(o, n, v) => {
                let paths = m.paths();
                let path = &paths[o % paths.len()];
                w.set_attribute(path, NAMES[*n], &AttrValue::numbers(&[*v], &[]))
                    .unwrap();
                m.attrs
                    .entry(path.clone())
                    .or_default()
                    .insert(NAMES[*n].to_owned(), *v);
            }
            Op::DelAttr(o, n) => {
                let paths = m.paths();
                let path = &paths[o % paths.len()];
                let had = m
                    .attrs
                    .get_mut(path)
                    .and_then(|a| a.remove(NAMES[*n]))
                    .is_some();
                prop_assert_eq!(w.delete_attribute(path, NAMES[*n]).is_ok(), had);
            }
            Op::Unlink(o) => {
                let paths = m.paths();
                let path = paths[o % paths.len()].clone();
                let result = w.unlink(&path);
                prop_assert_eq!(result.is_ok(), path != "/");
                m.objs.retain(|p, _| !Model::under(p, &path));
                m.attrs
                    .retain(|p, _| path == "/" || !Model::under(p, &path));
            }
            Op::Rename(o, p, n) => {
                let (paths, groups) = (m.paths(), m.groups());
                let from = paths[o % paths.len()].clone();
                let to = Model::join(&groups[p % groups.len()], NAMES[*n]);
                let ok = from != "/" && !m.objs.contains_key(&to) && !Model::under(&to, &from);
                prop_assert_eq!(
                    w.rename(&from, &to).is_ok(),
                    ok,
                    "rename {} -> {}",
                    from,
                    to
                );
                if ok {
                    let moved: Vec<(String, Obj)> = m
                        .objs
                        .iter()
                        .filter(|(q, _)| Model::under(q, &from))
                        .map(|(q, o)| (q.clone(), o.clone()))
                        .collect();
                    let moved_attrs: Vec<(String, BTreeMap<String, i64>)> = m
                        .attrs
                        .iter()
                        .filter(|(q, _)| Model::under(q, &from))
                        .map(|(q, a)| (q.clone(), a.clone()))
                        .collect();
                    m.objs.retain(|q, _| !Model::under(q, &from));
                    m.attrs.retain(|q, _| !Model::under(q, &from));
                    for (q, obj) in moved {
                        m.objs.insert(format!("{to}{}", &q[from.len()..]), obj);
                    }
                    for (q, a) in moved_attrs {
                        m.attrs.insert(format!("{to}{}", &q[from.len()..]), a);
                    }
                }
            }
            Op::CommitAndReopen => {
                w.close().unwrap();
                w = Writer::open_in(Arc::new(mem.clone())).unwrap();
            }
        }
    }
    w.close().unwrap();
    check(&File::from_bytes(mem.to_bytes()).unwrap(), &m)
}

fn check(file: &File, m: &Model) -> Result<(), TestCaseError> {
    let mut seen = BTreeMap::new();
    let mut stack = vec![file.root().unwrap()];
    while let Some(g) = stack.pop() {
        for (name, obj) in g.members().unwrap() {
            let path = Model::join(g.path(), &name);
            match obj.unwrap() {
                Object::Group(sub) => {
                    seen.insert(path, Obj::Group);
                    stack.push(sub);
                }
                Object::Dataset(d) => {
                    seen.insert(
                        path,
                        Obj::Data(d.read::<i32>().unwrap().into_raw_vec_and_offset().0),
                    );
                }
                Object::Datatype(_) => prop_assert!(false, "unexpected datatype"),
            }
        }
    }
    prop_assert_eq!(&seen, &m.objs);
    for path in m.paths() {
        let attrs = match file.object(&path).unwrap() {
            Object::Group(g) => g.attributes().unwrap(),
            Object::Dataset(d) => d.attributes().unwrap(),
            Object::Datatype(_) => Vec::new(),
        };
        let got: BTreeMap<String, i64> = attrs
            .iter()
            .map(|a| {
                (
                    a.name().to_owned(),
                    a.read::<i64>().unwrap().into_raw_vec_and_offset().0[0],
                )
            })
            .collect();
        prop_assert_eq!(
            &got,
            &m.attrs.get(&path).cloned().unwrap_or_default(),
            "attributes of {}",
            path
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(150))]

    #[test]
    fn random_edit_sequences_match_the_model(ops in prop::collection::vec(op(), 1..30)) {
        run(&ops)?;
    }
}
