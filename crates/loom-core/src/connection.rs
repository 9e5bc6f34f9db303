//! `LoomConnection`: an open loom file, as loompy's `connect` and `new` give it.

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::{Arc, Mutex, PoisonError};

use hdf5_lite::read::File;
use hdf5_lite::write::{vlen_utf8, DatasetSpec, StorageMut, Writer};
use hdf5_lite::FileOptions;

use crate::error::{LoomError, Result};
use crate::layout::{self, matrix_shape, GROUPS, SPEC_VERSION};
use crate::progress::Progress;
use crate::timestamp::timestamp;
use crate::transaction::Upgrade;
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
/// half-written: see hdf5-lite's copy-on-write commits), and later reads see it. Several
/// writes can be made one commit with [`LoomConnection::transaction`].
///
/// Opening read-write writes nothing: an older file's layout is brought up to date in
/// the transaction of the first write.
#[derive(Debug)]
pub struct LoomConnection {
    pub(crate) path: PathBuf,
    pub(crate) mode: Mode,
    /// The writer and the file reads see; behind a lock because reads (`&self`) refresh
    /// the file from the writer's staged state when an edit is pending.
    pub(crate) state: Mutex<State>,
    /// The main matrix's shape, staged edits included.
    pub(crate) shape: (u64, u64),
    /// The spec version, staged edits included.
    pub(crate) spec: String,
    /// Whether global attributes live in `/attrs`, staged edits included.
    pub(crate) globals_group: bool,
    /// The old-layout upgrade still to be staged by the first write (read-write only).
    pub(crate) upgrade: Option<Upgrade>,
    /// The upgrade staged in the open transaction (given back if it rolls back).
    pub(crate) staged_upgrade: Option<Upgrade>,
    /// Inside [`LoomConnection::transaction`].
    pub(crate) in_transaction: bool,
    /// Who hears how far the long operations got ([`LoomConnection::set_progress`]).
    pub(crate) progress: Progress,
}

/// What reads see, and the writer.
#[derive(Debug)]
pub(crate) struct State {
    /// The committed file, or a snapshot of the staged state. Declared (so dropped)
    /// before the writer, whose closing commit can then cut the file below its map.
    pub(crate) file: File,
    pub(crate) writer: Option<Writer>,
    /// Edits were staged since `file` was taken.
    pub(crate) stale: bool,
    /// Some of them may have added, removed or reshaped objects; when only chunk data
    /// and attributes were written since, `file`'s objects (paths, shapes, types) are
    /// still those of the staged state.
    pub(crate) reshaped: bool,
    /// A staged edit or a snapshot failed: the transaction must not commit.
    pub(crate) failed: Option<String>,
}

/// Where the bytes of a connection live.
#[derive(Debug, Clone)]
pub(crate) enum Backend {
    /// A file, opened with these options (locks): read through a memory map, written
    /// with positioned writes.
    Path(FileOptions),
    /// Any writable storage (in memory, in a browser, a test backend).
    Storage(Arc<dyn StorageMut>),
}

impl Backend {
    /// A reader for a read-only connection (a shared lock on a file).
    fn reader(&self, path: &Path) -> Result<File> {
        match self {
            Backend::Path(opts) => Ok(opts.open(path)?),
            Backend::Storage(s) => {
                let storage: Arc<dyn hdf5_lite::Storage> = s.clone();
                Ok(File::from_storage(storage)?)
            }
        }
    }

    /// The writer of a read-write connection (an exclusive lock on a file).
    fn writer(&self, path: &Path) -> Result<Writer> {
        match self {
            Backend::Path(opts) => Ok(opts.open_rw(path)?),
            Backend::Storage(s) => Ok(Writer::open_in(s.clone())?),
        }
    }
}

/// Opens a loom file after validating it (loompy's `connect(filename, mode)`). The file
/// is locked while the connection lives (shared for `'r'`, exclusive for `'r+'`), as
/// libhdf5 locks it: a second read-write connection, in this process or another, fails
/// with a "locked" error. `HDF5_USE_FILE_LOCKING=FALSE` turns locks off, as for libhdf5;
/// so does [`LoomConnection::open_with`].
pub fn connect(path: impl AsRef<Path>, mode: Mode) -> Result<LoomConnection> {
    LoomConnection::open(path, mode, true)
}

/// Creates an empty loom file, overwriting any file at `path`, and opens it read-write
/// (loompy's `new`). Its shape is (0, 0) until the main layer is written.
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

/// A read-write connection to a new loom file whose empty layout is staged in `w` but
/// not committed: [`create`](crate::create) commits it with the contents, so the file
/// is written in one commit and keeps no space that an empty file's structures held.
pub(crate) fn new_staged(path: PathBuf, mut w: Writer) -> Result<LoomConnection> {
    stage_empty(&mut w)?;
    let file = w.snapshot()?;
    Ok(LoomConnection::with(
        path,
        Mode::ReadWrite,
        Some(w),
        file,
        None,
    ))
}

/// The groups and global attributes of an empty loom file, committed.
fn write_empty(mut w: Writer) -> Result<()> {
    stage_empty(&mut w)?;
    w.close()?;
    Ok(())
}

/// Stages the groups and global attributes of an empty loom file.
fn stage_empty(w: &mut Writer) -> Result<()> {
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
    Ok(())
}

impl LoomConnection {
    /// Opens `path` in `mode`, validating it first when `validate` is true (loompy's
    /// `connect(filename, mode, validate=…)`). Opening read-write brings old files up to
    /// date as loompy does (missing `/layers`, `/row_graphs` and `/col_graphs` groups are
    /// created and `/row_edges`, `/col_edges` graphs move to `/row_graphs`, `/col_graphs`),
    /// but only with the first write: until then the file is not touched, and the graphs
    /// of the old groups are read where they are.
    pub fn open(path: impl AsRef<Path>, mode: Mode, validate: bool) -> Result<Self> {
        Self::open_with(path, mode, validate, FileOptions::new())
    }

    /// [`LoomConnection::open`] with file options: `FileOptions::new().locking(false)`
    /// opens without a lock (for file systems without working locks; a commit still
    /// refuses a file that another writer changed meanwhile).
    pub fn open_with(
        path: impl AsRef<Path>,
        mode: Mode,
        validate: bool,
        options: FileOptions,
    ) -> Result<Self> {
        let path = path.as_ref().to_path_buf();
        if !path.exists() {
            return Err(LoomError::FileNotFound(path));
        }
        Self::start(path, Backend::Path(options), mode, validate)
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
        let upgrade = match mode {
            Mode::Read => None,
            Mode::ReadWrite => Upgrade::find(&file)?,
        };
        Ok(LoomConnection::with(path, mode, writer, file, upgrade))
    }

    /// A connection over `file` (and `writer` for read-write), its cache filled.
    fn with(
        path: PathBuf,
        mode: Mode,
        writer: Option<Writer>,
        file: File,
        upgrade: Option<Upgrade>,
    ) -> Self {
        let mut ds = LoomConnection {
            path,
            mode,
            state: Mutex::new(State {
                writer,
                file: file.clone(),
                stale: false,
                reshaped: false,
                failed: None,
            }),
            shape: (0, 0),
            spec: String::new(),
            globals_group: false,
            upgrade,
            staged_upgrade: None,
            in_transaction: false,
            progress: Progress::default(),
        };
        ds.cache(&file);
        ds
    }

    /// Recomputes what the connection keeps about the file.
    pub(crate) fn cache(&mut self, file: &File) {
        self.shape = matrix_shape(file);
        self.spec = layout::spec_version(file);
        self.globals_group = layout::has_globals_group(file);
    }

    /// The file's path (`<storage>` for a connection opened on a storage backend).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Sets who hears how far this connection's long operations got: `permute`
    /// (lines of chunks, or strips, of each layer), `add_columns` and `add_loom` (columns
    /// of each layer), `export` and `aggregate` (rows).
    pub fn set_progress(&mut self, progress: Progress) {
        self.progress = progress;
    }

    /// The observer set with [`set_progress`](Self::set_progress) (unobserved by default).
    pub fn progress(&self) -> &Progress {
        &self.progress
    }

    /// The mode it was opened in.
    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// (rows, columns) of the main matrix; (0, 0) before it is written.
    pub fn shape(&self) -> (u64, u64) {
        self.shape
    }

    /// The underlying HDF5 file as reads see it: as last committed, or inside a
    /// transaction with the edits staged so far.
    pub fn hdf5(&self) -> File {
        let mut st = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        if st.stale {
            st.stale = false;
            st.reshaped = false;
            let snap = match st.writer.as_mut() {
                Some(w) => w.snapshot(),
                None => return st.file.clone(),
            };
            match snap {
                Ok(file) => st.file = file,
                Err(e) => st.failed = Some(e.to_string()),
            }
        }
        st.file.clone()
    }

    /// The file for looking up objects (paths, shapes, types, not data): the last
    /// snapshot when only chunk data and attributes were staged since, so a loop of
    /// window writes in one transaction takes no snapshot per window (each re-encodes
    /// the chunk index of every chunk written so far); else [`hdf5`](Self::hdf5).
    pub(crate) fn hdf5_objects(&self) -> File {
        {
            let st = self.state.lock().unwrap_or_else(PoisonError::into_inner);
            if !st.reshaped {
                return st.file.clone();
            }
        }
        self.hdf5()
    }

    /// The loom spec version of the file, as loompy's `get_loom_spec_version` finds it:
    /// `/attrs/LOOM_SPEC_VERSION`, overridden by a root attribute of that name, else
    /// "0.0.0".
    pub fn spec_version(&self) -> String {
        self.spec.clone()
    }

    /// Whether the file follows the spec 2 rules (see [`layout::is_legacy`]).
    pub(crate) fn is_legacy(&self) -> bool {
        layout::is_legacy(&self.spec)
    }

    /// Closes the connection.
    pub fn close(self) -> Result<()> {
        let st = self
            .state
            .into_inner()
            .unwrap_or_else(PoisonError::into_inner);
        let State { file, writer, .. } = st;
        // Unmapped first, so that closing can cut the file to its end of file.
        drop(file);
        if let Some(w) = writer {
            w.close()?;
        }
        Ok(())
    }
}
