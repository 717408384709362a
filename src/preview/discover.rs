//! What `rollout preview` renders at one revision: the Argo CD Applications in the tree (and those
//! ApplicationSets generate), else every top-level kustomization (one no other kustomization
//! includes).
//!
//! Owns the walk of a written-out revision and reading Application objects into [`App`]s.
//! Renders nothing; ApplicationSet expansion is in `appset`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use crate::value::Value;

use super::appset;

/// One source of an application: a directory of this repository and how Argo CD renders it.
#[derive(Debug, Clone, PartialEq)]
pub struct Source {
    /// The directory, relative to the repository root (`""` for the root), `/`-separated.
    pub path: String,
    /// `source.kustomize` (Argo CD's kustomize options), when set.
    pub kustomize: Option<Value>,
    /// `source.directory.recurse` (plain directories of manifests).
    pub recurse: bool,
}

/// Something to render at both revisions and compare.
#[derive(Debug, Clone, PartialEq)]
pub struct App {
    /// Identity across revisions: `NAMESPACE/NAME` of the Application (`NAME` when it sets no
    /// namespace), or the kustomization's directory.
    pub key: String,
    /// The Application's name (or the directory).
    pub name: String,
    /// `spec.destination`: the cluster (`name`, else `server`), empty when not an Application.
    pub cluster: String,
    /// `spec.destination.namespace` (or the kustomization's `namespace`).
    pub namespace: String,
    /// The file that defines it, relative to the root (the kustomization file for roots).
    pub defined_in: String,
    /// The sources rendered (in order; their resources are concatenated).
    pub sources: Vec<Source>,
    /// `ARGOCD_APP_*` values for kustomize options that use them.
    pub project: String,
    /// Sources not rendered, and why (another repository, a Helm repository chart).
    pub skipped: Vec<String>,
}

/// What a revision holds.
#[derive(Debug, Clone, Default)]
pub struct Discovery {
    /// Applications (own and generated), in key order.
    pub applications: Vec<App>,
    /// Top-level kustomizations, in path order.
    pub roots: Vec<App>,
    /// Whether any Argo CD Application or ApplicationSet was found.
    pub has_argo: bool,
    /// Files or objects that could not be read, one line each (`file: what`).
    pub problems: Vec<String>,
}

/// Which repository URLs are this repository (normalised); empty: every source is.
#[derive(Debug, Clone, Default)]
pub struct ThisRepo(pub Vec<String>);

impl ThisRepo {
    /// From URLs as written (remotes, `--repo-url`).
    pub fn new<S: AsRef<str>>(urls: &[S]) -> Self {
        ThisRepo(urls.iter().map(|u| normalize_url(u.as_ref())).collect())
    }

    /// Whether `url` names this repository.
    pub fn contains(&self, url: &str) -> bool {
        self.0.is_empty() || self.0.contains(&normalize_url(url))
    }
}

/// `https://user@GitHub.com/org/repo.git/` and `git@github.com:org/repo` both become
/// `github.com/org/repo`.
pub fn normalize_url(url: &str) -> String {
    let mut u = url.trim().to_string();
    if let Some(i) = u.find("://") {
        u = u[i + 3..].to_string();
    } else if let Some((user_host, path)) = u.split_once(':')
        && !user_host.contains('/')
    {
        u = format!("{user_host}/{path}");
    }
    if let Some((before, after)) = u.split_once('/')
        && let Some(at) = before.rfind('@')
    {
        u = format!("{}/{after}", &before[at + 1..]);
    }
    let u = u.trim_end_matches('/');
    let u = u.strip_suffix(".git").unwrap_or(u);
    match u.split_once('/') {
        Some((host, path)) => format!("{}/{path}", host.to_ascii_lowercase()),
        None => u.to_ascii_lowercase(),
    }
}

/// A `source.path` as a clean relative directory (`./a//b/` → `a/b`, `.` → ``); `None` when it
/// leaves the repository.
pub fn clean_path(p: &str) -> Option<String> {
    let mut out: Vec<&str> = Vec::new();
    for seg in p.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                out.pop()?;
            }
            s => out.push(s),
        }
    }
    Some(out.join("/"))
}

const KUSTOMIZATION_FILES: [&str; 3] = ["kustomization.yaml", "kustomization.yml", "Kustomization"];

/// The files and directories of a written-out revision (hidden directories skipped, as Argo CD's
/// directory generator does).
#[derive(Debug, Default)]
pub struct Walk {
    /// Every directory, relative, `/`-separated (the root excluded).
    pub dirs: Vec<String>,
    /// YAML files, relative.
    pub yaml_files: Vec<String>,
    /// Directories holding a kustomization file, with that file's relative path.
    pub kustomizations: Vec<(String, String)>,
}

/// Walks `root`; stops descending into hidden directories.
pub fn walk(root: &Path) -> Walk {
    let mut w = Walk::default();
    let mut stack: Vec<(PathBuf, String)> = vec![(root.to_path_buf(), String::new())];
    while let Some((dir, rel)) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&dir) else {
            continue;
        };
        let mut entries: Vec<_> = rd.filter_map(Result::ok).collect();
        entries.sort_by_key(|e| e.file_name());
        let join = |name: &str| {
            if rel.is_empty() {
                name.to_string()
            } else {
                format!("{rel}/{name}")
            }
        };
        let mut kfile = None;
        for e in entries {
            let name = e.file_name().to_string_lossy().into_owned();
            let Ok(ft) = e.file_type() else { continue };
            if ft.is_dir() {
                if !name.starts_with('.') {
                    let r = join(&name);
                    w.dirs.push(r.clone());
                    stack.push((e.path(), r));
                }
            } else if ft.is_file() || ft.is_symlink() {
                if KUSTOMIZATION_FILES.contains(&name.as_str()) && kfile.is_none() {
                    kfile = Some(join(&name));
                }
                if name.ends_with(".yaml") || name.ends_with(".yml") {
                    w.yaml_files.push(join(&name));
                }
            }
        }
        if let Some(f) = kfile {
            w.kustomizations.push((rel.clone(), f));
        }
    }
    w.dirs.sort();
    w.yaml_files.sort();
    w.kustomizations.sort();
    w
}

/// Finds what to render in the revision written out at `root`.
pub fn discover(root: &Path, this_repo: &ThisRepo) -> Discovery {
    let w = walk(root);
    let mut d = Discovery::default();
    let mut apps: BTreeMap<String, App> = BTreeMap::new();
    for file in &w.yaml_files {
        let Ok(text) = std::fs::read_to_string(root.join(file)) else {
            continue;
        };
        if !text.contains("argoproj.io") {
            continue;
        }
        let docs = match crate::yaml::parse_stream_untracked(&text) {
            Ok(docs) => docs,
            Err(e) => {
                if text.contains("kind: Application") {
                    d.problems.push(format!("{file}:{e}"));
                }
                continue;
            }
        };
        for doc in docs {
            let v = &doc.value;
            let api = v.get("apiVersion").and_then(Value::as_str).unwrap_or("");
            if !api.starts_with("argoproj.io/") {
                continue;
            }
            let at = format!("{file}:{}", doc.start);
            let found: Vec<Result<App, String>> =
                match v.get("kind").and_then(Value::as_str).unwrap_or("") {
                    "Application" => vec![application(v, file, this_repo)],
                    "ApplicationSet" => {
                        d.has_argo = true;
                        match appset::expand(v, &w.dirs, this_repo) {
                            Ok(generated) => generated
                                .into_iter()
                                .map(|g| g.and_then(|a| application(&a, file, this_repo)))
                                .collect(),
                            Err(e) => vec![Err(e)],
                        }
                    }
                    _ => continue,
                };
            d.has_argo = true;
            for app in found {
                match app {
                    Ok(app) => {
                        if let Some(first) = apps.get(&app.key) {
                            d.problems.push(format!(
                                "{at}: Application {} is defined twice (first in {})",
                                app.key, first.defined_in
                            ));
                        } else {
                            apps.insert(app.key.clone(), app);
                        }
                    }
                    Err(e) => d.problems.push(format!("{at}: {e}")),
                }
            }
        }
    }
    d.applications = apps.into_values().collect();
    d.roots = roots(root, &w);
    d
}

/// An Application object as an [`App`].
fn application(v: &Value, file: &str, this_repo: &ThisRepo) -> Result<App, String> {
    let s = |p: &str| {
        v.pointer(p)
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    let name = s("/metadata/name");
    if name.is_empty() {
        return Err("an Application has no metadata.name".into());
    }
    let ns = s("/metadata/namespace");
    let key = if ns.is_empty() {
        name.clone()
    } else {
        format!("{ns}/{name}")
    };
    let cluster = match (s("/spec/destination/name"), s("/spec/destination/server")) {
        (n, _) if !n.is_empty() => n,
        (_, server) if server == "https://kubernetes.default.svc" => "in-cluster".to_string(),
        (_, server) => server,
    };
    let spec = v.get("spec").cloned().unwrap_or(Value::Null);
    let listed: Vec<&Value> = match (spec.get("source"), spec.get("sources")) {
        (_, Some(Value::Array(list))) if !list.is_empty() => list.iter().collect(),
        (Some(src), _) => vec![src],
        _ => {
            return Err(format!(
                "Application {key} has no spec.source or spec.sources"
            ));
        }
    };
    let mut app = App {
        key,
        name,
        cluster,
        namespace: s("/spec/destination/namespace"),
        defined_in: file.to_string(),
        sources: Vec::new(),
        project: s("/spec/project"),
        skipped: Vec::new(),
    };
    for src in listed {
        let text = |k: &str| src.get(k).and_then(Value::as_str).unwrap_or("");
        let url = text("repoURL");
        if !text("chart").is_empty() {
            app.skipped.push(format!(
                "chart {} from {url} (a Helm repository, not this repository)",
                text("chart")
            ));
            continue;
        }
        if !this_repo.contains(url) {
            app.skipped.push(format!("{url} (another repository)"));
            continue;
        }
        let Some(raw) = src.get("path").and_then(Value::as_str) else {
            if src.get("ref").is_none() {
                app.skipped.push(format!("{url} (no path)"));
            }
            continue;
        };
        let Some(path) = clean_path(raw) else {
            return Err(format!(
                "Application {}: source path {raw:?} leaves the repository",
                app.key
            ));
        };
        app.sources.push(Source {
            path,
            kustomize: src.get("kustomize").filter(|k| k.is_object()).cloned(),
            recurse: src
                .pointer("/directory/recurse")
                .and_then(Value::as_bool)
                .unwrap_or(false),
        });
    }
    Ok(app)
}

/// Kustomizations that no other kustomization includes (`resources`, `bases`, `components`),
/// and that are not components: what a user would `kubectl kustomize` (the overlays).
fn roots(root: &Path, w: &Walk) -> Vec<App> {
    let mut included: BTreeSet<String> = BTreeSet::new();
    let mut components: BTreeSet<String> = BTreeSet::new();
    let mut namespaces: BTreeMap<String, String> = BTreeMap::new();
    let dirs: BTreeSet<&str> = w.kustomizations.iter().map(|(d, _)| d.as_str()).collect();
    for (dir, file) in &w.kustomizations {
        let Ok(text) = std::fs::read_to_string(root.join(file)) else {
            continue;
        };
        // A kustomization that does not parse is still a root: its build reports the error.
        let Ok(doc) = crate::yaml::parse_document(&text) else {
            continue;
        };
        let v = doc.value;
        if v.get("kind").and_then(Value::as_str) == Some("Component") {
            components.insert(dir.clone());
        }
        if let Some(ns) = v.get("namespace").and_then(Value::as_str) {
            namespaces.insert(dir.clone(), ns.to_string());
        }
        for field in ["resources", "bases", "components"] {
            let Some(Value::Array(list)) = v.get(field) else {
                continue;
            };
            for entry in list.iter().filter_map(Value::as_str) {
                if entry.contains("://") {
                    continue;
                }
                let joined = if dir.is_empty() {
                    entry.to_string()
                } else {
                    format!("{dir}/{entry}")
                };
                if let Some(p) = clean_path(&joined)
                    && dirs.contains(p.as_str())
                    && p != *dir
                {
                    included.insert(p);
                }
            }
        }
    }
    w.kustomizations
        .iter()
        .filter(|(d, _)| !included.contains(d) && !components.contains(d))
        .map(|(dir, file)| App {
            key: if dir.is_empty() {
                ".".into()
            } else {
                dir.clone()
            },
            name: if dir.is_empty() {
                ".".into()
            } else {
                dir.clone()
            },
            cluster: String::new(),
            namespace: namespaces.get(dir).cloned().unwrap_or_default(),
            defined_in: file.clone(),
            sources: vec![Source {
                path: dir.clone(),
                kustomize: None,
                recurse: false,
            }],
            project: String::new(),
            skipped: Vec::new(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_normalise_alike() {
        let all = [
            "https://github.com/Org/repo.git",
            "https://user:tok@GitHub.com/Org/repo/",
            "git@github.com:Org/repo.git",
            "ssh://git@github.com/Org/repo",
        ];
        for u in all {
            assert_eq!(normalize_url(u), "github.com/Org/repo", "{u}");
        }
        let r = ThisRepo::new(&["git@github.com:Org/repo.git"]);
        assert!(r.contains("https://github.com/Org/repo"));
        assert!(!r.contains("https://github.com/Org/other"));
        assert!(ThisRepo::default().contains("anything"));
    }

    #[test]
    fn paths_are_cleaned_and_kept_inside() {
        assert_eq!(clean_path("./apps//a/").as_deref(), Some("apps/a"));
        assert_eq!(clean_path(".").as_deref(), Some(""));
        assert_eq!(clean_path("a/../b").as_deref(), Some("b"));
        assert_eq!(clean_path("../x"), None);
    }

    fn write(root: &Path, rel: &str, text: &str) {
        let p = root.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }

    #[test]
    fn roots_are_the_kustomizations_nobody_includes() {
        let t = tempfile::tempdir().unwrap();
        let r = t.path();
        write(r, "base/kustomization.yaml", "resources: [cm.yaml]\n");
        write(
            r,
            "comp/kustomization.yaml",
            "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\n",
        );
        write(
            r,
            "overlays/a/kustomization.yaml",
            "namespace: a\nresources: [../../base]\ncomponents: [../../comp]\n",
        );
        write(
            r,
            "overlays/b/kustomization.yml",
            "resources:\n- ../../base\n",
        );
        write(r, "lone/kustomization.yaml", "resources: [x.yaml]\n");
        write(r, ".hidden/kustomization.yaml", "resources: []\n");
        let d = discover(r, &ThisRepo::default());
        assert!(!d.has_argo);
        let keys: Vec<_> = d
            .roots
            .iter()
            .map(|a| (a.key.as_str(), a.namespace.as_str()))
            .collect();
        assert_eq!(
            keys,
            [("lone", ""), ("overlays/a", "a"), ("overlays/b", "")]
        );
    }

    #[test]
    fn applications_sources_and_problems() {
        let t = tempfile::tempdir().unwrap();
        let r = t.path();
        write(
            r,
            "argocd/apps.yaml",
            "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: {name: a, namespace: argocd}\nspec:\n  project: p\n  destination: {server: https://kubernetes.default.svc, namespace: media}\n  source: {repoURL: https://github.com/o/r.git, path: ./apps/a, kustomize: {namePrefix: x-}}\n---\napiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: {name: b}\nspec:\n  destination: {name: prod}\n  sources:\n  - {repoURL: https://charts.example.com, chart: redis, targetRevision: 1.0.0}\n  - {repoURL: https://github.com/o/other, path: x}\n  - {repoURL: git@github.com:o/r, ref: values}\n  - {repoURL: git@github.com:o/r, path: apps/b, directory: {recurse: true}}\n---\napiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: {name: a, namespace: argocd}\nspec: {source: {repoURL: x, path: y}}\n---\napiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: {name: c}\nspec: {}\n",
        );
        write(
            r,
            "argocd/broken.yaml",
            "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: [\n",
        );
        let d = discover(r, &ThisRepo::new(&["https://github.com/o/r"]));
        assert!(d.has_argo);
        assert_eq!(d.applications.len(), 2);
        let a = &d.applications[0];
        assert_eq!(
            (a.key.as_str(), a.cluster.as_str(), a.namespace.as_str()),
            ("argocd/a", "in-cluster", "media")
        );
        assert_eq!(a.sources[0].path, "apps/a");
        assert!(a.sources[0].kustomize.is_some());
        let b = &d.applications[1];
        assert_eq!(b.cluster, "prod");
        assert_eq!(b.sources.len(), 1);
        assert!(b.sources[0].recurse);
        assert_eq!(b.skipped.len(), 2, "{:?}", b.skipped);
        assert_eq!(d.problems.len(), 3, "{:?}", d.problems);
        assert!(d.problems[0].contains("defined twice"));
        assert!(
            d.problems
                .iter()
                .any(|p| p.starts_with("argocd/broken.yaml:"))
        );
    }
}
