//! Finding nodes of the staged tree by path.

use std::collections::BTreeMap;

use crate::error::{Error, Result};
use crate::format::messages::AttributeMessage;
use crate::write::tree::{Child, DatasetNode, GroupNode};

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
