//! Structured changes between two normalized objects: paths with named list entries
//! (`spec.template.spec.containers[name=auth].env[name=FLAG].value`), before and after.
//!
//! Owns the change model and the walk; pure, no I/O, no knowledge of Kubernetes beyond list keys.

use std::fmt;

use crate::value::Value;
use serde::Serialize;

use super::normalize::{entry_key, list_key};

/// One step of a field path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seg {
    /// A map key.
    Key(String),
    /// A list entry identified by a key field (`[name=auth]`).
    Named {
        /// The key field (`name`, `containerPort`, ...).
        key: &'static str,
        /// Its value.
        value: String,
    },
    /// A list entry by position.
    Index(usize),
}

/// A field path, printed dyff-style.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FieldPath(pub Vec<Seg>);

impl FieldPath {
    fn push(&self, seg: Seg) -> FieldPath {
        let mut v = self.0.clone();
        v.push(seg);
        FieldPath(v)
    }

    /// True when the path starts with the given map keys.
    pub fn starts_with_keys(&self, keys: &[&str]) -> bool {
        self.0.len() >= keys.len()
            && self
                .0
                .iter()
                .zip(keys)
                .all(|(s, k)| matches!(s, Seg::Key(x) if x == k))
    }
}

fn plain_key(k: &str) -> bool {
    !k.is_empty()
        && k.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'/'))
}

impl fmt::Display for FieldPath {
    /// `a.b[name=x].c[0]`; keys with dots or other punctuation are quoted: `annotations["a.b/c"]`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, s) in self.0.iter().enumerate() {
            match s {
                Seg::Key(k) if plain_key(k) => {
                    if i > 0 {
                        f.write_str(".")?;
                    }
                    f.write_str(k)?;
                }
                Seg::Key(k) => write!(f, "[{}]", crate::value::Value::String(k.clone()))?,
                Seg::Named { key, value } => write!(f, "[{key}={value}]")?,
                Seg::Index(n) => write!(f, "[{n}]")?,
            }
        }
        Ok(())
    }
}

impl Serialize for FieldPath {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// What happened at a path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Op {
    /// Only the rendered side has it.
    Add,
    /// Only the live side has it.
    Remove,
    /// Both have it, with different values of the same type.
    Change,
    /// Both have it, with values of different types (`"8080"` vs `8080`).
    TypeChange,
}

/// One change: path, what happened, the live value and the rendered one.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Change {
    /// Where.
    pub path: FieldPath,
    /// What.
    pub op: Op,
    /// The live value (`None` when added).
    pub before: Option<Value>,
    /// The rendered value (`None` when removed).
    pub after: Option<Value>,
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "list",
        Value::Object(_) => "map",
    }
}

/// The changes from `before` (live) to `after` (rendered): map keys in sorted order (as the YAML
/// is emitted), named list entries in rendered order with removed entries after them.
pub fn compare(before: &Value, after: &Value) -> Vec<Change> {
    let mut out = Vec::new();
    walk(&FieldPath::default(), before, after, &mut out);
    out
}

fn walk(path: &FieldPath, b: &Value, a: &Value, out: &mut Vec<Change>) {
    if b == a {
        return;
    }
    match (b, a) {
        (Value::Object(bm), Value::Object(am)) => {
            let mut keys: Vec<&String> = am.keys().chain(bm.keys()).collect();
            keys.sort();
            keys.dedup();
            for k in keys {
                let (bv, av) = (bm.get(k), am.get(k));
                if bv == av {
                    continue;
                }
                let p = path.push(Seg::Key(k.clone()));
                match (bv, av) {
                    (Some(bv), Some(av)) => walk(&p, bv, av, out),
                    (None, Some(av)) => one_sided(p, None, Some(av), out),
                    (Some(bv), None) => one_sided(p, Some(bv), None, out),
                    (None, None) => {}
                }
            }
        }
        (Value::Array(bl), Value::Array(al))
            if bl.iter().chain(al).all(Value::is_object) && list_key(bl, al).is_some() =>
        {
            let key = list_key(bl, al).unwrap_or("name");
            for ai in al {
                let name = entry_key(ai, key);
                let p = path.push(Seg::Named {
                    key,
                    value: name.clone(),
                });
                match bl.iter().find(|bi| entry_key(bi, key) == name) {
                    Some(bi) => walk(&p, bi, ai, out),
                    None => out.push(Change {
                        path: p,
                        op: Op::Add,
                        before: None,
                        after: Some(ai.clone()),
                    }),
                }
            }
            for bi in bl {
                let name = entry_key(bi, key);
                if !al.iter().any(|ai| entry_key(ai, key) == name) {
                    out.push(Change {
                        path: path.push(Seg::Named { key, value: name }),
                        op: Op::Remove,
                        before: Some(bi.clone()),
                        after: None,
                    });
                }
            }
        }
        (Value::Array(bl), Value::Array(al))
            if bl.iter().chain(al).any(|v| v.is_object() || v.is_array()) =>
        {
            for i in 0..bl.len().max(al.len()) {
                let p = path.push(Seg::Index(i));
                match (bl.get(i), al.get(i)) {
                    (Some(bv), Some(av)) => walk(&p, bv, av, out),
                    (None, Some(av)) => out.push(Change {
                        path: p,
                        op: Op::Add,
                        before: None,
                        after: Some(av.clone()),
                    }),
                    (Some(bv), None) => out.push(Change {
                        path: p,
                        op: Op::Remove,
                        before: Some(bv.clone()),
                        after: None,
                    }),
                    (None, None) => {}
                }
            }
        }
        _ => out.push(Change {
            path: path.clone(),
            op: if type_name(b) == type_name(a) {
                Op::Change
            } else {
                Op::TypeChange
            },
            before: Some(b.clone()),
            after: Some(a.clone()),
        }),
    }
}

/// A map key present on one side: a non-empty map is split into one change per key (so
/// `metadata.annotations` added with one key reads as that key added); anything else is one change.
fn one_sided(path: FieldPath, b: Option<&Value>, a: Option<&Value>, out: &mut Vec<Change>) {
    if let Some(Value::Object(m)) = a.or(b)
        && !m.is_empty()
    {
        for (k, v) in m {
            let p = path.push(Seg::Key(k.clone()));
            if b.is_some() {
                one_sided(p, Some(v), None, out);
            } else {
                one_sided(p, None, Some(v), out);
            }
        }
        return;
    }
    out.push(Change {
        path,
        op: if a.is_some() { Op::Add } else { Op::Remove },
        before: b.cloned(),
        after: a.cloned(),
    });
}

/// The leaf paths under `value` at `path` (named list entries where a key exists), for deciding
/// whether a change touches only expected fields.
pub fn leaves(path: &FieldPath, value: &Value, out: &mut Vec<FieldPath>) {
    match value {
        Value::Object(m) if !m.is_empty() => {
            for (k, v) in m {
                leaves(&path.push(Seg::Key(k.clone())), v, out);
            }
        }
        Value::Array(l) if !l.is_empty() => {
            let key = if l.iter().all(Value::is_object) {
                list_key(l, &[])
            } else {
                None
            };
            for (i, v) in l.iter().enumerate() {
                let seg = match key {
                    Some(k) => Seg::Named {
                        key: k,
                        value: entry_key(v, k),
                    },
                    None => Seg::Index(i),
                };
                leaves(&path.push(seg), v, out);
            }
        }
        _ => out.push(path.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn y(text: &str) -> Value {
        crate::yaml::parse_document(text).unwrap().value
    }

    fn render(changes: &[Change]) -> Vec<String> {
        changes
            .iter()
            .map(|c| {
                format!(
                    "{} {:?} {} -> {}",
                    c.path,
                    c.op,
                    c.before
                        .as_ref()
                        .map(|v| v.to_string())
                        .unwrap_or("-".into()),
                    c.after
                        .as_ref()
                        .map(|v| v.to_string())
                        .unwrap_or("-".into())
                )
            })
            .collect()
    }

    #[test]
    fn named_paths_and_ops() {
        let before = y(
            "metadata: {annotations: {a.b/c: x}}\nspec:\n  containers:\n  - name: auth\n    image: i:1\n    env: [{name: A, value: '0'}, {name: OLD, value: x}]\n    ports: [{containerPort: 80}]\n    args: [a]\n",
        );
        let after = y(
            "metadata: {annotations: {a.b/c: y}}\nspec:\n  containers:\n  - name: auth\n    image: i:2\n    env: [{name: FLAG, value: '1'}, {name: A, value: 0}]\n    ports: [{containerPort: 80}]\n    args: [a, b]\n",
        );
        assert_eq!(
            render(&compare(&before, &after)),
            [
                "metadata.annotations[\"a.b/c\"] Change \"x\" -> \"y\"",
                "spec.containers[name=auth].args Change [\"a\"] -> [\"a\",\"b\"]",
                "spec.containers[name=auth].env[name=FLAG] Add - -> {\"name\":\"FLAG\",\"value\":\"1\"}",
                "spec.containers[name=auth].env[name=A].value TypeChange \"0\" -> 0",
                "spec.containers[name=auth].env[name=OLD] Remove {\"name\":\"OLD\",\"value\":\"x\"} -> -",
                "spec.containers[name=auth].image Change \"i:1\" -> \"i:2\"",
            ]
        );
    }

    #[test]
    fn equal_values_give_nothing_and_leaves_name_entries() {
        let v = y("a: [{name: x, b: 1}]");
        assert!(compare(&v, &v).is_empty());
        let mut out = Vec::new();
        leaves(&FieldPath::default(), &v, &mut out);
        assert_eq!(
            out.iter().map(ToString::to_string).collect::<Vec<_>>(),
            ["a[name=x].b", "a[name=x].name"]
        );
    }
}
