//! `LoomConnection`: an open loom file, as loompy's `connect` and `new` give it.

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;

use hdf5_lite::read::File;
use hdf5_lite::write::{vlen_utf8, DatasetSpec, StorageMut, Writer};

use crate::axis::Axis;
use crate::error::{LoomError, Result};
use crate::layout::{self, matrix_shape, GROUPS, SPEC_VERSION};
use crate::timestamp::timestamp;
use crate::validate::{LoomValidator, Strictness};

/// How a file is opened: loompy's `'r'` and `'r+'`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// `'r'`: reading only.
    Read,
    /// `'r+'`: reading and writing (loompy's default).
    ReadWrite,
}

impl FromStr for Mode {
    type Err = LoomError;

    /// `"r"` or `"r+"`; anything else is loompy's "Mode must be either 'r' or 'r+'".
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "r" => Ok(Mode::Read),
            "r+" => Ok(Mode::ReadWrite),
            _ => Err(LoomError::BadMode),
        }
    }
}

/// An open loom file.
///
/// Every write is committed to the file before the call returns (the file is never left
/// half-written: see hdf5-lite's copy-on-write commits), and later reads see it.
#[derive(Debug)]
pub struct LoomConnection {
    path: PathBuf,
    mode: Mode,
    file: File,
    writer: Option<Writer>,
    shape: (u64, u64),
}

/// Where the bytes of a connection live.
#[derive(Debug, Clone)]
enum Backend {
    /// A file: read through a memory map, written with positioned writes.
    #[cfg(unix)]
    Path,
    /// Any writable storage (in memory, in a browser, a test backend).
    Storage(Arc<dyn StorageMut>),
}

impl Backend {
    fn reader(&self, path: &Path) -> Result<File> {
        match self {
            #[cfg(unix)]
            Backend::Path => Ok(File::open(path)?),
            Backend::Storage(s) => {
                let _ = path;
                let storage: Arc<dyn hdf5_lite::Storage> = s.clone();
                Ok(File::from_storage(storage)?)
            }
        }
    }

    fn writer(&self, path: &Path) -> Result<Writer> {
        match self {
            #[cfg(unix)]
            Backend::Path => Ok(Writer::open(path)?),
            Backend::Storage(s) => {
                let _ = path;
                Ok(Writer::open_in(s.clone())?)
            }
        }
    }
}

/// Opens a loom file after validating it (loompy's `connect(filename, mode)`).
#[cfg(unix)]
pub fn connect(path: impl AsRef<Path>, mode: Mode) -> Result<LoomConnection> {
    LoomConnection::open(path, mode, true)
}

/// Creates an empty loom file, overwriting any file at `path`, and opens it read-write
/// (loompy's `new`). Its shape is (0, 0) until the main layer is written.
#[cfg(unix)]
pub fn new(path: impl AsRef<Path>) -> Result<LoomConnection> {
    let path = path.as_ref();
    let w = Writer::create(path)?;
    write_empty(w)?;
    LoomConnection::open(path, Mode::ReadWrite, false)
}

/// [`new`] in any writable storage (whatever it held is overwritten).
pub fn new_in(storage: Arc<dyn StorageMut>) -> Result<LoomConnection> {
    write_empty(Writer::create_in(storage.clone())?)?;
    LoomConnection::open_in(storage, Mode::ReadWrite, false)
}

/// The groups and global attributes of an empty loom file.
fn write_empty(mut w: Writer) -> Result<()> {
    for group in GROUPS {
        w.create_group(group)?;
    }
    for (name, value) in [
        (layout::CREATION_DATE_KEY, timestamp()),
        (layout::SPEC_VERSION_KEY, SPEC_VERSION.to_owned()),
    ] {
        let at = layout::global_path(name);
        w.create_dataset(&at, &DatasetSpec::new(vlen_utf8(), &[]))?;
        w.write_strings(&at, &[], &[], &[value.as_str()])?;
    }
    w.close()?;
    Ok(())
}

impl LoomConnection {
    /// Opens `path` in `mode`, validating it first when `validate` is true (loompy's
    /// `connect(filename, mode, validate=…)`). Opening read-write brings old files up to
    /// date as loompy does: missing `/layers`, `/row_graphs` and `/col_graphs` groups are
    /// created and `/row_edges`, `/col_edges` graphs move to `/row_graphs`, `/col_graphs`.
    #[cfg(unix)]
    pub fn open(path: impl AsRef<Path>, mode: Mode, validate: bool) -> Result<Self> {
        let path = path.as_ref().to_path_buf();
        if !path.exists() {
            return Err(LoomError::FileNotFound(path));
        }
        Self::start(path, Backend::Path, mode, validate)
    }

    /// Opens the loom file held in `storage` (see [`LoomConnection::open`]).
    pub fn open_in(storage: Arc<dyn StorageMut>, mode: Mode, validate: bool) -> Result<Self> {
        Self::start(
            PathBuf::from("<storage>"),
            Backend::Storage(storage),
            mode,
            validate,
        )
    }

    fn start(path: PathBuf, backend: Backend, mode: Mode, validate: bool) -> Result<Self> {
        // A read-write connection reads through its writer's handle: one lock per file.
        let mut writer = match mode {
            Mode::Read => None,
            Mode::ReadWrite => Some(backend.writer(&path)?),
        };
        let file = match writer.as_mut() {
            Some(w) => w.reader()?,
            None => backend.reader(&path)?,
        };
        if validate {
            let mut v = LoomValidator::new();
            if !v.validate_file(&file, Strictness::SpecOnly) {
                return Err(LoomError::Invalid {
                    path,
                    version: v.version().to_owned(),
                    errors: v.errors().to_vec(),
                });
            }
        }
        let shape = matrix_shape(&file);
        let mut ds = LoomConnection {
            path,
            mode,
            file,
            writer,
            shape,
        };
        if mode == Mode::ReadWrite {
            ds.upgrade_old_layout()?;
        }
        Ok(ds)
    }

    /// What loompy's managers do to older files on a read-write open.
    fn upgrade_old_layout(&mut self) -> Result<()> {
        let root = self.file.root()?.member_names()?;
        let has = |path: &str| root.iter().any(|m| m == layout::member_name(path));
        let missing: Vec<&str> = [
            layout::LAYERS,
            layout::graphs_group(Axis::Rows),
            layout::graphs_group(Axis::Cols),
        ]
        .into_iter()
        .filter(|g| !has(g))
        .collect();
        let mut moves = Vec::new();
        for axis in Axis::BOTH {
            let (old, new) = (layout::old_graphs_group(axis), layout::graphs_group(axis));
            if has(old) {
                for g in self.file.group(old)?.member_names()? {
                    moves.push((layout::child(old, &g), layout::child(new, &g)));
                }
                moves.push((old.to_owned(), String::new()));
            }
        }
        if missing.is_empty() && moves.is_empty() {
            return Ok(());
        }
        self.edit(|w| {
            for g in &missing {
                w.create_group(g)?;
            }
            for (from, to) in &moves {
                if to.is_empty() {
                    w.unlink(from)?;
                } else {
                    w.rename(from, to)?;
                }
            }
            Ok(())
        })
    }

    /// Runs writer operations and commits them; on an error nothing is kept. Afterwards
    /// reads see the new contents.
    pub(crate) fn edit<T>(
        &mut self,
        f: impl FnOnce(&mut Writer) -> hdf5_lite::Result<T>,
    ) -> Result<T> {
        let w = self
            .writer
            .as_mut()
            .ok_or_else(|| LoomError::ReadOnly(self.path.clone()))?;
        let out = match f(w).and_then(|out| w.commit().map(|()| out)) {
            Ok(out) => out,
            Err(e) => {
                w.rollback();
                return Err(e.into());
            }
        };
        self.file = w.reader()?;
        self.shape = matrix_shape(&self.file);
        Ok(out)
    }

    /// The file's path (`<storage>` for a connection opened on a storage backend).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The mode it was opened in.
    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// (rows, columns) of the main matrix; (0, 0) before it is written.
    pub fn shape(&self) -> (u64, u64) {
        self.shape
    }

    /// The underlying HDF5 file, as last committed.
    pub fn hdf5(&self) -> &File {
        &self.file
    }

    /// The loom spec version of the file, as loompy's `get_loom_spec_version` finds it:
    /// `/attrs/LOOM_SPEC_VERSION`, overridden by a root attribute of that name, else
    /// "0.0.0".
    pub fn spec_version(&self) -> String {
        layout::spec_version(&self.file)
    }

    /// Closes the connection.
    pub fn close(mut self) -> Result<()> {
        if let Some(w) = self.writer.take() {
            w.close()?;
        }
        Ok(())
    }
}
