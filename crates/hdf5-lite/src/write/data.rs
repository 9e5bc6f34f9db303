//! Writing a dataset's elements: new datasets from a [`DatasetSpec`], hyperslab writes
//! (to chunked datasets through `chunk_write`: partial chunks are read, merged and
//! rewritten; chunks compress in parallel), raw chunk writes, and resizes along
//! unlimited dimensions. Element data always goes to fresh space.

use std::collections::BTreeMap;

use crate::error::{Error, Result};
use crate::format::chunk_index::ChunkRecord;
use crate::format::filters::encode_chunk;
use crate::format::messages::{
    Dataspace, DataspaceKind, Datatype, FillValue, Filter, FilterPipeline,
};
use crate::format::{Allocate, UNDEF};
use crate::read::Hyperslab;
use crate::region::{self, Grid};
use crate::write::chunk_pages::Scratch;
use crate::write::chunk_store::ChunkStore;
use crate::write::chunk_write::{write_chunks, ChunkCtx};
use crate::write::spec::{element_count, DatasetSpec};
use crate::write::tree::{DataStorage, DatasetNode};
use crate::write::Space;

impl DatasetNode {
    /// A new dataset, validated; its chunks or block are allocated on first write.
    pub(crate) fn create(path: &str, spec: &DatasetSpec, scratch: &Scratch) -> Result<Self> {
        let invalid = |why: String| Err(Error::InvalidInput(format!("{path}: {why}")));
        let rank = spec.shape.len();
        let elem = spec.datatype.size();
        if elem == 0 {
            return invalid("the datatype has size 0".into());
        }
        if rank > 32 {
            return invalid(format!("rank {rank} is above HDF5's limit of 32"));
        }
        let maxshape: Vec<Option<u64>> = spec
            .maxshape
            .clone()
            .unwrap_or_else(|| spec.shape.iter().map(|&d| Some(d)).collect());
        if maxshape.len() != rank {
            return invalid(format!(
                "maxshape {maxshape:?} does not match shape {:?}",
                spec.shape
            ));
        }
        if let Some((d, m)) = spec
            .shape
            .iter()
            .zip(&maxshape)
            .find(|(d, m)| m.is_some_and(|m| m < **d))
        {
            return invalid(format!("dimension of {d} exceeds its maximum {m:?}"));
        }
        element_count(&spec.shape)?;
        if let Some(fill) = &spec.fill_value {
            if fill.len() != elem as usize {
                return invalid(format!(
                    "fill value of {} bytes for {elem}-byte elements",
                    fill.len()
                ));
            }
        }
        let filtered = spec.deflate.is_some() || spec.shuffle || spec.fletcher32;
        let mut filters = Vec::new();
        if spec.shuffle {
            filters.push(Filter {
                id: 2,
                name: None,
                flags: 1,
                client_data: vec![elem],
            });
        }
        if let Some(level) = spec.deflate {
            if level > 9 {
                return invalid(format!("gzip level {level} is not 0–9"));
            }
            filters.push(Filter {
                id: 1,
                name: None,
                flags: 1,
                client_data: vec![level],
            });
        }
        if spec.fletcher32 {
            filters.push(Filter {
                id: 3,
                name: None,
                flags: 0,
                client_data: Vec::new(),
            });
        }
        let unlimited = maxshape.iter().any(Option::is_none);
        let data = match &spec.chunks {
            Some(chunks) => {
                if rank == 0 || chunks.len() != rank || chunks.contains(&0) {
                    return invalid(format!(
                        "chunk shape {chunks:?} does not fit shape {:?}",
                        spec.shape
                    ));
                }
                let bytes = chunks
                    .iter()
                    .try_fold(u64::from(elem), |a, &c| a.checked_mul(c));
                if bytes.is_none_or(|b| b > u64::from(u32::MAX))
                    || chunks.iter().any(|&c| c > u64::from(u32::MAX))
                {
                    return invalid(format!("chunks of {chunks:?} exceed 4 GiB"));
                }
                DataStorage::Chunked {
                    records: ChunkStore::new(chunks, &spec.shape, scratch)?,
                }
            }
            None if filtered || unlimited => {
                return invalid("filters and unlimited dimensions need a chunk shape".into())
            }
            None => {
                let size = element_count(&spec.shape)? * u64::from(elem);
                DataStorage::Contiguous {
                    address: UNDEF,
                    size,
                    fresh: false,
                }
            }
        };
        let chunked = matches!(data, DataStorage::Chunked { .. });
        let fill_time = if matches!(
            spec.datatype,
            Datatype::VarLenString { .. } | Datatype::VarLenSequence { .. }
        ) {
            0
        } else {
            2
        };
        Ok(DatasetNode {
            path: path.to_owned(),
            dataspace: Dataspace {
                kind: if rank == 0 {
                    DataspaceKind::Scalar
                } else {
                    DataspaceKind::Simple
                },
                dims: spec.shape.clone(),
                maxdims: Some(maxshape.iter().map(|m| m.unwrap_or(u64::MAX)).collect()),
            },
            datatype: spec.datatype.clone(),
            fill: FillValue {
                alloc_time: if chunked { 3 } else { 2 },
                fill_time,
                value: spec.fill_value.clone(),
            },
            pipeline: FilterPipeline { filters },
            data,
            attrs: BTreeMap::new(),
            passthrough: Vec::new(),
            loaded: false,
            kept_index: None,
        })
    }

    pub(crate) fn fill_element(&self) -> Vec<u8> {
        match &self.fill.value {
            Some(v) if v.len() == self.datatype.size() as usize => v.clone(),
            _ => vec![0; self.datatype.size() as usize],
        }
    }

    fn check_selection(&self, sel: &Hyperslab, data_len: usize) -> Result<()> {
        let shape = &self.dataspace.dims;
        let ok_rank = sel.start.len() == shape.len() && sel.count.len() == shape.len();
        if !ok_rank
            || sel
                .start
                .iter()
                .zip(&sel.count)
                .zip(shape)
                .any(|((&s, &c), &n)| s.checked_add(c).is_none_or(|e| e > n))
        {
            return Err(Error::Selection(format!(
                "{}: write of {sel:?} outside shape {shape:?}",
                self.path
            )));
        }
        let want = element_count(&sel.count)? * u64::from(self.datatype.size());
        if data_len as u64 != want {
            return Err(Error::InvalidInput(format!(
                "{}: {data_len} bytes given for a selection of {want}",
                self.path
            )));
        }
        Ok(())
    }

    /// Writes `data` (elements in the dataset's datatype, C order) to the selection.
    pub(crate) fn write(
        &mut self,
        space: &mut Space<'_>,
        sel: &Hyperslab,
        data: &[u8],
    ) -> Result<()> {
        self.check_selection(sel, data.len())?;
        if sel.is_empty() {
            return Ok(());
        }
        let elem = u64::from(self.datatype.size());
        let shape = self.dataspace.dims.clone();
        let fill = self.fill_element();
        let from = Grid {
            origin: &sel.start,
            dims: &sel.count,
        };
        match &mut self.data {
            DataStorage::Compact(bytes) => {
                if !region::copy(
                    data,
                    from,
                    bytes,
                    Grid {
                        origin: &vec![0; shape.len()],
                        dims: &shape,
                    },
                    elem,
                ) {
                    return Err(Error::InvalidInput(format!(
                        "{}: compact data shorter than its shape",
                        self.path
                    )));
                }
                Ok(())
            }
            DataStorage::Contiguous {
                address,
                size,
                fresh,
            } => {
                if !*fresh {
                    let block = if *address == UNDEF {
                        let mut block = Vec::new();
                        block
                            .try_reserve_exact(*size as usize)
                            .map_err(|_| Error::TooLarge {
                                what: "dataset",
                                size: u128::from(*size),
                            })?;
                        for _ in 0..*size / elem {
                            block.extend_from_slice(&fill);
                        }
                        block
                    } else {
                        space.get_vec(*address, *size)?
                    };
                    let new = space.alloc.allocate(*size);
                    space.put(new, &block)?;
                    space.alloc.release(*address, *size);
                    (*address, *fresh) = (new, true);
                }
                let mut rows = Vec::new();
                // Scatter row by row straight into the fresh block.
                let strides = region::strides(&shape);
                let sel_strides = region::strides(&sel.count);
                let rank = shape.len();
                let hi: Vec<u64> = (0..rank).map(|d| sel.start[d] + sel.count[d]).collect();
                let run = if rank == 0 {
                    elem
                } else {
                    sel.count[rank - 1] * elem
                };
                region::for_each_row::<Error>(&sel.start, &hi, |prefix| {
                    let mut at: Vec<u64> = prefix.to_vec();
                    if rank > 0 {
                        at.push(sel.start[rank - 1]);
                    }
                    let file_off: u64 =
                        at.iter().zip(&strides).map(|(&i, &s)| i * s).sum::<u64>() * elem;
                    let src_off: u64 = at
                        .iter()
                        .zip(&sel.start)
                        .zip(&sel_strides)
                        .map(|((&i, &o), &s)| (i - o) * s)
                        .sum::<u64>()
                        * elem;
                    rows.push((file_off, src_off));
                    Ok(())
                })?;
                for (file_off, src_off) in rows {
                    let src = &data[src_off as usize..(src_off + run) as usize];
                    space.put(*address + file_off, src)?;
                }
                Ok(())
            }
            DataStorage::Chunked { records } => {
                let chunk_dims = records.chunk_dims().to_vec();
                let ctx = ChunkCtx {
                    shape: &shape,
                    chunk_dims: &chunk_dims,
                    elem,
                    fill: &fill,
                    pipeline: &self.pipeline,
                    path: &self.path,
                };
                write_chunks(&ctx, space, records, sel, data)
            }
        }
    }

    /// Stores `bytes`, already filtered by the dataset's pipeline (with the filters set in
    /// `filter_mask` skipped), as the chunk whose first element is at `offset`.
    pub(crate) fn write_raw_chunk(
        &mut self,
        space: &mut Space<'_>,
        offset: &[u64],
        filter_mask: u32,
        bytes: &[u8],
    ) -> Result<()> {
        let DataStorage::Chunked { records } = &mut self.data else {
            return Err(Error::InvalidInput(format!(
                "{}: raw chunks can only be written to a chunked dataset",
                self.path
            )));
        };
        let shape = &self.dataspace.dims;
        let chunk_dims = records.chunk_dims();
        if offset.len() != chunk_dims.len()
            || offset
                .iter()
                .zip(chunk_dims.iter())
                .zip(shape)
                .any(|((&o, &c), &n)| o % c != 0 || o >= n)
        {
            return Err(Error::Selection(format!(
                "{}: {offset:?} is not the first element of a chunk of {chunk_dims:?} inside shape {shape:?}",
                self.path
            )));
        }
        let unfiltered =
            (chunk_dims.iter().product::<u64>()).saturating_mul(u64::from(self.datatype.size()));
        if bytes.is_empty()
            || bytes.len() as u64 > u64::from(u32::MAX)
            || (self.pipeline.filters.is_empty() && bytes.len() as u64 != unfiltered)
        {
            return Err(Error::InvalidInput(format!(
                "{}: a stored chunk of {} bytes (the chunk holds {unfiltered} bytes unfiltered)",
                self.path,
                bytes.len()
            )));
        }
        if filter_mask >> self.pipeline.filters.len().min(32) != 0 {
            return Err(Error::InvalidInput(format!(
                "{}: filter mask {filter_mask:#x} names filters the pipeline of {} does not have",
                self.path,
                self.pipeline.filters.len()
            )));
        }
        let address = space.alloc.allocate_data(bytes.len() as u64);
        space.put(address, bytes)?;
        let record = ChunkRecord {
            offset: offset.to_vec(),
            address,
            size: bytes.len() as u64,
            filter_mask,
        };
        if let Some((at, size)) = records.insert(&record)? {
            space.alloc.release(at, size);
        }
        Ok(())
    }

    /// Changes the shape; only chunked datasets within their maximum shape can change.
    pub(crate) fn resize(&mut self, space: &mut Space<'_>, shape: &[u64]) -> Result<()> {
        let old = self.dataspace.dims.clone();
        if shape.len() != old.len() {
            return Err(Error::InvalidInput(format!(
                "{}: new shape {shape:?} has rank {}, not {}",
                self.path,
                shape.len(),
                old.len()
            )));
        }
        let max = self
            .dataspace
            .maxdims
            .clone()
            .unwrap_or_else(|| old.clone());
        let elem = u64::from(self.datatype.size());
        let fill = self.fill_element();
        if let Some((d, m)) = shape.iter().zip(&max).find(|(d, m)| d > m) {
            return Err(Error::InvalidInput(format!(
                "{}: dimension of {d} exceeds its maximum {m}",
                self.path
            )));
        }
        let DataStorage::Chunked { records } = &mut self.data else {
            if shape == old.as_slice() {
                return Ok(());
            }
            return Err(Error::InvalidInput(format!(
                "{}: only chunked datasets can be resized",
                self.path
            )));
        };
        element_count(shape)?;
        // Chunks wholly outside the new shape go; chunks the new boundary cuts are
        // rewritten with the fill value beyond it, so growing again reads as fill.
        for (at, size) in records.reshape(shape)? {
            space.alloc.release(at, size);
        }
        let chunk_dims = records.chunk_dims().to_vec();
        let mut cut: Vec<ChunkRecord> = Vec::new();
        // Only a dimension that shrinks cuts chunks.
        if shape.iter().zip(&old).any(|(n, was)| n < was) {
            for r in records.iter() {
                let r = r?;
                if r.offset
                    .iter()
                    .zip(&chunk_dims)
                    .zip(shape.iter().zip(&old))
                    .any(|((&o, &c), (&n, &was))| n < was && o + c > n)
                {
                    cut.push(r);
                }
            }
        }
        let ctx = ChunkCtx {
            shape,
            chunk_dims: &chunk_dims,
            elem,
            fill: &fill,
            pipeline: &self.pipeline,
            path: &self.path,
        };
        for rec in cut {
            let mut chunk = ctx.decode(space, &rec)?;
            ctx.clear_outside(&rec.offset, &mut chunk);
            let stored = encode_chunk(ctx.pipeline, &chunk)?;
            let address = space.alloc.allocate_data(stored.len() as u64);
            space.put(address, &stored)?;
            let old = records.insert(&ChunkRecord {
                address,
                size: stored.len() as u64,
                filter_mask: 0,
                ..rec
            })?;
            if let Some((at, size)) = old {
                space.alloc.release(at, size);
            }
        }
        self.dataspace.dims = shape.to_vec();
        Ok(())
    }
}
