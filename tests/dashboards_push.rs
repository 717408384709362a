//! `rollout dashboards push` against a scripted fake Grafana (real paths, bodies and status codes).
//! The token must never appear in stdout, stderr or evidence.

mod support;

use std::path::{Path, PathBuf};

use serde_json::Value;
use support::fake_http::Step;
use support::{filters, grafana, repo, rollout};

const TOKEN: &str = "glsa_TOPSECRET_0123456789abcdef";

fn dashboard() -> PathBuf {
    repo().join("dashboards/media-clustering-redis-streams.json")
}

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
    evidence: Option<String>,
}

fn push(work: &Path, url: &str, extra: &[&str], files: &[PathBuf]) -> Run {
    let out = rollout(work)
        .env("GRAFANA_API_TOKEN", TOKEN)
        .args(["dashboards", "push", "--grafana-url", url])
        .args(extra)
        .args(files)
        .output()
        .unwrap();
    let evidence = std::fs::read_to_string(work.join("evidence/dashboards-push.json")).ok();
    let run = Run {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        evidence,
    };
    for (what, text) in [("stdout", &run.stdout), ("stderr", &run.stderr)] {
        assert!(!text.contains(TOKEN), "token in {what}: {text}");
    }
    if let Some(e) = &run.evidence {
        assert!(!e.contains(TOKEN), "token in evidence");
    }
    run
}

#[test]
fn a_successful_push_records_uid_url_and_version() {
    let fake = grafana::start(vec![grafana::saved(
        "media-clustering-streams",
        "media-clustering-redis-streams-pipeline",
        3,
    )]);
    let work = tempfile::tempdir().unwrap();
    let run = push(
        work.path(),
        &fake.url,
        &["--folder-uid", "media", "--message", "staging rollout"],
        &[dashboard()],
    );
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let requests = fake.finish().unwrap();
    assert_eq!(requests.len(), 1);
    let req = &requests[0];
    assert_eq!(
        req.header("authorization"),
        Some(format!("Bearer {TOKEN}").as_str())
    );
    assert_eq!(req.header("content-type"), Some("application/json"));
    let body = req.json();
    assert_eq!(body["dashboard"]["id"], Value::Null);
    assert_eq!(body["dashboard"]["uid"], "media-clustering-streams");
    assert_eq!(body["folderUid"], "media");
    assert_eq!(body["message"], "staging rollout");
    assert_eq!(body["overwrite"], false);

    let evidence: Value = serde_json::from_str(run.evidence.as_deref().unwrap()).unwrap();
    assert_eq!(evidence["dashboards"][0]["version"], 3);
    assert_eq!(
        evidence["dashboards"][0]["sha256"].as_str().unwrap().len(),
        64
    );
    assert_eq!(
        evidence["dashboards"][0]["url"].as_str().unwrap(),
        format!(
            "{}/d/media-clustering-streams/media-clustering-redis-streams-pipeline",
            fake_url_of(&evidence)
        )
    );
    insta::with_settings!({filters => filters()}, {
        insta::assert_snapshot!("push_ok_stdout", run.stdout);
        insta::assert_snapshot!("push_ok_evidence", run.evidence.unwrap());
    });
}

fn fake_url_of(evidence: &Value) -> String {
    evidence["grafanaUrl"].as_str().unwrap().to_string()
}

#[test]
fn token_file_is_used_and_overwrite_is_sent() {
    let fake = grafana::start(vec![grafana::saved("media-clustering-streams", "x", 4)]);
    let work = tempfile::tempdir().unwrap();
    let token_file = work.path().join("token");
    std::fs::write(&token_file, "glsa_from_file\n").unwrap();
    let run = push(
        work.path(),
        &fake.url,
        &["--overwrite", "--token-file", token_file.to_str().unwrap()],
        &[dashboard()],
    );
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(
        !run.stdout.contains("glsa_from_file") && !run.evidence.unwrap().contains("glsa_from_file")
    );
    let req = &fake.finish().unwrap()[0];
    assert_eq!(req.header("authorization"), Some("Bearer glsa_from_file"));
    assert_eq!(req.json()["overwrite"], true);
    assert!(
        req.json().get("folderUid").is_none(),
        "General folder: no folderUid"
    );
}

#[test]
fn each_error_status_is_one_clear_line_and_exit_2() {
    let cases: Vec<(Step, &str)> = vec![
        (
            grafana::bad_request("Dashboard title cannot be empty"),
            "grafana rejected dashboard \"media-clustering-streams\" (400 bad request): Dashboard title cannot be empty",
        ),
        (
            grafana::unauthorized(),
            "grafana refused the token (401 unauthorized): check GRAFANA_API_TOKEN or --token-file (invalid API key)",
        ),
        (
            grafana::forbidden(),
            "the token may not save dashboard \"media-clustering-streams\" (403 forbidden): it needs dashboards:write on the target folder (You'll need additional permissions to perform this action. Permissions needed: dashboards:write)",
        ),
        (
            grafana::version_mismatch(),
            "dashboard \"media-clustering-streams\" was changed in grafana since this version (412 version-mismatch): rerun with --overwrite to replace it",
        ),
        (
            grafana::name_exists(),
            "another dashboard in the folder is already named like \"media-clustering-streams\" (412 name-exists): rename it or rerun with --overwrite",
        ),
    ];
    for (step, line) in cases {
        let status = step.status();
        let fake = grafana::start(vec![step]);
        let work = tempfile::tempdir().unwrap();
        let run = push(work.path(), &fake.url, &[], &[dashboard()]);
        fake.finish().unwrap();
        assert_eq!(run.code, Some(2), "{status}");
        let file = dashboard().display().to_string();
        assert_eq!(
            run.stderr,
            format!("error: {file}: {line} (evidence: evidence/dashboards-push.json)\n"),
            "{status}"
        );
        let evidence: Value = serde_json::from_str(run.evidence.as_deref().unwrap()).unwrap();
        assert_eq!(evidence["result"], "rejected");
        assert_eq!(evidence["dashboards"][0]["response"]["status"], status);
    }
}

#[test]
fn the_first_rejection_stops_the_push() {
    let work = tempfile::tempdir().unwrap();
    let second = work.path().join("second.json");
    let mut d: Value =
        serde_json::from_str(&std::fs::read_to_string(dashboard()).unwrap()).unwrap();
    d["uid"] = "second".into();
    std::fs::write(&second, d.to_string()).unwrap();
    let third = work.path().join("third.json");
    d["uid"] = "third".into();
    std::fs::write(&third, d.to_string()).unwrap();
    let fake = grafana::start(vec![
        grafana::saved("media-clustering-streams", "a", 1),
        grafana::name_exists(),
    ]);
    let run = push(work.path(), &fake.url, &[], &[dashboard(), second, third]);
    assert_eq!(fake.finish().expect("two requests, no third").len(), 2);
    assert_eq!(run.code, Some(2));
    let evidence: Value = serde_json::from_str(run.evidence.as_deref().unwrap()).unwrap();
    let results: Vec<&str> = evidence["dashboards"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["result"].as_str().unwrap())
        .collect();
    assert_eq!(results, ["pushed", "rejected", "not-sent"]);
}

#[test]
fn grafana_down_is_exit_2() {
    let work = tempfile::tempdir().unwrap();
    let url = format!("http://127.0.0.1:{}", support::alertmanager::free_port());
    let run = push(work.path(), &url, &[], &[dashboard()]);
    assert_eq!(run.code, Some(2));
    assert!(
        run.stderr
            .contains("/api/dashboards/db: no response (connection failed"),
        "{}",
        run.stderr
    );
    assert_eq!(run.stderr.lines().count(), 1);
    let evidence: Value = serde_json::from_str(run.evidence.as_deref().unwrap()).unwrap();
    assert_eq!(evidence["result"], "unreachable");
}

#[test]
fn an_invalid_dashboard_is_never_sent() {
    let fake = grafana::start(vec![]);
    let work = tempfile::tempdir().unwrap();
    let bad = work.path().join("bad.json");
    let mut d: Value =
        serde_json::from_str(&std::fs::read_to_string(dashboard()).unwrap()).unwrap();
    // A panel with no area is not shown (an error); one beyond the grid Grafana moves (a warning).
    d["panels"][1]["gridPos"]["w"] = 0.into();
    std::fs::write(&bad, serde_json::to_string_pretty(&d).unwrap()).unwrap();
    let run = push(work.path(), &fake.url, &[], &[bad]);
    assert_eq!(run.code, Some(2));
    assert!(run.stderr.contains("1 error(s) in the dashboard, nothing was sent; first: error[gridpos-out-of-grid] at /panels/1/gridPos"), "{}", run.stderr);
    assert!(fake.finish().unwrap().is_empty());
    assert!(run.evidence.is_none());
}

#[test]
fn no_token_is_a_usage_error_and_dry_run_needs_none() {
    let fake = grafana::start(vec![]);
    let work = tempfile::tempdir().unwrap();
    let out = rollout(work.path())
        .args(["dashboards", "push", "--grafana-url", &fake.url])
        .arg(dashboard())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "error: no Grafana token: pass --token-file or set GRAFANA_API_TOKEN\n"
    );
    let out = rollout(work.path())
        .env("GRAFANA_API_TOKEN", TOKEN)
        .args([
            "dashboards",
            "push",
            "--dry-run",
            "--grafana-url",
            &fake.url,
        ])
        .arg(dashboard())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("with Authorization: Bearer ***"),
        "{stdout}"
    );
    assert!(!stdout.contains(TOKEN));
    assert!(fake.finish().unwrap().is_empty());
}

/// Issue 11: a 302 to another place is not followed (a POST would become a GET and never arrive);
/// the push fails saying so, and nothing reports "pushed".
#[test]
fn issue_11_a_redirected_push_is_not_followed_and_not_reported_as_pushed() {
    let other = grafana::start(vec![]);
    let fake = grafana::start(vec![Step::reply(
        "POST",
        "/api/dashboards/db",
        support::fake_http::Reply::WithHeaders(
            302,
            vec![("Location", format!("{}/login", other.url))],
            String::new(),
        ),
    )]);
    let work = tempfile::tempdir().unwrap();
    let run = push(work.path(), &fake.url, &[], &[dashboard()]);
    assert_eq!(run.code, Some(2), "{}{}", run.stdout, run.stderr);
    assert!(!run.stdout.contains("pushed"), "{}", run.stdout);
    assert!(
        run.stderr.contains("redirected to") && run.stderr.contains("not followed"),
        "{}",
        run.stderr
    );
    assert_eq!(fake.finish().unwrap().len(), 1);
    assert!(
        other.finish().unwrap().is_empty(),
        "nothing reached the redirect target"
    );
}

/// Issue 11: a server error body that echoes the Authorization header, in HTML with control bytes,
/// becomes one short line without the token; a password in --grafana-url never shows either.
#[test]
fn issue_11_server_error_bodies_are_one_scrubbed_line() {
    let body = format!(
        "<html><head><title>502 Bad Gateway</title></head><body>\x1b[31mAuthorization: Bearer {TOKEN}\r\n{}</body></html>",
        "x".repeat(5000)
    );
    let fake = grafana::start(vec![Step::new("POST", "/api/dashboards/db", 400, body)]);
    let work = tempfile::tempdir().unwrap();
    let url = fake.url.replace("http://", "http://admin:hunter2-pass@");
    let run = push(work.path(), &url, &[], &[dashboard()]);
    assert_eq!(run.code, Some(2), "{}", run.stderr);
    assert!(run.stderr.contains("502 Bad Gateway"), "{}", run.stderr);
    assert!(
        !run.stderr.contains('\x1b') && run.stderr.lines().count() <= 2,
        "{}",
        run.stderr
    );
    assert!(run.stderr.len() < 600, "{}", run.stderr);
    let evidence = run.evidence.clone().unwrap_or_default();
    for leak in ["hunter2-pass", "admin:"] {
        for text in [&run.stdout, &run.stderr, &evidence] {
            assert!(!text.contains(leak), "{leak} in {text}");
        }
    }
    fake.finish().unwrap();
}

/// Issue 12: a server's whole HTML error page never reaches stderr or the evidence over many
/// lines: both record one line (the page's title).
#[test]
fn issue_12_an_html_error_page_is_one_line_in_stderr_and_evidence() {
    let page = "<!DOCTYPE html>\n<html>\n<head>\n<title>404 Not Found</title>\n</head>\n<body>\n<h1>Not Found</h1>\n<p>The requested URL was not found on this server.</p>\n<hr>\n<address>Apache/2.4.62 Server</address>\n</body>\n</html>\n";
    let fake = grafana::start(vec![Step::new("POST", "/api/dashboards/db", 404, page)]);
    let work = tempfile::tempdir().unwrap();
    let run = push(work.path(), &fake.url, &[], &[dashboard()]);
    fake.finish().unwrap();
    assert_eq!(run.code, Some(2), "{}", run.stderr);
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
    assert!(run.stderr.contains("404 Not Found"), "{}", run.stderr);
    assert!(!run.stderr.contains("<"), "{}", run.stderr);
    let evidence = run.evidence.expect("evidence written on failure");
    let v: Value = serde_json::from_str(&evidence).unwrap();
    assert_eq!(
        v["dashboards"][0]["response"],
        serde_json::json!({"status": 404, "body": "404 Not Found"})
    );
    assert!(
        !evidence.contains("<html") && !evidence.contains("</p>"),
        "{evidence}"
    );
}
