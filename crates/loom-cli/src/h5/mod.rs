//! `loom h5 …`: inspect, dump and compare any HDF5 file.

pub mod diff;
pub mod dump;
pub mod json;
pub mod ls;
