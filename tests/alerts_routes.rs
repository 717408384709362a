//! `rollout alerts routes` against the real `amtool config routes test` (Debian
//! prometheus-alertmanager 0.25): for every config and label set, our receivers (in order) must be
//! the ones amtool prints.

mod support;

use std::path::Path;

use serde_json::Value;
use support::{rollout, tools};

/// Nested routes, continue true/false, regex and negative matchers, legacy match/match_re,
/// receiver and group_by inheritance.
const CONFIGS: &[(&str, &str)] = &[
    (
        "nested",
        r#"
route:
  receiver: default
  group_by: [alertname]
  routes:
    - matchers: ['severity="critical"', 'team=~"media|search"']
      receiver: pager
      continue: true
    - match:
        team: media
      receiver: media
      group_by: [alertname, service]
      routes:
        - match_re:
            service: "embed.*"
          receiver: embed
        - matchers: [service!~"clust.*"]
    - matchers: [env!="prod"]
      receiver: nonprod
receivers:
  - name: default
  - name: pager
  - name: media
  - name: embed
  - name: nonprod
"#,
    ),
    (
        "continue-chain",
        r#"
route:
  receiver: root
  routes:
    - matchers: [x="1"]
      receiver: a
      continue: true
    - matchers: [x=~"1|2"]
      receiver: a
      continue: false
    - matchers: ['x!~"3"']
      receiver: b
    - receiver: catchall
receivers: [{name: root}, {name: a}, {name: b}, {name: catchall}]
"#,
    ),
    (
        "deep-defaults",
        r#"
route:
  receiver: ops
  routes:
    - matchers: [environment="staging"]
      continue: true
      routes:
        - matchers: [synthetic="true"]
          receiver: blackhole
        - matchers: [severity=~"crit.*"]
          routes:
            - matchers: [service="embedder"]
              receiver: ml-pager
              continue: true
            - matchers: [namespace="media"]
              receiver: media-pager
    - matchers: [severity="warning"]
      receiver: slack
    - matchers: [severity=""]
      receiver: unlabelled
receivers: [{name: ops}, {name: blackhole}, {name: ml-pager}, {name: media-pager}, {name: slack}, {name: unlabelled}]
"#,
    ),
];

fn label_sets() -> Vec<Vec<(&'static str, &'static str)>> {
    vec![
        vec![("alertname", "A")],
        vec![
            ("severity", "critical"),
            ("team", "media"),
            ("service", "embedder"),
        ],
        vec![
            ("severity", "critical"),
            ("team", "media"),
            ("service", "clustering"),
        ],
        vec![
            ("severity", "critical"),
            ("team", "media"),
            ("service", "api"),
        ],
        vec![("severity", "critical"), ("team", "search")],
        vec![("team", "media"), ("env", "prod"), ("service", "embedder")],
        vec![("env", "prod")],
        vec![("x", "1")],
        vec![("x", "2")],
        vec![("x", "3")],
        vec![("x", "4")],
        vec![
            ("environment", "staging"),
            ("synthetic", "true"),
            ("severity", "critical"),
        ],
        vec![
            ("environment", "staging"),
            ("severity", "critical"),
            ("service", "embedder"),
            ("namespace", "media"),
        ],
        vec![
            ("environment", "staging"),
            ("severity", "critical"),
            ("service", "api"),
        ],
        vec![("environment", "staging"), ("severity", "warning")],
        vec![
            ("environment", "prod"),
            ("severity", "critical"),
            ("service", "embedder"),
        ],
    ]
}

fn amtool(config: &Path, labels: &[(&str, &str)]) -> String {
    let out = std::process::Command::new(tools::system_tool("amtool"))
        .args(["config", "routes", "test"])
        .arg(format!("--config.file={}", config.display()))
        .args(labels.iter().map(|(k, v)| format!("{k}={v}")))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "amtool: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

#[test]
fn receivers_equal_amtool_for_every_config_and_label_set() {
    let work = tempfile::tempdir().unwrap();
    let sets = label_sets();
    let alerts: Vec<Value> = sets
        .iter()
        .map(|s| {
            let labels: serde_json::Map<String, Value> = s
                .iter()
                .map(|(k, v)| (k.to_string(), Value::from(*v)))
                .collect();
            serde_json::json!({ "labels": labels })
        })
        .collect();
    let alerts_file = work.path().join("cases.json");
    std::fs::write(&alerts_file, serde_json::to_string(&alerts).unwrap()).unwrap();
    let mut compared = 0;
    for (name, text) in CONFIGS {
        let config = work.path().join(format!("{name}.yml"));
        std::fs::write(&config, text).unwrap();
        let out = rollout(work.path())
            .args(["alerts", "routes", "--config"])
            .arg(&config)
            .arg("--alerts")
            .arg(&alerts_file)
            .args(["--output", "json"])
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        let ours = v["alerts"].as_array().unwrap();
        assert_eq!(ours.len(), sets.len());
        for (set, got) in sets.iter().zip(ours) {
            let receivers: Vec<&str> = got["receivers"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r.as_str().unwrap())
                .collect();
            assert_eq!(receivers.join(","), amtool(&config, set), "{name}: {set:?}");
            compared += 1;
        }
    }
    assert_eq!(compared, CONFIGS.len() * sets.len());
}

#[test]
fn group_by_and_path_are_inherited_and_shown() {
    let work = tempfile::tempdir().unwrap();
    let config = work.path().join("am.yml");
    std::fs::write(&config, CONFIGS[0].1).unwrap();
    let alerts = work.path().join("a.json");
    std::fs::write(
        &alerts,
        r#"[{"labels":{"alertname":"E","severity":"critical","team":"media","service":"embedder"}}]"#,
    )
    .unwrap();
    let out = rollout(work.path())
        .args([
            "alerts", "routes", "--config", "am.yml", "--alerts", "a.json",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        stdout,
        "E (a.json): pager,embed\n  route.routes[0] {severity=\"critical\",team=~\"media|search\"} receiver: pager group_by: [alertname] continue: true\n  route.routes[1].routes[0] {service=~\"embed.*\"} receiver: embed group_by: [alertname,service]\n"
    );
}

#[test]
fn config_errors_exit_2_and_undefined_receivers_exit_1() {
    let work = tempfile::tempdir().unwrap();
    let alerts = work.path().join("a.json");
    std::fs::write(&alerts, r#"[{"labels":{"alertname":"E"}}]"#).unwrap();
    let run = |text: &str| {
        std::fs::write(work.path().join("am.yml"), text).unwrap();
        let out = rollout(work.path())
            .args([
                "alerts", "routes", "--config", "am.yml", "--alerts", "a.json",
            ])
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let cases = [
        (
            "route:\n  receiver: a\n  routes:\n    - matchers: ['x=~\"(\"']\nreceivers: [{name: a}]\n",
            "am.yml:4:",
        ),
        (
            "route:\n  receiver: a\n  routes:\n    - matchers: ['x']\nreceivers: [{name: a}]\n",
            "am.yml:4:",
        ),
        (
            "route:\n  routes: []\nreceivers: [{name: a}]\n",
            "the root route has no receiver",
        ),
        ("receivers: [{name: a}]\n", "no `route:`"),
        ("route: [\n", "am.yml"),
    ];
    for (text, needle) in cases {
        let (code, stderr) = run(text);
        assert_eq!(code, Some(2), "{text}: {stderr}");
        assert!(stderr.contains(needle), "{text}: {stderr}");
        assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    }
    let (code, stderr) = run(
        "route:\n  receiver: a\n  routes:\n    - matchers: [x=1]\n      receiver: pager\nreceivers: [{name: a}]\n",
    );
    assert_eq!(code, Some(1), "{stderr}");
    assert_eq!(
        stderr,
        "error: am.yml:5:17: route.routes[0] uses undefined receiver \"pager\"\n"
    );
}
