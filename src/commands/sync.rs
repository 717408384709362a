//! `rollout sync APP`: resolve the server and token, call `rollout::argocd::sync::run`, show
//! progress on stderr, write evidence, return the summary and the outcome.

use std::io::IsTerminal;

use rollout::argocd::api::SyncParams;
use rollout::argocd::progress::Renderer;
use rollout::argocd::sync::{self, SyncOptions, SyncReport};
use rollout::exit::Outcome;
use rollout::secret::Secret;

use super::{CommandError, Output};
use crate::cli::{ArgoArgs, SyncArgs};

/// The environment variable holding the Argo CD token (as the `argocd` CLI reads it).
pub const TOKEN_ENV: &str = "ARGOCD_AUTH_TOKEN";

pub fn run(args: SyncArgs) -> Result<Output, CommandError> {
    let opts = sync_options(&args.app, &args.argo)?;
    let mut progress = stderr_progress();
    let report = sync::run(&opts, &mut |e| progress.event(e));
    progress.finish();
    finish(report?, &args.argo)
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
    })
}

/// Live line on a terminal, timestamped lines otherwise; always on stderr.
pub(crate) fn stderr_progress() -> Renderer<std::io::Stderr> {
    let err = std::io::stderr();
    let live = err.is_terminal();
    Renderer::new(err, live)
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
    })
}
