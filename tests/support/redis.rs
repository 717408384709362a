//! The REAL Redis (Debian redis-server 7.0) for tests: started on 127.0.0.1 with a free port, no
//! persistence and a password; stopped on drop.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use rollout::redis::{Client, Target};
use rollout::secret::Secret;

/// The password the server requires; tests assert it never reaches any output.
pub const PASSWORD: &str = "redis-pw-Q7v2kX9m";

pub struct Redis {
    child: Child,
    pub port: u16,
    pub dir: tempfile::TempDir,
}

impl Redis {
    /// Starts redis-server and waits until it answers PING (at most 10 s).
    pub fn start() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let port = super::alertmanager::free_port();
        let child = Command::new(super::tools::system_tool("redis-server"))
            .args([
                "--port",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .args(["--requirepass", PASSWORD, "--dir"])
            .arg(dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start redis-server");
        let r = Redis { child, port, dir };
        let start = Instant::now();
        loop {
            if let Ok(mut c) = Client::connect(&r.target(), Duration::from_secs(1))
                && c.call(&["PING"]).is_ok()
            {
                return r;
            }
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "redis-server did not start on {port}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn target(&self) -> Target {
        Target {
            addr: format!("127.0.0.1:{}", self.port),
            user: None,
            password: Some(Secret::new(PASSWORD)),
            db: 0,
        }
    }

    /// A client connection.
    pub fn client(&self) -> Client {
        Client::connect(&self.target(), Duration::from_secs(5)).expect("connect")
    }

    /// `redis://127.0.0.1:PORT` (no password: pass it with --password-file).
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
