//! Remote bases over ssh (issue 14): `git@host:path` and `ssh://host/path` URLs fetched through
//! git's ssh transport, with `GIT_SSH_COMMAND` pointing at a script that plays the ssh server
//! (it runs the `git-upload-pack` git asks for against a local directory), and `?submodules=`
//! with a real repository whose base lives in a submodule, by `file://`. Every build is
//! compared with `kubectl kustomize` on the same URL and the same environment.

mod support;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use support::tools::tool;

/// Environment both tools run with: no user git config, and `file://` submodules allowed (git
/// 2.38.1 and later refuse them by default).
const GIT_ENV: &[(&str, &str)] = &[
    ("GIT_CONFIG_GLOBAL", "/dev/null"),
    ("GIT_CONFIG_COUNT", "1"),
    ("GIT_CONFIG_KEY_0", "protocol.file.allow"),
    ("GIT_CONFIG_VALUE_0", "always"),
    ("GIT_AUTHOR_NAME", "t"),
    ("GIT_AUTHOR_EMAIL", "t@example.com"),
    ("GIT_COMMITTER_NAME", "t"),
    ("GIT_COMMITTER_EMAIL", "t@example.com"),
];

fn write(dir: &Path, rel: &str, text: &str) {
    let p = dir.join(rel);
    std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
    std::fs::write(p, text).expect("write");
}

fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .envs(GIT_ENV.iter().copied())
        .output()
        .expect("git");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A bare repository `<root>/<rel>` made from `files`, tagged `v1`.
fn bare_repo(root: &Path, rel: &str, files: &[(&str, &str)]) -> PathBuf {
    let work = root.join(format!("work-{}", rel.replace('/', "-")));
    std::fs::create_dir_all(&work).unwrap();
    git(&work, &["init", "-q", "-b", "main"]);
    for (f, t) in files {
        write(&work, f, t);
    }
    git(&work, &["add", "-A"]);
    git(&work, &["commit", "-qm", "v1"]);
    git(&work, &["tag", "v1"]);
    let bare = root.join(rel);
    std::fs::create_dir_all(bare.parent().unwrap()).unwrap();
    git(
        root,
        &[
            "clone",
            "-q",
            "--bare",
            work.to_str().unwrap(),
            bare.to_str().unwrap(),
        ],
    );
    bare
}

struct Ran {
    code: i32,
    stdout: String,
    stderr: String,
}

fn build(bin: &Path, kubectl: bool, dir: &Path, env: &[(&str, String)]) -> Ran {
    let mut cmd = Command::new(bin);
    if kubectl {
        cmd.arg("kustomize");
    } else {
        cmd.arg("render");
    }
    cmd.arg(dir)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", dir)
        .envs(GIT_ENV.iter().copied())
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())));
    let out = cmd.output().expect("run");
    Ran {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Builds `dir` with kubectl kustomize and rollout (its own cache under `cache`); both must
/// succeed with the same bytes, which are returned.
fn same_as_kubectl(dir: &Path, cache: &Path, env: &[(&str, String)]) -> String {
    let want = build(&tool("kubectl"), true, dir, env);
    assert_eq!(want.code, 0, "kubectl: {}", want.stderr);
    let mut env = env.to_vec();
    env.push(("ROLLOUT_CACHE_DIR", cache.display().to_string()));
    let got = build(Path::new(env!("CARGO_BIN_EXE_rollout")), false, dir, &env);
    assert_eq!(got.code, 0, "rollout: {}", got.stderr);
    assert_eq!(
        got.stdout,
        want.stdout,
        "output differs from kubectl for {}",
        dir.display()
    );
    got.stdout
}

const DEPLOYMENT: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n    spec:\n      containers:\n      - name: web\n        image: nginx:1.25\n";

#[test]
fn git_at_and_ssh_urls_through_a_fake_ssh_match_kubectl() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().canonicalize().unwrap();
    let served = root.join("server");
    bare_repo(
        &served,
        "repos/platform.git",
        &[
            (
                "base/kustomization.yaml",
                "resources:\n- deployment.yaml\ncommonLabels:\n  app: web\n",
            ),
            ("base/deployment.yaml", DEPLOYMENT),
        ],
    );
    // The fake ssh: the last argument is the command git wants run remotely
    // (`git-upload-pack 'repos/platform.git'`); absolute paths are taken under the served root.
    let log = root.join("ssh.log");
    let ssh = root.join("fake-ssh");
    std::fs::write(
        &ssh,
        format!(
            "#!/bin/sh\necho \"$@\" >> '{log}'\nfor a; do last=\"$a\"; done\ncmd=$(printf '%s' \"$last\" | sed \"s#'/#'{root}/#\")\ncd '{root}' && exec sh -c \"$cmd\"\n",
            log = log.display(),
            root = served.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&ssh, std::fs::Permissions::from_mode(0o755)).unwrap();
    // `ssh` variant: git passes `-p PORT` (it refuses a port for an unknown "simple" ssh).
    let env = vec![
        ("GIT_SSH_COMMAND", ssh.display().to_string()),
        ("GIT_SSH_VARIANT", "ssh".to_string()),
    ];
    let cache = root.join("cache");
    let forms = [
        "git@git.example.internal:repos/platform.git//base?ref=v1",
        "ssh://git@git.example.internal/repos/platform.git//base?ref=v1",
        "ssh://deploy@git.example.internal:2222/repos/platform.git//base?ref=main",
    ];
    for (i, form) in forms.iter().enumerate() {
        let dir = root.join(format!("ov{i}"));
        write(
            &dir,
            "kustomization.yaml",
            &format!("namespace: shop\nresources:\n- {form}\n"),
        );
        let out = same_as_kubectl(&dir, &cache, &env);
        assert!(
            out.contains("name: web") && out.contains("app: web"),
            "{out}"
        );
    }
    let seen = std::fs::read_to_string(&log).unwrap();
    assert!(
        seen.contains("git@git.example.internal git-upload-pack 'repos/platform.git'"),
        "{seen}"
    );
    assert!(
        seen.contains("git-upload-pack '/repos/platform.git'"),
        "{seen}"
    );
    assert!(
        seen.contains("-p 2222 deploy@git.example.internal"),
        "{seen}"
    );
}

#[test]
fn submodules_are_fetched_unless_the_url_says_submodules_false_as_kubectl_does() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().canonicalize().unwrap();
    let lib = bare_repo(&root, "repos/lib.git", &[("deployment.yaml", DEPLOYMENT)]);
    // The main repository: its kustomization reads a file from the submodule at vendor/lib.
    let work = root.join("work-main");
    std::fs::create_dir_all(&work).unwrap();
    git(&work, &["init", "-q", "-b", "main"]);
    write(
        &work,
        "kustomization.yaml",
        "resources:\n- vendor/lib/deployment.yaml\nnamePrefix: app-\n",
    );
    git(
        &work,
        &[
            "submodule",
            "add",
            "-q",
            &format!("file://{}", lib.display()),
            "vendor/lib",
        ],
    );
    git(&work, &["add", "-A"]);
    git(&work, &["commit", "-qm", "with submodule"]);
    let main = root.join("repos/main.git");
    git(
        &root,
        &[
            "clone",
            "-q",
            "--bare",
            work.to_str().unwrap(),
            main.to_str().unwrap(),
        ],
    );
    let url = format!("file://{}", main.display());
    let cache = root.join("cache");
    for (i, form) in [
        format!("{url}?ref=main"),
        format!("{url}?ref=main&submodules=true"),
    ]
    .iter()
    .enumerate()
    {
        let dir = root.join(format!("with{i}"));
        write(
            &dir,
            "kustomization.yaml",
            &format!("resources:\n- {form}\n"),
        );
        let out = same_as_kubectl(&dir, &cache, &[]);
        assert!(out.contains("name: app-web"), "{out}");
    }
    // Without submodules the file is not there: both refuse the build.
    let dir = root.join("without");
    write(
        &dir,
        "kustomization.yaml",
        &format!("resources:\n- {url}?ref=main&submodules=false\n"),
    );
    let want = build(&tool("kubectl"), true, &dir, &[]);
    let got = build(
        Path::new(env!("CARGO_BIN_EXE_rollout")),
        false,
        &dir,
        &[(
            "ROLLOUT_CACHE_DIR",
            root.join("cache2").display().to_string(),
        )],
    );
    assert_ne!(
        want.code, 0,
        "kubectl built without the submodule: {}",
        want.stdout
    );
    assert_eq!(got.code, 2, "rollout: {}{}", got.stdout, got.stderr);
    assert!(
        got.stderr.contains("vendor/lib/deployment.yaml"),
        "{}",
        got.stderr
    );
}
