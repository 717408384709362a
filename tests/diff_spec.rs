//! `rollout diff` reads rollout.yaml when it exists: its ignore rules, its flag and the environment an
//! overlay belongs to.

mod support;

use support::repo::TempRepo;

fn diff_json(repo: &TempRepo) -> (i32, serde_json::Value, serde_json::Value) {
    let out = support::rollout(repo.path())
        .args([
            "diff",
            "overlays/staging",
            "--live-dir",
            "fixtures/live/staging",
            "--output",
            "json",
        ])
        .args(["--evidence-json", "evidence/flag-diff.json"])
        .output()
        .unwrap();
    let code = out.status.code().unwrap();
    let report = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    let evidence = serde_json::from_str(&repo.read("evidence/flag-diff.json")).unwrap();
    (code, report, evidence)
}

fn changed_paths(report: &serde_json::Value) -> Vec<String> {
    let mut paths: Vec<String> = report["objects"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|o| o["changes"].as_array().cloned().unwrap_or_default())
        .map(|c| c["path"].as_str().unwrap().to_string())
        .collect();
    paths.sort();
    paths.dedup();
    paths
}

#[test]
fn spec_ignore_rules_and_environment_apply() {
    let repo = TempRepo::new();
    let (code, report, evidence) = diff_json(&repo);
    assert_eq!(code, 1);
    assert_eq!(
        evidence["environment"], "staging",
        "environment inferred from overlays/staging"
    );
    assert!(
        changed_paths(&report).iter().any(|p| p.ends_with(".image")),
        "{:?}",
        changed_paths(&report)
    );

    let spec = repo.read("rollout.yaml")
        + "diff:\n  ignore:\n    - kind: Deployment\n      pointer: /spec/template/spec/containers/*/image\n";
    repo.write("rollout.yaml", &spec);
    let (code, report, _) = diff_json(&repo);
    assert_eq!(code, 1, "the flag and annotation still differ");
    let paths = changed_paths(&report);
    assert!(!paths.iter().any(|p| p.ends_with(".image")), "{paths:?}");
    assert!(
        paths
            .iter()
            .any(|p| p.contains("ENABLE_EMBEDDING_EVENT_STREAMS")),
        "{paths:?}"
    );
}

#[test]
fn a_broken_spec_is_an_input_error() {
    let repo = TempRepo::new();
    repo.write("rollout.yaml", "apiVersion: [\n");
    let out = support::rollout(repo.path())
        .args([
            "diff",
            "overlays/staging",
            "--live-dir",
            "fixtures/live/staging",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("rollout.yaml:"));
}

/// The plan's flow: the diff's evidence is what the staging validation report reads for its
/// "Feature flag confirmation" item.
#[test]
fn diff_evidence_fills_the_reports_feature_flag_item() {
    let repo = TempRepo::new();
    let (code, _, _) = diff_json(&repo);
    assert_eq!(code, 1);
    let out = support::rollout(repo.path())
        .args(["evidence", "--output", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "other items are still missing");
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let item = report["checklist"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["key"] == "feature-flag")
        .unwrap();
    assert_eq!(item["status"], "present");
    let fields: Vec<(String, String)> = item["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["label"].as_str().unwrap().to_string(),
                f["value"].as_str().unwrap().to_string(),
            )
        })
        .filter(|(l, _)| l.contains("ENABLE_EMBEDDING_EVENT_STREAMS"))
        .collect();
    assert_eq!(
        fields,
        vec![
            (
                "apps/v1/Deployment/media/auth [auth] ENABLE_EMBEDDING_EVENT_STREAMS".to_string(),
                "(unset) → 1".to_string()
            ),
            (
                "apps/v1/Deployment/media/embedder [embedder] ENABLE_EMBEDDING_EVENT_STREAMS"
                    .to_string(),
                "(unset) → 1".to_string()
            ),
        ]
    );
}
