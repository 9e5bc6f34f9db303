//! The reading API: open a file, walk groups by path, read datasets and attributes.
//!
//! ```no_run
//! use hdf5_lite::read::File;
//!
//! let file = File::open("cells.loom")?;
//! let matrix = file.dataset("/matrix")?;
//! println!("shape {:?}, chunks {:?}", matrix.shape(), matrix.chunks());
//! let corner = matrix.read_slice::<f32>(&[0, 0], &[10, 10])?;
//! println!("{corner}");
//! for name in file.group("/row_attrs")?.member_names()? {
//!     println!("row attribute {name}");
//! }
//! # Ok::<(), hdf5_lite::Error>(())
//! ```

mod attribute;
mod chunk_leaves;
mod chunk_table;
mod chunks;
mod compound;
mod convert;
mod dataset;
mod dims;
mod external;
mod group;
pub(crate) mod live;
mod place;
mod select;
mod value;

use std::sync::Arc;

pub use attribute::Attribute;
pub use compound::split_fields;
pub use convert::{convert, Numeric};
pub use dataset::{Dataset, Hyperslab};
pub use group::Group;
pub use select::Indices;
pub use value::{decode_value, Value};

use crate::error::{Error, Result};
use crate::format::messages::kind;
use crate::format::object_header::ObjectHeader;
use crate::format::superblock::Superblock;
use crate::format::Ctx;
use crate::storage::{MemStorage, Source, Storage};

/// An open HDF5 file. Cheap to clone; `Send + Sync`, so one file can be read from many
/// threads at once.
#[derive(Debug, Clone)]
pub struct File {
    inner: Arc<FileInner>,
}

#[derive(Debug)]
struct FileInner {
    ctx: Ctx,
    superblock: Superblock,
    links: external::Links,
}

impl File {
    /// Opens the file at `path` under a shared lock (memory-mapped when the `mmap`
    /// feature is on, else read by position through [`FileStorage`](crate::FileStorage));
    /// see [`crate::FileOptions`] to open without a lock. Where the platform has no file
    /// system (`wasm32-unknown-unknown`) this is an I/O error: use
    /// [`File::from_storage`] or [`File::from_bytes`] there.
    pub fn open(path: impl AsRef<std::path::Path>) -> Result<Self> {
        crate::FileOptions::new().open(path)
    }

    /// Records that the file was opened from `path`, reached through the external links
    /// of the files in `chain`: its own external links are then looked for from there.
    pub(crate) fn located(
        mut self,
        path: &std::path::Path,
        chain: Vec<std::path::PathBuf>,
    ) -> Self {
        if let Some(inner) = Arc::get_mut(&mut self.inner) {
            inner.links = external::Links::opened_at(path, chain);
        }
        self
    }

    /// Opens a file held in memory.
    pub fn from_bytes(bytes: impl Into<Arc<[u8]>>) -> Result<Self> {
        Self::from_storage(Arc::new(MemStorage::new(bytes)))
    }

    /// Opens a file from any storage backend.
    pub fn from_storage(storage: Arc<dyn Storage>) -> Result<Self> {
        let source = Source::new(storage);
        let superblock = Superblock::find(&source)?;
        Self::with_superblock(source, superblock)
    }

    /// The file in `source` as `superblock` describes it, whether or not that superblock
    /// is the one stored at its start (a writer's snapshot of staged edits).
    pub(crate) fn with_superblock(source: Source, mut superblock: Superblock) -> Result<Self> {
        // libhdf5 refuses a file shorter than its end-of-file address ("truncated
        // file"), and so do we: a cut file must never read as a smaller valid one. Files
        // with a userblock store the end of file counting the userblock, so the address
        // is compared with the length as it is.
        if superblock.eof_address > source.len() {
            return Err(Error::Truncated {
                eof: superblock.eof_address,
                len: source.len(),
            });
        }
        let ctx = Ctx {
            source,
            base: superblock.base_address,
            sizes: superblock.sizes,
        };
        superblock.read_extension(&ctx)?;
        Ok(File {
            inner: Arc::new(FileInner {
                ctx,
                superblock,
                links: external::Links::default(),
            }),
        })
    }

    /// A number identifying this open file, the same for all its clones: objects of
    /// two files (one reached through an external link) may have the same address.
    pub fn id(&self) -> usize {
        Arc::as_ptr(&self.inner).addr()
    }

    /// The decoded superblock.
    pub fn superblock(&self) -> &Superblock {
        &self.inner.superblock
    }

    pub(crate) fn ctx(&self) -> &Ctx {
        &self.inner.ctx
    }

    /// The root group.
    pub fn root(&self) -> Result<Group> {
        let addr = self.inner.superblock.root_object_header;
        let header = ObjectHeader::read(self.ctx(), addr)?;
        Group::new(self.clone(), "/".to_owned(), Arc::new(header))
    }

    /// The object at an absolute path such as `/row_attrs/Gene`.
    pub fn object(&self, path: &str) -> Result<Object> {
        self.root()?.object(path)
    }

    /// The group at `path`.
    pub fn group(&self, path: &str) -> Result<Group> {
        self.object(path)?.into_group(path)
    }

    /// The dataset at `path`.
    pub fn dataset(&self, path: &str) -> Result<Dataset> {
        self.object(path)?.into_dataset(path)
    }

    /// The stored (filtered) bytes of one chunk, as [`Dataset::chunk_records`] lists
    /// them: with the record's filter mask, what
    /// [`Writer::write_raw_chunk`](crate::write::Writer::write_raw_chunk) takes.
    pub fn read_raw_chunk(
        &self,
        record: &crate::format::chunk_index::ChunkRecord,
    ) -> Result<Vec<u8>> {
        Ok(self.ctx().read(record.address, record.size)?.into_owned())
    }

    /// Reads the object header at `address` and wraps it as the object at `path`.
    pub(crate) fn object_at(&self, address: u64, path: String) -> Result<Object> {
        let header = Arc::new(ObjectHeader::read(self.ctx(), address)?);
        if header.find(kind::SYMBOL_TABLE).is_some() || header.find(kind::LINK_INFO).is_some() {
            return Ok(Object::Group(Group::new(self.clone(), path, header)?));
        }
        if header.find(kind::LAYOUT).is_some() {
            return Ok(Object::Dataset(Dataset::new(self.clone(), path, header)?));
        }
        if header.find(kind::DATATYPE).is_some() {
            return Ok(Object::Datatype(path));
        }
        if header.find(kind::LINK).is_some() || header.messages.is_empty() {
            // A new-style group with compact links and no Link Info, or an empty group.
            return Ok(Object::Group(Group::new(self.clone(), path, header)?));
        }
        Err(Error::corrupt(
            "object header",
            address,
            "neither a group, a dataset nor a datatype",
        ))
    }
}

/// Anything a link can point at.
#[derive(Debug, Clone)]
pub enum Object {
    /// A group.
    Group(Group),
    /// A dataset.
    Dataset(Dataset),
    /// A committed (named) datatype, by path.
    Datatype(String),
}

impl Object {
    /// "group", "dataset" or "datatype".
    pub fn kind_name(&self) -> &'static str {
        match self {
            Object::Group(_) => "group",
            Object::Dataset(_) => "dataset",
            Object::Datatype(_) => "datatype",
        }
    }

    /// The group, or a [`Error::WrongKind`].
    pub fn into_group(self, path: &str) -> Result<Group> {
        match self {
            Object::Group(g) => Ok(g),
            other => Err(Error::WrongKind {
                path: path.to_owned(),
                expected: "group",
                found: other.kind_name(),
            }),
        }
    }

    /// The dataset, or a [`Error::WrongKind`].
    pub fn into_dataset(self, path: &str) -> Result<Dataset> {
        match self {
            Object::Dataset(d) => Ok(d),
            other => Err(Error::WrongKind {
                path: path.to_owned(),
                expected: "dataset",
                found: other.kind_name(),
            }),
        }
    }
}

/// Joins a group path and a member name.
pub(crate) fn join(parent: &str, name: &str) -> String {
    if parent.ends_with('/') {
        format!("{parent}{name}")
    } else {
        format!("{parent}/{name}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readers_are_send_and_sync() {
        fn check<T: Send + Sync>() {}
        check::<File>();
        check::<Group>();
        check::<Dataset>();
        check::<Attribute>();
        check::<Object>();
    }

    #[test]
    fn garbage_is_not_hdf5() {
        assert!(matches!(
            File::from_bytes(vec![0u8; 4096]),
            Err(Error::NotHdf5)
        ));
        assert!(matches!(File::from_bytes(Vec::new()), Err(Error::NotHdf5)));
    }
}
