//! `rollout preview`: what a change does to every application, with no cluster. Both revisions
//! are written out from git objects (the work tree is only read), the applications found at
//! each (Argo CD Applications and generated ApplicationSet apps, else top-level kustomizations)
//! are rendered with our kustomize engine on all cores (resource and patch files shared by many
//! builds parsed once, by content), and each application's two renders are compared with
//! `rollout diff`'s change model.
//!
//! Owns the orchestration and the report model; reading git is `gitread`, finding applications
//! `discover` and `appset`, rendering one source `source`, pairing renders `compare`, and the
//! Markdown, JSON and text output `report`. Prints nothing.

pub mod appset;
pub mod compare;
pub mod discover;
pub mod gitread;
pub mod report;
pub mod source;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::diff::{Action, ObjectDiff};
use crate::kustomize::cache::ParseCache;
use crate::resource::Resource;
use discover::{App, Discovery, ThisRepo};
use gitread::{GitReadError, Revision};
use source::Rendered;

/// What `rollout preview` compares and how.
#[derive(Debug, Clone, Default)]
pub struct PreviewOptions {
    /// A directory inside the repository (`.`).
    pub repo: PathBuf,
    /// The base ref (the branch the change goes into).
    pub base: String,
    /// The head ref; `None`: the work tree.
    pub head: Option<String>,
    /// URLs that also name this repository in `repoURL` (besides its remotes).
    pub repo_urls: Vec<String>,
    /// Also report `verify` findings present at head and not at base.
    pub verify: bool,
    /// Render threads (`None`: one per core).
    pub threads: Option<usize>,
}

/// Why a preview could not be made (exit 2). Render failures are findings, not errors.
#[derive(Debug, thiserror::Error)]
pub enum PreviewError {
    /// git could not be read, or a ref names no commit.
    #[error(transparent)]
    Git(#[from] GitReadError),
    /// A temporary directory could not be made.
    #[error("cannot create a temporary directory: {0}")]
    Temp(#[source] std::io::Error),
}

/// What an application's comparison came to.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// Both revisions render the same (semantically).
    Unchanged,
    /// Resources differ.
    Changed,
    /// The application exists at head only.
    Added,
    /// The application exists at base only.
    Removed,
    /// It does not render at head (the message says why).
    Failed,
    /// Nothing of it could be rendered (every source skipped).
    Skipped,
}

/// Resource counts of one application.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Counts {
    /// Resources only at head.
    pub added: usize,
    /// Resources at both, different.
    pub changed: usize,
    /// Resources only at base.
    pub removed: usize,
    /// Resources at both, equal.
    pub unchanged: usize,
}

/// A `verify` finding present at head and not at base.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct NewFinding {
    /// `error`, `warning` or `note`.
    pub severity: String,
    /// The diagnostic code.
    pub code: String,
    /// The message.
    pub message: String,
    /// `file:line:col` at head, when known.
    pub at: Option<String>,
}

/// One application's result.
#[derive(Debug, Clone)]
pub struct AppResult {
    /// The application (as found at head, else at base).
    pub app: App,
    /// What happened.
    pub status: Status,
    /// Resource counts.
    pub counts: Counts,
    /// The objects that differ (unchanged ones are only counted).
    pub objects: Vec<ObjectDiff>,
    /// Why it does not render at head ([`Status::Failed`]).
    pub error: Option<String>,
    /// Why it did not render at base (compared as if it had nothing there).
    pub base_error: Option<String>,
    /// Sources not rendered and why.
    pub skipped: Vec<String>,
    /// `--verify`: findings the change introduces.
    pub findings: Vec<NewFinding>,
}

impl AppResult {
    /// Whether this application is part of the change's effect (shown in the comment).
    pub fn is_finding(&self) -> bool {
        !matches!(self.status, Status::Unchanged | Status::Skipped) || !self.findings.is_empty()
    }
}

/// How applications were found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Mode {
    /// Argo CD Applications (and ApplicationSets).
    Applications,
    /// No Argo CD objects: top-level kustomizations.
    Kustomizations,
}

/// The result of `rollout preview`.
#[derive(Debug, Clone)]
pub struct Preview {
    /// The base revision.
    pub base: Revision,
    /// The head revision.
    pub head: Revision,
    /// How applications were found.
    pub mode: Mode,
    /// Every application, in key order.
    pub apps: Vec<AppResult>,
    /// Discovery problems at head that base does not have (findings).
    pub problems: Vec<String>,
    /// Discovery problems at both revisions (not caused by the change; shown as notes).
    pub known_problems: Vec<String>,
    /// Builds run and the parse cache's (hits, misses).
    pub stats: Stats,
}

/// What the run did (for the stderr line).
#[derive(Debug, Clone, Copy, Default)]
pub struct Stats {
    /// Source renders run (after sharing identical ones).
    pub renders: usize,
    /// Parse cache hits.
    pub cache_hits: u64,
    /// Parse cache misses (files parsed).
    pub cache_misses: u64,
}

impl Preview {
    /// True when any application changed, appeared, disappeared or stopped rendering, or head
    /// brought a new problem or finding (exit 1).
    pub fn has_changes(&self) -> bool {
        !self.problems.is_empty() || self.apps.iter().any(AppResult::is_finding)
    }
}

/// Makes the preview.
///
/// # Errors
/// Not a git repository, a ref that names no commit, git failing, or no temporary space.
pub fn run(opts: &PreviewOptions) -> Result<Preview, PreviewError> {
    let repo = if opts.repo.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        opts.repo.clone()
    };
    let root = gitread::toplevel(&repo)?;
    let base = gitread::resolve(&root, &opts.base, "--base")?;
    let head = match &opts.head {
        Some(h) => gitread::resolve(&root, h, "--head")?,
        None => Revision::Worktree,
    };
    let mut urls = gitread::remote_urls(&root)?;
    urls.extend(opts.repo_urls.iter().cloned());
    let this_repo = ThisRepo::new(&urls);
    // `${ARGOCD_APP_REVISION}` of the work tree: the commit it is on.
    let head_sha = match &head {
        Revision::Commit { sha, .. } => sha.clone(),
        Revision::Worktree => match gitread::resolve(&root, "HEAD", "--head") {
            Ok(Revision::Commit { sha, .. }) => sha,
            _ => String::new(),
        },
    };
    let base_sha = match &base {
        Revision::Commit { sha, .. } => sha.clone(),
        Revision::Worktree => String::new(),
    };
    let base_listing = gitread::list_commit(&root, &base_sha)?;
    let head_listing = match &head {
        Revision::Commit { sha, .. } => Some(gitread::list_commit(&root, sha)?),
        Revision::Worktree => None,
    };
    let tmp = tempfile::Builder::new()
        .prefix("rollout-preview-")
        .tempdir_in(temp_root(base_listing.bytes()))
        .map_err(PreviewError::Temp)?;
    let (base_dir, head_dir) = (tmp.path().join("base"), tmp.path().join("head"));
    for d in [&base_dir, &head_dir] {
        std::fs::create_dir_all(d).map_err(PreviewError::Temp)?;
    }
    gitread::write_listing(&root, &base_listing, &base_dir, None)?;
    // Head is written (files base has are hard links) while base is walked.
    let (b, h) = std::thread::scope(|s| {
        let b = s.spawn(|| discover::discover(&base_dir, &this_repo));
        let h = s.spawn(|| -> Result<Discovery, GitReadError> {
            match &head_listing {
                Some(l) => {
                    gitread::write_listing(&root, l, &head_dir, Some((&base_listing, &base_dir)))?
                }
                None => gitread::write_worktree(&root, &head_dir)?,
            };
            Ok(discover::discover(&head_dir, &this_repo))
        });
        (join(b), join(h))
    });
    let (base_found, head_found) = (b, h?);
    let mode = if base_found.has_argo || head_found.has_argo {
        Mode::Applications
    } else {
        Mode::Kustomizations
    };
    let pick = |d: &Discovery| match mode {
        Mode::Applications => d.applications.clone(),
        Mode::Kustomizations => d.roots.clone(),
    };
    let (base_apps, head_apps) = (pick(&base_found), pick(&head_found));
    let base_problems: BTreeSet<&String> = base_found.problems.iter().collect();
    let (known_problems, problems): (Vec<String>, Vec<String>) = head_found
        .problems
        .iter()
        .cloned()
        .partition(|p| base_problems.contains(p));

    let cache = Arc::new(ParseCache::new());
    let sides = [
        Side {
            root: &base_dir,
            env: source::AppEnv {
                revision: base_sha.clone(),
            },
        },
        Side {
            root: &head_dir,
            env: source::AppEnv { revision: head_sha },
        },
    ];
    // One render per distinct (side, sources, options); applications sharing one share it.
    let mut jobs: Vec<(usize, &App)> = Vec::new();
    let mut job_of: HashMap<(usize, String), usize> = HashMap::new();
    let mut app_job: Vec<[Option<usize>; 2]> = Vec::new();
    let keys: BTreeSet<&String> = base_apps.iter().chain(&head_apps).map(|a| &a.key).collect();
    let base_by: BTreeMap<&String, &App> = base_apps.iter().map(|a| (&a.key, a)).collect();
    let head_by: BTreeMap<&String, &App> = head_apps.iter().map(|a| (&a.key, a)).collect();
    for key in &keys {
        let mut pair = [None, None];
        for (side, by) in [&base_by, &head_by].iter().enumerate() {
            if let Some(app) = by.get(*key) {
                let k = (side, render_key(app));
                let next = jobs.len();
                let j = *job_of.entry(k).or_insert(next);
                if j == next {
                    jobs.push((side, app));
                }
                pair[side] = Some(j);
            }
        }
        app_job.push(pair);
    }
    let results = render_all(&jobs, &sides, &cache, opts.threads);
    let mut apps = Vec::with_capacity(keys.len());
    for (key, pair) in keys.iter().zip(&app_job) {
        let app = head_by
            .get(*key)
            .or_else(|| base_by.get(*key))
            .map(|a| (*a).clone());
        let Some(app) = app else { continue };
        let get = |j: Option<usize>| j.and_then(|j| results.get(j));
        apps.push(result_of(app, get(pair[0]), get(pair[1]), pair));
    }
    if opts.verify {
        for a in apps
            .iter_mut()
            .filter(|a| matches!(a.status, Status::Changed | Status::Added))
        {
            a.findings = new_findings(&a.app, &base_dir, &head_dir);
        }
    }
    let (cache_hits, cache_misses) = cache.stats();
    let preview = Preview {
        base,
        head,
        mode,
        apps,
        problems,
        known_problems,
        stats: Stats {
            renders: jobs.len(),
            cache_hits,
            cache_misses,
        },
    };
    // Freeing the written-out trees is the temp dir's drop; nothing waits on the parsed nodes.
    drop(results);
    drop(tmp);
    Ok(preview)
}

/// Where the revisions are written out: `$ROLLOUT_TMPDIR`, else `$TMPDIR`, else `/dev/shm` (memory:
/// creating thousands of small files there is far cheaper than on a disk) when the tree is
/// below 512 MiB, else the system's temporary directory.
fn temp_root(tree_bytes: u64) -> PathBuf {
    let env = |k: &str| {
        std::env::var_os(k)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    if let Some(d) = env("ROLLOUT_TMPDIR").or_else(|| env("TMPDIR")) {
        return d;
    }
    let shm = Path::new("/dev/shm");
    let writable =
        shm.is_dir() && std::fs::metadata(shm).is_ok_and(|m| !m.permissions().readonly());
    if tree_bytes < 512 << 20 && writable {
        return shm.to_path_buf();
    }
    std::env::temp_dir()
}

fn join<T>(h: std::thread::ScopedJoinHandle<'_, T>) -> T {
    h.join().unwrap_or_else(|p| std::panic::resume_unwind(p))
}

struct Side<'a> {
    root: &'a Path,
    env: source::AppEnv,
}

/// What decides a render: the sources and, when kustomize options may use them, the app's
/// name, namespace and project.
fn render_key(app: &App) -> String {
    let sources: Vec<_> = app
        .sources
        .iter()
        .map(|s| (&s.path, &s.kustomize, s.recurse))
        .collect();
    let named = app.sources.iter().any(|s| s.kustomize.is_some());
    let who = if named {
        (
            app.name.as_str(),
            app.namespace.as_str(),
            app.project.as_str(),
        )
    } else {
        ("", "", "")
    };
    serde_json::to_string(&(sources, who)).unwrap_or_default()
}

/// One render: the resources of every source (concatenated), or the first error; notes of
/// skipped sources.
#[derive(Debug, Clone, Default)]
struct Render {
    resources: Vec<Resource>,
    error: Option<String>,
    skipped: Vec<String>,
}

fn render_job(app: &App, side: &Side<'_>, cache: &Arc<ParseCache>) -> Render {
    let mut out = Render::default();
    for src in &app.sources {
        match source::render(side.root, app, src, &side.env, cache) {
            Ok(Rendered::Resources(list)) => out.resources.extend(list),
            Ok(Rendered::Skipped(why)) => out.skipped.push(why),
            Err(e) => {
                out.error = Some(relative_to(&e, side.root));
                break;
            }
        }
    }
    out
}

/// A message with the written-out tree's location removed, so files read `apps/x/kustomization.yaml`.
fn relative_to(msg: &str, root: &Path) -> String {
    let r = root.display().to_string();
    msg.replace(&format!("{r}/"), "").replace(&r, ".")
}

/// Renders every job on `threads` workers (default: one per core), results in job order.
fn render_all(
    jobs: &[(usize, &App)],
    sides: &[Side<'_>; 2],
    cache: &Arc<ParseCache>,
    threads: Option<usize>,
) -> Vec<Render> {
    let n = threads
        .unwrap_or_else(crate::kustomize::cores)
        .clamp(1, 64)
        .min(jobs.len().max(1));
    let next = AtomicUsize::new(0);
    let mut parts: Vec<Vec<(usize, Render)>> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..n)
            .filter_map(|i| {
                // Each worker builds on its own stack, sized for the deepest kustomization chain.
                std::thread::Builder::new()
                    .name(format!("preview-{i}"))
                    .stack_size(crate::kustomize::BUILD_STACK_BYTES)
                    .spawn_scoped(s, || {
                        let mut done = Vec::new();
                        loop {
                            let i = next.fetch_add(1, Ordering::Relaxed);
                            let Some((side, app)) = jobs.get(i) else {
                                break;
                            };
                            done.push((i, render_job(app, &sides[*side], cache)));
                        }
                        done
                    })
                    .ok()
            })
            .collect();
        workers.into_iter().map(join).collect()
    });
    // A job no worker ran (none could start) is reported, never taken as unchanged.
    let missing = Render {
        error: Some("internal error: not rendered (no render thread could start)".into()),
        ..Render::default()
    };
    let mut out: Vec<Render> = vec![missing; jobs.len()];
    for part in &mut parts {
        for (i, r) in part.drain(..) {
            out[i] = r;
        }
    }
    out
}

fn result_of(
    app: App,
    base: Option<&Render>,
    head: Option<&Render>,
    pair: &[Option<usize>; 2],
) -> AppResult {
    let mut skipped = app.skipped.clone();
    if let Some(h) = head.or(base) {
        skipped.extend(h.skipped.iter().cloned());
    }
    let mut r = AppResult {
        app,
        status: Status::Unchanged,
        counts: Counts::default(),
        objects: Vec::new(),
        error: None,
        base_error: None,
        skipped,
        findings: Vec::new(),
    };
    if let Some(e) = head.and_then(|h| h.error.clone()) {
        r.status = Status::Failed;
        r.error = Some(e);
        return r;
    }
    r.base_error = base.and_then(|b| b.error.clone());
    fn resources(x: Option<&Render>) -> &[Resource] {
        x.filter(|x| x.error.is_none())
            .map_or(&[], |x| x.resources.as_slice())
    }
    // Two sides that are the same render job (same sources, nothing changed) are equal.
    let objects = if pair[0].is_some() && pair[0] == pair[1] {
        Vec::new()
    } else {
        compare::compare(resources(base), resources(head))
    };
    for o in &objects {
        match o.action {
            Action::Created => r.counts.added += 1,
            Action::Changed => r.counts.changed += 1,
            Action::Pruned => r.counts.removed += 1,
            Action::Unchanged => r.counts.unchanged += 1,
        }
    }
    if pair[0].is_some() && pair[0] == pair[1] {
        r.counts.unchanged = resources(head).len();
    }
    r.objects = objects
        .into_iter()
        .filter(|o| o.action != Action::Unchanged)
        .collect();
    let all_skipped = r.app.sources.is_empty()
        || head
            .or(base)
            .is_some_and(|x| x.skipped.len() >= r.app.sources.len());
    r.status = match (base.is_some(), head.is_some()) {
        (false, true) => Status::Added,
        (true, false) => Status::Removed,
        _ if all_skipped && r.objects.is_empty() => Status::Skipped,
        _ if r.objects.is_empty() && r.base_error.is_none() => Status::Unchanged,
        _ => Status::Changed,
    };
    r
}

/// `verify` on the application's directories at both revisions: what head reports that base
/// does not (by code and message; positions move with edits).
fn new_findings(app: &App, base_root: &Path, head_root: &Path) -> Vec<NewFinding> {
    let run = |root: &Path| -> Vec<NewFinding> {
        let paths: Vec<PathBuf> = app
            .sources
            .iter()
            .map(|s| root.join(&s.path))
            .filter(|p| p.is_dir())
            .collect();
        if paths.is_empty() {
            return Vec::new();
        }
        let opts = crate::verify::VerifyOptions {
            paths,
            root: root.to_path_buf(),
            ..Default::default()
        };
        match crate::verify::run(&opts) {
            Ok(report) => report
                .diagnostics
                .iter()
                .map(|d| NewFinding {
                    severity: d.severity.as_str().to_string(),
                    code: d.code.clone(),
                    message: relative_to(&d.message, root),
                    at: d.span.as_ref().map(|s| relative_to(&s.describe(), root)),
                })
                .collect(),
            Err(e) => vec![NewFinding {
                severity: "error".into(),
                code: "verify-failed".into(),
                message: relative_to(&e.to_string(), root),
                at: None,
            }],
        }
    };
    let (base, head) = std::thread::scope(|s| {
        let b = s.spawn(|| run(base_root));
        let h = run(head_root);
        (join(b), h)
    });
    let mut left: HashMap<(String, String), usize> = HashMap::new();
    for f in &base {
        *left.entry((f.code.clone(), f.message.clone())).or_default() += 1;
    }
    head.into_iter()
        .filter(
            |f| match left.get_mut(&(f.code.clone(), f.message.clone())) {
                Some(n) if *n > 0 => {
                    *n -= 1;
                    false
                }
                _ => true,
            },
        )
        .collect()
}
