//! `rollout generate` and `rollout hydrate` on this repo's own spec, driven through the real binary.

mod support;

use assert_cmd::Command;
use support::repo::TempRepo;
use support::tools::tool;

fn rollout(repo: &TempRepo) -> Command {
    let mut cmd = Command::cargo_bin("rollout").unwrap();
    cmd.current_dir(repo.path()).env_remove("HELM_BIN");
    cmd
}

fn run(repo: &TempRepo, args: &[&str]) -> (i32, String, String) {
    let out = rollout(repo).args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

const OVERLAY_FILES: [&str; 4] = [
    "overlays/staging/kustomization.yaml",
    "overlays/staging/patch-auth.yaml",
    "overlays/staging/patch-embedder.yaml",
    "overlays/staging/patch-media-clustering.yaml",
];

#[test]
fn committed_overlays_are_fresh() {
    // The repo's own committed files must be exactly what the spec gives (what CI checks).
    let repo = TempRepo::new();
    let (code, stdout, stderr) = run(&repo, &["generate", "--check"]);
    assert_eq!(code, 0, "stale committed overlay:\n{stdout}{stderr}");
}

#[test]
fn generated_overlay_snapshots() {
    let repo = TempRepo::new();
    std::fs::remove_dir_all(repo.join("overlays/staging")).unwrap();
    let (code, _, stderr) = run(&repo, &["generate", "--env", "staging"]);
    assert_eq!(code, 0, "{stderr}");
    for f in OVERLAY_FILES {
        insta::assert_snapshot!(f.replace('/', "__"), repo.read(f));
    }
    insta::assert_snapshot!(
        "rollback_patch_auth",
        repo.read("overlays/staging-rollback/patch-auth.yaml")
    );
    insta::assert_snapshot!(
        "values_auth_staging",
        repo.read("charts/media-service/values-auth-staging.yaml")
    );
}

#[test]
fn generate_twice_changes_nothing() {
    let repo = TempRepo::new();
    let (code, _, _) = run(&repo, &["generate"]);
    assert_eq!(code, 0);
    let before = repo.snapshot();
    std::thread::sleep(std::time::Duration::from_millis(20));
    let (code, _, stderr) = run(&repo, &["generate"]);
    assert_eq!(code, 0);
    assert!(stderr.contains("0 written, 0 deleted"), "{stderr}");
    assert_eq!(
        before,
        repo.snapshot(),
        "second run touched files (bytes or mtime)"
    );
}

#[test]
fn check_catches_a_one_byte_edit_and_writes_nothing() {
    let repo = TempRepo::new();
    let path = "overlays/staging/patch-embedder.yaml";
    let edited = repo.read(path).replace("value: \"1\"", "value: \"2\"");
    repo.write(path, &edited);
    let before = repo.snapshot();
    let (code, stdout, _) = run(&repo, &["generate", "--check"]);
    assert_eq!(code, 1, "{stdout}");
    assert!(
        stdout.contains("--- a/overlays/staging/patch-embedder.yaml"),
        "{stdout}"
    );
    assert!(
        stdout.contains("-          value: \"2\"\n+          value: \"1\"\n"),
        "{stdout}"
    );
    assert!(
        stdout.contains("1 file is out of date; run `rollout generate`"),
        "{stdout}"
    );
    assert_eq!(before, repo.snapshot(), "--check wrote something");
}

#[test]
fn check_reports_stale_and_missing_files() {
    let repo = TempRepo::new();
    repo.write("overlays/staging/old-patch.yaml", "x: 1\n");
    std::fs::remove_file(repo.join("overlays/staging-rollback/patch-auth.yaml")).unwrap();
    let (code, stdout, _) = run(&repo, &["generate", "--check"]);
    assert_eq!(code, 1);
    assert!(
        stdout.contains("+++ /dev/null"),
        "stale file not reported:\n{stdout}"
    );
    assert!(
        stdout.contains("--- /dev/null\n+++ b/overlays/staging-rollback/patch-auth.yaml"),
        "{stdout}"
    );
    let (code, _, stderr) = run(&repo, &["generate"]);
    assert_eq!(code, 0);
    assert!(
        stderr.contains("deleted stale overlays/staging/old-patch.yaml"),
        "{stderr}"
    );
    assert!(!repo.join("overlays/staging/old-patch.yaml").exists());
}

/// The reference check: kubectl kustomize (kustomize v5) builds the committed overlay with no
/// warning; the flag is on the auth and embedder containers only; all three Deployments run their
/// builds on the new base image and carry the base-image annotation.
#[test]
fn kubectl_kustomize_builds_the_overlay_with_the_flag_and_images() {
    let repo = TempRepo::new();
    let out = std::process::Command::new(tool("kubectl"))
        .args(["kustomize", "overlays/staging"])
        .current_dir(repo.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert_eq!(stderr, "", "kustomize printed warnings");
    let text = String::from_utf8(out.stdout).unwrap();
    let list = rollout::resource::parse_resources(&text, std::path::Path::new("build")).unwrap();
    let mut seen = Vec::new();
    for r in list.iter().filter(|r| r.kind() == "Deployment") {
        let name = r.name().to_string();
        let ann = &r.value["metadata"]["annotations"]["rollout.sploot.io/base-image"];
        assert_eq!(ann, "sploot/python-base:3.11-cpu", "{name}");
        for c in r.value["spec"]["template"]["spec"]["containers"]
            .as_array()
            .unwrap()
        {
            let flag: Vec<_> = c["env"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|e| e["name"] == "ENABLE_EMBEDDING_EVENT_STREAMS")
                .collect();
            let image = c["image"].as_str().unwrap().to_string();
            seen.push((
                name.clone(),
                flag.iter().map(|e| e["value"].clone()).collect::<Vec<_>>(),
                image,
            ));
        }
    }
    assert_eq!(
        seen,
        vec![
            (
                "auth".to_string(),
                vec![rollout::json!("1")],
                "sploot/auth-service:2.14.0-python3.11-cpu".to_string()
            ),
            (
                "embedder".to_string(),
                vec![rollout::json!("1")],
                "sploot/embedder:1.9.0-python3.11-cpu".to_string()
            ),
            (
                "media-clustering".to_string(),
                vec![],
                "sploot/media-clustering:0.12.0-python3.11-cpu".to_string()
            ),
        ]
    );
    // The flag value is the string "1", never a number.
    assert!(text.contains("- name: ENABLE_EMBEDDING_EVENT_STREAMS\n          value: \"1\"\n"));
    // The rollback overlay builds too, with the flag off.
    let out = std::process::Command::new(tool("kubectl"))
        .args(["kustomize", "overlays/staging-rollback"])
        .current_dir(repo.path())
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(
        text.matches("- name: ENABLE_EMBEDDING_EVENT_STREAMS\n          value: \"0\"\n")
            .count(),
        2
    );
}

#[test]
fn hydrate_matches_the_committed_base_and_check_catches_drift() {
    let repo = TempRepo::new();
    let helm = tool("helm");
    let (code, stdout, stderr) = run(
        &repo,
        &["hydrate", "--check", "--helm", helm.to_str().unwrap()],
    );
    assert_eq!(
        code, 0,
        "committed overlays/base is stale:\n{stdout}{stderr}"
    );
    insta::assert_snapshot!("hydrated_base_auth", repo.read("overlays/base/auth.yaml"));
    insta::assert_snapshot!(
        "hydrated_base_kustomization",
        repo.read("overlays/base/kustomization.yaml")
    );

    let values = repo
        .read("charts/media-service/values-auth.yaml")
        .replace("replicaCount: 2", "replicaCount: 3");
    repo.write("charts/media-service/values-auth.yaml", &values);
    let (code, stdout, _) = run(
        &repo,
        &["hydrate", "--check", "--helm", helm.to_str().unwrap()],
    );
    assert_eq!(code, 1);
    assert!(
        stdout.contains("-  replicas: 2\n+  replicas: 3\n"),
        "{stdout}"
    );
    let out = rollout(&repo)
        .args(["hydrate"])
        .env("HELM_BIN", &helm)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(repo.read("overlays/base/auth.yaml").contains("replicas: 3"));
}

#[test]
fn hydrate_without_helm_says_how_to_get_it() {
    let repo = TempRepo::new();
    let out = rollout(&repo)
        .args(["hydrate"])
        .env("PATH", "/nonexistent")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains("error: helm not found: install Helm 3.8+"),
        "{stderr}"
    );
    assert!(stderr.contains("--helm"), "{stderr}");
}

/// Each bad spec: exit 2, an error naming file:line:col, and nothing written.
#[test]
fn bad_specs_are_rejected_with_positions_and_nothing_is_written() {
    let good = TempRepo::new().read("rollout.yaml");
    let cases: Vec<(&str, String, &str)> = vec![
        (
            "unknown environment",
            good.clone(),
            "error: unknown environment `prod`; choose from: staging",
        ),
        (
            "flag aimed at a missing service",
            good.replace("services: [auth, embedder]", "services: [auth, search]"),
            "rollout.yaml:35:22: flag `ENABLE_EMBEDDING_EVENT_STREAMS` is aimed at unknown service `search`",
        ),
        (
            "malformed YAML",
            good.replace("  staging:\n", "  staging: [\n"),
            "rollout.yaml:",
        ),
        (
            "image without tag or digest",
            good.replace("    tag: 1.9.0-python3.11-cpu\n", ""),
            "rollout.yaml:27:5: service `embedder` has an image without tag or digest",
        ),
        (
            "service listed twice",
            good.replace("  - name: media-clustering\n", "  - name: auth\n"),
            "rollout.yaml:30:11: service `auth` is listed twice",
        ),
        (
            "unknown field",
            good.replace("baseImage:", "baseImages: x\nbaseImage:"),
            "unknown field `baseImages` in the spec",
        ),
        (
            "image with a tag in the repository",
            good.replace(
                "image: sploot/embedder\n",
                "image: sploot/embedder:latest\n",
            ),
            "rollout.yaml:28:12: `services.1.image`",
        ),
    ];
    for (name, spec, expected) in cases {
        let repo = TempRepo::new();
        std::fs::remove_dir_all(repo.join("overlays")).unwrap();
        repo.write("rollout.yaml", &spec);
        let before = repo.snapshot();
        let args: &[&str] = if name == "unknown environment" {
            &["generate", "--env", "prod"]
        } else {
            &["generate"]
        };
        let (code, stdout, stderr) = run(&repo, args);
        assert_eq!(code, 2, "{name}: {stderr}");
        assert_eq!(stdout, "", "{name}");
        assert!(
            stderr.contains(expected),
            "{name}: expected {expected:?} in:\n{stderr}"
        );
        assert_eq!(before, repo.snapshot(), "{name}: something was written");
    }
}

#[test]
fn schema_spec_prints_the_built_in_schema() {
    let repo = TempRepo::new();
    let (code, stdout, _) = run(&repo, &["schema", "spec"]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(v["title"], "rollout.yaml");
    assert!(
        v["required"]
            .as_array()
            .unwrap()
            .contains(&serde_json::json!("services"))
    );
}

#[test]
fn generated_argocd_applications_are_valid_and_point_at_the_overlays() {
    let repo = TempRepo::new();
    std::fs::remove_dir_all(repo.join("argocd")).ok();
    let (code, _, stderr) = run(&repo, &["generate"]);
    assert_eq!(code, 0, "{stderr}");
    for (file, path) in [
        ("argocd/staging/media-staging.yaml", "overlays/staging"),
        (
            "argocd/staging/media-staging-rollback.yaml",
            "overlays/staging-rollback",
        ),
    ] {
        let doc = rollout::yaml::parse_document(&repo.read(file))
            .unwrap()
            .value;
        let problems = rollout::argocd::schema::validate(&doc).unwrap();
        assert!(problems.is_empty(), "{file}: {problems:?}");
        assert_eq!(doc["spec"]["source"]["path"], path);
        assert_eq!(doc["spec"]["destination"]["namespace"], "media");
        assert_eq!(doc["spec"]["project"], "media");
    }
}

/// Issue 11: a chart directory that is a link out of the repository is refused before anything is
/// written.
#[test]
fn issue_11_chart_link_out_of_the_repository_writes_nothing() {
    let repo = TempRepo::new();
    let victim = tempfile::tempdir().unwrap();
    let spec = repo
        .read("rollout.yaml")
        .replace("path: charts/media-service", "path: charts/linked");
    std::fs::write(repo.join("rollout.yaml"), spec).unwrap();
    std::os::unix::fs::symlink(victim.path(), repo.join("charts/linked")).unwrap();
    std::fs::remove_dir_all(repo.join("overlays/staging")).unwrap();
    let (code, _, stderr) = run(&repo, &["generate"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("outside the repository"), "{stderr}");
    assert_eq!(std::fs::read_dir(victim.path()).unwrap().count(), 0);
    assert!(!repo.join("overlays/staging").exists(), "nothing written");
}

/// Issue 11: an environment called `base` would take over the hydrated base.
#[test]
fn issue_11_environment_named_base_is_a_spec_error_and_writes_nothing() {
    let repo = TempRepo::new();
    let spec = repo
        .read("rollout.yaml")
        .replace("  staging:\n    namespace", "  base:\n    namespace")
        .replace("      staging: \"1\"", "      base: \"1\"");
    std::fs::write(repo.join("rollout.yaml"), spec).unwrap();
    let before = repo.read("overlays/base/kustomization.yaml");
    let (code, _, stderr) = run(&repo, &["generate"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("rollout.yaml:12:3: environment `base` writes overlays/base"),
        "{stderr}"
    );
    assert_eq!(repo.read("overlays/base/kustomization.yaml"), before);
    assert!(repo.join("overlays/base/auth.yaml").exists());
}

/// Issue 11: our temp files left by a killed run are findings for `--check` and removed by
/// `generate`.
#[test]
fn issue_11_leftover_temp_files_are_reported_then_cleaned() {
    let repo = TempRepo::new();
    std::fs::write(
        repo.join("overlays/staging/.rollout-Zx81Qa"),
        "half-written",
    )
    .unwrap();
    let (code, stdout, _) = run(&repo, &["generate", "--check"]);
    assert_eq!(code, 1, "{stdout}");
    assert!(
        stdout.contains("leftover temp file overlays/staging/.rollout-Zx81Qa"),
        "{stdout}"
    );
    let (code, _, stderr) = run(&repo, &["generate"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("removed leftover temp file"), "{stderr}");
    assert!(!repo.join("overlays/staging/.rollout-Zx81Qa").exists());
    let (code, _, _) = run(&repo, &["generate", "--check"]);
    assert_eq!(code, 0);
}

/// Issue 11: a second writer waits for the repository lock, then exits 2 naming the holder.
#[test]
fn issue_11_concurrent_writers_are_serialised_by_the_repository_lock() {
    let repo = TempRepo::new();
    let lock = std::fs::File::create(repo.join(".rollout.lock")).unwrap();
    lock.lock().unwrap();
    std::fs::write(repo.join(".rollout.lock"), "pid 4242 (rollout generate)\n").unwrap();
    let (code, _, stderr) = run(&repo, &["generate"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("held by pid 4242 (rollout generate)"),
        "{stderr}"
    );
    drop(lock);
    let (code, _, stderr) = run(&repo, &["generate"]);
    assert_eq!(code, 0, "{stderr}");
}

/// Issue 11: `generate` killed at any moment leaves an overlay whose kustomization names only files
/// that exist (the files it names are written first), and the next run cleans up its temp files.
#[test]
fn issue_11_a_killed_generate_never_leaves_a_kustomization_naming_a_missing_file() {
    let repo = TempRepo::new();
    let bin = assert_cmd::cargo::cargo_bin!("rollout");
    for i in 0..40u64 {
        std::fs::remove_dir_all(repo.join("overlays/staging")).ok();
        std::fs::remove_dir_all(repo.join("overlays/staging-rollback")).ok();
        let mut child = std::process::Command::new(bin)
            .arg("generate")
            .current_dir(repo.path())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_micros(500 * (i % 20)));
        let _ = child.kill();
        let _ = child.wait();
        for dir in ["overlays/staging", "overlays/staging-rollback"] {
            let k = repo.join(dir).join("kustomization.yaml");
            let Ok(text) = std::fs::read_to_string(&k) else {
                continue;
            };
            for line in text.lines() {
                if let Some(p) = line.trim().strip_prefix("- path: ") {
                    assert!(
                        repo.join(dir).join(p).is_file(),
                        "run {i}: {dir}/kustomization.yaml names {p}, which is missing"
                    );
                }
            }
        }
    }
    let (code, _, stderr) = run(&repo, &["generate"]);
    assert_eq!(code, 0, "{stderr}");
    let (code, out, _) = run(&repo, &["generate", "--check"]);
    assert_eq!(code, 0, "{out}");
    for dir in ["overlays/staging", "overlays/staging-rollback"] {
        let left: Vec<_> = std::fs::read_dir(repo.join(dir))
            .unwrap()
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().starts_with(".rollout-"))
            .collect();
        assert!(left.is_empty(), "{left:?}");
    }
}

/// Issue 11: a spec rewritten after it was read (an editor saving while `generate` runs) is never
/// generated from: the write refuses, naming the spec, and no file changes.
#[test]
fn issue_11_a_spec_rewritten_while_generating_writes_nothing() {
    let repo = TempRepo::new();
    std::fs::remove_dir_all(repo.join("overlays/staging")).unwrap();
    let spec_path = repo.join("rollout.yaml");
    let (spec, watched) = rollout::spec::load_watched(&spec_path).unwrap();
    let layout = rollout::layout::Layout::discover(&spec, &spec_path);
    // The editor truncates and writes a new version between our read and our write.
    let text = std::fs::read_to_string(&spec_path).unwrap();
    std::fs::write(&spec_path, text.replace("staging: \"1\"", "staging: \"0\"")).unwrap();
    let opts = rollout::generate::GenerateOptions {
        env: None,
        rollback: false,
    };
    let err = rollout::generate::write(&spec, &layout, &opts, &[&watched]).unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains("rollout.yaml") && msg.contains("changed while rollout was reading it"),
        "{msg}"
    );
    assert!(
        !repo.join("overlays/staging").exists(),
        "a file was written"
    );
    // Read again, it generates.
    let (spec, watched) = rollout::spec::load_watched(&spec_path).unwrap();
    let layout = rollout::layout::Layout::discover(&spec, &spec_path);
    rollout::generate::write(&spec, &layout, &opts, &[&watched]).unwrap();
    assert!(repo.join("overlays/staging/kustomization.yaml").is_file());
}

/// Issue 12: the values key the flag is set at is checked against what helm renders, never assumed:
/// a chart that does not turn `.Values.env` into the container's env fails hydration.
#[test]
fn issue_12_a_flag_the_chart_does_not_pass_on_is_a_hydrate_error() {
    let helm = tool("helm");
    let repo = TempRepo::new();
    let template = "charts/media-service/templates/deployment.yaml";
    let t = repo.read(template);
    assert!(
        t.contains("{{- with .Values.env }}"),
        "the chart changed: {t}"
    );
    repo.write(
        template,
        &t.replace(
            "{{- with .Values.env }}",
            "{{- with .Values.containerEnv }}",
        ),
    );
    let before = repo.snapshot();
    let out = rollout(&repo)
        .args(["hydrate", "--helm"])
        .arg(&helm)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(
            "the flag ENABLE_EMBEDDING_EVENT_STREAMS set at values key `env` does not reach \
             container `auth` of Deployment/auth (service `auth`, environment `staging`): the \
             rendered container has no such env var"
        ),
        "{stderr}"
    );
    assert_eq!(before, repo.snapshot(), "nothing written");
}

/// Issue 12: a removed service's values file is deleted by `generate` (values files it owns: its
/// naming pattern and header, in the chart directory) and reported by `--check`; the removed
/// service's base values and a hand-written values file with the same pattern stay.
#[test]
fn issue_12_a_removed_services_values_file_is_deleted_and_checked() {
    let repo = TempRepo::new();
    let spec = repo.read("rollout.yaml");
    let removed = spec.replace(
        "  - name: media-clustering\n    image: sploot/media-clustering\n    tag: 0.12.0-python3.11-cpu\n",
        "",
    );
    assert_ne!(removed, spec);
    repo.write("rollout.yaml", &removed);
    repo.write(
        "charts/media-service/values-custom-staging.yaml",
        "# written by hand\nreplicas: 2\n",
    );
    let stale = "charts/media-service/values-media-clustering-staging.yaml";

    let (code, stdout, stderr) = run(&repo, &["generate", "--check"]);
    assert_eq!(code, 1, "{stdout}{stderr}");
    assert!(
        stdout.contains(&format!("--- a/{stale}\n+++ /dev/null")),
        "{stdout}"
    );
    assert!(repo.join(stale).is_file(), "--check writes nothing");

    let (code, stdout, stderr) = run(&repo, &["generate"]);
    assert_eq!(code, 0, "{stderr}");
    let all = format!("{stdout}{stderr}");
    assert!(all.contains(&format!("deleted stale {stale}")), "{all}");
    assert!(!repo.join(stale).exists());
    for kept in [
        "charts/media-service/values-media-clustering.yaml",
        "charts/media-service/values-custom-staging.yaml",
        "charts/media-service/values-auth-staging.yaml",
    ] {
        assert!(repo.join(kept).is_file(), "{kept} kept");
    }
    let (code, stdout, _) = run(&repo, &["generate", "--check"]);
    assert_eq!(code, 0, "{stdout}");
}
