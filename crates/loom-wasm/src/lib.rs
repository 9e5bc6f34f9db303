//! loom-rs in the browser: the page's Web Worker opens a `.loom` (or any HDF5) file
//! through byte ranges it reads on demand (a picked or dropped `File`, or a URL served
//! with range requests), so a file of any size opens without being read whole.
//!
//! Built with `web/build` (cargo for `wasm32-unknown-unknown`, then `wasm-bindgen`);
//! `web/worker.js` is the JavaScript side.

mod heatmap;
mod storage;
mod table;

use std::sync::Arc;

use hdf5_lite::write::StorageMut;
use hdf5_lite::Storage;
use loom_core::{LoomConnection, LoomValidator, Mode, Strictness};
use serde_json::{json, Value as Json};
use wasm_bindgen::prelude::*;

pub use heatmap::{heatmap, label_attr, Heatmap, Request};
pub use storage::{BlockCache, JsStorage};
pub use table::Table;

/// Storage that refuses writes: the page only reads.
#[derive(Debug)]
struct ReadOnly<S>(S);

impl<S: Storage> Storage for ReadOnly<S> {
    fn len(&self) -> u64 {
        self.0.len()
    }

    fn read_exact_at(&self, offset: u64, buf: &mut [u8]) -> std::io::Result<()> {
        self.0.read_exact_at(offset, buf)
    }

    fn slice(&self, offset: u64, len: usize) -> Option<&[u8]> {
        self.0.slice(offset, len)
    }
}

impl<S: Storage> StorageMut for ReadOnly<S> {
    fn write_all_at(&self, _offset: u64, _data: &[u8]) -> std::io::Result<()> {
        Err(std::io::ErrorKind::PermissionDenied.into())
    }

    fn sync(&self) -> std::io::Result<()> {
        Ok(())
    }

    fn current_len(&self) -> u64 {
        self.0.len()
    }
}

/// An open file, as the page sees it.
#[wasm_bindgen]
#[derive(Debug)]
pub struct Loom {
    name: String,
    ds: LoomConnection,
    tables: [Option<Table>; 2],
}

impl Loom {
    /// Opens `storage` read-only, without validating it first (the page shows the
    /// validator's verdict instead of refusing the file).
    pub fn from_storage(name: &str, storage: impl Storage + 'static) -> Result<Loom, String> {
        let storage: Arc<dyn StorageMut> = Arc::new(ReadOnly(storage));
        let ds = LoomConnection::open_in(storage, Mode::Read, false).map_err(|e| e.to_string())?;
        Ok(Loom {
            name: name.to_owned(),
            ds,
            tables: [None, None],
        })
    }

    /// What `loom info --json` prints, with the text form (`text`), the validator's
    /// verdict (`valid`, `errors`), the `h5 ls` tree (`tree`), whether the file is laid
    /// out as a loom file (`is_loom`), and the row label attribute (`label_attr`).
    pub fn describe(&self) -> Json {
        let file = &self.ds.hdf5();
        let info = loom_cli::info::describe(&self.ds);
        let mut out = match info.json {
            Json::Object(map) => map,
            _ => serde_json::Map::new(),
        };
        let mut validator = LoomValidator::new();
        let valid = validator.validate_file(file, Strictness::SpecOnly);
        let tree = match loom_cli::h5::ls::list_file(file) {
            Ok((text, _)) => text,
            Err(e) => format!("(unreadable: {e})"),
        };
        out.insert("name".into(), json!(self.name));
        out.insert("bytes".into(), json!(file.superblock().eof_address));
        out.insert(
            "text".into(),
            json!(info.text.replacen("<storage>", &self.name, 1)),
        );
        out.insert("valid".into(), json!(valid));
        out.insert("errors".into(), json!(validator.errors()));
        out.insert("tree".into(), json!(tree));
        out.insert("is_loom".into(), json!(file.dataset("/matrix").is_ok()));
        out.insert(
            "label_attr".into(),
            json!(label_attr(&self.ds).map(|(name, _)| name)),
        );
        Json::Object(out)
    }

    /// One page of the row (`axis` 0) or column (`axis` 1) attribute table; see
    /// [`Table::page`]. The table is read on first use.
    pub fn attrs_page(&mut self, axis: usize, query: &str, start: usize, count: usize) -> Json {
        let axis = axis.min(1);
        let ds = &self.ds;
        let table = self.tables[axis].get_or_insert_with(|| Table::load(ds, axis));
        table.page(query, start, count)
    }

    /// The connection.
    pub fn connection(&self) -> &LoomConnection {
        &self.ds
    }
}

#[wasm_bindgen]
impl Loom {
    /// Opens source `source` of the worker's `loomStorage`, `len` bytes long, read in
    /// blocks of `block` bytes of which at most `cache_blocks` are kept.
    pub fn open(
        name: &str,
        source: u32,
        len: f64,
        block: u32,
        cache_blocks: u32,
    ) -> Result<Loom, JsError> {
        if !(len >= 0.0 && len <= 2f64.powi(53)) {
            return Err(JsError::new(&format!("bad file length {len}")));
        }
        let storage = BlockCache::new(
            JsStorage::new(source, len as u64),
            u64::from(block),
            cache_blocks as usize,
        );
        Loom::from_storage(name, storage).map_err(|e| JsError::new(&e))
    }

    /// [`Loom::describe`] as JSON text.
    pub fn info(&self) -> String {
        self.describe().to_string()
    }

    /// [`Loom::attrs_page`] as JSON text.
    pub fn attrs(&mut self, axis: u32, query: &str, start: u32, count: u32) -> String {
        self.attrs_page(axis as usize, query, start as usize, count as usize)
            .to_string()
    }

    /// The heatmap block as JSON text `{rows, labels, cols, values}`: `genes` is a list of
    /// row labels separated by spaces or commas (empty: the `top` rows of largest variance
    /// over the first `cells` columns).
    #[wasm_bindgen(js_name = heatmap)]
    pub fn heatmap_json(
        &self,
        layer: &str,
        genes: &str,
        top: u32,
        cells: u32,
    ) -> Result<String, JsError> {
        let genes: Vec<String> = genes
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|g| !g.is_empty())
            .map(str::to_owned)
            .collect();
        let req = Request {
            layer,
            genes: &genes,
            top: top as usize,
            cells: u64::from(cells),
        };
        let h = heatmap(&self.ds, &req).map_err(|e| JsError::new(&e))?;
        // As f64, so the page gets each stored f32 exactly (a float's shortest f32 text
        // would parse to a different f64).
        let values: Vec<f64> = h.values.iter().map(|&v| f64::from(v)).collect();
        Ok(
            json!({"rows": h.rows, "labels": h.labels, "cols": h.cols, "values": values})
                .to_string(),
        )
    }
}
