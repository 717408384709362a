//! A scripted fake Argo CD API server for tests (never used by src/).
//!
//! It configures the scripted core in `fake_http.rs`: each step names the method, the path (and
//! query) and the reply: a status code with Argo CD's JSON body, `Hang` (accept the request and
//! never answer, as a server that stopped responding) or `GoAway`. A mismatch or an extra request
//! gets a 500 with Argo CD's error body. `finish` waits, under a timeout, until the script is used
//! up and returns the requests seen, panicking on errors or on steps that were never requested.
//!
//! Bodies copy the shapes of Argo CD v2/v3 `GET /api/v1/applications/{name}` and its gRPC-gateway
//! error body `{"error","code","message"}`.

use serde_json::{Value, json};

pub use super::fake_http::Reply;
use super::fake_http::{FakeServer, Step};

/// `GET /api/v1/applications/{app}` answered with `reply`.
pub fn get(app: &str, reply: Reply) -> Step {
    Step::reply("GET", format!("/api/v1/applications/{app}"), reply)
}

/// `POST /api/v1/applications/{app}/sync` answered with `reply`.
pub fn sync(app: &str, reply: Reply) -> Step {
    Step::reply("POST", format!("/api/v1/applications/{app}/sync"), reply)
}

/// A request the fake received.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub target: String,
    pub authorization: Option<String>,
    pub body: Option<Value>,
}

/// The running fake: the shared core, answering a mismatch as Argo CD answers an internal error.
pub struct FakeArgo(FakeServer);

impl FakeArgo {
    /// Starts listening on 127.0.0.1 (a free port) and serves `script`.
    pub fn start(script: Vec<Step>) -> FakeArgo {
        FakeArgo(FakeServer::start_with(script, |msg| {
            Reply::Json(500, error_body(13, msg))
        }))
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        self.0.url.clone()
    }

    /// Waits (up to 10 s) until every step was requested; returns what was seen. Panics on any
    /// unexpected request or on steps never requested.
    pub fn finish(self) -> Vec<Seen> {
        let recorded = self
            .0
            .finish()
            .unwrap_or_else(|e| panic!("fake Argo CD: {e}"));
        recorded
            .into_iter()
            .map(|r| Seen {
                authorization: r.header("authorization").map(str::to_string),
                body: serde_json::from_str(&r.body).ok(),
                method: r.method,
                target: r.path,
            })
            .collect()
    }
}

// ---------------------------------------------------------------------------------------------
// Argo CD's bodies
// ---------------------------------------------------------------------------------------------

/// Argo CD's error body for a gRPC `code`.
pub fn error_body(code: i64, message: &str) -> Value {
    json!({"error": message, "code": code, "message": message})
}

/// 404 as Argo CD answers for an unknown Application.
pub fn not_found(app: &str) -> Reply {
    Reply::Json(
        404,
        error_body(5, &format!("applications.argoproj.io \"{app}\" not found")),
    )
}

/// 401 as Argo CD answers for a bad token.
pub fn unauthorized() -> Reply {
    Reply::Json(
        401,
        error_body(16, "invalid session: token signature is invalid"),
    )
}

/// 400 FailedPrecondition for a sync while an operation runs.
pub fn operation_in_progress() -> Reply {
    Reply::Json(
        400,
        error_body(9, "another operation is already in progress"),
    )
}

/// The revision the fake's app is at.
pub const REVISION: &str = "4f2a9c1e0b7d5a3c8e6f1b2d4a6c8e0f1a3b5c7d";

/// One resource in `status.resources`.
pub fn resource(kind: &str, name: &str, sync: &str, health: Option<(&str, &str)>) -> Value {
    let group = if kind == "Deployment" { "apps" } else { "" };
    let mut r = json!({"group": group, "version": "v1", "kind": kind, "namespace": "media",
                       "name": name, "status": sync});
    if let Some((status, message)) = health {
        r["health"] = if message.is_empty() {
            json!({"status": status})
        } else {
            json!({"status": status, "message": message})
        };
    }
    r
}

/// An Application as `GET /api/v1/applications/{name}` returns it.
/// `op`: `(phase, startedAt, message)` of `status.operationState`; `pending`: a top-level
/// `operation` is set (requested, not finished).
pub fn app(
    name: &str,
    sync: &str,
    health: &str,
    op: Option<(&str, &str, &str)>,
    pending: bool,
    resources: Vec<Value>,
) -> Value {
    let mut v = json!({
        "metadata": {"name": name, "namespace": "argocd", "uid": "0b6a2f1e-5b1f-4a34-9b1e-2d4c6f8a0b1c",
                     "resourceVersion": "123456", "generation": 42,
                     "creationTimestamp": "2026-11-01T09:00:00Z"},
        "spec": {"project": "default",
                 "source": {"repoURL": "https://github.com/sploot/media-deploy.git",
                            "path": if name.ends_with("-rollback") { "overlays/staging-rollback" } else { "overlays/staging" },
                            "targetRevision": "main"},
                 "destination": {"server": "https://kubernetes.default.svc", "namespace": "media"},
                 "syncPolicy": {"syncOptions": ["CreateNamespace=false"]}},
        "status": {
            "sync": {"status": sync, "revision": REVISION,
                     "comparedTo": {"source": {"repoURL": "https://github.com/sploot/media-deploy.git",
                                               "path": "overlays/staging", "targetRevision": "main"},
                                    "destination": {"server": "https://kubernetes.default.svc", "namespace": "media"}}},
            "health": {"status": health},
            "resources": resources,
            "reconciledAt": "2026-11-27T10:00:00Z",
            "sourceType": "Kustomize",
            "summary": {"images": ["sploot/auth-service:1.8.0", "sploot/embedder:2.3.1"]}
        }
    });
    if let Some((phase, started, message)) = op {
        let mut state = json!({
            "operation": {"sync": {"revision": REVISION, "syncOptions": ["CreateNamespace=false"]},
                          "initiatedBy": {"username": "rollout"}, "retry": {}},
            "phase": phase, "message": message, "startedAt": started,
            "syncResult": {"revision": REVISION, "resources": [],
                           "source": {"repoURL": "https://github.com/sploot/media-deploy.git",
                                      "path": "overlays/staging", "targetRevision": "main"}}
        });
        if matches!(phase, "Succeeded" | "Failed" | "Error") {
            state["finishedAt"] = json!(started);
        }
        v["status"]["operationState"] = state;
    }
    if pending {
        v["operation"] =
            json!({"sync": {"revision": REVISION}, "initiatedBy": {"username": "rollout"}});
    }
    v
}
