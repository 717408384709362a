//! `rollout diff`: flags to [`rollout::diff::DiffOptions`], one call to [`rollout::diff::run`],
//! and the text or JSON to print. Colour is decided here (`--color`, terminal, `NO_COLOR`).

use std::io::IsTerminal;
use std::time::Duration;

use rollout::diff::{DiffOptions, Expectations, IgnoreRule, LiveOptions};
use rollout::exit::Outcome;
use rollout::live::ClusterOptions;

use super::{CommandError, Output};
use crate::cli::{ColorChoice, DiffArgs, DiffFormat};

/// Turns the flags into options (no environment touched here).
fn options(args: &DiffArgs) -> Result<DiffOptions, CommandError> {
    let ignore = args
        .ignore
        .iter()
        .map(|s| IgnoreRule::parse(s))
        .collect::<Result<Vec<_>, _>>()?;
    if !(args.timeout.is_finite() && args.timeout > 0.0 && args.timeout <= 86_400.0) {
        return Err(format!(
            "invalid --timeout {}: expected seconds between 0 and 86400",
            args.timeout
        )
        .into());
    }
    let live = match &args.live_dir {
        Some(dir) => LiveOptions::Snapshot(dir.clone()),
        None => LiveOptions::Cluster(ClusterOptions {
            kubeconfig: args.kubeconfig.clone(),
            context: args.context.clone(),
            timeout: Duration::from_secs_f64(args.timeout),
            ..Default::default()
        }),
    };
    Ok(DiffOptions {
        target: args.target.clone(),
        live,
        prune_selector: args.prune_selector.clone(),
        ignore,
        expect: Expectations::default(),
        evidence_markdown: args.evidence.clone(),
        evidence_json: args.evidence_json.clone(),
        now: None,
    })
}

fn use_color(choice: ColorChoice) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                && std::io::stdout().is_terminal()
        }
    }
}

/// Runs `rollout diff`.
pub fn run(args: DiffArgs) -> Result<Output, CommandError> {
    let opts = options(&args)?;
    let report = rollout::diff::run(&opts)?;
    let stdout = match args.output {
        DiffFormat::Text => report.render_text(use_color(args.color)),
        DiffFormat::Json => {
            let mut s = serde_json::to_string_pretty(&report.to_json())?;
            s.push('\n');
            s
        }
    };
    let mut stderr = String::new();
    for w in &report.warnings {
        stderr.push_str(&format!("warning: {w}\n"));
    }
    stderr.push_str(&format!(
        "{} (live: {})\n",
        report.summary().line(),
        report.source
    ));
    for (path, _) in &report.written {
        stderr.push_str(&format!("wrote {}\n", path.display()));
    }
    Ok(Output {
        stdout,
        stderr,
        outcome: Outcome::from_findings(report.has_diff()),
    })
}
