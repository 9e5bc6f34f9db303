//! numpy's names for HDF5 datatypes, as h5py maps them and loompy prints them
//! (`str(dtype)` and `dtype.str`).

use hdf5_lite::format::messages::{ByteOrder, Datatype};

fn little(order: &ByteOrder, size: u32) -> bool {
    size == 1 || matches!(order, ByteOrder::Little)
}

fn is_bool_enum(dt: &Datatype) -> bool {
    matches!(dt, Datatype::Enum { members, .. }
        if members.len() == 2 && members[0].name == "FALSE" && members[1].name == "TRUE")
}

/// `str(dtype)`: `int32`, `float64`, `|S5`, `object`, `bool`, `>i4`, `[('a', '<i8')]`.
pub(crate) fn numpy_name(dt: &Datatype) -> String {
    match dt {
        Datatype::Integer {
            size,
            signed,
            order,
        } if little(order, *size) => {
            format!("{}int{}", if *signed { "" } else { "u" }, size * 8)
        }
        Datatype::Float { size, order } if little(order, *size) => format!("float{}", size * 8),
        Datatype::Integer { .. } | Datatype::Float { .. } => numpy_code(dt),
        Datatype::FixedString { size, .. } => format!("|S{size}"),
        Datatype::VarLenString { .. }
        | Datatype::VarLenSequence { .. }
        | Datatype::Reference { .. } => "object".to_owned(),
        _ if is_bool_enum(dt) => "bool".to_owned(),
        Datatype::Enum { base, .. } => numpy_name(base),
        Datatype::Compound { fields, .. } => {
            let parts: Vec<String> = fields
                .iter()
                .map(|f| format!("('{}', '{}')", f.name, numpy_code(&f.datatype)))
                .collect();
            format!("[{}]", parts.join(", "))
        }
        Datatype::Array { base, dims } => format!("('{}', {})", numpy_code(base), tuple(dims)),
        Datatype::Bitfield { size, .. }
        | Datatype::Opaque { size, .. }
        | Datatype::Time { size } => format!("|V{size}"),
    }
}

/// `dtype.str`: `<i8`, `|u1`, `<f4`, `|S5`, `|O`, `|b1`.
pub(crate) fn numpy_code(dt: &Datatype) -> String {
    let order = |o: &ByteOrder, size: u32| {
        if size == 1 {
            '|'
        } else if matches!(o, ByteOrder::Little) {
            '<'
        } else {
            '>'
        }
    };
    match dt {
        Datatype::Integer {
            size,
            signed,
            order: o,
        } => format!(
            "{}{}{size}",
            order(o, *size),
            if *signed { 'i' } else { 'u' }
        ),
        Datatype::Float { size, order: o } => format!("{}f{size}", order(o, *size)),
        Datatype::FixedString { size, .. } => format!("|S{size}"),
        Datatype::VarLenString { .. }
        | Datatype::VarLenSequence { .. }
        | Datatype::Reference { .. } => "|O".to_owned(),
        _ if is_bool_enum(dt) => "|b1".to_owned(),
        Datatype::Enum { base, .. } => numpy_code(base),
        Datatype::Compound { size, .. }
        | Datatype::Bitfield { size, .. }
        | Datatype::Opaque { size, .. }
        | Datatype::Time { size } => format!("|V{size}"),
        Datatype::Array { base, .. } => numpy_code(base),
    }
}

/// Python's repr of a tuple of dimensions: `(100, 70)`, `(100,)`, `()`.
pub(crate) fn tuple(dims: &[impl std::fmt::Display]) -> String {
    match dims {
        [one] => format!("({one},)"),
        _ => format!(
            "({})",
            dims.iter()
                .map(|d| d.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// loompy's `matrix_types`: float16/32/64 and (u)int8–64, native (little-endian) order.
pub(crate) fn is_matrix_type(dt: &Datatype) -> bool {
    is_vertex_type(dt) || is_weight_type(dt)
}

/// loompy's `vertex_types`: (u)int8–64.
pub(crate) fn is_vertex_type(dt: &Datatype) -> bool {
    match dt {
        Datatype::Integer { size, order, .. } => {
            matches!(size, 1 | 2 | 4 | 8) && little(order, *size)
        }
        Datatype::Enum { base, .. } if !is_bool_enum(dt) => is_vertex_type(base),
        _ => false,
    }
}

/// loompy's `weight_types`: float16/32/64.
pub(crate) fn is_weight_type(dt: &Datatype) -> bool {
    matches!(dt, Datatype::Float { size: 2 | 4 | 8, order } if matches!(order, ByteOrder::Little))
}

/// `np.issubdtype(dtype, np.int_)`: int64 only.
pub(crate) fn is_int64(dt: &Datatype) -> bool {
    numpy_name(dt) == "int64"
}

/// h5py reads it as an object array (vlen strings and sequences, references).
pub(crate) fn is_object(dt: &Datatype) -> bool {
    matches!(
        dt,
        Datatype::VarLenString { .. }
            | Datatype::VarLenSequence { .. }
            | Datatype::Reference { .. }
    )
}

/// loompy reads it as strings (fixed or variable length).
pub(crate) fn is_string(dt: &Datatype) -> bool {
    matches!(
        dt,
        Datatype::VarLenString { .. } | Datatype::FixedString { .. }
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use hdf5_lite::format::messages::{CompoundField, EnumMember};

    fn int(size: u32, signed: bool, order: ByteOrder) -> Datatype {
        Datatype::Integer {
            size,
            signed,
            order,
        }
    }

    #[test]
    fn names_as_numpy_prints_them() {
        assert_eq!(numpy_name(&int(4, true, ByteOrder::Little)), "int32");
        assert_eq!(numpy_name(&int(1, false, ByteOrder::Big)), "uint8");
        assert_eq!(numpy_name(&int(4, true, ByteOrder::Big)), ">i4");
        assert!(!is_matrix_type(&int(4, true, ByteOrder::Big)));
        let boolean = Datatype::Enum {
            base: Box::new(int(1, true, ByteOrder::Little)),
            members: vec![
                EnumMember {
                    name: "FALSE".into(),
                    value: vec![0],
                },
                EnumMember {
                    name: "TRUE".into(),
                    value: vec![1],
                },
            ],
        };
        assert_eq!(
            (numpy_name(&boolean), numpy_code(&boolean)),
            ("bool".into(), "|b1".into())
        );
        assert!(!is_matrix_type(&boolean));
        let compound = Datatype::Compound {
            size: 12,
            fields: vec![
                CompoundField {
                    name: "x".into(),
                    offset: 0,
                    datatype: int(8, true, ByteOrder::Little),
                },
                CompoundField {
                    name: "y".into(),
                    offset: 8,
                    datatype: Datatype::Float {
                        size: 4,
                        order: ByteOrder::Little,
                    },
                },
            ],
        };
        assert_eq!(numpy_name(&compound), "[('x', '<i8'), ('y', '<f4')]");
        assert_eq!(tuple(&[5u64]), "(5,)");
        assert_eq!(tuple(&[100u64, 70]), "(100, 70)");
        assert_eq!(tuple(&[] as &[u64]), "()");
    }
}
