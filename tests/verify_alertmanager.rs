//! `rollout verify` on a repository with an `alertmanager.yml` (issue 15, item 6): what it accepts
//! and refuses must be what the real `amtool check-config` (Debian prometheus-alertmanager 0.25)
//! accepts and refuses, config by config; and the synthetic alerts of `alerts/*.json` must reach
//! no paging receiver (the receivers compared with `amtool config routes test`), inhibition
//! rules considered.

mod support;

use std::path::Path;
use std::process::Command;

use support::tools;

const SPEC: &str = "apiVersion: rollout/v1alpha1
kind: Rollout
metadata: {name: shop}
base: {path: k8s/base}
environments:
  dev:
    namespace: shop
    cluster: dev-eu-1
    argocd: {project: shop, repoURL: https://github.com/sploot/shop.git}
services:
  - name: api
    image: ghcr.io/shop/api
    tag: 1.4.0
verify:
  policy: off
";

const BASE: &str = "apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  namespace: shop
spec:
  selector:
    matchLabels:
      app: api
  template:
    metadata:
      labels:
        app: api
    spec:
      containers:
      - image: ghcr.io/shop/api:0.0.1
        name: api
";

const ALERTS: &str = r#"[
  {"labels": {"alertname": "ApiErrors", "service": "api", "severity": "critical", "environment": "dev", "synthetic": "true"},
   "annotations": {"summary": "api errors"}},
  {"labels": {"alertname": "ApiDown", "service": "api", "severity": "warning", "environment": "dev", "synthetic": "true"},
   "annotations": {"summary": "api down"}}
]
"#;

/// A repository with the spec, its base, generated overlays and the alerts; `config` as its
/// alertmanager.yml.
fn repo(config: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    std::fs::create_dir_all(p.join("k8s/base")).unwrap();
    std::fs::create_dir_all(p.join("alerts")).unwrap();
    std::fs::write(p.join("rollout.yaml"), SPEC).unwrap();
    std::fs::write(p.join("k8s/base/api.yaml"), BASE).unwrap();
    std::fs::write(
        p.join("k8s/base/kustomization.yaml"),
        "resources:\n- api.yaml\n",
    )
    .unwrap();
    std::fs::write(p.join("alerts/api.json"), ALERTS).unwrap();
    std::fs::write(p.join("alertmanager.yml"), config).unwrap();
    let (code, out) = rollout(p, &["generate"]);
    assert_eq!(code, 0, "{out}");
    dir
}

fn rollout(dir: &Path, args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_rollout"))
        .args(args)
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

fn amtool(args: &[&str]) -> (bool, String) {
    let out = Command::new(tools::system_tool("amtool"))
        .args(args)
        .output()
        .expect("run amtool");
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

/// Good and bad configs; the synthetic alerts go to a non-paging receiver in all of them.
const CONFIGS: &[(&str, &str)] = &[
    (
        "good-full",
        r#"global:
  resolve_timeout: 5m
  slack_api_url: https://hooks.slack.com/services/T/B/X
  smtp_smarthost: smtp.example.com:587
  smtp_from: alerts@example.com
templates: ['/etc/alertmanager/*.tmpl']
route:
  receiver: slack
  group_by: [alertname, service]
  group_wait: 30s
  group_interval: 5m
  repeat_interval: 4h
  routes:
    - matchers: [synthetic="true"]
      receiver: blackhole
    - matchers: ['severity="critical"', 'team=~"media|search"']
      receiver: pager
      continue: true
      mute_time_intervals: [weekends]
    - match: {team: media}
      match_re: {service: "embed.*"}
      receiver: email
receivers:
  - name: slack
    slack_configs: [{channel: '#alerts', send_resolved: true, title: '{{ .CommonLabels.alertname }}'}]
  - name: pager
    pagerduty_configs: [{routing_key: abc123, severity: critical}]
  - name: email
    email_configs: [{to: oncall@example.com}]
  - name: blackhole
time_intervals:
  - name: weekends
    time_intervals: [{weekdays: ['saturday', 'sunday']}]
inhibit_rules:
  - source_matchers: [severity="critical"]
    target_matchers: [severity="warning"]
    equal: [alertname, service]
"#,
    ),
    (
        "good-minimal-webhook",
        "route:\n  receiver: hook\nreceivers:\n  - name: hook\n    webhook_configs: [{url: 'http://127.0.0.1:5001/', max_alerts: 10}]\n",
    ),
    (
        "good-opsgenie-global-key",
        "global:\n  opsgenie_api_key: k\nroute:\n  receiver: genie\n  routes: [{matchers: [synthetic=\"true\"], receiver: quiet}]\nreceivers:\n  - name: genie\n    opsgenie_configs: [{priority: P1}]\n  - name: quiet\n",
    ),
    (
        "bad-unknown-top-level",
        "route:\n  receiver: a\nreceivers: [{name: a}]\nsilences: []\n",
    ),
    (
        "bad-unknown-route-field",
        "route:\n  receiver: a\n  routes:\n    - receiver: a\n      matcher: [x=\"1\"]\nreceivers: [{name: a}]\n",
    ),
    (
        "bad-undefined-receiver",
        "route:\n  receiver: a\n  routes: [{matchers: [x=\"1\"], receiver: nobody}]\nreceivers: [{name: a}]\n",
    ),
    (
        "bad-matcher",
        "route:\n  receiver: a\n  routes: [{matchers: ['x=~\"(\"'], receiver: a}]\nreceivers: [{name: a}]\n",
    ),
    (
        "bad-inhibit-matcher",
        "route:\n  receiver: a\nreceivers: [{name: a}]\ninhibit_rules: [{source_matchers: ['a=b'], target_matchers: ['c=~\"[\"']}]\n",
    ),
    (
        "bad-duration",
        "route:\n  receiver: a\n  group_wait: 10x\nreceivers: [{name: a}]\n",
    ),
    (
        "bad-zero-group-interval",
        "route:\n  receiver: a\n  group_interval: 0s\nreceivers: [{name: a}]\n",
    ),
    (
        "bad-webhook-without-url",
        "route:\n  receiver: a\nreceivers: [{name: a, webhook_configs: [{send_resolved: true}]}]\n",
    ),
    (
        "bad-pagerduty-without-key",
        "route:\n  receiver: a\nreceivers: [{name: a, pagerduty_configs: [{severity: critical}]}]\n",
    ),
    (
        "bad-slack-without-url",
        "route:\n  receiver: a\nreceivers: [{name: a, slack_configs: [{channel: x}]}]\n",
    ),
    (
        "bad-unknown-integration-field",
        "route:\n  receiver: a\nreceivers: [{name: a, webhook_configs: [{url: 'http://x', urls: []}]}]\n",
    ),
    (
        "bad-undefined-time-interval",
        "route:\n  receiver: a\n  routes: [{receiver: a, active_time_intervals: [office]}]\nreceivers: [{name: a}]\n",
    ),
    (
        "bad-root-matchers",
        "route:\n  receiver: a\n  matchers: [x=\"1\"]\nreceivers: [{name: a}]\n",
    ),
    (
        "bad-duplicate-receiver",
        "route:\n  receiver: a\nreceivers: [{name: a}, {name: a}]\n",
    ),
    // Issue 13: what Alertmanager 0.25 checks below the routes and receivers.
    (
        "bad-continue-in-root-route",
        "route:\n  receiver: a\n  continue: true\nreceivers: [{name: a}]\n",
    ),
    (
        "bad-receiver-without-name",
        "route:\n  receiver: ''\nreceivers: [{name: ''}]\n",
    ),
    (
        "bad-wildcard-group-by-with-labels",
        "route:\n  receiver: a\n  group_by: ['...', alertname]\nreceivers: [{name: a}]\n",
    ),
    (
        "good-wildcard-group-by",
        "route:\n  receiver: a\n  group_by: ['...']\nreceivers: [{name: a}]\n",
    ),
    (
        "bad-http-config-two-auths",
        "route:\n  receiver: a\nreceivers: [{name: a, webhook_configs: [{url: 'http://x/', http_config: {basic_auth: {username: u}, bearer_token: t}}]}]\n",
    ),
    (
        "bad-tls-config-unknown-field",
        "route:\n  receiver: a\nreceivers: [{name: a, webhook_configs: [{url: 'http://x/', http_config: {tls_config: {insecure: true}}}]}]\n",
    ),
    (
        "good-http-config",
        "route:\n  receiver: a\nreceivers: [{name: a, webhook_configs: [{url: 'http://x/', send_resolved: yes, http_config: {authorization: {credentials: x}, tls_config: {insecure_skip_verify: true, min_version: TLS12}}}]}]\n",
    ),
    (
        "bad-quoted-boolean",
        "route:\n  receiver: a\nreceivers: [{name: a, webhook_configs: [{url: 'http://x/', send_resolved: 'yes'}]}]\n",
    ),
    (
        "bad-webhook-url-file-before-0-26",
        "route:\n  receiver: a\nreceivers: [{name: a, webhook_configs: [{url_file: /etc/am/url}]}]\n",
    ),
    (
        "bad-negative-max-alerts",
        "route:\n  receiver: a\nreceivers: [{name: a, webhook_configs: [{url: 'http://x/', max_alerts: -1}]}]\n",
    ),
    (
        "bad-telegram-without-token",
        "route:\n  receiver: a\nreceivers: [{name: a, telegram_configs: [{chat_id: 1}]}]\n",
    ),
    (
        "bad-smarthost-without-port",
        "route:\n  receiver: a\nreceivers: [{name: a, email_configs: [{to: a@example.com, from: b@example.com, smarthost: smtp.example.com}]}]\n",
    ),
    (
        "bad-weekday",
        "route:\n  receiver: a\ntime_intervals: [{name: w, time_intervals: [{weekdays: [funday]}]}]\nreceivers: [{name: a}]\n",
    ),
    (
        "bad-time-of-day",
        "route:\n  receiver: a\ntime_intervals: [{name: w, time_intervals: [{times: [{start_time: '9:00', end_time: '17:00'}]}]}]\nreceivers: [{name: a}]\n",
    ),
    (
        "good-time-intervals",
        "route:\n  receiver: a\n  routes: [{receiver: a, mute_time_intervals: [w]}]\ntime_intervals: [{name: w, time_intervals: [{weekdays: ['monday:friday'], days_of_month: ['1:5', '-3:-1'], months: ['january:march'], years: ['2024:2026'], times: [{start_time: '00:00', end_time: '24:00'}]}]}]\nreceivers: [{name: a}]\n",
    ),
    (
        "bad-location",
        "route:\n  receiver: a\n  routes: [{receiver: a, mute_time_intervals: [w]}]\ntime_intervals: [{name: w, time_intervals: [{times: [{start_time: '09:00', end_time: '17:00'}], location: Europe/Berlim}]}]\nreceivers: [{name: a}]\n",
    ),
    (
        "bad-location-case",
        "route:\n  receiver: a\n  routes: [{receiver: a, mute_time_intervals: [w]}]\ntime_intervals: [{name: w, time_intervals: [{location: europe/berlin}]}]\nreceivers: [{name: a}]\n",
    ),
    (
        "good-locations",
        "route:\n  receiver: a\n  routes: [{receiver: a, mute_time_intervals: [w]}]\ntime_intervals: [{name: w, time_intervals: [{location: Europe/Berlin}, {location: US/Eastern}, {location: Local}, {location: UTC}, {location: Etc/GMT-14}, {location: America/Indiana/Indianapolis}]}]\nreceivers: [{name: a}]\n",
    ),
];

#[test]
fn verify_accepts_and_refuses_what_amtool_check_config_does() {
    let mut table = Vec::new();
    for (name, config) in CONFIGS {
        let dir = repo(config);
        let file = dir.path().join("alertmanager.yml");
        let (am_ok, am_out) = amtool(&["check-config", file.to_str().unwrap()]);
        let (code, out) = rollout(dir.path(), &["verify"]);
        let ours_ok = !out.contains("alertmanager-config");
        assert_eq!(
            ours_ok,
            am_ok,
            "{name}: amtool {}:\n{am_out}\nrollout verify (exit {code}):\n{out}",
            if am_ok { "accepts" } else { "refuses" }
        );
        if ours_ok {
            assert_eq!(code, 0, "{name}: {out}");
        } else {
            assert_eq!(code, 1, "{name}: {out}");
            assert!(out.contains("alertmanager.yml:"), "{name}: a line: {out}");
        }
        assert_eq!(
            name.starts_with("good"),
            am_ok,
            "{name}: the table's name says the opposite of amtool:\n{am_out}"
        );
        table.push((name, am_ok));
    }
    assert!(table.iter().filter(|(_, ok)| *ok).count() >= 3);
    assert!(table.iter().filter(|(_, ok)| !*ok).count() >= 10);
}

const PAGING: &str = r#"route:
  receiver: slack
  routes:
    - matchers: [severity="critical"]
      receiver: pager
receivers:
  - name: slack
  - name: pager
    pagerduty_configs: [{routing_key: abc123}]
"#;

#[test]
fn synthetic_alerts_reaching_a_pager_are_findings_unless_routed_away_or_inhibited() {
    let dir = repo(PAGING);
    let file = dir.path().join("alertmanager.yml");
    // amtool agrees where the critical synthetic alert goes.
    let (ok, am) = amtool(&[
        "config",
        "routes",
        "test",
        "--config.file",
        file.to_str().unwrap(),
        "alertname=ApiErrors",
        "service=api",
        "severity=critical",
        "environment=dev",
        "synthetic=true",
    ]);
    assert!(ok, "{am}");
    assert_eq!(am.lines().next(), Some("pager"), "{am}");
    let (code, out) = rollout(dir.path(), &["verify"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains(
            "synthetic alert ApiErrors reaches paging receiver \"pager\" (route.routes[0])"
        ),
        "{out}"
    );
    assert!(out.contains("alerts/api.json:2:"), "{out}");
    assert!(!out.contains("synthetic alert ApiDown"), "{out}");

    // The spec names slack as paging too: the warning alert is a finding as well.
    let spec = std::fs::read_to_string(dir.path().join("rollout.yaml")).unwrap();
    std::fs::write(
        dir.path().join("rollout.yaml"),
        spec.replace(
            "  policy: off\n",
            "  policy: off\n  pagingReceivers: [slack]\n",
        ),
    )
    .unwrap();
    let (_, out) = rollout(dir.path(), &["verify"]);
    assert!(
        out.contains("synthetic alert ApiDown reaches paging receiver \"slack\""),
        "{out}"
    );
    std::fs::write(dir.path().join("rollout.yaml"), spec).unwrap();

    // Inhibited by the other synthetic alert (equal on service): no finding.
    std::fs::write(
        &file,
        format!("{PAGING}inhibit_rules:\n  - source_matchers: [alertname=\"ApiDown\"]\n    target_matchers: [severity=\"critical\"]\n    equal: [service]\n"),
    )
    .unwrap();
    assert!(amtool(&["check-config", file.to_str().unwrap()]).0);
    let (code, out) = rollout(dir.path(), &["verify"]);
    assert_eq!(code, 0, "{out}");

    // Routed to a non-paging receiver first: no finding.
    std::fs::write(
        &file,
        PAGING.replace(
            "  routes:\n",
            "  routes:\n    - matchers: [synthetic=\"true\"]\n      receiver: slack\n",
        ),
    )
    .unwrap();
    let (code, out) = rollout(dir.path(), &["verify"]);
    assert_eq!(code, 0, "{out}");
}

/// Issue 13: an Alertmanager configuration named on the command line or met in a directory is
/// checked as one, whatever its file name (recognised by its route and receivers), and a broken
/// one fails where amtool fails it.
#[test]
fn a_named_alertmanager_config_is_recognised_and_checked() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("am-prod.yml");
    std::fs::write(
        &good,
        "global:\n  resolve_timeout: 5m\nroute:\n  receiver: team\n  group_by: [alertname]\nreceivers:\n- name: team\n  webhook_configs:\n  - url: http://example.com/hook\n",
    )
    .unwrap();
    let bad = dir.path().join("monitoring").join("config.yaml");
    std::fs::create_dir_all(bad.parent().unwrap()).unwrap();
    std::fs::write(
        &bad,
        "route:\n  receiver: team\n  continue: true\nreceivers:\n- name: team\n",
    )
    .unwrap();
    for (file, ok) in [(&good, true), (&bad, false)] {
        let (am_ok, am_out) = amtool(&["check-config", file.to_str().unwrap()]);
        assert_eq!(am_ok, ok, "{am_out}");
        let (code, out) = rollout(dir.path(), &["verify", file.to_str().unwrap()]);
        assert!(out.contains("(alertmanager-config, by content"), "{out}");
        assert_eq!(code, if ok { 0 } else { 1 }, "{out}");
    }
    let (code, out) = rollout(dir.path(), &["verify", "monitoring"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("cannot have continue in root route") && out.contains("config.yaml:3:3"),
        "{out}"
    );
}

#[test]
fn an_unknown_time_zone_is_an_error_at_its_location_with_the_field_path() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("alertmanager.yml");
    std::fs::write(
        &file,
        "route:\n  receiver: a\n  routes: [{receiver: a, mute_time_intervals: [office]}]\ntime_intervals:\n- name: office\n  time_intervals:\n  - location: Europe/Berlin\n  - times: [{start_time: '09:00', end_time: '17:00'}]\n    location: Europe/Berlim\nreceivers: [{name: a}]\n",
    )
    .unwrap();
    let (code, out) = rollout(
        dir.path(),
        &["verify", "--output", "github", "alertmanager.yml"],
    );
    let errors: Vec<&str> = out.lines().filter(|l| l.starts_with("::error")).collect();
    assert_eq!(
        errors,
        [
            "::error file=alertmanager.yml,line=9,col=15,title=alertmanager-config::time_intervals[0].time_intervals[1].location: unknown time zone Europe/Berlim (Alertmanager config)%0Ahelp: Alertmanager refuses to load this config (`amtool check-config` says the same)"
        ],
        "{out}"
    );
    assert_eq!(code, 1);
    let (am_ok, am_out) = amtool(&["check-config", file.to_str().unwrap()]);
    assert!(
        !am_ok && am_out.contains("unknown time zone Europe/Berlim"),
        "{am_out}"
    );
}
