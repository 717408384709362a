//! The YAML 1.1 booleans kubectl sends: `kubectl apply -f` (and kubeconform) read manifests with
//! go-yaml v2, for which a plain `yes`, `no`, `on`, `off`, `y`, `n` (and their capitalised forms)
//! is a boolean, where our reader (go-yaml v3, as kustomize) keeps a string. So `value: yes` in an
//! env var is rejected by the cluster, and `readOnly: yes` accepted.
//!
//! Pure functions over a parsed value, its positions and its text; reads no files.

use crate::value::Value;

use crate::yaml::Locations;

/// The boolean a plain scalar means to go-yaml v2, for the words only YAML 1.1 reads as booleans.
fn yaml11_bool(s: &str) -> Option<bool> {
    match s {
        "y" | "Y" | "yes" | "Yes" | "YES" | "on" | "On" | "ON" => Some(true),
        "n" | "N" | "no" | "No" | "NO" | "off" | "Off" | "OFF" => Some(false),
        _ => None,
    }
}

/// Whether any string value in the tree is such a word (so the file needs reading with
/// positions to tell a plain one from a quoted one).
pub fn has_bool_words(v: &Value) -> bool {
    match v {
        Value::String(s) => yaml11_bool(s).is_some(),
        Value::Array(a) => a.iter().any(has_bool_words),
        Value::Object(m) => m.values().any(has_bool_words),
        _ => false,
    }
}

/// Turns every plain (unquoted, untagged, not an alias) YAML 1.1 boolean word among the values
/// into the boolean kubectl sends. `lines` are the document's file's lines; positions come from
/// `locations`. A word whose position is unknown stays a string.
pub fn coerce_plain_bools(v: &mut Value, locations: &Locations, lines: &[&str]) {
    coerce(v, &mut String::new(), locations, lines);
}

fn coerce(v: &mut Value, pointer: &mut String, locations: &Locations, lines: &[&str]) {
    match v {
        Value::String(s) => {
            if let Some(b) = yaml11_bool(s)
                && is_plain_at(locations, pointer, s, lines)
            {
                *v = Value::Bool(b);
            }
        }
        Value::Array(a) => {
            for (i, item) in a.iter_mut().enumerate() {
                let len = pointer.len();
                pointer.push_str(&format!("/{i}"));
                coerce(item, pointer, locations, lines);
                pointer.truncate(len);
            }
        }
        Value::Object(m) => {
            for (k, item) in m.iter_mut() {
                let len = pointer.len();
                pointer.push('/');
                pointer.push_str(&crate::schema::kubernetes::escape_segment(k));
                coerce(item, pointer, locations, lines);
                pointer.truncate(len);
            }
        }
        _ => {}
    }
}

/// Whether a source line's value is a plain YAML 1.1 boolean word (`  value: yes  # x`).
pub fn ends_in_bool_word(line: &str) -> bool {
    let value = line.split(" #").next().unwrap_or("");
    let value = value.rsplit_once(": ").map_or(value, |(_, v)| v);
    let value = value.trim().trim_start_matches("- ");
    yaml11_bool(value).is_some()
}

/// Whether the scalar `word` at `pointer` is written plain (unquoted, untagged) in the source.
pub fn is_plain_at(locations: &Locations, pointer: &str, word: &str, lines: &[&str]) -> bool {
    let Some(pos) = locations.node(pointer) else {
        return false;
    };
    let Some(line) = pos.line.checked_sub(1).and_then(|i| lines.get(i)) else {
        return false;
    };
    let Some(at) = line
        .char_indices()
        .nth(pos.col.saturating_sub(1))
        .map(|(i, _)| i)
    else {
        return false;
    };
    let (before, rest) = line.split_at(at);
    // A tag (`!!str yes`) decides the type itself.
    let tagged = before
        .split_whitespace()
        .last()
        .is_some_and(|t| t.starts_with('!'));
    if tagged {
        return false;
    }
    rest.strip_prefix(word).is_some_and(|after| {
        after
            .chars()
            .next()
            .is_none_or(|c| c.is_whitespace() || matches!(c, ',' | ']' | '}' | '#' | '\r'))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json;

    fn coerced(text: &str) -> Value {
        let mut docs = crate::yaml::parse_stream(text).unwrap();
        let doc = docs.remove(0);
        let mut v = doc.value;
        let lines: Vec<&str> = text.lines().collect();
        coerce_plain_bools(&mut v, &doc.locations, &lines);
        v
    }

    #[test]
    fn plain_yaml11_words_become_booleans_quoted_ones_stay_strings() {
        let text = "a: yes\nb: \"yes\"\nc: 'on'\nd: !!str no\ne: [on, \"off\", N]\nf: yesterday\ng: Off  # comment\nh: true\ni: |\n  yes\n";
        assert_eq!(
            coerced(text),
            json!({"a": true, "b": "yes", "c": "on", "d": "no", "e": [true, "off", false],
                "f": "yesterday", "g": false, "h": true, "i": "yes\n"})
        );
        assert!(has_bool_words(&json!({"x": [{"y": "NO"}]})));
        assert!(!has_bool_words(&json!({"x": "nope", "y": true})));
        assert!(ends_in_bool_word("      value: yes  # enabled"));
        assert!(ends_in_bool_word("  - off"));
        assert!(!ends_in_bool_word("      value: \"yes\""));
    }
}
