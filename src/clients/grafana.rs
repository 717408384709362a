//! Grafana HTTP API, sans-IO: `POST /api/dashboards/db` request and the meaning of each response.
//!
//! Owns the body Grafana expects (`dashboard` with `id: null`, `folderUid`, `message`, `overwrite`) and
//! one clear line per documented status (200, 400, 401, 403, 412 version-mismatch / name-exists /
//! plugin-dashboard). Sends nothing itself; see [`super::http::Executor`].

use serde::Serialize;
use serde_json::{Value, json};

use super::http::{Method, Request, Response};
use crate::secret::Secret;

/// `POST /api/dashboards/db`.
pub const PUSH_PATH: &str = "/api/dashboards/db";

/// What to push.
#[derive(Debug, Clone)]
pub struct PushParams<'a> {
    /// The dashboard model (its `id` is replaced by `null`: ids belong to one Grafana instance).
    pub dashboard: &'a Value,
    /// Target folder uid; `None` is the General folder.
    pub folder_uid: Option<&'a str>,
    /// Replace a dashboard with the same uid or title even if its version differs.
    pub overwrite: bool,
    /// Version-history message.
    pub message: Option<&'a str>,
}

/// The JSON body for `POST /api/dashboards/db`.
pub fn push_body(params: &PushParams<'_>) -> Value {
    let mut dashboard = params.dashboard.clone();
    if let Some(obj) = dashboard.as_object_mut() {
        obj.insert("id".into(), Value::Null);
    }
    let mut body = json!({ "dashboard": dashboard, "overwrite": params.overwrite });
    if let Some(folder) = params.folder_uid {
        body["folderUid"] = json!(folder);
    }
    if let Some(message) = params.message {
        body["message"] = json!(message);
    }
    body
}

/// The request for a push, with the bearer token.
pub fn push_request(params: &PushParams<'_>, token: &Secret) -> Request {
    let mut req = Request::new(Method::Post, PUSH_PATH);
    req.bearer = Some(token.clone());
    req.body = Some(push_body(params));
    req
}

/// A successful push (200).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Pushed {
    pub id: Option<i64>,
    pub uid: String,
    /// Path of the dashboard below the Grafana URL, e.g. `/d/abc/title`.
    pub url: String,
    pub version: i64,
    pub status: String,
    pub slug: Option<String>,
}

/// A push Grafana did not accept: one variant per documented status.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PushError {
    #[error("grafana rejected dashboard {uid:?} (400 bad request): {message}")]
    BadRequest { uid: String, message: String },
    #[error(
        "grafana refused the token (401 unauthorized): check GRAFANA_API_TOKEN or --token-file ({message})"
    )]
    Unauthorized { message: String },
    #[error(
        "the token may not save dashboard {uid:?} (403 forbidden): it needs dashboards:write on the target folder ({message})"
    )]
    Forbidden { uid: String, message: String },
    #[error(
        "dashboard {uid:?} was changed in grafana since this version (412 version-mismatch): rerun with --overwrite to replace it"
    )]
    VersionMismatch { uid: String, message: String },
    #[error(
        "another dashboard in the folder is already named like {uid:?} (412 name-exists): rename it or rerun with --overwrite"
    )]
    NameExists { uid: String, message: String },
    #[error(
        "dashboard {uid:?} belongs to a plugin (412 plugin-dashboard): rerun with --overwrite to replace it"
    )]
    PluginDashboard { uid: String, message: String },
    #[error("grafana answered {status} for dashboard {uid:?}: {message}")]
    Unexpected {
        uid: String,
        status: u16,
        message: String,
    },
    #[error(
        "grafana answered 200 for dashboard {uid:?} but the body is not a save result: {message}"
    )]
    BadSuccessBody { uid: String, message: String },
}

impl PushError {
    /// The HTTP status this error came from.
    pub fn status(&self) -> u16 {
        match self {
            PushError::BadRequest { .. } => 400,
            PushError::Unauthorized { .. } => 401,
            PushError::Forbidden { .. } => 403,
            PushError::VersionMismatch { .. }
            | PushError::NameExists { .. }
            | PushError::PluginDashboard { .. } => 412,
            PushError::Unexpected { status, .. } => *status,
            PushError::BadSuccessBody { .. } => 200,
        }
    }
}

/// Interprets the response to a push of the dashboard with `uid`.
///
/// # Errors
/// Every status but 200, and a 200 whose body lacks `uid`, `url` or `version`.
pub fn parse_push_response(uid: &str, resp: &Response) -> Result<Pushed, PushError> {
    let uid = uid.to_string();
    let message = resp.error_message();
    match resp.status {
        200 => {
            let body = resp.body_json();
            let s = |k: &str| body.get(k).and_then(Value::as_str).map(str::to_string);
            match (
                s("uid"),
                s("url"),
                body.get("version").and_then(Value::as_i64),
            ) {
                (Some(uid), Some(url), Some(version)) => Ok(Pushed {
                    id: body.get("id").and_then(Value::as_i64),
                    uid,
                    url,
                    version,
                    status: s("status").unwrap_or_else(|| "success".into()),
                    slug: s("slug"),
                }),
                _ => Err(PushError::BadSuccessBody {
                    uid,
                    message: crate::clients::http::reason(&resp.body),
                }),
            }
        }
        400 => Err(PushError::BadRequest { uid, message }),
        401 => Err(PushError::Unauthorized { message }),
        403 => Err(PushError::Forbidden { uid, message }),
        412 => {
            let status = resp
                .body_json()
                .get("status")
                .and_then(Value::as_str)
                .map(str::to_string);
            match status.as_deref() {
                Some("version-mismatch") => Err(PushError::VersionMismatch { uid, message }),
                Some("name-exists") => Err(PushError::NameExists { uid, message }),
                Some("plugin-dashboard") => Err(PushError::PluginDashboard { uid, message }),
                _ => Err(PushError::Unexpected {
                    uid,
                    status: 412,
                    message,
                }),
            }
        }
        status => Err(PushError::Unexpected {
            uid,
            status,
            message,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn push_request_shape() {
        let d = json!({"id": 7, "uid": "u1", "title": "T"});
        let params = PushParams {
            dashboard: &d,
            folder_uid: Some("f1"),
            overwrite: false,
            message: Some("m"),
        };
        let req = push_request(&params, &Secret::new("tok"));
        assert_eq!(req.method, Method::Post);
        assert_eq!(req.path_and_query(), "/api/dashboards/db");
        assert_eq!(req.bearer.as_ref().map(Secret::expose), Some("tok"));
        assert_eq!(
            req.body,
            Some(
                json!({"dashboard": {"id": null, "uid": "u1", "title": "T"}, "folderUid": "f1",
                        "message": "m", "overwrite": false})
            )
        );
        let general = PushParams {
            dashboard: &d,
            folder_uid: None,
            overwrite: true,
            message: None,
        };
        assert_eq!(
            push_body(&general),
            json!({"dashboard": {"id": null, "uid": "u1", "title": "T"}, "overwrite": true})
        );
    }

    #[test]
    fn each_status_has_one_clear_line() {
        let r = |status, body: &str| {
            parse_push_response(
                "u1",
                &Response {
                    status,
                    body: body.into(),
                },
            )
        };
        let ok = r(
            200,
            r#"{"id":1,"uid":"u1","url":"/d/u1/t","status":"success","version":3,"slug":"t"}"#,
        );
        assert_eq!(ok.unwrap().version, 3);
        let cases = [
            (
                400,
                r#"{"message":"Dashboard title cannot be empty"}"#,
                "400 bad request): Dashboard title cannot be empty",
            ),
            (401, r#"{"message":"Unauthorized"}"#, "401 unauthorized"),
            (403, r#"{"message":"Access denied"}"#, "403 forbidden"),
            (
                412,
                r#"{"message":"The dashboard has been changed by someone else","status":"version-mismatch"}"#,
                "--overwrite",
            ),
            (
                412,
                r#"{"message":"A dashboard with the same name in the folder already exists","status":"name-exists"}"#,
                "412 name-exists",
            ),
            (
                412,
                r#"{"message":"...","status":"plugin-dashboard"}"#,
                "412 plugin-dashboard",
            ),
            (
                500,
                r#"{"message":"Internal Server Error"}"#,
                "grafana answered 500",
            ),
            (200, r#"{"status":"success"}"#, "not a save result"),
        ];
        for (status, body, needle) in cases {
            let line = r(status, body).unwrap_err().to_string();
            assert!(line.contains(needle), "{status}: {line}");
            assert!(!line.contains('\n'), "{line}");
        }
    }
}
