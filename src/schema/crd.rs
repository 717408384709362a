//! Custom resources validated against the `openAPIV3Schema` of their CustomResourceDefinition.
//!
//! Owns the translation of a CRD's structural schema (OpenAPI v3 with Kubernetes extensions) into a
//! JSON Schema and one compiled validator per served version. Does no I/O: callers hand in CRD
//! objects they have loaded.

use std::collections::HashMap;
use std::sync::Arc;

use jsonschema::Validator;
use serde_json::{Value, json};

use super::kubernetes::{Violation, violations};
use crate::resource::Gvk;

/// A CRD that cannot be used as a schema.
#[derive(Debug, thiserror::Error)]
pub enum CrdError {
    /// A served version's `openAPIV3Schema` is not a valid schema.
    #[error(
        "CustomResourceDefinition {name}: version {version}: invalid openAPIV3Schema: {message}"
    )]
    InvalidSchema {
        /// `metadata.name` of the CRD.
        name: String,
        /// The version.
        version: String,
        /// The compiler's message.
        message: String,
    },
}

/// Validators for custom resources, keyed by group/version/kind.
#[derive(Default)]
pub struct CrdSchemas {
    validators: HashMap<(String, String, String), Arc<Validator>>,
}

impl std::fmt::Debug for CrdSchemas {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CrdSchemas")
            .field("kinds", &self.validators.len())
            .finish()
    }
}

/// Whether a value is a `CustomResourceDefinition` (apiextensions.k8s.io).
pub fn is_crd(value: &Value) -> bool {
    value.get("kind").and_then(Value::as_str) == Some("CustomResourceDefinition")
        && value
            .get("apiVersion")
            .and_then(Value::as_str)
            .is_some_and(|a| a.starts_with("apiextensions.k8s.io/"))
}

impl CrdSchemas {
    /// Adds every version of a CRD that carries a schema. Returns how many versions were added.
    ///
    /// # Errors
    /// A schema that does not compile.
    pub fn add(&mut self, crd: &Value, strict: bool) -> Result<usize, CrdError> {
        let s = |p: &str| {
            crd.pointer(p)
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string()
        };
        let name = s("/metadata/name");
        let group = s("/spec/group");
        let kind = s("/spec/names/kind");
        let mut added = 0;
        let versions = crd
            .pointer("/spec/versions")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        for v in versions {
            let version = v
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string();
            // apiextensions v1beta1 kept one schema under spec.validation.
            let schema = v
                .pointer("/schema/openAPIV3Schema")
                .or_else(|| crd.pointer("/spec/validation/openAPIV3Schema"));
            let Some(schema) = schema else { continue };
            let mut schema = schema.clone();
            convert(&mut schema, strict);
            add_object_meta_fields(&mut schema);
            let validator = jsonschema::options()
                .with_draft(jsonschema::Draft::Draft4)
                .with_keyword(RE2_PATTERN, re2_pattern)
                .build(&schema)
                .map_err(|e| CrdError::InvalidSchema {
                    name: name.clone(),
                    version: version.clone(),
                    message: e.to_string(),
                })?;
            self.validators
                .insert((group.clone(), version, kind.clone()), Arc::new(validator));
            added += 1;
        }
        Ok(added)
    }

    /// Whether no CRD schema is known.
    pub fn is_empty(&self) -> bool {
        self.validators.is_empty()
    }

    /// Validates a custom resource. `None` when no CRD defines its group/version/kind.
    pub fn validate(&self, gvk: &Gvk, value: &Value) -> Option<Vec<Violation>> {
        let v = self
            .validators
            .get(&(gvk.group.clone(), gvk.version.clone(), gvk.kind.clone()))?;
        Some(violations(v, value))
    }
}

/// The root always accepts `apiVersion`, `kind` and `metadata`, as the API server does.
fn add_object_meta_fields(schema: &mut Value) {
    if let Some(m) = schema.as_object_mut() {
        let props = m.entry("properties").or_insert_with(|| json!({}));
        if let Some(p) = props.as_object_mut() {
            p.entry("apiVersion").or_insert(json!({"type": "string"}));
            p.entry("kind").or_insert(json!({"type": "string"}));
            p.entry("metadata").or_insert(json!({"type": "object"}));
        }
    }
}

/// The keyword a CRD's `pattern` becomes: the API server compiles patterns with Go's RE2 syntax
/// (`(?i)`, `(?s)`, `\z`), which the `regex` crate shares and ECMA-262 (JSON Schema's dialect)
/// does not.
const RE2_PATTERN: &str = "x-rollout-re2-pattern";

/// A compiled RE2-syntax pattern; only strings are checked, as `pattern` does.
struct Re2Pattern {
    regex: regex::Regex,
}

impl<'i> jsonschema::Keyword<'i> for Re2Pattern {
    fn validate(&self, instance: &'i Value) -> Result<(), jsonschema::ValidationError<'i>> {
        if self.is_valid(instance) {
            return Ok(());
        }
        let shown = instance.as_str().unwrap_or("");
        let shown = if shown.chars().count() > 40 {
            format!("{}…", shown.chars().take(37).collect::<String>())
        } else {
            shown.to_string()
        };
        let pattern = self.regex.as_str();
        let pattern = if pattern.chars().count() > 80 {
            format!("{}…", pattern.chars().take(77).collect::<String>())
        } else {
            pattern.to_string()
        };
        Err(jsonschema::ValidationError::custom(format!(
            "{shown:?} does not match the pattern {pattern:?}"
        )))
    }

    fn is_valid(&self, instance: &'i Value) -> bool {
        instance.as_str().is_none_or(|s| self.regex.is_match(s))
    }
}

fn re2_pattern<'a>(
    _parent: &'a serde_json::Map<String, Value>,
    value: &'a Value,
    _path: jsonschema::paths::Location,
) -> Result<Box<dyn for<'i> jsonschema::Keyword<'i>>, jsonschema::ValidationError<'a>> {
    let pattern = value.as_str().unwrap_or("");
    let regex = regex::RegexBuilder::new(pattern)
        .size_limit(1 << 20)
        .build()
        .map_err(|e| {
            let first = e.to_string();
            let first = first.lines().last().unwrap_or("").trim().to_string();
            jsonschema::ValidationError::custom(format!(
                "pattern {pattern:?} is not valid RE2: {first}"
            ))
        })?;
    Ok(Box::new(Re2Pattern { regex }))
}

/// OpenAPI v3 structural schema → JSON Schema: `nullable`, `x-kubernetes-int-or-string`,
/// `x-kubernetes-preserve-unknown-fields`, `x-kubernetes-embedded-resource`; strict closes objects.
fn convert(node: &mut Value, strict: bool) {
    let Some(map) = node.as_object_mut() else {
        return;
    };
    map.remove("description");
    let flag = |m: &serde_json::Map<String, Value>, k: &str| m.get(k) == Some(&Value::Bool(true));
    let nullable = flag(map, "nullable");
    let preserve = flag(map, "x-kubernetes-preserve-unknown-fields");
    if flag(map, "x-kubernetes-int-or-string") {
        map.remove("anyOf");
        map.insert("type".into(), json!(["integer", "string"]));
    }
    if flag(map, "x-kubernetes-embedded-resource") {
        let props = map.entry("properties").or_insert_with(|| json!({}));
        if let Some(p) = props.as_object_mut() {
            p.entry("apiVersion").or_insert(json!({"type": "string"}));
            p.entry("kind").or_insert(json!({"type": "string"}));
            p.entry("metadata").or_insert(json!({"type": "object"}));
        }
    }
    if let Some(p) = map.remove("pattern") {
        if p.is_string() {
            map.insert(RE2_PATTERN.into(), p);
        } else {
            map.insert("pattern".into(), p);
        }
    }
    if nullable {
        let ty = map.get("type").cloned();
        match ty {
            Some(Value::String(t)) => {
                map.insert("type".into(), json!([t, "null"]));
            }
            Some(Value::Array(mut ts)) => {
                ts.push(json!("null"));
                map.insert("type".into(), Value::Array(ts));
            }
            _ => {}
        }
    }
    if strict
        && !preserve
        && map.contains_key("properties")
        && !map.contains_key("additionalProperties")
    {
        map.insert("additionalProperties".into(), Value::Bool(false));
    }
    for (k, child) in map.iter_mut() {
        match k.as_str() {
            "properties" | "patternProperties" => {
                if let Some(props) = child.as_object_mut() {
                    for p in props.values_mut() {
                        convert(p, strict);
                    }
                }
            }
            "items" | "additionalProperties" | "not" => convert(child, strict),
            "allOf" | "anyOf" | "oneOf" => {
                if let Some(items) = child.as_array_mut() {
                    for i in items {
                        convert(i, strict);
                    }
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn crd() -> Value {
        serde_json::from_str(
            r#"{"apiVersion":"apiextensions.k8s.io/v1","kind":"CustomResourceDefinition",
            "metadata":{"name":"widgets.example.com"},
            "spec":{"group":"example.com","names":{"kind":"Widget","plural":"widgets"},"scope":"Namespaced",
            "versions":[{"name":"v1","served":true,"storage":true,"schema":{"openAPIV3Schema":{
              "type":"object","properties":{"spec":{"type":"object","required":["size"],"properties":{
                "size":{"type":"integer"},
                "port":{"x-kubernetes-int-or-string":true,"anyOf":[{"type":"integer"},{"type":"string"}]},
                "note":{"type":"string","nullable":true},
                "extra":{"type":"object","x-kubernetes-preserve-unknown-fields":true}
              }}}}}}]}}"#,
        )
        .unwrap()
    }

    #[test]
    fn custom_resources_against_their_crd() {
        let mut s = CrdSchemas::default();
        assert!(is_crd(&crd()));
        assert_eq!(s.add(&crd(), true).unwrap(), 1);
        let g = Gvk::from_api_version("example.com/v1", "Widget");
        let ok = json!({"apiVersion":"example.com/v1","kind":"Widget","metadata":{"name":"w"},
            "spec":{"size":1,"port":"http","note":null,"extra":{"anything":{"goes":1}}}});
        assert_eq!(s.validate(&g, &ok), Some(vec![]));
        let bad = json!({"apiVersion":"example.com/v1","kind":"Widget","metadata":{"name":"w"},
            "spec":{"size":"big","colour":"red","port":true}});
        let v = s.validate(&g, &bad).unwrap();
        let got: Vec<_> = v.iter().map(|v| (v.code, v.pointer.as_str())).collect();
        assert!(
            got.contains(&("schema-unknown-field", "/spec/colour")),
            "{got:?}"
        );
        assert!(got.contains(&("schema-type", "/spec/size")), "{got:?}");
        assert!(got.contains(&("schema-type", "/spec/port")), "{got:?}");
        assert_eq!(
            s.validate(&Gvk::from_api_version("example.com/v2", "Widget"), &ok),
            None
        );
    }

    /// Issue 13: patterns in the API server's dialect (Go RE2) compile and match as there.
    #[test]
    fn crd_patterns_use_the_api_servers_regex_dialect() {
        let mut crd = crd();
        crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]["properties"]
            ["note"] = json!({"type": "string", "pattern": "(?i)^[a-z]+\\z"});
        crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]["properties"]
            ["body"] = json!({"type": "string", "pattern": "(?s)^begin.*end$"});
        let mut s = CrdSchemas::default();
        s.add(&crd, true).unwrap();
        let g = Gvk::from_api_version("example.com/v1", "Widget");
        let cr = |note: &str, body: &str| {
            json!({"apiVersion":"example.com/v1","kind":"Widget",
                "spec":{"size":1,"note":note,"body":body}})
        };
        assert_eq!(
            s.validate(&g, &cr("MiXeD", "begin\nmiddle\nend")),
            Some(vec![])
        );
        let v = s.validate(&g, &cr("digits42", "begin")).unwrap();
        let got: Vec<_> = v.iter().map(|v| v.pointer.as_str()).collect();
        assert_eq!(got, ["/spec/body", "/spec/note"]);
    }

    #[test]
    fn lax_crd_schema_allows_unknown_fields() {
        let mut s = CrdSchemas::default();
        s.add(&crd(), false).unwrap();
        let g = Gvk::from_api_version("example.com/v1", "Widget");
        let v =
            json!({"apiVersion":"example.com/v1","kind":"Widget","spec":{"size":1,"colour":"red"}});
        assert_eq!(s.validate(&g, &v), Some(vec![]));
    }
}
