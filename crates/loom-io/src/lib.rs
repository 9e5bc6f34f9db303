//! loom-io: importers and converters for `.loom` files, streaming.
//!
//! Into loom: 10x Genomics Cell Ranger folders and `.h5` matrices ([`import_10x`]),
//! MatrixMarket ([`import_matrix_market`]), and the rest below; each writes into a new,
//! empty [`loom_core::LoomConnection`] (from [`loom_core::new`]). A matrix never sits
//! dense in memory: layers are created at full shape and filled one chunk-aligned window
//! at a time.

mod anndata;
mod error;
mod extsort;
mod h5ad_export;
mod h5ad_import;
mod h5ad_write;
pub mod metadata;
mod mtx;
mod mtx_export;
mod mtx_layers;
mod sink;
pub mod sqlite;
mod star;
mod tenx;
mod text;
mod tsv;

pub use error::{IoError, Result};
pub use h5ad_export::{export_h5ad, H5adExport};
pub use h5ad_import::{import_h5ad, H5adImport};
pub use mtx::{Entry, Field, MtxReader};
pub use mtx_export::{export_mtx, MtxExport};
pub use mtx_layers::{fill_layers, import_matrix_market, mtx_shape, MtxImport};
pub use star::{import_star, StarImport, GENE_TYPES};
pub use tenx::{import_10x, TenxImport};
pub use tsv::{import_tsv, TsvImport};
