//! Any bytes as a loom file: open it without and with validation, then read every
//! layer, attribute, graph and global attribute through loom-core.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for validate in [false, true] {
        if let Ok(ds) = loom_fuzz::open(data.to_vec(), loom_core::Mode::Read, validate) {
            loom_fuzz::read_loom(&ds);
        }
    }
});
