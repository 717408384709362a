//! Strict JSON for `.json` inputs: read as JSON, never as YAML (a trailing comma, a comment, an
//! unquoted key or a single-quoted string is a syntax error, as in Grafana and Alertmanager), with the
//! positions of its nodes and its repeated keys for the report. A repeated key's last value wins,
//! as Go's `encoding/json` (which Grafana and Alertmanager use) reads it.
//!
//! Owns JSON syntax errors and JSON positions; validates nothing else, does no I/O.

use std::collections::HashMap;

use crate::value::Value;

use crate::yaml::{Duplicate, Locations, Pos};

/// A text that is not JSON: where the reader stopped and why (one line).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct JsonError {
    /// Where the reader stopped (1-based; column 1 when the reader gave none).
    pub(super) pos: Pos,
    /// What is wrong, with a hint for the mistakes YAML or JavaScript habits cause.
    pub(super) message: String,
}

/// Whether a file is read as strict JSON (by its extension).
pub(super) fn is_json_file(path: &std::path::Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("json"))
}

/// A manifest's JSON text as kubectl reads it: a leading UTF-8 byte order mark is dropped (its
/// file reader decodes through `unicode.BOMOverride`). Grafana and Alertmanager read with Go's
/// `encoding/json`, which refuses one, so dashboards and alert payloads are parsed as they are.
pub(super) fn manifest_text(text: &str) -> &str {
    text.strip_prefix(BOM).unwrap_or(text)
}

/// The byte order mark some Windows editors write at the start of a UTF-8 file.
const BOM: char = '\u{feff}';

/// Parses `text` as one strict JSON value.
///
/// # Errors
/// Anything `encoding/json` would refuse, with its position.
pub(super) fn parse(text: &str) -> Result<Value, JsonError> {
    crate::gojson::from_str::<Value>(text).map_err(|e| error(text, &e))
}

fn error(text: &str, e: &serde_json::Error) -> JsonError {
    let pos = Pos {
        line: e.line().max(1),
        col: e.column().max(1),
    };
    let full = e.to_string();
    // serde_json ends its messages with " at line L column C": the span carries that.
    let what = full
        .rsplit_once(" at line ")
        .map_or(full.as_str(), |(m, _)| m);
    let at = text
        .lines()
        .nth(pos.line - 1)
        .and_then(|l| l.chars().nth(pos.col - 1));
    if text.starts_with(BOM) && pos.line == 1 {
        return JsonError {
            pos: Pos { line: 1, col: 1 },
            message: "invalid JSON: the file starts with a byte order mark (U+FEFF), which Go's encoding/json refuses (save it as UTF-8 without BOM)".into(),
        };
    }
    let hint = match at {
        _ if what.contains("trailing comma") => Some("JSON allows no comma after the last item"),
        Some('#') => Some("JSON has no comments"),
        Some('/') => Some("JSON has no comments"),
        Some('\'') => Some("JSON strings and keys need double quotes"),
        _ if what.contains("key must be a string") => Some("JSON keys need double quotes"),
        _ => None,
    };
    let message = match hint {
        Some(h) => format!("invalid JSON: {what} ({h})"),
        None => format!("invalid JSON: {what}"),
    };
    JsonError { pos, message }
}

/// Positions of a text [`parse`] accepted (when `positions`) and its repeated keys, in source order.
/// The positions of a repeated key are those of its last occurrence (the value that is kept).
pub(super) fn scan(text: &str, positions: bool) -> (Locations, Vec<Duplicate>) {
    let mut s = Scanner {
        bytes: text.as_bytes(),
        text,
        i: 0,
        line: 1,
        col: 1,
        positions,
        locations: Locations::default(),
        duplicates: Vec::new(),
    };
    s.ws();
    s.value(String::new(), None);
    (s.locations, s.duplicates)
}

struct Scanner<'a> {
    bytes: &'a [u8],
    text: &'a str,
    i: usize,
    line: usize,
    col: usize,
    positions: bool,
    locations: Locations,
    duplicates: Vec<Duplicate>,
}

impl Scanner<'_> {
    fn pos(&self) -> Pos {
        Pos {
            line: self.line,
            col: self.col,
        }
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.i).copied()
    }

    fn bump(&mut self) {
        let Some(b) = self.peek() else { return };
        self.i += 1;
        if b == b'\n' {
            self.line += 1;
            self.col = 1;
        } else if b & 0xC0 != 0x80 {
            self.col += 1;
        }
    }

    fn ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\r' | b'\n')) {
            self.bump();
        }
    }

    fn value(&mut self, pointer: String, key: Option<Pos>) {
        let at = self.pos();
        if self.positions {
            self.locations.record(pointer.clone(), key, at);
        }
        match self.peek() {
            Some(b'{') => self.object(&pointer),
            Some(b'[') => self.array(&pointer),
            Some(b'"') => {
                self.string();
            }
            Some(_) => {
                while !matches!(
                    self.peek(),
                    None | Some(b',' | b']' | b'}' | b' ' | b'\t' | b'\r' | b'\n')
                ) {
                    self.bump();
                }
            }
            None => {}
        }
    }

    /// Reads a string token and returns its decoded text.
    fn string(&mut self) -> String {
        let start = self.i;
        self.bump(); // opening quote
        let mut escaped = false;
        while let Some(b) = self.peek() {
            self.bump();
            match b {
                b'\\' => {
                    self.bump();
                    escaped = true;
                }
                b'"' => break,
                _ => {}
            }
        }
        let raw = self.text.get(start..self.i).unwrap_or("\"\"");
        if escaped {
            crate::gojson::from_str::<String>(raw).unwrap_or_default()
        } else {
            raw.get(1..raw.len().saturating_sub(1))
                .unwrap_or("")
                .to_string()
        }
    }

    fn object(&mut self, pointer: &str) {
        self.bump(); // {
        let mut seen: HashMap<String, usize> = HashMap::new();
        loop {
            self.ws();
            match self.peek() {
                Some(b'"') => {}
                Some(b',') => {
                    self.bump();
                    continue;
                }
                _ => {
                    self.bump(); // } (or the end of a text parse() refused)
                    return;
                }
            }
            let key_at = self.pos();
            let key = self.string();
            if let Some(first_line) = seen.insert(key.clone(), key_at.line) {
                self.duplicates.push(Duplicate {
                    key: key.clone(),
                    pos: key_at,
                    first_line,
                });
            }
            self.ws();
            if self.peek() == Some(b':') {
                self.bump();
            }
            self.ws();
            let child = format!("{pointer}/{}", key.replace('~', "~0").replace('/', "~1"));
            self.value(child, Some(key_at));
        }
    }

    fn array(&mut self, pointer: &str) {
        self.bump(); // [
        let mut n = 0usize;
        loop {
            self.ws();
            match self.peek() {
                Some(b',') => {
                    self.bump();
                    continue;
                }
                Some(b']') | None => {
                    self.bump();
                    return;
                }
                Some(_) => {}
            }
            self.value(format!("{pointer}/{n}"), None);
            n += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str) -> (usize, usize, String) {
        let e = parse(text).expect_err(text);
        (e.pos.line, e.pos.col, e.message)
    }

    #[test]
    fn a_byte_order_mark_is_dropped_for_manifests_only() {
        let text = "\u{feff}{\"a\": 1}";
        assert_eq!(manifest_text(text), "{\"a\": 1}");
        assert!(parse(manifest_text(text)).is_ok());
        assert_eq!(manifest_text("{}"), "{}");
        let e = parse(text).unwrap_err();
        assert_eq!(e.pos, Pos { line: 1, col: 1 });
        assert!(e.message.contains("byte order mark"), "{}", e.message);
        // A mark anywhere else is an ordinary syntax error.
        assert!(parse("{\"a\":\u{feff} 1}").is_err());
        assert!(
            !parse("[\n\u{feff}1]")
                .unwrap_err()
                .message
                .contains("byte order mark")
        );
    }

    #[test]
    fn what_yaml_accepts_and_json_refuses() {
        // (name, text, expected line, message fragment)
        let cases = [
            (
                "trailing comma",
                "{\n  \"a\": 1,\n}",
                3,
                "no comma after the last item",
            ),
            (
                "trailing comma in array",
                "[1,\n 2,\n]",
                3,
                "no comma after the last item",
            ),
            (
                "hash comment",
                "{\n  # note\n  \"a\": 1\n}",
                2,
                "JSON has no comments",
            ),
            (
                "slash comment",
                "{\n  // note\n  \"a\": 1\n}",
                2,
                "JSON has no comments",
            ),
            ("unquoted key", "{\n  a: 1\n}", 2, "keys need double quotes"),
            (
                "single quotes",
                "{\n  \"a\": 'x'\n}",
                2,
                "need double quotes",
            ),
            ("yaml", "a: 1\n", 1, "invalid JSON"),
            ("empty", "", 1, "invalid JSON"),
            ("two values", "{}\n{}\n", 2, "trailing characters"),
        ];
        for (name, text, line, fragment) in cases {
            let (l, _, m) = err(text);
            assert_eq!(l, line, "{name}: {m}");
            assert!(m.contains(fragment), "{name}: {m}");
            assert!(!m.contains('\n') && !m.contains(" at line "), "{name}: {m}");
        }
    }

    #[test]
    fn positions_of_keys_values_and_items() {
        let text = "{\n\t\"a\": {\"b/c\": [1, {\"é\": \"x\"}]},\n  \"d\": null\n}";
        parse(text).unwrap();
        let (loc, dups) = scan(text, true);
        assert!(dups.is_empty());
        let p = |line, col| Some(Pos { line, col });
        assert_eq!(loc.node(""), p(1, 1));
        assert_eq!(loc.key("/a"), p(2, 2));
        assert_eq!(loc.node("/a"), p(2, 7));
        assert_eq!(loc.key("/a/b~1c"), p(2, 8));
        assert_eq!(loc.node("/a/b~1c/0"), p(2, 16));
        assert_eq!(loc.key("/a/b~1c/1/é"), p(2, 20));
        assert_eq!(loc.node("/a/b~1c/1/é"), p(2, 25));
        assert_eq!(loc.key("/d"), p(3, 3));
    }

    #[test]
    fn repeated_keys_are_listed_and_the_last_value_wins() {
        let text = "{\n  \"a\": 1,\n  \"b\": {\"a\": 2},\n  \"a\": 3\n}";
        let v = parse(text).unwrap();
        assert_eq!(v["a"], 3);
        let (loc, dups) = scan(text, true);
        assert_eq!(
            dups,
            vec![Duplicate {
                key: "a".into(),
                pos: Pos { line: 4, col: 3 },
                first_line: 2
            }]
        );
        assert_eq!(loc.key("/a"), Some(Pos { line: 4, col: 3 }));
        let (loc, dups) = scan(text, false);
        assert!(loc.is_empty());
        assert_eq!(dups.len(), 1);
    }

    #[test]
    fn escaped_keys_are_decoded() {
        let text = r#"{"a\"b": 1, "a\"b": 2}"#;
        let (_, dups) = scan(text, false);
        assert_eq!(dups[0].key, "a\"b");
    }
}
