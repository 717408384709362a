//! The decision at the heart of `rollout sync`: given what one poll observed, is our sync done,
//! failed, or still under way? A pure state machine over [`Observation`]s: no clock, no I/O (the
//! caller owns the deadline and the poll interval; see [`super::sync`]).
//!
//! # Caveats
//! - "Our" operation is the one whose `status.operationState.startedAt` differs from the one seen
//!   before the sync was requested (the baseline). Until the controller picks the request up, the
//!   old operation state (maybe a stale success) is ignored, and so is health.
//! - Success is: our operation `Succeeded`, no further operation requested, `status.sync.status`
//!   `Synced` and `status.health.status` `Healthy`. With `dry_run` only the operation's success
//!   counts (a dry run changes nothing, so the app stays OutOfSync).
//! - Failure is: our operation ends `Failed` or `Error`, or after it succeeded the app health is
//!   `Degraded` (Argo CD marks a Deployment Degraded only after its progress deadline). `Missing`,
//!   `Suspended`, `Progressing` and `Unknown` keep waiting, up to the caller's deadline.

use super::status::{Observation, is_terminal_phase};

/// Why a wait ended badly.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Failure {
    /// The sync operation ended Failed or Error.
    OperationFailed {
        /// Failed or Error.
        phase: String,
        /// Argo CD's message.
        message: String,
    },
    /// The operation succeeded but the application is Degraded.
    Degraded,
    /// The deadline passed first.
    TimedOut,
    /// Another operation was running and the caller chose not to wait for it.
    OperationInProgress,
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::OperationFailed { phase, message } => {
                write!(f, "sync operation {}: {message}", phase.to_lowercase())
            }
            Failure::Degraded => f.write_str("application is Degraded"),
            Failure::TimedOut => {
                f.write_str("timed out before the application was Synced and Healthy")
            }
            Failure::OperationInProgress => f.write_str(
                "another operation is already in progress (not waiting: --no-wait-for-operation)",
            ),
        }
    }
}

/// What to do after a poll.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Poll again after the interval.
    Continue,
    /// Done: Synced and Healthy (or, for a dry run, the operation succeeded).
    Succeeded,
    /// Done: failed.
    Failed(Failure),
}

/// The wait for one sync operation.
#[derive(Debug, Clone)]
pub struct SyncWait {
    baseline: Option<String>,
    dry_run: bool,
}

impl SyncWait {
    /// `baseline` is `status.operationState.startedAt` as seen before the sync was requested.
    pub fn new(baseline: Option<String>, dry_run: bool) -> Self {
        SyncWait { baseline, dry_run }
    }

    /// True once `obs` shows the operation we requested (not an older one).
    pub fn is_ours(&self, obs: &Observation) -> bool {
        obs.operation_started_at()
            .is_some_and(|t| Some(t) != self.baseline.as_deref())
    }

    /// Decides what one observation means.
    pub fn decide(&self, obs: &Observation) -> Decision {
        if !self.is_ours(obs) {
            return Decision::Continue;
        }
        let Some(op) = &obs.operation else {
            return Decision::Continue;
        };
        if !is_terminal_phase(&op.phase) {
            return Decision::Continue;
        }
        if op.phase != "Succeeded" {
            return Decision::Failed(Failure::OperationFailed {
                phase: op.phase.clone(),
                message: op.message.clone().unwrap_or_else(|| "no message".into()),
            });
        }
        if self.dry_run {
            return Decision::Succeeded;
        }
        if obs.operation_pending {
            return Decision::Continue;
        }
        match (obs.sync.as_str(), obs.health.as_str()) {
            (_, "Degraded") => Decision::Failed(Failure::Degraded),
            ("Synced", "Healthy") => Decision::Succeeded,
            _ => Decision::Continue,
        }
    }
}

/// While waiting for someone else's operation: true once nothing is requested or running.
pub fn other_operation_done(obs: &Observation) -> bool {
    !obs.operation_running()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::argocd::status::OperationState;

    fn obs(pending: bool, op: Option<(&str, &str)>, sync: &str, health: &str) -> Observation {
        Observation {
            sync: sync.into(),
            health: health.into(),
            operation_pending: pending,
            operation: op.map(|(phase, started)| OperationState {
                phase: phase.into(),
                message: Some(format!("{phase} message")),
                started_at: Some(started.into()),
                finished_at: None,
                revision: None,
            }),
            ..Default::default()
        }
    }

    const OLD: &str = "2026-11-27T09:00:00Z";
    const NEW: &str = "2026-11-27T10:00:00Z";

    fn run(w: &SyncWait, polls: &[Observation]) -> Vec<Decision> {
        polls.iter().map(|o| w.decide(o)).collect()
    }

    #[test]
    fn out_of_sync_then_progressing_then_healthy() {
        let w = SyncWait::new(Some(OLD.into()), false);
        let got = run(
            &w,
            &[
                obs(true, Some(("Succeeded", OLD)), "Synced", "Healthy"), // stale success: not ours
                obs(true, Some(("Running", NEW)), "OutOfSync", "Healthy"),
                obs(false, Some(("Succeeded", NEW)), "Synced", "Progressing"),
                obs(false, Some(("Succeeded", NEW)), "Synced", "Healthy"),
            ],
        );
        use Decision::*;
        assert_eq!(got, vec![Continue, Continue, Continue, Succeeded]);
    }

    #[test]
    fn stale_degraded_before_our_operation_is_ignored() {
        let w = SyncWait::new(Some(OLD.into()), false);
        assert_eq!(
            w.decide(&obs(
                true,
                Some(("Succeeded", OLD)),
                "OutOfSync",
                "Degraded"
            )),
            Decision::Continue
        );
        assert_eq!(
            w.decide(&obs(false, Some(("Running", NEW)), "OutOfSync", "Degraded")),
            Decision::Continue
        );
        assert_eq!(
            w.decide(&obs(false, Some(("Succeeded", NEW)), "Synced", "Degraded")),
            Decision::Failed(Failure::Degraded)
        );
    }

    #[test]
    fn failed_and_errored_operations_fail_with_their_message() {
        let w = SyncWait::new(None, false);
        for phase in ["Failed", "Error"] {
            let d = w.decide(&obs(false, Some((phase, NEW)), "OutOfSync", "Healthy"));
            assert_eq!(
                d,
                Decision::Failed(Failure::OperationFailed {
                    phase: phase.into(),
                    message: format!("{phase} message")
                })
            );
        }
        assert_eq!(
            w.decide(&obs(
                false,
                Some(("Terminating", NEW)),
                "OutOfSync",
                "Healthy"
            )),
            Decision::Continue
        );
    }

    #[test]
    fn no_baseline_means_first_operation_state_is_ours() {
        let w = SyncWait::new(None, false);
        assert_eq!(
            w.decide(&obs(true, None, "OutOfSync", "Missing")),
            Decision::Continue
        );
        assert_eq!(
            w.decide(&obs(false, Some(("Succeeded", NEW)), "Synced", "Missing")),
            Decision::Continue
        );
        assert_eq!(
            w.decide(&obs(false, Some(("Succeeded", NEW)), "Synced", "Healthy")),
            Decision::Succeeded
        );
    }

    #[test]
    fn a_queued_second_operation_keeps_waiting() {
        let w = SyncWait::new(None, false);
        assert_eq!(
            w.decide(&obs(true, Some(("Succeeded", NEW)), "Synced", "Healthy")),
            Decision::Continue
        );
    }

    #[test]
    fn dry_run_needs_only_the_operation() {
        let w = SyncWait::new(Some(OLD.into()), true);
        assert_eq!(
            w.decide(&obs(
                false,
                Some(("Succeeded", NEW)),
                "OutOfSync",
                "Healthy"
            )),
            Decision::Succeeded
        );
        assert_eq!(
            w.decide(&obs(
                false,
                Some(("Succeeded", OLD)),
                "OutOfSync",
                "Healthy"
            )),
            Decision::Continue
        );
    }

    #[test]
    fn other_operation_done_when_nothing_runs() {
        assert!(!other_operation_done(&obs(true, None, "Synced", "Healthy")));
        assert!(!other_operation_done(&obs(
            false,
            Some(("Running", OLD)),
            "Synced",
            "Healthy"
        )));
        assert!(other_operation_done(&obs(
            false,
            Some(("Failed", OLD)),
            "Synced",
            "Healthy"
        )));
        assert!(other_operation_done(&obs(false, None, "Synced", "Healthy")));
    }
}
