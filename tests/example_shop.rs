//! Issue 12: `examples/shop`, a repository unlike this one (a plain kustomize base with a
//! Deployment of two containers, a StatefulSet and a CronJob; the spec in `deploy/`; dev and
//! production), run end to end in a temp copy: init, generate, `--check`, render against live
//! `kubectl kustomize`, verify, diff against a snapshot, promote, rollback. And the other workload
//! kinds (DaemonSet, Job, Argo Rollout) against kubectl.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use support::tools::tool;

struct Ran {
    code: i32,
    stdout: String,
    stderr: String,
}

fn rollout(dir: &Path, args: &[&str]) -> Ran {
    let out = support::rollout(dir).args(args).output().unwrap();
    Ran {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &target);
        } else if e.file_name() != ".rollout.lock" {
            std::fs::copy(e.path(), target).unwrap();
        }
    }
}

/// A temp git top level holding `examples/shop` as in this repository (so the Argo CD paths the
/// example commits, relative to the git top level, are the same).
fn shop_copy() -> (tempfile::TempDir, PathBuf) {
    let top = tempfile::tempdir().unwrap();
    std::fs::create_dir(top.path().join(".git")).unwrap();
    let shop = top.path().join("examples/shop");
    copy_dir(&support::repo().join("examples/shop"), &shop);
    (top, shop)
}

fn kubectl_kustomize(dir: &Path) -> String {
    let out = Command::new(tool("kubectl"))
        .arg("kustomize")
        .arg(dir)
        .output()
        .expect("run kubectl kustomize");
    assert!(
        out.status.success(),
        "kubectl kustomize {}: {}",
        dir.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

const SPEC: &str = "deploy/rollout.yaml";

#[test]
fn init_writes_a_spec_generate_accepts_and_never_overwrites_it() {
    let (_top, shop) = shop_copy();
    std::fs::remove_dir_all(shop.join("deploy")).unwrap();
    let ran = rollout(&shop, &["init", "--base", "k8s/base", "--spec", SPEC]);
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    assert!(
        ran.stderr
            .contains("wrote deploy/rollout.yaml (3 service(s) from k8s/base)"),
        "{}",
        ran.stderr
    );
    let text = std::fs::read_to_string(shop.join(SPEC)).unwrap();
    for needle in [
        "base:\n  path: ../k8s/base\n",
        "  - name: api\n    image: ghcr.io/shop/api\n    tag: 1.4.0\n    # Containers: api, envoy; a flag goes to `api`.\n    container: api\n",
        "  - name: shop-db\n    image: postgres\n    tag: \"16.4\"\n    workload:\n      kind: StatefulSet\n",
        "  - name: nightly-report\n    image: ghcr.io/shop/report\n    tag: 0.9.0\n    workload:\n      kind: CronJob\n",
        "    namespace: shop\n",
    ] {
        assert!(text.contains(needle), "missing {needle:?} in\n{text}");
    }
    let ran = rollout(&shop, &["generate", "--spec", SPEC]);
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    assert!(
        ran.stderr
            .contains("wrote deploy/overlays/dev/kustomization.yaml"),
        "{}",
        ran.stderr
    );
    let ran = rollout(&shop, &["generate", "--check", "--spec", SPEC]);
    assert_eq!(ran.code, 0, "{}{}", ran.stdout, ran.stderr);
    assert_eq!(
        rollout(&shop, &["render", "deploy/overlays/dev"]).stdout,
        kubectl_kustomize(&shop.join("deploy/overlays/dev"))
    );

    let before = std::fs::read_to_string(shop.join(SPEC)).unwrap();
    let ran = rollout(&shop, &["init", "--base", "k8s/base", "--spec", SPEC]);
    assert_eq!(ran.code, 2);
    assert!(ran.stderr.contains("already exists"), "{}", ran.stderr);
    assert_eq!(std::fs::read_to_string(shop.join(SPEC)).unwrap(), before);
}

#[test]
fn the_shop_end_to_end() {
    let (_top, shop) = shop_copy();
    let deploy = shop.join("deploy");

    // The committed files are what the spec gives; the Application reads the overlay at its path
    // from the git top level.
    let ran = rollout(&shop, &["generate", "--check", "--spec", SPEC]);
    assert_eq!(ran.code, 0, "{}{}", ran.stdout, ran.stderr);
    let app = std::fs::read_to_string(deploy.join("argocd/dev/shop-dev-dev.yaml")).unwrap();
    assert!(
        app.contains("    path: examples/shop/deploy/overlays/dev\n"),
        "{app}"
    );

    // Every overlay renders byte for byte as kubectl kustomize builds it.
    for env in ["dev", "dev-rollback", "production", "production-rollback"] {
        let dir = format!("deploy/overlays/{env}");
        let ours = rollout(&shop, &["render", &dir]);
        assert_eq!(ours.code, 0, "{env}: {}", ours.stderr);
        assert_eq!(ours.stdout, kubectl_kustomize(&shop.join(&dir)), "{env}");
    }
    let dev = rollout(&shop, &["render", "deploy/overlays/dev"]).stdout;
    // The base has no namespace: the patches match it as it is, and the overlay moves it.
    assert_eq!(dev.matches("  namespace: shop-dev\n").count(), 5, "{dev}");
    // The flag is on the api container only, and on the CronJob's job template.
    let list: Vec<rollout::value::Value> = dev
        .split("\n---\n")
        .map(|d| rollout::yaml::parse_document(d).unwrap().value)
        .collect();
    let api = list.iter().find(|d| d["kind"] == "Deployment").unwrap();
    let cs = &api["spec"]["template"]["spec"]["containers"];
    assert_eq!(
        cs[0]["env"][0],
        rollout::json!({"name": "NEW_CHECKOUT", "value": "true"})
    );
    assert!(cs[1].get("env").is_none(), "envoy is untouched: {}", cs[1]);
    let cron = list.iter().find(|d| d["kind"] == "CronJob").unwrap();
    assert_eq!(
        cron["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]["env"][0]["name"],
        "NEW_CHECKOUT"
    );

    // verify: clean, and a flag moved to the sidecar is a finding.
    let ran = rollout(&deploy, &["verify"]);
    assert_eq!(ran.code, 0, "{}{}", ran.stdout, ran.stderr);
    let patch = deploy.join("overlays/dev/patch-api.yaml");
    let good = std::fs::read_to_string(&patch).unwrap();
    std::fs::write(
        &patch,
        good.replace("        name: api\n", "        name: envoy\n"),
    )
    .unwrap();
    let ran = rollout(&deploy, &["verify"]);
    assert_eq!(ran.code, 1, "{}{}", ran.stdout, ran.stderr);
    assert!(ran.stdout.contains("policy-flag-missing"), "{}", ran.stdout);
    assert!(
        ran.stdout.contains("policy-flag-unexpected"),
        "{}",
        ran.stdout
    );
    assert!(ran.stdout.contains("overlay-stale"), "{}", ran.stdout);
    std::fs::write(&patch, good).unwrap();

    // diff against the snapshot of dev before the rollout: the flag and the images, nothing else.
    let ran = rollout(
        &deploy,
        &[
            "diff",
            "overlays/dev",
            "--live-dir",
            "../live/dev",
            "--evidence-json",
            "flag-diff.json",
        ],
    );
    assert_eq!(ran.code, 1, "{}{}", ran.stdout, ran.stderr);
    assert!(
        ran.stderr
            .contains("2 changed, 0 to create, 0 to prune, 3 unchanged"),
        "{}",
        ran.stderr
    );
    let ev: rollout::value::Value =
        serde_json::from_str(&std::fs::read_to_string(deploy.join("flag-diff.json")).unwrap())
            .unwrap();
    assert_eq!(ev["environment"], "dev");
    let mut flags = Vec::new();
    for w in ev["workloads"].as_array().unwrap() {
        for c in w["containers"].as_array().unwrap() {
            flags.push((
                w["id"].as_str().unwrap().to_string(),
                c["name"].as_str().unwrap().to_string(),
                c["flag"]["after"].clone(),
            ));
        }
    }
    assert_eq!(
        flags,
        vec![
            (
                "apps.v1.Deployment.shop-dev.api".into(),
                "api".into(),
                rollout::json!("true")
            ),
            (
                "apps.v1.Deployment.shop-dev.api".into(),
                "envoy".into(),
                rollout::value::Value::Null
            ),
            (
                "apps.v1.StatefulSet.shop-dev.shop-db".into(),
                "postgres".into(),
                rollout::value::Value::Null
            ),
            (
                "batch.v1.CronJob.shop-dev.nightly-report".into(),
                "report".into(),
                rollout::json!("true")
            ),
        ]
    );

    // promote dev to production: the spec is edited in place (comments kept), then regenerated.
    let spec_before = std::fs::read_to_string(shop.join(SPEC)).unwrap();
    let ran = rollout(&shop, &["promote", "dev", "production", "--spec", SPEC]);
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    assert!(
        ran.stderr
            .contains("  api tag: \"1.4.0\" -> \"1.5.0-rc.1\"\n"),
        "{}",
        ran.stderr
    );
    assert!(
        ran.stderr
            .contains("  flag NEW_CHECKOUT: (unset) -> \"true\"\n"),
        "{}",
        ran.stderr
    );
    assert!(
        ran.stderr
            .contains("wrote deploy/overlays/production/patch-api.yaml"),
        "{}",
        ran.stderr
    );
    let spec_after = std::fs::read_to_string(shop.join(SPEC)).unwrap();
    let expected = spec_before
        .replace(
            "        - CreateNamespace=false\nservices:",
            "        - CreateNamespace=false\n    tags:\n      api: 1.5.0-rc.1\n      report: 1.0.0-rc.2\nservices:",
        )
        .replace("      dev: \"true\"\n", "      dev: \"true\"\n      production: \"true\"\n");
    assert_eq!(
        spec_after, expected,
        "only the promotion changes, comments kept"
    );
    let prod = rollout(&shop, &["render", "deploy/overlays/production"]);
    assert!(
        prod.stdout.contains("image: ghcr.io/shop/api:1.5.0-rc.1"),
        "{}",
        prod.stdout
    );
    assert_eq!(
        prod.stdout,
        kubectl_kustomize(&deploy.join("overlays/production"))
    );
    assert_eq!(
        rollout(&shop, &["generate", "--check", "--spec", SPEC]).code,
        0
    );
    let again = rollout(&shop, &["promote", "dev", "production", "--spec", SPEC]);
    assert!(
        again.stderr.contains("nothing to change"),
        "{}",
        again.stderr
    );

    // rollback: two environments, so --env is required and the choices are listed.
    let ran = rollout(&shop, &["rollback", "--spec", SPEC]);
    assert_eq!(ran.code, 2);
    assert!(
        ran.stderr.contains("choose from: dev, production"),
        "{}",
        ran.stderr
    );
    std::fs::remove_dir_all(deploy.join("overlays/production-rollback")).unwrap();
    let ran = rollout(&shop, &["rollback", "--env", "production", "--spec", SPEC]);
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    assert!(
        ran.stderr
            .contains("rollback overlay deploy/overlays/production-rollback: 3 file(s) written"),
        "{}",
        ran.stderr
    );
    let rb = rollout(&shop, &["render", "deploy/overlays/production-rollback"]).stdout;
    assert!(
        rb.contains("- name: NEW_CHECKOUT\n          value: \"false\""),
        "{rb}"
    );
}

#[test]
fn a_missing_workload_is_a_one_line_error_naming_what_the_base_contains() {
    let (_top, shop) = shop_copy();
    let spec = std::fs::read_to_string(shop.join(SPEC))
        .unwrap()
        .replace("      kind: CronJob\n", "      kind: Job\n");
    std::fs::write(shop.join(SPEC), spec).unwrap();
    std::fs::remove_dir_all(shop.join("deploy/overlays")).unwrap();
    let ran = rollout(&shop, &["generate", "--spec", SPEC]);
    assert_eq!(ran.code, 2);
    assert_eq!(
        ran.stderr,
        "error: deploy/rollout.yaml:46:7: service `report`: the base k8s/base has no Job named \
         `nightly-report`; it contains Deployment/api, StatefulSet/shop-db, CronJob/nightly-report \
         (set `workload.kind` and `workload.name`)\n"
    );
    assert!(!shop.join("deploy/overlays").exists(), "nothing written");
}

/// DaemonSet, Job and Argo Rollout (a JSON 6902 patch by container index, as custom resources'
/// lists would be replaced whole by a strategic merge) render as kubectl builds them.
#[test]
fn other_workload_kinds_match_kubectl() {
    let top = tempfile::tempdir().unwrap();
    let root = top.path();
    std::fs::create_dir_all(root.join("base")).unwrap();
    std::fs::write(
        root.join("base/kustomization.yaml"),
        "resources: [w.yaml]\n",
    )
    .unwrap();
    std::fs::write(
        root.join("base/w.yaml"),
        "apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent, namespace: ops}
spec: {selector: {matchLabels: {a: b}}, template: {metadata: {labels: {a: b}}, spec: {containers: [{name: agent, image: ops/agent:1}]}}}
---
apiVersion: batch/v1
kind: Job
metadata: {name: migrate, namespace: ops}
spec: {template: {spec: {restartPolicy: Never, containers: [{name: migrate, image: ops/migrate:1}]}}}
---
apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata: {name: worker, namespace: ops, annotations: {team: ops}}
spec:
  template:
    spec:
      containers:
      - {name: proxy, image: envoy:1}
      - {name: worker, image: ops/worker:1, env: [{name: A, value: b}, {name: FLAG, value: old}]}
",
    )
    .unwrap();
    std::fs::write(
        root.join("rollout.yaml"),
        "apiVersion: rollout/v1alpha1
kind: Rollout
metadata: {name: ops}
baseImage: ops/base:2024.1
base: {path: base}
environments:
  dev: {namespace: ops, cluster: c, argocd: {project: p, repoURL: r}}
services:
  - {name: agent, image: ops/agent, tag: '2', workload: {kind: DaemonSet}}
  - {name: migrate, image: ops/migrate, tag: '2', workload: {kind: Job}}
  - {name: worker, image: ops/worker, tag: '2', workload: {kind: Rollout}, container: [worker, proxy]}
flags:
  - {name: FLAG, services: [agent, migrate, worker], values: {dev: 'on'}}
",
    )
    .unwrap();
    let ran = rollout(root, &["generate"]);
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    let ours = rollout(root, &["render", "overlays/dev"]);
    assert_eq!(ours.code, 0, "{}", ours.stderr);
    assert_eq!(ours.stdout, kubectl_kustomize(&root.join("overlays/dev")));
    for needle in [
        "      - env:\n        - name: FLAG\n          value: \"on\"\n        image: ops/agent:2\n",
        "      - env:\n        - name: A\n          value: b\n        - name: FLAG\n          value: \"on\"\n        image: ops/worker:2\n",
        "      - env:\n        - name: FLAG\n          value: \"on\"\n        image: envoy:1\n",
        "    rollout/base-image: ops/base:2024.1\n    team: ops\n",
    ] {
        assert!(
            ours.stdout.contains(needle),
            "missing {needle:?} in\n{}",
            ours.stdout
        );
    }
    assert_eq!(
        rollout(root, &["verify"]).code,
        0,
        "{}",
        rollout(root, &["verify"]).stdout
    );
}

/// Issue 12: `generate --check` with the spec in a subfolder names the stale files from where the
/// user stands, and the command to fix them with the same `--spec`.
#[test]
fn check_reports_paths_and_the_fix_from_the_current_directory() {
    let (_top, shop) = shop_copy();
    let patch = shop.join("deploy/overlays/dev/patch-api.yaml");
    let text = std::fs::read_to_string(&patch).unwrap();
    std::fs::write(&patch, format!("{text}# edited by hand\n")).unwrap();
    let ran = rollout(&shop, &["generate", "--check", "--spec", SPEC]);
    assert_eq!(ran.code, 1, "{}{}", ran.stdout, ran.stderr);
    assert!(
        ran.stdout.contains(
            "--- a/deploy/overlays/dev/patch-api.yaml\n+++ b/deploy/overlays/dev/patch-api.yaml\n"
        ),
        "{}",
        ran.stdout
    );
    assert!(
        ran.stdout.ends_with(&format!(
            "1 file is out of date; run `rollout generate --spec {SPEC}` and commit the result\n"
        )),
        "{}",
        ran.stdout
    );
}
