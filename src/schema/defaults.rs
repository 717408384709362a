//! CRD defaulting as the API server does it before validation: a property that is absent (or
//! null while not `nullable`) takes its schema's `default`, defaults apply inside defaults, inside
//! array items and map values; non-nullable nulls without a default are pruned. Parts kept by
//! `x-kubernetes-preserve-unknown-fields` that the schema does not describe are left as written.
//!
//! Owns only that transformation of a value; validates nothing.

use std::borrow::Cow;

use crate::value::Value;

use super::node::{MAX_DEPTH, Node};

/// The custom resource as the API server would validate it: defaulted and pruned of non-nullable
/// nulls. Borrowed when nothing changes.
pub fn apply<'a>(value: &'a Value, root: &Node) -> Cow<'a, Value> {
    if !root.has_defaults() && !contains_null(value, 0) {
        return Cow::Borrowed(value);
    }
    let mut out = value.clone();
    default(&mut out, root, 0);
    Cow::Owned(out)
}

fn contains_null(value: &Value, depth: usize) -> bool {
    if depth > MAX_DEPTH {
        return false;
    }
    match value {
        Value::Null => true,
        Value::Array(a) => a.iter().any(|v| contains_null(v, depth + 1)),
        Value::Object(m) => m.values().any(|v| contains_null(v, depth + 1)),
        _ => false,
    }
}

fn default(value: &mut Value, node: &Node, depth: usize) {
    if depth > MAX_DEPTH {
        return;
    }
    match value {
        Value::Object(map) => {
            // Nulls where the schema does not allow them: the default, else gone.
            map.retain(|k, v| {
                !v.is_null()
                    || node
                        .child(k)
                        .is_none_or(|c| c.nullable || c.default.is_some())
            });
            for (name, prop) in &node.properties {
                let Some(d) = &prop.default else { continue };
                let absent = match map.get(name) {
                    None => true,
                    Some(Value::Null) => !prop.nullable,
                    Some(_) => false,
                };
                if absent {
                    map.insert(name.clone(), d.clone());
                }
            }
            for (k, v) in map.iter_mut() {
                if let Some(child) = node.child(k) {
                    default(v, child, depth + 1);
                }
            }
        }
        Value::Array(items) => {
            if let Some(item) = node.items.as_deref() {
                for v in items {
                    default(v, item, depth + 1);
                }
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json;

    fn node() -> Node {
        Node::from_schema(&json!({
            "type": "object",
            "properties": {
                "spec": {"type": "object", "properties": {
                    "replicas": {"type": "integer", "default": 1},
                    "strategy": {"type": "object", "default": {}, "properties": {
                        "type": {"type": "string", "default": "Canary"}}},
                    "note": {"type": "string", "nullable": true, "default": "n"},
                    "plain": {"type": "string"},
                    "ports": {"type": "array", "items": {"type": "object", "properties": {
                        "protocol": {"type": "string", "default": "TCP"}}}},
                    "byName": {"type": "object", "additionalProperties": {"type": "object",
                        "properties": {"weight": {"type": "integer", "default": 100}}}},
                    "raw": {"type": "object", "x-kubernetes-preserve-unknown-fields": true,
                        "properties": {"known": {"type": "object", "properties": {
                            "x": {"type": "integer", "default": 7}}}}}
                }}
            }
        }))
    }

    #[test]
    fn defaults_as_the_api_server_applies_them() {
        let cr = json!({"spec": {
            "replicas": null, "note": null, "plain": null,
            "ports": [{"port": 80}, {"protocol": "UDP"}],
            "byName": {"a": {}, "b": {"weight": 5}},
            "raw": {"known": {}, "other": {"x": null, "deep": {}}}
        }});
        let out = apply(&cr, &node()).into_owned();
        assert_eq!(
            out,
            json!({"spec": {
                "replicas": 1, "note": null,
                "strategy": {"type": "Canary"},
                "ports": [{"port": 80, "protocol": "TCP"}, {"protocol": "UDP"}],
                "byName": {"a": {"weight": 100}, "b": {"weight": 5}},
                "raw": {"known": {"x": 7}, "other": {"x": null, "deep": {}}}
            }})
        );
    }

    #[test]
    fn nothing_to_default_borrows() {
        let n =
            Node::from_schema(&json!({"type": "object", "properties": {"a": {"type": "string"}}}));
        let cr = json!({"a": "x"});
        assert!(matches!(apply(&cr, &n), Cow::Borrowed(_)));
        // An absent parent is not created for the defaults below it.
        let cr = json!({});
        assert_eq!(apply(&cr, &node()).into_owned(), json!({}));
    }
}
