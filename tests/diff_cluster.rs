//! `rollout diff` against a cluster: the real `kube` client, through a real kubeconfig, talking to
//! the scripted fake API server in `tests/support/kube_api.rs`.

#[path = "support/diff_cli.rs"]
mod diff_cli;
#[path = "support/kube_api.rs"]
mod kube_api;

use std::collections::HashMap;
use std::path::Path;
use std::time::{Duration, Instant};

use diff_cli::{rollout, root};
use kube_api::*;
use serde_json::Value;

/// The pre-rollout snapshot objects by id (`v1.ConfigMap.media.auth-config`).
fn live_objects() -> HashMap<String, Value> {
    let dir = root().join("fixtures/live/staging");
    let mut out = HashMap::new();
    for e in std::fs::read_dir(&dir).unwrap() {
        let p = e.unwrap().path();
        let text = std::fs::read_to_string(&p).unwrap();
        for r in rollout::resource::parse_resources(&text, &p).unwrap() {
            out.insert(r.id().to_string(), r.value.into());
        }
    }
    out
}

fn obj(id: &str) -> Value {
    live_objects()
        .remove(id)
        .unwrap_or_else(|| panic!("no {id} in the snapshot"))
}

/// Discovery for the core group and apps: `/apis`, `/apis/apps/v1`, `/api`, `/api/v1`.
fn discovery(extra_groups: &[&str]) -> Vec<Step> {
    let mut groups = vec!["apps"];
    groups.extend_from_slice(extra_groups);
    vec![
        Step::get("/apis", 200, group_list(&groups)),
        Step::get(
            "/apis/apps/v1",
            200,
            resource_list(
                "apps/v1",
                &[
                    ("deployments", "Deployment", true),
                    ("statefulsets", "StatefulSet", true),
                ],
            ),
        ),
        Step::get("/api", 200, core_versions()),
        Step::get(
            "/api/v1",
            200,
            resource_list(
                "v1",
                &[
                    ("configmaps", "ConfigMap", true),
                    ("secrets", "Secret", true),
                    ("services", "Service", true),
                    ("serviceaccounts", "ServiceAccount", true),
                    ("namespaces", "Namespace", false),
                ],
            ),
        ),
    ]
}

fn get_obj(path: &str, id: &str) -> Step {
    Step::get(path, 200, obj(id))
}

fn assert_no_token(texts: &[&str]) {
    for t in texts {
        assert!(!t.contains(TOKEN), "token leaked: {t}");
    }
}

#[test]
fn staging_diff_through_the_cluster_equals_the_snapshot_diff() {
    let mut script = discovery(&["batch"]);
    let ns = "/api/v1/namespaces/media";
    // kustomize's legacy order: ServiceAccount, ConfigMap, Service, Deployment.
    for n in ["auth", "embedder", "media-clustering"] {
        script.push(get_obj(
            &format!("{ns}/serviceaccounts/{n}"),
            &format!("v1.ServiceAccount.media.{n}"),
        ));
    }
    for n in ["auth", "embedder", "media-clustering"] {
        script.push(get_obj(
            &format!("{ns}/configmaps/{n}-config"),
            &format!("v1.ConfigMap.media.{n}-config"),
        ));
    }
    for n in ["auth", "embedder", "media-clustering"] {
        script.push(get_obj(
            &format!("{ns}/services/{n}"),
            &format!("v1.Service.media.{n}"),
        ));
    }
    for n in ["auth", "embedder", "media-clustering"] {
        script.push(get_obj(
            &format!("/apis/apps/v1/namespaces/media/deployments/{n}"),
            &format!("apps.v1.Deployment.media.{n}"),
        ));
    }
    let server = FakeKube::start(script);
    let tmp = tempfile::tempdir().unwrap();
    let kc = server.kubeconfig(tmp.path());
    let rendered = root().join("fixtures/diff/rendered-staging.yaml");
    let ev = tmp.path().join("evidence.md");
    let (code, out, err) = rollout(
        tmp.path(),
        &[
            "diff",
            rendered.to_str().unwrap(),
            "--kubeconfig",
            kc.to_str().unwrap(),
            "--evidence",
            ev.to_str().unwrap(),
        ],
        &[],
    );
    server.finish(Duration::from_secs(5)).unwrap();
    assert_eq!(code, 1, "stderr: {err}");
    let (scode, sout, _) = rollout(
        &root(),
        &[
            "diff",
            "fixtures/diff/rendered-staging.yaml",
            "--live-dir",
            "fixtures/live/staging",
        ],
        &[],
    );
    assert_eq!(scode, 1);
    assert_eq!(out, sout, "cluster and snapshot give the same diff");
    let url = server.url();
    assert!(
        err.contains(&format!("3 changed, 0 to create, 0 to prune, 9 unchanged (live: cluster staging (context fake) at {url})")),
        "{err}"
    );
    let evidence = std::fs::read_to_string(&ev).unwrap();
    assert!(
        evidence.contains(&format!(
            "- **Live state:** cluster `staging` (context `fake`, server `{url}`)"
        )),
        "{evidence}"
    );
    assert_no_token(&[&out, &err, &evidence]);
}

#[test]
fn missing_object_will_be_created_and_prune_lists_every_page() {
    let tmp = tempfile::tempdir().unwrap();
    let rendered = tmp.path().join("rendered.yaml");
    let mut cm = obj("v1.ConfigMap.media.auth-config");
    for k in [
        "creationTimestamp",
        "managedFields",
        "resourceVersion",
        "uid",
        "annotations",
    ] {
        cm["metadata"].as_object_mut().unwrap().remove(k);
    }
    let new_cm = serde_json::json!({"apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": "media-streams", "namespace": "media", "labels": {"app.kubernetes.io/part-of": "media"}},
        "data": {"STREAM": "embeddings"}});
    std::fs::write(&rendered, emit_json([&cm, &new_cm])).unwrap();

    let mut script = discovery(&[]);
    script.push(get_obj(
        "/api/v1/namespaces/media/configmaps/auth-config",
        "v1.ConfigMap.media.auth-config",
    ));
    script.push(Step::get(
        "/api/v1/namespaces/media/configmaps/media-streams",
        404,
        not_found("", "configmaps", "media-streams"),
    ));
    let sel = "app.kubernetes.io/part-of=media-clustering-pipeline";
    let mut owned = obj("v1.ConfigMap.media.embedder-legacy-config");
    owned["metadata"]["name"] = "owned-by-a-controller".into();
    owned["metadata"]["ownerReferences"] = serde_json::json!([{"apiVersion": "apps/v1", "kind": "Deployment", "name": "auth", "uid": "x", "controller": true}]);
    script.push(
        Step::get(
            "/api/v1/namespaces/media/configmaps",
            200,
            list(
                "ConfigMap",
                vec![
                    obj("v1.ConfigMap.media.auth-config"),
                    obj("v1.ConfigMap.media.embedder-legacy-config"),
                ],
                Some("page-2-token"),
            ),
        )
        .query(&[("labelSelector", sel), ("limit", "500")]),
    );
    script.push(
        Step::get(
            "/api/v1/namespaces/media/configmaps",
            200,
            list("ConfigMap", vec![owned], None),
        )
        .query(&[
            ("labelSelector", sel),
            ("limit", "500"),
            ("continue", "page-2-token"),
        ]),
    );
    script.push(prune_page(
        "/api/v1/namespaces/media/secrets",
        "Secret",
        vec![obj("v1.Secret.media.media-redis")],
        sel,
    ));
    script.push(prune_page(
        "/api/v1/namespaces/media/services",
        "Service",
        vec![],
        sel,
    ));
    script.push(prune_page(
        "/apis/apps/v1/namespaces/media/deployments",
        "Deployment",
        vec![],
        sel,
    ));
    script.push(prune_page(
        "/apis/apps/v1/namespaces/media/statefulsets",
        "StatefulSet",
        vec![],
        sel,
    ));
    let server = FakeKube::start(script);
    let kc = server.kubeconfig(tmp.path());
    let (code, out, err) = rollout(
        tmp.path(),
        &[
            "diff",
            "rendered.yaml",
            "--kubeconfig",
            kc.to_str().unwrap(),
            "--prune-selector",
            sel,
            "--output",
            "json",
        ],
        &[],
    );
    server.finish(Duration::from_secs(5)).unwrap();
    assert_eq!(code, 1, "stderr: {err}\nlog: {:?}", server.log());
    let report: Value = serde_json::from_str(&out).unwrap();
    let actions: Vec<(String, String)> = report["objects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            (
                o["id"].as_str().unwrap().to_string(),
                o["action"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        actions,
        [
            (
                "v1.ConfigMap.media.auth-config".to_string(),
                "unchanged".to_string()
            ),
            ("v1.ConfigMap.media.media-streams".into(), "created".into()),
            (
                "v1.ConfigMap.media.embedder-legacy-config".into(),
                "pruned".into()
            ),
            ("v1.Secret.media.media-redis".into(), "pruned".into()),
        ]
    );
    for secret in ["UzNjcjN0LVJlZGlzLVBhc3M", "S3cr3t-Redis-Pass", "cmVkaXM6Ly"] {
        assert!(
            !out.contains(secret),
            "secret value leaked into the JSON: {secret}"
        );
    }
    assert_no_token(&[&out, &err]);
}

/// `rollout diff` of the small rendered overlay against a fake API server playing `script`
/// (which must be played to its end).
fn diff_small_against(script: Vec<Step>) -> (i32, String, String) {
    let server = FakeKube::start(script);
    let tmp = tempfile::tempdir().unwrap();
    let kc = server.kubeconfig(tmp.path());
    let rendered = small_rendered(tmp.path());
    let got = rollout(
        tmp.path(),
        &["diff", &rendered, "--kubeconfig", kc.to_str().unwrap()],
        &[],
    );
    server.finish(Duration::from_secs(5)).unwrap();
    got
}

fn small_rendered(dir: &Path) -> String {
    let mut cm = obj("v1.ConfigMap.media.auth-config");
    cm["metadata"]
        .as_object_mut()
        .unwrap()
        .remove("managedFields");
    let mut d = obj("apps.v1.Deployment.media.auth");
    d.as_object_mut().unwrap().remove("status");
    let p = dir.join("rendered.yaml");
    std::fs::write(&p, emit_json([&cm, &d])).unwrap();
    p.to_str().unwrap().to_string()
}

#[test]
fn forbidden_names_the_verb_and_resource() {
    let mut script = discovery(&[]);
    script.push(get_obj(
        "/api/v1/namespaces/media/configmaps/auth-config",
        "v1.ConfigMap.media.auth-config",
    ));
    script.push(Step::get(
        "/apis/apps/v1/namespaces/media/deployments/auth",
        403,
        forbidden("get", "apps", "deployments", Some("auth"), "media"),
    ));
    let (code, out, err) = diff_small_against(script);
    assert_eq!(code, 2);
    assert_eq!(out, "");
    assert_eq!(
        err,
        "error: forbidden: cannot get deployments.apps \"auth\" in namespace media: deployments.apps \"auth\" is forbidden: User \"system:serviceaccount:ci:rollout\" cannot get resource \"deployments\" in API group \"apps\" in the namespace \"media\"\n"
    );
}

#[test]
fn server_error_is_retried_then_reported() {
    let mut script = discovery(&[]);
    for _ in 0..3 {
        script.push(Step::get(
            "/api/v1/namespaces/media/configmaps/auth-config",
            500,
            internal_error(),
        ));
    }
    let server = FakeKube::start(script);
    let tmp = tempfile::tempdir().unwrap();
    let kc = server.kubeconfig(tmp.path());
    let rendered = small_rendered(tmp.path());
    let (code, _, err) = rollout(
        tmp.path(),
        &["diff", &rendered, "--kubeconfig", kc.to_str().unwrap()],
        &[],
    );
    server.finish(Duration::from_secs(5)).unwrap();
    assert_eq!(code, 2);
    assert_eq!(
        err,
        "error: server error 500 from get configmaps \"auth-config\" in namespace media after 3 attempts: Internal error occurred: etcdserver: request timed out\n"
    );
}

#[test]
fn a_transient_server_error_is_retried_to_success() {
    let mut script = discovery(&[]);
    script.push(Step::get(
        "/api/v1/namespaces/media/configmaps/auth-config",
        500,
        internal_error(),
    ));
    script.push(get_obj(
        "/api/v1/namespaces/media/configmaps/auth-config",
        "v1.ConfigMap.media.auth-config",
    ));
    script.push(get_obj(
        "/apis/apps/v1/namespaces/media/deployments/auth",
        "apps.v1.Deployment.media.auth",
    ));
    let (code, out, err) = diff_small_against(script);
    assert_eq!((code, out.as_str()), (0, ""), "stderr: {err}");
    assert!(
        err.starts_with("0 changed, 0 to create, 0 to prune, 2 unchanged"),
        "{err}"
    );
}

#[test]
fn unauthorized_is_reported_without_the_token() {
    let server = FakeKube::start(vec![Step::get(
        "/apis",
        401,
        status_body(401, "Unauthorized", "Unauthorized"),
    )]);
    let tmp = tempfile::tempdir().unwrap();
    let kc = server.kubeconfig(tmp.path());
    let rendered = small_rendered(tmp.path());
    let (code, _, err) = rollout(
        tmp.path(),
        &["diff", &rendered, "--kubeconfig", kc.to_str().unwrap()],
        &[],
    );
    server.finish(Duration::from_secs(5)).unwrap();
    assert_eq!(code, 2);
    assert!(err.starts_with(&format!("error: unauthorized: the API server at {} rejected the kubeconfig credentials (get API discovery (/api, /apis)): Unauthorized", server.url())), "{err}");
    assert_no_token(&[&err]);
}

#[test]
fn a_hanging_server_fails_within_the_timeout() {
    let server = FakeKube::start(vec![
        Step::get("/apis", 200, group_list(&["apps"])).delay(Duration::from_secs(20)),
    ]);
    let tmp = tempfile::tempdir().unwrap();
    let kc = server.kubeconfig(tmp.path());
    let rendered = small_rendered(tmp.path());
    let start = Instant::now();
    let (code, _, err) = rollout(
        tmp.path(),
        &[
            "diff",
            &rendered,
            "--kubeconfig",
            kc.to_str().unwrap(),
            "--timeout",
            "1s",
        ],
        &[],
    );
    let took = start.elapsed();
    assert_eq!(code, 2);
    assert!(took < Duration::from_secs(5), "took {took:?}");
    assert!(
        err.starts_with(&format!("error: timed out after 1s waiting for the API server at {} (get API discovery (/api, /apis))", server.url())),
        "{err}"
    );
}

#[test]
fn a_server_that_is_down_fails_fast_naming_it() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let tmp = tempfile::tempdir().unwrap();
    let url = format!("http://127.0.0.1:{port}");
    let kc = write_kubeconfig(tmp.path(), &url);
    let rendered = small_rendered(tmp.path());
    let start = Instant::now();
    let (code, _, err) = rollout(
        tmp.path(),
        &[
            "diff",
            &rendered,
            "--kubeconfig",
            kc.to_str().unwrap(),
            "--timeout",
            "2s",
        ],
        &[],
    );
    assert_eq!(code, 2);
    assert!(start.elapsed() < Duration::from_secs(4));
    assert!(
        err.starts_with(&format!(
            "error: cannot reach the API server at {url} (get API discovery (/api, /apis))"
        )),
        "{err}"
    );
}

#[test]
fn kubeconfig_env_and_context_flag_pick_the_cluster() {
    let tmp = tempfile::tempdir().unwrap();
    let kc = write_kubeconfig(tmp.path(), "http://127.0.0.1:9");
    let rendered = small_rendered(tmp.path());
    let (code, _, err) = rollout(
        tmp.path(),
        &["diff", &rendered, "--context", "other", "--timeout", "2s"],
        &[("KUBECONFIG", kc.to_str().unwrap())],
    );
    assert_eq!(code, 2);
    assert!(
        err.starts_with("error: cannot reach the API server at http://127.0.0.1:1 "),
        "{err}"
    );
    let (code, _, err) = rollout(
        tmp.path(),
        &["diff", &rendered, "--context", "nope"],
        &[("KUBECONFIG", kc.to_str().unwrap())],
    );
    assert_eq!(code, 2);
    assert!(err.starts_with("error: cannot load kubeconfig: "), "{err}");
    assert!(err.contains("nope"), "{err}");
}

#[test]
fn custom_resources_resolve_through_discovery() {
    let tmp = tempfile::tempdir().unwrap();
    let crd = serde_json::json!({"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "metadata": {"name": "streamconfigs.media.sploot.io"},
        "spec": {"group": "media.sploot.io", "scope": "Namespaced",
            "names": {"kind": "StreamConfig", "plural": "streamconfigs", "singular": "streamconfig"},
            "versions": [{"name": "v1", "served": true, "storage": true,
                "schema": {"openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}}}]}});
    let cr = serde_json::json!({"apiVersion": "media.sploot.io/v1", "kind": "StreamConfig",
        "metadata": {"name": "embeddings", "namespace": "media"}, "spec": {"stream": "embeddings"}});
    let app = serde_json::json!({"apiVersion": "argoproj.io/v1alpha1", "kind": "Application",
        "metadata": {"name": "media-staging", "namespace": "argocd"},
        "spec": {"project": "default", "destination": {"namespace": "media", "server": "https://kubernetes.default.svc"},
            "source": {"repoURL": "https://git.sploot.internal/media.git", "path": "overlays/staging", "targetRevision": "main"}}});
    let mut live_app = app.clone();
    live_app["metadata"]["uid"] = "0b7c".into();
    live_app["metadata"]["resourceVersion"] = "9".into();
    live_app["spec"]["source"]["targetRevision"] = "release-1.7".into();
    live_app["status"] =
        serde_json::json!({"sync": {"status": "Synced"}, "health": {"status": "Healthy"}});
    std::fs::write(tmp.path().join("r.yaml"), emit_json([&crd, &cr, &app])).unwrap();
    let server = FakeKube::start(vec![
        Step::get(
            "/apis",
            200,
            group_list_versions(&[
                ("apiextensions.k8s.io", "v1"),
                ("argoproj.io", "v1alpha1"),
                ("apps", "v1"),
            ]),
        ),
        Step::get(
            "/apis/apiextensions.k8s.io/v1",
            200,
            resource_list(
                "apiextensions.k8s.io/v1",
                &[(
                    "customresourcedefinitions",
                    "CustomResourceDefinition",
                    false,
                )],
            ),
        ),
        Step::get(
            "/apis/argoproj.io/v1alpha1",
            200,
            resource_list(
                "argoproj.io/v1alpha1",
                &[
                    ("applications", "Application", true),
                    ("appprojects", "AppProject", true),
                ],
            ),
        ),
        Step::get(
            "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/streamconfigs.media.sploot.io",
            404,
            not_found(
                "apiextensions.k8s.io",
                "customresourcedefinitions",
                "streamconfigs.media.sploot.io",
            ),
        ),
        // StreamConfig: not served yet, but its CRD is rendered: "will be created", no request.
        Step::get(
            "/apis/argoproj.io/v1alpha1/namespaces/argocd/applications/media-staging",
            200,
            live_app,
        ),
    ]);
    let kc = server.kubeconfig(tmp.path());
    let (code, out, err) = rollout(
        tmp.path(),
        &[
            "diff",
            "r.yaml",
            "--kubeconfig",
            kc.to_str().unwrap(),
            "--output",
            "json",
        ],
        &[],
    );
    server.finish(Duration::from_secs(5)).unwrap();
    assert_eq!(code, 1, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    let got: Vec<String> = v["objects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            format!(
                "{} {} {:?}",
                o["id"].as_str().unwrap(),
                o["action"].as_str().unwrap(),
                o["changes"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|c| c["path"].as_str().unwrap().to_string())
                    .collect::<Vec<_>>()
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            "apiextensions.k8s.io.v1.CustomResourceDefinition..streamconfigs.media.sploot.io created [\"\"]",
            "media.sploot.io.v1.StreamConfig.media.embeddings created [\"\"]",
            "argoproj.io.v1alpha1.Application.argocd.media-staging changed [\"spec.source.targetRevision\"]",
        ]
    );

    // A kind the cluster does not serve and no rendered CRD defines is an error naming it.
    std::fs::write(
        tmp.path().join("w.yaml"),
        "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w, namespace: media}\n",
    )
    .unwrap();
    let server = FakeKube::start(vec![Step::get(
        "/apis",
        200,
        group_list_versions(&[("apps", "v1")]),
    )]);
    let kc = server.kubeconfig(tmp.path());
    let (code, _, err) = rollout(
        tmp.path(),
        &["diff", "w.yaml", "--kubeconfig", kc.to_str().unwrap()],
        &[],
    );
    server.finish(Duration::from_secs(5)).unwrap();
    assert_eq!(code, 2);
    assert_eq!(
        err,
        "error: the cluster does not serve example.com/v1, Kind=Widget (needed for example.com.v1.Widget.media.w); install its CustomResourceDefinition or check apiVersion\n"
    );
}

/// Issue 12: a missing kubeconfig is one line naming the file (not kube's
/// `failed to read kubeconfig from '"~/.kube/config"'`), with what to pass instead.
#[test]
fn issue_12_missing_kubeconfig_is_one_line_naming_the_path_with_a_hint() {
    let tmp = tempfile::tempdir().unwrap();
    let rendered = small_rendered(tmp.path());
    let (code, out, err) = rollout(tmp.path(), &["diff", &rendered], &[]);
    assert_eq!((code, out.as_str()), (2, ""));
    let home_config = tmp.path().join(".kube/config");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with(&format!(
            "error: no cluster configuration: cannot read kubeconfig {}: no such file, and not running in a cluster (",
            home_config.display()
        )),
        "{err}"
    );
    assert!(
        err.trim_end().ends_with(
            "; pass --kubeconfig FILE, or --live-dir DIR to diff against a snapshot (`kubectl get -o yaml` files)"
        ),
        "{err}"
    );
    assert!(!err.contains("'\""), "{err}");

    let (code, _, err) = rollout(
        tmp.path(),
        &["diff", &rendered, "--kubeconfig", "missing/config"],
        &[],
    );
    assert_eq!(code, 2);
    assert_eq!(
        err,
        "error: cannot read kubeconfig missing/config: no such file; pass --kubeconfig FILE, or \
         --live-dir DIR to diff against a snapshot (`kubectl get -o yaml` files)\n"
    );

    // A file that is not YAML: one line too (kube's snippet is dropped).
    std::fs::write(tmp.path().join("bad-config"), "garbage: [\n").unwrap();
    let (code, _, err) = rollout(
        tmp.path(),
        &["diff", &rendered, "--kubeconfig", "bad-config"],
        &[],
    );
    assert_eq!(code, 2);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with("error: cannot load kubeconfig bad-config: "),
        "{err}"
    );
}

/// The last (or only) page of a `--prune-selector` LIST: `items` of `kind` at `path`.
fn prune_page(path: &str, kind: &str, items: Vec<serde_json::Value>, sel: &str) -> Step {
    Step::get(path, 200, list(kind, items, None)).query(&[("labelSelector", sel), ("limit", "500")])
}

/// Issue 11: a `kind: Status` body is an error whatever the HTTP status; it is never taken as the
/// live object (the evidence would say the flag was absent before).
#[test]
fn issue_11_a_status_body_with_200_is_an_error_not_the_live_object() {
    let mut script = discovery(&[]);
    script.push(Step::get(
        "/api/v1/namespaces/media/configmaps/auth-config",
        200,
        status_body(500, "InternalError", "etcd leader changed"),
    ));
    let (code, out, err) = diff_small_against(script);
    assert_eq!((code, out.as_str()), (2, ""), "{err}");
    assert!(
        err.contains("answered with a Status (etcd leader changed) instead of the object"),
        "{err}"
    );
}

/// Issue 11: 429 is retried with backoff (then succeeds), not reported as a timeout.
#[test]
fn issue_11_too_many_requests_is_retried_not_a_timeout() {
    let mut script = discovery(&[]);
    script.push(Step::get(
        "/api/v1/namespaces/media/configmaps/auth-config",
        429,
        status_body(
            429,
            "TooManyRequests",
            "the server has received too many requests",
        ),
    ));
    script.push(get_obj(
        "/api/v1/namespaces/media/configmaps/auth-config",
        "v1.ConfigMap.media.auth-config",
    ));
    script.push(get_obj(
        "/apis/apps/v1/namespaces/media/deployments/auth",
        "apps.v1.Deployment.media.auth",
    ));
    let server = FakeKube::start(script);
    let tmp = tempfile::tempdir().unwrap();
    let kc = server.kubeconfig(tmp.path());
    let rendered = small_rendered(tmp.path());
    let (code, _, err) = rollout(
        tmp.path(),
        &["diff", &rendered, "--kubeconfig", kc.to_str().unwrap()],
        &[],
    );
    server.finish(Duration::from_secs(5)).unwrap();
    assert_eq!(code, 0, "{err}");
}

/// Issue 11: persistent 429 is reported as what it is, after the bounded retries.
#[test]
fn issue_11_persistent_too_many_requests_names_the_status() {
    let mut script = discovery(&[]);
    for _ in 0..3 {
        script.push(Step::get(
            "/api/v1/namespaces/media/configmaps/auth-config",
            429,
            status_body(429, "TooManyRequests", "slow down"),
        ));
    }
    let server = FakeKube::start(script);
    let tmp = tempfile::tempdir().unwrap();
    let kc = server.kubeconfig(tmp.path());
    let rendered = small_rendered(tmp.path());
    let (code, _, err) = rollout(
        tmp.path(),
        &["diff", &rendered, "--kubeconfig", kc.to_str().unwrap()],
        &[],
    );
    server.finish(Duration::from_secs(5)).unwrap();
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("429") && !err.contains("timed out"), "{err}");
}

/// Discovery when only core kinds are rendered: `/apis` (no group asked), `/api`, `/api/v1`.
fn core_discovery() -> Vec<Step> {
    let mut steps = discovery(&[]);
    steps.remove(1);
    steps
}

/// Issue 16: `n` rendered ConfigMaps `cm-0`… in `media`, written to `rendered.yaml`.
fn many_configmaps(dir: &Path, n: usize) -> Vec<Value> {
    let cms: Vec<Value> = (0..n)
        .map(|i| {
            serde_json::json!({"apiVersion": "v1", "kind": "ConfigMap",
                "metadata": {"name": format!("cm-{i}"), "namespace": "media"},
                "data": {"INDEX": i.to_string()}})
        })
        .collect();
    std::fs::write(dir.join("rendered.yaml"), emit_json(&cms)).unwrap();
    cms
}

/// A live copy of a rendered object as a LIST item carries it: no apiVersion or kind, server
/// fields added.
fn as_list_item(rendered: &Value) -> Value {
    let mut v = rendered.clone();
    let m = v.as_object_mut().unwrap();
    m.remove("apiVersion");
    m.remove("kind");
    v["metadata"]["uid"] = "5b1e".into();
    v["metadata"]["resourceVersion"] = "48213000".into();
    v
}

fn actions_of(out: &str) -> Vec<(String, String)> {
    let report: Value = serde_json::from_str(out).unwrap();
    report["objects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            (
                o["id"].as_str().unwrap().to_string(),
                o["action"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn diff_json(dir: &Path, server: &FakeKube) -> (i32, String, String) {
    let kc = server.kubeconfig(dir);
    rollout(
        dir,
        &[
            "diff",
            "rendered.yaml",
            "--kubeconfig",
            kc.to_str().unwrap(),
            "--output",
            "json",
        ],
        &[],
    )
}

/// Issue 16: many objects of one kind in one namespace are read with one paged LIST, not a GET
/// each; objects absent from the list are to be created, objects not rendered are ignored.
#[test]
fn issue_16_many_objects_of_a_kind_are_read_by_one_paged_list() {
    let tmp = tempfile::tempdir().unwrap();
    let cms = many_configmaps(tmp.path(), 6);
    let mut changed = as_list_item(&cms[1]);
    changed["data"]["INDEX"] = "one".into();
    let other = as_list_item(
        &serde_json::json!({"metadata": {"name": "not-rendered", "namespace": "media"}, "data": {}}),
    );
    let mut script = core_discovery();
    script.push(
        Step::get(
            "/api/v1/namespaces/media/configmaps",
            200,
            list(
                "ConfigMap",
                vec![as_list_item(&cms[0]), changed, other],
                Some("tok-2"),
            ),
        )
        .query(&[("limit", "500")]),
    );
    script.push(
        Step::get(
            "/api/v1/namespaces/media/configmaps",
            200,
            list(
                "ConfigMap",
                vec![
                    as_list_item(&cms[2]),
                    as_list_item(&cms[3]),
                    as_list_item(&cms[4]),
                ],
                None,
            ),
        )
        .query(&[("limit", "500"), ("continue", "tok-2")]),
    );
    let server = FakeKube::start(script);
    let (code, out, err) = diff_json(tmp.path(), &server);
    server.finish(Duration::from_secs(5)).unwrap();
    assert_eq!(code, 1, "stderr: {err}\nlog: {:?}", server.log());
    let want: Vec<(String, String)> = [
        ("cm-0", "unchanged"),
        ("cm-1", "changed"),
        ("cm-2", "unchanged"),
        ("cm-3", "unchanged"),
        ("cm-4", "unchanged"),
        ("cm-5", "created"),
    ]
    .iter()
    .map(|(n, a)| (format!("v1.ConfigMap.media.{n}"), a.to_string()))
    .collect();
    assert_eq!(actions_of(&out), want);
    assert!(!out.contains("not-rendered"), "{out}");
    assert_eq!(
        server
            .log()
            .iter()
            .filter(|l| l.contains("/configmaps"))
            .count(),
        2,
        "two LIST pages, no GETs: {:?}",
        server.log()
    );
}

/// Issue 16: where RBAC allows GET but not LIST, or the namespace holds far more objects of the
/// kind than are rendered, each object is read with a GET instead (same result).
#[test]
fn issue_16_a_forbidden_or_oversized_list_falls_back_to_gets() {
    for case in ["forbidden", "oversized"] {
        let tmp = tempfile::tempdir().unwrap();
        let cms = many_configmaps(tmp.path(), 4);
        let mut script = core_discovery();
        let first = match case {
            "forbidden" => Step::get(
                "/api/v1/namespaces/media/configmaps",
                403,
                forbidden("list", "", "configmaps", None, "media"),
            ),
            _ => {
                let mut page = list("ConfigMap", vec![as_list_item(&cms[0])], Some("tok-2"));
                page["metadata"]["remainingItemCount"] = serde_json::json!(120_000);
                Step::get("/api/v1/namespaces/media/configmaps", 200, page)
            }
        };
        script.push(first.query(&[("limit", "500")]));
        for (i, cm) in cms.iter().enumerate() {
            let path = format!("/api/v1/namespaces/media/configmaps/cm-{i}");
            script.push(if i == 3 {
                Step::get(&path, 404, not_found("", "configmaps", "cm-3"))
            } else {
                let mut live = as_list_item(cm);
                live["apiVersion"] = "v1".into();
                live["kind"] = "ConfigMap".into();
                Step::get(&path, 200, live)
            });
        }
        let server = FakeKube::start(script);
        let (code, out, err) = diff_json(tmp.path(), &server);
        server.finish(Duration::from_secs(5)).unwrap();
        assert_eq!(code, 1, "{case}: stderr: {err}\nlog: {:?}", server.log());
        let acts = actions_of(&out);
        assert_eq!(acts.len(), 4, "{case}: {acts:?}");
        assert_eq!(acts[3].1, "created", "{case}: {acts:?}");
        assert!(
            acts[..3].iter().all(|(_, a)| a == "unchanged"),
            "{case}: {acts:?}"
        );
    }
}

/// The library's YAML emitter over the test's `serde_json` values.
fn emit_json<'a>(values: impl IntoIterator<Item = &'a Value>) -> String {
    let ours: Vec<rollout::value::Value> = values.into_iter().map(|v| v.clone().into()).collect();
    rollout::yaml::emit_stream(&ours)
}
