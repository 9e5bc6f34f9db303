//! A table's columns from its `CREATE TABLE` text in `sqlite_schema` (fileformat2 §2.6
//! "Storage Of The SQL Database Schema"), read as <https://www.sqlite.org/lang_createtable.html>
//! defines it: column names, declared types (for their affinity, datatype3 §3.1),
//! `COLLATE`, `DEFAULT` literals, and which column is `INTEGER PRIMARY KEY` (an alias of
//! the rowid, stored as NULL in the record). `WITHOUT ROWID` tables, generated columns
//! and non-literal defaults are refused.

use super::record::Value;
use super::SqliteError;

/// A column's type affinity (datatype3 §3.1), which decides how `name = ?` compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Affinity {
    /// Declared type contains "INT".
    Integer,
    /// "CHAR", "CLOB" or "TEXT".
    Text,
    /// "BLOB" or no type: values compare as stored.
    Blob,
    /// "REAL", "FLOA" or "DOUB".
    Real,
    /// Anything else.
    Numeric,
}

/// A column's collating sequence for text comparisons.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Collation {
    /// Bytewise.
    Binary,
    /// ASCII letters without case.
    NoCase,
    /// Trailing spaces ignored.
    RTrim,
    /// A collation registered by an application: not known here.
    Other(String),
}

/// One column of a table.
#[derive(Debug, Clone)]
pub struct Column {
    /// Its name as declared.
    pub name: String,
    /// Its affinity.
    pub affinity: Affinity,
    /// Its collation.
    pub collation: Collation,
    /// `INTEGER PRIMARY KEY`: the value is the rowid.
    pub rowid_alias: bool,
    /// The value of rows stored before the column was added (`DEFAULT`, else NULL);
    /// `None` for a default that is not a literal.
    pub default: Option<Value>,
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    /// A bare word (keyword or identifier).
    Word(String),
    /// A quoted identifier ("x", [x], `x`).
    Quoted(String),
    /// A string literal.
    Str(String),
    /// A numeric literal.
    Num(String),
    Punct(char),
}

fn tokens(sql: &str) -> Result<Vec<Token>, SqliteError> {
    let bad = |why: &str| SqliteError::Schema(format!("{why} in `{sql}`"));
    let chars: Vec<char> = sql.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let quoted = |close: char, i: &mut usize| -> Result<String, SqliteError> {
            let mut s = String::new();
            *i += 1;
            loop {
                match chars.get(*i) {
                    None => return Err(bad("an unclosed quote")),
                    Some(&ch) if ch == close => {
                        // A doubled quote stands for one (not for `]`).
                        if close != ']' && chars.get(*i + 1) == Some(&close) {
                            s.push(close);
                            *i += 2;
                        } else {
                            *i += 1;
                            return Ok(s);
                        }
                    }
                    Some(&ch) => {
                        s.push(ch);
                        *i += 1;
                    }
                }
            }
        };
        if c.is_whitespace() {
            i += 1;
        } else if c == '-' && chars.get(i + 1) == Some(&'-') {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && chars.get(i + 1) == Some(&'*') {
            i += 2;
            while i < chars.len() && !(chars[i] == '*' && chars.get(i + 1) == Some(&'/')) {
                i += 1;
            }
            i += 2;
        } else if c == '\'' {
            out.push(Token::Str(quoted('\'', &mut i)?));
        } else if c == '"' || c == '`' {
            out.push(Token::Quoted(quoted(c, &mut i)?));
        } else if c == '[' {
            out.push(Token::Quoted(quoted(']', &mut i)?));
        } else if c.is_ascii_digit()
            || (c == '.' && chars.get(i + 1).is_some_and(char::is_ascii_digit))
        {
            let start = i;
            while i < chars.len()
                && (chars[i].is_ascii_alphanumeric()
                    || chars[i] == '.'
                    || ((chars[i] == '+' || chars[i] == '-')
                        && matches!(chars[i - 1], 'e' | 'E')
                        && !chars[start..i].iter().any(|&d| d == 'x' || d == 'X')))
            {
                i += 1;
            }
            out.push(Token::Num(chars[start..i].iter().collect()));
        } else if c.is_alphanumeric() || c == '_' || c == '$' || !c.is_ascii() {
            let start = i;
            while i < chars.len()
                && (chars[i].is_alphanumeric()
                    || chars[i] == '_'
                    || chars[i] == '$'
                    || !chars[i].is_ascii())
            {
                i += 1;
            }
            out.push(Token::Word(chars[start..i].iter().collect()));
        } else {
            out.push(Token::Punct(c));
            i += 1;
        }
    }
    Ok(out)
}

fn is_word(t: Option<&Token>, w: &str) -> bool {
    matches!(t, Some(Token::Word(s)) if s.eq_ignore_ascii_case(w))
}

fn name_of(t: Option<&Token>) -> Option<String> {
    match t {
        Some(Token::Word(s) | Token::Quoted(s) | Token::Str(s)) => Some(s.clone()),
        _ => None,
    }
}

/// Splits `tokens` at top-level commas until the `)` that closes the list.
fn items(tokens: &[Token]) -> Option<(Vec<&[Token]>, &[Token])> {
    let mut depth = 0usize;
    let mut start = 0;
    let mut out = Vec::new();
    for (i, t) in tokens.iter().enumerate() {
        match t {
            Token::Punct('(') => depth += 1,
            Token::Punct(')') if depth == 0 => {
                out.push(&tokens[start..i]);
                return Some((out, &tokens[i + 1..]));
            }
            Token::Punct(')') => depth -= 1,
            Token::Punct(',') if depth == 0 => {
                out.push(&tokens[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    None
}

/// The affinity of a declared type (datatype3 §3.1, its rules in order).
pub fn affinity(declared: &str) -> Affinity {
    let t = declared.to_ascii_uppercase();
    if t.contains("INT") {
        Affinity::Integer
    } else if ["CHAR", "CLOB", "TEXT"].iter().any(|k| t.contains(k)) {
        Affinity::Text
    } else if t.contains("BLOB") || t.trim().is_empty() {
        Affinity::Blob
    } else if ["REAL", "FLOA", "DOUB"].iter().any(|k| t.contains(k)) {
        Affinity::Real
    } else {
        Affinity::Numeric
    }
}

const CONSTRAINT_WORDS: [&str; 11] = [
    "CONSTRAINT",
    "PRIMARY",
    "NOT",
    "NULL",
    "UNIQUE",
    "CHECK",
    "DEFAULT",
    "COLLATE",
    "REFERENCES",
    "GENERATED",
    "AS",
];

/// A DEFAULT literal: a (signed) number, a string, a blob (`x'…'`), NULL, TRUE/FALSE.
fn literal(toks: &[Token]) -> Option<Value> {
    let (negative, rest) = match toks.first() {
        Some(Token::Punct('-')) => (true, &toks[1..]),
        Some(Token::Punct('+')) => (false, &toks[1..]),
        _ => (false, toks),
    };
    let signed = rest.len() < toks.len();
    match rest.first()? {
        Token::Num(n) => match n.parse::<i128>() {
            Ok(i) => {
                let i = if negative { -i } else { i };
                Some(i64::try_from(i).map_or(Value::Real(i as f64), Value::Integer))
            }
            Err(_) => {
                let f = n.parse::<f64>().ok()?;
                Some(Value::Real(if negative { -f } else { f }))
            }
        },
        Token::Str(s) if !signed => Some(Value::Text(s.clone())),
        Token::Word(w) if !signed && w.eq_ignore_ascii_case("x") => match rest.get(1)? {
            Token::Str(h) if h.len() % 2 == 0 && h.is_ascii() => (0..h.len() / 2)
                .map(|i| u8::from_str_radix(&h[2 * i..2 * i + 2], 16).ok())
                .collect::<Option<Vec<u8>>>()
                .map(Value::Blob),
            _ => None,
        },
        Token::Word(w) if w.eq_ignore_ascii_case("NULL") => Some(Value::Null),
        Token::Word(w) if w.eq_ignore_ascii_case("TRUE") => Some(Value::Integer(1)),
        Token::Word(w) if w.eq_ignore_ascii_case("FALSE") => Some(Value::Integer(0)),
        _ => None,
    }
}

/// Text that is a well-formed number (surrounding spaces allowed), as SQLite's numeric
/// affinities read it: an integer when it is one and fits, else a real.
fn numeric_text(s: &str) -> Option<Value> {
    let t = s.trim_matches(|c: char| c.is_ascii_whitespace());
    let well_formed = t.chars().any(|c| c.is_ascii_digit())
        && t.chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '+' | '-'));
    if !well_formed {
        return None;
    }
    t.parse::<i64>()
        .map(Value::Integer)
        .ok()
        .or_else(|| t.parse::<f64>().ok().map(Value::Real))
}

/// A real as SQLite writes it as text (`%!.15g`: 15 significant digits, `.0` kept on
/// whole numbers).
fn real_text(f: f64) -> String {
    if f.is_infinite() {
        return if f > 0.0 { "Inf" } else { "-Inf" }.to_owned();
    }
    let sci = format!("{f:.14e}");
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let trim = |m: &str| {
        let m = m.trim_end_matches('0');
        if m.ends_with('.') {
            format!("{m}0")
        } else if m.contains('.') {
            m.to_owned()
        } else {
            format!("{m}.0")
        }
    };
    if !(-4..15).contains(&exp) {
        let sign = if exp < 0 { '-' } else { '+' };
        format!("{}e{sign}{:02}", trim(mantissa), exp.abs())
    } else {
        let decimals = usize::try_from(14 - exp).unwrap_or(0);
        trim(&format!("{f:.decimals$}"))
    }
}

/// A value with a column's affinity applied (datatype3 §3.0 and §4.2): what SQLite
/// does to a value stored in, or compared with, a column of that affinity.
pub fn apply(v: Value, affinity: Affinity) -> Value {
    match (affinity, v) {
        (Affinity::Text, Value::Integer(i)) => Value::Text(i.to_string()),
        (Affinity::Text, Value::Real(f)) => Value::Text(real_text(f)),
        (Affinity::Integer | Affinity::Numeric | Affinity::Real, Value::Text(s)) => {
            match numeric_text(&s) {
                Some(n) => apply(n, affinity),
                None => Value::Text(s),
            }
        }
        (Affinity::Real, Value::Integer(i)) => Value::Real(i as f64),
        (Affinity::Integer | Affinity::Numeric, Value::Real(f))
            if f.fract() == 0.0 && f.abs() < 9.0e18 =>
        {
            Value::Integer(f as i64)
        }
        (_, v) => v,
    }
}

/// One column definition, with its declared type.
fn column(item: &[Token], strict: bool) -> Result<(Column, String), SqliteError> {
    let name = name_of(item.first())
        .ok_or_else(|| SqliteError::Schema(format!("a column without a name: {item:?}")))?;
    let mut i = 1;
    let mut type_words = Vec::new();
    while i < item.len() && !CONSTRAINT_WORDS.iter().any(|w| is_word(item.get(i), w)) {
        if let Token::Word(w) = &item[i] {
            type_words.push(w.as_str());
        }
        i += 1;
    }
    let declared = type_words.join(" ");
    let mut col = Column {
        name,
        affinity: if strict && declared.eq_ignore_ascii_case("ANY") {
            Affinity::Blob
        } else {
            affinity(&declared)
        },
        collation: Collation::Binary,
        rowid_alias: false,
        default: Some(Value::Null),
    };
    let mut primary_key = false;
    while i < item.len() {
        if is_word(item.get(i), "PRIMARY") && is_word(item.get(i + 1), "KEY") {
            primary_key = !is_word(item.get(i + 2), "DESC");
            i += 2;
        } else if is_word(item.get(i), "COLLATE") {
            col.collation = match name_of(item.get(i + 1)) {
                Some(c) if c.eq_ignore_ascii_case("BINARY") => Collation::Binary,
                Some(c) if c.eq_ignore_ascii_case("NOCASE") => Collation::NoCase,
                Some(c) if c.eq_ignore_ascii_case("RTRIM") => Collation::RTrim,
                Some(c) => Collation::Other(c),
                None => return Err(SqliteError::Schema("COLLATE without a name".into())),
            };
            i += 2;
        } else if is_word(item.get(i), "DEFAULT") && !is_word(item.get(i.wrapping_sub(1)), "SET") {
            col.default = literal(&item[i + 1..]).map(|v| apply(v, col.affinity));
            i += 1;
        } else if item[i] == Token::Punct('(') {
            // A parenthesized expression (CHECK, DEFAULT, REFERENCES): skipped whole.
            i += items(&item[i + 1..]).map_or(item.len(), |(_, rest)| item.len() - i - rest.len());
        } else if is_word(item.get(i), "GENERATED") || is_word(item.get(i), "AS") {
            return Err(SqliteError::Unsupported(format!(
                "generated column `{}`",
                col.name
            )));
        } else {
            i += 1;
        }
    }
    col.rowid_alias = primary_key && declared.eq_ignore_ascii_case("INTEGER");
    Ok((col, declared))
}

/// The columns of `CREATE TABLE` statement `sql`.
pub fn columns(sql: &str) -> Result<Vec<Column>, SqliteError> {
    let toks = tokens(sql)?;
    let bad = || SqliteError::Schema(format!("not a CREATE TABLE statement: `{sql}`"));
    let open = toks
        .iter()
        .position(|t| *t == Token::Punct('('))
        .ok_or_else(bad)?;
    if !is_word(toks.first(), "CREATE") || toks[..open].iter().any(|t| is_word(Some(t), "AS")) {
        return Err(bad());
    }
    let (items, options) = items(&toks[open + 1..]).ok_or_else(bad)?;
    let mut strict = false;
    for (i, t) in options.iter().enumerate() {
        if is_word(Some(t), "WITHOUT") && is_word(options.get(i + 1), "ROWID") {
            return Err(SqliteError::Unsupported("a WITHOUT ROWID table".into()));
        }
        strict |= is_word(Some(t), "STRICT");
    }
    let mut cols: Vec<(Column, String)> = Vec::new();
    let mut table_pk: Option<Vec<String>> = None;
    for item in items {
        let first = item.first();
        if is_word(first, "PRIMARY") {
            let cols_start = item.iter().position(|t| *t == Token::Punct('('));
            let names = cols_start
                .and_then(|s| items_names(&item[s + 1..]))
                .ok_or_else(bad)?;
            table_pk = Some(names);
        } else if ["CONSTRAINT", "UNIQUE", "CHECK", "FOREIGN"]
            .iter()
            .any(|w| is_word(first, w))
        {
            if let Some(p) = item.iter().position(|t| is_word(Some(t), "PRIMARY")) {
                let s = item[p..].iter().position(|t| *t == Token::Punct('('));
                table_pk = s.and_then(|s| items_names(&item[p + s + 1..]));
            }
        } else {
            cols.push(column(item, strict)?);
        }
    }
    if let Some([pk]) = table_pk.as_deref() {
        if let Some((c, declared)) = cols
            .iter_mut()
            .find(|(c, _)| c.name.eq_ignore_ascii_case(pk))
        {
            c.rowid_alias = declared.eq_ignore_ascii_case("INTEGER");
        }
    }
    Ok(cols.into_iter().map(|(c, _)| c).collect())
}

/// The first identifier of each comma-separated item of a parenthesized list.
fn items_names(toks: &[Token]) -> Option<Vec<String>> {
    let (list, _) = items(toks)?;
    list.into_iter().map(|i| name_of(i.first())).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(sql: &str) -> Vec<(String, Affinity, bool)> {
        columns(sql)
            .unwrap_or_default()
            .into_iter()
            .map(|c| (c.name, c.affinity, c.rowid_alias))
            .collect()
    }

    #[test]
    fn column_names_types_and_the_rowid_alias() {
        use Affinity::*;
        let got = names(
            "CREATE TABLE \"sample\" (id INTEGER PRIMARY KEY, [Name] VARCHAR(20) NOT NULL, \
             \"age in years\" int, w DOUBLE PRECISION DEFAULT -1.5, x, `n` DECIMAL(10, 2), \
             -- a comment, with a comma\n b BLOB, UNIQUE (Name), CHECK (w > 0))",
        );
        let want = [
            ("id", Integer, true),
            ("Name", Text, false),
            ("age in years", Integer, false),
            ("w", Real, false),
            ("x", Blob, false),
            ("n", Numeric, false),
            ("b", Blob, false),
        ];
        assert_eq!(got, want.map(|(n, a, r)| (n.to_owned(), a, r)).to_vec(),);
        let got = names("CREATE TABLE t (k INTEGER, v TEXT, PRIMARY KEY (k))");
        assert!(got[0].2);
        assert!(!names("CREATE TABLE t (k INT PRIMARY KEY)")[0].2);
        assert!(!names("CREATE TABLE t (k INTEGER PRIMARY KEY DESC)")[0].2);
    }

    #[test]
    fn defaults_and_collations() {
        let cols = columns("CREATE TABLE t (a TEXT COLLATE NOCASE DEFAULT 'x''y', b DEFAULT (1+2), c INT DEFAULT -3)")
            .unwrap_or_default();
        assert_eq!(cols[0].collation, Collation::NoCase);
        assert_eq!(cols[0].default, Some(Value::Text("x'y".into())));
        assert_eq!(cols[1].default, None);
        assert_eq!(cols[2].default, Some(Value::Integer(-3)));
        let cols = columns(
            "CREATE TABLE t (a TEXT DEFAULT (CAST(1 AS TEXT)) CHECK (a <> 'AS'), \
             b INT REFERENCES p (id) ON DELETE SET DEFAULT, c DEFAULT 4)",
        )
        .unwrap_or_default();
        assert_eq!(cols.len(), 3);
        assert_eq!(cols[0].default, None);
        assert_eq!(cols[1].default, Some(Value::Null));
        assert_eq!(cols[2].default, Some(Value::Integer(4)));
        let cols = columns(
            "CREATE TABLE t (a TEXT DEFAULT -4, b TEXT DEFAULT 2.5, c REAL DEFAULT 2, \
             d INT DEFAULT '12', e DEFAULT x'00ff', f INT DEFAULT -9223372036854775808)",
        )
        .unwrap_or_default();
        let defaults: Vec<_> = cols.into_iter().map(|c| c.default).collect();
        assert_eq!(
            defaults,
            [
                Value::Text("-4".into()),
                Value::Text("2.5".into()),
                Value::Real(2.0),
                Value::Integer(12),
                Value::Blob(vec![0, 255]),
                Value::Integer(i64::MIN),
            ]
            .map(Some)
        );
    }

    #[test]
    fn reals_as_sqlite_writes_them_as_text() {
        for (f, t) in [
            (2.5, "2.5"),
            (100.0, "100.0"),
            (-0.1, "-0.1"),
            (1.0 / 3.0, "0.333333333333333"),
            (1e20, "1.0e+20"),
            (1.5e-7, "1.5e-07"),
            (123456789012345.0, "123456789012345.0"),
            (f64::INFINITY, "Inf"),
        ] {
            assert_eq!(real_text(f), t);
        }
    }

    const SOUP: [&str; 24] = [
        "CREATE", "TABLE", "t", "(", ")", ",", "PRIMARY", "KEY", "DEFAULT", "'x'", "-", "1", "AS",
        "WITHOUT", "ROWID", "COLLATE", "\"q", "[a]", "INTEGER", "SET", "x", "'0f'", "/*", "--",
    ];

    proptest::proptest! {
        #[test]
        fn any_text_is_columns_or_an_error(
            text in ".{0,120}",
            soup in proptest::collection::vec(0..SOUP.len(), 0..40),
        ) {
            let _ = columns(&text);
            let sql: Vec<&str> = soup.into_iter().map(|i| SOUP[i]).collect();
            let _ = columns(&sql.join(" "));
            let _ = columns(&sql.concat());
        }
    }

    #[test]
    fn refused_tables() {
        for sql in [
            "CREATE TABLE t (a TEXT PRIMARY KEY) WITHOUT ROWID",
            "CREATE TABLE t (a INT, b INT GENERATED ALWAYS AS (a + 1))",
        ] {
            assert!(
                matches!(columns(sql), Err(SqliteError::Unsupported(_))),
                "{sql}"
            );
        }
        for sql in ["CREATE VIEW v AS SELECT 1", "CREATE TABLE t (a", "'"] {
            assert!(matches!(columns(sql), Err(SqliteError::Schema(_))), "{sql}");
        }
    }
}
