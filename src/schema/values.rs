//! Helm chart values: merging a values file over the chart's defaults the way Helm does, and
//! checking the result against the chart's `values.schema.json`.
//!
//! Owns Helm's coalescing rules (maps merge deeply, lists and scalars replace, `null` deletes a key).
//! Does no I/O: callers pass parsed documents.

use crate::value::{Map, Value};

use super::kubernetes::{Violation, violations};

/// A `values.schema.json` that cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("invalid values schema: {message}")]
pub struct ValuesSchemaError {
    /// The compiler's message.
    pub message: String,
}

/// Merges `overrides` over `defaults` as `helm template -f` does: maps merge key by key, anything
/// else replaces, and a `null` in `overrides` removes the key.
pub fn coalesce(defaults: &Value, overrides: &Value) -> Value {
    match (defaults, overrides) {
        (Value::Object(d), Value::Object(o)) => {
            let mut out: Map = d.clone();
            for (k, v) in o {
                match v {
                    Value::Null => {
                        out.remove(k);
                    }
                    Value::Object(_) => {
                        let merged = match d.get(k) {
                            Some(dv @ Value::Object(_)) => coalesce(dv, v),
                            _ => strip_nulls(v),
                        };
                        out.insert(k.clone(), merged);
                    }
                    other => {
                        out.insert(k.clone(), other.clone());
                    }
                }
            }
            Value::Object(out)
        }
        (_, Value::Null) => defaults.clone(),
        (_, o) => o.clone(),
    }
}

/// A map from a values file with no default to merge into: its `null`s still delete (Helm drops
/// them).
fn strip_nulls(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k.clone(), strip_nulls(v)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// Compiles a `values.schema.json` (draft from its `$schema`, draft 7 when absent, as Helm 3).
///
/// # Errors
/// A schema that does not compile.
pub fn compile(schema: &Value) -> Result<jsonschema::Validator, ValuesSchemaError> {
    let draft = match schema.get("$schema").and_then(Value::as_str) {
        Some(s) if s.contains("2020-12") => jsonschema::Draft::Draft202012,
        Some(s) if s.contains("2019-09") => jsonschema::Draft::Draft201909,
        Some(s) if s.contains("draft-06") => jsonschema::Draft::Draft6,
        Some(s) if s.contains("draft-04") => jsonschema::Draft::Draft4,
        _ => jsonschema::Draft::Draft7,
    };
    jsonschema::options()
        .with_draft(draft)
        .build(&serde_json::Value::from(schema))
        .map_err(|e| ValuesSchemaError {
            message: e.to_string(),
        })
}

/// Merges `overrides` (if any) over `defaults` and validates the result.
///
/// # Errors
/// A schema that does not compile.
pub fn check(
    defaults: &Value,
    overrides: Option<&Value>,
    schema: &Value,
) -> Result<Vec<Violation>, ValuesSchemaError> {
    let validator = compile(schema)?;
    let empty = Value::Object(Map::new());
    let defaults = if defaults.is_null() { &empty } else { defaults };
    let merged = match overrides {
        Some(o) => coalesce(defaults, o),
        None => strip_nulls(defaults),
    };
    Ok(violations(&validator, &serde_json::Value::from(merged)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json;

    #[test]
    fn coalesce_like_helm() {
        let cases = [
            (
                "maps merge deeply",
                json!({"a": {"b": 1, "c": 2}}),
                json!({"a": {"c": 3}}),
                json!({"a": {"b": 1, "c": 3}}),
            ),
            (
                "lists replace",
                json!({"l": [1, 2, 3]}),
                json!({"l": [9]}),
                json!({"l": [9]}),
            ),
            (
                "null deletes",
                json!({"a": {"b": 1, "c": 2}}),
                json!({"a": {"b": null}}),
                json!({"a": {"c": 2}}),
            ),
            (
                "null deletes a whole map",
                json!({"a": {"b": 1}, "x": 1}),
                json!({"a": null}),
                json!({"x": 1}),
            ),
            (
                "scalar replaces map",
                json!({"a": {"b": 1}}),
                json!({"a": "s"}),
                json!({"a": "s"}),
            ),
            (
                "new map keeps no nulls",
                json!({}),
                json!({"n": {"k": null, "v": 1}}),
                json!({"n": {"v": 1}}),
            ),
        ];
        for (name, d, o, want) in cases {
            assert_eq!(coalesce(&d, &o), want, "{name}");
        }
    }

    #[test]
    fn merged_values_checked_against_schema() {
        let schema = json!({
            "$schema": "https://json-schema.org/draft-07/schema#",
            "type": "object", "required": ["image"],
            "properties": {"image": {"type": "object", "required": ["tag"],
                "properties": {"tag": {"type": "string"}, "repository": {"type": "string"}},
                "additionalProperties": false},
                "replicas": {"type": "integer"}}
        });
        let defaults = json!({"image": {"repository": "sploot/auth", "tag": "1"}, "replicas": 1});
        assert!(check(&defaults, None, &schema).unwrap().is_empty());
        let ok = json!({"image": {"tag": "2"}});
        assert!(check(&defaults, Some(&ok), &schema).unwrap().is_empty());
        let bad = json!({"image": {"tag": null, "pullPolicy": "Always"}, "replicas": "2"});
        let v = check(&defaults, Some(&bad), &schema).unwrap();
        let got: Vec<_> = v.iter().map(|v| (v.code, v.pointer.as_str())).collect();
        assert!(got.contains(&("schema-required", "/image")), "{got:?}");
        assert!(
            got.contains(&("schema-unknown-field", "/image/pullPolicy")),
            "{got:?}"
        );
        assert!(got.contains(&("schema-type", "/replicas")), "{got:?}");
    }
}
