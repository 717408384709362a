//! Asks the `git` binary whether files are committed and pushed (what Argo CD will see).
//!
//! Owns only these questions; it never changes the repository (no add, commit or push).

use std::path::{Path, PathBuf};
use std::process::Command;

/// Why `git` could not answer.
#[derive(Debug, thiserror::Error)]
pub enum GitError {
    /// The `git` binary could not be started.
    #[error("cannot run git in {dir}: {source}")]
    Spawn {
        /// The directory git was run in.
        dir: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The directory is not inside a git work tree.
    #[error("{0} is not in a git repository")]
    NotARepo(PathBuf),
    /// git ran and failed.
    #[error("`git {args}` failed in {dir}: {stderr}")]
    Failed {
        /// The arguments.
        args: String,
        /// The directory.
        dir: PathBuf,
        /// git's first line of stderr.
        stderr: String,
    },
}

/// What is not yet in the upstream branch, for the paths asked about.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Unpublished {
    /// The paths (as given) with uncommitted changes: modified, staged, untracked or deleted.
    pub uncommitted: Vec<PathBuf>,
    /// The paths (as given) changed by commits that are not on the upstream branch.
    pub unpushed: Vec<PathBuf>,
    /// The current branch when it has no upstream (`None`: it has one); `HEAD` when detached.
    pub no_upstream: Option<String>,
}

impl Unpublished {
    /// True when everything asked about is committed and pushed.
    pub fn is_clean(&self) -> bool {
        self.uncommitted.is_empty() && self.unpushed.is_empty() && self.no_upstream.is_none()
    }

    /// One phrase saying what to do, e.g. `overlays/staging-rollback has uncommitted changes:
    /// commit it and push`; `None` when clean. `show` turns a path into the way messages print it.
    pub fn advice(&self, show: impl Fn(&Path) -> PathBuf) -> Option<String> {
        let list = |paths: &[PathBuf]| {
            paths
                .iter()
                .map(|p| show(p).display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        };
        if !self.uncommitted.is_empty() {
            return Some(format!(
                "{} has uncommitted changes: commit and push them",
                list(&self.uncommitted)
            ));
        }
        if let Some(branch) = &self.no_upstream {
            return Some(if branch == "HEAD" {
                "HEAD is detached, so git cannot tell whether the commits are pushed: check out a \
                 branch that tracks the remote Argo CD reads"
                    .to_string()
            } else {
                format!(
                    "branch {branch} has no upstream, so git cannot tell whether it is pushed: \
                     push it with `git push -u origin {branch}`"
                )
            });
        }
        if !self.unpushed.is_empty() {
            return Some(format!(
                "{} has commits that are not pushed: push them (`git push`)",
                list(&self.unpushed)
            ));
        }
        None
    }
}

/// Asks git, in directory `dir`, about `paths` (relative to `dir`): uncommitted changes
/// (`git status --porcelain`) and commits not on the upstream branch (`git rev-list @{u}..HEAD`).
///
/// # Errors
/// git cannot run, `dir` is not in a git work tree, or a git command fails.
pub fn unpublished(dir: &Path, paths: &[PathBuf]) -> Result<Unpublished, GitError> {
    let inside = git(dir, &["rev-parse", "--is-inside-work-tree"]);
    match inside {
        Ok(out) if out.trim() == "true" => {}
        Ok(_) | Err(GitError::Failed { .. }) => return Err(GitError::NotARepo(dir.to_path_buf())),
        Err(e) => return Err(e),
    }
    let mut report = Unpublished::default();
    for p in paths {
        let p_str = p.to_string_lossy();
        let status = git(
            dir,
            &[
                "status",
                "--porcelain",
                "--untracked-files=all",
                "--",
                &p_str,
            ],
        )?;
        if !status.trim().is_empty() {
            report.uncommitted.push(p.clone());
        }
    }
    let upstream = git(
        dir,
        &["rev-parse", "--abbrev-ref", "--symbolic-full-name", "@{u}"],
    );
    if upstream.is_err() {
        let branch = git(dir, &["rev-parse", "--abbrev-ref", "HEAD"])
            .map(|b| b.trim().to_string())
            .unwrap_or_else(|_| "HEAD".to_string());
        report.no_upstream = Some(branch);
        return Ok(report);
    }
    for p in paths {
        let p_str = p.to_string_lossy();
        let ahead = git(dir, &["rev-list", "@{u}..HEAD", "--", &p_str])?;
        if !ahead.trim().is_empty() {
            report.unpushed.push(p.clone());
        }
    }
    Ok(report)
}

fn git(dir: &Path, args: &[&str]) -> Result<String, GitError> {
    let out = Command::new("git")
        .current_dir(dir)
        .args(args)
        .env("GIT_OPTIONAL_LOCKS", "0")
        .output()
        .map_err(|source| GitError::Spawn {
            dir: dir.to_path_buf(),
            source,
        })?;
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        return Err(GitError::Failed {
            args: args.join(" "),
            dir: dir.to_path_buf(),
            stderr: stderr.lines().next().unwrap_or("").trim().to_string(),
        });
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advice_names_the_first_thing_to_do() {
        let show = |p: &Path| Path::new("deploy").join(p);
        assert_eq!(Unpublished::default().advice(show), None);
        let u = Unpublished {
            uncommitted: vec!["overlays/dev-rollback".into()],
            unpushed: vec!["argocd/dev".into()],
            no_upstream: None,
        };
        assert_eq!(
            u.advice(show).unwrap(),
            "deploy/overlays/dev-rollback has uncommitted changes: commit and push them"
        );
        let u = Unpublished {
            no_upstream: Some("main".into()),
            ..Unpublished::default()
        };
        assert!(
            u.advice(show)
                .unwrap()
                .contains("`git push -u origin main`")
        );
        let u = Unpublished {
            unpushed: vec!["argocd/dev".into()],
            ..Unpublished::default()
        };
        assert_eq!(
            u.advice(show).unwrap(),
            "deploy/argocd/dev has commits that are not pushed: push them (`git push`)"
        );
    }
}
