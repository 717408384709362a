//! A fake Grafana HTTP API for `POST /api/dashboards/db`, with the real responses (Grafana 10/11
//! `pkg/api/dashboard.go`): 200 save result, 400, 401, 403 and 412 version-mismatch / name-exists;
//! and the versions API (`GET /api/dashboards/uid/{uid}/versions`, array as in Grafana ≤ 11 or
//! `{"continueToken","versions"}` as in 12; `POST /api/dashboards/uid/{uid}/restore` with
//! `{"version": N}`: 200 save result, 401, 404 "Dashboard not found" / "Dashboard version not found").

use super::fake_http::{FakeServer, Step};

pub const PUSH: &str = "/api/dashboards/db";

/// 200: `{"id","uid","url","status":"success","version","slug"}`.
pub fn saved(uid: &str, slug: &str, version: i64) -> Step {
    Step::new(
        "POST",
        PUSH,
        200,
        format!(
            r#"{{"id":42,"uid":"{uid}","url":"/d/{uid}/{slug}","status":"success","version":{version},"slug":"{slug}"}}"#
        ),
    )
}

/// 400 with Grafana's message.
pub fn bad_request(message: &str) -> Step {
    Step::new("POST", PUSH, 400, format!(r#"{{"message":"{message}"}}"#))
}

/// 401 as Grafana sends it for an invalid API key.
pub fn unauthorized() -> Step {
    Step::new(
        "POST",
        PUSH,
        401,
        r#"{"message":"invalid API key","traceID":""}"#,
    )
}

/// 403 for a token without dashboards:write.
pub fn forbidden() -> Step {
    Step::new(
        "POST",
        PUSH,
        403,
        r#"{"accessErrorId":"ACE0000000001","message":"You'll need additional permissions to perform this action. Permissions needed: dashboards:write","title":"Access denied"}"#,
    )
}

/// 412 `version-mismatch`.
pub fn version_mismatch() -> Step {
    Step::new(
        "POST",
        PUSH,
        412,
        r#"{"message":"The dashboard has been changed by someone else","status":"version-mismatch"}"#,
    )
}

/// 412 `name-exists`.
pub fn name_exists() -> Step {
    Step::new(
        "POST",
        PUSH,
        412,
        r#"{"message":"A dashboard with the same name in the folder already exists","status":"name-exists"}"#,
    )
}

/// `GET /api/dashboards/uid/{uid}/versions`.
pub fn versions_path(uid: &str) -> String {
    format!("/api/dashboards/uid/{uid}/versions")
}

/// `POST /api/dashboards/uid/{uid}/restore`.
pub fn restore_path(uid: &str) -> String {
    format!("/api/dashboards/uid/{uid}/restore")
}

fn version_entries(uid: &str, versions: &[i64]) -> Vec<serde_json::Value> {
    let mut vs = versions.to_vec();
    vs.sort_unstable_by_key(|v| std::cmp::Reverse(*v));
    vs.iter()
        .map(|&v| {
            serde_json::json!({
                "id": v + 100, "dashboardId": 42, "uid": uid, "parentVersion": v - 1,
                "restoredFrom": 0, "version": v, "created": "2026-12-01T10:00:00Z",
                "createdBy": "admin", "message": if v == 1 { "Initial save" } else { "" }
            })
        })
        .collect()
}

/// 200: the versions list as Grafana 9–11 sends it (an array, newest first).
pub fn versions(uid: &str, versions: &[i64]) -> Step {
    let body = serde_json::Value::Array(version_entries(uid, versions));
    Step::new("GET", versions_path(uid), 200, body.to_string())
}

/// 200: the versions list as Grafana 12 sends it (`{"continueToken","versions"}`).
pub fn versions_v12(uid: &str, versions: &[i64]) -> Step {
    let body = serde_json::json!({"continueToken": "", "versions": version_entries(uid, versions)});
    Step::new("GET", versions_path(uid), 200, body.to_string())
}

/// 404 for an unknown dashboard uid, on `method path`.
pub fn dashboard_not_found(method: &'static str, path: String) -> Step {
    Step::new(method, path, 404, r#"{"message":"Dashboard not found"}"#)
}

/// 401 for an invalid API key, on `method path`.
pub fn unauthorized_at(method: &'static str, path: String) -> Step {
    Step::new(
        method,
        path,
        401,
        r#"{"message":"invalid API key","traceID":""}"#,
    )
}

/// 200: restore saved the old content as `new_version`.
pub fn restored(uid: &str, slug: &str, new_version: i64) -> Step {
    Step::new(
        "POST",
        restore_path(uid),
        200,
        format!(
            r#"{{"id":42,"slug":"{slug}","status":"success","uid":"{uid}","url":"/d/{uid}/{slug}","version":{new_version}}}"#
        ),
    )
}

/// 404 for a version Grafana does not hold.
pub fn version_not_found(uid: &str) -> Step {
    Step::new(
        "POST",
        restore_path(uid),
        404,
        r#"{"message":"Dashboard version not found"}"#,
    )
}

/// Starts a fake Grafana following `steps`.
pub fn start(steps: Vec<Step>) -> FakeServer {
    FakeServer::start(steps)
}
