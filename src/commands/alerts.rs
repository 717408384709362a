//! `rollout alerts fire|quiet|routes`: turns flags into options and calls `rollout::alerts::{fire,
//! quiet}` or `rollout::routes`.

use std::time::Duration;

use rollout::alerts::{self, AlertmanagerOptions, FireOptions, QuietOptions};
use rollout::exit::Outcome;

use super::{CommandError, Output};
use crate::cli::{AlertmanagerArgs, AlertsArgs, AlertsCommand, AlertsRoutesArgs, RoutesFormat};

/// Per-request timeout for Alertmanager.
const TIMEOUT: Duration = Duration::from_secs(30);

fn am_options(a: AlertmanagerArgs) -> AlertmanagerOptions {
    AlertmanagerOptions {
        alerts_dir: a.alerts_dir,
        alertmanager_url: a.alertmanager_url,
        environment: a.environment,
        dry_run: a.dry_run,
        evidence: a.evidence,
        timeout: TIMEOUT,
        confirm_timeout: a.confirm_timeout,
    }
}

/// Runs a `rollout alerts` subcommand.
pub fn run(args: AlertsArgs) -> Result<Output, CommandError> {
    match args.command {
        AlertsCommand::Routes(a) => routes(a),
        AlertsCommand::Fire(a) => {
            let opts = FireOptions {
                window: alerts::parse_window(&a.window).map_err(|e| e.to_string())?,
                am: am_options(a.am),
            };
            let report = alerts::fire(&opts).map_err(|e| e.to_string())?;
            let outcome = Outcome::from_findings(!report.dry_run && !report.confirmed());
            Ok(Output {
                stdout: alerts::render_fire_text(&report),
                stderr: String::new(),
                outcome,
                verbatim: false,
                ..Default::default()
            })
        }
        AlertsCommand::Quiet(a) => {
            let opts = QuietOptions {
                am: am_options(a.am),
                silence_id: a.silence_id,
                fire_evidence: a.fire_evidence,
            };
            let report = alerts::quiet(&opts).map_err(|e| e.to_string())?;
            let outcome = Outcome::from_findings(!report.dry_run && !report.is_quiet());
            Ok(Output {
                stdout: alerts::render_quiet_text(&report),
                stderr: String::new(),
                outcome,
                verbatim: false,
                ..Default::default()
            })
        }
    }
}

fn routes(a: AlertsRoutesArgs) -> Result<Output, CommandError> {
    use rollout::routes;
    let file = a.config.display().to_string();
    let text = rollout::fsutil::read_to_string(&a.config)?;
    let config = routes::parse_config(&file, &text)?;
    let files = if a.alerts.is_empty() {
        rollout::fsutil::json_files(std::path::Path::new("alerts"))?
    } else {
        a.alerts
    };
    let mut alerts = Vec::new();
    for f in &files {
        let name = f.display().to_string();
        let text = rollout::fsutil::read_to_string(f)?;
        for labels in routes::alert_labels(&name, &text)? {
            alerts.push((name.clone(), labels));
        }
    }
    let unknown = config.unknown_receivers();
    let result = routes::route_alerts(&config, &alerts);
    let stdout = match a.output {
        RoutesFormat::Text => routes::render_text(&result),
        RoutesFormat::Json => {
            let v =
                rollout::json!({"config": file, "alerts": result, "undefinedReceivers": unknown});
            format!("{}\n", serde_json::to_string_pretty(&v)?)
        }
    };
    let stderr: String = unknown
        .iter()
        .map(|u| format!("error: {}\n", u.message))
        .collect();
    Ok(Output {
        stdout,
        stderr,
        outcome: Outcome::from_findings(!unknown.is_empty()),
        verbatim: false,
        ..Default::default()
    })
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use crate::cli::{AlertsCommand, Command};
    use crate::commands::parse_command as parse;

    fn confirm_timeout(extra: &[&str]) -> Result<Duration, clap::Error> {
        let mut args = vec![
            "alerts",
            "fire",
            "--alertmanager-url",
            "http://am",
            "--environment",
            "dev",
        ];
        args.extend_from_slice(extra);
        match parse(&args)? {
            Command::Alerts(a) => match a.command {
                AlertsCommand::Fire(f) => Ok(f.am.confirm_timeout),
                other => panic!("{other:?}"),
            },
            other => panic!("{other:?}"),
        }
    }

    /// Issue 12: `--confirm-timeout` takes `15s`/`5m`/`1h30m` like every duration flag; a bare
    /// number is still seconds; the last value wins.
    #[test]
    fn issue_12_confirm_timeout_is_a_duration_flag() {
        assert_eq!(confirm_timeout(&[]).unwrap(), Duration::from_secs(15));
        assert_eq!(
            confirm_timeout(&["--confirm-timeout", "1h30m"]).unwrap(),
            Duration::from_secs(5400)
        );
        assert_eq!(
            confirm_timeout(&["--confirm-timeout", "20"]).unwrap(),
            Duration::from_secs(20)
        );
        assert_eq!(
            confirm_timeout(&["--confirm-timeout", "5m", "--confirm-timeout", "250ms"]).unwrap(),
            Duration::from_millis(250)
        );
        let e = confirm_timeout(&["--confirm-timeout", "soon"])
            .unwrap_err()
            .to_string();
        assert!(e.contains("invalid duration \"soon\""), "{e}");
    }
}
