//! The `rollout verify` binary: exit codes (0 clean, 1 findings, 2 usage or input error), where
//! output goes, and the whole-repo mode run from a repository's root.

mod support;

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
            &["--kubernetes-version", "1.38", "fixtures/verify/good"],
            2,
            "error: no built-in schemas for kubernetes version \"1.38\"; choose from: 1.25, 1.26, 1.27, 1.28, 1.29, 1.30, 1.31, 1.32, 1.33, 1.34, 1.35, 1.36, 1.37\n",
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
fn no_strict_turns_duplicate_keys_into_warnings() {
    let root = env!("CARGO_MANIFEST_DIR");
    let dup = "fixtures/verify/bad/duplicate-key.yaml";
    let (code, out, _) = run(&[dup], root);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("error[duplicate-key]: duplicate key \"LOG_LEVEL\" (first at line 7)\n  --> fixtures/verify/bad/duplicate-key.yaml:8:3\n"), "{out}");
    let (code, out, _) = run(&["--no-strict", dup], root);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("warning[duplicate-key]: duplicate key \"LOG_LEVEL\" (first at line 7); the last value is used\n  --> fixtures/verify/bad/duplicate-key.yaml:8:3\n"), "{out}");
    assert!(out.contains("0 errors, 1 warning"), "{out}");
    let (code, out, _) = run(
        &[
            "--no-strict",
            "fixtures/verify/duplicates/last-value-wrong.yaml",
        ],
        root,
    );
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("error[schema-type]"), "{out}");
}

#[test]
fn this_repos_own_rollout_verifies_clean() {
    // The pre-merge gate on this repository itself: rendered overlays (own engine), hydrated base,
    // values, Argo CD Applications, dashboard, alerts, the spec's policy and freshness (helm present).
    let dir = env!("CARGO_MANIFEST_DIR");
    let helm = std::path::Path::new(dir).join(".tools/bin/helm");
    assert!(helm.exists(), "run scripts/install-test-tools.sh first");
    let out = assert_cmd::Command::cargo_bin("rollout")
        .unwrap()
        .arg("verify")
        .current_dir(dir)
        .env("HELM_BIN", &helm)
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(!stdout.contains("not-checked"), "{stdout}");
    for input in [
        "overlays/staging (kustomization",
        "overlays/staging-rollback (kustomization",
        "argocd/staging/media-staging.yaml",
        "dashboards/media-clustering-redis-streams.json",
        "alerts/embedder.json",
    ] {
        assert!(stdout.contains(input), "{input} not verified:\n{stdout}");
    }
    let summary = stdout.lines().last().unwrap();
    assert!(
        summary.ends_with("0 errors, 0 warnings, 7 notes: ok"),
        "{summary}"
    );
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

#[test]
fn a_hand_edited_overlay_fails_the_gate_with_policy_and_freshness_findings() {
    // Someone drops the flag from the embedder patch by hand: the policy sees the rendered result
    // and freshness sees the file no longer matches rollout.yaml.
    let repo = support::repo::TempRepo::new();
    let patch = "overlays/staging/patch-embedder.yaml";
    let text = repo.read(patch);
    let cut = text
        .find("spec:\n")
        .expect("the patch sets the flag under spec:");
    repo.write(patch, &text[..cut]);
    let out = support::rollout(repo.path())
        .args(["verify", "--output", "json"])
        .env("HELM_BIN", support::tools::tool("helm"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut codes: Vec<(String, String)> = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["severity"] == "error")
        .map(|d| {
            (
                d["code"].as_str().unwrap().to_string(),
                d["file"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    codes.sort();
    assert_eq!(
        codes,
        vec![
            ("overlay-stale".to_string(), patch.to_string()),
            (
                "policy-flag-missing".to_string(),
                "overlays/base/embedder.yaml".to_string()
            ),
        ]
    );
}

/// Issue 11: `verify` in whole-repository mode without a readable rollout.yaml is an input error,
/// not a clean pass.
#[test]
fn issue_11_whole_repo_verify_without_a_readable_spec_exits_2() {
    for setup in ["missing", "directory", "dangling", "devnull"] {
        let dir = tempfile::tempdir().unwrap();
        let spec = dir.path().join("rollout.yaml");
        std::fs::create_dir(dir.path().join("alerts")).unwrap();
        std::fs::copy(
            concat!(env!("CARGO_MANIFEST_DIR"), "/alerts/embedder.json"),
            dir.path().join("alerts/embedder.json"),
        )
        .unwrap();
        match setup {
            "directory" => std::fs::create_dir(&spec).unwrap(),
            "dangling" => std::os::unix::fs::symlink(dir.path().join("nope"), &spec).unwrap(),
            "devnull" => std::os::unix::fs::symlink("/dev/null", &spec).unwrap(),
            _ => {}
        }
        let (code, _, stderr) = run(&[], dir.path().to_str().unwrap());
        assert_eq!(code, 2, "{setup}: {stderr}");
        assert!(stderr.contains("rollout.yaml"), "{setup}: {stderr}");
    }
}

/// Issue 11: a wrong type in a Secret's data names the key and the type, never the value, in every
/// format, and the text format shows no source line.
#[test]
fn issue_11_verify_never_prints_secret_data_values() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("secret.yaml"),
        "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ndata:\n  num: 123456789\n  flag: true\nstringData:\n  other: 987654321\n",
    )
    .unwrap();
    for format in ["text", "json", "junit", "github"] {
        let (code, stdout, stderr) = run(
            &["secret.yaml", "--output", format],
            dir.path().to_str().unwrap(),
        );
        assert_eq!(code, 1, "{format}: {stdout}{stderr}");
        let all = format!("{stdout}{stderr}");
        for value in ["123456789", "987654321"] {
            assert!(!all.contains(value), "{format} shows {value}:\n{all}");
        }
        assert!(
            all.contains("Secret data key") && all.contains("num"),
            "{format}:\n{all}"
        );
        assert!(all.contains("got a number"), "{format}:\n{all}");
    }
}

/// Issue 13: a Secret's values are masked in the source lines the report quotes, and only there:
/// a password `admin` does not turn `admin-app.yaml` into `***-app.yaml` or a field
/// `adminPort` into `***Port` in the locations and messages.
#[test]
fn issue_13_secret_values_mask_quoted_lines_not_file_names_or_field_paths() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("admin-secret.yaml"),
        "apiVersion: v1\nkind: Secret\nmetadata: {name: admin-credentials}\nstringData:\n  username: admin\n  password: s3cr3t-pw\n  password: s3cr3t-pw\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("admin-app.yaml"),
        "apiVersion: v1\nkind: Pod\nmetadata: {name: admin-app}\nspec:\n  containers:\n  - name: admin\n    image: admin:1.0\n    adminPort: 80\n",
    )
    .unwrap();
    let (code, stdout, stderr) = run(&[".", "--policy", "off"], dir.path().to_str().unwrap());
    assert_eq!(code, 1, "{stdout}{stderr}");
    let all = format!("{stdout}{stderr}");
    assert!(all.contains("admin-app.yaml:8:5"), "{all}");
    assert!(all.contains("admin-secret.yaml:7:3"), "{all}");
    assert!(
        all.contains("unknown field \"spec.containers[0].adminPort\""),
        "{all}"
    );
    assert!(all.contains("    adminPort: 80"), "{all}");
    assert!(!all.contains("s3cr3t-pw"), "{all}");
    assert!(all.contains("  password: ***"), "{all}");
}

/// Issue 11: a FIFO or a device as input is refused by name (before it is opened: no hang).
#[test]
fn issue_11_inputs_that_are_not_regular_files_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("pipe.yaml");
    assert!(
        std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    std::os::unix::fs::symlink("/dev/zero", dir.path().join("zero.yaml")).unwrap();
    for input in ["pipe.yaml", "zero.yaml"] {
        let start = std::time::Instant::now();
        let (code, _, stderr) = run(&[input], dir.path().to_str().unwrap());
        assert_eq!(code, 2, "{input}: {stderr}");
        assert!(
            stderr.contains(input) && stderr.contains("not a regular file"),
            "{stderr}"
        );
        assert!(start.elapsed() < std::time::Duration::from_secs(10));
    }
}

/// Issue 13: waivers in `rollout.yaml` turn a finding into a note until their date; an expired one
/// is an error at the waiver; rules take their own level; `--policy strict` makes them errors.
#[test]
fn waivers_rule_levels_and_policy_from_the_spec() {
    let repo = support::repo::TempRepo::new();
    let dir = repo.path().to_str().unwrap().to_string();
    let verify = |args: &[&str]| run(args, &dir);
    // This repo's own waivers hold: the six findings are notes.
    let (code, out, err) = verify(&["overlays/staging"]);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(out.matches("waived until 2027-03-31").count(), 6, "{out}");
    // `--policy strict` does not override a waiver, but makes the unwaived finding an error.
    let spec = repo.read("rollout.yaml");
    repo.write(
        "rollout.yaml",
        &spec.replace(
            "object: Deployment/media/*\n      reason: PDBs",
            "object: Deployment/media/auth\n      reason: PDBs",
        ),
    );
    let (code, out, _) = verify(&["overlays/staging", "--policy", "strict"]);
    assert_eq!(code, 1, "{out}");
    assert_eq!(out.matches("error[practice-pdb]").count(), 2, "{out}");
    // An expired waiver is an error where it is written, and no longer waives.
    repo.write(
        "rollout.yaml",
        &spec.replacen("expires: \"2027-03-31\"", "expires: \"2026-01-31\"", 1),
    );
    let (code, out, _) = verify(&["overlays/staging"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains(
            "error[waiver-expired]: the waiver of pdb for Deployment/media/* expired on 2026-01-31"
        ),
        "{out}"
    );
    assert_eq!(out.matches("warning[practice-pdb]").count(), 3, "{out}");
    // A rule's own level: pdb off, probes (none fire here) untouched.
    repo.write(
        "rollout.yaml",
        &format!("{spec}  rules:\n    run-as-non-root: error\n"),
    );
    let (_, out, _) = verify(&["overlays/staging"]);
    assert_eq!(
        out.matches("note[practice-run-as-non-root]").count(),
        3,
        "{out}"
    );
    // A waiver that covers nothing in the whole repository is a warning at it (a typo in its
    // object, or a finding fixed since); a run on some paths cannot tell, and says nothing.
    repo.write(
        "rollout.yaml",
        &spec.replace(
            "  waivers:\n",
            "  waivers:\n    - rule: pdb\n      object: Deployment/media/autth\n      reason: typo\n      expires: \"2027-03-31\"\n",
        ),
    );
    let line = repo
        .read("rollout.yaml")
        .lines()
        .position(|l| l.contains("rule: pdb"))
        .unwrap()
        + 1;
    let (code, out, err) = verify(&[]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains(
            "warning[waiver-unused]: the waiver of pdb for Deployment/media/autth covers no finding"
        ) && out.contains(&format!("rollout.yaml:{line}:")),
        "{out}"
    );
    assert_eq!(out.matches("waiver-unused").count(), 1, "{out}");
    let (_, out, _) = verify(&["overlays/staging"]);
    assert!(!out.contains("waiver-unused"), "{out}");
    // An unknown rule is a spec error at its line (whole-repo mode needs the spec whole).
    repo.write("rollout.yaml", &format!("{spec}  rules:\n    probe: off\n"));
    let (code, _, err) = verify(&[]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("unknown best-practice rule `probe`"), "{err}");
}

/// Issue 13: an environment's `kubernetesVersion` is the version its overlay is checked against.
#[test]
fn an_environments_kubernetes_version_checks_its_overlay() {
    let repo = support::repo::TempRepo::new();
    let dir = repo.path().to_str().unwrap().to_string();
    // A kind only later releases serve, added to the staging overlay.
    repo.write(
        "overlays/staging/cidr.yaml",
        "apiVersion: networking.k8s.io/v1\nkind: ServiceCIDR\nmetadata:\n  name: extra\nspec:\n  cidrs: [10.96.100.0/24]\n",
    );
    let k = repo.read("overlays/staging/kustomization.yaml");
    repo.write(
        "overlays/staging/kustomization.yaml",
        &k.replace("resources:\n", "resources:\n- cidr.yaml\n"),
    );
    let (code, out, err) = run(&["overlays/staging"], &dir);
    assert_eq!(code, 0, "1.34 serves it: {out}{err}");
    let spec = repo.read("rollout.yaml");
    repo.write(
        "rollout.yaml",
        &spec.replace(
            "    cluster: staging-eu-west-1\n",
            "    cluster: staging-eu-west-1\n    kubernetesVersion: \"1.31\"\n",
        ),
    );
    let (code, out, _) = run(&["overlays/staging"], &dir);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("networking.k8s.io/v1 ServiceCIDR is not served by Kubernetes 1.31; it is served from 1.33"),
        "{out}"
    );
    // Other inputs keep the default version.
    let (code, out, _) = run(&["overlays/staging/cidr.yaml"], &dir);
    assert_eq!(code, 0, "{out}");
}

/// Issue 12: a policy finding points at the file and line that set the value (the overlay's
/// patch), not at the base the patch merged into; the GitHub annotation carries the same place.
#[test]
fn issue_12_policy_findings_point_at_the_patch_that_set_the_value() {
    let repo = support::repo::TempRepo::new();
    let dir = repo.path().to_str().unwrap().to_string();
    let patch = "overlays/staging/patch-auth.yaml";
    let text = repo.read(patch);
    let line = text
        .lines()
        .position(|l| l.trim() == "value: \"1\"")
        .expect("the patch sets the flag")
        + 1;
    repo.write(patch, &text.replace("value: \"1\"", "value: \"0\""));
    let (code, out, _) = run(&["overlays/staging"], &dir);
    assert_eq!(code, 0, "a path-mode run has no policy: {out}");
    let (code, out, _) = run(&[], &dir);
    assert_eq!(code, 1, "{out}");
    let at = format!("{patch}:{line}:11");
    let finding = out
        .lines()
        .position(|l| l.starts_with("error[policy-flag-value]"))
        .expect("policy finding");
    assert_eq!(
        out.lines().nth(finding + 1).map(str::trim),
        Some(format!("--> {at}").as_str()),
        "{out}"
    );
    let (_, gh, _) = run(&["--output", "github"], &dir);
    assert!(
        gh.contains(&format!(
            "::error file={patch},line={line},col=11,title=policy-flag-value::"
        )),
        "{gh}"
    );
}

/// Issue 12: `rollout verify rollout.yaml` recognises the spec and checks it against its built-in
/// schema (not "no schema for rollout.sploot.io/v1alpha1 Rollout"); an Argo Rollouts `Rollout`
/// is still a manifest.
#[test]
fn issue_12_verify_recognises_the_spec_and_checks_its_schema() {
    let root = env!("CARGO_MANIFEST_DIR");
    let (code, out, err) = run(&["rollout.yaml"], root);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.starts_with("rollout.yaml (spec, by content: rollout spec"),
        "{out}"
    );
    assert!(!out.contains("schema-missing"), "{out}");

    let tmp = tempfile::tempdir().unwrap();
    let spec = std::fs::read_to_string(format!("{root}/rollout.yaml")).unwrap();
    let bad = spec.replacen("baseImage:", "baseImag:", 1);
    assert_ne!(bad, spec);
    std::fs::write(tmp.path().join("rollout.yaml"), &bad).unwrap();
    let line = bad
        .lines()
        .position(|l| l.starts_with("baseImag:"))
        .unwrap()
        + 1;
    let dir = tmp.path().to_str().unwrap();
    let (code, out, _) = run(&["rollout.yaml"], dir);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains(&format!(
            "error[spec-invalid]: unknown field `baseImag` in the spec\n  --> rollout.yaml:{line}:1"
        )),
        "{out}"
    );
    let (code, out, _) = run(&["--output", "json", "rollout.yaml"], dir);
    assert_eq!(code, 1);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["inputs"][0]["type"], "spec");
    assert_eq!(v["diagnostics"][0]["code"], "spec-invalid");

    let argo = "apiVersion: argoproj.io/v1alpha1\nkind: Rollout\nmetadata:\n  name: r\nspec: {}\n";
    std::fs::write(tmp.path().join("argo.yaml"), argo).unwrap();
    let (_, out, _) = run(&["argo.yaml"], dir);
    assert!(out.starts_with("argo.yaml (manifests"), "{out}");
}

/// Issue 12: in JUnit output the repository checks (policy, freshness) carry the spec as their
/// file, and a finding without a place of its own is shown at the spec, never at an empty name.
#[test]
fn issue_12_junit_repository_checks_name_the_spec_file() {
    let repo = support::repo::TempRepo::new();
    let dir = repo.path().to_str().unwrap();
    let (_, out, err) = run(&["--output", "junit"], dir);
    let case = out
        .lines()
        .find(|l| l.contains("name=\"repository checks\""))
        .unwrap_or_else(|| panic!("no repository testcase:\n{out}{err}"));
    assert!(
        case.contains("classname=\"verify.repository\" file=\"rollout.yaml\""),
        "{case}"
    );
    assert!(!out.contains("file=\"\""), "{out}");
    for l in out.lines() {
        assert!(
            !l.trim_start().starts_with(':') && !l.contains("<system-out>:") && !l.contains("\">:"),
            "a line without a file: {l}"
        );
    }
    assert!(
        out.contains("<system-out>rollout.yaml: note[not-checked]"),
        "{out}"
    );
}

/// Issue 12: the verdict does not depend on which tools are installed: without helm the hydrated
/// base's freshness is "not checked" (a note, exit 0); with `CI=true` that is an error (exit 1).
#[test]
fn issue_12_missing_helm_is_a_note_locally_and_an_error_in_ci() {
    let repo = support::repo::TempRepo::new();
    let verify = |ci: Option<&str>| {
        let mut c = rollout();
        c.current_dir(repo.path()).arg("verify");
        if let Some(v) = ci {
            c.env("CI", v);
        }
        let out = c.output().unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    };
    let (code, out) = verify(None);
    assert!(
        out.contains("note[not-checked]: not checked: overlays/base freshness needs helm"),
        "{out}"
    );
    assert!(!out.contains("helm-missing"), "{out}");
    let local = code;
    let (code, out) = verify(Some("true"));
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("error[helm-missing]: not checked: overlays/base freshness needs helm"),
        "{out}"
    );
    assert_eq!(local, 0, "a note does not fail the gate");
}

/// A large file is checked on several threads; a bad object in any share of it is found and
/// reported at its own line, once, whichever thread met it.
#[test]
fn a_large_file_reports_a_bad_object_anywhere_in_it() {
    let dir = tempfile::tempdir().unwrap();
    let n = 1200;
    for bad in [3, 650, n - 1] {
        let mut text = String::new();
        let mut bad_line = 0;
        for i in 0..n {
            text.push_str(&format!(
                "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-{i}\ndata:\n  k: v\n"
            ));
            if i == bad {
                bad_line = text.lines().count() + 1;
                text.push_str("  replicas: 3\nspec: {}\n");
            }
        }
        let file = dir.path().join("big.yaml");
        std::fs::write(&file, &text).unwrap();
        let (code, out, err) = run(
            &["--policy", "off", file.to_str().unwrap()],
            env!("CARGO_MANIFEST_DIR"),
        );
        assert_eq!(code, 1, "bad object {bad}: {out}{err}");
        let at = format!("big.yaml:{}:1", bad_line + 1);
        assert!(out.contains(&at), "bad object {bad} not at {at}:\n{out}");
        assert_eq!(out.matches("unknown field \"spec\"").count(), 1, "{out}");
    }
}

/// A large stream is checked chunk by chunk as it is read; anything other than all-clean objects
/// falls back to the full check, so findings keep their lines and other contents their kind.
#[test]
fn large_streams_checked_in_chunks_report_as_small_ones() {
    let dir = tempfile::tempdir().unwrap();
    let doc = |i: usize| {
        format!(
            "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c{i}\n  namespace: ns\ndata:\n  k: \"{}\"\n",
            "v".repeat(60)
        )
    };
    let clean: String = (0..4000).map(doc).collect();
    assert!(clean.len() > 512 * 1024);
    let path = |name: &str| dir.path().join(name).to_string_lossy().into_owned();
    std::fs::write(path("clean.yaml"), &clean).unwrap();
    let (code, out, err) = run(&["--policy", "off", &path("clean.yaml")], ".");
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("4000 objects"), "{out}");

    // One wrong type near the end: found at its line, as the full check finds it.
    let bad = format!(
        "{clean}---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  k: [1]\n"
    );
    let line = clean.lines().count() + 7;
    std::fs::write(path("bad.yaml"), &bad).unwrap();
    let (code, out, err) = run(&["--policy", "off", &path("bad.yaml")], ".");
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.contains(&format!("bad.yaml:{line}:")), "{out}");

    // A document that is no object: the file is not taken for manifests by its words.
    let mixed = format!("{clean}---\nplain: value\n");
    std::fs::write(path("mixed.yaml"), &mixed).unwrap();
    let (code, out, err) = run(&["--policy", "off", &path("mixed.yaml")], ".");
    assert_eq!(code, 2, "{out}{err}");

    // Secret values of a chunked file are still masked in what is printed.
    let secret = format!(
        "{clean}---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: s\nstringData:\n  token: hunter2-very-secret\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: y\ndata:\n  k: hunter2-very-secret\n  n: [1]\n"
    );
    std::fs::write(path("secret.yaml"), &secret).unwrap();
    let (code, out, err) = run(&["--policy", "off", &path("secret.yaml")], ".");
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        !out.contains("hunter2") && !err.contains("hunter2"),
        "{out}{err}"
    );
}
