//! Our own kustomize cases (`fixtures/kustomize/own/`, one build per line of `CASES`), compared
//! byte for byte with live `kubectl kustomize` output (stdout and the warnings on stderr).
//!
//! kubectl comes from `$ROLLOUT_KUBECTL` or `.tools/bin/kubectl`; without it the test fails and
//! says to run `scripts/install-test-tools.sh`.

use std::path::{Path, PathBuf};
use std::process::Command;

fn kubectl() -> PathBuf {
    if let Some(p) = std::env::var_os("ROLLOUT_KUBECTL") {
        return PathBuf::from(p);
    }
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join(".tools/bin/kubectl");
    assert!(
        p.is_file(),
        "kubectl not found at {} and ROLLOUT_KUBECTL is unset: run scripts/install-test-tools.sh",
        p.display()
    );
    p
}

#[test]
fn own_cases_match_kubectl_kustomize() {
    let kubectl = kubectl();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/kustomize/own");
    let cases = std::fs::read_to_string(root.join("CASES")).expect("fixtures/kustomize/own/CASES");
    let mut failures = Vec::new();
    let mut n = 0;
    for dir in cases
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
    {
        n += 1;
        let path = root.join(dir);
        let out = Command::new(&kubectl)
            .arg("kustomize")
            .arg(&path)
            .output()
            .expect("run kubectl kustomize");
        assert!(
            out.status.success(),
            "kubectl kustomize {dir} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let want = String::from_utf8_lossy(&out.stdout).into_owned();
        // Deprecation warnings, and kustomize's log lines about vars (klog prefix cut).
        let want_warnings: Vec<String> = String::from_utf8_lossy(&out.stderr)
            .lines()
            .filter_map(|l| {
                if l.starts_with("# Warning") {
                    return Some(l.to_string());
                }
                let (_, msg) = l.split_once("] ")?;
                (msg.starts_with("well-defined vars") || msg.starts_with("MakePrimitiveReplacer"))
                    .then(|| msg.to_string())
            })
            .collect();
        match rollout::kustomize::build(&path) {
            Err(e) => failures.push(format!("{dir}: error: {e}")),
            Ok(b) => {
                let got = rollout::kustomize::render_to_string(&b);
                if got != want {
                    let diff = similar::TextDiff::from_lines(&want, &got)
                        .unified_diff()
                        .header("kubectl kustomize", "rollout render")
                        .to_string();
                    failures.push(format!("{dir}:\n{diff}"));
                }
                if b.warnings != want_warnings {
                    failures.push(format!(
                        "{dir}: warnings differ: kubectl {want_warnings:?}, ours {:?}",
                        b.warnings
                    ));
                }
            }
        }
    }
    assert!(n >= 5, "expected at least 5 own cases, found {n}");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// kustomize decodes a kustomization with YAML 1.1 rules into typed Go fields: unquoted
/// `yes`/`no`/`on`/`off`/`y`/`n` are booleans, timestamps keep their text, and a value of the
/// wrong type is an error. Each case is built by kubectl and by us in a temp dir: the same bytes
/// where kubectl succeeds, an error (naming the field at its line) where it fails.
#[test]
fn yaml11_scalars_and_field_types_as_kubectl_kustomize() {
    let kubectl = kubectl();
    let cm = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n";
    let ok = [
        "commonLabels: {b: 2024-01-02}\n",
        "commonAnnotations: {d: 2001-12-14t21:59:43.10-05:00, q: \"yes\"}\n",
        "namespace: 2024-01-02\n",
        "labels:\n- pairs: {a: \"on\"}\n  includeSelectors: yes\n",
        "images: [{name: x, newTag: 2024-01-02}]\n",
        "namePrefix: \"no-\"\n",
    ];
    let failing = [
        ("commonLabels: {a: yes}\n", "commonLabels.a"),
        ("commonAnnotations: {x: 1}\n", "commonAnnotations.x"),
        ("namePrefix: on\n", "namePrefix"),
        ("labels: [{pairs: {area: 51}}]\n", "labels[0].pairs.area"),
        (
            "configMapGenerator: [{name: g, literals: [a=b], options: {labels: {x: true}}}]\n",
            "configMapGenerator[0].options.labels.x",
        ),
        (
            "generatorOptions: {labels: {x: 51}}\n",
            "generatorOptions.labels.x",
        ),
        ("images: [{name: x, newTag: 1.20}]\n", "images[0].newTag"),
        ("commonLabels: {n: x}\n", "key `n` of `commonLabels`"),
    ];
    let mut failures = Vec::new();
    for (i, body) in ok
        .iter()
        .map(|b| (b, None))
        .chain(failing.iter().map(|(b, f)| (b, Some(*f))))
        .enumerate()
    {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::write(tmp.path().join("cm.yaml"), cm).unwrap();
        std::fs::write(
            tmp.path().join("kustomization.yaml"),
            format!("resources: [cm.yaml]\n{}", body.0),
        )
        .unwrap();
        let out = Command::new(&kubectl)
            .arg("kustomize")
            .arg(tmp.path())
            .output()
            .expect("run kubectl kustomize");
        let ours = rollout::kustomize::build(tmp.path());
        match (body.1, out.status.success(), ours) {
            (None, true, Ok(b)) => {
                let want = String::from_utf8_lossy(&out.stdout).into_owned();
                let got = rollout::kustomize::render_to_string(&b);
                if got != want {
                    failures.push(format!("case {i} {:?}: kubectl\n{want}ours\n{got}", body.0));
                }
            }
            (Some(field), false, Err(e)) => {
                let msg = e.to_string();
                if !msg.contains(field) || !msg.contains("kustomization.yaml:2:") {
                    failures.push(format!(
                        "case {i} {:?}: error does not name {field} at line 2: {msg}",
                        body.0
                    ));
                }
            }
            (want, kubectl_ok, ours) => failures.push(format!(
                "case {i} {:?}: expected {}, kubectl succeeded: {kubectl_ok}, ours: {:?}",
                body.0,
                if want.is_some() { "failure" } else { "success" },
                ours.map(|_| "built")
            )),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// `replicas`: an entry naming no Deployment, StatefulSet, ReplicaSet or ReplicationController
/// fails in kustomize (it is not ignored); an entry without `count` sets 0, Go's zero value.
#[test]
fn replicas_entries_as_kubectl_kustomize() {
    let kubectl = kubectl();
    let files = [
        (
            "cm.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n",
        ),
        (
            "d.yaml",
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d\nspec:\n  replicas: 2\n  template:\n    spec:\n      containers: [{name: a, image: b}]\n",
        ),
    ];
    for (body, fails) in [
        ("replicas: [{name: c, count: 1}]\n", true),
        (
            "replicas: [{name: d, count: 3}, {name: zz, count: 1}]\n",
            true,
        ),
        ("replicas: [{name: d}]\n", false),
        ("namePrefix: p-\nreplicas: [{name: d, count: 4}]\n", false),
    ] {
        let tmp = tempfile::tempdir().unwrap();
        for (name, text) in files {
            std::fs::write(tmp.path().join(name), text).unwrap();
        }
        std::fs::write(
            tmp.path().join("kustomization.yaml"),
            format!("resources: [cm.yaml, d.yaml]\n{body}"),
        )
        .unwrap();
        let out = Command::new(&kubectl)
            .arg("kustomize")
            .arg(tmp.path())
            .output()
            .expect("run kubectl kustomize");
        let ours = rollout::kustomize::build(tmp.path());
        assert_eq!(!out.status.success(), fails, "kubectl on {body:?}");
        match ours {
            Ok(b) => {
                assert!(!fails, "{body:?}: built, kubectl refuses it");
                assert_eq!(
                    rollout::kustomize::render_to_string(&b),
                    String::from_utf8_lossy(&out.stdout),
                    "{body:?}"
                );
            }
            Err(e) => {
                assert!(fails, "{body:?}: {e}");
                let msg = e.to_string();
                assert!(
                    msg.contains("does not match a config with the following GVK"),
                    "{msg}"
                );
            }
        }
    }
}

/// `--enable-managedby-label` (deprecated in kustomize, still accepted by kubectl) labels every
/// resource as `buildMetadata: [managedByLabel]` does, also beside that option, and both say
/// the flag is deprecated on stderr.
#[test]
fn enable_managedby_label_flag_as_kubectl_kustomize() {
    let kubectl = kubectl();
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(
        tmp.path().join("r.yaml"),
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: s\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  labels: {app: x}\n",
    )
    .unwrap();
    for extra in ["", "buildMetadata: [managedByLabel]\n"] {
        std::fs::write(
            tmp.path().join("kustomization.yaml"),
            format!("resources: [r.yaml]\n{extra}"),
        )
        .unwrap();
        let want = Command::new(&kubectl)
            .args(["kustomize", "--enable-managedby-label"])
            .arg(tmp.path())
            .output()
            .expect("run kubectl kustomize");
        let got = Command::new(env!("CARGO_BIN_EXE_rollout"))
            .args(["render", "--enable-managedby-label"])
            .arg(tmp.path())
            .output()
            .expect("run rollout");
        assert!(want.status.success() && got.status.success(), "{extra:?}");
        assert_eq!(
            String::from_utf8_lossy(&got.stdout),
            String::from_utf8_lossy(&want.stdout),
            "{extra:?}"
        );
        assert!(
            String::from_utf8_lossy(&got.stdout)
                .contains("app.kubernetes.io/managed-by: kustomize-v")
        );
        assert_eq!(
            String::from_utf8_lossy(&got.stderr).trim_end(),
            String::from_utf8_lossy(&want.stderr).trim_end(),
            "{extra:?}"
        );
    }
}
