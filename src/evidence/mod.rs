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
use crate::fsutil::{FsError, write_evidence};
use crate::secret::Secret;

/// The default evidence directory, relative to the working directory.
pub const DEFAULT_DIR: &str = "evidence";

/// File names inside the evidence directory.
pub mod files {
    /// Written by `rollout dashboards push`.
    pub const DASHBOARDS_PUSH: &str = "dashboards-push.json";
    /// Written by `rollout dashboards restore`.
    pub const DASHBOARDS_RESTORE: &str = "dashboards-restore.json";
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
/// `kind` of `dashboards-restore.json`.
pub const KIND_DASHBOARDS_RESTORE: &str = "dashboards-restore";
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
        crate::json!({"error": format!("cannot serialise evidence: {e}")}).to_string()
    });
    for s in secrets.iter().filter(|s| !s.is_empty()) {
        // Every encoding: a token with `"` or `\` is JSON-escaped in `text`.
        for e in crate::mask::encodings(s.expose()) {
            if text.contains(&e) {
                text = text.replace(&e, "***");
            }
        }
    }
    text.push('\n');
    write_evidence(path, &text).map(|_| ())
}

/// A command report that is also its evidence record (`dashboards push`, `alerts fire|quiet`): the
/// fields every writer finishes alike. Implement it with [`impl_record`].
pub trait Record: Serialize {
    /// The shared fields.
    fn ending(&mut self) -> Ending<'_>;
}

/// The fields of a [`Record`] that are finished alike.
pub struct Ending<'a> {
    /// `result`.
    pub result: &'a mut String,
    /// `finishedAt`.
    pub finished_at: &'a mut String,
    /// `error`.
    pub error: &'a mut Option<String>,
    /// Where the record was written (not serialised).
    pub evidence_path: &'a mut Option<PathBuf>,
}

/// Implements [`Record`] for structs with `result`, `finished_at`, `error` and `evidence_path` fields.
macro_rules! impl_record {
    ($($t:ty),+ $(,)?) => {$(
        impl $crate::evidence::Record for $t {
            fn ending(&mut self) -> $crate::evidence::Ending<'_> {
                $crate::evidence::Ending {
                    result: &mut self.result,
                    finished_at: &mut self.finished_at,
                    error: &mut self.error,
                    evidence_path: &mut self.evidence_path,
                }
            }
        }
    )+};
}
pub(crate) use impl_record;

/// Ends a dry run: `result` is `dry-run`, finished now, written only when `path` is given.
///
/// # Errors
/// When the file cannot be written.
pub fn finish_dry_run<R: Record>(
    report: &mut R,
    path: Option<&Path>,
    secrets: &[&Secret],
) -> Result<(), FsError> {
    let ending = report.ending();
    *ending.result = "dry-run".into();
    *ending.finished_at = now_rfc3339();
    if let Some(path) = path {
        write(path, report, secrets)?;
        *report.ending().evidence_path = Some(path.to_path_buf());
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
    *report.ending().finished_at = now_rfc3339();
    let path = path.map_or_else(|| default_path(default_file), Path::to_path_buf);
    write(&path, report, secrets)?;
    *report.ending().evidence_path = Some(path.clone());
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
            &crate::json!({"note": "token glsa_leaky here"}),
            &[&token],
        )
        .unwrap();
        let text = std::fs::read_to_string(&p).unwrap();
        assert!(!text.contains("glsa_leaky"), "{text}");
        assert!(text.contains("token *** here"));
    }

    #[derive(Serialize, Default)]
    struct Rec {
        result: String,
        finished_at: String,
        error: Option<String>,
        #[serde(skip)]
        evidence_path: Option<PathBuf>,
    }
    impl_record!(Rec);

    #[test]
    fn records_are_finished_alike() {
        let dir = tempfile::tempdir().unwrap();
        let mut dry = Rec::default();
        finish_dry_run(&mut dry, None, &[]).unwrap();
        assert_eq!(dry.result, "dry-run");
        assert!(!dry.finished_at.is_empty() && dry.evidence_path.is_none());

        let p = dir.path().join("sub/e.json");
        let mut sent = Rec {
            result: "pushed".into(),
            ..Rec::default()
        };
        assert_eq!(finish(&mut sent, Some(&p), "x.json", &[]).unwrap(), p);
        assert_eq!(sent.evidence_path.as_deref(), Some(p.as_path()));
        let written: crate::value::Value =
            serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
        assert_eq!(written["result"], "pushed");
        assert_eq!(written["finished_at"], sent.finished_at.as_str());
    }
}
