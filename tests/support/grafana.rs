//! A fake Grafana HTTP API for `POST /api/dashboards/db`, with the real responses (Grafana 10/11
//! `pkg/api/dashboard.go`): 200 save result, 400, 401, 403 and 412 version-mismatch / name-exists.

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

/// Starts a fake Grafana following `steps`.
pub fn start(steps: Vec<Step>) -> FakeServer {
    FakeServer::start(steps)
}
