//! Selections along one axis of the main matrix or a layer (loompy-api.md §3.4): what
//! loompy users write inside `ds[rows, cols]`.
//!
//! loompy hands its selections to h5py, which allows only one "fancy" axis and only
//! strictly increasing index lists. Here every axis may be a list or a mask at once, and
//! lists may come in any order and repeat indices (numpy semantics).

use std::ops::{Range, RangeFrom, RangeFull, RangeInclusive, RangeTo};

use crate::error::{LoomError, Result};

/// A selection along one axis.
///
/// ```
/// use loom_core::Selection;
///
/// assert_eq!(Selection::All.resolve(3)?, vec![0, 1, 2]);
/// assert_eq!(Selection::from(-1).resolve(5)?, vec![4]);
/// assert_eq!(Selection::range(None, None, 2).resolve(5)?, vec![0, 2, 4]);
/// assert_eq!(Selection::from(vec![3, 1, 1]).resolve(5)?, vec![3, 1, 1]);
/// assert_eq!(Selection::from(vec![true, false, true]).resolve(3)?, vec![0, 2]);
/// # Ok::<(), loom_core::LoomError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Selection {
    /// Everything (`:`).
    #[default]
    All,
    /// One index; negative values count from the end (`-1` is the last). Unlike numpy,
    /// the result keeps this axis with length 1.
    Index(i64),
    /// A Python slice `start:stop:step`: ends may be negative or `None`, they are clamped
    /// to the axis, and `step` must be at least 1.
    Range {
        /// First index (`None`: 0).
        start: Option<i64>,
        /// One past the last index (`None`: the axis length).
        stop: Option<i64>,
        /// Stride, at least 1.
        step: i64,
    },
    /// Indices in any order, repeats allowed, negatives counting from the end.
    List(Vec<i64>),
    /// A boolean mask exactly as long as the axis.
    Mask(Vec<bool>),
}

impl Selection {
    /// The slice `start:stop:step`.
    pub fn range(start: Option<i64>, stop: Option<i64>, step: i64) -> Self {
        Selection::Range { start, stop, step }
    }

    /// The indices selected on an axis of length `len`, in output order.
    ///
    /// Errors are h5py's: `Index (300) out of range for (0-199)` (a negative index is
    /// reported after adding the length: -201 on 200 gives `Index (-1) …`), `Step must be >= 1
    /// (got -1)`, `boolean index did not match indexed array`.
    pub fn resolve(&self, len: u64) -> Result<Vec<u64>> {
        let n = i64::try_from(len)
            .map_err(|_| LoomError::Selection(format!("axis length {len} is too large")))?;
        let one = |i: i64| -> Result<u64> {
            let j = if i < 0 { i + n } else { i };
            if j < 0 || j >= n {
                // h5py reports a negative index after adding the length.
                return Err(LoomError::Selection(format!(
                    "Index ({j}) out of range for (0-{})",
                    n - 1
                )));
            }
            Ok(j as u64)
        };
        match self {
            Selection::All => indices(len, 0..len),
            Selection::Index(i) => Ok(vec![one(*i)?]),
            Selection::List(v) => v.iter().map(|&i| one(i)).collect(),
            Selection::Mask(m) => {
                if m.len() as u64 != len {
                    return Err(LoomError::Selection(
                        "boolean index did not match indexed array".to_owned(),
                    ));
                }
                Ok(m.iter()
                    .enumerate()
                    .filter(|(_, &b)| b)
                    .map(|(i, _)| i as u64)
                    .collect())
            }
            Selection::Range { start, stop, step } => {
                if *step < 1 {
                    return Err(LoomError::Selection(format!(
                        "Step must be >= 1 (got {step})"
                    )));
                }
                let clamp = |v: Option<i64>, default: i64| -> i64 {
                    match v {
                        None => default,
                        Some(v) if v < 0 => (v.saturating_add(n)).max(0),
                        Some(v) => v.min(n),
                    }
                };
                let a = clamp(*start, 0);
                let b = clamp(*stop, n);
                if a >= b {
                    return Ok(Vec::new());
                }
                let count = (b - a - 1) as u64 / *step as u64 + 1;
                indices(count, (a..b).step_by(*step as usize).map(|i| i as u64))
            }
        }
    }
}

/// `count` indices collected from `it`, or an error (not an abort) when a list that long
/// cannot be held in memory (a crafted file may declare an axis of 2^61).
fn indices(count: u64, it: impl Iterator<Item = u64>) -> Result<Vec<u64>> {
    let too_many = || LoomError::Selection(format!("a selection of {count} indices is too large"));
    let n = usize::try_from(count).map_err(|_| too_many())?;
    let mut v = Vec::new();
    v.try_reserve_exact(n).map_err(|_| too_many())?;
    v.extend(it);
    Ok(v)
}

macro_rules! from_int {
    ($($t:ty),*) => {$(
        impl From<$t> for Selection {
            fn from(i: $t) -> Self {
                Selection::Index(i64::try_from(i).unwrap_or(i64::MAX))
            }
        }
        impl From<Range<$t>> for Selection {
            fn from(r: Range<$t>) -> Self {
                Selection::range(
                    Some(i64::try_from(r.start).unwrap_or(i64::MAX)),
                    Some(i64::try_from(r.end).unwrap_or(i64::MAX)),
                    1,
                )
            }
        }
        impl From<RangeInclusive<$t>> for Selection {
            fn from(r: RangeInclusive<$t>) -> Self {
                let end = i64::try_from(*r.end()).unwrap_or(i64::MAX);
                // `a..=-1` means "to the end", which an exclusive stop of 0 would not.
                let stop = if end == -1 { None } else { Some(end.saturating_add(1)) };
                Selection::range(Some(i64::try_from(*r.start()).unwrap_or(i64::MAX)), stop, 1)
            }
        }
        impl From<RangeFrom<$t>> for Selection {
            fn from(r: RangeFrom<$t>) -> Self {
                Selection::range(Some(i64::try_from(r.start).unwrap_or(i64::MAX)), None, 1)
            }
        }
        impl From<RangeTo<$t>> for Selection {
            fn from(r: RangeTo<$t>) -> Self {
                Selection::range(None, Some(i64::try_from(r.end).unwrap_or(i64::MAX)), 1)
            }
        }
        impl From<Vec<$t>> for Selection {
            fn from(v: Vec<$t>) -> Self {
                Selection::from(v.as_slice())
            }
        }
        impl From<&Vec<$t>> for Selection {
            fn from(v: &Vec<$t>) -> Self {
                Selection::from(v.as_slice())
            }
        }
        impl From<&[$t]> for Selection {
            fn from(v: &[$t]) -> Self {
                Selection::List(v.iter().map(|&i| i64::try_from(i).unwrap_or(i64::MAX)).collect())
            }
        }
        impl<const K: usize> From<[$t; K]> for Selection {
            fn from(v: [$t; K]) -> Self {
                Selection::from(&v[..])
            }
        }
    )*};
}

from_int!(usize, u64, u32, i64, i32);

impl From<RangeFull> for Selection {
    fn from(_: RangeFull) -> Self {
        Selection::All
    }
}

impl From<Vec<bool>> for Selection {
    fn from(v: Vec<bool>) -> Self {
        Selection::Mask(v)
    }
}

impl From<&Vec<bool>> for Selection {
    fn from(v: &Vec<bool>) -> Self {
        Selection::Mask(v.clone())
    }
}

impl From<&[bool]> for Selection {
    fn from(v: &[bool]) -> Self {
        Selection::Mask(v.to_vec())
    }
}

impl<const K: usize> From<[bool; K]> for Selection {
    fn from(v: [bool; K]) -> Self {
        Selection::Mask(v.to_vec())
    }
}

impl From<&Selection> for Selection {
    fn from(s: &Selection) -> Self {
        s.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(s: impl Into<Selection>, n: u64) -> Result<Vec<u64>> {
        s.into().resolve(n)
    }

    #[test]
    fn python_slice_semantics() {
        assert_eq!(r(.., 3).ok(), Some(vec![0, 1, 2]));
        assert_eq!(r(148..200, 150).ok(), Some(vec![148, 149]));
        assert_eq!(
            r(Selection::range(Some(5), Some(2), 1), 10).ok(),
            Some(vec![])
        );
        assert_eq!(
            r(Selection::range(Some(-3), None, 1), 5).ok(),
            Some(vec![2, 3, 4])
        );
        assert_eq!(
            r(Selection::range(Some(-30), Some(-3), 2), 5).ok(),
            Some(vec![0])
        );
        assert_eq!(
            r(Selection::range(Some(1), None, 3), 8).ok(),
            Some(vec![1, 4, 7])
        );
        assert_eq!(r(2..=4, 10).ok(), Some(vec![2, 3, 4]));
        assert_eq!(r(-2..=-1, 5).ok(), Some(vec![3, 4]));
        assert_eq!(r(7.., 9).ok(), Some(vec![7, 8]));
        assert_eq!(r(..2, 9).ok(), Some(vec![0, 1]));
        let e = r(Selection::range(None, None, -1), 5).unwrap_err();
        assert_eq!(e.to_string(), "Step must be >= 1 (got -1)");
        let e = r(Selection::range(None, None, 0), 5).unwrap_err();
        assert_eq!(e.to_string(), "Step must be >= 1 (got 0)");
    }

    #[test]
    fn indices_lists_masks() {
        assert_eq!(r(-1, 200).ok(), Some(vec![199]));
        assert_eq!(
            r(300, 200).unwrap_err().to_string(),
            "Index (300) out of range for (0-199)"
        );
        assert_eq!(
            r(-201, 200).unwrap_err().to_string(),
            "Index (-1) out of range for (0-199)"
        );
        assert_eq!(r(vec![3, -1, 3, 0], 5).ok(), Some(vec![3, 4, 3, 0]));
        assert_eq!(r(vec![2usize, 0], 5).ok(), Some(vec![2, 0]));
        assert_eq!(r(Vec::<i64>::new(), 5).ok(), Some(vec![]));
        assert!(r(vec![1, 7], 5).is_err());
        assert_eq!(r([false, true, true], 3).ok(), Some(vec![1, 2]));
        assert_eq!(
            r(vec![true; 4], 3).unwrap_err().to_string(),
            "boolean index did not match indexed array"
        );
    }
}
