//! loom-core
