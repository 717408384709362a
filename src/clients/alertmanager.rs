//! Alertmanager API v2, sans-IO: silences (create, read, expire) and alerts (post, list).
//!
//! Owns the paths, bodies and status codes of `/api/v2/silences`, `/api/v2/silence/{id}` and
//! `/api/v2/alerts`, and turns error statuses into one-line errors carrying the server's message.
//! Sends nothing itself; see [`super::http::Executor`].

use std::collections::BTreeMap;

use crate::value::Value;
use serde::{Deserialize, Serialize};

use super::http::{Method, Request, Response};

/// A silence matcher (`isEqual: false` negates it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Matcher {
    pub name: String,
    pub value: String,
    pub is_regex: bool,
    #[serde(default = "yes")]
    pub is_equal: bool,
}

fn yes() -> bool {
    true
}

/// The body of `POST /api/v2/silences`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PostableSilence {
    pub matchers: Vec<Matcher>,
    /// RFC 3339.
    pub starts_at: String,
    /// RFC 3339.
    pub ends_at: String,
    pub created_by: String,
    pub comment: String,
}

/// A silence as `GET /api/v2/silence/{id}` returns it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GettableSilence {
    pub id: String,
    pub status: SilenceStatus,
    pub matchers: Vec<Matcher>,
    pub starts_at: String,
    pub ends_at: String,
    #[serde(default)]
    pub created_by: String,
    #[serde(default)]
    pub comment: String,
}

/// `status` of a silence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SilenceStatus {
    /// `pending`, `active` or `expired`.
    pub state: String,
}

/// An alert as `GET /api/v2/alerts` returns it (the fields `rollout` reads).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GettableAlert {
    pub labels: BTreeMap<String, String>,
    #[serde(default)]
    pub annotations: BTreeMap<String, String>,
    #[serde(default, rename = "generatorURL")]
    pub generator_url: String,
    #[serde(default)]
    pub fingerprint: String,
    #[serde(default)]
    pub starts_at: String,
    #[serde(default)]
    pub ends_at: String,
    pub status: AlertStatus,
}

/// `status` of an alert.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AlertStatus {
    /// `unprocessed`, `active` or `suppressed`.
    pub state: String,
    #[serde(default)]
    pub silenced_by: Vec<String>,
    #[serde(default)]
    pub inhibited_by: Vec<String>,
}

/// An Alertmanager answer that is not the documented success.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AlertmanagerError {
    /// An error status, with the server's message.
    #[error("alertmanager rejected {what} ({status}): {message}")]
    Rejected {
        what: &'static str,
        status: u16,
        message: String,
    },
    /// A success status with a body that is not what the API documents.
    #[error("alertmanager answered {what} with an unexpected body: {message}")]
    BadBody { what: &'static str, message: String },
}

fn expect_status(what: &'static str, resp: &Response, ok: u16) -> Result<(), AlertmanagerError> {
    if resp.status == ok {
        Ok(())
    } else {
        Err(AlertmanagerError::Rejected {
            what,
            status: resp.status,
            message: resp.error_message(),
        })
    }
}

fn parse_body<T: for<'de> Deserialize<'de>>(
    what: &'static str,
    resp: &Response,
) -> Result<T, AlertmanagerError> {
    expect_status(what, resp, 200)?;
    serde_json::from_str(&resp.body).map_err(|e| AlertmanagerError::BadBody {
        what,
        message: format!("{e}: {}", crate::clients::http::reason(&resp.body)),
    })
}

/// `POST /api/v2/silences`.
pub fn create_silence_request(silence: &PostableSilence) -> Request {
    let mut req = Request::new(Method::Post, "/api/v2/silences");
    req.body = crate::value::to_value(silence).ok();
    req
}

/// The new silence's id from a `POST /api/v2/silences` response (200 `{"silenceID": …}`).
///
/// # Errors
/// Any other status, or a body without `silenceID`.
pub fn parse_silence_created(resp: &Response) -> Result<String, AlertmanagerError> {
    const WHAT: &str = "the silence";
    expect_status(WHAT, resp, 200)?;
    resp.body_json()
        .get("silenceID")
        .and_then(Value::as_str)
        .filter(|id| !id.is_empty())
        .map(str::to_string)
        .ok_or_else(|| AlertmanagerError::BadBody {
            what: WHAT,
            message: crate::clients::http::reason(&resp.body),
        })
}

fn silence_path(id: &str) -> String {
    let safe: String = id
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .collect();
    format!("/api/v2/silence/{safe}")
}

/// `GET /api/v2/silence/{id}`.
pub fn get_silence_request(id: &str) -> Request {
    Request::new(Method::Get, silence_path(id))
}

/// The silence from a `GET /api/v2/silence/{id}` response.
///
/// # Errors
/// Any status but 200 (404: no such silence), or an unexpected body.
pub fn parse_silence(resp: &Response) -> Result<GettableSilence, AlertmanagerError> {
    parse_body("the silence lookup", resp)
}

/// `DELETE /api/v2/silence/{id}`: expires the silence.
pub fn expire_silence_request(id: &str) -> Request {
    Request::new(Method::Delete, silence_path(id))
}

/// Checks a `DELETE /api/v2/silence/{id}` response (200).
///
/// # Errors
/// Any other status (404 unknown id; 500 for a silence that already expired).
pub fn parse_silence_expired(resp: &Response) -> Result<(), AlertmanagerError> {
    expect_status("expiring the silence", resp, 200)
}

/// `GET /api/v2/silences`: every silence Alertmanager holds (active, pending and expired).
pub fn list_silences_request() -> Request {
    Request::new(Method::Get, "/api/v2/silences")
}

/// The silences from a `GET /api/v2/silences` response.
///
/// # Errors
/// Any status but 200, or an unexpected body.
pub fn parse_silences(resp: &Response) -> Result<Vec<GettableSilence>, AlertmanagerError> {
    parse_body("the silence listing", resp)
}

/// `POST /api/v2/alerts` with a postableAlerts array.
pub fn post_alerts_request(alerts: &Value) -> Request {
    let mut req = Request::new(Method::Post, "/api/v2/alerts");
    req.body = Some(alerts.clone());
    req
}

/// Checks a `POST /api/v2/alerts` response (200, empty body).
///
/// # Errors
/// Any other status: 400 (e.g. "at least one label pair required"), 422 (schema), 500.
pub fn parse_alerts_posted(resp: &Response) -> Result<(), AlertmanagerError> {
    expect_status("the alerts", resp, 200)
}

/// `GET /api/v2/alerts` for alerts matching every `label=value` pair, in every state.
pub fn list_alerts_request(equal_labels: &[(&str, &str)]) -> Request {
    let mut req = Request::new(Method::Get, "/api/v2/alerts");
    for (name, value) in equal_labels {
        let quoted = serde_json::to_string(value).unwrap_or_default();
        req.query
            .push(("filter".into(), format!("{name}={quoted}")));
    }
    for flag in ["active", "silenced", "inhibited", "unprocessed"] {
        req.query.push((flag.into(), "true".into()));
    }
    req
}

/// The alerts from a `GET /api/v2/alerts` response.
///
/// # Errors
/// Any status but 200, or an unexpected body.
pub fn parse_alerts(resp: &Response) -> Result<Vec<GettableAlert>, AlertmanagerError> {
    parse_body("the alert listing", resp)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json;

    #[test]
    fn silence_requests() {
        let s = PostableSilence {
            matchers: vec![Matcher {
                name: "alertname".into(),
                value: "A|B".into(),
                is_regex: true,
                is_equal: true,
            }],
            starts_at: "2026-11-27T10:00:00Z".into(),
            ends_at: "2026-11-27T10:05:00Z".into(),
            created_by: "rollout".into(),
            comment: "c".into(),
        };
        let req = create_silence_request(&s);
        assert_eq!(
            (req.method, req.path_and_query().as_str()),
            (Method::Post, "/api/v2/silences")
        );
        assert_eq!(
            req.body,
            Some(
                json!({"matchers": [{"name": "alertname", "value": "A|B", "isRegex": true, "isEqual": true}],
                        "startsAt": "2026-11-27T10:00:00Z", "endsAt": "2026-11-27T10:05:00Z",
                        "createdBy": "rollout", "comment": "c"})
            )
        );
        assert_eq!(get_silence_request("ab-12").path, "/api/v2/silence/ab-12");
        assert_eq!(expire_silence_request("../x").path, "/api/v2/silence/x");
        assert_eq!(expire_silence_request("ab").method, Method::Delete);
    }

    #[test]
    fn list_alerts_query() {
        let req = list_alerts_request(&[("environment", "staging"), ("synthetic", "true")]);
        assert_eq!(
            req.path_and_query(),
            "/api/v2/alerts?filter=environment%3D%22staging%22&filter=synthetic%3D%22true%22\
             &active=true&silenced=true&inhibited=true&unprocessed=true"
        );
    }

    #[test]
    fn responses() {
        let r = |status, body: &str| Response {
            status,
            body: body.into(),
        };
        assert_eq!(
            parse_silence_created(&r(200, r#"{"silenceID":"abc"}"#)).unwrap(),
            "abc"
        );
        assert!(matches!(
            parse_silence_created(&r(200, "{}")),
            Err(AlertmanagerError::BadBody { .. })
        ));
        let e = parse_alerts_posted(&r(400, "\"at least one label pair required\"")).unwrap_err();
        assert_eq!(
            e.to_string(),
            "alertmanager rejected the alerts (400): at least one label pair required"
        );
        assert!(parse_alerts_posted(&r(200, "")).is_ok());
        let alerts = parse_alerts(&r(
            200,
            r#"[{"labels":{"alertname":"A"},"fingerprint":"f","startsAt":"s","endsAt":"e","updatedAt":"u",
                 "annotations":{},"receivers":[{"name":"null"}],
                 "status":{"state":"suppressed","silencedBy":["id1"],"inhibitedBy":[]}}]"#,
        ))
        .unwrap();
        assert_eq!(alerts[0].status.silenced_by, vec!["id1".to_string()]);
        assert!(parse_silence_expired(&r(500, "\"silence already expired\"")).is_err());
    }
}
