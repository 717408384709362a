//! The revisions `rollout preview` compares, written out as plain directories: a commit read from
//! git objects (`git ls-tree` + `git cat-file --batch`), or the work tree's files (tracked and
//! untracked, not ignored) copied. The repository itself is only read: no checkout, no index
//! change, nothing written under the work tree.
//!
//! Owns talking to `git` for these reads; knows nothing of kustomize or Argo CD.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Component, Path, PathBuf};
use std::process::{Command, Stdio};

/// Why a revision could not be read.
#[derive(Debug, thiserror::Error)]
pub enum GitReadError {
    /// `git` could not be started.
    #[error("cannot run git in {}: {source}", dir.display())]
    Spawn {
        /// Where.
        dir: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The directory is not in a git work tree.
    #[error("{} is not in a git repository (preview compares git revisions)", .0.display())]
    NotARepo(PathBuf),
    /// A ref that names no commit.
    #[error("{flag} {reference:?} is not a commit in {}: give a branch, tag or commit (e.g. origin/main)", repo.display())]
    BadRef {
        /// `--base` or `--head`.
        flag: &'static str,
        /// As given.
        reference: String,
        /// The repository.
        repo: PathBuf,
    },
    /// git ran and failed.
    #[error("`git {args}` failed: {stderr}")]
    Failed {
        /// The arguments.
        args: String,
        /// Its first line of stderr.
        stderr: String,
    },
    /// git printed something this reader does not understand.
    #[error("unexpected output from `git {args}`: {what}")]
    Output {
        /// The arguments.
        args: String,
        /// What was wrong.
        what: String,
    },
    /// A file could not be written into the temporary tree.
    #[error("cannot write {}: {source}", path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
}

/// A revision to read: a commit, or the work tree as it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Revision {
    /// A resolved commit (full object name) and the ref it was given as.
    Commit {
        /// The object name.
        sha: String,
        /// As the user wrote it.
        given: String,
    },
    /// The working tree: tracked files as they are now, and untracked files that are not ignored.
    Worktree,
}

impl Revision {
    /// How reports name it: `main (1a2b3c4)` or `work tree`.
    pub fn label(&self) -> String {
        match self {
            Revision::Commit { sha, given } => {
                let short = &sha[..sha.len().min(7)];
                if given == sha || sha.starts_with(given.as_str()) {
                    short.to_string()
                } else {
                    format!("{given} ({short})")
                }
            }
            Revision::Worktree => "work tree".to_string(),
        }
    }
}

/// What was written out: how many files, and entries that could not be (submodules).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Written {
    /// Files (and symlinks) written.
    pub files: usize,
    /// Submodule paths (their content is another repository; not read).
    pub submodules: Vec<String>,
}

fn git(dir: &Path) -> Command {
    let mut c = Command::new("git");
    c.current_dir(dir)
        .env("GIT_TERMINAL_PROMPT", "0")
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .stdin(Stdio::null());
    c
}

fn run(dir: &Path, args: &[&str]) -> Result<Vec<u8>, GitReadError> {
    let out = git(dir)
        .args(args)
        .output()
        .map_err(|source| GitReadError::Spawn {
            dir: dir.to_path_buf(),
            source,
        })?;
    if !out.status.success() {
        return Err(GitReadError::Failed {
            args: args.join(" "),
            stderr: first_line(&out.stderr),
        });
    }
    Ok(out.stdout)
}

fn first_line(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes)
        .lines()
        .next()
        .unwrap_or("")
        .trim()
        .to_string()
}

/// The top of the work tree holding `dir`.
///
/// # Errors
/// `dir` is not in a git work tree, or git cannot run.
pub fn toplevel(dir: &Path) -> Result<PathBuf, GitReadError> {
    match run(dir, &["rev-parse", "--show-toplevel"]) {
        Ok(out) => Ok(PathBuf::from(String::from_utf8_lossy(&out).trim())),
        Err(GitReadError::Failed { .. }) => Err(GitReadError::NotARepo(dir.to_path_buf())),
        Err(e) => Err(e),
    }
}

/// Resolves `reference` to a commit.
///
/// # Errors
/// [`GitReadError::BadRef`] when it names no commit.
pub fn resolve(repo: &Path, reference: &str, flag: &'static str) -> Result<Revision, GitReadError> {
    let bad = || GitReadError::BadRef {
        flag,
        reference: reference.to_string(),
        repo: repo.to_path_buf(),
    };
    // An option-like ref would be read by rev-parse as a flag.
    if reference.is_empty() || reference.starts_with('-') {
        return Err(bad());
    }
    let spec = format!("{reference}^{{commit}}");
    match run(
        repo,
        &[
            "rev-parse",
            "--verify",
            "--quiet",
            "--end-of-options",
            &spec,
        ],
    ) {
        Ok(out) => {
            let sha = String::from_utf8_lossy(&out).trim().to_string();
            if sha.is_empty() || !sha.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(bad());
            }
            Ok(Revision::Commit {
                sha,
                given: reference.to_string(),
            })
        }
        Err(GitReadError::Failed { .. }) => Err(bad()),
        Err(e) => Err(e),
    }
}

/// The fetch URLs of the repository's remotes.
///
/// # Errors
/// git cannot run.
pub fn remote_urls(repo: &Path) -> Result<Vec<String>, GitReadError> {
    let out = run(repo, &["remote", "-v"])?;
    let mut urls: Vec<String> = String::from_utf8_lossy(&out)
        .lines()
        .filter(|l| l.ends_with("(fetch)"))
        .filter_map(|l| l.split_whitespace().nth(1).map(str::to_string))
        .collect();
    urls.sort();
    urls.dedup();
    Ok(urls)
}

/// A path from git made safe to join under a directory: relative, no `..`, no empty segment.
fn safe_relative(path: &str) -> Option<PathBuf> {
    let p = Path::new(path);
    let ok = !path.is_empty() && p.components().all(|c| matches!(c, Component::Normal(_)));
    ok.then(|| p.to_path_buf())
}

/// One entry of `git ls-tree -r -z -l`.
#[derive(Debug, Clone)]
pub struct Entry {
    mode: String,
    oid: String,
    size: u64,
    path: String,
}

/// A commit's files, as `git ls-tree` lists them.
#[derive(Debug, Clone, Default)]
pub struct Listing {
    entries: Vec<Entry>,
}

impl Listing {
    /// The total size of the files, in bytes.
    pub fn bytes(&self) -> u64 {
        self.entries.iter().map(|e| e.size).sum()
    }
}

fn parse_ls_tree(out: &[u8]) -> Result<Vec<Entry>, GitReadError> {
    let mut entries = Vec::new();
    for rec in out.split(|b| *b == 0).filter(|r| !r.is_empty()) {
        let rec = String::from_utf8_lossy(rec);
        let bad = || GitReadError::Output {
            args: "ls-tree".into(),
            what: format!("{rec:?}"),
        };
        let (meta, path) = rec.split_once('\t').ok_or_else(bad)?;
        let mut parts = meta.split_whitespace();
        let (Some(mode), Some(_kind), Some(oid), Some(size)) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(bad());
        };
        entries.push(Entry {
            mode: mode.to_string(),
            oid: oid.to_string(),
            size: size.parse().unwrap_or(0),
            path: path.to_string(),
        });
    }
    Ok(entries)
}

/// Lists the files of commit `sha`.
///
/// # Errors
/// git fails or prints something unexpected.
pub fn list_commit(repo: &Path, sha: &str) -> Result<Listing, GitReadError> {
    let listing = run(repo, &["ls-tree", "-r", "-z", "-l", "--full-tree", sha])?;
    Ok(Listing {
        entries: parse_ls_tree(&listing)?,
    })
}

/// Writes the files of `listing` under `dest` (which must exist), reading only git objects. A
/// file whose content is already written (earlier in this listing, or in `linked`: another
/// revision's listing written under its directory) is hard-linked to it, not read again.
///
/// # Errors
/// git fails or prints something unexpected, or a file cannot be written.
pub fn write_listing(
    repo: &Path,
    listing: &Listing,
    dest: &Path,
    linked: Option<(&Listing, &Path)>,
) -> Result<Written, GitReadError> {
    let mut written = Written::default();
    let mut have: std::collections::HashMap<(&str, &str), PathBuf> = Default::default();
    if let Some((other, root)) = linked {
        for e in &other.entries {
            if let Some(rel) = safe_relative(&e.path) {
                have.entry((&e.oid, &e.mode))
                    .or_insert_with(|| root.join(rel));
            }
        }
    }
    let mut fetch: Vec<&Entry> = Vec::with_capacity(listing.entries.len());
    let mut links: Vec<(PathBuf, &Entry)> = Vec::new();
    let mut first: std::collections::HashMap<(&str, &str), usize> = Default::default();
    for e in &listing.entries {
        if e.mode == "160000" {
            written.submodules.push(e.path.clone());
            continue;
        }
        if safe_relative(&e.path).is_none() {
            return Err(GitReadError::Output {
                args: "ls-tree".into(),
                what: format!("unsafe path {:?}", e.path),
            });
        }
        // Symlinks are made, not linked (their text is tiny and they must stay links).
        if e.mode != "120000" {
            if let Some(p) = have.get(&(e.oid.as_str(), e.mode.as_str())) {
                links.push((p.clone(), e));
                continue;
            }
            if let Some(&i) = first.get(&(e.oid.as_str(), e.mode.as_str())) {
                let rel = safe_relative(&fetch[i].path).unwrap_or_default();
                links.push((dest.join(rel), e));
                continue;
            }
            first.insert((&e.oid, &e.mode), fetch.len());
        }
        fetch.push(e);
    }
    fetch_blobs(repo, &fetch, dest, &mut written)?;
    for (from, e) in links {
        let to = dest.join(safe_relative(&e.path).unwrap_or_default());
        let werr = |source| GitReadError::Write {
            path: to.clone(),
            source,
        };
        if let Some(parent) = to.parent() {
            std::fs::create_dir_all(parent).map_err(werr)?;
        }
        if std::fs::hard_link(&from, &to).is_err() {
            std::fs::copy(&from, &to).map_err(werr)?;
        }
        written.files += 1;
    }
    Ok(written)
}

/// Writes the tree of commit `sha` under `dest` (which must exist), reading only git objects.
///
/// # Errors
/// git fails or prints something unexpected, or a file cannot be written.
pub fn write_commit(repo: &Path, sha: &str, dest: &Path) -> Result<Written, GitReadError> {
    write_listing(repo, &list_commit(repo, sha)?, dest, None)
}

/// Reads `blobs` with one `git cat-file --batch` and writes each under `dest`.
fn fetch_blobs(
    repo: &Path,
    blobs: &[&Entry],
    dest: &Path,
    written: &mut Written,
) -> Result<(), GitReadError> {
    if blobs.is_empty() {
        return Ok(());
    }
    let mut child = git(repo)
        .args(["cat-file", "--batch"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|source| GitReadError::Spawn {
            dir: repo.to_path_buf(),
            source,
        })?;
    let mut stdin = child.stdin.take();
    let request: String = blobs.iter().map(|e| format!("{}\n", e.oid)).collect();
    // The request is written on its own thread so a full stdout pipe cannot block it.
    let writer = std::thread::spawn(move || {
        if let Some(mut s) = stdin.take() {
            let _ = s.write_all(request.as_bytes());
        }
    });
    let result = read_batch(child.stdout.take(), blobs, dest, written);
    let _ = writer.join();
    let status = child.wait();
    result?;
    match status {
        Ok(s) if s.success() => Ok(()),
        _ => {
            let mut err = Vec::new();
            if let Some(mut e) = child.stderr.take() {
                let _ = e.read_to_end(&mut err);
            }
            Err(GitReadError::Failed {
                args: "cat-file --batch".into(),
                stderr: first_line(&err),
            })
        }
    }
}

fn read_batch(
    stdout: Option<std::process::ChildStdout>,
    blobs: &[&Entry],
    dest: &Path,
    written: &mut Written,
) -> Result<(), GitReadError> {
    let Some(stdout) = stdout else {
        return Ok(());
    };
    let mut r = BufReader::with_capacity(1 << 16, stdout);
    let mut header = String::new();
    let mut content = Vec::new();
    for e in blobs {
        header.clear();
        r.read_line(&mut header)
            .map_err(|source| GitReadError::Write {
                path: dest.to_path_buf(),
                source,
            })?;
        let bad = |what: String| GitReadError::Output {
            args: "cat-file --batch".into(),
            what,
        };
        let mut parts = header.trim_end().split(' ');
        let (Some(oid), Some(_kind), Some(size)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(bad(format!("header {header:?} for {}", e.path)));
        };
        if oid != e.oid {
            return Err(bad(format!("{oid} instead of {}", e.oid)));
        }
        let size: usize = size
            .parse()
            .map_err(|_| bad(format!("size {size:?} for {}", e.path)))?;
        content.resize(size + 1, 0);
        r.read_exact(&mut content)
            .map_err(|source| GitReadError::Write {
                path: dest.join(&e.path),
                source,
            })?;
        content.truncate(size);
        let rel = safe_relative(&e.path).unwrap_or_default();
        write_entry(&dest.join(rel), &e.mode, &content)?;
        written.files += 1;
    }
    Ok(())
}

fn write_entry(path: &Path, mode: &str, content: &[u8]) -> Result<(), GitReadError> {
    let werr = |source| GitReadError::Write {
        path: path.to_path_buf(),
        source,
    };
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(werr)?;
    }
    if mode == "120000" {
        let target = String::from_utf8_lossy(content).into_owned();
        return symlink(&target, path).map_err(werr);
    }
    std::fs::write(path, content).map_err(werr)?;
    #[cfg(unix)]
    if mode == "100755" {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).map_err(werr)?;
    }
    Ok(())
}

#[cfg(unix)]
fn symlink(target: &str, link: &Path) -> std::io::Result<()> {
    std::os::unix::fs::symlink(target, link)
}

#[cfg(not(unix))]
fn symlink(target: &str, link: &Path) -> std::io::Result<()> {
    // Without symlinks, the link is written as the text git stores (as git does on such systems).
    std::fs::write(link, target)
}

/// Copies the work tree's files under `dest`: tracked ones as they are now (deleted ones left
/// out) and untracked ones that `.gitignore` does not exclude. Reads the work tree, writes only
/// under `dest`.
///
/// # Errors
/// git fails, or a file cannot be read or written.
pub fn write_worktree(root: &Path, dest: &Path) -> Result<Written, GitReadError> {
    let out = run(
        root,
        &[
            "ls-files",
            "-z",
            "--cached",
            "--others",
            "--exclude-standard",
        ],
    )?;
    let modules = run(root, &["ls-files", "-z", "--stage"])?;
    let submodules: std::collections::BTreeSet<String> = modules
        .split(|b| *b == 0)
        .filter_map(|r| {
            let r = String::from_utf8_lossy(r);
            let (meta, path) = r.split_once('\t')?;
            meta.starts_with("160000").then(|| path.to_string())
        })
        .collect();
    let mut written = Written {
        submodules: submodules.iter().cloned().collect(),
        ..Default::default()
    };
    let mut seen = std::collections::HashSet::new();
    for rec in out.split(|b| *b == 0).filter(|r| !r.is_empty()) {
        let rel = String::from_utf8_lossy(rec).into_owned();
        if submodules.contains(&rel) || !seen.insert(rel.clone()) {
            continue;
        }
        let Some(rel_path) = safe_relative(&rel) else {
            continue;
        };
        let from = root.join(&rel_path);
        let Ok(meta) = std::fs::symlink_metadata(&from) else {
            continue; // deleted in the work tree
        };
        let to = dest.join(&rel_path);
        let werr = |source| GitReadError::Write {
            path: to.clone(),
            source,
        };
        if let Some(parent) = to.parent() {
            std::fs::create_dir_all(parent).map_err(werr)?;
        }
        if meta.file_type().is_symlink() {
            let target = std::fs::read_link(&from).map_err(werr)?;
            symlink(&target.to_string_lossy(), &to).map_err(werr)?;
        } else if meta.is_file() {
            std::fs::copy(&from, &to).map_err(werr)?;
        } else {
            continue;
        }
        written.files += 1;
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sh(dir: &Path, args: &[&str]) {
        let ok = git(dir)
            .args(args)
            .env("GIT_AUTHOR_NAME", "t")
            .env("GIT_AUTHOR_EMAIL", "t@e")
            .env("GIT_COMMITTER_NAME", "t")
            .env("GIT_COMMITTER_EMAIL", "t@e")
            .status()
            .unwrap()
            .success();
        assert!(ok, "git {args:?}");
    }

    #[test]
    fn commit_and_worktree_are_written_out_and_bad_refs_rejected() {
        let repo = tempfile::tempdir().unwrap();
        let r = repo.path();
        sh(r, &["init", "-q", "-b", "main"]);
        std::fs::create_dir_all(r.join("a/b")).unwrap();
        std::fs::write(r.join("a/b/x.yaml"), "kind: X\n").unwrap();
        std::fs::write(r.join("same.txt"), "kind: X\n").unwrap();
        std::fs::write(r.join(".gitignore"), "ignored/\n").unwrap();
        sh(r, &["add", "."]);
        sh(r, &["commit", "-q", "-m", "one"]);
        std::fs::write(r.join("a/b/x.yaml"), "kind: Y\n").unwrap();
        std::fs::write(r.join("new.yaml"), "n\n").unwrap();
        std::fs::create_dir_all(r.join("ignored")).unwrap();
        std::fs::write(r.join("ignored/i.yaml"), "i\n").unwrap();
        std::fs::remove_file(r.join("same.txt")).unwrap();

        let rev = resolve(r, "main", "--base").unwrap();
        let Revision::Commit { sha, .. } = &rev else {
            panic!("{rev:?}")
        };
        assert!(rev.label().starts_with("main ("));
        let out = tempfile::tempdir().unwrap();
        let w = write_commit(r, sha, out.path()).unwrap();
        assert_eq!(w.files, 3);
        assert_eq!(
            std::fs::read_to_string(out.path().join("a/b/x.yaml")).unwrap(),
            "kind: X\n"
        );
        // A second revision linked to the first: same content, not fetched again.
        let again = tempfile::tempdir().unwrap();
        let listing = list_commit(r, sha).unwrap();
        let w = write_listing(r, &listing, again.path(), Some((&listing, out.path()))).unwrap();
        assert_eq!(w.files, 3);
        assert_eq!(
            std::fs::read_to_string(again.path().join("same.txt")).unwrap(),
            "kind: X\n"
        );
        assert!(listing.bytes() > 0);
        let wt = tempfile::tempdir().unwrap();
        let w = write_worktree(r, wt.path()).unwrap();
        assert_eq!(
            std::fs::read_to_string(wt.path().join("a/b/x.yaml")).unwrap(),
            "kind: Y\n"
        );
        assert!(wt.path().join("new.yaml").is_file());
        assert!(!wt.path().join("ignored/i.yaml").exists());
        assert!(!wt.path().join("same.txt").exists());
        assert_eq!(w.files, 3);
        for bad in ["nope", "--all", "", "main~5"] {
            assert!(
                matches!(resolve(r, bad, "--base"), Err(GitReadError::BadRef { .. })),
                "{bad}"
            );
        }
        let not_repo = tempfile::tempdir().unwrap();
        assert!(matches!(
            toplevel(not_repo.path()),
            Err(GitReadError::NotARepo(_))
        ));
    }
}
