//! `rollout preview` against real git repositories built in temp directories: two (or three)
//! commits with Argo CD Applications, an ApplicationSet with git-directory and list generators,
//! shared bases, a Secret; a repository of plain kustomizations; a huge diff; a broken app.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;
use support::tools::tool;

struct Repo {
    dir: tempfile::TempDir,
}

impl Repo {
    fn new() -> Self {
        let r = Repo {
            dir: tempfile::tempdir().unwrap(),
        };
        r.git(&["init", "-q", "-b", "main"]);
        r
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn write(&self, rel: &str, text: &str) {
        let p = self.path().join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }

    fn git(&self, args: &[&str]) -> String {
        let out = Command::new("git")
            .args(args)
            .current_dir(self.path())
            .env("GIT_AUTHOR_NAME", "t")
            .env("GIT_AUTHOR_EMAIL", "t@example.com")
            .env("GIT_COMMITTER_NAME", "t")
            .env("GIT_COMMITTER_EMAIL", "t@example.com")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn commit(&self, msg: &str) {
        self.git(&["add", "-A"]);
        self.git(&["commit", "-q", "-m", msg]);
    }

    /// `rollout preview ARGS`: (exit code, stdout, stderr).
    fn preview(&self, args: &[&str]) -> (i32, String, String) {
        let out = support::rollout(self.path())
            .arg("preview")
            .args(args)
            .output()
            .unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    fn json(&self, args: &[&str]) -> (i32, Value) {
        let mut all = vec!["--output", "json"];
        all.extend_from_slice(args);
        let (code, out, err) = self.preview(&all);
        assert!(code == 0 || code == 1, "exit {code}: {err}");
        (
            code,
            serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}")),
        )
    }
}

const DEPLOYMENT: &str = "apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 1
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: nginx:1.25
";

const SERVICE: &str = "apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector: {app: web}
  ports:
  - {port: 80}
";

fn application(name: &str, path: &str, ns: &str) -> String {
    format!(
        "apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: {name}
  namespace: argocd
spec:
  project: default
  destination: {{server: https://kubernetes.default.svc, namespace: {ns}}}
  source:
    repoURL: https://github.com/example/gitops.git
    targetRevision: main
    path: {path}
"
    )
}

const APPSETS: &str = "apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata:
  name: fleet
  namespace: argocd
spec:
  generators:
  - git:
      repoURL: https://github.com/example/gitops.git
      revision: main
      directories:
      - path: fleet/*
      - path: fleet/ignored
        exclude: true
  template:
    metadata:
      name: 'fleet-{{path.basename}}'
    spec:
      project: default
      destination: {server: https://kubernetes.default.svc, namespace: '{{path.basename}}'}
      source:
        repoURL: https://github.com/example/gitops.git
        targetRevision: main
        path: '{{path}}'
---
apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata:
  name: regional
  namespace: argocd
spec:
  generators:
  - list:
      elements:
      - {region: eu, prefix: eu-}
      - {region: us, prefix: us-}
  template:
    metadata:
      name: 'regional-{{region}}'
    spec:
      project: default
      destination: {name: '{{region}}', namespace: regional}
      source:
        repoURL: https://github.com/example/gitops.git
        targetRevision: main
        path: regional
        kustomize:
          namePrefix: '{{prefix}}'
          namespace: regional-{{region}}
";

/// The base commit: apps a, b, c (Applications) over bases/web; fleet/x, fleet/y (git
/// directory generator); regional-eu and regional-us (list generator, one path, kustomize
/// options per element).
fn argo_repo() -> Repo {
    let r = Repo::new();
    r.git(&[
        "remote",
        "add",
        "origin",
        "git@github.com:example/gitops.git",
    ]);
    r.write(
        "bases/web/kustomization.yaml",
        "resources: [deployment.yaml, service.yaml]\n",
    );
    r.write("bases/web/deployment.yaml", DEPLOYMENT);
    r.write("bases/web/service.yaml", SERVICE);
    r.write(
        "apps/a/kustomization.yaml",
        "namespace: team-a\nresources: [../../bases/web, secret.yaml]\nimages:\n- {name: nginx, newTag: '1.25'}\n",
    );
    r.write(
        "apps/a/secret.yaml",
        "apiVersion: v1\nkind: Secret\nmetadata: {name: db}\nstringData: {password: old-hunter2}\n",
    );
    r.write(
        "apps/b/kustomization.yaml",
        "namespace: team-b\nresources: [../../bases/web]\n",
    );
    r.write(
        "apps/c/kustomization.yaml",
        "namespace: team-c\nresources: [../../bases/web]\n",
    );
    for f in ["x", "y", "ignored"] {
        r.write(
            &format!("fleet/{f}/kustomization.yaml"),
            "resources: [../../bases/web]\n",
        );
    }
    r.write("regional/kustomization.yaml", "resources: [../bases/web]\n");
    r.write("argocd/a.yaml", &application("app-a", "apps/a", "team-a"));
    r.write(
        "argocd/bc.yaml",
        &format!(
            "{}---\n{}",
            application("app-b", "apps/b", "team-b"),
            application("app-c", "./apps/c/", "team-c")
        ),
    );
    r.write("argocd/sets.yaml", APPSETS);
    r.commit("base");
    r
}

/// The change: a's image and Secret, b gains a ConfigMap and loses its Service, fleet/x's
/// replicas, a new app d; c, fleet/y and both regional apps untouched.
fn change(r: &Repo) {
    r.write(
        "apps/a/kustomization.yaml",
        "namespace: team-a\nresources: [../../bases/web, secret.yaml]\nimages:\n- {name: nginx, newTag: '1.26'}\n",
    );
    r.write(
        "apps/a/secret.yaml",
        "apiVersion: v1\nkind: Secret\nmetadata: {name: db}\nstringData: {password: new-hunter3}\n",
    );
    r.write(
        "apps/b/kustomization.yaml",
        "namespace: team-b\nresources: [../../bases/web, cm.yaml]\npatches:\n- patch: |\n    $patch: delete\n    apiVersion: v1\n    kind: Service\n    metadata: {name: web}\n",
    );
    r.write(
        "apps/b/cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}\ndata: {mode: fast}\n",
    );
    r.write(
        "fleet/x/kustomization.yaml",
        "resources: [../../bases/web]\nreplicas:\n- {name: web, count: 3}\n",
    );
    r.write(
        "apps/d/kustomization.yaml",
        "namespace: team-d\nnamePrefix: d-\nresources: [../../bases/web]\nlabels:\n- pairs: {team: d}\n",
    );
    r.write("argocd/d.yaml", &application("app-d", "apps/d", "team-d"));
}

/// The applications' names, in report order.
fn names(v: &Value) -> Vec<&str> {
    v["applications"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap())
        .collect()
}

fn app<'a>(v: &'a Value, name: &str) -> &'a Value {
    v["applications"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == name)
        .unwrap_or_else(|| panic!("no application {name} in {v:#}"))
}

#[test]
fn only_changed_apps_appear_with_counts_fields_and_masked_secrets() {
    let r = argo_repo();
    change(&r);
    r.commit("change");
    let (code, v) = r.json(&["--base", "HEAD~1", "--head", "HEAD"]);
    assert_eq!(code, 1);
    assert_eq!(v["mode"], "applications");
    let names = names(&v);
    assert_eq!(
        names,
        [
            "app-a",
            "app-b",
            "app-c",
            "app-d",
            "fleet-x",
            "fleet-y",
            "regional-eu",
            "regional-us"
        ],
        "fleet/ignored is excluded by its pattern"
    );
    let status = |n: &str| app(&v, n)["status"].as_str().unwrap().to_string();
    for (n, s) in [
        ("app-a", "changed"),
        ("app-b", "changed"),
        ("app-c", "unchanged"),
        ("app-d", "added"),
        ("fleet-x", "changed"),
        ("fleet-y", "unchanged"),
        ("regional-eu", "unchanged"),
        ("regional-us", "unchanged"),
    ] {
        assert_eq!(status(n), s, "{n}");
    }
    assert_eq!(v["summary"]["changed"], 3);
    assert_eq!(v["summary"]["added"], 1);
    let counts = |n: &str| app(&v, n)["resources"].clone();
    assert_eq!(
        counts("app-b"),
        serde_json::json!({"added": 1, "changed": 0, "removed": 1, "unchanged": 1})
    );
    assert_eq!(
        counts("app-a"),
        serde_json::json!({"added": 0, "changed": 2, "removed": 0, "unchanged": 1})
    );
    assert_eq!(counts("app-d")["added"], 2);
    // Field-level changes, by path.
    let a = app(&v, "app-a");
    let dep = a["objects"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["kind"] == "Deployment")
        .unwrap();
    assert_eq!(dep["id"], "apps.v1.Deployment.team-a.web");
    assert_eq!(
        dep["changes"][0]["path"],
        "spec.template.spec.containers[name=web].image"
    );
    assert_eq!(dep["changes"][0]["before"], "nginx:1.25");
    assert_eq!(dep["changes"][0]["after"], "nginx:1.26");
    let fx = &app(&v, "fleet-x")["objects"][0]["changes"][0];
    assert_eq!(
        (fx["path"].as_str(), fx["after"].as_i64()),
        (Some("spec.replicas"), Some(3))
    );
    // The list generator's kustomize options were applied (prefix and namespace per element).
    assert_eq!(app(&v, "regional-eu")["cluster"], "eu");
    // The Secret changed, and no output shows its values.
    let diff = a["diff"].as_str().unwrap();
    assert!(
        diff.contains("diff v1.Secret.team-a.db (1 change)"),
        "{diff}"
    );
    assert!(diff.contains("*** (after)"), "{diff}");
    let (_, md, _) = r.preview(&["--base", "HEAD~1", "--head", "HEAD"]);
    let (_, text, _) = r.preview(&["--base", "HEAD~1", "--head", "HEAD", "--output", "text"]);
    let whole = format!("{v}{md}{text}");
    for leak in ["hunter", "b2xkLWh1bnRlcjI", "bmV3LWh1bnRlcjM"] {
        assert!(!whole.contains(leak), "{leak} leaked");
    }
    // The comment: the changed apps only, in a table and one section each.
    assert!(md.contains("**4 of 8 applications change**"), "{md}");
    for n in ["app-a", "app-b", "app-d", "fleet-x"] {
        assert!(
            md.contains(&format!("| <code>{n}</code>")),
            "{n} not in the table:\n{md}"
        );
        assert!(
            md.contains(&format!("<summary><code>{n}</code>")),
            "{n} has no section"
        );
    }
    for n in ["app-c", "fleet-y", "regional-eu", "regional-us"] {
        assert!(!md.contains(n), "unchanged {n} shown:\n{md}");
    }
    assert!(
        md.contains("| <code>app-b</code> | in-cluster/team-b | 1 | 0 | 1 |"),
        "{md}"
    );
    assert!(
        md.contains("```diff\ndiff v1.Secret.team-a.db (1 change)\n"),
        "{md}"
    );
    assert!(md.contains("\ndiff apps.v1.Deployment.team-a.web (1 change)\n--- base/apps.v1.Deployment.team-a.web\n+++ head/apps.v1.Deployment.team-a.web\n"), "{md}");
    assert!(
        md.contains("-      - image: nginx:1.25\n+      - image: nginx:1.26\n"),
        "{md}"
    );
    let line = text
        .lines()
        .find(|l| l.starts_with("  app-b "))
        .unwrap_or_default();
    assert!(
        line.ends_with("  in-cluster/team-b  1 added, 1 removed"),
        "{text}"
    );
    assert!(
        text.contains("\n== app-a (in-cluster/team-a)\ndiff v1.Secret.team-a.db (1 change)\n"),
        "{text}"
    );
}

#[test]
fn json_shape() {
    let r = argo_repo();
    change(&r);
    r.commit("change");
    let (_, v) = r.json(&["--base", "main~1", "--head", "main"]);
    let sha = r.git(&["rev-parse", "HEAD~1"]);
    assert_eq!(v["base"]["ref"], "main~1");
    assert_eq!(v["base"]["commit"], sha.trim());
    assert_eq!(v["head"]["ref"], "main");
    assert_eq!(v["changed"], true);
    for key in [
        "applications",
        "changed",
        "added",
        "removed",
        "failed",
        "skipped",
        "unchanged",
    ] {
        assert!(v["summary"][key].is_u64(), "summary.{key}");
    }
    let a = app(&v, "app-b");
    for key in [
        "key",
        "name",
        "definedIn",
        "cluster",
        "namespace",
        "paths",
        "status",
        "resources",
        "error",
        "baseError",
        "skipped",
        "findings",
        "objects",
        "diff",
    ] {
        assert!(a.get(key).is_some(), "applications[].{key} missing: {a:#}");
    }
    assert_eq!(a["key"], "argocd/app-b");
    assert_eq!(a["definedIn"], "argocd/bc.yaml");
    assert_eq!(a["paths"], serde_json::json!(["apps/b"]));
    let actions: Vec<&str> = a["objects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["added", "removed"]);
    let o = &a["objects"][0];
    for key in [
        "id",
        "apiVersion",
        "kind",
        "namespace",
        "name",
        "action",
        "changes",
    ] {
        assert!(o.get(key).is_some(), "objects[].{key}");
    }
    assert_eq!(o["changes"][0]["op"], "add");
}

#[test]
fn exit_codes_and_bad_input() {
    let r = argo_repo();
    let (code, md, err) = r.preview(&["--base", "HEAD", "--head", "HEAD"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        md.contains("No changes to the 7 applications rendered"),
        "{md}"
    );
    let (code, _, err) = r.preview(&["--base", "no-such-branch"]);
    assert_eq!(code, 2);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("--base \"no-such-branch\" is not a commit"),
        "{err}"
    );
    let (code, _, err) = r.preview(&["--base", "HEAD", "--head", "v9"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--head \"v9\""), "{err}");
    let not_git = tempfile::tempdir().unwrap();
    let out = support::rollout(not_git.path())
        .args(["preview", "--base", "main"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("is not in a git repository"));
}

#[test]
fn a_render_error_at_head_is_a_finding_in_the_comment() {
    let r = argo_repo();
    r.write(
        "apps/c/kustomization.yaml",
        "namespace: team-c\nresources: [../../bases/web, missing.yaml]\n",
    );
    r.commit("break c");
    let (code, md, err) = r.preview(&["--base", "HEAD~1", "--head", "HEAD"]);
    assert_eq!(code, 1, "{err}");
    assert!(
        md.contains("| <code>app-c</code> | in-cluster/team-c | render failed |"),
        "{md}"
    );
    assert!(md.contains("render failed at head"), "{md}");
    assert!(
        md.contains("apps/c/kustomization.yaml"),
        "the message names the file:\n{md}"
    );
    assert!(md.contains("missing.yaml"), "{md}");
    assert!(!md.contains("rollout-preview-"), "temp paths leak:\n{md}");
    let (_, v) = r.json(&["--base", "HEAD~1", "--head", "HEAD"]);
    assert_eq!(app(&v, "app-c")["status"], "failed");
    assert!(
        app(&v, "app-c")["error"]
            .as_str()
            .unwrap()
            .starts_with("apps/c/kustomization.yaml")
    );
}

fn snapshot(root: &Path) -> Vec<(PathBuf, Vec<u8>, std::time::SystemTime)> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.file_name().is_some_and(|n| n == ".git") {
                continue; // git's own files: `git status` below covers the index
            }
            if p.is_dir() {
                stack.push(p);
            } else {
                let m = std::fs::metadata(&p).unwrap();
                out.push((p.clone(), std::fs::read(&p).unwrap(), m.modified().unwrap()));
            }
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

#[test]
fn the_work_tree_is_untouched_and_read_as_is() {
    let r = argo_repo();
    change(&r);
    r.commit("change");
    // An uncommitted edit: the work tree is read as it is, and left as it is.
    r.write(
        "apps/c/kustomization.yaml",
        "namespace: team-c2\nresources: [../../bases/web]\n",
    );
    let status = r.git(&["status", "--porcelain"]);
    let before = snapshot(r.path());
    let (code, v) = r.json(&["--base", "HEAD~1", "--head", "HEAD"]);
    assert_eq!(code, 1);
    assert_eq!(
        app(&v, "app-c")["status"],
        "unchanged",
        "--head HEAD ignores the work tree"
    );
    let (_, v) = r.json(&["--base", "HEAD"]);
    assert_eq!(
        app(&v, "app-c")["status"],
        "changed",
        "the default head is the work tree"
    );
    assert_eq!(app(&v, "app-c")["resources"]["added"], 2);
    assert_eq!(app(&v, "app-a")["status"], "unchanged");
    let (_, _, _) = r.preview(&["--base", "HEAD~1", "--head", "HEAD", "--verify"]);
    assert_eq!(r.git(&["status", "--porcelain"]), status);
    assert!(status.contains("apps/c/kustomization.yaml"));
    let after = snapshot(r.path());
    assert_eq!(before.len(), after.len());
    for (b, a) in before.iter().zip(&after) {
        assert_eq!(b, a, "{} changed", b.0.display());
    }
}

#[test]
fn plain_kustomizations_without_applications() {
    let r = Repo::new();
    r.write("base/kustomization.yaml", "resources: [deployment.yaml]\n");
    r.write("base/deployment.yaml", DEPLOYMENT);
    r.write(
        "components/probe/kustomization.yaml",
        "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\n",
    );
    r.write(
        "overlays/staging/kustomization.yaml",
        "namespace: staging\nresources: [../../base]\ncomponents: [../../components/probe]\n",
    );
    r.write(
        "overlays/prod/kustomization.yaml",
        "namespace: prod\nresources: [../../base]\nreplicas:\n- {name: web, count: 5}\n",
    );
    r.commit("base");
    r.write(
        "base/deployment.yaml",
        &DEPLOYMENT.replace("nginx:1.25", "nginx:1.27"),
    );
    r.commit("bump");
    let (code, v) = r.json(&["--base", "HEAD~1", "--head", "HEAD"]);
    assert_eq!(code, 1);
    assert_eq!(v["mode"], "kustomizations");
    let names = names(&v);
    assert_eq!(
        names,
        ["overlays/prod", "overlays/staging"],
        "base and the component are not roots"
    );
    assert_eq!(app(&v, "overlays/prod")["namespace"], "prod");
    assert_eq!(
        app(&v, "overlays/prod")["objects"][0]["changes"][0]["after"],
        "nginx:1.27"
    );
}

#[test]
fn a_huge_diff_is_cut_to_the_comment_limit_largest_first() {
    let r = argo_repo();
    let cm = |v: &str| {
        let mut s = String::from("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: big}\ndata:\n");
        for i in 0..6000 {
            s.push_str(&format!("  key-{i:05}: value-{v}-{i}\n"));
        }
        s
    };
    r.write("apps/c/big.yaml", &cm("old"));
    r.write(
        "apps/c/kustomization.yaml",
        "namespace: team-c\nresources: [../../bases/web, big.yaml]\n",
    );
    r.commit("big");
    r.write("apps/c/big.yaml", &cm("new"));
    r.write(
        "fleet/y/kustomization.yaml",
        "resources: [../../bases/web]\nreplicas:\n- {name: web, count: 4}\n",
    );
    r.commit("change");
    let (code, md, _) = r.preview(&["--base", "HEAD~1", "--head", "HEAD"]);
    assert_eq!(code, 1);
    let n = md.chars().count();
    assert!(n <= 65_536, "{n} characters");
    assert!(n > 50_000, "the limit is used, not wasted: {n}");
    assert!(
        md.contains("Cut to fit GitHub's 65536-character comment limit: 1 diff(s) shortened"),
        "{}",
        &md[md.len() - 600..]
    );
    assert!(md.contains("more lines cut to fit the comment"));
    // The small diff is whole; the big one is cut inside its fence, which still closes.
    assert!(md.contains("-  replicas: 1\n+  replicas: 4\n"));
    assert_eq!(
        md.matches("<details>").count(),
        md.matches("</details>").count()
    );
    assert_eq!(md.matches("```diff").count(), 2);
    // The full diff is far larger.
    let (_, v) = r.json(&["--base", "HEAD~1", "--head", "HEAD"]);
    assert!(app(&v, "app-c")["diff"].as_str().unwrap().len() > 200_000);
    let (_, big, _) = r.preview(&[
        "--base",
        "HEAD~1",
        "--head",
        "HEAD",
        "--max-chars",
        "1000000",
    ]);
    assert!(!big.contains("Cut to fit"));
}

#[test]
fn the_render_is_kubectl_kustomize_at_that_revision() {
    let r = argo_repo();
    change(&r);
    r.commit("change");
    let (_, v) = r.json(&["--base", "HEAD~1", "--head", "HEAD"]);
    // app-d is new: each of its objects is added whole, as rendered at head (= the work tree).
    let ours: Vec<Value> = app(&v, "app-d")["objects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["changes"][0]["after"].clone())
        .collect();
    let out = Command::new(tool("kubectl"))
        .args(["kustomize", "apps/d"])
        .current_dir(r.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let theirs: Vec<Value> = text
        .split("\n---\n")
        .map(|doc| serde_json::to_value(yaml_value(doc)).unwrap())
        .collect();
    assert_eq!(ours.len(), 2);
    assert_eq!(ours, theirs);
    assert_eq!(theirs[1]["metadata"]["name"], "d-web");
}

/// A YAML document as JSON, through rollout's own reader (the test crate has no YAML crate).
fn yaml_value(doc: &str) -> Value {
    rollout::yaml::parse_document(doc).unwrap().value.into()
}

#[test]
fn verify_findings_introduced_by_the_change_are_included() {
    let r = argo_repo();
    change(&r);
    // Head pins b's image to latest: a best-practice finding base does not have.
    r.write(
        "apps/b/kustomization.yaml",
        "namespace: team-b\nresources: [../../bases/web]\nimages:\n- {name: nginx, newTag: latest}\n",
    );
    r.commit("change");
    let (code, v) = r.json(&["--base", "HEAD~1", "--head", "HEAD", "--verify"]);
    assert_eq!(code, 1);
    let f = app(&v, "app-b")["findings"].as_array().unwrap().clone();
    assert!(
        f.iter()
            .any(|f| f["code"].as_str().unwrap_or("").contains("image-tag")),
        "{f:#?}"
    );
    // Findings that base has too are not new.
    assert!(
        app(&v, "app-a")["findings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| !f["code"].as_str().unwrap_or("").contains("resources")),
        "{:#}",
        app(&v, "app-a")["findings"]
    );
    let (_, md, _) = r.preview(&["--base", "HEAD~1", "--head", "HEAD", "--verify"]);
    assert!(md.contains("New verify findings:"), "{md}");
    let (_, plain) = r.json(&["--base", "HEAD~1", "--head", "HEAD"]);
    assert!(
        app(&plain, "app-b")["findings"]
            .as_array()
            .unwrap()
            .is_empty()
    );
}
