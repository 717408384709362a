//! Remote resources: kustomize's git URL forms (parsed as kustomize parses them), fetched with
//! the git CLI into a content-addressed cache (one checkout per repository and commit, shared by
//! every reference and every build), plain HTTP(S) files, and the lock file that pins each ref
//! to its commit and each file to its content hash.
//!
//! Owns URL parsing, the cache layout, the lock and the network; the loader decides what a
//! fetched directory or file becomes.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use super::KustomizeError;

/// The lock file's name, next to the build root's kustomization.
pub const LOCK_FILE: &str = "kustomization.lock.json";

/// kustomize's default git timeout.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(27);

/// The HTTP(S) timeout (kustomize sets none; we bound it).
const HTTP_TIMEOUT: Duration = Duration::from_secs(30);

/// A git URL as kustomize reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepoSpec {
    /// Scheme, user and host, e.g. `https://github.com/`, `git@github.com:`, `file://`.
    pub host: String,
    /// The repository path on the host.
    pub repo_path: String,
    /// The kustomization's directory inside the repository (may be empty).
    pub root: String,
    /// `?ref=` (or `?version=`); empty: the remote HEAD.
    pub git_ref: String,
    /// `?timeout=` (seconds or a Go duration).
    pub timeout: Duration,
    /// `?submodules=` (default true).
    pub submodules: bool,
}

impl RepoSpec {
    /// What `git fetch` is given.
    pub fn clone_spec(&self) -> String {
        format!("{}{}", self.host, self.repo_path)
    }

    /// Parses `raw` as kustomize's `NewRepoSpecFromURL` does.
    ///
    /// # Errors
    /// Not a git URL (a message saying which part failed).
    pub fn parse(raw: &str) -> Result<RepoSpec, String> {
        if raw.starts_with('/') {
            return Err(format!("uri looks like abs path: {raw}"));
        }
        let (rest, query) = raw.split_once('?').unwrap_or((raw, ""));
        let (git_ref, timeout, submodules) = parse_query(query);
        let (host, path) = extract_host(rest)?;
        let all = host.starts_with("file://");
        let (repo_path, root) = split_path(path, all)?;
        Ok(RepoSpec {
            host,
            repo_path,
            root,
            git_ref,
            timeout,
            submodules,
        })
    }
}

fn parse_query(q: &str) -> (String, Duration, bool) {
    let mut values: HashMap<String, String> = HashMap::new();
    for pair in q.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        values
            .entry(percent_decode(k))
            .or_insert_with(|| percent_decode(v));
    }
    let get = |k: &str| values.get(k).cloned().unwrap_or_default();
    let mut git_ref = get("version");
    if !get("ref").is_empty() {
        git_ref = get("ref");
    }
    let mut timeout = DEFAULT_TIMEOUT;
    let t = get("timeout");
    if let Ok(n) = t.parse::<u64>() {
        if n > 0 {
            timeout = Duration::from_secs(n);
        }
    } else if let Some(d) = crate::duration::parse(&t).ok().filter(|d| !d.is_zero()) {
        timeout = d;
    }
    let submodules = match get("submodules").as_str() {
        "1" | "t" | "T" | "true" | "TRUE" | "True" => true,
        "0" | "f" | "F" | "false" | "FALSE" | "False" => false,
        _ => true,
    };
    (git_ref, timeout, submodules)
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < b.len() => match u8::from_str_radix(&s[i + 1..i + 3], 16) {
                Ok(v) => {
                    out.push(v);
                    i += 2;
                }
                Err(_) => out.push(b'%'),
            },
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn strip_prefix_ci<'a>(s: &'a str, p: &str) -> Option<&'a str> {
    (s.len() >= p.len() && s[..p.len()].eq_ignore_ascii_case(p)).then(|| &s[p.len()..])
}

fn extract_host(n: &str) -> Result<(String, &str), String> {
    let n = strip_prefix_ci(n, "git::").unwrap_or(n);
    let mut scheme = "";
    let mut rest = n;
    for p in ["ssh://", "https://", "http://", "file://"] {
        if let Some(r) = strip_prefix_ci(n, p) {
            scheme = p;
            rest = r;
            break;
        }
    }
    let user_len = {
        let b = rest.as_bytes();
        let mut i = 0;
        if b.first().is_some_and(u8::is_ascii_alphabetic) {
            i = 1;
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'-') {
                i += 1;
            }
        }
        if i > 0 && b.get(i) == Some(&b'@') {
            i + 1
        } else {
            0
        }
    };
    let (user, rest) = rest.split_at(user_len);
    let lower = rest.to_ascii_lowercase();
    let github = lower.starts_with("github.com/") || lower.starts_with("github.com:");
    let scp = scheme.is_empty() && (!user.is_empty() || github);
    if scheme.is_empty() && !scp {
        return Err("failed to parse scheme".into());
    }
    if scheme == "file://" {
        return Ok((scheme.to_string(), &n[n.len() - rest.len() - user.len()..]));
    }
    let mut sep = rest.find('/');
    if scp {
        let colon = rest.find(':');
        if let Some(c) = colon
            && c > 0
            && sep.is_none_or(|s| c < s)
        {
            sep = Some(c);
        }
    }
    let (mut host, path) = match sep {
        Some(i) => (rest[..=i].to_string(), &rest[i + 1..]),
        None => (rest.to_string(), ""),
    };
    let (mut scheme, mut user) = (scheme.to_string(), user.to_string());
    if github {
        if scheme.starts_with("ssh://") || !user.is_empty() {
            scheme = String::new();
            host = "github.com:".into();
        } else {
            scheme = "https://".into();
            user = String::new();
            host = "github.com/".into();
        }
    }
    if host.is_empty() {
        return Err("failed to parse host segment".into());
    }
    Ok((format!("{scheme}{user}{host}"), path))
}

fn split_path(n: &str, all: bool) -> Result<(String, String), String> {
    let explicit = if let Some(i) = n.find("_git/") {
        let after = &n[i + 5..];
        let (first, rest) = after.split_once('/').unwrap_or((after, ""));
        Some((format!("{}{first}", &n[..i + 5]), rest.to_string()))
    } else if let Some(i) = n.find("//") {
        Some((n[..i].to_string(), n[i + 2..].to_string()))
    } else {
        n.find(".git")
            .map(|i| (n[..i + 4].to_string(), n[i + 4..].to_string()))
    };
    let (repo, root) = match explicit {
        Some(x) => x,
        None if all => (n.to_string(), String::new()),
        None => {
            let segs: Vec<&str> = n.split('/').collect();
            if segs.len() < 2 {
                return Err("failed to parse repo path segment".into());
            }
            (segs[..2].join("/"), segs[2..].join("/"))
        }
    };
    if repo.is_empty() {
        return Err("failed to parse repo path segment".into());
    }
    let cleaned = super::loader::join_clean(Path::new(""), root.trim_start_matches('/'));
    if cleaned.components().next() == Some(std::path::Component::ParentDir) {
        return Err(format!("url path exits repo: {n}"));
    }
    Ok((repo, root.trim_start_matches('/').to_string()))
}

/// Whether kustomize would fetch `s` over HTTP(S) as a file first.
pub fn is_http(s: &str) -> bool {
    strip_prefix_ci(s, "http://").is_some() || strip_prefix_ci(s, "https://").is_some()
}

/// The lock file: every remote ref of a build pinned to its commit, every HTTP file to the
/// sha256 of its content.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Lock {
    /// `<clone spec>?ref=<ref>` → commit.
    #[serde(default)]
    pub git: BTreeMap<String, String>,
    /// URL → `sha256:<hex>`.
    #[serde(default)]
    pub http: BTreeMap<String, String>,
}

impl Lock {
    /// Reads `dir/kustomization.lock.json` if there is one.
    ///
    /// # Errors
    /// It exists but cannot be read or parsed.
    pub fn read(dir: &Path) -> Result<Option<Lock>, KustomizeError> {
        let path = dir.join(LOCK_FILE);
        match std::fs::read_to_string(&path) {
            Ok(text) => serde_json::from_str(&text).map(Some).map_err(|e| {
                KustomizeError::invalid(
                    path.display().to_string(),
                    format!("invalid lock file: {e}"),
                )
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(cause) => Err(KustomizeError::Io { path, cause }),
        }
    }

    /// The file's text (sorted keys, one entry a line, trailing newline).
    pub fn to_text(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).unwrap_or_default();
        s.push('\n');
        s
    }
}

fn git_key(spec: &RepoSpec) -> String {
    format!("{}?ref={}", spec.clone_spec(), spec.git_ref)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn sha256(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex(&sha2::Sha256::digest(bytes))
}

/// How a ref was resolved, kept in the cache: tags and commits are not resolved again.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Resolved {
    commit: String,
    immutable: bool,
}

/// Fetches and caches remote bases and files for one build.
#[derive(Debug, Default)]
pub struct Fetcher {
    cache: Option<PathBuf>,
    /// A temporary cache when no cache directory is known.
    scratch: Option<tempfile::TempDir>,
    offline: bool,
    /// The lock being enforced (a lock file was present and `--lock` was not given).
    lock: Option<Lock>,
    /// What this build resolved (written by `--lock`).
    pub resolved: Lock,
    /// This build's checkouts by lock key (one fetch per repository and ref per build).
    memo: HashMap<String, PathBuf>,
    /// Every checkout directory used (their kustomizations are load-restricted).
    pub checkouts: Vec<PathBuf>,
    /// Network operations run (fetches, ls-remotes, HTTP requests).
    pub network_ops: usize,
    /// `--lock`: resolve every ref afresh (only commits given as refs come from the cache).
    refresh: bool,
}

impl Fetcher {
    /// A fetcher with `cache` (None: a temporary one), `--offline`, and the lock to enforce.
    pub fn new(cache: Option<PathBuf>, offline: bool, lock: Option<Lock>, refresh: bool) -> Self {
        Fetcher {
            cache,
            offline,
            lock,
            refresh,
            ..Fetcher::default()
        }
    }

    fn cache_root(&mut self, at: &str) -> Result<PathBuf, KustomizeError> {
        if let Some(c) = &self.cache {
            return Ok(c.clone());
        }
        if self.scratch.is_none() {
            self.scratch = Some(tempfile::tempdir().map_err(|e| {
                KustomizeError::invalid(at, format!("cannot create a temporary directory: {e}"))
            })?);
        }
        Ok(self
            .scratch
            .as_ref()
            .map(|t| t.path().to_path_buf())
            .unwrap_or_default())
    }

    /// The checkout of `spec`'s repository at its ref (the repository root).
    ///
    /// # Errors
    /// The fetch fails or times out, `--offline` and not cached, or the ref moved from the
    /// commit the lock pins; each names the URL.
    pub fn git(&mut self, raw: &str, spec: &RepoSpec, at: &str) -> Result<PathBuf, KustomizeError> {
        super::loader::note_url(raw);
        let key = git_key(spec);
        if let Some(d) = self.memo.get(&key) {
            return Ok(d.clone());
        }
        let root = self.cache_root(at)?;
        let repo_dir = root
            .join("git")
            .join(&sha256(spec.clone_spec().as_bytes())[..24]);
        let refs_file = repo_dir.join("refs.json");
        let mut refs: BTreeMap<String, Resolved> = std::fs::read_to_string(&refs_file)
            .ok()
            .and_then(|t| serde_json::from_str(&t).ok())
            .unwrap_or_default();
        let err = |m: String| KustomizeError::invalid(at, format!("remote {raw:?}: {m}"));
        let pinned = self.lock.as_ref().and_then(|l| l.git.get(&key)).cloned();
        if self.lock.is_some() && pinned.is_none() {
            return Err(err(format!(
                "not pinned in {LOCK_FILE}; run `rollout render --lock` to add it"
            )));
        }
        if let Some(dir) = self.cached(spec) {
            return Ok(dir);
        }
        if self.offline {
            return Err(err(
                "not in the cache and --offline forbids fetching it".into()
            ));
        }
        // Fetch into a staging directory, then move it to its commit's place.
        std::fs::create_dir_all(&repo_dir)
            .map_err(|e| err(format!("cannot create {}: {e}", repo_dir.display())))?;
        let staging = tempfile::Builder::new()
            .prefix(".fetch-")
            .tempdir_in(&repo_dir)
            .map_err(|e| {
                err(format!(
                    "cannot create a directory in {}: {e}",
                    repo_dir.display()
                ))
            })?;
        let dir = staging.path();
        let deadline = Instant::now() + spec.timeout;
        let git_ref = if spec.git_ref.is_empty() {
            "HEAD"
        } else {
            spec.git_ref.as_str()
        };
        let clone = spec.clone_spec();
        self.network_ops += 1;
        run_git(dir, &["init", "-q"], deadline).map_err(&err)?;
        run_git(dir, &["remote", "add", "origin", &clone], deadline).map_err(&err)?;
        let fetched = run_git(dir, &["fetch", "--depth=1", "origin", git_ref], deadline)
            .map_err(|m| err(format!("cannot fetch {clone} ref {git_ref}: {m}")))?;
        run_git(dir, &["checkout", "-q", "FETCH_HEAD"], deadline).map_err(&err)?;
        if spec.submodules {
            run_git(
                dir,
                &["submodule", "update", "--init", "--recursive"],
                deadline,
            )
            .map_err(&err)?;
        }
        let commit = run_git(dir, &["rev-parse", "HEAD"], deadline)
            .map_err(&err)?
            .trim()
            .to_string();
        if let Some(p) = &pinned
            && *p != commit
        {
            return Err(err(format!(
                "ref {git_ref:?} moved: {LOCK_FILE} pins {p}, the repository now has {commit}; run `rollout render --lock` to accept it"
            )));
        }
        let is_sha =
            spec.git_ref.len() == 40 && spec.git_ref.chars().all(|c| c.is_ascii_hexdigit());
        let immutable = is_sha || fetched.lines().any(|l| l.trim_start().starts_with("* tag"));
        let target = repo_dir.join(&commit);
        if target.is_dir() {
            drop(staging);
        } else {
            let kept = staging.keep();
            if std::fs::rename(&kept, &target).is_err() {
                let _ = std::fs::remove_dir_all(&kept);
            }
        }
        refs.insert(
            spec.git_ref.clone(),
            Resolved {
                commit: commit.clone(),
                immutable,
            },
        );
        if let Ok(text) = serde_json::to_string_pretty(&refs) {
            let _ = crate::fsutil::write_atomic(&refs_file, text.as_bytes());
        }
        Ok(self.found(key, &commit, target))
    }

    /// The checkout of `spec` if this build can use one without the network: the lock's pin,
    /// a commit given as the ref, or a tag resolved before (with `--offline`, any ref).
    pub fn cached(&mut self, spec: &RepoSpec) -> Option<PathBuf> {
        let key = git_key(spec);
        if let Some(d) = self.memo.get(&key) {
            return Some(d.clone());
        }
        let root = match &self.cache {
            Some(c) => c.clone(),
            None => self.scratch.as_ref()?.path().to_path_buf(),
        };
        let repo_dir = root
            .join("git")
            .join(&sha256(spec.clone_spec().as_bytes())[..24]);
        let refs: BTreeMap<String, Resolved> = std::fs::read_to_string(repo_dir.join("refs.json"))
            .ok()
            .and_then(|t| serde_json::from_str(&t).ok())
            .unwrap_or_default();
        let pinned = self.lock.as_ref().and_then(|l| l.git.get(&key)).cloned();
        let is_sha =
            spec.git_ref.len() == 40 && spec.git_ref.chars().all(|c| c.is_ascii_hexdigit());
        let known = pinned
            .or_else(|| is_sha.then(|| spec.git_ref.to_lowercase()))
            .or_else(|| {
                refs.get(&spec.git_ref)
                    .filter(|r| (r.immutable && !self.refresh) || self.offline)
                    .map(|r| r.commit.clone())
            })?;
        let dir = repo_dir.join(&known);
        dir.is_dir().then(|| self.found(key, &known, dir))
    }

    fn found(&mut self, key: String, commit: &str, dir: PathBuf) -> PathBuf {
        let dir = dir.canonicalize().unwrap_or(dir);
        self.resolved.git.insert(key.clone(), commit.to_string());
        self.memo.insert(key, dir.clone());
        if !self.checkouts.contains(&dir) {
            self.checkouts.push(dir.clone());
        }
        dir
    }

    /// The bytes of an HTTP(S) file, or `Ok(None)` when the server answered with an error
    /// status and the URL is also a git URL (kustomize then clones it).
    ///
    /// # Errors
    /// Unreachable, an error status, a timeout, `--offline` without a locked copy in the
    /// cache, or content that differs from the lock's hash; each names the URL.
    pub fn http(&mut self, url: &str, at: &str) -> Result<Option<Vec<u8>>, KustomizeError> {
        super::loader::note_url(url);
        let err = |m: String| KustomizeError::invalid(at, format!("remote {url:?}: {m}"));
        let root = self.cache_root(at)?;
        let blobs = root.join("http");
        let pinned = self.lock.as_ref().and_then(|l| l.http.get(url)).cloned();
        if let Some(p) = pinned.as_ref().filter(|_| !self.refresh) {
            let hash = p.trim_start_matches("sha256:");
            if let Ok(b) = std::fs::read(blobs.join(hash))
                && sha256(&b) == hash
            {
                self.resolved.http.insert(url.to_string(), p.clone());
                return Ok(Some(b));
            }
        }
        if self.lock.is_some() && pinned.is_none() && RepoSpec::parse(url).is_err() {
            return Err(err(format!(
                "not pinned in {LOCK_FILE}; run `rollout render --lock` to add it"
            )));
        }
        if self.offline {
            return Err(err(
                "not in the cache and --offline forbids fetching it".into()
            ));
        }
        self.network_ops += 1;
        // A git URL's `?timeout=` bounds the probe too.
        let timeout = RepoSpec::parse(url).map_or(HTTP_TIMEOUT, |s| s.timeout.min(HTTP_TIMEOUT));
        let (status, body) = match http_get(url, timeout) {
            Ok(x) => x,
            // kustomize then tries the URL as a repository (whose fetch fails in turn).
            Err(_) if RepoSpec::parse(url).is_ok() => return Ok(None),
            Err(m) => return Err(err(m)),
        };
        if !(200..300).contains(&status) {
            if RepoSpec::parse(url).is_ok() {
                return Ok(None);
            }
            return Err(err(format!("HTTP status {status}")));
        }
        let hash = sha256(&body);
        if let Some(p) = &pinned
            && p.trim_start_matches("sha256:") != hash
        {
            return Err(err(format!(
                "content changed: {LOCK_FILE} pins {p}, the server sent sha256:{hash}; run `rollout render --lock` to accept it"
            )));
        }
        if std::fs::create_dir_all(&blobs).is_ok() {
            let _ = crate::fsutil::write_atomic(&blobs.join(&hash), &body);
        }
        self.resolved
            .http
            .insert(url.to_string(), format!("sha256:{hash}"));
        Ok(Some(body))
    }
}

/// Runs git in `dir` until `deadline`; its stdout, or its last stderr line.
fn run_git(dir: &Path, args: &[&str], deadline: Instant) -> Result<String, String> {
    let mut child = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_TERMINAL_PROMPT", "0")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run git: {e}"))?;
    let mut out_pipe = child.stdout.take();
    let mut err_pipe = child.stderr.take();
    let out_t = std::thread::spawn(move || {
        let mut s = String::new();
        if let Some(p) = out_pipe.as_mut() {
            let _ = std::io::Read::read_to_string(p, &mut s);
        }
        s
    });
    let err_t = std::thread::spawn(move || {
        let mut s = String::new();
        if let Some(p) = err_pipe.as_mut() {
            let _ = std::io::Read::read_to_string(p, &mut s);
        }
        s
    });
    let status = loop {
        match child.try_wait() {
            Ok(Some(s)) => break s,
            Ok(None) if Instant::now() >= deadline => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("`git {}` timed out", args.join(" ")));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(5)),
            Err(e) => return Err(format!("git: {e}")),
        }
    };
    let stdout = out_t.join().unwrap_or_default();
    let stderr = err_t.join().unwrap_or_default();
    if !status.success() {
        let last = stderr
            .lines()
            .map(str::trim)
            .rfind(|l| !l.is_empty())
            .unwrap_or("no message")
            .to_string();
        return Err(last);
    }
    // `git fetch` reports what it fetched on stderr.
    Ok(format!("{stdout}{stderr}"))
}

/// One GET with a bounded time; the status and body, or why no answer came.
fn http_get(url: &str, timeout: Duration) -> Result<(u16, Vec<u8>), String> {
    crate::clients::http::install_crypto_provider();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the HTTP client: {e}"))?;
    rt.block_on(async {
        let client = reqwest::Client::builder()
            .connect_timeout(timeout)
            .timeout(timeout)
            .user_agent(concat!("rollout/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| format!("cannot build the HTTP client: {e}"))?;
        let resp = client.get(url).send().await.map_err(|e| {
            let mut m = e.to_string();
            let mut src = std::error::Error::source(&e);
            while let Some(s) = src {
                m = format!("{m}: {s}");
                src = s.source();
            }
            m
        })?;
        let status = resp.status().as_u16();
        let body = resp
            .bytes()
            .await
            .map_err(|e| format!("reading the body: {e}"))?;
        Ok((status, body.to_vec()))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kustomize_url_forms() {
        // (url, host, repo path, root, ref)
        let cases = [
            (
                "https://github.com/org/repo//path/to?ref=v1",
                "https://github.com/",
                "org/repo",
                "path/to",
                "v1",
            ),
            (
                "github.com/org/repo/sub?ref=main",
                "https://github.com/",
                "org/repo",
                "sub",
                "main",
            ),
            (
                "git@github.com:org/repo.git/sub?version=v2",
                "git@github.com:",
                "org/repo.git",
                "sub",
                "v2",
            ),
            (
                "ssh://git@github.com/org/repo//x",
                "git@github.com:",
                "org/repo",
                "x",
                "",
            ),
            (
                "ssh://git@example.com/org/repo.git//x",
                "ssh://git@example.com/",
                "org/repo.git",
                "x",
                "",
            ),
            (
                "file:///tmp/repos/r.git//base?ref=main",
                "file://",
                "/tmp/repos/r.git",
                "base",
                "main",
            ),
            ("file:///tmp/repos/r", "file://", "/tmp/repos/r", "", ""),
            (
                "http://127.0.0.1:8080/r.git//b?ref=v1&timeout=5",
                "http://127.0.0.1:8080/",
                "r.git",
                "b",
                "v1",
            ),
            (
                "https://dev.azure.com/org/proj/_git/repo/sub",
                "https://dev.azure.com/",
                "org/proj/_git/repo",
                "sub",
                "",
            ),
            (
                "git::https://example.com/org/repo.git//d",
                "https://example.com/",
                "org/repo.git",
                "d",
                "",
            ),
        ];
        for (url, host, repo, root, r) in cases {
            let s = RepoSpec::parse(url).unwrap_or_else(|e| panic!("{url}: {e}"));
            assert_eq!(
                (
                    s.host.as_str(),
                    s.repo_path.as_str(),
                    s.root.as_str(),
                    s.git_ref.as_str()
                ),
                (host, repo, root, r),
                "{url}"
            );
        }
        let s = RepoSpec::parse("https://h/o/r//d?timeout=5&submodules=false").unwrap();
        assert_eq!((s.timeout, s.submodules), (Duration::from_secs(5), false));
        let s = RepoSpec::parse("https://h/o/r//d?timeout=1m30s").unwrap();
        assert_eq!(s.timeout, Duration::from_secs(90));
        let s = RepoSpec::parse("https://h/o/r//d?timeout=bad").unwrap();
        assert_eq!(s.timeout, DEFAULT_TIMEOUT);
    }

    /// Issue 14: the ssh and scp-like forms, with the clone spec kustomize's repospec tests expect.
    #[test]
    fn issue_14_ssh_and_scp_forms_give_kustomizes_clone_specs() {
        let cases = [
            (
                "git@github.com:someorg/somerepo/somedir",
                "git@github.com:someorg/somerepo",
                "somedir",
            ),
            (
                "git@github.com/someorg/somerepo/somepath",
                "git@github.com:someorg/somerepo",
                "somepath",
            ),
            (
                "git@gitlab2.sqtools.ru:infra/kubernetes/thanos-base.git?ref=v0.1.0",
                "git@gitlab2.sqtools.ru:infra/kubernetes/thanos-base.git",
                "",
            ),
            (
                "git@bitbucket.org:company/project.git//path?ref=branch",
                "git@bitbucket.org:company/project.git",
                "path",
            ),
            (
                "git@bitbucket.org/company/project.git//path?ref=branch",
                "git@bitbucket.org/company/project.git",
                "path",
            ),
            (
                "ssh://git@bitbucket.org/company/project.git//path?ref=branch",
                "ssh://git@bitbucket.org/company/project.git",
                "path",
            ),
            (
                "ssh://git-codecommit.us-east-2.amazonaws.com/someorg/somerepo/somepath",
                "ssh://git-codecommit.us-east-2.amazonaws.com/someorg/somerepo",
                "somepath",
            ),
            (
                "ssh://git@github.com/kubernetes-sigs/kustomize//examples/multibases/dev?ref=v1.0.6",
                "git@github.com:kubernetes-sigs/kustomize",
                "examples/multibases/dev",
            ),
            (
                "ssh://alice@example.com/path/to/repo//examples/multibases/dev",
                "ssh://alice@example.com/path/to/repo",
                "examples/multibases/dev",
            ),
            (
                "ssh://git@127.0.0.1:2222/srv/platform.git//base?ref=v1",
                "ssh://git@127.0.0.1:2222/srv/platform.git",
                "base",
            ),
        ];
        for (url, clone, root) in cases {
            let s = RepoSpec::parse(url).unwrap_or_else(|e| panic!("{url}: {e}"));
            assert_eq!(
                (s.clone_spec().as_str(), s.root.as_str()),
                (clone, root),
                "{url}"
            );
        }
        for bad in [
            "git@scp://github.com/org/repo.git//path",
            "git@ssh://github.com/org/repo.git//path",
        ] {
            let got = RepoSpec::parse(bad);
            assert!(got.is_err(), "{bad}: {got:?}");
        }
    }

    #[test]
    fn not_git_urls() {
        for url in [
            "/abs/path",
            "base",
            "../base",
            "ftp://h/o/r",
            "https://h/onlyone",
            "https://h/o/r//../x",
        ] {
            assert!(RepoSpec::parse(url).is_err(), "{url}");
        }
    }

    #[test]
    fn lock_round_trips() {
        let mut l = Lock::default();
        l.git.insert("file:///r.git?ref=v1".into(), "a".repeat(40));
        l.http.insert("http://h/x.yaml".into(), "sha256:00".into());
        let back: Lock = serde_json::from_str(&l.to_text()).unwrap();
        assert_eq!(back, l);
    }
}
