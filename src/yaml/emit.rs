//! Emitting values in the exact style `kubectl kustomize` prints (go-yaml v2 via
//! `sigs.k8s.io/yaml`).

use super::scalar::{is_yaml_float, parse_int};
use super::*;

// ---------------------------------------------------------------------------------------------
// Emitting
// ---------------------------------------------------------------------------------------------

const BEST_WIDTH: usize = 80;

/// Emits one document in `kubectl kustomize`'s style: keys sorted, two-space indent, sequences
/// not indented under their key, go-yaml v2 quoting and line folding. Ends with a newline.
pub fn emit(value: &Value) -> String {
    let mut out = String::new();
    emit_into(&mut out, value);
    out
}

/// Appends one document to `out` (which must be empty or end with a newline).
fn emit_into(out: &mut String, value: &Value) {
    match value {
        Value::Object(m) if !m.is_empty() => emit_map(out, m, 0),
        Value::Array(a) if !a.is_empty() => emit_seq(out, a, 0),
        other => {
            scalar_inline_into(
                out,
                other,
                Col {
                    start: 0,
                    indent: 0,
                },
                false,
            );
            out.push('\n');
        }
    }
}

/// Emits several documents separated by `---` lines, as `kubectl kustomize` prints a build.
pub fn emit_stream<'a>(values: impl IntoIterator<Item = &'a Value>) -> String {
    let values = values.into_iter();
    // Typical Kubernetes documents print to about 1 KiB.
    let mut out = String::with_capacity(values.size_hint().0.saturating_mul(1024));
    for (i, v) in values.enumerate() {
        if i > 0 {
            out.push_str("---\n");
        }
        emit_into(&mut out, v);
    }
    out
}

/// Whether bytewise key order can differ from go-yaml v2's for this key: only digits (compared
/// as numbers), ASCII punctuation that sorts after a letter bytewise, and non-ASCII do.
fn key_may_sort_differently(k: &str) -> bool {
    k.bytes()
        .any(|b| b.is_ascii_digit() || matches!(b, b'['..=b'`' | b'{'..=b'~') || b >= 0x80)
}

/// go-yaml v2's map key order (what `kubectl kustomize` prints): runs of digits compare as
/// numbers (a shorter run first when equal), a non-letter sorts before a letter, letters by code
/// point, and a prefix first.
pub fn go_key_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    let ar: Vec<char> = a.chars().collect();
    let br: Vec<char> = b.chars().collect();
    let digit = |c: char| c.is_ascii_digit();
    for i in 0..ar.len().min(br.len()) {
        if ar[i] == br[i] {
            continue;
        }
        let (al, bl) = (ar[i].is_alphabetic(), br[i].is_alphabetic());
        if al && bl {
            return ar[i].cmp(&br[i]);
        }
        if al || bl {
            return if bl {
                Ordering::Less
            } else {
                Ordering::Greater
            };
        }
        let (mut an, mut bn): (i64, i64) = (0, 0);
        if ar[i] == '0' || br[i] == '0' {
            let mut j = i;
            while j > 0 && digit(ar[j - 1]) {
                j -= 1;
                if ar[j] != '0' {
                    an = 1;
                    bn = 1;
                    break;
                }
            }
        }
        // The digit run from `i`: its value (on top of `n`) and where it ends.
        let run = |s: &[char], mut n: i64| {
            let mut end = i;
            while end < s.len() && digit(s[end]) {
                n = n
                    .wrapping_mul(10)
                    .wrapping_add(i64::from(s[end] as u8 - b'0'));
                end += 1;
            }
            (n, end)
        };
        let (an, ai) = run(&ar, an);
        let (bn, bi) = run(&br, bn);
        if an != bn {
            return an.cmp(&bn);
        }
        if ai != bi {
            return ai.cmp(&bi);
        }
        return ar[i].cmp(&br[i]);
    }
    ar.len().cmp(&br.len())
}

/// Entries in go-yaml v2's key order. A [`Map`] iterates in bytewise key order
/// (`map_iteration_is_sorted` guards that), so that order comes for free and only maps with
/// keys where the orders can differ are sorted again.
fn resorted(m: &Map) -> Option<Vec<(&String, &Value)>> {
    if m.len() < 2 || !m.keys().any(|k| key_may_sort_differently(k)) {
        return None;
    }
    let mut entries: Vec<(&String, &Value)> = m.iter().collect();
    entries.sort_by(|a, b| go_key_cmp(a.0, b.0));
    Some(entries)
}

/// Emits a non-empty mapping whose keys start at column `indent`. The first key is written at the
/// current position (the caller has already indented or written `- `).
fn emit_map(out: &mut String, m: &Map, indent: usize) {
    match resorted(m) {
        Some(entries) => {
            for (i, (k, v)) in entries.into_iter().enumerate() {
                emit_entry(out, i, k, v, indent);
            }
        }
        None => {
            for (i, (k, v)) in m.iter().enumerate() {
                emit_entry(out, i, k, v, indent);
            }
        }
    }
}

fn emit_entry(out: &mut String, i: usize, k: &str, v: &Value, indent: usize) {
    {
        if i > 0 {
            push_indent(out, indent);
        }
        scalar_string_into(
            out,
            k,
            Col {
                start: indent,
                indent,
            },
            true,
        );
        out.push(':');
        match v {
            Value::Object(child) if !child.is_empty() => {
                out.push('\n');
                push_indent(out, indent + 2);
                emit_map(out, child, indent + 2);
            }
            Value::Array(items) if !items.is_empty() => {
                out.push('\n');
                push_indent(out, indent);
                emit_seq(out, items, indent);
            }
            scalar => {
                out.push(' ');
                let at = Col {
                    start: current_column(out),
                    indent: indent + 2,
                };
                scalar_inline_into(out, scalar, at, false);
                out.push('\n');
            }
        }
    }
}

/// Emits a non-empty sequence whose `- ` markers stand at column `indent`; the first marker is
/// written at the current position.
fn emit_seq(out: &mut String, items: &[Value], indent: usize) {
    for (i, v) in items.iter().enumerate() {
        if i > 0 {
            push_indent(out, indent);
        }
        out.push_str("- ");
        match v {
            Value::Object(child) if !child.is_empty() => emit_map(out, child, indent + 2),
            Value::Array(inner) if !inner.is_empty() => emit_seq(out, inner, indent + 2),
            scalar => {
                let at = Col {
                    start: indent + 2,
                    indent: indent + 2,
                };
                scalar_inline_into(out, scalar, at, false);
                out.push('\n');
            }
        }
    }
}

fn current_column(out: &str) -> usize {
    let line_start = memchr::memrchr(b'\n', out.as_bytes()).map_or(0, |i| i + 1);
    let line = &out[line_start..];
    if line.is_ascii() {
        line.len()
    } else {
        line.chars().count()
    }
}

fn push_indent(out: &mut String, n: usize) {
    const SPACES: &str = "                                                                ";
    let mut left = n;
    while left > 0 {
        let k = left.min(SPACES.len());
        out.push_str(&SPACES[..k]);
        left -= k;
    }
}

/// Appends a scalar (or empty collection) as it appears after `key: ` or `- `.
fn scalar_inline_into(out: &mut String, v: &Value, at: Col, is_key: bool) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => match n.as_i64() {
            Some(i) => {
                use std::fmt::Write as _;
                let _ = write!(out, "{i}");
            }
            None => out.push_str(&format_number(n)),
        },
        Value::String(s) => scalar_string_into(out, s, at, is_key),
        Value::Array(_) => out.push_str("[]"),
        Value::Object(_) => out.push_str("{}"),
    }
}

/// Formats a number as Go's `strconv.FormatFloat(f, 'g', -1, 64)` for floats, plainly for ints.
pub fn format_number(n: &Number) -> String {
    if let Some(i) = n.as_i64() {
        return i.to_string();
    }
    if let Some(u) = n.as_u64() {
        return u.to_string();
    }
    // kustomize prints through JSON: Go's encoder writes an integral float below 1e21 without a
    // fraction, which go-yaml then reads back as an int.
    let f = n.as_f64().unwrap_or(0.0);
    if f.fract() == 0.0 && f.abs() < 1e21 {
        return integral_float(f);
    }
    format_go_float(f)
}

fn integral_float(f: f64) -> String {
    let e = format!("{:e}", f);
    let (mant, exp) = e.split_once('e').unwrap_or((&e, "0"));
    let exp: usize = exp.parse().unwrap_or(0);
    let sign = if mant.starts_with('-') { "-" } else { "" };
    let digits: String = mant.chars().filter(|c| c.is_ascii_digit()).collect();
    let zeros = (exp + 1).saturating_sub(digits.len());
    format!("{sign}{digits}{}", "0".repeat(zeros))
}

pub(super) fn format_go_float(f: f64) -> String {
    if f == 0.0 {
        return if f.is_sign_negative() {
            "-0".into()
        } else {
            "0".into()
        };
    }
    // Shortest round-trip digits via Rust's `{:e}` formatting, then Go's %g layout rules.
    let e = format!("{:e}", f);
    let (mant, exp) = e.split_once('e').unwrap_or((&e, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let neg = mant.starts_with('-');
    let digits: String = mant.chars().filter(|c| c.is_ascii_digit()).collect();
    let sign = if neg { "-" } else { "" };
    if !(-4..6).contains(&exp) {
        let (first, rest) = digits.split_at(1);
        let m = if rest.is_empty() {
            first.to_string()
        } else {
            format!("{first}.{rest}")
        };
        let es = if exp < 0 { '-' } else { '+' };
        return format!("{sign}{m}e{es}{:02}", exp.abs());
    }
    let nd = digits.len() as i32;
    if exp >= 0 {
        let int_len = exp + 1;
        if nd <= int_len {
            format!("{sign}{digits}{}", "0".repeat((int_len - nd) as usize))
        } else {
            let (a, b) = digits.split_at(int_len as usize);
            format!("{sign}{a}.{b}")
        }
    } else {
        format!("{sign}0.{}{digits}", "0".repeat((-exp - 1) as usize))
    }
}

/// Would go-yaml v2 read this plain text back as something other than a string?
fn resolves_to_non_string(s: &str) -> bool {
    match s {
        "" | "~" | "null" | "Null" | "NULL" => return true,
        "y" | "Y" | "yes" | "Yes" | "YES" | "n" | "N" | "no" | "No" | "NO" | "true" | "True"
        | "TRUE" | "false" | "False" | "FALSE" | "on" | "On" | "ON" | "off" | "Off" | "OFF" => {
            return true;
        }
        ".nan" | ".NaN" | ".NAN" | ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF"
        | "-.inf" | "-.Inf" | "-.INF" | "<<" => return true,
        _ => {}
    }
    let first = s.as_bytes()[0];
    if !(first.is_ascii_digit() || matches!(first, b'-' | b'+' | b'.')) {
        return false;
    }
    parse_int(s).is_some()
        || is_yaml_float(s)
        || is_base60_float(s)
        || timestamp_rfc3339(s).is_some()
}

fn is_base60_float(s: &str) -> bool {
    // ^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$
    let s = s.strip_prefix(['-', '+']).unwrap_or(s);
    let (main, _frac) = match s.find('.') {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    };
    if let Some(f) = _frac
        && !f.bytes().all(|b| b.is_ascii_digit() || b == b'_')
    {
        return false;
    }
    let mut parts = main.split(':');
    let head = parts.next().unwrap_or("");
    if head.is_empty()
        || !head.as_bytes()[0].is_ascii_digit()
        || !head.bytes().all(|b| b.is_ascii_digit() || b == b'_')
    {
        return false;
    }
    let mut n = 0;
    for p in parts {
        n += 1;
        let ok = match p.len() {
            1 => p.as_bytes()[0].is_ascii_digit(),
            2 => (b'0'..=b'5').contains(&p.as_bytes()[0]) && p.as_bytes()[1].is_ascii_digit(),
            _ => false,
        };
        if !ok {
            return false;
        }
    }
    n > 0
}

struct Analysis {
    multiline: bool,
    block_plain_allowed: bool,
    single_quoted_allowed: bool,
    block_allowed: bool,
}

fn is_printable(c: char) -> bool {
    matches!(c, '\n' | '\u{20}'..='\u{7E}' | '\u{85}' | '\u{A0}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..='\u{10FFFF}')
        && c != '\u{FEFF}'
}

fn is_break(c: char) -> bool {
    matches!(c, '\r' | '\n' | '\u{85}' | '\u{2028}' | '\u{2029}')
}

fn is_blank_or_end(c: Option<char>) -> bool {
    match c {
        None => true,
        Some(c) => c == ' ' || c == '\t' || is_break(c) || c == '\0',
    }
}

/// libyaml's `yaml_emitter_analyze_scalar`, block context only (we never emit flow collections
/// with content).
fn analyze(s: &str) -> Analysis {
    if s.is_empty() {
        return Analysis {
            multiline: false,
            block_plain_allowed: true,
            single_quoted_allowed: true,
            block_allowed: false,
        };
    }
    let chars: Vec<char> = s.chars().collect();
    let mut block_indicators = false;
    let mut flow_indicators = false;
    if s.starts_with("---") || s.starts_with("...") {
        block_indicators = true;
        flow_indicators = true;
    }
    let _ = flow_indicators;
    let (mut line_breaks, mut special) = (false, false);
    let (mut leading_space, mut leading_break, mut trailing_space, mut trailing_break) =
        (false, false, false, false);
    let (mut break_space, mut space_break) = (false, false);
    let (mut prev_space, mut prev_break) = (false, false);
    let mut preceded_by_ws = true;
    let mut followed_by_ws = is_blank_or_end(chars.get(1).copied());
    let n = chars.len();
    for i in 0..n {
        let c = chars[i];
        let indicator = if i == 0 {
            matches!(
                c,
                '#' | ','
                    | '['
                    | ']'
                    | '{'
                    | '}'
                    | '&'
                    | '*'
                    | '!'
                    | '|'
                    | '>'
                    | '\''
                    | '"'
                    | '%'
                    | '@'
                    | '`'
            ) || (matches!(c, '?' | ':' | '-') && followed_by_ws)
        } else {
            (c == ':' && followed_by_ws) || (c == '#' && preceded_by_ws)
        };
        if indicator {
            block_indicators = true;
        }
        if !is_printable(c) {
            special = true;
        }
        if is_break(c) {
            line_breaks = true;
        }
        if c == ' ' {
            if i == 0 {
                leading_space = true;
            }
            if i == n - 1 {
                trailing_space = true;
            }
            if prev_break {
                break_space = true;
            }
            prev_space = true;
            prev_break = false;
        } else if is_break(c) {
            if i == 0 {
                leading_break = true;
            }
            if i == n - 1 {
                trailing_break = true;
            }
            if prev_space {
                space_break = true;
            }
            prev_break = true;
            prev_space = false;
        } else {
            prev_space = false;
            prev_break = false;
        }
        preceded_by_ws = is_blank_or_end(Some(c));
        followed_by_ws = is_blank_or_end(chars.get(i + 2).copied());
    }
    let mut a = Analysis {
        multiline: line_breaks,
        block_plain_allowed: true,
        single_quoted_allowed: true,
        block_allowed: true,
    };
    if leading_space || leading_break || trailing_space || trailing_break {
        a.block_plain_allowed = false;
    }
    if trailing_space {
        a.block_allowed = false;
    }
    if break_space {
        a.block_plain_allowed = false;
        a.single_quoted_allowed = false;
    }
    if space_break || special {
        a.block_plain_allowed = false;
        a.single_quoted_allowed = false;
        a.block_allowed = false;
    }
    if line_breaks {
        a.block_plain_allowed = false;
    }
    if block_indicators {
        a.block_plain_allowed = false;
    }
    a
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Style {
    Plain,
    Single,
    Double,
    Literal,
}

pub(super) fn choose_style(s: &str, is_key: bool) -> Style {
    let a = analyze(s);
    let mut style = if a.multiline {
        Style::Literal
    } else if !resolves_to_non_string(s) {
        Style::Plain
    } else {
        Style::Double
    };
    if style == Style::Plain && (!a.block_plain_allowed || (s.is_empty() && is_key)) {
        style = Style::Single;
    }
    if style == Style::Single && !a.single_quoted_allowed {
        style = Style::Double;
    }
    if style == Style::Literal && (!a.block_allowed || is_key) {
        style = Style::Double;
    }
    style
}

/// Where a scalar starts on its line and where its continuation lines start.
#[derive(Clone, Copy)]
pub(super) struct Col {
    /// 0-based column of the scalar's first character.
    pub(super) start: usize,
    /// Column of continuation lines (folded text, literal block content).
    pub(super) indent: usize,
}

/// A string scalar in go-yaml v2 style.
#[cfg(test)]
pub(super) fn scalar_string(s: &str, at: Col, is_key: bool) -> String {
    let mut out = String::new();
    scalar_string_into(&mut out, s, at, is_key);
    out
}

/// Appends [`scalar_string`] to `out` (the common plain case without an allocation of its own).
fn scalar_string_into(out: &mut String, s: &str, at: Col, is_key: bool) {
    if is_simple_plain(s) {
        out.push_str(s);
        return;
    }
    out.push_str(&match choose_style(s, is_key) {
        Style::Plain => fold_plain(s, at, is_key),
        Style::Single => write_single(s, at, is_key),
        Style::Double => write_double(s, at, is_key),
        Style::Literal => write_literal(s, at.indent),
    });
}

/// A fast path for the common case: a string without spaces or line breaks, made of printable
/// ASCII (`name`, `apps/v1`, `/healthz`, `sploot/python-base:3.11-cpu`, `http://x:8080/y`,
/// `key=value`), that go-yaml prints plain and as it is: nothing to fold without a space, no
/// indicator inside it without one (`: ` and ` #` need a space; a `:` at the end is excluded), so
/// only its first character, a leading `---`/`...` and what it would read back as decide.
pub(super) fn is_simple_plain(s: &str) -> bool {
    let b = s.as_bytes();
    let (Some(&first), Some(&last)) = (b.first(), b.last()) else {
        return false;
    };
    let first_ok = match first {
        b'#' | b',' | b'[' | b']' | b'{' | b'}' | b'&' | b'*' | b'!' | b'|' | b'>' | b'\''
        | b'"' | b'%' | b'@' | b'`' => false,
        // An indicator only when followed by a blank or the end.
        b'?' | b':' | b'-' => b.len() > 1,
        _ => true,
    };
    first_ok
        && last != b':'
        && b.iter().all(|&c| (0x21..=0x7e).contains(&c))
        && !(b.starts_with(b"---") || b.starts_with(b"..."))
        && !resolves_to_non_string(s)
}

fn fold_plain(s: &str, at: Col, is_key: bool) -> String {
    if is_key {
        return s.to_string();
    }
    fold_words(s, at, FoldKind::Plain)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum FoldKind {
    Plain,
    Single,
}

/// Breaks at a single space once the column passes 80, as libyaml does for plain and single-quoted
/// scalars (a run of spaces is never broken).
fn fold_words(s: &str, at: Col, kind: FoldKind) -> String {
    let indent = at.indent;
    let mut out = String::with_capacity(s.len() + 8);
    let mut column = at.start;
    if kind == FoldKind::Single {
        column += 1;
    }
    let chars: Vec<char> = s.chars().collect();
    let mut spaces = false;
    for (i, &c) in chars.iter().enumerate() {
        if c == ' ' {
            let next_is_space = chars.get(i + 1) == Some(&' ');
            let allowed = kind == FoldKind::Plain || (i != 0 && i != chars.len() - 1);
            if allowed && !spaces && column > BEST_WIDTH && !next_is_space {
                out.push('\n');
                push_indent(&mut out, indent);
                column = indent;
            } else {
                out.push(' ');
                column += 1;
            }
            spaces = true;
        } else if c == '\'' && kind == FoldKind::Single {
            // Written doubled, and counted as the two columns it takes.
            out.push_str("''");
            column += 2;
            spaces = false;
        } else {
            out.push(c);
            column += 1;
            spaces = false;
        }
    }
    out
}

fn write_single(s: &str, at: Col, is_key: bool) -> String {
    if is_key {
        return format!("'{}'", s.replace('\'', "''"));
    }
    format!("'{}'", fold_words(s, at, FoldKind::Single))
}

fn write_double(s: &str, at: Col, is_key: bool) -> String {
    let indent = at.indent;
    let mut out = String::from("\"");
    let mut column = at.start + 1;
    let chars: Vec<char> = s.chars().collect();
    let mut spaces = false;
    for (i, &c) in chars.iter().enumerate() {
        let escaped: Option<String> =
            if !is_printable(c) || c == '\u{FEFF}' || is_break(c) || c == '"' || c == '\\' {
                Some(match c {
                    '\0' => "\\0".into(),
                    '\u{7}' => "\\a".into(),
                    '\u{8}' => "\\b".into(),
                    '\t' => "\\t".into(),
                    '\n' => "\\n".into(),
                    '\u{B}' => "\\v".into(),
                    '\u{C}' => "\\f".into(),
                    '\r' => "\\r".into(),
                    '\u{1B}' => "\\e".into(),
                    '"' => "\\\"".into(),
                    '\\' => "\\\\".into(),
                    '\u{85}' => "\\N".into(),
                    '\u{A0}' => "\\_".into(),
                    '\u{2028}' => "\\L".into(),
                    '\u{2029}' => "\\P".into(),
                    c if (c as u32) <= 0xFF => format!("\\x{:02X}", c as u32),
                    c if (c as u32) <= 0xFFFF => format!("\\u{:04X}", c as u32),
                    c => format!("\\U{:08X}", c as u32),
                })
            } else {
                None
            };
        if let Some(e) = escaped {
            column += e.chars().count();
            out.push_str(&e);
            spaces = false;
        } else if c == ' ' {
            if !is_key && !spaces && column > BEST_WIDTH && i != 0 && i != chars.len() - 1 {
                out.push('\n');
                push_indent(&mut out, indent);
                column = indent;
                if chars.get(i + 1) == Some(&' ') {
                    out.push('\\');
                    column += 1;
                }
            } else {
                out.push(' ');
                column += 1;
            }
            spaces = true;
        } else {
            out.push(c);
            column += 1;
            spaces = false;
        }
    }
    out.push('"');
    out
}

fn write_literal(s: &str, indent: usize) -> String {
    let mut out = String::from("|");
    let first = s.chars().next();
    if first == Some(' ') || first.is_some_and(is_break) {
        out.push('2');
    }
    let trailing = s.chars().rev().take_while(|&c| c == '\n').count();
    if trailing == 0 {
        out.push('-');
    } else if trailing >= 2 || s.chars().count() == 1 {
        out.push('+');
    }
    let body = s.strip_suffix('\n').unwrap_or(s);
    for line in body.split('\n') {
        out.push('\n');
        if !line.is_empty() {
            push_indent(&mut out, indent);
            out.push_str(line);
        }
    }
    out
}
