//! loompy's deprecated `batch_scan` and `batch_scan_layers` (loompy-api.md §3.9): a
//! scan's windows of some layers as plain matrices, the other axis selected by a list.

use std::collections::BTreeMap;

use ndarray::Array2;

use super::{to_usize, Items};
use crate::axis::Axis;
use crate::connection::LoomConnection;
use crate::error::{LoomError, Result};

/// One window of [`LoomConnection::batch_scan`]: `(ix, indexes, values)`.
pub type BatchScanItem = (usize, Vec<usize>, Array2<f64>);

/// One window of [`LoomConnection::batch_scan_layers`]: `(ix, indexes, {layer: values})`.
pub type BatchScanLayersItem = (usize, Vec<usize>, BTreeMap<String, Array2<f64>>);

impl LoomConnection {
    /// loompy's deprecated `batch_scan(cells, genes, axis, batch_size, layer)`: windows
    /// along `axis` of one layer as plain matrices `(ix, indexes, values)`; `genes`
    /// and `cells` select (in their order) on the rows and columns.
    pub fn batch_scan(
        &self,
        cells: Option<Vec<usize>>,
        genes: Option<Vec<usize>>,
        axis: Axis,
        batch_size: usize,
        layer: &str,
    ) -> Result<impl Iterator<Item = Result<BatchScanItem>>> {
        let it = self.batch_scan_layers(cells, genes, axis, batch_size, &[layer])?;
        Ok(it.map(|b| {
            b.and_then(|(ix, sel, mut vals)| {
                let v = vals.pop_first().map(|(_, v)| v).ok_or_else(|| {
                    LoomError::InvalidInput("batch_scan read no layer".to_owned())
                })?;
                Ok((ix, sel, v))
            })
        }))
    }

    /// loompy's deprecated `batch_scan_layers(cells, genes, axis, batch_size, layers)`:
    /// like [`batch_scan`](Self::batch_scan), one matrix per layer.
    pub fn batch_scan_layers(
        &self,
        cells: Option<Vec<usize>>,
        genes: Option<Vec<usize>>,
        axis: Axis,
        batch_size: usize,
        layers: &[&str],
    ) -> Result<impl Iterator<Item = Result<BatchScanLayersItem>>> {
        let (items, other) = match axis {
            Axis::Rows => (genes, cells),
            Axis::Cols => (cells, genes),
        };
        let other_len = to_usize([self.shape().0, self.shape().1][axis.other().index()])?;
        if let Some(bad) = other.iter().flatten().find(|&&i| i >= other_len) {
            return Err(LoomError::Selection(format!(
                "index {bad} is out of range for an axis of {other_len}"
            )));
        }
        let items = match items {
            Some(v) => Items::Indices(v.into_iter().map(|i| i as i64).collect()),
            None => Items::All,
        };
        let names = layers.iter().map(|s| s.to_string()).collect();
        let scan = self.scan_parts(axis, &items, Some(names), batch_size, other)?;
        Ok(scan.map(|b| {
            b.map(|b| {
                let layers = b.view.into_parts().layers;
                let values = layers.into_iter().map(|(k, l)| (k, l.values)).collect();
                (b.ix, b.indexes, values)
            })
        }))
    }
}
