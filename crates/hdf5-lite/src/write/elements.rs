//! Turning user values into stored elements: strings (variable-length ones into the
//! global heap) and attribute messages.

use crate::error::{Error, Result};
use crate::format::messages::{
    AttributeMessage, CharSet, Dataspace, DataspaceKind, Datatype, StringPadding,
};
use crate::write::spec::{self, AttrData, AttrValue};
use crate::write::{vlen, Space};

/// Encodes strings as elements of a string datatype.
pub(crate) fn encode_strings(
    space: &mut Space<'_>,
    datatype: &Datatype,
    values: &[&str],
) -> Result<Vec<u8>> {
    match datatype {
        Datatype::VarLenString { .. } => {
            let mut out = Vec::with_capacity(values.len() * 16);
            for s in values {
                let len = u32::try_from(s.len())
                    .map_err(|_| Error::InvalidInput("string over 4 GiB".into()))?;
                if s.is_empty() {
                    // libhdf5 stores nothing for an empty string.
                    out.extend_from_slice(&[0u8; 16]);
                    continue;
                }
                let ((collection, index), full) = space.heap.add(s.as_bytes(), space.alloc)?;
                if let Some(block) = full {
                    space.put(block.address, &block.bytes)?;
                }
                out.extend_from_slice(&vlen::encode_reference(len, collection, index));
            }
            Ok(out)
        }
        Datatype::FixedString {
            size,
            padding,
            charset,
        } => {
            let size = *size as usize;
            let pad = if *padding == StringPadding::SpacePad {
                b' '
            } else {
                0
            };
            let mut out = Vec::with_capacity(values.len() * size);
            for s in values {
                if *charset == CharSet::Ascii && !s.is_ascii() {
                    return Err(Error::InvalidInput(format!(
                        "{s:?} is not ASCII, but the string type is"
                    )));
                }
                if s.len() > size {
                    return Err(Error::InvalidInput(format!(
                        "{s:?} is longer than the {size}-byte string type"
                    )));
                }
                out.extend_from_slice(s.as_bytes());
                out.extend(std::iter::repeat_n(pad, size - s.len()));
            }
            Ok(out)
        }
        other => Err(Error::TypeMismatch {
            datatype: format!("{other:?}"),
            target: "strings",
        }),
    }
}

/// An attribute message from a value, storing variable-length strings in fresh space.
pub(crate) fn attribute_message(
    space: &mut Space<'_>,
    name: &str,
    value: &AttrValue,
) -> Result<AttributeMessage> {
    let dataspace = match &value.shape {
        None => Dataspace {
            kind: DataspaceKind::Null,
            dims: Vec::new(),
            maxdims: None,
        },
        Some(s) if s.is_empty() => Dataspace {
            kind: DataspaceKind::Scalar,
            dims: Vec::new(),
            maxdims: None,
        },
        Some(s) => Dataspace {
            kind: DataspaceKind::Simple,
            dims: s.clone(),
            maxdims: None,
        },
    };
    let count = if value.shape.is_none() {
        0
    } else {
        spec::element_count(&dataspace.dims)?
    };
    let data = match &value.data {
        AttrData::Raw(raw) => raw.clone(),
        AttrData::Strings(strings) => {
            let refs: Vec<&str> = strings.iter().map(String::as_str).collect();
            encode_strings(space, &value.datatype, &refs)?
        }
    };
    let want = count * u64::from(value.datatype.size());
    if data.len() as u64 != want {
        return Err(Error::InvalidInput(format!(
            "attribute {name:?}: {} bytes of data for {count} elements of {} bytes",
            data.len(),
            value.datatype.size()
        )));
    }
    let name_charset = if name.is_ascii() {
        CharSet::Ascii
    } else {
        CharSet::Utf8
    };
    Ok(AttributeMessage {
        name: name.to_owned(),
        name_charset,
        datatype: value.datatype.clone(),
        dataspace,
        data,
    })
}
