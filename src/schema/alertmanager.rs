//! Alertmanager API v2 alert payloads (`POST /api/v2/alerts` bodies): the JSON Schema and the server's checks.
//!
//! Owns what Alertmanager 0.25 would accept: the `postableAlerts` shape, at least one label, label and
//! annotation names matching `[a-zA-Z_][a-zA-Z0-9_]*`, RFC 3339 times with `endsAt` not before
//! `startsAt`, a URI `generatorURL`. Does no I/O and knows no file names; returns [`Finding`]s.

use std::collections::BTreeSet;
use std::sync::LazyLock;

use serde_json::Value;

use crate::finding::{Finding, pointer_push};

/// The JSON Schema (draft-07) for a `POST /api/v2/alerts` body, as text.
pub const SCHEMA_JSON: &str = include_str!("alertmanager-postable-alerts.schema.json");

static SCHEMA: LazyLock<Result<Value, String>> =
    LazyLock::new(|| serde_json::from_str(SCHEMA_JSON).map_err(|e| e.to_string()));

static VALIDATOR: LazyLock<Result<jsonschema::Validator, String>> = LazyLock::new(|| {
    let schema = SCHEMA.as_ref().map_err(Clone::clone)?;
    jsonschema::draft7::options()
        .should_validate_formats(false)
        .build(schema)
        .map_err(|e| e.to_string())
});

/// The postableAlerts JSON Schema as a value (for `rollout schema alertmanager-alerts`).
///
/// # Errors
/// Only if the embedded schema text were not JSON, which a unit test rules out.
pub fn schema() -> Result<&'static Value, String> {
    SCHEMA.as_ref().map_err(Clone::clone)
}

/// True for a label name Alertmanager 0.25 accepts (Prometheus' classic `LabelName.IsValid`).
pub fn is_valid_label_name(name: &str) -> bool {
    let mut chars = name.chars();
    match chars.next() {
        Some(c) if c.is_ascii_alphabetic() || c == '_' => {}
        _ => return false,
    }
    chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Checks a parsed `POST /api/v2/alerts` body: the schema, then the server's own checks.
pub fn check_alerts(body: &Value) -> Vec<Finding> {
    let mut findings = super::violations(&VALIDATOR, body, "alert");
    let Some(alerts) = body.as_array() else {
        return findings;
    };
    if alerts.is_empty() {
        findings.push(Finding::warning(
            "alerts-empty",
            "",
            "the payload holds no alerts",
        ));
    }
    let mut seen: Vec<(String, usize)> = Vec::new();
    for (i, alert) in alerts.iter().enumerate() {
        let at = format!("/{i}");
        check_alert(&at, alert, &mut findings);
        if let Some(labels) = alert.get("labels").and_then(Value::as_object) {
            let key: BTreeSet<String> = labels
                .iter()
                .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or_default()))
                .collect();
            let key = key.into_iter().collect::<Vec<_>>().join(",");
            if let Some((_, first)) = seen.iter().find(|(k, _)| *k == key) {
                findings.push(Finding::warning(
                    "alert-duplicate",
                    pointer_push(&at, "labels"),
                    format!(
                        "alert has the same labels as alert {first}: Alertmanager keeps only one"
                    ),
                ));
            } else {
                seen.push((key, i));
            }
        }
    }
    findings
}

/// Checks a body given as JSON text; a parse error is one `json-invalid` finding with line and column.
pub fn check_alerts_text(text: &str) -> Vec<Finding> {
    match serde_json::from_str::<Value>(text) {
        Ok(v) => check_alerts(&v),
        Err(e) => vec![Finding::error(
            "json-invalid",
            "",
            format!("invalid JSON: {e}"),
        )],
    }
}

fn check_alert(at: &str, alert: &Value, findings: &mut Vec<Finding>) {
    let Some(obj) = alert.as_object() else { return };
    if let Some(labels) = obj.get("labels").and_then(Value::as_object) {
        let labels_at = pointer_push(at, "labels");
        if labels.is_empty() {
            findings.push(Finding::error(
                "alert-labels-empty",
                labels_at.clone(),
                "at least one label pair required",
            ));
        }
        check_label_set(&labels_at, labels, "label", findings);
        if !labels.is_empty() && !labels.contains_key("alertname") {
            findings.push(Finding::warning(
                "alert-alertname-missing",
                labels_at,
                "alert has no alertname label: routes and silences usually match on it",
            ));
        }
    }
    if let Some(annotations) = obj.get("annotations").and_then(Value::as_object) {
        check_label_set(
            &pointer_push(at, "annotations"),
            annotations,
            "annotation",
            findings,
        );
    }
    let starts = check_time(at, obj, "startsAt", findings);
    let ends = check_time(at, obj, "endsAt", findings);
    if let (Some(s), Some(e)) = (starts, ends)
        && e < s
    {
        findings.push(Finding::error(
            "alert-ends-before-starts",
            pointer_push(at, "endsAt"),
            format!("endsAt {e} is before startsAt {s}"),
        ));
    }
    if let Some(Value::String(url)) = obj.get("generatorURL")
        && reqwest::Url::parse(url).is_err()
    {
        findings.push(Finding::error(
            "alert-generator-url-invalid",
            pointer_push(at, "generatorURL"),
            format!("generatorURL {url:?} is not an absolute URI"),
        ));
    }
}

fn check_label_set(
    at: &str,
    set: &serde_json::Map<String, Value>,
    what: &str,
    findings: &mut Vec<Finding>,
) {
    for (name, value) in set {
        let ptr = pointer_push(at, name);
        if !is_valid_label_name(name) {
            findings.push(Finding::error(
                "alert-label-name-invalid",
                ptr.clone(),
                format!("{what} name {name:?} must match [a-zA-Z_][a-zA-Z0-9_]*"),
            ));
        }
        if what == "label" && value.as_str() == Some("") {
            findings.push(Finding::warning(
                "alert-label-value-empty",
                ptr,
                format!("label {name:?} is empty, which Alertmanager treats as absent"),
            ));
        }
    }
}

fn check_time(
    at: &str,
    obj: &serde_json::Map<String, Value>,
    field: &str,
    findings: &mut Vec<Finding>,
) -> Option<jiff::Timestamp> {
    let Value::String(s) = obj.get(field)? else {
        return None;
    };
    match s.parse::<jiff::Timestamp>() {
        Ok(t) if is_rfc3339_shape(s) => Some(t),
        _ => {
            findings.push(Finding::error(
                "alert-time-invalid",
                pointer_push(at, field),
                format!("{field} {s:?} is not an RFC 3339 date-time (e.g. 2026-11-27T10:00:00Z)"),
            ));
            None
        }
    }
}

/// RFC 3339 wants `YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)`; jiff also accepts a few looser forms.
fn is_rfc3339_shape(s: &str) -> bool {
    static RE: LazyLock<Option<regex::Regex>> = LazyLock::new(|| {
        regex::Regex::new(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")
            .ok()
    });
    RE.as_ref().is_some_and(|re| re.is_match(s))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn codes(v: &Value) -> Vec<(&'static str, String)> {
        check_alerts(v)
            .into_iter()
            .map(|f| (f.code, f.pointer))
            .collect()
    }

    #[test]
    fn embedded_schema_parses_and_compiles() {
        assert!(schema().is_ok());
        assert!(VALIDATOR.is_ok());
    }

    /// (name, body, expected (code, pointer) pairs)
    type Case = (&'static str, Value, Vec<(&'static str, &'static str)>);

    #[test]
    fn table_of_payloads() {
        let cases: Vec<Case> = vec![
            ("minimal", json!([{"labels": {"alertname": "A"}}]), vec![]),
            (
                "full",
                json!([{"labels": {"alertname": "A", "env": "staging"}, "annotations": {"summary": "s"},
                        "startsAt": "2026-11-27T10:00:00Z", "endsAt": "2026-11-27T10:05:00.5+01:00",
                        "generatorURL": "http://prometheus/graph"}]),
                // +01:00 makes endsAt 09:05 UTC: before startsAt
                vec![("alert-ends-before-starts", "/0/endsAt")],
            ),
            (
                "not an array",
                json!({"labels": {}}),
                vec![("schema-violation", "")],
            ),
            (
                "labels missing",
                json!([{"annotations": {}}]),
                vec![("schema-violation", "/0")],
            ),
            (
                "labels empty",
                json!([{"labels": {}}]),
                vec![("alert-labels-empty", "/0/labels")],
            ),
            (
                "label value not a string",
                json!([{"labels": {"alertname": 1}}]),
                vec![("schema-violation", "/0/labels/alertname")],
            ),
            (
                "bad label name",
                json!([{"labels": {"alertname": "A", "1x": "v", "a-b": "v"}}]),
                vec![
                    ("alert-label-name-invalid", "/0/labels/1x"),
                    ("alert-label-name-invalid", "/0/labels/a-b"),
                ],
            ),
            (
                "bad annotation name",
                json!([{"labels": {"alertname": "A"}, "annotations": {"a.b": "x"}}]),
                vec![("alert-label-name-invalid", "/0/annotations/a.b")],
            ),
            (
                "not rfc3339",
                json!([{"labels": {"alertname": "A"}, "startsAt": "2026-11-27 10:00"}]),
                vec![("alert-time-invalid", "/0/startsAt")],
            ),
            (
                "no offset",
                json!([{"labels": {"alertname": "A"}, "endsAt": "2026-11-27T10:00:00"}]),
                vec![("alert-time-invalid", "/0/endsAt")],
            ),
            (
                "equal times are fine",
                json!([{"labels": {"alertname": "A"},
              "startsAt": "2026-11-27T10:00:00Z", "endsAt": "2026-11-27T10:00:00Z"}]),
                vec![],
            ),
            (
                "unknown field (typo)",
                json!([{"labels": {"alertname": "A"}, "startAt": "x"}]),
                vec![("schema-violation", "/0")],
            ),
            (
                "relative generatorURL",
                json!([{"labels": {"alertname": "A"}, "generatorURL": "/graph"}]),
                vec![("alert-generator-url-invalid", "/0/generatorURL")],
            ),
            (
                "no alertname",
                json!([{"labels": {"job": "x"}}]),
                vec![("alert-alertname-missing", "/0/labels")],
            ),
            (
                "duplicate",
                json!([{"labels": {"alertname": "A"}}, {"labels": {"alertname": "A"}}]),
                vec![("alert-duplicate", "/1/labels")],
            ),
            ("empty array", json!([]), vec![("alerts-empty", "")]),
        ];
        for (name, body, expected) in cases {
            let got = codes(&body);
            let got: Vec<(&str, &str)> = got.iter().map(|(c, p)| (*c, p.as_str())).collect();
            assert_eq!(got, expected, "{name}");
        }
    }

    #[test]
    fn label_names() {
        for ok in ["a", "_", "alertname", "A_1"] {
            assert!(is_valid_label_name(ok), "{ok}");
        }
        for bad in ["", "1a", "a-b", "a.b", "é"] {
            assert!(!is_valid_label_name(bad), "{bad}");
        }
    }
}
