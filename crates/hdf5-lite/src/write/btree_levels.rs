//! Building the levels of a version 1 B-tree (spec III.A.1) bottom up, for both node
//! types the writer emits: group nodes over symbol table nodes, and chunk nodes over
//! chunks.

use std::ops::Range;

use crate::error::{Error, Result};
use crate::format::btree_v1::NodeLinks;
use crate::format::{Allocate, Block, UNDEF};

/// A child of a node being built: its address and the keys on either side of it (the
/// right key of a child is the left key of the next).
#[derive(Debug, Clone)]
pub(crate) struct Child<K> {
    pub address: u64,
    pub left: K,
    pub right: K,
}

/// Splits `n` items into the fewest runs of at most `cap` items, of nearly equal
/// lengths (none when `n` is 0).
pub(crate) fn balanced_runs(n: usize, cap: usize) -> Vec<Range<usize>> {
    let cap = cap.max(1);
    let runs = n.div_ceil(cap);
    let mut out = Vec::with_capacity(runs);
    let mut start = 0;
    for i in 0..runs {
        // The first `n % runs` runs get one extra item.
        let len = n / runs + usize::from(i < n % runs);
        out.push(start..start + len);
        start += len;
    }
    out
}

/// Builds the levels over `children`, the first at `level`, with up to 2K children a
/// node, each node `node_len` bytes and encoded by `encode(links, keys, child
/// addresses)`; returns the root's address and the nodes. No children gives one empty
/// leaf holding `empty_key` alone.
pub(crate) fn build_levels<K: Clone>(
    mut children: Vec<Child<K>>,
    mut level: u8,
    k: u16,
    node_len: u64,
    empty_key: K,
    alloc: &mut dyn Allocate,
    encode: impl Fn(NodeLinks, &[K], &[u64]) -> Result<Vec<u8>>,
) -> Result<(u64, Vec<Block>)> {
    let mut blocks = Vec::new();
    loop {
        let mut runs = balanced_runs(children.len(), 2 * usize::from(k));
        if runs.is_empty() {
            runs.push(0..0);
        }
        let addresses: Vec<u64> = runs.iter().map(|_| alloc.allocate(node_len)).collect();
        let mut parents = Vec::with_capacity(runs.len());
        for (i, run) in runs.iter().enumerate() {
            let slice = children.get(run.clone()).unwrap_or(&[]);
            let left = slice
                .first()
                .map_or_else(|| empty_key.clone(), |c| c.left.clone());
            let mut keys = vec![left.clone()];
            keys.extend(slice.iter().map(|c| c.right.clone()));
            let child_addresses: Vec<u64> = slice.iter().map(|c| c.address).collect();
            let links = NodeLinks {
                level,
                left: i
                    .checked_sub(1)
                    .and_then(|j| addresses.get(j))
                    .copied()
                    .unwrap_or(UNDEF),
                right: addresses.get(i + 1).copied().unwrap_or(UNDEF),
            };
            let address = addresses.get(i).copied().unwrap_or(UNDEF);
            blocks.push(Block {
                address,
                bytes: encode(links, &keys, &child_addresses)?,
            });
            let right = keys.last().cloned().unwrap_or(left.clone());
            parents.push(Child {
                address,
                left,
                right,
            });
        }
        if let [root] = parents.as_slice() {
            return Ok((root.address, blocks));
        }
        children = parents;
        level = level
            .checked_add(1)
            .ok_or_else(|| Error::InvalidInput("writing a B-tree deeper than 255 levels".into()))?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn balanced_runs_cover_everything() {
        assert!(balanced_runs(0, 8).is_empty());
        assert_eq!(balanced_runs(8, 8), vec![0..8]);
        assert_eq!(balanced_runs(9, 8), vec![0..5, 5..9]);
        assert_eq!(balanced_runs(17, 8), vec![0..6, 6..12, 12..17]);
    }
}
