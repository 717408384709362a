//! `rollout sync APP`: resolve the server and token, call `rollout::argocd::sync::run`, show
//! progress on stderr, write evidence, return the summary and the outcome.

use std::io::IsTerminal;

use rollout::argocd::api::SyncParams;
use rollout::argocd::progress::Renderer;
use rollout::argocd::sync::{self, SyncOptions, SyncReport};
use rollout::exit::Outcome;
use rollout::secret::Secret;

use super::{CommandError, Output};
use crate::cli::{ArgoArgs, SyncArgs, WorkloadCheckArgs};

/// The environment variable holding the Argo CD token (as the `argocd` CLI reads it).
pub const TOKEN_ENV: &str = "ARGOCD_AUTH_TOKEN";

/// How long a Degraded health after the sync is tolerated without `--degraded-grace`.
pub const DEFAULT_DEGRADED_GRACE: std::time::Duration = std::time::Duration::from_secs(60);

pub fn run(args: SyncArgs) -> Result<Output, CommandError> {
    let mut opts = sync_options(&args.app, &args.argo)?;
    let (check, note) = workload_check(&args.app, &args.workloads)?;
    opts.workload_check = check;
    let started = rollout::clients::http::now_rfc3339();
    let mut progress = stderr_progress();
    let report = sync::run(&opts, &mut |e| progress.event(e));
    progress.finish();
    match report {
        Ok(r) => {
            let status_written = match &r.workloads {
                Some(w) => {
                    let path = match &args.argo.evidence {
                        Some(p) => p.with_file_name(rollout::status::EVIDENCE_FILE),
                        None => rollout::status::default_evidence(),
                    };
                    rollout::evidence::write(&path, w, &[])?;
                    format!("workload check written to {}\n", path.display())
                }
                None => String::new(),
            };
            let mut out = finish(r, &args.argo)?;
            out.stderr = format!("{}{status_written}{}", note.unwrap_or_default(), out.stderr);
            Ok(out)
        }
        Err(e) => Err(failed_evidence(&opts, &args.argo, started, Box::new(e))),
    }
}

/// The workload check after Synced, when cluster access is configured: `--kubeconfig` or
/// `--context` (then the spec and the environment must resolve), or `$KUBECONFIG` (then a missing
/// spec or an Application of no environment skips the check, with a note).
fn workload_check(
    app: &str,
    a: &WorkloadCheckArgs,
) -> Result<(Option<rollout::status::StatusOptions>, Option<String>), CommandError> {
    let explicit = a.kubeconfig.is_some() || a.context.is_some();
    let from_env = std::env::var_os("KUBECONFIG").is_some_and(|v| !v.is_empty());
    if a.no_workload_check || !(explicit || from_env) {
        return Ok((None, None));
    }
    let skip = |why: String| -> Result<_, CommandError> {
        if explicit {
            Err(why.into())
        } else {
            Ok((
                None,
                Some(format!(
                    "note: no workload check after Synced: {why} (pass --no-workload-check to silence)\n"
                )),
            ))
        }
    };
    if !explicit && !a.spec.exists() {
        return skip(format!("{} not found", a.spec.display()));
    }
    let spec = rollout::spec::load(&a.spec)?;
    let env = match &a.env {
        Some(e) => super::status::known_env(&spec, e)?,
        None => {
            let found = spec.environments.iter().find(|(name, e)| {
                let own = format!("{}-{name}", e.namespace);
                app == own || app == format!("{own}-rollback")
            });
            match found {
                Some((name, _)) => name.clone(),
                None => {
                    return skip(format!(
                        "application {app:?} is none of {}'s environments (<namespace>-<env>); say which with --env",
                        a.spec.display()
                    ));
                }
            }
        }
    };
    Ok((
        Some(rollout::status::StatusOptions {
            workloads: rollout::status::workloads(&spec, &env),
            environment: env,
            cluster: rollout::live::ClusterOptions {
                kubeconfig: a.kubeconfig.clone(),
                context: a.context.clone(),
                ..Default::default()
            },
            timeout: std::time::Duration::ZERO,
        }),
        None,
    ))
}

/// A sync that ended in an error still leaves evidence (if asked): `result: failed` with the
/// reason. Returns the error to print (with a note of the evidence file, or the write failure).
pub(crate) fn failed_evidence(
    opts: &SyncOptions,
    a: &ArgoArgs,
    started: String,
    err: CommandError,
) -> CommandError {
    let Some(path) = &a.evidence else {
        return err;
    };
    let mut reason = err.to_string();
    let mut source = err.source();
    while let Some(s) = source {
        reason.push_str(&format!(": {s}"));
        source = s.source();
    }
    let server = rollout::argocd::api::server_url(&opts.server).unwrap_or(opts.server.clone());
    let ev = rollout::argocd::evidence::Evidence::failed(
        &opts.app,
        &server,
        &opts.params,
        started,
        &reason,
    );
    match ev.write(path) {
        Ok(_) => format!("{reason} (evidence: {})", path.display()).into(),
        Err(w) => format!("{reason} (and the evidence could not be written: {w})").into(),
    }
}

/// Resolves flags and environment into [`SyncOptions`]: server from `--server`/`ARGOCD_SERVER`,
/// token from `--token-file` or `ARGOCD_AUTH_TOKEN`.
pub(crate) fn sync_options(app: &str, a: &ArgoArgs) -> Result<SyncOptions, CommandError> {
    let server = a
        .server
        .clone()
        .filter(|s| !s.trim().is_empty())
        .ok_or("no Argo CD server: pass --server URL or set ARGOCD_SERVER")?;
    let token = match &a.token_file {
        Some(path) => Secret::new(rollout::fsutil::read_to_string(path)?),
        None => Secret::new(std::env::var(TOKEN_ENV).unwrap_or_default()),
    };
    if token.is_empty() {
        return Err(match &a.token_file {
            Some(p) => format!("token file {} is empty", p.display()).into(),
            None => "no Argo CD token: set ARGOCD_AUTH_TOKEN or pass --token-file FILE".into(),
        });
    }
    Ok(SyncOptions {
        app: app.to_string(),
        server,
        token,
        insecure: a.insecure,
        params: SyncParams {
            revision: a.revision.clone(),
            prune: a.prune,
            dry_run: a.dry_run,
            sync_options: a.sync_options.clone(),
        },
        timeout: a.timeout,
        poll_interval: a.poll_interval,
        wait_for_operation: !a.no_wait_for_operation,
        expect_path: None,
        degraded_grace: a.degraded_grace.unwrap_or(DEFAULT_DEGRADED_GRACE),
        workload_check: None,
    })
}

/// Live line on a terminal, timestamped lines otherwise; always on stderr.
pub(crate) fn stderr_progress() -> Renderer<rollout::mask::ScrubWriter<std::io::Stderr>> {
    let err = std::io::stderr();
    let live = err.is_terminal();
    Renderer::new(rollout::mask::ScrubWriter(err), live)
}

/// Writes evidence (if asked) and turns the report into output.
pub(crate) fn finish(report: SyncReport, a: &ArgoArgs) -> Result<Output, CommandError> {
    let mut stderr = String::new();
    if let Some(path) = &a.evidence {
        report.evidence.write(path)?;
        stderr.push_str(&format!("evidence written to {}\n", path.display()));
    }
    Ok(Output {
        stdout: report.summary(),
        stderr,
        outcome: Outcome::from_findings(report.failure.is_some()),
        verbatim: false,
        ..Default::default()
    })
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use crate::cli::{ArgoArgs, Command};
    use crate::commands::parse_command as parse;

    fn sync_args(args: &[&str]) -> (String, ArgoArgs) {
        match parse(args).unwrap() {
            Command::Sync(s) => (s.app, s.argo),
            other => panic!("not sync: {other:?}"),
        }
    }

    #[test]
    fn sync_defaults() {
        let (app, a) = sync_args(&["sync", "media-staging"]);
        assert_eq!(app, "media-staging");
        assert_eq!(a.timeout, Duration::from_secs(600));
        assert_eq!(a.poll_interval, Duration::from_secs(2));
        assert!(!a.prune && !a.dry_run && !a.insecure && !a.no_wait_for_operation);
        assert!(a.revision.is_none() && a.token_file.is_none() && a.evidence.is_none());
        assert!(a.sync_options.is_empty());
        assert!(a.degraded_grace.is_none(), "then DEFAULT_DEGRADED_GRACE");
    }

    #[test]
    fn sync_workload_check_flags() {
        match parse(&["sync", "a"]).unwrap() {
            Command::Sync(s) => {
                let w = s.workloads;
                assert_eq!(w.spec.to_str(), Some("rollout.yaml"));
                assert!(w.env.is_none() && w.kubeconfig.is_none() && w.context.is_none());
                assert!(!w.no_workload_check);
            }
            other => panic!("{other:?}"),
        }
        match parse(&[
            "sync",
            "a",
            "--kubeconfig",
            "k",
            "--context",
            "c",
            "--env",
            "qa",
            "--env",
            "staging",
            "--degraded-grace",
            "2m",
            "--degraded-grace",
            "90s",
            "--no-workload-check",
        ])
        .unwrap()
        {
            Command::Sync(s) => {
                let w = s.workloads;
                assert_eq!(w.kubeconfig.unwrap().to_str(), Some("k"));
                assert_eq!(w.context.as_deref(), Some("c"));
                assert_eq!(w.env.as_deref(), Some("staging"));
                assert!(w.no_workload_check);
                assert_eq!(s.argo.degraded_grace, Some(Duration::from_secs(90)));
            }
            other => panic!("{other:?}"),
        }
        assert!(parse(&["sync", "a", "--degraded-grace", "2"]).is_err());
    }

    #[test]
    fn sync_every_flag() {
        let (_, a) = sync_args(&[
            "sync",
            "a",
            "--server",
            "https://argocd:8443",
            "--token-file",
            "t",
            "--revision",
            "abc",
            "--prune",
            "--dry-run",
            "--sync-option",
            "A=1",
            "--sync-option",
            "B=2",
            "--timeout",
            "90s",
            "--poll-interval",
            "250ms",
            "--insecure",
            "--no-wait-for-operation",
            "--evidence",
            "e.md",
        ]);
        assert_eq!(a.server.as_deref(), Some("https://argocd:8443"));
        assert_eq!(a.token_file.unwrap().to_str(), Some("t"));
        assert_eq!(a.revision.as_deref(), Some("abc"));
        assert!(a.prune && a.dry_run && a.insecure && a.no_wait_for_operation);
        assert_eq!(a.sync_options, vec!["A=1", "B=2"]);
        assert_eq!(a.timeout, Duration::from_secs(90));
        assert_eq!(a.poll_interval, Duration::from_millis(250));
        assert_eq!(a.evidence.unwrap().to_str(), Some("e.md"));
    }

    #[test]
    fn last_value_wins() {
        let (_, a) = sync_args(&[
            "sync",
            "a",
            "--timeout",
            "1m",
            "--timeout",
            "2s",
            "--prune",
            "--prune",
        ]);
        assert_eq!(a.timeout, Duration::from_secs(2));
        assert!(a.prune);
    }

    #[test]
    fn bad_values_and_missing_app_are_usage_errors() {
        assert!(parse(&["sync"]).is_err());
        let e = parse(&["sync", "a", "--timeout", "10"])
            .unwrap_err()
            .to_string();
        assert!(e.contains("use a number with a unit"), "{e}");
    }

    #[test]
    fn rollback_defaults_and_sync() {
        match parse(&["rollback"]).unwrap() {
            Command::Rollback(r) => {
                assert_eq!(
                    r.env, None,
                    "no default: the spec's only environment, else --env"
                );
                assert!(r.sync.is_none());
            }
            other => panic!("{other:?}"),
        }
        match parse(&[
            "rollback",
            "--env",
            "qa",
            "--sync",
            "media-qa-rollback",
            "--prune",
        ])
        .unwrap()
        {
            Command::Rollback(r) => {
                assert_eq!(
                    (r.env.as_deref(), r.sync.as_deref()),
                    (Some("qa"), Some("media-qa-rollback"))
                );
                assert!(r.argo.prune);
            }
            other => panic!("{other:?}"),
        }
    }
}
