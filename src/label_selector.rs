//! Label selectors, as `kubectl -l` and kustomize's `labelSelector`/`annotationSelector` read
//! them (the same Kubernetes grammar): parsing and matching.
//!
//! Owns the selector grammar; does no I/O. `--prune-selector`'s cluster source passes the text to
//! the API server unchanged; the snapshot source and kustomize targets match it here.

use std::collections::BTreeSet;
use std::fmt;

use crate::value::Value;

/// A selector that could not be parsed.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("invalid label selector {selector:?}: {reason}")]
pub struct SelectorError {
    /// The selector as given.
    pub selector: String,
    /// What is wrong with it.
    pub reason: String,
}

/// One requirement of a selector.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Requirement {
    Equals(String, String),
    NotEquals(String, String),
    In(String, BTreeSet<String>),
    NotIn(String, BTreeSet<String>),
    Exists(String),
    NotExists(String),
}

/// A parsed label selector: requirements that must all hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabelSelector {
    text: String,
    requirements: Vec<Requirement>,
}

fn valid_key(k: &str) -> bool {
    !k.is_empty()
        && k.len() <= 316
        && k.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'/'))
}

fn valid_value(v: &str) -> bool {
    v.len() <= 63
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// Splits on commas that are not inside parentheses.
fn split_top(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut depth = 0i32;
    let mut start = 0;
    for (i, c) in text.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                out.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&text[start..]);
    out
}

impl LabelSelector {
    /// Parses `k=v`, `k==v`, `k!=v`, `k`, `!k`, `k in (a,b)`, `k notin (a,b)`, comma-separated.
    ///
    /// # Errors
    /// When a requirement is empty, a key or value is not a valid label key or value, or a set is
    /// not parenthesised.
    pub fn parse(text: &str) -> Result<Self, SelectorError> {
        let err = |reason: String| SelectorError {
            selector: text.to_string(),
            reason,
        };
        let trimmed = text.trim();
        if trimmed.is_empty() {
            return Err(err("empty selector".into()));
        }
        let mut requirements = Vec::new();
        for part in split_top(trimmed) {
            let part = part.trim();
            if part.is_empty() {
                return Err(err("empty requirement".into()));
            }
            let req = if let Some(k) = part.strip_prefix('!') {
                Requirement::NotExists(k.trim().to_string())
            } else if let Some((k, v)) = part.split_once("!=") {
                Requirement::NotEquals(k.trim().to_string(), v.trim().to_string())
            } else if let Some((k, v)) = part.split_once("==").or_else(|| part.split_once('=')) {
                Requirement::Equals(k.trim().to_string(), v.trim().to_string())
            } else if let Some((k, rest)) = part.split_once(" notin ") {
                Requirement::NotIn(k.trim().to_string(), parse_set(rest).map_err(&err)?)
            } else if let Some((k, rest)) = part.split_once(" in ") {
                Requirement::In(k.trim().to_string(), parse_set(rest).map_err(&err)?)
            } else {
                Requirement::Exists(part.to_string())
            };
            let (key, values): (&str, Vec<&str>) = match &req {
                Requirement::Equals(k, v) | Requirement::NotEquals(k, v) => (k, vec![v.as_str()]),
                Requirement::In(k, s) | Requirement::NotIn(k, s) => {
                    (k, s.iter().map(String::as_str).collect())
                }
                Requirement::Exists(k) | Requirement::NotExists(k) => (k, vec![]),
            };
            if !valid_key(key) {
                return Err(err(format!("{key:?} is not a valid label key")));
            }
            if let Some(v) = values.iter().find(|v| !valid_value(v)) {
                return Err(err(format!("{v:?} is not a valid label value")));
            }
            requirements.push(req);
        }
        Ok(LabelSelector {
            text: trimmed.to_string(),
            requirements,
        })
    }

    /// The selector text, as sent to the API server (`labelSelector=`).
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// True when an object's `metadata.labels` satisfy every requirement.
    pub fn matches(&self, object: &Value) -> bool {
        self.matches_map(object.get("metadata").and_then(|m| m.get("labels")))
    }

    /// True when a string map (labels, annotations; `None` when absent) satisfies every
    /// requirement.
    pub fn matches_map(&self, labels: Option<&Value>) -> bool {
        let get = |k: &str| labels.and_then(|l| l.get(k)).and_then(Value::as_str);
        self.requirements.iter().all(|r| match r {
            Requirement::Equals(k, v) => get(k) == Some(v.as_str()),
            Requirement::NotEquals(k, v) => get(k) != Some(v.as_str()),
            Requirement::In(k, s) => get(k).is_some_and(|x| s.contains(x)),
            Requirement::NotIn(k, s) => get(k).is_none_or(|x| !s.contains(x)),
            Requirement::Exists(k) => get(k).is_some(),
            Requirement::NotExists(k) => get(k).is_none(),
        })
    }
}

fn parse_set(text: &str) -> Result<BTreeSet<String>, String> {
    let t = text.trim();
    let inner = t
        .strip_prefix('(')
        .and_then(|r| r.strip_suffix(')'))
        .ok_or_else(|| format!("set {t:?} must be in parentheses"))?;
    Ok(inner
        .split(',')
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect())
}

impl fmt::Display for LabelSelector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json;

    #[test]
    fn matching_table() {
        let obj =
            json!({"metadata": {"labels": {"app.kubernetes.io/part-of": "media", "tier": "api"}}});
        let bare = json!({"metadata": {}});
        let cases = [
            ("app.kubernetes.io/part-of=media", true, false),
            ("app.kubernetes.io/part-of==media", true, false),
            ("app.kubernetes.io/part-of!=media", false, true),
            ("tier", true, false),
            ("!tier", false, true),
            ("tier in (api, worker)", true, false),
            ("tier notin (api)", false, true),
            ("app.kubernetes.io/part-of=media,tier=worker", false, false),
        ];
        for (sel, on_obj, on_bare) in cases {
            let s = LabelSelector::parse(sel).unwrap();
            assert_eq!(s.matches(&obj), on_obj, "{sel} on labelled object");
            assert_eq!(s.matches(&bare), on_bare, "{sel} on unlabelled object");
        }
    }

    #[test]
    fn bad_selectors_are_errors() {
        for bad in ["", "a=b,", "tier in api", "bad key=x", "a=b c"] {
            assert!(LabelSelector::parse(bad).is_err(), "{bad:?} should fail");
        }
        assert_eq!(
            LabelSelector::parse("a=b c").unwrap_err().to_string(),
            "invalid label selector \"a=b c\": \"b c\" is not a valid label value"
        );
    }
}
