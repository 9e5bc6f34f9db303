//! Datasets: shape, type, layout and filters, and reads of the whole dataset or a
//! hyperslab into raw bytes, typed ndarrays or decoded values.

use std::sync::{Arc, Mutex};

use ndarray::{ArrayD, IxDyn};

use crate::error::{Error, Result};
use crate::format::messages::{
    kind, Dataspace, DataspaceKind, Datatype, FillValue, Filter, FilterPipeline, Layout,
    SharedMessage,
};
use crate::format::object_header::{ObjectHeader, RawMessage};
use crate::format::UNDEF;
use crate::read::attribute::{attributes_of, shared_datatype, Attribute};
use crate::read::chunks::{self, ChunkMap, ChunkPlan, Out, RawOut, Shared, Target, TypedOut};
use crate::read::convert::{convert, Numeric};
use crate::read::group::find_attribute;
use crate::read::select::Selection;
use crate::read::value::{Decoder, Value};
use crate::read::File;

mod orthogonal;

/// A rectangular selection: `count[d]` elements from `start[d]` in each dimension.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hyperslab {
    /// First element in each dimension.
    pub start: Vec<u64>,
    /// Number of elements in each dimension.
    pub count: Vec<u64>,
}

impl Hyperslab {
    /// The whole of a dataset of shape `shape`.
    pub fn all(shape: &[u64]) -> Self {
        Hyperslab {
            start: vec![0; shape.len()],
            count: shape.to_vec(),
        }
    }

    /// Number of elements selected (`u64::MAX` if that overflows).
    pub fn len(&self) -> u64 {
        self.count.iter().fold(1u64, |a, &c| a.saturating_mul(c))
    }

    /// Whether nothing is selected.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn check(&self, shape: &[u64], path: &str) -> Result<()> {
        if self.start.len() != shape.len() || self.count.len() != shape.len() {
            return Err(Error::Selection(format!(
                "{path}: selection has {} start and {} count values for {} dimensions",
                self.start.len(),
                self.count.len(),
                shape.len()
            )));
        }
        for (d, ((&s, &c), &n)) in self.start.iter().zip(&self.count).zip(shape).enumerate() {
            if s.checked_add(c).is_none_or(|end| end > n) {
                return Err(Error::Selection(format!(
                    "{path}: dimension {d} selects {s}..{} of {n}",
                    s.saturating_add(c)
                )));
            }
        }
        Ok(())
    }
}

/// A dataset. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Dataset {
    file: File,
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    path: String,
    header: Arc<ObjectHeader>,
    dataspace: Dataspace,
    datatype: Datatype,
    layout: Layout,
    pipeline: FilterPipeline,
    fill: FillValue,
    chunk_map: Mutex<Option<Arc<ChunkMap>>>,
}

impl Dataset {
    pub(crate) fn new(file: File, path: String, header: Arc<ObjectHeader>) -> Result<Self> {
        let ctx = file.ctx();
        let message = |k: u16, what: &'static str| -> Result<Option<crate::format::Cursor<'_>>> {
            match header.find(k) {
                Some(m) if m.is_shared() => Err(Error::unsupported(format!(
                    "shared {what} (shared object header message) in {path}"
                ))),
                Some(m) => Ok(Some(ctx.cursor(&m.data, m.offset, what))),
                None => Ok(None),
            }
        };
        let missing = |what: &str| {
            Error::corrupt(
                "object header",
                header.address,
                format!("dataset without a {what} message"),
            )
        };
        let dataspace = Dataspace::decode(
            &mut message(kind::DATASPACE, "dataspace message")?
                .ok_or_else(|| missing("dataspace"))?,
        )?;
        let datatype = match header.find(kind::DATATYPE) {
            Some(m) if m.is_shared() => committed_datatype(ctx, m)?,
            Some(m) => Datatype::decode(&mut ctx.cursor(&m.data, m.offset, "datatype message"))?,
            None => return Err(missing("datatype")),
        };
        let layout = Layout::decode(
            &mut message(kind::LAYOUT, "layout message")?.ok_or_else(|| missing("layout"))?,
        )?;
        let pipeline = match message(kind::FILTER_PIPELINE, "filter pipeline message")? {
            Some(mut c) => FilterPipeline::decode(&mut c)?,
            None => FilterPipeline::default(),
        };
        let fill = match message(kind::FILL_VALUE, "fill value message")? {
            Some(mut c) => FillValue::decode(&mut c)?,
            None => match message(kind::FILL_VALUE_OLD, "old fill value message")? {
                Some(mut c) => FillValue::decode_old(&mut c)?,
                None => FillValue::default(),
            },
        };
        layout.check_fits(
            dataspace.num_elements().unwrap_or(u64::MAX),
            datatype.size(),
            ctx.source.len(),
            ctx.base,
            header.address,
        )?;
        if let Layout::Chunked { chunk_dims, .. } = &layout {
            if chunk_dims.is_empty()
                || chunk_dims.len() != dataspace.dims.len()
                || chunk_dims.contains(&0)
            {
                return Err(Error::corrupt(
                    "layout message",
                    header.address,
                    format!(
                        "chunk dims {chunk_dims:?} do not fit dataset dims {:?}",
                        dataspace.dims
                    ),
                ));
            }
        }
        let inner = Inner {
            path,
            header,
            dataspace,
            datatype,
            layout,
            pipeline,
            fill,
            chunk_map: Mutex::new(None),
        };
        Ok(Dataset {
            file,
            inner: Arc::new(inner),
        })
    }

    pub(crate) fn header(&self) -> &ObjectHeader {
        &self.inner.header
    }

    pub(crate) fn fill(&self) -> &FillValue {
        &self.inner.fill
    }

    pub(crate) fn pipeline(&self) -> &FilterPipeline {
        &self.inner.pipeline
    }

    /// The file the dataset is in (for a dataset reached through an external link, the
    /// linked file: its chunk records' addresses are in that file).
    pub fn file(&self) -> &File {
        &self.file
    }

    /// The dataset's absolute path.
    pub fn path(&self) -> &str {
        &self.inner.path
    }

    /// The address of its object header.
    pub fn address(&self) -> u64 {
        self.inner.header.address
    }

    /// Current shape (empty for scalars and null dataspaces).
    pub fn shape(&self) -> &[u64] {
        &self.inner.dataspace.dims
    }

    /// The dataspace (scalar, simple or null).
    pub fn dataspace(&self) -> &Dataspace {
        &self.inner.dataspace
    }

    /// Whether the dataspace is null (no elements, no shape).
    pub fn is_null(&self) -> bool {
        self.inner.dataspace.kind == DataspaceKind::Null
    }

    /// Maximum shape, `None` in a dimension meaning unlimited.
    pub fn maxshape(&self) -> Vec<Option<u64>> {
        match &self.inner.dataspace.maxdims {
            Some(m) => m.iter().map(|&d| (d != u64::MAX).then_some(d)).collect(),
            None => self.inner.dataspace.dims.iter().map(|&d| Some(d)).collect(),
        }
    }

    /// Number of elements (`u64::MAX` when the dimensions overflow).
    pub fn len(&self) -> u64 {
        self.inner.dataspace.num_elements().unwrap_or(u64::MAX)
    }

    /// Whether the dataset has no elements.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The element type.
    pub fn datatype(&self) -> &Datatype {
        &self.inner.datatype
    }

    /// The storage layout.
    pub fn layout(&self) -> &Layout {
        &self.inner.layout
    }

    /// Chunk shape, for chunked datasets.
    pub fn chunks(&self) -> Option<&[u64]> {
        match &self.inner.layout {
            Layout::Chunked { chunk_dims, .. } => Some(chunk_dims),
            _ => None,
        }
    }

    /// The filters, in the order they are applied when writing.
    pub fn filters(&self) -> &[Filter] {
        &self.inner.pipeline.filters
    }

    /// The fill value's bytes, when the file defines one.
    pub fn fill_value(&self) -> Option<&[u8]> {
        self.inner.fill.value.as_deref()
    }

    /// The dataset's attributes, sorted by name.
    pub fn attributes(&self) -> Result<Vec<Attribute>> {
        attributes_of(&self.file, &self.inner.header)
    }

    /// The attribute called `name`.
    pub fn attribute(&self, name: &str) -> Result<Attribute> {
        find_attribute(&self.file, &self.inner.header, &self.inner.path, name)
    }

    /// Every element's stored bytes, C order.
    pub fn read_raw(&self) -> Result<Vec<u8>> {
        self.read_raw_slice(&Hyperslab::all(self.shape()))
    }

    /// The stored bytes of a hyperslab, C order. For chunked data, only the chunks the
    /// selection touches are read, each decoded once (in parallel with the `parallel`
    /// feature).
    pub fn read_raw_slice(&self, sel: &Hyperslab) -> Result<Vec<u8>> {
        if self.is_null() {
            return Ok(Vec::new());
        }
        sel.check(self.shape(), &self.inner.path)?;
        let sel = Selection::hyperslab(sel);
        let elem = self.inner.datatype.size() as usize;
        let n = self.output_len(&sel)?;
        let bytes = n.checked_mul(elem).ok_or(Error::TooLarge {
            what: "selection",
            size: n as u128 * elem as u128,
        })?;
        let mut out = zeroed::<u8>(bytes)?;
        let plan = self.plan(&sel)?;
        if let Some(fill) = self.fill_element()? {
            if !plan.complete && fill.iter().any(|&b| b != 0) {
                for e in out.chunks_exact_mut(elem.max(1)) {
                    e.copy_from_slice(fill);
                }
            }
        }
        let out_ref = RawOut {
            out: Shared::new(&mut out),
            elem,
        };
        self.run(&sel, &plan, &out_ref)?;
        Ok(out)
    }

    /// Number of output elements of a checked selection, as a `usize`.
    fn output_len(&self, sel: &Selection) -> Result<usize> {
        sel.len()
            .and_then(|n| usize::try_from(n).ok())
            .ok_or(Error::TooLarge {
                what: "selection",
                size: sel
                    .shape()
                    .iter()
                    .fold(1u128, |a, &c| a.saturating_mul(u128::from(c))),
            })
    }

    /// What a read of `sel` needs from the chunk index (nothing for other layouts).
    fn plan(&self, sel: &Selection) -> Result<ChunkPlan> {
        match &self.inner.layout {
            Layout::Chunked { .. } if !sel.is_empty() => {
                chunks::plan_chunked(self.file.ctx(), &*self.chunk_map()?, sel)
            }
            Layout::Contiguous { address, .. } => Ok(ChunkPlan::whole(*address != UNDEF)),
            _ => Ok(ChunkPlan::whole(true)),
        }
    }

    /// Reads a checked selection of a non-null dataset into `out`, which holds the fill
    /// value wherever `plan` is not complete.
    fn run(&self, sel: &Selection, plan: &ChunkPlan, out: &dyn Out) -> Result<()> {
        let target = Target {
            shape: self.shape(),
            elem: u64::from(self.inner.datatype.size()),
            path: &self.inner.path,
        };
        let ctx = self.file.ctx();
        match &self.inner.layout {
            Layout::Compact { data } => chunks::read_flat(data, target, sel, out),
            Layout::Contiguous { address, size } => {
                chunks::read_contiguous(ctx, *address, *size, target, sel, out)
            }
            Layout::Chunked { .. } if sel.is_empty() => Ok(()),
            Layout::Chunked { .. } => chunks::read_chunked(
                ctx,
                &*self.chunk_map()?,
                &self.inner.pipeline,
                target,
                sel,
                plan,
                out,
            ),
            Layout::Virtual => Err(Error::unsupported(format!(
                "virtual dataset layout ({})",
                self.inner.path
            ))),
        }
    }

    /// The fill element the file defines (its bytes are in the file, so its size is
    /// bounded by it), or `None` for zeros: a zero element is never built, since the
    /// datatype's size alone is no bound.
    fn fill_element(&self) -> Result<Option<&[u8]>> {
        let size = self.inner.datatype.size() as usize;
        match &self.inner.fill.value {
            Some(v) if v.len() == size => Ok(Some(v)),
            Some(v) => Err(Error::corrupt(
                "fill value message",
                self.inner.header.address,
                format!("fill value of {} bytes for {size}-byte elements", v.len()),
            )),
            None => Ok(None),
        }
    }

    fn chunk_map(&self) -> Result<Arc<ChunkMap>> {
        let mut guard = self
            .inner
            .chunk_map
            .lock()
            .map_err(|_| Error::unsupported("poisoned chunk map lock"))?;
        if let Some(map) = guard.as_ref() {
            return Ok(map.clone());
        }
        let map = Arc::new(ChunkMap::build(
            self.file.ctx(),
            &self.inner.layout,
            &self.inner.dataspace,
            self.inner.pipeline.filters.is_empty(),
        )?);
        *guard = Some(map.clone());
        Ok(map)
    }

    /// Every stored chunk (offset in elements, address, stored size, filter mask).
    pub fn chunk_records(&self) -> Result<Vec<crate::format::chunk_index::ChunkRecord>> {
        self.chunk_map()?.records(self.file.ctx())
    }

    /// The stored chunks a hyperslab touches (offset, address, stored size, filter
    /// mask), sorted by offset; empty unless the dataset is chunked. With
    /// [`File::read_raw_chunk`] a window's chunks can be compared or copied as stored,
    /// without decoding them, and without listing every chunk of the dataset.
    pub fn chunk_records_in(
        &self,
        sel: &Hyperslab,
    ) -> Result<Vec<crate::format::chunk_index::ChunkRecord>> {
        if self.is_null() || !matches!(self.inner.layout, Layout::Chunked { .. }) {
            return Ok(Vec::new());
        }
        sel.check(self.shape(), &self.inner.path)?;
        Ok(self.plan(&Selection::hyperslab(sel))?.records)
    }

    /// The whole dataset converted to `T`.
    pub fn read<T: Numeric>(&self) -> Result<ArrayD<T>> {
        self.read_hyperslab(&Hyperslab::all(self.shape()))
    }

    /// A hyperslab converted to `T`.
    pub fn read_slice<T: Numeric>(&self, start: &[u64], count: &[u64]) -> Result<ArrayD<T>> {
        self.read_hyperslab(&Hyperslab {
            start: start.to_vec(),
            count: count.to_vec(),
        })
    }

    /// A hyperslab converted to `T`, chunk by chunk straight into the array (no byte
    /// copy of the whole selection in between).
    pub fn read_hyperslab<T: Numeric>(&self, sel: &Hyperslab) -> Result<ArrayD<T>> {
        self.typed_fill::<T>()?;
        if self.is_null() {
            return Ok(ArrayD::from_elem(IxDyn(&[0]), T::default()));
        }
        sel.check(self.shape(), &self.inner.path)?;
        self.read_selection(&Selection::hyperslab(sel))
    }

    /// The fill value as `T`. Converting the fill element (or no bytes) also checks
    /// that `T` suits the type.
    fn typed_fill<T: Numeric>(&self) -> Result<T> {
        let fill = convert::<T>(
            self.fill_element()?.unwrap_or_default(),
            &self.inner.datatype,
        )?;
        Ok(fill.first().copied().unwrap_or_default())
    }

    fn run_typed<T: Numeric>(
        &self,
        sel: &Selection,
        plan: &ChunkPlan,
        out: &mut [T],
    ) -> Result<()> {
        let out = TypedOut {
            out: Shared::new(out),
            datatype: &self.inner.datatype,
            elem: self.inner.datatype.size() as usize,
        };
        self.run(sel, plan, &out)
    }

    /// A checked selection of a non-null dataset, converted to `T` into a new array: a
    /// zeroed allocation (pages the decoding threads fault in), filled first only where
    /// chunks are missing and the fill value is not zero.
    fn read_selection<T: Numeric>(&self, sel: &Selection) -> Result<ArrayD<T>> {
        let fill = self.typed_fill::<T>()?;
        let n = self.output_len(sel)?;
        let mut out = zeroed::<T>(n)?;
        let plan = self.plan(sel)?;
        if !plan.complete && !is_zero(&fill) {
            out.fill(fill);
        }
        self.run_typed(sel, &plan, &mut out)?;
        let shape: Vec<usize> = sel.shape().iter().map(|&c| c as usize).collect();
        ArrayD::from_shape_vec(IxDyn(&shape), out)
            .map_err(|e| Error::Selection(format!("{}: {e}", self.inner.path)))
    }

    /// Every element decoded (strings, compounds, …), C order.
    pub fn read_values(&self) -> Result<Vec<Value>> {
        self.read_values_slice(&Hyperslab::all(self.shape()))
    }

    /// A hyperslab's elements decoded, C order.
    pub fn read_values_slice(&self, sel: &Hyperslab) -> Result<Vec<Value>> {
        let raw = self.read_raw_slice(sel)?;
        Decoder::new(self.file.ctx()).decode_all(&self.inner.datatype, &raw)
    }

    /// Every element as a string; an error unless the type is a string type.
    pub fn read_strings(&self) -> Result<Vec<String>> {
        if !matches!(
            self.inner.datatype,
            Datatype::FixedString { .. } | Datatype::VarLenString { .. }
        ) {
            return Err(Error::TypeMismatch {
                datatype: format!("{:?}", self.inner.datatype),
                target: "String",
            });
        }
        let raw = self.read_raw_slice(&Hyperslab::all(self.shape()))?;
        Decoder::new(self.file.ctx()).decode_strings(&self.inner.datatype, &raw)
    }
}

/// The committed datatype a shared datatype message refers to.
fn committed_datatype(ctx: &crate::format::Ctx, message: &RawMessage) -> Result<Datatype> {
    let shared = SharedMessage::decode(&mut ctx.cursor(
        &message.data,
        message.offset,
        "shared datatype message",
    ))?;
    shared_datatype(ctx, shared)
}

/// A vector of `n` zero values, allocated zeroed (so its pages are first touched by
/// whoever writes them), or `TooLarge` when the allocation fails.
fn zeroed<T: Numeric>(n: usize) -> Result<Vec<T>> {
    // A fallible probe first: `vec!` aborts when the allocation fails, and its zeroed
    // allocation is what spares the serial pre-fill. The probe's pages are never touched.
    let mut probe: Vec<T> = Vec::new();
    probe.try_reserve_exact(n).map_err(|_| Error::TooLarge {
        what: "selection",
        size: (n as u128).saturating_mul(std::mem::size_of::<T>() as u128),
    })?;
    drop(probe);
    Ok(vec![T::default(); n])
}

/// Whether `v` is all zero bits (the state of a zeroed allocation).
fn is_zero<T: Numeric>(v: &T) -> bool {
    let mut bytes = Vec::new();
    T::extend_le(std::slice::from_ref(v), &mut bytes);
    bytes.iter().all(|&b| b == 0)
}
