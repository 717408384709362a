//! `rollout kustomize` (issue 14, item 3): the binary invoked as `kustomize` (a symlink, as Argo
//! CD's `kustomize.path` would run it) replays the command sequence Argo CD's repo-server runs
//! for an Application with kustomize overrides (argo-cd `util/kustomize/kustomize.go`:
//! `version --short`, `edit set nameprefix -- P`, `edit set namesuffix -- S`, `edit set image`,
//! `edit set replicas`, `edit add label --force`, `edit add annotation --force`, `edit set
//! namespace -- NS`, `edit add component`, then `build PATH` from the repository root); the
//! edited kustomization keeps its comments and key order, and the final build is byte for byte
//! what `kubectl kustomize` prints for the same directory.

mod support;

use std::path::Path;
use std::process::Command;

use support::tools::tool;

fn write(dir: &Path, rel: &str, text: &str) {
    let p = dir.join(rel);
    std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
    std::fs::write(p, text).expect("write");
}

fn run(bin: &Path, dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(bin)
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn argo_cd_repo_server_sequence_matches_kustomize() {
    let tmp = tempfile::tempdir().expect("tmp");
    let repo = tmp.path().canonicalize().expect("canon");
    write(
        &repo,
        "base/kustomization.yaml",
        "resources:\n- deployment.yaml\n- service.yaml\n",
    );
    write(
        &repo,
        "base/deployment.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 1\n  selector:\n    matchLabels: {app: web}\n  template:\n    metadata:\n      labels: {app: web}\n    spec:\n      containers:\n      - name: web\n        image: nginx:1.25\n",
    );
    write(
        &repo,
        "base/service.yaml",
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  selector: {app: web}\n  ports:\n  - port: 80\n",
    );
    write(
        &repo,
        "components/probe/kustomization.yaml",
        "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\npatches:\n- patch: |-\n    apiVersion: apps/v1\n    kind: Deployment\n    metadata:\n      name: web\n    spec:\n      minReadySeconds: 5\n",
    );
    let original = "# The staging overlay (Argo CD edits it before each build).\nresources:\n  - ../../base # the shared base\n\n# Images pinned by CI.\nimages:\n  - name: nginx\n    newTag: \"1.26\"\n";
    write(&repo, "apps/staging/kustomization.yaml", original);
    let app = repo.join("apps/staging");

    // The binary under kustomize's name.
    let bin = repo.join("bin/kustomize");
    std::fs::create_dir_all(bin.parent().unwrap()).unwrap();
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_rollout"), &bin).expect("symlink");

    // Argo CD parses `version --short` ("{kustomize/v3.8.1 ...}" or "v5.8.1") for a semver.
    let (code, version, _) = run(&bin, &app, &["version", "--short"]);
    assert_eq!(code, 0);
    let v = version
        .trim()
        .trim_start_matches('{')
        .trim_end_matches('}')
        .trim();
    let v = v.trim_start_matches("kustomize/");
    assert_eq!(v, "v5.8.1", "{version:?}");

    let sequence: &[&[&str]] = &[
        &["edit", "set", "nameprefix", "--", "argo-"],
        &["edit", "set", "namesuffix", "--", "-v2"],
        &[
            "edit",
            "set",
            "image",
            "nginx=registry.example.com/nginx:1.27",
            "busybox:1.36",
        ],
        &["edit", "set", "replicas", "web=4"],
        &["edit", "add", "label", "--force", "team:media", "tier:web"],
        &["edit", "add", "annotation", "--force", "owner:platform"],
        &["edit", "set", "namespace", "--", "staging"],
        &["edit", "add", "component", "../../components/probe"],
    ];
    for args in sequence {
        let (code, out, err) = run(&bin, &app, args);
        assert_eq!(code, 0, "kustomize {args:?}: {err}");
        assert!(out.is_empty(), "{out}");
    }
    // A label that exists, without --force: kustomize's error, exit 2, file unchanged.
    let before = std::fs::read_to_string(app.join("kustomization.yaml")).unwrap();
    let (code, _, err) = run(&bin, &app, &["edit", "add", "label", "team:other"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("label team already in kustomization file. Use --force to override."),
        "{err}"
    );
    let edited = std::fs::read_to_string(app.join("kustomization.yaml")).unwrap();
    assert_eq!(edited, before);

    // Comments and the order of the fields that were there are kept.
    assert!(edited.starts_with("# The staging overlay (Argo CD edits it before each build).\nresources:\n  - ../../base # the shared base\n\n# Images pinned by CI.\nimages:\n"), "{edited}");
    let pos = |k: &str| {
        edited
            .find(&format!("\n{k}:"))
            .unwrap_or_else(|| panic!("{k} in {edited}"))
    };
    assert!(pos("resources") < pos("images") && pos("images") < pos("namePrefix"));
    assert!(
        edited.contains("newName: registry.example.com/nginx"),
        "{edited}"
    );

    // The build Argo CD runs: from the repository root, on the absolute path.
    let path = app.to_str().unwrap();
    let (code, ours, err) = run(&bin, &repo, &["build", path]);
    assert_eq!(code, 0, "{err}");
    let want = Command::new(tool("kubectl"))
        .args(["kustomize", path])
        .output()
        .expect("kubectl");
    assert!(
        want.status.success(),
        "{}",
        String::from_utf8_lossy(&want.stderr)
    );
    assert_eq!(ours, String::from_utf8_lossy(&want.stdout));
    for s in [
        "name: argo-web-v2",
        "namespace: staging",
        "replicas: 4",
        "image: registry.example.com/nginx:1.27",
        "minReadySeconds: 5",
        "owner: platform",
        "team: media",
    ] {
        assert!(ours.contains(s), "{s} missing in:\n{ours}");
    }
    // kustomize's build flags pass through (Argo CD's kustomize.buildOptions).
    let (code, none, _) = run(
        &bin,
        &repo,
        &["build", path, "--load-restrictor", "LoadRestrictionsNone"],
    );
    assert_eq!((code, none), (0, ours));
    // `rollout kustomize` is the same command.
    let (code, direct, _) = run(
        Path::new(env!("CARGO_BIN_EXE_rollout")),
        &repo,
        &["kustomize", "build", path],
    );
    assert_eq!(code, 0);
    assert_eq!(direct, String::from_utf8_lossy(&want.stdout));
}

/// Issue 14: `edit add resource|component` expand globs and check the paths as kustomize's
/// `GlobPatternsWithLoader` does, and appending keeps the list's entries and comments.
#[test]
fn issue_14_edit_add_resource_expands_globs_checks_paths_and_keeps_comments() {
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = tmp.path();
    write(
        dir,
        "kustomization.yaml",
        "# app overlay\nresources:\n- deploy.yaml # the app\n# more below\nnamespace: shop\n",
    );
    for f in [
        "deploy.yaml",
        "svc.yaml",
        "cm.yaml",
        "notes.txt",
        "comp/kustomization.yaml",
    ] {
        write(dir, f, "");
    }
    let bin = Path::new(env!("CARGO_BIN_EXE_rollout"));
    let (code, _, err) = run(
        bin,
        dir,
        &["kustomize", "edit", "add", "resource", "*.yaml"],
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        std::fs::read_to_string(dir.join("kustomization.yaml")).unwrap(),
        "# app overlay\nresources:\n- deploy.yaml # the app\n- cm.yaml\n- svc.yaml\n# more below\nnamespace: shop\n",
        "matches sorted, the kustomization itself and listed entries skipped"
    );
    let (code, _, err) = run(
        bin,
        dir,
        &["kustomize", "edit", "add", "resource", "missing.yaml"],
    );
    assert_eq!(code, 2);
    assert!(err.contains("missing.yaml has no match"), "{err}");
    let (code, _, err) = run(bin, dir, &["kustomize", "edit", "add", "component", "co*"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        std::fs::read_to_string(dir.join("kustomization.yaml"))
            .unwrap()
            .ends_with("namespace: shop\ncomponents:\n- comp\n")
    );
}
