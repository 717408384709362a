//! The REAL Alertmanager (Debian prometheus-alertmanager 0.25) for tests: started on 127.0.0.1 with a
//! free port, a temporary storage directory, clustering off and a minimal config; stopped on drop.
//!
//! The binary is `alertmanager` from `.tools/bin/` or `$ROLLOUT_TOOLS_DIR` (`scripts/install-test-tools.sh`).

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const CONFIG: &str = r#"route:
  receiver: "null"
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: "null"
"#;

pub struct Alertmanager {
    child: Child,
    pub url: String,
    pub dir: tempfile::TempDir,
}

fn binary() -> PathBuf {
    super::tools::tool("alertmanager")
}

/// A port nothing listens on right now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

impl Alertmanager {
    /// Starts Alertmanager and waits until `/-/ready` answers 200 (at most 20 s).
    pub fn start() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let config = dir.path().join("alertmanager.yml");
        std::fs::write(&config, CONFIG).expect("write config");
        let storage = dir.path().join("data");
        let log = std::fs::File::create(dir.path().join("alertmanager.log")).expect("log file");
        let port = free_port();
        let child = Command::new(binary())
            .arg(format!("--config.file={}", config.display()))
            .arg(format!("--storage.path={}", storage.display()))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .arg("--cluster.listen-address=")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("start alertmanager");
        let am = Alertmanager {
            child,
            url: format!("http://127.0.0.1:{port}"),
            dir,
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Ok((200, _)) = am.get("/-/ready") {
                return am;
            }
            assert!(
                Instant::now() < deadline,
                "alertmanager not ready: {}",
                am.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Alertmanager's own log (for assertion messages).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("alertmanager.log")).unwrap_or_default()
    }

    /// A plain HTTP GET, independent of the code under test: (status, body).
    pub fn get(&self, path_and_query: &str) -> std::io::Result<(u16, String)> {
        request(&self.url, "GET", path_and_query, None)
    }

    /// GET returning JSON.
    pub fn get_json(&self, path_and_query: &str) -> serde_json::Value {
        let (status, body) = self.get(path_and_query).expect("GET");
        assert_eq!(status, 200, "GET {path_and_query}: {body}");
        serde_json::from_str(&body).expect("JSON")
    }

    /// A plain HTTP POST of JSON: (status, body).
    pub fn post(&self, path: &str, body: &serde_json::Value) -> (u16, String) {
        request(&self.url, "POST", path, Some(&body.to_string())).expect("POST")
    }
}

impl Drop for Alertmanager {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A minimal HTTP/1.0 client (one request per connection).
pub fn request(
    base: &str,
    method: &str,
    path: &str,
    body: Option<&str>,
) -> std::io::Result<(u16, String)> {
    let host = base.trim_start_matches("http://");
    let mut s = TcpStream::connect(host)?;
    s.set_read_timeout(Some(Duration::from_secs(5)))?;
    let body = body.unwrap_or("");
    write!(
        s,
        "{method} {path} HTTP/1.0\r\nHost: {host}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )?;
    let mut resp = String::new();
    s.read_to_string(&mut resp)?;
    let status = resp
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = resp
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    Ok((status, body))
}
