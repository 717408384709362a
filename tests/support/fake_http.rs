//! A scripted fake HTTP/1.1 server: it expects requests in order, checks method, path and query, and
//! answers each with the scripted status and body (`Connection: close`). A request that does not match
//! the next step, or comes after the script ended, gets a 599 and is reported by [`FakeServer::finish`].

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// One expected request and the reply to it.
#[derive(Debug, Clone)]
pub struct Step {
    pub method: &'static str,
    /// Exact path and query as sent, e.g. `/api/v2/alerts?filter=...`; a trailing `*` matches a prefix.
    pub path: String,
    pub status: u16,
    pub body: String,
}

impl Step {
    pub fn new(
        method: &'static str,
        path: impl Into<String>,
        status: u16,
        body: impl Into<String>,
    ) -> Self {
        Step {
            method,
            path: path.into(),
            status,
            body: body.into(),
        }
    }
}

/// A request as the fake received it.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
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

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or(serde_json::Value::Null)
    }
}

#[derive(Default)]
struct State {
    next: usize,
    recorded: Vec<Recorded>,
    errors: Vec<String>,
}

/// A running fake server.
pub struct FakeServer {
    pub url: String,
    steps: Arc<Vec<Step>>,
    state: Arc<Mutex<State>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
    addr: std::net::SocketAddr,
}

impl FakeServer {
    /// Starts a fake on 127.0.0.1 with a free port, following `steps`.
    pub fn start(steps: Vec<Step>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind fake server");
        let addr = listener.local_addr().expect("local addr");
        let steps = Arc::new(steps);
        let state = Arc::new(Mutex::new(State::default()));
        let stop = Arc::new(AtomicBool::new(false));
        let (s2, st2, stop2) = (steps.clone(), state.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            for conn in listener.incoming() {
                if stop2.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(conn) = conn else { continue };
                handle(conn, &s2, &st2);
            }
        });
        FakeServer {
            url: format!("http://{addr}"),
            steps,
            state,
            stop,
            thread: Some(thread),
            addr,
        }
    }

    /// Stops the server and returns the requests, or the mismatches and missing steps.
    pub fn finish(mut self) -> Result<Vec<Recorded>, String> {
        self.shutdown();
        let st = self.state.lock().expect("fake state");
        let mut errors = st.errors.clone();
        if st.next < self.steps.len() {
            let missing: Vec<String> = self.steps[st.next..]
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

    fn shutdown(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for FakeServer {
    fn drop(&mut self) {
        self.shutdown();
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
        _ => "Unknown",
    }
}

fn handle(conn: TcpStream, steps: &[Step], state: &Mutex<State>) {
    let _ = conn.set_read_timeout(Some(Duration::from_secs(5)));
    let mut reader = BufReader::new(conn.try_clone().expect("clone stream"));
    let mut line = String::new();
    if reader.read_line(&mut line).unwrap_or(0) == 0 {
        return; // the shutdown poke, or a client that gave up
    }
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or_default().to_string();
    let path = parts.next().unwrap_or_default().to_string();
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h).unwrap_or(0) == 0 || h == "\r\n" || h == "\n" {
            break;
        }
        if let Some((k, v)) = h.trim_end().split_once(':') {
            headers.push((k.trim().to_string(), v.trim().to_string()));
        }
    }
    let len: usize = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0u8; len];
    let _ = reader.read_exact(&mut body);
    let rec = Recorded {
        method,
        path,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    };
    let (status, reply) = {
        let mut st = state.lock().expect("fake state");
        let reply = match steps.get(st.next) {
            Some(step) if step.method == rec.method && path_matches(&step.path, &rec.path) => {
                st.next += 1;
                (step.status, step.body.clone())
            }
            Some(step) => {
                let e = format!(
                    "expected {} {}, got {} {}",
                    step.method, step.path, rec.method, rec.path
                );
                st.errors.push(e.clone());
                (599, format!("{{\"message\":{:?}}}", e))
            }
            None => {
                let e = format!("unexpected extra request {} {}", rec.method, rec.path);
                st.errors.push(e.clone());
                (599, format!("{{\"message\":{:?}}}", e))
            }
        };
        st.recorded.push(rec);
        reply
    };
    let mut out = conn;
    let _ = write!(
        out,
        "HTTP/1.1 {status} {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{reply}",
        reason(status),
        reply.len()
    );
    let _ = out.flush();
}

fn path_matches(expected: &str, got: &str) -> bool {
    match expected.strip_suffix('*') {
        Some(prefix) => got.starts_with(prefix),
        None => expected == got,
    }
}
