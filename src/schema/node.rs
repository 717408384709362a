//! A CRD version's `openAPIV3Schema` as a tree of nodes: the shape that defaulting
//! ([`super::defaults`]), CEL rules ([`super::cel`]) and value conversion walk.
//!
//! Owns reading the structural parts of a schema (types, properties, items, additionalProperties,
//! defaults, the `x-kubernetes-*` extensions, `x-kubernetes-validations`). Validates nothing and
//! compiles nothing: the structural checks of a CRD are in [`super::structural`].

use crate::value::Value;

/// How deep a schema is read; deeper parts are treated as accepting anything (a hostile CRD
/// cannot make the walkers recurse without bound).
pub const MAX_DEPTH: usize = 64;

/// One `x-kubernetes-validations` entry as written.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleSpec {
    /// The CEL expression.
    pub rule: String,
    /// `message`, shown when the rule fails.
    pub message: Option<String>,
    /// `messageExpression`, a CEL expression giving the message.
    pub message_expression: Option<String>,
    /// `reason` (`FieldValueInvalid`, `FieldValueForbidden`, ...).
    pub reason: Option<String>,
    /// `fieldPath`, relative to the node (`.spec.replicas`, `.items['a']`).
    pub field_path: Option<String>,
    /// `optionalOldSelf`: the rule also runs on create, with `oldSelf` absent.
    pub optional_old_self: bool,
}

/// A schema node.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Node {
    /// `type`, when written.
    pub ty: Option<String>,
    /// `format`, when written.
    pub format: Option<String>,
    /// `properties`, in the order written.
    pub properties: Vec<(String, Node)>,
    /// `items`.
    pub items: Option<Box<Node>>,
    /// `additionalProperties` when it is a schema (a map's values).
    pub additional: Option<Box<Node>>,
    /// `default`.
    pub default: Option<Value>,
    /// `nullable: true`.
    pub nullable: bool,
    /// `x-kubernetes-preserve-unknown-fields: true`.
    pub preserve_unknown: bool,
    /// `x-kubernetes-int-or-string: true`.
    pub int_or_string: bool,
    /// `x-kubernetes-embedded-resource: true`.
    pub embedded: bool,
    /// `x-kubernetes-validations`.
    pub rules: Vec<RuleSpec>,
    /// `x-kubernetes-list-type` (`atomic`, `set`, `map`).
    pub list_type: Option<String>,
    /// `x-kubernetes-list-map-keys`.
    pub map_keys: Vec<String>,
    /// `maxItems`, `maxLength` and `maxProperties`, when written (what the CEL cost estimate
    /// bounds sizes by).
    pub max_items: Option<i64>,
    /// `maxLength`.
    pub max_length: Option<i64>,
    /// `maxProperties`.
    pub max_properties: Option<i64>,
    /// `required`.
    pub required: Vec<String>,
    /// The byte length of the longest string in `enum`, when it has entries.
    pub enum_max_len: Option<u64>,
}

impl Node {
    /// Reads a schema; `None` parts become defaults (a node that accepts anything).
    pub fn from_schema(schema: &Value) -> Node {
        read(schema, 0)
    }

    /// The node of a declared property.
    pub fn property(&self, name: &str) -> Option<&Node> {
        self.properties
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, n)| n)
    }

    /// The node a child of a value of this node is checked against: a declared property, else
    /// the map's values; for arrays, the items.
    pub fn child(&self, key: &str) -> Option<&Node> {
        self.property(key).or(self.additional.as_deref())
    }

    /// Whether this node or any below it has `x-kubernetes-validations`.
    pub fn has_rules(&self) -> bool {
        self.any(&|n| !n.rules.is_empty())
    }

    /// Whether this node or any below it has a `default`.
    pub fn has_defaults(&self) -> bool {
        self.any(&|n| n.default.is_some())
    }

    /// Whether this node or any below it has a `format` among `formats`.
    pub fn has_format(&self, formats: &[&str]) -> bool {
        self.any(&|n| n.format.as_deref().is_some_and(|f| formats.contains(&f)))
    }

    fn any(&self, f: &dyn Fn(&Node) -> bool) -> bool {
        f(self)
            || self.properties.iter().any(|(_, n)| n.any(f))
            || self.items.as_ref().is_some_and(|n| n.any(f))
            || self.additional.as_ref().is_some_and(|n| n.any(f))
    }
}

fn read(schema: &Value, depth: usize) -> Node {
    let Some(m) = schema.as_object() else {
        return Node::default();
    };
    if depth > MAX_DEPTH {
        return Node {
            preserve_unknown: true,
            ..Node::default()
        };
    }
    let flag = |k: &str| m.get(k) == Some(&Value::Bool(true));
    let text = |k: &str| m.get(k).and_then(Value::as_str).map(str::to_string);
    let properties = m
        .get("properties")
        .and_then(Value::as_object)
        .map(|p| {
            p.iter()
                .map(|(k, v)| (k.clone(), read(v, depth + 1)))
                .collect()
        })
        .unwrap_or_default();
    let rules = m
        .get("x-kubernetes-validations")
        .and_then(Value::as_array)
        .map(|rs| rs.iter().filter_map(rule_spec).collect())
        .unwrap_or_default();
    Node {
        ty: text("type"),
        format: text("format"),
        properties,
        items: m
            .get("items")
            .filter(|i| i.is_object())
            .map(|i| Box::new(read(i, depth + 1))),
        additional: m
            .get("additionalProperties")
            .filter(|a| a.is_object())
            .map(|a| Box::new(read(a, depth + 1))),
        default: m.get("default").cloned(),
        nullable: flag("nullable"),
        preserve_unknown: flag("x-kubernetes-preserve-unknown-fields"),
        int_or_string: flag("x-kubernetes-int-or-string"),
        embedded: flag("x-kubernetes-embedded-resource"),
        rules,
        list_type: text("x-kubernetes-list-type"),
        map_keys: m
            .get("x-kubernetes-list-map-keys")
            .and_then(Value::as_array)
            .map(|ks| {
                ks.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default(),
        max_items: m.get("maxItems").and_then(Value::as_i64),
        max_length: m.get("maxLength").and_then(Value::as_i64),
        max_properties: m.get("maxProperties").and_then(Value::as_i64),
        required: m
            .get("required")
            .and_then(Value::as_array)
            .map(|r| {
                r.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default(),
        enum_max_len: m
            .get("enum")
            .and_then(Value::as_array)
            .filter(|e| !e.is_empty())
            .map(|e| {
                e.iter()
                    .filter_map(Value::as_str)
                    .map(|s| s.len() as u64)
                    .max()
                    .unwrap_or(0)
            }),
    }
}

fn rule_spec(v: &Value) -> Option<RuleSpec> {
    let text = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
    Some(RuleSpec {
        rule: text("rule")?,
        message: text("message").filter(|m| !m.is_empty()),
        message_expression: text("messageExpression").filter(|m| !m.is_empty()),
        reason: text("reason"),
        field_path: text("fieldPath").filter(|m| !m.is_empty()),
        optional_old_self: v.get("optionalOldSelf") == Some(&Value::Bool(true)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json;

    #[test]
    fn reads_the_structural_parts() {
        let n = Node::from_schema(&json!({
            "type": "object",
            "properties": {
                "spec": {"type": "object", "default": {},
                  "x-kubernetes-validations": [{"rule": "self.a > 0", "message": "positive",
                     "fieldPath": ".a", "optionalOldSelf": true}, {"message": "no rule"}],
                  "properties": {
                    "a": {"type": "integer", "default": 1},
                    "port": {"x-kubernetes-int-or-string": true},
                    "labels": {"type": "object", "additionalProperties": {"type": "string"}},
                    "list": {"type": "array", "items": {"type": "object", "properties": {"n": {"type": "string"}}}},
                    "raw": {"type": "object", "x-kubernetes-preserve-unknown-fields": true},
                    "tpl": {"type": "object", "x-kubernetes-embedded-resource": true}
                  }}
            }
        }));
        let spec = n.property("spec").unwrap();
        assert_eq!(spec.rules.len(), 1, "an entry without a rule is not a rule");
        assert_eq!(spec.rules[0].field_path.as_deref(), Some(".a"));
        assert!(spec.rules[0].optional_old_self);
        assert!(spec.property("port").unwrap().int_or_string);
        assert_eq!(
            spec.child("labels")
                .unwrap()
                .child("x")
                .unwrap()
                .ty
                .as_deref(),
            Some("string")
        );
        let item = spec.property("list").unwrap().items.as_deref().unwrap();
        assert!(item.property("n").is_some());
        assert!(spec.property("raw").unwrap().preserve_unknown);
        assert!(spec.property("tpl").unwrap().embedded);
        assert!(n.has_rules() && n.has_defaults());
        assert!(!spec.property("labels").unwrap().has_rules());
    }

    #[test]
    fn depth_is_bounded() {
        let mut s = json!({"type": "string"});
        for _ in 0..200 {
            s = json!({"type": "object", "properties": {"a": s}});
        }
        let mut n = &Node::from_schema(&s);
        let mut depth = 0;
        while let Some(c) = n.property("a") {
            n = c;
            depth += 1;
        }
        assert_eq!(depth, MAX_DEPTH + 1);
        assert!(n.preserve_unknown);
    }
}
