//! Custom resources validated against the `openAPIV3Schema` of their CustomResourceDefinition.
//!
//! Owns the translation of a CRD's structural schema (OpenAPI v3 with Kubernetes extensions) into a
//! JSON Schema and one compiled validator per served version. Does no I/O: callers hand in CRD
//! objects they have loaded.

use std::collections::HashMap;
use std::sync::Arc;

use crate::json;
use crate::value::Value;
use jsonschema::Validator;

use super::cel::{Outcome, Rules};
use super::defaults;
use super::kubernetes::{Violation, violations};
use super::node::Node;
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
    validators: HashMap<(String, String, String), Arc<Version>>,
    /// Fingerprints of the CRDs already added (the same CRD is met in several passes).
    added: std::collections::HashSet<u64>,
}

/// One served version of a CRD, compiled once: its validator, its schema tree (defaults) and its
/// CEL rules.
struct Version {
    validator: Validator,
    node: Node,
    rules: Option<Rules>,
}

/// What a CRD serves in place of a group/version/kind it does not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServedInstead {
    /// The versions of the kind it serves.
    Versions(Vec<String>),
    /// The kind as the CRD spells it.
    Kind(String),
}

/// What checking a custom resource against its CRD found.
#[derive(Debug, Default, PartialEq)]
pub struct CrdCheck {
    /// Schema and CEL rule errors.
    pub violations: Vec<Violation>,
    /// Rules that could not be checked here (warnings).
    pub warnings: Vec<Violation>,
    /// Transition rules, which the API server runs on update only (notes).
    pub notes: Vec<Violation>,
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
        let fingerprint = {
            use std::hash::{Hash, Hasher};
            let mut h = std::collections::hash_map::DefaultHasher::new();
            crd.to_string().hash(&mut h);
            strict.hash(&mut h);
            h.finish()
        };
        if self.added.contains(&fingerprint) {
            return Ok(0);
        }
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
            let node = Node::from_schema(schema);
            let rules = Rules::compile(&node);
            let mut schema = schema.clone();
            convert(&mut schema, strict);
            add_object_meta_fields(&mut schema, strict);
            let validator = jsonschema::options()
                .with_draft(jsonschema::Draft::Draft4)
                .with_keyword(RE2_PATTERN, re2_pattern)
                .build(&serde_json::Value::from(schema))
                .map_err(|e| CrdError::InvalidSchema {
                    name: name.clone(),
                    version: version.clone(),
                    message: super::kubernetes::describe_error(&e),
                })?;
            self.validators.insert(
                (group.clone(), version, kind.clone()),
                Arc::new(Version {
                    validator,
                    node,
                    rules,
                }),
            );
            added += 1;
        }
        self.added.insert(fingerprint);
        Ok(added)
    }

    /// When no CRD defines `gvk` but one defines its group and kind in other versions, or a
    /// kind of its group that differs only in case: what the API server serves instead (it
    /// answers `no matches for kind`).
    pub fn served_instead(&self, gvk: &Gvk) -> Option<ServedInstead> {
        let key = (gvk.group.clone(), gvk.version.clone(), gvk.kind.clone());
        if self.validators.contains_key(&key) {
            return None;
        }
        let mut versions: Vec<String> = self
            .validators
            .keys()
            .filter(|(g, _, k)| *g == gvk.group && *k == gvk.kind)
            .map(|(_, v, _)| v.clone())
            .collect();
        if !versions.is_empty() {
            versions.sort();
            return Some(ServedInstead::Versions(versions));
        }
        self.validators
            .keys()
            .find(|(g, _, k)| *g == gvk.group && k.eq_ignore_ascii_case(&gvk.kind))
            .map(|(_, _, k)| ServedInstead::Kind(k.clone()))
    }

    /// Whether no CRD schema is known.
    pub fn is_empty(&self) -> bool {
        self.validators.is_empty()
    }

    /// Validates a custom resource. `None` when no CRD defines its group/version/kind.
    pub fn validate(&self, gvk: &Gvk, value: &Value) -> Option<Vec<Violation>> {
        self.check(gvk, value).map(|c| c.violations)
    }

    /// Checks a custom resource as the API server does on create: defaults applied, then the
    /// schema, then the CEL rules (not where the schema already failed). `None` when no CRD
    /// defines its group/version/kind.
    pub fn check(&self, gvk: &Gvk, value: &Value) -> Option<CrdCheck> {
        if self.validators.is_empty() {
            return None;
        }
        let v = self
            .validators
            .get(&(gvk.group.clone(), gvk.version.clone(), gvk.kind.clone()))?;
        let defaulted = defaults::apply(value, &v.node);
        let mut violations = violations(&v.validator, &serde_json::Value::from(&*defaulted));
        violations.extend(
            super::unique::list_duplicates(&defaulted, &v.node)
                .into_iter()
                .map(|f| Violation {
                    code: f.code,
                    pointer: f.pointer,
                    message: f.message,
                }),
        );
        let mut check = CrdCheck {
            violations,
            warnings: Vec::new(),
            notes: Vec::new(),
        };
        if let Some(rules) = &v.rules {
            let skip: Vec<String> = check.violations.iter().map(|v| v.pointer.clone()).collect();
            for o in rules.check(&defaulted, &v.node, &skip) {
                match o {
                    Outcome::Failed { pointer, message } => check.violations.push(Violation {
                        code: "cel-rule",
                        pointer,
                        message,
                    }),
                    Outcome::NotChecked { pointer, message } => check.warnings.push(Violation {
                        code: "cel-rule-not-checked",
                        pointer,
                        message,
                    }),
                    Outcome::Transition { pointer, message } => check.notes.push(Violation {
                        code: "cel-transition-rule",
                        pointer,
                        message,
                    }),
                }
            }
        }
        Some(check)
    }
}

/// The root always accepts `apiVersion`, `kind` and `metadata`, as the API server does; metadata
/// is checked as ObjectMeta.
fn add_object_meta_fields(schema: &mut Value, strict: bool) {
    if let Some(m) = schema.as_object_mut() {
        let props = m.entry("properties").or_insert_with(|| json!({}));
        if let Some(p) = props.as_object_mut() {
            p.entry("apiVersion").or_insert(json!({"type": "string"}));
            p.entry("kind").or_insert(json!({"type": "string"}));
            // The CRD may restrict name and generateName (and nothing else) of its metadata.
            let mut meta = object_meta(strict);
            for f in ["name", "generateName"] {
                if let Some(own) = p
                    .get("metadata")
                    .and_then(|m| m.pointer(&format!("/properties/{f}")))
                {
                    meta["properties"][f] = own.clone();
                }
            }
            p.insert("metadata".into(), meta);
        }
    }
}

/// ObjectMeta as the API server checks it in a custom resource and in an
/// `x-kubernetes-embedded-resource` (whatever the CRD's schema says of `metadata`).
fn object_meta(strict: bool) -> Value {
    let strings = json!({"type": "object", "additionalProperties": {"type": "string"}});
    let mut meta = json!({
        "type": "object",
        "properties": {
            "name": {"type": "string"},
            "generateName": {"type": "string"},
            "namespace": {"type": "string"},
            "labels": strings,
            "annotations": strings,
            "finalizers": {"type": "array", "items": {"type": "string"}},
            "ownerReferences": {"type": "array", "items": {
                "type": "object",
                "required": ["apiVersion", "kind", "name", "uid"],
                "properties": {
                    "apiVersion": {"type": "string"},
                    "kind": {"type": "string"},
                    "name": {"type": "string"},
                    "uid": {"type": "string"},
                    "controller": {"type": "boolean"},
                    "blockOwnerDeletion": {"type": "boolean"}
                }
            }},
            "managedFields": {"type": "array", "items": {"type": "object"}},
            "uid": {"type": "string"},
            "resourceVersion": {"type": "string"},
            "selfLink": {"type": "string"},
            "generation": {"type": "integer"},
            "creationTimestamp": {"type": ["string", "null"]},
            "deletionTimestamp": {"type": ["string", "null"]},
            "deletionGracePeriodSeconds": {"type": "integer"}
        }
    });
    if strict {
        meta["additionalProperties"] = Value::Bool(false);
    }
    meta
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
    fn validate(
        &self,
        instance: &'i serde_json::Value,
    ) -> Result<(), jsonschema::ValidationError<'i>> {
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

    fn is_valid(&self, instance: &'i serde_json::Value) -> bool {
        instance.as_str().is_none_or(|s| self.regex.is_match(s))
    }
}

fn re2_pattern<'a>(
    _parent: &'a serde_json::Map<String, serde_json::Value>,
    value: &'a serde_json::Value,
    _path: jsonschema::paths::Location,
) -> Result<Box<dyn for<'i> jsonschema::Keyword<'i>>, jsonschema::ValidationError<'a>> {
    let pattern = value.as_str().unwrap_or("");
    // A pattern that does not compile is the CRD's error, reported at the pattern by the
    // structural checks (the server refuses the CRD); here it accepts everything.
    let regex = regex::RegexBuilder::new(pattern)
        .size_limit(1 << 20)
        .build()
        .unwrap_or_else(|_| regex::Regex::new("").expect("the empty regex compiles"));
    Ok(Box::new(Re2Pattern { regex }))
}

/// OpenAPI v3 structural schema → JSON Schema: `nullable`, `x-kubernetes-int-or-string`,
/// `x-kubernetes-preserve-unknown-fields`, `x-kubernetes-embedded-resource`; strict closes objects.
fn convert(node: &mut Value, strict: bool) {
    let Some(map) = node.as_object_mut() else {
        return;
    };
    map.remove("description");
    let flag = |m: &crate::value::Map, k: &str| m.get(k) == Some(&Value::Bool(true));
    let nullable = flag(map, "nullable");
    let preserve = flag(map, "x-kubernetes-preserve-unknown-fields");
    if flag(map, "x-kubernetes-int-or-string") {
        map.remove("anyOf");
        map.insert("type".into(), json!(["integer", "string"]));
    }
    let embedded = flag(map, "x-kubernetes-embedded-resource");
    if embedded {
        // apiVersion and kind are required; metadata is ObjectMeta (converted below, not here).
        let props = map.entry("properties").or_insert_with(|| json!({}));
        if let Some(p) = props.as_object_mut() {
            p.entry("apiVersion").or_insert(json!({"type": "string"}));
            p.entry("kind").or_insert(json!({"type": "string"}));
            p.remove("metadata");
        }
        let required = map.entry("required").or_insert_with(|| json!([]));
        if let Some(r) = required.as_array_mut() {
            for f in ["apiVersion", "kind"] {
                if !r.iter().any(|x| x == f) {
                    r.push(json!(f));
                }
            }
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
            "items" | "additionalProperties" => convert(child, strict),
            // Junctors hold value validations only: the structural schema beside them decides
            // which fields exist (and are pruned or unknown), so a branch never closes an object.
            "not" => convert(child, false),
            "allOf" | "anyOf" | "oneOf" => {
                if let Some(items) = child.as_array_mut() {
                    for i in items {
                        convert(i, false);
                    }
                }
            }
            _ => {}
        }
    }
    if embedded && let Some(Value::Object(p)) = map.get_mut("properties") {
        p.insert("metadata".into(), object_meta(strict));
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

    fn widget(spec: Value) -> Value {
        json!({"apiVersion":"apiextensions.k8s.io/v1","kind":"CustomResourceDefinition",
            "metadata":{"name":"widgets.example.com"},
            "spec":{"group":"example.com","names":{"kind":"Widget","plural":"widgets"},"scope":"Namespaced",
            "versions":[{"name":"v1","served":true,"storage":true,"schema":{"openAPIV3Schema":{
              "type":"object","properties":{"spec": spec}}}}]}})
    }

    fn check(crd: &Value, cr: Value) -> CrdCheck {
        let mut s = CrdSchemas::default();
        s.add(crd, true).unwrap();
        s.check(&Gvk::from_api_version("example.com/v1", "Widget"), &cr)
            .unwrap()
    }

    fn pointers(c: &CrdCheck) -> Vec<(&str, &str)> {
        c.violations
            .iter()
            .map(|v| (v.code, v.pointer.as_str()))
            .collect()
    }

    /// Issue 13: defaults are applied before validation, as the API server does.
    #[test]
    fn defaults_apply_before_validation() {
        let crd = widget(
            json!({"type":"object","required":["strategy"],"properties":{
                "strategy":{"type":"object","default":{},"required":["type"],"properties":{
                    "type":{"type":"string","enum":["Canary","BlueGreen"],"default":"Canary"}}},
                "steps":{"type":"array","items":{"type":"object","required":["weight"],"properties":{
                    "weight":{"type":"integer","minimum":0,"default":10}}}},
                "bad":{"type":"string","default":"x","enum":["y"]}
            }}),
        );
        let cr = |spec: Value| {
            json!({"apiVersion":"example.com/v1","kind":"Widget",
            "metadata":{"name":"w"},"spec":spec})
        };
        // A required field with a default is satisfied; defaults inside array items too.
        let c = check(&crd, cr(json!({"steps":[{}, {"weight": 5}], "bad": "y"})));
        assert_eq!(pointers(&c), []);
        // A default that violates its own schema fails where it lands, as on the server.
        let c = check(&crd, cr(json!({})));
        assert_eq!(pointers(&c), [("schema-enum", "/spec/bad")]);
        // Written values still count.
        let c = check(&crd, cr(json!({"strategy":{"type":"Rolling"},"bad":"y"})));
        assert_eq!(pointers(&c), [("schema-enum", "/spec/strategy/type")]);
    }

    /// Branches of `oneOf`/`anyOf`/`allOf`/`not` are value validations on the fields the
    /// structural schema declares: under strict checking a branch naming only some of the
    /// fields must not make the others unknown (Gateway API's `spec.addresses` is built so).
    #[test]
    fn junctor_branches_do_not_close_objects() {
        let crd = widget(json!({"type":"object","properties":{
            "addresses":{"type":"array","items":{"type":"object",
                "oneOf":[
                    {"properties":{"type":{"enum":["IPAddress"]}}},
                    {"properties":{"type":{"not":{"enum":["IPAddress"]}}}}],
                "anyOf":[{"required":["value"]},{"properties":{"type":{"enum":["Hostname"]}}}],
                "properties":{"type":{"type":"string","default":"IPAddress"},
                    "value":{"type":"string"}}}}}}));
        let cr = |spec: Value| json!({"apiVersion":"example.com/v1","kind":"Widget","spec":spec});
        let c = check(
            &crd,
            cr(
                json!({"addresses":[{"value":"10.0.0.1"},{"type":"Hostname","value":"a.example"},
                {"type":"IPAddress","value":"10.0.0.2"}]}),
            ),
        );
        assert_eq!(pointers(&c), []);
        // The branches still decide (here after the default `type`): no alternative fits, and
        // a field outside the structural schema is still unknown.
        let c = check(&crd, cr(json!({"addresses":[{}]})));
        assert_eq!(pointers(&c), [("schema-invalid", "/spec/addresses/0")]);
        let c = check(&crd, cr(json!({"addresses":[{"value":"a","port":1}]})));
        assert_eq!(
            pointers(&c),
            [("schema-unknown-field", "/spec/addresses/0/port")]
        );
    }

    /// Issue 13: the three structural extensions, each as the API server treats it.
    #[test]
    fn preserve_unknown_int_or_string_and_embedded_resources() {
        let crd = widget(json!({"type":"object","properties":{
            "raw":{"type":"object","x-kubernetes-preserve-unknown-fields":true,
                "properties":{"known":{"type":"integer","default":3}}},
            "port":{"x-kubernetes-int-or-string":true},
            "template":{"type":"object","x-kubernetes-embedded-resource":true,
                "x-kubernetes-preserve-unknown-fields":true},
            "strictTemplate":{"type":"object","x-kubernetes-embedded-resource":true,
                "properties":{"spec":{"type":"object","x-kubernetes-preserve-unknown-fields":true}}}
        }}));
        let cr = |spec: Value| {
            json!({"apiVersion":"example.com/v1","kind":"Widget",
            "metadata":{"name":"w","labels":{"app":"a"}},"spec":spec})
        };
        let ok = cr(json!({
            "raw":{"anything":{"nested":[1,{"default":"not applied"}]}},
            "port":8080,
            "template":{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c"},"data":{"a":"b"}},
            "strictTemplate":{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","labels":{"a":"b"}},
                "spec":{"containers":[]}}
        }));
        assert_eq!(pointers(&check(&crd, ok)), []);
        assert_eq!(pointers(&check(&crd, cr(json!({"port":"http"})))), []);
        let bad = cr(json!({
            "raw":{"known":"three"},
            "port":1.5,
            "template":{"kind":"ConfigMap","metadata":{"name":7}},
            "strictTemplate":{"apiVersion":"v1","kind":"Pod","metadata":{"nme":"typo"},"status":{}}
        }));
        let c = check(&crd, bad);
        let got = pointers(&c);
        for want in [
            ("schema-type", "/spec/raw/known"),
            ("schema-type", "/spec/port"),
            ("schema-required", "/spec/template"),
            ("schema-type", "/spec/template/metadata/name"),
            ("schema-unknown-field", "/spec/strictTemplate/metadata/nme"),
            ("schema-unknown-field", "/spec/strictTemplate/status"),
        ] {
            assert!(got.contains(&want), "{want:?} not in {got:?}");
        }
        // The custom resource's own metadata is ObjectMeta.
        let c = check(
            &crd,
            json!({"apiVersion":"example.com/v1","kind":"Widget",
            "metadata":{"name":"w","labels":{"a":1}}}),
        );
        assert_eq!(pointers(&c), [("schema-type", "/metadata/labels/a")]);
    }

    #[test]
    fn cel_rules_through_the_crd() {
        let crd = widget(json!({"type":"object",
            "x-kubernetes-validations":[
                {"rule":"self.minReplicas <= self.maxReplicas","message":"minReplicas must not exceed maxReplicas","fieldPath":".minReplicas"},
                {"rule":"url(self.endpoint).getScheme() == 'https'","message":"endpoint must use https"}],
            "properties":{"minReplicas":{"type":"integer","default":1},"maxReplicas":{"type":"integer"},
                "endpoint":{"type":"string"}}}));
        let cr = |spec: Value| json!({"apiVersion":"example.com/v1","kind":"Widget","spec":spec});
        let c = check(&crd, cr(json!({"maxReplicas": 0, "endpoint": "https://x"})));
        assert_eq!(pointers(&c), [("cel-rule", "/spec/minReplicas")]);
        assert_eq!(
            c.violations[0].message,
            "spec.minReplicas: Invalid value: minReplicas must not exceed maxReplicas"
        );
        assert_eq!(c.warnings, []);
        let c = check(&crd, cr(json!({"maxReplicas": 2, "endpoint": "http://x"})));
        assert_eq!(pointers(&c), [("cel-rule", "/spec")]);
        assert_eq!(
            c.violations[0].message,
            "spec: Invalid value: endpoint must use https"
        );
        // Where the schema already failed, the rules there do not add a second error.
        let c = check(
            &crd,
            cr(json!({"maxReplicas": "many", "endpoint": "https://x"})),
        );
        assert_eq!(pointers(&c), [("schema-type", "/spec/maxReplicas")]);
    }
}
