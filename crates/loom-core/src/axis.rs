//! The two axes of a loom file: rows (genes, `ds.ra`, `ds.row_graphs`) and columns
//! (cells, `ds.ca`, `ds.col_graphs`). loompy numbers them 0 and 1.

use crate::error::{LoomError, Result};

/// An axis of the main matrix (loompy's `axis=0` / `axis=1`).
///
/// ```
/// use loom_core::Axis;
///
/// assert_eq!(Axis::try_from(1)?, Axis::Cols);
/// assert_eq!(Axis::Rows.of((20, 30)), 20);
/// assert!(Axis::try_from(7).is_err());
/// # Ok::<(), loom_core::LoomError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Axis {
    /// Axis 0: rows (genes).
    Rows,
    /// Axis 1: columns (cells).
    Cols,
}

impl Axis {
    /// Both axes, rows first.
    pub const BOTH: [Axis; 2] = [Axis::Rows, Axis::Cols];

    /// loompy's number for the axis: 0 for rows, 1 for columns.
    pub fn index(self) -> usize {
        match self {
            Axis::Rows => 0,
            Axis::Cols => 1,
        }
    }

    /// The other axis.
    pub fn other(self) -> Axis {
        match self {
            Axis::Rows => Axis::Cols,
            Axis::Cols => Axis::Rows,
        }
    }

    /// This axis' part of a pair such as a shape `(rows, cols)`.
    pub fn of<T>(self, pair: (T, T)) -> T {
        match self {
            Axis::Rows => pair.0,
            Axis::Cols => pair.1,
        }
    }

    /// "row" or "column", for messages.
    pub fn noun(self) -> &'static str {
        match self {
            Axis::Rows => "row",
            Axis::Cols => "column",
        }
    }
}

impl TryFrom<usize> for Axis {
    type Error = LoomError;

    /// 0 or 1; anything else is loompy's "Axis must be 0 or 1".
    fn try_from(axis: usize) -> Result<Self> {
        match axis {
            0 => Ok(Axis::Rows),
            1 => Ok(Axis::Cols),
            _ => Err(LoomError::InvalidInput("Axis must be 0 or 1".into())),
        }
    }
}

impl From<Axis> for usize {
    fn from(axis: Axis) -> usize {
        axis.index()
    }
}
