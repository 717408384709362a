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
//! - Failure is: our operation ends `Failed` or `Error`, or after it succeeded the app health has
//!   been `Degraded` for longer than the grace period (`--degraded-grace`): during a rollout Argo CD
//!   reports Degraded for a moment (a pod restarting, a probe not yet passing) and then Healthy, so
//!   a Degraded spell shorter than the grace keeps waiting. The spell is measured from the first
//!   Degraded poll after our operation succeeded; any other health ends it. An app that was
//!   already Degraded before the sync is held to the same grace (Argo CD's own `app wait` would
//!   wait to the deadline), and the failure names the resources that are Degraded and why.
//!   `Missing`, `Suspended`, `Progressing` and `Unknown` keep waiting, up to the caller's deadline.

use std::time::Duration;

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
    /// The operation succeeded but the application stayed Degraded past the grace period.
    Degraded {
        /// The grace period that passed.
        grace: Duration,
        /// It was Degraded before the sync was requested.
        before: bool,
        /// The Degraded resources and their messages (`apps/Deployment/media/api: ...`), or the
        /// application's health message.
        reason: String,
    },
    /// Synced, but a workload did not roll out (`rollout status`'s check).
    Workloads(String),
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
            Failure::Degraded {
                grace,
                before,
                reason,
            } => {
                if grace.is_zero() {
                    f.write_str("application is Degraded")?;
                } else {
                    write!(
                        f,
                        "application is Degraded for longer than the {} grace",
                        crate::duration::format(*grace)
                    )?;
                }
                if *before {
                    f.write_str(" (it was Degraded before the sync)")?;
                }
                if !reason.is_empty() {
                    write!(f, ": {reason}")?;
                }
                Ok(())
            }
            Failure::Workloads(m) => write!(f, "workloads did not roll out: {m}"),
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
    grace: Duration,
    degraded_before: bool,
    degraded_since: Option<Duration>,
}

impl SyncWait {
    /// `baseline` is `status.operationState.startedAt` as seen before the sync was requested.
    /// Degraded health is tolerated for no time; see [`SyncWait::with_grace`].
    pub fn new(baseline: Option<String>, dry_run: bool) -> Self {
        SyncWait {
            baseline,
            dry_run,
            grace: Duration::ZERO,
            degraded_before: false,
            degraded_since: None,
        }
    }

    /// Tolerates a Degraded spell of up to `grace` after the operation succeeded;
    /// `degraded_before` says the app was Degraded before the sync (recorded in the failure).
    pub fn with_grace(mut self, grace: Duration, degraded_before: bool) -> Self {
        self.grace = grace;
        self.degraded_before = degraded_before;
        self
    }

    /// True once our operation succeeded, nothing further is requested and the app is Synced
    /// (whatever its health): the point where the workloads' own rollout can be checked.
    pub fn is_synced(&self, obs: &Observation) -> bool {
        !self.dry_run
            && self.is_ours(obs)
            && !obs.operation_pending
            && obs.phase() == Some("Succeeded")
            && obs.sync == "Synced"
    }

    /// True once `obs` shows the operation we requested (not an older one).
    pub fn is_ours(&self, obs: &Observation) -> bool {
        obs.operation_started_at()
            .is_some_and(|t| Some(t) != self.baseline.as_deref())
    }

    /// Decides what one observation, made `elapsed` after the wait started, means.
    pub fn decide(&mut self, obs: &Observation, elapsed: Duration) -> Decision {
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
        if obs.health != "Degraded" {
            self.degraded_since = None;
            return match (obs.sync.as_str(), obs.health.as_str()) {
                ("Synced", "Healthy") => Decision::Succeeded,
                _ => Decision::Continue,
            };
        }
        let since = *self.degraded_since.get_or_insert(elapsed);
        if elapsed.saturating_sub(since) < self.grace {
            return Decision::Continue;
        }
        Decision::Failed(Failure::Degraded {
            grace: self.grace,
            before: self.degraded_before,
            reason: degraded_reason(obs),
        })
    }
}

/// The Degraded resources with their messages, `; `-separated, else the app's health message.
pub fn degraded_reason(obs: &Observation) -> String {
    let parts: Vec<String> = obs
        .resources
        .iter()
        .filter(|r| r.health.as_deref() == Some("Degraded"))
        .map(|r| match &r.message {
            Some(m) => format!("{}: {m}", r.id()),
            None => r.id(),
        })
        .collect();
    if parts.is_empty() {
        obs.health_message.clone().unwrap_or_default()
    } else {
        parts.join("; ")
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

    fn run(w: &mut SyncWait, polls: &[Observation]) -> Vec<Decision> {
        polls.iter().map(|o| w.decide(o, Duration::ZERO)).collect()
    }

    fn at0(w: &mut SyncWait, o: &Observation) -> Decision {
        w.decide(o, Duration::ZERO)
    }

    #[test]
    fn out_of_sync_then_progressing_then_healthy() {
        let mut w = SyncWait::new(Some(OLD.into()), false);
        let got = run(
            &mut w,
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
        let mut w = SyncWait::new(Some(OLD.into()), false);
        assert_eq!(
            at0(
                &mut w,
                &obs(true, Some(("Succeeded", OLD)), "OutOfSync", "Degraded")
            ),
            Decision::Continue
        );
        assert_eq!(
            at0(
                &mut w,
                &obs(false, Some(("Running", NEW)), "OutOfSync", "Degraded")
            ),
            Decision::Continue
        );
        assert_eq!(
            at0(
                &mut w,
                &obs(false, Some(("Succeeded", NEW)), "Synced", "Degraded")
            ),
            Decision::Failed(Failure::Degraded {
                grace: Duration::ZERO,
                before: false,
                reason: String::new()
            })
        );
    }

    #[test]
    fn failed_and_errored_operations_fail_with_their_message() {
        let mut w = SyncWait::new(None, false);
        for phase in ["Failed", "Error"] {
            let d = at0(
                &mut w,
                &obs(false, Some((phase, NEW)), "OutOfSync", "Healthy"),
            );
            assert_eq!(
                d,
                Decision::Failed(Failure::OperationFailed {
                    phase: phase.into(),
                    message: format!("{phase} message")
                })
            );
        }
        assert_eq!(
            at0(
                &mut w,
                &obs(false, Some(("Terminating", NEW)), "OutOfSync", "Healthy")
            ),
            Decision::Continue
        );
    }

    #[test]
    fn no_baseline_means_first_operation_state_is_ours() {
        let mut w = SyncWait::new(None, false);
        assert_eq!(
            at0(&mut w, &obs(true, None, "OutOfSync", "Missing")),
            Decision::Continue
        );
        assert_eq!(
            at0(
                &mut w,
                &obs(false, Some(("Succeeded", NEW)), "Synced", "Missing")
            ),
            Decision::Continue
        );
        assert_eq!(
            at0(
                &mut w,
                &obs(false, Some(("Succeeded", NEW)), "Synced", "Healthy")
            ),
            Decision::Succeeded
        );
    }

    #[test]
    fn a_queued_second_operation_keeps_waiting() {
        let mut w = SyncWait::new(None, false);
        assert_eq!(
            at0(
                &mut w,
                &obs(true, Some(("Succeeded", NEW)), "Synced", "Healthy")
            ),
            Decision::Continue
        );
    }

    #[test]
    fn dry_run_needs_only_the_operation() {
        let mut w = SyncWait::new(Some(OLD.into()), true);
        assert_eq!(
            at0(
                &mut w,
                &obs(false, Some(("Succeeded", NEW)), "OutOfSync", "Healthy")
            ),
            Decision::Succeeded
        );
        assert_eq!(
            at0(
                &mut w,
                &obs(false, Some(("Succeeded", OLD)), "OutOfSync", "Healthy")
            ),
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

    fn degraded_app(health: &str) -> Observation {
        let mut o = obs(false, Some(("Succeeded", NEW)), "Synced", health);
        o.resources = vec![crate::argocd::status::ResourceState {
            group: "apps".into(),
            kind: "Deployment".into(),
            namespace: "media".into(),
            name: "embedder".into(),
            sync: "Synced".into(),
            health: Some(health.into()),
            message: Some("Readiness probe failed".into()),
            sync_result: None,
        }];
        o
    }

    #[test]
    fn degraded_within_the_grace_keeps_waiting_and_healthy_succeeds() {
        let mut w =
            SyncWait::new(Some(OLD.into()), false).with_grace(Duration::from_secs(60), false);
        let s = Duration::from_secs;
        assert_eq!(
            w.decide(&degraded_app("Progressing"), s(1)),
            Decision::Continue
        );
        assert_eq!(
            w.decide(&degraded_app("Degraded"), s(10)),
            Decision::Continue
        );
        assert_eq!(
            w.decide(&degraded_app("Degraded"), s(69)),
            Decision::Continue
        );
        assert_eq!(
            w.decide(&degraded_app("Healthy"), s(71)),
            Decision::Succeeded
        );
    }

    #[test]
    fn a_spell_ends_on_other_health_and_the_grace_counts_from_the_next() {
        let mut w = SyncWait::new(None, false).with_grace(Duration::from_secs(60), true);
        let s = Duration::from_secs;
        assert_eq!(
            w.decide(&degraded_app("Degraded"), s(0)),
            Decision::Continue
        );
        assert_eq!(
            w.decide(&degraded_app("Progressing"), s(50)),
            Decision::Continue
        );
        assert_eq!(
            w.decide(&degraded_app("Degraded"), s(100)),
            Decision::Continue
        );
        let d = w.decide(&degraded_app("Degraded"), s(160));
        let Decision::Failed(f) = d else {
            panic!("{d:?}")
        };
        assert_eq!(
            f.to_string(),
            "application is Degraded for longer than the 1m grace (it was Degraded before the sync): \
             apps/Deployment/media/embedder: Readiness probe failed"
        );
    }

    #[test]
    fn synced_is_our_succeeded_operation_whatever_the_health() {
        let w = SyncWait::new(Some(OLD.into()), false);
        assert!(w.is_synced(&degraded_app("Progressing")));
        assert!(!w.is_synced(&obs(false, Some(("Succeeded", OLD)), "Synced", "Healthy")));
        assert!(!w.is_synced(&obs(true, Some(("Succeeded", NEW)), "Synced", "Healthy")));
        assert!(!w.is_synced(&obs(
            false,
            Some(("Succeeded", NEW)),
            "OutOfSync",
            "Healthy"
        )));
        assert!(!SyncWait::new(None, true).is_synced(&degraded_app("Healthy")));
    }
}
