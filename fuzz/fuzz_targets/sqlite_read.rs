//! Any bytes as an SQLite sample database (loom-io's read-only reader): look up the
//! `sample` table and the rows of a few names. Errors are fine; panics, hangs and huge
//! allocations are findings.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    loom_fuzz::read_sqlite(data.to_vec());
});
