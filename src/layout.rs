//! Where an environment's files live: its overlay, its rollback overlay, its Argo CD Applications,
//! the base they build on, and the path Argo CD reads each overlay from in git.
//!
//! The one owner of these paths: `generate`, `hydrate`, `rollback`, `diff` and `verify` ask here and
//! never build them by hand. Pure except [`Layout::discover`], which looks for the git top level.

use std::path::{Component, Path, PathBuf};

use crate::spec::Spec;

/// The paths of one spec's generated files, relative to the spec's directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    /// The spec's directory as the user reached it (relative to the current directory, or
    /// absolute): messages show paths under it.
    pub root: PathBuf,
    /// The spec's directory relative to the git top level (empty when they are the same, or when
    /// there is no git repository).
    pub repo_prefix: PathBuf,
    overlays: PathBuf,
    argocd: PathBuf,
    base: PathBuf,
}

impl Layout {
    /// The layout of `spec` in the directory `root`, which lies at `repo_prefix` below the git top
    /// level.
    pub fn new(spec: &Spec, root: impl Into<PathBuf>, repo_prefix: impl Into<PathBuf>) -> Layout {
        Layout {
            root: root.into(),
            repo_prefix: repo_prefix.into(),
            overlays: normal(&spec.layout.overlays),
            argocd: normal(&spec.layout.argocd),
            base: normal(&spec.base_dir()),
        }
    }

    /// The layout of the spec read from `spec_path`: its directory is the root; the git top level
    /// is the nearest enclosing directory holding `.git` (a directory, or a file in worktrees).
    pub fn discover(spec: &Spec, spec_path: &Path) -> Layout {
        let root = spec_root(spec_path);
        let prefix = git_prefix(&root).unwrap_or_default();
        Layout::new(spec, root, prefix)
    }

    /// `<overlays>/<env>` or `<overlays>/<env>-rollback`.
    pub fn overlay_dir(&self, env: &str, rollback: bool) -> PathBuf {
        if rollback {
            self.overlays.join(format!("{env}-rollback"))
        } else {
            self.overlays.join(env)
        }
    }

    /// The kustomize base the overlays build on.
    pub fn base_dir(&self) -> &Path {
        &self.base
    }

    /// `<argocd>/<env>`: the environment's Applications.
    pub fn applications_dir(&self, env: &str) -> PathBuf {
        self.argocd.join(env)
    }

    /// The file of Application `name` of `env`.
    pub fn application_file(&self, env: &str, name: &str) -> PathBuf {
        self.applications_dir(env).join(format!("{name}.yaml"))
    }

    /// The overlay's path as Argo CD reads it: relative to the git top level, `/`-separated.
    pub fn source_path(&self, env: &str, rollback: bool) -> String {
        slash(&normal(
            &self.repo_prefix.join(self.overlay_dir(env, rollback)),
        ))
    }

    /// The path from overlay `env` to the base, as its kustomization names it (`../base`).
    pub fn base_from_overlay(&self, env: &str, rollback: bool) -> String {
        slash(&relative(&self.overlay_dir(env, rollback), &self.base))
    }

    /// A spec-relative path as messages show it: under the root the user reached the spec by.
    pub fn shown(&self, rel: &Path) -> PathBuf {
        if self.root.as_os_str().is_empty() || self.root == Path::new(".") {
            rel.to_path_buf()
        } else {
            normal(&self.root.join(rel))
        }
    }
}

/// The directory paths in the spec are relative to.
pub fn spec_root(spec: &Path) -> PathBuf {
    match spec.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// `dir` relative to the nearest enclosing directory holding `.git`; `None` outside git.
fn git_prefix(dir: &Path) -> Option<PathBuf> {
    let abs = std::fs::canonicalize(dir).ok()?;
    let mut cur = abs.as_path();
    loop {
        if cur.join(".git").exists() {
            return abs.strip_prefix(cur).ok().map(Path::to_path_buf);
        }
        cur = cur.parent()?;
    }
}

/// `a/./b/../c` → `a/c`, lexically; leading `..` are kept.
pub fn normal(p: &Path) -> PathBuf {
    let mut out: Vec<Component> = Vec::new();
    for c in p.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => match out.last() {
                Some(Component::Normal(_)) => {
                    out.pop();
                }
                _ => out.push(c),
            },
            c => out.push(c),
        }
    }
    out.iter().collect()
}

/// The path from directory `from` to `to` (both relative to one directory), lexically.
pub fn relative(from: &Path, to: &Path) -> PathBuf {
    let (from, to) = (normal(from), normal(to));
    let f: Vec<_> = from.components().collect();
    let t: Vec<_> = to.components().collect();
    let common = f.iter().zip(&t).take_while(|(a, b)| a == b).count();
    let mut out = PathBuf::new();
    for _ in common..f.len() {
        out.push("..");
    }
    for c in &t[common..] {
        out.push(c);
    }
    out
}

fn slash(p: &Path) -> String {
    p.components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(extra: &str) -> Spec {
        let text = include_str!("../rollout.yaml").to_string() + extra;
        crate::spec::parse(&text, Path::new("rollout.yaml")).unwrap()
    }

    #[test]
    fn the_media_layout_is_todays() {
        let l = Layout::new(&spec(""), ".", "");
        assert_eq!(
            l.overlay_dir("staging", false),
            PathBuf::from("overlays/staging")
        );
        assert_eq!(
            l.overlay_dir("staging", true),
            PathBuf::from("overlays/staging-rollback")
        );
        assert_eq!(l.base_from_overlay("staging", false), "../base");
        assert_eq!(l.source_path("staging", true), "overlays/staging-rollback");
        assert_eq!(
            l.application_file("staging", "media-staging"),
            PathBuf::from("argocd/staging/media-staging.yaml")
        );
        assert_eq!(
            l.shown(Path::new("overlays/staging")),
            PathBuf::from("overlays/staging")
        );
    }

    #[test]
    fn configured_directories_a_spec_in_a_subfolder_and_a_base_outside_it() {
        let s = spec("layout:\n  overlays: env/./o\n  argocd: apps\n");
        let l = Layout::new(&s, "deploy", "shop/deploy");
        assert_eq!(l.overlay_dir("dev", false), PathBuf::from("env/o/dev"));
        assert_eq!(l.source_path("dev", false), "shop/deploy/env/o/dev");
        assert_eq!(
            l.base_from_overlay("dev", false),
            "../base",
            "a chart hydrates beside the overlays"
        );
        assert_eq!(
            l.application_file("dev", "x"),
            PathBuf::from("apps/dev/x.yaml")
        );
        assert_eq!(
            l.shown(Path::new("env/o/dev")),
            PathBuf::from("deploy/env/o/dev")
        );
        assert_eq!(relative(Path::new("a/b"), Path::new("../k8s/base")), {
            PathBuf::from("../../../k8s/base")
        });
    }

    #[test]
    fn git_top_level_is_found_by_walking_up() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("repo/.git")).unwrap();
        std::fs::create_dir_all(dir.path().join("repo/a/deploy")).unwrap();
        assert_eq!(
            git_prefix(&dir.path().join("repo/a/deploy")),
            Some(PathBuf::from("a/deploy"))
        );
        assert_eq!(git_prefix(&dir.path().join("repo")), Some(PathBuf::new()));
    }
}
