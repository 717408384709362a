//! `rollout deps DIR`: the files (and remote URLs) a build reads, exactly: every file listed
//! changes the build when it changes, and files the build does not read are not listed.

use std::path::Path;

use assert_cmd::Command;

fn rollout(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::cargo_bin("rollout")
        .unwrap()
        .current_dir(dir)
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

fn write(root: &Path, rel: &str, text: &str) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

#[test]
fn deps_lists_exactly_the_files_a_build_reads() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    write(
        root,
        "base/kustomization.yaml",
        "resources:\n- app.yaml\nconfigMapGenerator:\n- name: settings\n  files:\n  - conf/app.properties\n  envs:\n  - conf/app.env\n",
    );
    write(
        root,
        "base/app.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app\nspec:\n  template:\n    spec:\n      containers:\n      - name: app\n        image: app:1\n",
    );
    write(root, "base/conf/app.properties", "a=1\n");
    write(root, "base/conf/app.env", "B=2\n");
    write(root, "base/README.md", "not read\n");
    write(
        root,
        "components/probes/kustomization.yaml",
        "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\npatches:\n- path: probe.yaml\n",
    );
    write(
        root,
        "components/probes/probe.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app\nspec:\n  replicas: 2\n",
    );
    write(
        root,
        "overlays/dev/kustomization.yaml",
        "resources:\n- ../../base\ncomponents:\n- ../../components/probes\nnamespace: dev\n",
    );
    write(root, "overlays/dev/unused.yaml", "kind: ConfigMap\n");
    let (code, out, err) = rollout(root, &["deps", "overlays/dev"]);
    assert_eq!(code, 0, "{err}");
    let listed: Vec<&str> = out.lines().collect();
    assert_eq!(
        listed,
        [
            "base/app.yaml",
            "base/conf/app.env",
            "base/conf/app.properties",
            "base/kustomization.yaml",
            "components/probes/kustomization.yaml",
            "components/probes/probe.yaml",
            "overlays/dev/kustomization.yaml",
        ]
    );
    // Each listed file matters: without it the build changes or fails.
    let (_, before, _) = rollout(root, &["render", "overlays/dev"]);
    for f in &listed {
        let path = root.join(f);
        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::write(
            &path,
            format!(
                "{text}\n# touched\n{}",
                if f.ends_with(".env") || f.ends_with(".properties") {
                    "C=3\n"
                } else {
                    ""
                }
            ),
        )
        .unwrap();
        let (code, after, _) = rollout(root, &["render", "overlays/dev"]);
        std::fs::remove_file(&path).unwrap();
        let (gone, _, _) = rollout(root, &["render", "overlays/dev"]);
        std::fs::write(&path, &text).unwrap();
        assert!(
            gone != 0 || code != 0 || after != before,
            "{f} is listed but neither changing nor removing it changes the build"
        );
    }
    // The annotation Argo CD reads: the directories, relative to the app's path.
    let (_, ann, _) = rollout(root, &["deps", "overlays/dev", "--manifest-generate-paths"]);
    assert_eq!(
        ann,
        "argocd.argoproj.io/manifest-generate-paths: .;../../base;../../base/conf;../../components/probes\n"
    );
}
