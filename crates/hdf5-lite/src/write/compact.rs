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

use crate::error::{Error, Result};
use crate::format::Allocate;
use crate::read::live::{live_objects, Live};
use crate::read::File;
use crate::write::chunk_store::ChunkStore;
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
    match &mut node.data {
        DataStorage::Chunked { records, .. } => move_chunks(records, space, b)?,
        DataStorage::Contiguous {
            address,
            size,
            fresh,
        } => {
            if *address != crate::format::UNDEF && *address + *size > b {
                let bytes = space.get_vec(*address, *size)?;
                let to = space.alloc.allocate(*size);
                space.put(to, &bytes)?;
                space.alloc.release(*address, *size);
                *address = to;
                *fresh = true;
            }
        }
        DataStorage::Compact(_) => {}
    }
    Ok(())
}

/// Copies every chunk of `records` that ends above `b` to space the allocator hands
/// out, and points its record at the copy. The new places are taken in chunk order,
/// each chunk's old place released right after, as when one chunk moves at a time; the
/// bytes then move in steps of about `COPY_BYTES`, each step's chunks read (adjacent
/// ones in one read) before any is written (adjacent new places in one write). A new
/// place can only be the old place of a chunk moved before it, whose bytes were read
/// in the same step or an earlier one.
fn move_chunks(records: &mut ChunkStore, space: &mut Space<'_>, b: u64) -> Result<()> {
    // (old address, size, new address), in chunk order.
    let mut moves: Vec<(u64, u64, u64)> = Vec::new();
    for extent in records.extents() {
        let (address, size) = extent?;
        if address + size > b {
            let to = space.alloc.allocate(size);
            space.alloc.release(address, size);
            moves.push((address, size, to));
        }
    }
    let mut bufs = (Vec::new(), Vec::new());
    let mut rest = &moves[..];
    while !rest.is_empty() {
        let mut bytes = 0;
        let count = rest
            .iter()
            .take_while(|m| {
                let first = bytes == 0;
                bytes += m.1;
                first || bytes <= COPY_BYTES
            })
            .count();
        copy_step(space, &rest[..count], &mut bufs)?;
        rest = &rest[count..];
    }
    let mut next = moves.iter();
    records.for_each_address_mut(|address, size| {
        if *address + size > b {
            match next.next() {
                Some(&(from, _, to)) if from == *address => *address = to,
                _ => {
                    return Err(Error::InvalidInput(
                        "the chunk records changed while their chunks moved".into(),
                    ))
                }
            }
        }
        Ok(())
    })
}

/// Bytes of chunks one step of [`move_chunks`] copies (at least one chunk).
const COPY_BYTES: u64 = 8 << 20;

/// Copies the chunks of `step`, (old address, size, new address) each: all are read
/// into `read` (in address order, adjacent ones in one read), then gathered into
/// `write` in the order of their new places, written adjacent ones in one write.
fn copy_step(
    space: &Space<'_>,
    step: &[(u64, u64, u64)],
    (read, write): &mut (Vec<u8>, Vec<u8>),
) -> Result<()> {
    let len = |size: u64| {
        usize::try_from(size).map_err(|_| Error::TooLarge {
            what: "stored chunk",
            size: u128::from(size),
        })
    };
    let mut order: Vec<usize> = (0..step.len()).collect();
    order.sort_unstable_by_key(|&i| step[i].0);
    // Where each chunk is in `read`.
    let mut place = vec![0usize; step.len()];
    let mut total = 0usize;
    for &i in &order {
        place[i] = total;
        total = total.checked_add(len(step[i].1)?).ok_or(Error::TooLarge {
            what: "stored chunks",
            size: u128::MAX,
        })?;
    }
    // Every chunk inside the file (its length asked once) before the buffer is sized
    // from their sizes.
    let end = space.storage.current_len();
    for &(address, size, _) in step {
        super::within(address, size, end)?;
    }
    read.resize(total, 0);
    for run in runs(&order, |i| (step[i].0, step[i].1), 1) {
        let (address, size) = (step[run[0]].0, run_size(step, run));
        let at = place[run[0]];
        space.get(address, &mut read[at..at + len(size)?])?;
    }
    order.sort_unstable_by_key(|&i| step[i].2);
    for run in runs(&order, |i| (step[i].2, step[i].1), ALIGN) {
        let start = step[run[0]].2;
        let end = run.iter().map(|&i| step[i].2 + step[i].1).max();
        let span = end.unwrap_or(start) - start;
        write.clear();
        write.resize(len(span)?, 0);
        if run_size(step, run) < span {
            // The padding between new places keeps the bytes it holds (none past the
            // end of the file, where a write leaves zeros).
            let held = space.storage.current_len().saturating_sub(start).min(span);
            space.get(start, &mut write[..len(held)?])?;
        }
        for &i in run {
            let (at, to) = (place[i], len(step[i].2 - start)?);
            let size = len(step[i].1)?;
            write[to..to + size].copy_from_slice(&read[at..at + size]);
        }
        space.put(start, write)?;
    }
    Ok(())
}

/// New places are 8-byte aligned: places this close are one write, padding included.
const ALIGN: u64 = 8;

/// The runs of `order` whose extents (`extent(i)`: address, size) each begin less than
/// `gap` bytes after the one before ends (1: right after it).
fn runs<'a>(
    order: &'a [usize],
    extent: impl Fn(usize) -> (u64, u64) + 'a,
    gap: u64,
) -> impl Iterator<Item = &'a [usize]> + 'a {
    order.chunk_by(move |&i, &j| {
        let (a, n) = extent(i);
        a.checked_add(n)
            .is_some_and(|end| (end..end.saturating_add(gap)).contains(&extent(j).0))
    })
}

/// The bytes of a run of chunks of `step`.
fn run_size(step: &[(u64, u64, u64)], run: &[usize]) -> u64 {
    run.iter().map(|&i| step[i].1).sum()
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

#[cfg(test)]
mod tests {
    use crate::write::free_space::FreeSpace;
    use crate::write::vlen::OpenHeap;
    use crate::write::{MemFile, Space, StorageMut};

    /// A step's chunks are all read before any is written: a new place that is the old
    /// place of a chunk moved before it gets that chunk's successor's bytes, not its
    /// own; adjacent old and new places go in one read and one write.
    #[test]
    fn a_step_reads_every_chunk_before_writing() {
        let mem = MemFile::new();
        mem.write_all_at(0, &(0u8..100).collect::<Vec<u8>>())
            .unwrap();
        let (mut alloc, mut heap) = (FreeSpace::new(100), OpenHeap::default());
        let space = Space::new(&mem, &mut alloc, &mut heap, (16, 16, 32));
        // 10..15 moves to 50; 15..20 to where 10..15 was; 30..35 to where 15..20 was.
        let step = [(10, 5, 50), (15, 5, 10), (30, 5, 15)];
        super::copy_step(&space, &step, &mut (Vec::new(), Vec::new())).unwrap();
        let bytes = mem.to_bytes();
        assert_eq!(bytes[50..55], [10, 11, 12, 13, 14]);
        assert_eq!(bytes[10..20], [15, 16, 17, 18, 19, 30, 31, 32, 33, 34]);
        // New places 1..7 bytes apart are one write that keeps the padding's bytes, and
        // leaves zeros in padding past the end of the file.
        let step = [(0, 3, 20), (5, 2, 32), (90, 6, 24), (3, 2, 104)];
        super::copy_step(&space, &step, &mut (Vec::new(), Vec::new())).unwrap();
        let bytes = mem.to_bytes();
        assert_eq!(
            bytes[20..36],
            [0, 1, 2, 23, 90, 91, 92, 93, 94, 95, 30, 31, 5, 6, 34, 35]
        );
        assert_eq!(bytes[96..], [96, 97, 98, 99, 0, 0, 0, 0, 3, 4]);
        // A chunk past the end of the file is an error, before anything is written.
        let step = [(10, 5, 60), (104, 5, 70)];
        assert!(super::copy_step(&space, &step, &mut (Vec::new(), Vec::new())).is_err());
        assert_eq!(mem.to_bytes()[60..65], [60, 61, 62, 63, 64]);
    }
}
