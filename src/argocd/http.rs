//! The thin reqwest executor for [`super::api`] requests. Owns sockets and TLS; builds no request
//! itself and decides nothing about waiting.
//!
//! TLS is rustls with the ring provider and the platform's roots; verification is on unless the
//! caller asks for `insecure`.

use std::time::Duration;

use serde_json::Value;

use super::api::{self, ApiError, Method, Request};

/// Failure to get an answer from Argo CD, or an answer that is an error.
#[derive(Debug, thiserror::Error)]
pub enum HttpError {
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
    /// Any other connection failure (DNS, reset).
    #[error("cannot connect to Argo CD at {server}: {detail}")]
    Connect {
        /// The server URL.
        server: String,
        /// Cause.
        detail: String,
    },
    /// No answer within the time allowed for this request.
    #[error("Argo CD at {server} did not answer within {}s", .after.as_secs_f64())]
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

impl HttpError {
    /// True for failures worth retrying while waiting: the server is away or overloaded. An answer
    /// that rejects the request (401/403/404/400) or a TLS failure is not transient.
    pub fn is_transient(&self) -> bool {
        match self {
            HttpError::Refused { .. }
            | HttpError::Connect { .. }
            | HttpError::Timeout { .. }
            | HttpError::Transport { .. } => true,
            HttpError::Api(e) => e.is_transient(),
            HttpError::BadServer { .. } | HttpError::Tls { .. } => false,
        }
    }
}

/// Normalises a server as given to `--server` or `ARGOCD_SERVER`: `host[:port]` gets `https://`,
/// a trailing `/` is dropped.
///
/// # Errors
/// An empty value, a scheme other than http/https, or a URL with a path, query or credentials.
pub fn server_url(given: &str) -> Result<String, HttpError> {
    let bad = |detail: &str| HttpError::BadServer {
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

/// A connection to one Argo CD server.
#[derive(Debug, Clone)]
pub struct Connection {
    server: String,
    client: reqwest::Client,
}

impl Connection {
    /// Prepares a client for `server` (see [`server_url`]). Installs the rustls ring provider once.
    ///
    /// # Errors
    /// A bad server URL, or a client that cannot be built.
    pub fn new(server: &str, insecure: bool) -> Result<Self, HttpError> {
        let server = server_url(server)?;
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = reqwest::Client::builder()
            .tls_danger_accept_invalid_certs(insecure)
            .connect_timeout(Duration::from_secs(10))
            .user_agent(concat!("rollout/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| HttpError::BadServer {
                url: server.clone(),
                detail: e.to_string(),
            })?;
        Ok(Connection { server, client })
    }

    /// The normalised server URL (no credentials: safe to print and record).
    pub fn server(&self) -> &str {
        &self.server
    }

    /// Sends `req`, waiting at most `timeout` for the whole answer, and reads it with
    /// [`api::read_response`].
    ///
    /// # Errors
    /// See [`HttpError`].
    pub async fn send(
        &self,
        app: &str,
        req: &Request,
        timeout: Duration,
    ) -> Result<Value, HttpError> {
        let mut url =
            reqwest::Url::parse(&format!("{}{}", self.server, req.path)).map_err(|e| {
                HttpError::BadServer {
                    url: self.server.clone(),
                    detail: e.to_string(),
                }
            })?;
        if !req.query.is_empty() {
            url.query_pairs_mut().extend_pairs(&req.query);
        }
        let mut builder = match req.method {
            Method::Get => self.client.get(url),
            Method::Post => self.client.post(url),
        };
        builder = builder
            .timeout(timeout)
            .bearer_auth(req.token.expose())
            .header(reqwest::header::ACCEPT, "application/json");
        if let Some(body) = &req.body {
            builder = builder.json(body);
        }
        let resp = builder
            .send()
            .await
            .map_err(|e| self.classify(e, timeout))?;
        let status = resp.status().as_u16();
        let text = resp.text().await.map_err(|e| self.classify(e, timeout))?;
        Ok(api::read_response(app, status, &text)?)
    }

    fn classify(&self, e: reqwest::Error, timeout: Duration) -> HttpError {
        let server = self.server.clone();
        if e.is_timeout() {
            return HttpError::Timeout {
                server,
                after: timeout,
            };
        }
        let mut source: Option<&(dyn std::error::Error + 'static)> = Some(&e);
        while let Some(s) = source {
            if let Some(t) = s.downcast_ref::<rustls::Error>() {
                return HttpError::Tls {
                    server,
                    detail: t.to_string(),
                };
            }
            if let Some(io) = s.downcast_ref::<std::io::Error>() {
                if io.kind() == std::io::ErrorKind::ConnectionRefused {
                    return HttpError::Refused { server };
                }
                // io::Error's source() skips the error it wraps; step into it instead.
                if let Some(inner) = io.get_ref() {
                    source = Some(inner);
                    continue;
                }
            }
            source = s.source();
        }
        let detail = innermost(&e);
        if e.is_connect() {
            HttpError::Connect { server, detail }
        } else {
            HttpError::Transport { server, detail }
        }
    }
}

fn innermost(e: &(dyn std::error::Error + 'static)) -> String {
    let mut last = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        last = s.to_string();
        source = s.source();
    }
    last
}

#[cfg(test)]
mod tests {
    use super::*;

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
        assert!(HttpError::Refused { server: s() }.is_transient());
        assert!(
            HttpError::Timeout {
                server: s(),
                after: Duration::from_secs(1)
            }
            .is_transient()
        );
        assert!(
            !HttpError::Tls {
                server: s(),
                detail: "x".into()
            }
            .is_transient()
        );
        assert!(!HttpError::Api(ApiError::Unauthorized(Default::default())).is_transient());
    }
}
