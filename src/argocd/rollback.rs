//! `rollout rollback`: write the environment's rollback overlay (flag `"0"`), and optionally hand it
//! to Argo CD by syncing the Application that deploys it. Owns the order and the safety checks;
//! writing the overlay itself is the generator's job, passed in as [`WriteRollback`].
//!
//! Argo CD syncs from git, not from this checkout. So the sync is refused when writing the overlay
//! changed files, or when git says the overlay or the Application has uncommitted or unpushed
//! changes (asked through [`CheckPublished`], which the binary wires to `rollout::git`): they must
//! be committed and pushed first, else Argo CD would sync the old overlay and report success. And
//! the Application synced must deploy the rollback overlay's path in git (checked with a `GET`
//! before the sync request).

use std::path::PathBuf;

use super::progress::Event;
use super::sync::{self, SyncError, SyncOptions, SyncReport};

/// What writing the rollback overlay did.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RollbackOverlay {
    /// The overlay directory as messages show it, e.g. `overlays/staging-rollback`.
    pub dir: PathBuf,
    /// The overlay as Argo CD reads it, relative to the git top level: the Application synced
    /// must deploy this path.
    pub source_path: String,
    /// Files that were written because their bytes changed (unchanged files are not listed).
    pub changed: Vec<PathBuf>,
}

/// The generator step: writes the rollback overlay of `env` and says what changed.
pub type WriteRollback<'a> =
    dyn FnMut(&str) -> Result<RollbackOverlay, Box<dyn std::error::Error + Send + Sync>> + 'a;

/// The git step, run only before a sync: `Ok(None)` when the overlay and the Application are
/// committed and pushed, `Ok(Some(what to do))` when they are not (e.g. "overlays/staging-rollback
/// has uncommitted changes: commit and push them").
pub type CheckPublished<'a> = dyn FnMut(&RollbackOverlay) -> Result<Option<String>, Box<dyn std::error::Error + Send + Sync>>
    + 'a;

/// `rollout rollback` options.
#[derive(Debug, Clone)]
pub struct RollbackOptions {
    /// The environment, e.g. `staging`.
    pub env: String,
    /// Sync this Application after writing (`--sync APP`); its `expect_path` is set here.
    pub sync: Option<SyncOptions>,
}

/// What `rollout rollback` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RollbackReport {
    /// The overlay written.
    pub overlay: RollbackOverlay,
    /// The sync, when one ran.
    pub sync: Option<SyncReport>,
}

impl RollbackReport {
    /// True when something needs attention: a failed sync.
    pub fn has_findings(&self) -> bool {
        self.sync.as_ref().is_some_and(|s| s.failure.is_some())
    }
}

/// `rollout rollback` could not run.
#[derive(Debug, thiserror::Error)]
pub enum RollbackError {
    /// Writing the overlay failed.
    #[error("cannot write the rollback overlay for {env}")]
    Generate {
        /// The environment.
        env: String,
        /// The generator's error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// The environment name cannot name an overlay directory.
    #[error("invalid environment {0:?}: use lowercase letters, digits and '-'")]
    BadEnv(String),
    /// The rollback overlay or the Application is not (yet) what Argo CD reads from git.
    #[error(
        "not syncing {app}: {reason}, then run `{rerun}` (Argo CD syncs from git, not from this checkout)"
    )]
    Unpublished {
        /// The Application.
        app: String,
        /// What is not committed or pushed, and what to do.
        reason: String,
        /// The command to run once it is.
        rerun: String,
    },
    /// git could not tell whether the overlay is committed and pushed.
    #[error("cannot check that the rollback overlay is committed and pushed")]
    Git(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// The sync could not run.
    #[error(transparent)]
    Sync(#[from] SyncError),
}

/// Writes the rollback overlay with `write`, then (with `opts.sync`) asks `published` whether git
/// holds it, and syncs and waits.
///
/// # Errors
/// The generator's failure, [`RollbackError::Unpublished`] when the overlay changed in this run
/// or git has uncommitted or unpushed changes to it, a git failure, or any [`SyncError`].
pub fn run(
    opts: &RollbackOptions,
    write: &mut WriteRollback<'_>,
    published: &mut CheckPublished<'_>,
    progress: &mut dyn FnMut(&Event),
) -> Result<RollbackReport, RollbackError> {
    if !crate::schema::names::is_dns1123_label(&opts.env) {
        return Err(RollbackError::BadEnv(opts.env.clone()));
    }
    let overlay = write(&opts.env).map_err(|source| RollbackError::Generate {
        env: opts.env.clone(),
        source,
    })?;
    let mut report = RollbackReport {
        overlay,
        sync: None,
    };
    let Some(sync_opts) = &opts.sync else {
        return Ok(report);
    };
    let unpublished = |reason: String| RollbackError::Unpublished {
        app: sync_opts.app.clone(),
        reason,
        rerun: format!(
            "rollout rollback --env {} --sync {}",
            opts.env, sync_opts.app
        ),
    };
    if !report.overlay.changed.is_empty() {
        return Err(unpublished(format!(
            "this run wrote the rollback overlay {} ({} file(s)): commit and push it",
            report.overlay.dir.display(),
            report.overlay.changed.len(),
        )));
    }
    if let Some(reason) = published(&report.overlay).map_err(RollbackError::Git)? {
        return Err(unpublished(reason));
    }
    let sync_opts = SyncOptions {
        expect_path: Some(report.overlay.source_path.clone()),
        ..sync_opts.clone()
    };
    report.sync = Some(sync::run(&sync_opts, progress)?);
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sync_opts() -> SyncOptions {
        SyncOptions::for_test("media-staging-rollback")
    }

    #[test]
    fn without_sync_only_writes() {
        let mut calls = vec![];
        let mut write = |env: &str| {
            calls.push(env.to_string());
            Ok(RollbackOverlay {
                dir: "overlays/staging-rollback".into(),
                source_path: "overlays/staging-rollback".into(),
                changed: vec!["a".into()],
            })
        };
        let r = run(
            &RollbackOptions {
                env: "staging".into(),
                sync: None,
            },
            &mut write,
            &mut |_| panic!("no git question without --sync"),
            &mut |_| {},
        )
        .unwrap();
        assert!(!r.has_findings() && r.sync.is_none());
        assert_eq!(calls, vec!["staging"]);
    }

    #[test]
    fn changed_overlay_blocks_the_sync_before_any_request() {
        let mut write = |_: &str| {
            Ok(RollbackOverlay {
                dir: "overlays/staging-rollback".into(),
                source_path: "overlays/staging-rollback".into(),
                changed: vec!["overlays/staging-rollback/kustomization.yaml".into()],
            })
        };
        let opts = RollbackOptions {
            env: "staging".into(),
            sync: Some(sync_opts()),
        };
        let e = run(&opts, &mut write, &mut |_| Ok(None), &mut |_| {}).unwrap_err();
        assert!(matches!(e, RollbackError::Unpublished { .. }), "{e:?}");
        let msg = e.to_string();
        assert!(msg.contains("commit and push"), "{msg}");
        assert!(msg.contains("--sync media-staging-rollback"), "{msg}");
    }

    /// Issue 12: the guard asks git, not only whether this run wrote files.
    #[test]
    fn issue_12_unpublished_overlay_in_git_blocks_the_sync_before_any_request() {
        let mut write = |_: &str| {
            Ok(RollbackOverlay {
                dir: "overlays/staging-rollback".into(),
                source_path: "overlays/staging-rollback".into(),
                changed: vec![],
            })
        };
        let opts = RollbackOptions {
            env: "staging".into(),
            sync: Some(sync_opts()),
        };
        let mut asked = 0;
        let e = run(
            &opts,
            &mut write,
            &mut |o| {
                asked += 1;
                assert_eq!(o.dir, PathBuf::from("overlays/staging-rollback"));
                Ok(Some(
                    "overlays/staging-rollback has uncommitted changes: commit and push them"
                        .into(),
                ))
            },
            &mut |_| panic!("no request"),
        )
        .unwrap_err();
        assert_eq!(asked, 1);
        assert_eq!(
            e.to_string(),
            "not syncing media-staging-rollback: overlays/staging-rollback has uncommitted changes: \
             commit and push them, then run `rollout rollback --env staging --sync \
             media-staging-rollback` (Argo CD syncs from git, not from this checkout)"
        );
    }

    #[test]
    fn bad_env_is_refused_before_writing() {
        let mut write =
            |_: &str| -> Result<RollbackOverlay, Box<dyn std::error::Error + Send + Sync>> {
                panic!("must not write")
            };
        let opts = RollbackOptions {
            env: "../prod".into(),
            sync: None,
        };
        let e = run(&opts, &mut write, &mut |_| Ok(None), &mut |_| {}).unwrap_err();
        assert_eq!(
            e.to_string(),
            "invalid environment \"../prod\": use lowercase letters, digits and '-'"
        );
    }

    #[test]
    fn generator_errors_are_wrapped_with_the_env() {
        let mut write =
            |_: &str| -> Result<RollbackOverlay, Box<dyn std::error::Error + Send + Sync>> {
                Err("spec has no environment staging".into())
            };
        let opts = RollbackOptions {
            env: "staging".into(),
            sync: None,
        };
        let e = run(&opts, &mut write, &mut |_| Ok(None), &mut |_| {}).unwrap_err();
        assert_eq!(
            e.to_string(),
            "cannot write the rollback overlay for staging"
        );
        assert_eq!(
            std::error::Error::source(&e).unwrap().to_string(),
            "spec has no environment staging"
        );
    }
}
