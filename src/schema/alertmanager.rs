//! Alertmanager API v2 alert payloads (`POST /api/v2/alerts` bodies): the JSON Schema and the server's checks.
//!
//! Owns what Alertmanager 0.25 does with a body, checked against the real server: its OpenAPI
//! `postableAlerts` (a list of objects; `labels` required, a map of strings; `annotations` a map of
//! strings; `startsAt`/`endsAt` go-openapi date-times; `generatorURL` a Go request URI; any other
//! field accepted and ignored, e.g. `status` and `fingerprint` from a `GET /alerts` response), then its
//! server-side checks (a label set left empty once empty values are dropped, label and annotation
//! names outside `[a-zA-Z_][a-zA-Z0-9_]*`, `endsAt` before `startsAt`). What the server refuses is
//! an error; what it accepts but probably was not meant is a warning. Does no I/O; returns
//! [`Finding`]s whose messages name the field path, one line, bounded.

use std::collections::BTreeSet;
use std::sync::LazyLock;

use crate::value::{Map, Value};

use crate::finding::{Finding, MESSAGE_MAX, bounded, display_path, pointer_push, preview};

/// The JSON Schema (draft-07) for a `POST /api/v2/alerts` body, as text.
pub const SCHEMA_JSON: &str = include_str!("alertmanager-postable-alerts.schema.json");

static SCHEMA: LazyLock<Result<Value, String>> =
    LazyLock::new(|| serde_json::from_str(SCHEMA_JSON).map_err(|e| e.to_string()));

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

/// Fields of a postable alert.
const POSTABLE: &[&str] = &[
    "labels",
    "annotations",
    "startsAt",
    "endsAt",
    "generatorURL",
];

/// Fields of a gettable alert (a `GET /api/v2/alerts` response) that the server accepts and ignores
/// in a `POST`, so that a fetched alert can be posted back.
const GETTABLE: &[&str] = &["status", "fingerprint", "receivers", "updatedAt"];

/// Checks a parsed `POST /api/v2/alerts` body: the OpenAPI shape, then the server's own checks.
pub fn check_alerts(body: &Value) -> Vec<Finding> {
    let mut findings = Vec::new();
    match body {
        Value::Null => findings.push(Finding::warning(
            "alerts-empty",
            "",
            "the payload is null: Alertmanager accepts it and receives no alert",
        )),
        Value::Array(alerts) => {
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
                        .filter(|(_, v)| v.as_str().is_some_and(|s| !s.is_empty()))
                        .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or_default()))
                        .collect();
                    let key = key.into_iter().collect::<Vec<_>>().join(",");
                    if let Some((_, first)) = seen.iter().find(|(k, _)| *k == key) {
                        findings.push(Finding::warning(
                            "alert-duplicate",
                            pointer_push(&at, "labels"),
                            format!("alert has the same labels as alert [{first}]: Alertmanager keeps only one"),
                        ));
                    } else {
                        seen.push((key, i));
                    }
                }
            }
        }
        other => findings.push(Finding::error(
            "schema-violation",
            "",
            format!("expected a list of alerts, found {}", preview(other)),
        )),
    }
    findings
        .into_iter()
        .map(|mut f| {
            let path = display_path(&f.pointer);
            if !path.is_empty() {
                f.message = format!("{path}: {}", f.message);
            }
            f.message = bounded(&f.message, MESSAGE_MAX);
            f
        })
        .collect()
}

/// Checks a body given as JSON text; a parse error is one `json-invalid` finding with line and column.
pub fn check_alerts_text(text: &str) -> Vec<Finding> {
    match serde_json::from_str::<Value>(text) {
        Ok(v) => check_alerts(&v),
        Err(e) => vec![Finding::error(
            "json-invalid",
            "",
            bounded(&format!("invalid JSON: {e}"), MESSAGE_MAX),
        )],
    }
}

fn check_alert(at: &str, alert: &Value, findings: &mut Vec<Finding>) {
    let Some(obj) = alert.as_object() else {
        let why = if alert.is_null() {
            " (Alertmanager 0.25 drops the connection on a null alert)"
        } else {
            ""
        };
        findings.push(Finding::error(
            "schema-violation",
            at,
            format!("expected an alert object, found {}{why}", preview(alert)),
        ));
        return;
    };
    for key in obj.keys() {
        if POSTABLE.contains(&key.as_str()) || GETTABLE.contains(&key.as_str()) {
            continue;
        }
        let hint = POSTABLE
            .iter()
            .find(|k| similar(k, key))
            .map(|k| format!("; did you mean {k}?"))
            .unwrap_or_default();
        findings.push(Finding::warning(
            "alert-field-unknown",
            pointer_push(at, key),
            format!("unknown field: Alertmanager ignores it{hint}"),
        ));
    }
    let labels_at = pointer_push(at, "labels");
    match obj.get("labels") {
        None | Some(Value::Null) => findings.push(Finding::error(
            "schema-violation",
            labels_at,
            "required field is missing: expected a map of label names to strings",
        )),
        Some(Value::Object(labels)) => {
            let set = check_label_set(&labels_at, labels, "label", findings);
            if set == Some(0) {
                findings.push(Finding::error(
                    "alert-labels-empty",
                    labels_at.clone(),
                    "at least one label pair required (labels with empty values are dropped)",
                ));
            } else if !labels.contains_key("alertname") {
                findings.push(Finding::warning(
                    "alert-alertname-missing",
                    labels_at,
                    "alert has no alertname label: routes and silences usually match on it",
                ));
            }
        }
        Some(other) => findings.push(Finding::error(
            "schema-violation",
            labels_at,
            format!(
                "expected a map of label names to strings, found {}",
                preview(other)
            ),
        )),
    }
    let annotations_at = pointer_push(at, "annotations");
    match obj.get("annotations") {
        None | Some(Value::Null) => {}
        Some(Value::Object(a)) => {
            check_label_set(&annotations_at, a, "annotation", findings);
        }
        Some(other) => findings.push(Finding::error(
            "schema-violation",
            annotations_at,
            format!(
                "expected a map of annotation names to strings, found {}",
                preview(other)
            ),
        )),
    }
    let starts = check_time(at, obj, "startsAt", findings);
    let ends = check_time(at, obj, "endsAt", findings);
    if let (Some(s), Some(e)) = (starts, ends)
        && e < s
    {
        findings.push(Finding::error(
            "alert-ends-before-starts",
            pointer_push(at, "endsAt"),
            format!("expected a time not before startsAt ({s}), found {e}"),
        ));
    }
    let url_at = pointer_push(at, "generatorURL");
    match obj.get("generatorURL") {
        None | Some(Value::Null) => {}
        Some(Value::String(url)) if url.is_empty() => {}
        Some(Value::String(url)) if !is_go_request_uri(url) => findings.push(Finding::error(
            "alert-generator-url-invalid",
            url_at,
            format!(
                "expected a URI, found {}",
                preview(&Value::String(url.clone()))
            ),
        )),
        Some(Value::String(url)) if url.starts_with('/') => findings.push(Finding::warning(
            "alert-generator-url-relative",
            url_at,
            format!(
                "relative URI {}: the link from Alertmanager opens on Alertmanager's own host",
                preview(&Value::String(url.clone()))
            ),
        )),
        Some(Value::String(_)) => {}
        Some(other) => findings.push(Finding::error(
            "schema-violation",
            url_at,
            format!("expected a string, found {}", preview(other)),
        )),
    }
}

/// Two field names a typo apart (case, or one or two letters added, left out or changed).
fn similar(a: &str, b: &str) -> bool {
    crate::finding::edit_distance(&a.to_ascii_lowercase(), &b.to_ascii_lowercase()) <= 2
}

/// Checks names and values of a label or annotation set; returns how many pairs have a non-empty
/// value (the ones Alertmanager keeps), or `None` when a value is not a string.
fn check_label_set(at: &str, set: &Map, what: &str, findings: &mut Vec<Finding>) -> Option<usize> {
    let mut kept = Some(0);
    for (name, value) in set {
        let ptr = pointer_push(at, name);
        if !is_valid_label_name(name) {
            findings.push(Finding::error(
                "alert-label-name-invalid",
                ptr.clone(),
                format!(
                    "expected a {what} name matching [a-zA-Z_][a-zA-Z0-9_]*, found {}",
                    preview(&Value::String(name.clone()))
                ),
            ));
        }
        match value {
            Value::String(v) if v.is_empty() => {
                if what == "label" {
                    findings.push(Finding::warning(
                        "alert-label-value-empty",
                        ptr,
                        "label value is empty: Alertmanager drops the label",
                    ));
                }
            }
            Value::String(_) => kept = kept.map(|k| k + 1),
            other => {
                // The server refuses the body for this alone: no follow-on about what is kept.
                kept = None;
                findings.push(Finding::error(
                    "schema-violation",
                    ptr,
                    format!("expected a string, found {}", preview(other)),
                ));
            }
        }
    }
    kept
}

fn check_time(
    at: &str,
    obj: &Map,
    field: &str,
    findings: &mut Vec<Finding>,
) -> Option<jiff::Timestamp> {
    let ptr = pointer_push(at, field);
    let s = match obj.get(field)? {
        Value::Null => return None,
        Value::String(s) if s.is_empty() => return None,
        Value::String(s) => s,
        other => {
            findings.push(Finding::error(
                "schema-violation",
                ptr,
                format!("expected a date-time string, found {}", preview(other)),
            ));
            return None;
        }
    };
    match parse_date_time(s) {
        Some((t, true)) => Some(t),
        Some((t, false)) => {
            findings.push(Finding::warning(
                "alert-time-not-rfc3339",
                ptr,
                format!(
                    "{} is not RFC 3339; Alertmanager reads it as {t} (write e.g. 2026-11-27T10:00:00Z)",
                    preview(&Value::String(s.clone()))
                ),
            ));
            Some(t)
        }
        None => {
            findings.push(Finding::error(
                "alert-time-invalid",
                ptr,
                format!(
                    "expected an RFC 3339 date-time (e.g. 2026-11-27T10:00:00Z), found {}",
                    preview(&Value::String(s.clone()))
                ),
            ));
            None
        }
    }
}

/// A time as go-openapi's `strfmt.DateTime` (which Alertmanager's API uses) reads it, and whether it
/// is RFC 3339. Besides RFC 3339 it takes milli- or microseconds with a `±hhmm` offset, and times
/// without an offset (as UTC): `2006-01-02T15:04:05`, `2006-01-02T15:04`, `2006-01-02T15:04Z`,
/// `2006-01-02 15:04:05`.
pub fn parse_date_time(s: &str) -> Option<(jiff::Timestamp, bool)> {
    static RE: LazyLock<Option<regex::Regex>> = LazyLock::new(|| {
        regex::Regex::new(
            r"^(\d{4})-(\d{2})-(\d{2})([T ])(\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?(Z|[+-]\d{2}:\d{2}|[+-]\d{4})?$",
        )
        .ok()
    });
    let c = RE.as_ref()?.captures(s)?;
    let num = |i: usize| c.get(i).and_then(|m| m.as_str().parse::<i64>().ok());
    let sep_t = &c[4] == "T";
    let seconds = c.get(7).is_some();
    let frac = c.get(8).map_or("", |m| m.as_str());
    let zone = c.get(9).map_or("", |m| m.as_str());
    let colon_offset = zone.len() == 6;
    let plain_offset = zone.len() == 5;
    let frac_digits = frac.len().saturating_sub(1);
    let (accepted, rfc3339) = match (sep_t, seconds) {
        (true, true) if zone == "Z" || colon_offset => (true, true),
        (true, true) if plain_offset => (frac_digits == 3 || frac_digits == 6, false),
        (true, true) => (zone.is_empty(), false),
        (true, false) => (zone.is_empty() || zone == "Z", false),
        (false, true) => (zone.is_empty(), false),
        (false, false) => (false, false),
    };
    if !accepted {
        return None;
    }
    let nanos = if frac.is_empty() {
        0
    } else {
        let digits: String = frac[1..]
            .chars()
            .chain("000000000".chars())
            .take(9)
            .collect();
        digits.parse::<i32>().ok()?
    };
    let dt = jiff::civil::DateTime::new(
        i16::try_from(num(1)?).ok()?,
        i8::try_from(num(2)?).ok()?,
        i8::try_from(num(3)?).ok()?,
        i8::try_from(num(5)?).ok()?,
        i8::try_from(num(6)?).ok()?,
        i8::try_from(num(7).unwrap_or(0)).ok()?,
        nanos,
    )
    .ok()?;
    let offset_seconds = if zone.len() >= 5 {
        let sign = if zone.starts_with('-') { -1 } else { 1 };
        let digits: String = zone[1..].chars().filter(char::is_ascii_digit).collect();
        let h: i32 = digits.get(..2)?.parse().ok()?;
        let m: i32 = digits.get(2..)?.parse().ok()?;
        sign * (h * 3600 + m * 60)
    } else {
        0
    };
    let offset = jiff::tz::Offset::from_seconds(offset_seconds).ok()?;
    let t = dt
        .to_zoned(jiff::tz::TimeZone::fixed(offset))
        .ok()?
        .timestamp();
    Some((t, rfc3339))
}

/// Whether Go's `url.ParseRequestURI` (go-openapi's `uri` format) accepts `s`: an absolute URI
/// (`scheme:…`) or an absolute path, no control characters, valid `%` escapes, a valid host.
pub fn is_go_request_uri(s: &str) -> bool {
    if s.chars().any(|c| c.is_ascii_control()) {
        return false;
    }
    let b = s.as_bytes();
    for (i, &c) in b.iter().enumerate() {
        if c == b'%'
            && !(b.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
                && b.get(i + 2).is_some_and(u8::is_ascii_hexdigit))
        {
            return false;
        }
    }
    if s.starts_with('/') {
        return true;
    }
    // Go's getScheme: letters, then digits, '+', '-', '.' (not first), up to ':'.
    let mut rest = None;
    for (i, c) in s.char_indices() {
        match c {
            'a'..='z' | 'A'..='Z' => {}
            '0'..='9' | '+' | '-' | '.' if i > 0 => {}
            ':' if i > 0 => {
                rest = Some(&s[i + 1..]);
                break;
            }
            _ => return false,
        }
    }
    let Some(rest) = rest else { return false };
    let Some(after) = rest.strip_prefix("//") else {
        return true;
    };
    let authority = after.split(['/', '?']).next().unwrap_or("");
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    if let Some(inner) = host_port.strip_prefix('[') {
        let Some((_, port)) = inner.split_once(']') else {
            return false;
        };
        return port.is_empty()
            || port
                .strip_prefix(':')
                .is_some_and(|p| p.chars().all(|c| c.is_ascii_digit()));
    }
    let (host, port) = host_port.rsplit_once(':').unwrap_or((host_port, ""));
    port.chars().all(|c| c.is_ascii_digit())
        && host.chars().all(|c| {
            c.is_ascii_alphanumeric() || "-._~!$&'()*+,;=%\"<>".contains(c) || !c.is_ascii()
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json;

    fn codes(v: &Value) -> Vec<(&'static str, String)> {
        check_alerts(v)
            .into_iter()
            .map(|f| (f.code, f.pointer))
            .collect()
    }

    #[test]
    fn embedded_schema_parses_and_compiles() {
        assert!(schema().is_ok());
    }

    /// (name, body, expected (code, pointer) pairs)
    type Case = (&'static str, Value, Vec<(&'static str, &'static str)>);

    /// Every case was POSTed to a real Alertmanager 0.25 (`tests/alerts_e2e.rs` does it again for the
    /// `server` column of its table): errors are what it refuses, warnings what it takes.
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
                "fields of a fetched alert",
                json!([{"labels": {"alertname": "A"}, "status": {"state": "active"}, "fingerprint": "abc",
                        "receivers": [{"name": "x"}], "updatedAt": "2020-01-01T00:00:00Z"}]),
                vec![],
            ),
            (
                "not an array",
                json!({"labels": {}}),
                vec![("schema-violation", "")],
            ),
            ("null body", Value::Null, vec![("alerts-empty", "")]),
            (
                "null alert",
                json!([null]),
                vec![("schema-violation", "/0")],
            ),
            (
                "labels missing",
                json!([{"annotations": {}}]),
                vec![("schema-violation", "/0/labels")],
            ),
            (
                "labels null",
                json!([{"labels": null}]),
                vec![("schema-violation", "/0/labels")],
            ),
            (
                "labels empty",
                json!([{"labels": {}}]),
                vec![("alert-labels-empty", "/0/labels")],
            ),
            (
                "only empty values",
                json!([{"labels": {"a": ""}}]),
                vec![
                    ("alert-label-value-empty", "/0/labels/a"),
                    ("alert-labels-empty", "/0/labels"),
                ],
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
                "annotations null",
                json!([{"labels": {"alertname": "A"}, "annotations": null}]),
                vec![],
            ),
            (
                "not a time",
                json!([{"labels": {"alertname": "A"}, "startsAt": "2026-11-27 10:00"}]),
                vec![("alert-time-invalid", "/0/startsAt")],
            ),
            (
                "offset without colon and no fraction",
                json!([{"labels": {"alertname": "A"}, "startsAt": "2026-11-27T10:00:00+0100"}]),
                vec![("alert-time-invalid", "/0/startsAt")],
            ),
            (
                "month 13",
                json!([{"labels": {"alertname": "A"}, "startsAt": "2026-13-27T10:00:00Z"}]),
                vec![("alert-time-invalid", "/0/startsAt")],
            ),
            (
                "no offset is taken as UTC",
                json!([{"labels": {"alertname": "A"}, "endsAt": "2026-11-27T10:00:00"}]),
                vec![("alert-time-not-rfc3339", "/0/endsAt")],
            ),
            (
                "millis with plain offset",
                json!([{"labels": {"alertname": "A"}, "startsAt": "2026-11-27T10:00:00.123+0100"}]),
                vec![("alert-time-not-rfc3339", "/0/startsAt")],
            ),
            (
                "time not a string",
                json!([{"labels": {"alertname": "A"}, "startsAt": 5}]),
                vec![("schema-violation", "/0/startsAt")],
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
                vec![("alert-field-unknown", "/0/startAt")],
            ),
            (
                "relative generatorURL",
                json!([{"labels": {"alertname": "A"}, "generatorURL": "/graph"}]),
                vec![("alert-generator-url-relative", "/0/generatorURL")],
            ),
            (
                "generatorURL with a space in the host",
                json!([{"labels": {"alertname": "A"}, "generatorURL": "http://x y"}]),
                vec![("alert-generator-url-invalid", "/0/generatorURL")],
            ),
            (
                "generatorURL not a URI",
                json!([{"labels": {"alertname": "A"}, "generatorURL": "not a url"}]),
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
    fn go_request_uris() {
        for ok in [
            "http://x/a b",
            "foo:bar",
            "mailto:a@b",
            "/graph",
            "http://[::1]:9090/x",
            "http://u@h:80/%41",
        ] {
            assert!(is_go_request_uri(ok), "{ok}");
        }
        for bad in [
            "a b",
            "%zz",
            "://x",
            "http://[::1",
            "http://x\u{0}",
            "http://x y",
            "graph",
        ] {
            assert!(!is_go_request_uri(bad), "{bad}");
        }
    }

    #[test]
    fn messages_name_the_field_path() {
        let f = check_alerts(&json!([{"labels": {"alertname": "A", "a-b": "x"}}]));
        assert_eq!(
            f[0].message,
            "[0].labels.a-b: expected a label name matching [a-zA-Z_][a-zA-Z0-9_]*, found \"a-b\""
        );
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
