//! The YAML 1.1 reading of a kustomization file's plain scalars.
//!
//! kustomize decodes a kustomization with `sigs.k8s.io/yaml` (go-yaml v2, YAML 1.1) into Go
//! structs, while resources go through kyaml (go-yaml v3, YAML 1.2). Two differences matter for
//! the kustomization: an unquoted `yes`, `no`, `on`, `off`, `y`, `n` (any of their case forms) is a
//! boolean, as a value and as a mapping key (`on:` is the key `"true"`); and a timestamp is
//! kept as it was written (`2024-01-02` stays `2024-01-02`, not `2024-01-02T00:00:00Z`).
//!
//! The document is parsed once by the common reader; this pass re-reads only the plain scalars
//! whose 1.1 meaning differs, from the source text at their recorded positions. A scalar that is
//! quoted, a block scalar, tagged, or plain over several lines is left as parsed.

use crate::value::{Map, Value};

use crate::yaml::{Locations, Pos};

/// go-yaml v2's boolean spellings (`resolve.go`).
const TRUE: &[&str] = &["y", "Y", "yes", "Yes", "YES", "on", "On", "ON"];
const FALSE: &[&str] = &["n", "N", "no", "No", "NO", "off", "Off", "OFF"];

fn yaml11_bool(s: &str) -> Option<bool> {
    if TRUE.contains(&s) {
        Some(true)
    } else if FALSE.contains(&s) {
        Some(false)
    } else {
        None
    }
}

/// Mapping keys that YAML 1.1 reads as booleans, renamed `"true"`/`"false"`: the JSON pointer
/// of each renamed key's value, with the key as written and the pointer it had in the source. kustomize takes such a key as the
/// string in a free-form map (`valuesInline`) but fails on it in a map of strings (labels).
pub type BoolKeys = std::collections::HashMap<String, (String, String)>;

/// Re-reads `value` (parsed from `text`, with `loc`) as kustomize's YAML 1.1 decoder sees it.
pub fn reresolve(value: &mut Value, text: &str, loc: &Locations) -> BoolKeys {
    let source = Source::new(text);
    let mut keys = BoolKeys::new();
    walk(value, &mut String::new(), false, &source, loc, &mut keys);
    keys
}

struct Source<'a> {
    lines: Vec<&'a str>,
}

impl<'a> Source<'a> {
    fn new(text: &'a str) -> Self {
        Source {
            lines: text.split('\n').collect(),
        }
    }

    /// The rest of the line from `pos` (1-based line and column, in characters).
    fn from(&self, pos: Pos) -> Option<&'a str> {
        let line = self.lines.get(pos.line.checked_sub(1)?)?;
        let start = line
            .char_indices()
            .nth(pos.col.checked_sub(1)?)
            .map(|(i, _)| i)?;
        Some(&line[start..])
    }

    /// The first character of the node at `pos`.
    fn opens(&self, pos: Option<Pos>) -> Option<char> {
        self.from(pos?)?.chars().next()
    }

    /// The plain scalar written at `pos` when it fits on its line: up to a comment, the end of
    /// the line, or (inside a flow collection) a flow indicator. `None` for a quoted, block,
    /// tagged, anchored or aliased node.
    fn plain(&self, pos: Option<Pos>, flow: bool) -> Option<&'a str> {
        let rest = self.from(pos?)?;
        let first = rest.chars().next()?;
        if matches!(first, '"' | '\'' | '|' | '>' | '!' | '&' | '*' | '[' | '{') {
            return None;
        }
        let mut end = rest.len();
        let mut prev = ' ';
        for (i, c) in rest.char_indices() {
            let stop = (c == '#' && prev.is_whitespace())
                || c == '\r'
                || (flow && matches!(c, ',' | ']' | '}'))
                || (c == ':' && rest[i + 1..].starts_with([' ', '\t']))
                || (c == ':' && i + 1 == rest.len());
            if stop {
                end = i;
                break;
            }
            prev = c;
        }
        Some(rest[..end].trim_end())
    }
}

fn push_token(pointer: &mut String, key: &str) {
    pointer.push('/');
    for c in key.chars() {
        match c {
            '~' => pointer.push_str("~0"),
            '/' => pointer.push_str("~1"),
            c => pointer.push(c),
        }
    }
}

fn walk(
    value: &mut Value,
    pointer: &mut String,
    flow: bool,
    src: &Source,
    loc: &Locations,
    keys: &mut BoolKeys,
) {
    match value {
        Value::String(s) => {
            let Some(token) = src.plain(loc.node(pointer), flow) else {
                return;
            };
            if token == s.as_str() {
                if let Some(b) = yaml11_bool(token) {
                    *value = Value::Bool(b);
                }
            } else if crate::yaml::timestamp_rfc3339(token).as_deref() == Some(s.as_str()) {
                *s = token.to_string();
            }
        }
        Value::Array(items) => {
            let inner = flow || src.opens(loc.node(pointer)) == Some('[');
            let len = pointer.len();
            for (i, item) in items.iter_mut().enumerate() {
                pointer.push('/');
                pointer.push_str(&i.to_string());
                walk(item, pointer, inner, src, loc, keys);
                pointer.truncate(len);
            }
        }
        Value::Object(map) => {
            let inner = flow || src.opens(loc.node(pointer)) == Some('{');
            let len = pointer.len();
            let mut renamed: Vec<(String, String)> = Vec::new();
            for (key, item) in map.iter_mut() {
                push_token(pointer, key);
                if let Some(b) = src
                    .plain(loc.key(pointer), inner)
                    .filter(|t| *t == key.as_str())
                    .and_then(yaml11_bool)
                {
                    renamed.push((key.clone(), b.to_string()));
                }
                walk(item, pointer, inner, src, loc, keys);
                pointer.truncate(len);
            }
            if !renamed.is_empty() {
                rename_keys(map, &renamed);
                for (from, to) in renamed {
                    let mut p = pointer.clone();
                    push_token(&mut p, &to);
                    let mut was = pointer.clone();
                    push_token(&mut was, &from);
                    keys.insert(p, (from, was));
                }
            }
        }
        _ => {}
    }
}

/// Renames keys in place of order; a renamed key that meets an existing one replaces it, as the
/// later of two equal keys does in kustomize's decoder.
fn rename_keys(map: &mut Map, renamed: &[(String, String)]) {
    let old = std::mem::take(map);
    for (k, v) in old {
        let name = renamed
            .iter()
            .find(|(from, _)| *from == k)
            .map_or(k, |(_, to)| to.clone());
        map.remove(&name);
        map.insert(name, v);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Value {
        let doc = crate::yaml::parse_document(text).unwrap();
        let mut v = doc.value;
        reresolve(&mut v, text, &doc.locations);
        v
    }

    #[test]
    fn renamed_keys_are_reported_with_their_text() {
        let text = "m: {n: 1, On: 2, k: 3}\n";
        let doc = crate::yaml::parse_document(text).unwrap();
        let mut v = doc.value;
        let keys = reresolve(&mut v, text, &doc.locations);
        assert_eq!(keys.len(), 2);
        assert_eq!(keys["/m/false"], ("n".to_string(), "/m/n".to_string()));
        assert_eq!(keys["/m/true"], ("On".to_string(), "/m/On".to_string()));
    }

    #[test]
    fn plain_yaml11_booleans_become_booleans_quoted_ones_stay_strings() {
        let v = read(
            "a: yes\nb: \"yes\"\nc: Off # comment\nd: [on, 'n', N]\ne: {f: y, g: no}\nh: yesterday\ni: |\n  yes\n",
        );
        assert_eq!(
            v,
            crate::json!({"a": true, "b": "yes", "c": false, "d": [true, "n", false],
                "e": {"f": true, "g": false}, "h": "yesterday", "i": "yes\n"})
        );
    }

    #[test]
    fn timestamps_keep_their_text_and_boolean_keys_their_meaning() {
        let v = read(
            "d: 2024-01-02\nt: 2001-12-14t21:59:43.10-05:00\nq: \"2024-01-02\"\non: 1\nl: [2024-01-02]\n",
        );
        assert_eq!(
            v,
            crate::json!({"d": "2024-01-02", "t": "2001-12-14t21:59:43.10-05:00",
                "q": "2024-01-02", "true": 1, "l": ["2024-01-02"]})
        );
    }
}
