//! `rollout evidence`: the staging validation report from evidence files. Present items are filled in
//! from the files; missing or failed ones are listed, never invented.

mod support;

use std::path::Path;

use serde_json::Value;
use support::{repo, rollout};

fn complete() -> std::path::PathBuf {
    repo().join("fixtures/evidence/complete")
}

/// A work directory holding the media spec (its `evidence` section adds the hand-added items) and
/// a copy of `evidence_from` as `evidence/`.
fn work_with(evidence_from: &Path) -> tempfile::TempDir {
    let work = tempfile::tempdir().unwrap();
    std::fs::copy(
        repo().join("rollout.yaml"),
        work.path().join("rollout.yaml"),
    )
    .unwrap();
    copy_dir(evidence_from, &work.path().join("evidence"));
    work
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), target).unwrap();
        }
    }
}

#[test]
fn complete_evidence_gives_a_complete_report_and_exit_0() {
    let work = work_with(&complete());
    let out = rollout(work.path()).arg("evidence").output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "9 of 9 items present\n"
    );
    let md = String::from_utf8(out.stdout).unwrap();
    // every value shown comes from the files
    for needle in [
        "| Dashboard media-clustering-streams URL | https://grafana.staging.sploot.internal/d/media-clustering-streams/media-clustering-redis-streams-pipeline |",
        "| Silence id | 0c9f7a7e-1f7e-4a53-9a44-2d1c7f0b2a11 |",
        "| Maintenance window start | 2026-11-27T10:15:00Z |",
        "| apps/v1/Deployment/media/embedder [embedder] ENABLE_EMBEDDING_EVENT_STREAMS | (unset) → 1 |",
        "| media-staging: synced revision | 4f2a9c1e0b7d5a3c8e6f1b2d4a6c8e0f1a3b5c7d |",
        "| media-staging: apps/Deployment media/media-clustering | Synced, Healthy |",
        "| Stream | embedding-events |",
        "| Stream backlog [A] | 14 → 9 |",
    ] {
        assert!(md.contains(needle), "missing {needle:?} in\n{md}");
    }
    insta::assert_snapshot!("complete_report_md", md);

    let out = rollout(work.path())
        .args(["evidence", "--output", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    let statuses: Vec<&str> = json["checklist"]
        .as_array()
        .unwrap()
        .iter()
        .chain(json["steps"].as_array().unwrap())
        .map(|i| i["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["present"; 9]);
    insta::assert_snapshot!("complete_report_json", String::from_utf8_lossy(&out.stdout));
}

#[test]
fn failures_and_gaps_are_reported_not_filled_in() {
    let work = work_with(&complete());
    let ev = work.path().join("evidence");
    std::fs::remove_file(ev.join("redis-backlog.json")).unwrap();
    std::fs::remove_dir_all(ev.join("screenshots")).unwrap();
    std::fs::write(
        ev.join("argocd-sync.json"),
        r#"{"application":"media-staging","server":"https://argocd.staging.sploot.internal","dry_run":false,
            "result":"failed","failure":"not Synced and Healthy after 10m: health Progressing",
            "sync_status":"Synced","health_status":"Progressing",
            "resources":[{"group":"apps","kind":"Deployment","namespace":"media","name":"embedder","sync":"Synced","health":"Progressing"}]}"#,
    )
    .unwrap();
    std::fs::write(ev.join("alerts-quiet.json"), "{\"kind\": \"alerts-quiet\",").unwrap();
    let out = rollout(work.path())
        .args([
            "evidence",
            "--out",
            "docs/validation-results/staging-2026-11-27.md",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "wrote docs/validation-results/staging-2026-11-27.md: 5 of 9 items present; 1 failed: argocd-sync; \
         2 missing: redis-backlog-check, notification-screenshots; 1 unreadable: maintenance-window-closed\n"
    );
    let md = std::fs::read_to_string(
        work.path()
            .join("docs/validation-results/staging-2026-11-27.md"),
    )
    .unwrap();
    assert!(
        md.contains("| media-staging: apps/Deployment media/embedder | Synced, Progressing |"),
        "{md}"
    );
    assert!(
        md.contains("> media-staging: not Synced and Healthy after 10m: health Progressing"),
        "{md}"
    );
    assert!(md.contains("> evidence/alerts-quiet.json: invalid JSON: EOF while parsing a value at line 1 column 24"), "{md}");
    assert!(
        !md.contains("XINFO GROUPS media:embeddings"),
        "no Redis output may be invented"
    );
    // same evidence, same bytes
    let again = rollout(work.path()).args(["evidence"]).output().unwrap();
    assert_eq!(String::from_utf8_lossy(&again.stdout), md);
}

#[test]
fn reads_the_evidence_rollout_sync_really_writes() {
    use rollout::argocd::evidence::Evidence;
    use rollout::argocd::status::{OperationState, ResourceState};
    let evidence = Evidence {
        application: "media-staging".into(),
        server: "https://argocd.staging.sploot.internal".into(),
        requested_revision: Some("main".into()),
        synced_revision: Some("4f2a9c1".into()),
        prune: false,
        dry_run: false,
        started_at: "2026-11-27T10:30:00Z".into(),
        finished_at: "2026-11-27T10:31:00Z".into(),
        duration_seconds: 60,
        result: "succeeded".into(),
        failure: None,
        waited_for_other_operation: false,
        operation: Some(OperationState {
            phase: "Succeeded".into(),
            message: Some("successfully synced (all tasks run)".into()),
            started_at: None,
            finished_at: None,
            revision: Some("4f2a9c1".into()),
        }),
        sync_status: "Synced".into(),
        health_status: "Healthy".into(),
        phases_seen: vec![],
        poll_errors: vec![],
        resources: vec![ResourceState {
            group: "apps".into(),
            kind: "Deployment".into(),
            namespace: "media".into(),
            name: "auth".into(),
            sync: "Synced".into(),
            health: Some("Healthy".into()),
            message: None,
            sync_result: None,
        }],
        workload_check: None,
    };
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("argocd-sync.json"), evidence.to_json()).unwrap();
    let report = rollout::evidence::report::assemble(dir.path());
    let sync = report
        .steps
        .iter()
        .find(|i| i.key == "argocd-sync")
        .unwrap();
    assert_eq!(
        sync.status,
        rollout::evidence::report::Status::Present,
        "{sync:?}"
    );
    let field = |label: &str| {
        sync.fields
            .iter()
            .find(|f| f.label == label)
            .map(|f| f.value.as_str())
    };
    assert_eq!(field("media-staging: synced revision"), Some("4f2a9c1"));
    assert_eq!(
        field("media-staging: final sync / health"),
        Some("Synced / Healthy")
    );
    assert_eq!(
        field("media-staging: operation"),
        Some("Succeeded: successfully synced (all tasks run)")
    );
    assert_eq!(
        field("media-staging: apps/Deployment media/auth"),
        Some("Synced, Healthy")
    );
}

/// Issue 11: `rollout evidence --out` writes inside the repository only (links resolved).
#[test]
fn issue_11_the_report_is_never_written_outside_the_repository() {
    let work = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(outside.path(), work.path().join("docs")).unwrap();
    for out in [
        "../report.md".to_string(),
        outside.path().join("r.md").display().to_string(),
        "docs/r.md".to_string(),
    ] {
        let ran = rollout(work.path())
            .args(["evidence", "--out", &out])
            .output()
            .unwrap();
        assert_eq!(ran.status.code(), Some(2), "{out}");
        let stderr = String::from_utf8_lossy(&ran.stderr);
        assert!(stderr.contains("refusing to write"), "{out}: {stderr}");
    }
    assert_eq!(std::fs::read_dir(outside.path()).unwrap().count(), 0);
}
