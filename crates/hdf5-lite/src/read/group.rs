//! Groups: old-style (symbol table: v1 B-tree, SNODs, local heap) and new-style (Link
//! messages, or dense links in a fractal heap indexed by a v2 B-tree), and the
//! attributes of any object.

use std::sync::Arc;

use crate::error::{Error, Result};
use crate::format::btree_v1::group_symbol_nodes;
use crate::format::btree_v2::BTreeV2;
use crate::format::fractal_heap::FractalHeap;
use crate::format::local_heap::LocalHeap;
use crate::format::messages::{kind, Link, LinkInfo, LinkTarget, SymbolTableMessage};
use crate::format::object_header::ObjectHeader;
use crate::format::symbol_table::read_node;
use crate::format::UNDEF;
use crate::read::attribute::{attributes_of, Attribute};
use crate::read::{join, File, Object};

/// Links deeper than this while resolving one path are taken as a cycle.
const MAX_LINK_DEPTH: usize = 64;

/// A group: named links to other objects.
#[derive(Debug, Clone)]
pub struct Group {
    file: File,
    path: String,
    header: Arc<ObjectHeader>,
}

impl Group {
    pub(crate) fn new(file: File, path: String, header: Arc<ObjectHeader>) -> Result<Self> {
        Ok(Group { file, path, header })
    }

    pub(crate) fn header(&self) -> &ObjectHeader {
        &self.header
    }

    /// The group's absolute path.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The file the group is in.
    pub fn file(&self) -> &File {
        &self.file
    }

    /// The address of the group's object header.
    pub fn address(&self) -> u64 {
        self.header.address
    }

    /// Every link of the group, sorted by name (bytewise, as HDF5 orders them).
    pub fn links(&self) -> Result<Vec<Link>> {
        let ctx = self.file.ctx();
        let mut links = Vec::new();
        if let Some(msg) = self.header.find(kind::SYMBOL_TABLE) {
            let st = SymbolTableMessage::decode(&mut ctx.cursor(
                &msg.data,
                msg.offset,
                "symbol table message",
            ))?;
            let heap = LocalHeap::read(ctx, st.local_heap)?;
            for node in group_symbol_nodes(ctx, st.btree)? {
                for entry in read_node(ctx, node)? {
                    let name =
                        String::from_utf8_lossy(heap.string_at(entry.name_offset)?).into_owned();
                    let target = if entry.cache_type == 2 {
                        let offset = u32::from_le_bytes([
                            entry.scratch[0],
                            entry.scratch[1],
                            entry.scratch[2],
                            entry.scratch[3],
                        ]);
                        LinkTarget::Soft(
                            String::from_utf8_lossy(heap.string_at(offset.into())?).into_owned(),
                        )
                    } else {
                        LinkTarget::Hard(entry.object_header)
                    };
                    links.push(Link {
                        name,
                        target,
                        creation_order: None,
                    });
                }
            }
        }
        for msg in self.header.find_all(kind::LINK) {
            links.push(Link::decode(&mut ctx.cursor(
                &msg.data,
                msg.offset,
                "link message",
            ))?);
        }
        if let Some(msg) = self.header.find(kind::LINK_INFO) {
            let info =
                LinkInfo::decode(&mut ctx.cursor(&msg.data, msg.offset, "link info message"))?;
            if info.fractal_heap != UNDEF {
                let heap = FractalHeap::read(ctx, info.fractal_heap)?;
                let tree = BTreeV2::read(ctx, info.name_index)?;
                for record in tree.records(ctx)? {
                    // Type 5 record: name hash (4) then the heap id.
                    let id = record.get(4..).ok_or_else(|| {
                        Error::corrupt(
                            "v2 B-tree record",
                            info.name_index,
                            "link name record too short",
                        )
                    })?;
                    let bytes = heap.object(ctx, id)?;
                    links.push(Link::decode(&mut ctx.cursor(
                        &bytes,
                        info.fractal_heap,
                        "dense link",
                    ))?);
                }
            }
        }
        links.sort_by(|a, b| a.name.as_bytes().cmp(b.name.as_bytes()));
        Ok(links)
    }

    /// The names of the group's members, sorted.
    pub fn member_names(&self) -> Result<Vec<String>> {
        Ok(self.links()?.into_iter().map(|l| l.name).collect())
    }

    /// Every member with its object, sorted by name. Soft and external links are
    /// followed (see [`crate::read`]'s `external` module); a link that cannot be followed
    /// and user-defined links are errors for that member.
    pub fn members(&self) -> Result<Vec<(String, Result<Object>)>> {
        Ok(self
            .links()?
            .into_iter()
            .map(|link| {
                let obj = self.member(&link);
                (link.name, obj)
            })
            .collect())
    }

    /// The object that `link` (one of [`Group::links`]) leads to, followed as
    /// [`Group::members`] follows it; for walks that take one member at a time rather
    /// than holding every member's object.
    pub fn member(&self, link: &Link) -> Result<Object> {
        self.resolve(&link.target, join(&self.path, &link.name), 0)
    }

    /// The object at `path`, relative to this group (or absolute, from the root).
    pub fn object(&self, path: &str) -> Result<Object> {
        self.object_depth(path, 0)
    }

    fn object_depth(&self, path: &str, depth: usize) -> Result<Object> {
        if depth > MAX_LINK_DEPTH {
            return Err(Error::Cycle {
                structure: "soft links",
                offset: self.address(),
            });
        }
        let mut current = if path.starts_with('/') {
            self.file.root()?
        } else {
            self.clone()
        };
        let parts: Vec<&str> = path
            .split('/')
            .filter(|p| !p.is_empty() && *p != ".")
            .collect();
        let Some((last, dirs)) = parts.split_last() else {
            return Ok(Object::Group(current));
        };
        for part in dirs {
            let sub = current.child(part, depth)?;
            current = sub.into_group(&join(&current.path, part))?;
        }
        current.child(last, depth)
    }

    fn child(&self, name: &str, depth: usize) -> Result<Object> {
        let path = join(&self.path, name);
        let link = self
            .links()?
            .into_iter()
            .find(|l| l.name == name)
            .ok_or_else(|| Error::NotFound { path: path.clone() })?;
        self.resolve(&link.target, path, depth)
    }

    fn resolve(&self, target: &LinkTarget, path: String, depth: usize) -> Result<Object> {
        match target {
            LinkTarget::Hard(addr) => self.file.object_at(*addr, path),
            LinkTarget::Soft(dest) => self.object_depth(dest, depth + 1),
            LinkTarget::External { file, path: target } => self.file.external(file, target, &path),
            LinkTarget::Other(t) => Err(Error::unsupported(format!(
                "user-defined link type {t} at {path:?}"
            ))),
        }
    }

    /// The group at `path`, relative to this group.
    pub fn group(&self, path: &str) -> Result<Group> {
        self.object(path)?.into_group(path)
    }

    /// The dataset at `path`, relative to this group.
    pub fn dataset(&self, path: &str) -> Result<crate::read::Dataset> {
        self.object(path)?.into_dataset(path)
    }

    /// The group's attributes, sorted by name.
    pub fn attributes(&self) -> Result<Vec<Attribute>> {
        attributes_of(&self.file, &self.header)
    }

    /// The attribute called `name`.
    pub fn attribute(&self, name: &str) -> Result<Attribute> {
        find_attribute(&self.file, &self.header, &self.path, name)
    }
}

pub(crate) fn find_attribute(
    file: &File,
    header: &ObjectHeader,
    path: &str,
    name: &str,
) -> Result<Attribute> {
    attributes_of(file, header)?
        .into_iter()
        .find(|a| a.name() == name)
        .ok_or_else(|| Error::NotFound {
            path: format!("{path}@{name}"),
        })
}
