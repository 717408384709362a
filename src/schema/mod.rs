//! Built-in schemas and content checks for the files `rollout` verifies and sends.
//!
//! Each submodule owns one document kind: its JSON Schema and the extra rules the real server applies.
//! No I/O here: callers hand in parsed JSON and get findings back.

pub mod alertmanager;
pub mod grafana;

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
