//! `rollout alerts fire|quiet` end to end against a REAL Alertmanager 0.25, plus the failure paths:
//! Alertmanager down, a 400 on a bad payload, and a silence that cannot be created (then no alert sent).

mod support;

use std::path::Path;

use rollout::clients::alertmanager as am;
use rollout::clients::http::{self, Executor};
use serde_json::{Value, json};
use support::alertmanager::{Alertmanager, free_port};
use support::fake_http::{FakeServer, Recorded, Step};
use support::{filters, repo, rollout};

const NAMES: [&str; 4] = [
    "EmbedderErrors",
    "EmbedderLatencyHigh",
    "MediaClusteringJobFailures",
    "MediaClusteringJobLatencyHigh",
];

fn read_json(p: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
}

/// `alerts VERB --alertmanager-url URL --environment staging`.
fn am_args<'a>(verb: &'a str, url: &'a str) -> [&'a str; 6] {
    [
        "alerts",
        verb,
        "--alertmanager-url",
        url,
        "--environment",
        "staging",
    ]
}

fn fire_args(url: &str, evidence: &Path) -> Vec<String> {
    let mut args: Vec<String> = am_args("fire", url).map(String::from).to_vec();
    args.extend([
        "--window".into(),
        "5m".into(),
        "--alerts-dir".into(),
        repo().join("alerts").display().to_string(),
        "--evidence".into(),
        evidence.display().to_string(),
    ]);
    args
}

/// What one `rollout` run printed.
struct Ran {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

fn run(cmd: &mut assert_cmd::Command) -> Ran {
    let out = cmd.output().unwrap();
    Ran {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// `rollout alerts fire` against `url` (plus `extra` flags) in a fresh directory: what it printed
/// and the evidence it wrote.
fn fire(url: &str, extra: &[&str]) -> (Ran, Value) {
    let work = tempfile::tempdir().unwrap();
    let ev = work.path().join("evidence/alerts-fire.json");
    let ran = run(rollout(work.path()).args(fire_args(url, &ev)).args(extra));
    (ran, read_json(&ev))
}

/// [`fire`] against a fake Alertmanager following `steps`: also the requests it received, or what
/// went wrong with the script.
fn fire_against(steps: Vec<Step>, extra: &[&str]) -> (Ran, Result<Vec<Recorded>, String>, Value) {
    let fake = FakeServer::start(steps);
    let (ran, ev) = fire(&fake.url, extra);
    (ran, fake.finish(), ev)
}

#[test]
fn fire_then_quiet_against_real_alertmanager() {
    let am = Alertmanager::start();
    let work = tempfile::tempdir().unwrap();
    let ev_dir = work.path().join("evidence");
    let fire_ev = ev_dir.join("alerts-fire.json");

    // fire
    let Ran {
        code,
        stdout,
        stderr,
    } = run(rollout(work.path()).args(fire_args(&am.url, &fire_ev)));
    assert_eq!(
        code,
        Some(0),
        "stdout: {stdout}\nstderr: {stderr}\nam: {}",
        am.log()
    );
    let ev = read_json(&fire_ev);
    assert_eq!(ev["result"], "confirmed");
    let id = ev["silence"]["id"].as_str().unwrap().to_string();
    assert_eq!(ev["confirmations"].as_array().unwrap().len(), 4);

    // independent check, not through our client: each alert is suppressed by exactly our silence
    let listed = am.get_json("/api/v2/alerts?filter=synthetic%3D%22true%22");
    let mut names: Vec<&str> = Vec::new();
    for a in listed.as_array().unwrap() {
        assert_eq!(a["status"]["state"], "suppressed", "{a}");
        assert_eq!(a["status"]["silencedBy"], json!([id]), "{a}");
        assert_eq!(a["labels"]["environment"], "staging");
        names.push(a["labels"]["alertname"].as_str().unwrap());
    }
    names.sort();
    assert_eq!(names, NAMES);
    let silence = am.get_json(&format!("/api/v2/silence/{id}"));
    assert_eq!(silence["status"]["state"], "active");
    assert_eq!(silence["createdBy"], "rollout");
    // the window is 5 minutes from our start (Alertmanager moves a past startsAt to its own now)
    let ours: jiff::Timestamp = ev["silence"]["startsAt"].as_str().unwrap().parse().unwrap();
    let ends: jiff::Timestamp = silence["endsAt"].as_str().unwrap().parse().unwrap();
    assert_eq!((ends - ours).get_seconds(), 300);
    assert_eq!(
        ev["silence"]["endsAt"]
            .as_str()
            .unwrap()
            .parse::<jiff::Timestamp>()
            .unwrap(),
        ends
    );
    // the silence covers ONLY the synthetic alerts: a real alert of the same name without synthetic=true
    // stays active
    let (status, body) = am.post(
        "/api/v2/alerts",
        &json!([{"labels": {"alertname": "EmbedderErrors", "environment": "staging", "service": "embedder"}}]),
    );
    assert_eq!(status, 200, "{body}");
    let real = am.get_json(
        "/api/v2/alerts?filter=service%3D%22embedder%22&filter=synthetic%21%3D%22true%22",
    );
    assert_eq!(real[0]["status"]["state"], "active", "{real}");

    insta::with_settings!({filters => filters()}, {
        insta::assert_snapshot!("fire_stdout", stdout);
        insta::assert_snapshot!("fire_evidence", serde_json::to_string_pretty(&ev).unwrap());
    });

    // quiet
    let Ran {
        code,
        stdout,
        stderr,
    } = run(rollout(work.path())
        .args(am_args("quiet", &am.url))
        .arg("--fire-evidence")
        .arg(&fire_ev)
        .arg("--evidence")
        .arg(ev_dir.join("alerts-quiet.json")));
    assert_eq!(code, Some(0), "{stdout}\n{stderr}");
    let quiet = read_json(&ev_dir.join("alerts-quiet.json"));
    assert_eq!(quiet["result"], "quiet");
    assert_eq!(quiet["silenceId"], id.as_str());
    let synthetic = am.get_json("/api/v2/alerts?filter=synthetic%3D%22true%22");
    assert_eq!(synthetic, json!([]), "synthetic alerts still listed");
    assert_eq!(
        am.get_json(&format!("/api/v2/silence/{id}"))["status"]["state"],
        "expired"
    );
    insta::with_settings!({filters => filters()}, {
        insta::assert_snapshot!("quiet_stdout", stdout);
        insta::assert_snapshot!("quiet_evidence", serde_json::to_string_pretty(&quiet).unwrap());
    });

    // the report from this evidence: alert items filled in, everything else listed as missing (no
    // spec here, so no hand-added items: only what rollout's commands record)
    let ran = run(rollout(work.path()).args(["evidence", "--out", "out/staging.md"]));
    assert_eq!(ran.code, Some(1), "incomplete report exits 1");
    let stderr = ran.stderr;
    assert!(
        stderr.starts_with(
            "wrote out/staging.md: 2 of 5 items present; 3 missing: dashboard-response, feature-flag, argocd-sync"
        ),
        "{stderr}"
    );
    let report = std::fs::read_to_string(work.path().join("out/staging.md")).unwrap();
    assert!(
        report.contains(&format!("| Silence id | {id} |")),
        "{report}"
    );
    insta::with_settings!({filters => filters()}, {
        insta::assert_snapshot!("report_after_fire_and_quiet", report);
    });
}

#[test]
fn alertmanager_down_is_exit_2_and_recorded() {
    let url = format!("http://127.0.0.1:{}", free_port());
    let (ran, e) = fire(&url, &[]);
    assert_eq!(ran.code, Some(2));
    let stderr = ran.stderr;
    assert!(
        stderr.starts_with("error: POST http://127.0.0.1:"),
        "{stderr}"
    );
    assert!(
        stderr.contains("/api/v2/silences: no response (connection failed"),
        "{stderr}"
    );
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert_eq!(e["result"], "unreachable");
    assert_eq!(e["alertsSent"], false);
    assert_eq!(e["exchanges"][0]["status"], Value::Null);
}

#[test]
fn real_alertmanager_answers_400_to_a_bad_payload_and_we_report_it() {
    let am = Alertmanager::start();
    let mut exec = Executor::new(&am.url, std::time::Duration::from_secs(5)).unwrap();
    let bad = json!([{"labels": {}}]);
    let resp = http::block_on(exec.send(&am::post_alerts_request(&bad.clone().into())))
        .unwrap()
        .unwrap();
    assert_eq!(resp.status, 400, "{}", resp.body);
    let err = am::parse_alerts_posted(&resp).unwrap_err().to_string();
    assert_eq!(
        err,
        "alertmanager rejected the alerts (400): at least one label pair required"
    );
    // our own check refuses it before sending: the same rule
    let findings = rollout::schema::alertmanager::check_alerts(&bad.clone().into());
    assert_eq!(findings[0].code, "alert-labels-empty");
    assert_eq!(
        findings[0].message,
        "[0].labels: at least one label pair required (labels with empty values are dropped)"
    );
    // endsAt before startsAt: also a 400 from the real server, also caught by our check
    let bad = json!([{"labels": {"alertname": "A"}, "startsAt": "2026-11-27T10:05:00Z", "endsAt": "2026-11-27T10:00:00Z"}]);
    let resp = http::block_on(exec.send(&am::post_alerts_request(&bad.clone().into())))
        .unwrap()
        .unwrap();
    assert_eq!(resp.status, 400, "{}", resp.body);
    assert_eq!(
        rollout::schema::alertmanager::check_alerts(&bad.clone().into())[0].code,
        "alert-ends-before-starts"
    );
}

#[test]
fn an_invalid_payload_is_refused_before_anything_is_sent() {
    let fake = FakeServer::start(vec![]);
    let work = tempfile::tempdir().unwrap();
    let alerts = work.path().join("alerts");
    std::fs::create_dir(&alerts).unwrap();
    std::fs::write(
        alerts.join("bad.json"),
        r#"[{"labels": {"alertname": "A", "environment": "staging", "synthetic": "true"}, "startsAt": "yesterday"}]"#,
    )
    .unwrap();
    let ran = run(rollout(work.path()).args(am_args("fire", &fake.url)));
    assert_eq!(ran.code, Some(2));
    let stderr = ran.stderr;
    assert!(
        stderr.contains("alerts/bad.json: 1 error(s) in the alert payload, nothing was sent"),
        "{stderr}"
    );
    assert!(stderr.contains("alert-time-invalid"), "{stderr}");
    assert_eq!(
        fake.finish().unwrap().len(),
        0,
        "no request may reach Alertmanager"
    );
}

#[test]
fn a_silence_that_cannot_be_created_means_no_alert_is_sent() {
    // Scripted fake: the only request allowed is the silence POST, answered with Alertmanager's 500.
    let (ran, requests, e) = fire_against(
        vec![Step::new(
            "POST",
            "/api/v2/silences",
            500,
            "\"unable to save silence: disk full\"\n",
        )],
        &[],
    );
    assert_eq!(ran.code, Some(2));
    assert_eq!(
        ran.stderr,
        "error: alertmanager rejected the silence (500): unable to save silence: disk full; no alert was sent\n"
    );
    let requests = requests.expect("exactly the silence request, nothing else");
    assert_eq!(requests.len(), 1);
    assert!(
        !requests
            .iter()
            .any(|r| r.path.starts_with("/api/v2/alerts"))
    );
    assert_eq!(
        (e["result"].as_str(), e["alertsSent"].as_bool()),
        (Some("silence-failed"), Some(false))
    );
    assert_eq!(e["exchanges"].as_array().unwrap().len(), 1);
    assert_eq!(e["exchanges"][0]["status"], 500);
}

#[test]
fn a_silence_that_stays_pending_is_expired_and_no_alert_is_sent() {
    let pending = r#"{"id":"s-1","status":{"state":"pending"},"updatedAt":"2026-11-27T10:00:00Z",
        "matchers":[{"name":"alertname","value":"A","isRegex":false,"isEqual":true}],
        "startsAt":"2026-11-27T11:00:00Z","endsAt":"2026-11-27T11:05:00Z","createdBy":"rollout","comment":"c"}"#;
    let (ran, requests, e) = fire_against(
        vec![
            Step::new("POST", "/api/v2/silences", 200, r#"{"silenceID":"s-1"}"#),
            Step::new("GET", "/api/v2/silence/s-1", 200, pending),
            Step::new("DELETE", "/api/v2/silence/s-1", 200, ""),
        ],
        &["--confirm-timeout", "0"],
    );
    assert_eq!(ran.code, Some(2));
    let stderr = ran.stderr;
    assert!(
        stderr.contains("silence s-1 is pending, not active"),
        "{stderr}"
    );
    assert!(stderr.contains("no alert was sent"), "{stderr}");
    requests.expect("silence created, read, expired; no alert");
    assert_eq!(e["result"], "silence-not-active");
}

#[test]
fn dry_run_sends_nothing_and_writes_no_evidence() {
    let fake = FakeServer::start(vec![]);
    let work = tempfile::tempdir().unwrap();
    let ran = run(rollout(work.path())
        .args(am_args("fire", &fake.url))
        .arg("--dry-run")
        .arg("--alerts-dir")
        .arg(repo().join("alerts")));
    assert_eq!(ran.code, Some(0));
    let stdout = ran.stdout;
    assert!(
        stdout.starts_with("dry run: would create a silence from "),
        "{stdout}"
    );
    assert!(stdout.contains(r#"matching alertname=~"EmbedderErrors|EmbedderLatencyHigh|MediaClusteringJobFailures|MediaClusteringJobLatencyHigh", environment="staging", synthetic="true""#), "{stdout}");
    assert_eq!(fake.finish().unwrap().len(), 0);
    assert!(!work.path().join("evidence").exists());
}

/// Issue 11: `quiet` finds our silences and alerts in Alertmanager by their matchers, not in the
/// previous evidence file: after a `fire` interrupted before its evidence was written (here: made
/// by hand, as fire makes them), with a stale fire evidence naming an old silence, it expires the
/// live silence and resolves the alerts; another environment's silence is left alone.
#[test]
fn issue_11_quiet_after_an_interrupted_fire_finds_our_silence_by_its_matchers() {
    let am = Alertmanager::start();
    let work = tempfile::tempdir().unwrap();
    let now = jiff::Timestamp::now();
    let later = now + jiff::SignedDuration::from_mins(5);
    let silence = |env: &str| {
        json!({
            "matchers": [
                {"name": "alertname", "value": "EmbedderErrors", "isRegex": false, "isEqual": true},
                {"name": "environment", "value": env, "isRegex": false, "isEqual": true},
                {"name": "synthetic", "value": "true", "isRegex": false, "isEqual": true}
            ],
            "startsAt": now.to_string(), "endsAt": later.to_string(),
            "createdBy": "rollout", "comment": "rollout alerts fire: maintenance window"
        })
    };
    let (status, body) = am.post("/api/v2/silences", &silence("staging"));
    assert_eq!(status, 200, "{body}");
    let ours: Value = serde_json::from_str(&body).unwrap();
    let ours = ours["silenceID"].as_str().unwrap().to_string();
    let (_, body) = am.post("/api/v2/silences", &silence("production"));
    let theirs: Value = serde_json::from_str(&body).unwrap();
    let theirs = theirs["silenceID"].as_str().unwrap().to_string();
    let (status, body) = am.post(
        "/api/v2/alerts",
        &json!([{"labels": {"alertname": "EmbedderErrors", "environment": "staging", "synthetic": "true"},
                 "startsAt": now.to_string(), "endsAt": later.to_string()}]),
    );
    assert_eq!(status, 200, "{body}");
    // A stale fire evidence from an earlier run, naming a silence Alertmanager does not know.
    let fire_ev = work.path().join("evidence/alerts-fire.json");
    std::fs::create_dir_all(fire_ev.parent().unwrap()).unwrap();
    std::fs::write(
        &fire_ev,
        r#"{"kind":"alerts-fire","schemaVersion":1,"silence":{"id":"0c9f7a7e-1f7e-4a53-9a44-2d1c7f0b2a11"}}"#,
    )
    .unwrap();
    let ran = run(rollout(work.path()).args(am_args("quiet", &am.url)));
    assert_eq!(ran.code, Some(0), "{}\n{}", ran.stdout, ran.stderr);
    assert!(ran.stdout.contains("result: quiet"), "{}", ran.stdout);
    let quiet = read_json(&work.path().join("evidence/alerts-quiet.json"));
    assert_eq!(quiet["silenceIds"], json!([ours.clone()]));
    assert_eq!(
        am.get_json(&format!("/api/v2/silence/{ours}"))["status"]["state"],
        "expired"
    );
    assert_eq!(
        am.get_json(&format!("/api/v2/silence/{theirs}"))["status"]["state"],
        "active",
        "another environment's silence is not ours"
    );
    assert_eq!(
        am.get_json("/api/v2/alerts?filter=synthetic%3D%22true%22"),
        json!([])
    );
}

/// Issue 11: after an Alertmanager restart (nothing of ours left), `quiet` says so and is quiet,
/// instead of failing on a silence lookup of the previous evidence.
#[test]
fn issue_11_quiet_with_nothing_left_in_alertmanager_is_quiet() {
    let am = Alertmanager::start();
    let work = tempfile::tempdir().unwrap();
    let ran = run(rollout(work.path()).args(am_args("quiet", &am.url)));
    assert_eq!(ran.code, Some(0), "{}\n{}", ran.stdout, ran.stderr);
    assert!(
        ran.stdout.contains("no silence of ours was found"),
        "{}",
        ran.stdout
    );
}

#[test]
fn alerts_not_suppressed_by_our_silence_are_findings_exit_1() {
    let active = r#"{"id":"s-1","status":{"state":"active"},"updatedAt":"2026-11-27T10:00:00Z",
        "matchers":[],"startsAt":"2026-11-27T10:00:00Z","endsAt":"2026-11-27T10:05:00Z","createdBy":"rollout","comment":"c"}"#;
    // Alertmanager lists one alert as active and silenced by nothing (e.g. a matcher typo upstream)
    let listed = r#"[{"labels":{"alertname":"EmbedderErrors","environment":"staging","namespace":"media",
        "service":"embedder","severity":"critical","synthetic":"true"},"annotations":{},"fingerprint":"f1",
        "startsAt":"2026-11-27T10:00:00Z","endsAt":"2026-11-27T10:04:30Z","updatedAt":"2026-11-27T10:00:00Z",
        "receivers":[{"name":"null"}],"status":{"state":"active","silencedBy":[],"inhibitedBy":[]}}]"#;
    let (ran, requests, e) = fire_against(
        vec![
            Step::new("POST", "/api/v2/silences", 200, r#"{"silenceID":"s-1"}"#),
            Step::new("GET", "/api/v2/silence/s-1", 200, active),
            Step::new("POST", "/api/v2/alerts", 200, ""),
            Step::new(
                "GET",
                "/api/v2/alerts?filter=environment%3D%22staging%22&filter=synthetic%3D%22true%22&active=true&silenced=true&inhibited=true&unprocessed=true",
                200,
                listed,
            ),
        ],
        &["--confirm-timeout", "0"],
    );
    requests.expect("the scripted requests, in order");
    assert_eq!(ran.code, Some(1), "{}", ran.stderr);
    let stdout = ran.stdout;
    assert!(
        stdout.contains("NOT CONFIRMED: EmbedderErrors is active (silenced by nothing)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("NOT CONFIRMED: EmbedderLatencyHigh is not listed"),
        "{stdout}"
    );
    assert!(stdout.contains("result: not-confirmed"), "{stdout}");
    assert_eq!(e["result"], "not-confirmed");
}
