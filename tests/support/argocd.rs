//! A scripted fake Argo CD API server for tests (never used by src/).
//!
//! It takes a script of expected requests, in order: each step names the method, the path (and
//! query) and the reply: a status code with Argo CD's JSON body, or `Hang` (accept the request and
//! never answer, as a server that stopped responding). Every request is checked against the next
//! step; a mismatch or an extra request gets a 500 and is recorded as an error. `finish` waits,
//! under a timeout, until the script is used up and returns the requests seen, panicking on
//! errors or on steps that were never requested.
//!
//! Bodies copy the shapes of Argo CD v2/v3 `GET /api/v1/applications/{name}` and its gRPC-gateway
//! error body `{"error","code","message"}`.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// What the fake answers to one request.
#[derive(Debug, Clone)]
pub enum Reply {
    /// A status and a JSON body.
    Json(u16, Value),
    /// Read the request, never answer; every later request hangs too.
    Hang,
    /// Close this connection without answering and stop listening: later requests are refused.
    GoAway,
}

/// One expected request.
#[derive(Debug, Clone)]
pub struct Step {
    pub method: &'static str,
    /// Path with query, e.g. `/api/v1/applications/media-staging`.
    pub target: String,
    pub reply: Reply,
}

/// `GET /api/v1/applications/{app}` answered with `reply`.
pub fn get(app: &str, reply: Reply) -> Step {
    Step {
        method: "GET",
        target: format!("/api/v1/applications/{app}"),
        reply,
    }
}

/// `POST /api/v1/applications/{app}/sync` answered with `reply`.
pub fn sync(app: &str, reply: Reply) -> Step {
    Step {
        method: "POST",
        target: format!("/api/v1/applications/{app}/sync"),
        reply,
    }
}

/// A request the fake received.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub target: String,
    pub authorization: Option<String>,
    pub body: Option<Value>,
}

struct State {
    script: Vec<Step>,
    next: usize,
    seen: Vec<Seen>,
    errors: Vec<String>,
    gone: bool,
}

/// The running fake.
pub struct FakeArgo {
    addr: std::net::SocketAddr,
    state: Arc<Mutex<State>>,
    stop: Arc<AtomicBool>,
    stopped_answering: Arc<AtomicBool>,
}

impl FakeArgo {
    /// Starts listening on 127.0.0.1 (a free port) and serves `script`.
    pub fn start(script: Vec<Step>) -> FakeArgo {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.set_nonblocking(true).expect("nonblocking");
        let addr = listener.local_addr().expect("addr");
        let state = Arc::new(Mutex::new(State {
            script,
            next: 0,
            seen: vec![],
            errors: vec![],
            gone: false,
        }));
        let stop = Arc::new(AtomicBool::new(false));
        let stopped_answering = Arc::new(AtomicBool::new(false));
        let (st, sp, sa) = (state.clone(), stop.clone(), stopped_answering.clone());
        thread::spawn(move || {
            while !sp.load(Ordering::SeqCst) {
                if sa.load(Ordering::SeqCst) && st.lock().unwrap().gone {
                    return; // drops the listener: connection refused from now on
                }
                match listener.accept() {
                    Ok((stream, _)) => {
                        let (st, sp, sa) = (st.clone(), sp.clone(), sa.clone());
                        thread::spawn(move || serve(stream, st, sp, sa));
                    }
                    Err(_) => thread::sleep(Duration::from_millis(2)),
                }
            }
        });
        FakeArgo {
            addr,
            state,
            stop,
            stopped_answering,
        }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Waits (up to 10 s) until every step was requested; returns what was seen. Panics on any
    /// unexpected request or on steps never requested.
    pub fn finish(self) -> Vec<Seen> {
        let start = Instant::now();
        loop {
            {
                let s = self.state.lock().unwrap();
                if s.next >= s.script.len() || start.elapsed() > Duration::from_secs(10) {
                    break;
                }
            }
            thread::sleep(Duration::from_millis(5));
        }
        self.stop.store(true, Ordering::SeqCst);
        let s = self.state.lock().unwrap();
        assert!(
            s.errors.is_empty(),
            "fake Argo CD saw unexpected requests: {:#?}",
            s.errors
        );
        assert_eq!(
            s.next,
            s.script.len(),
            "fake Argo CD: steps never requested: {:#?}",
            &s.script[s.next..]
        );
        let _ = &self.stopped_answering;
        s.seen.clone()
    }
}

fn serve(
    stream: TcpStream,
    state: Arc<Mutex<State>>,
    stop: Arc<AtomicBool>,
    hung: Arc<AtomicBool>,
) {
    let _ = stream.set_nonblocking(false);
    let _ = stream.set_read_timeout(Some(Duration::from_millis(200)));
    let mut reader = BufReader::new(stream.try_clone().expect("clone"));
    let mut out = stream;
    loop {
        if stop.load(Ordering::SeqCst) {
            return;
        }
        let Some(req) = read_request(&mut reader, &stop) else {
            return;
        };
        if hung.load(Ordering::SeqCst) {
            if state.lock().unwrap().gone {
                return; // close without an answer
            }
            hang(&stop);
            return;
        }
        let reply = {
            let mut s = state.lock().unwrap();
            s.seen.push(req.clone());
            let want = s.script.get(s.next).cloned();
            match want {
                Some(step) if step.method == req.method && step.target == req.target => {
                    s.next += 1;
                    step.reply
                }
                Some(step) => {
                    let msg = format!(
                        "expected {} {}, got {} {}",
                        step.method, step.target, req.method, req.target
                    );
                    s.errors.push(msg.clone());
                    Reply::Json(500, json!({"error": msg, "code": 13, "message": msg}))
                }
                None => {
                    let msg = format!(
                        "request after the script ended: {} {}",
                        req.method, req.target
                    );
                    s.errors.push(msg.clone());
                    Reply::Json(500, json!({"error": msg, "code": 13, "message": msg}))
                }
            }
        };
        match reply {
            Reply::Hang => {
                hung.store(true, Ordering::SeqCst);
                hang(&stop);
                return;
            }
            Reply::GoAway => {
                state.lock().unwrap().gone = true;
                hung.store(true, Ordering::SeqCst);
                return;
            }
            Reply::Json(status, body) => {
                let body = body.to_string();
                let head = format!(
                    "HTTP/1.1 {status} {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
                    reason(status),
                    body.len()
                );
                if out
                    .write_all(head.as_bytes())
                    .and_then(|_| out.write_all(body.as_bytes()))
                    .is_err()
                {
                    return;
                }
            }
        }
    }
}

fn hang(stop: &AtomicBool) {
    while !stop.load(Ordering::SeqCst) {
        thread::sleep(Duration::from_millis(10));
    }
}

fn reason(status: u16) -> &'static str {
    match status {
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

fn read_request(reader: &mut BufReader<TcpStream>, stop: &AtomicBool) -> Option<Seen> {
    let mut line = String::new();
    loop {
        match reader.read_line(&mut line) {
            Ok(0) => return None,
            Ok(_) => break,
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                if stop.load(Ordering::SeqCst) {
                    return None;
                }
            }
            Err(_) => return None,
        }
    }
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_string();
    let target = parts.next()?.to_string();
    let mut len = 0usize;
    let mut authorization = None;
    loop {
        let mut h = String::new();
        reader.read_line(&mut h).ok()?;
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        let (k, v) = h.split_once(':')?;
        match k.trim().to_ascii_lowercase().as_str() {
            "content-length" => len = v.trim().parse().ok()?,
            "authorization" => authorization = Some(v.trim().to_string()),
            _ => {}
        }
    }
    let mut body = vec![0u8; len];
    reader.read_exact(&mut body).ok()?;
    let body = if len > 0 {
        serde_json::from_slice(&body).ok()
    } else {
        None
    };
    Some(Seen {
        method,
        target,
        authorization,
        body,
    })
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
