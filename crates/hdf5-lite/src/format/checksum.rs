//! Checksums: Jenkins lookup3 `hashlittle` (spec I.F, used by every version 2 structure)
//! and Fletcher-32 (the H5Z fletcher32 filter).

/// lookup3 `hashlittle(data, initval)`.
pub fn lookup3(data: &[u8], initval: u32) -> u32 {
    let _ = (data, initval);
    0
}

/// Fletcher-32 as libhdf5 computes it (16-bit words read big-endian, an odd tail byte
/// shifted left by 8).
pub fn fletcher32(data: &[u8]) -> u32 {
    let _ = data;
    0
}
