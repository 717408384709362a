//! `rollout sync`: request a sync of one Application and wait until it is Synced and Healthy,
//! fails, or the caller's deadline passes; record evidence. Prints nothing: progress goes to the
//! caller's callback, the result is returned.
//!
//! Sequence: `GET` the Application (it exists, the token works, the baseline operation), wait for a
//! running operation or stop (`wait_for_operation`), `POST .../sync`, then `GET` every poll interval
//! and let [`super::wait::SyncWait`] decide.
//!
//! # Errors and findings
//! Anything that stops us before or outside the wait (bad server, TLS, 401, 403, 404, connection
//! refused at the start) is an `Err` (exit 2). Once the sync is requested, polls that get no answer
//! (refused, timeout, 5xx) are retried until the deadline and recorded; a failed operation, a
//! Degraded app, the deadline, or a refused wait for another operation are findings (exit 1).

use std::time::{Duration, Instant};

use crate::value::Value;

use super::api::{self, ApiError, CallError, Request, SyncParams};
use super::evidence::{Evidence, PhaseSeen};
use super::progress::{Event, Stage};
use super::status::{Observation, ResourceState, observe};
use super::wait::{Decision, Failure, SyncWait, other_operation_done};
use crate::clients::http::{self, Config, Executor};
use crate::secret::Secret;

/// Longest time one request may take, even when the deadline is further away.
pub const MAX_REQUEST_TIME: Duration = Duration::from_secs(30);

/// What `rollout sync` was asked to do. Resolved: the token is read, the server is known.
#[derive(Debug, Clone)]
pub struct SyncOptions {
    /// The Application name.
    pub app: String,
    /// Argo CD server (`https://host[:port]` or `host[:port]`).
    pub server: String,
    /// Bearer token.
    pub token: Secret,
    /// Skip TLS verification (`--insecure`).
    pub insecure: bool,
    /// What to send with the sync request.
    pub params: SyncParams,
    /// Overall deadline, from the start.
    pub timeout: Duration,
    /// Time between polls.
    pub poll_interval: Duration,
    /// Wait for another operation to finish (default) instead of failing at once.
    pub wait_for_operation: bool,
    /// Refuse to sync unless the Application deploys this path (rollback safety).
    pub expect_path: Option<String>,
    /// How long a Degraded health after the operation succeeded is tolerated (see
    /// [`super::wait`]).
    pub degraded_grace: Duration,
    /// Once Synced, wait for these workloads as `rollout status` does (its timeout is replaced
    /// by what is left of [`SyncOptions::timeout`]); `None`: no cluster access, Argo CD's health
    /// only.
    pub workload_check: Option<crate::status::StatusOptions>,
}

/// The result of a sync that ran (succeeded or failed as a finding).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncReport {
    /// `None`: Synced and Healthy.
    pub failure: Option<Failure>,
    /// Resources that are not fine at the end (health, sync, failed apply).
    pub problems: Vec<ResourceState>,
    /// The record.
    pub evidence: Evidence,
    /// The workload check's report, when it ran.
    pub workloads: Option<crate::status::StatusReport>,
}

/// Why `rollout sync` could not run.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// The name cannot be an Argo CD Application.
    #[error("invalid application name {0:?}: use lowercase letters, digits, '-' and '.'")]
    BadName(String),
    /// Options that cannot work together.
    #[error("{0}")]
    BadOption(String),
    /// Talking to Argo CD failed.
    #[error(transparent)]
    Http(#[from] CallError),
    /// The Application deploys something other than what was expected.
    #[error(
        "application {app} deploys {actual:?}, not {expected:?}; sync an Application whose spec.source.path is {expected:?}"
    )]
    WrongPath {
        /// The Application.
        app: String,
        /// Its `spec.source.path`.
        actual: String,
        /// What was expected.
        expected: String,
    },
    /// The async runtime could not start.
    #[error("cannot start the HTTP runtime: {0}")]
    Runtime(String),
    /// The workload check could not talk to the cluster.
    #[error("checking the workloads after Synced: {0}")]
    Status(#[from] crate::status::StatusError),
}

impl SyncReport {
    /// The result as text for stdout: one line, then the resources that are not fine.
    pub fn summary(&self) -> String {
        let ev = &self.evidence;
        let rev = ev.synced_revision.as_deref().unwrap_or("unknown");
        // As the flags take durations: `30s`, `2m30s`.
        let took = crate::duration::format(Duration::from_secs(ev.duration_seconds));
        let mut out = match &self.failure {
            None if ev.dry_run => format!(
                "{}: dry-run sync succeeded at revision {rev} ({took})\n",
                ev.application
            ),
            None => format!(
                "{}: Synced and Healthy at revision {rev} ({took})\n",
                ev.application
            ),
            Some(f) => format!(
                "{}: sync failed: {f} (phase {}, sync {}, health {}, {took})\n",
                ev.application,
                ev.operation.as_ref().map_or("-", |o| o.phase.as_str()),
                ev.sync_status,
                ev.health_status,
            ),
        };
        if !self.problems.is_empty() {
            out.push_str("resources not healthy or not synced:\n");
            for r in &self.problems {
                out.push_str(&format!(
                    "  {}  sync={} health={}{}\n",
                    r.id(),
                    r.sync,
                    r.health.as_deref().unwrap_or("-"),
                    r.message
                        .as_deref()
                        .map(|m| format!("  {m}"))
                        .unwrap_or_default()
                ));
            }
        }
        if let Some(w) = &self.workloads {
            out.push_str(&crate::status::render_text(w));
        }
        if !ev.poll_errors.is_empty() {
            let n: u32 = ev.poll_errors.iter().map(|p| p.count).sum();
            let last = ev.poll_errors.last().map_or("", |p| p.message.as_str());
            out.push_str(&format!("{n} poll(s) got no answer; last: {last}\n"));
        }
        out
    }
}

fn valid_name(n: &str) -> bool {
    !n.is_empty()
        && n.len() <= 253
        && n.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
        && n.starts_with(|c: char| c.is_ascii_alphanumeric())
        && n.ends_with(|c: char| c.is_ascii_alphanumeric())
}

/// Requests the sync and waits. See the module docs for the sequence and what counts as what.
///
/// # Errors
/// See the module docs: anything that is not the wait's own verdict.
pub fn run(opts: &SyncOptions, progress: &mut dyn FnMut(&Event)) -> Result<SyncReport, SyncError> {
    if !valid_name(&opts.app) {
        return Err(SyncError::BadName(opts.app.clone()));
    }
    if opts.poll_interval.is_zero() {
        return Err(SyncError::BadOption(
            "--poll-interval must be more than 0".into(),
        ));
    }
    if opts.timeout.is_zero() {
        return Err(SyncError::BadOption("--timeout must be more than 0".into()));
    }
    let conn = connect(&opts.server, opts.insecure)?;
    http::block_on(Run::new(opts, conn, progress).go()).map_err(|e| match e {
        http::HttpError::Runtime(detail) => SyncError::Runtime(detail),
        other => SyncError::Http(CallError::from_http(&opts.server, Duration::ZERO, other)),
    })?
}

/// The shared executor for Argo CD at `server` (see [`api::server_url`]): TLS verified unless
/// `insecure`, 10 s to connect, each request bounded by the caller.
fn connect(server: &str, insecure: bool) -> Result<Executor, CallError> {
    crate::mask::register_url(server);
    let server = api::server_url(server)?;
    let config = Config {
        timeout: None,
        connect_timeout: Duration::from_secs(10),
        insecure,
    };
    Executor::with_config(&server, config)
        .map_err(|e| CallError::from_http(&server, Duration::ZERO, e))
}

struct Run<'a> {
    opts: &'a SyncOptions,
    conn: Executor,
    progress: &'a mut dyn FnMut(&Event),
    start: Instant,
    evidence: Evidence,
    last: Option<Observation>,
    workloads: Option<crate::status::StatusReport>,
}

enum Poll {
    Seen(Box<Observation>),
    Retry,
    Deadline,
}

impl<'a> Run<'a> {
    fn new(opts: &'a SyncOptions, conn: Executor, progress: &'a mut dyn FnMut(&Event)) -> Self {
        let evidence = Evidence {
            application: opts.app.clone(),
            server: conn.base().to_string(),
            requested_revision: opts.params.revision.clone(),
            synced_revision: None,
            prune: opts.params.prune,
            dry_run: opts.params.dry_run,
            started_at: http::now_rfc3339(),
            finished_at: String::new(),
            duration_seconds: 0,
            result: String::new(),
            failure: None,
            waited_for_other_operation: false,
            operation: None,
            sync_status: "Unknown".into(),
            health_status: "Unknown".into(),
            phases_seen: vec![],
            poll_errors: vec![],
            resources: vec![],
            workload_check: None,
        };
        Run {
            opts,
            conn,
            progress,
            start: Instant::now(),
            evidence,
            last: None,
            workloads: None,
        }
    }

    fn remaining(&self) -> Duration {
        self.opts.timeout.saturating_sub(self.start.elapsed())
    }

    /// Sends `req` through the shared executor, allowing it what is left (at most
    /// [`MAX_REQUEST_TIME`]), and reads the answer with [`api::read_response`].
    async fn call(&self, req: &Request) -> Result<Value, CallError> {
        let limit = self
            .remaining()
            .min(MAX_REQUEST_TIME)
            .max(Duration::from_millis(1));
        let resp = self
            .conn
            .fetch(req, Some(limit))
            .await
            .map_err(|e| CallError::from_http(self.conn.base(), limit, e))?;
        Ok(api::read_response(&self.opts.app, resp.status, &resp.body)?)
    }

    async fn get(&self) -> Result<Observation, CallError> {
        let req = api::get_request(&self.opts.app, None, &self.opts.token);
        Ok(observe(&self.call(&req).await?))
    }

    fn record(&mut self, obs: Observation, stage: Stage) {
        let phase = obs.phase().map(str::to_string);
        let changed = self
            .evidence
            .phases_seen
            .last()
            .is_none_or(|p| p.phase != phase || p.sync != obs.sync || p.health != obs.health);
        if changed {
            self.evidence.phases_seen.push(PhaseSeen {
                at: http::now_rfc3339(),
                elapsed_seconds: self.start.elapsed().as_secs(),
                phase: phase.clone(),
                sync: obs.sync.clone(),
                health: obs.health.clone(),
            });
        }
        (self.progress)(&Event {
            app: self.opts.app.clone(),
            elapsed: self.start.elapsed(),
            stage,
            phase,
            sync: obs.sync.clone(),
            health: obs.health.clone(),
            note: None,
        });
        self.last = Some(obs);
    }

    /// Sleeps one interval (not past the deadline), then polls once.
    async fn poll(&mut self, stage: Stage) -> Result<Poll, SyncError> {
        let pause = self.opts.poll_interval.min(self.remaining());
        tokio::time::sleep(pause).await;
        if self.remaining().is_zero() {
            return Ok(Poll::Deadline);
        }
        match self.get().await {
            Ok(obs) => Ok(Poll::Seen(Box::new(obs))),
            Err(e) if e.is_transient() => {
                let msg = e.to_string();
                self.evidence.add_poll_error(msg.clone());
                let last = self.last.clone().unwrap_or_default();
                (self.progress)(&Event {
                    app: self.opts.app.clone(),
                    elapsed: self.start.elapsed(),
                    stage,
                    phase: last.phase().map(str::to_string),
                    sync: last.sync.clone(),
                    health: last.health.clone(),
                    note: Some(msg),
                });
                Ok(if self.remaining().is_zero() {
                    Poll::Deadline
                } else {
                    Poll::Retry
                })
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Polls until no operation runs. `Ok(false)`: the deadline passed first.
    async fn wait_for_other(&mut self) -> Result<bool, SyncError> {
        self.evidence.waited_for_other_operation = true;
        loop {
            match self.poll(Stage::WaitingForOtherOperation).await? {
                Poll::Seen(obs) => {
                    let done = other_operation_done(&obs);
                    self.record(*obs, Stage::WaitingForOtherOperation);
                    if done {
                        return Ok(true);
                    }
                }
                Poll::Retry => {}
                Poll::Deadline => return Ok(false),
            }
        }
    }

    async fn go(mut self) -> Result<SyncReport, SyncError> {
        let first = self.get().await?;
        if let Some(expected) = &self.opts.expect_path {
            let actual = first.source_path.clone().unwrap_or_default();
            if actual.trim_end_matches('/') != expected.trim_end_matches('/') {
                return Err(SyncError::WrongPath {
                    app: self.opts.app.clone(),
                    actual,
                    expected: expected.clone(),
                });
            }
        }
        let mut busy = first.operation_running();
        let degraded_before = first.health == "Degraded";
        self.record(first, Stage::Syncing);
        loop {
            if busy {
                if !self.opts.wait_for_operation {
                    return Ok(self.finish(Some(Failure::OperationInProgress)));
                }
                if !self.wait_for_other().await? {
                    return Ok(self.finish(Some(Failure::TimedOut)));
                }
            }
            let baseline = self
                .last
                .as_ref()
                .and_then(|o| o.operation_started_at().map(str::to_string));
            let req = api::sync_request(&self.opts.app, &self.opts.params, &self.opts.token);
            match self.call(&req).await {
                Ok(_) => {
                    let wait = SyncWait::new(baseline, self.opts.params.dry_run)
                        .with_grace(self.opts.degraded_grace, degraded_before);
                    return self.wait_for_sync(wait).await;
                }
                Err(CallError::Api(ApiError::OperationInProgress { .. })) => busy = true,
                Err(e) => return Err(e.into()),
            }
        }
    }

    async fn wait_for_sync(mut self, mut wait: SyncWait) -> Result<SyncReport, SyncError> {
        loop {
            match self.poll(Stage::Syncing).await? {
                Poll::Seen(obs) => {
                    let decision = wait.decide(&obs, self.start.elapsed());
                    let synced = wait.is_synced(&obs);
                    self.record(*obs, Stage::Syncing);
                    if let Decision::Failed(f) = decision {
                        return Ok(self.finish(Some(f)));
                    }
                    if synced && self.workloads.is_none() && self.opts.workload_check.is_some() {
                        if let Some(f) = self.check_workloads().await? {
                            return Ok(self.finish(Some(f)));
                        }
                        continue;
                    }
                    if decision == Decision::Succeeded {
                        return Ok(self.finish(None));
                    }
                }
                Poll::Retry => {}
                Poll::Deadline => return Ok(self.finish(Some(Failure::TimedOut))),
            }
        }
    }

    /// Synced: waits for the workloads with `rollout status`'s check, in what is left of the
    /// deadline. Returns the failure when one did not roll out (a pod that cannot start fails at
    /// once); after it Argo CD's health is polled again.
    async fn check_workloads(&mut self) -> Result<Option<Failure>, SyncError> {
        let Some(check) = &self.opts.workload_check else {
            return Ok(None);
        };
        let mut check = check.clone();
        check.timeout = self.remaining().max(Duration::from_millis(1));
        let app = self.opts.app.clone();
        let start = self.start;
        let progress = &mut *self.progress;
        let report = crate::status::run(&check, &mut |line: &str| {
            progress(&Event {
                app: app.clone(),
                elapsed: start.elapsed(),
                stage: Stage::Workloads,
                phase: None,
                sync: String::new(),
                health: String::new(),
                note: Some(line.to_string()),
            })
        })
        .await?;
        let failure = (!report.ok()).then(|| {
            Failure::Workloads(
                report
                    .error
                    .clone()
                    .unwrap_or_else(|| format!("result {}", report.result)),
            )
        });
        self.workloads = Some(report);
        Ok(failure)
    }

    fn finish(mut self, failure: Option<Failure>) -> SyncReport {
        let last = self.last.take().unwrap_or_default();
        let ev = &mut self.evidence;
        ev.finished_at = http::now_rfc3339();
        ev.duration_seconds = self.start.elapsed().as_secs();
        ev.set_result(failure.as_ref());
        ev.synced_revision = last
            .operation
            .as_ref()
            .and_then(|o| o.revision.clone())
            .or_else(|| last.revision.clone());
        ev.operation = last.operation.clone();
        ev.sync_status = last.sync.clone();
        ev.health_status = last.health.clone();
        ev.resources = last.resources.clone();
        ev.workload_check = self.workloads.as_ref().map(|w| w.result.clone());
        let problems = if failure.is_some() {
            last.problems().into_iter().cloned().collect()
        } else {
            vec![]
        };
        SyncReport {
            failure,
            problems,
            evidence: self.evidence,
            workloads: self.workloads,
        }
    }
}

#[cfg(test)]
impl SyncOptions {
    /// Options for unit tests: `app` on a server nothing listens on, short waits.
    pub(crate) fn for_test(app: &str) -> Self {
        SyncOptions {
            app: app.into(),
            server: "http://127.0.0.1:9".into(),
            token: Secret::new("t"),
            insecure: false,
            params: SyncParams::default(),
            timeout: Duration::from_secs(1),
            poll_interval: Duration::from_millis(10),
            wait_for_operation: true,
            expect_path: None,
            degraded_grace: Duration::ZERO,
            workload_check: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_checked_before_any_request() {
        for bad in ["", "Media", "a/b", "-a", "a?b=c", "a b"] {
            assert!(!valid_name(bad), "{bad}");
        }
        for good in ["media-staging", "a", "media.staging-2"] {
            assert!(valid_name(good), "{good}");
        }
        let opts = SyncOptions::for_test("../x");
        assert!(matches!(
            run(&opts, &mut |_| {}),
            Err(SyncError::BadName(_))
        ));
        let zero = SyncOptions {
            app: "a".into(),
            poll_interval: Duration::ZERO,
            ..opts
        };
        assert!(matches!(
            run(&zero, &mut |_| {}),
            Err(SyncError::BadOption(_))
        ));
    }
}
