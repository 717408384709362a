//! `rollout dashboards restore` against the scripted fake Grafana: the versions list, then
//! `POST /api/dashboards/uid/{uid}/restore` with `{"version": N}`; `--previous` reads the version
//! `dashboards push` recorded as replaced. The token never appears in output or evidence.

mod support;

use std::path::Path;

use serde_json::Value;
use support::{grafana, repo, rollout};

const TOKEN: &str = "glsa_RESTORE_SECRET_0123456789";
const UID: &str = "media-clustering-streams";

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
    evidence: Option<Value>,
}

fn run(work: &Path, url: &str, args: &[&str]) -> Run {
    let out = rollout(work)
        .env("GRAFANA_API_TOKEN", TOKEN)
        .args(["dashboards", "restore", "--grafana-url", url])
        .args(args)
        .output()
        .unwrap();
    let text = std::fs::read_to_string(work.join("evidence/dashboards-restore.json")).ok();
    let r = Run {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        evidence: text.as_deref().map(|t| serde_json::from_str(t).unwrap()),
    };
    for (what, t) in [
        ("stdout", &r.stdout),
        ("stderr", &r.stderr),
        ("evidence", &text.unwrap_or_default()),
    ] {
        assert!(!t.contains(TOKEN), "token in {what}: {t}");
    }
    r
}

#[test]
fn restore_a_named_version_posts_it_and_records_evidence() {
    let fake = grafana::start(vec![
        grafana::versions(UID, &[1, 2, 3, 4]),
        grafana::restored(UID, "pipeline", 5),
    ]);
    let work = tempfile::tempdir().unwrap();
    let url = fake.url.clone();
    let r = run(work.path(), &fake.url, &[UID, "--version", "2"]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let reqs = fake.finish().unwrap();
    assert_eq!(reqs[0].method, "GET");
    assert_eq!(
        reqs[1].header("authorization"),
        Some(format!("Bearer {TOKEN}").as_str())
    );
    assert_eq!(reqs[1].json(), serde_json::json!({"version": 2}));
    assert!(
        r.stdout.starts_with(&format!(
            "restored {UID} to version 2 as new version 5: {}/d/{UID}/pipeline\n",
            url
        )),
        "{}",
        r.stdout
    );
    let e = r.evidence.unwrap();
    assert_eq!(e["kind"], "dashboards-restore");
    assert_eq!(e["result"], "restored");
    assert_eq!(e["targetVersion"], 2);
    assert_eq!(e["versionSource"], "flag");
    assert_eq!(e["latestVersion"], 4);
    assert_eq!(e["restoredVersion"], 5);
    assert_eq!(e["versions"].as_array().unwrap().len(), 4);
    assert_eq!(e["exchanges"][1]["requestBody"]["version"], 2);
}

#[test]
fn previous_without_push_evidence_is_latest_minus_one_grafana_12_shape() {
    let fake = grafana::start(vec![
        grafana::versions_v12(UID, &[7, 6, 5]),
        grafana::restored(UID, "pipeline", 8),
    ]);
    let work = tempfile::tempdir().unwrap();
    let r = run(work.path(), &fake.url, &[UID, "--previous"]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let reqs = fake.finish().unwrap();
    assert_eq!(reqs[1].json()["version"], 6);
    let e = r.evidence.unwrap();
    assert_eq!(e["versionSource"], "latest-minus-one");
}

/// The push evidence names the version our push replaced; someone saved twice since.
#[test]
fn previous_after_a_push_restores_the_version_the_push_replaced() {
    let work = tempfile::tempdir().unwrap();
    let push_fake = grafana::start(vec![grafana::saved(UID, "pipeline", 4)]);
    let out = rollout(work.path())
        .env("GRAFANA_API_TOKEN", TOKEN)
        .args(["dashboards", "push", "--grafana-url", &push_fake.url])
        .arg(repo().join("dashboards/media-clustering-redis-streams.json"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    push_fake.finish().unwrap();
    let push: Value = serde_json::from_str(
        &std::fs::read_to_string(work.path().join("evidence/dashboards-push.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(push["dashboards"][0]["replacedVersion"], 3);

    let fake = grafana::start(vec![
        grafana::versions(UID, &[1, 2, 3, 4, 5, 6]),
        grafana::restored(UID, "pipeline", 7),
    ]);
    let r = run(work.path(), &fake.url, &[UID, "--previous"]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert_eq!(fake.finish().unwrap()[1].json()["version"], 3);
    assert!(
        r.stdout.contains("(the version our push replaced)"),
        "{}",
        r.stdout
    );
    assert_eq!(r.evidence.unwrap()["versionSource"], "push-evidence");
}

#[test]
fn previous_after_a_push_that_created_the_dashboard_is_refused() {
    let work = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(work.path().join("evidence")).unwrap();
    std::fs::write(
        work.path().join("evidence/dashboards-push.json"),
        format!(
            r#"{{"kind":"dashboards-push","dashboards":[{{"uid":"{UID}","result":"pushed","version":1,"replacedVersion":null}}]}}"#
        ),
    )
    .unwrap();
    let fake = grafana::start(vec![grafana::versions(UID, &[1])]);
    let r = run(work.path(), &fake.url, &[UID, "--previous"]);
    assert_eq!(r.code, Some(2));
    assert!(
        r.stderr.contains("our push created dashboard") && r.stderr.lines().count() == 1,
        "{}",
        r.stderr
    );
    fake.finish().unwrap();
    assert_eq!(r.evidence.unwrap()["result"], "refused");
}

#[test]
fn unknown_uid_version_and_bad_token_are_one_line_exit_2() {
    let work = tempfile::tempdir().unwrap();
    let cases: Vec<(Vec<support::fake_http::Step>, Vec<&str>, &str)> = vec![
        (
            vec![grafana::dashboard_not_found(
                "GET",
                grafana::versions_path("nope"),
            )],
            vec!["nope", "--version", "1"],
            "grafana has no dashboard \"nope\" (404 not found): Dashboard not found",
        ),
        (
            vec![grafana::unauthorized_at("GET", grafana::versions_path(UID))],
            vec![UID, "--previous"],
            "grafana refused the token (401 unauthorized)",
        ),
        (
            vec![grafana::versions(UID, &[1, 2, 3])],
            vec![UID, "--version", "9"],
            "grafana lists no version 9 of dashboard \"media-clustering-streams\" (it has 3, 2, 1)",
        ),
        (
            // listed, but gone by the time of the restore (version retention)
            vec![
                grafana::versions(UID, &[1, 2, 3]),
                grafana::version_not_found(UID),
            ],
            vec![UID, "--version", "1"],
            "grafana has no version 1 of dashboard \"media-clustering-streams\" (404 not found): Dashboard version not found",
        ),
    ];
    for (steps, args, needle) in cases {
        let fake = grafana::start(steps);
        let r = run(work.path(), &fake.url, &args);
        fake.finish().unwrap();
        assert_eq!(r.code, Some(2), "{args:?}: {}", r.stderr);
        assert!(r.stderr.contains(needle), "{args:?}: {}", r.stderr);
        assert_eq!(r.stderr.trim_end().lines().count(), 1, "{}", r.stderr);
        assert_eq!(r.stdout, "");
        let expected = if needle.contains("lists no version") {
            "refused"
        } else {
            "rejected"
        };
        assert_eq!(r.evidence.unwrap()["result"], expected, "{args:?}");
    }
}

#[test]
fn dry_run_lists_versions_and_sends_no_restore() {
    let fake = grafana::start(vec![grafana::versions(UID, &[2, 3])]);
    let work = tempfile::tempdir().unwrap();
    let url = fake.url.clone();
    let r = run(work.path(), &fake.url, &[UID, "--previous", "--dry-run"]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert_eq!(fake.finish().unwrap().len(), 1);
    assert!(
        r.stdout.contains(&format!(
            "dry run: would POST {}/api/dashboards/uid/{UID}/restore {{\"version\": 2}}",
            url
        )),
        "{}",
        r.stdout
    );
    assert!(
        r.evidence.is_none(),
        "a dry run writes no evidence unless asked"
    );
}

#[test]
fn no_token_and_bad_uid_are_usage_errors_before_any_request() {
    let work = tempfile::tempdir().unwrap();
    let out = rollout(work.path())
        .args([
            "dashboards",
            "restore",
            UID,
            "--version",
            "1",
            "--grafana-url",
            "http://127.0.0.1:9",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no Grafana token"));
    let out = rollout(work.path())
        .env("GRAFANA_API_TOKEN", TOKEN)
        .args([
            "dashboards",
            "restore",
            "a/b",
            "--previous",
            "--grafana-url",
            "http://127.0.0.1:9",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("invalid dashboard uid \"a/b\""));
}

#[test]
fn the_report_shows_the_restore() {
    let fake = grafana::start(vec![
        grafana::versions(UID, &[1, 2]),
        grafana::restored(UID, "pipeline", 3),
    ]);
    let work = tempfile::tempdir().unwrap();
    let r = run(work.path(), &fake.url, &[UID, "--version", "1"]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    fake.finish().unwrap();
    let out = rollout(work.path())
        .args(["evidence", "--evidence-dir", "evidence"])
        .output()
        .unwrap();
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(report.contains("Dashboard restored"), "{report}");
    assert!(report.contains("version 1"), "{report}");
}
