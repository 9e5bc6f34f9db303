//! The library behind the `loom` command, one module per command, so the test suites can
//! call each subcommand's logic directly.

pub mod aggregate;
pub mod combine;
pub mod export;
pub mod h5;
pub mod import;
pub mod info;
pub mod interrupt;
pub mod open;
pub mod output;
pub mod permute;
pub mod progress;
pub mod repack;
pub mod stats;
pub mod subset;
pub mod validate;

// musl's own malloc returns every large block to the kernel and maps it afresh on the next
// request, which doubled the CPU time of reading a matrix whole (page faults); mimalloc
// keeps them. Only the static (musl) build uses it; see the README's "Where it runs".
#[cfg(target_env = "musl")]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
