//! Test support: a scripted fake HTTP server, the Grafana fake built on it, the real Alertmanager harness
//! and helpers to run the binary. Test-only code: nothing here is used by `src/`.
#![allow(dead_code)]

pub mod alertmanager;
pub mod fake_http;
pub mod grafana;

use std::path::PathBuf;

/// The crate root.
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The `rollout` binary with a cleared environment, run in `dir`.
pub fn rollout(dir: &std::path::Path) -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::cargo_bin("rollout").expect("rollout binary");
    cmd.current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default());
    cmd
}

/// insta filters for times, silence ids, ports and temp paths in evidence and reports.
pub fn filters() -> Vec<(&'static str, &'static str)> {
    vec![
        (
            r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})",
            "[TIME]",
        ),
        (
            r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
            "[SILENCE-ID]",
        ),
        (r"127\.0\.0\.1:\d+", "127.0.0.1:[PORT]"),
        (r#""fingerprint": "[0-9a-f]+""#, r#""fingerprint": "[FP]""#),
        (
            r"(/tmp|/var/folders)/[^\s`\x22)]*?/(evidence|out)",
            "[TMP]/$2",
        ),
    ]
}
