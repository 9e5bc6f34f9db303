//! Writing: builders that lay out new HDF5 structures in file space.
pub mod chunk_btree;
pub mod group_build;
pub mod vlen;
