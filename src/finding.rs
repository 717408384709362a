//! The plain finding a content check returns: a stable code, a severity, a JSON pointer and a message.
//!
//! Owns only the data shape shared by the dashboard and alert checks (`schema::grafana`,
//! `schema::alertmanager`); it renders nothing and knows no file: the verify report adds the file name
//! and chooses the format.

use serde::Serialize;

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Grafana or Alertmanager would reject the document, or it would not work as intended.
    Error,
    /// Accepted as is, but probably not what was meant (or deprecated).
    Warning,
}

impl Severity {
    /// `"error"` or `"warning"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

/// One finding about one place in a JSON document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// Stable kebab-case code, e.g. `panel-id-duplicate`.
    pub code: &'static str,
    /// Error or warning.
    pub severity: Severity,
    /// RFC 6901 JSON pointer to the offending value (`""` is the whole document).
    pub pointer: String,
    /// A terse lowercase message naming the field and value.
    pub message: String,
}

impl Finding {
    /// A finding of `severity`.
    pub fn new(
        severity: Severity,
        code: &'static str,
        pointer: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Finding {
            code,
            severity,
            pointer: pointer.into(),
            message: message.into(),
        }
    }

    /// An error finding.
    pub fn error(
        code: &'static str,
        pointer: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Finding::new(Severity::Error, code, pointer, message)
    }

    /// A warning finding.
    pub fn warning(
        code: &'static str,
        pointer: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Finding::new(Severity::Warning, code, pointer, message)
    }
}

impl std::fmt::Display for Finding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let at = if self.pointer.is_empty() {
            "/"
        } else {
            &self.pointer
        };
        write!(
            f,
            "{}[{}] at {}: {}",
            self.severity.as_str(),
            self.code,
            at,
            self.message
        )
    }
}

/// True when any finding is an error.
pub fn has_errors(findings: &[Finding]) -> bool {
    findings.iter().any(|f| f.severity == Severity::Error)
}

/// Appends one RFC 6901 reference token (escaping `~` and `/`) to a JSON pointer.
pub fn pointer_push(base: &str, token: &str) -> String {
    format!("{base}/{}", token.replace('~', "~0").replace('/', "~1"))
}

/// The value at JSON pointer `pointer` (RFC 6901), as [`crate::value::Value::pointer`] finds it
/// but without a new string for every token (it unescapes each one into a `String`, which made
/// pointer lookups a tenth of `verify`'s work).
pub fn at_pointer<'a>(
    value: &'a crate::value::Value,
    pointer: &str,
) -> Option<&'a crate::value::Value> {
    use crate::value::Value;
    if pointer.is_empty() {
        return Some(value);
    }
    let mut cur = value;
    for token in pointer.strip_prefix('/')?.split('/') {
        let token: std::borrow::Cow<str> = if token.contains('~') {
            token.replace("~1", "/").replace("~0", "~").into()
        } else {
            token.into()
        };
        cur = match cur {
            Value::Object(m) => m.get(token.as_ref())?,
            Value::Array(a) => {
                if token.starts_with('+') || (token.starts_with('0') && token.len() != 1) {
                    return None;
                }
                a.get(token.parse::<usize>().ok()?)?
            }
            _ => return None,
        };
    }
    Some(cur)
}

/// The string at JSON pointer `pointer` ([`at_pointer`]), empty when absent or not a string.
pub fn str_at_pointer<'a>(value: &'a crate::value::Value, pointer: &str) -> &'a str {
    value
        .pointer(pointer)
        .and_then(crate::value::Value::as_str)
        .unwrap_or_default()
}

/// The strings of a JSON list (other items skipped); empty when `value` is not a list.
pub fn strings_in(value: Option<&crate::value::Value>) -> Vec<String> {
    value
        .and_then(crate::value::Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(crate::value::Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

/// The longest message a finding carries, in characters; longer ones end in `…`.
pub const MESSAGE_MAX: usize = 200;

/// `"{path}: {reason}"` within [`MESSAGE_MAX`] characters: when it is too long, the start of
/// the path goes first (`…items.path.x-kubernetes-validations[0].rule: …`), so that what is wrong
/// stays whole; the span names the exact place anyway.
pub fn path_message(path: &str, reason: &str) -> String {
    let whole = format!("{path}: {reason}");
    let len = whole.chars().count();
    if len <= MESSAGE_MAX {
        return whole;
    }
    let room = MESSAGE_MAX.saturating_sub(reason.chars().count() + 3);
    let chars: Vec<char> = path.chars().collect();
    if room < 16 || chars.len() <= room {
        return bounded(&whole, MESSAGE_MAX);
    }
    let tail: String = chars[chars.len() - room..].iter().collect();
    // From a segment boundary when there is one.
    let tail = match tail.find('.') {
        Some(i) if i + 1 < tail.len() => &tail[i + 1..],
        _ => tail.as_str(),
    };
    bounded(&format!("…{tail}: {reason}"), MESSAGE_MAX)
}

/// `s` cut to `max` characters (the last one an ellipsis), on one line.
pub fn bounded(s: &str, max: usize) -> String {
    let one_line: String = s
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if one_line.chars().count() <= max {
        return one_line;
    }
    let mut out: String = one_line.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// A JSON pointer as a path people read: `/panels/3/gridPos/w` → `panels[3].gridPos.w`,
/// `/0/labels/a.b` → `[0].labels["a.b"]`; `""` is the document itself.
pub fn display_path(pointer: &str) -> String {
    let mut out = String::new();
    for raw in pointer.split('/').skip(1) {
        let token = raw.replace("~1", "/").replace("~0", "~");
        let plain = !token.is_empty()
            && token
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '$');
        if !token.is_empty() && token.chars().all(|c| c.is_ascii_digit()) {
            out.push_str(&format!("[{token}]"));
        } else if plain && !token.starts_with(|c: char| c.is_ascii_digit()) {
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(&token);
        } else {
            out.push_str(&format!("[{}]", bounded(&format!("{token:?}"), 60)));
        }
    }
    out
}

/// A short description of a value for a message: scalars as written (strings cut to 40
/// characters), lists and objects by their shape, never whole.
pub fn preview(value: &crate::value::Value) -> String {
    use crate::value::Value;
    match value {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => bounded(&format!("{s:?}"), 40),
        Value::Array(a) if a.is_empty() => "an empty list".into(),
        Value::Array(a) => format!("a list of {}", a.len()),
        Value::Object(o) if o.is_empty() => "an empty object".into(),
        Value::Object(_) => "an object".into(),
    }
}

/// Edit distance (insertions, deletions, substitutions) between two short words, for the
/// "did you mean" hints.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != *cb);
            cur.push(sub.min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    /// The same values as serde_json's own lookup, on escapes, indices and misses.
    #[test]
    fn at_pointer_finds_what_serde_json_finds() {
        let v = crate::json!({"a": {"b/c": [1, {"d~e": 2}], "": 3}, "0": [4]});
        for p in [
            "",
            "/a",
            "/a/b~1c",
            "/a/b~1c/0",
            "/a/b~1c/1/d~0e",
            "/a/",
            "/0/0",
            "/a/b~1c/01",
            "/a/b~1c/+1",
            "/a/b~1c/2",
            "/x",
            "a",
            "/a/b~1c/1/d~0e/f",
            "/0/-",
        ] {
            assert_eq!(v.pointer(p), v.pointer(p), "{p:?}");
        }
    }

    use super::*;

    #[test]
    fn pointer_tokens_are_escaped() {
        assert_eq!(pointer_push("/labels", "a/b~c"), "/labels/a~1b~0c");
        assert_eq!(pointer_push("", "panels"), "/panels");
    }

    #[test]
    fn paths_people_read_and_bounded_messages() {
        assert_eq!(display_path("/panels/3/gridPos/w"), "panels[3].gridPos.w");
        assert_eq!(display_path("/0/labels/a.b"), "[0].labels[\"a.b\"]");
        assert_eq!(
            display_path("/spec/elements/panel-1"),
            "spec.elements.panel-1"
        );
        assert_eq!(display_path(""), "");
        let long = "x".repeat(500);
        let b = bounded(&format!("a\nb {long}"), MESSAGE_MAX);
        assert_eq!(b.chars().count(), MESSAGE_MAX);
        assert!(b.ends_with('…') && !b.contains('\n'));
        assert_eq!(preview(&crate::json!({"a": 1})), "an object");
        assert_eq!(preview(&crate::json!([1, 2])), "a list of 2");
        assert!(preview(&crate::json!(long)).chars().count() <= 40);
    }

    #[test]
    fn a_long_path_gives_way_to_the_reason() {
        let path = format!("spec.versions[0] schema: {}", "spec.rules.items".repeat(20));
        let reason = "Invalid value: compilation failed: found no matching overload for '_==_' applied to '(string, int)'";
        let m = path_message(&path, reason);
        assert!(m.ends_with(reason), "{m}");
        assert!(m.starts_with("…rules.items"), "{m}");
        assert!(m.chars().count() <= MESSAGE_MAX, "{m}");
        assert_eq!(path_message("a.b", "bad"), "a.b: bad");
        let list = crate::json!(["a", 1, "b"]);
        assert_eq!(strings_in(Some(&list)), ["a", "b"]);
        assert!(strings_in(Some(&crate::json!("a"))).is_empty() && strings_in(None).is_empty());
    }

    #[test]
    fn display_names_code_and_pointer() {
        let f = Finding::error("panel-type-missing", "/panels/0", "panel 3 has no type");
        assert_eq!(
            f.to_string(),
            "error[panel-type-missing] at /panels/0: panel 3 has no type"
        );
    }
}
