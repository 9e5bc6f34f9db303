//! The string rules (loompy-api.md §9, §10.6, §12 items 2–3).
//!
//! - Spec 3 files store strings as variable-length UTF-8. loom-core reads them back
//!   **exactly**: loompy 3.0.8 (with h5py ≥ 3) drops every non-ASCII character and
//!   HTML-unescapes every string; we deliberately do neither, so what is written is what is
//!   read.
//! - Legacy files (spec < 3.0.0, loompy 2) store fixed-length ASCII with XML character
//!   references for non-ASCII characters (Python's `encode('ascii', 'xmlcharrefreplace')`).
//!   Reading unescapes them ([`unescape`]), writing escapes them ([`escape`]), so a spec 2
//!   file stays spec 2 (which files are spec 2: [`crate::layout::is_legacy`]).

/// Python's `s.encode('ascii', 'xmlcharrefreplace')`: every non-ASCII character becomes
/// `&#NNN;` (decimal code point); ASCII, `&` included, is left alone.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_ascii() {
            out.push(c);
        } else {
            out.push_str(&format!("&#{};", u32::from(c)));
        }
    }
    out
}

/// HTML character-reference decoding, as Python's `html.unescape` does for what loom files
/// hold: decimal `&#NNN;` and hexadecimal `&#xHH;` references (the `;` optional) and the
/// named references `&amp; &lt; &gt; &quot; &apos; &nbsp;`. Anything else is kept as is.
pub fn unescape(s: &str) -> String {
    if !s.contains('&') {
        return s.to_owned();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        let tail = &rest[at..];
        match reference(tail) {
            Some((c, used)) => {
                out.extend(c);
                rest = &tail[used..];
            }
            None => {
                out.push('&');
                rest = &tail[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// Decodes the reference at the start of `s` (which starts with `&`): the character (none
/// for a code point HTML5 drops) and the number of bytes used.
fn reference(s: &str) -> Option<(Option<char>, usize)> {
    let body = s.get(1..)?;
    if let Some(num) = body.strip_prefix('#') {
        let (digits, radix, skip) = match num.strip_prefix(['x', 'X']) {
            Some(hex) => (hex, 16, 3),
            None => (num, 10, 2),
        };
        let len = digits
            .char_indices()
            .find(|(_, c)| !c.is_digit(radix))
            .map_or(digits.len(), |(i, _)| i);
        if len == 0 {
            return None;
        }
        // Digits beyond u32 are a code point above U+10FFFF all the same.
        let code = u32::from_str_radix(&digits[..len], radix).unwrap_or(u32::MAX);
        let semi = usize::from(digits[len..].starts_with(';'));
        return Some((numeric(code), skip + len + semi));
    }
    for (name, c) in [
        ("amp", '&'),
        ("lt", '<'),
        ("gt", '>'),
        ("quot", '"'),
        ("apos", '\''),
        ("nbsp", '\u{A0}'),
    ] {
        if let Some(after) = body.strip_prefix(name) {
            let semi = usize::from(after.starts_with(';'));
            if semi == 1 || name != "apos" {
                return Some((Some(c), 1 + name.len() + semi));
            }
        }
    }
    None
}

/// A numeric character reference decoded by HTML5's rules, as Python's `html.unescape`
/// (which loompy uses) applies them: 0x80–0x9F name Windows-1252 characters, NUL and
/// surrogates or code points past U+10FFFF become U+FFFD, and control or noncharacter
/// code points are dropped.
fn numeric(code: u32) -> Option<char> {
    const WINDOWS_1252: [u32; 32] = [
        0x20AC, 0x81, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
        0x2039, 0x0152, 0x8D, 0x017D, 0x8F, 0x90, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013,
        0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x9D, 0x017E, 0x0178,
    ];
    match code {
        0 => Some('\u{FFFD}'),
        0x0D => Some('\r'),
        0x80..=0x9F => char::from_u32(WINDOWS_1252[(code - 0x80) as usize]),
        0xD800..=0xDFFF | 0x11_0000.. => Some('\u{FFFD}'),
        0x01..=0x08 | 0x0B | 0x0E..=0x1F | 0x7F | 0xFDD0..=0xFDEF => None,
        c if c & 0xFFFE == 0xFFFE => None,
        c => char::from_u32(c),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_like_xmlcharrefreplace() {
        assert_eq!(escape("café"), "caf&#233;");
        assert_eq!(escape("a&b <α>"), "a&b <&#945;>");
        assert_eq!(escape("😀"), "&#128512;");
        assert_eq!(escape(""), "");
    }

    #[test]
    fn unescapes_like_html_unescape() {
        assert_eq!(unescape("caf&#233;0"), "café0");
        assert_eq!(unescape("G&#228;pdh"), "Gäpdh");
        assert_eq!(unescape("&#xe9;&#XE9;"), "éé");
        assert_eq!(unescape("a&amp;b&lt;c&gt;&quot;&apos;"), "a&b<c>\"'");
        assert_eq!(unescape("a&ampb"), "a&b");
        assert_eq!(unescape("&#233"), "é");
        assert_eq!(unescape("& &# &#; &bogus; &"), "& &# &#; &bogus; &");
        assert_eq!(unescape("&#0;"), "\u{FFFD}");
        assert_eq!(unescape(&escape("Åland_ß α")), "Åland_ß α");
    }

    #[test]
    fn numeric_references_follow_html5_like_python() {
        // Expected values printed by Python 3.11's html.unescape.
        for (input, want) in [
            ("&#128;", "€"),
            ("&#150;", "–"),
            ("&#1;", ""),
            ("&#0;", "\u{FFFD}"),
            ("&#13;", "\r"),
            ("&#x110000;", "\u{FFFD}"),
            ("&#55296;", "\u{FFFD}"),
            ("&#65534;", ""),
            ("&#127;", ""),
            ("&#233;", "é"),
            ("&#x1F600;", "😀"),
            ("&#99999999999;", "\u{FFFD}"),
            ("a&#159;b", "aŸb"),
            ("price &#128;", "price €"),
        ] {
            assert_eq!(unescape(input), want, "{input}");
        }
    }
}
