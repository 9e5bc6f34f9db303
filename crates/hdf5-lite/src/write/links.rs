//! Editing the links of the staged tree: creating groups and datasets, unlinking and
//! renaming. Groups are symbol-table groups (spec IV.A.2.r, III.B symbol table nodes,
//! III.D local heap), rebuilt whole at commit from their staged list of links (see
//! `group_build`).
//!
//! An unlinked object's space is released when the commit that drops it is durable; an
//! object reachable through more than one hard link is not unlinked (its reference
//! count, spec IV.A.2.w, lives in its own header and would go stale).

use crate::error::{Error, Result};
use crate::format::object_header::ObjectHeader;
use crate::read;
use crate::write::nav::{parent_and_name, split};
use crate::write::tree::{self, Child, DatasetNode};
use crate::write::{DatasetSpec, Writer};

impl Writer {
    /// Creates a group, and any missing groups above it (as h5py does).
    pub fn create_group(&mut self, path: &str) -> Result<()> {
        self.edit(|w| {
            let parts = split(path)?;
            let mut walked = String::new();
            for part in parts {
                let parent = if walked.is_empty() {
                    "/".to_owned()
                } else {
                    walked.clone()
                };
                walked.push('/');
                walked.push_str(part);
                let group = w.group(&parent)?;
                match group.links.get(part.as_bytes()) {
                    None => {
                        group
                            .links
                            .insert(part.as_bytes().to_vec(), Child::Group(Box::default()));
                    }
                    Some(_) if walked.len() == path.trim_end_matches('/').len() => {
                        return Err(Error::Exists {
                            path: path.to_owned(),
                        })
                    }
                    Some(_) => {}
                }
            }
            Ok(())
        })
    }

    /// Creates a dataset (its group must exist).
    pub fn create_dataset(&mut self, path: &str, spec: &DatasetSpec) -> Result<()> {
        self.edit(|w| {
            let (parent, name) = parent_and_name(path)?;
            let node = DatasetNode::create(path, spec, &w.scratch)?;
            let group = w.group(&parent)?;
            if group.links.contains_key(name.as_bytes()) {
                return Err(Error::Exists {
                    path: path.to_owned(),
                });
            }
            group
                .links
                .insert(name.as_bytes().to_vec(), Child::Dataset(Box::new(node)));
            Ok(())
        })
    }

    /// Removes the link at `path` (the object's space is not reclaimed).
    pub fn unlink(&mut self, path: &str) -> Result<()> {
        self.edit(|w| {
            let (parent, name) = parent_and_name(path)?;
            let clean = match w.group(&parent)?.links.get(name.as_bytes()) {
                None => {
                    return Err(Error::NotFound {
                        path: path.to_owned(),
                    })
                }
                Some(Child::Clean(address)) => Some(*address),
                Some(_) => None,
            };
            if let Some(address) = clean {
                w.check_single_link(address, path)?;
            }
            if let Some(child) = w.group(&parent)?.links.remove(name.as_bytes()) {
                w.release_subtree(child);
                w.owners.kill_under(path);
            }
            Ok(())
        })
    }

    /// Releases the space of an unlinked object and everything below it. A committed
    /// subtree is walked; if it holds anything the walk does not fully understand (or
    /// an object linked from elsewhere too), its space is left alone. Global heap
    /// collections are left too (other objects may share them); reopening finds them.
    /// So are the chunks of a dataset whose records its scratch file fails to give back.
    fn release_subtree(&mut self, child: Child) {
        match child {
            Child::Clean(address) => {
                let Some(file) = &self.committed else { return };
                if let Ok(Some(extents)) = read::live::live_extents(file, address, true, false) {
                    for (at, size) in extents {
                        self.alloc.release(at, size);
                    }
                }
            }
            Child::Dataset(d) => match d.data {
                _ if d.kept_index.is_some() => {
                    for (at, size) in d.kept_index.iter().flat_map(|i| i.extents.clone()) {
                        self.alloc.release(at, size);
                    }
                    self.release_subtree(Child::Dataset(Box::new(tree::DatasetNode {
                        kept_index: None,
                        ..*d
                    })));
                }
                tree::DataStorage::Chunked { records, .. } => {
                    for (at, size) in records.extents().map_while(|e| e.ok()) {
                        self.alloc.release(at, size);
                    }
                }
                tree::DataStorage::Contiguous { address, size, .. } => {
                    self.alloc.release(address, size);
                }
                tree::DataStorage::Compact(_) => {}
            },
            Child::Group(g) => {
                for (_, c) in g.links {
                    self.release_subtree(c);
                }
            }
        }
    }

    /// Moves or renames the link at `from` to `to` (whose group must exist).
    pub fn rename(&mut self, from: &str, to: &str) -> Result<()> {
        self.edit(|w| {
            let (from_parent, from_name) = parent_and_name(from)?;
            let (to_parent, to_name) = parent_and_name(to)?;
            if to.starts_with(&format!("{}/", from.trim_end_matches('/'))) {
                return Err(Error::InvalidInput(format!(
                    "cannot move {from} inside itself ({to})"
                )));
            }
            w.group(&to_parent)?;
            if w.group(&to_parent)?.links.contains_key(to_name.as_bytes()) {
                return Err(Error::Exists {
                    path: to.to_owned(),
                });
            }
            let child = w
                .group(&from_parent)?
                .links
                .remove(from_name.as_bytes())
                .ok_or_else(|| Error::NotFound {
                    path: from.to_owned(),
                })?;
            w.group(&to_parent)?
                .links
                .insert(to_name.as_bytes().to_vec(), child);
            // What references the heap below `from` is now elsewhere.
            w.owners.disable();
            Ok(())
        })
    }

    /// Refuses to unlink an object that other hard links also reach: its reference count
    /// lives in its own header, which the other links would still point at unchanged.
    fn check_single_link(&self, address: u64, path: &str) -> Result<()> {
        let file = self.committed.as_ref().ok_or_else(|| Error::NotFound {
            path: path.to_owned(),
        })?;
        let header = ObjectHeader::read(file.ctx(), address)?;
        if header.refcount > 1 {
            return Err(Error::unsupported(format!(
                "unlinking {path:?}: it is reachable through {} hard links, and its reference count would go stale",
                header.refcount
            )));
        }
        Ok(())
    }
}
