//! `rollout sync` and `rollout rollback --sync` against a scripted fake Argo CD API
//! (tests/support/argocd.rs over tests/support/fake_http.rs): the real binary for the command's behaviour, the library for the
//! rollback hand-off (whose overlay writer is wired by the generator).

mod support;

use support::argocd as fake;
use support::fake_http;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use fake::{FakeArgo, Reply, app, get, resource, sync};
use serde_json::json;

const TOKEN: &str = "argocd-token-s3cr3t-9f8e7d";
const APP: &str = "media-staging";
const OLD: &str = "2026-11-27T09:00:00Z";
const NEW: &str = "2026-11-27T10:00:05Z";
/// The operation before ours, finished, without a message.
const SETTLED: Option<(&str, &str, &str)> = Some(("Succeeded", OLD, ""));
/// Our sync's operation, running.
const RUNNING: Option<(&str, &str, &str)> = Some(("Running", NEW, "one or more tasks are running"));
/// The operation before ours, finished.
const PREVIOUS: Option<(&str, &str, &str)> =
    Some(("Succeeded", OLD, "successfully synced (all tasks run)"));
/// Our sync's operation, finished.
const DONE: Option<(&str, &str, &str)> =
    Some(("Succeeded", NEW, "successfully synced (all tasks run)"));

struct Ran {
    code: i32,
    stdout: String,
    stderr: String,
}

fn rollout(args: &[&str], dir: &Path) -> Ran {
    let out = Command::new(assert_cmd::cargo::cargo_bin!("rollout"))
        .args(args)
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("ARGOCD_AUTH_TOKEN", TOKEN)
        .output()
        .expect("run rollout");
    let ran = Ran {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    };
    assert!(
        !ran.stdout.contains(TOKEN) && !ran.stderr.contains(TOKEN),
        "token leaked:\n{}\n{}",
        ran.stdout,
        ran.stderr
    );
    ran
}

/// Replaces whole-second durations (`12s`) with `[SECS]`.
fn secs(text: &str) -> String {
    regex::Regex::new(r"\b\d+s\b")
        .unwrap()
        .replace_all(text, "[SECS]")
        .into_owned()
}

fn sync_args<'a>(server: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut v = vec![
        "sync",
        APP,
        "--server",
        server,
        "--poll-interval",
        "10ms",
        "--timeout",
        "5s",
    ];
    v.extend_from_slice(extra);
    v
}

/// `rollout sync APP` ([`sync_args`] and `extra`) in a fresh directory against a fake Argo CD
/// following `script`: what it printed, the requests the fake saw, and the directory.
fn sync_against(
    script: Vec<fake_http::Step>,
    extra: &[&str],
) -> (Ran, Vec<fake::Seen>, tempfile::TempDir) {
    let fake = FakeArgo::start(script);
    let dir = tempfile::tempdir().unwrap();
    let url = fake.url();
    let ran = rollout(&sync_args(&url, extra), dir.path());
    (ran, fake.finish(), dir)
}

fn healthy_resources() -> Vec<serde_json::Value> {
    vec![
        resource("ConfigMap", "media-flags", "Synced", None),
        resource("Deployment", "auth", "Synced", Some(("Healthy", ""))),
        resource("Deployment", "embedder", "Synced", Some(("Healthy", ""))),
        resource(
            "Deployment",
            "media-clustering",
            "Synced",
            Some(("Healthy", "")),
        ),
    ]
}

fn ok(v: serde_json::Value) -> Reply {
    Reply::Json(200, v)
}

/// An Application with [`healthy_resources`] (`op` and `pending` as in [`app`]).
fn app_of(
    name: &str,
    sync: &str,
    health: &str,
    op: Option<(&str, &str, &str)>,
    pending: bool,
) -> serde_json::Value {
    app(name, sync, health, op, pending, healthy_resources())
}

/// `name` (last synced at `OLD`) is synced: GET, POST sync, optionally one GET Synced and
/// Progressing, then GET Synced and Healthy.
fn simple_sync_script(name: &str, progressing: bool) -> Vec<fake_http::Step> {
    let before = |pending| ok(app_of(name, "OutOfSync", "Healthy", SETTLED, pending));
    let mut script = vec![get(name, before(false)), sync(name, before(true))];
    if progressing {
        script.push(get(
            name,
            ok(app_of(name, "Synced", "Progressing", DONE, false)),
        ));
    }
    script.push(get(
        name,
        ok(app_of(name, "Synced", "Healthy", DONE, false)),
    ));
    script
}

fn read_json(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// `APP` as [`app_of`] makes it, answered 200.
fn app_ok(sync: &str, health: &str, op: Option<(&str, &str, &str)>, pending: bool) -> Reply {
    ok(app_of(APP, sync, health, op, pending))
}

#[test]
fn out_of_sync_to_synced_and_progressing_to_healthy_with_evidence() {
    let progressing = vec![
        resource("ConfigMap", "media-flags", "Synced", None),
        resource(
            "Deployment",
            "auth",
            "Synced",
            Some((
                "Progressing",
                "Waiting for rollout to finish: 1 old replicas are pending termination...",
            )),
        ),
        resource("Deployment", "embedder", "Synced", Some(("Healthy", ""))),
        resource(
            "Deployment",
            "media-clustering",
            "Synced",
            Some(("Healthy", "")),
        ),
    ];
    let before = app_of(APP, "OutOfSync", "Healthy", PREVIOUS, false);
    let (ran, seen, dir) = sync_against(
        vec![
            get(APP, ok(before.clone())),
            sync(APP, app_ok("OutOfSync", "Healthy", SETTLED, true)),
            get(APP, app_ok("OutOfSync", "Healthy", SETTLED, true)),
            get(APP, app_ok("OutOfSync", "Healthy", RUNNING, true)),
            get(
                APP,
                ok(app(
                    APP,
                    "Synced",
                    "Progressing",
                    DONE,
                    false,
                    progressing.clone(),
                )),
            ),
            get(
                APP,
                ok(app(APP, "Synced", "Progressing", DONE, false, progressing)),
            ),
            get(APP, app_ok("Synced", "Healthy", DONE, false)),
        ],
        &[
            "--revision",
            "main",
            "--prune",
            "--sync-option",
            "ApplyOutOfSyncOnly=true",
            "--evidence",
            "evidence.json",
        ],
    );
    assert_eq!(ran.code, 0, "{}{}", ran.stdout, ran.stderr);
    assert_eq!(
        ran.stdout,
        format!(
            "{APP}: Synced and Healthy at revision {} (0s)\n",
            fake::REVISION
        )
    );
    assert!(
        ran.stderr.contains("evidence written to evidence.json"),
        "{}",
        ran.stderr
    );
    // Not a terminal: plain timestamped lines, one per change.
    let lines: Vec<&str> = ran
        .stderr
        .lines()
        .filter(|l| l.contains(" media-staging phase="))
        .collect();
    assert_eq!(lines.len(), 4, "{}", ran.stderr);
    assert!(
        lines[1].ends_with("phase=Running sync=OutOfSync health=Healthy"),
        "{lines:?}"
    );
    assert!(!ran.stderr.contains('\r'));

    assert_eq!(seen.len(), 7);
    assert!(
        seen.iter()
            .all(|s| s.authorization.as_deref() == Some(&*format!("Bearer {TOKEN}")))
    );
    assert_eq!(
        seen[1].body,
        Some(
            json!({"name": APP, "revision": "main", "prune": true, "dryRun": false,
                    "syncOptions": {"items": ["ApplyOutOfSyncOnly=true"]}})
        )
    );

    let evidence = std::fs::read_to_string(dir.path().join("evidence.json")).unwrap();
    assert!(!evidence.contains(TOKEN));
    insta::with_settings!({filters => vec![
        // Our clock only: Argo CD's own operation times (fixed by the fake) stay visible.
        (r#"(?m)^  "(started_at|finished_at)": "[^"]+""#, r#"  "$1": "[TIME]""#),
        (r#""at": "[^"]+""#, r#""at": "[TIME]""#),
        (r#""(elapsed_seconds|duration_seconds)": \d+"#, r#""$1": "[SECS]""#),
        (r"127\.0\.0\.1:\d+", "127.0.0.1:[PORT]"),
    ]}, {
        insta::assert_snapshot!("sync_evidence_json", evidence);
    });
}

#[test]
fn evidence_as_markdown() {
    let (ran, _, dir) = sync_against(
        vec![
            get(APP, app_ok("OutOfSync", "Healthy", None, false)),
            sync(APP, app_ok("OutOfSync", "Healthy", None, true)),
            get(APP, app_ok("Synced", "Healthy", DONE, false)),
        ],
        &["--evidence", "sync.md"],
    );
    assert_eq!(ran.code, 0, "{}{}", ran.stdout, ran.stderr);
    let md = std::fs::read_to_string(dir.path().join("sync.md")).unwrap();
    insta::with_settings!({filters => vec![
        (r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", "[TIME]"),
        (r"\| \d+s \|", "| [SECS] |"),
        (r"127\.0\.0\.1:\d+", "127.0.0.1:[PORT]"),
    ]}, {
        insta::assert_snapshot!("sync_evidence_md", md);
    });
}

#[test]
fn degraded_fails_with_the_unhealthy_resources() {
    let degraded = vec![
        resource("Deployment", "auth", "Synced", Some(("Healthy", ""))),
        resource(
            "Deployment",
            "embedder",
            "Synced",
            Some((
                "Degraded",
                "Deployment \"embedder\" exceeded its progress deadline",
            )),
        ),
    ];
    let (ran, _, dir) = sync_against(
        vec![
            get(APP, app_ok("OutOfSync", "Healthy", SETTLED, false)),
            sync(APP, app_ok("OutOfSync", "Healthy", SETTLED, true)),
            get(APP, app_ok("Synced", "Progressing", DONE, false)),
            get(
                APP,
                ok(app(APP, "Synced", "Degraded", DONE, false, degraded)),
            ),
        ],
        &["--evidence", "e.json", "--degraded-grace", "0s"],
    );
    assert_eq!(ran.code, 1, "{}{}", ran.stdout, ran.stderr);
    assert_eq!(
        secs(&ran.stdout),
        "media-staging: sync failed: application is Degraded: apps/Deployment/media/embedder: Deployment \"embedder\" exceeded its progress deadline (phase Succeeded, sync Synced, health Degraded, [SECS])\n\
         resources not healthy or not synced:\n  \
         apps/Deployment/media/embedder  sync=Synced health=Degraded  Deployment \"embedder\" exceeded its progress deadline\n"
    );
    let ev = read_json(&dir.path().join("e.json"));
    assert_eq!(ev["result"], "failed");
    assert_eq!(
        ev["failure"],
        "application is Degraded: apps/Deployment/media/embedder: Deployment \"embedder\" exceeded its progress deadline"
    );
    assert_eq!(ev["resources"][1]["health"], "Degraded");
}

#[test]
fn failed_operation_fails_with_argo_cds_message() {
    let mut failed = app(
        APP,
        "OutOfSync",
        "Healthy",
        Some((
            "Failed",
            NEW,
            "one or more objects failed to apply, reason: admission webhook \"validate.kyverno.svc\" denied the request",
        )),
        false,
        vec![resource(
            "Deployment",
            "embedder",
            "OutOfSync",
            Some(("Healthy", "")),
        )],
    );
    failed["status"]["operationState"]["syncResult"]["resources"] = json!([
        {"group": "apps", "version": "v1", "kind": "Deployment", "namespace": "media", "name": "embedder",
         "status": "SyncFailed", "message": "admission webhook \"validate.kyverno.svc\" denied the request", "syncPhase": "Sync"}]);
    let (ran, _, _) = sync_against(
        vec![
            get(
                APP,
                ok(app(APP, "OutOfSync", "Healthy", None, false, vec![])),
            ),
            sync(
                APP,
                ok(app(APP, "OutOfSync", "Healthy", None, true, vec![])),
            ),
            get(APP, ok(failed)),
        ],
        &[],
    );
    assert_eq!(ran.code, 1, "{}{}", ran.stdout, ran.stderr);
    assert!(
        ran.stdout.starts_with(
            "media-staging: sync failed: sync operation failed: one or more objects failed to apply"
        ),
        "{}",
        ran.stdout
    );
    assert!(ran.stdout.contains("apps/Deployment/media/embedder  sync=OutOfSync health=Healthy  admission webhook \"validate.kyverno.svc\" denied the request"), "{}", ran.stdout);
}

#[test]
fn waits_for_an_operation_already_in_progress() {
    let running_other = app_of(
        APP,
        "OutOfSync",
        "Healthy",
        Some(("Running", OLD, "one or more tasks are running")),
        true,
    );
    let other_done = app_of(APP, "OutOfSync", "Healthy", PREVIOUS, false);
    let (ran, _, dir) = sync_against(
        vec![
            get(APP, ok(running_other.clone())),
            get(APP, ok(running_other)),
            get(APP, ok(other_done.clone())),
            // The race: someone else started again between our GET and our POST.
            sync(APP, fake::operation_in_progress()),
            get(APP, ok(other_done)),
            sync(APP, app_ok("OutOfSync", "Healthy", SETTLED, true)),
            get(APP, app_ok("Synced", "Healthy", DONE, false)),
        ],
        &["--evidence", "e.json"],
    );
    assert_eq!(ran.code, 0, "{}{}", ran.stdout, ran.stderr);
    assert!(
        ran.stderr
            .contains("waiting for another operation: phase=Running"),
        "{}",
        ran.stderr
    );
    let ev = read_json(&dir.path().join("e.json"));
    assert_eq!(ev["waited_for_other_operation"], true);
}

#[test]
fn no_wait_for_operation_fails_at_once() {
    let running_other = app_of(
        APP,
        "OutOfSync",
        "Healthy",
        Some(("Running", OLD, "one or more tasks are running")),
        true,
    );
    let (ran, seen, dir) = sync_against(
        vec![get(APP, ok(running_other))],
        &["--no-wait-for-operation"],
    );
    assert_eq!(seen.len(), 1, "no sync requested");
    assert_eq!(ran.code, 1, "{}{}", ran.stdout, ran.stderr);
    assert!(ran.stdout.starts_with("media-staging: sync failed: another operation is already in progress (not waiting: --no-wait-for-operation) (phase Running"), "{}", ran.stdout);

    // Same when Argo CD refuses the POST itself.
    let fake = FakeArgo::start(vec![
        get(
            APP,
            ok(app(APP, "OutOfSync", "Healthy", None, false, vec![])),
        ),
        sync(APP, fake::operation_in_progress()),
    ]);
    let url = fake.url();
    let ran = rollout(&sync_args(&url, &["--no-wait-for-operation"]), dir.path());
    fake.finish();
    assert_eq!(ran.code, 1, "{}{}", ran.stdout, ran.stderr);
    assert!(
        ran.stdout
            .contains("another operation is already in progress"),
        "{}",
        ran.stdout
    );
}

#[test]
fn bad_token_is_one_line_exit_2() {
    let (ran, _, _) = sync_against(vec![get(APP, fake::unauthorized())], &[]);
    assert_eq!(ran.code, 2);
    assert_eq!(ran.stdout, "");
    assert_eq!(
        ran.stderr,
        "error: argo cd rejected the token (401 unauthorized: invalid session: token signature is invalid); check ARGOCD_AUTH_TOKEN or --token-file\n"
    );
}

#[test]
fn forbidden_is_one_line_exit_2() {
    let msg = "permission denied: applications, sync, default/media-staging, sub: ci, iat: 2026-11-27T09:00:00Z";
    let (ran, _, _) = sync_against(
        vec![
            get(
                APP,
                ok(app(APP, "OutOfSync", "Healthy", None, false, vec![])),
            ),
            sync(APP, Reply::Json(403, fake::error_body(7, msg))),
        ],
        &[],
    );
    assert_eq!(ran.code, 2);
    let errors: Vec<&str> = ran
        .stderr
        .lines()
        .filter(|l| l.starts_with("error:"))
        .collect();
    assert_eq!(errors.len(), 1, "{}", ran.stderr);
    assert!(
        errors[0].starts_with(&format!(
            "error: argo cd denied access to application media-staging (403 forbidden: {msg})"
        )),
        "{}",
        ran.stderr
    );
}

#[test]
fn unknown_app_is_one_line_exit_2() {
    let fake = FakeArgo::start(vec![get("nope", fake::not_found("nope"))]);
    let dir = tempfile::tempdir().unwrap();
    let url = fake.url();
    let ran = rollout(&["sync", "nope", "--server", &url], dir.path());
    fake.finish();
    assert_eq!(ran.code, 2);
    assert_eq!(
        ran.stderr,
        "error: application nope not found (404: applications.argoproj.io \"nope\" not found); check the name with `argocd app list` and --server\n"
    );
}

#[test]
fn connection_refused_and_tls_failures_are_one_line_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let url = format!("http://127.0.0.1:{port}");
    let ran = rollout(&["sync", APP, "--server", &url], dir.path());
    assert_eq!(ran.code, 2);
    assert_eq!(
        ran.stderr,
        format!("error: cannot connect to Argo CD at {url}: connection refused\n")
    );

    // A server that does not speak TLS on an https:// URL: it answers in plain HTTP, so the fix
    // is http://, not --insecure (issue 12).
    let plain = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = plain.local_addr().unwrap();
    std::thread::spawn(move || {
        for s in plain.incoming().flatten() {
            use std::io::Write;
            let mut s = s;
            let _ = s.write_all(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
        }
    });
    let url = format!("https://{addr}");
    let ran = rollout(&["sync", APP, "--server", &url], dir.path());
    assert_eq!(ran.code, 2, "{}", ran.stderr);
    assert_eq!(ran.stderr.lines().count(), 1, "{}", ran.stderr);
    assert_eq!(
        ran.stderr,
        format!(
            "error: Argo CD at {url} answered in plain HTTP, not TLS: pass --server http://{addr} \
             (not --insecure)\n"
        )
    );
}

/// A sync whose wait meets a server that misbehaves with `last` after one Running poll, run with
/// `--poll-interval poll --timeout timeout`: what the command printed, how long it took, and the
/// evidence it wrote.
fn sync_that_loses_the_server(
    last: Reply,
    poll: &str,
    timeout: &str,
) -> (Ran, Duration, serde_json::Value) {
    let fake = FakeArgo::start(vec![
        get(APP, app_ok("OutOfSync", "Healthy", None, false)),
        sync(APP, app_ok("OutOfSync", "Healthy", None, true)),
        get(APP, app_ok("OutOfSync", "Progressing", RUNNING, true)),
        get(APP, last),
    ]);
    let dir = tempfile::tempdir().unwrap();
    let url = fake.url();
    let start = Instant::now();
    let ran = rollout(
        &[
            "sync",
            APP,
            "--server",
            &url,
            "--poll-interval",
            poll,
            "--timeout",
            timeout,
            "--evidence",
            "e.json",
        ],
        dir.path(),
    );
    let took = start.elapsed();
    fake.finish();
    let ev =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("e.json")).unwrap()).unwrap();
    (ran, took, ev)
}

#[test]
fn server_that_stops_answering_is_bounded_by_the_timeout() {
    let (ran, took, ev) = sync_that_loses_the_server(Reply::Hang, "10ms", "1500ms");
    assert_eq!(ran.code, 1, "{}{}", ran.stdout, ran.stderr);
    assert!(
        took < Duration::from_secs(6),
        "bounded by --timeout, took {took:?}"
    );
    assert!(ran.stdout.starts_with("media-staging: sync failed: timed out before the application was Synced and Healthy (phase Running, sync OutOfSync, health Progressing"), "{}", ran.stdout);
    assert!(
        ran.stdout
            .contains("poll(s) got no answer; last: Argo CD at"),
        "{}",
        ran.stdout
    );
    assert_eq!(ev["result"], "failed");
    assert!(
        ev["poll_errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("did not answer within"),
        "{ev}"
    );
}

#[test]
fn server_that_goes_away_mid_wait_is_retried_until_the_timeout() {
    let (ran, took, ev) = sync_that_loses_the_server(Reply::GoAway, "20ms", "1s");
    assert_eq!(ran.code, 1, "{}{}", ran.stdout, ran.stderr);
    assert!(took < Duration::from_secs(5), "took {took:?}");
    assert!(
        ran.stdout
            .starts_with("media-staging: sync failed: timed out"),
        "{}",
        ran.stdout
    );
    assert!(
        ran.stderr
            .contains("(poll failed, retrying: cannot connect to Argo CD at"),
        "{}",
        ran.stderr
    );
    let refused = ev["poll_errors"].as_array().unwrap().iter().find(|p| {
        p["message"]
            .as_str()
            .unwrap()
            .ends_with("connection refused")
    });
    assert!(
        refused.is_some_and(|p| p["count"].as_u64().unwrap() >= 2),
        "{ev}"
    );
}

#[test]
fn dry_run_succeeds_on_the_operation_alone() {
    let (ran, seen, _) = sync_against(
        vec![
            get(
                APP,
                ok(app(APP, "OutOfSync", "Healthy", SETTLED, false, vec![])),
            ),
            sync(
                APP,
                ok(app(APP, "OutOfSync", "Healthy", SETTLED, true, vec![])),
            ),
            get(
                APP,
                ok(app(APP, "OutOfSync", "Healthy", DONE, false, vec![])),
            ),
        ],
        &["--dry-run"],
    );
    assert_eq!(ran.code, 0, "{}{}", ran.stdout, ran.stderr);
    assert_eq!(seen[1].body.as_ref().unwrap()["dryRun"], true);
    assert!(
        ran.stdout
            .starts_with("media-staging: dry-run sync succeeded"),
        "{}",
        ran.stdout
    );
}

#[test]
fn token_file_is_used_and_never_shown() {
    let fake = FakeArgo::start(vec![get(APP, fake::unauthorized())]);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("token"), "file-token-abc123\n").unwrap();
    let url = fake.url();
    let ran = rollout(
        &["sync", APP, "--server", &url, "--token-file", "token"],
        dir.path(),
    );
    let seen = fake.finish();
    assert_eq!(
        seen[0].authorization.as_deref(),
        Some("Bearer file-token-abc123")
    );
    assert_eq!(ran.code, 2);
    assert!(!ran.stderr.contains("file-token-abc123") && !ran.stdout.contains("file-token-abc123"));
}

#[test]
fn missing_token_or_server_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(assert_cmd::cargo::cargo_bin!("rollout"))
        .args(["sync", APP, "--server", "http://127.0.0.1:9"])
        .env_clear()
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "error: no Argo CD token: set ARGOCD_AUTH_TOKEN or pass --token-file FILE\n"
    );
    let ran = rollout(&["sync", APP], dir.path());
    assert_eq!(ran.code, 2);
    assert_eq!(
        ran.stderr,
        "error: no Argo CD server: pass --server URL or set ARGOCD_SERVER\n"
    );
}

// --- rollback --sync, through the library (the overlay writer is the generator's) -------------

mod rollback {
    use super::*;
    use rollout::argocd::api::SyncParams;
    use rollout::argocd::rollback::{RollbackOptions, RollbackOverlay, run};
    use rollout::argocd::sync::{SyncError, SyncOptions};
    use rollout::secret::Secret;

    const RB: &str = "media-staging-rollback";

    fn opts(app: &str, server: String) -> RollbackOptions {
        RollbackOptions {
            env: "staging".into(),
            sync: Some(SyncOptions {
                app: app.into(),
                server,
                token: Secret::new(TOKEN),
                insecure: false,
                params: SyncParams::default(),
                timeout: Duration::from_secs(5),
                poll_interval: Duration::from_millis(10),
                wait_for_operation: true,
                expect_path: None,
                degraded_grace: Duration::ZERO,
                workload_check: None,
            }),
        }
    }

    fn unchanged(env: &str) -> Result<RollbackOverlay, Box<dyn std::error::Error + Send + Sync>> {
        Ok(RollbackOverlay {
            dir: format!("overlays/{env}-rollback").into(),
            source_path: format!("overlays/{env}-rollback"),
            changed: vec![],
        })
    }

    #[test]
    fn syncs_the_rollback_application_and_waits() {
        let fake = FakeArgo::start(simple_sync_script(RB, true));
        let mut events = 0;
        let report = run(
            &opts(RB, fake.url()),
            &mut unchanged,
            &mut |_| Ok(None),
            &mut |_| events += 1,
        )
        .unwrap();
        fake.finish();
        assert!(!report.has_findings(), "{report:?}");
        let s = report.sync.unwrap();
        assert_eq!(s.failure, None);
        assert_eq!(s.evidence.application, RB);
        assert!(events >= 3);
    }

    #[test]
    fn refuses_an_application_that_does_not_deploy_the_rollback_overlay() {
        let fake = FakeArgo::start(vec![get(
            APP,
            ok(app(APP, "Synced", "Healthy", None, false, vec![])),
        )]);
        let err = run(
            &opts(APP, fake.url()),
            &mut unchanged,
            &mut |_| Ok(None),
            &mut |_| {},
        )
        .unwrap_err();
        let seen = fake.finish();
        assert_eq!(seen.len(), 1, "no sync requested");
        assert!(matches!(
            err,
            rollout::argocd::rollback::RollbackError::Sync(SyncError::WrongPath { .. })
        ));
        assert_eq!(
            err.to_string(),
            "application media-staging deploys \"overlays/staging\", not \"overlays/staging-rollback\"; \
             sync an Application whose spec.source.path is \"overlays/staging-rollback\""
        );
    }
}

// --- rollback through the binary: real generator, real git, fake Argo CD ---------------------

fn git(dir: &Path, args: &[&str]) {
    let out = std::process::Command::new("git")
        .current_dir(dir)
        .args(args)
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@example.com")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@example.com")
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Issue 12: `rollback --sync` asks git whether the rollback overlay and the Application are
/// committed and pushed, and refuses (exit 2, before any request) until they are; the guard no
/// longer depends on this run having written the files.
#[test]
fn issue_12_rollback_sync_asks_git_for_uncommitted_and_unpushed_changes() {
    const RB: &str = "media-staging-rollback";
    let tmp = tempfile::tempdir().unwrap();
    let remote = tmp.path().join("remote.git");
    let dir = tmp.path().join("work");
    std::fs::create_dir_all(&dir).unwrap();
    git(
        tmp.path(),
        &["init", "-q", "--bare", "-b", "main", "remote.git"],
    );
    git(&dir, &["init", "-q", "-b", "main"]);
    let spec = Path::new(env!("CARGO_MANIFEST_DIR")).join("rollout.yaml");
    std::fs::copy(&spec, dir.join("rollout.yaml")).unwrap();
    // The generator aims its patches at what the base contains: it reads the hydrated base.
    let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("overlays/base");
    std::fs::create_dir_all(dir.join("overlays/base")).unwrap();
    for f in std::fs::read_dir(&base).unwrap() {
        let f = f.unwrap();
        std::fs::copy(f.path(), dir.join("overlays/base").join(f.file_name())).unwrap();
    }
    let ran = rollout(&["generate", "--env", "staging"], &dir);
    assert_eq!(ran.code, 0, "{}{}", ran.stdout, ran.stderr);

    let rollback = |url: &str, extra: &[&str]| {
        let mut args = vec![
            "rollback",
            "--env",
            "staging",
            "--sync",
            RB,
            "--server",
            url,
            "--poll-interval",
            "10ms",
            "--timeout",
            "5s",
        ];
        args.extend_from_slice(extra);
        rollout(&args, &dir)
    };
    let refused = |what: &str| {
        let fake = FakeArgo::start(vec![]);
        let ran = rollback(&fake.url(), &[]);
        assert!(fake.finish().is_empty(), "{what}: no request to Argo CD");
        assert_eq!(ran.code, 2, "{what}: {}{}", ran.stdout, ran.stderr);
        assert_eq!(
            ran.stderr
                .lines()
                .filter(|l| l.starts_with("error:"))
                .count(),
            1
        );
        ran.stderr
    };

    // 1. The files exist (generate wrote them) but are not committed: this run writes nothing.
    let e = refused("untracked");
    assert!(
        e.contains("error: not syncing media-staging-rollback: overlays/staging-rollback, argocd/staging/media-staging-rollback.yaml has uncommitted changes: commit and push them, then run `rollout rollback --env staging --sync media-staging-rollback`"),
        "{e}"
    );

    // 2. Committed, but the branch has no upstream.
    git(&dir, &["add", "."]);
    git(&dir, &["commit", "-q", "-m", "rollout"]);
    let e = refused("no upstream");
    assert!(
        e.contains("branch main has no upstream, so git cannot tell whether it is pushed: push it with `git push -u origin main`"),
        "{e}"
    );

    // 3. Pushed: the sync goes ahead.
    git(&dir, &["remote", "add", "origin", remote.to_str().unwrap()]);
    git(&dir, &["push", "-q", "-u", "origin", "main"]);
    let fake = FakeArgo::start(simple_sync_script(RB, false));
    let ran = rollback(&fake.url(), &[]);
    fake.finish();
    assert_eq!(ran.code, 0, "{}{}", ran.stdout, ran.stderr);

    // 4. Commits not pushed: an edit to the overlay, put back by `generate` (so this run writes
    // nothing), and an edit to the Application; the tree is clean, the branch two commits ahead.
    let k = dir.join("overlays/staging-rollback/kustomization.yaml");
    let mut text = std::fs::read_to_string(&k).unwrap();
    text.push_str("# edited\n");
    std::fs::write(&k, &text).unwrap();
    git(&dir, &["commit", "-q", "-am", "edit"]);
    let ran = rollout(&["generate", "--env", "staging"], &dir);
    assert_eq!(ran.code, 0, "{}{}", ran.stdout, ran.stderr);
    git(&dir, &["commit", "-q", "-am", "regenerate"]);
    let e = refused("unpushed");
    assert!(
        e.contains("not syncing media-staging-rollback: overlays/staging-rollback has commits that are not pushed: push them (`git push`)"),
        "{e}"
    );
    git(&dir, &["push", "-q"]);

    // 5. Uncommitted change to the Application file only.
    let app = dir.join("argocd/staging/media-staging-rollback.yaml");
    let mut text = std::fs::read_to_string(&app).unwrap();
    text.push_str("# edited\n");
    std::fs::write(&app, text).unwrap();
    let e = refused("dirty application");
    assert!(
        e.contains("not syncing media-staging-rollback: argocd/staging/media-staging-rollback.yaml has uncommitted changes"),
        "{e}"
    );
}

/// Outside git, there is nothing Argo CD could read: refused with a one-line error.
#[test]
fn rollback_sync_outside_git_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let spec = Path::new(env!("CARGO_MANIFEST_DIR")).join("rollout.yaml");
    std::fs::copy(&spec, dir.path().join("rollout.yaml")).unwrap();
    let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("overlays/base");
    std::fs::create_dir_all(dir.path().join("overlays/base")).unwrap();
    for f in std::fs::read_dir(&base).unwrap() {
        let f = f.unwrap();
        std::fs::copy(
            f.path(),
            dir.path().join("overlays/base").join(f.file_name()),
        )
        .unwrap();
    }
    let fake = FakeArgo::start(vec![]);
    let url = fake.url();
    let args = [
        "rollback",
        "--env",
        "staging",
        "--sync",
        "media-staging-rollback",
        "--server",
        &url,
    ];
    // First run writes the overlay: refused because this run wrote it.
    let ran = rollout(&args, dir.path());
    assert_eq!(ran.code, 2, "{}{}", ran.stdout, ran.stderr);
    assert!(
        ran.stderr.contains("this run wrote the rollback overlay overlays/staging-rollback (4 file(s)): commit and push it"),
        "{}",
        ran.stderr
    );
    // Second run writes nothing, and git cannot vouch for it.
    let ran = rollout(&args, dir.path());
    assert!(fake.finish().is_empty());
    assert_eq!(ran.code, 2, "{}{}", ran.stdout, ran.stderr);
    assert!(
        ran.stderr
            .contains("error: cannot check that the rollback overlay is committed and pushed")
            && ran.stderr.contains("is not in a git repository"),
        "{}",
        ran.stderr
    );
}

/// Issue 12: `--server HOST:PORT` means https; when a plain-HTTP server answers the TLS hello
/// (with its HTML "400 Bad Request" page), the error says to use `http://`, not `--insecure`,
/// on one line.
#[test]
fn issue_12_plain_http_server_without_a_scheme_suggests_http() {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = std::thread::spawn(move || {
        let (mut conn, _) = listener.accept().unwrap();
        let mut buf = [0u8; 512];
        let _ = conn.read(&mut buf);
        let page = "<!DOCTYPE HTML>\n<html>\n<head><title>Error response</title></head>\n<body>\n<h1>Error response</h1>\n<p>Error code: 400</p>\n<p>Message: Bad request version.</p>\n</body>\n</html>\n";
        let _ = write!(
            conn,
            "HTTP/1.0 400 Bad Request\r\nContent-Type: text/html\r\nContent-Length: {}\r\n\r\n{page}",
            page.len()
        );
        buf[0]
    });
    let dir = tempfile::tempdir().unwrap();
    let server_arg = format!("127.0.0.1:{port}");
    let ran = rollout(
        &["sync", APP, "--server", &server_arg, "--timeout", "5s"],
        dir.path(),
    );
    assert_eq!(
        server.join().unwrap(),
        0x16,
        "a TLS handshake record was sent"
    );
    assert_eq!(ran.code, 2, "{}{}", ran.stdout, ran.stderr);
    assert_eq!(
        ran.stderr,
        format!(
            "error: Argo CD at https://127.0.0.1:{port} answered in plain HTTP, not TLS: pass \
             --server http://127.0.0.1:{port} (not --insecure)\n"
        )
    );
}

/// Issue 12: a sync that ends in an error still writes its evidence (`result: failed`, the reason
/// on one masked line), so `rollout evidence` says "failed", not "missing".
#[test]
fn issue_12_a_failed_sync_writes_failed_evidence_and_the_report_says_failed() {
    let fake = FakeArgo::start(vec![get("nope", fake::not_found("nope"))]);
    let dir = tempfile::tempdir().unwrap();
    let url = fake.url();
    let ran = rollout(
        &[
            "sync",
            "nope",
            "--server",
            &url,
            "--evidence",
            "evidence/argocd-sync.json",
        ],
        dir.path(),
    );
    fake.finish();
    assert_eq!(ran.code, 2, "{}", ran.stderr);
    assert_eq!(ran.stderr.lines().count(), 1, "{}", ran.stderr);
    assert!(
        ran.stderr
            .ends_with("(evidence: evidence/argocd-sync.json)\n"),
        "{}",
        ran.stderr
    );
    let text = std::fs::read_to_string(dir.path().join("evidence/argocd-sync.json")).unwrap();
    assert!(!text.contains(TOKEN));
    let ev: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(ev["application"], "nope");
    assert_eq!(ev["result"], "failed");
    let failure = ev["failure"].as_str().unwrap();
    assert!(
        failure.starts_with("application nope not found (404"),
        "{failure}"
    );
    assert!(!failure.contains('\n'));

    let report = rollout(&["evidence", "--output", "json"], dir.path());
    let v: serde_json::Value = serde_json::from_str(&report.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}{}", report.stdout, report.stderr));
    let item = ["checklist", "steps"]
        .iter()
        .flat_map(|k| v[*k].as_array().cloned().unwrap_or_default())
        .find(|i| i["key"] == "argocd-sync")
        .unwrap_or_else(|| panic!("{}", report.stdout));
    assert_eq!(item["status"], "failed", "{item}");
    assert!(
        report.stderr.contains("1 failed: argocd-sync"),
        "{}",
        report.stderr
    );
}
