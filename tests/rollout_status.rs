//! `rollout status` against the scripted fake kube API (`tests/support/kube_api.rs`) with watch
//! semantics: real paths and queries as the `kube` client sends them, chunked watch streams, pods
//! moving from ContainerCreating to Ready, and each waiting reason that makes it fail fast.

#[path = "support/kube_api.rs"]
mod kube_api;

use std::path::Path;
use std::time::{Duration, Instant};

use kube_api::*;
use serde_json::{Value, json};

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
  - name: db
    image: ghcr.io/shop/db
    tag: 16.1.0
    workload: {kind: StatefulSet}
  - name: agent
    image: ghcr.io/shop/agent
    tag: 0.3.0
    workload: {kind: DaemonSet, namespace: ops}
  - name: report
    image: ghcr.io/shop/report
    tag: 0.9.0
    workload: {kind: CronJob, name: nightly-report}
";

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn repo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("k8s/base")).unwrap();
    std::fs::write(dir.path().join("rollout.yaml"), SPEC).unwrap();
    dir
}

fn deployment(rv: &str, generation: i64, status: Value) -> Value {
    json!({"apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "api", "namespace": "shop", "resourceVersion": rv, "generation": generation, "uid": "d-1"},
        "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "api"}}, "template": {}},
        "status": status})
}

fn statefulset_done() -> Value {
    json!({"apiVersion": "apps/v1", "kind": "StatefulSet",
        "metadata": {"name": "db", "namespace": "shop", "resourceVersion": "300", "generation": 4},
        "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "db"}}},
        "status": {"observedGeneration": 4, "replicas": 1, "readyReplicas": 1, "updatedReplicas": 1,
                   "currentRevision": "db-7c9", "updateRevision": "db-7c9"}})
}

fn daemonset_done() -> Value {
    json!({"apiVersion": "apps/v1", "kind": "DaemonSet",
        "metadata": {"name": "agent", "namespace": "ops", "resourceVersion": "400", "generation": 2},
        "spec": {"selector": {"matchLabels": {"app": "agent"}}},
        "status": {"observedGeneration": 2, "desiredNumberScheduled": 1, "updatedNumberScheduled": 1,
                   "numberReady": 1, "numberAvailable": 1}})
}

/// A pod; `waiting` is the container's waiting reason, `None` for running and Ready.
fn pod(name: &str, ns: &str, app: &str, rv: &str, waiting: Option<&str>, restarts: i64) -> Value {
    let (phase, state, ready) = match waiting {
        None => (
            "Running",
            json!({"running": {"startedAt": "2026-12-01T10:00:00Z"}}),
            "True",
        ),
        Some(r) => (
            "Pending",
            json!({"waiting": {"reason": r, "message": format!("{r}: for image \"ghcr.io/shop/{app}:1.4.0\"")}}),
            "False",
        ),
    };
    json!({"apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name, "namespace": ns, "resourceVersion": rv, "labels": {"app": app}},
        "status": {"phase": phase,
            "conditions": [{"type": "Ready", "status": ready}],
            "containerStatuses": [{"name": app, "image": format!("ghcr.io/shop/{app}:1.4.0"), "ready": ready == "True",
                "restartCount": restarts, "state": state}]}})
}

fn dep_path() -> &'static str {
    "/apis/apps/v1/namespaces/shop/deployments"
}

fn watch_step(
    path: &str,
    selector: (&str, &str),
    rv: &str,
    events: Vec<(Duration, &str, Value)>,
) -> Step {
    let mut s = Step::watch(path, events);
    s.query = watch_query(selector, 60, rv);
    s
}

/// The steps for the StatefulSet and DaemonSet that are rolled out already (GET, pod LIST).
fn settled_rest() -> Vec<Step> {
    vec![
        Step::get(
            "/apis/apps/v1/namespaces/shop/statefulsets/db",
            200,
            statefulset_done(),
        ),
        Step::get(
            "/api/v1/namespaces/shop/pods",
            200,
            list("Pod", vec![pod("db-0", "shop", "db", "301", None, 0)], None),
        )
        .query(&[("labelSelector", "app=db")]),
        Step::get(
            "/apis/apps/v1/namespaces/ops/daemonsets/agent",
            200,
            daemonset_done(),
        ),
        Step::get(
            "/api/v1/namespaces/ops/pods",
            200,
            list(
                "Pod",
                vec![pod("agent-x2k4p", "ops", "agent", "401", None, 3)],
                None,
            ),
        )
        .query(&[("labelSelector", "app=agent")]),
    ]
}

fn run(dir: &Path, server: &FakeKube, extra: &[&str]) -> (i32, String, String, Duration) {
    let kc = server.kubeconfig(dir);
    let start = Instant::now();
    let mut args = vec!["status", "--kubeconfig", kc.to_str().unwrap()];
    args.extend_from_slice(extra);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_rollout"))
        .args(&args)
        .current_dir(dir)
        .env_clear()
        .output()
        .unwrap();
    let (o, e) = (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    );
    for text in [&o, &e] {
        assert!(!text.contains(TOKEN), "{text}");
    }
    (out.status.code().unwrap_or(-1), o, e, start.elapsed())
}

fn evidence(dir: &Path) -> Value {
    let text = std::fs::read_to_string(dir.join("evidence/rollout-status.json")).unwrap();
    assert!(!text.contains(TOKEN));
    serde_json::from_str(&text).unwrap()
}

#[test]
fn waits_through_the_watch_until_every_workload_rolled_out() {
    let dir = repo();
    let old = pod("api-5d8f7-old01", "shop", "api", "101", None, 0);
    let new_creating = pod(
        "api-7c4b9-new01",
        "shop",
        "api",
        "102",
        Some("ContainerCreating"),
        0,
    );
    let mut new_ready = pod("api-7c4b9-new01", "shop", "api", "110", None, 1);
    new_ready["metadata"]["resourceVersion"] = json!("110");
    let mut script = vec![
        Step::get(
            format!("{}/api", dep_path()),
            200,
            deployment(
                "100",
                2,
                json!({"observedGeneration": 1, "replicas": 2, "updatedReplicas": 1, "availableReplicas": 1}),
            ),
        ),
        Step::get(
            "/api/v1/namespaces/shop/pods",
            200,
            list("Pod", vec![old.clone(), new_creating], None),
        )
        .query(&[("labelSelector", "app=api")]),
        watch_step(
            dep_path(),
            ("fieldSelector", "metadata.name=api"),
            "100",
            vec![
                (
                    ms(100),
                    "MODIFIED",
                    deployment(
                        "105",
                        2,
                        json!({"observedGeneration": 2, "replicas": 2, "updatedReplicas": 1, "availableReplicas": 1}),
                    ),
                ),
                (
                    ms(500),
                    "MODIFIED",
                    deployment(
                        "120",
                        2,
                        json!({"observedGeneration": 2, "replicas": 1, "updatedReplicas": 1, "availableReplicas": 1, "readyReplicas": 1}),
                    ),
                ),
            ],
        ),
        watch_step(
            "/api/v1/namespaces/shop/pods",
            ("labelSelector", "app=api"),
            "48213001",
            vec![(ms(200), "MODIFIED", new_ready), (ms(100), "DELETED", old)],
        ),
    ];
    script.extend(settled_rest());
    let server = FakeKube::start(script);
    let (code, out, err, took) = run(dir.path(), &server, &["--timeout", "20s"]);
    server.finish(Duration::from_secs(5)).unwrap();
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(took < Duration::from_secs(8), "{took:?}");
    assert_eq!(
        out,
        "Deployment/api (shop): rolled-out, 1/1 pods Ready, 1 restarts\n\
         StatefulSet/db (shop): rolled-out, 1/1 pods Ready, 0 restarts\n\
         DaemonSet/agent (ops): rolled-out, 1/1 pods Ready, 3 restarts\n\
         CronJob/nightly-report (shop): not-checked: CronJob has no rollout status\n\
         rolled out: 3 workloads in dev\n"
    );
    // No progress line: stderr is not a terminal.
    assert_eq!(err, "wrote evidence/rollout-status.json\n");
    let ev = evidence(dir.path());
    assert_eq!(ev["kind"], "rollout-status");
    assert_eq!(ev["result"], "rolled-out");
    assert_eq!(ev["environment"], "dev");
    let api = &ev["workloads"][0];
    assert_eq!(
        (
            api["generation"].as_i64(),
            api["observedGeneration"].as_i64()
        ),
        (Some(2), Some(2))
    );
    assert_eq!(api["replicas"]["updatedReplicas"], 1);
    assert_eq!(
        api["pods"].as_array().unwrap().len(),
        1,
        "the deleted old pod is gone: {api}"
    );
    assert_eq!(api["pods"][0]["name"], "api-7c4b9-new01");
    assert_eq!(api["pods"][0]["ready"], true);
    assert_eq!(ev["workloads"][2]["restarts"], 3);
    assert_eq!(ev["workloads"][3]["result"], "not-checked");
}

#[test]
fn a_pod_that_turns_bad_during_the_watch_fails_fast_naming_pod_container_and_reason() {
    let dir = repo();
    let script = vec![
        Step::get(
            format!("{}/api", dep_path()),
            200,
            deployment(
                "100",
                2,
                json!({"observedGeneration": 2, "replicas": 2, "updatedReplicas": 1, "availableReplicas": 1}),
            ),
        ),
        Step::get(
            "/api/v1/namespaces/shop/pods",
            200,
            list(
                "Pod",
                vec![pod(
                    "api-7c4b9-new01",
                    "shop",
                    "api",
                    "102",
                    Some("ContainerCreating"),
                    0,
                )],
                None,
            ),
        )
        .query(&[("labelSelector", "app=api")]),
        // The Deployment never finishes: only the pod can end this wait before the timeout.
        watch_step(
            dep_path(),
            ("fieldSelector", "metadata.name=api"),
            "100",
            vec![],
        ),
        watch_step(
            "/api/v1/namespaces/shop/pods",
            ("labelSelector", "app=api"),
            "48213001",
            vec![(
                ms(100),
                "MODIFIED",
                pod(
                    "api-7c4b9-new01",
                    "shop",
                    "api",
                    "103",
                    Some("ErrImagePull"),
                    0,
                ),
            )],
        ),
    ];
    let server = FakeKube::start(script);
    let (code, out, _err, took) = run(dir.path(), &server, &["--timeout", "5m"]);
    server.finish(Duration::from_secs(5)).unwrap();
    assert_eq!(code, 1, "{out}");
    assert!(
        took < Duration::from_secs(5),
        "fail fast, not at the timeout: {took:?}"
    );
    assert!(
        out.contains("failed: Deployment/api: pod api-7c4b9-new01 container api: ErrImagePull: ErrImagePull: for image \"ghcr.io/shop/api:1.4.0\""),
        "{out}"
    );
    let ev = evidence(dir.path());
    assert_eq!(ev["result"], "failed");
    assert_eq!(
        ev["failure"],
        json!({"pod": "api-7c4b9-new01", "container": "api", "reason": "ErrImagePull",
        "message": "ErrImagePull: for image \"ghcr.io/shop/api:1.4.0\""})
    );
    assert_eq!(
        ev["workloads"][1]["result"], "pending",
        "not reached after the failure"
    );
}

#[test]
fn each_fatal_reason_already_on_a_pod_fails_at_once() {
    for reason in [
        "ImagePullBackOff",
        "ErrImagePull",
        "CrashLoopBackOff",
        "CreateContainerConfigError",
        "InvalidImageName",
    ] {
        let dir = repo();
        let script = vec![
            Step::get(
                format!("{}/api", dep_path()),
                200,
                deployment(
                    "100",
                    2,
                    json!({"observedGeneration": 2, "replicas": 1, "updatedReplicas": 1, "availableReplicas": 0}),
                ),
            ),
            Step::get(
                "/api/v1/namespaces/shop/pods",
                200,
                list(
                    "Pod",
                    vec![pod(
                        "api-7c4b9-new01",
                        "shop",
                        "api",
                        "102",
                        Some(reason),
                        4,
                    )],
                    None,
                ),
            )
            .query(&[("labelSelector", "app=api")]),
        ];
        let server = FakeKube::start(script);
        let (code, out, _, _) = run(dir.path(), &server, &[]);
        server.finish(Duration::from_secs(5)).unwrap();
        assert_eq!(code, 1, "{reason}: {out}");
        assert!(
            out.contains(&format!("pod api-7c4b9-new01 container api: {reason}")),
            "{out}"
        );
        let ev = evidence(dir.path());
        assert_eq!(ev["failure"]["reason"], reason);
        assert_eq!(ev["workloads"][0]["restarts"], 4);
    }
}

#[test]
fn a_rollout_that_never_finishes_times_out_and_says_what_it_waited_for() {
    let dir = repo();
    let script = vec![
        Step::get(
            format!("{}/api", dep_path()),
            200,
            deployment(
                "100",
                2,
                json!({"observedGeneration": 2, "replicas": 2, "updatedReplicas": 1, "availableReplicas": 1}),
            ),
        ),
        Step::get(
            "/api/v1/namespaces/shop/pods",
            200,
            list("Pod", vec![], None),
        )
        .query(&[("labelSelector", "app=api")]),
        watch_step(
            dep_path(),
            ("fieldSelector", "metadata.name=api"),
            "100",
            vec![],
        ),
        watch_step(
            "/api/v1/namespaces/shop/pods",
            ("labelSelector", "app=api"),
            "48213001",
            vec![],
        ),
    ];
    let server = FakeKube::start(script);
    let (code, out, _, took) = run(dir.path(), &server, &["--timeout", "1s"]);
    server.finish(Duration::from_secs(5)).unwrap();
    assert_eq!(code, 1, "{out}");
    assert!(took < Duration::from_secs(5), "{took:?}");
    assert!(
        out.ends_with("timeout: Deployment/api did not roll out within 1s: 1 old replicas of \"api\" pending termination\n"),
        "{out}"
    );
    assert_eq!(evidence(dir.path())["result"], "timeout");
}

#[test]
fn an_api_error_is_exit_2_in_one_line() {
    let dir = repo();
    let server = FakeKube::start(vec![Step::get(
        format!("{}/api", dep_path()),
        403,
        forbidden("get", "apps", "deployments", Some("api"), "shop"),
    )]);
    let (code, out, err, _) = run(dir.path(), &server, &[]);
    server.finish(Duration::from_secs(5)).unwrap();
    assert_eq!(code, 2, "{out}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with(
            "error: get Deployment/api in namespace shop: deployments.apps \"api\" is forbidden"
        ),
        "{err}"
    );
    let dir2 = repo();
    let (code, _, err, _) = run(dir2.path(), &server, &["--env", "prod"]);
    assert_eq!(code, 2);
    assert_eq!(err, "error: unknown environment `prod`; choose from: dev\n");
}

#[test]
fn the_report_lists_the_pods_item_from_the_evidence() {
    let dir = repo();
    let script = vec![
        Step::get(
            format!("{}/api", dep_path()),
            200,
            deployment(
                "100",
                2,
                json!({"observedGeneration": 2, "replicas": 1, "updatedReplicas": 1, "availableReplicas": 0}),
            ),
        ),
        Step::get(
            "/api/v1/namespaces/shop/pods",
            200,
            list(
                "Pod",
                vec![pod(
                    "api-7c4b9-new01",
                    "shop",
                    "api",
                    "102",
                    Some("CrashLoopBackOff"),
                    6,
                )],
                None,
            ),
        )
        .query(&[("labelSelector", "app=api")]),
    ];
    let server = FakeKube::start(script);
    assert_eq!(run(dir.path(), &server, &[]).0, 1);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_rollout"))
        .args(["evidence", "--output", "json"])
        .current_dir(dir.path())
        .env_clear()
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let item = report["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["key"] == "pods-healthy")
        .expect("pods-healthy item");
    assert_eq!(item["status"], "failed");
    let fields = item["fields"].to_string();
    assert!(fields.contains("failed, 0/1 pods Ready, 6 restarts: pod api-7c4b9-new01 container api: CrashLoopBackOff"), "{fields}");
}
