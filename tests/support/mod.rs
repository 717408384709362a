//! Test-only support: real tool lookup, temp repo copies, local fake API servers.
//! Never used by `src/`.
#![allow(dead_code)]

pub mod corpus;
pub mod repo;
pub mod tools;

pub mod alertmanager;
pub mod argocd;
pub mod fake_http;
pub mod grafana;
pub mod http_server;
pub mod prometheus;
pub mod redis;

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

/// insta filters for times, silence ids, ports, digests and temp or repo paths in evidence and reports.
pub fn filters() -> Vec<(&'static str, &'static str)> {
    let owned: Vec<(String, String)> = vec![
        (regex_escape(&repo().display().to_string()), "[REPO]".into()),
        (
            r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})".into(),
            "[TIME]".into(),
        ),
        (
            r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}".into(),
            "[SILENCE-ID]".into(),
        ),
        (r"127\.0\.0\.1:\d+".into(), "127.0.0.1:[PORT]".into()),
        (
            r#""fingerprint": "[0-9a-f]+""#.into(),
            r#""fingerprint": "[FP]""#.into(),
        ),
        (
            r#""sha256": "[0-9a-f]{64}""#.into(),
            r#""sha256": "[SHA256]""#.into(),
        ),
    ];
    let mut f: Vec<(&'static str, &'static str)> = owned
        .into_iter()
        .map(|(a, b)| {
            (
                &*Box::leak(a.into_boxed_str()),
                &*Box::leak(b.into_boxed_str()),
            )
        })
        .collect();
    f.push((
        r"(/tmp|/var/folders)/[^\s`\x22)]*?/(evidence|out)",
        "[TMP]/$2",
    ));
    f
}

fn regex_escape(s: &str) -> String {
    s.chars()
        .map(|c| {
            if "\\.+*?()|[]{}^$".contains(c) {
                format!("\\{c}")
            } else {
                c.to_string()
            }
        })
        .collect()
}
