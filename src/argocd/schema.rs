//! Checks an Application manifest against the `applications.argoproj.io` CRD schema copied into
//! `schemas/argocd/` (see the README there). Pure: no I/O beyond the embedded schema.
//!
//! Strict like `kubectl apply` with server-side field validation (`Strict`, the default since
//! Kubernetes 1.27): an unknown field is an error, except under `x-kubernetes-preserve-unknown-fields`.

use std::sync::OnceLock;

use crate::value::Value;

/// The CRD's `openAPIV3Schema` (structural keywords), embedded.
pub const CRD_SCHEMA: &str = include_str!("../../schemas/argocd/application.openapiv3.json");

/// The only `apiVersion` the CRD serves.
pub const API_VERSION: &str = "argoproj.io/v1alpha1";

/// One problem found in a manifest.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Violation {
    /// JSON pointer into the manifest (`/spec/source/repoURL`), `""` for the root.
    pub pointer: String,
    /// What is wrong, lowercase.
    pub message: String,
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let at = if self.pointer.is_empty() {
            "/"
        } else {
            &self.pointer
        };
        write!(f, "{at}: {}", self.message)
    }
}

/// The embedded schema could not be used: a bug in rollout, not in the input.
#[derive(Debug, thiserror::Error)]
#[error(
    "internal error: the embedded Argo CD Application schema is invalid ({0}); please report a bug"
)]
pub struct SchemaError(String);

/// Validates `manifest` as an Argo CD Application: `apiVersion`/`kind`, `metadata.name` (the API
/// server requires it; the CRD schema leaves metadata to the server), then the CRD schema, strict.
/// Returns every violation found, in document order of the schema walk; empty means valid.
///
/// # Errors
/// Only when the embedded schema itself cannot be compiled (a bug).
pub fn validate(manifest: &Value) -> Result<Vec<Violation>, SchemaError> {
    let validator = validator()?;
    let mut out = Vec::new();
    if manifest.get("apiVersion").and_then(Value::as_str) != Some(API_VERSION) {
        out.push(Violation {
            pointer: "/apiVersion".into(),
            message: format!("must be {API_VERSION:?}"),
        });
    }
    if manifest.get("kind").and_then(Value::as_str) != Some("Application") {
        out.push(Violation {
            pointer: "/kind".into(),
            message: "must be \"Application\"".into(),
        });
    }
    match manifest.pointer("/metadata/name").and_then(Value::as_str) {
        Some(n) if !n.is_empty() => {}
        _ => out.push(Violation {
            pointer: "/metadata/name".into(),
            message: "is required".into(),
        }),
    }
    for e in validator.iter_errors(&serde_json::Value::from(manifest)) {
        out.push(Violation {
            pointer: e.instance_path().to_string(),
            message: e.to_string(),
        });
    }
    Ok(out)
}

fn validator() -> Result<&'static jsonschema::Validator, SchemaError> {
    static V: OnceLock<Result<jsonschema::Validator, String>> = OnceLock::new();
    V.get_or_init(|| {
        let mut schema: Value = serde_json::from_str(CRD_SCHEMA).map_err(|e| e.to_string())?;
        make_strict(&mut schema);
        jsonschema::options()
            .with_draft(jsonschema::Draft::Draft7)
            .build(&serde_json::Value::from(schema))
            .map_err(|e| e.to_string())
    })
    .as_ref()
    .map_err(|e| SchemaError(e.clone()))
}

/// Adds `additionalProperties: false` to every object schema that lists `properties` and neither
/// allows extra properties nor preserves unknown fields.
fn make_strict(schema: &mut Value) {
    let Value::Object(m) = schema else { return };
    let preserve = m.get("x-kubernetes-preserve-unknown-fields") == Some(&Value::Bool(true));
    if m.contains_key("properties") && !m.contains_key("additionalProperties") && !preserve {
        m.insert("additionalProperties".into(), Value::Bool(false));
    }
    for (k, v) in m.iter_mut() {
        match k.as_str() {
            "properties" => {
                if let Value::Object(props) = v {
                    props.values_mut().for_each(make_strict);
                }
            }
            "items" | "additionalProperties" => make_strict(v),
            "anyOf" | "allOf" | "oneOf" => {
                if let Value::Array(a) = v {
                    a.iter_mut().for_each(make_strict);
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::argocd::application::{for_env, tests::media_params};
    use crate::json;

    fn valid() -> Value {
        for_env("media", "staging", &media_params(), "overlays/staging")
            .unwrap()
            .manifest
    }

    #[test]
    fn generated_application_is_valid() {
        assert_eq!(validate(&valid()).unwrap(), vec![]);
    }

    #[test]
    fn violations_name_the_field() {
        type Mutate = Box<dyn Fn(&mut Value)>;
        let table: Vec<(&str, Mutate, &str, &str)> = vec![
            (
                "missing project",
                Box::new(|v| {
                    v["spec"].as_object_mut().unwrap().remove("project");
                }),
                "/spec",
                "\"project\" is a required property",
            ),
            (
                "missing destination",
                Box::new(|v| {
                    v["spec"].as_object_mut().unwrap().remove("destination");
                }),
                "/spec",
                "\"destination\" is a required property",
            ),
            (
                "typo selfheal",
                Box::new(|v| {
                    v["spec"]["syncPolicy"]["automated"] = json!({"selfheal": true});
                }),
                "/spec/syncPolicy/automated",
                "selfheal",
            ),
            (
                "prune as string",
                Box::new(|v| {
                    v["spec"]["syncPolicy"]["automated"] = json!({"prune": "yes"});
                }),
                "/spec/syncPolicy/automated/prune",
                "not of type \"boolean\"",
            ),
            (
                "missing repoURL",
                Box::new(|v| {
                    v["spec"]["source"]
                        .as_object_mut()
                        .unwrap()
                        .remove("repoURL");
                }),
                "/spec/source",
                "\"repoURL\" is a required property",
            ),
            (
                "syncOptions not a list",
                Box::new(|v| {
                    v["spec"]["syncPolicy"]["syncOptions"] = json!("PruneLast=true");
                }),
                "/spec/syncPolicy/syncOptions",
                "not of type \"array\"",
            ),
            (
                "wrong kind",
                Box::new(|v| v["kind"] = json!("AppProject")),
                "/kind",
                "Application",
            ),
            (
                "wrong apiVersion",
                Box::new(|v| v["apiVersion"] = json!("argoproj.io/v1")),
                "/apiVersion",
                "v1alpha1",
            ),
            (
                "no name",
                Box::new(|v| {
                    v["metadata"].as_object_mut().unwrap().remove("name");
                }),
                "/metadata/name",
                "required",
            ),
        ];
        for (case, mutate, pointer, want) in table {
            let mut v = valid();
            mutate(&mut v);
            let found = validate(&v).unwrap();
            assert!(
                found
                    .iter()
                    .any(|x| x.pointer == pointer && x.message.contains(want)),
                "{case}: {found:?}"
            );
        }
    }

    #[test]
    fn emitted_yaml_reads_back_the_same_and_valid() {
        let v = valid();
        let back = crate::yaml::parse_document(&crate::yaml::emit(&v))
            .unwrap()
            .value;
        assert_eq!(back, v);
        assert_eq!(validate(&back).unwrap(), vec![]);
    }

    #[test]
    fn helm_values_object_keeps_unknown_fields() {
        let mut v = valid();
        v["spec"]["source"]["helm"] = json!({"valuesObject": {"anything": {"goes": 1}}});
        assert_eq!(validate(&v).unwrap(), vec![]);
    }

    #[test]
    fn multi_source_and_int_or_string_replicas() {
        let mut v = valid();
        let src = v["spec"].as_object_mut().unwrap().remove("source").unwrap();
        v["spec"]["sources"] = json!([src, {"repoURL": "https://x", "kustomize": {"replicas": [
            {"name": "auth", "count": 2}, {"name": "embedder", "count": "3"}]}}]);
        assert_eq!(validate(&v).unwrap(), vec![]);
        v["spec"]["sources"][1]["kustomize"]["replicas"][0]["count"] = json!(true);
        assert!(!validate(&v).unwrap().is_empty());
    }
}
