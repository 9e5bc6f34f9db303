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

mod connection;
mod error;
mod graphs;
pub mod timestamp;
mod validate;

#[cfg(unix)]
pub use connection::{connect, new};
pub use connection::{new_in, LoomConnection, Mode, SPEC_VERSION};
pub use error::{LoomError, Result};
pub use graphs::{GraphManager, GraphManagerMut};
pub use validate::{LoomValidator, Strictness};
