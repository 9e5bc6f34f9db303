//! Any bytes as a loom file opened read-write in memory: the first byte picks a few small
//! edits, applied one by one; the result must re-open, and if the file was valid and
//! every edit succeeded it must still be valid.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Some((&ops, file)) = data.split_first() {
        loom_fuzz::edit(ops, file.to_vec());
    }
});
