//! The REAL Prometheus (Debian prometheus 2.42) for tests: started on 127.0.0.1 with a free port,
//! a temporary TSDB and a 1 s scrape of one target; stopped on drop.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Prometheus {
    child: Child,
    pub url: String,
    pub dir: tempfile::TempDir,
}

fn get(port: u16, path: &str) -> Option<String> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut out = String::new();
    s.read_to_string(&mut out).ok()?;
    Some(out)
}

impl Prometheus {
    /// GET `path` (with query) of the HTTP API; the body, or `None` when it did not answer 200.
    pub fn api(&self, path: &str) -> Option<String> {
        let port: u16 = self.url.rsplit(':').next()?.parse().ok()?;
        let resp = get(port, path)?;
        let (head, body) = resp.split_once("\r\n\r\n")?;
        if !head.starts_with("HTTP/1.1 200") {
            return None;
        }
        if !head
            .to_ascii_lowercase()
            .contains("transfer-encoding: chunked")
        {
            return Some(body.to_string());
        }
        let mut out = String::new();
        let mut rest = body;
        while let Some((size, tail)) = rest.split_once("\r\n") {
            let n = usize::from_str_radix(size.trim(), 16).ok()?;
            if n == 0 {
                break;
            }
            out.push_str(tail.get(..n)?);
            rest = tail.get(n + 2..)?;
        }
        Some(out)
    }

    /// Starts Prometheus scraping `target` (`127.0.0.1:PORT`, path `/metrics`) every second and
    /// waits until it is ready (at most 20 s).
    pub fn start(target: &str) -> Self {
        Self::with_scrape_configs(&format!(
            "  - job_name: pipeline\n    honor_labels: true\n    static_configs:\n      - targets: ['{target}']\n"
        ))
    }

    /// Starts Prometheus with these `scrape_configs` entries (YAML list items indented by two
    /// spaces), scraping every second.
    pub fn with_scrape_configs(jobs: &str) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let config = dir.path().join("prometheus.yml");
        std::fs::write(
            &config,
            format!(
                "global: {{scrape_interval: 1s, evaluation_interval: 1s}}\nscrape_configs:\n{jobs}"
            ),
        )
        .unwrap();
        let port = super::alertmanager::free_port();
        let log = std::fs::File::create(dir.path().join("prometheus.log")).unwrap();
        let child = Command::new(super::tools::system_tool("prometheus"))
            .arg(format!("--config.file={}", config.display()))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.path().join("data").display()
            ))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("start prometheus");
        let p = Prometheus {
            child,
            url: format!("http://127.0.0.1:{port}"),
            dir,
        };
        let start = Instant::now();
        loop {
            if get(port, "/-/ready").is_some_and(|r| r.starts_with("HTTP/1.1 200")) {
                return p;
            }
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "prometheus did not get ready"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
