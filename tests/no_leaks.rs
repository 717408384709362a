//! Issue 11: every output and evidence file of diff, verify, sync, push and alerts, grepped for the
//! secret and token bytes in each encoding we can derive (raw, JSON-escaped, base64 with and
//! without a trailing newline, wrapped base64, percent-encoded). Servers listen on 127.0.0.1 only.

mod support;

use std::path::Path;

use base64::Engine;
use serde_json::json;
use support::fake_http::{FakeServer, Reply, Step};
use support::{repo, rollout};

/// Everything a run printed plus every file it left under `dir/evidence` and `dir/out`.
fn outputs(dir: &Path, out: &std::process::Output) -> Vec<(String, String)> {
    let mut texts = vec![
        (
            "stdout".to_string(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        ),
        (
            "stderr".to_string(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        ),
    ];
    for sub in ["evidence", "out"] {
        for e in std::fs::read_dir(dir.join(sub))
            .into_iter()
            .flatten()
            .flatten()
        {
            let text = std::fs::read(e.path()).unwrap_or_default();
            texts.push((
                e.path().display().to_string(),
                String::from_utf8_lossy(&text).into_owned(),
            ));
        }
    }
    texts
}

fn assert_no_leak(what: &str, texts: &[(String, String)], secrets: &[&str]) {
    for secret in secrets {
        for enc in rollout::mask::encodings(secret) {
            if enc.len() < 6 {
                continue;
            }
            for (name, text) in texts {
                assert!(
                    !text.contains(&enc),
                    "{what}: {secret:?} as {enc:?} in {name}:\n{text}"
                );
            }
        }
    }
}

fn b64(s: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(s)
}

#[test]
fn issue_11_diff_masks_secret_values_in_text_json_and_both_evidence_files() {
    let work = tempfile::tempdir().unwrap();
    let dir = work.path();
    let old = "old-redis-password-1234567890-abcdefghij-klmnopqrstuvwxyz-0123456789";
    let new = "new\"redis\\password-0987654321";
    let old_data = b64(&format!("{old}\n"));
    let wrapped = format!("{}\n{}", &old_data[..40], &old_data[40..]);
    let last_applied = json!({"apiVersion": "v1", "kind": "Secret",
        "data": {"password": wrapped},
        "metadata": {"name": "s", "namespace": "media"}})
    .to_string();
    std::fs::create_dir_all(dir.join("live")).unwrap();
    std::fs::write(
        dir.join("live/secret.yaml"),
        format!(
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\n  namespace: media\n  annotations:\n    note: {}\n    kubectl.kubernetes.io/last-applied-configuration: {}\ndata:\n  password: {}\n",
            serde_json::to_string(&format!("copy {old_data}\n")).unwrap(),
            serde_json::to_string(&last_applied).unwrap(),
            serde_json::to_string(&format!("{old_data}\n")).unwrap(),
        ),
    )
    .unwrap();
    std::fs::write(
        dir.join("rendered.yaml"),
        format!(
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\n  namespace: media\nstringData:\n  password: {}\n",
            serde_json::to_string(new).unwrap()
        ),
    )
    .unwrap();
    for extra in [&[][..], &["--output", "json"][..]] {
        let out = rollout(dir)
            .args(["diff", "rendered.yaml", "--live-dir", "live"])
            .args(["--evidence", "evidence/flag-diff.md"])
            .args(["--evidence-json", "evidence/flag-diff.json"])
            .args(extra)
            .output()
            .unwrap();
        let texts = outputs(dir, &out);
        assert_eq!(out.status.code(), Some(1), "{texts:?}");
        assert!(texts.iter().any(|(_, t)| t.contains("***")), "{texts:?}");
        assert_no_leak("diff", &texts, &[old, new]);
    }
}

#[test]
fn issue_11_verify_never_shows_secret_data() {
    let work = tempfile::tempdir().unwrap();
    std::fs::write(
        work.path().join("s.yaml"),
        "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ndata:\n  num: 123456789\n  list: [s3cr3t-in-a-list]\n",
    )
    .unwrap();
    for format in ["text", "json", "junit", "github"] {
        let out = rollout(work.path())
            .args(["verify", "s.yaml", "--output", format])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1));
        assert_no_leak(
            format,
            &outputs(work.path(), &out),
            &["123456789", "s3cr3t-in-a-list"],
        );
    }
}

const TOKEN: &str = r#"tok"with\quote-and-backslash-77aa"#;
const PASSWORD: &str = "url-pa55word-9z";

/// A server that echoes credentials back in its error body, as misconfigured proxies do.
fn echoing(method: &'static str, path: &str, status: u16) -> Step {
    Step::reply(
        method,
        path,
        Reply::Text(
            status,
            json!({"message": format!("denied: Authorization: Bearer {TOKEN} (user admin:{PASSWORD})"),
                   "token": TOKEN})
            .to_string(),
        ),
    )
}

#[test]
fn issue_11_sync_errors_and_evidence_never_show_the_token_or_url_password() {
    let fake = FakeServer::start(vec![echoing(
        "GET",
        "/api/v1/applications/media-staging",
        403,
    )]);
    let work = tempfile::tempdir().unwrap();
    let server = fake
        .url
        .replace("http://", &format!("http://admin:{PASSWORD}@"));
    let out = rollout(work.path())
        .env("ARGOCD_AUTH_TOKEN", TOKEN)
        .args(["sync", "media-staging", "--server", &server])
        .args(["--evidence", "evidence/argocd-sync.json", "--timeout", "5s"])
        .output()
        .unwrap();
    let texts = outputs(work.path(), &out);
    assert_eq!(out.status.code(), Some(2), "{texts:?}");
    assert_no_leak("sync", &texts, &[TOKEN, PASSWORD]);
    let _ = fake.finish();
}

#[test]
fn issue_11_push_errors_and_evidence_never_show_the_token_or_url_password() {
    let fake = FakeServer::start(vec![echoing("POST", "/api/dashboards/db", 401)]);
    let work = tempfile::tempdir().unwrap();
    let url = fake
        .url
        .replace("http://", &format!("http://admin:{PASSWORD}@"));
    let out = rollout(work.path())
        .env("GRAFANA_API_TOKEN", TOKEN)
        .args(["dashboards", "push", "--grafana-url", &url])
        .arg(repo().join("dashboards/media-clustering-redis-streams.json"))
        .output()
        .unwrap();
    let texts = outputs(work.path(), &out);
    assert_eq!(out.status.code(), Some(2), "{texts:?}");
    assert_no_leak("push", &texts, &[TOKEN, PASSWORD]);
    let _ = fake.finish();
    // dry run prints what it would send
    let out = rollout(work.path())
        .env("GRAFANA_API_TOKEN", TOKEN)
        .args(["dashboards", "push", "--dry-run", "--grafana-url", &url])
        .arg(repo().join("dashboards/media-clustering-redis-streams.json"))
        .output()
        .unwrap();
    assert_no_leak(
        "push --dry-run",
        &outputs(work.path(), &out),
        &[TOKEN, PASSWORD],
    );
}

#[test]
fn issue_11_alerts_never_show_the_url_password() {
    let fake = FakeServer::start(vec![echoing("POST", "/api/v2/silences", 400)]);
    let work = tempfile::tempdir().unwrap();
    let url = fake
        .url
        .replace("http://", &format!("http://admin:{PASSWORD}@"));
    for extra in [
        &["--dry-run", "--evidence", "evidence/alerts-fire.json"][..],
        &[][..],
    ] {
        let out = rollout(work.path())
            .args([
                "alerts",
                "fire",
                "--alertmanager-url",
                &url,
                "--environment",
                "staging",
            ])
            .arg("--alerts-dir")
            .arg(repo().join("alerts"))
            .args(extra)
            .output()
            .unwrap();
        // (Alertmanager takes no token: the one the server echoes is not ours to know.)
        assert_no_leak("alerts fire", &outputs(work.path(), &out), &[PASSWORD]);
    }
    let _ = fake.finish();
    let out = rollout(work.path())
        .args([
            "alerts",
            "quiet",
            "--alertmanager-url",
            "http://admin:url-pa55word-9z@127.0.0.1:9",
        ])
        .args(["--environment", "staging"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_no_leak("alerts quiet", &outputs(work.path(), &out), &[PASSWORD]);
}

/// The masking layer never alters `render`'s stdout, which is the user's own data reproduced
/// byte for byte (kubectl parity): a URL with user-info in a manifest stays as written.
#[test]
fn issue_11_render_output_is_verbatim() {
    let work = tempfile::tempdir().unwrap();
    std::fs::write(
        work.path().join("kustomization.yaml"),
        "resources: [cm.yaml]\n",
    )
    .unwrap();
    let url = "https://bot:pw12345@git.example/x.git";
    std::fs::write(
        work.path().join("cm.yaml"),
        format!("apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: c}}\ndata:\n  repo: {url}\n"),
    )
    .unwrap();
    let out = rollout(work.path()).args(["render", "."]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains(url));
}
