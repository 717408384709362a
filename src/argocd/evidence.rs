//! What `rollout sync --evidence FILE` records, and how it is written (JSON, or Markdown for a
//! `.md` file). Holds no secret by construction: nothing here has a field for a token.

use std::fmt::Write as _;
use std::path::Path;

use super::status::{OperationState, ResourceState};
use super::wait::Failure;
use crate::fsutil::{self, FsError, WriteResult};

/// One distinct state seen while waiting (a new line whenever phase, sync or health changes).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PhaseSeen {
    /// When it was first seen (RFC 3339, seconds).
    pub at: String,
    /// Seconds since the command started.
    pub elapsed_seconds: u64,
    /// Operation phase (Running, Succeeded, ...), absent before any operation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phase: Option<String>,
    /// `status.sync.status`.
    pub sync: String,
    /// `status.health.status`.
    pub health: String,
}

/// The record of one `rollout sync`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Evidence {
    /// The Application.
    pub application: String,
    /// The Argo CD server URL (no credentials).
    pub server: String,
    /// `--revision`, if given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub requested_revision: Option<String>,
    /// The revision Argo CD synced (`operationState.syncResult.revision`, else `sync.revision`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub synced_revision: Option<String>,
    /// `--prune`.
    pub prune: bool,
    /// `--dry-run`.
    pub dry_run: bool,
    /// Start (RFC 3339).
    pub started_at: String,
    /// End (RFC 3339).
    pub finished_at: String,
    /// Whole seconds between the two.
    pub duration_seconds: u64,
    /// `succeeded` or `failed`.
    pub result: String,
    /// Why it failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure: Option<String>,
    /// True when another operation had to finish first.
    pub waited_for_other_operation: bool,
    /// The final operation state.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub operation: Option<OperationState>,
    /// Final `status.sync.status`.
    pub sync_status: String,
    /// Final `status.health.status`.
    pub health_status: String,
    /// States seen, in order.
    pub phases_seen: Vec<PhaseSeen>,
    /// Polls that got no answer (server away); each message once, with its count.
    pub poll_errors: Vec<PollError>,
    /// Final status of each resource.
    pub resources: Vec<ResourceState>,
    /// The workload check after Synced (`rolled-out`, `failed`, `timeout`), when it ran; its
    /// details are in `rollout-status.json`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub workload_check: Option<String>,
}

/// A poll failure that was retried.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PollError {
    /// The error.
    pub message: String,
    /// How many polls failed this way.
    pub count: u32,
}

impl Evidence {
    /// The record of a sync that could not run or ended in an error (server unreachable, the
    /// Application not found, a refused request): `result: failed` and the reason as one masked
    /// line, so the report shows "failed", not "missing".
    pub fn failed(
        application: &str,
        server: &str,
        params: &super::api::SyncParams,
        started_at: String,
        reason: &str,
    ) -> Evidence {
        let reason = crate::mask::scrub(reason);
        let line = reason.split_whitespace().collect::<Vec<_>>().join(" ");
        let finished_at = crate::clients::http::now_rfc3339();
        Evidence {
            application: application.to_string(),
            server: crate::mask::url(server),
            requested_revision: params.revision.clone(),
            synced_revision: None,
            prune: params.prune,
            dry_run: params.dry_run,
            started_at,
            finished_at,
            duration_seconds: 0,
            result: "failed".into(),
            failure: Some(line),
            waited_for_other_operation: false,
            operation: None,
            sync_status: "Unknown".into(),
            health_status: "Unknown".into(),
            phases_seen: vec![],
            poll_errors: vec![],
            resources: vec![],
            workload_check: None,
        }
    }

    /// Sets the failure (or success) from a wait result.
    pub fn set_result(&mut self, failure: Option<&Failure>) {
        self.result = if failure.is_some() {
            "failed"
        } else {
            "succeeded"
        }
        .into();
        self.failure = failure.map(|f| f.to_string());
    }

    /// Counts one retried poll error.
    pub fn add_poll_error(&mut self, message: String) {
        match self.poll_errors.iter_mut().find(|p| p.message == message) {
            Some(p) => p.count += 1,
            None => self.poll_errors.push(PollError { message, count: 1 }),
        }
    }

    /// Pretty JSON with a trailing newline.
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).unwrap_or_default();
        s.push('\n');
        s
    }

    /// A Markdown section to paste into a rollout report.
    pub fn to_markdown(&self) -> String {
        let mut m = String::new();
        let _ = writeln!(m, "## Argo CD sync: {}\n", self.application);
        let row = |m: &mut String, k: &str, v: &str| {
            let _ = writeln!(m, "| {k} | {} |", v.replace('|', "\\|"));
        };
        m.push_str("| field | value |\n|---|---|\n");
        row(&mut m, "server", &self.server);
        row(&mut m, "result", &self.result);
        if let Some(f) = &self.failure {
            row(&mut m, "failure", f);
        }
        row(
            &mut m,
            "requested revision",
            self.requested_revision
                .as_deref()
                .unwrap_or("(app's targetRevision)"),
        );
        row(
            &mut m,
            "synced revision",
            self.synced_revision.as_deref().unwrap_or("-"),
        );
        row(
            &mut m,
            "prune / dry run",
            &format!("{} / {}", self.prune, self.dry_run),
        );
        row(&mut m, "started", &self.started_at);
        row(&mut m, "finished", &self.finished_at);
        row(
            &mut m,
            "duration",
            &crate::duration::format(std::time::Duration::from_secs(self.duration_seconds)),
        );
        row(
            &mut m,
            "final sync / health",
            &format!("{} / {}", self.sync_status, self.health_status),
        );
        if let Some(w) = &self.workload_check {
            row(&mut m, "workload check", w);
        }
        if let Some(op) = &self.operation {
            let text = match op.message.as_deref() {
                Some(msg) => format!("{}: {msg}", op.phase),
                None => op.phase.clone(),
            };
            row(&mut m, "operation", &text);
        }
        m.push_str("\n### Phases seen\n\n| at | elapsed | phase | sync | health |\n|---|---|---|---|---|\n");
        for p in &self.phases_seen {
            let _ = writeln!(
                m,
                "| {} | {}s | {} | {} | {} |",
                p.at,
                p.elapsed_seconds,
                p.phase.as_deref().unwrap_or("-"),
                p.sync,
                p.health
            );
        }
        m.push_str(
            "\n### Resources\n\n| resource | sync | health | message |\n|---|---|---|---|\n",
        );
        for r in &self.resources {
            let _ = writeln!(
                m,
                "| {} | {} | {} | {} |",
                r.id(),
                r.sync,
                r.health.as_deref().unwrap_or("-"),
                r.message.as_deref().unwrap_or("").replace('|', "\\|")
            );
        }
        if !self.poll_errors.is_empty() {
            m.push_str("\n### Polls without an answer\n\n");
            for p in &self.poll_errors {
                let _ = writeln!(m, "- {} (x{})", p.message, p.count);
            }
        }
        m
    }

    /// Writes the evidence to `path` (Markdown when it ends in `.md`, JSON otherwise), atomically.
    ///
    /// # Errors
    /// When the file cannot be written.
    pub fn write(&self, path: &Path) -> Result<WriteResult, FsError> {
        let text = if path.extension().is_some_and(|e| e == "md") {
            self.to_markdown()
        } else {
            self.to_json()
        };
        fsutil::write_evidence(path, &text)
    }
}
