//! Grafana HTTP API, sans-IO: `POST /api/dashboards/db` request and the meaning of each response.
//!
//! Owns the body Grafana expects (`dashboard` with `id: null`, `folderUid`, `message`, `overwrite`) and
//! one clear line per documented status (200, 400, 401, 403, 412 version-mismatch / name-exists /
//! plugin-dashboard). Also the versions API: `GET /api/dashboards/uid/{uid}/versions` (Grafana ≤ 11
//! answers an array, 12+ `{"continueToken","versions":[…]}`) and `POST /api/dashboards/uid/{uid}/restore`
//! with `{"version": N}` (200 save result; 401; 403; 404 dashboard or version not found). Sends
//! nothing itself; see [`super::http::Executor`].

use crate::json;
use crate::value::Value;
use serde::Serialize;

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

/// Whether `uid` is a Grafana dashboard uid (letters, digits, `-`, `_`, at most 40 characters), so
/// it can go into a path unescaped.
pub fn valid_uid(uid: &str) -> bool {
    !uid.is_empty()
        && uid.len() <= 40
        && uid
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// `GET /api/dashboards/uid/{uid}/versions`.
pub fn versions_path(uid: &str) -> String {
    format!("/api/dashboards/uid/{uid}/versions")
}

/// `POST /api/dashboards/uid/{uid}/restore`.
pub fn restore_path(uid: &str) -> String {
    format!("/api/dashboards/uid/{uid}/restore")
}

/// The request listing a dashboard's saved versions (newest first, as Grafana returns them).
pub fn versions_request(uid: &str, token: &Secret) -> Request {
    let mut req = Request::new(Method::Get, versions_path(uid));
    req.bearer = Some(token.clone());
    req
}

/// The request restoring `version` of dashboard `uid`: body `{"version": N}`.
pub fn restore_request(uid: &str, version: i64, token: &Secret) -> Request {
    let mut req = Request::new(Method::Post, restore_path(uid));
    req.bearer = Some(token.clone());
    req.body = Some(json!({ "version": version }));
    req
}

/// One entry of the versions list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VersionInfo {
    pub id: Option<i64>,
    pub version: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_by: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// A versions or restore request Grafana did not answer with 200.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VersionsError {
    #[error(
        "grafana refused the token (401 unauthorized): check GRAFANA_API_TOKEN or --token-file ({message})"
    )]
    Unauthorized { message: String },
    #[error(
        "the token may not restore dashboard {uid:?} (403 forbidden): it needs dashboards:write ({message})"
    )]
    Forbidden { uid: String, message: String },
    #[error("grafana has no dashboard {uid:?} (404 not found): {message}")]
    DashboardNotFound { uid: String, message: String },
    #[error(
        "grafana has no version {version} of dashboard {uid:?} (404 not found): {message}; list them with GET /api/dashboards/uid/{uid}/versions"
    )]
    VersionNotFound {
        uid: String,
        version: i64,
        message: String,
    },
    #[error("grafana answered {status} for dashboard {uid:?}: {message}")]
    Unexpected {
        uid: String,
        status: u16,
        message: String,
    },
    #[error("grafana answered 200 for dashboard {uid:?} but the body is not {what}: {message}")]
    BadSuccessBody {
        uid: String,
        what: &'static str,
        message: String,
    },
}

fn versions_error(uid: &str, restoring: Option<i64>, resp: &Response) -> VersionsError {
    let uid = uid.to_string();
    let message = resp.error_message();
    match resp.status {
        401 => VersionsError::Unauthorized { message },
        403 => VersionsError::Forbidden { uid, message },
        404 => match restoring {
            // Grafana's restore says "Dashboard not found" or "Dashboard version not found".
            Some(version) if message.to_ascii_lowercase().contains("version") => {
                VersionsError::VersionNotFound {
                    uid,
                    version,
                    message,
                }
            }
            _ => VersionsError::DashboardNotFound { uid, message },
        },
        status => VersionsError::Unexpected {
            uid,
            status,
            message,
        },
    }
}

/// Interprets the versions list of dashboard `uid` (array or `{"versions": […]}`), newest first.
///
/// # Errors
/// Every status but 200, and a 200 body that is not a versions list.
pub fn parse_versions_response(
    uid: &str,
    resp: &Response,
) -> Result<Vec<VersionInfo>, VersionsError> {
    if resp.status != 200 {
        return Err(versions_error(uid, None, resp));
    }
    let body = resp.body_json();
    let list = body
        .as_array()
        .or_else(|| body.get("versions").and_then(Value::as_array));
    let bad = || VersionsError::BadSuccessBody {
        uid: uid.to_string(),
        what: "a versions list",
        message: crate::clients::http::reason(&resp.body),
    };
    let mut out = Vec::new();
    for v in list.ok_or_else(bad)? {
        let s = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
        out.push(VersionInfo {
            id: v.get("id").and_then(Value::as_i64),
            version: v.get("version").and_then(Value::as_i64).ok_or_else(bad)?,
            created: s("created"),
            created_by: s("createdBy"),
            message: s("message").filter(|m| !m.is_empty()),
        });
    }
    out.sort_by_key(|v| std::cmp::Reverse(v.version));
    Ok(out)
}

/// Interprets the answer to restoring `version` of dashboard `uid`: the save result of the new
/// version Grafana wrote with the old content.
///
/// # Errors
/// Every status but 200 (404 tells an unknown dashboard from an unknown version by Grafana's
/// message), and a 200 whose body lacks `uid`, `url` or `version`.
pub fn parse_restore_response(
    uid: &str,
    version: i64,
    resp: &Response,
) -> Result<Pushed, VersionsError> {
    if resp.status != 200 {
        return Err(versions_error(uid, Some(version), resp));
    }
    parse_push_response(uid, resp).map_err(|_| VersionsError::BadSuccessBody {
        uid: uid.to_string(),
        what: "a save result",
        message: crate::clients::http::reason(&resp.body),
    })
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

    #[test]
    fn versions_and_restore_requests() {
        let t = Secret::new("tok");
        assert!(valid_uid("media-clustering_1") && !valid_uid("a/b") && !valid_uid(""));
        let r = versions_request("u1", &t);
        assert_eq!(r.method, Method::Get);
        assert_eq!(r.path_and_query(), "/api/dashboards/uid/u1/versions");
        assert_eq!(r.body, None);
        let r = restore_request("u1", 4, &t);
        assert_eq!(r.method, Method::Post);
        assert_eq!(r.path_and_query(), "/api/dashboards/uid/u1/restore");
        assert_eq!(r.body, Some(json!({"version": 4})));
        assert_eq!(r.bearer.as_ref().map(Secret::expose), Some("tok"));
    }

    #[test]
    fn versions_lists_in_both_shapes_newest_first() {
        let r = |status, body: &str| Response {
            status,
            body: body.into(),
        };
        let old = r(
            200,
            r#"[{"id":1,"version":1,"message":""},{"id":2,"version":2,"createdBy":"admin"}]"#,
        );
        let new = r(
            200,
            r#"{"continueToken":"","versions":[{"id":2,"version":2},{"id":1,"version":1}]}"#,
        );
        for resp in [old, new] {
            let v = parse_versions_response("u1", &resp).unwrap();
            assert_eq!(v.iter().map(|v| v.version).collect::<Vec<_>>(), [2, 1]);
        }
        let e = parse_versions_response("u1", &r(404, r#"{"message":"Dashboard not found"}"#));
        assert!(matches!(e, Err(VersionsError::DashboardNotFound { .. })));
        let e = parse_versions_response("u1", &r(401, r#"{"message":"invalid API key"}"#));
        assert!(matches!(e, Err(VersionsError::Unauthorized { .. })));
        let e = parse_versions_response("u1", &r(200, r#"{"x":1}"#));
        assert!(matches!(e, Err(VersionsError::BadSuccessBody { .. })));
        let e = parse_restore_response(
            "u1",
            9,
            &r(404, r#"{"message":"Dashboard version not found"}"#),
        );
        assert!(matches!(
            e,
            Err(VersionsError::VersionNotFound { version: 9, .. })
        ));
        let ok = parse_restore_response(
            "u1",
            1,
            &r(
                200,
                r#"{"id":1,"uid":"u1","url":"/d/u1/t","status":"success","version":5,"slug":"t"}"#,
            ),
        );
        assert_eq!(ok.unwrap().version, 5);
    }
}
