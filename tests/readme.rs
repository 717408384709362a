//! Every `$ rollout …` line of the README runs here, so the README cannot drift from the binary.
//! Offline commands run for real against a copy of the repo and must end with the exit code the README
//! implies; commands that talk to a server are pointed at a closed local port: they must get past
//! argument parsing (no usage error) and fail on the connection with exit 2. How they behave against
//! real or fake servers is tested in their own files (argocd_sync, dashboards_push, alerts_e2e, diff).

mod support;

use support::repo::TempRepo;
use support::tools::tool;

const CLOSED: &str = "http://127.0.0.1:9";

/// Splits a console line into words, honouring double quotes; drops a trailing `# comment`.
fn words(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let (mut quoted, mut any) = (false, false);
    for c in line.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                any = true;
            }
            '#' if !quoted && cur.is_empty() => break,
            c if c.is_whitespace() && !quoted => {
                if any {
                    out.push(std::mem::take(&mut cur));
                    any = false;
                }
            }
            c => {
                cur.push(c);
                any = true;
            }
        }
    }
    if any {
        out.push(cur);
    }
    out
}

/// The README's `$ rollout …` lines (env assignments kept in front).
fn documented_commands() -> Vec<String> {
    let readme = std::fs::read_to_string(support::repo().join("README.md")).unwrap();
    let mut in_console = false;
    let mut out = Vec::new();
    for line in readme.lines() {
        if line.starts_with("```") {
            in_console = line.trim() == "```console";
            continue;
        }
        if in_console
            && let Some(cmd) = line.strip_prefix("$ ")
            && words(cmd).iter().any(|w| w == "rollout")
        {
            out.push(cmd.to_string());
        }
    }
    out
}

/// What a documented command must do in a fresh copy of the repo.
fn expected_exit(args: &[String]) -> Option<i32> {
    let has = |f: &str| args.iter().any(|a| a == f);
    match args.first().map(String::as_str) {
        Some(
            "generate" | "hydrate" | "schema" | "render" | "verify" | "promote" | "init"
            | "completions" | "deps",
        ) => Some(0),
        Some("rollback") if !has("--sync") => Some(0),
        Some("evidence") => Some(1), // the copy holds no evidence: incomplete report
        Some("diff") => Some(1),     // the committed overlay differs from the pre-rollout snapshot
        _ => None,                   // talks to a server
    }
}

/// What a server-bound command must say when run alone in a fresh copy against a closed port.
/// (`alerts quiet` too: it asks Alertmanager for our silences first, issue 11.) `rollback --sync`
/// asks git first, and the copy is no git repository: it is refused before any request (issue 12).
fn expected_error(args: &[String]) -> &'static str {
    match args.first().map(String::as_str) {
        Some("rollback") => "cannot check that the rollback overlay is committed and pushed",
        _ => "127.0.0.1:9",
    }
}

#[test]
fn every_documented_command_runs() {
    let commands = documented_commands();
    assert!(
        commands.len() >= 10,
        "README lost its examples: {commands:?}"
    );
    let helm = tool("helm");
    for line in commands {
        let repo = TempRepo::new();
        let mut cmd = support::rollout(repo.path());
        cmd.env("HELM_BIN", &helm)
            .env("ARGOCD_SERVER", CLOSED)
            .env("ALERTMANAGER_URL", CLOSED)
            .env("GRAFANA_URL", CLOSED)
            .env("ARGOCD_AUTH_TOKEN", "readme-token")
            .env("GRAFANA_API_TOKEN", "readme-token");
        let mut args = Vec::new();
        let mut seen_rollout = false;
        for w in words(&line) {
            if !seen_rollout {
                if w == "rollout" {
                    seen_rollout = true;
                } else if let Some((k, v)) = w.split_once('=') {
                    cmd.env(k, v);
                }
                continue;
            }
            let w = match w.as_str() {
                ".tools/bin/helm" => helm.display().to_string(),
                "$ALERTMANAGER_URL" => CLOSED.to_string(),
                s if s.starts_with("https://") && s.contains(".sploot.internal") => {
                    CLOSED.to_string()
                }
                s if s.ends_with(".sploot.internal") => CLOSED.to_string(),
                _ => w,
            };
            args.push(w);
        }
        let out = cmd.args(&args).output().unwrap();
        let code = out.status.code().unwrap_or(-1);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            !stderr.contains("Usage:"),
            "`{line}`: the documented flags do not parse:\n{stderr}"
        );
        match expected_exit(&args) {
            Some(want) => assert_eq!(code, want, "`{line}` exited {code}:\n{stderr}"),
            None => {
                assert_eq!(
                    code, 2,
                    "`{line}` against a closed port should fail to connect:\n{stderr}"
                );
                let want = expected_error(&args);
                assert!(
                    stderr.contains(want),
                    "`{line}`: expected {want:?} in:\n{stderr}"
                );
            }
        }
    }
}

#[test]
fn words_split_like_a_shell() {
    assert_eq!(words(r#"a "b c" d # comment"#), ["a", "b c", "d"]);
    assert_eq!(words(r#"--message "" x"#), ["--message", "", "x"]);
}
