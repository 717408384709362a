//! `rollout alerts fire|quiet`: synthetic alerts inside a maintenance-window silence, with evidence.
//!
//! Owns the safety order: validate the payloads, create a silence matching exactly the synthetic alerts
//! (alertname, environment, `synthetic="true"`) and wait until it is active, and only then post the
//! alerts; read them back and confirm each is suppressed by that silence. `quiet` resolves the alerts
//! (endsAt now), expires the silence and confirms both. If the silence cannot be created, no alert is
//! sent. Prints nothing; the wire format is `clients::alertmanager`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::json;
use crate::value::Value;
use serde::Serialize;

use crate::clients::alertmanager::{
    self as am, AlertmanagerError, GettableAlert, Matcher, PostableSilence,
};
use crate::clients::http::{self, Exchange, Executor, HttpError};
use crate::evidence;
use crate::finding::Severity;
use crate::fsutil::{self, FsError};
use crate::schema::alertmanager::check_alerts_text;

/// The directory holding the synthetic payloads.
pub const DEFAULT_DIR: &str = "alerts";
/// `createdBy` of the silences `rollout` creates.
pub const CREATED_BY: &str = "rollout";
/// The label every synthetic alert carries with value `"true"`.
pub const SYNTHETIC_LABEL: &str = "synthetic";
/// The label naming the environment.
pub const ENVIRONMENT_LABEL: &str = "environment";
/// The synthetic alerts end this long before their silence does.
pub const ALERTS_END_EARLY: Duration = Duration::from_secs(30);
/// How often the read-back polls.
const POLL_EVERY: Duration = Duration::from_millis(200);

/// One synthetic alert from a payload file.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SyntheticAlert {
    /// The payload file it came from.
    pub file: String,
    pub labels: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub annotations: Option<Value>,
    #[serde(rename = "generatorURL", skip_serializing_if = "Option::is_none")]
    pub generator_url: Option<String>,
}

impl SyntheticAlert {
    /// The `alertname` label.
    pub fn alertname(&self) -> &str {
        self.labels
            .get("alertname")
            .map(String::as_str)
            .unwrap_or_default()
    }

    fn postable(&self, starts_at: &str, ends_at: &str) -> Value {
        let mut a = json!({"labels": self.labels, "startsAt": starts_at, "endsAt": ends_at});
        if let Some(ann) = &self.annotations {
            a["annotations"] = ann.clone();
        }
        if let Some(url) = &self.generator_url {
            a["generatorURL"] = json!(url);
        }
        a
    }
}

/// Everything that can stop `fire` or `quiet`.
#[derive(Debug, thiserror::Error)]
pub enum AlertsError {
    #[error(transparent)]
    Read(#[from] FsError),
    #[error("no alert payloads: {0} holds no *.json file")]
    NoPayloads(PathBuf),
    #[error("{file}: {count} error(s) in the alert payload, nothing was sent; first: {first}")]
    Invalid {
        file: String,
        count: usize,
        first: String,
    },
    #[error(
        "{file}: alert at {pointer} {reason}; the maintenance-window silence would not cover it"
    )]
    NotSynthetic {
        file: String,
        pointer: String,
        reason: String,
    },
    #[error("invalid --window {0:?}: use a number and s, m or h between 1m and 24h, e.g. 5m")]
    Window(String),
    #[error("{0}; check --alertmanager-url")]
    Http(#[from] HttpError),
    /// Alertmanager stopped answering part-way; `state` says what was already done.
    #[error("{error}; {state}")]
    Unreachable { error: HttpError, state: String },
    #[error("{source}; no alert was sent")]
    SilenceFailed {
        #[source]
        source: AlertmanagerError,
    },
    #[error(
        "silence {id} is {state}, not active, after {}; it was expired and no alert was sent", crate::duration::format(*.waited)
    )]
    SilenceNotActive {
        id: String,
        state: String,
        waited: Duration,
    },
    #[error("{source}; silence {silence_id} stays until {until} (run `rollout alerts quiet`)")]
    PostFailed {
        #[source]
        source: AlertmanagerError,
        silence_id: String,
        until: String,
    },
    #[error("{source}")]
    Api {
        #[source]
        source: AlertmanagerError,
    },
    #[error("{path}: not an alerts-fire evidence file: {reason}")]
    FireEvidence { path: PathBuf, reason: String },
    #[error("cannot write evidence: {0}")]
    Evidence(#[source] FsError),
}

/// Loads every `*.json` payload in `dir`, checks it like `rollout verify`, and requires each alert to be
/// synthetic (`alertname`, `environment` = `environment`, `synthetic="true"`).
///
/// # Errors
/// Unreadable or invalid files, or an alert the silence would not cover.
pub fn load_payloads(dir: &Path, environment: &str) -> Result<Vec<SyntheticAlert>, AlertsError> {
    let files = fsutil::json_files(dir)?;
    if files.is_empty() {
        return Err(AlertsError::NoPayloads(dir.to_path_buf()));
    }
    let mut out = Vec::new();
    for path in files {
        let file = path.display().to_string();
        let text = fsutil::read_to_string(&path)?;
        let errors: Vec<_> = check_alerts_text(&text)
            .into_iter()
            .filter(|f| f.severity == Severity::Error)
            .collect();
        if let Some(first) = errors.first() {
            return Err(AlertsError::Invalid {
                file,
                count: errors.len(),
                first: first.to_string(),
            });
        }
        let body: Vec<Value> =
            crate::gojson::from_str(&text).map_err(|e| AlertsError::Invalid {
                file: file.clone(),
                count: 1,
                first: e.to_string(),
            })?;
        for (i, alert) in body.into_iter().enumerate() {
            let pointer = format!("/{i}");
            let labels: BTreeMap<String, String> =
                crate::value::from_value(alert.get("labels").cloned().unwrap_or_default())
                    .map_err(|e| AlertsError::Invalid {
                        file: file.clone(),
                        count: 1,
                        first: e.to_string(),
                    })?;
            let not = |reason: String| AlertsError::NotSynthetic {
                file: file.clone(),
                pointer: pointer.clone(),
                reason,
            };
            if labels.get("alertname").is_none_or(String::is_empty) {
                return Err(not("has no alertname label".into()));
            }
            let mut labels = labels;
            match labels.get(ENVIRONMENT_LABEL) {
                Some(env) if env == environment => {}
                Some(env) => {
                    return Err(not(format!("has environment {env:?}, not {environment:?}")));
                }
                // The environment comes from the command (`--environment`), not the payload file.
                None => {
                    labels.insert(ENVIRONMENT_LABEL.to_string(), environment.to_string());
                }
            }
            if labels.get(SYNTHETIC_LABEL).map(String::as_str) != Some("true") {
                return Err(not(format!("lacks the label {SYNTHETIC_LABEL}=\"true\"")));
            }
            out.push(SyntheticAlert {
                file: file.clone(),
                labels,
                annotations: alert.get("annotations").cloned(),
                generator_url: alert
                    .get("generatorURL")
                    .and_then(Value::as_str)
                    .map(str::to_string),
            });
        }
    }
    Ok(out)
}

/// Parses `--window` (`90s`, `5m`, `1h`, any [`crate::duration::parse`] form): whole seconds
/// between one minute and a day.
///
/// # Errors
/// Any other form or range.
pub fn parse_window(s: &str) -> Result<Duration, AlertsError> {
    let d = crate::duration::parse(s).map_err(|_| AlertsError::Window(s.to_string()))?;
    if d.subsec_nanos() != 0 || !(60..=86_400).contains(&d.as_secs()) {
        return Err(AlertsError::Window(s.to_string()));
    }
    Ok(d)
}

/// The silence matchers covering exactly these alerts: `alertname` (one value, or an anchored
/// alternation of the escaped names), `environment` and `synthetic="true"`.
pub fn silence_matchers(alerts: &[SyntheticAlert], environment: &str) -> Vec<Matcher> {
    let mut names: Vec<&str> = alerts.iter().map(SyntheticAlert::alertname).collect();
    names.sort_unstable();
    names.dedup();
    let alertname = if names.len() == 1 {
        Matcher {
            name: "alertname".into(),
            value: names[0].to_string(),
            is_regex: false,
            is_equal: true,
        }
    } else {
        let value = names
            .iter()
            .map(|n| regex::escape(n))
            .collect::<Vec<_>>()
            .join("|");
        Matcher {
            name: "alertname".into(),
            value,
            is_regex: true,
            is_equal: true,
        }
    };
    vec![
        alertname,
        Matcher {
            name: ENVIRONMENT_LABEL.into(),
            value: environment.into(),
            is_regex: false,
            is_equal: true,
        },
        Matcher {
            name: SYNTHETIC_LABEL.into(),
            value: "true".into(),
            is_regex: false,
            is_equal: true,
        },
    ]
}

/// Where and how `fire` and `quiet` talk to Alertmanager.
#[derive(Debug, Clone)]
pub struct AlertmanagerOptions {
    pub alerts_dir: PathBuf,
    pub alertmanager_url: String,
    pub environment: String,
    pub dry_run: bool,
    /// `None` = `evidence/alerts-fire.json` or `alerts-quiet.json` (not written on a dry run).
    pub evidence: Option<PathBuf>,
    /// Per-request timeout.
    pub timeout: Duration,
    /// How long to wait for the silence and alert states to be confirmed.
    pub confirm_timeout: Duration,
}

/// Options for [`fire`].
#[derive(Debug, Clone)]
pub struct FireOptions {
    pub am: AlertmanagerOptions,
    pub window: Duration,
}

/// The silence as created.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SilenceRecord {
    /// `None` when the silence was not created.
    pub id: Option<String>,
    /// The last state read back (`pending`, `active`, `expired`).
    pub state: Option<String>,
    pub matchers: Vec<Matcher>,
    pub starts_at: String,
    pub ends_at: String,
    pub created_by: String,
    pub comment: String,
}

/// One alert's read-back.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Confirmation {
    pub alertname: String,
    pub labels: BTreeMap<String, String>,
    /// The alert was listed by Alertmanager.
    pub found: bool,
    /// `status.state` (`active`, `suppressed`, `unprocessed`).
    pub state: Option<String>,
    pub silenced_by: Vec<String>,
    pub ends_at: Option<String>,
    /// Listed, suppressed, and silenced by our silence id.
    pub ok: bool,
}

/// Timestamps of each step (RFC 3339 UTC).
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FireTimes {
    pub silence_created_at: Option<String>,
    pub silence_active_at: Option<String>,
    pub alerts_posted_at: Option<String>,
    pub confirmed_at: Option<String>,
}

/// The evidence record and result of [`fire`].
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FireReport {
    pub kind: &'static str,
    pub schema_version: u32,
    pub alertmanager_url: String,
    pub environment: String,
    /// The window as given, e.g. `5m`.
    pub window: String,
    pub dry_run: bool,
    pub started_at: String,
    pub finished_at: String,
    /// `confirmed`, `not-confirmed`, `silence-failed`, `silence-not-active`, `post-failed`,
    /// `unreachable` or `dry-run`.
    pub result: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub silence: SilenceRecord,
    /// The alerts as posted (or to be posted), with their times.
    pub alerts: Vec<Value>,
    /// Whether the alerts were sent.
    pub alerts_sent: bool,
    pub confirmations: Vec<Confirmation>,
    pub times: FireTimes,
    pub exchanges: Vec<Exchange>,
    #[serde(skip)]
    pub evidence_path: Option<PathBuf>,
}

impl FireReport {
    /// True when every alert was confirmed suppressed by the silence.
    pub fn confirmed(&self) -> bool {
        self.result == "confirmed"
    }
}

fn window_text(d: Duration) -> String {
    let s = d.as_secs();
    if s.is_multiple_of(3600) {
        format!("{}h", s / 3600)
    } else if s.is_multiple_of(60) {
        format!("{}m", s / 60)
    } else {
        format!("{s}s")
    }
}

fn after(t: jiff::Timestamp, d: Duration) -> jiff::Timestamp {
    let d = jiff::SignedDuration::try_from(d).unwrap_or(jiff::SignedDuration::ZERO);
    t.checked_add(d).unwrap_or(t)
}

/// Validates the payloads, creates the maintenance-window silence, posts the alerts and confirms each is
/// suppressed by that silence. Evidence is written before returning, whatever happened.
///
/// # Errors
/// Invalid payloads or window, Alertmanager unreachable, the silence rejected or not active (then no
/// alert is sent), the alerts rejected, or evidence that cannot be written. A read-back that does not
/// confirm suppression is not an error: the report's `result` is `not-confirmed`.
pub fn fire(opts: &FireOptions) -> Result<FireReport, AlertsError> {
    crate::mask::register_url(&opts.am.alertmanager_url);
    let alerts = load_payloads(&opts.am.alerts_dir, &opts.am.environment)?;
    http::parse_base(&opts.am.alertmanager_url)?;
    let now = jiff::Timestamp::now();
    let starts_at = http::format_time(now);
    let ends_at = http::format_time(after(now, opts.window));
    // the alerts resolve before the silence ends, so none is ever live without it
    let alerts_end = http::format_time(after(now, opts.window.saturating_sub(ALERTS_END_EARLY)));
    let names: Vec<&str> = alerts.iter().map(SyntheticAlert::alertname).collect();
    let silence = PostableSilence {
        matchers: silence_matchers(&alerts, &opts.am.environment),
        starts_at: starts_at.clone(),
        ends_at: ends_at.clone(),
        created_by: CREATED_BY.into(),
        comment: format!(
            "rollout alerts fire: maintenance window for {} synthetic alert(s) in {} ({})",
            alerts.len(),
            opts.am.environment,
            names.join(", ")
        ),
    };
    let mut report = FireReport {
        kind: evidence::KIND_ALERTS_FIRE,
        schema_version: evidence::SCHEMA_VERSION,
        alertmanager_url: crate::mask::url(&opts.am.alertmanager_url),
        environment: opts.am.environment.clone(),
        window: window_text(opts.window),
        dry_run: opts.am.dry_run,
        started_at: starts_at.clone(),
        finished_at: String::new(),
        result: String::new(),
        error: None,
        silence: SilenceRecord {
            id: None,
            state: None,
            matchers: silence.matchers.clone(),
            starts_at: starts_at.clone(),
            ends_at: ends_at.clone(),
            created_by: silence.created_by.clone(),
            comment: silence.comment.clone(),
        },
        alerts: alerts
            .iter()
            .map(|a| a.postable(&starts_at, &alerts_end))
            .collect(),
        alerts_sent: false,
        confirmations: Vec::new(),
        times: FireTimes::default(),
        exchanges: Vec::new(),
        evidence_path: None,
    };
    if opts.am.dry_run {
        evidence::finish_dry_run(&mut report, opts.am.evidence.as_deref(), &[])
            .map_err(AlertsError::Evidence)?;
        return Ok(report);
    }
    let mut exec = Executor::new(&opts.am.alertmanager_url, opts.am.timeout)?;
    let outcome = http::block_on(fire_steps(&mut exec, &silence, &alerts, &mut report, opts))?;
    report.exchanges = exec.exchanges;
    finish_sent(
        report,
        outcome,
        opts.am.evidence.as_deref(),
        evidence::files::ALERTS_FIRE,
    )
}

/// Records the outcome of a run that talked to Alertmanager and writes the evidence.
fn finish_sent<R: evidence::Record>(
    mut report: R,
    outcome: Result<(), AlertsError>,
    path: Option<&Path>,
    default_file: &str,
) -> Result<R, AlertsError> {
    if let Err(e) = &outcome {
        *report.ending().error = Some(e.to_string());
    }
    evidence::finish(&mut report, path, default_file, &[]).map_err(AlertsError::Evidence)?;
    outcome.map(|()| report)
}

evidence::impl_record!(FireReport, QuietReport);

async fn fire_steps(
    exec: &mut Executor,
    silence: &PostableSilence,
    alerts: &[SyntheticAlert],
    report: &mut FireReport,
    opts: &FireOptions,
) -> Result<(), AlertsError> {
    let unreachable = |report: &mut FireReport, error: HttpError| {
        report.result = "unreachable".into();
        let state = match (&report.silence.id, report.alerts_sent) {
            (None, _) => "nothing was sent".to_string(),
            (Some(id), false) => format!(
                "no alert was sent; silence {id} stays until {}",
                report.silence.ends_at
            ),
            (Some(id), true) => format!(
                "the alerts were posted under silence {id} (until {}); run `rollout alerts quiet`",
                report.silence.ends_at
            ),
        };
        AlertsError::Unreachable { error, state }
    };
    // 1. the silence, before any alert
    let resp = match exec.send(&am::create_silence_request(silence)).await {
        Ok(r) => r,
        Err(e) => return Err(unreachable(report, e)),
    };
    let id = match am::parse_silence_created(&resp) {
        Ok(id) => id,
        Err(source) => {
            report.result = "silence-failed".into();
            return Err(AlertsError::SilenceFailed { source });
        }
    };
    report.silence.id = Some(id.clone());
    report.times.silence_created_at = Some(http::now_rfc3339());
    // 2. wait until it is active (a clock ahead of the server's makes it pending for a moment)
    let deadline = tokio::time::Instant::now() + opts.am.confirm_timeout;
    loop {
        let resp = match exec.send(&am::get_silence_request(&id)).await {
            Ok(r) => r,
            Err(e) => return Err(unreachable(report, e)),
        };
        let state = am::parse_silence(&resp)
            .map_err(|source| AlertsError::Api { source })?
            .status
            .state;
        report.silence.state = Some(state.clone());
        if state == "active" {
            report.times.silence_active_at = Some(http::now_rfc3339());
            break;
        }
        if tokio::time::Instant::now() >= deadline {
            report.result = "silence-not-active".into();
            if let Ok(r) = exec.send(&am::expire_silence_request(&id)).await
                && am::parse_silence_expired(&r).is_ok()
            {
                report.silence.state = Some("expired".into());
            }
            return Err(AlertsError::SilenceNotActive {
                id,
                state,
                waited: opts.am.confirm_timeout,
            });
        }
        tokio::time::sleep(POLL_EVERY).await;
    }
    // 3. the alerts
    let body = Value::Array(report.alerts.clone());
    let resp = match exec.send(&am::post_alerts_request(&body)).await {
        Ok(r) => r,
        Err(e) => return Err(unreachable(report, e)),
    };
    report.alerts_sent = resp.status == 200;
    if let Err(source) = am::parse_alerts_posted(&resp) {
        report.result = "post-failed".into();
        return Err(AlertsError::PostFailed {
            source,
            silence_id: id,
            until: silence.ends_at.clone(),
        });
    }
    report.times.alerts_posted_at = Some(http::now_rfc3339());
    // 4. read back until each is suppressed by our silence
    let filter = [
        (ENVIRONMENT_LABEL, opts.am.environment.as_str()),
        (SYNTHETIC_LABEL, "true"),
    ];
    loop {
        let resp = match exec.send(&am::list_alerts_request(&filter)).await {
            Ok(r) => r,
            Err(e) => return Err(unreachable(report, e)),
        };
        let listed = am::parse_alerts(&resp).map_err(|source| AlertsError::Api { source })?;
        report.confirmations = confirm(alerts, &listed, &id);
        if report.confirmations.iter().all(|c| c.ok) {
            report.times.confirmed_at = Some(http::now_rfc3339());
            report.result = "confirmed".into();
            return Ok(());
        }
        if tokio::time::Instant::now() >= deadline {
            report.result = "not-confirmed".into();
            return Ok(());
        }
        tokio::time::sleep(POLL_EVERY).await;
    }
}

fn confirm(
    alerts: &[SyntheticAlert],
    listed: &[GettableAlert],
    silence_id: &str,
) -> Vec<Confirmation> {
    alerts
        .iter()
        .map(|a| {
            let found = listed.iter().find(|l| l.labels == a.labels);
            let ok = found.is_some_and(|l| {
                l.status.state == "suppressed"
                    && l.status.silenced_by.iter().any(|s| s == silence_id)
            });
            Confirmation {
                alertname: a.alertname().to_string(),
                labels: a.labels.clone(),
                found: found.is_some(),
                state: found.map(|l| l.status.state.clone()),
                silenced_by: found
                    .map(|l| l.status.silenced_by.clone())
                    .unwrap_or_default(),
                ends_at: found.map(|l| l.ends_at.clone()),
                ok,
            }
        })
        .collect()
}

/// Options for [`quiet`].
#[derive(Debug, Clone)]
pub struct QuietOptions {
    pub am: AlertmanagerOptions,
    /// A silence to expire besides those found by their matchers.
    pub silence_id: Option<String>,
    /// An `alerts fire` evidence file whose silence is expired too (optional: our silences and
    /// alerts are found in Alertmanager by their matchers).
    pub fire_evidence: Option<PathBuf>,
}

/// The evidence record and result of [`quiet`].
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct QuietReport {
    pub kind: &'static str,
    pub schema_version: u32,
    pub alertmanager_url: String,
    pub environment: String,
    /// The silences expired, comma-separated (empty when there was none).
    pub silence_id: String,
    /// The silences expired: ours, found by their matchers (`synthetic="true"`, the environment,
    /// `createdBy`), plus any named by `--silence-id` or the fire evidence.
    pub silence_ids: Vec<String>,
    pub dry_run: bool,
    pub started_at: String,
    pub finished_at: String,
    /// `quiet`, `not-quiet`, `unreachable`, `failed` or `dry-run`.
    pub result: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The alerts as re-posted with `endsAt` = now.
    pub resolved_alerts: Vec<Value>,
    pub resolved_at: Option<String>,
    /// Synthetic alerts Alertmanager still lists after resolving (labels).
    pub remaining_alerts: Vec<BTreeMap<String, String>>,
    /// The silence state read back after expiring it.
    pub silence_state: Option<String>,
    pub silence_expired_at: Option<String>,
    pub exchanges: Vec<Exchange>,
    #[serde(skip)]
    pub evidence_path: Option<PathBuf>,
}

impl QuietReport {
    /// True when the alerts are gone and the silence is expired.
    pub fn is_quiet(&self) -> bool {
        self.result == "quiet"
    }
}

/// What `quiet` takes from the fire evidence: the silence it created.
struct Fired {
    silence_id: Option<String>,
}

fn read_fire_evidence(path: &Path) -> Result<Option<Fired>, AlertsError> {
    if !path.exists() {
        return Ok(None);
    }
    let text = fsutil::read_to_string(path)?;
    let bad = |reason: String| AlertsError::FireEvidence {
        path: path.to_path_buf(),
        reason,
    };
    let v: Value = crate::gojson::from_str(&text).map_err(|e| bad(e.to_string()))?;
    if v.get("kind").and_then(Value::as_str) != Some(evidence::KIND_ALERTS_FIRE) {
        return Err(bad(format!("kind is not {:?}", evidence::KIND_ALERTS_FIRE)));
    }
    let silence_id = v
        .pointer("/silence/id")
        .and_then(Value::as_str)
        .map(str::to_string);
    Ok(Some(Fired { silence_id }))
}

/// Finds our silences and synthetic alerts in Alertmanager by their matchers and labels
/// (`synthetic="true"`, the environment, `createdBy: rollout`), so it works after an interrupted
/// `fire`, from another machine and after an Alertmanager restart; resolves the alerts (`endsAt` =
/// now), confirms Alertmanager no longer lists them, then expires each silence and confirms it is
/// expired. Evidence is written before returning.
///
/// # Errors
/// Invalid payloads or fire evidence, Alertmanager unreachable or rejecting a request, or
/// evidence that cannot be written. Alerts still listed or a silence not expired are not errors: the
/// report's `result` is `not-quiet`.
pub fn quiet(opts: &QuietOptions) -> Result<QuietReport, AlertsError> {
    let fired = match &opts.fire_evidence {
        Some(p) => {
            let f = read_fire_evidence(p)?;
            if f.is_none() {
                return Err(AlertsError::FireEvidence {
                    path: p.clone(),
                    reason: "no such file".into(),
                });
            }
            f
        }
        None => None,
    };
    let mut named: Vec<String> = opts.silence_id.iter().cloned().collect();
    if let Some(id) = fired.as_ref().and_then(|f| f.silence_id.clone())
        && !named.contains(&id)
    {
        named.push(id);
    }
    http::parse_base(&opts.am.alertmanager_url)?;
    crate::mask::register_url(&opts.am.alertmanager_url);
    let now = http::now_rfc3339();
    let mut report = QuietReport {
        kind: evidence::KIND_ALERTS_QUIET,
        schema_version: evidence::SCHEMA_VERSION,
        alertmanager_url: crate::mask::url(&opts.am.alertmanager_url),
        environment: opts.am.environment.clone(),
        silence_id: named.join(","),
        silence_ids: named.clone(),
        dry_run: opts.am.dry_run,
        started_at: now.clone(),
        finished_at: String::new(),
        result: String::new(),
        error: None,
        resolved_alerts: Vec::new(),
        resolved_at: None,
        remaining_alerts: Vec::new(),
        silence_state: None,
        silence_expired_at: None,
        exchanges: Vec::new(),
        evidence_path: None,
    };
    if opts.am.dry_run {
        // Nothing is sent, not even a lookup: show what the payloads would resolve.
        report.resolved_alerts = load_payloads(&opts.am.alerts_dir, &opts.am.environment)?
            .iter()
            .map(|a| a.postable(&now, &now))
            .collect();
        evidence::finish_dry_run(&mut report, opts.am.evidence.as_deref(), &[])
            .map_err(AlertsError::Evidence)?;
        return Ok(report);
    }
    let mut exec = Executor::new(&opts.am.alertmanager_url, opts.am.timeout)?;
    let outcome = http::block_on(quiet_steps(&mut exec, named, &mut report, opts))?;
    report.exchanges = exec.exchanges;
    finish_sent(
        report,
        outcome,
        opts.am.evidence.as_deref(),
        evidence::files::ALERTS_QUIET,
    )
}

/// The `endsAt` that resolves an alert now: now, or just after its `startsAt` when the server's
/// start is later than our (second-precision) now, which Alertmanager would reject.
fn resolve_at(starts_at: &str, now: &str) -> String {
    match (
        starts_at.parse::<jiff::Timestamp>(),
        now.parse::<jiff::Timestamp>(),
    ) {
        (Ok(start), Ok(n)) if start >= n => {
            (start + jiff::SignedDuration::from_millis(1)).to_string()
        }
        _ => now.to_string(),
    }
}

/// Whether a silence is one `alerts fire` made for `environment`: created by us, matching
/// `synthetic="true"` and the environment exactly.
fn is_our_silence(s: &am::GettableSilence, environment: &str) -> bool {
    let has = |name: &str, value: &str| {
        s.matchers
            .iter()
            .any(|m| m.name == name && m.value == value && !m.is_regex && m.is_equal)
    };
    s.created_by == CREATED_BY
        && has(SYNTHETIC_LABEL, "true")
        && has(ENVIRONMENT_LABEL, environment)
}

async fn quiet_steps(
    exec: &mut Executor,
    named: Vec<String>,
    report: &mut QuietReport,
    opts: &QuietOptions,
) -> Result<(), AlertsError> {
    let fail = |report: &mut QuietReport, result: &str, e: AlertsError| {
        report.result = result.into();
        match e {
            AlertsError::Http(error) => AlertsError::Unreachable {
                error,
                state: match &report.resolved_at {
                    None => "nothing was changed".to_string(),
                    Some(_) => format!(
                        "the alerts were resolved but the silences ({}) were not confirmed expired",
                        report.silence_id
                    ),
                },
            },
            other => other,
        }
    };
    let env = opts.am.environment.as_str();
    // 1. find our silences and alerts in Alertmanager by their matchers and labels
    let resp = exec
        .send(&am::list_silences_request())
        .await
        .map_err(|e| fail(report, "unreachable", e.into()))?;
    let silences = am::parse_silences(&resp)
        .map_err(|source| fail(report, "failed", AlertsError::Api { source }))?;
    let mut ids: Vec<String> = silences
        .iter()
        .filter(|s| s.status.state != "expired" && is_our_silence(s, env))
        .map(|s| s.id.clone())
        .collect();
    for id in named {
        let known = silences.iter().find(|s| s.id == id);
        if known.is_none_or(|s| s.status.state != "expired") && !ids.contains(&id) {
            ids.push(id);
        }
    }
    ids.sort();
    report.silence_id = ids.join(",");
    report.silence_ids = ids.clone();
    let filter = [(ENVIRONMENT_LABEL, env), (SYNTHETIC_LABEL, "true")];
    let resp = exec
        .send(&am::list_alerts_request(&filter))
        .await
        .map_err(|e| fail(report, "unreachable", e.into()))?;
    let mut listed = am::parse_alerts(&resp)
        .map_err(|source| fail(report, "failed", AlertsError::Api { source }))?;
    listed.sort_by(|a, b| a.labels.cmp(&b.labels));
    // 2. resolve them first, so no alert is ever active without the silence; endsAt to the
    // millisecond, or Alertmanager sees an end before the start it recorded this second
    let now = jiff::Timestamp::now()
        .round(jiff::Unit::Millisecond)
        .unwrap_or_else(|_| jiff::Timestamp::now())
        .to_string();
    report.resolved_alerts = listed
        .iter()
        .map(|a| {
            SyntheticAlert {
                file: String::new(),
                labels: a.labels.clone(),
                annotations: (!a.annotations.is_empty()).then(|| json!(a.annotations)),
                generator_url: (!a.generator_url.is_empty()).then(|| a.generator_url.clone()),
            }
            .postable(
                if a.starts_at.is_empty() {
                    &now
                } else {
                    &a.starts_at
                },
                &resolve_at(&a.starts_at, &now),
            )
        })
        .collect();
    let labels: Vec<BTreeMap<String, String>> = listed.into_iter().map(|a| a.labels).collect();
    if !report.resolved_alerts.is_empty() {
        let body = Value::Array(report.resolved_alerts.clone());
        let resp = exec
            .send(&am::post_alerts_request(&body))
            .await
            .map_err(|e| fail(report, "unreachable", e.into()))?;
        am::parse_alerts_posted(&resp)
            .map_err(|source| fail(report, "failed", AlertsError::Api { source }))?;
    }
    report.resolved_at = Some(http::now_rfc3339());
    // 3. confirm Alertmanager no longer lists them
    let deadline = tokio::time::Instant::now() + opts.am.confirm_timeout;
    while !labels.is_empty() {
        let resp = exec
            .send(&am::list_alerts_request(&filter))
            .await
            .map_err(|e| fail(report, "unreachable", e.into()))?;
        let listed = am::parse_alerts(&resp)
            .map_err(|source| fail(report, "failed", AlertsError::Api { source }))?;
        report.remaining_alerts = listed
            .into_iter()
            .map(|a| a.labels)
            .filter(|l| labels.contains(l))
            .collect();
        if report.remaining_alerts.is_empty() || tokio::time::Instant::now() >= deadline {
            break;
        }
        tokio::time::sleep(POLL_EVERY).await;
    }
    // 4. expire each silence and read it back
    let mut all_expired = true;
    let mut states = Vec::new();
    for id in &ids {
        let resp = exec
            .send(&am::expire_silence_request(id))
            .await
            .map_err(|e| fail(report, "unreachable", e.into()))?;
        let expire_result = am::parse_silence_expired(&resp);
        let resp = exec
            .send(&am::get_silence_request(id))
            .await
            .map_err(|e| fail(report, "unreachable", e.into()))?;
        let silence = am::parse_silence(&resp)
            .map_err(|source| fail(report, "failed", AlertsError::Api { source }))?;
        if silence.status.state != "expired" {
            all_expired = false;
            if let Err(source) = expire_result {
                return Err(fail(report, "failed", AlertsError::Api { source }));
            }
        }
        states.push(silence.status.state);
    }
    report.silence_state = Some(if ids.is_empty() {
        "none found".to_string()
    } else if all_expired {
        "expired".to_string()
    } else {
        states
            .into_iter()
            .find(|s| s != "expired")
            .unwrap_or_default()
    });
    if all_expired && !ids.is_empty() {
        report.silence_expired_at = Some(http::now_rfc3339());
    }
    report.result = if report.remaining_alerts.is_empty() && all_expired {
        "quiet"
    } else {
        "not-quiet"
    }
    .into();
    Ok(())
}

/// Human summary of `fire` for stdout.
pub fn render_fire_text(r: &FireReport) -> String {
    let mut out = String::new();
    let matchers = r
        .silence
        .matchers
        .iter()
        .map(|m| {
            format!(
                "{}{}{:?}",
                m.name,
                if m.is_regex { "=~" } else { "=" },
                m.value
            )
        })
        .collect::<Vec<_>>()
        .join(", ");
    if r.dry_run {
        out.push_str(&format!(
            "dry run: would create a silence from {} to {} matching {matchers}\n",
            r.silence.starts_at, r.silence.ends_at
        ));
        out.push_str(&format!(
            "dry run: would then POST {} alert(s) to {}/api/v2/alerts:\n",
            r.alerts.len(),
            r.alertmanager_url.trim_end_matches('/')
        ));
        out.push_str(&serde_json::to_string_pretty(&r.alerts).unwrap_or_default());
        out.push('\n');
    } else {
        out.push_str(&format!(
            "silence {} {} from {} to {} matching {matchers}\n",
            r.silence.id.as_deref().unwrap_or("(none)"),
            r.silence.state.as_deref().unwrap_or("unknown"),
            r.silence.starts_at,
            r.silence.ends_at
        ));
        if let Some(t) = &r.times.alerts_posted_at {
            out.push_str(&format!("posted {} alert(s) at {t}\n", r.alerts.len()));
        }
        for c in &r.confirmations {
            let verdict = if c.ok { "ok" } else { "NOT CONFIRMED" };
            out.push_str(&format!(
                "{verdict}: {} is {} (silenced by {})\n",
                c.alertname,
                c.state.as_deref().unwrap_or("not listed"),
                if c.silenced_by.is_empty() {
                    "nothing".to_string()
                } else {
                    c.silenced_by.join(", ")
                }
            ));
        }
        out.push_str(&format!("result: {}\n", r.result));
    }
    if let Some(p) = &r.evidence_path {
        out.push_str(&format!("evidence: {}\n", p.display()));
    }
    out
}

/// Human summary of `quiet` for stdout.
pub fn render_quiet_text(r: &QuietReport) -> String {
    let mut out = String::new();
    if r.dry_run {
        out.push_str(&format!(
            "dry run: would resolve the synthetic alerts Alertmanager lists ({} in alerts/, endsAt {}) and expire our silences for {}{}\n",
            r.resolved_alerts.len(),
            r.started_at,
            r.environment,
            if r.silence_id.is_empty() {
                String::new()
            } else {
                format!(" and {}", r.silence_id)
            }
        ));
    } else {
        out.push_str(&format!(
            "resolved {} alert(s) at {}; still listed: {}\n",
            r.resolved_alerts.len(),
            r.resolved_at.as_deref().unwrap_or("(not resolved)"),
            r.remaining_alerts.len()
        ));
        if r.silence_ids.is_empty() {
            out.push_str("no silence of ours was found\n");
        } else {
            out.push_str(&format!(
                "silence {} is {}\n",
                r.silence_id,
                r.silence_state.as_deref().unwrap_or("unknown")
            ));
        }
        out.push_str(&format!("result: {}\n", r.result));
    }
    if let Some(p) = &r.evidence_path {
        out.push_str(&format!("evidence: {}\n", p.display()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alert(name: &str) -> SyntheticAlert {
        SyntheticAlert {
            file: "f".into(),
            labels: [
                ("alertname", name),
                ("environment", "staging"),
                ("synthetic", "true"),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
            annotations: None,
            generator_url: None,
        }
    }

    #[test]
    fn windows() {
        assert_eq!(parse_window("5m").unwrap(), Duration::from_secs(300));
        assert_eq!(parse_window("90s").unwrap(), Duration::from_secs(90));
        assert_eq!(parse_window("1h").unwrap(), Duration::from_secs(3600));
        for bad in [
            "",
            "5",
            "m",
            "30s",
            "25h",
            "5 m",
            "-5m",
            "5d",
            "99999999999999999999m",
        ] {
            assert!(parse_window(bad).is_err(), "{bad}");
        }
        assert_eq!(window_text(Duration::from_secs(300)), "5m");
    }

    #[test]
    fn matchers_cover_exactly_the_names() {
        let m = silence_matchers(&[alert("B.x"), alert("A"), alert("A")], "staging");
        assert_eq!(
            m[0],
            Matcher {
                name: "alertname".into(),
                value: r"A|B\.x".into(),
                is_regex: true,
                is_equal: true
            }
        );
        assert_eq!(
            (m[1].name.as_str(), m[1].value.as_str(), m[1].is_regex),
            ("environment", "staging", false)
        );
        assert_eq!(
            (m[2].name.as_str(), m[2].value.as_str()),
            ("synthetic", "true")
        );
        let one = silence_matchers(&[alert("A")], "staging");
        assert_eq!((one[0].value.as_str(), one[0].is_regex), ("A", false));
    }

    #[test]
    fn issue_12_a_payload_without_environment_takes_the_commands() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("a.json"),
            r#"[{"labels": {"alertname": "A", "synthetic": "true"}}]"#,
        )
        .unwrap();
        let alerts = load_payloads(dir.path(), "production").unwrap();
        assert_eq!(alerts[0].labels[ENVIRONMENT_LABEL], "production");
    }

    #[test]
    fn the_committed_payloads_load_for_staging_only() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("alerts");
        assert_eq!(load_payloads(&dir, "staging").unwrap().len(), 4);
        let err = load_payloads(&dir, "production").unwrap_err().to_string();
        assert!(
            err.contains("has environment \"staging\", not \"production\""),
            "{err}"
        );
    }

    #[test]
    fn payloads_without_the_synthetic_label_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("a.json"),
            r#"[{"labels": {"alertname": "A", "environment": "staging"}}]"#,
        )
        .unwrap();
        let err = load_payloads(dir.path(), "staging")
            .unwrap_err()
            .to_string();
        assert!(err.ends_with("alert at /0 lacks the label synthetic=\"true\"; the maintenance-window silence would not cover it"), "{err}");
        std::fs::write(dir.path().join("a.json"), r#"[{"labels": {}}]"#).unwrap();
        let err = load_payloads(dir.path(), "staging")
            .unwrap_err()
            .to_string();
        assert!(err.contains("alert-labels-empty"), "{err}");
    }

    #[test]
    fn confirmation_needs_our_silence_id() {
        let a = alert("A");
        let listed = |state: &str, by: &[&str]| GettableAlert {
            labels: a.labels.clone(),
            annotations: BTreeMap::new(),
            generator_url: String::new(),
            fingerprint: String::new(),
            starts_at: String::new(),
            ends_at: String::new(),
            status: am::AlertStatus {
                state: state.into(),
                silenced_by: by.iter().map(|s| s.to_string()).collect(),
                inhibited_by: vec![],
            },
        };
        assert!(
            confirm(
                std::slice::from_ref(&a),
                &[listed("suppressed", &["s1"])],
                "s1"
            )[0]
            .ok
        );
        assert!(
            !confirm(
                std::slice::from_ref(&a),
                &[listed("suppressed", &["other"])],
                "s1"
            )[0]
            .ok
        );
        assert!(!confirm(std::slice::from_ref(&a), &[listed("active", &[])], "s1")[0].ok);
        let missing = &confirm(std::slice::from_ref(&a), &[], "s1")[0];
        assert!(!missing.found && !missing.ok);
    }
}
