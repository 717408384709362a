//! `rollout evidence`: assembles the staging validation report and writes or prints it.

use rollout::evidence::report::{self, Report};
use rollout::exit::Outcome;
use rollout::fsutil::write_evidence;

use super::{CommandError, Output};
use crate::cli::{
    EvidenceArgs, EvidenceCommand, EvidenceFormat, EvidenceMetricsArgs, EvidenceRedisArgs,
};

/// What the report holds, from the spec (when there is one) and the commands the repository uses.
fn settings(args: &EvidenceArgs) -> Result<report::ReportSettings, CommandError> {
    if !args.spec.is_file() {
        return Ok(report::ReportSettings::default());
    }
    let spec = rollout::spec::load(&args.spec)?;
    let root = rollout::layout::spec_root(&args.spec);
    let expects = |k: &str| spec.evidence.expect.iter().any(|e| e == k);
    Ok(report::ReportSettings {
        title: spec.evidence.title.clone(),
        dashboards: root.join("dashboards").is_dir(),
        alerts: root.join("alerts").is_dir(),
        flags: !spec.flags.is_empty(),
        metrics: root.join("dashboards").is_dir() || expects("metrics"),
        redis: expects("redis"),
        status: expects("status"),
        manual: spec.evidence.checklist.clone(),
    })
}

/// Runs `rollout evidence metrics`.
fn metrics(a: EvidenceMetricsArgs) -> Result<Output, CommandError> {
    use rollout::metrics;
    if a.scrape_interval.is_zero() || a.timeout.is_zero() || a.step.is_some_and(|s| s.is_zero()) {
        return Err("invalid duration 0s: use a duration above zero, e.g. 15s".into());
    }
    let now = jiff::Timestamp::now();
    let from = metrics::parse_time(&a.from, now).map_err(|e| format!("--from: {e}"))?;
    let to = metrics::parse_time(&a.to, now).map_err(|e| format!("--to: {e}"))?;
    let mut vars = std::collections::BTreeMap::new();
    for v in &a.vars {
        let (k, val) = v
            .split_once('=')
            .ok_or_else(|| format!("invalid --var {v:?}: use NAME=VALUE"))?;
        vars.insert(k.to_string(), val.to_string());
    }
    let dashboard = match a.dashboard {
        Some(d) => d,
        None => {
            let mut found: Vec<std::path::PathBuf> = std::fs::read_dir("dashboards")
                .into_iter()
                .flatten()
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "json"))
                .collect();
            found.sort();
            match found.as_slice() {
                [one] => one.clone(),
                [] => return Err("no dashboards/*.json here: pass --dashboard FILE".into()),
                many => {
                    return Err(format!(
                        "{} dashboards in dashboards/: say which with --dashboard; choose from: {}",
                        many.len(),
                        many.iter()
                            .map(|p| p.display().to_string())
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                    .into());
                }
            }
        }
    };
    let path = a
        .evidence
        .clone()
        .unwrap_or_else(|| rollout::evidence::default_path(metrics::EVIDENCE_FILE));
    let evidence_dir = path
        .parent()
        .map(std::path::Path::to_path_buf)
        .unwrap_or_default();
    let opts = metrics::MetricsOptions {
        prometheus_url: a.prometheus_url,
        dashboard,
        from,
        to,
        step: a.step,
        scrape_interval: a.scrape_interval,
        vars,
        timeout: a.timeout,
        evidence_dir,
    };
    let report = metrics::run_blocking(&opts)?;
    rollout::evidence::write(&path, &report, &[])?;
    Ok(Output {
        stdout: metrics::render_text(&report),
        stderr: match &report.error {
            Some(e) => format!("{e}\nwrote {}\n", path.display()),
            None => format!("wrote {}\n", path.display()),
        },
        outcome: Outcome::from_findings(!report.ok()),
        verbatim: false,
        ..Default::default()
    })
}

/// Runs `rollout evidence redis`.
fn redis(a: EvidenceRedisArgs) -> Result<Output, CommandError> {
    use rollout::redis;
    if a.every.is_zero() || a.timeout.is_zero() || a.watch.is_some_and(|w| w.is_zero()) {
        return Err("invalid duration 0s: use a duration above zero, e.g. 10s".into());
    }
    if a.max_growth < 0 {
        return Err(format!("invalid --max-growth {}: use 0 or more", a.max_growth).into());
    }
    let mut target = redis::parse_url(&a.url)?;
    if let Some(f) = &a.password_file {
        target.password = Some(redis::read_password(f)?);
    }
    let path = a
        .evidence
        .clone()
        .unwrap_or_else(|| rollout::evidence::default_path(redis::EVIDENCE_FILE));
    let previous = std::fs::read_to_string(&path)
        .ok()
        .and_then(|t| serde_json::from_str::<redis::Report>(&t).ok())
        .filter(|r| r.kind == redis::KIND);
    let secrets: Vec<rollout::secret::Secret> = target.password.iter().cloned().collect();
    let opts = redis::RedisOptions {
        url_shown: rollout::mask::url(&a.url),
        target,
        stream: a.stream,
        groups: a.group,
        watch: a.watch,
        every: a.every,
        max_growth: a.max_growth,
        timeout: a.timeout,
        previous,
    };
    let report = redis::run(&opts)?;
    let refs: Vec<&rollout::secret::Secret> = secrets.iter().collect();
    rollout::evidence::write(&path, &report, &refs)?;
    Ok(Output {
        stdout: redis::render_text(&report),
        stderr: match &report.error {
            Some(e) => format!("{e}\nwrote {}\n", path.display()),
            None => format!("wrote {}\n", path.display()),
        },
        outcome: Outcome::from_findings(!report.ok()),
        verbatim: false,
        ..Default::default()
    })
}

/// Runs `rollout evidence`.
pub fn run(args: EvidenceArgs) -> Result<Output, CommandError> {
    match args.command {
        Some(EvidenceCommand::Redis(a)) => return redis(a),
        Some(EvidenceCommand::Metrics(a)) => return metrics(a),
        None => {}
    }
    let mut r: Report = report::assemble_with(&args.evidence_dir, &settings(&args)?);
    // Charts are linked from where the report is written.
    if let Some(out) = &args.out {
        let from = out.parent().unwrap_or(std::path::Path::new(""));
        r.image_base = rollout::layout::relative(from, &args.evidence_dir)
            .display()
            .to_string();
    }
    let text = match args.output {
        EvidenceFormat::Md => report::render_markdown(&r),
        EvidenceFormat::Json => report::render_json(&r),
    };
    let outcome = Outcome::from_findings(!r.complete());
    match args.out {
        Some(path) => {
            // The report lands in the repository (the current directory), links resolved.
            let cwd = std::env::current_dir().map_err(|e| e.to_string())?;
            let real_cwd = std::fs::canonicalize(&cwd).unwrap_or(cwd.clone());
            let rel = path
                .strip_prefix(&cwd)
                .or_else(|_| path.strip_prefix(&real_cwd))
                .unwrap_or(&path);
            let full = rollout::fsutil::contained(std::path::Path::new("."), rel)
                .map_err(|e| format!("{e} (write the report inside the repository)"))?;
            write_evidence(&full, &text).map_err(|e| e.to_string())?;
            Ok(Output {
                stdout: String::new(),
                stderr: format!("wrote {}: {}\n", path.display(), r.summary()),
                outcome,
                verbatim: false,
                ..Default::default()
            })
        }
        None => Ok(Output {
            stdout: text,
            stderr: format!("{}\n", r.summary()),
            outcome,
            verbatim: false,
            ..Default::default()
        }),
    }
}
