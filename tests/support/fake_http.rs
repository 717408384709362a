//! The one scripted fake HTTP/1.1 server core that the API fakes configure (`grafana.rs`,
//! `argocd.rs`). It expects requests in order, checks method, path and query of each against the
//! next step, and answers with the step's reply (keep-alive, one thread per connection). A request
//! that does not match, or comes after the script ended, gets the fake's mismatch reply and is
//! reported by [`FakeServer::finish`], which waits (up to 10 s, less once a request went wrong)
//! for the script to be used up.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::Value;

/// What the fake answers to one request.
#[derive(Debug, Clone)]
pub enum Reply {
    /// A status and a JSON value as the body.
    Json(u16, Value),
    /// A status and a body as given.
    Text(u16, String),
    /// A status, extra response headers and a body as given (a redirect's `Location`, a
    /// `Retry-After`).
    WithHeaders(u16, Vec<(&'static str, String)>, String),
    /// Read the request, never answer; every later request hangs too.
    Hang,
    /// Close this connection without answering and stop listening: later requests are refused.
    GoAway,
}

/// One expected request and the reply to it.
#[derive(Debug, Clone)]
pub struct Step {
    pub method: &'static str,
    /// Exact path and query as sent, e.g. `/api/v2/alerts?filter=...`; a trailing `*` matches a prefix.
    pub path: String,
    pub reply: Reply,
}

impl Step {
    /// A step answered with `status` and `body` as given.
    pub fn new(
        method: &'static str,
        path: impl Into<String>,
        status: u16,
        body: impl Into<String>,
    ) -> Self {
        Step::reply(method, path, Reply::Text(status, body.into()))
    }

    /// The scripted status (0 for `Hang` and `GoAway`).
    pub fn status(&self) -> u16 {
        match self.reply {
            Reply::Json(status, _) | Reply::Text(status, _) | Reply::WithHeaders(status, _, _) => {
                status
            }
            Reply::Hang | Reply::GoAway => 0,
        }
    }

    /// A step answered with `reply`.
    pub fn reply(method: &'static str, path: impl Into<String>, reply: Reply) -> Self {
        Step {
            method,
            path: path.into(),
            reply,
        }
    }
}

/// A request as the fake received it.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    /// Path and query.
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Recorded {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or(Value::Null)
    }
}

/// The reply to a request that does not follow the script, given the mismatch message.
pub type Mismatch = fn(&str) -> Reply;

struct State {
    steps: Vec<Step>,
    next: usize,
    recorded: Vec<Recorded>,
    errors: Vec<String>,
    gone: bool,
}

struct Shared {
    state: Mutex<State>,
    mismatch: Mismatch,
    stop: AtomicBool,
    hung: AtomicBool,
}

/// A running fake server.
pub struct FakeServer {
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    shared: Arc<Shared>,
}

impl FakeServer {
    /// Starts a fake on 127.0.0.1 with a free port, following `steps`; a mismatch gets a 599 with
    /// `{"message": ...}`.
    pub fn start(steps: Vec<Step>) -> Self {
        Self::start_with(steps, |msg| {
            Reply::Json(599, serde_json::json!({ "message": msg }))
        })
    }

    /// Starts a fake following `steps` that answers a mismatch with `mismatch(message)`.
    pub fn start_with(steps: Vec<Step>, mismatch: Mismatch) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind fake server");
        listener.set_nonblocking(true).expect("nonblocking");
        let addr: SocketAddr = listener.local_addr().expect("local addr");
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                steps,
                next: 0,
                recorded: vec![],
                errors: vec![],
                gone: false,
            }),
            mismatch,
            stop: AtomicBool::new(false),
            hung: AtomicBool::new(false),
        });
        let sh = shared.clone();
        thread::spawn(move || {
            while !sh.stop.load(Ordering::SeqCst) {
                if sh.hung.load(Ordering::SeqCst) && sh.state.lock().unwrap().gone {
                    return; // drops the listener: connection refused from now on
                }
                match listener.accept() {
                    Ok((stream, _)) => {
                        let sh = sh.clone();
                        thread::spawn(move || serve(stream, &sh));
                    }
                    Err(_) => thread::sleep(Duration::from_millis(2)),
                }
            }
        });
        FakeServer {
            url: format!("http://{addr}"),
            shared,
        }
    }

    /// Waits (up to 10 s, or until a request went wrong) until every step was requested, stops the server and returns the
    /// requests, or the mismatches and the steps never requested.
    pub fn finish(self) -> Result<Vec<Recorded>, String> {
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(10) {
            {
                let st = self.shared.state.lock().unwrap();
                if st.next >= st.steps.len() || !st.errors.is_empty() {
                    break;
                }
            }
            thread::sleep(Duration::from_millis(5));
        }
        self.shared.stop.store(true, Ordering::SeqCst);
        let st = self.shared.state.lock().unwrap();
        let mut errors = st.errors.clone();
        if st.next < st.steps.len() {
            let missing: Vec<String> = st.steps[st.next..]
                .iter()
                .map(|s| format!("{} {}", s.method, s.path))
                .collect();
            errors.push(format!("expected requests never came: {missing:?}"));
        }
        if errors.is_empty() {
            Ok(st.recorded.clone())
        } else {
            Err(errors.join("\n"))
        }
    }
}

impl Drop for FakeServer {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
    }
}

fn serve(stream: TcpStream, sh: &Shared) {
    let _ = stream.set_nonblocking(false);
    let _ = stream.set_read_timeout(Some(Duration::from_millis(200)));
    let mut reader = BufReader::new(stream.try_clone().expect("clone stream"));
    let mut out = stream;
    while !sh.stop.load(Ordering::SeqCst) {
        let Some(req) = read_request(&mut reader, &sh.stop) else {
            return;
        };
        if sh.hung.load(Ordering::SeqCst) {
            if !sh.state.lock().unwrap().gone {
                hang(&sh.stop);
            }
            return; // after GoAway: close without an answer
        }
        let reply = {
            let mut st = sh.state.lock().unwrap();
            let reply = match st.steps.get(st.next).cloned() {
                Some(step) if step.method == req.method && path_matches(&step.path, &req.path) => {
                    st.next += 1;
                    step.reply
                }
                Some(step) => {
                    let e = format!(
                        "expected {} {}, got {} {}",
                        step.method, step.path, req.method, req.path
                    );
                    st.errors.push(e.clone());
                    (sh.mismatch)(&e)
                }
                None => {
                    let e = format!(
                        "request after the script ended: {} {}",
                        req.method, req.path
                    );
                    st.errors.push(e.clone());
                    (sh.mismatch)(&e)
                }
            };
            st.recorded.push(req);
            reply
        };
        let (status, extra, body) = match reply {
            Reply::Hang => {
                sh.hung.store(true, Ordering::SeqCst);
                hang(&sh.stop);
                return;
            }
            Reply::GoAway => {
                sh.state.lock().unwrap().gone = true;
                sh.hung.store(true, Ordering::SeqCst);
                return;
            }
            Reply::Json(status, v) => (status, Vec::new(), v.to_string()),
            Reply::Text(status, body) => (status, Vec::new(), body),
            Reply::WithHeaders(status, headers, body) => (status, headers, body),
        };
        let extra: String = extra.iter().map(|(k, v)| format!("{k}: {v}\r\n")).collect();
        let head = format!(
            "HTTP/1.1 {status} {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n{extra}\r\n",
            reason(status),
            body.len()
        );
        if out
            .write_all(head.as_bytes())
            .and_then(|_| out.write_all(body.as_bytes()))
            .and_then(|_| out.flush())
            .is_err()
        {
            return;
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
        412 => "Precondition Failed",
        422 => "Unprocessable Entity",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Unknown",
    }
}

/// Reads one request (waiting for its first line while the server runs); `None` when the client
/// closed the connection or sent something that is not HTTP.
fn read_request(reader: &mut BufReader<TcpStream>, stop: &AtomicBool) -> Option<Recorded> {
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
    let path = parts.next()?.to_string();
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        reader.read_line(&mut h).ok()?;
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        let (k, v) = h.split_once(':')?;
        headers.push((k.trim().to_string(), v.trim().to_string()));
    }
    let len: usize = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0u8; len];
    reader.read_exact(&mut body).ok()?;
    Some(Recorded {
        method,
        path,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    })
}

fn path_matches(expected: &str, got: &str) -> bool {
    match expected.strip_suffix('*') {
        Some(prefix) => got.starts_with(prefix),
        None => expected == got,
    }
}
