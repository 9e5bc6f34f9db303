//! Which objects reference the global heap collections a writer knows, so that a
//! collection is freed as soon as nothing references it any more, within the session.
//!
//! Every transaction that writes a variable-length string opens a collection of at
//! least 4 KiB (libhdf5 rejects smaller ones), so a session of small edits (a loom
//! file's `last_modified` stamps, one attribute at a time) makes one collection per
//! commit, and most of them die a few commits later. Without this record they would
//! stay until the next session's walk of the live objects finds them free.
//!
//! An *owner* is a dataset (its elements) or one attribute of an object, by path. The
//! record starts from the reopen walk, which reports every reference of the file, and
//! follows the writer's own edits: strings written for an owner are recorded with the
//! collection they went to; replacing or deleting an attribute, and unlinking a path,
//! drop the owners they end. A collection is freed with the commit after which none of
//! its owners is left. Whatever the record cannot follow (a rename, raw bytes written
//! to a type holding references, strings of no known owner, a file the walk does not
//! understand) turns it off or keeps the collection: a collection is never freed on a
//! guess.

use std::collections::{BTreeMap, BTreeSet};

/// What holds references into the global heap.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Owner {
    /// The elements of the dataset at this path.
    Data(String),
    /// The attribute (object path, attribute name).
    Attr(String, String),
    /// An object reachable through several hard links: no edit ends it.
    Shared,
}

/// The canonical form of a writer path: `/a/b` (the root is `/`).
pub(crate) fn canonical(path: &str) -> String {
    let parts: Vec<&str> = path
        .split('/')
        .filter(|p| !p.is_empty() && *p != ".")
        .collect();
    format!("/{}", parts.join("/"))
}

/// Collection address → (size, owners of its objects).
pub(crate) type Owners = BTreeMap<u64, (u64, BTreeSet<Owner>)>;

/// The collections a transaction opened: (address, size, owners of their objects,
/// `None` when the owner of one is unknown).
pub(crate) type Created = Vec<(u64, u64, Option<BTreeSet<Owner>>)>;

/// An edit of the open transaction that ends owners.
#[derive(Debug, Clone)]
enum Kill {
    Attr(String, String),
    /// The elements of the dataset at this path (its attributes stay).
    Data(String),
    /// Everything at or below this path.
    Under(String),
}

impl Kill {
    fn ends(&self, owner: &Owner) -> bool {
        match (self, owner) {
            (_, Owner::Shared) => false,
            (Kill::Attr(p, n), Owner::Attr(q, m)) => p == q && n == m,
            (Kill::Data(p), Owner::Data(q)) => p == q,
            (Kill::Attr(..), Owner::Data(_)) | (Kill::Data(_), Owner::Attr(..)) => false,
            (Kill::Under(p), Owner::Data(q) | Owner::Attr(q, _)) => {
                p == "/"
                    || q == p
                    || q.strip_prefix(p.as_str())
                        .is_some_and(|r| r.starts_with('/'))
            }
        }
    }
}

/// The writer's record of who references its collections.
#[derive(Debug, Default)]
pub(crate) struct HeapOwners {
    known: Owners,
    /// Off for the writer's life: something happened that the record cannot follow.
    off: bool,
    /// Owners the open transaction ends.
    kills: Vec<Kill>,
}

impl HeapOwners {
    /// A record that frees nothing (the file holds references the walk cannot see).
    pub(crate) fn off() -> Self {
        HeapOwners {
            off: true,
            ..Self::default()
        }
    }

    /// The record of a file whose references are all in `known`.
    pub(crate) fn new(known: Owners) -> Self {
        HeapOwners {
            known,
            ..Self::default()
        }
    }

    /// Turns the record off for good.
    pub(crate) fn disable(&mut self) {
        self.off = true;
        self.known.clear();
        self.kills.clear();
    }

    /// The open transaction replaced or deleted the attribute `name` of `path`.
    pub(crate) fn kill_attr(&mut self, path: &str, name: &str) {
        if !self.off {
            self.kills
                .push(Kill::Attr(canonical(path), name.to_owned()));
        }
    }

    /// The open transaction rewrote every element of the dataset at `path`.
    pub(crate) fn kill_data(&mut self, path: &str) {
        if !self.off {
            self.kills.push(Kill::Data(canonical(path)));
        }
    }

    /// The collections still referenced once the open transaction commits: (address,
    /// size, the owners left).
    pub(crate) fn survivors(&self) -> Vec<(u64, u64, Vec<Owner>)> {
        if self.off {
            return Vec::new();
        }
        self.known
            .iter()
            .map(|(&address, (size, owners))| {
                let left = owners
                    .iter()
                    .filter(|o| !self.kills.iter().any(|k| k.ends(o)))
                    .cloned()
                    .collect::<Vec<_>>();
                (address, *size, left)
            })
            .filter(|(_, _, left)| !left.is_empty())
            .collect()
    }

    /// The open transaction unlinked `path`.
    pub(crate) fn kill_under(&mut self, path: &str) {
        if !self.off {
            self.kills.push(Kill::Under(canonical(path)));
        }
    }

    /// The collections (address, size) that no owner references once the open
    /// transaction commits.
    pub(crate) fn dead(&self) -> Vec<(u64, u64)> {
        if self.off || self.kills.is_empty() {
            return Vec::new();
        }
        self.known
            .iter()
            .filter(|(_, (_, owners))| owners.iter().all(|o| self.kills.iter().any(|k| k.ends(o))))
            .map(|(&address, &(size, _))| (address, size))
            .collect()
    }

    /// The open transaction is durable: its kills hold, and the collections it made
    /// (with their owners; `None` when some object's owner is unknown) join the record.
    pub(crate) fn committed(&mut self, created: Created) {
        let kills = std::mem::take(&mut self.kills);
        if self.off {
            return;
        }
        self.known.retain(|_, (_, owners)| {
            owners.retain(|o| !kills.iter().any(|k| k.ends(o)));
            !owners.is_empty()
        });
        for (address, size, owners) in created {
            if let Some(owners) = owners {
                self.known.insert(address, (size, owners));
            }
        }
    }

    /// The open transaction is dropped.
    pub(crate) fn rolled_back(&mut self) {
        self.kills.clear();
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn set(owners: &[Owner]) -> BTreeSet<Owner> {
        owners.iter().cloned().collect()
    }

    #[test]
    fn a_collection_dies_with_its_last_owner() {
        let stamp = Owner::Attr("/".into(), "last_modified".into());
        let genes = Owner::Data("/row_attrs/Gene".into());
        let mut r = HeapOwners::new(Owners::from([
            (4096, (4096, set(&[stamp.clone(), genes.clone()]))),
            (8192, (4096, set(std::slice::from_ref(&stamp)))),
        ]));
        r.kill_attr("/", "last_modified");
        assert_eq!(r.dead(), vec![(8192, 4096)]);
        r.committed(vec![(12288, 4096, Some(set(std::slice::from_ref(&stamp))))]);
        assert_eq!(r.known.len(), 2);
        r.kill_under("row_attrs/");
        assert_eq!(r.dead(), vec![(4096, 4096)]);
        r.rolled_back();
        assert_eq!(r.dead(), vec![]);
        r.kill_under("/row_attrs/Gene");
        r.committed(vec![(16384, 4096, None)]);
        assert_eq!(r.known.keys().copied().collect::<Vec<_>>(), vec![12288]);
    }

    #[test]
    fn unlinking_a_path_ends_only_what_is_below_it() {
        let k = Kill::Under("/row_attrs/a".into());
        assert!(k.ends(&Owner::Data("/row_attrs/a".into())));
        assert!(k.ends(&Owner::Attr("/row_attrs/a/x".into(), "n".into())));
        assert!(!k.ends(&Owner::Data("/row_attrs/ab".into())));
        assert!(Kill::Under("/".into()).ends(&Owner::Data("/x".into())));
        assert!(!Kill::Under("/".into()).ends(&Owner::Shared));
        assert_eq!(canonical("row_attrs//a/./"), "/row_attrs/a");
        assert_eq!(canonical("/"), "/");
    }

    #[test]
    fn an_off_record_frees_nothing() {
        let mut r = HeapOwners::new(Owners::from([(
            4096,
            (4096, set(&[Owner::Data("/a".into())])),
        )]));
        r.disable();
        r.kill_under("/a");
        assert_eq!(r.dead(), vec![]);
        let mut off = HeapOwners::off();
        off.kill_under("/");
        off.committed(vec![(1, 4096, Some(set(&[Owner::Data("/b".into())])))]);
        assert!(off.known.is_empty());
    }
}
