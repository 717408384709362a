//! The committed dashboards and alert payloads, and Debian's Ceph dashboards, against the built-in checks.

use std::path::{Path, PathBuf};

use rollout::finding::{Finding, Severity};
use rollout::schema::{alertmanager, grafana};
use rollout::value::Value;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn json_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    files
}

fn errors(findings: &[Finding]) -> Vec<String> {
    findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .map(ToString::to_string)
        .collect()
}

#[test]
fn all_13_ceph_dashboards_pass_or_only_warn() {
    let files = json_files(&root().join("fixtures/dashboards/ceph"));
    assert_eq!(
        files.len(),
        13,
        "Debian's ceph-grafana-dashboards ships 13 dashboards"
    );
    let mut warned = 0;
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        let findings = grafana::check_dashboard_text(&text, &grafana::LintOptions::default());
        assert_eq!(errors(&findings), Vec::<String>::new(), "{}", f.display());
        warned += usize::from(!findings.is_empty());
    }
    // They are old (schemaVersion 16/22, legacy rows, one without uid): the tolerant rules must still speak.
    assert!(warned > 0, "expected warnings on legacy dashboards");
}

#[test]
fn ceph_warnings_are_the_expected_kinds() {
    let mut codes = std::collections::BTreeSet::new();
    for f in json_files(&root().join("fixtures/dashboards/ceph")) {
        let text = std::fs::read_to_string(&f).unwrap();
        for finding in grafana::check_dashboard_text(&text, &grafana::LintOptions::default()) {
            codes.insert(finding.code);
        }
    }
    // ceph-cluster.json has no uid, and some panels overlap (radosgw-overview.json: panels[4] spans
    // rows 8..14, the row panel at panels[7] starts at 12), which Grafana fixes by moving panels on
    // load; nothing else in these files is suspicious to Grafana.
    assert_eq!(
        codes.into_iter().collect::<Vec<_>>(),
        vec!["dashboard-uid-missing", "gridpos-overlap"]
    );
}

#[test]
fn breaking_a_ceph_dashboard_is_caught() {
    let text = std::fs::read_to_string(root().join("fixtures/dashboards/ceph/pool-overview.json"))
        .unwrap();
    let mut d: Value = serde_json::from_str(&text).unwrap();
    let first_id = d["panels"][0]["id"].clone();
    d["panels"][1]["id"] = first_id;
    d["panels"][2]["gridPos"]["x"] = 24.into();
    d["panels"][3]["datasource"] = "$prom".into();
    let codes: Vec<&str> = grafana::check_dashboard(&d, &grafana::LintOptions::default())
        .iter()
        .map(|f| f.code)
        .collect();
    for code in [
        "panel-id-duplicate",
        "gridpos-out-of-grid",
        "datasource-unresolved",
    ] {
        assert!(codes.contains(&code), "{code} missing from {codes:?}");
    }
}

#[test]
fn the_pipeline_dashboard_has_no_findings_at_all() {
    let text =
        std::fs::read_to_string(root().join("dashboards/media-clustering-redis-streams.json"))
            .unwrap();
    let findings = grafana::check_dashboard_text(&text, &grafana::LintOptions::default());
    assert_eq!(findings, vec![]);
    let d: Value = serde_json::from_str(&text).unwrap();
    let datasource_var = &d["templating"]["list"][0];
    assert_eq!(
        (
            datasource_var["name"].as_str(),
            datasource_var["type"].as_str()
        ),
        (Some("datasource"), Some("datasource"))
    );
    // every query targets the ${datasource} variable and reads a metric the services export
    let mut exprs = 0;
    for p in d["panels"].as_array().unwrap() {
        for t in p["targets"].as_array().into_iter().flatten() {
            assert_eq!(t["datasource"]["uid"], "${datasource}");
            let expr = t["expr"].as_str().unwrap();
            assert!(
                expr.contains("embedder_") || expr.contains("media_clustering_"),
                "{expr}"
            );
            exprs += 1;
        }
    }
    assert!(exprs >= 15, "{exprs}");
}

#[test]
fn the_synthetic_alert_payloads_are_valid_staging_and_marked_synthetic() {
    let files = json_files(&root().join("alerts"));
    assert_eq!(files.len(), 2);
    let mut names = Vec::new();
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        assert_eq!(
            alertmanager::check_alerts_text(&text),
            vec![],
            "{}",
            f.display()
        );
        let alerts: Value = serde_json::from_str(&text).unwrap();
        for a in alerts.as_array().unwrap() {
            assert_eq!(a["labels"]["environment"], "staging");
            assert_eq!(a["labels"]["synthetic"], "true");
            names.push(a["labels"]["alertname"].as_str().unwrap().to_string());
        }
    }
    names.sort();
    assert_eq!(
        names,
        [
            "EmbedderErrors",
            "EmbedderLatencyHigh",
            "MediaClusteringJobFailures",
            "MediaClusteringJobLatencyHigh"
        ]
    );
}
