//! Evidence files: where each command writes its record, their shared envelope, and safe writing.
//!
//! Owns the evidence directory layout (see [`files`]) that `dashboards push`, `alerts fire|quiet`,
//! `diff --evidence-json` and `sync` write and `rollout evidence` reads, and the rule that no secret
//! reaches an evidence file. The report itself is [`report`].
//!
//! The files this crate's dashboards and alerts commands write are objects with `"kind"` (one of the
//! `KIND_*` constants) and `"schemaVersion": 1`; `rollout sync` writes its own shape
//! (`argocd::evidence::Evidence`). All fields are documented in `docs/evidence.md`.

pub mod report;

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::clients::http::now_rfc3339;
use crate::fsutil::{FsError, write_atomic};
use crate::secret::Secret;

/// The default evidence directory, relative to the working directory.
pub const DEFAULT_DIR: &str = "evidence";

/// File names inside the evidence directory.
pub mod files {
    /// Written by `rollout dashboards push`.
    pub const DASHBOARDS_PUSH: &str = "dashboards-push.json";
    /// Written by `rollout alerts fire`.
    pub const ALERTS_FIRE: &str = "alerts-fire.json";
    /// Written by `rollout alerts quiet`.
    pub const ALERTS_QUIET: &str = "alerts-quiet.json";
    /// Written by `rollout diff --evidence-json evidence/flag-diff.json`.
    pub const FLAG_DIFF: &str = "flag-diff.json";
    /// Written by `rollout sync APP --evidence evidence/argocd-sync.json` (the report reads every
    /// `argocd-sync*.json`, one per Application).
    pub const ARGOCD_SYNC: &str = "argocd-sync.json";
    /// Prefix of the sync evidence files the report reads.
    pub const ARGOCD_SYNC_PREFIX: &str = "argocd-sync";
    /// Pasted by the operator: output of the Redis backlog command (`XINFO GROUPS`, `XPENDING`).
    pub const REDIS_BACKLOG: &str = "redis-backlog.txt";
    /// Screenshots added by the operator: `notifications-*.png`, `metrics-*.png`.
    pub const SCREENSHOTS: &str = "screenshots";
}

/// `kind` of `dashboards-push.json`.
pub const KIND_DASHBOARDS_PUSH: &str = "dashboards-push";
/// `kind` of `alerts-fire.json`.
pub const KIND_ALERTS_FIRE: &str = "alerts-fire";
/// `kind` of `alerts-quiet.json`.
pub const KIND_ALERTS_QUIET: &str = "alerts-quiet";
/// `kind` of `flag-diff.json`.
pub const KIND_FLAG_DIFF: &str = "flag-diff";
/// The evidence envelope version.
pub const SCHEMA_VERSION: u32 = 1;

/// The default path of an evidence file: `evidence/<name>`.
pub fn default_path(name: &str) -> PathBuf {
    Path::new(DEFAULT_DIR).join(name)
}

/// Serialises `record` as pretty JSON and writes it atomically. Any secret value that somehow reached
/// the record is replaced by `***` first (defence in depth: records are built without headers).
///
/// # Errors
/// When the file cannot be written.
pub fn write<T: Serialize>(path: &Path, record: &T, secrets: &[&Secret]) -> Result<(), FsError> {
    let mut text = serde_json::to_string_pretty(record).unwrap_or_else(|e| {
        serde_json::json!({"error": format!("cannot serialise evidence: {e}")}).to_string()
    });
    for s in secrets {
        if !s.is_empty() && text.contains(s.expose()) {
            text = text.replace(s.expose(), "***");
        }
    }
    text.push('\n');
    write_atomic(path, text.as_bytes()).map(|_| ())
}

/// A command report that is also its evidence record (`dashboards push`, `alerts fire|quiet`): the
/// fields every writer finishes alike.
pub trait Record: Serialize {
    /// `result`, `finishedAt` and the path the record was written to (not serialised).
    fn ending(&mut self) -> (&mut String, &mut String, &mut Option<PathBuf>);
}

/// Ends a dry run: `result` is `dry-run`, finished now, written only when `path` is given.
///
/// # Errors
/// When the file cannot be written.
pub fn finish_dry_run<R: Record>(
    report: &mut R,
    path: Option<&Path>,
    secrets: &[&Secret],
) -> Result<(), FsError> {
    let (result, finished_at, _) = report.ending();
    *result = "dry-run".into();
    *finished_at = now_rfc3339();
    if let Some(path) = path {
        write(path, report, secrets)?;
        *report.ending().2 = Some(path.to_path_buf());
    }
    Ok(())
}

/// Ends a run that talked to a server: finished now, written to `path` or `evidence/<default_file>`.
/// Returns where it was written.
///
/// # Errors
/// When the file cannot be written.
pub fn finish<R: Record>(
    report: &mut R,
    path: Option<&Path>,
    default_file: &str,
    secrets: &[&Secret],
) -> Result<PathBuf, FsError> {
    *report.ending().1 = now_rfc3339();
    let path = path.map_or_else(|| default_path(default_file), Path::to_path_buf);
    write(&path, report, secrets)?;
    *report.ending().2 = Some(path.clone());
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_never_reaches_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("e.json");
        let token = Secret::new("glsa_leaky");
        write(
            &p,
            &serde_json::json!({"note": "token glsa_leaky here"}),
            &[&token],
        )
        .unwrap();
        let text = std::fs::read_to_string(&p).unwrap();
        assert!(!text.contains("glsa_leaky"), "{text}");
        assert!(text.contains("token *** here"));
    }
}
