//! Real HTTP on 127.0.0.1 for remote-resource and chart-pull tests: a static file server (a
//! directory served as is, like `python3 -m http.server`) and git's smart HTTP protocol
//! (`git http-backend` run as CGI, one process per request). One thread per connection,
//! `Connection: close`. Counts requests so tests can assert that a cached build sent none.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread;

/// What the server answers with.
#[derive(Clone)]
enum Mode {
    Files(PathBuf),
    Git(PathBuf),
}

/// A running server; stops when dropped.
pub struct HttpServer {
    port: u16,
    requests: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
}

impl HttpServer {
    /// Serves the files under `root` (GET and HEAD; 404 for anything else).
    pub fn files(root: &Path) -> Self {
        Self::start(Mode::Files(root.to_path_buf()))
    }

    /// Serves the git repositories under `root` over smart HTTP (`/<repo>.git/...`).
    pub fn git(root: &Path) -> Self {
        Self::start(Mode::Git(root.to_path_buf()))
    }

    fn start(mode: Mode) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
        let port = listener.local_addr().expect("addr").port();
        let requests = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let (r, s) = (requests.clone(), stop.clone());
        thread::spawn(move || {
            for conn in listener.incoming() {
                if s.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(conn) = conn else { continue };
                let mode = mode.clone();
                let r = r.clone();
                thread::spawn(move || {
                    r.fetch_add(1, Ordering::SeqCst);
                    let _ = serve(conn, &mode);
                });
            }
        });
        HttpServer {
            port,
            requests,
            stop,
        }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Requests received so far.
    pub fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }
}

impl Drop for HttpServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so it sees the flag.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

struct Request {
    method: String,
    path: String,
    query: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Request {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

fn read_request(conn: &TcpStream) -> std::io::Result<Request> {
    let mut r = BufReader::new(conn.try_clone()?);
    let mut line = String::new();
    r.read_line(&mut line)?;
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or_default().to_string();
    let target = parts.next().unwrap_or_default().to_string();
    let (path, query) = match target.split_once('?') {
        Some((p, q)) => (p.to_string(), q.to_string()),
        None => (target, String::new()),
    };
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        if r.read_line(&mut h)? == 0 || h.trim_end().is_empty() {
            break;
        }
        if let Some((k, v)) = h.trim_end().split_once(':') {
            headers.push((k.trim().to_string(), v.trim().to_string()));
        }
    }
    let mut req = Request {
        method,
        path,
        query,
        headers,
        body: Vec::new(),
    };
    if req.header("Expect") == Some("100-continue") {
        (&*conn).write_all(b"HTTP/1.1 100 Continue\r\n\r\n")?;
    }
    if let Some(n) = req
        .header("Content-Length")
        .and_then(|v| v.parse::<usize>().ok())
    {
        let mut body = vec![0; n];
        r.read_exact(&mut body)?;
        req.body = body;
    } else if req
        .header("Transfer-Encoding")
        .is_some_and(|v| v.eq_ignore_ascii_case("chunked"))
    {
        loop {
            let mut size = String::new();
            r.read_line(&mut size)?;
            let n = usize::from_str_radix(size.trim().split(';').next().unwrap_or("0"), 16)
                .unwrap_or(0);
            let mut chunk = vec![0; n + 2];
            r.read_exact(&mut chunk)?;
            if n == 0 {
                break;
            }
            req.body.extend_from_slice(&chunk[..n]);
        }
    }
    Ok(req)
}

fn serve(mut conn: TcpStream, mode: &Mode) -> std::io::Result<()> {
    let req = read_request(&conn)?;
    match mode {
        Mode::Files(root) => {
            let rel = req.path.trim_start_matches('/');
            let file = root.join(rel);
            let ok = (req.method == "GET" || req.method == "HEAD")
                && !rel.split('/').any(|s| s == "..")
                && file.is_file();
            if !ok {
                let body = b"not found\n";
                write!(
                    conn,
                    "HTTP/1.1 404 Not Found\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    body.len()
                )?;
                return conn.write_all(body);
            }
            let body = std::fs::read(&file)?;
            write!(
                conn,
                "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            )?;
            if req.method == "GET" {
                conn.write_all(&body)?;
            }
            Ok(())
        }
        Mode::Git(root) => {
            let mut cmd = Command::new("git");
            cmd.arg("http-backend")
                .env_clear()
                .env("PATH", std::env::var("PATH").unwrap_or_default())
                .env("GIT_PROJECT_ROOT", root)
                .env("GIT_HTTP_EXPORT_ALL", "1")
                .env("REQUEST_METHOD", &req.method)
                .env("PATH_INFO", &req.path)
                .env("QUERY_STRING", &req.query)
                .env("REMOTE_ADDR", "127.0.0.1")
                .env("CONTENT_LENGTH", req.body.len().to_string())
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::null());
            if let Some(t) = req.header("Content-Type") {
                cmd.env("CONTENT_TYPE", t);
            }
            if let Some(p) = req.header("Git-Protocol") {
                cmd.env("GIT_PROTOCOL", p);
            }
            if let Some(e) = req.header("Content-Encoding") {
                cmd.env("HTTP_CONTENT_ENCODING", e);
            }
            let mut child = cmd.spawn()?;
            let mut stdin = child.stdin.take().expect("stdin");
            let body = req.body;
            let feeder = thread::spawn(move || {
                let _ = stdin.write_all(&body);
            });
            let mut out = Vec::new();
            child.stdout.take().expect("stdout").read_to_end(&mut out)?;
            let _ = feeder.join();
            child.wait()?;
            // CGI: headers (with an optional `Status:`), a blank line, the body.
            let split = out
                .windows(4)
                .position(|w| w == b"\r\n\r\n")
                .map(|i| (i, 4))
                .or_else(|| out.windows(2).position(|w| w == b"\n\n").map(|i| (i, 2)));
            let (head, body) = match split {
                Some((i, n)) => (
                    String::from_utf8_lossy(&out[..i]).into_owned(),
                    &out[i + n..],
                ),
                None => (String::new(), &out[..]),
            };
            let mut status = "200 OK".to_string();
            let mut headers = String::new();
            for l in head.lines() {
                match l.split_once(':') {
                    Some((k, v)) if k.eq_ignore_ascii_case("Status") => {
                        status = v.trim().to_string()
                    }
                    Some(_) => {
                        headers.push_str(l.trim_end());
                        headers.push_str("\r\n");
                    }
                    None => {}
                }
            }
            write!(
                conn,
                "HTTP/1.1 {status}\r\n{headers}Content-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            )?;
            conn.write_all(body)
        }
    }
}
