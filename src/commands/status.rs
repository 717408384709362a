//! `rollout status`: the spec's workloads of one environment to [`rollout::status::StatusOptions`],
//! one call to [`rollout::status::run_blocking`], evidence written, the verdict printed. A live
//! progress line goes to stderr only when it is a terminal.

use std::io::{IsTerminal, Write};

use rollout::exit::Outcome;
use rollout::status::{self, StatusOptions};

use super::{CommandError, Output};
use crate::cli::StatusArgs;

/// `env` when the spec has it, else the generator's error listing the environments.
pub(crate) fn known_env(spec: &rollout::spec::Spec, env: &str) -> Result<String, CommandError> {
    let found = rollout::generate::environments(spec, Some(env))?;
    Ok(found.first().map_or(env, |e| *e).to_string())
}

/// Runs `rollout status`.
pub fn run(args: StatusArgs) -> Result<Output, CommandError> {
    if args.timeout.is_zero() || args.request_timeout.is_zero() {
        return Err("invalid timeout 0s: use a duration above zero, e.g. 5m".into());
    }
    let spec = rollout::spec::load(&args.spec)?;
    let env = match &args.env {
        Some(e) => known_env(&spec, e)?,
        None => spec
            .only_environment()
            .map(str::to_string)
            .map_err(|choices| {
                format!(
                    "{} has {} environments: say which with --env; choose from: {}",
                    args.spec.display(),
                    choices.len(),
                    choices.join(", ")
                )
            })?,
    };
    let opts = StatusOptions {
        workloads: status::workloads(&spec, &env),
        environment: env,
        cluster: rollout::live::ClusterOptions {
            kubeconfig: args.kubeconfig.clone(),
            context: args.context.clone(),
            timeout: args.request_timeout,
            ..Default::default()
        },
        timeout: args.timeout,
    };
    let live = std::io::stderr().is_terminal();
    let mut shown = false;
    let mut progress = |line: &str| {
        if live {
            let mut err = std::io::stderr().lock();
            let line: String = rollout::mask::scrub(line).chars().take(120).collect();
            let _ = write!(err, "\r\x1b[2K{line}");
            let _ = err.flush();
            shown = true;
        }
    };
    let report = status::run_blocking(&opts, &mut progress);
    if shown {
        eprint!("\r\x1b[2K");
    }
    let report = report?;
    let path = args
        .evidence
        .clone()
        .unwrap_or_else(status::default_evidence);
    rollout::evidence::write(&path, &report, &[])?;
    Ok(Output {
        stdout: status::render_text(&report),
        stderr: format!("wrote {}\n", path.display()),
        outcome: Outcome::from_findings(!report.ok()),
        verbatim: false,
        ..Default::default()
    })
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use crate::cli::{Command, StatusArgs};

    fn parse(args: &[&str]) -> Result<StatusArgs, clap::Error> {
        crate::commands::parse_command(&[&["status"], args].concat()).map(|c| match c {
            Command::Status(s) => s,
            other => panic!("parsed {other:?}"),
        })
    }

    #[test]
    fn defaults_each_form_and_last_value_wins() {
        let a = parse(&[]).unwrap();
        assert_eq!(a.timeout, Duration::from_secs(300));
        assert_eq!(a.request_timeout, Duration::from_secs(30));
        assert!(a.env.is_none() && a.evidence.is_none() && a.kubeconfig.is_none());
        let a = parse(&[
            "--env",
            "qa",
            "--env=staging",
            "--timeout",
            "1m",
            "--timeout=90s",
        ])
        .unwrap();
        assert_eq!(a.env.as_deref(), Some("staging"));
        assert_eq!(a.timeout, Duration::from_secs(90));
        assert!(parse(&["--timeout", "5"]).is_err());
        assert!(parse(&["extra"]).is_err());
    }
}
