//! JSON read as Go's `encoding/json` reads it, where it is kinder than `serde_json`: a `\u`
//! escape of a lone UTF-16 surrogate (`"\ud800"`, a high one not followed by a low one, or a low
//! one alone) decodes to U+FFFD instead of failing the whole document. Grafana, Alertmanager and
//! kubectl read with Go, so a file they load is read here too, with the same value.
//!
//! The rewrite keeps every byte offset (`\ud800` and `\ufffd` are both six bytes), so positions in
//! errors are those of the original text. Pure.

use std::borrow::Cow;

/// `text` with each escape of a lone surrogate written as `\ufffd`; borrowed when there is none.
pub fn lone_surrogates_replaced(text: &str) -> Cow<'_, str> {
    // Fast path: no escape of a surrogate at all.
    let b = text.as_bytes();
    let surrogate_at = |i: usize| -> Option<u16> {
        let hex = b.get(i + 2..i + 6)?;
        if b.get(i) != Some(&b'\\') || b.get(i + 1) != Some(&b'u') {
            return None;
        }
        let v = u16::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok()?;
        (0xD800..=0xDFFF).contains(&v).then_some(v)
    };
    if !text.contains("\\u") {
        return Cow::Borrowed(text);
    }
    let mut lone: Vec<usize> = Vec::new();
    let mut in_string = false;
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'"' => in_string = !in_string,
            b'\\' if in_string => {
                if let Some(v) = surrogate_at(i) {
                    let pair = (0xD800..0xDC00).contains(&v)
                        && surrogate_at(i + 6).is_some_and(|w| w >= 0xDC00);
                    if pair {
                        i += 12;
                        continue;
                    }
                    lone.push(i);
                    i += 6;
                    continue;
                }
                // Any other escape: skip the escaped byte (`\\`, `\"`).
                i += 2;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    if lone.is_empty() {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for at in lone {
        out.push_str(&text[last..at]);
        out.push_str("\\ufffd");
        last = at + 6;
    }
    out.push_str(&text[last..]);
    Cow::Owned(out)
}

/// `serde_json::from_str` on [`lone_surrogates_replaced`] text.
///
/// # Errors
/// What `serde_json` refuses otherwise, at the original positions.
pub fn from_str<T: serde::de::DeserializeOwned>(text: &str) -> serde_json::Result<T> {
    serde_json::from_str(&lone_surrogates_replaced(text))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json;
    use crate::value::Value;

    #[test]
    fn lone_surrogates_read_as_the_replacement_character_and_pairs_as_themselves() {
        let cases = [
            (r#"{"t": "x\ud800"}"#, json!({"t": "x\u{fffd}"})),
            (r#"{"t": "\udc00y"}"#, json!({"t": "\u{fffd}y"})),
            (r#"{"t": "\ud800\u0041"}"#, json!({"t": "\u{fffd}A"})),
            (
                r#"{"t": "\ud800\ud800\udc00"}"#,
                json!({"t": "\u{fffd}\u{10000}"}),
            ),
            (r#"{"t": "\ud83d\ude00"}"#, json!({"t": "\u{1f600}"})),
            // An escaped backslash before `u`: no escape at all.
            (r#"{"t": "\\ud800"}"#, json!({"t": "\\ud800"})),
            (r#"{"\ud800": 1}"#, json!({"\u{fffd}": 1})),
        ];
        for (text, want) in cases {
            assert_eq!(from_str::<Value>(text).unwrap(), want, "{text}");
        }
        assert!(matches!(
            lone_surrogates_replaced(r#"{"t": "\ud83d\ude00 \u00e9"}"#),
            Cow::Borrowed(_)
        ));
    }

    #[test]
    fn errors_keep_the_positions_of_the_text_as_written() {
        let text = "{\"t\": \"\\ud800\",\n  \"u\": 1,}";
        let e = from_str::<Value>(text).unwrap_err();
        assert_eq!((e.line(), e.column()), (2, 10));
    }
}
