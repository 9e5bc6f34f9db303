//! Finding nodes of the staged tree by path, and loading them (and every group above
//! them) from the committed file for editing: a loaded object's own structures (its
//! version 1 object header, spec IV.A.1.a, and a group's heap and nodes) are released,
//! since the commit writes it anew.

use std::collections::BTreeMap;

use crate::error::{Error, Result};
use crate::format::messages::AttributeMessage;
use crate::format::object_header::ObjectHeader;
use crate::read::File;
use crate::write::free_space::FreeSpace;
use crate::write::tree::{self, Child, DatasetNode, GroupNode};
use crate::write::{Space, StorageMut, Writer};

/// A staged node, mutably.
pub(crate) enum NodeMut<'a> {
    Group(&'a mut GroupNode),
    Dataset(&'a mut DatasetNode),
}

pub(crate) fn attrs_of(node: NodeMut<'_>) -> &mut BTreeMap<String, AttributeMessage> {
    match node {
        NodeMut::Group(g) => &mut g.attrs,
        NodeMut::Dataset(d) => &mut d.attrs,
    }
}

/// The already loaded node at `parts` below `root`.
pub(crate) fn find_loaded<'a>(root: &'a mut GroupNode, parts: &[&str]) -> Option<NodeMut<'a>> {
    let mut current = NodeMut::Group(root);
    for part in parts {
        let NodeMut::Group(g) = current else {
            return None;
        };
        current = match g.links.get_mut(part.as_bytes())? {
            Child::Group(g) => NodeMut::Group(g),
            Child::Dataset(d) => NodeMut::Dataset(d),
            Child::Clean(_) => return None,
        };
    }
    Some(current)
}

/// The components of an absolute or root-relative path.
pub(crate) fn split(path: &str) -> Result<Vec<&str>> {
    let parts: Vec<&str> = path
        .split('/')
        .filter(|p| !p.is_empty() && *p != ".")
        .collect();
    if parts.contains(&"..") {
        return Err(Error::InvalidInput(format!(
            "path {path:?}: '..' is not supported"
        )));
    }
    Ok(parts)
}

pub(crate) fn parent_and_name(path: &str) -> Result<(String, String)> {
    let parts = split(path)?;
    let Some((name, dirs)) = parts.split_last() else {
        return Err(Error::InvalidInput(format!(
            "{path:?} names the root group"
        )));
    };
    Ok((format!("/{}", dirs.join("/")), (*name).to_owned()))
}

/// Releases the extents a rewrite of the committed object at `address` replaces; a
/// loaded chunked dataset keeps its chunk index (`tree::load` found it) until its
/// chunks change (see [`tree::KeptIndex`]).
fn release_own(alloc: &mut FreeSpace, file: &File, address: u64, k: (u16, u16, u16)) -> Result<()> {
    let header = ObjectHeader::read(file.ctx(), address)?;
    for (at, size) in tree::own_structures(file, &header, k)? {
        alloc.release(at, size);
    }
    Ok(())
}

impl Writer {
    fn root(&mut self) -> Result<&mut GroupNode> {
        if self.root.is_none() {
            let file = self
                .committed
                .as_ref()
                .ok_or_else(|| Error::InvalidInput("no file".into()))?;
            let address = file.superblock().root_object_header;
            match tree::load(file, address, "/", &self.scratch)? {
                Child::Group(g) => {
                    release_own(&mut self.alloc, file, address, self.k)?;
                    self.root = Some(*g);
                }
                _ => {
                    return Err(Error::corrupt(
                        "object header",
                        address,
                        "the root object is not a group",
                    ))
                }
            }
        }
        self.root
            .as_mut()
            .ok_or_else(|| Error::InvalidInput("no root group".into()))
    }

    /// The staged node at `path`, loading it (and every group above it) for editing.
    pub(super) fn node(&mut self, path: &str) -> Result<NodeMut<'_>> {
        let parts = split(path)?;
        let k = self.k;
        let scratch = self.scratch.clone();
        self.root()?;
        let (Some(root), file) = (self.root.as_mut(), self.committed.as_ref()) else {
            return Err(Error::InvalidInput("no root group".into()));
        };
        let mut current = NodeMut::Group(root);
        let mut walked = String::new();
        for part in parts {
            walked.push('/');
            walked.push_str(part);
            let NodeMut::Group(group) = current else {
                return Err(Error::WrongKind {
                    path: walked,
                    expected: "group",
                    found: "dataset",
                });
            };
            let child = group
                .links
                .get_mut(part.as_bytes())
                .ok_or_else(|| Error::NotFound {
                    path: walked.clone(),
                })?;
            if let Child::Clean(address) = child {
                let file = file.ok_or_else(|| Error::NotFound {
                    path: walked.clone(),
                })?;
                let loaded = tree::load(file, *address, &walked, &scratch)?;
                release_own(&mut self.alloc, file, *address, k)?;
                *child = loaded;
            }
            current = match child {
                Child::Group(g) => NodeMut::Group(g),
                Child::Dataset(d) => NodeMut::Dataset(d),
                Child::Clean(_) => return Err(Error::NotFound { path: walked }),
            };
        }
        Ok(current)
    }

    pub(super) fn group(&mut self, path: &str) -> Result<&mut GroupNode> {
        match self.node(path)? {
            NodeMut::Group(g) => Ok(g),
            NodeMut::Dataset(_) => Err(Error::WrongKind {
                path: path.to_owned(),
                expected: "group",
                found: "dataset",
            }),
        }
    }

    pub(super) fn dataset_and_space(
        &mut self,
        path: &str,
    ) -> Result<(&mut DatasetNode, Space<'_>)> {
        let k = self.k;
        self.node(path)?;
        let storage: &dyn StorageMut = self.storage.as_ref();
        let alloc = &mut self.alloc;
        let heap = &mut self.heap;
        let root = self
            .root
            .as_mut()
            .ok_or_else(|| Error::InvalidInput("no root group".into()))?;
        let node = find_loaded(root, &split(path)?).ok_or_else(|| Error::NotFound {
            path: path.to_owned(),
        })?;
        match node {
            NodeMut::Dataset(d) => Ok((d, Space::new(storage, alloc, heap, k))),
            NodeMut::Group(_) => Err(Error::WrongKind {
                path: path.to_owned(),
                expected: "dataset",
                found: "group",
            }),
        }
    }
}
