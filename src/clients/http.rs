//! The request value every API client builds (Grafana, Alertmanager, Argo CD), the response it
//! parses, and the one reqwest executor.
//!
//! Owns the HTTP edge: joining a base URL with a path and query, sending with rustls (ring provider,
//! verification on unless a caller opts out), classifying why no response came, and recording each
//! exchange for evidence without headers (the bearer token never leaves [`Secret`]). Knows no API's
//! paths or error bodies: those are the callers'.

use std::time::Duration;

use crate::value::Value;
use serde::Serialize;

use crate::secret::Secret;

/// An HTTP method used by the clients.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Method {
    Get,
    Post,
    Delete,
}

impl Method {
    /// `"GET"`, `"POST"` or `"DELETE"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Delete => "DELETE",
        }
    }
}

/// A request, built by a pure function and sent by [`Executor::send`]. `Debug` shows the token as `***`.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    pub method: Method,
    /// Path below the base URL, starting with `/`, already percent-encoded where needed.
    pub path: String,
    /// Query pairs in order (repeated keys allowed, e.g. Alertmanager's `filter`).
    pub query: Vec<(String, String)>,
    /// `Authorization: Bearer` value, if any.
    pub bearer: Option<Secret>,
    /// JSON body, if any (sent with `Content-Type: application/json`).
    pub body: Option<Value>,
}

impl Request {
    /// A request with no query, token or body.
    pub fn new(method: Method, path: impl Into<String>) -> Self {
        Request {
            method,
            path: path.into(),
            query: Vec::new(),
            bearer: None,
            body: None,
        }
    }

    /// The path and query as they go on the wire, e.g. `/api/v2/alerts?filter=a%3D%22b%22`.
    pub fn path_and_query(&self) -> String {
        if self.query.is_empty() {
            return self.path.clone();
        }
        let q = reqwest::Url::parse("http://x/")
            .map(|mut u| {
                u.query_pairs_mut().extend_pairs(self.query.iter());
                u.query().unwrap_or_default().to_string()
            })
            .unwrap_or_default();
        format!("{}?{q}", self.path)
    }

    /// The full URL: `base` (any path prefix kept, trailing `/` ignored) + path + query.
    ///
    /// # Errors
    /// When `base` is not an absolute http(s) URL.
    pub fn url(&self, base: &str) -> Result<reqwest::Url, HttpError> {
        let parsed = parse_base(base)?;
        let joined = format!(
            "{}{}",
            parsed.as_str().trim_end_matches('/'),
            self.path_and_query()
        );
        reqwest::Url::parse(&joined).map_err(|e| HttpError::InvalidUrl {
            url: base.to_string(),
            reason: e.to_string(),
        })
    }
}

/// Checks that `base` is an absolute http or https URL.
///
/// # Errors
/// When it is not.
pub fn parse_base(base: &str) -> Result<reqwest::Url, HttpError> {
    let url = reqwest::Url::parse(base).map_err(|e| HttpError::InvalidUrl {
        url: base.to_string(),
        reason: e.to_string(),
    })?;
    if url.scheme() != "http" && url.scheme() != "https" {
        return Err(HttpError::InvalidUrl {
            url: base.to_string(),
            reason: format!("scheme {:?} is not http or https", url.scheme()),
        });
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(HttpError::InvalidUrl {
            url: base.to_string(),
            reason: "a base URL takes no query or fragment".into(),
        });
    }
    Ok(url)
}

/// A response: status code and body text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    pub status: u16,
    pub body: String,
}

impl Response {
    /// The body as JSON, or as a JSON string holding the text when it is not JSON (or `null` when empty).
    pub fn body_json(&self) -> Value {
        if self.body.trim().is_empty() {
            return Value::Null;
        }
        serde_json::from_str(&self.body).unwrap_or_else(|_| Value::String(self.body.clone()))
    }

    /// The body as evidence records it: JSON where it parses, else (an HTML error page, garbage)
    /// one safe line ([`reason`]), never a whole page.
    pub fn evidence_body(&self) -> Value {
        match self.body_json() {
            Value::String(_) => Value::String(reason(&self.body)),
            v => v,
        }
    }

    /// The server's error message as one safe line ([`reason`]): a JSON string body, an object's
    /// `message` (or `error`), else the text.
    pub fn error_message(&self) -> String {
        reason(&self.body)
    }
}

/// The longest server reason `rollout` prints, in characters.
pub const MAX_REASON_CHARS: usize = 200;

/// A server's error body as one line a terminal and a ticket can take: a JSON body's `message`
/// (or `error`, or `reason`), an HTML page's title or its text without tags, whitespace collapsed,
/// control bytes escaped, at most [`MAX_REASON_CHARS`] characters, and scrubbed of tokens,
/// `Authorization` values and URL user-info ([`crate::mask::scrub`]).
pub fn reason(body: &str) -> String {
    let text = match serde_json::from_str::<Value>(body) {
        _ if body.trim().is_empty() => return String::from("(empty body)"),
        Ok(Value::String(s)) => s,
        Ok(Value::Object(o)) => ["message", "error", "reason"]
            .iter()
            .find_map(|k| o.get(*k).and_then(Value::as_str).filter(|s| !s.is_empty()))
            .map(str::to_string)
            .unwrap_or_else(|| Value::Object(o).to_string()),
        Ok(other) => other.to_string(),
        Err(_) => strip_html(body),
    };
    let masked = crate::mask::scrub(&text).into_owned();
    let mut out = String::new();
    let mut last_space = true;
    for c in masked.chars() {
        if c.is_whitespace() {
            if !last_space {
                out.push(' ');
            }
            last_space = true;
            continue;
        }
        last_space = false;
        if c.is_control() || c == '\u{fffd}' || ('\u{80}'..='\u{9f}').contains(&c) {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    let out = out.trim_end();
    if out.chars().count() > MAX_REASON_CHARS {
        let cut: String = out.chars().take(MAX_REASON_CHARS - 1).collect();
        format!("{cut}…")
    } else if out.is_empty() {
        String::from("(empty body)")
    } else {
        out.to_string()
    }
}

/// The text of an HTML page: its `<title>` when it has one, else the text between tags (scripts and
/// styles dropped). Anything that does not look like HTML is returned as it is.
fn strip_html(body: &str) -> String {
    let lower = body.to_ascii_lowercase();
    if !(lower.contains("<html")
        || lower.contains("<!doctype")
        || lower.contains("<body")
        || lower.contains("<title")
        || lower.contains("</"))
    {
        return body.to_string();
    }
    if let Some(start) = lower.find("<title")
        && let Some(open_end) = lower[start..].find('>')
        && let Some(end) = lower[start..].find("</title")
        && open_end < end
    {
        let title = body[start + open_end + 1..start + end].trim();
        if !title.is_empty() {
            return title.to_string();
        }
    }
    let mut out = String::new();
    let mut rest = body;
    let mut skip_until: Option<&str> = None;
    while let Some(lt) = rest.find('<') {
        if skip_until.is_none() {
            out.push_str(&rest[..lt]);
            out.push(' ');
        }
        let tag_end = rest[lt..]
            .find('>')
            .map(|i| lt + i + 1)
            .unwrap_or(rest.len());
        let tag = rest[lt..tag_end].to_ascii_lowercase();
        match skip_until {
            Some(close) if tag.starts_with(close) => skip_until = None,
            None if tag.starts_with("<script") => skip_until = Some("</script"),
            None if tag.starts_with("<style") => skip_until = Some("</style"),
            _ => {}
        }
        rest = &rest[tag_end..];
    }
    if skip_until.is_none() {
        out.push_str(rest);
    }
    out.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&nbsp;", " ")
        .replace("&amp;", "&")
}

/// One request and its response as recorded in evidence: no headers, so no token.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Exchange {
    /// When the request was sent (RFC 3339, UTC).
    pub at: String,
    pub method: Method,
    /// Path and query, without the base URL.
    pub path: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_body: Option<Value>,
    /// HTTP status, or `None` when no response came (connection refused, timeout).
    pub status: Option<u16>,
    /// Response body (JSON where it parsed), or the transport error.
    pub response_body: Value,
}

/// Transport-level failures. HTTP error statuses are not errors here: API parsers judge them.
#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    /// The base URL is not usable.
    #[error("invalid URL {url:?}: {reason}")]
    InvalidUrl { url: String, reason: String },
    /// The HTTP client could not be built.
    #[error("cannot build the HTTP client: {0}")]
    Client(#[source] reqwest::Error),
    /// No response: connection refused, DNS, TLS or timeout.
    #[error("{method} {url}: no response ({reason})")]
    Unreachable {
        method: &'static str,
        url: String,
        /// Kind and deepest cause, e.g. `connection failed: Connection refused (os error 111)`.
        reason: String,
        /// The same failure, classified for callers that word it themselves.
        kind: NoResponse,
    },
    /// The async runtime could not start.
    #[error("cannot start the async runtime: {0}")]
    Runtime(String),
}

/// Why no response came, classified from the transport error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NoResponse {
    /// Nothing listens at the address.
    Refused,
    /// The TLS handshake failed; rustls' reason.
    Tls(String),
    /// A TLS handshake was answered in plain HTTP: the URL should say `http://`.
    PlainHttp,
    /// No complete answer within the time allowed.
    Timeout,
    /// Any other connection failure (DNS, reset); the innermost cause.
    Connect(String),
    /// The connection broke while sending or reading; the innermost cause.
    Broken(String),
}

/// How an [`Executor`] connects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Config {
    /// Limit for a whole request; `None`: each call passes its own to [`Executor::fetch`].
    pub timeout: Option<Duration>,
    /// Limit for connecting.
    pub connect_timeout: Duration,
    /// Skip TLS certificate verification (Argo CD's `--insecure`). Off by default everywhere.
    pub insecure: bool,
}

/// Installs rustls' ring crypto provider once per process (a second install is a no-op).
pub fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// Sends [`Request`]s to one base URL with reqwest; [`Executor::send`] also records each exchange.
#[derive(Debug)]
pub struct Executor {
    client: reqwest::Client,
    base: String,
    /// Every exchange sent with [`Executor::send`] so far, in order.
    pub exchanges: Vec<Exchange>,
}

impl Executor {
    /// An executor for `base` with a per-request timeout (also the connect timeout), verifying TLS.
    ///
    /// # Errors
    /// When `base` is not an http(s) URL or the client cannot be built.
    pub fn new(base: &str, timeout: Duration) -> Result<Self, HttpError> {
        Self::with_config(
            base,
            Config {
                timeout: Some(timeout),
                connect_timeout: timeout,
                insecure: false,
            },
        )
    }

    /// An executor for `base` as `config` says. Installs the rustls ring provider once.
    ///
    /// # Errors
    /// When `base` is not an http(s) URL or the client cannot be built.
    pub fn with_config(base: &str, config: Config) -> Result<Self, HttpError> {
        parse_base(base)?;
        install_crypto_provider();
        let mut builder = reqwest::Client::builder()
            // A redirect would turn a POST into a GET (and send it to another place); nothing is
            // followed, and a 3xx answer says where the server pointed.
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(config.connect_timeout)
            .user_agent(concat!("rollout/", env!("CARGO_PKG_VERSION")));
        if let Some(timeout) = config.timeout {
            builder = builder.timeout(timeout);
        }
        if config.insecure {
            builder = builder.tls_danger_accept_invalid_certs(true);
        }
        let client = builder.build().map_err(HttpError::Client)?;
        Ok(Executor {
            client,
            base: base.to_string(),
            exchanges: Vec::new(),
        })
    }

    /// The base URL this executor sends to.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// Sends one request without recording it; `timeout` (if any) bounds the whole answer.
    ///
    /// # Errors
    /// [`HttpError::Unreachable`] when no HTTP response arrives; any status code is `Ok`.
    pub async fn fetch(
        &self,
        req: &Request,
        timeout: Option<Duration>,
    ) -> Result<Response, HttpError> {
        let url = req.url(&self.base)?;
        let method = match req.method {
            Method::Get => reqwest::Method::GET,
            Method::Post => reqwest::Method::POST,
            Method::Delete => reqwest::Method::DELETE,
        };
        let mut builder = self
            .client
            .request(method, url.clone())
            .header("Accept", "application/json");
        if let Some(timeout) = timeout {
            builder = builder.timeout(timeout);
        }
        if let Some(token) = &req.bearer {
            builder = builder.bearer_auth(token.expose());
        }
        if let Some(body) = &req.body {
            builder = builder.json(body);
        }
        // Retries never run past the time this call was given.
        let deadline = timeout.map(|t| std::time::Instant::now() + t);
        let mut attempt = 0;
        loop {
            let Some(mut b) = builder.try_clone() else {
                return self.fetch_once(builder, req, &url).await.map(|(r, _)| r);
            };
            if let Some(d) = deadline {
                let left = d.saturating_duration_since(std::time::Instant::now());
                b = b.timeout(left.max(Duration::from_millis(1)));
            }
            let (resp, asked) = self.fetch_once(b, req, &url).await?;
            match retry_after(req.method, &resp, asked, attempt) {
                Some(wait) if deadline.is_none_or(|d| std::time::Instant::now() + wait < d) => {
                    attempt += 1;
                    tokio::time::sleep(wait).await;
                }
                _ => return Ok(resp),
            }
        }
    }

    async fn fetch_once(
        &self,
        builder: reqwest::RequestBuilder,
        req: &Request,
        url: &reqwest::Url,
    ) -> Result<(Response, Option<Duration>), HttpError> {
        let result = async {
            let resp = builder.send().await?;
            let status = resp.status().as_u16();
            let location = resp
                .headers()
                .get(reqwest::header::LOCATION)
                .and_then(|l| l.to_str().ok())
                .map(str::to_string);
            let retry = resp
                .headers()
                .get(reqwest::header::RETRY_AFTER)
                .and_then(|l| l.to_str().ok())
                .map(str::to_string);
            let body = read_capped(resp).await?;
            let body = match (status, location) {
                (300..=399, loc) => crate::json!({
                    "message": format!(
                        "redirected to {} and not followed: rollout sends {} requests only to the URL it is given; give the final URL",
                        loc.as_deref().map(crate::mask::url).unwrap_or_else(|| "(no Location)".into()),
                        req.method.as_str()
                    )
                })
                .to_string(),
                _ => body,
            };
            let asked = retry.as_deref().and_then(parse_retry_after);
            Ok::<_, reqwest::Error>((Response { status, body }, asked))
        }
        .await;
        result.map_err(|e| HttpError::Unreachable {
            method: req.method.as_str(),
            url: crate::mask::url(url.as_str()),
            reason: describe_transport_error(&e),
            kind: classify(&e),
        })
    }

    /// Sends one request and records the exchange (also when no response came).
    ///
    /// # Errors
    /// [`HttpError::Unreachable`] when no HTTP response arrives; any status code is `Ok`.
    pub async fn send(&mut self, req: &Request) -> Result<Response, HttpError> {
        let at = now_rfc3339();
        let result = self.fetch(req, None).await;
        let (status, response_body) = match &result {
            // A body that is not JSON (an HTML error page, garbage) is recorded as one safe line.
            Ok(resp) => (Some(resp.status), resp.evidence_body()),
            Err(HttpError::Unreachable { reason, .. }) => {
                (None, Value::String(format!("no response: {reason}")))
            }
            Err(_) => return result,
        };
        self.exchanges.push(Exchange {
            at,
            method: req.method,
            path: req.path_and_query(),
            request_body: req.body.clone(),
            status,
            response_body,
        });
        result
    }
}

/// How many times a request is re-sent after a 429 or 5xx answer.
pub const MAX_RETRIES: u32 = 3;
/// The longest wait between two attempts (a longer `Retry-After` is cut to this).
pub const MAX_RETRY_WAIT: Duration = Duration::from_secs(10);

/// The wait before re-sending `req` after `resp`, or `None` to hand the answer back. 429 and 503
/// (the server did not take the request) are retried for every method; other 5xx for GET only (a
/// POST may have been carried out). `Retry-After` is honoured (capped at [`MAX_RETRY_WAIT`]), else
/// the backoff doubles from 250ms; at most [`MAX_RETRIES`] times.
fn retry_after(
    method: Method,
    resp: &Response,
    asked: Option<Duration>,
    attempt: u32,
) -> Option<Duration> {
    let retryable = match resp.status {
        429 | 503 => true,
        500..=599 => method == Method::Get,
        _ => false,
    };
    if !retryable || attempt >= MAX_RETRIES {
        return None;
    }
    let backoff = Duration::from_millis(250 << attempt);
    Some(asked.unwrap_or(backoff).min(MAX_RETRY_WAIT))
}

/// `Retry-After`: delay seconds or an HTTP date.
pub fn parse_retry_after(v: &str) -> Option<Duration> {
    let v = v.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let t = jiff::fmt::rfc2822::parse(v).ok()?.timestamp();
    let now = jiff::Timestamp::now();
    let d = t.duration_since(now);
    Some(Duration::try_from(d).unwrap_or(Duration::ZERO))
}

/// The largest response body read; the rest is dropped (an error body only needs its start, and
/// a success body this large is no API answer `rollout` expects).
pub const MAX_BODY_BYTES: usize = 32 * 1024 * 1024;

async fn read_capped(mut resp: reqwest::Response) -> Result<String, reqwest::Error> {
    let mut bytes = Vec::new();
    while let Some(chunk) = resp.chunk().await? {
        let room = MAX_BODY_BYTES.saturating_sub(bytes.len());
        bytes.extend_from_slice(&chunk[..chunk.len().min(room)]);
        if room <= chunk.len() {
            break;
        }
    }
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// Classifies a transport error: timeout, TLS, refused, other connect failure, broken connection.
fn classify(e: &reqwest::Error) -> NoResponse {
    if e.is_timeout() {
        return NoResponse::Timeout;
    }
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(s) = source {
        if let Some(t) = s.downcast_ref::<rustls::Error>() {
            return if is_plain_http_answer(t) {
                NoResponse::PlainHttp
            } else {
                NoResponse::Tls(t.to_string())
            };
        }
        if let Some(io) = s.downcast_ref::<std::io::Error>() {
            if io.kind() == std::io::ErrorKind::ConnectionRefused {
                return NoResponse::Refused;
            }
            // io::Error's source() skips the error it wraps; step into it instead.
            if let Some(inner) = io.get_ref() {
                source = Some(inner);
                continue;
            }
        }
        source = s.source();
    }
    let detail = innermost(e);
    if e.is_connect() {
        NoResponse::Connect(detail)
    } else {
        NoResponse::Broken(detail)
    }
}

/// True when rustls' error means the peer answered the TLS hello with something that is not TLS:
/// a plain-HTTP server's `HTTP/1.1 400 …` reads as a record of an invalid content type.
fn is_plain_http_answer(e: &rustls::Error) -> bool {
    matches!(
        e,
        rustls::Error::InvalidMessage(rustls::InvalidMessage::InvalidContentType)
    )
}

/// The same URL with `https://` turned into `http://` (what to pass when the server answered in
/// plain HTTP).
pub fn plain_http_url(url: &str) -> String {
    match url.strip_prefix("https://") {
        Some(rest) => format!("http://{rest}"),
        None => url.to_string(),
    }
}

/// The innermost cause's message (the error's own when it has no source).
fn innermost(e: &(dyn std::error::Error + 'static)) -> String {
    let mut last = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        last = s.to_string();
        source = s.source();
    }
    last
}

fn describe_transport_error(e: &reqwest::Error) -> String {
    if classify(e) == NoResponse::PlainHttp {
        return "the server answered in plain HTTP, not TLS: use an http:// URL".to_string();
    }
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "connection failed"
    } else {
        "request failed"
    };
    if std::error::Error::source(e).is_some() {
        format!("{kind}: {}", innermost(e))
    } else {
        kind.to_string()
    }
}

/// The current time as RFC 3339 UTC with second precision.
pub fn now_rfc3339() -> String {
    format_time(jiff::Timestamp::now())
}

/// A timestamp as RFC 3339 UTC with second precision (`2026-11-27T10:00:00Z`).
pub fn format_time(t: jiff::Timestamp) -> String {
    t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// Runs `future` to completion on a fresh current-thread tokio runtime (the commands are synchronous;
/// only their HTTP edge is async).
///
/// # Errors
/// When the runtime cannot be started.
pub fn block_on<F: std::future::Future>(future: F) -> Result<F::Output, HttpError> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| HttpError::Runtime(e.to_string()))?;
    Ok(rt.block_on(future))
}

#[cfg(test)]
mod issue_11 {
    use super::*;

    #[test]
    fn issue_11_server_error_bodies_become_one_safe_line() {
        crate::mask::register("tok-abcdef-123456");
        let cases = [
            ("", "(empty body)"),
            (r#"{"message":"no\nsuch\tthing"}"#, "no such thing"),
            (
                "<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>",
                "502 Bad Gateway",
            ),
            (
                "<html><body><h1>Oops</h1><script>x()</script><p>a &amp; b</p></body></html>",
                "Oops a & b",
            ),
            ("bell\u{7}esc\u{1b}[31m", "bell\\u{7}esc\\u{1b}[31m"),
            (
                "Authorization: Bearer tok-abcdef-123456",
                "Authorization: Bearer ***",
            ),
            ("see https://user:pw@host/x", "see https://***@host/x"),
        ];
        for (body, want) in cases {
            assert_eq!(reason(body), want, "{body:?}");
        }
        let long = reason(&"y".repeat(10_000));
        assert_eq!(long.chars().count(), MAX_REASON_CHARS);
        let garbage = reason(&String::from_utf8_lossy(&[0xff, 0xfe, 0x00, 0x01, b'a']));
        assert!(!garbage.chars().any(char::is_control), "{garbage:?}");
    }

    #[test]
    fn issue_11_retries_are_bounded_and_honour_retry_after() {
        let r = |status| Response {
            status,
            body: String::new(),
        };
        assert_eq!(
            retry_after(Method::Get, &r(429), None, 0),
            Some(Duration::from_millis(250))
        );
        assert_eq!(
            retry_after(Method::Get, &r(500), None, 1),
            Some(Duration::from_millis(500))
        );
        assert_eq!(
            retry_after(Method::Post, &r(429), Some(Duration::from_secs(2)), 0),
            Some(Duration::from_secs(2))
        );
        assert_eq!(
            retry_after(Method::Post, &r(503), Some(Duration::from_secs(99)), 0),
            Some(MAX_RETRY_WAIT)
        );
        // A POST that got a 500 may have been carried out: not re-sent.
        assert_eq!(retry_after(Method::Post, &r(500), None, 0), None);
        assert_eq!(retry_after(Method::Get, &r(404), None, 0), None);
        assert_eq!(retry_after(Method::Get, &r(503), None, MAX_RETRIES), None);
        assert_eq!(parse_retry_after("7"), Some(Duration::from_secs(7)));
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon"), None);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_keeps_base_path_prefix_and_encodes_query() {
        let mut r = Request::new(Method::Get, "/api/v2/alerts");
        r.query = vec![
            ("filter".into(), "env=\"staging\"".into()),
            ("active".into(), "true".into()),
        ];
        let url = r.url("https://am.example/prefix/").unwrap();
        assert_eq!(
            url.as_str(),
            "https://am.example/prefix/api/v2/alerts?filter=env%3D%22staging%22&active=true"
        );
        assert_eq!(
            r.path_and_query(),
            "/api/v2/alerts?filter=env%3D%22staging%22&active=true"
        );
    }

    #[test]
    fn bad_base_urls_are_errors() {
        for bad in ["grafana.local", "ftp://x", "http://x/?a=1", ""] {
            assert!(parse_base(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn debug_of_a_request_hides_the_token() {
        let mut r = Request::new(Method::Post, "/api/dashboards/db");
        r.bearer = Some(Secret::new("glsa_supersecret"));
        assert!(!format!("{r:?}").contains("supersecret"));
    }

    #[test]
    fn error_message_forms() {
        let r = |body: &str| {
            Response {
                status: 400,
                body: body.into(),
            }
            .error_message()
        };
        assert_eq!(
            r("\"at least one label pair required\"\n"),
            "at least one label pair required"
        );
        assert_eq!(
            r(r#"{"code":602,"message":"labels in body is required"}"#),
            "labels in body is required"
        );
        assert_eq!(r("plain text"), "plain text");
        assert_eq!(r(""), "(empty body)");
    }

    #[test]
    fn a_refused_connection_is_classified_once_for_every_caller() {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .unwrap();
        let mut exec =
            Executor::new(&format!("http://127.0.0.1:{port}"), Duration::from_secs(5)).unwrap();
        let err = block_on(exec.send(&Request::new(Method::Get, "/x")))
            .unwrap()
            .unwrap_err();
        let HttpError::Unreachable { reason, kind, .. } = &err else {
            panic!("{err:?}")
        };
        assert_eq!(kind, &NoResponse::Refused);
        assert!(reason.starts_with("connection failed: "), "{reason}");
        assert_eq!(
            exec.exchanges.len(),
            1,
            "recorded although no response came"
        );
        assert_eq!(exec.exchanges[0].status, None);
    }
}
