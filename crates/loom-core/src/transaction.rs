//! Transactions: many edits, one commit.
//!
//! Every write of loom-core stages HDF5 edits in the connection's writer. Outside a
//! transaction each call is its own transaction (staged, then committed before it
//! returns). Inside [`LoomConnection::transaction`] the edits of every call are staged
//! and committed once, when the closure returns `Ok`; if it returns `Err` (or a staged
//! edit failed, even one whose error the closure ignored) nothing is committed and the
//! file keeps its previous contents.
//!
//! Reads inside a transaction see the staged edits: the first read after an edit takes a
//! snapshot of the writer's staged state (hdf5-lite's `Writer::snapshot`), later reads
//! reuse it until the next edit.

use std::sync::PoisonError;

use hdf5_lite::read::File;
use hdf5_lite::write::Writer;

use crate::axis::Axis;
use crate::connection::{LoomConnection, Mode};
use crate::error::{LoomError, Result};
use crate::layout;

/// What an older file needs to follow the current layout (loompy does this on every
/// read-write open): groups to create and old graph groups to move.
#[derive(Debug, Clone, Default)]
pub(crate) struct Upgrade {
    /// Groups to create.
    missing: Vec<&'static str>,
    /// (old group, new group, graph names) for each axis with an old group.
    moves: Vec<(Axis, Vec<String>)>,
}

impl Upgrade {
    /// What `file` needs, or `None` when it is up to date.
    pub(crate) fn find(file: &File) -> Result<Option<Upgrade>> {
        let root = file.root()?.member_names()?;
        let has = |path: &str| root.iter().any(|m| m == layout::member_name(path));
        let missing: Vec<&'static str> = [
            layout::LAYERS,
            layout::graphs_group(Axis::Rows),
            layout::graphs_group(Axis::Cols),
        ]
        .into_iter()
        .filter(|g| !has(g))
        .collect();
        let mut moves = Vec::new();
        for axis in Axis::BOTH {
            let old = layout::old_graphs_group(axis);
            if has(old) {
                moves.push((axis, file.group(old)?.member_names()?));
            }
        }
        if missing.is_empty() && moves.is_empty() {
            return Ok(None);
        }
        Ok(Some(Upgrade { missing, moves }))
    }

    /// The graphs of `axis` still in its old group.
    pub(crate) fn old_graphs(&self, axis: Axis) -> &[String] {
        self.moves
            .iter()
            .find(|(a, _)| *a == axis)
            .map_or(&[], |(_, names)| names.as_slice())
    }

    fn stage(&self, w: &mut Writer) -> hdf5_lite::Result<()> {
        for g in &self.missing {
            w.create_group(g)?;
        }
        for (axis, names) in &self.moves {
            let (old, new) = (layout::old_graphs_group(*axis), layout::graphs_group(*axis));
            for g in names {
                w.rename(&layout::child(old, g), &layout::child(new, g))?;
            }
            w.unlink(old)?;
        }
        Ok(())
    }
}

impl LoomConnection {
    /// Runs `f` as one transaction: the edits of every call it makes on the connection are
    /// committed together when it returns `Ok`, and none of them when it returns `Err` or
    /// when one of them failed (then the first such error is returned). Reads inside `f`
    /// see the edits made so far. A transaction inside a transaction is part of the outer
    /// one. Fails with [`LoomError::ReadOnly`] on a read-only connection.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// use hdf5_lite::write::MemFile;
    /// use ndarray::array;
    ///
    /// let mut ds = loom_core::new_in(Arc::new(MemFile::new()))?;
    /// ds.transaction(|tx| {
    ///     tx.layers_mut().set("", array![[1.0f32, 2.0], [3.0, 4.0]].view())?;
    ///     tx.ra_mut().set("Gene", vec!["a", "b"])?;
    ///     assert_eq!(tx.ra().get("Gene")?.len(), 2); // reads see staged edits
    ///     tx.ca_mut().set("Cell", vec![1i64, 2])
    /// })?;
    /// let failed: loom_core::Result<()> = ds.transaction(|tx| {
    ///     tx.ra_mut().delete("Gene")?;
    ///     Err(loom_core::LoomError::InvalidInput("changed my mind".into()))
    /// });
    /// assert!(failed.is_err());
    /// assert!(ds.ra().contains("Gene")); // rolled back
    /// # Ok::<(), loom_core::LoomError>(())
    /// ```
    pub fn transaction<T>(
        &mut self,
        f: impl FnOnce(&mut LoomConnection) -> Result<T>,
    ) -> Result<T> {
        self.check_writable()?;
        if self.in_transaction {
            return f(self);
        }
        self.in_transaction = true;
        let out = f(self);
        self.in_transaction = false;
        let failed = self.state_mut().failed.take();
        match (out, failed) {
            (Ok(v), None) => {
                self.commit()?;
                Ok(v)
            }
            (Ok(_), Some(e)) => {
                self.rollback();
                Err(LoomError::TransactionFailed(e))
            }
            (Err(e), _) => {
                self.rollback();
                Err(e)
            }
        }
    }

    /// Stages writer operations in the current transaction (or in a transaction of their
    /// own). A failure marks the transaction failed, so it does not commit.
    pub(crate) fn edit<T>(
        &mut self,
        f: impl FnOnce(&mut Writer) -> hdf5_lite::Result<T>,
    ) -> Result<T> {
        self.transaction(|ds| ds.stage(f, false))
    }

    /// [`edit`](Self::edit) for edits that write only chunk data and attributes of
    /// existing objects (see [`LoomConnection::hdf5_objects`]).
    pub(crate) fn edit_data<T>(
        &mut self,
        f: impl FnOnce(&mut Writer) -> hdf5_lite::Result<T>,
    ) -> Result<T> {
        self.transaction(|ds| ds.stage(f, true))
    }

    fn stage<T>(
        &mut self,
        f: impl FnOnce(&mut Writer) -> hdf5_lite::Result<T>,
        data_only: bool,
    ) -> Result<T> {
        let upgrade = self.upgrade.take();
        let st = self.state.get_mut().unwrap_or_else(PoisonError::into_inner);
        let Some(w) = st.writer.as_mut() else {
            self.upgrade = upgrade;
            return Err(LoomError::ReadOnly(self.path.clone()));
        };
        let result = match &upgrade {
            Some(u) => u.stage(w).and_then(|()| f(w)),
            None => f(w),
        };
        st.stale = true;
        st.reshaped |= !data_only || upgrade.is_some();
        if let Err(e) = &result {
            st.failed.get_or_insert_with(|| e.to_string());
        }
        // Staged with this transaction: committed or given back by its rollback.
        if upgrade.is_some() {
            self.staged_upgrade = upgrade;
        }
        Ok(result?)
    }

    fn state_mut(&mut self) -> &mut crate::connection::State {
        self.state.get_mut().unwrap_or_else(PoisonError::into_inner)
    }

    fn commit(&mut self) -> Result<()> {
        let st = self.state_mut();
        let Some(w) = st.writer.as_mut() else {
            return Ok(());
        };
        if let Err(e) = w.commit() {
            self.rollback();
            return Err(e.into());
        }
        self.staged_upgrade = None;
        self.refresh()
    }

    fn rollback(&mut self) {
        if let Some(w) = self.state_mut().writer.as_mut() {
            w.rollback();
        }
        if let Some(u) = self.staged_upgrade.take() {
            self.upgrade = Some(u);
        }
        // On failure reads keep the last file they had, and lookups of objects take a
        // new snapshot (the rolled-back edits may have made or reshaped some); the next
        // commit refreshes it.
        self.state_mut().reshaped = true;
        let _ = self.refresh();
    }

    /// Reads the committed file again (through the writer's handle).
    fn refresh(&mut self) -> Result<()> {
        let st = self.state_mut();
        let Some(w) = st.writer.as_mut() else {
            return Ok(());
        };
        let file = w.reader()?;
        st.file = file.clone();
        st.stale = false;
        st.reshaped = false;
        st.failed = None;
        self.cache(&file);
        Ok(())
    }

    /// Fails with [`LoomError::ReadOnly`] on a read-only connection.
    pub(crate) fn check_writable(&self) -> Result<()> {
        if self.mode == Mode::Read {
            return Err(LoomError::ReadOnly(self.path.clone()));
        }
        Ok(())
    }
}

/// Removes the link at `path` if there is one (so that it can be created anew), without
/// reading the file.
pub(crate) fn unlink_if_present(w: &mut Writer, path: &str) -> hdf5_lite::Result<()> {
    match w.unlink(path) {
        Err(hdf5_lite::Error::NotFound { .. }) => Ok(()),
        other => other,
    }
}

/// Creates the group at `path` unless it exists, without reading the file.
pub(crate) fn ensure_group(w: &mut Writer, path: &str) -> hdf5_lite::Result<()> {
    match w.create_group(path) {
        Err(hdf5_lite::Error::Exists { .. }) => Ok(()),
        other => other,
    }
}
