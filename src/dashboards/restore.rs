//! `rollout dashboards restore`: bring back an earlier saved version of a Grafana dashboard.
//!
//! Owns the choice of the version (`--version N`, or `--previous`: the version our last push
//! replaced, read from `evidence/dashboards-push.json`, else the latest version minus one), the
//! `GET …/versions` then `POST …/restore` exchange, and `evidence/dashboards-restore.json`. Prints
//! nothing; never puts the token in its result or evidence. The wire format is `clients::grafana`.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::value::Value;
use serde::Serialize;

use crate::clients::grafana::{self, Pushed, VersionInfo, VersionsError};
use crate::clients::http::{self, Exchange, Executor, HttpError};
use crate::evidence;
use crate::fsutil::FsError;
use crate::secret::Secret;

/// Grafana's default page size of the versions list: a list this long may not hold every version.
pub const VERSIONS_PAGE: usize = 1000;

/// Which version to restore.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// `--version N`.
    Version(i64),
    /// `--previous`: the version the last push replaced.
    Previous,
}

/// Options for [`restore`], resolved by the command (URL and token already looked up).
#[derive(Debug, Clone)]
pub struct RestoreOptions {
    pub uid: String,
    pub target: Target,
    /// Grafana base URL (`--grafana-url` or `GRAFANA_URL`).
    pub grafana_url: Option<String>,
    pub token: Option<Secret>,
    /// List the versions and show the restore request; do not send it. Evidence only with `evidence`.
    pub dry_run: bool,
    /// Where to write evidence; `None` = `evidence/dashboards-restore.json` (not on a dry run).
    pub evidence: Option<PathBuf>,
    /// The push evidence `--previous` reads (`evidence/dashboards-push.json`).
    pub push_evidence: PathBuf,
    /// Per-request timeout.
    pub timeout: Duration,
}

/// The evidence record and the result of [`restore`].
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RestoreReport {
    pub kind: &'static str,
    pub schema_version: u32,
    pub grafana_url: Option<String>,
    pub uid: String,
    pub dry_run: bool,
    pub started_at: String,
    pub finished_at: String,
    /// `restored`, `rejected`, `unreachable`, `refused` (no version to restore) or `dry-run`.
    pub result: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// `--version` or `--previous`.
    pub requested: String,
    /// Where the version came from: `flag`, `push-evidence` or `latest-minus-one`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version_source: Option<String>,
    /// The version asked for.
    pub target_version: Option<i64>,
    /// The newest version Grafana listed before the restore.
    pub latest_version: Option<i64>,
    /// The new version Grafana saved with the restored content.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub restored_version: Option<i64>,
    /// Full dashboard URL after the restore.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// The versions Grafana listed, newest first.
    pub versions: Vec<VersionInfo>,
    /// Every HTTP exchange.
    pub exchanges: Vec<Exchange>,
    #[serde(skip)]
    pub evidence_path: Option<PathBuf>,
}

evidence::impl_record!(RestoreReport);

/// Why a restore could not be done or was refused.
#[derive(Debug, thiserror::Error)]
pub enum RestoreError {
    #[error("invalid dashboard uid {0:?}: a uid has at most 40 letters, digits, '-' or '_'")]
    InvalidUid(String),
    #[error("no Grafana URL: pass --grafana-url or set GRAFANA_URL")]
    NoUrl,
    #[error("no Grafana token: pass --token-file or set GRAFANA_API_TOKEN")]
    NoToken,
    #[error("invalid version {0}: versions start at 1")]
    BadVersion(i64),
    #[error(transparent)]
    Http(#[from] HttpError),
    #[error("{source}{}", evidence_suffix(.evidence))]
    Grafana {
        #[source]
        source: VersionsError,
        evidence: Option<PathBuf>,
    },
    #[error("{reason}{}", evidence_suffix(.evidence))]
    Refused {
        reason: String,
        evidence: Option<PathBuf>,
    },
    #[error("{path}: not a dashboards-push evidence file ({reason}); pass --version N instead")]
    PushEvidence { path: String, reason: String },
    #[error("cannot write evidence: {0}")]
    Evidence(#[source] FsError),
}

fn evidence_suffix(p: &Option<PathBuf>) -> String {
    p.as_ref()
        .map(|p| format!(" (evidence: {})", p.display()))
        .unwrap_or_default()
}

/// What the push evidence says about `uid`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PushedBefore {
    /// No push evidence, or it does not name the dashboard.
    Unknown,
    /// Our push created the dashboard: nothing earlier to restore.
    Created,
    /// Our push replaced this version.
    Replaced(i64),
}

/// Reads what the push evidence at `path` recorded about dashboard `uid`.
///
/// # Errors
/// When the file exists but is not push evidence.
pub fn pushed_before(path: &Path, uid: &str) -> Result<PushedBefore, RestoreError> {
    let bad = |reason: String| RestoreError::PushEvidence {
        path: path.display().to_string(),
        reason,
    };
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(PushedBefore::Unknown),
        Err(e) => return Err(bad(e.to_string())),
    };
    let v: Value = crate::gojson::from_str(&text).map_err(|e| bad(e.to_string()))?;
    if v.get("kind").and_then(Value::as_str) != Some(evidence::KIND_DASHBOARDS_PUSH) {
        return Err(bad(format!(
            "kind is {}",
            v.get("kind").unwrap_or(&Value::Null)
        )));
    }
    let record = v
        .get("dashboards")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .find(|d| {
            d.get("uid").and_then(Value::as_str) == Some(uid)
                && d.get("result").and_then(Value::as_str) == Some("pushed")
        });
    Ok(match record {
        None => PushedBefore::Unknown,
        Some(d) => match d.get("replacedVersion") {
            Some(Value::Null) => PushedBefore::Created,
            Some(n) => n
                .as_i64()
                .map_or(PushedBefore::Unknown, PushedBefore::Replaced),
            None => PushedBefore::Unknown,
        },
    })
}

/// The version to restore and where it came from, or why there is none.
///
/// # Errors
/// `--previous` with nothing before (a push that created the dashboard, or a single version), or a
/// version not in a complete list.
pub fn choose(
    uid: &str,
    target: Target,
    before: &PushedBefore,
    versions: &[VersionInfo],
) -> Result<(i64, &'static str), String> {
    let latest = versions.iter().map(|v| v.version).max();
    let (version, source) = match target {
        Target::Version(n) => (n, "flag"),
        Target::Previous => match before {
            PushedBefore::Replaced(n) => (*n, "push-evidence"),
            PushedBefore::Created => {
                return Err(format!(
                    "our push created dashboard {uid:?}: it has no earlier version to restore"
                ));
            }
            PushedBefore::Unknown => match latest {
                Some(l) if l > 1 => (l - 1, "latest-minus-one"),
                _ => {
                    return Err(format!(
                        "dashboard {uid:?} has no version before {}: nothing to restore",
                        latest.map_or("its first".into(), |l| l.to_string())
                    ));
                }
            },
        },
    };
    if versions.len() < VERSIONS_PAGE && !versions.iter().any(|v| v.version == version) {
        let listed: Vec<String> = versions.iter().map(|v| v.version.to_string()).collect();
        return Err(format!(
            "grafana lists no version {version} of dashboard {uid:?} (it has {})",
            if listed.is_empty() {
                "none".into()
            } else {
                listed.join(", ")
            }
        ));
    }
    Ok((version, source))
}

/// Lists the dashboard's versions, picks the target and restores it (unless a dry run). Evidence is
/// written (unless a dry run without `evidence`) before returning, success or not.
///
/// # Errors
/// A bad uid, no URL or token, unreadable push evidence, Grafana unreachable or refusing (one line
/// per status), no version to restore, or evidence that cannot be written.
pub fn restore(opts: &RestoreOptions) -> Result<RestoreReport, RestoreError> {
    if !grafana::valid_uid(&opts.uid) {
        return Err(RestoreError::InvalidUid(opts.uid.clone()));
    }
    if let Target::Version(n) = opts.target
        && n < 1
    {
        return Err(RestoreError::BadVersion(n));
    }
    let base = opts
        .grafana_url
        .clone()
        .filter(|u| !u.trim().is_empty())
        .ok_or(RestoreError::NoUrl)?;
    crate::mask::register_url(&base);
    let token = opts
        .token
        .clone()
        .filter(|t| !t.is_empty())
        .ok_or(RestoreError::NoToken)?;
    let before = match opts.target {
        Target::Previous => pushed_before(&opts.push_evidence, &opts.uid)?,
        Target::Version(_) => PushedBefore::Unknown,
    };
    let mut report = RestoreReport {
        kind: evidence::KIND_DASHBOARDS_RESTORE,
        schema_version: evidence::SCHEMA_VERSION,
        grafana_url: Some(crate::mask::url(&base)),
        uid: opts.uid.clone(),
        dry_run: opts.dry_run,
        started_at: http::now_rfc3339(),
        finished_at: String::new(),
        result: String::new(),
        error: None,
        requested: match opts.target {
            Target::Version(_) => "--version".into(),
            Target::Previous => "--previous".into(),
        },
        version_source: None,
        target_version: match opts.target {
            Target::Version(n) => Some(n),
            Target::Previous => None,
        },
        latest_version: None,
        restored_version: None,
        url: None,
        versions: Vec::new(),
        exchanges: Vec::new(),
        evidence_path: None,
    };
    let mut exec = Executor::new(&base, opts.timeout)?;
    let mut failure: Option<RestoreError> = None;
    http::block_on(async {
        let resp = match exec
            .send(&grafana::versions_request(&opts.uid, &token))
            .await
        {
            Ok(r) => r,
            Err(e) => {
                failure = Some(RestoreError::Http(e));
                return;
            }
        };
        let versions = match grafana::parse_versions_response(&opts.uid, &resp) {
            Ok(v) => v,
            Err(source) => {
                failure = Some(RestoreError::Grafana {
                    source,
                    evidence: None,
                });
                return;
            }
        };
        report.latest_version = versions.iter().map(|v| v.version).max();
        let chosen = choose(&opts.uid, opts.target, &before, &versions);
        report.versions = versions;
        let version = match chosen {
            Ok((version, source)) => {
                report.target_version = Some(version);
                report.version_source = Some(source.into());
                version
            }
            Err(reason) => {
                failure = Some(RestoreError::Refused {
                    reason,
                    evidence: None,
                });
                return;
            }
        };
        if opts.dry_run {
            return;
        }
        let resp = match exec
            .send(&grafana::restore_request(&opts.uid, version, &token))
            .await
        {
            Ok(r) => r,
            Err(e) => {
                failure = Some(RestoreError::Http(e));
                return;
            }
        };
        match grafana::parse_restore_response(&opts.uid, version, &resp) {
            Ok(Pushed { url, version, .. }) => {
                report.restored_version = Some(version);
                report.url = Some(super::dashboard_url(&base, &url));
            }
            Err(source) => {
                failure = Some(RestoreError::Grafana {
                    source,
                    evidence: None,
                });
            }
        }
    })?;
    report.exchanges = std::mem::take(&mut exec.exchanges);
    report.error = failure.as_ref().map(ToString::to_string);
    let secrets = [&token];
    if opts.dry_run && failure.is_none() {
        evidence::finish_dry_run(&mut report, opts.evidence.as_deref(), &secrets)
            .map_err(RestoreError::Evidence)?;
        return Ok(report);
    }
    report.result = match &failure {
        None => "restored",
        Some(RestoreError::Http(_)) => "unreachable",
        Some(RestoreError::Refused { .. }) => "refused",
        Some(_) => "rejected",
    }
    .into();
    if opts.dry_run
        && opts.evidence.is_none()
        && let Some(f) = failure.take()
    {
        return Err(f);
    }
    let path = evidence::finish(
        &mut report,
        opts.evidence.as_deref(),
        evidence::files::DASHBOARDS_RESTORE,
        &secrets,
    )
    .map_err(RestoreError::Evidence)?;
    match failure {
        None => Ok(report),
        Some(RestoreError::Grafana { source, .. }) => Err(RestoreError::Grafana {
            source,
            evidence: Some(path),
        }),
        Some(RestoreError::Refused { reason, .. }) => Err(RestoreError::Refused {
            reason,
            evidence: Some(path),
        }),
        Some(other) => Err(other),
    }
}

/// Human summary for stdout.
pub fn render_text(report: &RestoreReport) -> String {
    let mut out = String::new();
    let target = report.target_version.unwrap_or_default();
    let source = match report.version_source.as_deref() {
        Some("push-evidence") => " (the version our push replaced)",
        Some("latest-minus-one") => " (the latest version minus one)",
        _ => "",
    };
    if report.dry_run {
        out.push_str(&format!(
            "dry run: would POST {}{} {{\"version\": {target}}}{source} with Authorization: Bearer ***; latest version is {}\n",
            report.grafana_url.as_deref().unwrap_or(""),
            grafana::restore_path(&report.uid),
            report.latest_version.map_or("unknown".into(), |v| v.to_string()),
        ));
    } else {
        out.push_str(&format!(
            "restored {} to version {target}{source} as new version {}: {}\n",
            report.uid,
            report.restored_version.unwrap_or_default(),
            report.url.as_deref().unwrap_or("")
        ));
    }
    if let Some(p) = &report.evidence_path {
        out.push_str(&format!("evidence: {}\n", p.display()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn versions(vs: &[i64]) -> Vec<VersionInfo> {
        vs.iter()
            .map(|&version| VersionInfo {
                id: Some(version),
                version,
                created: None,
                created_by: None,
                message: None,
            })
            .collect()
    }

    #[test]
    fn choosing_the_version() {
        let vs = versions(&[5, 4, 3]);
        let u = PushedBefore::Unknown;
        assert_eq!(choose("d", Target::Version(3), &u, &vs), Ok((3, "flag")));
        assert!(
            choose("d", Target::Version(9), &u, &vs)
                .unwrap_err()
                .contains("no version 9 of dashboard \"d\" (it has 5, 4, 3)")
        );
        assert_eq!(
            choose("d", Target::Previous, &u, &vs),
            Ok((4, "latest-minus-one"))
        );
        assert_eq!(
            choose("d", Target::Previous, &PushedBefore::Replaced(3), &vs),
            Ok((3, "push-evidence"))
        );
        assert!(
            choose("d", Target::Previous, &PushedBefore::Created, &vs)
                .unwrap_err()
                .contains("our push created")
        );
        assert!(
            choose("d", Target::Previous, &u, &versions(&[1]))
                .unwrap_err()
                .contains("no version before 1")
        );
    }

    #[test]
    fn push_evidence_is_read_per_uid() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("push.json");
        assert_eq!(pushed_before(&p, "a").unwrap(), PushedBefore::Unknown);
        std::fs::write(
            &p,
            r#"{"kind":"dashboards-push","dashboards":[
                {"uid":"a","result":"pushed","replacedVersion":6},
                {"uid":"b","result":"pushed","replacedVersion":null},
                {"uid":"c","result":"rejected","replacedVersion":2}]}"#,
        )
        .unwrap();
        assert_eq!(pushed_before(&p, "a").unwrap(), PushedBefore::Replaced(6));
        assert_eq!(pushed_before(&p, "b").unwrap(), PushedBefore::Created);
        assert_eq!(pushed_before(&p, "c").unwrap(), PushedBefore::Unknown);
        std::fs::write(&p, r#"{"kind":"alerts-fire"}"#).unwrap();
        assert!(pushed_before(&p, "a").is_err());
    }
}
