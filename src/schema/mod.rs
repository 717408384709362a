//! Schema registry: what each kind of input is validated against (Kubernetes built-in kinds,
//! kubeconform-style schema directories, CRD `openAPIV3Schema`s, Helm `values.schema.json`, Grafana
//! dashboards, Alertmanager alert payloads) and the extra rules the real servers apply.
//!
//! Owns schemas and their compiled validators; no I/O, no output, no verdicts: callers hand in
//! parsed JSON and get findings back.

pub mod alertmanager;
pub mod apis;
pub mod crd;
pub mod grafana;
pub mod kubernetes;
pub mod values;

use serde_json::Value;

use crate::finding::Finding;

/// Runs a built-in schema's `validator` over `doc`: one `schema-violation` error per violation (at
/// its instance path), or one `internal-error` naming the `what` schema when it did not compile.
pub(crate) fn violations(
    validator: &Result<jsonschema::Validator, String>,
    doc: &Value,
    what: &str,
) -> Vec<Finding> {
    match validator {
        Ok(v) => v
            .iter_errors(doc)
            .map(|e| {
                Finding::error(
                    "schema-violation",
                    e.instance_path().to_string(),
                    e.to_string(),
                )
            })
            .collect(),
        Err(e) => vec![Finding::error(
            "internal-error",
            "",
            format!("built-in {what} schema does not compile ({e}); please report a bug"),
        )],
    }
}
