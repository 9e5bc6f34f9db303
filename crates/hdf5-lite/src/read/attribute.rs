//! Attributes: compact (Attribute messages in the object header) and dense (an Attribute
//! Info message pointing at a fractal heap indexed by a v2 B-tree of type 8).

use ndarray::{ArrayD, IxDyn};

use crate::error::{Error, Result};
use crate::format::btree_v2::BTreeV2;
use crate::format::fractal_heap::FractalHeap;
use crate::format::messages::{
    kind, AttributeInfo, AttributeMessage, Dataspace, DataspaceKind, Datatype, SharedMessage,
};
use crate::format::object_header::ObjectHeader;
use crate::format::{Ctx, UNDEF};
use crate::read::convert::{convert, Numeric};
use crate::read::value::{Decoder, Value};
use crate::read::File;

/// An attribute of a group or dataset.
#[derive(Debug, Clone)]
pub struct Attribute {
    file: File,
    message: AttributeMessage,
}

impl Attribute {
    pub(crate) fn message(&self) -> &AttributeMessage {
        &self.message
    }

    /// The attribute's name.
    pub fn name(&self) -> &str {
        &self.message.name
    }

    /// Its element type.
    pub fn datatype(&self) -> &Datatype {
        &self.message.datatype
    }

    /// Its dataspace.
    pub fn dataspace(&self) -> &Dataspace {
        &self.message.dataspace
    }

    /// Its shape: empty for a scalar, `None` for a null dataspace.
    pub fn shape(&self) -> Option<&[u64]> {
        match self.message.dataspace.kind {
            DataspaceKind::Null => None,
            _ => Some(&self.message.dataspace.dims),
        }
    }

    /// The raw stored bytes, C order.
    pub fn raw(&self) -> &[u8] {
        &self.message.data
    }

    /// Every element decoded, C order (empty for a null dataspace).
    pub fn values(&self) -> Result<Vec<Value>> {
        Decoder::new(self.file.ctx()).decode_all(&self.message.datatype, &self.message.data)
    }

    /// The elements as strings; an error if the type is not a string type.
    pub fn strings(&self) -> Result<Vec<String>> {
        self.values()?
            .into_iter()
            .map(|v| match v {
                Value::String(s) => Ok(s),
                _ => Err(Error::TypeMismatch {
                    datatype: format!("{:?}", self.message.datatype),
                    target: "String",
                }),
            })
            .collect()
    }

    /// The elements converted to `T`, shaped like the attribute.
    pub fn read<T: Numeric>(&self) -> Result<ArrayD<T>> {
        let values = convert::<T>(&self.message.data, &self.message.datatype)?;
        let shape: Vec<usize> = self
            .message
            .dataspace
            .dims
            .iter()
            .map(|&d| d as usize)
            .collect();
        ArrayD::from_shape_vec(IxDyn(&shape), values).map_err(|e| {
            Error::corrupt(
                "attribute message",
                0,
                format!("{:?}: {e}", self.message.name),
            )
        })
    }
}

/// Every attribute of the object whose header is `header`, sorted by name.
pub(crate) fn attributes_of(file: &File, header: &ObjectHeader) -> Result<Vec<Attribute>> {
    let ctx = file.ctx();
    let mut out = Vec::new();
    for msg in header.find_all(kind::ATTRIBUTE) {
        if msg.is_shared() {
            return Err(Error::unsupported(
                "shared attribute message (shared object header messages)",
            ));
        }
        let message = AttributeMessage::decode_with(
            &mut ctx.cursor(&msg.data, msg.offset, "attribute message"),
            &mut |shared| shared_datatype(ctx, shared),
        )?;
        out.push(Attribute {
            file: file.clone(),
            message,
        });
    }
    if let Some(msg) = header.find(kind::ATTRIBUTE_INFO) {
        let info = AttributeInfo::decode(&mut ctx.cursor(
            &msg.data,
            msg.offset,
            "attribute info message",
        ))?;
        if info.fractal_heap != UNDEF {
            let heap = FractalHeap::read(ctx, info.fractal_heap)?;
            let tree = BTreeV2::read(ctx, info.name_index)?;
            for record in tree.records(ctx)? {
                // Type 8 record: heap id (8), flags (1), creation order (4), name hash (4).
                let id = record.get(..8).ok_or_else(|| {
                    Error::corrupt(
                        "v2 B-tree record",
                        info.name_index,
                        "attribute name record too short",
                    )
                })?;
                let bytes = heap.object(ctx, id)?;
                let message = AttributeMessage::decode_with(
                    &mut ctx.cursor(&bytes, info.fractal_heap, "dense attribute"),
                    &mut |shared| shared_datatype(ctx, shared),
                )?;
                out.push(Attribute {
                    file: file.clone(),
                    message,
                });
            }
        }
    }
    out.sort_by(|a, b| a.message.name.as_bytes().cmp(b.message.name.as_bytes()));
    Ok(out)
}

/// The datatype a shared datatype message refers to: a committed (named) datatype's
/// object header holds the real Datatype message. Used by attributes and datasets.
pub(crate) fn shared_datatype(ctx: &Ctx, shared: SharedMessage) -> Result<Datatype> {
    let address = match shared {
        SharedMessage::Committed(address) => address,
        SharedMessage::SharedHeap(_) => {
            return Err(Error::unsupported(
                "datatype stored in the shared object header message heap",
            ))
        }
    };
    let header = ObjectHeader::read(ctx, address)?;
    match header.find(kind::DATATYPE) {
        Some(m) if !m.is_shared() => {
            Datatype::decode(&mut ctx.cursor(&m.data, m.offset, "committed datatype"))
        }
        _ => Err(Error::corrupt(
            "object header",
            address,
            "committed datatype without a datatype message",
        )),
    }
}
