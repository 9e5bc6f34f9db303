//! Taking, concatenating and stacking attribute values along their first axis: what
//! views, scans, permutations and combined files do to row and column attributes.

use ndarray::{ArrayD, Axis as NdAxis};

use crate::error::{LoomError, Result};
use crate::values::AttrValues;

/// Applies `$f` (a generic closure-like macro body over an `ArrayD<T>`) to the array of
/// any non-compound variant, keeping the variant and width.
macro_rules! per_variant {
    ($v:expr, |$a:ident| $body:expr) => {
        match $v {
            AttrValues::Int { values: $a, bytes } => AttrValues::Int {
                values: $body,
                bytes: *bytes,
            },
            AttrValues::UInt { values: $a, bytes } => AttrValues::UInt {
                values: $body,
                bytes: *bytes,
            },
            AttrValues::Float { values: $a, bytes } => AttrValues::Float {
                values: $body,
                bytes: *bytes,
            },
            AttrValues::Bool($a) => AttrValues::Bool($body),
            AttrValues::Str($a) => AttrValues::Str($body),
            AttrValues::Compound(_) => unreachable!("compounds are handled field by field"),
        }
    };
}

fn invalid(m: String) -> LoomError {
    LoomError::InvalidInput(m)
}

/// The arrays of `parts` if they all are the variant `pick` accepts.
fn same<'a, T: 'a>(
    parts: &'a [AttrValues],
    pick: impl Fn(&'a AttrValues) -> Option<&'a ArrayD<T>>,
) -> Result<Vec<&'a ArrayD<T>>> {
    parts
        .iter()
        .map(|p| {
            pick(p).ok_or_else(|| {
                invalid(format!(
                    "cannot combine attributes of different types ({} and {})",
                    parts[0].dtype().name(),
                    p.dtype().name()
                ))
            })
        })
        .collect()
}

/// Joins parts (compounds field by field), keeping the widest stored width.
fn combine(parts: &[AttrValues], what: &str, how: Join) -> Result<AttrValues> {
    let Some(first) = parts.first() else {
        return Err(invalid(format!("nothing to {what}")));
    };
    if let AttrValues::Compound(fields) = first {
        let mut out = Vec::with_capacity(fields.len());
        for (i, (name, _)) in fields.iter().enumerate() {
            let column: Vec<AttrValues> = parts
                .iter()
                .map(|p| match p {
                    AttrValues::Compound(f) if f.get(i).map(|(n, _)| n) == Some(name) => {
                        Ok(f[i].1.clone())
                    }
                    _ => Err(invalid(format!(
                        "cannot {what} compounds with different fields"
                    ))),
                })
                .collect::<Result<_>>()?;
            out.push((name.clone(), combine(&column, what, how)?));
        }
        return Ok(AttrValues::Compound(out));
    }
    join_with(parts, how)
}

fn widest(parts: &[AttrValues]) -> u8 {
    parts
        .iter()
        .map(|p| match p {
            AttrValues::Int { bytes, .. }
            | AttrValues::UInt { bytes, .. }
            | AttrValues::Float { bytes, .. } => *bytes,
            _ => 1,
        })
        .max()
        .unwrap_or(1)
}

/// How parts are joined.
#[derive(Clone, Copy)]
enum Join {
    /// Along the first axis.
    Concat,
    /// As columns.
    Stack,
}

fn join<T: Clone>(how: Join, arrays: &[&ArrayD<T>]) -> Result<ArrayD<T>> {
    match how {
        Join::Concat => concat_arrays(arrays),
        Join::Stack => stack_arrays(arrays),
    }
}

/// Joins the arrays of same-variant `parts`.
fn join_with(parts: &[AttrValues], how: Join) -> Result<AttrValues> {
    let bytes = widest(parts);
    Ok(match &parts[0] {
        AttrValues::Int { .. } => AttrValues::Int {
            values: join(
                how,
                &same(parts, |p| match p {
                    AttrValues::Int { values, .. } => Some(values),
                    _ => None,
                })?,
            )?,
            bytes,
        },
        AttrValues::UInt { .. } => AttrValues::UInt {
            values: join(
                how,
                &same(parts, |p| match p {
                    AttrValues::UInt { values, .. } => Some(values),
                    _ => None,
                })?,
            )?,
            bytes,
        },
        AttrValues::Float { .. } => AttrValues::Float {
            values: join(
                how,
                &same(parts, |p| match p {
                    AttrValues::Float { values, .. } => Some(values),
                    _ => None,
                })?,
            )?,
            bytes,
        },
        AttrValues::Bool(_) => AttrValues::Bool(join(
            how,
            &same(parts, |p| match p {
                AttrValues::Bool(v) => Some(v),
                _ => None,
            })?,
        )?),
        AttrValues::Str(_) => AttrValues::Str(join(
            how,
            &same(parts, |p| match p {
                AttrValues::Str(v) => Some(v),
                _ => None,
            })?,
        )?),
        AttrValues::Compound(_) => {
            return Err(invalid("compounds are joined field by field".into()))
        }
    })
}

fn concat_arrays<T: Clone>(arrays: &[&ArrayD<T>]) -> Result<ArrayD<T>> {
    let views: Vec<_> = arrays.iter().map(|a| a.view()).collect();
    ndarray::concatenate(NdAxis(0), &views)
        .map_err(|e| invalid(format!("attributes of different shapes: {e}")))
}

fn stack_arrays<T: Clone>(arrays: &[&ArrayD<T>]) -> Result<ArrayD<T>> {
    let cols: Vec<ArrayD<T>> = arrays
        .iter()
        .map(|a| match a.ndim() {
            1 => Ok(a.view().insert_axis(NdAxis(1)).to_owned()),
            2 => Ok((*a).clone()),
            d => Err(invalid(format!("cannot stack {d}-dimensional attributes"))),
        })
        .collect::<Result<_>>()?;
    let views: Vec<_> = cols.iter().map(|c| c.view()).collect();
    ndarray::concatenate(NdAxis(1), &views)
        .map_err(|e| invalid(format!("attributes of different lengths: {e}")))
}

impl AttrValues {
    /// The values at positions `idx` of the first axis, in that order, repeats allowed
    /// (numpy's `v[idx]`; a 2-D attribute keeps its second axis).
    ///
    /// ```
    /// use loom_core::AttrValues;
    /// let v = AttrValues::from(vec!["a", "b", "c"]);
    /// assert_eq!(v.take(&[2, 0, 2])?, AttrValues::from(vec!["c", "a", "c"]));
    /// assert!(v.take(&[3]).is_err());
    /// # Ok::<(), loom_core::LoomError>(())
    /// ```
    pub fn take(&self, idx: &[usize]) -> Result<AttrValues> {
        let len = self.len();
        if self.ndim() == 0 {
            return Err(invalid("cannot take from a scalar attribute".into()));
        }
        if let Some(&i) = idx.iter().find(|&&i| i >= len) {
            return Err(LoomError::Selection(format!(
                "Index ({i}) out of range for (0-{})",
                len as i64 - 1
            )));
        }
        if let AttrValues::Compound(fields) = self {
            return Ok(AttrValues::Compound(
                fields
                    .iter()
                    .map(|(k, f)| Ok((k.clone(), f.take(idx)?)))
                    .collect::<Result<_>>()?,
            ));
        }
        Ok(per_variant!(self, |a| a.select(NdAxis(0), idx)))
    }

    /// The parts one after another along the first axis (numpy's `concatenate`). They
    /// must be the same kind (signed, unsigned, float, bool, string, or compounds with the
    /// same fields) and agree on the other axes; numbers keep the widest stored width.
    ///
    /// ```
    /// use loom_core::AttrValues;
    /// let v = AttrValues::concat(&[vec![1i16, 2].into(), vec![3i64].into()])?;
    /// assert_eq!(v, AttrValues::from(vec![1i64, 2, 3]));
    /// # Ok::<(), loom_core::LoomError>(())
    /// ```
    pub fn concat(parts: &[AttrValues]) -> Result<AttrValues> {
        if parts.iter().any(|p| p.ndim() == 0) {
            return Err(invalid("cannot concatenate scalar attributes".into()));
        }
        combine(parts, "concatenate", Join::Concat)
    }

    /// The parts side by side as the columns of an (n, k) array (1-D parts give one
    /// column each, 2-D parts all their columns), as loompy's `ds.ca["TSNE", "PCA"]`.
    /// They must have the same dtype, else loompy's "Cannot stack attributes of different
    /// types (…)".
    ///
    /// ```
    /// use loom_core::AttrValues;
    /// let v = AttrValues::stack(&[vec![1.0, 2.0].into(), vec![3.0, 4.0].into()])?;
    /// assert_eq!(v.shape(), [2, 2]);
    /// # Ok::<(), loom_core::LoomError>(())
    /// ```
    pub fn stack(parts: &[AttrValues]) -> Result<AttrValues> {
        if let Some(first) = parts.first() {
            if let Some(other) = parts.iter().find(|p| p.dtype() != first.dtype()) {
                return Err(invalid(format!(
                    "Cannot stack attributes of different types ({} and {})",
                    other.dtype().name(),
                    first.dtype().name()
                )));
            }
        }
        if matches!(parts.first(), Some(AttrValues::Compound(_))) {
            return Err(invalid("compound attributes cannot be stacked".into()));
        }
        combine(parts, "stack", Join::Stack)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn take_concat_stack() {
        let m = AttrValues::from(ndarray::array![[1u8, 2], [3, 4], [5, 6]]);
        let t = m.take(&[2, 2]).unwrap();
        assert_eq!(t, AttrValues::from(ndarray::array![[5u8, 6], [5, 6]]));
        let c = AttrValues::concat(&[m.clone(), t]).unwrap();
        assert_eq!(c.shape(), [5, 2]);
        assert!(AttrValues::concat(&[m.clone(), vec![1i8, 2, 3].into()]).is_err());
        assert!(AttrValues::concat(&[]).is_err());
        let s = AttrValues::stack(&[m.clone(), vec![7u8, 8, 9].into()]).unwrap();
        assert_eq!(
            s,
            AttrValues::from(ndarray::array![[1u8, 2, 7], [3, 4, 8], [5, 6, 9]])
        );
        let e = AttrValues::stack(&[m, vec![1.0f32, 2.0, 3.0].into()]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "Cannot stack attributes of different types (float32 and uint8)"
        );
        let comp = AttrValues::Compound(vec![("x".into(), vec![1i64, 2].into())]);
        let both = AttrValues::concat(&[comp.clone(), comp.take(&[1]).unwrap()]).unwrap();
        assert_eq!(
            both,
            AttrValues::Compound(vec![("x".into(), vec![1i64, 2, 2].into())])
        );
    }
}
