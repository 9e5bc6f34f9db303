//! Short human-readable names for datatypes ("uint8", "vlen utf-8 string", …).

use super::{ByteOrder, CharSet, Datatype, StringPadding};

/// Compound fields or enum members listed before the rest is summarized.
const MAX_LISTED: usize = 16;

impl Datatype {
    /// A short human name: `"uint8"`, `"float32"`, `"int16 (big-endian)"`,
    /// `"string[8] ascii null-padded"`, `"vlen utf-8 string"`, `"vlen<int32>"`,
    /// `"enum<int8>{FALSE=0, TRUE=1}"`, `"compound{x: float64, y: float64}"`,
    /// `"array[3x4]<float32>"`, ….
    pub fn describe(&self) -> String {
        match self {
            Datatype::Integer {
                size,
                signed,
                order,
            } => {
                let u = if *signed { "" } else { "u" };
                format!("{u}int{}{}", size * 8, order_suffix(*order))
            }
            Datatype::Float { size, order } => {
                format!("float{}{}", size * 8, order_suffix(*order))
            }
            Datatype::FixedString {
                size,
                padding,
                charset,
            } => format!(
                "string[{size}] {} {}",
                charset_name(*charset),
                padding_name(*padding)
            ),
            Datatype::VarLenString { charset, .. } => {
                format!("vlen {} string", charset_name(*charset))
            }
            Datatype::VarLenSequence { base, .. } => format!("vlen<{}>", base.describe()),
            Datatype::Enum { base, members } => {
                let mut parts: Vec<String> = members
                    .iter()
                    .take(MAX_LISTED)
                    .map(|m| format!("{}={}", m.name, enum_value(base, &m.value)))
                    .collect();
                if members.len() > MAX_LISTED {
                    parts.push(format!("… {} more", members.len() - MAX_LISTED));
                }
                format!("enum<{}>{{{}}}", base.describe(), parts.join(", "))
            }
            Datatype::Compound { fields, .. } => {
                let mut parts: Vec<String> = fields
                    .iter()
                    .take(MAX_LISTED)
                    .map(|f| format!("{}: {}", f.name, f.datatype.describe()))
                    .collect();
                if fields.len() > MAX_LISTED {
                    parts.push(format!("… {} more", fields.len() - MAX_LISTED));
                }
                format!("compound{{{}}}", parts.join(", "))
            }
            Datatype::Array { base, dims } => {
                let d: Vec<String> = dims.iter().map(u32::to_string).collect();
                format!("array[{}]<{}>", d.join("x"), base.describe())
            }
            Datatype::Bitfield { size, order } => {
                format!("bitfield{}{}", u64::from(*size) * 8, order_suffix(*order))
            }
            Datatype::Opaque { size, tag } if tag.is_empty() => format!("opaque[{size}]"),
            Datatype::Opaque { size, tag } => format!("opaque[{size}] {tag:?}"),
            Datatype::Reference { size } => format!("reference[{size}]"),
            Datatype::Time { size } => format!("time[{size}]"),
        }
    }
}

fn order_suffix(order: ByteOrder) -> &'static str {
    match order {
        ByteOrder::Little => "",
        ByteOrder::Big => " (big-endian)",
    }
}

fn charset_name(c: CharSet) -> &'static str {
    match c {
        CharSet::Ascii => "ascii",
        CharSet::Utf8 => "utf-8",
    }
}

fn padding_name(p: StringPadding) -> &'static str {
    match p {
        StringPadding::NullTerminate => "null-terminated",
        StringPadding::NullPad => "null-padded",
        StringPadding::SpacePad => "space-padded",
    }
}

/// An enum member's value as a number when the base is an integer of up to 8 bytes.
fn enum_value(base: &Datatype, bytes: &[u8]) -> String {
    let Datatype::Integer {
        size,
        signed,
        order,
    } = base
    else {
        return format!("{bytes:02x?}");
    };
    if bytes.len() != *size as usize || bytes.len() > 8 || bytes.is_empty() {
        return format!("{bytes:02x?}");
    }
    let fold = |acc: u64, &b: &u8| (acc << 8) | u64::from(b);
    let raw = match order {
        ByteOrder::Little => bytes.iter().rev().fold(0, fold),
        ByteOrder::Big => bytes.iter().fold(0, fold),
    };
    if *signed {
        let shift = 64 - 8 * bytes.len() as u32;
        (((raw << shift) as i64) >> shift).to_string()
    } else {
        raw.to_string()
    }
}
