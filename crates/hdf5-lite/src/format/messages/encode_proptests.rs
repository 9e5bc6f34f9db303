//! Round trips of the message encoders: random values (restricted to what the writer
//! encodes) → encode → decode gives the value back, up to the fields the encoding does
//! not carry.

use proptest::collection::vec;
use proptest::prelude::*;

use super::*;
use crate::format::{Cursor, Sizes};

fn cursor(b: &[u8]) -> Cursor<'_> {
    Cursor::new(b, 0, "round trip", Sizes::default())
}

fn order() -> impl Strategy<Value = ByteOrder> {
    prop_oneof![Just(ByteOrder::Little), Just(ByteOrder::Big)]
}

fn padding() -> impl Strategy<Value = StringPadding> {
    prop_oneof![
        Just(StringPadding::NullTerminate),
        Just(StringPadding::NullPad),
        Just(StringPadding::SpacePad),
    ]
}

fn charset() -> impl Strategy<Value = CharSet> {
    prop_oneof![Just(CharSet::Ascii), Just(CharSet::Utf8)]
}

fn name() -> impl Strategy<Value = String> {
    "[A-Za-z_][A-Za-z0-9_ é]{0,20}"
}

fn integer() -> impl Strategy<Value = Datatype> {
    (
        prop_oneof![Just(1u32), Just(2), Just(4), Just(8)],
        any::<bool>(),
        order(),
    )
        .prop_map(|(size, signed, order)| Datatype::Integer {
            size,
            signed,
            order,
        })
}

fn enumeration() -> impl Strategy<Value = Datatype> {
    (integer(), vec(name(), 1..5)).prop_flat_map(|(base, names)| {
        let width = base.size() as usize;
        let n = names.len();
        (Just(base), Just(names), vec(vec(any::<u8>(), width), n)).prop_map(
            |(base, names, values)| Datatype::Enum {
                base: Box::new(base),
                members: names
                    .into_iter()
                    .zip(values)
                    .map(|(name, value)| EnumMember { name, value })
                    .collect(),
            },
        )
    })
}

fn leaf() -> impl Strategy<Value = Datatype> {
    prop_oneof![
        integer(),
        (prop_oneof![Just(2u32), Just(4), Just(8)], order())
            .prop_map(|(size, order)| Datatype::Float { size, order }),
        (1u32..100, padding(), charset()).prop_map(|(size, padding, charset)| {
            Datatype::FixedString {
                size,
                padding,
                charset,
            }
        }),
        (padding(), charset()).prop_map(|(padding, charset)| Datatype::VarLenString {
            size: 16,
            padding,
            charset,
        }),
        (1u32..=8, order()).prop_map(|(size, order)| Datatype::Bitfield { size, order }),
        (1u32..64, "[A-Za-z0-9 :._-]{0,30}").prop_map(|(size, tag)| Datatype::Opaque { size, tag }),
        enumeration(),
    ]
}

/// Datatypes nested up to 3 levels: arrays, variable-length sequences and compounds
/// (members laid out in order, with random gaps) over the leaf types.
fn datatype() -> impl Strategy<Value = Datatype> {
    leaf().prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            (inner.clone(), vec(1u32..4, 1..3)).prop_map(|(base, dims)| Datatype::Array {
                base: Box::new(base),
                dims,
            }),
            inner.clone().prop_map(|base| Datatype::VarLenSequence {
                size: 16,
                base: Box::new(base),
            }),
            vec((name(), inner, 0u32..4), 0..4).prop_map(|members| {
                let mut offset = 0u32;
                let fields = members
                    .into_iter()
                    .map(|(name, datatype, gap)| {
                        let field = CompoundField {
                            name,
                            offset: offset + gap,
                            datatype,
                        };
                        offset = field.offset + field.datatype.size();
                        field
                    })
                    .collect();
                Datatype::Compound {
                    size: offset,
                    fields,
                }
            }),
        ]
    })
}

fn dataspace() -> impl Strategy<Value = Dataspace> {
    let simple = vec(any::<u64>(), 1..5).prop_flat_map(|dims| {
        let n = dims.len();
        (
            Just(dims),
            proptest::option::of(vec(prop_oneof![Just(u64::MAX), any::<u64>()], n)),
        )
            .prop_map(|(dims, maxdims)| Dataspace {
                kind: DataspaceKind::Simple,
                dims,
                maxdims,
            })
    });
    prop_oneof![
        Just(Dataspace {
            kind: DataspaceKind::Scalar,
            dims: vec![],
            maxdims: None,
        }),
        Just(Dataspace {
            kind: DataspaceKind::Null,
            dims: vec![],
            maxdims: None,
        }),
        simple,
    ]
}

/// A small dataspace (at most 27 elements), for attributes.
fn small_dataspace() -> impl Strategy<Value = Dataspace> {
    prop_oneof![
        Just(DataspaceKind::Scalar),
        Just(DataspaceKind::Null),
        Just(DataspaceKind::Simple),
    ]
    .prop_flat_map(|kind| {
        let rank = if kind == DataspaceKind::Simple {
            1..4
        } else {
            0..1
        };
        // Simple dataspaces read back with their maxdims stored.
        vec(0u64..4, rank).prop_map(move |dims| Dataspace {
            kind,
            maxdims: (kind == DataspaceKind::Simple).then(|| dims.clone()),
            dims,
        })
    })
}

fn attribute() -> impl Strategy<Value = AttributeMessage> {
    (name(), datatype(), small_dataspace()).prop_flat_map(|(name, datatype, dataspace)| {
        let len = dataspace.num_elements().unwrap_or(0) as usize * datatype.size() as usize;
        (
            Just(name),
            Just(datatype),
            Just(dataspace),
            vec(any::<u8>(), len),
        )
            .prop_map(|(name, datatype, dataspace, data)| AttributeMessage {
                name,
                name_charset: CharSet::Ascii,
                datatype,
                dataspace,
                data,
            })
    })
}

fn filter() -> impl Strategy<Value = Filter> {
    (
        prop_oneof![1u16..5, any::<u16>()],
        proptest::option::of("[a-z0-9_]{0,20}"),
        any::<u16>(),
        vec(any::<u32>(), 0..6),
    )
        .prop_map(|(id, name, flags, client_data)| Filter {
            id,
            name,
            flags,
            client_data,
        })
}

fn layout() -> impl Strategy<Value = Layout> {
    prop_oneof![
        vec(any::<u8>(), 0..100).prop_map(|data| Layout::Compact { data }),
        (any::<u64>(), any::<u64>())
            .prop_map(|(address, size)| Layout::Contiguous { address, size }),
        (
            vec(1..=u64::from(u32::MAX), 1..5),
            1..=u32::MAX,
            any::<u64>()
        )
            .prop_map(|(chunk_dims, element_size, address)| Layout::Chunked {
                version: 3,
                flags: 0,
                chunk_dims,
                element_size,
                index: ChunkIndexKind::BTreeV1,
                address,
            }),
    ]
}

proptest! {
    #[test]
    fn dataspace_round_trips(ds in dataspace()) {
        let b = ds.encode().unwrap();
        let back = Dataspace::decode(&mut cursor(&b)).unwrap();
        // Simple dataspaces always store maxdims (the dims when none were given).
        let mut want = ds.clone();
        if want.kind == DataspaceKind::Simple {
            want.maxdims = Some(ds.maxdims.clone().unwrap_or(ds.dims.clone()));
        }
        prop_assert_eq!(back, want);
    }

    #[test]
    fn datatype_round_trips(dt in datatype()) {
        let b = dt.encode().unwrap();
        let mut c = cursor(&b);
        let back = Datatype::decode(&mut c).unwrap();
        prop_assert_eq!(c.remaining(), 0);
        prop_assert_eq!(back, dt);
    }

    #[test]
    fn fill_value_round_trips(
        alloc_time in 0u8..4,
        fill_time in 0u8..3,
        value in proptest::option::of(vec(any::<u8>(), 1..17)),
    ) {
        let f = FillValue { alloc_time, fill_time, value };
        let b = f.encode();
        let mut c = cursor(&b);
        prop_assert_eq!(FillValue::decode(&mut c).unwrap(), f);
        prop_assert_eq!(c.remaining(), 0);
    }

    #[test]
    fn filter_pipeline_round_trips(filters in vec(filter(), 0..6)) {
        let p = FilterPipeline { filters };
        let b = p.encode();
        let mut c = cursor(&b);
        let back = FilterPipeline::decode(&mut c).unwrap();
        prop_assert_eq!(c.remaining(), 0);
        // Unnamed built-in filters get their canonical name; empty names are none.
        let mut want = p.clone();
        for f in &mut want.filters {
            f.name = f.name.take().filter(|n| !n.is_empty()).or(match f.id {
                1 => Some("deflate".into()),
                2 => Some("shuffle".into()),
                3 => Some("fletcher32".into()),
                _ => None,
            });
        }
        prop_assert_eq!(back, want);
    }

    #[test]
    fn layout_round_trips(l in layout()) {
        let b = l.encode().unwrap();
        let mut c = cursor(&b);
        prop_assert_eq!(Layout::decode(&mut c).unwrap(), l);
        prop_assert_eq!(c.remaining(), 0);
    }

    #[test]
    fn attribute_round_trips(a in attribute()) {
        let b = a.encode().unwrap();
        let mut c = cursor(&b);
        prop_assert_eq!(AttributeMessage::decode(&mut c).unwrap(), a);
        prop_assert_eq!(c.remaining(), 0);
    }
}
