//! Sans-IO core of the Argo CD REST client: pure functions that build [`Request`] values (the
//! shared [`crate::clients::http`] ones), read responses, normalise the server URL and word every
//! failure for Argo CD. No sockets, no async, no environment: the shared executor sends.
//!
//! Paths and bodies follow Argo CD's `ApplicationService` gateway (`/api/v1/applications`).

use std::time::Duration;

use crate::json;
use crate::value::Value;

use crate::clients::http::{HttpError, NoResponse};
pub use crate::clients::http::{Method, Request};
use crate::secret::Secret;

/// `POST /api/v1/applications/{name}/sync` parameters (Argo CD's `ApplicationSyncRequest`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncParams {
    /// Revision to sync to; `None` keeps the Application's `targetRevision`.
    pub revision: Option<String>,
    /// Delete resources no longer in git.
    pub prune: bool,
    /// Ask Argo CD for a dry run (`kubectl apply --dry-run`).
    pub dry_run: bool,
    /// Per-sync options, e.g. `ApplyOutOfSyncOnly=true`.
    pub sync_options: Vec<String>,
}

/// `?refresh=` of `GET /api/v1/applications/{name}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refresh {
    /// Re-compare with git (cached manifests).
    Normal,
    /// Regenerate manifests too.
    Hard,
}

/// Builds `POST /api/v1/applications/{name}/sync`.
pub fn sync_request(app: &str, params: &SyncParams, token: &Secret) -> Request {
    let mut body = crate::value::Map::new();
    body.insert("name".into(), json!(app));
    if let Some(rev) = &params.revision {
        body.insert("revision".into(), json!(rev));
    }
    body.insert("prune".into(), json!(params.prune));
    body.insert("dryRun".into(), json!(params.dry_run));
    if !params.sync_options.is_empty() {
        body.insert("syncOptions".into(), json!({"items": params.sync_options}));
    }
    Request {
        body: Some(Value::Object(body)),
        bearer: Some(token.clone()),
        ..Request::new(Method::Post, format!("/api/v1/applications/{app}/sync"))
    }
}

/// Builds `GET /api/v1/applications/{name}`, optionally asking for a refresh.
pub fn get_request(app: &str, refresh: Option<Refresh>, token: &Secret) -> Request {
    let query = match refresh {
        None => vec![],
        Some(Refresh::Normal) => vec![("refresh".into(), "normal".into())],
        Some(Refresh::Hard) => vec![("refresh".into(), "hard".into())],
    };
    Request {
        query,
        bearer: Some(token.clone()),
        ..Request::new(Method::Get, format!("/api/v1/applications/{app}"))
    }
}

/// Argo CD's error body, `{"error","code","message"}` (gRPC status code in `code`).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
pub struct ApiErrorBody {
    /// Error text (same as `message` in current servers).
    #[serde(default)]
    pub error: String,
    /// gRPC status code: 5 NotFound, 7 PermissionDenied, 9 FailedPrecondition, 16 Unauthenticated.
    #[serde(default)]
    pub code: i64,
    /// Error text.
    #[serde(default)]
    pub message: String,
}

impl ApiErrorBody {
    /// Reads an error body; a body that is not Argo CD's JSON becomes `message` (first 200 chars).
    /// Either way each text is one safe line ([`crate::clients::http::reason`]).
    pub fn parse(body: &str) -> Self {
        let reason = crate::clients::http::reason;
        match serde_json::from_str::<ApiErrorBody>(body) {
            Ok(b) => ApiErrorBody {
                error: if b.error.is_empty() {
                    b.error
                } else {
                    reason(&crate::value::Value::String(b.error).to_string())
                },
                code: b.code,
                message: if b.message.is_empty() {
                    b.message
                } else {
                    reason(&crate::value::Value::String(b.message).to_string())
                },
            },
            Err(_) => ApiErrorBody {
                message: reason(body),
                ..Default::default()
            },
        }
    }

    /// The best text to show: `message`, else `error`.
    pub fn text(&self) -> &str {
        if self.message.is_empty() {
            &self.error
        } else {
            &self.message
        }
    }

    /// True for Argo CD's "another operation is already in progress" (FailedPrecondition).
    pub fn is_operation_in_progress(&self) -> bool {
        self.text()
            .contains("another operation is already in progress")
    }
}

/// An answer from Argo CD that is not a success.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    /// 401: token missing, expired or wrong.
    #[error("argo cd rejected the token (401 unauthorized: {}); check ARGOCD_AUTH_TOKEN or --token-file", .0.text())]
    Unauthorized(ApiErrorBody),
    /// 403: the token's account may not do this.
    #[error("argo cd denied access to application {app} (403 forbidden: {}); the token's account needs the `applications, sync` and `get` permissions", .body.text())]
    Forbidden {
        /// The Application.
        app: String,
        /// The body.
        body: ApiErrorBody,
    },
    /// 404: no such Application (or no such API: wrong `--server`).
    #[error("application {app} not found (404: {}); check the name with `argocd app list` and --server", .body.text())]
    NotFound {
        /// The Application.
        app: String,
        /// The body.
        body: ApiErrorBody,
    },
    /// A sync was requested while another operation runs.
    #[error("another operation is already in progress on application {app} ({})", .body.text())]
    OperationInProgress {
        /// The Application.
        app: String,
        /// The body.
        body: ApiErrorBody,
    },
    /// Any other non-2xx status.
    #[error("argo cd answered {status} for application {app}: {}", .body.text())]
    Status {
        /// The Application.
        app: String,
        /// HTTP status.
        status: u16,
        /// The body.
        body: ApiErrorBody,
    },
    /// A 2xx answer whose body is not an Application.
    #[error(
        "argo cd answered {status} for application {app} with a body that is not JSON: {detail}"
    )]
    BadBody {
        /// The Application.
        app: String,
        /// HTTP status.
        status: u16,
        /// What the JSON parser said.
        detail: String,
    },
}

impl ApiError {
    /// The HTTP status this error came with.
    pub fn status(&self) -> u16 {
        match self {
            ApiError::Unauthorized(_) => 401,
            ApiError::Forbidden { .. } => 403,
            ApiError::NotFound { .. } => 404,
            ApiError::OperationInProgress { .. } => 400,
            ApiError::Status { status, .. } | ApiError::BadBody { status, .. } => *status,
        }
    }

    /// True for errors worth retrying while waiting (server-side trouble, not our request).
    pub fn is_transient(&self) -> bool {
        matches!(self, ApiError::Status { status, .. } if *status >= 500 || *status == 429)
    }
}

/// Reads a response: a 2xx JSON body becomes the Application value, anything else an [`ApiError`].
///
/// # Errors
/// Any non-2xx status, or a 2xx body that is not JSON.
pub fn read_response(app: &str, status: u16, body: &str) -> Result<Value, ApiError> {
    let app = app.to_string();
    if (200..300).contains(&status) {
        return serde_json::from_str(body).map_err(|e| ApiError::BadBody {
            app,
            status,
            detail: e.to_string(),
        });
    }
    let body = ApiErrorBody::parse(body);
    Err(match status {
        401 => ApiError::Unauthorized(body),
        403 => ApiError::Forbidden { app, body },
        404 => ApiError::NotFound { app, body },
        _ if body.is_operation_in_progress() => ApiError::OperationInProgress { app, body },
        _ => ApiError::Status { app, status, body },
    })
}

/// Failure to get an answer from Argo CD, or an answer that is an error.
#[derive(Debug, thiserror::Error)]
pub enum CallError {
    /// The server URL cannot be used.
    #[error("invalid Argo CD server {url:?}: {detail}")]
    BadServer {
        /// What was given.
        url: String,
        /// Why it is invalid.
        detail: String,
    },
    /// Nothing listens at the server's address.
    #[error("cannot connect to Argo CD at {server}: connection refused")]
    Refused {
        /// The server URL.
        server: String,
    },
    /// The TLS handshake failed (certificate not trusted, wrong name, not TLS).
    #[error(
        "TLS handshake with Argo CD at {server} failed: {detail}; fix the certificate or pass --insecure to skip verification"
    )]
    Tls {
        /// The server URL.
        server: String,
        /// rustls' reason.
        detail: String,
    },
    /// The server answered the TLS handshake in plain HTTP (a URL without a scheme means https).
    #[error(
        "Argo CD at {server} answered in plain HTTP, not TLS: pass --server {} (not --insecure)",
        crate::clients::http::plain_http_url(server)
    )]
    PlainHttp {
        /// The server URL.
        server: String,
    },
    /// Any other connection failure (DNS, reset).
    #[error("cannot connect to Argo CD at {server}: {detail}")]
    Connect {
        /// The server URL.
        server: String,
        /// Cause.
        detail: String,
    },
    /// No answer within the time allowed for this request.
    #[error("Argo CD at {server} did not answer within {}", crate::duration::format(*.after))]
    Timeout {
        /// The server URL.
        server: String,
        /// The time allowed.
        after: Duration,
    },
    /// The connection broke while sending or reading.
    #[error("request to Argo CD at {server} failed: {detail}")]
    Transport {
        /// The server URL.
        server: String,
        /// Cause.
        detail: String,
    },
    /// Argo CD answered with an error status or an unreadable body.
    #[error(transparent)]
    Api(#[from] ApiError),
}

impl CallError {
    /// Words a shared-executor failure for Argo CD at `server`; `after` is the time the request
    /// was allowed.
    pub fn from_http(server: &str, after: Duration, e: HttpError) -> Self {
        let server = server.to_string();
        match e {
            HttpError::Unreachable { kind, .. } => match kind {
                NoResponse::Refused => CallError::Refused { server },
                NoResponse::Tls(detail) => CallError::Tls { server, detail },
                NoResponse::PlainHttp => CallError::PlainHttp { server },
                NoResponse::Timeout => CallError::Timeout { server, after },
                NoResponse::Connect(detail) => CallError::Connect { server, detail },
                NoResponse::Broken(detail) => CallError::Transport { server, detail },
            },
            HttpError::Client(e) => CallError::BadServer {
                url: server,
                detail: e.to_string(),
            },
            HttpError::InvalidUrl { reason, .. } => CallError::BadServer {
                url: server,
                detail: reason,
            },
            HttpError::Runtime(detail) => CallError::Transport { server, detail },
        }
    }

    /// True for failures worth retrying while waiting: the server is away or overloaded. An answer
    /// that rejects the request (401/403/404/400) or a TLS failure is not transient.
    pub fn is_transient(&self) -> bool {
        match self {
            CallError::Refused { .. }
            | CallError::Connect { .. }
            | CallError::Timeout { .. }
            | CallError::Transport { .. } => true,
            CallError::Api(e) => e.is_transient(),
            CallError::BadServer { .. } | CallError::Tls { .. } | CallError::PlainHttp { .. } => {
                false
            }
        }
    }
}

/// Normalises a server as given to `--server` or `ARGOCD_SERVER`: `host[:port]` gets `https://`,
/// a trailing `/` is dropped.
///
/// # Errors
/// An empty value, a scheme other than http/https, or a URL with a path, query or credentials.
pub fn server_url(given: &str) -> Result<String, CallError> {
    let bad = |detail: &str| CallError::BadServer {
        url: given.to_string(),
        detail: detail.into(),
    };
    let trimmed = given.trim().trim_end_matches('/');
    if trimmed.is_empty() {
        return Err(bad("empty; pass --server URL or set ARGOCD_SERVER"));
    }
    let with_scheme = if trimmed.contains("://") {
        trimmed.to_string()
    } else {
        format!("https://{trimmed}")
    };
    let url = reqwest::Url::parse(&with_scheme).map_err(|e| bad(&e.to_string()))?;
    if url.scheme() != "https" && url.scheme() != "http" {
        return Err(bad("scheme must be https or http"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(bad(
            "credentials in the URL are not accepted; use ARGOCD_AUTH_TOKEN or --token-file",
        ));
    }
    if url.query().is_some() || url.path() != "/" {
        return Err(bad("give only scheme, host and port"));
    }
    Ok(with_scheme)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sync_request_has_argo_cd_path_and_body() {
        let token = Secret::new("t0ken");
        let params = SyncParams {
            revision: Some("4f2a9c1".into()),
            prune: true,
            dry_run: false,
            sync_options: vec!["ApplyOutOfSyncOnly=true".into()],
        };
        let r = sync_request("media-staging", &params, &token);
        assert_eq!(r.method, Method::Post);
        assert_eq!(r.path, "/api/v1/applications/media-staging/sync");
        assert!(r.query.is_empty());
        assert_eq!(
            r.body.unwrap(),
            json!({"name": "media-staging", "revision": "4f2a9c1", "prune": true, "dryRun": false,
                   "syncOptions": {"items": ["ApplyOutOfSyncOnly=true"]}})
        );
        let bare = sync_request("a", &SyncParams::default(), &token);
        assert_eq!(
            bare.body.unwrap(),
            json!({"name": "a", "prune": false, "dryRun": false})
        );
    }

    #[test]
    fn get_request_and_refresh_query() {
        let token = Secret::new("t0ken");
        let r = get_request("media-staging", None, &token);
        assert_eq!(
            (r.method, r.path.as_str()),
            (Method::Get, "/api/v1/applications/media-staging")
        );
        assert!(r.query.is_empty() && r.body.is_none());
        let r = get_request("x", Some(Refresh::Hard), &token);
        assert_eq!(r.query, vec![("refresh".to_string(), "hard".to_string())]);
        assert!(
            !format!("{r:?}").contains("t0ken"),
            "request Debug must redact the token"
        );
    }

    #[test]
    fn responses_are_classified_with_their_body() {
        let not_found = r#"{"error":"applications.argoproj.io \"nope\" not found","code":5,"message":"applications.argoproj.io \"nope\" not found"}"#;
        let e = read_response("nope", 404, not_found).unwrap_err();
        assert_eq!(e.status(), 404);
        assert!(
            e.to_string().starts_with(
                "application nope not found (404: applications.argoproj.io \"nope\" not found)"
            ),
            "{e}"
        );

        let busy = r#"{"error":"another operation is already in progress","code":9,"message":"another operation is already in progress"}"#;
        assert!(matches!(
            read_response("a", 400, busy),
            Err(ApiError::OperationInProgress { .. })
        ));

        let e = read_response("a", 401, r#"{"error":"invalid session: token signature is invalid","code":16,"message":"invalid session: token signature is invalid"}"#).unwrap_err();
        assert!(
            e.to_string().contains("401 unauthorized: invalid session"),
            "{e}"
        );

        let e = read_response("a", 502, "<html>Bad Gateway</html>").unwrap_err();
        assert!(e.is_transient());
        assert!(
            e.to_string().contains("502") && e.to_string().contains("Bad Gateway"),
            "{e}"
        );
        assert!(!read_response("a", 400, "{}").unwrap_err().is_transient());

        assert!(matches!(
            read_response("a", 200, "not json"),
            Err(ApiError::BadBody { .. })
        ));
        assert_eq!(
            read_response("a", 200, r#"{"a":1}"#).unwrap(),
            json!({"a": 1})
        );
    }

    #[test]
    fn server_urls_are_normalised_or_rejected() {
        assert_eq!(
            server_url("argocd.example.com").unwrap(),
            "https://argocd.example.com"
        );
        assert_eq!(
            server_url("argocd.example.com:8443/").unwrap(),
            "https://argocd.example.com:8443"
        );
        assert_eq!(
            server_url("http://127.0.0.1:8080").unwrap(),
            "http://127.0.0.1:8080"
        );
        for (bad, want) in [
            ("", "empty"),
            ("ftp://x", "scheme"),
            ("https://user:pw@x", "credentials"),
            ("https://x/argo", "only scheme"),
            ("https://x?a=b", "only scheme"),
        ] {
            let e = server_url(bad).unwrap_err().to_string();
            assert!(e.contains(want), "{bad}: {e}");
        }
    }

    #[test]
    fn transient_errors_are_the_ones_to_retry() {
        let s = || "https://a".to_string();
        assert!(CallError::Refused { server: s() }.is_transient());
        assert!(
            CallError::Timeout {
                server: s(),
                after: Duration::from_secs(1)
            }
            .is_transient()
        );
        assert!(
            !CallError::Tls {
                server: s(),
                detail: "x".into()
            }
            .is_transient()
        );
        assert!(!CallError::Api(ApiError::Unauthorized(Default::default())).is_transient());
    }
}
