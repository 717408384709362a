//! `rollout dashboards push|restore`: resolves the URL and token, then calls
//! `rollout::dashboards::push` or `rollout::dashboards::restore::restore`.

use std::time::Duration;

use rollout::dashboards::{self, PushOptions};
use rollout::exit::Outcome;

use super::{CommandError, Output};
use crate::cli::{DashboardsArgs, DashboardsCommand, DashboardsPushArgs, DashboardsRestoreArgs};

/// Per-request timeout for Grafana.
const TIMEOUT: Duration = Duration::from_secs(30);

/// Runs a `rollout dashboards` subcommand.
pub fn run(args: DashboardsArgs) -> Result<Output, CommandError> {
    match args.command {
        DashboardsCommand::Push(a) => push(a),
        DashboardsCommand::Restore(a) => restore(a),
    }
}

fn restore(a: DashboardsRestoreArgs) -> Result<Output, CommandError> {
    use rollout::dashboards::restore::{self, RestoreOptions, Target};
    let token = dashboards::resolve_token(
        a.token_file.as_deref(),
        std::env::var("GRAFANA_API_TOKEN").ok(),
    )
    .map_err(|e| e.to_string())?;
    let opts = RestoreOptions {
        uid: a.uid,
        target: match a.version {
            Some(n) => Target::Version(n),
            None => Target::Previous,
        },
        grafana_url: a.grafana_url,
        token,
        dry_run: a.dry_run,
        evidence: a.evidence,
        push_evidence: rollout::evidence::default_path(rollout::evidence::files::DASHBOARDS_PUSH),
        timeout: TIMEOUT,
    };
    let report = restore::restore(&opts).map_err(|e| e.to_string())?;
    Ok(Output {
        stdout: restore::render_text(&report),
        stderr: String::new(),
        outcome: Outcome::Clean,
        verbatim: false,
        ..Default::default()
    })
}

fn push(a: DashboardsPushArgs) -> Result<Output, CommandError> {
    let token = if a.dry_run {
        None
    } else {
        dashboards::resolve_token(
            a.token_file.as_deref(),
            std::env::var("GRAFANA_API_TOKEN").ok(),
        )
        .map_err(|e| e.to_string())?
    };
    let opts = PushOptions {
        files: a.files,
        grafana_url: a.grafana_url,
        token,
        folder_uid: a.folder_uid,
        overwrite: a.overwrite,
        message: a.message,
        dry_run: a.dry_run,
        evidence: a.evidence,
        timeout: TIMEOUT,
    };
    let report = dashboards::push(&opts).map_err(|e| {
        let mut line = e.to_string();
        if let dashboards::PushOpError::Rejected {
            evidence: Some(p), ..
        } = &e
        {
            line.push_str(&format!(" (evidence: {})", p.display()));
        }
        line
    })?;
    Ok(Output {
        stdout: dashboards::render_text(&report),
        stderr: String::new(),
        outcome: Outcome::Clean,
        verbatim: false,
        ..Default::default()
    })
}
