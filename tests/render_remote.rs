//! Remote resources (issue 14, item 2): git bases by `file://` URL and over git's smart HTTP
//! protocol (`git http-backend` behind `tests/support/http_server.rs` on 127.0.0.1), and plain
//! HTTP files. Every build is compared with `kubectl kustomize` on the same URL; then the cache
//! (no request on a second build), `--offline`, the lock file (`--lock`, a moved tag) and
//! network failures (one `error:` line naming the URL, exit 2, bounded time).

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use support::http_server::HttpServer;
use support::tools::tool;

fn write(dir: &Path, rel: &str, text: &str) {
    let p = dir.join(rel);
    std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
    std::fs::write(p, text).expect("write");
}

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@example.com")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@example.com")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .output()
        .expect("git");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// A repository `<root>/repos/platform.git` (bare, served) made from a work tree with a base,
/// an overlay inside the repo that uses a sibling directory, a component and a file that
/// reaches outside its kustomization; tag `v1` and branch `main`.
struct Repos {
    _tmp: tempfile::TempDir,
    root: PathBuf,
    work: PathBuf,
    bare: PathBuf,
}

impl Repos {
    fn new() -> Repos {
        let tmp = tempfile::tempdir().expect("tmp");
        let root = tmp.path().canonicalize().expect("canon");
        let work = root.join("work");
        std::fs::create_dir_all(&work).expect("mkdir");
        git(&work, &["init", "-q", "-b", "main"]);
        write(
            &work,
            "base/kustomization.yaml",
            "resources:\n- deployment.yaml\n- service.yaml\ncommonLabels:\n  app: web\n",
        );
        write(
            &work,
            "base/deployment.yaml",
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 1\n  template:\n    spec:\n      containers:\n      - name: web\n        image: nginx:1.25\n",
        );
        write(
            &work,
            "base/service.yaml",
            "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  ports:\n  - port: 80\n",
        );
        write(
            &work,
            "envs/staging/kustomization.yaml",
            "resources:\n- ../../base\nnamePrefix: staging-\nreplicas:\n- name: web\n  count: 3\n",
        );
        write(
            &work,
            "components/probe/kustomization.yaml",
            "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\npatches:\n- patch: |-\n    apiVersion: apps/v1\n    kind: Deployment\n    metadata:\n      name: web\n    spec:\n      minReadySeconds: 5\n",
        );
        write(
            &work,
            "escape/kustomization.yaml",
            "resources:\n- ../base/service.yaml\n",
        );
        git(&work, &["add", "-A"]);
        git(&work, &["commit", "-qm", "v1"]);
        git(&work, &["tag", "v1"]);
        let bare = root.join("repos/platform.git");
        std::fs::create_dir_all(root.join("repos")).expect("mkdir");
        git(
            &root,
            &[
                "clone",
                "-q",
                "--bare",
                work.to_str().unwrap(),
                bare.to_str().unwrap(),
            ],
        );
        Repos {
            _tmp: tmp,
            root,
            work,
            bare,
        }
    }

    /// A new commit on main that changes the base, pushed; with `retag`, `v1` moves to it.
    fn advance(&self, retag: bool) {
        write(
            &self.work,
            "base/service.yaml",
            "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  ports:\n  - port: 8080\n",
        );
        git(&self.work, &["commit", "-qam", "v2"]);
        if retag {
            git(&self.work, &["tag", "-f", "v1"]);
        }
        git(
            &self.work,
            &[
                "push",
                "-q",
                "--force",
                self.bare.to_str().unwrap(),
                "main",
                "--tags",
            ],
        );
    }

    fn file_url(&self) -> String {
        format!("file://{}", self.bare.display())
    }
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
    took: Duration,
}

fn run(mut cmd: Command) -> Run {
    let t = Instant::now();
    let out = cmd.output().expect("run");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        took: t.elapsed(),
    }
}

fn kubectl(dir: &Path, flags: &[&str]) -> Run {
    let mut cmd = Command::new(tool("kubectl"));
    cmd.arg("kustomize")
        .arg(dir)
        .args(flags)
        .env("GIT_CONFIG_GLOBAL", "/dev/null");
    run(cmd)
}

fn rollout(dir: &Path, flags: &[&str], cache: &Path) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_rollout"));
    cmd.arg("render")
        .arg(dir)
        .args(flags)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("ROLLOUT_CACHE_DIR", cache);
    run(cmd)
}

fn kustomization(dir: &Path, text: &str) -> PathBuf {
    write(dir, "kustomization.yaml", text);
    dir.to_path_buf()
}

fn same_as_kubectl(dir: &Path, cache: &Path) -> Run {
    let want = kubectl(dir, &[]);
    assert_eq!(want.code, 0, "kubectl: {}", want.stderr);
    assert!(!want.stdout.is_empty());
    let got = rollout(dir, &[], cache);
    assert_eq!(got.code, 0, "rollout: {}", got.stderr);
    assert_eq!(
        got.stdout,
        want.stdout,
        "output differs from kubectl for {}",
        dir.display()
    );
    got
}

#[test]
fn file_urls_match_kubectl_kustomize() {
    let repos = Repos::new();
    let cache = repos.root.join("cache");
    let url = repos.file_url();
    let forms = [
        format!("{url}//base?ref=v1"),
        format!("{url}/envs/staging?ref=main"),
        format!("{url}//envs/staging?ref=v1&submodules=false&timeout=20"),
        format!("{url}//base?version=v1"),
        format!("{url}//base"),
    ];
    for (i, form) in forms.iter().enumerate() {
        let dir = kustomization(
            &repos.root.join(format!("ov{i}")),
            &format!("namespace: web\nresources:\n- {form}\n"),
        );
        same_as_kubectl(&dir, &cache);
    }
    // Two references into one repository at one ref, a remote component, a local file.
    let dir = kustomization(
        &repos.root.join("mixed"),
        &format!(
            "resources:\n- {url}//envs/staging?ref=v1\n- local.yaml\ncomponents:\n- {url}//components/probe?ref=v1\nnameSuffix: -x\n"
        ),
    );
    write(
        &dir,
        "local.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: local\n",
    );
    same_as_kubectl(&dir, &cache);
    // One checkout per commit in the cache, whatever the number of references and forms.
    let entries: Vec<_> = std::fs::read_dir(cache.join("git"))
        .expect("cache")
        .flatten()
        .flat_map(|repo| std::fs::read_dir(repo.path()).expect("repo").flatten())
        .filter(|e| e.path().is_dir() && !e.file_name().to_string_lossy().starts_with('.'))
        .collect();
    assert_eq!(entries.len(), 1, "{entries:?}");
}

#[test]
fn load_restrictor_applies_inside_remote_roots() {
    let repos = Repos::new();
    let cache = repos.root.join("cache");
    let dir = kustomization(
        &repos.root.join("escape"),
        &format!("resources:\n- {}//escape?ref=v1\n", repos.file_url()),
    );
    for flags in [&[][..], &["--load-restrictor", "LoadRestrictionsNone"][..]] {
        let want = kubectl(&dir, flags);
        assert_ne!(want.code, 0, "kubectl accepted {flags:?}: {}", want.stdout);
        assert!(want.stderr.contains("security"), "{}", want.stderr);
        let got = rollout(&dir, flags, &cache);
        assert_eq!(got.code, 2, "{flags:?}: {}", got.stderr);
        assert_eq!(
            got.stderr
                .lines()
                .filter(|l| l.starts_with("error: "))
                .count(),
            1
        );
        assert!(
            got.stderr
                .contains("security; file \"../base/service.yaml\""),
            "{}",
            got.stderr
        );
    }
}

#[test]
fn smart_http_and_plain_http_match_kubectl_and_cache() {
    let repos = Repos::new();
    let cache = repos.root.join("cache");
    let git_server = HttpServer::git(&repos.root.join("repos"));
    let files = repos.root.join("files");
    write(
        &files,
        "cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: from-http\ndata:\n  k: v\n",
    );
    let file_server = HttpServer::files(&files);
    let remote = format!(
        "{}/platform.git//envs/staging?ref=v1&timeout=20",
        git_server.url()
    );
    let plain = format!("{}/cm.yaml", file_server.url());
    let dir = kustomization(
        &repos.root.join("ov"),
        &format!("namespace: web\nresources:\n- {remote}\n- {plain}\n"),
    );
    let first = same_as_kubectl(&dir, &cache);
    assert!(git_server.requests() > 0 && file_server.requests() > 0);

    // --lock resolves every ref afresh and pins the tag's commit and the file's hash.
    let (g0, f0) = (git_server.requests(), file_server.requests());
    let locked = rollout(&dir, &["--lock"], &cache);
    assert_eq!(locked.code, 0, "{}", locked.stderr);
    assert_eq!(locked.stdout, first.stdout);
    let lock = std::fs::read_to_string(dir.join("kustomization.lock.json")).expect("lock");
    let commit = git(&repos.work, &["rev-parse", "v1"]);
    assert!(lock.contains(&commit) && lock.contains("sha256:"), "{lock}");
    assert!(
        git_server.requests() > g0,
        "--lock did not resolve the tag afresh"
    );

    // A second build with the lock: no request at all, same bytes.
    let (g1, f1) = (git_server.requests(), file_server.requests());
    let second = rollout(&dir, &[], &cache);
    assert_eq!(
        (second.code, &second.stdout),
        (0, &first.stdout),
        "{}",
        second.stderr
    );
    assert_eq!((git_server.requests(), file_server.requests()), (g1, f1));
    assert!(f1 > f0, "--lock re-read the HTTP file");
    // Figures: first build (fetches), second (cache), and kubectl (which always fetches).
    let kubectl_run = kubectl(&dir, &[]);
    eprintln!(
        "remote build: first {:?}, second (cached, locked) {:?}, kubectl kustomize {:?}",
        first.took, second.took, kubectl_run.took
    );
    assert!(
        second.took < kubectl_run.took,
        "the cached build was not faster than kubectl"
    );

    // --offline with the cache: builds; without it: one error naming the URL.
    let offline = rollout(&dir, &["--offline"], &cache);
    assert_eq!(
        (offline.code, &offline.stdout),
        (0, &first.stdout),
        "{}",
        offline.stderr
    );
    let empty = repos.root.join("empty-cache");
    let cold = rollout(&dir, &["--offline"], &empty);
    assert_eq!(cold.code, 2);
    assert!(
        cold.stderr.starts_with("error: ")
            && cold.stderr.contains(&remote)
            && cold.stderr.contains("--offline"),
        "{}",
        cold.stderr
    );

    // The tag moves: the locked build keeps its pin from the cache; with a cold cache the move
    // is an error naming the tag; --lock accepts it and the output changes as kubectl's does.
    repos.advance(true);
    let pinned = rollout(&dir, &[], &cache);
    assert_eq!(
        (pinned.code, &pinned.stdout),
        (0, &first.stdout),
        "{}",
        pinned.stderr
    );
    let moved = rollout(&dir, &[], &repos.root.join("cold"));
    assert_eq!(moved.code, 2, "{}", moved.stderr);
    assert!(
        moved.stderr.contains("ref \"v1\" moved") && moved.stderr.contains(&commit),
        "{}",
        moved.stderr
    );
    let relocked = rollout(&dir, &["--lock"], &cache);
    assert_eq!(relocked.code, 0, "{}", relocked.stderr);
    assert!(relocked.stdout.contains("port: 8080"));
    let want = kubectl(&dir, &[]);
    assert_eq!(relocked.stdout, want.stdout);

    // The served file changes: the lock's hash catches it on a build that must fetch.
    write(
        &files,
        "cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: from-http\ndata:\n  k: changed\n",
    );
    let changed = rollout(&dir, &[], &repos.root.join("cold2"));
    assert_eq!(changed.code, 2, "{}", changed.stderr);
    assert!(
        changed.stderr.contains(&plain) && changed.stderr.contains("content changed"),
        "{}",
        changed.stderr
    );
}

#[test]
fn network_failures_are_one_line_naming_the_url() {
    let repos = Repos::new();
    let cache = repos.root.join("cache");
    // Nothing listens on this port.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("addr").port()
    };
    // A server that accepts and never answers.
    let hang = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let hang_port = hang.local_addr().expect("addr").port();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for c in hang.incoming().flatten() {
            held.push(c);
        }
    });
    let git_server = HttpServer::git(&repos.root.join("repos"));
    let cases = [
        (
            format!("http://127.0.0.1:{port}/platform.git//base?ref=v1"),
            "cannot fetch",
        ),
        (format!("http://127.0.0.1:{port}/cm.yaml"), "remote"),
        (
            format!("{}//base?ref=no-such-tag", repos.file_url()),
            "no-such-tag",
        ),
        (
            format!("{}/platform.git//nowhere?ref=v1", git_server.url()),
            "no directory \"nowhere\"",
        ),
        (
            format!("http://127.0.0.1:{hang_port}/platform.git//base?ref=v1&timeout=2"),
            "timed out",
        ),
    ];
    for (url, says) in cases {
        let dir = kustomization(&repos.root.join("bad"), &format!("resources:\n- {url}\n"));
        // kustomize's HTTP client has no timeout: it would wait on the silent server forever.
        if !url.contains("timeout=2") {
            let want = kubectl(&dir, &[]);
            assert_ne!(want.code, 0, "kubectl built {url}");
        }
        let t = Instant::now();
        let got = rollout(&dir, &[], &cache);
        assert!(
            t.elapsed() < Duration::from_secs(40),
            "{url}: took {:?}",
            t.elapsed()
        );
        let errors: Vec<&str> = got
            .stderr
            .lines()
            .filter(|l| l.starts_with("error: "))
            .collect();
        assert_eq!(got.code, 2, "{url}: {}", got.stderr);
        assert_eq!(errors.len(), 1, "{url}: {}", got.stderr);
        assert!(
            errors[0].contains(&url) && errors[0].contains(says),
            "{url}: {}",
            errors[0]
        );
        assert!(
            errors[0].contains("kustomization.yaml:2:3"),
            "{}",
            errors[0]
        );
    }
}

/// `openapi.path` given as an HTTP URL is fetched as a remote file (kustomize's loader reads it
/// so): its merge keys then drive a strategic-merge patch on a custom kind, as with kubectl.
#[test]
fn openapi_schema_over_http_matches_kubectl() {
    let repos = Repos::new();
    let files = repos.root.join("files");
    write(&files, "schema.json", SCHEMA);
    let server = HttpServer::files(&files);
    let dir = repos.root.join("ov");
    write(
        &dir,
        "w.yaml",
        "apiVersion: example.com/v1alpha1\nkind: Widget\nmetadata:\n  name: w\nspec:\n  parts:\n  - name: a\n    size: 1\n  - name: b\n    size: 2\n",
    );
    let dir = kustomization(
        &dir,
        &format!(
            "resources: [w.yaml]\nopenapi:\n  path: {}/schema.json\npatches:\n- patch: |-\n    apiVersion: example.com/v1alpha1\n    kind: Widget\n    metadata:\n      name: w\n    spec:\n      parts:\n      - name: b\n        size: 3\n",
            server.url()
        ),
    );
    let run = same_as_kubectl(&dir, &repos.root.join("cache"));
    assert!(
        run.stdout
            .contains("  - name: b\n    size: 3\n  - name: a\n"),
        "{}",
        run.stdout
    );
    assert!(server.requests() > 0);
}

/// A custom schema whose `parts` list merges by `name`.
const SCHEMA: &str = r##"{
  "definitions": {
    "v1alpha1.Widget": {
      "properties": {
        "apiVersion": {"type": "string"},
        "kind": {"type": "string"},
        "metadata": {"type": "object"},
        "spec": {
          "properties": {
            "parts": {
              "items": {"$ref": "#/definitions/v1alpha1.Part"},
              "type": "array",
              "x-kubernetes-patch-merge-key": "name",
              "x-kubernetes-patch-strategy": "merge"
            }
          },
          "type": "object"
        }
      },
      "type": "object",
      "x-kubernetes-group-version-kind": [{"group": "example.com", "kind": "Widget", "version": "v1alpha1"}]
    },
    "v1alpha1.Part": {
      "properties": {"name": {"type": "string"}, "size": {"type": "integer"}},
      "type": "object"
    }
  }
}"##;
