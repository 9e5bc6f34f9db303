//! Compacting at close: the objects at the end of the file move down into the holes
//! below, so that the end of file comes down to about the size of the live contents.
//!
//! Copy-on-write leaves holes: a commit's new structures cannot go where the durable
//! superblock still points, so what the last commits of a session release stays free
//! inside the file, and on small files that is a large part of it. When at least an
//! eighth of a file is free at close, the writer picks the lowest boundary below which
//! the free space can take every extent above it (with room to spare), and runs one
//! more commit that rewrites what lies above the boundary: the objects whose header,
//! heaps or B-tree nodes are there (and the groups above them), their chunks or data
//! blocks there (copied byte for byte), and the global heap collections there (their
//! strings move to a new collection). Allocation takes the lowest hole that fits. The
//! commit is the ordinary one: the new structures go to free space only, the superblock
//! is written last, and the file is cut to the new, lower end of file only once that
//! superblock is durable. If the rewrite would not lower the end of file, nothing is
//! committed and the file stays as the session left it.
//!
//! The cost is bounded by the free space: at most about as many bytes move as are
//! free, that is as the session itself wrote. Files the walk of the live objects does
//! not fully understand are not compacted.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use crate::error::Result;
use crate::format::Allocate;
use crate::read::live::{live_objects, Live};
use crate::read::File;
use crate::write::heap_owners::Owner;
use crate::write::tree::{DataStorage, DatasetNode};
use crate::write::{Space, Writer, SUPERBLOCK_SIZE};

/// Compact when at least 1/DEAD of the file is free, and only if that lowers the end
/// of file by at least 1/DEAD/2 of it.
const DEAD: u64 = 8;

/// At most this many compacting commits at one close: each one's holes (below the
/// boundary, where what moved did not fill them) may let the next go lower.
const ROUNDS: usize = 4;

/// The room to spare below a boundary, as a fraction of what moves there, tried in
/// turn when what moved did not fit the holes' shapes (the commit would not have
/// lowered the end of file).
const SPARE: [(u64, u64); 3] = [(0, 1), (1, 8), (1, 2)];

/// Holes shorter than this are not boundaries worth trying.
const MIN_GAP: u64 = 64;

/// At most this many boundaries are tried.
const TRIES: usize = 256;

/// What one boundary would move: the objects to rewrite, and the bytes to place below
/// the boundary.
struct Moves {
    objects: Vec<usize>,
    bytes: u64,
}

/// The objects of `live` that a boundary at `b` rewrites, and how many bytes that puts
/// below `b`: the own structures of the objects with an extent above `b`, of the
/// objects whose strings are in a collection above `b`, and of the groups above them;
/// their data above `b`; the collections above `b`.
fn moves(live: &Live, tree: &Tree, b: u64) -> Moves {
    let high = |&(at, len): &(u64, u64)| at + len > b;
    let mut marked = vec![false; live.objects.len()];
    let mut mark = |i: usize| {
        let mut at = Some(i);
        while let Some(j) = at.filter(|&j| !marked[j]) {
            marked[j] = true;
            at = tree.parents[j];
        }
    };
    let mut bytes = 0;
    for (i, o) in live.objects.iter().enumerate() {
        let data: u64 = live.extents[o.data.clone()]
            .iter()
            .filter(|e| high(e))
            .map(|e| e.1)
            .sum();
        if data > 0 || live.extents[o.own.clone()].iter().any(high) {
            bytes += data;
            mark(i);
        }
    }
    for &(at, len) in &live.extents[live.heap_start..] {
        if high(&(at, len)) {
            bytes += len;
            for owner in live.owners.get(&at).into_iter().flat_map(|o| &o.1) {
                let path = match owner {
                    Owner::Data(p) | Owner::Attr(p, _) => p.as_str(),
                    Owner::Shared => continue,
                };
                if let Some(&i) = tree.index.get(path) {
                    mark(i);
                }
            }
        }
    }
    let objects: Vec<usize> = (0..marked.len()).filter(|&i| marked[i]).collect();
    for &i in &objects {
        bytes += live.extents[live.objects[i].own.clone()]
            .iter()
            .map(|e| e.1)
            .sum::<u64>();
    }
    Moves { objects, bytes }
}

/// The objects of a walk by path, and each one's parent group.
struct Tree<'a> {
    index: HashMap<&'a str, usize>,
    parents: Vec<Option<usize>>,
}

impl<'a> Tree<'a> {
    fn new(live: &'a Live) -> Self {
        let index: HashMap<&str, usize> = live
            .objects
            .iter()
            .enumerate()
            .map(|(i, o)| (o.path.as_str(), i))
            .collect();
        let parents = live
            .objects
            .iter()
            .map(|o| {
                let parent = match o.path.rfind('/') {
                    Some(0) if o.path.len() > 1 => "/",
                    Some(0) | None => return None,
                    Some(k) => &o.path[..k],
                };
                index.get(parent).copied()
            })
            .collect();
        Tree { index, parents }
    }
}

/// Copies every chunk (or the data block) of `node` that ends above `b` to space the
/// allocator hands out, and points the node at the copy; a kept chunk index with a
/// node above `b` is rebuilt.
fn move_data(node: &mut DatasetNode, space: &mut Space<'_>, b: u64) -> Result<()> {
    if let Some(kept) = node.kept_index.take() {
        if kept.extents.iter().any(|&(at, len)| at + len > b) {
            for &(at, len) in &kept.extents {
                space.alloc.release(at, len);
            }
        } else {
            node.kept_index = Some(kept);
        }
    }
    let mut relocate = |address: &mut u64, size: u64| -> Result<()> {
        if *address + size <= b {
            return Ok(());
        }
        let bytes = space.get_vec(*address, size)?;
        let to = space.alloc.allocate(size);
        space.put(to, &bytes)?;
        space.alloc.release(*address, size);
        *address = to;
        Ok(())
    };
    match &mut node.data {
        DataStorage::Chunked { records, .. } => {
            records.for_each_address_mut(&mut relocate)?;
        }
        DataStorage::Contiguous {
            address,
            size,
            fresh,
        } => {
            if *address != crate::format::UNDEF && *address + *size > b {
                relocate(address, *size)?;
                *fresh = true;
            }
        }
        DataStorage::Compact(_) => {}
    }
    Ok(())
}

impl Writer {
    /// Compacts the committed file when enough of it is free (see the module
    /// documentation). Compacting is best effort: the session's edits are committed
    /// already, so a failure (a full disk, a structure the writer does not edit) leaves
    /// the file as the last commit left it, and is not reported.
    pub(super) fn compact(&mut self) {
        for _ in 0..ROUNDS {
            let before = self.committed_eof();
            for spare in SPARE {
                if self.compact_once(spare).is_err() {
                    return;
                }
                if self.committed_eof() < before {
                    break;
                }
            }
            if self.committed_eof() >= before {
                break;
            }
        }
    }

    fn committed_eof(&self) -> u64 {
        self.committed
            .as_ref()
            .map_or(0, |f| f.superblock().eof_address)
    }

    /// One compacting commit, when it is worth it, with `spare` (a fraction) of what
    /// moves free below the boundary besides.
    fn compact_once(&mut self, spare: (u64, u64)) -> Result<()> {
        if self.root.is_some() || self.aborted.is_some() {
            return Ok(());
        }
        let Some(file) = self.committed.clone() else {
            return Ok(());
        };
        let eof = file.superblock().eof_address;
        // The allocator knows the free space (what this writer's commits released, and
        // what the walk at its first edit found), so a file with too little of it free
        // is not walked: the walk visits every chunk record, ~1 s on a 250k-chunk file.
        if self.alloc.free_below(eof) * DEAD < eof {
            return Ok(());
        }
        let root = file.superblock().root_object_header;
        let Some(live) = live_objects(&file, root)? else {
            return Ok(());
        };
        let used = SUPERBLOCK_SIZE + live.extents.iter().map(|e| e.1).sum::<u64>();
        if eof.saturating_sub(used) * DEAD < eof {
            return Ok(());
        }
        // Collections whose strings cannot move (a large string dataset, an object
        // with several links) stay where they are: the boundary is above them.
        // Each owner is judged once: a dataset of strings has them in many collections.
        let mut floor = 0;
        let mut verdicts: BTreeMap<Owner, bool> = BTreeMap::new();
        for &(address, size) in &live.extents[live.heap_start..] {
            let owners = live.owners.get(&address).map(|o| &o.1);
            let mut movable = owners.is_some_and(|o| !o.is_empty());
            for owner in owners.into_iter().flatten() {
                if !movable {
                    break;
                }
                movable = match verdicts.get(owner) {
                    Some(&v) => v,
                    None => {
                        let v = self.movable(&file, owner)?;
                        verdicts.insert(owner.clone(), v);
                        v
                    }
                };
            }
            if !movable {
                floor = floor.max(address + size);
            }
        }
        let tree = Tree::new(&live);
        let Some((b, limit)) = self.boundary(&live, &tree, (floor, eof), spare) else {
            return Ok(());
        };
        let plan = moves(&live, &tree, b);
        self.alloc.set_below(Some(limit));
        self.shrink_below = Some(eof);
        let result = self.move_above(&file, &live, &plan, b).and_then(|moved| {
            if moved {
                self.dirty = true;
                self.commit()
            } else {
                Ok(())
            }
        });
        self.alloc.set_below(None);
        self.shrink_below = None;
        if result.is_err() && self.aborted.is_none() {
            self.rollback();
        }
        result
    }

    /// The boundary to compact at, and the address below which what moves is placed:
    /// what lies above the boundary moves into the free space below the first live
    /// extent above it (so into the holes below the boundary, or into the hole right
    /// above it), which must take it with `spare` of it to spare for the holes' shapes.
    /// Of the boundaries tried (the ends of live extents followed by a hole, the `TRIES`
    /// with the largest holes on a large file; and ends above the live size, with
    /// everything placed below them; none below `floor`), the one with the lowest end
    /// of file after, if that lowers the end of file enough.
    fn boundary(
        &self,
        live: &Live,
        tree: &Tree,
        (floor, eof): (u64, u64),
        (num, den): (u64, u64),
    ) -> Option<(u64, u64)> {
        let mut extents: Vec<(u64, u64)> = live.extents.iter().map(|&(a, l)| (a, a + l)).collect();
        extents.push((0, SUPERBLOCK_SIZE));
        extents.sort_unstable();
        // (hole length, boundary, start of the next live extent)
        let mut gaps: Vec<(u64, u64, u64)> = Vec::new();
        let mut end = 0;
        for &(start, stop) in &extents {
            if start >= end + MIN_GAP && end >= floor {
                gaps.push((start - end, end, start));
            }
            end = end.max(stop);
        }
        if gaps.len() > TRIES {
            gaps.sort_unstable_by_key(|g| std::cmp::Reverse(g.0));
            gaps.truncate(TRIES);
        }
        // Besides, boundaries that take everything above them below them: an even
        // sample of the ends of live extents above the live size.
        let used = SUPERBLOCK_SIZE + live.extents.iter().map(|e| e.1).sum::<u64>();
        let mut ends: Vec<u64> = extents.iter().map(|e| e.1).collect();
        ends.retain(|&e| e >= used.max(floor) && e < eof);
        ends.sort_unstable();
        ends.dedup();
        let step = ends.len().div_ceil(TRIES).max(1);
        let below = ends.into_iter().step_by(step).map(|b| (0, b, b));
        let free = self.alloc.totals();
        let (after, b, limit) = gaps
            .into_iter()
            .chain(below)
            .filter_map(|(_, b, limit)| {
                let need = moves(live, tree, b).bytes;
                let room = free.below(limit);
                (room >= need + need * num / den)
                    .then(|| (b + need.saturating_sub(free.below(b)), b, limit))
            })
            .min()?;
        ((eof - after.min(eof)) * DEAD * 2 >= eof).then_some((b, limit))
    }

    /// Stages the rewrite of everything above `b`; false (nothing worth committing)
    /// when a collection there has an owner whose strings cannot move.
    fn move_above(&mut self, file: &File, live: &Live, plan: &Moves, b: u64) -> Result<bool> {
        self.check_unchanged()?;
        let mut moved = BTreeSet::new();
        for &(address, size) in &live.extents[live.heap_start..] {
            if address + size <= b {
                continue;
            }
            let Some((_, owners)) = live.owners.get(&address) else {
                self.rollback();
                return Ok(false);
            };
            let owners: Vec<_> = owners.iter().cloned().collect();
            if !self.rehome_all(file, &owners, &mut moved)? {
                self.rollback();
                return Ok(false);
            }
            // Every reference into it was found by the walk and has moved.
            self.alloc.release(address, size);
        }
        for &i in &plan.objects {
            let o = &live.objects[i];
            if o.data.is_empty() {
                self.node(&o.path)?;
            } else {
                let (node, mut space) = self.dataset_and_space(&o.path)?;
                move_data(node, &mut space, b)?;
            }
        }
        Ok(true)
    }
}
