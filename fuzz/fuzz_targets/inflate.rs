//! Any bytes as a zlib stream (or compressed into one first, perhaps with a bit
//! flipped): hdf5-lite's inflater must agree with zlib-rs's (see `loom_fuzz::inflate`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| loom_fuzz::inflate(data));
