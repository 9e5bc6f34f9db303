//! Tests of the leaf index and its bounded cache: lookups in random orders, with caches
//! from none to unbounded, give what filtering a full walk gives; the cache serves
//! repeated windows; damaged or reordered trees give typed errors.

use super::*;
use crate::format::btree_v1::{chunk_records, encode_chunk_node, ChunkKey, NodeLinks};
use crate::format::chunk_index::testutil::Image;
use crate::format::{Allocate, UNDEF};
use crate::write::chunk_btree::build_chunk_btree;

const CHUNK: [u64; 2] = [2, 3];
/// The chunk grid: rows x columns.
const GRID: (u64, u64) = (23, 17);

/// Hands out space after everything the tests put below it.
struct Bump(u64);

impl Allocate for Bump {
    fn allocate(&mut self, size: u64) -> u64 {
        let at = self.0;
        self.0 += size.div_ceil(8) * 8;
        at
    }
}

/// A chunk B-tree with K = 2 (leaves of up to 4 chunks, four levels) over [`GRID`]
/// with every chunk whose coordinates hit `(r * 5 + c) % 7 == 3` missing; returns the
/// image, the root and the records in C order.
fn tree() -> (Image, u64, Vec<ChunkRecord>) {
    tree_of(GRID)
}

/// [`tree`] over a grid of `rows` x `cols` chunks.
fn tree_of((rows, cols): (u64, u64)) -> (Image, u64, Vec<ChunkRecord>) {
    let records: Vec<ChunkRecord> = (0..rows)
        .flat_map(|r| (0..cols).map(move |c| (r, c)))
        .filter(|&(r, c)| (r * 5 + c) % 7 != 3)
        .map(|(r, c)| ChunkRecord {
            offset: vec![r * CHUNK[0], c * CHUNK[1]],
            address: 100_000 + 10 * (r * cols + c),
            size: 9 + r,
            filter_mask: (c % 2) as u32,
        })
        .collect();
    let mut img = Image::default();
    let mut alloc = Bump(8);
    let root = build_chunk_btree(
        records.clone(),
        records.len(),
        &CHUNK,
        4,
        2,
        &mut alloc,
        &mut |b| {
            img.put(b.address, &b.bytes);
            Ok(())
        },
    )
    .unwrap();
    (img, root, records)
}

/// A small xorshift generator: the same "random" orders on every run.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n.max(1)
    }

    /// A non-empty range or sorted list of chunk coordinates below `n`.
    fn set(&mut self, n: u64) -> ChunkSet {
        if self.below(3) == 0 {
            let mut v: Vec<u64> = (0..1 + self.below(6)).map(|_| self.below(n)).collect();
            v.sort_unstable();
            v.dedup();
            ChunkSet::List(v)
        } else {
            let lo = self.below(n);
            ChunkSet::Range(lo, lo + 1 + self.below(n - lo))
        }
    }
}

/// What a lookup of `sets` must give: the walked records inside them, in C order.
fn expected(all: &[ChunkRecord], sets: &[ChunkSet]) -> Vec<ChunkRecord> {
    all.iter()
        .filter(|r| (0..2).all(|d| sets[d].contains(r.offset[d] / CHUNK[d])))
        .cloned()
        .collect()
}

/// Bytes one cached leaf of a full (4-chunk) leaf takes.
fn leaf_bytes() -> usize {
    4 * 36 + LEAF_OVERHEAD
}

#[test]
fn lookups_in_random_orders_equal_the_walk() {
    let (img, root, records) = tree();
    let ctx = img.ctx();
    assert_eq!(chunk_records(&ctx, root, 2).unwrap(), records);
    for cap in [0, leaf_bytes(), 5 * leaf_bytes(), usize::MAX] {
        let index = LeafIndex::list(&ctx, root, &CHUNK, cap).unwrap();
        assert_eq!(index.nodes.len(), records.len().div_ceil(4));
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ cap as u64);
        for k in 0..400 {
            let sets = [rng.set(GRID.0), rng.set(GRID.1)];
            let got = index.needed(&ctx, &sets, &CHUNK).unwrap();
            assert_eq!(
                got,
                expected(&records, &sets),
                "cap {cap}, lookup {k}: {sets:?}"
            );
            assert!(index.cached_bytes() <= cap, "cap {cap}");
        }
    }
}

#[test]
fn more_grid_rows_than_leaves_and_the_whole_grid() {
    // A tall, narrow grid: 40 rows, 26 leaves.
    let (img, root, records) = tree_of((40, 3));
    let ctx = img.ctx();
    let index = LeafIndex::list(&ctx, root, &CHUNK, 3 * leaf_bytes()).unwrap();
    let mut rng = Rng(7);
    for _ in 0..100 {
        let sets = [ChunkSet::Range(0, 40), rng.set(3)];
        assert!(grid_rows(&sets) >= index.nodes.len() as u128);
        assert_eq!(
            index.needed(&ctx, &sets, &CHUNK).unwrap(),
            expected(&records, &sets)
        );
    }
    let (img, root, records) = tree();
    let ctx = img.ctx();
    let index = LeafIndex::list(&ctx, root, &CHUNK, 3 * leaf_bytes()).unwrap();
    let whole = [ChunkSet::Range(0, GRID.0), ChunkSet::Range(0, GRID.1)];
    assert_eq!(index.needed(&ctx, &whole, &CHUNK).unwrap(), records);
    // Coordinates past the grid find nothing.
    let past = [ChunkSet::Range(GRID.0, GRID.0 + 3), ChunkSet::Range(0, 2)];
    assert!(index.needed(&ctx, &past, &CHUNK).unwrap().is_empty());
}

/// The image with every byte of every leaf zeroed: a lookup served from the file fails.
fn without_leaves(img: &Image, index: &LeafIndex) -> Image {
    let mut broken = Image(img.0.clone());
    for &leaf in &index.nodes {
        broken.put(leaf, &[0; 24]);
    }
    broken
}

#[test]
fn band_windows_are_served_from_the_cache() {
    let (img, root, records) = tree();
    let ctx = img.ctx();
    let band = |c: u64| [ChunkSet::Range(0, GRID.0), ChunkSet::Range(c, c + 1)];

    // Room for every leaf of the band: its later windows read no leaf from the file.
    let index = LeafIndex::list(&ctx, root, &CHUNK, usize::MAX).unwrap();
    let broken = without_leaves(&img, &index).ctx();
    let wide = [ChunkSet::Range(0, GRID.0), ChunkSet::Range(5, 8)];
    index.needed(&ctx, &wide, &CHUNK).unwrap();
    for c in [5, 6, 7, 5] {
        let got = index.needed(&broken, &band(c), &CHUNK).unwrap();
        assert_eq!(got, expected(&records, &band(c)), "column {c}");
    }
    // Another band's leaves are not cached.
    let err = index.needed(&broken, &band(12), &CHUNK).unwrap_err();
    assert!(matches!(err, Error::Corrupt { .. }), "{err}");

    // Room for three leaves of the band's 23: the first three stay, the others are
    // used without being kept, and the three still serve the next window.
    let index = LeafIndex::list(&ctx, root, &CHUNK, 3 * leaf_bytes()).unwrap();
    index.needed(&ctx, &band(5), &CHUNK).unwrap();
    index.needed(&ctx, &band(5), &CHUNK).unwrap();
    assert!(index.cached_bytes() <= 3 * leaf_bytes());
    let top = [ChunkSet::Range(0, 3), ChunkSet::Range(5, 6)];
    let got = index.needed(&broken, &top, &CHUNK).unwrap();
    assert_eq!(got, expected(&records, &top));
    let err = index.needed(&broken, &band(5), &CHUNK).unwrap_err();
    assert!(matches!(err, Error::Corrupt { .. }), "{err}");
}

#[test]
fn a_leaf_changed_since_listing_is_a_typed_error() {
    let (img, root, _) = tree();
    let ctx = img.ctx();
    let index = LeafIndex::list(&ctx, root, &CHUNK, usize::MAX).unwrap();
    let leaf = index.nodes[7];
    let sets = [ChunkSet::Range(0, GRID.0), ChunkSet::Range(0, GRID.1)];

    // The leaf's first chunk moved to the next column.
    let mut moved = Image(img.0.clone());
    let at = leaf + 24 + 8 + 8;
    let column = u64::from_le_bytes(img.0[at as usize..at as usize + 8].try_into().unwrap());
    moved.put(at, &(column + CHUNK[1]).to_le_bytes());
    let err = index.needed(&moved.ctx(), &sets, &CHUNK).unwrap_err();
    assert!(
        matches!(err, Error::Corrupt { offset, .. } if offset == leaf),
        "{err}"
    );
    assert!(
        err.to_string().contains("differs from when it was listed"),
        "{err}"
    );

    // The leaf is no longer a leaf.
    let mut lifted = Image(img.0.clone());
    lifted.put(leaf + 5, &[1]);
    let err = index.needed(&lifted.ctx(), &sets, &CHUNK).unwrap_err();
    assert!(err.to_string().contains("level 0 was expected"), "{err}");

    // The leaf's bytes are gone from the file.
    let mut cut = Image(img.0.clone());
    cut.0.truncate(leaf as usize + 30);
    let err = index.needed(&cut.ctx(), &sets, &CHUNK).unwrap_err();
    assert!(matches!(err, Error::OutOfBounds { .. }), "{err}");
}

/// A level-1 root at 0 over leaves at 1000 and 2000 holding `left` and `right`.
fn two_leaves(left: &[[u64; 2]], right: &[[u64; 2]]) -> Image {
    let key = |o: &[u64; 2]| ChunkKey {
        size: 8,
        filter_mask: 0,
        offset: o.to_vec(),
        element_offset: 0,
    };
    let leaf = |offsets: &[[u64; 2]], end: [u64; 2]| {
        let mut keys: Vec<ChunkKey> = offsets.iter().map(key).collect();
        keys.push(key(&end));
        let children: Vec<u64> = (0..offsets.len() as u64).map(|i| 5000 + 8 * i).collect();
        let links = NodeLinks {
            level: 0,
            left: UNDEF,
            right: UNDEF,
        };
        encode_chunk_node(links, &keys, &children, 2, 2).unwrap()
    };
    let links = NodeLinks {
        level: 1,
        left: UNDEF,
        right: UNDEF,
    };
    let root_keys = [key(&left[0]), key(&right[0]), key(&[100, 0])];
    let mut img = Image::default();
    img.put(
        0,
        &encode_chunk_node(links, &root_keys, &[1000, 2000], 2, 2).unwrap(),
    );
    img.put(1000, &leaf(left, right[0]));
    img.put(2000, &leaf(right, [100, 0]));
    img.put(6000, &[0]);
    img
}

#[test]
fn listing_rejects_reordered_repeated_and_misaligned_chunks() {
    let good = two_leaves(&[[0, 0], [0, 3]], &[[2, 0], [2, 6]]);
    let index = LeafIndex::list(&good.ctx(), 0, &CHUNK, usize::MAX).unwrap();
    assert_eq!(index.nodes, [1000, 2000]);
    assert_eq!(index.first, [0, 0, 1, 0]);

    for (left, right, what) in [
        (&[[2, 0], [2, 3]], &[[0, 0], [0, 3]], "does not follow"),
        (&[[0, 0], [0, 3]], &[[0, 3], [2, 0]], "does not follow"),
        (&[[0, 3], [0, 0]], &[[2, 0], [2, 3]], "does not follow"),
        (&[[0, 0], [0, 4]], &[[2, 0], [2, 3]], "not aligned"),
    ] {
        let img = two_leaves(left, right);
        let err = LeafIndex::list(&img.ctx(), 0, &CHUNK, usize::MAX).unwrap_err();
        assert!(matches!(err, Error::Corrupt { .. }), "{err}");
        assert!(err.to_string().contains(what), "{left:?} {right:?}: {err}");
    }
}
