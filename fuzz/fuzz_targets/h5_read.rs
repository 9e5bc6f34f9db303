//! Any bytes as an HDF5 file: open it, walk every group, read every attribute and (a
//! bounded part of) every dataset. Errors are fine; panics, hangs and huge allocations
//! are findings.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(file) = hdf5_lite::read::File::from_bytes(data.to_vec()) {
        loom_fuzz::walk(&file);
    }
});
