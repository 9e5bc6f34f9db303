//! loom-core: the loompy API for `.loom` files, in pure Rust.
//!
//! A loompy user finds each concept under its own name: [`connect`], [`new`],
//! [`LoomConnection`] and its shape, layers, row and column attributes, global attributes,
//! graphs and views, and the [`LoomValidator`].
//!
//! ```no_run
//! use loom_core::{connect, Mode};
//!
//! let ds = connect("cells.loom", Mode::Read)?;
//! let (genes, cells) = ds.shape();
//! println!("{genes} genes x {cells} cells, spec {}", ds.spec_version());
//! # Ok::<(), loom_core::LoomError>(())
//! ```

mod attrs;
mod axis;
mod compound;
mod connection;
mod create;
mod error;
mod global_attrs;
mod graphs;
mod layer_input;
mod layers;
mod layers_write;
pub mod layout;
mod matrix_io;
pub mod ops;
mod prefetch;
mod progress;
mod selection;
mod sparse;
pub mod strings;
pub mod timestamp;
mod transaction;
mod validate;
mod values;
mod values_ops;
mod view;
mod windows;

/// The HDF5 layer under loom-core (for raw access through [`LoomConnection::hdf5`]).
pub use hdf5_lite;
/// Names loom-core's signatures use, so that depending on loom-core alone is enough:
/// element types of layers ([`Numeric`]: `i8`…`u64`, `f32`, `f64`), stored types
/// ([`Datatype`]), HDF5 objects ([`Dataset`], [`File`]) and storages ([`MemFile`],
/// [`StorageMut`]) for files in memory.
pub use hdf5_lite::format::messages::Datatype;
pub use hdf5_lite::read::{Dataset, File, Numeric};
pub use hdf5_lite::write::{MemFile, StorageMut};
/// The array crate loom-core's signatures use (`Array2`, `ArrayView2`, `ArrayD`).
pub use ndarray;
/// The sparse-matrix crate loom-core's signatures use (`CsMat`, `TriMat`).
pub use sprs;

pub use attrs::{guess_chunk, AttrInfo, Attrs, AttrsMut};
pub use axis::Axis;
pub use connection::{connect, new};
pub use connection::{new_in, LoomConnection, Mode};
pub use create::{create, create_with};
pub use create::{create_in, create_in_with, CreateOptions};
pub use error::{LoomError, Result};
pub use global_attrs::{Changes, GlobalAttrs, GlobalAttrsMut};
pub use graphs::{GraphManager, GraphManagerMut};
pub use hdf5_lite::FileOptions;
pub use layer_input::LayerInput;
pub use layers::{dtype_name, parse_dtype, LayerOptions, Layers};
pub use layers_write::LayersMut;
pub use layout::SPEC_VERSION;
pub use progress::Progress;
pub use selection::Selection;
pub use sparse::ColumnNonzeros;
pub use validate::{LoomValidator, Strictness};
pub use values::{AttrValues, Dtype};
pub use view::{LoomView, ViewLayer};
pub use windows::{AxisWindows, DEFAULT_BUDGET};

/// The README's Rust examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
struct ReadmeDoctests;
