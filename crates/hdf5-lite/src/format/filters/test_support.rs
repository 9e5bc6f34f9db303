//! Helpers the filters' tests share: pipelines from (id, client value) pairs, zlib
//! streams made by flate2, and repeatable noise.

use std::io::Write;

use crate::format::messages::{Filter, FilterPipeline};

/// A pipeline of these filters, each with one client value, in the order given.
pub(super) fn pipeline(filters: &[(u16, u32)]) -> FilterPipeline {
    FilterPipeline {
        filters: filters
            .iter()
            .map(|&(id, cd)| Filter {
                id,
                name: None,
                flags: 0,
                client_data: vec![cd],
            })
            .collect(),
    }
}

/// `data` as a zlib stream (flate2, level 6).
pub(super) fn zlib(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::new(6));
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

/// `n` bytes of xorshift noise from `seed`: incompressible and the same on every run.
pub(super) fn xorshift(seed: u64, n: usize) -> Vec<u8> {
    let mut x = seed | 1;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}
