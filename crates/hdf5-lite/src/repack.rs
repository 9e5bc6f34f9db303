//! A compact copy of a file, as `h5repack` makes one: only the objects reachable from
//! the root, with the same values, types, shapes, chunk shapes, filters and attributes,
//! in one fresh file with no free space. A chunk shape and a gzip level can be asked
//! for instead of the source's; when neither changes for a dataset, its chunks are
//! copied as stored (still compressed), without decoding them.
//!
//! What does not copy: soft and external links, committed datatypes, variable-length
//! data other than strings, and filters hdf5-lite does not write (each is an
//! [`Error::Unsupported`] naming the object). Compact datasets become contiguous, and an
//! object reached through several hard links is copied once per link.

use std::path::Path;

use crate::error::{Error, Result};
use crate::format::messages::{Datatype, LinkTarget};
use crate::read::{Attribute, Dataset, File, Hyperslab, Object};
use crate::write::{AttrData, AttrValue, DatasetSpec, Writer};

/// Bytes of elements read and written at once when a dataset's values are copied.
const WINDOW_BYTES: u64 = 16 << 20;

/// What to change while copying.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RepackOptions {
    /// Gzip (deflate) level 0–9 for every chunked dataset, instead of the source's.
    pub gzip: Option<u32>,
    /// Chunk shape for every chunked dataset of this rank (cut to the dataset's shape
    /// where its dimensions cannot grow), instead of the source's.
    pub chunks: Option<Vec<u64>>,
}

/// How much of the copy went which way.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RepackStats {
    /// Groups created.
    pub groups: u64,
    /// Datasets copied.
    pub datasets: u64,
    /// Chunks copied as stored, without decoding.
    pub raw_chunks: u64,
}

/// Copies the file at `input` into a new file at `output` (replaced if it exists).
pub fn repack(
    input: impl AsRef<Path>,
    output: impl AsRef<Path>,
    options: &RepackOptions,
) -> Result<RepackStats> {
    let src = File::open(input)?;
    let mut w = Writer::create(output)?;
    let stats = repack_into(&src, &mut w, options)?;
    w.close()?;
    Ok(stats)
}

/// Copies every object of `src` into the new file of `w` (one transaction; call
/// [`Writer::close`] to commit it).
pub fn repack_into(src: &File, w: &mut Writer, options: &RepackOptions) -> Result<RepackStats> {
    if let Some(level) = options.gzip {
        if level > 9 {
            return Err(Error::InvalidInput(format!(
                "gzip level {level} is not 0–9"
            )));
        }
    }
    if options.chunks.as_ref().is_some_and(|c| c.contains(&0)) {
        return Err(Error::InvalidInput("a chunk dimension of 0".into()));
    }
    let mut copy = Copier {
        src,
        w,
        options,
        stats: RepackStats::default(),
    };
    copy.group("/")?;
    Ok(copy.stats)
}

struct Copier<'a> {
    src: &'a File,
    w: &'a mut Writer,
    options: &'a RepackOptions,
    stats: RepackStats,
}

fn child_path(parent: &str, name: &str) -> String {
    if parent == "/" {
        format!("/{name}")
    } else {
        format!("{parent}/{name}")
    }
}

/// The value to set for a copy of `a`.
fn attr_value(a: &Attribute, path: &str) -> Result<AttrValue> {
    let data = match a.datatype() {
        Datatype::VarLenString { .. } => AttrData::Strings(a.strings()?),
        dt if has_vlen(dt) => {
            return Err(Error::unsupported(format!(
                "copying attribute {:?} of {path}: variable-length data other than strings",
                a.name()
            )))
        }
        _ => AttrData::Raw(a.raw().to_vec()),
    };
    Ok(AttrValue {
        datatype: a.datatype().clone(),
        shape: a.shape().map(<[u64]>::to_vec),
        data,
    })
}

/// Whether values of `dt` hold references into the file (variable-length data or
/// object references), which a byte copy would leave pointing into the source.
fn has_vlen(dt: &Datatype) -> bool {
    match dt {
        Datatype::VarLenString { .. }
        | Datatype::VarLenSequence { .. }
        | Datatype::Reference { .. } => true,
        Datatype::Compound { fields, .. } => fields.iter().any(|f| has_vlen(&f.datatype)),
        Datatype::Array { base, .. } => has_vlen(base),
        _ => false,
    }
}

impl Copier<'_> {
    fn attributes(&mut self, path: &str, attrs: Vec<Attribute>) -> Result<()> {
        for a in attrs {
            let value = attr_value(&a, path)?;
            self.w.set_attribute(path, a.name(), &value)?;
        }
        Ok(())
    }

    fn group(&mut self, path: &str) -> Result<()> {
        let g = self.src.group(path)?;
        if path != "/" {
            self.w.create_group(path)?;
            self.stats.groups += 1;
        }
        self.attributes(path, g.attributes()?)?;
        for link in g.links()? {
            let child = child_path(path, &link.name);
            match link.target {
                LinkTarget::Hard(_) => match self.src.object(&child)? {
                    Object::Group(_) => self.group(&child)?,
                    Object::Dataset(d) => self.dataset(&child, &d)?,
                    Object::Datatype(_) => {
                        return Err(Error::unsupported(format!(
                            "copying committed datatype {child}"
                        )))
                    }
                },
                other => {
                    return Err(Error::unsupported(format!(
                        "copying {child}: a {other:?} link (hdf5-lite writes hard links only)"
                    )))
                }
            }
        }
        Ok(())
    }

    fn dataset(&mut self, path: &str, d: &Dataset) -> Result<()> {
        let mut spec = DatasetSpec::new(d.datatype().clone(), d.shape());
        spec.maxshape = Some(d.maxshape());
        spec.fill_value = d.fill_value().map(<[u8]>::to_vec);
        for f in d.filters() {
            match f.id {
                1 => spec.deflate = Some(f.client_data.first().copied().unwrap_or(6)),
                2 => spec.shuffle = true,
                3 => spec.fletcher32 = true,
                id => {
                    return Err(Error::unsupported(format!(
                        "copying {path}: filter {id}, which hdf5-lite does not write"
                    )))
                }
            }
        }
        let before = (d.chunks().map(<[u64]>::to_vec), spec.deflate);
        if let Some(chunks) = d.chunks() {
            spec.chunks = Some(chunks.to_vec());
            if let Some(want) = self
                .options
                .chunks
                .as_ref()
                .filter(|c| c.len() == chunks.len())
            {
                let fitted = want
                    .iter()
                    .zip(d.shape())
                    .zip(d.maxshape())
                    .map(|((&c, &n), max)| match max {
                        Some(m) => c.min(m.max(n).max(1)),
                        None => c,
                    })
                    .collect();
                spec.chunks = Some(fitted);
            }
            if let Some(level) = self.options.gzip {
                spec.deflate = Some(level);
            }
        }
        let unchanged = (spec.chunks.clone(), spec.deflate) == before;
        self.w.create_dataset(path, &spec)?;
        self.stats.datasets += 1;
        let has_values = !(d.is_null() || d.is_empty());
        if has_values && unchanged && spec.chunks.is_some() && !has_vlen(d.datatype()) {
            for record in d.chunk_records()? {
                let bytes = self.src.read_raw_chunk(&record)?;
                self.w
                    .write_raw_chunk(path, &record.offset, record.filter_mask, &bytes)?;
                self.stats.raw_chunks += 1;
            }
        } else if has_values {
            self.values(path, d)?;
        }
        self.attributes(path, d.attributes()?)
    }

    /// Copies the values of `d` by windows of whole rows (of its first dimension).
    fn values(&mut self, path: &str, d: &Dataset) -> Result<()> {
        let shape = d.shape().to_vec();
        match d.datatype() {
            Datatype::VarLenString { .. } => {
                let strings = d.read_strings()?;
                let refs: Vec<&str> = strings.iter().map(String::as_str).collect();
                let start = vec![0; shape.len()];
                return self.w.write_strings(path, &start, &shape, &refs);
            }
            dt if has_vlen(dt) => {
                return Err(Error::unsupported(format!(
                    "copying {path}: variable-length data other than strings"
                )))
            }
            _ => {}
        }
        let Some((&rows, rest)) = shape.split_first() else {
            let raw = d.read_raw()?;
            return self.w.write_raw(
                path,
                &Hyperslab {
                    start: Vec::new(),
                    count: Vec::new(),
                },
                &raw,
            );
        };
        let row_bytes = rest
            .iter()
            .product::<u64>()
            .saturating_mul(u64::from(d.datatype().size()))
            .max(1);
        let step = (WINDOW_BYTES / row_bytes).max(1);
        let mut at = 0;
        while at < rows {
            let n = step.min(rows - at);
            let mut start = vec![0; shape.len()];
            start[0] = at;
            let mut count = shape.clone();
            count[0] = n;
            let sel = Hyperslab { start, count };
            let raw = d.read_raw_slice(&sel)?;
            self.w.write_raw(path, &sel, &raw)?;
            at += n;
        }
        Ok(())
    }
}
