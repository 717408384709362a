//! `rollout dashboards push`: validate dashboard files and save them to Grafana, recording evidence.
//!
//! Owns the push workflow (load, check with `schema::grafana`, `POST /api/dashboards/db` per file,
//! stop at the first rejection, write `evidence/dashboards-push.json`). Prints nothing; never puts the
//! token in its result or evidence. The wire format is `clients::grafana`.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::json;
use crate::value::Value;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::clients::grafana::{self, PushError, PushParams, Pushed};
use crate::clients::http::{self, Exchange, Executor, HttpError};
use crate::evidence;
use crate::finding::{Finding, Severity};
use crate::fsutil::{self, FsError};
use crate::schema::grafana::{LintOptions, check_dashboard_text};
use crate::secret::Secret;

pub mod restore;

/// The directory `push` reads when no file is named.
pub const DEFAULT_DIR: &str = "dashboards";

/// Options for [`push`], resolved by the command (URL and token already looked up).
#[derive(Debug, Clone)]
pub struct PushOptions {
    /// Dashboard files; empty means every `*.json` in `dashboards/`.
    pub files: Vec<PathBuf>,
    /// Grafana base URL (`--grafana-url` or `GRAFANA_URL`); required unless `dry_run`.
    pub grafana_url: Option<String>,
    /// API token; required unless `dry_run`.
    pub token: Option<Secret>,
    pub folder_uid: Option<String>,
    pub overwrite: bool,
    pub message: Option<String>,
    /// Validate and show what would be sent; send nothing, write evidence only if `evidence` is set.
    pub dry_run: bool,
    /// Where to write evidence; `None` = `evidence/dashboards-push.json` (not written on a dry run).
    pub evidence: Option<PathBuf>,
    /// Per-request timeout.
    pub timeout: Duration,
}

/// What happened to one dashboard.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DashboardRecord {
    pub file: String,
    pub uid: String,
    pub title: String,
    /// sha256 of the request body sent (or that would be sent).
    pub sha256: String,
    pub folder_uid: Option<String>,
    pub overwrite: bool,
    pub message: Option<String>,
    /// `pushed`, `rejected`, `unreachable`, `not-sent` (an earlier one failed) or `dry-run`.
    pub result: String,
    /// Full dashboard URL, on success.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<i64>,
    /// On success, the version this push replaced (`version - 1`: Grafana saves every change as
    /// the current version plus one), `null` when the push created the dashboard (version 1).
    /// `dashboards restore --previous` restores it.
    #[serde(skip_serializing_if = "not_pushed")]
    pub replaced_version: Option<Option<i64>>,
    /// Grafana's response to the push.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Warnings from the dashboard checks (errors stop the push before anything is sent).
    pub warnings: Vec<String>,
}

/// The evidence record and the result of `push`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PushReport {
    pub kind: &'static str,
    pub schema_version: u32,
    pub grafana_url: Option<String>,
    pub dry_run: bool,
    pub started_at: String,
    pub finished_at: String,
    /// `pushed`, `rejected`, `unreachable` or `dry-run`.
    pub result: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub dashboards: Vec<DashboardRecord>,
    /// Every HTTP exchange (request bodies summarised by sha256 in `dashboards`).
    pub exchanges: Vec<Exchange>,
    /// Where the evidence was written, if it was.
    #[serde(skip)]
    pub evidence_path: Option<PathBuf>,
}

/// Why a push could not be done or was refused.
#[derive(Debug, thiserror::Error)]
pub enum PushOpError {
    #[error("no dashboards to push: {0} holds no *.json file")]
    NoFiles(PathBuf),
    #[error(transparent)]
    Read(#[from] FsError),
    #[error("{file}: {count} error(s) in the dashboard, nothing was sent; first: {first}")]
    Invalid {
        file: String,
        count: usize,
        first: String,
    },
    #[error(
        "{file}: the dashboard has no uid; a push without one creates a new dashboard every time"
    )]
    MissingUid { file: String },
    #[error("no Grafana URL: pass --grafana-url or set GRAFANA_URL")]
    NoUrl,
    #[error("no Grafana token: pass --token-file or set GRAFANA_API_TOKEN")]
    NoToken,
    #[error(transparent)]
    Http(#[from] HttpError),
    #[error("{file}: {source}")]
    Rejected {
        file: String,
        #[source]
        source: PushError,
        /// The evidence file written before giving up, if any.
        evidence: Option<PathBuf>,
    },
    #[error("cannot write evidence: {0}")]
    Evidence(#[source] FsError),
}

evidence::impl_record!(PushReport);

struct Loaded {
    file: String,
    dashboard: Value,
    uid: String,
    title: String,
    warnings: Vec<Finding>,
}

fn list_files(files: &[PathBuf]) -> Result<Vec<PathBuf>, PushOpError> {
    if !files.is_empty() {
        return Ok(files.to_vec());
    }
    let dir = Path::new(DEFAULT_DIR);
    let out = fsutil::json_files(dir)?;
    if out.is_empty() {
        return Err(PushOpError::NoFiles(dir.to_path_buf()));
    }
    Ok(out)
}

fn load(path: &Path) -> Result<Loaded, PushOpError> {
    let file = path.display().to_string();
    let text = fsutil::read_to_string(path)?;
    let findings = check_dashboard_text(&text, &LintOptions::default());
    let (errors, warnings): (Vec<Finding>, Vec<Finding>) = findings
        .into_iter()
        .partition(|f| f.severity == Severity::Error);
    if let Some(first) = errors.first() {
        return Err(PushOpError::Invalid {
            file,
            count: errors.len(),
            first: first.to_string(),
        });
    }
    let dashboard: Value = crate::gojson::from_str(&text).map_err(|e| PushOpError::Invalid {
        file: file.clone(),
        count: 1,
        first: e.to_string(),
    })?;
    let uid = dashboard
        .get("uid")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    if uid.is_empty() {
        return Err(PushOpError::MissingUid { file });
    }
    let title = dashboard
        .get("title")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    Ok(Loaded {
        file,
        dashboard,
        uid,
        title,
        warnings,
    })
}

fn not_pushed(v: &Option<Option<i64>>) -> bool {
    v.is_none()
}

fn sha256_hex(v: &Value) -> String {
    let bytes = serde_json::to_vec(v).unwrap_or_default();
    Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The full URL of a saved dashboard from Grafana's `url` (a path, possibly with Grafana's sub-path).
pub fn dashboard_url(base: &str, url: &str) -> String {
    if url.starts_with("http://") || url.starts_with("https://") {
        return url.to_string();
    }
    match http::parse_base(base) {
        Ok(b) => {
            let prefix = b.path().trim_end_matches('/');
            let origin = b.origin().ascii_serialization();
            if !prefix.is_empty() && !url.starts_with(&format!("{prefix}/")) {
                format!("{origin}{prefix}{url}")
            } else {
                format!("{origin}{url}")
            }
        }
        Err(_) => url.to_string(),
    }
}

/// Validates the dashboards and pushes each to Grafana in order, stopping at the first rejection.
/// Evidence is written (unless a dry run without `evidence`) before returning, success or not.
///
/// # Errors
/// Invalid files, no URL or token, Grafana unreachable, a rejected push (one clear line per status),
/// or evidence that cannot be written.
pub fn push(opts: &PushOptions) -> Result<PushReport, PushOpError> {
    if let Some(u) = &opts.grafana_url {
        crate::mask::register_url(u);
    }
    let started_at = http::now_rfc3339();
    let loaded = list_files(&opts.files)?
        .iter()
        .map(|p| load(p))
        .collect::<Result<Vec<_>, _>>()?;
    let secrets: Vec<&Secret> = opts.token.iter().collect();
    let mut report = PushReport {
        kind: evidence::KIND_DASHBOARDS_PUSH,
        schema_version: evidence::SCHEMA_VERSION,
        grafana_url: opts.grafana_url.as_deref().map(crate::mask::url),
        dry_run: opts.dry_run,
        started_at,
        finished_at: String::new(),
        result: String::new(),
        error: None,
        dashboards: Vec::new(),
        exchanges: Vec::new(),
        evidence_path: None,
    };
    let placeholder = Secret::new("");
    let mut requests = Vec::new();
    for l in &loaded {
        let params = PushParams {
            dashboard: &l.dashboard,
            folder_uid: opts.folder_uid.as_deref(),
            overwrite: opts.overwrite,
            message: opts.message.as_deref(),
        };
        let req = grafana::push_request(&params, opts.token.as_ref().unwrap_or(&placeholder));
        report.dashboards.push(DashboardRecord {
            file: l.file.clone(),
            uid: l.uid.clone(),
            title: l.title.clone(),
            sha256: req.body.as_ref().map(sha256_hex).unwrap_or_default(),
            folder_uid: opts.folder_uid.clone(),
            overwrite: opts.overwrite,
            message: opts.message.clone(),
            result: if opts.dry_run {
                "dry-run".into()
            } else {
                "not-sent".into()
            },
            url: None,
            version: None,
            replaced_version: None,
            response: None,
            error: None,
            warnings: l.warnings.iter().map(ToString::to_string).collect(),
        });
        requests.push(req);
    }
    if opts.dry_run {
        evidence::finish_dry_run(&mut report, opts.evidence.as_deref(), &secrets)
            .map_err(PushOpError::Evidence)?;
        return Ok(report);
    }
    let base = opts
        .grafana_url
        .clone()
        .filter(|u| !u.trim().is_empty())
        .ok_or(PushOpError::NoUrl)?;
    if opts.token.as_ref().is_none_or(Secret::is_empty) {
        return Err(PushOpError::NoToken);
    }
    let mut exec = Executor::new(&base, opts.timeout)?;
    let mut failure: Option<PushOpError> = None;
    http::block_on(async {
        for (i, req) in requests.iter().enumerate() {
            let record = &mut report.dashboards[i];
            match exec.send(req).await {
                Err(e) => {
                    record.result = "unreachable".into();
                    record.error = Some(e.to_string());
                    failure = Some(PushOpError::Http(e));
                    break;
                }
                Ok(resp) => {
                    record.response =
                        Some(json!({"status": resp.status, "body": resp.evidence_body()}));
                    match grafana::parse_push_response(&record.uid, &resp) {
                        Ok(Pushed { url, version, .. }) => {
                            record.result = "pushed".into();
                            record.url = Some(dashboard_url(&base, &url));
                            record.version = Some(version);
                            record.replaced_version = Some((version > 1).then(|| version - 1));
                        }
                        Err(source) => {
                            record.result = "rejected".into();
                            record.error = Some(source.to_string());
                            failure = Some(PushOpError::Rejected {
                                file: record.file.clone(),
                                source,
                                evidence: None,
                            });
                            break;
                        }
                    }
                }
            }
        }
    })?;
    report.exchanges = exec
        .exchanges
        .into_iter()
        .map(|mut e| {
            // the dashboard body is in the repo; its sha256 is in `dashboards[]`
            e.request_body = None;
            e
        })
        .collect();
    report.result = match &failure {
        None => "pushed".into(),
        Some(PushOpError::Http(_)) => "unreachable".into(),
        Some(_) => "rejected".into(),
    };
    report.error = failure.as_ref().map(ToString::to_string);
    let path = evidence::finish(
        &mut report,
        opts.evidence.as_deref(),
        evidence::files::DASHBOARDS_PUSH,
        &secrets,
    )
    .map_err(PushOpError::Evidence)?;
    match failure {
        None => Ok(report),
        Some(PushOpError::Rejected { file, source, .. }) => Err(PushOpError::Rejected {
            file,
            source,
            evidence: Some(path),
        }),
        Some(other) => Err(other),
    }
}

/// Human summary for stdout: one line per dashboard (and the request shape on a dry run).
pub fn render_text(report: &PushReport) -> String {
    let mut out = String::new();
    for d in &report.dashboards {
        match d.result.as_str() {
            "pushed" => out.push_str(&format!(
                "pushed {} ({}) version {}: {}\n",
                d.uid,
                d.file,
                d.version.unwrap_or_default(),
                d.url.as_deref().unwrap_or("")
            )),
            "dry-run" => out.push_str(&format!(
                "dry run: would POST {} {} (uid {}, title {:?}, folderUid {}, overwrite {}, body sha256 {}) with Authorization: Bearer ***\n",
                report.grafana_url.as_deref().unwrap_or("<GRAFANA_URL>"),
                grafana::PUSH_PATH,
                d.uid,
                d.title,
                d.folder_uid.as_deref().unwrap_or("(General)"),
                d.overwrite,
                d.sha256
            )),
            other => out.push_str(&format!("{other} {} ({})\n", d.uid, d.file)),
        }
        for w in &d.warnings {
            out.push_str(&format!("  {w}\n"));
        }
    }
    if let Some(p) = &report.evidence_path {
        out.push_str(&format!("evidence: {}\n", p.display()));
    }
    out
}

/// Reads a token from `--token-file` (trimmed) or else from the environment value given.
///
/// # Errors
/// When the token file cannot be read or is empty.
pub fn resolve_token(
    token_file: Option<&Path>,
    env_value: Option<String>,
) -> Result<Option<Secret>, FsError> {
    if let Some(path) = token_file {
        let secret = Secret::new(fsutil::read_to_string(path)?);
        if secret.is_empty() {
            return Err(FsError {
                action: "token file is empty:",
                path: path.to_path_buf(),
                source: std::io::Error::new(std::io::ErrorKind::InvalidData, "no token"),
            });
        }
        return Ok(Some(secret));
    }
    Ok(env_value.map(Secret::new).filter(|s| !s.is_empty()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dashboard_urls() {
        assert_eq!(
            dashboard_url("https://g.example", "/d/u/t"),
            "https://g.example/d/u/t"
        );
        assert_eq!(
            dashboard_url("https://g.example/grafana/", "/d/u/t"),
            "https://g.example/grafana/d/u/t"
        );
        assert_eq!(
            dashboard_url("https://g.example/grafana", "/grafana/d/u/t"),
            "https://g.example/grafana/d/u/t"
        );
    }

    #[test]
    fn token_file_wins_and_is_trimmed() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("t");
        std::fs::write(&f, "filetoken\n").unwrap();
        let s = resolve_token(Some(&f), Some("envtoken".into()))
            .unwrap()
            .unwrap();
        assert_eq!(s.expose(), "filetoken");
        assert_eq!(
            resolve_token(None, Some("envtoken".into()))
                .unwrap()
                .unwrap()
                .expose(),
            "envtoken"
        );
        assert!(resolve_token(None, Some(" ".into())).unwrap().is_none());
        std::fs::write(&f, "\n").unwrap();
        assert!(resolve_token(Some(&f), None).is_err());
    }
}
