//! `helmCharts` (issue 14, item 1): every case of `fixtures/kustomize/helm/CASES` is built by
//! `kubectl kustomize --enable-helm --helm-command <helm>` and by `rollout render` with the same
//! flags and the same helm, in separate temp copies, and must print the same bytes (and the same
//! warnings). The `krusty-*` cases are kustomize's own helm tests that need only local charts
//! (`api/krusty/helmchartinflationgenerator_test.go`, with its `testdata/helmcharts`). Pulls are
//! tested against a chart repository served on 127.0.0.1.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use support::http_server::HttpServer;
use support::repo::copy;
use support::tools::tool;

fn fixtures() -> PathBuf {
    support::repo().join("fixtures/kustomize/helm")
}

/// Copies a case into `into/<case>`, with the shared charts in each directory its CHARTS file
/// names (else `charts/`).
fn stage(case: &str, into: &Path) -> PathBuf {
    let src = fixtures().join(case);
    let dst = into.join(case);
    copy(&src, &dst);
    let homes = std::fs::read_to_string(src.join("CHARTS")).unwrap_or_else(|_| "charts".into());
    for home in homes.lines().map(str::trim).filter(|l| !l.is_empty()) {
        copy(&fixtures().join("charts"), &dst.join(home));
    }
    dst
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn run(mut cmd: Command) -> Run {
    let out = cmd.output().expect("run");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn kubectl(dir: &Path, build: &str, flags: &[&str]) -> Run {
    let mut cmd = Command::new(tool("kubectl"));
    cmd.current_dir(dir)
        .arg("kustomize")
        .arg(build)
        .args(flags)
        .env("HOME", dir);
    run(cmd)
}

fn rollout(dir: &Path, build: &str, flags: &[&str], cache: &Path) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_rollout"));
    cmd.current_dir(dir)
        .arg("render")
        .arg(build)
        .args(flags)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", dir)
        .env("ROLLOUT_CACHE_DIR", cache);
    run(cmd)
}

fn warnings(stderr: &str) -> Vec<&str> {
    stderr
        .lines()
        .filter(|l| l.starts_with("# Warning") || l.starts_with("Flag --"))
        .collect()
}

#[test]
fn helm_cases_match_kubectl_kustomize() {
    let helm = tool("helm");
    let helm = helm.to_str().expect("helm path");
    let cases = std::fs::read_to_string(fixtures().join("CASES")).expect("CASES");
    let mut failures = Vec::new();
    let mut n = 0;
    for line in cases
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
    {
        n += 1;
        let words: Vec<&str> = line.split_whitespace().collect();
        let (case, build) = (words[0], words[1]);
        let mut flags = vec!["--enable-helm", "--helm-command", helm];
        flags.extend(&words[2..]);
        let tmp = tempfile::tempdir().expect("tmp");
        let theirs = stage(case, &tmp.path().join("kubectl"));
        let ours = stage(case, &tmp.path().join("rollout"));
        let want = kubectl(&theirs, build, &flags);
        if want.code != 0 {
            failures.push(format!("{line}: kubectl failed: {}", want.stderr.trim()));
            continue;
        }
        if want.stdout.trim().is_empty() {
            failures.push(format!("{line}: kubectl printed nothing"));
            continue;
        }
        let got = rollout(&ours, build, &flags, &tmp.path().join("cache"));
        if got.code != 0 {
            failures.push(format!(
                "{line}: rollout exit {}: {}",
                got.code,
                got.stderr.trim()
            ));
        } else if got.stdout != want.stdout {
            let diff = similar::TextDiff::from_lines(&want.stdout, &got.stdout)
                .unified_diff()
                .header("kubectl kustomize", "rollout render")
                .to_string();
            failures.push(format!("{line}:\n{diff}"));
        } else if warnings(&got.stderr) != warnings(&want.stderr) {
            failures.push(format!(
                "{line}: stderr: kubectl {:?}, rollout {:?}",
                warnings(&want.stderr),
                warnings(&got.stderr)
            ));
        }
    }
    assert!(n >= 20, "expected at least 20 helm cases, found {n}");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// An error case: kubectl must fail, and rollout must exit 2 with one `error:` line that says
/// `meaning` (and names the kustomization file).
fn assert_both_fail(case_dir: &Path, flags: &[&str], meaning: &str) {
    let tmp = tempfile::tempdir().expect("tmp");
    let want = kubectl(case_dir, ".", flags);
    assert_ne!(want.code, 0, "kubectl succeeded: {}", want.stdout);
    let got = rollout(case_dir, ".", flags, tmp.path());
    let errors: Vec<&str> = got
        .stderr
        .lines()
        .filter(|l| l.starts_with("error: "))
        .collect();
    assert_eq!(got.code, 2, "rollout: {}", got.stderr);
    assert!(got.stdout.is_empty(), "{}", got.stdout);
    assert_eq!(errors.len(), 1, "{}", got.stderr);
    assert!(
        errors[0].contains(meaning),
        "{:?} does not say {meaning:?}",
        errors[0]
    );
    assert!(errors[0].contains("kustomization.yaml"), "{}", errors[0]);
}

fn write(dir: &Path, rel: &str, text: &str) {
    let p = dir.join(rel);
    std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
    std::fs::write(p, text).expect("write");
}

#[test]
fn helm_errors_as_kubectl_kustomize() {
    let helm = tool("helm");
    let helm = helm.to_str().expect("helm path");
    let on = ["--enable-helm", "--helm-command", helm];
    let tmp = tempfile::tempdir().expect("tmp");

    // Without --enable-helm: kustomize's own words.
    let basic = stage("basic", tmp.path());
    assert_both_fail(&basic, &[], "must specify --enable-helm");
    let kubectl_said = kubectl(&basic, ".", &[]).stderr;
    assert!(
        kubectl_said.contains("must specify --enable-helm"),
        "{kubectl_said}"
    );

    // A chart that is not there, with no repo to pull it from.
    let missing = tmp.path().join("missing");
    write(
        &missing,
        "kustomization.yaml",
        "helmCharts:\n- name: nowhere\n",
    );
    assert_both_fail(&missing, &on, "no repo specified for pull");

    // A helm binary that does not exist.
    assert_both_fail(
        &basic,
        &["--enable-helm", "--helm-command", "/nonexistent/helm"],
        "/nonexistent/helm",
    );

    // A values merge mode kustomize does not know.
    let bad = tmp.path().join("bad-merge");
    copy(&fixtures().join("charts"), &bad.join("charts"));
    write(
        &bad,
        "kustomization.yaml",
        "helmCharts:\n- name: app\n  valuesMerge: deep\n  valuesInline: {a: 1}\n",
    );
    assert_both_fail(&bad, &on, "must be one of [merge override replace]");

    // The load restrictor: an additional values file outside the kustomization root.
    let outside = tmp.path().join("outside");
    copy(&fixtures().join("charts"), &outside.join("k/charts"));
    write(&outside, "extra.yaml", "replicaCount: 2\n");
    write(
        &outside,
        "k/kustomization.yaml",
        "helmCharts:\n- name: app\n  additionalValuesFiles: [../extra.yaml]\n",
    );
    assert_both_fail(&outside.join("k"), &on, "security; file");
    let mut none = on.to_vec();
    none.extend(["--load-restrictor", "LoadRestrictionsNone"]);
    let want = kubectl(&outside.join("k"), ".", &none);
    let got = rollout(&outside.join("k"), ".", &none, &tmp.path().join("cache"));
    assert_eq!(want.code, 0, "{}", want.stderr);
    assert_eq!((got.code, got.stdout), (0, want.stdout), "{}", got.stderr);

    // helm itself failing (a template error): exit 2 with helm's message.
    let broken = tmp.path().join("broken");
    write(
        &broken,
        "charts/b/Chart.yaml",
        "apiVersion: v2\nname: b\nversion: 1.0.0\n",
    );
    write(&broken, "charts/b/values.yaml", "");
    write(
        &broken,
        "charts/b/templates/x.yaml",
        "{{ .Values.missing.field }}\n",
    );
    write(
        &broken,
        "kustomization.yaml",
        "helmCharts:\n- name: b\n  releaseName: r\n",
    );
    assert_both_fail(&broken, &on, "nil pointer evaluating");
}

#[test]
fn pulled_chart_matches_kubectl_and_is_cached() {
    let helm = tool("helm");
    let tmp = tempfile::tempdir().expect("tmp");
    // A chart repository: the packaged test chart and its index, served over HTTP.
    let repo = tmp.path().join("repo");
    std::fs::create_dir_all(&repo).expect("mkdir");
    let home = tmp.path().join("helm-home");
    let helm_cmd = |args: &[&str]| {
        let out = Command::new(&helm)
            .args(args)
            .env("HELM_CONFIG_HOME", &home)
            .env("HELM_CACHE_HOME", home.join("cache"))
            .env("HELM_DATA_HOME", home.join("data"))
            .output()
            .expect("helm");
        assert!(
            out.status.success(),
            "helm {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    let chart = fixtures().join("charts/app");
    helm_cmd(&[
        "package",
        chart.to_str().unwrap(),
        "-d",
        repo.to_str().unwrap(),
    ]);
    let server = HttpServer::files(&repo);
    helm_cmd(&[
        "repo",
        "index",
        repo.to_str().unwrap(),
        "--url",
        &server.url(),
    ]);
    let k = format!(
        "namespace: pulled\nhelmCharts:\n- name: app\n  repo: {}\n  version: 0.3.1\n  releaseName: remote\n  valuesInline:\n    replicaCount: 2\n",
        server.url()
    );
    let theirs = tmp.path().join("kubectl");
    let ours = tmp.path().join("rollout");
    write(&theirs, "kustomization.yaml", &k);
    write(&ours, "kustomization.yaml", &k);
    let flags = ["--enable-helm", "--helm-command", helm.to_str().unwrap()];
    let want = kubectl(&theirs, ".", &flags);
    assert_eq!(want.code, 0, "{}", want.stderr);
    assert!(want.stdout.contains("name: remote-app"), "{}", want.stdout);
    let cache = tmp.path().join("cache");
    let before = server.requests();
    let got = rollout(&ours, ".", &flags, &cache);
    assert_eq!(got.code, 0, "{}", got.stderr);
    assert_eq!(got.stdout, want.stdout);
    assert!(server.requests() > before, "the first build pulled nothing");
    // kustomize pulls into the tree (charts/app-0.3.1/); we pull into the cache.
    assert!(
        !ours.join("charts").exists(),
        "rollout wrote into the kustomization"
    );
    assert!(cache.join("helm").read_dir().expect("cache").count() == 1);
    // The second build uses the cache: no request reaches the repository.
    let seen = server.requests();
    let again = rollout(&ours, ".", &flags, &cache);
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert_eq!(again.stdout, want.stdout);
    assert_eq!(
        server.requests(),
        seen,
        "the cached build contacted the chart repository"
    );
    // A version the repository does not have: exit 2 naming the chart.
    write(&ours, "kustomization.yaml", &k.replace("0.3.1", "9.9.9"));
    let bad = rollout(&ours, ".", &flags, &cache);
    assert_eq!(bad.code, 2, "{}", bad.stderr);
    assert!(
        bad.stderr.contains("helm pull") && bad.stderr.contains("\"app\""),
        "{}",
        bad.stderr
    );
}
