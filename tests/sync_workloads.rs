//! `rollout sync` past Argo CD's word (issue 15, item 1): after Synced it waits for the spec's
//! workloads through the kube API as `rollout status` does (the fake kube API of
//! `tests/support/kube_api.rs`), and it tolerates a Degraded health for `--degraded-grace` (the
//! fake Argo CD of `tests/support/argocd.rs`).

mod support;

#[path = "support/kube_api.rs"]
mod kube_api;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use kube_api::{FakeKube, Step as KubeStep, list};
use serde_json::{Value, json};
use support::argocd::{FakeArgo, Reply, app, get, resource, sync};

const ARGO_TOKEN: &str = "argocd-token-w0rkl0ads-4c2e";
const APP: &str = "media-staging";
const OLD: &str = "2026-11-27T09:00:00Z";
const NEW: &str = "2026-11-27T10:00:05Z";
const SETTLED: Option<(&str, &str, &str)> = Some(("Succeeded", OLD, ""));
const RUNNING: Option<(&str, &str, &str)> = Some(("Running", NEW, "one or more tasks are running"));
const DONE: Option<(&str, &str, &str)> =
    Some(("Succeeded", NEW, "successfully synced (all tasks run)"));

const SPEC: &str = "apiVersion: rollout/v1alpha1
kind: Rollout
metadata: {name: media}
base: {path: k8s/base}
environments:
  staging:
    namespace: media
    cluster: staging-eu-1
    argocd: {project: media, repoURL: https://github.com/sploot/media.git}
services:
  - name: api
    image: ghcr.io/sploot/api
    tag: 1.4.0
";

fn repo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("k8s/base")).unwrap();
    std::fs::write(dir.path().join("rollout.yaml"), SPEC).unwrap();
    dir
}

struct Ran {
    code: i32,
    stdout: String,
    stderr: String,
}

fn rollout(dir: &Path, args: &[&str]) -> Ran {
    let out = Command::new(env!("CARGO_BIN_EXE_rollout"))
        .args(args)
        .current_dir(dir)
        .env_clear()
        .env("ARGOCD_AUTH_TOKEN", ARGO_TOKEN)
        .output()
        .unwrap();
    let ran = Ran {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    };
    for secret in [ARGO_TOKEN, kube_api::TOKEN] {
        assert!(
            !ran.stdout.contains(secret) && !ran.stderr.contains(secret),
            "{}{}",
            ran.stdout,
            ran.stderr
        );
    }
    ran
}

fn ok(v: Value) -> Reply {
    Reply::Json(200, v)
}

fn api_resource(health: &str, message: &str) -> Vec<Value> {
    vec![
        resource("Service", "api", "Synced", Some(("Healthy", ""))),
        resource("Deployment", "api", "Synced", Some((health, message))),
    ]
}

fn argo(sync_status: &str, health: &str, op: Option<(&str, &str, &str)>, pending: bool) -> Reply {
    let message = if health == "Degraded" {
        "Readiness probe failed: HTTP probe failed with statuscode: 503"
    } else {
        ""
    };
    ok(app(
        APP,
        sync_status,
        health,
        op,
        pending,
        api_resource(health, message),
    ))
}

fn deployment(status: Value) -> Value {
    json!({"apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "api", "namespace": "media", "resourceVersion": "700", "generation": 3},
        "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "api"}}, "template": {}},
        "status": status})
}

fn pod(waiting: Option<&str>) -> Value {
    let (phase, state, ready) = match waiting {
        None => ("Running", json!({"running": {}}), "True"),
        Some(r) => (
            "Pending",
            json!({"waiting": {"reason": r, "message": "Back-off pulling image \"ghcr.io/sploot/api:1.4.0\""}}),
            "False",
        ),
    };
    json!({"apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "api-6f9d8-x7k2p", "namespace": "media", "resourceVersion": "701", "labels": {"app": "api"}},
        "status": {"phase": phase, "conditions": [{"type": "Ready", "status": ready}],
            "containerStatuses": [{"name": "api", "restartCount": 0, "state": state}]}})
}

/// The kube API steps of one `rollout status` check of `api`: GET the Deployment, LIST its pods.
fn kube_check(status: Value, pod_waiting: Option<&str>) -> Vec<KubeStep> {
    vec![
        KubeStep::get(
            "/apis/apps/v1/namespaces/media/deployments/api",
            200,
            deployment(status),
        ),
        KubeStep::get(
            "/api/v1/namespaces/media/pods",
            200,
            list("Pod", vec![pod(pod_waiting)], None),
        )
        .query(&[("labelSelector", "app=api")]),
    ]
}

fn rolled_out() -> Value {
    json!({"observedGeneration": 3, "replicas": 1, "updatedReplicas": 1, "readyReplicas": 1, "availableReplicas": 1})
}

fn sync_args<'a>(argo: &'a str, kubeconfig: Option<&'a str>, extra: &[&'a str]) -> Vec<&'a str> {
    let mut v = vec![
        "sync",
        APP,
        "--server",
        argo,
        "--timeout",
        "20s",
        "--evidence",
        "evidence/argocd-sync.json",
    ];
    if let Some(k) = kubeconfig {
        v.extend(["--kubeconfig", k]);
    }
    v.extend_from_slice(extra);
    v
}

fn read_json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn synced_then_workloads_rolled_out_then_degraded_within_the_grace_then_healthy_passes() {
    let dir = repo();
    let kube = FakeKube::start(kube_check(rolled_out(), None));
    let kc = kube.kubeconfig(dir.path());
    let argocd = FakeArgo::start(vec![
        get(APP, argo("OutOfSync", "Healthy", SETTLED, false)),
        sync(APP, argo("OutOfSync", "Healthy", SETTLED, true)),
        get(APP, argo("OutOfSync", "Healthy", RUNNING, true)),
        // Synced: the workload check runs here, then Argo CD is polled again.
        get(APP, argo("Synced", "Progressing", DONE, false)),
        get(APP, argo("Synced", "Degraded", DONE, false)),
        get(APP, argo("Synced", "Degraded", DONE, false)),
        get(APP, argo("Synced", "Degraded", DONE, false)),
        get(APP, argo("Synced", "Healthy", DONE, false)),
    ]);
    let url = argocd.url();
    let ran = rollout(
        dir.path(),
        &sync_args(
            &url,
            kc.to_str(),
            &["--poll-interval", "10ms", "--degraded-grace", "30s"],
        ),
    );
    argocd.finish();
    kube.finish(Duration::from_secs(5)).unwrap();
    assert_eq!(ran.code, 0, "{}{}", ran.stdout, ran.stderr);
    assert!(
        ran.stdout
            .starts_with("media-staging: Synced and Healthy at revision "),
        "{}",
        ran.stdout
    );
    assert!(
        ran.stdout
            .contains("Deployment/api (media): rolled-out, 1/1 pods Ready, 0 restarts\n"),
        "{}",
        ran.stdout
    );
    assert!(
        ran.stderr
            .contains("workload check written to evidence/rollout-status.json\n"),
        "{}",
        ran.stderr
    );
    let ev = read_json(&dir.path().join("evidence/argocd-sync.json"));
    assert_eq!(ev["result"], "succeeded");
    assert_eq!(ev["workload_check"], "rolled-out");
    let healths: Vec<&str> = ev["phases_seen"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["health"].as_str().unwrap())
        .collect();
    assert_eq!(
        healths,
        ["Healthy", "Healthy", "Progressing", "Degraded", "Healthy"],
        "before, running, then three states after Synced: {ev}"
    );
    let status = read_json(&dir.path().join("evidence/rollout-status.json"));
    assert_eq!(status["kind"], "rollout-status");
    assert_eq!(status["environment"], "staging", "from the app's name");
    assert_eq!(status["workloads"][0]["result"], "rolled-out");
}

#[test]
fn degraded_before_and_still_degraded_after_the_grace_fails_naming_the_resource() {
    let dir = repo();
    // One second between polls and a grace of 300 ms: the second Degraded poll is past it.
    let argocd = FakeArgo::start(vec![
        get(APP, argo("OutOfSync", "Degraded", SETTLED, false)),
        sync(APP, argo("OutOfSync", "Degraded", SETTLED, true)),
        get(APP, argo("Synced", "Degraded", DONE, false)),
        get(APP, argo("Synced", "Degraded", DONE, false)),
    ]);
    let url = argocd.url();
    let ran = rollout(
        dir.path(),
        &sync_args(
            &url,
            None,
            &["--poll-interval", "1s", "--degraded-grace", "300ms"],
        ),
    );
    argocd.finish();
    assert_eq!(ran.code, 1, "{}{}", ran.stdout, ran.stderr);
    let first = ran.stdout.lines().next().unwrap_or_default();
    assert!(
        first.starts_with(
            "media-staging: sync failed: application is Degraded for longer than the 300ms grace \
             (it was Degraded before the sync): apps/Deployment/media/api: Readiness probe failed: \
             HTTP probe failed with statuscode: 503 (phase Succeeded, sync Synced, health Degraded, "
        ),
        "{}",
        ran.stdout
    );
    assert!(
        ran.stdout.contains(
            "  apps/Deployment/media/api  sync=Synced health=Degraded  Readiness probe failed"
        ),
        "{}",
        ran.stdout
    );
    let ev = read_json(&dir.path().join("evidence/argocd-sync.json"));
    assert_eq!(ev["result"], "failed");
    assert!(
        ev["failure"]
            .as_str()
            .unwrap()
            .contains("apps/Deployment/media/api: Readiness probe failed"),
        "{ev}"
    );
    assert!(
        ev.get("workload_check").is_none(),
        "no cluster access: no check"
    );
    assert!(!dir.path().join("evidence/rollout-status.json").exists());
}

#[test]
fn image_pull_back_off_after_synced_fails_fast_naming_pod_container_and_reason() {
    let dir = repo();
    // The Deployment waits for its new replica; the pod cannot pull its image.
    let kube = FakeKube::start(kube_check(
        json!({"observedGeneration": 3, "replicas": 1, "updatedReplicas": 1, "availableReplicas": 0}),
        Some("ImagePullBackOff"),
    ));
    let kc = kube.kubeconfig(dir.path());
    let argocd = FakeArgo::start(vec![
        get(APP, argo("OutOfSync", "Healthy", SETTLED, false)),
        sync(APP, argo("OutOfSync", "Healthy", SETTLED, true)),
        get(APP, argo("Synced", "Progressing", DONE, false)),
    ]);
    let url = argocd.url();
    let started = std::time::Instant::now();
    let ran = rollout(
        dir.path(),
        &sync_args(&url, kc.to_str(), &["--poll-interval", "10ms"]),
    );
    argocd.finish();
    kube.finish(Duration::from_secs(5)).unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "fails fast, not at the 20s timeout"
    );
    assert_eq!(ran.code, 1, "{}{}", ran.stdout, ran.stderr);
    assert!(
        ran.stdout.starts_with(
            "media-staging: sync failed: workloads did not roll out: Deployment/api: pod \
             api-6f9d8-x7k2p container api: ImagePullBackOff: Back-off pulling image"
        ),
        "{}",
        ran.stdout
    );
    let ev = read_json(&dir.path().join("evidence/argocd-sync.json"));
    assert_eq!(ev["workload_check"], "failed");
    let status = read_json(&dir.path().join("evidence/rollout-status.json"));
    assert_eq!(status["result"], "failed");
    assert_eq!(status["failure"]["reason"], "ImagePullBackOff");
    assert_eq!(status["failure"]["container"], "api");
}

#[test]
fn an_application_of_no_environment_is_an_input_error_with_cluster_access_given() {
    let dir = repo();
    let argocd = FakeArgo::start(vec![]);
    let url = argocd.url();
    let mut args = sync_args(&url, Some("kubeconfig"), &[]);
    args[1] = "other-app";
    let ran = rollout(dir.path(), &args);
    argocd.finish();
    assert_eq!(ran.code, 2, "{}{}", ran.stdout, ran.stderr);
    assert!(
        ran.stderr.contains(
            "application \"other-app\" is none of rollout.yaml's environments (<namespace>-<env>); say which with --env"
        ),
        "{}",
        ran.stderr
    );
}
