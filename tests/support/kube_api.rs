//! A scripted fake Kubernetes API server for tests: real REST paths (`/api`, `/apis`, group
//! resource lists, GET of one object, LIST with `continue`), real `Status` bodies for errors.
//!
//! Each request must match the next step of the script (method, path, query, bearer token); the
//! reply is that step's status and body. A request off-script gets a 400 `Status` and is recorded,
//! so `finish` fails the test; steps never requested fail it too.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// The bearer token the kubeconfig carries; tests assert it never reaches any output.
pub const TOKEN: &str = "fake-kube-token-7f3a9c1e5b";

/// One expected request and its reply.
#[derive(Debug, Clone)]
pub struct Step {
    pub method: &'static str,
    pub path: String,
    /// Decoded query pairs, compared as a set (None: no query expected).
    pub query: Vec<(String, String)>,
    pub status: u16,
    pub body: String,
    /// Wait this long before replying (to test timeouts).
    pub delay: Duration,
    /// A watch: the reply is a chunked stream of these events (each sent after its delay, as
    /// `{"type": ..., "object": ...}` lines), then the stream stays open for `hold` and ends, as
    /// the API server ends a watch at its `timeoutSeconds`.
    pub events: Option<Vec<(Duration, Value)>>,
    /// How long a watch stays open after its last event.
    pub hold: Duration,
}

impl Step {
    pub fn get(path: impl Into<String>, status: u16, body: Value) -> Step {
        Step {
            method: "GET",
            path: path.into(),
            query: vec![],
            status,
            body: body.to_string(),
            delay: Duration::ZERO,
            events: None,
            hold: Duration::ZERO,
        }
    }

    /// A watch request (`GET path?watch=true&...`) answered with `events`: `(delay, type,
    /// object)`, e.g. `(ms(50), "MODIFIED", deployment)`. The stream then stays open for 10 s.
    pub fn watch(path: impl Into<String>, events: Vec<(Duration, &str, Value)>) -> Step {
        Step {
            method: "GET",
            path: path.into(),
            query: vec![],
            status: 200,
            body: String::new(),
            delay: Duration::ZERO,
            events: Some(
                events
                    .into_iter()
                    .map(|(d, t, o)| (d, json!({"type": t, "object": o})))
                    .collect(),
            ),
            hold: Duration::from_secs(10),
        }
    }

    /// How long a watch stays open after its last event.
    pub fn hold(mut self, d: Duration) -> Step {
        self.hold = d;
        self
    }

    pub fn query(mut self, pairs: &[(&str, &str)]) -> Step {
        self.query = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        self
    }

    pub fn delay(mut self, d: Duration) -> Step {
        self.delay = d;
        self
    }
}

#[derive(Default)]
struct State {
    script: Vec<Step>,
    next: usize,
    errors: Vec<String>,
    log: Vec<String>,
}

/// A running fake server.
pub struct FakeKube {
    pub addr: SocketAddr,
    state: Arc<Mutex<State>>,
    _thread: std::thread::JoinHandle<()>,
}

fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
                match u8::from_str_radix(hex, 16) {
                    Ok(b) => {
                        out.push(b);
                        i += 3;
                    }
                    Err(_) => {
                        out.push(b'%');
                        i += 1;
                    }
                }
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn parse_query(q: &str) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = q
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once('=') {
            Some((k, v)) => (decode(k), decode(v)),
            None => (decode(p), String::new()),
        })
        .collect();
    v.sort();
    v
}

fn reason(code: u16) -> &'static str {
    match code {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Status",
    }
}

async fn handle(mut sock: TcpStream, state: Arc<Mutex<State>>) {
    let mut buf = Vec::new();
    loop {
        // Read one request head.
        let head_end = loop {
            if let Some(p) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break p + 4;
            }
            let mut chunk = [0u8; 4096];
            match sock.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        };
        let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
        buf.drain(..head_end);
        let mut lines = head.split("\r\n");
        let request_line = lines.next().unwrap_or("");
        let mut parts = request_line.split(' ');
        let method = parts.next().unwrap_or("").to_string();
        let target = parts.next().unwrap_or("").to_string();
        let headers: BTreeMap<String, String> = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
            .collect();
        let len: usize = headers
            .get("content-length")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        while buf.len() < len {
            let mut chunk = [0u8; 4096];
            match sock.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        }
        buf.drain(..len);
        let (path, query) = match target.split_once('?') {
            Some((p, q)) => (p.to_string(), parse_query(q)),
            None => (target.clone(), vec![]),
        };
        let (status, body, delay, events, hold) = {
            let mut st = state.lock().unwrap();
            st.log.push(format!("{method} {target}"));
            let auth_ok = headers.get("authorization").map(String::as_str)
                == Some(&format!("Bearer {TOKEN}"));
            let step = st.script.get(st.next).cloned();
            match step {
                Some(s)
                    if s.method == method
                        && s.path == path
                        && {
                            let mut q = s.query.clone();
                            q.sort();
                            q == query
                        }
                        && auth_ok =>
                {
                    st.next += 1;
                    (s.status, s.body, s.delay, s.events, s.hold)
                }
                other => {
                    let want = other
                        .map(|s| format!("{} {} {:?}", s.method, s.path, s.query))
                        .unwrap_or_else(|| "nothing (script finished)".into());
                    let msg = format!(
                        "unexpected request {method} {target} (auth ok: {auth_ok}); expected {want}"
                    );
                    st.errors.push(msg.clone());
                    (
                        400,
                        status_body(400, "BadRequest", &msg).to_string(),
                        Duration::ZERO,
                        None,
                        Duration::ZERO,
                    )
                }
            }
        };
        if !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
        if let Some(events) = events {
            // A watch, as the API server streams it: chunked JSON lines, one event per line.
            let head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nAudit-Id: 4f1d\r\n\r\n";
            if sock.write_all(head.as_bytes()).await.is_err() {
                return;
            }
            let _ = sock.flush().await;
            for (d, ev) in events {
                tokio::time::sleep(d).await;
                let line = format!("{ev}\n");
                let chunk = format!("{:x}\r\n{line}\r\n", line.len());
                if sock.write_all(chunk.as_bytes()).await.is_err() {
                    return;
                }
                let _ = sock.flush().await;
            }
            tokio::time::sleep(hold).await;
            let _ = sock.write_all(b"0\r\n\r\n").await;
            return;
        }
        let resp = format!(
            "HTTP/1.1 {status} {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nAudit-Id: 4f1c\r\n\r\n{body}",
            reason(status),
            body.len()
        );
        if sock.write_all(resp.as_bytes()).await.is_err() {
            return;
        }
    }
}

impl FakeKube {
    /// Starts the server on 127.0.0.1 with a script.
    pub fn start(script: Vec<Step>) -> FakeKube {
        let state = Arc::new(Mutex::new(State {
            script,
            ..Default::default()
        }));
        let (tx, rx) = std::sync::mpsc::channel();
        let st = state.clone();
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
                tx.send(listener.local_addr().unwrap()).unwrap();
                loop {
                    let Ok((sock, _)) = listener.accept().await else {
                        return;
                    };
                    tokio::spawn(handle(sock, st.clone()));
                }
            });
        });
        let addr = rx.recv().unwrap();
        FakeKube {
            addr,
            state,
            _thread: thread,
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Writes a real kubeconfig (two contexts; `fake` is current) pointing at this server.
    pub fn kubeconfig(&self, dir: &Path) -> PathBuf {
        write_kubeconfig(dir, &self.url())
    }

    /// The requests received so far (`METHOD target`).
    pub fn log(&self) -> Vec<String> {
        self.state.lock().unwrap().log.clone()
    }

    /// Waits (up to `timeout`) until every step was requested; errors list off-script requests
    /// and steps never requested.
    pub fn finish(&self, timeout: Duration) -> Result<(), String> {
        let start = Instant::now();
        loop {
            {
                let st = self.state.lock().unwrap();
                if st.next == st.script.len() || start.elapsed() > timeout {
                    let mut errs = st.errors.clone();
                    for s in &st.script[st.next..] {
                        errs.push(format!(
                            "never requested: {} {} {:?}",
                            s.method, s.path, s.query
                        ));
                    }
                    return if errs.is_empty() {
                        Ok(())
                    } else {
                        Err(errs.join("\n"))
                    };
                }
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

/// A kubeconfig pointing at `server` with the fake token.
pub fn write_kubeconfig(dir: &Path, server: &str) -> PathBuf {
    let path = dir.join("kubeconfig");
    let text = format!(
        "apiVersion: v1
kind: Config
clusters:
- name: staging
  cluster:
    server: {server}
- name: other
  cluster:
    server: http://127.0.0.1:1
contexts:
- name: fake
  context:
    cluster: staging
    user: ci
    namespace: media
- name: other
  context:
    cluster: other
    user: ci
current-context: fake
users:
- name: ci
  user:
    token: {TOKEN}
"
    );
    std::fs::write(&path, text).unwrap();
    path
}

/// A real `Status` body.
pub fn status_body(code: u16, reason: &str, message: &str) -> Value {
    json!({
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
        "code": code,
    })
}

/// 404 for one object, as the API server writes it.
pub fn not_found(group: &str, plural: &str, name: &str) -> Value {
    let what = if group.is_empty() {
        plural.to_string()
    } else {
        format!("{plural}.{group}")
    };
    let mut s = status_body(404, "NotFound", &format!("{what} \"{name}\" not found"));
    s["details"] = json!({"name": name, "group": group, "kind": plural});
    s
}

/// 403 for a verb on a resource, as RBAC writes it.
pub fn forbidden(
    verb: &str,
    group: &str,
    plural: &str,
    name: Option<&str>,
    namespace: &str,
) -> Value {
    let what = if group.is_empty() {
        plural.to_string()
    } else {
        format!("{plural}.{group}")
    };
    let subject = match name {
        Some(n) => format!("{what} \"{n}\" is forbidden"),
        None => format!("{what} is forbidden"),
    };
    let msg = format!(
        "{subject}: User \"system:serviceaccount:ci:rollout\" cannot {verb} resource \"{plural}\" in API group \"{group}\" in the namespace \"{namespace}\""
    );
    let mut s = status_body(403, "Forbidden", &msg);
    s["details"] = json!({"name": name.unwrap_or(""), "group": group, "kind": plural});
    s
}

/// 500 as the API server writes it.
pub fn internal_error() -> Value {
    status_body(
        500,
        "InternalError",
        "Internal error occurred: etcdserver: request timed out",
    )
}

/// `/api`.
pub fn core_versions() -> Value {
    json!({"kind": "APIVersions", "versions": ["v1"],
        "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": "10.0.0.1:6443"}]})
}

/// `/apis` with these groups (each served at `v1`).
pub fn group_list(groups: &[&str]) -> Value {
    json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": groups.iter().map(|g| json!({
        "name": g,
        "versions": [{"groupVersion": format!("{g}/v1"), "version": "v1"}],
        "preferredVersion": {"groupVersion": format!("{g}/v1"), "version": "v1"},
    })).collect::<Vec<_>>()})
}

/// `/apis` with `(group, version)` pairs, one version per group.
pub fn group_list_versions(groups: &[(&str, &str)]) -> Value {
    json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": groups.iter().map(|(g, v)| json!({
        "name": g,
        "versions": [{"groupVersion": format!("{g}/{v}"), "version": v}],
        "preferredVersion": {"groupVersion": format!("{g}/{v}"), "version": v},
    })).collect::<Vec<_>>()})
}

/// A resource list (`/api/v1`, `/apis/apps/v1`): `(plural, Kind, namespaced)` plus status subresources.
pub fn resource_list(group_version: &str, kinds: &[(&str, &str, bool)]) -> Value {
    let verbs = [
        "create",
        "delete",
        "deletecollection",
        "get",
        "list",
        "patch",
        "update",
        "watch",
    ];
    let mut resources = Vec::new();
    for (plural, kind, namespaced) in kinds {
        resources.push(
            json!({"name": plural, "singularName": kind.to_lowercase(), "namespaced": namespaced,
            "kind": kind, "verbs": verbs, "storageVersionHash": "aBcDeF12345="}),
        );
        resources.push(
            json!({"name": format!("{plural}/status"), "singularName": "", "namespaced": namespaced,
            "kind": kind, "verbs": ["get", "patch", "update"]}),
        );
    }
    json!({"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": group_version, "resources": resources})
}

/// The query `kube` sends for a watch (`watch=true&timeoutSeconds=..&<selector>&allowWatchBookmarks=true&resourceVersion=RV`).
pub fn watch_query(
    selector: (&str, &str),
    timeout_seconds: u32,
    resource_version: &str,
) -> Vec<(String, String)> {
    vec![
        ("watch".into(), "true".into()),
        ("timeoutSeconds".into(), timeout_seconds.to_string()),
        (selector.0.into(), selector.1.into()),
        ("allowWatchBookmarks".into(), "true".into()),
        ("resourceVersion".into(), resource_version.into()),
    ]
}

/// A LIST response.
pub fn list(kind: &str, items: Vec<Value>, continue_token: Option<&str>) -> Value {
    let mut md = json!({"resourceVersion": "48213001"});
    if let Some(t) = continue_token {
        md["continue"] = json!(t);
        md["remainingItemCount"] = json!(1);
    }
    json!({"kind": format!("{kind}List"), "apiVersion": "v1", "metadata": md, "items": items})
}
