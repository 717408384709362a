//! The `rollout verify` binary: exit codes (0 clean, 1 findings, 2 usage or input error), where
//! output goes, and the whole-repo mode run from a repository's root.

use assert_cmd::Command;

fn rollout() -> Command {
    let mut c = Command::cargo_bin("rollout").expect("binary builds");
    c.env_clear();
    c
}

fn run(args: &[&str], dir: &str) -> (i32, String, String) {
    let out = rollout()
        .current_dir(dir)
        .arg("verify")
        .args(args)
        .output()
        .expect("runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn exit_codes() {
    let root = env!("CARGO_MANIFEST_DIR");
    let cases: &[(&[&str], i32, &str)] = &[
        (&["fixtures/verify/good"], 0, ""),
        (&["fixtures/verify/bad/wrong-type.yaml"], 1, ""),
        (
            &["--no-strict", "fixtures/verify/bad/unknown-field.yaml"],
            0,
            "",
        ),
        (
            &["fixtures/verify/nope.yaml"],
            2,
            "error: fixtures/verify/nope.yaml: no such file or directory\n",
        ),
        (
            &["--kubernetes-version", "1.29", "fixtures/verify/good"],
            2,
            "error: no built-in schemas for kubernetes version \"1.29\"; choose from: 1.34\n",
        ),
        (
            &[
                "--schema-location",
                "https://example.com/schemas",
                "fixtures/verify/good",
            ],
            2,
            "error: schema location \"https://example.com/schemas\": only local directories are supported (verify never uses the network)\n",
        ),
        (
            &["--type", "kustomization", "fixtures/verify/good/list.yaml"],
            2,
            "error: fixtures/verify/good/list.yaml: --type kustomization needs a directory with a kustomization.yaml\n",
        ),
    ];
    for (args, code, stderr) in cases {
        let (c, _, e) = run(args, root);
        assert_eq!((c, e.as_str()), (*code, *stderr), "{args:?}");
    }
}

#[test]
fn whole_repo_from_its_root() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/verify/repo");
    let (code, stdout, stderr) = run(&[], dir);
    assert_eq!(stderr, "");
    assert_eq!(code, 0);
    insta::assert_snapshot!(stdout, @r"
    overlays/base/deployments.yaml (manifests, by place: overlays/): 3 objects
    overlays/staging (kustomization, by place: kustomization directory): 3 objects
    charts/media/values-staging.yaml (values, by place: charts/<chart>/values*.yaml): 1 object
    charts/media/values.yaml (values, by place: charts/<chart>/values*.yaml): 1 object
    argocd/staging/media.yaml (argocd, by place: argocd/): 1 object
    note[not-checked]: not checked: the Argo CD Application schema is not available in this build
      --> argocd/staging/media.yaml:1:1
       |
     1 | apiVersion: argoproj.io/v1alpha1
       | ^
    dashboards/media-clustering.json (dashboard, by place: dashboards/): 1 object
    note[not-checked]: not checked: the Grafana dashboard schema is not available in this build
      --> dashboards/media-clustering.json:1:1
       |
     1 | {
       | ^
    alerts/synthetic.json (alerts, by place: alerts/): 2 objects
    note[not-checked]: not checked: the Alertmanager alerts schema is not available in this build
      --> alerts/synthetic.json:1:1
       |
     1 | [
       | ^
    repository checks:
    note[not-checked]: not checked: rollout policy (no spec reader in this build)
    note[not-checked]: not checked: freshness of generated overlays and overlays/base/
    verify: 7 inputs, 12 objects: 0 errors, 0 warnings, 5 notes: ok
    ");
}

#[test]
fn github_output_annotates_errors() {
    let root = env!("CARGO_MANIFEST_DIR");
    let (code, stdout, _) = run(
        &[
            "--output",
            "github",
            "fixtures/verify/bad/missing-required.yaml",
        ],
        root,
    );
    assert_eq!(code, 1);
    insta::assert_snapshot!(stdout, @r#"
    ::error file=fixtures/verify/bad/missing-required.yaml,line=8,col=5,title=schema-required::missing required field "spec.ports[0].port" (v1 Service media/auth)
    verify: 1 input, 1 object: 1 error, 0 warnings, 0 notes: failed
    "#);
}
